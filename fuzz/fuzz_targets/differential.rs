//! A wasm-smith module run in Weft and in wasmi: results, traps, globals, memories and
//! tables must agree.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    weft_fuzz::oracle::differential(data);
});
