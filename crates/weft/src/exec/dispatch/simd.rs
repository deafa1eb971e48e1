//! The handlers of the `v128` instructions.
//!
//! A `v128` lives in two consecutive cells of the frame ([`VSlot`]: low 64 bits first). Each
//! table operator of `simd::for_each_simd_op!` and each `V128Load` kind has a handler of its
//! own with its lane function inlined, which [`simd_handler`] picks by the instruction's `op`
//! when code is threaded (`ir::verify` has checked that the `op` names one). Lane accesses
//! select their function by `op` at run time. The accumulator is not used by these
//! instructions.

use super::*;
use crate::exec::simd::{self, V128};
use crate::ir::VSlot;

/// Reads the `v128` at `slot`.
///
/// The two cells are read through one pointer and its successor, so that the compiler sees
/// consecutive accesses and can use one vector load for a lane operation.
///
/// # Safety
///
/// (I1) and (I2) for both cells of `slot` (which `verify` checks for every `VSlot`).
#[inline(always)]
unsafe fn get_v128(regs: *mut u64, slot: VSlot) -> V128 {
    // SAFETY: guaranteed by the caller: `slot.hi()` is the cell after `slot.lo()`, and both
    // are in the frame.
    unsafe {
        let cells = regs.add(slot.lo().index());
        V128::from_cells(cells.read(), cells.add(1).read())
    }
}

/// Writes the `v128` at `slot`.
///
/// # Safety
///
/// As [`get_v128`].
#[inline(always)]
unsafe fn set_v128(regs: *mut u64, slot: VSlot, value: V128) {
    // SAFETY: guaranteed by the caller, as for `get_v128`.
    unsafe {
        let [lo, hi] = value.to_cells();
        let cells = regs.add(slot.lo().index());
        cells.write(lo);
        cells.add(1).write(hi);
    }
}

/// Defines the handlers that [`handler_for`] gives the instructions whose handler
/// [`simd_handler`] chooses by their `op`: `verify` rejects an `op` without a handler, so these
/// run only if that check was bypassed, and trap as an internal error.
macro_rules! per_op_stubs {
    ($($name:ident)*) => {
        $(
            handler!($name(ip, regs, mem, mem_len, cx, acc) {
                trap(cx, TrapCode::InternalError)
            });
        )*
    };
}

per_op_stubs!(V128Unary V128Binary V128Ternary V128Shift V128Splat V128Test V128Load);

handler!(V128Extract(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128Extract { op, dst, src, lane });
    let Some(f) = simd::EXTRACT.get(usize::from(op)) else {
        return trap(cx, TrapCode::InternalError);
    };
    // SAFETY: (I1)–(I5).
    unsafe {
        set(regs, dst, f(get_v128(regs, src), lane));
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128Replace(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128Replace { op, dst, src, value, lane });
    let Some(f) = simd::REPLACE.get(usize::from(op)) else {
        return trap(cx, TrapCode::InternalError);
    };
    // SAFETY: (I1)–(I5).
    unsafe {
        let result = f(get_v128(regs, src), lane, get(regs, value));
        set_v128(regs, dst, result);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128Shuffle(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128Shuffle { dst, lhs, rhs, lanes });
    // SAFETY: (I1)–(I5).
    unsafe {
        let lanes = get_v128(regs, lanes).0.to_le_bytes();
        let value = simd::i8x16_shuffle(get_v128(regs, lhs), get_v128(regs, rhs), lanes);
        set_v128(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

/// Reads `N` bytes at `ptr + offset` and converts them with `f`, or `None` when out of bounds.
///
/// # Safety
///
/// (I4).
#[inline(always)]
unsafe fn load_with<const N: usize>(
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    f: fn([u8; N]) -> V128,
) -> Option<V128> {
    // SAFETY: guaranteed by the caller.
    unsafe { read_memory::<N>(mem, mem_len, ptr, offset) }.map(f)
}

/// `v128.load` of kind `op` at `ptr + offset` of the memory `mem`/`mem_len`.
///
/// # Safety
///
/// `mem`/`mem_len` describe a live memory buffer, as (I4) for memory 0.
#[inline(always)]
unsafe fn v128_load(
    op: u16,
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
) -> Result<V128, TrapCode> {
    use simd::V128Load as L;
    // SAFETY: guaranteed by the caller.
    let value = unsafe {
        match simd::V128Load::ALL.get(usize::from(op)) {
            Some(L::Full) => load_with(mem, mem_len, ptr, offset, simd::from_bytes),
            Some(L::Load8x8S) => load_with(mem, mem_len, ptr, offset, simd::load8x8_s),
            Some(L::Load8x8U) => load_with(mem, mem_len, ptr, offset, simd::load8x8_u),
            Some(L::Load16x4S) => load_with(mem, mem_len, ptr, offset, simd::load16x4_s),
            Some(L::Load16x4U) => load_with(mem, mem_len, ptr, offset, simd::load16x4_u),
            Some(L::Load32x2S) => load_with(mem, mem_len, ptr, offset, simd::load32x2_s),
            Some(L::Load32x2U) => load_with(mem, mem_len, ptr, offset, simd::load32x2_u),
            Some(L::Splat8) => load_with(mem, mem_len, ptr, offset, simd::load8_splat),
            Some(L::Splat16) => load_with(mem, mem_len, ptr, offset, simd::load16_splat),
            Some(L::Splat32) => load_with(mem, mem_len, ptr, offset, simd::load32_splat),
            Some(L::Splat64) => load_with(mem, mem_len, ptr, offset, simd::load64_splat),
            Some(L::Zero32) => load_with(mem, mem_len, ptr, offset, simd::load32_zero),
            Some(L::Zero64) => load_with(mem, mem_len, ptr, offset, simd::load64_zero),
            None => return Err(TrapCode::InternalError),
        }
    };
    value.ok_or(TrapCode::MemoryOutOfBounds)
}

/// `v128.store` of `value` at `ptr + offset` of the memory `mem`/`mem_len`.
///
/// # Safety
///
/// As [`v128_load`].
#[inline(always)]
unsafe fn v128_store(
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    value: V128,
) -> Result<(), TrapCode> {
    // SAFETY: guaranteed by the caller.
    if unsafe { write_memory(mem, mem_len, ptr, offset, simd::to_bytes(value)) } {
        Ok(())
    } else {
        Err(TrapCode::MemoryOutOfBounds)
    }
}

/// `v128.loadN_lane` (`N` = `8 << op`) into lane `lane` of `a`, from `ptr + offset` of the
/// memory `mem`/`mem_len`.
///
/// # Safety
///
/// As [`v128_load`].
#[inline(always)]
unsafe fn v128_load_lane(
    op: u8,
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    a: V128,
    lane: u8,
) -> Result<V128, TrapCode> {
    // SAFETY: guaranteed by the caller.
    let value = unsafe {
        match op {
            0 => load_lane::<1>(mem, mem_len, ptr, offset, a, lane),
            1 => load_lane::<2>(mem, mem_len, ptr, offset, a, lane),
            2 => load_lane::<4>(mem, mem_len, ptr, offset, a, lane),
            3 => load_lane::<8>(mem, mem_len, ptr, offset, a, lane),
            _ => return Err(TrapCode::InternalError),
        }
    };
    value.ok_or(TrapCode::MemoryOutOfBounds)
}

/// `v128.storeN_lane` (`N` = `8 << op`) of lane `lane` of `a` at `ptr + offset` of the
/// memory `mem`/`mem_len`.
///
/// # Safety
///
/// As [`v128_load`].
#[inline(always)]
unsafe fn v128_store_lane(
    op: u8,
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    a: V128,
    lane: u8,
) -> Result<(), TrapCode> {
    // SAFETY: guaranteed by the caller.
    let ok = unsafe {
        match op {
            0 => write_memory(mem, mem_len, ptr, offset, simd::store_lane::<1>(a, lane)),
            1 => write_memory(mem, mem_len, ptr, offset, simd::store_lane::<2>(a, lane)),
            2 => write_memory(mem, mem_len, ptr, offset, simd::store_lane::<4>(a, lane)),
            3 => write_memory(mem, mem_len, ptr, offset, simd::store_lane::<8>(a, lane)),
            _ => return Err(TrapCode::InternalError),
        }
    };
    if ok {
        Ok(())
    } else {
        Err(TrapCode::MemoryOutOfBounds)
    }
}

/// Runs `access` on the base and length of memory `memory` of the running instance (not
/// memory 0), then re-derives memory 0's view, which may be the same memory imported twice:
/// what `access` gave with that view, or the trap.
#[inline]
fn with_other_memory<T>(
    cx: &mut Cx<'_>,
    memory: u16,
    access: impl FnOnce(*mut u8, usize) -> Result<T, TrapCode>,
) -> Result<(T, *mut u8, usize), TrapCode> {
    let bytes = super::memory::other_memory(cx, memory)?;
    let value = access(bytes.as_mut_ptr(), bytes.len())?;
    let (mem, mem_len) = memory_view(cx.inner, cx.instance);
    Ok((value, mem, mem_len))
}

/// The address in `cell` (an `i32` zero-extended, or an `i64`) as a 32-bit one, or
/// `MemoryOutOfBounds` when it is beyond 4 GiB, the largest memory.
#[inline]
fn address32(cell: u64) -> Result<u32, TrapCode> {
    u32::try_from(cell).map_err(|_| TrapCode::MemoryOutOfBounds)
}

handler!(V128Store(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128Store { ptr, value, offset });
    // SAFETY: (I1)–(I5).
    unsafe {
        let value = get_v128(regs, value);
        if let Err(code) = v128_store(mem, mem_len, get(regs, ptr) as u32, offset, value) {
            return trap(cx, code);
        }
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

/// Loads lane `lane` of `N` bytes into `a`, or `None` when out of bounds.
///
/// # Safety
///
/// (I4).
#[inline(always)]
unsafe fn load_lane<const N: usize>(
    mem: *mut u8,
    mem_len: usize,
    ptr: u32,
    offset: u32,
    a: V128,
    lane: u8,
) -> Option<V128> {
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { read_memory::<N>(mem, mem_len, ptr, offset) }?;
    Some(simd::load_lane(a, lane, bytes))
}

handler!(V128LoadLane(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128LoadLane { op, dst, ptr, src, lane, offset });
    // SAFETY: (I1)–(I5).
    unsafe {
        let ptr = get(regs, ptr) as u32;
        let a = get_v128(regs, src);
        let value = match v128_load_lane(op, mem, mem_len, ptr, offset, a, lane) {
            Ok(value) => value,
            Err(code) => return trap(cx, code),
        };
        set_v128(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128StoreLane(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128StoreLane { op, ptr, value, lane, offset });
    // SAFETY: (I1)–(I5).
    unsafe {
        let ptr = get(regs, ptr) as u32;
        let a = get_v128(regs, value);
        if let Err(code) = v128_store_lane(op, mem, mem_len, ptr, offset, a, lane) {
            return trap(cx, code);
        }
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

// The accesses to memories other than 0 go through `with_other_memory`: the view they use is
// derived just before (nothing else touches the memory meanwhile), and memory 0's view is
// re-derived after.

handler!(V128LoadMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128LoadMem { op, memory, dst, ptr, offset });
    // SAFETY: (I1) and (I2); `base`/`len` describe the live buffer of memory `memory`.
    let loaded = with_other_memory(cx, memory, |base, len| unsafe {
        address32(get(regs, ptr)).and_then(|ptr| v128_load(op, base, len, ptr, offset))
    });
    let (value, mem, mem_len) = match loaded {
        Ok(loaded) => loaded,
        Err(code) => return trap(cx, code),
    };
    // SAFETY: (I1)–(I3), and (I4) was re-established.
    unsafe {
        set_v128(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128StoreMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128StoreMem { memory, ptr, value, offset });
    // SAFETY: (I1) and (I2); `base`/`len` describe the live buffer of memory `memory`.
    let stored = with_other_memory(cx, memory, |base, len| unsafe {
        let value = get_v128(regs, value);
        address32(get(regs, ptr)).and_then(|ptr| v128_store(base, len, ptr, offset, value))
    });
    let ((), mem, mem_len) = match stored {
        Ok(stored) => stored,
        Err(code) => return trap(cx, code),
    };
    // SAFETY: (I1) and (I3), and (I4) was re-established.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(V128LoadLaneMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128LoadLaneMem { op, memory, dst, ptr, src, lane, offset });
    // SAFETY: (I1) and (I2); `base`/`len` describe the live buffer of memory `memory`.
    let loaded = with_other_memory(cx, memory, |base, len| unsafe {
        let a = get_v128(regs, src);
        address32(get(regs, ptr))
            .and_then(|ptr| v128_load_lane(op, base, len, ptr, offset, a, lane))
    });
    let (value, mem, mem_len) = match loaded {
        Ok(loaded) => loaded,
        Err(code) => return trap(cx, code),
    };
    // SAFETY: (I1)–(I3), and (I4) was re-established.
    unsafe {
        set_v128(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128StoreLaneMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128StoreLaneMem { op, memory, ptr, value, lane, offset });
    // SAFETY: (I1) and (I2); `base`/`len` describe the live buffer of memory `memory`.
    let stored = with_other_memory(cx, memory, |base, len| unsafe {
        let a = get_v128(regs, value);
        address32(get(regs, ptr))
            .and_then(|ptr| v128_store_lane(op, base, len, ptr, offset, a, lane))
    });
    let ((), mem, mem_len) = match stored {
        Ok(stored) => stored,
        Err(code) => return trap(cx, code),
    };
    // SAFETY: (I1) and (I3), and (I4) was re-established.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

handler!(V128GlobalGet(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128GlobalGet { dst, global });
    let Some(entity) = global_entity(cx, global) else {
        return trap(cx, TrapCode::InternalError);
    };
    let value = V128::from_cells(entity.value, entity.hi);
    // SAFETY: (I1)–(I5).
    unsafe {
        set_v128(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(V128GlobalSet(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, V128GlobalSet { src, global });
    // SAFETY: (I1) and (I2).
    let value = unsafe { get_v128(regs, src) };
    let Some(entity) = global_entity(cx, global) else {
        return trap(cx, TrapCode::InternalError);
    };
    [entity.value, entity.hi] = value.to_cells();
    // SAFETY: (I3).
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});

/// Defines the handler `$name` of one table operator of shape `$shape`, whose lane function
/// `$f` (of type `$ty`) is inlined into it.
macro_rules! shape_handler {
    (Unary, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Unary { op, dst, src });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5); the instruction writes only `dst`'s cells.
            unsafe {
                set_v128(regs, dst, f(get_v128(regs, src)));
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
    (Binary, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Binary { op, dst, lhs, rhs });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5).
            unsafe {
                set_v128(regs, dst, f(get_v128(regs, lhs), get_v128(regs, rhs)));
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
    (Ternary, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Ternary { op, dst, a, b, c });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5).
            unsafe {
                let value = f(get_v128(regs, a), get_v128(regs, b), get_v128(regs, c));
                set_v128(regs, dst, value);
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
    (Shift, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Shift { op, dst, lhs, count });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5).
            unsafe {
                set_v128(regs, dst, f(get_v128(regs, lhs), get(regs, count) as u32));
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
    (Splat, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Splat { op, dst, src });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5).
            unsafe {
                set_v128(regs, dst, f(get(regs, src)));
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
    (Test, $name:ident, $ty:ty, $f:expr) => {
        handler!($name(ip, regs, mem, mem_len, cx, acc) {
            operands!(ip, V128Test { op, dst, src });
            let f: $ty = $f;
            // SAFETY: (I1)–(I5).
            unsafe {
                set(regs, dst, u64::from(f(get_v128(regs, src))));
                next(ip.add(1), regs, mem, mem_len, cx, acc)
            }
        });
    };
}

/// The per-operator handlers of each shape, indexed by the instruction's `op`.
macro_rules! shape_table {
    (Unary, $handlers:tt) => {
        static UNARY_HANDLERS: &[Handler] = &$handlers;
    };
    (Binary, $handlers:tt) => {
        static BINARY_HANDLERS: &[Handler] = &$handlers;
    };
    (Ternary, $handlers:tt) => {
        static TERNARY_HANDLERS: &[Handler] = &$handlers;
    };
    (Shift, $handlers:tt) => {
        static SHIFT_HANDLERS: &[Handler] = &$handlers;
    };
    (Splat, $handlers:tt) => {
        static SPLAT_HANDLERS: &[Handler] = &$handlers;
    };
    (Test, $handlers:tt) => {
        static TEST_HANDLERS: &[Handler] = &$handlers;
    };
}

/// One handler per table operator (`simd::for_each_simd_op!`), so that an operator costs
/// its lane function inlined rather than an indirect call, and the tables of them.
macro_rules! simd_handlers {
    ($( $table:ident: $ty:ty => $shape:ident { $($op:ident => $f:expr,)* } )*) => {
        /// The handlers of the table operators, named after them.
        mod per_op {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use crate::exec::simd::*;
            $( $( shape_handler!($shape, $op, $ty, $f); )* )*
        }
        $( shape_table!($shape, [$(per_op::$op),*]); )*
    };
}

simd::for_each_simd_op!(simd_handlers);

/// The per-operator handler of a SIMD instruction of the table shapes, or of a `V128Load`;
/// `None` for other instructions and for an `op` out of range (which `verify` rejects).
pub(super) fn simd_handler(instr: &Instr) -> Option<Handler> {
    let (table, op) = match *instr {
        Instr::V128Unary { op, .. } => (UNARY_HANDLERS, op),
        Instr::V128Binary { op, .. } => (BINARY_HANDLERS, op),
        Instr::V128Ternary { op, .. } => (TERNARY_HANDLERS, op),
        Instr::V128Shift { op, .. } => (SHIFT_HANDLERS, op),
        Instr::V128Splat { op, .. } => (SPLAT_HANDLERS, op),
        Instr::V128Test { op, .. } => (TEST_HANDLERS, op),
        Instr::V128Load { op, .. } => {
            return simd::V128Load::ALL
                .get(usize::from(op))
                .map(|&kind| load_handler(kind));
        }
        _ => return None,
    };
    table.get(usize::from(op)).copied()
}

/// Defines one handler per `V128Load` kind, and their table in `op` order.
macro_rules! load_handlers {
    ($($name:ident = $f:path,)*) => {
        /// The handlers of the `V128Load` kinds.
        mod per_load {
            use super::*;
            $(
                handler!($name(ip, regs, mem, mem_len, cx, acc) {
                    operands!(ip, V128Load { op, dst, ptr, offset });
                    // SAFETY: (I1)–(I5).
                    unsafe {
                        let ptr = get(regs, ptr) as u32;
                        let Some(value) = load_with(mem, mem_len, ptr, offset, $f) else {
                            return trap(cx, TrapCode::MemoryOutOfBounds);
                        };
                        set_v128(regs, dst, value);
                        next(ip.add(1), regs, mem, mem_len, cx, acc)
                    }
                });
            )*
        }
        /// The handler of the `V128Load` of kind `kind`.
        fn load_handler(kind: simd::V128Load) -> Handler {
            match kind {
                $( simd::V128Load::$name => per_load::$name, )*
            }
        }
    };
}

load_handlers! {
    Full = simd::from_bytes,
    Load8x8S = simd::load8x8_s,
    Load8x8U = simd::load8x8_u,
    Load16x4S = simd::load16x4_s,
    Load16x4U = simd::load16x4_u,
    Load32x2S = simd::load32x2_s,
    Load32x2U = simd::load32x2_u,
    Splat8 = simd::load8_splat,
    Splat16 = simd::load16_splat,
    Splat32 = simd::load32_splat,
    Splat64 = simd::load64_splat,
    Zero32 = simd::load32_zero,
    Zero64 = simd::load64_zero,
}
