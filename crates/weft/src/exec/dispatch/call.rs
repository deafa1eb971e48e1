//! Calls and returns: the handlers of `return`, `call`, `call_indirect`, `call_ref`, the tail
//! calls `return_call`, `return_call_indirect` and `return_call_ref`, and their helpers, which
//! push, pop and replace frames on the value stack without recursing on the host stack.
//!
//! A tail call resolves its callee to a store function as the matching call does, then
//! takes one step, [`tail_call_store_func`]: a wasm callee's frame replaces the caller's
//! ([`tail_call_wasm`]), and a host callee is called in place of the caller, whose frame is
//! popped first, so that the host function's results go straight to the caller's caller
//! ([`tail_call_host`]).

use super::*;

handler!(Return0(ip, regs, mem, mem_len, cx, acc) {
    // SAFETY: (I1); slot 0 always exists.
    let slot0 = unsafe { get(regs, Slot::new(0)) };
    leave(slot0, mem, mem_len, cx)
});

handler!(Return1(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, Return1 { src });
    // SAFETY: (I1) and (I2); slot 0 always exists.
    let value = unsafe { get(regs, src) };
    // SAFETY: as above.
    unsafe { set(regs, Slot::new(0), value) };
    leave(value, mem, mem_len, cx)
});

handler!(Return1Acc(ip, regs, mem, mem_len, cx, acc) {
    // SAFETY: (I1); slot 0 always exists; the accumulator holds `src` (see `thread`).
    unsafe { set(regs, Slot::new(0), acc) };
    leave(acc, mem, mem_len, cx)
});

handler!(ReturnN(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ReturnN { start, count });
    // SAFETY: (I1); `verify` checked `start + count <= num_slots`; slot 0 always exists.
    let slot0 = unsafe {
        core::ptr::copy(regs.add(start.index()), regs, count as usize);
        get(regs, Slot::new(0))
    };
    leave(slot0, mem, mem_len, cx)
});

/// Pops the current frame and continues in the caller, or stops if it was the entry frame.
///
/// `slot0` is the value of the returning frame's slot 0, which is the caller's slot `base`
/// of the call: the caller continues with it as the accumulator (see [`thread`]).
#[inline(always)]
pub(super) fn leave(slot0: u64, mem: *mut u8, mem_len: usize, cx: &mut Cx<'_>) -> Flow {
    let frames = &mut cx.stack.frames;
    let len = frames.len();
    if len < 2 {
        return leave_entry(cx);
    }
    // SAFETY: `len >= 2`: the current frame is dropped and its caller is the new top.
    let caller = unsafe {
        frames.set_len(len - 1);
        *frames.as_ptr().add(len - 2)
    };
    enter(caller, mem, mem_len, cx, slot0)
}

/// Continues in `frame` (the new top frame), from a frame of the current instance whose
/// memory view is `mem`/`mem_len`.
#[inline(always)]
pub(super) fn enter(frame: Frame, mem: *mut u8, mem_len: usize, cx: &mut Cx<'_>, acc: u64) -> Flow {
    if frame.instance != cx.instance {
        return resume_instance(frame.ip, frame.fp, frame.instance, cx, acc);
    }
    resume(frame.ip, frame.fp, mem, mem_len, cx, acc)
}

/// The return of the entry frame (or of no frame at all, which cannot happen).
#[cold]
#[inline(never)]
pub(super) fn leave_entry(cx: &mut Cx<'_>) -> Flow {
    if cx.stack.frames.pop().is_none() {
        return trap(cx, TrapCode::InternalError);
    }
    // The entry frame's results stay in `cells[0..]` for `execute`.
    stop_return(cx)
}

/// Continues at `ip` in the frame at cell `fp` (the new top frame) of store instance
/// `instance`, another instance than the current one: the memory view, module and globals
/// change with it. (The frame's fields are passed one by one: a `Frame` passed by reference
/// would keep the handlers' calls from being jumps.)
#[cold]
#[inline(never)]
pub(super) fn resume_instance(
    ip: *const Op,
    fp: usize,
    instance: InstanceIdx,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    let (mem, mem_len) = memory_view(cx.inner, instance);
    cx.module = instance_module(cx.inner, instance);
    cx.global_map = instance_globals(cx.inner, instance);
    cx.instance = instance;
    resume(ip, fp, mem, mem_len, cx, acc)
}

/// Continues at `ip` in the frame at cell `fp` (the new top frame) of the current
/// instance, whose memory view is `mem`/`mem_len`.
#[inline(always)]
pub(super) fn resume(
    ip: *const Op,
    fp: usize,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    // SAFETY: `push_frame` made `cells` hold all of the frame's slots, and `cells` never
    // shrinks while frames are live, so (I1) holds for `regs`.
    let regs = unsafe { cx.stack.cells.as_mut_ptr().add(fp) };
    cx.fp = fp;
    // SAFETY: (I1) as above; (I3) `ip` is the frame's first instruction or the one after
    // the call it made; (I4) the view belongs to its instance.
    unsafe { next(ip, regs, mem, mem_len, cx, acc) }
}

/// Records where the current frame continues when it is resumed.
#[inline(always)]
pub(super) fn save_ip(cx: &mut Cx<'_>, ip: *const Op) {
    if let Some(top) = cx.stack.frames.last_mut() {
        top.ip = ip;
    }
}

/// Calls function `func_index` of store instance `instance` (a wasm function), whose
/// arguments start at slot `base` of the current frame; the caller continues at `ip + 1`.
/// A `CallInternal` keeps the callee's code for its later calls (see its fast path).
#[inline(always)]
pub(super) fn call_wasm(
    ip: *const Op,
    base: Slot,
    instance: InstanceIdx,
    func_index: FuncIdx,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
) -> Flow {
    // SAFETY: (I3): a call is never the last instruction.
    save_ip(cx, unsafe { ip.add(1) });
    let callee_fp = cx.fp + base.index();
    let budget = cx.stack_budget;
    if let Err(exit) = push_frame(cx.stack, cx.inner, instance, func_index, callee_fp, budget) {
        return stop(cx, exit);
    }
    let Some(&frame) = cx.stack.frames.last() else {
        return trap(cx, TrapCode::InternalError);
    };
    // SAFETY: (I3): `ip` points at a live `Op`.
    let op = unsafe { &*ip };
    if let Instr::CallInternal { .. } = op.instr {
        op.callee.store(frame.func.cast_mut(), Ordering::Release);
    }
    enter(frame, mem, mem_len, cx, 0)
}

/// Calls store function `func` with arguments at slot `base` of the current frame.
#[inline(always)]
pub(super) fn call_store_func(
    ip: *const Op,
    base: Slot,
    func: StoreFuncIdx,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
) -> Flow {
    match cx.inner.funcs.get(func) {
        Some(&FuncEntity::Wasm {
            instance, index, ..
        }) => call_wasm(ip, base, instance, index, mem, mem_len, cx),
        Some(FuncEntity::Host { host, ty, .. }) => {
            let (host, len) = (*host, ty.param_cells().max(ty.result_cells()));
            // SAFETY: (I3): a call is never the last instruction.
            save_ip(cx, unsafe { ip.add(1) });
            let base = cx.fp + base.index();
            stop_host(cx, host, base, len)
        }
        None => trap(cx, TrapCode::InternalError),
    }
}

handler!(CallInternal(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, CallInternal { func, base });
    // SAFETY: (I3): `ip` points at a live `Op`.
    let callee = unsafe { (*ip).callee.load(Ordering::Acquire) };
    // The same frame as `push_frame` makes, for a callee called before; anything unusual
    // (a first call, lazy translation, stack overflow, growing a stack) takes the general
    // path.
    if callee.is_null() {
        // SAFETY: the state is unchanged.
        return unsafe { call_internal_general(ip, regs, mem, mem_len, cx, acc) };
    }
    // SAFETY: a non-null `callee` was stored by `call_wasm` from the frame
    // `push_frame` made for this call's callee: code of the module that holds this `Op`,
    // which outlives it.
    let compiled = unsafe { &*callee };
    let callee_fp = cx.fp + base.index();
    let end = callee_fp + compiled.num_slots as usize;
    let stack = &mut *cx.stack;
    let depth = stack.frames.len();
    if stack.cells.len() < end
        || depth == stack.frames.capacity()
        || depth == 0
        || stack_bytes(end, depth + 1) > cx.stack_budget
    {
        // SAFETY: the state is unchanged.
        return unsafe { call_internal_general(ip, regs, mem, mem_len, cx, acc) };
    }
    // SAFETY: `cells` holds at least `end` cells, so the callee's frame is in bounds (I1)
    // (its `ZeroLocals` clears its locals). `depth >= 1` frames exist, the top one being the
    // caller, and `depth < capacity`.
    let (callee_regs, code) = unsafe {
        let callee_regs = stack.cells.as_mut_ptr().add(callee_fp);
        let frames = stack.frames.as_mut_ptr();
        // (I3): a call is never the last instruction.
        (*frames.add(depth - 1)).ip = ip.add(1);
        let code = compiled.code.as_ptr();
        frames.add(depth).write(Frame {
            func: compiled,
            ip: code,
            fp: callee_fp,
            instance: cx.instance,
            // The IR's `CallInternal` names a defined function.
            defined: func,
        });
        stack.frames.set_len(depth + 1);
        (callee_regs, code)
    };
    cx.fp = callee_fp;
    // SAFETY: (I1) as above; (I3) the callee starts at its first instruction; (I4) the
    // callee belongs to the same instance, so the memory view stays.
    unsafe { next(code, callee_regs, mem, mem_len, cx, 0) }
});

/// `CallInternal` through [`push_frame`], for the cases its fast path leaves out.
///
/// # Safety
///
/// As for any handler.
#[inline(never)]
pub(super) unsafe fn call_internal_general(
    ip: *const Op,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    let _ = (regs, acc);
    operands!(ip, CallInternal { func, base });
    let Some(entity) = cx.inner.instances.get(cx.instance) else {
        return trap(cx, TrapCode::InternalError);
    };
    // The IR's `CallInternal` names a defined function.
    let func_index = func.func_idx(entity.module.inner.info.num_imported_funcs);
    call_wasm(ip, base, cx.instance, func_index, mem, mem_len, cx)
}

/// The store function that function `func` of the running instance's index space is.
#[inline(always)]
fn imported_func(cx: &Cx<'_>, func: FuncIdx) -> Option<StoreFuncIdx> {
    cx.inner
        .instances
        .get(cx.instance)
        .and_then(|instance| instance.funcs.get(func).copied())
}

handler!(CallImported(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, CallImported { func, base });
    let _ = regs;
    let Some(store_func) = imported_func(cx, func) else {
        return trap(cx, TrapCode::InternalError);
    };
    call_store_func(ip, base, store_func, mem, mem_len, cx)
});

handler!(CallIndirect(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, CallIndirect { ty, table, index, base });
    // SAFETY: (I1) and (I2).
    let element = unsafe { get(regs, index) };
    match resolve_indirect(cx, ty, table, element) {
        Ok(func) => call_store_func(ip, base, func, mem, mem_len, cx),
        Err(code) => trap(cx, code),
    }
});

handler!(CallRef(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, CallRef { ty, func, base });
    // The validator checked the reference's type against `ty`: only null is left to check.
    let _ = ty;
    // SAFETY: (I1) and (I2).
    let reference = unsafe { get(regs, func) };
    match resolve_ref(reference) {
        Ok(func) => call_store_func(ip, base, func, mem, mem_len, cx),
        Err(code) => trap(cx, code),
    }
});

/// The store function that function reference `reference` (a frame cell) names, or the
/// trap of calling a null one: what `call_ref` (and a tail-calling `return_call_ref`)
/// call. An index beyond the store's functions is caught by the caller's lookup.
#[inline(always)]
pub(super) fn resolve_ref(reference: u64) -> Result<StoreFuncIdx, TrapCode> {
    // A non-null reference is a store function index plus one (see `store`).
    let func = reference
        .checked_sub(1)
        .ok_or(TrapCode::NullFunctionReference)?;
    u32::try_from(func)
        .map(StoreFuncIdx::from_u32)
        .map_err(|_| TrapCode::InternalError)
}

/// The store function of element `element` of table `table`, checked against type `ty`.
#[inline(always)]
pub(super) fn resolve_indirect(
    cx: &Cx<'_>,
    ty: TypeIdx,
    table: TableIdx,
    element: u64,
) -> Result<StoreFuncIdx, TrapCode> {
    let inner = &*cx.inner;
    let instance = inner
        .instances
        .get(cx.instance)
        .ok_or(TrapCode::InternalError)?;
    let table = *instance.tables.get(table).ok_or(TrapCode::InternalError)?;
    let expected = *instance
        .module
        .inner
        .info
        .sig_ids
        .get(ty)
        .ok_or(TrapCode::InternalError)?;
    let table = inner.tables.get(table).ok_or(TrapCode::InternalError)?;
    // The index is an `i64` for a 64-bit table (table64), an `i32` otherwise.
    let element = super::super::table_operand(element, table.ty.is_64());
    let reference = *usize::try_from(element)
        .ok()
        .and_then(|element| table.elements.get(element))
        .ok_or(TrapCode::UndefinedElement)?;
    let func = reference
        .checked_sub(1)
        .ok_or(TrapCode::IndirectCallToNull)?;
    // A non-null reference is a store function index plus one (see `store`).
    let func = StoreFuncIdx::from_u32(func as u32);
    let entity = inner.funcs.get(func).ok_or(TrapCode::InternalError)?;
    if entity.sig() != expected {
        return Err(TrapCode::BadSignature);
    }
    Ok(func)
}

handler!(ReturnCallInternal(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ReturnCallInternal { func, base });
    // SAFETY: (I3): `ip` points at a live `Op`.
    let callee = unsafe { (*ip).callee.load(Ordering::Acquire) };
    // The same frame as `replace_frame` makes, for a callee called before (as in
    // `CallInternal`); anything unusual takes the general path.
    if callee.is_null() {
        // SAFETY: the state is unchanged.
        return unsafe { return_call_internal_general(ip, regs, mem, mem_len, cx, acc) };
    }
    // SAFETY: a non-null `callee` was stored by `return_call_internal_general` from the
    // frame `replace_frame` made for this call's callee: code of the module that holds
    // this `Op`, which outlives it.
    let compiled = unsafe { &*callee };
    let fp = cx.fp;
    let end = fp + compiled.num_slots as usize;
    let args = fp + base.index();
    let params = compiled.num_params as usize;
    let stack = &mut *cx.stack;
    let depth = stack.frames.len();
    if stack.cells.len() < end.max(args + params)
        || depth == 0
        || stack_bytes(end, depth) > cx.stack_budget
    {
        // SAFETY: the state is unchanged.
        return unsafe { return_call_internal_general(ip, regs, mem, mem_len, cx, acc) };
    }
    // SAFETY: `cells` holds at least `end` cells, so the callee's frame, which starts where
    // the current one does, is in bounds (I1) (its `ZeroLocals` clears its locals), and
    // the arguments `args..args + params` are in bounds too (`copy` allows the overlap).
    // `depth >= 1` frames exist, the top one being the current frame, which the callee's
    // replaces.
    let code = unsafe {
        let cells = stack.cells.as_mut_ptr();
        core::ptr::copy(cells.add(args), cells.add(fp), params);
        let code = compiled.code.as_ptr();
        stack.frames.as_mut_ptr().add(depth - 1).write(Frame {
            func: compiled,
            ip: code,
            fp,
            instance: cx.instance,
            // The IR's `ReturnCallInternal` names a defined function.
            defined: func,
        });
        code
    };
    // SAFETY: (I1): `regs` is still the frame's first cell, `cells` was not resized; (I3) the
    // callee starts at its first instruction; (I4) the callee belongs to the same
    // instance, so the memory view stays.
    unsafe { next(code, regs, mem, mem_len, cx, 0) }
});

/// `ReturnCallInternal` through [`replace_frame`], for the cases its fast path leaves out;
/// keeps the callee's code for the fast path.
///
/// # Safety
///
/// As for any handler.
#[inline(never)]
unsafe fn return_call_internal_general(
    ip: *const Op,
    regs: *mut u64,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
    acc: u64,
) -> Flow {
    let _ = (regs, acc);
    operands!(ip, ReturnCallInternal { func, base });
    let Some(entity) = cx.inner.instances.get(cx.instance) else {
        return trap(cx, TrapCode::InternalError);
    };
    // The IR's `ReturnCallInternal` names a defined function.
    let func_index = func.func_idx(entity.module.inner.info.num_imported_funcs);
    let budget = cx.stack_budget;
    if let Err(exit) = replace_frame(cx.stack, cx.inner, cx.instance, func_index, base, budget) {
        return stop(cx, exit);
    }
    let Some(&frame) = cx.stack.frames.last() else {
        return trap(cx, TrapCode::InternalError);
    };
    // SAFETY: (I3): `ip` points at a live `Op`.
    unsafe { (*ip).callee.store(frame.func.cast_mut(), Ordering::Release) };
    enter(frame, mem, mem_len, cx, 0)
}

handler!(ReturnCallImported(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ReturnCallImported { func, base });
    let Some(store_func) = imported_func(cx, func) else {
        return trap(cx, TrapCode::InternalError);
    };
    tail_call_store_func(base, store_func, mem, mem_len, cx)
});

handler!(ReturnCallIndirect(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ReturnCallIndirect { ty, table, index, base });
    // SAFETY: (I1) and (I2); read before the arguments move over it.
    let element = unsafe { get(regs, index) };
    match resolve_indirect(cx, ty, table, element) {
        Ok(func) => tail_call_store_func(base, func, mem, mem_len, cx),
        Err(code) => trap(cx, code),
    }
});

handler!(ReturnCallRef(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, ReturnCallRef { ty, func, base });
    // As for `CallRef`, the validator checked the reference's type against `ty`.
    let _ = ty;
    // SAFETY: (I1) and (I2); read before the arguments move over it.
    let reference = unsafe { get(regs, func) };
    match resolve_ref(reference) {
        Ok(func) => tail_call_store_func(base, func, mem, mem_len, cx),
        Err(code) => trap(cx, code),
    }
});

/// Tail-calls store function `func`, whose arguments start at slot `base` of the current
/// frame: the step every tail call takes once it has found its callee.
#[inline(always)]
pub(super) fn tail_call_store_func(
    base: Slot,
    func: StoreFuncIdx,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
) -> Flow {
    match cx.inner.funcs.get(func) {
        Some(&FuncEntity::Wasm {
            instance, index, ..
        }) => tail_call_wasm(base, instance, index, mem, mem_len, cx),
        Some(FuncEntity::Host { host, ty, .. }) => {
            let (host, params, len) = (
                *host,
                ty.param_cells(),
                ty.param_cells().max(ty.result_cells()),
            );
            tail_call_host(base, host, params, len, cx)
        }
        None => trap(cx, TrapCode::InternalError),
    }
}

/// Tail-calls function `func_index` of store instance `instance` (a wasm function), whose
/// arguments start at slot `base` of the current frame: its frame replaces the current one
/// (see [`replace_frame`]), and it returns to the current frame's caller.
#[inline(always)]
pub(super) fn tail_call_wasm(
    base: Slot,
    instance: InstanceIdx,
    func_index: FuncIdx,
    mem: *mut u8,
    mem_len: usize,
    cx: &mut Cx<'_>,
) -> Flow {
    let budget = cx.stack_budget;
    if let Err(exit) = replace_frame(cx.stack, cx.inner, instance, func_index, base, budget) {
        return stop(cx, exit);
    }
    let Some(&frame) = cx.stack.frames.last() else {
        return trap(cx, TrapCode::InternalError);
    };
    enter(frame, mem, mem_len, cx, 0)
}

/// Tail-calls host function `host`, which takes `params` cells from slot `base` of the
/// current frame and uses `len` cells: the arguments move to the frame's slot 0, the frame
/// is popped, and the driver calls the host function there, so that its results land where
/// the caller of the current frame expects the current frame's (or, for the entry frame,
/// where the run's results go). Its caller then resumes as after a call.
#[cold]
#[inline(never)]
fn tail_call_host(
    base: Slot,
    host: HostFuncIdx,
    params: usize,
    len: usize,
    cx: &mut Cx<'_>,
) -> Flow {
    let fp = cx.fp;
    if let Err(exit) = move_args(cx.stack, fp, base, params) {
        return stop(cx, Box::new(exit));
    }
    cx.stack.frames.pop();
    stop_host(cx, host, fp, len)
}
