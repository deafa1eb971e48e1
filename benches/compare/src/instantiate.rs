//! `--suite instantiate`: instantiation of each workload of `benches/wasm/` into a fresh store
//! through `InstancePre` (imports resolved once), with the on-demand and the pooling
//! allocator, on Weft, wasmi and Wasmtime (Cranelift). Each sample is the mean over about
//! 20 ms of instantiations, each including the store's creation and its drop; the table gives
//! the median of the runs and the ratio to Weft's on-demand column.

use crate::report::{Cell, Table};
use crate::{guarded, median};
use std::path::Path;
use std::time::{Duration, Instant};

/// One engine configuration, ready to instantiate one module repeatedly.
type Instantiate = Box<dyn FnMut() -> Result<(), String>>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("error").to_string()
}

/// The engine configurations compared, by column name.
const COLUMNS: [&str; 5] = [
    "weft",
    "weft-pooling",
    "wasmi",
    "wasmtime",
    "wasmtime-pooling",
];

/// Prepares `bytes` for repeated instantiation on configuration `column`.
fn prepare(column: &str, bytes: &[u8]) -> Result<Instantiate, String> {
    match column {
        #[cfg(feature = "weft")]
        "weft" | "weft-pooling" => {
            let mut config = weft::Config::new();
            if column == "weft-pooling" {
                config.allocation_strategy(weft::InstanceAllocationStrategy::Pooling(
                    weft::PoolingAllocationConfig::new(),
                ));
            }
            let engine = weft::Engine::new(&config).map_err(err)?;
            let module = weft::Module::new(&engine, bytes).map_err(err)?;
            let pre = weft::Linker::<()>::new(&engine)
                .instantiate_pre(&module)
                .map_err(err)?;
            Ok(Box::new(move || {
                let mut store = weft::Store::new(&engine, ());
                pre.instantiate(&mut store).map_err(err)?;
                Ok(())
            }))
        }
        "wasmi" => {
            let engine = wasmi::Engine::default();
            let module = wasmi::Module::new(&engine, bytes).map_err(err)?;
            let linker = wasmi::Linker::<()>::new(&engine);
            Ok(Box::new(move || {
                let mut store = wasmi::Store::new(&engine, ());
                linker
                    .instantiate_and_start(&mut store, &module)
                    .map_err(err)?;
                Ok(())
            }))
        }
        "wasmtime" | "wasmtime-pooling" => {
            let mut config = wasmtime::Config::new();
            if column == "wasmtime-pooling" {
                let mut pool = wasmtime::PoolingAllocationConfig::new();
                pool.total_memories(100)
                    .total_tables(100)
                    .total_core_instances(100);
                config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
            }
            let engine = wasmtime::Engine::new(&config).map_err(err)?;
            let module = wasmtime::Module::new(&engine, bytes).map_err(err)?;
            let pre = wasmtime::Linker::<()>::new(&engine)
                .instantiate_pre(&module)
                .map_err(err)?;
            Ok(Box::new(move || {
                let mut store = wasmtime::Store::new(&engine, ());
                pre.instantiate(&mut store).map_err(err)?;
                Ok(())
            }))
        }
        other => Err(format!("{other} is not built in")),
    }
}

/// The mean time of one instantiation over about 20 ms.
fn sample(instantiate: &mut Instantiate) -> Result<Duration, String> {
    let mut count = 0u32;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) && count < 100_000 {
        instantiate()?;
        count += 1;
    }
    Ok(start.elapsed() / count.max(1))
}

/// Runs the suite over the workloads of `wasm_dir`; returns whether every engine worked.
pub fn run(wasm_dir: &Path, runs: usize, filters: &[String]) -> bool {
    let mut workloads: Vec<(String, Vec<u8>)> = match std::fs::read_dir(wasm_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "wasm"))
            .filter_map(|path| {
                let name = path.file_stem()?.to_string_lossy().into_owned();
                let bytes = std::fs::read(&path).ok()?;
                Some((name, bytes))
            })
            .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
            .collect(),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", wasm_dir.display());
            return false;
        }
    };
    workloads.sort();
    let columns: Vec<String> = COLUMNS.iter().map(ToString::to_string).collect();
    let mut table = Table::new(
        "instantiation through InstancePre, into a fresh Store (store creation and drop included)",
        &columns,
        Some(0),
    );
    let mut failures = Vec::new();
    for (name, bytes) in &workloads {
        eprintln!("{name}");
        let mut prepared: Vec<Result<Instantiate, String>> = COLUMNS
            .iter()
            .map(|column| guarded(|| prepare(column, bytes)))
            .collect();
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); COLUMNS.len()];
        for _ in 0..runs {
            for (c, instantiate) in prepared.iter_mut().enumerate() {
                let Ok(f) = instantiate else { continue };
                match guarded(|| sample(f)) {
                    Ok(d) => samples[c].push(d),
                    Err(e) => *instantiate = Err(e),
                }
            }
        }
        let cells = prepared
            .iter()
            .zip(&samples)
            .zip(&columns)
            .map(|((result, s), column)| match result {
                Err(e) => {
                    failures.push(format!("{name} on {column}: {e}"));
                    Cell::Failed
                }
                Ok(_) => median(s).map_or(Cell::Missing, |d| Cell::Value(d, None)),
            })
            .collect();
        table.push_row(name, cells);
    }
    println!();
    println!("{table}");
    println!("Ratios are time / time of `weft` (lower is faster).");
    for failure in &failures {
        println!("failed: {failure}");
    }
    failures.is_empty()
}
