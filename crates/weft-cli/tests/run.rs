//! `weft run` against the fixtures: each case of `fixtures/cases/` runs through the built
//! `weft` binary in a fresh temporary copy of its input directory, and its stdout, stderr,
//! exit status and the directory left behind are compared with what Wasmtime produced
//! (`fixtures/expected/`, written by `fixtures/bless.sh`).
//!
//! stdout and the directory tree must match exactly. stderr is compared up to the runtime's
//! own report (the first line starting `Error: `), which differs between runtimes in wording
//! and code offsets; the report itself must be there when Wasmtime printed one, and after a
//! trap it must hold a wasm backtrace that names the outermost function Wasmtime named.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

mod common;

use common::{Outcome, fixtures, run_in_case_dir};
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs case `name` through `weft` in a fresh working directory.
fn run_case(name: &str) -> Outcome {
    let case = fixtures().join("cases").join(name);
    let fixtures = fixtures();
    let fixtures = fixtures.to_str().expect("UTF-8 path");
    let args: Vec<String> = fs::read_to_string(case.join("args"))
        .expect("args file")
        .lines()
        .map(|l| l.replace("{fixtures}", fixtures))
        .collect();
    run_in_case_dir(&case, args)
}

/// The lines of `stderr` before the runtime's report, and the report.
fn split_stderr(stderr: &str) -> (Vec<&str>, Option<String>) {
    let mut guest = Vec::new();
    let mut lines = stderr.lines();
    for line in lines.by_ref() {
        if line.starts_with("Error: ") {
            let mut report = line.to_owned();
            for rest in lines {
                report.push('\n');
                report.push_str(rest);
            }
            return (guest, Some(report));
        }
        if !line.starts_with("warning: using `--invoke` with a function that") {
            guest.push(line);
        }
    }
    (guest, None)
}

/// The function name of the last (outermost) frame in a Wasmtime report.
fn outermost_frame(report: &str) -> Option<&str> {
    report
        .lines()
        .rfind(|l| l.contains(" - ") && l.contains('!'))
        .and_then(|l| l.rsplit('!').next())
        .map(str::trim)
}

fn check_case(name: &str) {
    let expected = fixtures().join("expected").join(name);
    let read = |file: &str| fs::read(expected.join(file)).unwrap_or_default();
    let got = run_case(name);
    let mut problems = Vec::new();

    let status: i32 = String::from_utf8_lossy(&read("status"))
        .trim()
        .parse()
        .expect("status file");
    if got.status != status {
        problems.push(format!("exit status {} (Wasmtime: {status})", got.status));
    }
    if got.stdout != read("stdout") {
        problems.push(format!(
            "stdout differs:\n--- weft\n{}\n--- Wasmtime\n{}",
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&read("stdout"))
        ));
    }
    let expected_stderr = String::from_utf8_lossy(&read("stderr")).into_owned();
    let (guest, report) = split_stderr(&got.stderr);
    let (expected_guest, _) = split_stderr(&expected_stderr);
    if guest != expected_guest {
        problems.push(format!(
            "stderr differs:\n--- weft\n{}\n--- Wasmtime\n{expected_stderr}",
            got.stderr
        ));
    }
    let wasmtime_report = fs::read_to_string(expected.join("runtime_error")).ok();
    match (&wasmtime_report, &report) {
        (Some(_), None) => problems.push(format!("no error report on stderr:\n{}", got.stderr)),
        (None, Some(report)) => problems.push(format!("unexpected error report:\n{report}")),
        _ => {}
    }
    if status == 134
        && let (Some(theirs), Some(ours)) = (&wasmtime_report, &report)
    {
        if !ours.contains("wasm backtrace:") {
            problems.push(format!("trap report without a wasm backtrace:\n{ours}"));
        }
        if let Some(frame) = outermost_frame(theirs)
            && !ours.contains(&format!("!{frame}"))
        {
            problems.push(format!("backtrace does not name `{frame}`:\n{ours}"));
        }
    }
    let expected_tree = String::from_utf8_lossy(&read("tree")).into_owned();
    if got.tree != expected_tree {
        problems.push(format!(
            "directory tree differs:\n--- weft\n{}--- Wasmtime\n{expected_tree}",
            got.tree
        ));
    }
    assert!(
        problems.is_empty(),
        "case `{name}`:\n{}",
        problems.join("\n")
    );
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_case(stringify!($name));
            }
        )*

        /// Every case directory has a test above.
        #[test]
        fn every_case_is_tested() {
            let listed = [$(stringify!($name)),*];
            let mut missing = Vec::new();
            for entry in fs::read_dir(fixtures().join("cases")).expect("cases directory").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !listed.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "cases without a test: {missing:?}");
        }
    };
}

cases! {
    args_env,
    clocks_random,
    exit_code,
    fs_ops,
    hello,
    hello_shorthand,
    hostile,
    invoke_add,
    invoke_bad_arg,
    invoke_div_zero,
    invoke_half,
    invoke_missing,
    invoke_mul64,
    invoke_nothing,
    invoke_pair,
    invoke_sqrt32,
    invoke_too_few,
    json_regex,
    missing_file,
    no_start,
    no_wasi,
    p2_args_env,
    p2_clocks_random,
    p2_exit_code,
    p2_fs_ops,
    p2_hello,
    p2_json_regex,
    p2_panic,
    p2_stdin_upper,
    panic,
    proc_exit,
    ptr_args_sizes_out_of_bounds,
    ptr_bad_fdflags,
    ptr_bad_whence,
    ptr_huge_iovec_count,
    ptr_iovec_buffer_out_of_bounds,
    ptr_iovs_out_of_bounds,
    ptr_path_not_utf8,
    ptr_path_out_of_bounds,
    ptr_poll_out_of_bounds,
    ptr_random_longer_than_memory,
    ptr_read_buffer_out_of_bounds,
    ptr_result_misaligned,
    ptr_result_out_of_bounds,
    ptr_unknown_clock,
    ptr_valid_write,
    stdin_upper,
    trap,
}

/// The hostile guest gets an errno for every way out of its preopen, and the file outside
/// the grant is neither read nor changed.
#[test]
fn sandbox_holds_against_the_hostile_guest() {
    let got = run_case("hostile");
    let stdout = String::from_utf8_lossy(&got.stdout);
    for line in stdout.lines() {
        assert!(
            !line.contains("(escape!)") || line.contains("(stays inside)"),
            "escape: {line}"
        );
        assert!(
            !line.contains("secret outside"),
            "the guest read the file outside its grant: {line}"
        );
    }
    for attempt in [
        "open ../secret.txt",
        "open /etc/passwd",
        "open sub/../../secret.txt",
        "symlink / -> root_link",
        "open up_link/secret.txt",
        "open secret_link (follow)",
        "truncate through secret_link",
        "open host_root_link/etc/passwd (made by the host)",
        "rename ../secret.txt -> stolen.txt",
        "unlink ../secret.txt",
        "link ../secret.txt -> hard.txt",
        "stat ../secret.txt",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{attempt}:")))
            .unwrap_or_else(|| panic!("no line for `{attempt}` in:\n{stdout}"));
        assert!(line.contains("errno 63 (PERM)"), "{line}");
    }
    let sentinel = "file secret.txt 25 ";
    assert!(
        got.tree.lines().any(|l| l.starts_with(sentinel)),
        "secret.txt changed:\n{}",
        got.tree
    );
    assert!(!got.tree.contains("created.txt") && !got.tree.contains("stolen.txt"));
    assert_eq!(got.status, 0, "{}", got.stderr);
}

/// `weft FILE` without `run`, `--help`, and a missing FILE.
#[test]
fn command_line_basics() {
    let weft = env!("CARGO_BIN_EXE_weft");
    let help = Command::new(weft)
        .args(["run", "--help"])
        .output()
        .expect("run weft");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--dir",
        "--env",
        "--invoke",
        "--argv0",
        "HOST[::GUEST]",
        "NAME[=VALUE]",
    ] {
        assert!(help.contains(flag), "`{flag}` missing from:\n{help}");
    }
    let no_file = Command::new(weft).arg("run").output().expect("run weft");
    assert_eq!(no_file.status.code(), Some(2));
}

/// Runs `weft run FLAGS... FILE` on a WAT module written to a temporary file.
fn run_wat(name: &str, wat: &str, flags: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("weft-limits-{}-{name}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.wat"));
    fs::write(&file, wat).expect("write module");
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("run")
        .args(flags)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .expect("weft runs");
    let _ = fs::remove_dir_all(&dir);
    output
}

const SPIN: &str = r#"(module (func (export "_start") (loop br 0)))"#;

#[test]
fn fuel_flag_stops_an_infinite_loop() {
    let output = run_wat("fuel", SPIN, &["--fuel", "100000"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(134), "{stderr}");
    assert!(stderr.contains("all fuel consumed"), "{stderr}");
    assert!(stderr.contains("--fuel limit of 100000"), "{stderr}");
}

#[test]
fn timeout_flag_interrupts_an_infinite_loop() {
    let started = std::time::Instant::now();
    let output = run_wat("timeout", SPIN, &["--timeout", "1s"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(134), "{stderr}");
    assert!(stderr.contains("interrupt"), "{stderr}");
    assert!(stderr.contains("--timeout of 1s"), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn stack_and_memory_flags() {
    let recurse = r#"(module (func $f (export "_start") call $f))"#;
    let output = run_wat("stack", recurse, &["--max-wasm-stack", "65536"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(134), "{stderr}");
    assert!(stderr.contains("call stack exhausted"), "{stderr}");
    assert!(stderr.contains("stack limit of 65536 bytes"), "{stderr}");

    let grow = r#"(module (memory 1)
        (func (export "grow") (result i32) i32.const 4 memory.grow))"#;
    let output = run_wat(
        "memory",
        grow,
        &["--max-memory-size", "131072", "--invoke", "grow"],
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "-1");
    let output = run_wat("memory-ok", grow, &["--invoke", "grow"]);
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
}

/// What `weft` did within a time limit: its output, exit status and how long it took.
struct Timed {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    took: std::time::Duration,
}

/// Runs `weft ARGS...` in `dir` (with `RUST_BACKTRACE` unset, so that reports hold only
/// what `weft` writes), killing it after `limit`: a hang fails the test instead of stalling
/// it.
fn run_weft_within(dir: &Path, args: &[&str], limit: std::time::Duration) -> Timed {
    let out = dir.join("stdout.txt");
    let err = dir.join("stderr.txt");
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).expect("stdout file"))
        .stderr(fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("weft runs");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for weft") {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Timed {
        status,
        stdout: fs::read_to_string(&out).unwrap_or_default(),
        stderr: fs::read_to_string(&err).unwrap_or_default(),
        took: started.elapsed(),
    }
}

/// Writes `wat` to `NAME.wat` in a fresh directory and runs `weft run FLAGS... NAME.wat
/// ARGS...` there within 30 s.
fn run_wat_within(name: &str, wat: &str, flags: &[&str], args: &[&str]) -> Timed {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = format!("{name}.wat");
    fs::write(dir.path().join(&file), wat).expect("write module");
    let mut all = vec!["run"];
    all.extend_from_slice(flags);
    all.push(&file);
    all.extend_from_slice(args);
    run_weft_within(dir.path(), &all, std::time::Duration::from_secs(30))
}

/// A guest asleep in `poll_oneoff` for `u64::MAX` ns is stopped by `--timeout` as a
/// spinning guest is: the interrupt trap, its backtrace, the timeout's report and status.
#[test]
fn timeout_flag_interrupts_a_blocking_sleep() {
    let sleep = r#"(module
        (import "wasi_snapshot_preview1" "poll_oneoff"
            (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func $sleep_forever (export "_start")
            ;; One relative subscription on the monotonic clock (id 1) of u64::MAX ns.
            (i32.store (i32.const 16) (i32.const 1))
            (i64.store (i32.const 24) (i64.const -1))
            (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"#;
    let got = run_wat_within("sleep", sleep, &["--timeout", "1s"], &[]);
    assert_eq!(got.status, Some(134), "took {:?}: {}", got.took, got.stderr);
    assert!(
        got.took < std::time::Duration::from_secs(5),
        "{:?}",
        got.took
    );
    assert!(
        got.stderr.contains("--timeout of 1s expired"),
        "{}",
        got.stderr
    );
    assert!(
        got.stderr.contains("wasm trap: interrupt"),
        "{}",
        got.stderr
    );
    assert!(got.stderr.contains("!sleep_forever"), "{}", got.stderr);
}

/// An interrupt shows its wasm backtrace, as the other traps do.
#[test]
fn interrupt_traps_have_a_backtrace() {
    let spin = r#"(module (func $spin (export "_start") (loop br 0)))"#;
    let got = run_wat_within("spin", spin, &["--timeout", "100ms"], &[]);
    assert_eq!(got.status, Some(134), "{}", got.stderr);
    assert!(got.stderr.contains("wasm backtrace:"), "{}", got.stderr);
    assert!(got.stderr.contains("!spin"), "{}", got.stderr);
}

/// A trap deep in a recursion reports the innermost and outermost frames and the count of
/// those between, not every frame.
#[test]
fn deep_backtraces_are_shortened() {
    let recurse = r#"(module (func $recurse (export "_start") call $recurse))"#;
    let got = run_wat_within("recurse", recurse, &["--max-wasm-stack", "8388608"], &[]);
    assert_eq!(got.status, Some(134), "{}", got.stderr);
    let frames = got
        .stderr
        .lines()
        .filter(|l| l.contains("!recurse"))
        .count();
    assert_eq!(frames, 30, "{}", got.stderr);
    // (8 MiB - 8) / 64 bytes per frame = 131,071 frames deep, of which 30 are shown.
    assert!(
        got.stderr.contains("... 131041 frames omitted ..."),
        "{}",
        got.stderr
    );
    assert!(got.stderr.len() < 4096, "{} bytes", got.stderr.len());
}

/// Runs `weft ARGS...` with its standard output a pipe whose reader is already closed.
fn run_into_closed_pipe(dir: &Path, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("weft runs")
}

/// `weft` does not panic when its standard output is gone (`weft ... | head -c0`).
#[test]
fn a_closed_stdout_ends_output_quietly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let wat = r#"(module (memory (export "memory") 1)
        (func (export "add") (param i32 i32) (result i32)
            (i32.add (local.get 0) (local.get 1))))"#;
    fs::write(dir.path().join("add.wat"), wat).expect("write module");
    for args in [
        &["inspect", "add.wat"][..],
        &["run", "--invoke", "add", "add.wat", "1", "2"][..],
    ] {
        let output = run_into_closed_pipe(dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A guest writing to the closed pipe gets an error (EPIPE), and the host stays up.
    let hello = fixtures().join("wasm/hello.wasm");
    let output = run_into_closed_pipe(dir.path(), &["run", hello.to_str().expect("UTF-8")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

const ADD: &str = r#"(module (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))"#;

/// A bad `--invoke` argument is named: its position, its index and the type expected.
#[test]
fn invoke_argument_errors_name_the_argument() {
    let got = run_wat_within("add", ADD, &["--invoke", "add"], &["1", "two"]);
    assert_eq!(got.status, Some(1), "{}", got.stderr);
    assert!(
        got.stderr
            .contains("invalid argument 2 (index 1) of `add`: `two` is not a valid i64"),
        "{}",
        got.stderr
    );
    let got = run_wat_within("add", ADD, &["--invoke", "add"], &["1", "2"]);
    assert_eq!(
        (got.status, got.stdout.as_str()),
        (Some(0), "3\n"),
        "{}",
        got.stderr
    );
}

/// Too many or too few `--invoke` arguments are an error that says how many are expected.
#[test]
fn invoke_argument_count_must_match() {
    let got = run_wat_within("add", ADD, &["--invoke", "add"], &["1", "2", "3"]);
    assert_eq!(got.status, Some(1), "{}", got.stderr);
    assert!(
        got.stderr
            .contains("`add` takes 2 arguments (i32, i64) but 3 were given"),
        "{}",
        got.stderr
    );
    assert!(got.stdout.is_empty(), "the function ran: {}", got.stdout);
    let got = run_wat_within("add", ADD, &["--invoke", "add"], &["1"]);
    assert_eq!(got.status, Some(1), "{}", got.stderr);
    assert!(
        got.stderr
            .contains("`add` takes 2 arguments (i32, i64) but 1 was given"),
        "{}",
        got.stderr
    );
}

/// A `--timeout` whose number is too large says so.
#[test]
fn timeout_out_of_range_says_so() {
    for timeout in ["1e400", "1e400s", "1e30ms"] {
        let got = run_wat_within("spin", SPIN, &["--timeout", timeout], &[]);
        assert_eq!(got.status, Some(2), "{}", got.stderr);
        assert!(got.stderr.contains("out of range"), "{}", got.stderr);
        assert!(!got.stderr.contains("unit"), "{}", got.stderr);
    }
    let got = run_wat_within("spin", SPIN, &["--timeout", "1e2ms"], &[]);
    assert_eq!(got.status, Some(134), "{}", got.stderr);
    assert!(got.stderr.contains("--timeout of 100ms"), "{}", got.stderr);
}

/// A WASI 0.2 command whose `wasi:cli/run` does `BODY` (core code with `$sleep` (ns),
/// `$exit` (0 = ok), `$exit_code` and a result: 0 for `ok`, 1 for `err`).
fn command_component(body: &str) -> String {
    format!(
        r#"(component
  (import "wasi:io/poll@0.2.0" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.block" (func (param "self" (borrow $p))))))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.3" (instance $clock
    (export "pollable" (type $p (eq $pollable)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p))))))
  (import "wasi:cli/exit@0.2.12" (instance $exit
    (export "exit" (func (param "status" (result))))
    (export "exit-with-code" (func (param "status-code" u8)))))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core func $sub (canon lower (func $clock "subscribe-duration")))
  (core func $exit (canon lower (func $exit "exit")))
  (core func $exit_code (canon lower (func $exit "exit-with-code")))
  (core module $m
    (import "host" "block" (func $block (param i32)))
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "exit" (func $exit (param i32)))
    (import "host" "exit-code" (func $exit_code (param i32)))
    (func $sleep (param i64) (call $block (call $sub (local.get 0))))
    (func $spin (loop br 0))
    (func $run (export "run") (result i32) {body}))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "block" (func $block))
      (export "sub" (func $sub))
      (export "exit" (func $exit))
      (export "exit-code" (func $exit_code))))))
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run_instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run_instance)))"#
    )
}

/// `wasi:cli/run` and `wasi:cli/exit` give the process its status: `ok` is 0, `err` is 1,
/// `exit-with-code(n)` is `n`.
#[test]
fn component_exit_statuses() {
    for (body, status) in [
        ("(i32.const 0)", 0),
        ("(i32.const 1)", 1),
        ("(call $exit (i32.const 0)) (i32.const 1)", 0),
        ("(call $exit (i32.const 1)) (i32.const 0)", 1),
        ("(call $exit_code (i32.const 42)) (i32.const 0)", 42),
        ("(i32.const 2)", 134),
    ] {
        let got = run_wat_within("status", &command_component(body), &[], &[]);
        assert_eq!(got.status, Some(status), "{body}: {}", got.stderr);
    }
}

/// `--timeout` ends a component asleep in `pollable.block`, and one spinning in WebAssembly.
#[test]
fn timeout_flag_interrupts_a_component() {
    for body in [
        "(call $sleep (i64.const -1)) (i32.const 0)",
        "(call $spin) (i32.const 0)",
    ] {
        let got = run_wat_within("sleep", &command_component(body), &["--timeout", "1s"], &[]);
        assert_eq!(
            got.status,
            Some(134),
            "{body}: took {:?}: {}",
            got.took,
            got.stderr
        );
        assert!(
            got.took < std::time::Duration::from_secs(5),
            "{:?}",
            got.took
        );
        assert!(
            got.stderr.contains("--timeout of 1s expired"),
            "{}",
            got.stderr
        );
    }
}

/// `--fuel` stops a spinning component as it stops a module.
#[test]
fn fuel_flag_stops_a_component() {
    let got = run_wat_within(
        "fuel",
        &command_component("(call $spin) (i32.const 0)"),
        &["--fuel", "100000"],
        &[],
    );
    assert_eq!(got.status, Some(134), "{}", got.stderr);
    assert!(
        got.stderr.contains("--fuel limit of 100000"),
        "{}",
        got.stderr
    );
}

/// A component blocked in `blocking-read` on a stdin that stays open and silent is stopped
/// by `--timeout`, without spinning meanwhile.
#[test]
fn timeout_flag_interrupts_a_component_waiting_for_stdin() {
    let started = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["run", "--timeout", "500ms"])
        .arg(fixtures().join("p2/wasm/stdin_upper.wasm"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weft runs");
    // Held open (and silent) until weft has exited.
    let stdin = child.stdin.take();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for weft") {
            break status.code();
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(stdin);
    let output = child.wait_with_output().expect("weft's stderr");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(stderr.contains("--timeout of 500ms expired"), "{stderr}");
    assert!(stderr.contains("blocking_read"), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
