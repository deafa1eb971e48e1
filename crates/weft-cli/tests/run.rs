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

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// What a run produced.
struct Outcome {
    stdout: Vec<u8>,
    stderr: String,
    status: i32,
    tree: String,
}

/// One line per entry under `root`, sorted bytewise: `dir  PATH`, `file PATH SIZE SHA256`,
/// `link PATH -> TARGET` (the same listing as `tree` in `fixtures/bless.sh`).
fn tree(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&path).unwrap_or_default();
                out.push((rel.clone(), format!("link {rel} -> {}", target.display())));
            } else if meta.is_dir() {
                out.push((rel.clone(), format!("dir  {rel}")));
                walk(root, &path, out);
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                let hash: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                out.push((rel.clone(), format!("file {rel} {} {hash}", bytes.len())));
            }
        }
    }
    let mut entries = Vec::new();
    walk(root, root, &mut entries);
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries.into_iter().map(|(_, line)| line + "\n").collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from)
        .expect("readable input directory")
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            fs::create_dir_all(&target).expect("create directory");
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy input file");
        }
    }
}

/// Runs case `name` through `weft` in a fresh working directory.
fn run_case(name: &str) -> Outcome {
    let case = fixtures().join("cases").join(name);
    let work = tempfile::tempdir().expect("temporary directory");
    if case.join("input").is_dir() {
        copy_dir(&case.join("input"), work.path());
    }
    if let Ok(links) = fs::read_to_string(case.join("symlinks")) {
        for line in links.lines() {
            let (link, target) = line.split_once(' ').expect("`LINK TARGET`");
            std::os::unix::fs::symlink(target, work.path().join(link)).expect("make symlink");
        }
    }
    let fixtures = fixtures();
    let fixtures = fixtures.to_str().expect("UTF-8 path");
    let mut args: Vec<String> = fs::read_to_string(case.join("args"))
        .expect("args file")
        .lines()
        .map(|l| l.replace("{fixtures}", fixtures))
        .collect();
    if !case.join("shorthand").exists() {
        args.insert(0, "run".to_owned());
    }
    let stdin = match fs::File::open(case.join("stdin")) {
        Ok(file) => Stdio::from(file),
        Err(_) => Stdio::null(),
    };
    let output = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(&args)
        .current_dir(work.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("WEFT_FIXTURE_INHERITED", "inherited from the host")
        .stdin(stdin)
        .output()
        .expect("run weft");
    Outcome {
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.code().unwrap_or(-1),
        tree: tree(work.path()),
    }
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
