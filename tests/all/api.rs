//! The embedding API, end to end.

use weft::ErrorExt as _;
use weft::{
    Caller, Config, Engine, Error, ExternRef, Func, FuncType, Global, GlobalType, Instance, Linker,
    Memory, MemoryType, Module, Mutability, RefType, Store, StoreLimitsBuilder, Table, TableType,
    TrapCode, Val, ValType,
};
use weft::{Ref, Rooted};

fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("module instantiates");
    (store, instance)
}

#[test]
fn typed_and_dynamic_calls_agree() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "mix") (param i32 i64 f32 f64) (result f64 i32)
            local.get 3 local.get 2 f64.promote_f32 f64.add
            local.get 0 (i64.extend_i32_s (local.get 0)) (local.get 1) i64.add i32.wrap_i64 i32.add))"#,
    );
    let typed = instance
        .get_typed_func::<(i32, i64, f32, f64), (f64, i32)>(&mut store, "mix")
        .expect("typed");
    assert_eq!(
        typed.call(&mut store, (2, 40, 0.5, 1.25)).expect("call"),
        (1.75, 44)
    );
    let func = instance.get_func(&mut store, "mix").expect("export");
    let mut results = [Val::I32(0), Val::I32(0)];
    func.call(
        &mut store,
        &[
            Val::I32(2),
            Val::I64(40),
            Val::from(0.5_f32),
            Val::from(1.25_f64),
        ],
        &mut results,
    )
    .expect("call");
    assert_eq!(results[0].f64(), Some(1.75));
    assert_eq!(results[1].i32(), Some(44));
    // Wrong arity and wrong types are errors, not panics.
    assert!(func.call(&mut store, &[Val::I32(1)], &mut results).is_err());
    assert!(
        instance
            .get_typed_func::<i32, i32>(&mut store, "mix")
            .is_err()
    );
}

#[test]
fn host_functions_see_caller_and_data() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "add" (func $add (param i32 i32) (result i32)))
            (import "env" "peek" (func $peek (param i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "\2a")
            (func (export "run") (result i32)
                (call $add (call $peek (i32.const 16)) (i32.const 100))))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "add",
            |mut caller: Caller<'_, u32>, a: i32, b: i32| {
                *caller.data_mut() += 1;
                a + b
            },
        )
        .expect("define add");
    linker
        .func_new(
            "env",
            "peek",
            FuncType::new(&engine, [ValType::I32], [ValType::I32]),
            |mut caller, params, results| {
                let memory = caller
                    .get_export("memory")
                    .and_then(|e| e.into_memory())
                    .ok_or_else(|| Error::msg("no memory"))?;
                let address = params[0].unwrap_i32() as usize;
                let byte = memory.data(&caller)[address];
                results[0] = Val::I32(i32::from(byte));
                Ok(())
            },
        )
        .expect("define peek");
    let mut store = Store::new(&engine, 0_u32);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .expect("run");
    assert_eq!(run.call(&mut store, ()).expect("call"), 142);
    assert_eq!(*store.data(), 1);
}

#[test]
fn unknown_imports_and_bad_types_are_unlinkable() {
    let engine = Engine::default();
    let module = Module::new(&engine, r#"(module (import "env" "f" (func (param i32))))"#)
        .expect("compiles");
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let error = linker
        .instantiate(&mut store, &module)
        .expect_err("missing import");
    assert!(
        matches!(error.kind(), Some(weft::ErrorKind::Unlinkable(_))),
        "{error}"
    );
    let wrong = Func::wrap(&mut store, |_: i64| {});
    let error = Instance::new(&mut store, &module, &[wrong.into()]).expect_err("wrong type");
    assert!(
        format!("{error:#}").contains("incompatible import type"),
        "{error}"
    );
}

#[test]
fn host_errors_pass_through_unchanged() {
    #[derive(Debug)]
    struct Exit(i32);
    impl std::fmt::Display for Exit {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "exit {}", self.0)
        }
    }
    impl std::error::Error for Exit {}

    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "exit" (func $exit (param i32)))
            (func (export "run") i32.const 7 call $exit unreachable))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "exit", |code: i32| -> weft::Result<()> {
            Err(Error::new(Exit(code)))
        })
        .expect("define");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let run = instance
        .get_typed_func::<(), ()>(&mut store, "run")
        .expect("run");
    let error = run.call(&mut store, ()).expect_err("exits");
    assert_eq!(error.downcast_ref::<Exit>().map(|e| e.0), Some(7));
    assert_eq!(error.trap_code(), None);
}

#[test]
fn traps_carry_spec_messages_and_backtraces() {
    let (mut store, instance) = instantiate(
        r#"(module $m
            (func $inner (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
            (func $outer (export "outer") (result i32) i32.const 1 i32.const 0 call $inner))"#,
    );
    let outer = instance
        .get_typed_func::<(), i32>(&mut store, "outer")
        .expect("outer");
    let error = outer.call(&mut store, ()).expect_err("divides by zero");
    assert_eq!(
        error.downcast_ref::<weft::Trap>(),
        Some(&TrapCode::IntegerDivisionByZero)
    );
    assert!(
        format!("{error:?}").contains("wasm trap: integer divide by zero"),
        "{error:?}"
    );
    let backtrace = error
        .downcast_ref::<weft::WasmBacktrace>()
        .expect("a backtrace");
    let names: Vec<_> = backtrace
        .frames()
        .iter()
        .map(|f| f.func_name.clone())
        .collect();
    assert_eq!(
        names,
        [Some("inner".to_string()), Some("outer".to_string())]
    );
    // The store stays usable after a trap.
    let div = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "div")
        .expect("div");
    assert_eq!(div.call(&mut store, (7, 2)).expect("call"), 3);
    assert_eq!(
        div.call(&mut store, (i32::MIN, -1))
            .expect_err("overflow")
            .trap_code(),
        Some(TrapCode::IntegerOverflow)
    );
}

#[test]
fn million_nested_calls_exhaust_the_stack_and_the_host_goes_on() {
    let (mut store, instance) = instantiate(
        r#"(module
            (func $down (export "down") (param i32) (result i32)
                local.get 0
                i32.eqz
                if (result i32)
                    i32.const 0
                else
                    local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add
                end))"#,
    );
    let down = instance
        .get_typed_func::<i32, i32>(&mut store, "down")
        .expect("down");
    let error = down.call(&mut store, 1_000_000).expect_err("too deep");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    assert!(
        format!("{error:#}").contains("call stack exhausted"),
        "{error}"
    );
    // Moderate recursion still works afterwards.
    assert_eq!(down.call(&mut store, 1000).expect("call"), 1000);
}

#[test]
fn host_can_reenter_wasm() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "twice" (func $twice (param i32) (result i32)))
            (func $inc (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
            (func (export "run") (param i32) (result i32) local.get 0 call $twice))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "twice",
            |mut caller: Caller<'_, ()>, x: i32| -> weft::Result<i32> {
                let inc = caller
                    .get_export("inc")
                    .and_then(|e| e.into_func())
                    .ok_or_else(|| Error::msg("no inc"))?;
                let inc = inc.typed::<i32, i32>(&caller)?;
                let once = inc.call(&mut caller, x)?;
                inc.call(&mut caller, once)
            },
        )
        .expect("define");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .expect("run");
    assert_eq!(run.call(&mut store, 40).expect("call"), 42);
}

#[test]
fn memory_global_and_table_handles() {
    let (mut store, instance) = instantiate(
        r#"(module
            (memory (export "memory") 1 3)
            (global (export "counter") (mut i64) (i64.const 5))
            (table (export "table") 2 funcref)
            (func $f (export "f") (result i32) i32.const 9)
            (elem (i32.const 1) $f)
            (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
            (func (export "call") (param i32) (result i32) local.get 0 call_indirect (result i32)))"#,
    );
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert_eq!(memory.size(&store), 1);
    assert_eq!(memory.data_size(&store), 65536);
    memory.write(&mut store, 100, &[7]).expect("in bounds");
    assert!(memory.write(&mut store, 65536, &[1]).is_err());
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .expect("load");
    assert_eq!(load.call(&mut store, 100).expect("call"), 7);
    assert_eq!(memory.grow(&mut store, 2).expect("grow"), 1);
    assert!(
        memory.grow(&mut store, 1).is_err(),
        "beyond the maximum of 3 pages"
    );
    assert_eq!(memory.ty(&store), MemoryType::new(3, Some(3)));

    let counter = instance.get_global(&mut store, "counter").expect("global");
    assert_eq!(counter.get(&mut store).i64(), Some(5));
    counter.set(&mut store, Val::I64(6)).expect("set");
    assert!(counter.set(&mut store, Val::I32(6)).is_err());
    assert_eq!(
        counter.ty(&store),
        GlobalType::new(ValType::I64, Mutability::Var)
    );

    let table = instance.get_table(&mut store, "table").expect("table");
    assert_eq!(table.size(&store), 2);
    let call = instance
        .get_typed_func::<i32, i32>(&mut store, "call")
        .expect("call");
    assert_eq!(call.call(&mut store, 1).expect("call"), 9);
    assert_eq!(
        call.call(&mut store, 0).expect_err("null").trap_code(),
        Some(TrapCode::IndirectCallToNull)
    );
    let f = instance.get_func(&mut store, "f").expect("f");
    table.set(&mut store, 0, Ref::Func(Some(f))).expect("set");
    assert_eq!(call.call(&mut store, 0).expect("call"), 9);
    assert_eq!(table.grow(&mut store, 3, Ref::Func(None)).expect("grow"), 2);
    assert_eq!(table.size(&store), 5);
}

#[test]
fn externrefs_round_trip() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (func (export "id") (param externref) (result externref) local.get 0))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let id = instance
        .get_typed_func::<Option<Rooted<ExternRef>>, Option<Rooted<ExternRef>>>(&mut store, "id")
        .expect("id");
    let value = ExternRef::new(&mut store, String::from("weft")).expect("new");
    let back = id
        .call(&mut store, Some(value))
        .expect("call")
        .expect("non-null");
    assert!(Rooted::ref_eq(&store, &back, &value).expect("rooted"));
    assert_eq!(
        back.data(&store)
            .expect("rooted")
            .and_then(|d| d.downcast_ref::<String>())
            .map(String::as_str),
        Some("weft")
    );
    assert_eq!(id.call(&mut store, None).expect("call"), None);
}

#[test]
fn imported_host_entities() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "memory" (memory 1))
            (import "env" "global" (global i32))
            (import "env" "table" (table 1 funcref))
            (func (export "sum") (result i32) (i32.add (i32.load (i32.const 0)) (global.get 0))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).expect("memory");
    memory
        .write(&mut store, 0, &40_i32.to_le_bytes())
        .expect("write");
    let global = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(2),
    )
    .expect("global");
    let table = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 1, None),
        Ref::Func(None),
    )
    .expect("table");
    let mut linker = Linker::new(&engine);
    linker
        .define(&store, "env", "memory", memory)
        .expect("define");
    linker
        .define(&store, "env", "global", global)
        .expect("define");
    linker
        .define(&store, "env", "table", table)
        .expect("define");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let sum = instance
        .get_typed_func::<(), i32>(&mut store, "sum")
        .expect("sum");
    assert_eq!(sum.call(&mut store, ()).expect("call"), 42);
}

#[test]
fn store_limits_bound_memory_and_instances() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (memory 1)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    )
    .expect("compiles");
    let limits = StoreLimitsBuilder::new()
        .memory_size(2 * 65536)
        .instances(1)
        .build();
    let mut store = Store::new(&engine, limits);
    store.limiter(|limits| limits);
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, 1).expect("call"), 1);
    assert_eq!(
        grow.call(&mut store, 1).expect("call"),
        -1,
        "a third page exceeds 128 KiB"
    );
    let error = Instance::new(&mut store, &module, &[]).expect_err("second instance");
    assert!(
        format!("{error:#}").contains("instance count limit"),
        "{error}"
    );

    let limits = StoreLimitsBuilder::new()
        .memory_size(65536)
        .trap_on_grow_failure(true)
        .build();
    let mut store = Store::new(&engine, limits);
    store.limiter(|limits| limits);
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    let error = grow.call(&mut store, 1).expect_err("traps");
    assert!(
        format!("{error:#}").contains("memory size limit"),
        "{error}"
    );
}

#[test]
fn lazy_and_eager_compilation_agree() {
    let wat = r#"(module (func (export "f") (param i32) (result i32)
        local.get 0 i32.const 3 i32.mul i32.const 1 i32.add))"#;
    for mode in [weft::CompilationMode::Eager, weft::CompilationMode::Lazy] {
        let mut config = Config::new();
        config.compilation_mode(mode);
        let engine = Engine::new(&config).expect("engine");
        let module = Module::new(&engine, wat).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = instance
            .get_typed_func::<i32, i32>(&mut store, "f")
            .expect("f");
        assert_eq!(f.call(&mut store, 5).expect("call"), 16);
    }
}

#[test]
fn malformed_and_invalid_modules_are_errors_with_offsets() {
    let engine = Engine::default();
    let error = Module::new(&engine, b"\0asm\x01\0\0\0\x01\x05").expect_err("truncated");
    assert!(error.offset().is_some(), "{error}");
    let error = Module::new(&engine, r#"(module (func (result i32) i64.const 0))"#)
        .expect_err("type mismatch");
    assert!(
        matches!(error.kind(), Some(weft::ErrorKind::Invalid { .. })),
        "{error:?}"
    );
    assert!(Module::validate(&engine, b"not wasm").is_err());
}

#[test]
fn module_exports_found_by_index_belong_to_their_module() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "host" "log" (func $log (param i32 i32)))
            (memory (export "memory") 1)
            (data (i32.const 4) "Hello, world!")
            (func (export "run") (call $log (i32.const 4) (i32.const 13))))"#,
    )
    .expect("module compiles");
    let other =
        Module::new(&engine, r#"(module (memory (export "memory") 1))"#).expect("module compiles");
    let memory = module
        .get_export_index("memory")
        .expect("memory is exported");
    assert!(module.get_export_index("missing").is_none());
    let mut store = Store::new(&engine, String::new());
    let log = Func::wrap(
        &mut store,
        move |mut caller: Caller<'_, String>, ptr: i32, len: i32| -> weft::Result<()> {
            let Some(weft::Extern::Memory(mem)) = caller.get_module_export(&memory) else {
                weft::bail!("no memory");
            };
            let bytes = mem.data(&caller)[ptr as usize..][..len as usize].to_vec();
            *caller.data_mut() = String::from_utf8(bytes)?;
            Ok(())
        },
    );
    let instance = Instance::new(&mut store, &module, &[log.into()]).expect("instantiates");
    instance
        .get_typed_func::<(), ()>(&mut store, "run")
        .and_then(|run| run.call(&mut store, ()))
        .expect("run succeeds");
    assert_eq!(store.data(), "Hello, world!");
    let foreign = Instance::new(&mut store, &other, &[]).expect("instantiates");
    assert!(foreign.get_module_export(&mut store, &memory).is_none());
    let own = other
        .get_export_index("memory")
        .expect("memory is exported");
    assert!(matches!(
        foreign.get_module_export(&mut store, &own),
        Some(weft::Extern::Memory(_))
    ));
}

/// A host value that counts its drops.
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Externrefs nothing holds are collected on their own: a million made by the host in
/// scopes, and a hundred thousand made for a wasm loop that drops them, never pile up.
#[test]
fn dropped_externrefs_are_collected_without_asking() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let made = 1_000_000;
    for _ in 0..made {
        let mut scope = weft::RootScope::new(&mut store);
        ExternRef::new(&mut scope, Counted(drops.clone())).expect("new");
    }
    let live = made - drops.load(Ordering::Relaxed);
    assert!(live <= 4096, "{live} externrefs still live");

    let module = Module::new(
        &engine,
        r#"(module
            (import "" "make" (func $make (result externref)))
            (func (export "run") (param i32)
              (loop $l
                (drop (call $make))
                (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))"#,
    )
    .expect("compiles");
    let counter = drops.clone();
    let make = Func::wrap(
        &mut store,
        move |mut caller: Caller<'_, ()>| -> weft::Result<Option<Rooted<ExternRef>>> {
            Ok(Some(ExternRef::new(&mut caller, Counted(counter.clone()))?))
        },
    );
    let instance = Instance::new(&mut store, &module, &[make.into()]).expect("instantiates");
    let run = instance
        .get_typed_func::<i32, ()>(&mut store, "run")
        .expect("run");
    let before = drops.load(Ordering::Relaxed);
    run.call(&mut store, 100_000).expect("runs");
    let freed = drops.load(Ordering::Relaxed) - before;
    assert!(100_000 + live - freed <= 4096, "only {freed} freed");
    store.gc(None).expect("gc");
    assert_eq!(drops.load(Ordering::Relaxed), made + 100_000);
}

#[test]
fn an_empty_data_segment_before_the_others_instantiates() {
    // An empty segment below the first byte of the memory image once made building the
    // image underflow.
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (memory (export "m") 2)
            (data (i32.const 0) "")
            (data (i32.const 70000) "xy"))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let memory = instance.get_memory(&mut store, "m").unwrap();
    assert_eq!(&memory.data(&store)[70000..70002], b"xy");
    assert_eq!(memory.data(&store)[0], 0);
}
