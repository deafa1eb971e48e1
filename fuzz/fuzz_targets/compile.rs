//! Raw bytes → `Module::validate` and `Module::new`: never a crash, and the two always agree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::{CompilationMode, Engine, Module};
use weft_fuzz::harness;

static ENGINES: OnceLock<[Engine; 2]> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engines = ENGINES.get_or_init(|| {
        [CompilationMode::Eager, CompilationMode::Lazy]
            .map(|mode| harness::engine(mode).unwrap_or_else(|e| panic!("engine: {e}")))
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
