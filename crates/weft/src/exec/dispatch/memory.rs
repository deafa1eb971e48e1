//! The handlers of the accesses to memories other than memory 0 (multi-memory) and to
//! 64-bit memories (memory64).
//!
//! Memory 0 is the one whose base and length the handlers carry in machine registers, and
//! which the plain loads and stores address with 32 bits; the others are looked up in the
//! store at every access, and accessed through a bounds-checked slice with the address's
//! whole cell (an `i32` address is zero-extended in it). Each handler re-derives memory 0's
//! view afterwards, since the memory it accessed may be memory 0 itself, or memory 0
//! imported a second time.

use super::*;
use crate::ir::{LoadOp, StoreOp};

/// The `N` bytes at `ptr + offset` of `bytes`.
#[inline]
fn read<const N: usize>(bytes: &[u8], ptr: u64, offset: u32) -> Result<[u8; N], TrapCode> {
    ptr.checked_add(u64::from(offset))
        .and_then(|start| usize::try_from(start).ok())
        .and_then(|start| bytes.get(start..)?.first_chunk::<N>().copied())
        .ok_or(TrapCode::MemoryOutOfBounds)
}

/// Writes `value` at `ptr + offset` of `bytes` (nothing when out of bounds).
#[inline]
fn write<const N: usize>(
    bytes: &mut [u8],
    ptr: u64,
    offset: u32,
    value: [u8; N],
) -> Result<(), TrapCode> {
    let chunk = ptr
        .checked_add(u64::from(offset))
        .and_then(|start| usize::try_from(start).ok())
        .and_then(|start| bytes.get_mut(start..)?.first_chunk_mut::<N>())
        .ok_or(TrapCode::MemoryOutOfBounds)?;
    *chunk = value;
    Ok(())
}

/// Memory `memory` of the running instance.
#[inline]
pub(super) fn other_memory<'c>(cx: &'c mut Cx<'_>, memory: u16) -> Result<&'c mut [u8], TrapCode> {
    let memory = MemoryIdx::from_u32(u32::from(memory));
    match instance_memory(cx.inner, cx.instance, memory) {
        Some(memory) => Ok(memory),
        None => Err(TrapCode::InternalError),
    }
}

macro_rules! other_memory_ops {
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
        /// The load of [`LoadOp`] `op` at `ptr + offset` of `bytes`, as a cell.
        fn load_op(op: u8, bytes: &[u8], ptr: u64, offset: u32) -> Result<u64, TrapCode> {
            $(
                if op == LoadOp::$ld as u8 {
                    return read(bytes, ptr, offset).map(|b| wasm::$ldf(b).into_cell());
                }
            )*
            Err(TrapCode::InternalError)
        }

        /// The store of [`StoreOp`] `op` of the cell `value` at `ptr + offset` of `bytes`.
        fn store_op(
            op: u8,
            bytes: &mut [u8],
            ptr: u64,
            offset: u32,
            value: u64,
        ) -> Result<(), TrapCode> {
            $(
                if op == StoreOp::$st as u8 {
                    return write(bytes, ptr, offset, wasm::$stf(Cell::from_cell(value)));
                }
            )*
            Err(TrapCode::InternalError)
        }
    };
}
for_each_instr!(other_memory_ops);

handler!(MemorySizeMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, MemorySizeMem { dst, memory });
    // The memory's own page size: 64 KiB, or 1 byte (custom-page-sizes).
    let Some(pages) = instance_memory_entity(cx.inner, cx.instance, memory).map(|m| m.pages())
    else {
        return trap(cx, TrapCode::InternalError);
    };
    let (mem, mem_len) = memory_view(cx.inner, cx.instance);
    // SAFETY: (I1)–(I3), and (I4) was re-established.
    unsafe {
        set(regs, dst, pages);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(LoadMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, LoadMem { op, memory, dst, ptr, offset });
    // SAFETY: (I1) and (I2).
    let ptr = unsafe { get(regs, ptr) };
    let value = other_memory(cx, memory).and_then(|bytes| load_op(op, bytes, ptr, offset));
    let value = match value {
        Ok(value) => value,
        Err(code) => return trap(cx, code),
    };
    let (mem, mem_len) = memory_view(cx.inner, cx.instance);
    // SAFETY: (I1)–(I3), and (I4) was re-established.
    unsafe {
        set(regs, dst, value);
        next(ip.add(1), regs, mem, mem_len, cx, acc)
    }
});

handler!(StoreMem(ip, regs, mem, mem_len, cx, acc) {
    operands!(ip, StoreMem { op, memory, ptr, value, offset });
    // SAFETY: (I1) and (I2).
    let (ptr, value) = unsafe { (get(regs, ptr), get(regs, value)) };
    if let Err(code) =
        other_memory(cx, memory).and_then(|bytes| store_op(op, bytes, ptr, offset, value))
    {
        return trap(cx, code);
    }
    let (mem, mem_len) = memory_view(cx.inner, cx.instance);
    // SAFETY: (I1) and (I3), and (I4) was re-established.
    unsafe { next(ip.add(1), regs, mem, mem_len, cx, acc) }
});
