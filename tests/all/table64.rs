//! 64-bit tables (table64, part of the memory64 proposal): `i64` indices, sizes and offsets.

use weft::{Config, Engine, Instance, Linker, Module, Ref, RefType, Store, Table, TableType};

const TABLE64: &str = r#"
(module
  (type $ret (func (result i32)))
  (table $t (export "t") i64 4 10 funcref)
  (table $narrow 3 funcref)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func $three (result i32) (i32.const 3))
  (elem (table $t) (i64.const 1) func $one $two)
  (elem $later func $three $one)
  (elem (table $narrow) (i32.const 0) func $three)
  (func (export "call") (param i64) (result i32)
    (call_indirect $t (type $ret) (local.get 0)))
  (func (export "is_null") (param i64) (result i32)
    (ref.is_null (table.get $t (local.get 0))))
  (func (export "set") (param i64 i64)
    (table.set $t (local.get 0) (table.get $t (local.get 1))))
  (func (export "size") (result i64) (table.size $t))
  (func (export "grow") (param i64) (result i64)
    (table.grow $t (ref.null func) (local.get 0)))
  (func (export "fill") (param i64 i64 i64)
    (table.fill $t (local.get 0) (table.get $t (local.get 1)) (local.get 2)))
  (func (export "copy") (param i64 i64 i64)
    (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32)
    (table.init $t $later (local.get 0) (local.get 1) (local.get 2)))
  ;; From the 32-bit table into the 64-bit one and back: the length is an `i32`.
  (func (export "copy_in") (param i64 i32 i32)
    (table.copy $t $narrow (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_out") (param i32 i64 i32)
    (table.copy $narrow $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call_narrow") (param i32) (result i32)
    (call_indirect $narrow (type $ret) (local.get 0)))
)
"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_memory64(true);
    Engine::new(&config).unwrap()
}

fn fails_with(result: weft::Result<impl core::fmt::Debug>, message: &str) {
    let error = result.unwrap_err();
    assert!(format!("{error:?}").contains(message), "{error:?}");
}

fn exercise(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    macro_rules! func {
        ($name:literal, $params:ty, $results:ty) => {
            instance
                .get_typed_func::<$params, $results>(&mut store, $name)
                .unwrap()
        };
    }
    let call = func!("call", i64, i32);
    let is_null = func!("is_null", i64, i32);
    let set = func!("set", (i64, i64), ());
    let size = func!("size", (), i64);
    let grow = func!("grow", i64, i64);
    let fill = func!("fill", (i64, i64, i64), ());
    let copy = func!("copy", (i64, i64, i64), ());
    let init = func!("init", (i64, i32, i32), ());
    let copy_in = func!("copy_in", (i64, i32, i32), ());
    let copy_out = func!("copy_out", (i32, i64, i32), ());
    let call_narrow = func!("call_narrow", i32, i32);
    let table = instance.get_table(&mut store, "t").unwrap();
    assert!(table.ty(&store).is_64());

    // The active segment's `i64` offset placed $one and $two at 1 and 2.
    assert_eq!(call.call(&mut store, 1).unwrap(), 1);
    assert_eq!(call.call(&mut store, 2).unwrap(), 2);
    fails_with(call.call(&mut store, 0), "uninitialized element");
    // The whole `i64` is the index: 2^32 + 1 is not element 1.
    for index in [4, (1 << 32) + 1, -1] {
        fails_with(call.call(&mut store, index), "undefined element");
        fails_with(
            is_null.call(&mut store, index),
            "out of bounds table access",
        );
    }
    assert_eq!(is_null.call(&mut store, 0).unwrap(), 1);
    set.call(&mut store, (3, 2)).unwrap();
    assert_eq!(call.call(&mut store, 3).unwrap(), 2);
    fails_with(set.call(&mut store, ((1 << 32) + 3, 1)), "out of bounds");

    assert_eq!(size.call(&mut store, ()).unwrap(), 4);
    assert_eq!(grow.call(&mut store, 2).unwrap(), 4);
    assert_eq!(size.call(&mut store, ()).unwrap(), 6);
    assert_eq!(grow.call(&mut store, 5).unwrap(), -1, "maximum of 10");
    assert_eq!(grow.call(&mut store, 1 << 32).unwrap(), -1);
    assert_eq!(table.size(&store), 6);

    fill.call(&mut store, (4, 1, 2)).unwrap();
    assert_eq!(call.call(&mut store, 5).unwrap(), 1);
    fails_with(
        fill.call(&mut store, (4, 1, (1 << 32) + 1)),
        "out of bounds",
    );
    copy.call(&mut store, (0, 2, 1)).unwrap();
    assert_eq!(call.call(&mut store, 0).unwrap(), 2);
    fails_with(copy.call(&mut store, (0, 1 << 32, 1)), "out of bounds");
    init.call(&mut store, (4, 0, 2)).unwrap();
    assert_eq!(call.call(&mut store, 4).unwrap(), 3);
    assert_eq!(call.call(&mut store, 5).unwrap(), 1);
    fails_with(
        init.call(&mut store, ((1 << 32) + 4, 0, 1)),
        "out of bounds",
    );

    copy_in.call(&mut store, (5, 0, 1)).unwrap();
    assert_eq!(call.call(&mut store, 5).unwrap(), 3);
    copy_out.call(&mut store, (1, 1, 2)).unwrap();
    assert_eq!(call_narrow.call(&mut store, 1).unwrap(), 1);
    assert_eq!(call_narrow.call(&mut store, 2).unwrap(), 2);
    fails_with(copy_out.call(&mut store, (0, 1 << 32, 1)), "out of bounds");
}

#[test]
fn a_64_bit_table_takes_64_bit_indices() {
    let engine = engine();
    let module = Module::new(&engine, TABLE64).unwrap();
    exercise(&engine, &module);
}

#[test]
fn a_precompiled_table64_module_behaves_as_the_original() {
    let engine = engine();
    let module = crate::precompiled::round_trip(&engine, TABLE64);
    exercise(&engine, &module);
}

#[test]
fn validate_and_new_agree_on_64_bit_tables() {
    let binary = wat::parse_str(TABLE64).unwrap();
    let engine = engine();
    Module::validate(&engine, &binary).unwrap();
    Module::new(&engine, &binary).unwrap();
    let off = Engine::default();
    assert!(Module::validate(&off, &binary).is_err());
    let error = Module::new(&off, &binary).unwrap_err();
    assert!(error.to_string().contains("memory64"), "{error}");
}

#[test]
fn host_tables_of_64_bit_indices() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let ty = TableType::new64(RefType::FUNCREF, 2, Some(1 << 40));
    assert!(ty.is_64());
    assert!(!TableType::new(RefType::FUNCREF, 2, None).is_64());
    let table = Table::new(&mut store, ty, Ref::Func(None)).unwrap();
    assert!(table.ty(&store).is_64());
    assert_eq!(table.ty(&store).maximum(), Some(1 << 40));
    assert_eq!(table.grow(&mut store, 3, Ref::Func(None)).unwrap(), 2);

    // An import must have the address type of the table given for it.
    let wide = Module::new(
        &engine,
        r#"(module (import "host" "t" (table i64 1 funcref))
             (func (export "size") (result i64) (table.size 0)))"#,
    )
    .unwrap();
    let narrow = Module::new(&engine, r#"(module (import "host" "t" (table 1 funcref)))"#).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "host", "t", table).unwrap();
    let instance = linker.instantiate(&mut store, &wide).unwrap();
    let size = instance
        .get_typed_func::<(), i64>(&mut store, "size")
        .unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 5);
    let error = linker.instantiate(&mut store, &narrow).unwrap_err();
    assert!(error.to_string().contains("incompatible import"), "{error}");
}
