//! The pooling allocator: bounds, shared by every store of an engine, on the core instances,
//! linear memories and tables alive at once, and the memories of dropped stores kept warm
//! for reuse (see [`PoolingAllocationConfig`]).
//!
//! Each entity a pool admits holds a [`PoolSlot`]; dropping the entity (with its store, or
//! when a failed instantiation is rolled back) gives the slot back. A memory's bytes go back
//! to the pool's warm list, and the next memory made from the pool takes them and resets them
//! in place ([`LinearMemory::reset`]), which costs less than mapping fresh pages. A memory that
//! maps a module's image is preferred for the next memory of that module: its reset is one
//! `madvise`, after which it reads the image again.

use crate::config::PoolingAllocationConfig;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::linear_memory::{LinearMemory, MemoryImage};
use std::sync::{Arc, Mutex, PoisonError};

/// What a slot of the pool holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// A core instance.
    Instance,
    /// A linear memory.
    Memory,
    /// A table.
    Table,
}

/// A pool of an engine with [`InstanceAllocationStrategy::Pooling`](crate::InstanceAllocationStrategy::Pooling).
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) config: PoolingAllocationConfig,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    instances: u32,
    memories: u32,
    tables: u32,
    /// Memories of dropped stores, for reuse.
    warm: Vec<LinearMemory>,
}

/// One admitted instance, memory or table: gives its slot back when dropped.
#[derive(Debug)]
pub(crate) struct PoolSlot {
    pool: Arc<Pool>,
    kind: SlotKind,
}

impl PoolSlot {
    /// Keeps `memory`'s bytes in the slot's pool for reuse.
    pub(crate) fn give_back(&self, memory: LinearMemory) {
        self.pool.give_back(memory);
    }

    /// The pool's bounds.
    pub(crate) fn config(&self) -> &PoolingAllocationConfig {
        &self.pool.config
    }
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        let count = match self.kind {
            SlotKind::Instance => &mut state.instances,
            SlotKind::Memory => &mut state.memories,
            SlotKind::Table => &mut state.tables,
        };
        *count = count.saturating_sub(1);
    }
}

impl Pool {
    pub(crate) fn new(config: PoolingAllocationConfig) -> Arc<Pool> {
        Arc::new(Pool {
            config,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is counters and a list: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot of `kind`.
    ///
    /// # Errors
    ///
    /// If the pool's total for `kind` is reached.
    pub(crate) fn take(self: &Arc<Self>, kind: SlotKind) -> Result<PoolSlot> {
        let mut state = self.lock();
        let (count, total, what) = match kind {
            SlotKind::Instance => (
                &mut state.instances,
                self.config.total_core_instances,
                "core instance",
            ),
            SlotKind::Memory => (&mut state.memories, self.config.total_memories, "memory"),
            SlotKind::Table => (&mut state.tables, self.config.total_tables, "table"),
        };
        if *count >= total {
            return Err(Error::resource(format!(
                "maximum concurrent {what} limit of {total} reached (the pooling allocator's \
                 bound for the engine's stores)"
            )));
        }
        *count += 1;
        Ok(PoolSlot {
            pool: self.clone(),
            kind,
        })
    }

    /// The bytes of a new memory of `len` bytes holding `image` (zeros without one): a warm
    /// memory reset and resized (preferably one that maps the same image, whose reset costs
    /// least), or a fresh mapping.
    ///
    /// # Errors
    ///
    /// If `len` exceeds the pool's `max_memory_size`, or the OS refuses the pages.
    pub(crate) fn memory(
        &self,
        len: usize,
        image: Option<&Arc<MemoryImage>>,
    ) -> Result<LinearMemory> {
        if len > self.config.max_memory_size {
            return Err(Error::resource(format!(
                "memory of {len} bytes exceeds the pooling allocator's max_memory_size of {} bytes",
                self.config.max_memory_size
            )));
        }
        let warm = {
            let mut state = self.lock();
            match state.warm.iter().rposition(|memory| memory.maps(image)) {
                Some(index) => Some(state.warm.swap_remove(index)),
                None => state.warm.pop(),
            }
        };
        let refused = |_| Error::resource(format!("failed to allocate a memory of {len} bytes"));
        match warm {
            Some(mut memory) => {
                memory
                    .reset(len, self.config.linear_memory_keep_resident, image)
                    .map_err(refused)?;
                Ok(memory)
            }
            None => LinearMemory::with_image(len, image).map_err(refused),
        }
    }

    /// Keeps `memory`'s bytes for reuse, if fewer than `max_unused_warm_slots` are kept.
    pub(crate) fn give_back(&self, memory: LinearMemory) {
        let mut state = self.lock();
        if state.warm.len() < self.config.max_unused_warm_slots as usize && !memory.is_empty() {
            state.warm.push(memory);
        }
    }
}
