//! Runnable examples of Weft's embedding API, one file each: `cargo run -p weft-examples
//! --example hello`. `cargo test -p weft-examples` runs every example's `main` as a test.
