//! Tests of the runner itself, on small inline scripts.

use crate::{Error, WastContext};

const ADD: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))
"#;

#[test]
fn a_wrong_result_fails_and_the_script_goes_on() -> Result<(), Error> {
    let script = format!(
        "{ADD}\
         (assert_return (invoke \"add\" (i32.const 1) (i32.const 2)) (i32.const 3))\n\
         (assert_return (invoke \"add\" (i32.const 1) (i32.const 2)) (i32.const 4))\n\
         (assert_return (invoke \"add\" (i32.const -1) (i32.const 1)) (i32.const 0))\n"
    );
    let report = WastContext::default().run_buffer("add.wast", &script)?;
    assert_eq!((report.passed, report.failed), (3, 1), "{report}");
    let failure = &report.failures[0];
    assert_eq!((failure.line, failure.column), (4, 2));
    assert_eq!(failure.directive, "assert_return");
    assert!(
        failure.message.contains("expected [i32.const 4"),
        "{failure}"
    );
    assert!(failure.message.contains("got [i32.const 3"), "{failure}");
    Ok(())
}

#[test]
fn traps_and_nan_patterns() -> Result<(), Error> {
    let script = r#"
        (module
          (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_u)
          (func (export "nan") (result f32) f32.const nan:0x600000))
        (assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
        (assert_return (invoke "nan") (f32.const nan:arithmetic))
        (assert_return (invoke "nan") (f32.const nan:canonical))
        (assert_trap (invoke "div" (i32.const 1) (i32.const 1)) "integer divide by zero")
    "#;
    let report = WastContext::default().run_buffer("trap.wast", script)?;
    assert_eq!((report.passed, report.failed), (3, 2), "{report}");
    assert_eq!(report.failures[0].line, 7);
    assert_eq!(report.failures[1].line, 8);
    Ok(())
}

#[test]
fn malformed_text_passes_without_an_engine() -> Result<(), Error> {
    let script = r#"
        (assert_malformed (module quote "(func") "unexpected end")
        (assert_malformed (module quote "(module)") "should not parse")
    "#;
    let report = WastContext::default().run_buffer("malformed.wast", script)?;
    assert_eq!((report.passed, report.failed), (1, 1), "{report}");
    assert!(
        report.failures[0].message.contains("but it compiled"),
        "{report}"
    );
    Ok(())
}

#[test]
fn unsupported_directives_and_unknown_modules_fail() -> Result<(), Error> {
    let script = r#"
        (assert_return (invoke $nothing "f"))
        (assert_exception (invoke "f"))
        (register "M")
    "#;
    let report = WastContext::default().run_buffer("unsupported.wast", script)?;
    assert_eq!((report.passed, report.failed), (0, 3), "{report}");
    assert!(
        report.failures[0]
            .message
            .contains("no module named $nothing")
    );
    assert!(report.failures[1].message.contains("unsupported"));
    Ok(())
}

#[test]
fn a_failed_module_fails_the_directives_that_use_it() -> Result<(), Error> {
    let script = r#"
        (module $broken (func (export "f") (result i32) i64.const 0))
        (assert_return (invoke $broken "f") (i32.const 0))
    "#;
    let report = WastContext::default().run_buffer("broken.wast", script)?;
    assert_eq!((report.passed, report.failed), (0, 2), "{report}");
    assert!(
        report.failures[1].message.contains("the module at 2:"),
        "{report}"
    );
    Ok(())
}

#[test]
fn a_script_that_does_not_parse_is_an_error() {
    let result = WastContext::default().run_buffer("bad.wast", "(assert_return (invoke");
    assert!(matches!(result, Err(Error::Parse { .. })));
}

#[test]
fn trap_messages_with_an_element_index_match_the_trap() {
    use crate::runner::trap_message_matches;
    let actual = "wasm trap: uninitialized element\nwasm backtrace: ...";
    assert!(trap_message_matches(actual, "uninitialized element 7"));
    assert!(trap_message_matches(actual, "uninitialized element"));
    assert!(!trap_message_matches(actual, "uninitialized element x"));
    assert!(!trap_message_matches(
        "wasm trap: undefined element",
        "uninitialized element 2"
    ));
}

#[test]
fn components_run_with_values_and_traps() -> Result<(), crate::Error> {
    let report = crate::WastContext::new(weft::Config::new()).run_buffer(
        "component.wast",
        r#"
        (component $c
          (core module $m (func (export "add") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.add)
            (func (export "trap") unreachable))
          (core instance $i (instantiate $m))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32)
            (canon lift (core func $i "add")))
          (func (export "trap") (canon lift (core func $i "trap"))))
        (assert_return (invoke "add" (u32.const 2) (u32.const 3)) (u32.const 5))
        (assert_return (invoke "add" (u32.const 2) (u32.const 3)) (u32.const 6))
        (assert_trap (invoke "trap") "unreachable")
        (assert_malformed (module binary "\00asm" "\0d\00\01\00") "component")
        "#,
    )?;
    assert_eq!(report.passed, 4, "{report}");
    assert_eq!(report.failed, 1, "{report}");
    assert_eq!(report.failures[0].line, 11);
    assert!(
        report.failures[0].message.contains("u32.const 5"),
        "{report}"
    );
    Ok(())
}

#[test]
fn typed_reference_values_in_scripts() -> Result<(), Error> {
    let script = r#"
        (module
          (type $t (func))
          (func $f (type $t))
          (elem declare func $f)
          (func (export "some") (result (ref $t)) (ref.func $f))
          (func (export "none") (result (ref null $t)) (ref.null $t))
          (func (export "is_null") (param (ref null $t)) (result i32)
            (ref.is_null (local.get 0)))
          (func (export "call") (param (ref null $t)) (call_ref $t (local.get 0))))
        (assert_return (invoke "some") (ref.func))
        (assert_return (invoke "none") (ref.null func))
        (assert_return (invoke "none") (ref.null nofunc))
        (assert_return (invoke "none") (ref.null))
        (assert_return (invoke "is_null" (ref.null nofunc)) (i32.const 1))
        (assert_trap (invoke "call" (ref.null nofunc)) "null function reference")
        (assert_return (invoke "some") (ref.null func))
        (assert_return (invoke "none") (ref.null extern))
    "#;
    let mut config = weft::Config::new();
    config.wasm_function_references(true);
    let report = WastContext::new(config).run_buffer("typed.wast", script)?;
    assert_eq!((report.passed, report.failed), (7, 2), "{report}");
    assert!(report.message_mismatches.is_empty(), "{report}");
    assert_eq!(report.failures[0].line, 17);
    assert_eq!(report.failures[1].line, 18);
    Ok(())
}
