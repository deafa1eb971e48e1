//! Values: what WebAssembly functions take and return, and what globals and tables hold.

use crate::error::Result;
use crate::exec::simd::V128;
use crate::func::Func;
use crate::gc::{ExternRef, Rooted};
use crate::store::StoreInner;
use crate::types::{HeapType, RefType, ValType};

/// A WebAssembly value (spec §4.2.1 "Values").
///
/// Floats are stored as their bits so that every NaN payload survives a round trip unchanged:
/// use [`f32::from_bits`] / [`f32::to_bits`] to convert.
#[derive(Debug, Clone, Copy)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits.
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
    /// A `v128`.
    V128(V128),
    /// A `funcref`: a function or null.
    FuncRef(Option<Func>),
    /// An `externref`: a host reference or null.
    ExternRef(Option<Rooted<ExternRef>>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
        }
    }

    /// Whether this value is of type `ty` in `store` (spec §3.3.3 "Matching", extended to
    /// values): numbers and vectors of their own type only; a null reference of every
    /// nullable type of its hierarchy; a function of `func` and of its own concrete
    /// function type; a host reference of `extern`.
    ///
    /// # Errors
    ///
    /// If the value is a function of another store.
    ///
    /// ```
    /// use weft::{ConcreteFuncType, Engine, Func, HeapType, RefType, Store, Val, ValType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let f = Func::wrap(&mut store, |x: i32| x);
    /// let own = HeapType::ConcreteFunc(ConcreteFuncType::new(&f.ty(&store)));
    /// let value = Val::FuncRef(Some(f));
    /// assert!(value.matches_ty(&store, &ValType::Ref(RefType::new(false, own)))?);
    /// assert!(value.matches_ty(&store, &ValType::FUNCREF)?);
    /// let null = Val::FuncRef(None);
    /// assert!(!null.matches_ty(&store, &ValType::Ref(RefType::new(false, HeapType::Func)))?);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn matches_ty(&self, store: impl crate::AsContext, ty: &ValType) -> Result<bool> {
        let inner = &store.as_context().0.inner;
        if let Val::FuncRef(Some(f)) = self {
            f.check_store(inner)?;
        }
        Ok(self.matches_in(inner, ty))
    }

    /// [`Val::matches_ty`] in `store`; a function of another store matches nothing.
    pub(crate) fn matches_in(&self, store: &StoreInner, ty: &ValType) -> bool {
        match (self, ty) {
            (Val::FuncRef(None), ValType::Ref(r)) => r.nullable && r.heap_type.is_func_hierarchy(),
            (Val::FuncRef(Some(f)), ValType::Ref(r)) => match r.heap_type {
                HeapType::Func => f.check_store(store).is_ok(),
                HeapType::ConcreteFunc(expected) => crate::func::func_type_ref(store, *f)
                    .is_ok_and(|actual| actual == expected.func_type()),
                _ => false,
            },
            (Val::ExternRef(None), ValType::Ref(r)) => {
                r.nullable && r.heap_type.top() == HeapType::Extern
            }
            (Val::ExternRef(Some(_)), ValType::Ref(r)) => r.heap_type == HeapType::Extern,
            (value, ty) => value.ty() == *ty,
        }
    }

    /// The zero value of `ty`: 0 for numbers, null for references (also for a non-nullable
    /// reference type, whose values are never null: see [`Val::default_for_ty`]).
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128::from(0)),
            ValType::Ref(ty) => Val::null_ref(ty),
        }
    }

    /// The default value of `ty`, as Wasmtime's `Val::default_for_ty`: 0 for numbers, null
    /// for nullable references, and `None` for the non-nullable references of typed
    /// function references, which have no default.
    ///
    /// ```
    /// use weft::{HeapType, RefType, Val, ValType};
    /// assert!(Val::default_for_ty(&ValType::FUNCREF).is_some());
    /// let non_null = ValType::Ref(RefType::new(false, HeapType::Func));
    /// assert!(Val::default_for_ty(&non_null).is_none());
    /// ```
    pub fn default_for_ty(ty: &ValType) -> Option<Val> {
        ty.is_defaultable().then(|| Val::default_for(*ty))
    }

    /// The null reference of `ty`.
    pub fn null_ref(ty: RefType) -> Val {
        match ty.heap_type.top() {
            HeapType::Extern => Val::ExternRef(None),
            _ => Val::FuncRef(None),
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The `v128`, if this is one.
    pub fn v128(&self) -> Option<V128> {
        if let Val::V128(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `v128`.
    ///
    /// # Panics
    ///
    /// If the value is not a `v128`.
    pub fn unwrap_v128(&self) -> V128 {
        self.v128()
            .unwrap_or_else(|| panic!("expected v128, found {}", self.ty()))
    }

    /// The `funcref`, if this is one (`Some(None)` is a null funcref).
    pub fn funcref(&self) -> Option<Option<&Func>> {
        if let Val::FuncRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }

    /// The `externref`, if this is one (`Some(None)` is a null externref).
    pub fn externref(&self) -> Option<Option<&Rooted<ExternRef>>> {
        if let Val::ExternRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }

    /// The `externref` (`None` if null).
    ///
    /// # Panics
    ///
    /// If the value is not an `externref`.
    pub fn unwrap_externref(&self) -> Option<&Rooted<ExternRef>> {
        self.externref()
            .unwrap_or_else(|| panic!("expected externref, found {}", self.ty()))
    }

    /// The `funcref` (`None` if null).
    ///
    /// # Panics
    ///
    /// If the value is not a `funcref`.
    pub fn unwrap_funcref(&self) -> Option<&Func> {
        self.funcref()
            .unwrap_or_else(|| panic!("expected funcref, found {}", self.ty()))
    }

    /// The `i32`.
    ///
    /// # Panics
    ///
    /// If the value is not an `i32`.
    pub fn unwrap_i32(&self) -> i32 {
        self.i32()
            .unwrap_or_else(|| panic!("expected i32, found {}", self.ty()))
    }

    /// The `i64`.
    ///
    /// # Panics
    ///
    /// If the value is not an `i64`.
    pub fn unwrap_i64(&self) -> i64 {
        self.i64()
            .unwrap_or_else(|| panic!("expected i64, found {}", self.ty()))
    }

    /// The `f32`.
    ///
    /// # Panics
    ///
    /// If the value is not an `f32`.
    pub fn unwrap_f32(&self) -> f32 {
        self.f32()
            .unwrap_or_else(|| panic!("expected f32, found {}", self.ty()))
    }

    /// The `f64`.
    ///
    /// # Panics
    ///
    /// If the value is not an `f64`.
    pub fn unwrap_f64(&self) -> f64 {
        self.f64()
            .unwrap_or_else(|| panic!("expected f64, found {}", self.ty()))
    }

    /// Writes this value's cells (one, or two for a `v128`: low 64 bits first) to the front
    /// of `out`, which must be long enough, and returns how many it wrote.
    pub(crate) fn to_cells(self, store: &StoreInner, out: &mut [u64]) -> Result<usize> {
        let written = match (self, out) {
            (Val::V128(v), [lo, hi, ..]) => {
                [*lo, *hi] = v.to_cells();
                2
            }
            (Val::V128(_), _) | (_, []) => {
                return Err(<crate::error::Error as crate::error::ErrorCtor>::usage(
                    "too few cells for a value",
                ));
            }
            (other, [cell, ..]) => {
                *cell = other.to_cell(store)?;
                1
            }
        };
        Ok(written)
    }

    /// The value of type `ty` at the front of `cells` (missing cells read as 0).
    pub(crate) fn from_cells(store: &mut StoreInner, ty: ValType, cells: &[u64]) -> Val {
        let cell = |i: usize| cells.get(i).copied().unwrap_or(0);
        let raw = cell(0);
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::V128 => Val::V128(V128::from_cells(raw, cell(1))),
            ValType::Ref(RefType { heap_type, .. }) if heap_type.top() == HeapType::Extern => {
                Val::ExternRef(ExternRef::from_raw(store, raw))
            }
            ValType::Ref(_) => Val::FuncRef(raw.checked_sub(1).map(|i| Func {
                store: store.id,
                index: crate::index::StoreFuncIdx::from_u32(i as u32),
            })),
        }
    }

    /// Writes `vals` (of types `types`) to `out`, one after the other by cell width.
    pub(crate) fn write_all(store: &StoreInner, vals: &[Val], out: &mut [u64]) -> Result<()> {
        let mut at = 0;
        for val in vals {
            at += val.to_cells(store, out.get_mut(at..).unwrap_or_default())?;
        }
        Ok(())
    }

    /// The values of types `types` laid out one after the other by cell width in `cells`.
    pub(crate) fn read_all<'a>(
        store: &'a mut StoreInner,
        types: &'a [ValType],
        cells: &'a [u64],
    ) -> impl Iterator<Item = Val> + 'a {
        let mut at = 0;
        types.iter().map(move |ty| {
            let val = Val::from_cells(&mut *store, *ty, cells.get(at..).unwrap_or_default());
            at += ty.cells();
            val
        })
    }

    /// The one cell of this value in `store` (see `store.rs`). A `v128` takes two cells and
    /// is an error here: [`Val::to_cells`] writes it.
    pub(crate) fn to_cell(self, store: &StoreInner) -> Result<u64> {
        Ok(match &self {
            Val::V128(_) => {
                return Err(<crate::error::Error as crate::error::ErrorCtor>::usage(
                    "a v128 takes two cells",
                ));
            }
            Val::I32(v) => u64::from(*v as u32),
            Val::I64(v) => *v as u64,
            Val::F32(v) => u64::from(*v),
            Val::F64(v) => *v,
            Val::FuncRef(None) | Val::ExternRef(None) => 0,
            Val::FuncRef(Some(f)) => {
                f.check_store(store)?;
                u64::from(f.index.as_u32()) + 1
            }
            Val::ExternRef(Some(r)) => r.to_raw(store)?,
        })
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl From<V128> for Val {
    fn from(v: V128) -> Val {
        Val::V128(v)
    }
}

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

impl From<Rooted<ExternRef>> for Val {
    fn from(r: Rooted<ExternRef>) -> Val {
        Val::ExternRef(Some(r))
    }
}

impl From<Option<Rooted<ExternRef>>> for Val {
    fn from(r: Option<Rooted<ExternRef>>) -> Val {
        Val::ExternRef(r)
    }
}

impl From<Option<Func>> for Val {
    fn from(f: Option<Func>) -> Val {
        Val::FuncRef(f)
    }
}

/// A reference value: what a table holds (Wasmtime's `Ref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ref {
    /// A `funcref`: a function or null.
    Func(Option<Func>),
    /// An `externref`: a host reference or null.
    Extern(Option<Rooted<ExternRef>>),
}

impl Ref {
    /// The null reference of `heap_type`.
    pub fn null(heap_type: &HeapType) -> Ref {
        match heap_type.top() {
            HeapType::Extern => Ref::Extern(None),
            _ => Ref::Func(None),
        }
    }

    /// Whether this is a null reference.
    pub fn is_null(&self) -> bool {
        matches!(self, Ref::Func(None) | Ref::Extern(None))
    }

    /// Whether this is a non-null reference.
    pub fn is_non_null(&self) -> bool {
        !self.is_null()
    }

    /// The `funcref`, if this is one (`Some(None)` is a null funcref).
    pub fn as_func(&self) -> Option<Option<&Func>> {
        match self {
            Ref::Func(f) => Some(f.as_ref()),
            Ref::Extern(_) => None,
        }
    }

    /// The `externref`, if this is one (`Some(None)` is a null externref).
    pub fn as_extern(&self) -> Option<Option<&Rooted<ExternRef>>> {
        match self {
            Ref::Extern(r) => Some(r.as_ref()),
            Ref::Func(_) => None,
        }
    }

    /// The `funcref` (`None` if null).
    ///
    /// # Panics
    ///
    /// If this is not a `funcref`.
    pub fn unwrap_func(&self) -> Option<&Func> {
        match self.as_func() {
            Some(f) => f,
            None => panic!("expected a funcref, found an externref"),
        }
    }

    /// The `externref` (`None` if null).
    ///
    /// # Panics
    ///
    /// If this is not an `externref`.
    pub fn unwrap_extern(&self) -> Option<&Rooted<ExternRef>> {
        match self.as_extern() {
            Some(r) => r,
            None => panic!("expected an externref, found a funcref"),
        }
    }

    /// The reference as a [`Val`].
    pub fn into_val(self) -> Val {
        self.into()
    }
}

impl From<Ref> for Val {
    fn from(r: Ref) -> Val {
        match r {
            Ref::Func(f) => Val::FuncRef(f),
            Ref::Extern(e) => Val::ExternRef(e),
        }
    }
}

impl From<Func> for Ref {
    fn from(f: Func) -> Ref {
        Ref::Func(Some(f))
    }
}

impl From<Option<Func>> for Ref {
    fn from(f: Option<Func>) -> Ref {
        Ref::Func(f)
    }
}

impl From<Rooted<ExternRef>> for Ref {
    fn from(r: Rooted<ExternRef>) -> Ref {
        Ref::Extern(Some(r))
    }
}

impl From<Option<Rooted<ExternRef>>> for Ref {
    fn from(r: Option<Rooted<ExternRef>>) -> Ref {
        Ref::Extern(r)
    }
}

impl Val {
    /// The value as a [`Ref`], if it is a reference.
    pub fn ref_(self) -> Option<Ref> {
        match self {
            Val::FuncRef(f) => Some(Ref::Func(f)),
            Val::ExternRef(e) => Some(Ref::Extern(e)),
            _ => None,
        }
    }
}
