//! The pooling allocator: an engine whose stores together hold at most a fixed number of
//! instances and memories; the memories of dropped stores are reused.
//!
//! `cargo run -p weft-examples --example pooling`

use weft::{
    Config, Engine, InstanceAllocationStrategy, Linker, Module, PoolingAllocationConfig, Store,
};

fn main() -> weft::Result<()> {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(4)
        .total_memories(4)
        .max_memory_size(1 << 20);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config)?;
    let module = Module::new(
        &engine,
        r#"(module (memory 1)
             (func (export "bump") (result i32)
               (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
               (i32.load (i32.const 0))))"#,
    )?;
    let pre = Linker::<()>::new(&engine).instantiate_pre(&module)?;

    // Four stores fill the pool; a fifth instance is refused.
    let mut stores = Vec::new();
    for _ in 0..4 {
        let mut store = Store::new(&engine, ());
        pre.instantiate(&mut store)?;
        stores.push(store);
    }
    let mut extra = Store::new(&engine, ());
    let refused = pre.instantiate(&mut extra).expect_err("the pool is full");
    println!("fifth instance refused: {refused}");

    // Dropping a store frees its slots; the new instance gets a zeroed memory.
    stores.clear();
    for _ in 0..10 {
        let mut store = Store::new(&engine, ());
        let instance = pre.instantiate(&mut store)?;
        let bump = instance.get_typed_func::<(), i32>(&mut store, "bump")?;
        assert_eq!(bump.call(&mut store, ())?, 1);
    }
    println!("ten short-lived stores ran in a pool of four");
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
