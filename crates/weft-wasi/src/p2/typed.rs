//! The host functions whose arguments or results carry bytes (`list<u8>`), and those a
//! stream write loop calls every time: registered with
//! [`LinkerInstance::func_wrap`](weft::component::LinkerInstance::func_wrap), so that the
//! bytes cross between guest memory and a host buffer in one copy instead of one [`Val`]
//! per byte.
//!
//! Each [`Typed`] case is one shape of signature, implemented by a plain function over the
//! [`WasiCtxView`]; [`register`] wraps it for a store whose data is a [`WasiView`].
//!
//! [`Val`]: weft::component::Val

use super::filesystem::Descriptor;
use super::io::{InputStream, IoError, OutputStream};
use super::{WasiCtxView, WasiView};
use weft::component::__internal::{Type, lower_variant_flat, store_variant};
use weft::component::{ComponentType, LinkerInstance, Lower, LowerCx, Resource};

/// What a typed host function returns: a trap (`Err`) or the WIT `result`.
pub(super) type Ret<T, E> = weft::Result<Result<T, E>>;

/// `wasi:io/streams.stream-error`.
#[derive(ComponentType, Lower)]
#[component(variant)]
pub(crate) enum StreamError {
    /// The last operation failed; the `error` resource says why.
    #[component(name = "last-operation-failed")]
    LastOperationFailed(Resource<IoError>),
    /// The stream is closed: no more input or output.
    #[component(name = "closed")]
    Closed,
}

/// `wasi:filesystem/types.error-code`: the case's name, lowered as its discriminant in the
/// enum the function was linked against.
pub(crate) struct ErrorCode(pub(crate) &'static str);

impl ErrorCode {
    /// The case's index in the enum `ty`.
    fn index(&self, ty: &Type) -> weft::Result<u32> {
        let Type::Enum(cases) = ty else {
            return Err(weft::Error::msg("`error-code` is not an enum"));
        };
        (0u32..)
            .zip(cases.names())
            .find(|(_, name)| *name == self.0)
            .map(|(i, _)| i)
            .ok_or_else(|| weft::Error::msg(format!("`error-code` has no case `{}`", self.0)))
    }
}

impl ComponentType for ErrorCode {
    fn typecheck(ty: &Type) -> weft::Result<()> {
        match ty {
            Type::Enum(_) => Ok(()),
            _ => Err(weft::Error::msg("`error-code` is not an enum")),
        }
    }
}

impl Lower for ErrorCode {
    fn lower_flat(&self, cx: &mut LowerCx<'_>, ty: &Type, out: &mut Vec<u64>) -> weft::Result<()> {
        lower_variant_flat(cx, ty, self.index(ty)?, None, out)
    }

    fn store(&self, cx: &mut LowerCx<'_>, ty: &Type, ptr: u32) -> weft::Result<()> {
        store_variant(cx, ty, self.index(ty)?, None, ptr)
    }
}

type View<'a, 'b> = &'a mut WasiCtxView<'b>;
type ReadFn = fn(View<'_, '_>, Resource<InputStream>, u64) -> Ret<Vec<u8>, StreamError>;
type WriteFn = fn(View<'_, '_>, Resource<OutputStream>, Vec<u8>) -> Ret<(), StreamError>;
type FileReadFn =
    fn(View<'_, '_>, Resource<Descriptor>, u64, u64) -> Ret<(Vec<u8>, bool), ErrorCode>;
type FileWriteFn = fn(View<'_, '_>, Resource<Descriptor>, Vec<u8>, u64) -> Ret<u64, ErrorCode>;

/// A host function with a typed signature, one case per shape.
#[derive(Clone, Copy)]
pub(super) enum Typed {
    /// `(self: borrow<input-stream>, len: u64) -> result<list<u8>, stream-error>`.
    Read(ReadFn),
    /// `(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>`.
    Write(WriteFn),
    /// `(self: borrow<output-stream>) -> result<u64, stream-error>`.
    CheckWrite(fn(View<'_, '_>, Resource<OutputStream>) -> Ret<u64, StreamError>),
    /// `(self: borrow<output-stream>) -> result<_, stream-error>`.
    Flush(fn(View<'_, '_>, Resource<OutputStream>) -> Ret<(), StreamError>),
    /// `(self: borrow<descriptor>, length: u64, offset: u64)
    /// -> result<tuple<list<u8>, bool>, error-code>`.
    FileRead(FileReadFn),
    /// `(self: borrow<descriptor>, buffer: list<u8>, offset: u64) -> result<u64, error-code>`.
    FileWrite(FileWriteFn),
    /// `(len: u64) -> list<u8>`.
    Bytes(fn(View<'_, '_>, u64) -> weft::Result<Vec<u8>>),
}

/// Defines `name` in `instance` as the typed function `call`.
pub(super) fn register<T: WasiView + 'static>(
    instance: &mut LinkerInstance<'_, T>,
    name: &str,
    call: Typed,
) -> weft::Result<()> {
    match call {
        Typed::Read(f) => instance.func_wrap(name, move |mut store, (s, len)| {
            f(&mut store.data_mut().ctx(), s, len).map(|r| (r,))
        }),
        Typed::Write(f) => instance.func_wrap(name, move |mut store, (s, data)| {
            f(&mut store.data_mut().ctx(), s, data).map(|r| (r,))
        }),
        Typed::CheckWrite(f) => instance.func_wrap(name, move |mut store, (s,)| {
            f(&mut store.data_mut().ctx(), s).map(|r| (r,))
        }),
        Typed::Flush(f) => instance.func_wrap(name, move |mut store, (s,)| {
            f(&mut store.data_mut().ctx(), s).map(|r| (r,))
        }),
        Typed::FileRead(f) => instance.func_wrap(name, move |mut store, (d, len, offset)| {
            f(&mut store.data_mut().ctx(), d, len, offset).map(|r| (r,))
        }),
        Typed::FileWrite(f) => instance.func_wrap(name, move |mut store, (d, data, offset)| {
            f(&mut store.data_mut().ctx(), d, data, offset).map(|r| (r,))
        }),
        Typed::Bytes(f) => instance.func_wrap(name, move |mut store, (len,)| {
            f(&mut store.data_mut().ctx(), len).map(|r| (r,))
        }),
    }
}
