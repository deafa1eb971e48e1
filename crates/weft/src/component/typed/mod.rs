//! The typed API of the component model: Rust types that cross the component boundary
//! directly, without [`Val`](super::Val)s.
//!
//! # Design
//!
//! Three traits, shaped like Wasmtime's, say how a Rust type meets a component value type:
//!
//! - [`ComponentType`] checks that the Rust type matches a component [`Type`]. The check
//!   runs once, when a [`TypedFunc`] is made ([`Func::typed`](super::Func::typed),
//!   [`Instance::get_typed_func`](super::Instance::get_typed_func)) or a host function of
//!   [`LinkerInstance::func_wrap`](super::LinkerInstance::func_wrap) is bound to an import;
//!   calls afterwards trust it.
//! - [`Lower`] writes a Rust value into a component instance: as flat core values (cells) or
//!   into linear memory at a pointer, following the Canonical ABI's `lower_flat` and `store`.
//! - [`Lift`] reads a Rust value out of an instance: from flat core values or from linear
//!   memory, following `lift_flat` and `load`, with the spec's trap for every invalid value.
//!
//! Each method receives the component type it was checked against, so that layouts
//! (alignment, size, the joined flat slots of a variant) come from the Canonical ABI's own
//! computation in [`abi`](super::abi) instead of being recomputed per Rust type: the two can
//! never disagree. Lifting and lowering go through [`LiftCx`] and [`LowerCx`], thin wrappers
//! over the ABI's [`LiftContext`] / [`LowerContext`] that add the budget of host memory a
//! lift may fill and the canonical options, which [`WasmStr`] and [`WasmList`] keep to read
//! guest memory later without copying.
//!
//! The derives of `weft-component-macro` (`#[derive(ComponentType, Lift, Lower)]`, `flags!`)
//! generate calls to the helpers of the hidden `__internal` module, which hold the logic for
//! records, variants and flags in one place.
//!
//! The methods of the traits are hidden from the docs: they are the contract with the
//! derives, not API for embedders, and may change.

mod call;
mod impls;
mod wasm;

use crate::error::ErrorCtor as _;
pub use call::TypedFunc;
pub(crate) use call::{ListTypes, Scratch, TypedHost, wrap};
pub use wasm::{WasmList, WasmStr};

use super::abi::flat::{CoerceValueIter, FlatValues};
use super::abi::layout::{Cases, variant_flat};
use super::abi::{self, LiftContext, LowerContext};
use super::func::{LiftView, Options};
use super::types::Type;
use crate::error::{Error, Result};
use crate::index::ComponentInstanceIdx;
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

/// A Rust type that corresponds to a component value type.
///
/// Implemented for `bool`, the integers, `f32`, `f64`, `char`, strings, lists, `Option`,
/// `Result`, tuples up to 16 elements, [`Resource<T>`](super::Resource) and
/// [`ResourceAny`](super::ResourceAny), [`WasmStr`], [`WasmList`], and by
/// `#[derive(ComponentType)]` for records, variants and enums and by `flags!` for flags.
pub trait ComponentType {
    /// Checks that this Rust type matches the component type `ty`.
    ///
    /// # Errors
    ///
    /// An error naming the mismatch.
    #[doc(hidden)]
    fn typecheck(ty: &Type) -> Result<()>;

    /// Checks this type as the payload of a variant case or result side whose type is
    /// `ty` (`None`: the case has no payload, which only `()` matches).
    ///
    /// # Errors
    ///
    /// An error naming the mismatch.
    #[doc(hidden)]
    fn typecheck_payload(ty: Option<&Type>) -> Result<()> {
        match ty {
            Some(ty) => Self::typecheck(ty),
            None => Err(Error::usage(format!(
                "type mismatch: expected no payload, found Rust type `{}`",
                core::any::type_name::<Self>()
            ))),
        }
    }
}

/// A Rust type whose values can be lowered into a component instance (passed as
/// arguments to a component function, or returned from a host function).
pub trait Lower: ComponentType {
    /// Appends the flat core values of `self`, of type `ty`, to `out` (the spec's
    /// `lower_flat`).
    ///
    /// # Errors
    ///
    /// A trap from `realloc` or a bad pointer it returned; a usage error for a resource
    /// handle of the wrong type.
    #[doc(hidden)]
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()>;

    /// Stores `self`, of type `ty`, at `ptr` in linear memory (the spec's `store`); `ptr`
    /// was checked for alignment and bounds by the caller.
    ///
    /// # Errors
    ///
    /// As [`Lower::lower_flat`].
    #[doc(hidden)]
    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()>;

    /// Stores the elements of a list of element type `ty` at `ptr` (already allocated for
    /// all of them). Primitive types write all elements at once.
    ///
    /// # Errors
    ///
    /// As [`Lower::lower_flat`].
    #[doc(hidden)]
    fn store_list(cx: &mut LowerCx<'_>, ty: &Type, items: &[Self], ptr: u32) -> Result<()>
    where
        Self: Sized,
    {
        let size = abi::elem_size(ty);
        let mut at = ptr;
        for item in items {
            item.store(cx, ty, at)?;
            at = at.checked_add(size).ok_or(TrapCode::PointerOutOfBounds)?;
        }
        Ok(())
    }
}

/// A Rust type whose values can be lifted out of a component instance (results of a
/// component function, or arguments of a host function).
pub trait Lift: Sized + ComponentType {
    /// Reads a value of type `ty` from flat core values (the spec's `lift_flat`).
    ///
    /// # Errors
    ///
    /// The spec's trap for an invalid value (a bad `char`, discriminant, string, handle).
    #[doc(hidden)]
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self>;

    /// Reads a value of type `ty` at `ptr` in linear memory (the spec's `load`); `ptr` was
    /// checked for alignment and bounds by the caller.
    ///
    /// # Errors
    ///
    /// As [`Lift::lift_flat`].
    #[doc(hidden)]
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self>;

    /// Reads `len` elements of type `ty` starting at `ptr` (range already checked).
    ///
    /// # Errors
    ///
    /// As [`Lift::lift_flat`].
    #[doc(hidden)]
    fn load_list(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32, len: u32) -> Result<Vec<Self>> {
        let size = abi::elem_size(ty);
        cx.charge(u64::from(len) * core::mem::size_of::<Self>() as u64)?;
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            out.push(Self::load(cx, ty, ptr.wrapping_add(i * size))?);
        }
        Ok(out)
    }

    /// The value of a payload-less case: only `()` has one.
    ///
    /// # Errors
    ///
    /// An internal error for any other type (the type check rules it out).
    #[doc(hidden)]
    fn lift_unit() -> Result<Self> {
        Err(internal("a payload-less case lifted as a value"))
    }
}

/// [`Lower`] as a trait object, for the payloads of variants.
#[doc(hidden)]
pub trait LowerDyn {
    /// [`Lower::lower_flat`].
    ///
    /// # Errors
    ///
    /// As [`Lower::lower_flat`].
    fn lower_flat_dyn(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()>;
    /// [`Lower::store`].
    ///
    /// # Errors
    ///
    /// As [`Lower::store`].
    fn store_dyn(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()>;
}

impl<T: Lower + ?Sized> LowerDyn for T {
    fn lower_flat_dyn(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> Result<()> {
        self.lower_flat(cx, ty, out)
    }
    fn store_dyn(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> Result<()> {
        self.store(cx, ty, ptr)
    }
}

/// The parameters or results of a component function as a Rust tuple: `()`, `(A,)`,
/// `(A, B)` ... up to 16 elements.
pub trait ComponentNamedList: ComponentType {
    /// Checks the tuple's elements against the function's parameter or result types.
    ///
    /// # Errors
    ///
    /// An error naming the first mismatch and its position.
    #[doc(hidden)]
    fn typecheck_list(types: &[Type]) -> Result<()>;
}

/// `e` with `what` in front of its message, for type-check errors that name where in a
/// type the mismatch is; other errors pass unchanged.
pub(crate) fn context(e: Error, what: impl core::fmt::Display) -> Error {
    match crate::ErrorExt::kind(&e) {
        Some(crate::ErrorKind::Usage(message)) => Error::usage(format!("{what}: {message}")),
        _ => e,
    }
}

pub(crate) fn internal(what: &str) -> Error {
    Trap::with_detail(
        TrapCode::InternalError,
        format!("internal error in a typed component call: {what}"),
    )
}

/// The error of a type check: `expected` is the Rust side, `ty` the component's.
pub(crate) fn mismatch(expected: &str, ty: &Type) -> Error {
    Error::usage(format!(
        "type mismatch: expected `{expected}`, found `{ty}`"
    ))
}

/// The context of a typed lift: the instance's memory, encoding and handles, the canonical
/// options, and the budget of host memory the lift may still fill.
pub struct LiftCx<'a> {
    cx: &'a mut dyn LiftContext,
    /// The instance's memory, when the context was made from a [`LiftView`] that lends it
    /// apart from `cx`: reads then skip the lookup through `cx`.
    memory: Option<&'a [u8]>,
    pub(crate) options: Options,
    pub(crate) instance: ComponentInstanceIdx,
    remaining: u64,
}

impl<'a> LiftCx<'a> {
    pub(crate) fn new(
        cx: &'a mut dyn LiftContext,
        options: Options,
        instance: ComponentInstanceIdx,
    ) -> Self {
        let remaining = cx.max_lifted_bytes();
        LiftCx {
            cx,
            memory: None,
            options,
            instance,
            remaining,
        }
    }

    /// The context of a lift from `view`, reading its memory directly.
    pub(crate) fn with_view(view: &'a mut LiftView<'_>) -> Self {
        let memory = view.memory;
        let (options, instance) = (view.options, view.instance);
        let mut cx = LiftCx::new(view, options, instance);
        cx.memory = Some(memory);
        cx
    }

    /// The Canonical ABI context.
    pub(crate) fn abi(&mut self) -> &mut dyn LiftContext {
        &mut *self.cx
    }

    /// The instance's memory as it is now.
    #[inline]
    pub(crate) fn memory(&self) -> &[u8] {
        match self.memory {
            Some(memory) => memory,
            None => self.cx.memory(),
        }
    }

    /// Takes `bytes` from the budget of host memory, before they are allocated.
    pub(crate) fn charge(&mut self, bytes: u64) -> Result<()> {
        match self.remaining.checked_sub(bytes) {
            Some(rest) => {
                self.remaining = rest;
                Ok(())
            }
            None => Err(Error::resource(format!(
                "lifted value needs more than {} bytes of host memory",
                self.cx.max_lifted_bytes()
            ))),
        }
    }

    /// `N` bytes at `ptr`.
    #[inline]
    pub(crate) fn bytes<const N: usize>(&self, ptr: u32) -> Result<[u8; N]> {
        self.memory()
            .get(ptr as usize..)
            .and_then(|m| m.first_chunk::<N>())
            .copied()
            .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
    }
}

/// The context of a typed lower: the instance's memory, encoding, handles and `realloc`.
pub struct LowerCx<'a> {
    cx: &'a mut dyn LowerContext,
}

impl<'a> LowerCx<'a> {
    pub(crate) fn new(cx: &'a mut dyn LowerContext) -> Self {
        LowerCx { cx }
    }

    /// The Canonical ABI context.
    pub(crate) fn abi(&mut self) -> &mut dyn LowerContext {
        &mut *self.cx
    }

    /// Writes `bytes` at `ptr` (a range checked when it was allocated).
    pub(crate) fn write(&mut self, ptr: u32, bytes: &[u8]) -> Result<()> {
        self.slice_mut(ptr, bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes the `N` bytes of `bytes` at `ptr` (a range checked when it was allocated):
    /// one fixed-size store, for the numbers of records and tuples.
    #[inline]
    pub(crate) fn write_array<const N: usize>(&mut self, ptr: u32, bytes: [u8; N]) -> Result<()> {
        let to = self
            .cx
            .memory_mut()
            .get_mut(ptr as usize..)
            .and_then(|m| m.first_chunk_mut::<N>())
            .ok_or(TrapCode::PointerOutOfBounds)?;
        *to = bytes;
        Ok(())
    }

    /// The `len` bytes of memory at `ptr`, to be written in place.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: usize) -> Result<&mut [u8]> {
        Ok(self
            .cx
            .memory_mut()
            .get_mut(ptr as usize..)
            .and_then(|m| m.get_mut(..len))
            .ok_or(TrapCode::PointerOutOfBounds)?)
    }

    /// `realloc(0, 0, align, size)`, checked (the spec's `trap_if`s).
    pub(crate) fn allocate(&mut self, align: u32, size: u32) -> Result<u32> {
        abi::strings::reallocate(&mut *self.cx, 0, 0, align, size)
    }
}

/// Support for the derives of `weft-component-macro`; not public API.
#[doc(hidden)]
pub mod __internal {
    pub use super::super::abi::flat::FlatValues;
    use super::*;
    pub use crate::component::types::Type;
    pub use crate::error::Result;

    /// [`ComponentType::typecheck`] of a field's Rust type.
    pub type Check = fn(&Type) -> Result<()>;

    /// [`ComponentType::typecheck_payload`] of a case's Rust payload type.
    pub type PayloadCheck = fn(Option<&Type>) -> Result<()>;

    /// Checks a record: `fields` are the Rust fields' component names and checks, in order.
    pub fn typecheck_record(ty: &Type, fields: &[(&str, Check)]) -> Result<()> {
        let Type::Record(record) = ty else {
            return Err(mismatch("record", ty));
        };
        let types = record.field_types();
        if types.len() != fields.len() {
            return Err(Error::usage(format!(
                "type mismatch: expected a record of {} fields, found `{ty}`",
                fields.len()
            )));
        }
        for ((name, check), (have, field_ty)) in fields.iter().zip(types) {
            if **have != **name {
                return Err(Error::usage(format!(
                    "type mismatch: expected record field `{name}`, found `{have}` in `{ty}`"
                )));
            }
            check(field_ty)
                .map_err(|e| context(e, format!("type mismatch in record field `{name}`")))?;
        }
        Ok(())
    }

    /// Checks a variant: `cases` are the Rust cases' component names and payload checks.
    pub fn typecheck_variant(ty: &Type, cases: &[(&str, Option<PayloadCheck>)]) -> Result<()> {
        let Type::Variant(variant) = ty else {
            return Err(mismatch("variant", ty));
        };
        if variant.cases().len() != cases.len() {
            return Err(Error::usage(format!(
                "type mismatch: expected a variant of {} cases, found `{ty}`",
                cases.len()
            )));
        }
        for ((name, check), case) in cases.iter().zip(variant.cases()) {
            if case.name != *name {
                return Err(Error::usage(format!(
                    "type mismatch: expected variant case `{name}`, found `{}` in `{ty}`",
                    case.name
                )));
            }
            match (check, &case.ty) {
                (Some(check), ty) => check(ty.as_ref()),
                (None, None) => Ok(()),
                (None, Some(_)) => Err(Error::usage(format!(
                    "type mismatch: variant case `{name}` has a payload in `{ty}`"
                ))),
            }
            .map_err(|e| context(e, format!("type mismatch in variant case `{name}`")))?;
        }
        Ok(())
    }

    /// Checks an enum of the given case names.
    pub fn typecheck_enum(ty: &Type, names: &[&str]) -> Result<()> {
        let Type::Enum(e) = ty else {
            return Err(mismatch("enum", ty));
        };
        if !e.names().eq(names.iter().copied()) {
            return Err(Error::usage(format!(
                "type mismatch: expected `enum {{ {} }}`, found `{ty}`",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// Checks flags of the given names.
    pub fn typecheck_flags(ty: &Type, names: &[&str]) -> Result<()> {
        let Type::Flags(f) = ty else {
            return Err(mismatch("flags", ty));
        };
        if !f.names().eq(names.iter().copied()) {
            return Err(Error::usage(format!(
                "type mismatch: expected `flags {{ {} }}`, found `{ty}`",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// The field types of a record or the element types of a tuple.
    #[inline]
    pub fn field_types(ty: &Type) -> Result<FieldTypes<'_>> {
        match ty {
            Type::Record(r) => Ok(FieldTypes::Record(r.field_types().iter())),
            Type::Tuple(t) => Ok(FieldTypes::Tuple(t.elements().iter())),
            _ => Err(internal("fields of a type that has none")),
        }
    }

    /// The field types of a record or the element types of a tuple, in order, without
    /// collecting them (a typed call allocates nothing for them).
    #[derive(Clone)]
    pub enum FieldTypes<'t> {
        /// A record's fields.
        Record(core::slice::Iter<'t, (Box<str>, Type)>),
        /// A tuple's elements.
        Tuple(core::slice::Iter<'t, Type>),
    }

    impl<'t> FieldTypes<'t> {
        /// The types from the first on.
        pub fn iter(&self) -> FieldTypes<'t> {
            self.clone()
        }
    }

    impl<'t> Iterator for FieldTypes<'t> {
        type Item = &'t Type;

        #[inline]
        fn next(&mut self) -> Option<&'t Type> {
            match self {
                FieldTypes::Record(fields) => fields.next().map(|(_, t)| t),
                FieldTypes::Tuple(types) => types.next(),
            }
        }
    }

    /// The next field type of `types`.
    #[inline]
    pub fn next<'t>(types: &mut FieldTypes<'t>) -> Result<&'t Type> {
        types
            .next()
            .ok_or_else(|| internal("fewer fields than checked"))
    }

    /// The fields of the record or tuple of type `ty` stored at `ptr`, in order: each one's
    /// type and address, from the offsets the type computed when it was built.
    #[inline]
    pub fn fields(ty: &Type, ptr: u32) -> Result<Fields<'_>> {
        Ok(Fields {
            types: field_types(ty)?,
            offsets: abi::layout::record_offsets(ty).iter(),
            ptr,
        })
    }

    /// The fields of a record or tuple in memory, for [`next_field`].
    pub struct Fields<'t> {
        types: FieldTypes<'t>,
        offsets: core::slice::Iter<'t, u32>,
        ptr: u32,
    }

    /// The type and address of the next field of `fields`.
    #[inline]
    pub fn next_field<'t>(fields: &mut Fields<'t>) -> Result<(&'t Type, u32)> {
        match (fields.types.next(), fields.offsets.next()) {
            (Some(ty), Some(&offset)) => {
                let ptr = fields
                    .ptr
                    .checked_add(offset)
                    .ok_or(TrapCode::PointerOutOfBounds)?;
                Ok((ty, ptr))
            }
            _ => Err(internal("fewer fields than checked")),
        }
    }

    /// The spec's `lower_flat_variant`: case `index`, its payload in the joined slots, and
    /// zeros for the slots the case does not use.
    pub fn lower_variant_flat(
        cx: &mut LowerCx<'_>,
        ty: &Type,
        index: u32,
        payload: Option<&dyn LowerDyn>,
        out: &mut Vec<u64>,
    ) -> Result<()> {
        let cases = Cases::of(ty).ok_or_else(|| internal("not a variant"))?;
        let flat_types = variant_flat(ty).unwrap_or(&[ValType::I32]);
        out.push(u64::from(index));
        let start = out.len();
        if let (Some(pty), Some(payload)) = (cases.payload(index as usize), payload) {
            payload.lower_flat_dyn(cx, pty, out)?;
        }
        let end = start + flat_types.len().saturating_sub(1);
        if out.len() > end {
            return Err(internal("variant payload longer than its slots"));
        }
        out.resize(end, 0);
        Ok(())
    }

    /// The spec's `store` of a variant: the discriminant, then the payload at the payload
    /// offset.
    pub fn store_variant(
        cx: &mut LowerCx<'_>,
        ty: &Type,
        index: u32,
        payload: Option<&dyn LowerDyn>,
        ptr: u32,
    ) -> Result<()> {
        let cases = Cases::of(ty).ok_or_else(|| internal("not a variant"))?;
        match abi::discriminant_type(cases.len()).size() {
            1 => cx.write_array(ptr, [index as u8])?,
            2 => cx.write(ptr, &(index as u16).to_le_bytes())?,
            _ => cx.write_array(ptr, index.to_le_bytes())?,
        }
        if let (Some(pty), Some(payload)) = (cases.payload(index as usize), payload) {
            let at = ptr
                .checked_add(abi::layout::payload_offset(ty))
                .ok_or(TrapCode::PointerOutOfBounds)?;
            payload.store_dyn(cx, pty, at)?;
        }
        Ok(())
    }

    /// The spec's `lift_flat_variant`: reads the discriminant, then lets `case` lift the
    /// payload (given its type and the coerced values, if the case has one), then skips
    /// the unused slots.
    pub fn lift_variant_flat<R>(
        cx: &mut LiftCx<'_>,
        ty: &Type,
        src: &mut dyn FlatValues,
        case: impl FnOnce(&mut LiftCx<'_>, u32, Option<(&Type, &mut dyn FlatValues)>) -> Result<R>,
    ) -> Result<R> {
        let cases = Cases::of(ty).ok_or_else(|| internal("not a variant"))?;
        let flat_types = variant_flat(ty).unwrap_or(&[ValType::I32]);
        let joined = flat_types
            .get(1..)
            .ok_or_else(|| internal("variant slots"))?;
        let index = src.next(ValType::I32)? as u32;
        if index as usize >= cases.len() {
            return Err(bad_discriminant(index, cases.len()));
        }
        let rest = match cases.payload(index as usize) {
            Some(pty) => {
                let mut coerce = CoerceValueIter {
                    inner: &mut *src,
                    have: joined,
                };
                let value = case(cx, index, Some((pty, &mut coerce)))?;
                let rest = coerce.have;
                for &have in rest {
                    src.next(have)?;
                }
                return Ok(value);
            }
            None => joined,
        };
        let value = case(cx, index, None)?;
        for &have in rest {
            src.next(have)?;
        }
        Ok(value)
    }

    /// The spec's `load` of a variant: reads the discriminant at `ptr`, then lets `case`
    /// load the payload (given its type and pointer, if the case has one).
    pub fn load_variant<R>(
        cx: &mut LiftCx<'_>,
        ty: &Type,
        ptr: u32,
        case: impl FnOnce(&mut LiftCx<'_>, u32, Option<(&Type, u32)>) -> Result<R>,
    ) -> Result<R> {
        let cases = Cases::of(ty).ok_or_else(|| internal("not a variant"))?;
        let index = match abi::discriminant_type(cases.len()).size() {
            1 => u32::from(cx.bytes::<1>(ptr)?[0]),
            2 => u32::from(u16::from_le_bytes(cx.bytes(ptr)?)),
            _ => u32::from_le_bytes(cx.bytes(ptr)?),
        };
        if index as usize >= cases.len() {
            return Err(bad_discriminant(index, cases.len()));
        }
        let payload = match cases.payload(index as usize) {
            Some(pty) => Some((
                pty,
                ptr.checked_add(abi::layout::payload_offset(ty))
                    .ok_or(TrapCode::PointerOutOfBounds)?,
            )),
            None => None,
        };
        case(cx, index, payload)
    }

    /// A payload to lower, for [`lower_variant_flat`] and [`store_variant`].
    pub fn payload<T: Lower>(value: &T) -> Option<&dyn LowerDyn> {
        Some(value)
    }

    /// Lifts a case's payload from flat values, or `()` for a case without one.
    pub fn lift_payload<T: Lift>(
        cx: &mut LiftCx<'_>,
        payload: Option<(&Type, &mut dyn FlatValues)>,
    ) -> Result<T> {
        match payload {
            Some((ty, src)) => T::lift_flat(cx, ty, src),
            None => T::lift_unit(),
        }
    }

    /// Loads a case's payload from memory, or `()` for a case without one.
    pub fn load_payload<T: Lift>(cx: &mut LiftCx<'_>, payload: Option<(&Type, u32)>) -> Result<T> {
        match payload {
            Some((ty, ptr)) => T::load(cx, ty, ptr),
            None => T::lift_unit(),
        }
    }

    /// The trap for a discriminant past the last case.
    pub fn bad_discriminant(index: u32, cases: usize) -> crate::Error {
        Trap::with_detail(
            TrapCode::InvalidDiscriminant,
            format!("invalid variant discriminant {index} for a type of {cases} cases"),
        )
    }

    /// The flat values of flags: one `i32` per 32 flags.
    pub fn lower_flags_flat(words: &[u32], out: &mut Vec<u64>) {
        out.extend(words.iter().map(|w| u64::from(*w)));
    }

    /// Stores flags at `ptr`: 1, 2 or 4 bytes per 32 flags as the spec packs them.
    pub fn store_flags(cx: &mut LowerCx<'_>, ty: &Type, words: &[u32], ptr: u32) -> Result<()> {
        let size = abi::elem_size(ty);
        match (size, words.first()) {
            (1, Some(w)) => cx.write_array(ptr, [*w as u8]),
            (2, Some(w)) => cx.write(ptr, &(*w as u16).to_le_bytes()),
            _ => {
                let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                cx.write(ptr, &bytes)
            }
        }
    }

    /// Lifts flags from flat values into `words`, dropping bits past the last flag.
    pub fn lift_flags_flat(ty: &Type, src: &mut dyn FlatValues, words: &mut [u32]) -> Result<()> {
        for w in words.iter_mut() {
            *w = src.next(ValType::I32)? as u32;
        }
        mask_flags(ty, words);
        Ok(())
    }

    /// Loads flags at `ptr` into `words`, dropping bits past the last flag.
    pub fn load_flags(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32, words: &mut [u32]) -> Result<()> {
        match (abi::elem_size(ty), words.first_mut()) {
            (1, Some(w)) => *w = u32::from(cx.bytes::<1>(ptr)?[0]),
            (2, Some(w)) => *w = u32::from(u16::from_le_bytes(cx.bytes(ptr)?)),
            _ => {
                for (i, w) in (0u32..).zip(words.iter_mut()) {
                    *w = u32::from_le_bytes(cx.bytes(ptr.wrapping_add(4 * i))?);
                }
            }
        }
        mask_flags(ty, words);
        Ok(())
    }

    fn mask_flags(ty: &Type, words: &mut [u32]) {
        if let Type::Flags(f) = ty {
            let n = f.len();
            for (i, w) in words.iter_mut().enumerate() {
                let bits = n.saturating_sub(i * 32).min(32);
                if bits < 32 {
                    *w &= (1u32 << bits) - 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
