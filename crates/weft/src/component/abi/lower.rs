//! Lowering: component values into linear memory ([`store`]) and into flat core values
//! ([`lower_flat`]), as in [CanonicalABI.md, "Storing" and "Flat
//! Lowering"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#storing).
//!
//! Strings, lists and spilled tuples are allocated with the context's `realloc`; every pointer
//! it returns is checked (aligned, in bounds) before anything is written. NaNs are written as
//! the canonical NaN (the spec's deterministic profile).
//!
//! Lists of numbers, `bool` and `char` take a fast path: the elements are encoded straight
//! into the allocated bytes, one fixed-size chunk each, without the per-element dispatch of
//! [`store`].

use super::layout::{
    Cases, alignment, alignment_record, discriminant_type, elem_size, elem_size_flags,
    elem_size_record, flat_count, payload_offset, variant_flat,
};
use super::lift::{canonicalize_nan32, canonicalize_nan64};
use super::strings::{StringSource, reallocate, store_string_into_range, write};
use super::{LowerContext, MAX_LIST_BYTE_LENGTH, align_to, check_range, with_stack_for};
use crate::component::resources::ResourceAny;
use crate::component::types::{Flags, ResourceType, Type};
use crate::component::values::Val;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

#[cold]
fn mismatch(ty: &Type, val: &Val) -> Error {
    Error::usage(format!("cannot lower a `{}` value as `{ty}`", val.desc()))
}

/// Adds `offset` to `ptr`; the sum stays inside a checked range, so overflow is a runtime bug.
fn offset(ptr: u32, offset: u32) -> Result<u32> {
    ptr.checked_add(offset)
        .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
}

/// The spec's `store(cx, v, t, ptr)`: writes `val` of type `ty` at `ptr`.
///
/// The caller has checked that `ptr` is aligned and `[ptr, ptr + elem_size(ty))` is in
/// memory, as the spec asserts.
///
/// # Errors
///
/// A usage error if `val` does not have type `ty`; the traps of `realloc` results, handle
/// tables and lengths in the [module docs](self); whatever `realloc` raises.
pub fn store<C: LowerContext + ?Sized>(cx: &mut C, val: &Val, ty: &Type, ptr: u32) -> Result<()> {
    with_stack_for(ty, || store_here(cx, val, ty, ptr))
}

fn store_here<C: LowerContext + ?Sized>(cx: &mut C, val: &Val, ty: &Type, ptr: u32) -> Result<()> {
    match (ty, val) {
        (Type::Bool, Val::Bool(b)) => write(cx, ptr, &[u8::from(*b)]),
        (Type::U8, Val::U8(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::S8, Val::S8(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::U16, Val::U16(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::S16, Val::S16(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::U32, Val::U32(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::S32, Val::S32(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::U64, Val::U64(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::S64, Val::S64(v)) => write(cx, ptr, &v.to_le_bytes()),
        (Type::Float32, Val::Float32(v)) => write(cx, ptr, &canonicalize_nan32(*v).to_le_bytes()),
        (Type::Float64, Val::Float64(v)) => write(cx, ptr, &canonicalize_nan64(*v).to_le_bytes()),
        (Type::Char, Val::Char(c)) => write(cx, ptr, &u32::from(*c).to_le_bytes()),
        (Type::String, Val::String(s)) => {
            let (begin, tagged_code_units) = store_string_into_range(cx, &StringSource::host(s)?)?;
            write(cx, ptr, &begin.to_le_bytes())?;
            write(cx, offset(ptr, 4)?, &tagged_code_units.to_le_bytes())
        }
        (Type::List(list), Val::List(elems)) => {
            let (begin, length) = store_list_into_range(cx, elems, list.element())?;
            write(cx, ptr, &begin.to_le_bytes())?;
            write(cx, offset(ptr, 4)?, &length.to_le_bytes())
        }
        (Type::Record(record), Val::Record(fields)) => {
            if fields.len() != record.field_types().len() {
                return Err(mismatch(ty, val));
            }
            let mut ptr = ptr;
            for ((name, fty), (vname, v)) in record.field_types().iter().zip(fields) {
                if **name != **vname {
                    return Err(mismatch(ty, val));
                }
                ptr = align_to(ptr, alignment(fty));
                store(cx, v, fty, ptr)?;
                ptr = offset(ptr, elem_size(fty))?;
            }
            Ok(())
        }
        (Type::Tuple(tuple), Val::Tuple(elems)) => {
            if elems.len() != tuple.elements().len() {
                return Err(mismatch(ty, val));
            }
            store_record(cx, elems, tuple.elements(), ptr)
        }
        (Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_), _) => {
            let cases = Cases::of(ty).ok_or(TrapCode::InternalError)?;
            let (index, payload) = match_case(ty, val)?;
            let disc_size = discriminant_type(cases.len()).size();
            let disc = u32::try_from(index).map_err(|_| mismatch(ty, val))?;
            write(
                cx,
                ptr,
                disc.to_le_bytes().get(..disc_size as usize).unwrap_or(&[]),
            )?;
            // `ptr` is aligned to the variant, so the payload is at the type's payload offset.
            let ptr = offset(ptr, payload_offset(ty))?;
            match (cases.payload(index), payload) {
                (Some(pty), Some(v)) => store(cx, v, pty, ptr),
                (None, None) => Ok(()),
                _ => Err(mismatch(ty, val)),
            }
        }
        (Type::Flags(flags), Val::Flags(names)) => {
            let words = pack_flags(flags, names).ok_or_else(|| mismatch(ty, val))?;
            let size = elem_size_flags(flags);
            if size <= 4 {
                let word = words.first().copied().unwrap_or(0);
                write(
                    cx,
                    ptr,
                    word.to_le_bytes().get(..size as usize).unwrap_or(&[]),
                )
            } else {
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                write(cx, ptr, &bytes)
            }
        }
        (Type::Own(rt), Val::Resource(r)) => {
            let index = lower_own(cx, r, rt)?;
            write(cx, ptr, &index.to_le_bytes())
        }
        (Type::Borrow(rt), Val::Resource(r)) => {
            let index = lower_borrow(cx, r, rt)?;
            write(cx, ptr, &index.to_le_bytes())
        }
        _ => Err(mismatch(ty, val)),
    }
}

/// The spec's `store_record` for unnamed fields: each at its alignment, in order.
fn store_record<C: LowerContext + ?Sized>(
    cx: &mut C,
    vals: &[Val],
    types: &[Type],
    ptr: u32,
) -> Result<()> {
    let mut ptr = ptr;
    for (v, ty) in vals.iter().zip(types) {
        ptr = align_to(ptr, alignment(ty));
        store(cx, v, ty, ptr)?;
        ptr = offset(ptr, elem_size(ty))?;
    }
    Ok(())
}

/// The spec's `match_case`: the case index of `val` in the variant-like type `ty`, and its
/// payload.
fn match_case<'v>(ty: &Type, val: &'v Val) -> Result<(usize, Option<&'v Val>)> {
    let found = match (ty, val) {
        (Type::Variant(v), Val::Variant(name, payload)) => v
            .case_types()
            .iter()
            .position(|(n, _)| **n == **name)
            .map(|i| (i, payload.as_deref())),
        (Type::Enum(e), Val::Enum(name)) => e.names().position(|n| n == name).map(|i| (i, None)),
        (Type::Option(_), Val::Option(None)) => Some((0, None)),
        (Type::Option(_), Val::Option(Some(v))) => Some((1, Some(&**v))),
        (Type::Result(_), Val::Result(Ok(v))) => Some((0, v.as_deref())),
        (Type::Result(_), Val::Result(Err(v))) => Some((1, v.as_deref())),
        _ => None,
    };
    found.ok_or_else(|| mismatch(ty, val))
}

/// The spec's `pack_flags_into_int`, over 32-bit words; `None` if a name is not a flag.
fn pack_flags(flags: &Flags, names: &[String]) -> Option<Vec<u32>> {
    let mut words = vec![0u32; flags.len().div_ceil(32).max(1)];
    for name in names {
        let i = flags.names().position(|n| n == name)?;
        *words.get_mut(i / 32)? |= 1 << (i % 32);
    }
    Some(words)
}

/// The spec's `lower_own`: a new `own` handle in the instance's table.
fn lower_own<C: LowerContext + ?Sized>(
    cx: &mut C,
    r: &ResourceAny,
    ty: &ResourceType,
) -> Result<u32> {
    if r.ty() != *ty || !r.owned() {
        return Err(Error::usage(format!(
            "cannot lower {} handle to {} as `own<{ty}>`",
            if r.owned() { "an owned" } else { "a borrowed" },
            r.ty()
        )));
    }
    let rep = r.lower_rep(cx.host_handles(), true)?;
    cx.handles().lower_own(ty.clone(), rep)
}

/// The spec's `lower_borrow`: the representation itself if the instance defines the type,
/// else a new `borrow` handle for the current call.
fn lower_borrow<C: LowerContext + ?Sized>(
    cx: &mut C,
    r: &ResourceAny,
    ty: &ResourceType,
) -> Result<u32> {
    if r.ty() != *ty {
        return Err(Error::usage(format!(
            "cannot lower a handle to {} as `borrow<{ty}>`",
            r.ty()
        )));
    }
    let implements = cx.implements(ty);
    let rep = r.lower_rep(cx.host_handles(), false)?;
    cx.handles().lower_borrow(ty.clone(), rep, implements)
}

/// The spec's `store_list_into_range(cx, v, elem_type)`: allocates the list with `realloc`,
/// stores the elements, and returns the pointer and length.
///
/// # Errors
///
/// Traps with [`TrapCode::LengthOverflow`] for a list of more than [`MAX_LIST_BYTE_LENGTH`]
/// bytes, the traps of `realloc` results, and any error of the elements.
pub fn store_list_into_range<C: LowerContext + ?Sized>(
    cx: &mut C,
    elems: &[Val],
    elem: &Type,
) -> Result<(u32, u32)> {
    let size = elem_size(elem);
    let byte_length = elems.len() as u64 * u64::from(size);
    if byte_length > u64::from(MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::with_detail(
            TrapCode::LengthOverflow,
            format!(
                "list of {byte_length} bytes is longer than the maximum of {MAX_LIST_BYTE_LENGTH}"
            ),
        ));
    }
    // Both fit: byte_length is at most 2^28 and every element is at least one byte.
    let byte_length = byte_length as u32;
    let length = elems.len() as u32;
    let ptr = reallocate(cx, 0, 0, alignment(elem), byte_length)?;
    if store_primitive_list(cx, ptr, byte_length, elems, elem)? {
        return Ok((ptr, length));
    }
    for (i, v) in (0..length).zip(elems) {
        store(cx, v, elem, offset(ptr, i * size)?)?;
    }
    Ok((ptr, length))
}

/// The fast path of [`store_list_into_range`] for lists of numbers, `bool` and `char`: returns
/// `false` for other element types.
fn store_primitive_list<C: LowerContext + ?Sized>(
    cx: &mut C,
    ptr: u32,
    byte_length: u32,
    elems: &[Val],
    elem: &Type,
) -> Result<bool> {
    if !matches!(
        elem,
        Type::Bool
            | Type::U8
            | Type::S8
            | Type::U16
            | Type::S16
            | Type::U32
            | Type::S32
            | Type::U64
            | Type::S64
            | Type::Float32
            | Type::Float64
            | Type::Char
    ) {
        return Ok(false);
    }
    let bytes = cx
        .memory_mut()
        .get_mut(ptr as usize..)
        .and_then(|m| m.get_mut(..byte_length as usize))
        .ok_or(TrapCode::PointerOutOfBounds)?;
    // One loop per element type over fixed-size chunks: each element is one store of
    // `N` bytes, with no per-element call or bounds check.
    macro_rules! put {
        ($n:literal, $case:ident, |$x:ident| $bytes:expr) => {
            for (to, v) in bytes.as_chunks_mut::<$n>().0.iter_mut().zip(elems) {
                match v {
                    Val::$case($x) => *to = $bytes,
                    _ => return Err(mismatch(elem, v)),
                }
            }
        };
    }
    match elem {
        Type::Bool => put!(1, Bool, |b| [u8::from(*b)]),
        Type::U8 => put!(1, U8, |x| x.to_le_bytes()),
        Type::S8 => put!(1, S8, |x| x.to_le_bytes()),
        Type::U16 => put!(2, U16, |x| x.to_le_bytes()),
        Type::S16 => put!(2, S16, |x| x.to_le_bytes()),
        Type::U32 => put!(4, U32, |x| x.to_le_bytes()),
        Type::S32 => put!(4, S32, |x| x.to_le_bytes()),
        Type::U64 => put!(8, U64, |x| x.to_le_bytes()),
        Type::S64 => put!(8, S64, |x| x.to_le_bytes()),
        Type::Float32 => put!(4, Float32, |x| canonicalize_nan32(*x).to_le_bytes()),
        Type::Float64 => put!(8, Float64, |x| canonicalize_nan64(*x).to_le_bytes()),
        Type::Char => put!(4, Char, |c| u32::from(*c).to_le_bytes()),
        _ => return Ok(false),
    }
    Ok(true)
}

/// The spec's `lower_flat(cx, v, t)`: appends the flat core values of `val` of type `ty` to
/// `out`, as raw cells.
///
/// # Errors
///
/// As [`store`].
pub fn lower_flat<C: LowerContext + ?Sized>(
    cx: &mut C,
    val: &Val,
    ty: &Type,
    out: &mut Vec<u64>,
) -> Result<()> {
    with_stack_for(ty, || lower_flat_here(cx, val, ty, out))
}

fn lower_flat_here<C: LowerContext + ?Sized>(
    cx: &mut C,
    val: &Val,
    ty: &Type,
    out: &mut Vec<u64>,
) -> Result<()> {
    let i32_cell = |v: u32| u64::from(v);
    match (ty, val) {
        (Type::Bool, Val::Bool(b)) => out.push(u64::from(*b)),
        (Type::U8, Val::U8(v)) => out.push(u64::from(*v)),
        (Type::U16, Val::U16(v)) => out.push(u64::from(*v)),
        (Type::U32, Val::U32(v)) => out.push(u64::from(*v)),
        (Type::U64, Val::U64(v)) => out.push(*v),
        // The spec's lower_flat_signed: two's complement in the core type's width.
        (Type::S8, Val::S8(v)) => out.push(i32_cell(i32::from(*v) as u32)),
        (Type::S16, Val::S16(v)) => out.push(i32_cell(i32::from(*v) as u32)),
        (Type::S32, Val::S32(v)) => out.push(i32_cell(*v as u32)),
        (Type::S64, Val::S64(v)) => out.push(*v as u64),
        (Type::Float32, Val::Float32(v)) => out.push(i32_cell(canonicalize_nan32(*v).to_bits())),
        (Type::Float64, Val::Float64(v)) => out.push(canonicalize_nan64(*v).to_bits()),
        (Type::Char, Val::Char(c)) => out.push(i32_cell(u32::from(*c))),
        (Type::String, Val::String(s)) => {
            let (ptr, packed_length) = store_string_into_range(cx, &StringSource::host(s)?)?;
            out.extend([i32_cell(ptr), i32_cell(packed_length)]);
        }
        (Type::List(list), Val::List(elems)) => {
            let (ptr, length) = store_list_into_range(cx, elems, list.element())?;
            out.extend([i32_cell(ptr), i32_cell(length)]);
        }
        (Type::Record(record), Val::Record(fields)) => {
            if fields.len() != record.field_types().len() {
                return Err(mismatch(ty, val));
            }
            for ((name, fty), (vname, v)) in record.field_types().iter().zip(fields) {
                if **name != **vname {
                    return Err(mismatch(ty, val));
                }
                lower_flat(cx, v, fty, out)?;
            }
        }
        (Type::Tuple(tuple), Val::Tuple(elems)) => {
            if elems.len() != tuple.elements().len() {
                return Err(mismatch(ty, val));
            }
            for (v, ety) in elems.iter().zip(tuple.elements()) {
                lower_flat(cx, v, ety, out)?;
            }
        }
        (Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_), _) => {
            lower_flat_variant(cx, val, ty, out)?;
        }
        (Type::Flags(flags), Val::Flags(names)) => {
            let words = pack_flags(flags, names).ok_or_else(|| mismatch(ty, val))?;
            out.extend(words.into_iter().map(i32_cell));
        }
        (Type::Own(rt), Val::Resource(r)) => out.push(i32_cell(lower_own(cx, r, rt)?)),
        (Type::Borrow(rt), Val::Resource(r)) => out.push(i32_cell(lower_borrow(cx, r, rt)?)),
        _ => return Err(mismatch(ty, val)),
    }
    Ok(())
}

/// The spec's `lower_flat_variant`: the case index, the payload's flat values in the joined
/// slots, and zeros for the slots the case does not use. Cells hold bits, so the spec's
/// coercions into joined slots (`f32` into `i32`, anything into `i64`) leave them unchanged.
fn lower_flat_variant<C: LowerContext + ?Sized>(
    cx: &mut C,
    val: &Val,
    ty: &Type,
    out: &mut Vec<u64>,
) -> Result<()> {
    let cases = Cases::of(ty).ok_or(TrapCode::InternalError)?;
    // An enum is its discriminant alone.
    let flat_types = variant_flat(ty).unwrap_or(&[ValType::I32]);
    let (index, payload) = match_case(ty, val)?;
    out.push(index as u64);
    let start = out.len();
    match (cases.payload(index), payload) {
        (Some(pty), Some(v)) => lower_flat(cx, v, pty, out)?,
        (None, None) => {}
        _ => return Err(mismatch(ty, val)),
    }
    let end = start + flat_types.len().saturating_sub(1);
    if out.len() > end {
        return Err(TrapCode::InternalError.into());
    }
    out.resize(end, 0);
    Ok(())
}

/// The spec's `lower_flat_values(cx, max_flat, vs, ts, out_param)`: the flat values of `vals`
/// (of types `types`) if they flatten to at most `max_flat` core values; else the values are
/// stored as a tuple in memory, allocated with `realloc` (and its pointer returned as the one
/// flat value) when `out_param` is `None`, or at the pointer `out_param` (and nothing
/// returned) otherwise.
///
/// Pass [`MAX_FLAT_PARAMS`](super::MAX_FLAT_PARAMS) and no `out_param` to lower the arguments
/// of a call into a component; pass [`MAX_FLAT_RESULTS`](super::MAX_FLAT_RESULTS) and the
/// caller's last argument as `out_param` to lower the results of a call out of one.
///
/// # Errors
///
/// A usage error if the number of values and types differ; [`TrapCode::UnalignedPointer`],
/// [`TrapCode::PointerOutOfBounds`] (for `out_param`) or [`TrapCode::ReallocOutOfBounds`];
/// any error of the values.
pub fn lower_flat_values<'t, C: LowerContext + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    vals: &[Val],
    types: impl IntoIterator<Item = &'t Type, IntoIter: Clone>,
    out_param: Option<u32>,
) -> Result<Vec<u64>> {
    let types = types.into_iter();
    if types.clone().count() != vals.len() {
        return Err(Error::usage(format!(
            "expected {} values, got {}",
            types.clone().count(),
            vals.len()
        )));
    }
    let flat = types
        .clone()
        .fold(0usize, |n, t| n.saturating_add(flat_count(t) as usize));
    let mut out = Vec::with_capacity(flat.min(max_flat).max(1));
    if flat > max_flat {
        let align = alignment_record(types.clone());
        let size = elem_size_record(types.clone());
        let ptr = match out_param {
            None => {
                let ptr = reallocate(cx, 0, 0, align, size)?;
                out.push(u64::from(ptr));
                ptr
            }
            Some(ptr) => {
                let len = cx.memory_mut().len();
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
        let types: Vec<Type> = types.cloned().collect();
        store_record(cx, vals, &types, ptr)?;
    } else {
        for (v, ty) in vals.iter().zip(types) {
            lower_flat(cx, v, ty, &mut out)?;
        }
    }
    Ok(out)
}
