//! A wasm-smith module → validate, compile, instantiate with dummy imports, call every export
//! under fuel: never a crash, and never a wrong answer that `harness::check` can detect.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::{CompilationMode, Engine};
use weft_fuzz::harness::{self, Expect, Stats};

static ENGINES: OnceLock<[Engine; 2]> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engines = ENGINES.get_or_init(|| {
        [CompilationMode::Eager, CompilationMode::Lazy]
            .map(|mode| harness::engine(mode).unwrap_or_else(|e| panic!("engine: {e}")))
    });
    let Some(bytes) = harness::generate(&harness::smith_config(), data) else {
        return;
    };
    // The first byte picks the compilation mode, so both are explored from one corpus.
    let engine = &engines[usize::from(data.first().copied().unwrap_or(0) & 1)];
    let mut stats = Stats::default();
    if let Err(message) = harness::check(engine, &bytes, Expect::Valid, &mut stats) {
        panic!("{message}");
    }
});
