//! The measured engines behind one object-safe interface.

use std::time::Duration;

/// An engine and configuration that can be measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// Weft, eager translation.
    Weft,
    /// Weft, functions translated on first call (validated eagerly).
    WeftLazy,
    /// wasmi, eager translation.
    Wasmi,
    /// wasmi `CompilationMode::LazyTranslation`: validated eagerly, translated on first call.
    WasmiLazy,
    /// wasmi `CompilationMode::Lazy`: validated and translated on first call.
    WasmiLazyAll,
    /// Wasmtime with the Cranelift optimising compiler.
    Cranelift,
    /// Wasmtime with the Winch baseline compiler.
    Winch,
    /// Wasmtime's Pulley interpreter (Cranelift compiling to pulley64 bytecode).
    Pulley,
}

impl EngineKind {
    /// Every engine measured by default, in column order.
    pub const DEFAULT: [EngineKind; 7] = [
        EngineKind::Weft,
        EngineKind::WeftLazy,
        EngineKind::Wasmi,
        EngineKind::WasmiLazy,
        EngineKind::Cranelift,
        EngineKind::Winch,
        EngineKind::Pulley,
    ];

    const ALL: [EngineKind; 8] = [
        EngineKind::Weft,
        EngineKind::WeftLazy,
        EngineKind::Wasmi,
        EngineKind::WasmiLazy,
        EngineKind::WasmiLazyAll,
        EngineKind::Cranelift,
        EngineKind::Winch,
        EngineKind::Pulley,
    ];

    /// The column name, also accepted by `--engines` and `--baseline`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Weft => "weft",
            EngineKind::WeftLazy => "weft-lazy",
            EngineKind::Wasmi => "wasmi",
            EngineKind::WasmiLazy => "wasmi-lazy",
            EngineKind::WasmiLazyAll => "wasmi-lazy-all",
            EngineKind::Cranelift => "cranelift",
            EngineKind::Winch => "winch",
            EngineKind::Pulley => "pulley",
        }
    }

    /// The engine called `name`.
    pub fn parse(name: &str) -> Result<EngineKind, String> {
        EngineKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = EngineKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown engine `{name}` (known: {})", known.join(", "))
            })
    }

    /// A fresh engine of this kind. Creating it is not timed.
    pub fn create(self) -> Result<Box<dyn Runtime>, String> {
        match self {
            EngineKind::Weft => weft_rt::create(false),
            EngineKind::WeftLazy => weft_rt::create(true),
            EngineKind::Wasmi => wasmi_rt::create(wasmi::CompilationMode::Eager),
            EngineKind::WasmiLazy => wasmi_rt::create(wasmi::CompilationMode::LazyTranslation),
            EngineKind::WasmiLazyAll => wasmi_rt::create(wasmi::CompilationMode::Lazy),
            EngineKind::Cranelift => wasmtime_rt::create(wasmtime_rt::Backend::Cranelift),
            EngineKind::Winch => wasmtime_rt::create(wasmtime_rt::Backend::Winch),
            EngineKind::Pulley => wasmtime_rt::create(wasmtime_rt::Backend::Pulley),
        }
    }
}

/// One engine instance, holding at most one kept module and one live instance.
pub trait Runtime {
    /// Compiles `bytes` into a new module and returns the time taken. With `keep`, the
    /// module replaces the kept one used by [`Runtime::instantiate`]; otherwise it is dropped
    /// (after the clock stops).
    fn compile(&mut self, bytes: &[u8], keep: bool) -> Result<Duration, String>;

    /// Instantiates the kept module into a fresh store (dropping the previous store and
    /// instance first, untimed) and returns the time taken.
    fn instantiate(&mut self) -> Result<Duration, String>;

    /// Calls `export` (no parameters, one i64 or i32 result) on the live instance and
    /// returns the time of the call and its result.
    fn execute(&mut self, export: &str) -> Result<(Duration, i64), String>;

    /// Calls `export` (no parameters, no results) `calls` times and returns the total time.
    fn call_many(&mut self, export: &str, calls: u64) -> Result<Duration, String>;
}

fn err(e: impl std::fmt::Display) -> String {
    // One line, so it fits in a table cell.
    e.to_string().lines().next().unwrap_or("error").to_string()
}

const NO_MODULE: &str = "no module compiled";
const NO_INSTANCE: &str = "no instance";

/// Weft.
#[cfg(feature = "weft")]
mod weft_rt {
    use super::{NO_INSTANCE, NO_MODULE, Runtime, err};
    use std::time::{Duration, Instant};

    pub fn create(lazy: bool) -> Result<Box<dyn Runtime>, String> {
        let mut config = weft::Config::new();
        config.compilation_mode(if lazy {
            weft::CompilationMode::Lazy
        } else {
            weft::CompilationMode::Eager
        });
        let engine = weft::Engine::new(&config).map_err(err)?;
        Ok(Box::new(Weft {
            linker: weft::Linker::new(&engine),
            engine,
            module: None,
            live: None,
        }))
    }

    struct Weft {
        engine: weft::Engine,
        linker: weft::Linker<()>,
        module: Option<weft::Module>,
        live: Option<(weft::Store<()>, weft::Instance)>,
    }

    impl Runtime for Weft {
        fn compile(&mut self, bytes: &[u8], keep: bool) -> Result<Duration, String> {
            let start = Instant::now();
            let module = weft::Module::new(&self.engine, bytes).map_err(err)?;
            let elapsed = start.elapsed();
            if keep {
                self.module = Some(module);
            }
            Ok(elapsed)
        }

        fn instantiate(&mut self) -> Result<Duration, String> {
            self.live = None;
            let module = self.module.as_ref().ok_or(NO_MODULE)?;
            let start = Instant::now();
            let mut store = weft::Store::new(&self.engine, ());
            let instance = self.linker.instantiate(&mut store, module).map_err(err)?;
            let elapsed = start.elapsed();
            self.live = Some((store, instance));
            Ok(elapsed)
        }

        fn execute(&mut self, export: &str) -> Result<(Duration, i64), String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            if let Ok(func) = instance.get_typed_func::<(), i64>(&*store, export) {
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), value))
            } else {
                let func = instance
                    .get_typed_func::<(), i32>(&*store, export)
                    .map_err(err)?;
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), i64::from(value)))
            }
        }

        fn call_many(&mut self, export: &str, calls: u64) -> Result<Duration, String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            let func = instance
                .get_typed_func::<(), ()>(&*store, export)
                .map_err(err)?;
            let start = Instant::now();
            for _ in 0..calls {
                func.call(&mut *store, ()).map_err(err)?;
            }
            Ok(start.elapsed())
        }
    }
}

/// Stand-in when built without the `weft` feature.
#[cfg(not(feature = "weft"))]
mod weft_rt {
    use super::Runtime;

    pub fn create(_lazy: bool) -> Result<Box<dyn Runtime>, String> {
        Err("built without the `weft` feature".to_string())
    }
}

/// wasmi.
mod wasmi_rt {
    use super::{NO_INSTANCE, NO_MODULE, Runtime, err};
    use std::time::{Duration, Instant};

    pub fn create(mode: wasmi::CompilationMode) -> Result<Box<dyn Runtime>, String> {
        let mut config = wasmi::Config::default();
        config.compilation_mode(mode);
        let engine = wasmi::Engine::new(&config);
        Ok(Box::new(Wasmi {
            linker: wasmi::Linker::new(&engine),
            engine,
            module: None,
            live: None,
        }))
    }

    struct Wasmi {
        engine: wasmi::Engine,
        linker: wasmi::Linker<()>,
        module: Option<wasmi::Module>,
        live: Option<(wasmi::Store<()>, wasmi::Instance)>,
    }

    impl Runtime for Wasmi {
        fn compile(&mut self, bytes: &[u8], keep: bool) -> Result<Duration, String> {
            let start = Instant::now();
            let module = wasmi::Module::new(&self.engine, bytes).map_err(err)?;
            let elapsed = start.elapsed();
            if keep {
                self.module = Some(module);
            }
            Ok(elapsed)
        }

        fn instantiate(&mut self) -> Result<Duration, String> {
            self.live = None;
            let module = self.module.as_ref().ok_or(NO_MODULE)?;
            let start = Instant::now();
            let mut store = wasmi::Store::new(&self.engine, ());
            let instance = self
                .linker
                .instantiate_and_start(&mut store, module)
                .map_err(err)?;
            let elapsed = start.elapsed();
            self.live = Some((store, instance));
            Ok(elapsed)
        }

        fn execute(&mut self, export: &str) -> Result<(Duration, i64), String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            if let Ok(func) = instance.get_typed_func::<(), i64>(&*store, export) {
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), value))
            } else {
                let func = instance
                    .get_typed_func::<(), i32>(&*store, export)
                    .map_err(err)?;
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), i64::from(value)))
            }
        }

        fn call_many(&mut self, export: &str, calls: u64) -> Result<Duration, String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            let func = instance
                .get_typed_func::<(), ()>(&*store, export)
                .map_err(err)?;
            let start = Instant::now();
            for _ in 0..calls {
                func.call(&mut *store, ()).map_err(err)?;
            }
            Ok(start.elapsed())
        }
    }
}

/// Wasmtime.
mod wasmtime_rt {
    use super::{NO_INSTANCE, NO_MODULE, Runtime, err};
    use std::time::{Duration, Instant};

    #[derive(Clone, Copy)]
    pub enum Backend {
        Cranelift,
        Winch,
        Pulley,
    }

    pub fn create(backend: Backend) -> Result<Box<dyn Runtime>, String> {
        let mut config = wasmtime::Config::new();
        match backend {
            Backend::Cranelift => {
                config.strategy(wasmtime::Strategy::Cranelift);
            }
            Backend::Winch => {
                config.strategy(wasmtime::Strategy::Winch);
            }
            Backend::Pulley => {
                config.strategy(wasmtime::Strategy::Cranelift);
                config.target("pulley64").map_err(err)?;
            }
        }
        let engine = wasmtime::Engine::new(&config).map_err(err)?;
        Ok(Box::new(Wasmtime {
            engine,
            module: None,
            live: None,
        }))
    }

    struct Wasmtime {
        engine: wasmtime::Engine,
        module: Option<wasmtime::Module>,
        live: Option<(wasmtime::Store<()>, wasmtime::Instance)>,
    }

    impl Runtime for Wasmtime {
        fn compile(&mut self, bytes: &[u8], keep: bool) -> Result<Duration, String> {
            let start = Instant::now();
            let module = wasmtime::Module::new(&self.engine, bytes).map_err(err)?;
            let elapsed = start.elapsed();
            if keep {
                self.module = Some(module);
            }
            Ok(elapsed)
        }

        fn instantiate(&mut self) -> Result<Duration, String> {
            self.live = None;
            let module = self.module.as_ref().ok_or(NO_MODULE)?;
            let start = Instant::now();
            let mut store = wasmtime::Store::new(&self.engine, ());
            let instance = wasmtime::Instance::new(&mut store, module, &[]).map_err(err)?;
            let elapsed = start.elapsed();
            self.live = Some((store, instance));
            Ok(elapsed)
        }

        fn execute(&mut self, export: &str) -> Result<(Duration, i64), String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            if let Ok(func) = instance.get_typed_func::<(), i64>(&mut *store, export) {
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), value))
            } else {
                let func = instance
                    .get_typed_func::<(), i32>(&mut *store, export)
                    .map_err(err)?;
                let start = Instant::now();
                let value = func.call(&mut *store, ()).map_err(err)?;
                Ok((start.elapsed(), i64::from(value)))
            }
        }

        fn call_many(&mut self, export: &str, calls: u64) -> Result<Duration, String> {
            let (store, instance) = self.live.as_mut().ok_or(NO_INSTANCE)?;
            let func = instance
                .get_typed_func::<(), ()>(&mut *store, export)
                .map_err(err)?;
            let start = Instant::now();
            for _ in 0..calls {
                func.call(&mut *store, ()).map_err(err)?;
            }
            Ok(start.elapsed())
        }
    }
}
