//! The interpreter's dispatch on real programs.
//!
//! In optimized builds each instruction handler hands over to the next with a call in tail
//! position that LLVM compiles to a jump (`weft_tail_dispatch`); a handler for which that
//! fails would grow the host stack with every instruction it executes. These tests run the
//! benchmark workloads (millions of instructions of every common kind) on a thread with a
//! small stack, so such a handler overflows it and fails the test; they also check every
//! workload's result against `benches/wasm/checksums.txt`. In unoptimized builds handlers
//! return to a loop instead and the tests take minutes, so they run only in optimized
//! builds: `cargo test --release -p weft-tests --test all dispatch` (CI does).

use std::path::PathBuf;
use weft::{Engine, Instance, Module, Store};

/// The host stack the workloads run on: far less than a chain of non-tail calls across
/// millions of instructions would need.
const SMALL_STACK: usize = 256 * 1024;

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../benches/wasm")
}

fn checksums() -> Vec<(String, i64)> {
    let text = std::fs::read_to_string(bench_dir().join("checksums.txt")).expect("checksums");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (name, sum) = line.split_once(' ').expect("name and checksum");
            (name.to_string(), sum.trim().parse().expect("an i64"))
        })
        .collect()
}

fn run_workload(name: &str) -> i64 {
    let engine = Engine::default();
    let module = Module::from_file(&engine, bench_dir().join(format!("{name}.wasm")))
        .expect("workload compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = instance
        .get_typed_func::<(), i64>(&mut store, "run")
        .expect("exports run");
    run.call(&mut store, ()).expect("runs")
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "minutes in an unoptimized build; run with --release"
)]
fn workloads_run_on_a_small_host_stack() {
    let checksums = checksums();
    assert_eq!(checksums.len(), 10, "every workload has a checksum");
    for (name, expected) in checksums {
        let worker = name.clone();
        let result = std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(move || run_workload(&worker))
            .expect("spawn")
            .join()
            .expect("the workload thread does not panic");
        assert_eq!(result, expected, "checksum of {name}");
    }
}
