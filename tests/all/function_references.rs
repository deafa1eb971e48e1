//! Typed function references through the API: `call_ref` and its null trap, non-nullable
//! tables and globals, subtyping in `Func::typed` and import matching, the
//! `wasm_function_references` switch, and precompiled modules.

use weft::{
    ConcreteFuncType, Config, Engine, Func, FuncType, Global, GlobalType, HeapType, Instance,
    Module, Mutability, Ref, RefType, Store, Table, TableType, Trap, Val, ValType,
};

const MODULE: &str = r#"(module
    (type $t (func (param i32) (result i32)))
    (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
    (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
    (elem declare func $double $inc)
    (table (export "table") 2 (ref $t) (ref.func $inc))
    (global (export "global") (ref $t) (ref.func $double))
    (func (export "get") (result (ref $t)) (ref.func $double))
    (func (export "apply") (param (ref $t) i32) (result i32)
        (call_ref $t (local.get 1) (local.get 0)))
    (func (export "apply_nullable") (param (ref null $t) i32) (result i32)
        (call_ref $t (local.get 1) (local.get 0)))
    (func (export "from_table") (param i32 i32) (result i32)
        (call_ref $t (local.get 1) (table.get 0 (local.get 0))))
    (func (export "as_non_null") (param funcref) (result (ref func))
        (ref.as_non_null (local.get 0)))
    (func (export "is_null") (param (ref null $t)) (result i32)
        (block $null
            (br_on_null $null (local.get 0))
            (drop)
            (return (i32.const 0)))
        (i32.const 1))
    (func (export "call_or") (param (ref null $t) i32) (result i32)
        (local.get 1)
        (block $some (param i32) (result i32 (ref $t))
            (br_on_non_null $some (local.get 0))
            (drop)
            (return (i32.const -1)))
        (call_ref $t)))"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_function_references(true);
    Engine::new(&config).expect("engine")
}

/// An engine with typed function references, and an instance of [`MODULE`] in a new store.
fn start() -> (Engine, Store<()>, Instance) {
    let engine = engine();
    let module = Module::new(&engine, MODULE).expect("compiles");
    let (store, instance) = instance(&engine, &module);
    (engine, store, instance)
}

fn instance(engine: &Engine, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    (store, instance)
}

/// `(ref $t)` / `(ref null $t)` of the module's `$t`.
fn ref_t(nullable: bool) -> RefType {
    let engine = Engine::default();
    let ty = FuncType::new(&engine, [ValType::I32], [ValType::I32]);
    RefType::new(nullable, HeapType::ConcreteFunc(ConcreteFuncType::new(&ty)))
}

/// The error of calling the module's `apply_nullable` with a null reference, checked to be
/// the `null function reference` trap.
fn apply_null(store: &mut Store<()>, instance: &Instance) -> weft::Error {
    let apply = instance
        .get_func(&mut *store, "apply_nullable")
        .expect("export");
    let mut results = [Val::I32(0)];
    let error = apply
        .call(
            &mut *store,
            &[Val::FuncRef(None), Val::I32(1)],
            &mut results,
        )
        .expect_err("null call_ref");
    assert_eq!(trap_of(&error), Some(Trap::NullFunctionReference));
    error
}

fn trap_of(error: &weft::Error) -> Option<Trap> {
    error.downcast_ref::<Trap>().copied()
}

#[test]
fn call_ref_calls_wasm_and_host_functions() {
    let (engine, mut store, instance) = start();

    let get = instance
        .get_typed_func::<(), Func>(&mut store, "get")
        .expect("typed as a non-null Func");
    let double = get.call(&mut store, ()).expect("runs");
    assert_eq!(
        double.ty(&store),
        FuncType::new(&engine, [ValType::I32], [ValType::I32])
    );

    // A `(ref $t)` parameter is checked when the function is called with `Val`s (a typed
    // view cannot name `$t`).
    assert!(
        instance
            .get_typed_func::<(Func, i32), i32>(&mut store, "apply")
            .is_err()
    );
    let untyped = instance.get_func(&mut store, "apply").expect("export");
    let mut results = [Val::I32(0)];
    untyped
        .call(
            &mut store,
            &[Val::FuncRef(Some(double)), Val::I32(21)],
            &mut results,
        )
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 42);

    // A host function of the right type is a `(ref $t)` too.
    let square = Func::wrap(&mut store, |x: i32| x * x);
    untyped
        .call(
            &mut store,
            &[Val::FuncRef(Some(square)), Val::I32(5)],
            &mut results,
        )
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 25);

    // A function of another type, or null, is not a `(ref $t)`: refused before the call.
    let wide = Func::wrap(&mut store, |x: i64| x);
    let error = untyped
        .call(
            &mut store,
            &[Val::FuncRef(Some(wide)), Val::I32(5)],
            &mut results,
        )
        .expect_err("wrong function type");
    assert!(error.to_string().contains("parameter of type"), "{error}");
    assert!(trap_of(&error).is_none());
    let error = untyped
        .call(&mut store, &[Val::FuncRef(None), Val::I32(5)], &mut results)
        .expect_err("null where non-null is expected");
    assert!(trap_of(&error).is_none(), "{error}");

    // Through the table initialized with `$inc`.
    let from_table = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "from_table")
        .expect("typed");
    assert_eq!(from_table.call(&mut store, (1, 9)).expect("runs"), 10);
}

#[test]
fn null_references_trap_with_the_spec_messages() {
    let (_, mut store, instance) = start();

    let error = apply_null(&mut store, &instance);
    assert!(
        format!("{error:?}").contains("wasm trap: null function reference"),
        "{error:?}"
    );
    let double = instance
        .get_typed_func::<(), Func>(&mut store, "get")
        .expect("typed")
        .call(&mut store, ())
        .expect("runs");
    let apply = instance
        .get_func(&mut store, "apply_nullable")
        .expect("export");
    let mut results = [Val::I32(0)];
    apply
        .call(
            &mut store,
            &[Val::FuncRef(Some(double)), Val::I32(4)],
            &mut results,
        )
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 8);

    let as_non_null = instance
        .get_typed_func::<Option<Func>, Func>(&mut store, "as_non_null")
        .expect("typed");
    let error = as_non_null.call(&mut store, None).expect_err("null");
    assert_eq!(trap_of(&error), Some(Trap::NullReference));
    assert!(
        format!("{error:?}").contains("wasm trap: null reference"),
        "{error:?}"
    );
    let same = as_non_null.call(&mut store, Some(double)).expect("runs");
    assert_eq!(same.ty(&store), double.ty(&store));

    let is_null = instance.get_func(&mut store, "is_null").expect("export");
    is_null
        .call(&mut store, &[Val::FuncRef(None)], &mut results)
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 1);
    is_null
        .call(&mut store, &[Val::FuncRef(Some(double))], &mut results)
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 0);

    let call_or = instance.get_func(&mut store, "call_or").expect("export");
    call_or
        .call(&mut store, &[Val::FuncRef(None), Val::I32(5)], &mut results)
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), -1);
    call_or
        .call(
            &mut store,
            &[Val::FuncRef(Some(double)), Val::I32(5)],
            &mut results,
        )
        .expect("runs");
    assert_eq!(results[0].unwrap_i32(), 10);
}

#[test]
fn typed_funcs_check_by_subtyping() {
    let (_, mut store, instance) = start();
    // A `(ref $t)` result can be read as a `funcref`...
    assert!(
        instance
            .get_typed_func::<(), Option<Func>>(&mut store, "get")
            .is_ok()
    );
    // ... and a `Func` passed where a `funcref` is expected.
    assert!(
        instance
            .get_typed_func::<Func, Func>(&mut store, "as_non_null")
            .is_ok()
    );
    // A `funcref` parameter cannot take `Option<Func>` where `(ref $t)` is expected, nor a
    // nullable result be read as a non-null `Func`.
    assert!(
        instance
            .get_typed_func::<(Option<Func>, i32), i32>(&mut store, "apply")
            .is_err()
    );
    let nullable = Func::wrap(&mut store, || -> Option<Func> { None });
    assert!(nullable.typed::<(), Func>(&store).is_err());
    assert!(nullable.typed::<(), Option<Func>>(&store).is_ok());
}

#[test]
fn non_nullable_tables_and_globals_need_values_of_their_type() {
    let (_, mut store, instance) = start();
    let double = instance
        .get_typed_func::<(), Func>(&mut store, "get")
        .expect("typed")
        .call(&mut store, ())
        .expect("runs");
    let wide = Func::wrap(&mut store, |x: i64| x);
    let non_null_func = RefType::new(false, HeapType::Func);

    // A table of non-nullable references needs a non-null initial value.
    let error = Table::new(
        &mut store,
        TableType::new(non_null_func, 2, None),
        Ref::Func(None),
    )
    .expect_err("null init");
    assert!(error.to_string().contains("does not fit"), "{error}");
    let table = Table::new(
        &mut store,
        TableType::new(non_null_func, 2, None),
        Ref::Func(Some(wide)),
    )
    .expect("non-null init");
    assert!(table.get(&mut store, 1).expect("in bounds").is_non_null());
    assert!(table.set(&mut store, 0, Ref::Func(None)).is_err());
    assert!(table.grow(&mut store, 1, Ref::Func(None)).is_err());
    assert!(table.set(&mut store, 0, Ref::Func(Some(double))).is_ok());

    // A table of `(ref $t)` takes functions of `$t` only.
    let typed = Table::new(
        &mut store,
        TableType::new(ref_t(false), 1, None),
        Ref::Func(Some(double)),
    )
    .expect("init of the right type");
    assert!(typed.set(&mut store, 0, Ref::Func(Some(wide))).is_err());
    assert!(
        Table::new(
            &mut store,
            TableType::new(ref_t(false), 1, None),
            Ref::Func(Some(wide)),
        )
        .is_err()
    );

    // The module's table of `(ref $t)`, filled by its initializer.
    let exported = instance.get_table(&mut store, "table").expect("export");
    assert_eq!(exported.ty(&store).element(), ref_t(false));
    let first = exported.get(&mut store, 0).expect("in bounds");
    assert!(first.unwrap_func().is_some());
    assert!(exported.set(&mut store, 0, Ref::Func(None)).is_err());

    // Globals.
    let ty = GlobalType::new(ValType::Ref(ref_t(false)), Mutability::Var);
    assert!(Global::new(&mut store, ty, Val::FuncRef(None)).is_err());
    assert!(Global::new(&mut store, ty, Val::FuncRef(Some(wide))).is_err());
    let global = Global::new(&mut store, ty, Val::FuncRef(Some(double))).expect("right type");
    assert!(global.set(&mut store, Val::FuncRef(None)).is_err());
    assert!(global.set(&mut store, Val::FuncRef(Some(wide))).is_err());
    let nullable = GlobalType::new(ValType::Ref(ref_t(true)), Mutability::Var);
    let global = Global::new(&mut store, nullable, Val::FuncRef(None)).expect("null fits");
    assert!(global.set(&mut store, Val::FuncRef(Some(double))).is_ok());
    let exported = instance.get_global(&mut store, "global").expect("export");
    assert_eq!(exported.ty(&store).content(), ValType::Ref(ref_t(false)));
    assert!(
        exported
            .get(&mut store)
            .matches_ty(&store, &ValType::Ref(ref_t(false)))
            .expect("same store")
    );
}

#[test]
fn imports_match_by_subtyping() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let exporter = Module::new(
        &engine,
        r#"(module
            (type $t (func))
            (func $f (type $t))
            (global (export "typed") (ref $t) (ref.func $f))
            (global (export "nullable") funcref (ref.null func))
            (table (export "table") 1 (ref $t) (ref.func $f)))"#,
    )
    .expect("compiles");
    let exporter = Instance::new(&mut store, &exporter, &[]).expect("instantiates");
    let typed = exporter.get_global(&mut store, "typed").expect("export");
    let nullable = exporter.get_global(&mut store, "nullable").expect("export");
    let table = exporter.get_table(&mut store, "table").expect("export");

    // A `(ref $t)` global is a `funcref` and a `(ref func)` one.
    for import in ["funcref", "(ref func)", "(ref null func)"] {
        let importer = Module::new(
            &engine,
            format!(r#"(module (global (import "m" "g") {import}))"#),
        )
        .expect("compiles");
        Instance::new(&mut store, &importer, &[typed.into()])
            .unwrap_or_else(|e| panic!("a (ref $t) global imported as {import}: {e}"));
    }
    // A `funcref` global is not a `(ref func)`.
    let importer =
        Module::new(&engine, r#"(module (global (import "m" "g") (ref func)))"#).expect("compiles");
    let error = Instance::new(&mut store, &importer, &[nullable.into()]).expect_err("unlinkable");
    assert!(
        error.to_string().contains("incompatible import type"),
        "{error}"
    );
    // Tables need the same element type.
    let importer =
        Module::new(&engine, r#"(module (table (import "m" "t") 1 funcref))"#).expect("compiles");
    let error = Instance::new(&mut store, &importer, &[table.into()]).expect_err("unlinkable");
    assert!(
        error.to_string().contains("incompatible import type"),
        "{error}"
    );
    let importer = Module::new(
        &engine,
        r#"(module (type $t (func)) (table (import "m" "t") 1 (ref $t)))"#,
    )
    .expect("compiles");
    Instance::new(&mut store, &importer, &[table.into()]).expect("same element type");
}

#[test]
fn the_switch_off_refuses_typed_references() {
    let module = r#"(module (type $t (func)) (func (param (ref null $t))))"#;
    let error = Module::new(&Engine::default(), module).expect_err("off by default");
    assert!(error.to_string().contains("function references"), "{error}");
    let error = Module::new(&Engine::default(), MODULE).expect_err("off by default");
    assert!(!error.to_string().is_empty());
    Module::new(&engine(), module).expect("on");
    let mut config = Config::new();
    config
        .wasm_function_references(true)
        .wasm_function_references(false);
    assert!(Module::new(&Engine::new(&config).expect("engine"), module).is_err());
}

#[test]
fn precompiled_modules_keep_typed_references() {
    let engine = engine();
    let bytes = engine
        .precompile_module(MODULE.as_bytes())
        .expect("precompiles");
    let module = crate::precompiled::load(&engine, &bytes).expect("loads");
    let (mut store, instance) = instance(&engine, &module);
    let exported = instance.get_table(&mut store, "table").expect("export");
    assert_eq!(exported.ty(&store).element(), ref_t(false));
    let from_table = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "from_table")
        .expect("typed");
    assert_eq!(from_table.call(&mut store, (0, 1)).expect("runs"), 2);
    apply_null(&mut store, &instance);
    let global = instance.get_global(&mut store, "global").expect("export");
    assert_eq!(global.ty(&store).content(), ValType::Ref(ref_t(false)));

    // The setting is part of the fingerprint.
    let error = crate::precompiled::load(&Engine::default(), &bytes).expect_err("mismatch");
    assert!(
        error.to_string().contains("wasm_function_references"),
        "{error}"
    );
}
