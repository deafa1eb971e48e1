//! `bindgen!`: Rust bindings for a WIT world, shaped like Wasmtime's synchronous
//! `wasmtime::component::bindgen!`.
//!
//! The input names a WIT package (a file, or a directory with its `deps/`, relative to
//! `CARGO_MANIFEST_DIR`, or inline text) and a world in it. `wit-parser` resolves the
//! package; [`generate`] walks the world and writes, for the imports, one module per
//! interface with its types, a `Host` trait (and a `Host<Resource>` trait per resource) and
//! an `add_to_linker` function, and for the exports, the world's struct with
//! `instantiate` / `new` / `call_<func>` and a `Guest` struct per exported interface.
//!
//! Options Wasmtime has but Weft cannot honour (`async`, per-function `store` or `tracing`
//! flags, `trappable_error_type`, ...) are refused with a compile error naming them, rather
//! than ignored.

mod generate;
mod names;

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Error, LitStr, Result, Token, braced, bracketed};

/// Where the WIT comes from.
enum Source {
    Path(Vec<LitStr>),
    Inline(LitStr),
}

/// The parsed options of one `bindgen!` invocation.
pub struct Options {
    sources: Vec<Source>,
    world: Option<LitStr>,
    /// `with: { "ns:pkg/iface.res": path::Type }`.
    with: Vec<(String, syn::Path)>,
    /// Every import is trappable.
    trappable_default: bool,
    /// Imports made trappable by name (`"ns:pkg/iface.func"`, an interface, or a world-level
    /// function name).
    trappable: Vec<String>,
    additional_derives: Vec<syn::Path>,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let mut opts = Options {
            sources: Vec::new(),
            world: None,
            with: Vec::new(),
            trappable_default: false,
            trappable: Vec::new(),
            additional_derives: Vec::new(),
        };
        if input.is_empty() {
            return Ok(opts);
        }
        if input.peek(syn::token::Brace) {
            let content;
            braced!(content in input);
            while !content.is_empty() {
                opts.parse_field(&content)?;
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
        } else {
            // `"world"`, `"world" in "path"` or `in "path"`.
            if input.peek(LitStr) {
                opts.world = Some(input.parse()?);
            }
            if input.peek(Token![in]) {
                input.parse::<Token![in]>()?;
                opts.sources.push(Source::Path(vec![input.parse()?]));
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the `bindgen!` options"));
        }
        Ok(opts)
    }
}

/// Options of Wasmtime's `bindgen!` that Weft's refuses, with the reason.
const REFUSED: &[(&str, &str)] = &[
    (
        "async",
        "Weft has no component async: only synchronous bindings are generated",
    ),
    (
        "trappable_error_type",
        "map errors in the host functions, which may return `weft::Result` with `trappable`",
    ),
    ("ownership", "generated types always own their data"),
    ("interfaces", "use `world` with `path` or `inline`"),
    ("named_imports", "not supported"),
    ("require_store_data_send", "not supported"),
    ("wasmtime_crate", "the generated code refers to `::weft`"),
    ("anyhow", "trappable imports return `weft::Result`"),
    ("tracing", "not supported"),
    ("verbose_tracing", "not supported"),
    ("debug", "not supported"),
    ("include_generated_code_from_file", "not supported"),
    ("stringify", "not supported"),
    ("skip_mut_forwarding_impls", "not supported"),
    ("concurrent_imports", "Weft has no component async"),
    ("concurrent_exports", "Weft has no component async"),
];

impl Options {
    fn parse_field(&mut self, input: ParseStream<'_>) -> Result<()> {
        // `async` is a keyword: take any identifier, keywords included.
        let key: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
        input.parse::<Token![:]>()?;
        let name = key.to_string();
        match name.as_str() {
            "path" => {
                if input.peek(syn::token::Bracket) {
                    let list;
                    bracketed!(list in input);
                    let paths = list.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                    self.sources.push(Source::Path(paths.into_iter().collect()));
                } else {
                    self.sources.push(Source::Path(vec![input.parse()?]));
                }
            }
            "inline" => self.sources.push(Source::Inline(input.parse()?)),
            "world" => self.world = Some(input.parse()?),
            "with" => {
                let map;
                braced!(map in input);
                while !map.is_empty() {
                    let key: LitStr = map.parse()?;
                    map.parse::<Token![:]>()?;
                    let path: syn::Path = map.parse()?;
                    self.with.push((key.value(), path));
                    if map.is_empty() {
                        break;
                    }
                    map.parse::<Token![,]>()?;
                }
            }
            "trappable_imports" => {
                if input.peek(syn::LitBool) {
                    self.trappable_default = input.parse::<syn::LitBool>()?.value;
                } else {
                    let list;
                    bracketed!(list in input);
                    let names = list.parse_terminated(<LitStr as Parse>::parse, Token![,])?;
                    self.trappable.extend(names.iter().map(LitStr::value));
                }
            }
            "imports" | "exports" => {
                let exports = name == "exports";
                let map;
                braced!(map in input);
                while !map.is_empty() {
                    let target = if map.peek(LitStr) {
                        Some(map.parse::<LitStr>()?.value())
                    } else {
                        let default: syn::Ident = map.parse()?;
                        if default != "default" {
                            return Err(Error::new(
                                default.span(),
                                "expected `default` or a function name in quotes",
                            ));
                        }
                        None
                    };
                    map.parse::<Token![:]>()?;
                    loop {
                        let flag: syn::Ident = map.call(syn::ext::IdentExt::parse_any)?;
                        match (exports, flag.to_string().as_str()) {
                            (false, "trappable") => match &target {
                                Some(t) => self.trappable.push(t.clone()),
                                None => self.trappable_default = true,
                            },
                            (_, "async") => {
                                return Err(Error::new(
                                    flag.span(),
                                    "`bindgen!` option `async` is not supported: Weft has no \
                                     component async, only synchronous bindings are generated",
                                ));
                            }
                            (_, other) => {
                                return Err(Error::new(
                                    flag.span(),
                                    format!(
                                        "`bindgen!` {name} flag `{other}` is not supported by \
                                         Weft{}",
                                        if exports {
                                            ""
                                        } else {
                                            " (only `trappable` is)"
                                        }
                                    ),
                                ));
                            }
                        }
                        if !map.peek(Token![|]) {
                            break;
                        }
                        map.parse::<Token![|]>()?;
                    }
                    if map.is_empty() {
                        break;
                    }
                    map.parse::<Token![,]>()?;
                }
            }
            "additional_derives" => {
                let list;
                bracketed!(list in input);
                let paths = list.parse_terminated(syn::Path::parse_mod_style, Token![,])?;
                self.additional_derives.extend(paths);
            }
            other => {
                // `async: false` is what Weft does anyway.
                if other == "async" && input.peek(syn::LitBool) {
                    let value: syn::LitBool = input.parse()?;
                    if !value.value {
                        return Ok(());
                    }
                }
                let reason = REFUSED
                    .iter()
                    .find(|(n, _)| *n == other)
                    .map_or("unknown option", |(_, why)| why);
                return Err(Error::new(
                    key.span(),
                    format!("`bindgen!` option `{other}` is not supported by Weft: {reason}"),
                ));
            }
        }
        Ok(())
    }
}

/// Expands `bindgen!(input)`.
pub fn expand(input: TokenStream) -> Result<TokenStream> {
    let opts: Options = syn::parse2(input)?;
    let (resolve, packages, files) = load(&opts)?;
    let world = resolve
        .select_world(&packages, opts.world.as_ref().map(LitStr::value).as_deref())
        .map_err(|e| {
            Error::new(
                opts.world
                    .as_ref()
                    .map_or_else(Span::call_site, LitStr::span),
                format!("{e:#}"),
            )
        })?;
    let mut tokens = generate::generate(&resolve, world, &opts)?;
    // Rebuild when a WIT file changes.
    for path in files {
        if let Some(path) = path.to_str() {
            let path = LitStr::new(path, Span::call_site());
            tokens.extend(quote::quote! { const _: &str = include_str!(#path); });
        }
    }
    Ok(tokens)
}

/// Parses the WIT sources into one `Resolve`, returning the packages they define.
#[allow(clippy::type_complexity)]
fn load(
    opts: &Options,
) -> Result<(
    wit_parser::Resolve,
    Vec<wit_parser::PackageId>,
    Vec<std::path::PathBuf>,
)> {
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let mut resolve = wit_parser::Resolve::default();
    let mut packages = Vec::new();
    let mut files = Vec::new();
    let default_source = Source::Path(vec![LitStr::new("wit", Span::call_site())]);
    let mut sources: Vec<&Source> = opts.sources.iter().collect();
    if !sources.iter().any(|s| matches!(s, Source::Path(_))) && sources.is_empty() {
        sources.push(&default_source);
    }
    // Paths first, so that inline WIT can use the packages they define.
    sources.sort_by_key(|s| matches!(s, Source::Inline(_)));
    for source in sources {
        match source {
            Source::Path(paths) => {
                for lit in paths {
                    let path = root.join(lit.value());
                    let (pkg, map) = resolve
                        .push_path(&path)
                        .map_err(|e| Error::new(lit.span(), format!("{e:?}")))?;
                    files.extend(map.paths().map(std::path::Path::to_path_buf));
                    packages.push(pkg);
                }
            }
            Source::Inline(text) => {
                let pkg = resolve
                    .push_str("inline.wit", &text.value())
                    .map_err(|e| Error::new(text.span(), format!("{e:?}")))?;
                packages.push(pkg);
            }
        }
    }
    Ok((resolve, packages, files))
}
