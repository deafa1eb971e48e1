//! The Component Model suite: the cost of crossing a component boundary, Weft against
//! Wasmtime's `wasmtime::component`.
//!
//! One test component (component text, below) exports guest functions that do next to no
//! work and imports host functions that do next to no work, so the times are the
//! per-call overhead of lowering and lifting the values:
//!
//! - host to guest: the host calls `string-len(string) -> u32` with a 1 KiB string,
//!   `list-len(list<u32>) -> u32` with 1024 elements (4 KiB) and
//!   `record-echo(rec) -> rec` with a record of 8 fields of mixed types;
//! - guest to host: the host calls `call-string(n)` (and `call-list`, `call-record`) once; the
//!   guest's core code then calls the imported host function `n` times in a loop with the same
//!   kind of value from its own memory, so the host-to-guest entry is not counted.
//!
//! Each call is made once through `Val`s (`Func::call`, host functions defined with
//! `func_new`) and once through the typed API (`TypedFunc`, `func_wrap`). Instantiation is
//! timed through `InstancePre::instantiate` into a fresh `Store`.

use crate::engines::EngineKind;
use crate::report::{Cell, Table};
use crate::{guarded, median};
use std::time::Duration;

/// Bytes of the string argument.
const STRING_BYTES: usize = 1024;
/// Elements (u32) of the list argument.
const LIST_LEN: usize = 1024;
/// Value of the record's first field, returned summed by `call-record`.
const RECORD_A: u8 = 7;

/// The test component.
fn component_text() -> String {
    let string_data = "a".repeat(STRING_BYTES);
    format!(
        r#"(component
  (type $rec0 (record
    (field "a" u8) (field "b" s16) (field "c" u32) (field "d" s64)
    (field "e" float32) (field "f" float64) (field "g" bool) (field "h" char)))
  (import "rec" (type $rec (eq $rec0)))
  (import "host-string" (func $host-string (param "s" string) (result u32)))
  (import "host-list" (func $host-list (param "l" (list u32)) (result u32)))
  (import "host-record" (func $host-record (param "r" $rec) (result $rec)))
  (export $rec-out "rec" (type $rec))

  ;; Memory and a bump allocator that wraps around: the arguments it receives are dead once
  ;; the call returns. Bytes 0..1024 are scratch for results; the guest's own string and list
  ;; live in the second page, out of the allocator's range.
  (core module $libc
    (memory (export "mem") 2)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (if (i32.gt_u (global.get $bump) (i32.const 60000))
        (then
          (local.set $r (i32.const 1024))
          (global.set $bump (i32.add (i32.const 1024) (local.get 3)))))
      (local.get $r))
    (data (i32.const 65536) "{string_data}"))
  (core instance $libc (instantiate $libc))

  (core func $host-string (canon lower (func $host-string) (memory (core memory $libc "mem"))))
  (core func $host-list (canon lower (func $host-list) (memory (core memory $libc "mem"))))
  (core func $host-record (canon lower (func $host-record) (memory (core memory $libc "mem"))))

  (core module $m
    (import "libc" "mem" (memory 2))
    (import "host" "string" (func $host-string (param i32 i32) (result i32)))
    (import "host" "list" (func $host-list (param i32 i32) (result i32)))
    (import "host" "record" (func $host-record
      (param i32 i32 i32 i64 f32 f64 i32 i32 i32)))

    (func (export "string-len") (param i32 i32) (result i32) (local.get 1))
    (func (export "list-len") (param i32 i32) (result i32) (local.get 1))
    ;; The record's layout: u8 @0, s16 @2, u32 @4, s64 @8, f32 @16, f64 @24, bool @32, char @36.
    (func (export "record-echo") (param i32 i32 i32 i64 f32 f64 i32 i32) (result i32)
      (i32.store8 (i32.const 256) (local.get 0))
      (i32.store16 (i32.const 258) (local.get 1))
      (i32.store (i32.const 260) (local.get 2))
      (i64.store (i32.const 264) (local.get 3))
      (f32.store (i32.const 272) (local.get 4))
      (f64.store (i32.const 280) (local.get 5))
      (i32.store8 (i32.const 288) (local.get 6))
      (i32.store (i32.const 292) (local.get 7))
      (i32.const 256))

    (func (export "call-string") (param $n i32) (result i32) (local $sum i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (call $host-string (i32.const 65536) (i32.const {STRING_BYTES}))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $sum))
    (func (export "call-list") (param $n i32) (result i32) (local $sum i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum (i32.add (local.get $sum)
          (call $host-list (i32.const 67584) (i32.const {LIST_LEN}))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $sum))
    (func (export "call-record") (param $n i32) (result i32) (local $sum i32)
      (block $done (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (call $host-record (i32.const {RECORD_A}) (i32.const -2) (i32.const 3) (i64.const -4)
          (f32.const 5.5) (f64.const 6.25) (i32.const 1) (i32.const 0x263A) (i32.const 512))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.const 512))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
      (local.get $sum)))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance
      (export "string" (func $host-string))
      (export "list" (func $host-list))
      (export "record" (func $host-record))))))

  (func (export "string-len") (param "s" string) (result u32)
    (canon lift (core func $i "string-len")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "list-len") (param "l" (list u32)) (result u32)
    (canon lift (core func $i "list-len")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "record-echo") (param "r" $rec-out) (result $rec-out)
    (canon lift (core func $i "record-echo") (memory (core memory $libc "mem"))))
  (func (export "call-string") (param "n" u32) (result u32)
    (canon lift (core func $i "call-string")))
  (func (export "call-list") (param "n" u32) (result u32)
    (canon lift (core func $i "call-list")))
  (func (export "call-record") (param "n" u32) (result u32)
    (canon lift (core func $i "call-record"))))"#
    )
}

/// The kind of value passed.
#[derive(Clone, Copy, Debug)]
pub enum Case {
    String,
    List,
    Record,
}

/// Which embedding API makes or receives the call.
#[derive(Clone, Copy, Debug)]
pub enum Api {
    /// `Func::call` with `Val`s; host functions from `func_new`.
    Val,
    /// `TypedFunc::call`; host functions from `func_wrap`.
    Typed,
}

/// The direction of the measured call.
#[derive(Clone, Copy, Debug)]
pub enum Direction {
    ToGuest,
    ToHost,
}

/// One measured row.
#[derive(Clone, Copy)]
struct Row {
    direction: Direction,
    case: Case,
    api: Api,
}

impl Row {
    fn name(self) -> String {
        let direction = match self.direction {
            Direction::ToGuest => "host->guest",
            Direction::ToHost => "guest->host",
        };
        let case = match self.case {
            Case::String => "string 1 KiB",
            Case::List => "list<u32> 4 KiB",
            Case::Record => "record 8 fields",
        };
        let api = match self.api {
            Api::Val => "Val",
            Api::Typed => "typed",
        };
        format!("{direction} {case}, {api}")
    }
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for direction in [Direction::ToGuest, Direction::ToHost] {
        for case in [Case::String, Case::List, Case::Record] {
            for api in [Api::Val, Api::Typed] {
                rows.push(Row {
                    direction,
                    case,
                    api,
                });
            }
        }
    }
    rows
}

/// One engine with the test component compiled and instantiated twice: once linked with
/// `func_new` host functions, once with `func_wrap` ones.
pub trait CmRuntime {
    /// Instantiates through `InstancePre` into a fresh store; returns the time of that.
    fn instantiate(&mut self) -> Result<Duration, String>;

    /// Makes `calls` host-to-guest calls and returns their total time.
    fn to_guest(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String>;

    /// Has the guest make `calls` guest-to-host calls and returns their total time.
    fn to_host(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String>;
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("error").to_string()
}

fn check(what: &str, got: u32, want: u64) -> Result<(), String> {
    if u64::from(got) == want % (1 << 32) {
        Ok(())
    } else {
        Err(format!("{what} returned {got}, expected {want}"))
    }
}

/// The engines this suite can measure, created with the test component.
fn create(kind: EngineKind) -> Result<Box<dyn CmRuntime>, String> {
    let text = component_text();
    match kind {
        EngineKind::Weft => weft_cm::create(&text, false),
        EngineKind::WeftLazy => weft_cm::create(&text, true),
        EngineKind::Cranelift => wasmtime_cm::create(&text, wasmtime_cm::Backend::Cranelift),
        EngineKind::Winch => wasmtime_cm::create(&text, wasmtime_cm::Backend::Winch),
        EngineKind::Pulley => wasmtime_cm::create(&text, wasmtime_cm::Backend::Pulley),
        other => Err(format!(
            "`{}` has no Component Model support here",
            other.name()
        )),
    }
}

/// Default engines of the suite.
pub const DEFAULT: [EngineKind; 3] = [EngineKind::Weft, EngineKind::Cranelift, EngineKind::Pulley];

/// Time to aim for per measured batch of calls.
const BATCH: Duration = Duration::from_millis(50);

/// Number of calls that take about [`BATCH`], from a short trial, between 100 and `max`.
fn calibrate(
    max: u64,
    mut run: impl FnMut(u64) -> Result<Duration, String>,
) -> Result<u64, String> {
    let trial = 100;
    let time = run(trial)?;
    let per_call = time.as_secs_f64() / trial as f64;
    let calls = if per_call > 0.0 {
        (BATCH.as_secs_f64() / per_call) as u64
    } else {
        max
    };
    Ok(calls.clamp(trial, max.max(trial)))
}

/// Runs the suite and prints its tables; false if an engine failed.
pub fn run(engines: &[EngineKind], baseline: EngineKind, runs: usize, max_calls: u64) -> bool {
    let columns: Vec<String> = engines.iter().map(|e| e.name().to_string()).collect();
    let baseline = engines.iter().position(|&e| e == baseline);
    eprintln!(
        "component suite, engines: {}, {runs} run(s) each",
        columns.join(", ")
    );
    let mut runtimes: Vec<Result<Box<dyn CmRuntime>, String>> = engines
        .iter()
        .map(|&kind| guarded(|| create(kind)))
        .collect();
    let rows = rows();
    // Calls per batch, per row and engine, fixed by a trial run before the first round.
    let mut calls: Vec<Vec<u64>> = vec![vec![0; engines.len()]; rows.len()];
    let mut samples: Vec<Vec<Vec<Duration>>> = vec![vec![Vec::new(); engines.len()]; rows.len()];
    let mut instantiate: Vec<Vec<Duration>> = vec![Vec::new(); engines.len()];

    for (e, runtime) in runtimes.iter_mut().enumerate() {
        let Ok(rt) = runtime else { continue };
        let result = guarded(|| {
            for (r, row) in rows.iter().enumerate() {
                calls[r][e] = calibrate(max_calls, |n| measure(rt.as_mut(), *row, n))?;
            }
            rt.instantiate().map(drop)
        });
        if let Err(e) = result {
            *runtime = Err(e);
        }
    }
    for round in 0..runs {
        eprintln!("round {}/{runs}", round + 1);
        for (e, runtime) in runtimes.iter_mut().enumerate() {
            let Ok(rt) = runtime else { continue };
            let result = guarded(|| {
                for (r, row) in rows.iter().enumerate() {
                    let n = calls[r][e];
                    let total = measure(rt.as_mut(), *row, n)?;
                    samples[r][e].push(total / u32::try_from(n).unwrap_or(u32::MAX));
                }
                // Instantiation is short: average over about 20 ms.
                let mut total = Duration::ZERO;
                let mut count = 0u32;
                while total < Duration::from_millis(20) && count < 10_000 {
                    total += rt.instantiate()?;
                    count += 1;
                }
                instantiate[e].push(total / count);
                Ok(())
            });
            if let Err(e) = result {
                *runtime = Err(e);
            }
        }
    }

    let cell = |e: usize, s: &[Duration]| match &runtimes[e] {
        Err(_) => Cell::Failed,
        Ok(_) => median(s).map_or(Cell::Missing, |d| Cell::Value(d, None)),
    };
    let mut calls_table = Table::new(
        "component call, per call (callee does minimal work)",
        &columns,
        baseline,
    );
    for (r, row) in rows.iter().enumerate() {
        let cells = (0..engines.len())
            .map(|e| cell(e, &samples[r][e]))
            .collect();
        calls_table.push_row(&row.name(), cells);
    }
    let mut inst_table = Table::new(
        "component instantiation (InstancePre::instantiate into a fresh Store)",
        &columns,
        baseline,
    );
    let cells = (0..engines.len())
        .map(|e| cell(e, &instantiate[e]))
        .collect();
    inst_table.push_row("instantiate", cells);

    println!();
    println!("{calls_table}");
    println!("{inst_table}");
    if let Some(b) = baseline {
        println!(
            "Ratios are time / time of `{}` (lower is faster). n/a = the engine failed; see below.",
            columns[b]
        );
    }
    let failures: Vec<_> = runtimes
        .iter()
        .zip(engines)
        .filter_map(|(r, k)| r.as_ref().err().map(|e| (k.name(), e)))
        .collect();
    if !failures.is_empty() {
        println!("\nFailures:");
        for (engine, message) in &failures {
            println!("  {engine}: {message}");
        }
    }
    failures.is_empty()
}

fn measure(rt: &mut dyn CmRuntime, row: Row, calls: u64) -> Result<Duration, String> {
    match row.direction {
        Direction::ToGuest => rt.to_guest(row.case, row.api, calls),
        Direction::ToHost => rt.to_host(row.case, row.api, calls),
    }
}

fn record_fields() -> (u8, i16, u32, i64, f32, f64, bool, char) {
    (RECORD_A, -2, 3, -4, 5.5, 6.25, true, '\u{263A}')
}

fn guest_export(case: Case) -> &'static str {
    match case {
        Case::String => "string-len",
        Case::List => "list-len",
        Case::Record => "record-echo",
    }
}

fn guest_loop(case: Case) -> &'static str {
    match case {
        Case::String => "call-string",
        Case::List => "call-list",
        Case::Record => "call-record",
    }
}

/// What the guest loop returns after `n` calls.
fn loop_result(case: Case, n: u64) -> u64 {
    match case {
        Case::String => n * STRING_BYTES as u64,
        Case::List => n * LIST_LEN as u64,
        Case::Record => n * u64::from(RECORD_A),
    }
}

/// Weft.
#[cfg(feature = "weft")]
mod weft_cm {
    use super::{
        Api, Case, CmRuntime, LIST_LEN, STRING_BYTES, check, err, guest_export, guest_loop,
        loop_result, record_fields,
    };
    use std::time::{Duration, Instant};
    use weft::component::{
        Component, ComponentType, Instance, InstancePre, Lift, Linker, Lower, Val,
    };
    use weft::{Engine, Store};

    #[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
    #[component(record)]
    struct Rec {
        a: u8,
        b: i16,
        c: u32,
        d: i64,
        e: f32,
        f: f64,
        g: bool,
        h: char,
    }

    fn rec() -> Rec {
        let (a, b, c, d, e, f, g, h) = record_fields();
        Rec {
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
        }
    }

    fn rec_val() -> Val {
        let (a, b, c, d, e, f, g, h) = record_fields();
        Val::Record(vec![
            ("a".into(), Val::U8(a)),
            ("b".into(), Val::S16(b)),
            ("c".into(), Val::U32(c)),
            ("d".into(), Val::S64(d)),
            ("e".into(), Val::Float32(e)),
            ("f".into(), Val::Float64(f)),
            ("g".into(), Val::Bool(g)),
            ("h".into(), Val::Char(h)),
        ])
    }

    pub fn create(text: &str, lazy: bool) -> Result<Box<dyn CmRuntime>, String> {
        let mut config = weft::Config::new();
        config.compilation_mode(if lazy {
            weft::CompilationMode::Lazy
        } else {
            weft::CompilationMode::Eager
        });
        let engine = Engine::new(&config).map_err(err)?;
        let component = Component::new(&engine, text).map_err(err)?;

        let mut untyped = Linker::<()>::new(&engine);
        let mut root = untyped.root();
        root.func_new("host-string", |_, _, params, results| {
            if let ([Val::String(s)], [slot]) = (params, results) {
                *slot = Val::U32(s.len() as u32);
            }
            Ok(())
        })
        .map_err(err)?;
        root.func_new("host-list", |_, _, params, results| {
            if let ([Val::List(l)], [slot]) = (params, results) {
                *slot = Val::U32(l.len() as u32);
            }
            Ok(())
        })
        .map_err(err)?;
        root.func_new("host-record", |_, _, params, results| {
            if let ([r], [slot]) = (params, results) {
                *slot = r.clone();
            }
            Ok(())
        })
        .map_err(err)?;

        let mut typed = Linker::<()>::new(&engine);
        let mut root = typed.root();
        root.func_wrap("host-string", |_, (s,): (String,)| Ok((s.len() as u32,)))
            .map_err(err)?;
        root.func_wrap("host-list", |_, (l,): (Vec<u32>,)| Ok((l.len() as u32,)))
            .map_err(err)?;
        root.func_wrap("host-record", |_, (r,): (Rec,)| Ok((r,)))
            .map_err(err)?;

        let pre_val = untyped.instantiate_pre(&component).map_err(err)?;
        let pre_typed = typed.instantiate_pre(&component).map_err(err)?;
        let live = |pre: &InstancePre<()>| -> Result<(Store<()>, Instance), String> {
            let mut store = Store::new(&engine, ());
            let instance = pre.instantiate(&mut store).map_err(err)?;
            Ok((store, instance))
        };
        Ok(Box::new(Weft {
            live_val: live(&pre_val)?,
            live_typed: live(&pre_typed)?,
            engine,
            pre: pre_typed,
        }))
    }

    struct Weft {
        engine: Engine,
        pre: InstancePre<()>,
        live_val: (Store<()>, Instance),
        live_typed: (Store<()>, Instance),
    }

    impl CmRuntime for Weft {
        fn instantiate(&mut self) -> Result<Duration, String> {
            let start = Instant::now();
            let mut store = Store::new(&self.engine, ());
            let instance = self.pre.instantiate(&mut store).map_err(err)?;
            let elapsed = start.elapsed();
            drop((instance, store));
            Ok(elapsed)
        }

        fn to_guest(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String> {
            let name = guest_export(case);
            let text = "a".repeat(STRING_BYTES);
            let list: Vec<u32> = (0..LIST_LEN as u32).collect();
            match api {
                Api::Val => {
                    let (store, instance) = &mut self.live_val;
                    let func = instance
                        .get_func(&*store, name)
                        .ok_or_else(|| format!("no export {name}"))?;
                    let params = [match case {
                        Case::String => Val::String(text),
                        Case::List => Val::List(list.into_iter().map(Val::U32).collect()),
                        Case::Record => rec_val(),
                    }];
                    let mut results = [Val::Bool(false)];
                    let start = Instant::now();
                    for _ in 0..calls {
                        func.call(&mut *store, &params, &mut results).map_err(err)?;
                    }
                    let elapsed = start.elapsed();
                    let ok = match (case, &results[0]) {
                        (Case::String, Val::U32(n)) => *n as usize == STRING_BYTES,
                        (Case::List, Val::U32(n)) => *n as usize == LIST_LEN,
                        // Compared as text: Weft's `Val` has no `PartialEq`.
                        (Case::Record, r) => format!("{r:?}") == format!("{:?}", params[0]),
                        _ => false,
                    };
                    if !ok {
                        return Err(format!("{name} returned {:?}", results[0]));
                    }
                    Ok(elapsed)
                }
                Api::Typed => {
                    let (store, instance) = &mut self.live_typed;
                    let start;
                    let elapsed;
                    match case {
                        Case::String => {
                            let f = instance
                                .get_typed_func::<(&str,), (u32,)>(&mut *store, name)
                                .map_err(err)?;
                            let mut last = 0;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = f.call(&mut *store, (text.as_str(),)).map_err(err)?.0;
                            }
                            elapsed = start.elapsed();
                            check(name, last, STRING_BYTES as u64)?;
                        }
                        Case::List => {
                            let f = instance
                                .get_typed_func::<(&[u32],), (u32,)>(&mut *store, name)
                                .map_err(err)?;
                            let mut last = 0;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = f.call(&mut *store, (list.as_slice(),)).map_err(err)?.0;
                            }
                            elapsed = start.elapsed();
                            check(name, last, LIST_LEN as u64)?;
                        }
                        Case::Record => {
                            let f = instance
                                .get_typed_func::<(Rec,), (Rec,)>(&mut *store, name)
                                .map_err(err)?;
                            let r = rec();
                            let mut last = None;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = Some(f.call(&mut *store, (r,)).map_err(err)?.0);
                            }
                            elapsed = start.elapsed();
                            if last != Some(r) {
                                return Err(format!("{name} returned {last:?}"));
                            }
                        }
                    }
                    Ok(elapsed)
                }
            }
        }

        fn to_host(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String> {
            let (store, instance) = match api {
                Api::Val => &mut self.live_val,
                Api::Typed => &mut self.live_typed,
            };
            let name = guest_loop(case);
            let f = instance
                .get_typed_func::<(u32,), (u32,)>(&mut *store, name)
                .map_err(err)?;
            let n = u32::try_from(calls).map_err(err)?;
            let start = Instant::now();
            let (sum,) = f.call(&mut *store, (n,)).map_err(err)?;
            let elapsed = start.elapsed();
            check(name, sum, loop_result(case, calls))?;
            Ok(elapsed)
        }
    }
}

/// Stand-in when built without the `weft` feature.
#[cfg(not(feature = "weft"))]
mod weft_cm {
    use super::CmRuntime;

    pub fn create(_text: &str, _lazy: bool) -> Result<Box<dyn CmRuntime>, String> {
        Err("built without the `weft` feature".to_string())
    }
}

/// Wasmtime.
pub mod wasmtime_cm {
    use super::{
        Api, Case, CmRuntime, LIST_LEN, STRING_BYTES, check, err, guest_export, guest_loop,
        loop_result, record_fields,
    };
    use std::time::{Duration, Instant};
    use wasmtime::component::{
        Component, ComponentType, Instance, InstancePre, Lift, Linker, Lower, Val,
    };
    use wasmtime::{Engine, Store};

    #[derive(Clone, Copy)]
    pub enum Backend {
        Cranelift,
        Winch,
        Pulley,
    }

    #[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq)]
    #[component(record)]
    struct Rec {
        a: u8,
        b: i16,
        c: u32,
        d: i64,
        e: f32,
        f: f64,
        g: bool,
        h: char,
    }

    fn rec() -> Rec {
        let (a, b, c, d, e, f, g, h) = record_fields();
        Rec {
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
        }
    }

    fn rec_val() -> Val {
        let (a, b, c, d, e, f, g, h) = record_fields();
        Val::Record(vec![
            ("a".into(), Val::U8(a)),
            ("b".into(), Val::S16(b)),
            ("c".into(), Val::U32(c)),
            ("d".into(), Val::S64(d)),
            ("e".into(), Val::Float32(e)),
            ("f".into(), Val::Float64(f)),
            ("g".into(), Val::Bool(g)),
            ("h".into(), Val::Char(h)),
        ])
    }

    /// A Wasmtime engine with `backend` and the Component Model.
    pub fn engine(backend: Backend) -> Result<Engine, String> {
        let mut config = wasmtime::Config::new();
        match backend {
            Backend::Cranelift => {
                config.strategy(wasmtime::Strategy::Cranelift);
            }
            Backend::Winch => {
                config.strategy(wasmtime::Strategy::Winch);
            }
            Backend::Pulley => {
                config.strategy(wasmtime::Strategy::Cranelift);
                config.target("pulley64").map_err(err)?;
            }
        }
        config.wasm_component_model(true);
        Engine::new(&config).map_err(err)
    }

    pub fn create(text: &str, backend: Backend) -> Result<Box<dyn CmRuntime>, String> {
        let engine = engine(backend)?;
        let component = Component::new(&engine, text).map_err(err)?;

        let mut untyped = Linker::<()>::new(&engine);
        let mut root = untyped.root();
        root.func_new("host-string", |_, _, params, results| {
            if let ([Val::String(s)], [slot]) = (params, results) {
                *slot = Val::U32(s.len() as u32);
            }
            Ok(())
        })
        .map_err(err)?;
        root.func_new("host-list", |_, _, params, results| {
            if let ([Val::List(l)], [slot]) = (params, results) {
                *slot = Val::U32(l.len() as u32);
            }
            Ok(())
        })
        .map_err(err)?;
        root.func_new("host-record", |_, _, params, results| {
            if let ([r], [slot]) = (params, results) {
                *slot = r.clone();
            }
            Ok(())
        })
        .map_err(err)?;

        let mut typed = Linker::<()>::new(&engine);
        let mut root = typed.root();
        root.func_wrap("host-string", |_, (s,): (String,)| Ok((s.len() as u32,)))
            .map_err(err)?;
        root.func_wrap("host-list", |_, (l,): (Vec<u32>,)| Ok((l.len() as u32,)))
            .map_err(err)?;
        root.func_wrap("host-record", |_, (r,): (Rec,)| Ok((r,)))
            .map_err(err)?;

        let pre_val = untyped.instantiate_pre(&component).map_err(err)?;
        let pre_typed = typed.instantiate_pre(&component).map_err(err)?;
        let live = |pre: &InstancePre<()>| -> Result<(Store<()>, Instance), String> {
            let mut store = Store::new(&engine, ());
            let instance = pre.instantiate(&mut store).map_err(err)?;
            Ok((store, instance))
        };
        Ok(Box::new(Wasmtime {
            live_val: live(&pre_val)?,
            live_typed: live(&pre_typed)?,
            engine,
            pre: pre_typed,
        }))
    }

    struct Wasmtime {
        engine: Engine,
        pre: InstancePre<()>,
        live_val: (Store<()>, Instance),
        live_typed: (Store<()>, Instance),
    }

    impl CmRuntime for Wasmtime {
        fn instantiate(&mut self) -> Result<Duration, String> {
            let start = Instant::now();
            let mut store = Store::new(&self.engine, ());
            let instance = self.pre.instantiate(&mut store).map_err(err)?;
            let elapsed = start.elapsed();
            drop((instance, store));
            Ok(elapsed)
        }

        fn to_guest(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String> {
            let name = guest_export(case);
            let text = "a".repeat(STRING_BYTES);
            let list: Vec<u32> = (0..LIST_LEN as u32).collect();
            match api {
                Api::Val => {
                    let (store, instance) = &mut self.live_val;
                    let func = instance
                        .get_func(&mut *store, name)
                        .ok_or_else(|| format!("no export {name}"))?;
                    let params = [match case {
                        Case::String => Val::String(text),
                        Case::List => Val::List(list.into_iter().map(Val::U32).collect()),
                        Case::Record => rec_val(),
                    }];
                    let mut results = [Val::Bool(false)];
                    let start = Instant::now();
                    for _ in 0..calls {
                        func.call(&mut *store, &params, &mut results).map_err(err)?;
                    }
                    let elapsed = start.elapsed();
                    let ok = match (case, &results[0]) {
                        (Case::String, Val::U32(n)) => *n as usize == STRING_BYTES,
                        (Case::List, Val::U32(n)) => *n as usize == LIST_LEN,
                        // Compared as text: Weft's `Val` has no `PartialEq`.
                        (Case::Record, r) => format!("{r:?}") == format!("{:?}", params[0]),
                        _ => false,
                    };
                    if !ok {
                        return Err(format!("{name} returned {:?}", results[0]));
                    }
                    Ok(elapsed)
                }
                Api::Typed => {
                    let (store, instance) = &mut self.live_typed;
                    let start;
                    let elapsed;
                    match case {
                        Case::String => {
                            let f = instance
                                .get_typed_func::<(&str,), (u32,)>(&mut *store, name)
                                .map_err(err)?;
                            let mut last = 0;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = f.call(&mut *store, (text.as_str(),)).map_err(err)?.0;
                            }
                            elapsed = start.elapsed();
                            check(name, last, STRING_BYTES as u64)?;
                        }
                        Case::List => {
                            let f = instance
                                .get_typed_func::<(&[u32],), (u32,)>(&mut *store, name)
                                .map_err(err)?;
                            let mut last = 0;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = f.call(&mut *store, (list.as_slice(),)).map_err(err)?.0;
                            }
                            elapsed = start.elapsed();
                            check(name, last, LIST_LEN as u64)?;
                        }
                        Case::Record => {
                            let f = instance
                                .get_typed_func::<(Rec,), (Rec,)>(&mut *store, name)
                                .map_err(err)?;
                            let r = rec();
                            let mut last = None;
                            start = Instant::now();
                            for _ in 0..calls {
                                last = Some(f.call(&mut *store, (r,)).map_err(err)?.0);
                            }
                            elapsed = start.elapsed();
                            if last != Some(r) {
                                return Err(format!("{name} returned {last:?}"));
                            }
                        }
                    }
                    Ok(elapsed)
                }
            }
        }

        fn to_host(&mut self, case: Case, api: Api, calls: u64) -> Result<Duration, String> {
            let (store, instance) = match api {
                Api::Val => &mut self.live_val,
                Api::Typed => &mut self.live_typed,
            };
            let name = guest_loop(case);
            let f = instance
                .get_typed_func::<(u32,), (u32,)>(&mut *store, name)
                .map_err(err)?;
            let n = u32::try_from(calls).map_err(err)?;
            let start = Instant::now();
            let (sum,) = f.call(&mut *store, (n,)).map_err(err)?;
            let elapsed = start.elapsed();
            check(name, sum, loop_result(case, calls))?;
            Ok(elapsed)
        }
    }
}
