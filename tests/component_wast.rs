//! Weft's own Component Model scripts, `tests/component-wast/*.wast`: one trial per file, each
//! run through `weft-wast`.
//!
//! A trial fails when any directive of its file fails, and also when an `assert_invalid`,
//! `assert_malformed` or `assert_unlinkable` is rejected with a message other than the one the
//! script names: these are our scripts, so their expected messages are Weft's. After
//! libtest-mimic's summary the harness prints `N passed, N failed`, counting directives.
//!
//! ```text
//! cargo test -p weft-tests --test component_wast             # every file
//! cargo test -p weft-tests --test component_wast -- values   # one file
//! ```

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use weft_wast::WastContext;

#[derive(Default)]
struct Totals {
    passed: AtomicUsize,
    failed: AtomicUsize,
}

fn scripts() -> std::io::Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("component-wast");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wast") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn trial(path: PathBuf, totals: &Arc<Totals>) -> Trial {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let totals = Arc::clone(totals);
    Trial::test(name, move || {
        let report = WastContext::new(weft::Config::new())
            .run_file(&path)
            .map_err(|e| Failed::from(e.to_string()))?;
        totals.passed.fetch_add(report.passed, Ordering::Relaxed);
        totals.failed.fetch_add(report.failed, Ordering::Relaxed);
        let mut problems: Vec<String> = report.failures.iter().map(|f| f.to_string()).collect();
        problems.extend(
            report
                .message_mismatches
                .iter()
                .map(|m| format!("(message differs) {m}")),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Failed::from(format!(
                "{} passed, {} failed\n{}",
                report.passed,
                report.failed,
                problems.join("\n")
            )))
        }
    })
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let totals = Arc::new(Totals::default());
    let trials = match scripts() {
        Ok(files) => files.into_iter().map(|f| trial(f, &totals)).collect(),
        Err(e) => vec![Trial::test("component-wast", move || {
            Err(Failed::from(format!(
                "cannot list tests/component-wast: {e}"
            )))
        })],
    };
    let conclusion = libtest_mimic::run(&args, trials);
    println!(
        "component-wast: {} passed, {} failed",
        totals.passed.load(Ordering::Relaxed),
        totals.failed.load(Ordering::Relaxed)
    );
    conclusion.exit_code()
}
