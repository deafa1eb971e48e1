//! Component values: [`Val`], the dynamically typed value the host passes to and receives
//! from component functions.
//!
//! `Val` has exactly the cases of Wasmtime 48's `wasmtime::component::Val`, so code written
//! against one compiles against the other. A list is a `Vec<Val>` there and here; lists of
//! primitives are not boxed per element on the way through linear memory instead: the
//! Canonical ABI's lift and lower (`abi::lift`, `abi::lower`) read and write a `list<u8>`,
//! `list<u32>`, `list<f64>`, ... with one bounds check and a tight loop over the bytes, without
//! dispatching on the element type per element (see `abi::lift::load_list_from_range`).

use super::resources::ResourceAny;
use super::types::Type;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};

/// A component value.
///
/// The cases follow the spec's value types ([Explainer, "Values"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#value-definitions)).
/// Records and variants carry their field and case names, so a value can be checked against a
/// [`Type`] with [`Val::typecheck`].
///
/// Two floats compare equal when their bits are equal or both are NaN, so a value that went
/// through the Canonical ABI (which canonicalizes NaNs) compares equal to the original.
#[derive(Debug, Clone)]
pub enum Val {
    /// `bool`.
    Bool(bool),
    /// `s8`.
    S8(i8),
    /// `u8`.
    U8(u8),
    /// `s16`.
    S16(i16),
    /// `u16`.
    U16(u16),
    /// `s32`.
    S32(i32),
    /// `u32`.
    U32(u32),
    /// `s64`.
    S64(i64),
    /// `u64`.
    U64(u64),
    /// `f32`.
    Float32(f32),
    /// `f64`.
    Float64(f64),
    /// `char`.
    Char(char),
    /// `string`.
    String(String),
    /// `list<T>`: the elements, all of type `T`.
    List(Vec<Val>),
    /// `record`: the fields as name and value, in the type's order.
    Record(Vec<(String, Val)>),
    /// `tuple`: the elements in order.
    Tuple(Vec<Val>),
    /// `variant`: the case's name and its payload, if the case has one.
    Variant(String, Option<Box<Val>>),
    /// `enum`: the case's name.
    Enum(String),
    /// `option<T>`.
    Option(Option<Box<Val>>),
    /// `result<T, E>`: the payload of `ok` or `error`, if that side has a type.
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// `flags`: the names of the flags that are set.
    Flags(Vec<String>),
    /// `own<R>` or `borrow<R>`: a handle to a resource.
    Resource(ResourceAny),
}

impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        use Val::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a == b,
            (S8(a), S8(b)) => a == b,
            (U8(a), U8(b)) => a == b,
            (S16(a), S16(b)) => a == b,
            (U16(a), U16(b)) => a == b,
            (S32(a), S32(b)) => a == b,
            (U32(a), U32(b)) => a == b,
            (S64(a), S64(b)) => a == b,
            (U64(a), U64(b)) => a == b,
            (Float32(a), Float32(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Float64(a), Float64(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Char(a), Char(b)) => a == b,
            (String(a), String(b)) => a == b,
            (List(a), List(b)) | (Tuple(a), Tuple(b)) => a == b,
            (Record(a), Record(b)) => a == b,
            (Variant(a, x), Variant(b, y)) => a == b && x == y,
            (Enum(a), Enum(b)) => a == b,
            (Option(a), Option(b)) => a == b,
            (Result(a), Result(b)) => a == b,
            (Flags(a), Flags(b)) => a == b,
            (Resource(a), Resource(b)) => a == b,
            _ => false,
        }
    }
}

impl Val {
    /// The name of this value's kind in WIT syntax (`"u32"`, `"list"`, `"resource"`), for
    /// error messages.
    pub fn desc(&self) -> &'static str {
        match self {
            Val::Bool(_) => "bool",
            Val::S8(_) => "s8",
            Val::U8(_) => "u8",
            Val::S16(_) => "s16",
            Val::U16(_) => "u16",
            Val::S32(_) => "s32",
            Val::U32(_) => "u32",
            Val::S64(_) => "s64",
            Val::U64(_) => "u64",
            Val::Float32(_) => "f32",
            Val::Float64(_) => "f64",
            Val::Char(_) => "char",
            Val::String(_) => "string",
            Val::List(_) => "list",
            Val::Record(_) => "record",
            Val::Tuple(_) => "tuple",
            Val::Variant(..) => "variant",
            Val::Enum(_) => "enum",
            Val::Option(_) => "option",
            Val::Result(_) => "result",
            Val::Flags(_) => "flags",
            Val::Resource(_) => "resource",
        }
    }

    /// Checks that this value has type `ty`, as [`Func::call`](crate::component) does for
    /// each argument before lowering it.
    ///
    /// Records must list their fields in the type's order with the type's names; a variant,
    /// enum or flag name must be one of the type's; an `own<R>` needs an owned handle of
    /// resource type `R`, a `borrow<R>` any handle of type `R`.
    ///
    /// # Errors
    ///
    /// A [`Usage`](crate::ErrorKind::Usage) error naming the mismatch and where it is in the
    /// value, for example ``type mismatch at `.point.x`: expected `u32`, found `string` ``.
    pub fn typecheck(&self, ty: &Type) -> Result<()> {
        // A first pass keeps no path, so that a value that matches (nearly every one) costs
        // no formatting; only a mismatch is checked again to say where it is.
        if typecheck(self, ty, &mut None).is_ok() {
            return Ok(());
        }
        let mut path = String::new();
        typecheck(self, ty, &mut Some(&mut path))
    }
}

/// Where in a value the check is, when the check keeps track of it (`None`: it does not).
type Path<'a> = Option<&'a mut String>;

/// Appends `segment` to `path` while `f` runs, so that errors say where they are.
fn nested(
    path: &mut Path<'_>,
    segment: core::fmt::Arguments<'_>,
    f: impl FnOnce(&mut Path<'_>) -> Result<()>,
) -> Result<()> {
    use core::fmt::Write as _;
    let Some(p) = path else {
        return f(path);
    };
    let len = p.len();
    // Writing into a `String` cannot fail.
    let _ = p.write_fmt(segment);
    let result = f(path);
    if let Some(p) = path {
        p.truncate(len);
    }
    result
}

#[cold]
fn mismatch(
    path: &Path<'_>,
    expected: impl core::fmt::Display,
    found: impl core::fmt::Display,
) -> Error {
    let at = match path {
        Some(path) if !path.is_empty() => format!(" at `{path}`"),
        _ => String::new(),
    };
    Error::usage(format!(
        "type mismatch{at}: expected `{expected}`, found {found}"
    ))
}

/// For a list of a primitive type, the index of its first element of another type (`None`
/// if they all have it); `Err(())` for a type that is not primitive. One loop per type, so
/// that each element costs one comparison of its tag.
fn first_mismatch(ty: &Type, elems: &[Val]) -> core::result::Result<Option<usize>, ()> {
    macro_rules! scan {
        ($($ty:ident => $case:ident),*) => {
            match ty {
                $(Type::$ty => Ok(elems.iter().position(|v| !matches!(v, Val::$case(_)))),)*
                _ => Err(()),
            }
        };
    }
    scan!(
        Bool => Bool, S8 => S8, U8 => U8, S16 => S16, U16 => U16, S32 => S32, U32 => U32,
        S64 => S64, U64 => U64, Float32 => Float32, Float64 => Float64, Char => Char
    )
}

fn typecheck(val: &Val, ty: &Type, path: &mut Path<'_>) -> Result<()> {
    super::abi::with_stack_for(ty, || typecheck_here(val, ty, path))
}

fn typecheck_here(val: &Val, ty: &Type, path: &mut Path<'_>) -> Result<()> {
    match (ty, val) {
        (Type::Bool, Val::Bool(_))
        | (Type::S8, Val::S8(_))
        | (Type::U8, Val::U8(_))
        | (Type::S16, Val::S16(_))
        | (Type::U16, Val::U16(_))
        | (Type::S32, Val::S32(_))
        | (Type::U32, Val::U32(_))
        | (Type::S64, Val::S64(_))
        | (Type::U64, Val::U64(_))
        | (Type::Float32, Val::Float32(_))
        | (Type::Float64, Val::Float64(_))
        | (Type::Char, Val::Char(_))
        | (Type::String, Val::String(_)) => Ok(()),
        (Type::List(list), Val::List(elems)) => {
            let elem_ty = list.element();
            // A list of numbers is checked in one tight loop; the path of a mismatch is
            // made only when there is one.
            let start = match first_mismatch(elem_ty, elems) {
                Ok(None) => return Ok(()),
                Ok(Some(i)) => i,
                Err(()) => 0,
            };
            for (i, elem) in elems.iter().enumerate().skip(start) {
                nested(path, format_args!("[{i}]"), |p| typecheck(elem, elem_ty, p))?;
            }
            Ok(())
        }
        (Type::Record(record), Val::Record(fields)) => {
            let types = record.field_types();
            if types.len() != fields.len() {
                return Err(mismatch(
                    path,
                    ty,
                    format!("a record with {} fields", fields.len()),
                ));
            }
            for ((name, fty), (vname, v)) in types.iter().zip(fields) {
                if **name != **vname {
                    return Err(mismatch(
                        path,
                        ty,
                        format!("field `{vname}` where `{name}` belongs"),
                    ));
                }
                nested(path, format_args!(".{name}"), |p| typecheck(v, fty, p))?;
            }
            Ok(())
        }
        (Type::Tuple(tuple), Val::Tuple(elems)) => {
            let types = tuple.elements();
            if types.len() != elems.len() {
                return Err(mismatch(
                    path,
                    ty,
                    format!("a tuple of {} elements", elems.len()),
                ));
            }
            for (i, (t, v)) in types.iter().zip(elems).enumerate() {
                nested(path, format_args!(".{i}"), |p| typecheck(v, t, p))?;
            }
            Ok(())
        }
        (Type::Variant(variant), Val::Variant(name, payload)) => {
            let Some((_, case_ty)) = variant.case_types().iter().find(|(n, _)| **n == **name)
            else {
                return Err(mismatch(path, ty, format!("unknown case `{name}`")));
            };
            match (case_ty, payload) {
                (None, None) => Ok(()),
                (Some(t), Some(v)) => {
                    nested(path, format_args!("::{name}"), |p| typecheck(v, t, p))
                }
                (None, Some(_)) => Err(mismatch(path, ty, format!("a payload for case `{name}`"))),
                (Some(_), None) => Err(mismatch(path, ty, format!("no payload for case `{name}`"))),
            }
        }
        (Type::Enum(e), Val::Enum(name)) => {
            if e.names().any(|n| n == name) {
                Ok(())
            } else {
                Err(mismatch(path, ty, format!("unknown case `{name}`")))
            }
        }
        (Type::Option(o), Val::Option(v)) => match v {
            None => Ok(()),
            Some(v) => nested(path, format_args!("?"), |p| typecheck(v, o.payload(), p)),
        },
        (Type::Result(r), Val::Result(v)) => {
            let (ok, err) = r.payloads();
            let (side, t, v) = match v {
                Ok(v) => ("ok", ok, v),
                Err(v) => ("error", err, v),
            };
            match (t, v) {
                (None, None) => Ok(()),
                (Some(t), Some(v)) => {
                    nested(path, format_args!("::{side}"), |p| typecheck(v, t, p))
                }
                (None, Some(_)) => Err(mismatch(path, ty, format!("a payload for `{side}`"))),
                (Some(_), None) => Err(mismatch(path, ty, format!("no payload for `{side}`"))),
            }
        }
        (Type::Flags(f), Val::Flags(names)) => {
            for name in names {
                if !f.names().any(|n| n == name) {
                    return Err(mismatch(path, ty, format!("unknown flag `{name}`")));
                }
            }
            Ok(())
        }
        (Type::Own(rt), Val::Resource(r)) => {
            if r.ty() != *rt {
                Err(mismatch(path, ty, format!("a handle to {}", r.ty())))
            } else if !r.owned() {
                Err(mismatch(path, ty, "a borrowed handle"))
            } else {
                Ok(())
            }
        }
        (Type::Borrow(rt), Val::Resource(r)) => {
            if r.ty() != *rt {
                Err(mismatch(path, ty, format!("a handle to {}", r.ty())))
            } else {
                Ok(())
            }
        }
        (_, val) => Err(mismatch(path, ty, format!("a `{}` value", val.desc()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::types::{List, Record};

    #[test]
    fn typecheck_names_the_mismatch() -> Result<()> {
        let ty = Type::Record(Record::new([
            ("x", Type::U32),
            ("names", Type::List(List::new(Type::String))),
        ])?);
        let good = Val::Record(vec![
            ("x".into(), Val::U32(1)),
            ("names".into(), Val::List(vec![Val::String("a".into())])),
        ]);
        good.typecheck(&ty)?;
        let bad = Val::Record(vec![
            ("x".into(), Val::U32(1)),
            ("names".into(), Val::List(vec![Val::U8(3)])),
        ]);
        let err = bad.typecheck(&ty).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("type mismatch at `.names[0]`: expected `string`, found a `u8` value")
        );
        Ok(())
    }

    #[test]
    fn a_list_of_numbers_names_its_first_mismatch() -> Result<()> {
        let ty = Type::List(List::new(Type::U32));
        let mut elems: Vec<Val> = (0..100).map(Val::U32).collect();
        Val::List(elems.clone()).typecheck(&ty)?;
        if let Some(e) = elems.get_mut(42) {
            *e = Val::S32(-1);
        }
        let err = Val::List(elems).typecheck(&ty).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("type mismatch at `[42]`: expected `u32`, found a `s32` value")
        );
        Ok(())
    }

    #[test]
    fn nans_compare_equal() {
        assert_eq!(Val::Float32(f32::NAN), Val::Float32(-f32::NAN));
        assert_ne!(Val::Float64(0.0), Val::Float64(-0.0));
    }
}
