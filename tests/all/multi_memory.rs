//! The multi-memory proposal: several memories per module, accessed by index, exported and
//! imported, copied between, and precompiled.

use weft::{Config, Engine, Instance, Linker, Memory, MemoryType, Module, Store};

/// A module with two defined memories that moves bytes between them with every kind of
/// access: plain and SIMD loads and stores, `memory.copy`, `memory.fill`, `memory.init`,
/// `memory.size` and `memory.grow`.
const TWO_MEMORIES: &str = r#"
(module
  (memory $a (export "a") 1)
  (memory $b (export "b") 1 3)
  (data $d "\01\02\03\04")
  (func (export "store_b") (param i32 i64)
    (i64.store $b (local.get 0) (local.get 1)))
  (func (export "load_b") (param i32) (result i64)
    (i64.load $b (local.get 0)))
  (func (export "load_a") (param i32) (result i64)
    (i64.load $a (local.get 0)))
  (func (export "load8_b") (param i32) (result i32)
    (i32.load8_s $b offset=1 (local.get 0)))
  (func (export "copy_b_to_a") (param i32 i32 i32)
    (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill_b") (param i32 i32 i32)
    (memory.fill $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_b") (param i32)
    (memory.init $b $d (local.get 0) (i32.const 0) (i32.const 4)))
  (func (export "size_b") (result i32) (memory.size $b))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "v128_b") (param i32 i32)
    (v128.store $b (local.get 1) (v128.load $b (local.get 0))))
  (func (export "lane_b") (param i32) (result i32)
    (i32x4.extract_lane 0
      (v128.load32_lane $b 1 (local.get 0) (v128.const i32x4 0 0 0 0)))
    (i32x4.extract_lane 1
      (v128.load32_lane $b 1 (local.get 0) (v128.const i32x4 0 0 0 0)))
    (i32.add))
  (func (export "store_lane_b") (param i32)
    (v128.store64_lane $b 1 (local.get 0) (v128.const i64x2 7 9)))
)
"#;

fn exercise(engine: &Engine, module: &Module) {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let func = |store: &mut Store<()>, name: &str| instance.get_func(&mut *store, name).unwrap();
    let store_b = func(&mut store, "store_b")
        .typed::<(i32, i64), ()>(&store)
        .unwrap();
    let load_b = func(&mut store, "load_b")
        .typed::<i32, i64>(&store)
        .unwrap();
    let load_a = func(&mut store, "load_a")
        .typed::<i32, i64>(&store)
        .unwrap();
    let load8_b = func(&mut store, "load8_b")
        .typed::<i32, i32>(&store)
        .unwrap();
    let copy = func(&mut store, "copy_b_to_a")
        .typed::<(i32, i32, i32), ()>(&store)
        .unwrap();
    let fill = func(&mut store, "fill_b")
        .typed::<(i32, i32, i32), ()>(&store)
        .unwrap();
    let init = func(&mut store, "init_b").typed::<i32, ()>(&store).unwrap();
    let size = func(&mut store, "size_b").typed::<(), i32>(&store).unwrap();
    let grow = func(&mut store, "grow_b")
        .typed::<i32, i32>(&store)
        .unwrap();
    let v128 = func(&mut store, "v128_b")
        .typed::<(i32, i32), ()>(&store)
        .unwrap();
    let lane = func(&mut store, "lane_b")
        .typed::<i32, i32>(&store)
        .unwrap();
    let store_lane = func(&mut store, "store_lane_b")
        .typed::<i32, ()>(&store)
        .unwrap();

    store_b
        .call(&mut store, (8, 0x1122_3344_5566_7788))
        .unwrap();
    assert_eq!(load_b.call(&mut store, 8).unwrap(), 0x1122_3344_5566_7788);
    assert_eq!(load_a.call(&mut store, 8).unwrap(), 0, "memory 0 untouched");
    assert_eq!(load8_b.call(&mut store, 8).unwrap(), 0x77);
    let a = instance.get_memory(&mut store, "a").unwrap();
    let b = instance.get_memory(&mut store, "b").unwrap();
    assert_eq!(&b.data(&store)[8..10], &[0x88, 0x77]);

    copy.call(&mut store, (100, 8, 8)).unwrap();
    assert_eq!(load_a.call(&mut store, 100).unwrap(), 0x1122_3344_5566_7788);
    let oob = copy.call(&mut store, (65530, 8, 8)).unwrap_err();
    assert!(format!("{oob:?}").contains("out of bounds"), "{oob:?}");

    fill.call(&mut store, (200, 0xab, 4)).unwrap();
    assert_eq!(&b.data(&store)[199..205], &[0, 0xab, 0xab, 0xab, 0xab, 0]);
    init.call(&mut store, 300).unwrap();
    assert_eq!(&b.data(&store)[300..304], &[1, 2, 3, 4]);

    v128.call(&mut store, (300, 400)).unwrap();
    assert_eq!(&b.data(&store)[400..404], &[1, 2, 3, 4]);
    assert_eq!(lane.call(&mut store, 300).unwrap(), 0x0403_0201);
    store_lane.call(&mut store, 500).unwrap();
    assert_eq!(load_b.call(&mut store, 500).unwrap(), 9);

    assert_eq!(size.call(&mut store, ()).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "maximum 3");
    assert_eq!(size.call(&mut store, ()).unwrap(), 3);
    assert_eq!(b.size(&store), 3);
    assert_eq!(a.size(&store), 1);
    let oob = load_b.call(&mut store, 3 * 65536 - 4).unwrap_err();
    assert!(format!("{oob:?}").contains("out of bounds"), "{oob:?}");
    store_b.call(&mut store, (3 * 65536 - 8, -1)).unwrap();
    assert_eq!(load_b.call(&mut store, 3 * 65536 - 8).unwrap(), -1);
}

#[test]
fn every_access_reaches_the_memory_it_names() {
    let engine = Engine::default();
    let module = Module::new(&engine, TWO_MEMORIES).unwrap();
    assert_eq!(module.resources_required().num_memories, 2);
    exercise(&engine, &module);
}

#[test]
fn a_precompiled_multi_memory_module_behaves_as_the_original() {
    let engine = Engine::default();
    let module = crate::precompiled::round_trip(&engine, TWO_MEMORIES);
    exercise(&engine, &module);
}

#[test]
fn one_memory_imported_twice_is_one_memory() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "host" "m" (memory $x 1))
            (import "host" "m" (memory $y 1))
            (func (export "write_y_read_x") (param i32 i32) (result i32)
              (i32.store $y (local.get 0) (local.get 1))
              (i32.load $x (local.get 0)))
            (func (export "grow_y_size_x") (result i32)
              (drop (memory.grow $y (i32.const 1)))
              (i32.store $x (i32.const 70000) (i32.const 5))
              (i32.add (memory.size $x) (i32.load $y (i32.const 70000))))
            (func (export "copy_x_to_y") (result i32)
              (i32.store $x (i32.const 0) (i32.const 0x01020304))
              (memory.copy $y $x (i32.const 1) (i32.const 0) (i32.const 4))
              (i32.load $x (i32.const 1))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "host", "m", memory).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let write = instance
        .get_typed_func::<(i32, i32), i32>(&mut store, "write_y_read_x")
        .unwrap();
    assert_eq!(write.call(&mut store, (16, 1234)).unwrap(), 1234);
    let grow = instance
        .get_typed_func::<(), i32>(&mut store, "grow_y_size_x")
        .unwrap();
    assert_eq!(grow.call(&mut store, ()).unwrap(), 2 + 5);
    let copy = instance
        .get_typed_func::<(), i32>(&mut store, "copy_x_to_y")
        .unwrap();
    assert_eq!(copy.call(&mut store, ()).unwrap(), 0x01020304);
}

#[test]
fn without_multi_memory_a_second_memory_is_invalid() {
    let mut config = Config::new();
    config.wasm_multi_memory(false);
    let engine = Engine::new(&config).unwrap();
    let error = Module::new(&engine, "(module (memory 1) (memory 1))").unwrap_err();
    assert!(error.to_string().contains("multiple memories"), "{error}");
    Module::new(&Engine::default(), "(module (memory 1) (memory 1))").unwrap();
}
