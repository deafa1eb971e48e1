//! `weft compile` and `weft run --allow-precompiled`.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn weft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .output()
        .expect("run weft")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A fresh directory holding `add.wat`.
fn add_module(dir: &Path) -> PathBuf {
    let path = dir.join("add.wat");
    std::fs::write(
        &path,
        r#"(module (func (export "add") (param i32 i32) (result i32)
             (i32.add (local.get 0) (local.get 1))))"#,
    )
    .expect("write wat");
    path
}

#[test]
fn compile_writes_a_cwasm_next_to_the_input_that_runs_with_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wat = add_module(dir.path());
    let out = weft(&["compile", arg(&wat)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cwasm = dir.path().join("add.cwasm");
    assert!(cwasm.exists());

    let out = weft(&[
        "run",
        "--allow-precompiled",
        "--invoke",
        "add",
        arg(&cwasm),
        "40",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "42\n");

    // Without the flag, a precompiled file is refused with a hint.
    let out = weft(&["run", "--invoke", "add", arg(&cwasm), "40", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--allow-precompiled"), "{stderr}");
}

/// Compiles the fixture `fixture` into `dir/name` and checks that it prints what the
/// original prints; returns the precompiled file's path.
fn compile_and_compare(dir: &Path, fixture: &str, name: &str) -> PathBuf {
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(fixture);
    let cwasm = dir.join(name);
    let out = weft(&["compile", arg(&input), "-o", arg(&cwasm)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let direct = weft(&["run", arg(&input)]);
    let precompiled = weft(&["run", "--allow-precompiled", arg(&cwasm)]);
    assert!(
        precompiled.status.success(),
        "{}",
        text(&precompiled.stderr)
    );
    assert_eq!(precompiled.stdout, direct.stdout);
    assert!(!direct.stdout.is_empty());
    cwasm
}

#[test]
fn compile_output_can_be_named_and_a_wasi_program_runs_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    compile_and_compare(dir.path(), "wasm/hello.wasm", "out.bin");
}

#[test]
fn a_run_with_other_settings_names_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wat = add_module(dir.path());
    let out = weft(&["compile", "-W", "fuel=1000", arg(&wat)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cwasm = dir.path().join("add.cwasm");
    let out = weft(&[
        "run",
        "--allow-precompiled",
        "--invoke",
        "add",
        arg(&cwasm),
        "1",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("consume_fuel"), "{stderr}");
    let out = weft(&[
        "run",
        "--allow-precompiled",
        "--fuel",
        "1000",
        "--invoke",
        "add",
        arg(&cwasm),
        "1",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "3\n");
}

#[test]
fn compiling_an_invalid_module_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.wat");
    std::fs::write(&path, "(module (func (result i32)))").expect("write wat");
    let out = weft(&["compile", arg(&path)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("failed to compile"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("bad.cwasm").exists());
}

#[test]
fn a_precompiled_wasi_component_runs_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cwasm = compile_and_compare(dir.path(), "p2/wasm/hello.wasm", "hello.cwasm");
    let bytes = std::fs::read(&cwasm).expect("read cwasm");
    assert!(
        bytes.starts_with(b"\0weft-c"),
        "not a precompiled component"
    );
    let out = weft(&["run", arg(&cwasm)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--allow-precompiled"), "{stderr}");
}

#[test]
fn a_precompiled_component_export_is_invoked_with_wave() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wat = dir.path().join("add.wat");
    std::fs::write(
        &wat,
        r#"(component
             (core module $m (func (export "add") (param i32 i32) (result i32)
               (i32.add (local.get 0) (local.get 1))))
             (core instance $i (instantiate $m))
             (func (export "add") (param "a" u32) (param "b" u32) (result u32)
               (canon lift (core func $i "add"))))"#,
    )
    .expect("write wat");
    let out = weft(&["compile", arg(&wat)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cwasm = dir.path().join("add.cwasm");
    let out = weft(&[
        "run",
        "--allow-precompiled",
        "--invoke",
        "add(40, 2)",
        arg(&cwasm),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "42\n");
}
