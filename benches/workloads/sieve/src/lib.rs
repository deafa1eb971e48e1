//! Sieve of Eratosthenes, run several times over slightly different limits: byte loads and
//! stores with bounds checks, tight loops.

use bench_common::Fnv;

/// Upper bound of the first sieve.
const LIMIT: usize = 1_000_000;
/// How many sieves are run (each one a little larger than the last).
const ROUNDS: usize = 4;

/// Counts the primes below `limit` and sums them.
fn sieve(flags: &mut Vec<u8>, limit: usize) -> (u64, u64) {
    flags.clear();
    flags.resize(limit, 1);
    if limit > 0 {
        flags[0] = 0;
    }
    if limit > 1 {
        flags[1] = 0;
    }
    let mut i = 2;
    while i * i < limit {
        if flags[i] != 0 {
            let mut j = i * i;
            while j < limit {
                flags[j] = 0;
                j += i;
            }
        }
        i += 1;
    }
    let mut count = 0u64;
    let mut sum = 0u64;
    for (n, &f) in flags.iter().enumerate() {
        if f != 0 {
            count += 1;
            sum += n as u64;
        }
    }
    (count, sum)
}

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut flags = Vec::new();
    let mut hash = Fnv::default();
    for round in 0..ROUNDS {
        let (count, sum) = sieve(&mut flags, LIMIT + round * 7919);
        hash.write_u64(count);
        hash.write_u64(sum);
    }
    hash.finish() as i64
}
