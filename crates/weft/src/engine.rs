//! The engine: configuration shared by modules and stores, and the registry of function types.

use crate::config::Config;
use crate::error::Result;
use crate::types::FuncType;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// An engine-wide identifier of a function type: two functions have equal `SigId`s exactly
/// when their [`FuncType`]s are equal. `call_indirect` compares these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SigId(pub(crate) u32);

/// Compiles modules and holds the settings they share.
///
/// An `Engine` is cheap to clone (a reference count) and may be shared by many threads, modules
/// and stores. Modules and stores must come from the same engine to be used together.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    /// The pool of [`InstanceAllocationStrategy::Pooling`](crate::InstanceAllocationStrategy::Pooling).
    pool: Option<Arc<crate::pool::Pool>>,
    signatures: Mutex<Signatures>,
    epoch: AtomicU64,
}

#[derive(Default)]
struct Signatures {
    ids: HashMap<FuncType, SigId>,
    types: Vec<FuncType>,
}

impl Engine {
    /// An engine with the given configuration.
    ///
    /// # Errors
    ///
    /// A usage error naming the setting if `config` turns on something Weft does not
    /// implement (a proposal such as [`Config::wasm_simd`], async support, a profiler); see the setters' documentation.
    pub fn new(config: &Config) -> Result<Engine> {
        config.check()?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                pool: match &config.allocation {
                    crate::InstanceAllocationStrategy::Pooling(pool) => {
                        Some(crate::pool::Pool::new(pool.clone()))
                    }
                    crate::InstanceAllocationStrategy::OnDemand => None,
                },
                signatures: Mutex::new(Signatures::default()),
                epoch: AtomicU64::new(0),
            }),
        })
    }

    /// The configuration this engine was created with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The pooling allocator's pool, if the engine uses one.
    pub(crate) fn pool(&self) -> Option<&Arc<crate::pool::Pool>> {
        self.inner.pool.as_ref()
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// Advances the engine's epoch by one. Stores whose epoch deadline is reached trap with
    /// [`TrapCode::Interrupt`](crate::TrapCode::Interrupt) (or run their deadline callback) at
    /// the next function entry or loop back-edge, when
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption) is on.
    ///
    /// Safe to call from any thread, including a signal-free timer thread.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    /// The current epoch.
    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    /// The engine-wide id of `ty`, registering it on first use.
    pub(crate) fn intern_signature(&self, ty: &FuncType) -> SigId {
        let mut sigs = self
            .inner
            .signatures
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = sigs.ids.get(ty) {
            return *id;
        }
        let id = SigId(u32::try_from(sigs.types.len()).unwrap_or(u32::MAX));
        sigs.types.push(ty.clone());
        sigs.ids.insert(ty.clone(), id);
        id
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: Config::default(),
                pool: None,
                signatures: Mutex::new(Signatures::default()),
                epoch: AtomicU64::new(0),
            }),
        }
    }
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
