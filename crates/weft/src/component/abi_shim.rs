//! Stand-ins for the Canonical ABI's `lift_flat_values` / `lower_flat_values` until layer 2
//! provides them: primitive types passed flat only.

use super::abi::{CoreValueIter, FlatValues, LiftContext, LowerContext};
use super::types::Type;
use super::values::Val;
use crate::error::{Error, Result};
use crate::types::ValType;

fn unsupported() -> Error {
    Error::msg("this value type is not supported by the Canonical ABI yet")
}

pub(crate) fn lift_flat_values<'a>(
    _cx: &mut impl LiftContext,
    max_flat: usize,
    iter: &mut CoreValueIter<'_>,
    types: impl IntoIterator<Item = &'a Type>,
) -> Result<Vec<Val>> {
    let types: Vec<&Type> = types.into_iter().collect();
    if types.len() > max_flat {
        return Err(unsupported());
    }
    let mut out = Vec::new();
    for ty in types {
        let raw = iter.next(ValType::I64)?;
        out.push(match ty {
            Type::Bool => Val::Bool(raw as u32 != 0),
            Type::S8 => Val::S8(raw as i8),
            Type::U8 => Val::U8(raw as u8),
            Type::S16 => Val::S16(raw as i16),
            Type::U16 => Val::U16(raw as u16),
            Type::S32 => Val::S32(raw as i32),
            Type::U32 => Val::U32(raw as u32),
            Type::S64 => Val::S64(raw as i64),
            Type::U64 => Val::U64(raw),
            Type::Float32 => Val::Float32(f32::from_bits(raw as u32)),
            Type::Float64 => Val::Float64(f64::from_bits(raw)),
            _ => return Err(unsupported()),
        });
    }
    Ok(out)
}

pub(crate) fn lower_flat_values<'a>(
    _cx: &mut impl LowerContext,
    max_flat: usize,
    values: &[Val],
    types: impl IntoIterator<Item = &'a Type>,
    _out_param: Option<u32>,
) -> Result<Vec<u64>> {
    let _ = types;
    if values.len() > max_flat {
        return Err(unsupported());
    }
    values
        .iter()
        .map(|v| {
            Ok(match v {
                Val::Bool(b) => u64::from(*b),
                Val::S8(x) => u64::from(*x as u32),
                Val::U8(x) => u64::from(*x),
                Val::S16(x) => u64::from(*x as u32),
                Val::U16(x) => u64::from(*x),
                Val::S32(x) => u64::from(*x as u32),
                Val::U32(x) => u64::from(*x),
                Val::S64(x) => *x as u64,
                Val::U64(x) => *x,
                Val::Float32(x) => u64::from(x.to_bits()),
                Val::Float64(x) => x.to_bits(),
                _ => return Err(unsupported()),
            })
        })
        .collect()
}
