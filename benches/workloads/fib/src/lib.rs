//! Recursive Fibonacci: nearly all time goes to calls, returns and a compare-and-branch.

/// The argument; sized so that wasmi 2.0 needs roughly 100 ms (about 7 million calls).
const N: u32 = 32;

/// Doubly recursive Fibonacci. The result is mixed with `n` after the addition so LLVM
/// cannot turn the second call into a loop with an accumulator: both calls stay calls.
#[inline(never)]
fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let sum = fib(n - 1).wrapping_add(fib(n - 2));
    sum ^ u64::from(n & 1).wrapping_shl(63)
}

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    fib(N) as i64
}
