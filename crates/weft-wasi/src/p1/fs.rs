//! Descriptors and paths: the `fd_*` and `path_*` functions of preview 1.
//!
//! Every path is resolved by cap-std relative to a directory descriptor, so it cannot leave
//! the directory; the grant's [`DirPerms`](crate::DirPerms) and
//! [`FilePerms`](crate::FilePerms) are checked first. Errnos, and the order in which
//! arguments are checked, follow Wasmtime's implementation, so a guest sees the same results
//! under both.

#![allow(
    clippy::too_many_arguments,
    reason = "each function takes the arguments of its WASI signature"
)]

use super::memory::{GuestMemory, IO_CHUNK, IoVec};
use super::poll::{wait_socket, wait_stdin};
use super::table::{Descriptor, DirEntry, FileEntry};
use super::types::{
    Errno, Fdstat, Filestat, SysResult, fdflags, filetype, fstflags, lookupflags, oflags, rights,
    whence,
};
use super::{enum_value, flags};
use crate::ctx::{FilePerms, WasiCtx};
use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{FileExt, Metadata};
use fs_set_times::{SetTimes, SystemTimeSpec};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::time::{Duration, SystemTime};

/// The most a read from a stream (stdin, a socket) takes at once.
const STREAM_CHUNK: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Metadata

fn filetype_of(ft: cap_std::fs::FileType) -> u8 {
    use cap_fs_ext::FileTypeExt;
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ft.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ft.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ft.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

fn nanos_since_epoch(t: std::io::Result<SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The guest's view of host metadata. The inode number is a hash of the host's device and
/// inode numbers (stable, and equal for the same file, without telling the guest the host's
/// numbers); the device is always 1.
fn filestat(meta: &Metadata) -> Filestat {
    use cap_fs_ext::MetadataExt;
    let mut hasher = std::hash::DefaultHasher::new();
    (meta.dev(), meta.ino()).hash(&mut hasher);
    Filestat {
        dev: 1,
        ino: hasher.finish(),
        filetype: filetype_of(meta.file_type()),
        nlink: meta.nlink(),
        size: meta.len(),
        atim: nanos_since_epoch(meta.accessed().map(|t| t.into_std())),
        mtim: nanos_since_epoch(meta.modified().map(|t| t.into_std())),
        ctim: status_change(meta),
    }
}

#[cfg(unix)]
fn status_change(meta: &Metadata) -> u64 {
    use cap_std::fs::MetadataExt;
    let secs = u64::try_from(meta.ctime()).unwrap_or(0);
    let nsecs = u64::try_from(meta.ctime_nsec()).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nsecs)
}

#[cfg(not(unix))]
fn status_change(meta: &Metadata) -> u64 {
    nanos_since_epoch(meta.created().map(|t| t.into_std()))
}

/// The file type of a standard stream: a terminal is a character device, anything else is
/// unknown (as in Wasmtime).
fn stream_filetype(is_terminal: bool) -> u8 {
    if is_terminal {
        filetype::CHARACTER_DEVICE
    } else {
        filetype::UNKNOWN
    }
}

/// One timestamp argument of `*_set_times`: the time given, now, or unchanged.
fn time_spec(set: bool, ts: u64, now: bool) -> SysResult<Option<SystemTimeSpec>> {
    match (set, now) {
        (true, true) => Err(Errno::INVAL.into()),
        (true, false) => Ok(Some(SystemTimeSpec::Absolute(
            SystemTime::UNIX_EPOCH + Duration::from_nanos(ts),
        ))),
        (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
        (false, false) => Ok(None),
    }
}

fn time_specs(
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> SysResult<(Option<SystemTimeSpec>, Option<SystemTimeSpec>)> {
    let f = flags("Fstflags", fst_flags, fstflags::ALL)?;
    let atime = time_spec(f & fstflags::ATIM != 0, atim, f & fstflags::ATIM_NOW != 0)?;
    let mtime = time_spec(f & fstflags::MTIM != 0, mtim, f & fstflags::MTIM_NOW != 0)?;
    Ok((atime, mtime))
}

// ---------------------------------------------------------------------------------------
// Reading and writing

/// Reads from `file` at `offset` straight into the guest buffers, stopping at a short read
/// or after [`IO_CHUNK`] bytes (so that the count always fits the guest's `size`).
fn file_read_at(
    file: &cap_std::fs::File,
    mem: &mut GuestMemory<'_>,
    iovs: &[IoVec],
    offset: u64,
) -> SysResult<u64> {
    let mut total: u64 = 0;
    for v in iovs.iter().filter(|v| v.len > 0) {
        let left = IO_CHUNK as u64 - total;
        if left == 0 {
            break;
        }
        let len = u32::try_from(u64::from(v.len).min(left)).unwrap_or(v.len);
        let buf = mem.slice_mut(v.ptr, len)?;
        let at = offset.checked_add(total).ok_or(Errno::OVERFLOW)?;
        let n = file.read_at(buf, at)?;
        total += n as u64;
        if n < buf.len() {
            break;
        }
    }
    Ok(total)
}

/// Writes `data` to `f` at `offset` (`None`: at its position, which moves past the data).
/// Append mode writes at the end whatever the offset, as `pwrite` on Linux does.
fn file_write(f: &mut FileEntry, data: &[u8], offset: Option<u64>) -> SysResult<u64> {
    let at = if f.append {
        f.file.metadata()?.len()
    } else {
        offset.unwrap_or(f.position)
    };
    f.file.write_all_at(data, at)?;
    let end = at.checked_add(data.len() as u64).ok_or(Errno::OVERFLOW)?;
    if offset.is_none() {
        f.position = end;
    }
    Ok(data.len() as u64)
}

/// Reads once from a stream into the guest buffers.
fn stream_read(
    mem: &mut GuestMemory<'_>,
    iovs: &[IoVec],
    read: impl FnOnce(&mut [u8]) -> std::io::Result<usize>,
) -> SysResult<u64> {
    let wanted: u64 = iovs.iter().map(|v| u64::from(v.len)).sum();
    if wanted == 0 {
        return Ok(0);
    }
    let mut buf = vec![0u8; wanted.min(STREAM_CHUNK as u64) as usize];
    let n = read(&mut buf)?;
    let data = buf.get(..n).unwrap_or_default();
    Ok(mem.scatter(iovs, data)? as u64)
}

fn write_size(mem: &mut GuestMemory<'_>, ptr: u32, n: u64) -> SysResult<()> {
    mem.write_u32(ptr, u32::try_from(n).map_err(|_| Errno::OVERFLOW)?)
}

pub(super) fn fd_read(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> SysResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match cx.fds.get_mut(fd)? {
        Descriptor::File(f) => {
            let n = file_read_at(&f.file, mem, &iovs, f.position)?;
            f.position = f.position.checked_add(n).ok_or(Errno::OVERFLOW)?;
            n
        }
        Descriptor::Stdin(stream) => {
            wait_stdin(stream.as_mut(), cx.deadline)?;
            stream_read(mem, &iovs, |buf| stream.read(buf))?
        }
        Descriptor::TcpStream(stream) => {
            wait_socket(stream, cx.deadline)?;
            stream_read(mem, &iovs, |buf| stream.read(buf))?
        }
        _ => return Err(Errno::BADF.into()),
    };
    write_size(mem, nread, n)
}

pub(super) fn fd_pread(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> SysResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match cx.fds.get(fd)? {
        Descriptor::File(f) => file_read_at(&f.file, mem, &iovs, offset)?,
        Descriptor::Stdin(_) => return Err(Errno::SPIPE.into()),
        _ => return Err(Errno::BADF.into()),
    };
    write_size(mem, nread, n)
}

pub(super) fn fd_write(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> SysResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match cx.fds.get_mut(fd)? {
        Descriptor::File(f) => {
            let data = mem.gather(&iovs)?;
            file_write(f, &data, None)?
        }
        Descriptor::Stdout(stream) | Descriptor::Stderr(stream) => {
            let data = mem.gather(&iovs)?;
            stream.write(&data)?;
            data.len() as u64
        }
        Descriptor::TcpStream(stream) => {
            let data = mem.gather(&iovs)?;
            stream.write(&data)? as u64
        }
        _ => return Err(Errno::BADF.into()),
    };
    write_size(mem, nwritten, n)
}

pub(super) fn fd_pwrite(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> SysResult<()> {
    let iovs = mem.iovecs(iovs, iovs_len)?;
    let n = match cx.fds.get_mut(fd)? {
        Descriptor::File(f) => {
            let data = mem.gather(&iovs)?;
            file_write(f, &data, Some(offset))?
        }
        Descriptor::Stdout(_) | Descriptor::Stderr(_) => return Err(Errno::SPIPE.into()),
        _ => return Err(Errno::BADF.into()),
    };
    write_size(mem, nwritten, n)
}

pub(super) fn fd_seek(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence_value: u32,
    newoffset: u32,
) -> SysResult<()> {
    let whence_value = enum_value("Whence", whence_value, whence::END)?;
    let f = cx.fds.seekable(fd)?;
    let position = match whence_value {
        whence::SET => u64::try_from(offset).map_err(|_| Errno::INVAL)?,
        whence::CUR => f.position.checked_add_signed(offset).ok_or(Errno::INVAL)?,
        _ => f
            .file
            .metadata()?
            .len()
            .checked_add_signed(offset)
            .ok_or(Errno::INVAL)?,
    };
    f.position = position;
    mem.write_u64(newoffset, position)
}

pub(super) fn fd_tell(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: u32,
) -> SysResult<()> {
    let position = cx.fds.seekable(fd)?.position;
    mem.write_u64(offset, position)
}

// ---------------------------------------------------------------------------------------
// Descriptor state

pub(super) fn fd_advise(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> SysResult<()> {
    let advice = enum_value("Advice", advice, 5)?;
    let f = cx.fds.file(fd)?;
    advise(&f.file, offset, len, advice)
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn advise(file: &cap_std::fs::File, offset: u64, len: u64, advice: u32) -> SysResult<()> {
    use rustix::fs::Advice;
    let advice = match advice {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        _ => Advice::NoReuse,
    };
    rustix::fs::fadvise(file, offset, core::num::NonZeroU64::new(len), advice)
        .map_err(|e| std::io::Error::from(e).into())
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn advise(_file: &cap_std::fs::File, _offset: u64, _len: u64, _advice: u32) -> SysResult<()> {
    // Advice is only advice.
    Ok(())
}

pub(super) fn fd_allocate(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    _offset: u64,
    _len: u64,
) -> SysResult<()> {
    // As in Wasmtime: not offered (it is gone from later WASI versions).
    cx.fds.file(fd)?;
    Err(Errno::NOTSUP.into())
}

pub(super) fn fd_close(cx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    drop(cx.fds.remove(fd)?);
    Ok(())
}

pub(super) fn fd_datasync(cx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    cx.fds.file(fd)?.file.sync_data()?;
    Ok(())
}

pub(super) fn fd_sync(cx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32) -> SysResult<()> {
    cx.fds.file(fd)?.file.sync_all()?;
    Ok(())
}

pub(super) fn fd_fdstat_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> SysResult<()> {
    let stat = match cx.fds.get(fd)? {
        Descriptor::Stdin(s) => Fdstat {
            filetype: stream_filetype(s.is_terminal()),
            flags: 0,
            rights_base: rights::FD_READ,
            rights_inheriting: rights::FD_READ,
        },
        Descriptor::Stdout(s) | Descriptor::Stderr(s) => Fdstat {
            filetype: stream_filetype(s.is_terminal()),
            flags: 0,
            rights_base: rights::FD_WRITE,
            rights_inheriting: rights::FD_WRITE,
        },
        Descriptor::Dir(DirEntry {
            preopen: Some(_), ..
        }) => Fdstat {
            filetype: filetype::DIRECTORY,
            flags: 0,
            rights_base: rights::PREOPEN_BASE,
            rights_inheriting: rights::PREOPEN_INHERITING,
        },
        Descriptor::Dir(_) => {
            let base = rights::ALL
                & !(rights::FD_SEEK
                    | rights::FD_FILESTAT_SET_SIZE
                    | rights::PATH_FILESTAT_SET_SIZE
                    | rights::FD_WRITE);
            Fdstat {
                filetype: filetype::DIRECTORY,
                flags: 0,
                rights_base: base,
                rights_inheriting: base,
            }
        }
        Descriptor::File(f) => {
            let mut base = rights::ALL;
            if !f.readable {
                base &= !(rights::FD_READ | rights::FD_READDIR);
            }
            if !f.writable {
                base &= !rights::FD_WRITE;
            }
            let mut flags = 0;
            if f.append {
                flags |= fdflags::APPEND;
            }
            if f.nonblock {
                flags |= fdflags::NONBLOCK;
            }
            Fdstat {
                filetype: filetype_of(f.file.metadata()?.file_type()),
                flags,
                rights_base: base,
                rights_inheriting: base,
            }
        }
        Descriptor::TcpListener(_) | Descriptor::TcpStream(_) => {
            let base = rights::FD_READ
                | rights::FD_WRITE
                | rights::POLL_FD_READWRITE
                | rights::SOCK_SHUTDOWN
                | rights::SOCK_ACCEPT
                | rights::FD_FILESTAT_GET;
            Fdstat {
                filetype: filetype::SOCKET_STREAM,
                flags: 0,
                rights_base: base,
                rights_inheriting: base,
            }
        }
    };
    mem.write(buf, &stat.to_bytes(), 8)
}

pub(super) fn fd_fdstat_set_flags(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    value: u32,
) -> SysResult<()> {
    let value = flags("Fdflags", value, fdflags::ALL)?;
    let f = cx.fds.file_mut(fd)?;
    // Only APPEND and NONBLOCK may change.
    if value & (fdflags::DSYNC | fdflags::SYNC | fdflags::RSYNC) != 0 {
        return Err(Errno::INVAL.into());
    }
    f.append = value & fdflags::APPEND != 0;
    f.nonblock = value & fdflags::NONBLOCK != 0;
    Ok(())
}

fn check_rights(value: u64) -> SysResult<u64> {
    if value & !rights::ALL == 0 {
        Ok(value)
    } else {
        Err(super::types::fault(format!(
            "invalid flags value {value:#x} for Rights"
        )))
    }
}

pub(super) fn fd_fdstat_set_rights(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> SysResult<()> {
    check_rights(base)?;
    check_rights(inheriting)?;
    match cx.fds.get(fd)? {
        // Rights are not kept per descriptor (as in Wasmtime): dropping them is refused.
        Descriptor::File(_) | Descriptor::Dir(_) => Err(Errno::NOTSUP.into()),
        _ => Err(Errno::BADF.into()),
    }
}

pub(super) fn fd_filestat_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> SysResult<()> {
    let stat = match cx.fds.get(fd)? {
        Descriptor::Stdin(s) => Filestat {
            filetype: stream_filetype(s.is_terminal()),
            ..Filestat::default()
        },
        Descriptor::Stdout(s) | Descriptor::Stderr(s) => Filestat {
            filetype: stream_filetype(s.is_terminal()),
            ..Filestat::default()
        },
        Descriptor::File(f) => filestat(&f.file.metadata()?),
        Descriptor::Dir(d) => filestat(&d.dir.dir_metadata()?),
        Descriptor::TcpListener(_) | Descriptor::TcpStream(_) => Filestat {
            filetype: filetype::SOCKET_STREAM,
            ..Filestat::default()
        },
    };
    mem.write(buf, &stat.to_bytes(), 8)
}

pub(super) fn fd_filestat_set_size(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    size: u64,
) -> SysResult<()> {
    let f = cx.fds.file(fd)?;
    f.check_write()?;
    f.file.set_len(size)?;
    Ok(())
}

pub(super) fn fd_filestat_set_times(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> SysResult<()> {
    let (atime, mtime) = time_specs(atim, mtim, fst_flags)?;
    match cx.fds.get(fd)? {
        Descriptor::File(f) => {
            f.check_write()?;
            SetTimes::set_times(&f.file, atime, mtime)?;
        }
        Descriptor::Dir(d) => {
            d.check_mutate()?;
            SetTimes::set_times(&d.dir, atime, mtime)?;
        }
        _ => return Err(Errno::BADF.into()),
    }
    Ok(())
}

pub(super) fn fd_prestat_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
) -> SysResult<()> {
    match cx.fds.get(fd)? {
        Descriptor::Dir(DirEntry {
            preopen: Some(name),
            ..
        }) => {
            let len = u32::try_from(name.len()).map_err(|_| Errno::OVERFLOW)?;
            // `prestat`: tag 0 (a directory), then the name's length at offset 4.
            let mut bytes = [0u8; 8];
            super::types::put(&mut bytes, 4, &len.to_le_bytes());
            mem.write(buf, &bytes, 4)
        }
        _ => Err(Errno::BADF.into()),
    }
}

pub(super) fn fd_prestat_dir_name(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> SysResult<()> {
    match cx.fds.get(fd)? {
        Descriptor::Dir(DirEntry {
            preopen: Some(name),
            ..
        }) => {
            if name.len() > path_len as usize {
                return Err(Errno::NAMETOOLONG.into());
            }
            mem.write(path, name.as_bytes(), 1)
        }
        _ => Err(Errno::NOTDIR.into()),
    }
}

pub(super) fn fd_renumber(
    cx: &mut WasiCtx,
    _mem: &mut GuestMemory<'_>,
    fd: u32,
    to: u32,
) -> SysResult<()> {
    cx.fds.renumber(fd, to)
}

pub(super) fn fd_readdir(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> SysResult<()> {
    let d = cx.fds.dir(fd)?;
    d.check_read()?;
    let skip = usize::try_from(cookie).map_err(|_| Errno::OVERFLOW)?;
    let this = filestat(&d.dir.dir_metadata()?).ino;
    let mut entries: Vec<(u64, u8, Vec<u8>)> = vec![
        (this, filetype::DIRECTORY, b".".to_vec()),
        (this, filetype::DIRECTORY, b"..".to_vec()),
    ];
    for entry in d.dir.entries()? {
        let entry = entry?;
        let ino = entry.metadata().map(|m| filestat(&m).ino).unwrap_or(0);
        let kind = entry
            .file_type()
            .map(filetype_of)
            .unwrap_or(filetype::UNKNOWN);
        entries.push((ino, kind, name_bytes(entry.file_name())));
    }

    // Entries go out one after another, each a 24-byte `dirent` then its name, cut off where
    // the buffer ends; a full buffer tells the guest to ask again from its last cookie.
    let mut out = Vec::new();
    let cap = buf_len as usize;
    for (i, (ino, kind, name)) in entries.into_iter().enumerate().skip(skip) {
        if out.len() >= cap {
            break;
        }
        let mut dirent = [0u8; 24];
        super::types::put(&mut dirent, 0, &(i as u64 + 1).to_le_bytes());
        super::types::put(&mut dirent, 8, &ino.to_le_bytes());
        super::types::put(&mut dirent, 16, &(name.len() as u32).to_le_bytes());
        super::types::put(&mut dirent, 20, &[kind]);
        out.extend_from_slice(&dirent);
        out.extend_from_slice(&name);
    }
    out.truncate(cap);
    mem.write(buf, &out, 1)?;
    mem.write_u32(bufused, out.len() as u32)
}

#[cfg(unix)]
fn name_bytes(name: std::ffi::OsString) -> Vec<u8> {
    std::os::unix::ffi::OsStringExt::into_vec(name)
}

#[cfg(not(unix))]
fn name_bytes(name: std::ffi::OsString) -> Vec<u8> {
    name.to_string_lossy().into_owned().into_bytes()
}

// ---------------------------------------------------------------------------------------
// Paths

fn follow(lookup: u32) -> SysResult<FollowSymlinks> {
    let lookup = flags("Lookupflags", lookup, lookupflags::ALL)?;
    Ok(if lookup & lookupflags::SYMLINK_FOLLOW != 0 {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    })
}

pub(super) fn path_open(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    open_flags: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fd_flags: u32,
    opened: u32,
) -> SysResult<()> {
    let follow = follow(dirflags)?;
    let open_flags = flags("Oflags", open_flags, oflags::ALL)?;
    check_rights(rights_base)?;
    check_rights(rights_inheriting)?;
    let fd_flags = flags("Fdflags", fd_flags, fdflags::ALL)?;
    let path = mem.str(path, path_len)?;
    let dir = match cx.fds.get(fd)? {
        Descriptor::Dir(d) => d,
        Descriptor::File(_) => return Err(Errno::NOTDIR.into()),
        _ => return Err(Errno::BADF.into()),
    };

    let mut opts = cap_std::fs::OpenOptions::new();
    opts.maybe_dir(true).follow(follow);
    let create = open_flags & oflags::CREAT != 0;
    let mut readable = false;
    let mut writable = false;
    if create {
        if open_flags & oflags::EXCL != 0 {
            opts.create_new(true);
        } else {
            opts.create(true);
        }
        writable = true;
    }
    if open_flags & oflags::TRUNC != 0 {
        opts.truncate(true);
        writable = true;
    }
    if rights_base & rights::FD_WRITE != 0 {
        writable = true;
    }
    if rights_base & rights::FD_READ != 0 || !writable {
        // Opened for reading when not for writing, so the host lets it be opened at all.
        readable = true;
    }
    opts.read(readable).write(writable);

    if fd_flags & (fdflags::SYNC | fdflags::DSYNC | fdflags::RSYNC) != 0 {
        return Err(Errno::NOTSUP.into());
    }
    if open_flags & oflags::DIRECTORY != 0
        && open_flags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0
    {
        return Err(Errno::INVAL.into());
    }
    dir.check_read()?;
    if create {
        dir.check_mutate()?;
    }
    if writable && !dir.file_perms.contains(FilePerms::WRITE) {
        return Err(Errno::PERM.into());
    }

    let file = dir.dir.open_with(&path, &opts)?;
    let desc = if file.metadata()?.is_dir() {
        Descriptor::Dir(DirEntry::new(
            cap_std::fs::Dir::from_std_file(file.into_std()),
            dir.perms,
            dir.file_perms,
            None,
        ))
    } else if open_flags & oflags::DIRECTORY != 0 {
        return Err(Errno::NOTDIR.into());
    } else {
        Descriptor::File(FileEntry {
            file,
            perms: dir.file_perms,
            readable,
            writable,
            append: fd_flags & fdflags::APPEND != 0,
            nonblock: fd_flags & fdflags::NONBLOCK != 0,
            position: 0,
        })
    };
    let new_fd = cx.fds.push(desc)?;
    mem.write_u32(opened, new_fd)
}

pub(super) fn path_create_directory(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> SysResult<()> {
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_mutate()?;
    dir.dir.create_dir(&path)?;
    Ok(())
}

pub(super) fn path_filestat_get(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    lookup: u32,
    path: u32,
    path_len: u32,
    buf: u32,
) -> SysResult<()> {
    let follow = follow(lookup)?;
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_read()?;
    let meta = match follow {
        FollowSymlinks::Yes => dir.dir.metadata(&path)?,
        FollowSymlinks::No => dir.dir.symlink_metadata(&path)?,
    };
    mem.write(buf, &filestat(&meta).to_bytes(), 8)
}

pub(super) fn path_filestat_set_times(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    lookup: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> SysResult<()> {
    let follow = follow(lookup)?;
    let (atime, mtime) = time_specs(atim, mtim, fst_flags)?;
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_mutate()?;
    let atime = atime.map(cap_fs_ext::SystemTimeSpec::from_std);
    let mtime = mtime.map(cap_fs_ext::SystemTimeSpec::from_std);
    match follow {
        FollowSymlinks::Yes => DirExt::set_times(&dir.dir, &path, atime, mtime)?,
        FollowSymlinks::No => dir.dir.set_symlink_times(&path, atime, mtime)?,
    }
    Ok(())
}

pub(super) fn path_link(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> SysResult<()> {
    let follow = follow(old_flags)?;
    let old_dir = cx.fds.dir(old_fd)?;
    let new_dir = cx.fds.dir(new_fd)?;
    let old_path = mem.str(old_path, old_path_len)?;
    let new_path = mem.str(new_path, new_path_len)?;
    old_dir.check_mutate()?;
    new_dir.check_mutate()?;
    if follow == FollowSymlinks::Yes {
        return Err(Errno::INVAL.into());
    }
    if old_dir.perms != new_dir.perms || old_dir.file_perms != new_dir.file_perms {
        // A link must not carry a file into a grant with other permissions.
        return Err(Errno::PERM.into());
    }
    old_dir.dir.hard_link(&old_path, &new_dir.dir, &new_path)?;
    Ok(())
}

pub(super) fn path_readlink(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> SysResult<()> {
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_read()?;
    let target = dir.dir.read_link(&path)?;
    let target = target
        .into_os_string()
        .into_string()
        .map_err(|_| Errno::ILSEQ)?;
    let mut bytes = target.into_bytes();
    bytes.truncate(buf_len as usize);
    mem.write(buf, &bytes, 1)?;
    mem.write_u32(bufused, bytes.len() as u32)
}

pub(super) fn path_remove_directory(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> SysResult<()> {
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_mutate()?;
    dir.dir.remove_dir(&path)?;
    Ok(())
}

pub(super) fn path_rename(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> SysResult<()> {
    let old_dir = cx.fds.dir(fd)?;
    let new_dir = cx.fds.dir(new_fd)?;
    let old_path = mem.str(old_path, old_path_len)?;
    let new_path = mem.str(new_path, new_path_len)?;
    old_dir.check_mutate()?;
    new_dir.check_mutate()?;
    if old_dir.perms != new_dir.perms || old_dir.file_perms != new_dir.file_perms {
        return Err(Errno::PERM.into());
    }
    old_dir.dir.rename(&old_path, &new_dir.dir, &new_path)?;
    Ok(())
}

pub(super) fn path_symlink(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_path: u32,
    old_path_len: u32,
    fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> SysResult<()> {
    let dir = cx.fds.dir(fd)?;
    let old_path = mem.str(old_path, old_path_len)?;
    let new_path = mem.str(new_path, new_path_len)?;
    dir.check_mutate()?;
    // cap-std refuses absolute targets; relative ones that point outside may be created but
    // are never followed out of the directory.
    dir.dir.symlink(&old_path, &new_path)?;
    Ok(())
}

pub(super) fn path_unlink_file(
    cx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> SysResult<()> {
    let dir = cx.fds.dir(fd)?;
    let path = mem.str(path, path_len)?;
    dir.check_mutate()?;
    dir.dir.remove_file_or_symlink(&path)?;
    Ok(())
}
