//! Values: what WebAssembly functions take and return, and what globals and tables hold.

use crate::context::AsContextMut;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::func::Func;
use crate::index::ExternRefIdx;
use crate::store::{StoreId, StoreInner};
use crate::types::{HeapType, RefType, ValType};
use core::any::Any;

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
    /// A `funcref`: a function or null.
    FuncRef(Option<Func>),
    /// An `externref`: a host reference or null.
    ExternRef(Option<ExternRef>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
        }
    }

    /// The zero value of `ty`: 0 for numbers, null for references.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::Ref(ty) => Val::null_ref(ty),
        }
    }

    /// The default value of `ty`, as Wasmtime's `Val::default_for_ty`: 0 for numbers, null
    /// for references. Every type Weft has has a default, so this is never `None`; the
    /// `Option` is for code written against Wasmtime, whose non-nullable references have none.
    pub fn default_for_ty(ty: &ValType) -> Option<Val> {
        Some(Val::default_for(*ty))
    }

    /// The null reference of `ty`.
    pub fn null_ref(ty: RefType) -> Val {
        match ty.heap_type {
            HeapType::Func => Val::FuncRef(None),
            HeapType::Extern => Val::ExternRef(None),
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

    /// The `funcref`, if this is one (`Some(None)` is a null funcref).
    pub fn funcref(&self) -> Option<Option<&Func>> {
        if let Val::FuncRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
    }

    /// The `externref`, if this is one (`Some(None)` is a null externref).
    pub fn externref(&self) -> Option<Option<&ExternRef>> {
        if let Val::ExternRef(v) = self {
            Some(v.as_ref())
        } else {
            None
        }
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

    /// The raw cell of this value in `store` (see `store.rs`).
    pub(crate) fn to_raw(self, store: &StoreInner) -> Result<u64> {
        Ok(match &self {
            Val::I32(v) => u64::from(*v as u32),
            Val::I64(v) => *v as u64,
            Val::F32(v) => u64::from(*v),
            Val::F64(v) => *v,
            Val::FuncRef(None) | Val::ExternRef(None) => 0,
            Val::FuncRef(Some(f)) => {
                f.check_store(store)?;
                u64::from(f.index.as_u32()) + 1
            }
            Val::ExternRef(Some(r)) => {
                r.check_store(store)?;
                r.to_raw()
            }
        })
    }

    /// The value of type `ty` whose raw cell is `raw`.
    pub(crate) fn from_raw(store: &StoreInner, ty: ValType, raw: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::Ref(RefType {
                heap_type: HeapType::Func,
                ..
            }) => Val::FuncRef(raw.checked_sub(1).map(|i| Func {
                store: store.id,
                index: crate::index::StoreFuncIdx::from_u32(i as u32),
            })),
            ValType::Ref(RefType {
                heap_type: HeapType::Extern,
                ..
            }) => Val::ExternRef(ExternRef::from_raw(store, raw)),
        }
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

impl From<Func> for Val {
    fn from(f: Func) -> Val {
        Val::FuncRef(Some(f))
    }
}

impl From<ExternRef> for Val {
    fn from(r: ExternRef) -> Val {
        Val::ExternRef(Some(r))
    }
}

/// A non-null `externref`: an opaque host value that WebAssembly can hold and pass around.
///
/// The value lives in the store until the store is dropped.
///
/// ```
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, ());
/// let r = weft::ExternRef::new(&mut store, 42_u32);
/// assert_eq!(r.data(&store).downcast_ref::<u32>(), Some(&42));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store: StoreId,
    pub(crate) index: ExternRefIdx,
}

impl ExternRef {
    /// Stores `value` in the store and returns a reference to it.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> ExternRef {
        let inner = &mut store.as_context_mut().0.inner;
        let index = inner.externrefs.push(Box::new(value));
        ExternRef {
            store: inner.id,
            index,
        }
    }

    /// The host value.
    ///
    /// # Panics
    ///
    /// If `store` is not the store the reference was created in.
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
    ) -> &'a (dyn Any + Send + Sync) {
        let store = store.into().0;
        assert_eq!(
            store.inner.id, self.store,
            "ExternRef used with the wrong store"
        );
        match store.inner.externrefs.get(self.index) {
            Some(value) => value.as_ref(),
            None => panic!("ExternRef used with the wrong store"),
        }
    }

    /// The reference whose raw cell (index plus one, 0 for null) is `raw`, in `store`.
    pub(crate) fn from_raw(store: &StoreInner, raw: u64) -> Option<ExternRef> {
        raw.checked_sub(1).map(|index| ExternRef {
            store: store.id,
            index: ExternRefIdx::from_u32(index as u32),
        })
    }

    /// This reference's raw cell: its index plus one.
    pub(crate) fn to_raw(self) -> u64 {
        u64::from(self.index.as_u32()) + 1
    }

    pub(crate) fn check_store(&self, store: &StoreInner) -> Result<()> {
        if self.store == store.id {
            Ok(())
        } else {
            Err(Error::usage("externref belongs to another store"))
        }
    }
}
