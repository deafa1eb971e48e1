//! `wasi:sockets/udp` and `wasi:sockets/udp-create-socket`.

use super::{
    Interest, SharedSocket, SockResult, addr_result, arg_family, arg_socket_addr, buffer_size_val,
    check_family, code, fail, family, hop_limit, new_socket, result, set_buffer_size,
    set_hop_limit, sock_result, socket_addr, socket_addr_value, subscribe,
};
use crate::ctx::SocketAddrUse;
use crate::p2::io::Pollable;
use crate::p2::util::{arg, arg_u64, bad_arg, bytes, clamp_len, get, get_mut, ok, push};
use crate::p2::{HostFunction, WasiCtxView, host_function as f};
use std::net::SocketAddr;
use std::sync::Arc;
use weft::component::Val;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Default,
    BindStarted,
    Bound,
    Connected,
}

/// `wasi:sockets/udp.udp-socket`.
pub(crate) struct UdpSocket {
    socket: SharedSocket,
    ipv6: bool,
    state: State,
}

/// `wasi:sockets/udp.incoming-datagram-stream`.
pub(crate) struct IncomingDatagramStream {
    socket: SharedSocket,
}

/// `wasi:sockets/udp.outgoing-datagram-stream`.
pub(crate) struct OutgoingDatagramStream {
    socket: SharedSocket,
    ipv6: bool,
    /// The address `stream` connected the socket to, if any.
    remote: Option<SocketAddr>,
    /// Datagrams `check-send` permitted and `send` has not used yet.
    permits: u64,
}

/// The most datagrams `check-send` permits, and `receive` returns, at once.
const BATCH: u64 = 16;

/// The largest datagram received.
const MAX_DATAGRAM: usize = 64 * 1024;

const UDP: &str = "wasi:sockets/udp";
const SELF: &str = "self: borrow<udp-socket>";
const UNIT: &str = "result<_, error-code>";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        "wasi:sockets/udp-create-socket",
        "create-udp-socket",
        "address-family: ip-address-family",
        "result<own<udp-socket>, error-code>",
        create,
    ),
    f(
        UDP,
        "[method]udp-socket.start-bind",
        "self: borrow<udp-socket>, network: borrow<network>, local-address: ip-socket-address",
        UNIT,
        start_bind,
    ),
    f(UDP, "[method]udp-socket.finish-bind", SELF, UNIT, |v, p| {
        let s = get_mut::<UdpSocket>(v.table, p, 0)?;
        Ok(Some(if s.state == State::BindStarted {
            s.state = State::Bound;
            ok(None)
        } else {
            fail("not-in-progress")
        }))
    }),
    f(
        UDP,
        "[method]udp-socket.stream",
        "self: borrow<udp-socket>, remote-address: option<ip-socket-address>",
        "result<tuple<own<incoming-datagram-stream>, own<outgoing-datagram-stream>>, error-code>",
        stream,
    ),
    f(
        UDP,
        "[method]udp-socket.local-address",
        SELF,
        "result<ip-socket-address, error-code>",
        |v, p| {
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(match s.state {
                State::Default | State::BindStarted => fail("invalid-state"),
                _ => addr_result(s.socket.local_addr()),
            }))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.remote-address",
        SELF,
        "result<ip-socket-address, error-code>",
        |v, p| {
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(match s.state {
                State::Connected => addr_result(s.socket.peer_addr()),
                _ => fail("invalid-state"),
            }))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.address-family",
        SELF,
        "ip-address-family",
        |v, p| Ok(Some(family(get::<UdpSocket>(v.table, p, 0)?.ipv6))),
    ),
    f(
        UDP,
        "[method]udp-socket.unicast-hop-limit",
        SELF,
        "result<u8, error-code>",
        |v, p| {
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(result(
                hop_limit(&s.socket, s.ipv6).map(|h| Some(Val::U8(h))),
            )))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.set-unicast-hop-limit",
        "self: borrow<udp-socket>, value: u8",
        UNIT,
        |v, p| {
            let value = crate::p2::util::arg_u8(p, 1)?;
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(
                set_hop_limit(&s.socket, s.ipv6, value).map(|()| None),
            )))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.receive-buffer-size",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(result(buffer_size_val(s.socket.recv_buffer_size()))))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.set-receive-buffer-size",
        "self: borrow<udp-socket>, value: u64",
        UNIT,
        |v, p| {
            let value = arg_u64(p, 1)?;
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(set_buffer_size(value, |n| {
                s.socket.set_recv_buffer_size(n)
            }))))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.send-buffer-size",
        SELF,
        "result<u64, error-code>",
        |v, p| {
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(result(buffer_size_val(s.socket.send_buffer_size()))))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.set-send-buffer-size",
        "self: borrow<udp-socket>, value: u64",
        UNIT,
        |v, p| {
            let value = arg_u64(p, 1)?;
            let s = get::<UdpSocket>(v.table, p, 0)?;
            Ok(Some(sock_result(set_buffer_size(value, |n| {
                s.socket.set_send_buffer_size(n)
            }))))
        },
    ),
    f(
        UDP,
        "[method]udp-socket.subscribe",
        SELF,
        "own<pollable>",
        |v, p| {
            get::<UdpSocket>(v.table, p, 0)?;
            subscribe::<UdpSocket>(v, p, Pollable::Ready)
        },
    ),
    f(
        UDP,
        "[method]incoming-datagram-stream.receive",
        "self: borrow<incoming-datagram-stream>, max-results: u64",
        "result<list<incoming-datagram>, error-code>",
        receive,
    ),
    f(
        UDP,
        "[method]incoming-datagram-stream.subscribe",
        "self: borrow<incoming-datagram-stream>",
        "own<pollable>",
        |v, p| {
            let s = get::<IncomingDatagramStream>(v.table, p, 0)?;
            let pollable = Pollable::Socket(s.socket.clone(), Interest::Read);
            subscribe::<IncomingDatagramStream>(v, p, pollable)
        },
    ),
    f(
        UDP,
        "[method]outgoing-datagram-stream.check-send",
        "self: borrow<outgoing-datagram-stream>",
        "result<u64, error-code>",
        |v, p| {
            let s = get_mut::<OutgoingDatagramStream>(v.table, p, 0)?;
            s.permits = BATCH;
            Ok(Some(ok(Some(Val::U64(BATCH)))))
        },
    ),
    f(
        UDP,
        "[method]outgoing-datagram-stream.send",
        "self: borrow<outgoing-datagram-stream>, datagrams: list<outgoing-datagram>",
        "result<u64, error-code>",
        send,
    ),
    f(
        UDP,
        "[method]outgoing-datagram-stream.subscribe",
        "self: borrow<outgoing-datagram-stream>",
        "own<pollable>",
        |v, p| {
            let s = get::<OutgoingDatagramStream>(v.table, p, 0)?;
            let pollable = Pollable::Socket(s.socket.clone(), Interest::Write);
            subscribe::<OutgoingDatagramStream>(v, p, pollable)
        },
    ),
];

fn create(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let ipv6 = arg_family(p, 0)?;
    if !v.ctx.sockets.udp {
        return Ok(Some(fail("access-denied")));
    }
    match new_socket(ipv6, socket2::Type::DGRAM) {
        Ok(socket) => {
            let socket = UdpSocket {
                socket: Arc::new(socket),
                ipv6,
                state: State::Default,
            };
            Ok(Some(ok(Some(push(v.table, socket)?))))
        }
        Err(e) => Ok(Some(fail(super::error_code(&e)))),
    }
}

fn start_bind(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<super::Network>(v.table, p, 1)?;
    let addr = arg_socket_addr(p, 2)?;
    let allowed = v.ctx.sockets.allows(addr, SocketAddrUse::UdpBind);
    let s = get_mut::<UdpSocket>(v.table, p, 0)?;
    let r = (|| -> SockResult<()> {
        if s.state != State::Default {
            return Err("invalid-state");
        }
        check_family(addr, s.ipv6)?;
        if !allowed {
            return Err("access-denied");
        }
        s.socket.bind(&addr.into()).map_err(code)?;
        s.state = State::BindStarted;
        Ok(())
    })();
    Ok(Some(sock_result(r.map(|()| None))))
}

fn stream(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let remote = match arg(p, 1)? {
        Val::Option(None) => None,
        Val::Option(Some(addr)) => {
            Some(socket_addr(addr).ok_or_else(|| bad_arg(1, "ip-socket-address"))?)
        }
        _ => return Err(bad_arg(1, "option<ip-socket-address>")),
    };
    let policy = &v.ctx.sockets;
    let allowed = remote.is_none_or(|a| {
        policy.allows(a, SocketAddrUse::UdpSend) && policy.allows(a, SocketAddrUse::UdpReceive)
    });
    let s = get_mut::<UdpSocket>(v.table, p, 0)?;
    let r = (|| -> SockResult<()> {
        if !matches!(s.state, State::Bound | State::Connected) {
            return Err("invalid-state");
        }
        if let Some(addr) = remote {
            check_family(addr, s.ipv6)?;
            if addr.ip().is_unspecified() || addr.port() == 0 {
                return Err("invalid-argument");
            }
            if !allowed {
                return Err("access-denied");
            }
        }
        if s.state == State::Connected {
            rustix::net::connect_unspec(&*s.socket).map_err(|e| super::error_code(&e.into()))?;
            s.state = State::Bound;
        }
        if let Some(addr) = remote {
            s.socket.connect(&addr.into()).map_err(code)?;
            s.state = State::Connected;
        }
        Ok(())
    })();
    if let Err(c) = r {
        return Ok(Some(fail(c)));
    }
    let (socket, ipv6) = (s.socket.clone(), s.ipv6);
    let incoming = push(
        v.table,
        IncomingDatagramStream {
            socket: socket.clone(),
        },
    )?;
    let outgoing = push(
        v.table,
        OutgoingDatagramStream {
            socket,
            ipv6,
            remote,
            permits: 0,
        },
    )?;
    Ok(Some(ok(Some(Val::Tuple(vec![incoming, outgoing])))))
}

fn receive(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let max = clamp_len(arg_u64(p, 1)?, BATCH as usize);
    let policy = v.ctx.sockets.clone();
    let s = get::<IncomingDatagramStream>(v.table, p, 0)?;
    let mut datagrams = Vec::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while datagrams.len() < max {
        match rustix::net::recvfrom(&*s.socket, &mut buf, rustix::net::RecvFlags::empty()) {
            Ok((n, _, Some(from))) => {
                let Ok(from) = SocketAddr::try_from(from) else {
                    break;
                };
                // A datagram from a refused address is dropped, as in Wasmtime.
                if !policy.allows(from, SocketAddrUse::UdpReceive) {
                    continue;
                }
                let data = buf.get(..n).unwrap_or_default();
                datagrams.push(Val::Record(vec![
                    ("data".to_owned(), bytes(data)),
                    ("remote-address".to_owned(), socket_addr_value(from)),
                ]));
            }
            Ok((_, _, None)) => break,
            Err(rustix::io::Errno::AGAIN) => break,
            Err(e) if datagrams.is_empty() => {
                return Ok(Some(fail(super::error_code(&e.into()))));
            }
            Err(_) => break,
        }
    }
    Ok(Some(ok(Some(Val::List(datagrams)))))
}

/// One `outgoing-datagram` value: its data and its remote address, if any.
fn datagram(v: &Val) -> Option<(Vec<u8>, Option<SocketAddr>)> {
    let Val::Record(fields) = v else {
        return None;
    };
    let data = match super::field(fields, "data")? {
        Val::List(items) => items
            .iter()
            .map(|b| match b {
                Val::U8(b) => Some(*b),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()?,
        _ => return None,
    };
    let remote = match super::field(fields, "remote-address")? {
        Val::Option(None) => None,
        Val::Option(Some(addr)) => Some(socket_addr(addr)?),
        _ => return None,
    };
    Some((data, remote))
}

fn send(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let Val::List(items) = arg(p, 1)? else {
        return Err(bad_arg(1, "list<outgoing-datagram>"));
    };
    let datagrams = items
        .iter()
        .map(datagram)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad_arg(1, "list<outgoing-datagram>"))?;
    let policy = v.ctx.sockets.clone();
    let s = get_mut::<OutgoingDatagramStream>(v.table, p, 0)?;
    if datagrams.len() as u64 > s.permits {
        return Err(weft::Error::msg(format!(
            "outgoing-datagram-stream.send: {} datagrams, but check-send permitted {}",
            datagrams.len(),
            s.permits
        )));
    }
    s.permits = 0;
    let mut sent = 0u64;
    for (data, to) in datagrams {
        let r = (|| -> SockResult<()> {
            let to = match (s.remote, to) {
                (Some(remote), Some(to)) if remote != to => return Err("invalid-argument"),
                (Some(_), _) => None,
                (None, Some(to)) => {
                    check_family(to, s.ipv6)?;
                    if !policy.allows(to, SocketAddrUse::UdpSend) {
                        return Err("access-denied");
                    }
                    Some(to)
                }
                (None, None) => return Err("invalid-argument"),
            };
            let n = match to {
                Some(to) => s.socket.send_to(&data, &to.into()),
                None => s.socket.send(&data),
            };
            n.map(|_| ()).map_err(code)
        })();
        match r {
            Ok(()) => sent += 1,
            Err(c) if sent == 0 => return Ok(Some(fail(c))),
            Err(_) => break,
        }
    }
    Ok(Some(ok(Some(Val::U64(sent)))))
}
