//! Instances: modules bound to their imports in a store (spec §4.5.4 "Instantiation").

use crate::context::{AsContext, AsContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::index::{
    DataIdx, ElemIdx, EntityVec, FuncIdx, GlobalIdx, InstanceIdx, MemoryIdx, StoreFuncIdx,
    StoreGlobalIdx, TableIdx,
};
use crate::module::{ConstExpr, ConstOp, DataMode, ElemMode, ExternKind, ImportKind, Module};
use crate::store::{FuncEntity, GlobalEntity, InstanceEntity, Store, StoreId, StoreInner};
use crate::trap::TrapCode;
use crate::types::Mutability;

/// An instantiated module: its functions, memories, tables and globals live in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store: StoreId,
    pub(crate) index: InstanceIdx,
}

/// One export of an [`Instance`]: its name and the entity.
#[derive(Debug, Clone)]
pub struct Export {
    name: String,
    item: Extern,
}

impl Export {
    /// The export's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The exported entity.
    pub fn into_extern(self) -> Extern {
        self.item
    }
}

impl Instance {
    /// Instantiates `module` in `store` with `imports`, given in the order of
    /// [`Module::imports`] (spec §4.5.4): creates its functions, tables, memories and globals,
    /// evaluates its global initializers, applies its active element and data segments, and
    /// runs its start function.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) if an import is missing or has
    /// an incompatible type; a trap if a segment does not fit (entities already written stay
    /// written, as the spec says) or the start function traps;
    /// [`ErrorKind::ResourceExhausted`](crate::ErrorKind::ResourceExhausted) if a memory or
    /// table cannot be allocated.
    ///
    /// ```
    /// use weft::{Engine, Func, Instance, Module, Store};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (import "env" "answer" (func $answer (result i32)))
    ///     (func (export "run") (result i32) (call $answer)))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// let answer = Func::wrap(&mut store, || 42i32);
    /// // Imports are given in the order the module declares them.
    /// let instance = Instance::new(&mut store, &module, &[answer.into()])?;
    /// let run = instance.get_typed_func::<(), i32>(&mut store, "run")?;
    /// assert_eq!(run.call(&mut store, ())?, 42);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        instantiate(store, module, imports)
    }

    fn check_store(&self, store: &StoreInner) {
        assert_eq!(
            self.store, store.id,
            "Instance used with a store other than its own"
        );
    }

    /// The export `name`, if any.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let store = store.as_context();
        self.check_store(&store.0.inner);
        instance_export(&store.0.inner, self.index, name)
    }

    /// The export `export` (found with [`Module::get_export_index`]), without a lookup by
    /// name; `None` if this instance is not of `export`'s module.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_module_export(
        &self,
        store: impl AsContextMut,
        export: &crate::ModuleExport,
    ) -> Option<Extern> {
        let store = store.as_context();
        self.check_store(&store.0.inner);
        instance_module_export(&store.0.inner, self.index, export)
    }

    /// The exported function `name`, if any.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name` with the given type.
    ///
    /// # Errors
    ///
    /// If there is no such exported function or its type differs.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>> {
        let store = store.as_context();
        let func = self
            .get_func(&store, name)
            .ok_or_else(|| Error::usage(format!("failed to find function export `{name}`")))?;
        func.typed(&store)
    }

    /// The exported memory `name`, if any.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported global `name`, if any.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table `name`, if any.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// All exports, in the module's order.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn exports(&self, store: impl AsContext) -> Vec<Export> {
        let store = store.as_context();
        let inner = &store.0.inner;
        self.check_store(inner);
        let Some(instance) = inner.instances.get(self.index) else {
            return Vec::new();
        };
        instance
            .module
            .inner
            .info
            .exports
            .iter()
            .filter_map(|e| {
                Some(Export {
                    name: e.name.clone(),
                    item: resolve_export(inner, instance, e.kind, e.index)?,
                })
            })
            .collect()
    }

    /// The module this instance was made from.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn module<'a, T: 'a>(&self, store: impl Into<crate::StoreContext<'a, T>>) -> &'a Module {
        let store = store.into().0;
        self.check_store(&store.inner);
        match store.inner.instances.get(self.index) {
            Some(instance) => &instance.module,
            None => panic!("Instance used with a store other than its own"),
        }
    }
}

fn resolve_export(
    inner: &StoreInner,
    instance: &InstanceEntity,
    kind: ExternKind,
    index: u32,
) -> Option<Extern> {
    let id = inner.id;
    // An export's index is in the space of its kind.
    Some(match kind {
        ExternKind::Func => Extern::Func(Func {
            store: id,
            index: *instance.funcs.get(FuncIdx::from_u32(index))?,
        }),
        ExternKind::Table => Extern::Table(Table {
            store: id,
            index: *instance.tables.get(TableIdx::from_u32(index))?,
        }),
        ExternKind::Memory => Extern::Memory(Memory {
            store: id,
            index: *instance.memories.get(MemoryIdx::from_u32(index))?,
        }),
        ExternKind::Global => Extern::Global(Global {
            store: id,
            index: *instance.globals.get(GlobalIdx::from_u32(index))?,
        }),
    })
}

/// The export `name` of store instance `instance`.
pub(crate) fn instance_export(
    inner: &StoreInner,
    instance: InstanceIdx,
    name: &str,
) -> Option<Extern> {
    let instance = inner.instances.get(instance)?;
    let export = instance
        .module
        .inner
        .info
        .exports
        .iter()
        .find(|e| e.name == name)?;
    resolve_export(inner, instance, export.kind, export.index)
}

/// The export `export` of store instance `instance`, if the instance is of its module.
pub(crate) fn instance_module_export(
    inner: &StoreInner,
    instance: InstanceIdx,
    export: &crate::ModuleExport,
) -> Option<Extern> {
    let module = &inner.instances.get(instance)?.module;
    if module.inner.id != export.module {
        return None;
    }
    instance_export_at(inner, instance, export.position)
}

/// Export number `position` (in the module's export order) of store instance `instance`:
/// the component layer resolves export names once, when it plans an instantiation.
pub(crate) fn instance_export_at(
    inner: &StoreInner,
    instance: InstanceIdx,
    position: usize,
) -> Option<Extern> {
    let instance = inner.instances.get(instance)?;
    let export = instance.module.inner.info.exports.get(position)?;
    resolve_export(inner, instance, export.kind, export.index)
}

fn unlinkable_type(import: &crate::module::Import) -> Error {
    Error::unlinkable(format!(
        "incompatible import type for `{}::{}`",
        import.module, import.name
    ))
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|actual| actual <= max),
        }
}

/// Evaluates a constant expression in a partially built instance.
pub(crate) fn eval_const(
    inner: &StoreInner,
    globals: &EntityVec<GlobalIdx, StoreGlobalIdx>,
    funcs: &EntityVec<FuncIdx, StoreFuncIdx>,
    expr: &ConstExpr,
) -> Result<u64> {
    eval_const_wide(inner, globals, funcs, expr).map(|value| value as u64)
}

/// Evaluates a constant expression in a partially built instance, to 128 bits (the value
/// of a `v128`; the cell of other types, zero-extended).
pub(crate) fn eval_const_wide(
    inner: &StoreInner,
    globals: &EntityVec<GlobalIdx, StoreGlobalIdx>,
    funcs: &EntityVec<FuncIdx, StoreFuncIdx>,
    expr: &ConstExpr,
) -> Result<u128> {
    let bad = || Error::from(TrapCode::InternalError);
    // The value an operator without operands pushes; `None` for the arithmetic ones.
    let leaf = |op: ConstOp| -> Result<Option<u128>> {
        Ok(Some(match op {
            ConstOp::I32(v) => u128::from(v as u32),
            ConstOp::I64(v) => u128::from(v as u64),
            ConstOp::F32(v) => u128::from(v),
            ConstOp::F64(v) => u128::from(v),
            ConstOp::V128(v) => v,
            ConstOp::RefNull(_) => 0,
            ConstOp::RefFunc(f) => u128::from(funcs.get(f).ok_or_else(bad)?.as_u32()) + 1,
            ConstOp::GlobalGet(g) => {
                let g = *globals.get(g).ok_or_else(bad)?;
                let entity = inner.globals.get(g).ok_or_else(bad)?;
                u128::from(entity.value) | (u128::from(entity.hi) << 64)
            }
            _ => return Ok(None),
        }))
    };
    // Almost every expression is one operator (an offset, a `ref.func` element): no stack.
    if let [op] = *expr.ops {
        return leaf(op)?.ok_or_else(bad);
    }
    let mut stack: Vec<u128> = Vec::with_capacity(2);
    for op in expr.ops.iter() {
        let value = match leaf(*op)? {
            Some(value) => value,
            None => {
                let b = stack.pop().ok_or_else(bad)? as u64;
                let a = stack.pop().ok_or_else(bad)? as u64;
                u128::from(match *op {
                    ConstOp::I32Add => u64::from((a as u32).wrapping_add(b as u32)),
                    ConstOp::I32Sub => u64::from((a as u32).wrapping_sub(b as u32)),
                    ConstOp::I32Mul => u64::from((a as u32).wrapping_mul(b as u32)),
                    ConstOp::I64Add => a.wrapping_add(b),
                    ConstOp::I64Sub => a.wrapping_sub(b),
                    _ => a.wrapping_mul(b),
                })
            }
        };
        stack.push(value);
    }
    stack.pop().ok_or_else(bad)
}

pub(crate) fn instantiate<T>(
    store: &mut Store<T>,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance> {
    if !crate::Engine::same(&store.inner.engine, module.engine()) {
        return Err(Error::usage("module and store belong to different engines"));
    }
    let info = &module.inner.info;
    if imports.len() != info.imports.len() {
        return Err(Error::unlinkable(format!(
            "expected {} imports, found {}",
            info.imports.len(),
            imports.len()
        )));
    }
    store.check_entity_counts(
        1,
        info.tables.len() - info.num_imported_tables as usize,
        info.memories.len() - info.num_imported_memories as usize,
    )?;
    // Until the instance is pushed, nothing outside this function refers to the entities it
    // made: a failure removes them, so that failed instantiations do not pile up in the store.
    let marks = Marks::of(&store.inner);
    let instance_index = match allocate(store, module, imports) {
        Ok(index) => index,
        Err(error) => {
            marks.roll_back(&mut store.inner);
            return Err(error);
        }
    };
    let inner = &mut store.inner;
    let instance = Instance {
        store: inner.id,
        index: instance_index,
    };
    if let Err(error) = initialize(inner, &module.inner, instance_index) {
        // The writes made before the trap stay (spec §4.5.4), but unless one of them stored a
        // reference to the new instance's functions in an imported table, nothing can reach
        // the instance any more.
        if !error.escaped {
            inner.instances.truncate(instance_index.index());
            marks.roll_back(inner);
        }
        return Err(error.error);
    }
    if let Some(start) = info.start {
        let func = inner
            .instances
            .get(instance_index)
            .and_then(|i| i.funcs.get(start))
            .copied()
            .ok_or_else(|| Error::from(TrapCode::InternalError))?;
        crate::exec::invoke(store, func, &mut [])?;
    }
    Ok(instance)
}

/// Why [`initialize`] failed, and whether the instance became reachable before it did.
struct InitError {
    error: Error,
    escaped: bool,
}

/// Applies the active element segments, then the active data segments, in order (spec §4.5.4
/// steps 13-15). The segments of a memory made from an image are in it already: they are only
/// dropped.
fn initialize(
    inner: &mut StoreInner,
    module: &crate::module::ModuleInner,
    instance: InstanceIdx,
) -> core::result::Result<(), InitError> {
    let info = &module.info;
    let imaged = module.memory_images();
    let imported_tables = info.num_imported_tables;
    let mut escaped = false;
    for (i, segment) in info.elems.iter() {
        match &segment.mode {
            ElemMode::Active { table, offset } => {
                apply_elem(inner, instance, i, *table, offset)
                    .map_err(|error| InitError { error, escaped })?;
                escaped |= table.as_u32() < imported_tables && !segment.items.is_empty();
            }
            ElemMode::Declared => drop_elem(inner, instance, i),
            ElemMode::Passive => {}
        }
    }
    for (i, segment) in info.datas.iter() {
        if let DataMode::Active { memory, offset } = &segment.mode {
            let from_image = memory
                .index()
                .checked_sub(info.num_imported_memories as usize)
                .and_then(|defined| imaged.get(defined))
                .is_some_and(Option::is_some);
            if from_image {
                drop_data(inner, instance, i);
            } else {
                apply_data(inner, instance, i, *memory, offset, segment.bytes.len())
                    .map_err(|error| InitError { error, escaped })?;
            }
        }
    }
    Ok(())
}

/// The store's entity counts before an instantiation, to remove what a failed one made.
struct Marks {
    funcs: usize,
    tables: usize,
    memories: usize,
    globals: usize,
}

impl Marks {
    fn of(inner: &StoreInner) -> Marks {
        Marks {
            funcs: inner.funcs.len(),
            tables: inner.tables.len(),
            memories: inner.memories.len(),
            globals: inner.globals.len(),
        }
    }

    /// Drops every entity made since [`Marks::of`]; memories give their pages back.
    fn roll_back(self, inner: &mut StoreInner) {
        inner.funcs.truncate(self.funcs);
        inner.tables.truncate(self.tables);
        inner.memories.truncate(self.memories);
        inner.globals.truncate(self.globals);
    }
}

/// Checks the imports, then makes the instance's own functions, tables, memories and
/// globals, evaluates its element segments and pushes the instance (spec §4.5.4 steps 1-12);
/// returns its store index.
fn allocate<T>(store: &mut Store<T>, module: &Module, imports: &[Extern]) -> Result<InstanceIdx> {
    let info = &module.inner.info;
    let mut funcs = EntityVec::with_capacity(info.funcs.len());
    let mut tables = EntityVec::with_capacity(info.tables.len());
    let mut memories = EntityVec::with_capacity(info.memories.len());
    let mut globals = EntityVec::with_capacity(info.globals.len());

    // The pooling allocator's bounds on one module, and its slot for the instance.
    let slot = match store.inner.engine.pool() {
        Some(pool) => {
            let limits = &pool.config;
            let defined_memories = info.memories.len() - info.num_imported_memories as usize;
            let defined_tables = info.tables.len() - info.num_imported_tables as usize;
            if defined_memories > limits.max_memories_per_module as usize {
                return Err(Error::resource(format!(
                    "module defines {defined_memories} memories; the pooling allocator allows {} \
                     per module",
                    limits.max_memories_per_module
                )));
            }
            if defined_tables > limits.max_tables_per_module as usize {
                return Err(Error::resource(format!(
                    "module defines {defined_tables} tables; the pooling allocator allows {} per \
                     module",
                    limits.max_tables_per_module
                )));
            }
            Some(pool.take(crate::pool::SlotKind::Instance)?)
        }
        None => None,
    };

    // Check and collect the imports first: a module that cannot link allocates nothing.
    let inner = &store.inner;
    for (import, item) in info.imports.iter().zip(imports) {
        if item.store_id() != inner.id {
            return Err(Error::usage("import belongs to another store"));
        }
        match (&import.kind, item) {
            (ImportKind::Func(ty), Extern::Func(f)) => {
                let expected = info.sig_ids.get(*ty).copied();
                let actual = inner.funcs.get(f.index).map(FuncEntity::sig);
                if expected.is_none() || expected != actual {
                    return Err(unlinkable_type(import));
                }
                funcs.push(f.index);
            }
            (ImportKind::Table(ty), Extern::Table(t)) => {
                let table = inner
                    .tables
                    .get(t.index)
                    .ok_or_else(|| unlinkable_type(import))?;
                if table.ty.element() != ty.element()
                    || table.ty.is_64() != ty.is_64()
                    || !limits_match(
                        table.elements.len() as u64,
                        table.ty.maximum(),
                        ty.minimum(),
                        ty.maximum(),
                    )
                {
                    return Err(unlinkable_type(import));
                }
                tables.push(t.index);
            }
            (ImportKind::Memory(ty), Extern::Memory(m)) => {
                let memory = inner
                    .memories
                    .get(m.index)
                    .ok_or_else(|| unlinkable_type(import))?;
                if memory.ty.is_64() != ty.is_64()
                    || memory.ty.page_size_log2() != ty.page_size_log2()
                    || !limits_match(
                        memory.pages(),
                        memory.ty.maximum(),
                        ty.minimum(),
                        ty.maximum(),
                    )
                {
                    return Err(unlinkable_type(import));
                }
                memories.push(m.index);
            }
            (ImportKind::Global(ty), Extern::Global(g)) => {
                let global = inner
                    .globals
                    .get(g.index)
                    .ok_or_else(|| unlinkable_type(import))?;
                // An immutable global may have a subtype of the import's type; a mutable one,
                // which the importer may also write, must have the same type (spec §4.5.2).
                let matches = global.ty.mutability() == ty.mutability()
                    && match ty.mutability() {
                        Mutability::Const => global.ty.content().matches(&ty.content()),
                        Mutability::Var => global.ty.content() == ty.content(),
                    };
                if !matches {
                    return Err(unlinkable_type(import));
                }
                globals.push(g.index);
            }
            _ => return Err(unlinkable_type(import)),
        }
    }

    for ty in info.tables.iter().skip(info.num_imported_tables as usize) {
        tables.push(store.create_table(*ty, 0)?);
    }
    let images = module.inner.memory_images();
    for (defined_index, ty) in info
        .memories
        .iter()
        .skip(info.num_imported_memories as usize)
        .enumerate()
    {
        let image = images.get(defined_index).and_then(Option::as_ref);
        memories.push(store.create_memory(*ty, image)?);
    }

    let inner = &mut store.inner;
    let instance_index = inner.instances.next_index();
    for (index, ty) in info.funcs.iter().skip(info.num_imported_funcs as usize) {
        let sig = *info
            .sig_ids
            .get(*ty)
            .ok_or_else(|| Error::from(TrapCode::InternalError))?;
        funcs.push(inner.funcs.next_index());
        inner.funcs.push(FuncEntity::Wasm {
            sig,
            instance: instance_index,
            index,
        });
    }
    for (ty, init) in info
        .globals
        .iter()
        .skip(info.num_imported_globals as usize)
        .zip(&info.global_inits)
    {
        let value = eval_const_wide(inner, &globals, &funcs, init)?;
        globals.push(inner.globals.next_index());
        inner.globals.push(GlobalEntity {
            value: value as u64,
            hi: (value >> 64) as u64,
            ty: *ty,
        });
    }
    // A table's initializer may read (imported) globals and name functions: the tables,
    // made null above, are filled once those exist.
    let imported_tables = info.num_imported_tables as usize;
    for (defined_index, init) in info.table_inits.iter().enumerate() {
        let Some(init) = init else { continue };
        let value = eval_const(inner, &globals, &funcs, init)?;
        let table = tables
            .as_slice()
            .get(imported_tables + defined_index)
            .copied()
            .ok_or_else(|| Error::from(TrapCode::InternalError))?;
        let table = inner
            .tables
            .get_mut(table)
            .ok_or_else(|| Error::from(TrapCode::InternalError))?;
        table.elements.fill(value);
    }
    let mut elems = EntityVec::with_capacity(info.elems.len());
    for (_, segment) in info.elems.iter() {
        let items = segment
            .items
            .iter()
            .map(|item| eval_const(inner, &globals, &funcs, item))
            .collect::<Result<Box<[u64]>>>()?;
        elems.push(items);
    }

    inner.instances.push(InstanceEntity {
        module: module.clone(),
        funcs,
        tables,
        memories,
        globals,
        elems,
        datas_dropped: vec![false; info.datas.len()].into(),
        _slot: slot,
    });
    Ok(instance_index)
}

fn drop_elem(inner: &mut StoreInner, instance: InstanceIdx, segment: ElemIdx) {
    if let Some(items) = inner
        .instances
        .get_mut(instance)
        .and_then(|i| i.elems.get_mut(segment))
    {
        *items = Box::new([]);
    }
}

fn apply_elem(
    inner: &mut StoreInner,
    instance: InstanceIdx,
    segment: ElemIdx,
    table: TableIdx,
    offset: &ConstExpr,
) -> Result<()> {
    let entity = inner
        .instances
        .get(instance)
        .ok_or(TrapCode::InternalError)?;
    let offset = eval_const(inner, &entity.globals, &entity.funcs, offset)?;
    let table64 = entity
        .tables
        .get(table)
        .and_then(|t| inner.tables.get(*t))
        .is_some_and(|t| t.ty.is_64());
    // A 32-bit table's offset is an `i32`, a 64-bit table's an `i64`.
    let offset = crate::exec::table_operand(offset, table64);
    let len = entity.elems.get(segment).map_or(0, |items| items.len());
    inner.table_init(instance, table, segment, offset, 0, len as u64)?;
    drop_elem(inner, instance, segment);
    Ok(())
}

fn apply_data(
    inner: &mut StoreInner,
    instance: InstanceIdx,
    segment: DataIdx,
    memory: MemoryIdx,
    offset: &ConstExpr,
    len: usize,
) -> Result<()> {
    let entity = inner
        .instances
        .get(instance)
        .ok_or(TrapCode::InternalError)?;
    let offset = eval_const(inner, &entity.globals, &entity.funcs, offset)?;
    let memory64 = entity
        .memories
        .get(memory)
        .and_then(|m| inner.memories.get(*m))
        .is_some_and(|m| m.ty.is_64());
    // A 32-bit memory's offset is an `i32`, a 64-bit memory's an `i64`.
    let offset = if memory64 {
        offset
    } else {
        u64::from(offset as u32)
    };
    inner.memory_init(instance, memory, segment, offset, 0, len as u64)?;
    drop_data(inner, instance, segment);
    Ok(())
}

fn drop_data(inner: &mut StoreInner, instance: InstanceIdx, segment: DataIdx) {
    if let Some(dropped) = inner
        .instances
        .get_mut(instance)
        .and_then(|i| i.datas_dropped.get_mut(segment))
    {
        *dropped = true;
    }
}
