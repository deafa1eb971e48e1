//! `wasi:sockets/tcp` and `wasi:sockets/tcp-create-socket`.

use super::{
    Code, Interest, SharedSocket, SockResult, addr_result, arg_family, arg_socket_addr,
    buffer_size_val, check_family, code, fail, family, hop_limit, new_socket, set_buffer_size,
    set_hop_limit, sock_result, subscribe,
};
use crate::ctx::SocketAddrUse;
use crate::p2::io::{InputStream, OutputStream, Pollable, Sink};
use crate::p2::util::{arg, arg_u64, bad_arg, get, get_mut, push};
use crate::p2::{HostFunction, WasiCtxView, host_function as f};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use weft::component::Val;

/// Where a TCP socket is in the state machine of the WIT (as Wasmtime keeps it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Not connected nor listening; bound or not.
    Default,
    /// `start-connect` was called; with an error code when the attempt already failed (the
    /// allow-list refused it, or the host did at once): `finish-connect` reports it.
    Connecting(Option<Code>),
    Connected,
    Listening,
    /// A connection attempt failed with this code; the socket is of no more use.
    Closed(Code),
}

/// The `start-*` call whose `finish-*` is still to come.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Bind,
    Connect,
    Listen,
}

/// `wasi:sockets/tcp.tcp-socket`.
pub(crate) struct TcpSocket {
    socket: SharedSocket,
    ipv6: bool,
    state: State,
    in_progress: Option<Op>,
    /// Whether the socket has a local address (explicitly bound, or by connecting).
    bound: bool,
    backlog: u32,
}

/// The backlog before `set-listen-backlog-size`.
const DEFAULT_BACKLOG: u32 = 128;

impl TcpSocket {
    fn new(socket: socket2::Socket, ipv6: bool, state: State) -> Self {
        TcpSocket {
            socket: Arc::new(socket),
            ipv6,
            bound: state != State::Default,
            state,
            in_progress: None,
            backlog: DEFAULT_BACKLOG,
        }
    }

    /// Whether options may be read or set: not while connecting, nor once closed.
    fn usable(&self) -> SockResult<&socket2::Socket> {
        match self.state {
            State::Connecting(_) => Err("invalid-state"),
            State::Closed(code) => Err(code),
            _ => Ok(&self.socket),
        }
    }
}

/// The address a socket that is not bound binds to when it connects or listens.
fn unspecified(ipv6: bool) -> SocketAddr {
    if ipv6 {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    }
}

/// An address a socket may bind or connect to: unicast, of the socket's family.
fn check_unicast(addr: SocketAddr, ipv6: bool) -> SockResult<()> {
    let ip = addr.ip();
    let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
    if ip.is_multicast() || broadcast {
        return Err("invalid-argument");
    }
    check_family(addr, ipv6)
}

const TCP: &str = "wasi:sockets/tcp";
const SELF: &str = "self: borrow<tcp-socket>";
const UNIT: &str = "result<_, error-code>";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        "wasi:sockets/tcp-create-socket",
        "create-tcp-socket",
        "address-family: ip-address-family",
        "result<own<tcp-socket>, error-code>",
        create,
    ),
    f(
        TCP,
        "[method]tcp-socket.start-bind",
        "self: borrow<tcp-socket>, network: borrow<network>, local-address: ip-socket-address",
        UNIT,
        start_bind,
    ),
    f(TCP, "[method]tcp-socket.finish-bind", SELF, UNIT, |v, p| {
        finish(v, p, Op::Bind)
    }),
    f(
        TCP,
        "[method]tcp-socket.start-connect",
        "self: borrow<tcp-socket>, network: borrow<network>, remote-address: ip-socket-address",
        UNIT,
        start_connect,
    ),
    f(
        TCP,
        "[method]tcp-socket.finish-connect",
        SELF,
        "result<tuple<own<input-stream>, own<output-stream>>, error-code>",
        finish_connect,
    ),
    f(
        TCP,
        "[method]tcp-socket.start-listen",
        SELF,
        UNIT,
        start_listen,
    ),
    f(
        TCP,
        "[method]tcp-socket.finish-listen",
        SELF,
        UNIT,
        |v, p| finish(v, p, Op::Listen),
    ),
    f(
        TCP,
        "[method]tcp-socket.accept",
        SELF,
        "result<tuple<own<tcp-socket>, own<input-stream>, own<output-stream>>, error-code>",
        accept,
    ),
    f(
        TCP,
        "[method]tcp-socket.local-address",
        SELF,
        "result<ip-socket-address, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(match s.state {
                State::Default if !s.bound => fail("invalid-state"),
                State::Connecting(_) => fail("invalid-state"),
                State::Closed(code) => fail(code),
                _ => addr_result(s.socket.local_addr()),
            }))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.remote-address",
        SELF,
        "result<ip-socket-address, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(match s.state {
                State::Connected => addr_result(s.socket.peer_addr()),
                State::Closed(code) => fail(code),
                _ => fail("invalid-state"),
            }))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.is-listening",
        SELF,
        "bool",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(Val::Bool(s.state == State::Listening)))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.address-family",
        SELF,
        "ip-address-family",
        |v, p| Ok(Some(family(get::<TcpSocket>(v.table, p, 0)?.ipv6))),
    ),
    f(
        TCP,
        "[method]tcp-socket.set-listen-backlog-size",
        "self: borrow<tcp-socket>, value: u64",
        UNIT,
        set_backlog,
    ),
    f(
        TCP,
        "[method]tcp-socket.keep-alive-enabled",
        SELF,
        "result<bool, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                sock.keepalive().map(|b| Some(Val::Bool(b)))
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-keep-alive-enabled",
        "self: borrow<tcp-socket>, value: bool",
        UNIT,
        |v, p| {
            let Val::Bool(value) = *arg(p, 1)? else {
                return Err(bad_arg(1, "bool"));
            };
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                sock.set_keepalive(value).map(|()| None)
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.keep-alive-idle-time",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| sock.tcp_keepalive_time().map(nanos))))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-keep-alive-idle-time",
        "self: borrow<tcp-socket>, value: u64",
        UNIT,
        |v, p| set_keepalive(v, p, |k, d| k.with_time(d)),
    ),
    f(
        TCP,
        "[method]tcp-socket.keep-alive-interval",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                sock.tcp_keepalive_interval().map(nanos)
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-keep-alive-interval",
        "self: borrow<tcp-socket>, value: u64",
        UNIT,
        |v, p| set_keepalive(v, p, |k, d| k.with_interval(d)),
    ),
    f(
        TCP,
        "[method]tcp-socket.keep-alive-count",
        SELF,
        "result<u32, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                sock.tcp_keepalive_retries().map(|n| Some(Val::U32(n)))
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-keep-alive-count",
        "self: borrow<tcp-socket>, value: u32",
        UNIT,
        |v, p| {
            let Val::U32(value) = *arg(p, 1)? else {
                return Err(bad_arg(1, "u32"));
            };
            let s = get::<TcpSocket>(v.table, p, 0)?;
            if value == 0 {
                return Ok(Some(fail("invalid-argument")));
            }
            let keepalive = socket2::TcpKeepalive::new().with_retries(value);
            Ok(Some(option(s, |sock| {
                sock.set_tcp_keepalive(&keepalive).map(|()| None)
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.hop-limit",
        SELF,
        "result<u8, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                hop_limit(sock, s.ipv6).map(|h| Some(Val::U8(h)))
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-hop-limit",
        "self: borrow<tcp-socket>, value: u8",
        UNIT,
        |v, p| {
            let value = crate::p2::util::arg_u8(p, 1)?;
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(s.usable().and_then(|sock| {
                set_hop_limit(sock, s.ipv6, value).map(|()| None)
            }))))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.receive-buffer-size",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                buffer_size_val(sock.recv_buffer_size())
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-receive-buffer-size",
        "self: borrow<tcp-socket>, value: u64",
        UNIT,
        |v, p| {
            let value = arg_u64(p, 1)?;
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(s.usable().and_then(|sock| {
                set_buffer_size(value, |n| sock.set_recv_buffer_size(n))
            }))))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.send-buffer-size",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(option(s, |sock| {
                buffer_size_val(sock.send_buffer_size())
            })))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.set-send-buffer-size",
        "self: borrow<tcp-socket>, value: u64",
        UNIT,
        |v, p| {
            let value = arg_u64(p, 1)?;
            let s = get::<TcpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(s.usable().and_then(|sock| {
                set_buffer_size(value, |n| sock.set_send_buffer_size(n))
            }))))
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.subscribe",
        SELF,
        "own<pollable>",
        |v, p| {
            let s = get::<TcpSocket>(v.table, p, 0)?;
            let pollable = match s.state {
                State::Listening => Pollable::Socket(s.socket.clone(), Interest::Read),
                State::Connecting(None) => Pollable::Socket(s.socket.clone(), Interest::Write),
                _ => Pollable::Ready,
            };
            subscribe::<TcpSocket>(v, p, pollable)
        },
    ),
    f(
        TCP,
        "[method]tcp-socket.shutdown",
        "self: borrow<tcp-socket>, shutdown-type: shutdown-type",
        UNIT,
        shutdown,
    ),
];

/// Reads or sets an option of a socket that is [usable](TcpSocket::usable).
fn option(s: &TcpSocket, f: impl FnOnce(&socket2::Socket) -> std::io::Result<Option<Val>>) -> Val {
    sock_result(s.usable().and_then(|socket| f(socket).map_err(code)))
}

fn nanos(d: Duration) -> Option<Val> {
    Some(Val::U64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)))
}

fn create(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let ipv6 = arg_family(p, 0)?;
    if !v.ctx.sockets.tcp {
        return Ok(Some(fail("access-denied")));
    }
    match new_socket(ipv6, socket2::Type::STREAM) {
        Ok(socket) => {
            let handle = push(v.table, TcpSocket::new(socket, ipv6, State::Default))?;
            Ok(Some(crate::p2::util::ok(Some(handle))))
        }
        Err(e) => Ok(Some(fail(super::error_code(&e)))),
    }
}

fn start_bind(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<super::Network>(v.table, p, 1)?;
    let addr = arg_socket_addr(p, 2)?;
    let allowed = v.ctx.sockets.allows(addr, SocketAddrUse::TcpBind);
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    let r = (|| -> SockResult<()> {
        if s.in_progress.is_some() {
            return Err("concurrency-conflict");
        }
        if s.bound || s.state != State::Default {
            return Err("invalid-state");
        }
        check_unicast(addr, s.ipv6)?;
        if !allowed {
            return Err("access-denied");
        }
        // Rebinding a port still in TIME_WAIT, as other platforms allow by default.
        if addr.port() != 0 {
            s.socket.set_reuse_address(true).map_err(code)?;
        }
        s.socket
            .bind(&addr.into())
            .map_err(|e| match super::error_code(&e) {
                // Binding a port in use is reported as such on every host.
                "access-denied" if addr.port() != 0 => "address-in-use",
                c => c,
            })?;
        s.bound = true;
        s.in_progress = Some(Op::Bind);
        Ok(())
    })();
    Ok(Some(sock_result(r.map(|()| None))))
}

/// `finish-bind` and `finish-listen`: the end of `op`, or `not-in-progress`.
fn finish(v: &mut WasiCtxView<'_>, p: &[Val], op: Op) -> weft::Result<Option<Val>> {
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    Ok(Some(if s.in_progress == Some(op) {
        s.in_progress = None;
        crate::p2::util::ok(None)
    } else {
        fail("not-in-progress")
    }))
}

fn start_connect(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<super::Network>(v.table, p, 1)?;
    let addr = arg_socket_addr(p, 2)?;
    let policy = v.ctx.sockets.clone();
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    let r = (|| -> SockResult<()> {
        if s.in_progress.is_some() {
            return Err("concurrency-conflict");
        }
        if s.state != State::Default {
            return Err("invalid-state");
        }
        check_unicast(addr, s.ipv6)?;
        if addr.ip().is_unspecified() || addr.port() == 0 {
            return Err("invalid-argument");
        }
        // As in Wasmtime, the allow-list's answer (on the implicit bind of a socket that is
        // not bound, then on the address) comes with `finish-connect`.
        let allowed = (s.bound || policy.allows(unspecified(s.ipv6), SocketAddrUse::TcpBind))
            && policy.allows(addr, SocketAddrUse::TcpConnect);
        let failure = if !allowed {
            Some("access-denied")
        } else {
            match s.socket.connect(&addr.into()) {
                Ok(()) => None,
                Err(e) if super::error_code(&e) == "would-block" => None,
                Err(e) => Some(super::error_code(&e)),
            }
        };
        s.state = State::Connecting(failure);
        s.in_progress = Some(Op::Connect);
        Ok(())
    })();
    Ok(Some(sock_result(r.map(|()| None))))
}

/// The input and output streams of a connected socket; they keep the socket open
/// themselves.
fn streams(v: &mut WasiCtxView<'_>, socket: &SharedSocket) -> weft::Result<(Val, Val)> {
    let input = push(v.table, InputStream::Socket(socket.clone()))?;
    let output = push(v.table, OutputStream::new(Sink::Socket(socket.clone())))?;
    Ok((input, output))
}

fn finish_connect(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    if s.in_progress != Some(Op::Connect) {
        return Ok(Some(fail("not-in-progress")));
    }
    let failure = match s.state {
        State::Connecting(Some(code)) => Some(code),
        _ if !super::is_ready(&s.socket, Interest::Write) => {
            return Ok(Some(fail("would-block")));
        }
        _ => match s.socket.take_error() {
            Ok(None) => s.socket.peer_addr().err(),
            Ok(Some(e)) | Err(e) => Some(e),
        }
        .map(|e| super::error_code(&e)),
    };
    s.in_progress = None;
    if let Some(code) = failure {
        s.state = State::Closed(code);
        return Ok(Some(fail(code)));
    }
    s.state = State::Connected;
    s.bound = true;
    let socket = s.socket.clone();
    let (input, output) = streams(v, &socket)?;
    Ok(Some(crate::p2::util::ok(Some(Val::Tuple(vec![
        input, output,
    ])))))
}

fn start_listen(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let policy = v.ctx.sockets.clone();
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    let r = (|| -> SockResult<()> {
        if s.in_progress.is_some() {
            return Err("concurrency-conflict");
        }
        // In WASI 0.2 a socket is bound before it listens.
        if !s.bound || s.state != State::Default {
            return Err("invalid-state");
        }
        let local = s.socket.local_addr().map_err(code)?;
        if let Some(local) = local.as_socket()
            && !policy.allows(local, SocketAddrUse::TcpListen)
        {
            return Err("access-denied");
        }
        s.socket
            .listen(i32::try_from(s.backlog).unwrap_or(i32::MAX))
            .map_err(code)?;
        s.state = State::Listening;
        s.in_progress = Some(Op::Listen);
        Ok(())
    })();
    Ok(Some(sock_result(r.map(|()| None))))
}

fn accept(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let s = get::<TcpSocket>(v.table, p, 0)?;
    if s.state != State::Listening {
        return Ok(Some(fail("invalid-state")));
    }
    let ipv6 = s.ipv6;
    let accepted = loop {
        match s.socket.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A peer the allow-list refuses is disconnected, as in Wasmtime.
            Ok((_, peer))
                if peer
                    .as_socket()
                    .is_some_and(|peer| !v.ctx.sockets.allows(peer, SocketAddrUse::TcpAccept)) => {}
            other => break other,
        }
    };
    let socket = match accepted.and_then(|(socket, _)| {
        socket.set_nonblocking(true)?;
        Ok(socket)
    }) {
        Ok(socket) => socket,
        Err(e) => return Ok(Some(fail(super::error_code(&e)))),
    };
    let socket = TcpSocket::new(socket, ipv6, State::Connected);
    let shared = socket.socket.clone();
    let handle = push(v.table, socket)?;
    let (input, output) = streams(v, &shared)?;
    Ok(Some(crate::p2::util::ok(Some(Val::Tuple(vec![
        handle, input, output,
    ])))))
}

fn set_backlog(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let value = arg_u64(p, 1)?;
    let s = get_mut::<TcpSocket>(v.table, p, 0)?;
    if value == 0 {
        return Ok(Some(fail("invalid-argument")));
    }
    let backlog = u32::try_from(value.min(i32::MAX as u64)).unwrap_or(i32::MAX as u32);
    let r = match s.state {
        State::Default => Ok(()),
        State::Listening => s
            .socket
            .listen(i32::try_from(backlog).unwrap_or(i32::MAX))
            .map_err(|_| "not-supported"),
        State::Closed(code) => Err(code),
        _ => Err("invalid-state"),
    };
    if r.is_ok() {
        s.backlog = backlog;
    }
    Ok(Some(sock_result(r.map(|()| None))))
}

fn set_keepalive(
    v: &mut WasiCtxView<'_>,
    p: &[Val],
    with: fn(socket2::TcpKeepalive, Duration) -> socket2::TcpKeepalive,
) -> weft::Result<Option<Val>> {
    let value = arg_u64(p, 1)?;
    let s = get::<TcpSocket>(v.table, p, 0)?;
    if value == 0 {
        return Ok(Some(fail("invalid-argument")));
    }
    // At least a second, at most what the host's option holds (seconds in an `i32`).
    let secs = value.div_ceil(1_000_000_000).clamp(1, i32::MAX as u64);
    let keepalive = with(socket2::TcpKeepalive::new(), Duration::from_secs(secs));
    Ok(Some(option(s, |sock| {
        sock.set_tcp_keepalive(&keepalive).map(|()| None)
    })))
}

fn shutdown(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let how = match arg(p, 1)? {
        Val::Enum(name) if name == "receive" => std::net::Shutdown::Read,
        Val::Enum(name) if name == "send" => std::net::Shutdown::Write,
        Val::Enum(name) if name == "both" => std::net::Shutdown::Both,
        _ => return Err(bad_arg(1, "shutdown-type")),
    };
    let s = get::<TcpSocket>(v.table, p, 0)?;
    Ok(Some(if s.state == State::Connected {
        option(s, |sock| sock.shutdown(how).map(|()| None))
    } else {
        fail("invalid-state")
    }))
}
