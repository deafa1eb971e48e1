//! The reproducers of the known wasmi 2.0.0 bugs (see `weft_fuzz::known_bugs`): wasmi gives
//! a non-spec answer, Weft the spec's, and the differential check classifies the difference
//! as the known bug rather than as a Weft failure. The same modules pin Weft's answers in
//! the main workspace's `tests/all/peer_bugs.rs`.

use weft_fuzz::known_bugs::{PeerBug, known_peer_bug};
use weft_fuzz::oracle::{
    ExportKind, Failure, Oracle, Outcome, Value, WasmiOracle, WeftOracle, compare,
};

/// `br_table` carrying three values with an extra value below them in its block. Spec: the
/// branch keeps the top three values (2 3 4) and drops the extra one (1), whichever label the
/// index (0) selects. wasmi 2.0.0 answers 0 2 4.
const BR_TABLE: &str = r#"
(module
  (func $carry (param i32 i32 i32 i32 i32) (result i32 i32 i32)
    (block (result i32 i32 i32)
      local.get 0
      local.get 1
      local.get 2
      local.get 3
      local.get 4
      br_table 0 1))
  (func (export "br_table") (result i32 i32 i32)
    (call $carry (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 0))))
"#;

/// `select` on `i32.eqz`, its first operand `ref.is_null` of a non-null funcref global. Spec:
/// `ref.is_null` gives 0, the condition `i32.eqz 5` is 0, so `select` yields its second
/// operand, 5. wasmi 2.0.0 answers 0.
const SELECT: &str = r#"
(module
  (global $g (mut funcref) (ref.func $f))
  (func $f)
  (func $select (param i32) (result i32)
    (select (ref.is_null (global.get $g)) (local.get 0) (i32.eqz (local.get 0))))
  (func (export "select") (result i32)
    (call $select (i32.const 5))))
"#;

/// `select` directly on `ref.is_null` of a call's null externref, after an `if` on `i32.eqz`
/// (found by the differential fuzzer, reduced). Spec: the stack holds -2, 0.0 and 1
/// (`ref.is_null` of null), so `select` yields its first operand, -2. wasmi 2.0.0 answers 0.
const SELECT_ON_REF_IS_NULL: &str = r#"
(module
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
    select))
"#;

fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("a reproducer is valid WAT")
}

fn call(oracle: &mut dyn Oracle, wasm: &[u8], name: &str) -> Result<Vec<Value>, Failure> {
    oracle.compile(wasm).expect("the reproducer compiles");
    oracle.instantiate().expect("the reproducer instantiates");
    oracle.call(name)
}

#[test]
fn br_table_wasmi_differs_from_the_spec() {
    let wasm = wasm(BR_TABLE);
    let spec = Ok(vec![Value::I32(2), Value::I32(3), Value::I32(4)]);
    let mut weft = WeftOracle::new(weft::Engine::default());
    assert_eq!(call(&mut weft, &wasm, "br_table"), spec);
    let wasmi = call(&mut WasmiOracle::new(), &wasm, "br_table");
    assert_ne!(
        wasmi, spec,
        "wasmi now follows the spec: drop this known bug"
    );
}

#[test]
fn select_wasmi_differs_from_the_spec() {
    let wasm = wasm(SELECT);
    let spec = Ok(vec![Value::I32(5)]);
    let mut weft = WeftOracle::new(weft::Engine::default());
    assert_eq!(call(&mut weft, &wasm, "select"), spec);
    let wasmi = call(&mut WasmiOracle::new(), &wasm, "select");
    assert_ne!(
        wasmi, spec,
        "wasmi now follows the spec: drop this known bug"
    );
}

#[test]
fn select_on_ref_is_null_wasmi_differs_from_the_spec() {
    let wasm = wasm(SELECT_ON_REF_IS_NULL);
    let spec = Ok(vec![Value::F64((-2.0f64).to_bits())]);
    let mut weft = WeftOracle::new(weft::Engine::default());
    assert_eq!(call(&mut weft, &wasm, "select"), spec);
    let wasmi = call(&mut WasmiOracle::new(), &wasm, "select");
    assert_ne!(
        wasmi, spec,
        "wasmi now follows the spec: drop this known bug"
    );
}

#[test]
fn the_oracle_classifies_the_reproducers_as_known_peer_bugs() {
    for (wat, bug) in [
        (BR_TABLE, PeerBug::BrTableDropsBelowValues),
        (SELECT, PeerBug::SelectFusedWithRefIsNull),
        (SELECT_ON_REF_IS_NULL, PeerBug::SelectFusedWithRefIsNull),
    ] {
        let wasm = wasm(wat);
        let mut weft = WeftOracle::new(weft::Engine::default());
        let outcome = compare(&mut weft, &mut WasmiOracle::new(), &wasm);
        assert_eq!(outcome, Outcome::KnownPeerBug(bug));
    }
}

#[test]
fn near_misses_hold_no_pattern() {
    for wat in [
        // Nothing below the carried values.
        r#"(module (func (param i32 i32 i32 i32) (result i32 i32 i32)
             (block (result i32 i32 i32)
               local.get 0 local.get 1 local.get 2 local.get 3 br_table 0 1)))"#,
        // One carried value.
        r#"(module (func (param i32 i32 i32) (result i32)
             (block (result i32)
               local.get 0 local.get 1 local.get 2 br_table 0 1)))"#,
        // The extra value is below the block, not in it.
        r#"(module (func (param i32 i32 i32 i32 i32) (result i32 i32 i32)
             local.get 0
             (block (result i32 i32 i32)
               local.get 1 local.get 2 local.get 3 local.get 4 br_table 0 0)
             (drop (local.get 0))
             return))"#,
        // A fused condition, but no `ref.is_null` in the function.
        r#"(module (func (param i32) (result i32)
             (select (i32.const 1) (local.get 0) (i32.eqz (local.get 0)))))"#,
        // A condition that is not fused.
        r#"(module (global $g funcref (ref.null func)) (func (param i32) (result i32)
             (select (ref.is_null (global.get $g)) (local.get 0) (local.get 0))))"#,
    ] {
        assert_eq!(known_peer_bug(&wasm(wat)), None, "{wat}");
    }
}

/// An engine that reports wrong results, standing for a Weft bug.
struct Lying(WeftOracle);

impl Oracle for Lying {
    fn name(&self) -> &'static str {
        "lying"
    }
    fn compile(&mut self, wasm: &[u8]) -> Result<(), String> {
        self.0.compile(wasm)
    }
    fn instantiate(&mut self) -> Result<(), Failure> {
        self.0.instantiate()
    }
    fn exports(&mut self) -> Vec<(String, ExportKind)> {
        self.0.exports()
    }
    fn call(&mut self, name: &str) -> Result<Vec<Value>, Failure> {
        self.0.call(name).map(|values| {
            values
                .into_iter()
                .map(|v| match v {
                    Value::I32(x) => Value::I32(x ^ 0x55),
                    v => v,
                })
                .collect()
        })
    }
    fn global(&mut self, name: &str) -> Option<Value> {
        self.0.global(name)
    }
    fn memory(&mut self, name: &str) -> Option<Vec<u8>> {
        self.0.memory(name)
    }
    fn table(&mut self, name: &str) -> Option<Vec<bool>> {
        self.0.table(name)
    }
}

#[test]
fn a_difference_without_a_pattern_is_a_failure() {
    let wasm = wasm(r#"(module (func (export "f") (result i32) i32.const 7))"#);
    let mut weft = WeftOracle::new(weft::Engine::default());
    assert_eq!(
        compare(&mut weft, &mut WasmiOracle::new(), &wasm),
        Outcome::Agree
    );
    let mut lying = Lying(WeftOracle::new(weft::Engine::default()));
    assert!(matches!(
        compare(&mut lying, &mut WasmiOracle::new(), &wasm),
        Outcome::Differ(_)
    ));
}
