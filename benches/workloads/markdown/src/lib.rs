//! Markdown to HTML with `pulldown-cmark` over a generated document with headings, inline
//! markup, links, lists, block quotes, code blocks and tables: branchy parsing code,
//! string building and many small allocations.

use bench_common::{Fnv, Rng, WORDS, push_words};
use pulldown_cmark::{Options, Parser, html};

/// How many sections the generated document has.
const SECTIONS: usize = 600;

/// A few words of inline markup chosen at random.
fn push_inline(rng: &mut Rng, out: &mut String) {
    let word = WORDS[rng.below(WORDS.len() as u32) as usize];
    match rng.below(8) {
        0 => {
            out.push('*');
            out.push_str(word);
            out.push('*');
        }
        1 => {
            out.push_str("**");
            out.push_str(word);
            out.push_str("**");
        }
        2 => {
            out.push('`');
            out.push_str(word);
            out.push_str("()`");
        }
        3 => {
            out.push('[');
            out.push_str(word);
            out.push_str("](https://example.org/");
            out.push_str(word);
            out.push_str("?id=");
            out.push_str(&rng.below(1000).to_string());
            out.push(')');
        }
        4 => {
            out.push_str(word);
            out.push_str(" &amp; <");
            out.push_str(word);
            out.push('>');
        }
        _ => push_words(rng, out, 3),
    }
}

/// A paragraph of prose with inline markup.
fn push_paragraph(rng: &mut Rng, out: &mut String) {
    let parts = 4 + rng.below(8);
    for _ in 0..parts {
        let n = 2 + rng.below(6) as usize;
        push_words(rng, out, n);
        out.push(' ');
        push_inline(rng, out);
        out.push(' ');
    }
    out.push_str("\n\n");
}

/// Generates the input document.
fn document(rng: &mut Rng) -> String {
    let mut doc = String::new();
    for section in 0..SECTIONS {
        doc.push_str(if section % 5 == 0 { "# " } else { "## " });
        push_words(rng, &mut doc, 4);
        doc.push_str("\n\n");
        push_paragraph(rng, &mut doc);
        match section % 4 {
            0 => {
                for item in 0..(3 + rng.below(5)) {
                    if rng.below(3) == 0 {
                        doc.push_str(&format!("{}. ", item + 1));
                    } else {
                        doc.push_str("- ");
                    }
                    push_inline(rng, &mut doc);
                    doc.push(' ');
                    push_words(rng, &mut doc, 5);
                    doc.push('\n');
                }
                doc.push('\n');
            }
            1 => {
                doc.push_str("> ");
                push_paragraph(rng, &mut doc);
                doc.push_str(
                    "```rust\nfn main() {\n    let x = 1 + 2;\n    println!(\"{x}\");\n}\n```\n\n",
                );
            }
            2 => {
                doc.push_str("| name | value | note |\n|---|--:|:--|\n");
                for _ in 0..(2 + rng.below(6)) {
                    doc.push_str("| ");
                    push_inline(rng, &mut doc);
                    doc.push_str(&format!(" | {} | ", rng.below(100_000)));
                    push_words(rng, &mut doc, 3);
                    doc.push_str(" |\n");
                }
                doc.push('\n');
            }
            _ => push_paragraph(rng, &mut doc),
        }
    }
    doc
}

/// Runs the workload and returns its checksum.
#[unsafe(no_mangle)]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0004);
    let doc = document(&mut rng);
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::with_capacity(doc.len() * 2);
    html::push_html(&mut out, Parser::new_ext(&doc, options));
    let mut hash = Fnv::default();
    hash.write_u64(doc.len() as u64);
    hash.write(out.as_bytes());
    hash.finish() as i64
}
