//! A wasm-smith module, precompiled, then its bytes mutated → `Module::deserialize` never
//! crashes, and a module it accepts runs (dummy imports, every export under fuel) without
//! crashing either. Inputs whose first byte is odd are given to `Module::deserialize` as
//! they are.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use weft::{CompilationMode, Engine, Module};
use weft_fuzz::harness::{self, Limit, Stats};

static ENGINE: OnceLock<Engine> = OnceLock::new();

/// Loads precompiled bytes.
fn load(engine: &Engine, bytes: &[u8]) -> weft::Result<Module> {
    // SAFETY: none needed: Weft verifies precompiled modules (what this target checks).
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize` has Wasmtime's unsafe signature"
    )]
    unsafe {
        Module::deserialize(engine, bytes)
    }
}

fuzz_target!(|data: &[u8]| {
    // Fuel bounds whatever a corrupted module's code does.
    let engine = ENGINE.get_or_init(|| {
        harness::engine(CompilationMode::Eager, Limit::Fuel)
            .unwrap_or_else(|e| panic!("cannot create the engine: {e}"))
    });
    let (&first, rest) = data.split_first().unwrap_or((&0, &[]));
    let bytes = if first % 2 == 1 {
        rest.to_vec()
    } else {
        // The first half of the input makes the module; the rest says how to mutate it.
        let (seed, edits) = rest.split_at(rest.len() / 2);
        let Some(wasm) = harness::generate(&harness::smith_config(), seed) else {
            return;
        };
        let mut bytes = engine
            .precompile_module(&wasm)
            .unwrap_or_else(|e| panic!("a generated module does not precompile: {e}"));
        let mut u = Unstructured::new(edits);
        while let (Ok(position), Ok(value)) = (u.arbitrary::<u32>(), u.arbitrary::<u8>()) {
            if bytes.is_empty() {
                break;
            }
            let position = position as usize % bytes.len();
            match value {
                0 => bytes.truncate(position),
                1 => {
                    bytes.remove(position);
                }
                _ => bytes[position] ^= value,
            }
        }
        bytes
    };
    if let Ok(module) = load(engine, &bytes) {
        let _ = harness::run(engine, &module, &mut Stats::default());
    }
});
