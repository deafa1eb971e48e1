//! `weft inspect`.

use std::process::ExitCode;

/// Arguments of `weft inspect`.
#[derive(clap::Args)]
pub struct InspectCommand {}

impl InspectCommand {
    /// Runs the command.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("`weft inspect` is not implemented yet")
    }
}
