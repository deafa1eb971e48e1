//! `wasi:cli`: `environment`, `exit`, the standard streams and the terminal interfaces.
//!
//! `wasi:cli/run` is the one interface a command exports rather than imports; the host calls
//! it with [`super::call_run`].

use super::io::{InputStream, OutputStream, Sink};
use super::util::{arg, arg_u8, push};
use super::{HostFunction, HostResource, WasiCtxView, host_function as f};
use crate::exit::I32Exit;
use crate::p1::table::Descriptor;
use weft::component::Val;

/// `wasi:cli/terminal-input.terminal-input`.
pub(crate) struct TerminalInput;

/// `wasi:cli/terminal-output.terminal-output`.
pub(crate) struct TerminalOutput;

pub(super) const RESOURCES: &[HostResource] = &[
    HostResource::of::<TerminalInput>("wasi:cli/terminal-input", "terminal-input"),
    HostResource::of::<TerminalOutput>("wasi:cli/terminal-output", "terminal-output"),
];

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        "wasi:cli/environment",
        "get-environment",
        "",
        "list<tuple<string, string>>",
        get_environment,
    ),
    f(
        "wasi:cli/environment",
        "get-arguments",
        "",
        "list<string>",
        get_arguments,
    ),
    f(
        "wasi:cli/environment",
        "initial-cwd",
        "",
        "option<string>",
        initial_cwd,
    ),
    f("wasi:cli/exit", "exit", "status: result", "", exit),
    f(
        "wasi:cli/exit",
        "exit-with-code",
        "status-code: u8",
        "",
        exit_with_code,
    ),
    f(
        "wasi:cli/stdin",
        "get-stdin",
        "",
        "own<input-stream>",
        get_stdin,
    ),
    f(
        "wasi:cli/stdout",
        "get-stdout",
        "",
        "own<output-stream>",
        get_stdout,
    ),
    f(
        "wasi:cli/stderr",
        "get-stderr",
        "",
        "own<output-stream>",
        get_stderr,
    ),
    f(
        "wasi:cli/terminal-stdin",
        "get-terminal-stdin",
        "",
        "option<own<terminal-input>>",
        get_terminal_stdin,
    ),
    f(
        "wasi:cli/terminal-stdout",
        "get-terminal-stdout",
        "",
        "option<own<terminal-output>>",
        |v, _| terminal_output(v, 1),
    ),
    f(
        "wasi:cli/terminal-stderr",
        "get-terminal-stderr",
        "",
        "option<own<terminal-output>>",
        |v, _| terminal_output(v, 2),
    ),
];

fn get_environment(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    let vars = v
        .ctx
        .env
        .iter()
        .map(|(name, value)| {
            Val::Tuple(vec![Val::String(name.clone()), Val::String(value.clone())])
        })
        .collect();
    Ok(Some(Val::List(vars)))
}

fn get_arguments(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    let args = v.ctx.args.iter().map(|a| Val::String(a.clone())).collect();
    Ok(Some(Val::List(args)))
}

fn initial_cwd(_: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    Ok(Some(Val::Option(None)))
}

/// `exit(ok)` ends the run with status 0, `exit(err)` with 1: the guest's call ends in an
/// [`I32Exit`] error that the embedder turns into the process's status.
fn exit(_: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let status = match arg(p, 0)? {
        Val::Result(Ok(_)) => 0,
        Val::Result(Err(_)) => 1,
        _ => return Err(super::util::bad_arg(0, "result")),
    };
    Err(weft::Error::new(I32Exit(status)))
}

fn exit_with_code(_: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    Err(weft::Error::new(I32Exit(i32::from(arg_u8(p, 0)?))))
}

fn get_stdin(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    push(v.table, InputStream::Stdin).map(Some)
}

fn get_stdout(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    push(v.table, OutputStream::new(Sink::Stdout)).map(Some)
}

fn get_stderr(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    push(v.table, OutputStream::new(Sink::Stderr)).map(Some)
}

fn get_terminal_stdin(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    let is_terminal = matches!(v.ctx.fds.get(0), Ok(Descriptor::Stdin(s)) if s.is_terminal());
    Ok(Some(Val::Option(if is_terminal {
        Some(Box::new(push(v.table, TerminalInput)?))
    } else {
        None
    })))
}

fn terminal_output(v: &mut WasiCtxView<'_>, fd: u32) -> weft::Result<Option<Val>> {
    let is_terminal = matches!(
        v.ctx.fds.get(fd),
        Ok(Descriptor::Stdout(s) | Descriptor::Stderr(s)) if s.is_terminal()
    );
    Ok(Some(Val::Option(if is_terminal {
        Some(Box::new(push(v.table, TerminalOutput)?))
    } else {
        None
    })))
}
