//! Randomness for `random_get` (and for the hash-map seeds of most guest languages).

use std::io;

/// Where a guest's random bytes come from.
///
/// The default is the operating system's secure generator; embedders that need reproducible
/// runs install their own with [`WasiCtxBuilder::random`](crate::WasiCtxBuilder::random).
///
/// ```
/// /// Not random at all: fine for tests, wrong for anything else.
/// struct Counter(u8);
/// impl weft_wasi::RandomSource for Counter {
///     fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
///         for byte in buf {
///             self.0 = self.0.wrapping_add(1);
///             *byte = self.0;
///         }
///         Ok(())
///     }
/// }
/// let wasi = weft_wasi::WasiCtxBuilder::new().random(Counter(0)).build();
/// # let _ = wasi;
/// ```
pub trait RandomSource: Send + Sync {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    ///
    /// If no randomness can be had; the guest sees errno `EIO`.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<()>;
}

/// The operating system's secure random number generator.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<()> {
        use cap_rand::TryRngCore;
        cap_rand::rngs::OsRng::default(cap_rand::ambient_authority())
            .try_fill_bytes(buf)
            .map_err(io::Error::other)
    }
}
