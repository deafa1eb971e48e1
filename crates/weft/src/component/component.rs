//! [`Component`]: a validated component, flattened into instantiation steps.

use super::convert::TypeCx;
use super::export_index::ComponentExportIndex;
use super::translate::{CompileModules, ComponentInfo, CoreModules, translate_with};
use super::types::{ComponentFunc, ResourceType, Type};
use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType};

/// The sorts of a component's index spaces (Component Model explainer, "Index spaces").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentSort {
    /// A core module.
    Module,
    /// A component function.
    Func,
    /// A value.
    Value,
    /// A type.
    Type,
    /// A component instance.
    Instance,
    /// A component.
    Component,
}

impl core::fmt::Display for ComponentSort {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ComponentSort::Module => "core module",
            ComponentSort::Func => "func",
            ComponentSort::Value => "value",
            ComponentSort::Type => "type",
            ComponentSort::Instance => "instance",
            ComponentSort::Component => "component",
        })
    }
}

/// A validated WebAssembly component, ready to instantiate with a
/// [`Linker`](super::Linker).
///
/// Making a `Component` validates it, compiles each of its nested core modules once, and
/// flattens it into the list of steps that instantiation replays. Cheap to clone (a
/// reference count); `Send + Sync`.
///
/// ```
/// let engine = weft::Engine::default();
/// let component = weft::component::Component::new(&engine, r#"
///     (component
///       (core module $m (func (export "answer") (result i32) i32.const 42))
///       (core instance $i (instantiate $m))
///       (func (export "answer") (result u32) (canon lift (core func $i "answer"))))
/// "#)?;
/// assert_eq!(component.component_type().exports(&engine).count(), 1);
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone)]
pub struct Component {
    pub(crate) inner: Arc<ComponentInner>,
}

/// The shared, immutable contents of a [`Component`].
pub(crate) struct ComponentInner {
    pub(crate) engine: Engine,
    pub(crate) info: Arc<ComponentInfo>,
    /// The component's binary, which [`Component::serialize`] writes with its core modules.
    binary: Arc<[u8]>,
    /// The nested core modules, in the order they appear in `binary`.
    core_modules: Vec<crate::Module>,
}

impl core::fmt::Debug for Component {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Component")
            .field("imports", &self.inner.info.imports.len())
            .field("exports", &self.inner.info.exports.len())
            .finish_non_exhaustive()
    }
}

impl Component {
    /// Compiles a component from its binary encoding or its text format (WAT).
    ///
    /// The input is validated by wasmparser's component validator with the features of the
    /// engine's [`Config`](crate::Config), its nested core modules are compiled, and the
    /// component is flattened into instantiation steps.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Malformed`](crate::ErrorKind::Malformed) for bytes that are not a
    /// component (with the offset where decoding failed, and a hint when the bytes are a core
    /// module) or text that does not parse;
    /// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) for a component that does not
    /// validate or uses what Weft does not support (the async parts of the Component Model,
    /// value imports, start functions); a usage error if the engine's configuration has
    /// [`Config::wasm_component_model`](crate::Config::wasm_component_model) off.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component> {
        let bytes = bytes.as_ref();
        let binary = wat::parse_bytes(bytes)
            .map_err(|e| Error::malformed(e.to_string(), None).in_component())?;
        Component::from_binary(engine, &binary)
    }

    /// Compiles a component from its binary encoding only; see [`Component::new`].
    ///
    /// # Errors
    ///
    /// As [`Component::new`].
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Component> {
        let mut modules = CompileModules::default();
        let info = translate_with(engine, binary, &mut modules)
            .map_err(|e| e.classify_wasmparser().in_component())?;
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                info: Arc::new(info),
                binary: Arc::from(binary),
                core_modules: modules.0,
            }),
        })
    }

    /// Serializes this component for [`Component::deserialize`]: its binary, and each of its
    /// nested core modules precompiled as [`Module::serialize`](crate::Module::serialize)
    /// writes them. Loading it skips translating the core modules; the component's own
    /// sections are validated again.
    ///
    /// ```
    /// use weft::component::{Component, Linker};
    /// let engine = weft::Engine::default();
    /// let bytes = engine.precompile_component(br#"(component
    ///     (core module $m (func (export "f") (result i32) i32.const 42))
    ///     (core instance $i (instantiate $m))
    ///     (func (export "f") (result u32) (canon lift (core func $i "f"))))"#)?;
    /// assert_eq!(engine.detect_precompiled(&bytes), Some(weft::Precompiled::Component));
    /// // SAFETY: none needed; Weft verifies precompiled components (see `deserialize`).
    /// # #[allow(unsafe_code)]
    /// let component = unsafe { Component::deserialize(&engine, &bytes)? };
    /// let mut store = weft::Store::new(&engine, ());
    /// let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
    /// let f = instance.get_typed_func::<(), (u32,)>(&mut store, "f")?;
    /// assert_eq!(f.call(&mut store, ())?, (42,));
    /// # Ok::<(), weft::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Module::serialize`](crate::Module::serialize), for each core module.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        use crate::module::serialize::{COMPONENT_MAGIC, write_header};
        let inner = &*self.inner;
        let mut w = crate::ir::codec::Writer::default();
        write_header(&mut w, &inner.engine, COMPONENT_MAGIC);
        w.bytes(&inner.binary);
        w.len(inner.core_modules.len());
        for module in &inner.core_modules {
            w.bytes(&module.serialize()?);
        }
        Ok(w.bytes)
    }

    /// Loads a component written by [`Component::serialize`] or
    /// [`Engine::precompile_component`], without translating its core modules again.
    ///
    /// # Safety
    ///
    /// None required: `unsafe` only for Wasmtime's signature. As with
    /// [`Module::deserialize`](crate::Module::deserialize), nothing in the bytes is trusted:
    /// the component's sections are validated again, each core module is loaded and verified
    /// as `Module::deserialize` does, and each must have exactly the imports and exports (names
    /// and types) that the component's binary declares for it. So truncated, corrupted,
    /// forged or foreign bytes give an `Err` (a corrupted function body, from the call that
    /// first reaches it), never undefined behaviour.
    ///
    /// # Errors
    ///
    /// As [`Module::deserialize`](crate::Module::deserialize) (a usage error for another
    /// Weft version or configuration; a malformed error with the offset otherwise), and as
    /// [`Component::new`] for the component's binary.
    #[allow(
        unsafe_code,
        reason = "the signature of Wasmtime's `Component::deserialize`"
    )]
    pub unsafe fn deserialize(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component> {
        deserialize(engine, bytes.as_ref())
    }

    /// Reads a file written by [`Component::serialize`] or [`Engine::precompile_component`]
    /// and loads it as [`Component::deserialize`] does.
    ///
    /// # Safety
    ///
    /// None required; as [`Component::deserialize`].
    ///
    /// # Errors
    ///
    /// As [`Component::deserialize`], and an error naming the file if it cannot be read.
    #[allow(
        unsafe_code,
        reason = "the signature of Wasmtime's `Component::deserialize_file`"
    )]
    pub unsafe fn deserialize_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::msg(format!("failed to read `{}`: {e}", path.display())))?;
        deserialize(engine, &bytes)
    }

    /// Reads a file (binary or WAT) and compiles it; see [`Component::new`].
    ///
    /// # Errors
    ///
    /// As [`Component::new`], and an error naming the file if it cannot be read.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::msg(format!("failed to read `{}`: {e}", path.display())))?;
        Component::new(engine, bytes)
    }

    /// The engine this component was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
}

impl Component {
    /// The component's type: its imports and exports with their types.
    ///
    /// Resource types the component imports or defines are shown as abstract resource types
    /// (each instance gets its own); two mentions of the same resource in this view are the
    /// same [`ResourceType`].
    pub fn component_type(&self) -> ComponentType {
        let info = &self.inner.info;
        let mut resources = HashMap::new();
        let mut cx = TypeCx {
            types: info.types.as_ref(),
            resources: &mut resources,
        };
        let imports = info
            .imports
            .iter()
            .map(|i| (i.name.clone(), item(&mut cx, &i.ty, 0)))
            .collect();
        let exports = info
            .exports
            .iter()
            .map(|e| {
                let ty = match &e.ty {
                    Some(ty) => item(&mut cx, ty, 0),
                    None => ComponentItem::Unsupported,
                };
                (e.name.clone(), ty)
            })
            .collect();
        ComponentType { imports, exports }
    }

    /// The index of the export `name`: a top-level export with `instance` `None`, or an
    /// export of the exported instance whose index is `instance`.
    ///
    /// The index finds the same export in every instance of this component
    /// ([`Instance::get_func`](super::Instance::get_func),
    /// [`Instance::get_typed_func`](super::Instance::get_typed_func)) without comparing
    /// names, as Wasmtime's `Component::get_export_index` does. `None` if there is no such
    /// export (or it is nested deeper than four instances).
    pub fn get_export_index(
        &self,
        instance: Option<&ComponentExportIndex>,
        name: &str,
    ) -> Option<ComponentExportIndex> {
        self.get_export(instance, name).map(|(_, index)| index)
    }

    /// The type and the index of the export `name` (see [`Component::get_export_index`]).
    pub fn get_export(
        &self,
        instance: Option<&ComponentExportIndex>,
        name: &str,
    ) -> Option<(ComponentItem, ComponentExportIndex)> {
        let ty = self.component_type();
        let mut items = &ty.exports;
        if let Some(parent) = instance {
            for &position in parent.path() {
                match &items.get(position as usize)?.1 {
                    ComponentItem::ComponentInstance(inner) => items = &inner.exports,
                    _ => return None,
                }
            }
        }
        let position = items.iter().position(|(n, _)| n == name)?;
        let index = ComponentExportIndex::child(instance, position)?;
        Some((items.get(position)?.1.clone(), index))
    }

    /// What instantiating this component takes of the engine's resources: the memories and
    /// tables of every core module instance it makes, counted as
    /// [`Module::resources_required`](crate::Module::resources_required) counts them and
    /// summed over nested components (a module instantiated twice counts twice).
    ///
    /// `None` when the component imports a core module or a component, whose needs are not
    /// known until instantiation, as in Wasmtime.
    pub fn resources_required(&self) -> Option<crate::ResourcesRequired> {
        let mut total = crate::ResourcesRequired {
            num_memories: 0,
            max_initial_memory_size: None,
            num_tables: 0,
            max_initial_table_size: None,
        };
        add_resources(&self.inner.info, &mut total, 0)?;
        Some(total)
    }
}

/// Adds the resources of one instantiation of `info` to `total`; `None` if it instantiates
/// a module or component it imports (or nests components deeper than [`MAX_ITEM_DEPTH`]).
fn add_resources(
    info: &ComponentInfo,
    total: &mut crate::ResourcesRequired,
    depth: u32,
) -> Option<()> {
    use super::translate::Step;
    if depth > MAX_ITEM_DEPTH {
        return None;
    }
    // The core module and component index spaces; `None` for an imported (unknown) entry.
    let mut modules: Vec<Option<&crate::Module>> = Vec::new();
    let mut components: Vec<Option<&ComponentInfo>> = Vec::new();
    for step in &info.steps {
        match step {
            Step::CoreModule(m) | Step::OuterModule(m) => modules.push(Some(m)),
            Step::Component(c) | Step::OuterComponent(c) => components.push(Some(c)),
            Step::Import { sort, .. } | Step::Alias { sort, .. } => match sort {
                ComponentSort::Module => modules.push(None),
                ComponentSort::Component => components.push(None),
                _ => {}
            },
            Step::Export { sort, index } => match sort {
                ComponentSort::Module => modules.push(modules.get(*index as usize).copied()?),
                ComponentSort::Component => {
                    components.push(components.get(*index as usize).copied()?)
                }
                _ => {}
            },
            Step::CoreInstantiate { module, .. } => {
                let needs = modules
                    .get(*module as usize)
                    .copied()??
                    .resources_required();
                total.num_memories += needs.num_memories;
                total.num_tables += needs.num_tables;
                total.max_initial_memory_size = total
                    .max_initial_memory_size
                    .max(needs.max_initial_memory_size);
                total.max_initial_table_size = total
                    .max_initial_table_size
                    .max(needs.max_initial_table_size);
            }
            Step::Instantiate { component, .. } => {
                let nested = components.get(*component as usize).copied()??;
                add_resources(nested, total, depth + 1)?;
            }
            _ => {}
        }
    }
    Some(())
}

/// The type of a component: its imports and exports, by name (Wasmtime's
/// `component::types::Component`, also reachable as
/// [`types::Component`](super::types::Component)).
#[derive(Debug, Clone)]
pub struct ComponentType {
    imports: Vec<(String, ComponentItem)>,
    exports: Vec<(String, ComponentItem)>,
}

impl ComponentType {
    /// The imports, in order. (`engine` is taken for Wasmtime's signature; Weft's types
    /// do not need it.)
    pub fn imports<'a>(
        &'a self,
        engine: &'a Engine,
    ) -> impl ExactSizeIterator<Item = (&'a str, ComponentExtern<'a>)> + 'a {
        let _ = engine;
        named_items(&self.imports)
    }

    /// The exports, in order. (`engine` as in [`ComponentType::imports`].)
    pub fn exports<'a>(
        &'a self,
        engine: &'a Engine,
    ) -> impl ExactSizeIterator<Item = (&'a str, ComponentExtern<'a>)> + 'a {
        let _ = engine;
        named_items(&self.exports)
    }

    /// The import `name`, if there is one.
    pub fn get_import<'a>(&'a self, engine: &'a Engine, name: &str) -> Option<ComponentExtern<'a>> {
        let _ = engine;
        find_item(&self.imports, name)
    }

    /// The export `name`, if there is one.
    pub fn get_export<'a>(&'a self, engine: &'a Engine, name: &str) -> Option<ComponentExtern<'a>> {
        let _ = engine;
        find_item(&self.exports, name)
    }
}

/// `items` as (name, extern) pairs.
fn named_items(
    items: &[(String, ComponentItem)],
) -> impl ExactSizeIterator<Item = (&str, ComponentExtern<'_>)> {
    items
        .iter()
        .map(|(n, t)| (n.as_str(), ComponentExtern::new(t)))
}

/// The item of `items` named `name`.
fn find_item<'a>(items: &'a [(String, ComponentItem)], name: &str) -> Option<ComponentExtern<'a>> {
    items
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| ComponentExtern::new(t))
}

/// Loads a precompiled component (see [`Component::deserialize`]).
fn deserialize(engine: &Engine, bytes: &[u8]) -> Result<Component> {
    use crate::ir::codec::Reader;
    use crate::module::serialize::{COMPONENT_MAGIC, check_header_of, malformed};
    let mut r = Reader::new(bytes);
    check_header_of(engine, &mut r, COMPONENT_MAGIC, "component")?;
    let binary = r.bytes().map_err(malformed)?;
    let count = r.len(4).map_err(malformed)?;
    let mut blobs = Vec::with_capacity(count);
    for _ in 0..count {
        let offset = r.offset() + 4;
        blobs.push((offset, r.bytes().map_err(malformed)?));
    }
    if !r.is_empty() {
        return Err(malformed(r.error("trailing bytes after the component")));
    }
    let binary_offset = 8;
    let mut modules = PrecompiledModules {
        blobs: blobs.into_iter(),
        loaded: Vec::new(),
    };
    let info = translate_with(engine, binary, &mut modules)
        .map_err(|e| e.classify_wasmparser().in_component())?;
    if modules.blobs.next().is_some() {
        return Err(Error::malformed(
            "invalid precompiled component: more core modules than the component has",
            Some(binary_offset),
        ));
    }
    Ok(Component {
        inner: Arc::new(ComponentInner {
            engine: engine.clone(),
            info: Arc::new(info),
            binary: Arc::from(binary),
            core_modules: modules.loaded,
        }),
    })
}

/// The precompiled core modules of a component being loaded, in order, each with its
/// offset in the file.
struct PrecompiledModules<'a> {
    blobs: std::vec::IntoIter<(usize, &'a [u8])>,
    loaded: Vec<crate::Module>,
}

impl CoreModules for PrecompiledModules<'_> {
    fn module(
        &mut self,
        engine: &Engine,
        _binary: &[u8],
        range: core::ops::Range<usize>,
        types: wasmparser::types::TypesRef<'_>,
    ) -> Result<crate::Module> {
        let Some((offset, blob)) = self.blobs.next() else {
            return Err(Error::malformed(
                "invalid precompiled component: fewer core modules than the component has",
                Some(range.start),
            ));
        };
        let module = crate::module::serialize::deserialize(engine, blob).map_err(|mut e| {
            if let Some(crate::ErrorKind::Malformed { offset: o, .. }) =
                e.downcast_mut::<crate::ErrorKind>()
            {
                *o = o.map(|o| o + offset);
            }
            e
        })?;
        let mismatch = || {
            Error::malformed(
                format!(
                    "invalid precompiled component: the core module at offset {offset} does \
                     not have the imports and exports the component declares for it"
                ),
                Some(offset),
            )
        };
        let (Some(imports), Some(exports)) = (types.core_imports(), types.core_exports()) else {
            return Err(mismatch());
        };
        let declared_imports = imports.map(|(m, n, ty)| (m, n, core_type(types, &ty)));
        if !declared_imports.eq(module
            .imports()
            .map(|i| (i.module(), i.name(), Some(i.ty()))))
        {
            return Err(mismatch());
        }
        let declared_exports = exports.map(|(n, ty)| (n, core_type(types, &ty)));
        if !declared_exports.eq(module.exports().map(|e| (e.name(), Some(e.ty())))) {
            return Err(mismatch());
        }
        self.loaded.push(module.clone());
        Ok(module)
    }
}

/// The type of a component instance: its exports, by name (Wasmtime's
/// `component::types::ComponentInstance`).
#[derive(Debug, Clone)]
pub struct ComponentInstanceType {
    exports: Vec<(String, ComponentItem)>,
}

impl ComponentInstanceType {
    /// The exports, in order. (`engine` as in [`ComponentType::imports`].)
    pub fn exports<'a>(
        &'a self,
        engine: &'a Engine,
    ) -> impl ExactSizeIterator<Item = (&'a str, ComponentExtern<'a>)> + 'a {
        let _ = engine;
        named_items(&self.exports)
    }

    /// The export `name`, if there is one.
    pub fn get_export<'a>(&'a self, engine: &'a Engine, name: &str) -> Option<ComponentExtern<'a>> {
        let _ = engine;
        find_item(&self.exports, name)
    }
}

/// The type of a core module imported or exported by a component: its imports and exports
/// with their core types (Wasmtime's `component::types::Module`).
#[derive(Debug, Clone)]
pub struct ModuleType {
    imports: Vec<((String, String), crate::ExternType)>,
    exports: Vec<(String, crate::ExternType)>,
}

impl ModuleType {
    /// The imports as `((module, name), type)`, in order. (`engine` as in
    /// [`ComponentType::imports`].)
    pub fn imports<'a>(
        &'a self,
        engine: &'a Engine,
    ) -> impl ExactSizeIterator<Item = ((&'a str, &'a str), crate::ExternType)> + 'a {
        let _ = engine;
        self.imports
            .iter()
            .map(|((m, n), t)| ((m.as_str(), n.as_str()), t.clone()))
    }

    /// The exports, in order. (`engine` as in [`ComponentType::imports`].)
    pub fn exports<'a>(
        &'a self,
        engine: &'a Engine,
    ) -> impl ExactSizeIterator<Item = (&'a str, crate::ExternType)> + 'a {
        let _ = engine;
        self.exports.iter().map(|(n, t)| (n.as_str(), t.clone()))
    }
}

/// One import or export of a component type: its type, and the annotations of its name
/// (Wasmtime's `component::types::ComponentExtern`).
#[derive(Debug, Clone)]
pub struct ComponentExtern<'a> {
    /// The type of the item.
    pub ty: ComponentItem,
    /// The `(implements "...")` annotation. Weft's validator does not record it: always
    /// `None`.
    pub implements: Option<&'a str>,
    /// The `(external-id "...")` annotation. Weft's validator does not record it: always
    /// `None`.
    pub external_id: Option<&'a str>,
}

impl ComponentExtern<'_> {
    fn new(ty: &ComponentItem) -> Self {
        ComponentExtern {
            ty: ty.clone(),
            implements: None,
            external_id: None,
        }
    }
}

/// The type of one import or export of a component or component instance (Wasmtime's
/// `component::types::ComponentItem`).
#[derive(Debug, Clone)]
pub enum ComponentItem {
    /// A component function.
    ComponentFunc(ComponentFunc),
    /// A core function. (A component's imports and exports are never core functions; the
    /// case is Wasmtime's.)
    CoreFunc(crate::FuncType),
    /// A core module.
    Module(ModuleType),
    /// A component.
    Component(ComponentType),
    /// A component instance.
    ComponentInstance(ComponentInstanceType),
    /// A value type (`type x = ...` exported or imported).
    Type(Type),
    /// A resource type.
    Resource(ResourceType),
    /// A type Weft cannot describe (a nested type too deep, a value, or the async types).
    Unsupported,
}

/// Deepest nesting of instance and component types described.
const MAX_ITEM_DEPTH: u32 = 100;

fn item(cx: &mut TypeCx<'_>, ty: &ComponentEntityType, depth: u32) -> ComponentItem {
    if depth > MAX_ITEM_DEPTH {
        return ComponentItem::Unsupported;
    }
    let types = cx.types;
    match ty {
        ComponentEntityType::Func(id) => cx
            .func(*id)
            .map_or(ComponentItem::Unsupported, ComponentItem::ComponentFunc),
        ComponentEntityType::Module(id) => match types.get(*id) {
            Some(module) => {
                let imports = module
                    .imports
                    .iter()
                    .map(|((m, n), ty)| Some(((m.clone(), n.clone()), core_type(types, ty)?)))
                    .collect::<Option<_>>();
                let exports = module
                    .exports
                    .iter()
                    .map(|(n, ty)| Some((n.clone(), core_type(types, ty)?)))
                    .collect::<Option<_>>();
                match (imports, exports) {
                    (Some(imports), Some(exports)) => {
                        ComponentItem::Module(ModuleType { imports, exports })
                    }
                    _ => ComponentItem::Unsupported,
                }
            }
            None => ComponentItem::Unsupported,
        },
        ComponentEntityType::Instance(id) => match types.get(*id) {
            Some(instance) => ComponentItem::ComponentInstance(ComponentInstanceType {
                exports: instance
                    .exports
                    .iter()
                    .map(|(n, i)| (n.clone(), item(cx, &i.ty, depth + 1)))
                    .collect(),
            }),
            None => ComponentItem::Unsupported,
        },
        ComponentEntityType::Component(id) => match types.get(*id) {
            Some(component) => ComponentItem::Component(ComponentType {
                imports: component
                    .imports
                    .iter()
                    .map(|(n, i)| (n.clone(), item(cx, &i.ty, depth + 1)))
                    .collect(),
                exports: component
                    .exports
                    .iter()
                    .map(|(n, i)| (n.clone(), item(cx, &i.ty, depth + 1)))
                    .collect(),
            }),
            None => ComponentItem::Unsupported,
        },
        ComponentEntityType::Type { created, .. } => match created {
            ComponentAnyTypeId::Resource(id) => ComponentItem::Resource(cx.resource(*id)),
            ComponentAnyTypeId::Defined(id) => cx
                .val(&wasmparser::component_types::ComponentValType::Type(*id), 0)
                .map_or(ComponentItem::Unsupported, ComponentItem::Type),
            _ => ComponentItem::Unsupported,
        },
        ComponentEntityType::Value(_) => ComponentItem::Unsupported,
    }
}

/// The core type of a core module's import or export, as the embedding API shows it; `None`
/// for what Weft's core API cannot describe (tags, `v128` and other unsupported types).
fn core_type(
    types: wasmparser::types::TypesRef<'_>,
    ty: &wasmparser::types::EntityType,
) -> Option<crate::ExternType> {
    use crate::module::{global_type, memory_type, table_type, val_type};
    use wasmparser::types::EntityType;
    Some(match ty {
        EntityType::Func(id) => {
            let wasmparser::CompositeInnerType::Func(func) = &types.get(*id)?.composite_type.inner
            else {
                return None;
            };
            let params = func.params().iter().map(|t| val_type(*t).ok());
            let results = func.results().iter().map(|t| val_type(*t).ok());
            crate::ExternType::Func(crate::FuncType::from_types(
                params.collect::<Option<Vec<_>>>()?,
                results.collect::<Option<Vec<_>>>()?,
            ))
        }
        EntityType::Table(t) => crate::ExternType::Table(table_type(t).ok()?),
        EntityType::Memory(m) => crate::ExternType::Memory(memory_type(m).ok()?),
        EntityType::Global(g) => crate::ExternType::Global(global_type(g).ok()?),
        _ => return None,
    })
}
