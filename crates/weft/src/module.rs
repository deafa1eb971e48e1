//! Modules: decoded, validated and translated WebAssembly code.
//!
//! [`Module::new`] runs the whole front end once: the binary (or WAT text, through the `wat`
//! crate) is decoded and validated by `wasmparser`, every section is turned into the
//! [`ModuleInfo`] the rest of the engine reads, and each function body is translated into Weft's
//! register bytecode ([`crate::ir`]) — eagerly, or on first call with
//! [`CompilationMode::Lazy`](crate::CompilationMode::Lazy). A `Module` is immutable afterwards
//! and can be instantiated any number of times, in any store of the same engine, from any
//! thread.

use crate::config::CompilationMode;
use crate::engine::{Engine, SigId};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::{
    DataIdx, DefinedFuncIdx, ElemIdx, EntityVec, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx,
};
use crate::ir::CompiledFunc;
use crate::linear_memory::MemoryImage;
use crate::types::{
    ConcreteFuncType, ExportType, ExternType, FuncType, GlobalType, HeapType, ImportType,
    MemoryType, Mutability, RefType, TableType, ValType,
};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use wasmparser::{Parser, Payload, Validator};

pub(crate) mod serialize;
pub use serialize::Precompiled;

/// A validated and translated WebAssembly module, ready to instantiate.
///
/// Cheap to clone (a reference count); `Send + Sync`.
///
/// ```
/// let engine = weft::Engine::default();
/// let module = weft::Module::new(&engine, r#"(module (func (export "answer") (result i32) i32.const 42))"#)?;
/// assert_eq!(module.exports().next().map(|e| e.name()), Some("answer"));
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl core::fmt::Debug for Module {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.inner.info.name)
            .field("imports", &self.inner.info.imports.len())
            .field("exports", &self.inner.info.exports.len())
            .finish_non_exhaustive()
    }
}

/// The shared, immutable contents of a [`Module`].
/// An export of one [`Module`], found once by name with [`Module::get_export_index`] and
/// then looked up in its instances by position. Used with another module's instance, it
/// finds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModuleExport {
    /// The module's [`ModuleInner::id`].
    pub(crate) module: u64,
    /// The export's position in the module's export section.
    pub(crate) position: usize,
}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) info: ModuleInfo,
    /// One entry per defined (non-imported) function.
    pub(crate) code: Box<[FuncCode]>,
    /// The bytes functions are translated or decoded from on first use, if any.
    pub(crate) bytes: Option<LazyCode>,
    /// The copy-on-write image of each defined memory's initial contents, built at the first
    /// instantiation (see [`ModuleInner::memory_images`]).
    memory_images: OnceLock<Box<[Option<Arc<MemoryImage>>]>>,
    /// Unique among the modules of this process, so that a [`ModuleExport`] names one module.
    pub(crate) id: u64,
}

/// Where the functions of a module whose code is made on first use come from.
pub(crate) enum LazyCode {
    /// The module's wasm binary: a function's `range` is its body, translated on first use
    /// (`CompilationMode::Lazy`).
    Wasm(Arc<[u8]>),
    /// A precompiled module's bytes: a function's `range` is its code record, decoded and
    /// verified on first use (see `module::serialize`).
    Precompiled(Arc<[u8]>),
}

/// The code of one defined function: translated now (eager) or on first use (lazy).
pub(crate) struct FuncCode {
    /// The function body's byte range within the module binary.
    pub(crate) range: Range<usize>,
    pub(crate) compiled: OnceLock<Result<CompiledFunc>>,
}

/// Everything the engine needs to know about a module, in index-space order (imports first).
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    /// The module's name from its name section.
    pub(crate) name: Option<String>,
    /// The type section's function types, by type index.
    pub(crate) types: EntityVec<TypeIdx, FuncType>,
    /// The engine-wide ids of `types`, by type index.
    pub(crate) sig_ids: EntityVec<TypeIdx, SigId>,
    pub(crate) imports: Vec<Import>,
    /// The type index of every function, imported ones first.
    pub(crate) funcs: EntityVec<FuncIdx, TypeIdx>,
    pub(crate) num_imported_funcs: u32,
    /// Every table's type, imported ones first.
    pub(crate) tables: Vec<TableType>,
    pub(crate) num_imported_tables: u32,
    /// Every memory's type, imported ones first.
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) num_imported_memories: u32,
    /// Every global's type, imported ones first.
    pub(crate) globals: Vec<GlobalType>,
    pub(crate) num_imported_globals: u32,
    /// The initializers of the defined globals (index 0 is the first non-imported global).
    pub(crate) global_inits: Vec<ConstExpr>,
    /// The initializer of each defined table (index 0 is the first non-imported table):
    /// `None` fills the table with null, `Some` with the expression's value (typed
    /// function references: `(table 10 (ref func) (ref.func $f))`).
    pub(crate) table_inits: Vec<Option<ConstExpr>>,
    pub(crate) exports: Vec<Export>,
    pub(crate) start: Option<FuncIdx>,
    pub(crate) elems: EntityVec<ElemIdx, ElemSegment>,
    pub(crate) datas: EntityVec<DataIdx, DataSegment>,
    /// Function names from the name section, by function index.
    pub(crate) func_names: HashMap<u32, String>,
    /// Functions referenced by `ref.func` outside of function bodies (declared in elements or
    /// exported), as required by validation.
    pub(crate) num_defined_funcs: u32,
}

impl ModuleInfo {
    /// The type of function `func_index` (imported or defined).
    pub(crate) fn func_type(&self, func_index: FuncIdx) -> Option<&FuncType> {
        let ty = *self.funcs.get(func_index)?;
        self.types.get(ty)
    }
}

/// An import: its names and what it imports.
#[derive(Debug, Clone)]
pub(crate) struct Import {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) kind: ImportKind,
}

/// What an [`Import`] imports; functions by type index.
#[derive(Debug, Clone)]
pub(crate) enum ImportKind {
    Func(TypeIdx),
    Table(TableType),
    Memory(MemoryType),
    Global(GlobalType),
}

/// The kind of entity an export refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

/// An export: its name and the index of what it exports in its index space.
#[derive(Debug, Clone)]
pub(crate) struct Export {
    pub(crate) name: String,
    pub(crate) kind: ExternKind,
    pub(crate) index: u32,
}

/// One operator of a constant expression (spec §3.3.10 "Constant Expressions").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull(RefType),
    RefFunc(FuncIdx),
    GlobalGet(GlobalIdx),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A constant expression, evaluated at instantiation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstExpr {
    pub(crate) ops: Box<[ConstOp]>,
}

/// An element segment (spec §2.5.7).
#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub(crate) mode: ElemMode,
    pub(crate) items: Vec<ConstExpr>,
}

/// When an element segment is applied.
#[derive(Debug, Clone)]
pub(crate) enum ElemMode {
    Passive,
    Active { table: TableIdx, offset: ConstExpr },
    Declared,
}

/// A data segment (spec §2.5.8).
#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub(crate) mode: DataMode,
    pub(crate) bytes: Arc<[u8]>,
}

/// When a data segment is applied.
#[derive(Debug, Clone)]
pub(crate) enum DataMode {
    Passive,
    Active {
        memory: MemoryIdx,
        offset: ConstExpr,
    },
}

impl Module {
    /// Compiles a module from its binary encoding or its text format (WAT).
    ///
    /// The input is decoded and validated against the features enabled in the engine's
    /// [`Config`](crate::Config), then translated to Weft's bytecode (eagerly, unless the engine
    /// uses [`CompilationMode::Lazy`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Malformed`](crate::ErrorKind::Malformed) for bytes that are not a module
    /// (with the offset where decoding failed) or text that does not parse,
    /// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) for a module that does not validate,
    /// and [`ErrorKind::ImplementationLimit`](crate::ErrorKind::ImplementationLimit) for a
    /// valid module beyond Weft's limits (a function frame of more than 65,535 slots), in
    /// both compilation modes.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        let binary = wat::parse_bytes(bytes).map_err(|e| Error::malformed(e.to_string(), None))?;
        Module::from_binary(engine, &binary)
    }

    /// Compiles a module from its binary encoding only; see [`Module::new`].
    ///
    /// # Errors
    ///
    /// As [`Module::new`].
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Module> {
        if Parser::is_component(binary) {
            return Err(Error::malformed(
                "this is a WebAssembly component, not a core module: \
                 use `weft::component::Component::new` to compile it",
                Some(0),
            ));
        }
        compile(engine, binary).map_err(Error::classify_wasmparser)
    }

    /// Reads a file (binary or WAT) and compiles it; see [`Module::new`].
    ///
    /// # Errors
    ///
    /// As [`Module::new`], and an error naming the file if it cannot be read.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::msg(format!("failed to read `{}`: {e}", path.display())))?;
        Module::new(engine, bytes)
    }

    /// Checks that `binary` is a valid module for `engine`'s configuration, without
    /// translating it.
    ///
    /// It also checks the implementation limits that [`Module::new`] checks, so that the
    /// two agree on every module.
    ///
    /// # Errors
    ///
    /// As [`Module::new`]: [`ErrorKind::Malformed`](crate::ErrorKind::Malformed),
    /// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid), or
    /// [`ErrorKind::ImplementationLimit`](crate::ErrorKind::ImplementationLimit) for a valid
    /// module beyond Weft's limits.
    pub fn validate(engine: &Engine, binary: &[u8]) -> Result<()> {
        Module::validate_binary(engine, binary).map_err(Error::classify_wasmparser)
    }

    fn validate_binary(engine: &Engine, binary: &[u8]) -> Result<()> {
        if Parser::is_component(binary) {
            return Err(Error::malformed(
                "this is a WebAssembly component, not a core module: \
                 use `weft::component::Component::new` to compile it",
                Some(0),
            ));
        }
        let features = engine.config().wasm_features();
        let mut validator = Validator::new_with_features(features);
        let mut allocs = wasmparser::FuncValidatorAllocations::default();
        let mut parser = Parser::new(0);
        parser.set_features(features);
        for payload in parser.parse_all(binary) {
            let payload =
                payload.map_err(|e| Error::malformed(e.message(), Some(e.offset() as usize)))?;
            if let wasmparser::ValidPayload::Func(to_validate, body) =
                validator.payload(&payload)?
            {
                let mut func_validator = to_validate.into_validator(core::mem::take(&mut allocs));
                crate::translate::validate_func(&mut func_validator, &body)?;
                allocs = func_validator.into_allocations();
            }
        }
        Ok(())
    }

    /// The engine this module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section, if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType<'_>> + '_ {
        let info = &self.inner.info;
        info.imports.iter().map(move |import| ImportType {
            module: &import.module,
            name: &import.name,
            ty: match &import.kind {
                ImportKind::Func(ty) => ExternType::Func(
                    info.types
                        .get(*ty)
                        .cloned()
                        .unwrap_or_else(|| FuncType::from_types([], [])),
                ),
                ImportKind::Table(ty) => ExternType::Table(*ty),
                ImportKind::Memory(ty) => ExternType::Memory(*ty),
                ImportKind::Global(ty) => ExternType::Global(*ty),
            },
        })
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType<'_>> + '_ {
        let info = &self.inner.info;
        info.exports.iter().map(move |export| ExportType {
            name: &export.name,
            ty: info.extern_type(export.kind, export.index),
        })
    }

    /// The type of the export `name`, if the module has one.
    pub fn get_export(&self, name: &str) -> Option<ExternType> {
        self.exports().find(|e| e.name() == name).map(|e| e.ty())
    }

    /// The export `name` as a [`ModuleExport`], which finds the export of an instance of this
    /// module without comparing names ([`Instance::get_module_export`](crate::Instance::get_module_export),
    /// [`Caller::get_module_export`](crate::Caller::get_module_export)).
    ///
    /// ```
    /// use weft::{Engine, Extern, Instance, Module, Store};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module (memory (export "memory") 1))"#)?;
    /// let memory = module.get_export_index("memory").expect("exported");
    /// assert!(module.get_export_index("nothing").is_none());
    /// let mut store = Store::new(&engine, ());
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let found = instance.get_module_export(&mut store, &memory);
    /// assert!(matches!(found, Some(Extern::Memory(_))));
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn get_export_index(&self, name: &str) -> Option<ModuleExport> {
        let position = self
            .inner
            .info
            .exports
            .iter()
            .position(|e| e.name == name)?;
        Some(ModuleExport {
            module: self.inner.id,
            position,
        })
    }

    /// What one instantiation of the module takes from the store's limits: the memories and
    /// tables it defines (imports not counted) and the largest initial size among them.
    ///
    /// ```
    /// use weft::{Engine, Module};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, "(module (memory 2) (memory 5) (table 10 funcref))")?;
    /// let needed = module.resources_required();
    /// assert_eq!(needed.num_memories, 2);
    /// assert_eq!(needed.max_initial_memory_size, Some(5));
    /// assert_eq!(needed.num_tables, 1);
    /// assert_eq!(needed.max_initial_table_size, Some(10));
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn resources_required(&self) -> ResourcesRequired {
        let info = &self.inner.info;
        let memories = info.memories.get(info.num_imported_memories as usize..);
        let memories = memories.unwrap_or_default();
        let tables = info.tables.get(info.num_imported_tables as usize..);
        let tables = tables.unwrap_or_default();
        ResourcesRequired {
            num_memories: u32::try_from(memories.len()).unwrap_or(u32::MAX),
            max_initial_memory_size: memories.iter().map(|m| m.minimum()).max(),
            num_tables: u32::try_from(tables.len()).unwrap_or(u32::MAX),
            max_initial_table_size: tables.iter().map(|t| t.minimum()).max(),
        }
    }
}

/// What instantiating a module needs, from [`Module::resources_required`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourcesRequired {
    /// How many memories the module defines.
    pub num_memories: u32,
    /// The largest initial size of those memories, in pages (64 KiB, or each memory's
    /// custom page size); `None` without memories.
    pub max_initial_memory_size: Option<u64>,
    /// How many tables the module defines.
    pub num_tables: u32,
    /// The largest initial size of those tables, in elements; `None` without tables.
    pub max_initial_table_size: Option<u64>,
}

impl ModuleInfo {
    /// The type of the entity `index` of `kind`.
    pub(crate) fn extern_type(&self, kind: ExternKind, index: u32) -> ExternType {
        let i = index as usize;
        match kind {
            ExternKind::Func => ExternType::Func(
                self.func_type(FuncIdx::from_u32(index))
                    .cloned()
                    .unwrap_or_else(|| FuncType::from_types([], [])),
            ),
            ExternKind::Table => ExternType::Table(
                self.tables
                    .get(i)
                    .copied()
                    .unwrap_or(TableType::new(RefType::FUNCREF, 0, None)),
            ),
            ExternKind::Memory => ExternType::Memory(
                self.memories
                    .get(i)
                    .copied()
                    .unwrap_or(MemoryType::new(0, None)),
            ),
            ExternKind::Global => ExternType::Global(
                self.globals
                    .get(i)
                    .copied()
                    .unwrap_or(GlobalType::new(ValType::I32, Mutability::Const)),
            ),
        }
    }
}

impl ModuleInner {
    /// A module of `engine` with `info` and `code`; `bytes` only for lazy translation.
    pub(crate) fn new_module(
        engine: &Engine,
        info: ModuleInfo,
        code: Box<[FuncCode]>,
        bytes: Option<LazyCode>,
    ) -> Module {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                code,
                bytes,
                memory_images: OnceLock::new(),
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            }),
        }
    }

    /// The image of each defined memory's contents after its active data segments, by
    /// defined memory index: `Some` when instantiation may map the image instead of copying
    /// the segments, built on the first call and kept.
    ///
    /// A memory has an image when [`Config::memory_init_cow`](crate::Config::memory_init_cow)
    /// is on, every active data segment that targets it has a constant
    /// offset and fits in the memory's initial size (so that applying the segments cannot
    /// trap), at least one of them has a byte, and the platform supports images. No memory
    /// has one when an active element segment writes into an imported table: a trap later in
    /// instantiation would then leave the instance reachable, and its memory must show only
    /// the data segments applied before the trap (spec §4.5.4).
    pub(crate) fn memory_images(&self) -> &[Option<Arc<MemoryImage>>] {
        self.memory_images.get_or_init(|| {
            let info = &self.info;
            let imported = info.num_imported_memories as usize;
            let defined = info.memories.len().saturating_sub(imported);
            let escapes = info.elems.iter().any(|(_, segment)| {
                matches!(&segment.mode, ElemMode::Active { table, .. }
                    if table.as_u32() < info.num_imported_tables)
            });
            (0..defined)
                .map(|defined_index| {
                    if escapes || !self.engine.config().memory_init_cow {
                        return None;
                    }
                    let index = imported + defined_index;
                    let ty = info.memories.get(index)?;
                    let len = usize::try_from(ty.pages_to_bytes(ty.minimum())?).ok()?;
                    let mut segments = Vec::new();
                    for (_, segment) in info.datas.iter() {
                        let DataMode::Active { memory, offset } = &segment.mode else {
                            continue;
                        };
                        if memory.index() != index {
                            continue;
                        }
                        let offset = match *offset.ops {
                            [ConstOp::I32(offset)] => u64::from(offset as u32),
                            [ConstOp::I64(offset)] => offset as u64,
                            _ => return None,
                        };
                        segments.push((usize::try_from(offset).ok()?, &*segment.bytes));
                    }
                    MemoryImage::new(len, segments.iter().copied()).map(Arc::new)
                })
                .collect()
        })
    }

    /// The translated code of defined function `defined_index`, translating it now if the
    /// module was compiled lazily.
    ///
    /// # Errors
    ///
    /// An error if lazy translation fails (which validation makes an internal error).
    pub(crate) fn compiled(&self, defined_index: DefinedFuncIdx) -> Result<&CompiledFunc> {
        let code = self
            .code
            .get(defined_index.index())
            .ok_or_else(|| Error::usage(format!("no function with index {defined_index}")))?;
        let compiled = code.compiled.get_or_init(|| {
            let (bytes, precompiled) = match &self.bytes {
                Some(LazyCode::Wasm(bytes)) => (bytes, false),
                Some(LazyCode::Precompiled(bytes)) => (bytes, true),
                None => {
                    return Err(Error::usage(
                        "function body was not kept for lazy translation",
                    ));
                }
            };
            let Some(body_bytes) = bytes.get(code.range.clone()) else {
                return Err(Error::usage("function body range out of bounds"));
            };
            if precompiled {
                return serialize::read_lazy_func(
                    &self.info,
                    defined_index,
                    body_bytes,
                    code.range.start,
                );
            }
            let reader = wasmparser::BinaryReader::new(body_bytes, code.range.start as u64);
            let body = wasmparser::FunctionBody::new(reader);
            let func_index = defined_index.func_idx(self.info.num_imported_funcs);
            crate::translate::translate_func(&self.engine, &self.info, func_index, body, None)
                .map_err(Error::classify_wasmparser)
        });
        compiled.as_ref().map_err(same_error)
    }
}

/// An error of the same kind and message as `error`, which the module keeps (a failed lazy
/// translation is reported at every call).
fn same_error(error: &Error) -> Error {
    match crate::ErrorExt::kind(error) {
        Some(kind) => Error::new(kind.clone()),
        None => Error::usage(error.to_string()),
    }
}

/// The reference type `ty`, whose concrete heap types index `types` (the module's types
/// so far; without them, as for component types, a concrete type is unsupported).
fn ref_type(types: &[FuncType], ty: wasmparser::RefType) -> Result<RefType> {
    use wasmparser::{AbstractHeapType as A, HeapType as H};
    let unsupported = || Error::invalid(format!("unsupported reference type {ty}"), None);
    let heap_type = match ty.heap_type() {
        H::Abstract { shared: false, ty } => match ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::NoFunc => HeapType::NoFunc,
            A::NoExtern => HeapType::NoExtern,
            _ => return Err(unsupported()),
        },
        H::Concrete(index) => {
            // Without GC a type names only the types before it.
            let func = index
                .as_module_index()
                .and_then(|index| types.get(index as usize))
                .ok_or_else(unsupported)?;
            HeapType::ConcreteFunc(ConcreteFuncType::new(func))
        }
        _ => return Err(unsupported()),
    };
    Ok(RefType::new(ty.is_nullable(), heap_type))
}

/// The value type `ty`, whose concrete heap types index `types` (see [`ref_type`]).
pub(crate) fn val_type_in(types: &[FuncType], ty: wasmparser::ValType) -> Result<ValType> {
    Ok(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) => ref_type(types, r)?.into(),
    })
}

/// The value type `ty`, outside of a module (concrete heap types unsupported).
pub(crate) fn val_type(ty: wasmparser::ValType) -> Result<ValType> {
    val_type_in(&[], ty)
}

pub(crate) fn table_type(ty: &wasmparser::TableType) -> Result<TableType> {
    table_type_in(&[], ty)
}

pub(crate) fn global_type(ty: &wasmparser::GlobalType) -> Result<GlobalType> {
    global_type_in(&[], ty)
}

fn table_type_in(types: &[FuncType], ty: &wasmparser::TableType) -> Result<TableType> {
    Ok(
        TableType::from_limits(ref_type(types, ty.element_type)?, ty.initial, ty.maximum)
            .with_64(ty.table64),
    )
}

pub(crate) fn memory_type(ty: &wasmparser::MemoryType) -> Result<MemoryType> {
    if ty.shared {
        return Err(Error::invalid("shared memories are not supported", None));
    }
    let page_size_log2 = match ty.page_size_log2 {
        None => 16,
        Some(log2 @ (0 | 16)) => log2 as u8,
        Some(_) => return Err(Error::invalid("invalid custom page size", None)),
    };
    Ok(MemoryType::from_limits(ty.initial, ty.maximum)
        .with_64(ty.memory64)
        .with_page_size_log2(page_size_log2))
}

fn global_type_in(types: &[FuncType], ty: &wasmparser::GlobalType) -> Result<GlobalType> {
    let mutability = if ty.mutable {
        Mutability::Var
    } else {
        Mutability::Const
    };
    Ok(GlobalType::new(
        val_type_in(types, ty.content_type)?,
        mutability,
    ))
}

fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    use wasmparser::Operator as O;
    let mut ops = Vec::new();
    let mut reader = expr.get_operators_reader();
    while !reader.eof() {
        let op = reader.read()?;
        ops.push(match op {
            O::I32Const { value } => ConstOp::I32(value),
            O::I64Const { value } => ConstOp::I64(value),
            O::F32Const { value } => ConstOp::F32(value.bits()),
            O::F64Const { value } => ConstOp::F64(value.bits()),
            O::V128Const { value } => ConstOp::V128(value.i128() as u128),
            // Only the hierarchy of a null's type matters to its value.
            O::RefNull { hty } => ConstOp::RefNull(match hty {
                wasmparser::HeapType::Abstract {
                    ty: wasmparser::AbstractHeapType::Extern | wasmparser::AbstractHeapType::NoExtern,
                    ..
                } => RefType::EXTERNREF,
                _ => RefType::FUNCREF,
            }),
            O::RefFunc { function_index } => ConstOp::RefFunc(FuncIdx::from_u32(function_index)),
            O::GlobalGet { global_index } => ConstOp::GlobalGet(GlobalIdx::from_u32(global_index)),
            O::I32Add => ConstOp::I32Add,
            O::I32Sub => ConstOp::I32Sub,
            O::I32Mul => ConstOp::I32Mul,
            O::I64Add => ConstOp::I64Add,
            O::I64Sub => ConstOp::I64Sub,
            O::I64Mul => ConstOp::I64Mul,
            O::End => continue,
            other => {
                return Err(Error::invalid(
                    format!("unsupported constant expression operator {other:?}"),
                    Some(reader.original_position() as usize),
                ));
            }
        });
    }
    Ok(ConstExpr { ops: ops.into() })
}

/// Decodes, validates and translates a module binary.
fn compile(engine: &Engine, binary: &[u8]) -> Result<Module> {
    let config = engine.config();
    let lazy = config.compilation_mode == CompilationMode::Lazy;
    let mut validator = Validator::new_with_features(config.wasm_features());
    let mut info = ModuleInfo::default();
    let mut code = Vec::new();
    let mut allocs = wasmparser::FuncValidatorAllocations::default();

    let mut parser = Parser::new(0);
    parser.set_features(config.wasm_features());
    for payload in parser.parse_all(binary) {
        let payload =
            payload.map_err(|e| Error::malformed(e.message(), Some(e.offset() as usize)))?;
        let valid = validator.payload(&payload)?;
        match payload {
            Payload::TypeSection(reader) => {
                for rec_group in reader {
                    for sub_type in rec_group?.into_types() {
                        let wasmparser::CompositeInnerType::Func(func) =
                            &sub_type.composite_type.inner
                        else {
                            return Err(Error::invalid("only function types are supported", None));
                        };
                        let types = info.types.as_slice();
                        let params = func
                            .params()
                            .iter()
                            .map(|t| val_type_in(types, *t))
                            .collect::<Result<Vec<_>>>()?;
                        let results = func
                            .results()
                            .iter()
                            .map(|t| val_type_in(types, *t))
                            .collect::<Result<Vec<_>>>()?;
                        let ty = FuncType::from_types(params, results);
                        info.sig_ids.push(engine.intern_signature(&ty));
                        info.types.push(ty);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let kind = match import.ty {
                        wasmparser::TypeRef::Func(ty) | wasmparser::TypeRef::FuncExact(ty) => {
                            let ty = TypeIdx::from_u32(ty);
                            info.funcs.push(ty);
                            info.num_imported_funcs += 1;
                            ImportKind::Func(ty)
                        }
                        wasmparser::TypeRef::Table(ty) => {
                            let ty = table_type_in(info.types.as_slice(), &ty)?;
                            info.tables.push(ty);
                            info.num_imported_tables += 1;
                            ImportKind::Table(ty)
                        }
                        wasmparser::TypeRef::Memory(ty) => {
                            let ty = memory_type(&ty)?;
                            info.memories.push(ty);
                            info.num_imported_memories += 1;
                            ImportKind::Memory(ty)
                        }
                        wasmparser::TypeRef::Global(ty) => {
                            let ty = global_type_in(info.types.as_slice(), &ty)?;
                            info.globals.push(ty);
                            info.num_imported_globals += 1;
                            ImportKind::Global(ty)
                        }
                        wasmparser::TypeRef::Tag(_) => {
                            return Err(Error::invalid("tags are not supported", None));
                        }
                    };
                    info.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        kind,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    info.funcs.push(TypeIdx::from_u32(ty?));
                    info.num_defined_funcs += 1;
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    info.tables
                        .push(table_type_in(info.types.as_slice(), &table.ty)?);
                    info.table_inits.push(match &table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(expr) => Some(const_expr(expr)?),
                    });
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    info.memories.push(memory_type(&memory?)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    info.globals
                        .push(global_type_in(info.types.as_slice(), &global.ty)?);
                    info.global_inits.push(const_expr(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let kind = match export.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            ExternKind::Func
                        }
                        wasmparser::ExternalKind::Table => ExternKind::Table,
                        wasmparser::ExternalKind::Memory => ExternKind::Memory,
                        wasmparser::ExternalKind::Global => ExternKind::Global,
                        wasmparser::ExternalKind::Tag => {
                            return Err(Error::invalid("tags are not supported", None));
                        }
                    };
                    info.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                        index: export.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(FuncIdx::from_u32(func)),
            Payload::ElementSection(reader) => {
                for elem in reader {
                    let elem = elem?;
                    let (_, items) = match elem.items {
                        wasmparser::ElementItems::Functions(funcs) => {
                            let items = funcs
                                .into_iter()
                                .map(|f| {
                                    Ok(ConstExpr {
                                        ops: Box::new([ConstOp::RefFunc(FuncIdx::from_u32(f?))]),
                                    })
                                })
                                .collect::<Result<Vec<_>>>()?;
                            (RefType::FUNCREF, items)
                        }
                        wasmparser::ElementItems::Expressions(ty, exprs) => {
                            let items = exprs
                                .into_iter()
                                .map(|e| const_expr(&e?))
                                .collect::<Result<Vec<_>>>()?;
                            (ref_type(info.types.as_slice(), ty)?, items)
                        }
                    };
                    let mode = match elem.kind {
                        wasmparser::ElementKind::Passive => ElemMode::Passive,
                        wasmparser::ElementKind::Declared => ElemMode::Declared,
                        wasmparser::ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => ElemMode::Active {
                            table: TableIdx::from_u32(table_index.unwrap_or(0)),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    info.elems.push(ElemSegment { mode, items });
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: MemoryIdx::from_u32(memory_index),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    info.datas.push(DataSegment {
                        mode,
                        bytes: data.data.into(),
                    });
                }
            }
            Payload::CustomSection(reader) => {
                if let wasmparser::KnownCustom::Name(names) = reader.as_known() {
                    // A malformed name section is ignored, as the spec asks of custom sections.
                    let _ = read_names(names, &mut info);
                }
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let range = range.start as usize..range.end as usize;
                let func_index = FuncIdx::from_u32(info.num_imported_funcs + code.len() as u32);
                let wasmparser::ValidPayload::Func(to_validate, body) = valid else {
                    return Err(Error::invalid("function body without a validator", None));
                };
                let mut func_validator = to_validate.into_validator(core::mem::take(&mut allocs));
                let compiled = OnceLock::new();
                if lazy {
                    crate::translate::validate_func(&mut func_validator, &body)?;
                } else {
                    let func = crate::translate::translate_func(
                        engine,
                        &info,
                        func_index,
                        body,
                        Some(&mut func_validator),
                    )?;
                    let _ = compiled.set(Ok(func));
                }
                allocs = func_validator.into_allocations();
                code.push(FuncCode { range, compiled });
            }
            _ => {}
        }
    }
    let bytes = lazy.then(|| LazyCode::Wasm(Arc::from(binary)));
    Ok(ModuleInner::new_module(engine, info, code.into(), bytes))
}

fn read_names(names: wasmparser::NameSectionReader<'_>, info: &mut ModuleInfo) -> Result<()> {
    for name in names {
        match name? {
            wasmparser::Name::Module { name, .. } => info.name = Some(name.to_string()),
            wasmparser::Name::Function(map) => {
                for naming in map {
                    let naming = naming?;
                    info.func_names
                        .insert(naming.index, naming.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(())
}
