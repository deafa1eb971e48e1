//! Lifting: component values from linear memory ([`load`]) and from flat core values
//! ([`lift_flat`]), as in [CanonicalABI.md, "Loading" and "Flat
//! Lifting"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#loading).
//!
//! Lifting validates: a `char` must be a Unicode scalar value, a discriminant must name a case,
//! strings must decode, every pointer must be aligned and in bounds, and handles must exist and
//! have the right type. A `bool` is any nonzero byte, integers narrower than their core type
//! keep their low bits and flags ignore bits past the last label, as the spec says; none of
//! these trap. NaNs are canonicalized (the spec's deterministic profile).
//!
//! Lists of numbers, `bool` and `char` take a fast path: one bounds check for the whole list,
//! then a loop over fixed-size chunks of the bytes that builds the values directly.

use super::flat::{CoerceValueIter, FlatValues, flags_words};
use super::layout::{
    Cases, alignment, alignment_record, discriminant_type, elem_size, elem_size_flags,
    elem_size_record, flat_count, payload_offset, variant_flat,
};
use super::strings::load_string_in;
use super::{LiftContext, Lifter, MAX_LIST_BYTE_LENGTH, align_to, check_range, with_stack_for};
use crate::component::resources::ResourceAny;
use crate::component::types::{Flags, ResourceType, Type};
use crate::component::values::Val;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

const CANONICAL_FLOAT32_NAN: u32 = 0x7fc0_0000;
const CANONICAL_FLOAT64_NAN: u64 = 0x7ff8_0000_0000_0000;

/// The spec's `canonicalize_nan32`.
pub(crate) fn canonicalize_nan32(f: f32) -> f32 {
    if f.is_nan() {
        f32::from_bits(CANONICAL_FLOAT32_NAN)
    } else {
        f
    }
}

/// The spec's `canonicalize_nan64`.
pub(crate) fn canonicalize_nan64(f: f64) -> f64 {
    if f.is_nan() {
        f64::from_bits(CANONICAL_FLOAT64_NAN)
    } else {
        f
    }
}

/// The spec's `convert_i32_to_char`.
///
/// # Errors
///
/// Traps with [`TrapCode::InvalidChar`] for a surrogate or a value past `0x10FFFF`.
pub fn convert_i32_to_char(i: u32) -> Result<char> {
    char::from_u32(i).ok_or_else(|| {
        Trap::with_detail(
            TrapCode::InvalidChar,
            format!("invalid `char` bit pattern {i:#x}"),
        )
    })
}

/// `N` bytes at `ptr`; callers have checked the range, so running off the memory is a runtime
/// bug reported as an out-of-bounds trap.
fn load_bytes<const N: usize, C: LiftContext + ?Sized>(cx: &C, ptr: u32) -> Result<[u8; N]> {
    cx.memory()
        .get(ptr as usize..)
        .and_then(|m| m.get(..N))
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
}

fn load_u32<C: LiftContext + ?Sized>(cx: &C, ptr: u32) -> Result<u32> {
    Ok(u32::from_le_bytes(load_bytes(cx, ptr)?))
}

/// The spec's `load_int` for an unsigned integer of `size` bytes (1, 2 or 4).
fn load_uint<C: LiftContext + ?Sized>(cx: &C, ptr: u32, size: u32) -> Result<u32> {
    Ok(match size {
        1 => u32::from(load_bytes::<1, _>(cx, ptr)?[0]),
        2 => u32::from(u16::from_le_bytes(load_bytes(cx, ptr)?)),
        _ => load_u32(cx, ptr)?,
    })
}

/// Adds `offset` to `ptr`; the sum stays inside a checked range, so overflow is a runtime bug.
fn offset(ptr: u32, offset: u32) -> Result<u32> {
    ptr.checked_add(offset)
        .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
}

/// The spec's `load(cx, ptr, t)`: the value of type `ty` stored at `ptr`.
///
/// The caller has checked that `ptr` is aligned and `[ptr, ptr + elem_size(ty))` is in memory,
/// as the spec asserts; pointers found inside the value (strings, lists) are checked here.
///
/// # Errors
///
/// Any of the traps in the [module docs](self).
pub fn load<C: LiftContext + ?Sized>(cx: &mut C, ptr: u32, ty: &Type) -> Result<Val> {
    load_in(&mut Lifter::new(cx), ptr, ty)
}

fn load_in<C: LiftContext + ?Sized>(cx: &mut Lifter<'_, C>, ptr: u32, ty: &Type) -> Result<Val> {
    with_stack_for(ty, || load_here(cx, ptr, ty))
}

fn load_here<C: LiftContext + ?Sized>(cx: &mut Lifter<'_, C>, ptr: u32, ty: &Type) -> Result<Val> {
    Ok(match ty {
        Type::Bool => Val::Bool(load_bytes::<1, _>(cx, ptr)?[0] != 0),
        Type::U8 => Val::U8(u8::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::S8 => Val::S8(i8::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::U16 => Val::U16(u16::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::S16 => Val::S16(i16::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::U32 => Val::U32(u32::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::S32 => Val::S32(i32::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::U64 => Val::U64(u64::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::S64 => Val::S64(i64::from_le_bytes(load_bytes(cx, ptr)?)),
        Type::Float32 => Val::Float32(canonicalize_nan32(f32::from_le_bytes(load_bytes(cx, ptr)?))),
        Type::Float64 => Val::Float64(canonicalize_nan64(f64::from_le_bytes(load_bytes(cx, ptr)?))),
        Type::Char => Val::Char(convert_i32_to_char(load_u32(cx, ptr)?)?),
        Type::String => {
            let begin = load_u32(cx, ptr)?;
            let tagged_code_units = load_u32(cx, offset(ptr, 4)?)?;
            Val::String(load_string_in(cx, begin, tagged_code_units)?)
        }
        Type::List(list) => {
            let begin = load_u32(cx, ptr)?;
            let length = load_u32(cx, offset(ptr, 4)?)?;
            Val::List(load_list_in(cx, begin, length, list.element())?)
        }
        Type::Record(record) => {
            let mut fields = new_record(cx, record.field_types())?;
            let mut ptr = ptr;
            for (name, ty) in record.field_types() {
                ptr = align_to(ptr, alignment(ty));
                fields.push((str::to_owned(name), load_in(cx, ptr, ty)?));
                ptr = offset(ptr, elem_size(ty))?;
            }
            Val::Record(fields)
        }
        Type::Tuple(tuple) => Val::Tuple(load_record(cx, ptr, tuple.elements())?),
        Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_) => {
            let cases = Cases::of(ty).ok_or(TrapCode::InternalError)?;
            let (index, payload) = load_variant(cx, ptr, ty, &cases)?;
            make_variant(cx, ty, index, payload)?
        }
        Type::Flags(flags) => Val::Flags(load_flags(cx, ptr, flags)?),
        Type::Own(rt) => lift_own(cx, load_u32(cx, ptr)?, rt)?,
        Type::Borrow(rt) => lift_borrow(cx, load_u32(cx, ptr)?, rt)?,
    })
}

/// The size of a `Val`, charged for each element of a list or tuple and each boxed payload.
const VAL_SIZE: u64 = size_of::<Val>() as u64;

/// The size of a `String`, charged for each flag name.
const STRING_SIZE: u64 = size_of::<String>() as u64;

/// An empty vector for `len` values, charged to the lift's budget first.
fn new_vals<C: LiftContext + ?Sized>(cx: &mut Lifter<'_, C>, len: usize) -> Result<Vec<Val>> {
    cx.charge((len as u64).saturating_mul(VAL_SIZE))?;
    let mut values = Vec::new();
    values
        .try_reserve_exact(len)
        .map_err(|_| Error::resource(format!("out of host memory lifting {len} values")))?;
    Ok(values)
}

/// An empty vector for the fields `fields` of a record, charged (with the names) to the
/// lift's budget first.
fn new_record<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    fields: &[(Box<str>, Type)],
) -> Result<Vec<(String, Val)>> {
    let names: u64 = fields.iter().map(|(n, _)| n.len() as u64).sum();
    let entries = (fields.len() as u64).saturating_mul(size_of::<(String, Val)>() as u64);
    cx.charge(entries.saturating_add(names))?;
    Ok(Vec::with_capacity(fields.len()))
}

/// The spec's `load_record(cx, ptr, fields)` for unnamed fields: each field at its
/// alignment, in order.
fn load_record<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ptr: u32,
    fields: &[Type],
) -> Result<Vec<Val>> {
    let mut values = new_vals(cx, fields.len())?;
    let mut ptr = ptr;
    for ty in fields {
        ptr = align_to(ptr, alignment(ty));
        values.push(load_in(cx, ptr, ty)?);
        ptr = offset(ptr, elem_size(ty))?;
    }
    Ok(values)
}

/// The spec's `load_variant(cx, ptr, cases)`: the case index and the payload, if the case has
/// one.
///
/// `ptr` is aligned to the variant's alignment, so the spec's `align_to(ptr + disc_size,
/// max_case_alignment)` is `ptr` plus the type's precomputed payload offset.
fn load_variant<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ptr: u32,
    ty: &Type,
    cases: &Cases<'_>,
) -> Result<(usize, Option<Val>)> {
    let disc_size = discriminant_type(cases.len()).size();
    let case_index = load_uint(cx, ptr, disc_size)? as usize;
    if case_index >= cases.len() {
        return Err(bad_discriminant(case_index, cases.len()));
    }
    let ptr = offset(ptr, payload_offset(ty))?;
    let payload = match cases.payload(case_index) {
        Some(ty) => Some(load_in(cx, ptr, ty)?),
        None => None,
    };
    Ok((case_index, payload))
}

#[cold]
fn bad_discriminant(index: usize, cases: usize) -> Error {
    Trap::with_detail(
        TrapCode::InvalidDiscriminant,
        format!("invalid variant discriminant {index} for {cases} cases"),
    )
}

/// The `Val` of case `index` of the variant-like type `ty`.
fn make_variant<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ty: &Type,
    index: usize,
    payload: Option<Val>,
) -> Result<Val> {
    if payload.is_some() {
        cx.charge(VAL_SIZE)?;
    }
    let payload = payload.map(Box::new);
    Ok(match ty {
        Type::Variant(v) => {
            let (name, _) = v.case_types().get(index).ok_or(TrapCode::InternalError)?;
            cx.charge(name.len() as u64)?;
            Val::Variant(str::to_owned(name), payload)
        }
        Type::Enum(e) => {
            let name = e.names().nth(index).ok_or(TrapCode::InternalError)?;
            cx.charge(name.len() as u64)?;
            Val::Enum(str::to_owned(name))
        }
        Type::Option(_) => Val::Option(if index == 0 { None } else { payload }),
        Type::Result(_) => Val::Result(if index == 0 {
            Ok(payload)
        } else {
            Err(payload)
        }),
        _ => return Err(TrapCode::InternalError.into()),
    })
}

/// The spec's `load_flags`: the flags stored at `ptr`, as the names of those set.
fn load_flags<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ptr: u32,
    flags: &Flags,
) -> Result<Vec<String>> {
    let size = elem_size_flags(flags);
    let mut words = Vec::with_capacity(flags_words(flags.len()));
    if size <= 4 {
        words.push(load_uint(cx, ptr, size)?);
    } else {
        for i in 0..size / 4 {
            words.push(load_u32(cx, offset(ptr, 4 * i)?)?);
        }
    }
    unpack_flags(cx, &words, flags)
}

/// The spec's `unpack_flags_from_int`, over 32-bit words (bit `i % 32` of word `i / 32` is
/// flag `i`); bits past the last flag are ignored.
fn unpack_flags<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    words: &[u32],
    flags: &Flags,
) -> Result<Vec<String>> {
    let mut set = Vec::new();
    for (i, name) in flags.names().enumerate() {
        if words.get(i / 32).is_some_and(|w| (w >> (i % 32)) & 1 == 1) {
            cx.charge(STRING_SIZE + name.len() as u64)?;
            set.push(str::to_owned(name));
        }
    }
    Ok(set)
}

/// The spec's `lift_own`: takes the `own` handle at `index` out of the instance's table.
fn lift_own<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    index: u32,
    ty: &ResourceType,
) -> Result<Val> {
    let rep = cx.handles().lift_own(ty, index)?;
    Ok(Val::Resource(ResourceAny::lifted(
        cx.host_handles(),
        ty,
        rep,
        true,
    )?))
}

/// The spec's `lift_borrow`: the resource behind the handle at `index`, lent to the current
/// call.
fn lift_borrow<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    index: u32,
    ty: &ResourceType,
) -> Result<Val> {
    let rep = cx.handles().lift_borrow(ty, index)?;
    Ok(Val::Resource(ResourceAny::lifted(
        cx.host_handles(),
        ty,
        rep,
        false,
    )?))
}

/// The spec's `load_list_from_range(cx, ptr, length, elem_type)`: `length` elements of type
/// `elem` starting at `ptr`.
///
/// # Errors
///
/// Traps with [`TrapCode::LengthOverflow`] (more than [`MAX_LIST_BYTE_LENGTH`] bytes),
/// [`TrapCode::UnalignedPointer`], [`TrapCode::ListOutOfBounds`], or any trap of the
/// elements.
pub fn load_list_from_range<C: LiftContext + ?Sized>(
    cx: &mut C,
    ptr: u32,
    length: u32,
    elem: &Type,
) -> Result<Vec<Val>> {
    load_list_in(&mut Lifter::new(cx), ptr, length, elem)
}

fn load_list_in<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ptr: u32,
    length: u32,
    elem: &Type,
) -> Result<Vec<Val>> {
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
    check_range(
        ptr,
        byte_length,
        alignment(elem),
        cx.memory().len(),
        TrapCode::ListOutOfBounds,
    )?;
    let mut values = new_vals(cx, length as usize)?;
    if load_primitive_list(cx.memory(), ptr, byte_length, elem, &mut values)? {
        return Ok(values);
    }
    for i in 0..length {
        values.push(load_in(cx, offset(ptr, i * size)?, elem)?);
    }
    Ok(values)
}

/// The fast path of [`load_list_from_range`] for lists of numbers, `bool` and `char`: returns
/// `false` for other element types.
fn load_primitive_list(
    memory: &[u8],
    ptr: u32,
    byte_length: u64,
    elem: &Type,
    out: &mut Vec<Val>,
) -> Result<bool> {
    let Some(bytes) = memory
        .get(ptr as usize..)
        .and_then(|m| m.get(..byte_length as usize))
    else {
        return Ok(false);
    };
    macro_rules! chunks {
        ($n:literal, |$c:ident| $make:expr) => {
            out.extend(bytes.as_chunks::<$n>().0.iter().map(|&$c| $make))
        };
    }
    match elem {
        Type::Bool => out.extend(bytes.iter().map(|&b| Val::Bool(b != 0))),
        Type::U8 => out.extend(bytes.iter().map(|&b| Val::U8(b))),
        Type::S8 => out.extend(bytes.iter().map(|&b| Val::S8(b as i8))),
        Type::U16 => chunks!(2, |c| Val::U16(u16::from_le_bytes(c))),
        Type::S16 => chunks!(2, |c| Val::S16(i16::from_le_bytes(c))),
        Type::U32 => chunks!(4, |c| Val::U32(u32::from_le_bytes(c))),
        Type::S32 => chunks!(4, |c| Val::S32(i32::from_le_bytes(c))),
        Type::U64 => chunks!(8, |c| Val::U64(u64::from_le_bytes(c))),
        Type::S64 => chunks!(8, |c| Val::S64(i64::from_le_bytes(c))),
        Type::Float32 => chunks!(4, |c| Val::Float32(canonicalize_nan32(f32::from_le_bytes(
            c
        )))),
        Type::Float64 => chunks!(8, |c| Val::Float64(canonicalize_nan64(f64::from_le_bytes(
            c
        )))),
        Type::Char => {
            for &c in bytes.as_chunks::<4>().0 {
                out.push(Val::Char(convert_i32_to_char(u32::from_le_bytes(c))?));
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The spec's `lift_flat(cx, vi, t)`: the value of type `ty` from flat core values.
///
/// # Errors
///
/// Any of the traps in the [module docs](self), or an internal-error trap if `values` runs
/// out.
pub fn lift_flat<C: LiftContext + ?Sized>(
    cx: &mut C,
    values: &mut dyn FlatValues,
    ty: &Type,
) -> Result<Val> {
    lift_flat_in(&mut Lifter::new(cx), values, ty)
}

fn lift_flat_in<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    values: &mut dyn FlatValues,
    ty: &Type,
) -> Result<Val> {
    with_stack_for(ty, || lift_flat_here(cx, values, ty))
}

fn lift_flat_here<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    values: &mut dyn FlatValues,
    ty: &Type,
) -> Result<Val> {
    // Cells hold an i32 zero-extended; narrower integers keep their low bits.
    let i32_cell = |values: &mut dyn FlatValues| values.next(ValType::I32).map(|v| v as u32);
    Ok(match ty {
        Type::Bool => Val::Bool(i32_cell(values)? != 0),
        Type::U8 => Val::U8(i32_cell(values)? as u8),
        Type::S8 => Val::S8(i32_cell(values)? as i8),
        Type::U16 => Val::U16(i32_cell(values)? as u16),
        Type::S16 => Val::S16(i32_cell(values)? as i16),
        Type::U32 => Val::U32(i32_cell(values)?),
        Type::S32 => Val::S32(i32_cell(values)? as i32),
        Type::U64 => Val::U64(values.next(ValType::I64)?),
        Type::S64 => Val::S64(values.next(ValType::I64)? as i64),
        Type::Float32 => Val::Float32(canonicalize_nan32(f32::from_bits(
            values.next(ValType::F32)? as u32,
        ))),
        Type::Float64 => Val::Float64(canonicalize_nan64(f64::from_bits(
            values.next(ValType::F64)?,
        ))),
        Type::Char => Val::Char(convert_i32_to_char(i32_cell(values)?)?),
        Type::String => {
            let ptr = i32_cell(values)?;
            let packed_length = i32_cell(values)?;
            Val::String(load_string_in(cx, ptr, packed_length)?)
        }
        Type::List(list) => {
            let ptr = i32_cell(values)?;
            let length = i32_cell(values)?;
            Val::List(load_list_in(cx, ptr, length, list.element())?)
        }
        Type::Record(record) => {
            let mut fields = new_record(cx, record.field_types())?;
            for (name, ty) in record.field_types() {
                fields.push((str::to_owned(name), lift_flat_in(cx, values, ty)?));
            }
            Val::Record(fields)
        }
        Type::Tuple(tuple) => {
            let mut elems = new_vals(cx, tuple.elements().len())?;
            for ty in tuple.elements() {
                elems.push(lift_flat_in(cx, values, ty)?);
            }
            Val::Tuple(elems)
        }
        Type::Variant(_) | Type::Enum(_) | Type::Option(_) | Type::Result(_) => {
            let cases = Cases::of(ty).ok_or(TrapCode::InternalError)?;
            let (index, payload) = lift_flat_variant(cx, values, ty, &cases)?;
            make_variant(cx, ty, index, payload)?
        }
        Type::Flags(flags) => {
            let mut words = Vec::with_capacity(flags_words(flags.len()));
            for _ in 0..flags_words(flags.len()) {
                words.push(i32_cell(values)?);
            }
            Val::Flags(unpack_flags(cx, &words, flags)?)
        }
        Type::Own(rt) => lift_own(cx, i32_cell(values)?, rt)?,
        Type::Borrow(rt) => lift_borrow(cx, i32_cell(values)?, rt)?,
    })
}

/// The spec's `lift_flat_variant`: the discriminant, then the case's payload read through
/// the joined flat types (`CoerceValueIter`), then the unused slots skipped.
fn lift_flat_variant<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    values: &mut dyn FlatValues,
    ty: &Type,
    cases: &Cases<'_>,
) -> Result<(usize, Option<Val>)> {
    // An enum is its discriminant alone.
    let flat_types = variant_flat(ty).unwrap_or(&[ValType::I32]);
    let joined = flat_types.get(1..).ok_or(TrapCode::InternalError)?;
    let case_index = values.next(ValType::I32)? as u32 as usize;
    if case_index >= cases.len() {
        return Err(bad_discriminant(case_index, cases.len()));
    }
    let (payload, rest) = match cases.payload(case_index) {
        Some(ty) => {
            let mut coerce = CoerceValueIter {
                inner: &mut *values,
                have: joined,
            };
            let payload = lift_flat_in(cx, &mut coerce, ty)?;
            (Some(payload), coerce.have)
        }
        None => (None, joined),
    };
    for &have in rest {
        values.next(have)?;
    }
    Ok((case_index, payload))
}

/// The spec's `lift_flat_values(cx, max_flat, vi, ts)`: the values of types `types`, from flat
/// values if they flatten to at most `max_flat` core values, else from the tuple in memory that
/// the single `i32` in `values` points to.
///
/// Pass [`MAX_FLAT_PARAMS`](super::MAX_FLAT_PARAMS) to lift the parameters of a call out of a
/// component and [`MAX_FLAT_RESULTS`](super::MAX_FLAT_RESULTS) to lift the results of a call
/// into one.
///
/// # Errors
///
/// Traps with [`TrapCode::UnalignedPointer`] or [`TrapCode::PointerOutOfBounds`] for a bad
/// spill pointer, and any trap of the values.
pub fn lift_flat_values<'t, C: LiftContext + ?Sized>(
    cx: &mut C,
    max_flat: usize,
    values: &mut dyn FlatValues,
    types: impl IntoIterator<Item = &'t Type, IntoIter: Clone>,
) -> Result<Vec<Val>> {
    let types = types.into_iter();
    let flat = types
        .clone()
        .fold(0usize, |n, t| n.saturating_add(flat_count(t) as usize));
    if flat > max_flat {
        let ptr = values.next(ValType::I32)? as u32;
        let size = elem_size_record(types.clone());
        check_range(
            ptr,
            u64::from(size),
            alignment_record(types.clone()),
            cx.memory().len(),
            TrapCode::PointerOutOfBounds,
        )?;
        let fields: Vec<Type> = types.cloned().collect();
        load_record(&mut Lifter::new(cx), ptr, &fields)
    } else {
        let mut cx = Lifter::new(cx);
        types.map(|ty| lift_flat_in(&mut cx, values, ty)).collect()
    }
}
