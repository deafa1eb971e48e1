//! Resource limits: how much memory, table space and how many instances a store may use.
//!
//! The engine asks a store's [`ResourceLimiter`] before every memory or table growth
//! (`memory.grow`, `table.grow`, [`Memory::grow`](crate::Memory::grow), and the initial
//! allocation at instantiation) and before creating instances, tables and memories.
//! [`StoreLimits`] is the ready-made limiter built by [`StoreLimitsBuilder`].
//!
//! Some bounds hold with or without a limiter: a memory has at most 4 GiB
//! ([`MemoryType::MAX_PAGES`](crate::MemoryType::MAX_PAGES)), a table at most 10,000,000
//! elements (declared or grown to), and a store without a limiter at most
//! [`DEFAULT_INSTANCE_LIMIT`] instances, [`DEFAULT_MEMORY_LIMIT`] memories and
//! [`DEFAULT_TABLE_LIMIT`] tables.

use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};

/// Decides whether a store may grow its memories and tables and create more entities.
///
/// Install one with [`Store::limiter`](crate::Store::limiter). Sizes are in bytes for
/// memories and in elements for tables.
pub trait ResourceLimiter {
    /// Whether a memory may grow from `current` to `desired` bytes (`maximum` is the memory
    /// type's maximum in bytes, if any). `Ok(false)` makes the growth fail (`memory.grow`
    /// returns -1, instantiation fails); `Err` traps the running wasm code with that error.
    ///
    /// # Errors
    ///
    /// An error to trap instead of failing the growth.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Whether a table may grow from `current` to `desired` elements; as
    /// [`ResourceLimiter::memory_growing`].
    ///
    /// # Errors
    ///
    /// An error to trap instead of failing the growth.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// The most instances the store may hold. Default: 10,000.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables the store may hold. Default: 10,000.
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most memories the store may hold. Default: 10,000.
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// The most instances a store holds by default: without a limiter, or with a
/// [`ResourceLimiter`] that keeps the default [`ResourceLimiter::instances`] (Wasmtime's value).
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// The most tables a store holds by default; as [`DEFAULT_INSTANCE_LIMIT`].
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// The most memories a store holds by default; as [`DEFAULT_INSTANCE_LIMIT`].
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// The most elements a table may have, whether declared or reached by `table.grow`, with or
/// without a limiter: 8 bytes each, so at most 80 MB per table.
pub(crate) const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A [`ResourceLimiter`] with fixed limits; build it with [`StoreLimitsBuilder`].
///
/// By default no memory size or table length is limited beyond Weft's own bounds (4 GiB per
/// memory, 10,000,000 elements per table), and the counts are [`DEFAULT_INSTANCE_LIMIT`],
/// [`DEFAULT_MEMORY_LIMIT`] and [`DEFAULT_TABLE_LIMIT`], as for a store without a limiter.
///
/// ```
/// use weft::{Engine, Module, Store, StoreLimits, StoreLimitsBuilder, Instance};
/// let engine = Engine::default();
/// let mut store = Store::new(&engine, StoreLimitsBuilder::new().memory_size(1 << 16).build());
/// store.limiter(|limits| limits);
/// let module = Module::new(&engine, r#"(module (memory (export "m") 1)
///     (func (export "grow") (result i32) i32.const 1 memory.grow))"#)?;
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let grow = instance.get_typed_func::<(), i32>(&mut store, "grow")?;
/// assert_eq!(grow.call(&mut store, ())?, -1); // a second page would exceed 64 KiB
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        match self.memory_size {
            Some(limit) if desired > limit => {
                if self.trap_on_grow_failure {
                    Err(Error::resource(format!(
                        "memory size limit of {limit} bytes exceeded (growing from {current} to {desired} bytes)"
                    )))
                } else {
                    Ok(false)
                }
            }
            _ => Ok(true),
        }
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool> {
        match self.table_elements {
            Some(limit) if desired > limit => {
                if self.trap_on_grow_failure {
                    Err(Error::resource(format!(
                        "table elements limit of {limit} exceeded (growing from {current} to {desired} elements)"
                    )))
                } else {
                    Ok(false)
                }
            }
            _ => Ok(true),
        }
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// Builds [`StoreLimits`]. Every limit is unbounded (or the default count) unless set.
#[derive(Debug, Clone, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// A builder with no limits set.
    pub fn new() -> Self {
        StoreLimitsBuilder(StoreLimits::default())
    }

    /// The most bytes any one linear memory may have.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may have.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances the store may hold.
    pub fn instances(mut self, count: usize) -> Self {
        self.0.instances = count;
        self
    }

    /// The most tables the store may hold.
    pub fn tables(mut self, count: usize) -> Self {
        self.0.tables = count;
        self
    }

    /// The most memories the store may hold.
    pub fn memories(mut self, count: usize) -> Self {
        self.0.memories = count;
        self
    }

    /// Whether a growth beyond a limit traps (naming the limit) instead of failing
    /// (`memory.grow`/`table.grow` returning -1). Default: no.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}
