//! `weft compile`: precompiles a module or a component, as `wasmtime compile` does.
//!
//! The output (`FILE` with the extension `.cwasm` unless `-o` says otherwise) is what
//! `weft::Engine::precompile_module` (or `precompile_component`) returns;
//! `weft run --allow-precompiled` runs it. It
//! records the settings that shape the bytecode (the proposals, fuel metering, epoch
//! interruption), so it must be run with the same `-W` proposals, and fuel or timeout
//! either both given or both not, as when it was compiled.

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `weft compile`.
#[derive(clap::Args)]
pub struct CompileCommand {
    /// Where to write the precompiled module [default: FILE with the extension `.cwasm`]
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    output: Option<PathBuf>,

    /// Wasm options, as for `weft run` (repeatable)
    ///
    /// The proposals (`-W bulk-memory=n`, ...) and whether fuel (`-W fuel=N`) or a timeout
    /// (`-W timeout=...`) will be used change the compiled code: `weft run` must be given
    /// the same ones. The other options only matter when running.
    #[arg(short = 'W', value_name = "KEY[=VALUE]", value_parser = super::options::parse_wasm_options)]
    wasm: Vec<super::options::WasmOptions>,

    /// The module to compile: a binary `.wasm` file or a `.wat` text file
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl CompileCommand {
    /// Compiles the module and writes the precompiled bytes.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let settings = super::options::WasmSettings::new(&self.wasm)?;
        let config = settings.engine_config(settings.fuel.is_some(), settings.timeout.is_some());
        let engine = weft::Engine::new(&config).context("invalid -W options")?;
        let bytes =
            std::fs::read(&self.file).with_context(|| format!("failed to read {:?}", self.file))?;
        let compiled = if super::run::is_component(&bytes) {
            engine.precompile_component(&bytes)
        } else {
            engine.precompile_module(&bytes)
        }
        .with_context(|| format!("failed to compile {:?}", self.file))?;
        let output = self
            .output
            .unwrap_or_else(|| self.file.with_extension("cwasm"));
        std::fs::write(&output, compiled).with_context(|| format!("failed to write {output:?}"))?;
        Ok(ExitCode::SUCCESS)
    }
}
