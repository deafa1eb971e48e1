//! The cost of fuel metering and epoch interruption on the benchmark workloads.
//!
//! Runs each `benches/wasm/*.wasm` workload's `run` export with fuel off and on, and with
//! epoch interruption off and on, interleaved, and prints the median times as ratios to the
//! plain configuration with a geomean row:
//!
//! ```sh
//! cargo run --release -p weft --example fuel_epoch_overhead -- [RUNS]
//! ```

use std::time::{Duration, Instant};
use weft::{Config, Engine, Instance, Module, Store};

const WORKLOADS: &[&str] = &[
    "fib", "sieve", "matmul", "sha256", "deflate", "markdown", "regex", "coremark",
];

fn engine(fuel: bool, epoch: bool) -> weft::Result<Engine> {
    let mut config = Config::new();
    config.consume_fuel(fuel).epoch_interruption(epoch);
    Engine::new(&config)
}

fn run_once(engine: &Engine, fuel: bool, bytes: &[u8]) -> weft::Result<(Duration, i64)> {
    let module = Module::new(engine, bytes)?;
    let mut store = Store::new(engine, ());
    if fuel {
        store.set_fuel(u64::MAX)?;
    }
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = Instance::new(&mut store, &module, &[])?;
    let run = instance.get_typed_func::<(), i64>(&mut store, "run")?;
    let start = Instant::now();
    let checksum = run.call(&mut store, ())?;
    Ok((start.elapsed(), checksum))
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times
        .get(times.len() / 2)
        .map_or(0.0, Duration::as_secs_f64)
}

fn main() -> weft::Result<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches/wasm");
    let engines = [
        (engine(false, false)?, false),
        (engine(true, false)?, true),
        (engine(false, true)?, false),
    ];
    println!(
        "{:<10} {:>10} {:>10} {:>10}",
        "workload", "plain ms", "fuel", "epoch"
    );
    let (mut fuel_log, mut epoch_log, mut count) = (0.0_f64, 0.0_f64, 0);
    for name in WORKLOADS {
        let Ok(bytes) = std::fs::read(format!("{dir}/{name}.wasm")) else {
            eprintln!("skipping {name}: not built");
            continue;
        };
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        let mut checksums = Vec::new();
        for _ in 0..runs {
            for ((engine, fuel), times) in engines.iter().zip(times.iter_mut()) {
                let (time, checksum) = run_once(engine, *fuel, &bytes)?;
                times.push(time);
                checksums.push(checksum);
            }
        }
        if checksums.windows(2).any(|w| w[0] != w[1]) {
            return Err(weft::Error::msg(format!(
                "{name}: checksums differ: {checksums:?}"
            )));
        }
        let [plain, fuel, epoch] = times.map(median);
        println!(
            "{name:<10} {:>10.2} {:>10.3} {:>10.3}",
            plain * 1e3,
            fuel / plain,
            epoch / plain
        );
        fuel_log += (fuel / plain).ln();
        epoch_log += (epoch / plain).ln();
        count += 1;
    }
    if count > 0 {
        let n = f64::from(count);
        println!(
            "{:<10} {:>10} {:>10.3} {:>10.3}",
            "geomean",
            "",
            (fuel_log / n).exp(),
            (epoch_log / n).exp()
        );
    }
    Ok(())
}
