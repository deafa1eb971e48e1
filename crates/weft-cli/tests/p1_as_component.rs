//! Preview 1 programs as components: every preview 1 command program (`fixtures/wasm/`, and the
//! `fixtures/wat/` modules that import preview 1 and export `_start`) that a case of
//! `fixtures/cases/` runs as a command is wrapped at test time with `wit-component` and the command
//! adapter of `wasi-preview1-component-adapter-provider` into a WASI 0.2 command component,
//! run through `weft run` (the component path), and compared with what Wasmtime produced for
//! the module itself (`fixtures/expected/`), the same way `run.rs` compares the module runs.
//!
//! The differences that follow from what the adapter does are listed in [`DIFFERENCES`] with
//! their reasons; every other case must match the module exactly (up to the runtime's own
//! error report, as in `run.rs`).
//!
//! Nothing generated is committed: the adapter comes from the crate and wrapping a fixture
//! takes a fraction of a second.

#![allow(
    clippy::expect_used,
    reason = "a test's setup failing is a test failure"
)]

mod common;

use common::{Outcome, fixtures, run_in_case_dir};
use std::fs;
use std::path::{Path, PathBuf};
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
};

/// The preview 1 module `bytes` as a WASI 0.2 command component.
fn wrap(bytes: &[u8]) -> Vec<u8> {
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(bytes)
        .expect("the module is accepted by wit-component")
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        )
        .expect("the command adapter is accepted")
        .encode()
        .expect("the module wraps into a component")
}

/// Whether `arg` names a preview 1 command program: a built program of `fixtures/wasm/`, or a
/// text module of `fixtures/wat/` that imports preview 1 and exports `_start`.
fn is_p1_program(arg: &str) -> bool {
    let fixtures = fixtures();
    let fixtures = fixtures.to_str().expect("UTF-8 path");
    if arg.starts_with(&format!("{fixtures}/wasm/")) {
        return Path::new(arg).is_file();
    }
    arg.starts_with(&format!("{fixtures}/wat/"))
        && fs::read_to_string(arg).is_ok_and(|text| {
            text.contains("\"wasi_snapshot_preview1\"") && text.contains("(export \"_start\")")
        })
}

/// The arguments of case `name` with `{fixtures}` filled in, or `None` when the case does not
/// run a preview 1 command program (see [`is_p1_program`]) as a command (`--invoke` calls an
/// export of the module, which the component does not have).
fn case_args(name: &str) -> Option<Vec<String>> {
    let fixtures = fixtures();
    let fixtures = fixtures.to_str().expect("UTF-8 path");
    let args: Vec<String> = fs::read_to_string(fixtures_case(name).join("args"))
        .expect("args file")
        .lines()
        .map(|l| l.replace("{fixtures}", fixtures))
        .collect();
    let runs_p1 =
        args.iter().any(|a| is_p1_program(a)) && !args.iter().any(|a| a.starts_with("--invoke"));
    runs_p1.then_some(args)
}

fn fixtures_case(name: &str) -> PathBuf {
    fixtures().join("cases").join(name)
}

/// Runs case `name` through `weft` with its program replaced by the wrapped component.
fn run_wrapped(name: &str) -> Outcome {
    let case = fixtures_case(name);
    let mut args = case_args(name).expect("a case that runs a preview 1 program");
    let components = tempfile::tempdir().expect("temporary directory");
    for arg in &mut args {
        if is_p1_program(arg) {
            let module = wat::parse_file(&*arg).expect("read the module");
            let file = components.path().join("component.wasm");
            fs::write(&file, wrap(&module)).expect("write the component");
            *arg = file.to_str().expect("UTF-8 path").to_owned();
            break;
        }
    }
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
        guest.push(line);
    }
    (guest, None)
}

/// How a wrapped case is expected to differ from the module, by what the adapter does rather
/// than by a fault of either runtime.
enum Difference {
    /// The same outcome as the module.
    None,
    /// The same outcome except the exit status.
    ExitStatus(i32),
    /// The adapter traps (`unreachable`) in the preview 1 function `function`, which it does
    /// not implement: the program's output is the module's up to the first stdout line
    /// starting with `function`, then the adapter's one-line message on stderr and a trap
    /// report whose backtrace names `function`.
    AdapterTrap {
        /// The preview 1 function the adapter traps in.
        function: &'static str,
    },
}

const EXIT_ERR: &str = "the adapter's `proc_exit` calls `wasi:cli/exit.exit` with `ok` for 0 \
    and `err` for any other code, and a runtime reports `exit(err)` as status 1, so \
    `proc_exit(N)` exits 1 for every N other than 0 (as `p2_exit_code` does)";

/// The cases whose wrapped program differs from the module: (case, difference, why).
const DIFFERENCES: &[(&str, Difference, &str)] = &[
    ("exit_code", Difference::ExitStatus(1), EXIT_ERR),
    ("proc_exit", Difference::ExitStatus(1), EXIT_ERR),
    (
        "hostile",
        Difference::AdapterTrap {
            function: "sock_accept",
        },
        "the adapter implements none of the `sock_*` functions: each is `unreachable!()`, \
         where a preview 1 host returns an errno (`NOTSOCK` or `BADF`)",
    ),
];

/// The expected difference of case `name`, and why.
fn difference(name: &str) -> (&'static Difference, &'static str) {
    DIFFERENCES
        .iter()
        .find(|(case, ..)| *case == name)
        .map_or((&Difference::None, "none"), |(_, difference, why)| {
            (difference, why)
        })
}

/// Runs case `name` wrapped and compares it with the module's expected outcome, up to the
/// case's [`Difference`].
fn check_wrapped(name: &str) {
    let expected = fixtures().join("expected").join(name);
    let read = |file: &str| fs::read(expected.join(file)).unwrap_or_default();
    let got = run_wrapped(name);
    let mut problems = Vec::new();
    let (difference, why) = difference(name);

    let module_status: i32 = String::from_utf8_lossy(&read("status"))
        .trim()
        .parse()
        .expect("status file");
    let status = match difference {
        Difference::None => module_status,
        Difference::ExitStatus(status) => *status,
        Difference::AdapterTrap { .. } => 134,
    };
    if got.status != status {
        problems.push(format!(
            "exit status {} (expected {status}; the module under Wasmtime: {module_status})",
            got.status
        ));
    }
    let mut expected_stdout = read("stdout");
    if let Difference::AdapterTrap { function } = difference {
        let text = String::from_utf8_lossy(&expected_stdout).into_owned();
        let cut = text
            .find(&format!("\n{function}"))
            .map_or(text.len(), |at| at + 1);
        expected_stdout = text.as_bytes()[..cut].to_vec();
    }
    if got.stdout != expected_stdout {
        problems.push(format!(
            "stdout differs:\n--- weft, wrapped\n{}\n--- expected\n{}",
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&expected_stdout)
        ));
    }
    let expected_stderr = String::from_utf8_lossy(&read("stderr")).into_owned();
    let (guest, report) = split_stderr(&got.stderr);
    let (mut expected_guest, _) = split_stderr(&expected_stderr);
    if let Difference::AdapterTrap { .. } = difference
        && let Some(last) = guest.last()
        && last.starts_with("unreachable executed at adapter line ")
    {
        expected_guest.push(last);
    }
    if guest != expected_guest {
        problems.push(format!(
            "stderr differs:\n--- weft, wrapped\n{}\n--- Wasmtime, module\n{expected_stderr}",
            got.stderr
        ));
    }
    let expects_report = match difference {
        Difference::AdapterTrap { .. } => true,
        _ => expected.join("runtime_error").exists(),
    };
    match (expects_report, &report) {
        (true, None) => problems.push(format!("no error report on stderr:\n{}", got.stderr)),
        (false, Some(report)) => problems.push(format!("unexpected error report:\n{report}")),
        _ => {}
    }
    if status == 134
        && let Some(ours) = &report
        && !ours.contains("wasm backtrace:")
    {
        problems.push(format!("trap report without a wasm backtrace:\n{ours}"));
    }
    if let (Difference::AdapterTrap { function }, Some(ours)) = (difference, &report)
        && !(ours.contains("unreachable") && ours.contains(&format!("!{function}\n")))
    {
        problems.push(format!(
            "not an `unreachable` trap in the adapter's `{function}`:\n{ours}"
        ));
    }
    let expected_tree = String::from_utf8_lossy(&read("tree")).into_owned();
    if got.tree != expected_tree {
        problems.push(format!(
            "directory tree differs:\n--- weft, wrapped\n{}--- Wasmtime, module\n{expected_tree}",
            got.tree
        ));
    }
    assert!(
        problems.is_empty(),
        "case `{name}` wrapped as a component (expected difference from the module: \
         {why}):\n{}",
        problems.join("\n")
    );
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_wrapped(stringify!($name));
            }
        )*

        /// Every case that runs a preview 1 program of `fixtures/wasm/` has a test above.
        #[test]
        fn every_p1_program_case_is_tested() {
            let listed = [$(stringify!($name)),*];
            let mut missing = Vec::new();
            for entry in fs::read_dir(fixtures().join("cases")).expect("cases directory").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if case_args(&name).is_some() && !listed.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "preview 1 cases without a wrapped test: {missing:?}");
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
    json_regex,
    panic,
    proc_exit,
    stdin_upper,
}
