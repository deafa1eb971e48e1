//! The core `Linker`'s Wasmtime-shaped API: `InstancePre`, unknown imports, aliases, default
//! exports, command and reactor modules; and the store, memory and table helpers beside it.

use weft::ErrorExt as _;
use weft::Ref;
use weft::{
    Caller, Config, Engine, ErrorKind, Extern, Func, Linker, Memory, MemoryType, Module, RefType,
    Store, Table, TableType, UnknownImportError, Val, ValType,
};

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, wat).expect("test module")
}

#[test]
fn instance_pre_instantiates_repeatedly_with_definitions_taken_once() {
    let engine = Engine::default();
    let module = module(
        &engine,
        r#"(module (import "host" "n" (func $n (result i32)))
                   (func (export "run") (result i32) call $n))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("host", "n", || 1).unwrap();
    let pre = linker.instantiate_pre(&module).unwrap();
    // A later definition does not change what `pre` resolved.
    linker.allow_shadowing(true);
    linker.func_wrap("host", "n", || 2).unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let instance = pre.instantiate(&mut store).unwrap();
        let run = instance
            .get_typed_func::<(), i32>(&mut store, "run")
            .unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 1);
    }
    assert_eq!(pre.module().imports().len(), 1);
}

#[test]
fn instance_pre_names_the_missing_import() {
    let engine = Engine::default();
    let module = module(&engine, r#"(module (import "env" "f" (func)))"#);
    let error = Linker::<()>::new(&engine)
        .instantiate_pre(&module)
        .err()
        .expect("unknown import");
    assert!(matches!(error.kind(), Some(ErrorKind::Unlinkable(_))));
    assert_eq!(
        error.to_string(),
        "unknown import: `env::f` has not been defined"
    );
}

#[test]
fn unknown_imports_become_functions_that_fail_when_called() {
    let engine = Engine::default();
    let module = module(
        &engine,
        r#"(module (import "env" "missing" (func $m (param i32) (result i32)))
                   (import "env" "mem" (memory 1))
                   (func (export "ok") (result i32) i32.const 5)
                   (func (export "bad") (result i32) i32.const 1 call $m))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    linker.define(&store, "env", "mem", memory).unwrap();
    linker.define_unknown_imports_as_traps(&module).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let ok = instance
        .get_typed_func::<(), i32>(&mut store, "ok")
        .unwrap();
    assert_eq!(ok.call(&mut store, ()).unwrap(), 5);
    let bad = instance
        .get_typed_func::<(), i32>(&mut store, "bad")
        .unwrap();
    let error = bad
        .call(&mut store, ())
        .expect_err("the unknown import fails");
    let unknown = error
        .downcast_ref::<UnknownImportError>()
        .expect("an UnknownImportError");
    assert_eq!((unknown.module(), unknown.name()), ("env", "missing"));
    assert!(matches!(unknown.ty(), weft::ExternType::Func(_)));
}

#[test]
fn unknown_imports_can_return_default_values() {
    let engine = Engine::default();
    let module = module(
        &engine,
        r#"(module (import "env" "pair" (func $p (result i64 externref)))
                   (func (export "run") (result i64 i32)
                     call $p ref.is_null))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    linker
        .define_unknown_imports_as_default_values(&mut store, &module)
        .unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), (i64, i32)>(&mut store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), (0, 1));
}

#[test]
fn aliases_copy_definitions() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("a", "f", || 3_i32).unwrap();
    linker.func_wrap("a", "g", || 4_i32).unwrap();
    linker.alias("a", "f", "b", "h").unwrap();
    linker.alias_module("a", "c").unwrap();
    let mut store = Store::new(&engine, ());
    for (module, name, expected) in [("b", "h", 3), ("c", "f", 3), ("c", "g", 4)] {
        let func = linker
            .get(&mut store, module, name)
            .and_then(Extern::into_func)
            .expect("aliased function");
        let func = func.typed::<(), i32>(&store).unwrap();
        assert_eq!(func.call(&mut store, ()).unwrap(), expected);
    }
    let error = linker
        .alias("a", "nope", "b", "x")
        .err()
        .expect("undefined");
    assert!(error.to_string().contains("a::nope"), "{error}");
    // Without shadowing, an alias onto a defined name is refused.
    assert!(linker.alias("a", "g", "b", "h").is_err());
}

#[test]
fn get_default_prefers_the_empty_name_then_start_then_a_no_op() {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let noop = linker.get_default(&mut store, "none").unwrap();
    noop.call(&mut store, &[], &mut []).unwrap();
    linker
        .func_wrap("m", "_start", || -> weft::Result<()> {
            Err(weft::Error::new(std::io::Error::other("start")))
        })
        .unwrap();
    let start = linker.get_default(&mut store, "m").unwrap();
    assert!(
        start
            .call(&mut store, &[], &mut [])
            .unwrap_err()
            .to_string()
            .contains("start")
    );
    linker.func_wrap("m", "", || {}).unwrap();
    let empty = linker.get_default(&mut store, "m").unwrap();
    empty.call(&mut store, &[], &mut []).unwrap();
}

#[test]
fn a_command_module_gets_a_fresh_instance_per_call() {
    let engine = Engine::default();
    let command = module(
        &engine,
        r#"(module
             (import "host" "dtor" (func $dtor))
             (global $count (mut i32) (i32.const 0))
             (func (export "_start"))
             (func (export "bump") (result i32)
               global.get $count i32.const 1 i32.add global.set $count global.get $count)
             (func (export "__wasm_call_dtors") call $dtor))"#,
    );
    let mut linker = Linker::<u32>::new(&engine);
    linker
        .func_wrap("host", "dtor", |mut caller: Caller<'_, u32>| {
            *caller.data_mut() += 1;
        })
        .unwrap();
    let mut store = Store::new(&engine, 0_u32);
    linker.module(&mut store, "cmd", &command).unwrap();
    let bump = linker
        .get(&mut store, "cmd", "bump")
        .and_then(Extern::into_func)
        .unwrap()
        .typed::<(), i32>(&store)
        .unwrap();
    // Each call sees a new instance: the global starts at 0 every time.
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1);
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1);
    assert_eq!(*store.data(), 2, "destructors ran after each call");
}

#[test]
fn a_reactor_module_is_instantiated_once_and_initialized() {
    let engine = Engine::default();
    let reactor = module(
        &engine,
        r#"(module
             (global $count (mut i32) (i32.const 0))
             (func (export "_initialize") i32.const 100 global.set $count)
             (func (export "bump") (result i32)
               global.get $count i32.const 1 i32.add global.set $count global.get $count))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    linker.module(&mut store, "lib", &reactor).unwrap();
    let bump = linker
        .get(&mut store, "lib", "bump")
        .and_then(Extern::into_func)
        .unwrap()
        .typed::<(), i32>(&store)
        .unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 101);
    assert_eq!(bump.call(&mut store, ()).unwrap(), 102);
}

#[test]
fn a_host_function_reads_and_sets_fuel_through_its_caller() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let module = module(
        &engine,
        r#"(module (import "host" "refuel" (func $refuel (result i64)))
                   (func (export "run") (result i64) call $refuel))"#,
    );
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap(
            "host",
            "refuel",
            |mut caller: Caller<'_, ()>| -> weft::Result<i64> {
                let before = caller.get_fuel()?;
                caller.set_fuel(1_000)?;
                Ok(before as i64)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_fuel(500).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), i64>(&mut store, "run")
        .unwrap();
    let seen = run.call(&mut store, ()).unwrap();
    assert!(seen > 0 && seen < 500, "fuel seen by the host: {seen}");
    let left = store.get_fuel().unwrap();
    assert!(left > 900 && left <= 1_000, "fuel left: {left}");
}

#[test]
fn memory_and_store_data_are_borrowed_together() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::<u8>::new());
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    memory.write(&mut store, 10, b"weft").unwrap();
    let (bytes, data) = memory.data_and_store_mut(&mut store);
    data.extend_from_slice(&bytes[10..14]);
    bytes[10] = b'W';
    assert_eq!(store.data().as_slice(), b"weft");
    let mut buffer = [0; 4];
    memory.read(&store, 10, &mut buffer).unwrap();
    assert_eq!(&buffer, b"Weft");
}

#[test]
fn tables_fill_and_copy_with_bounds_checks() {
    let mut store = Store::<()>::default();
    let f = Func::wrap(&mut store, || {});
    let ty = TableType::new(RefType::FUNCREF, 4, None);
    let a = Table::new(&mut store, ty, Ref::Func(None)).unwrap();
    let b = Table::new(&mut store, ty, Ref::Func(None)).unwrap();
    a.fill(&mut store, 1, Ref::Func(Some(f)), 2).unwrap();
    let is_set = |store: &mut Store<()>, table: Table, i: u64| {
        matches!(table.get(store, i), Some(Ref::Func(Some(_))))
    };
    assert_eq!(
        (0..4).map(|i| is_set(&mut store, a, i)).collect::<Vec<_>>(),
        [false, true, true, false]
    );
    Table::copy(&mut store, &b, 2, &a, 1, 2).unwrap();
    assert_eq!(
        (0..4).map(|i| is_set(&mut store, b, i)).collect::<Vec<_>>(),
        [false, false, true, true]
    );
    // Overlapping copy within one table.
    Table::copy(&mut store, &a, 0, &a, 1, 3).unwrap();
    assert_eq!(
        (0..4).map(|i| is_set(&mut store, a, i)).collect::<Vec<_>>(),
        [true, true, false, false]
    );
    assert!(a.fill(&mut store, 3, Ref::Func(None), 2).is_err());
    assert!(Table::copy(&mut store, &b, 3, &a, 0, 2).is_err());
    assert!(a.fill(&mut store, 0, Ref::Extern(None), 1).is_err());

    let externs = Table::new(
        &mut store,
        TableType::new(RefType::EXTERNREF, 1, None),
        Ref::Extern(None),
    )
    .unwrap();
    assert!(Table::copy(&mut store, &externs, 0, &a, 0, 1).is_err());
}

#[test]
fn default_values_for_every_type() {
    for ty in [
        ValType::I32,
        ValType::I64,
        ValType::F32,
        ValType::F64,
        ValType::FUNCREF,
        ValType::EXTERNREF,
    ] {
        let value = Val::default_for_ty(&ty).expect("every type has a default");
        assert_eq!(value.ty(), ty);
    }
    assert!(matches!(
        Val::default_for_ty(&ValType::I64),
        Some(Val::I64(0))
    ));
}
