//! Component functions: calling lifted functions from the host, and the core functions that
//! `canon lower` and the resource built-ins make.
//!
//! # Design
//!
//! A component [`Func`] is an index into the store's list of [`FuncData`]: a core function
//! lifted with its canonical options (`canon lift`), a host function from the
//! [`Linker`](super::Linker), or a function that only traps. [`Func::call`] follows the
//! spec's `canon_lift` for a call from the host: check that the instance may be entered,
//! lower the arguments into its memory (flat, or spilled through `realloc` past
//! `MAX_FLAT_PARAMS`), run the core function, lift the results, and run `post-return`.
//!
//! `canon lower` of any component function makes a core host function (`lower_import`)
//! that follows `canon_lower`: lift the arguments out of the caller's memory, call the
//! function (a host closure, or another component's lifted function), and lower the
//! results back into the caller's memory. When the function is another component's lifted
//! function, the call goes through the fused adapter of `adapter.rs` instead, without
//! [`Val`]s.

use super::abi::flat::Context as FlatContext;
use super::abi::{self, LiftContext, LowerContext, StringEncoding};
use super::abi::{lift_flat_values, lower_flat_values};
use super::adapter;
use super::instance::Dtor;
use super::resources::{Dropped, HandleTable, HostHandleTable};
use super::translate::Step;
use super::typed::{ListTypes, TypedHost};
use super::types::{ComponentFunc, ResourceType, Type};
use super::values::Val;
use crate::context::{AsContext, AsContextMut, StoreContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::externals::Memory;
use crate::index::InstanceIdx;
use crate::index::{ComponentFuncIdx, ComponentHostIdx, ComponentInstanceIdx};
use crate::store::{Store, StoreId};
use crate::trap::{Trap, TrapCode};
use crate::types::{FuncType, ValType};
use std::sync::Arc;

/// A host function of the component [`Linker`](super::Linker): the store, the type of the
/// import it satisfies, the arguments as [`Val`]s, and one slot per result to fill.
pub(crate) type HostFunc<T> = dyn Fn(StoreContextMut<'_, T>, ComponentFunc, &[Val], &mut [Val]) -> Result<()>
    + Send
    + Sync
    + 'static;

/// A host resource destructor: the store and the resource's representation.
pub(crate) type HostDtor<T> =
    dyn Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static;

/// A component function in a store.
///
/// A small `Copy` handle, obtained from [`Instance::get_func`](super::Instance::get_func).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: StoreId,
    pub(crate) index: ComponentFuncIdx,
}

/// A component function's type and what implements it.
#[derive(Debug)]
pub(crate) struct FuncData {
    pub(crate) ty: ComponentFunc,
    pub(crate) kind: FuncKind,
    /// The parameter and result tuple types typed calls use, made by the first
    /// [`TypedFunc`](super::TypedFunc) of this function.
    pub(crate) typed: std::sync::OnceLock<super::typed::ListTypes>,
}

/// What implements a component function.
#[derive(Debug, Clone)]
pub(crate) enum FuncKind {
    /// `canon lift` of core function `core`, in component instance `instance`.
    Lifted {
        core: crate::Func,
        options: Options,
        instance: ComponentInstanceIdx,
    },
    /// A host function (an index of the store's component hosts).
    Host { host: ComponentHostIdx },
    /// An import the linker defined as trapping.
    Trap { name: Arc<str> },
}

/// Canonical options, resolved to store entities.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    pub(crate) encoding: StringEncoding,
    pub(crate) memory: Option<Memory>,
    pub(crate) realloc: Option<crate::Func>,
    pub(crate) post_return: Option<crate::Func>,
}

fn internal(what: &str) -> Error {
    Trap::with_detail(
        TrapCode::InternalError,
        format!("internal error in a component call: {what}"),
    )
}

fn func_data<T>(store: &Store<T>, func: Func) -> Result<(ComponentFunc, FuncKind)> {
    if func.store != store.inner.id {
        return Err(Error::usage("component function belongs to another store"));
    }
    let data = store
        .inner
        .component
        .funcs
        .get(func.index)
        .ok_or_else(|| Error::usage("component function belongs to another store"))?;
    Ok((data.ty.clone(), data.kind.clone()))
}

impl Func {
    /// The function's type.
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn ty(&self, store: impl AsContext) -> ComponentFunc {
        let store = store.as_context();
        match func_data(store.0, *self) {
            Ok((ty, _)) => ty,
            Err(e) => panic!("{e}"),
        }
    }

    /// The types of the function's parameters, in order.
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn params(&self, store: impl AsContext) -> Box<[(String, Type)]> {
        self.ty(store)
            .params()
            .map(|(n, t)| (n.to_string(), t))
            .collect()
    }

    /// The types of the function's results (none or one).
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn results(&self, store: impl AsContext) -> Box<[Type]> {
        self.ty(store).results().collect()
    }

    /// This function with Rust parameter and result types: `Params` and `Return` are
    /// tuples, checked here, once, against the function's type.
    ///
    /// # Errors
    ///
    /// If `Params` or `Return` do not match the function's type; the message names the
    /// mismatch.
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn typed<Params, Return>(
        &self,
        store: impl AsContext,
    ) -> Result<super::TypedFunc<Params, Return>>
    where
        Params: super::ComponentNamedList + super::Lower,
        Return: super::ComponentNamedList + super::Lift,
    {
        let store = store.as_context();
        if self.store != store.0.inner.id {
            panic!("component function used with the wrong store");
        }
        let data = store
            .0
            .inner
            .component
            .funcs
            .get(self.index)
            .ok_or_else(|| Error::usage("component function belongs to another store"))?;
        super::TypedFunc::new(*self, data)
    }

    /// Calls the function with `params`, writing its results into `results`.
    ///
    /// The arguments are type-checked against the function's type, lowered into the
    /// callee's memory, the core function runs, the results are lifted, and the callee's
    /// `post-return` function, if it has one, runs before this returns (as in Wasmtime 48:
    /// there is nothing left for [`Func::post_return`] to do).
    ///
    /// # Errors
    ///
    /// A usage error if the number or types of `params`, or the length of `results`, do not
    /// match the function's type; a [`Trap`](crate::Trap) if the callee traps or the
    /// Canonical ABI finds an invalid value (for example a string that is not valid in its
    /// encoding: "invalid string encoding"), or the instance may not be entered (a call into
    /// an instance that is already running: "cannot enter component instance"); the error of
    /// a host function.
    pub fn call<T: 'static>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        call(store, *self, params, results)
    }

    /// Formerly required after [`Func::call`] to run the callee's `post-return` function;
    /// `call` now runs it itself, and this does nothing.
    ///
    /// # Errors
    ///
    /// Never.
    #[deprecated(note = "`Func::call` runs post-return itself; this does nothing")]
    pub fn post_return(&self, store: impl AsContextMut) -> Result<()> {
        let _ = store;
        Ok(())
    }
}

/// Calls `func` from the host (or from a lowered import) with type-checked `params`.
pub(crate) fn call<T: 'static>(
    store: &mut Store<T>,
    func: Func,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let (ty, kind) = func_data(store, func)?;
    if params.len() != ty.params().len() || results.len() != ty.results().len() {
        return Err(Error::usage(format!(
            "function of type `{ty}` called with {} arguments and {} result slots",
            params.len(),
            results.len()
        )));
    }
    for (param, expected) in params.iter().zip(ty.param_types()) {
        param.typecheck(expected)?;
    }
    match kind {
        FuncKind::Host { host } => call_host(store, host, &ty, params, results),
        FuncKind::Trap { name } => Err(Error::msg(format!(
            "unknown import: `{name}` has not been defined"
        ))),
        FuncKind::Lifted {
            core,
            options,
            instance,
        } => call_lifted(store, &ty, core, options, instance, params, results),
    }
}

fn call_host<T: 'static>(
    store: &mut Store<T>,
    host: ComponentHostIdx,
    ty: &ComponentFunc,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let Some(func) = store.component_host_func(host) else {
        return Err(Error::usage(
            "a host function defined with `func_wrap` can only be called from a component",
        ));
    };
    func(StoreContextMut(store), ty.clone(), params, results)?;
    for (result, expected) in results.iter().zip(ty.results()) {
        result.typecheck(&expected).map_err(|e| {
            Error::usage(format!(
                "host function returned a value of the wrong type: {e}"
            ))
        })?;
    }
    Ok(())
}

/// The spec's `canon_lift`, entered from the host.
fn call_lifted<T: 'static>(
    store: &mut Store<T>,
    ty: &ComponentFunc,
    core: crate::Func,
    options: Options,
    instance: ComponentInstanceIdx,
    params: &[Val],
    results: &mut [Val],
) -> Result<()> {
    let state = store.component_instance(instance)?;
    if !state.may_enter {
        return Err(TrapCode::CannotEnterComponent.into());
    }
    state.may_enter = false;
    state.handles.enter_task();
    let lowered = {
        let mut cx = Cx {
            store: &mut *store,
            options,
            instance,
        };
        lower_flat_values(
            &mut cx,
            abi::MAX_FLAT_PARAMS,
            params,
            ty.param_types(),
            None,
        )
    };
    let flat_params = match lowered {
        Ok(flat) => flat,
        Err(e) => return Err(abandon_call(store, instance, e)),
    };
    let outcome = run_lifted(store, ty, core, options, instance, &flat_params, results);
    // A trap leaves the instance in an unknown state: it may not be entered again.
    if outcome.is_ok() {
        store.component_instance(instance)?.may_enter = true;
    }
    outcome
}

/// Ends a call from the host whose arguments could not be lowered, returning `error`.
///
/// A usage error (a stale handle, a value of the wrong type) is the host's mistake, found
/// before the callee ran: the instance stays enterable and the call's borrows are undone.
/// Anything else (a trap in `realloc`) happened in the guest, which stays poisoned.
pub(crate) fn abandon_call<T>(
    store: &mut Store<T>,
    instance: ComponentInstanceIdx,
    error: Error,
) -> Error {
    if is_usage(&error)
        && let Ok(state) = store.component_instance(instance)
    {
        state.handles.abandon_task();
        state.may_enter = true;
    }
    error
}

/// Whether `error` is a usage error of the embedder's own making.
fn is_usage(error: &Error) -> bool {
    matches!(
        crate::error::ErrorExt::kind(error),
        Some(crate::ErrorKind::Usage(_))
    )
}

fn run_lifted<T: 'static>(
    store: &mut Store<T>,
    ty: &ComponentFunc,
    core: crate::Func,
    options: Options,
    instance: ComponentInstanceIdx,
    flat_params: &[u64],
    results: &mut [Val],
) -> Result<()> {
    let core_ty = crate::func::func_type(&store.inner, core)?;
    if flat_params.len() != core_ty.params().len() {
        return Err(internal("lowered arguments do not match the core function"));
    }
    let num_results = core_ty.results().len();
    let mut cells = Vec::with_capacity(flat_params.len().max(num_results));
    cells.extend_from_slice(flat_params);
    cells.resize(flat_params.len().max(num_results), 0);
    crate::exec::invoke(store, core.index, &mut cells)?;
    cells.truncate(num_results);
    let core_results = cells;
    let lifted = {
        let mut cx = Cx {
            store: &mut *store,
            options,
            instance,
        };
        let mut iter = abi::CoreValueIter::new(&core_results);
        lift_flat_values(&mut cx, abi::MAX_FLAT_RESULTS, &mut iter, ty.result())?
    };
    for (slot, value) in results.iter_mut().zip(lifted) {
        *slot = value;
    }
    store.component_instance(instance)?.handles.exit_task()?;
    if let Some(post_return) = options.post_return {
        store.component_instance(instance)?.may_leave = false;
        let mut cells = core_results;
        let outcome = crate::exec::invoke(store, post_return.index, &mut cells);
        store.component_instance(instance)?.may_leave = true;
        outcome?;
    }
    Ok(())
}

/// The spec's `canon_lower` of `callee` with the caller's `options`: a core host function
/// of the lowered type that lifts its arguments from the caller, calls `callee`, and lowers
/// the results back.
pub(crate) fn lower_import<T: 'static>(
    store: &mut Store<T>,
    callee: Func,
    options: Options,
    caller: ComponentInstanceIdx,
) -> Result<crate::Func> {
    let (lowered, core_ty) = Lowered::new(store, callee, options, caller)?;
    let host = Arc::new(
        move |store: &mut Store<T>, _: Option<InstanceIdx>, buf: &mut [u64]| -> Result<()> {
            lowered.call(store, buf)
        },
    );
    let index = store.push_host_func(core_ty, host);
    Ok(crate::Func {
        store: store.inner.id,
        index,
    })
}

/// A component function as a core function of one caller: the spec's `canon_lower` with
/// everything that does not change from call to call worked out once.
pub(crate) struct Lowered<T> {
    pub(crate) ty: ComponentFunc,
    callee: Func,
    options: Options,
    caller: ComponentInstanceIdx,
    num_params: usize,
    results_in_memory: bool,
    /// A typed host function with the tuple types its check against the import made.
    typed: Option<(Arc<TypedHost<T>>, ListTypes)>,
}

impl<T: 'static> Lowered<T> {
    /// The lowered call of `callee` from `caller` with its `options`, and its core type.
    pub(crate) fn new(
        store: &Store<T>,
        callee: Func,
        options: Options,
        caller: ComponentInstanceIdx,
    ) -> Result<(Self, FuncType)> {
        let (ty, _) = func_data(store, callee)?;
        let core_ty = abi::flatten_functype(&ty, FlatContext::Lower);
        let num_params = core_ty.params().len();
        let flat_results: usize = ty.results().map(|t| abi::flat_count(&t) as usize).sum();
        let results_in_memory = flat_results > abi::MAX_FLAT_RESULTS;
        // A typed host function is bound here, once: its tuple types were checked against
        // the import when the linker resolved it.
        let typed = match store.inner.component.funcs.get(callee.index) {
            Some(FuncData {
                kind: FuncKind::Host { host },
                typed,
                ..
            }) => store.typed_host(*host).zip(typed.get().cloned()),
            _ => None,
        };
        let lowered = Lowered {
            ty,
            callee,
            options,
            caller,
            num_params,
            results_in_memory,
            typed,
        };
        Ok((lowered, core_ty))
    }

    /// Calls the function with the core arguments in `buf`, writing the core results back.
    pub(crate) fn call(&self, store: &mut Store<T>, buf: &mut [u64]) -> Result<()> {
        let caller = self.caller;
        let state = store.component_instance(caller)?;
        if !state.may_leave {
            return Err(TrapCode::CannotLeaveComponent.into());
        }
        state.handles.enter_subtask();
        store.inner.component.host_handles.enter_scope();
        let outcome = match &self.typed {
            Some((typed, types)) => (typed.call)(
                store,
                types,
                self.options,
                caller,
                buf,
                self.num_params,
                self.results_in_memory,
            ),
            None => lowered_call(
                store,
                &self.ty,
                self.callee,
                self.options,
                caller,
                buf,
                self.num_params,
                self.results_in_memory,
            ),
        };
        store.inner.component.host_handles.exit_scope();
        store.component_instance(caller)?.handles.exit_subtask();
        outcome
    }
}

#[allow(clippy::too_many_arguments)]
fn lowered_call<T: 'static>(
    store: &mut Store<T>,
    ty: &ComponentFunc,
    callee: Func,
    options: Options,
    caller: ComponentInstanceIdx,
    buf: &mut [u64],
    num_params: usize,
    results_in_memory: bool,
) -> Result<()> {
    let (callee_ty, kind) = func_data(store, callee)?;
    if let FuncKind::Lifted {
        core,
        options: callee_options,
        instance: callee_instance,
    } = kind
    {
        let sides = adapter::Sides {
            src: adapter::Side {
                options,
                instance: caller,
            },
            dst: adapter::Side {
                options: callee_options,
                instance: callee_instance,
            },
        };
        return adapted_call(
            store,
            &callee_ty,
            core,
            sides,
            buf,
            num_params,
            results_in_memory,
        );
    }
    let core_params = buf
        .get(..num_params)
        .ok_or_else(|| internal("lowered arguments"))?;
    let (arg_cells, retptr) = if results_in_memory {
        let (last, rest) = core_params
            .split_last()
            .ok_or_else(|| internal("missing return pointer"))?;
        (rest, Some(*last as u32))
    } else {
        (core_params, None)
    };
    let params = {
        let mut cx = Cx {
            store: &mut *store,
            options,
            instance: caller,
        };
        let mut iter = abi::CoreValueIter::new(arg_cells);
        lift_flat_values(&mut cx, abi::MAX_FLAT_PARAMS, &mut iter, ty.param_types())?
    };
    let mut results: Vec<Val> = ty.results().map(|_| Val::Bool(false)).collect();
    match kind {
        // The arguments were just lifted with the function's own parameter types: unlike
        // a call from the embedder, they need no type check.
        FuncKind::Host { host } => call_host(store, host, ty, &params, &mut results)?,
        _ => call(store, callee, &params, &mut results)?,
    }
    let mut cx = Cx {
        store: &mut *store,
        options,
        instance: caller,
    };
    let flat = lower_flat_values(
        &mut cx,
        abi::MAX_FLAT_RESULTS,
        &results,
        ty.result(),
        retptr,
    )?;
    for (cell, value) in buf.iter_mut().zip(flat) {
        *cell = value;
    }
    Ok(())
}

/// A call from one component instance into another's lifted function, through the fused
/// adapter (`adapter.rs`): the spec's `canon_lift` of the callee, with the arguments copied
/// straight from the caller's cells and memory and the results straight back.
fn adapted_call<T: 'static>(
    store: &mut Store<T>,
    ty: &ComponentFunc,
    core: crate::Func,
    sides: adapter::Sides,
    buf: &mut [u64],
    num_params: usize,
    results_in_memory: bool,
) -> Result<()> {
    let callee = sides.dst.instance;
    store.inner.component.adapted_calls += 1;
    let state = store.component_instance(callee)?;
    if !state.may_enter {
        return Err(TrapCode::CannotEnterComponent.into());
    }
    state.may_enter = false;
    state.handles.enter_task();
    let outcome = run_adapted(store, ty, core, &sides, buf, num_params, results_in_memory);
    if outcome.is_ok() {
        store.component_instance(callee)?.may_enter = true;
    }
    outcome
}

fn run_adapted<T: 'static>(
    store: &mut Store<T>,
    ty: &ComponentFunc,
    core: crate::Func,
    sides: &adapter::Sides,
    buf: &mut [u64],
    num_params: usize,
    results_in_memory: bool,
) -> Result<()> {
    let core_ty = crate::func::func_type(&store.inner, core)?;
    let caller_cells = buf
        .get(..num_params.saturating_sub(usize::from(results_in_memory)))
        .ok_or_else(|| internal("lowered arguments"))?
        .to_vec();
    let retptr = if results_in_memory {
        buf.get(num_params.wrapping_sub(1)).map(|c| *c as u32)
    } else {
        None
    };
    let params: Vec<&Type> = ty.param_types().collect();
    let flat_params = abi::transfer_flat_values(
        &mut adapter::Transfer {
            store: &mut *store,
            sides,
        },
        abi::MAX_FLAT_PARAMS,
        &mut abi::CoreValueIter::new(&caller_cells),
        params.iter().copied(),
        abi::MAX_FLAT_PARAMS,
        None,
    )?;
    if flat_params.len() != core_ty.params().len() {
        return Err(internal(
            "transferred arguments do not match the core function",
        ));
    }
    let mut cells = vec![0u64; core_ty.params().len().max(core_ty.results().len())];
    for (cell, value) in cells.iter_mut().zip(flat_params) {
        *cell = value;
    }
    crate::exec::invoke(store, core.index, &mut cells)?;
    let core_results: Vec<u64> = cells
        .get(..core_ty.results().len())
        .ok_or_else(|| internal("core results"))?
        .to_vec();
    // The results travel back: the callee is now the source.
    let back = sides.reversed();
    let flat_results = abi::transfer_flat_values(
        &mut adapter::Transfer {
            store: &mut *store,
            sides: &back,
        },
        abi::MAX_FLAT_RESULTS,
        &mut abi::CoreValueIter::new(&core_results),
        ty.result(),
        abi::MAX_FLAT_RESULTS,
        retptr,
    )?;
    for (cell, value) in buf.iter_mut().zip(flat_results) {
        *cell = value;
    }
    store
        .component_instance(sides.dst.instance)?
        .handles
        .exit_task()?;
    if let Some(post_return) = sides.dst.options.post_return {
        let callee = sides.dst.instance;
        store.component_instance(callee)?.may_leave = false;
        let mut cells = core_results;
        let outcome = crate::exec::invoke(store, post_return.index, &mut cells);
        store.component_instance(callee)?.may_leave = true;
        outcome?;
    }
    Ok(())
}

/// `canon resource.new`, `resource.rep` or `resource.drop` of `ty` for the instance
/// `instance`, as a core host function.
pub(crate) fn resource_builtin<T: 'static>(
    store: &mut Store<T>,
    step: &Step,
    ty: ResourceType,
    instance: ComponentInstanceIdx,
) -> Result<crate::Func> {
    let (core_ty, host): (FuncType, Arc<crate::store::HostFn<T>>) = match step {
        Step::ResourceNew { .. } => (
            FuncType::from_types([ValType::I32], [ValType::I32]),
            Arc::new(
                move |store: &mut Store<T>, _: Option<InstanceIdx>, buf: &mut [u64]| {
                    let rep = buf.first().copied().unwrap_or(0) as u32;
                    let handles = &mut store.component_instance(instance)?.handles;
                    let index = handles.resource_new(ty.clone(), rep)?;
                    if let Some(cell) = buf.first_mut() {
                        *cell = u64::from(index);
                    }
                    Ok(())
                },
            ),
        ),
        Step::ResourceRep { .. } => (
            FuncType::from_types([ValType::I32], [ValType::I32]),
            Arc::new(
                move |store: &mut Store<T>, _: Option<InstanceIdx>, buf: &mut [u64]| {
                    let index = buf.first().copied().unwrap_or(0) as u32;
                    let handles = &store.component_instance(instance)?.handles;
                    let rep = handles.resource_rep(&ty, index)?;
                    if let Some(cell) = buf.first_mut() {
                        *cell = u64::from(rep);
                    }
                    Ok(())
                },
            ),
        ),
        _ => (
            FuncType::from_types([ValType::I32], []),
            Arc::new(
                move |store: &mut Store<T>, _: Option<InstanceIdx>, buf: &mut [u64]| {
                    let index = buf.first().copied().unwrap_or(0) as u32;
                    let handles = &mut store.component_instance(instance)?.handles;
                    match handles.resource_drop(&ty, index)? {
                        Dropped::Own { ty, rep } => run_dtor(store, &ty, rep, Some(instance)),
                        Dropped::Borrow => Ok(()),
                    }
                },
            ),
        ),
    };
    let index = store.push_host_func(core_ty, host);
    Ok(crate::Func {
        store: store.inner.id,
        index,
    })
}

/// Destroys the resource `rep` of type `ty`: runs the destructor of its defining instance or
/// of the host, if it has one. `caller` is the instance that dropped the handle, if any: the
/// defining instance calls its destructor directly, any other caller enters the defining
/// instance as a call would (the spec's `canon_resource_drop`).
pub(crate) fn run_dtor<T: 'static>(
    store: &mut Store<T>,
    ty: &ResourceType,
    rep: u32,
    caller: Option<ComponentInstanceIdx>,
) -> Result<()> {
    match store.inner.component.dtors.get(ty).copied() {
        None => Ok(()),
        Some(Dtor::Guest { func, instance }) => {
            let mut cells = [u64::from(rep)];
            if caller == Some(instance) {
                return crate::exec::invoke(store, func.index, &mut cells);
            }
            let state = store.component_instance(instance)?;
            if !state.may_enter {
                return Err(TrapCode::CannotEnterComponent.into());
            }
            state.may_enter = false;
            let outcome = crate::exec::invoke(store, func.index, &mut cells);
            if outcome.is_ok() {
                store.component_instance(instance)?.may_enter = true;
            }
            outcome
        }
        Some(Dtor::Host { host }) => {
            let dtor = store
                .inner
                .component
                .hosts
                .get(host)
                .and_then(|h| h.downcast_ref::<Arc<HostDtor<T>>>())
                .cloned()
                .ok_or_else(|| internal("host destructor of another store type"))?;
            dtor(StoreContextMut(store), rep)
        }
    }
}

/// The Canonical ABI's view of one instance during a call: its memory, encoding, `realloc`
/// and handle table, all reached through the store.
pub(crate) struct Cx<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) options: Options,
    pub(crate) instance: ComponentInstanceIdx,
}

impl<T> LiftContext for Cx<'_, T> {
    fn memory(&self) -> &[u8] {
        self.options
            .memory
            .and_then(|m| self.store.inner.memories.get(m.index))
            .map_or(&[], |m| &m.data[..])
    }

    fn string_encoding(&self) -> StringEncoding {
        self.options.encoding
    }

    fn handles(&mut self) -> &mut HandleTable {
        let cs = &mut self.store.inner.component;
        match cs.instances.get_mut(self.instance) {
            Some(state) => &mut state.handles,
            None => &mut cs.spare_handles,
        }
    }

    fn host_handles(&mut self) -> Option<&mut HostHandleTable> {
        Some(&mut self.store.inner.component.host_handles)
    }

    fn implements(&self, ty: &ResourceType) -> bool {
        self.store.inner.component.owners.get(ty) == Some(&self.instance)
    }
}

/// [`Cx`] for lifting only: the instance's memory is borrowed apart from the component
/// state (handle tables), so that a typed lift holds the memory slice for all its reads
/// instead of finding the memory in the store for each field. Lifting never runs guest
/// code, so the memory cannot grow or move while it is borrowed.
pub(crate) struct LiftView<'a> {
    pub(crate) memory: &'a [u8],
    component: &'a mut super::instance::ComponentStore,
    pub(crate) options: Options,
    pub(crate) instance: ComponentInstanceIdx,
}

impl<'a> LiftView<'a> {
    /// The view of instance `instance` with `options` in `store`.
    pub(crate) fn new<T>(
        store: &'a mut Store<T>,
        options: Options,
        instance: ComponentInstanceIdx,
    ) -> Self {
        let inner = &mut store.inner;
        let memory = options
            .memory
            .and_then(|m| inner.memories.get(m.index))
            .map_or(&[][..], |m| &m.data[..]);
        LiftView {
            memory,
            component: &mut inner.component,
            options,
            instance,
        }
    }
}

impl LiftContext for LiftView<'_> {
    fn memory(&self) -> &[u8] {
        self.memory
    }

    fn string_encoding(&self) -> StringEncoding {
        self.options.encoding
    }

    fn handles(&mut self) -> &mut HandleTable {
        let cs = &mut *self.component;
        match cs.instances.get_mut(self.instance) {
            Some(state) => &mut state.handles,
            None => &mut cs.spare_handles,
        }
    }

    fn host_handles(&mut self) -> Option<&mut HostHandleTable> {
        Some(&mut self.component.host_handles)
    }

    fn implements(&self, ty: &ResourceType) -> bool {
        self.component.owners.get(ty) == Some(&self.instance)
    }
}

impl<T> LowerContext for Cx<'_, T> {
    fn memory_mut(&mut self) -> &mut [u8] {
        match self
            .options
            .memory
            .and_then(|m| self.store.inner.memories.get_mut(m.index))
        {
            Some(m) => &mut m.data[..],
            None => &mut [],
        }
    }

    fn realloc(&mut self, old_ptr: u32, old_size: u32, align: u32, new_size: u32) -> Result<u32> {
        let Some(realloc) = self.options.realloc else {
            return Err(internal(
                "lowering needs `realloc` but the options name none",
            ));
        };
        let state = self.store.component_instance(self.instance)?;
        let saved = state.may_leave;
        state.may_leave = false;
        let mut cells = [
            u64::from(old_ptr),
            u64::from(old_size),
            u64::from(align),
            u64::from(new_size),
        ];
        let outcome = crate::exec::invoke(&mut *self.store, realloc.index, &mut cells);
        self.store.component_instance(self.instance)?.may_leave = saved;
        outcome?;
        Ok(cells[0] as u32)
    }
}

impl super::resources::ResourceAny {
    /// Drops this handle: for an owned handle, runs the resource type's destructor (of the
    /// component that defined it, or of the host); a borrowed handle ends the borrow.
    ///
    /// A handle to a guest resource is removed from the store's
    /// [`HostHandleTable`], so every copy of it is stale
    /// from then on and the destructor runs once.
    ///
    /// # Errors
    ///
    /// A usage error `unknown handle index N` if the handle is stale (already dropped, moved
    /// into a component, or a borrow whose host call returned); the destructor's trap or
    /// error; a trap if the defining instance may not be entered ("cannot enter component
    /// instance").
    pub fn resource_drop<T: 'static>(self, mut store: impl AsContextMut<Data = T>) -> Result<()> {
        let store = store.as_context_mut().0;
        match store.inner.component.host_handles.remove(&self)? {
            Some(rep) => run_dtor(store, &self.ty(), rep, None),
            None => Ok(()),
        }
    }
}
