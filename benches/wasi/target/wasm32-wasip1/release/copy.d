/work/wt/p2/benches/wasi/target/wasm32-wasip1/release/copy.wasm: /work/wt/p2/benches/wasi/copy/src/main.rs
