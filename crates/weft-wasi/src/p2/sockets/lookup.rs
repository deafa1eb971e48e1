//! `wasi:sockets/ip-name-lookup`.

use super::{fail, ip_value};
use crate::p2::io::Pollable;
use crate::p2::util::{arg_str, get, get_mut, ok, push};
use crate::p2::{HostFunction, WasiCtxView, host_function as f};
use std::collections::VecDeque;
use std::net::{IpAddr, ToSocketAddrs};
use weft::component::Val;

/// `wasi:sockets/ip-name-lookup.resolve-address-stream`: the addresses a name resolved to,
/// resolved at once (the lookup blocks the host thread while it lasts).
pub(crate) struct ResolveAddressStream {
    addresses: VecDeque<IpAddr>,
}

const LOOKUP: &str = "wasi:sockets/ip-name-lookup";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        LOOKUP,
        "resolve-addresses",
        "network: borrow<network>, name: string",
        "result<own<resolve-address-stream>, error-code>",
        resolve_addresses,
    ),
    f(
        LOOKUP,
        "[method]resolve-address-stream.resolve-next-address",
        "self: borrow<resolve-address-stream>",
        "result<option<ip-address>, error-code>",
        |v, p| {
            let s = get_mut::<ResolveAddressStream>(v.table, p, 0)?;
            let next = s.addresses.pop_front().map(|a| Box::new(ip_value(a)));
            Ok(Some(ok(Some(Val::Option(next)))))
        },
    ),
    f(
        LOOKUP,
        "[method]resolve-address-stream.subscribe",
        "self: borrow<resolve-address-stream>",
        "own<pollable>",
        |v, p| {
            get::<ResolveAddressStream>(v.table, p, 0)?;
            super::subscribe::<ResolveAddressStream>(v, p, Pollable::Ready)
        },
    ),
];

/// Whether `name` can be a domain name: ASCII letters, digits, `-` and `.`, at most 253
/// bytes, no empty label (a trailing dot aside).
fn is_domain_name(name: &str) -> bool {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    !trimmed.is_empty()
        && trimmed.len() <= 253
        && trimmed.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn resolve_addresses(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    get::<super::Network>(v.table, p, 0)?;
    let name = arg_str(p, 1)?.to_owned();
    if !v.ctx.sockets.ip_name_lookup {
        return Ok(Some(fail("permanent-resolver-failure")));
    }
    let literal = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(&name);
    let addresses: VecDeque<IpAddr> = if let Ok(ip) = literal.parse::<IpAddr>() {
        [ip].into()
    } else if !is_domain_name(&name) {
        return Ok(Some(fail("invalid-argument")));
    } else {
        match (name.as_str(), 0u16).to_socket_addrs() {
            Ok(addrs) => {
                let mut seen = Vec::new();
                for a in addrs {
                    if !seen.contains(&a.ip()) {
                        seen.push(a.ip());
                    }
                }
                seen.into()
            }
            Err(_) => return Ok(Some(fail("name-unresolvable"))),
        }
    };
    let stream = push(v.table, ResolveAddressStream { addresses })?;
    Ok(Some(ok(Some(stream))))
}
