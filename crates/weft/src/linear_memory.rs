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
//! A memory of 1-byte pages (the custom-page-sizes proposal) may have any length: its
//! mapping is the length rounded up to 64 KiB (a multiple of every host page size Weft runs
//! on), and the bytes past the length are never handed out, so accesses to them trap; a
//! growth within the mapping only moves the length.
//!
//! A zero-sized memory has no mapping. Where `mmap` is unavailable — under Miri, which cannot
//! run it, and on non-Unix hosts — the bytes are a zeroed heap allocation with the same
//! interface, so that the executor's unit tests run under Miri.
//!
//! # Memory images
//!
//! Most modules initialize their memory with active data segments at constant offsets; Rust
//! programs put a few hundred KiB of them at 1 MiB. Copying them at every instantiation writes
//! (and faults in) every page they cover. Instead, on Linux, a module builds a
//! [`MemoryImage`] once: the initialized pages, from the first 64 KiB page that holds data to
//! the last, in a sealed `memfd`. A new memory maps the image `MAP_PRIVATE | MAP_FIXED` over
//! its range: the pages are shared with the page cache until the guest writes one, which then
//! gets a private copy (copy-on-write). Reusing such a memory for the same image (the pooling
//! allocator) is one `madvise(MADV_DONTNEED)`, after which the image's range reads the file
//! again and the rest reads zeros.
//!
//! Since no address space is reserved, the first growth of a memory that maps an image cannot
//! `mremap` it (the range is two or three mappings): it copies the bytes into one fresh
//! anonymous mapping, as a growth that must move does in Wasmtime; later growths `mremap` that
//! mapping as usual.
//!
//! This module and the executor are the only places with unsafe code.

#![allow(unsafe_code)]

use std::sync::Arc;

/// The OS or the allocator refused the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MapError;

pub(crate) use imp::LinearMemory;

/// The granularity of images: a wasm page, which is a multiple of every host page size that
/// Weft runs on (4 KiB, 16 KiB, 64 KiB).
const IMAGE_ALIGN: usize = 65536;

/// The initial contents of a memory, in a form that maps copy-on-write (see the module docs).
///
/// Only Linux and Android build images; elsewhere [`MemoryImage::new`] returns `None` and no
/// value of this type exists.
#[derive(Debug)]
pub(crate) struct MemoryImage {
    /// Where the image starts in the memory, in bytes; a multiple of [`IMAGE_ALIGN`].
    offset: usize,
    /// The image's length in bytes: a non-zero multiple of [`IMAGE_ALIGN`].
    len: usize,
    /// A memfd of exactly `len` bytes, sealed against any change of size or contents.
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    fd: rustix::fd::OwnedFd,
    #[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
    never: core::convert::Infallible,
}

impl MemoryImage {
    /// The image of a memory of `memory_len` bytes after writing each of `segments`
    /// (offset in bytes, contents) in order, or `None` if a segment does not fit in the
    /// memory, no segment has a byte, the platform has no images, or the OS refuses.
    pub(crate) fn new<'a>(
        memory_len: usize,
        segments: impl Iterator<Item = (usize, &'a [u8])> + Clone,
    ) -> Option<MemoryImage> {
        let mut start = usize::MAX;
        let mut end = 0;
        for (offset, bytes) in segments.clone() {
            let segment_end = offset.checked_add(bytes.len())?;
            if segment_end > memory_len {
                return None;
            }
            if !bytes.is_empty() {
                start = start.min(offset);
                end = end.max(segment_end);
            }
        }
        if start >= end {
            return None;
        }
        let offset = start - start % IMAGE_ALIGN;
        let end = end.checked_next_multiple_of(IMAGE_ALIGN)?;
        if end > memory_len {
            return None;
        }
        MemoryImage::build(offset, end - offset, segments)
    }

    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    fn build<'a>(
        offset: usize,
        len: usize,
        segments: impl Iterator<Item = (usize, &'a [u8])>,
    ) -> Option<MemoryImage> {
        use rustix::fs::{MemfdFlags, SealFlags};
        let fd = rustix::fs::memfd_create(
            "weft-memory-image",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )
        .ok()?;
        rustix::fs::ftruncate(&fd, len as u64).ok()?;
        for (at, mut bytes) in segments {
            // Segments with bytes lie within `offset..offset + len` (checked by `new`); an
            // empty one may lie anywhere and writes nothing.
            if bytes.is_empty() {
                continue;
            }
            let mut position = at.checked_sub(offset)? as u64;
            while !bytes.is_empty() {
                let written = rustix::io::pwrite(&fd, bytes, position).ok()?;
                if written == 0 {
                    return None;
                }
                bytes = bytes.get(written..)?;
                position += written as u64;
            }
        }
        // Sealed, the file can neither shrink (which would make a mapped page fault with
        // SIGBUS) nor change under the memories that map it.
        rustix::fs::fcntl_add_seals(
            &fd,
            SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL,
        )
        .ok()?;
        Some(MemoryImage { offset, len, fd })
    }

    #[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
    fn build<'a>(
        _offset: usize,
        _len: usize,
        _segments: impl Iterator<Item = (usize, &'a [u8])>,
    ) -> Option<MemoryImage> {
        None
    }

    /// Copies the image into `memory` (at least `offset + len` bytes), for a memory that
    /// cannot map it.
    #[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
    fn read_into(&self, memory: &mut [u8]) -> Result<(), MapError> {
        let target = memory
            .get_mut(self.offset..self.offset + self.len)
            .ok_or(MapError)?;
        let mut done = 0;
        while done < target.len() {
            let rest = target.get_mut(done..).ok_or(MapError)?;
            let read = rustix::io::pread(&self.fd, rest, done as u64).map_err(|_| MapError)?;
            if read == 0 {
                return Err(MapError);
            }
            done += read;
        }
        Ok(())
    }
}

/// Whether `a` and `b` are the same image, or both none.
fn same_image(a: Option<&Arc<MemoryImage>>, b: Option<&Arc<MemoryImage>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(all(unix, not(miri)))]
mod imp {
    use super::{MapError, MemoryImage, same_image};
    use core::ffi::c_void;
    use core::ptr::NonNull;
    use rustix::mm::{MapFlags, ProtFlags};
    use std::sync::Arc;

    /// Zero-initialised (or image-initialised), resizable bytes in their own mappings.
    ///
    /// Invariant: `mapped == 0`, `len == 0`, `ptr` is dangling (no mapping) and `image` is
    /// `None`; or `mapped` is `len` rounded up to a multiple of [`MAP_ALIGN`] (at least one),
    /// `ptr..ptr + mapped` is readable and writable, page-aligned, owned by this value alone
    /// and made of private mappings: anonymous ones, and, when `image` is `Some(i)`, a
    /// mapping of `i`'s file over `ptr + i.offset .. ptr + i.offset + i.len` (within `len`).
    /// Without an image the range is one anonymous mapping, as `mmap` or `mremap` returned
    /// it. The bytes `ptr + len .. ptr + mapped` are zero: only the first `len` bytes are
    /// ever handed out.
    #[derive(Debug)]
    pub(crate) struct LinearMemory {
        ptr: NonNull<u8>,
        len: usize,
        mapped: usize,
        image: Option<Arc<MemoryImage>>,
    }

    /// The granularity of mappings: 64 KiB, a multiple of every host page size.
    const MAP_ALIGN: usize = super::IMAGE_ALIGN;

    /// The mapping that holds `len` bytes: `len` rounded up to [`MAP_ALIGN`].
    fn mapped_len(len: usize) -> Result<usize, MapError> {
        len.checked_next_multiple_of(MAP_ALIGN).ok_or(MapError)
    }

    // SAFETY: `LinearMemory` owns its mapping exclusively, like a `Vec<u8>` owns its buffer;
    // the mapping is not tied to the thread that made it, and shared access only reads. The
    // image is an `Arc` of a file descriptor, itself `Send + Sync`.
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
            let mapped = mapped_len(len)?;
            let ptr = if len == 0 {
                NonNull::dangling()
            } else {
                map(mapped)?
            };
            Ok(LinearMemory {
                ptr,
                len,
                mapped,
                image: None,
            })
        }

        /// `len` bytes holding `image` at its offset (if any) and zeros elsewhere. The image
        /// is mapped copy-on-write where the OS allows it, and read into the memory otherwise.
        pub(crate) fn with_image(
            len: usize,
            image: Option<&Arc<MemoryImage>>,
        ) -> Result<LinearMemory, MapError> {
            let Some(image) = image else {
                return LinearMemory::new(len);
            };
            if image.offset + image.len > len {
                return Err(MapError);
            }
            let mut memory = LinearMemory::new(len)?;
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                // SAFETY: `memory` was just mapped (anonymous, private, `mapped >= len`
                // bytes, page-aligned) and nothing refers into it. `image.offset` and
                // `image.len` are multiples of 64 KiB, hence of the host page, and end within
                // `len`, so
                // `MAP_FIXED` replaces a page-aligned part of that mapping and nothing else.
                // The file is `image.len` bytes long and sealed against shrinking, so every
                // mapped page is backed; `MAP_PRIVATE` makes writes private copies, leaving
                // the file (sealed against writes anyway) unchanged.
                let mapped = unsafe {
                    rustix::mm::mmap(
                        memory.ptr.as_ptr().add(image.offset).cast::<c_void>(),
                        image.len,
                        ProtFlags::READ | ProtFlags::WRITE,
                        MapFlags::PRIVATE | MapFlags::FIXED,
                        &image.fd,
                        0,
                    )
                };
                if mapped.is_ok() {
                    memory.image = Some(image.clone());
                    return Ok(memory);
                }
                // A failed `MAP_FIXED` may have unmapped the range: start again, and copy.
                drop(memory);
                memory = LinearMemory::new(len)?;
                image.read_into(&mut memory)?;
                Ok(memory)
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            {
                let _ = &mut memory;
                match image.never {}
            }
        }

        /// The length in bytes.
        #[inline]
        pub(crate) fn len(&self) -> usize {
            self.len
        }

        /// Whether the memory maps `image` (so that a reset for that image is cheap).
        pub(crate) fn maps(&self, image: Option<&Arc<MemoryImage>>) -> bool {
            same_image(self.image.as_ref(), image)
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
            if new_len <= self.mapped {
                // The bytes past `len` in the mapping are zero (invariant).
                self.len = new_len;
                return Ok(());
            }
            let new_mapped = mapped_len(new_len)?;
            if self.mapped == 0 {
                self.ptr = map(new_mapped)?;
                self.len = new_len;
                self.mapped = new_mapped;
                return Ok(());
            }
            self.ptr = if self.image.is_some() {
                // Several mappings, which `mremap` cannot move as one.
                copy_to_new(self.ptr, self.mapped, new_mapped)?
            } else {
                remap(self.ptr, self.mapped, new_mapped)?
            };
            self.len = new_len;
            self.mapped = new_mapped;
            self.image = None;
            Ok(())
        }
    }

    impl LinearMemory {
        /// An empty memory: no mapping.
        pub(crate) fn empty() -> LinearMemory {
            LinearMemory {
                ptr: NonNull::dangling(),
                len: 0,
                mapped: 0,
                image: None,
            }
        }

        /// Makes the memory `new_len` bytes holding `image` (zeros without one), reusing its
        /// mapping where the OS can reset pages in place. On Linux, when the memory already
        /// maps the same image (or neither has one) and, with an image, keeps its size: the
        /// first `keep_resident` bytes below the image (rounded down to whole 64 KiB pages)
        /// are zeroed with a write, so that they stay resident and the next use takes no page
        /// faults on them; `madvise(MADV_DONTNEED)` drops the other pages (the next access
        /// reads the image's file or zeros, as for a fresh mapping); and, without an image,
        /// `mremap` resizes the mapping. Otherwise, or if a call fails, fresh mappings replace
        /// the old ones. On error the memory is left empty.
        pub(crate) fn reset(
            &mut self,
            new_len: usize,
            keep_resident: usize,
            image: Option<&Arc<MemoryImage>>,
        ) -> Result<(), MapError> {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if self.mapped != 0
                && new_len != 0
                && self.maps(image)
                && (image.is_none() || new_len == self.len)
                && let Ok(new_mapped) = mapped_len(new_len)
            {
                let below_image = image.map_or(usize::MAX, |image| image.offset);
                let keep = (keep_resident.min(self.len).min(new_len).min(below_image)) & !0xffff;
                if let Some(kept) = self.get_mut(..keep) {
                    kept.fill(0);
                }
                let advised = if keep < self.mapped {
                    // SAFETY: by the invariant `ptr..ptr + mapped` is this value's own
                    // private mappings, page-aligned, and `keep` is a multiple of 64 KiB
                    // below `len <= mapped`, so `ptr + keep .. ptr + mapped` is a page-aligned
                    // part of them. `&mut self`
                    // means no reference into the bytes is alive. `MADV_DONTNEED` on private
                    // mappings discards their pages; later accesses find zero-filled pages
                    // (anonymous) or the file's contents (the image, whose file is sealed at
                    // `image.len` bytes), so the bytes stay initialised.
                    unsafe {
                        rustix::mm::madvise(
                            self.ptr.as_ptr().add(keep).cast::<c_void>(),
                            self.mapped - keep,
                            rustix::mm::Advice::LinuxDontNeed,
                        )
                    }
                } else {
                    Ok(())
                };
                if advised.is_ok() {
                    // Every byte is zero (or the image's) again, so the length may move
                    // within the mapping.
                    if new_mapped == self.mapped {
                        self.len = new_len;
                        return Ok(());
                    }
                    if let Ok(ptr) = remap(self.ptr, self.mapped, new_mapped) {
                        self.ptr = ptr;
                        self.len = new_len;
                        self.mapped = new_mapped;
                        return Ok(());
                    }
                }
            }
            let _ = keep_resident;
            // Unmap first, so that the old and new mappings never count together against the
            // address-space limit.
            *self = LinearMemory::empty();
            *self = LinearMemory::with_image(new_len, image)?;
            Ok(())
        }
    }

    /// Moves the mapping `ptr..ptr + old_len` (one mapping) to one of `new_len` bytes.
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
        copy_to_new(ptr, old_len, new_len)
    }

    /// A new anonymous mapping of `new_len` bytes holding the bytes of the mappings
    /// `ptr..ptr + old_len` (with `new_len > old_len`), which are freed. On failure the old
    /// mappings are unchanged.
    fn copy_to_new(
        ptr: NonNull<u8>,
        old_len: usize,
        new_len: usize,
    ) -> Result<NonNull<u8>, MapError> {
        let new = map(new_len)?;
        // SAFETY: `ptr..ptr + old_len` is our live memory and `new..new + new_len` a fresh,
        // disjoint mapping with `new_len > old_len`; both are readable and writable.
        unsafe { core::ptr::copy_nonoverlapping(ptr.as_ptr(), new.as_ptr(), old_len) };
        // SAFETY: the old mappings are ours and, `grow` holding `&mut self`, unreferenced.
        // Failing to unmap would only leak address space.
        let _ = unsafe { rustix::mm::munmap(ptr.as_ptr().cast::<c_void>(), old_len) };
        Ok(new)
    }

    impl Drop for LinearMemory {
        fn drop(&mut self) {
            if self.mapped != 0 {
                // SAFETY: by the invariant the mappings are ours, and `drop` has the only
                // access to them. A failure would only leak address space: nothing to do.
                let _ =
                    unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast::<c_void>(), self.mapped) };
            }
        }
    }

    impl core::ops::Deref for LinearMemory {
        type Target = [u8];

        #[inline]
        fn deref(&self) -> &[u8] {
            // SAFETY: by the invariant `ptr` is valid for reads of `len` initialised
            // (zero-filled, image or written) bytes, or dangling and well aligned for
            // `len == 0`; the borrow of `self` keeps the mapping alive and unmoved.
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
    use super::{MapError, MemoryImage};
    use std::sync::Arc;

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

        /// `len` zero bytes: no image exists where memories live on the heap.
        pub(crate) fn with_image(
            len: usize,
            image: Option<&Arc<MemoryImage>>,
        ) -> Result<LinearMemory, MapError> {
            if let Some(image) = image {
                match image.never {}
            }
            LinearMemory::new(len)
        }

        /// The length in bytes.
        #[inline]
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }

        /// Whether the memory maps `image`: only the absence of one.
        pub(crate) fn maps(&self, image: Option<&Arc<MemoryImage>>) -> bool {
            image.is_none()
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
            image: Option<&Arc<MemoryImage>>,
        ) -> Result<(), MapError> {
            if let Some(image) = image {
                match image.never {}
            }
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
    use super::{LinearMemory, MemoryImage};
    use std::sync::Arc;

    /// A memory of 4 pages with bytes at 65536 + 10 and 2 * 65536 - 1 (in its second page).
    fn image() -> Option<Arc<MemoryImage>> {
        let first: &[u8] = &[1, 2, 3];
        let second: &[u8] = &[9];
        let overlapping: &[u8] = &[7];
        let segments = [
            (65536 + 10, first),
            (2 * 65536 - 1, second),
            (65536 + 11, overlapping),
        ];
        MemoryImage::new(4 * 65536, segments.into_iter()).map(Arc::new)
    }

    fn assert_initialized(memory: &LinearMemory) {
        for (i, byte) in memory.iter().enumerate() {
            let expected = match i {
                65546 => 1,
                65547 => 7,
                65548 => 3,
                131071 => 9,
                _ => 0,
            };
            assert_eq!(*byte, expected, "byte {i}");
        }
    }

    #[test]
    fn images_only_of_segments_that_fit_and_have_bytes() {
        let bytes: &[u8] = &[1];
        assert!(MemoryImage::new(65536, [(65536, bytes)].into_iter()).is_none());
        assert!(MemoryImage::new(65536, [(usize::MAX, bytes)].into_iter()).is_none());
        let empty: &[u8] = &[];
        assert!(MemoryImage::new(65536, [(10, empty)].into_iter()).is_none());
        assert!(MemoryImage::new(65536, [(65537, empty), (0, bytes)].into_iter()).is_none());
    }

    #[test]
    fn a_memory_from_an_image_holds_it_and_resets_to_it() {
        let images = cfg!(all(
            any(target_os = "linux", target_os = "android"),
            not(miri)
        ));
        let Some(image) = image() else {
            assert!(!images, "Linux builds images");
            return;
        };
        assert_eq!((image.offset, image.len), (65536, 65536));
        let mut memory = LinearMemory::with_image(4 * 65536, Some(&image)).expect("maps");
        assert!(memory.maps(Some(&image)));
        assert_initialized(&memory);
        memory[65546] = 42;
        memory[5] = 5;
        memory[3 * 65536] = 6;
        // A second memory from the same image does not see the first one's writes.
        let other = LinearMemory::with_image(4 * 65536, Some(&image)).expect("maps");
        assert_initialized(&other);
        memory
            .reset(4 * 65536, 65536, Some(&image))
            .expect("same image");
        assert!(memory.maps(Some(&image)));
        assert_initialized(&memory);
        memory[65546] = 42;
        memory.reset(2 * 65536, 0, None).expect("without the image");
        assert!(memory.maps(None));
        assert!(memory.iter().all(|b| *b == 0));
        memory
            .reset(4 * 65536, 0, Some(&image))
            .expect("with it again");
        assert_initialized(&memory);
        memory[65546] = 42;
        memory.grow(6 * 65536).expect("grows");
        assert!(memory.maps(None), "a growth copies the image");
        assert_eq!(memory[65546], 42);
        memory[65546] = 1;
        assert_initialized(&memory);
        assert!(
            LinearMemory::with_image(65536, Some(&image)).is_err(),
            "too small"
        );
    }

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
    fn lengths_need_not_be_whole_pages() {
        let mut memory = LinearMemory::new(3).expect("three bytes");
        assert_eq!(memory.len(), 3);
        memory[2] = 5;
        assert!(memory.get(3).is_none());
        memory.grow(5).expect("within the mapping");
        assert_eq!(
            (memory.len(), memory[2], memory[3], memory[4]),
            (5, 5, 0, 0)
        );
        memory[4] = 6;
        memory.grow(65536 + 1).expect("past the mapping");
        assert_eq!((memory.len(), memory[2], memory[4]), (65537, 5, 6));
        assert!(memory[5..].iter().all(|b| *b == 0));
        memory.reset(7, 0, None).expect("smaller");
        assert_eq!(memory.len(), 7);
        assert!(memory.iter().all(|b| *b == 0));
        memory.grow(9).expect("grows again");
        assert!(
            memory.iter().all(|b| *b == 0),
            "bytes past the length were zeroed"
        );
    }

    #[test]
    fn reset_zeroes_and_resizes() {
        let mut memory = LinearMemory::new(2 * 65536).expect("two pages");
        memory[10] = 7;
        memory[65536 + 5] = 9;
        memory
            .reset(2 * 65536, 65536, None)
            .expect("same size, one page kept");
        assert_eq!(memory.len(), 2 * 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory[3] = 1;
        memory.reset(65536, 0, None).expect("smaller");
        assert_eq!(memory.len(), 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory[3] = 1;
        memory
            .reset(3 * 65536, 1 << 20, None)
            .expect("larger, all kept");
        assert_eq!(memory.len(), 3 * 65536);
        assert!(memory.iter().all(|b| *b == 0));
        memory.reset(0, 0, None).expect("empty");
        assert!(memory.is_empty());
        memory.reset(65536, 0, None).expect("from empty");
        assert!(memory.iter().all(|b| *b == 0));
    }
}
