//! Component instances: running a component's instantiation steps in a store.
//!
//! # Design
//!
//! Instantiation replays the [`Step`]s of `translate.rs` against one [`Scope`] per
//! (sub)component instance: a vector per index space, into which every step pushes one
//! entry. Core instances are ordinary Weft [`Instance`](crate::Instance)s made through the
//! public core API; component functions are [`Func`] handles into the store's
//! [`ComponentStore`]; nested components are instantiated recursively with their arguments
//! as imports.
//!
//! The store keeps, per component instance, the state the Canonical ABI needs at run time
//! ([`InstanceState`]): the `may_enter` / `may_leave` flags and the table of resource
//! handles. Everything that depends on the embedder's type `T` (host functions and host
//! resource destructors from the [`Linker`](super::Linker)) is kept type-erased in the
//! store and recovered by downcasting, so that `StoreInner` stays independent of `T`.

use super::component::{Component, ComponentSort};
use super::convert::TypeCx;
use super::export_index::{ComponentExportIndex, InstanceExportLookup};
use super::func::{Func, FuncData, FuncKind, HostFunc, Options, lower_import};
use super::plan::{CoreSource, Plan, PreItem, StepPlan};
use super::resources::{HandleTable, HostHandleTable};
use super::translate::{ComponentInfo, CoreSort, Step};
use super::types::ResourceType;
use crate::context::AsContext;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Memory, Table};
use crate::index::{ComponentFuncIdx, ComponentHostIdx, ComponentInstanceIdx, EntityVec};
use crate::module::Module;
use crate::store::{Store, StoreId};
use crate::trap::TrapCode;
use core::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, ResourceId};
use wasmparser::types::TypesRef;

/// The component-model state of a store: every component function, component instance and
/// host definition made in it. Lives in `StoreInner` (the one hook in the store).
#[derive(Default)]
pub(crate) struct ComponentStore {
    pub(crate) funcs: EntityVec<ComponentFuncIdx, FuncData>,
    pub(crate) instances: EntityVec<ComponentInstanceIdx, InstanceState>,
    /// Host functions and host resource destructors, each an `Arc` of a closure over the
    /// store's `T`, erased.
    pub(crate) hosts: EntityVec<ComponentHostIdx, Arc<dyn Any + Send + Sync>>,
    /// Destructors of resource types, by type.
    pub(crate) dtors: HashMap<ResourceType, Dtor>,
    /// The component instance that defined each guest resource type (the spec's `rt.impl`).
    pub(crate) owners: HashMap<ResourceType, ComponentInstanceIdx>,
    /// A table lent out when a call names no instance (never holds handles for long).
    pub(crate) spare_handles: HandleTable,
    /// The guest resource handles the host holds as `ResourceAny`s.
    pub(crate) host_handles: HostHandleTable,
    /// How many calls between component instances went through the fused adapter.
    pub(crate) adapted_calls: u64,
    /// Core argument and result cells lent to typed calls, so that a call allocates none.
    pub(crate) cells: Vec<u64>,
    /// The same for the results of typed host functions.
    pub(crate) host_cells: Vec<u64>,
    /// The host's own memory and instance, for typed calls of host functions
    /// (`typed/call.rs`); made by the first such call.
    pub(crate) scratch: Option<super::typed::Scratch>,
}

/// How a resource type's values are destroyed when their last `own` handle is dropped.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Dtor {
    /// A core function of the defining instance, called with the representation.
    Guest {
        func: crate::Func,
        instance: ComponentInstanceIdx,
    },
    /// A host closure from [`LinkerInstance::resource`](super::LinkerInstance::resource),
    /// at this index of [`ComponentStore::hosts`].
    Host { host: ComponentHostIdx },
}

/// The run-time state of one component instance.
#[derive(Debug, Default)]
pub(crate) struct InstanceState {
    /// The spec's `may_enter`: false while a call into the instance is active, and for good
    /// after a trap left the instance in an unknown state.
    pub(crate) may_enter: bool,
    /// The spec's `may_leave`: false while the instance's `realloc` or `post-return` runs.
    pub(crate) may_leave: bool,
    /// The instance's `own` and `borrow` handles.
    pub(crate) handles: HandleTable,
    /// The instance's exports, for [`Instance`].
    pub(crate) exports: Option<Arc<InstanceItems>>,
}

/// An item of one of a component's index spaces, as it exists at run time.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Func(Func),
    Module(Module),
    Instance(Arc<InstanceItems>),
    Component(Arc<ComponentInfo>),
    Type(TypeItem),
}

/// What a type index space entry is at run time: only resource types matter.
#[derive(Clone, Debug)]
pub(crate) enum TypeItem {
    Resource(ResourceType),
    Other,
}

/// The exports of a component instance, by name, in order.
#[derive(Debug, Default)]
pub(crate) struct InstanceItems {
    pub(crate) items: Vec<(String, Item)>,
}

impl InstanceItems {
    pub(crate) fn get(&self, name: &str) -> Option<&Item> {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, item)| item)
    }
}

/// A core instance: instantiated from a module, or a bag of other core items.
#[derive(Clone, Debug)]
enum CoreInstance {
    Instance(crate::Instance),
    Exports(Arc<HashMap<String, Extern>>),
    /// Made of other core items, which the plan reaches directly: never looked up by name.
    Planned,
}

/// The index spaces of one component instance being built.
#[derive(Default)]
struct Scope {
    core_modules: Vec<Module>,
    core_instances: Vec<CoreInstance>,
    core_funcs: Vec<crate::Func>,
    core_tables: Vec<Table>,
    core_memories: Vec<Memory>,
    core_globals: Vec<Global>,
    funcs: Vec<Item>,
    types: Vec<TypeItem>,
    instances: Vec<Arc<InstanceItems>>,
    components: Vec<Arc<ComponentInfo>>,
    resources: HashMap<ResourceId, ResourceType>,
}

/// An instantiated component in a [`Store`].
///
/// A small `Copy` handle; its exports are reached with [`Instance::get_func`] and
/// [`Instance::get_export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store: StoreId,
    pub(crate) index: ComponentInstanceIdx,
}

/// An export of a component [`Instance`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Export {
    /// A component function.
    Func(Func),
    /// A core module.
    Module(Module),
    /// A component instance, whose exports [`Instance::get_export_of`] reaches.
    Instance(ExportInstance),
    /// A resource type.
    Resource(ResourceType),
    /// A type that is not a resource.
    Type,
    /// A component.
    Component,
}

/// A component instance exported by another (for [`Instance::get_export_of`]).
#[derive(Debug, Clone)]
pub struct ExportInstance {
    items: Arc<InstanceItems>,
}

impl ExportInstance {
    /// The names of this instance's exports, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.items.items.iter().map(|(n, _)| n.as_str())
    }
}

fn export_of(item: &Item) -> Export {
    match item {
        Item::Func(f) => Export::Func(*f),
        Item::Module(m) => Export::Module(m.clone()),
        Item::Instance(items) => Export::Instance(ExportInstance {
            items: items.clone(),
        }),
        Item::Component(_) => Export::Component,
        Item::Type(TypeItem::Resource(r)) => Export::Resource(r.clone()),
        Item::Type(TypeItem::Other) => Export::Type,
    }
}

impl Instance {
    fn exports_in<'a>(
        &self,
        store: &'a crate::StoreContext<'_, impl Sized>,
    ) -> Option<&'a Arc<InstanceItems>> {
        let inner = &store.0.inner;
        if inner.id != self.store {
            return None;
        }
        inner.component.instances.get(self.index)?.exports.as_ref()
    }

    /// The export `name`, if the instance has one.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Export> {
        let store = store.as_context();
        self.check_store(store.0.inner.id);
        self.exports_in(&store)?.get(name).map(export_of)
    }

    /// The export `name` of the exported instance `instance` (for example the function
    /// `get-environment` of the instance `wasi:cli/environment@0.2.6`).
    pub fn get_export_of(&self, instance: &ExportInstance, name: &str) -> Option<Export> {
        instance.items.get(name).map(export_of)
    }

    /// The resource type exported as `name` (looked up as [`Instance::get_func`] does), as
    /// Wasmtime's `Instance::get_resource`.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_resource(
        &self,
        store: impl AsContext,
        name: impl InstanceExportLookup,
    ) -> Option<ResourceType> {
        let store = store.as_context();
        self.check_store(store.0.inner.id);
        match name.key().lookup(self.exports_in(&store)?)? {
            Item::Type(TypeItem::Resource(ty)) => Some(ty.clone()),
            _ => None,
        }
    }

    /// The exported function `name`, looked up first at the top level and then, for a name
    /// `instance#func`, in the exported instance `instance`.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    ///
    /// `name` may also be a [`ComponentExportIndex`] from [`Instance::get_export_index`].
    pub fn get_func(&self, store: impl AsContext, name: impl InstanceExportLookup) -> Option<Func> {
        let store = store.as_context();
        self.check_store(store.0.inner.id);
        match name.key().lookup(self.exports_in(&store)?)? {
            Item::Func(f) => Some(*f),
            _ => None,
        }
    }

    /// The index of the export `name`, at the top level with `instance` `None`, or among
    /// the exports of the exported instance whose index is `instance`. Looking an export
    /// up by its index ([`Instance::get_func`]) compares no names.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_export_index(
        &self,
        store: impl AsContext,
        instance: Option<&ComponentExportIndex>,
        name: &str,
    ) -> Option<ComponentExportIndex> {
        let store = store.as_context();
        self.check_store(store.0.inner.id);
        let exports = self.exports_in(&store)?;
        let items = match instance {
            None => exports,
            Some(parent) => match parent.resolve(exports)? {
                Item::Instance(items) => items,
                _ => return None,
            },
        };
        ComponentExportIndex::find(instance, items, name)
    }

    /// The exported function `name` (looked up as [`Instance::get_func`] does) with Rust
    /// parameter and result types, checked once, here (see [`Func::typed`]).
    ///
    /// # Errors
    ///
    /// If there is no such function, or `Params` or `Return` do not match its type.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn get_typed_func<Params, Return>(
        &self,
        mut store: impl crate::context::AsContextMut,
        name: impl InstanceExportLookup,
    ) -> Result<super::TypedFunc<Params, Return>>
    where
        Params: super::ComponentNamedList + super::Lower,
        Return: super::ComponentNamedList + super::Lift,
    {
        let store = store.as_context_mut();
        let func = self.get_func(&store, &name).ok_or_else(|| {
            Error::usage(format!(
                "failed to find function export {}",
                name.key().describe()
            ))
        })?;
        func.typed(&store).map_err(|e| {
            super::typed::context(
                e,
                format!(
                    "failed to convert function {} to given type",
                    name.key().describe()
                ),
            )
        })
    }

    /// The names of the instance's exports, in order.
    ///
    /// # Panics
    ///
    /// If `store` is not the instance's store.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Export)> {
        let store = store.as_context();
        self.check_store(store.0.inner.id);
        match self.exports_in(&store) {
            Some(items) => items
                .items
                .iter()
                .map(|(n, item)| (n.clone(), export_of(item)))
                .collect(),
            None => Vec::new(),
        }
    }

    fn check_store(&self, id: StoreId) {
        assert!(
            self.store == id,
            "component Instance used with a store other than its own"
        );
    }
}

pub(crate) fn internal(what: &str) -> Error {
    crate::trap::Trap::with_detail(
        TrapCode::InternalError,
        format!("internal error while instantiating a component: {what}"),
    )
}

/// Instantiates `component` with `imports` (one item per import, in order).
pub(crate) fn instantiate<T: 'static>(
    store: &mut Store<T>,
    component: &Component,
    plan: &Plan,
) -> Result<Instance> {
    if !crate::Engine::same(store.engine(), component.engine()) {
        return Err(Error::usage(
            "cannot instantiate a component in a store of another engine",
        ));
    }
    let mut budget = Budget::default();
    let info = &component.inner.info;
    let mut imports = Vec::with_capacity(plan.imports.len());
    for import in &plan.imports {
        imports.push(make_item(store, import)?);
    }
    let (state, _) = run(store, info, imports, Some(plan), 0, &mut budget)?;
    Ok(Instance {
        store: store.inner.id,
        index: state,
    })
}

/// Deepest nesting of component instantiations.
const MAX_NESTING: u32 = 100;

/// Most instantiation steps one top-level instantiation runs. A small component that
/// instantiates a nested component several times, each of which does the same, would
/// otherwise take exponential time.
const MAX_STEPS: u64 = 1_000_000;

/// Most core instances one top-level instantiation creates (each may own memories).
const MAX_CORE_INSTANCES: u32 = 1_000;

/// What is left of one instantiation's allowance of steps and core instances.
#[derive(Default)]
struct Budget {
    steps: u64,
    core_instances: u32,
}

impl Budget {
    fn step(&mut self) -> Result<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(Error::resource(format!(
                "component instantiation exceeds {MAX_STEPS} steps (nested components \
                 instantiated too many times)"
            )));
        }
        Ok(())
    }

    fn core_instance(&mut self) -> Result<()> {
        self.core_instances += 1;
        if self.core_instances > MAX_CORE_INSTANCES {
            return Err(Error::resource(format!(
                "component instantiation creates more than {MAX_CORE_INSTANCES} core instances"
            )));
        }
        Ok(())
    }
}

/// Runs the steps of `info` with `imports`; returns the new instance's state index and
/// its exports.
fn run<T: 'static>(
    store: &mut Store<T>,
    info: &ComponentInfo,
    imports: Vec<Item>,
    plan: Option<&Plan>,
    depth: u32,
    budget: &mut Budget,
) -> Result<(ComponentInstanceIdx, Arc<InstanceItems>)> {
    if depth > MAX_NESTING {
        return Err(Error::resource("components nested too deeply"));
    }
    if u32::try_from(store.inner.component.instances.len()).is_err() {
        return Err(Error::resource("too many component instances"));
    }
    let state = store.inner.component.instances.push(InstanceState {
        may_enter: true,
        may_leave: true,
        handles: HandleTable::new(),
        exports: None,
    });
    let types = info.types.as_ref();
    // Every step pushes at most one item: sized once, the spaces never grow.
    let steps = info.steps.len();
    let mut scope = Scope {
        core_instances: Vec::with_capacity(steps),
        core_funcs: Vec::with_capacity(steps),
        funcs: Vec::with_capacity(steps),
        types: Vec::with_capacity(steps),
        ..Scope::default()
    };
    if let Some(plan) = plan {
        scope.resources.clone_from(&plan.resources);
    }
    let core_planned = plan.is_some_and(|p| p.core_planned);
    let mut exports = Vec::with_capacity(info.exports.len());
    let mut next_export = 0usize;
    for (step_index, step) in info.steps.iter().enumerate() {
        budget.step()?;
        let planned = plan.and_then(|p| p.steps.get(step_index));
        match step {
            Step::Import { index, sort } if plan.is_some() => {
                // Made from the plan's item, of the import's type already.
                let item = imports
                    .get(*index as usize)
                    .cloned()
                    .ok_or_else(|| internal("missing import value"))?;
                push_item(&mut scope, *sort, item, types, &mut store.inner.component)?;
            }
            Step::Import { index, sort } => {
                let decl = info
                    .imports
                    .get(*index as usize)
                    .ok_or_else(|| internal("import index"))?;
                let item = imports
                    .get(*index as usize)
                    .cloned()
                    .ok_or_else(|| internal("missing import value"))?;
                let item = bind(
                    store,
                    types,
                    &mut scope.resources,
                    &decl.name,
                    &decl.ty,
                    item,
                    state,
                )?;
                push_item(&mut scope, *sort, item, types, &mut store.inner.component)?;
            }
            Step::CoreModule(module) | Step::OuterModule(module) => {
                scope.core_modules.push(module.clone());
            }
            Step::CoreInstantiate { module, .. }
                if let Some(StepPlan::CoreInstantiate(sources)) = planned =>
            {
                let module = scope
                    .core_modules
                    .get(*module as usize)
                    .cloned()
                    .ok_or_else(|| internal("core module index"))?;
                let mut externs = Vec::with_capacity(sources.len());
                for source in sources {
                    externs.push(core_source(store, &scope, *source)?);
                }
                budget.core_instance()?;
                let instance = crate::Instance::new(&mut *store, &module, &externs)?;
                scope.core_instances.push(CoreInstance::Instance(instance));
            }
            Step::CoreInstantiate { module, args } => {
                let module = scope
                    .core_modules
                    .get(*module as usize)
                    .cloned()
                    .ok_or_else(|| internal("core module index"))?;
                let mut externs = Vec::with_capacity(module.imports().len());
                for import in module.imports() {
                    let (_, instance) = args
                        .iter()
                        .find(|(name, _)| name == import.module())
                        .ok_or_else(|| {
                            Error::unlinkable(format!(
                                "no core instance for module import `{}`",
                                import.module()
                            ))
                        })?;
                    let instance = scope
                        .core_instances
                        .get(*instance as usize)
                        .ok_or_else(|| internal("core instance index"))?;
                    let item = core_export(store, instance, import.name()).ok_or_else(|| {
                        Error::unlinkable(format!(
                            "core instance has no export `{}` for import `{}`",
                            import.name(),
                            import.module()
                        ))
                    })?;
                    externs.push(item);
                }
                budget.core_instance()?;
                let instance = crate::Instance::new(&mut *store, &module, &externs)?;
                scope.core_instances.push(CoreInstance::Instance(instance));
            }
            Step::CoreInstanceFromExports(_) if core_planned => {
                scope.core_instances.push(CoreInstance::Planned);
            }
            Step::CoreInstanceFromExports(items) => {
                let mut map = HashMap::with_capacity(items.len());
                for (name, sort, index) in items {
                    map.insert(name.clone(), core_item(&scope, *sort, *index)?);
                }
                scope
                    .core_instances
                    .push(CoreInstance::Exports(Arc::new(map)));
            }
            Step::CoreAlias {
                instance,
                name,
                sort,
            } => {
                let item = match planned {
                    Some(StepPlan::CoreAlias(source)) => core_source(store, &scope, *source)?,
                    _ => {
                        let instance = scope
                            .core_instances
                            .get(*instance as usize)
                            .ok_or_else(|| internal("core instance index"))?;
                        core_export(store, instance, name)
                            .ok_or_else(|| internal("core alias of a missing export"))?
                    }
                };
                match (sort, item) {
                    (CoreSort::Func, Extern::Func(f)) => scope.core_funcs.push(f),
                    (CoreSort::Table, Extern::Table(t)) => scope.core_tables.push(t),
                    (CoreSort::Memory, Extern::Memory(m)) => scope.core_memories.push(m),
                    (CoreSort::Global, Extern::Global(g)) => scope.core_globals.push(g),
                    _ => return Err(internal("core alias of the wrong sort")),
                }
            }
            Step::Component(child) | Step::OuterComponent(child) => {
                scope.components.push(child.clone());
            }
            Step::Instantiate { component, args } => {
                let child = scope
                    .components
                    .get(*component as usize)
                    .cloned()
                    .ok_or_else(|| internal("component index"))?;
                let mut child_imports = Vec::with_capacity(child.imports.len());
                for import in &child.imports {
                    let (_, sort, index) = args
                        .iter()
                        .find(|(name, _, _)| *name == import.name)
                        .ok_or_else(|| {
                            Error::unlinkable(format!(
                                "missing instantiation argument `{}`",
                                import.name
                            ))
                        })?;
                    child_imports.push(item_at(&scope, *sort, *index)?);
                }
                let (_, items) = run(store, &child, child_imports, None, depth + 1, budget)?;
                let index = u32::try_from(scope.instances.len()).unwrap_or(u32::MAX);
                let ty = types.component_instance_at(index);
                if let Some(instance_ty) = types.get(ty) {
                    for (name, export) in instance_ty.exports.iter() {
                        if let Some(item) = items.get(name) {
                            map_resources(types, &mut scope.resources, &export.ty, item);
                        }
                    }
                }
                scope.instances.push(items);
            }
            Step::InstanceFromExports(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (name, sort, index) in items {
                    out.push((name.clone(), item_at(&scope, *sort, *index)?));
                }
                scope.instances.push(Arc::new(InstanceItems { items: out }));
            }
            Step::Alias {
                instance,
                name,
                sort,
            } => {
                let item = scope
                    .instances
                    .get(*instance as usize)
                    .and_then(|i| i.get(name))
                    .cloned()
                    .ok_or_else(|| internal("alias of a missing export"))?;
                push_item(&mut scope, *sort, item, types, &mut store.inner.component)?;
            }
            Step::Type => scope.types.push(TypeItem::Other),
            Step::Resource { dtor } => {
                let index = u32::try_from(scope.types.len()).unwrap_or(u32::MAX);
                let ty = ResourceType::guest("resource");
                if let ComponentAnyTypeId::Resource(id) = types.component_any_type_at(index) {
                    scope.resources.insert(id.resource(), ty.clone());
                }
                store.inner.component.owners.insert(ty.clone(), state);
                if let Some(dtor) = dtor {
                    let func = scope
                        .core_funcs
                        .get(*dtor as usize)
                        .copied()
                        .ok_or_else(|| internal("destructor index"))?;
                    store.inner.component.dtors.insert(
                        ty.clone(),
                        Dtor::Guest {
                            func,
                            instance: state,
                        },
                    );
                }
                scope.types.push(TypeItem::Resource(ty));
            }
            Step::Lift {
                core_func,
                ty,
                options,
            } => {
                let core = scope
                    .core_funcs
                    .get(*core_func as usize)
                    .copied()
                    .ok_or_else(|| internal("lifted function index"))?;
                let func_ty = match planned {
                    Some(StepPlan::Lift(func_ty)) => func_ty.clone(),
                    _ => {
                        let ComponentAnyTypeId::Func(id) = types.component_any_type_at(*ty) else {
                            return Err(internal("lift of a non-function type"));
                        };
                        TypeCx {
                            types,
                            resources: &mut scope.resources,
                        }
                        .func(id)?
                    }
                };
                let options = resolve_options(&scope, options)?;
                let func = push_func(
                    store,
                    FuncData {
                        ty: func_ty,
                        kind: FuncKind::Lifted {
                            core,
                            options,
                            instance: state,
                        },
                        typed: Default::default(),
                    },
                )?;
                scope.funcs.push(Item::Func(func));
            }
            Step::Lower { func, options } => {
                let func = match scope.funcs.get(*func as usize) {
                    Some(Item::Func(f)) => *f,
                    _ => return Err(internal("lowered function index")),
                };
                let options = resolve_options(&scope, options)?;
                let core = lower_import(store, func, options, state)?;
                scope.core_funcs.push(core);
            }
            Step::ResourceNew { resource }
            | Step::ResourceDrop { resource }
            | Step::ResourceRep { resource } => {
                let ty = match scope.types.get(*resource as usize) {
                    Some(TypeItem::Resource(ty)) => ty.clone(),
                    _ => return Err(internal("resource built-in of a non-resource type")),
                };
                let core = super::func::resource_builtin(store, step, ty, state)?;
                scope.core_funcs.push(core);
            }
            Step::Export { sort, index } => {
                let item = item_at(&scope, *sort, *index)?;
                let decl = info
                    .exports
                    .get(next_export)
                    .ok_or_else(|| internal("export index"))?;
                next_export += 1;
                exports.push((decl.name.clone(), item.clone()));
                push_item(&mut scope, *sort, item, types, &mut store.inner.component)?;
            }
        }
    }
    let items = Arc::new(InstanceItems { items: exports });
    if let Some(slot) = store.inner.component.instances.get_mut(state) {
        slot.exports = Some(items.clone());
    }
    Ok((state, items))
}

/// Pushes `item` into the index space of `sort`; a type also gets its validator id mapped
/// to the run-time resource type.
fn push_item(
    scope: &mut Scope,
    sort: ComponentSort,
    item: Item,
    types: TypesRef<'_>,
    _cs: &mut ComponentStore,
) -> Result<()> {
    match (sort, item) {
        (ComponentSort::Func, item @ Item::Func(_)) => scope.funcs.push(item),
        (ComponentSort::Module, Item::Module(m)) => scope.core_modules.push(m),
        (ComponentSort::Instance, Item::Instance(i)) => scope.instances.push(i),
        (ComponentSort::Component, Item::Component(c)) => scope.components.push(c),
        (ComponentSort::Type, Item::Type(ty)) => {
            let index = u32::try_from(scope.types.len()).unwrap_or(u32::MAX);
            if let (TypeItem::Resource(rt), ComponentAnyTypeId::Resource(id)) =
                (&ty, types.component_any_type_at(index))
            {
                scope.resources.insert(id.resource(), rt.clone());
            }
            scope.types.push(ty);
        }
        (sort, item) => {
            return Err(Error::unlinkable(format!(
                "expected a {sort}, found {}",
                item_desc(&item)
            )));
        }
    }
    Ok(())
}

fn item_desc(item: &Item) -> &'static str {
    match item {
        Item::Func(_) => "function",
        Item::Module(_) => "core module",
        Item::Instance(_) => "instance",
        Item::Component(_) => "component",
        Item::Type(_) => "type",
    }
}

/// The item at `index` of the space of `sort`.
fn item_at(scope: &Scope, sort: ComponentSort, index: u32) -> Result<Item> {
    let i = index as usize;
    let missing = || internal("item index");
    Ok(match sort {
        ComponentSort::Func => scope.funcs.get(i).cloned().ok_or_else(missing)?,
        ComponentSort::Module => {
            Item::Module(scope.core_modules.get(i).cloned().ok_or_else(missing)?)
        }
        ComponentSort::Instance => {
            Item::Instance(scope.instances.get(i).cloned().ok_or_else(missing)?)
        }
        ComponentSort::Component => {
            Item::Component(scope.components.get(i).cloned().ok_or_else(missing)?)
        }
        ComponentSort::Type => Item::Type(scope.types.get(i).cloned().ok_or_else(missing)?),
        ComponentSort::Value => return Err(Error::unlinkable("value items are not supported")),
    })
}

fn core_item(scope: &Scope, sort: CoreSort, index: u32) -> Result<Extern> {
    let i = index as usize;
    let missing = || internal("core item index");
    Ok(match sort {
        CoreSort::Func => Extern::Func(*scope.core_funcs.get(i).ok_or_else(missing)?),
        CoreSort::Table => Extern::Table(*scope.core_tables.get(i).ok_or_else(missing)?),
        CoreSort::Memory => Extern::Memory(*scope.core_memories.get(i).ok_or_else(missing)?),
        CoreSort::Global => Extern::Global(*scope.core_globals.get(i).ok_or_else(missing)?),
    })
}

/// The core item `source` names, as the plan resolved it.
fn core_source<T>(store: &Store<T>, scope: &Scope, source: CoreSource) -> Result<Extern> {
    match source {
        CoreSource::Export { instance, position } => {
            match scope.core_instances.get(instance as usize) {
                Some(CoreInstance::Instance(instance)) => {
                    crate::instance::instance_export_at(&store.inner, instance.index, position)
                        .ok_or_else(|| internal("planned core export"))
                }
                _ => Err(internal("planned core instance")),
            }
        }
        CoreSource::Item { sort, index } => core_item(scope, sort, index),
    }
}

/// Makes the run-time item of an import the plan resolved: registers its host closures in
/// the store and gives its functions their (already converted) types.
fn make_item<T: 'static>(store: &mut Store<T>, item: &PreItem) -> Result<Item> {
    Ok(match item {
        PreItem::HostFunc { host, ty, typed } => {
            let host = store.inner.component.hosts.push(host.clone());
            let data = FuncData {
                ty: ty.clone(),
                kind: FuncKind::Host { host },
                typed: Default::default(),
            };
            if let Some(typed) = typed {
                let _ = data.typed.set(typed.clone());
            }
            Item::Func(push_func(store, data)?)
        }
        PreItem::TrapFunc { name, ty } => Item::Func(push_func(
            store,
            FuncData {
                ty: ty.clone(),
                kind: FuncKind::Trap { name: name.clone() },
                typed: Default::default(),
            },
        )?),
        PreItem::Instance(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (name, item) in items {
                out.push((name.clone(), make_item(store, item)?));
            }
            Item::Instance(Arc::new(InstanceItems { items: out }))
        }
        PreItem::Resource { ty, dtor } => {
            // A type a component instance of this store defined keeps that instance's
            // destructor.
            let cs = &mut store.inner.component;
            if !cs.owners.contains_key(ty) {
                let host = cs.hosts.push(dtor.clone());
                cs.dtors.insert(ty.clone(), Dtor::Host { host });
            }
            Item::Type(TypeItem::Resource(ty.clone()))
        }
        PreItem::Type => Item::Type(TypeItem::Other),
        PreItem::Module(m) => Item::Module(m.clone()),
    })
}

fn core_export<T>(store: &Store<T>, instance: &CoreInstance, name: &str) -> Option<Extern> {
    match instance {
        CoreInstance::Instance(instance) => instance.get_export(store, name),
        CoreInstance::Exports(map) => map.get(name).copied(),
        CoreInstance::Planned => None,
    }
}

fn resolve_options(scope: &Scope, options: &super::translate::CanonOptions) -> Result<Options> {
    let func = |index: Option<u32>| -> Result<Option<crate::Func>> {
        index
            .map(|i| {
                scope
                    .core_funcs
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| internal("canonical option function index"))
            })
            .transpose()
    };
    let memory = options
        .memory
        .map(|i| {
            scope
                .core_memories
                .get(i as usize)
                .copied()
                .ok_or_else(|| internal("canonical option memory index"))
        })
        .transpose()?;
    Ok(Options {
        encoding: match options.encoding {
            super::translate::Encoding::Utf8 => super::abi::StringEncoding::Utf8,
            super::translate::Encoding::Utf16 => super::abi::StringEncoding::Utf16,
            super::translate::Encoding::CompactUtf16 => super::abi::StringEncoding::CompactUtf16,
        },
        memory,
        realloc: func(options.realloc)?,
        post_return: func(options.post_return)?,
    })
}

pub(crate) fn push_func<T>(store: &mut Store<T>, data: FuncData) -> Result<Func> {
    let funcs = &mut store.inner.component.funcs;
    if u32::try_from(funcs.len()).is_err() {
        return Err(Error::resource("too many component functions"));
    }
    let index = funcs.push(data);
    Ok(Func {
        store: store.inner.id,
        index,
    })
}

/// Gives an imported item the type of the import it satisfies: a host function becomes a
/// component function of the import's type; an instance's host functions likewise; resource
/// types are recorded in `resources`.
fn bind<T: 'static>(
    store: &mut Store<T>,
    types: TypesRef<'_>,
    resources: &mut HashMap<ResourceId, ResourceType>,
    name: &str,
    ty: &ComponentEntityType,
    item: Item,
    _state: ComponentInstanceIdx,
) -> Result<Item> {
    Ok(match (ty, item) {
        (ComponentEntityType::Func(id), Item::Func(func)) => {
            // A component function from another instance: its type must be the import's.
            let expected = TypeCx { types, resources }.func(*id)?;
            let actual = func.ty(&*store);
            if expected != actual {
                return Err(Error::unlinkable(format!(
                    "function of type `{actual}` where `{expected}` was expected"
                )));
            }
            Item::Func(func)
        }
        (ComponentEntityType::Type { created, .. }, Item::Type(item)) => {
            match (created, &item) {
                (ComponentAnyTypeId::Resource(id), TypeItem::Resource(rt)) => {
                    resources.insert(id.resource(), rt.clone());
                }
                (ComponentAnyTypeId::Resource(id), TypeItem::Other)
                    if !resources.contains_key(&id.resource()) =>
                {
                    return Err(Error::unlinkable(format!(
                        "component imports `{name}`, a resource type that is not defined"
                    )));
                }
                _ => {}
            }
            Item::Type(item)
        }
        (ComponentEntityType::Instance(id), Item::Instance(items)) => {
            let instance_ty = types.get(*id).ok_or_else(|| internal("instance type"))?;
            // Resource types first: function types below mention them.
            for (export_name, export) in instance_ty.exports.iter() {
                if let ComponentEntityType::Type { .. } = export.ty {
                    let item = items.get(export_name).cloned().ok_or_else(|| {
                        Error::unlinkable(format!("instance has no export `{export_name}`"))
                    })?;
                    let full = format!("{name}#{export_name}");
                    bind(store, types, resources, &full, &export.ty, item, _state)?;
                }
            }
            let mut out = Vec::with_capacity(instance_ty.exports.len());
            for (export_name, export) in instance_ty.exports.iter() {
                let item = items.get(export_name).cloned().ok_or_else(|| {
                    Error::unlinkable(format!("instance has no export `{export_name}`"))
                })?;
                let full = format!("{name}#{export_name}");
                let item = bind(store, types, resources, &full, &export.ty, item, _state)?;
                out.push((export_name.clone(), item));
            }
            Item::Instance(Arc::new(InstanceItems { items: out }))
        }
        (ComponentEntityType::Module(_), item @ Item::Module(_)) => item,
        (ComponentEntityType::Component(_), item @ Item::Component(_)) => item,
        (_, item) => {
            return Err(Error::unlinkable(format!(
                "import satisfied by a {}, which is of the wrong kind",
                item_desc(&item)
            )));
        }
    })
}

/// Records the run-time resource types of `item`, an export of a nested instance whose
/// type in the parent is `ty`.
fn map_resources(
    types: TypesRef<'_>,
    resources: &mut HashMap<ResourceId, ResourceType>,
    ty: &ComponentEntityType,
    item: &Item,
) {
    match (ty, item) {
        (
            ComponentEntityType::Type {
                created: ComponentAnyTypeId::Resource(id),
                ..
            },
            Item::Type(TypeItem::Resource(rt)),
        ) => {
            resources.insert(id.resource(), rt.clone());
        }
        (ComponentEntityType::Instance(id), Item::Instance(items)) => {
            if let Some(instance_ty) = types.get(*id) {
                for (name, export) in instance_ty.exports.iter() {
                    if let Some(item) = items.get(name) {
                        map_resources(types, resources, &export.ty, item);
                    }
                }
            }
        }
        _ => {}
    }
}

impl<T> Store<T> {
    /// The state of component instance `index`.
    pub(crate) fn component_instance(
        &mut self,
        index: ComponentInstanceIdx,
    ) -> Result<&mut InstanceState> {
        self.inner
            .component
            .instances
            .get_mut(index)
            .ok_or_else(|| internal("component instance index"))
    }
}

impl<T: 'static> Store<T> {
    /// The host function at `index`.
    pub(crate) fn component_host_func(&self, index: ComponentHostIdx) -> Option<Arc<HostFunc<T>>> {
        self.inner
            .component
            .hosts
            .get(index)?
            .downcast_ref::<Arc<HostFunc<T>>>()
            .cloned()
    }
}
