//! WASI for Weft: the host side of the WebAssembly System Interface.
//!
//! A guest reaches the outside world only through what its [`WasiCtx`] grants: arguments,
//! environment variables, standard streams, clocks, randomness and *preopened* directories.
//! Files are reached through [cap-std], so no guest path — `..`, absolute, or through a
//! symlink — leads outside a preopened directory, and read-only grants ([`DirPerms`],
//! [`FilePerms`]) refuse writes with an errno.
//!
//! | module | what |
//! |---|---|
//! | [`ctx`] | [`WasiCtxBuilder`] and [`WasiCtx`], shared by every WASI version |
//! | [`p1`] | `wasi_snapshot_preview1` for core modules: [`p1::add_to_linker`] |
//! | [`p2`] | WASI 0.2 for components: [`p2::add_to_linker_sync`] |
//!
//! Running a WASI command with its output captured in memory:
//!
//! ```
//! use weft::{Engine, Linker, Module, Store};
//! use weft_wasi::{MemoryOutputPipe, WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"(module
//!     (import "wasi_snapshot_preview1" "fd_write"
//!         (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 16) "hello\n")
//!     (func (export "_start")
//!         (i32.store (i32.const 0) (i32.const 16))
//!         (i32.store (i32.const 4) (i32.const 6))
//!         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#)?;
//!
//! let stdout = MemoryOutputPipe::new();
//! let wasi = WasiCtxBuilder::new().stdout(stdout.clone()).build();
//! let mut linker: Linker<WasiCtx> = Linker::new(&engine);
//! weft_wasi::p1::add_to_linker(&mut linker, |cx| cx)?;
//! let mut store = Store::new(&engine, wasi);
//! let instance = linker.instantiate(&mut store, &module)?;
//! instance.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
//! assert_eq!(stdout.contents(), b"hello\n");
//! # Ok::<(), weft::Error>(())
//! ```
//!
//! [cap-std]: https://docs.rs/cap-std

pub mod clocks;
pub mod ctx;
mod exit;
pub mod p1;
pub mod p2;
pub mod pipe;
pub mod random;
pub mod stream;

pub use clocks::{MonotonicClock, WallClock};
pub use ctx::{DirPerms, FilePerms, SocketAddrUse, WasiCtx, WasiCtxBuilder};
pub use exit::I32Exit;
pub use p2::{WasiCtxView, WasiView};
pub use pipe::{MemoryInputPipe, MemoryOutputPipe};
pub use random::RandomSource;
pub use stream::{InputStream, OutputStream};
