//! `-W` options of `weft run` and `weft wast`, with the names `wasmtime run -W` uses.
//!
//! `-W KEY[=VALUE][,KEY[=VALUE]...]`, repeatable. Flags take `y`, `n`, `yes`, `no`, `true` or
//! `false`, and mean yes when the value is left out. `weft settings` lists every key.

use std::time::Duration;

/// The `Config` setter of a proposal.
type ProposalSetter = fn(&mut weft::Config, bool);

/// What one key of `-W` sets.
#[derive(Clone, Copy)]
enum Kind {
    /// A WebAssembly proposal, turned on or off through its `Config::wasm_*` setter.
    Proposal(ProposalSetter),
    /// A flag of the run itself.
    Flag,
    /// A number or a duration.
    Value,
}

/// One key of `-W`: its name, what it sets and its help text.
struct Key {
    name: &'static str,
    kind: Kind,
    help: &'static str,
}

macro_rules! proposal {
    ($name:literal, $setter:ident, $help:literal) => {
        Key {
            name: $name,
            kind: Kind::Proposal(|config, on| {
                config.$setter(on);
            }),
            help: $help,
        }
    };
}

/// Every key `-W` accepts.
const KEYS: &[Key] = &[
    Key {
        name: "fuel",
        kind: Kind::Value,
        help: "give the guest N units of fuel (as --fuel)",
    },
    Key {
        name: "timeout",
        kind: Kind::Value,
        help: "interrupt the guest after a duration (as --timeout)",
    },
    Key {
        name: "max-memory-size",
        kind: Kind::Value,
        help: "the most bytes one linear memory may grow to (as --max-memory-size)",
    },
    Key {
        name: "max-table-elements",
        kind: Kind::Value,
        help: "the most elements one table may grow to (as --max-table-elements)",
    },
    Key {
        name: "max-wasm-stack",
        kind: Kind::Value,
        help: "the most bytes of stack wasm may use (as --max-wasm-stack)",
    },
    Key {
        name: "max-instances",
        kind: Kind::Value,
        help: "the most instances the store may hold",
    },
    Key {
        name: "max-tables",
        kind: Kind::Value,
        help: "the most tables the store may hold",
    },
    Key {
        name: "max-memories",
        kind: Kind::Value,
        help: "the most linear memories the store may hold",
    },
    Key {
        name: "trap-on-grow-failure",
        kind: Kind::Flag,
        help: "trap instead of returning -1 when memory.grow or table.grow fails",
    },
    Key {
        name: "unknown-imports-trap",
        kind: Kind::Flag,
        help: "define undefined function imports as functions that trap",
    },
    Key {
        name: "unknown-imports-default",
        kind: Kind::Flag,
        help: "define undefined function imports as functions returning zeros",
    },
    proposal!("bulk-memory", wasm_bulk_memory, "the bulk memory proposal"),
    proposal!("multi-value", wasm_multi_value, "the multi-value proposal"),
    proposal!(
        "reference-types",
        wasm_reference_types,
        "the reference types proposal"
    ),
    proposal!(
        "component-model",
        wasm_component_model,
        "the Component Model"
    ),
    proposal!("simd", wasm_simd, "the fixed-width SIMD proposal"),
    proposal!(
        "relaxed-simd",
        wasm_relaxed_simd,
        "the relaxed SIMD proposal"
    ),
    proposal!(
        "threads",
        wasm_threads,
        "the threads proposal (not supported)"
    ),
    proposal!("tail-call", wasm_tail_call, "the tail-call proposal"),
    proposal!(
        "multi-memory",
        wasm_multi_memory,
        "the multi-memory proposal"
    ),
    proposal!("memory64", wasm_memory64, "the memory64 proposal"),
    proposal!(
        "extended-const",
        wasm_extended_const,
        "extended constant expressions"
    ),
    proposal!(
        "function-references",
        wasm_function_references,
        "typed function references"
    ),
    proposal!(
        "gc",
        wasm_gc,
        "the garbage collection proposal (not supported)"
    ),
    proposal!(
        "exceptions",
        wasm_exceptions,
        "the exception-handling proposal (not supported)"
    ),
    proposal!(
        "wide-arithmetic",
        wasm_wide_arithmetic,
        "the wide-arithmetic proposal"
    ),
    proposal!(
        "custom-page-sizes",
        wasm_custom_page_sizes,
        "the custom-page-sizes proposal (memories of 1-byte pages)"
    ),
    proposal!(
        "stack-switching",
        wasm_stack_switching,
        "the stack-switching proposal (not supported)"
    ),
    proposal!(
        "component-model-async",
        wasm_component_model_async,
        "Component Model async (not supported)"
    ),
];

/// One `-W` argument: its `KEY[=VALUE]` pairs in order, keys checked.
#[derive(Clone, Debug)]
pub struct WasmOptions(Vec<(String, Option<String>)>);

/// Parses one `-W` argument; an unknown key is an error that names it.
pub fn parse_wasm_options(arg: &str) -> Result<WasmOptions, String> {
    let mut pairs = Vec::new();
    for item in arg.split(',').filter(|item| !item.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((key, value)) => (key, Some(value.to_owned())),
            None => (item, None),
        };
        let Some(known) = KEYS.iter().find(|k| k.name == key) else {
            return Err(format!(
                "unknown -W option `{key}` (`weft settings` lists the options)"
            ));
        };
        match (known.kind, &value) {
            (Kind::Value, None) => return Err(format!("-W {key} needs a value: `-W {key}=...`")),
            (Kind::Proposal(_) | Kind::Flag, Some(value)) => {
                parse_flag('W', key, value)?;
            }
            _ => {}
        }
        pairs.push((key.to_owned(), value));
    }
    Ok(WasmOptions(pairs))
}

/// `y`, `n`, `yes`, `no`, `true` or `false`, the value of `key` in the `-{group}` options.
pub(super) fn parse_flag(group: char, key: &str, value: &str) -> Result<bool, String> {
    match value {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => Err(format!(
            "invalid value `{value}` for -{group} {key}: use y, n, yes, no, true or false"
        )),
    }
}

/// What all the `-W` arguments of a command ask for, the last setting of a key winning.
#[derive(Default)]
pub struct WasmSettings {
    /// Proposals to turn on or off, in order.
    proposals: Vec<(ProposalSetter, bool)>,
    /// `-W fuel=N`.
    pub fuel: Option<u64>,
    /// `-W timeout=DURATION`.
    pub timeout: Option<Duration>,
    /// `-W max-memory-size=BYTES`.
    pub max_memory_size: Option<usize>,
    /// `-W max-table-elements=N`.
    pub max_table_elements: Option<usize>,
    /// `-W max-wasm-stack=BYTES`.
    pub max_wasm_stack: Option<usize>,
    /// `-W max-instances=N`.
    pub max_instances: Option<usize>,
    /// `-W max-tables=N`.
    pub max_tables: Option<usize>,
    /// `-W max-memories=N`.
    pub max_memories: Option<usize>,
    /// `-W trap-on-grow-failure`.
    pub trap_on_grow_failure: bool,
    /// `-W unknown-imports-trap`.
    pub unknown_imports_trap: bool,
    /// `-W unknown-imports-default`.
    pub unknown_imports_default: bool,
}

impl WasmSettings {
    /// Gathers `options`; a value that does not parse is an error naming its key.
    pub fn new(options: &[WasmOptions]) -> anyhow::Result<WasmSettings> {
        let mut settings = WasmSettings::default();
        for (key, value) in options.iter().flat_map(|o| &o.0) {
            let Some(known) = KEYS.iter().find(|k| k.name == key) else {
                continue;
            };
            let number = |value: &Option<String>| -> anyhow::Result<u64> {
                let value = value.as_deref().unwrap_or_default();
                value.parse::<u64>().map_err(|_| {
                    anyhow::anyhow!("invalid value `{value}` for -W {key}: not a number")
                })
            };
            let size = |value: &Option<String>| -> anyhow::Result<usize> {
                usize::try_from(number(value)?)
                    .map_err(|_| anyhow::anyhow!("-W {key} is too large for this machine"))
            };
            let flag = || -> anyhow::Result<bool> {
                match value {
                    Some(value) => parse_flag('W', key, value).map_err(anyhow::Error::msg),
                    None => Ok(true),
                }
            };
            match (known.kind, known.name) {
                (Kind::Proposal(set), _) => settings.proposals.push((set, flag()?)),
                (_, "fuel") => settings.fuel = Some(number(value)?),
                (_, "timeout") => {
                    let value = value.as_deref().unwrap_or_default();
                    let duration = super::run::parse_duration(value)
                        .map_err(|e| anyhow::anyhow!("-W timeout: {e}"))?;
                    settings.timeout = Some(duration);
                }
                (_, "max-memory-size") => settings.max_memory_size = Some(size(value)?),
                (_, "max-table-elements") => settings.max_table_elements = Some(size(value)?),
                (_, "max-wasm-stack") => settings.max_wasm_stack = Some(size(value)?),
                (_, "max-instances") => settings.max_instances = Some(size(value)?),
                (_, "max-tables") => settings.max_tables = Some(size(value)?),
                (_, "max-memories") => settings.max_memories = Some(size(value)?),
                (_, "trap-on-grow-failure") => settings.trap_on_grow_failure = flag()?,
                (_, "unknown-imports-trap") => settings.unknown_imports_trap = flag()?,
                (_, "unknown-imports-default") => settings.unknown_imports_default = flag()?,
                _ => {}
            }
        }
        Ok(settings)
    }

    /// Turns the asked-for proposals on or off in `config`.
    pub fn configure(&self, config: &mut weft::Config) {
        for (set, on) in &self.proposals {
            set(config, *on);
        }
    }

    /// The engine configuration of a run: the asked-for proposals, fuel metering if `fuel`,
    /// epoch interruption if `epoch`. `weft compile` and `weft run` share it, so that a
    /// module compiled with some options runs with the same ones.
    pub fn engine_config(&self, fuel: bool, epoch: bool) -> weft::Config {
        let mut config = weft::Config::new();
        config.consume_fuel(fuel).epoch_interruption(epoch);
        self.configure(&mut config);
        config
    }
}

/// The text of `weft settings`: every `-W` key with what it does, and the engine's defaults.
pub fn settings_text() -> String {
    let mut out = String::from("-W options (wasm settings), as `-W KEY[=VALUE][,...]`:\n");
    let width = KEYS.iter().map(|k| k.name.len()).max().unwrap_or(0);
    for key in KEYS {
        let shape = match key.kind {
            Kind::Value => "=N",
            Kind::Proposal(_) | Kind::Flag => "[=y|n]",
        };
        out.push_str(&format!(
            "  {:<w$}  {}\n",
            format!("{}{shape}", key.name),
            key.help,
            w = width + 6
        ));
    }
    let config = weft::Config::new();
    out.push_str(&format!("\nDefaults: {config:?}\n"));
    out.push_str(&format!(
        "Dispatch: {}\n",
        if cfg!(debug_assertions) {
            "trampoline (debug build)"
        } else {
            "handlers chained by tail calls (optimized build)"
        }
    ));
    out
}

/// Arguments of `weft settings`.
#[derive(clap::Args)]
pub struct SettingsCommand {}

impl SettingsCommand {
    /// Prints the settings.
    pub fn execute(self) -> anyhow::Result<std::process::ExitCode> {
        super::print_stdout(&settings_text())?;
        Ok(std::process::ExitCode::SUCCESS)
    }
}
