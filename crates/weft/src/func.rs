//! Functions: calling into WebAssembly and defining host functions.
//!
//! Every function, wasm or host, is called through one convention inside the engine: a buffer
//! of raw `u64` cells (see `store.rs`) holding the arguments on entry and the results on
//! return. [`Func::call`] converts [`Val`]s to and from that buffer and checks their types;
//! [`TypedFunc::call`] checks the types once, when the `TypedFunc` is made, and then converts
//! Rust values directly. Host functions made from typed closures ([`Func::wrap`],
//! [`Linker::func_wrap`](crate::Linker::func_wrap)) read their arguments straight out of the
//! buffer.

// The sealed conversion traits take the crate-private `StoreInner`; they are unreachable
// outside the crate, which is the point of sealing them.
#![allow(private_interfaces)]

use crate::context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::externals::Extern;
use crate::gc::{ExternRef, Rooted};
use crate::index::{InstanceIdx, StoreFuncIdx};
use crate::store::{FuncEntity, HostFn, Store, StoreId, StoreInner};
use crate::types::{FuncType, ValType};
use crate::values::Val;
use core::marker::PhantomData;
use std::sync::Arc;

/// A WebAssembly function or host function in a [`Store`].
///
/// A small `Copy` handle; using it with a store other than its own returns an error (or panics
/// where documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: StoreId,
    pub(crate) index: StoreFuncIdx,
}

impl Func {
    /// A host function of type `ty`, implemented by `func`, which receives the arguments as
    /// [`Val`]s and must write one `Val` of the right type into each slot of `results`.
    ///
    /// A result of the wrong type makes the call fail with an error.
    ///
    /// ```
    /// use weft::{Engine, Func, FuncType, Store, Val, ValType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let ty = FuncType::new(&engine, [ValType::I32, ValType::I32], [ValType::I32]);
    /// let add = Func::new(&mut store, ty, |_caller, params, results| {
    ///     results[0] = Val::I32(params[0].unwrap_i32() + params[1].unwrap_i32());
    ///     Ok(())
    /// });
    /// let mut results = [Val::I32(0)];
    /// add.call(&mut store, &[Val::I32(2), Val::I32(3)], &mut results)?;
    /// assert_eq!(results[0].unwrap_i32(), 5);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut().0;
        let host = dynamic_host_fn(ty.clone(), func);
        let index = store.push_host_func(ty, host);
        Func {
            store: store.inner.id,
            index,
        }
    }

    /// A host function made from a Rust closure whose parameters and results are WebAssembly
    /// types (`i32`, `u32`, `i64`, `u64`, `f32`, `f64`, `Option<Func>`, `Option<ExternRef>`),
    /// optionally taking a [`Caller`] first, and returning `()`, a value, a tuple of values, or
    /// a `Result` of those.
    ///
    /// ```
    /// let engine = weft::Engine::default();
    /// let mut store = weft::Store::new(&engine, ());
    /// let add = weft::Func::wrap(&mut store, |a: i32, b: i32| a.wrapping_add(b));
    /// let typed = add.typed::<(i32, i32), i32>(&store)?;
    /// assert_eq!(typed.call(&mut store, (2, 3))?, 5);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let store = store.as_context_mut().0;
        let (ty, host) = func.into_func();
        let index = store.push_host_func(ty, host);
        Func {
            store: store.inner.id,
            index,
        }
    }

    pub(crate) fn check_store(&self, store: &StoreInner) -> Result<()> {
        if self.store == store.id {
            Ok(())
        } else {
            Err(Error::usage("function belongs to another store"))
        }
    }

    /// The function's type.
    ///
    /// # Panics
    ///
    /// If `store` is not the function's store.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let store = store.as_context();
        match func_type(&store.0.inner, *self) {
            Ok(ty) => ty,
            Err(e) => panic!("{e}"),
        }
    }

    /// Calls the function with `params`, writing its results into `results`.
    ///
    /// # Errors
    ///
    /// A [`Trap`](crate::Trap) if execution traps, the error of a host function, or a usage
    /// error if the number or types of `params` or the length of `results` do not match the
    /// function's type, or a value belongs to another store.
    ///
    /// ```
    /// use weft::{Engine, Instance, Module, Store, Val};
    /// let engine = Engine::default();
    /// let module = Module::new(&engine, r#"(module
    ///     (func (export "double") (param i64) (result i64)
    ///         (i64.mul (local.get 0) (i64.const 2))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let double = instance.get_func(&store, "double").expect("an export");
    /// let mut results = [Val::I64(0)];
    /// double.call(&mut store, &[Val::I64(21)], &mut results)?;
    /// assert_eq!(results[0].unwrap_i64(), 42);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = func_type(&store.inner, *self)?;
        if params.len() != ty.params().len() || results.len() != ty.results().len() {
            return Err(Error::usage(format!(
                "function of type {ty} called with {} parameters and {} result slots",
                params.len(),
                results.len()
            )));
        }
        let mut buf = vec![0u64; ty.param_cells().max(ty.result_cells())];
        for (param, expected) in params.iter().zip(ty.params()) {
            if !param.matches_in(&store.inner, expected) {
                return Err(Error::usage(format!(
                    "parameter of type {} where {expected} was expected",
                    param.ty()
                )));
            }
        }
        Val::write_all(&store.inner, params, &mut buf)?;
        crate::exec::invoke(store, self.index, &mut buf)?;
        for (result, value) in
            results
                .iter_mut()
                .zip(Val::read_all(&mut store.inner, ty.results(), &buf))
        {
            *result = value;
        }
        Ok(())
    }

    /// A typed view of the function, for cheaper calls with Rust values.
    ///
    /// # Errors
    ///
    /// If `Params` and `Results` do not match the function's type: each Rust parameter type
    /// must match (be a subtype of) the function's parameter type, and each of the
    /// function's result types must match the Rust result type (spec §3.3.3 "Matching"), so
    /// that an `Option<Func>` result can receive a `(ref func)`, and a [`Func`] argument
    /// fill a `funcref` parameter. A parameter of a concrete type `(ref $t)` has no Rust
    /// type: call such a function with [`Func::call`], which checks each value.
    ///
    /// ```
    /// use weft::{Engine, Func, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let add = Func::wrap(&mut store, |a: i32, b: i32| a.wrapping_add(b));
    /// let typed = add.typed::<(i32, i32), i32>(&store)?;
    /// assert_eq!(typed.call(&mut store, (1, 2))?, 3);
    /// // A wrong signature is an error, not a bad call later.
    /// assert!(add.typed::<i64, i64>(&store).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>> {
        let store = store.as_context();
        let ty = func_type(&store.0.inner, *self)?;
        let mut params = Vec::new();
        Params::valtypes(&mut params);
        let mut results = Vec::new();
        Results::valtypes(&mut results);
        // The Rust parameters must be values the function accepts, and its results values
        // the Rust results can hold (spec §3.3.3 "Matching").
        let params_match = ty.params().len() == params.len()
            && params
                .iter()
                .zip(ty.params())
                .all(|(rust, wasm)| rust.matches(wasm));
        let results_match = ty.results().len() == results.len()
            && ty
                .results()
                .iter()
                .zip(&results)
                .all(|(wasm, rust)| wasm.matches(rust));
        if !params_match || !results_match {
            return Err(Error::usage(format!(
                "type mismatch: function has type {ty}, typed as {}",
                FuncType::from_types(params, results)
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
    }
}

/// The number of parameters and results of `func`'s type, without cloning the type.
pub(crate) fn func_arity(store: &StoreInner, func: Func) -> Result<(usize, usize)> {
    let ty = func_type_ref(store, func)?;
    Ok((ty.param_cells(), ty.result_cells()))
}

/// The type of function `func` in `store`.
pub(crate) fn func_type(store: &StoreInner, func: Func) -> Result<FuncType> {
    func_type_ref(store, func).cloned()
}

/// The type of function `func` in `store`, borrowed.
pub(crate) fn func_type_ref(store: &StoreInner, func: Func) -> Result<&FuncType> {
    func.check_store(store)?;
    match store.funcs.get(func.index) {
        Some(FuncEntity::Host { ty, .. }) => Ok(ty),
        Some(FuncEntity::Wasm {
            instance, index, ..
        }) => store
            .instances
            .get(*instance)
            .and_then(|i| i.module.inner.info.func_type(*index))
            .ok_or_else(|| Error::usage("dangling function")),
        None => Err(Error::usage("function belongs to another store")),
    }
}

fn dynamic_host_fn<T: 'static>(
    ty: FuncType,
    func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> Arc<HostFn<T>> {
    Arc::new(
        move |store: &mut Store<T>, caller: Option<InstanceIdx>, buf: &mut [u64]| {
            let params: Vec<Val> = Val::read_all(&mut store.inner, ty.params(), buf).collect();
            let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
            func(Caller::new(store, caller), &params, &mut results)?;
            for (result, expected) in results.iter().zip(ty.results()) {
                if !result.matches_in(&store.inner, expected) {
                    return Err(Error::usage(format!(
                        "host function returned a {} where {expected} was expected",
                        result.ty()
                    )));
                }
            }
            Val::write_all(&store.inner, &results, buf)
        },
    )
}

/// A function with known parameter and result types, called with Rust values.
///
/// `Params` is `()`, one type, or a tuple of types; so is `Results`.
///
/// ```
/// let engine = weft::Engine::default();
/// let module = weft::Module::new(&engine, r#"(module (func (export "double") (param i32) (result i32)
///     local.get 0 local.get 0 i32.add))"#)?;
/// let mut store = weft::Store::new(&engine, ());
/// let instance = weft::Instance::new(&mut store, &module, &[])?;
/// let double = instance.get_typed_func::<i32, i32>(&mut store, "double")?;
/// assert_eq!(double.call(&mut store, 21)?, 42);
/// # Ok::<(), weft::Error>(())
/// ```
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<Params, Results> Clone for TypedFunc<Params, Results> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Params, Results> Copy for TypedFunc<Params, Results> {}

impl<Params, Results> core::fmt::Debug for TypedFunc<Params, Results> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TypedFunc")
            .field("func", &self.func)
            .finish()
    }
}

/// Most cells a typed call passes without allocating.
const INLINE_CELLS: usize = 16;

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }

    /// Calls the function.
    ///
    /// # Errors
    ///
    /// A [`Trap`](crate::Trap) if execution traps, the error of a host function, or a usage
    /// error if a reference argument belongs to another store.
    ///
    /// # Panics
    ///
    /// Never because of the store: a `TypedFunc` used with another store returns an error.
    pub fn call(&self, mut store: impl AsContextMut, params: Params) -> Result<Results> {
        let store = store.as_context_mut().0;
        self.func.check_store(&store.inner)?;
        let len = Params::LEN.max(Results::LEN);
        if len <= INLINE_CELLS {
            let mut buf = [0u64; INLINE_CELLS];
            let buf = buf.get_mut(..len).unwrap_or_default();
            params.store_raw(&store.inner, buf)?;
            crate::exec::invoke(store, self.func.index, buf)?;
            Ok(Results::load_raw(&mut store.inner, buf))
        } else {
            let mut buf = vec![0u64; len];
            params.store_raw(&store.inner, &mut buf)?;
            crate::exec::invoke(store, self.func.index, &mut buf)?;
            Ok(Results::load_raw(&mut store.inner, &buf))
        }
    }
}

/// The context of a host function call: the store (with the embedder's data) and the
/// instance whose code made the call.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<InstanceIdx>,
}

impl<'a, T> Caller<'a, T> {
    pub(crate) fn new(store: &'a mut Store<T>, instance: Option<InstanceIdx>) -> Self {
        Caller { store, instance }
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.store.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// The engine of the store.
    pub fn engine(&self) -> &crate::Engine {
        &self.store.inner.engine
    }

    /// Collects unreachable externrefs; see [`Store::gc`]. The frames of the wasm code that
    /// called the host function keep theirs.
    ///
    /// # Errors
    ///
    /// As [`Store::gc`].
    pub fn gc(&mut self, why: Option<&crate::GcHeapOutOfMemory<()>>) -> Result<()> {
        self.store.gc(why)
    }

    /// The fuel left in the store; see [`Store::get_fuel`].
    ///
    /// # Errors
    ///
    /// If the engine was not configured with `consume_fuel(true)`.
    pub fn get_fuel(&self) -> Result<u64> {
        self.store.get_fuel()
    }

    /// Sets the store's fuel; see [`Store::set_fuel`]. The wasm code that called the host
    /// function goes on with the new amount when the host function returns.
    ///
    /// # Errors
    ///
    /// If the engine was not configured with `consume_fuel(true)`.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.store.set_fuel(fuel)
    }

    /// The export `name` of the instance that called this host function, if the caller is a
    /// wasm instance and has such an export.
    ///
    /// ```
    /// use weft::{Caller, Engine, Instance, Linker, Module, Store};
    /// let engine = Engine::default();
    /// let mut linker = Linker::new(&engine);
    /// // The host reads a string the guest passes as (pointer, length).
    /// linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<String>>, ptr: u32, len: u32| {
    ///     let memory = caller.get_export("memory").and_then(|e| e.into_memory());
    ///     let memory = memory.ok_or_else(|| weft::format_err!("no memory export"))?;
    ///     let bytes = memory.data(&caller);
    ///     let text = bytes.get(ptr as usize..(ptr + len) as usize).unwrap_or_default();
    ///     let text = String::from_utf8_lossy(text).into_owned();
    ///     caller.data_mut().push(text);
    ///     Ok(())
    /// })?;
    /// let module = Module::new(&engine, r#"(module
    ///     (import "host" "log" (func $log (param i32 i32)))
    ///     (memory (export "memory") 1)
    ///     (data (i32.const 16) "hello")
    ///     (func (export "run") (call $log (i32.const 16) (i32.const 5))))"#)?;
    /// let mut store = Store::new(&engine, Vec::new());
    /// let instance = linker.instantiate(&mut store, &module)?;
    /// instance.get_typed_func::<(), ()>(&mut store, "run")?.call(&mut store, ())?;
    /// assert_eq!(store.data(), &["hello"]);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let instance = self.instance?;
        crate::instance::instance_export(&self.store.inner, instance, name)
    }

    /// The export `export` (found with
    /// [`Module::get_export_index`](crate::Module::get_export_index)) of the calling
    /// function's instance, without a lookup by name; `None` as for
    /// [`Caller::get_export`], or if the instance is not of `export`'s module.
    pub fn get_module_export(&mut self, export: &crate::ModuleExport) -> Option<Extern> {
        let instance = self.instance?;
        crate::instance::instance_module_export(&self.store.inner, instance, export)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}

pub(crate) mod private {
    use super::*;

    /// The conversions behind [`WasmTy`](super::WasmTy); sealed.
    pub trait WasmTyPrivate: Sized {
        /// How many 64-bit cells the value takes (two for a `v128`).
        const CELLS: usize = 1;
        fn valtype() -> ValType;
        /// Writes the value's cells to the front of `buf` (as many as fit).
        fn store_cells(self, store: &StoreInner, buf: &mut [u64]) -> Result<()>;
        /// The value whose cells are at the front of `buf` (missing cells read as 0).
        fn load_cells(store: &mut StoreInner, buf: &[u64]) -> Self;
    }

    /// Writes `raw`, a one-cell value, to the front of `buf` if it has room.
    pub(super) fn store_one(buf: &mut [u64], raw: u64) -> Result<()> {
        if let Some(cell) = buf.first_mut() {
            *cell = raw;
        }
        Ok(())
    }

    /// The first cell of `buf`, 0 if it is empty.
    pub(super) fn load_one(buf: &[u64]) -> u64 {
        buf.first().copied().unwrap_or(0)
    }

    /// The conversions behind [`WasmParams`](super::WasmParams) and
    /// [`WasmResults`](super::WasmResults); sealed.
    pub trait WasmListPrivate: Sized {
        const LEN: usize;
        fn valtypes(out: &mut Vec<ValType>);
        fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()>;
        fn load_raw(store: &mut StoreInner, buf: &[u64]) -> Self;
    }

    /// What a host closure may return; sealed.
    pub trait HostResultPrivate {
        fn valtypes(out: &mut Vec<ValType>);
        fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()>;
    }
}

use private::{HostResultPrivate, WasmListPrivate, WasmTyPrivate};

/// A Rust type that is one WebAssembly value: `i32`, `u32`, `i64`, `u64`, `f32`, `f64`,
/// [`V128`](crate::V128), `Option<Func>` (`funcref`) or `Option<Rooted<ExternRef>>`
/// (`externref`).
pub trait WasmTy: WasmTyPrivate {}

macro_rules! wasm_ty_int {
    ($($ty:ty => $vt:ident, $to:expr, $from:expr;)*) => {$(
        impl WasmTyPrivate for $ty {
            fn valtype() -> ValType {
                ValType::$vt
            }
            fn store_cells(self, _store: &StoreInner, buf: &mut [u64]) -> Result<()> {
                let to: fn($ty) -> u64 = $to;
                private::store_one(buf, to(self))
            }
            fn load_cells(_store: &mut StoreInner, buf: &[u64]) -> Self {
                let from: fn(u64) -> $ty = $from;
                from(private::load_one(buf))
            }
        }
        impl WasmTy for $ty {}
    )*};
}

wasm_ty_int! {
    i32 => I32, |v| u64::from(v as u32), |r| r as u32 as i32;
    u32 => I32, u64::from, |r| r as u32;
    i64 => I64, |v| v as u64, |r| r as i64;
    u64 => I64, |v| v, |r| r;
    f32 => F32, |v| u64::from(v.to_bits()), |r| f32::from_bits(r as u32);
    f64 => F64, f64::to_bits, f64::from_bits;
}

impl WasmTyPrivate for crate::V128 {
    const CELLS: usize = 2;
    fn valtype() -> ValType {
        ValType::V128
    }
    fn store_cells(self, _store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        for (cell, half) in buf.iter_mut().zip(self.to_cells()) {
            *cell = half;
        }
        Ok(())
    }
    fn load_cells(_store: &mut StoreInner, buf: &[u64]) -> Self {
        let cell = |i| buf.get(i).copied().unwrap_or(0);
        crate::V128::from_cells(cell(0), cell(1))
    }
}
impl WasmTy for crate::V128 {}

impl WasmTyPrivate for Option<Func> {
    fn valtype() -> ValType {
        ValType::FUNCREF
    }
    fn store_cells(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        private::store_one(buf, Val::FuncRef(self).to_cell(store)?)
    }
    fn load_cells(store: &mut StoreInner, buf: &[u64]) -> Self {
        private::load_one(buf).checked_sub(1).map(|i| Func {
            store: store.id,
            index: StoreFuncIdx::from_u32(i as u32),
        })
    }
}
impl WasmTy for Option<Func> {}

/// A non-null function reference, `(ref func)` (typed function references): it can be
/// passed where a `funcref` or a `(ref func)` is expected, and receive a `(ref func)` or
/// `(ref $t)` result.
impl WasmTyPrivate for Func {
    fn valtype() -> ValType {
        ValType::Ref(crate::RefType::new(false, crate::HeapType::Func))
    }
    fn store_cells(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        private::store_one(buf, Val::FuncRef(Some(self)).to_cell(store)?)
    }
    fn load_cells(store: &mut StoreInner, buf: &[u64]) -> Self {
        // The type check of `Func::typed` admits only non-null results; a null would
        // become a function that no store has, an error wherever it is used.
        let raw = private::load_one(buf);
        let index = raw.checked_sub(1).map_or(u32::MAX, |i| i as u32);
        Func {
            store: store.id,
            index: StoreFuncIdx::from_u32(index),
        }
    }
}
impl WasmTy for Func {}

impl WasmTyPrivate for Option<Rooted<ExternRef>> {
    fn valtype() -> ValType {
        ValType::EXTERNREF
    }
    fn store_cells(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        private::store_one(buf, Val::ExternRef(self).to_cell(store)?)
    }
    fn load_cells(store: &mut StoreInner, buf: &[u64]) -> Self {
        ExternRef::from_raw(store, private::load_one(buf))
    }
}
impl WasmTy for Option<Rooted<ExternRef>> {}

/// The parameters of a [`TypedFunc`]: `()`, one [`WasmTy`], or a tuple of up to 16.
pub trait WasmParams: WasmListPrivate {}

/// The results of a [`TypedFunc`]: `()`, one [`WasmTy`], or a tuple of up to 16.
pub trait WasmResults: WasmListPrivate {}

impl<A: WasmTy> WasmListPrivate for A {
    const LEN: usize = A::CELLS;
    fn valtypes(out: &mut Vec<ValType>) {
        out.push(A::valtype());
    }
    fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        self.store_cells(store, buf)
    }
    fn load_raw(store: &mut StoreInner, buf: &[u64]) -> Self {
        A::load_cells(store, buf)
    }
}
impl<A: WasmTy> WasmParams for A {}
impl<A: WasmTy> WasmResults for A {}

macro_rules! wasm_list_tuple {
    ($n:expr; $($t:ident $i:tt),*) => {
        impl<$($t: WasmTy),*> WasmListPrivate for ($($t,)*) {
            const LEN: usize = 0 $(+ $t::CELLS)*;
            #[allow(unused_variables)]
            fn valtypes(out: &mut Vec<ValType>) {
                $(out.push($t::valtype());)*
            }
            #[allow(unused_variables, unused_mut, unused_assignments)]
            fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
                let mut at = 0;
                $(
                    self.$i.store_cells(store, buf.get_mut(at..).unwrap_or_default())?;
                    at += $t::CELLS;
                )*
                Ok(())
            }
            #[allow(unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
            fn load_raw(store: &mut StoreInner, buf: &[u64]) -> Self {
                let mut at = 0;
                ($({
                    let value = $t::load_cells(store, buf.get(at..).unwrap_or_default());
                    at += $t::CELLS;
                    value
                },)*)
            }
        }
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {}
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {}
    };
}

wasm_list_tuple!(0;);
wasm_list_tuple!(1; A 0);
wasm_list_tuple!(2; A 0, B 1);
wasm_list_tuple!(3; A 0, B 1, C 2);
wasm_list_tuple!(4; A 0, B 1, C 2, D 3);
wasm_list_tuple!(5; A 0, B 1, C 2, D 3, E 4);
wasm_list_tuple!(6; A 0, B 1, C 2, D 3, E 4, F 5);
wasm_list_tuple!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
wasm_list_tuple!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
wasm_list_tuple!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
wasm_list_tuple!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
wasm_list_tuple!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
wasm_list_tuple!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
wasm_list_tuple!(13; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
wasm_list_tuple!(14; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
wasm_list_tuple!(15; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
wasm_list_tuple!(16; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

/// What a host closure may return: `()`, a [`WasmTy`], a tuple of them, or a `Result` of
/// any of those with a Weft [`Error`].
pub trait HostResult: HostResultPrivate {}

impl<R: WasmListPrivate> HostResultPrivate for R {
    fn valtypes(out: &mut Vec<ValType>) {
        R::valtypes(out);
    }
    fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        WasmListPrivate::store_raw(self, store, buf)
    }
}
impl<R: WasmListPrivate> HostResult for R {}

impl<R: WasmListPrivate> HostResultPrivate for Result<R> {
    fn valtypes(out: &mut Vec<ValType>) {
        R::valtypes(out);
    }
    fn store_raw(self, store: &StoreInner, buf: &mut [u64]) -> Result<()> {
        WasmListPrivate::store_raw(self?, store, buf)
    }
}
impl<R: WasmListPrivate> HostResult for Result<R> {}

/// A Rust closure usable as a host function; see [`Func::wrap`].
///
/// Implemented for `Fn(A1, ..., An) -> R` and `Fn(Caller<'_, T>, A1, ..., An) -> R` with up to
/// 16 parameters of [`WasmTy`] types and `R: HostResult`.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Arc<HostFn<T>>);
}

macro_rules! into_func {
    ($($t:ident $i:tt),*) => {
        impl<T: 'static, Fun, $($t: WasmTy + 'static,)* R: HostResult + 'static> IntoFunc<T, ($($t,)*), R> for Fun
        where
            Fun: Fn($($t),*) -> R + Send + Sync + 'static,
        {
            #[allow(unused_variables, unused_mut)]
            fn into_func(self) -> (FuncType, Arc<HostFn<T>>) {
                let params: Vec<ValType> = vec![$($t::valtype()),*];
                let mut results = Vec::new();
                R::valtypes(&mut results);
                let ty = FuncType::from_types(params, results);
                let host = Arc::new(move |store: &mut Store<T>, _caller: Option<InstanceIdx>, buf: &mut [u64]| {
                    let args = <($($t,)*) as WasmListPrivate>::load_raw(&mut store.inner, buf);
                    let result = self($(args.$i),*);
                    result.store_raw(&store.inner, buf)
                });
                (ty, host)
            }
        }

        impl<T: 'static, Fun, $($t: WasmTy + 'static,)* R: HostResult + 'static> IntoFunc<T, (Caller<'_, T>, $($t,)*), R> for Fun
        where
            Fun: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
        {
            #[allow(unused_variables, unused_mut)]
            fn into_func(self) -> (FuncType, Arc<HostFn<T>>) {
                let params: Vec<ValType> = vec![$($t::valtype()),*];
                let mut results = Vec::new();
                R::valtypes(&mut results);
                let ty = FuncType::from_types(params, results);
                let host = Arc::new(move |store: &mut Store<T>, caller: Option<InstanceIdx>, buf: &mut [u64]| {
                    let args = <($($t,)*) as WasmListPrivate>::load_raw(&mut store.inner, buf);
                    let result = self(Caller::new(store, caller), $(args.$i),*);
                    result.store_raw(&store.inner, buf)
                });
                (ty, host)
            }
        }
    };
}

into_func!();
into_func!(A 0);
into_func!(A 0, B 1);
into_func!(A 0, B 1, C 2);
into_func!(A 0, B 1, C 2, D 3);
into_func!(A 0, B 1, C 2, D 3, E 4);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

/// A host function definition not yet bound to a store (held by a [`Linker`](crate::Linker)).
pub(crate) struct HostFuncDef<T> {
    pub(crate) ty: FuncType,
    pub(crate) func: Arc<HostFn<T>>,
}

impl<T> Clone for HostFuncDef<T> {
    fn clone(&self) -> Self {
        HostFuncDef {
            ty: self.ty.clone(),
            func: self.func.clone(),
        }
    }
}

impl<T: 'static> HostFuncDef<T> {
    pub(crate) fn wrap<Params, Results>(func: impl IntoFunc<T, Params, Results>) -> Self {
        let (ty, func) = func.into_func();
        HostFuncDef { ty, func }
    }

    pub(crate) fn new(
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Self {
        HostFuncDef {
            func: dynamic_host_fn(ty.clone(), func),
            ty,
        }
    }

    /// Creates the function in `store`.
    pub(crate) fn to_func(&self, store: &mut Store<T>) -> Func {
        let index = store.push_host_func(self.ty.clone(), self.func.clone());
        Func {
            store: store.inner.id,
            index,
        }
    }
}
