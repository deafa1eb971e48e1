//! The WASI suite: the same programs run as WASI preview 1 core modules and as WASI 0.2
//! components, on Weft (`weft-wasi`) and on Wasmtime 48 (`wasmtime-wasi`).
//!
//! - **startup**: `fixtures/wasm/hello.wasm` (preview 1) and `fixtures/p2/wasm/hello.wasm`
//!   (the same Rust program built for `wasm32-wasip2`), each round from the bytes: compile,
//!   link WASI, instantiate, run (what `weft run` / `wasmtime run` do). Timed again without
//!   the compilation (the module or component compiled once): link, instantiate, run.
//! - **copy**: `benches/wasm/wasi/copy-p1.wasm` and `copy-p2.wasm` (source in
//!   `benches/wasi/copy`, built by `benches/build-wasi.sh`) copy a 64 MiB file in 64 KiB
//!   reads and writes: `fd_read` / `fd_write` as a module, `wasi:filesystem` and
//!   `wasi:io/streams` as a component. Compiled once; each round links, instantiates and runs.
//!   The output file is checked against the input.
//!
//! The ratios printed are per engine: component time / module time for startup (the goal
//! for Weft: at most 1.5), and module time / component time for the copy, i.e. the
//! component's speed as a fraction of the module's (the goal: at least 0.8).

use crate::component::wasmtime_cm::Backend;
use crate::engines::EngineKind;
use crate::report::format_duration;
use crate::{guarded, median};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bytes the copy benchmark copies.
const COPY_BYTES: usize = 64 << 20;

/// Default engines of the suite.
pub const DEFAULT: [EngineKind; 2] = [EngineKind::Weft, EngineKind::Cranelift];

/// Which flavour of a program.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wasi {
    /// A preview 1 core module.
    P1,
    /// A WASI 0.2 component.
    P2,
}

/// The programs' bytes, read once.
pub struct Programs {
    hello: [Vec<u8>; 2],
    copy: [Vec<u8>; 2],
}

impl Programs {
    fn read() -> Result<Programs, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let read = |path: PathBuf| {
            std::fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))
        };
        Ok(Programs {
            hello: [
                read(root.join("fixtures/wasm/hello.wasm"))?,
                read(root.join("fixtures/p2/wasm/hello.wasm"))?,
            ],
            copy: [
                read(root.join("benches/wasm/wasi/copy-p1.wasm"))?,
                read(root.join("benches/wasm/wasi/copy-p2.wasm"))?,
            ],
        })
    }

    /// The bytes of `hello` (`copy` false) or `copy`, as `wasi`.
    pub fn bytes(&self, copy: bool, wasi: Wasi) -> &[u8] {
        let i = usize::from(wasi == Wasi::P2);
        if copy { &self.copy[i] } else { &self.hello[i] }
    }
}

/// What one run of a program printed on stdout.
pub type Stdout = Vec<u8>;

/// One engine with WASI: compiles modules and components, and runs them with a fresh store
/// and linker each time.
pub trait WasiEngine {
    /// A compiled preview 1 module.
    type Module;
    /// A compiled WASI 0.2 component.
    type Component;
    fn module(&self, bytes: &[u8]) -> Result<Self::Module, String>;
    fn component(&self, bytes: &[u8]) -> Result<Self::Component, String>;
    /// Links WASI preview 1 (with `args`, stdout captured, `dir` preopened as `/data`),
    /// instantiates `module`, runs `_start`; returns stdout.
    fn run_module(
        &self,
        module: &Self::Module,
        dir: Option<&Path>,
        args: &[&str],
    ) -> Result<Stdout, String>;
    /// The same with WASI 0.2, calling `wasi:cli/run`.
    fn run_component(
        &self,
        component: &Self::Component,
        dir: Option<&Path>,
        args: &[&str],
    ) -> Result<Stdout, String>;
}

/// A [`WasiEngine`] and the programs last compiled with it.
struct Runner<E: WasiEngine> {
    engine: E,
    module: Option<E::Module>,
    component: Option<E::Component>,
}

impl<E: WasiEngine> Runner<E> {
    fn boxed(engine: E) -> Box<Self> {
        Box::new(Runner {
            engine,
            module: None,
            component: None,
        })
    }
}

/// One engine with WASI and the programs last compiled with it ([`Runner`] without its
/// engine type).
pub trait WasiRuntime {
    /// Compiles `bytes` as `wasi`, keeping it for [`WasiRuntime::warm`] (not timed).
    fn compile(&mut self, wasi: Wasi, bytes: &[u8]) -> Result<(), String>;

    /// Compiles `bytes`, links WASI, instantiates and runs the program with `args`;
    /// returns the time of all that and its stdout.
    fn cold(
        &mut self,
        wasi: Wasi,
        bytes: &[u8],
        args: &[&str],
    ) -> Result<(Duration, Stdout), String>;

    /// Links WASI with `dir` preopened as `/data`, instantiates the program last compiled
    /// for `wasi` and runs it with `args`; returns the time and its stdout.
    fn warm(&mut self, wasi: Wasi, dir: &Path, args: &[&str])
    -> Result<(Duration, Stdout), String>;
}

impl<E: WasiEngine> WasiRuntime for Runner<E> {
    fn compile(&mut self, wasi: Wasi, bytes: &[u8]) -> Result<(), String> {
        match wasi {
            Wasi::P1 => self.module = Some(self.engine.module(bytes)?),
            Wasi::P2 => self.component = Some(self.engine.component(bytes)?),
        }
        Ok(())
    }

    fn cold(
        &mut self,
        wasi: Wasi,
        bytes: &[u8],
        args: &[&str],
    ) -> Result<(Duration, Stdout), String> {
        let start = Instant::now();
        let out = match wasi {
            Wasi::P1 => self
                .engine
                .run_module(&self.engine.module(bytes)?, None, args)?,
            Wasi::P2 => self
                .engine
                .run_component(&self.engine.component(bytes)?, None, args)?,
        };
        Ok((start.elapsed(), out))
    }

    fn warm(
        &mut self,
        wasi: Wasi,
        dir: &Path,
        args: &[&str],
    ) -> Result<(Duration, Stdout), String> {
        let start = Instant::now();
        let out = match wasi {
            Wasi::P1 => {
                let module = self.module.as_ref().ok_or("not compiled")?;
                self.engine.run_module(module, Some(dir), args)?
            }
            Wasi::P2 => {
                let component = self.component.as_ref().ok_or("not compiled")?;
                self.engine.run_component(component, Some(dir), args)?
            }
        };
        Ok((start.elapsed(), out))
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or("error").to_string()
}

fn create(kind: EngineKind) -> Result<Box<dyn WasiRuntime>, String> {
    match kind {
        EngineKind::Weft => weft_wasi_rt::create(false),
        EngineKind::WeftLazy => weft_wasi_rt::create(true),
        EngineKind::Cranelift => wasmtime_wasi_rt::create(Backend::Cranelift),
        EngineKind::Winch => wasmtime_wasi_rt::create(Backend::Winch),
        EngineKind::Pulley => wasmtime_wasi_rt::create(Backend::Pulley),
        other => Err(format!("`{}` has no WASI 0.2 support here", other.name())),
    }
}

/// The rows measured: (name, program is `copy`, flavour, compiled once).
const ROWS: [(&str, bool, Wasi, bool); 6] = [
    (
        "hello startup (compile+link+instantiate+run), p1 module",
        false,
        Wasi::P1,
        false,
    ),
    (
        "hello startup (compile+link+instantiate+run), p2 component",
        false,
        Wasi::P2,
        false,
    ),
    (
        "hello link+instantiate+run, p1 module",
        false,
        Wasi::P1,
        true,
    ),
    (
        "hello link+instantiate+run, p2 component",
        false,
        Wasi::P2,
        true,
    ),
    (
        "copy 64 MiB, p1 module (fd_read/fd_write)",
        true,
        Wasi::P1,
        true,
    ),
    (
        "copy 64 MiB, p2 component (wasi:io/streams)",
        true,
        Wasi::P2,
        true,
    ),
];

/// A scratch directory with the 64 MiB input file.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let dir = std::env::temp_dir().join(format!("weft-compare-wasi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(err)?;
        // A fixed pseudo-random input (xorshift), so that nothing compresses or repeats.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut data = Vec::with_capacity(COPY_BYTES);
        while data.len() < COPY_BYTES {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            data.extend_from_slice(&state.to_le_bytes());
        }
        std::fs::write(dir.join("in.bin"), &data).map_err(err)?;
        Ok(Scratch(dir))
    }

    /// Checks that `out.bin` equals `in.bin`, then removes it.
    fn check_copy(&self) -> Result<(), String> {
        let input = std::fs::read(self.0.join("in.bin")).map_err(err)?;
        let output = std::fs::read(self.0.join("out.bin")).map_err(err)?;
        std::fs::remove_file(self.0.join("out.bin")).map_err(err)?;
        if input == output {
            Ok(())
        } else {
            Err(format!(
                "the copy differs from its input ({} bytes, {} expected)",
                output.len(),
                input.len()
            ))
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One measurement of row `(copy, wasi, warm)`.
fn measure(
    rt: &mut dyn WasiRuntime,
    programs: &Programs,
    scratch: &Scratch,
    (copy, wasi, warm): (bool, Wasi, bool),
) -> Result<Duration, String> {
    let copy_args = ["copy", "/data/in.bin", "/data/out.bin"];
    let (time, stdout) = match (copy, warm) {
        (false, false) => rt.cold(wasi, programs.bytes(false, wasi), &["hello"])?,
        (false, true) => rt.warm(wasi, &scratch.0, &["hello"])?,
        (true, _) => rt.warm(wasi, &scratch.0, &copy_args)?,
    };
    let stdout = String::from_utf8_lossy(&stdout);
    if copy {
        if !stdout.starts_with(&format!("{COPY_BYTES} ")) {
            return Err(format!("copy printed {stdout:?}"));
        }
        scratch.check_copy()?;
    } else if stdout != "Hello, world!\n" {
        return Err(format!("hello printed {stdout:?}"));
    }
    Ok(time)
}

/// Runs the suite and prints its table; false if an engine failed.
pub fn run(engines: &[EngineKind], runs: usize) -> bool {
    let columns: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    eprintln!(
        "wasi suite, engines: {}, {runs} run(s) each",
        columns.join(", ")
    );
    let setup = Programs::read().and_then(|p| Ok((p, Scratch::new()?)));
    let (programs, scratch) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return false;
        }
    };
    let mut runtimes: Vec<Result<Box<dyn WasiRuntime>, String>> = engines
        .iter()
        .map(|&kind| guarded(|| create(kind)))
        .collect();
    let mut samples: Vec<Vec<Vec<Duration>>> = vec![vec![Vec::new(); engines.len()]; ROWS.len()];
    // One untimed round first: warms caches and checks every output.
    for round in 0..=runs {
        if round > 0 {
            eprintln!("round {round}/{runs}");
        }
        for (e, runtime) in runtimes.iter_mut().enumerate() {
            let Ok(rt) = runtime else { continue };
            let result = guarded(|| {
                for (r, &(_, copy, wasi, warm)) in ROWS.iter().enumerate() {
                    if warm {
                        rt.compile(wasi, programs.bytes(copy, wasi))?;
                    }
                    let time = measure(rt.as_mut(), &programs, &scratch, (copy, wasi, warm))?;
                    if round > 0 {
                        samples[r][e].push(time);
                    }
                }
                Ok(())
            });
            if let Err(e) = result {
                *runtime = Err(e);
            }
        }
    }

    let medians: Vec<Vec<Option<Duration>>> = samples
        .iter()
        .map(|row| {
            row.iter()
                .zip(&runtimes)
                .map(|(s, rt)| rt.as_ref().ok().and_then(|_| median(s)))
                .collect()
        })
        .collect();
    let width = ROWS.iter().map(|r| r.0.len()).max().unwrap_or(0) + 2;
    println!();
    println!("WASI: preview 1 module against WASI 0.2 component, median of {runs} run(s)");
    print!("{:width$}", "");
    for c in &columns {
        print!("{c:>14}");
    }
    println!();
    let show = |d: Option<Duration>| d.map_or("n/a".to_string(), format_duration);
    for (r, (name, ..)) in ROWS.iter().enumerate() {
        print!("{name:width$}");
        for d in &medians[r] {
            print!("{:>14}", show(*d));
        }
        println!();
        if r % 2 == 1 {
            let (label, ratio): (&str, fn(f64, f64) -> f64) = if ROWS[r].1 {
                ("  p2 speed / p1 speed (goal >= 0.8)", |p1, p2| p1 / p2)
            } else {
                ("  p2 time / p1 time (goal <= 1.5)", |p1, p2| p2 / p1)
            };
            print!("{label:width$}");
            for e in 0..engines.len() {
                match (medians[r - 1][e], medians[r][e]) {
                    (Some(p1), Some(p2)) => {
                        print!(
                            "{:>14}",
                            format!("{:.2}", ratio(p1.as_secs_f64(), p2.as_secs_f64()))
                        )
                    }
                    _ => print!("{:>14}", "n/a"),
                }
            }
            println!();
        }
    }
    for (r, (name, copy, ..)) in ROWS.iter().enumerate() {
        if *copy {
            print!(
                "{:width$}",
                format!("  {} MiB/s", &name[..name.find(',').unwrap_or(0)])
            );
            for d in &medians[r] {
                let rate = d.map_or("n/a".to_string(), |d| {
                    format!("{:.0}", (COPY_BYTES >> 20) as f64 / d.as_secs_f64())
                });
                print!("{rate:>14}");
            }
            println!("  ({})", if ROWS[r].2 == Wasi::P1 { "p1" } else { "p2" });
        }
    }
    let failures: Vec<_> = runtimes
        .iter()
        .zip(engines)
        .filter_map(|(r, k)| r.as_ref().err().map(|e| (k.name(), e)))
        .collect();
    if !failures.is_empty() {
        println!("\nFailures:");
        for (engine, message) in &failures {
            println!("  {engine}: {message}");
        }
    }
    failures.is_empty()
}

/// Weft with `weft-wasi`.
#[cfg(feature = "weft")]
mod weft_wasi_rt {
    use super::{Runner, Stdout, WasiEngine, WasiRuntime, err};
    use std::path::Path;
    use weft::component::{Component, ResourceTable};
    use weft::{Engine, Module, Store};
    use weft_wasi::p2::{WasiCtxView, WasiView};
    use weft_wasi::{DirPerms, FilePerms, MemoryOutputPipe, WasiCtx, WasiCtxBuilder};

    struct Host {
        wasi: WasiCtx,
        table: ResourceTable,
    }

    impl WasiView for Host {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }

    pub fn create(lazy: bool) -> Result<Box<dyn WasiRuntime>, String> {
        let mut config = weft::Config::new();
        config.compilation_mode(if lazy {
            weft::CompilationMode::Lazy
        } else {
            weft::CompilationMode::Eager
        });
        Ok(Runner::boxed(Engine::new(&config).map_err(err)?))
    }

    fn store(
        engine: &Engine,
        dir: Option<&Path>,
        args: &[&str],
    ) -> Result<(Store<Host>, MemoryOutputPipe), String> {
        let stdout = MemoryOutputPipe::new();
        let mut builder = WasiCtxBuilder::new();
        builder.stdout(stdout.clone());
        for arg in args {
            builder.arg(*arg);
        }
        if let Some(dir) = dir {
            builder
                .preopened_dir(dir, "/data", DirPerms::all(), FilePerms::all())
                .map_err(err)?;
        }
        let host = Host {
            wasi: builder.build(),
            table: ResourceTable::new(),
        };
        Ok((Store::new(engine, host), stdout))
    }

    impl WasiEngine for Engine {
        type Module = Module;
        type Component = Component;

        fn module(&self, bytes: &[u8]) -> Result<Module, String> {
            Module::new(self, bytes).map_err(err)
        }

        fn component(&self, bytes: &[u8]) -> Result<Component, String> {
            Component::new(self, bytes).map_err(err)
        }

        fn run_module(
            &self,
            module: &Module,
            dir: Option<&Path>,
            args: &[&str],
        ) -> Result<Stdout, String> {
            let (mut store, stdout) = store(self, dir, args)?;
            let mut linker = weft::Linker::<Host>::new(self);
            weft_wasi::p1::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)
                .map_err(err)?;
            let instance = linker.instantiate(&mut store, module).map_err(err)?;
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .map_err(err)?;
            start.call(&mut store, ()).map_err(err)?;
            Ok(stdout.contents())
        }

        fn run_component(
            &self,
            component: &Component,
            dir: Option<&Path>,
            args: &[&str],
        ) -> Result<Stdout, String> {
            let (mut store, stdout) = store(self, dir, args)?;
            let mut linker = weft::component::Linker::<Host>::new(self);
            weft_wasi::p2::add_to_linker_sync(&mut linker).map_err(err)?;
            let instance = linker.instantiate(&mut store, component).map_err(err)?;
            match weft_wasi::p2::call_run(&mut store, &instance).map_err(err)? {
                Ok(()) => Ok(stdout.contents()),
                Err(()) => Err("wasi:cli/run returned an error".into()),
            }
        }
    }
}

#[cfg(not(feature = "weft"))]
mod weft_wasi_rt {
    use super::WasiRuntime;

    pub fn create(_lazy: bool) -> Result<Box<dyn WasiRuntime>, String> {
        Err("built without the `weft` feature".to_string())
    }
}

/// Wasmtime with `wasmtime-wasi`.
mod wasmtime_wasi_rt {
    use super::{Backend, Runner, Stdout, WasiEngine, WasiRuntime, err};
    use std::path::Path;
    use wasmtime::component::{Component, ResourceTable};
    use wasmtime::{Engine, Module, Store};
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

    struct Host {
        wasi: WasiCtx,
        table: ResourceTable,
    }

    impl WasiView for Host {
        fn ctx(&mut self) -> WasiCtxView<'_> {
            WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }

    pub fn create(backend: Backend) -> Result<Box<dyn WasiRuntime>, String> {
        Ok(Runner::boxed(crate::component::wasmtime_cm::engine(
            backend,
        )?))
    }

    /// A WASI context builder with `args`, stdout into a pipe and `dir` as `/data`.
    fn builder(
        dir: Option<&Path>,
        args: &[&str],
    ) -> Result<(WasiCtxBuilder, MemoryOutputPipe), String> {
        let stdout = MemoryOutputPipe::new(usize::MAX);
        let mut builder = WasiCtxBuilder::new();
        builder.stdout(stdout.clone()).args(args);
        if let Some(dir) = dir {
            builder
                .preopened_dir(dir, "/data", FsPerms::ReadWrite)
                .map_err(err)?;
        }
        Ok((builder, stdout))
    }

    impl WasiEngine for Engine {
        type Module = Module;
        type Component = Component;

        fn module(&self, bytes: &[u8]) -> Result<Module, String> {
            Module::new(self, bytes).map_err(err)
        }

        fn component(&self, bytes: &[u8]) -> Result<Component, String> {
            Component::new(self, bytes).map_err(err)
        }

        fn run_module(
            &self,
            module: &Module,
            dir: Option<&Path>,
            args: &[&str],
        ) -> Result<Stdout, String> {
            let (mut builder, stdout) = builder(dir, args)?;
            let mut store = Store::new(self, builder.build_p1());
            let mut linker = wasmtime::Linker::<WasiP1Ctx>::new(self);
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx).map_err(err)?;
            let instance = linker.instantiate(&mut store, module).map_err(err)?;
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .map_err(err)?;
            start.call(&mut store, ()).map_err(err)?;
            Ok(stdout.contents().to_vec())
        }

        fn run_component(
            &self,
            component: &Component,
            dir: Option<&Path>,
            args: &[&str],
        ) -> Result<Stdout, String> {
            let (mut builder, stdout) = builder(dir, args)?;
            let host = Host {
                wasi: builder.build(),
                table: ResourceTable::new(),
            };
            let mut store = Store::new(self, host);
            let mut linker = wasmtime::component::Linker::<Host>::new(self);
            wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(err)?;
            let command = wasmtime_wasi::p2::bindings::sync::Command::instantiate(
                &mut store, component, &linker,
            )
            .map_err(err)?;
            match command.wasi_cli_run().call_run(&mut store).map_err(err)? {
                Ok(()) => Ok(stdout.contents().to_vec()),
                Err(()) => Err("wasi:cli/run returned an error".into()),
            }
        }
    }
}
