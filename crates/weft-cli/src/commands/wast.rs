//! `weft wast`: runs WebAssembly spec test scripts.

use std::path::PathBuf;
use std::process::ExitCode;
use weft_wast::WastContext;

/// Arguments of `weft wast`.
#[derive(clap::Args)]
pub struct WastCommand {
    /// The `.wast` scripts to run.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Also list the directives that passed with an error message other than the expected one
    /// (`assert_invalid`, `assert_malformed` and `assert_unlinkable` check only the phase).
    #[arg(long)]
    show_mismatches: bool,
}

impl WastCommand {
    /// Runs every script and prints, per file, `PATH: N passed, N failed` and each failure,
    /// then the totals. Exits with status 1 if any directive failed or any file could not be
    /// run.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let context = WastContext::new(weft::Config::new());
        let mut passed = 0;
        let mut failed = 0;
        for path in &self.files {
            let mut out = String::new();
            match context.run_file(path) {
                Ok(report) => {
                    out.push_str(&format!("{report}\n"));
                    if self.show_mismatches {
                        for mismatch in &report.message_mismatches {
                            out.push_str(&format!("  (message differs) {mismatch}\n"));
                        }
                    }
                    passed += report.passed;
                    failed += report.failed;
                }
                Err(error) => {
                    // A script that cannot run at all counts as one failure.
                    out.push_str(&format!("{}: error: {error}\n", path.display()));
                    failed += 1;
                }
            }
            super::print_stdout(&out)?;
        }
        super::print_stdout(&format!("{passed} passed, {failed} failed\n"))?;
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
