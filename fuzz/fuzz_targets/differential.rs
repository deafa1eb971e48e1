//! A wasm-smith module run in Weft and in wasmi: results, traps, globals, memories and
//! tables must agree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use weft::CompilationMode;
use weft_fuzz::oracle;

fuzz_target!(|data: &[u8]| {
    // The first byte picks Weft's compilation mode, so both are explored from one corpus.
    let mode = match data.first().copied().unwrap_or(0) & 1 {
        0 => CompilationMode::Eager,
        _ => CompilationMode::Lazy,
    };
    oracle::differential(data, mode);
});
