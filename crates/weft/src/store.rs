//! The store: all run-time state of WebAssembly instances, plus the embedder's data.
//!
//! # Design
//!
//! A [`Store<T>`] owns every function, memory, table, global, instance and `externref` created
//! in it, in flat vectors of entities inside [`StoreInner`]. The public handles ([`Func`],
//! [`Memory`], ...) are small `Copy` values: the store's id and an index. Using a handle with a
//! store other than its own panics (documented on each method); nothing is ever freed before
//! the store is dropped, so an index stays valid for the store's lifetime.
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

use crate::engine::{Engine, SigId};
use crate::error::Result;
use crate::module::Module;
use crate::types::{FuncType, GlobalType, MemoryType, TableType};
use core::any::Any;
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
        instance: u32,
        index: u32,
    },
    /// A host function; `host` indexes `Store::hosts`.
    Host { sig: SigId, ty: FuncType, host: u32 },
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
    /// The memory's bytes; its length is always a multiple of the page size.
    pub(crate) data: Vec<u8>,
    /// The memory's type; `minimum` is the size it was created with.
    pub(crate) ty: MemoryType,
}

impl MemoryEntity {
    /// The current size in pages.
    pub(crate) fn pages(&self) -> u64 {
        self.data.len() as u64 / MemoryType::PAGE_SIZE
    }
}

/// A table in a store; elements are raw references (see the module docs).
#[derive(Debug)]
pub(crate) struct TableEntity {
    pub(crate) elements: Vec<u64>,
    pub(crate) ty: TableType,
}

/// A global in a store; the value is a raw cell (see the module docs).
#[derive(Debug)]
pub(crate) struct GlobalEntity {
    pub(crate) value: u64,
    pub(crate) ty: GlobalType,
}

/// An instance in a store: its module and where its imported and defined entities live.
pub(crate) struct InstanceEntity {
    pub(crate) module: Module,
    /// Store function index of each function in the module's function index space.
    pub(crate) funcs: Box<[u32]>,
    /// Store table index of each table in the module's table index space.
    pub(crate) tables: Box<[u32]>,
    /// Store memory index of each memory in the module's memory index space.
    pub(crate) memories: Box<[u32]>,
    /// Store global index of each global in the module's global index space.
    pub(crate) globals: Box<[u32]>,
    /// Evaluated element segments (raw references); emptied by `elem.drop` and after active
    /// segments are applied.
    pub(crate) elems: Box<[Box<[u64]>]>,
    /// Whether each data segment was dropped (`data.drop`, or applied as an active segment).
    pub(crate) datas_dropped: Box<[bool]>,
}

/// The part of a store that does not depend on the embedder's data type.
pub(crate) struct StoreInner {
    pub(crate) id: StoreId,
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) memories: Vec<MemoryEntity>,
    pub(crate) tables: Vec<TableEntity>,
    pub(crate) globals: Vec<GlobalEntity>,
    pub(crate) instances: Vec<InstanceEntity>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    /// Remaining fuel, when the engine consumes fuel.
    pub(crate) fuel: u64,
    /// The epoch at which execution is interrupted, when the engine uses epochs.
    pub(crate) epoch_deadline: u64,
    /// Bytes of wasm stack used by calls currently active in this store (host re-entrance
    /// included), checked against `Config::max_wasm_stack`.
    pub(crate) stack_used: usize,
    /// How many host→wasm entries are active (each uses some host stack).
    pub(crate) nesting: u32,
    /// A value stack kept for reuse between calls.
    pub(crate) stack_cache: Option<crate::exec::Stack>,
}

impl StoreInner {
    fn new(engine: &Engine) -> Self {
        StoreInner {
            id: StoreId::fresh(),
            engine: engine.clone(),
            funcs: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            externrefs: Vec::new(),
            fuel: 0,
            epoch_deadline: 0,
            stack_used: 0,
            nesting: 0,
            stack_cache: None,
        }
    }

    /// Grows memory `index` by `delta` pages without consulting any limiter.
    /// Returns the old size in pages, or `None` if the memory cannot grow that much (its
    /// maximum, the 4 GiB bound, or the host's allocator refusing).
    pub(crate) fn grow_memory_unlimited(&mut self, index: u32, delta: u64) -> Option<u64> {
        let memory = self.memories.get_mut(index as usize)?;
        let old = memory.pages();
        let new = old.checked_add(delta)?;
        let max = memory
            .ty
            .maximum()
            .unwrap_or(MemoryType::MAX_PAGES)
            .min(MemoryType::MAX_PAGES);
        if new > max {
            return None;
        }
        let new_len = usize::try_from(new.checked_mul(MemoryType::PAGE_SIZE)?).ok()?;
        let additional = new_len - memory.data.len();
        memory.data.try_reserve_exact(additional).ok()?;
        memory.data.resize(new_len, 0);
        Some(old)
    }

    /// Grows table `index` by `delta` elements set to `init` (a raw reference), without
    /// consulting any limiter. Returns the old size, or `None` if it cannot grow that much.
    pub(crate) fn grow_table_unlimited(
        &mut self,
        index: u32,
        delta: u64,
        init: u64,
    ) -> Option<u64> {
        let table = self.tables.get_mut(index as usize)?;
        let old = table.elements.len() as u64;
        let new = old.checked_add(delta)?;
        let max = table
            .ty
            .maximum()
            .unwrap_or(u64::from(u32::MAX))
            .min(u64::from(u32::MAX));
        if new > max {
            return None;
        }
        let new_len = usize::try_from(new).ok()?;
        table
            .elements
            .try_reserve_exact(new_len - table.elements.len())
            .ok()?;
        table.elements.resize(new_len, init);
        Some(old)
    }
}

/// The type-erased form of every host function:
/// arguments in, results out, through one buffer of raw cells of length
/// `max(params, results)`.
/// The `Option<u32>` is the calling instance, for [`Caller::get_export`](crate::Caller::get_export).
pub(crate) type HostFn<T> =
    dyn Fn(&mut Store<T>, Option<u32>, &mut [u64]) -> Result<()> + Send + Sync + 'static;

/// What the interpreter needs from a store: its `T`-independent part, host calls and the
/// resource-limited growth operations, which may need the embedder's data.
pub(crate) trait ExecContext {
    /// The store's `T`-independent state.
    fn inner(&mut self) -> &mut StoreInner;

    /// Calls host function `host` (an index of `Store::hosts`) with `args_results` holding the
    /// arguments on entry and the results on return. `caller` is the instance whose code made
    /// the call, if any.
    fn call_host(&mut self, host: u32, caller: Option<u32>, args_results: &mut [u64])
    -> Result<()>;

    /// `memory.grow`: grows store memory `memory` by `delta` pages, asking the resource
    /// limiter. `Ok(None)` means the grow failed and the guest sees -1; `Err` is a trap.
    fn grow_memory(&mut self, memory: u32, delta: u64) -> Result<Option<u64>>;

    /// `table.grow`: as [`ExecContext::grow_memory`] for tables, new elements set to `init`.
    fn grow_table(&mut self, table: u32, delta: u64, init: u64) -> Result<Option<u64>>;

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
/// ```
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, 41);
/// *store.data_mut() += 1;
/// assert_eq!(*store.data(), 42);
/// ```
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) hosts: Vec<Arc<HostFn<T>>>,
    pub(crate) data: T,
}

impl<T> Store<T> {
    /// A new, empty store for `engine` holding `data`.
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner::new(engine),
            hosts: Vec::new(),
            data,
        }
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
    pub(crate) fn push_host_func(&mut self, ty: FuncType, func: Arc<HostFn<T>>) -> u32 {
        let sig = self.inner.engine.intern_signature(&ty);
        let host = self.hosts.len() as u32;
        self.hosts.push(func);
        let index = self.inner.funcs.len() as u32;
        self.inner.funcs.push(FuncEntity::Host { sig, ty, host });
        index
    }
}

impl<T> ExecContext for Store<T> {
    fn inner(&mut self) -> &mut StoreInner {
        &mut self.inner
    }

    fn call_host(
        &mut self,
        host: u32,
        caller: Option<u32>,
        args_results: &mut [u64],
    ) -> Result<()> {
        let Some(func) = self.hosts.get(host as usize).cloned() else {
            return Err(crate::trap::TrapCode::InternalError.into());
        };
        func(self, caller, args_results)
    }

    fn grow_memory(&mut self, memory: u32, delta: u64) -> Result<Option<u64>> {
        Ok(self.inner.grow_memory_unlimited(memory, delta))
    }

    fn grow_table(&mut self, table: u32, delta: u64, init: u64) -> Result<Option<u64>> {
        Ok(self.inner.grow_table_unlimited(table, delta, init))
    }

    fn epoch_deadline_reached(&mut self) -> Result<()> {
        Err(crate::trap::TrapCode::Interrupt.into())
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}
