//! WIT names to Rust names, as Wasmtime's `bindgen!` converts them: kebab-case WIT
//! identifiers become `UpperCamelCase` types and cases, `snake_case` functions, fields and
//! modules, and `SHOUTY_SNAKE_CASE` flag constants; a Rust keyword gets a trailing `_`
//! (`type` → `type_`, the `self` parameter of a method → `self_`).

use proc_macro2::{Ident, Span};

/// Words Rust reserves, which cannot name a field, function or module.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The parts of a kebab-case WIT name (`http-request` → `http`, `request`).
fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(['-', '_']).filter(|w| !w.is_empty())
}

/// `UpperCamelCase`: each word capitalised, the rest lowercase (`HTTP-request` →
/// `HttpRequest`).
pub fn upper_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    escape(out)
}

/// `snake_case` (`echo-u32` → `echo_u32`).
pub fn snake(name: &str) -> String {
    let out = words(name)
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_");
    escape(out)
}

/// `SHOUTY_SNAKE_CASE`, for flag constants (`read-only` → `READ_ONLY`).
pub fn shouty(name: &str) -> String {
    let out = words(name)
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join("_");
    escape(out)
}

/// A keyword, or a name starting with a digit, gets a trailing `_`.
fn escape(name: String) -> String {
    let starts_with_digit = name.chars().next().is_some_and(|c| c.is_ascii_digit());
    if KEYWORDS.contains(&name.as_str()) || name.is_empty() {
        format!("{name}_")
    } else if starts_with_digit {
        format!("_{name}")
    } else {
        name
    }
}

/// An identifier for a converted name.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_camel_case() {
        assert_eq!(upper_camel("point"), "Point");
        assert_eq!(upper_camel("http-request"), "HttpRequest");
        assert_eq!(upper_camel("HTTP-request"), "HttpRequest");
        assert_eq!(upper_camel("convert"), "Convert");
        assert_eq!(upper_camel("u8-list"), "U8List");
        assert_eq!(upper_camel("self"), "Self_");
    }

    #[test]
    fn snake_case() {
        assert_eq!(snake("echo-u32"), "echo_u32");
        assert_eq!(
            snake("convert-celsius-to-fahrenheit"),
            "convert_celsius_to_fahrenheit"
        );
        assert_eq!(snake("HTTP-Request"), "http_request");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("self"), "self_");
        assert_eq!(snake("in"), "in_");
        assert_eq!(snake("move"), "move_");
        assert_eq!(snake("x"), "x");
    }

    #[test]
    fn shouty_case() {
        assert_eq!(shouty("read"), "READ");
        assert_eq!(shouty("read-only"), "READ_ONLY");
    }
}
