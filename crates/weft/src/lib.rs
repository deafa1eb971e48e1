//! Weft: a WebAssembly runtime with its own register-based interpreter.
//!
//! Weft's embedding API is shaped like Wasmtime's: a [`Config`] makes an [`Engine`], which
//! compiles [`Module`]s; a [`Store`] holds all run-time state and the embedder's data; a
//! [`Linker`] resolves imports; an [`Instance`] exposes [`Func`]s, [`Memory`]s, [`Global`]s and
//! [`Table`]s.
//!
//! ```
//! use weft::{Caller, Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (func (export "run") (param i32) (result i32)
//!         local.get 0
//!         call $log
//!         local.get 0
//!         i32.const 1
//!         i32.add))
//! "#)?;
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<i32>>, x: i32| {
//!     caller.data_mut().push(x);
//! })?;
//! let mut store = Store::new(&engine, Vec::new());
//! let instance = linker.instantiate(&mut store, &module)?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 41)?, 42);
//! assert_eq!(store.data(), &[41]);
//! # Ok::<(), weft::Error>(())
//! ```
//!
//! # Cargo features
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `component-model` | yes | [`component`]: components, the Canonical ABI, the component [`component::Linker`] |
//! | `extra-checks` | no | Re-checks the interpreter's invariants (the frame's slots, the instruction pointer, the memory view, the accumulator) before every instruction, and panics with an internal-error message on a violation instead of relying on them unchecked. A testing aid for Weft itself (`cargo test -p weft-tests --features extra-checks` runs the integration tests with it); it slows execution down, and with it off none of it is compiled. |

#[cfg(feature = "component-model")]
pub mod component;

// The component derives name `::weft`; the crate's own tests use them too.
#[cfg(all(test, feature = "component-model"))]
extern crate self as weft;
mod config;
mod context;
mod engine;
pub mod error;
mod exec;
mod externals;
mod func;
mod gc;
mod index;
mod instance;
mod ir;
mod limits;
mod linear_memory;
mod linker;
mod module;
mod pool;
mod store;
mod translate;
mod trap;
mod types;
mod values;

pub use anyhow::{Context, bail, ensure, format_err};
pub use config::{
    Cache, CompilationMode, Config, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
    ProfilingStrategy, Strategy, WasmBacktraceDetails,
};
pub use context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
pub use engine::Engine;
pub use error::{Error, ErrorExt, ErrorKind, Result};
pub use exec::simd::V128;
pub use externals::{Extern, Global, Memory, MemoryAccessError, Table};
pub use func::{Caller, Func, HostResult, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use gc::{ExternRef, GcHeapOutOfMemory, OwnedRooted, RootScope, Rooted};
pub use instance::{Export, Instance};
pub use limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT, ResourceLimiter,
    StoreLimits, StoreLimitsBuilder,
};
pub use linker::{InstancePre, Linker, UnknownImportError};
pub use module::{Module, ModuleExport, Precompiled, ResourcesRequired};
pub use store::{Store, UpdateDeadline};
pub use trap::{FrameInfo, Trap, TrapCode, WasmBacktrace};
pub use types::{
    ConcreteFuncType, ExportType, ExternType, FuncType, GlobalType, HeapType, ImportType,
    MemoryType, MemoryTypeBuilder, Mutability, RefType, TableType, ValType,
};
pub use values::{Ref, Val};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
