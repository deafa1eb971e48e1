//! The store: all run-time state of WebAssembly instances, plus the embedder's data.
//!
//! # Design
//!
//! A [`Store<T>`] owns every function, memory, table, global, instance and `externref` created
//! in it, in flat vectors of entities inside [`StoreInner`]. The public handles ([`Func`],
//! [`Memory`], ...) are small `Copy` values: the store's id and an index. Using a handle with a
//! store other than its own panics (documented on each method); nothing that a handle or
//! another entity can reach is freed before the store is dropped, so an index stays valid for
//! the store's lifetime. (A failed instantiation removes the entities it made when none of
//! them became reachable; see `instance::instantiate`.) Since nothing is freed, the number of
//! instances, memories and tables is bounded, by the limiter or by the defaults of
//! [`Store`].
//!
//! `StoreInner` does not depend on `T`, so the interpreter is compiled once. The parts that do
//! depend on `T` — host functions taking a [`Caller<'_, T>`](crate::Caller) and the resource
//! limiter — stay in `Store<T>` and are reached through the [`ExecContext`] trait object.
//!
//! # Raw values
//!
//! Inside the engine every value is one `u64` cell:
//! `i32` and `f32` are their bits zero-extended, `i64` and `f64` their bits, a `funcref` is 0 for
//! null or the store's function index plus one, an `externref` is 0 for null or the store's
//! externref index plus one.
//!
//! [`Func`]: crate::Func
//! [`Memory`]: crate::Memory

use crate::context::StoreContextMut;
use crate::engine::{Engine, SigId};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::{
    DataIdx, ElemIdx, EntityVec, FuncIdx, GlobalIdx, HostFuncIdx, InstanceIdx, MemoryIdx,
    StoreFuncIdx, StoreGlobalIdx, StoreMemoryIdx, StoreTableIdx, TableIdx,
};
use crate::limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT, MAX_TABLE_ELEMENTS,
    ResourceLimiter,
};
use crate::linear_memory::LinearMemory;
use crate::module::Module;
use crate::trap::TrapCode;
use crate::types::{FuncType, GlobalType, MemoryType, TableType};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A unique identifier of a store, carried by every handle into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct StoreId(u64);

impl StoreId {
    fn fresh() -> StoreId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        StoreId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A function in a store.
#[derive(Debug, Clone)]
pub(crate) enum FuncEntity {
    /// A function defined by a wasm module, in instance `instance`, with index `index` in
    /// that module's function index space (a defined, not imported, function).
    Wasm {
        sig: SigId,
        instance: InstanceIdx,
        index: FuncIdx,
    },
    /// A host function; `host` indexes `Store::hosts`.
    Host {
        sig: SigId,
        ty: FuncType,
        host: HostFuncIdx,
    },
}

impl FuncEntity {
    /// The function's signature id.
    pub(crate) fn sig(&self) -> SigId {
        match self {
            FuncEntity::Wasm { sig, .. } | FuncEntity::Host { sig, .. } => *sig,
        }
    }
}

/// A linear memory in a store.
#[derive(Debug)]
pub(crate) struct MemoryEntity {
    /// The memory's bytes, in pages of the OS that are zeroed on first touch; its length is
    /// always a multiple of the memory's wasm page size (64 KiB, or 1 byte for a memory of
    /// custom page size 1).
    pub(crate) data: LinearMemory,
    /// The memory's type; `minimum` is the size it was created with.
    pub(crate) ty: MemoryType,
    /// The pooling allocator's slot, which takes the bytes back for reuse on drop.
    pub(crate) slot: Option<crate::pool::PoolSlot>,
}

impl Drop for MemoryEntity {
    fn drop(&mut self) {
        if let Some(slot) = &self.slot {
            slot.give_back(core::mem::replace(&mut self.data, LinearMemory::empty()));
        }
    }
}

impl MemoryEntity {
    /// The current size in the memory's pages.
    pub(crate) fn pages(&self) -> u64 {
        self.data.len() as u64 >> self.ty.page_size_log2()
    }
}

/// A table in a store; elements are raw references (see the module docs).
#[derive(Debug)]
pub(crate) struct TableEntity {
    pub(crate) elements: Vec<u64>,
    pub(crate) ty: TableType,
    /// The pooling allocator's slot.
    pub(crate) slot: Option<crate::pool::PoolSlot>,
}

/// A global in a store; the value is a raw cell (see the module docs).
#[derive(Debug)]
pub(crate) struct GlobalEntity {
    /// The value's cell (the low 64 bits of a `v128`).
    pub(crate) value: u64,
    /// The high 64 bits of a `v128` (0 for other types).
    pub(crate) hi: u64,
    pub(crate) ty: GlobalType,
}

/// An instance in a store: its module and where its imported and defined entities live.
pub(crate) struct InstanceEntity {
    pub(crate) module: Module,
    /// Store function index of each function in the module's function index space.
    pub(crate) funcs: EntityVec<FuncIdx, StoreFuncIdx>,
    /// Store table index of each table in the module's table index space.
    pub(crate) tables: EntityVec<TableIdx, StoreTableIdx>,
    /// Store memory index of each memory in the module's memory index space.
    pub(crate) memories: EntityVec<MemoryIdx, StoreMemoryIdx>,
    /// Store global index of each global in the module's global index space.
    pub(crate) globals: EntityVec<GlobalIdx, StoreGlobalIdx>,
    /// Evaluated element segments (raw references); emptied by `elem.drop` and after active
    /// segments are applied.
    pub(crate) elems: EntityVec<ElemIdx, Box<[u64]>>,
    /// Whether each data segment was dropped (`data.drop`, or applied as an active segment).
    pub(crate) datas_dropped: EntityVec<DataIdx, bool>,
    /// The pooling allocator's slot, held for its `Drop`, which gives it back.
    pub(crate) _slot: Option<crate::pool::PoolSlot>,
}

/// The part of a store that does not depend on the embedder's data type.
pub(crate) struct StoreInner {
    pub(crate) id: StoreId,
    pub(crate) engine: Engine,
    pub(crate) funcs: EntityVec<StoreFuncIdx, FuncEntity>,
    pub(crate) memories: EntityVec<StoreMemoryIdx, MemoryEntity>,
    pub(crate) tables: EntityVec<StoreTableIdx, TableEntity>,
    pub(crate) globals: EntityVec<StoreGlobalIdx, GlobalEntity>,
    pub(crate) instances: EntityVec<InstanceIdx, InstanceEntity>,
    pub(crate) externrefs: crate::gc::ExternRefHeap,
    /// Remaining fuel, when the engine consumes fuel.
    pub(crate) fuel: u64,
    /// The epoch at which execution is interrupted, when the engine uses epochs.
    pub(crate) epoch_deadline: u64,
    /// Bytes of wasm stack used by the runs that the current one is nested in (through host
    /// functions); the current run's frames are charged on top of it against
    /// `Config::max_wasm_stack` (see `exec`).
    pub(crate) stack_used: usize,
    /// How many host→wasm entries are active (each uses some host stack).
    pub(crate) nesting: u32,
    /// A value stack kept for reuse between calls.
    pub(crate) stack_cache: Option<crate::exec::Stack>,
    /// The frames of the runs suspended in a host call, outermost first (see
    /// `exec::SuspendedFrames`).
    pub(crate) suspended: Vec<crate::exec::SuspendedFrames>,
    /// Component functions, component instances and their handle tables (see
    /// `component::instance`).
    #[cfg(feature = "component-model")]
    pub(crate) component: crate::component::instance::ComponentStore,
}

impl StoreInner {
    fn new(engine: &Engine) -> Self {
        StoreInner {
            id: StoreId::fresh(),
            engine: engine.clone(),
            funcs: EntityVec::new(),
            memories: EntityVec::new(),
            tables: EntityVec::new(),
            globals: EntityVec::new(),
            instances: EntityVec::new(),
            externrefs: Default::default(),
            fuel: 0,
            epoch_deadline: 0,
            stack_used: 0,
            nesting: 0,
            stack_cache: None,
            suspended: Vec::new(),
            #[cfg(feature = "component-model")]
            component: Default::default(),
        }
    }

    /// Grows memory `index` by `delta` of its pages without consulting any limiter.
    /// Returns the old size in pages, or `None` if the memory cannot grow that much (its
    /// maximum, the bound of its type, 4 GiB, or the OS refusing the pages).
    pub(crate) fn grow_memory_unlimited(
        &mut self,
        index: StoreMemoryIdx,
        delta: u64,
    ) -> Option<u64> {
        let memory = self.memories.get_mut(index)?;
        let old = memory.pages();
        let new = old.checked_add(delta)?;
        if new > memory.ty.max_alloc_pages() {
            return None;
        }
        let new_len = usize::try_from(memory.ty.pages_to_bytes(new)?).ok()?;
        if memory
            .slot
            .as_ref()
            .is_some_and(|slot| new_len > slot.config().max_memory_size)
        {
            return None;
        }
        memory.data.grow(new_len).ok()?;
        Some(old)
    }

    /// Grows table `index` by `delta` elements set to `init` (a raw reference), without
    /// consulting any limiter. Returns the old size, or `None` if it cannot grow that much
    /// (its maximum, [`MAX_TABLE_ELEMENTS`], or the allocator refusing).
    pub(crate) fn grow_table_unlimited(
        &mut self,
        index: StoreTableIdx,
        delta: u64,
        init: u64,
    ) -> Option<u64> {
        let table = self.tables.get_mut(index)?;
        let old = table.elements.len() as u64;
        let new = old.checked_add(delta)?;
        let max = table
            .ty
            .maximum()
            .unwrap_or(MAX_TABLE_ELEMENTS)
            .min(MAX_TABLE_ELEMENTS);
        if new > max {
            return None;
        }
        let new_len = usize::try_from(new).ok()?;
        if table
            .slot
            .as_ref()
            .is_some_and(|slot| new_len > slot.config().table_elements)
        {
            return None;
        }
        table
            .elements
            .try_reserve_exact(new_len - table.elements.len())
            .ok()?;
        table.elements.resize(new_len, init);
        Some(old)
    }
}

/// `pages` pages of memory type `ty` in bytes, saturating at `usize::MAX`.
fn pages_to_bytes(ty: &MemoryType, pages: u64) -> usize {
    ty.pages_to_bytes(pages)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .unwrap_or(usize::MAX)
}

/// The range `start..start + len` if it fits in `size`, else `trap` (the bounds rule of every
/// bulk memory and table operation, spec §4.4.6-7).
pub(crate) fn range(
    start: u64,
    len: u64,
    size: usize,
    trap: TrapCode,
) -> core::result::Result<core::ops::Range<usize>, TrapCode> {
    let end = start.checked_add(len).ok_or(trap)?;
    if end > size as u64 {
        return Err(trap);
    }
    Ok(start as usize..end as usize)
}

impl StoreInner {
    /// `memory.init` (spec §4.4.7), also used for active data segments at instantiation:
    /// copies `len` bytes from offset `src` of data segment `data` of `instance` into that
    /// instance's memory `memory` at `dst`. A dropped segment is empty.
    pub(crate) fn memory_init(
        &mut self,
        instance: InstanceIdx,
        memory: MemoryIdx,
        data: DataIdx,
        dst: u64,
        src: u64,
        len: u64,
    ) -> core::result::Result<(), TrapCode> {
        let internal = TrapCode::InternalError;
        let entity = self.instances.get(instance).ok_or(internal)?;
        let memory = *entity.memories.get(memory).ok_or(internal)?;
        let dropped = *entity.datas_dropped.get(data).ok_or(internal)?;
        let segment = entity.module.inner.info.datas.get(data).ok_or(internal)?;
        let bytes: &[u8] = if dropped { &[] } else { &segment.bytes };
        let mem = &mut self.memories.get_mut(memory).ok_or(internal)?.data;
        let src = range(src, len, bytes.len(), TrapCode::MemoryOutOfBounds)?;
        let dst = range(dst, len, mem.len(), TrapCode::MemoryOutOfBounds)?;
        mem.get_mut(dst)
            .ok_or(internal)?
            .copy_from_slice(bytes.get(src).ok_or(internal)?);
        Ok(())
    }

    /// `table.init` (spec §4.4.6), also used for active element segments at instantiation:
    /// copies `len` references from offset `src` of element segment `elem` of `instance` into
    /// that instance's table `table` at `dst`.
    pub(crate) fn table_init(
        &mut self,
        instance: InstanceIdx,
        table: TableIdx,
        elem: ElemIdx,
        dst: u64,
        src: u64,
        len: u64,
    ) -> core::result::Result<(), TrapCode> {
        let internal = TrapCode::InternalError;
        let entity = self.instances.get(instance).ok_or(internal)?;
        let table = *entity.tables.get(table).ok_or(internal)?;
        let segment = entity.elems.get(elem).ok_or(internal)?;
        let elements = &mut self.tables.get_mut(table).ok_or(internal)?.elements;
        let src = range(src, len, segment.len(), TrapCode::TableOutOfBounds)?;
        let dst = range(dst, len, elements.len(), TrapCode::TableOutOfBounds)?;
        elements
            .get_mut(dst)
            .ok_or(internal)?
            .copy_from_slice(segment.get(src).ok_or(internal)?);
        Ok(())
    }
}

/// The type-erased form of every host function:
/// arguments in, results out, through one buffer of raw cells of length
/// `max(params, results)`.
/// The `Option<InstanceIdx>` is the calling instance, for [`Caller::get_export`](crate::Caller::get_export).
pub(crate) type HostFn<T> =
    dyn Fn(&mut Store<T>, Option<InstanceIdx>, &mut [u64]) -> Result<()> + Send + Sync + 'static;

/// What the interpreter needs from a store: its `T`-independent part, host calls and the
/// resource-limited growth operations, which may need the embedder's data.
pub(crate) trait ExecContext {
    /// The store's `T`-independent state.
    fn inner(&mut self) -> &mut StoreInner;

    /// Calls host function `host` (an index of `Store::hosts`) with `args_results` holding the
    /// arguments on entry and the results on return. `caller` is the instance whose code made
    /// the call, if any.
    fn call_host(
        &mut self,
        host: HostFuncIdx,
        caller: Option<InstanceIdx>,
        args_results: &mut [u64],
    ) -> Result<()>;

    /// `memory.grow`: grows store memory `memory` by `delta` pages, asking the resource
    /// limiter. `Ok(None)` means the grow failed and the guest sees -1; `Err` is a trap.
    fn grow_memory(&mut self, memory: StoreMemoryIdx, delta: u64) -> Result<Option<u64>>;

    /// `table.grow`: as [`ExecContext::grow_memory`] for tables, new elements set to `init`.
    fn grow_table(&mut self, table: StoreTableIdx, delta: u64, init: u64) -> Result<Option<u64>>;

    /// Called when the engine's epoch has reached `StoreInner::epoch_deadline`. `Ok(())` means
    /// the deadline was extended and execution continues; `Err` (normally
    /// [`TrapCode::Interrupt`](crate::TrapCode::Interrupt)) ends the call.
    fn epoch_deadline_reached(&mut self) -> Result<()>;
}

/// Holds all run-time state of WebAssembly instances and the embedder's data `T`.
///
/// Every instance, function, memory, table and global belongs to one store and lives as long
/// as it. A store is `Send` if `T` is; it is not `Sync`: one thread at a time runs code in it.
///
/// Without a [`Store::limiter`], a store holds at most 10,000 instances, 10,000 memories and
/// 10,000 tables (Wasmtime's defaults, [`DEFAULT_INSTANCE_LIMIT`](crate::DEFAULT_INSTANCE_LIMIT)
/// and its siblings); creating one more fails with an error. Instances, memories and tables
/// live until the store is dropped, so this bounds what a loop of instantiations can hold on
/// to. A limiter's
/// [`ResourceLimiter::instances`], [`ResourceLimiter::memories`] and
/// [`ResourceLimiter::tables`] replace these counts.
///
/// ```
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, 41);
/// *store.data_mut() += 1;
/// assert_eq!(*store.data(), 42);
/// ```
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) hosts: EntityVec<HostFuncIdx, Arc<HostFn<T>>>,
    pub(crate) data: T,
    limiter: Option<Box<LimiterFn<T>>>,
    epoch_callback: Option<Box<EpochCallback<T>>>,
}

type LimiterFn<T> = dyn FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync;
type EpochCallback<T> = dyn FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline> + Send + Sync;

/// What an epoch deadline callback decides (see [`Store::epoch_deadline_callback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Continue running; the new deadline is this many ticks after the current epoch.
    Continue(u64),
}

impl<T: Default> Default for Store<T> {
    /// A store of a default [`Engine`] holding `T::default()`.
    fn default() -> Self {
        Store::new(&Engine::default(), T::default())
    }
}

impl<T> Store<T> {
    /// A new, empty store for `engine` holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner::new(engine),
            hosts: EntityVec::new(),
            data,
            limiter: None,
            epoch_callback: None,
        }
    }

    /// Installs a resource limiter: `limiter` returns it from the store's data, for example
    /// a [`StoreLimits`](crate::StoreLimits) field. It is asked before every memory and table
    /// growth and before instances, memories and tables are created, by instantiation as by
    /// [`Memory::new`](crate::Memory::new) and [`Table::new`](crate::Table::new) (as a growth
    /// from 0 to the initial size).
    ///
    /// ```
    /// use weft::{Engine, Instance, Module, Store, StoreLimits, StoreLimitsBuilder};
    /// let engine = Engine::default();
    /// let limits = StoreLimitsBuilder::new().memory_size(1 << 20).build(); // 1 MiB
    /// let mut store = Store::new(&engine, limits);
    /// store.limiter(|limits: &mut StoreLimits| limits);
    /// // 17 pages of 64 KiB is more than 1 MiB: instantiation fails.
    /// let module = Module::new(&engine, "(module (memory 17))")?;
    /// assert!(Instance::new(&mut store, &module, &[]).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn limiter(
        &mut self,
        limiter: impl FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.limiter = Some(Box::new(limiter));
    }

    fn resource_limiter(&mut self) -> Option<&mut dyn ResourceLimiter> {
        let limiter = self.limiter.as_mut()?;
        Some(limiter(&mut self.data))
    }

    /// Sets the store's fuel to `fuel` units. Each WebAssembly operator costs one unit,
    /// charged when the block holding it starts (see
    /// [`Config::consume_fuel`](crate::Config::consume_fuel)); running out traps
    /// with [`TrapCode::OutOfFuel`](crate::TrapCode::OutOfFuel), after which the store can be
    /// refuelled and used again.
    ///
    /// # Errors
    ///
    /// If the engine was not configured with `consume_fuel(true)`.
    ///
    /// ```
    /// use weft::{Config, Engine, Instance, Module, Store, Trap};
    /// let mut config = Config::new();
    /// config.consume_fuel(true);
    /// let engine = Engine::new(&config)?;
    /// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
    /// let mut store = Store::new(&engine, ());
    /// store.set_fuel(1_000)?;
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
    /// let error = spin.call(&mut store, ()).unwrap_err();
    /// assert_eq!(error.downcast_ref::<Trap>(), Some(&Trap::OutOfFuel));
    /// assert_eq!(store.get_fuel()?, 0);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        if !self.inner.engine.config().consume_fuel {
            return Err(Error::usage(
                "fuel is not enabled: use `Config::consume_fuel(true)`",
            ));
        }
        self.inner.fuel = fuel;
        Ok(())
    }

    /// Collects the store's externrefs that nothing holds any more (no root, global, table
    /// or active wasm frame) and drops their host values; see [`crate::ExternRef`] for what
    /// holds one. Collections also happen on their own, in [`ExternRef::new`](crate::ExternRef::new).
    /// `why` is taken for Wasmtime's signature (Weft never returns a
    /// [`GcHeapOutOfMemory`](crate::GcHeapOutOfMemory)).
    ///
    /// # Errors
    ///
    /// None today; a `Result` as in Wasmtime.
    pub fn gc(&mut self, why: Option<&crate::GcHeapOutOfMemory<()>>) -> Result<()> {
        let _ = why;
        crate::gc::collect(&mut self.inner);
        Ok(())
    }

    /// The fuel left in the store, in units of [`Store::set_fuel`].
    ///
    /// # Errors
    ///
    /// If the engine was not configured with `consume_fuel(true)`.
    pub fn get_fuel(&self) -> Result<u64> {
        if !self.inner.engine.config().consume_fuel {
            return Err(Error::usage(
                "fuel is not enabled: use `Config::consume_fuel(true)`",
            ));
        }
        Ok(self.inner.fuel)
    }

    /// Sets the epoch deadline to `ticks` epochs after the engine's current epoch. When the
    /// engine's epoch reaches it, running wasm code traps with
    /// [`TrapCode::Interrupt`](crate::TrapCode::Interrupt) at the next function entry or loop
    /// back-edge, unless a [`Store::epoch_deadline_callback`] extends it. Only effective with
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.epoch_deadline = self.inner.engine.current_epoch().saturating_add(ticks);
    }

    /// Makes reaching the epoch deadline trap (the default behaviour), removing any callback.
    pub fn epoch_deadline_trap(&mut self) {
        self.epoch_callback = None;
    }

    /// Calls `callback` whenever the epoch deadline is reached: returning
    /// `Ok(UpdateDeadline::Continue(ticks))` sets a new deadline and lets execution go on;
    /// returning an error ends the running call with that error.
    ///
    /// ```
    /// use weft::{Config, Engine, Instance, Module, Store, UpdateDeadline};
    /// let mut config = Config::new();
    /// config.epoch_interruption(true);
    /// let engine = Engine::new(&config)?;
    /// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
    /// let mut store = Store::new(&engine, 0u32);
    /// store.set_epoch_deadline(1);
    /// // Let the guest run for three more ticks, then stop it.
    /// store.epoch_deadline_callback(|mut store| {
    ///     *store.data_mut() += 1;
    ///     if *store.data() < 3 {
    ///         Ok(UpdateDeadline::Continue(1))
    ///     } else {
    ///         Err(weft::format_err!("time is up"))
    ///     }
    /// });
    /// let instance = Instance::new(&mut store, &module, &[])?;
    /// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
    /// let ticker = {
    ///     let engine = engine.clone();
    ///     std::thread::spawn(move || {
    ///         for _ in 0..100 {
    ///             std::thread::sleep(std::time::Duration::from_millis(5));
    ///             engine.increment_epoch();
    ///         }
    ///     })
    /// };
    /// let error = spin.call(&mut store, ()).unwrap_err();
    /// assert_eq!(format!("{error:#}").contains("time is up"), true);
    /// ticker.join().expect("ticker");
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn epoch_deadline_callback(
        &mut self,
        callback: impl FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline> + Send + Sync + 'static,
    ) {
        self.epoch_callback = Some(Box::new(callback));
    }

    /// Checks the count limits before `instances`, `tables` and `memories` more entities are
    /// made: the limiter's, or the defaults when there is none.
    pub(crate) fn check_entity_counts(
        &mut self,
        instances: usize,
        tables: usize,
        memories: usize,
    ) -> Result<()> {
        let (have_instances, have_tables, have_memories) = (
            self.inner.instances.len(),
            self.inner.tables.len(),
            self.inner.memories.len(),
        );
        let (max_instances, max_tables, max_memories) = match self.resource_limiter() {
            Some(limiter) => (limiter.instances(), limiter.tables(), limiter.memories()),
            None => (
                DEFAULT_INSTANCE_LIMIT,
                DEFAULT_TABLE_LIMIT,
                DEFAULT_MEMORY_LIMIT,
            ),
        };
        if have_instances.saturating_add(instances) > max_instances {
            return Err(Error::resource(format!(
                "instance count limit of {max_instances} exceeded"
            )));
        }
        if have_tables.saturating_add(tables) > max_tables {
            return Err(Error::resource(format!(
                "table count limit of {max_tables} exceeded"
            )));
        }
        if have_memories.saturating_add(memories) > max_memories {
            return Err(Error::resource(format!(
                "memory count limit of {max_memories} exceeded"
            )));
        }
        Ok(())
    }

    /// Creates a memory of type `ty`, asking the limiter for its initial size.
    pub(crate) fn create_memory(
        &mut self,
        ty: MemoryType,
        image: Option<&std::sync::Arc<crate::linear_memory::MemoryImage>>,
    ) -> Result<StoreMemoryIdx> {
        let bytes = pages_to_bytes(&ty, ty.minimum());
        let maximum = ty.maximum().map(|max| pages_to_bytes(&ty, max));
        if let Some(limiter) = self.resource_limiter()
            && !limiter.memory_growing(0, bytes, maximum)?
        {
            return Err(Error::resource(format!(
                "memory of {bytes} bytes exceeds the store's limits"
            )));
        }
        crate::externals::new_memory(&mut self.inner, ty, image)
    }

    /// Creates a table of type `ty` filled with `init`, asking the limiter for its size.
    pub(crate) fn create_table(&mut self, ty: TableType, init: u64) -> Result<StoreTableIdx> {
        let elements = usize::try_from(ty.minimum()).unwrap_or(usize::MAX);
        let maximum = ty
            .maximum()
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        if let Some(limiter) = self.resource_limiter()
            && !limiter.table_growing(0, elements, maximum)?
        {
            return Err(Error::resource(format!(
                "table of {elements} elements exceeds the store's limits"
            )));
        }
        crate::externals::new_table(&mut self.inner, ty, init)
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Consumes the store and returns the embedder's data.
    pub fn into_data(self) -> T {
        self.data
    }

    /// Registers a host function in this store and returns its function index.
    pub(crate) fn push_host_func(&mut self, ty: FuncType, func: Arc<HostFn<T>>) -> StoreFuncIdx {
        let sig = self.inner.engine.intern_signature(&ty);
        let host = self.hosts.push(func);
        self.inner.funcs.push(FuncEntity::Host { sig, ty, host })
    }
}

impl<T> ExecContext for Store<T> {
    fn inner(&mut self) -> &mut StoreInner {
        &mut self.inner
    }

    fn call_host(
        &mut self,
        host: HostFuncIdx,
        caller: Option<InstanceIdx>,
        args_results: &mut [u64],
    ) -> Result<()> {
        let Some(func) = self.hosts.get(host).cloned() else {
            return Err(crate::trap::TrapCode::InternalError.into());
        };
        // Each host call is a root scope: the roots of its arguments and of the externrefs
        // it makes go when it returns (its results are raw cells by then).
        let scope = self.inner.externrefs.lifo_len();
        let result = func(self, caller, args_results);
        self.inner.externrefs.truncate_lifo(scope);
        result
    }

    fn grow_memory(&mut self, memory: StoreMemoryIdx, delta: u64) -> Result<Option<u64>> {
        let Some(entity) = self.inner.memories.get(memory) else {
            return Err(crate::trap::TrapCode::InternalError.into());
        };
        let current = entity.data.len();
        let ty = entity.ty;
        let maximum = ty.maximum().map(|max| pages_to_bytes(&ty, max));
        let desired = ty
            .pages_to_bytes(delta)
            .and_then(|d| usize::try_from(d).ok())
            .and_then(|d| current.checked_add(d));
        if let (Some(desired), Some(limiter)) = (desired, self.resource_limiter())
            && !limiter.memory_growing(current, desired, maximum)?
        {
            return Ok(None);
        }
        Ok(self.inner.grow_memory_unlimited(memory, delta))
    }

    fn grow_table(&mut self, table: StoreTableIdx, delta: u64, init: u64) -> Result<Option<u64>> {
        let Some(entity) = self.inner.tables.get(table) else {
            return Err(crate::trap::TrapCode::InternalError.into());
        };
        let current = entity.elements.len();
        let maximum = entity
            .ty
            .maximum()
            .map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        let desired = usize::try_from(delta)
            .ok()
            .and_then(|d| current.checked_add(d));
        if let (Some(desired), Some(limiter)) = (desired, self.resource_limiter())
            && !limiter.table_growing(current, desired, maximum)?
        {
            return Ok(None);
        }
        Ok(self.inner.grow_table_unlimited(table, delta, init))
    }

    fn epoch_deadline_reached(&mut self) -> Result<()> {
        let Some(mut callback) = self.epoch_callback.take() else {
            return Err(crate::trap::TrapCode::Interrupt.into());
        };
        let result = callback(StoreContextMut(self));
        self.epoch_callback = Some(callback);
        match result? {
            UpdateDeadline::Continue(ticks) => {
                self.set_epoch_deadline(ticks);
                Ok(())
            }
        }
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}
