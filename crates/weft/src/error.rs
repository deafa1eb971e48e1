//! The error type of every fallible Weft operation.
//!
//! As in Wasmtime, [`Error`] is [`anyhow::Error`] and [`Result`] is [`anyhow::Result`]: `?`
//! takes any `std::error::Error + Send + Sync + 'static`, [`Context`] adds
//! messages, and [`Error::downcast_ref`] recovers a [`Trap`], a
//! [`WasmBacktrace`](crate::WasmBacktrace), an [`ErrorKind`] or the host's own error types.
//! [`ErrorExt`] adds Weft's queries ([`ErrorExt::kind`], [`ErrorExt::trap_code`],
//! [`ErrorExt::offset`]).
//!
//! The module's items are also at the crate root (`weft::Error`, `weft::Context`, ...);
//! `weft::error::Context` is the path Wasmtime's `wasmtime::error::Context` becomes.
//!
//! `Display` (`{}`) shows the outermost message, `{:#}` the whole chain on one line and
//! `{:?}` a report with the chain under "Caused by:", as for any `anyhow::Error`.

use crate::trap::Trap;
use core::fmt;

pub use anyhow::{Context, bail, ensure, format_err};

/// Everything that can go wrong in Weft: malformed or invalid modules, failed linking or
/// instantiation, traps, exhausted resources and errors returned by host functions.
///
/// This is [`anyhow::Error`], exactly as `wasmtime::Error` is: one pointer wide, and
/// convertible from any `std::error::Error + Send + Sync + 'static` with `?`. What failed is
/// recovered with [`Error::downcast_ref`]:
///
/// - a trap in WebAssembly is a [`Trap`], with the wasm frames as a
///   [`WasmBacktrace`](crate::WasmBacktrace) context;
/// - a failure of Weft outside execution is an [`ErrorKind`];
/// - an error a host function returned is that function's own error value.
///
/// ```
/// use weft::{Engine, Instance, Module, Store, Trap};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module (func (export "f") unreachable))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let f = instance.get_typed_func::<(), ()>(&mut store, "f")?;
/// let error = f.call(&mut store, ()).unwrap_err();
/// assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::UnreachableCodeReached));
/// # Ok::<(), weft::Error>(())
/// ```
pub use anyhow::Error;

/// A `Result` whose error is a Weft [`Error`] ([`anyhow::Result`]).
pub use anyhow::Result;

/// What kind of failure of Weft itself an [`Error`] reports: the error value inside errors
/// that are neither traps ([`Trap`]) nor raised by host functions. Get it with
/// [`ErrorExt::kind`] or `error.downcast_ref::<ErrorKind>()`.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// A resource limit was exceeded outside of wasm execution (for example a memory or table
    /// larger than the store's limits, or too many instances).
    ResourceExhausted(String),
    /// A misuse of the API, such as a value of the wrong type or a handle of another store.
    Usage(String),
}

/// Writes ` (at offset 0x..)` if the offset is known.
fn write_offset(f: &mut fmt::Formatter<'_>, offset: Option<usize>) -> fmt::Result {
    match offset {
        Some(offset) => write!(f, " (at offset 0x{offset:x})"),
        None => Ok(()),
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
            ErrorKind::ImplementationLimit { message, offset } => {
                write!(f, "implementation limit exceeded: {message}")?;
                write_offset(f, *offset)
            }
            ErrorKind::Unlinkable(message)
            | ErrorKind::ResourceExhausted(message)
            | ErrorKind::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ErrorKind {}

/// Weft's queries on an [`Error`]: what kind of failure it is, the trap, the offset.
///
/// `use weft::ErrorExt as _;` brings them into scope.
pub trait ErrorExt: sealed::Sealed {
    /// The [`ErrorKind`] of a failure of Weft itself; `None` for a trap or an error raised by
    /// a host function.
    fn kind(&self) -> Option<&ErrorKind>;

    /// The trap, if this error is one: the same as `self.downcast_ref::<Trap>().copied()`.
    fn trap_code(&self) -> Option<Trap>;

    /// The byte offset in the module binary where decoding or validation failed, if known.
    fn offset(&self) -> Option<usize>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Error {}
}

impl ErrorExt for Error {
    fn kind(&self) -> Option<&ErrorKind> {
        self.downcast_ref::<ErrorKind>()
    }

    fn trap_code(&self) -> Option<Trap> {
        self.downcast_ref::<Trap>().copied()
    }

    fn offset(&self) -> Option<usize> {
        match self.kind()? {
            ErrorKind::Malformed { offset, .. }
            | ErrorKind::Invalid { offset, .. }
            | ErrorKind::ImplementationLimit { offset, .. } => *offset,
            _ => None,
        }
    }
}

/// The crate's constructors of [`Error`]s of each [`ErrorKind`], called as
/// `Error::usage(..)`.
pub(crate) trait ErrorCtor: Sized {
    fn malformed(message: impl Into<String>, offset: Option<usize>) -> Self;
    fn invalid(message: impl Into<String>, offset: Option<usize>) -> Self;
    fn limit(message: impl Into<String>, offset: Option<usize>) -> Self;
    fn unlinkable(message: impl Into<String>) -> Self;
    fn resource(message: impl Into<String>) -> Self;
    fn usage(message: impl Into<String>) -> Self;
    /// This error, reported about a component: a malformed or invalid input says
    /// "component" rather than "module"; other errors are unchanged.
    #[cfg(feature = "component-model")]
    fn in_component(self) -> Self;
    /// A wasmparser error left unclassified by `?` becomes [`ErrorKind::Invalid`] with its
    /// offset; other errors are unchanged. Called where decoding and validation return to
    /// the embedder.
    fn classify_wasmparser(self) -> Self;
}

impl ErrorCtor for Error {
    #[cold]
    fn malformed(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::new(ErrorKind::Malformed {
            message: message.into(),
            offset,
            component: false,
        })
    }

    #[cold]
    fn invalid(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::new(ErrorKind::Invalid {
            message: message.into(),
            offset,
            component: false,
        })
    }

    #[cold]
    fn limit(message: impl Into<String>, offset: Option<usize>) -> Self {
        Error::new(ErrorKind::ImplementationLimit {
            message: message.into(),
            offset,
        })
    }

    #[cold]
    fn unlinkable(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unlinkable(message.into()))
    }

    #[cold]
    fn resource(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::ResourceExhausted(message.into()))
    }

    #[cold]
    fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage(message.into()))
    }

    #[cfg(feature = "component-model")]
    fn in_component(mut self) -> Self {
        if let Some(ErrorKind::Malformed { component, .. } | ErrorKind::Invalid { component, .. }) =
            self.downcast_mut::<ErrorKind>()
        {
            *component = true;
        }
        self
    }

    #[cold]
    fn classify_wasmparser(self) -> Self {
        match self.downcast::<wasmparser::BinaryReaderError>() {
            Ok(error) => Error::invalid(error.message(), usize::try_from(error.offset()).ok()),
            Err(error) => error,
        }
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
        assert!(error.kind().is_none());
        let trap = Error::from(Trap::UnreachableCodeReached);
        assert_eq!(trap.trap_code(), Some(Trap::UnreachableCodeReached));
        assert_eq!(
            trap.downcast_ref::<Trap>(),
            Some(&Trap::UnreachableCodeReached)
        );
        assert_eq!(trap.to_string(), "wasm trap: unreachable");
    }

    #[test]
    fn wasmparser_errors_are_classified_invalid() {
        let Err(reader_error) =
            wasmparser::Validator::new().validate_all(b"\0asm\x01\0\0\0\x03\x02\x01\x05")
        else {
            panic!("a function of an undefined type validated");
        };
        let (message, offset) = (reader_error.message().to_owned(), reader_error.offset());
        let error = Error::from(reader_error).classify_wasmparser();
        assert_eq!(error.offset(), usize::try_from(offset).ok());
        assert_eq!(
            error.to_string(),
            format!("invalid module: {message} (at offset 0x{offset:x})")
        );
        let usage = Error::usage("x").classify_wasmparser();
        assert!(matches!(usage.kind(), Some(ErrorKind::Usage(_))));
    }

    #[test]
    fn context_keeps_the_kind() {
        let error = Error::unlinkable("unknown import `a::b`").context("while linking");
        assert!(matches!(error.kind(), Some(ErrorKind::Unlinkable(_))));
        assert_eq!(format!("{error:#}"), "while linking: unknown import `a::b`");
    }
}
