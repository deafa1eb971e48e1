//! The `component` fuzz target's logic on stable Rust, over a deterministic set of inputs:
//! every seed as it is, and a few thousand pseudo-random raw and mutated inputs.

use weft_fuzz::{component, harness};

/// A xorshift generator, so that the inputs are the same on every run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn seeds_compile_instantiate_and_run() {
    let engine =
        harness::engine(weft::CompilationMode::Eager, harness::Limit::Fuel).expect("engine");
    let seeds = component::seeds().expect("every seed parses");
    for seed in &seeds {
        let reached = component::run(&engine, seed);
        assert!(reached.instantiated, "{reached:?}");
        assert!(reached.calls > 0, "{reached:?}");
    }
}

#[test]
fn generated_inputs_never_panic() {
    let engine =
        harness::engine(weft::CompilationMode::Eager, harness::Limit::Fuel).expect("engine");
    let seeds = component::seeds().expect("every seed parses");
    let count: u64 = std::env::var("WEFT_COMPONENT_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let (mut compiled, mut instantiated, mut calls, mut returned) = (0, 0, 0, 0);
    for _ in 0..count {
        let len = 2 + (next(&mut state) % 64) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
        // Mostly mutated seeds: raw bytes almost never get past the header.
        if !next(&mut state).is_multiple_of(8) {
            data[0] |= 1;
        }
        let bytes = component::input(&seeds, &data);
        let reached = component::run(&engine, &bytes);
        compiled += u32::from(reached.compiled);
        instantiated += u32::from(reached.instantiated);
        calls += reached.calls;
        returned += reached.returned;
    }
    eprintln!(
        "{count} inputs: {compiled} compiled, {instantiated} instantiated, {calls} calls, \
         {returned} returned"
    );
}
