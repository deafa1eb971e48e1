//! Fuel: bound how much a guest may execute. Each WebAssembly operator costs one unit,
//! charged when its block starts; running out traps, and the store can be refuelled.
//!
//! `cargo run -p weft-examples --example fuel`

use weft::{Config, Engine, Instance, Module, Store, Trap};

fn main() -> weft::Result<()> {
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config)?;
    let module = Module::new(
        &engine,
        r#"(module
             (func $fib (export "fib") (param i32) (result i32)
               (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
                 (then (local.get 0))
                 (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                                (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    store.set_fuel(10_000)?;
    let instance = Instance::new(&mut store, &module, &[])?;
    let fib = instance.get_typed_func::<i32, i32>(&mut store, "fib")?;
    for n in 1.. {
        let before = store.get_fuel()?;
        match fib.call(&mut store, n) {
            Ok(value) => {
                let used = before - store.get_fuel()?;
                println!("fib({n}) = {value}, {used} units of fuel");
            }
            Err(error) if error.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) => {
                println!("fib({n}) ran out of fuel");
                assert!(n > 5, "the first calls fit in 10,000 units");
                break;
            }
            Err(error) => return Err(error),
        }
    }
    // Refuelled, the same store runs again.
    store.set_fuel(1_000_000)?;
    assert_eq!(fib.call(&mut store, 15)?, 610);
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
