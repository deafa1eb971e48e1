//! `wasi:sockets` through the `weft` binary: a TCP echo server and client (our own programs
//! of `fixtures/wasi/`, built for wasm32-wasip2) talk over 127.0.0.1 under the allow-list of
//! the `-S` options, and the same client is denied without them.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn weft() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weft"))
}

/// A program of `fixtures/p2/wasm/`.
fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/p2/wasm")
        .join(format!("{name}.wasm"))
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = listener.local_addr().expect("its address");
    format!("{addr}")
}

/// Runs the echo client with `flags`, sending `message` to `addr`.
fn client(flags: &[&str], addr: &str, message: &str) -> Output {
    weft()
        .arg("run")
        .args(flags)
        .args(["--timeout", "30s"])
        .arg(program("tcp_echo_client"))
        .args([addr, message])
        .output()
        .expect("run weft")
}

#[test]
fn echo_server_and_client_talk_over_loopback_with_inherit_network() {
    let addr = free_address();
    let mut server = weft()
        .args(["run", "-S", "inherit-network", "--timeout", "30s"])
        .arg(program("tcp_echo_server"))
        .arg(&addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut stdout = BufReader::new(server.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read the server");
    assert_eq!(first, "listening\n", "the server did not start");

    let out = client(&["-S", "inherit-network"], &addr, "hello over weft");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "echo: hello over weft\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());

    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read the server");
    let status = server.wait().expect("the server ends");
    assert_eq!(rest, "echoed 15 bytes\n");
    assert!(status.success());
}

#[test]
fn the_client_is_denied_without_the_network() {
    // A listener that would accept: only the allow-list stands in the way.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = format!("{}", listener.local_addr().expect("address"));
    for flags in [
        &[][..],
        &["-S", "inherit-network", "-S", "tcp=n"][..],
        &["-S", "inherit-network,tcp=no"][..],
    ] {
        let out = client(flags, &addr, "hi");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "connect: error PermissionDenied\n",
            "with {flags:?}"
        );
        assert_eq!(out.status.code(), Some(1), "with {flags:?}");
    }
    listener
        .set_nonblocking(true)
        .expect("a nonblocking listener");
    assert!(listener.accept().is_err(), "no connection came through");
}

#[test]
fn unknown_wasi_options_are_named() {
    for (option, named) in [
        ("frobnicate", "unknown -S option `frobnicate`"),
        (
            "inherit-network,frobnicate=y",
            "unknown -S option `frobnicate`",
        ),
        ("tcp=maybe", "invalid value `maybe` for -S tcp"),
        ("tcplisten", "-S tcplisten needs an address"),
    ] {
        let out = weft()
            .args(["run", "-S", option])
            .arg(program("hello"))
            .output()
            .expect("run weft");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "-S {option}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "-S {option}");
    }
}

#[test]
fn tcplisten_is_refused_for_components() {
    let addr = free_address();
    for flags in [
        vec!["--tcplisten".to_owned(), addr.clone()],
        vec!["-S".to_owned(), format!("tcplisten={addr}")],
    ] {
        let out = weft()
            .arg("run")
            .args(&flags)
            .arg(program("hello"))
            .output()
            .expect("run weft");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--tcplisten is not supported for components"),
            "{flags:?}: {stderr}"
        );
        assert_eq!(out.status.code(), Some(1));
    }
}

/// A preview 1 module gets the `--tcplisten` socket as descriptor 3 and accepts on it.
#[test]
fn tcplisten_grants_a_module_a_listening_socket() {
    const ACCEPT: &str = r#"(module
      (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_send"
        (func $send (param i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hi from weft")
      (func (export "_start")
        (local $e i32)
        (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 0)))
        (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e)))))
        ;; iovec at 32: (16, 12)
        (i32.store (i32.const 32) (i32.const 16))
        (i32.store (i32.const 36) (i32.const 12))
        (drop (call $send (i32.load (i32.const 0)) (i32.const 32) (i32.const 1) (i32.const 0)
          (i32.const 40)))))"#;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let wat = dir.path().join("accept.wat");
    std::fs::write(&wat, ACCEPT).expect("write the module");
    let addr = free_address();
    let guest = weft()
        .args(["run", "--timeout", "30s", "--tcplisten", &addr])
        .arg(&wat)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start weft");
    let mut stream = None;
    for _ in 0..300 {
        match std::net::TcpStream::connect(&addr) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    let mut stream = stream.expect("connect to the guest's listener");
    let mut got = String::new();
    stream.read_to_string(&mut got).expect("read the guest");
    let out = guest.wait_with_output().expect("weft ends");
    assert_eq!(
        got,
        "hi from weft",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
