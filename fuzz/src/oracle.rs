//! Differential execution: the same module in Weft and in wasmi, compared step by step.
//!
//! Each engine sits behind [`Oracle`]: compile a module, instantiate it with dummy imports
//! (host functions returning zeros, fresh memories, tables and globals), call an export with
//! zero arguments, and read exported globals, memories and tables. [`differential`] runs both
//! oracles over one wasm-smith module and panics at the first observable difference, unless
//! the module holds the pattern of a known wasmi bug ([`known_bugs`](crate::known_bugs)).
//!
//! Only deterministic observations are compared. The module is generated with
//! `canonicalize_nans`, and NaN results are canonicalised again here, because NaN payloads
//! may legitimately differ. References are compared by nullness only. Running out of fuel or
//! of stack is engine-specific (the two engines price fuel and frames differently), so once
//! either engine reports it the comparison of that module stops; `ensure_termination` makes
//! that rare. A panic inside wasmi (2.0.0 has an `unreachable!` reachable from some stores
//! whose address and value share a register) abandons the comparison rather than failing it.

use crate::harness;
use crate::known_bugs::{PeerBug, known_peer_bug};
use std::panic::{self, AssertUnwindSafe};
use weft::ErrorExt as _;

/// A value as both engines can report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`'s bits, NaNs canonicalised.
    F32(u32),
    /// An `f64`'s bits, NaNs canonicalised.
    F64(u64),
    /// A `funcref`: whether it is null.
    FuncRef {
        /// The reference is null.
        null: bool,
    },
    /// An `externref`: whether it is null.
    ExternRef {
        /// The reference is null.
        null: bool,
    },
    /// A `v128`'s bits (wasm-smith's `canonicalize_nans` keeps float lanes' NaNs canonical).
    V128(u128),
}

impl Value {
    fn f32(bits: u32) -> Value {
        Value::F32(if f32::from_bits(bits).is_nan() {
            0x7fc0_0000
        } else {
            bits
        })
    }

    fn f64(bits: u64) -> Value {
        Value::F64(if f64::from_bits(bits).is_nan() {
            0x7ff8_0000_0000_0000
        } else {
            bits
        })
    }
}

/// How an instantiation or a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A trap, named by the spec testsuite's message for it.
    Trap(&'static str),
    /// Execution ran out of fuel or of stack, or the engine hit an internal limit: not
    /// comparable between engines.
    Exhausted,
    /// An error that is not a trap.
    Error(String),
}

/// What an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportKind {
    /// A function.
    Func,
    /// A global.
    Global,
    /// A memory.
    Memory,
    /// A table.
    Table,
}

/// One engine, seen through the operations the differential check needs.
pub trait Oracle {
    /// The engine's name, for messages.
    fn name(&self) -> &'static str;
    /// Compiles `wasm`.
    ///
    /// # Errors
    ///
    /// The engine's message if it rejects the module.
    fn compile(&mut self, wasm: &[u8]) -> Result<(), String>;
    /// Instantiates the compiled module with dummy imports.
    ///
    /// # Errors
    ///
    /// How instantiation failed.
    fn instantiate(&mut self) -> Result<(), Failure>;
    /// The instance's exports, in order.
    fn exports(&mut self) -> Vec<(String, ExportKind)>;
    /// Calls the exported function `name` with zero arguments.
    ///
    /// # Errors
    ///
    /// How the call failed.
    fn call(&mut self, name: &str) -> Result<Vec<Value>, Failure>;
    /// The value of exported global `name`.
    fn global(&mut self, name: &str) -> Option<Value>;
    /// The contents of exported memory `name`.
    fn memory(&mut self, name: &str) -> Option<Vec<u8>>;
    /// The nullness of every element of exported table `name`.
    fn table(&mut self, name: &str) -> Option<Vec<bool>>;
}

/// Weft, with fuel and the harness's store limits.
pub struct WeftOracle {
    engine: weft::Engine,
    store: weft::Store<weft::StoreLimits>,
    module: Option<weft::Module>,
    instance: Option<weft::Instance>,
}

impl WeftOracle {
    /// An oracle for `engine` (see [`harness::engines`]).
    pub fn new(engine: weft::Engine) -> Self {
        let store = harness::store(&engine);
        WeftOracle {
            engine,
            store,
            module: None,
            instance: None,
        }
    }

    fn failure(e: &weft::Error) -> Failure {
        match e.trap_code() {
            Some(
                weft::TrapCode::OutOfFuel
                | weft::TrapCode::StackOverflow
                | weft::TrapCode::GrowthOperationLimited,
            ) => Failure::Exhausted,
            // wasmi reports an index past the end of the table as out of bounds.
            Some(weft::TrapCode::UndefinedElement) => {
                Failure::Trap(weft::TrapCode::TableOutOfBounds.message())
            }
            Some(code) => Failure::Trap(code.message()),
            None => match e.kind() {
                Some(weft::ErrorKind::ResourceExhausted(_)) => Failure::Exhausted,
                _ => Failure::Error(e.to_string()),
            },
        }
    }

    fn value(v: &weft::Val) -> Value {
        match *v {
            weft::Val::I32(x) => Value::I32(x),
            weft::Val::I64(x) => Value::I64(x),
            weft::Val::F32(bits) => Value::f32(bits),
            weft::Val::F64(bits) => Value::f64(bits),
            weft::Val::FuncRef(r) => Value::FuncRef { null: r.is_none() },
            weft::Val::ExternRef(r) => Value::ExternRef { null: r.is_none() },
            weft::Val::V128(v) => Value::V128(v.as_u128()),
        }
    }

    fn refuel(&mut self) {
        // An engine without fuel makes `set_fuel` fail; it runs unbounded.
        let _ = self.store.set_fuel(ORACLE_FUEL);
    }
}

/// Fuel for each step of a differential run: a backstop only, since `ensure_termination`
/// bounds the generated code.
const ORACLE_FUEL: u64 = 1_000_000;

impl Oracle for WeftOracle {
    fn name(&self) -> &'static str {
        "weft"
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<(), String> {
        let module = weft::Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        self.module = Some(module);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<(), Failure> {
        let Some(module) = &self.module else {
            return Err(Failure::Error("no module".into()));
        };
        let module = module.clone();
        let imports = harness::dummy_imports(&mut self.store, &module)
            .map_err(|e| WeftOracle::failure(&e))?;
        self.refuel();
        let instance = weft::Instance::new(&mut self.store, &module, &imports)
            .map_err(|e| WeftOracle::failure(&e))?;
        self.instance = Some(instance);
        Ok(())
    }

    fn exports(&mut self) -> Vec<(String, ExportKind)> {
        let Some(instance) = self.instance else {
            return Vec::new();
        };
        instance
            .exports(&self.store)
            .into_iter()
            .map(|export| {
                let kind = match export.clone().into_extern() {
                    weft::Extern::Func(_) => ExportKind::Func,
                    weft::Extern::Global(_) => ExportKind::Global,
                    weft::Extern::Memory(_) => ExportKind::Memory,
                    weft::Extern::Table(_) => ExportKind::Table,
                };
                (export.name().to_string(), kind)
            })
            .collect()
    }

    fn call(&mut self, name: &str) -> Result<Vec<Value>, Failure> {
        let func = self
            .instance
            .and_then(|i| i.get_func(&self.store, name))
            .ok_or_else(|| Failure::Error(format!("no function `{name}`")))?;
        let ty = func.ty(&self.store);
        let params: Vec<weft::Val> = ty
            .params()
            .iter()
            .map(|t| weft::Val::default_for(*t))
            .collect();
        let mut results: Vec<weft::Val> = ty
            .results()
            .iter()
            .map(|t| weft::Val::default_for(*t))
            .collect();
        self.refuel();
        func.call(&mut self.store, &params, &mut results)
            .map_err(|e| WeftOracle::failure(&e))?;
        Ok(results.iter().map(WeftOracle::value).collect())
    }

    fn global(&mut self, name: &str) -> Option<Value> {
        let global = self.instance?.get_global(&self.store, name)?;
        Some(WeftOracle::value(&global.get(&mut self.store)))
    }

    fn memory(&mut self, name: &str) -> Option<Vec<u8>> {
        let memory = self.instance?.get_memory(&self.store, name)?;
        Some(memory.data(&self.store).to_vec())
    }

    fn table(&mut self, name: &str) -> Option<Vec<bool>> {
        let table = self.instance?.get_table(&self.store, name)?;
        let size = table.size(&self.store);
        Some(
            (0..size)
                .map(|i| match table.get(&mut self.store, i) {
                    Some(r) => r.is_null(),
                    None => true,
                })
                .collect(),
        )
    }
}

/// wasmi 2, configured for the same WebAssembly 2.0 feature set as Weft, with fuel.
pub struct WasmiOracle {
    engine: wasmi::Engine,
    store: wasmi::Store<wasmi::StoreLimits>,
    module: Option<wasmi::Module>,
    instance: Option<wasmi::Instance>,
}

impl Default for WasmiOracle {
    fn default() -> Self {
        WasmiOracle::new()
    }
}

impl WasmiOracle {
    /// A fresh wasmi engine and store.
    pub fn new() -> Self {
        let mut config = wasmi::Config::default();
        config
            .consume_fuel(true)
            .wasm_multi_memory(true)
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_wide_arithmetic(true)
            .wasm_simd(true)
            .wasm_relaxed_simd(false)
            .wasm_memory64(true)
            .wasm_custom_page_sizes(true);
        let engine = wasmi::Engine::new(&config);
        let limits = wasmi::StoreLimitsBuilder::new()
            .memory_size(harness::MAX_MEMORY_BYTES)
            .table_elements(harness::MAX_TABLE_ELEMENTS)
            .build();
        let mut store = wasmi::Store::new(&engine, limits);
        store.limiter(|limits| limits);
        WasmiOracle {
            engine,
            store,
            module: None,
            instance: None,
        }
    }

    fn failure(e: &wasmi::Error) -> Failure {
        use wasmi::TrapCode as C;
        match e.as_trap_code() {
            Some(
                C::OutOfFuel | C::StackOverflow | C::GrowthOperationLimited | C::OutOfSystemMemory,
            ) => Failure::Exhausted,
            Some(code) => Failure::Trap(
                match code {
                    C::UnreachableCodeReached => weft::Trap::UnreachableCodeReached,
                    C::MemoryOutOfBounds => weft::TrapCode::MemoryOutOfBounds,
                    C::TableOutOfBounds => weft::TrapCode::TableOutOfBounds,
                    C::IndirectCallToNull => weft::TrapCode::IndirectCallToNull,
                    C::IntegerDivisionByZero => weft::TrapCode::IntegerDivisionByZero,
                    C::IntegerOverflow => weft::TrapCode::IntegerOverflow,
                    C::BadConversionToInteger => weft::TrapCode::BadConversionToInteger,
                    C::BadSignature => weft::TrapCode::BadSignature,
                    _ => weft::TrapCode::InternalError,
                }
                .message(),
            ),
            None => Failure::Error(e.to_string()),
        }
    }

    fn value(v: &wasmi::Val) -> Value {
        match v {
            wasmi::Val::I32(x) => Value::I32(*x),
            wasmi::Val::I64(x) => Value::I64(*x),
            wasmi::Val::F32(x) => Value::f32(x.to_bits()),
            wasmi::Val::F64(x) => Value::f64(x.to_bits()),
            wasmi::Val::FuncRef(r) => Value::FuncRef { null: r.is_null() },
            wasmi::Val::ExternRef(r) => Value::ExternRef { null: r.is_null() },
            wasmi::Val::V128(v) => Value::V128(v.as_u128()),
        }
    }

    fn refuel(&mut self) {
        if let Err(e) = self.store.set_fuel(ORACLE_FUEL) {
            panic!("wasmi: cannot set fuel: {e}");
        }
    }

    fn dummy_imports(&mut self, module: &wasmi::Module) -> Result<Vec<wasmi::Extern>, Failure> {
        let mut imports = Vec::new();
        for import in module.imports() {
            let item = match import.ty().clone() {
                wasmi::ExternType::Func(ty) => {
                    let results = ty.results().to_vec();
                    wasmi::Extern::Func(wasmi::Func::new(&mut self.store, ty, move |_, _, out| {
                        for (slot, ty) in out.iter_mut().zip(&results) {
                            *slot = wasmi::Val::default_for_ty(*ty);
                        }
                        Ok(())
                    }))
                }
                wasmi::ExternType::Memory(ty) => {
                    let memory = wasmi::Memory::new(&mut self.store, ty)
                        .map_err(|e| WasmiOracle::failure(&e))?;
                    wasmi::Extern::Memory(memory)
                }
                wasmi::ExternType::Table(ty) => {
                    let init = wasmi::Ref::null(ty.element());
                    let table = wasmi::Table::new(&mut self.store, ty, init)
                        .map_err(|e| WasmiOracle::failure(&e))?;
                    wasmi::Extern::Table(table)
                }
                wasmi::ExternType::Global(ty) => wasmi::Extern::Global(wasmi::Global::new(
                    &mut self.store,
                    wasmi::Val::default_for_ty(ty.content()),
                    ty.mutability(),
                )),
            };
            imports.push(item);
        }
        Ok(imports)
    }
}

impl Oracle for WasmiOracle {
    fn name(&self) -> &'static str {
        "wasmi"
    }

    fn compile(&mut self, wasm: &[u8]) -> Result<(), String> {
        let module = wasmi::Module::new(&self.engine, wasm).map_err(|e| e.to_string())?;
        self.module = Some(module);
        Ok(())
    }

    fn instantiate(&mut self) -> Result<(), Failure> {
        let Some(module) = self.module.clone() else {
            return Err(Failure::Error("no module".into()));
        };
        let imports = self.dummy_imports(&module)?;
        self.refuel();
        let instance = wasmi::Instance::new(&mut self.store, &module, &imports)
            .map_err(|e| WasmiOracle::failure(&e))?;
        self.instance = Some(instance);
        Ok(())
    }

    fn exports(&mut self) -> Vec<(String, ExportKind)> {
        let Some(instance) = self.instance else {
            return Vec::new();
        };
        instance
            .exports(&self.store)
            .map(|export| {
                let name = export.name().to_string();
                let kind = match export.into_extern() {
                    wasmi::Extern::Func(_) => ExportKind::Func,
                    wasmi::Extern::Global(_) => ExportKind::Global,
                    wasmi::Extern::Memory(_) => ExportKind::Memory,
                    wasmi::Extern::Table(_) => ExportKind::Table,
                };
                (name, kind)
            })
            .collect()
    }

    fn call(&mut self, name: &str) -> Result<Vec<Value>, Failure> {
        let func = self
            .instance
            .and_then(|i| i.get_func(&self.store, name))
            .ok_or_else(|| Failure::Error(format!("no function `{name}`")))?;
        let ty = func.ty(&self.store);
        let params: Vec<wasmi::Val> = ty
            .params()
            .iter()
            .map(|t| wasmi::Val::default_for_ty(*t))
            .collect();
        let mut results: Vec<wasmi::Val> = ty
            .results()
            .iter()
            .map(|t| wasmi::Val::default_for_ty(*t))
            .collect();
        self.refuel();
        func.call(&mut self.store, &params, &mut results)
            .map_err(|e| WasmiOracle::failure(&e))?;
        Ok(results.iter().map(WasmiOracle::value).collect())
    }

    fn global(&mut self, name: &str) -> Option<Value> {
        let global = self.instance?.get_global(&self.store, name)?;
        Some(WasmiOracle::value(&global.get(&self.store)))
    }

    fn memory(&mut self, name: &str) -> Option<Vec<u8>> {
        let memory = self.instance?.get_memory(&self.store, name)?;
        Some(memory.data(&self.store).to_vec())
    }

    fn table(&mut self, name: &str) -> Option<Vec<bool>> {
        let table = self.instance?.get_table(&self.store, name)?;
        let size = table.size(&self.store);
        Some(
            (0..size)
                .map(|i| table.get(&self.store, i).is_none_or(|r| r.is_null()))
                .collect(),
        )
    }
}

/// The wasm-smith configuration for differential runs: [`harness::smith_config`] with NaNs
/// canonicalised, so that memory contents and integer views of floats are deterministic, and
/// without relaxed SIMD, whose results the proposal leaves to each engine.
pub fn differential_config() -> wasm_smith::Config {
    wasm_smith::Config {
        canonicalize_nans: true,
        relaxed_simd_enabled: false,
        ..harness::smith_config()
    }
}

/// How a differential run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Both engines observed the same things.
    Agree,
    /// The comparison stopped early: the reference rejected the module or panicked, or an
    /// engine ran out of fuel or stack (see the [module docs](self)).
    Abandoned,
    /// The engines differ, and the module contains the pattern of a known bug of the
    /// reference engine (see [`known_bugs`](crate::known_bugs)).
    KnownPeerBug(PeerBug),
    /// The engines differ: a failure of the engine under test, described.
    Differ(String),
}

/// Runs the module that `data` generates in Weft (in one of [`harness::engines`], picked by
/// `data`'s first byte) and in wasmi, and panics at the first observable difference that is
/// not a known wasmi bug.
pub fn differential(data: &[u8]) {
    let Some(wasm) = harness::generate(&differential_config(), data) else {
        return;
    };
    let engines = match harness::engines(false) {
        Ok(engines) => engines,
        Err(e) => panic!("weft engine: {e}"),
    };
    let pick = usize::from(data.first().copied().unwrap_or(0)) % engines.len();
    let mut weft = WeftOracle::new(engines[pick].clone());
    let mut wasmi = WasmiOracle::new();
    if let Outcome::Differ(message) = compare(&mut weft, &mut wasmi, &wasm) {
        panic!("{message}");
    }
}

/// Runs `f` on the reference engine, which has bugs of its own: a panic there abandons the
/// comparison (`None`) instead of being reported as a crash of the engine under test. The
/// panic hook is silenced meanwhile, because libFuzzer's hook aborts.
fn shielded<R>(f: impl FnOnce() -> R) -> Option<R> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(hook);
    result.ok()
}

/// A difference observed at run time: a known bug of the reference engine if `wasm` holds
/// one's pattern, else a failure described by `message`.
fn differ(wasm: &[u8], message: String) -> Outcome {
    match known_peer_bug(wasm) {
        Some(bug) => Outcome::KnownPeerBug(bug),
        None => Outcome::Differ(message),
    }
}

/// Compiles, instantiates and runs `wasm` in `lhs`, the engine under test, and in `rhs`, the
/// reference, up to the first difference between what they observe.
pub fn compare(lhs: &mut dyn Oracle, rhs: &mut dyn Oracle, wasm: &[u8]) -> Outcome {
    let (l, r) = (lhs.name(), rhs.name());
    let compiled = lhs.compile(wasm);
    match (compiled, shielded(|| rhs.compile(wasm))) {
        (_, None) => return Outcome::Abandoned,
        (Ok(()), Some(Ok(()))) => {}
        // The reference rejects a module (a feature gap on its side): nothing to compare.
        (_, Some(Err(_))) => return Outcome::Abandoned,
        (Err(e), Some(Ok(()))) => {
            return Outcome::Differ(format!("{l} rejects a module that {r} compiles: {e}"));
        }
    }
    let instantiated = lhs.instantiate();
    let Some(reference) = shielded(|| rhs.instantiate()) else {
        return Outcome::Abandoned;
    };
    match (instantiated, reference) {
        (Ok(()), Ok(())) => {}
        (Err(Failure::Exhausted), _) | (_, Err(Failure::Exhausted)) => return Outcome::Abandoned,
        (Err(_), Err(_)) => return Outcome::Abandoned,
        (a, b) => {
            return differ(
                wasm,
                format!("instantiation differs: {l}: {a:?}, {r}: {b:?}"),
            );
        }
    }
    // Engines list exports in different orders (wasmi sorts them by name).
    let mut exports = lhs.exports();
    let Some(mut other) = shielded(|| rhs.exports()) else {
        return Outcome::Abandoned;
    };
    exports.sort();
    other.sort();
    if exports != other {
        return Outcome::Differ(format!("exports differ: {l} {exports:?} vs {r} {other:?}"));
    }
    for (name, kind) in &exports {
        if *kind != ExportKind::Func {
            continue;
        }
        let a = lhs.call(name);
        let Some(b) = shielded(|| rhs.call(name)) else {
            return Outcome::Abandoned;
        };
        if matches!(a, Err(Failure::Exhausted)) || matches!(b, Err(Failure::Exhausted)) {
            return Outcome::Abandoned;
        }
        if a != b {
            return differ(
                wasm,
                format!("results of `{name}` differ: {l} {a:?} vs {r} {b:?}"),
            );
        }
    }
    for (name, kind) in &exports {
        match kind {
            ExportKind::Func => {}
            ExportKind::Global => {
                let a = lhs.global(name);
                let Some(b) = shielded(|| rhs.global(name)) else {
                    return Outcome::Abandoned;
                };
                if a != b {
                    return differ(
                        wasm,
                        format!("global `{name}` differs: {l} {a:?} vs {r} {b:?}"),
                    );
                }
            }
            ExportKind::Memory => {
                let a = lhs.memory(name);
                let Some(b) = shielded(|| rhs.memory(name)) else {
                    return Outcome::Abandoned;
                };
                if a != b {
                    let len = |m: &Option<Vec<u8>>| m.as_ref().map(Vec::len);
                    let first = a
                        .iter()
                        .zip(&b)
                        .find_map(|(a, b)| a.iter().zip(b).position(|(x, y)| x != y));
                    return differ(
                        wasm,
                        format!(
                            "memory `{name}` differs: {l} {:?} bytes, {r} {:?} bytes, first \
                             difference at {first:?}",
                            len(&a),
                            len(&b)
                        ),
                    );
                }
            }
            ExportKind::Table => {
                let a = lhs.table(name);
                let Some(b) = shielded(|| rhs.table(name)) else {
                    return Outcome::Abandoned;
                };
                if a != b {
                    return differ(
                        wasm,
                        format!("table `{name}` differs: {l} {a:?} vs {r} {b:?}"),
                    );
                }
            }
        }
    }
    Outcome::Agree
}
