//! What a guest is granted: [`WasiCtxBuilder`] collects it, [`WasiCtx`] holds it.
//!
//! One `WasiCtx` is meant to serve every WASI version Weft implements; preview 1
//! ([`crate::p1`]) keeps its descriptor table in it. The context owns the host resources it
//! grants (directory handles, streams, sockets), so dropping the store closes them.

use crate::clocks::{MonotonicClock, SystemMonotonicClock, SystemWallClock, WallClock};
use crate::p1::table::{Descriptor, DirEntry, FdTable};
use crate::random::{OsRandom, RandomSource};
use crate::stream::{EmptyInput, InputStream, OutputStream, Sink, Stderr, Stdin, Stdout};
use core::fmt;
use core::ops::BitOr;
use std::io;
use std::path::Path;
use std::time::Instant;

/// What a guest may do with a preopened directory and the directories beneath it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DirPerms(u8);

impl DirPerms {
    /// List entries, read metadata, follow paths and open what is beneath.
    pub const READ: DirPerms = DirPerms(1);
    /// Create, remove, rename and link entries, and change timestamps.
    pub const MUTATE: DirPerms = DirPerms(2);

    /// No permission at all.
    pub const fn empty() -> DirPerms {
        DirPerms(0)
    }

    /// Every permission: [`DirPerms::READ`] and [`DirPerms::MUTATE`].
    pub const fn all() -> DirPerms {
        DirPerms(3)
    }

    /// Whether every permission of `other` is in `self`.
    pub const fn contains(self, other: DirPerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for DirPerms {
    type Output = DirPerms;
    fn bitor(self, rhs: DirPerms) -> DirPerms {
        DirPerms(self.0 | rhs.0)
    }
}

/// What a guest may do with the files in a preopened directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FilePerms(u8);

impl FilePerms {
    /// Read contents and metadata.
    pub const READ: FilePerms = FilePerms(1);
    /// Write contents, change the size and timestamps.
    pub const WRITE: FilePerms = FilePerms(2);

    /// No permission at all.
    pub const fn empty() -> FilePerms {
        FilePerms(0)
    }

    /// Every permission: [`FilePerms::READ`] and [`FilePerms::WRITE`].
    pub const fn all() -> FilePerms {
        FilePerms(3)
    }

    /// Whether every permission of `other` is in `self`.
    pub const fn contains(self, other: FilePerms) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for FilePerms {
    type Output = FilePerms;
    fn bitor(self, rhs: FilePerms) -> FilePerms {
        FilePerms(self.0 | rhs.0)
    }
}

/// Collects what a guest is granted, then [`build`](WasiCtxBuilder::build)s a [`WasiCtx`].
///
/// Nothing is granted by default: no arguments, no environment, empty stdin, discarded stdout
/// and stderr, no directories, and the system clocks and random generator.
///
/// ```
/// use weft_wasi::{DirPerms, FilePerms, MemoryInputPipe, MemoryOutputPipe, WasiCtxBuilder};
///
/// let dir = std::env::temp_dir();
/// let stdout = MemoryOutputPipe::new();
/// let wasi = WasiCtxBuilder::new()
///     .args(["app.wasm", "--verbose"])
///     .env("LANG", "C")
///     .stdin(MemoryInputPipe::new("input\n"))
///     .stdout(stdout.clone())
///     .inherit_stderr()
///     .preopened_dir(&dir, "/tmp", DirPerms::READ, FilePerms::READ)?
///     .build();
/// # let _ = wasi;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Box<dyn InputStream>,
    stdout: Box<dyn OutputStream>,
    stderr: Box<dyn OutputStream>,
    preopens: Vec<Descriptor>,
    wall_clock: Box<dyn WallClock>,
    monotonic_clock: Box<dyn MonotonicClock>,
    random: Box<dyn RandomSource>,
    deadline: Option<Instant>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl fmt::Debug for WasiCtxBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiCtxBuilder")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("preopens", &self.preopens.len())
            .finish_non_exhaustive()
    }
}

impl WasiCtxBuilder {
    /// A builder that grants nothing yet.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Box::new(EmptyInput),
            stdout: Box::new(Sink),
            stderr: Box::new(Sink),
            preopens: Vec::new(),
            wall_clock: Box::new(SystemWallClock),
            monotonic_clock: Box::new(SystemMonotonicClock::new()),
            random: Box::new(OsRandom),
            deadline: None,
        }
    }

    /// Appends one argument. The first argument is conventionally the program's name.
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args(&mut self, args: impl IntoIterator<Item = impl AsRef<str>>) -> &mut Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Appends the host process's own arguments (not valid UTF-8: lossily converted).
    pub fn inherit_args(&mut self) -> &mut Self {
        self.args
            .extend(std::env::args_os().map(|a| a.to_string_lossy().into_owned()));
        self
    }

    /// Sets one environment variable (a later value for the same name replaces the earlier).
    pub fn env(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> &mut Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        match self.env.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => value.clone_into(&mut entry.1),
            None => self.env.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Sets environment variables.
    pub fn envs(
        &mut self,
        vars: impl IntoIterator<Item = (impl AsRef<str>, impl AsRef<str>)>,
    ) -> &mut Self {
        for (name, value) in vars {
            self.env(name, value);
        }
        self
    }

    /// Sets every environment variable of the host process whose name and value are UTF-8.
    pub fn inherit_env(&mut self) -> &mut Self {
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
                self.env(name, value);
            }
        }
        self
    }

    /// Sets the guest's standard input.
    pub fn stdin(&mut self, stream: impl InputStream + 'static) -> &mut Self {
        self.stdin = Box::new(stream);
        self
    }

    /// Sets the guest's standard output.
    pub fn stdout(&mut self, stream: impl OutputStream + 'static) -> &mut Self {
        self.stdout = Box::new(stream);
        self
    }

    /// Sets the guest's standard error.
    pub fn stderr(&mut self, stream: impl OutputStream + 'static) -> &mut Self {
        self.stderr = Box::new(stream);
        self
    }

    /// Gives the guest the host process's standard input.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin(Stdin)
    }

    /// Gives the guest the host process's standard output.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout(Stdout)
    }

    /// Gives the guest the host process's standard error.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr(Stderr)
    }

    /// Gives the guest the host process's standard input, output and error.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Grants the host directory `host_path` to the guest, which sees it as `guest_path`.
    ///
    /// Every path the guest resolves in it stays inside it, and `dir_perms` and `file_perms`
    /// limit what the guest may do there (and in the directories beneath). Directories are
    /// numbered from descriptor 3 in the order they are granted.
    ///
    /// # Errors
    ///
    /// If `host_path` cannot be opened as a directory.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl AsRef<str>,
        dir_perms: DirPerms,
        file_perms: FilePerms,
    ) -> io::Result<&mut Self> {
        let dir =
            cap_std::fs::Dir::open_ambient_dir(host_path.as_ref(), cap_std::ambient_authority())?;
        Ok(self.preopened_cap_dir(dir, guest_path, dir_perms, file_perms))
    }

    /// Like [`WasiCtxBuilder::preopened_dir`], for a directory the embedder already opened.
    pub fn preopened_cap_dir(
        &mut self,
        dir: cap_std::fs::Dir,
        guest_path: impl AsRef<str>,
        dir_perms: DirPerms,
        file_perms: FilePerms,
    ) -> &mut Self {
        self.preopens.push(Descriptor::Dir(DirEntry::new(
            dir,
            dir_perms,
            file_perms,
            Some(guest_path.as_ref().to_owned()),
        )));
        self
    }

    /// Grants a listening TCP socket: the guest accepts connections on it with
    /// `sock_accept`. It gets the next descriptor number, after the directories granted so
    /// far.
    pub fn preopened_tcp_listener(&mut self, listener: std::net::TcpListener) -> &mut Self {
        self.preopens.push(Descriptor::TcpListener(listener));
        self
    }

    /// Replaces the wall clock (for reproducible runs).
    pub fn wall_clock(&mut self, clock: impl WallClock + 'static) -> &mut Self {
        self.wall_clock = Box::new(clock);
        self
    }

    /// Replaces the monotonic clock (for reproducible runs).
    pub fn monotonic_clock(&mut self, clock: impl MonotonicClock + 'static) -> &mut Self {
        self.monotonic_clock = Box::new(clock);
        self
    }

    /// Replaces the source of random bytes (for reproducible runs).
    pub fn random(&mut self, random: impl RandomSource + 'static) -> &mut Self {
        self.random = Box::new(random);
        self
    }

    /// Sets a deadline for the guest's blocking calls; see [`WasiCtx::set_deadline`].
    pub fn deadline(&mut self, deadline: Instant) -> &mut Self {
        self.deadline = Some(deadline);
        self
    }

    /// [`WasiCtxBuilder::build`] under the name Wasmtime 48 gives the preview 1 context
    /// (`build_p1`, which returns a `WasiP1Ctx`). Weft's [`WasiCtx`] serves every WASI
    /// version, so the two are the same.
    pub fn build_p1(&mut self) -> crate::p1::WasiP1Ctx {
        self.build()
    }

    /// The context with everything granted so far. The builder is left empty, as
    /// [`WasiCtxBuilder::new`] makes it.
    pub fn build(&mut self) -> WasiCtx {
        let WasiCtxBuilder {
            args,
            env,
            stdin,
            stdout,
            stderr,
            preopens,
            wall_clock,
            monotonic_clock,
            random,
            deadline,
        } = std::mem::take(self);
        let mut fds = FdTable::default();
        fds.push_initial(Descriptor::Stdin(stdin));
        fds.push_initial(Descriptor::Stdout(stdout));
        fds.push_initial(Descriptor::Stderr(stderr));
        for preopen in preopens {
            fds.push_initial(preopen);
        }
        WasiCtx {
            args,
            env,
            wall_clock,
            monotonic_clock,
            random,
            fds,
            deadline,
        }
    }
}

/// Everything a guest is granted, and the state WASI keeps for it (open descriptors).
///
/// Made by [`WasiCtxBuilder::build`]; usually kept in a [`weft::Store`]'s data and handed
/// to the host functions by the closure given to [`crate::p1::add_to_linker`].
pub struct WasiCtx {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) wall_clock: Box<dyn WallClock>,
    pub(crate) monotonic_clock: Box<dyn MonotonicClock>,
    pub(crate) random: Box<dyn RandomSource>,
    pub(crate) fds: FdTable,
    pub(crate) deadline: Option<Instant>,
}

impl WasiCtx {
    /// A builder for a context, as Wasmtime's `WasiCtx::builder()`; the same as
    /// [`WasiCtxBuilder::new`].
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// A context that grants nothing, as [`WasiCtxBuilder::new`] builds it.
    pub fn new() -> WasiCtx {
        WasiCtxBuilder::new().build()
    }

    /// A placeholder while the real context is lent out during a host call: it allocates
    /// nothing.
    pub(crate) fn placeholder() -> WasiCtx {
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            wall_clock: Box::new(SystemWallClock),
            monotonic_clock: Box::new(crate::clocks::ZeroClock),
            random: Box::new(OsRandom),
            fds: FdTable::default(),
            deadline: None,
        }
    }

    /// The guest's arguments.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The guest's environment variables.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Sets (or, with `None`, clears) the wall-time deadline of the guest's blocking calls.
    ///
    /// Epoch interruption ([`weft::Config::epoch_interruption`]) stops a guest only while it
    /// runs WebAssembly; a guest waiting in the host (`poll_oneoff` on a clock or on stdin, a
    /// read from stdin or a socket) would not see it. With a deadline, such a call waits at
    /// most until `deadline` and then ends the call with a
    /// [`TrapCode::Interrupt`](weft::TrapCode::Interrupt) trap, as an epoch deadline does in
    /// WebAssembly. An embedder that interrupts the guest after a timeout sets both.
    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// The deadline of the guest's blocking calls, if one is set.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl Default for WasiCtx {
    fn default() -> Self {
        WasiCtx::new()
    }
}

impl fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args)
            .field("env", &self.env)
            .field("descriptors", &self.fds.len())
            .finish_non_exhaustive()
    }
}
