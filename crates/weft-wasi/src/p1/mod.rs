//! WASI preview 1 (`wasi_snapshot_preview1`) for core WebAssembly modules.
//!
//! [`add_to_linker`] defines the 46 functions of the snapshot in a [`weft::Linker`]. Each
//! function is implemented by a plain Rust function of the [`WasiCtx`] and the guest's memory
//! (`cli`, `fs`, `poll` and `sock` hold them); the glue here lends both for the duration of a
//! call.
//!
//! # How a call reaches the context and the memory
//!
//! A host function gets a [`weft::Caller`], through which both the store's data (where the
//! `WasiCtx` lives) and the instance's memory are reached — but only one at a time, since both
//! borrow the caller mutably. The glue therefore moves the `WasiCtx` out of the store's data
//! for the call (leaving a placeholder that allocates nothing), borrows the memory, runs the
//! implementation with both, and moves the context back. Host functions of preview 1 never
//! call back into WebAssembly, so nothing can observe the placeholder.
//!
//! # Errors
//!
//! A function's result is a WASI errno. A guest that breaks the calling convention — a
//! pointer outside its memory or misaligned, an enum or flags argument with an undefined
//! value — makes the call trap with an error naming the function, as the witx rules for
//! preview 1 require and as Wasmtime does. `proc_exit(n)` ends the call with an [`I32Exit`]
//! error. Nothing a guest passes can make the host panic.
//!
//! # Sandboxing
//!
//! Paths are resolved by [cap-std](https://docs.rs/cap-std) relative to a directory
//! descriptor: `..`, absolute paths and symlinks that would leave the directory fail with
//! `EPERM`. Grants made with [`DirPerms`](crate::DirPerms) and
//! [`FilePerms`](crate::FilePerms) are checked before the host is asked; refusals are `EPERM`.

mod cli;
mod fs;
mod memory;
mod poll;
mod sock;
pub(crate) mod table;
mod types;

use crate::ctx::WasiCtx;
use crate::exit::I32Exit;
use core::fmt;
use memory::GuestMemory;
use types::{Fail, SysResult};
use weft::{Caller, Error, Extern, Linker};

/// The module name of every preview 1 import.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// A guest broke the calling convention of a WASI function: the call traps with this error.
#[derive(Debug)]
struct WasiFault {
    func: &'static str,
    message: String,
}

impl fmt::Display for WasiFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{MODULE}::{}: {}", self.func, self.message)
    }
}

impl std::error::Error for WasiFault {}

/// Lends the context and memory to `f` for one call and turns its result into the errno the
/// guest gets, or the error that ends the call.
fn dispatch<T>(
    caller: &mut Caller<'_, T>,
    get_cx: impl Fn(&mut T) -> &mut WasiCtx,
    func: &'static str,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> SysResult<()>,
) -> weft::Result<i32> {
    let Some(memory) = caller.get_export("memory").and_then(Extern::into_memory) else {
        return Err(Error::new(WasiFault {
            func,
            message: "missing required memory export".to_owned(),
        }));
    };
    let mut cx = std::mem::replace(get_cx(caller.data_mut()), WasiCtx::placeholder());
    let result = {
        let mut mem = GuestMemory::new(memory.data_mut(&mut *caller));
        f(&mut cx, &mut mem)
    };
    *get_cx(caller.data_mut()) = cx;
    match result {
        Ok(()) => Ok(0),
        Err(Fail::Errno(errno)) => Ok(i32::from(errno.0)),
        Err(Fail::Fault(message)) => Err(Error::new(WasiFault { func, message })),
        Err(Fail::Host(error)) => Err(error),
    }
}

/// Defines every function of `wasi_snapshot_preview1` in `linker`.
///
/// `get_cx` finds the [`WasiCtx`] in the store's data; with a `Store<WasiCtx>` it is
/// `|cx| cx`. A module that imports these functions must export its memory as `memory`.
///
/// ```
/// use weft::{Engine, Linker, Module, Store};
/// use weft_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};
///
/// struct State {
///     wasi: WasiCtx,
/// }
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
///     (memory (export "memory") 1)
///     (func (export "_start") (call $exit (i32.const 3))))"#)?;
/// let mut linker: Linker<State> = Linker::new(&engine);
/// weft_wasi::p1::add_to_linker(&mut linker, |state: &mut State| &mut state.wasi)?;
/// let mut store = Store::new(&engine, State { wasi: WasiCtxBuilder::new().build() });
/// let instance = linker.instantiate(&mut store, &module)?;
/// let error = instance
///     .get_typed_func::<(), ()>(&mut store, "_start")?
///     .call(&mut store, ())
///     .unwrap_err();
/// assert_eq!(error.downcast_ref::<I32Exit>(), Some(&I32Exit(3)));
/// # Ok::<(), weft::Error>(())
/// ```
///
/// # Errors
///
/// If `linker` already defines one of the functions and does not allow shadowing.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get_cx: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> weft::Result<()> {
    /// One `func_wrap` per function: the closure takes the caller and the raw arguments and
    /// hands them to the implementation with the context and memory.
    macro_rules! define {
        ($($name:ident => $imp:path, ($($arg:ident: $ty:ty),*);)*) => {$(
            linker.func_wrap(
                MODULE,
                stringify!($name),
                move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> weft::Result<i32> {
                    dispatch(&mut caller, get_cx, stringify!($name), |cx, mem| {
                        $imp(cx, mem, $($arg),*)
                    })
                },
            )?;
        )*};
    }

    define! {
        args_get => cli::args_get, (argv: u32, argv_buf: u32);
        args_sizes_get => cli::args_sizes_get, (argc: u32, argv_buf_size: u32);
        environ_get => cli::environ_get, (environ: u32, environ_buf: u32);
        environ_sizes_get => cli::environ_sizes_get, (count: u32, buf_size: u32);
        clock_res_get => cli::clock_res_get, (id: u32, resolution: u32);
        clock_time_get => cli::clock_time_get, (id: u32, precision: u64, time: u32);
        fd_advise => fs::fd_advise, (fd: u32, offset: u64, len: u64, advice: u32);
        fd_allocate => fs::fd_allocate, (fd: u32, offset: u64, len: u64);
        fd_close => fs::fd_close, (fd: u32);
        fd_datasync => fs::fd_datasync, (fd: u32);
        fd_fdstat_get => fs::fd_fdstat_get, (fd: u32, buf: u32);
        fd_fdstat_set_flags => fs::fd_fdstat_set_flags, (fd: u32, flags: u32);
        fd_fdstat_set_rights => fs::fd_fdstat_set_rights, (fd: u32, base: u64, inheriting: u64);
        fd_filestat_get => fs::fd_filestat_get, (fd: u32, buf: u32);
        fd_filestat_set_size => fs::fd_filestat_set_size, (fd: u32, size: u64);
        fd_filestat_set_times => fs::fd_filestat_set_times, (fd: u32, atim: u64, mtim: u64, fst_flags: u32);
        fd_pread => fs::fd_pread, (fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32);
        fd_prestat_get => fs::fd_prestat_get, (fd: u32, buf: u32);
        fd_prestat_dir_name => fs::fd_prestat_dir_name, (fd: u32, path: u32, path_len: u32);
        fd_pwrite => fs::fd_pwrite, (fd: u32, iovs: u32, iovs_len: u32, offset: u64, nwritten: u32);
        fd_read => fs::fd_read, (fd: u32, iovs: u32, iovs_len: u32, nread: u32);
        fd_readdir => fs::fd_readdir, (fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32);
        fd_renumber => fs::fd_renumber, (fd: u32, to: u32);
        fd_seek => fs::fd_seek, (fd: u32, offset: i64, whence: u32, newoffset: u32);
        fd_sync => fs::fd_sync, (fd: u32);
        fd_tell => fs::fd_tell, (fd: u32, offset: u32);
        fd_write => fs::fd_write, (fd: u32, iovs: u32, iovs_len: u32, nwritten: u32);
        path_create_directory => fs::path_create_directory, (fd: u32, path: u32, path_len: u32);
        path_filestat_get => fs::path_filestat_get, (fd: u32, flags: u32, path: u32, path_len: u32, buf: u32);
        path_filestat_set_times => fs::path_filestat_set_times, (fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32);
        path_link => fs::path_link, (old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
        path_open => fs::path_open, (fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, rights_base: u64, rights_inheriting: u64, fdflags: u32, opened: u32);
        path_readlink => fs::path_readlink, (fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, bufused: u32);
        path_remove_directory => fs::path_remove_directory, (fd: u32, path: u32, path_len: u32);
        path_rename => fs::path_rename, (fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
        path_symlink => fs::path_symlink, (old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32);
        path_unlink_file => fs::path_unlink_file, (fd: u32, path: u32, path_len: u32);
        poll_oneoff => poll::poll_oneoff, (subscriptions: u32, events: u32, count: u32, nevents: u32);
        proc_raise => cli::proc_raise, (signal: u32);
        sched_yield => cli::sched_yield, ();
        random_get => cli::random_get, (buf: u32, buf_len: u32);
        sock_accept => sock::sock_accept, (fd: u32, flags: u32, accepted: u32);
        sock_recv => sock::sock_recv, (fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, ro_datalen: u32, ro_flags: u32);
        sock_send => sock::sock_send, (fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, so_datalen: u32);
        sock_shutdown => sock::sock_shutdown, (fd: u32, how: u32);
    }

    // `proc_exit` returns nothing: it always ends the call.
    linker.func_wrap(
        MODULE,
        "proc_exit",
        move |mut caller: Caller<'_, T>, status: u32| -> weft::Result<()> {
            dispatch(&mut caller, get_cx, "proc_exit", |_, _| {
                Err(cli::proc_exit(status))
            })
            .map(drop)
        },
    )?;
    Ok(())
}

/// Checks a flags argument: bits outside `all` are a fault.
fn flags<T: TryFrom<u32> + Into<u32> + Copy>(name: &str, value: u32, all: T) -> SysResult<T> {
    match T::try_from(value) {
        Ok(v) if value & !all.into() == 0 => Ok(v),
        _ => Err(types::fault(format!(
            "invalid flags value {value:#x} for {name}"
        ))),
    }
}

/// Checks an enum argument: values past `max` are a fault.
fn enum_value(name: &str, value: u32, max: u32) -> SysResult<u32> {
    if value <= max {
        Ok(value)
    } else {
        Err(types::fault(format!(
            "invalid enum value {value} for {name}"
        )))
    }
}

impl From<I32Exit> for Fail {
    fn from(exit: I32Exit) -> Self {
        Fail::Host(Error::new(exit))
    }
}

/// The WASI context of a core module, under the name Wasmtime 48 gives it
/// (`wasmtime_wasi::p1::WasiP1Ctx`). Weft has one context type for every WASI version, so
/// this is [`WasiCtx`]; [`WasiCtxBuilder::build_p1`](crate::WasiCtxBuilder::build_p1) makes one.
pub type WasiP1Ctx = WasiCtx;

/// [`add_to_linker`] under the name Wasmtime 48 gives it, for code written against
/// `wasmtime_wasi::p1::add_to_linker_sync`.
///
/// ```
/// use weft::{Engine, Linker, Store};
/// use weft_wasi::WasiCtx;
/// use weft_wasi::p1::WasiP1Ctx;
///
/// let engine = Engine::default();
/// let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
/// weft_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx)?;
/// let store = Store::new(&engine, WasiCtx::builder().inherit_stdio().build_p1());
/// # drop(store);
/// # Ok::<(), weft::Error>(())
/// ```
///
/// # Errors
///
/// As [`add_to_linker`].
pub fn add_to_linker_sync<T: 'static>(
    linker: &mut Linker<T>,
    get_cx: impl Fn(&mut T) -> &mut WasiP1Ctx + Send + Sync + Copy + 'static,
) -> weft::Result<()> {
    add_to_linker(linker, get_cx)
}
