//! A component with a typed export and a host import: strings cross the Canonical ABI in both
//! directions.
//!
//! `cargo run -p weft-examples --example component`

use weft::component::{Component, Linker};
use weft::{Engine, Store};

fn main() -> weft::Result<()> {
    let engine = Engine::default();
    let component = Component::new(
        &engine,
        r#"
        (component
          (import "log" (func $log (param "msg" string)))
          (core module $libc
            (memory (export "mem") 1)
            (global $next (mut i32) (i32.const 1024))
            (func (export "realloc") (param i32 i32 i32 i32) (result i32)
              (local $ptr i32)
              (local.set $ptr (global.get $next))
              (global.set $next (i32.add (local.get $ptr) (local.get 3)))
              (local.get $ptr)))
          (core instance $libc (instantiate $libc))
          (core func $log (canon lower (func $log) (memory (core memory $libc "mem"))))
          (core module $m
            (import "host" "log" (func $log (param i32 i32)))
            (func (export "greet") (param i32 i32) (result i32)
              (call $log (local.get 0) (local.get 1))
              (local.get 1)))
          (core instance $i (instantiate $m
            (with "host" (instance (export "log" (func $log))))))
          (func (export "greet") (param "name" string) (result u32)
            (canon lift (core func $i "greet") (memory (core memory $libc "mem"))
              (realloc (core func $libc "realloc")))))
        "#,
    )?;
    let mut linker = Linker::<Vec<String>>::new(&engine);
    linker
        .root()
        .func_wrap("log", |mut store, (msg,): (String,)| {
            store.data_mut().push(msg);
            Ok(())
        })?;
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker.instantiate(&mut store, &component)?;
    let greet = instance.get_typed_func::<(&str,), (u32,)>(&mut store, "greet")?;
    let (length,) = greet.call(&mut store, ("weft",))?;
    assert_eq!(length, 4);
    assert_eq!(store.data(), &["weft"]);
    println!(
        "the guest logged {:?} and returned its length {length}",
        store.data()
    );
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
