//! Runs untrusted modules through Weft and checks that it never crashes the host.
//!
//! The contract under test: `Module::validate` and `Module::new` on any bytes, and running any
//! valid module, return `Ok`, an error or a trap — never a panic, an abort or a host stack
//! overflow. [`check`] drives one input through every stage (validate, compile, instantiate
//! with [`dummy_imports`], call every exported function with zero arguments under fuel) and
//! returns `Err` for behaviour that is wrong without being a crash, such as `validate` and
//! `Module::new` disagreeing. Panics are left to propagate so that the caller (libFuzzer or a
//! `catch_unwind` in the generated-module test) reports them.
//!
//! This file is shared, unchanged, by the fuzz targets (`fuzz/src/lib.rs`) and by the
//! integration test `tests/all/generated.rs` (through `#[path]`), so it depends only on `std`,
//! `weft` and `wasm_smith`.

use core::fmt;
use std::collections::BTreeMap;
use weft::ErrorExt as _;
use weft::{
    CompilationMode, Config, Engine, Error, Extern, ExternType, Func, Global, Instance, Memory,
    MemoryTypeBuilder, Module, Store, StoreLimits, StoreLimitsBuilder, Table, TableType, TrapCode,
    Val,
};

/// Fuel given to instantiation (the start function) and to each exported call.
pub const FUEL_PER_CALL: u64 = 20_000;

/// Fuel that `wasm_smith::Module::ensure_termination` gives each instance: every loop
/// iteration and function entry costs one unit, so generated code ends even without Weft's fuel.
pub const SMITH_FUEL: u32 = 200;

/// Largest linear memory a store may hold, in bytes (a memory bomb is refused, not allocated).
pub const MAX_MEMORY_BYTES: usize = 16 << 20;

/// Largest table a store may hold, in elements.
pub const MAX_TABLE_ELEMENTS: usize = 10_000;

/// The wasm-smith configuration for Weft's feature set: WebAssembly 2.0 (multi-value, bulk
/// memory, reference types, sign extension, saturating float-to-int, mutable globals and
/// fixed-width SIMD), relaxed SIMD, extended constant expressions, wide arithmetic, tail
/// calls, multi-memory (up to two memories), memory64 (64-bit memories and tables) and custom
/// page sizes (memories of 1-byte pages), with small modules so that many run quickly.
pub fn smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        simd_enabled: true,
        relaxed_simd_enabled: true,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: true,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: true,
        custom_page_sizes_enabled: true,
        custom_descriptors_enabled: false,
        compact_imports_enabled: false,
        wide_arithmetic_enabled: true,
        extended_const_enabled: true,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        max_memories: 2,
        max_tables: 3,
        max_memory32_bytes: 4 * 65536,
        max_memory64_bytes: 4 * 65536,
        max_table_elements: 64,
        min_types: 1,
        max_types: 10,
        min_funcs: 1,
        max_funcs: 8,
        max_imports: 6,
        max_exports: 12,
        max_globals: 6,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 8,
        max_instructions: 30,
        max_type_size: 40,
        export_everything: true,
        ..wasm_smith::Config::default()
    }
}

/// Turns `data` into a valid module for [`smith_config`] whose code always terminates (see
/// [`SMITH_FUEL`]). `None` if `data` is too short to describe a module.
pub fn generate(config: &wasm_smith::Config, data: &[u8]) -> Option<Vec<u8>> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut module = wasm_smith::Module::new(config.clone(), &mut u).ok()?;
    module.ensure_termination(SMITH_FUEL).ok()?;
    Some(module.to_bytes())
}

/// What bounds the execution of an engine's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Fuel: [`FUEL_PER_CALL`] for each call. Bounds any code.
    Fuel,
    /// Epoch interruption, with a deadline that is never reached: exercises the checks only.
    Epoch,
    /// Nothing (Weft's default): only for code that terminates by itself.
    Unbounded,
}

/// An engine for the features of [`smith_config`] in compilation mode `mode`, bounded by
/// `limit`.
///
/// # Errors
///
/// If Weft rejects the configuration.
pub fn engine(mode: CompilationMode, limit: Limit) -> weft::Result<Engine> {
    let mut config = Config::new();
    config
        .compilation_mode(mode)
        .wasm_wide_arithmetic(true)
        .wasm_memory64(true)
        .wasm_custom_page_sizes(true)
        .consume_fuel(limit == Limit::Fuel)
        .epoch_interruption(limit == Limit::Epoch);
    Engine::new(&config)
}

/// The engine configurations under test, so that inputs exercise each translation and
/// execution path: eager and lazy compilation with fuel, and unless `bounded_only`, eager
/// compilation with epoch interruption and lazy compilation with neither.
///
/// # Errors
///
/// If Weft rejects a configuration.
pub fn engines(bounded_only: bool) -> weft::Result<Vec<Engine>> {
    let mut configs = vec![
        (CompilationMode::Eager, Limit::Fuel),
        (CompilationMode::Lazy, Limit::Fuel),
    ];
    if !bounded_only {
        configs.push((CompilationMode::Eager, Limit::Epoch));
        configs.push((CompilationMode::Lazy, Limit::Unbounded));
    }
    configs
        .into_iter()
        .map(|(mode, limit)| engine(mode, limit))
        .collect()
}

/// A store whose memories and tables are bounded by [`MAX_MEMORY_BYTES`] and
/// [`MAX_TABLE_ELEMENTS`], and whose epoch deadline is never reached.
pub fn store(engine: &Engine) -> Store<StoreLimits> {
    let limits = StoreLimitsBuilder::new()
        .memory_size(MAX_MEMORY_BYTES)
        .table_elements(MAX_TABLE_ELEMENTS)
        .build();
    let mut store = Store::new(engine, limits);
    store.limiter(|limits| limits);
    store.set_epoch_deadline(u64::MAX / 2);
    store
}

/// One definition per import of `module`, in order, of exactly the imported type (64-bit
/// memories and tables included): host functions that return zeros, and fresh zeroed
/// memories, null-filled tables and zero globals.
///
/// # Errors
///
/// If a memory or table cannot be created (for example one over the store's limits).
pub fn dummy_imports<T: 'static>(
    store: &mut Store<T>,
    module: &Module,
) -> weft::Result<Vec<Extern>> {
    let mut imports = Vec::with_capacity(module.imports().len());
    for import in module.imports() {
        let item = match import.ty() {
            ExternType::Func(ty) => {
                let results = ty.results().to_vec();
                Extern::Func(Func::new(&mut *store, ty, move |_, _, out| {
                    for (slot, ty) in out.iter_mut().zip(&results) {
                        *slot = Val::default_for(*ty);
                    }
                    Ok(())
                }))
            }
            ExternType::Memory(ty) => {
                let memory_ty = MemoryTypeBuilder::new()
                    .min(ty.minimum())
                    .max(ty.maximum())
                    .memory64(ty.is_64())
                    .page_size_log2(ty.page_size_log2())
                    .build()?;
                Extern::Memory(Memory::new(&mut *store, memory_ty)?)
            }
            ExternType::Table(ty) => {
                let table_ty = if ty.is_64() {
                    TableType::new64(ty.element(), ty.minimum(), ty.maximum())
                } else {
                    let minimum = elements(ty.minimum())?;
                    TableType::new(
                        ty.element(),
                        minimum,
                        ty.maximum().map(elements).transpose()?,
                    )
                };
                let init = weft::Ref::null(ty.element().heap_type());
                Extern::Table(Table::new(&mut *store, table_ty, init)?)
            }
            ExternType::Global(ty) => {
                let value = Val::default_for(ty.content());
                Extern::Global(Global::new(&mut *store, ty, value)?)
            }
        };
        imports.push(item);
    }
    Ok(imports)
}

fn elements(n: u64) -> weft::Result<u32> {
    u32::try_from(n).map_err(|_| Error::msg(format!("table of {n} elements")))
}

/// What happened to the inputs given to [`check`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Inputs checked.
    pub inputs: u64,
    /// Inputs that `Module::validate` accepted.
    pub valid: u64,
    /// Inputs that `Module::new` compiled.
    pub compiled: u64,
    /// Modules whose dummy imports could not be made (over the store's limits).
    pub imports_refused: u64,
    /// Modules that instantiated.
    pub instantiated: u64,
    /// Instantiations that trapped (a segment out of bounds, or the start function).
    pub instantiation_traps: u64,
    /// Instantiations that failed with an error other than a trap.
    pub instantiation_errors: u64,
    /// Exported functions called.
    pub calls: u64,
    /// Calls that returned.
    pub returned: u64,
    /// Calls that trapped, other than by running out of fuel or by an internal error.
    pub traps: u64,
    /// Calls (or start functions) that ran out of fuel.
    pub out_of_fuel: u64,
    /// Traps with `TrapCode::InternalError`: not a crash, but a bug in Weft.
    pub internal_errors: u64,
    /// Calls that failed with an error that is not a trap (only resource limits are expected).
    pub call_errors: u64,
    /// Every trap (of instantiation or of a call), by its message.
    pub trap_codes: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Stats) {
        self.inputs += other.inputs;
        self.valid += other.valid;
        self.compiled += other.compiled;
        self.imports_refused += other.imports_refused;
        self.instantiated += other.instantiated;
        self.instantiation_traps += other.instantiation_traps;
        self.instantiation_errors += other.instantiation_errors;
        self.calls += other.calls;
        self.returned += other.returned;
        self.traps += other.traps;
        self.out_of_fuel += other.out_of_fuel;
        self.internal_errors += other.internal_errors;
        self.call_errors += other.call_errors;
        for (code, n) in &other.trap_codes {
            *self.trap_codes.entry(code).or_default() += n;
        }
    }

    fn count_trap(&mut self, code: TrapCode) {
        *self.trap_codes.entry(code.message()).or_default() += 1;
        match code {
            TrapCode::OutOfFuel => self.out_of_fuel += 1,
            TrapCode::InternalError => self.internal_errors += 1,
            _ => self.traps += 1,
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} inputs, {} valid, {} compiled, {} instantiated ({} trapped, {} failed, {} imports \
             refused), {} calls: {} returned, {} trapped, {} out of fuel, {} internal errors, \
             {} other errors",
            self.inputs,
            self.valid,
            self.compiled,
            self.instantiated,
            self.instantiation_traps,
            self.instantiation_errors,
            self.imports_refused,
            self.calls,
            self.returned,
            self.traps,
            self.out_of_fuel,
            self.internal_errors,
            self.call_errors,
        )?;
        let mut sep = "; traps: ";
        for (code, n) in &self.trap_codes {
            write!(f, "{sep}{n} {code}")?;
            sep = ", ";
        }
        Ok(())
    }
}

/// Whether an input is known to be a valid module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Generated by wasm-smith for [`smith_config`]: it must validate and compile.
    Valid,
    /// Anything else.
    Unknown,
}

/// Validates, compiles, instantiates and runs `bytes`, counting what happened in `stats`.
///
/// # Errors
///
/// A description of a wrong but non-crashing behaviour: `Module::validate` and `Module::new`
/// disagreeing about a binary, a module expected to be valid being rejected, instantiation
/// with imports of exactly the right types failing to link, or a call failing with an error
/// that is neither a trap nor a resource limit.
pub fn check(
    engine: &Engine,
    bytes: &[u8],
    expect: Expect,
    stats: &mut Stats,
) -> Result<(), String> {
    stats.inputs += 1;
    let validated = Module::validate(engine, bytes);
    if validated.is_ok() {
        stats.valid += 1;
    }
    let compiled = Module::new(engine, bytes);
    // `Module::new` also accepts WAT; on a binary it must agree with `validate`.
    if bytes.starts_with(b"\0asm") {
        match (&validated, &compiled) {
            (Ok(()), Err(e)) => return Err(format!("validates, but Module::new fails: {e}")),
            (Err(e), Ok(_)) => return Err(format!("Module::new compiles an invalid module: {e}")),
            _ => {}
        }
    }
    if let (Expect::Valid, Err(e)) = (expect, &validated) {
        return Err(format!("a generated module does not validate: {e}"));
    }
    let Ok(module) = compiled else {
        return Ok(());
    };
    stats.compiled += 1;
    run(engine, &module, stats)
}

/// Instantiates `module` with [`dummy_imports`] and calls each exported function with zero
/// arguments, each under [`FUEL_PER_CALL`] if the engine uses fuel.
///
/// # Errors
///
/// As [`check`].
pub fn run(engine: &Engine, module: &Module, stats: &mut Stats) -> Result<(), String> {
    let mut store = store(engine);
    let Ok(imports) = dummy_imports(&mut store, module) else {
        stats.imports_refused += 1;
        return Ok(());
    };
    refuel(&mut store)?;
    let instance = match Instance::new(&mut store, module, &imports) {
        Ok(instance) => instance,
        Err(e) => {
            if let Some(code) = e.trap_code() {
                stats.instantiation_traps += 1;
                stats.count_trap(code);
                return Ok(());
            }
            stats.instantiation_errors += 1;
            return match e.kind() {
                Some(weft::ErrorKind::ResourceExhausted(_)) => Ok(()),
                _ => Err(format!("instantiation with matching imports failed: {e}")),
            };
        }
    };
    stats.instantiated += 1;
    let names: Vec<String> = module.exports().map(|e| e.name().to_string()).collect();
    for name in &names {
        match instance.get_export(&store, name) {
            Some(Extern::Func(func)) => {
                let ty = func.ty(&store);
                let params: Vec<Val> = ty.params().iter().map(|t| Val::default_for(*t)).collect();
                let mut results: Vec<Val> =
                    ty.results().iter().map(|t| Val::default_for(*t)).collect();
                refuel(&mut store)?;
                stats.calls += 1;
                match func.call(&mut store, &params, &mut results) {
                    Ok(()) => stats.returned += 1,
                    Err(e) => match (e.trap_code(), e.kind()) {
                        (Some(code), _) => stats.count_trap(code),
                        (None, Some(weft::ErrorKind::ResourceExhausted(_))) => {
                            stats.call_errors += 1
                        }
                        // The arguments have the function's own types and the dummy imports
                        // never fail: any other error (such as a lazy translation failing) is
                        // the engine's.
                        (None, _) => {
                            stats.call_errors += 1;
                            return Err(format!("calling export `{name}` failed: {e}"));
                        }
                    },
                }
            }
            Some(Extern::Global(global)) => {
                let _ = global.get(&mut store);
            }
            Some(Extern::Memory(memory)) => {
                let _ = memory.data(&store).len();
            }
            Some(Extern::Table(table)) => {
                let size = table.size(&store);
                let _ = table.get(&mut store, size.saturating_sub(1));
            }
            None => return Err(format!("export `{name}` is missing from the instance")),
        }
    }
    Ok(())
}

/// Gives `store` [`FUEL_PER_CALL`] if its engine uses fuel.
fn refuel<T>(store: &mut Store<T>) -> Result<(), String> {
    if store.get_fuel().is_err() {
        return Ok(());
    }
    store
        .set_fuel(FUEL_PER_CALL)
        .map_err(|e| format!("cannot set fuel: {e}"))
}
