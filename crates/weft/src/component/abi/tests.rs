//! Tests of the Canonical ABI against a byte-array memory with a bump `realloc`.

use super::*;
use crate::ErrorExt as _;
use crate::component::resources::{HandleTable, ResourceAny};
use crate::component::types::{
    ComponentFunc, Enum, Flags, List, OptionType, Record, ResourceType, ResultType, Tuple, Type,
    Variant,
};
use crate::component::values::Val;
use crate::error::{Error, Result};
use crate::trap::TrapCode;

const ENCODINGS: [StringEncoding; 3] = [
    StringEncoding::Utf8,
    StringEncoding::Utf16,
    StringEncoding::CompactUtf16,
];

/// What the test `realloc` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Realloc {
    /// A bump allocator that grows the memory as needed.
    Bump,
    /// A pointer one past an aligned one.
    Misaligned,
    /// A pointer at the end of memory.
    OutOfBounds,
}

/// A component instance's view for the ABI: a growable byte array, a bump `realloc` that
/// copies the old contents (as a real `realloc` does), and a handle table.
struct TestCx {
    memory: Vec<u8>,
    next: u32,
    encoding: StringEncoding,
    handles: HandleTable,
    realloc: Realloc,
    log: Vec<(u32, u32, u32, u32)>,
    defines: Vec<ResourceType>,
    max_lifted_bytes: u64,
}

impl TestCx {
    fn new(encoding: StringEncoding) -> Self {
        let mut handles = HandleTable::new();
        handles.enter_task();
        handles.enter_subtask();
        TestCx {
            memory: vec![0; 1 << 16],
            // Start away from 0 so that a forgotten pointer shows.
            next: 16,
            encoding,
            handles,
            realloc: Realloc::Bump,
            log: Vec::new(),
            defines: Vec::new(),
            max_lifted_bytes: DEFAULT_MAX_LIFTED_BYTES,
        }
    }

    fn with_bytes(encoding: StringEncoding, at: u32, bytes: &[u8]) -> Self {
        let mut cx = TestCx::new(encoding);
        let at = at as usize;
        cx.memory[at..at + bytes.len()].copy_from_slice(bytes);
        cx
    }
}

impl LiftContext for TestCx {
    fn memory(&self) -> &[u8] {
        &self.memory
    }
    fn string_encoding(&self) -> StringEncoding {
        self.encoding
    }
    fn handles(&mut self) -> &mut HandleTable {
        &mut self.handles
    }
    fn implements(&self, ty: &ResourceType) -> bool {
        self.defines.contains(ty)
    }
    fn max_lifted_bytes(&self) -> u64 {
        self.max_lifted_bytes
    }
}

impl LowerContext for TestCx {
    fn memory_mut(&mut self) -> &mut [u8] {
        &mut self.memory
    }
    fn realloc(&mut self, old_ptr: u32, old_size: u32, align: u32, new_size: u32) -> Result<u32> {
        self.log.push((old_ptr, old_size, align, new_size));
        match self.realloc {
            Realloc::Misaligned => return Ok(align_to(self.next, align) + 1),
            Realloc::OutOfBounds => return Ok(self.memory.len() as u32),
            Realloc::Bump => {}
        }
        if old_ptr != 0 && new_size <= old_size {
            return Ok(old_ptr);
        }
        let ptr = align_to(self.next, align);
        let end = ptr as usize + new_size as usize;
        if end > self.memory.len() {
            // Growing moves the bytes, as memory.grow may: the ABI must not hold a slice.
            let mut grown = vec![0; end.next_power_of_two()];
            grown[..self.memory.len()].copy_from_slice(&self.memory);
            self.memory = grown;
        }
        let copy = old_size.min(new_size) as usize;
        self.memory
            .copy_within(old_ptr as usize..old_ptr as usize + copy, ptr as usize);
        self.next = end as u32;
        Ok(ptr)
    }
}

fn message(result: Result<impl core::fmt::Debug>) -> String {
    match result {
        Ok(v) => format!("no error: {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn code(result: Result<impl core::fmt::Debug>) -> Option<TrapCode> {
    result.err().and_then(|e| e.trap_code())
}

fn lift_flat_from(cx: &mut TestCx, flat: &[u64], ty: &Type) -> Result<Val> {
    let mut values = CoreValueIter::new(flat);
    let val = lift_flat(cx, &mut values, ty)?;
    assert!(values.done(), "{ty}: flat values left over");
    Ok(val)
}

/// `val` of type `ty` through lower_flat/lift_flat and through store/load, in `encoding`.
fn roundtrip(ty: &Type, val: &Val, encoding: StringEncoding) -> Result<()> {
    val.typecheck(ty)?;
    let mut cx = TestCx::new(encoding);
    let mut flat = Vec::new();
    lower_flat(&mut cx, val, ty, &mut flat)?;
    let mut expected_types = Vec::new();
    flatten_type(ty, &mut expected_types);
    assert_eq!(flat.len(), expected_types.len(), "{ty}: flat count");
    let lifted = lift_flat_from(&mut cx, &flat, ty)?;
    assert_eq!(&lifted, val, "{ty} in {encoding:?}, flat");

    let ptr = cx.realloc(0, 0, alignment(ty), elem_size(ty))?;
    store(&mut cx, val, ty, ptr)?;
    let loaded = load(&mut cx, ptr, ty)?;
    assert_eq!(&loaded, val, "{ty} in {encoding:?}, memory");
    Ok(())
}

fn rec(fields: &[(&str, Type)]) -> Type {
    Type::Record(Record::new(fields.iter().cloned()).unwrap_or_else(|e| panic!("{e}")))
}

fn tuple(types: &[Type]) -> Type {
    Type::Tuple(Tuple::new(types.iter().cloned()).unwrap_or_else(|e| panic!("{e}")))
}

fn variant(cases: &[(&str, Option<Type>)]) -> Type {
    Type::Variant(Variant::new(cases.iter().cloned()).unwrap_or_else(|e| panic!("{e}")))
}

fn enum_(n: usize) -> Type {
    Type::Enum(Enum::new((0..n).map(|i| format!("e{i}"))).unwrap_or_else(|e| panic!("{e}")))
}

fn flags(n: usize) -> Type {
    Type::Flags(Flags::new((0..n).map(|i| format!("f{i}"))).unwrap_or_else(|e| panic!("{e}")))
}

fn list(ty: Type) -> Type {
    Type::List(List::new(ty))
}

fn some(v: Val) -> Val {
    Val::Option(Some(Box::new(v)))
}

const TEXTS: [&str; 7] = [
    "",
    "hello",
    "héllo wörld",
    "ÿ\u{0}\u{7f}\u{80}",
    "中文 text",
    "emoji 😀 and 𝄞",
    "mixed ascii then ÿ then 中 then 😀",
];

#[test]
fn every_type_crosses_in_every_encoding() -> Result<()> {
    let r = ResourceType::guest("r");
    let point = rec(&[("x", Type::S32), ("y", Type::Float64), ("tag", Type::Char)]);
    let shape = variant(&[
        ("none", None),
        ("circle", Some(Type::Float32)),
        ("label", Some(Type::String)),
        ("point", Some(point.clone())),
        ("big", Some(Type::U64)),
    ]);
    let cases: Vec<(Type, Val)> = vec![
        (Type::Bool, Val::Bool(true)),
        (Type::Bool, Val::Bool(false)),
        (Type::S8, Val::S8(-128)),
        (Type::U8, Val::U8(255)),
        (Type::S16, Val::S16(-2)),
        (Type::U16, Val::U16(65535)),
        (Type::S32, Val::S32(i32::MIN)),
        (Type::U32, Val::U32(u32::MAX)),
        (Type::S64, Val::S64(i64::MIN)),
        (Type::U64, Val::U64(u64::MAX)),
        (Type::Float32, Val::Float32(-1.5)),
        (Type::Float32, Val::Float32(f32::NAN)),
        (Type::Float64, Val::Float64(f64::INFINITY)),
        (Type::Char, Val::Char('😀')),
        (list(Type::U8), Val::List(vec![Val::U8(1), Val::U8(2)])),
        (list(Type::U8), Val::List(vec![])),
        (
            list(Type::Char),
            Val::List(vec![Val::Char('a'), Val::Char('中')]),
        ),
        (
            list(Type::S16),
            Val::List(vec![Val::S16(-1), Val::S16(7), Val::S16(i16::MAX)]),
        ),
        (
            list(Type::Float64),
            Val::List(vec![Val::Float64(0.5), Val::Float64(f64::NAN)]),
        ),
        (
            list(Type::String),
            Val::List(TEXTS.iter().map(|t| Val::String(t.to_string())).collect()),
        ),
        (
            list(list(Type::Bool)),
            Val::List(vec![
                Val::List(vec![Val::Bool(true)]),
                Val::List(vec![]),
                Val::List(vec![Val::Bool(false), Val::Bool(true)]),
            ]),
        ),
        (
            point.clone(),
            Val::Record(vec![
                ("x".into(), Val::S32(-3)),
                ("y".into(), Val::Float64(2.25)),
                ("tag".into(), Val::Char('x')),
            ]),
        ),
        (
            tuple(&[Type::U8, Type::String, Type::U64]),
            Val::Tuple(vec![
                Val::U8(9),
                Val::String("tüple".into()),
                Val::U64(1 << 40),
            ]),
        ),
        (shape.clone(), Val::Variant("none".into(), None)),
        (
            shape.clone(),
            Val::Variant("circle".into(), Some(Box::new(Val::Float32(3.5)))),
        ),
        (
            shape.clone(),
            Val::Variant("label".into(), Some(Box::new(Val::String("中".into())))),
        ),
        (
            shape.clone(),
            Val::Variant(
                "point".into(),
                Some(Box::new(Val::Record(vec![
                    ("x".into(), Val::S32(1)),
                    ("y".into(), Val::Float64(-0.0)),
                    ("tag".into(), Val::Char('\u{10FFFF}')),
                ]))),
            ),
        ),
        (
            shape,
            Val::Variant("big".into(), Some(Box::new(Val::U64(u64::MAX)))),
        ),
        (enum_(3), Val::Enum("e2".into())),
        (enum_(300), Val::Enum("e299".into())),
        (
            Type::Option(OptionType::new(Type::String)),
            Val::Option(None),
        ),
        (
            Type::Option(OptionType::new(Type::String)),
            some(Val::String("opt".into())),
        ),
        (
            Type::Option(OptionType::new(Type::Option(OptionType::new(Type::U8)))),
            some(Val::Option(None)),
        ),
        (
            Type::Result(ResultType::new(Some(Type::U32), Some(Type::String))),
            Val::Result(Err(Some(Box::new(Val::String("bad".into()))))),
        ),
        (
            Type::Result(ResultType::new(Some(Type::U32), Some(Type::String))),
            Val::Result(Ok(Some(Box::new(Val::U32(7))))),
        ),
        (
            Type::Result(ResultType::new(None, None)),
            Val::Result(Err(None)),
        ),
        (
            Type::Result(ResultType::new(None, Some(Type::Float32))),
            Val::Result(Ok(None)),
        ),
        (flags(3), Val::Flags(vec!["f0".into(), "f2".into()])),
        (flags(16), Val::Flags(vec!["f15".into()])),
        (flags(32), Val::Flags(vec!["f0".into(), "f31".into()])),
        (
            flags(70),
            Val::Flags(vec!["f1".into(), "f32".into(), "f69".into()]),
        ),
        (flags(40), Val::Flags(vec![])),
        (
            Type::Own(r.clone()),
            Val::Resource(ResourceAny::new(r.clone(), 77, true)),
        ),
        (
            Type::Borrow(r.clone()),
            Val::Resource(ResourceAny::new(r.clone(), 78, false)),
        ),
    ];
    let strings = TEXTS
        .iter()
        .map(|t| (Type::String, Val::String(t.to_string())));
    for (ty, val) in cases.into_iter().chain(strings) {
        for encoding in ENCODINGS {
            roundtrip(&ty, &val, encoding)?;
        }
    }
    Ok(())
}

#[test]
fn strings_have_each_encodings_layout() -> Result<()> {
    let store = |encoding, text: &str| -> Result<(Vec<u8>, u32)> {
        let mut cx = TestCx::new(encoding);
        let (ptr, units) = store_string_into_range(&mut cx, &StringSource::host(text)?)?;
        let bytes = match (encoding, units & UTF16_TAG != 0) {
            (StringEncoding::Utf8, _) => units as usize,
            (StringEncoding::CompactUtf16, false) => units as usize,
            _ => 2 * (units & !UTF16_TAG) as usize,
        };
        Ok((
            cx.memory[ptr as usize..ptr as usize + bytes].to_vec(),
            units,
        ))
    };
    assert_eq!(
        store(StringEncoding::Utf8, "hé")?,
        (vec![b'h', 0xc3, 0xa9], 3)
    );
    assert_eq!(
        store(StringEncoding::Utf16, "hé")?,
        (vec![b'h', 0, 0xe9, 0], 2)
    );
    // latin1+utf16: latin1 when every character fits a byte, else tagged utf16.
    assert_eq!(
        store(StringEncoding::CompactUtf16, "hé")?,
        (vec![b'h', 0xe9], 2)
    );
    assert_eq!(
        store(StringEncoding::CompactUtf16, "h中")?,
        (vec![b'h', 0, 0x2d, 0x4e], 2 | UTF16_TAG)
    );
    // utf16 surrogate pairs are little-endian code units.
    assert_eq!(
        store(StringEncoding::Utf16, "😀")?,
        (vec![0x3d, 0xd8, 0x00, 0xde], 2)
    );
    Ok(())
}

#[test]
fn transcoding_allocates_the_worst_case_then_shrinks() -> Result<()> {
    // utf8 -> utf16: 2 bytes per utf8 byte, then shrink to the exact size.
    let mut cx = TestCx::new(StringEncoding::Utf16);
    let (ptr, units) = store_string_into_range(&mut cx, &StringSource::host("aé")?)?;
    assert_eq!(units, 2);
    assert_eq!(cx.log, [(0, 0, 2, 6), (ptr, 6, 2, 4)]);

    // utf8 -> latin1+utf16: a byte per utf8 byte; a character past latin1 grows to utf16's
    // worst case and widens what was written.
    let mut cx = TestCx::new(StringEncoding::CompactUtf16);
    let (ptr, units) = store_string_into_range(&mut cx, &StringSource::host("ab中")?)?;
    assert_eq!(units, 3 | UTF16_TAG);
    assert_eq!(cx.log[0], (0, 0, 2, 5));
    // The first allocation is where the bump allocator started.
    let first_ptr = 16;
    assert_eq!(cx.log[1], (first_ptr, 5, 2, 10));
    assert_eq!((cx.log[2].1, cx.log[2].2, cx.log[2].3), (10, 2, 6));
    let bytes = &cx.memory[ptr as usize..ptr as usize + 6];
    assert_eq!(bytes, [b'a', 0, b'b', 0, 0x2d, 0x4e]);

    // utf16 (from a utf16 component) -> utf8: 3 bytes per unit in the worst case.
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let (_, units) = store_string_into_range(
        &mut cx,
        &StringSource::lifted("aé", StringEncoding::Utf16, 2),
    )?;
    assert_eq!(units, 3);
    assert_eq!(
        cx.log.iter().map(|l| (l.1, l.3)).collect::<Vec<_>>(),
        [(0, 2), (2, 6), (6, 3)]
    );

    // latin1+utf16 tagged utf16 -> latin1+utf16 that fits latin1: narrowed in place.
    let mut cx = TestCx::new(StringEncoding::CompactUtf16);
    let src = StringSource::lifted("hé", StringEncoding::CompactUtf16, 2 | UTF16_TAG);
    let (ptr, units) = store_string_into_range(&mut cx, &src)?;
    assert_eq!(units, 2);
    assert_eq!(&cx.memory[ptr as usize..ptr as usize + 2], b"h\xe9");
    Ok(())
}

#[test]
fn all_nine_transcoding_pairs() -> Result<()> {
    for src_encoding in ENCODINGS {
        for dst_encoding in ENCODINGS {
            for text in TEXTS {
                // Store as the source component would, lift it from there, store it into the
                // destination as an adapter would, and lift it again.
                let mut src = TestCx::new(src_encoding);
                let (ptr, units) = store_string_into_range(&mut src, &StringSource::host(text)?)?;
                let lifted = load_string_from_range(&mut src, ptr, units)?;
                assert_eq!(lifted, text);
                let mut dst = TestCx::new(dst_encoding);
                let source = StringSource::lifted(&lifted, src_encoding, units);
                let (ptr, units) = store_string_into_range(&mut dst, &source)?;
                let out = load_string_from_range(&mut dst, ptr, units)?;
                assert_eq!(out, text, "{src_encoding:?} -> {dst_encoding:?}");
            }
        }
    }
    Ok(())
}

#[test]
fn flat_values_spill_past_the_limits() -> Result<()> {
    // 17 u32 parameters spill to memory: one pointer travels.
    let types: Vec<Type> = (0..17).map(|_| Type::U32).collect();
    let vals: Vec<Val> = (0..17).map(Val::U32).collect();
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let flat = lower_flat_values(&mut cx, MAX_FLAT_PARAMS, &vals, &types, None)?;
    assert_eq!(flat.len(), 1);
    assert_eq!(cx.log, [(0, 0, 4, 68)]);
    let lifted = lift_flat_values(
        &mut cx,
        MAX_FLAT_PARAMS,
        &mut CoreValueIter::new(&flat),
        &types,
    )?;
    assert_eq!(lifted, vals);

    // 16 stay flat.
    let flat = lower_flat_values(&mut cx, MAX_FLAT_PARAMS, &vals[..16], &types[..16], None)?;
    assert_eq!(flat.len(), 16);

    // A string result is two flat values, more than MAX_FLAT_RESULTS: the caller passes an
    // out-pointer and nothing is returned flat.
    let result = [Type::String];
    let text = [Val::String("spilled".into())];
    let out_ptr = cx.realloc(0, 0, 4, 8)?;
    let flat = lower_flat_values(&mut cx, MAX_FLAT_RESULTS, &text, &result, Some(out_ptr))?;
    assert!(flat.is_empty());
    let lifted = lift_flat_values(
        &mut cx,
        MAX_FLAT_RESULTS,
        &mut CoreValueIter::new(&[u64::from(out_ptr)]),
        &result,
    )?;
    assert_eq!(lifted, text);

    // A u64 result stays flat.
    let flat = lower_flat_values(
        &mut cx,
        MAX_FLAT_RESULTS,
        &[Val::U64(5)],
        &[Type::U64],
        None,
    )?;
    assert_eq!(flat, [5]);

    // The function type agrees.
    let f = ComponentFunc::new(
        (0..17).map(|i| (format!("p{i}"), Type::U32)),
        Some(Type::String),
    )?;
    let lowered = flatten_functype(&f, flat::Context::Lower);
    assert_eq!(lowered.params().len(), 2);
    assert!(lowered.results().is_empty());
    Ok(())
}

#[test]
fn mismatched_values_are_usage_errors() {
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let mut out = Vec::new();
    let err = lower_flat(&mut cx, &Val::U8(1), &Type::String, &mut out);
    assert_eq!(message(err), "cannot lower a `u8` value as `string`");
    let err = lower_flat_values(&mut cx, 16, &[], &[Type::U8], None);
    assert_eq!(message(err), "expected 1 values, got 0");
}

#[test]
fn pointer_traps() -> Result<()> {
    let list_u32 = list(Type::U32);
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let len = cx.memory.len() as u64;
    // Misaligned list.
    let r = lift_flat_from(&mut cx, &[1, 1], &list_u32);
    assert_eq!(message(r), "wasm trap: unaligned pointer");
    // List past the end of memory (and a length whose byte size wraps 32 bits).
    let r = lift_flat_from(&mut cx, &[len - 4, 2], &list_u32);
    assert_eq!(message(r), "wasm trap: list content out-of-bounds");
    let r = lift_flat_from(&mut cx, &[4, 0x4000_0001], &list_u32);
    assert_eq!(code(r), Some(TrapCode::LengthOverflow));
    // String past the end of memory, and a misaligned utf16 string.
    let r = lift_flat_from(&mut cx, &[len - 1, 2], &Type::String);
    assert_eq!(message(r), "wasm trap: string content out-of-bounds");
    let mut cx16 = TestCx::new(StringEncoding::Utf16);
    let r = lift_flat_from(&mut cx16, &[3, 1], &Type::String);
    assert_eq!(message(r), "wasm trap: unaligned pointer");
    let mut cx_compact = TestCx::new(StringEncoding::CompactUtf16);
    let r = lift_flat_from(&mut cx_compact, &[3, 1], &Type::String);
    assert_eq!(message(r), "wasm trap: unaligned pointer");
    // Spilled values: a bad pointer for the tuple.
    let types: Vec<Type> = (0..17).map(|_| Type::U32).collect();
    let r = lift_flat_values(&mut cx, 16, &mut CoreValueIter::new(&[2]), &types);
    assert_eq!(message(r), "wasm trap: unaligned pointer");
    let r = lift_flat_values(&mut cx, 16, &mut CoreValueIter::new(&[len - 4]), &types);
    assert_eq!(message(r), "wasm trap: pointer out of bounds of memory");
    let vals: Vec<Val> = (0..17).map(Val::U32).collect();
    let r = lower_flat_values(&mut cx, 16, &vals, &types, Some(len as u32));
    assert_eq!(message(r), "wasm trap: pointer out of bounds of memory");
    Ok(())
}

#[test]
fn realloc_results_are_checked() -> Result<()> {
    for (realloc, expected) in [
        (
            Realloc::Misaligned,
            "wasm trap: realloc return: unaligned pointer 0x11 for alignment 4",
        ),
        (
            Realloc::OutOfBounds,
            "wasm trap: realloc return: beyond end of memory",
        ),
    ] {
        let mut cx = TestCx::new(StringEncoding::Utf8);
        cx.realloc = realloc;
        let mut out = Vec::new();
        let r = lower_flat(
            &mut cx,
            &Val::List(vec![Val::U32(1)]),
            &list(Type::U32),
            &mut out,
        );
        assert_eq!(message(r), expected);
    }
    // Strings check the pointer of every realloc, including the shrinking one.
    for encoding in ENCODINGS {
        let mut cx = TestCx::new(encoding);
        cx.realloc = Realloc::OutOfBounds;
        let r = store_string_into_range(&mut cx, &StringSource::host("héllo")?);
        assert_eq!(code(r), Some(TrapCode::ReallocOutOfBounds), "{encoding:?}");
        let mut cx = TestCx::new(encoding);
        cx.realloc = Realloc::Misaligned;
        let r = store_string_into_range(&mut cx, &StringSource::host("héllo")?);
        let expected = match encoding {
            // utf8 has alignment 1: every pointer is aligned, and the misaligned allocator's
            // pointer is in bounds.
            StringEncoding::Utf8 => None,
            _ => Some(TrapCode::UnalignedPointer),
        };
        assert_eq!(code(r), expected, "{encoding:?}");
    }
    Ok(())
}

#[test]
fn value_traps() -> Result<()> {
    let mut cx = TestCx::new(StringEncoding::Utf8);
    // char: surrogates and values past 0x10FFFF.
    let r = lift_flat_from(&mut cx, &[0xD800], &Type::Char);
    assert_eq!(message(r), "wasm trap: invalid `char` bit pattern 0xd800");
    let r = lift_flat_from(&mut cx, &[0x11_0000], &Type::Char);
    assert_eq!(code(r), Some(TrapCode::InvalidChar));
    cx.memory[8..12].copy_from_slice(&0xDFFFu32.to_le_bytes());
    let r = lift_flat_from(&mut cx, &[8, 1], &list(Type::Char));
    assert_eq!(code(r), Some(TrapCode::InvalidChar));

    // Discriminants, flat and in memory, for every variant-like type.
    let v = variant(&[("a", None), ("b", Some(Type::U8))]);
    let o = Type::Option(OptionType::new(Type::U8));
    let res = Type::Result(ResultType::new(None, Some(Type::U8)));
    for ty in [v, enum_(2), o, res] {
        // The trap comes before any payload slot is read (an enum has none).
        let r = lift_flat_from(&mut cx, &[2, 0], &ty);
        assert_eq!(
            message(r),
            "wasm trap: invalid variant discriminant 2 for 2 cases",
            "{ty}"
        );
        cx.memory[0] = 2;
        let r = load(&mut cx, 0, &ty);
        assert_eq!(code(r), Some(TrapCode::InvalidDiscriminant), "{ty}");
    }
    // A 300-case enum has a 16-bit discriminant.
    cx.memory[0..2].copy_from_slice(&300u16.to_le_bytes());
    assert_eq!(
        code(load(&mut cx, 0, &enum_(300))),
        Some(TrapCode::InvalidDiscriminant)
    );
    cx.memory[0..2].copy_from_slice(&299u16.to_le_bytes());
    assert_eq!(load(&mut cx, 0, &enum_(300))?, Val::Enum("e299".into()));

    // Not traps in the spec: a bool is any nonzero value, narrow integers keep their low
    // bits, flags ignore bits past the last label.
    assert_eq!(lift_flat_from(&mut cx, &[2], &Type::Bool)?, Val::Bool(true));
    cx.memory[0] = 7;
    assert_eq!(load(&mut cx, 0, &Type::Bool)?, Val::Bool(true));
    assert_eq!(lift_flat_from(&mut cx, &[0x1ff], &Type::U8)?, Val::U8(0xff));
    assert_eq!(lift_flat_from(&mut cx, &[0xffff], &Type::S8)?, Val::S8(-1));
    assert_eq!(
        lift_flat_from(&mut cx, &[0b1110], &flags(2))?,
        Val::Flags(vec!["f1".into()])
    );
    Ok(())
}

#[test]
fn string_traps() {
    let utf8 = |bytes: &[u8]| {
        let mut cx = TestCx::with_bytes(StringEncoding::Utf8, 16, bytes);
        message(lift_flat_from(
            &mut cx,
            &[16, bytes.len() as u64],
            &Type::String,
        ))
    };
    assert_eq!(
        utf8(&[b'a', 0xff]),
        "wasm trap: invalid utf-8: invalid utf-8 sequence of 1 bytes from index 1"
    );
    assert_eq!(
        utf8(&[0xe4, 0xb8]),
        "wasm trap: invalid utf-8: incomplete utf-8 byte sequence from index 0"
    );
    let utf16 = |encoding, bytes: &[u8], units: u32| {
        let mut cx = TestCx::with_bytes(encoding, 16, bytes);
        message(lift_flat_from(
            &mut cx,
            &[16, u64::from(units)],
            &Type::String,
        ))
    };
    assert_eq!(
        utf16(StringEncoding::Utf16, &[b'a', 0, 0x00, 0xd8], 2),
        "wasm trap: invalid utf-16: unpaired surrogate 0xd800"
    );
    assert_eq!(
        utf16(StringEncoding::CompactUtf16, &[0x00, 0xdc], 1 | UTF16_TAG),
        "wasm trap: invalid utf-16: unpaired surrogate 0xdc00"
    );
    // Latin1 decodes every byte.
    assert_eq!(
        utf16(StringEncoding::CompactUtf16, &[0xff], 1),
        "no error: String(\"ÿ\")"
    );

    // Longer than MAX_STRING_BYTE_LENGTH, in each encoding's units.
    let too_long = |encoding, units: u32| {
        let mut cx = TestCx::new(encoding);
        code(lift_flat_from(
            &mut cx,
            &[16, u64::from(units)],
            &Type::String,
        ))
    };
    assert_eq!(
        too_long(StringEncoding::Utf8, MAX_STRING_BYTE_LENGTH + 1),
        Some(TrapCode::LengthOverflow)
    );
    assert_eq!(
        too_long(StringEncoding::Utf16, MAX_STRING_BYTE_LENGTH / 2 + 1),
        Some(TrapCode::LengthOverflow)
    );
    assert_eq!(
        too_long(
            StringEncoding::CompactUtf16,
            UTF16_TAG | (MAX_STRING_BYTE_LENGTH / 2 + 1)
        ),
        Some(TrapCode::LengthOverflow)
    );
    // Just under the limit, the failure is the bounds check instead.
    assert_eq!(
        too_long(StringEncoding::Utf8, MAX_STRING_BYTE_LENGTH),
        Some(TrapCode::StringOutOfBounds)
    );
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let r = lift_flat_from(
        &mut cx,
        &[16, u64::from(MAX_STRING_BYTE_LENGTH) + 1],
        &Type::String,
    );
    assert_eq!(
        message(r),
        "wasm trap: string of 268435456 bytes is longer than the maximum of 268435455"
    );
}

#[test]
fn length_overflow_when_lowering() -> Result<()> {
    // A host list too big for the ABI is refused before anything is allocated: 2^16 + 1
    // elements of 4096 bytes (flags of 32768 labels) is just over 2^28 bytes.
    let ty = flags(32 * 1024);
    assert_eq!(elem_size(&ty), 4096);
    let big = Val::List(vec![Val::Flags(Vec::new()); (1 << 16) + 1]);
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let r = lower_flat(&mut cx, &big, &list(ty), &mut Vec::new());
    assert_eq!(code(r), Some(TrapCode::LengthOverflow));
    assert!(cx.log.is_empty());
    // A string whose length is past MAX_STRING_BYTE_LENGTH is refused the same way.
    let src = StringSource::lifted("", StringEncoding::Utf8, MAX_STRING_BYTE_LENGTH + 1);
    let r = store_string_into_range(&mut cx, &src);
    assert_eq!(code(r), Some(TrapCode::LengthOverflow));
    assert!(cx.log.is_empty());
    // A length that does not match the text is an internal error, not a wrong write.
    let src = StringSource::lifted("abc", StringEncoding::Utf8, 2);
    let r = store_string_into_range(&mut cx, &src);
    assert_eq!(code(r), Some(TrapCode::InternalError));
    Ok(())
}

#[test]
fn handle_traps() -> Result<()> {
    let r = ResourceType::guest("r");
    let other = ResourceType::guest("other");
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let own = Type::Own(r.clone());
    // No such handle.
    let res = lift_flat_from(&mut cx, &[7], &own);
    assert_eq!(message(res), "wasm trap: unknown handle index 7");
    // A handle of another resource type.
    let index = cx.handles.resource_new(other.clone(), 1)?;
    let res = lift_flat_from(&mut cx, &[u64::from(index)], &own);
    assert_eq!(code(res), Some(TrapCode::HandleWrongType));
    // An own handle lent to the current call cannot be moved out.
    let index = cx.handles.resource_new(r.clone(), 2)?;
    let borrowed = lift_flat_from(&mut cx, &[u64::from(index)], &Type::Borrow(r.clone()))?;
    assert_eq!(
        borrowed,
        Val::Resource(ResourceAny::new(r.clone(), 2, false))
    );
    let res = lift_flat_from(&mut cx, &[u64::from(index)], &own);
    assert_eq!(
        message(res),
        "wasm trap: cannot remove owned resource while borrowed"
    );
    cx.handles.exit_subtask();
    assert_eq!(
        lift_flat_from(&mut cx, &[u64::from(index)], &own)?,
        Val::Resource(ResourceAny::new(r.clone(), 2, true))
    );
    // Moved out: the index is gone.
    let res = lift_flat_from(&mut cx, &[u64::from(index)], &own);
    assert_eq!(code(res), Some(TrapCode::UnknownHandle));

    // A borrow lowered into an instance must be dropped before the call returns; a borrow of
    // the instance's own resource type is passed as the representation.
    let mut flat = Vec::new();
    let b = Val::Resource(ResourceAny::new(r.clone(), 9, false));
    lower_flat(&mut cx, &b, &Type::Borrow(r.clone()), &mut flat)?;
    assert_eq!(
        message(cx.handles.exit_task()),
        "wasm trap: borrow handles still remain at the end of the call"
    );
    cx.defines.push(r.clone());
    cx.handles.enter_task();
    flat.clear();
    lower_flat(&mut cx, &b, &Type::Borrow(r.clone()), &mut flat)?;
    assert_eq!(flat, [9]);
    assert!(cx.handles.exit_task().is_ok());

    // Lowering an own needs an owned handle of the right type (a usage error: the host's
    // mistake, not the guest's).
    let res = lower_flat(&mut cx, &b, &own, &mut flat);
    assert_eq!(code(res), None);
    Ok(())
}

#[test]
fn layout_is_computed_once_per_type() -> Result<()> {
    // tuple<t, t> nested 40 times has 2^40 leaves when expanded. Its layout is computed from
    // its parts' when it is built, so asking for it is immediate, and the size saturates.
    let mut ty = Type::U8;
    for _ in 0..40 {
        ty = tuple(&[ty.clone(), ty]);
    }
    assert_eq!(elem_size(&ty), u32::MAX);
    assert_eq!(flat_count(&ty), u32::MAX);
    // Too big for any memory: lifting it spilled traps instead of walking it.
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let r = lift_flat_values(
        &mut cx,
        MAX_FLAT_PARAMS,
        &mut CoreValueIter::new(&[0]),
        [&ty],
    );
    assert_eq!(code(r), Some(TrapCode::PointerOutOfBounds));
    Ok(())
}

#[test]
fn aliasing_lists_cannot_exhaust_the_host() {
    // list<list<list<u8>>>: 1000 pointers to one list of 1000 pointers to one list of 1000
    // bytes. 17 KB of guest memory, 10^9 values lifted.
    let mut cx = TestCx::new(StringEncoding::Utf8);
    let (inner, middle, outer) = (0x1000usize, 0x2000usize, 0x4000usize);
    for i in 0..1000 {
        cx.memory[middle + 8 * i..middle + 8 * i + 8]
            .copy_from_slice(&[(inner as u32).to_le_bytes(), 1000u32.to_le_bytes()].concat());
        cx.memory[outer + 8 * i..outer + 8 * i + 8]
            .copy_from_slice(&[(middle as u32).to_le_bytes(), 1000u32.to_le_bytes()].concat());
    }
    let ty = list(list(list(Type::U8)));
    cx.max_lifted_bytes = 1 << 20;
    let r = lift_flat_from(&mut cx, &[outer as u64, 1000], &ty);
    let err = r.err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("lifted value needs more than 1048576 bytes of host memory")
    );
    // Strings alias the same way; each lifted copy counts.
    cx.memory[inner..inner + 1000].fill(b'a');
    let ty = list(list(Type::String));
    let r = lift_flat_from(&mut cx, &[outer as u64, 1000], &ty);
    assert!(r.is_err());
    // Within the budget, aliasing is allowed, as the spec allows it.
    cx.max_lifted_bytes = DEFAULT_MAX_LIFTED_BYTES;
    let r = lift_flat_from(&mut cx, &[middle as u64, 3], &list(Type::String));
    let three = Val::List(vec![Val::String("a".repeat(1000)); 3]);
    assert_eq!(r.ok(), Some(three));
}

#[test]
fn deeply_nested_types_fit_the_stack() -> Result<()> {
    // The component runtime accepts types nested up to 1000 deep; lifting and lowering recurse
    // once per level, on a test thread's 2 MiB stack.
    let mut ty = Type::U8;
    let mut val = Val::U8(7);
    for i in 0..1000 {
        if i % 2 == 0 {
            ty = Type::Option(OptionType::new(ty));
            val = some(val);
        } else {
            ty = list(ty);
            val = Val::List(vec![val]);
        }
    }
    for encoding in ENCODINGS {
        roundtrip(&ty, &val, encoding)?;
    }
    Ok(())
}

/// Two instances, for calls from one to the other.
struct Pair {
    src: TestCx,
    dst: TestCx,
}

impl TransferContext for Pair {
    fn src_memory(&self) -> &[u8] {
        &self.src.memory
    }
    fn src_encoding(&self) -> StringEncoding {
        self.src.encoding
    }
    fn src_handles(&mut self) -> &mut HandleTable {
        &mut self.src.handles
    }
    fn dst_memory(&self) -> &[u8] {
        &self.dst.memory
    }
    fn dst_memory_mut(&mut self) -> &mut [u8] {
        &mut self.dst.memory
    }
    fn dst_encoding(&self) -> StringEncoding {
        self.dst.encoding
    }
    fn dst_handles(&mut self) -> &mut HandleTable {
        &mut self.dst.handles
    }
    fn dst_implements(&self, ty: &ResourceType) -> bool {
        self.dst.defines.contains(ty)
    }
    fn dst_realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32> {
        self.dst.realloc(old_ptr, old_size, align, new_size)
    }
}

/// `vals` lowered by a caller in `from`, transferred to a callee in `to` with the given flat
/// limits, and lifted there.
fn transfer_roundtrip(
    types: &[Type],
    vals: &[Val],
    from: StringEncoding,
    to: StringEncoding,
    max_flat: usize,
) -> Result<Vec<Val>> {
    let mut pair = Pair {
        src: TestCx::new(from),
        dst: TestCx::new(to),
    };
    let flat = lower_flat_values(&mut pair.src, max_flat, vals, types, None)?;
    let moved = transfer_flat_values(
        &mut pair,
        max_flat,
        &mut CoreValueIter::new(&flat),
        types,
        max_flat,
        None,
    )?;
    let mut iter = CoreValueIter::new(&moved);
    let lifted = lift_flat_values(&mut pair.dst, max_flat, &mut iter, types)?;
    assert!(iter.done());
    Ok(lifted)
}

#[test]
fn transfers_between_components_match_lift_then_lower() -> Result<()> {
    let resources = [ResourceType::guest("a")];
    let mut rng = Rng(0x7a5f_e11e);
    for case in 0..1500 {
        let n = 1 + rng.below(20);
        let types: Vec<Type> = (0..n)
            .map(|_| random_type(&mut rng, 3, &resources))
            .collect();
        let vals: Vec<Val> = types.iter().map(|t| random_val(&mut rng, t)).collect();
        for from in ENCODINGS {
            for to in ENCODINGS {
                // Parameters (spilled past 16 flat values) and a single result (spilled past 1).
                for max_flat in [MAX_FLAT_PARAMS, MAX_FLAT_RESULTS] {
                    let lifted = transfer_roundtrip(&types, &vals, from, to, max_flat)
                        .map_err(|e| Error::msg(format!("case {case}: {types:?}: {e}")))?;
                    assert_eq!(lifted, vals, "case {case}, {from:?} -> {to:?}");
                }
            }
        }
    }
    Ok(())
}

#[test]
fn transfers_store_strings_as_the_spec_does() -> Result<()> {
    // A utf16 caller passes "aé" to a utf8 callee: the callee's realloc sees the spec's
    // optimistic allocation, the growth to the worst case, and the shrink.
    let mut pair = Pair {
        src: TestCx::new(StringEncoding::Utf16),
        dst: TestCx::new(StringEncoding::Utf8),
    };
    let flat = lower_flat_values(
        &mut pair.src,
        16,
        &[Val::String("aé".into())],
        &[Type::String],
        None,
    )?;
    let moved = transfer_flat_values(
        &mut pair,
        16,
        &mut CoreValueIter::new(&flat),
        &[Type::String],
        16,
        None,
    )?;
    assert_eq!(moved[1], 3);
    let sizes: Vec<_> = pair.dst.log.iter().map(|l| (l.1, l.3)).collect();
    assert_eq!(sizes, [(0, 2), (2, 6), (6, 3)]);
    Ok(())
}

#[test]
fn transfers_move_handles_and_lend_borrows() -> Result<()> {
    let r = ResourceType::guest("r");
    let mut pair = Pair {
        src: TestCx::new(StringEncoding::Utf8),
        dst: TestCx::new(StringEncoding::Utf8),
    };
    let own = pair.src.handles.resource_new(r.clone(), 42)?;
    let lent = pair.src.handles.resource_new(r.clone(), 43)?;
    let types = [Type::Own(r.clone()), Type::Borrow(r.clone())];
    let flat = [u64::from(own), u64::from(lent)];
    let moved = transfer_flat_values(
        &mut pair,
        16,
        &mut CoreValueIter::new(&flat),
        &types,
        16,
        None,
    )?;
    // The own handle left the caller's table and arrived in the callee's.
    assert_eq!(
        code(pair.src.handles.get(own)),
        Some(TrapCode::UnknownHandle)
    );
    assert_eq!(pair.dst.handles.resource_rep(&r, moved[0] as u32)?, 42);
    // The borrowed one stays with the caller, lent until the call returns; the callee has a
    // borrow handle it must drop before returning.
    assert_eq!(pair.src.handles.get(lent)?.num_lends(), 1);
    assert_eq!(pair.dst.handles.resource_rep(&r, moved[1] as u32)?, 43);
    assert_eq!(
        code(pair.dst.handles.exit_task()),
        Some(TrapCode::BorrowsRemain)
    );
    pair.src.handles.exit_subtask();
    assert_eq!(pair.src.handles.get(lent)?.num_lends(), 0);
    // Lifting checks still apply on the way: a bad char, a bad discriminant.
    let r = transfer_flat_values(
        &mut pair,
        16,
        &mut CoreValueIter::new(&[0xD800]),
        &[Type::Char],
        16,
        None,
    );
    assert_eq!(code(r), Some(TrapCode::InvalidChar));
    let r = transfer_flat_values(
        &mut pair,
        16,
        &mut CoreValueIter::new(&[5]),
        &[enum_(2)],
        16,
        None,
    );
    assert_eq!(code(r), Some(TrapCode::InvalidDiscriminant));
    // Not traps, as in lifting: bits past the last flag and past a narrow integer are dropped,
    // a nonzero bool becomes 1, a signed narrow integer is sign-extended in its i32.
    let types = [flags(3), Type::Bool, Type::U8, Type::S8];
    let flat = [0b1111_0101, 7, 0x1ff, 0xff];
    let moved = transfer_flat_values(
        &mut pair,
        16,
        &mut CoreValueIter::new(&flat),
        &types,
        16,
        None,
    )?;
    assert_eq!(moved, [0b101, 1, 0xff, 0xffff_ffff]);
    Ok(())
}

/// A small deterministic generator (xorshift64*), so that failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

fn random_type(rng: &mut Rng, depth: u32, resources: &[ResourceType]) -> Type {
    let leaf = depth == 0 || rng.chance(3);
    let pick = if leaf { rng.below(16) } else { rng.below(26) };
    let sub = |rng: &mut Rng| random_type(rng, depth.saturating_sub(1), resources);
    match pick {
        0 => Type::Bool,
        1 => Type::S8,
        2 => Type::U8,
        3 => Type::S16,
        4 => Type::U16,
        5 => Type::S32,
        6 => Type::U32,
        7 => Type::S64,
        8 => Type::U64,
        9 => Type::Float32,
        10 => Type::Float64,
        11 => Type::Char,
        12 | 13 => Type::String,
        14 => Type::Own(resources[rng.below(resources.len())].clone()),
        15 => Type::Borrow(resources[rng.below(resources.len())].clone()),
        16 | 17 => list(sub(rng)),
        18 => {
            let n = 1 + rng.below(4);
            let fields: Vec<(String, Type)> = (0..n).map(|i| (format!("f{i}"), sub(rng))).collect();
            Type::Record(Record::new(fields).unwrap_or_else(|e| panic!("{e}")))
        }
        19 => {
            let n = 1 + rng.below(4);
            Type::Tuple(
                Tuple::new((0..n).map(|_| sub(rng)).collect::<Vec<_>>())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        }
        20 | 21 => {
            let n = 1 + rng.below(5);
            let cases: Vec<(String, Option<Type>)> = (0..n)
                .map(|i| (format!("c{i}"), (!rng.chance(3)).then(|| sub(rng))))
                .collect();
            Type::Variant(Variant::new(cases).unwrap_or_else(|e| panic!("{e}")))
        }
        22 => enum_(if rng.chance(8) {
            257 + rng.below(10)
        } else {
            1 + rng.below(5)
        }),
        23 => Type::Option(OptionType::new(sub(rng))),
        24 => {
            let ok = (!rng.chance(3)).then(|| sub(rng));
            let err = (!rng.chance(3)).then(|| sub(rng));
            Type::Result(ResultType::new(ok, err))
        }
        _ => {
            let max = if rng.chance(4) { 80 } else { 20 };
            flags(1 + rng.below(max))
        }
    }
}

fn random_char(rng: &mut Rng) -> char {
    let ranges: [(u32, u32); 5] = [
        (0x20, 0x7f),
        (0x80, 0x100),
        (0x100, 0xd800),
        (0xe000, 0x10000),
        (0x10000, 0x110000),
    ];
    let (lo, hi) = ranges[rng.below(ranges.len())];
    char::from_u32(lo + (rng.next() % u64::from(hi - lo)) as u32).unwrap_or('?')
}

fn random_val(rng: &mut Rng, ty: &Type) -> Val {
    match ty {
        Type::Bool => Val::Bool(rng.chance(2)),
        Type::S8 => Val::S8(rng.next() as i8),
        Type::U8 => Val::U8(rng.next() as u8),
        Type::S16 => Val::S16(rng.next() as i16),
        Type::U16 => Val::U16(rng.next() as u16),
        Type::S32 => Val::S32(rng.next() as i32),
        Type::U32 => Val::U32(rng.next() as u32),
        Type::S64 => Val::S64(rng.next() as i64),
        Type::U64 => Val::U64(rng.next()),
        Type::Float32 => Val::Float32(f32::from_bits(rng.next() as u32)),
        Type::Float64 => Val::Float64(f64::from_bits(rng.next())),
        Type::Char => Val::Char(random_char(rng)),
        Type::String => {
            // Mostly one script, sometimes mixed, so that every transcoding path runs.
            let n = rng.below(12);
            let pure_ascii = rng.chance(3);
            Val::String(
                (0..n)
                    .map(|_| {
                        if pure_ascii {
                            char::from(b'a' + (rng.next() % 26) as u8)
                        } else {
                            random_char(rng)
                        }
                    })
                    .collect(),
            )
        }
        Type::List(l) => {
            let n = rng.below(5);
            Val::List((0..n).map(|_| random_val(rng, l.element())).collect())
        }
        Type::Record(r) => Val::Record(
            r.fields()
                .map(|f| (f.name.to_string(), random_val(rng, &f.ty)))
                .collect(),
        ),
        Type::Tuple(t) => Val::Tuple(t.types().map(|t| random_val(rng, &t)).collect()),
        Type::Variant(v) => {
            let cases: Vec<_> = v.cases().collect();
            let case = &cases[rng.below(cases.len())];
            Val::Variant(
                case.name.to_string(),
                case.ty.as_ref().map(|t| Box::new(random_val(rng, t))),
            )
        }
        Type::Enum(e) => Val::Enum(e.names().nth(rng.below(e.len())).unwrap_or("").to_string()),
        Type::Option(o) => {
            Val::Option((!rng.chance(3)).then(|| Box::new(random_val(rng, o.payload()))))
        }
        Type::Result(r) => {
            if rng.chance(2) {
                Val::Result(Ok(r.ok().map(|t| Box::new(random_val(rng, &t)))))
            } else {
                Val::Result(Err(r.err().map(|t| Box::new(random_val(rng, &t)))))
            }
        }
        Type::Flags(f) => Val::Flags(
            f.names()
                .filter(|_| rng.chance(2))
                .map(str::to_string)
                .collect(),
        ),
        Type::Own(rt) => Val::Resource(ResourceAny::new(rt.clone(), rng.next() as u32, true)),
        Type::Borrow(rt) => Val::Resource(ResourceAny::new(rt.clone(), rng.next() as u32, false)),
    }
}

#[test]
fn random_types_and_values_round_trip() -> Result<()> {
    let resources = [ResourceType::guest("a"), ResourceType::host::<String>()];
    let mut rng = Rng(0x5eed_0fc0_ffee);
    for case in 0..3000 {
        let ty = random_type(&mut rng, 4, &resources);
        let val = random_val(&mut rng, &ty);
        for encoding in ENCODINGS {
            roundtrip(&ty, &val, encoding)
                .map_err(|e| Error::msg(format!("case {case}: {ty} = {val:?}: {e}")))?;
        }
    }
    // Whole parameter lists, spilled or not.
    for case in 0..300 {
        let n = 1 + rng.below(20);
        let types: Vec<Type> = (0..n)
            .map(|_| random_type(&mut rng, 2, &resources))
            .collect();
        let vals: Vec<Val> = types.iter().map(|t| random_val(&mut rng, t)).collect();
        for encoding in ENCODINGS {
            let mut cx = TestCx::new(encoding);
            let flat = lower_flat_values(&mut cx, MAX_FLAT_PARAMS, &vals, &types, None)?;
            let mut iter = CoreValueIter::new(&flat);
            let lifted = lift_flat_values(&mut cx, MAX_FLAT_PARAMS, &mut iter, &types)?;
            assert!(iter.done());
            assert_eq!(lifted, vals, "case {case} in {encoding:?}");
        }
    }
    Ok(())
}

#[test]
fn record_field_offsets_follow_elem_size_record() {
    use super::layout::record_offsets;
    let mixed = rec(&[
        ("a", Type::U8),
        ("b", Type::S16),
        ("c", Type::U32),
        ("d", Type::S64),
        ("e", Type::Float32),
        ("f", Type::Float64),
        ("g", Type::Bool),
        ("h", Type::Char),
    ]);
    assert_eq!(record_offsets(&mixed), [0, 2, 4, 8, 16, 24, 32, 36]);
    assert_eq!(elem_size(&mixed), 40);
    // A nested record is aligned to its own alignment; a string is (ptr, len) at 4.
    let nested = tuple(&[Type::Bool, mixed.clone(), Type::U8, Type::String]);
    assert_eq!(record_offsets(&nested), [0, 8, 48, 52]);
    assert_eq!(elem_size(&nested), 64);
    // Each offset is where `elem_size_record` puts the field.
    let fields = [Type::U16, Type::U8, Type::U64, Type::U8];
    let mut at = 0;
    let expected: Vec<u32> = fields
        .iter()
        .map(|t| {
            let offset = align_to(at, alignment(t));
            at = offset + elem_size(t);
            offset
        })
        .collect();
    assert_eq!(record_offsets(&tuple(&fields)), &expected[..]);
    assert!(record_offsets(&Type::U32).is_empty());
}
