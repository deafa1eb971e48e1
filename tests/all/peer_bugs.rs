//! Modules on which wasmi 2.0.0, the differential fuzzer's reference engine, gives non-spec
//! answers. The fuzz crate's oracle classifies them as known wasmi bugs
//! (`fuzz/src/known_bugs.rs`, whose tests also show wasmi's answers); these tests pin
//! Weft's spec answers, so that the exemption there never hides a Weft regression here.

use weft::{Engine, Instance, Module, Store};

fn instantiate(store: &mut Store<()>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("compiles");
    Instance::new(store, &module, &[]).expect("instantiates")
}

/// `br_table` carrying three values with an extra value below them in its block.
///
/// Spec (Execution, `br_table` and `br l`): the branch pops the label's three values,
/// unwinds the operand stack to the label's height, which drops the extra value, and pushes
/// the three values back. Whichever label the index picks (the block, or the function's
/// body), the results are the top three values. wasmi 2.0.0 returns `0 2 4` for the index 0.
#[test]
fn br_table_carries_three_values_over_an_extra_one() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module
          (func (export "carry") (param i32 i32 i32 i32 i32) (result i32 i32 i32)
            (block (result i32 i32 i32)
              local.get 0
              local.get 1
              local.get 2
              local.get 3
              local.get 4
              br_table 0 1)))"#,
    );
    let carry = instance
        .get_typed_func::<(i32, i32, i32, i32, i32), (i32, i32, i32)>(&store, "carry")
        .expect("carry");
    for index in [0, 1, 2, -1] {
        assert_eq!(
            carry.call(&mut store, (1, 2, 3, 4, index)).unwrap(),
            (2, 3, 4)
        );
    }
    // The same with more values below, and with a deeper target.
    let instance = instantiate(
        &mut store,
        r#"(module
          (func (export "carry") (param i32) (result i32 i32 i32)
            (block (result i32 i32 i32)
              (block (result i32 i32 i32)
                i32.const 10
                i32.const 11
                (i32.add (local.get 0) (i32.const 20))
                (i32.add (local.get 0) (i32.const 30))
                (i32.add (local.get 0) (i32.const 40))
                local.get 0
                br_table 0 1 2)
              i32.add
              i32.const 100)))"#,
    );
    let carry = instance
        .get_typed_func::<i32, (i32, i32, i32)>(&store, "carry")
        .expect("carry");
    // Label 0 ends the inner block with 20 30 40; `i32.add` and `i32.const` make 20 70 100.
    assert_eq!(carry.call(&mut store, 0).unwrap(), (20, 30 + 40, 100));
    assert_eq!(carry.call(&mut store, 1).unwrap(), (21, 31, 41));
    assert_eq!(carry.call(&mut store, 2).unwrap(), (22, 32, 42));
    assert_eq!(carry.call(&mut store, 7).unwrap(), (27, 37, 47));
}

/// `select` whose condition is `i32.eqz`, with `ref.is_null` of a funcref global among its
/// operands.
///
/// Spec: `ref.is_null` pushes 1 for a null reference and 0 otherwise; `select` pops the
/// condition `c`, then `v2`, then `v1`, and pushes `v1` if `c != 0`, else `v2`. wasmi 2.0.0
/// fuses the `i32.eqz` into the `select` and then tests the `ref.is_null` result instead:
/// it returns 0 for `first(5)`.
#[test]
fn select_on_eqz_beside_ref_is_null_of_a_funcref_global() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module
          (global $set (mut funcref) (ref.func $f))
          (global $null (mut funcref) (ref.null func))
          (func $f)
          ;; v1 = ref.is_null $set = 0, v2 = x, c = (x == 0)
          (func (export "first") (param i32) (result i32)
            (select (ref.is_null (global.get $set)) (local.get 0) (i32.eqz (local.get 0))))
          ;; v1 = 7, v2 = ref.is_null $null = 1, c = (x == 0)
          (func (export "second") (param i32) (result i32)
            (select (i32.const 7) (ref.is_null (global.get $null)) (i32.eqz (local.get 0)))))"#,
    );
    let first = instance
        .get_typed_func::<i32, i32>(&store, "first")
        .expect("first");
    assert_eq!(first.call(&mut store, 5).unwrap(), 5);
    assert_eq!(first.call(&mut store, 0).unwrap(), 0);
    let second = instance
        .get_typed_func::<i32, i32>(&store, "second")
        .expect("second");
    assert_eq!(second.call(&mut store, 5).unwrap(), 1);
    assert_eq!(second.call(&mut store, 0).unwrap(), 7);
}

/// `select` directly on `ref.is_null` of a call's null externref result, after an `if` on
/// `i32.eqz` (reduced from a module of the differential fuzzer).
///
/// Spec: the call leaves `0.0` and a null externref above `-2`; `ref.is_null` turns the
/// reference into 1, so `select` yields its first operand, -2. wasmi 2.0.0 returns 0.
#[test]
fn select_directly_on_ref_is_null_of_a_call_result() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module
          (global $n (mut i32) (i32.const 5))
          (func $pair (result f64 externref) f64.const 0 ref.null extern)
          (func (export "select") (result f64)
            global.get $n
            i32.eqz
            if
              unreachable
            end
            f64.const -2
            call $pair
            ref.is_null
            select))"#,
    );
    let select = instance
        .get_typed_func::<(), f64>(&store, "select")
        .expect("select");
    assert_eq!(select.call(&mut store, ()).unwrap(), -2.0);
}
