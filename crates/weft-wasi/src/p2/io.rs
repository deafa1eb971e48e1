//! `wasi:io`: `error`, `poll` and `streams`.
//!
//! Streams read from and write to what the [`WasiCtx`] grants: its standard streams (the
//! same ones preview 1 uses as descriptors 0, 1 and 2) and files opened through
//! `wasi:filesystem`. Output is written through at once, so `flush` has nothing left to do
//! and every output stream is always ready for more; `check-write` grants
//! [`WRITE_BUDGET`] bytes at a time.
//!
//! The spec makes `write` conditional on `check-write`: a write longer than what the last
//! `check-write` permitted, less what writes since have used, traps (as in Wasmtime). Each
//! output stream keeps that permit. `blocking-write-and-flush` needs no permit: it takes up
//! to 4096 bytes at any time.
//!
//! A failed write to a file is reported as Wasmtime's background file writes report it: by
//! the call itself for the blocking writes and `blocking-splice`, and otherwise (`write`,
//! `write-zeroes`, `splice`, which then succeed) by the next `check-write`, `flush`,
//! `write-zeroes`, `splice` or blocking call; either way as `last-operation-failed`, once,
//! after which the stream is closed. A `write` while a failure is pending traps.
//!
//! The functions that move bytes (`read`, `blocking-read`, `write`,
//! `blocking-write-and-flush`) and the ones a write loop calls every time (`check-write`,
//! `flush`, `blocking-flush`) are typed host functions, so a `list<u8>` crosses in one copy.
//!
//! A pollable is ready at once, at an instant of the monotonic clock, or when standard input
//! has data. Waiting blocks the thread in the operating system (a poll on standard input or a
//! sleep), bounded by the context's deadline.

use super::typed::{Ret, StreamError, Typed};
use super::util::{arg, arg_res, arg_u64, bad_arg, clamp_len, err, get, get_mut, ok, table_error};
use super::{HostFunction, HostResource, WasiCtxView, host_function as f, typed_function as t};
use crate::ctx::WasiCtx;
use crate::p1::table::Descriptor;
use cap_std::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft::component::{Resource, ResourceTable, Val};

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

/// `wasi:io/streams.output-stream`: where the bytes go, and how many the guest may still
/// `write`.
pub(crate) struct OutputStream {
    pub(crate) sink: Sink,
    /// What the last `check-write` permitted, less the bytes written since.
    permit: u64,
    /// Whether a file write failed or the stream is closed.
    state: OutputState,
}

/// What happened to an [`OutputStream`]'s file writes.
enum OutputState {
    /// Writable.
    Open,
    /// A `write` (or `write-zeroes`, `splice`) to a file failed: the next `check-write` or
    /// `flush` reports it as `last-operation-failed` and closes the stream.
    Failed(std::io::Error),
    /// A failure was reported: every operation now returns `closed`.
    Closed,
}

impl OutputStream {
    /// A stream to `sink`, with nothing permitted until the guest calls `check-write`.
    pub(crate) fn new(sink: Sink) -> Self {
        OutputStream {
            sink,
            permit: 0,
            state: OutputState::Open,
        }
    }
}

/// Where an [`OutputStream`] writes.
pub(crate) enum Sink {
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
    t(
        STREAMS,
        "[method]input-stream.read",
        "self: borrow<input-stream>, len: u64",
        "result<list<u8>, stream-error>",
        Typed::Read(|v, s, len| read(v, s, len, false)),
    ),
    t(
        STREAMS,
        "[method]input-stream.blocking-read",
        "self: borrow<input-stream>, len: u64",
        "result<list<u8>, stream-error>",
        Typed::Read(|v, s, len| read(v, s, len, true)),
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
    t(
        STREAMS,
        "[method]output-stream.check-write",
        OUT,
        "result<u64, stream-error>",
        Typed::CheckWrite(check_write),
    ),
    t(
        STREAMS,
        "[method]output-stream.write",
        "self: borrow<output-stream>, contents: list<u8>",
        "result<_, stream-error>",
        Typed::Write(|v, s, data| write(v, s, &data, false)),
    ),
    t(
        STREAMS,
        "[method]output-stream.blocking-write-and-flush",
        "self: borrow<output-stream>, contents: list<u8>",
        "result<_, stream-error>",
        Typed::Write(|v, s, data| write(v, s, &data, true)),
    ),
    t(
        STREAMS,
        "[method]output-stream.flush",
        OUT,
        "result<_, stream-error>",
        Typed::Flush(flush),
    ),
    t(
        STREAMS,
        "[method]output-stream.blocking-flush",
        OUT,
        "result<_, stream-error>",
        Typed::Flush(flush),
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

/// `stream-error.last-operation-failed`, with an `error` resource describing `e`.
fn failed(table: &mut ResourceTable, e: &std::io::Error) -> weft::Result<StreamError> {
    super::filesystem::stream_error(table, e).map(StreamError::LastOperationFailed)
}

/// `err(e)` of a `result<_, stream-error>` as a value.
fn stream_error_val(e: StreamError) -> Val {
    err(Some(match e {
        StreamError::Closed => Val::Variant("closed".into(), None),
        StreamError::LastOperationFailed(error) => Val::Variant(
            "last-operation-failed".into(),
            Some(Box::new(super::util::own(error))),
        ),
    }))
}

/// A stream function's `result<T, stream-error>` as a value, `ok` made by `ok_val`.
fn result_val<T>(r: Result<T, StreamError>, ok_val: impl FnOnce(T) -> Option<Val>) -> Val {
    match r {
        Ok(value) => ok(ok_val(value)),
        Err(e) => stream_error_val(e),
    }
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

/// Reads up to `len` bytes from `stream`: `closed` at the end of the stream, an empty buffer
/// when nothing is available without blocking (and `blocking` is false).
fn read_bytes(
    v: &mut WasiCtxView<'_>,
    stream: &Resource<InputStream>,
    len: usize,
    blocking: bool,
) -> Ret<Vec<u8>, StreamError> {
    let stream = v.table.get_mut(stream).map_err(table_error)?;
    if len == 0 {
        return Ok(Ok(Vec::new()));
    }
    let read = match stream {
        InputStream::Stdin => {
            if blocking {
                wait_stdin(v.ctx)?;
            } else if !is_ready(v.ctx, &Pollable::Stdin) {
                return Ok(Ok(Vec::new()));
            }
            let mut buf = vec![0u8; len];
            match stdin(v.ctx) {
                Some(s) => s.read(&mut buf).map(|n| {
                    buf.truncate(n);
                    buf
                }),
                None => Ok(Vec::new()),
            }
        }
        InputStream::File { file, position } => {
            let read = read_file_at(file, len, *position);
            if let Ok(data) = &read {
                *position = position.saturating_add(data.len() as u64);
            }
            read
        }
        InputStream::Socket(socket) => {
            match super::sockets::read_socket(socket, len, blocking, v.ctx.deadline)? {
                Ok(Some(data)) => return Ok(Ok(data)),
                Ok(None) => return Ok(Err(StreamError::Closed)),
                Err(e) => Err(e),
            }
        }
    };
    match read {
        Ok(data) if data.is_empty() => Ok(Err(StreamError::Closed)),
        Ok(data) => Ok(Ok(data)),
        Err(e) => failed(v.table, &e).map(Err),
    }
}

/// Reads up to `len` bytes of `file` at `offset` into a new buffer (not zeroed first: the
/// read fills it).
pub(crate) fn read_file_at(
    file: &cap_std::fs::File,
    len: usize,
    offset: u64,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    if len == 0 {
        return Ok(buf);
    }
    loop {
        match rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), offset) {
            Ok(_) => return Ok(buf),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn read(
    v: &mut WasiCtxView<'_>,
    stream: Resource<InputStream>,
    len: u64,
    blocking: bool,
) -> Ret<Vec<u8>, StreamError> {
    read_bytes(v, &stream, clamp_len(len, READ_CHUNK), blocking)
}

fn skip(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let stream = arg_res::<InputStream>(p, 0)?;
    let len = clamp_len(arg_u64(p, 1)?, READ_CHUNK);
    let r = read_bytes(v, &stream, len, blocking)?;
    Ok(Some(result_val(r, |data| {
        Some(Val::U64(data.len() as u64))
    })))
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

/// How many bytes a write may take.
#[derive(Clone, Copy)]
enum Limit {
    /// What remains of the stream's permit from `check-write`, which the write uses up.
    Permit,
    /// At most this many, whatever the permit (the blocking writes and `splice`).
    Max(u64),
}

impl Limit {
    /// `Max(BLOCKING_WRITE_MAX)` for a blocking write, `Permit` otherwise.
    fn of(blocking: bool) -> Limit {
        if blocking {
            Limit::Max(BLOCKING_WRITE_MAX)
        } else {
            Limit::Permit
        }
    }

    /// Takes `len` bytes from `stream`'s permit or checks them against the maximum: the
    /// trap if there are more than allowed.
    fn take(self, stream: &mut OutputStream, len: u64) -> weft::Result<()> {
        match self {
            Limit::Permit => {
                stream.permit = stream
                    .permit
                    .checked_sub(len)
                    .ok_or_else(|| too_long(len, stream.permit))?;
            }
            Limit::Max(max) if len > max => return Err(too_long(len, max)),
            Limit::Max(_) => {}
        }
        Ok(())
    }
}

/// When a failed file write is reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Report {
    /// By the call itself (the blocking writes and `blocking-splice`), which closes the stream.
    Now,
    /// By the next `check-write`, `flush` or blocking call (`write`, `write-zeroes`,
    /// `splice`), as Wasmtime's background file writes do.
    Later,
}

impl Report {
    fn of(blocking: bool) -> Report {
        if blocking { Report::Now } else { Report::Later }
    }
}

/// The error a stream's earlier failure makes the next operation return: a pending write
/// failure (reported once, after which the stream is closed) or `closed`; `None` while the
/// stream is open.
fn take_failure(
    table: &mut ResourceTable,
    stream: &Resource<OutputStream>,
) -> Ret<(), StreamError> {
    let stream = table.get_mut(stream).map_err(table_error)?;
    match std::mem::replace(&mut stream.state, OutputState::Closed) {
        OutputState::Open => {
            stream.state = OutputState::Open;
            Ok(Ok(()))
        }
        OutputState::Failed(e) => failed(table, &e).map(Err),
        OutputState::Closed => Ok(Err(StreamError::Closed)),
    }
}

/// Writes all of `data` to `stream`, once `limit` allows it; a file's failure is returned or
/// kept for later as `report` says.
fn write_all(
    v: &mut WasiCtxView<'_>,
    stream: &Resource<OutputStream>,
    data: &[u8],
    limit: Limit,
    report: Report,
) -> Ret<(), StreamError> {
    let handle = stream;
    let stream = v.table.get_mut(handle).map_err(table_error)?;
    match (&stream.state, report) {
        (OutputState::Open, _) => {}
        (OutputState::Closed, _) => return Ok(Err(StreamError::Closed)),
        (OutputState::Failed(_), Report::Now) => return take_failure(v.table, handle),
        (OutputState::Failed(_), Report::Later) => {
            return Err(weft::Error::msg(
                "output-stream: write not permitted: check-write not called first",
            ));
        }
    }
    let len = data.len() as u64;
    limit.take(stream, len)?;
    let written = match &mut stream.sink {
        Sink::Stdout | Sink::Stderr => {
            let fd = if matches!(stream.sink, Sink::Stdout) {
                1
            } else {
                2
            };
            match output_stream(v.ctx, fd) {
                Some(s) => s.write(data).and_then(|()| s.flush()),
                None => return Ok(Err(StreamError::Closed)),
            }
        }
        Sink::File { file, position } => {
            let at = match position {
                Some(at) => Ok(*at),
                None => file.metadata().map(|m| m.len()),
            };
            let written = at
                .and_then(|at| file.write_all_at(data, at).map(|()| at))
                .map(|at| {
                    if let Some(position) = position {
                        *position = at.saturating_add(len);
                    }
                });
            match (written, report) {
                (Err(e), Report::Later) => {
                    stream.state = OutputState::Failed(e);
                    Ok(())
                }
                (Err(e), Report::Now) => {
                    stream.state = OutputState::Closed;
                    Err(e)
                }
                (Ok(()), _) => Ok(()),
            }
        }
        Sink::Socket(socket) => super::sockets::write_socket(socket, data, v.ctx.deadline)?,
    };
    match written {
        Ok(()) => Ok(Ok(())),
        Err(e) => failed(v.table, &e).map(Err),
    }
}

fn check_write(v: &mut WasiCtxView<'_>, stream: Resource<OutputStream>) -> Ret<u64, StreamError> {
    if let Err(e) = take_failure(v.table, &stream)? {
        return Ok(Err(e));
    }
    let stream = v.table.get_mut(&stream).map_err(table_error)?;
    stream.permit = WRITE_BUDGET;
    Ok(Ok(WRITE_BUDGET))
}

/// The trap for a write longer than the stream allowed.
#[cold]
fn too_long(len: u64, max: u64) -> weft::Error {
    weft::Error::msg(format!(
        "output-stream: a write of {len} bytes is more than the {max} bytes permitted"
    ))
}

fn write(
    v: &mut WasiCtxView<'_>,
    stream: Resource<OutputStream>,
    data: &[u8],
    blocking: bool,
) -> Ret<(), StreamError> {
    write_all(v, &stream, data, Limit::of(blocking), Report::of(blocking))
}

fn write_zeroes(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let stream = arg_res::<OutputStream>(p, 0)?;
    let len = arg_u64(p, 1)?;
    let limit = Limit::of(blocking);
    if let Err(e) = take_failure(v.table, &stream)? {
        return Ok(Some(stream_error_val(e)));
    }
    // Checked before the zeroes are allocated; `write_all` takes them from the permit.
    limit.take(get_mut::<OutputStream>(v.table, p, 0)?, len)?;
    let data = vec![0u8; clamp_len(len, WRITE_BUDGET as usize)];
    let r = write_all(
        v,
        &stream,
        &data,
        Limit::Max(WRITE_BUDGET),
        Report::of(blocking),
    )?;
    Ok(Some(result_val(r, |()| None)))
}

fn flush(v: &mut WasiCtxView<'_>, stream: Resource<OutputStream>) -> Ret<(), StreamError> {
    take_failure(v.table, &stream)
}

fn output_subscribe(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let res = arg_res::<OutputStream>(p, 0)?;
    let pollable = match &v.table.get(&res).map_err(table_error)?.sink {
        Sink::Socket(s) => Pollable::Socket(s.clone(), super::sockets::Interest::Write),
        _ => Pollable::Ready,
    };
    let child = v.table.push_child(pollable, &res).map_err(table_error)?;
    Ok(Some(super::util::own(child)))
}

fn splice(v: &mut WasiCtxView<'_>, p: &[Val], blocking: bool) -> weft::Result<Option<Val>> {
    let out = arg_res::<OutputStream>(p, 0)?;
    let src = arg_res::<InputStream>(p, 1)?;
    let len = clamp_len(arg_u64(p, 2)?, WRITE_BUDGET as usize);
    if let Err(e) = take_failure(v.table, &out)? {
        return Ok(Some(stream_error_val(e)));
    }
    let r = match read_bytes(v, &src, len, blocking)? {
        Ok(data) => write_all(
            v,
            &out,
            &data,
            Limit::Max(WRITE_BUDGET),
            Report::of(blocking),
        )?
        .map(|()| data.len() as u64),
        Err(e) => Err(e),
    };
    Ok(Some(result_val(r, |n| Some(Val::U64(n)))))
}
