//! Flattening: the core value types a component type is passed as ([CanonicalABI.md,
//! "Flattening"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#flattening)).
//!
//! A function's parameters travel as up to [`MAX_FLAT_PARAMS`] core values, its results as up
//! to [`MAX_FLAT_RESULTS`]; past those limits they are spilled to memory as a tuple and a
//! single `i32` pointer travels instead ([`flatten_functype`]).

use super::layout::{Cases, variant_flat};
use crate::component::types::{ComponentFunc, Type};
use crate::error::Result;
use crate::trap::TrapCode;
use crate::types::{FuncType, ValType};

/// The most core parameters a synchronous function passes before spilling them to memory.
pub const MAX_FLAT_PARAMS: usize = 16;

/// The most core results a synchronous function returns before returning a pointer to them.
pub const MAX_FLAT_RESULTS: usize = 1;

/// Which side of a function [`flatten_functype`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `canon lift`: the core function being lifted returns spilled results as a pointer.
    Lift,
    /// `canon lower`: the core function made by lowering receives a pointer to write
    /// spilled results to as its last parameter and returns nothing.
    Lower,
}

/// The spec's `flatten_functype(opts, ft, context)` for synchronous functions: the core
/// function type of a component function of type `func` lifted or lowered.
pub fn flatten_functype(func: &ComponentFunc, context: Context) -> FuncType {
    let mut params = Vec::new();
    flatten_types(func.param_types(), &mut params);
    let mut results = Vec::new();
    flatten_types(func.result(), &mut results);
    if params.len() > MAX_FLAT_PARAMS {
        params = vec![ValType::I32];
    }
    if results.len() > MAX_FLAT_RESULTS {
        match context {
            Context::Lift => results = vec![ValType::I32],
            Context::Lower => {
                params.push(ValType::I32);
                results = Vec::new();
            }
        }
    }
    FuncType::from_types(params, results)
}

/// The spec's `flatten_types(ts)`: the flattenings of `types`, concatenated, appended to
/// `out`.
pub fn flatten_types<'a>(types: impl IntoIterator<Item = &'a Type>, out: &mut Vec<ValType>) {
    for ty in types {
        flatten_type(ty, out);
    }
}

/// The spec's `flatten_type(t)`: the core value types a value of type `ty` is passed as,
/// appended to `out`.
pub fn flatten_type(ty: &Type, out: &mut Vec<ValType>) {
    match ty {
        Type::Bool
        | Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::Char
        | Type::Own(_)
        | Type::Borrow(_) => out.push(ValType::I32),
        Type::S64 | Type::U64 => out.push(ValType::I64),
        Type::Float32 => out.push(ValType::F32),
        Type::Float64 => out.push(ValType::F64),
        Type::String | Type::List(_) => out.extend([ValType::I32, ValType::I32]),
        Type::Record(r) => flatten_types(r.field_types().iter().map(|(_, t)| t), out),
        Type::Tuple(t) => flatten_types(t.elements(), out),
        Type::Flags(f) => {
            out.extend(core::iter::repeat_n(ValType::I32, flags_words(f.len())));
        }
        Type::Enum(_) => out.push(ValType::I32),
        Type::Variant(_) | Type::Option(_) | Type::Result(_) => {
            out.extend_from_slice(variant_flat(ty).unwrap_or(&[]));
        }
    }
}

/// The number of `i32`s a flags type flattens to: one per 32 flags (one for up to 32, the only
/// case the current spec allows).
pub(crate) fn flags_words(num_flags: usize) -> usize {
    num_flags.div_ceil(32).max(1)
}

/// The spec's `flatten_variant(cases)`: the discriminant, then for each position the
/// [`join`] of what every case's payload has there.
pub(crate) fn flatten_variant(cases: &Cases<'_>, out: &mut Vec<ValType>) {
    out.push(ValType::I32);
    let start = out.len();
    let mut payload = Vec::new();
    for ty in cases.payloads() {
        payload.clear();
        flatten_type(ty, &mut payload);
        for (i, &flat) in payload.iter().enumerate() {
            match out.get_mut(start + i) {
                Some(slot) => *slot = join(*slot, flat),
                None => out.push(flat),
            }
        }
    }
}

/// The spec's `join(a, b)`: the core type that can carry both `a` and `b`.
pub fn join(a: ValType, b: ValType) -> ValType {
    match (a, b) {
        _ if a == b => a,
        (ValType::I32, ValType::F32) | (ValType::F32, ValType::I32) => ValType::I32,
        _ => ValType::I64,
    }
}

/// A source of flat core values for lifting (the spec's `CoreValueIter`, and its
/// `CoerceValueIter` inside variants).
pub trait FlatValues {
    /// The next core value, which the flattening says has type `ty` (`I32`, `I64`, `F32` or
    /// `F64`), as a raw cell.
    ///
    /// # Errors
    ///
    /// An internal-error trap if the values ran out: the runtime passed fewer values than the
    /// flattened type has.
    fn next(&mut self, ty: ValType) -> Result<u64>;
}

/// The spec's `CoreValueIter`: flat values from a slice of raw cells.
#[derive(Debug)]
pub struct CoreValueIter<'a> {
    values: &'a [u64],
    index: usize,
}

impl<'a> CoreValueIter<'a> {
    /// An iterator over `values`, raw cells in the engine's representation.
    pub fn new(values: &'a [u64]) -> Self {
        CoreValueIter { values, index: 0 }
    }

    /// Whether every value was consumed (the spec's `done`).
    pub fn done(&self) -> bool {
        self.index == self.values.len()
    }
}

impl FlatValues for CoreValueIter<'_> {
    fn next(&mut self, ty: ValType) -> Result<u64> {
        let value = *self.values.get(self.index).ok_or(TrapCode::InternalError)?;
        self.index += 1;
        Ok(match ty {
            ValType::I32 | ValType::F32 => value & 0xffff_ffff,
            _ => value,
        })
    }
}

/// The spec's `CoerceValueIter`: reads a case's payload from the joined flat types of its
/// variant. Cells hold bits, so every coercion the spec lists is either the identity or (from
/// an `i64` slot to an `i32` or `f32`) keeping the low 32 bits.
pub(crate) struct CoerceValueIter<'a, 'b> {
    pub(crate) inner: &'a mut dyn FlatValues,
    pub(crate) have: &'b [ValType],
}

impl FlatValues for CoerceValueIter<'_, '_> {
    fn next(&mut self, want: ValType) -> Result<u64> {
        let (&have, rest) = self.have.split_first().ok_or(TrapCode::InternalError)?;
        self.have = rest;
        let value = self.inner.next(have)?;
        Ok(match want {
            ValType::I32 | ValType::F32 => value & 0xffff_ffff,
            _ => value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::types::{List, OptionType, Record, ResultType, Variant};

    fn flat(ty: &Type) -> Vec<ValType> {
        let mut out = Vec::new();
        flatten_type(ty, &mut out);
        out
    }

    #[test]
    fn flattening_follows_the_spec() -> Result<()> {
        use ValType::*;
        assert_eq!(flat(&Type::String), [I32, I32]);
        assert_eq!(flat(&Type::List(List::new(Type::U64))), [I32, I32]);
        let rec = Type::Record(Record::new([("a", Type::Float32), ("b", Type::S64)])?);
        assert_eq!(flat(&rec), [F32, I64]);
        let var = Type::Variant(Variant::new([
            ("a", Some(Type::Float32)),
            ("b", Some(Type::U32)),
            ("c", Some(Type::Float64)),
            ("d", Some(rec.clone())),
            ("e", None),
        ])?);
        // f32|u32 -> i32; then |f64 -> i64; then |f32 -> i64; then i64 second slot.
        assert_eq!(flat(&var), [I32, I64, I64]);
        let opt = Type::Option(OptionType::new(Type::Float32));
        assert_eq!(flat(&opt), [I32, F32]);
        let res = Type::Result(ResultType::new(None, None));
        assert_eq!(flat(&res), [I32]);
        assert_eq!(join(F32, F64), I64);
        Ok(())
    }

    #[test]
    fn functypes_spill_past_the_limits() -> Result<()> {
        use ValType::*;
        let sixteen = (0..16).map(|i| (format!("p{i}"), Type::U32));
        let f = ComponentFunc::new(sixteen, Some(Type::U64))?;
        let lifted = flatten_functype(&f, Context::Lift);
        assert_eq!((lifted.params().len(), lifted.results()), (16, &[I64][..]));
        let seventeen = (0..17).map(|i| (format!("p{i}"), Type::U32));
        let f = ComponentFunc::new(seventeen, Some(Type::String))?;
        let lifted = flatten_functype(&f, Context::Lift);
        assert_eq!(
            (lifted.params(), lifted.results()),
            (&[I32][..], &[I32][..])
        );
        let lowered = flatten_functype(&f, Context::Lower);
        assert_eq!(
            (lowered.params(), lowered.results()),
            (&[I32, I32][..], &[][..])
        );
        let f = ComponentFunc::new([("s", Type::String)], None)?;
        let lowered = flatten_functype(&f, Context::Lower);
        assert_eq!(
            (lowered.params(), lowered.results()),
            (&[I32, I32][..], &[][..])
        );
        Ok(())
    }
}
