//! [`ComponentType`], [`Lift`] and [`Lower`] for Rust's own types.

use super::__internal::{
    field_types, fields, lift_payload, lift_variant_flat, load_payload, load_variant,
    lower_variant_flat, next, next_field, payload, store_variant,
};
use super::{
    ComponentNamedList, ComponentType, Lift, LiftCx, Lower, LowerCx, context, internal, mismatch,
};
use crate::component::abi::flat::FlatValues;
use crate::component::abi::lift::{canonicalize_nan32, canonicalize_nan64, convert_i32_to_char};
use crate::component::abi::{self, MAX_LIST_BYTE_LENGTH, StringSource};
use crate::component::resources::{Resource, ResourceAny};
use crate::component::types::Type;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

/// Numbers: flat as one cell, in memory little-endian; `$cell` converts to the cell and
/// `$from` back.
macro_rules! primitive {
    ($($rust:ty => $ty:ident, $wit:literal, $val:ident, $to_cell:expr, $from_cell:expr;)*) => {$(
        impl ComponentType for $rust {
            fn typecheck(ty: &Type) -> Result<()> {
                match ty {
                    Type::$ty => Ok(()),
                    _ => Err(mismatch($wit, ty)),
                }
            }
        }

        impl Lower for $rust {
            #[inline]
            fn lower_flat(&self, _: &mut LowerCx<'_>, _: &Type, out: &mut Vec<u64>) -> Result<()> {
                let to_cell: fn($rust) -> u64 = $to_cell;
                out.push(to_cell(*self));
                Ok(())
            }

            #[inline]
            fn store(&self, cx: &mut LowerCx<'_>, _: &Type, ptr: u32) -> Result<()> {
                cx.write_array(ptr, self.to_le_bytes())
            }

            fn store_list(cx: &mut LowerCx<'_>, _: &Type, items: &[Self], ptr: u32) -> Result<()> {
                // Straight into guest memory, one bounds check for the whole list: the
                // fixed-size chunks make each element one `[u8; SIZE]` store, which the
                // compiler turns into a vectorized copy (`to_le_bytes` is the identity on a
                // little-endian host), with no per-element call or check.
                const SIZE: usize = core::mem::size_of::<$rust>();
                let memory = cx.slice_mut(ptr, items.len() * SIZE)?;
                let (chunks, _) = memory.as_chunks_mut::<SIZE>();
                for (to, item) in chunks.iter_mut().zip(items) {
                    *to = item.to_le_bytes();
                }
                Ok(())
            }
        }

        impl Lift for $rust {
            #[inline]
            fn lift_flat(_: &mut LiftCx<'_>, _: &Type, src: &mut dyn FlatValues) -> Result<Self> {
                let from_cell: fn(u64) -> $rust = $from_cell;
                Ok(from_cell(src.next(ValType::$val)?))
            }

            #[inline]
            fn load(cx: &mut LiftCx<'_>, _: &Type, ptr: u32) -> Result<Self> {
                let from_le: fn($rust) -> $rust = |x| x;
                Ok(from_le(<$rust>::from_le_bytes(cx.bytes(ptr)?)))
            }

            fn load_list(cx: &mut LiftCx<'_>, _: &Type, ptr: u32, len: u32) -> Result<Vec<Self>> {
                const SIZE: usize = core::mem::size_of::<$rust>();
                let bytes = len as usize * SIZE;
                cx.charge(bytes as u64)?;
                let memory = cx
                    .memory()
                    .get(ptr as usize..)
                    .and_then(|m| m.get(..bytes))
                    .ok_or(TrapCode::ListOutOfBounds)?;
                // One bounds check above, then one pass over fixed-size chunks that the
                // compiler vectorizes into a copy: no per-element check or call.
                let (chunks, _) = memory.as_chunks::<SIZE>();
                Ok(chunks.iter().map(|c| <$rust>::from_le_bytes(*c)).collect())
            }
        }
    )*};
}

primitive! {
    u8 => U8, "u8", I32, |x| u64::from(x), |c| c as u8;
    i8 => S8, "s8", I32, |x| u64::from(i32::from(x) as u32), |c| c as u8 as i8;
    u16 => U16, "u16", I32, |x| u64::from(x), |c| c as u16;
    i16 => S16, "s16", I32, |x| u64::from(i32::from(x) as u32), |c| c as u16 as i16;
    u32 => U32, "u32", I32, |x| u64::from(x), |c| c as u32;
    i32 => S32, "s32", I32, |x| u64::from(x as u32), |c| c as u32 as i32;
    u64 => U64, "u64", I64, |x| x, |c| c;
    i64 => S64, "s64", I64, |x| x as u64, |c| c as i64;
    f32 => Float32, "f32", F32, |x| u64::from(x.to_bits()), |c| canonicalize_nan32(f32::from_bits(c as u32));
    f64 => Float64, "f64", F64, |x| x.to_bits(), |c| canonicalize_nan64(f64::from_bits(c));
}

impl ComponentType for bool {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Bool => Ok(()),
            _ => Err(mismatch("bool", ty)),
        }
    }
}

impl Lower for bool {
    #[inline]
    fn lower_flat(&self, _: &mut LowerCx<'_>, _: &Type, out: &mut Vec<u64>) -> Result<()> {
        out.push(u64::from(*self));
        Ok(())
    }
    #[inline]
    fn store(&self, cx: &mut LowerCx<'_>, _: &Type, ptr: u32) -> Result<()> {
        cx.write_array(ptr, [u8::from(*self)])
    }
}

impl Lift for bool {
    #[inline]
    fn lift_flat(_: &mut LiftCx<'_>, _: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        Ok(src.next(ValType::I32)? as u32 != 0)
    }
    #[inline]
    fn load(cx: &mut LiftCx<'_>, _: &Type, ptr: u32) -> Result<Self> {
        Ok(cx.bytes::<1>(ptr)?[0] != 0)
    }
}

impl ComponentType for char {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Char => Ok(()),
            _ => Err(mismatch("char", ty)),
        }
    }
}

impl Lower for char {
    #[inline]
    fn lower_flat(&self, _: &mut LowerCx<'_>, _: &Type, out: &mut Vec<u64>) -> Result<()> {
        out.push(u64::from(u32::from(*self)));
        Ok(())
    }
    #[inline]
    fn store(&self, cx: &mut LowerCx<'_>, _: &Type, ptr: u32) -> Result<()> {
        cx.write_array(ptr, u32::from(*self).to_le_bytes())
    }
}

impl Lift for char {
    #[inline]
    fn lift_flat(_: &mut LiftCx<'_>, _: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        convert_i32_to_char(src.next(ValType::I32)? as u32)
    }
    #[inline]
    fn load(cx: &mut LiftCx<'_>, _: &Type, ptr: u32) -> Result<Self> {
        convert_i32_to_char(u32::from_le_bytes(cx.bytes(ptr)?))
    }
}

// Strings.

fn typecheck_string(ty: &Type) -> Result<()> {
    match ty {
        Type::String => Ok(()),
        _ => Err(mismatch("string", ty)),
    }
}

fn lower_str(cx: &mut LowerCx<'_>, s: &str) -> Result<(u32, u32)> {
    abi::store_string_into_range(cx.abi(), &StringSource::host(s)?)
}

macro_rules! lower_string {
    ($($rust:ty),*) => {$(
        impl ComponentType for $rust {
            fn typecheck(ty: &Type) -> Result<()> {
                typecheck_string(ty)
            }
        }

        impl Lower for $rust {
            fn lower_flat(&self, cx: &mut LowerCx<'_>, _: &Type, out: &mut Vec<u64>) -> Result<()> {
                let (ptr, len) = lower_str(cx, self)?;
                out.extend([u64::from(ptr), u64::from(len)]);
                Ok(())
            }
            fn store(&self, cx: &mut LowerCx<'_>, _: &Type, ptr: u32) -> Result<()> {
                let (p, len) = lower_str(cx, self)?;
                cx.write_array(ptr, p.to_le_bytes())?;
                cx.write_array(ptr.wrapping_add(4), len.to_le_bytes())
            }
        }
    )*};
}

lower_string!(str, String);

/// References and smart pointers are their contents (`&str`, `Box<[u8]>`, `Arc<Point>`).
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: ComponentType + ?Sized> ComponentType for $ptr {
            fn typecheck(ty: &Type) -> Result<()> {
                T::typecheck(ty)
            }
            fn typecheck_payload(ty: Option<&Type>) -> Result<()> {
                T::typecheck_payload(ty)
            }
        }

        impl<T: Lower + ?Sized> Lower for $ptr {
            fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
                T::lower_flat(self, cx, ty, out)
            }
            fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
                T::store(self, cx, ty, ptr)
            }
        }
    )*};
}

forward!(&T, Box<T>, std::rc::Rc<T>, std::sync::Arc<T>);

fn lift_string(cx: &mut LiftCx<'_>, ptr: u32, len: u32) -> Result<String> {
    // The string's host size is at most its guest size times three (utf-16 to utf-8).
    let units = u64::from(len & !abi::UTF16_TAG);
    cx.charge(units.min(u64::from(abi::MAX_STRING_BYTE_LENGTH)))?;
    abi::load_string_from_range(cx.abi(), ptr, len)
}

impl Lift for String {
    fn lift_flat(cx: &mut LiftCx<'_>, _: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let ptr = src.next(ValType::I32)? as u32;
        let len = src.next(ValType::I32)? as u32;
        lift_string(cx, ptr, len)
    }
    fn load(cx: &mut LiftCx<'_>, _: &Type, ptr: u32) -> Result<Self> {
        let p = u32::from_le_bytes(cx.bytes(ptr)?);
        let len = u32::from_le_bytes(cx.bytes(ptr.wrapping_add(4))?);
        lift_string(cx, p, len)
    }
}

impl Lift for Box<str> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        String::lift_flat(cx, ty, src).map(Into::into)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        String::load(cx, ty, ptr).map(Into::into)
    }
}

impl Lift for std::rc::Rc<str> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        String::lift_flat(cx, ty, src).map(Into::into)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        String::load(cx, ty, ptr).map(Into::into)
    }
}

impl Lift for std::sync::Arc<str> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        String::lift_flat(cx, ty, src).map(Into::into)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        String::load(cx, ty, ptr).map(Into::into)
    }
}

// Lists.

pub(crate) fn list_element(ty: &Type) -> Result<&Type> {
    match ty {
        Type::List(l) => Ok(l.element()),
        _ => Err(internal("not a list")),
    }
}

fn typecheck_list<T: ComponentType>(ty: &Type) -> Result<()> {
    match ty {
        Type::List(l) => T::typecheck(l.element()).map_err(|e| context(e, "in a list element")),
        _ => Err(mismatch("list", ty)),
    }
}

fn lower_slice<T: Lower>(cx: &mut LowerCx<'_>, ty: &Type, items: &[T]) -> Result<(u32, u32)> {
    let elem = list_element(ty)?;
    let size = abi::elem_size(elem);
    let byte_length = items.len() as u64 * u64::from(size);
    if byte_length > u64::from(MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::with_detail(
            TrapCode::LengthOverflow,
            format!(
                "list of {byte_length} bytes is longer than the maximum of {MAX_LIST_BYTE_LENGTH}"
            ),
        ));
    }
    let ptr = cx.allocate(abi::alignment(elem), byte_length as u32)?;
    T::store_list(cx, elem, items, ptr)?;
    Ok((ptr, items.len() as u32))
}

/// Checks the range of a list of `len` elements of type `elem` at `ptr` (the spec's
/// `load_list_from_range` checks).
pub(crate) fn check_list(cx: &LiftCx<'_>, elem: &Type, ptr: u32, len: u32) -> Result<()> {
    let byte_length = u64::from(len) * u64::from(abi::elem_size(elem));
    if byte_length > u64::from(MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::with_detail(
            TrapCode::LengthOverflow,
            format!(
                "list of {byte_length} bytes is longer than the maximum of {MAX_LIST_BYTE_LENGTH}"
            ),
        ));
    }
    abi::check_range(
        ptr,
        byte_length,
        abi::alignment(elem),
        cx.memory().len(),
        TrapCode::ListOutOfBounds,
    )
}

fn lift_list<T: Lift>(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32, len: u32) -> Result<Vec<T>> {
    let elem = list_element(ty)?;
    check_list(cx, elem, ptr, len)?;
    T::load_list(cx, elem, ptr, len)
}

macro_rules! lower_list {
    ($($rust:ty),*) => {$(
        impl<T: ComponentType> ComponentType for $rust {
            fn typecheck(ty: &Type) -> Result<()> {
                typecheck_list::<T>(ty)
            }
        }

        impl<T: Lower> Lower for $rust {
            fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
                let (ptr, len) = lower_slice(cx, ty, self)?;
                out.extend([u64::from(ptr), u64::from(len)]);
                Ok(())
            }
            fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
                let (p, len) = lower_slice(cx, ty, self)?;
                cx.write_array(ptr, p.to_le_bytes())?;
                cx.write_array(ptr.wrapping_add(4), len.to_le_bytes())
            }
        }
    )*};
}

lower_list!([T], Vec<T>);

impl<T: Lift> Lift for Vec<T> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let ptr = src.next(ValType::I32)? as u32;
        let len = src.next(ValType::I32)? as u32;
        lift_list(cx, ty, ptr, len)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let p = u32::from_le_bytes(cx.bytes(ptr)?);
        let len = u32::from_le_bytes(cx.bytes(ptr.wrapping_add(4))?);
        lift_list(cx, ty, p, len)
    }
}

/// `Box<[T]>`, `Rc<[T]>`, `Arc<[T]>` and `Box<T>`, `Rc<T>`, `Arc<T>` lift through `Vec<T>`
/// and `T`.
macro_rules! lift_pointers {
    ($($ptr:ident),*) => {$(
        impl<T: Lift> Lift for $ptr<[T]> {
            fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
                Vec::lift_flat(cx, ty, src).map(Into::into)
            }
            fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
                Vec::load(cx, ty, ptr).map(Into::into)
            }
        }

        impl<T: Lift> Lift for $ptr<T> {
            fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
                T::lift_flat(cx, ty, src).map($ptr::new)
            }
            fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
                T::load(cx, ty, ptr).map($ptr::new)
            }
        }
    )*};
}

use std::rc::Rc;
use std::sync::Arc;
lift_pointers!(Box, Rc, Arc);

// Option and Result.

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Option(o) => T::typecheck(o.payload()).map_err(|e| context(e, "in an option")),
            _ => Err(mismatch("option", ty)),
        }
    }
}

impl<T: Lower> Lower for Option<T> {
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
        match self {
            None => lower_variant_flat(cx, ty, 0, None, out),
            Some(v) => lower_variant_flat(cx, ty, 1, payload(v), out),
        }
    }
    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
        match self {
            None => store_variant(cx, ty, 0, None, ptr),
            Some(v) => store_variant(cx, ty, 1, payload(v), ptr),
        }
    }
}

impl<T: Lift> Lift for Option<T> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        lift_variant_flat(cx, ty, src, |cx, index, payload| match index {
            0 => Ok(None),
            _ => lift_payload(cx, payload).map(Some),
        })
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        load_variant(cx, ty, ptr, |cx, index, payload| match index {
            0 => Ok(None),
            _ => load_payload(cx, payload).map(Some),
        })
    }
}

impl<T: ComponentType, E: ComponentType> ComponentType for core::result::Result<T, E> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Result(r) => {
                T::typecheck_payload(r.ok().as_ref())
                    .map_err(|e| context(e, "in the `ok` case of a result"))?;
                E::typecheck_payload(r.err().as_ref())
                    .map_err(|e| context(e, "in the `error` case of a result"))
            }
            _ => Err(mismatch("result", ty)),
        }
    }
}

impl<T: Lower, E: Lower> Lower for core::result::Result<T, E> {
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
        match self {
            Ok(v) => lower_variant_flat(cx, ty, 0, payload(v), out),
            Err(e) => lower_variant_flat(cx, ty, 1, payload(e), out),
        }
    }
    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
        match self {
            Ok(v) => store_variant(cx, ty, 0, payload(v), ptr),
            Err(e) => store_variant(cx, ty, 1, payload(e), ptr),
        }
    }
}

impl<T: Lift, E: Lift> Lift for core::result::Result<T, E> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        lift_variant_flat(cx, ty, src, |cx, index, payload| match index {
            0 => lift_payload(cx, payload).map(Ok),
            _ => lift_payload(cx, payload).map(Err),
        })
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        load_variant(cx, ty, ptr, |cx, index, payload| match index {
            0 => load_payload(cx, payload).map(Ok),
            _ => load_payload(cx, payload).map(Err),
        })
    }
}

// Tuples, and `()` for "nothing": no parameters, no result, a case without payload.

impl ComponentType for () {
    fn typecheck(ty: &Type) -> Result<()> {
        Err(mismatch("()", ty))
    }
    fn typecheck_payload(ty: Option<&Type>) -> Result<()> {
        match ty {
            None => Ok(()),
            Some(ty) => Err(mismatch("no payload", ty)),
        }
    }
}

impl Lower for () {
    fn lower_flat(&self, _: &mut LowerCx<'_>, _: &Type, _: &mut Vec<u64>) -> Result<()> {
        Ok(())
    }
    fn store(&self, _: &mut LowerCx<'_>, _: &Type, _: u32) -> Result<()> {
        Ok(())
    }
}

impl Lift for () {
    fn lift_flat(_: &mut LiftCx<'_>, _: &Type, _: &mut dyn FlatValues) -> Result<Self> {
        Ok(())
    }
    fn load(_: &mut LiftCx<'_>, _: &Type, _: u32) -> Result<Self> {
        Ok(())
    }
    fn lift_unit() -> Result<Self> {
        Ok(())
    }
}

impl ComponentNamedList for () {
    fn typecheck_list(types: &[Type]) -> Result<()> {
        if types.is_empty() {
            Ok(())
        } else {
            Err(Error::usage(format!(
                "type mismatch: expected no values, found {}",
                types.len()
            )))
        }
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+);)*) => {$(
        impl<$($t: ComponentType),+> ComponentType for ($($t,)+) {
            fn typecheck(ty: &Type) -> Result<()> {
                const N: usize = [$($i),+].len();
                match ty {
                    Type::Tuple(t) if t.elements().len() == N => {
                        let mut types = t.elements().iter();
                        $(
                            let ty = types.next().ok_or_else(|| internal("tuple"))?;
                            $t::typecheck(ty)
                                .map_err(|e| context(e, format!("in tuple element {}", $i)))?;
                        )+
                        Ok(())
                    }
                    _ => Err(mismatch(&format!("tuple of {N} elements"), ty)),
                }
            }
        }

        impl<$($t: ComponentType),+> ComponentNamedList for ($($t,)+) {
            fn typecheck_list(types: &[Type]) -> Result<()> {
                const N: usize = [$($i),+].len();
                if types.len() != N {
                    return Err(Error::usage(format!(
                        "type mismatch: expected {N} values, found {}",
                        types.len()
                    )));
                }
                let mut types = types.iter();
                $(
                    let ty = types.next().ok_or_else(|| internal("tuple"))?;
                    $t::typecheck(ty).map_err(|e| context(e, format!("at position {}", $i)))?;
                )+
                Ok(())
            }
        }

        impl<$($t: Lower),+> Lower for ($($t,)+) {
            fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
                let types = field_types(ty)?;
                let mut types = types.iter();
                $( self.$i.lower_flat(cx, next(&mut types)?, out)?; )+
                Ok(())
            }
            fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
                let mut fields = fields(ty, ptr)?;
                $(
                    let (t, p) = next_field(&mut fields)?;
                    self.$i.store(cx, t, p)?;
                )+
                Ok(())
            }
        }

        impl<$($t: Lift),+> Lift for ($($t,)+) {
            fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
                let types = field_types(ty)?;
                let mut types = types.iter();
                Ok(($( $t::lift_flat(cx, next(&mut types)?, src)?, )+))
            }
            fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
                let mut fields = fields(ty, ptr)?;
                Ok(($({
                    let (t, p) = next_field(&mut fields)?;
                    $t::load(cx, t, p)?
                },)+))
            }
        }
    )*};
}

tuples! {
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);
}

// Resources.

impl<T: 'static> ComponentType for Resource<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(rt) | Type::Borrow(rt) if rt.is_host::<T>() => Ok(()),
            _ => Err(mismatch(
                &format!(
                    "own or borrow of host resource {}",
                    core::any::type_name::<T>()
                ),
                ty,
            )),
        }
    }
}

/// The spec's `lower_own` / `lower_borrow` of a handle with representation `rep`.
fn lower_handle(cx: &mut LowerCx<'_>, ty: &Type, rep: u32, owned: bool) -> Result<u32> {
    match ty {
        Type::Own(rt) => {
            if !owned {
                return Err(Error::usage(format!(
                    "cannot lower a borrowed handle as `own<{rt}>`"
                )));
            }
            cx.abi().handles().lower_own(rt.clone(), rep)
        }
        Type::Borrow(rt) => {
            let implements = cx.abi().implements(rt);
            cx.abi().handles().lower_borrow(rt.clone(), rep, implements)
        }
        _ => Err(internal("not a handle type")),
    }
}

/// The spec's `lift_own` / `lift_borrow` of handle `index`: the representation and whether
/// the handle owns it.
fn lift_handle(cx: &mut LiftCx<'_>, ty: &Type, index: u32) -> Result<(u32, bool)> {
    match ty {
        Type::Own(rt) => Ok((cx.abi().handles().lift_own(rt, index)?, true)),
        Type::Borrow(rt) => Ok((cx.abi().handles().lift_borrow(rt, index)?, false)),
        _ => Err(internal("not a handle type")),
    }
}

impl<T: 'static> Lower for Resource<T> {
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
        out.push(u64::from(lower_handle(cx, ty, self.rep(), self.owned())?));
        Ok(())
    }
    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
        let index = lower_handle(cx, ty, self.rep(), self.owned())?;
        cx.write_array(ptr, index.to_le_bytes())
    }
}

impl<T: 'static> Lift for Resource<T> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let index = src.next(ValType::I32)? as u32;
        Ok(match lift_handle(cx, ty, index)? {
            (rep, true) => Resource::new_own(rep),
            (rep, false) => Resource::new_borrow(rep),
        })
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let index = u32::from_le_bytes(cx.bytes(ptr)?);
        Ok(match lift_handle(cx, ty, index)? {
            (rep, true) => Resource::new_own(rep),
            (rep, false) => Resource::new_borrow(rep),
        })
    }
}

impl ComponentType for ResourceAny {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(_) | Type::Borrow(_) => Ok(()),
            _ => Err(mismatch("own or borrow", ty)),
        }
    }
}

fn lower_any(cx: &mut LowerCx<'_>, ty: &Type, r: &ResourceAny) -> Result<u32> {
    match ty {
        Type::Own(rt) | Type::Borrow(rt) if *rt != r.ty() => Err(Error::usage(format!(
            "cannot lower a handle to {} as `{ty}`",
            r.ty()
        ))),
        _ => {
            let take = r.owned() && matches!(ty, Type::Own(_));
            let rep = r.lower_rep(cx.abi().host_handles(), take)?;
            lower_handle(cx, ty, rep, r.owned())
        }
    }
}

impl Lower for ResourceAny {
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
        out.push(u64::from(lower_any(cx, ty, self)?));
        Ok(())
    }
    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
        let index = lower_any(cx, ty, self)?;
        cx.write_array(ptr, index.to_le_bytes())
    }
}

fn any_of(cx: &mut LiftCx<'_>, ty: &Type, rep: u32, owned: bool) -> Result<ResourceAny> {
    match ty {
        Type::Own(rt) | Type::Borrow(rt) => {
            ResourceAny::lifted(cx.abi().host_handles(), rt, rep, owned)
        }
        _ => Err(internal("not a handle type")),
    }
}

impl Lift for ResourceAny {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let index = src.next(ValType::I32)? as u32;
        let (rep, owned) = lift_handle(cx, ty, index)?;
        any_of(cx, ty, rep, owned)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let index = u32::from_le_bytes(cx.bytes(ptr)?);
        let (rep, owned) = lift_handle(cx, ty, index)?;
        any_of(cx, ty, rep, owned)
    }
}
