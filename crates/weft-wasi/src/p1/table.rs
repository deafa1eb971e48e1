//! The descriptor table: what each of a guest's file descriptors refers to.
//!
//! Descriptors 0, 1 and 2 are the standard streams and the preopened directories follow from
//! 3, in the order they were granted. A new descriptor takes the highest number freed by
//! `fd_close` or `fd_renumber` if there is one, else the number after the highest in use (as
//! Wasmtime numbers them, so guests see the same numbers under both).

use super::types::{Errno, SysResult};
use crate::ctx::{DirPerms, FilePerms};
use crate::stream::{InputStream, OutputStream};
use std::collections::{BTreeMap, BTreeSet};

/// What a descriptor refers to.
pub(crate) enum Descriptor {
    /// Standard input.
    Stdin(Box<dyn InputStream>),
    /// Standard output.
    Stdout(Box<dyn OutputStream>),
    /// Standard error.
    Stderr(Box<dyn OutputStream>),
    /// A directory: preopened, or opened beneath a preopened one.
    Dir(DirEntry),
    /// A file opened beneath a preopened directory.
    File(FileEntry),
    /// A listening socket the embedder granted.
    TcpListener(std::net::TcpListener),
    /// A connection accepted on a granted listening socket.
    TcpStream(std::net::TcpStream),
}

/// An open directory and what the guest may do beneath it.
pub(crate) struct DirEntry {
    pub(crate) dir: cap_std::fs::Dir,
    pub(crate) perms: DirPerms,
    pub(crate) file_perms: FilePerms,
    /// The name the guest sees, for preopened directories.
    pub(crate) preopen: Option<String>,
}

impl DirEntry {
    pub(crate) fn new(
        dir: cap_std::fs::Dir,
        perms: DirPerms,
        file_perms: FilePerms,
        preopen: Option<String>,
    ) -> Self {
        DirEntry {
            dir,
            perms,
            file_perms,
            preopen,
        }
    }

    /// `EPERM` unless the grant lets the guest change entries.
    pub(crate) fn check_mutate(&self) -> SysResult<()> {
        if self.perms.contains(DirPerms::MUTATE) {
            Ok(())
        } else {
            Err(Errno::PERM.into())
        }
    }

    /// `EPERM` unless the grant lets the guest look into the directory.
    pub(crate) fn check_read(&self) -> SysResult<()> {
        if self.perms.contains(DirPerms::READ) {
            Ok(())
        } else {
            Err(Errno::PERM.into())
        }
    }
}

/// An open file. Its position is kept here, not in the host's descriptor: reads and writes
/// at the position are positioned reads and writes on the host.
pub(crate) struct FileEntry {
    pub(crate) file: cap_std::fs::File,
    pub(crate) perms: FilePerms,
    /// Opened for reading on the host.
    pub(crate) readable: bool,
    /// Opened for writing on the host.
    pub(crate) writable: bool,
    /// `FDFLAGS_APPEND`: every write goes to the end.
    pub(crate) append: bool,
    /// `FDFLAGS_NONBLOCK`: recorded and reported; files never block for long anyway.
    pub(crate) nonblock: bool,
    pub(crate) position: u64,
}

impl FileEntry {
    /// `EPERM` unless the grant lets the guest change the file.
    pub(crate) fn check_write(&self) -> SysResult<()> {
        if self.perms.contains(FilePerms::WRITE) {
            Ok(())
        } else {
            Err(Errno::PERM.into())
        }
    }
}

/// Descriptor numbers to what they refer to.
#[derive(Default)]
pub(crate) struct FdTable {
    used: BTreeMap<u32, Descriptor>,
    free: BTreeSet<u32>,
}

impl FdTable {
    /// How many descriptors are open.
    pub(crate) fn len(&self) -> usize {
        self.used.len()
    }

    /// The open descriptors in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &Descriptor)> + '_ {
        self.used.iter().map(|(&fd, desc)| (fd, desc))
    }

    /// Adds a descriptor while the context is built (the table is small; it cannot be full).
    pub(crate) fn push_initial(&mut self, desc: Descriptor) {
        let _ = self.push(desc);
    }

    /// Adds a descriptor; returns its number. A table holding every number is `EMFILE`.
    pub(crate) fn push(&mut self, desc: Descriptor) -> SysResult<u32> {
        let fd = match self.free.pop_last() {
            Some(fd) => fd,
            None => match self.used.last_key_value() {
                None => 0,
                Some((&last, _)) => match last.checked_add(1) {
                    Some(fd) => fd,
                    None => (0..u32::MAX)
                        .rev()
                        .find(|fd| !self.used.contains_key(fd))
                        .ok_or(Errno::MFILE)?,
                },
            },
        };
        self.used.insert(fd, desc);
        Ok(fd)
    }

    /// The descriptor `fd`, or `EBADF`.
    pub(crate) fn get(&self, fd: u32) -> SysResult<&Descriptor> {
        self.used.get(&fd).ok_or_else(|| Errno::BADF.into())
    }

    /// The descriptor `fd`, or `EBADF`.
    pub(crate) fn get_mut(&mut self, fd: u32) -> SysResult<&mut Descriptor> {
        self.used.get_mut(&fd).ok_or_else(|| Errno::BADF.into())
    }

    /// The file `fd`; `EBADF` if it is not one.
    pub(crate) fn file(&self, fd: u32) -> SysResult<&FileEntry> {
        match self.used.get(&fd) {
            Some(Descriptor::File(f)) => Ok(f),
            _ => Err(Errno::BADF.into()),
        }
    }

    /// The file `fd`; `EBADF` if it is not one.
    pub(crate) fn file_mut(&mut self, fd: u32) -> SysResult<&mut FileEntry> {
        match self.used.get_mut(&fd) {
            Some(Descriptor::File(f)) => Ok(f),
            _ => Err(Errno::BADF.into()),
        }
    }

    /// The file `fd` for seeking: standard streams are `ESPIPE`, anything else `EBADF`.
    pub(crate) fn seekable(&mut self, fd: u32) -> SysResult<&mut FileEntry> {
        match self.used.get_mut(&fd) {
            Some(Descriptor::File(f)) => Ok(f),
            Some(Descriptor::Stdin(_) | Descriptor::Stdout(_) | Descriptor::Stderr(_)) => {
                Err(Errno::SPIPE.into())
            }
            _ => Err(Errno::BADF.into()),
        }
    }

    /// The directory `fd`; `EBADF` if it is not one.
    pub(crate) fn dir(&self, fd: u32) -> SysResult<&DirEntry> {
        match self.used.get(&fd) {
            Some(Descriptor::Dir(d)) => Ok(d),
            _ => Err(Errno::BADF.into()),
        }
    }

    /// Removes `fd` (closing what it refers to when the returned value drops).
    pub(crate) fn remove(&mut self, fd: u32) -> SysResult<Descriptor> {
        let desc = self.used.remove(&fd).ok_or(Errno::BADF)?;
        self.free.insert(fd);
        Ok(desc)
    }

    /// Moves `from` to `to`, closing what `to` referred to. Both must be open.
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> SysResult<()> {
        if !self.used.contains_key(&from) || !self.used.contains_key(&to) {
            return Err(Errno::BADF.into());
        }
        if from == to {
            return Ok(());
        }
        let desc = self.remove(from)?;
        self.free.remove(&to);
        self.used.insert(to, desc);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{EmptyInput, Sink};

    fn stream() -> Descriptor {
        Descriptor::Stdout(Box::new(Sink))
    }

    #[test]
    fn numbers_are_reused_highest_first() {
        let mut t = FdTable::default();
        for expected in 0..5 {
            assert_eq!(t.push(stream()).ok(), Some(expected));
        }
        assert!(t.remove(1).is_ok());
        assert!(t.remove(3).is_ok());
        assert!(t.remove(3).is_err());
        assert_eq!(t.push(stream()).ok(), Some(3));
        assert_eq!(t.push(stream()).ok(), Some(1));
        assert_eq!(t.push(stream()).ok(), Some(5));
    }

    #[test]
    fn renumber_replaces_the_target() {
        let mut t = FdTable::default();
        assert_eq!(
            t.push(Descriptor::Stdin(Box::new(EmptyInput))).ok(),
            Some(0)
        );
        assert_eq!(t.push(stream()).ok(), Some(1));
        assert!(t.renumber(0, 7).is_err());
        assert!(t.renumber(0, 1).is_ok());
        assert!(matches!(t.get(1), Ok(Descriptor::Stdin(_))));
        assert!(t.get(0).is_err());
        assert_eq!(t.len(), 1);
        assert_eq!(t.push(stream()).ok(), Some(0));
    }
}
