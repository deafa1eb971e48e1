//! `wasi:random`: `random`, `insecure` and `insecure-seed`, all drawn from the context's
//! [`RandomSource`](crate::RandomSource) (the operating system's secure generator unless the
//! embedder installed another), so that a reproducible run is reproducible everywhere.

use super::typed::Typed;
use super::util::clamp_len;
use super::{HostFunction, WasiCtxView, host_function as f, typed_function as t};
use weft::component::Val;

/// The most bytes one call may ask for: the spec wants exactly `len` bytes back, so a longer
/// request traps rather than making the host allocate whatever the guest names.
const MAX_BYTES: u64 = 1 << 20;

pub(super) const FUNCTIONS: &[HostFunction] = &[
    t(
        "wasi:random/random",
        "get-random-bytes",
        "len: u64",
        "list<u8>",
        Typed::Bytes(random_bytes),
    ),
    f(
        "wasi:random/random",
        "get-random-u64",
        "",
        "u64",
        random_u64,
    ),
    t(
        "wasi:random/insecure",
        "get-insecure-random-bytes",
        "len: u64",
        "list<u8>",
        Typed::Bytes(random_bytes),
    ),
    f(
        "wasi:random/insecure",
        "get-insecure-random-u64",
        "",
        "u64",
        random_u64,
    ),
    f(
        "wasi:random/insecure-seed",
        "insecure-seed",
        "",
        "tuple<u64, u64>",
        insecure_seed,
    ),
];

fn fill(v: &mut WasiCtxView<'_>, buf: &mut [u8]) -> weft::Result<()> {
    v.ctx
        .random
        .fill(buf)
        .map_err(|e| weft::Error::msg(format!("wasi:random: no random bytes to be had: {e}")))
}

fn random_bytes(v: &mut WasiCtxView<'_>, len: u64) -> weft::Result<Vec<u8>> {
    if len > MAX_BYTES {
        return Err(weft::Error::msg(format!(
            "wasi:random: {len} random bytes asked for, more than the {MAX_BYTES} allowed"
        )));
    }
    let mut buf = vec![0u8; clamp_len(len, MAX_BYTES as usize)];
    fill(v, &mut buf)?;
    Ok(buf)
}

fn random_u64(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    let mut buf = [0u8; 8];
    fill(v, &mut buf)?;
    Ok(Some(Val::U64(u64::from_le_bytes(buf))))
}

fn insecure_seed(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    let mut buf = [0u8; 16];
    fill(v, &mut buf)?;
    let (lo, hi) = buf.split_at(8);
    let word = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte))
    };
    Ok(Some(Val::Tuple(vec![
        Val::U64(word(lo)),
        Val::U64(word(hi)),
    ])))
}
