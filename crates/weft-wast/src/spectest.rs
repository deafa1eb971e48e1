//! The `spectest` host module that spec testsuite scripts import from.
//!
//! It holds what the reference interpreter's `spectest` module holds
//! (`interpreter/host/spectest.ml` in the spec repository):
//!
//! | name | kind |
//! |---|---|
//! | `print`, `print_i32`, `print_i64`, `print_f32`, `print_f64`, `print_i32_f32`, `print_f64_f64` | functions that print nothing and return nothing |
//! | `global_i32`, `global_i64` | immutable globals holding 666 |
//! | `global_f32`, `global_f64` | immutable globals holding 666.6 |
//! | `table` | a `funcref` table of 10 elements, at most 20 |
//! | `memory` | a memory of 1 page, at most 2 |
//!
//! The print functions are silent so that test output stays readable; scripts only check that
//! they can be imported and called with the right types.

use weft::{
    Func, FuncType, Global, GlobalType, Linker, Memory, MemoryType, Mutability, RefType, Store,
    Table, TableType, Val, ValType,
};

/// The module name scripts import the host module under.
pub const MODULE: &str = "spectest";

/// Defines the `spectest` module's items in `linker`, creating them in `store`.
///
/// # Errors
///
/// When an item cannot be created in `store` or defined in `linker` (for example, because the
/// linker already has a `spectest` module).
pub fn define<T: 'static>(linker: &mut Linker<T>, store: &mut Store<T>) -> weft::Result<()> {
    use ValType::{F32, F64, I32, I64};
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType::new(store.engine(), params.iter().copied(), []);
        let func = Func::new(&mut *store, ty, |_caller, _params, _results| Ok(()));
        linker.define(&mut *store, MODULE, name, func)?;
    }

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6_f32)),
        ("global_f64", Val::from(666.6_f64)),
    ];
    for (name, value) in globals {
        let ty = GlobalType::new(value.ty(), Mutability::Const);
        let global = Global::new(&mut *store, ty, value)?;
        linker.define(&mut *store, MODULE, name, global)?;
    }

    let table_ty = TableType::new(RefType::FUNCREF, 10, Some(20));
    let table = Table::new(&mut *store, table_ty, weft::Ref::Func(None))?;
    linker.define(&mut *store, MODULE, "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&mut *store, MODULE, "memory", memory)?;
    Ok(())
}
