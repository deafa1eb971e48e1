//! Components composed by `wasm-compose`: the composed component instantiates with no
//! imports and its calls cross between the two original components through fused adapters.

use weft::component::{Component, Linker};
use weft::{Engine, Store};

/// Exports the instance `example:math/ops`: `double` and `len`, which receives a string
/// copied into its own memory.
const PROVIDER: &str = r#"(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.tee $p
      local.get 3
      i32.add
      i32.const 7
      i32.add
      i32.const -8
      i32.and
      global.set $bump
      local.get $p)
    (func (export "double") (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
    ;; The string's length plus its first byte, so that the bytes must have been copied.
    (func (export "len") (param i32 i32) (result i32)
      local.get 1 local.get 0 i32.load8_u i32.add))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (func $double (param "x" u32) (result u32) (canon lift (core func $i "double")))
  (func $len (param "s" string) (result u32)
    (canon lift (core func $i "len") (memory $mem) (realloc $realloc)))
  (instance $ops (export "double" (func $double)) (export "len" (func $len)))
  (export "example:math/ops" (instance $ops)))"#;

/// Imports `example:math/ops` and exports `run(x) = double(x) + len("composed")`.
const ROOT: &str = r#"(component
  (import "example:math/ops" (instance $ops
    (export "double" (func (param "x" u32) (result u32)))
    (export "len" (func (param "s" string) (result u32)))))
  (core module $mem (memory (export "mem") 1))
  (core instance $mi (instantiate $mem))
  (core func $double (canon lower (func $ops "double")))
  (core func $len (canon lower (func $ops "len") (memory (core memory $mi "mem"))))
  (core module $m
    (import "ops" "double" (func $double (param i32) (result i32)))
    (import "ops" "len" (func $len (param i32 i32) (result i32)))
    (import "m" "mem" (memory 1))
    (data (i32.const 100) "composed")
    (func (export "run") (param i32) (result i32)
      local.get 0 call $double
      i32.const 100 i32.const 8 call $len
      i32.add))
  (core instance $i (instantiate $m
    (with "ops" (instance (export "double" (func $double)) (export "len" (func $len))))
    (with "m" (instance $mi))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run"))))"#;

/// Composes [`ROOT`] with [`PROVIDER`] satisfying its import, as `wasm-tools compose` does.
fn compose() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root.wat");
    let provider = dir.path().join("provider.wat");
    std::fs::write(&root, ROOT).expect("write root");
    std::fs::write(&provider, PROVIDER).expect("write provider");
    let mut config = wasm_compose::config::Config {
        dir: dir.path().to_path_buf(),
        disallow_imports: true,
        ..Default::default()
    };
    config.dependencies.insert(
        "example:math/ops".to_string(),
        wasm_compose::config::Dependency { path: provider },
    );
    wasm_compose::composer::ComponentComposer::new(&root, &config)
        .compose()
        .expect("wasm-compose composes the pair")
}

#[test]
fn a_composed_pair_runs_through_a_typed_call() {
    let engine = Engine::default();
    let component = Component::from_binary(&engine, &compose()).expect("composed component");
    assert_eq!(component.component_type().imports(&engine).len(), 0);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let run = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "run")
        .expect("typed `run`");
    // 2 * 21, plus the length of "composed" and its first byte, b'c'.
    assert_eq!(run.call(&mut store, (21,)).expect("call"), (42 + 8 + 99,));
    assert_eq!(run.call(&mut store, (0,)).expect("call"), (8 + 99,));
}
