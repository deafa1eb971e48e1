//! [`TypedFunc`]: calling a component function with Rust values; and the typed host
//! functions of [`LinkerInstance::func_wrap`](crate::component::LinkerInstance::func_wrap).

use super::{ComponentNamedList, Lift, LiftCx, Lower, LowerCx, context, internal};
use crate::component::abi::{self, CoreValueIter, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS};
use crate::component::func::{Cx, Func, FuncKind, Options};
use crate::component::types::{ComponentFunc, Tuple, Type};
use crate::context::{AsContextMut, StoreContextMut};
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
    params: Option<Type>,
    results: Option<Type>,
    _marker: PhantomData<fn(Params) -> Return>,
}

impl<Params, Return> Clone for TypedFunc<Params, Return> {
    fn clone(&self) -> Self {
        TypedFunc {
            func: self.func,
            params: self.params.clone(),
            results: self.results.clone(),
            _marker: PhantomData,
        }
    }
}

impl<Params, Return> core::fmt::Debug for TypedFunc<Params, Return> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TypedFunc")
            .field("func", &self.func)
            .finish()
    }
}

/// Checks `Params` and `Return` against `ty`.
fn typecheck<Params: ComponentNamedList, Return: ComponentNamedList>(
    ty: &ComponentFunc,
) -> Result<(Option<Type>, Option<Type>)> {
    let params: Vec<Type> = ty.param_types().cloned().collect();
    let results: Vec<Type> = ty.results().collect();
    Params::typecheck_list(&params)
        .map_err(|e| context(e, format!("type mismatch with the parameters of `{ty}`")))?;
    Return::typecheck_list(&results)
        .map_err(|e| context(e, format!("type mismatch with the results of `{ty}`")))?;
    Ok((list_type(&params)?, list_type(&results)?))
}

impl<Params, Return> TypedFunc<Params, Return>
where
    Params: ComponentNamedList + Lower,
    Return: ComponentNamedList + Lift,
{
    pub(crate) fn new(func: Func, ty: &ComponentFunc) -> Result<Self> {
        let (params, results) = typecheck::<Params, Return>(ty)?;
        Ok(TypedFunc {
            func,
            params,
            results,
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
    /// error for a resource handle of the wrong type; an error if the function is a host
    /// function (typed calls reach component exports only).
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
        let kind = store
            .inner
            .component
            .funcs
            .get(self.func.index)
            .map(|d| d.kind.clone())
            .ok_or_else(|| internal("function index"))?;
        match kind {
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
                let outcome = self.run(store, core, options, instance, &params);
                // A trap leaves the instance in an unknown state: it may not be entered again.
                if outcome.is_ok() {
                    store.component_instance(instance)?.may_enter = true;
                }
                outcome
            }
            FuncKind::Host { .. } => Err(Error::usage(
                "a typed call of a host function: call it through `Func::call`",
            )),
            FuncKind::Trap { name } => Err(Error::msg(format!(
                "unknown import: `{name}` has not been defined"
            ))),
        }
    }

    fn run<T: 'static>(
        &self,
        store: &mut Store<T>,
        core: crate::Func,
        options: Options,
        instance: ComponentInstanceIdx,
        params: &Params,
    ) -> Result<Return> {
        let core_ty = crate::func::func_type(&store.inner, core)?;
        let mut cells = Vec::with_capacity(core_ty.params().len().max(1));
        if let Some(ty) = &self.params {
            let mut cx = Cx {
                store: &mut *store,
                options,
                instance,
            };
            let mut cx = LowerCx::new(&mut cx);
            if flat_count(Some(ty)) <= MAX_FLAT_PARAMS {
                params.lower_flat(&mut cx, ty, &mut cells)?;
            } else {
                let ptr = cx.allocate(abi::alignment(ty), abi::elem_size(ty))?;
                params.store(&mut cx, ty, ptr)?;
                cells.push(u64::from(ptr));
            }
        }
        if cells.len() != core_ty.params().len() {
            return Err(internal("lowered arguments do not match the core function"));
        }
        let num_results = core_ty.results().len();
        cells.resize(cells.len().max(num_results), 0);
        crate::exec::invoke(store, core.index, &mut cells)?;
        cells.truncate(num_results);
        let results = {
            let mut cx = Cx {
                store: &mut *store,
                options,
                instance,
            };
            let mut cx = LiftCx::new(&mut cx, options, instance);
            match &self.results {
                None => Return::lift_unit()?,
                Some(ty) if flat_count(Some(ty)) <= MAX_FLAT_RESULTS => {
                    Return::lift_flat(&mut cx, ty, &mut CoreValueIter::new(&cells))?
                }
                Some(ty) => {
                    let ptr = cells.first().copied().unwrap_or(0) as u32;
                    abi::check_range(
                        ptr,
                        u64::from(abi::elem_size(ty)),
                        abi::alignment(ty),
                        cx.memory().len(),
                        TrapCode::PointerOutOfBounds,
                    )?;
                    Return::load(&mut cx, ty, ptr)?
                }
            }
        };
        store.component_instance(instance)?.handles.exit_task()?;
        if let Some(post_return) = options.post_return {
            store.component_instance(instance)?.may_leave = false;
            let outcome = crate::exec::invoke(store, post_return.index, &mut cells);
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

/// A host function of [`LinkerInstance::func_wrap`](crate::component::LinkerInstance::func_wrap):
/// its type check, run when it is bound to an import, and its call from a component.
pub(crate) struct TypedHost<T> {
    pub(crate) typecheck: Box<TypedHostCheck>,
    pub(crate) call: Box<TypedHostCall<T>>,
}

/// The type check of a typed host function against the import it satisfies.
pub(crate) type TypedHostCheck = dyn Fn(&ComponentFunc) -> Result<()> + Send + Sync;

/// A typed host function called from component instance `caller` with its canonical
/// `options`: the core arguments in `buf` (the first `num_params`, the last of them the
/// return pointer when `results_in_memory`), the core results written back into `buf`.
pub(crate) type TypedHostCall<T> = dyn Fn(
        &mut Store<T>,
        &ComponentFunc,
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
    // The tuple types of the last function type this was called with: every import the
    // function is bound to has a structurally equal type (checked at binding), so this is
    // computed once in practice.
    type Cached = Option<(ComponentFunc, Option<Type>, Option<Type>)>;
    let cache: std::sync::Mutex<Cached> = std::sync::Mutex::new(None);
    Arc::new(TypedHost {
        typecheck: Box::new(|ty| typecheck::<Params, Return>(ty).map(|_| ())),
        call: Box::new(
            move |store, ty, options, caller, buf, num_params, results_in_memory| {
                let (params_ty, results_ty) = {
                    let mut cached = cache.lock().unwrap_or_else(|e| e.into_inner());
                    match &*cached {
                        Some((func, p, r)) if func == ty => (p.clone(), r.clone()),
                        _ => {
                            let (p, r) = typecheck::<Params, Return>(ty)?;
                            *cached = Some((ty.clone(), p.clone(), r.clone()));
                            (p, r)
                        }
                    }
                };
                let args = buf
                    .get(..num_params.saturating_sub(usize::from(results_in_memory)))
                    .ok_or_else(|| internal("lowered arguments"))?
                    .to_vec();
                let retptr = match results_in_memory {
                    true => buf.get(num_params.wrapping_sub(1)).map(|c| *c as u32),
                    false => None,
                };
                let params = {
                    let mut cx = Cx {
                        store: &mut *store,
                        options,
                        instance: caller,
                    };
                    let mut cx = LiftCx::new(&mut cx, options, caller);
                    match &params_ty {
                        None => Params::lift_unit()?,
                        Some(ty) if flat_count(Some(ty)) <= MAX_FLAT_PARAMS => {
                            Params::lift_flat(&mut cx, ty, &mut CoreValueIter::new(&args))?
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
                let Some(ty) = &results_ty else {
                    return Ok(());
                };
                let mut cx = Cx {
                    store: &mut *store,
                    options,
                    instance: caller,
                };
                let mut cx = LowerCx::new(&mut cx);
                match retptr {
                    None => {
                        let mut out = Vec::with_capacity(1);
                        results.lower_flat(&mut cx, ty, &mut out)?;
                        for (cell, value) in buf.iter_mut().zip(out) {
                            *cell = value;
                        }
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
                        results.store(&mut cx, ty, ptr)?;
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
