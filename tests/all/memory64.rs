//! The memory64 proposal: memories with 64-bit addresses.

use weft::{Config, Engine, Instance, Linker, Memory, MemoryType, Module, Store};

const MEMORY64: &str = r#"
(module
  (memory (export "m") i64 1 3)
  (data (i64.const 8) "\2a")
  (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load_far") (param i64) (result i32)
    (i32.load8_u offset=0x100000000 (local.get 0)))
  (func (export "store") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "v128") (param i64) (result i64)
    (i64x2.extract_lane 0 (v128.load (local.get 0))))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
)
"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_memory64(true);
    Engine::new(&config).unwrap()
}

fn exercise(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let load = instance
        .get_typed_func::<i64, i32>(&mut store, "load")
        .unwrap();
    let load_far = instance
        .get_typed_func::<i64, i32>(&mut store, "load_far")
        .unwrap();
    let store_ = instance
        .get_typed_func::<(i64, i64), ()>(&mut store, "store")
        .unwrap();
    let v128 = instance
        .get_typed_func::<i64, i64>(&mut store, "v128")
        .unwrap();
    let size = instance
        .get_typed_func::<(), i64>(&mut store, "size")
        .unwrap();
    let grow = instance
        .get_typed_func::<i64, i64>(&mut store, "grow")
        .unwrap();
    let fill = instance
        .get_typed_func::<(i64, i32, i64), ()>(&mut store, "fill")
        .unwrap();
    let memory = instance.get_memory(&mut store, "m").unwrap();
    assert!(memory.ty(&store).is_64());

    assert_eq!(load.call(&mut store, 8).unwrap(), 0x2a);
    for address in [65536, 1 << 32, (1 << 32) + 8, -1] {
        let trap = load.call(&mut store, address).unwrap_err();
        assert!(format!("{trap:?}").contains("out of bounds"), "{trap:?}");
    }
    let trap = load_far.call(&mut store, 0).unwrap_err();
    assert!(format!("{trap:?}").contains("out of bounds"), "{trap:?}");
    store_
        .call(&mut store, (16, 0x0102_0304_0506_0708))
        .unwrap();
    assert_eq!(v128.call(&mut store, 16).unwrap(), 0x0102_0304_0506_0708);
    fill.call(&mut store, (100, 7, 4)).unwrap();
    assert_eq!(&memory.data(&store)[99..105], &[0, 7, 7, 7, 7, 0]);
    let trap = fill.call(&mut store, (100, 7, 1 << 32)).unwrap_err();
    assert!(format!("{trap:?}").contains("out of bounds"), "{trap:?}");

    assert_eq!(size.call(&mut store, ()).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "maximum 3");
    assert_eq!(grow.call(&mut store, 1 << 40).unwrap(), -1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    assert_eq!(load.call(&mut store, 3 * 65536 - 1).unwrap(), 0);
}

#[test]
fn a_64_bit_memory_takes_64_bit_addresses() {
    let engine = engine();
    let module = Module::new(&engine, MEMORY64).unwrap();
    exercise(&engine, &module);
}

#[test]
fn a_precompiled_memory64_module_behaves_as_the_original() {
    let engine = engine();
    let module = crate::precompiled::round_trip(&engine, MEMORY64);
    exercise(&engine, &module);
}

#[test]
fn memory64_is_off_by_default_and_imports_match_the_address_width() {
    let error = Module::new(&Engine::default(), MEMORY64).unwrap_err();
    assert!(error.to_string().contains("memory64"), "{error}");

    let engine = engine();
    let module = Module::new(&engine, r#"(module (import "host" "m" (memory i64 1)))"#).unwrap();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let narrow = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    linker.define(&store, "host", "m", narrow).unwrap();
    let error = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(error.to_string().contains("incompatible import"), "{error}");
    let wide = Memory::new(&mut store, MemoryType::new64(1, None)).unwrap();
    linker.allow_shadowing(true);
    linker.define(&store, "host", "m", wide).unwrap();
    linker.instantiate(&mut store, &module).unwrap();
}
