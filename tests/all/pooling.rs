//! The pooling allocator: engine-wide bounds, slots given back by dropped stores, warm
//! memories reused zeroed, and the per-module and size bounds.

use weft::ErrorExt as _;
use weft::Ref;
use weft::{
    Config, Engine, ErrorKind, Instance, InstanceAllocationStrategy, Memory, MemoryType, Module,
    PoolingAllocationConfig, RefType, Store, Table, TableType,
};

fn engine(pool: &PoolingAllocationConfig) -> Engine {
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool.clone()));
    Engine::new(&config).expect("pooling engine")
}

const COUNTER: &str = r#"(module
    (memory (export "memory") 1)
    (func (export "bump") (result i32)
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
      (i32.load (i32.const 0)))
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#;

#[test]
fn the_pool_bounds_instances_across_stores_and_takes_slots_back() {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(2).total_memories(2);
    let engine = engine(&pool);
    let module = Module::new(&engine, COUNTER).unwrap();
    let mut stores: Vec<Store<()>> = Vec::new();
    for _ in 0..2 {
        let mut store = Store::new(&engine, ());
        Instance::new(&mut store, &module, &[]).unwrap();
        stores.push(store);
    }
    let mut third = Store::new(&engine, ());
    let error = Instance::new(&mut third, &module, &[]).expect_err("pool exhausted");
    assert!(
        matches!(error.kind(), Some(ErrorKind::ResourceExhausted(_))),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("maximum concurrent core instance limit of 2"),
        "{error}"
    );
    // A failed instantiation left nothing behind, and a dropped store gives its slots back.
    stores.pop();
    Instance::new(&mut third, &module, &[]).expect("a slot is free again");
}

#[test]
fn memories_are_bounded_separately_from_instances() {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_memories(1);
    let engine = engine(&pool);
    let mut store = Store::new(&engine, ());
    let _memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    let error = Memory::new(&mut store, MemoryType::new(1, None)).expect_err("one memory");
    assert!(
        error
            .to_string()
            .contains("maximum concurrent memory limit of 1"),
        "{error}"
    );
}

#[test]
fn a_reused_memory_starts_zeroed() {
    let engine = engine(&PoolingAllocationConfig::new());
    let module = Module::new(&engine, COUNTER).unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        let bump = instance
            .get_typed_func::<(), i32>(&mut store, "bump")
            .unwrap();
        let grow = instance
            .get_typed_func::<i32, i32>(&mut store, "grow")
            .unwrap();
        // Each store sees a fresh memory, even though the bytes are reused.
        assert_eq!(bump.call(&mut store, ()).unwrap(), 1);
        assert_eq!(bump.call(&mut store, ()).unwrap(), 2);
        // Leave the memory grown and written, for the next store to get back clean.
        assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
        let memory = instance.get_memory(&store, "memory").unwrap();
        memory.data_mut(&mut store)[65536 * 2] = 0xff;
        assert_eq!(memory.size(&store), 3);
    }
}

/// Data segments at constant offsets, which instantiation maps from the module's memory
/// image where the platform has images.
const DATA: &str = r#"(module
    (memory (export "memory") 3)
    (data (i32.const 65540) "abc")
    (data (i32.const 131071) "z")
    (data (i32.const 65541) "B")
    (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#;

/// Checks that `instance`'s memory holds exactly `DATA`'s segments, then writes over them,
/// around them and (after a growth, on every other round) past them.
fn check_and_scribble(store: &mut Store<()>, instance: Instance, round: usize) {
    let memory = instance.get_memory(&*store, "memory").unwrap();
    assert_eq!(memory.size(&*store), 3, "round {round}");
    let data = memory.data(&*store);
    for (i, byte) in data.iter().enumerate() {
        let expected = match i {
            65540 => b'a',
            65541 => b'B',
            65542 => b'c',
            131071 => b'z',
            _ => 0,
        };
        assert_eq!(*byte, expected, "round {round}, byte {i}");
    }
    if round % 2 == 1 {
        let grow = instance
            .get_typed_func::<i32, i32>(&mut *store, "grow")
            .unwrap();
        assert_eq!(grow.call(&mut *store, 1).unwrap(), 3);
        assert_eq!(memory.data(&*store)[65541], b'B', "a growth keeps the data");
    }
    let data = memory.data_mut(&mut *store);
    data[65540] = 1;
    data[131071] = 2;
    data[0] = 3;
    data[2 * 65536 + 7] = 4;
    if let Some(last) = data.last_mut() {
        *last = 5;
    }
}

#[test]
fn every_instance_sees_its_data_segments_and_no_earlier_writes() {
    let pooling = engine(&PoolingAllocationConfig::new());
    let mut copying = Config::new();
    copying.memory_init_cow(false);
    let copying = Engine::new(&copying).unwrap();
    for engine in [Engine::default(), pooling, copying] {
        let module = Module::new(&engine, DATA).unwrap();
        let mut kept = Vec::new();
        for round in 0..6 {
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            check_and_scribble(&mut store, instance, round);
            // Two stores alive at once share the image but not their writes.
            if round == 2 {
                let mut other = Store::new(&engine, ());
                let instance = Instance::new(&mut other, &module, &[]).unwrap();
                check_and_scribble(&mut other, instance, round);
                kept.push(other);
            }
        }
        // A module dropped while memories made from its image live.
        drop(module);
        drop(kept);
    }
}

#[test]
fn memory_and_table_sizes_are_bounded() {
    let mut pool = PoolingAllocationConfig::new();
    pool.max_memory_size(2 * 65536).table_elements(10);
    let engine = engine(&pool);
    let module = Module::new(&engine, COUNTER).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .unwrap();
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
    assert_eq!(
        grow.call(&mut store, 1).unwrap(),
        -1,
        "beyond max_memory_size"
    );
    let big = Module::new(&engine, "(module (memory 3))").unwrap();
    assert!(Instance::new(&mut store, &big, &[]).is_err());
    let ty = TableType::new(RefType::FUNCREF, 5, None);
    let table = Table::new(&mut store, ty, Ref::Func(None)).unwrap();
    assert_eq!(table.grow(&mut store, 5, Ref::Func(None)).unwrap(), 5);
    assert!(table.grow(&mut store, 1, Ref::Func(None)).is_err());
    let ty = TableType::new(RefType::FUNCREF, 11, None);
    assert!(Table::new(&mut store, ty, Ref::Func(None)).is_err());
}

#[test]
fn a_module_with_more_memories_than_the_pool_allows_is_refused() {
    let engine = engine(&PoolingAllocationConfig::new());
    let module = Module::new(&engine, "(module (table 1 funcref) (table 1 funcref))").unwrap();
    let mut store = Store::new(&engine, ());
    let error = Instance::new(&mut store, &module, &[]).expect_err("two tables");
    assert!(error.to_string().contains("2 tables"), "{error}");
}
