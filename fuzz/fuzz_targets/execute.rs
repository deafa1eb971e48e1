//! A wasm-smith module → validate, compile, instantiate with dummy imports, call every export:
//! never a crash, and never a wrong answer that `harness::check` can detect.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::Engine;
use weft_fuzz::harness::{self, Expect, Stats};

static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    // wasm-smith modules terminate by themselves, so every configuration can run them.
    let engines = ENGINES.get_or_init(|| {
        harness::engines(false).unwrap_or_else(|e| panic!("cannot create the engines: {e}"))
    });
    let Some(bytes) = harness::generate(&harness::smith_config(), data) else {
        return;
    };
    // The first byte picks the configuration, so all are explored from one corpus.
    let engine = &engines[usize::from(data.first().copied().unwrap_or(0)) % engines.len()];
    let mut stats = Stats::default();
    if let Err(message) = harness::check(engine, &bytes, Expect::Valid, &mut stats) {
        panic!("{message}");
    }
});
