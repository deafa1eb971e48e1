//! Store contexts: how API functions reach the store, whether they are handed a `Store<T>`, a
//! `&mut Store<T>` or a [`Caller`](crate::Caller).

use crate::store::Store;

/// A shared borrow of a [`Store<T>`].
pub struct StoreContext<'a, T>(pub(crate) &'a Store<T>);

/// An exclusive borrow of a [`Store<T>`].
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut Store<T>);

/// Something that can lend a store for reading: `Store<T>`, a `Caller<'_, T>`, or a borrow of
/// either.
pub trait AsContext {
    /// The embedder's data type of the store.
    type Data;

    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Something that can lend a store for writing: `Store<T>`, a `Caller<'_, T>`, or a mutable
/// borrow of either.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

impl<'a, T> StoreContext<'a, T> {
    /// The embedder's data.
    pub fn data(&self) -> &'a T {
        &self.0.data
    }

    /// The engine of the store.
    pub fn engine(&self) -> &'a crate::Engine {
        &self.0.inner.engine
    }
}

impl<T> StoreContextMut<'_, T> {
    /// Collects unreachable externrefs; see [`Store::gc`].
    ///
    /// # Errors
    ///
    /// As [`Store::gc`].
    pub fn gc(&mut self, why: Option<&crate::GcHeapOutOfMemory<()>>) -> crate::Result<()> {
        self.0.gc(why)
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.0.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }

    /// The engine of the store.
    pub fn engine(&self) -> &crate::Engine {
        &self.0.inner.engine
    }
}

/// Any borrow of something that lends a store (`&Store<T>`, `&Caller<'_, T>`,
/// `&&mut Store<T>`, ...) is a [`StoreContext`], as in Wasmtime.
impl<'a, C: AsContext + ?Sized> From<&'a C> for StoreContext<'a, C::Data> {
    fn from(context: &'a C) -> Self {
        C::as_context(context)
    }
}

impl<'a, C: AsContextMut + ?Sized> From<&'a mut C> for StoreContext<'a, C::Data> {
    fn from(context: &'a mut C) -> Self {
        C::as_context(context)
    }
}

impl<'a, C: AsContextMut + ?Sized> From<&'a mut C> for StoreContextMut<'a, C::Data> {
    fn from(context: &'a mut C) -> Self {
        C::as_context_mut(context)
    }
}

impl<'a, T> From<StoreContextMut<'a, T>> for StoreContext<'a, T> {
    fn from(store: StoreContextMut<'a, T>) -> Self {
        StoreContext(store.0)
    }
}
