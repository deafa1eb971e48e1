//! In-memory pipes for standard streams: feed a guest's stdin from bytes and capture its
//! stdout or stderr.

use crate::stream::{InputStream, OutputStream};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

/// A guest's standard input served from bytes in memory.
///
/// Clones share the same bytes and read position.
///
/// ```
/// use weft_wasi::{InputStream, MemoryInputPipe};
/// let mut pipe = MemoryInputPipe::new("abc");
/// let mut buf = [0; 2];
/// assert_eq!(pipe.read(&mut buf)?, 2);
/// assert_eq!(pipe.read(&mut buf)?, 1);
/// assert_eq!(pipe.read(&mut buf)?, 0);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryInputPipe {
    inner: Arc<Mutex<InputState>>,
}

#[derive(Debug, Default)]
struct InputState {
    bytes: Vec<u8>,
    position: usize,
}

impl MemoryInputPipe {
    /// A pipe that yields `bytes` and then reports the end of the stream.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        MemoryInputPipe {
            inner: Arc::new(Mutex::new(InputState {
                bytes: bytes.into(),
                position: 0,
            })),
        }
    }

    /// How many bytes are left to read.
    pub fn remaining(&self) -> usize {
        let state = lock(&self.inner);
        state.bytes.len().saturating_sub(state.position)
    }
}

impl InputStream for MemoryInputPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = lock(&self.inner);
        let rest = state.bytes.get(state.position..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        state.position += n;
        Ok(n)
    }
}

/// A guest's standard output or standard error captured in memory.
///
/// Clones share the same buffer: keep one clone, hand the other to
/// [`WasiCtxBuilder::stdout`](crate::WasiCtxBuilder::stdout), and read what the guest wrote
/// with [`MemoryOutputPipe::contents`].
///
/// ```
/// use weft_wasi::{MemoryOutputPipe, OutputStream};
/// let pipe = MemoryOutputPipe::new();
/// let mut writer = pipe.clone();
/// writer.write(b"hi")?;
/// assert_eq!(pipe.contents(), b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryOutputPipe {
    inner: Arc<Mutex<Vec<u8>>>,
    limit: Option<usize>,
}

impl MemoryOutputPipe {
    /// An empty pipe without a size limit.
    pub fn new() -> Self {
        MemoryOutputPipe::default()
    }

    /// An empty pipe that holds at most `limit` bytes: a write that would pass the limit
    /// fails (the guest sees errno `EFBIG`) and writes nothing.
    pub fn with_limit(limit: usize) -> Self {
        MemoryOutputPipe {
            inner: Arc::default(),
            limit: Some(limit),
        }
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.inner).clone()
    }
}

impl OutputStream for MemoryOutputPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut bytes = lock(&self.inner);
        if let Some(limit) = self.limit
            && bytes.len().saturating_add(buf.len()) > limit
        {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::FBIG.raw_os_error(),
            ));
        }
        bytes.extend_from_slice(buf);
        Ok(())
    }
}

/// Locks `mutex`, recovering the data if a thread panicked while holding it (the buffers stay
/// consistent: every update is a single push or position change).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_pipe_reads_in_pieces_and_clones_share_position() {
        let mut a = MemoryInputPipe::new(b"hello world".to_vec());
        let mut b = a.clone();
        let mut buf = [0u8; 5];
        assert_eq!(a.read(&mut buf).ok(), Some(5));
        assert_eq!(&buf, b"hello");
        assert_eq!(b.remaining(), 6);
        let mut rest = [0u8; 16];
        assert_eq!(b.read(&mut rest).ok(), Some(6));
        assert_eq!(&rest[..6], b" world");
        assert_eq!(a.read(&mut rest).ok(), Some(0));
        assert_eq!(a.read(&mut []).ok(), Some(0));
    }

    #[test]
    fn output_pipe_collects_and_honours_its_limit() {
        let pipe = MemoryOutputPipe::with_limit(8);
        let mut writer = pipe.clone();
        assert!(writer.write(b"12345").is_ok());
        assert!(writer.write(b"678").is_ok());
        let error = writer.write(b"9").err();
        assert_eq!(
            error.and_then(|e| e.raw_os_error()),
            Some(rustix::io::Errno::FBIG.raw_os_error())
        );
        assert_eq!(pipe.contents(), b"12345678");
        let unlimited = MemoryOutputPipe::new();
        let mut w = unlimited.clone();
        assert!(w.write(&[7; 100_000]).is_ok());
        assert_eq!(unlimited.contents().len(), 100_000);
    }
}
