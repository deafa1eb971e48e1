//! Regular expressions with the `regex` crate over generated text: compiling a handful of
//! patterns (including Unicode classes), counting matches, capture groups and a
//! replace-all pass. Branchy automaton code with table lookups.

use bench_common::{Fnv, Rng, WORDS, push_words};
use regex::Regex;

/// How many lines of text are generated.
const LINES: usize = 2_000;

/// Generates text with e-mail addresses, dates, numbers and names mixed into prose.
fn text(rng: &mut Rng) -> String {
    let mut out = String::new();
    for line in 0..LINES {
        push_words(rng, &mut out, 6);
        let w = |rng: &mut Rng| WORDS[rng.below(WORDS.len() as u32) as usize];
        match line % 5 {
            0 => {
                let (a, b) = (w(rng), w(rng));
                let tld = ["com", "org", "net", "io"][rng.below(4) as usize];
                out.push_str(&format!(" {a}.{b}@{}.{tld}", w(rng)));
            }
            1 => out.push_str(&format!(
                " on {:04}-{:02}-{:02}",
                1990 + rng.below(40),
                1 + rng.below(12),
                1 + rng.below(28)
            )),
            2 => out.push_str(&format!(
                " costs {}.{:02} EUR",
                rng.below(10_000),
                rng.below(100)
            )),
            3 => {
                let mut name = String::from(w(rng));
                if let Some(first) = name.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                out.push_str(&format!(" said {name} Weaver"));
            }
            _ => out.push_str(" Straße café naïve"),
        }
        out.push(' ');
        push_words(rng, &mut out, 4);
        out.push('\n');
    }
    out
}

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0005);
    let haystack = text(&mut rng);
    let mut hash = Fnv::default();
    let patterns = [
        r"[\w.]+@\w+\.(?:com|org|net)\b",
        r"\b(\d{4})-(\d{2})-(\d{2})\b",
        r"(?i)\bth[aeiou]\w*",
        r"\b[A-Z][a-z]+ Weaver\b",
        r"\d+\.\d\d [A-Z]{3}",
        r"\p{L}+ß\p{L}*|caf\p{L}",
        r"(?m)^\w+ \w+ (?:module|memory|table)",
    ];
    for pattern in patterns {
        let Ok(re) = Regex::new(pattern) else {
            return -1;
        };
        let mut count = 0u64;
        for m in re.find_iter(&haystack) {
            count += 1;
            hash.write_u64(m.start() as u64);
        }
        hash.write_u64(count);
    }
    let Ok(dates) = Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b") else {
        return -1;
    };
    let mut years = 0u64;
    for caps in dates.captures_iter(&haystack) {
        if let Some(y) = caps.get(1) {
            years += y.as_str().parse::<u64>().unwrap_or(0);
        }
    }
    hash.write_u64(years);
    let swapped = dates.replace_all(&haystack, "$3/$2/$1");
    hash.write(swapped.as_bytes());
    hash.finish() as i64
}
