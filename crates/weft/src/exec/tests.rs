//! Interpreter tests through the public API.

#![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

use crate::ErrorExt as _;
use crate::{Config, Engine, Instance, Module, Store, TrapCode};

fn instance(wat: &str) -> (Store<()>, Instance) {
    instance_with(&Config::new(), wat)
}

fn instance_with(config: &Config, wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::new(config).expect("engine");
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

#[test]
fn recursive_factorial() {
    let (mut store, instance) = instance(
        r#"(module (func $fac (export "fac") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0))
              (then (i64.const 1))
              (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))"#,
    );
    let fac = instance
        .get_typed_func::<i64, i64>(&mut store, "fac")
        .expect("fac");
    assert_eq!(fac.call(&mut store, 20).expect("runs"), 2432902008176640000);
}

#[test]
fn loops_and_locals() {
    let (mut store, instance) = instance(
        r#"(module (func (export "sum") (param i32) (result i32) (local i32 i32)
            (block $done (loop $l
              (br_if $done (i32.ge_s (local.get 1) (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (local.set 2 (i32.add (local.get 2) (local.get 1)))
              (br $l)))
            local.get 2))"#,
    );
    let sum = instance
        .get_typed_func::<i32, i32>(&mut store, "sum")
        .expect("sum");
    assert_eq!(sum.call(&mut store, 100).expect("runs"), 5050);
}

#[test]
fn traps_have_codes_and_backtraces() {
    let (mut store, instance) = instance(
        r#"(module $m (func $inner (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
            (func (export "outer") (result i32) (call $inner)))"#,
    );
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .expect("outer");
    let error = outer.call(&mut store, ()).expect_err("traps");
    assert_eq!(error.trap_code(), Some(TrapCode::IntegerDivisionByZero));
    let backtrace = error
        .downcast_ref::<crate::WasmBacktrace>()
        .expect("a backtrace");
    assert_eq!(backtrace.frames().len(), 2);
    assert_eq!(backtrace.frames()[0].func_name(), Some("inner"));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "recurses until the default 512 KiB wasm stack limit, thousands of frames: too slow under Miri (`stack_overflow_under_a_small_limit` covers the same paths)"
)]
fn deep_recursion_traps_and_store_stays_usable() {
    let (mut store, instance) = instance(
        r#"(module (func $f (export "f") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f")
        .expect("f");
    let error = f.call(&mut store, 1_000_000).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(store.inner.stack_used, 0);
    assert_eq!(f.call(&mut store, 1000).expect("runs"), 1000);
}

/// The paths of `deep_recursion_traps_and_store_stays_usable` (calls, the frame limit, the
/// trap, the store's reuse), in few enough frames for Miri.
#[test]
fn stack_overflow_under_a_small_limit() {
    let mut config = Config::new();
    config.max_wasm_stack(8 * 1024);
    let (mut store, instance) = instance_with(
        &config,
        r#"(module (func $f (export "f") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    let f = instance
        .get_typed_func::<i32, i32>(&mut store, "f")
        .expect("f");
    let error = f.call(&mut store, 10_000).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(store.inner.stack_used, 0);
    assert_eq!(f.call(&mut store, 20).expect("runs"), 20);
}

#[test]
fn fuel_runs_out() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let (mut store, instance) = instance_with(
        &config,
        r#"(module (func (export "spin") (loop $l (br $l))))"#,
    );
    store.inner.fuel = 1000;
    let spin = instance
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let error = spin.call(&mut store, ()).expect_err("out of fuel");
    assert_eq!(error.trap_code(), Some(TrapCode::OutOfFuel));
    assert!(store.inner.fuel < 2);
}

#[test]
fn memory_bounds_and_bulk_ops() {
    let (mut store, instance) = instance(
        r#"(module (memory 1)
            (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
            (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2))))"#,
    );
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .expect("load");
    let fill = instance
        .get_typed_func::<(i32, i32, i32), ()>(&mut store, "fill")
        .expect("fill");
    fill.call(&mut store, (4, 0x11, 4)).expect("fills");
    assert_eq!(load.call(&mut store, 0).expect("loads"), 0x1111_1111);
    assert_eq!(load.call(&mut store, 65528).expect("loads"), 0);
    assert_eq!(
        load.call(&mut store, 65529)
            .err()
            .and_then(|e| e.trap_code()),
        Some(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        load.call(&mut store, -1).err().and_then(|e| e.trap_code()),
        Some(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(
        fill.call(&mut store, (65535, 0, 2))
            .err()
            .and_then(|e| e.trap_code()),
        Some(TrapCode::MemoryOutOfBounds)
    );
}

#[test]
fn multi_value_blocks_and_calls() {
    let (mut store, instance) = instance(
        r#"(module
            (func $swap (param i32 i32) (result i32 i32) local.get 1 local.get 0)
            (func (export "f") (param i32 i32) (result i32)
              local.get 0 local.get 1
              (block (param i32 i32) (result i32 i32) call $swap)
              i32.sub))"#,
    );
    let f = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "f")
        .expect("f");
    assert_eq!(f.call(&mut store, (10, 3)).expect("runs"), -7);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "measures the host stack, which Miri's interpreter uses differently, and nests host calls until the limit: too slow under Miri"
)]
fn unbounded_host_reentrance_traps_before_the_host_stack_overflows() {
    // Run on a thread with the default test-thread stack size, as a debug build would.
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let engine = Engine::default();
            let module = Module::new(
                &engine,
                r#"(module (import "host" "reenter" (func $reenter))
                    (func (export "f") (call $reenter)))"#,
            )
            .expect("module compiles");
            let mut linker = crate::Linker::<()>::new(&engine);
            linker
                .func_wrap("host", "reenter", |mut caller: crate::Caller<'_, ()>| {
                    let f = caller
                        .get_export("f")
                        .and_then(crate::Extern::into_func)
                        .expect("export f");
                    f.call(&mut caller, &[], &mut [])
                })
                .expect("defines");
            let mut store = Store::new(&engine, ());
            let instance = linker
                .instantiate(&mut store, &module)
                .expect("instantiates");
            let f = instance
                .get_typed_func::<(), ()>(&mut store, "f")
                .expect("f");
            let error = f.call(&mut store, ()).expect_err("overflows");
            assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
            assert_eq!(store.inner.nesting, 0);
            assert_eq!(store.inner.stack_used, 0);
        })
        .expect("spawns");
    handle.join().expect("no host stack overflow");
}

#[test]
fn value_stack_growth_that_cannot_be_allocated_is_a_stack_overflow() {
    let mut stack = super::Stack::default();
    // More bytes than an allocation may have: `try_reserve` refuses without allocating.
    let exit = super::grow_cells(&mut stack, usize::MAX / 4).expect_err("cannot allocate");
    assert!(matches!(exit, super::Exit::Trap(TrapCode::StackOverflow)));
    assert!(stack.cells.is_empty());
}

#[test]
fn a_panic_unwinding_out_of_a_call_restores_the_store_and_thread_state() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "panic" (func $panic))
            (func $f (export "f") (param i32)
              (if (local.get 0)
                (then (call $f (i32.sub (local.get 0) (i32.const 1))))
                (else (call $panic)))))"#,
    )
    .expect("module compiles");
    let mut linker = crate::Linker::<()>::new(&engine);
    linker
        .func_wrap("host", "panic", |_: crate::Caller<'_, ()>| -> () {
            std::panic::resume_unwind(Box::new("panics on purpose"))
        })
        .expect("defines");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let f = instance
        .get_typed_func::<i32, ()>(&mut store, "f")
        .expect("f");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.call(&mut store, 10)));
    assert!(outcome.is_err(), "the host function panicked");
    assert_eq!(store.inner.nesting, 0);
    assert_eq!(store.inner.stack_used, 0);
    assert_eq!(super::THREAD_ENTRIES.get().active, 0);
    let error = f.call(&mut store, 1_000_000).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    assert!(store.inner.stack_cache.is_some());
}

/// `WasmBacktrace::capture` in host functions, through nested runs, and after a panic
/// unwound out of a host function (whose run's frames must not stay listed).
#[test]
fn host_functions_capture_the_frames_that_called_them() {
    use crate::{Caller, Func, WasmBacktrace};
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "" "host" (func $host (param i32)))
            (func $outer (export "outer") (param i32) (call $middle (local.get 0)))
            (func $middle (param i32) (call $host (local.get 0))))"#,
    )
    .expect("module compiles");
    let mut store: Store<Vec<Vec<Option<String>>>> = Store::new(&engine, Vec::new());
    let host = Func::wrap(
        &mut store,
        |mut caller: Caller<'_, Vec<Vec<Option<String>>>>, depth: i32| -> crate::Result<()> {
            let names = WasmBacktrace::capture(&caller)
                .frames()
                .iter()
                .map(|f| f.func_name().map(str::to_owned))
                .collect();
            caller.data_mut().push(names);
            match depth {
                0 => Ok(()),
                // Calls wasm again from the host: the backtrace spans both runs.
                1 => {
                    let Some(crate::Extern::Func(outer)) = caller.get_export("outer") else {
                        crate::bail!("no export");
                    };
                    outer.typed::<i32, ()>(&caller)?.call(&mut caller, 0)
                }
                _ => panic!("host panic"),
            }
        },
    );
    let instance = Instance::new(&mut store, &module, &[host.into()]).expect("instantiates");
    let outer = instance
        .get_typed_func::<i32, ()>(&mut store, "outer")
        .expect("outer");
    outer.call(&mut store, 1).expect("runs");
    let (middle, outer_name) = (Some("middle".to_owned()), Some("outer".to_owned()));
    assert_eq!(
        store.data(),
        &[
            vec![middle.clone(), outer_name.clone()],
            vec![
                middle.clone(),
                outer_name.clone(),
                middle.clone(),
                outer_name.clone()
            ],
        ]
    );
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = outer.call(&mut store, 2);
    }));
    assert!(panicked.is_err());
    // Outside wasm, and after the panic, no frames are listed.
    assert!(WasmBacktrace::capture(&store).frames().is_empty());
    store.data_mut().clear();
    outer.call(&mut store, 0).expect("runs");
    assert_eq!(store.data().len(), 1);
    assert_eq!(store.data()[0].len(), 2);
}

/// A host value that counts its drops.
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Externrefs held only by the frames of a run suspended in a host call survive a
/// collection made by that host call (the collector scans the run's cells), and are freed
/// once nothing holds them.
#[test]
fn externrefs_on_the_wasm_stack_survive_a_collection_from_a_host_call() {
    use crate::{Caller, ExternRef, Func, Rooted};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "" "make" (func $make (result externref)))
            (import "" "collect" (func $collect))
            (func (export "run") (result externref) (local $r externref)
              (local.set $r (call $make))
              (drop (call $make))
              (call $collect)
              (local.get $r)))"#,
    )
    .expect("module compiles");
    let mut store = Store::new(&engine, ());
    let counter = drops.clone();
    let make = Func::wrap(
        &mut store,
        move |mut caller: Caller<'_, ()>| -> crate::Result<Option<Rooted<ExternRef>>> {
            Ok(Some(ExternRef::new(&mut caller, Counted(counter.clone()))?))
        },
    );
    let collect = Func::wrap(
        &mut store,
        |mut caller: Caller<'_, ()>| -> crate::Result<()> { caller.gc(None) },
    );
    let instance =
        Instance::new(&mut store, &module, &[make.into(), collect.into()]).expect("instantiates");
    let run = instance
        .get_typed_func::<(), Option<Rooted<ExternRef>>>(&mut store, "run")
        .expect("run");
    let kept = run.call(&mut store, ()).expect("runs").expect("non-null");
    // The dropped one may survive the collection (its slot may still be in a dead cell),
    // the local's must.
    assert!(drops.load(Ordering::Relaxed) <= 1);
    assert!(kept.data(&store).expect("rooted").is_some());
    assert_eq!(
        store.inner.externrefs.live() + drops.load(Ordering::Relaxed),
        2
    );
    // `kept` is a root of the host's (no scope): a collection keeps it, then ending its
    // scope frees it.
    store.gc(None).expect("gc");
    assert_eq!(store.inner.externrefs.live(), 1);
    store.inner.externrefs.truncate_lifo(0);
    assert!(kept.data(&store).is_err());
    store.gc(None).expect("gc");
    assert_eq!(store.inner.externrefs.live(), 0);
    assert_eq!(drops.load(Ordering::Relaxed), 2);
}

/// What holds an externref: globals, tables, `Rooted` in its scope, `OwnedRooted` until
/// dropped; a reused slot is never reached through a stale handle.
#[test]
fn externrefs_are_held_by_globals_tables_and_roots() {
    use crate::{ExternRef, Global, GlobalType, Mutability, Ref, RefType, RootScope, Table};
    use crate::{TableType, Val, ValType};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let global_ty = GlobalType::new(ValType::EXTERNREF, Mutability::Var);
    let global = Global::new(&mut store, global_ty, Val::ExternRef(None)).expect("global");
    let table_ty = TableType::new(RefType::EXTERNREF, 2, None);
    let table = Table::new(&mut store, table_ty, Ref::Extern(None)).expect("table");
    let (owned, stale) = {
        let mut scope = RootScope::new(&mut store);
        let a = ExternRef::new(&mut scope, Counted(drops.clone())).expect("a");
        let b = ExternRef::new(&mut scope, Counted(drops.clone())).expect("b");
        let c = ExternRef::new(&mut scope, Counted(drops.clone())).expect("c");
        let d = ExternRef::new(&mut scope, Counted(drops.clone())).expect("d");
        global.set(&mut scope, a.into()).expect("set");
        table.set(&mut scope, 1, b.into()).expect("set");
        (c.to_owned_rooted(&mut scope).expect("owned"), d)
    };
    store.gc(None).expect("gc");
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "only the unheld one is freed"
    );
    assert!(stale.data(&store).is_err(), "its scope ended");
    assert!(owned.data(&store).expect("owned").is_some());
    global.set(&mut store, Val::ExternRef(None)).expect("set");
    table
        .fill(&mut store, 0, Ref::Extern(None), 2)
        .expect("fill");
    drop(owned);
    store.gc(None).expect("gc");
    assert_eq!(drops.load(Ordering::Relaxed), 4);
    assert_eq!(store.inner.externrefs.live(), 0);
    // A new externref reuses a freed slot; the stale handle still does not reach it.
    let fresh = ExternRef::new(&mut store, 7_u32).expect("new");
    assert!(stale.data(&store).is_err());
    assert_eq!(
        fresh
            .data(&store)
            .expect("rooted")
            .and_then(|d| d.downcast_ref::<u32>()),
        Some(&7)
    );
}

#[test]
fn simd_instructions_of_every_shape_run() {
    // One instruction of each SIMD shape (unary, binary, ternary, shift, splat, test,
    // extract, replace, shuffle, loads, stores, lane loads and stores, v128 globals and
    // select), so that Miri checks their cell and memory accesses.
    let (mut store, instance) = instance(
        r#"(module (memory 1)
            (global $g (mut v128) (v128.const i64x2 0 0))
            (func (export "run") (param i32) (result i64) (local v128 v128)
              (v128.store (i32.const 32) (v128.const i32x4 1 2 3 4))
              (local.set 1 (v128.load (i32.const 32)))
              (local.set 2 (i32x4.add (local.get 1) (i32x4.splat (local.get 0))))
              (local.set 2 (v128.bitselect (local.get 2) (local.get 1) (v128.const i64x2 -1 0)))
              (local.set 2 (i32x4.shl (local.get 2) (i32.const 1)))
              (local.set 2 (v128.not (v128.not (local.get 2))))
              (local.set 2 (i32x4.replace_lane 3 (local.get 2) (i32.const 100)))
              (local.set 2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (local.get 2) (local.get 1)))
              (local.set 2 (v128.load32_lane 2 (i32.const 36) (local.get 2)))
              (v128.store64_lane 1 (i32.const 48) (local.get 2))
              (local.set 2 (i32x4.add (local.get 2) (v128.load32_splat (i32.const 48))))
              (global.set $g (select (local.get 2) (local.get 1) (local.get 0)))
              (i64.add
                (i64x2.extract_lane 0 (global.get $g))
                (i64.add
                  (i64x2.extract_lane 1 (global.get $g))
                  (i64.extend_i32_u (i32x4.all_true (global.get $g)))))))"#,
    );
    let run = instance
        .get_typed_func::<i32, i64>(&mut store, "run")
        .expect("run");
    // Lanes after each step: (1+5)*2 = 12, (2+5)*2 = 14; then the shuffle keeps those two
    // lanes and takes lanes 0 and 1 of local 1 (1, 2); lane 2 is reloaded from address 36
    // (2); the store writes lane 1 of the i64x2 (2 | 2 << 32) at 48, whose first 32 bits
    // (2) are splatted and added: 14, 16, 4, 4.
    let lanes: [i64; 2] = [12 + 2 + (14 + 2) * (1 << 32), 4 + 4 * (1 << 32)];
    assert_eq!(
        run.call(&mut store, 5).expect("runs"),
        lanes[0].wrapping_add(lanes[1]) + 1
    );
}
