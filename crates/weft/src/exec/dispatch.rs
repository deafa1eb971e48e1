//! Threaded dispatch: every instruction is paired with the function (its *handler*) that
//! executes it, and each handler ends by calling the handler of the next instruction.
//!
//! # Threaded code
//!
//! After translation, [`thread`] turns a function's [`Instr`]s into [`Op`]s: the instruction
//! together with a pointer to its handler. A handler reads its operands from its own `Op`
//! (it knows which variant it was paired with), performs the instruction and then
//! dispatches on the next `Op` (`ip + 1`, or a branch target).
//!
//! All handlers share one signature, [`Handler`]: the instruction pointer, the current
//! frame's cells (`regs`), memory 0's base and length, and the execution context [`Cx`].
//! The first four stay in machine registers from one instruction to the next.
//!
//! # Two ways to chain handlers
//!
//! - **Tail calls** (`cfg(weft_tail_dispatch)`, set by the build script in optimized
//!   builds): a handler ends with a call of the next handler in tail position, with the same
//!   signature, which LLVM compiles to a jump (a sibling call). Execution then never returns
//!   to the driver until it stops, and the host stack does not grow.
//! - **A trampoline** (unoptimized builds, where LLVM does not turn calls into jumps): a
//!   handler stores the next state in the context and returns [`Flow::Continue`]; [`run`]
//!   calls the next handler in a loop.
//!
//! Either way a handler stops execution by storing an [`Exit`] in [`Cx::exit`] and returning
//! [`Flow::Stop`].
//!
//! # Safety
//!
//! The handlers access slots, instructions and memory without bounds checks beyond the
//! explicit memory bounds check that WebAssembly requires. They rely on the invariants
//! listed in [`run`], which [`verify`](crate::ir::verify) and `push_frame` establish.
//!
//! With the cargo feature `extra-checks`, [`extra_checks`] re-checks those invariants at run
//! time, before every dispatch, and a violation panics with an internal-error message
//! instead of being undefined behaviour. Without the feature none of it is compiled.

use super::wasm::{self, Cell, Imm};
use super::{
    Exit, Frame, Stack, cold_op, instance_memory, instance_memory_entity, memory_view, move_args,
    push_frame, replace_frame, stack_bytes,
};
use crate::index::{
    FuncIdx, GlobalIdx, HostFuncIdx, InstanceIdx, MemoryIdx, StoreFuncIdx, StoreGlobalIdx,
    TableIdx, TypeIdx,
};
use crate::ir::{CompiledFunc, Instr, Slot, for_each_instr};
use crate::module::ModuleInner;
use crate::store::{FuncEntity, GlobalEntity, StoreInner};
use crate::trap::TrapCode;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Executes the instruction at `ip` and everything after it until execution stops.
///
/// Arguments: the instruction, the current frame's slot 0, memory 0's base, memory 0's length
/// in bytes, the execution context, and the *accumulator*: the result of the previous
/// instruction, when that instruction produces one (see [`thread`]).
pub(crate) type Handler = unsafe fn(*const Op, *mut u64, *mut u8, usize, &mut Cx<'_>, u64) -> Flow;

/// A threaded instruction: the handler that executes it, and its operands.
///
/// Padded to 32 bytes and aligned to them, so that no instruction straddles two cache lines
/// (with 24 bytes, one in eight did, and which ones depended on where the allocator put the
/// code: execution times moved by up to 15% between otherwise identical runs).
#[repr(C, align(32))]
pub(crate) struct Op {
    handler: Handler,
    /// The instruction (the handler's operands).
    pub(crate) instr: Instr,
    /// For a `CallInternal` or `ReturnCallInternal`: the callee's code once it has been
    /// called (null before), so that later calls need no look-up. It lives in the same
    /// `Module` as this `Op`.
    callee: AtomicPtr<CompiledFunc>,
}

// The typed operands (`Slot`, the module's index types) are `#[repr(transparent)]` over the
// integers they replace: an instruction stays 16 bytes and an `Op` 32.
const _: () = assert!(size_of::<Instr>() == 16 && size_of::<Op>() == 32);

impl core::fmt::Debug for Op {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.instr.fmt(f)
    }
}

/// What a handler tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Run the handler of the state saved in the context (trampoline mode only).
    #[cfg_attr(weft_tail_dispatch, allow(dead_code))]
    Continue,
    /// Execution stopped; the reason is in [`Cx::exit`].
    Stop,
}

/// The execution context shared by the handlers of one [`run`].
pub(crate) struct Cx<'a> {
    inner: &'a mut StoreInner,
    stack: &'a mut Stack,
    /// The store instance of the running function.
    instance: InstanceIdx,
    /// The index in `stack.cells` of the running frame's slot 0.
    fp: usize,
    /// The module of store instance `instance` (null if the instance does not exist). The
    /// `Module`'s `Arc` held by the instance keeps it alive and in place for the whole run
    /// (instances are never removed from a store).
    module: *const ModuleInner,
    /// What is left of `Config::max_wasm_stack` for this run's frames: the limit minus what
    /// the runs it is nested in use (`StoreInner::stack_used`).
    stack_budget: usize,
    /// The store indices of the globals of instance `instance` (its `globals`), and their
    /// number (empty if the instance does not exist).
    global_map: (*const StoreGlobalIdx, usize),
    /// The store's globals and their number. Globals are only added by instantiation, which
    /// cannot happen during a run, so the buffer stays in place.
    globals: (*mut GlobalEntity, usize),
    /// Why execution stopped (valid after [`Flow::Stop`]).
    exit: Exit,
    /// The state to resume with after [`Flow::Continue`].
    #[cfg(not(weft_tail_dispatch))]
    resume: (*const Op, *mut u64, *mut u8, usize, u64),
}

/// Pairs every instruction with its handler.
///
/// The handler of an instruction that produces a value passes it on to the next handler as
/// the accumulator, and so does the return from a call of a function of the same module
/// (the value of the call's first result slot). An instruction that directly follows such
/// an instruction, and that no branch targets (so that it is only ever reached from it),
/// gets a handler that reads that slot from the accumulator, sparing a load that would
/// wait for the store. (A data-flow analysis that also carries the accumulator across
/// branches, to loop heads for instance, measured no faster and made translation slower.)
///
/// `is_target` says which instructions are branch targets, as [`verify`](crate::ir::verify)
/// found them (one flag per instruction).
pub(crate) fn thread(code: &[Instr], is_target: Vec<bool>) -> Box<[Op]> {
    let mut previous_result = None;
    code.iter()
        .zip(is_target)
        .map(|(instr, is_target)| {
            let from_acc = match previous_result {
                Some(slot) if !is_target => acc_handler(instr, slot),
                _ => None,
            };
            previous_result = match *instr {
                // The callee's return hands its slot 0, the caller's slot `base`, on
                // (`leave`). (Other calls may reach a host function, which resumes without it.)
                Instr::CallInternal { base, .. } => Some(base),
                // Passes the accumulator on, when it is only reached from the instruction
                // before it.
                Instr::ConsumeFuel { .. } if !is_target => previous_result,
                _ => acc_result(instr),
            };
            Op {
                handler: from_acc
                    .or_else(|| simd_handler(instr))
                    .unwrap_or_else(|| handler_for(instr)),
                instr: *instr,
                callee: AtomicPtr::new(core::ptr::null_mut()),
            }
        })
        .collect()
}

/// Runs the top frame of `stack` until the entry frame returns or something needs the
/// driver; see [`Exit`].
///
/// Invariants behind the unchecked accesses of the handlers (established by
/// [`verify`](crate::ir::verify) at translation and by `push_frame`):
///
/// - (I1) `regs` points at `cells[fp]` of the current frame, and `cells` holds at least
///   `fp + num_slots` cells; it is re-derived after anything that may resize `cells`
///   (`push_frame`; host calls happen outside `run`).
/// - (I2) every slot operand of the frame's code is `< num_slots`.
/// - (I3) `ip` points at an `Op` of the frame's code: execution starts at the first, only
///   falls through non-terminators (the last instruction is a terminator), branch and
///   `BrTable` targets are in range, and calls resume at the next instruction.
/// - (I4) `mem`/`mem_len` describe the live buffer of the current instance's memory 0: they
///   are derived on entry to `run`, when a call or return changes the instance, and after
///   every cold operation; the buffer is only reallocated by `memory.grow` and host calls,
///   which both leave `run`.
/// - (I5) each `Op`'s handler was chosen by [`handler_for`] (or, for a SIMD instruction, by
///   [`simd_handler`]) from its own instruction, so a handler always finds the variant it
///   expects.
pub(super) fn run(inner: &mut StoreInner, stack: &mut Stack) -> Exit {
    let Some(frame) = stack.frames.last().copied() else {
        return Exit::Trap(TrapCode::InternalError);
    };
    let Some(regs) = frame_regs(stack, &frame) else {
        return Exit::Trap(TrapCode::InternalError);
    };
    let (mem, mem_len) = memory_view(inner, frame.instance);
    let module = instance_module(inner, frame.instance);
    let stack_budget = inner
        .engine
        .config()
        .max_wasm_stack
        .saturating_sub(inner.stack_used);
    let global_map = instance_globals(inner, frame.instance);
    let globals = (
        inner.globals.as_mut_slice().as_mut_ptr(),
        inner.globals.len(),
    );
    let acc = resume_acc(stack, &frame);
    let mut cx = Cx {
        inner,
        stack,
        instance: frame.instance,
        fp: frame.fp,
        module,
        stack_budget,
        global_map,
        globals,
        exit: Exit::Trap(TrapCode::InternalError),
        #[cfg(not(weft_tail_dispatch))]
        resume: (frame.ip, regs, mem, mem_len, acc),
    };
    #[cfg(feature = "extra-checks")]
    extra_checks::state(frame.ip, regs, mem, mem_len, &mut cx);
    #[cfg(weft_tail_dispatch)]
    {
        // SAFETY: (I1)–(I5) hold for the top frame: `frame.ip` is where it stopped or its
        // first instruction, `regs` was just derived and checked, and so was the memory view.
        unsafe { ((*frame.ip).handler)(frame.ip, regs, mem, mem_len, &mut cx, acc) };
    }
    #[cfg(not(weft_tail_dispatch))]
    loop {
        let (ip, regs, mem, mem_len, acc) = cx.resume;
        // SAFETY: as above; every handler that returns `Continue` stored a state for which
        // (I1)–(I5) hold.
        if unsafe { ((*ip).handler)(ip, regs, mem, mem_len, &mut cx, acc) } == Flow::Stop {
            break;
        }
    }
    cx.exit
}

/// The accumulator `frame` resumes with: after a `CallInternal`, the value of the call's
/// first result slot, which the next instruction may read from the accumulator (see
/// [`thread`]). A run resumes there when the callee tail-called a host function, whose
/// return goes through the driver rather than `leave`.
fn resume_acc(stack: &Stack, frame: &Frame) -> u64 {
    let code = &frame.code().code;
    let index = (frame.ip as usize).wrapping_sub(code.as_ptr() as usize) / size_of::<Op>();
    match index.checked_sub(1).and_then(|previous| code.get(previous)) {
        Some(Op {
            instr: Instr::CallInternal { base, .. },
            ..
        }) => stack
            .cells
            .get(frame.fp + base.index())
            .copied()
            .unwrap_or(0),
        _ => 0,
    }
}

/// The module of store instance `instance`, or null.
fn instance_module(inner: &StoreInner, instance: InstanceIdx) -> *const ModuleInner {
    inner
        .instances
        .get(instance)
        .map_or(core::ptr::null(), |entity| {
            &*entity.module.inner as *const ModuleInner
        })
}

/// The store indices of the globals of store instance `instance` (empty if it does not
/// exist).
fn instance_globals(inner: &StoreInner, instance: InstanceIdx) -> (*const StoreGlobalIdx, usize) {
    inner
        .instances
        .get(instance)
        .map_or((core::ptr::null(), 0), |entity| {
            (entity.globals.as_slice().as_ptr(), entity.globals.len())
        })
}

/// A pointer to the first cell of `frame`, after checking that all its slots exist.
#[inline]
fn frame_regs(stack: &mut Stack, frame: &Frame) -> Option<*mut u64> {
    let end = frame.fp + frame.code().num_slots as usize;
    stack.cells.get_mut(frame.fp..end).map(<[u64]>::as_mut_ptr)
}

/// Continues with the instruction at `ip`.
///
/// # Safety
///
/// The state must satisfy the invariants of [`run`].
#[inline(always)]
unsafe fn next(
    ip: *const Op,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    #[cfg(feature = "extra-checks")]
    extra_checks::state(ip, regs, mem, mem_len, cx);
    #[cfg(weft_tail_dispatch)]
    {
        // SAFETY: the caller guarantees the invariants of `run`; this call is in tail
        // position of every handler, so it compiles to a jump.
        unsafe { ((*ip).handler)(ip, regs, mem, mem_len, cx, acc) }
    }
    #[cfg(not(weft_tail_dispatch))]
    {
        cx.resume = (ip, regs, mem, mem_len, acc);
        Flow::Continue
    }
}

/// Continues at `ip + offset` if `taken`, else at `ip + 1`.
///
/// The two outcomes dispatch from two separate sites, so that the branch's direction is
/// predicted by the conditional branch and each indirect jump keeps a stable target. (A
/// single site, selecting the next instruction with a conditional move, makes the
/// indirect jump predict both and is much slower.)
///
/// # Safety
///
/// Both targets must satisfy the invariants of [`run`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn branch(
    taken: bool,
    ip: *const Op,
    offset: i32,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    if taken {
        // SAFETY: guaranteed by the caller.
        unsafe { next(ip.offset(offset as isize), regs, mem, mem_len, cx, acc) }
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
    }
}

/// Stops execution with `exit`.
///
/// Handlers that continue on other paths must only pass it small arguments (here a box): an
/// `Exit` built in the handler's stack frame and passed by reference would keep LLVM from
/// turning the handler's call of the next handler into a jump.
#[cold]
#[inline(never)]
#[allow(
    clippy::boxed_local,
    reason = "the box is what keeps the argument in a register"
)]
fn stop(cx: &mut Cx<'_>, exit: Box<Exit>) -> Flow {
    cx.exit = *exit;
    Flow::Stop
}

/// Stops execution to let the driver call host function `host` with the cells
/// `base..base + len`.
#[cold]
#[inline(never)]
fn stop_host(cx: &mut Cx<'_>, host: HostFuncIdx, base: usize, len: usize) -> Flow {
    cx.exit = Exit::Host {
        host,
        instance: cx.instance,
        base,
        len,
    };
    Flow::Stop
}

/// Stops execution because the entry frame returned.
#[cold]
#[inline(never)]
fn stop_return(cx: &mut Cx<'_>) -> Flow {
    cx.exit = Exit::Return;
    Flow::Stop
}

/// Stops execution because the epoch deadline was reached.
#[cold]
#[inline(never)]
fn stop_epoch(cx: &mut Cx<'_>) -> Flow {
    cx.exit = Exit::Epoch;
    Flow::Stop
}

/// Stops execution with a trap.
#[cold]
#[inline(never)]
fn trap(cx: &mut Cx<'_>, code: TrapCode) -> Flow {
    cx.exit = Exit::Trap(code);
    Flow::Stop
}

/// Reads slot `slot` of the current frame.
///
/// # Safety
///
/// (I1) and (I2): `slot` is inside the frame that `regs` points at.
#[inline(always)]
unsafe fn get(regs: *mut u64, slot: Slot) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { *regs.add(slot.index()) }
}

/// Writes slot `slot` of the current frame.
///
/// # Safety
///
/// As [`get`].
#[inline(always)]
unsafe fn set(regs: *mut u64, slot: Slot, value: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { *regs.add(slot.index()) = value }
}

/// The start of an access of `n` bytes at `ptr + offset`, or `None` when it is out of
/// bounds (spec: `ea + N <= len`).
#[inline(always)]
fn effective_address(mem_len: usize, ptr: u32, offset: u32, n: usize) -> Option<usize> {
    let start = u64::from(ptr) + u64::from(offset);
    if start + n as u64 > mem_len as u64 {
        return None;
    }
    Some(start as usize)
}

/// Reads the `N` bytes at `ptr + offset` of memory 0, or `None` when out of bounds.
///
/// # Safety
///
/// (I4): `mem`/`mem_len` describe memory 0's live buffer.
#[inline(always)]
unsafe fn read_memory<const N: usize>(
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
) -> Option<[u8; N]> {
    let start = effective_address(mem_len, ptr, offset, N)?;
    // SAFETY: guaranteed by the caller, and `start + N <= mem_len` was checked.
    Some(unsafe { core::ptr::read_unaligned(mem.add(start).cast()) })
}

/// Writes `bytes` at `ptr + offset` of memory 0; `false` (and nothing written) when out
/// of bounds.
///
/// # Safety
///
/// As [`read_memory`].
#[inline(always)]
unsafe fn write_memory<const N: usize>(
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    bytes: [u8; N],
) -> bool {
    let Some(start) = effective_address(mem_len, ptr, offset, N) else {
        return false;
    };
    // SAFETY: guaranteed by the caller, and `start + N <= mem_len` was checked.
    unsafe { core::ptr::write_unaligned(mem.add(start).cast(), bytes) };
    true
}

/// Binds the operands of the instruction at `$ip`, which must be of variant `$variant`.
macro_rules! operands {
    ($ip:ident, $variant:ident { $($field:ident),* }) => {
        // SAFETY: (I3) `$ip` points at a live `Op`, and (I5) its handler (this one) was
        // chosen from its own variant.
        let Instr::$variant { $($field),* } = (unsafe { (*$ip).instr }) else {
            #[cfg(feature = "extra-checks")]
            extra_checks::violated(format_args!(
                "(I5) the handler of `{}` was given {:?}",
                stringify!($variant),
                // SAFETY: as above.
                unsafe { (*$ip).instr },
            ));
            // SAFETY: (I5).
            #[cfg(not(feature = "extra-checks"))]
            unsafe { core::hint::unreachable_unchecked() }
        };
    };
}

/// Defines a handler named after its instruction; the body binds the names of the handler's
/// arguments given in parentheses.
macro_rules! handler {
    ($name:ident($ip:ident, $regs:ident, $mem:ident, $mem_len:ident, $cx:ident, $acc:ident) $body:block) => {
        #[allow(non_snake_case, unused_mut, unused_variables)]
        pub(super) unsafe fn $name(
            mut $ip: *const Op,
            mut $regs: *mut u64,
            mut $mem: *mut u8,
            mut $mem_len: usize,
            $cx: &mut Cx<'_>,
            $acc: u64,
        ) -> Flow {
            $body
        }
    };
}

/// Reads operand `$slot`: from its slot, or (`acc`) from the accumulator, which holds the
/// same value when the handler was chosen by [`acc_handler`].
macro_rules! operand {
    (slot, $regs:ident, $acc:ident, $slot:ident) => {
        get($regs, $slot)
    };
    (acc, $regs:ident, $acc:ident, $slot:ident) => {{
        #[cfg(feature = "extra-checks")]
        extra_checks::accumulator($acc, get($regs, $slot), $slot);
        $acc
    }};
}

/// `dst = f(src)`; the result is also the next accumulator.
macro_rules! unary_handler {
    ($name:ident, $f:ident, $src:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, src });
            // SAFETY: (I1)–(I5) hold for the current state and are kept by the
            // instruction, which only writes one slot of the frame.
            unsafe {
                let value = wasm::$f(Cell::from_cell(operand!($src, regs, acc, src))).into_cell();
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// `dst = f(src)?`.
macro_rules! unary_trap_handler {
    ($name:ident, $f:ident, $src:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, src });
            // SAFETY: as for `unary_handler`.
            unsafe {
                let value = match wasm::$f(Cell::from_cell(operand!($src, regs, acc, src))) {
                    Ok(value) => value.into_cell(),
                    Err(code) => return trap(cx, code),
                };
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// `dst = f(lhs, rhs)`.
macro_rules! binary_handler {
    ($name:ident, $f:ident, $lhs:tt, $rhs:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, lhs, rhs });
            // SAFETY: as for `unary_handler`.
            unsafe {
                let value = wasm::$f(
                    Cell::from_cell(operand!($lhs, regs, acc, lhs)),
                    Cell::from_cell(operand!($rhs, regs, acc, rhs)),
                )
                .into_cell();
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// `dst = f(lhs, rhs)?`.
macro_rules! binary_trap_handler {
    ($name:ident, $f:ident, $lhs:tt, $rhs:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, lhs, rhs });
            // SAFETY: as for `unary_handler`.
            unsafe {
                let value = wasm::$f(
                    Cell::from_cell(operand!($lhs, regs, acc, lhs)),
                    Cell::from_cell(operand!($rhs, regs, acc, rhs)),
                );
                let value = match value {
                    Ok(value) => value.into_cell(),
                    Err(code) => return trap(cx, code),
                };
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// `dst = f(lhs, imm)`; `$imm` turns the immediate into `f`'s operand (`Imm::from_imm` for
/// a 32-bit one, `Cell::from_cell` for a 64-bit one).
macro_rules! binary_imm_handler {
    ($name:ident, $f:ident, $lhs:tt, $imm:path) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, lhs, imm });
            // SAFETY: as for `unary_handler`.
            unsafe {
                let lhs = Cell::from_cell(operand!($lhs, regs, acc, lhs));
                let value = wasm::$f(lhs, $imm(imm)).into_cell();
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// `if f(lhs, rhs) { ip += offset }`.
macro_rules! br_cmp_handler {
    ($name:ident, $f:ident, $lhs:tt, $rhs:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { lhs, rhs, offset });
            // SAFETY: (I1)–(I5); (I3): the branch target is an instruction of the function.
            unsafe {
                let taken = wasm::$f(
                    Cell::from_cell(operand!($lhs, regs, acc, lhs)),
                    Cell::from_cell(operand!($rhs, regs, acc, rhs)),
                );
                branch(taken, ip, offset, regs, mem, mem_len, cx, acc)
            }
        });
    };
}

/// `if f(lhs, imm) { ip += offset }`.
macro_rules! br_cmp_imm_handler {
    ($name:ident, $f:ident, $lhs:tt) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { lhs, imm, offset });
            // SAFETY: (I1)–(I5); (I3): the branch target is an instruction of the function.
            unsafe {
                let lhs = Cell::from_cell(operand!($lhs, regs, acc, lhs));
                let taken = wasm::$f(lhs, Imm::from_imm(imm));
                branch(taken, ip, offset, regs, mem, mem_len, cx, acc)
            }
        });
    };
}

/// The address operand of a memory access, before its `offset`: one slot (`ptr`), the
/// wrapping sum of two (`idx`), or of one and the other shifted left by `shift` (`scaled`),
/// each read from its slot or the accumulator.
macro_rules! address {
    ($regs:ident, $acc:ident, ptr($src:tt) { $ptr:ident }) => {
        operand!($src, $regs, $acc, $ptr) as u32
    };
    ($regs:ident, $acc:ident, idx($base_src:tt, $index_src:tt) { $base:ident, $index:ident }) => {
        (operand!($base_src, $regs, $acc, $base) as u32)
            .wrapping_add(operand!($index_src, $regs, $acc, $index) as u32)
    };
    ($regs:ident, $acc:ident, scaled($base_src:tt, $index_src:tt) { $base:ident, $index:ident, $shift:ident }) => {
        (operand!($base_src, $regs, $acc, $base) as u32).wrapping_add(
            (operand!($index_src, $regs, $acc, $index) as u32).wrapping_shl(u32::from($shift)),
        )
    };
}

/// `dst = f(memory[address + offset..][..N])`; the address operands as in [`address!`].
macro_rules! load_handler {
    ($name:ident, $f:ident, $form:ident $srcs:tt { $($field:ident),* }) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, $($field,)* offset });
            // SAFETY: (I1)–(I5).
            unsafe {
                let ptr = address!(regs, acc, $form $srcs { $($field),* });
                let Some(bytes) = read_memory(mem, mem_len, ptr, offset) else {
                    return trap(cx, TrapCode::MemoryOutOfBounds);
                };
                let value = wasm::$f(bytes).into_cell();
                set(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, value)
            }
        });
    };
}

/// The bytes a store writes: `f` of its `value` operand (`slot`, `acc`), or of its immediate.
macro_rules! stored_bytes {
    (imm, $f:ident, $regs:ident, $acc:ident, $value:ident) => {
        wasm::$f(Imm::from_imm($value))
    };
    ($src:tt, $f:ident, $regs:ident, $acc:ident, $value:ident) => {
        wasm::$f(Cell::from_cell(operand!($src, $regs, $acc, $value)))
    };
}

/// `memory[address + offset..][..N] = f(value)`; the value as in [`stored_bytes!`], the
/// address as in [`address!`].
macro_rules! store_handler {
    ($name:ident, $f:ident, $value:tt, $form:ident $srcs:tt { $($field:ident),* }) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { $($field,)* value, offset });
            // SAFETY: (I1)–(I5).
            unsafe {
                let bytes = stored_bytes!($value, $f, regs, acc, value);
                let ptr = address!(regs, acc, $form $srcs { $($field),* });
                if !write_memory(mem, mem_len, ptr, offset, bytes) {
                    return trap(cx, TrapCode::MemoryOutOfBounds);
                }
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
}

/// Generates the handlers of the uniform instructions, in three flavours: `base` reads
/// every operand from its slot, `acc_a` reads the first slot operand (`src`, `lhs`, `ptr`)
/// from the accumulator, `acc_b` the second (`rhs`, a store's `value`). Also generates
/// [`handler_for`], [`acc_handler`] and [`acc_result`].
macro_rules! uniform_handlers {
    (
        special { $( $(#[$doc:meta])* $sname:ident { $($sfield:ident : $sty:ty),* $(,)? }, )* }
        unary { $($un:ident = $unf:ident,)* }
        unary_trap { $($ut:ident = $utf:ident,)* }
        binary { $($bin:ident = $binf:ident,)* }
        binary_trap { $($bt:ident = $btf:ident,)* }
        binary_imm { $($bi:ident = $bif:ident,)* }
        binary_imm64 { $($bj:ident = $bjf:ident,)* }
        br_cmp { $($bc:ident = $bcf:ident,)* }
        br_cmp_imm { $($bci:ident = $bcif:ident,)* }
        load { $($ld:ident / $li:ident / $ls:ident = $ldf:ident,)* }
        store { $($st:ident / $si:ident / $ss:ident = $stf:ident,)* }
        store_imm { $($sti:ident / $sii:ident = $stif:ident,)* }
    ) => {
        /// Handlers that read every operand from its slot.
        mod base {
            use super::*;
            $( unary_handler!($un, $unf, slot); )*
            $( unary_trap_handler!($ut, $utf, slot); )*
            $( binary_handler!($bin, $binf, slot, slot); )*
            $( binary_trap_handler!($bt, $btf, slot, slot); )*
            $( binary_imm_handler!($bi, $bif, slot, Imm::from_imm); )*
            $( binary_imm_handler!($bj, $bjf, slot, Cell::from_cell); )*
            $( br_cmp_handler!($bc, $bcf, slot, slot); )*
            $( br_cmp_imm_handler!($bci, $bcif, slot); )*
            $( load_handler!($ld, $ldf, ptr(slot) { ptr }); )*
            $( store_handler!($st, $stf, slot, ptr(slot) { ptr }); )*
            $( store_handler!($sti, $stif, imm, ptr(slot) { ptr }); )*
            $( load_handler!($li, $ldf, idx(slot, slot) { base, index }); )*
            $( store_handler!($si, $stf, slot, idx(slot, slot) { base, index }); )*
            $( store_handler!($sii, $stif, imm, idx(slot, slot) { base, index }); )*
            $( load_handler!($ls, $ldf, scaled(slot, slot) { base, index, shift }); )*
            $( store_handler!($ss, $stf, slot, scaled(slot, slot) { base, index, shift }); )*
        }

        /// Handlers that take their first slot operand from the accumulator.
        mod acc_a {
            use super::*;
            $( unary_handler!($un, $unf, acc); )*
            $( unary_trap_handler!($ut, $utf, acc); )*
            $( binary_handler!($bin, $binf, acc, slot); )*
            $( binary_trap_handler!($bt, $btf, acc, slot); )*
            $( binary_imm_handler!($bi, $bif, acc, Imm::from_imm); )*
            $( binary_imm_handler!($bj, $bjf, acc, Cell::from_cell); )*
            $( br_cmp_handler!($bc, $bcf, acc, slot); )*
            $( br_cmp_imm_handler!($bci, $bcif, acc); )*
            $( load_handler!($ld, $ldf, ptr(acc) { ptr }); )*
            $( store_handler!($st, $stf, slot, ptr(acc) { ptr }); )*
            $( store_handler!($sti, $stif, imm, ptr(acc) { ptr }); )*
            $( load_handler!($li, $ldf, idx(acc, slot) { base, index }); )*
            $( store_handler!($si, $stf, slot, idx(acc, slot) { base, index }); )*
            $( store_handler!($sii, $stif, imm, idx(acc, slot) { base, index }); )*
            $( load_handler!($ls, $ldf, scaled(acc, slot) { base, index, shift }); )*
            $( store_handler!($ss, $stf, slot, scaled(acc, slot) { base, index, shift }); )*
        }

        /// Handlers that take their second slot operand from the accumulator.
        mod acc_b {
            use super::*;
            $( binary_handler!($bin, $binf, slot, acc); )*
            $( binary_trap_handler!($bt, $btf, slot, acc); )*
            $( br_cmp_handler!($bc, $bcf, slot, acc); )*
            $( store_handler!($st, $stf, acc, ptr(slot) { ptr }); )*
            $( load_handler!($li, $ldf, idx(slot, acc) { base, index }); )*
            $( store_handler!($si, $stf, slot, idx(slot, acc) { base, index }); )*
            $( store_handler!($sii, $stif, imm, idx(slot, acc) { base, index }); )*
            $( load_handler!($ls, $ldf, scaled(slot, acc) { base, index, shift }); )*
            $( store_handler!($ss, $stf, slot, scaled(slot, acc) { base, index, shift }); )*
        }

        /// The handler of `instr`'s variant.
        fn handler_for(instr: &Instr) -> Handler {
            match instr {
                $( Instr::$sname { .. } => $sname, )*
                $( Instr::$un { .. } => base::$un, )*
                $( Instr::$ut { .. } => base::$ut, )*
                $( Instr::$bin { .. } => base::$bin, )*
                $( Instr::$bt { .. } => base::$bt, )*
                $( Instr::$bi { .. } => base::$bi, )*
                $( Instr::$bj { .. } => base::$bj, )*
                $( Instr::$bc { .. } => base::$bc, )*
                $( Instr::$bci { .. } => base::$bci, )*
                $( Instr::$ld { .. } => base::$ld, )*
                $( Instr::$st { .. } => base::$st, )*
                $( Instr::$sti { .. } => base::$sti, )*
                $( Instr::$li { .. } => base::$li, )*
                $( Instr::$si { .. } => base::$si, )*
                $( Instr::$sii { .. } => base::$sii, )*
                $( Instr::$ls { .. } => base::$ls, )*
                $( Instr::$ss { .. } => base::$ss, )*
            }
        }

        /// A handler of `instr` that reads slot `slot` from the accumulator, if it has one.
        fn acc_handler(instr: &Instr, slot: Slot) -> Option<Handler> {
            Some(match *instr {
                $( Instr::$un { src, .. } if src == slot => acc_a::$un, )*
                $( Instr::$ut { src, .. } if src == slot => acc_a::$ut, )*
                $(
                    Instr::$bin { lhs, .. } if lhs == slot => acc_a::$bin,
                    Instr::$bin { rhs, .. } if rhs == slot => acc_b::$bin,
                )*
                $(
                    Instr::$bt { lhs, .. } if lhs == slot => acc_a::$bt,
                    Instr::$bt { rhs, .. } if rhs == slot => acc_b::$bt,
                )*
                $( Instr::$bi { lhs, .. } if lhs == slot => acc_a::$bi, )*
                $( Instr::$bj { lhs, .. } if lhs == slot => acc_a::$bj, )*
                $(
                    Instr::$bc { lhs, .. } if lhs == slot => acc_a::$bc,
                    Instr::$bc { rhs, .. } if rhs == slot => acc_b::$bc,
                )*
                $( Instr::$bci { lhs, .. } if lhs == slot => acc_a::$bci, )*
                $( Instr::$ld { ptr, .. } if ptr == slot => acc_a::$ld, )*
                $(
                    Instr::$st { value, .. } if value == slot => acc_b::$st,
                    Instr::$st { ptr, .. } if ptr == slot => acc_a::$st,
                )*
                $( Instr::$sti { ptr, .. } if ptr == slot => acc_a::$sti, )*
                $(
                    Instr::$li { base, .. } if base == slot => acc_a::$li,
                    Instr::$li { index, .. } if index == slot => acc_b::$li,
                )*
                $(
                    Instr::$si { base, .. } if base == slot => acc_a::$si,
                    Instr::$si { index, .. } if index == slot => acc_b::$si,
                )*
                $(
                    Instr::$sii { base, .. } if base == slot => acc_a::$sii,
                    Instr::$sii { index, .. } if index == slot => acc_b::$sii,
                )*
                $(
                    Instr::$ls { base, .. } if base == slot => acc_a::$ls,
                    Instr::$ls { index, .. } if index == slot => acc_b::$ls,
                )*
                $(
                    Instr::$ss { base, .. } if base == slot => acc_a::$ss,
                    Instr::$ss { index, .. } if index == slot => acc_b::$ss,
                )*
                Instr::Copy { src, .. } if src == slot => CopyAcc,
                Instr::Copy2 { src0, .. } if src0 == slot => Copy2Acc,
                Instr::BrIfNez { cond, .. } if cond == slot => BrIfNezAcc,
                Instr::Select { cond, .. } if cond == slot => SelectAcc,
                Instr::SelectImm { cond, .. } if cond == slot => SelectImmAcc,
                Instr::SelectSlotImm { cond, .. } if cond == slot => SelectSlotImmAcc,
                Instr::SelectImmSlot { cond, .. } if cond == slot => SelectImmSlotAcc,
                Instr::BrIfEqz { cond, .. } if cond == slot => BrIfEqzAcc,
                Instr::Return1 { src } if src == slot => Return1Acc,
                Instr::GlobalSet { src, .. } if src == slot => GlobalSetAcc,
                _ => return None,
            })
        }

        /// The slot whose new value `instr`'s handler passes on as the accumulator.
        #[inline(always)]
        fn acc_result(instr: &Instr) -> Option<Slot> {
            match *instr {
                $( Instr::$un { dst, .. } )|*
                | $( Instr::$ut { dst, .. } )|*
                | $( Instr::$bin { dst, .. } )|*
                | $( Instr::$bt { dst, .. } )|*
                | $( Instr::$bi { dst, .. } )|*
                | $( Instr::$bj { dst, .. } )|*
                | $( Instr::$ld { dst, .. } )|*
                | $( Instr::$li { dst, .. } )|*
                | $( Instr::$ls { dst, .. } )|*
                | Instr::Copy { dst, .. }
                | Instr::Copy2 { dst1: dst, .. }
                | Instr::Const32 { dst, .. }
                | Instr::Const64 { dst, .. }
                | Instr::Select { dst, .. }
                | Instr::SelectImm { dst, .. }
                | Instr::SelectSlotImm { dst, .. }
                | Instr::SelectImmSlot { dst, .. }
                | Instr::GlobalGet { dst, .. }
                | Instr::MemorySize { dst } => Some(dst),
                _ => None,
            }
        }
    };
}
for_each_instr!(uniform_handlers);

// ---------------------------------------------------------------------------------------------
// The special instructions
// ---------------------------------------------------------------------------------------------

handler!(Trap(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Trap { code });
    trap(cx, code)
});

handler!(ZeroLocals(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ZeroLocals { start, count });
    // SAFETY: (I1); `verify` checked `start + count <= num_slots`; (I3): a function's first
    // instruction is not its last.
    unsafe {
        let locals = regs.add(start.index());
        let count = count as usize;
        if count <= 8 {
            // A short loop: volatile writes keep it from becoming a call of `memset`.
            for i in 0..count {
                locals.add(i).write_volatile(0);
            }
        } else {
            core::ptr::write_bytes(locals, 0, count);
        }
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(ConsumeFuel(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ConsumeFuel { amount });
    let amount = u64::from(amount);
    if cx.inner.fuel < amount {
        return trap(cx, TrapCode::OutOfFuel);
    }
    cx.inner.fuel -= amount;
    // SAFETY: (I3): a `ConsumeFuel` is never the last instruction.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(EpochCheck(ip, regs, mem, mem_len, cx, acc) {
    if cx.inner.engine.current_epoch() >= cx.inner.epoch_deadline {
        // SAFETY: (I3): resuming at the next instruction is in range.
        save_ip(cx, unsafe { ip.add(1) });
        return stop_epoch(cx);
    }
    // SAFETY: (I3): an `EpochCheck` is never the last instruction.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(Copy(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Copy { dst, src });
    // SAFETY: (I1)–(I5).
    unsafe {
        let value = get(regs, src);
        set(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

handler!(CopyAcc(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Copy { dst, src });
    // SAFETY: (I1)–(I5); the accumulator holds `src` (see `thread`).
    unsafe {
        set(regs, dst, acc);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(Copy2(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Copy2 { dst0, src0, dst1, src1 });
    // SAFETY: (I1)–(I5).
    unsafe {
        set(regs, dst0, get(regs, src0));
        let value = get(regs, src1);
        set(regs, dst1, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

handler!(Copy2Acc(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Copy2 { dst0, src0, dst1, src1 });
    // SAFETY: (I1)–(I5); the accumulator holds `src0` (see `thread`).
    unsafe {
        set(regs, dst0, acc);
        let value = get(regs, src1);
        set(regs, dst1, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

handler!(Const32(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Const32 { dst, value });
    // SAFETY: (I1)–(I5).
    unsafe {
        let value = u64::from(value);
        set(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

handler!(Const64(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Const64 { dst, value });
    // SAFETY: (I1)–(I5).
    unsafe {
        set(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

/// Defines a `select` handler: `$mode` says where `cond` comes from (`slot`, or `acc` when
/// the accumulator holds it, see `thread`), and `$lhs`/`$rhs` give the two values.
macro_rules! select_handler {
    ($handler:ident, $mode:ident, $variant:ident { $($field:ident),* }, |$regs:ident| $lhs:expr, $rhs:expr) => {
        handler!($handler(ip, $regs, mem, mem_len, cx, acc) {
            operands!(ip, $variant { dst, cond, $($field),* });
            // SAFETY: (I1)–(I5).
            unsafe {
                let value = if operand!($mode, $regs, acc, cond) as u32 != 0 { $lhs } else { $rhs };
                set($regs, dst, value);
                next(ip.add(1), $regs, mem, mem_len, cx, value)
            }
        });
    };
}

select_handler!(
    Select,
    slot,
    Select { lhs, rhs },
    |regs| get(regs, lhs),
    get(regs, rhs)
);
select_handler!(
    SelectAcc,
    acc,
    Select { lhs, rhs },
    |regs| get(regs, lhs),
    get(regs, rhs)
);
select_handler!(
    SelectImm,
    slot,
    SelectImm { lhs, rhs },
    |regs| u64::from(lhs),
    u64::from(rhs)
);
select_handler!(
    SelectImmAcc,
    acc,
    SelectImm { lhs, rhs },
    |regs| u64::from(lhs),
    u64::from(rhs)
);
select_handler!(
    SelectSlotImm,
    slot,
    SelectSlotImm { lhs, rhs },
    |regs| get(regs, lhs),
    u64::from(rhs)
);
select_handler!(
    SelectSlotImmAcc,
    acc,
    SelectSlotImm { lhs, rhs },
    |regs| get(regs, lhs),
    u64::from(rhs)
);
select_handler!(
    SelectImmSlot,
    slot,
    SelectImmSlot { lhs, rhs },
    |regs| u64::from(lhs),
    get(regs, rhs)
);
select_handler!(
    SelectImmSlotAcc,
    acc,
    SelectImmSlot { lhs, rhs },
    |regs| u64::from(lhs),
    get(regs, rhs)
);

handler!(Br(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Br { offset });
    // SAFETY: (I3): the branch target is an instruction of the function.
    unsafe { next(ip.offset(offset as isize), regs, mem, mem_len, cx, acc) }
});

handler!(BrIfNez(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, BrIfNez { cond, offset });
    // SAFETY: (I1)–(I3).
    unsafe {
        branch(get(regs, cond) as u32 != 0, ip, offset, regs, mem, mem_len, cx, acc)
    }
});

handler!(BrIfEqz(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, BrIfEqz { cond, offset });
    // SAFETY: (I1)–(I3).
    unsafe {
        branch(get(regs, cond) as u32 == 0, ip, offset, regs, mem, mem_len, cx, acc)
    }
});

handler!(BrIfNezAcc(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, BrIfNez { cond, offset });
    // SAFETY: (I1)–(I5); the accumulator holds `cond` (see `thread`).
    unsafe {
        branch(acc as u32 != 0, ip, offset, regs, mem, mem_len, cx, acc)
    }
});

handler!(BrIfEqzAcc(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, BrIfEqz { cond, offset });
    // SAFETY: (I1)–(I5); the accumulator holds `cond` (see `thread`).
    unsafe {
        branch(acc as u32 == 0, ip, offset, regs, mem, mem_len, cx, acc)
    }
});

handler!(RefAsNonNull(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, RefAsNonNull { src });
    // SAFETY: (I1) and (I2).
    if unsafe { get(regs, src) } == 0 {
        return trap(cx, TrapCode::NullReference);
    }
    // SAFETY: (I1)–(I4) hold for the unchanged state, and (I3) the instruction is not a
    // terminator.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(BrTable(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, BrTable { index, len });
    // SAFETY: (I1)–(I3): the `len + 1` targets follow the `BrTable`, and a `Br`'s target
    // is an instruction of the function.
    unsafe {
        let index = (get(regs, index) as u32).min(len);
        let entry = ip.add(1 + index as usize);
        #[cfg(feature = "extra-checks")]
        extra_checks::state(entry, regs, mem, mem_len, cx);
        // Go straight to the target of the entry's `Br`, sparing its dispatch.
        if let Instr::Br { offset } = (*entry).instr {
            return next(entry.offset(offset as isize), regs, mem, mem_len, cx, acc);
        }
        next(entry, regs, mem, mem_len, cx, acc)
    }
});

mod call;
use call::*;
mod simd;
use simd::*;
mod memory;
use memory::*;

/// The value of global `global` of the current instance (its low 64 bits, for a `v128`).
#[inline(always)]
fn global_value<'c>(cx: &'c mut Cx<'_>, global: GlobalIdx) -> Option<&'c mut u64> {
    global_entity(cx, global).map(|entity| &mut entity.value)
}

/// Global `global` of the current instance.
#[inline(always)]
fn global_entity<'c>(cx: &'c mut Cx<'_>, global: GlobalIdx) -> Option<&'c mut GlobalEntity> {
    #[cfg(feature = "extra-checks")]
    extra_checks::globals(cx);
    let (map, map_len) = cx.global_map;
    if global.index() >= map_len {
        return None;
    }
    // SAFETY: `map` points at the `map_len` store indices of the current instance's
    // globals (`instance_globals`), which live as long as the store; checked in bounds.
    let index = unsafe { *map.add(global.index()) }.index();
    let (globals, len) = cx.globals;
    if index >= len {
        return None;
    }
    // SAFETY: `globals` points at the store's `len` globals, which stay in place during the
    // run (see `Cx::globals`), and `cx` is borrowed mutably for the reference's lifetime;
    // checked in bounds.
    Some(unsafe { &mut *globals.add(index) })
}

handler!(GlobalGet(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, GlobalGet { dst, global });
    let value = global_value(cx, global).map(|value| *value);
    let Some(value) = value else {
        return trap(cx, TrapCode::InternalError);
    };
    // SAFETY: (I1)–(I3).
    unsafe {
        set(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, value)
    }
});

handler!(GlobalSet(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, GlobalSet { src, global });
    // SAFETY: (I1) and (I2).
    let value = unsafe { get(regs, src) };
    let Some(slot) = global_value(cx, global) else {
        return trap(cx, TrapCode::InternalError);
    };
    *slot = value;
    // SAFETY: (I3).
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(GlobalSetAcc(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, GlobalSet { src, global });
    let Some(slot) = global_value(cx, global) else {
        return trap(cx, TrapCode::InternalError);
    };
    // The accumulator holds `src` (see `thread`).
    *slot = acc;
    // SAFETY: (I3).
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(MemorySize(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, MemorySize { dst });
    // Emitted only for a memory 0 of 64 KiB pages (see `translate::operators`).
    let pages = mem_len as u64 / crate::types::MemoryType::PAGE_SIZE;
    // SAFETY: (I1)–(I3).
    unsafe {
        set(regs, dst, pages);
        next(ip.add(1), regs, mem, mem_len, cx, pages)
    }
});

handler!(MemoryGrow(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, MemoryGrow { dst, delta, memory });
    // SAFETY: (I1) and (I2).
    let delta = unsafe { get(regs, delta) };
    let memory = cx
        .inner
        .instances
        .get(cx.instance)
        .and_then(|instance| instance.memories.get(memory).copied());
    let Some(memory) = memory else {
        return trap(cx, TrapCode::InternalError);
    };
    // A 64-bit memory's delta and result are `i64`s, a 32-bit one's `i32`s.
    let wide = cx.inner.memories.get(memory).is_some_and(|m| m.ty.is_64());
    let delta = if wide { delta } else { u64::from(delta as u32) };
    // SAFETY: (I3).
    save_ip(cx, unsafe { ip.add(1) });
    let exit = Exit::MemoryGrow {
        memory,
        wide,
        delta,
        dst: cx.fp + dst.index(),
    };
    cx.exit = exit;
    Flow::Stop
});

handler!(TableGrow(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, TableGrow { dst, table, delta });
    // SAFETY: (I1) and (I2).
    let (init, delta) = unsafe { (get(regs, dst), get(regs, delta)) };
    let table = cx
        .inner
        .instances
        .get(cx.instance)
        .and_then(|instance| instance.tables.get(table).copied());
    let Some(table) = table else {
        return trap(cx, TrapCode::InternalError);
    };
    // A 64-bit table's delta and result are `i64`s, a 32-bit one's `i32`s.
    let wide = cx.inner.tables.get(table).is_some_and(|t| t.ty.is_64());
    let delta = super::table_operand(delta, wide);
    // SAFETY: (I3).
    save_ip(cx, unsafe { ip.add(1) });
    let exit = Exit::TableGrow {
        table,
        wide,
        delta,
        init,
        dst: cx.fp + dst.index(),
    };
    cx.exit = exit;
    Flow::Stop
});

/// Runs a rare, bulky instruction outside the handlers, in [`cold_op`]; `false` when
/// execution stops (the reason is in `cx.exit`).
///
/// # Safety
///
/// The invariants of [`run`] hold for `ip` and `regs`.
#[inline(never)]
unsafe fn cold(ip: *const Op, regs: *mut u64, cx: &mut Cx<'_>) -> bool {
    let Some(frame) = cx.stack.frames.last() else {
        cx.exit = Exit::Trap(TrapCode::InternalError);
        return false;
    };
    let num_slots = frame.code().num_slots as usize;
    // The frame's cells are borrowed through `regs`, not through `cx.stack.cells`: a new
    // mutable borrow of the vector's elements would invalidate `regs`, which the handler
    // goes on using afterwards (undefined behaviour that Miri reports).
    // SAFETY: (I1): `regs` points at the `num_slots` cells of the running frame, inside
    // `cx.stack.cells`, which `cold_op` does not touch (it only sees `cx.inner`), so this is
    // the only reference to them while it lives.
    let cells = unsafe { core::slice::from_raw_parts_mut(regs, num_slots) };
    // SAFETY: (I3): `ip` points at a live `Op`.
    let instr = unsafe { &(*ip).instr };
    match cold_op(cx.inner, cx.instance, cells, instr) {
        Ok(()) => true,
        Err(exit) => {
            cx.exit = exit;
            false
        }
    }
}

/// Defines the handler of a wide-arithmetic instruction: `$f` of the instruction's operand
/// slots gives the low and high halves of the result, written to `dst`'s two cells.
macro_rules! wide_handler {
    ($name:ident { $($operand:ident),* } => $f:path) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, $name { dst, $($operand),* });
            // SAFETY: (I1)–(I5); every operand is read before `dst`'s cells are written.
            unsafe {
                let (lo, hi) = $f($(get(regs, $operand)),*);
                set(regs, dst.lo(), lo);
                set(regs, dst.hi(), hi);
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
}
wide_handler!(I64Add128 { lhs_lo, lhs_hi, rhs_lo, rhs_hi } => wasm::i64_add128);
wide_handler!(I64Sub128 { lhs_lo, lhs_hi, rhs_lo, rhs_hi } => wasm::i64_sub128);
wide_handler!(I64MulWideS { lhs, rhs } => wasm::i64_mul_wide_s);
wide_handler!(I64MulWideU { lhs, rhs } => wasm::i64_mul_wide_u);

macro_rules! cold_handlers {
    ($($name:ident),* $(,)?) => {$(
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            // SAFETY: (I1)–(I5) hold for the current state.
            if !unsafe { cold(ip, regs, cx) } {
                return Flow::Stop;
            }
            // The operation may have changed the memory; the frame's cells stay put.
            let (mem, mem_len) = memory_view(cx.inner, cx.instance);
            // SAFETY: (I1) holds as `cells` was not resized, (I4) was re-established, and
            // (I3) the instruction is not a terminator.
            unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
        });
    )*};
}
cold_handlers!(
    CopySpan, MemoryFill, MemoryCopy, MemoryInit, DataDrop, TableGet, TableSet, TableSize,
    TableFill, TableCopy, TableInit, ElemDrop, RefFunc,
);

/// Run-time checks of the invariants of [`run`], compiled with the cargo feature
/// `extra-checks` only.
///
/// `state` runs before every dispatch (in [`next`], and in [`run`] before the first one),
/// so each handler starts from a checked state: its `Op` lies in the running function's
/// code (I3), `regs` is that frame's slot 0 and the frame fits in the stack's cells (I1),
/// every slot operand of its instruction lies in the frame (I2), and `mem`/`mem_len` are the
/// instance's memory 0 as it is now (I4). A handler finding another instruction variant than
/// its own (I5), or an accumulator that differs from the slot it stands for, fails too.
///
/// A violation is a bug in Weft (translation, verification or the executor), never in the
/// guest: it panics with a message naming the invariant, where the unchecked build would
/// have had undefined behaviour.
#[cfg(feature = "extra-checks")]
mod extra_checks {
    use super::{Cx, Instr, Op, Slot, instance_globals, memory_view};

    /// Reports a violated invariant of the executor.
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(super) fn violated(what: core::fmt::Arguments<'_>) -> ! {
        panic!("weft internal error: executor invariant violated (extra-checks): {what}")
    }

    /// Checks that execution may continue at `ip` with `regs`, `mem` and `mem_len`.
    #[inline(never)]
    pub(super) fn state(
        ip: *const Op,
        regs: *mut u64,
        mem: *mut u8,
        mem_len: usize,
        cx: &mut Cx<'_>,
    ) {
        let Some(frame) = cx.stack.frames.last().copied() else {
            violated(format_args!("no frame is running"));
        };
        if frame.fp != cx.fp || frame.instance != cx.instance {
            violated(format_args!(
                "the running frame (fp {}, instance {}) is not the top frame (fp {}, instance {})",
                cx.fp, cx.instance, frame.fp, frame.instance
            ));
        }
        let code = frame.code();
        // (I1)
        let cells = cx.stack.cells.len();
        let num_slots = code.num_slots as usize;
        if cx.fp.checked_add(num_slots).is_none_or(|end| end > cells) {
            violated(format_args!(
                "(I1) the frame's {num_slots} slots at cell {} exceed the stack's {cells} cells",
                cx.fp
            ));
        }
        if regs.cast_const() != cx.stack.cells.as_ptr().wrapping_add(cx.fp) {
            violated(format_args!(
                "(I1) `regs` is not cell {} of the stack",
                cx.fp
            ));
        }
        // (I3)
        let ops = &code.code;
        let offset = ip.addr().wrapping_sub(ops.as_ptr().addr());
        let index = offset / size_of::<Op>();
        if offset % size_of::<Op>() != 0 || index >= ops.len() {
            violated(format_args!(
                "(I3) the instruction pointer is {offset} bytes from the start of a function \
                 of {} instructions",
                ops.len()
            ));
        }
        // (I2)
        let instr = ops[index].instr;
        if !slots_in_frame(&instr, code.num_slots) {
            violated(format_args!(
                "(I2) an operand of instruction {index}, {instr:?}, is outside the frame's \
                 {num_slots} slots"
            ));
        }
        if let Instr::BrTable { len, .. } = instr
            && index as u64 + 1 + u64::from(len) >= ops.len() as u64
        {
            violated(format_args!(
                "(I3) the targets of `BrTable` {index} run past the code"
            ));
        }
        // (I4)
        let view = memory_view(cx.inner, cx.instance);
        if view != (mem, mem_len) {
            violated(format_args!(
                "(I4) the memory view ({mem_len} bytes) is not memory 0 of instance {} ({} \
                 bytes)",
                cx.instance, view.1
            ));
        }
    }

    /// Whether every slot operand of `instr` lies in a frame of `num_slots` slots (the checks
    /// of [`verify`](crate::ir::verify) for one instruction).
    fn slots_in_frame(instr: &Instr, num_slots: u32) -> bool {
        match *instr {
            Instr::CallInternal { base, .. }
            | Instr::CallImported { base, .. }
            | Instr::ReturnCallInternal { base, .. }
            | Instr::ReturnCallImported { base, .. } => u32::from(base) <= num_slots,
            Instr::CallIndirect { base, index, .. }
            | Instr::ReturnCallIndirect { base, index, .. } => {
                u32::from(base) <= num_slots && u32::from(index) < num_slots
            }
            Instr::CallRef { base, func, .. } | Instr::ReturnCallRef { base, func, .. } => {
                u32::from(base) <= num_slots && u32::from(func) < num_slots
            }
            Instr::ReturnN { start, count } => u32::from(start) + u32::from(count) <= num_slots,
            Instr::CopySpan { dst, src, count } => {
                let count = u32::from(count);
                u32::from(dst) + count <= num_slots && u32::from(src) + count <= num_slots
            }
            Instr::ZeroLocals { start, count } => {
                u64::from(start) + u64::from(count) <= u64::from(num_slots)
            }
            Instr::BrTable { index, .. } => u32::from(index) < num_slots,
            _ => {
                let mut inside = true;
                instr.for_each_slot(|slot| inside &= u32::from(slot) < num_slots);
                inside
            }
        }
    }

    /// Checks that the accumulator holds the value of `slot`, which a handler reads from it.
    #[inline(never)]
    pub(super) fn accumulator(acc: u64, value: u64, slot: Slot) {
        if acc != value {
            violated(format_args!(
                "the accumulator holds {acc:#x}, but slot {slot} holds {value:#x}"
            ));
        }
    }

    /// Checks that the context's views of the globals are those of the store and instance.
    #[inline(never)]
    pub(super) fn globals(cx: &Cx<'_>) {
        let map = instance_globals(cx.inner, cx.instance);
        let globals = (cx.inner.globals.as_slice().as_ptr(), cx.inner.globals.len());
        if cx.global_map != map || (cx.globals.0.cast_const(), cx.globals.1) != globals {
            violated(format_args!(
                "the globals seen by the executor are not those of instance {}",
                cx.instance
            ));
        }
    }
}

/// The checks of [`extra_checks`] fire on states that the unchecked executor would run
/// into undefined behaviour with. Each test builds such a state by hand, past the
/// translator and [`verify`](crate::ir::verify), which never produce one.
#[cfg(all(test, feature = "extra-checks"))]
mod extra_checks_tests {
    #![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

    use super::{Instr, Op, Slot, handler_for, run, thread};
    use crate::exec::{Frame, Stack};
    use crate::index::{DefinedFuncIdx, InstanceIdx};

    /// Slot `index`.
    const fn s(index: u16) -> Slot {
        Slot::new(index)
    }
    use crate::ir::CompiledFunc;
    use crate::{Engine, Instance, Module, Store};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// A store with one instance, whose store index it returns.
    fn store() -> (Store<()>, InstanceIdx) {
        let engine = Engine::default();
        let module = Module::new(&engine, "(module (memory 1))").expect("compiles");
        let mut store = Store::new(&engine, ());
        Instance::new(&mut store, &module, &[]).expect("instantiates");
        let index = u32::try_from(store.inner.instances.len() - 1).expect("few instances");
        (store, InstanceIdx::from_u32(index))
    }

    /// Code for a frame of `num_slots` slots, threaded without verification.
    fn compiled(code: &[Instr], num_slots: u32) -> CompiledFunc {
        CompiledFunc {
            code: thread(code, vec![false; code.len()]),
            num_params: 0,
            num_locals: 0,
            num_slots,
            num_results: 0,
        }
    }

    /// Runs `func` from instruction `start` as the only frame, and returns the message of
    /// the panic this must end in.
    fn violation(func: &CompiledFunc, start: usize) -> String {
        let (mut store, instance) = store();
        let mut stack = Stack {
            cells: vec![0; func.num_slots as usize],
            frames: vec![Frame {
                func,
                ip: func.code.as_ptr().wrapping_add(start),
                fp: 0,
                instance,
                defined: DefinedFuncIdx::from_u32(0),
            }],
        };
        let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&mut store.inner, &mut stack)))
        else {
            panic!("a violated invariant must panic");
        };
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("weft internal error"), "{message}");
        message
    }

    #[test]
    fn an_instruction_pointer_past_the_code() {
        let func = compiled(&[Instr::Return0 {}], 1);
        assert!(violation(&func, 1).contains("(I3)"));
    }

    #[test]
    fn a_slot_outside_the_frame() {
        let func = compiled(
            &[
                Instr::Copy {
                    dst: s(7),
                    src: s(0),
                },
                Instr::Return0 {},
            ],
            2,
        );
        assert!(violation(&func, 0).contains("(I2)"));
    }

    #[test]
    fn br_table_targets_past_the_code() {
        let func = compiled(
            &[
                Instr::BrTable {
                    index: s(0),
                    len: 3,
                },
                Instr::Return0 {},
            ],
            1,
        );
        assert!(violation(&func, 0).contains("(I3)"));
    }

    #[test]
    fn a_handler_given_another_instruction() {
        let mut func = compiled(
            &[
                Instr::Const32 {
                    dst: s(0),
                    value: 1,
                },
                Instr::Return0 {},
            ],
            1,
        );
        let op: &mut Op = &mut func.code[0];
        op.handler = handler_for(&Instr::Copy {
            dst: s(0),
            src: s(0),
        });
        assert!(violation(&func, 0).contains("(I5)"));
    }

    #[test]
    fn an_accumulator_that_is_not_its_slot() {
        const A: Slot = s(0);
        // `thread` makes the addition read `A` from the accumulator, as `Const32` sets it;
        // the `Const32` is then redirected to another slot, so that `A` keeps 0 while the
        // accumulator carries 5.
        let mut func = compiled(
            &[
                Instr::Const32 { dst: A, value: 5 },
                Instr::I32AddImm {
                    dst: s(1),
                    lhs: A,
                    imm: 1,
                },
                Instr::Return0 {},
            ],
            2,
        );
        func.code[0].instr = Instr::Const32 {
            dst: s(1),
            value: 5,
        };
        let message = violation(&func, 0);
        assert!(message.contains("accumulator"), "{message}");
    }
}
