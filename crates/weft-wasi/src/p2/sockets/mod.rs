//! `wasi:sockets`: `network`, `instance-network`, `tcp`, `tcp-create-socket`, `udp`,
//! `udp-create-socket` and `ip-name-lookup`.
//!
//! Sockets are the host's, made nonblocking; what a guest may do with them is the context's
//! allow-list ([`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network),
//! [`allow_tcp`](crate::WasiCtxBuilder::allow_tcp),
//! [`allow_udp`](crate::WasiCtxBuilder::allow_udp),
//! [`allow_ip_name_lookup`](crate::WasiCtxBuilder::allow_ip_name_lookup),
//! [`socket_addr_check`](crate::WasiCtxBuilder::socket_addr_check)): everything is denied
//! unless granted, and a denied call fails with `access-denied` (a denied name lookup with
//! `permanent-resolver-failure`, the errors its WIT allows).
//!
//! The state machines and error codes follow the WIT: a `start-*` call out of order is
//! `invalid-state`, a `finish-*` call without its `start-*` is `not-in-progress`, a
//! `finish-connect` or `accept` that would wait is `would-block`. Pollables of sockets and
//! of their streams wait in the operating system's `poll` on the socket.

mod lookup;
mod tcp;
mod udp;

use super::io::{Pollable, interrupted};
use super::util::{arg, bad_arg, err, ok};
use super::{HostFunction, HostResource, WasiCtxView, host_function as f};
use rustix::event::{PollFd, PollFlags, Timespec};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft::component::Val;

/// `wasi:sockets/network.network`: the right to use the network, as the context allows it.
pub(crate) struct Network;

/// A host socket shared by a socket resource and its streams.
pub(crate) type SharedSocket = Arc<socket2::Socket>;

/// What a socket pollable waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Interest {
    /// Data to read, a connection to accept, or the end of the stream.
    Read,
    /// Room to write, or a connection attempt that ended.
    Write,
}

impl Interest {
    fn flags(self) -> PollFlags {
        match self {
            Interest::Read => PollFlags::IN,
            Interest::Write => PollFlags::OUT,
        }
    }
}

pub(super) const RESOURCES: &[HostResource] = &[
    HostResource::of::<Network>("wasi:sockets/network", "network"),
    HostResource::of::<tcp::TcpSocket>("wasi:sockets/tcp", "tcp-socket"),
    HostResource::of::<udp::UdpSocket>("wasi:sockets/udp", "udp-socket"),
    HostResource::of::<udp::IncomingDatagramStream>("wasi:sockets/udp", "incoming-datagram-stream"),
    HostResource::of::<udp::OutgoingDatagramStream>("wasi:sockets/udp", "outgoing-datagram-stream"),
    HostResource::of::<lookup::ResolveAddressStream>(
        "wasi:sockets/ip-name-lookup",
        "resolve-address-stream",
    ),
];

const INSTANCE_NETWORK: &[HostFunction] = &[f(
    "wasi:sockets/instance-network",
    "instance-network",
    "",
    "own<network>",
    |v, _| super::util::push(v.table, Network).map(Some),
)];

/// Every function of the sockets interfaces.
pub(super) fn functions() -> impl Iterator<Item = &'static HostFunction> {
    [
        INSTANCE_NETWORK,
        tcp::FUNCTIONS,
        udp::FUNCTIONS,
        lookup::FUNCTIONS,
    ]
    .into_iter()
    .flatten()
}

// ---------------------------------------------------------------------------------------
// Errors

/// A `wasi:sockets/network.error-code`, by its WIT name.
pub(crate) type Code = &'static str;

/// The `error-code` of a host error.
pub(crate) fn error_code(e: &io::Error) -> Code {
    use io::ErrorKind as K;
    use rustix::io::Errno;
    match e.raw_os_error().map(Errno::from_raw_os_error) {
        Some(Errno::INPROGRESS | Errno::ALREADY) => return "would-block",
        Some(Errno::MSGSIZE) => return "datagram-too-large",
        Some(Errno::MFILE | Errno::NFILE) => return "new-socket-limit",
        _ => {}
    }
    match e.kind() {
        K::PermissionDenied => "access-denied",
        K::AddrInUse => "address-in-use",
        K::AddrNotAvailable => "address-not-bindable",
        K::ConnectionRefused => "connection-refused",
        K::ConnectionReset | K::BrokenPipe => "connection-reset",
        K::ConnectionAborted => "connection-aborted",
        K::WouldBlock => "would-block",
        K::TimedOut => "timeout",
        K::InvalidInput => "invalid-argument",
        K::Unsupported => "not-supported",
        K::OutOfMemory => "out-of-memory",
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => "remote-unreachable",
        _ => "unknown",
    }
}

/// `err(code)` of a `result<_, error-code>`.
pub(crate) fn fail(code: Code) -> Val {
    err(Some(Val::Enum(code.into())))
}

/// The result of a host call: `ok(value)`, or `err` with the error's code.
fn result(r: io::Result<Option<Val>>) -> Val {
    match r {
        Ok(v) => ok(v),
        Err(e) => fail(error_code(&e)),
    }
}

/// What a socket call returns: `Ok(value)` or an `error-code`.
pub(crate) type SockResult<T> = Result<T, Code>;

/// A [`SockResult`] as the `result` value.
fn sock_result(r: SockResult<Option<Val>>) -> Val {
    match r {
        Ok(v) => ok(v),
        Err(code) => fail(code),
    }
}

/// The code of a host error, for `?` in a [`SockResult`].
fn code(e: io::Error) -> Code {
    error_code(&e)
}

// ---------------------------------------------------------------------------------------
// Addresses

/// An `ip-address-family` argument: `true` for IPv6.
fn arg_family(p: &[Val], index: usize) -> weft::Result<bool> {
    match arg(p, index)? {
        Val::Enum(name) if name == "ipv4" => Ok(false),
        Val::Enum(name) if name == "ipv6" => Ok(true),
        _ => Err(bad_arg(index, "ip-address-family")),
    }
}

fn family(ipv6: bool) -> Val {
    Val::Enum(if ipv6 { "ipv6" } else { "ipv4" }.into())
}

fn field<'v>(fields: &'v [(String, Val)], name: &str) -> Option<&'v Val> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn tuple_of<T: Copy, const N: usize>(
    v: Option<&Val>,
    get: fn(&Val) -> Option<T>,
) -> Option<[T; N]> {
    let Some(Val::Tuple(items)) = v else {
        return None;
    };
    let items = items.iter().map(get).collect::<Option<Vec<T>>>()?;
    items.try_into().ok()
}

/// An `ip-socket-address` value as a host address.
fn socket_addr(v: &Val) -> Option<SocketAddr> {
    let Val::Variant(case, Some(payload)) = v else {
        return None;
    };
    let Val::Record(fields) = &**payload else {
        return None;
    };
    let port = match field(fields, "port")? {
        Val::U16(port) => *port,
        _ => return None,
    };
    match case.as_str() {
        "ipv4" => {
            let a: [u8; 4] = tuple_of(field(fields, "address"), |v| match v {
                Val::U8(b) => Some(*b),
                _ => None,
            })?;
            Some(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(a), port)))
        }
        "ipv6" => {
            let a: [u16; 8] = tuple_of(field(fields, "address"), |v| match v {
                Val::U16(b) => Some(*b),
                _ => None,
            })?;
            let u32_field = |name| match field(fields, name) {
                Some(Val::U32(v)) => Some(*v),
                _ => None,
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a),
                port,
                u32_field("flow-info")?,
                u32_field("scope-id")?,
            )))
        }
        _ => None,
    }
}

/// An `ip-socket-address` argument.
fn arg_socket_addr(p: &[Val], index: usize) -> weft::Result<SocketAddr> {
    socket_addr(arg(p, index)?).ok_or_else(|| bad_arg(index, "ip-socket-address"))
}

/// An `ip-address` value.
fn ip_value(ip: IpAddr) -> Val {
    match ip {
        IpAddr::V4(a) => Val::Variant(
            "ipv4".into(),
            Some(Box::new(Val::Tuple(a.octets().map(Val::U8).to_vec()))),
        ),
        IpAddr::V6(a) => Val::Variant(
            "ipv6".into(),
            Some(Box::new(Val::Tuple(a.segments().map(Val::U16).to_vec()))),
        ),
    }
}

/// An `ip-socket-address` value.
fn socket_addr_value(addr: SocketAddr) -> Val {
    let port = ("port".to_owned(), Val::U16(addr.port()));
    let (case, fields) = match addr {
        SocketAddr::V4(a) => (
            "ipv4",
            vec![
                port,
                (
                    "address".to_owned(),
                    Val::Tuple(a.ip().octets().map(Val::U8).to_vec()),
                ),
            ],
        ),
        SocketAddr::V6(a) => (
            "ipv6",
            vec![
                port,
                ("flow-info".to_owned(), Val::U32(a.flowinfo())),
                (
                    "address".to_owned(),
                    Val::Tuple(a.ip().segments().map(Val::U16).to_vec()),
                ),
                ("scope-id".to_owned(), Val::U32(a.scope_id())),
            ],
        ),
    };
    Val::Variant(case.into(), Some(Box::new(Val::Record(fields))))
}

/// The local or remote address of a socket as a `result<ip-socket-address, error-code>`.
fn addr_result(addr: io::Result<socket2::SockAddr>) -> Val {
    match addr {
        Ok(addr) => match addr.as_socket() {
            Some(addr) => ok(Some(socket_addr_value(addr))),
            None => fail("unknown"),
        },
        Err(e) => fail(error_code(&e)),
    }
}

/// Checks an address the guest passes against the socket's family: `invalid-argument` for
/// the other family (an IPv4-mapped IPv6 address is refused too, as on Wasmtime).
fn check_family(addr: SocketAddr, ipv6: bool) -> SockResult<()> {
    match addr {
        SocketAddr::V4(_) if !ipv6 => Ok(()),
        SocketAddr::V6(a) if ipv6 && a.ip().to_ipv4_mapped().is_none() => Ok(()),
        _ => Err("invalid-argument"),
    }
}

/// A new nonblocking socket of the family and type.
fn new_socket(ipv6: bool, ty: socket2::Type) -> io::Result<socket2::Socket> {
    let domain = if ipv6 {
        socket2::Domain::IPV6
    } else {
        socket2::Domain::IPV4
    };
    let socket = socket2::Socket::new(domain, ty, None)?;
    socket.set_nonblocking(true)?;
    if ipv6 {
        socket.set_only_v6(true)?;
    }
    Ok(socket)
}

/// A size option (`value: u64`) clamped to what the host takes; 0 is `invalid-argument`.
fn buffer_size(value: u64) -> SockResult<usize> {
    if value == 0 {
        return Err("invalid-argument");
    }
    Ok(usize::try_from(value.min(i32::MAX as u64)).unwrap_or(i32::MAX as usize))
}

/// A buffer-size option's value, for `receive-buffer-size` and `send-buffer-size`.
fn buffer_size_val(size: io::Result<usize>) -> io::Result<Option<Val>> {
    size.map(|n| Some(Val::U64(n as u64)))
}

/// Sets a buffer-size option to the guest's `value` (see [`buffer_size`]) with `set`.
fn set_buffer_size(
    value: u64,
    set: impl FnOnce(usize) -> io::Result<()>,
) -> SockResult<Option<Val>> {
    let n = buffer_size(value)?;
    set(n).map(|()| None).map_err(code)
}

/// The hop limit of a socket.
fn hop_limit(socket: &socket2::Socket, ipv6: bool) -> io::Result<u8> {
    let hops = if ipv6 {
        socket.unicast_hops_v6()?
    } else {
        socket.ttl_v4()?
    };
    Ok(u8::try_from(hops).unwrap_or(u8::MAX))
}

/// Sets the hop limit of a socket; 0 is `invalid-argument`.
fn set_hop_limit(socket: &socket2::Socket, ipv6: bool, value: u8) -> SockResult<()> {
    if value == 0 {
        return Err("invalid-argument");
    }
    if ipv6 {
        socket.set_unicast_hops_v6(u32::from(value)).map_err(code)
    } else {
        socket.set_ttl_v4(u32::from(value)).map_err(code)
    }
}

// ---------------------------------------------------------------------------------------
// Waiting

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// Polls the sockets once for at most `timeout` (forever with `None`): whether any is ready.
fn poll_sockets(sockets: &[(SharedSocket, Interest)], timeout: Option<Duration>) -> bool {
    let mut fds: Vec<PollFd<'_>> = sockets
        .iter()
        .map(|(s, interest)| PollFd::new(&**s, interest.flags()))
        .collect();
    let timeout = timeout.map(timespec);
    matches!(rustix::event::poll(&mut fds, timeout.as_ref()), Ok(n) if n > 0)
}

/// Whether the socket is ready for `interest` now.
pub(crate) fn is_ready(socket: &SharedSocket, interest: Interest) -> bool {
    poll_sockets(&[(socket.clone(), interest)], Some(Duration::ZERO))
}

/// Waits at most `timeout` (forever with `None`) until one of `sockets` is ready or, with
/// `stdin`, standard input has data: whether anything became ready. With standard input in
/// the set the two are watched in turn, 10 milliseconds at a time.
pub(crate) fn wait_sockets(
    sockets: &[(SharedSocket, Interest)],
    timeout: Option<Duration>,
    mut stdin: Option<&mut dyn crate::stream::InputStream>,
) -> bool {
    let Some(stdin) = stdin.as_mut() else {
        return poll_sockets(sockets, timeout);
    };
    let start = Instant::now();
    let slice = Duration::from_millis(10);
    loop {
        let left = timeout.map(|t| t.saturating_sub(start.elapsed()));
        let step = left.map_or(slice, |l| l.min(slice));
        if poll_sockets(sockets, Some(step)) || stdin.wait_readable(Some(Duration::ZERO)) {
            return true;
        }
        if left.is_some_and(|l| l <= step) {
            return false;
        }
    }
}

/// Waits until the socket is ready for `interest`, bounded by the context's deadline.
pub(crate) fn wait_socket(
    socket: &SharedSocket,
    interest: Interest,
    deadline: Option<Instant>,
) -> weft::Result<()> {
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if poll_sockets(&[(socket.clone(), interest)], left) {
            return Ok(());
        }
        if left.is_some_and(|l| l.is_zero()) {
            return Err(interrupted());
        }
    }
}

/// Reads at most `len` bytes from a connected socket: `Ok(None)` at the end of the stream, an
/// empty buffer when nothing is there and `blocking` is false.
pub(crate) fn read_socket(
    socket: &SharedSocket,
    len: usize,
    blocking: bool,
    deadline: Option<Instant>,
) -> weft::Result<io::Result<Option<Vec<u8>>>> {
    use std::io::Read;
    let mut buf = vec![0u8; len];
    loop {
        if blocking {
            wait_socket(socket, Interest::Read, deadline)?;
        }
        return Ok(match (&**socket).read(&mut buf) {
            Ok(0) => Ok(None),
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && blocking => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Some(Vec::new())),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        });
    }
}

/// Writes all of `data` to a connected socket, waiting for room as needed (bounded by the
/// deadline).
pub(crate) fn write_socket(
    socket: &SharedSocket,
    mut data: &[u8],
    deadline: Option<Instant>,
) -> weft::Result<io::Result<()>> {
    use std::io::Write;
    while !data.is_empty() {
        match (&**socket).write(data) {
            Ok(n) => data = data.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_socket(socket, Interest::Write, deadline)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(()))
}

/// A pollable on the socket, child of the resource argument 0 of type `T`.
fn subscribe<T: 'static>(
    v: &mut WasiCtxView<'_>,
    p: &[Val],
    pollable: Pollable,
) -> weft::Result<Option<Val>> {
    let res = super::util::arg_res::<T>(p, 0)?;
    let child = v
        .table
        .push_child(pollable, &res)
        .map_err(super::util::table_error)?;
    Ok(Some(super::util::own(child)))
}
