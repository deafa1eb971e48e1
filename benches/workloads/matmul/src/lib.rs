//! Dense f64 matrix multiply (i-k-j order): float loads, multiplies, adds and stores.

use bench_common::{Fnv, Rng};

/// Matrix dimension.
const N: usize = 160;

/// `c = a * b` for row-major `n x n` matrices.
fn matmul(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    c.fill(0.0);
    for i in 0..n {
        let row = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let aik = a[i * n + k];
            let brow = &b[k * n..(k + 1) * n];
            for (cij, &bkj) in row.iter_mut().zip(brow) {
                *cij += aik * bkj;
            }
        }
    }
}

/// Runs the workload and returns its checksum.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0001);
    let a: Vec<f64> = (0..N * N).map(|_| rng.unit_f64() * 2.0 - 1.0).collect();
    let b: Vec<f64> = (0..N * N).map(|_| rng.unit_f64() * 2.0 - 1.0).collect();
    let mut c = vec![0.0; N * N];
    let mut d = vec![0.0; N * N];
    matmul(&a, &b, &mut c, N);
    matmul(&c, &a, &mut d, N);
    let mut hash = Fnv::default();
    for x in &d {
        hash.write_u64(x.to_bits());
    }
    hash.finish() as i64
}
