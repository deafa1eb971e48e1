//! Arguments, environment, clocks, randomness and the process: the preview 1 functions that
//! do not touch descriptors.

use super::memory::GuestMemory;
use super::types::{Errno, Fail, SysResult, clockid};
use super::{enum_value, types};
use crate::ctx::WasiCtx;
use crate::exit::I32Exit;
use weft::Error;

/// Writes a list of strings the C way: an array of pointers at `list` and the NUL-terminated
/// strings one after another at `buf`.
fn write_strings<'s>(
    mem: &mut GuestMemory<'_>,
    strings: impl Iterator<Item = Vec<u8>> + 's,
    list: u32,
    buf: u32,
) -> SysResult<()> {
    let mut list = u64::from(list);
    let mut buf = u64::from(buf);
    for mut s in strings {
        s.push(0);
        let (Ok(l), Ok(b)) = (u32::try_from(list), u32::try_from(buf)) else {
            return Err(types::fault("string list past the end of memory"));
        };
        mem.write_u32(l, b)?;
        mem.write(b, &s, 1)?;
        list += 4;
        buf += s.len() as u64;
    }
    Ok(())
}

/// The sizes of a string list: how many, and how many bytes with their NULs.
fn sizes<'s>(strings: impl Iterator<Item = usize> + 's) -> SysResult<(u32, u32)> {
    let mut count: u32 = 0;
    let mut bytes: u32 = 0;
    for len in strings {
        count = count.checked_add(1).ok_or(Errno::OVERFLOW)?;
        let len = u32::try_from(len).map_err(|_| Errno::OVERFLOW)?;
        bytes = bytes
            .checked_add(len)
            .and_then(|b| b.checked_add(1))
            .ok_or(Errno::OVERFLOW)?;
    }
    Ok((count, bytes))
}

pub(super) fn args_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argv: u32,
    argv_buf: u32,
) -> SysResult<()> {
    write_strings(
        mem,
        cx.args.iter().map(|a| a.as_bytes().to_vec()),
        argv,
        argv_buf,
    )
}

pub(super) fn args_sizes_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argc: u32,
    argv_buf_size: u32,
) -> SysResult<()> {
    let (count, bytes) = sizes(cx.args.iter().map(String::len))?;
    mem.write_u32(argc, count)?;
    mem.write_u32(argv_buf_size, bytes)
}

pub(super) fn environ_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    environ: u32,
    environ_buf: u32,
) -> SysResult<()> {
    let vars = cx.env.iter().map(|(k, v)| format!("{k}={v}").into_bytes());
    write_strings(mem, vars, environ, environ_buf)
}

pub(super) fn environ_sizes_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    buf_size: u32,
) -> SysResult<()> {
    let (n, bytes) = sizes(cx.env.iter().map(|(k, v)| k.len() + 1 + v.len()))?;
    mem.write_u32(count, n)?;
    mem.write_u32(buf_size, bytes)
}

/// Nanoseconds of a duration, saturating (in the year 2554).
fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

pub(super) fn clock_res_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    resolution: u32,
) -> SysResult<()> {
    let res = match enum_value("Clockid", id, clockid::THREAD_CPUTIME_ID)? {
        clockid::REALTIME => nanos(cx.wall_clock.resolution()),
        clockid::MONOTONIC => cx.monotonic_clock.resolution(),
        // CPU-time clocks are not offered (as in Wasmtime).
        _ => return Err(Errno::BADF.into()),
    };
    mem.write_u64(resolution, res)
}

pub(super) fn clock_time_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    time: u32,
) -> SysResult<()> {
    let now = match enum_value("Clockid", id, clockid::THREAD_CPUTIME_ID)? {
        clockid::REALTIME => nanos(cx.wall_clock.now()),
        clockid::MONOTONIC => cx.monotonic_clock.now(),
        _ => return Err(Errno::BADF.into()),
    };
    mem.write_u64(time, now)
}

pub(super) fn random_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    buf_len: u32,
) -> SysResult<()> {
    let dst = mem.slice_mut(buf, buf_len)?;
    cx.random.fill(dst).map_err(|_| Errno::IO)?;
    Ok(())
}

/// `proc_exit`: always an error that ends the call. Statuses of 126 and above are reserved
/// for the shell's own use and refused, as in Wasmtime.
pub(super) fn proc_exit(status: u32) -> Fail {
    match i32::try_from(status) {
        Ok(code) if code < 126 => I32Exit(code).into(),
        _ => Fail::Host(Error::msg(
            "exit with invalid exit status outside of [0..126)",
        )),
    }
}

pub(super) fn proc_raise(
    _cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    signal: u32,
) -> SysResult<()> {
    enum_value("Signal", signal, 30)?;
    Err(Errno::NOTSUP.into())
}

pub(super) fn sched_yield(_cx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> SysResult<()> {
    std::thread::yield_now();
    Ok(())
}
