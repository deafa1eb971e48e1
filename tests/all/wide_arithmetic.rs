//! The wide-arithmetic proposal through the API: its switch, and the 128-bit results in both
//! halves, precompiled too.

use weft::{Config, Engine, Instance, Module, Store};

const MODULE: &str = r#"(module
    (func (export "add") (param i64 i64 i64 i64) (result i64 i64)
        (i64.add128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "sub") (param i64 i64 i64 i64) (result i64 i64)
        (i64.sub128 (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
    (func (export "mul_s") (param i64 i64) (result i64 i64)
        (i64.mul_wide_s (local.get 0) (local.get 1)))
    (func (export "mul_u") (param i64 i64) (result i64 i64)
        (i64.mul_wide_u (local.get 0) (local.get 1)))
    ;; The results land in temporaries that overlap the operands' (a constant operand, a
    ;; nested use).
    (func (export "nested") (param i64) (result i64)
        (i64.mul_wide_u (local.get 0) (i64.const -1))
        (i64.add128 (i64.const 1) (i64.const 0))
        (i64.xor)))"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_wide_arithmetic(true);
    Engine::new(&config).expect("engine")
}

fn check(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    let add = instance
        .get_typed_func::<(i64, i64, i64, i64), (i64, i64)>(&mut store, "add")
        .expect("add");
    // u64::MAX + 1 carries into the high half.
    assert_eq!(add.call(&mut store, (-1, 0, 1, 0)).expect("runs"), (0, 1));
    assert_eq!(add.call(&mut store, (-1, -1, 1, 0)).expect("runs"), (0, 0));
    let sub = instance
        .get_typed_func::<(i64, i64, i64, i64), (i64, i64)>(&mut store, "sub")
        .expect("sub");
    assert_eq!(sub.call(&mut store, (0, 1, 1, 0)).expect("runs"), (-1, 0));
    assert_eq!(sub.call(&mut store, (0, 0, 1, 0)).expect("runs"), (-1, -1));
    let mul_s = instance
        .get_typed_func::<(i64, i64), (i64, i64)>(&mut store, "mul_s")
        .expect("mul_s");
    assert_eq!(mul_s.call(&mut store, (-2, 3)).expect("runs"), (-6, -1));
    assert_eq!(
        mul_s.call(&mut store, (i64::MIN, i64::MIN)).expect("runs"),
        (0, 1 << 62)
    );
    let mul_u = instance
        .get_typed_func::<(i64, i64), (i64, i64)>(&mut store, "mul_u")
        .expect("mul_u");
    assert_eq!(mul_u.call(&mut store, (-1, -1)).expect("runs"), (1, -2));
    let nested = instance
        .get_typed_func::<i64, i64>(&mut store, "nested")
        .expect("nested");
    // x * (2^64 - 1) = (-x mod 2^64, x - 1) for 0 < x; then (lo + 1, hi) and lo ^ hi
    // (the add128 takes the product's halves and 1, 0).
    let x = 5i64;
    assert_eq!(
        nested.call(&mut store, x).expect("runs"),
        (-x + 1) ^ (x - 1)
    );
}

#[test]
fn wide_arithmetic_gives_both_halves() {
    let engine = engine();
    check(&engine, &Module::new(&engine, MODULE).expect("compiles"));
}

#[test]
fn precompiled_wide_arithmetic_runs() {
    let engine = engine();
    let module = crate::precompiled::round_trip(&engine, MODULE);
    check(&engine, &module);
}

#[test]
fn wide_arithmetic_is_off_by_default() {
    let error = Module::new(&Engine::default(), MODULE).expect_err("refused by default");
    assert!(error.to_string().contains("wide"), "{error}");
}
