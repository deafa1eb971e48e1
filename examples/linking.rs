//! Linking two modules: one instance's exports satisfy another module's imports through a
//! `Linker`, and a memory is shared between them.
//!
//! `cargo run -p weft-examples --example linking`

use weft::{Engine, Linker, Module, Store};

fn main() -> weft::Result<()> {
    let engine = Engine::default();
    let library = Module::new(
        &engine,
        r#"(module
             (memory (export "memory") 1)
             (func (export "double") (param i32) (result i32)
               local.get 0 i32.const 2 i32.mul)
             (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store))"#,
    )?;
    let app = Module::new(
        &engine,
        r#"(module
             (import "lib" "double" (func $double (param i32) (result i32)))
             (import "lib" "store" (func $store (param i32 i32)))
             (import "lib" "memory" (memory 1))
             (func (export "run") (param i32) (result i32)
               (call $store (i32.const 8) (call $double (local.get 0)))
               (i32.load (i32.const 8))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    // A module without `_start` is a reactor: instantiated once, its exports defined as `lib`.
    linker.module(&mut store, "lib", &library)?;
    let instance = linker.instantiate(&mut store, &app)?;
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
    assert_eq!(run.call(&mut store, 21)?, 42);
    println!("run(21) = 42, through the library's function and memory");

    // `InstancePre` resolves the imports once for many instantiations.
    let pre = linker.instantiate_pre(&app)?;
    let again = pre.instantiate(&mut store)?;
    let run = again.get_typed_func::<i32, i32>(&mut store, "run")?;
    assert_eq!(run.call(&mut store, 5)?, 10);
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
