//! The bytes of a linear memory, backed by anonymous pages of the operating system.
//!
//! # Design
//!
//! A wasm module can declare a memory of up to 4 GiB in a few bytes, and most programs touch a
//! small part of what they declare. So a memory's bytes are an anonymous private mapping
//! (`mmap`): the kernel hands out zeroed pages on first touch, and creating or growing a memory
//! writes nothing. Growth uses `mremap` with `MREMAP_MAYMOVE`, which moves the page tables
//! rather than the bytes and keeps the pages not yet touched lazy.
//!
//! Exactly the current size is mapped: no address space is reserved ahead. Weft bounds-checks
//! every access explicitly (no guard pages, no signal handlers), so a reservation would buy
//! nothing, and it would count against the host's address-space limit (`RLIMIT_AS`) for bytes
//! that the guest never asked for. The price is that a growth may move the memory: the
//! executor re-reads the base after every operation that can grow it.
//!
//! A mapping that the OS refuses (address space or commit limit) is an error that the caller
//! turns into `memory.grow` returning -1 or a failed instantiation; it never aborts.
//!
//! A zero-sized memory has no mapping. Where `mmap` is unavailable — under Miri, which cannot
//! run it, and on non-Unix hosts — the bytes are a zeroed heap allocation with the same
//! interface, so that the executor's unit tests run under Miri.
//!
//! This module and the executor are the only places with unsafe code.

#![allow(unsafe_code)]

/// The OS or the allocator refused the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MapError;

pub(crate) use imp::LinearMemory;

#[cfg(all(unix, not(miri)))]
mod imp {
    use super::MapError;
    use core::ffi::c_void;
    use core::ptr::NonNull;
    use rustix::mm::{MapFlags, ProtFlags};

    /// Zero-initialised, resizable bytes in their own anonymous mapping.
    ///
    /// Invariant: `len == 0` and `ptr` is dangling (no mapping), or `ptr..ptr + len` is a
    /// readable and writable private anonymous mapping owned by this value alone.
    #[derive(Debug)]
    pub(crate) struct LinearMemory {
        ptr: NonNull<u8>,
        len: usize,
    }

    // SAFETY: `LinearMemory` owns its mapping exclusively, like a `Vec<u8>` owns its buffer;
    // the mapping is not tied to the thread that made it, and shared access only reads.
    unsafe impl Send for LinearMemory {}
    // SAFETY: as for `Send`: `&LinearMemory` only allows reading the bytes.
    unsafe impl Sync for LinearMemory {}

    /// A fresh mapping of `len` (> 0) zeroed bytes.
    fn map(len: usize) -> Result<NonNull<u8>, MapError> {
        // SAFETY: a null hint lets the kernel choose an address, so no existing mapping
        // (and no Rust reference) is affected; an anonymous mapping needs no file.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }
        .map_err(|_| MapError)?;
        NonNull::new(ptr.cast::<u8>()).ok_or(MapError)
    }

    impl LinearMemory {
        /// `len` zero bytes; nothing is mapped when `len` is 0.
        pub(crate) fn new(len: usize) -> Result<LinearMemory, MapError> {
            let ptr = if len == 0 {
                NonNull::dangling()
            } else {
                map(len)?
            };
            Ok(LinearMemory { ptr, len })
        }

        /// The length in bytes.
        #[inline]
        pub(crate) fn len(&self) -> usize {
            self.len
        }

        /// The base address, valid for reads and writes of `len()` bytes until the next
        /// `grow` or drop. Obtained without creating a reference to the bytes, so raw pointers
        /// handed out earlier stay usable (as with `Vec::as_mut_ptr`).
        #[inline]
        pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
            self.ptr.as_ptr()
        }

        /// The base address from a shared borrow, for `Memory::data_ptr`: the mapping is
        /// not owned through a Rust reference, so the pointer is valid for writes too
        /// while no reference to the bytes is live.
        #[inline]
        pub(crate) fn base_ptr(&self) -> *mut u8 {
            self.ptr.as_ptr()
        }

        /// Grows to `new_len` (>= `len()`) bytes; the new bytes are zero and the old ones
        /// keep their values. The memory may move. On error nothing changes.
        pub(crate) fn grow(&mut self, new_len: usize) -> Result<(), MapError> {
            if new_len <= self.len {
                return Ok(());
            }
            if self.len == 0 {
                self.ptr = map(new_len)?;
                self.len = new_len;
                return Ok(());
            }
            self.ptr = remap(self.ptr, self.len, new_len)?;
            self.len = new_len;
            Ok(())
        }
    }

    /// Moves the mapping `ptr..ptr + old_len` to one of `new_len` bytes.
    impl LinearMemory {
        /// An empty memory: no mapping.
        pub(crate) fn empty() -> LinearMemory {
            LinearMemory {
                ptr: NonNull::dangling(),
                len: 0,
            }
        }

        /// Makes the memory `new_len` zero bytes, reusing its mapping where the OS can zero
        /// pages in place. On Linux the first `keep_resident` bytes (rounded down to whole
        /// 64 KiB pages) are zeroed with a write, so that they stay resident and the next use
        /// takes no page faults on them; `madvise(MADV_DONTNEED)` drops the other pages (the
        /// next access to them reads zeros, as for a fresh mapping); and `mremap` resizes the
        /// mapping. Elsewhere, or if a call fails, a fresh mapping replaces the old one. On
        /// error the memory is left empty.
        pub(crate) fn reset(
            &mut self,
            new_len: usize,
            keep_resident: usize,
        ) -> Result<(), MapError> {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if self.len != 0 && new_len != 0 {
                let keep = (keep_resident.min(self.len).min(new_len)) & !0xffff;
                if let Some(kept) = self.get_mut(..keep) {
                    kept.fill(0);
                }
                let advised = if keep < self.len {
                    // SAFETY: by the invariant `ptr..ptr + len` is this value's own private
                    // anonymous mapping, page-aligned as `mmap` returned it, and `keep` is a
                    // multiple of 64 KiB below `len`, so `ptr + keep .. ptr + len` is a
                    // page-aligned part of it. `&mut self` means no reference into the bytes
                    // is alive. `MADV_DONTNEED` on such a mapping discards its pages; later
                    // accesses find zero-filled pages, so the bytes stay initialised (zeros).
                    unsafe {
                        rustix::mm::madvise(
                            self.ptr.as_ptr().add(keep).cast::<c_void>(),
                            self.len - keep,
                            rustix::mm::Advice::LinuxDontNeed,
                        )
                    }
                } else {
                    Ok(())
                };
                if advised.is_ok() {
                    if new_len == self.len {
                        return Ok(());
                    }
                    if let Ok(ptr) = remap(self.ptr, self.len, new_len) {
                        self.ptr = ptr;
                        self.len = new_len;
                        return Ok(());
                    }
                }
            }
            let _ = keep_resident;
            // Unmap first, so that the old and new mappings never count together against the
            // address-space limit.
            *self = LinearMemory::empty();
            *self = LinearMemory::new(new_len)?;
            Ok(())
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn remap(ptr: NonNull<u8>, old_len: usize, new_len: usize) -> Result<NonNull<u8>, MapError> {
        // SAFETY: by the invariant `ptr..ptr + old_len` is our own mapping, page-aligned
        // as `mmap` returned it; `grow` takes `&mut self`, so no reference into the bytes
        // is alive, which `MAYMOVE` requires. On failure the old mapping is unchanged.
        let new = unsafe {
            rustix::mm::mremap(
                ptr.as_ptr().cast::<c_void>(),
                old_len,
                new_len,
                rustix::mm::MremapFlags::MAYMOVE,
            )
        }
        .map_err(|_| MapError)?;
        NonNull::new(new.cast::<u8>()).ok_or(MapError)
    }

    /// Without `mremap`: a new mapping, the old bytes copied over, the old mapping freed.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn remap(ptr: NonNull<u8>, old_len: usize, new_len: usize) -> Result<NonNull<u8>, MapError> {
        let new = map(new_len)?;
        // SAFETY: `ptr..ptr + old_len` is our live mapping and `new..new + new_len` a fresh,
        // disjoint one with `new_len > old_len`; both are readable and writable.
        unsafe { core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), old_len) };
        // SAFETY: the old mapping is ours and, `grow` holding `&mut self`, unreferenced.
        // Failing to unmap would only leak address space.
        let _ = unsafe { rustix::mm::munmap(ptr.as_ptr().cast::<c_void>(), old_len) };
        Ok(new)
    }

    impl Drop for LinearMemory {
        fn drop(&mut self) {
            if self.len != 0 {
                // SAFETY: by the invariant the mapping is ours, and `drop` has the only
                // access to it. A failure would only leak address space: nothing to do.
                let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast::<c_void>(), self.len) };
            }
        }
    }

    impl core::ops::Deref for LinearMemory {
        type Target = [u8];

        #[inline]
        fn deref(&self) -> &[u8] {
            // SAFETY: by the invariant `ptr` is valid for reads of `len` initialised
            // (zero-filled or written) bytes, or dangling and well aligned for `len == 0`;
            // the borrow of `self` keeps the mapping alive and unmoved.
            unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
        }
    }

    impl core::ops::DerefMut for LinearMemory {
        #[inline]
        fn deref_mut(&mut self) -> &mut [u8] {
            // SAFETY: as in `deref`, and `&mut self` makes this the only reference.
            unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
        }
    }
}

#[cfg(any(miri, not(unix)))]
mod imp {
    use super::MapError;

    /// Zero-initialised, resizable bytes on the heap (where `mmap` cannot be used).
    #[derive(Debug)]
    pub(crate) struct LinearMemory(Vec<u8>);

    impl LinearMemory {
        /// `len` zero bytes.
        pub(crate) fn new(len: usize) -> Result<LinearMemory, MapError> {
            let mut memory = LinearMemory(Vec::new());
            memory.grow(len)?;
            Ok(memory)
        }

        /// The length in bytes.
        #[inline]
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }

        /// The base address, as `Vec::as_mut_ptr`.
        #[inline]
        pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
            self.0.as_mut_ptr()
        }

        /// The base address from a shared borrow; on this heap-backed fallback it is
        /// valid for reads only.
        #[inline]
        pub(crate) fn base_ptr(&self) -> *mut u8 {
            self.0.as_ptr().cast_mut()
        }

        /// An empty memory.
        pub(crate) fn empty() -> LinearMemory {
            LinearMemory(Vec::new())
        }

        /// Makes the memory `new_len` zero bytes. On error the memory is left empty.
        pub(crate) fn reset(
            &mut self,
            new_len: usize,
            _keep_resident: usize,
        ) -> Result<(), MapError> {
            *self = LinearMemory::empty();
            *self = LinearMemory::new(new_len)?;
            Ok(())
        }

        /// Grows to `new_len` bytes, the new ones zero. On error nothing changes.
        pub(crate) fn grow(&mut self, new_len: usize) -> Result<(), MapError> {
            let additional = new_len.saturating_sub(self.0.len());
            self.0.try_reserve_exact(additional).map_err(|_| MapError)?;
            self.0.resize(new_len.max(self.0.len()), 0);
            Ok(())
        }
    }

    impl core::ops::Deref for LinearMemory {
        type Target = [u8];

        #[inline]
        fn deref(&self) -> &[u8] {
            &self.0
        }
    }

    impl core::ops::DerefMut for LinearMemory {
        #[inline]
        fn deref_mut(&mut self) -> &mut [u8] {
            &mut self.0
        }
    }
}

#[cfg(test)]
#[expect(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::LinearMemory;

    #[test]
    fn empty_memory_has_no_bytes_and_grows() {
        let mut memory = LinearMemory::new(0).expect("empty");
        assert!(memory.is_empty());
        memory.grow(65536).expect("grows");
        assert_eq!(memory.len(), 65536);
        assert!(memory.iter().all(|b| *b == 0));
    }

    #[test]
    fn growth_keeps_contents_and_zeroes_the_rest() {
        let mut memory = LinearMemory::new(65536).expect("one page");
        memory[0] = 1;
        memory[65535] = 2;
        memory.grow(3 * 65536).expect("grows");
        assert_eq!((memory[0], memory[65535]), (1, 2));
        assert!(memory[65536..].iter().all(|b| *b == 0));
        memory.grow(65536).expect("shrinking is a no-op");
        assert_eq!(memory.len(), 3 * 65536);
    }

    #[test]
    fn reset_zeroes_and_resizes() {
        let mut memory = LinearMemory::new(2 * 65536).expect("two pages");
        memory[10] = 7;
        memory[65536 + 5] = 9;
        memory
            .reset(2 * 65536, 65536)
            .expect("same size, one page kept");
        assert_eq!(memory.len(), 2 * 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory[3] = 1;
        memory.reset(65536, 0).expect("smaller");
        assert_eq!(memory.len(), 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory[3] = 1;
        memory.reset(3 * 65536, 1 << 20).expect("larger, all kept");
        assert_eq!(memory.len(), 3 * 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory.reset(0, 0).expect("empty");
        assert!(memory.is_empty());
        memory.reset(65536, 0).expect("from empty");
        assert!(memory.iter().all(|b| *b == 0));
    }
}
