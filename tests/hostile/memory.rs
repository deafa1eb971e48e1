//! Hostile inputs for the memory defects: memories and tables that are large on paper.
//!
//! A linear memory's pages come from the OS zeroed on first touch, so declaring or growing a
//! large memory costs address space only; what the OS refuses makes `memory.grow` return -1
//! or instantiation fail, never an abort.
//!
//! The trials that map a large memory take [`LARGE`] first: under the 2 GiB address-space
//! limit, two 1 GiB memories alive at once would starve each other.

use crate::trial;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use weft::ErrorExt as _;
use weft::Ref;
use weft::{Engine, Instance, Module, Store, TrapCode};

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "memory::declaring_1_gib_touches_no_page",
            declaring_1_gib_touches_no_page,
        ),
        trial(
            "memory::declaring_4_gib_is_an_error_under_the_address_space_limit",
            declaring_4_gib_is_an_error_under_the_address_space_limit,
        ),
        trial(
            "memory::growth_keeps_contents_zeroes_new_pages_and_touches_none",
            growth_keeps_contents_zeroes_new_pages_and_touches_none,
        ),
        trial(
            "memory::grow_that_cannot_be_mapped_returns_minus_1",
            grow_that_cannot_be_mapped_returns_minus_1,
        ),
        trial(
            "memory::failed_instantiations_give_their_memory_back",
            failed_instantiations_give_their_memory_back,
        ),
        trial(
            "memory::table_grow_past_10_million_elements_returns_minus_1",
            table_grow_past_10_million_elements_returns_minus_1,
        ),
    ]
}

const GIB: u64 = 1 << 30;

/// Held by each trial while it maps hundreds of MiB.
static LARGE: Mutex<()> = Mutex::new(());

fn large() -> MutexGuard<'static, ()> {
    // A trial that failed while holding the lock poisoned it; the others still run.
    LARGE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn instantiate(store: &mut Store<()>, wat: &str) -> weft::Result<Instance> {
    let module = Module::new(store.engine(), wat).expect("compiles");
    Instance::new(store, &module, &[])
}

/// The resident bytes of the mapping that holds `address`, from `/proc/self/smaps`.
///
/// Measured per mapping rather than for the whole process (`/proc/self/statm`) so that the
/// trials running beside this one do not blur the figure.
fn resident_bytes_at(address: *const u8) -> u64 {
    let address = address as u64;
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("reads /proc/self/smaps");
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        {
            inside = (start..end).contains(&address);
        } else if inside && let Some(rest) = line.strip_prefix("Rss:") {
            let kib: u64 = rest
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .expect("Rss in kB");
            return kib * 1024;
        }
    }
    panic!("no mapping holds {address:#x}");
}

/// An 18-byte module declaring 1 GiB once wrote all of it full of zeros: seconds of work and
/// 1 GiB of resident memory before the guest ran one instruction.
fn declaring_1_gib_touches_no_page() {
    let _large = large();
    let mut store = Store::new(&Engine::default(), ());
    let started = Instant::now();
    let instance =
        instantiate(&mut store, r#"(module (memory (export "m") 16384))"#).expect("instantiates");
    let elapsed = started.elapsed();
    let memory = instance.get_memory(&store, "m").expect("memory");
    assert_eq!(memory.data_size(&store) as u64, GIB);
    let resident = resident_bytes_at(memory.data(&store).as_ptr());
    assert!(
        resident < GIB / 16,
        "{resident} bytes of a fresh 1 GiB memory are resident"
    );
    assert!(
        elapsed < Duration::from_secs(1),
        "instantiating took {elapsed:?}"
    );
    // The pages are there all the same: the last byte reads as zero and can be written.
    let data = memory.data_mut(&mut store);
    let last = data.len() - 1;
    assert_eq!(data[last], 0);
    data[last] = 7;
    assert_eq!(memory.data(&store)[last], 7);
}

/// 4 GiB cannot be mapped under a 2 GiB address-space limit (nor, without one, on a host that
/// does not overcommit): instantiation reports it, the process lives on.
fn declaring_4_gib_is_an_error_under_the_address_space_limit() {
    let mut store = Store::new(&Engine::default(), ());
    let error =
        instantiate(&mut store, "(module (memory 65536))").expect_err("4 GiB cannot be mapped");
    assert!(error.to_string().contains("memory"), "{error}");
    let error = weft::Memory::new(&mut store, weft::MemoryType::new(65536, None))
        .expect_err("4 GiB cannot be mapped");
    assert!(error.to_string().contains("memory"), "{error}");
    // The store is still usable.
    instantiate(&mut store, "(module (memory 1))").expect("a small memory still instantiates");
}

/// `memory.grow` to 512 MiB keeps the old bytes, the new ones read as zero, and nothing is
/// written to make them so.
fn growth_keeps_contents_zeroes_new_pages_and_touches_none() {
    let _large = large();
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module (memory (export "m") 1)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
            (func (export "load") (param i32) (result i32) local.get 0 i32.load8_u)
            (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store8))"#,
    )
    .expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .expect("load");
    let put = instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "store")
        .expect("store");
    put.call(&mut store, (0, 11)).expect("stores");
    put.call(&mut store, (65535, 22)).expect("stores");

    let pages = 8192; // 512 MiB
    let started = Instant::now();
    assert_eq!(grow.call(&mut store, pages - 1).expect("grows"), 1);
    let elapsed = started.elapsed();
    let memory = instance.get_memory(&store, "m").expect("memory");
    assert_eq!(memory.size(&store), pages as u64);
    let resident = resident_bytes_at(memory.data(&store).as_ptr());
    assert!(
        resident < GIB / 32,
        "{resident} bytes of a memory grown to 512 MiB are resident"
    );
    assert!(elapsed < Duration::from_secs(1), "growing took {elapsed:?}");

    assert_eq!(load.call(&mut store, 0).expect("loads"), 11);
    assert_eq!(load.call(&mut store, 65535).expect("loads"), 22);
    for address in [65536, 65537, 1 << 20, (pages << 16) - 1] {
        assert_eq!(load.call(&mut store, address).expect("loads"), 0);
    }
    put.call(&mut store, ((pages << 16) - 1, 33))
        .expect("stores");
    assert_eq!(load.call(&mut store, (pages << 16) - 1).expect("loads"), 33);
    let error = load
        .call(&mut store, pages << 16)
        .expect_err("past the end");
    assert_eq!(error.trap_code(), Some(TrapCode::MemoryOutOfBounds));

    // Through the embedding API too.
    assert_eq!(memory.grow(&mut store, 1).expect("grows"), pages as u64);
    assert_eq!(memory.data(&store)[0], 11);
    assert!(
        memory.data(&store)[(pages as usize) << 16..]
            .iter()
            .all(|b| *b == 0)
    );
}

/// A growth within the memory's type but beyond what the OS grants returns -1, and the memory
/// keeps its size and contents.
fn grow_that_cannot_be_mapped_returns_minus_1() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module (memory (export "m") 1)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    )
    .expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    let memory = instance.get_memory(&store, "m").expect("memory");
    memory.data_mut(&mut store)[5] = 55;
    // To 4 GiB: within the type's bounds, beyond the 2 GiB address-space limit.
    assert_eq!(grow.call(&mut store, 65535).expect("fails cleanly"), -1);
    assert_eq!(memory.size(&store), 1);
    assert_eq!(memory.data(&store)[5], 55);
    assert!(memory.grow(&mut store, 65535).is_err());
    assert_eq!(grow.call(&mut store, 1).expect("grows"), 1);
    assert_eq!(memory.data(&store)[5], 55);

    // A memory with no pages has no mapping; it grows from nothing.
    let instance = instantiate(
        &mut store,
        r#"(module (memory (export "m") 0)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    )
    .expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, 65536).expect("fails cleanly"), -1);
    assert_eq!(grow.call(&mut store, 0).expect("no-op"), 0);
    assert_eq!(grow.call(&mut store, 2).expect("grows"), 0);
    let memory = instance.get_memory(&store, "m").expect("memory");
    assert!(memory.data(&store).iter().all(|b| *b == 0));
}

/// A module whose data segment is out of bounds fails to instantiate; its 1 GiB memory (one
/// page of it written by an earlier segment) once stayed in the store, so that a few such
/// attempts filled the address space.
fn failed_instantiations_give_their_memory_back() {
    let _large = large();
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(
        store.engine(),
        r#"(module (memory 16384)
            (data (i32.const 0) "touched")
            (data (i32.const -1) "past the end"))"#,
    )
    .expect("compiles");
    for attempt in 0..8 {
        let error = Instance::new(&mut store, &module, &[]).expect_err("segment out of bounds");
        assert_eq!(
            error.trap_code(),
            Some(TrapCode::MemoryOutOfBounds),
            "attempt {attempt}: {error}"
        );
    }
}

/// `table.grow` was bounded by 2^32 elements only: 8 bytes each, written at once.
fn table_grow_past_10_million_elements_returns_minus_1() {
    let mut store = Store::new(&Engine::default(), ());
    let instance = instantiate(
        &mut store,
        r#"(module (table (export "t") 0 funcref)
            (func (export "grow") (param i32) (result i32)
                ref.null func local.get 0 table.grow 0))"#,
    )
    .expect("instantiates");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, 10_000_001).expect("refused"), -1);
    assert_eq!(grow.call(&mut store, 10_000_000).expect("fits"), 0);
    assert_eq!(grow.call(&mut store, 1).expect("refused"), -1);
    assert_eq!(grow.call(&mut store, -1).expect("refused"), -1);
    let table = instance.get_table(&store, "t").expect("table");
    assert_eq!(table.size(&store), 10_000_000);
    assert!(table.grow(&mut store, 1, Ref::Func(None)).is_err());
}
