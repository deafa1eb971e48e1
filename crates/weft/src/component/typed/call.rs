//! [`TypedFunc`]: calling a component function with Rust values; and the typed host
//! functions of [`LinkerInstance::func_wrap`](crate::component::LinkerInstance::func_wrap).

use super::{ComponentNamedList, Lift, LiftCx, Lower, LowerCx, context, internal};
use crate::component::abi::{self, CoreValueIter, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS};
use crate::component::func::{
    Cx, Func, FuncData, FuncKind, LiftView, Lowered, Options, abandon_call,
};
use crate::component::types::{ComponentFunc, Tuple, Type};
use crate::context::{AsContextMut, StoreContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::{ComponentHostIdx, ComponentInstanceIdx};
use crate::store::Store;
use crate::trap::TrapCode;
use core::marker::PhantomData;
use std::sync::Arc;

/// The parameter or result types of a function as one type: the tuple of them, which has
/// the layout the Canonical ABI gives a spilled parameter or result list; `None` if there
/// are none.
fn list_type(types: &[Type]) -> Result<Option<Type>> {
    if types.is_empty() {
        return Ok(None);
    }
    Ok(Some(Type::Tuple(Tuple::new(types.iter().cloned())?)))
}

fn flat_count(ty: Option<&Type>) -> usize {
    ty.map_or(0, |t| abi::flat_count(t) as usize)
}

/// A component function with Rust parameter and result types checked once, when it was
/// made: calls lower the arguments and lift the results directly, without
/// [`Val`](crate::component::Val)s.
///
/// `Params` and `Return` are tuples: `(u32, &str)` for a function of two parameters,
/// `(String,)` for one result, `()` for none (as in Wasmtime).
///
/// ```
/// use weft::component::{Component, ComponentType, Lift, Linker, Lower};
/// use weft::{Engine, Store};
///
/// #[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
/// #[component(record)]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// let engine = Engine::default();
/// let component = Component::new(&engine, r#"(component
///   (type $point (record (field "x" s32) (field "y" s32)))
///   (export $p "point" (type $point))
///   (core module $m (func (export "swap") (param i32 i32) (result i64)
///     local.get 0 i64.extend_i32_u i64.const 32 i64.shl
///     local.get 1 i64.extend_i32_u i64.or))
///   (core instance $i (instantiate $m))
///   (func (export "sum") (param "p" $p) (result s64)
///     (canon lift (core func $i "swap"))))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
/// let sum = instance.get_typed_func::<(Point,), (i64,)>(&mut store, "sum")?;
/// let (packed,) = sum.call(&mut store, (Point { x: 1, y: 2 },))?;
/// assert_eq!(packed, (1 << 32) | 2);
/// // The types are checked once, here: a mismatch is an error naming it.
/// let err = instance.get_typed_func::<(Point,), (u32,)>(&mut store, "sum").unwrap_err();
/// assert!(err.to_string().contains("expected `u32`, found `s64`"));
/// # Ok::<(), weft::Error>(())
/// ```
pub struct TypedFunc<Params, Return> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Return>,
}

impl<Params, Return> Clone for TypedFunc<Params, Return> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Params, Return> Copy for TypedFunc<Params, Return> {}

impl<Params, Return> core::fmt::Debug for TypedFunc<Params, Return> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TypedFunc")
            .field("func", &self.func)
            .finish()
    }
}

/// A function's parameters and results as the tuple types typed calls lower and lift, with
/// their flattened lengths; kept with the function, made once. Shared: a call takes its own
/// reference (one count, not a copy of the types) to use them while it mutates the store.
#[derive(Debug, Clone)]
pub(crate) struct ListTypes(Arc<ListTypesInner>);

#[derive(Debug)]
pub(crate) struct ListTypesInner {
    params: Option<Type>,
    results: Option<Type>,
    flat_params: usize,
    flat_results: usize,
}

impl core::ops::Deref for ListTypes {
    type Target = ListTypesInner;

    fn deref(&self) -> &ListTypesInner {
        &self.0
    }
}

/// Checks `Params` and `Return` against `ty`.
fn typecheck<Params: ComponentNamedList, Return: ComponentNamedList>(
    ty: &ComponentFunc,
) -> Result<ListTypes> {
    let params: Vec<Type> = ty.param_types().cloned().collect();
    let results: Vec<Type> = ty.results().collect();
    Params::typecheck_list(&params)
        .map_err(|e| context(e, format!("type mismatch with the parameters of `{ty}`")))?;
    Return::typecheck_list(&results)
        .map_err(|e| context(e, format!("type mismatch with the results of `{ty}`")))?;
    let (params, results) = (list_type(&params)?, list_type(&results)?);
    Ok(ListTypes(Arc::new(ListTypesInner {
        flat_params: flat_count(params.as_ref()),
        flat_results: flat_count(results.as_ref()),
        params,
        results,
    })))
}

impl<Params, Return> TypedFunc<Params, Return>
where
    Params: ComponentNamedList + Lower,
    Return: ComponentNamedList + Lift,
{
    pub(crate) fn new(func: Func, data: &FuncData) -> Result<Self> {
        let types = typecheck::<Params, Return>(&data.ty)?;
        // Every type check of the function makes the same types: the first one is kept.
        let _ = data.typed.set(types);
        Ok(TypedFunc {
            func,
            _marker: PhantomData,
        })
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }

    /// Calls the function: lowers `params` into the callee, runs it, lifts the results and
    /// runs the callee's `post-return` function before returning (as Wasmtime 48 does).
    ///
    /// # Errors
    ///
    /// A [`Trap`](crate::Trap) if the callee traps, the Canonical ABI finds an invalid
    /// value in the results ("invalid variant discriminant", "invalid string encoding"...),
    /// or the instance may not be entered ("cannot enter component instance"); a usage
    /// error for a resource handle of the wrong type; the error of a host function. A host
    /// function a component re-exports is called as a component would call it, its
    /// arguments lowered into a memory the store keeps for the host.
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn call<T: 'static>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: Params,
    ) -> Result<Return> {
        let store = store.as_context_mut().0;
        if self.func.store != store.inner.id {
            panic!("component function used with the wrong store");
        }
        let data = store
            .inner
            .component
            .funcs
            .get(self.func.index)
            .ok_or_else(|| internal("function index"))?;
        let types = data
            .typed
            .get()
            .cloned()
            .ok_or_else(|| internal("typed function types"))?;
        match data.kind {
            FuncKind::Lifted {
                core,
                options,
                instance,
            } => {
                let state = store.component_instance(instance)?;
                if !state.may_enter {
                    return Err(TrapCode::CannotEnterComponent.into());
                }
                state.may_enter = false;
                state.handles.enter_task();
                let outcome = Self::run(store, &types, core, options, instance, &params);
                // A trap leaves the instance in an unknown state: it may not be entered again.
                if outcome.is_ok() {
                    store.component_instance(instance)?.may_enter = true;
                }
                outcome
            }
            FuncKind::Host { .. } => call_host(store, self.func, &types, &params),
            FuncKind::Trap { ref name } => Err(Error::msg(format!(
                "unknown import: `{name}` has not been defined"
            ))),
        }
    }

    fn run<T: 'static>(
        store: &mut Store<T>,
        types: &ListTypes,
        core: crate::Func,
        options: Options,
        instance: ComponentInstanceIdx,
        params: &Params,
    ) -> Result<Return> {
        // The store lends its cells; a nested call while they are out makes its own.
        let mut cells = core::mem::take(&mut store.inner.component.cells);
        cells.clear();
        let outcome = Self::run_with(store, types, core, options, instance, params, &mut cells);
        store.inner.component.cells = cells;
        outcome
    }

    fn run_with<T: 'static>(
        store: &mut Store<T>,
        types: &ListTypes,
        core: crate::Func,
        options: Options,
        instance: ComponentInstanceIdx,
        params: &Params,
        cells: &mut Vec<u64>,
    ) -> Result<Return> {
        let (num_params, num_results) = crate::func::func_arity(&store.inner, core)?;
        if let Err(e) = lower_params(store, types, options, instance, params, cells) {
            return Err(abandon_call(store, instance, e));
        }
        if cells.len() != num_params {
            return Err(internal("lowered arguments do not match the core function"));
        }
        cells.resize(cells.len().max(num_results), 0);
        crate::exec::invoke(store, core.index, cells)?;
        cells.truncate(num_results);
        let results = lift_results(store, types, options, instance, cells, None)?;
        store.component_instance(instance)?.handles.exit_task()?;
        if let Some(post_return) = options.post_return {
            store.component_instance(instance)?.may_leave = false;
            let outcome = crate::exec::invoke(store, post_return.index, cells);
            store.component_instance(instance)?.may_leave = true;
            outcome?;
        }
        Ok(results)
    }

    /// Formerly required after [`TypedFunc::call`] to run the callee's `post-return`
    /// function; `call` now runs it itself, and this does nothing.
    ///
    /// # Errors
    ///
    /// Never.
    #[deprecated(note = "`TypedFunc::call` runs post-return itself; this does nothing")]
    pub fn post_return(&self, store: impl AsContextMut) -> Result<()> {
        let _ = store;
        Ok(())
    }
}

/// Lowers `params` into the instance's cells: flat, or spilled through `realloc`.
fn lower_params<T: 'static, Params: Lower>(
    store: &mut Store<T>,
    types: &ListTypes,
    options: Options,
    instance: ComponentInstanceIdx,
    params: &Params,
    cells: &mut Vec<u64>,
) -> Result<()> {
    let Some(ty) = &types.params else {
        return Ok(());
    };
    let mut cx = Cx {
        store: &mut *store,
        options,
        instance,
    };
    let mut cx = LowerCx::new(&mut cx);
    if types.flat_params <= MAX_FLAT_PARAMS {
        params.lower_flat(&mut cx, ty, cells)
    } else {
        let ptr = cx.allocate(abi::alignment(ty), abi::elem_size(ty))?;
        params.store(&mut cx, ty, ptr)?;
        cells.push(u64::from(ptr));
        Ok(())
    }
}

/// Lifts the results from the core results in `cells`, or from memory at `retptr` when they
/// were returned there (else at the pointer in the first cell, past `MAX_FLAT_RESULTS`).
fn lift_results<T: 'static, Return: Lift>(
    store: &mut Store<T>,
    types: &ListTypes,
    options: Options,
    instance: ComponentInstanceIdx,
    cells: &[u64],
    retptr: Option<u32>,
) -> Result<Return> {
    let mut view = LiftView::new(store, options, instance);
    let mut cx = LiftCx::with_view(&mut view);
    match &types.results {
        None => Return::lift_unit(),
        Some(ty) if types.flat_results <= MAX_FLAT_RESULTS => {
            Return::lift_flat(&mut cx, ty, &mut CoreValueIter::new(cells))
        }
        Some(ty) => {
            let ptr = retptr.unwrap_or_else(|| cells.first().copied().unwrap_or(0) as u32);
            abi::check_range(
                ptr,
                u64::from(abi::elem_size(ty)),
                abi::alignment(ty),
                cx.memory().len(),
                TrapCode::PointerOutOfBounds,
            )?;
            Return::load(&mut cx, ty, ptr)
        }
    }
}

/// The host's own memory, `realloc` and component instance: a typed call of a host function
/// lowers its arguments there and lifts them back as the host function's caller would.
#[derive(Debug)]
pub(crate) struct Scratch {
    options: Options,
    instance: ComponentInstanceIdx,
    /// The next free byte of the memory.
    bump: u32,
}

/// The store's [`Scratch`], made on first use.
fn scratch<T: 'static>(store: &mut Store<T>) -> Result<(Options, ComponentInstanceIdx)> {
    if let Some(s) = &store.inner.component.scratch {
        return Ok((s.options, s.instance));
    }
    let memory = crate::Memory::new(&mut *store, crate::MemoryType::new(1, None))?;
    let realloc: Arc<crate::store::HostFn<T>> = Arc::new(|store, _, buf| {
        let [old_ptr, old_size, align, new_size] = match buf.get(..4) {
            Some(&[a, b, c, d]) => [a as u32, b as u32, c as u32, d as u32],
            _ => return Err(internal("realloc arguments")),
        };
        let ptr = scratch_realloc(store, old_ptr, old_size, align, new_size)?;
        if let Some(cell) = buf.first_mut() {
            *cell = u64::from(ptr);
        }
        Ok(())
    });
    let ty = crate::FuncType::from_types([crate::ValType::I32; 4], [crate::ValType::I32]);
    let index = store.push_host_func(ty, realloc);
    let realloc = crate::Func {
        store: store.inner.id,
        index,
    };
    let instance =
        store
            .inner
            .component
            .instances
            .push(crate::component::instance::InstanceState {
                may_enter: true,
                may_leave: true,
                ..Default::default()
            });
    let options = Options {
        memory: Some(memory),
        realloc: Some(realloc),
        ..Options::default()
    };
    store.inner.component.scratch = Some(Scratch {
        options,
        instance,
        bump: 0,
    });
    Ok((options, instance))
}

/// A bump allocator over the scratch memory, growing it as needed.
fn scratch_realloc<T>(
    store: &mut Store<T>,
    old_ptr: u32,
    old_size: u32,
    align: u32,
    new_size: u32,
) -> Result<u32> {
    let Some(s) = &store.inner.component.scratch else {
        return Err(internal("scratch memory"));
    };
    let memory = s.options.memory.ok_or_else(|| internal("scratch memory"))?;
    let too_big = || crate::Error::resource("arguments of a typed host call exceed 4 GiB");
    let ptr = s
        .bump
        .checked_next_multiple_of(align.max(1))
        .ok_or_else(too_big)?;
    let end = ptr.checked_add(new_size).ok_or_else(too_big)?;
    let have = memory.data_size(&*store) as u64;
    if u64::from(end) > have {
        let page = memory.page_size(&*store);
        memory.grow(&mut *store, (u64::from(end) - have).div_ceil(page))?;
    }
    let data = memory.data_mut(&mut *store);
    let keep = old_size.min(new_size) as usize;
    if keep > 0 {
        let from = old_ptr as usize;
        if from.checked_add(keep).is_none_or(|e| e > data.len()) {
            return Err(TrapCode::PointerOutOfBounds.into());
        }
        data.copy_within(from..from + keep, ptr as usize);
    }
    if let Some(s) = &mut store.inner.component.scratch {
        s.bump = end;
    }
    Ok(ptr)
}

/// A typed call of host function `func` from the host: the arguments are lowered into the
/// store's scratch memory and the function is called as a component would call it (through
/// its `Val`s or its typed closure), so that Rust types on both sides need not match, only
/// their component types.
fn call_host<T: 'static, Params: Lower, Return: Lift>(
    store: &mut Store<T>,
    func: Func,
    types: &ListTypes,
    params: &Params,
) -> Result<Return> {
    let (options, instance) = scratch(store)?;
    let saved = store.inner.component.scratch.as_ref().map_or(0, |s| s.bump);
    store.component_instance(instance)?.handles.enter_task();
    let outcome = call_host_in(store, func, types, options, instance, params);
    // The scratch instance never drops the borrows lent to it: they end with the call.
    store.component_instance(instance)?.handles.abandon_task();
    if let Some(s) = &mut store.inner.component.scratch {
        s.bump = saved;
    }
    outcome
}

fn call_host_in<T: 'static, Params: Lower, Return: Lift>(
    store: &mut Store<T>,
    func: Func,
    types: &ListTypes,
    options: Options,
    instance: ComponentInstanceIdx,
    params: &Params,
) -> Result<Return> {
    let (lowered, _) = Lowered::new(store, func, options, instance)?;
    let mut cells = Vec::new();
    lower_params(store, types, options, instance, params, &mut cells)?;
    let retptr = match (&types.results, types.flat_results > MAX_FLAT_RESULTS) {
        (Some(ty), true) => {
            let mut cx = Cx {
                store: &mut *store,
                options,
                instance,
            };
            let ptr = LowerCx::new(&mut cx).allocate(abi::alignment(ty), abi::elem_size(ty))?;
            cells.push(u64::from(ptr));
            Some(ptr)
        }
        _ => None,
    };
    cells.resize(cells.len().max(types.flat_results), 0);
    lowered.call(store, &mut cells)?;
    lift_results(store, types, options, instance, &cells, retptr)
}

/// A host function of [`LinkerInstance::func_wrap`](crate::component::LinkerInstance::func_wrap):
/// its type check, run when it is bound to an import, and its call from a component.
pub(crate) struct TypedHost<T> {
    pub(crate) typecheck: Box<TypedHostCheck>,
    pub(crate) call: Box<TypedHostCall<T>>,
}

/// The type check of a typed host function against the import it satisfies.
pub(crate) type TypedHostCheck = dyn Fn(&ComponentFunc) -> Result<ListTypes> + Send + Sync;

/// A typed host function called from component instance `caller` with its canonical
/// `options`, with the tuple types its type check made: the core arguments in `buf` (the first `num_params`, the last of them the
/// return pointer when `results_in_memory`), the core results written back into `buf`.
pub(crate) type TypedHostCall<T> = dyn Fn(
        &mut Store<T>,
        &ListTypes,
        Options,
        ComponentInstanceIdx,
        &mut [u64],
        usize,
        bool,
    ) -> Result<()>
    + Send
    + Sync;

/// Makes the typed host function of `func`.
pub(crate) fn wrap<T, Params, Return, F>(func: F) -> Arc<TypedHost<T>>
where
    T: 'static,
    F: Fn(StoreContextMut<'_, T>, Params) -> Result<Return> + Send + Sync + 'static,
    Params: ComponentNamedList + Lift + 'static,
    Return: ComponentNamedList + Lower + 'static,
{
    Arc::new(TypedHost {
        typecheck: Box::new(typecheck::<Params, Return>),
        call: Box::new(
            move |store, types, options, caller, buf, num_params, results_in_memory| {
                let args = buf
                    .get(..num_params.saturating_sub(usize::from(results_in_memory)))
                    .ok_or_else(|| internal("lowered arguments"))?;
                let retptr = match results_in_memory {
                    true => buf.get(num_params.wrapping_sub(1)).map(|c| *c as u32),
                    false => None,
                };
                let params = {
                    let mut view = LiftView::new(&mut *store, options, caller);
                    let mut cx = LiftCx::with_view(&mut view);
                    match &types.params {
                        None => Params::lift_unit()?,
                        Some(ty) if types.flat_params <= MAX_FLAT_PARAMS => {
                            Params::lift_flat(&mut cx, ty, &mut CoreValueIter::new(args))?
                        }
                        Some(ty) => {
                            let ptr = args.first().copied().unwrap_or(0) as u32;
                            abi::check_range(
                                ptr,
                                u64::from(abi::elem_size(ty)),
                                abi::alignment(ty),
                                cx.memory().len(),
                                TrapCode::PointerOutOfBounds,
                            )?;
                            Params::load(&mut cx, ty, ptr)?
                        }
                    }
                };
                let results = func(StoreContextMut(&mut *store), params)?;
                let Some(ty) = &types.results else {
                    return Ok(());
                };
                // The store lends its cells; a nested call while they are out makes its own.
                let mut out = core::mem::take(&mut store.inner.component.host_cells);
                out.clear();
                let mut cx = Cx {
                    store: &mut *store,
                    options,
                    instance: caller,
                };
                let mut cx = LowerCx::new(&mut cx);
                match retptr {
                    None => {
                        let outcome = results.lower_flat(&mut cx, ty, &mut out);
                        for (cell, value) in buf.iter_mut().zip(&out) {
                            *cell = *value;
                        }
                        store.inner.component.host_cells = out;
                        outcome?;
                    }
                    Some(ptr) => {
                        let len = cx.abi().memory_mut().len();
                        abi::check_range(
                            ptr,
                            u64::from(abi::elem_size(ty)),
                            abi::alignment(ty),
                            len,
                            TrapCode::PointerOutOfBounds,
                        )?;
                        let outcome = results.store(&mut cx, ty, ptr);
                        store.inner.component.host_cells = out;
                        outcome?;
                    }
                }
                Ok(())
            },
        ),
    })
}

impl<T: 'static> Store<T> {
    /// The typed host function at component host index `index`, if it is one.
    pub(crate) fn typed_host(&self, index: ComponentHostIdx) -> Option<Arc<TypedHost<T>>> {
        self.inner
            .component
            .hosts
            .get(index)?
            .downcast_ref::<Arc<TypedHost<T>>>()
            .cloned()
    }
}
