//! Engine configuration.

use crate::error::ErrorCtor as _;
/// When a module's function bodies are translated into Weft's bytecode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CompilationMode {
    /// Validate and translate every function in [`Module::new`](crate::Module::new).
    #[default]
    Eager,
    /// Validate every function in [`Module::new`](crate::Module::new), but translate each one
    /// only when it is first called. Faster start-up for large modules of which little runs.
    Lazy,
}

/// The largest [`Config::max_wasm_stack`]: 256 MiB, hundreds of times what real programs
/// need (their large data lives in linear memory), and so a bound on the memory one store
/// allocates for its wasm stack (8 bytes per charged slot, 32 per 64-byte frame, and what
/// growing the buffers leaves spare).
const MAX_WASM_STACK: usize = 256 << 20;

/// Global settings for an [`Engine`](crate::Engine): enabled WebAssembly proposals, stack
/// limits, compilation mode, fuel and epoch interruption.
///
/// Every setter returns `&mut Self` so calls can be chained:
///
/// ```
/// let mut config = weft::Config::new();
/// config.wasm_bulk_memory(true).max_wasm_stack(512 * 1024);
/// let engine = weft::Engine::new(&config)?;
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Config {
    pub(crate) multi_value: bool,
    pub(crate) bulk_memory: bool,
    pub(crate) reference_types: bool,
    pub(crate) sign_extension: bool,
    pub(crate) saturating_float_to_int: bool,
    pub(crate) mutable_global: bool,
    pub(crate) extended_const: bool,
    pub(crate) wide_arithmetic: bool,
    pub(crate) tail_call: bool,
    pub(crate) simd: bool,
    pub(crate) relaxed_simd: bool,
    pub(crate) relaxed_simd_deterministic: bool,
    pub(crate) multi_memory: bool,
    pub(crate) memory64: bool,
    pub(crate) function_references: bool,
    pub(crate) custom_page_sizes: bool,
    pub(crate) max_wasm_stack: usize,
    pub(crate) compilation_mode: CompilationMode,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) component_model: bool,
    pub(crate) wasm_backtrace: bool,
    pub(crate) allocation: InstanceAllocationStrategy,
    pub(crate) memory_init_cow: bool,
    /// Proposals Weft does not implement that the configuration asks for, by setter name;
    /// [`Engine::new`](crate::Engine::new) refuses a configuration that has any.
    pub(crate) refused: Vec<&'static str>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// The default configuration: every WebAssembly 2.0 proposal Weft implements enabled,
    /// and from 3.0 tail calls, multi-memory, relaxed SIMD and extended constants (as in
    /// Wasmtime); a 512 KiB wasm stack, eager compilation, no fuel and no epoch interruption.
    pub fn new() -> Self {
        Config {
            multi_value: true,
            bulk_memory: true,
            reference_types: true,
            sign_extension: true,
            saturating_float_to_int: true,
            mutable_global: true,
            extended_const: true,
            wide_arithmetic: false,
            tail_call: true,
            simd: true,
            relaxed_simd: true,
            relaxed_simd_deterministic: false,
            multi_memory: true,
            memory64: false,
            function_references: false,
            custom_page_sizes: false,
            max_wasm_stack: 512 * 1024,
            compilation_mode: CompilationMode::Eager,
            consume_fuel: false,
            epoch_interruption: false,
            component_model: cfg!(feature = "component-model"),
            wasm_backtrace: true,
            allocation: InstanceAllocationStrategy::OnDemand,
            memory_init_cow: true,
            refused: Vec::new(),
        }
    }

    /// Records that the setting `name` asks for something Weft does not have when `refuse`
    /// is true, and forgets an earlier such request otherwise.
    fn refuse_if(&mut self, name: &'static str, refuse: bool) -> &mut Self {
        self.refused.retain(|n| *n != name);
        if refuse {
            self.refused.push(name);
        }
        self
    }

    /// The first setting that asks for something Weft does not implement, as the error
    /// [`Engine::new`](crate::Engine::new) returns.
    pub(crate) fn check(&self) -> crate::Result<()> {
        if self.function_references && !self.reference_types {
            return Err(crate::Error::usage(
                "unsupported configuration: `Config::wasm_function_references` needs \
                 `Config::wasm_reference_types`",
            ));
        }
        match self.refused.first() {
            None => Ok(()),
            Some(name) => Err(crate::Error::usage(format!(
                "unsupported configuration: `Config::{name}` asks for a feature that Weft does \
                 not implement"
            ))),
        }
    }

    /// Enables the multi-value proposal: blocks and functions with several results.
    /// Default: on.
    pub fn wasm_multi_value(&mut self, enable: bool) -> &mut Self {
        self.multi_value = enable;
        self
    }

    /// Enables the bulk memory proposal (`memory.copy`, `memory.fill`, `memory.init`,
    /// `data.drop`, `table.copy`, `table.init`, `elem.drop`, passive segments). Default: on.
    pub fn wasm_bulk_memory(&mut self, enable: bool) -> &mut Self {
        self.bulk_memory = enable;
        self
    }

    /// Enables the reference types proposal (`funcref`/`externref` values, several tables,
    /// `table.*` and `ref.*` instructions). Default: on.
    pub fn wasm_reference_types(&mut self, enable: bool) -> &mut Self {
        self.reference_types = enable;
        self
    }

    /// Enables the sign-extension operators (`i32.extend8_s`, ...). Default: on.
    pub fn wasm_sign_extension(&mut self, enable: bool) -> &mut Self {
        self.sign_extension = enable;
        self
    }

    /// Enables the non-trapping float-to-int conversions (`i32.trunc_sat_f32_s`, ...).
    /// Default: on.
    pub fn wasm_saturating_float_to_int(&mut self, enable: bool) -> &mut Self {
        self.saturating_float_to_int = enable;
        self
    }

    /// Enables import and export of mutable globals. Default: on.
    pub fn wasm_mutable_global(&mut self, enable: bool) -> &mut Self {
        self.mutable_global = enable;
        self
    }

    /// Enables the extended constant expressions proposal: `i32.add`, `i32.sub`, `i32.mul`
    /// and their `i64` forms in constant expressions (global initializers, segment
    /// offsets). Default: on, as in Wasmtime.
    pub fn wasm_extended_const(&mut self, enable: bool) -> &mut Self {
        self.extended_const = enable;
        self
    }

    /// Enables the wide-arithmetic proposal: `i64.add128` and `i64.sub128` (128-bit sums
    /// and differences of operands given as low and high `i64` halves) and
    /// `i64.mul_wide_s` / `i64.mul_wide_u` (the full 128-bit product of two `i64`s), each
    /// returning its result as two `i64`s, low half first. Default: off, as in Wasmtime.
    pub fn wasm_wide_arithmetic(&mut self, enable: bool) -> &mut Self {
        self.wide_arithmetic = enable;
        self
    }

    /// Enables the tail-call proposal (part of WebAssembly 3.0): `return_call` and
    /// `return_call_indirect` (spec §4.4.8 "Control Instructions"), and `return_call_ref`
    /// when [`Config::wasm_function_references`] is on too. Default: on, as in Wasmtime.
    ///
    /// A tail call replaces the calling function's frame with the callee's: a chain of tail
    /// calls of any length runs in constant wasm stack and constant host stack. A tail call
    /// of a host function behaves as a call followed by a return. `return_call_indirect`
    /// traps as `call_indirect` does (`undefined element`, `uninitialized element`,
    /// `indirect call type mismatch`), and `return_call_ref` as `call_ref` does (`null
    /// function reference`). With this off, a module using either instruction is
    /// refused by [`Module::new`](crate::Module::new).
    pub fn wasm_tail_call(&mut self, enable: bool) -> &mut Self {
        self.tail_call = enable;
        self
    }

    /// Enables the fixed-width SIMD proposal: the `v128` type and its operators (spec
    /// §2.4.3 "Vector Instructions"). Default: on, as in Wasmtime.
    ///
    /// A `v128` takes two 64-bit cells of a frame; its operators run in portable Rust that
    /// the host compiler vectorizes (see `crates/weft/src/exec/simd.rs`).
    pub fn wasm_simd(&mut self, enable: bool) -> &mut Self {
        self.simd = enable;
        self
    }

    /// Enables the relaxed SIMD proposal (`f32x4.relaxed_madd`, `i8x16.relaxed_swizzle`,
    /// ...); it needs [`Config::wasm_simd`] too. Default: on, as in Wasmtime.
    ///
    /// Weft gives every relaxed operator one fixed behaviour on every host, the proposal's
    /// deterministic profile (listed in `exec/simd.rs`): `relaxed_swizzle` as `swizzle`,
    /// `relaxed_trunc*` as the saturating truncations, `relaxed_madd`/`nmadd` fused (one
    /// rounding), `relaxed_laneselect` as `bitselect`, `relaxed_min`/`max` as `min`/`max`,
    /// `relaxed_q15mulr_s` as `q15mulr_sat_s`, and the `relaxed_dot` operators with both
    /// operands signed.
    pub fn wasm_relaxed_simd(&mut self, enable: bool) -> &mut Self {
        self.relaxed_simd = enable;
        self
    }

    /// Asks relaxed SIMD operators to behave the same on every host. Default: off, as in
    /// Wasmtime; either way Weft runs the deterministic profile of
    /// [`Config::wasm_relaxed_simd`], so this setting changes no result.
    pub fn relaxed_simd_deterministic(&mut self, enable: bool) -> &mut Self {
        self.relaxed_simd_deterministic = enable;
        self
    }

    /// Enables the multi-memory proposal: several memories per module, defined or imported,
    /// each load, store and `memory.*` instruction naming the memory it accesses, and
    /// `memory.copy` between two memories. Default: on, as in Wasmtime.
    ///
    /// Memory 0 keeps the interpreter's fast path; accesses to other memories look their
    /// memory up in the store on each access.
    pub fn wasm_multi_memory(&mut self, enable: bool) -> &mut Self {
        self.multi_memory = enable;
        self
    }

    /// Enables the memory64 proposal: memories with 64-bit addresses (`i64` addresses, sizes
    /// and `memory.grow` deltas), and tables with 64-bit indices ("table64": `i64` indices
    /// for `table.get`, `table.set`, `table.fill`, `table.copy`, `table.init` and
    /// `call_indirect`, `i64` results of `table.size` and `table.grow`, `i64` offsets of
    /// element segments). Default: off, as in Wasmtime.
    ///
    /// Accesses to a 64-bit memory look the memory up in the store on each access, as
    /// accesses to memories other than 0 do; a memory still holds at most 4 GiB in Weft, so
    /// growing one beyond that fails (`memory.grow` returns -1). A 64-bit table holds at
    /// most 10,000,000 elements, as a 32-bit one does.
    pub fn wasm_memory64(&mut self, enable: bool) -> &mut Self {
        self.memory64 = enable;
        self
    }

    /// Enables the typed function references proposal (part of WebAssembly 3.0):
    /// non-nullable reference types (`(ref func)`), references to functions of a concrete
    /// type (`(ref $t)`, `(ref null $t)`) and the bottom types `nofunc` and `noextern`,
    /// `call_ref`, `ref.as_non_null`, `br_on_null` and `br_on_non_null`, locals of
    /// non-nullable type and tables with an initializer expression. Default: off, as in
    /// Wasmtime.
    ///
    /// It needs [`Config::wasm_reference_types`]: [`Engine::new`](crate::Engine::new)
    /// refuses a configuration with this on and that off.
    ///
    /// `call_ref` on a null reference traps with
    /// [`TrapCode::NullFunctionReference`](crate::TrapCode::NullFunctionReference) ("null
    /// function reference"), and `ref.as_non_null` on null with
    /// [`TrapCode::NullReference`](crate::TrapCode::NullReference) ("null reference"). Import matching,
    /// [`Func::typed`](crate::Func::typed) and the checks of [`Val`](crate::Val)s given to
    /// tables and globals follow the proposal's subtyping (spec §3.3.3 "Matching"): a
    /// `(ref $t)` is a `(ref null $t)`, a `(ref func)` and a `funcref`, not the reverse.
    pub fn wasm_function_references(&mut self, enable: bool) -> &mut Self {
        self.function_references = enable;
        self
    }

    /// Enables the custom-page-sizes proposal: a memory may declare its page size,
    /// `(memory 3 (pagesize 1))`, of 1 byte or 64 KiB (the default). Such a memory's limits,
    /// `memory.size`, `memory.grow` and [`Memory::size`](crate::Memory::size) /
    /// [`Memory::grow`](crate::Memory::grow) count in its own pages, and its bytes end
    /// exactly at its size: an access past the 3rd byte of the memory above traps. A 32-bit
    /// memory of 1-byte pages holds at most 2^32 - 1 bytes. A memory imported must declare
    /// the page size of the memory given for it. Default: off, as in Wasmtime.
    pub fn wasm_custom_page_sizes(&mut self, enable: bool) -> &mut Self {
        self.custom_page_sizes = enable;
        self
    }

    /// The most stack, in bytes, that WebAssembly execution may use, wasm called from host
    /// functions called by wasm included. The active wasm frames are charged 8 bytes per
    /// value-stack slot they span (a callee's frame starts at its arguments, which its
    /// caller's frame holds, so they count once) plus 64 bytes per frame; a call that would
    /// exceed the limit traps with [`TrapCode::StackOverflow`](crate::TrapCode::StackOverflow)
    /// ("call stack exhausted"), and so does a call for which the host cannot allocate the
    /// stack. Default: 512 KiB.
    ///
    /// Values above 256 MiB are clamped to 256 MiB, so `usize::MAX` asks for the largest
    /// stack Weft allows.
    ///
    /// # Host stack
    ///
    /// Wasm calls do not recurse on the host's stack, so the limit may be larger than the host
    /// thread's stack. What does use the host stack is each call from the host into wasm: up
    /// to about 40 KiB for Weft's own work in a debug build (a few KiB optimized), and for
    /// each level of re-entrance (a host function that wasm called calling wasm again) about
    /// 0.75 KiB optimized and 3 KiB in debug builds, plus what the host functions themselves
    /// use. A call made while another is running on the same thread, in any store, traps with
    /// `StackOverflow` instead of entering wasm when
    ///
    /// - less than **128 KiB** of host stack is left on the thread,
    /// - the calls running on the thread have used more than 1 MiB of host stack since the
    ///   outermost of them, or
    /// - 1000 calls into wasm are already running in the store.
    ///
    /// So a thread that runs WebAssembly needs a stack of at least **256 KiB**, more if the
    /// host functions it calls use much stack themselves. Rust's default 2 MiB for spawned
    /// threads (and the 8 MiB main thread on Linux) is ample.
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes.min(MAX_WASM_STACK);
        self
    }

    /// When function bodies are translated; see [`CompilationMode`]. Default: eager.
    pub fn compilation_mode(&mut self, mode: CompilationMode) -> &mut Self {
        self.compilation_mode = mode;
        self
    }

    /// Makes execution consume fuel (see [`Store::set_fuel`](crate::Store::set_fuel)).
    /// Default: off.
    ///
    /// One unit of fuel is one WebAssembly operator; `end`, `else` and other purely
    /// structural operators are free. Fuel is charged up front, once per block, for all of
    /// its operators. A block starts at the function's entry and at every branch target (a
    /// `loop`, an `else` arm, the end of a `block` or `if` that a branch reaches, the code
    /// after a `loop`) and runs to the next one: the code after a `br_if`, a call or an `if`
    /// stays in its block, so a branch taken out of a block forfeits the fuel of the
    /// operators it skips. Consumption is deterministic: the same module and inputs use the
    /// same fuel on every run and machine. A block whose cost exceeds the remaining fuel traps
    /// with [`TrapCode::OutOfFuel`](crate::TrapCode::OutOfFuel) before it runs.
    ///
    /// Cost: about +6–7% execution time (geomean over the benchmark workloads, measured with
    /// `cargo run --release -p weft --example fuel_epoch_overhead`); nothing when off.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.consume_fuel = enable;
        self
    }

    /// Makes execution check the engine's epoch against the store's deadline at function
    /// entry and loop back-edges (see [`Engine::increment_epoch`](crate::Engine::increment_epoch)).
    /// Default: off.
    ///
    /// Cost: about +2–4% execution time (geomean over the benchmark workloads, measured with
    /// `cargo run --release -p weft --example fuel_epoch_overhead`); nothing when off.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.epoch_interruption = enable;
        self
    }

    /// Enables the Component Model: [`Component::new`](crate::component::Component::new)
    /// accepts components only when this is on. Default: on when the `component-model` cargo
    /// feature is (it is by default); turning it on without the cargo feature has no effect.
    ///
    /// The asynchronous parts of the Component Model (`async` functions and canonical options,
    /// streams, futures, tasks, error contexts) are not supported: components that use them are
    /// rejected with an error saying so.
    pub fn wasm_component_model(&mut self, enable: bool) -> &mut Self {
        self.component_model = enable && cfg!(feature = "component-model");
        self
    }

    /// Whether a trap's error carries the wasm backtrace of where it happened, as a
    /// [`WasmBacktrace`](crate::WasmBacktrace) context. Default: on. Turning it
    /// off saves the cost of collecting the frames when traps are frequent and expected.
    pub fn wasm_backtrace(&mut self, enable: bool) -> &mut Self {
        self.wasm_backtrace = enable;
        self
    }
}

/// Settings of Wasmtime's `Config` that Weft accepts so that code written for Wasmtime
/// compiles unchanged. Each says what it means here:
///
/// - **Accepted, without effect**: settings of a native code generator or of virtual-memory
///   tuning, which change speed or memory layout but nothing a program or the embedder can
///   observe (the results, traps and errors are the same).
/// - **Refused when enabled**: proposals and features Weft does not implement. Turning one on
///   makes [`Engine::new`](crate::Engine::new) fail with an error naming the setting, rather
///   than failing later on the first module that uses it; turning it off is accepted.
impl Config {
    /// Accepted without effect: Weft always runs its interpreter, whatever compiler is asked
    /// for. Results are the same; only speed differs.
    pub fn strategy(&mut self, _strategy: Strategy) -> &mut Self {
        self
    }

    /// Accepted without effect: Weft has no optimizing code generator to tune.
    pub fn cranelift_opt_level(&mut self, _level: OptLevel) -> &mut Self {
        self
    }

    /// Accepted without effect: no code generator runs, so there is no verifier to enable.
    pub fn cranelift_debug_verifier(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Refused when enabled: Weft does not canonicalize NaNs, and doing so changes the bits
    /// of float results that a program can observe.
    pub fn cranelift_nan_canonicalization(&mut self, enable: bool) -> &mut Self {
        self.refuse_if("cranelift_nan_canonicalization", enable)
    }

    /// Accepted without effect: Weft translates a module's functions on one thread.
    pub fn parallel_compilation(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: Weft keeps no on-disk cache of compiled code (translation
    /// is fast). To skip translation, precompile a module and deserialize it.
    pub fn cache(&mut self, _cache: Option<Cache>) -> &mut Self {
        self
    }

    /// Accepted without effect for any target triple: Weft's bytecode is the same on every
    /// host, so a module compiled here runs on any platform Weft runs on.
    ///
    /// # Errors
    ///
    /// None; the `Result` is Wasmtime's signature, where an unknown target is an error.
    pub fn target(&mut self, _target: &str) -> crate::Result<&mut Self> {
        Ok(self)
    }

    /// Accepted without effect: no code generator runs, so it has no flags.
    ///
    /// # Safety
    ///
    /// None needed in Weft; the function is `unsafe` to keep Wasmtime's signature.
    #[allow(unsafe_code)] // An `unsafe fn` for Wasmtime's signature; the body is safe.
    pub unsafe fn cranelift_flag_enable(&mut self, _flag: &str) -> &mut Self {
        self
    }

    /// Accepted without effect: no code generator runs, so it has no settings.
    ///
    /// # Safety
    ///
    /// None needed in Weft; the function is `unsafe` to keep Wasmtime's signature.
    #[allow(unsafe_code)] // An `unsafe fn` for Wasmtime's signature; the body is safe.
    pub unsafe fn cranelift_flag_set(&mut self, _name: &str, _value: &str) -> &mut Self {
        self
    }

    /// Accepted without effect: there is no native code for a debugger to see.
    pub fn debug_info(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: there is no native code to map back to wasm offsets.
    pub fn generate_address_map(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: there is no native code to unwind.
    pub fn native_unwind_info(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: Weft reports no wasm source locations (DWARF) in backtraces
    /// either way; frames name the module and function.
    pub fn wasm_backtrace_details(&mut self, _details: WasmBacktraceDetails) -> &mut Self {
        self
    }

    /// Accepted without effect: Weft bounds-checks every memory access in the interpreter
    /// and reserves address space for a memory as its size requires, not by this setting.
    pub fn memory_reservation(&mut self, _bytes: u64) -> &mut Self {
        self
    }

    /// Accepted without effect: no guard pages are needed, as every access is checked.
    pub fn memory_guard_size(&mut self, _bytes: u64) -> &mut Self {
        self
    }

    /// Accepted without effect: see [`Config::memory_reservation`].
    pub fn memory_reservation_for_growth(&mut self, _bytes: u64) -> &mut Self {
        self
    }

    /// Accepted without effect: whether a memory's base address moves when it grows cannot
    /// be observed through Weft's API, whose slices borrow the store.
    pub fn memory_may_move(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: see [`Config::memory_guard_size`].
    pub fn guard_before_linear_memory(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Whether instantiation may map a module's data segments copy-on-write from a memory
    /// image instead of copying them (default: on). With it, the first instantiation of a
    /// module builds, for each memory whose active data segments all have constant offsets
    /// and fit in its initial size, an image of the initialized pages (on Linux, a sealed
    /// `memfd`); each memory then maps it, so that instantiation writes nothing and the pages
    /// are shared until written. The first growth of such a memory copies it into one
    /// anonymous mapping. Off, or on other platforms, the segments are copied into zeroed
    /// pages. The contents a program sees are the same either way.
    pub fn memory_init_cow(&mut self, enable: bool) -> &mut Self {
        self.memory_init_cow = enable;
        self
    }

    /// Accepted without effect: tables are initialized when created.
    pub fn table_lazy_init(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// Accepted without effect: Weft never uses signal handlers; every trap is detected by
    /// an explicit check.
    pub fn signals_based_traps(&mut self, _enable: bool) -> &mut Self {
        self
    }

    /// How instances' memories and tables are allocated: on demand (the default) or from a
    /// pool bounded in advance and shared by the engine's stores; see
    /// [`PoolingAllocationConfig`].
    pub fn allocation_strategy(&mut self, strategy: InstanceAllocationStrategy) -> &mut Self {
        self.allocation = strategy;
        self
    }

    /// Accepted when [`ProfilingStrategy::None`]; any profiler is refused.
    pub fn profiler(&mut self, profiler: ProfilingStrategy) -> &mut Self {
        self.refuse_if("profiler", profiler != ProfilingStrategy::None)
    }

    /// Refused when enabled: Weft has no async support (`call_async`, async host functions).
    pub fn async_support(&mut self, enable: bool) -> &mut Self {
        self.refuse_if("async_support", enable)
    }

    /// Refused when enabled: Weft writes no core dumps on traps.
    pub fn coredump_on_trap(&mut self, enable: bool) -> &mut Self {
        self.refuse_if("coredump_on_trap", enable)
    }
}

/// Defines one setter per WebAssembly proposal Weft does not implement yet: off by default,
/// refused by [`Engine::new`](crate::Engine::new) when turned on.
macro_rules! unsupported_proposals {
    ($($(#[$doc:meta])* $setter:ident;)*) => {
        /// WebAssembly proposals that Weft does not implement yet. Each is off by default;
        /// turning one on makes [`Engine::new`](crate::Engine::new) fail with an error naming
        /// the setter, and turning it off (as code written for Wasmtime often does) is accepted.
        impl Config {
            $(
                $(#[$doc])*
                ///
                /// Refused when enabled: not implemented by Weft yet.
                pub fn $setter(&mut self, enable: bool) -> &mut Self {
                    self.refuse_if(stringify!($setter), enable)
                }
            )*
        }
    };
}

unsupported_proposals! {
    /// The threads proposal (shared memories, atomics).
    wasm_threads;
    /// The garbage collection proposal.
    wasm_gc;
    /// The exception-handling proposal.
    wasm_exceptions;
    /// The stack-switching proposal.
    wasm_stack_switching;
    /// The Component Model's async features (streams, futures, tasks).
    wasm_component_model_async;
}

/// A compilation cache as Wasmtime configures one; accepted by [`Config::cache`] without
/// effect.
#[derive(Debug, Clone, Default)]
pub struct Cache(());

impl Cache {
    /// A cache configured by the TOML file at `path`, or by the default configuration with
    /// `None`. The file is read but its settings do nothing in Weft.
    ///
    /// # Errors
    ///
    /// An error naming the file if it cannot be read.
    pub fn from_file(path: Option<&std::path::Path>) -> crate::Result<Cache> {
        if let Some(path) = path {
            std::fs::read(path).map_err(|error| {
                crate::Error::msg(format!(
                    "failed to read the cache configuration `{}`: {error}",
                    path.display()
                ))
            })?;
        }
        Ok(Cache(()))
    }
}

/// The compiler Wasmtime would use; accepted by [`Config::strategy`] without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// The engine's choice.
    #[default]
    Auto,
    /// Cranelift.
    Cranelift,
    /// Winch.
    Winch,
}

/// Cranelift's optimization level; accepted by [`Config::cranelift_opt_level`] without
/// effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OptLevel {
    /// No optimization.
    None,
    /// Optimize for speed.
    #[default]
    Speed,
    /// Optimize for speed and size.
    SpeedAndSize,
}

/// Whether backtraces carry DWARF source locations; accepted by
/// [`Config::wasm_backtrace_details`] without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WasmBacktraceDetails {
    /// Include source locations.
    Enable,
    /// Leave them out.
    Disable,
    /// Decide from the `WASMTIME_BACKTRACE_DETAILS` environment variable.
    #[default]
    Environment,
}

/// A profiler to report generated code to; see [`Config::profiler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ProfilingStrategy {
    /// No profiler (the only one Weft accepts).
    #[default]
    None,
    /// Linux `perf` map files.
    PerfMap,
    /// Linux `perf` jitdump files.
    JitDump,
    /// Intel VTune.
    VTune,
    /// Wasmtime's Pulley interpreter's profiler.
    Pulley,
}

/// How instances' memories and tables are allocated; see [`Config::allocation_strategy`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum InstanceAllocationStrategy {
    /// Allocate each memory and table when it is created, and free it with its store (the
    /// default).
    #[default]
    OnDemand,
    /// Allocate from pools bounded in advance and shared by every store of the engine; see
    /// [`PoolingAllocationConfig`].
    Pooling(PoolingAllocationConfig),
}

/// The bounds of the pooling allocator, for [`InstanceAllocationStrategy::Pooling`], with
/// Wasmtime's names and defaults.
///
/// With pooling, every store of an engine draws its core instances, linear memories and
/// tables from one pool of fixed size: creating more than the pool holds at once is an
/// error (a [`ErrorKind::ResourceExhausted`](crate::ErrorKind::ResourceExhausted) naming
/// the bound), never an abort, and what a dropped store held goes back to the pool. The
/// linear memories of dropped stores are kept, up to
/// [`PoolingAllocationConfig::max_unused_warm_slots`], and reused zeroed by later stores,
/// which saves mapping fresh pages at instantiation.
///
/// ```
/// use weft::{Config, Engine, InstanceAllocationStrategy, Module, PoolingAllocationConfig, Store};
/// let mut pool = PoolingAllocationConfig::new();
/// pool.total_memories(1).max_memory_size(1 << 20);
/// let mut config = Config::new();
/// config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
/// let engine = Engine::new(&config)?;
/// let module = Module::new(&engine, "(module (memory 1))")?;
/// let mut first = Store::new(&engine, ());
/// weft::Instance::new(&mut first, &module, &[])?;
/// let mut second = Store::new(&engine, ());
/// assert!(weft::Instance::new(&mut second, &module, &[]).is_err(), "the pool is full");
/// drop(first);
/// weft::Instance::new(&mut second, &module, &[])?;
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolingAllocationConfig {
    pub(crate) total_core_instances: u32,
    pub(crate) total_memories: u32,
    pub(crate) total_tables: u32,
    pub(crate) max_memories_per_module: u32,
    pub(crate) max_tables_per_module: u32,
    pub(crate) max_memory_size: usize,
    pub(crate) table_elements: usize,
    pub(crate) max_unused_warm_slots: u32,
    pub(crate) linear_memory_keep_resident: usize,
}

impl Default for PoolingAllocationConfig {
    fn default() -> Self {
        PoolingAllocationConfig {
            total_core_instances: 1000,
            total_memories: 1000,
            total_tables: 1000,
            max_memories_per_module: 1,
            max_tables_per_module: 1,
            max_memory_size: 4 << 30,
            table_elements: 20_000,
            max_unused_warm_slots: 100,
            linear_memory_keep_resident: 0,
        }
    }
}

impl PoolingAllocationConfig {
    /// A pooling configuration with Wasmtime's defaults: 1,000 core instances, memories and
    /// tables in all, one memory and one table per module, memories of at most 4 GiB, tables
    /// of at most 20,000 elements, and 100 warm memories kept for reuse.
    pub fn new() -> Self {
        PoolingAllocationConfig::default()
    }

    /// The most core instances alive at once, in all the engine's stores. Default: 1,000.
    pub fn total_core_instances(&mut self, count: u32) -> &mut Self {
        self.total_core_instances = count;
        self
    }

    /// The most linear memories alive at once, in all the engine's stores. Default: 1,000.
    pub fn total_memories(&mut self, count: u32) -> &mut Self {
        self.total_memories = count;
        self
    }

    /// The most tables alive at once, in all the engine's stores. Default: 1,000.
    pub fn total_tables(&mut self, count: u32) -> &mut Self {
        self.total_tables = count;
        self
    }

    /// The most memories one module may define; instantiating a module that defines more is
    /// an error. Default: 1.
    pub fn max_memories_per_module(&mut self, count: u32) -> &mut Self {
        self.max_memories_per_module = count;
        self
    }

    /// The most tables one module may define; instantiating a module that defines more is an
    /// error. Default: 1.
    pub fn max_tables_per_module(&mut self, count: u32) -> &mut Self {
        self.max_tables_per_module = count;
        self
    }

    /// The most bytes one linear memory may have: creating a larger one is an error, and
    /// `memory.grow` beyond it returns -1. Default: 4 GiB.
    pub fn max_memory_size(&mut self, bytes: usize) -> &mut Self {
        self.max_memory_size = bytes;
        self
    }

    /// The most elements one table may have: creating a larger one is an error, and
    /// `table.grow` beyond it returns -1. Default: 20,000.
    pub fn table_elements(&mut self, elements: usize) -> &mut Self {
        self.table_elements = elements;
        self
    }

    /// How many bytes at the start of a reused memory are zeroed by writing them, so that
    /// they stay resident and the next instance takes no page faults on them (the rest are
    /// given back to the OS, which zeroes them on the next touch). Larger values trade
    /// zeroing work at instantiation, even of bytes the last instance never touched, for
    /// fewer page faults; worth it for modules whose data segments or early writes cover
    /// that much. Rounded down to whole 64 KiB pages. Default: 0.
    pub fn linear_memory_keep_resident(&mut self, bytes: usize) -> &mut Self {
        self.linear_memory_keep_resident = bytes;
        self
    }

    /// How many memories of dropped stores are kept mapped, zeroed, for reuse. Default: 100.
    pub fn max_unused_warm_slots(&mut self, count: u32) -> &mut Self {
        self.max_unused_warm_slots = count;
        self
    }
}

impl Config {
    /// The wasmparser feature set this configuration accepts.
    pub(crate) fn wasm_features(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as F;
        let mut features = F::FLOATS | F::GC_TYPES;
        features.set(F::MULTI_VALUE, self.multi_value);
        features.set(F::BULK_MEMORY, self.bulk_memory);
        features.set(F::REFERENCE_TYPES, self.reference_types);
        features.set(F::SIGN_EXTENSION, self.sign_extension);
        features.set(F::SATURATING_FLOAT_TO_INT, self.saturating_float_to_int);
        features.set(F::MUTABLE_GLOBAL, self.mutable_global);
        features.set(F::EXTENDED_CONST, self.extended_const);
        features.set(F::WIDE_ARITHMETIC, self.wide_arithmetic);
        features.set(F::TAIL_CALL, self.tail_call);
        features.set(F::SIMD, self.simd);
        features.set(F::RELAXED_SIMD, self.simd && self.relaxed_simd);
        features.set(F::MULTI_MEMORY, self.multi_memory);
        features.set(F::MEMORY64, self.memory64);
        features.set(F::FUNCTION_REFERENCES, self.function_references);
        features.set(F::CUSTOM_PAGE_SIZES, self.custom_page_sizes);
        features
    }

    /// The wasmparser feature set for components: the core features plus the synchronous
    /// Component Model.
    #[cfg(feature = "component-model")]
    pub(crate) fn component_features(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as F;
        let mut features = self.wasm_features();
        features.set(F::COMPONENT_MODEL, self.component_model);
        // Accepted by the validator so that translation can reject them with a message that
        // names what is unsupported, rather than a feature flag.
        features.set(
            F::CM_VALUES
                | F::CM_ASYNC
                | F::CM_ASYNC_STACKFUL
                | F::CM_MORE_ASYNC_BUILTINS
                | F::CM_ERROR_CONTEXT
                | F::CM_THREADING,
            self.component_model,
        );
        features
    }
}
