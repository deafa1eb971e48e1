//! WASI 0.2 for components: `wasi:cli`, `wasi:io`, `wasi:clocks`, `wasi:random`,
//! `wasi:filesystem` and `wasi:sockets`, registered in a [`weft::component::Linker`] by
//! [`add_to_linker_sync`].
//!
//! # Shape
//!
//! The guest's resources (streams, pollables, descriptors, errors) are values in the
//! [`ResourceTable`] of the store's data; the guest holds handles to them. Everything else a
//! guest is granted — arguments, environment, standard streams, clocks, randomness, preopened
//! directories — comes from the same [`WasiCtx`] that serves preview 1, so one
//! [`WasiCtxBuilder`](crate::WasiCtxBuilder) configures both. The store's data gives both to
//! the host functions through [`WasiView`].
//!
//! Every host function is one entry of a static table ([`host_functions`]): its interface,
//! its name, its WIT signature written out, and the Rust function that implements it: over
//! [`Val`]s, or, for the functions that move bytes (stream and file reads and writes), over
//! typed Rust values so that a `list<u8>` crosses as one copy ([`HostCall`]). The table is what [`add_to_linker_sync`] registers, and what the crate's tests
//! check, signature by signature, against the WASI 0.2.12 WIT files shipped by the `wasip2`
//! crate, so a registered function cannot drift from the interface it claims to implement.
//!
//! Definitions are registered under the `@0.2.12` names; the component [`Linker`] matches
//! them semver-compatibly, so a component built against any `0.2.x` links.
//!
//! # Blocking
//!
//! A guest that waits (`pollable.block`, `poll`, `blocking-read` on standard input, a sleep
//! through `subscribe-duration`) blocks the host thread in the operating system — a poll on
//! the input or a sleep — and never spins. A deadline on the context
//! ([`WasiCtx::set_deadline`]) bounds every such wait: a call still waiting when it passes
//! ends with an [`Interrupt`](weft::TrapCode::Interrupt) trap, as preview 1 does.
//!
//! # Hostile guests
//!
//! The component runtime checks handles before a host function runs (a dropped or foreign
//! handle traps there); a host function that still finds no value of the right type in the
//! table, or gets arguments of the wrong shape, returns an error, which traps the guest.
//! Guest-chosen lengths are clamped before anything is allocated.
//!
//! Sockets (`wasi:sockets`) are the host's, used as the context's allow-list permits:
//! nothing unless granted (see [`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network)).
//!
//! ```
//! use weft::component::{Linker, ResourceTable};
//! use weft_wasi::WasiCtx;
//! use weft_wasi::p2::{WasiCtxView, WasiView};
//!
//! struct Host {
//!     wasi: WasiCtx,
//!     table: ResourceTable,
//! }
//! impl WasiView for Host {
//!     fn ctx(&mut self) -> WasiCtxView<'_> {
//!         WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
//!     }
//! }
//! let engine = weft::Engine::default();
//! let mut linker = Linker::<Host>::new(&engine);
//! weft_wasi::p2::add_to_linker_sync(&mut linker)?;
//! # Ok::<(), weft::Error>(())
//! ```

pub mod bindings;
mod cli;
mod clocks;
mod filesystem;
mod io;
mod random;
mod sockets;
mod typed;
mod util;

use crate::ctx::WasiCtx;
use weft::component::{Linker, ResourceTable, ResourceType, Val};

/// The WASI version the definitions are registered under.
pub const VERSION: &str = "0.2.12";

/// What the store's data gives WASI 0.2's host functions.
pub struct WasiCtxView<'a> {
    /// What the guest is granted.
    pub ctx: &'a mut WasiCtx,
    /// Where the guest's resources live.
    pub table: &'a mut ResourceTable,
}

/// Store data that holds a [`WasiCtx`] and a [`ResourceTable`], as WASI 0.2 needs them.
pub trait WasiView: Send {
    /// Both at once, borrowed from the store's data.
    fn ctx(&mut self) -> WasiCtxView<'_>;
}

/// The Rust side of one host function: the arguments as [`Val`]s in, the result (if the
/// function has one) out.
pub type HostFn = fn(&mut WasiCtxView<'_>, &[Val]) -> weft::Result<Option<Val>>;

/// How a [`HostFunction`] is implemented.
#[derive(Clone, Copy)]
pub enum HostCall {
    /// Over [`Val`]s.
    Val(HostFn),
    /// Over typed Rust values (byte buffers, handles, integers), registered with
    /// [`LinkerInstance::func_wrap`](weft::component::LinkerInstance::func_wrap).
    Typed(TypedCall),
}

/// A host function over typed Rust values; its shape is private to this crate.
#[derive(Clone, Copy)]
pub struct TypedCall(typed::Typed);

/// One WASI 0.2 host function and its WIT signature.
#[derive(Clone, Copy)]
pub struct HostFunction {
    /// The interface without version, e.g. `wasi:io/streams`.
    pub interface: &'static str,
    /// The function's name in the instance, e.g. `[method]input-stream.read`.
    pub name: &'static str,
    /// The parameters in WIT syntax, `name: type` separated by `, `, with handles written
    /// `own<r>` / `borrow<r>` and type aliases resolved (`filesize` is `u64`).
    pub params: &'static str,
    /// The result type in WIT syntax, or the empty string when there is none.
    pub result: &'static str,
    /// The implementation.
    pub call: HostCall,
}

/// A [`HostFunction`] (a `const fn`, so that each interface's table is a constant).
pub(super) const fn host_function(
    interface: &'static str,
    name: &'static str,
    params: &'static str,
    result: &'static str,
    call: HostFn,
) -> HostFunction {
    HostFunction {
        interface,
        name,
        params,
        result,
        call: HostCall::Val(call),
    }
}

/// A [`HostFunction`] implemented over typed values.
const fn typed_function(
    interface: &'static str,
    name: &'static str,
    params: &'static str,
    result: &'static str,
    call: typed::Typed,
) -> HostFunction {
    HostFunction {
        interface,
        name,
        params,
        result,
        call: HostCall::Typed(TypedCall(call)),
    }
}

impl core::fmt::Debug for HostFunction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}#{}({}) -> {}",
            self.interface, self.name, self.params, self.result
        )
    }
}

/// One resource type WASI 0.2 defines on the host.
#[derive(Clone, Copy)]
pub struct HostResource {
    /// The interface without version.
    pub interface: &'static str,
    /// The resource's name in WIT.
    pub name: &'static str,
    ty: fn() -> ResourceType,
    drop: fn(&mut ResourceTable, u32) -> weft::Result<()>,
}

impl HostResource {
    /// The host resource type `T`, named `name` in `interface`; dropping a handle deletes
    /// its entry from the store's [`ResourceTable`].
    pub(super) const fn of<T: 'static>(interface: &'static str, name: &'static str) -> Self {
        HostResource {
            interface,
            name,
            ty: ResourceType::host::<T>,
            drop: util::drop_res::<T>,
        }
    }
}

impl core::fmt::Debug for HostResource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}#{}", self.interface, self.name)
    }
}

/// Every host function [`add_to_linker_sync`] registers.
pub fn host_functions() -> impl Iterator<Item = &'static HostFunction> {
    [
        cli::FUNCTIONS,
        io::FUNCTIONS,
        clocks::FUNCTIONS,
        random::FUNCTIONS,
        filesystem::FUNCTIONS,
    ]
    .into_iter()
    .flatten()
    .chain(sockets::functions())
}

/// Every resource type [`add_to_linker_sync`] defines.
pub fn host_resources() -> impl Iterator<Item = &'static HostResource> {
    [
        cli::RESOURCES,
        io::RESOURCES,
        filesystem::RESOURCES,
        sockets::RESOURCES,
    ]
    .into_iter()
    .flatten()
}

/// Defines WASI 0.2 (`wasi:cli`, `wasi:io`, `wasi:clocks`, `wasi:random`,
/// `wasi:filesystem`, `wasi:sockets`) in `linker`, under the `@0.2.12` names.
///
/// # Errors
///
/// If one of the names is already defined in `linker` and shadowing is not allowed.
pub fn add_to_linker_sync<T: WasiView + 'static>(linker: &mut Linker<T>) -> weft::Result<()> {
    for res in host_resources() {
        let drop = res.drop;
        linker
            .instance(&format!("{}@{VERSION}", res.interface))?
            .resource(res.name, (res.ty)(), move |mut store, rep| {
                drop(store.data_mut().ctx().table, rep)
            })?;
    }
    for func in host_functions() {
        let name = func.name;
        let mut instance = linker.instance(&format!("{}@{VERSION}", func.interface))?;
        let call = match func.call {
            HostCall::Val(call) => call,
            HostCall::Typed(TypedCall(call)) => {
                typed::register(&mut instance, name, call)?;
                continue;
            }
        };
        instance.func_new(func.name, move |mut store, _, params, results| {
            let mut view = store.data_mut().ctx();
            let result = call(&mut view, params)?;
            match (result, results.first_mut()) {
                (Some(value), Some(slot)) => *slot = value,
                (None, None) => {}
                _ => {
                    return Err(weft::Error::msg(format!(
                        "WASI host function `{name}` returned the wrong number of results"
                    )));
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Calls the component's `wasi:cli/run` export: `Ok(())` if `run` returned `ok`,
/// `Err(())` if it returned `err`.
///
/// # Errors
///
/// If the instance exports no `wasi:cli/run@0.2.x` with a `run` function, or the call
/// fails: a trap, or [`I32Exit`](crate::I32Exit) when the guest called `wasi:cli/exit`.
pub fn call_run<T: 'static>(
    mut store: impl weft::AsContextMut<Data = T>,
    instance: &weft::component::Instance,
) -> weft::Result<Result<(), ()>> {
    let mut store = store.as_context_mut();
    let func = run_func(&weft::AsContext::as_context(&store), instance)?;
    let mut results = [Val::Bool(false)];
    func.call(&mut store, &[], &mut results)?;
    match &results[0] {
        Val::Result(Ok(_)) => Ok(Ok(())),
        Val::Result(Err(_)) => Ok(Err(())),
        other => Err(weft::Error::msg(format!(
            "`wasi:cli/run#run` returned a {}, not a result",
            other.desc()
        ))),
    }
}

/// The `run` function of the instance's `wasi:cli/run@0.2.x` export.
fn run_func<T>(
    store: &weft::StoreContext<'_, T>,
    instance: &weft::component::Instance,
) -> weft::Result<weft::component::Func> {
    let run_instance = instance
        .exports(store)
        .into_iter()
        .find_map(|(name, export)| match export {
            weft::component::Export::Instance(i) if is_cli_run(&name) => Some(i),
            _ => None,
        })
        .ok_or_else(|| weft::Error::msg("the component exports no `wasi:cli/run@0.2.x`"))?;
    match instance.get_export_of(&run_instance, "run") {
        Some(weft::component::Export::Func(f)) => Ok(f),
        _ => Err(weft::Error::msg(
            "the component's `wasi:cli/run` has no function `run`",
        )),
    }
}

/// Whether `name` is `wasi:cli/run` of a 0.2 version.
fn is_cli_run(name: &str) -> bool {
    name.strip_prefix("wasi:cli/run@0.2.").is_some()
}
