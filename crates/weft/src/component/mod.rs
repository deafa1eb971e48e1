//! The WebAssembly Component Model (feature `component-model`, on by default).
//!
//! The component layer is built in three layers, each using only the one below it:
//!
//! 1. **Types and values**: [`types`] holds the spec's value types ([`Type`] and its compound
//!    types, [`ResourceType`], [`ComponentFunc`]), compared structurally; [`Val`] is the
//!    dynamically typed value the host exchanges with components, with the same cases as
//!    Wasmtime's `component::Val`. Resources have their own module, [`resources`]:
//!    [`Resource<T>`], [`ResourceAny`], the host's [`ResourceTable`] and the per-instance
//!    [`HandleTable`].
//! 2. **The Canonical ABI** ([`abi`]): layout, flattening, lifting and lowering between
//!    component values and core values or linear memory, following the spec's
//!    [CanonicalABI.md](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md)
//!    and its Python reference `definitions.py` function by function.
//! 3. **The runtime**: parsing components, instantiating them and calling their functions,
//!    on top of Weft's core API.
//!
//! ```
//! use weft::component::{Val, types::{List, Record, Type}};
//!
//! let point = Type::Record(Record::new([("x", Type::S32), ("y", Type::S32)])?);
//! let value = Val::Record(vec![("x".into(), Val::S32(1)), ("y".into(), Val::S32(-1))]);
//! value.typecheck(&point)?;
//! assert!(Val::S32(1).typecheck(&Type::List(List::new(Type::U8))).is_err());
//! # Ok::<(), weft::Error>(())
//! ```

pub mod abi;
pub mod resources;
pub mod types;
mod values;

pub use resources::{HandleTable, Resource, ResourceAny, ResourceTable, ResourceTableError};
pub use types::{ComponentFunc, ResourceType, Type};
pub use values::Val;

#[allow(clippy::module_inception)]
mod component;
mod convert;
mod func;
pub(crate) mod instance;
mod linker;
mod translate;

pub use component::{Component, ComponentItem, ComponentSort, ComponentType};
pub use func::Func;
pub use instance::{Export, ExportInstance, Instance};
pub use linker::{Linker, LinkerInstance};
