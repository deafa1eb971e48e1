#!/usr/bin/env bash
# Rebuilds the benchmark workloads in benches/workloads/ for wasm32-unknown-unknown,
# restricted to WebAssembly 2.0 features (no SIMD, no tail calls, no extended-const, ...),
# validates them, strips custom sections except `name`, copies them to benches/wasm/ and
# records their checksums (from running `run` under wasmi) in benches/wasm/checksums.txt.
#
# The SIMD workloads (`NAME-simd.wasm`) are the same sources built with `+simd128` as well:
# matmul, which LLVM vectorizes, and blur, written with `v128` intrinsics. Their checksums
# must equal those of the same code compiled for the host (benches/workloads/native), which
# the script checks.
#
# Usage: benches/build.sh [--no-checksums]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workloads="$here/workloads"
out="$here/wasm"
tools="$here/tools"

checksums=1
for arg in "$@"; do
    case "$arg" in
        --no-checksums) checksums=0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

# Every feature listed here is part of WebAssembly 2.0; `mvp` turns off everything else
# that the target would enable by default.
# The path remapping keeps machine-specific paths out of panic-location strings, so the
# modules do not depend on where the sources were built.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="-C target-cpu=mvp -C target-feature=+mutable-globals,+sign-ext,+nontrapping-fptoint,+bulk-memory,+multivalue,+reference-types --remap-path-prefix=$cargo_home/registry/src=/cargo/registry/src --remap-path-prefix=$workloads=/workloads"

names=(fib sieve matmul sha256 deflate markdown regex coremark)
simd_names=(matmul blur)

echo "building workloads..." >&2
cargo build --release --locked --target wasm32-unknown-unknown \
    --manifest-path "$workloads/Cargo.toml" $(printf -- '-p bench-%s ' "${names[@]}")

echo "building the SIMD workloads..." >&2
RUSTFLAGS="$RUSTFLAGS -C target-feature=+simd128" cargo build --release --locked --target wasm32-unknown-unknown \
    --manifest-path "$workloads/Cargo.toml" --target-dir "$workloads/target-simd" \
    $(printf -- '-p bench-%s ' "${simd_names[@]}")

echo "building wasm-prep..." >&2
# The tool runs on the host: do not let the wasm RUSTFLAGS reach it.
RUSTFLAGS="" cargo build --release --locked --manifest-path "$tools/Cargo.toml"
prep="$tools/target/release/wasm-prep"

mkdir -p "$out"
for name in "${names[@]}"; do
    "$prep" prep "$workloads/target/wasm32-unknown-unknown/release/bench_$name.wasm" "$out/$name.wasm"
done
for name in "${simd_names[@]}"; do
    "$prep" prep-simd "$workloads/target-simd/wasm32-unknown-unknown/release/bench_$name.wasm" "$out/$name-simd.wasm"
done
"$prep" prep-wat "$out/noop.wat" "$out/noop.wasm"

if [ "$checksums" = 1 ]; then
    tmp="$(mktemp)"
    {
        echo "# name checksum (the i64 returned by \`run\`, computed under wasmi by benches/build.sh)"
        for name in "${names[@]}"; do
            "$prep" checksum "$out/$name.wasm" | sed "s/^/$name /"
        done
        for name in "${simd_names[@]}"; do
            "$prep" checksum "$out/$name-simd.wasm" | sed "s/^/$name-simd /"
        done
    } > "$tmp"
    echo "computing the SIMD workloads' checksums natively..." >&2
    native="$(RUSTFLAGS="" cargo run --release --locked --manifest-path "$workloads/Cargo.toml" \
        --target-dir "$workloads/target-native" -p bench-native)"
    while read -r name sum; do
        if ! grep -qx "$name $sum" "$tmp"; then
            echo "error: $name returns a checksum other than native code's ($sum)" >&2
            exit 1
        fi
    done <<< "$native"
    chmod 644 "$tmp"
    mv "$tmp" "$out/checksums.txt"
    cat "$out/checksums.txt"
fi
ls -l "$out"
