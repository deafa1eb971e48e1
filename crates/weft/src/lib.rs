//! Weft: a WebAssembly runtime with its own register-based interpreter.

mod config;
mod engine;
mod error;
mod exec;
mod func;
mod ir;
mod module;
mod store;
mod translate;
mod trap;
mod types;

pub use config::{CompilationMode, Config};
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use func::Caller;
pub use module::Module;
pub use store::Store;
pub use trap::{FrameInfo, Trap, TrapCode};
pub use types::{
    ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, Mutability, RefType,
    TableType, ValType,
};
