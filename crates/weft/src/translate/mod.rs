//! Translation of wasm function bodies into Weft's register bytecode.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::ir::CompiledFunc;
use crate::module::ModuleInfo;

/// Translates the body of function `func_index` (module function index space, imports first).
///
/// With `validator`, every operator is validated while it is translated (eager compilation);
/// without, the body was validated before (lazy compilation).
pub(crate) fn translate_func(
    _engine: &Engine,
    _info: &ModuleInfo,
    _func_index: u32,
    _body: wasmparser::FunctionBody<'_>,
    _validator: Option<&mut wasmparser::FuncValidator<wasmparser::ValidatorResources>>,
) -> Result<CompiledFunc> {
    Err(Error::invalid("translation is not implemented yet", None))
}
