#!/usr/bin/env bash
# Builds the WASI benchmark programs of benches/wasi/ twice, for wasm32-wasip1 (core
# modules) and wasm32-wasip2 (WASI 0.2 components), and copies them to benches/wasm/wasi/ as
# NAME-p1.wasm and NAME-p2.wasm, which `weft-compare --suite wasi` reads. The built files are
# committed; run this after changing a program and commit the result.
#
#   rustup target add wasm32-wasip1 wasm32-wasip2   # once
#   benches/build-wasi.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
programs=(copy)
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
# Keep machine-specific paths out of panic-location strings.
export RUSTFLAGS="--remap-path-prefix=$cargo_home/registry/src=/cargo/registry/src --remap-path-prefix=$here/wasi=/wasi"
mkdir -p "$here/wasm/wasi"
for target in wasm32-wasip1 wasm32-wasip2; do
    cargo build --release --locked --target "$target" --manifest-path "$here/wasi/Cargo.toml"
    for name in "${programs[@]}"; do
        cp "$here/wasi/target/$target/release/$name.wasm" "$here/wasm/wasi/$name-${target#wasm32-wasi}.wasm"
    done
done
ls -l "$here/wasm/wasi"
