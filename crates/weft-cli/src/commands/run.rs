//! `weft run`: runs a WebAssembly module with WASI preview 1, or a component with WASI 0.2.
//!
//! Behaves like `wasmtime run` for core modules: the module is instantiated with
//! `wasi_snapshot_preview1` in its linker, `_initialize` runs if exported, then the function
//! named by `--invoke`, or else the default export (`""` or `_start`) if there is one. The
//! exit status is the guest's `proc_exit` status; a trap prints the trap and its wasm
//! backtrace and exits with 134 (what a process killed by `SIGABRT` reports, as Wasmtime does
//! on Unix); any other error exits with 1.
//!
//! A file whose header says it is a component (or a `.wat` file holding a `(component ...)`)
//! is instantiated with WASI 0.2 in its linker and its `wasi:cli/run` export is called:
//! `run` returning `ok` or `wasi:cli/exit.exit(ok)` exit with 0, `run` returning `err` or
//! `exit(err)` with 1, `exit-with-code(n)` with `n`. Traps and the limits (`--fuel`,
//! `--timeout`, `--max-memory-size`, `--max-wasm-stack`) are reported as for modules. With
//! `--invoke 'name(args)'` the component's export `name` is called instead, with the same
//! WASI 0.2 definitions.

use anyhow::{Context as _, anyhow, bail};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use weft::component::ResourceTable;
use weft::{
    Engine, Func, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, TrapCode, Val, ValType,
};
use weft_wasi::p2::{WasiCtxView, WasiView};
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

    /// A WASI option, with Wasmtime's names (repeatable)
    ///
    /// `-S inherit-network` lets the guest use the host's network (TCP and UDP, any
    /// address), `-S allow-ip-name-lookup` lets it resolve names, `-S tcp=n` / `-S udp=n`
    /// deny TCP / UDP sockets (allowed by default, though no address is without
    /// `inherit-network`), `-S inherit-env` passes on this process's whole environment,
    /// `-S tcplisten=ADDR` is `--tcplisten ADDR`. A boolean takes `y`, `yes`, `true`, `n`,
    /// `no` or `false`, and is `true` without a value; several options may be given at once,
    /// separated by commas.
    #[arg(short = 'S', value_name = "KEY[=VALUE]", value_parser = parse_wasi_options)]
    wasi_options: Vec<WasiOptions>,

    /// Grant a preview 1 module a TCP socket listening on ADDR (repeatable)
    ///
    /// The host binds it (e.g. `127.0.0.1:8080`) and the guest accepts connections on it
    /// with `sock_accept`; it is the descriptor after the `--dir` directories.
    #[arg(long = "tcplisten", value_name = "ADDR")]
    tcplisten: Vec<String>,

    /// Call the exported function NAME instead of `_start`
    ///
    /// Its parameters are taken from ARGS (integers in decimal or `0x` hexadecimal, floats
    /// in decimal) and each result is printed on its own line. For a component, NAME is a
    /// call in WAVE syntax, e.g. `--invoke 'greet("you", [1, 2])'`, and the results are
    /// printed in WAVE; the component gets WASI 0.2 with the arguments, `--env` and `--dir`
    /// grants of the run.
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
    /// Checked at function entries and loop back-edges (epoch interruption), and by WASI
    /// calls that wait (`poll_oneoff`, reads from stdin or a socket).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,

    /// The most bytes any one linear memory may grow to; `memory.grow` beyond it returns -1
    #[arg(long, value_name = "BYTES")]
    max_memory_size: Option<usize>,

    /// The most elements any one table may grow to; `table.grow` beyond it returns -1
    #[arg(long, value_name = "N")]
    max_table_elements: Option<usize>,

    /// The most bytes of stack WebAssembly execution may use [default: 524288]
    ///
    /// Deeper recursion traps with "call stack exhausted".
    #[arg(long, value_name = "BYTES")]
    max_wasm_stack: Option<usize>,

    /// Wasm options, with the names `wasmtime run -W` uses (repeatable)
    ///
    /// `-W fuel=N,timeout=1s,max-memory-size=BYTES,max-wasm-stack=BYTES,...`, and each
    /// proposal as `-W bulk-memory=n`. `weft settings` lists every option.
    #[arg(short = 'W', value_name = "KEY[=VALUE]", value_parser = super::options::parse_wasm_options)]
    wasm: Vec<super::options::WasmOptions>,

    /// Instantiate the module at PATH first and define its exports under NAME (repeatable)
    ///
    /// The main module can then import them as `NAME::export`. The preloaded module gets
    /// WASI preview 1 too; a command module (one exporting `_start`) gets a fresh instance
    /// for each call, as `wasmtime run --preload` does.
    #[arg(long = "preload", value_name = "NAME=PATH", value_parser = parse_preload)]
    preloads: Vec<(String, PathBuf)>,

    /// Allow running a module precompiled by `weft compile` (a `.cwasm` file)
    ///
    /// A precompiled module is verified when it is loaded, and it must have been compiled
    /// with the same `-W` proposals and the same use of fuel and timeouts as this run.
    #[arg(long)]
    allow_precompiled: bool,

    /// The module to run: a binary `.wasm` file, a `.wat` text file, or a `.cwasm` file
    /// precompiled by `weft compile` (with `--allow-precompiled`)
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

/// One `-S` option.
#[derive(Clone, Debug)]
enum WasiOption {
    InheritNetwork(bool),
    AllowIpNameLookup(bool),
    Tcp(bool),
    Udp(bool),
    InheritEnv(bool),
    TcpListen(String),
}

/// The options of one `-S KEY[=VALUE][,KEY[=VALUE]...]`.
#[derive(Clone, Debug)]
struct WasiOptions(Vec<WasiOption>);

/// The keys `-S` knows.
const WASI_KEYS: &str = "inherit-network, allow-ip-name-lookup, tcp, udp, inherit-env, tcplisten";

/// `KEY[=VALUE][,KEY[=VALUE]...]` of `-S`: an error names an unknown key or a bad value.
fn parse_wasi_options(arg: &str) -> Result<WasiOptions, String> {
    let mut options = Vec::new();
    for item in arg.split(',').filter(|item| !item.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (item, None),
        };
        let flag = || value.map_or(Ok(true), |v| super::options::parse_flag('S', key, v));
        options.push(match key {
            "inherit-network" => WasiOption::InheritNetwork(flag()?),
            "allow-ip-name-lookup" => WasiOption::AllowIpNameLookup(flag()?),
            "tcp" => WasiOption::Tcp(flag()?),
            "udp" => WasiOption::Udp(flag()?),
            "inherit-env" => WasiOption::InheritEnv(flag()?),
            "tcplisten" => match value {
                Some(addr) if !addr.is_empty() => WasiOption::TcpListen(addr.to_owned()),
                _ => return Err("-S tcplisten needs an address: `-S tcplisten=ADDR`".into()),
            },
            _ => return Err(format!("unknown -S option `{key}` (known: {WASI_KEYS})")),
        });
    }
    Ok(WasiOptions(options))
}

/// `500ms`, `1s`, `2m`, `1h`, or a plain number of seconds (decimals and exponents
/// allowed: `1.5s`, `1e3ms`).
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    // No unit starts with `e`, so an exponent stays with the number.
    let split = s
        .find(|c: char| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "invalid duration `{s}`: it starts with a number (e.g. `10s`, `500ms`)"
        ));
    }
    let number: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration `{s}`: `{number}` is not a number"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "us" => number / 1_000_000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit `{unit}` in `{s}` (use us, ms, s, m or h)"
            ));
        }
    };
    if seconds.is_infinite() || seconds > Duration::MAX.as_secs_f64() {
        return Err(format!(
            "duration `{s}` is out of range: the most is {} seconds",
            Duration::MAX.as_secs()
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("invalid duration `{s}`: {e}"))
}

/// What the store holds: the WASI context, the table of WASI 0.2 resources and the
/// `--max-memory-size` and `--max-table-elements` limits.
pub struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Whether `bytes` hold a component rather than a core module: the binary header's layer
/// field, a text file whose first form is `(component`, or a component precompiled by
/// `weft compile`.
pub(super) fn is_component(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\0weft-c") {
        return true; // precompiled by `weft compile`
    }
    if let Some(header) = bytes.get(..8)
        && header.starts_with(b"\0asm")
    {
        return header.get(6..8) == Some(&[1, 0]);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut rest = text.trim_start();
    // Skip line and block comments before the first form.
    loop {
        if let Some(after) = rest.strip_prefix(";;") {
            rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("(;") {
            rest = after.split_once(";)").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    rest.strip_prefix('(')
        .is_some_and(|r| r.trim_start().starts_with("component"))
}

/// `NAME=PATH`.
fn parse_preload(s: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(path)))
        }
        _ => Err(format!("invalid --preload `{s}`: use NAME=PATH")),
    }
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
    pub fn execute(mut self) -> anyhow::Result<ExitCode> {
        let settings = super::options::WasmSettings::new(&self.wasm)?;
        // `-W` and the long options set the same things; `-W` wins, as it comes from the
        // same command line and Wasmtime only has `-W`.
        self.fuel = settings.fuel.or(self.fuel);
        self.timeout = settings.timeout.or(self.timeout);
        self.max_memory_size = settings.max_memory_size.or(self.max_memory_size);
        self.max_table_elements = settings.max_table_elements.or(self.max_table_elements);
        self.max_wasm_stack = settings.max_wasm_stack.or(self.max_wasm_stack);
        let mut config = settings.engine_config(self.fuel.is_some(), self.timeout.is_some());
        if let Some(bytes) = self.max_wasm_stack {
            config.max_wasm_stack(bytes);
        }
        let engine = Engine::new(&config).context("invalid -W options")?;
        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("failed to open wasm module {:?}", self.file))?;
        let component = is_component(&bytes);
        let mut wasi = self.wasi_ctx(component)?;
        // A guest waiting in a WASI call does not reach an epoch check: the same deadline
        // ends its wait.
        wasi.set_deadline(
            self.timeout
                .and_then(|timeout| Instant::now().checked_add(timeout)),
        );
        let mut limits = StoreLimitsBuilder::new();
        if let Some(bytes) = self.max_memory_size {
            limits = limits.memory_size(bytes);
        }
        if let Some(elements) = self.max_table_elements {
            limits = limits.table_elements(elements);
        }
        if let Some(count) = settings.max_instances {
            limits = limits.instances(count);
        }
        if let Some(count) = settings.max_tables {
            limits = limits.tables(count);
        }
        if let Some(count) = settings.max_memories {
            limits = limits.memories(count);
        }
        limits = limits.trap_on_grow_failure(settings.trap_on_grow_failure);
        let mut store = Store::new(
            &engine,
            Host {
                wasi,
                table: ResourceTable::new(),
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

        if component && !self.preloads.is_empty() {
            bail!("--preload is for core modules; a component imports other components instead");
        }
        if let Some(invoke) = &self.invoke
            && component
        {
            let mut linker = weft::component::Linker::<Host>::new(&engine);
            weft_wasi::p2::add_to_linker_sync(&mut linker)?;
            if let Some(code) = super::invoke::run_component(
                &mut store,
                &mut linker,
                &self.file,
                invoke,
                self.allow_precompiled,
            )? {
                return Ok(code);
            }
        }
        let outcome = if component {
            self.run_component(&engine, &mut store, &bytes)
        } else {
            self.run_module(&engine, &mut store, &bytes, &settings)
                .map(|()| ExitCode::SUCCESS)
        };
        match outcome {
            Ok(status) => Ok(status),
            Err(error) => {
                if let Some(exit) = error.downcast_ref::<I32Exit>() {
                    return Ok(ExitCode::from(u8::try_from(exit.0).unwrap_or(1)));
                }
                let trap_code = error.downcast_ref::<TrapCode>().copied();
                let is_trap = trap_code.is_some();
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
                    super::print_stderr(&format!("Error: {}\n", super::error_report(&error)));
                    return Ok(ExitCode::from(TRAP_STATUS));
                }
                Err(error)
            }
        }
    }

    /// The WASI context: arguments, `--env` variables, inherited stdio, `--dir` grants,
    /// `-S` options and `--tcplisten` sockets (for a module; a component cannot be given
    /// one, as with Wasmtime).
    fn wasi_ctx(&self, component: bool) -> anyhow::Result<WasiCtx> {
        let mut builder = WasiCtxBuilder::new();
        builder.inherit_stdio();
        // As Wasmtime: TCP and UDP are allowed, but no address until `inherit-network`.
        let (mut network, mut lookup, mut tcp, mut udp) = (false, false, true, true);
        let mut listen = self.tcplisten.clone();
        for option in self.wasi_options.iter().flat_map(|o| &o.0) {
            match option {
                WasiOption::InheritNetwork(on) => network = *on,
                WasiOption::AllowIpNameLookup(on) => lookup = *on,
                WasiOption::Tcp(on) => tcp = *on,
                WasiOption::Udp(on) => udp = *on,
                WasiOption::InheritEnv(true) => {
                    builder.inherit_env();
                }
                WasiOption::InheritEnv(false) => {}
                WasiOption::TcpListen(addr) => listen.push(addr.clone()),
            }
        }
        if network {
            builder.inherit_network();
        }
        builder
            .allow_ip_name_lookup(lookup)
            .allow_tcp(tcp)
            .allow_udp(udp);
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
        if component && !listen.is_empty() {
            bail!("--tcplisten is not supported for components: WASI 0.2 has no preopened sockets");
        }
        for addr in &listen {
            let listener = std::net::TcpListener::bind(addr)
                .with_context(|| format!("failed to listen on `{addr}`"))?;
            builder.preopened_tcp_listener(listener);
        }
        Ok(builder.build())
    }

    /// Instantiates the component with WASI 0.2 and calls its `wasi:cli/run`.
    fn run_component(
        &self,
        engine: &Engine,
        store: &mut Store<Host>,
        bytes: &[u8],
    ) -> anyhow::Result<ExitCode> {
        let component = super::invoke::load_component(engine, bytes, self.allow_precompiled)
            .with_context(|| format!("failed to compile component {:?}", self.file))?;
        let mut linker = weft::component::Linker::<Host>::new(engine);
        weft_wasi::p2::add_to_linker_sync(&mut linker)?;
        let instance = linker
            .instantiate(&mut *store, &component)
            .with_context(|| format!("failed to instantiate {:?}", self.file))?;
        match weft_wasi::p2::call_run(&mut *store, &instance)? {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(()) => Ok(ExitCode::FAILURE),
        }
    }

    /// Compiles a module from `bytes` (binary or text), or loads it if it is precompiled and
    /// `--allow-precompiled` was given.
    fn load_module(&self, engine: &Engine, bytes: &[u8]) -> anyhow::Result<Module> {
        if engine.detect_precompiled(bytes).is_none() {
            return Module::new(engine, bytes);
        }
        if !self.allow_precompiled {
            bail!("running a precompiled module requires the `--allow-precompiled` flag");
        }
        // SAFETY: none needed: Weft verifies a precompiled module before using it, and the
        // function is `unsafe` only to keep Wasmtime's signature.
        #[allow(
            unsafe_code,
            reason = "`Module::deserialize` has Wasmtime's unsafe signature"
        )]
        let module = unsafe { Module::deserialize(engine, bytes) }?;
        Ok(module)
    }

    /// Compiles the module, instantiates it with WASI preview 1 and calls its entry point.
    fn run_module(
        &self,
        engine: &Engine,
        store: &mut Store<Host>,
        bytes: &[u8],
        settings: &super::options::WasmSettings,
    ) -> anyhow::Result<()> {
        let module = self
            .load_module(engine, bytes)
            .with_context(|| format!("failed to compile wasm module {:?}", self.file))?;
        let mut linker: Linker<Host> = Linker::new(engine);
        weft_wasi::p1::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)?;
        for (name, path) in &self.preloads {
            let preload = std::fs::read(path)
                .map_err(anyhow::Error::from)
                .and_then(|bytes| self.load_module(engine, &bytes))
                .with_context(|| format!("failed to compile preloaded module {path:?}"))?;
            linker
                .module(&mut *store, name, &preload)
                .with_context(|| format!("failed to preload {path:?} as `{name}`"))?;
        }
        if settings.unknown_imports_trap {
            linker.define_unknown_imports_as_traps(&module)?;
        }
        if settings.unknown_imports_default {
            linker.define_unknown_imports_as_default_values(&mut *store, &module)?;
        }
        let linker = &linker;
        let module = &module;
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
        let params_ty = ty.params();
        // Only `--invoke` takes its parameters from ARGS; a command's ARGS are its own.
        if self.invoke.is_some() && self.args.len() != params_ty.len() {
            let types: Vec<String> = params_ty.iter().map(ToString::to_string).collect();
            bail!(
                "{what} takes {} argument{} ({}) but {} {} given",
                params_ty.len(),
                if params_ty.len() == 1 { "" } else { "s" },
                types.join(", "),
                self.args.len(),
                if self.args.len() == 1 { "was" } else { "were" },
            );
        }
        let mut params = Vec::with_capacity(params_ty.len());
        for (index, (param, arg)) in params_ty.iter().zip(&self.args).enumerate() {
            let position = index + 1;
            let arg = arg.to_str().ok_or_else(|| {
                anyhow!("argument {position} (index {index}) of {what} is not valid UTF-8: {arg:?}")
            })?;
            let value = parse_param(*param, arg).with_context(|| {
                format!(
                    "invalid argument {position} (index {index}) of {what}: \
                     `{arg}` is not a valid {param}"
                )
            })?;
            params.push(value);
        }
        if params.len() < params_ty.len() {
            bail!("not enough arguments for {what}");
        }
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|ty| Val::default_for(*ty))
            .collect();
        func.call(&mut *store, &params, &mut results)
            .with_context(|| format!("failed to invoke {what}"))?;
        let mut out = String::new();
        for result in results {
            let line = match result {
                Val::I32(v) => v.to_string(),
                Val::I64(v) => v.to_string(),
                Val::F32(bits) => f32::from_bits(bits).to_string(),
                Val::F64(bits) => f64::from_bits(bits).to_string(),
                Val::FuncRef(None) => "<null funcref>".to_owned(),
                Val::FuncRef(Some(_)) => "<funcref>".to_owned(),
                Val::ExternRef(None) => "<null externref>".to_owned(),
                Val::ExternRef(Some(_)) => "<externref>".to_owned(),
                #[allow(unreachable_patterns, reason = "`Val` may gain variants")]
                other => format!("{other:?}"),
            };
            out.push_str(&line);
            out.push('\n');
        }
        super::print_stdout(&out)
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
