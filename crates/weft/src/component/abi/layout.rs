//! Size and alignment of component values in linear memory ([CanonicalABI.md, "Alignment" and
//! "Element Size"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#alignment)).
//!
//! The spec defines layout on "despecialized" types: a tuple is a record, an enum, option or
//! result a variant. `Cases` is that view of the four variant-like types, shared with lifting,
//! lowering and flattening, so that each rule is written once.
//!
//! Sizes are `u32` and saturate: a type too big for a 32-bit memory gets a size that no
//! pointer satisfies, so using it traps as out of bounds rather than overflowing.
//!
//! Records, tuples, variants, options and results compute their layout once, when the type is
//! built (`AbiInfo`); the functions here read it, so they cost O(1) for every type.

use super::flat::flatten_variant;
use crate::component::types::{Flags, Type};
use crate::types::ValType;

/// What the Canonical ABI needs to know about a compound type, computed once when the type is
/// built from the same facts about its parts.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct AbiInfo {
    /// The spec's `alignment(t)`.
    pub(crate) alignment: u32,
    /// The spec's `elem_size(t)`.
    pub(crate) size: u32,
    /// The number of flat core values (`len(flatten_type(t))`), saturating.
    pub(crate) flat_count: u32,
    /// For a variant-like type: the offset of the payload from the start of the value,
    /// `align_to(discriminant size, max_case_alignment)`.
    pub(crate) payload_offset: u32,
    /// For a variant-like type: `flatten_variant(cases)`, the discriminant then the joined
    /// payload slots. Empty for records and tuples.
    pub(crate) flat: Box<[ValType]>,
    /// For a record or tuple: the offset of each field from the start of the value, as
    /// `elem_size_record` places them, so that loading or storing a field costs no layout
    /// computation. Empty for variant-like types.
    pub(crate) offsets: Box<[u32]>,
}

impl AbiInfo {
    /// The layout of a record or tuple with fields of types `fields`.
    pub(crate) fn record<'a>(fields: impl Iterator<Item = &'a Type> + Clone) -> AbiInfo {
        AbiInfo {
            alignment: alignment_record(fields.clone()),
            size: elem_size_record(fields.clone()),
            flat_count: fields
                .clone()
                .fold(0, |n, t| n.saturating_add(flat_count(t))),
            payload_offset: 0,
            flat: Box::new([]),
            offsets: field_offsets(fields).collect(),
        }
    }

    /// The layout of a variant-like type with cases `cases`.
    pub(crate) fn variant(cases: &Cases<'_>) -> AbiInfo {
        let mut flat = Vec::new();
        flatten_variant(cases, &mut flat);
        AbiInfo {
            alignment: alignment_variant(cases),
            size: elem_size_variant(cases),
            flat_count: u32::try_from(flat.len()).unwrap_or(u32::MAX),
            payload_offset: align_to(
                discriminant_type(cases.len()).size(),
                max_case_alignment(cases),
            ),
            flat: flat.into_boxed_slice(),
            offsets: Box::new([]),
        }
    }
}

/// The cached layout of a record, tuple, variant, option or result.
pub(crate) fn abi_info(ty: &Type) -> Option<&AbiInfo> {
    match ty {
        Type::Record(r) => Some(r.abi()),
        Type::Tuple(t) => Some(t.abi()),
        Type::Variant(v) => Some(v.abi()),
        Type::Option(o) => Some(o.abi()),
        Type::Result(r) => Some(r.abi()),
        _ => None,
    }
}

/// `len(flatten_type(t))`, saturating: how many core values a value of type `ty` is passed as.
pub fn flat_count(ty: &Type) -> u32 {
    match ty {
        Type::String | Type::List(_) => 2,
        Type::Flags(f) => u32::try_from(super::flat::flags_words(f.len())).unwrap_or(u32::MAX),
        _ => abi_info(ty).map_or(1, |info| info.flat_count),
    }
}

/// Where a variant-like value's payload starts, relative to the value.
pub(crate) fn payload_offset(ty: &Type) -> u32 {
    match ty {
        Type::Enum(e) => discriminant_type(e.len()).size(),
        _ => abi_info(ty).map_or(0, |info| info.payload_offset),
    }
}

/// `flatten_type(ty)` of a variant-like type, if cached (not for `enum`, which is one `i32`).
pub(crate) fn variant_flat(ty: &Type) -> Option<&[ValType]> {
    match ty {
        Type::Variant(_) | Type::Option(_) | Type::Result(_) => abi_info(ty).map(|i| &*i.flat),
        _ => None,
    }
}

/// The spec's `alignment(t)`: the alignment in bytes of a value of type `ty` in memory.
pub fn alignment(ty: &Type) -> u32 {
    match ty {
        Type::Bool | Type::S8 | Type::U8 => 1,
        Type::S16 | Type::U16 => 2,
        Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
        Type::S64 | Type::U64 | Type::Float64 => 8,
        Type::String | Type::List(_) => 4,
        Type::Flags(f) => alignment_flags(f),
        Type::Own(_) | Type::Borrow(_) => 4,
        Type::Enum(e) => discriminant_type(e.len()).size(),
        Type::Record(_) | Type::Tuple(_) | Type::Variant(_) | Type::Option(_) | Type::Result(_) => {
            abi_info(ty).map_or(1, |info| info.alignment)
        }
    }
}

/// The spec's `alignment_record`: the largest alignment of the fields, at least 1.
pub fn alignment_record<'a>(fields: impl IntoIterator<Item = &'a Type>) -> u32 {
    fields.into_iter().map(alignment).fold(1, u32::max)
}

/// The spec's `alignment_variant`: the larger of the discriminant's and the cases'.
fn alignment_variant(cases: &Cases<'_>) -> u32 {
    discriminant_type(cases.len())
        .size()
        .max(max_case_alignment(cases))
}

/// The spec's `max_case_alignment`.
fn max_case_alignment(cases: &Cases<'_>) -> u32 {
    cases.payloads().map(alignment).fold(1, u32::max)
}

/// The spec's `alignment_flags`, extended past 32 flags as the earlier spec laid them out
/// (one `u32` per 32 flags).
fn alignment_flags(flags: &Flags) -> u32 {
    match flags.len() {
        0..=8 => 1,
        9..=16 => 2,
        _ => 4,
    }
}

/// The spec's `elem_size(t)`: the size in bytes of a value of type `ty` in memory, a multiple
/// of its alignment.
pub fn elem_size(ty: &Type) -> u32 {
    match ty {
        Type::Bool | Type::S8 | Type::U8 => 1,
        Type::S16 | Type::U16 => 2,
        Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
        Type::S64 | Type::U64 | Type::Float64 => 8,
        Type::String | Type::List(_) => 8,
        Type::Flags(f) => elem_size_flags(f),
        Type::Own(_) | Type::Borrow(_) => 4,
        Type::Enum(e) => discriminant_type(e.len()).size(),
        Type::Record(_) | Type::Tuple(_) | Type::Variant(_) | Type::Option(_) | Type::Result(_) => {
            abi_info(ty).map_or(1, |info| info.size)
        }
    }
}

/// The spec's `elem_size_record`: the fields in order, each at its alignment, the total
/// rounded up to the record's alignment.
pub fn elem_size_record<'a>(fields: impl IntoIterator<Item = &'a Type> + Clone) -> u32 {
    let mut size = 0u32;
    for field in fields.clone() {
        size = align_to(size, alignment(field)).saturating_add(elem_size(field));
    }
    align_to(size, alignment_record(fields))
}

/// The offset of each field of a record with fields `fields`, as `elem_size_record` lays
/// them out (saturating like it).
fn field_offsets<'a>(fields: impl IntoIterator<Item = &'a Type>) -> impl Iterator<Item = u32> {
    let mut size = 0u32;
    fields.into_iter().map(move |field| {
        let offset = align_to(size, alignment(field));
        size = offset.saturating_add(elem_size(field));
        offset
    })
}

/// The offsets of the fields of a record or the elements of a tuple (empty for any other
/// type).
pub(crate) fn record_offsets(ty: &Type) -> &[u32] {
    match ty {
        Type::Record(_) | Type::Tuple(_) => abi_info(ty).map_or(&[], |info| &info.offsets),
        _ => &[],
    }
}

/// The spec's `elem_size_variant`: the discriminant, then the largest payload at the cases'
/// alignment, rounded up to the variant's alignment.
fn elem_size_variant(cases: &Cases<'_>) -> u32 {
    let size = discriminant_type(cases.len()).size();
    let size = align_to(size, max_case_alignment(cases));
    let payload = cases.payloads().map(elem_size).fold(0, u32::max);
    align_to(size.saturating_add(payload), alignment_variant(cases))
}

/// The spec's `elem_size_flags`, extended past 32 flags as the earlier spec did.
pub(crate) fn elem_size_flags(flags: &Flags) -> u32 {
    match flags.len() {
        0..=8 => 1,
        9..=16 => 2,
        n => 4 * u32::try_from(n.div_ceil(32)).unwrap_or(u32::MAX / 4),
    }
}

/// The spec's `align_to(ptr, alignment)`: `ptr` rounded up to a multiple of `alignment` (a
/// power of two), saturating at the largest such multiple below `u32::MAX`.
pub fn align_to(ptr: u32, alignment: u32) -> u32 {
    let mask = alignment.max(1) - 1;
    match ptr.checked_add(mask) {
        Some(p) => p & !mask,
        None => !mask,
    }
}

/// The integer type of a variant's discriminant (the spec's `discriminant_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discriminant {
    /// `u8`: up to 256 cases.
    U8,
    /// `u16`: up to 65536 cases.
    U16,
    /// `u32`: more cases.
    U32,
}

impl Discriminant {
    /// The size (and alignment) in bytes.
    pub fn size(self) -> u32 {
        match self {
            Discriminant::U8 => 1,
            Discriminant::U16 => 2,
            Discriminant::U32 => 4,
        }
    }
}

/// The spec's `discriminant_type(cases)` for a variant of `num_cases` cases: the smallest
/// unsigned integer that numbers them.
pub fn discriminant_type(num_cases: usize) -> Discriminant {
    if num_cases <= 1 << 8 {
        Discriminant::U8
    } else if num_cases <= 1 << 16 {
        Discriminant::U16
    } else {
        Discriminant::U32
    }
}

/// A variant-like type seen as the spec's despecialized `variant`: its number of cases and the
/// payload type of each.
#[derive(Clone, Copy)]
pub(crate) enum Cases<'a> {
    /// `variant`.
    Variant(&'a [(Box<str>, Option<Type>)]),
    /// `enum`: that many cases, none with a payload.
    Enum(usize),
    /// `option<T>`: `none`, `some(T)`.
    Option(&'a Type),
    /// `result<T, E>`: `ok(T)`, `error(E)`.
    Result(Option<&'a Type>, Option<&'a Type>),
}

impl<'a> Cases<'a> {
    /// The cases of `ty`, if it is variant-like.
    pub(crate) fn of(ty: &'a Type) -> Option<Cases<'a>> {
        match ty {
            Type::Variant(v) => Some(Cases::Variant(v.case_types())),
            Type::Enum(e) => Some(Cases::Enum(e.len())),
            Type::Option(o) => Some(Cases::Option(o.payload())),
            Type::Result(r) => {
                let (ok, err) = r.payloads();
                Some(Cases::Result(ok, err))
            }
            _ => None,
        }
    }

    /// The number of cases.
    pub(crate) fn len(&self) -> usize {
        match self {
            Cases::Variant(cases) => cases.len(),
            Cases::Enum(n) => *n,
            Cases::Option(_) | Cases::Result(..) => 2,
        }
    }

    /// The payload types of the cases that have one.
    pub(crate) fn payloads(&self) -> impl Iterator<Item = &'a Type> + '_ {
        let (variant, option, result): (&[(Box<str>, Option<Type>)], _, _) = match *self {
            Cases::Variant(cases) => (cases, None, [None, None]),
            Cases::Enum(_) => (&[], None, [None, None]),
            Cases::Option(t) => (&[], Some(t), [None, None]),
            Cases::Result(ok, err) => (&[], None, [ok, err]),
        };
        variant
            .iter()
            .filter_map(|(_, t)| t.as_ref())
            .chain(option)
            .chain(result.into_iter().flatten())
    }

    /// The payload type of case `index`, if it has one.
    pub(crate) fn payload(&self, index: usize) -> Option<&'a Type> {
        match self {
            Cases::Variant(cases) => cases.get(index).and_then(|(_, t)| t.as_ref()),
            Cases::Enum(_) => None,
            Cases::Option(t) => (index == 1).then_some(*t),
            Cases::Result(ok, err) => match index {
                0 => *ok,
                1 => *err,
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::types::{Enum, OptionType, Record, ResultType, Tuple, Variant};
    use crate::error::Result;

    #[test]
    fn sizes_and_alignments_follow_the_spec() -> Result<()> {
        let rec = Type::Record(Record::new([
            ("a", Type::U8),
            ("b", Type::U64),
            ("c", Type::U16),
        ])?);
        assert_eq!((alignment(&rec), elem_size(&rec)), (8, 24));
        let tup = Type::Tuple(Tuple::new([Type::U8, Type::U16])?);
        assert_eq!((alignment(&tup), elem_size(&tup)), (2, 4));
        let opt = Type::Option(OptionType::new(Type::U32));
        assert_eq!((alignment(&opt), elem_size(&opt)), (4, 8));
        let res = Type::Result(ResultType::new(None, None));
        assert_eq!((alignment(&res), elem_size(&res)), (1, 1));
        let res = Type::Result(ResultType::new(Some(Type::String), Some(Type::U8)));
        assert_eq!((alignment(&res), elem_size(&res)), (4, 12));
        let big_enum = Type::Enum(Enum::new((0..300).map(|i| format!("c{i}")))?);
        assert_eq!((alignment(&big_enum), elem_size(&big_enum)), (2, 2));
        let var = Type::Variant(Variant::new([("a", None), ("b", Some(Type::Float64))])?);
        assert_eq!((alignment(&var), elem_size(&var)), (8, 16));
        let flags = |n: usize| Flags::new((0..n).map(|i| format!("f{i}")));
        for (n, size, align) in [
            (1, 1, 1),
            (8, 1, 1),
            (9, 2, 2),
            (17, 4, 4),
            (32, 4, 4),
            (33, 8, 4),
            (65, 12, 4),
        ] {
            let ty = Type::Flags(flags(n)?);
            assert_eq!((elem_size(&ty), alignment(&ty)), (size, align), "{n} flags");
        }
        assert_eq!(discriminant_type(256), Discriminant::U8);
        assert_eq!(discriminant_type(257), Discriminant::U16);
        assert_eq!(discriminant_type(65537), Discriminant::U32);
        assert_eq!(align_to(u32::MAX, 8), !7);
        Ok(())
    }
}
