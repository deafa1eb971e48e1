//! Prints `name checksum` for each SIMD workload, computed by the workload's code compiled for
//! the host: `benches/build.sh` checks that the `+simd128` wasm builds return the same.

fn main() {
    println!("matmul-simd {}", bench_matmul::run());
    println!("blur-simd {}", bench_blur::run());
}
