//! What the tests that run the fixtures' cases share: where the fixtures are, what a run
//! produced, and the listing of a working directory compared with `fixtures/expected/`.

use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `fixtures/` directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// What a run produced.
pub struct Outcome {
    /// The standard output.
    pub stdout: Vec<u8>,
    /// The standard error.
    pub stderr: String,
    /// The exit status.
    pub status: i32,
    /// The working directory afterwards, as [`tree`] lists it.
    pub tree: String,
}

/// One line per entry under `root`, sorted bytewise: `dir  PATH`, `file PATH SIZE SHA256`,
/// `link PATH -> TARGET` (the same listing as `tree` in `fixtures/bless.sh`).
pub fn tree(root: &Path) -> String {
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

/// Copies the directory `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
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

/// Runs `weft ARGS` (`weft run ARGS` unless the case has a `shorthand` file) in a fresh
/// working directory laid out from the case directory `case`: its `input/` copied in, its
/// `symlinks` made, its `stdin` as standard input, and a cleared environment.
pub fn run_in_case_dir(case: &Path, mut args: Vec<String>) -> Outcome {
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
