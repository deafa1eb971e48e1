//! Linear memory from the host: read and write a guest's memory, grow it, and see a guest's
//! out-of-bounds access trap.
//!
//! `cargo run -p weft-examples --example memory`

use weft::{Engine, Instance, Module, Store, Trap};

fn main() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
             (memory (export "memory") 2 3)
             (func (export "size") (result i32) memory.size)
             (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
             (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8)
             (data (i32.const 0x1000) "\01\02\03\04"))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let memory = instance
        .get_memory(&store, "memory")
        .ok_or_else(|| weft::Error::msg("no memory export"))?;
    let size = instance.get_typed_func::<(), i32>(&mut store, "size")?;
    let load = instance.get_typed_func::<i32, i32>(&mut store, "load")?;
    let store_byte = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store")?;

    // Sizes are in 64 KiB pages; `data_size` is in bytes.
    assert_eq!(memory.size(&store), 2);
    assert_eq!(memory.data_size(&store), 2 * 65536);
    assert_eq!(size.call(&mut store, ())?, 2);
    assert_eq!(memory.data(&store)[0x1000..0x1004], [1, 2, 3, 4]);
    assert_eq!(load.call(&mut store, 0x1002)?, 3);

    // The host writes, the guest reads; the guest writes, the host reads.
    memory.write(&mut store, 0x2000, &[42])?;
    assert_eq!(load.call(&mut store, 0x2000)?, 42);
    store_byte.call(&mut store, (0x2001, 7))?;
    let mut byte = [0];
    memory.read(&store, 0x2001, &mut byte)?;
    assert_eq!(byte, [7]);

    // Growing past the maximum (3 pages) fails and leaves the memory as it was.
    assert_eq!(memory.grow(&mut store, 1)?, 2);
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(size.call(&mut store, ())?, 3);

    // A guest access beyond the end traps.
    let error = load.call(&mut store, 3 * 65536).expect_err("out of bounds");
    assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::MemoryOutOfBounds));
    println!("out-of-bounds load trapped: {}", Trap::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
