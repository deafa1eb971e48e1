//! The `weft` command: runs WebAssembly programs and spec scripts, and inspects modules.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod commands;

/// Weft: a WebAssembly runtime.
///
/// `weft FILE [ARGS]...` is short for `weft run FILE [ARGS]...`.
#[derive(Parser)]
#[command(name = "weft", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a WebAssembly module (`.wasm` or `.wat`).
    Run(Box<commands::run::RunCommand>),
    /// Precompiles a module or a component into a `.cwasm` file for `weft run --allow-precompiled`.
    Compile(commands::compile::CompileCommand),
    /// Runs WebAssembly spec test scripts (`.wast`).
    Wast(commands::wast::WastCommand),
    /// Prints a module's imports and exports.
    Inspect(commands::inspect::InspectCommand),
    /// Prints the `-W` options and the engine's default settings.
    Settings(commands::options::SettingsCommand),
}

const SUBCOMMANDS: &[&str] = &["run", "compile", "wast", "inspect", "settings", "help"];

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `weft FILE ...` runs FILE: insert the `run` subcommand when the first argument is
    // neither a subcommand nor a flag.
    if let Some(first) = args.get(1).and_then(|a| a.to_str())
        && !first.starts_with('-')
        && !SUBCOMMANDS.contains(&first)
    {
        args.insert(1, "run".into());
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Command::Run(cmd) => cmd.execute(),
        Command::Compile(cmd) => cmd.execute(),
        Command::Wast(cmd) => cmd.execute(),
        Command::Inspect(cmd) => cmd.execute(),
        Command::Settings(cmd) => cmd.execute(),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            commands::print_stderr(&format!("Error: {}\n", commands::error_report(&error)));
            ExitCode::FAILURE
        }
    }
}
