//! The Canonical ABI: how component values cross into and out of core WebAssembly.
//!
//! This module follows [CanonicalABI.md](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md)
//! and its executable Python reference, `design/mvp/canonical-abi/definitions.py`, one
//! function for one, under the same names:
//!
//! | here | spec section |
//! |---|---|
//! | [`layout`]: [`alignment`], [`elem_size`], [`align_to`], [`discriminant_type`], [`flat_count`] | "Alignment", "Element Size" |
//! | [`flat`]: [`flatten_type`], [`flatten_functype`], [`CoreValueIter`] | "Flattening" |
//! | [`lift`]: [`load`], [`lift_flat`], [`lift_flat_values`], [`load_list_from_range`] | "Loading", "Flat Lifting" |
//! | [`lower`]: [`store()`], [`lower_flat`], [`lower_flat_values`], [`store_list_into_range`] | "Storing", "Flat Lowering" |
//! | [`strings`]: [`load_string_from_range`], [`store_string_into_range`] | "Loading" and "Storing" of strings |
//! | [`transfer`]: [`transfer_flat_values`] | `canon lower` of a `canon lift`: a call between two components, without `Val`s |
//!
//! Only 32-bit memories are supported (`ptr_type` is always `i32`); the async ABI, streams,
//! futures, error contexts and fixed-length lists are not part of this layer yet.
//!
//! # Core values
//!
//! Flat values are `u64` cells in the engine's own representation (see the `store` module of
//! the crate): an `i32` or `f32` is its bits zero-extended, an `i64` or `f64` its bits. Their
//! types are [`ValType`](crate::ValType)s (`I32`, `I64`, `F32`, `F64`). Because cells hold bits,
//! the variant coercions of the spec (`i32` <-> `f32`, `i32`/`f32`/`f64` in an `i64` slot) are
//! bit-preserving: widening is the identity and narrowing keeps the low 32 bits.
//!
//! # The contract with the runtime
//!
//! Lifting and lowering run against a context the runtime implements:
//!
//! - [`LiftContext`] gives read access to the instance's linear memory, its string encoding
//!   and its [`HandleTable`]. Lifting never calls into WebAssembly.
//! - [`LowerContext`] adds write access to the memory and the instance's `realloc`. Lowering
//!   calls `realloc` for every string, list and spilled tuple; `realloc` runs guest code, so
//!   the memory slice may move or grow between calls: implementations must return the
//!   *current* memory from every call of [`LiftContext::memory`] /
//!   [`LowerContext::memory_mut`], and this module never keeps a slice across a `realloc`.
//! - Before lowering `borrow` arguments into an instance the runtime opens a task on its handle
//!   table ([`HandleTable::enter_task`](super::HandleTable::enter_task)) and closes it when
//!   the callee returns; before lifting the arguments of a call out of an instance it opens a
//!   subtask ([`HandleTable::enter_subtask`](super::HandleTable::enter_subtask)) and closes it
//!   when that call returns.
//!
//! # How a call uses this layer
//!
//! The host calls a component's export (the spec's `canon lift`), with `cx` the callee's
//! context:
//!
//! 1. `cx.handles().enter_task()`;
//! 2. `lower_flat_values(cx, MAX_FLAT_PARAMS, args, param_types, None)` gives the core
//!    arguments (a single pointer when they spill);
//! 3. call the core function;
//! 4. `lift_flat_values(cx, MAX_FLAT_RESULTS, &mut CoreValueIter::new(&core_results),
//!    result_type)` gives the results;
//! 5. `cx.handles().exit_task()?` (traps if the callee kept a borrow), then `post-return`.
//!
//! A component calls a host import (the spec's `canon lower`), with `cx` the caller's context:
//!
//! 1. `cx.handles().enter_subtask()`;
//! 2. `lift_flat_values(cx, MAX_FLAT_PARAMS, &mut args_iter, param_types)` over the core
//!    arguments; if [`flat_count`] of the result is more than `MAX_FLAT_RESULTS`, the next
//!    argument is the out-pointer for the results;
//! 3. call the host function;
//! 4. `lower_flat_values(cx, MAX_FLAT_RESULTS, results, result_type, out_pointer)` gives the
//!    core results (none when they went through the out-pointer);
//! 5. `cx.handles().exit_subtask()`.
//!
//! A component calls another's export: the same steps on both sides, with
//! [`transfer_flat_values`] in place of each lift-then-lower pair.
//!
//! Every invalid input is a trap with the spec's reason and a message of its own (see
//! [`TrapCode`](crate::TrapCode): `UnalignedPointer`, `PointerOutOfBounds`,
//! `StringOutOfBounds`, `ListOutOfBounds`, `ReallocOutOfBounds`, `InvalidChar`,
//! `InvalidDiscriminant`, `InvalidString`, `LengthOverflow` and the handle traps). Nothing here
//! panics on guest-controlled input. A [`Val`](super::Val) that does not match its type when
//! lowering is a usage error, not a trap (the runtime type-checks host arguments first).

pub mod flat;
pub mod layout;
pub mod lift;
pub mod lower;
pub mod strings;
pub mod transfer;

#[cfg(test)]
mod tests;

pub use flat::{
    CoreValueIter, FlatValues, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, flatten_functype, flatten_type,
    flatten_types,
};
pub use layout::{align_to, alignment, discriminant_type, elem_size, flat_count};
pub use lift::{lift_flat, lift_flat_values, load, load_list_from_range};
pub use lower::{lower_flat, lower_flat_values, store, store_list_into_range};
pub use strings::{StringSource, load_string_from_range, store_string_into_range};
pub use transfer::{TransferContext, transfer_flat_values};

use super::resources::{HandleTable, HostHandleTable};
use super::types::{ResourceType, Type};
use crate::error::ErrorCtor as _;
use crate::error::Result;

/// The `string-encoding` canonical option ([Explainer, "Canonical
/// ABI"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#canonical-abi)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StringEncoding {
    /// `string-encoding=utf8`: bytes; the length counts bytes. Alignment 1.
    #[default]
    Utf8,
    /// `string-encoding=utf16`: little-endian 16-bit code units; the length counts code units.
    /// Alignment 2.
    Utf16,
    /// `string-encoding=latin1+utf16`: latin1 bytes, or utf16 code units when bit 31 of the
    /// length ([`UTF16_TAG`]) is set. Alignment 2.
    CompactUtf16,
}

/// The bit of a `latin1+utf16` string length that marks utf16 contents (the spec's
/// `utf16_tag` for 32-bit memories).
pub const UTF16_TAG: u32 = 1 << 31;

/// The largest string, in bytes, the Canonical ABI lifts (`MAX_STRING_BYTE_LENGTH`).
pub const MAX_STRING_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The largest list, in bytes, the Canonical ABI lifts (`MAX_LIST_BYTE_LENGTH`).
pub const MAX_LIST_BYTE_LENGTH: u32 = (1 << 28) - 1;

/// The most host memory, in bytes, that one lift may fill with [`Val`](super::Val)s unless the
/// context sets another limit ([`LiftContext::max_lifted_bytes`]): 1 GiB.
///
/// The spec lets lists and strings alias: a list of 256 lists that all point at the same list
/// of 256 lists of ... is a few bytes of guest memory and grows exponentially when lifted. The
/// limit turns such a value into an error instead of exhausting the host.
pub const DEFAULT_MAX_LIFTED_BYTES: u64 = 1 << 30;

/// What lifting needs from the runtime: the options and state of the instance values are
/// lifted from (the spec's `LiftLowerContext` without `realloc`).
pub trait LiftContext {
    /// The instance's linear memory as it is now; empty if the canonical options name no
    /// memory.
    fn memory(&self) -> &[u8];

    /// The `string-encoding` option.
    fn string_encoding(&self) -> StringEncoding;

    /// The instance's table of resource handles.
    fn handles(&mut self) -> &mut HandleTable;

    /// The store's table of the guest resource handles the host holds, if values are lifted
    /// for the host: a lifted guest resource handle becomes an entry of it, and lowering a
    /// [`ResourceAny`](super::ResourceAny) checks that its entry is still live. `None` (the
    /// default) keeps representations in the handles themselves.
    fn host_handles(&mut self) -> Option<&mut HostHandleTable> {
        None
    }

    /// Whether the instance defines resource type `ty` (the spec's `cx.inst is t.rt.impl`):
    /// a `borrow` of its own resource is passed to it as the representation itself.
    fn implements(&self, ty: &ResourceType) -> bool {
        let _ = ty;
        false
    }

    /// The most host memory, in bytes, one lift may fill with values (strings, lists, records,
    /// names); past it lifting fails with a
    /// [`ResourceExhausted`](crate::ErrorKind::ResourceExhausted) error. Defaults to
    /// [`DEFAULT_MAX_LIFTED_BYTES`].
    fn max_lifted_bytes(&self) -> u64 {
        DEFAULT_MAX_LIFTED_BYTES
    }
}

/// A [`LiftContext`] with the budget of host memory one lift may still use.
pub(crate) struct Lifter<'a, C: ?Sized> {
    cx: &'a mut C,
    remaining: u64,
}

impl<'a, C: LiftContext + ?Sized> Lifter<'a, C> {
    /// A lift into `cx`'s budget.
    pub(crate) fn new(cx: &'a mut C) -> Self {
        let remaining = cx.max_lifted_bytes();
        Lifter { cx, remaining }
    }

    /// Takes `bytes` from the budget, before they are allocated.
    pub(crate) fn charge(&mut self, bytes: u64) -> Result<()> {
        match self.remaining.checked_sub(bytes) {
            Some(rest) => {
                self.remaining = rest;
                Ok(())
            }
            None => Err(crate::Error::resource(format!(
                "lifted value needs more than {} bytes of host memory",
                self.cx.max_lifted_bytes()
            ))),
        }
    }
}

impl<C: LiftContext + ?Sized> LiftContext for Lifter<'_, C> {
    fn memory(&self) -> &[u8] {
        self.cx.memory()
    }
    fn string_encoding(&self) -> StringEncoding {
        self.cx.string_encoding()
    }
    fn handles(&mut self) -> &mut HandleTable {
        self.cx.handles()
    }
    fn host_handles(&mut self) -> Option<&mut HostHandleTable> {
        self.cx.host_handles()
    }
    fn implements(&self, ty: &ResourceType) -> bool {
        self.cx.implements(ty)
    }
    fn max_lifted_bytes(&self) -> u64 {
        self.cx.max_lifted_bytes()
    }
}

/// What lowering needs from the runtime on top of [`LiftContext`]: writing memory and
/// calling the instance's `realloc` (the spec's `LiftLowerContext`).
pub trait LowerContext: LiftContext {
    /// The instance's linear memory as it is now, writable.
    fn memory_mut(&mut self) -> &mut [u8];

    /// Calls the instance's `realloc(old_ptr, old_size, align, new_size) -> ptr` and returns
    /// its result unchecked (the callers check alignment and bounds and trap).
    ///
    /// # Errors
    ///
    /// Whatever the call raises (a trap in `realloc`), or a trap if the options name no
    /// `realloc`.
    fn realloc(&mut self, old_ptr: u32, old_size: u32, align: u32, new_size: u32) -> Result<u32>;
}

/// Runs `f`, first moving to a fresh stack segment if little stack is left.
///
/// Lifting, lowering and type checking recurse once per level of a nested type, and the
/// component runtime accepts types nested 1000 deep: deeper than a small thread stack holds
/// in a debug build. Each recursive step goes through here, so any depth runs on any thread.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    const RED_ZONE: usize = 64 * 1024;
    const SEGMENT: usize = 1024 * 1024;
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// [`with_stack`] for a step on a value of type `ty`: only a type that holds other types
/// recurses, so a step on any other type runs `f` directly, without looking at the stack.
#[inline]
pub(crate) fn with_stack_for<R>(ty: &Type, f: impl FnOnce() -> R) -> R {
    match ty {
        Type::List(_)
        | Type::Record(_)
        | Type::Tuple(_)
        | Type::Variant(_)
        | Type::Option(_)
        | Type::Result(_) => with_stack(f),
        _ => f(),
    }
}

/// Checks that `[ptr, ptr + len)` is aligned to `align` and inside `memory_len`; `oob` is the
/// trap for a range past the end.
pub(crate) fn check_range(
    ptr: u32,
    len: u64,
    align: u32,
    memory_len: usize,
    oob: crate::TrapCode,
) -> Result<()> {
    if align != 0 && !ptr.is_multiple_of(align) {
        return Err(crate::TrapCode::UnalignedPointer.into());
    }
    if u64::from(ptr) + len > memory_len as u64 {
        return Err(oob.into());
    }
    Ok(())
}
