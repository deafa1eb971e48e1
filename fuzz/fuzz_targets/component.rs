//! Raw bytes and mutated valid components → `Component::new`, instantiation with trapping
//! imports and calls of every export with default arguments: never a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::Engine;
use weft_fuzz::{component, harness};

static STATE: OnceLock<(Vec<Engine>, Vec<Vec<u8>>)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (engines, seeds) = STATE.get_or_init(|| {
        let engines =
            harness::engines(true).unwrap_or_else(|e| panic!("cannot create the engines: {e}"));
        let seeds = component::seeds().unwrap_or_else(|e| panic!("a seed does not parse: {e}"));
        (engines, seeds)
    });
    let bytes = component::input(seeds, data);
    for engine in engines {
        component::run(engine, &bytes);
    }
});
