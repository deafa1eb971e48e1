//! Resource control: fuel, epoch interruption, store limits and the stack limit.

use std::time::{Duration, Instant};
use weft::ErrorExt as _;
use weft::Ref;
use weft::{
    Caller, Config, Engine, Instance, Linker, Module, Store, StoreLimits, StoreLimitsBuilder,
    TrapCode, UpdateDeadline,
};

const SPIN: &str = r#"(module (func (export "spin") (loop br 0)))"#;

/// A fixed workload: sums 0..n with a loop and a call per iteration.
const WORKLOAD: &str = r#"(module
    (func $add (param i64 i64) (result i64) local.get 0 local.get 1 i64.add)
    (func (export "sum") (param i64) (result i64) (local $acc i64)
        block $done
            loop $next
                local.get 0
                i64.eqz
                br_if $done
                local.get $acc
                local.get 0
                call $add
                local.set $acc
                local.get 0
                i64.const 1
                i64.sub
                local.set 0
                br $next
            end
        end
        local.get $acc))"#;

fn engine(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    configure(&mut config);
    Engine::new(&config).expect("engine")
}

fn instance<T>(store: &mut Store<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("compiles");
    Instance::new(store, &module, &[]).expect("instantiates")
}

#[test]
fn fuel_stops_an_infinite_loop_and_refuelling_resumes() {
    let engine = engine(|c| {
        c.consume_fuel(true);
    });
    let mut store = Store::new(&engine, ());
    store.set_fuel(10_000).expect("fuel enabled");
    let spin = instance(&mut store, SPIN);
    let spin = spin
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let error = spin.call(&mut store, ()).expect_err("runs out");
    assert_eq!(error.trap_code(), Some(TrapCode::OutOfFuel), "{error}");
    assert!(store.get_fuel().expect("fuel") < 10_000);

    let sum = instance(&mut store, WORKLOAD);
    let sum = sum
        .get_typed_func::<i64, i64>(&mut store, "sum")
        .expect("sum");
    store.set_fuel(10).expect("fuel");
    assert_eq!(
        sum.call(&mut store, 100)
            .expect_err("too little")
            .trap_code(),
        Some(TrapCode::OutOfFuel)
    );
    store.set_fuel(1_000_000).expect("refuel");
    assert_eq!(sum.call(&mut store, 100).expect("runs"), 5050);
}

#[test]
fn fuel_consumption_is_deterministic() {
    let engine = engine(|c| {
        c.consume_fuel(true);
    });
    let mut used = Vec::new();
    for _ in 0..3 {
        let mut store = Store::new(&engine, ());
        store.set_fuel(u64::MAX / 2).expect("fuel");
        let sum = instance(&mut store, WORKLOAD);
        let sum = sum
            .get_typed_func::<i64, i64>(&mut store, "sum")
            .expect("sum");
        assert_eq!(sum.call(&mut store, 1000).expect("runs"), 500_500);
        used.push(u64::MAX / 2 - store.get_fuel().expect("fuel"));
    }
    assert!(used[0] > 1000, "fuel must be charged: {used:?}");
    assert!(used.iter().all(|u| *u == used[0]), "{used:?}");
}

#[test]
fn fuel_is_an_error_when_not_enabled() {
    let mut store = Store::new(&Engine::default(), ());
    assert!(store.set_fuel(1).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn epoch_deadline_interrupts_an_infinite_loop() {
    let engine = engine(|c| {
        c.epoch_interruption(true);
    });
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let spin = instance(&mut store, SPIN);
    let spin = spin
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let ticker = engine.clone();
    let started = Instant::now();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        ticker.increment_epoch();
    });
    let error = spin.call(&mut store, ()).expect_err("interrupted");
    assert_eq!(error.trap_code(), Some(TrapCode::Interrupt), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    timer.join().expect("timer thread");
}

#[test]
fn epoch_callback_can_extend_the_deadline() {
    let engine = engine(|c| {
        c.epoch_interruption(true);
    });
    let mut store = Store::new(&engine, 0_u32);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut ctx| {
        *ctx.data_mut() += 1;
        if *ctx.data() < 3 {
            Ok(UpdateDeadline::Continue(1))
        } else {
            Err(TrapCode::Interrupt.into())
        }
    });
    let spin = instance(&mut store, SPIN);
    let spin = spin
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let ticker = engine.clone();
    let timer = std::thread::spawn(move || {
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(20));
            ticker.increment_epoch();
        }
    });
    let error = spin.call(&mut store, ()).expect_err("interrupted at last");
    assert_eq!(error.trap_code(), Some(TrapCode::Interrupt));
    assert_eq!(*store.data(), 3);
    timer.join().expect("timer thread");
}

fn limited(limits: StoreLimits) -> Store<StoreLimits> {
    let mut store = Store::new(&Engine::default(), limits);
    store.limiter(|limits| limits);
    store
}

#[test]
fn memory_size_limit_fails_growth_then_traps_when_asked() {
    let grow_loop = r#"(module (memory 1)
        (func (export "grow_all") (result i32) (local $pages i32)
            loop $again
                i32.const 1
                memory.grow
                i32.const -1
                i32.ne
                if
                    local.get $pages i32.const 1 i32.add local.set $pages
                    br $again
                end
            end
            local.get $pages))"#;
    let mut store = limited(StoreLimitsBuilder::new().memory_size(4 * 65536).build());
    let i = instance(&mut store, grow_loop);
    let grow = i
        .get_typed_func::<(), i32>(&mut store, "grow_all")
        .expect("grow_all");
    assert_eq!(grow.call(&mut store, ()).expect("stops at -1"), 3);

    let mut store = limited(
        StoreLimitsBuilder::new()
            .memory_size(4 * 65536)
            .trap_on_grow_failure(true)
            .build(),
    );
    let i = instance(&mut store, grow_loop);
    let grow = i
        .get_typed_func::<(), i32>(&mut store, "grow_all")
        .expect("grow_all");
    let error = grow.call(&mut store, ()).expect_err("traps");
    assert!(
        error
            .to_string()
            .contains("memory size limit of 262144 bytes"),
        "{error}"
    );

    // A module whose initial memory exceeds the limit cannot be instantiated.
    let mut store = limited(StoreLimitsBuilder::new().memory_size(65536).build());
    let module = Module::new(store.engine(), "(module (memory 2))").expect("compiles");
    assert!(Instance::new(&mut store, &module, &[]).is_err());
}

#[test]
fn table_elements_limit() {
    let wat = r#"(module (table 1 funcref)
        (func (export "grow") (param i32) (result i32) ref.null func local.get 0 table.grow 0))"#;
    let mut store = limited(StoreLimitsBuilder::new().table_elements(100).build());
    let i = instance(&mut store, wat);
    let grow = i
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, 99).expect("fits"), 1);
    assert_eq!(grow.call(&mut store, 1).expect("refused"), -1);
    // A huge growth without limits fails cleanly too.
    let mut store = Store::new(&Engine::default(), ());
    let i = instance(&mut store, wat);
    let grow = i
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, -1).expect("refused"), -1);
}

#[test]
fn entity_count_limits() {
    let mut store = limited(StoreLimitsBuilder::new().instances(2).build());
    instance(&mut store, "(module)");
    instance(&mut store, "(module)");
    let module = Module::new(store.engine(), "(module)").expect("compiles");
    let error = Instance::new(&mut store, &module, &[]).expect_err("third instance");
    assert!(
        error.to_string().contains("instance count limit of 2"),
        "{error}"
    );

    let mut store = limited(StoreLimitsBuilder::new().memories(1).build());
    instance(&mut store, "(module (memory 1))");
    let module = Module::new(store.engine(), "(module (memory 1))").expect("compiles");
    let error = Instance::new(&mut store, &module, &[]).expect_err("second memory");
    assert!(
        error.to_string().contains("memory count limit of 1"),
        "{error}"
    );

    let mut store = limited(StoreLimitsBuilder::new().tables(1).build());
    instance(&mut store, "(module (table 1 funcref))");
    let module = Module::new(store.engine(), "(module (table 1 funcref))").expect("compiles");
    let error = Instance::new(&mut store, &module, &[]).expect_err("second table");
    assert!(
        error.to_string().contains("table count limit of 1"),
        "{error}"
    );
}

#[test]
fn data_segment_past_the_end_traps_at_instantiation() {
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(
        store.engine(),
        r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
    )
    .expect("compiles");
    let error = Instance::new(&mut store, &module, &[]).expect_err("out of bounds");
    assert_eq!(error.trap_code(), Some(TrapCode::MemoryOutOfBounds));
}

/// The depth a self-recursive function reaches under `max_wasm_stack(bytes)`.
fn recursion_depth(bytes: usize) -> i32 {
    let engine = engine(|c| {
        c.max_wasm_stack(bytes);
    });
    let mut store = Store::new(&engine, ());
    let i = instance(
        &mut store,
        r#"(module
            (global $depth (export "depth") (mut i32) (i32.const 0))
            (func $f (export "f")
              (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
              call $f))"#,
    );
    let f = i.get_typed_func::<(), ()>(&mut store, "f").expect("f");
    let error = f.call(&mut store, ()).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    let depth = i.get_global(&mut store, "depth").expect("depth");
    depth.get(&mut store).i32().expect("i32")
}

#[test]
fn max_wasm_stack_charges_64_bytes_per_frame_and_8_per_slot() {
    // Each frame of `$f` spans one slot, shared with its callee: 64 + 8 bytes for the first,
    // 64 for each other.
    for bytes in [64 * 1024, 256 * 1024] {
        let depth = recursion_depth(bytes);
        assert_eq!(depth as usize, (bytes - 8) / 64, "limit {bytes}");
    }
}

#[test]
fn wasm_called_by_host_functions_counts_against_max_wasm_stack() {
    let engine = engine(|c| {
        c.max_wasm_stack(4096);
    });
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "reenter" (func $reenter))
            (global $depth (export "depth") (mut i32) (i32.const 0))
            (func (export "g")
              (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
              call $reenter))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "reenter",
            |mut caller: Caller<'_, ()>| -> weft::Result<()> {
                let g = caller
                    .get_export("g")
                    .and_then(|e| e.into_func())
                    .ok_or_else(|| weft::Error::msg("no g"))?;
                g.typed::<(), ()>(&caller)?.call(&mut caller, ())
            },
        )
        .expect("define");
    let mut store = Store::new(&engine, ());
    let i = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let g = i.get_typed_func::<(), ()>(&mut store, "g").expect("g");
    let error = g.call(&mut store, ()).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    let depth = i.get_global(&mut store, "depth").expect("depth");
    let depth = depth.get(&mut store).i32().expect("i32");
    // Every level holds at least one 64-byte frame: the nested calls share the 4 KiB.
    assert!((1..=64).contains(&depth), "depth {depth}");
}

#[test]
fn unbounded_recursion_hits_max_wasm_stack() {
    for stack in [64 * 1024, 1024 * 1024] {
        let engine = engine(|c| {
            c.max_wasm_stack(stack);
        });
        let mut store = Store::new(&engine, ());
        let i = instance(&mut store, r#"(module (func $f (export "f") call $f))"#);
        let f = i.get_typed_func::<(), ()>(&mut store, "f").expect("f");
        let error = f.call(&mut store, ()).expect_err("overflows");
        assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
    }
}

/// The embedder's data for the panic tests: whether the limiter panics.
#[derive(Default)]
struct PanickingLimiter {
    panic: bool,
}

impl weft::ResourceLimiter for PanickingLimiter {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        if self.panic {
            panic!("limiter panics on purpose");
        }
        Ok(true)
    }

    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
}

#[test]
fn store_is_fully_usable_after_panics_unwind_out_of_calls() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let engine = engine(|c| {
        c.max_wasm_stack(64 * 1024).epoch_interruption(true);
    });
    let module = Module::new(
        &engine,
        r#"(module
            (import "host" "panic" (func $panic))
            (memory 1)
            (global $depth (export "depth") (mut i32) (i32.const 0))
            (func $deep (export "deep")
              (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
              call $deep)
            ;; The panic happens under a few wasm frames, which it unwinds through.
            (func $nested (export "nested") (param i32)
              (if (local.get 0)
                (then (call $nested (i32.sub (local.get 0) (i32.const 1))))
                (else (call $panic))))
            (func (export "grow") (result i32) (memory.grow (i32.const 1)))
            (func (export "nop")))"#,
    )
    .expect("compiles");
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "panic", |_: Caller<'_, PanickingLimiter>| -> () {
            // No panic hook, so that 2,000 panics print nothing.
            std::panic::resume_unwind(Box::new("host function panics on purpose"))
        })
        .expect("define");
    let mut store = Store::new(&engine, PanickingLimiter::default());
    store.limiter(|data| data);
    store.set_epoch_deadline(1 << 40);
    let i = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    let deep = i
        .get_typed_func::<(), ()>(&mut store, "deep")
        .expect("deep");
    let nested = i
        .get_typed_func::<i32, ()>(&mut store, "nested")
        .expect("nested");
    let grow = i
        .get_typed_func::<(), i32>(&mut store, "grow")
        .expect("grow");
    let nop = i.get_typed_func::<(), ()>(&mut store, "nop").expect("nop");
    let depth = i.get_global(&mut store, "depth").expect("depth");
    let recursion_depth = |store: &mut Store<PanickingLimiter>| {
        depth.set(&mut *store, 0.into()).expect("set");
        let error = deep.call(&mut *store, ()).expect_err("overflows");
        assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow));
        depth.get(&mut *store).i32().expect("i32")
    };
    let before = recursion_depth(&mut store);
    assert!(before > 100, "depth {before}");

    for n in 0..2000 {
        let outcome = catch_unwind(AssertUnwindSafe(|| nested.call(&mut store, n % 8)));
        assert!(outcome.is_err(), "call {n} did not panic");
    }
    store.epoch_deadline_callback(|_| panic!("epoch callback panics on purpose"));
    store.set_epoch_deadline(0);
    let outcome = catch_unwind(AssertUnwindSafe(|| nop.call(&mut store, ())));
    assert!(outcome.is_err(), "the epoch callback did not panic");
    store.set_epoch_deadline(1 << 40);
    store.data_mut().panic = true;
    let outcome = catch_unwind(AssertUnwindSafe(|| grow.call(&mut store, ())));
    assert!(outcome.is_err(), "the limiter did not panic");
    store.data_mut().panic = false;

    assert_eq!(recursion_depth(&mut store), before);
    assert_eq!(grow.call(&mut store, ()).expect("grows"), 1);
}

#[test]
fn memory_new_and_table_new_ask_the_limiter() {
    use weft::{Memory, MemoryType, RefType, Table, TableType};
    let mut store = limited(
        StoreLimitsBuilder::new()
            .memory_size(65536)
            .table_elements(10)
            .build(),
    );
    let error = Memory::new(&mut store, MemoryType::new(2, None)).expect_err("over the size");
    assert!(
        error.to_string().contains("exceeds the store's limits"),
        "{error}"
    );
    Memory::new(&mut store, MemoryType::new(1, None)).expect("within the size");
    let funcref = TableType::new(RefType::FUNCREF, 11, None);
    let error = Table::new(&mut store, funcref, Ref::Func(None)).expect_err("over the length");
    assert!(
        error.to_string().contains("exceeds the store's limits"),
        "{error}"
    );
    let funcref = TableType::new(RefType::FUNCREF, 10, None);
    Table::new(&mut store, funcref, Ref::Func(None)).expect("within the length");

    // The growth reported to the limiter goes from 0 to the initial size.
    let mut store = limited(
        StoreLimitsBuilder::new()
            .memory_size(65536)
            .trap_on_grow_failure(true)
            .build(),
    );
    let error = Memory::new(&mut store, MemoryType::new(3, None)).expect_err("over the size");
    assert!(
        error.to_string().contains("growing from 0 to 196608 bytes"),
        "{error}"
    );

    let mut store = limited(StoreLimitsBuilder::new().memories(1).tables(1).build());
    instance(&mut store, "(module (memory 0) (table 0 funcref))");
    let error = Memory::new(&mut store, MemoryType::new(0, None)).expect_err("second memory");
    assert!(
        error.to_string().contains("memory count limit of 1"),
        "{error}"
    );
    let funcref = TableType::new(RefType::FUNCREF, 0, None);
    let error = Table::new(&mut store, funcref, Ref::Func(None)).expect_err("second table");
    assert!(
        error.to_string().contains("table count limit of 1"),
        "{error}"
    );
}

#[test]
fn a_store_without_a_limiter_holds_10000_instances_memories_and_tables() {
    use weft::{DEFAULT_INSTANCE_LIMIT, Memory, MemoryType, RefType, Table, TableType};
    assert_eq!(DEFAULT_INSTANCE_LIMIT, 10_000);
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(store.engine(), "(module)").expect("compiles");
    for _ in 0..DEFAULT_INSTANCE_LIMIT {
        Instance::new(&mut store, &module, &[]).expect("within the default");
    }
    let error = Instance::new(&mut store, &module, &[]).expect_err("one too many");
    assert!(
        error.to_string().contains("instance count limit of 10000"),
        "{error}"
    );

    let mut store = Store::new(&Engine::default(), ());
    for _ in 0..weft::DEFAULT_MEMORY_LIMIT {
        Memory::new(&mut store, MemoryType::new(0, None)).expect("within the default");
    }
    let error = Memory::new(&mut store, MemoryType::new(0, None)).expect_err("one too many");
    assert!(
        error.to_string().contains("memory count limit of 10000"),
        "{error}"
    );
    let module = Module::new(store.engine(), "(module (memory 0))").expect("compiles");
    let error = Instance::new(&mut store, &module, &[]).expect_err("one memory too many");
    assert!(
        error.to_string().contains("memory count limit of 10000"),
        "{error}"
    );

    let mut store = Store::new(&Engine::default(), ());
    let funcref = TableType::new(RefType::FUNCREF, 0, None);
    for _ in 0..weft::DEFAULT_TABLE_LIMIT {
        Table::new(&mut store, funcref, Ref::Func(None)).expect("within the default");
    }
    let error = Table::new(&mut store, funcref, Ref::Func(None)).expect_err("one too many");
    assert!(
        error.to_string().contains("table count limit of 10000"),
        "{error}"
    );
}

#[test]
fn failed_instantiations_leave_no_entities_behind() {
    let mut store = limited(StoreLimitsBuilder::new().memories(1).tables(1).build());
    // Unlinkable: fails before anything is made.
    let unlinkable = Module::new(
        store.engine(),
        r#"(module (import "env" "f" (func)) (memory 1) (table 1 funcref))"#,
    )
    .expect("compiles");
    let not_a_func = weft::Global::new(
        &mut store,
        weft::GlobalType::new(weft::ValType::I32, weft::Mutability::Const),
        weft::Val::I32(0),
    )
    .expect("global");
    // A trap in a segment: the memory and table were made and written, then given back.
    let traps = Module::new(
        store.engine(),
        r#"(module (memory 1) (table 1 funcref) (func $f)
            (elem (i32.const 0) $f)
            (data (i32.const 0) "written")
            (data (i32.const 65535) "past the end"))"#,
    )
    .expect("compiles");
    for _ in 0..3 {
        assert!(Instance::new(&mut store, &unlinkable, &[not_a_func.into()]).is_err());
        let error = Instance::new(&mut store, &traps, &[]).expect_err("segment out of bounds");
        assert_eq!(error.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    }
    // The store still has room for its one memory and one table.
    instance(&mut store, "(module (memory 1) (table 1 funcref))");
}

#[test]
fn a_failed_instantiation_keeps_what_escaped_into_an_imported_table() {
    let mut store = Store::new(&Engine::default(), ());
    let shared = instance(
        &mut store,
        r#"(module (table (export "t") 1 funcref)
            (func (export "call") (result i32) i32.const 0 call_indirect (result i32)))"#,
    );
    let table = shared.get_table(&store, "t").expect("table");
    let module = Module::new(
        store.engine(),
        r#"(module (import "env" "t" (table 1 funcref)) (memory 1)
            (func $f (result i32) i32.const 0 i32.load8_u)
            (elem (i32.const 0) $f)
            (data (i32.const 0) "\2a")
            (data (i32.const 65535) "past the end"))"#,
    )
    .expect("compiles");
    let error = Instance::new(&mut store, &module, &[table.into()]).expect_err("traps");
    assert_eq!(error.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    // `$f` was stored in the shared table before the trap and still runs, with its memory.
    let call = shared
        .get_typed_func::<(), i32>(&mut store, "call")
        .expect("call");
    assert_eq!(call.call(&mut store, ()).expect("runs"), 42);
}

/// A limiter that records every question it is asked and refuses memories larger than
/// `max_memory` bytes.
struct Recorder {
    asked: Vec<String>,
    max_memory: usize,
}

impl weft::ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> weft::Result<bool> {
        self.asked.push(format!("memory {current}->{desired}"));
        Ok(desired <= self.max_memory)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> weft::Result<bool> {
        self.asked.push(format!("table {current}->{desired}"));
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

fn recorded(engine: &Engine) -> Store<Recorder> {
    let mut store = Store::new(
        engine,
        Recorder {
            asked: Vec::new(),
            max_memory: 65536,
        },
    );
    store.limiter(|recorder| recorder);
    store
}

fn pooling_engine(configure: impl FnOnce(&mut weft::PoolingAllocationConfig)) -> Engine {
    let mut pool = weft::PoolingAllocationConfig::new();
    configure(&mut pool);
    engine(|config| {
        config.allocation_strategy(weft::InstanceAllocationStrategy::Pooling(pool));
    })
}

#[test]
fn every_creation_path_asks_the_limiter() {
    for engine in [Engine::default(), pooling_engine(|_| {})] {
        let mut store = recorded(&engine);
        weft::Memory::new(&mut store, weft::MemoryType::new(1, None)).expect("memory");
        weft::Table::new(
            &mut store,
            weft::TableType::new(weft::RefType::FUNCREF, 3, None),
            weft::Ref::Func(None),
        )
        .expect("table");
        assert_eq!(store.data().asked, ["memory 0->65536", "table 0->3"]);

        let mut store = recorded(&engine);
        instance(
            &mut store,
            r#"(module (memory 1) (table 2 funcref) (data (i32.const 9) "x"))"#,
        );
        assert_eq!(store.data().asked, ["table 0->2", "memory 0->65536"]);

        let mut store = recorded(&engine);
        let component = weft::component::Component::new(
            &engine,
            r#"(component
                (core module $m (memory 1) (table 4 funcref))
                (core instance (instantiate $m)))"#,
        )
        .expect("component");
        weft::component::Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("instantiates");
        assert_eq!(store.data().asked, ["table 0->4", "memory 0->65536"]);
    }
}

/// Instantiations that fail after making some of their entities: the limiter refuses the
/// memory (made after the table), an element segment is out of bounds, a data segment is
/// out of bounds.
const FAILING: [&str; 3] = [
    r#"(module (table 1 funcref) (memory 2) (global i32 (i32.const 1)) (func))"#,
    r#"(module (table 1 funcref) (memory 1) (func) (elem (i32.const 1) func 0))"#,
    r#"(module (table 1 funcref) (memory 1) (data (i32.const 65535) "ab"))"#,
];

#[test]
fn a_failed_instantiation_gives_back_its_limiter_counts_and_pool_slots() {
    // The store may hold one instance, table and memory; the pool as many.
    let pooling = pooling_engine(|pool| {
        pool.total_core_instances(1)
            .total_tables(1)
            .total_memories(1);
    });
    for engine in [Engine::default(), pooling] {
        let mut store = recorded(&engine);
        for wat in FAILING {
            let module = Module::new(&engine, wat).expect("compiles");
            Instance::new(&mut store, &module, &[]).expect_err(wat);
        }
        // Every count, in the store and in the pool, is back where it was.
        let i = instance(
            &mut store,
            r#"(module (table 1 funcref) (memory 1) (global (export "g") i32 (i32.const 7))
                (func (export "f") (result i32) global.get 0))"#,
        );
        let f = i.get_typed_func::<(), i32>(&mut store, "f").expect("f");
        assert_eq!(f.call(&mut store, ()).expect("runs"), 7);
    }
}
