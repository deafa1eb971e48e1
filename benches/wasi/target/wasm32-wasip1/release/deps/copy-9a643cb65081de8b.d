/work/wt/p2/benches/wasi/target/wasm32-wasip1/release/deps/copy-9a643cb65081de8b.d: copy/src/main.rs

/work/wt/p2/benches/wasi/target/wasm32-wasip1/release/deps/copy-9a643cb65081de8b.wasm: copy/src/main.rs

copy/src/main.rs:
