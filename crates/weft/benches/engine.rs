//! Criterion benchmarks of Weft alone over the committed workloads in `benches/wasm/`.
//!
//! Groups: `translate/{eager,lazy}/NAME` (`Module::new`), `instantiate/NAME`,
//! `execute/NAME` (one call of `run` on a fresh instance) and `call/noop` (one host-to-wasm
//! call of an empty function). A workload that Weft cannot compile, instantiate or run is
//! reported on stderr and skipped; the others still run.
//!
//! `cargo bench -p weft --bench engine -- execute/fib` runs one benchmark; see
//! `benches/README.md` for the side-by-side comparison with wasmi and Wasmtime.
#![allow(missing_docs, clippy::expect_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;
use weft::{CompilationMode, Config, Engine, Instance, Linker, Module, Store, TypedFunc};

/// A workload module and the checksum its `run` must return.
struct Workload {
    name: String,
    bytes: Vec<u8>,
    checksum: i64,
}

fn wasm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/wasm")
}

/// The workloads listed in `benches/wasm/checksums.txt`, in file order.
fn workloads() -> Vec<Workload> {
    let dir = wasm_dir();
    let list = std::fs::read_to_string(dir.join("checksums.txt"))
        .expect("benches/wasm/checksums.txt should exist (see benches/README.md)");
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next().expect("checksums.txt: name").to_string();
            let checksum = parts
                .next()
                .and_then(|v| v.parse().ok())
                .expect("checksums.txt: a checksum after the name");
            let bytes = std::fs::read(dir.join(format!("{name}.wasm")))
                .expect("every workload in checksums.txt should have its .wasm file");
            Workload {
                name,
                bytes,
                checksum,
            }
        })
        .collect()
}

fn engine(mode: CompilationMode) -> Engine {
    let mut config = Config::new();
    config.compilation_mode(mode);
    Engine::new(&config).expect("the benchmark configuration should be valid")
}

fn instantiate(engine: &Engine, module: &Module) -> weft::Result<(Store<()>, Instance)> {
    let mut store = Store::new(engine, ());
    let instance = Linker::new(engine).instantiate(&mut store, module)?;
    Ok((store, instance))
}

/// A fresh instance of `module` and its `run` export.
fn prepare_run(engine: &Engine, module: &Module) -> weft::Result<(Store<()>, TypedFunc<(), i64>)> {
    let (store, instance) = instantiate(engine, module)?;
    let run = instance.get_typed_func::<(), i64>(&store, "run")?;
    Ok((store, run))
}

/// Compiles, instantiates and runs `workload` once, checking its checksum; `Err` explains
/// why Weft cannot be benchmarked on it (yet).
fn check(engine: &Engine, workload: &Workload) -> Result<Module, String> {
    let module = Module::new(engine, &workload.bytes).map_err(|e| format!("compile: {e}"))?;
    let (mut store, run) = prepare_run(engine, &module).map_err(|e| format!("instantiate: {e}"))?;
    let got = run.call(&mut store, ()).map_err(|e| format!("run: {e}"))?;
    if got != workload.checksum {
        return Err(format!(
            "checksum mismatch: got {got}, expected {}",
            workload.checksum
        ));
    }
    Ok(module)
}

fn translate(c: &mut Criterion) {
    let mut group = c.benchmark_group("translate");
    for (label, mode) in [
        ("eager", CompilationMode::Eager),
        ("lazy", CompilationMode::Lazy),
    ] {
        let engine = engine(mode);
        for workload in workloads() {
            if let Err(e) = Module::new(&engine, &workload.bytes) {
                eprintln!("skipping translate/{label}/{}: {e}", workload.name);
                continue;
            }
            group.throughput(Throughput::Bytes(workload.bytes.len() as u64));
            group.bench_function(format!("{label}/{}", workload.name), |b| {
                b.iter(|| Module::new(&engine, black_box(&workload.bytes)))
            });
        }
    }
    group.finish();
}

fn instantiation(c: &mut Criterion) {
    let mut group = c.benchmark_group("instantiate");
    let engine = engine(CompilationMode::Eager);
    for workload in workloads() {
        let module = match Module::new(&engine, &workload.bytes) {
            Ok(module) => module,
            Err(e) => {
                eprintln!("skipping instantiate/{}: {e}", workload.name);
                continue;
            }
        };
        if let Err(e) = instantiate(&engine, &module) {
            eprintln!("skipping instantiate/{}: {e}", workload.name);
            continue;
        }
        group.bench_function(&workload.name, |b| {
            b.iter(|| instantiate(&engine, black_box(&module)))
        });
    }
    group.finish();
}

fn execution(c: &mut Criterion) {
    let mut group = c.benchmark_group("execute");
    // Each run takes tens to hundreds of milliseconds.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let engine = engine(CompilationMode::Eager);
    for workload in workloads() {
        let module = match check(&engine, &workload) {
            Ok(module) => module,
            Err(e) => {
                eprintln!("skipping execute/{}: {e}", workload.name);
                continue;
            }
        };
        group.bench_function(&workload.name, |b| {
            b.iter_batched_ref(
                || prepare_run(&engine, &module).expect("instantiation worked before"),
                |(store, run)| run.call(&mut *store, ()),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn call_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("call");
    let engine = engine(CompilationMode::Eager);
    let bytes = std::fs::read(wasm_dir().join("noop.wasm"))
        .expect("benches/wasm/noop.wasm should exist (see benches/README.md)");
    let setup = || -> weft::Result<(Store<()>, TypedFunc<(), ()>)> {
        let module = Module::new(&engine, &bytes)?;
        let (store, instance) = instantiate(&engine, &module)?;
        let noop = instance.get_typed_func::<(), ()>(&store, "noop")?;
        Ok((store, noop))
    };
    match setup() {
        Ok((mut store, noop)) => {
            group.bench_function("noop", |b| b.iter(|| noop.call(&mut store, ())));
        }
        Err(e) => eprintln!("skipping call/noop: {e}"),
    }
    group.finish();
}

criterion_group!(benches, translate, instantiation, execution, call_overhead);
criterion_main!(benches);
