//! `weft inspect`: prints a module's name, imports and exports, or a component's world as
//! WIT; a component whose world WIT cannot describe (types exported at the top level) is
//! listed as its imports and exports with their types.

use anyhow::Context as _;
use std::path::PathBuf;
use std::process::ExitCode;
use weft::{ExternType, GlobalType, MemoryType, Mutability, TableType};

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
            let out = match component_wit(&binary) {
                Ok(wit) => wit,
                // Not every valid component decodes as a WIT world (wit-component cannot
                // describe, for example, types exported at the top level): list its imports
                // and exports with the types Weft reads from the component itself.
                Err(wit_error) => component_listing(&binary, &wit_error).with_context(|| {
                    format!(
                        "`{}` is a WebAssembly component, but its world cannot be read",
                        self.file.display()
                    )
                })?,
            };
            super::print_stdout(&out)?;
            return Ok(ExitCode::SUCCESS);
        }
        let engine = every_proposal()?;
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

/// The imports and exports of the component `binary` with their types, from
/// [`weft::component::Component::component_type`], for a component whose world WIT cannot
/// show (`wit_error` says why).
fn component_listing(binary: &[u8], wit_error: &anyhow::Error) -> anyhow::Result<String> {
    let engine = weft::Engine::default();
    let component = weft::component::Component::from_binary(&engine, binary)?;
    let ty = component.component_type();
    let mut out = format!(
        "component (its world cannot be shown as WIT: {})\n",
        first_line(&format!("{wit_error:#}"))
    );
    out.push_str(&format!("imports ({}):\n", ty.imports(&engine).len()));
    for (name, item) in ty.imports(&engine) {
        out.push_str(&format!(
            "  {name:?}: {}\n",
            component_item(&engine, &item.ty, 1)
        ));
    }
    out.push_str(&format!("exports ({}):\n", ty.exports(&engine).len()));
    for (name, item) in ty.exports(&engine) {
        out.push_str(&format!(
            "  {name:?}: {}\n",
            component_item(&engine, &item.ty, 1)
        ));
    }
    Ok(out)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// A component import or export type, e.g. `func(x: u32) -> string` or `resource`; the
/// exports of an instance follow on lines indented `depth + 1` levels.
fn component_item(
    engine: &weft::Engine,
    item: &weft::component::ComponentItem,
    depth: usize,
) -> String {
    use weft::component::ComponentItem as I;
    match item {
        I::ComponentFunc(func) => func.to_string(),
        I::Module(module) => format!(
            "core module ({} imports, {} exports)",
            module.imports(engine).len(),
            module.exports(engine).len()
        ),
        I::ComponentInstance(instance) => {
            let indent = "  ".repeat(depth + 1);
            let mut out = String::from("instance");
            for (name, item) in instance.exports(engine) {
                out.push_str(&format!(
                    "\n{indent}{name:?}: {}",
                    component_item(engine, &item.ty, depth + 1)
                ));
            }
            out
        }
        I::Component(ty) => format!(
            "component ({} imports, {} exports)",
            ty.imports(engine).len(),
            ty.exports(engine).len()
        ),
        I::Resource(_) => "resource".to_string(),
        I::Type(ty) => format!("type {ty}"),
        _ => "(a type Weft cannot describe)".to_string(),
    }
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

/// An engine with every proposal Weft implements turned on, off-by-default ones included:
/// listing a module's imports and exports runs none of its code, so any module Weft can
/// compile is shown.
fn every_proposal() -> anyhow::Result<weft::Engine> {
    let mut config = weft::Config::new();
    config
        .wasm_memory64(true)
        .wasm_custom_page_sizes(true)
        .wasm_wide_arithmetic(true)
        .wasm_function_references(true);
    weft::Engine::new(&config)
}

/// `i64 ` for a 64-bit memory or table, as in the text format.
fn address_type(is_64: bool) -> &'static str {
    if is_64 { "i64 " } else { "" }
}

fn memory_type(ty: &MemoryType) -> String {
    let page_size = match ty.page_size_log2() {
        16 => String::new(),
        log2 => format!(" (pagesize {})", 1u64 << log2),
    };
    format!(
        "(memory {}{}{page_size})",
        address_type(ty.is_64()),
        limits(ty.minimum(), ty.maximum())
    )
}

fn table_type(ty: &TableType) -> String {
    format!(
        "(table {}{} {})",
        address_type(ty.is_64()),
        limits(ty.minimum(), ty.maximum()),
        ty.element()
    )
}
