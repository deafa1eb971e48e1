//! Raw bytes → `Module::validate` and `Module::new`: never a crash, and the two always agree
//! on a binary.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::{Engine, Module};
use weft_fuzz::harness;

static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engines = ENGINES.get_or_init(|| {
        harness::engines(false).unwrap_or_else(|e| panic!("cannot create the engines: {e}"))
    });
    for engine in engines {
        let validated = Module::validate(engine, data);
        let compiled = Module::new(engine, data);
        if data.starts_with(b"\0asm") {
            assert_eq!(
                validated.is_ok(),
                compiled.is_ok(),
                "Module::validate and Module::new disagree: {validated:?} vs {:?}",
                compiled.as_ref().err()
            );
        }
    }
});
