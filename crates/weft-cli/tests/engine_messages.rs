//! Messages `weft` reports that the engine writes: each says what is wrong, once.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use weft::{
    CompilationMode, Config, Engine, Memory, MemoryType, Module, RefType, Store, Table, TableType,
    Val,
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

    let ty = TableType::new(RefType::FuncRef, 2, Some(1));
    let error = Table::new(&mut store, ty, Val::FuncRef(None)).expect_err("min > max");
    let message = error.to_string();
    assert!(
        message.contains("minimum of 2 elements is greater than its maximum of 1"),
        "{message}"
    );
}

/// A function that fails to translate on its first call (lazy compilation) says "invalid
/// module:" once.
#[test]
fn a_lazy_translation_error_has_one_prefix() {
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
    let module = Module::new(&engine, wat).expect("validates");
    let mut store = Store::new(&engine, ());
    let instance = weft::Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance.get_func(&mut store, "f").expect("export");
    let error = f.call(&mut store, &[], &mut []).expect_err("too large");
    let message = error.to_string();
    assert!(message.contains("function too large"), "{message}");
    assert_eq!(message.matches("invalid module:").count(), 1, "{message}");
}
