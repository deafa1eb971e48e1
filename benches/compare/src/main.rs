//! Side-by-side benchmark of Weft, wasmi and Wasmtime on the workloads in `benches/wasm/`.
//!
//! For every workload, every engine is measured in turn, round by round (round 1 of every
//! engine, then round 2 of every engine, ...), so slow drifts of a shared machine hit all
//! engines alike. Before the first round each engine translates and instantiates once,
//! untimed. Each round of an engine:
//!
//! 1. compiles a fresh `Module` from the bytes (timed: "translate"; for lazy modes this is
//!    validation only);
//! 2. instantiates, into a fresh `Store`, the module kept from the first round (timed:
//!    "instantiate");
//! 3. calls `run` on that instance (timed: "execute"); the first round's call on a lazy
//!    engine includes translating the functions it reaches, later rounds reuse them, so the
//!    median is the steady state. The first round is reported separately as well.
//!
//! A translation or instantiation that takes less than 2 ms is repeated within the round
//! for about 2 ms, and the round's time is the mean of one.
//!
//! Call overhead instantiates `noop.wasm` and times many calls of its empty `noop` export.
//!
//! `--suite component` measures Component Model calls and instantiation instead (see
//! `component.rs`), and `--suite wasi` WASI preview 1 modules against WASI 0.2 components
//! (see `wasi.rs`).
//!
//! Run with `cargo run --release --manifest-path benches/compare/Cargo.toml -- --help`.

mod component;
mod deserialize;
mod engines;
mod instantiate;
mod report;
mod wasi;

use engines::{EngineKind, Runtime};
use report::{Cell, Table};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Which set of measurements to run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Suite {
    /// The core workloads of `benches/wasm` and the empty-call overhead.
    Core,
    /// Component Model calls and instantiation (`component.rs`).
    Component,
    /// Instantiation through `InstancePre`, on-demand and pooling (`instantiate.rs`).
    Instantiate,
    /// WASI preview 1 modules against WASI 0.2 components (`wasi.rs`).
    Wasi,
    /// `Module::deserialize` against `Module::new` (`deserialize.rs`).
    Deserialize,
}

/// Command-line options.
struct Options {
    runs: usize,
    calls: u64,
    suite: Suite,
    engines_given: bool,
    filters: Vec<String>,
    engines: Vec<EngineKind>,
    baseline: EngineKind,
    wasm_dir: PathBuf,
}

const USAGE: &str = "\
usage: weft-compare [--suite core|component|instantiate|wasi|deserialize] [--runs N]
                    [--filter NAME]...
                    [--engines LIST] [--baseline ENGINE] [--calls N] [--wasm-dir DIR]

  --suite NAME      `core` (default): the workloads and the empty-call overhead;
                    `component`: Component Model calls (string, list, record; host to
                    guest and guest to host; Val and typed APIs) and instantiation, on
                    weft, cranelift and pulley by default; `instantiate`: each workload
                    instantiated through InstancePre, on-demand and pooling, on weft,
                    wasmi and Wasmtime (--engines does not apply);
                    `wasi`: startup of a hello program and a 64 MiB file copy, each as a
                    WASI preview 1 module and as a WASI 0.2 component, on weft and
                    cranelift by default; `deserialize`: Module::deserialize of
                    precompiled bytes against Module::new of each workload, on weft
                    and Wasmtime (Cranelift) (--engines does not apply)

  --runs N          rounds per engine and workload; medians are reported (default 5)
  --filter NAME     only workloads whose name contains NAME (repeatable; `noop` selects
                    the call-overhead measurement)
  --engines LIST    comma-separated engines (default: all). Known engines:
                    weft, weft-lazy, wasmi, wasmi-lazy, wasmi-lazy-all, cranelift, winch, pulley
  --baseline ENGINE engine that ratios are relative to (default: weft)
  --calls N         host-to-wasm calls per round of the call-overhead measurement
                    (default 100000); in the component suite, the most calls per
                    round of one row (fewer when a call is slow: about 50 ms per row)
  --wasm-dir DIR    where the workloads and checksums.txt are (default: benches/wasm)
";

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        calls: 100_000,
        suite: Suite::Core,
        engines_given: false,
        filters: Vec::new(),
        engines: EngineKind::DEFAULT.to_vec(),
        baseline: EngineKind::Weft,
        wasm_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => {
                options.runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?;
                if options.runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            "--calls" => {
                options.calls = value("--calls")?
                    .parse()
                    .map_err(|e| format!("--calls: {e}"))?;
                if options.calls == 0 {
                    return Err("--calls must be at least 1".into());
                }
            }
            "--suite" => {
                options.suite = match value("--suite")?.as_str() {
                    "core" => Suite::Core,
                    "component" => Suite::Component,
                    "instantiate" => Suite::Instantiate,
                    "wasi" => Suite::Wasi,
                    "deserialize" => Suite::Deserialize,
                    other => {
                        return Err(format!(
                            "unknown suite `{other}` (core, component, instantiate, wasi, \
                             deserialize)"
                        ));
                    }
                };
            }
            "--filter" => options.filters.push(value("--filter")?),
            "--engines" => {
                options.engines = value("--engines")?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(EngineKind::parse)
                    .collect::<Result<_, _>>()?;
                options.engines_given = true;
            }
            "--baseline" => options.baseline = EngineKind::parse(&value("--baseline")?)?,
            "--wasm-dir" => options.wasm_dir = PathBuf::from(value("--wasm-dir")?),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
        }
    }
    if options.engines.is_empty() {
        return Err("--engines selects no engine".into());
    }
    Ok(options)
}

/// The expected checksums from `checksums.txt`, in file order.
fn read_checksums(path: &Path) -> Result<Vec<(String, i64)>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "{}:{}: expected `name checksum`",
                path.display(),
                n + 1
            ));
        };
        let value = value
            .parse()
            .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// Runs `f`, turning a panic into an error message.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(format!("panic: {message}"))
        }
    }
}

/// Every sample of one engine on one workload, or the first error.
#[derive(Default)]
struct Samples {
    translate: Vec<Duration>,
    instantiate: Vec<Duration>,
    execute: Vec<Duration>,
    checksum: Option<i64>,
    error: Option<String>,
}

/// One round of translate / instantiate / execute for `runtime`.
fn workload_round(
    runtime: &mut dyn Runtime,
    bytes: &[u8],
    first: bool,
    samples: &mut Samples,
) -> Result<(), String> {
    let translate = runtime.compile(bytes, first)?;
    let translate = repeat_short(translate, || runtime.compile(bytes, false))?;
    let instantiate = runtime.instantiate()?;
    let instantiate = repeat_short(instantiate, || runtime.instantiate())?;
    let (execute, checksum) = runtime.execute("run")?;
    samples.translate.push(translate);
    samples.instantiate.push(instantiate);
    samples.execute.push(execute);
    if let Some(previous) = samples.checksum
        && previous != checksum
    {
        return Err(format!(
            "`run` returned {checksum} after {previous}: not deterministic"
        ));
    }
    samples.checksum = Some(checksum);
    Ok(())
}

/// A single timing below this is too coarse and too cache-sensitive to use alone.
const SHORT: Duration = Duration::from_millis(2);

/// If `first` (the time of one operation) is below [`SHORT`], repeats the operation until
/// about `SHORT` has been spent in total and returns the mean time of one operation;
/// otherwise returns `first`.
fn repeat_short(
    first: Duration,
    mut op: impl FnMut() -> Result<Duration, String>,
) -> Result<Duration, String> {
    if first >= SHORT {
        return Ok(first);
    }
    let mut total = first;
    let mut count = 1u32;
    while total < SHORT && count < 10_000 {
        total += op()?;
        count += 1;
    }
    Ok(total / count)
}

fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if options.suite == Suite::Wasi {
        let engines: &[EngineKind] = if options.engines_given {
            &options.engines
        } else {
            &wasi::DEFAULT
        };
        return if wasi::run(engines, options.runs) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if options.suite == Suite::Deserialize {
        let ok = deserialize::run(&options.wasm_dir, options.runs, &options.filters);
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if options.suite == Suite::Instantiate {
        let ok = instantiate::run(&options.wasm_dir, options.runs, &options.filters);
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    if options.suite == Suite::Component {
        let engines: &[EngineKind] = if options.engines_given {
            &options.engines
        } else {
            &component::DEFAULT
        };
        let ok = component::run(engines, options.baseline, options.runs, options.calls);
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let checksums_path = options.wasm_dir.join("checksums.txt");
    let expected = match read_checksums(&checksums_path) {
        Ok(list) => list,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let selected = |name: &str| {
        options.filters.is_empty() || options.filters.iter().any(|f| name.contains(f.as_str()))
    };
    let workloads: Vec<&(String, i64)> = expected.iter().filter(|(n, _)| selected(n)).collect();

    let engines = &options.engines;
    let columns: Vec<String> = engines.iter().map(|e| e.name().to_string()).collect();
    let mut baseline = engines.iter().position(|&e| e == options.baseline);
    if baseline.is_none() {
        eprintln!(
            "note: baseline `{}` is not among the measured engines; no ratios",
            options.baseline.name()
        );
    }
    eprintln!(
        "{} workload(s), engines: {}, {} run(s) each",
        workloads.len(),
        columns.join(", "),
        options.runs
    );

    let mut tables = [
        Table::new(
            "translate (Module::new; lazy modes validate only)",
            &columns,
            baseline,
        ),
        Table::new("instantiate", &columns, baseline),
        Table::new("execute `run` (median)", &columns, baseline),
        Table::new(
            "execute `run`, first run (includes lazy translation)",
            &columns,
            baseline,
        ),
    ];
    let mut problems: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut mismatches = 0usize;

    for (name, want) in &workloads {
        let path = options.wasm_dir.join(format!("{name}.wasm"));
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: reading {}: {e}", path.display());
                continue;
            }
        };
        eprintln!("== {name} ({} bytes)", bytes.len());
        let mut runtimes: Vec<Result<Box<dyn Runtime>, String>> = engines
            .iter()
            .map(|kind| guarded(|| kind.create()))
            .collect();
        let mut samples: Vec<Samples> = engines.iter().map(|_| Samples::default()).collect();
        for (runtime, s) in runtimes.iter().zip(samples.iter_mut()) {
            if let Err(e) = runtime {
                s.error = Some(e.clone());
            }
        }
        // Warm-up, untimed: one translation and instantiation per engine, so the first
        // engine does not pay alone for process-wide first-use costs (allocator growth,
        // lazily initialised statics, page faults).
        for (runtime, s) in runtimes.iter_mut().zip(samples.iter_mut()) {
            let Ok(runtime) = runtime else { continue };
            if let Err(e) = guarded(|| {
                runtime.compile(&bytes, true)?;
                runtime.instantiate().map(drop)
            }) {
                s.error = Some(e);
            }
        }
        for round in 0..options.runs {
            for (runtime, s) in runtimes.iter_mut().zip(samples.iter_mut()) {
                let Ok(runtime) = runtime else { continue };
                if s.error.is_some() {
                    continue;
                }
                if let Err(e) = guarded(|| workload_round(runtime.as_mut(), &bytes, round == 0, s))
                {
                    s.error = Some(e);
                }
            }
        }
        drop(runtimes);

        let mut row = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for (kind, s) in engines.iter().zip(&samples) {
            let mut flag = None;
            if let Some(got) = s.checksum
                && got != *want
            {
                mismatches += 1;
                eprintln!(
                    "!!! CHECKSUM MISMATCH: {} on {name}: got {got}, expected {want} !!!",
                    kind.name()
                );
                flag = Some("WRONG");
            }
            if let Some(e) = &s.error {
                eprintln!("    {}: {e}", kind.name());
                problems
                    .entry(kind.name().to_string())
                    .or_default()
                    .push((name.to_string(), e.clone()));
            }
            let cell = |d: Option<Duration>| match (d, &s.error) {
                (Some(d), None) => Cell::Value(d, flag),
                (_, Some(_)) => Cell::Failed,
                (None, None) => Cell::Missing,
            };
            row[0].push(cell(median(&s.translate)));
            row[1].push(cell(median(&s.instantiate)));
            row[2].push(cell(median(&s.execute)));
            row[3].push(cell(s.execute.first().copied()));
        }
        for (table, cells) in tables.iter_mut().zip(row) {
            table.push_row(name, cells);
        }
    }

    let mut call_table = Table::new(
        &format!(
            "host-to-wasm call of an empty function (per call, {} calls)",
            options.calls
        ),
        &columns,
        baseline,
    );
    if selected("noop") {
        let path = options.wasm_dir.join("noop.wasm");
        match std::fs::read(&path) {
            Ok(bytes) => {
                eprintln!("== noop (call overhead)");
                let cells = measure_calls(engines, &bytes, options.runs, options.calls);
                for (kind, cell) in engines.iter().zip(&cells) {
                    if let Err(e) = cell {
                        problems
                            .entry(kind.name().to_string())
                            .or_default()
                            .push(("noop".to_string(), e.clone()));
                    }
                }
                let cells = cells
                    .into_iter()
                    .map(|cell| match cell {
                        Ok(Some(d)) => Cell::Value(d, None),
                        Ok(None) => Cell::Missing,
                        Err(_) => Cell::Failed,
                    })
                    .collect();
                call_table.push_row("noop", cells);
            }
            Err(e) => eprintln!("error: reading {}: {e}", path.display()),
        }
    }

    // While Weft cannot run, fall back to wasmi as the baseline rather than print no ratios.
    if let Some(b) = baseline {
        let baseline_ran = tables
            .iter()
            .chain([&call_table])
            .any(|t| t.column_has_values(b));
        let fallback = engines.iter().position(|&e| e == EngineKind::Wasmi);
        if !baseline_ran && let Some(w) = fallback {
            eprintln!(
                "note: `{}` has no results; ratios are relative to `wasmi` instead",
                columns[b]
            );
            baseline = Some(w);
            for table in tables.iter_mut().chain(std::iter::once(&mut call_table)) {
                table.set_baseline(baseline);
            }
        }
    }

    println!();
    for table in &tables {
        if !table.is_empty() {
            println!("{table}");
        }
    }
    if !call_table.is_empty() {
        println!("{call_table}");
    }
    if let Some(b) = baseline {
        println!(
            "Ratios are time / time of `{}` (lower is faster). n/a = the engine failed; see below.",
            columns[b]
        );
    }
    if !problems.is_empty() {
        println!("\nFailures:");
        for (engine, list) in &problems {
            // Group the workloads that failed with the same message.
            let mut by_message: Vec<(&str, Vec<&str>)> = Vec::new();
            for (workload, message) in list {
                match by_message.iter_mut().find(|(m, _)| m == message) {
                    Some((_, names)) => names.push(workload),
                    None => by_message.push((message, vec![workload])),
                }
            }
            for (message, names) in by_message {
                println!("  {engine} [{}]: {message}", names.join(", "));
            }
        }
    }
    if mismatches > 0 {
        println!("\n!!! {mismatches} CHECKSUM MISMATCH(ES): see the messages above !!!");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Median time of one host-to-wasm call of `noop`, per engine.
fn measure_calls(
    engines: &[EngineKind],
    bytes: &[u8],
    runs: usize,
    calls: u64,
) -> Vec<Result<Option<Duration>, String>> {
    let mut runtimes: Vec<Result<Box<dyn Runtime>, String>> = engines
        .iter()
        .map(|kind| {
            guarded(|| {
                let mut runtime = kind.create()?;
                runtime.compile(bytes, true)?;
                runtime.instantiate()?;
                // Warm up (and translate, for lazy modes).
                runtime.call_many("noop", 1000)?;
                Ok(runtime)
            })
        })
        .collect();
    let mut samples: Vec<Vec<Duration>> = engines.iter().map(|_| Vec::new()).collect();
    for _ in 0..runs {
        for (runtime, s) in runtimes.iter_mut().zip(samples.iter_mut()) {
            let Ok(rt) = runtime else { continue };
            match guarded(|| rt.call_many("noop", calls)) {
                Ok(total) => s.push(Duration::from_secs_f64(total.as_secs_f64() / calls as f64)),
                Err(e) => *runtime = Err(e),
            }
        }
    }
    runtimes
        .iter()
        .zip(&samples)
        .zip(engines)
        .map(|((runtime, s), kind)| match runtime {
            Err(e) => {
                eprintln!("    {}: {e}", kind.name());
                Err(e.clone())
            }
            Ok(_) => Ok(median(s)),
        })
        .collect()
}
