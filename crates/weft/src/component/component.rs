//! [`Component`]: a validated component, flattened into instantiation steps.

use super::convert::TypeCx;
use super::translate::{ComponentInfo, translate};
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
/// assert_eq!(component.component_type().exports().count(), 1);
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
        let info = translate(engine, binary).map_err(|e| e.classify_wasmparser().in_component())?;
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                info: Arc::new(info),
            }),
        })
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
}

/// The type of a [`Component`]: its imports and exports, by name.
#[derive(Debug, Clone)]
pub struct ComponentType {
    imports: Vec<(String, ComponentItem)>,
    exports: Vec<(String, ComponentItem)>,
}

impl ComponentType {
    /// The imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &ComponentItem)> + '_ {
        self.imports.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// The exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, &ComponentItem)> + '_ {
        self.exports.iter().map(|(n, t)| (n.as_str(), t))
    }
}

/// The type of one import or export of a component or component instance.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ComponentItem {
    /// A component function.
    Func(ComponentFunc),
    /// A core module, with its imports (module, name) and export names.
    Module {
        /// The module's imports as `(module, name)`.
        imports: Vec<(String, String)>,
        /// The module's export names.
        exports: Vec<String>,
    },
    /// A component instance and the types of its exports.
    Instance(Vec<(String, ComponentItem)>),
    /// A component, with the types of its imports and exports.
    Component(Box<ComponentType>),
    /// A resource type.
    Resource(ResourceType),
    /// A value type (`type x = ...` exported or imported).
    Type(Type),
    /// A type Weft cannot describe (a nested type too deep, or the async types).
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
            .map_or(ComponentItem::Unsupported, ComponentItem::Func),
        ComponentEntityType::Module(id) => match types.get(*id) {
            Some(module) => ComponentItem::Module {
                imports: module
                    .imports
                    .keys()
                    .map(|(m, n)| (m.clone(), n.clone()))
                    .collect(),
                exports: module.exports.keys().cloned().collect(),
            },
            None => ComponentItem::Unsupported,
        },
        ComponentEntityType::Instance(id) => match types.get(*id) {
            Some(instance) => ComponentItem::Instance(
                instance
                    .exports
                    .iter()
                    .map(|(n, i)| (n.clone(), item(cx, &i.ty, depth + 1)))
                    .collect(),
            ),
            None => ComponentItem::Unsupported,
        },
        ComponentEntityType::Component(id) => match types.get(*id) {
            Some(component) => ComponentItem::Component(Box::new(ComponentType {
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
            })),
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
