//! Component-model script values: `invoke` arguments turned into [`component::Val`]s and
//! results checked against `assert_return` expectations.
//!
//! The script syntax has no type annotations beyond the constant's keyword, so an argument is
//! converted against the parameter type it is passed for: `f32.const` and `f64.const` parse as
//! core constants (the `wast` parser tries core values first) and become `f32` / `f64`
//! component values here. Floats compare bit for bit, except that any NaN matches a NaN: the
//! Canonical ABI canonicalizes NaNs, so the payload a component returns is not the script's.

use wast::component::WastVal;
use wast::core::{NanPattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};
use weft::component::{Type, Val};

/// The component value of the script argument `arg`, passed for a parameter of type `ty`.
///
/// # Errors
///
/// A message when the argument does not fit the type, or is a value the Component Model
/// runtime does not have (`map`, core references).
pub(crate) fn arg(arg: &WastArg<'_>, ty: &Type) -> Result<Val, String> {
    match arg {
        WastArg::Component(val) => value(val, ty),
        WastArg::Core(WastArgCore::F32(f)) if *ty == Type::Float32 => {
            Ok(Val::Float32(f32::from_bits(f.bits)))
        }
        WastArg::Core(WastArgCore::F64(f)) if *ty == Type::Float64 => {
            Ok(Val::Float64(f64::from_bits(f.bits)))
        }
        other => Err(format!(
            "the argument ({}) is not a component value of type {}",
            crate::values::describe_arg(other),
            ty.desc()
        )),
    }
}

/// The component value `val` as a value of type `ty`.
fn value(val: &WastVal<'_>, ty: &Type) -> Result<Val, String> {
    let mismatch = || {
        format!(
            "the argument {} does not have type {}",
            describe_wast(val),
            ty.desc()
        )
    };
    Ok(match (val, ty) {
        (WastVal::Bool(b), Type::Bool) => Val::Bool(*b),
        (WastVal::U8(v), Type::U8) => Val::U8(*v),
        (WastVal::S8(v), Type::S8) => Val::S8(*v),
        (WastVal::U16(v), Type::U16) => Val::U16(*v),
        (WastVal::S16(v), Type::S16) => Val::S16(*v),
        (WastVal::U32(v), Type::U32) => Val::U32(*v),
        (WastVal::S32(v), Type::S32) => Val::S32(*v),
        (WastVal::U64(v), Type::U64) => Val::U64(*v),
        (WastVal::S64(v), Type::S64) => Val::S64(*v),
        (WastVal::F32(v), Type::Float32) => Val::Float32(f32::from_bits(v.bits)),
        (WastVal::F64(v), Type::Float64) => Val::Float64(f64::from_bits(v.bits)),
        (WastVal::Char(c), Type::Char) => Val::Char(*c),
        (WastVal::String(s), Type::String) => Val::String((*s).to_string()),
        (WastVal::List(items), Type::List(list)) => Val::List(
            items
                .iter()
                .map(|item| value(item, list.element()))
                .collect::<Result<_, _>>()?,
        ),
        (WastVal::Record(fields), Type::Record(record)) => {
            if fields.len() != record.fields().len() {
                return Err(mismatch());
            }
            let mut out = Vec::with_capacity(fields.len());
            for ((name, val), field) in fields.iter().zip(record.fields()) {
                if *name != field.name {
                    return Err(format!(
                        "record field `{name}` given where `{}` is expected",
                        field.name
                    ));
                }
                out.push((name.to_string(), value(val, &field.ty)?));
            }
            Val::Record(out)
        }
        (WastVal::Tuple(items), Type::Tuple(tuple)) => {
            if items.len() != tuple.elements().len() {
                return Err(mismatch());
            }
            Val::Tuple(
                items
                    .iter()
                    .zip(tuple.elements())
                    .map(|(item, ty)| value(item, ty))
                    .collect::<Result<_, _>>()?,
            )
        }
        (WastVal::Variant(name, payload), Type::Variant(variant)) => {
            let case = variant
                .cases()
                .find(|case| case.name == *name)
                .ok_or_else(|| format!("the variant has no case `{name}`"))?;
            let payload = match (payload, &case.ty) {
                (Some(payload), Some(ty)) => Some(Box::new(value(payload, ty)?)),
                (None, None) => None,
                _ => return Err(mismatch()),
            };
            Val::Variant(name.to_string(), payload)
        }
        (WastVal::Enum(name), Type::Enum(_)) => Val::Enum(name.to_string()),
        (WastVal::Option(payload), Type::Option(option)) => Val::Option(match payload {
            Some(payload) => Some(Box::new(value(payload, option.payload())?)),
            None => None,
        }),
        (WastVal::Result(result), Type::Result(ty)) => {
            let side = |payload: &Option<Box<WastVal<'_>>>, ty: Option<Type>| match (payload, ty) {
                (Some(payload), Some(ty)) => Ok(Some(Box::new(value(payload, &ty)?))),
                (None, None) => Ok(None),
                _ => Err(mismatch()),
            };
            Val::Result(match result {
                Ok(payload) => Ok(side(payload, ty.ok())?),
                Err(payload) => Err(side(payload, ty.err())?),
            })
        }
        (WastVal::Flags(names), Type::Flags(_)) => {
            Val::Flags(names.iter().map(|name| name.to_string()).collect())
        }
        (WastVal::Map(_), _) => {
            return Err("`map` values are not supported by Weft's Component Model".to_string());
        }
        _ => return Err(mismatch()),
    })
}

/// Whether `actual` is what `expected` describes.
///
/// # Errors
///
/// A message for expectations that are not component values.
pub(crate) fn matches(actual: &Val, expected: &WastRet<'_>) -> Result<bool, String> {
    match expected {
        WastRet::Component(expected) => Ok(matches_value(actual, expected)),
        WastRet::Core(WastRetCore::F32(pattern)) => Ok(match actual {
            Val::Float32(f) => match pattern {
                NanPattern::Value(e) => same_f32(*f, f32::from_bits(e.bits)),
                NanPattern::CanonicalNan | NanPattern::ArithmeticNan => f.is_nan(),
            },
            _ => false,
        }),
        WastRet::Core(WastRetCore::F64(pattern)) => Ok(match actual {
            Val::Float64(f) => match pattern {
                NanPattern::Value(e) => same_f64(*f, f64::from_bits(e.bits)),
                NanPattern::CanonicalNan | NanPattern::ArithmeticNan => f.is_nan(),
            },
            _ => false,
        }),
        other => Err(format!(
            "the expectation {other:?} is a core value, but the function is a component's"
        )),
    }
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn matches_payload(actual: &Option<Box<Val>>, expected: &Option<Box<WastVal<'_>>>) -> bool {
    match (actual, expected) {
        (Some(a), Some(e)) => matches_value(a, e),
        (None, None) => true,
        _ => false,
    }
}

fn matches_value(actual: &Val, expected: &WastVal<'_>) -> bool {
    match (actual, expected) {
        (Val::Bool(a), WastVal::Bool(e)) => a == e,
        (Val::U8(a), WastVal::U8(e)) => a == e,
        (Val::S8(a), WastVal::S8(e)) => a == e,
        (Val::U16(a), WastVal::U16(e)) => a == e,
        (Val::S16(a), WastVal::S16(e)) => a == e,
        (Val::U32(a), WastVal::U32(e)) => a == e,
        (Val::S32(a), WastVal::S32(e)) => a == e,
        (Val::U64(a), WastVal::U64(e)) => a == e,
        (Val::S64(a), WastVal::S64(e)) => a == e,
        (Val::Float32(a), WastVal::F32(e)) => same_f32(*a, f32::from_bits(e.bits)),
        (Val::Float64(a), WastVal::F64(e)) => same_f64(*a, f64::from_bits(e.bits)),
        (Val::Char(a), WastVal::Char(e)) => a == e,
        (Val::String(a), WastVal::String(e)) => a == e,
        (Val::List(a), WastVal::List(e)) | (Val::Tuple(a), WastVal::Tuple(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| matches_value(a, e))
        }
        (Val::Record(a), WastVal::Record(e)) => {
            a.len() == e.len()
                && a.iter()
                    .zip(e)
                    .all(|((an, av), (en, ev))| an == en && matches_value(av, ev))
        }
        (Val::Variant(an, ap), WastVal::Variant(en, ep)) => an == en && matches_payload(ap, ep),
        (Val::Enum(a), WastVal::Enum(e)) => a == e,
        (Val::Option(a), WastVal::Option(e)) => matches_payload(a, e),
        (Val::Result(a), WastVal::Result(e)) => match (a, e) {
            (Ok(a), Ok(e)) | (Err(a), Err(e)) => matches_payload(a, e),
            _ => false,
        },
        (Val::Flags(a), WastVal::Flags(e)) => {
            let mut a: Vec<&str> = a.iter().map(String::as_str).collect();
            let mut e: Vec<&str> = e.to_vec();
            a.sort_unstable();
            e.sort_unstable();
            a == e
        }
        _ => false,
    }
}

/// Describes a component value in the script's syntax, for failure messages.
pub(crate) fn describe(val: &Val) -> String {
    let payload = |p: &Option<Box<Val>>| match p {
        Some(p) => format!(" ({})", describe(p)),
        None => String::new(),
    };
    let all = |vals: &[Val]| {
        vals.iter()
            .map(|v| format!(" ({})", describe(v)))
            .collect::<String>()
    };
    match val {
        Val::Bool(b) => format!("bool.const {b}"),
        Val::S8(v) => format!("s8.const {v}"),
        Val::U8(v) => format!("u8.const {v}"),
        Val::S16(v) => format!("s16.const {v}"),
        Val::U16(v) => format!("u16.const {v}"),
        Val::S32(v) => format!("s32.const {v}"),
        Val::U32(v) => format!("u32.const {v}"),
        Val::S64(v) => format!("s64.const {v}"),
        Val::U64(v) => format!("u64.const {v}"),
        Val::Float32(v) => format!("f32.const {v:?}"),
        Val::Float64(v) => format!("f64.const {v:?}"),
        Val::Char(c) => format!("char.const {:?}", c.to_string()),
        Val::String(s) => format!("str.const {s:?}"),
        Val::List(items) => format!("list.const{}", all(items)),
        Val::Tuple(items) => format!("tuple.const{}", all(items)),
        Val::Record(fields) => {
            let fields: String = fields
                .iter()
                .map(|(name, v)| format!(" (field {name:?} {})", describe(v)))
                .collect();
            format!("record.const{fields}")
        }
        Val::Variant(name, p) => format!("variant.const {name:?}{}", payload(p)),
        Val::Enum(name) => format!("enum.const {name:?}"),
        Val::Option(None) => "option.none".to_string(),
        Val::Option(Some(p)) => format!("option.some ({})", describe(p)),
        Val::Result(Ok(p)) => format!("result.ok{}", payload(p)),
        Val::Result(Err(p)) => format!("result.err{}", payload(p)),
        Val::Flags(names) => {
            let names: String = names.iter().map(|n| format!(" {n:?}")).collect();
            format!("flags.const{names}")
        }
        Val::Resource(r) => format!(
            "{} {}",
            if r.owned() { "own" } else { "borrow" },
            r.ty().name()
        ),
    }
}

/// Describes a list of component values.
pub(crate) fn describe_all(vals: &[Val]) -> String {
    let parts: Vec<String> = vals.iter().map(describe).collect();
    format!("[{}]", parts.join(", "))
}

/// Describes a script's component value in the script's syntax.
pub(crate) fn describe_wast(val: &WastVal<'_>) -> String {
    let payload = |p: &Option<Box<WastVal<'_>>>| match p {
        Some(p) => format!(" ({})", describe_wast(p)),
        None => String::new(),
    };
    let all = |vals: &[WastVal<'_>]| {
        vals.iter()
            .map(|v| format!(" ({})", describe_wast(v)))
            .collect::<String>()
    };
    match val {
        WastVal::Bool(b) => format!("bool.const {b}"),
        WastVal::S8(v) => format!("s8.const {v}"),
        WastVal::U8(v) => format!("u8.const {v}"),
        WastVal::S16(v) => format!("s16.const {v}"),
        WastVal::U16(v) => format!("u16.const {v}"),
        WastVal::S32(v) => format!("s32.const {v}"),
        WastVal::U32(v) => format!("u32.const {v}"),
        WastVal::S64(v) => format!("s64.const {v}"),
        WastVal::U64(v) => format!("u64.const {v}"),
        WastVal::F32(v) => format!("f32.const {:?}", f32::from_bits(v.bits)),
        WastVal::F64(v) => format!("f64.const {:?}", f64::from_bits(v.bits)),
        WastVal::Char(c) => format!("char.const {:?}", c.to_string()),
        WastVal::String(s) => format!("str.const {s:?}"),
        WastVal::List(items) => format!("list.const{}", all(items)),
        WastVal::Tuple(items) => format!("tuple.const{}", all(items)),
        WastVal::Map(entries) => {
            let entries: String = entries
                .iter()
                .map(|(k, v)| format!(" (entry ({}) ({}))", describe_wast(k), describe_wast(v)))
                .collect();
            format!("map.const{entries}")
        }
        WastVal::Record(fields) => {
            let fields: String = fields
                .iter()
                .map(|(name, v)| format!(" (field {name:?} {})", describe_wast(v)))
                .collect();
            format!("record.const{fields}")
        }
        WastVal::Variant(name, p) => format!("variant.const {name:?}{}", payload(p)),
        WastVal::Enum(name) => format!("enum.const {name:?}"),
        WastVal::Option(None) => "option.none".to_string(),
        WastVal::Option(Some(p)) => format!("option.some ({})", describe_wast(p)),
        WastVal::Result(Ok(p)) => format!("result.ok{}", payload(p)),
        WastVal::Result(Err(p)) => format!("result.err{}", payload(p)),
        WastVal::Flags(names) => {
            let names: String = names.iter().map(|n| format!(" {n:?}")).collect();
            format!("flags.const{names}")
        }
    }
}
