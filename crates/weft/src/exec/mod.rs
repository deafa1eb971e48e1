//! The interpreter: runs Weft's register bytecode ([`crate::ir`]).
//!
//! # Shape
//!
//! [`invoke`] runs one call from the host. It takes a [`Stack`] (the store's cached one, or
//! a fresh one when a host function re-enters wasm) holding:
//!
//! - `cells`: one contiguous value stack of `u64` cells. Each wasm frame is a window of it
//!   (params, locals, temporaries; see [`crate::ir`]); a callee's frame starts at the
//!   caller's argument slots, so arguments and results are never copied.
//! - `frames`: the call stack of wasm frames (code, instruction index, frame pointer,
//!   instance). Wasm-to-wasm calls push a frame and continue in the same loop: they never
//!   recurse on the host stack. A tail call (`return_call`, `return_call_indirect`)
//!   replaces the top frame instead (`replace_frame`), so that a chain of tail calls uses
//!   one frame; a tail call of a host function pops the frame and lets the driver call the
//!   host function in its place.
//!
//! Execution is *threaded* ([`dispatch`]): each instruction carries a pointer to the
//! function that executes it, and each such handler hands over to the next one, with the
//! instruction pointer, the frame's cells and memory 0's base and length in machine
//! registers. The dispatcher borrows the store's `T`-independent [`StoreInner`] for its whole
//! run; whatever needs the full store (host calls, resource-limited `memory.grow` /
//! `table.grow`, the epoch deadline callback) makes it stop with an [`Exit`] for the driver
//! in [`invoke`], which performs the operation with the [`ExecContext`] (no borrow of the
//! store is held across it) and resumes execution.
//!
//! # Limits
//!
//! A run's frames are charged 8 bytes per cell of the value stack they span (a callee's
//! frame starts at its arguments in its caller's, so shared cells count once) plus 64 bytes
//! per frame against `Config::max_wasm_stack`, on top of what the runs it is nested in use
//! (`StoreInner::stack_used`, updated whenever a run stops); the value and frame stacks grow
//! fallibly, so that a limit larger than the host's memory also ends in a trap. Host→wasm
//! re-entrance is bounded by [`MAX_NESTING`] levels per store, by
//! [`MAX_REENTRANT_HOST_STACK`] of host stack per thread (counted from the thread's outermost
//! entry, whichever store it was in, so that alternating stores cannot restart the count),
//! and by the host stack really left on the thread ([`HOST_STACK_RESERVE`]). All trap with
//! `StackOverflow`. An [`Entry`] guard undoes each entry's nesting, stack charge and thread
//! count however the call ends, panics unwinding from host code included, so a store whose
//! embedder caught a panic is as usable as before.
//!
//! # Safety
//!
//! Frames keep a raw pointer to their [`CompiledFunc`], which lives inside a `Module` held
//! by an instance of the store; instances are never removed and compiled code never moves or
//! changes, so the pointer stays valid while the store exists (see `Frame::code`).
#![allow(unsafe_code)]

mod dispatch;
pub(crate) mod simd;
pub(crate) mod wasm;

use dispatch::run;
pub(crate) use dispatch::{Op, thread};

use crate::error::{Error, Result};
use crate::index::{
    DefinedFuncIdx, FuncIdx, HostFuncIdx, InstanceIdx, MemoryIdx, StoreFuncIdx, StoreMemoryIdx,
    StoreTableIdx,
};
use crate::ir::{CompiledFunc, FRAME_OVERHEAD, Instr, Slot};
use crate::store::{ExecContext, FuncEntity, StoreInner};
use crate::trap::{FrameInfo, Trap, TrapCode, WasmBacktrace};

/// How deeply host functions may re-enter wasm in one store before `StackOverflow`.
pub(crate) const MAX_NESTING: u32 = 1000;

/// How much host stack nested host→wasm re-entrance may use on one thread, measured from
/// the outermost `invoke` running on it (in any store), before `StackOverflow`. Each level
/// costs about 0.75 KiB in optimized builds and 3 KiB in debug builds, where [`MAX_NESTING`]
/// levels would overflow a 2 MiB thread stack.
const MAX_REENTRANT_HOST_STACK: usize = 1024 * 1024;

/// The host stack that must be left on the calling thread for a nested `invoke` (one made
/// while another is running on the thread) to enter wasm; with less, it traps with
/// `StackOverflow`. It covers what Weft uses until the next call into wasm or the return (at
/// most about 40 KiB, in a debug build translating a function lazily and building a trap)
/// and leaves the rest to the host functions in between. `Config::max_wasm_stack` documents
/// it with the stack a thread needs.
const HOST_STACK_RESERVE: usize = 128 * 1024;

/// The host→wasm entries active on this thread, in all stores.
#[derive(Clone, Copy)]
struct ThreadEntries {
    /// How many `invoke`s are running.
    active: u32,
    /// An address on the host stack in the outermost of them (valid when `active > 0`).
    outermost: usize,
}

std::thread_local! {
    /// This thread's host→wasm entries; `invoke` counts itself in and its [`Entry`] out.
    static THREAD_ENTRIES: core::cell::Cell<ThreadEntries> =
        const { core::cell::Cell::new(ThreadEntries { active: 0, outermost: 0 }) };
}

/// An address on the host stack at the current depth.
#[inline(always)]
fn stack_address() -> usize {
    let marker = 0u8;
    core::hint::black_box(&marker) as *const u8 as usize
}

/// Whether there is host stack enough to enter wasm here, given this thread's `entries`.
///
/// Only a nested entry is checked: recursion through host functions always nests, and the
/// outermost entry on a thread is spared the look-up of the thread's stack bounds (about
/// 2 ns, a tenth of a host→wasm call of an empty function).
#[inline]
fn host_stack_suffices(entries: ThreadEntries, here: usize) -> bool {
    if entries.active == 0 {
        return true;
    }
    if entries.outermost.abs_diff(here) > MAX_REENTRANT_HOST_STACK {
        return false;
    }
    // `None` where the thread's stack bounds are unknown, and 0 when this is not the stack
    // they describe (a coroutine's, below it): the share above still bounds the stack used.
    match stacker::remaining_stack() {
        Some(left) if left > 0 => left >= HOST_STACK_RESERVE,
        _ => true,
    }
}

/// A value stack and call stack, reused between calls.
#[derive(Debug, Default)]
pub(crate) struct Stack {
    cells: Vec<u64>,
    frames: Vec<Frame>,
}

// SAFETY: the only non-`Send` part of a `Stack` is the `*const CompiledFunc` of its frames.
// `CompiledFunc` is immutable and `Sync`, and frames are only dereferenced by `run` while
// the owning store is exclusively borrowed, on whichever thread holds the store.
unsafe impl Send for Stack {}

/// One active wasm function.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// The function's code, inside the `Module` of instance `instance`.
    func: *const CompiledFunc,
    /// The next instruction to execute (when the frame is not the running one).
    ip: *const Op,
    /// Index of the frame's slot 0 in `Stack::cells`.
    fp: usize,
    /// Store index of the instance the function belongs to.
    instance: InstanceIdx,
    /// The function's index among its module's defined functions (for backtraces).
    defined: DefinedFuncIdx,
}

impl Frame {
    /// The frame's compiled code.
    fn code(&self) -> &CompiledFunc {
        // SAFETY: `func` was obtained from `ModuleInner::compiled` of the `Module` held by
        // `StoreInner::instances[instance]`. Instances are never removed from a store, the
        // `Module`'s `Arc` keeps `ModuleInner` at a fixed address, and its `OnceLock`ed
        // `CompiledFunc` is never mutated or dropped while the module lives. Frames only
        // exist during `invoke`, while the store is borrowed, so the store (and thus the
        // module) outlives every use of this reference.
        unsafe { &*self.func }
    }
}

/// Why execution stopped.
enum Exit {
    /// The entry frame returned; results are in `cells[0..]`.
    Return,
    /// Call host function `host` with the cells `base..base + len`.
    Host {
        host: HostFuncIdx,
        instance: InstanceIdx,
        base: usize,
        len: usize,
    },
    /// `memory.grow` of store memory `memory`, a 64-bit one if `wide` (an `i64` result);
    /// the result goes to `cells[dst]`.
    MemoryGrow {
        memory: StoreMemoryIdx,
        wide: bool,
        delta: u64,
        dst: usize,
    },
    /// `table.grow` of store table `table`, a 64-bit one if `wide` (an `i64` result); the
    /// result goes to `cells[dst]`.
    TableGrow {
        table: StoreTableIdx,
        wide: bool,
        delta: u64,
        init: u64,
        dst: usize,
    },
    /// The epoch deadline was reached.
    Epoch,
    /// A trap.
    Trap(TrapCode),
    /// A failure that is not a trap (lazy translation failed).
    Error(Error),
}

impl From<TrapCode> for Exit {
    fn from(code: TrapCode) -> Self {
        Exit::Trap(code)
    }
}

/// Calls store function `func`; `args_results` holds the arguments on entry and the results
/// on return (its length is the larger of the two counts).
pub(crate) fn invoke(
    ctx: &mut dyn ExecContext,
    func: StoreFuncIdx,
    args_results: &mut [u64],
) -> Result<()> {
    let inner = ctx.inner();
    let (instance, index) = match inner.funcs.get(func) {
        Some(FuncEntity::Host { host, .. }) => {
            let host = *host;
            return ctx.call_host(host, None, args_results);
        }
        Some(FuncEntity::Wasm {
            instance, index, ..
        }) => (*instance, *index),
        None => return Err(TrapCode::InternalError.into()),
    };
    let here = stack_address();
    let entries = THREAD_ENTRIES.get();
    if inner.nesting >= MAX_NESTING || !host_stack_suffices(entries, here) {
        return Err(TrapCode::StackOverflow.into());
    }
    let outermost = if entries.active == 0 {
        here
    } else {
        entries.outermost
    };
    THREAD_ENTRIES.set(ThreadEntries {
        active: entries.active + 1,
        outermost,
    });
    inner.nesting += 1;
    let saved_stack_used = inner.stack_used;
    let mut stack = inner.stack_cache.take().unwrap_or_default();
    stack.cells.clear();
    stack.frames.clear();

    let result = {
        let saved_suspended = ctx.inner().suspended.len();
        let entry = Entry {
            ctx: &mut *ctx,
            saved_stack_used,
            saved_entries: entries,
            saved_suspended,
        };
        execute(&mut *entry.ctx, &mut stack, instance, index, args_results)
    };

    // A panic leaves the stack to be dropped, and the next entry allocates a new one.
    stack.frames.clear();
    let inner = ctx.inner();
    if inner.stack_cache.is_none() {
        inner.stack_cache = Some(stack);
    }
    result
}

/// One host→wasm entry in a store: undoes what `invoke` changed for it when dropped, after
/// a return, a trap or a panic unwinding from a host function, the epoch deadline callback
/// or the resource limiter. Otherwise a caught panic would leave the store's nesting count
/// and stack charge raised for good, until every call trapped.
struct Entry<'a> {
    ctx: &'a mut dyn ExecContext,
    /// `StoreInner::stack_used` before the entry.
    saved_stack_used: usize,
    /// This thread's entries before the entry.
    saved_entries: ThreadEntries,
    /// `StoreInner::suspended`'s length before the entry: a panic out of a host function
    /// leaves the frames of the run it was called from there, and they go with the run.
    saved_suspended: usize,
}

impl Drop for Entry<'_> {
    #[inline]
    fn drop(&mut self) {
        THREAD_ENTRIES.set(self.saved_entries);
        let inner = self.ctx.inner();
        // At least this entry's level is counted.
        inner.nesting -= 1;
        inner.stack_used = self.saved_stack_used;
        inner.suspended.truncate(self.saved_suspended);
    }
}

/// Runs wasm function `index` (module function index) of store instance `instance`.
fn execute(
    ctx: &mut dyn ExecContext,
    stack: &mut Stack,
    instance: InstanceIdx,
    index: FuncIdx,
    args_results: &mut [u64],
) -> Result<()> {
    stack.cells.extend_from_slice(args_results);
    let inner = ctx.inner();
    // What the runs this one is nested in use; this run's frames come on top.
    let outer_used = inner.stack_used;
    let budget = inner
        .engine
        .config()
        .max_wasm_stack
        .saturating_sub(outer_used);
    if let Err(exit) = push_frame(stack, inner, instance, index, 0, budget) {
        return Err(exit_error(ctx, stack, *exit));
    }
    loop {
        let exit = run(ctx.inner(), stack);
        // Whatever the driver does next (a host call may call wasm again) happens on top of
        // this run's frames.
        ctx.inner().stack_used = outer_used.saturating_add(stack_usage(stack));
        match exit {
            Exit::Return => {
                copy_results(stack, args_results);
                return Ok(());
            }
            Exit::Host {
                host,
                instance,
                base,
                len,
            } => {
                let end = base + len;
                if let Err(exit) = grow_cells(stack, end) {
                    return Err(exit_error(ctx, stack, exit));
                }
                // A host function tail-called from a frame that is gone uses cells past its
                // caller's frame: they count as well.
                let used = outer_used.saturating_add(stack_bytes(end, stack.frames.len()));
                let inner = ctx.inner();
                inner.stack_used = inner.stack_used.max(used);
                let Some((below, rest)) = stack.cells.split_at_mut_checked(base) else {
                    return Err(TrapCode::InternalError.into());
                };
                let Some((host_cells, above)) = rest.split_at_mut_checked(len) else {
                    return Err(TrapCode::InternalError.into());
                };
                ctx.inner().suspended.push(SuspendedFrames {
                    frames: stack.frames.as_ptr(),
                    len: stack.frames.len(),
                    below: (below.as_ptr(), below.len()),
                    above: (above.as_ptr(), above.len()),
                });
                let result = ctx.call_host(host, Some(instance), host_cells);
                ctx.inner().suspended.pop();
                if let Err(error) = result {
                    return Err(with_backtrace(ctx, stack, error));
                }
                // The entry frame tail-called the host function: its results are the run's,
                // in `cells[0..]` (the entry frame's slot 0 is cell 0).
                if stack.frames.is_empty() {
                    copy_results(stack, args_results);
                    return Ok(());
                }
            }
            Exit::MemoryGrow {
                memory,
                wide,
                delta,
                dst,
            } => {
                let result = ctx.grow_memory(memory, delta)?;
                set_cell(stack, dst, grow_result(result, wide))?;
            }
            Exit::TableGrow {
                table,
                wide,
                delta,
                init,
                dst,
            } => {
                let result = ctx.grow_table(table, delta, init)?;
                set_cell(stack, dst, grow_result(result, wide))?;
            }
            Exit::Epoch => {
                if let Err(error) = ctx.epoch_deadline_reached() {
                    return Err(with_backtrace(ctx, stack, error));
                }
            }
            exit @ (Exit::Trap(_) | Exit::Error(_)) => return Err(exit_error(ctx, stack, exit)),
        }
    }
}

/// Copies the entry frame's results, from `cells[0..]`, to `results`.
fn copy_results(stack: &Stack, results: &mut [u64]) {
    let n = results.len().min(stack.cells.len());
    results[..n].copy_from_slice(&stack.cells[..n]);
}

/// The cell of a `memory.grow`'s or `table.grow`'s result: the old size, or -1 if the
/// growth failed, as an `i64` if `wide` (a 64-bit memory or table) and an `i32` otherwise.
fn grow_result(old_size: Option<u64>, wide: bool) -> u64 {
    match old_size {
        Some(old) if wide => old,
        Some(old) => u64::from(old as u32),
        None if wide => u64::MAX,
        None => u64::from(u32::MAX),
    }
}

fn set_cell(stack: &mut Stack, index: usize, value: u64) -> Result<()> {
    match stack.cells.get_mut(index) {
        Some(cell) => {
            *cell = value;
            Ok(())
        }
        None => Err(TrapCode::InternalError.into()),
    }
}

/// The most frames a trap's backtrace holds: every frame the default
/// `Config::max_wasm_stack` admits (at most 8,192), while a stack of the largest limit
/// (millions of frames) does not make the backtrace outgrow the stack itself. A deeper stack
/// keeps its innermost frames and its `WasmBacktrace::SHOWN_OUTERMOST` outermost ones.
const MAX_BACKTRACE_FRAMES: usize = 10_000;

/// Turns a trap or error exit into the `Error` returned to the host, with a backtrace.
#[cold]
fn exit_error(ctx: &mut dyn ExecContext, stack: &Stack, exit: Exit) -> Error {
    let code = match exit {
        Exit::Trap(code) => code,
        Exit::Error(error) => return error,
        _ => TrapCode::InternalError,
    };
    with_backtrace(ctx, stack, Error::new(code))
}

/// Gives a trap (raised by the interpreter, an epoch deadline or a host function) the wasm
/// backtrace of `stack` as a [`WasmBacktrace`] context, unless it has one; other errors pass
/// unchanged.
#[cold]
fn with_backtrace(ctx: &mut dyn ExecContext, stack: &Stack, error: Error) -> Error {
    if error.downcast_ref::<Trap>().is_none() || error.downcast_ref::<WasmBacktrace>().is_some() {
        return error;
    }
    match backtrace(ctx, stack) {
        Some(backtrace) => error.context(backtrace),
        None => error,
    }
}

/// The frames of a run stopped in a call to a host function, which
/// [`WasmBacktrace::capture`] reads while the host function runs: `len` frames from `frames`,
/// the start of the run's `Stack::frames`.
///
/// The run pushes one onto `StoreInner::suspended` right before the host call and pops it
/// right after; a panic out of the host function truncates the list when the run's `Entry`
/// is dropped, before its `Stack` is. So an entry of the list is always the frames of a run
/// that is suspended in a host call, and those are not written until the call returns: the
/// run's `Stack` is a local of `invoke` (not moved while the host function runs), nested runs
/// take another `Stack`, and the run touches its frames only after the call.
///
/// The same holds for the run's value cells below and above the host call's arguments
/// (`below`, `above`: pointer and length), which the externref collector scans
/// conservatively (`scan_suspended`): they are split off the cells with `split_at_mut`
/// next to the arguments the host function gets, so the three never overlap.
pub(crate) struct SuspendedFrames {
    frames: *const Frame,
    len: usize,
    below: (*const u64, usize),
    above: (*const u64, usize),
}

/// Calls `mark` with every value cell of the runs in `suspended` other than the arguments
/// and results of the host calls they are suspended in: the conservative roots of the
/// externref collector (`gc::collect`).
pub(crate) fn scan_suspended(suspended: &[SuspendedFrames], mark: &mut dyn FnMut(u64)) {
    for run in suspended {
        for (cells, len) in [run.below, run.above] {
            // SAFETY: `SuspendedFrames` (above): the run is suspended in a host call, so
            // these cells are live, are not the host call's arguments, and are not written
            // until the call returns.
            let cells = unsafe { core::slice::from_raw_parts(cells, len) };
            cells.iter().for_each(|&cell| mark(cell));
        }
    }
}

// SAFETY: as for `Stack`: the frames are read only while the store that lists them is
// borrowed, on whichever thread holds it, and a `Frame`'s pointers are not dereferenced here.
unsafe impl Send for SuspendedFrames {}

/// The wasm frames of every run of the store suspended in a host call, innermost first: the
/// backtrace of a host function that wasm called ([`WasmBacktrace::capture`]). At most
/// [`MAX_BACKTRACE_FRAMES`] of the innermost frames are kept; the others are counted as
/// omitted.
pub(crate) fn capture_backtrace(inner: &StoreInner) -> WasmBacktrace {
    let frames = inner.suspended.iter().rev().flat_map(|run| {
        // SAFETY: `SuspendedFrames` (above): the run is suspended in a host call, so its
        // `len` frames from `frames` are live and unchanged while `inner` is borrowed.
        let frames = unsafe { core::slice::from_raw_parts(run.frames, run.len) };
        frames.iter().rev()
    });
    let depth: usize = inner.suspended.iter().map(|run| run.len).sum();
    let kept = frames
        .take(MAX_BACKTRACE_FRAMES)
        .map(|frame| frame_info(inner, frame))
        .collect();
    WasmBacktrace::new(kept, depth.saturating_sub(MAX_BACKTRACE_FRAMES))
}

/// What a backtrace says of `frame`.
fn frame_info(inner: &StoreInner, frame: &Frame) -> FrameInfo {
    let info = inner
        .instances
        .get(frame.instance)
        .map(|i| &i.module.inner.info);
    let func_index = frame
        .defined
        .func_idx(info.map_or(0, |info| info.num_imported_funcs))
        .as_u32();
    FrameInfo {
        module_name: info.and_then(|info| info.name.clone()),
        func_index,
        func_name: info.and_then(|info| info.func_names.get(&func_index).cloned()),
    }
}

/// The wasm frames of `stack`, innermost first; a stack deeper than
/// [`MAX_BACKTRACE_FRAMES`] keeps its innermost frames and its
/// `WasmBacktrace::SHOWN_OUTERMOST` outermost ones. `None` if backtraces are off or there
/// are no frames.
fn backtrace(ctx: &mut dyn ExecContext, stack: &Stack) -> Option<WasmBacktrace> {
    let inner = ctx.inner();
    if !inner.engine.config().wasm_backtrace || stack.frames.is_empty() {
        return None;
    }
    let frame_info = |frame: &Frame| frame_info(inner, frame);
    let depth = stack.frames.len();
    if depth <= MAX_BACKTRACE_FRAMES {
        let frames = stack.frames.iter().rev().map(frame_info).collect();
        return Some(WasmBacktrace::new(frames, 0));
    }
    let outermost = WasmBacktrace::SHOWN_OUTERMOST;
    let innermost = stack
        .frames
        .iter()
        .rev()
        .take(MAX_BACKTRACE_FRAMES - outermost);
    let frames = innermost
        .chain(stack.frames.iter().take(outermost).rev())
        .map(frame_info)
        .collect();
    Some(WasmBacktrace::new(frames, depth - MAX_BACKTRACE_FRAMES))
}

/// The bytes charged against `Config::max_wasm_stack` for a run whose frames end at cell
/// `end` and are `depth` deep: 8 per cell (a callee's frame starts at its arguments in its
/// caller's, so shared cells count once) and [`FRAME_OVERHEAD`] per frame.
///
/// No overflow: callers pass an `end` at most one frame's slots (65,536) past the allocated
/// value stack and a `depth` one past the allocated frame stack, so both products are
/// bounded by the bytes the process holds. (This is on the path of every call.)
#[inline(always)]
fn stack_bytes(end: usize, depth: usize) -> usize {
    end * 8 + depth * FRAME_OVERHEAD
}

/// Pushes a frame for function `func_index` (module index space, a defined function) of
/// store instance `instance`, starting at cell `fp` where its arguments already are;
/// `budget` is what the run may use of `Config::max_wasm_stack` (see [`stack_bytes`]).
///
/// The error is boxed so that the result fits in a register: the call handlers must not
/// keep a stack slot for it, or their call of the next handler could not be a jump.
fn push_frame(
    stack: &mut Stack,
    inner: &StoreInner,
    instance: InstanceIdx,
    func_index: FuncIdx,
    fp: usize,
    budget: usize,
) -> core::result::Result<(), Box<Exit>> {
    let internal = || Box::new(Exit::Trap(TrapCode::InternalError));
    let entity = inner.instances.get(instance).ok_or_else(internal)?;
    let module = &entity.module.inner;
    let defined = func_index
        .defined(module.info.num_imported_funcs)
        .ok_or_else(internal)?;
    let compiled = module
        .compiled(defined)
        .map_err(|error| Box::new(Exit::Error(error)))?;
    let num_slots = compiled.num_slots as usize;
    let end = fp + num_slots;
    if stack_bytes(end, stack.frames.len() + 1) > budget {
        return Err(Box::new(Exit::Trap(TrapCode::StackOverflow)));
    }
    grow_cells(stack, end).map_err(Box::new)?;
    if stack.frames.len() == stack.frames.capacity() {
        stack
            .frames
            .try_reserve(1)
            .map_err(|_| Box::new(Exit::Trap(TrapCode::StackOverflow)))?;
    }
    stack.frames.push(Frame {
        func: compiled,
        ip: compiled.code.as_ptr(),
        fp,
        instance,
        defined,
    });
    Ok(())
}

/// Replaces the top frame of `stack` (the caller of a tail call) with a frame for function
/// `func_index` (module index space, a defined function) of store instance `instance`, at
/// the same frame pointer, after moving the callee's arguments from the caller's slot `base`
/// on down to its slot 0; `budget` is as for [`push_frame`].
///
/// On an error nothing has changed: the trap's backtrace still shows the caller.
fn replace_frame(
    stack: &mut Stack,
    inner: &StoreInner,
    instance: InstanceIdx,
    func_index: FuncIdx,
    base: Slot,
    budget: usize,
) -> core::result::Result<(), Box<Exit>> {
    let internal = || Box::new(Exit::Trap(TrapCode::InternalError));
    let fp = stack.frames.last().ok_or_else(internal)?.fp;
    let entity = inner.instances.get(instance).ok_or_else(internal)?;
    let module = &entity.module.inner;
    let defined = func_index
        .defined(module.info.num_imported_funcs)
        .ok_or_else(internal)?;
    let compiled = module
        .compiled(defined)
        .map_err(|error| Box::new(Exit::Error(error)))?;
    let end = fp + compiled.num_slots as usize;
    if stack_bytes(end, stack.frames.len()) > budget {
        return Err(Box::new(Exit::Trap(TrapCode::StackOverflow)));
    }
    grow_cells(stack, end).map_err(Box::new)?;
    move_args(stack, fp, base, compiled.num_params as usize).map_err(Box::new)?;
    let top = stack.frames.last_mut().ok_or_else(internal)?;
    *top = Frame {
        func: compiled,
        ip: compiled.code.as_ptr(),
        fp,
        instance,
        defined,
    };
    Ok(())
}

/// Moves the `count` cells of a tail call's arguments, from slot `base` of the frame at
/// cell `fp` down to its slot 0.
#[inline]
fn move_args(
    stack: &mut Stack,
    fp: usize,
    base: Slot,
    count: usize,
) -> core::result::Result<(), Exit> {
    let src = fp + base.index();
    if src + count > stack.cells.len() {
        return Err(Exit::Trap(TrapCode::InternalError));
    }
    stack.cells.copy_within(src..src + count, fp);
    Ok(())
}

/// Makes the value stack hold at least `end` cells, new ones zero. `Config::max_wasm_stack`
/// may admit more than the host can allocate (it goes up to 256 MiB), so running out of
/// memory here is the guest's stack overflowing, not a reason to abort.
fn grow_cells(stack: &mut Stack, end: usize) -> core::result::Result<(), Exit> {
    let len = stack.cells.len();
    if len < end {
        stack
            .cells
            .try_reserve(end - len)
            .map_err(|_| Exit::Trap(TrapCode::StackOverflow))?;
        stack.cells.resize(end, 0);
    }
    Ok(())
}

/// The bytes the frames of `stack` use (see [`stack_bytes`]).
fn stack_usage(stack: &Stack) -> usize {
    let end = stack
        .frames
        .last()
        .map_or(0, |top| top.fp + top.code().num_slots as usize);
    stack_bytes(end, stack.frames.len())
}

/// The base and length of memory 0 of store instance `instance` (empty if it has none).
#[inline]
fn memory_view(inner: &mut StoreInner, instance: InstanceIdx) -> (*mut u8, usize) {
    match instance_memory(inner, instance, MemoryIdx::ZERO) {
        Some(memory) => (memory.as_mut_ptr(), memory.len()),
        None => (core::ptr::NonNull::<u8>::dangling().as_ptr(), 0),
    }
}

/// The bytes of memory `memory` of store instance `instance`, if it has that memory.
#[inline]
fn instance_memory(
    inner: &mut StoreInner,
    instance: InstanceIdx,
    memory: MemoryIdx,
) -> Option<&mut crate::linear_memory::LinearMemory> {
    Some(&mut instance_memory_entity(inner, instance, memory)?.data)
}

/// Memory `memory` of store instance `instance`, with its type.
#[inline]
fn instance_memory_entity(
    inner: &mut StoreInner,
    instance: InstanceIdx,
    memory: MemoryIdx,
) -> Option<&mut crate::store::MemoryEntity> {
    let memory = *inner.instances.get(instance)?.memories.get(memory)?;
    inner.memories.get_mut(memory)
}

use crate::store::range;

/// An index, length or delta operand of a table instruction: the whole cell for a 64-bit
/// table (table64), its low 32 bits (an `i32`) for a 32-bit one.
#[inline]
pub(crate) fn table_operand(raw: u64, table64: bool) -> u64 {
    if table64 { raw } else { u64::from(raw as u32) }
}

/// The rarely executed, bulky instructions, kept out of the handlers so that they do not
/// weigh on their register allocation. `cells` is the current frame.
#[inline(never)]
#[cold]
fn cold_op(
    inner: &mut StoreInner,
    instance: InstanceIdx,
    cells: &mut [u64],
    instr: &Instr,
) -> core::result::Result<(), Exit> {
    let trap_internal = || Exit::Trap(TrapCode::InternalError);
    macro_rules! get {
        ($slot:expr) => {
            *cells.get(Slot::index($slot)).ok_or_else(trap_internal)?
        };
    }
    macro_rules! set {
        ($slot:expr, $value:expr) => {{
            let value: u64 = $value;
            *cells
                .get_mut(Slot::index($slot))
                .ok_or_else(trap_internal)? = value;
        }};
    }
    macro_rules! instance {
        () => {
            inner.instances.get(instance).ok_or_else(trap_internal)?
        };
    }
    macro_rules! store_memory {
        ($memory:expr) => {
            *instance!()
                .memories
                .get($memory)
                .ok_or_else(trap_internal)?
        };
    }
    // An address or length operand of memory `$memory`: the whole cell for a 64-bit
    // memory, an `i32` for a 32-bit one.
    macro_rules! operand {
        ($slot:expr, $memory:expr) => {{
            let memory: StoreMemoryIdx = $memory;
            let cell = get!($slot);
            let wide = inner.memories.get(memory).is_some_and(|m| m.ty.is_64());
            if wide { cell } else { u64::from(cell as u32) }
        }};
    }
    macro_rules! memory {
        ($memory:expr) => {{
            let memory: StoreMemoryIdx = $memory;
            &mut inner
                .memories
                .get_mut(memory)
                .ok_or_else(trap_internal)?
                .data
        }};
    }
    // The caller re-derives its memory view afterwards.
    match *instr {
        Instr::CopySpan { dst, src, count } => {
            let (dst, src) = (dst.index(), src.index());
            let end = src + usize::from(count);
            if dst + usize::from(count) > cells.len() || end > cells.len() {
                return Err(trap_internal());
            }
            cells.copy_within(src..end, dst);
        }
        Instr::MemoryFill {
            memory,
            dst_addr,
            value,
            len,
        } => {
            let memory = store_memory!(memory);
            let start = operand!(dst_addr, memory);
            let byte = get!(value) as u8;
            let len = operand!(len, memory);
            let mem = memory!(memory);
            let range = range(start, len, mem.len(), TrapCode::MemoryOutOfBounds)?;
            mem.get_mut(range).ok_or_else(trap_internal)?.fill(byte);
        }
        Instr::MemoryCopy {
            dst_memory,
            src_memory,
            dst_addr,
            src_addr,
            len,
        } => {
            let dst_memory = store_memory!(dst_memory);
            let src_memory = store_memory!(src_memory);
            let dst = operand!(dst_addr, dst_memory);
            let src = operand!(src_addr, src_memory);
            // The length is an `i64` only between two 64-bit memories.
            let len = operand!(len, dst_memory).min(operand!(len, src_memory));
            if dst_memory == src_memory {
                let mem = memory!(dst_memory);
                let src = range(src, len, mem.len(), TrapCode::MemoryOutOfBounds)?;
                let dst = range(dst, len, mem.len(), TrapCode::MemoryOutOfBounds)?;
                mem.copy_within(src, dst.start);
            } else {
                let [dst_mem, src_mem] = inner
                    .memories
                    .as_mut_slice()
                    .get_disjoint_mut([dst_memory.index(), src_memory.index()])
                    .map_err(|_| trap_internal())?;
                let src = range(src, len, src_mem.data.len(), TrapCode::MemoryOutOfBounds)?;
                let dst = range(dst, len, dst_mem.data.len(), TrapCode::MemoryOutOfBounds)?;
                let src = src_mem.data.get(src).ok_or_else(trap_internal)?;
                dst_mem
                    .data
                    .get_mut(dst)
                    .ok_or_else(trap_internal)?
                    .copy_from_slice(src);
            }
        }
        Instr::MemoryInit {
            memory,
            data,
            dst_addr,
            src_offset,
            len,
        } => {
            let dst = operand!(dst_addr, store_memory!(memory));
            let src = u64::from(get!(src_offset) as u32);
            let len = u64::from(get!(len) as u32);
            inner.memory_init(instance, memory, data, dst, src, len)?;
        }
        Instr::DataDrop { data } => {
            let instance = inner
                .instances
                .get_mut(instance)
                .ok_or_else(trap_internal)?;
            *instance
                .datas_dropped
                .get_mut(data)
                .ok_or_else(trap_internal)? = true;
        }
        Instr::TableGet { dst, table, index } => {
            let table = *instance!().tables.get(table).ok_or_else(trap_internal)?;
            let table = inner.tables.get(table).ok_or_else(trap_internal)?;
            let index = table_operand(get!(index), table.ty.is_64());
            let value = *usize::try_from(index)
                .ok()
                .and_then(|index| table.elements.get(index))
                .ok_or(Exit::Trap(TrapCode::TableOutOfBounds))?;
            set!(dst, value);
        }
        Instr::TableSet {
            table,
            index,
            value,
        } => {
            let value = get!(value);
            let table = *instance!().tables.get(table).ok_or_else(trap_internal)?;
            let table = inner.tables.get_mut(table).ok_or_else(trap_internal)?;
            let index = table_operand(get!(index), table.ty.is_64());
            *usize::try_from(index)
                .ok()
                .and_then(|index| table.elements.get_mut(index))
                .ok_or(Exit::Trap(TrapCode::TableOutOfBounds))? = value;
        }
        Instr::TableSize { dst, table } => {
            let table = *instance!().tables.get(table).ok_or_else(trap_internal)?;
            let table = inner.tables.get(table).ok_or_else(trap_internal)?;
            set!(dst, table.elements.len() as u64);
        }
        Instr::TableFill {
            table,
            index,
            value,
            len,
        } => {
            let value = get!(value);
            let table = *instance!().tables.get(table).ok_or_else(trap_internal)?;
            let table = inner.tables.get_mut(table).ok_or_else(trap_internal)?;
            let wide = table.ty.is_64();
            let start = table_operand(get!(index), wide);
            let len = table_operand(get!(len), wide);
            let range = range(start, len, table.elements.len(), TrapCode::TableOutOfBounds)?;
            table
                .elements
                .get_mut(range)
                .ok_or_else(trap_internal)?
                .fill(value);
        }
        Instr::TableCopy {
            dst_table,
            src_table,
            dst_index,
            src_index,
            len,
        } => {
            let instance = instance!();
            let dst_table = *instance.tables.get(dst_table).ok_or_else(trap_internal)?;
            let src_table = *instance.tables.get(src_table).ok_or_else(trap_internal)?;
            let src_entity = inner.tables.get(src_table).ok_or_else(trap_internal)?;
            let (src_len, src_wide) = (src_entity.elements.len(), src_entity.ty.is_64());
            let dst_entity = inner.tables.get(dst_table).ok_or_else(trap_internal)?;
            let (dst_len, dst_wide) = (dst_entity.elements.len(), dst_entity.ty.is_64());
            // Each index has its table's address type; the length the narrower of the two.
            let dst = table_operand(get!(dst_index), dst_wide);
            let src = table_operand(get!(src_index), src_wide);
            let len = table_operand(get!(len), dst_wide && src_wide);
            let src = range(src, len, src_len, TrapCode::TableOutOfBounds)?;
            let dst = range(dst, len, dst_len, TrapCode::TableOutOfBounds)?;
            if dst_table == src_table {
                let table = inner.tables.get_mut(dst_table).ok_or_else(trap_internal)?;
                table.elements.copy_within(src, dst.start);
            } else {
                let values = inner
                    .tables
                    .get(src_table)
                    .and_then(|table| table.elements.get(src))
                    .ok_or_else(trap_internal)?
                    .to_vec();
                let table = inner.tables.get_mut(dst_table).ok_or_else(trap_internal)?;
                table
                    .elements
                    .get_mut(dst)
                    .ok_or_else(trap_internal)?
                    .copy_from_slice(&values);
            }
        }
        Instr::TableInit {
            table,
            elem,
            dst_index,
            src_offset,
            len,
        } => {
            // The table index has the table's address type; the segment's offset and the
            // length are `i32`s.
            let wide = instance!()
                .tables
                .get(table)
                .and_then(|table| inner.tables.get(*table))
                .is_some_and(|table| table.ty.is_64());
            let dst = table_operand(get!(dst_index), wide);
            let src = u64::from(get!(src_offset) as u32);
            let len = u64::from(get!(len) as u32);
            inner.table_init(instance, table, elem, dst, src, len)?;
        }
        Instr::ElemDrop { elem } => {
            let instance = inner
                .instances
                .get_mut(instance)
                .ok_or_else(trap_internal)?;
            *instance.elems.get_mut(elem).ok_or_else(trap_internal)? = Box::new([]);
        }
        Instr::RefFunc { dst, func } => {
            let func = *instance!().funcs.get(func).ok_or_else(trap_internal)?;
            set!(dst, u64::from(func.as_u32()) + 1);
        }
        _ => return Err(trap_internal()),
    }
    Ok(())
}

#[cfg(test)]
mod tests;
