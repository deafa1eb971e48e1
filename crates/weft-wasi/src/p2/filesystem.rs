//! `wasi:filesystem`: `types` and `preopens`, on cap-std.
//!
//! The preopened directories are the context's own (the ones preview 1 numbers from 3), so
//! one [`WasiCtxBuilder::preopened_dir`](crate::WasiCtxBuilder::preopened_dir) grants a
//! directory to both. The sandbox rules are preview 1's: every path is resolved by cap-std
//! beneath its directory, so `..`, absolute paths and symlinks cannot leave it; a directory
//! without [`DirPerms::READ`] cannot be looked into and one without [`DirPerms::MUTATE`]
//! cannot be changed (`not-permitted`); a file cannot be opened for writing without
//! [`FilePerms::WRITE`] (`not-permitted`). As in Wasmtime, a file opened without `read` or
//! `write` leaves that check to the operating system: `read` and `write` fail with
//! `bad-descriptor`, while `read-via-stream`, `write-via-stream` and `append-via-stream` give
//! a stream whose reads or writes fail with `last-operation-failed`.

use super::io::{InputStream, IoError, OutputStream, Sink};
use super::typed::{ErrorCode, Ret, Typed};
use super::util::{
    arg, arg_str, arg_u64, bad_arg, clamp_len, err, get, get_mut, ok, own, push, table_error,
};
use super::{HostFunction, HostResource, WasiCtxView};
use crate::ctx::{DirPerms, FilePerms};
use crate::p1::table::Descriptor as P1Descriptor;
use cap_fs_ext::{
    DirExt, FollowSymlinks, MetadataExt, OpenOptionsFollowExt, OpenOptionsMaybeDirExt,
};
use cap_std::fs::{FileExt, Metadata};
use std::hash::{Hash, Hasher};
use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use weft::component::{Resource, ResourceTable, Val};

/// The most bytes one `read` returns, whatever length the guest asks for.
const READ_CHUNK: usize = 64 * 1024;

/// `wasi:filesystem/types.descriptor`: an open file or directory.
pub(crate) struct Descriptor {
    kind: Kind,
    /// What may be done beneath a directory (inherited from its preopen).
    perms: DirPerms,
    /// What may be done with the files beneath a directory.
    file_perms: FilePerms,
    /// Opened with `descriptor-flags.read`.
    read: bool,
    /// Opened with `descriptor-flags.write`.
    write: bool,
}

enum Kind {
    Dir(Arc<cap_std::fs::Dir>),
    File(Arc<cap_std::fs::File>),
}

/// `wasi:filesystem/types.directory-entry-stream`: the entries still to be read.
pub(crate) struct DirectoryEntries(std::vec::IntoIter<Val>);

pub(super) const RESOURCES: &[HostResource] = &[
    HostResource::of::<Descriptor>("wasi:filesystem/types", "descriptor"),
    HostResource::of::<DirectoryEntries>("wasi:filesystem/types", "directory-entry-stream"),
];

const fn f(
    name: &'static str,
    params: &'static str,
    result: &'static str,
    call: super::HostFn,
) -> HostFunction {
    super::host_function(TYPES, name, params, result, call)
}

const TYPES: &str = "wasi:filesystem/types";
const SELF: &str = "self: borrow<descriptor>";
const UNIT: &str = "result<_, error-code>";

pub(super) const FUNCTIONS: &[HostFunction] = &[
    f(
        "[method]descriptor.read-via-stream",
        "self: borrow<descriptor>, offset: u64",
        "result<own<input-stream>, error-code>",
        read_via_stream,
    ),
    f(
        "[method]descriptor.write-via-stream",
        "self: borrow<descriptor>, offset: u64",
        "result<own<output-stream>, error-code>",
        |v, p| write_via_stream(v, p, true),
    ),
    f(
        "[method]descriptor.append-via-stream",
        SELF,
        "result<own<output-stream>, error-code>",
        |v, p| write_via_stream(v, p, false),
    ),
    f(
        "[method]descriptor.advise",
        "self: borrow<descriptor>, offset: u64, length: u64, advice: advice",
        UNIT,
        advise,
    ),
    f("[method]descriptor.sync-data", SELF, UNIT, |v, p| {
        sync(v, p, true)
    }),
    f(
        "[method]descriptor.get-flags",
        SELF,
        "result<descriptor-flags, error-code>",
        get_flags,
    ),
    f(
        "[method]descriptor.get-type",
        SELF,
        "result<descriptor-type, error-code>",
        get_type,
    ),
    f(
        "[method]descriptor.set-size",
        "self: borrow<descriptor>, size: u64",
        UNIT,
        set_size,
    ),
    f(
        "[method]descriptor.set-times",
        "self: borrow<descriptor>, data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp",
        UNIT,
        set_times,
    ),
    super::typed_function(
        TYPES,
        "[method]descriptor.read",
        "self: borrow<descriptor>, length: u64, offset: u64",
        "result<tuple<list<u8>, bool>, error-code>",
        Typed::FileRead(read),
    ),
    super::typed_function(
        TYPES,
        "[method]descriptor.write",
        "self: borrow<descriptor>, buffer: list<u8>, offset: u64",
        "result<u64, error-code>",
        Typed::FileWrite(|v, d, data, offset| write(v, d, &data, offset)),
    ),
    f(
        "[method]descriptor.read-directory",
        SELF,
        "result<own<directory-entry-stream>, error-code>",
        read_directory,
    ),
    f("[method]descriptor.sync", SELF, UNIT, |v, p| {
        sync(v, p, false)
    }),
    f(
        "[method]descriptor.create-directory-at",
        "self: borrow<descriptor>, path: string",
        UNIT,
        create_directory_at,
    ),
    f(
        "[method]descriptor.stat",
        SELF,
        "result<descriptor-stat, error-code>",
        stat,
    ),
    f(
        "[method]descriptor.stat-at",
        "self: borrow<descriptor>, path-flags: path-flags, path: string",
        "result<descriptor-stat, error-code>",
        stat_at,
    ),
    f(
        "[method]descriptor.set-times-at",
        "self: borrow<descriptor>, path-flags: path-flags, path: string, data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp",
        UNIT,
        set_times_at,
    ),
    f(
        "[method]descriptor.link-at",
        "self: borrow<descriptor>, old-path-flags: path-flags, old-path: string, new-descriptor: borrow<descriptor>, new-path: string",
        UNIT,
        link_at,
    ),
    f(
        "[method]descriptor.open-at",
        "self: borrow<descriptor>, path-flags: path-flags, path: string, open-flags: open-flags, flags: descriptor-flags",
        "result<own<descriptor>, error-code>",
        open_at,
    ),
    f(
        "[method]descriptor.readlink-at",
        "self: borrow<descriptor>, path: string",
        "result<string, error-code>",
        readlink_at,
    ),
    f(
        "[method]descriptor.remove-directory-at",
        "self: borrow<descriptor>, path: string",
        UNIT,
        remove_directory_at,
    ),
    f(
        "[method]descriptor.rename-at",
        "self: borrow<descriptor>, old-path: string, new-descriptor: borrow<descriptor>, new-path: string",
        UNIT,
        rename_at,
    ),
    f(
        "[method]descriptor.symlink-at",
        "self: borrow<descriptor>, old-path: string, new-path: string",
        UNIT,
        symlink_at,
    ),
    f(
        "[method]descriptor.unlink-file-at",
        "self: borrow<descriptor>, path: string",
        UNIT,
        unlink_file_at,
    ),
    f(
        "[method]descriptor.is-same-object",
        "self: borrow<descriptor>, other: borrow<descriptor>",
        "bool",
        is_same_object,
    ),
    f(
        "[method]descriptor.metadata-hash",
        SELF,
        "result<metadata-hash-value, error-code>",
        metadata_hash,
    ),
    f(
        "[method]descriptor.metadata-hash-at",
        "self: borrow<descriptor>, path-flags: path-flags, path: string",
        "result<metadata-hash-value, error-code>",
        metadata_hash_at,
    ),
    f(
        "[method]directory-entry-stream.read-directory-entry",
        "self: borrow<directory-entry-stream>",
        "result<option<directory-entry>, error-code>",
        read_directory_entry,
    ),
    f(
        "filesystem-error-code",
        "err: borrow<error>",
        "option<error-code>",
        filesystem_error_code,
    ),
    super::host_function(
        "wasi:filesystem/preopens",
        "get-directories",
        "",
        "list<tuple<own<descriptor>, string>>",
        get_directories,
    ),
];

// ---------------------------------------------------------------------------------------
// Errors

/// A `wasi:filesystem` error: the `error-code` case's name.
type Code = &'static str;

/// The `error-code` for a host I/O error: by its OS error number when it has one, else by
/// its kind. cap-std reports a path that would leave the directory with no OS number and
/// the kind `PermissionDenied`: `not-permitted`, as in Wasmtime.
pub(crate) fn error_code(e: &io::Error) -> Code {
    use rustix::io::Errno as E;
    if let Some(raw) = e.raw_os_error() {
        let errno = E::from_raw_os_error(raw);
        let code = match errno {
            E::ACCESS => "access",
            E::AGAIN => "would-block",
            E::ALREADY => "already",
            E::BADF => "bad-descriptor",
            E::BUSY => "busy",
            E::DEADLK => "deadlock",
            E::DQUOT => "quota",
            E::EXIST => "exist",
            E::FBIG => "file-too-large",
            E::ILSEQ => "illegal-byte-sequence",
            E::INPROGRESS => "in-progress",
            E::INTR => "interrupted",
            E::INVAL => "invalid",
            E::IO => "io",
            E::ISDIR => "is-directory",
            E::LOOP => "loop",
            E::MLINK => "too-many-links",
            E::MSGSIZE => "message-size",
            E::NAMETOOLONG => "name-too-long",
            E::NODEV => "no-device",
            E::NOENT => "no-entry",
            E::NOLCK => "no-lock",
            E::NOMEM => "insufficient-memory",
            E::NOSPC => "insufficient-space",
            E::NOTDIR => "not-directory",
            E::NOTEMPTY => "not-empty",
            E::NOTRECOVERABLE => "not-recoverable",
            E::NOTSUP => "unsupported",
            E::NOTTY => "no-tty",
            E::NXIO => "no-such-device",
            E::OVERFLOW => "overflow",
            E::PERM => "not-permitted",
            E::PIPE => "pipe",
            E::ROFS => "read-only",
            E::SPIPE => "invalid-seek",
            E::TXTBSY => "text-file-busy",
            E::XDEV => "cross-device",
            _ => "io",
        };
        return code;
    }
    match e.kind() {
        io::ErrorKind::NotFound => "no-entry",
        io::ErrorKind::PermissionDenied => "not-permitted",
        io::ErrorKind::AlreadyExists => "exist",
        io::ErrorKind::InvalidInput => "invalid",
        io::ErrorKind::WouldBlock => "would-block",
        io::ErrorKind::Interrupted => "interrupted",
        io::ErrorKind::Unsupported => "unsupported",
        io::ErrorKind::OutOfMemory => "insufficient-memory",
        io::ErrorKind::NotADirectory => "not-directory",
        io::ErrorKind::IsADirectory => "is-directory",
        io::ErrorKind::DirectoryNotEmpty => "not-empty",
        _ => "io",
    }
}

/// `err(code)`.
fn fail(code: Code) -> weft::Result<Option<Val>> {
    Ok(Some(err(Some(Val::Enum(code.into())))))
}

/// The function's result from `r`: `ok(value)` or `err(error-code)`.
fn result(r: Result<Option<Val>, Code>) -> weft::Result<Option<Val>> {
    match r {
        Ok(value) => Ok(Some(ok(value))),
        Err(code) => fail(code),
    }
}

/// `?` on an I/O error inside a function returning `Result<_, Code>`.
fn io<T>(r: io::Result<T>) -> Result<T, Code> {
    r.map_err(|e| error_code(&e))
}

// ---------------------------------------------------------------------------------------
// Arguments

impl Descriptor {
    fn dir(&self) -> Result<&cap_std::fs::Dir, Code> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err("not-directory"),
        }
    }

    fn file(&self) -> Result<&Arc<cap_std::fs::File>, Code> {
        match &self.kind {
            Kind::File(f) => Ok(f),
            Kind::Dir(_) => Err("is-directory"),
        }
    }

    /// The directory, if the guest may look into it.
    fn dir_to_read(&self) -> Result<&cap_std::fs::Dir, Code> {
        let dir = self.dir()?;
        if !self.perms.contains(DirPerms::READ) {
            return Err("not-permitted");
        }
        Ok(dir)
    }

    /// The directory, if the guest may change what is in it.
    fn dir_to_mutate(&self) -> Result<&cap_std::fs::Dir, Code> {
        let dir = self.dir()?;
        if !self.perms.contains(DirPerms::MUTATE) {
            return Err("not-permitted");
        }
        Ok(dir)
    }

    fn metadata(&self) -> io::Result<Metadata> {
        match &self.kind {
            Kind::Dir(d) => d.dir_metadata(),
            Kind::File(f) => f.metadata(),
        }
    }
}

/// The names of the flags set in argument `index`.
fn arg_flags(params: &[Val], index: usize) -> weft::Result<&[String]> {
    match arg(params, index)? {
        Val::Flags(names) => Ok(names),
        _ => Err(bad_arg(index, "flags")),
    }
}

fn has(flags: &[String], name: &str) -> bool {
    flags.iter().any(|f| f == name)
}

/// `path-flags` as cap-std's choice.
fn follow(params: &[Val], index: usize) -> weft::Result<FollowSymlinks> {
    Ok(if has(arg_flags(params, index)?, "symlink-follow") {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    })
}

/// A `new-timestamp` argument: unchanged (`None`), now, or the time given.
fn arg_timestamp(
    params: &[Val],
    index: usize,
) -> weft::Result<Option<fs_set_times::SystemTimeSpec>> {
    match arg(params, index)? {
        Val::Variant(case, payload) => match (case.as_str(), payload.as_deref()) {
            ("no-change", None) => Ok(None),
            ("now", None) => Ok(Some(fs_set_times::SystemTimeSpec::SymbolicNow)),
            ("timestamp", Some(Val::Record(fields))) => {
                let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
                match (field("seconds"), field("nanoseconds")) {
                    (Some(Val::U64(s)), Some(Val::U32(n))) => {
                        let since = Duration::from_secs(*s)
                            .checked_add(Duration::from_nanos(u64::from(*n)))
                            .ok_or_else(|| bad_arg(index, "datetime"))?;
                        let at = SystemTime::UNIX_EPOCH
                            .checked_add(since)
                            .ok_or_else(|| bad_arg(index, "datetime"))?;
                        Ok(Some(fs_set_times::SystemTimeSpec::Absolute(at)))
                    }
                    _ => Err(bad_arg(index, "datetime")),
                }
            }
            _ => Err(bad_arg(index, "new-timestamp")),
        },
        _ => Err(bad_arg(index, "new-timestamp")),
    }
}

// ---------------------------------------------------------------------------------------
// Metadata

fn descriptor_type(ft: cap_std::fs::FileType) -> Val {
    use cap_fs_ext::FileTypeExt;
    let name = if ft.is_dir() {
        "directory"
    } else if ft.is_file() {
        "regular-file"
    } else if ft.is_symlink() {
        "symbolic-link"
    } else if ft.is_block_device() {
        "block-device"
    } else if ft.is_char_device() {
        "character-device"
    } else if ft.is_fifo() {
        "fifo"
    } else if ft.is_socket() {
        "socket"
    } else {
        "unknown"
    };
    Val::Enum(name.into())
}

fn datetime(t: io::Result<cap_std::time::SystemTime>) -> Val {
    let since = t
        .ok()
        .and_then(|t| t.into_std().duration_since(SystemTime::UNIX_EPOCH).ok());
    Val::Option(since.map(|d| {
        Box::new(Val::Record(vec![
            ("seconds".into(), Val::U64(d.as_secs())),
            ("nanoseconds".into(), Val::U32(d.subsec_nanos())),
        ]))
    }))
}

#[cfg(unix)]
fn status_change(meta: &Metadata) -> Val {
    use cap_std::fs::MetadataExt as _;
    let (Ok(secs), Ok(nanos)) = (
        u64::try_from(meta.ctime()),
        u32::try_from(meta.ctime_nsec()),
    ) else {
        return Val::Option(None);
    };
    Val::Option(Some(Box::new(Val::Record(vec![
        ("seconds".into(), Val::U64(secs)),
        ("nanoseconds".into(), Val::U32(nanos)),
    ]))))
}

#[cfg(not(unix))]
fn status_change(_meta: &Metadata) -> Val {
    Val::Option(None)
}

fn descriptor_stat(meta: &Metadata) -> Val {
    Val::Record(vec![
        ("type".into(), descriptor_type(meta.file_type())),
        ("link-count".into(), Val::U64(meta.nlink())),
        ("size".into(), Val::U64(meta.len())),
        ("data-access-timestamp".into(), datetime(meta.accessed())),
        (
            "data-modification-timestamp".into(),
            datetime(meta.modified()),
        ),
        ("status-change-timestamp".into(), status_change(meta)),
    ])
}

/// A hash of the host's device and inode numbers: equal for the same file, without telling
/// the guest the host's numbers.
fn metadata_hash_value(meta: &Metadata) -> Val {
    let mut lower = std::hash::DefaultHasher::new();
    (meta.dev(), meta.ino()).hash(&mut lower);
    let mut upper = std::hash::DefaultHasher::new();
    (meta.ino(), meta.dev(), 1u8).hash(&mut upper);
    Val::Record(vec![
        ("lower".into(), Val::U64(lower.finish())),
        ("upper".into(), Val::U64(upper.finish())),
    ])
}

// ---------------------------------------------------------------------------------------
// The functions

fn read_via_stream(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let offset = arg_u64(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    // As in Wasmtime, a file opened without `read` still gives a stream: its reads fail
    // (`last-operation-failed`) with what the operating system says.
    let file = match &desc.kind {
        Kind::File(file) => file.clone(),
        Kind::Dir(_) => return fail("is-directory"),
    };
    let stream = push(
        v.table,
        InputStream::File {
            file,
            position: offset,
        },
    )?;
    Ok(Some(ok(Some(stream))))
}

fn write_via_stream(
    v: &mut WasiCtxView<'_>,
    p: &[Val],
    at_offset: bool,
) -> weft::Result<Option<Val>> {
    let offset = if at_offset {
        Some(arg_u64(p, 1)?)
    } else {
        None
    };
    let desc = get::<Descriptor>(v.table, p, 0)?;
    // As in Wasmtime, only the preopen's permissions are checked here: a file opened without
    // `write` still gives a stream, whose writes fail (`last-operation-failed`) with what the
    // operating system says.
    let file = match &desc.kind {
        Kind::File(file) => file.clone(),
        Kind::Dir(_) => return fail("bad-descriptor"),
    };
    if !desc.file_perms.contains(FilePerms::WRITE) {
        return fail("not-permitted");
    }
    let stream = push(
        v.table,
        OutputStream::new(Sink::File {
            file,
            position: offset,
        }),
    )?;
    Ok(Some(ok(Some(stream))))
}

fn advise(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    // Advice is only a hint: accepted for files and ignored.
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(desc.file().map(|_| None).map_err(|_| "bad-descriptor"))
}

fn sync(v: &mut WasiCtxView<'_>, p: &[Val], data_only: bool) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(match &desc.kind {
        Kind::File(f) if data_only => io(f.sync_data()).map(|()| None),
        Kind::File(f) => io(f.sync_all()).map(|()| None),
        Kind::Dir(_) => Ok(None),
    })
}

fn get_flags(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    let mut flags = Vec::new();
    if desc.read {
        flags.push("read".to_owned());
    }
    if desc.write {
        flags.push("write".to_owned());
    }
    if matches!(desc.kind, Kind::Dir(_)) && desc.perms.contains(DirPerms::MUTATE) {
        flags.push("mutate-directory".to_owned());
    }
    Ok(Some(ok(Some(Val::Flags(flags)))))
}

fn get_type(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(io(desc.metadata()).map(|m| Some(descriptor_type(m.file_type()))))
}

fn set_size(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let size = arg_u64(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result((|| {
        let file = desc.file()?;
        if !desc.write {
            return Err("bad-descriptor");
        }
        io(file.set_len(size)).map(|()| None)
    })())
}

fn set_times(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let atime = arg_timestamp(p, 1)?;
    let mtime = arg_timestamp(p, 2)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(match &desc.kind {
        Kind::File(f) if desc.write => {
            io(fs_set_times::SetTimes::set_times(&**f, atime, mtime)).map(|()| None)
        }
        Kind::File(_) => Err("bad-descriptor"),
        Kind::Dir(d) if desc.perms.contains(DirPerms::MUTATE) => {
            io(fs_set_times::SetTimes::set_times(&**d, atime, mtime)).map(|()| None)
        }
        Kind::Dir(_) => Err("not-permitted"),
    })
}

fn read(
    v: &mut WasiCtxView<'_>,
    desc: Resource<Descriptor>,
    len: u64,
    offset: u64,
) -> Ret<(Vec<u8>, bool), ErrorCode> {
    let len = clamp_len(len, READ_CHUNK);
    let desc = v.table.get(&desc).map_err(table_error)?;
    Ok((|| {
        // A file opened without `read` fails in the operating system (`bad-descriptor`).
        let file = desc.file().map_err(|_| "bad-descriptor")?;
        let buf = io(super::io::read_file_at(file, len, offset))?;
        let n = buf.len();
        let end = n < len || len == 0 && io(file.metadata())?.len() <= offset;
        Ok((buf, end))
    })()
    .map_err(ErrorCode))
}

fn write(
    v: &mut WasiCtxView<'_>,
    desc: Resource<Descriptor>,
    data: &[u8],
    offset: u64,
) -> Ret<u64, ErrorCode> {
    let desc = v.table.get(&desc).map_err(table_error)?;
    Ok((|| {
        // A file opened without `write` fails in the operating system (`bad-descriptor`).
        let file = desc.file().map_err(|_| "bad-descriptor")?;
        if !desc.file_perms.contains(FilePerms::WRITE) {
            return Err("not-permitted");
        }
        io(file.write_all_at(data, offset))?;
        Ok(data.len() as u64)
    })()
    .map_err(ErrorCode))
}

fn read_directory(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    let entries = (|| {
        let dir = desc.dir_to_read()?;
        let mut entries = Vec::new();
        for entry in io(dir.entries())? {
            let entry = io(entry)?;
            let Ok(name) = entry.file_name().into_string() else {
                return Err("illegal-byte-sequence");
            };
            let ty = io(entry.file_type())?;
            entries.push(Val::Record(vec![
                ("type".into(), descriptor_type(ty)),
                ("name".into(), Val::String(name)),
            ]));
        }
        Ok(entries)
    })();
    match entries {
        Ok(entries) => {
            let stream = push(v.table, DirectoryEntries(entries.into_iter()))?;
            Ok(Some(ok(Some(stream))))
        }
        Err(code) => fail(code),
    }
}

fn read_directory_entry(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let entries = get_mut::<DirectoryEntries>(v.table, p, 0)?;
    let next = entries.0.next().map(Box::new);
    Ok(Some(ok(Some(Val::Option(next)))))
}

fn create_directory_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let path = arg_str(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(
        desc.dir_to_mutate()
            .and_then(|d| io(d.create_dir(path)).map(|()| None)),
    )
}

fn stat(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(io(desc.metadata()).map(|m| Some(descriptor_stat(&m))))
}

fn path_metadata(desc: &Descriptor, follow: FollowSymlinks, path: &str) -> Result<Metadata, Code> {
    let dir = desc.dir_to_read()?;
    io(match follow {
        FollowSymlinks::Yes => dir.metadata(path),
        FollowSymlinks::No => dir.symlink_metadata(path),
    })
}

fn stat_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let follow = follow(p, 1)?;
    let path = arg_str(p, 2)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(path_metadata(desc, follow, path).map(|m| Some(descriptor_stat(&m))))
}

fn set_times_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let follow = follow(p, 1)?;
    let path = arg_str(p, 2)?;
    let atime = arg_timestamp(p, 3)?.map(cap_fs_ext::SystemTimeSpec::from_std);
    let mtime = arg_timestamp(p, 4)?.map(cap_fs_ext::SystemTimeSpec::from_std);
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(desc.dir_to_mutate().and_then(|d| {
        io(match follow {
            FollowSymlinks::Yes => DirExt::set_times(d, path, atime, mtime),
            FollowSymlinks::No => d.set_symlink_times(path, atime, mtime),
        })
        .map(|()| None)
    }))
}

fn link_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let old_path = arg_str(p, 2)?;
    let new_path = arg_str(p, 4)?;
    if follow(p, 1)? == FollowSymlinks::Yes {
        // As in Wasmtime: a hard link to what a symlink points to is not supported.
        return fail("invalid");
    }
    let old = get::<Descriptor>(v.table, p, 0)?;
    let new = get::<Descriptor>(v.table, p, 3)?;
    result((|| {
        let old_dir = old.dir_to_mutate()?;
        let new_dir = new.dir_to_mutate()?;
        io(old_dir.hard_link(old_path, new_dir, new_path)).map(|()| None)
    })())
}

fn open_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let follow = follow(p, 1)?;
    let path = arg_str(p, 2)?;
    let open_flags = arg_flags(p, 3)?;
    let flags = arg_flags(p, 4)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    let opened = (|| {
        let dir = desc.dir_to_read()?;
        let create = has(open_flags, "create");
        let exclusive = has(open_flags, "exclusive");
        let truncate = has(open_flags, "truncate");
        let directory = has(open_flags, "directory");
        let mut write = has(flags, "write");
        let read = has(flags, "read");
        if [
            "file-integrity-sync",
            "data-integrity-sync",
            "requested-write-sync",
        ]
        .iter()
        .any(|f| has(flags, f))
        {
            return Err("unsupported");
        }
        if directory && (create || exclusive || truncate) {
            return Err("invalid");
        }
        if create || truncate {
            write = true;
        }
        if create && !desc.perms.contains(DirPerms::MUTATE) {
            return Err("not-permitted");
        }
        if write && !desc.file_perms.contains(FilePerms::WRITE) {
            return Err("not-permitted");
        }
        let mut opts = cap_std::fs::OpenOptions::new();
        opts.maybe_dir(true).follow(follow);
        if create && exclusive {
            opts.create_new(true);
        } else if create {
            opts.create(true);
        }
        opts.truncate(truncate);
        // A file opened neither way is opened for reading, so the host lets it be opened.
        opts.read(read || !write).write(write);
        let file = io(dir.open_with(path, &opts))?;
        let is_dir = io(file.metadata())?.is_dir();
        if is_dir {
            if write {
                return Err("is-directory");
            }
            Ok(Descriptor {
                kind: Kind::Dir(Arc::new(cap_std::fs::Dir::from_std_file(file.into_std()))),
                perms: desc.perms,
                file_perms: desc.file_perms,
                read,
                write: false,
            })
        } else if directory {
            Err("not-directory")
        } else {
            Ok(Descriptor {
                kind: Kind::File(Arc::new(file)),
                perms: desc.perms,
                file_perms: desc.file_perms,
                read,
                write,
            })
        }
    })();
    match opened {
        Ok(new) => {
            let handle = push(v.table, new)?;
            Ok(Some(ok(Some(handle))))
        }
        Err(code) => fail(code),
    }
}

fn readlink_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let path = arg_str(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(desc.dir_to_read().and_then(|d| {
        let target = io(d.read_link(path))?;
        match target.into_os_string().into_string() {
            Ok(target) => Ok(Some(Val::String(target))),
            Err(_) => Err("illegal-byte-sequence"),
        }
    }))
}

fn remove_directory_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let path = arg_str(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(
        desc.dir_to_mutate()
            .and_then(|d| io(d.remove_dir(path)).map(|()| None)),
    )
}

fn rename_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let old_path = arg_str(p, 1)?;
    let new_path = arg_str(p, 3)?;
    let old = get::<Descriptor>(v.table, p, 0)?;
    let new = get::<Descriptor>(v.table, p, 2)?;
    result((|| {
        let old_dir = old.dir_to_mutate()?;
        let new_dir = new.dir_to_mutate()?;
        io(old_dir.rename(old_path, new_dir, new_path)).map(|()| None)
    })())
}

fn symlink_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let old_path = arg_str(p, 1)?;
    let new_path = arg_str(p, 2)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(
        desc.dir_to_mutate()
            .and_then(|d| io(d.symlink(old_path, new_path)).map(|()| None)),
    )
}

fn unlink_file_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let path = arg_str(p, 1)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(
        desc.dir_to_mutate()
            .and_then(|d| io(d.remove_file_or_symlink(path)).map(|()| None)),
    )
}

fn is_same_object(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let a = get::<Descriptor>(v.table, p, 0)?;
    let b = get::<Descriptor>(v.table, p, 1)?;
    let same = match (a.metadata(), b.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    Ok(Some(Val::Bool(same)))
}

fn metadata_hash(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(io(desc.metadata()).map(|m| Some(metadata_hash_value(&m))))
}

fn metadata_hash_at(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let follow = follow(p, 1)?;
    let path = arg_str(p, 2)?;
    let desc = get::<Descriptor>(v.table, p, 0)?;
    result(path_metadata(desc, follow, path).map(|m| Some(metadata_hash_value(&m))))
}

fn filesystem_error_code(v: &mut WasiCtxView<'_>, p: &[Val]) -> weft::Result<Option<Val>> {
    let error = get::<IoError>(v.table, p, 0)?;
    Ok(Some(Val::Option(
        error.code.map(|code| Box::new(Val::Enum(code.into()))),
    )))
}

fn get_directories(v: &mut WasiCtxView<'_>, _: &[Val]) -> weft::Result<Option<Val>> {
    // The preopens are the context's directories with a guest name, in the order granted.
    let mut dirs = Vec::new();
    for (_, desc) in v.ctx.fds.iter() {
        if let P1Descriptor::Dir(entry) = desc
            && let Some(name) = &entry.preopen
        {
            let dir = entry.dir.try_clone().map_err(|e| {
                weft::Error::msg(format!("cannot share a preopened directory: {e}"))
            })?;
            dirs.push((
                Descriptor {
                    kind: Kind::Dir(Arc::new(dir)),
                    perms: entry.perms,
                    file_perms: entry.file_perms,
                    read: true,
                    write: false,
                },
                name.clone(),
            ));
        }
    }
    let mut out = Vec::with_capacity(dirs.len());
    for (desc, name) in dirs {
        let handle = v.table.push(desc).map_err(table_error)?;
        out.push(Val::Tuple(vec![own(handle), Val::String(name)]));
    }
    Ok(Some(Val::List(out)))
}

/// Pushes an `error` for a failed stream operation on a file, with its `error-code`.
pub(crate) fn stream_error(
    table: &mut ResourceTable,
    e: &io::Error,
) -> weft::Result<Resource<IoError>> {
    table
        .push(IoError {
            message: e.to_string(),
            code: Some(error_code(e)),
        })
        .map_err(table_error)
}
