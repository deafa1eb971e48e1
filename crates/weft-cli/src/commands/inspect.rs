//! `weft inspect`: prints a module's name, imports and exports, or a component's world as
//! WIT.

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use weft::{ExternType, GlobalType, MemoryType, Mutability, RefType, TableType};

/// Arguments of `weft inspect`.
#[derive(clap::Args)]
pub struct InspectCommand {
    /// The module or component to inspect (`.wasm` or `.wat`).
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

impl InspectCommand {
    /// Compiles the module and prints its name, imports and exports with their types, in
    /// WebAssembly text notation; for a component, prints its world in WIT.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("cannot read `{}`", self.file.display()))?;
        let binary = wat::parse_bytes(&bytes)
            .with_context(|| format!("cannot parse `{}`", self.file.display()))?;
        if wasmparser::Parser::is_component(&binary) {
            print!(
                "{}",
                component_wit(&binary).with_context(|| {
                    format!(
                        "`{}` is a WebAssembly component, but its world cannot be read",
                        self.file.display()
                    )
                })?
            );
            return Ok(ExitCode::SUCCESS);
        }
        let engine = weft::Engine::default();
        let module = weft::Module::from_binary(&engine, &binary)
            .with_context(|| format!("cannot compile `{}`", self.file.display()))?;
        let mut out = String::new();
        match module.name() {
            Some(name) => out.push_str(&format!("module ${name}\n")),
            None => out.push_str("module (no name)\n"),
        }
        out.push_str(&format!("imports ({}):\n", module.imports().len()));
        for import in module.imports() {
            out.push_str(&format!(
                "  {:?} {:?}: {}\n",
                import.module(),
                import.name(),
                extern_type(&import.ty())
            ));
        }
        out.push_str(&format!("exports ({}):\n", module.exports().len()));
        for export in module.exports() {
            out.push_str(&format!(
                "  {:?}: {}\n",
                export.name(),
                extern_type(&export.ty())
            ));
        }
        super::print_stdout(&out)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// The world of the component `binary` (its imports and exports) in WIT, as
/// `wasm-tools component wit` prints it: a `root:component` package holding the world `root`,
/// and the packages of the interfaces it uses.
fn component_wit(binary: &[u8]) -> anyhow::Result<String> {
    let decoded = wit_component::decode(binary)?;
    let resolve = decoded.resolve();
    let main = decoded.package();
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != main)
        .collect();
    let mut printer = wit_component::WitPrinter::default();
    printer.print(resolve, main, &nested)?;
    Ok(printer.output.to_string())
}

/// An import or export type as WebAssembly text, e.g. `(memory 1 2)`.
fn extern_type(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(func) => func.to_string(),
        ExternType::Global(global) => global_type(global),
        ExternType::Memory(memory) => memory_type(memory),
        ExternType::Table(table) => table_type(table),
    }
}

fn global_type(ty: &GlobalType) -> String {
    match ty.mutability() {
        Mutability::Const => format!("(global {})", ty.content()),
        Mutability::Var => format!("(global (mut {}))", ty.content()),
    }
}

fn limits(minimum: u64, maximum: Option<u64>) -> String {
    match maximum {
        Some(maximum) => format!("{minimum} {maximum}"),
        None => minimum.to_string(),
    }
}

fn memory_type(ty: &MemoryType) -> String {
    format!("(memory {})", limits(ty.minimum(), ty.maximum()))
}

fn table_type(ty: &TableType) -> String {
    let element = match ty.element() {
        RefType::FuncRef => "funcref",
        RefType::ExternRef => "externref",
    };
    format!("(table {} {element})", limits(ty.minimum(), ty.maximum()))
}
