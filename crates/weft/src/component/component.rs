//! [`Component`]: a validated component, flattened into instantiation steps.

use super::translate::{ComponentInfo, translate};
use crate::engine::Engine;
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;

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
        let binary = wat::parse_bytes(bytes).map_err(|e| Error::malformed(e.to_string(), None))?;
        Component::from_binary(engine, &binary)
    }

    /// Compiles a component from its binary encoding only; see [`Component::new`].
    ///
    /// # Errors
    ///
    /// As [`Component::new`].
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Component> {
        let info = translate(engine, binary)?;
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
