//! The interpreter.

use crate::error::Result;
use crate::store::ExecContext;
use crate::trap::TrapCode;

/// A value stack, reused between calls.
#[derive(Debug, Default)]
pub(crate) struct Stack {}

/// Calls store function `func`; `args_results` holds the arguments on entry and the results
/// on return (its length is the larger of the two counts).
pub(crate) fn invoke(
    _ctx: &mut dyn ExecContext,
    _func: u32,
    _args_results: &mut [u64],
) -> Result<()> {
    Err(TrapCode::InternalError.into())
}
