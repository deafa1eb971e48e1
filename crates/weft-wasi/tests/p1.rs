//! WASI preview 1 through the public API: small WAT modules call the host functions and the
//! tests look at the errnos, the guest's memory and the embedder's pipes.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test's setup failing is a test failure"
)]

use std::time::{Duration, Instant};
use weft::ErrorExt as _;
use weft::{Engine, Instance, Linker, Module, Store, Val};
use weft_wasi::{
    DirPerms, FilePerms, I32Exit, MemoryInputPipe, MemoryOutputPipe, MonotonicClock, RandomSource,
    WallClock, WasiCtx, WasiCtxBuilder,
};

/// Every import the tests use, a memory, and `$call_*` exports wrapping them.
const PRELUDE: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pwrite" (func $fd_pwrite (param i32 i32 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fd_write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_read") (param i32 i32 i32 i32) (result i32)
    (call $fd_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "args_sizes_get") (param i32 i32) (result i32)
    (call $args_sizes_get (local.get 0) (local.get 1)))
  (func (export "args_get") (param i32 i32) (result i32)
    (call $args_get (local.get 0) (local.get 1)))
  (func (export "environ_sizes_get") (param i32 i32) (result i32)
    (call $environ_sizes_get (local.get 0) (local.get 1)))
  (func (export "environ_get") (param i32 i32) (result i32)
    (call $environ_get (local.get 0) (local.get 1)))
  (func (export "clock_time_get") (param i32 i64 i32) (result i32)
    (call $clock_time_get (local.get 0) (local.get 1) (local.get 2)))
  (func (export "random_get") (param i32 i32) (result i32)
    (call $random_get (local.get 0) (local.get 1)))
  (func (export "proc_exit") (param i32) (call $proc_exit (local.get 0)))
  (func (export "poll_oneoff") (param i32 i32 i32 i32) (result i32)
    (call $poll_oneoff (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "path_open") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)
    (call $path_open (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (local.get 5) (local.get 6) (local.get 7) (local.get 8)))
  (func (export "fd_readdir") (param i32 i32 i32 i64 i32) (result i32)
    (call $fd_readdir (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "fd_close") (param i32) (result i32) (call $fd_close (local.get 0)))
  (func (export "fd_renumber") (param i32 i32) (result i32)
    (call $fd_renumber (local.get 0) (local.get 1)))
  (func (export "fd_prestat_get") (param i32 i32) (result i32)
    (call $fd_prestat_get (local.get 0) (local.get 1)))
  (func (export "path_create_directory") (param i32 i32 i32) (result i32)
    (call $path_create_directory (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fd_pwrite") (param i32 i32 i32 i64 i32) (result i32)
    (call $fd_pwrite (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
"#;

struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
}

impl Guest {
    fn new(wasi: WasiCtx) -> Guest {
        let engine = Engine::default();
        let module = Module::new(&engine, format!("(module {PRELUDE})")).expect("module");
        let mut linker: Linker<WasiCtx> = Linker::new(&engine);
        weft_wasi::p1::add_to_linker(&mut linker, |cx| cx).expect("add WASI");
        let mut store = Store::new(&engine, wasi);
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("instantiate");
        Guest { store, instance }
    }

    /// Calls export `name`; its errno, or the error that ended the call.
    fn call(&mut self, name: &str, params: &[Val]) -> weft::Result<i32> {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .expect("export");
        let mut results = vec![Val::I32(0); func.ty(&self.store).results().len()];
        func.call(&mut self.store, params, &mut results)?;
        Ok(results.first().and_then(Val::i32).unwrap_or(0))
    }

    fn errno(&mut self, name: &str, params: &[i64]) -> i32 {
        let func = self
            .instance
            .get_func(&mut self.store, name)
            .expect("export");
        let ty = func.ty(&self.store);
        let params: Vec<Val> = ty
            .params()
            .iter()
            .zip(params)
            .map(|(t, &v)| match t {
                weft::ValType::I64 => Val::I64(v),
                _ => Val::I32(v as i32),
            })
            .collect();
        self.call(name, &params).expect("call returns")
    }

    fn memory(&mut self) -> weft::Memory {
        self.instance
            .get_memory(&mut self.store, "memory")
            .expect("memory")
    }

    fn write(&mut self, at: usize, bytes: &[u8]) {
        let memory = self.memory();
        memory
            .write(&mut self.store, at, bytes)
            .expect("write memory");
    }

    fn read(&mut self, at: usize, len: usize) -> Vec<u8> {
        let memory = self.memory();
        let mut buf = vec![0; len];
        memory.read(&self.store, at, &mut buf).expect("read memory");
        buf
    }

    fn u32_at(&mut self, at: usize) -> u32 {
        u32::from_le_bytes(self.read(at, 4).try_into().unwrap())
    }

    fn u64_at(&mut self, at: usize) -> u64 {
        u64::from_le_bytes(self.read(at, 8).try_into().unwrap())
    }

    /// An iovec at `at` for `len` bytes at `buf`.
    fn iovec(&mut self, at: usize, buf: u32, len: u32) {
        self.write(at, &buf.to_le_bytes());
        self.write(at + 4, &len.to_le_bytes());
    }
}

#[test]
fn writes_reach_the_output_pipes() {
    let stdout = MemoryOutputPipe::new();
    let stderr = MemoryOutputPipe::new();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .build(),
    );
    g.write(100, b"hello, world\n");
    // Two iovecs: "hello, " and "world\n".
    g.iovec(0, 100, 7);
    g.iovec(8, 107, 6);
    assert_eq!(g.errno("fd_write", &[1, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 13);
    assert_eq!(g.errno("fd_write", &[2, 0, 1, 16]), 0);
    assert_eq!(stdout.contents(), b"hello, world\n");
    assert_eq!(stderr.contents(), b"hello, ");
    // stdin is not writable; an unknown descriptor is EBADF.
    assert_eq!(g.errno("fd_write", &[0, 0, 1, 16]), 8);
    assert_eq!(g.errno("fd_write", &[42, 0, 1, 16]), 8);
}

#[test]
fn reads_come_from_the_input_pipe() {
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .stdin(MemoryInputPipe::new("abcdefgh"))
            .build(),
    );
    g.iovec(0, 100, 3);
    g.iovec(8, 200, 2);
    assert_eq!(g.errno("fd_read", &[0, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 5);
    assert_eq!(g.read(100, 3), b"abc");
    assert_eq!(g.read(200, 2), b"de");
    assert_eq!(g.errno("fd_read", &[0, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 3);
    assert_eq!(g.errno("fd_read", &[0, 0, 2, 16]), 0);
    assert_eq!(g.u32_at(16), 0, "end of input");
}

#[test]
fn arguments_and_environment() {
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .args(["prog", "a b", "ü"])
            .env("X", "1")
            .env("EMPTY", "")
            .env("X", "2")
            .build(),
    );
    assert_eq!(g.errno("args_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (3, 5 + 4 + 3));
    assert_eq!(g.errno("args_get", &[16, 100]), 0);
    let pointers: Vec<u32> = (0..3).map(|i| g.u32_at(16 + 4 * i)).collect();
    assert_eq!(pointers, [100, 105, 109]);
    assert_eq!(g.read(100, 12), "prog\0a b\0ü\0".as_bytes());
    assert_eq!(g.errno("environ_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 4 + 7));
    assert_eq!(g.errno("environ_get", &[16, 100]), 0);
    assert_eq!(g.read(100, 11), b"X=2\0EMPTY=\0");
}

struct FixedWall;
impl WallClock for FixedWall {
    fn now(&self) -> Duration {
        Duration::from_secs(1_700_000_000)
    }
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
}

struct FixedMonotonic;
impl MonotonicClock for FixedMonotonic {
    fn now(&self) -> u64 {
        42
    }
    fn resolution(&self) -> u64 {
        1000
    }
}

struct Counter(u8);
impl RandomSource for Counter {
    fn fill(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        for byte in buf {
            self.0 = self.0.wrapping_add(1);
            *byte = self.0;
        }
        Ok(())
    }
}

#[test]
fn clocks_and_randomness_can_be_replaced() {
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .wall_clock(FixedWall)
            .monotonic_clock(FixedMonotonic)
            .random(Counter(0))
            .build(),
    );
    assert_eq!(g.errno("clock_time_get", &[0, 0, 8]), 0);
    assert_eq!(g.u64_at(8), 1_700_000_000 * 1_000_000_000);
    assert_eq!(g.errno("clock_time_get", &[1, 0, 8]), 0);
    assert_eq!(g.u64_at(8), 42);
    // CPU-time clocks are not offered.
    assert_eq!(g.errno("clock_time_get", &[2, 0, 8]), 8);
    assert_eq!(g.errno("random_get", &[100, 4]), 0);
    assert_eq!(g.read(100, 4), [1, 2, 3, 4]);
    assert_eq!(g.errno("random_get", &[100, 2]), 0);
    assert_eq!(g.read(100, 4), [5, 6, 3, 4]);
}

#[test]
fn sleeping_on_a_clock_that_never_moves_still_returns() {
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .monotonic_clock(FixedMonotonic)
            .build(),
    );
    // One relative clock subscription of 1 ms: userdata 7, tag 0, clock 1 (monotonic).
    let mut sub = [0u8; 48];
    sub[0] = 7;
    sub[16] = 1;
    sub[24..32].copy_from_slice(&1_000_000u64.to_le_bytes());
    g.write(0, &sub);
    assert_eq!(g.errno("poll_oneoff", &[0, 64, 1, 128]), 0);
    assert_eq!(g.u32_at(128), 1);
    assert_eq!(g.u64_at(64), 7, "userdata");
    assert_eq!(g.read(72, 3), [0, 0, 0], "no error, clock event");
    // No subscriptions at all: EINVAL, not a wait forever.
    assert_eq!(g.errno("poll_oneoff", &[0, 64, 0, 128]), 28);
}

#[test]
fn poll_reports_standard_input_ready() {
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .stdin(MemoryInputPipe::new("x"))
            .build(),
    );
    // fd_read on descriptor 0 (tag 1), and a 10 s clock that must not be waited for.
    let mut subs = [0u8; 96];
    subs[0] = 1;
    subs[8] = 1;
    subs[48] = 2;
    subs[64] = 1;
    subs[72..80].copy_from_slice(&10_000_000_000u64.to_le_bytes());
    g.write(0, &subs);
    let start = std::time::Instant::now();
    assert_eq!(g.errno("poll_oneoff", &[0, 128, 2, 256]), 0);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(g.u32_at(256), 1);
    assert_eq!(g.u64_at(128), 1);
    assert_eq!(g.read(138, 1), [1], "an fd_read event");
}

#[test]
fn proc_exit_is_an_i32_exit_error() {
    let mut g = Guest::new(WasiCtx::new());
    let error = g.call("proc_exit", &[Val::I32(5)]).unwrap_err();
    assert_eq!(error.downcast_ref::<I32Exit>(), Some(&I32Exit(5)));
    assert!(error.trap_code().is_none());
    let error = g.call("proc_exit", &[Val::I32(300)]).unwrap_err();
    assert!(error.downcast_ref::<I32Exit>().is_none());
    assert!(error.to_string().contains("invalid exit status"), "{error}");
    // The context is back in the store after the call that ended with an error.
    assert_eq!(g.store.data().args().len(), 0);
    assert_eq!(g.errno("fd_write", &[99, 0, 0, 16]), 8);
}

#[test]
fn bad_pointers_end_the_call_without_a_host_panic() {
    let mut g = Guest::new(WasiCtx::new());
    for (name, params) in [
        ("fd_write", &[1, 65_530, 1, 16][..]),
        ("fd_write", &[1, 0, 1, 65_534]),
        ("args_sizes_get", &[-4, 0]),
        ("clock_time_get", &[1, 0, 65_536]),
        ("clock_time_get", &[1, 0, 4]),
        ("random_get", &[65_000, 1000]),
        ("poll_oneoff", &[65_528, 0, 1, 0]),
        ("fd_readdir", &[3, 70_000, 10, 0, 0]),
    ] {
        g.iovec(0, 100, 1);
        let error = g
            .call(
                name,
                &params
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        if (name == "clock_time_get" && i == 1) || (name == "fd_readdir" && i == 3)
                        {
                            Val::I64(v)
                        } else {
                            Val::I32(v as i32)
                        }
                    })
                    .collect::<Vec<_>>(),
            )
            .map(|errno| format!("errno {errno}"));
        match (name, error) {
            // No descriptor 3: the descriptor is checked before the buffer.
            ("fd_readdir", Ok(errno)) => assert_eq!(errno, "errno 8"),
            (_, Ok(errno)) => panic!("{name}{params:?} returned {errno}"),
            (_, Err(e)) => {
                let message = e.to_string();
                assert!(
                    message.contains("out of bounds") || message.contains("not aligned"),
                    "{name}: {message}"
                );
                assert!(message.contains(name), "{message}");
            }
        }
    }
}

#[test]
fn descriptors_close_and_renumber() {
    let dir = tempfile::tempdir().unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(dir.path(), "/d", DirPerms::all(), FilePerms::all())
            .unwrap()
            .build(),
    );
    assert_eq!(g.errno("fd_prestat_get", &[3, 0]), 0);
    assert_eq!(g.read(0, 1), [0]);
    assert_eq!(g.u32_at(4), 2, "name length of /d");
    assert_eq!(g.errno("fd_prestat_get", &[4, 0]), 8);
    assert_eq!(g.errno("fd_renumber", &[3, 9]), 8, "9 is not open");
    assert_eq!(g.errno("fd_renumber", &[3, 2]), 0);
    assert_eq!(g.errno("fd_prestat_get", &[2, 0]), 0);
    assert_eq!(g.errno("fd_prestat_get", &[3, 0]), 8);
    assert_eq!(g.errno("fd_close", &[2]), 0);
    assert_eq!(g.errno("fd_close", &[2]), 8);
}

#[test]
fn read_only_grants_refuse_writes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "data").unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(dir.path(), "/ro", DirPerms::READ, FilePerms::READ)
            .unwrap()
            .build(),
    );
    g.write(100, b"f.txtnew");
    const READ: i64 = 1 << 1;
    const WRITE: i64 = 1 << 6;
    // Reading is fine.
    assert_eq!(
        g.errno("path_open", &[3, 0, 100, 5, 0, READ, READ, 0, 0]),
        0
    );
    let fd = g.u32_at(0);
    assert_eq!(g.errno("fd_close", &[i64::from(fd)]), 0);
    // Writing, truncating, creating and making directories are EPERM.
    assert_eq!(
        g.errno("path_open", &[3, 0, 100, 5, 0, WRITE, WRITE, 0, 0]),
        63
    );
    assert_eq!(
        g.errno("path_open", &[3, 0, 100, 5, 8, READ, READ, 0, 0]),
        63
    );
    assert_eq!(
        g.errno("path_open", &[3, 0, 105, 3, 1, READ, READ, 0, 0]),
        63
    );
    assert_eq!(g.errno("path_create_directory", &[3, 105, 3]), 63);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.txt")).unwrap(),
        "data"
    );
    assert!(!dir.path().join("new").exists());
}

#[test]
fn readdir_lists_dot_entries_and_resumes_from_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("only.txt"), "x").unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(dir.path(), ".", DirPerms::all(), FilePerms::all())
            .unwrap()
            .build(),
    );
    assert_eq!(g.errno("fd_readdir", &[3, 1000, 4096, 0, 0]), 0);
    let used = g.u32_at(0) as usize;
    assert_eq!(used, (24 + 1) + (24 + 2) + (24 + 8));
    let names: Vec<Vec<u8>> = {
        let bytes = g.read(1000, used);
        let mut names = Vec::new();
        let mut at = 0;
        while at + 24 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 16..at + 20].try_into().unwrap()) as usize;
            names.push(bytes[at + 24..at + 24 + len].to_vec());
            at += 24 + len;
        }
        names
    };
    assert_eq!(names, [b".".to_vec(), b"..".to_vec(), b"only.txt".to_vec()]);
    // From cookie 2 only the file is left; a small buffer is filled completely.
    assert_eq!(g.errno("fd_readdir", &[3, 1000, 4096, 2, 0]), 0);
    assert_eq!(g.u32_at(0), 24 + 8);
    assert_eq!(g.errno("fd_readdir", &[3, 1000, 10, 0, 0]), 0);
    assert_eq!(g.u32_at(0), 10);
}

#[test]
fn a_module_without_a_memory_export_gets_an_error() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
            (func (export "run") (result i32) (call $y)))"#,
    )
    .unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    weft_wasi::p1::add_to_linker(&mut linker, |cx| cx).unwrap();
    let mut store = Store::new(&engine, WasiCtx::new());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .unwrap();
    let error = run.call(&mut store, ()).unwrap_err();
    assert!(error.to_string().contains("missing required memory export"));
}

/// The hostile fixture with a read-only grant beside its sandbox: every write through the
/// read-only grant is refused and the file there is unchanged.
#[test]
fn hostile_guest_cannot_write_through_a_read_only_grant() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("sandbox")).unwrap();
    std::fs::create_dir(root.path().join("ro")).unwrap();
    std::fs::write(root.path().join("sandbox/inside.txt"), "inside the grant\n").unwrap();
    std::fs::write(root.path().join("ro/ro.txt"), "read only\n").unwrap();
    std::fs::write(root.path().join("secret.txt"), "secret\n").unwrap();

    let stdout = MemoryOutputPipe::new();
    let wasi = WasiCtxBuilder::new()
        .arg("hostile")
        .stdout(stdout.clone())
        .preopened_dir(
            root.path().join("sandbox"),
            "/sandbox",
            DirPerms::all(),
            FilePerms::all(),
        )
        .unwrap()
        .preopened_dir(
            root.path().join("ro"),
            "/readonly",
            DirPerms::READ,
            FilePerms::READ,
        )
        .unwrap()
        .build();
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixtures.join("wasm/hostile.wasm")).unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    weft_wasi::p1::add_to_linker(&mut linker, |cx| cx).unwrap();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    start.call(&mut store, ()).unwrap();

    let out = String::from_utf8(stdout.contents()).unwrap();
    let section: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "== read-only grant")
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .collect();
    assert!(section.len() > 10, "{out}");
    for line in section {
        match line.split_once(": ") {
            Some(("read ro.txt" | "ro.txt unchanged", result)) => {
                assert_eq!(result, r#"ok "read only\n""#)
            }
            // The file could only be opened for reading, so writes through it fail there.
            Some(("write to read-only file" | "pwrite to read-only file", result)) => {
                assert_eq!(result, "errno 8 (BADF)")
            }
            Some((_, result)) => assert_eq!(result, "errno 63 (PERM)", "{line}"),
            None => panic!("unexpected line {line}"),
        }
    }
    assert_eq!(
        std::fs::read_to_string(root.path().join("ro/ro.txt")).unwrap(),
        "read only\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("secret.txt")).unwrap(),
        "secret\n"
    );
    assert_eq!(
        std::fs::read_dir(root.path().join("ro")).unwrap().count(),
        1
    );
}

/// A granted listening socket: the guest accepts a connection, receives and sends through it
/// and shuts it down; descriptors that are not sockets are `ENOTSOCK`.
#[test]
fn sockets_on_a_granted_listener() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(b"ping").unwrap();
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).unwrap();
        reply
    });
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sock_shutdown" (func $shutdown (param i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "accept") (param i32) (result i32) (call $accept (local.get 0) (i32.const 0) (i32.const 0)))
            (func (export "recv") (param i32) (result i32)
              (i32.store (i32.const 16) (i32.const 100))
              (i32.store (i32.const 20) (i32.const 4))
              (call $recv (local.get 0) (i32.const 16) (i32.const 1) (i32.const 0) (i32.const 24) (i32.const 28)))
            (func (export "send") (param i32) (result i32)
              (i32.store (i32.const 16) (i32.const 200))
              (i32.store (i32.const 20) (i32.const 4))
              (i32.store (i32.const 200) (i32.const 0x676e6f70))
              (call $send (local.get 0) (i32.const 16) (i32.const 1) (i32.const 0) (i32.const 24)))
            (func (export "shutdown") (param i32) (result i32) (call $shutdown (local.get 0) (i32.const 3))))"#,
    )
    .unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    weft_wasi::p1::add_to_linker(&mut linker, |cx| cx).unwrap();
    let wasi = WasiCtxBuilder::new()
        .preopened_tcp_listener(listener)
        .build();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let call = |store: &mut Store<WasiCtx>, name: &str, fd: i32| {
        instance
            .get_typed_func::<i32, i32>(&mut *store, name)
            .unwrap()
            .call(&mut *store, fd)
            .unwrap()
    };
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    assert_eq!(call(&mut store, "accept", 1), 57, "stdout is not a socket");
    assert_eq!(call(&mut store, "accept", 9), 8, "no descriptor 9");
    assert_eq!(call(&mut store, "accept", 3), 0);
    let mut fd = [0u8; 4];
    memory.read(&store, 0, &mut fd).unwrap();
    let fd = i32::from_le_bytes(fd);
    assert_eq!(fd, 4);
    assert_eq!(call(&mut store, "recv", fd), 0);
    let mut got = [0u8; 4];
    memory.read(&store, 100, &mut got).unwrap();
    assert_eq!(&got, b"ping");
    assert_eq!(
        call(&mut store, "recv", 3),
        57,
        "a listener is not a connection"
    );
    assert_eq!(call(&mut store, "send", fd), 0);
    assert_eq!(call(&mut store, "shutdown", fd), 0);
    assert_eq!(&client.join().unwrap(), b"pong");
}

/// Buffers of 128 MiB and more (the per-call copy budget) are read and written in part: a
/// positive short count, never `ENOMEM`.
#[test]
fn huge_buffers_give_short_counts_not_enomem() {
    const BIG: u32 = (128 << 20) + 4096;
    const BUF: u32 = 65536;
    let dir = tempfile::tempdir().unwrap();
    let stdout = MemoryOutputPipe::new();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .preopened_dir(dir.path(), "/d", DirPerms::all(), FilePerms::all())
            .unwrap()
            .build(),
    );
    let memory = g.memory();
    // 1 page + 2,050 pages of 64 KiB: room for the buffer at 64 KiB.
    memory.grow(&mut g.store, 2050).expect("grow memory");
    g.write(BUF as usize + BIG as usize - 1, b"z");
    g.iovec(0, BUF, BIG);

    // To the standard output.
    assert_eq!(g.errno("fd_write", &[1, 0, 1, 16]), 0);
    let n = g.u32_at(16);
    assert!(n > 0 && n <= BIG, "{n}");
    assert_eq!(stdout.contents().len(), n as usize);

    // To a file, at its position and at an offset.
    g.write(100, b"big");
    const ALL: i64 = (1 << 29) - 1;
    assert_eq!(g.errno("path_open", &[3, 0, 100, 3, 1, ALL, ALL, 0, 24]), 0);
    let fd = i64::from(g.u32_at(24));
    assert_eq!(g.errno("fd_write", &[fd, 0, 1, 16]), 0);
    let written = g.u32_at(16);
    assert!(written > 0 && written <= BIG, "{written}");
    assert_eq!(g.errno("fd_pwrite", &[fd, 0, 1, 1 << 30, 16]), 0);
    let pwritten = g.u32_at(16);
    assert!(pwritten > 0 && pwritten <= BIG, "{pwritten}");
    let len = std::fs::metadata(dir.path().join("big")).unwrap().len();
    assert_eq!(len, (1 << 30) + u64::from(pwritten));

    // And back: a read into the huge buffer.
    assert_eq!(g.errno("path_open", &[3, 0, 100, 3, 0, ALL, ALL, 0, 24]), 0);
    let fd = i64::from(g.u32_at(24));
    assert_eq!(g.errno("fd_read", &[fd, 0, 1, 16]), 0);
    let read = g.u32_at(16);
    assert!(read > 0 && read <= BIG, "{read}");
}

/// A sleep of `u64::MAX` nanoseconds ends at the context's deadline with an interrupt trap.
#[test]
fn a_deadline_interrupts_a_sleep() {
    let start = Instant::now();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .deadline(start + Duration::from_millis(200))
            .build(),
    );
    let mut sub = [0u8; 48];
    sub[16] = 1;
    sub[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
    g.write(0, &sub);
    let params = [0, 64, 1, 128].map(Val::I32);
    let error = g.call("poll_oneoff", &params).expect_err("interrupted");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error}"
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // A clock that expires before the deadline is waited for as usual.
    g.store
        .data_mut()
        .set_deadline(Some(Instant::now() + Duration::from_secs(30)));
    sub[24..32].copy_from_slice(&1_000_000u64.to_le_bytes());
    g.write(0, &sub);
    assert_eq!(g.errno("poll_oneoff", &[0, 64, 1, 128]), 0);
    assert_eq!(g.u32_at(128), 1);
}

/// Standard input that never has data: waits time out, reads must not be reached.
struct SilentInput;

impl weft_wasi::InputStream for SilentInput {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        panic!("a read of silent input would block forever")
    }

    fn wait_readable(&mut self, timeout: Option<Duration>) -> bool {
        std::thread::sleep(timeout.expect("a bounded wait"));
        false
    }
}

/// A read from standard input, and a poll on it, end at the deadline with an interrupt.
#[test]
fn a_deadline_interrupts_waiting_for_input() {
    let deadline = Instant::now() + Duration::from_millis(100);
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .stdin(SilentInput)
            .deadline(deadline)
            .build(),
    );
    g.iovec(0, 100, 10);
    let params = [0, 0, 1, 16].map(Val::I32);
    let error = g.call("fd_read", &params).expect_err("interrupted");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error}"
    );
    assert!(Instant::now() >= deadline);

    g.store
        .data_mut()
        .set_deadline(Some(Instant::now() + Duration::from_millis(100)));
    let mut sub = [0u8; 48];
    sub[8] = 1;
    g.write(0, &sub);
    let params = [0, 64, 1, 128].map(Val::I32);
    let error = g.call("poll_oneoff", &params).expect_err("interrupted");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error}"
    );
}

/// Waiting for a connection, and for data on it, ends at the deadline with an interrupt.
#[test]
fn a_deadline_interrupts_waiting_on_sockets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "accept") (param i32) (result i32) (call $accept (local.get 0) (i32.const 0) (i32.const 0)))
            (func (export "recv") (param i32) (result i32)
              (i32.store (i32.const 16) (i32.const 100))
              (i32.store (i32.const 20) (i32.const 4))
              (call $recv (local.get 0) (i32.const 16) (i32.const 1) (i32.const 0) (i32.const 24) (i32.const 28))))"#,
    )
    .unwrap();
    let mut linker: Linker<WasiCtx> = Linker::new(&engine);
    weft_wasi::p1::add_to_linker(&mut linker, |cx| cx).unwrap();
    let wasi = WasiCtxBuilder::new()
        .preopened_tcp_listener(listener)
        .deadline(Instant::now() + Duration::from_millis(100))
        .build();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let accept = instance
        .get_typed_func::<i32, i32>(&mut store, "accept")
        .unwrap();
    let recv = instance
        .get_typed_func::<i32, i32>(&mut store, "recv")
        .unwrap();

    let error = accept.call(&mut store, 3).expect_err("no one connects");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error}"
    );

    let _client = std::net::TcpStream::connect(addr).unwrap();
    store
        .data_mut()
        .set_deadline(Some(Instant::now() + Duration::from_secs(30)));
    assert_eq!(accept.call(&mut store, 3).unwrap(), 0);
    store
        .data_mut()
        .set_deadline(Some(Instant::now() + Duration::from_millis(100)));
    let start = Instant::now();
    let error = recv
        .call(&mut store, 4)
        .expect_err("the client sends nothing");
    assert_eq!(
        error.trap_code(),
        Some(weft::TrapCode::Interrupt),
        "{error}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}
