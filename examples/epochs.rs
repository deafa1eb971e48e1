//! Epoch interruption: another thread advances the engine's epoch, and a guest stuck in an
//! infinite loop traps at its next loop back-edge.
//!
//! `cargo run -p weft-examples --example epochs`

use std::time::Duration;
use weft::{Config, Engine, Instance, Module, Store, Trap};

fn main() -> weft::Result<()> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let engine = Engine::new(&config)?;
    let module = Module::new(&engine, r#"(module (func (export "spin") (loop br 0)))"#)?;
    let mut store = Store::new(&engine, ());
    // Trap once the epoch has advanced one tick past now.
    store.set_epoch_deadline(1);
    let instance = Instance::new(&mut store, &module, &[])?;
    let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;

    let ticker = engine.clone();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        ticker.increment_epoch();
    });
    let error = spin.call(&mut store, ()).expect_err("interrupted");
    timer
        .join()
        .map_err(|_| weft::Error::msg("timer thread panicked"))?;
    assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::Interrupt));
    println!("the infinite loop was interrupted: {}", Trap::Interrupt);
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
