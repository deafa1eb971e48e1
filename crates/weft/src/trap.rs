//! Traps: the ways WebAssembly execution can fail at run time.
//!
//! A trap aborts the current call into WebAssembly. The store stays usable afterwards: memories,
//! tables and globals keep whatever the guest wrote before the trap (WebAssembly 2.0, §4.4.1
//! "Results" and §4.5 "Instructions").

use crate::context::AsContext;
use crate::error::Error;
use core::fmt;

/// A WebAssembly trap: why execution stopped.
///
/// A trap reaches the embedder inside an [`Error`]: `error.downcast_ref::<Trap>()` (or
/// [`ErrorExt::trap_code`](crate::ErrorExt::trap_code)) returns it, and the wasm frames that
/// were active are a [`WasmBacktrace`] context of the same error. The variants carry
/// Wasmtime's names, so `match` and `==` code written for `wasmtime::Trap` carries over:
///
/// ```
/// # use weft::*;
/// let mut config = Config::new();
/// config.consume_fuel(true);
/// let engine = Engine::new(&config)?;
/// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
/// let mut store = Store::new(&engine, ());
/// store.set_fuel(10_000)?;
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
/// let error = spin.call(&mut store, ()).unwrap_err();
/// assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
/// # Ok::<(), weft::Error>(())
/// ```
///
/// `Display` is `wasm trap: ` and [`Trap::message`], the message the official spec testsuite
/// expects (for example `wasm trap: integer divide by zero`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trap {
    /// The `unreachable` instruction was executed.
    UnreachableCodeReached,
    /// A load, store or bulk memory operation accessed bytes outside the linear memory.
    MemoryOutOfBounds,
    /// A table operation (`table.get`, `table.set`, `table.copy`, ...) accessed an element
    /// outside the table, or an element segment did not fit its table.
    TableOutOfBounds,
    /// `call_indirect` used an index past the end of the table.
    UndefinedElement,
    /// `call_indirect` found a null reference in the table.
    IndirectCallToNull,
    /// `call_indirect` found a function whose type differs from the expected one.
    BadSignature,
    /// `ref.as_non_null` found a null reference (typed function references).
    NullReference,
    /// `call_ref` was given a null function reference (typed function references). Wasmtime
    /// reports this as [`Trap::NullReference`]; Weft keeps the spec testsuite's own message
    /// for each.
    NullFunctionReference,
    /// An integer operation overflowed (`i32.div_s` of `i32::MIN` by `-1`, or a trapping
    /// float-to-integer conversion whose result does not fit).
    IntegerOverflow,
    /// An integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A trapping float-to-integer conversion of a NaN.
    BadConversionToInteger,
    /// The call stack exceeded [`Config::max_wasm_stack`](crate::Config::max_wasm_stack).
    StackOverflow,
    /// The store ran out of fuel (see [`Config::consume_fuel`](crate::Config::consume_fuel)).
    OutOfFuel,
    /// Execution was interrupted because the store's epoch deadline was reached (see
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    Interrupt,
    /// A `memory.grow` or `table.grow` was refused by the store's resource limiter, which was
    /// configured to trap instead of returning `-1`.
    GrowthOperationLimited,
    /// An invariant of the engine did not hold. This is a bug in Weft, reported as a trap so
    /// that the host process is not brought down.
    InternalError,
    /// Component Model: a pointer into linear memory is not aligned for the value it points to
    /// (Canonical ABI `trap_if(ptr != align_to(ptr, alignment(t)))`), including a pointer
    /// returned by `realloc`.
    UnalignedPointer,
    /// Component Model: a value, or the tuple of spilled parameters or results, lies beyond the
    /// end of linear memory.
    PointerOutOfBounds,
    /// Component Model: the bytes of a string lie beyond the end of linear memory.
    StringOutOfBounds,
    /// Component Model: the elements of a list lie beyond the end of linear memory.
    ListOutOfBounds,
    /// Component Model: the guest's `realloc` returned a range that ends beyond linear memory.
    ReallocOutOfBounds,
    /// Component Model: a `char` is a surrogate or larger than `0x10FFFF`.
    InvalidChar,
    /// Component Model: the discriminant of a variant, enum, option or result names no case.
    InvalidDiscriminant,
    /// Component Model: a string in memory is not valid in its encoding (invalid utf-8, an
    /// unpaired utf-16 surrogate).
    InvalidString,
    /// Component Model: a string or list is longer than the Canonical ABI allows
    /// (`MAX_STRING_BYTE_LENGTH`, `MAX_LIST_BYTE_LENGTH`, or a length that does not fit 32 bits).
    LengthOverflow,
    /// Component Model: a resource handle index names no handle in the instance's table.
    UnknownHandle,
    /// Component Model: a resource handle was used as the wrong resource type, or a borrow
    /// where an own handle is required.
    HandleWrongType,
    /// Component Model: an own handle was dropped or moved while it was lent to a call.
    ResourceLent,
    /// Component Model: a call returned while borrow handles it received were not dropped.
    BorrowsRemain,
    /// Component Model: a handle table reached its maximum length (`2^28 - 1`).
    HandleTableFull,
    /// Component Model: a component instance was entered while it may not be (re-entrance,
    /// or a call after a trap poisoned it).
    CannotEnterComponent,
    /// Component Model: a component instance tried to leave (call an import or `realloc`)
    /// while it may not, such as during `post-return`.
    CannotLeaveComponent,
}

/// The spec's name of a [`Trap`]: the two are one type.
pub type TrapCode = Trap;

impl Trap {
    /// The message the WebAssembly spec testsuite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            Trap::UnreachableCodeReached => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::NullReference => "null reference",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::OutOfFuel => "all fuel consumed by WebAssembly",
            TrapCode::Interrupt => "interrupt",
            TrapCode::GrowthOperationLimited => "forcing trap when growing memory or table",
            TrapCode::InternalError => "internal error in the Weft engine",
            TrapCode::UnalignedPointer => "unaligned pointer",
            TrapCode::PointerOutOfBounds => "pointer out of bounds of memory",
            TrapCode::StringOutOfBounds => "string content out-of-bounds",
            TrapCode::ListOutOfBounds => "list content out-of-bounds",
            TrapCode::ReallocOutOfBounds => "realloc return: beyond end of memory",
            TrapCode::InvalidChar => "invalid `char` bit pattern",
            TrapCode::InvalidDiscriminant => "invalid variant discriminant",
            TrapCode::InvalidString => "invalid string encoding",
            TrapCode::LengthOverflow => "string or list length overflow",
            TrapCode::UnknownHandle => "unknown handle index",
            TrapCode::HandleWrongType => "handle used with the wrong type",
            TrapCode::ResourceLent => "cannot remove owned resource while borrowed",
            TrapCode::BorrowsRemain => "borrow handles still remain at the end of the call",
            TrapCode::HandleTableFull => "handle table full",
            TrapCode::CannotEnterComponent => "cannot enter component instance",
            TrapCode::CannotLeaveComponent => "cannot leave component instance",
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.message())
    }
}

impl std::error::Error for Trap {}

impl Trap {
    /// An [`Error`] for this trap with a message that names the values involved, such as
    /// `wasm trap: unknown handle index 3`, as a context over the trap: `Display` shows the
    /// message and `downcast_ref::<Trap>()` still finds the trap.
    #[cold]
    pub(crate) fn with_detail(code: Trap, detail: impl fmt::Display) -> Error {
        Error::new(code).context(format!("wasm trap: {detail}"))
    }
}

/// One frame of a WebAssembly backtrace, innermost first in [`WasmBacktrace::frames`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    /// The name of the module, from its name section, if it has one.
    pub module_name: Option<String>,
    /// The function's index in its module's function index space.
    pub func_index: u32,
    /// The function's name, from the module's name section, if it has one.
    pub func_name: Option<String>,
}

impl FrameInfo {
    /// The function's index in its module's function index space.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The function's name from the module's name section, if it has one (not demangled;
    /// `Display` demangles it).
    pub fn func_name(&self) -> Option<&str> {
        self.func_name.as_deref()
    }

    /// The name of the module, from its name section, if it has one.
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }
}

impl fmt::Display for FrameInfo {
    /// `module!function`, the function's name demangled as Wasmtime shows it (Rust names
    /// without their hash, C++ names in full), or `module!<wasm function N>` without a name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let module = self.module_name.as_deref().unwrap_or("<unknown>");
        match &self.func_name {
            Some(name) => {
                write!(f, "{module}!")?;
                write_demangled(f, name)
            }
            None => write!(f, "{module}!<wasm function {}>", self.func_index),
        }
    }
}

/// Writes `name` demangled if it is a mangled Rust or C++ symbol, as it is otherwise.
fn write_demangled(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if let Ok(demangled) = rustc_demangle::try_demangle(name) {
        return write!(f, "{demangled:#}");
    }
    if name.starts_with("_Z")
        && let Ok(symbol) = cpp_demangle::Symbol::new(name)
        && let Ok(demangled) = symbol.demangle(&cpp_demangle::DemangleOptions::default())
    {
        return f.write_str(&demangled);
    }
    f.write_str(name)
}

#[cfg(test)]
mod demangle_tests {
    use super::FrameInfo;

    fn shown(name: &str) -> String {
        FrameInfo {
            module_name: Some("m.wasm".into()),
            func_index: 3,
            func_name: Some(name.into()),
        }
        .to_string()
    }

    #[test]
    fn rust_and_cpp_names_are_demangled() {
        assert_eq!(
            shown("_ZN5hello4main17hae49978460cea5a5E"),
            "m.wasm!hello::main"
        );
        assert_eq!(
            shown("_RNvNtCset5xJoy1xWQ_3std7process5abort"),
            "m.wasm!std::process::abort"
        );
        assert_eq!(shown("_Z3addii"), "m.wasm!add(int, int)");
        assert_eq!(shown("dlmalloc"), "m.wasm!dlmalloc");
        assert_eq!(shown("_Zgarbage"), "m.wasm!_Zgarbage");
    }
}

/// The wasm frames that were active when a trap happened, innermost first: a context of the
/// trap's [`Error`] (`error.downcast_ref::<WasmBacktrace>()`), as in Wasmtime.
///
/// It is attached to traps raised while wasm runs, unless
/// [`Config::wasm_backtrace`](crate::Config::wasm_backtrace) is off. Its `Display` reads
/// `error while executing at wasm backtrace:` and a line per frame; it shows at most the
/// [`WasmBacktrace::SHOWN_INNERMOST`] innermost and [`WasmBacktrace::SHOWN_OUTERMOST`]
/// outermost frames and counts the frames between them, so that a trap deep in a recursion
/// makes a readable report; [`WasmBacktrace::frames`] has every recorded frame.
#[derive(Clone, PartialEq, Eq)]
pub struct WasmBacktrace {
    frames: Vec<FrameInfo>,
    /// Frames left out of `frames` between its innermost and outermost parts.
    omitted: usize,
}

impl WasmBacktrace {
    /// How many of the innermost frames `Display` and `Debug` show.
    pub const SHOWN_INNERMOST: usize = 20;

    /// How many of the outermost frames `Display` and `Debug` show.
    pub const SHOWN_OUTERMOST: usize = 10;

    /// The wasm frames active now, innermost first: in a host function that wasm called,
    /// the frames that led to the call (and those of the runs it is nested in, through other
    /// host functions); outside of wasm, no frames. Empty if
    /// [`Config::wasm_backtrace`](crate::Config::wasm_backtrace) is off (see
    /// [`WasmBacktrace::force_capture`]).
    ///
    /// ```
    /// use weft::{Caller, Engine, Func, Instance, Module, Store, WasmBacktrace};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (import "" "" (func $host))
    ///     (func $foo (export "f") call $bar)
    ///     (func $bar call $host))"#)?;
    /// let mut store = Store::new(&engine, Vec::new());
    /// let host = Func::wrap(&mut store, |mut caller: Caller<'_, Vec<u32>>| {
    ///     let trace = WasmBacktrace::capture(&caller);
    ///     let indices = trace.frames().iter().map(|f| f.func_index()).collect();
    ///     *caller.data_mut() = indices;
    /// });
    /// let instance = Instance::new(&mut store, &module, &[host.into()])?;
    /// instance.get_typed_func::<(), ()>(&mut store, "f")?.call(&mut store, ())?;
    /// assert_eq!(store.data(), &[2, 1]); // $bar, then $foo
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn capture(store: impl AsContext) -> WasmBacktrace {
        let store = store.as_context();
        if !store.0.inner.engine.config().wasm_backtrace {
            return WasmBacktrace::new(Vec::new(), 0);
        }
        crate::exec::capture_backtrace(&store.0.inner)
    }

    /// As [`WasmBacktrace::capture`], whether or not backtraces are on in the configuration.
    pub fn force_capture(store: impl AsContext) -> WasmBacktrace {
        crate::exec::capture_backtrace(&store.as_context().0.inner)
    }

    /// A backtrace of `frames` (innermost first), which lacks `omitted` frames between its
    /// innermost and outermost [`WasmBacktrace::SHOWN_OUTERMOST`] ones.
    pub(crate) fn new(frames: Vec<FrameInfo>, omitted: usize) -> Self {
        WasmBacktrace { frames, omitted }
    }

    /// The wasm frames that were active when the trap happened, innermost first.
    ///
    /// A stack deeper than 10,000 frames keeps its 9,990 innermost and its
    /// [`WasmBacktrace::SHOWN_OUTERMOST`] outermost frames; [`WasmBacktrace::frames_omitted`]
    /// counts the frames dropped between them (a runaway recursion can be millions deep).
    pub fn frames(&self) -> &[FrameInfo] {
        &self.frames
    }

    /// How many frames between the innermost and the outermost ones were not recorded in
    /// [`WasmBacktrace::frames`] because the stack was too deep; 0 for most traps.
    pub fn frames_omitted(&self) -> usize {
        self.omitted
    }

    /// The frames `Display` and `Debug` show: the innermost, how many are left out after
    /// them, and the outermost.
    fn shown_frames(&self) -> (&[FrameInfo], usize, &[FrameInfo]) {
        let frames = self.frames.as_slice();
        if frames.len() <= Self::SHOWN_INNERMOST + Self::SHOWN_OUTERMOST {
            return (frames, self.omitted, &[]);
        }
        let (inner, rest) = frames.split_at(Self::SHOWN_INNERMOST);
        let (omitted, outer) = rest.split_at(rest.len() - Self::SHOWN_OUTERMOST);
        (inner, omitted.len() + self.omitted, outer)
    }
}

impl fmt::Display for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error while executing at wasm backtrace:")?;
        let (inner, omitted, outer) = self.shown_frames();
        for (i, frame) in inner.iter().enumerate() {
            write!(f, "\n  {i:>3}: {frame}")?;
        }
        if omitted > 0 {
            write!(f, "\n       ... {omitted} frames omitted ...")?;
        }
        let outer_start = self.frames.len() + self.omitted - outer.len();
        for (i, frame) in outer.iter().enumerate() {
            write!(f, "\n  {:>3}: {frame}", outer_start + i)?;
        }
        Ok(())
    }
}

impl fmt::Debug for WasmBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Frames<'a>(&'a WasmBacktrace);
        impl fmt::Debug for Frames<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let (inner, omitted, outer) = self.0.shown_frames();
                let mut list = f.debug_list();
                list.entries(inner);
                if omitted > 0 {
                    list.entry(&format_args!("... {omitted} frames omitted ..."));
                }
                list.entries(outer).finish()
            }
        }
        f.debug_struct("WasmBacktrace")
            .field("frames", &Frames(self))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: u32) -> Vec<FrameInfo> {
        (0..n)
            .map(|i| FrameInfo {
                module_name: Some("m".to_owned()),
                func_index: i,
                func_name: None,
            })
            .collect()
    }

    #[test]
    fn a_deep_backtrace_shows_its_ends_and_counts_the_rest() {
        let backtrace = WasmBacktrace::new(frames(100_000), 0);
        let shown = backtrace.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), 1 + 20 + 1 + 10, "{shown}");
        assert_eq!(lines[0], "error while executing at wasm backtrace:");
        assert_eq!(lines[1], "    0: m!<wasm function 0>");
        assert_eq!(lines[20], "   19: m!<wasm function 19>");
        assert_eq!(lines[21], "       ... 99970 frames omitted ...");
        assert_eq!(lines[22], "  99990: m!<wasm function 99990>");
        assert_eq!(lines[31], "  99999: m!<wasm function 99999>");
        let debug = format!("{backtrace:?}");
        assert!(debug.len() < 4000, "{debug}");
        assert!(debug.contains("... 99970 frames omitted ..."), "{debug}");
        assert_eq!(backtrace.frames().len(), 100_000);
    }

    #[test]
    fn a_short_backtrace_is_shown_whole() {
        let backtrace = WasmBacktrace::new(frames(30), 0);
        let shown = backtrace.to_string();
        assert_eq!(shown.lines().count(), 1 + 30, "{shown}");
        assert!(!shown.contains("omitted"), "{shown}");
        assert!(!format!("{backtrace:?}").contains("omitted"));
    }

    #[test]
    fn a_detail_is_a_context_over_the_trap() {
        let error = Trap::with_detail(Trap::UnknownHandle, "unknown handle index 3");
        assert_eq!(error.to_string(), "wasm trap: unknown handle index 3");
        assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::UnknownHandle));
        assert_eq!(
            format!("{error:#}"),
            "wasm trap: unknown handle index 3: wasm trap: unknown handle index"
        );
    }
}
