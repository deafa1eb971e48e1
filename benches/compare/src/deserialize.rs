//! `--suite deserialize`: loading a precompiled module (`Module::deserialize` of the bytes
//! `Engine::precompile_module` wrote) against compiling it from its `.wasm`
//! (`Module::new`), for each workload of `benches/wasm/`, on Weft and on Wasmtime
//! (Cranelift). Each sample is the mean over about 20 ms of loads (at least one); the table
//! gives the median of the runs and the ratio to Weft's `Module::new`, and a second table
//! the speed-up of deserializing over compiling for each engine.

use crate::report::{Cell, Table, format_duration};
use crate::{guarded, median};
use std::path::Path;
use std::time::{Duration, Instant};

/// One way of making a module, timed repeatedly.
type Load = Box<dyn FnMut() -> Result<(), String>>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("error").to_string()
}

/// The measurements, by column name.
const COLUMNS: [&str; 4] = [
    "weft new",
    "weft deserialize",
    "wasmtime new",
    "wasmtime deserialize",
];

/// Prepares the load of `bytes` measured by column `column`.
fn prepare(column: &str, bytes: &[u8]) -> Result<Load, String> {
    let bytes = bytes.to_vec();
    match column {
        #[cfg(feature = "weft")]
        "weft new" => {
            let engine = weft::Engine::default();
            Ok(Box::new(move || {
                weft::Module::new(&engine, &bytes).map_err(err)?;
                Ok(())
            }))
        }
        #[cfg(feature = "weft")]
        "weft deserialize" => {
            let engine = weft::Engine::default();
            let precompiled = engine.precompile_module(&bytes).map_err(err)?;
            Ok(Box::new(move || {
                // SAFETY: the bytes were just written by `precompile_module` of this engine
                // (and Weft verifies them anyway).
                #[allow(unsafe_code)]
                unsafe { weft::Module::deserialize(&engine, &precompiled) }.map_err(err)?;
                Ok(())
            }))
        }
        "wasmtime new" => {
            let engine = wasmtime::Engine::default();
            Ok(Box::new(move || {
                wasmtime::Module::new(&engine, &bytes).map_err(err)?;
                Ok(())
            }))
        }
        "wasmtime deserialize" => {
            let engine = wasmtime::Engine::default();
            let precompiled = engine.precompile_module(&bytes).map_err(err)?;
            Ok(Box::new(move || {
                // SAFETY: the bytes were just written by `precompile_module` of this engine,
                // as Wasmtime requires.
                #[allow(unsafe_code)]
                unsafe { wasmtime::Module::deserialize(&engine, &precompiled) }.map_err(err)?;
                Ok(())
            }))
        }
        other => Err(format!("{other} is not built in")),
    }
}

/// The mean time of one load over about 20 ms (at least one load).
fn sample(load: &mut Load) -> Result<Duration, String> {
    let mut count = 0u32;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(20) && count < 100_000 {
        load()?;
        count += 1;
    }
    Ok(start.elapsed() / count.max(1))
}

/// `new / deserialize` of one engine, as text.
fn speedup(new: &Cell, deserialize: &Cell) -> String {
    match (new.time(), deserialize.time()) {
        (Some(new), Some(deserialize)) if !deserialize.is_zero() => {
            format!("{:.1}x", new.as_secs_f64() / deserialize.as_secs_f64())
        }
        _ => "n/a".to_string(),
    }
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
        "Module::new from the .wasm against Module::deserialize of the precompiled bytes",
        &columns,
        Some(0),
    );
    let mut speedups = Vec::new();
    let mut failures = Vec::new();
    for (name, bytes) in &workloads {
        eprintln!("{name}");
        let mut prepared: Vec<Result<Load, String>> = COLUMNS
            .iter()
            .map(|column| guarded(|| prepare(column, bytes)))
            .collect();
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); COLUMNS.len()];
        for _ in 0..runs {
            for (c, load) in prepared.iter_mut().enumerate() {
                let Ok(f) = load else { continue };
                match guarded(|| sample(f)) {
                    Ok(d) => samples[c].push(d),
                    Err(e) => *load = Err(e),
                }
            }
        }
        let cells: Vec<Cell> = prepared
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
        speedups.push(format!(
            "{name:<12} {:>10} {:>10}   ({} -> {}, {} -> {})",
            speedup(&cells[0], &cells[1]),
            speedup(&cells[2], &cells[3]),
            cells[0].time().map_or("n/a".into(), format_duration),
            cells[1].time().map_or("n/a".into(), format_duration),
            cells[2].time().map_or("n/a".into(), format_duration),
            cells[3].time().map_or("n/a".into(), format_duration),
        ));
        table.push_row(name, cells);
    }
    println!();
    println!("{table}");
    println!("Ratios are time / time of `weft new` (lower is faster).");
    println!();
    println!("Speed-up of deserialize over new (new time / deserialize time):");
    println!("{:<12} {:>10} {:>10}", "workload", "weft", "wasmtime");
    for line in &speedups {
        println!("{line}");
    }
    for failure in &failures {
        println!("failed: {failure}");
    }
    failures.is_empty()
}
