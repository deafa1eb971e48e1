//! Standard streams: what a guest's descriptors 0, 1 and 2 read from and write to.
//!
//! A stream is any [`InputStream`] or [`OutputStream`]; the crate provides the host process's
//! own streams (inherited), in-memory pipes ([`MemoryInputPipe`](crate::MemoryInputPipe),
//! [`MemoryOutputPipe`](crate::MemoryOutputPipe)) and empty ones ([`EmptyInput`],
//! [`Sink`]).

use std::io::{self, Write};
use std::time::Duration;

/// A source of bytes for a guest's standard input.
pub trait InputStream: Send + Sync {
    /// Reads up to `buf.len()` bytes, blocking until at least one byte or the end of the
    /// stream is reached; `Ok(0)` means the end of the stream.
    ///
    /// # Errors
    ///
    /// An I/O error, reported to the guest as an errno.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;

    /// Waits until a read would not block (data or the end of the stream is available) or
    /// `timeout` passes (`None`: wait as long as it takes). Returns whether a read would not
    /// block. Streams that never block keep the default, which returns `true` at once.
    fn wait_readable(&mut self, timeout: Option<Duration>) -> bool {
        let _ = timeout;
        true
    }

    /// Whether the stream is a terminal.
    fn is_terminal(&self) -> bool {
        false
    }
}

/// A destination for a guest's standard output or standard error.
pub trait OutputStream: Send + Sync {
    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// An I/O error, reported to the guest as an errno.
    fn write(&mut self, buf: &[u8]) -> io::Result<()>;

    /// Flushes buffered output, if the stream buffers.
    ///
    /// # Errors
    ///
    /// An I/O error, reported to the guest as an errno.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Whether the stream is a terminal.
    fn is_terminal(&self) -> bool {
        false
    }
}

/// An input stream that is always at its end.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyInput;

impl InputStream for EmptyInput {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

/// An output stream that discards everything written to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sink;

impl OutputStream for Sink {
    fn write(&mut self, _buf: &[u8]) -> io::Result<()> {
        Ok(())
    }
}

/// The host process's standard input.
///
/// Reads go straight to the file descriptor, bypassing `std`'s buffer, so that waiting for
/// input (`poll_oneoff`) and reading agree on what is available.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdin;

impl InputStream for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_host_stdin(buf)
    }

    fn wait_readable(&mut self, timeout: Option<Duration>) -> bool {
        wait_host_stdin(timeout)
    }

    fn is_terminal(&self) -> bool {
        io::IsTerminal::is_terminal(&io::stdin())
    }
}

#[cfg(unix)]
fn read_host_stdin(buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsFd;
    loop {
        match rustix::io::read(io::stdin().as_fd(), &mut *buf) {
            Ok(n) => return Ok(n),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(not(unix))]
fn read_host_stdin(buf: &mut [u8]) -> io::Result<usize> {
    io::Read::read(&mut io::stdin(), buf)
}

#[cfg(unix)]
fn wait_host_stdin(timeout: Option<Duration>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec};
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    let fd = stdin.as_fd();
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let timeout = timeout.map(|t| Timespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(n) => n > 0,
        // Let the read report the problem.
        Err(_) => true,
    }
}

#[cfg(not(unix))]
fn wait_host_stdin(_timeout: Option<Duration>) -> bool {
    true
}

/// The host process's standard output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl OutputStream for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        // `std`'s stdout buffers by line; the guest decides its own buffering, so write
        // through and flush at once.
        let mut out = io::stdout().lock();
        out.write_all(buf)?;
        out.flush()
    }

    fn is_terminal(&self) -> bool {
        io::IsTerminal::is_terminal(&io::stdout())
    }
}

/// The host process's standard error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stderr;

impl OutputStream for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        io::stderr().lock().write_all(buf)
    }

    fn is_terminal(&self) -> bool {
        io::IsTerminal::is_terminal(&io::stderr())
    }
}
