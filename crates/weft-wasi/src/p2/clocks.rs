//! `wasi:clocks`: `monotonic-clock` and `wall-clock`, read from the context's clocks (the
//! same ones preview 1 reads).

use super::io::Pollable;
use super::util::{arg_u64, push};
use super::{HostFunction, WasiCtxView, host_function as f};
use weft::component::Val;

const MONO: &str = "wasi:clocks/monotonic-clock";
const WALL: &str = "wasi:clocks/wall-clock";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(MONO, "now", "", "u64", |v, _| {
        Ok(Some(Val::U64(v.ctx.monotonic_clock.now())))
    }),
    f(MONO, "resolution", "", "u64", |v, _| {
        Ok(Some(Val::U64(v.ctx.monotonic_clock.resolution())))
    }),
    f(
        MONO,
        "subscribe-instant",
        "when: u64",
        "own<pollable>",
        subscribe_instant,
    ),
    f(
        MONO,
        "subscribe-duration",
        "when: u64",
        "own<pollable>",
        subscribe_duration,
    ),
    f(WALL, "now", "", "datetime", |v, _| {
        Ok(Some(datetime(v.ctx.wall_clock.now())))
    }),
    f(WALL, "resolution", "", "datetime", |v, _| {
        Ok(Some(datetime(v.ctx.wall_clock.resolution())))
    }),
];

/// A `datetime` record.
fn datetime(d: std::time::Duration) -> Val {
    Val::Record(vec![
        ("seconds".into(), Val::U64(d.as_secs())),
        ("nanoseconds".into(), Val::U32(d.subsec_nanos())),
    ])
}

fn subscribe_instant(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let when = arg_u64(p, 0)?;
    push(v.table, Pollable::Clock(when)).map(Some)
}

fn subscribe_duration(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let when = v.ctx.monotonic_clock.now().saturating_add(arg_u64(p, 0)?);
    push(v.table, Pollable::Clock(when)).map(Some)
}
