//! Helpers shared by the workloads: a deterministic pseudo-random generator, a 64-bit
//! FNV-1a checksum and a generator of English-like text.
#![no_std]

extern crate alloc;

use alloc::string::String;

/// A 64-bit linear congruential generator (Knuth's MMIX constants), output mixed with a
/// xorshift so the low bits are usable.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub const fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = self.0;
        x ^ (x >> 29) ^ (x >> 43)
    }

    /// A value in `0..n` (n > 0), slightly biased, which does not matter here.
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.next_u64() >> 32) % u64::from(n)) as u32
    }

    /// A float in `[0, 1)`.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// 64-bit FNV-1a, used as the checksum of byte outputs.
#[derive(Clone, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feeds `bytes` into the hash.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Feeds a 64-bit number (little endian) into the hash.
    pub fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// A small vocabulary for generated prose.
pub const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "module",
    "memory",
    "table",
    "function",
    "interpreter",
    "register",
    "stack",
    "value",
    "branch",
    "instruction",
    "compile",
    "engine",
    "store",
    "instance",
    "global",
    "export",
    "import",
    "weaving",
    "thread",
    "loom",
    "shuttle",
    "pattern",
    "cotton",
    "linen",
    "silk",
    "wool",
];

/// Appends `n` pseudo-random words separated by spaces, with occasional punctuation and
/// line breaks, to `out`.
pub fn push_words(rng: &mut Rng, out: &mut String, n: usize) {
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len() as u32) as usize]);
        match rng.below(16) {
            0 => out.push(','),
            1 => out.push('.'),
            _ => {}
        }
    }
}
