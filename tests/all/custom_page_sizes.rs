//! The custom-page-sizes proposal: memories of 1-byte pages.

use weft::{
    Config, Engine, Instance, InstanceAllocationStrategy, Linker, Memory, MemoryType,
    MemoryTypeBuilder, Module, PoolingAllocationConfig, ResourceLimiter, Store,
};

const SMALL: &str = r#"
(module
  (memory (export "m") 3 8 (pagesize 1))
  (data (i32.const 1) "\2a\2b")
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
)
"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_custom_page_sizes(true);
    Engine::new(&config).unwrap()
}

fn trapped(result: weft::Result<impl core::fmt::Debug>) {
    let error = result.unwrap_err();
    assert!(format!("{error:?}").contains("out of bounds"), "{error:?}");
}

fn exercise(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .unwrap();
    let load32 = instance
        .get_typed_func::<i32, i32>(&mut store, "load32")
        .unwrap();
    let store8 = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "store")
        .unwrap();
    let size = instance
        .get_typed_func::<(), i32>(&mut store, "size")
        .unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    let fill = instance
        .get_typed_func::<(i32, i32, i32), ()>(&mut store, "fill")
        .unwrap();
    let memory = instance.get_memory(&mut store, "m").unwrap();
    assert_eq!(memory.page_size(&store), 1);
    assert_eq!(memory.page_size_log2(&store), 0);
    assert_eq!(memory.ty(&store).page_size(), 1);
    assert_eq!((memory.size(&store), memory.data_size(&store)), (3, 3));

    // Three bytes: the fourth traps, and so does a 4-byte load at 0.
    assert_eq!(load.call(&mut store, 2).unwrap(), 0x2b);
    trapped(load.call(&mut store, 3));
    trapped(load32.call(&mut store, 0));
    trapped(store8.call(&mut store, (3, 1)));
    trapped(fill.call(&mut store, (1, 7, 3)));
    assert_eq!(memory.data(&store), &[0, 0x2a, 0x2b]);

    // Growing counts in bytes; the new bytes are zero.
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    assert_eq!(grow.call(&mut store, 2).unwrap(), 3);
    assert_eq!(size.call(&mut store, ()).unwrap(), 5);
    assert_eq!(load.call(&mut store, 4).unwrap(), 0);
    trapped(load.call(&mut store, 5));
    assert_eq!(load32.call(&mut store, 1).unwrap(), 0x2b2a);
    store8.call(&mut store, (4, 9)).unwrap();
    assert_eq!(grow.call(&mut store, 4).unwrap(), -1, "maximum of 8 bytes");
    assert_eq!(memory.grow(&mut store, 3).unwrap(), 5);
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(memory.data(&store), &[0, 0x2a, 0x2b, 0, 9, 0, 0, 0]);
    trapped(load.call(&mut store, 8));
}

#[test]
fn a_memory_of_one_byte_pages_ends_at_its_size() {
    let engine = engine();
    let module = Module::new(&engine, SMALL).unwrap();
    exercise(&engine, &module);
}

#[test]
fn a_precompiled_module_keeps_its_page_size() {
    let engine = engine();
    let bytes = engine.precompile_module(SMALL.as_bytes()).unwrap();
    let module = crate::precompiled::load(&engine, &bytes).unwrap();
    exercise(&engine, &module);
    // Another engine's configuration is refused.
    let error = crate::precompiled::load(&Engine::default(), &bytes).unwrap_err();
    assert!(
        error.to_string().contains("wasm_custom_page_sizes"),
        "{error}"
    );
}

#[test]
fn custom_page_sizes_are_off_by_default() {
    let error = Module::new(&Engine::default(), SMALL).unwrap_err();
    assert!(
        format!("{error:?}").contains("custom page sizes proposal must be enabled"),
        "{error:?}"
    );
}

#[test]
fn memories_of_one_byte_pages_from_the_host() {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let ty = MemoryTypeBuilder::new()
        .min(10)
        .max(Some(100_000))
        .page_size_log2(0)
        .build()
        .unwrap();
    assert_eq!((ty.page_size(), ty.page_size_log2()), (1, 0));
    let memory = Memory::new(&mut store, ty).unwrap();
    assert_eq!(memory.data_size(&store), 10);
    assert_eq!(memory.grow(&mut store, 65_536).unwrap(), 10);
    assert_eq!(memory.data_size(&store), 65_546);
    assert!(memory.data(&store).iter().all(|b| *b == 0));

    // An import must declare the page size of the memory it is given.
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "m", memory).unwrap();
    let bytes_module = Module::new(
        &engine,
        r#"(module (import "env" "m" (memory 1 (pagesize 1)))
             (func (export "size") (result i32) (memory.size)))"#,
    )
    .unwrap();
    let instance = linker.instantiate(&mut store, &bytes_module).unwrap();
    let size = instance
        .get_typed_func::<(), i32>(&mut store, "size")
        .unwrap();
    assert_eq!(size.call(&mut store, ()).unwrap(), 65_546);
    let pages_module = Module::new(&engine, r#"(module (import "env" "m" (memory 1)))"#).unwrap();
    let error = linker.instantiate(&mut store, &pages_module).unwrap_err();
    assert!(
        error.to_string().contains("incompatible import type"),
        "{error}"
    );

    // The bounds of the type: 2^32 - 1 one-byte pages for a 32-bit memory.
    assert!(
        MemoryTypeBuilder::new()
            .max(Some(u64::from(u32::MAX)))
            .page_size_log2(0)
            .build()
            .is_ok()
    );
    assert!(
        MemoryTypeBuilder::new()
            .max(Some(1 << 32))
            .page_size_log2(0)
            .build()
            .is_err()
    );
    assert!(MemoryTypeBuilder::new().page_size_log2(4).build().is_err());
    assert_eq!(MemoryType::new(1, None).page_size(), 65_536);
}

/// Records every growth the store asks about.
#[derive(Default)]
struct Recorder {
    asked: Vec<(usize, usize, Option<usize>)>,
}

impl ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> weft::Result<bool> {
        self.asked.push((current, desired, maximum));
        Ok(desired <= 5)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> weft::Result<bool> {
        Ok(true)
    }
}

#[test]
fn the_limiter_sees_bytes() {
    let engine = engine();
    let module = Module::new(&engine, SMALL).unwrap();
    let mut store = Store::new(&engine, Recorder::default());
    store.limiter(|recorder| recorder);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 3);
    assert_eq!(
        grow.call(&mut store, 1).unwrap(),
        -1,
        "the limiter refuses 6 bytes"
    );
    assert_eq!(
        store.data().asked,
        [(0, 3, Some(8)), (3, 5, Some(8)), (5, 6, Some(8))]
    );
}

#[test]
fn a_memory_image_ends_at_the_memory_s_byte_size() {
    // 65,539 bytes with data in the first 64 KiB: the copy-on-write image maps that part,
    // and the three bytes after it still end the memory; the pooling allocator reuses such
    // a memory for the next store.
    let mut pooling = Config::new();
    pooling
        .wasm_custom_page_sizes(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(
            PoolingAllocationConfig::new(),
        ));
    for engine in [engine(), Engine::new(&pooling).unwrap()] {
        one_image(&engine);
    }
}

fn one_image(engine: &Engine) {
    let module = Module::new(
        engine,
        r#"(module
             (memory (export "m") 65539 (pagesize 1))
             (data (i32.const 5) "\07")
             (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )
    .unwrap();
    for _ in 0..2 {
        let mut store = Store::new(engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let load = instance
            .get_typed_func::<i32, i32>(&mut store, "load")
            .unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        assert_eq!(load.call(&mut store, 5).unwrap(), 7);
        assert_eq!(load.call(&mut store, 65_538).unwrap(), 0);
        trapped(load.call(&mut store, 65_539));
        assert_eq!(grow.call(&mut store, 1).unwrap(), 65_539);
        assert_eq!(load.call(&mut store, 5).unwrap(), 7);
        assert_eq!(load.call(&mut store, 65_539).unwrap(), 0);
        trapped(load.call(&mut store, 65_540));
        let memory = instance.get_memory(&mut store, "m").unwrap();
        memory.data_mut(&mut store)[65_539] = 1;
    }
}
