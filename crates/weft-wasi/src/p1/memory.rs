//! Checked access to a guest's linear memory.
//!
//! Every pointer a guest passes is a 32-bit offset into its memory. An access that would
//! reach past the end of memory, or a multi-byte value at a misaligned address, is a
//! [`Fault`](super::types::Fail::Fault): the call traps (the witx rules for preview 1 say
//! such calls trap, and Wasmtime does so). Nothing here can panic on a guest's values.
//!
//! A call may also copy only so much: each call has a budget (128 MiB, Wasmtime's
//! "hostcall fuel"), charged for arrays and buffers before they are touched; a call over budget
//! fails with `ENOMEM` before it allocates. Reads and writes stay within it by moving at most
//! [`IO_CHUNK`] bytes per call and reporting a short count, as POSIX allows and as guests'
//! C and Rust libraries expect (they call again for the rest).

use super::types::{Errno, SysResult, fault};
use core::ops::Range;

/// Bytes a single host call may copy or allocate on behalf of the guest.
const CALL_BUDGET: usize = 128 << 20;

/// The most bytes one read or write moves through a host buffer; a larger request is
/// served in part and reports the short count.
pub(crate) const IO_CHUNK: usize = 16 << 20;

/// The memory of the calling instance, lent for one host call.
pub(crate) struct GuestMemory<'a> {
    bytes: &'a mut [u8],
    budget: usize,
}

/// One `iovec` or `ciovec`: a guest buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IoVec {
    pub(crate) ptr: u32,
    pub(crate) len: u32,
}

impl<'a> GuestMemory<'a> {
    /// Wraps the bytes of a memory.
    pub(crate) fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory {
            bytes,
            budget: CALL_BUDGET,
        }
    }

    /// Charges `bytes` to the call's budget.
    pub(crate) fn charge(&mut self, bytes: u64) -> SysResult<()> {
        match usize::try_from(bytes) {
            Ok(n) if n <= self.budget => {
                self.budget -= n;
                Ok(())
            }
            _ => Err(Errno::NOMEM.into()),
        }
    }

    /// The byte range `ptr..ptr + len`, checked against the memory's size and `align`.
    fn range(&self, ptr: u32, len: u64, align: u32) -> SysResult<Range<usize>> {
        if align > 1 && !ptr.is_multiple_of(align) {
            return Err(fault(format!(
                "pointer not aligned: {ptr:#x} is not a multiple of {align}"
            )));
        }
        let start = u64::from(ptr);
        match start.checked_add(len) {
            Some(end) if end <= self.bytes.len() as u64 => Ok(start as usize..end as usize),
            _ => Err(fault(format!(
                "pointer out of bounds: {len} bytes at {ptr:#x}, memory is {} bytes",
                self.bytes.len()
            ))),
        }
    }

    /// `len` bytes at `ptr`.
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> SysResult<&[u8]> {
        let range = self.range(ptr, u64::from(len), 1)?;
        self.bytes
            .get(range)
            .ok_or_else(|| fault("pointer out of bounds"))
    }

    /// `len` bytes at `ptr`, for writing.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> SysResult<&mut [u8]> {
        let range = self.range(ptr, u64::from(len), 1)?;
        self.bytes
            .get_mut(range)
            .ok_or_else(|| fault("pointer out of bounds"))
    }

    /// Writes `data` at `ptr`, which must be aligned to `align`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8], align: u32) -> SysResult<()> {
        let range = self.range(ptr, data.len() as u64, align)?;
        match self.bytes.get_mut(range) {
            Some(dst) => {
                dst.copy_from_slice(data);
                Ok(())
            }
            None => Err(fault("pointer out of bounds")),
        }
    }

    /// Reads `N` bytes at `ptr`, which must be aligned to `align`.
    fn read_array<const N: usize>(&self, ptr: u32, align: u32) -> SysResult<[u8; N]> {
        let range = self.range(ptr, N as u64, align)?;
        let mut out = [0u8; N];
        match self.bytes.get(range) {
            Some(src) => {
                out.copy_from_slice(src);
                Ok(out)
            }
            None => Err(fault("pointer out of bounds")),
        }
    }

    pub(crate) fn read_u8(&self, ptr: u32) -> SysResult<u8> {
        self.read_array::<1>(ptr, 1).map(|[b]| b)
    }

    pub(crate) fn read_u16(&self, ptr: u32) -> SysResult<u16> {
        self.read_array(ptr, 2).map(u16::from_le_bytes)
    }

    pub(crate) fn read_u32(&self, ptr: u32) -> SysResult<u32> {
        self.read_array(ptr, 4).map(u32::from_le_bytes)
    }

    pub(crate) fn read_u64(&self, ptr: u32) -> SysResult<u64> {
        self.read_array(ptr, 8).map(u64::from_le_bytes)
    }

    pub(crate) fn write_u16(&mut self, ptr: u32, value: u16) -> SysResult<()> {
        self.write(ptr, &value.to_le_bytes(), 2)
    }

    pub(crate) fn write_u32(&mut self, ptr: u32, value: u32) -> SysResult<()> {
        self.write(ptr, &value.to_le_bytes(), 4)
    }

    pub(crate) fn write_u64(&mut self, ptr: u32, value: u64) -> SysResult<()> {
        self.write(ptr, &value.to_le_bytes(), 8)
    }

    /// The UTF-8 string of `len` bytes at `ptr` (a path). Not UTF-8: `EILSEQ`.
    pub(crate) fn str(&mut self, ptr: u32, len: u32) -> SysResult<String> {
        self.charge(u64::from(len))?;
        let bytes = self.slice(ptr, len)?;
        match core::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(Errno::ILSEQ.into()),
        }
    }

    /// The `count` iovecs of the array at `ptr`.
    pub(crate) fn iovecs(&mut self, ptr: u32, count: u32) -> SysResult<Vec<IoVec>> {
        self.charge(u64::from(count) * 8)?;
        let range = self.range(ptr, u64::from(count) * 8, 4)?;
        let bytes = self
            .bytes
            .get(range)
            .ok_or_else(|| fault("pointer out of bounds"))?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| {
                let word = |i: usize| {
                    let mut w = [0u8; 4];
                    if let Some(src) = c.get(i..i + 4) {
                        w.copy_from_slice(src);
                    }
                    u32::from_le_bytes(w)
                };
                IoVec {
                    ptr: word(0),
                    len: word(4),
                }
            })
            .collect())
    }

    /// Gathers the bytes of `iovecs` in order (for a write), at most [`IO_CHUNK`] of them,
    /// charging them to the budget. Buffers past the chunk are not touched, and so not
    /// checked: the write is short and the guest asks again for the rest.
    pub(crate) fn gather(&mut self, iovecs: &[IoVec]) -> SysResult<Vec<u8>> {
        let total: u64 = iovecs.iter().map(|v| u64::from(v.len)).sum();
        let total = total.min(IO_CHUNK as u64) as usize;
        self.charge(total as u64)?;
        let mut out = Vec::with_capacity(total);
        for v in iovecs.iter().filter(|v| v.len > 0) {
            let left = total - out.len();
            if left == 0 {
                break;
            }
            let len = v.len.min(u32::try_from(left).unwrap_or(u32::MAX));
            out.extend_from_slice(self.slice(v.ptr, len)?);
        }
        Ok(out)
    }

    /// Scatters `data` over `iovecs` in order (after a read); returns how many bytes were
    /// placed. Buffers past the data are not touched, and so not checked.
    pub(crate) fn scatter(&mut self, iovecs: &[IoVec], data: &[u8]) -> SysResult<usize> {
        let mut rest = data;
        for v in iovecs {
            if rest.is_empty() {
                break;
            }
            let n = rest.len().min(v.len as usize);
            if n == 0 {
                continue;
            }
            let (now, later) = rest.split_at(n);
            self.slice_mut(v.ptr, n as u32)?.copy_from_slice(now);
            rest = later;
        }
        Ok(data.len() - rest.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p1::types::Fail;

    fn is_fault<T>(r: SysResult<T>) -> bool {
        matches!(r, Err(Fail::Fault(_)))
    }

    #[test]
    fn bounds_and_alignment_are_faults() {
        let mut bytes = vec![0u8; 64];
        let mut mem = GuestMemory::new(&mut bytes);
        assert!(mem.write_u32(60, 7).is_ok());
        assert!(is_fault(mem.write_u32(61, 7)));
        assert!(is_fault(mem.write_u32(62, 7)));
        assert!(is_fault(mem.write_u64(u32::MAX - 3, 7)));
        assert!(is_fault(mem.read_u64(4)));
        assert_eq!(mem.read_u32(60).ok(), Some(7));
        assert!(is_fault(mem.slice(60, 5)));
        assert!(mem.slice(64, 0).is_ok());
        assert!(is_fault(mem.slice(65, 0)));
        assert!(is_fault(mem.iovecs(60, 1)));
        assert!(is_fault(mem.iovecs(u32::MAX - 7, 2)));
    }

    #[test]
    fn budget_and_utf8() {
        let mut bytes = vec![0xffu8; 16];
        let mut mem = GuestMemory::new(&mut bytes);
        assert!(matches!(mem.str(0, 2), Err(Fail::Errno(Errno::ILSEQ))));
        assert!(matches!(
            mem.iovecs(0, u32::MAX),
            Err(Fail::Errno(Errno::NOMEM))
        ));
        assert!(mem.charge(u64::MAX).is_err());
    }

    #[test]
    fn scatter_touches_only_what_it_fills() {
        let mut bytes = vec![0u8; 32];
        let mut mem = GuestMemory::new(&mut bytes);
        let iovs = [
            IoVec { ptr: 0, len: 2 },
            IoVec { ptr: 8, len: 3 },
            IoVec { ptr: 1000, len: 3 },
        ];
        assert_eq!(mem.scatter(&iovs, b"hello").ok(), Some(5));
        assert_eq!(mem.slice(0, 2).ok(), Some(&b"he"[..]));
        assert_eq!(mem.slice(8, 3).ok(), Some(&b"llo"[..]));
        assert!(is_fault(mem.scatter(&iovs, b"hello world")));
        assert_eq!(mem.gather(&iovs[..2]).ok(), Some(b"hello".to_vec()));
    }
}
