//! The error type of every fallible Weft operation.

use crate::trap::{Trap, TrapCode};
use core::fmt;

/// A `Result` whose error is a Weft [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in Weft: malformed or invalid modules, failed linking or
/// instantiation, traps, exhausted resources and errors returned by host functions.
///
/// The error is one pointer wide. Inspect it with [`Error::kind`], [`Error::as_trap`],
/// [`Error::trap_code`] or, for errors raised by host functions, [`Error::downcast_ref`].
pub struct Error {
    inner: Box<ErrorKind>,
}

/// What kind of failure an [`Error`] reports.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not a well-formed WebAssembly module (binary format, spec §5), or WAT text
    /// failed to parse. `offset` is the byte offset in the binary where decoding failed.
    ///
    /// For a component ([`Component::new`](crate::component::Component::new)), the bytes are
    /// not a well-formed component (or one of its nested core modules is malformed) and
    /// `component` is true: the message then says "malformed component".
    Malformed {
        /// What was wrong.
        message: String,
        /// Byte offset into the binary, if known.
        offset: Option<usize>,
        /// Whether the bytes were compiled as a component rather than a core module.
        component: bool,
    },
    /// The module is well formed but does not validate (spec §3); for a component
    /// (`component` true, the message says "invalid component"), the component or one of its
    /// nested core modules does not validate, or it uses a construct Weft does not support.
    Invalid {
        /// What was wrong.
        message: String,
        /// Byte offset into the binary, if known.
        offset: Option<usize>,
        /// Whether the bytes were compiled as a component rather than a core module.
        component: bool,
    },
    /// The module is valid but exceeds a limit of Weft's implementation, so it is rejected
    /// the same way by [`Module::new`](crate::Module::new) (eager or lazy) and
    /// [`Module::validate`](crate::Module::validate). The limits:
    ///
    /// - a function's frame (parameters, locals and the largest operand stack height that
    ///   validation reaches, in values) has at most 65,535 slots;
    /// - a function body translates to at most a fixed number of instructions per byte of
    ///   its body, so that translation memory stays proportional to the input.
    ///
    /// The spec allows such limits (appendix A.2, "Implementation Limitations"); Wasmtime
    /// has some of the same kind.
    ImplementationLimit {
        /// Which limit was exceeded.
        message: String,
        /// Byte offset into the binary, if known.
        offset: Option<usize>,
    },
    /// An import could not be satisfied (unknown import or incompatible import type).
    Unlinkable(String),
    /// WebAssembly execution trapped.
    Trap(Trap),
    /// A resource limit was exceeded outside of wasm execution (for example a memory or table
    /// larger than the store's limits, or too many instances).
    ResourceExhausted(String),
    /// An error raised by a host function or by the embedder.
    Host(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A misuse of the API, such as a value of the wrong type or a handle of another store.
    Usage(String),
}

impl Error {
    #[cold]
    fn from_kind(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(kind),
        }
    }

    /// An error carrying `error`, which can be recovered with [`Error::downcast_ref`].
    #[cold]
    pub fn new<E: std::error::Error + Send + Sync + 'static>(error: E) -> Self {
        Error::from_kind(ErrorKind::Host(Box::new(error)))
    }

    /// An error with a message, for host functions and embedders.
    #[cold]
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::from_kind(ErrorKind::Host(Box::new(Message(message.to_string()))))
    }

    #[cold]
    pub(crate) fn malformed(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::from_kind(ErrorKind::Malformed {
            message: message.into(),
            offset,
            component: false,
        })
    }

    #[cold]
    pub(crate) fn invalid(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::from_kind(ErrorKind::Invalid {
            message: message.into(),
            offset,
            component: false,
        })
    }

    /// This error, reported about a component: a malformed or invalid input says
    /// "component" rather than "module"; other errors are unchanged.
    #[cfg(feature = "component-model")]
    pub(crate) fn in_component(mut self) -> Self {
        if let ErrorKind::Malformed { component, .. } | ErrorKind::Invalid { component, .. } =
            &mut *self.inner
        {
            *component = true;
        }
        self
    }

    #[cold]
    pub(crate) fn limit(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::from_kind(ErrorKind::ImplementationLimit {
            message: message.into(),
            offset,
        })
    }

    #[cold]
    pub(crate) fn unlinkable(message: impl Into<String>) -> Self {
        Error::from_kind(ErrorKind::Unlinkable(message.into()))
    }

    #[cold]
    pub(crate) fn resource(message: impl Into<String>) -> Self {
        Error::from_kind(ErrorKind::ResourceExhausted(message.into()))
    }

    #[cold]
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Error::from_kind(ErrorKind::Usage(message.into()))
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match &*self.inner {
            ErrorKind::Trap(trap) => Some(trap),
            _ => None,
        }
    }

    /// The trap's code, if this error is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        self.as_trap().map(Trap::code)
    }

    /// Whether this error is an `E`, either a [`Trap`] or an error a host function raised.
    pub fn is<E: std::error::Error + 'static>(&self) -> bool {
        self.downcast_ref::<E>().is_some()
    }

    /// The error as an `E`: a [`Trap`], or the value a host function passed to
    /// [`Error::new`].
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &*self.inner {
            ErrorKind::Trap(trap) => (trap as &dyn std::error::Error).downcast_ref::<E>(),
            ErrorKind::Host(host) => host.downcast_ref::<E>(),
            _ => None,
        }
    }

    /// The byte offset in the module binary where decoding or validation failed, if known.
    pub fn offset(&self) -> Option<usize> {
        match &*self.inner {
            ErrorKind::Malformed { offset, .. }
            | ErrorKind::Invalid { offset, .. }
            | ErrorKind::ImplementationLimit { offset, .. } => *offset,
            _ => None,
        }
    }
}

/// A plain message raised through [`Error::msg`].
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

/// Writes ` (at offset 0x..)` if the offset is known.
fn write_offset(f: &mut fmt::Formatter<'_>, offset: Option<usize>) -> fmt::Result {
    match offset {
        Some(offset) => write!(f, " (at offset 0x{offset:x})"),
        None => Ok(()),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.inner {
            ErrorKind::Malformed {
                message,
                offset,
                component,
            } => {
                let what = if *component { "component" } else { "module" };
                write!(f, "malformed {what}: {message}")?;
                write_offset(f, *offset)
            }
            ErrorKind::Invalid {
                message,
                offset,
                component,
            } => {
                let what = if *component { "component" } else { "module" };
                write!(f, "invalid {what}: {message}")?;
                write_offset(f, *offset)
            }
            ErrorKind::ImplementationLimit {
                message,
                offset: Some(offset),
            } => write!(
                f,
                "implementation limit exceeded: {message} (at offset 0x{offset:x})"
            ),
            ErrorKind::ImplementationLimit {
                message,
                offset: None,
            } => write!(f, "implementation limit exceeded: {message}"),
            ErrorKind::Unlinkable(message) => write!(f, "{message}"),
            ErrorKind::Trap(trap) => fmt::Display::fmt(trap, f),
            ErrorKind::ResourceExhausted(message) => write!(f, "{message}"),
            ErrorKind::Host(error) => fmt::Display::fmt(error, f),
            ErrorKind::Usage(message) => write!(f, "{message}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.inner {
            ErrorKind::Host(error) => error.source(),
            _ => None,
        }
    }
}

impl From<Trap> for Error {
    #[cold]
    fn from(trap: Trap) -> Self {
        Error::from_kind(ErrorKind::Trap(trap))
    }
}

impl From<TrapCode> for Error {
    #[cold]
    fn from(code: TrapCode) -> Self {
        Error::from(Trap::new(code))
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    #[cold]
    fn from(error: wasmparser::BinaryReaderError) -> Self {
        Error::invalid(error.message().to_string(), Some(error.offset() as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(size_of::<Error>(), size_of::<usize>());
    }

    #[test]
    fn host_errors_downcast() {
        #[derive(Debug, PartialEq)]
        struct Exit(i32);
        impl fmt::Display for Exit {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "exit {}", self.0)
            }
        }
        impl std::error::Error for Exit {}
        let error = Error::new(Exit(3));
        assert_eq!(error.downcast_ref::<Exit>(), Some(&Exit(3)));
        assert!(error.trap_code().is_none());
        let trap = Error::from(TrapCode::Unreachable);
        assert_eq!(trap.trap_code(), Some(TrapCode::Unreachable));
        assert_eq!(
            trap.downcast_ref::<Trap>().map(Trap::code),
            Some(TrapCode::Unreachable)
        );
    }
}
