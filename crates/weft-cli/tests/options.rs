//! `weft run -W`, `--preload`, `weft settings`, and how `weft` reports errors.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `weft` with `args` and `RUST_BACKTRACE=1`, which must not make it print a host
/// backtrace.
fn weft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run weft")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `wat` to a file named `name` in a fresh directory for the test.
fn wat_file(test: &str, name: &str, wat: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-options-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, wat).expect("write wat");
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

const LOOP: &str = r#"(module (func (export "_start") (loop br 0)))"#;

#[test]
fn fuel_and_timeout_are_wasm_options() {
    let path = wat_file("fuel", "loop.wat", LOOP);
    let out = weft(&["run", "-W", "fuel=1000", arg(&path)]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("all fuel consumed"), "{stderr}");
    assert!(stderr.contains("--fuel limit of 1000"), "{stderr}");
    let out = weft(&["run", "-W", "timeout=100ms", arg(&path)]);
    assert_eq!(out.status.code(), Some(134));
    assert!(
        text(&out.stderr).contains("interrupt"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_memory_limit_makes_memory_grow_fail() {
    let path = wat_file(
        "memory",
        "grow.wat",
        r#"(module (memory 1)
             (func (export "grow") (result i32) i32.const 1 memory.grow))"#,
    );
    let out = weft(&[
        "run",
        "-W",
        "max-memory-size=65536",
        "--invoke",
        "grow",
        arg(&path),
    ]);
    assert_eq!(text(&out.stdout), "-1\n", "{}", text(&out.stderr));
    let out = weft(&[
        "run",
        "-W",
        "max-memory-size=131072",
        "--invoke",
        "grow",
        arg(&path),
    ]);
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    let out = weft(&[
        "run",
        "-W",
        "max-memory-size=65536,trap-on-grow-failure",
        "--invoke",
        "grow",
        arg(&path),
    ]);
    // The limiter's refusal ends the call with its error instead of `memory.grow` -1.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("memory size limit of 65536 bytes exceeded"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn proposals_toggle_and_unsupported_ones_are_refused_by_name() {
    let path = wat_file(
        "proposals",
        "bulk.wat",
        r#"(module (memory 1)
             (func (export "run") i32.const 0 i32.const 0 i32.const 1 memory.copy))"#,
    );
    let out = weft(&["run", "--invoke", "run", arg(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = weft(&["run", "-W", "bulk-memory=n", "--invoke", "run", arg(&path)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("bulk memory"),
        "{}",
        text(&out.stderr)
    );
    let out = weft(&["run", "-W", "threads", arg(&path)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Config::wasm_threads"),
        "{}",
        text(&out.stderr)
    );
    let two = wat_file(
        "proposals",
        "two.wat",
        r#"(module (memory 1) (memory 1)
             (func (export "run") (result i32) i32.const 0 i32.load 1))"#,
    );
    let out = weft(&["run", "--invoke", "run", arg(&two)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = weft(&["run", "-W", "multi-memory=n", "--invoke", "run", arg(&two)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("multiple memories"),
        "{}",
        text(&out.stderr)
    );
    let out = weft(&["run", "-W", "multi-memory=y", "--invoke", "run", arg(&two)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn custom_page_sizes_follow_their_switch() {
    let path = wat_file(
        "proposals",
        "pagesize.wat",
        r#"(module (memory 3 (pagesize 1))
             (func (export "run") (result i32)
               (drop (memory.grow (i32.const 2)))
               (i32.add (i32.mul (memory.size) (i32.const 10))
                        (i32.load8_u (i32.const 4)))))"#,
    );
    let out = weft(&[
        "run",
        "-W",
        "custom-page-sizes=y",
        "--invoke",
        "run",
        arg(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "50");
    for switch in [&["-W", "custom-page-sizes=n"][..], &[]] {
        let mut args = vec!["run"];
        args.extend_from_slice(switch);
        args.extend(["--invoke", "run", arg(&path)]);
        let out = weft(&args);
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("custom page sizes"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn simd_programs_run_and_follow_their_switch() {
    let path = wat_file(
        "proposals",
        "simd.wat",
        r#"(module
             (func (export "run") (result i32)
               (i32x4.extract_lane 3
                 (i32x4.mul (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)))))"#,
    );
    let out = weft(&["run", "--invoke", "run", arg(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "32");
    let out = weft(&["run", "-W", "simd=n", "--invoke", "run", arg(&path)]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("SIMD"), "{}", text(&out.stderr));
}

#[test]
fn tail_calls_run_and_follow_their_switch() {
    let path = wat_file(
        "proposals",
        "tail.wat",
        r#"(module
             (func $count (param i32 i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0))
                 (then (local.get 1))
                 (else (return_call $count
                   (i32.sub (local.get 0) (i32.const 1))
                   (i32.add (local.get 1) (i32.const 2))))))
             (func (export "run") (result i32)
               (return_call $count (i32.const 100000) (i32.const 0))))"#,
    );
    let out = weft(&["run", "--invoke", "run", arg(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "200000");
    let out = weft(&["run", "-W", "tail-call=y", "--invoke", "run", arg(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "200000");
    let out = weft(&["run", "-W", "tail-call=n", "--invoke", "run", arg(&path)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("tail call"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn typed_function_references_follow_their_switch() {
    let path = wat_file(
        "proposals",
        "call_ref.wat",
        r#"(module
             (type $t (func (result i32)))
             (func $seven (type $t) (i32.const 7))
             (elem declare func $seven)
             (func (export "run") (result i32) (call_ref $t (ref.func $seven))))"#,
    );
    let out = weft(&[
        "run",
        "-W",
        "function-references=y",
        "--invoke",
        "run",
        arg(&path),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "7");
    // Off by default, as in Wasmtime.
    for args in [&["run"][..], &["run", "-W", "function-references=n"][..]] {
        let out = weft(&[args, &["--invoke", "run", arg(&path)]].concat());
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("function references"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn bad_wasm_options_are_named() {
    let path = wat_file("bad", "loop.wat", LOOP);
    for (option, expected) in [
        ("bogus", "unknown -W option `bogus`"),
        ("fuel", "-W fuel needs a value"),
        ("fuel=lots", "invalid value `lots` for -W fuel"),
        ("simd=maybe", "invalid value `maybe` for -W simd"),
    ] {
        let out = weft(&["run", "-W", option, arg(&path)]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{option}");
        assert!(stderr.contains(expected), "{option}: {stderr}");
    }
}

#[test]
fn preloaded_modules_satisfy_imports_and_unknown_ones_can_trap() {
    let lib = wat_file(
        "preload",
        "lib.wat",
        r#"(module (func (export "double") (param i32) (result i32)
             local.get 0 i32.const 2 i32.mul))"#,
    );
    let main = wat_file(
        "preload",
        "main.wat",
        r#"(module
             (import "lib" "double" (func $double (param i32) (result i32)))
             (import "env" "unused" (func $unused))
             (func (export "run") (param i32) (result i32) local.get 0 call $double)
             (func (export "other") call $unused))"#,
    );
    let preload = format!("lib={}", arg(&lib));
    let out = weft(&[
        "run",
        "--preload",
        &preload,
        "--invoke",
        "run",
        arg(&main),
        "21",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown import: `env::unused` has not been defined"),
        "{}",
        text(&out.stderr)
    );
    let out = weft(&[
        "run",
        "--preload",
        &preload,
        "-W",
        "unknown-imports-trap",
        "--invoke",
        "run",
        arg(&main),
        "21",
    ]);
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    let out = weft(&[
        "run",
        "--preload",
        &preload,
        "-W",
        "unknown-imports-default",
        "--invoke",
        "other",
        arg(&main),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn settings_lists_every_wasm_option() {
    let out = weft(&["settings"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for key in [
        "fuel=N",
        "max-wasm-stack=N",
        "bulk-memory[=y|n]",
        "simd[=y|n]",
    ] {
        assert!(stdout.contains(key), "{key} missing from:\n{stdout}");
    }
}

#[test]
fn errors_show_their_causes_but_no_host_backtrace() {
    let path = wat_file("errors", "bad.wat", "(module (func (result i32)))");
    let out = weft(&["run", arg(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Caused by:"), "{stderr}");
    assert!(stderr.contains("invalid module"), "{stderr}");
    assert!(!stderr.contains("failed to open"), "{stderr}");
    assert!(!stderr.contains("Stack backtrace"), "{stderr}");
    let trap = wat_file(
        "errors",
        "trap.wat",
        r#"(module (func (export "_start") unreachable))"#,
    );
    let out = weft(&["run", arg(&trap)]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("wasm backtrace"), "{stderr}");
    assert!(!stderr.contains("Stack backtrace"), "{stderr}");
}

#[test]
fn inspect_shows_modules_of_off_by_default_proposals() {
    let path = wat_file(
        "proposals",
        "inspect.wat",
        r#"(module
             (memory (export "wide") i64 1 2)
             (memory (export "bytes") 3 (pagesize 1))
             (table (export "refs") i64 1 funcref))"#,
    );
    let out = weft(&["inspect", arg(&path)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    for line in [
        "\"wide\": (memory i64 1 2)",
        "\"bytes\": (memory 3 (pagesize 1))",
        "\"refs\": (table i64 1 funcref)",
    ] {
        assert!(listing.contains(line), "{line:?} in:\n{listing}");
    }
}
