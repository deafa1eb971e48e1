//! Reading arguments out of [`Val`]s and building results, for the host functions.
//!
//! The component runtime has already checked each argument against the import's type, so a
//! mismatch here means the function was linked against a type it does not implement: an
//! error (a trap for the guest), never a panic.

use weft::component::{Resource, ResourceAny, ResourceTable, ResourceTableError, Val};

/// The error for an argument that does not have the shape the host function expects.
#[cold]
pub(super) fn bad_arg(index: usize, want: &str) -> weft::Error {
    weft::Error::msg(format!(
        "WASI host function: argument {index} is not a {want}"
    ))
}

/// The error for a handle whose value is missing from the table or has another type.
#[cold]
pub(super) fn table_error(error: ResourceTableError) -> weft::Error {
    weft::Error::msg(format!("WASI resource: {error}"))
}

/// Argument `index`.
pub(super) fn arg(params: &[Val], index: usize) -> weft::Result<&Val> {
    params.get(index).ok_or_else(|| bad_arg(index, "value"))
}

/// Argument `index` as a `u64`.
pub(super) fn arg_u64(params: &[Val], index: usize) -> weft::Result<u64> {
    match arg(params, index)? {
        Val::U64(v) => Ok(*v),
        _ => Err(bad_arg(index, "u64")),
    }
}

/// Argument `index` as a `u8`.
pub(super) fn arg_u8(params: &[Val], index: usize) -> weft::Result<u8> {
    match arg(params, index)? {
        Val::U8(v) => Ok(*v),
        _ => Err(bad_arg(index, "u8")),
    }
}

/// Argument `index` as a `string`.
pub(super) fn arg_str(params: &[Val], index: usize) -> weft::Result<&str> {
    match arg(params, index)? {
        Val::String(v) => Ok(v),
        _ => Err(bad_arg(index, "string")),
    }
}

/// Argument `index` as a handle to a host resource of type `T`.
pub(super) fn arg_res<T: 'static>(params: &[Val], index: usize) -> weft::Result<Resource<T>> {
    match arg(params, index)? {
        Val::Resource(r) => r.clone().try_into_resource::<T>(),
        _ => Err(bad_arg(index, "resource handle")),
    }
}

/// The value argument `index` refers to.
pub(super) fn get<'t, T: 'static>(
    table: &'t ResourceTable,
    params: &[Val],
    index: usize,
) -> weft::Result<&'t T> {
    table
        .get(&arg_res::<T>(params, index)?)
        .map_err(table_error)
}

/// The value argument `index` refers to, mutably.
pub(super) fn get_mut<'t, T: 'static>(
    table: &'t mut ResourceTable,
    params: &[Val],
    index: usize,
) -> weft::Result<&'t mut T> {
    table
        .get_mut(&arg_res::<T>(params, index)?)
        .map_err(table_error)
}

/// Pushes `value` and returns the `own` handle as a value.
pub(super) fn push<T: Send + 'static>(table: &mut ResourceTable, value: T) -> weft::Result<Val> {
    let res = table.push(value).map_err(table_error)?;
    Ok(own(res))
}

/// A handle as a value.
pub(super) fn own<T: 'static>(res: Resource<T>) -> Val {
    Val::Resource(ResourceAny::from_resource(res))
}

/// The destructor of a host resource of type `T`: removes it from the table.
pub(super) fn drop_res<T: 'static>(table: &mut ResourceTable, rep: u32) -> weft::Result<()> {
    table
        .delete(Resource::<T>::new_own(rep))
        .map(|_| ())
        .map_err(table_error)
}

/// `ok(value)` of a `result`.
pub(super) fn ok(value: Option<Val>) -> Val {
    Val::Result(Ok(value.map(Box::new)))
}

/// `err(value)` of a `result`.
pub(super) fn err(value: Option<Val>) -> Val {
    Val::Result(Err(value.map(Box::new)))
}

/// A `u64` length from the guest as a buffer size, clamped to `max` so that no guest value
/// makes the host allocate more.
pub(super) fn clamp_len(len: u64, max: usize) -> usize {
    usize::try_from(len).map_or(max, |l| l.min(max))
}
