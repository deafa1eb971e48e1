//! One module per subcommand, and the output helpers they share.

pub mod compile;
pub mod inspect;
pub mod invoke;
pub mod options;
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

/// `error` as `weft` reports it: the error, then its causes numbered as `anyhow` shows them,
/// without the host's stack backtrace (which `RUST_BACKTRACE` would otherwise add): a user's
/// mistake or a guest's trap is not a bug in `weft`. A trap's wasm backtrace is part of the
/// trap's own message and stays.
pub fn error_report(error: &anyhow::Error) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{error}");
    let causes: Vec<String> = error.chain().skip(1).map(ToString::to_string).collect();
    match causes.as_slice() {
        [] => {}
        [cause] => {
            let _ = write!(out, "\n\nCaused by:\n{}", indent(cause, "    "));
        }
        causes => {
            out.push_str("\n\nCaused by:");
            for (index, cause) in causes.iter().enumerate() {
                let _ = write!(out, "\n{}", indent(cause, &format!("{index:>5}: ")));
            }
        }
    }
    out
}

/// `text` with `first` before its first line and the width of `first` in spaces before the
/// others.
fn indent(text: &str, first: &str) -> String {
    let pad = " ".repeat(first.len());
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(if index == 0 { first } else { &pad });
        } else if index == 0 {
            out.push_str(first);
        }
        out.push_str(line);
    }
    out
}
