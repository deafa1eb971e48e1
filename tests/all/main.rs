//! Weft's integration tests, as one binary.

// Tests state their expectations with `expect`: a failed one is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod component;
mod component_bindgen;
mod component_compose;
mod component_exports;
mod component_guests;
mod component_typed;
mod config;
mod custom_page_sizes;
mod dispatch;
mod function_references;
mod generated;
mod limits;
mod linker;
mod memory64;
mod multi_memory;
mod peer_bugs;
mod pooling;
mod precompiled;
mod simd;
mod table64;
mod tail_call;
mod wide_arithmetic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting what each thread has allocated (see [`peak_allocated`]).
struct Counting;

std::thread_local! {
    /// Bytes this thread has allocated and not freed (frees of other threads' blocks make it
    /// negative), and the most it reached since [`peak_allocated`] last reset it.
    static LIVE: Cell<(isize, isize)> = const { Cell::new((0, 0)) };
}

/// Adds `delta` bytes to this thread's live count.
fn count(delta: isize) {
    // `try_with`: nothing is counted while the thread's locals are torn down.
    let _ = LIVE.try_with(|live| {
        let (now, peak) = live.get();
        let now = now.wrapping_add(delta);
        live.set((now, peak.max(now)));
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments; counting only
// touches a thread-local `Cell` initialized without allocating.
#[expect(unsafe_code, reason = "a global allocator is an unsafe trait")]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is `GlobalAlloc::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: as `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract is `GlobalAlloc::dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract is `GlobalAlloc::realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes that this thread had allocated at
/// once during `f`, beyond what it had allocated before (allocations of other threads are
/// not counted).
pub fn peak_allocated<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let (before, _) = LIVE.with(Cell::get);
    LIVE.with(|live| live.set((before, before)));
    let result = f();
    let (_, peak) = LIVE.with(Cell::get);
    (result, peak.saturating_sub(before).max(0) as usize)
}
