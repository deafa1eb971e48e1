//! Script values: `.wast` arguments turned into [`Val`]s, and results checked against the
//! script's expectations.
//!
//! Floats compare bit for bit, so `-0.0` differs from `0.0` and every NaN payload is seen. The
//! two NaN patterns follow the spec interpreter's definitions (spec §4.3.3 "Floating-Point
//! Operations"): a *canonical* NaN has only the quiet bit of its payload set (either sign), an
//! *arithmetic* NaN has at least the quiet bit set.

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};
use weft::{ExternRef, RefType, Store, V128, Val};

/// The quiet bit and exponent of an `f32` NaN.
const F32_QUIET_NAN: u32 = 0x7fc0_0000;
/// The quiet bit and exponent of an `f64` NaN.
const F64_QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;

/// Whether `bits` is an `f32` canonical NaN (`nan:canonical`).
pub(crate) fn is_canonical_nan_f32(bits: u32) -> bool {
    bits & 0x7fff_ffff == F32_QUIET_NAN
}

/// Whether `bits` is an `f32` arithmetic NaN (`nan:arithmetic`).
pub(crate) fn is_arithmetic_nan_f32(bits: u32) -> bool {
    bits & F32_QUIET_NAN == F32_QUIET_NAN
}

/// Whether `bits` is an `f64` canonical NaN (`nan:canonical`).
pub(crate) fn is_canonical_nan_f64(bits: u64) -> bool {
    bits & 0x7fff_ffff_ffff_ffff == F64_QUIET_NAN
}

/// Whether `bits` is an `f64` arithmetic NaN (`nan:arithmetic`).
pub(crate) fn is_arithmetic_nan_f64(bits: u64) -> bool {
    bits & F64_QUIET_NAN == F64_QUIET_NAN
}

/// The reference type of a `ref.null` heap type, if Weft has it: `func`, `extern`, their
/// bottoms `nofunc` and `noextern`, and a concrete type (by index or name), which is a
/// function type without GC. A null's value depends only on its hierarchy.
fn ref_type(heap: &HeapType<'_>) -> Result<RefType, String> {
    let heap_type = match heap {
        HeapType::Abstract { shared: false, ty } => match ty {
            AbstractHeapType::Func => weft::HeapType::Func,
            AbstractHeapType::NoFunc => weft::HeapType::NoFunc,
            AbstractHeapType::Extern => weft::HeapType::Extern,
            AbstractHeapType::NoExtern => weft::HeapType::NoExtern,
            other => {
                return Err(format!(
                    "unsupported reference type {other:?}: Weft has func and extern references"
                ));
            }
        },
        HeapType::Concrete(_) => weft::HeapType::NoFunc,
        other => {
            return Err(format!(
                "unsupported reference type {other:?}: Weft has func and extern references"
            ));
        }
    };
    Ok(RefType::new(true, heap_type))
}

/// The value of a script argument. `ref.extern N` creates a new externref holding `N` (a
/// `u32`) in `store`.
///
/// # Errors
///
/// The `u32` a script's `ref.extern N` stands for, if `r` holds one.
fn host_u32<'a>(store: &'a Store<()>, r: &ExternRef) -> Option<&'a u32> {
    r.data(store).ok().flatten()?.downcast_ref::<u32>()
}

/// A message for values Weft does not have (`v128`, GC and component values).
pub(crate) fn arg(store: &mut Store<()>, arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model values are not supported".to_string());
    };
    match core {
        WastArgCore::I32(v) => Ok(Val::I32(*v)),
        WastArgCore::I64(v) => Ok(Val::I64(*v)),
        WastArgCore::F32(v) => Ok(Val::F32(v.bits)),
        WastArgCore::F64(v) => Ok(Val::F64(v.bits)),
        WastArgCore::RefNull(heap) => Ok(Val::null_ref(ref_type(heap)?)),
        WastArgCore::RefExtern(n) => ExternRef::new(&mut *store, *n)
            .map(|r| Val::ExternRef(Some(r)))
            .map_err(|e| e.to_string()),
        WastArgCore::V128(v) => Ok(Val::V128(V128::from(u128::from_le_bytes(v.to_le_bytes())))),
        WastArgCore::RefHost(_) => {
            Err("ref.host values (GC proposal) are not supported by Weft".to_string())
        }
    }
}

/// Describes an `f32` by value and bits, e.g. `f32.const 1.5 (0x3fc00000)`.
fn describe_f32(bits: u32) -> String {
    format!("f32.const {:?} (0x{bits:08x})", f32::from_bits(bits))
}

/// Describes an `f64` by value and bits.
fn describe_f64(bits: u64) -> String {
    format!("f64.const {:?} (0x{bits:016x})", f64::from_bits(bits))
}

/// Describes a `v128` by its bits, as `i32x4` lanes (lane 0 first).
fn describe_v128(bits: u128) -> String {
    let lanes: Vec<String> = (0..4)
        .map(|i| format!("0x{:08x}", (bits >> (32 * i)) as u32))
        .collect();
    format!("v128.const i32x4 {}", lanes.join(" "))
}

/// Whether lane `i` of `bits` (lanes of `width` bits) matches `expected` (the lane's bits).
fn lane_is(bits: u128, width: u32, i: usize, expected: u128) -> bool {
    let mask = (1u128 << width) - 1;
    (bits >> (width as usize * i)) & mask == expected & mask
}

/// Whether the `v128` `bits` matches `pattern`, lane by lane (a float lane may be a NaN
/// pattern).
fn matches_v128(bits: u128, pattern: &V128Pattern) -> bool {
    match pattern {
        V128Pattern::I8x16(l) => l
            .iter()
            .enumerate()
            .all(|(i, e)| lane_is(bits, 8, i, u128::from(*e as u8))),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, e)| lane_is(bits, 16, i, u128::from(*e as u16))),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, e)| lane_is(bits, 32, i, u128::from(*e as u32))),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, e)| lane_is(bits, 64, i, u128::from(*e as u64))),
        V128Pattern::F32x4(l) => l.iter().enumerate().all(|(i, p)| {
            let lane = (bits >> (32 * i)) as u32;
            match p {
                NanPattern::CanonicalNan => is_canonical_nan_f32(lane),
                NanPattern::ArithmeticNan => is_arithmetic_nan_f32(lane),
                NanPattern::Value(e) => e.bits == lane,
            }
        }),
        V128Pattern::F64x2(l) => l.iter().enumerate().all(|(i, p)| {
            let lane = (bits >> (64 * i)) as u64;
            match p {
                NanPattern::CanonicalNan => is_canonical_nan_f64(lane),
                NanPattern::ArithmeticNan => is_arithmetic_nan_f64(lane),
                NanPattern::Value(e) => e.bits == lane,
            }
        }),
    }
}

/// Describes a value in the script's syntax, for failure messages.
pub(crate) fn describe(store: &Store<()>, val: &Val) -> String {
    match val {
        Val::I32(v) => format!("i32.const {v} (0x{:08x})", *v as u32),
        Val::I64(v) => format!("i64.const {v} (0x{:016x})", *v as u64),
        Val::F32(bits) => describe_f32(*bits),
        Val::F64(bits) => describe_f64(*bits),
        Val::V128(v) => describe_v128(v.as_u128()),
        Val::FuncRef(None) => "ref.null func".to_string(),
        Val::FuncRef(Some(_)) => "ref.func".to_string(),
        Val::ExternRef(None) => "ref.null extern".to_string(),
        Val::ExternRef(Some(r)) => match host_u32(store, r) {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern <host value>".to_string(),
        },
    }
}

/// Describes a list of values, for failure messages.
pub(crate) fn describe_all(store: &Store<()>, vals: &[Val]) -> String {
    let parts: Vec<String> = vals.iter().map(|v| describe(store, v)).collect();
    format!("[{}]", parts.join(", "))
}

/// Describes an argument in the script's syntax.
pub(crate) fn describe_arg(arg: &WastArg<'_>) -> String {
    match arg {
        WastArg::Core(WastArgCore::I32(v)) => format!("i32.const {v}"),
        WastArg::Core(WastArgCore::I64(v)) => format!("i64.const {v}"),
        WastArg::Core(WastArgCore::F32(v)) => describe_f32(v.bits),
        WastArg::Core(WastArgCore::F64(v)) => describe_f64(v.bits),
        WastArg::Core(WastArgCore::RefNull(heap)) => match ref_type(heap) {
            Ok(ty) => format!("ref.null {}", ty.heap_type()),
            Err(_) => format!("ref.null {heap:?}"),
        },
        WastArg::Core(WastArgCore::RefExtern(n)) => format!("ref.extern {n}"),
        WastArg::Component(val) => crate::component_values::describe_wast(val),
        other => format!("{other:?}"),
    }
}

/// Describes an expected result in the script's syntax.
pub(crate) fn describe_expected(expected: &WastRet<'_>) -> String {
    match expected {
        WastRet::Core(core) => describe_expected_core(core),
        WastRet::Component(val) => crate::component_values::describe_wast(val),
        #[allow(unreachable_patterns, reason = "`WastRet` is non-exhaustive")]
        other => format!("{other:?}"),
    }
}

fn describe_expected_core(expected: &WastRetCore<'_>) -> String {
    match expected {
        WastRetCore::I32(v) => format!("i32.const {v} (0x{:08x})", *v as u32),
        WastRetCore::I64(v) => format!("i64.const {v} (0x{:016x})", *v as u64),
        WastRetCore::F32(NanPattern::CanonicalNan) => "f32.const nan:canonical".to_string(),
        WastRetCore::F32(NanPattern::ArithmeticNan) => "f32.const nan:arithmetic".to_string(),
        WastRetCore::F32(NanPattern::Value(v)) => describe_f32(v.bits),
        WastRetCore::F64(NanPattern::CanonicalNan) => "f64.const nan:canonical".to_string(),
        WastRetCore::F64(NanPattern::ArithmeticNan) => "f64.const nan:arithmetic".to_string(),
        WastRetCore::F64(NanPattern::Value(v)) => describe_f64(v.bits),
        WastRetCore::RefNull(None) => "ref.null".to_string(),
        WastRetCore::RefNull(Some(heap)) => match ref_type(heap) {
            Ok(ty) => format!("ref.null {}", ty.heap_type()),
            Err(_) => format!("ref.null {heap:?}"),
        },
        WastRetCore::RefExtern(None) => "ref.extern".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefFunc(None) => "ref.func".to_string(),
        WastRetCore::V128(pattern) => format!("v128.const {pattern:?}"),
        WastRetCore::Either(alternatives) => {
            let parts: Vec<String> = alternatives.iter().map(describe_expected_core).collect();
            format!("either({})", parts.join(" | "))
        }
        other => format!("{other:?}"),
    }
}

/// Whether `actual` is what `expected` describes.
///
/// # Errors
///
/// A message for expectations the runner cannot check (`v128`, GC and component values,
/// `ref.func` naming a function).
pub(crate) fn matches(
    store: &Store<()>,
    actual: &Val,
    expected: &WastRet<'_>,
) -> Result<bool, String> {
    match expected {
        WastRet::Core(core) => matches_core(store, actual, core),
        other => Err(format!("unsupported component-model result {other:?}")),
    }
}

fn matches_core(
    store: &Store<()>,
    actual: &Val,
    expected: &WastRetCore<'_>,
) -> Result<bool, String> {
    Ok(match (expected, actual) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(pattern), Val::F32(bits)) => match pattern {
            NanPattern::CanonicalNan => is_canonical_nan_f32(*bits),
            NanPattern::ArithmeticNan => is_arithmetic_nan_f32(*bits),
            NanPattern::Value(e) => e.bits == *bits,
        },
        (WastRetCore::F64(pattern), Val::F64(bits)) => match pattern {
            NanPattern::CanonicalNan => is_canonical_nan_f64(*bits),
            NanPattern::ArithmeticNan => is_arithmetic_nan_f64(*bits),
            NanPattern::Value(e) => e.bits == *bits,
        },
        (WastRetCore::RefNull(None), Val::FuncRef(r)) => r.is_none(),
        (WastRetCore::RefNull(None), Val::ExternRef(r)) => r.is_none(),
        (WastRetCore::RefNull(Some(heap)), actual) => {
            match (ref_type(heap)?.heap_type().top(), actual) {
                (weft::HeapType::Func, Val::FuncRef(r)) => r.is_none(),
                (weft::HeapType::Extern, Val::ExternRef(r)) => r.is_none(),
                _ => false,
            }
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(r)) => r.is_some(),
        (WastRetCore::RefExtern(Some(n)), Val::ExternRef(r)) => match r {
            Some(r) => host_u32(store, r) == Some(n),
            None => false,
        },
        (WastRetCore::RefFunc(None), Val::FuncRef(r)) => r.is_some(),
        (WastRetCore::V128(pattern), Val::V128(v)) => matches_v128(v.as_u128(), pattern),
        (WastRetCore::RefFunc(Some(index)), _) => {
            return Err(format!(
                "unsupported expectation `ref.func {index:?}`: the runner cannot name functions"
            ));
        }
        (WastRetCore::Either(alternatives), actual) => {
            for alternative in alternatives {
                if matches_core(store, actual, alternative)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::I32(_)
            | WastRetCore::I64(_)
            | WastRetCore::F32(_)
            | WastRetCore::F64(_)
            | WastRetCore::RefNull(None)
            | WastRetCore::RefExtern(_)
            | WastRetCore::RefFunc(None)
            | WastRetCore::V128(_),
            _,
        ) => false,
        (other, _) => {
            return Err(format!(
                "unsupported expectation {}: Weft has no such values",
                describe_expected_core(other)
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        assert!(is_canonical_nan_f32(0x7fc0_0000));
        assert!(is_canonical_nan_f32(0xffc0_0000));
        assert!(!is_canonical_nan_f32(0x7fc0_0001));
        assert!(!is_canonical_nan_f32(0x7f80_0000));
        assert!(is_arithmetic_nan_f32(0x7fc0_0001));
        assert!(is_arithmetic_nan_f32(0xffff_ffff));
        assert!(!is_arithmetic_nan_f32(0x7fa0_0000));
        assert!(!is_arithmetic_nan_f32(0x3fc0_0000));

        assert!(is_canonical_nan_f64(0x7ff8_0000_0000_0000));
        assert!(is_canonical_nan_f64(0xfff8_0000_0000_0000));
        assert!(!is_canonical_nan_f64(0x7ff8_0000_0000_0001));
        assert!(is_arithmetic_nan_f64(0x7ff8_0000_0000_0001));
        assert!(!is_arithmetic_nan_f64(0x7ff4_0000_0000_0000));
        assert!(!is_arithmetic_nan_f64(0x7ff0_0000_0000_0000));
    }
}
