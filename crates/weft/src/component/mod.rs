//! The WebAssembly Component Model (feature `component-model`, on by default).
//!
//! The component layer is built in three layers, each using only the one below it:
//!
//! 1. **Types and values**: [`types`] holds the spec's value types ([`Type`] and its compound
//!    types, [`ResourceType`], [`ComponentFunc`]), compared structurally; [`Val`] is the
//!    dynamically typed value the host exchanges with components, with the same cases as
//!    Wasmtime's `component::Val`. Resources have their own module, [`resources`]:
//!    [`Resource<T>`], [`ResourceAny`], the host's [`ResourceTable`], the per-instance
//!    [`HandleTable`], and the store's [`HostHandleTable`] of the guest resource handles the
//!    host holds (with generations, so a stale [`ResourceAny`] is an error).
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
//!
//! # The runtime (layer 3)
//!
//! [`Component::new`] validates a component with wasmparser and flattens it into a list of
//! instantiation steps (`translate.rs`), compiling each nested core module once.
//! [`Linker::instantiate`] resolves the imports and replays the steps (`instance.rs`):
//! core instances are ordinary [`crate::Instance`]s, `canon lift` makes component [`Func`]s,
//! `canon lower` and the resource built-ins make core host functions (`func.rs`). A call
//! from one component into another goes through a fused adapter (`adapter.rs`, over the
//! Canonical ABI's [`abi::transfer_flat_values`]) that copies arguments and results straight
//! between the two instances' cells and memories, transcoding strings between any two
//! encodings, without building [`Val`]s.
//!
//! ## The typed API
//!
//! [`TypedFunc`] ([`Func::typed`], [`Instance::get_typed_func`]) and
//! [`LinkerInstance::func_wrap`] exchange Rust values through the [`ComponentType`],
//! [`Lift`] and [`Lower`] traits (`typed/`), which write and read cells and linear memory
//! directly with the Canonical ABI's layouts, without [`Val`]s; the types are checked once,
//! when the typed function is made or the host function is bound to an import.
//! `#[derive(ComponentType, Lift, Lower)]` and [`flags!`] (crate `weft-component-macro`)
//! implement the traits for records, variants, enums and flags. [`WasmStr`] and
//! [`WasmList`] lift strings and lists as views into guest memory.
//!
//! ## Crate-private hooks into the core engine
//!
//! The runtime uses the public core API ([`crate::Instance::new`], `get_export`,
//! [`crate::Func`], [`crate::Memory`]) plus these crate-private entry points, and nothing
//! else:
//!
//! - `StoreInner::component` (`store.rs`): the store's component state, `ComponentStore`
//!   (component functions, per-instance `may_enter` / `may_leave` flags and handle tables,
//!   the host's handle table, type-erased host closures, resource destructors). The only field added to the core.
//! - `exec::invoke(store, func, cells)`: calls a core function with raw `u64` cells, for
//!   lifted functions, `realloc`, `post-return` and guest destructors (no `Val` conversion).
//! - `Store::push_host_func(ty, host)`: registers a core host function taking raw cells,
//!   for `canon lower` and `resource.new` / `resource.rep` / `resource.drop`.
//! - `func::func_type(store, func)`: a core function's type, to size the cell buffer.
//! - `StoreInner::memories[..].data`: the bytes of the memory named by the `memory`
//!   canonical option, read and written by the Canonical ABI's `LiftContext` /
//!   `LowerContext`, which the runtime implements over the store.
//! - `Config::component_features()`: the wasmparser features for components. `Module::new`
//!   recognises a component's header and says to use `Component::new` instead.

pub mod abi;
pub mod resources;
pub mod types;
mod values;

pub use resources::{
    HandleTable, HostHandleTable, Resource, ResourceAny, ResourceTable, ResourceTableError,
};
pub use types::{ComponentFunc, ResourceType, Type};
pub use values::Val;

mod adapter;
#[allow(clippy::module_inception)]
mod component;
mod convert;
mod export_index;
mod func;
mod has_data;
pub(crate) mod instance;
mod linker;
mod plan;
mod translate;
mod typed;

pub use component::{Component, ComponentItem, ComponentSort};
pub use export_index::{ComponentExportIndex, InstanceExportLookup};
pub use func::Func;
pub use has_data::{HasData, HasSelf};
pub use instance::{Export, ExportInstance, Instance};
pub use linker::{InstancePre, Linker, LinkerInstance};
pub use typed::{
    __internal, ComponentNamedList, ComponentType, Lift, LiftCx, Lower, LowerCx, LowerDyn,
    TypedFunc, WasmList, WasmStr,
};
pub use weft_component_macro::{ComponentType, Lift, Lower, flags};

/// Generates Rust bindings for a WIT world, as Wasmtime's synchronous `bindgen!` does.
///
/// # Input
///
/// - `bindgen!("world" in "path")`, or `bindgen!({ ... })` with:
///   - `path: "wit/dir-or-file"` (relative to `CARGO_MANIFEST_DIR`; a directory may hold
///     `deps/`), or `path: [...]`, or `inline: "package ...; world ... { ... }"`;
///   - `world: "name"` (optional when the package has one world);
///   - `with: { "ns:pkg/interface": path::to::module, "ns:pkg/interface.res": Type }`, to use
///     existing bindings or a host type for a resource;
///   - `trappable_imports: true` or `["name", ...]`, and
///     `imports: { default: trappable, "name": trappable }`: those host functions return
///     `weft::Result<T>`, and an `Err` traps the calling component;
///   - `additional_derives: [PartialEq, ...]` for the generated types.
/// - Options of Wasmtime that concern async, tracing or code layout (`async`,
///   `concurrent_imports`, `trappable_error_type`, `ownership`, `tracing`, ...) are compile
///   errors that say so: Weft generates synchronous bindings only.
///
/// # Output
///
/// - Per imported interface `ns:pkg/name`, a module `ns::pkg::name` with its types (records,
///   variants, enums, options, results, tuples, lists, `flags` with
///   [`flags!`], resources), a `Host` trait with one method per
///   function, a `Host<Resource>` trait per resource (taking and returning
///   [`Resource<T>`](Resource)), and
///   `add_to_linker::<T, D: HasData>(linker, fn(&mut T) -> D::Data<'_>)`.
/// - World-level imports: a `<World>Imports` trait and `<World>::add_to_linker_imports`.
/// - The world's struct `<World>` with `instantiate(&mut store, &component, &linker)`,
///   `new(&mut store, &instance)`, `add_to_linker` (every import), `call_<func>` for the
///   world's exported functions, and an accessor per exported interface, whose
///   `exports::ns::pkg::name::Guest` has `call_<func>` and, per resource, a
///   `Guest<Resource>` with `call_constructor` and its methods over
///   [`ResourceAny`] handles; `<World>Pre` instantiates
///   from an [`InstancePre`].
///
/// # Example
///
/// ```
/// use weft::component::{Component, HasSelf, Linker};
/// use weft::{Engine, Store};
///
/// mod convert {
///     weft::component::bindgen!({
///         inline: "
///             package local:demo;
///             world convert {
///                 import host: interface {
///                     multiply: func(a: f32, b: f32) -> f32;
///                 }
///                 export convert-celsius-to-fahrenheit: func(x: f32) -> f32;
///             }
///         ",
///     });
/// }
///
/// struct MyState;
/// impl convert::host::Host for MyState {
///     fn multiply(&mut self, a: f32, b: f32) -> f32 {
///         a * b
///     }
/// }
///
/// let engine = Engine::default();
/// let component = Component::new(&engine, r#"(component
///   (import "host" (instance $host
///     (export "multiply" (func (param "a" f32) (param "b" f32) (result f32)))))
///   (alias export $host "multiply" (func $multiply))
///   (core func $multiply-lowered (canon lower (func $multiply)))
///   (core module $m
///     (import "host" "multiply" (func $multiply (param f32 f32) (result f32)))
///     (func (export "convert") (param f32) (result f32)
///       local.get 0 f32.const 1.8 call $multiply f32.const 32 f32.add))
///   (core instance $i (instantiate $m
///     (with "host" (instance (export "multiply" (func $multiply-lowered))))))
///   (func (export "convert-celsius-to-fahrenheit") (param "x" f32) (result f32)
///     (canon lift (core func $i "convert"))))"#)?;
///
/// let mut linker = Linker::new(&engine);
/// convert::Convert::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut MyState| state)?;
/// let mut store = Store::new(&engine, MyState);
/// let bindings = convert::Convert::instantiate(&mut store, &component, &linker)?;
/// let fahrenheit = bindings.call_convert_celsius_to_fahrenheit(&mut store, 100.0)?;
/// assert!((fahrenheit - 212.0).abs() < 1e-3);
/// # Ok::<(), weft::Error>(())
/// ```
#[doc(inline)]
pub use weft_component_macro::bindgen;
