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
use weft::{Engine, Func, Linker, Module, Store, Val, ValType};
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
    /// in decimal) and each result is printed on its own line.
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// The program name the guest sees as its first argument [default: FILE as given]
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,

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
        let engine = Engine::default();
        let module = Module::from_file(&engine, &self.file)
            .with_context(|| format!("failed to open wasm module {:?}", self.file))?;
        let wasi = self.wasi_ctx()?;
        let mut linker: Linker<WasiCtx> = Linker::new(&engine);
        weft_wasi::p1::add_to_linker(&mut linker, |cx| cx)?;
        let mut store = Store::new(&engine, wasi);

        match self.run_module(&linker, &mut store, &module) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(error) => {
                let weft_error = error.chain().find_map(|e| e.downcast_ref::<weft::Error>());
                if let Some(exit) = weft_error.and_then(|e| e.downcast_ref::<I32Exit>()) {
                    return Ok(ExitCode::from(u8::try_from(exit.0).unwrap_or(1)));
                }
                let is_trap = weft_error.is_some_and(|e| e.as_trap().is_some());
                let error = error.context(format!(
                    "failed to run main module `{}`",
                    self.file.display()
                ));
                if is_trap {
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
        linker: &Linker<WasiCtx>,
        store: &mut Store<WasiCtx>,
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
                    .ok_or_else(|| anyhow!("no func export named `{name}` found"))?,
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
    fn invoke_func(&self, store: &mut Store<WasiCtx>, func: Func) -> anyhow::Result<()> {
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
