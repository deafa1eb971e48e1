//! `weft run`: runs a WebAssembly module, with WASI preview 1.
//!
//! Behaves like `wasmtime run` for core modules: the module is instantiated with
//! `wasi_snapshot_preview1` in its linker, `_initialize` runs if exported, then the function
//! named by `--invoke`, or else the default export (`""` or `_start`) if there is one. The
//! exit status is the guest's `proc_exit` status; a trap prints the trap and its wasm
//! backtrace and exits with 134 (what a process killed by `SIGABRT` reports, as Wasmtime does
//! on Unix); any other error exits with 1.

use anyhow::{Context as _, anyhow, bail};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use weft::{
    Config, Engine, Func, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, TrapCode, Val,
    ValType,
};
use weft_wasi::{DirPerms, FilePerms, I32Exit, WasiCtx, WasiCtxBuilder};

/// The status of a process ended by `SIGABRT`, which a trap reports.
const TRAP_STATUS: u8 = 134;

/// Arguments of `weft run`.
#[derive(clap::Args)]
pub struct RunCommand {
    /// Grant the guest a host directory (repeatable)
    ///
    /// `HOST` is seen under the same name in the guest; `HOST::GUEST` shows it as `GUEST`.
    /// The guest can read and write in it but cannot reach outside it: no `..`, absolute
    /// path or symlink leads out.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = parse_dir)]
    dirs: Vec<(String, String)>,

    /// Set an environment variable for the guest (repeatable)
    ///
    /// `NAME=VALUE` sets it; `NAME` alone passes on the variable's value in this process
    /// (nothing if it is not set). The guest sees no other variable.
    #[arg(long = "env", value_name = "NAME[=VALUE]", value_parser = parse_env)]
    envs: Vec<(String, Option<String>)>,

    /// Call the exported function NAME instead of `_start`
    ///
    /// Its parameters are taken from ARGS (integers in decimal or `0x` hexadecimal, floats
    /// in decimal) and each result is printed on its own line. For a component, NAME is a
    /// call in WAVE syntax, e.g. `--invoke 'greet("you", [1, 2])'`, and the results are
    /// printed in WAVE.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// The program name the guest sees as its first argument [default: FILE as given]
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,

    /// Give the guest N units of fuel; it traps when they are used up
    ///
    /// One unit is one WebAssembly operator, charged when the block holding it starts (see
    /// `weft::Config::consume_fuel`).
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,

    /// Interrupt the guest after DURATION of wall time (e.g. `1s`, `500ms`, `2m`)
    ///
    /// Checked at function entries and loop back-edges (epoch interruption).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,

    /// The most bytes any one linear memory may grow to; `memory.grow` beyond it returns -1
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<usize>,

    /// The most bytes of stack WebAssembly execution may use [default: 524288]
    ///
    /// Deeper recursion traps with "call stack exhausted".
    #[arg(long, value_name = "BYTES")]
    max_wasm_stack: Option<usize>,

    /// The module to run: a binary `.wasm` file or a `.wat` text file
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Arguments for the guest (or, with `--invoke`, for the function)
    ///
    /// Everything after FILE is passed on, including what looks like an option.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<OsString>,
}

/// `500ms`, `1s`, `2m`, `1h`, or a plain number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration `{s}`"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "us" => number / 1_000_000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in `{s}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

/// What the store holds: the WASI context and the `--max-memory-size` limits.
pub struct Host {
    wasi: WasiCtx,
    limits: StoreLimits,
}

/// `HOST` or `HOST::GUEST`.
fn parse_dir(s: &str) -> Result<(String, String), String> {
    match s.split_once("::") {
        Some((host, guest)) => Ok((host.to_owned(), guest.to_owned())),
        None => Ok((s.to_owned(), s.to_owned())),
    }
}

/// `NAME=VALUE` or `NAME`.
fn parse_env(s: &str) -> Result<(String, Option<String>), String> {
    let (name, value) = match s.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (s, None),
    };
    if name.is_empty() {
        return Err("an environment variable needs a name".to_owned());
    }
    Ok((name.to_owned(), value))
}

impl RunCommand {
    /// Runs the module; returns the process's exit status.
    pub fn execute(self) -> anyhow::Result<ExitCode> {
        let mut config = Config::new();
        config.consume_fuel(self.fuel.is_some());
        config.epoch_interruption(self.timeout.is_some());
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        let engine = Engine::new(&config)?;
        if let Some(invoke) = &self.invoke
            && let Some(code) =
                super::invoke::run_component(&engine, &self.file, invoke, self.fuel, self.timeout)?
        {
            return Ok(code);
        }
        let module = Module::from_file(&engine, &self.file)
            .with_context(|| format!("failed to open wasm module {:?}", self.file))?;
        let wasi = self.wasi_ctx()?;
        let mut linker: Linker<Host> = Linker::new(&engine);
        weft_wasi::p1::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)?;
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory_size {
            limits = limits.memory_size(bytes);
        }
        let mut store = Store::new(
            &engine,
            Host {
                wasi,
                limits: limits.build(),
            },
        );
        store.limiter(|host| &mut host.limits);
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel)?;
        }
        if let Some(timeout) = self.timeout {
            store.set_epoch_deadline(1);
            let ticker = engine.clone();
            // The timer thread is detached: the process ends with the guest.
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                ticker.increment_epoch();
            });
        }

        match self.run_module(&linker, &mut store, &module) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(error) => {
                let weft_error = error.chain().find_map(|e| e.downcast_ref::<weft::Error>());
                if let Some(exit) = weft_error.and_then(|e| e.downcast_ref::<I32Exit>()) {
                    return Ok(ExitCode::from(u8::try_from(exit.0).unwrap_or(1)));
                }
                let is_trap = weft_error.is_some_and(|e| e.as_trap().is_some());
                let trap_code = weft_error.and_then(weft::Error::trap_code);
                let error = error.context(format!(
                    "failed to run main module `{}`",
                    self.file.display()
                ));
                if is_trap {
                    let limit = match trap_code {
                        Some(TrapCode::OutOfFuel) => self
                            .fuel
                            .map(|n| format!("the --fuel limit of {n} units was reached")),
                        Some(TrapCode::Interrupt) => self
                            .timeout
                            .map(|t| format!("the --timeout of {t:?} expired")),
                        Some(TrapCode::StackOverflow) => Some(format!(
                            "the wasm stack limit of {} bytes (--max-wasm-stack) was exceeded",
                            self.max_wasm_stack.unwrap_or(512 * 1024)
                        )),
                        _ => None,
                    };
                    let error = match limit {
                        Some(limit) => error.context(limit),
                        None => error,
                    };
                    eprintln!("Error: {error:?}");
                    return Ok(ExitCode::from(TRAP_STATUS));
                }
                Err(error)
            }
        }
    }

    /// The WASI context: arguments, `--env` variables, inherited stdio and `--dir` grants.
    fn wasi_ctx(&self) -> anyhow::Result<WasiCtx> {
        let mut builder = WasiCtxBuilder::new();
        builder.inherit_stdio();
        let argv0 = match &self.argv0 {
            Some(name) => name.clone(),
            None => self.file.to_string_lossy().into_owned(),
        };
        builder.arg(argv0);
        for arg in &self.args {
            let arg = arg
                .to_str()
                .ok_or_else(|| anyhow!("argument is not valid UTF-8: {arg:?}"))?;
            builder.arg(arg);
        }
        for (name, value) in &self.envs {
            let value = match value {
                Some(value) => value.clone(),
                None => match std::env::var_os(name) {
                    Some(value) => value
                        .into_string()
                        .map_err(|_| anyhow!("environment variable `{name}` is not valid UTF-8"))?,
                    // Not set here: not set in the guest either.
                    None => continue,
                },
            };
            builder.env(name, value);
        }
        for (host, guest) in &self.dirs {
            builder
                .preopened_dir(host, guest, DirPerms::all(), FilePerms::all())
                .with_context(|| format!("failed to open directory `{host}`"))?;
        }
        Ok(builder.build())
    }

    /// Instantiates the module and calls its entry point.
    fn run_module(
        &self,
        linker: &Linker<Host>,
        store: &mut Store<Host>,
        module: &Module,
    ) -> anyhow::Result<()> {
        let instance = linker
            .instantiate(&mut *store, module)
            .with_context(|| format!("failed to instantiate {:?}", self.file))?;
        if let Some(init) = instance.get_func(&mut *store, "_initialize") {
            init.call(&mut *store, &[], &mut [])?;
        }
        let func = match &self.invoke {
            Some(name) => Some(
                instance
                    .get_func(&mut *store, name)
                    .ok_or_else(|| super::invoke::core_export_missing(name))?,
            ),
            None => instance
                .get_func(&mut *store, "")
                .or_else(|| instance.get_func(&mut *store, "_start")),
        };
        // A module with no entry point is only instantiated, as Wasmtime does.
        match func {
            Some(func) => self.invoke_func(store, func),
            None => Ok(()),
        }
    }

    /// Calls `func` with arguments parsed from the command line and prints its results.
    fn invoke_func(&self, store: &mut Store<Host>, func: Func) -> anyhow::Result<()> {
        let ty = func.ty(&*store);
        let what = match &self.invoke {
            Some(name) => format!("`{name}`"),
            None => "command default".to_owned(),
        };
        let mut args = self.args.iter();
        let mut params = Vec::with_capacity(ty.params().len());
        for param in ty.params() {
            let Some(arg) = args.next() else {
                bail!("not enough arguments for {what}");
            };
            let arg = arg
                .to_str()
                .ok_or_else(|| anyhow!("argument is not valid utf-8: {arg:?}"))?;
            params.push(parse_param(*param, arg)?);
        }
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|ty| Val::default_for(*ty))
            .collect();
        func.call(&mut *store, &params, &mut results)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("failed to invoke {what}"))?;
        for result in results {
            match result {
                Val::I32(v) => println!("{v}"),
                Val::I64(v) => println!("{v}"),
                Val::F32(bits) => println!("{}", f32::from_bits(bits)),
                Val::F64(bits) => println!("{}", f64::from_bits(bits)),
                Val::FuncRef(None) => println!("<null funcref>"),
                Val::FuncRef(Some(_)) => println!("<funcref>"),
                Val::ExternRef(None) => println!("<null externref>"),
                Val::ExternRef(Some(_)) => println!("<externref>"),
                #[allow(unreachable_patterns, reason = "`Val` may gain variants")]
                other => println!("{other:?}"),
            }
        }
        Ok(())
    }
}

/// A command-line argument as a value of type `ty`.
fn parse_param(ty: ValType, arg: &str) -> anyhow::Result<Val> {
    let hex = arg.strip_prefix("0x").or_else(|| arg.strip_prefix("0X"));
    Ok(match ty {
        ValType::I32 => Val::I32(match hex {
            Some(digits) => i32::from_str_radix(digits, 16)?,
            None => arg.parse::<i32>()?,
        }),
        ValType::I64 => Val::I64(match hex {
            Some(digits) => i64::from_str_radix(digits, 16)?,
            None => arg.parse::<i64>()?,
        }),
        ValType::F32 => Val::F32(arg.parse::<f32>()?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>()?.to_bits()),
        other => bail!("unsupported argument type {other}"),
    })
}
