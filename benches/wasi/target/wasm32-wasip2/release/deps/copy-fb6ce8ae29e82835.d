/work/wt/p2/benches/wasi/target/wasm32-wasip2/release/deps/copy-fb6ce8ae29e82835.d: copy/src/main.rs

/work/wt/p2/benches/wasi/target/wasm32-wasip2/release/deps/copy-fb6ce8ae29e82835.wasm: copy/src/main.rs

copy/src/main.rs:
