//! `weft run`.

use std::process::ExitCode;

/// Arguments of `weft run`.
#[derive(clap::Args)]
pub struct RunCommand {}

impl RunCommand {
    /// Runs the command.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("`weft run` is not implemented yet")
    }
}
