//! `externref`s and their collection: [`ExternRef`], [`Rooted`], [`OwnedRooted`],
//! [`RootScope`] and [`GcHeapOutOfMemory`], with Wasmtime 48's API.
//!
//! A store's externrefs live in its [`ExternRefHeap`]: one slot per host value. Wasm holds
//! an externref as its raw cell (slot index plus one, 0 for null) in locals, operands,
//! globals and tables. The host holds one through a root:
//!
//! - a [`Rooted`] is an entry of the store's LIFO root list, valid until the
//!   [`RootScope`] it was made in ends (or, made outside any scope, until the store is
//!   dropped); every call of a host function from wasm is such a scope, so the roots of its
//!   arguments and of what it makes go when it returns;
//! - an [`OwnedRooted`] is rooted until it (and every clone of it) is dropped.
//!
//! A collection ([`Store::gc`](crate::Store::gc), or automatically when the number of
//! live externrefs has doubled since the last one) frees every externref that no root,
//! global, table or active wasm frame holds, and drops its host value. Wasm frames are
//! scanned conservatively: the cells of every run suspended in a host call (see
//! `exec::SuspendedFrames`) that look like an externref keep it alive. That can keep an
//! unreachable externref a while longer, never free a reachable one. Collections happen
//! only in host code (wasm cannot make externrefs), where those runs are suspended.

use crate::context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::ExternRefIdx;
use crate::store::{StoreId, StoreInner};
use crate::types::HeapType;
use core::any::Any;
use core::fmt;
use std::sync::Arc;

/// How many live externrefs a store holds before its first automatic collection.
const FIRST_COLLECTION: usize = 1024;

/// A store's externrefs and the roots the host holds to them.
#[derive(Default)]
pub(crate) struct ExternRefHeap {
    /// The host values, by slot; `None` for a free slot.
    slots: Vec<Option<Box<dyn Any + Send + Sync>>>,
    /// Free slots, reused first.
    free: Vec<u32>,
    /// Occupied slots.
    live: usize,
    /// A collection runs when `live` reaches this (0: [`FIRST_COLLECTION`]).
    next_collection: usize,
    /// The LIFO roots ([`Rooted`]), innermost last.
    lifo: Vec<Root>,
    /// The owned roots ([`OwnedRooted`]), by index; `None` for a free entry.
    owned: Vec<Option<(Root, Arc<()>)>>,
    /// Free entries of `owned`.
    owned_free: Vec<u32>,
    /// The generation the next root gets: a root's index can be reused, its generation not.
    next_generation: u64,
}

/// One root: the slot it keeps alive and the generation that tells it from the roots that
/// held the same index before.
#[derive(Debug, Clone, Copy)]
struct Root {
    slot: ExternRefIdx,
    generation: u64,
}

/// Which root an [`ExternRef`] handle goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RootId {
    Lifo { index: u32, generation: u64 },
    Owned { index: u32, generation: u64 },
}

impl ExternRefHeap {
    /// The number of externrefs alive (not yet collected).
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// The host value of `slot`.
    fn value(&self, slot: ExternRefIdx) -> Option<&(dyn Any + Send + Sync)> {
        self.slots.get(slot.index())?.as_deref()
    }

    fn value_mut(&mut self, slot: ExternRefIdx) -> Option<&mut (dyn Any + Send + Sync)> {
        self.slots.get_mut(slot.index())?.as_deref_mut()
    }

    /// Whether the raw cell `raw` names an occupied slot.
    pub(crate) fn contains_raw(&self, raw: u64) -> bool {
        raw.checked_sub(1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.slots.get(i))
            .is_some_and(Option::is_some)
    }

    fn alloc(&mut self, value: Box<dyn Any + Send + Sync>) -> Result<ExternRefIdx> {
        self.live += 1;
        if let Some(slot) = self.free.pop()
            && let Some(entry) = self.slots.get_mut(slot as usize)
        {
            *entry = Some(value);
            return Ok(ExternRefIdx::from_u32(slot));
        }
        let slot = u32::try_from(self.slots.len())
            .ok()
            .filter(|&s| s < u32::MAX - 1)
            .ok_or_else(|| Error::resource("a store holds at most 2^32 - 2 externrefs"))?;
        self.slots.push(Some(value));
        Ok(ExternRefIdx::from_u32(slot))
    }

    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Roots `slot` in the LIFO list.
    fn push_lifo(&mut self, slot: ExternRefIdx) -> RootId {
        let generation = self.generation();
        let index = self.lifo.len() as u32;
        self.lifo.push(Root { slot, generation });
        RootId::Lifo { index, generation }
    }

    /// Roots `slot` until the returned flag's last clone is dropped.
    fn push_owned(&mut self, slot: ExternRefIdx) -> (RootId, Arc<()>) {
        let generation = self.generation();
        let alive = Arc::new(());
        let root = Some((Root { slot, generation }, alive.clone()));
        let index = match self.owned_free.pop() {
            Some(index) if (index as usize) < self.owned.len() => {
                if let Some(entry) = self.owned.get_mut(index as usize) {
                    *entry = root;
                }
                index
            }
            _ => {
                self.owned.push(root);
                (self.owned.len() - 1) as u32
            }
        };
        (RootId::Owned { index, generation }, alive)
    }

    /// The slot `root` keeps alive, if it is still rooted.
    fn resolve(&self, root: RootId) -> Option<ExternRefIdx> {
        let found = match root {
            RootId::Lifo { index, generation } => self
                .lifo
                .get(index as usize)
                .filter(|r| r.generation == generation),
            RootId::Owned { index, generation } => self
                .owned
                .get(index as usize)
                .and_then(Option::as_ref)
                .map(|(r, _)| r)
                .filter(|r| r.generation == generation),
        };
        found.map(|r| r.slot)
    }

    /// The length of the LIFO list, where a scope starts.
    pub(crate) fn lifo_len(&self) -> usize {
        self.lifo.len()
    }

    /// Ends the scope that started at `len`: its roots go.
    pub(crate) fn truncate_lifo(&mut self, len: usize) {
        self.lifo.truncate(len);
    }
}

/// Collects `inner`'s externrefs that nothing holds (see the module docs).
pub(crate) fn collect(inner: &mut StoreInner) {
    let heap = &mut inner.externrefs;
    let mut marked = vec![false; heap.slots.len()];
    let mut mark = |raw: u64| {
        if let Some(m) = raw
            .checked_sub(1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| marked.get_mut(i))
        {
            *m = true;
        }
    };
    for root in &heap.lifo {
        mark(u64::from(root.slot.as_u32()) + 1);
    }
    for (index, entry) in heap.owned.iter_mut().enumerate() {
        // The store's clone of the flag is the last one: every handle was dropped.
        if entry
            .as_ref()
            .is_some_and(|(_, alive)| Arc::strong_count(alive) == 1)
        {
            *entry = None;
            heap.owned_free.push(index as u32);
        }
        if let Some((root, _)) = entry {
            mark(u64::from(root.slot.as_u32()) + 1);
        }
    }
    for (_, table) in inner.tables.iter() {
        if table.ty.element().heap_type.top() == HeapType::Extern {
            table.elements.iter().for_each(|&raw| mark(raw));
        }
    }
    for (_, global) in inner.globals.iter() {
        if matches!(global.ty.content(), crate::ValType::Ref(r) if r.heap_type.top() == HeapType::Extern)
        {
            mark(global.value);
        }
    }
    crate::exec::scan_suspended(&inner.suspended, &mut mark);
    let heap = &mut inner.externrefs;
    for (slot, (value, marked)) in heap.slots.iter_mut().zip(&marked).enumerate() {
        if value.is_some() && !marked {
            *value = None;
            heap.free.push(slot as u32);
            heap.live -= 1;
        }
    }
    heap.next_collection = (heap.live * 2).max(FIRST_COLLECTION);
}

/// Collects if the live externrefs have doubled since the last collection.
fn maybe_collect(inner: &mut StoreInner) {
    let threshold = match inner.externrefs.next_collection {
        0 => FIRST_COLLECTION,
        n => n,
    };
    if inner.externrefs.live >= threshold {
        collect(inner);
    }
}

/// A non-null `externref`: an opaque host value that WebAssembly can hold and pass around.
///
/// The host holds one as a [`Rooted<ExternRef>`] or an [`OwnedRooted<ExternRef>`], which
/// dereference to `ExternRef`; see the module docs for when it is freed.
///
/// ```
/// use weft::{ExternRef, Rooted};
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, ());
/// let r: Rooted<ExternRef> = ExternRef::new(&mut store, 42_u32)?;
/// let data = r.data(&store)?.expect("host data");
/// assert_eq!(data.downcast_ref::<u32>(), Some(&42));
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef {
    store: StoreId,
    root: RootId,
}

impl ExternRef {
    /// Stores `value` in the store as a new externref, rooted in the current scope.
    ///
    /// May first collect the store's unreachable externrefs (when their number has doubled
    /// since the last collection).
    ///
    /// # Errors
    ///
    /// A resource error if the store already holds 2^32 - 2 externrefs.
    pub fn new<T>(mut store: impl AsContextMut, value: T) -> Result<Rooted<ExternRef>>
    where
        T: 'static + Any + Send + Sync,
    {
        let inner = &mut store.as_context_mut().0.inner;
        maybe_collect(inner);
        let slot = inner.externrefs.alloc(Box::new(value))?;
        Ok(Rooted {
            inner: ExternRef {
                store: inner.id,
                root: inner.externrefs.push_lifo(slot),
            },
        })
    }

    /// The slot this handle's root keeps alive.
    pub(crate) fn slot(&self, inner: &StoreInner) -> Result<ExternRefIdx> {
        if self.store != inner.id {
            return Err(Error::usage(
                "externref used with a store other than its own",
            ));
        }
        inner.externrefs.resolve(self.root).ok_or_else(|| {
            Error::usage("externref used after its `RootScope` ended (it is no longer rooted)")
        })
    }

    /// The host value. Always `Some` (Wasmtime returns `None` for an `anyref` converted to
    /// an externref, which Weft does not have).
    ///
    /// # Errors
    ///
    /// A usage error if the handle belongs to another store or its root is gone (a
    /// [`Rooted`] whose [`RootScope`] ended).
    pub fn data<'a, T>(
        &self,
        store: impl Into<StoreContext<'a, T>>,
    ) -> Result<Option<&'a (dyn Any + Send + Sync)>>
    where
        T: 'static,
    {
        let inner = &store.into().0.inner;
        let slot = self.slot(inner)?;
        Ok(inner.externrefs.value(slot))
    }

    /// The host value, mutably; as [`ExternRef::data`].
    ///
    /// # Errors
    ///
    /// As [`ExternRef::data`].
    pub fn data_mut<'a, T>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> Result<Option<&'a mut (dyn Any + Send + Sync)>>
    where
        T: 'static,
    {
        let inner = &mut store.into().0.inner;
        let slot = self.slot(inner)?;
        Ok(inner.externrefs.value_mut(slot))
    }

    /// The raw cell of this reference (slot index plus one).
    pub(crate) fn to_raw(self, inner: &StoreInner) -> Result<u64> {
        Ok(u64::from(self.slot(inner)?.as_u32()) + 1)
    }

    /// The reference whose raw cell is `raw` (0 for null), rooted in the current scope.
    /// A raw cell that names no live externref (which verified code cannot make) is null.
    pub(crate) fn from_raw(inner: &mut StoreInner, raw: u64) -> Option<Rooted<ExternRef>> {
        if !inner.externrefs.contains_raw(raw) {
            return None;
        }
        let slot = ExternRefIdx::from_u32(raw.checked_sub(1)? as u32);
        Some(Rooted {
            inner: ExternRef {
                store: inner.id,
                root: inner.externrefs.push_lifo(slot),
            },
        })
    }
}

/// A GC reference rooted in the store's LIFO root list: valid until the [`RootScope`] it
/// was made in ends (made outside any scope, until the store is dropped). `Copy`, and
/// dereferences to the reference (`Rooted<ExternRef>` to [`ExternRef`]).
///
/// Using it after its scope ended is an error, never a use of another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rooted<T> {
    inner: T,
}

impl<T> core::ops::Deref for Rooted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: PartialEq> Rooted<T> {
    /// Whether `a` and `b` are the same root (not merely roots of the same reference; see
    /// [`Rooted::ref_eq`]).
    pub fn rooted_eq(a: Rooted<T>, b: Rooted<T>) -> bool {
        a.inner == b.inner
    }
}

impl Rooted<ExternRef> {
    /// Whether `a` and `b` are the same externref (not merely equal host values).
    ///
    /// # Errors
    ///
    /// As [`ExternRef::data`], for either handle.
    pub fn ref_eq(store: impl AsContext, a: &ExternRef, b: &ExternRef) -> Result<bool> {
        let inner = &store.as_context().0.inner;
        Ok(a.slot(inner)? == b.slot(inner)?)
    }

    /// An [`OwnedRooted`] for the same externref, which outlives this root's scope.
    ///
    /// # Errors
    ///
    /// As [`ExternRef::data`].
    pub fn to_owned_rooted(&self, mut store: impl AsContextMut) -> Result<OwnedRooted<ExternRef>> {
        let inner = &mut store.as_context_mut().0.inner;
        let slot = self.slot(inner)?;
        let (root, alive) = inner.externrefs.push_owned(slot);
        Ok(OwnedRooted {
            inner: ExternRef {
                store: inner.id,
                root,
            },
            _alive: alive,
        })
    }
}

/// A GC reference rooted until it and all its clones are dropped (Wasmtime's
/// `OwnedRooted`); dereferences to the reference. The store notices the drop at its next
/// collection.
#[derive(Debug, Clone)]
pub struct OwnedRooted<T> {
    inner: T,
    /// Shared with the store's entry: when only the store's is left, the root is gone.
    _alive: Arc<()>,
}

impl<T> core::ops::Deref for OwnedRooted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl OwnedRooted<ExternRef> {
    /// A [`Rooted`] for the same externref in the current scope.
    ///
    /// # Panics
    ///
    /// If `store` is not the externref's store (as in Wasmtime).
    pub fn to_rooted(&self, mut store: impl AsContextMut) -> Rooted<ExternRef> {
        let inner = &mut store.as_context_mut().0.inner;
        let slot = match self.slot(inner) {
            Ok(slot) => slot,
            Err(e) => panic!("{e}"),
        };
        Rooted {
            inner: ExternRef {
                store: inner.id,
                root: inner.externrefs.push_lifo(slot),
            },
        }
    }

    /// Whether `a` and `b` are the same externref; as [`Rooted::ref_eq`].
    ///
    /// # Errors
    ///
    /// As [`Rooted::ref_eq`].
    pub fn ref_eq(store: impl AsContext, a: &ExternRef, b: &ExternRef) -> Result<bool> {
        Rooted::ref_eq(store, a, b)
    }
}

/// A scope of [`Rooted`] references: those made while it lives are unrooted when it is
/// dropped. Dereferences to the store context it borrows, so the store is used through it.
///
/// ```
/// use weft::{ExternRef, RootScope, Store};
/// let engine = weft::Engine::default();
/// let mut store = Store::new(&engine, ());
/// let kept = {
///     let mut scope = RootScope::new(&mut store);
///     let r = ExternRef::new(&mut scope, "scoped")?;
///     assert!(r.data(&scope)?.is_some());
///     r
/// };
/// assert!(kept.data(&store).is_err()); // its scope ended
/// store.gc(None)?; // frees it: nothing holds it
/// # Ok::<(), weft::Error>(())
/// ```
pub struct RootScope<C: AsContextMut> {
    store: C,
    /// The LIFO list's length when the scope began.
    len: usize,
}

impl<C: AsContextMut> RootScope<C> {
    /// Begins a scope over `store`.
    pub fn new(mut store: C) -> RootScope<C> {
        let len = store.as_context_mut().0.inner.externrefs.lifo_len();
        RootScope { store, len }
    }
}

impl<C: AsContextMut> RootScope<C> {
    /// Makes room for `additional` more roots in the scope without reallocating.
    pub fn reserve(&mut self, additional: usize) {
        self.store
            .as_context_mut()
            .0
            .inner
            .externrefs
            .lifo
            .reserve(additional);
    }
}

impl<C: AsContextMut> Drop for RootScope<C> {
    fn drop(&mut self) {
        let len = self.len;
        self.store
            .as_context_mut()
            .0
            .inner
            .externrefs
            .truncate_lifo(len);
    }
}

impl<C: AsContextMut> AsContext for RootScope<C> {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        self.store.as_context()
    }
}

impl<C: AsContextMut> AsContextMut for RootScope<C> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        self.store.as_context_mut()
    }
}

/// The error of an allocation that found the GC heap full, holding the value that was to
/// be stored (Wasmtime's type). Weft's externrefs are limited only by count (2^32 - 2), so
/// Weft does not return it; [`Store::gc`](crate::Store::gc) takes one for Wasmtime's
/// signature.
pub struct GcHeapOutOfMemory<T> {
    inner: T,
}

impl<T> GcHeapOutOfMemory<T> {
    /// The value that was to be stored.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The value, and the error without it (to pass to [`Store::gc`](crate::Store::gc)).
    pub fn take_inner(self) -> (T, GcHeapOutOfMemory<()>) {
        (self.inner, GcHeapOutOfMemory { inner: () })
    }
}

impl<T> fmt::Debug for GcHeapOutOfMemory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<T> fmt::Display for GcHeapOutOfMemory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GC heap out of memory")
    }
}

impl<T> core::error::Error for GcHeapOutOfMemory<T> {}
