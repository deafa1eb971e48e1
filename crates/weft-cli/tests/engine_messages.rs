//! Messages `weft` reports that the engine writes: each says what is wrong, once.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use weft::ErrorExt as _;
use weft::{
    CompilationMode, Config, Engine, Memory, MemoryType, Module, RefType, Store, Table, TableType,
};

/// A minimum above the maximum is reported as such, not as a size that is too large.
#[test]
fn minimum_above_maximum_says_so() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let error = Memory::new(&mut store, MemoryType::new(2, Some(1))).expect_err("min > max");
    let message = error.to_string();
    assert!(
        message.contains("minimum of 2 pages is greater than its maximum of 1"),
        "{message}"
    );
    assert!(!message.contains("too large"), "{message}");

    let ty = TableType::new(RefType::FUNCREF, 2, Some(1));
    let error = Table::new(&mut store, ty, weft::Ref::Func(None)).expect_err("min > max");
    let message = error.to_string();
    assert!(
        message.contains("minimum of 2 elements is greater than its maximum of 1"),
        "{message}"
    );
}

/// A function beyond the frame-slot limit is refused when the module is compiled, in lazy
/// mode too, with one implementation-limit message (lazy compilation once failed at the first
/// call, with a doubled "invalid module: invalid module:").
#[test]
fn a_lazy_module_beyond_the_slot_limit_is_refused_once_at_compile_time() {
    let mut config = Config::new();
    config.compilation_mode(CompilationMode::Lazy);
    let engine = Engine::new(&config).expect("engine");
    // Valid, but needs more than 65,535 frame slots.
    let wat = format!(
        "(module (func (export \"f\") (local {}) {} {}))",
        "i64 ".repeat(40000),
        "i32.const 1 ".repeat(30000),
        "drop ".repeat(30000)
    );
    let error = Module::new(&engine, wat).expect_err("beyond the slot limit");
    assert!(
        matches!(
            error.kind(),
            Some(weft::ErrorKind::ImplementationLimit { .. })
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert_eq!(
        message.matches("implementation limit exceeded:").count(),
        1,
        "{message}"
    );
    assert!(!message.contains("invalid module"), "{message}");
}
