//! Clocks a guest can read: wall-clock time and a monotonic clock.
//!
//! The system clocks are the default; embedders that need reproducible runs install their
//! own with [`WasiCtxBuilder::wall_clock`](crate::WasiCtxBuilder::wall_clock) and
//! [`WasiCtxBuilder::monotonic_clock`](crate::WasiCtxBuilder::monotonic_clock).

use std::time::{Duration, Instant, SystemTime};

/// The time of day: `CLOCK_REALTIME` in WASI preview 1.
pub trait WallClock: Send + Sync {
    /// The time since the Unix epoch (1970-01-01T00:00:00Z).
    fn now(&self) -> Duration;

    /// The clock's resolution.
    fn resolution(&self) -> Duration;
}

/// A clock that never goes back: `CLOCK_MONOTONIC` in WASI preview 1.
pub trait MonotonicClock: Send + Sync {
    /// Nanoseconds since an arbitrary point fixed when the clock was made.
    fn now(&self) -> u64;

    /// The clock's resolution in nanoseconds.
    fn resolution(&self) -> u64;
}

/// The host's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> Duration {
        // A host clock set before 1970 reads as the epoch.
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
}

/// The host's monotonic clock, counted from when this value was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonicClock {
    origin: Instant,
}

impl SystemMonotonicClock {
    /// A clock that reads 0 now.
    pub fn new() -> Self {
        SystemMonotonicClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemMonotonicClock {
    fn default() -> Self {
        SystemMonotonicClock::new()
    }
}

impl MonotonicClock for SystemMonotonicClock {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn resolution(&self) -> u64 {
        1
    }
}

/// A monotonic clock stuck at zero: the stand-in while the real context is lent out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ZeroClock;

impl MonotonicClock for ZeroClock {
    fn now(&self) -> u64 {
        0
    }

    fn resolution(&self) -> u64 {
        1
    }
}
