//! Precompiled modules: [`Module::serialize`], [`Module::deserialize`] and
//! [`Engine::precompile_module`].
//!
//! # Format
//!
//! Weft's own, little-endian throughout:
//!
//! ```text
//! magic            8 bytes  "\0weft-m\x01"   (the last byte says "core module")
//! format version   u32      FORMAT_VERSION
//! weft version     string   the crate version that wrote the file
//! fingerprint      bytes    every Config setting that changes translation (see below)
//! module           ...      types, imports, defined functions / tables / memories /
//!                           globals, exports, start, element and data segments, names
//! code             ...      per defined function: the record's length in bytes (u32), then
//!                           the record: frame shape and its bytecode (`ir::codec`), not
//!                           yet threaded
//! ```
//!
//! The fingerprint holds the enabled proposals, fuel metering, epoch interruption and the
//! compilation mode: each changes the bytecode the translator emits or how a module behaves
//! (a lazy module is translated function by function; a precompiled one always holds every
//! function, translated). Settings that do not reach the bytecode are left out:
//! `max_wasm_stack` is checked at run time against the frame sizes the file records, and
//! the dispatch technique of the build (tail calls or a trampoline) is chosen when the
//! bytecode is threaded, at load. A string counts as bytes then UTF-8; counts are `u32`.
//!
//! # Loading is verified
//!
//! Nothing in a file is trusted. [`Module::deserialize`] decodes with bounds checks,
//! rebuilds the module's index spaces from the decoded imports and definitions, checks
//! every index the module holds (types of functions, exports, start, segments, constant
//! expressions and their types), and locates every function's code record inside the file.
//! A function's record is decoded, verified and threaded on the function's first use (as a
//! lazy engine translates wasm), so that loading costs little more than reading the
//! module's declarations; no bytecode runs before it is verified. The bytecode verifier is
//! [`crate::ir::verify`] (every slot inside the frame, every branch target inside the
//! function, no falling off its end) with the index checks of [`check_code`] (callees,
//! types, tables, memory, globals, segments in range, call arities fitting the frame).
//! These are the facts the interpreter's unchecked accesses rely on (`exec::dispatch`'s
//! invariants I1–I5), so a corrupted or forged file is an error, never undefined
//! behaviour or a panic.

use super::{
    ConstExpr, ConstOp, DataMode, DataSegment, ElemMode, ElemSegment, Export, ExternKind, FuncCode,
    Import, ImportKind, LazyCode, Module, ModuleInfo, ModuleInner,
};
use crate::config::{CompilationMode, Config};
use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::{
    DataIdx, DefinedFuncIdx, ElemIdx, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx,
};
use crate::ir::codec::{DecodeError, Reader, Writer};
use crate::ir::{CompiledFunc, Instr, Slot};
use crate::types::{
    ConcreteFuncType, FuncType, GlobalType, HeapType, MemoryType, Mutability, RefType, TableType,
    ValType,
};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The first bytes of a precompiled core module.
const MAGIC: [u8; 8] = *b"\0weft-m\x01";

/// The first bytes of a precompiled component (see `component::component`'s
/// `Component::serialize`).
pub(crate) const COMPONENT_MAGIC: [u8; 8] = *b"\0weft-c\x01";

/// The version of the layout below; bumped whenever it changes.
const FORMAT_VERSION: u32 = 5;

/// The largest frame a function may have: every slot index fits a [`Slot`].
const MAX_FRAME_SLOTS: u32 = u16::MAX as u32 + 1;

/// What kind of precompiled artifact some bytes are, as told by
/// [`Engine::detect_precompiled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precompiled {
    /// A core module written by [`Engine::precompile_module`] or [`Module::serialize`]; load
    /// it with [`Module::deserialize`].
    Module,
    /// A component written by [`Engine::precompile_component`] or
    /// [`Component::serialize`](crate::component::Component::serialize); load it with
    /// [`Component::deserialize`](crate::component::Component::deserialize).
    Component,
}

impl Engine {
    /// Compiles a module (binary or WAT, as [`Module::new`] accepts) and returns it
    /// serialized, to be loaded later by [`Module::deserialize`] with an engine of the same
    /// configuration, skipping decoding, validation and translation.
    ///
    /// ```
    /// let engine = weft::Engine::default();
    /// let bytes = engine.precompile_module(br#"(module (func (export "f") (result i32) i32.const 7))"#)?;
    /// assert_eq!(engine.detect_precompiled(&bytes), Some(weft::Precompiled::Module));
    /// // SAFETY: Weft verifies precompiled modules on load (see `Module::deserialize`).
    /// # #[allow(unsafe_code)]
    /// let module = unsafe { weft::Module::deserialize(&engine, &bytes)? };
    /// assert_eq!(module.exports().len(), 1);
    /// # Ok::<(), weft::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Module::new`].
    pub fn precompile_module(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        Module::new(self, bytes)?.serialize()
    }

    /// Compiles a component (binary or WAT, as
    /// [`Component::new`](crate::component::Component::new) accepts) and returns it
    /// serialized, to be loaded later by
    /// [`Component::deserialize`](crate::component::Component::deserialize) with an engine
    /// of the same configuration, skipping the translation of its core modules.
    ///
    /// # Errors
    ///
    /// As [`Component::new`](crate::component::Component::new).
    #[cfg(feature = "component-model")]
    pub fn precompile_component(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        crate::component::Component::new(self, bytes)?.serialize()
    }

    /// Whether `bytes` look like a module ([`Precompiled::Module`]) or a component
    /// ([`Precompiled::Component`]) precompiled by Weft, from their first bytes only: `None`
    /// for anything else (a `.wasm` binary, text, another runtime's artifact). It says
    /// nothing of whether they would load in this engine.
    pub fn detect_precompiled(&self, bytes: &[u8]) -> Option<Precompiled> {
        if bytes.starts_with(&MAGIC) {
            Some(Precompiled::Module)
        } else if bytes.starts_with(&COMPONENT_MAGIC) {
            Some(Precompiled::Component)
        } else {
            None
        }
    }
}

impl Module {
    /// Serializes this module for [`Module::deserialize`]: its types, imports, exports,
    /// segments, names, and the translated bytecode of every function (a module of a lazy
    /// engine has all its functions translated first).
    ///
    /// The bytes are portable between hosts (little-endian, no pointers); loading them
    /// requires the same Weft version and an engine whose configuration agrees on the
    /// settings that shape the bytecode: the `Config::wasm_*` proposals,
    /// [`Config::consume_fuel`], [`Config::epoch_interruption`] and
    /// [`Config::compilation_mode`]. Other settings (such as [`Config::max_wasm_stack`]) may
    /// differ.
    ///
    /// # Errors
    ///
    /// An error if lazily translating a function fails (as calling it would).
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let inner = &*self.inner;
        let mut w = Writer::default();
        write_header(&mut w, &inner.engine, MAGIC);
        write_info(&mut w, &inner.info);
        w.len(inner.code.len());
        for index in 0..inner.code.len() {
            let func = inner.compiled(DefinedFuncIdx::from_u32(index as u32))?;
            // The record's length, filled in below, lets a loader find every record without
            // decoding the ones before it.
            let len_at = w.bytes.len();
            w.u32(0);
            w.u32(func.num_params);
            w.u32(func.num_locals);
            w.u32(func.num_slots);
            w.u32(func.num_results);
            w.len(func.code.len());
            for op in &func.code {
                op.instr.encode(&mut w);
            }
            let record_len = w.bytes.len() - len_at - 4;
            let record_len = u32::try_from(record_len)
                .map_err(|_| Error::resource("a function's code exceeds 4 GiB"))?;
            if let Some(field) = w.bytes.get_mut(len_at..len_at + 4) {
                field.copy_from_slice(&record_len.to_le_bytes());
            }
        }
        Ok(w.bytes)
    }

    /// Loads a module written by [`Module::serialize`] or [`Engine::precompile_module`],
    /// without decoding, validating or translating wasm again.
    ///
    /// # Safety
    ///
    /// None required: this function is `unsafe` only so that its signature is Wasmtime's.
    /// Wasmtime's `Module::deserialize` maps the bytes as native code and trusts them, and
    /// passing it untrusted bytes is undefined behaviour. Weft promises more: the bytes are
    /// decoded with bounds checks; before the module exists every index it holds is
    /// checked against its index space and every function's code record is located; and
    /// before a function first runs its bytecode is verified (each slot inside the frame,
    /// each branch target inside the function, no falling off its end, callees, types,
    /// tables, memory, globals and segments in range, each call's arguments and results
    /// inside the frame). So truncated, forged or foreign bytes give an `Err` here, and a
    /// corrupted function body gives an `Err` from the call that first reaches it (as a
    /// lazily translated function does); never undefined behaviour or a panic. A forged file that passes verification can still compute
    /// wrong results (its bytecode is not type-checked as wasm is), but only within the
    /// sandbox: its own frames, memories, tables and globals.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::Usage`](crate::ErrorKind::Usage) for a file of another Weft version or
    ///   format version, or compiled with a configuration that differs from `engine`'s
    ///   (the message names the settings that differ);
    /// - [`ErrorKind::Malformed`](crate::ErrorKind::Malformed), with the offset, for bytes
    ///   that are not a precompiled Weft module or fail verification (for a function's
    ///   bytecode, from the first call that reaches the function).
    #[allow(
        unsafe_code,
        reason = "the signature of Wasmtime's `Module::deserialize`"
    )]
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        deserialize(engine, bytes.as_ref())
    }

    /// Reads a file written by [`Module::serialize`] or [`Engine::precompile_module`] and
    /// loads it as [`Module::deserialize`] does.
    ///
    /// # Safety
    ///
    /// None required; as [`Module::deserialize`], the bytes are verified.
    ///
    /// # Errors
    ///
    /// As [`Module::deserialize`], and an error naming the file if it cannot be read.
    #[allow(
        unsafe_code,
        reason = "the signature of Wasmtime's `Module::deserialize_file`"
    )]
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::msg(format!("failed to read `{}`: {e}", path.display())))?;
        deserialize(engine, &bytes)
    }
}

/// The settings of `config` that a precompiled module depends on, by name, in file order.
fn settings(config: &Config) -> [(&'static str, u8); 17] {
    [
        ("wasm_multi_value", u8::from(config.multi_value)),
        ("wasm_bulk_memory", u8::from(config.bulk_memory)),
        ("wasm_reference_types", u8::from(config.reference_types)),
        ("wasm_sign_extension", u8::from(config.sign_extension)),
        (
            "wasm_saturating_float_to_int",
            u8::from(config.saturating_float_to_int),
        ),
        ("wasm_mutable_global", u8::from(config.mutable_global)),
        ("wasm_simd", u8::from(config.simd)),
        ("wasm_relaxed_simd", u8::from(config.relaxed_simd)),
        ("wasm_wide_arithmetic", u8::from(config.wide_arithmetic)),
        ("wasm_multi_memory", u8::from(config.multi_memory)),
        ("wasm_memory64", u8::from(config.memory64)),
        ("wasm_tail_call", u8::from(config.tail_call)),
        (
            "wasm_function_references",
            u8::from(config.function_references),
        ),
        ("wasm_custom_page_sizes", u8::from(config.custom_page_sizes)),
        ("consume_fuel", u8::from(config.consume_fuel)),
        ("epoch_interruption", u8::from(config.epoch_interruption)),
        (
            "compilation_mode",
            match config.compilation_mode {
                CompilationMode::Eager => 0,
                CompilationMode::Lazy => 1,
            },
        ),
    ]
}

fn fingerprint(config: &Config) -> Vec<u8> {
    settings(config).iter().map(|(_, value)| *value).collect()
}

/// Describes a setting's recorded value for an error message.
fn describe(name: &str, value: u8) -> String {
    match (name, value) {
        ("compilation_mode", 0) => "Eager".to_string(),
        ("compilation_mode", 1) => "Lazy".to_string(),
        ("compilation_mode", _) => format!("unknown ({value})"),
        (_, 0) => "false".to_string(),
        (_, 1) => "true".to_string(),
        _ => format!("unknown ({value})"),
    }
}

/// Writes the header of a precompiled file: `magic`, the format and Weft versions, and the
/// fingerprint of `engine`'s configuration.
pub(crate) fn write_header(w: &mut Writer, engine: &Engine, magic: [u8; 8]) {
    w.bytes.extend_from_slice(&magic);
    w.u32(FORMAT_VERSION);
    w.str(env!("CARGO_PKG_VERSION"));
    w.bytes(&fingerprint(engine.config()));
}

/// Checks that a file's header fits this build and `engine`.
fn check_header(engine: &Engine, r: &mut Reader<'_>) -> Result<()> {
    check_header_of(engine, r, MAGIC, "module")
}

/// Checks that the header of a precompiled `what` (`module` or `component`), written by
/// [`write_header`] with `magic`, fits this build and `engine`.
pub(crate) fn check_header_of(
    engine: &Engine,
    r: &mut Reader<'_>,
    magic: [u8; 8],
    what: &str,
) -> Result<()> {
    let found = r.take(magic.len()).map_err(malformed)?;
    if found != magic {
        return Err(Error::malformed(
            format!("not a precompiled Weft {what} (bad magic number)"),
            Some(0),
        ));
    }
    let version = r.u32().map_err(malformed)?;
    if version != FORMAT_VERSION {
        return Err(Error::usage(format!(
            "precompiled {what} has format version {version}, but this Weft reads version \
             {FORMAT_VERSION}: precompile it again"
        )));
    }
    let weft = r.str().map_err(malformed)?;
    if weft != env!("CARGO_PKG_VERSION") {
        return Err(Error::usage(format!(
            "precompiled {what} was compiled by Weft {weft}, but this is Weft {}: precompile \
             it again",
            env!("CARGO_PKG_VERSION")
        )));
    }
    let recorded = r.bytes().map_err(malformed)?;
    let expected = settings(engine.config());
    if recorded.len() != expected.len() {
        return Err(Error::malformed(
            format!("precompiled {what} has a configuration fingerprint of the wrong length"),
            Some(r.offset()),
        ));
    }
    let differences: Vec<String> = expected
        .iter()
        .zip(recorded)
        .filter(|((_, want), got)| want != *got)
        .map(|((name, want), got)| {
            format!(
                "`Config::{name}` is {} in the engine but was {} when compiling",
                describe(name, *want),
                describe(name, *got)
            )
        })
        .collect();
    if !differences.is_empty() {
        return Err(Error::usage(format!(
            "precompiled {what} is incompatible with this engine: {}",
            differences.join("; ")
        )));
    }
    Ok(())
}

pub(crate) fn malformed(error: DecodeError) -> Error {
    Error::malformed(
        format!("invalid precompiled module: {}", error.message),
        Some(error.offset),
    )
}

pub(crate) fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Module> {
    let mut r = Reader::new(bytes);
    check_header(engine, &mut r)?;
    let (info, code) = read_module(engine, &mut r).map_err(malformed)?;
    let bytes = LazyCode::Precompiled(Arc::from(bytes));
    Ok(ModuleInner::new_module(engine, info, code, Some(bytes)))
}

/// Decodes and verifies the code record of defined function `defined` (`record`, which
/// starts at `offset` of the precompiled bytes), on the function's first use.
///
/// # Errors
///
/// A malformed-module error with the offset, if the record does not decode or verify.
pub(super) fn read_lazy_func(
    info: &ModuleInfo,
    defined: DefinedFuncIdx,
    record: &[u8],
    offset: usize,
) -> Result<CompiledFunc> {
    let mut r = Reader::new(record);
    let func = read_func(&mut r, info, defined.as_u32(), &mut Vec::new());
    let func = match func {
        Ok(func) if r.is_empty() => Ok(func),
        Ok(_) => bad(&r, "trailing bytes after a function's code"),
        Err(error) => Err(error),
    };
    func.map_err(|error| {
        malformed(DecodeError {
            message: error.message,
            offset: offset + error.offset,
        })
    })
}

// ---- writing ----

/// Writes value type `ty`; a concrete heap type as the index of the first of `types` (the
/// module's types) equal to it.
fn write_val_type(w: &mut Writer, types: &[FuncType], ty: ValType) {
    let (nullable, heap_type) = match ty {
        ValType::I32 => return w.u8(0),
        ValType::I64 => return w.u8(1),
        ValType::F32 => return w.u8(2),
        ValType::F64 => return w.u8(3),
        ValType::V128 => return w.u8(8),
        ValType::Ref(RefType {
            nullable,
            heap_type,
        }) => (nullable, heap_type),
    };
    match (heap_type, nullable) {
        (HeapType::Func, true) => w.u8(4),
        (HeapType::Extern, true) => w.u8(5),
        (HeapType::Func, false) => w.u8(6),
        (HeapType::Extern, false) => w.u8(7),
        (heap_type, nullable) => {
            w.u8(9);
            w.u8(u8::from(nullable));
            match heap_type {
                HeapType::NoFunc => w.u8(0),
                HeapType::NoExtern => w.u8(1),
                HeapType::ConcreteFunc(func) => {
                    w.u8(2);
                    // Every concrete type of a module is one of its types (see `module`).
                    let index = types.iter().position(|t| t == func.func_type());
                    w.u32(index.map_or(u32::MAX, |i| i as u32));
                }
                HeapType::Func | HeapType::Extern => w.u8(u8::MAX),
            }
        }
    }
}

fn write_ref_type(w: &mut Writer, types: &[FuncType], ty: RefType) {
    write_val_type(w, types, ty.into());
}

fn write_option(w: &mut Writer, value: Option<u64>) {
    match value {
        None => w.u8(0),
        Some(value) => {
            w.u8(1);
            w.u64(value);
        }
    }
}

fn write_table_type(w: &mut Writer, types: &[FuncType], ty: &TableType) {
    write_ref_type(w, types, ty.element());
    w.u8(u8::from(ty.is_64()));
    w.u64(ty.minimum());
    write_option(w, ty.maximum());
}

fn write_memory_type(w: &mut Writer, ty: &MemoryType) {
    w.u8(u8::from(ty.is_64()));
    w.u8(ty.page_size_log2());
    w.u64(ty.minimum());
    write_option(w, ty.maximum());
}

fn write_global_type(w: &mut Writer, types: &[FuncType], ty: &GlobalType) {
    write_val_type(w, types, ty.content());
    w.u8(u8::from(ty.mutability() == Mutability::Var));
}

fn write_const_expr(w: &mut Writer, types: &[FuncType], expr: &ConstExpr) {
    w.len(expr.ops.len());
    for op in expr.ops.iter() {
        match *op {
            ConstOp::I32(v) => {
                w.u8(0);
                w.u32(v as u32);
            }
            ConstOp::I64(v) => {
                w.u8(1);
                w.u64(v as u64);
            }
            ConstOp::F32(v) => {
                w.u8(2);
                w.u32(v);
            }
            ConstOp::F64(v) => {
                w.u8(3);
                w.u64(v);
            }
            ConstOp::RefNull(ty) => {
                w.u8(4);
                write_ref_type(w, types, ty);
            }
            ConstOp::RefFunc(f) => {
                w.u8(5);
                w.u32(f.as_u32());
            }
            ConstOp::GlobalGet(g) => {
                w.u8(6);
                w.u32(g.as_u32());
            }
            ConstOp::I32Add => w.u8(7),
            ConstOp::I32Sub => w.u8(8),
            ConstOp::I32Mul => w.u8(9),
            ConstOp::I64Add => w.u8(10),
            ConstOp::I64Sub => w.u8(11),
            ConstOp::I64Mul => w.u8(12),
            ConstOp::V128(v) => {
                w.u8(13);
                w.u64(v as u64);
                w.u64((v >> 64) as u64);
            }
        }
    }
}

fn write_info(w: &mut Writer, info: &ModuleInfo) {
    match &info.name {
        None => w.u8(0),
        Some(name) => {
            w.u8(1);
            w.str(name);
        }
    }
    let types = info.types.as_slice();
    w.len(types.len());
    for ty in types {
        w.len(ty.params().len());
        ty.params()
            .iter()
            .for_each(|t| write_val_type(w, types, *t));
        w.len(ty.results().len());
        ty.results()
            .iter()
            .for_each(|t| write_val_type(w, types, *t));
    }
    w.len(info.imports.len());
    for import in &info.imports {
        w.str(&import.module);
        w.str(&import.name);
        match &import.kind {
            ImportKind::Func(ty) => {
                w.u8(0);
                w.u32(ty.as_u32());
            }
            ImportKind::Table(ty) => {
                w.u8(1);
                write_table_type(w, types, ty);
            }
            ImportKind::Memory(ty) => {
                w.u8(2);
                write_memory_type(w, ty);
            }
            ImportKind::Global(ty) => {
                w.u8(3);
                write_global_type(w, types, ty);
            }
        }
    }
    let defined_funcs = &info.funcs.as_slice()[info.num_imported_funcs as usize..];
    w.len(defined_funcs.len());
    defined_funcs.iter().for_each(|ty| w.u32(ty.as_u32()));
    let defined_tables = &info.tables[info.num_imported_tables as usize..];
    w.len(defined_tables.len());
    for (index, ty) in defined_tables.iter().enumerate() {
        write_table_type(w, types, ty);
        match info.table_inits.get(index) {
            Some(Some(init)) => {
                w.u8(1);
                write_const_expr(w, types, init);
            }
            _ => w.u8(0),
        }
    }
    let defined_memories = &info.memories[info.num_imported_memories as usize..];
    w.len(defined_memories.len());
    defined_memories
        .iter()
        .for_each(|ty| write_memory_type(w, ty));
    let defined_globals = &info.globals[info.num_imported_globals as usize..];
    w.len(defined_globals.len());
    for (ty, init) in defined_globals.iter().zip(&info.global_inits) {
        write_global_type(w, types, ty);
        write_const_expr(w, types, init);
    }
    w.len(info.exports.len());
    for export in &info.exports {
        w.str(&export.name);
        w.u8(match export.kind {
            ExternKind::Func => 0,
            ExternKind::Table => 1,
            ExternKind::Memory => 2,
            ExternKind::Global => 3,
        });
        w.u32(export.index);
    }
    write_option(w, info.start.map(|f| u64::from(f.as_u32())));
    w.len(info.elems.len());
    for (_, elem) in info.elems.iter() {
        match &elem.mode {
            ElemMode::Passive => w.u8(0),
            ElemMode::Active { table, offset } => {
                w.u8(1);
                w.u32(table.as_u32());
                write_const_expr(w, types, offset);
            }
            ElemMode::Declared => w.u8(2),
        }
        w.len(elem.items.len());
        elem.items
            .iter()
            .for_each(|item| write_const_expr(w, types, item));
    }
    w.len(info.datas.len());
    for (_, data) in info.datas.iter() {
        match &data.mode {
            DataMode::Passive => w.u8(0),
            DataMode::Active { memory, offset } => {
                w.u8(1);
                w.u32(memory.as_u32());
                write_const_expr(w, types, offset);
            }
        }
        w.bytes(&data.bytes);
    }
    let mut names: Vec<_> = info.func_names.iter().collect();
    names.sort_unstable_by_key(|(index, _)| **index);
    w.len(names.len());
    for (index, name) in names {
        w.u32(*index);
        w.str(name);
    }
}

// ---- reading and checking ----

/// A failed check of a decoded module, at the reader's offset.
fn bad<T>(r: &Reader<'_>, message: impl Into<String>) -> core::result::Result<T, DecodeError> {
    Err(r.error(message))
}

type Decoded<T> = core::result::Result<T, DecodeError>;

/// Reads a value type written by [`write_val_type`]; a concrete heap type must name one of
/// `types`.
fn read_val_type(r: &mut Reader<'_>, types: &[FuncType]) -> Decoded<ValType> {
    Ok(match r.u8()? {
        0 => ValType::I32,
        1 => ValType::I64,
        2 => ValType::F32,
        3 => ValType::F64,
        4 => ValType::FUNCREF,
        5 => ValType::EXTERNREF,
        6 => ValType::Ref(RefType::new(false, HeapType::Func)),
        7 => ValType::Ref(RefType::new(false, HeapType::Extern)),
        8 => ValType::V128,
        9 => {
            let nullable = match r.u8()? {
                0 => false,
                1 => true,
                other => return bad(r, format!("invalid nullability {other}")),
            };
            let heap_type = match r.u8()? {
                0 => HeapType::NoFunc,
                1 => HeapType::NoExtern,
                2 => {
                    let index = read_index(r, types.len(), "type")?;
                    match types.get(index as usize) {
                        Some(ty) => HeapType::ConcreteFunc(ConcreteFuncType::new(ty)),
                        None => return bad(r, "unknown type"),
                    }
                }
                other => return bad(r, format!("unknown heap type {other}")),
            };
            ValType::Ref(RefType::new(nullable, heap_type))
        }
        other => return bad(r, format!("unknown value type {other}")),
    })
}

fn read_ref_type(r: &mut Reader<'_>, types: &[FuncType]) -> Decoded<RefType> {
    match read_val_type(r, types)?.as_ref_type() {
        Some(ty) => Ok(ty),
        None => bad(r, "a number type where a reference type is expected"),
    }
}

fn read_option(r: &mut Reader<'_>) -> Decoded<Option<u64>> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(r.u64()?)),
        other => bad(r, format!("invalid option tag {other}")),
    }
}

/// Limits as validation admits them: `min <= max <= bound`.
fn check_limits(r: &Reader<'_>, min: u64, max: Option<u64>, bound: u64) -> Decoded<()> {
    if min > bound || max.is_some_and(|max| max < min || max > bound) {
        return bad(r, format!("invalid limits {min}..{max:?}"));
    }
    Ok(())
}

fn read_table_type(r: &mut Reader<'_>, types: &[FuncType]) -> Decoded<TableType> {
    let element = read_ref_type(r, types)?;
    let table64 = match r.u8()? {
        0 => false,
        1 => true,
        other => return bad(r, format!("invalid table address width {other}")),
    };
    let (min, max) = (r.u64()?, read_option(r)?);
    let bound = if table64 {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    };
    check_limits(r, min, max, bound)?;
    Ok(TableType::from_limits(element, min, max).with_64(table64))
}

fn read_memory_type(r: &mut Reader<'_>) -> Decoded<MemoryType> {
    let memory64 = match r.u8()? {
        0 => false,
        1 => true,
        other => return bad(r, format!("invalid memory address width {other}")),
    };
    let page_size_log2 = match r.u8()? {
        log2 @ (0 | 16) => log2,
        other => return bad(r, format!("invalid page size 2^{other}")),
    };
    let (min, max) = (r.u64()?, read_option(r)?);
    check_limits(
        r,
        min,
        max,
        MemoryType::max_type_pages(memory64, page_size_log2),
    )?;
    Ok(MemoryType::from_limits(min, max)
        .with_64(memory64)
        .with_page_size_log2(page_size_log2))
}

fn read_global_type(r: &mut Reader<'_>, types: &[FuncType]) -> Decoded<GlobalType> {
    let content = read_val_type(r, types)?;
    let mutability = match r.u8()? {
        0 => Mutability::Const,
        1 => Mutability::Var,
        other => return bad(r, format!("invalid mutability {other}")),
    };
    Ok(GlobalType::new(content, mutability))
}

/// Reads a constant expression and checks it has type `ty` (spec §3.3.10): every index in
/// range, `global.get` only of the first `globals` globals, and a well-typed stack.
fn read_const_expr(
    r: &mut Reader<'_>,
    info: &ModuleInfo,
    globals: usize,
    ty: ValType,
) -> Decoded<ConstExpr> {
    let (expr, actual) = read_any_const_expr(r, info, globals)?;
    if !actual.matches(&ty) {
        return bad(
            r,
            format!("constant expression of type {actual}, expected {ty}"),
        );
    }
    Ok(expr)
}

/// Reads a constant expression of one value, of any type, checked as by
/// [`read_const_expr`]; returns it with its type.
fn read_any_const_expr(
    r: &mut Reader<'_>,
    info: &ModuleInfo,
    globals: usize,
) -> Decoded<(ConstExpr, ValType)> {
    let len = r.len(1)?;
    let mut ops = Vec::with_capacity(len);
    let mut stack: Vec<ValType> = Vec::with_capacity(2);
    for _ in 0..len {
        let op = match r.u8()? {
            0 => ConstOp::I32(r.u32()? as i32),
            1 => ConstOp::I64(r.u64()? as i64),
            2 => ConstOp::F32(r.u32()?),
            3 => ConstOp::F64(r.u64()?),
            4 => ConstOp::RefNull(read_ref_type(r, info.types.as_slice())?),
            5 => ConstOp::RefFunc(FuncIdx::from_u32(r.u32()?)),
            6 => ConstOp::GlobalGet(GlobalIdx::from_u32(r.u32()?)),
            7 => ConstOp::I32Add,
            8 => ConstOp::I32Sub,
            9 => ConstOp::I32Mul,
            10 => ConstOp::I64Add,
            11 => ConstOp::I64Sub,
            12 => ConstOp::I64Mul,
            13 => {
                let lo = r.u64()?;
                ConstOp::V128(u128::from(lo) | (u128::from(r.u64()?) << 64))
            }
            other => return bad(r, format!("unknown constant operator {other}")),
        };
        let pushed = match op {
            ConstOp::I32(_) => ValType::I32,
            ConstOp::I64(_) => ValType::I64,
            ConstOp::F32(_) => ValType::F32,
            ConstOp::F64(_) => ValType::F64,
            ConstOp::V128(_) => ValType::V128,
            // A null of any type of its hierarchy.
            ConstOp::RefNull(ty) => RefType::new(true, ty.heap_type().bottom()).into(),
            ConstOp::RefFunc(f) => match info.func_type(f) {
                Some(ty) => {
                    RefType::new(false, HeapType::ConcreteFunc(ConcreteFuncType::new(ty))).into()
                }
                None => {
                    return bad(
                        r,
                        format!("`ref.func {f}` of a function that does not exist"),
                    );
                }
            },
            ConstOp::GlobalGet(g) => match info.globals.get(g.index()) {
                Some(global) if g.index() < globals => global.content(),
                _ => return bad(r, format!("`global.get {g}` of a global it cannot read")),
            },
            ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                pop_operands(r, &mut stack, ValType::I32)?
            }
            ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                pop_operands(r, &mut stack, ValType::I64)?
            }
        };
        stack.push(pushed);
        ops.push(op);
    }
    match stack[..] {
        [ty] => Ok((ConstExpr { ops: ops.into() }, ty)),
        _ => bad(
            r,
            format!("constant expression leaves {} values", stack.len()),
        ),
    }
}

/// Pops the two `ty` operands of a binary constant operator; returns its result type.
fn pop_operands(r: &Reader<'_>, stack: &mut Vec<ValType>, ty: ValType) -> Decoded<ValType> {
    if stack.pop() != Some(ty) || stack.pop() != Some(ty) {
        return bad(r, "ill-typed constant expression");
    }
    Ok(ty)
}

/// Reads a `u32` index and checks it is below `len`.
fn read_index(r: &mut Reader<'_>, len: usize, what: &str) -> Decoded<u32> {
    let index = r.u32()?;
    if index as usize >= len {
        return bad(r, format!("{what} index {index} out of range (of {len})"));
    }
    Ok(index)
}

fn read_module(engine: &Engine, r: &mut Reader<'_>) -> Decoded<(ModuleInfo, Box<[FuncCode]>)> {
    let mut info = ModuleInfo {
        name: match r.u8()? {
            0 => None,
            1 => Some(r.str()?.to_string()),
            other => return bad(r, format!("invalid option tag {other}")),
        },
        ..ModuleInfo::default()
    };
    let num_types = r.len(8)?;
    for _ in 0..num_types {
        let params = (0..r.len(1)?)
            .map(|_| read_val_type(r, info.types.as_slice()))
            .collect::<Decoded<Vec<_>>>()?;
        let results = (0..r.len(1)?)
            .map(|_| read_val_type(r, info.types.as_slice()))
            .collect::<Decoded<Vec<_>>>()?;
        let ty = FuncType::from_types(params, results);
        info.sig_ids.push(engine.intern_signature(&ty));
        info.types.push(ty);
    }
    let num_types = info.types.len();
    for _ in 0..r.len(9)? {
        let module = r.str()?.to_string();
        let name = r.str()?.to_string();
        let kind = match r.u8()? {
            0 => {
                let ty = TypeIdx::from_u32(read_index(r, num_types, "type")?);
                info.funcs.push(ty);
                info.num_imported_funcs += 1;
                ImportKind::Func(ty)
            }
            1 => {
                let ty = read_table_type(r, info.types.as_slice())?;
                info.tables.push(ty);
                info.num_imported_tables += 1;
                ImportKind::Table(ty)
            }
            2 => {
                let ty = read_memory_type(r)?;
                info.memories.push(ty);
                info.num_imported_memories += 1;
                ImportKind::Memory(ty)
            }
            3 => {
                let ty = read_global_type(r, info.types.as_slice())?;
                info.globals.push(ty);
                info.num_imported_globals += 1;
                ImportKind::Global(ty)
            }
            other => return bad(r, format!("unknown import kind {other}")),
        };
        info.imports.push(Import { module, name, kind });
    }
    for _ in 0..r.len(4)? {
        let ty = TypeIdx::from_u32(read_index(r, num_types, "type")?);
        info.funcs.push(ty);
        info.num_defined_funcs += 1;
    }
    for _ in 0..r.len(11)? {
        let ty = read_table_type(r, info.types.as_slice())?;
        // A table's initializer reads imported globals only.
        let init = match r.u8()? {
            0 => None,
            1 => Some(read_const_expr(
                r,
                &info,
                info.num_imported_globals as usize,
                ty.element().into(),
            )?),
            other => return bad(r, format!("invalid option tag {other}")),
        };
        if init.is_none() && !ty.element().is_nullable() {
            return bad(
                r,
                "a table of non-nullable references without an initializer",
            );
        }
        info.tables.push(ty);
        info.table_inits.push(init);
    }
    for _ in 0..r.len(9)? {
        let ty = read_memory_type(r)?;
        info.memories.push(ty);
    }
    for _ in 0..r.len(3)? {
        let ty = read_global_type(r, info.types.as_slice())?;
        let init = read_const_expr(r, &info, info.num_imported_globals as usize, ty.content())?;
        info.globals.push(ty);
        info.global_inits.push(init);
    }
    for _ in 0..r.len(9)? {
        let name = r.str()?.to_string();
        let (kind, len) = match r.u8()? {
            0 => (ExternKind::Func, info.funcs.len()),
            1 => (ExternKind::Table, info.tables.len()),
            2 => (ExternKind::Memory, info.memories.len()),
            3 => (ExternKind::Global, info.globals.len()),
            other => return bad(r, format!("unknown export kind {other}")),
        };
        let index = read_index(r, len, "export")?;
        info.exports.push(Export { name, kind, index });
    }
    if let Some(start) = read_option(r)? {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let ty = info.func_type(FuncIdx::from_u32(start));
        if !ty.is_some_and(|ty| ty.params().is_empty() && ty.results().is_empty()) {
            return bad(r, format!("invalid start function {start}"));
        }
        info.start = Some(FuncIdx::from_u32(start));
    }
    for _ in 0..r.len(5)? {
        let (mode, element) = match r.u8()? {
            0 => (ElemMode::Passive, None),
            1 => {
                let table = read_index(r, info.tables.len(), "table")?;
                let table_ty = info.tables.get(table as usize);
                let element = table_ty.map(TableType::element);
                // A 64-bit table's offset is an `i64`.
                let address = if table_ty.is_some_and(TableType::is_64) {
                    ValType::I64
                } else {
                    ValType::I32
                };
                let offset = read_const_expr(r, &info, info.globals.len(), address)?;
                let table = TableIdx::from_u32(table);
                (ElemMode::Active { table, offset }, element)
            }
            2 => (ElemMode::Declared, None),
            other => return bad(r, format!("unknown element segment mode {other}")),
        };
        let len = r.len(1)?;
        let mut items = Vec::with_capacity(len);
        // Every item has the table's element type, or the first item's.
        let mut element: Option<ValType> = element.map(ValType::from);
        for _ in 0..len {
            let (item, ty) = read_any_const_expr(r, &info, info.globals.len())?;
            // Items of a segment without a table are of one hierarchy.
            let fits = match element {
                Some(element) => ty.matches(&element),
                None => ty.is_ref(),
            };
            if !fits {
                return bad(r, format!("element item of type {ty}"));
            }
            if element.is_none() {
                element = ty
                    .as_ref_type()
                    .map(|t| RefType::new(true, t.heap_type().top()).into());
            }
            items.push(item);
        }
        info.elems.push(ElemSegment { mode, items });
    }
    for _ in 0..r.len(5)? {
        let mode = match r.u8()? {
            0 => DataMode::Passive,
            1 => {
                let memory = MemoryIdx::from_u32(read_index(r, info.memories.len(), "memory")?);
                // A 64-bit memory's offset is an `i64`.
                let memory64 = info.memories.get(memory.index()).is_some_and(|m| m.is_64());
                let address = if memory64 { ValType::I64 } else { ValType::I32 };
                let offset = read_const_expr(r, &info, info.globals.len(), address)?;
                DataMode::Active { memory, offset }
            }
            other => return bad(r, format!("unknown data segment mode {other}")),
        };
        let bytes = r.bytes()?.into();
        info.datas.push(DataSegment { mode, bytes });
    }
    for _ in 0..r.len(8)? {
        let index = r.u32()?;
        let name = r.str()?.to_string();
        info.func_names.insert(index, name);
    }
    let num_code = r.len(24)?;
    if num_code != info.num_defined_funcs as usize {
        return bad(
            r,
            format!(
                "{num_code} function bodies for {} defined functions",
                info.num_defined_funcs
            ),
        );
    }
    // Each function's record is only located here; it is decoded and verified on the
    // function's first use (`read_lazy_func`), so that loading costs little more than
    // reading the module's declarations.
    let mut code = Vec::with_capacity(num_code);
    for _ in 0..num_code {
        let record_len = r.u32()? as usize;
        let start = r.offset();
        r.take(record_len)?;
        code.push(FuncCode {
            range: start..start + record_len,
            compiled: OnceLock::new(),
        });
    }
    if !r.is_empty() {
        return bad(r, "trailing bytes after the module");
    }
    Ok((info, code.into()))
}

/// Reads the code of defined function `defined` and verifies it.
fn read_func(
    r: &mut Reader<'_>,
    info: &ModuleInfo,
    defined: u32,
    instrs: &mut Vec<Instr>,
) -> Decoded<CompiledFunc> {
    let start = r.offset();
    let num_params = r.u32()?;
    let num_locals = r.u32()?;
    let num_slots = r.u32()?;
    let num_results = r.u32()?;
    let len = r.len(2)?;
    let ty = info
        .func_type(DefinedFuncIdx::from_u32(defined).func_idx(info.num_imported_funcs))
        .ok_or_else(|| r.error("function without a type"))?;
    let frame_ok = num_params as usize == ty.param_cells()
        && num_results as usize == ty.result_cells()
        && (1..=MAX_FRAME_SLOTS).contains(&num_slots)
        && u64::from(num_params) + u64::from(num_locals) <= u64::from(num_slots)
        && num_results <= num_slots;
    if !frame_ok {
        return Err(DecodeError {
            message: format!(
                "function {defined}: frame (params={num_params} locals={num_locals} \
                 slots={num_slots} results={num_results}) does not fit its type {ty}"
            ),
            offset: start,
        });
    }
    instrs.clear();
    instrs.reserve(len);
    for _ in 0..len {
        instrs.push(Instr::decode(r)?);
    }
    let fail = |message: String| DecodeError {
        message: format!("function {defined}: {message}"),
        offset: start,
    };
    let is_target = crate::ir::verify(instrs, num_slots).map_err(fail)?;
    check_code(info, ty, instrs, num_slots).map_err(fail)?;
    Ok(CompiledFunc {
        code: crate::exec::thread(instrs, is_target),
        num_params,
        num_locals,
        num_slots,
        num_results,
    })
}

/// Checks the module-level operands of `code`, a function of type `ty` with `num_slots`
/// slots: every function, type, table, global, data and element index names an entity of
/// `info`, the memory instructions have a memory 0 to access, `global.set` writes a mutable
/// global, each call's arguments and results fit in the caller's frame from its `base`, and
/// each tail call's arguments fit there and its callee returns what the function returns.
pub(crate) fn check_code(
    info: &ModuleInfo,
    ty: &FuncType,
    code: &[Instr],
    num_slots: u32,
) -> core::result::Result<(), String> {
    let has_memory = !info.memories.is_empty();
    let memory_ok = |m: MemoryIdx| m.index() < info.memories.len();
    let memory16_ok = |m: u16| usize::from(m) < info.memories.len();
    let func_ok = |f: FuncIdx| info.funcs.get(f).is_some();
    let table_ok = |t: TableIdx| t.index() < info.tables.len();
    let data_ok = |d: DataIdx| info.datas.get(d).is_some();
    let elem_ok = |e: ElemIdx| info.elems.get(e).is_some();
    let fits = |ty: Option<&FuncType>, base: Slot| {
        ty.is_some_and(|ty| {
            let arity = ty.param_cells().max(ty.result_cells());
            u32::from(base) as usize + arity <= num_slots as usize
        })
    };
    // A tail call's arguments move from `base` to slot 0; its results are the function's.
    let tail_fits = |callee: Option<&FuncType>, base: Slot| {
        callee.is_some_and(|callee| {
            u32::from(base) as usize + callee.param_cells() <= num_slots as usize
                && callee.results() == ty.results()
        })
    };
    for (ip, instr) in code.iter().enumerate() {
        let ok = match *instr {
            Instr::CallInternal { func, base } => {
                func.index() < info.num_defined_funcs as usize
                    && fits(info.func_type(func.func_idx(info.num_imported_funcs)), base)
            }
            Instr::CallImported { func, base } => fits(info.func_type(func), base),
            Instr::CallIndirect {
                ty, table, base, ..
            } => table_ok(table) && fits(info.types.get(ty), base),
            Instr::ReturnCallInternal { func, base } => {
                func.index() < info.num_defined_funcs as usize
                    && tail_fits(info.func_type(func.func_idx(info.num_imported_funcs)), base)
            }
            Instr::ReturnCallImported { func, base } => tail_fits(info.func_type(func), base),
            Instr::ReturnCallIndirect {
                ty, table, base, ..
            } => table_ok(table) && tail_fits(info.types.get(ty), base),
            Instr::CallRef { ty, base, .. } => fits(info.types.get(ty), base),
            Instr::ReturnCallRef { ty, base, .. } => tail_fits(info.types.get(ty), base),
            Instr::GlobalGet { global, .. } => global.index() < info.globals.len(),
            Instr::V128GlobalGet { global, .. } => info
                .globals
                .get(global.index())
                .is_some_and(|g| g.content() == ValType::V128),
            Instr::V128GlobalSet { global, .. } => info
                .globals
                .get(global.index())
                .is_some_and(|g| g.content() == ValType::V128 && g.mutability() == Mutability::Var),
            Instr::GlobalSet { global, .. } => info
                .globals
                .get(global.index())
                .is_some_and(|g| g.mutability() == Mutability::Var),
            Instr::MemoryInit { memory, data, .. } => memory_ok(memory) && data_ok(data),
            Instr::MemorySizeMem { memory, .. }
            | Instr::MemoryGrow { memory, .. }
            | Instr::MemoryFill { memory, .. } => memory_ok(memory),
            Instr::MemoryCopy {
                dst_memory,
                src_memory,
                ..
            } => memory_ok(dst_memory) && memory_ok(src_memory),
            Instr::LoadMem { memory, .. }
            | Instr::StoreMem { memory, .. }
            | Instr::V128LoadMem { memory, .. }
            | Instr::V128StoreMem { memory, .. }
            | Instr::V128LoadLaneMem { memory, .. }
            | Instr::V128StoreLaneMem { memory, .. } => memory16_ok(memory),
            Instr::DataDrop { data } => data_ok(data),
            Instr::TableGet { table, .. }
            | Instr::TableSet { table, .. }
            | Instr::TableSize { table, .. }
            | Instr::TableGrow { table, .. }
            | Instr::TableFill { table, .. } => table_ok(table),
            Instr::TableCopy {
                dst_table,
                src_table,
                ..
            } => table_ok(dst_table) && table_ok(src_table),
            Instr::TableInit { table, elem, .. } => table_ok(table) && elem_ok(elem),
            Instr::ElemDrop { elem } => elem_ok(elem),
            Instr::RefFunc { func, .. } => func_ok(func),
            _ => !instr.accesses_memory() || has_memory,
        };
        if !ok {
            return Err(format!(
                "instruction {ip} ({instr:?}) names an entity the module does not have"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

    use super::*;
    use crate::Module;

    #[test]
    fn check_code_checks_tail_call_arities_and_results() {
        let engine = Engine::default();
        let module = Module::new(
            &engine,
            r#"(module
                (type $ret_i32 (func (param i32 i32) (result i32)))
                (type $ret_i64 (func (result i64)))
                (table 1 funcref)
                (func (param i32 i32) (result i32) (local.get 0))
                (func (result i64) (i64.const 0)))"#,
        )
        .expect("compiles");
        let info = &module.inner.info;
        let own = info.types.get(TypeIdx::from_u32(0)).expect("type 0");
        let call = |func: u32, base: u16| Instr::ReturnCallInternal {
            func: DefinedFuncIdx::from_u32(func),
            base: Slot::new(base),
        };
        // Two arguments from slot 1 fit a frame of 3 slots, not of 2.
        assert!(check_code(info, own, &[call(0, 1)], 3).is_ok());
        assert!(check_code(info, own, &[call(0, 1)], 2).is_err());
        // The callee must return what the function returns, and exist.
        assert!(check_code(info, own, &[call(1, 0)], 3).is_err());
        assert!(check_code(info, own, &[call(2, 0)], 3).is_err());
        let indirect = |ty: u32, table: u32| Instr::ReturnCallIndirect {
            ty: TypeIdx::from_u32(ty),
            table: TableIdx::from_u32(table),
            index: Slot::new(0),
            base: Slot::new(1),
        };
        assert!(check_code(info, own, &[indirect(0, 0)], 3).is_ok());
        assert!(check_code(info, own, &[indirect(1, 0)], 3).is_err());
        assert!(check_code(info, own, &[indirect(0, 1)], 3).is_err());
        assert!(check_code(info, own, &[indirect(2, 0)], 3).is_err());
        let imported = Instr::ReturnCallImported {
            func: FuncIdx::from_u32(0),
            base: Slot::new(0),
        };
        assert!(check_code(info, own, &[imported], 3).is_ok());
        let missing = Instr::ReturnCallImported {
            func: FuncIdx::from_u32(5),
            base: Slot::new(0),
        };
        assert!(check_code(info, own, &[missing], 3).is_err());
    }
}
