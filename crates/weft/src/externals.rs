//! Memories, tables, globals, and [`Extern`], the sum of everything an instance can import or
//! export.

use crate::context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::func::Func;
use crate::index::{StoreGlobalIdx, StoreMemoryIdx, StoreTableIdx};
use crate::limits::MAX_TABLE_ELEMENTS;
use crate::linear_memory::{LinearMemory, MemoryImage};
use crate::store::{GlobalEntity, MemoryEntity, StoreId, StoreInner, TableEntity};
use crate::types::{ExternType, GlobalType, MemoryType, Mutability, TableType};
use crate::values::{Ref, Val};
use core::fmt;
use std::sync::Arc;

/// Something an instance imports or exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A linear memory.
    Memory(Memory),
    /// A table.
    Table(Table),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }

    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }

    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }

    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }

    /// The type of the entity.
    ///
    /// # Panics
    ///
    /// If `store` is not the entity's store.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        let store = store.as_context();
        match self {
            Extern::Func(f) => ExternType::Func(f.ty(&store)),
            Extern::Global(g) => ExternType::Global(g.ty(&store)),
            Extern::Memory(m) => ExternType::Memory(m.ty(&store)),
            Extern::Table(t) => ExternType::Table(t.ty(&store)),
        }
    }

    pub(crate) fn store_id(&self) -> StoreId {
        match self {
            Extern::Func(f) => f.store,
            Extern::Global(g) => g.store,
            Extern::Memory(m) => m.store,
            Extern::Table(t) => t.store,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Self {
        Extern::Func(f)
    }
}

impl From<Global> for Extern {
    fn from(g: Global) -> Self {
        Extern::Global(g)
    }
}

impl From<Memory> for Extern {
    fn from(m: Memory) -> Self {
        Extern::Memory(m)
    }
}

impl From<Table> for Extern {
    fn from(t: Table) -> Self {
        Extern::Table(t)
    }
}

fn wrong_store() -> ! {
    panic!("handle used with a store other than its own")
}

/// A linear memory (spec §4.2.8): a vector of bytes that grows in 64 KiB pages.
///
/// ```
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, ());
/// let memory = weft::Memory::new(&mut store, weft::MemoryType::new(1, Some(2)))?;
/// memory.write(&mut store, 8, b"weft")?;
/// assert_eq!(&memory.data(&store)[8..12], b"weft");
/// assert_eq!(memory.grow(&mut store, 1)?, 1);
/// assert_eq!(memory.size(&store), 2);
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store: StoreId,
    pub(crate) index: StoreMemoryIdx,
}

/// An access outside the bounds of a [`Memory`] by [`Memory::read`] or [`Memory::write`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryAccessError;

impl fmt::Display for MemoryAccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of bounds memory access")
    }
}

impl std::error::Error for MemoryAccessError {}

impl Memory {
    /// A new memory of type `ty`, zero-filled, `ty.minimum()` pages long.
    ///
    /// The pages come from the OS zeroed on first touch, so a large memory costs address
    /// space, not time or physical memory, until it is used. The store's limiter is asked as
    /// at instantiation: the memory count, then a growth from 0 to the initial size.
    ///
    /// # Errors
    ///
    /// If the type's minimum is greater than its maximum, the store already holds its most
    /// memories, the limiter refuses the size, the memory is larger than 4 GiB, or the OS
    /// refuses the pages.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let store = store.as_context_mut().0;
        store.check_entity_counts(0, 0, 1)?;
        let index = store.create_memory(ty, None)?;
        Ok(Memory {
            store: store.inner.id,
            index,
        })
    }

    fn entity<'a>(&self, store: &'a StoreInner) -> &'a MemoryEntity {
        if store.id != self.store {
            wrong_store()
        }
        store
            .memories
            .get(self.index)
            .unwrap_or_else(|| wrong_store())
    }

    fn entity_mut<'a>(&self, store: &'a mut StoreInner) -> &'a mut MemoryEntity {
        if store.id != self.store {
            wrong_store()
        }
        store
            .memories
            .get_mut(self.index)
            .unwrap_or_else(|| wrong_store())
    }

    /// The memory's type, with its current size as the minimum.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let m = self.entity(&store.as_context().0.inner);
        MemoryType::from_limits(m.pages(), m.ty.maximum())
            .with_64(m.ty.is_64())
            .with_page_size_log2(m.ty.page_size_log2())
    }

    /// The size of one of the memory's pages in bytes: 65,536, or 1 for a memory that
    /// declares 1-byte pages (the custom-page-sizes proposal).
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn page_size(&self, store: impl AsContext) -> u64 {
        self.entity(&store.as_context().0.inner).ty.page_size()
    }

    /// The base-2 logarithm of [`Memory::page_size`]: 16 or 0.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn page_size_log2(&self, store: impl AsContext) -> u8 {
        self.entity(&store.as_context().0.inner).ty.page_size_log2()
    }

    /// The current size in pages ([`Memory::page_size`] bytes each, 64 KiB by default).
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.entity(&store.as_context().0.inner).pages()
    }

    /// The current size in bytes.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.entity(&store.as_context().0.inner).data.len()
    }

    /// The memory's bytes.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let store = store.into().0;
        &self.entity(&store.inner).data
    }

    /// The memory's bytes, mutably.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let store = store.into().0;
        &mut self.entity_mut(&mut store.inner).data
    }

    /// The address of the memory's first byte, valid for [`Memory::data_size`] bytes until
    /// the memory grows (which may move it) or the store is dropped. Reading or writing
    /// through it is `unsafe` for the caller, who must ensure no reference to the bytes
    /// (from [`Memory::data`] or [`Memory::data_mut`]) is alive and that wasm is not
    /// running.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn data_ptr(&self, store: impl AsContext) -> *mut u8 {
        let store = store.as_context();
        self.entity(&store.0.inner).data.base_ptr()
    }

    /// The memory's bytes and the store's data, both mutably, so that a host function can
    /// work on guest memory and its own state at once.
    ///
    /// ```
    /// use weft::{Engine, Memory, MemoryType, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, Vec::<u8>::new());
    /// let memory = Memory::new(&mut store, MemoryType::new(1, None))?;
    /// let (bytes, log) = memory.data_and_store_mut(&mut store);
    /// bytes[0] = 7;
    /// log.push(bytes[0]);
    /// assert_eq!(store.data(), &[7]);
    /// # Ok::<(), weft::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let store = store.into().0;
        let data = &mut self.entity_mut(&mut store.inner).data;
        (&mut data[..], &mut store.data)
    }

    /// Copies `buffer.len()` bytes at byte offset `offset` into `buffer`.
    ///
    /// # Errors
    ///
    /// [`MemoryAccessError`] if the range is out of bounds; nothing is read then.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    ///
    /// ```
    /// use weft::{Engine, Memory, MemoryType, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let memory = Memory::new(&mut store, MemoryType::new(1, None))?;
    /// memory.write(&mut store, 100, b"weft")?;
    /// let mut buf = [0u8; 4];
    /// memory.read(&store, 100, &mut buf)?;
    /// assert_eq!(&buf, b"weft");
    /// // Past the end of the memory's one page (65,536 bytes):
    /// assert!(memory.read(&store, 65_534, &mut buf).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn read(
        &self,
        store: impl AsContext,
        offset: usize,
        buffer: &mut [u8],
    ) -> Result<(), MemoryAccessError> {
        let data = &self.entity(&store.as_context().0.inner).data;
        let end = offset.checked_add(buffer.len()).ok_or(MemoryAccessError)?;
        buffer.copy_from_slice(data.get(offset..end).ok_or(MemoryAccessError)?);
        Ok(())
    }

    /// Copies `buffer` into the memory at byte offset `offset`.
    ///
    /// # Errors
    ///
    /// [`MemoryAccessError`] if the range is out of bounds; nothing is written then.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    pub fn write(
        &self,
        mut store: impl AsContextMut,
        offset: usize,
        buffer: &[u8],
    ) -> Result<(), MemoryAccessError> {
        let data = &mut self.entity_mut(&mut store.as_context_mut().0.inner).data;
        let end = offset.checked_add(buffer.len()).ok_or(MemoryAccessError)?;
        data.get_mut(offset..end)
            .ok_or(MemoryAccessError)?
            .copy_from_slice(buffer);
        Ok(())
    }

    /// Grows the memory by `delta` pages ([`Memory::page_size`] bytes each, 64 KiB by
    /// default) and returns its previous size in pages
    /// (spec §4.4.7 `memory.grow`). New pages are zero. The memory's bytes may move: slices
    /// from [`Memory::data`] do not outlive the growth (the borrow checker sees to that).
    ///
    /// # Errors
    ///
    /// If the memory would exceed its maximum, the bound of its type (2^32 - 1 bytes for a
    /// 32-bit memory of 1-byte pages) or 4 GiB, the store's limiter refuses, or the
    /// OS refuses the pages; the memory is unchanged then.
    ///
    /// # Panics
    ///
    /// If `store` is not the memory's store.
    ///
    /// ```
    /// use weft::{Engine, Memory, MemoryType, Store};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let memory = Memory::new(&mut store, MemoryType::new(1, Some(2)))?;
    /// assert_eq!(memory.grow(&mut store, 1)?, 1); // the old size, in pages
    /// assert_eq!(memory.size(&store), 2);
    /// assert!(memory.grow(&mut store, 1).is_err()); // beyond the maximum
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let store = store.as_context_mut().0;
        self.entity(&store.inner);
        crate::store::ExecContext::grow_memory(store, self.index, delta)?
            .ok_or_else(|| Error::resource("failed to grow memory"))
    }
}

/// Makes a memory of type `ty` in the store, holding `image` (zeros without one); with the
/// pooling allocator, in one of its slots.
pub(crate) fn new_memory(
    inner: &mut StoreInner,
    ty: MemoryType,
    image: Option<&Arc<MemoryImage>>,
) -> Result<StoreMemoryIdx> {
    let pages = ty.minimum();
    if let Some(max) = ty.maximum()
        && max < pages
    {
        return Err(Error::usage(format!(
            "memory minimum of {pages} pages is greater than its maximum of {max} pages"
        )));
    }
    let bound = (MemoryType::MAX_BYTES >> ty.page_size_log2())
        .min(MemoryType::max_type_pages(ty.is_64(), ty.page_size_log2()));
    if pages > bound {
        return Err(Error::resource(format!(
            "memory of {pages} pages is too large (the most is {bound} pages)"
        )));
    }
    let len = ty
        .pages_to_bytes(pages)
        .and_then(|len| usize::try_from(len).ok())
        .ok_or_else(|| Error::resource("memory too large for this host"))?;
    let (data, slot) = match inner.engine.pool() {
        Some(pool) => {
            let slot = pool.take(crate::pool::SlotKind::Memory)?;
            (pool.memory(len, image)?, Some(slot))
        }
        None => {
            let data = LinearMemory::with_image(len, image).map_err(|_| {
                Error::resource(format!(
                    "failed to allocate a memory of {pages} pages: the host refused to map them"
                ))
            })?;
            (data, None)
        }
    };
    Ok(inner.memories.push(MemoryEntity { data, ty, slot }))
}

/// A table (spec §4.2.9): a vector of references of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store: StoreId,
    pub(crate) index: StoreTableIdx,
}

impl Table {
    /// A new table of type `ty` with `ty.minimum()` elements set to `init`.
    ///
    /// The store's limiter is asked as at instantiation: the table count, then a growth from
    /// 0 to the initial size.
    ///
    /// # Errors
    ///
    /// If `init` is not a reference of the table's element type, the type's minimum is
    /// greater than its maximum, the store already holds its most tables, the limiter refuses
    /// the size, or the table has more than 10,000,000 elements.
    ///
    /// ```
    /// use weft::{Engine, Func, Ref, RefType, Store, Table, TableType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let table = Table::new(&mut store, TableType::new(RefType::FUNCREF, 2, None), Ref::Func(None))?;
    /// let f = Func::wrap(&mut store, || 1i32);
    /// table.set(&mut store, 1, f.into())?;
    /// assert!(matches!(table.get(&mut store, 1), Some(Ref::Func(Some(_)))));
    /// assert!(matches!(table.get(&mut store, 0), Some(Ref::Func(None))));
    /// assert!(table.get(&mut store, 2).is_none());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Ref) -> Result<Table> {
        let store = store.as_context_mut().0;
        let init = ref_to_raw(&store.inner, ty, init)?;
        store.check_entity_counts(0, 1, 0)?;
        let index = store.create_table(ty, init)?;
        Ok(Table {
            store: store.inner.id,
            index,
        })
    }

    fn entity<'a>(&self, store: &'a StoreInner) -> &'a TableEntity {
        if store.id != self.store {
            wrong_store()
        }
        store
            .tables
            .get(self.index)
            .unwrap_or_else(|| wrong_store())
    }

    fn entity_mut<'a>(&self, store: &'a mut StoreInner) -> &'a mut TableEntity {
        if store.id != self.store {
            wrong_store()
        }
        store
            .tables
            .get_mut(self.index)
            .unwrap_or_else(|| wrong_store())
    }

    /// The table's type, with its current size as the minimum.
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let t = self.entity(&store.as_context().0.inner);
        TableType::from_limits(t.ty.element(), t.elements.len() as u64, t.ty.maximum())
            .with_64(t.ty.is_64())
    }

    /// The current number of elements.
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.entity(&store.as_context().0.inner).elements.len() as u64
    }

    /// The element at `index`, or `None` if out of bounds. An externref comes rooted in the
    /// current scope (see [`crate::RootScope`]).
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Ref> {
        let inner = &mut store.as_context_mut().0.inner;
        let t = self.entity(inner);
        let (ty, raw) = (
            t.ty.element(),
            *t.elements.get(usize::try_from(index).ok()?)?,
        );
        Val::from_cells(inner, ty.into(), &[raw]).ref_()
    }

    /// Sets the element at `index`.
    ///
    /// # Errors
    ///
    /// If `index` is out of bounds or `value` has the wrong type.
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Ref) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let ty = self.entity(inner).ty;
        let raw = ref_to_raw(inner, ty, value)?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| inner.tables.get_mut(self.index)?.elements.get_mut(i))
            .ok_or_else(|| Error::usage("table index out of bounds"))?;
        *slot = raw;
        Ok(())
    }

    /// Grows the table by `delta` elements set to `init`; returns the previous size
    /// (spec §4.4.6 `table.grow`).
    ///
    /// # Errors
    ///
    /// If the table would exceed its maximum or 10,000,000 elements, the store's limiter
    /// refuses, or `init` has the wrong type.
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Ref) -> Result<u64> {
        let store = store.as_context_mut().0;
        let ty = self.entity(&store.inner).ty;
        let init = ref_to_raw(&store.inner, ty, init)?;
        crate::store::ExecContext::grow_table(store, self.index, delta, init)?
            .ok_or_else(|| Error::resource("failed to grow table"))
    }
}

impl Table {
    /// Sets the `len` elements from `dst` on to `value` (spec §4.4.6 `table.fill`).
    ///
    /// # Errors
    ///
    /// If the range is out of bounds (nothing is written then) or `value` has the wrong type.
    ///
    /// # Panics
    ///
    /// If `store` is not the table's store.
    pub fn fill(&self, mut store: impl AsContextMut, dst: u64, value: Ref, len: u64) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let ty = self.entity(inner).ty;
        let raw = ref_to_raw(inner, ty, value)?;
        let elements = &mut self.entity_mut(inner).elements;
        table_range(elements.len(), dst, len)
            .and_then(|range| elements.get_mut(range))
            .ok_or_else(|| Error::usage("table fill out of bounds"))?
            .fill(raw);
        Ok(())
    }

    /// Copies `len` elements from `src_table` at `src_index` to `dst_table` at `dst_index`
    /// (spec §4.4.6 `table.copy`); the ranges may overlap, and the two tables may be the same.
    ///
    /// # Errors
    ///
    /// If either range is out of bounds (nothing is written then) or the tables' element
    /// types differ.
    ///
    /// # Panics
    ///
    /// If `store` is not the tables' store.
    pub fn copy(
        mut store: impl AsContextMut,
        dst_table: &Table,
        dst_index: u64,
        src_table: &Table,
        src_index: u64,
        len: u64,
    ) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let (src_ty, dst_ty) = (src_table.entity(inner).ty, dst_table.entity(inner).ty);
        if !src_ty.element().matches(&dst_ty.element()) {
            return Err(Error::usage(
                "table copy between tables of different element types",
            ));
        }
        let out_of_bounds = || Error::usage("table copy out of bounds");
        let src_len = src_table.entity(inner).elements.len();
        let src = table_range(src_len, src_index, len).ok_or_else(out_of_bounds)?;
        let dst_len = dst_table.entity(inner).elements.len();
        let dst = table_range(dst_len, dst_index, len).ok_or_else(out_of_bounds)?;
        if src_table.index == dst_table.index {
            dst_table
                .entity_mut(inner)
                .elements
                .copy_within(src, dst.start);
        } else {
            let values: Vec<u64> = src_table
                .entity(inner)
                .elements
                .get(src)
                .ok_or_else(out_of_bounds)?
                .to_vec();
            dst_table
                .entity_mut(inner)
                .elements
                .get_mut(dst)
                .ok_or_else(out_of_bounds)?
                .copy_from_slice(&values);
        }
        Ok(())
    }
}

/// The element range `[start, start + len)` of a table of `size` elements, if in bounds.
fn table_range(size: usize, start: u64, len: u64) -> Option<core::ops::Range<usize>> {
    let start = usize::try_from(start).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    (end <= size).then_some(start..end)
}

fn ref_to_raw(inner: &StoreInner, ty: TableType, value: Ref) -> Result<u64> {
    let value = Val::from(value);
    if !value.matches_in(inner, &ty.element().into()) {
        return Err(Error::usage(format!(
            "value of type {} does not fit a table of {}",
            value.ty(),
            crate::types::ValType::from(ty.element())
        )));
    }
    value.to_cell(inner)
}

pub(crate) fn new_table(inner: &mut StoreInner, ty: TableType, init: u64) -> Result<StoreTableIdx> {
    if let Some(max) = ty.maximum()
        && max < ty.minimum()
    {
        return Err(Error::usage(format!(
            "table minimum of {} elements is greater than its maximum of {max} elements",
            ty.minimum()
        )));
    }
    let len = usize::try_from(ty.minimum())
        .ok()
        .filter(|len| *len as u64 <= MAX_TABLE_ELEMENTS)
        .ok_or_else(|| Error::resource("table too large"))?;
    let slot = match inner.engine.pool() {
        Some(pool) => {
            if len > pool.config.table_elements {
                return Err(Error::resource(format!(
                    "table of {len} elements exceeds the pooling allocator's table_elements of {}",
                    pool.config.table_elements
                )));
            }
            Some(pool.take(crate::pool::SlotKind::Table)?)
        }
        None => None,
    };
    let mut elements = Vec::new();
    elements
        .try_reserve_exact(len)
        .map_err(|_| Error::resource("failed to allocate table"))?;
    elements.resize(len, init);
    Ok(inner.tables.push(TableEntity { elements, ty, slot }))
}

/// A global variable (spec §4.2.10).
///
/// ```
/// use weft::{Global, GlobalType, Mutability, Val, ValType};
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, ());
/// let counter = Global::new(&mut store, GlobalType::new(ValType::I64, Mutability::Var), Val::I64(1))?;
/// counter.set(&mut store, Val::I64(2))?;
/// assert_eq!(counter.get(&mut store).i64(), Some(2));
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store: StoreId,
    pub(crate) index: StoreGlobalIdx,
}

impl Global {
    /// A new global of type `ty` holding `value`.
    ///
    /// # Errors
    ///
    /// If `value` does not have the global's content type.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let inner = &mut store.as_context_mut().0.inner;
        if !value.matches_in(inner, &ty.content()) {
            return Err(Error::usage(format!(
                "value of type {} for a global of type {}",
                value.ty(),
                ty.content()
            )));
        }
        let mut cells = [0u64; 2];
        value.to_cells(inner, &mut cells)?;
        let index = inner.globals.push(GlobalEntity {
            value: cells[0],
            hi: cells[1],
            ty,
        });
        Ok(Global {
            store: inner.id,
            index,
        })
    }

    fn entity<'a>(&self, store: &'a StoreInner) -> &'a GlobalEntity {
        if store.id != self.store {
            wrong_store()
        }
        store
            .globals
            .get(self.index)
            .unwrap_or_else(|| wrong_store())
    }

    /// The global's type.
    ///
    /// # Panics
    ///
    /// If `store` is not the global's store.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        self.entity(&store.as_context().0.inner).ty
    }

    /// The global's current value. An externref comes rooted in the current scope (see
    /// [`crate::RootScope`]).
    ///
    /// # Panics
    ///
    /// If `store` is not the global's store.
    pub fn get(&self, mut store: impl AsContextMut) -> Val {
        let inner = &mut store.as_context_mut().0.inner;
        let g = self.entity(inner);
        Val::from_cells(inner, g.ty.content(), &[g.value, g.hi])
    }

    /// Sets the global's value.
    ///
    /// # Errors
    ///
    /// If the global is immutable or `value` has the wrong type.
    ///
    /// # Panics
    ///
    /// If `store` is not the global's store.
    ///
    /// ```
    /// use weft::{Engine, Global, GlobalType, Mutability, Store, Val, ValType};
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let ty = GlobalType::new(ValType::I64, Mutability::Var);
    /// let counter = Global::new(&mut store, ty, Val::I64(0))?;
    /// counter.set(&mut store, Val::I64(5))?;
    /// assert_eq!(counter.get(&mut store).unwrap_i64(), 5);
    /// // A value of another type is an error.
    /// assert!(counter.set(&mut store, Val::I32(1)).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let inner = &mut store.as_context_mut().0.inner;
        let ty = self.entity(inner).ty;
        if ty.mutability() != Mutability::Var {
            return Err(Error::usage("cannot set an immutable global"));
        }
        if !value.matches_in(inner, &ty.content()) {
            return Err(Error::usage(format!(
                "value of type {} for a global of type {}",
                value.ty(),
                ty.content()
            )));
        }
        let mut cells = [0u64; 2];
        value.to_cells(inner, &mut cells)?;
        if let Some(g) = inner.globals.get_mut(self.index) {
            g.value = cells[0];
            g.hi = cells[1];
        }
        Ok(())
    }
}
