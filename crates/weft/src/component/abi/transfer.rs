//! Fused lift-and-lower between two component instances, without [`Val`](crate::component::Val)s.
//!
//! When one component calls a function another exports, the spec's semantics are
//! `canon_lower(canon_lift(f))`: the arguments are lifted from the caller and lowered into the
//! callee, the results the other way ([CanonicalABI.md, "`canon
//! lower`"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#canon-lower)).
//! This module does both in one walk over the type, from the source's flat values or memory
//! straight into the destination's: integers are copied, lists of integers are copied as bytes,
//! strings are decoded once and stored with the source's encoding and length, so that the
//! destination's `realloc` sees exactly the calls the spec makes for each of the nine pairs of
//! encodings, and handles move from one instance's table to the other's. Every check of
//! lifting is made (`char`, discriminants, strings, bounds, handles), and every trap is the one
//! lifting or lowering raises.
//!
//! The runtime implements [`TransferContext`], a view of both instances at once (both live in
//! one store); the functions here switch between them without holding either side's memory
//! across a call of the destination's `realloc`.

use super::flat::{CoerceValueIter, FlatValues, flags_words};
use super::layout::{
    Cases, alignment, alignment_record, discriminant_type, elem_size, elem_size_flags,
    elem_size_record, flat_count, payload_offset, variant_flat,
};
use super::lift::{canonicalize_nan32, canonicalize_nan64, convert_i32_to_char};
use super::strings::{StringSource, reallocate, write};
use super::{
    LiftContext, LowerContext, MAX_LIST_BYTE_LENGTH, StringEncoding, align_to, check_range,
    load_string_from_range, store_string_into_range, with_stack_for,
};
use crate::component::resources::HandleTable;
use crate::component::types::{ResourceType, Type};
use crate::error::Result;
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

/// Both sides of a call between two component instances: the source values are lifted from
/// and the destination they are lowered into.
///
/// The contract of each side is that of [`LiftContext`] and [`LowerContext`]: the memories
/// are returned as they are now, and the destination's `realloc` may move or grow its memory.
pub trait TransferContext {
    /// The source instance's memory.
    fn src_memory(&self) -> &[u8];
    /// The source's `string-encoding`.
    fn src_encoding(&self) -> StringEncoding;
    /// The source instance's handle table.
    fn src_handles(&mut self) -> &mut HandleTable;

    /// The destination instance's memory.
    fn dst_memory(&self) -> &[u8];
    /// The destination instance's memory, writable.
    fn dst_memory_mut(&mut self) -> &mut [u8];
    /// The destination's `string-encoding`.
    fn dst_encoding(&self) -> StringEncoding;
    /// The destination instance's handle table.
    fn dst_handles(&mut self) -> &mut HandleTable;
    /// Whether the destination instance defines resource type `ty` (see
    /// [`LiftContext::implements`]).
    fn dst_implements(&self, ty: &ResourceType) -> bool;
    /// Calls the destination's `realloc` (see [`LowerContext::realloc`]).
    ///
    /// # Errors
    ///
    /// Whatever the call raises.
    fn dst_realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32>;
}

/// The source side of a [`TransferContext`] as a [`LiftContext`].
struct Src<'a, T: ?Sized>(&'a mut T);

impl<T: TransferContext + ?Sized> LiftContext for Src<'_, T> {
    fn memory(&self) -> &[u8] {
        self.0.src_memory()
    }
    fn string_encoding(&self) -> StringEncoding {
        self.0.src_encoding()
    }
    fn handles(&mut self) -> &mut HandleTable {
        self.0.src_handles()
    }
}

/// The destination side of a [`TransferContext`] as a [`LowerContext`].
struct Dst<'a, T: ?Sized>(&'a mut T);

impl<T: TransferContext + ?Sized> LiftContext for Dst<'_, T> {
    fn memory(&self) -> &[u8] {
        self.0.dst_memory()
    }
    fn string_encoding(&self) -> StringEncoding {
        self.0.dst_encoding()
    }
    fn handles(&mut self) -> &mut HandleTable {
        self.0.dst_handles()
    }
    fn implements(&self, ty: &ResourceType) -> bool {
        self.0.dst_implements(ty)
    }
}

impl<T: TransferContext + ?Sized> LowerContext for Dst<'_, T> {
    fn memory_mut(&mut self) -> &mut [u8] {
        self.0.dst_memory_mut()
    }
    fn realloc(&mut self, old_ptr: u32, old_size: u32, align: u32, new_size: u32) -> Result<u32> {
        self.0.dst_realloc(old_ptr, old_size, align, new_size)
    }
}

/// Where a value is read from.
enum From<'v> {
    /// The source's flat values.
    Flat(&'v mut dyn FlatValues),
    /// The source's memory at this (checked) address.
    Memory(u32),
}

/// Where a value is written to.
enum Into<'o> {
    /// Appended to the destination's flat values.
    Flat(&'o mut Vec<u64>),
    /// The destination's memory at this (checked) address.
    Memory(u32),
}

fn offset(ptr: u32, offset: u32) -> Result<u32> {
    ptr.checked_add(offset)
        .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
}

impl From<'_> {
    /// The next scalar: a flat value of type `flat`, or `size` bytes little-endian at `at`
    /// bytes past the address.
    fn scalar<T: TransferContext + ?Sized>(
        &mut self,
        cx: &T,
        flat: ValType,
        size: u32,
        at: u32,
    ) -> Result<u64> {
        match self {
            From::Flat(values) => values.next(flat),
            From::Memory(ptr) => {
                let start = offset(*ptr, at)? as usize;
                let bytes = cx
                    .src_memory()
                    .get(start..)
                    .and_then(|m| m.get(..size as usize))
                    .ok_or(TrapCode::PointerOutOfBounds)?;
                let mut le = [0u8; 8];
                le.get_mut(..bytes.len())
                    .ok_or(TrapCode::InternalError)?
                    .copy_from_slice(bytes);
                Ok(u64::from_le_bytes(le))
            }
        }
    }

    /// The source of a part of this value that starts `at` bytes into it.
    fn part(&mut self, at: u32) -> Result<From<'_>> {
        Ok(match self {
            From::Flat(values) => From::Flat(&mut **values),
            From::Memory(ptr) => From::Memory(offset(*ptr, at)?),
        })
    }
}

impl Into<'_> {
    /// Writes a scalar: a flat cell, or its low `size` bytes little-endian `at` bytes past the
    /// address.
    fn scalar<T: TransferContext + ?Sized>(
        &mut self,
        cx: &mut T,
        value: u64,
        size: u32,
        at: u32,
    ) -> Result<()> {
        match self {
            Into::Flat(out) => {
                out.push(value);
                Ok(())
            }
            Into::Memory(ptr) => {
                let bytes = value.to_le_bytes();
                let bytes = bytes.get(..size as usize).ok_or(TrapCode::InternalError)?;
                write(&mut Dst(cx), offset(*ptr, at)?, bytes)
            }
        }
    }

    /// The destination of a part of this value that starts `at` bytes into it.
    fn part(&mut self, at: u32) -> Result<Into<'_>> {
        Ok(match self {
            Into::Flat(out) => Into::Flat(out),
            Into::Memory(ptr) => Into::Memory(offset(*ptr, at)?),
        })
    }
}

/// Lifts the values of types `types` from the source and lowers them into the destination, as
/// `lift_flat_values(src, src_max_flat, ...)` then `lower_flat_values(dst, dst_max_flat, ...,
/// out_param)` would, and returns the destination's flat values.
///
/// For the arguments of a call from one component to another pass `MAX_FLAT_PARAMS` twice and
/// no `out_param`; for its results pass `MAX_FLAT_RESULTS` twice and the caller's
/// out-pointer, if it has one.
///
/// # Errors
///
/// The traps of [`lift_flat_values`](super::lift_flat_values) on the source side and of
/// [`lower_flat_values`](super::lower_flat_values) on the destination side, and whatever the
/// destination's `realloc` raises.
pub fn transfer_flat_values<'t, T: TransferContext + ?Sized>(
    cx: &mut T,
    src_max_flat: usize,
    values: &mut dyn FlatValues,
    types: impl IntoIterator<Item = &'t Type, IntoIter: Clone>,
    dst_max_flat: usize,
    out_param: Option<u32>,
) -> Result<Vec<u64>> {
    let types = types.into_iter();
    let flat = types
        .clone()
        .fold(0usize, |n, t| n.saturating_add(flat_count(t) as usize));
    let size = elem_size_record(types.clone());
    let align = alignment_record(types.clone());
    let mut from = if flat > src_max_flat {
        let ptr = values.next(ValType::I32)? as u32;
        let len = cx.src_memory().len();
        check_range(
            ptr,
            u64::from(size),
            align,
            len,
            TrapCode::PointerOutOfBounds,
        )?;
        From::Memory(ptr)
    } else {
        From::Flat(values)
    };
    let mut out = Vec::new();
    let mut into = if flat > dst_max_flat {
        let ptr = match out_param {
            None => {
                let ptr = reallocate(&mut Dst(cx), 0, 0, align, size)?;
                out.push(u64::from(ptr));
                ptr
            }
            Some(ptr) => {
                let len = cx.dst_memory().len();
                check_range(
                    ptr,
                    u64::from(size),
                    align,
                    len,
                    TrapCode::PointerOutOfBounds,
                )?;
                ptr
            }
        };
        Into::Memory(ptr)
    } else {
        Into::Flat(&mut out)
    };
    transfer_fields(cx, &mut from, types, &mut into)?;
    Ok(out)
}

/// Transfers the fields of a record or tuple, each at its alignment.
fn transfer_fields<'t, T: TransferContext + ?Sized>(
    cx: &mut T,
    from: &mut From<'_>,
    fields: impl Iterator<Item = &'t Type>,
    into: &mut Into<'_>,
) -> Result<()> {
    let mut at = 0u32;
    for ty in fields {
        at = align_to(at, alignment(ty));
        transfer(cx, &mut from.part(at)?, ty, &mut into.part(at)?)?;
        at = at.saturating_add(elem_size(ty));
    }
    Ok(())
}

/// Transfers one value of type `ty`.
fn transfer<T: TransferContext + ?Sized>(
    cx: &mut T,
    from: &mut From<'_>,
    ty: &Type,
    into: &mut Into<'_>,
) -> Result<()> {
    with_stack_for(ty, || transfer_here(cx, from, ty, into))
}

fn transfer_here<T: TransferContext + ?Sized>(
    cx: &mut T,
    from: &mut From<'_>,
    ty: &Type,
    into: &mut Into<'_>,
) -> Result<()> {
    let flat_out = matches!(into, Into::Flat(_));
    // Integers narrower than their core type: keep the low bits (lifting), and sign-extend a
    // signed one into a flat i32 (lowering).
    let mut int = |cx: &mut T, size: u32, signed: bool| -> Result<()> {
        let flat = if size == 8 {
            ValType::I64
        } else {
            ValType::I32
        };
        let v = from.scalar(cx, flat, size, 0)?;
        let v = match (size, signed && flat_out) {
            (1, true) => u64::from(v as i8 as i32 as u32),
            (2, true) => u64::from(v as i16 as i32 as u32),
            (1, false) => v & 0xff,
            (2, false) => v & 0xffff,
            (4, _) => v & 0xffff_ffff,
            _ => v,
        };
        into.scalar(cx, v, size, 0)
    };
    match ty {
        Type::U8 => int(cx, 1, false),
        Type::S8 => int(cx, 1, true),
        Type::U16 => int(cx, 2, false),
        Type::S16 => int(cx, 2, true),
        Type::U32 | Type::S32 => int(cx, 4, false),
        Type::U64 | Type::S64 => int(cx, 8, false),
        Type::Bool => {
            let v = from.scalar(cx, ValType::I32, 1, 0)?;
            into.scalar(cx, u64::from(v != 0), 1, 0)
        }
        Type::Float32 => {
            let v = from.scalar(cx, ValType::F32, 4, 0)? as u32;
            let v = canonicalize_nan32(f32::from_bits(v)).to_bits();
            into.scalar(cx, u64::from(v), 4, 0)
        }
        Type::Float64 => {
            let v = from.scalar(cx, ValType::F64, 8, 0)?;
            let v = canonicalize_nan64(f64::from_bits(v)).to_bits();
            into.scalar(cx, v, 8, 0)
        }
        Type::Char => {
            let v = from.scalar(cx, ValType::I32, 4, 0)? as u32;
            let c = convert_i32_to_char(v)?;
            into.scalar(cx, u64::from(u32::from(c)), 4, 0)
        }
        Type::String => {
            let ptr = from.scalar(cx, ValType::I32, 4, 0)? as u32;
            let units = from.scalar(cx, ValType::I32, 4, 4)? as u32;
            let text = load_string_from_range(&mut Src(cx), ptr, units)?;
            let source = StringSource::lifted(&text, cx.src_encoding(), units);
            let (ptr, units) = store_string_into_range(&mut Dst(cx), &source)?;
            into.scalar(cx, u64::from(ptr), 4, 0)?;
            into.scalar(cx, u64::from(units), 4, 4)
        }
        Type::List(list) => {
            let ptr = from.scalar(cx, ValType::I32, 4, 0)? as u32;
            let length = from.scalar(cx, ValType::I32, 4, 4)? as u32;
            let ptr = transfer_list(cx, ptr, length, list.element())?;
            into.scalar(cx, u64::from(ptr), 4, 0)?;
            into.scalar(cx, u64::from(length), 4, 4)
        }
        Type::Record(record) => {
            transfer_fields(cx, from, record.field_types().iter().map(|(_, t)| t), into)
        }
        Type::Tuple(tuple) => transfer_fields(cx, from, tuple.elements().iter(), into),
        Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_) => {
            transfer_variant(cx, from, ty, into)
        }
        Type::Flags(flags) => {
            let size = elem_size_flags(flags);
            let words = flags_words(flags.len());
            for word in 0..words {
                // In memory, up to 32 flags are one integer of 1, 2 or 4 bytes.
                let (bytes, at) = if size < 4 {
                    (size, 0)
                } else {
                    (
                        4,
                        4 * u32::try_from(word).map_err(|_| TrapCode::InternalError)?,
                    )
                };
                let v = from.scalar(cx, ValType::I32, bytes, at)?;
                // Bits past the last flag are ignored when lifting and never set when lowering.
                let used = flags.len().saturating_sub(word * 32).min(32);
                let mask = if used == 32 {
                    u64::from(u32::MAX)
                } else {
                    (1u64 << used) - 1
                };
                into.scalar(cx, v & mask, bytes, at)?;
            }
            Ok(())
        }
        Type::Own(rt) => {
            let index = from.scalar(cx, ValType::I32, 4, 0)? as u32;
            let rep = cx.src_handles().lift_own(rt, index)?;
            let index = cx.dst_handles().lower_own(rt.clone(), rep)?;
            into.scalar(cx, u64::from(index), 4, 0)
        }
        Type::Borrow(rt) => {
            let index = from.scalar(cx, ValType::I32, 4, 0)? as u32;
            let rep = cx.src_handles().lift_borrow(rt, index)?;
            let implements = cx.dst_implements(rt);
            let index = cx.dst_handles().lower_borrow(rt.clone(), rep, implements)?;
            into.scalar(cx, u64::from(index), 4, 0)
        }
    }
}

/// Transfers a variant-like value: the discriminant, then the case's payload (through the
/// joined flat slots when flat), skipping or zero-filling the slots the case does not use.
fn transfer_variant<T: TransferContext + ?Sized>(
    cx: &mut T,
    from: &mut From<'_>,
    ty: &Type,
    into: &mut Into<'_>,
) -> Result<()> {
    let cases = Cases::of(ty).ok_or(TrapCode::InternalError)?;
    let disc_size = discriminant_type(cases.len()).size();
    let joined = variant_flat(ty)
        .unwrap_or(&[ValType::I32])
        .get(1..)
        .ok_or(TrapCode::InternalError)?;
    let index = from.scalar(cx, ValType::I32, disc_size, 0)?;
    let case = usize::try_from(index).unwrap_or(usize::MAX);
    if case >= cases.len() {
        return Err(Trap::with_detail(
            TrapCode::InvalidDiscriminant,
            format!(
                "invalid variant discriminant {index} for {} cases",
                cases.len()
            ),
        ));
    }
    into.scalar(cx, index, disc_size, 0)?;
    let at = payload_offset(ty);
    let flat_start = match into {
        Into::Flat(out) => out.len(),
        Into::Memory(_) => 0,
    };
    let mut rest = joined;
    if let Some(payload) = cases.payload(case) {
        match from {
            From::Flat(values) => {
                let mut coerce = CoerceValueIter {
                    inner: &mut **values,
                    have: joined,
                };
                transfer(
                    cx,
                    &mut From::Flat(&mut coerce),
                    payload,
                    &mut into.part(at)?,
                )?;
                rest = coerce.have;
            }
            From::Memory(_) => transfer(cx, &mut from.part(at)?, payload, &mut into.part(at)?)?,
        }
    }
    if let From::Flat(values) = from {
        for &have in rest {
            values.next(have)?;
        }
    }
    if let Into::Flat(out) = into {
        let end = flat_start + joined.len();
        if out.len() > end {
            return Err(TrapCode::InternalError.into());
        }
        out.resize(end, 0);
    }
    Ok(())
}

/// Transfers a list: checks the source range, allocates the destination with its `realloc`,
/// copies lists of integers as bytes and transfers other elements one by one. Returns the
/// destination pointer.
fn transfer_list<T: TransferContext + ?Sized>(
    cx: &mut T,
    src_ptr: u32,
    length: u32,
    elem: &Type,
) -> Result<u32> {
    let size = elem_size(elem);
    let byte_length = u64::from(length) * u64::from(size);
    if byte_length > u64::from(MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::with_detail(
            TrapCode::LengthOverflow,
            format!(
                "list of {byte_length} bytes is longer than the maximum of {MAX_LIST_BYTE_LENGTH}"
            ),
        ));
    }
    let align = alignment(elem);
    let src_len = cx.src_memory().len();
    check_range(
        src_ptr,
        byte_length,
        align,
        src_len,
        TrapCode::ListOutOfBounds,
    )?;
    // Both fit: byte_length is at most 2^28.
    let byte_length = byte_length as u32;
    let dst_ptr = reallocate(&mut Dst(cx), 0, 0, align, byte_length)?;
    let integers = matches!(
        elem,
        Type::U8 | Type::S8 | Type::U16 | Type::S16 | Type::U32 | Type::S32 | Type::U64 | Type::S64
    );
    if integers {
        // Integers are valid whatever their bits: one copy, through the host because both
        // memories live in the same store.
        let bytes = cx
            .src_memory()
            .get(src_ptr as usize..)
            .and_then(|m| m.get(..byte_length as usize))
            .ok_or(TrapCode::ListOutOfBounds)?
            .to_vec();
        return write(&mut Dst(cx), dst_ptr, &bytes).map(|()| dst_ptr);
    }
    for i in 0..length {
        let at = i * size;
        transfer(
            cx,
            &mut From::Memory(offset(src_ptr, at)?),
            elem,
            &mut Into::Memory(offset(dst_ptr, at)?),
        )?;
    }
    Ok(dst_ptr)
}
