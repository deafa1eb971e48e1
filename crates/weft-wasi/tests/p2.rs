//! WASI 0.2: the host functions against the WIT, the fixtures through the API, and hostile
//! components.
//!
//! The WIT is not copied into Weft: it is the `wit/` folder of the `wasip2` crate (a
//! dev-dependency pinned to `=2.0.1+wasi-0.2.12`), found through `cargo metadata`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test's setup failing is a test failure"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use weft::ErrorExt as _;
use weft::component::{Component, Linker, ResourceTable};
use weft::{Engine, Store};
use weft_wasi::p2::{WasiCtxView, WasiView};
use weft_wasi::{DirPerms, FilePerms, I32Exit, MemoryInputPipe, MemoryOutputPipe, WasiCtx};
use wit_parser::{Handle, Resolve, Type, TypeDefKind};

// ---------------------------------------------------------------------------------------
// The signatures against the WIT

/// The `wit/` folder of the `wasip2` crate this package depends on.
fn wasi_wit_dir() -> PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
    let package = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "wasip2" && p["version"] == "2.0.1+wasi-0.2.12")
        .expect("the wasip2 2.0.1+wasi-0.2.12 package");
    let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest_path"));
    manifest.parent().expect("package folder").join("wit")
}

/// The interfaces of WASI 0.2.12, by name without version (`wasi:io/streams`).
fn wasi_interfaces(resolve: &Resolve) -> BTreeMap<String, wit_parser::InterfaceId> {
    let mut out = BTreeMap::new();
    for (id, iface) in resolve.interfaces.iter() {
        let (Some(name), Some(pkg)) = (&iface.name, iface.package) else {
            continue;
        };
        let pkg = &resolve.packages[pkg].name;
        if pkg.namespace == "wasi"
            && pkg.version.as_ref().map(ToString::to_string).as_deref() == Some("0.2.12")
        {
            out.insert(format!("wasi:{}/{name}", pkg.name), id);
        }
    }
    out
}

/// The name of the resource `id` names, through any `use` aliases.
fn resource_name(resolve: &Resolve, mut id: wit_parser::TypeId) -> String {
    loop {
        match &resolve.types[id].kind {
            TypeDefKind::Type(Type::Id(next)) => id = *next,
            _ => return resolve.types[id].name.clone().unwrap_or_default(),
        }
    }
}

/// `ty` in the notation of `weft_wasi::p2::HostFunction`: WIT syntax, handles written
/// `own<r>` / `borrow<r>`, aliases of other types resolved.
fn render(resolve: &Resolve, ty: &Type) -> String {
    let id = match ty {
        Type::Bool => return "bool".into(),
        Type::U8 => return "u8".into(),
        Type::U16 => return "u16".into(),
        Type::U32 => return "u32".into(),
        Type::U64 => return "u64".into(),
        Type::S8 => return "s8".into(),
        Type::S16 => return "s16".into(),
        Type::S32 => return "s32".into(),
        Type::S64 => return "s64".into(),
        Type::F32 => return "f32".into(),
        Type::F64 => return "f64".into(),
        Type::Char => return "char".into(),
        Type::String => return "string".into(),
        Type::ErrorContext => return "error-context".into(),
        Type::Id(id) => *id,
    };
    let def = &resolve.types[id];
    match &def.kind {
        TypeDefKind::Type(inner) => render(resolve, inner),
        TypeDefKind::Handle(Handle::Own(r)) => format!("own<{}>", resource_name(resolve, *r)),
        TypeDefKind::Handle(Handle::Borrow(r)) => {
            format!("borrow<{}>", resource_name(resolve, *r))
        }
        TypeDefKind::List(t) => format!("list<{}>", render(resolve, t)),
        TypeDefKind::Option(t) => format!("option<{}>", render(resolve, t)),
        TypeDefKind::Tuple(t) => format!(
            "tuple<{}>",
            t.types
                .iter()
                .map(|t| render(resolve, t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeDefKind::Result(r) => match (&r.ok, &r.err) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", render(resolve, ok)),
            (None, Some(err)) => format!("result<_, {}>", render(resolve, err)),
            (Some(ok), Some(err)) => {
                format!("result<{}, {}>", render(resolve, ok), render(resolve, err))
            }
        },
        _ => def
            .name
            .clone()
            .unwrap_or_else(|| format!("{:?}", def.kind)),
    }
}

/// The interfaces Weft implements in full; the others of WASI 0.2.12 are listed here as
/// missing, so that the test notices when one is added or when the WIT grows.
const IMPLEMENTED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// `wasi:cli/run` is exported by commands, not imported; HTTP is not implemented yet.
const NOT_IMPLEMENTED: &[&str] = &[
    "wasi:cli/run",
    "wasi:http/types",
    "wasi:http/incoming-handler",
    "wasi:http/outgoing-handler",
];

#[test]
fn every_host_function_matches_the_wasi_0_2_12_wit() {
    let dir = wasi_wit_dir();
    let mut resolve = Resolve::default();
    resolve.push_dir(&dir).expect("parse the WASI WIT");
    let interfaces = wasi_interfaces(&resolve);

    let mut problems = Vec::new();
    let mut registered = BTreeSet::new();
    for func in weft_wasi::p2::host_functions() {
        registered.insert((func.interface, func.name));
        let Some(&iface) = interfaces.get(func.interface) else {
            problems.push(format!("{func:?}: no interface `{}`", func.interface));
            continue;
        };
        let Some(wit) = resolve.interfaces[iface].functions.get(func.name) else {
            problems.push(format!("{func:?}: no such function in the WIT"));
            continue;
        };
        let params = wit
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, render(&resolve, &p.ty)))
            .collect::<Vec<_>>()
            .join(", ");
        let result = wit
            .result
            .as_ref()
            .map(|t| render(&resolve, t))
            .unwrap_or_default();
        if params != func.params || result != func.result {
            problems.push(format!("{func:?}: the WIT says ({params}) -> {result}"));
        }
    }
    for func in weft_wasi::p2::host_functions() {
        let twice = weft_wasi::p2::host_functions()
            .filter(|f| f.interface == func.interface && f.name == func.name)
            .count();
        if twice > 1 {
            problems.push(format!("{func:?} is registered {twice} times"));
        }
    }

    for (name, &iface) in &interfaces {
        let implemented = IMPLEMENTED.contains(&name.as_str());
        if !implemented && !NOT_IMPLEMENTED.contains(&name.as_str()) {
            problems.push(format!(
                "interface `{name}` is neither implemented nor listed as missing"
            ));
        }
        if !implemented {
            continue;
        }
        for func in resolve.interfaces[iface].functions.keys() {
            if !registered.contains(&(name.as_str(), func.as_str())) {
                problems.push(format!("`{name}#{func}` has no host function"));
            }
        }
        for (ty_name, &ty) in &resolve.interfaces[iface].types {
            if matches!(resolve.types[ty].kind, TypeDefKind::Resource)
                && !weft_wasi::p2::host_resources()
                    .any(|r| r.interface == name && r.name == ty_name)
            {
                problems.push(format!("resource `{name}#{ty_name}` is not defined"));
            }
        }
    }
    for res in weft_wasi::p2::host_resources() {
        let defined = interfaces.get(res.interface).is_some_and(|&iface| {
            resolve.interfaces[iface]
                .types
                .get(res.name)
                .is_some_and(|&ty| matches!(resolve.types[ty].kind, TypeDefKind::Resource))
        });
        if !defined {
            problems.push(format!("{res:?} is not a resource of the WIT"));
        }
    }
    for name in IMPLEMENTED.iter().chain(NOT_IMPLEMENTED) {
        if !interfaces.contains_key(*name) {
            problems.push(format!("`{name}` is not an interface of WASI 0.2.12"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        registered.len() > 120,
        "only {} functions",
        registered.len()
    );
}

// ---------------------------------------------------------------------------------------
// The fixtures through the API

struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Runs a component with `wasi` as its context; returns its exit status.
fn run(engine: &Engine, component: &Component, wasi: WasiCtx) -> weft::Result<i32> {
    let mut linker = Linker::<Host>::new(engine);
    weft_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut store = Store::new(
        engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, component)?;
    match weft_wasi::p2::call_run(&mut store, &instance) {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}

/// Runs fixture `name` built for WASI 0.2 and compares its stdout and status with the
/// expected ones of case `p2_{name}`.
fn check_fixture(name: &str, build: impl FnOnce(&mut weft_wasi::WasiCtxBuilder)) {
    let engine = Engine::default();
    let component =
        Component::from_file(&engine, fixtures().join(format!("p2/wasm/{name}.wasm"))).unwrap();
    let stdout = MemoryOutputPipe::new();
    let stderr = MemoryOutputPipe::new();
    let mut builder = weft_wasi::WasiCtxBuilder::new();
    builder.stdout(stdout.clone()).stderr(stderr.clone());
    build(&mut builder);
    let status = run(&engine, &component, builder.build()).unwrap();
    let expected = fixtures().join("expected").join(format!("p2_{name}"));
    let expected_stdout = std::fs::read(expected.join("stdout")).unwrap();
    let expected_status: i32 = std::fs::read_to_string(expected.join("status"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&stdout.contents()),
        String::from_utf8_lossy(&expected_stdout),
        "stdout of {name}"
    );
    assert_eq!(status, expected_status, "status of {name}");
    let expected_stderr = std::fs::read(expected.join("stderr")).unwrap();
    assert_eq!(stderr.contents(), expected_stderr, "stderr of {name}");
}

#[test]
fn hello() {
    check_fixture("hello", |b| {
        b.arg("hello.wasm");
    });
}

#[test]
fn args_and_env() {
    check_fixture("args_env", |b| {
        b.args(["echo", "first", "second arg", "--not-a-flag", "ünïcode ✓"])
            .env("GREETING", "hello world")
            .env("EMPTY", "")
            .env("WEFT_FIXTURE_INHERITED", "inherited from the host");
    });
}

#[test]
fn stdin() {
    let input = std::fs::read(fixtures().join("cases/p2_stdin_upper/stdin")).unwrap();
    check_fixture("stdin_upper", |b| {
        b.arg("stdin_upper.wasm").stdin(MemoryInputPipe::new(input));
    });
}

#[test]
fn exit_code() {
    check_fixture("exit_code", |b| {
        b.arg("exit_code.wasm");
    });
}

#[test]
fn clocks_and_random() {
    check_fixture("clocks_random", |b| {
        b.arg("clocks_random.wasm");
    });
}

#[test]
fn filesystem() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("cases/p2_fs_ops/input/input.txt"),
        work.path().join("input.txt"),
    )
    .unwrap();
    check_fixture("fs_ops", |b| {
        b.arg("fs_ops.wasm")
            .preopened_dir(work.path(), "/sandbox", DirPerms::all(), FilePerms::all())
            .unwrap();
    });
    let reversed = std::fs::read_to_string(work.path().join("out/reversed.txt")).unwrap();
    assert!(
        reversed.ends_with('\n') && reversed.lines().count() > 1,
        "{reversed:?}"
    );
}

/// A read-only grant refuses changes: `fs_ops` then fails to create anything.
#[test]
fn read_only_preopen_refuses_changes() {
    let engine = Engine::default();
    let component = Component::from_file(&engine, fixtures().join("p2/wasm/fs_ops.wasm")).unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("input.txt"), "a\nb\n").unwrap();
    let stdout = MemoryOutputPipe::new();
    let wasi = weft_wasi::WasiCtxBuilder::new()
        .arg("fs_ops.wasm")
        .stdout(stdout.clone())
        .preopened_dir(work.path(), "/sandbox", DirPerms::READ, FilePerms::READ)
        .unwrap()
        .build();
    run(&engine, &component, wasi).unwrap();
    let out = String::from_utf8(stdout.contents()).unwrap();
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| l.starts_with("create_dir_all out/nested/deep: error")),
        "{out}"
    );
    let mut left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["input.txt"]);
}

// ---------------------------------------------------------------------------------------
// Hostile components

/// A component that uses `wasi:io/poll` and `wasi:clocks/monotonic-clock` directly, with
/// exports that misuse handles and pointers.
const POLLER: &str = r#"
(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
    (export "[method]pollable.block" (func (param "self" (borrow $p))))
    (export "poll" (func (param "in" (list (borrow $p))) (result (list u32))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.6" (instance $clock
    (export "pollable" (type $p (eq $pollable)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p))))))
  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $at)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $ready (canon lower (func $poll "[method]pollable.ready")))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core func $poll (canon lower (func $poll "poll") (memory $mem) (realloc $realloc)))
  (core func $sub (canon lower (func $clock "subscribe-duration")))
  (core func $drop (canon resource.drop $pollable))
  (core module $m
    (import "host" "ready" (func $ready (param i32) (result i32)))
    (import "host" "block" (func $block (param i32)))
    (import "host" "poll" (func $poll (param i32 i32 i32)))
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "drop" (func $drop (param i32)))
    (import "libc" "mem" (memory 1))
    (func (export "ready-now") (result i32)
      (call $ready (call $sub (i64.const 0))))
    (func (export "use-after-drop") (result i32)
      (local $h i32)
      (local.set $h (call $sub (i64.const 0)))
      (call $drop (local.get $h))
      (call $ready (local.get $h)))
    (func (export "never-opened") (result i32)
      (call $ready (i32.const 77)))
    (func (export "drop-twice")
      (local $h i32)
      (local.set $h (call $sub (i64.const 0)))
      (call $drop (local.get $h))
      (call $drop (local.get $h)))
    (func (export "poll-out-of-bounds")
      (call $poll (i32.const 0xfff0) (i32.const 8) (i32.const 16)))
    (func (export "poll-empty")
      (call $poll (i32.const 0) (i32.const 0) (i32.const 16)))
    (func (export "poll-two") (result i32)
      (i32.store (i32.const 0) (call $sub (i64.const 60_000_000_000)))
      (i32.store (i32.const 4) (call $sub (i64.const 0)))
      (call $poll (i32.const 0) (i32.const 2) (i32.const 16))
      ;; One index, and it is 1: the far clock is not ready.
      (i32.and
        (i32.eq (i32.load (i32.const 20)) (i32.const 1))
        (i32.eq (i32.load (i32.load (i32.const 16))) (i32.const 1))))
    (func (export "sleep") (param i64)
      (call $block (call $sub (local.get 0)))))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "ready" (func $ready))
      (export "block" (func $block))
      (export "poll" (func $poll))
      (export "sub" (func $sub))
      (export "drop" (func $drop))))
    (with "libc" (instance (export "mem" (memory $mem))))))
  (func (export "ready-now") (result bool) (canon lift (core func $i "ready-now")))
  (func (export "use-after-drop") (result bool) (canon lift (core func $i "use-after-drop")))
  (func (export "never-opened") (result bool) (canon lift (core func $i "never-opened")))
  (func (export "drop-twice") (canon lift (core func $i "drop-twice")))
  (func (export "poll-out-of-bounds") (canon lift (core func $i "poll-out-of-bounds")))
  (func (export "poll-empty") (canon lift (core func $i "poll-empty")))
  (func (export "poll-two") (result bool) (canon lift (core func $i "poll-two")))
  (func (export "sleep") (param "ns" u64) (canon lift (core func $i "sleep"))))
"#;

/// Calls the poller's export `name` in a fresh instance.
fn call_poller(
    wasi: WasiCtx,
    name: &str,
    params: &[weft::component::Val],
) -> weft::Result<Option<weft::component::Val>> {
    let engine = Engine::default();
    let component = Component::new(&engine, POLLER)?;
    let mut linker = Linker::<Host>::new(&engine);
    weft_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component)?;
    let func = instance.get_func(&store, name).expect("export");
    let mut results = vec![weft::component::Val::Bool(false); func.results(&store).len()];
    func.call(&mut store, params, &mut results)?;
    Ok(results.pop())
}

#[test]
fn pollables_work_from_a_hand_written_component() {
    use weft::component::Val;
    assert_eq!(
        call_poller(WasiCtx::new(), "ready-now", &[]).unwrap(),
        Some(Val::Bool(true))
    );
    assert_eq!(
        call_poller(WasiCtx::new(), "poll-two", &[]).unwrap(),
        Some(Val::Bool(true))
    );
}

/// Handles that were dropped or never opened, and pointers outside memory, trap in the
/// guest; the host does not panic.
#[test]
fn misused_handles_and_pointers_trap() {
    use weft::TrapCode;
    for (name, code) in [
        ("use-after-drop", TrapCode::UnknownHandle),
        ("never-opened", TrapCode::UnknownHandle),
        ("drop-twice", TrapCode::UnknownHandle),
        ("poll-out-of-bounds", TrapCode::ListOutOfBounds),
    ] {
        let error = call_poller(WasiCtx::new(), name, &[]).expect_err(name);
        assert_eq!(error.trap_code(), Some(code), "{name}: {error:?}");
    }
    // The spec makes an empty list a precondition; the call fails (as in Wasmtime).
    let error = call_poller(WasiCtx::new(), "poll-empty", &[]).expect_err("poll-empty");
    assert!(error.to_string().contains("empty"), "{error:?}");
}

/// A sleep blocks the thread for its length, without spinning through the guest.
#[test]
fn a_sleep_blocks_for_its_length() {
    let start = std::time::Instant::now();
    call_poller(
        WasiCtx::new(),
        "sleep",
        &[weft::component::Val::U64(100_000_000)],
    )
    .unwrap();
    let took = start.elapsed();
    assert!(took >= std::time::Duration::from_millis(100), "{took:?}");
}

/// The context's deadline ends a sleep that would outlast it, with an interrupt trap.
#[test]
fn the_deadline_interrupts_a_sleep() {
    let start = std::time::Instant::now();
    let wasi = weft_wasi::WasiCtxBuilder::new()
        .deadline(start + std::time::Duration::from_millis(200))
        .build();
    let error = call_poller(wasi, "sleep", &[weft::component::Val::U64(60_000_000_000)])
        .expect_err("interrupted");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error:?}"
    );
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

/// A component whose exports ask the host for more than it gives: random bytes beyond the
/// limit, writes beyond what `check-write` and `blocking-write-and-flush` allow, and a read
/// of `u64::MAX` bytes from stdin; and writes within the permit of `check-write`.
const GREEDY: &str = r#"
(component
  (import "wasi:io/error@0.2.0" (instance $e (export "error" (type (sub resource)))))
  (alias export $e "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $s
    (export "error" (type $err (eq $error)))
    (export "output-stream" (type $os (sub resource)))
    (export "input-stream" (type $is (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $stream-error)))))
    (export "[method]output-stream.write-zeroes"
      (func (param "self" (borrow $os)) (param "len" u64)
        (result (result (error $stream-error)))))
    (export "[method]output-stream.check-write"
      (func (param "self" (borrow $os)) (result (result u64 (error $stream-error)))))
    (export "[method]output-stream.write"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $stream-error)))))
    (export "[method]input-stream.blocking-read"
      (func (param "self" (borrow $is)) (param "len" u64)
        (result (result (list u8) (error $stream-error)))))))
  (alias export $s "output-stream" (type $output-stream))
  (alias export $s "input-stream" (type $input-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $o
    (export "output-stream" (type $os (eq $output-stream)))
    (export "get-stdout" (func (result (own $os))))))
  (import "wasi:cli/stdin@0.2.0" (instance $i
    (export "input-stream" (type $is (eq $input-stream)))
    (export "get-stdin" (func (result (own $is))))))
  (import "wasi:random/random@0.2.0" (instance $r
    (export "get-random-bytes" (func (param "len" u64) (result (list u8))))))
  (core module $libc
    (memory (export "mem") 2)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $at)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $write (canon lower (func $s "[method]output-stream.blocking-write-and-flush")
    (memory $mem)))
  (core func $zeroes (canon lower (func $s "[method]output-stream.write-zeroes") (memory $mem)))
  (core func $check (canon lower (func $s "[method]output-stream.check-write") (memory $mem)))
  (core func $put (canon lower (func $s "[method]output-stream.write") (memory $mem)))
  (core func $read (canon lower (func $s "[method]input-stream.blocking-read")
    (memory $mem) (realloc $realloc)))
  (core func $stdout (canon lower (func $o "get-stdout")))
  (core func $stdin (canon lower (func $i "get-stdin")))
  (core func $random (canon lower (func $r "get-random-bytes") (memory $mem) (realloc $realloc)))
  (core module $m
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "zeroes" (func $zeroes (param i32 i64 i32)))
    (import "host" "check" (func $check (param i32 i32)))
    (import "host" "put" (func $put (param i32 i32 i32 i32)))
    (import "host" "read" (func $read (param i32 i64 i32)))
    (import "host" "stdout" (func $stdout (result i32)))
    (import "host" "stdin" (func $stdin (result i32)))
    (import "host" "random" (func $random (param i64 i32)))
    (import "libc" "mem" (memory 2))
    (func (export "random-huge") (call $random (i64.const -1) (i32.const 16)))
    (func (export "random-small") (result i32)
      (call $random (i64.const 32) (i32.const 16))
      (i32.load (i32.const 20)))
    (func (export "write-too-long")
      (call $write (call $stdout) (i32.const 0) (i32.const 5000) (i32.const 16)))
    (func (export "write-ok") (result i32)
      (call $write (call $stdout) (i32.const 0) (i32.const 4096) (i32.const 16))
      (i32.load8_u (i32.const 16)))
    ;; Two writes that use up the permit of one check-write: the number of bytes permitted.
    (func (export "write-permitted") (result i64)
      (local $out i32)
      (local.set $out (call $stdout))
      (call $check (local.get $out) (i32.const 16))
      (call $put (local.get $out) (i32.const 0) (i32.const 40000) (i32.const 32))
      (call $put (local.get $out) (i32.const 0)
        (i32.sub (i32.wrap_i64 (i64.load (i32.const 24))) (i32.const 40000)) (i32.const 32))
      (i64.load (i32.const 24)))
    ;; A write without check-write.
    (func (export "write-unpermitted")
      (call $put (call $stdout) (i32.const 0) (i32.const 1) (i32.const 32)))
    ;; Writes past what the last check-write permitted.
    (func (export "write-past-permit")
      (local $out i32)
      (local.set $out (call $stdout))
      (call $check (local.get $out) (i32.const 16))
      (call $put (local.get $out) (i32.const 0) (i32.const 60000) (i32.const 32))
      (call $put (local.get $out) (i32.const 0) (i32.const 6000) (i32.const 32)))
    (func (export "zeroes-huge")
      (call $zeroes (call $stdout) (i64.const -1) (i32.const 16)))
    (func (export "read-huge") (result i32)
      (call $read (call $stdin) (i64.const -1) (i32.const 16))
      (i32.load (i32.const 24))))
  (core instance $inst (instantiate $m
    (with "host" (instance
      (export "write" (func $write))
      (export "zeroes" (func $zeroes))
      (export "check" (func $check))
      (export "put" (func $put))
      (export "read" (func $read))
      (export "stdout" (func $stdout))
      (export "stdin" (func $stdin))
      (export "random" (func $random))))
    (with "libc" (instance (export "mem" (memory $mem))))))
  (func (export "random-huge") (canon lift (core func $inst "random-huge")))
  (func (export "random-small") (result u32) (canon lift (core func $inst "random-small")))
  (func (export "write-too-long") (canon lift (core func $inst "write-too-long")))
  (func (export "write-ok") (result u32) (canon lift (core func $inst "write-ok")))
  (func (export "zeroes-huge") (canon lift (core func $inst "zeroes-huge")))
  (func (export "write-permitted") (result u64) (canon lift (core func $inst "write-permitted")))
  (func (export "write-unpermitted") (canon lift (core func $inst "write-unpermitted")))
  (func (export "write-past-permit") (canon lift (core func $inst "write-past-permit")))
  (func (export "read-huge") (result u32) (canon lift (core func $inst "read-huge"))))
"#;

/// Calls the greedy component's export `name` with 100 KiB on stdin; returns the result
/// and what it wrote to stdout.
fn call_greedy(name: &str) -> (weft::Result<Option<weft::component::Val>>, usize) {
    let stdout = MemoryOutputPipe::new();
    let wasi = weft_wasi::WasiCtxBuilder::new()
        .stdin(MemoryInputPipe::new(vec![b'x'; 100 * 1024]))
        .stdout(stdout.clone())
        .build();
    let engine = Engine::default();
    let component = Component::new(&engine, GREEDY).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    weft_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let func = instance.get_func(&store, name).expect("export");
    let mut results = vec![weft::component::Val::Bool(false); func.results(&store).len()];
    let result = func
        .call(&mut store, &[], &mut results)
        .map(|()| results.pop());
    (result, stdout.contents().len())
}

/// Lengths a guest chooses never make the host allocate what they name: too much is an
/// error (random bytes, writes past the permit), or a shorter read.
#[test]
fn guest_lengths_are_bounded() {
    use weft::component::Val;
    assert_eq!(call_greedy("random-small").0.unwrap(), Some(Val::U32(32)));
    let (result, written) = call_greedy("write-ok");
    assert_eq!(result.unwrap(), Some(Val::U32(0)));
    assert_eq!(written, 4096);
    for name in ["random-huge", "write-too-long", "zeroes-huge"] {
        let (result, written) = call_greedy(name);
        let error = result.expect_err(name);
        assert!(error.to_string().contains("more than"), "{name}: {error:?}");
        assert_eq!(written, 0, "{name}");
    }
    // `write` takes at most what the last `check-write` permitted.
    let (result, written) = call_greedy("write-permitted");
    assert_eq!(result.unwrap(), Some(Val::U64(64 * 1024)));
    assert_eq!(written, 64 * 1024);
    let (result, written) = call_greedy("write-unpermitted");
    let error = result.expect_err("write-unpermitted");
    assert!(
        error.to_string().contains("1 bytes is more than the 0"),
        "{error:?}"
    );
    assert_eq!(written, 0);
    let (result, written) = call_greedy("write-past-permit");
    let error = result.expect_err("write-past-permit");
    assert!(
        error
            .to_string()
            .contains("6000 bytes is more than the 5536"),
        "{error:?}"
    );
    assert_eq!(written, 60000);
    // A read of u64::MAX bytes returns what one read gives: at most 64 KiB.
    assert_eq!(
        call_greedy("read-huge").0.unwrap(),
        Some(Val::U32(64 * 1024))
    );
}

// ---------------------------------------------------------------------------------------
// Hostile use of sockets

/// A component that calls `wasi:sockets` directly: each export packs a `result<_,
/// error-code>`-like answer as `discriminant * 256 + error-code case` (`0` is `ok`), or
/// misuses a handle or a pointer.
const SOCKETS: &str = r#"
(component
  (import "wasi:io/poll@0.2.0" (instance $poll (export "pollable" (type (sub resource)))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:sockets/network@0.2.0" (instance $net
    (export "network" (type (sub resource)))
    (type $ec (enum "unknown" "access-denied" "not-supported" "invalid-argument"
      "out-of-memory" "timeout" "concurrency-conflict" "not-in-progress" "would-block"
      "invalid-state" "new-socket-limit" "address-not-bindable" "address-in-use"
      "remote-unreachable" "connection-refused" "connection-reset" "connection-aborted"
      "datagram-too-large" "name-unresolvable" "temporary-resolver-failure"
      "permanent-resolver-failure"))
    (export "error-code" (type (eq $ec)))
    (type $fam (enum "ipv4" "ipv6"))
    (export "ip-address-family" (type (eq $fam)))))
  (alias export $net "network" (type $network))
  (alias export $net "error-code" (type $error-code))
  (alias export $net "ip-address-family" (type $family))
  (import "wasi:sockets/instance-network@0.2.0" (instance $inet
    (export "network" (type $n (eq $network)))
    (export "instance-network" (func (result (own $n))))))
  (import "wasi:sockets/tcp@0.2.0" (instance $tcp
    (export "pollable" (type $p (eq $pollable)))
    (export "error-code" (type $e (eq $error-code)))
    (export "tcp-socket" (type $s (sub resource)))
    (export "[method]tcp-socket.finish-bind"
      (func (param "self" (borrow $s)) (result (result (error $e)))))
    (export "[method]tcp-socket.start-listen"
      (func (param "self" (borrow $s)) (result (result (error $e)))))
    (export "[method]tcp-socket.is-listening" (func (param "self" (borrow $s)) (result bool)))
    (export "[method]tcp-socket.set-listen-backlog-size"
      (func (param "self" (borrow $s)) (param "value" u64) (result (result (error $e)))))
    (export "[method]tcp-socket.subscribe" (func (param "self" (borrow $s)) (result (own $p))))))
  (alias export $tcp "tcp-socket" (type $tcp-socket))
  (import "wasi:sockets/tcp-create-socket@0.2.0" (instance $create
    (export "error-code" (type $e (eq $error-code)))
    (export "ip-address-family" (type $f (eq $family)))
    (export "tcp-socket" (type $s (eq $tcp-socket)))
    (export "create-tcp-socket"
      (func (param "address-family" $f) (result (result (own $s) (error $e)))))))
  (import "wasi:sockets/ip-name-lookup@0.2.0" (instance $lookup
    (export "network" (type $n (eq $network)))
    (export "error-code" (type $e (eq $error-code)))
    (export "resolve-address-stream" (type $r (sub resource)))
    (export "resolve-addresses"
      (func (param "network" (borrow $n)) (param "name" string)
        (result (result (own $r) (error $e)))))))
  (core module $libc (memory (export "mem") 1))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (core func $create (canon lower (func $create "create-tcp-socket") (memory $mem)))
  (core func $finish-bind (canon lower (func $tcp "[method]tcp-socket.finish-bind") (memory $mem)))
  (core func $start-listen (canon lower (func $tcp "[method]tcp-socket.start-listen") (memory $mem)))
  (core func $is-listening (canon lower (func $tcp "[method]tcp-socket.is-listening")))
  (core func $backlog
    (canon lower (func $tcp "[method]tcp-socket.set-listen-backlog-size") (memory $mem)))
  (core func $subscribe (canon lower (func $tcp "[method]tcp-socket.subscribe")))
  (core func $network (canon lower (func $inet "instance-network")))
  (core func $resolve (canon lower (func $lookup "resolve-addresses") (memory $mem)))
  (core func $drop (canon resource.drop $tcp-socket))
  (core module $m
    (import "host" "create" (func $create (param i32 i32)))
    (import "host" "finish-bind" (func $finish-bind (param i32 i32)))
    (import "host" "start-listen" (func $start-listen (param i32 i32)))
    (import "host" "is-listening" (func $is-listening (param i32) (result i32)))
    (import "host" "backlog" (func $backlog (param i32 i64 i32)))
    (import "host" "subscribe" (func $subscribe (param i32) (result i32)))
    (import "host" "network" (func $network (result i32)))
    (import "host" "resolve" (func $resolve (param i32 i32 i32 i32)))
    (import "host" "drop" (func $drop (param i32)))
    (import "libc" "mem" (memory 1))
    (data (i32.const 64) "localhost")
    ;; The answer at 16: discriminant * 256 + the case of the error (or 0), the case at
    ;; 17 for a `result<_, error-code>`, at 20 when `ok` has a handle.
    (func $answer (param $case i32) (result i32)
      (if (result i32) (i32.load8_u (i32.const 16))
        (then (i32.add (i32.const 256) (i32.load8_u (local.get $case))))
        (else (i32.const 0))))
    ;; A new IPv4 TCP socket (the call must succeed).
    (func $socket (result i32)
      (call $create (i32.const 0) (i32.const 16))
      (if (i32.load8_u (i32.const 16)) (then unreachable))
      (i32.load (i32.const 20)))
    (func (export "create") (result i32)
      (call $create (i32.const 0) (i32.const 16))
      (call $answer (i32.const 20)))
    (func (export "finish-without-start") (result i32)
      (call $finish-bind (call $socket) (i32.const 16))
      (call $answer (i32.const 17)))
    (func (export "listen-unbound") (result i32)
      (call $start-listen (call $socket) (i32.const 16))
      (call $answer (i32.const 17)))
    (func (export "backlog-zero") (result i32)
      (call $backlog (call $socket) (i64.const 0) (i32.const 16))
      (call $answer (i32.const 17)))
    (func (export "lookup") (result i32)
      (call $resolve (call $network) (i32.const 64) (i32.const 9) (i32.const 16))
      (call $answer (i32.const 20)))
    (func (export "use-after-drop") (result i32)
      (local $s i32)
      (local.set $s (call $socket))
      (call $drop (local.get $s))
      (call $is-listening (local.get $s)))
    (func (export "never-opened") (result i32)
      (call $is-listening (i32.const 77)))
    (func (export "drop-with-pollable")
      (local $s i32)
      (local.set $s (call $socket))
      (drop (call $subscribe (local.get $s)))
      (call $drop (local.get $s)))
    (func (export "lookup-out-of-bounds") (result i32)
      (call $resolve (call $network) (i32.const 0xfff0) (i32.const 100) (i32.const 16))
      (call $answer (i32.const 20)))
    (func (export "result-out-of-bounds") (result i32)
      (call $finish-bind (call $socket) (i32.const 0x10000))
      (i32.const 0)))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "create" (func $create))
      (export "finish-bind" (func $finish-bind))
      (export "start-listen" (func $start-listen))
      (export "is-listening" (func $is-listening))
      (export "backlog" (func $backlog))
      (export "subscribe" (func $subscribe))
      (export "network" (func $network))
      (export "resolve" (func $resolve))
      (export "drop" (func $drop))))
    (with "libc" (instance (export "mem" (memory $mem))))))
  (func (export "create") (result u32) (canon lift (core func $i "create")))
  (func (export "finish-without-start") (result u32)
    (canon lift (core func $i "finish-without-start")))
  (func (export "listen-unbound") (result u32) (canon lift (core func $i "listen-unbound")))
  (func (export "backlog-zero") (result u32) (canon lift (core func $i "backlog-zero")))
  (func (export "lookup") (result u32) (canon lift (core func $i "lookup")))
  (func (export "use-after-drop") (result bool) (canon lift (core func $i "use-after-drop")))
  (func (export "never-opened") (result bool) (canon lift (core func $i "never-opened")))
  (func (export "drop-with-pollable") (canon lift (core func $i "drop-with-pollable")))
  (func (export "lookup-out-of-bounds") (result u32)
    (canon lift (core func $i "lookup-out-of-bounds")))
  (func (export "result-out-of-bounds") (result u32)
    (canon lift (core func $i "result-out-of-bounds"))))
"#;

/// Calls the sockets component's export `name` in a fresh instance.
fn call_sockets(wasi: WasiCtx, name: &str) -> weft::Result<Option<weft::component::Val>> {
    let engine = Engine::default();
    let component = Component::new(&engine, SOCKETS)?;
    let mut linker = Linker::<Host>::new(&engine);
    weft_wasi::p2::add_to_linker_sync(&mut linker)?;
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component)?;
    let func = instance.get_func(&store, name).expect("export");
    let mut results = vec![weft::component::Val::Bool(false); func.results(&store).len()];
    func.call(&mut store, &[], &mut results)?;
    Ok(results.pop())
}

/// TCP allowed, no address.
fn tcp_only() -> WasiCtx {
    weft_wasi::WasiCtxBuilder::new().allow_tcp(true).build()
}

/// Denied calls, calls out of order and bad arguments give the spec's error codes; dropped,
/// unknown or still-borrowed handles and pointers outside memory trap; the host never panics.
#[test]
fn misused_sockets_give_the_spec_errors_or_trap() {
    use weft::TrapCode;
    use weft::component::Val;
    /// `err(case)` as the component packs it.
    fn err(case: u32) -> Option<Val> {
        Some(Val::U32(256 + case))
    }
    const ACCESS_DENIED: u32 = 1;
    const INVALID_ARGUMENT: u32 = 3;
    const NOT_IN_PROGRESS: u32 = 7;
    const INVALID_STATE: u32 = 9;
    const PERMANENT_RESOLVER_FAILURE: u32 = 20;

    assert_eq!(
        call_sockets(WasiCtx::new(), "create").unwrap(),
        err(ACCESS_DENIED)
    );
    assert_eq!(
        call_sockets(tcp_only(), "create").unwrap(),
        Some(Val::U32(0))
    );
    for (name, expected) in [
        ("finish-without-start", err(NOT_IN_PROGRESS)),
        ("listen-unbound", err(INVALID_STATE)),
        ("backlog-zero", err(INVALID_ARGUMENT)),
        ("lookup", err(PERMANENT_RESOLVER_FAILURE)),
    ] {
        assert_eq!(call_sockets(tcp_only(), name).unwrap(), expected, "{name}");
    }
    for (name, code) in [
        ("use-after-drop", TrapCode::UnknownHandle),
        ("never-opened", TrapCode::UnknownHandle),
        ("lookup-out-of-bounds", TrapCode::StringOutOfBounds),
        ("result-out-of-bounds", TrapCode::PointerOutOfBounds),
    ] {
        let error = call_sockets(tcp_only(), name).expect_err(name);
        assert_eq!(error.trap_code(), Some(code), "{name}: {error:?}");
    }
    // A socket cannot go while its pollable lives: the drop fails, as in Wasmtime.
    let error = call_sockets(tcp_only(), "drop-with-pollable").expect_err("drop-with-pollable");
    assert!(error.to_string().contains("children"), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// File streams on a file opened without `write`

/// A component that opens `f.txt` in its first preopen for reading only (`read` flag) and
/// writes to it through `write-via-stream` or `append-via-stream`.
///
/// Exports: `blocking(append)` writes twice with `blocking-write-and-flush` and returns
/// `disc1 | se1 << 4 | disc2 << 8 | se2 << 12` (the `result` discriminant and, for an
/// error, the `stream-error` one); `deferred` calls `check-write`, `write`, `check-write`,
/// `check-write` and returns their discriminants 4 bits apart (with the stream-error's
/// after each failing `check-write`); `open-stream` returns the `result` discriminant of
/// `write-via-stream` and, 4 bits up, the low byte of its payload (the `error-code` index
/// on error).
const READ_ONLY_WRITER: &str = r#"
(component
  (import "wasi:io/error@0.2.0" (instance $e (export "error" (type (sub resource)))))
  (alias export $e "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $s
    (export "error" (type $err (eq $error)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err)) (case "closed")))
    (export "stream-error" (type $stream-error (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $stream-error)))))
    (export "[method]output-stream.check-write"
      (func (param "self" (borrow $os)) (result (result u64 (error $stream-error)))))
    (export "[method]output-stream.write"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
        (result (result (error $stream-error)))))))
  (alias export $s "output-stream" (type $output-stream))
  (import "wasi:filesystem/types@0.2.0" (instance $t
    (export "output-stream" (type $os (eq $output-stream)))
    (export "descriptor" (type $d (sub resource)))
    (type $ec (enum "access" "would-block" "already" "bad-descriptor" "busy" "deadlock"
      "quota" "exist" "file-too-large" "illegal-byte-sequence" "in-progress" "interrupted"
      "invalid" "io" "is-directory" "loop" "too-many-links" "message-size" "name-too-long"
      "no-device" "no-entry" "no-lock" "insufficient-memory" "insufficient-space"
      "not-directory" "not-empty" "not-recoverable" "unsupported" "no-tty" "no-such-device"
      "overflow" "not-permitted" "pipe" "read-only" "invalid-seek" "text-file-busy"
      "cross-device"))
    (export "error-code" (type $error-code (eq $ec)))
    (type $pf (flags "symlink-follow"))
    (export "path-flags" (type $path-flags (eq $pf)))
    (type $of (flags "create" "directory" "exclusive" "truncate"))
    (export "open-flags" (type $open-flags (eq $of)))
    (type $df (flags "read" "write" "file-integrity-sync" "data-integrity-sync"
      "requested-write-sync" "mutate-directory"))
    (export "descriptor-flags" (type $descriptor-flags (eq $df)))
    (export "[method]descriptor.open-at"
      (func (param "self" (borrow $d)) (param "path-flags" $path-flags) (param "path" string)
        (param "open-flags" $open-flags) (param "flags" $descriptor-flags)
        (result (result (own $d) (error $error-code)))))
    (export "[method]descriptor.write-via-stream"
      (func (param "self" (borrow $d)) (param "offset" u64)
        (result (result (own $os) (error $error-code)))))
    (export "[method]descriptor.append-via-stream"
      (func (param "self" (borrow $d)) (result (result (own $os) (error $error-code)))))))
  (alias export $t "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@0.2.0" (instance $p
    (export "descriptor" (type $d (eq $descriptor)))
    (export "get-directories" (func (result (list (tuple (own $d) string)))))))
  (core module $libc
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $at i32)
      (local.set $at (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $at)))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $blocking-write (canon lower
    (func $s "[method]output-stream.blocking-write-and-flush") (memory $mem)))
  (core func $check (canon lower (func $s "[method]output-stream.check-write") (memory $mem)))
  (core func $write (canon lower (func $s "[method]output-stream.write") (memory $mem)))
  (core func $open-at (canon lower (func $t "[method]descriptor.open-at") (memory $mem)))
  (core func $via-stream (canon lower (func $t "[method]descriptor.write-via-stream")
    (memory $mem)))
  (core func $append-stream (canon lower (func $t "[method]descriptor.append-via-stream")
    (memory $mem)))
  (core func $dirs (canon lower (func $p "get-directories") (memory $mem) (realloc $realloc)))
  (core module $m
    (import "host" "blocking-write" (func $blocking-write (param i32 i32 i32 i32)))
    (import "host" "check" (func $check (param i32 i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32)))
    (import "host" "open-at" (func $open-at (param i32 i32 i32 i32 i32 i32 i32)))
    (import "host" "via-stream" (func $via-stream (param i32 i64 i32)))
    (import "host" "append-stream" (func $append-stream (param i32 i32)))
    (import "host" "dirs" (func $dirs (param i32)))
    (import "libc" "mem" (memory 1))
    (data (i32.const 0) "f.txt")
    (data (i32.const 8) "nope")
    ;; `f.txt` opened with the `read` flag only.
    (func $open (result i32)
      (call $dirs (i32.const 16))
      (call $open-at (i32.load (i32.load (i32.const 16)))
        (i32.const 0) (i32.const 0) (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 32))
      (if (i32.load8_u (i32.const 32)) (then unreachable))
      (i32.load (i32.const 36)))
    ;; The stream, trapping if there is none.
    (func $stream (param $append i32) (result i32)
      (if (local.get $append)
        (then (call $append-stream (call $open) (i32.const 48)))
        (else (call $via-stream (call $open) (i64.const 0) (i32.const 48))))
      (if (i32.load8_u (i32.const 48)) (then unreachable))
      (i32.load (i32.const 52)))
    (func (export "open-stream") (result i32)
      (call $via-stream (call $open) (i64.const 0) (i32.const 48))
      (i32.or (i32.load8_u (i32.const 48)) (i32.shl (i32.load8_u (i32.const 52)) (i32.const 4))))
    (func (export "blocking") (param $append i32) (result i32)
      (local $out i32)
      (local.set $out (call $stream (local.get $append)))
      (call $blocking-write (local.get $out) (i32.const 8) (i32.const 4) (i32.const 64))
      (call $blocking-write (local.get $out) (i32.const 8) (i32.const 4) (i32.const 80))
      (i32.or
        (i32.or (i32.load8_u (i32.const 64)) (i32.shl (i32.load8_u (i32.const 68)) (i32.const 4)))
        (i32.shl
          (i32.or (i32.load8_u (i32.const 80)) (i32.shl (i32.load8_u (i32.const 84)) (i32.const 4)))
          (i32.const 8))))
    (func (export "deferred") (result i32)
      (local $out i32)
      (local.set $out (call $stream (i32.const 0)))
      (call $check (local.get $out) (i32.const 64))
      (call $write (local.get $out) (i32.const 8) (i32.const 4) (i32.const 96))
      (call $check (local.get $out) (i32.const 128))
      (call $check (local.get $out) (i32.const 160))
      (i32.or
        (i32.or
          (i32.load8_u (i32.const 64))
          (i32.shl (i32.load8_u (i32.const 96)) (i32.const 4)))
        (i32.or
          (i32.shl
            (i32.or (i32.load8_u (i32.const 128)) (i32.shl (i32.load8_u (i32.const 136)) (i32.const 4)))
            (i32.const 8))
          (i32.shl
            (i32.or (i32.load8_u (i32.const 160)) (i32.shl (i32.load8_u (i32.const 168)) (i32.const 4)))
            (i32.const 16))))))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "blocking-write" (func $blocking-write))
      (export "check" (func $check))
      (export "write" (func $write))
      (export "open-at" (func $open-at))
      (export "via-stream" (func $via-stream))
      (export "append-stream" (func $append-stream))
      (export "dirs" (func $dirs))))
    (with "libc" (instance (export "mem" (memory $mem))))))
  (func (export "open-stream") (result u32) (canon lift (core func $i "open-stream")))
  (func (export "blocking") (param "append" bool) (result u32)
    (canon lift (core func $i "blocking")))
  (func (export "deferred") (result u32) (canon lift (core func $i "deferred"))))
"#;

/// Calls export `name` of [`READ_ONLY_WRITER`] with `params`, `/` preopened with
/// `file_perms` on a directory holding `f.txt`; returns its `u32` and the file's contents.
fn call_read_only_writer(
    file_perms: FilePerms,
    name: &str,
    params: &[weft::component::Val],
) -> (u32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "kept").unwrap();
    let wasi = weft_wasi::WasiCtxBuilder::new()
        .preopened_dir(dir.path(), "/", DirPerms::all(), file_perms)
        .unwrap()
        .build();
    let engine = Engine::default();
    let component = Component::new(&engine, READ_ONLY_WRITER).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    weft_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let func = instance.get_func(&store, name).expect("export");
    let mut results = [weft::component::Val::U32(0)];
    func.call(&mut store, params, &mut results).unwrap();
    let weft::component::Val::U32(r) = results[0] else {
        panic!("{:?}", results[0]);
    };
    (
        r,
        std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
    )
}

/// As in Wasmtime, `write-via-stream` and `append-via-stream` on a file opened without
/// `write` (in a preopen that permits writing) give a stream; its first blocking write fails
/// with `last-operation-failed` and closes it. A non-blocking `write` succeeds and the next
/// `check-write` reports the failure, once. Without `FilePerms::WRITE`,
/// `write-via-stream` itself fails with `not-permitted`.
#[test]
fn write_via_stream_on_a_read_only_file_fails_in_the_stream() {
    use weft::component::Val;
    let all = FilePerms::all();
    // err(last-operation-failed), then err(closed).
    for append in [false, true] {
        let (r, contents) = call_read_only_writer(all, "blocking", &[Val::Bool(append)]);
        assert_eq!(r, 0x1101, "append: {append}");
        assert_eq!(contents, "kept");
    }
    // check-write ok, write ok, check-write err(last-operation-failed), check-write
    // err(closed).
    let (r, contents) = call_read_only_writer(all, "deferred", &[]);
    assert_eq!(r, 0x11_01_00);
    assert_eq!(contents, "kept");
    // ok(stream) here; err(not-permitted) (case 31) without `FilePerms::WRITE`.
    assert_eq!(call_read_only_writer(all, "open-stream", &[]).0 & 0xf, 0);
    assert_eq!(
        call_read_only_writer(FilePerms::READ, "open-stream", &[]).0,
        1 | 31 << 4
    );
}
