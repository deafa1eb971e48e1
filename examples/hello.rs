//! The smallest embedding: compile a module, give it a host function that reads the store's
//! data, instantiate it and call its export.
//!
//! `cargo run -p weft-examples --example hello`

use weft::{Caller, Engine, Func, Instance, Module, Store};

struct MyState {
    name: String,
    count: usize,
}

fn main() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (import "" "hello" (func $hello))
             (func (export "run") (call $hello)))"#,
    )?;
    let mut store = Store::new(
        &engine,
        MyState {
            name: "hello, world!".to_string(),
            count: 0,
        },
    );
    let hello = Func::wrap(&mut store, |mut caller: Caller<'_, MyState>| {
        println!("> {}", caller.data().name);
        caller.data_mut().count += 1;
    });
    let instance = Instance::new(&mut store, &module, &[hello.into()])?;
    let run = instance.get_typed_func::<(), ()>(&mut store, "run")?;
    run.call(&mut store, ())?;
    assert_eq!(store.data().count, 1);
    println!("done: the host function ran {} time", store.data().count);
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
