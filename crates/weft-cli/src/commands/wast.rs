//! `weft wast`.

use std::process::ExitCode;

/// Arguments of `weft wast`.
#[derive(clap::Args)]
pub struct WastCommand {}

impl WastCommand {
    /// Runs the command.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        anyhow::bail!("`weft wast` is not implemented yet")
    }
}
