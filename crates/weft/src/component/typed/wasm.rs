//! [`WasmStr`] and [`WasmList`]: strings and lists lifted as views into guest memory.

use super::impls::{check_list, list_element};
use super::{ComponentType, Lift, LiftCx, internal, mismatch};
use crate::component::abi::flat::FlatValues;
use crate::component::abi::{self, StringEncoding, UTF16_TAG};
use crate::component::func::{LiftView, Options};
use crate::component::types::Type;
use crate::context::{AsContextMut, StoreContext};
use crate::error::Result;
use crate::index::ComponentInstanceIdx;
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;
use std::borrow::Cow;
use std::marker::PhantomData;

/// A `string` lifted without copying: where the string lies in the guest's memory, read when
/// asked ([`WasmStr::to_str`]).
///
/// The bounds were checked when the string was lifted; its contents are decoded (and
/// validated) when read, so a guest that changes its memory in between changes what is read.
#[derive(Debug, Clone)]
pub struct WasmStr {
    ptr: u32,
    /// Length in code units, untagged.
    len: u32,
    /// The encoding the bytes are in, after `latin1+utf16`'s tag is read.
    encoding: Simple,
    options: Options,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simple {
    Utf8,
    Utf16,
    Latin1,
}

impl WasmStr {
    fn new(cx: &LiftCx<'_>, ptr: u32, tagged: u32) -> Result<WasmStr> {
        let (align, len, encoding) = match cx.options.encoding {
            StringEncoding::Utf8 => (1, tagged, Simple::Utf8),
            StringEncoding::Utf16 => (2, tagged, Simple::Utf16),
            StringEncoding::CompactUtf16 if tagged & UTF16_TAG != 0 => {
                (2, tagged ^ UTF16_TAG, Simple::Utf16)
            }
            StringEncoding::CompactUtf16 => (2, tagged, Simple::Latin1),
        };
        let bytes = u64::from(len) * if encoding == Simple::Utf16 { 2 } else { 1 };
        if bytes > u64::from(abi::MAX_STRING_BYTE_LENGTH) {
            return Err(Trap::with_detail(
                TrapCode::LengthOverflow,
                format!(
                    "string of {bytes} bytes is longer than the maximum of {}",
                    abi::MAX_STRING_BYTE_LENGTH
                ),
            ));
        }
        abi::check_range(
            ptr,
            bytes,
            align,
            cx.memory().len(),
            TrapCode::StringOutOfBounds,
        )?;
        Ok(WasmStr {
            ptr,
            len,
            encoding,
            options: cx.options,
        })
    }

    /// The string: borrowed from guest memory when it is utf-8 there, decoded otherwise.
    ///
    /// # Errors
    ///
    /// A trap ("invalid string encoding") if the bytes are not valid in the guest's
    /// encoding.
    ///
    /// # Panics
    ///
    /// If `store` is not the store the string was lifted in.
    pub fn to_str<'a, T: 'static>(
        &self,
        store: impl Into<StoreContext<'a, T>>,
    ) -> Result<Cow<'a, str>> {
        let memory = match self.options.memory {
            Some(m) => m.data(store),
            None => &[],
        };
        let units = self.len as usize;
        let bytes_len = if self.encoding == Simple::Utf16 {
            units * 2
        } else {
            units
        };
        let bytes = memory
            .get(self.ptr as usize..)
            .and_then(|m| m.get(..bytes_len))
            .ok_or(TrapCode::StringOutOfBounds)?;
        let invalid = || -> crate::Error { TrapCode::InvalidString.into() };
        match self.encoding {
            Simple::Utf8 => core::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| invalid()),
            Simple::Latin1 => Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())),
            Simple::Utf16 => {
                let units = bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]));
                char::decode_utf16(units)
                    .collect::<core::result::Result<String, _>>()
                    .map(Cow::Owned)
                    .map_err(|_| invalid())
            }
        }
    }

    /// The string's length in code units of the guest's encoding.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl ComponentType for WasmStr {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::String => Ok(()),
            _ => Err(mismatch("string", ty)),
        }
    }
}

impl Lift for WasmStr {
    fn lift_flat(cx: &mut LiftCx<'_>, _: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let ptr = src.next(ValType::I32)? as u32;
        let len = src.next(ValType::I32)? as u32;
        WasmStr::new(cx, ptr, len)
    }
    fn load(cx: &mut LiftCx<'_>, _: &Type, ptr: u32) -> Result<Self> {
        let p = u32::from_le_bytes(cx.bytes(ptr)?);
        let len = u32::from_le_bytes(cx.bytes(ptr.wrapping_add(4))?);
        WasmStr::new(cx, p, len)
    }
}

/// A `list<T>` lifted without copying: where the list lies in the guest's memory; the
/// elements are lifted when read ([`WasmList::get`], [`WasmList::iter`]), or seen as bytes
/// ([`WasmList::as_le_slice`] for `list<u8>`).
#[derive(Debug, Clone)]
pub struct WasmList<T> {
    ptr: u32,
    len: u32,
    elem: Type,
    options: Options,
    instance: ComponentInstanceIdx,
    _marker: PhantomData<fn() -> T>,
}

impl<T: Lift> WasmList<T> {
    fn new(cx: &LiftCx<'_>, ty: &Type, ptr: u32, len: u32) -> Result<WasmList<T>> {
        let elem = list_element(ty)?;
        check_list(cx, elem, ptr, len)?;
        Ok(WasmList {
            ptr,
            len,
            elem: elem.clone(),
            options: cx.options,
            instance: cx.instance,
            _marker: PhantomData,
        })
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Lifts element `index`, or `None` past the end.
    ///
    /// # Errors
    ///
    /// The element's traps (an invalid `char`, discriminant, string...).
    ///
    /// # Panics
    ///
    /// If `store` is not the store the list was lifted in.
    pub fn get<U: 'static>(
        &self,
        mut store: impl AsContextMut<Data = U>,
        index: usize,
    ) -> Option<Result<T>> {
        if index >= self.len() {
            return None;
        }
        let store = store.as_context_mut().0;
        let mut view = LiftView::new(store, self.options, self.instance);
        let mut cx = LiftCx::with_view(&mut view);
        Some(self.get_in(&mut cx, index as u32))
    }

    fn get_in(&self, cx: &mut LiftCx<'_>, index: u32) -> Result<T> {
        let size = abi::elem_size(&self.elem);
        // In range: index < len and the whole list was checked at lifting.
        let ptr = self
            .ptr
            .checked_add(index * size)
            .ok_or_else(|| internal("list element pointer"))?;
        T::load(cx, &self.elem, ptr)
    }

    /// Lifts the elements one by one.
    ///
    /// # Panics
    ///
    /// If `store` is not the store the list was lifted in.
    pub fn iter<'a, U: 'static>(
        &'a self,
        store: impl Into<crate::context::StoreContextMut<'a, U>>,
    ) -> impl ExactSizeIterator<Item = Result<T>> + 'a {
        let store = store.into().0;
        (0..self.len).map(move |i| {
            let mut view = LiftView::new(&mut *store, self.options, self.instance);
            let mut cx = LiftCx::with_view(&mut view);
            self.get_in(&mut cx, i)
        })
    }
}

impl WasmList<u8> {
    /// The list's bytes in guest memory, without copying.
    ///
    /// # Panics
    ///
    /// If `store` is not the store the list was lifted in.
    pub fn as_le_slice<'a, T: 'static>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let memory = match self.options.memory {
            Some(m) => m.data(store),
            None => &[],
        };
        memory
            .get(self.ptr as usize..)
            .and_then(|m| m.get(..self.len as usize))
            .unwrap_or(&[])
    }
}

impl<T: ComponentType> ComponentType for WasmList<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::List(l) => T::typecheck(l.element()),
            _ => Err(mismatch("list", ty)),
        }
    }
}

impl<T: Lift> Lift for WasmList<T> {
    fn lift_flat(cx: &mut LiftCx<'_>, ty: &Type, src: &mut dyn FlatValues) -> Result<Self> {
        let ptr = src.next(ValType::I32)? as u32;
        let len = src.next(ValType::I32)? as u32;
        WasmList::new(cx, ty, ptr, len)
    }
    fn load(cx: &mut LiftCx<'_>, ty: &Type, ptr: u32) -> Result<Self> {
        let p = u32::from_le_bytes(cx.bytes(ptr)?);
        let len = u32::from_le_bytes(cx.bytes(ptr.wrapping_add(4))?);
        WasmList::new(cx, ty, p, len)
    }
}
