//! The `weft` binary with components: `inspect` prints a component's world as WIT,
//! `run --invoke 'name(args)'` calls an export with WAVE arguments and prints WAVE results,
//! `wast` runs component scripts, and a component given where a core module is expected (or
//! the reverse) is named as such.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A component with functions of several types (the `$values` component of
/// `tests/component-wast/values.wast`, trimmed), an import it never calls, and one that traps.
const COMPONENT: &str = r#"
(component
  (import "log" (func $log (param "msg" string)))
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.tee $p
      local.get 3
      i32.add
      i32.const 7
      i32.add
      i32.const -8
      i32.and
      global.set $bump
      local.get $p)
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "id") (param i32) (result i32) local.get 0)
    (func (export "idmem") (param i32 i32) (result i32)
      i32.const 16 local.get 0 i32.store
      i32.const 20 local.get 1 i32.store
      i32.const 16)
    (func (export "trap") unreachable))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (type $point (record (field "x" s32) (field "y" s32)))
  (import "point" (type $point' (eq $point)))
  (type $color (enum "red" "green"))
  (import "color" (type $color' (eq $color)))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "idmem") (memory $mem) (realloc $realloc)))
  (func (export "swap") (param "p" $point') (result $point')
    (canon lift (core func $i "idmem") (memory $mem)))
  (func (export "bytes") (param "l" (list u8)) (result (list u8))
    (canon lift (core func $i "idmem") (memory $mem) (realloc $realloc)))
  (func (export "paint") (param "c" $color') (result $color')
    (canon lift (core func $i "id")))
  (func (export "trap") (canon lift (core func $i "trap")))
)
"#;

const CORE: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))"#;

struct Output {
    stdout: String,
    stderr: String,
    status: i32,
}

fn weft(args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("weft runs");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.code().unwrap_or(-1),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a test file");
    path.to_string_lossy().into_owned()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn inspect_prints_a_components_world_as_wit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(dir.path(), "c.wat", COMPONENT);
    let out = weft(&["inspect", &component]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "package root:component;\n\nworld root {\n  record point {\n    x: s32,\n    y: s32,\n  }\n\n  \
         enum color {\n    red,\n    green,\n  }\n  import log: func(msg: string);\n\n  \
         export add: func(a: u32, b: u32) -> u32;\n  export echo: func(s: string) -> string;\n  \
         export swap: func(p: point) -> point;\n  export bytes: func(l: list<u8>) -> list<u8>;\n  \
         export paint: func(c: color) -> color;\n  export trap: func();\n}\n"
    );
}

#[test]
fn inspect_lists_a_component_whose_world_is_not_wit() {
    // A resource type and a record type exported at the top level, which no WIT world
    // describes.
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(
        dir.path(),
        "types.wat",
        r#"(component
          (import "log" (func (param "msg" string)))
          (type $r (resource (rep i32)))
          (export $t "thing" (type $r))
          (type $p (record (field "x" s32) (field "y" s32)))
          (export $pe "point" (type $p))
          (core func $new (canon resource.new $r))
          (core module $m
            (import "r" "new" (func $new (param i32) (result i32)))
            (func (export "ctor") (param i32) (result i32) (call $new (local.get 0))))
          (core instance $i (instantiate $m (with "r" (instance (export "new" (func $new))))))
          (func (export "make") (param "x" u32) (result (own $t))
            (canon lift (core func $i "ctor")))
          (instance $inner (export "again" (func 0)))
          (export "nested" (instance $inner)))"#,
    );
    let out = weft(&["inspect", &component]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("component (its world cannot be shown as WIT: "),
        "{}",
        out.stdout
    );
    for line in [
        "imports (1):\n  \"log\": func(msg: string)\n",
        "exports (4):\n",
        "  \"thing\": resource\n",
        "  \"point\": type record { x: s32, y: s32 }\n",
        "  \"make\": func(x: u32) -> own<",
        "  \"nested\": instance\n    \"again\": func(msg: string)\n",
    ] {
        assert!(out.stdout.contains(line), "{line:?} in:\n{}", out.stdout);
    }
}

#[test]
fn inspect_still_prints_a_core_modules_imports_and_exports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = write(dir.path(), "m.wat", CORE);
    let out = weft(&["inspect", &module]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("\"add\": (func (param i32 i32) (result i32))")
    );
}

#[test]
fn invoke_takes_and_prints_wave_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(dir.path(), "c.wat", COMPONENT);
    for (call, expected) in [
        ("add(40, 2)", "42\n"),
        ("add(4294967295, 1)", "0\n"),
        (r#"echo("héllo, ☃")"#, "\"héllo, ☃\"\n"),
        ("swap({x: 3, y: -4})", "{x: 3, y: -4}\n"),
        ("bytes([1, 2, 255])", "[1, 2, 255]\n"),
        ("bytes([])", "[]\n"),
        ("paint(green)", "green\n"),
    ] {
        let out = weft(&["run", "--invoke", call, &component]);
        assert_eq!(out.status, 0, "{call}: {}", out.stderr);
        assert_eq!(out.stdout, expected, "{call}");
    }
}

/// A component whose exports read what WASI 0.2 grants: the arguments, the environment and
/// the preopened directories.
const WASI_COMPONENT: &str = r#"
(component
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-arguments" (func (result (list string))))
    (export "get-environment" (func (result (list (tuple string string)))))))
  (import "wasi:filesystem/types@0.2.0" (instance $types
    (export "descriptor" (type (sub resource)))))
  (alias export $types "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@0.2.0" (instance $preopens
    (export "descriptor" (type $d (eq $descriptor)))
    (export "get-directories" (func (result (list (tuple (own $d) string)))))))
  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $at) (local.get 3)))
      (local.get $at)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $args (canon lower (func $env "get-arguments") (memory $mem) (realloc $realloc)))
  (core func $vars (canon lower (func $env "get-environment") (memory $mem) (realloc $realloc)))
  (core func $dirs (canon lower (func $preopens "get-directories")
    (memory $mem) (realloc $realloc)))
  (core module $m
    (import "host" "args" (func $args (param i32)))
    (import "host" "vars" (func $vars (param i32)))
    (import "host" "dirs" (func $dirs (param i32)))
    (import "libc" "mem" (memory 1))
    (func (export "arg-count") (result i32)
      (call $args (i32.const 16))
      (i32.load (i32.const 20)))
    ;; The value of the first variable: (name ptr, name len, value ptr, value len).
    (func (export "first-env-value") (result i32)
      (call $vars (i32.const 16))
      (i32.add (i32.load (i32.const 16)) (i32.const 8)))
    ;; The name of the first preopen: (handle, name ptr, name len).
    (func (export "first-preopen") (result i32)
      (call $dirs (i32.const 16))
      (i32.add (i32.load (i32.const 16)) (i32.const 4))))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "args" (func $args))
      (export "vars" (func $vars))
      (export "dirs" (func $dirs))))
    (with "libc" (instance (export "mem" (memory $mem))))))
  (func (export "arg-count") (result u32) (canon lift (core func $i "arg-count")))
  (func (export "first-env-value") (result string)
    (canon lift (core func $i "first-env-value") (memory $mem)))
  (func (export "first-preopen") (result string)
    (canon lift (core func $i "first-preopen") (memory $mem))))
"#;

#[test]
fn invoke_links_wasi_with_the_run_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(dir.path(), "c.wat", WASI_COMPONENT);
    let grant = format!("{}::/data", dir.path().display());
    for (call, expected) in [
        ("arg-count()", "3\n"),
        ("first-env-value()", "\"hi\"\n"),
        ("first-preopen()", "\"/data\"\n"),
    ] {
        let out = weft(&[
            "run",
            "--env=GREETING=hi",
            "--dir",
            &grant,
            "--invoke",
            call,
            &component,
            "one",
            "two",
        ]);
        assert_eq!(out.status, 0, "{call}: {}", out.stderr);
        assert_eq!(out.stdout, expected, "{call}");
    }
}

#[test]
fn invoke_reports_bad_calls_and_traps() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(dir.path(), "c.wat", COMPONENT);

    let out = weft(&["run", "--invoke", "trap()", &component]);
    assert_eq!(out.status, 134, "{}", out.stderr);
    assert!(out.stderr.contains("unreachable"), "{}", out.stderr);

    let out = weft(&["run", "--invoke", "add", &component]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("WAVE syntax"), "{}", out.stderr);

    let out = weft(&["run", "--invoke", r#"add("x", 1)"#, &component]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("invalid arguments"), "{}", out.stderr);

    let out = weft(&["run", "--invoke", "add(1)", &component]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr.contains("missing required param"),
        "{}",
        out.stderr
    );

    let out = weft(&["run", "--invoke", "nope()", &component]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("exports no function `nope`; it exports: add, echo"),
        "{}",
        out.stderr
    );
}

#[test]
fn invoke_of_a_core_module_with_a_wave_call_says_how_core_modules_take_arguments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = write(dir.path(), "m.wat", CORE);
    let out = weft(&["run", "--invoke", "add(1, 2)", &module]);
    assert_eq!(out.status, 1);
    assert!(
        out.stderr
            .contains("this is a core WebAssembly module, not a component"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--invoke add FILE 1 2"),
        "{}",
        out.stderr
    );
    // The core path itself is unchanged.
    let out = weft(&["run", "--invoke", "add", &module, "1", "2"]);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "3\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn wast_runs_the_component_scripts() {
    let dir = workspace().join("tests/component-wast");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/component-wast")
        .filter_map(|e| e.ok())
        .map(|e| e.path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".wast"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut args = vec!["wast"];
    args.extend(files.iter().map(String::as_str));
    let out = weft(&args);
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert!(
        out.stdout.ends_with(" passed, 0 failed\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn wast_names_a_component_given_as_a_module_and_the_reverse() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = write(
        dir.path(),
        "kinds.wast",
        r#"
        (module binary "\00asm" "\0d\00\01\00")
        (component binary "\00asm" "\01\00\00\00")
        "#,
    );
    let out = weft(&["wast", &script]);
    assert_eq!(out.status, 1);
    assert!(
        out.stdout
            .contains("this is a WebAssembly component, not a core module"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("this is a core WebAssembly module, not a component"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("feature"), "{}", out.stdout);
}

#[test]
fn inspect_prints_the_packages_of_imported_and_exported_interfaces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = write(
        dir.path(),
        "iface.wat",
        r#"(component
          (import "wasi:cli/environment@0.2.0" (instance $env
            (export "get-arguments" (func (result (list string))))))
          (core module $m (func (export "run") (result i32) i32.const 0))
          (core instance $i (instantiate $m))
          (func $run (result (result)) (canon lift (core func $i "run")))
          (instance $inst (export "run" (func $run)))
          (export "wasi:cli/run@0.2.0" (instance $inst)))"#,
    );
    let out = weft(&["inspect", &component]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "package root:component;\n\nworld root {\n  import wasi:cli/environment@0.2.0;\n\n  \
         export wasi:cli/run@0.2.0;\n}\npackage wasi:cli@0.2.0 {\n  interface environment {\n    \
         get-arguments: func() -> list<string>;\n  }\n  interface run {\n    \
         run: func() -> result;\n  }\n}\n"
    );
    // A function of an exported instance is found by its own name.
    let out = weft(&["run", "--invoke", "run()", &component]);
    assert_eq!(
        (out.status, out.stdout.as_str()),
        (0, "ok\n"),
        "{}",
        out.stderr
    );
}
