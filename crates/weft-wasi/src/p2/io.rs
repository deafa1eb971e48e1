//! `wasi:io`: `error`, `poll` and `streams`.
//!
//! Streams read from and write to what the [`WasiCtx`] grants: its standard streams (the
//! same ones preview 1 uses as descriptors 0, 1 and 2) and files opened through
//! `wasi:filesystem`. Output is written through at once, so `flush` has nothing left to do
//! and every output stream is always ready for more; `check-write` grants
//! [`WRITE_BUDGET`] bytes at a time.
//!
//! A pollable is ready at once, at an instant of the monotonic clock, or when standard input
//! has data. Waiting blocks the thread in the operating system (a poll on standard input or a
//! sleep), bounded by the context's deadline.

use super::util::{
    arg, arg_bytes, arg_res, arg_u64, bad_arg, bytes, clamp_len, err, get, get_mut, ok, table_error,
};
use super::{HostFunction, HostResource, WasiCtxView, host_function as f};
use crate::ctx::WasiCtx;
use crate::p1::table::Descriptor;
use cap_std::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft::component::{ResourceTable, Val};

/// The most bytes `check-write` grants, and so the most one `write` takes.
pub(crate) const WRITE_BUDGET: u64 = 64 * 1024;

/// The most bytes one `blocking-write-and-flush` may write (the spec's precondition).
const BLOCKING_WRITE_MAX: u64 = 4096;

/// The most bytes one read returns, whatever length the guest asks for.
const READ_CHUNK: usize = 64 * 1024;

/// `wasi:io/error.error`: what went wrong in a stream operation.
pub(crate) struct IoError {
    /// For `to-debug-string`.
    pub(crate) message: String,
    /// The `wasi:filesystem` error code, for `filesystem-error-code`.
    pub(crate) code: Option<&'static str>,
}

/// `wasi:io/poll.pollable`: something to wait for.
#[derive(Clone)]
pub(crate) enum Pollable {
    /// Ready at once.
    Ready,
    /// Ready when the monotonic clock reaches this many nanoseconds.
    Clock(u64),
    /// Ready when standard input has data or is at its end.
    Stdin,
    /// Ready when the socket is (`wasi:sockets`).
    Socket(super::sockets::SharedSocket, super::sockets::Interest),
}

/// `wasi:io/streams.input-stream`.
pub(crate) enum InputStream {
    /// The context's standard input.
    Stdin,
    /// A file, read from `position` on.
    File {
        file: Arc<cap_std::fs::File>,
        position: u64,
    },
    /// A connected TCP socket (`wasi:sockets`).
    Socket(super::sockets::SharedSocket),
}

/// `wasi:io/streams.output-stream`.
pub(crate) enum OutputStream {
    /// The context's standard output.
    Stdout,
    /// The context's standard error.
    Stderr,
    /// A file, written at `position` on, or at its end when `position` is `None`.
    File {
        file: Arc<cap_std::fs::File>,
        position: Option<u64>,
    },
    /// A connected TCP socket (`wasi:sockets`).
    Socket(super::sockets::SharedSocket),
}

pub(super) const RESOURCES: &[HostResource] = &[
    HostResource::of::<IoError>("wasi:io/error", "error"),
    HostResource::of::<Pollable>("wasi:io/poll", "pollable"),
    HostResource::of::<InputStream>("wasi:io/streams", "input-stream"),
    HostResource::of::<OutputStream>("wasi:io/streams", "output-stream"),
];

const ERR: &str = "wasi:io/error";
const POLL: &str = "wasi:io/poll";
const STREAMS: &str = "wasi:io/streams";
const IN: &str = "self: borrow<input-stream>";
const OUT: &str = "self: borrow<output-stream>";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        ERR,
        "[method]error.to-debug-string",
        "self: borrow<error>",
        "string",
        to_debug_string,
    ),
    f(
        POLL,
        "[method]pollable.ready",
        "self: borrow<pollable>",
        "bool",
        pollable_ready,
    ),
    f(
        POLL,
        "[method]pollable.block",
        "self: borrow<pollable>",
        "",
        pollable_block,
    ),
    f(
        POLL,
        "poll",
        "in: list<borrow<pollable>>",
        "list<u32>",
        poll,
    ),
    f(
        STREAMS,
        "[method]input-stream.read",
        "self: borrow<input-stream>, len: u64",
        "result<list<u8>, stream-error>",
        |v, p| read(v, p, false),
    ),
    f(
        STREAMS,
        "[method]input-stream.blocking-read",
        "self: borrow<input-stream>, len: u64",
        "result<list<u8>, stream-error>",
        |v, p| read(v, p, true),
    ),
    f(
        STREAMS,
        "[method]input-stream.skip",
        "self: borrow<input-stream>, len: u64",
        "result<u64, stream-error>",
        |v, p| skip(v, p, false),
    ),
    f(
        STREAMS,
        "[method]input-stream.blocking-skip",
        "self: borrow<input-stream>, len: u64",
        "result<u64, stream-error>",
        |v, p| skip(v, p, true),
    ),
    f(
        STREAMS,
        "[method]input-stream.subscribe",
        IN,
        "own<pollable>",
        input_subscribe,
    ),
    f(
        STREAMS,
        "[method]output-stream.check-write",
        OUT,
        "result<u64, stream-error>",
        check_write,
    ),
    f(
        STREAMS,
        "[method]output-stream.write",
        "self: borrow<output-stream>, contents: list<u8>",
        "result<_, stream-error>",
        |v, p| write(v, p, false),
    ),
    f(
        STREAMS,
        "[method]output-stream.blocking-write-and-flush",
        "self: borrow<output-stream>, contents: list<u8>",
        "result<_, stream-error>",
        |v, p| write(v, p, true),
    ),
    f(
        STREAMS,
        "[method]output-stream.flush",
        OUT,
        "result<_, stream-error>",
        flush,
    ),
    f(
        STREAMS,
        "[method]output-stream.blocking-flush",
        OUT,
        "result<_, stream-error>",
        flush,
    ),
    f(
        STREAMS,
        "[method]output-stream.subscribe",
        OUT,
        "own<pollable>",
        output_subscribe,
    ),
    f(
        STREAMS,
        "[method]output-stream.write-zeroes",
        "self: borrow<output-stream>, len: u64",
        "result<_, stream-error>",
        |v, p| write_zeroes(v, p, false),
    ),
    f(
        STREAMS,
        "[method]output-stream.blocking-write-zeroes-and-flush",
        "self: borrow<output-stream>, len: u64",
        "result<_, stream-error>",
        |v, p| write_zeroes(v, p, true),
    ),
    f(
        STREAMS,
        "[method]output-stream.splice",
        "self: borrow<output-stream>, src: borrow<input-stream>, len: u64",
        "result<u64, stream-error>",
        |v, p| splice(v, p, false),
    ),
    f(
        STREAMS,
        "[method]output-stream.blocking-splice",
        "self: borrow<output-stream>, src: borrow<input-stream>, len: u64",
        "result<u64, stream-error>",
        |v, p| splice(v, p, true),
    ),
];

// ---------------------------------------------------------------------------------------
// Errors

fn to_debug_string(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let error = get::<IoError>(v.table, p, 0)?;
    Ok(Some(Val::String(error.message.clone())))
}

/// `stream-error.closed`.
fn closed() -> Val {
    err(Some(Val::Variant("closed".into(), None)))
}

/// `stream-error.last-operation-failed`, with an `error` resource describing `e`.
fn failed(table: &mut ResourceTable, e: &std::io::Error) -> weft::Result<Val> {
    let error = super::filesystem::stream_error(table, e)?;
    Ok(err(Some(Val::Variant(
        "last-operation-failed".into(),
        Some(Box::new(error)),
    ))))
}

/// The end of a host call that reached the context's deadline.
#[cold]
pub(crate) fn interrupted() -> weft::Error {
    weft::Error::from(weft::TrapCode::Interrupt)
}

// ---------------------------------------------------------------------------------------
// Polling

fn stdin(ctx: &mut WasiCtx) -> Option<&mut dyn crate::stream::InputStream> {
    match ctx.fds.get_mut(0) {
        Ok(Descriptor::Stdin(stream)) => Some(&mut **stream),
        _ => None,
    }
}

fn is_ready(ctx: &mut WasiCtx, pollable: &Pollable) -> bool {
    match pollable {
        Pollable::Ready => true,
        Pollable::Clock(at) => ctx.monotonic_clock.now() >= *at,
        Pollable::Socket(socket, interest) => super::sockets::is_ready(socket, *interest),
        // No standard input: a read reports the end at once.
        Pollable::Stdin => stdin(ctx).is_none_or(|s| s.wait_readable(Some(Duration::ZERO))),
    }
}

/// Waits until one of `pollables` is ready and returns the indices of those that are.
///
/// At most one wait: on standard input (bounded by the earliest clock) or a sleep until the
/// earliest clock. If the monotonic clock does not move (an embedder's fixed clock), the
/// earliest clocks are reported after the sleep anyway, so a guest's sleep always returns.
pub(crate) fn wait_any(ctx: &mut WasiCtx, pollables: &[Pollable]) -> weft::Result<Vec<u32>> {
    let ready_now = |ctx: &mut WasiCtx| -> Vec<u32> {
        (0u32..)
            .zip(pollables)
            .filter(|&(_, p)| is_ready(ctx, p))
            .map(|(i, _)| i)
            .collect()
    };
    let ready = ready_now(ctx);
    if !ready.is_empty() {
        return Ok(ready);
    }
    let now = ctx.monotonic_clock.now();
    let earliest = pollables
        .iter()
        .filter_map(|p| match p {
            Pollable::Clock(at) => Some(*at),
            _ => None,
        })
        .min();
    let timeout = earliest.map(|at| Duration::from_nanos(at.saturating_sub(now)));
    let to_deadline = ctx
        .deadline
        .map(|d| d.saturating_duration_since(Instant::now()));
    let cut_short = to_deadline.is_some_and(|d| timeout.is_none_or(|t| d < t));
    let wait = match (timeout, to_deadline) {
        (Some(t), Some(d)) => Some(t.min(d)),
        (t, d) => t.or(d),
    };
    let waits_for_input = pollables.iter().any(|p| matches!(p, Pollable::Stdin));
    let sockets: Vec<_> = pollables
        .iter()
        .filter_map(|p| match p {
            Pollable::Socket(s, i) => Some((s.clone(), *i)),
            _ => None,
        })
        .collect();
    let input_ready = match (waits_for_input, stdin(ctx)) {
        _ if !sockets.is_empty() => {
            let input = if waits_for_input { stdin(ctx) } else { None };
            super::sockets::wait_sockets(&sockets, wait, input)
        }
        (true, Some(stream)) => stream.wait_readable(wait),
        (true, None) => true,
        (false, _) => {
            match wait {
                Some(wait) => std::thread::sleep(wait),
                None => {
                    return Err(weft::Error::msg(
                        "poll: nothing to wait for can ever become ready",
                    ));
                }
            }
            false
        }
    };
    if !input_ready && cut_short {
        return Err(interrupted());
    }
    let ready = ready_now(ctx);
    if !ready.is_empty() {
        return Ok(ready);
    }
    Ok((0u32..)
        .zip(pollables)
        .filter(|&(_, p)| matches!(p, Pollable::Clock(at) if Some(*at) == earliest))
        .map(|(i, _)| i)
        .collect())
}

fn pollable_ready(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let pollable = get::<Pollable>(v.table, p, 0)?.clone();
    Ok(Some(Val::Bool(is_ready(v.ctx, &pollable))))
}

fn pollable_block(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let pollable = get::<Pollable>(v.table, p, 0)?.clone();
    wait_any(v.ctx, &[pollable])?;
    Ok(None)
}

fn poll(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let Val::List(handles) = arg(p, 0)? else {
        return Err(bad_arg(0, "list"));
    };
    if handles.is_empty() {
        return Err(weft::Error::msg("poll: the list of pollables is empty"));
    }
    let pollables = (0..handles.len())
        .map(|i| get::<Pollable>(v.table, handles, i).cloned())
        .collect::<weft::Result<Vec<_>>>()?;
    let ready = wait_any(v.ctx, &pollables)?;
    Ok(Some(Val::List(ready.into_iter().map(Val::U32).collect())))
}

// ---------------------------------------------------------------------------------------
// Input

/// Waits until a read from standard input would not block, bounded by the deadline.
fn wait_stdin(ctx: &mut WasiCtx) -> weft::Result<()> {
    let deadline = ctx.deadline;
    let Some(stream) = stdin(ctx) else {
        return Ok(());
    };
    let Some(deadline) = deadline else {
        return Ok(());
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if stream.wait_readable(Some(left)) {
            return Ok(());
        }
        if left.is_zero() {
            return Err(interrupted());
        }
    }
}

/// Reads up to `len` bytes: `Ok(None)` at the end of the stream, an empty buffer when
/// nothing is available without blocking (and `blocking` is false).
fn read_bytes(
    v: &mut WasiCtxView<'_>,
    p: &[Val],
    len: usize,
    blocking: bool,
) -> weft::Result<Result<Option<Vec<u8>>, std::io::Error>> {
    if len == 0 {
        return Ok(Ok(Some(Vec::new())));
    }
    let stream = get_mut::<InputStream>(v.table, p, 0)?;
    let mut buf = vec![0u8; len];
    let n = match stream {
        InputStream::Stdin => {
            if blocking {
                wait_stdin(v.ctx)?;
            } else if !is_ready(v.ctx, &Pollable::Stdin) {
                return Ok(Ok(Some(Vec::new())));
            }
            match stdin(v.ctx) {
                Some(s) => s.read(&mut buf),
                None => Ok(0),
            }
        }
        InputStream::File { file, position } => {
            let n = file.read_at(&mut buf, *position);
            if let Ok(n) = n {
                *position = position.saturating_add(n as u64);
            }
            n
        }
        InputStream::Socket(socket) => {
            return super::sockets::read_socket(socket, len, blocking, v.ctx.deadline);
        }
    };
    Ok(match n {
        Ok(0) => Ok(None),
        Ok(n) => {
            buf.truncate(n);
            Ok(Some(buf))
        }
        Err(e) => Err(e),
    })
}

fn read(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let len = clamp_len(arg_u64(p, 1)?, READ_CHUNK);
    Ok(Some(match read_bytes(v, p, len, blocking)? {
        Ok(Some(data)) => ok(Some(bytes(&data))),
        Ok(None) => closed(),
        Err(e) => failed(v.table, &e)?,
    }))
}

fn skip(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let len = clamp_len(arg_u64(p, 1)?, READ_CHUNK);
    Ok(Some(match read_bytes(v, p, len, blocking)? {
        Ok(Some(data)) => ok(Some(Val::U64(data.len() as u64))),
        Ok(None) => closed(),
        Err(e) => failed(v.table, &e)?,
    }))
}

fn input_subscribe(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let res = arg_res::<InputStream>(p, 0)?;
    let pollable = match v.table.get(&res).map_err(table_error)? {
        InputStream::Stdin => Pollable::Stdin,
        InputStream::File { .. } => Pollable::Ready,
        InputStream::Socket(s) => Pollable::Socket(s.clone(), super::sockets::Interest::Read),
    };
    let child = v.table.push_child(pollable, &res).map_err(table_error)?;
    Ok(Some(super::util::own(child)))
}

// ---------------------------------------------------------------------------------------
// Output

fn output_stream(ctx: &mut WasiCtx, fd: u32) -> Option<&mut dyn crate::stream::OutputStream> {
    match ctx.fds.get_mut(fd) {
        Ok(Descriptor::Stdout(s) | Descriptor::Stderr(s)) => Some(&mut **s),
        _ => None,
    }
}

/// Writes all of `data` to the stream argument 0: `Ok(None)` if the stream is closed.
fn write_all(
    v: &mut WasiCtxView<'_>,
    p: &[Val],
    data: &[u8],
) -> weft::Result<Result<Option<()>, std::io::Error>> {
    let stream = get_mut::<OutputStream>(v.table, p, 0)?;
    Ok(match stream {
        OutputStream::Stdout | OutputStream::Stderr => {
            let fd = if matches!(stream, OutputStream::Stdout) {
                1
            } else {
                2
            };
            match output_stream(v.ctx, fd) {
                Some(s) => s.write(data).and_then(|()| s.flush()).map(Some),
                None => Ok(None),
            }
        }
        OutputStream::File { file, position } => {
            let at = match position {
                Some(at) => *at,
                None => match file.metadata() {
                    Ok(m) => m.len(),
                    Err(e) => return Ok(Err(e)),
                },
            };
            match file.write_all_at(data, at) {
                Ok(()) => {
                    if let Some(position) = position {
                        *position = at.saturating_add(data.len() as u64);
                    }
                    Ok(Some(()))
                }
                Err(e) => Err(e),
            }
        }
        OutputStream::Socket(socket) => {
            super::sockets::write_socket(socket, data, v.ctx.deadline)?.map(Some)
        }
    })
}

fn write_result(
    v: &mut WasiCtxView<'_>,
    r: Result<Option<()>, std::io::Error>,
) -> weft::Result<Val> {
    match r {
        Ok(Some(())) => Ok(ok(None)),
        Ok(None) => Ok(closed()),
        Err(e) => failed(v.table, &e),
    }
}

fn check_write(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<OutputStream>(v.table, p, 0)?;
    Ok(Some(ok(Some(Val::U64(WRITE_BUDGET)))))
}

/// The trap for a write longer than the stream allowed.
#[cold]
fn too_long(len: u64, max: u64) -> weft::Error {
    weft::Error::msg(format!(
        "output-stream: a write of {len} bytes is more than the {max} bytes permitted"
    ))
}

fn write(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let data = arg_bytes(p, 1)?;
    let max = if blocking {
        BLOCKING_WRITE_MAX
    } else {
        WRITE_BUDGET
    };
    if data.len() as u64 > max {
        return Err(too_long(data.len() as u64, max));
    }
    let r = write_all(v, p, &data)?;
    write_result(v, r).map(Some)
}

fn write_zeroes(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let len = arg_u64(p, 1)?;
    let max = if blocking {
        BLOCKING_WRITE_MAX
    } else {
        WRITE_BUDGET
    };
    if len > max {
        return Err(too_long(len, max));
    }
    let data = vec![0u8; clamp_len(len, max as usize)];
    let r = write_all(v, p, &data)?;
    write_result(v, r).map(Some)
}

fn flush(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<OutputStream>(v.table, p, 0)?;
    Ok(Some(ok(None)))
}

fn output_subscribe(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let res = arg_res::<OutputStream>(p, 0)?;
    let pollable = match v.table.get(&res).map_err(table_error)? {
        OutputStream::Socket(s) => Pollable::Socket(s.clone(), super::sockets::Interest::Write),
        _ => Pollable::Ready,
    };
    let child = v.table.push_child(pollable, &res).map_err(table_error)?;
    Ok(Some(super::util::own(child)))
}

fn splice(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    get::<OutputStream>(v.table, p, 0)?;
    let len = clamp_len(arg_u64(p, 2)?, WRITE_BUDGET as usize);
    let src = [arg(p, 1)?.clone()];
    let data = match read_bytes(v, &src, len, blocking)? {
        Ok(Some(data)) => data,
        Ok(None) => return Ok(Some(closed())),
        Err(e) => return failed(v.table, &e).map(Some),
    };
    let r = write_all(v, p, &data)?;
    Ok(Some(match r {
        Ok(Some(())) => ok(Some(Val::U64(data.len() as u64))),
        other => write_result(v, other)?,
    }))
}
