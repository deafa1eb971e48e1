//! One module per subcommand, and the output helpers they share.

pub mod inspect;
pub mod invoke;
pub mod run;
pub mod wast;

use anyhow::Context as _;
use std::io::{self, Write as _};

/// Writes `text` to standard output.
///
/// A reader that has gone away (`weft inspect m.wasm | head -n1`) is not an error: the
/// output ends quietly, as it does for other Unix tools.
///
/// # Errors
///
/// Any other failure to write.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result.context("failed to write to standard output"),
    }
}

/// Writes `text` to standard error. A failure is ignored: there is nowhere left to report
/// it.
pub fn print_stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
