//! The types of `wasi_snapshot_preview1` as they lie in guest memory, and the errors of its
//! host functions.
//!
//! Layouts follow `typenames.witx` of the preview 1 snapshot; sizes and offsets are written out
//! where the structures are read or written (`Filestat` is 64 bytes, `Fdstat` 24, `Dirent`
//! 24, `Subscription` 48, `Event` 32, `Prestat` 8, `Iovec` 8).

use std::io;

/// A WASI error number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Errno(pub(crate) u16);

#[allow(
    dead_code,
    reason = "the full list of preview 1 error numbers, some unused"
)]
impl Errno {
    pub(crate) const TOOBIG: Errno = Errno(1);
    pub(crate) const ACCES: Errno = Errno(2);
    pub(crate) const ADDRINUSE: Errno = Errno(3);
    pub(crate) const ADDRNOTAVAIL: Errno = Errno(4);
    pub(crate) const AFNOSUPPORT: Errno = Errno(5);
    pub(crate) const AGAIN: Errno = Errno(6);
    pub(crate) const ALREADY: Errno = Errno(7);
    pub(crate) const BADF: Errno = Errno(8);
    pub(crate) const BUSY: Errno = Errno(10);
    pub(crate) const CONNABORTED: Errno = Errno(13);
    pub(crate) const CONNREFUSED: Errno = Errno(14);
    pub(crate) const CONNRESET: Errno = Errno(15);
    pub(crate) const DEADLK: Errno = Errno(16);
    pub(crate) const DQUOT: Errno = Errno(19);
    pub(crate) const EXIST: Errno = Errno(20);
    pub(crate) const FBIG: Errno = Errno(22);
    pub(crate) const HOSTUNREACH: Errno = Errno(23);
    pub(crate) const ILSEQ: Errno = Errno(25);
    pub(crate) const INPROGRESS: Errno = Errno(26);
    pub(crate) const INTR: Errno = Errno(27);
    pub(crate) const INVAL: Errno = Errno(28);
    pub(crate) const IO: Errno = Errno(29);
    pub(crate) const ISCONN: Errno = Errno(30);
    pub(crate) const ISDIR: Errno = Errno(31);
    pub(crate) const LOOP: Errno = Errno(32);
    pub(crate) const MFILE: Errno = Errno(33);
    pub(crate) const MLINK: Errno = Errno(34);
    pub(crate) const NAMETOOLONG: Errno = Errno(37);
    pub(crate) const NETDOWN: Errno = Errno(38);
    pub(crate) const NETUNREACH: Errno = Errno(40);
    pub(crate) const NFILE: Errno = Errno(41);
    pub(crate) const NOBUFS: Errno = Errno(42);
    pub(crate) const NODEV: Errno = Errno(43);
    pub(crate) const NOENT: Errno = Errno(44);
    pub(crate) const NOMEM: Errno = Errno(48);
    pub(crate) const NOSPC: Errno = Errno(51);
    pub(crate) const NOSYS: Errno = Errno(52);
    pub(crate) const NOTCONN: Errno = Errno(53);
    pub(crate) const NOTDIR: Errno = Errno(54);
    pub(crate) const NOTEMPTY: Errno = Errno(55);
    pub(crate) const NOTSOCK: Errno = Errno(57);
    pub(crate) const NOTSUP: Errno = Errno(58);
    pub(crate) const NOTTY: Errno = Errno(59);
    pub(crate) const NXIO: Errno = Errno(60);
    pub(crate) const OVERFLOW: Errno = Errno(61);
    pub(crate) const PERM: Errno = Errno(63);
    pub(crate) const PIPE: Errno = Errno(64);
    pub(crate) const ROFS: Errno = Errno(69);
    pub(crate) const SPIPE: Errno = Errno(70);
    pub(crate) const TIMEDOUT: Errno = Errno(73);
    pub(crate) const TXTBSY: Errno = Errno(74);
    pub(crate) const XDEV: Errno = Errno(75);
}

/// Why a host function did not succeed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// Returned to the guest as the function's result.
    Errno(Errno),
    /// The guest broke the calling convention (a pointer outside its memory or misaligned, an
    /// enum or flags argument with an undefined value): the call traps, as the witx rules for
    /// preview 1 require. The message says what was wrong.
    Fault(String),
    /// Ends the call with this error, unchanged (`proc_exit`).
    Host(weft::Error),
}

/// The result of a host function's implementation.
pub(crate) type SysResult<T> = Result<T, Fail>;

impl From<Errno> for Fail {
    fn from(errno: Errno) -> Self {
        Fail::Errno(errno)
    }
}

impl From<io::Error> for Fail {
    fn from(error: io::Error) -> Self {
        Fail::Errno(errno_from_io(&error))
    }
}

/// A fault: the guest broke the calling convention.
#[cold]
pub(crate) fn fault(message: impl Into<String>) -> Fail {
    Fail::Fault(message.into())
}

/// The WASI errno for a host I/O error: by its OS error number when it has one, else by its
/// kind. Errors cap-std raises for paths that would leave a preopened directory have no OS
/// number and the kind `PermissionDenied`, and so become `EPERM`, as in Wasmtime.
pub(crate) fn errno_from_io(error: &io::Error) -> Errno {
    if let Some(raw) = error.raw_os_error()
        && let Some(errno) = errno_from_os(raw)
    {
        return errno;
    }
    match error.kind() {
        io::ErrorKind::NotFound => Errno::NOENT,
        io::ErrorKind::PermissionDenied => Errno::PERM,
        io::ErrorKind::AlreadyExists => Errno::EXIST,
        io::ErrorKind::InvalidInput => Errno::INVAL,
        io::ErrorKind::WouldBlock => Errno::AGAIN,
        io::ErrorKind::BrokenPipe => Errno::PIPE,
        io::ErrorKind::ConnectionRefused => Errno::CONNREFUSED,
        io::ErrorKind::ConnectionReset => Errno::CONNRESET,
        io::ErrorKind::ConnectionAborted => Errno::CONNABORTED,
        io::ErrorKind::NotConnected => Errno::NOTCONN,
        io::ErrorKind::TimedOut => Errno::TIMEDOUT,
        io::ErrorKind::Interrupted => Errno::INTR,
        io::ErrorKind::Unsupported => Errno::NOTSUP,
        io::ErrorKind::OutOfMemory => Errno::NOMEM,
        _ => Errno::IO,
    }
}

#[cfg(unix)]
fn errno_from_os(raw: i32) -> Option<Errno> {
    use rustix::io::Errno as E;
    let errno = E::from_raw_os_error(raw);
    Some(match errno {
        E::PERM => Errno::PERM,
        E::NOENT => Errno::NOENT,
        E::IO => Errno::IO,
        E::NXIO => Errno::NXIO,
        E::TOOBIG => Errno::TOOBIG,
        E::BADF => Errno::BADF,
        E::AGAIN => Errno::AGAIN,
        E::NOMEM => Errno::NOMEM,
        E::ACCESS => Errno::ACCES,
        E::BUSY => Errno::BUSY,
        E::EXIST => Errno::EXIST,
        E::XDEV => Errno::XDEV,
        E::NODEV => Errno::NODEV,
        E::NOTDIR => Errno::NOTDIR,
        E::ISDIR => Errno::ISDIR,
        E::INVAL => Errno::INVAL,
        E::NFILE => Errno::NFILE,
        E::MFILE => Errno::MFILE,
        E::NOTTY => Errno::NOTTY,
        E::TXTBSY => Errno::TXTBSY,
        E::FBIG => Errno::FBIG,
        E::NOSPC => Errno::NOSPC,
        E::SPIPE => Errno::SPIPE,
        E::ROFS => Errno::ROFS,
        E::MLINK => Errno::MLINK,
        E::PIPE => Errno::PIPE,
        E::DEADLK => Errno::DEADLK,
        E::NAMETOOLONG => Errno::NAMETOOLONG,
        E::NOSYS => Errno::NOSYS,
        E::NOTEMPTY => Errno::NOTEMPTY,
        E::LOOP => Errno::LOOP,
        E::OVERFLOW => Errno::OVERFLOW,
        E::ILSEQ => Errno::ILSEQ,
        E::NOTSOCK => Errno::NOTSOCK,
        E::NOTSUP => Errno::NOTSUP,
        E::ADDRINUSE => Errno::ADDRINUSE,
        E::ADDRNOTAVAIL => Errno::ADDRNOTAVAIL,
        E::AFNOSUPPORT => Errno::AFNOSUPPORT,
        E::NETDOWN => Errno::NETDOWN,
        E::NETUNREACH => Errno::NETUNREACH,
        E::CONNABORTED => Errno::CONNABORTED,
        E::CONNRESET => Errno::CONNRESET,
        E::NOBUFS => Errno::NOBUFS,
        E::ISCONN => Errno::ISCONN,
        E::NOTCONN => Errno::NOTCONN,
        E::TIMEDOUT => Errno::TIMEDOUT,
        E::CONNREFUSED => Errno::CONNREFUSED,
        E::HOSTUNREACH => Errno::HOSTUNREACH,
        E::ALREADY => Errno::ALREADY,
        E::INPROGRESS => Errno::INPROGRESS,
        E::DQUOT => Errno::DQUOT,
        E::INTR => Errno::INTR,
        _ => return None,
    })
}

#[cfg(not(unix))]
fn errno_from_os(_raw: i32) -> Option<Errno> {
    None
}

/// `filetype`.
pub(crate) mod filetype {
    pub(crate) const UNKNOWN: u8 = 0;
    pub(crate) const BLOCK_DEVICE: u8 = 1;
    pub(crate) const CHARACTER_DEVICE: u8 = 2;
    pub(crate) const DIRECTORY: u8 = 3;
    pub(crate) const REGULAR_FILE: u8 = 4;
    pub(crate) const SOCKET_STREAM: u8 = 6;
    pub(crate) const SYMBOLIC_LINK: u8 = 7;
}

/// `rights` bits.
pub(crate) mod rights {
    pub(crate) const FD_DATASYNC: u64 = 1 << 0;
    pub(crate) const FD_READ: u64 = 1 << 1;
    pub(crate) const FD_SEEK: u64 = 1 << 2;
    pub(crate) const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub(crate) const FD_SYNC: u64 = 1 << 4;
    pub(crate) const FD_TELL: u64 = 1 << 5;
    pub(crate) const FD_WRITE: u64 = 1 << 6;
    pub(crate) const FD_ADVISE: u64 = 1 << 7;
    pub(crate) const FD_ALLOCATE: u64 = 1 << 8;
    pub(crate) const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub(crate) const PATH_CREATE_FILE: u64 = 1 << 10;
    pub(crate) const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub(crate) const PATH_LINK_TARGET: u64 = 1 << 12;
    pub(crate) const PATH_OPEN: u64 = 1 << 13;
    pub(crate) const FD_READDIR: u64 = 1 << 14;
    pub(crate) const PATH_READLINK: u64 = 1 << 15;
    pub(crate) const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub(crate) const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub(crate) const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub(crate) const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub(crate) const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub(crate) const FD_FILESTAT_GET: u64 = 1 << 21;
    pub(crate) const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub(crate) const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub(crate) const PATH_SYMLINK: u64 = 1 << 24;
    pub(crate) const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub(crate) const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub(crate) const POLL_FD_READWRITE: u64 = 1 << 27;
    pub(crate) const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub(crate) const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right preview 1 defines.
    pub(crate) const ALL: u64 = (1 << 30) - 1;

    /// What a preopened directory reports: the rights libc expects of one.
    pub(crate) const PREOPEN_BASE: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES;

    /// What files opened beneath a preopened directory may get.
    pub(crate) const PREOPEN_INHERITING: u64 = PREOPEN_BASE
        | FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
}

/// `fdflags` bits.
pub(crate) mod fdflags {
    pub(crate) const APPEND: u16 = 1 << 0;
    pub(crate) const DSYNC: u16 = 1 << 1;
    pub(crate) const NONBLOCK: u16 = 1 << 2;
    pub(crate) const RSYNC: u16 = 1 << 3;
    pub(crate) const SYNC: u16 = 1 << 4;
    pub(crate) const ALL: u16 = (1 << 5) - 1;
}

/// `oflags` bits.
pub(crate) mod oflags {
    pub(crate) const CREAT: u16 = 1 << 0;
    pub(crate) const DIRECTORY: u16 = 1 << 1;
    pub(crate) const EXCL: u16 = 1 << 2;
    pub(crate) const TRUNC: u16 = 1 << 3;
    pub(crate) const ALL: u16 = (1 << 4) - 1;
}

/// `lookupflags` bits.
pub(crate) mod lookupflags {
    pub(crate) const SYMLINK_FOLLOW: u32 = 1 << 0;
    pub(crate) const ALL: u32 = 1;
}

/// `fstflags` bits.
pub(crate) mod fstflags {
    pub(crate) const ATIM: u16 = 1 << 0;
    pub(crate) const ATIM_NOW: u16 = 1 << 1;
    pub(crate) const MTIM: u16 = 1 << 2;
    pub(crate) const MTIM_NOW: u16 = 1 << 3;
    pub(crate) const ALL: u16 = (1 << 4) - 1;
}

/// `clockid` values.
pub(crate) mod clockid {
    pub(crate) const REALTIME: u32 = 0;
    pub(crate) const MONOTONIC: u32 = 1;
    pub(crate) const THREAD_CPUTIME_ID: u32 = 3;
}

/// `whence` values.
pub(crate) mod whence {
    pub(crate) const SET: u32 = 0;
    pub(crate) const CUR: u32 = 1;
    pub(crate) const END: u32 = 2;
}

/// `eventtype` values (also the tags of `subscription_u`).
pub(crate) mod eventtype {
    pub(crate) const CLOCK: u8 = 0;
    pub(crate) const FD_READ: u8 = 1;
    pub(crate) const FD_WRITE: u8 = 2;
}

/// `subclockflags`, `eventrwflags`, `riflags`, `roflags`, `siflags` and `sdflags` bits.
pub(crate) mod misc_flags {
    pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1 << 0;
    pub(crate) const FD_READWRITE_HANGUP: u16 = 1 << 0;
    pub(crate) const RECV_PEEK: u16 = 1 << 0;
    pub(crate) const RECV_WAITALL: u16 = 1 << 1;
    pub(crate) const SHUT_RD: u32 = 1 << 0;
    pub(crate) const SHUT_WR: u32 = 1 << 1;
}

/// A 64-byte `filestat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Filestat {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) filetype: u8,
    pub(crate) nlink: u64,
    pub(crate) size: u64,
    pub(crate) atim: u64,
    pub(crate) mtim: u64,
    pub(crate) ctim: u64,
}

impl Filestat {
    /// The guest representation.
    pub(crate) fn to_bytes(self) -> [u8; 64] {
        let mut out = [0u8; 64];
        put(&mut out, 0, &self.dev.to_le_bytes());
        put(&mut out, 8, &self.ino.to_le_bytes());
        put(&mut out, 16, &[self.filetype]);
        put(&mut out, 24, &self.nlink.to_le_bytes());
        put(&mut out, 32, &self.size.to_le_bytes());
        put(&mut out, 40, &self.atim.to_le_bytes());
        put(&mut out, 48, &self.mtim.to_le_bytes());
        put(&mut out, 56, &self.ctim.to_le_bytes());
        out
    }
}

/// A 24-byte `fdstat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fdstat {
    pub(crate) filetype: u8,
    pub(crate) flags: u16,
    pub(crate) rights_base: u64,
    pub(crate) rights_inheriting: u64,
}

impl Fdstat {
    /// The guest representation.
    pub(crate) fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        put(&mut out, 0, &[self.filetype]);
        put(&mut out, 2, &self.flags.to_le_bytes());
        put(&mut out, 8, &self.rights_base.to_le_bytes());
        put(&mut out, 16, &self.rights_inheriting.to_le_bytes());
        out
    }
}

/// Copies `bytes` into `out` at `at`; the callers' offsets are constants within `out`.
pub(crate) fn put(out: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(dst) = out.get_mut(at..at + bytes.len()) {
        dst.copy_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_map_to_wasi_errnos() {
        let os =
            |e: rustix::io::Errno| errno_from_io(&io::Error::from_raw_os_error(e.raw_os_error()));
        assert_eq!(os(rustix::io::Errno::NOENT), Errno::NOENT);
        assert_eq!(os(rustix::io::Errno::NOTEMPTY), Errno::NOTEMPTY);
        assert_eq!(os(rustix::io::Errno::LOOP), Errno::LOOP);
        assert_eq!(os(rustix::io::Errno::ISDIR), Errno::ISDIR);
        // cap-std's "a path led outside of the filesystem" has no OS number.
        let escape = io::Error::new(io::ErrorKind::PermissionDenied, "outside");
        assert_eq!(errno_from_io(&escape), Errno::PERM);
        assert_eq!(errno_from_io(&io::Error::other("?")), Errno::IO);
    }

    #[test]
    fn structures_have_their_witx_layout() {
        let stat = Filestat {
            dev: 1,
            ino: 2,
            filetype: filetype::REGULAR_FILE,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        }
        .to_bytes();
        assert_eq!(stat[16], 4);
        assert_eq!(stat[32], 4);
        assert_eq!(stat[56], 7);
        let fdstat = Fdstat {
            filetype: filetype::DIRECTORY,
            flags: fdflags::APPEND,
            rights_base: rights::FD_READ,
            rights_inheriting: rights::ALL,
        }
        .to_bytes();
        assert_eq!(&fdstat[..4], &[3, 0, 1, 0]);
        assert_eq!(fdstat[8], 2);
        assert_eq!(&fdstat[16..24], &((1u64 << 30) - 1).to_le_bytes());
    }
}
