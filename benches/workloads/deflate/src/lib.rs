//! Deflate then inflate a generated buffer of text mixed with noise, with `miniz_oxide`:
//! branchy library code with hash-chain matching, bit I/O and table lookups.

use bench_common::{Fnv, Rng, push_words};
use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec;

/// Approximate size of the input in bytes.
const LEN: usize = 256 * 1024;
/// Compression level (miniz's default).
const LEVEL: u8 = 6;

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0003);
    let mut text = String::with_capacity(LEN + 64);
    while text.len() < LEN {
        push_words(&mut rng, &mut text, 40);
        text.push('\n');
        if rng.below(4) == 0 {
            // A run of incompressible bytes, as hex so the buffer stays text.
            for _ in 0..16 {
                let b = rng.next_u64() as u8;
                text.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                text.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
            }
            text.push('\n');
        }
    }
    let input = text.into_bytes();
    let packed = compress_to_vec(&input, LEVEL);
    let unpacked = match decompress_to_vec(&packed) {
        Ok(v) => v,
        Err(_) => return -1,
    };
    if unpacked != input {
        return -2;
    }
    let mut hash = Fnv::default();
    hash.write_u64(input.len() as u64);
    hash.write_u64(packed.len() as u64);
    hash.write(&packed);
    hash.finish() as i64
}
