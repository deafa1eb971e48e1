//! Derives for the typed API of `weft::component`, shaped like Wasmtime's:
//! `#[derive(ComponentType, Lift, Lower)]` for records (`#[component(record)]` on a struct
//! with named fields), variants (`#[component(variant)]` on an enum whose cases have no or
//! one unnamed field) and enums (`#[component(enum)]` on an enum of unit cases), with
//! `#[component(name = "kebab-name")]` to give a field or case its component name (the Rust
//! name otherwise), and the function-like `flags!` for flags types.
//!
//! `bindgen!` generates Rust bindings for a WIT world, as Wasmtime's synchronous
//! `bindgen!` does (module `bindgen`).
//!
//! Use them through `weft::component`, which re-exports them; the generated code refers to
//! `::weft::component`.

mod bindgen;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Data, DeriveInput, Error, Fields, Ident, LitStr, Result, Token, Type};

/// `#[derive(ComponentType)]`: checks the Rust type against a component record, variant or
/// enum type by names and field types.
#[proc_macro_derive(ComponentType, attributes(component))]
pub fn derive_component_type(input: TokenStream) -> TokenStream {
    expand(input, Trait::ComponentType)
}

/// `#[derive(Lift)]`: lifts the record, variant or enum from a component instance.
#[proc_macro_derive(Lift, attributes(component))]
pub fn derive_lift(input: TokenStream) -> TokenStream {
    expand(input, Trait::Lift)
}

/// `#[derive(Lower)]`: lowers the record, variant or enum into a component instance.
#[proc_macro_derive(Lower, attributes(component))]
pub fn derive_lower(input: TokenStream) -> TokenStream {
    expand(input, Trait::Lower)
}

#[derive(Clone, Copy, PartialEq)]
enum Trait {
    ComponentType,
    Lift,
    Lower,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Record,
    Variant,
    Enum,
}

fn expand(input: TokenStream, which: Trait) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    match expand_derive(&input, which) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// The `#[component(...)]` attributes of an item: the style keyword and the name.
fn component_attrs(attrs: &[Attribute]) -> Result<(Option<Style>, Option<LitStr>)> {
    let mut style = None;
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("component")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("record") {
                style = Some(Style::Record);
            } else if meta.path.is_ident("variant") {
                style = Some(Style::Variant);
            } else if meta.path.is_ident("enum") {
                style = Some(Style::Enum);
            } else if meta.path.is_ident("name") {
                name = Some(meta.value()?.parse::<LitStr>()?);
            } else {
                return Err(meta.error("expected `record`, `variant`, `enum` or `name = \"...\"`"));
            }
            Ok(())
        })?;
    }
    Ok((style, name))
}

fn name_of(attrs: &[Attribute], ident: &Ident) -> Result<LitStr> {
    let (_, name) = component_attrs(attrs)?;
    Ok(name.unwrap_or_else(|| LitStr::new(&ident.to_string(), ident.span())))
}

struct Case {
    ident: Ident,
    name: LitStr,
    payload: Option<Type>,
}

fn expand_derive(input: &DeriveInput, which: Trait) -> Result<TokenStream2> {
    let (style, _) = component_attrs(&input.attrs)?;
    let Some(style) = style else {
        return Err(Error::new(
            Span::call_site(),
            "expected `#[component(record)]`, `#[component(variant)]` or `#[component(enum)]`",
        ));
    };
    let w = quote!(::weft::component);
    let i = quote!(::weft::component::__internal);
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    let bound = match which {
        Trait::ComponentType => quote!(#w::ComponentType),
        Trait::Lift => quote!(#w::Lift),
        Trait::Lower => quote!(#w::Lower),
    };
    let body = match (style, &input.data) {
        (Style::Record, Data::Struct(data)) => {
            let Fields::Named(fields) = &data.fields else {
                return Err(Error::new_spanned(
                    &input.ident,
                    "a record must be a struct with named fields",
                ));
            };
            let mut names = Vec::new();
            let mut idents = Vec::new();
            let mut types = Vec::new();
            for f in &fields.named {
                let Some(fi) = &f.ident else { continue };
                names.push(name_of(&f.attrs, fi)?);
                idents.push(fi.clone());
                types.push(f.ty.clone());
            }
            {
                let wc = generics.make_where_clause();
                for ty in &types {
                    wc.predicates.push(syn::parse_quote!(#ty: #bound));
                }
            }
            record(which, &w, &i, &names, &idents, &types)
        }
        (Style::Variant | Style::Enum, Data::Enum(data)) => {
            let mut cases = Vec::new();
            for v in &data.variants {
                let payload = match &v.fields {
                    Fields::Unit => None,
                    Fields::Unnamed(f) if f.unnamed.len() == 1 && style == Style::Variant => {
                        f.unnamed.first().map(|f| f.ty.clone())
                    }
                    _ => {
                        return Err(Error::new_spanned(
                            &v.ident,
                            if style == Style::Enum {
                                "an enum's cases must not have payloads"
                            } else {
                                "a variant case has no payload or one unnamed field"
                            },
                        ));
                    }
                };
                cases.push(Case {
                    ident: v.ident.clone(),
                    name: name_of(&v.attrs, &v.ident)?,
                    payload,
                });
            }
            if cases.is_empty() {
                return Err(Error::new_spanned(&input.ident, "needs at least one case"));
            }
            {
                let wc = generics.make_where_clause();
                for ty in cases.iter().filter_map(|c| c.payload.as_ref()) {
                    wc.predicates.push(syn::parse_quote!(#ty: #bound));
                }
            }
            variant(which, style, &w, &i, &cases)
        }
        (Style::Record, _) => {
            return Err(Error::new_spanned(
                &input.ident,
                "a record must be a struct",
            ));
        }
        _ => {
            return Err(Error::new_spanned(
                &input.ident,
                "a variant or enum must be a Rust enum",
            ));
        }
    };
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics #bound for #ident #ty_generics #where_clause {
            #body
        }
    })
}

fn record(
    which: Trait,
    w: &TokenStream2,
    i: &TokenStream2,
    names: &[LitStr],
    idents: &[Ident],
    types: &[Type],
) -> TokenStream2 {
    match which {
        Trait::ComponentType => quote! {
            fn typecheck(ty: &#i::Type) -> #i::Result<()> {
                #i::typecheck_record(ty, &[#((#names, <#types as #w::ComponentType>::typecheck)),*])
            }
        },
        Trait::Lower => quote! {
            fn lower_flat(
                &self,
                cx: &mut #w::LowerCx<'_>,
                ty: &#i::Type,
                out: &mut ::std::vec::Vec<u64>,
            ) -> #i::Result<()> {
                let types = #i::field_types(ty)?;
                let mut types = types.iter();
                #( #w::Lower::lower_flat(&self.#idents, cx, #i::next(&mut types)?, out)?; )*
                Ok(())
            }
            fn store(&self, cx: &mut #w::LowerCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<()> {
                let mut fields = #i::fields(ty, ptr)?;
                #({
                    let (t, p) = #i::next_field(&mut fields)?;
                    #w::Lower::store(&self.#idents, cx, t, p)?;
                })*
                Ok(())
            }
        },
        Trait::Lift => quote! {
            fn lift_flat(
                cx: &mut #w::LiftCx<'_>,
                ty: &#i::Type,
                src: &mut dyn #i::FlatValues,
            ) -> #i::Result<Self> {
                let types = #i::field_types(ty)?;
                let mut types = types.iter();
                Ok(Self {
                    #( #idents: <#types as #w::Lift>::lift_flat(cx, #i::next(&mut types)?, src)?, )*
                })
            }
            fn load(cx: &mut #w::LiftCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<Self> {
                let mut fields = #i::fields(ty, ptr)?;
                Ok(Self {
                    #( #idents: {
                        let (t, p) = #i::next_field(&mut fields)?;
                        <#types as #w::Lift>::load(cx, t, p)?
                    }, )*
                })
            }
        },
    }
}

fn variant(
    which: Trait,
    style: Style,
    w: &TokenStream2,
    i: &TokenStream2,
    cases: &[Case],
) -> TokenStream2 {
    let n = cases.len();
    let indices: Vec<u32> = (0..n as u32).collect();
    let idents: Vec<&Ident> = cases.iter().map(|c| &c.ident).collect();
    let names: Vec<&LitStr> = cases.iter().map(|c| &c.name).collect();
    match which {
        Trait::ComponentType => {
            if style == Style::Enum {
                return quote! {
                    fn typecheck(ty: &#i::Type) -> #i::Result<()> {
                        #i::typecheck_enum(ty, &[#(#names),*])
                    }
                };
            }
            let checks = cases.iter().map(|c| match &c.payload {
                Some(ty) => quote!(Some(<#ty as #w::ComponentType>::typecheck_payload)),
                None => quote!(None),
            });
            quote! {
                fn typecheck(ty: &#i::Type) -> #i::Result<()> {
                    #i::typecheck_variant(ty, &[#((#names, #checks)),*])
                }
            }
        }
        Trait::Lower => {
            let pats: Vec<TokenStream2> = cases
                .iter()
                .map(|c| {
                    let id = &c.ident;
                    match c.payload {
                        Some(_) => quote!(Self::#id(payload)),
                        None => quote!(Self::#id),
                    }
                })
                .collect();
            let values: Vec<TokenStream2> = cases
                .iter()
                .map(|c| match c.payload {
                    Some(_) => quote!(#i::payload(payload)),
                    None => quote!(None),
                })
                .collect();
            quote! {
                fn lower_flat(
                    &self,
                    cx: &mut #w::LowerCx<'_>,
                    ty: &#i::Type,
                    out: &mut ::std::vec::Vec<u64>,
                ) -> #i::Result<()> {
                    match self {
                        #( #pats => #i::lower_variant_flat(cx, ty, #indices, #values, out), )*
                    }
                }
                fn store(&self, cx: &mut #w::LowerCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<()> {
                    match self {
                        #( #pats => #i::store_variant(cx, ty, #indices, #values, ptr), )*
                    }
                }
            }
        }
        Trait::Lift => {
            let flat: Vec<TokenStream2> = cases
                .iter()
                .map(|c| {
                    let id = &c.ident;
                    match &c.payload {
                        Some(ty) => quote!(Self::#id(#i::lift_payload::<#ty>(cx, payload)?)),
                        None => quote!(Self::#id),
                    }
                })
                .collect();
            let mem: Vec<TokenStream2> = cases
                .iter()
                .map(|c| {
                    let id = &c.ident;
                    match &c.payload {
                        Some(ty) => quote!(Self::#id(#i::load_payload::<#ty>(cx, payload)?)),
                        None => quote!(Self::#id),
                    }
                })
                .collect();
            let _ = idents;
            quote! {
                fn lift_flat(
                    cx: &mut #w::LiftCx<'_>,
                    ty: &#i::Type,
                    src: &mut dyn #i::FlatValues,
                ) -> #i::Result<Self> {
                    #i::lift_variant_flat(cx, ty, src, |cx, index, payload| {
                        let _ = &payload;
                        Ok(match index {
                            #( #indices => #flat, )*
                            _ => return Err(#i::bad_discriminant(index, #n)),
                        })
                    })
                }
                fn load(cx: &mut #w::LiftCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<Self> {
                    #i::load_variant(cx, ty, ptr, |cx, index, payload| {
                        let _ = &payload;
                        Ok(match index {
                            #( #indices => #mem, )*
                            _ => return Err(#i::bad_discriminant(index, #n)),
                        })
                    })
                }
            }
        }
    }
}

/// One flags type of a `flags!` invocation.
struct FlagsType {
    attrs: Vec<Attribute>,
    vis: syn::Visibility,
    ident: Ident,
    flags: Vec<(Ident, LitStr, Vec<Attribute>)>,
}

struct FlagsInput(Vec<FlagsType>);

impl Parse for FlagsInput {
    fn parse(input: ParseStream<'_>) -> Result<Self> {
        let mut types = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis: syn::Visibility = input.parse()?;
            let ident: Ident = input.parse()?;
            let body;
            syn::braced!(body in input);
            let mut flags = Vec::new();
            while !body.is_empty() {
                let fattrs = body.call(Attribute::parse_outer)?;
                body.parse::<Token![const]>()?;
                let fident: Ident = body.parse()?;
                body.parse::<Token![;]>()?;
                let (_, name) = component_attrs(&fattrs)?;
                let name = name.unwrap_or_else(|| {
                    LitStr::new(
                        &fident.to_string().to_lowercase().replace('_', "-"),
                        fident.span(),
                    )
                });
                let docs = fattrs
                    .into_iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .collect();
                flags.push((fident, name, docs));
            }
            if flags.is_empty() {
                return Err(Error::new_spanned(&ident, "flags need at least one flag"));
            }
            types.push(FlagsType {
                attrs,
                vis,
                ident,
                flags,
            });
        }
        Ok(FlagsInput(types))
    }
}

/// `flags! { Name { #[component(name = "read")] const READ; ... } }`: a flags type with one
/// associated constant per flag, the set operators (`|`, `&`, `^`, `!`), `empty`, `all`,
/// `contains`, and `ComponentType`, `Lift` and `Lower`.
#[proc_macro]
pub fn flags(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as FlagsInput);
    let w = quote!(::weft::component);
    let i = quote!(::weft::component::__internal);
    let mut out = TokenStream2::new();
    for ty in input.0 {
        let FlagsType {
            attrs,
            vis,
            ident,
            flags,
        } = ty;
        let n = flags.len();
        let words = n.div_ceil(32).max(1);
        let consts = flags.iter().enumerate().map(|(bit, (fident, name, docs))| {
            let doc = format!("The flag `{}`.", name.value());
            let docs = if docs.is_empty() {
                quote!(#[doc = #doc])
            } else {
                quote!(#(#docs)*)
            };
            quote! {
                #docs
                pub const #fident: Self = Self::__bit(#bit);
            }
        });
        let names: Vec<&LitStr> = flags.iter().map(|(_, n, _)| n).collect();
        let fidents: Vec<&Ident> = flags.iter().map(|(f, _, _)| f).collect();
        let doc = format!("The flags type `{ident}`.");
        let words_field = format_ident!("__words");
        out.extend(quote! {
            #[doc = #doc]
            #(#attrs)*
            #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
            #vis struct #ident {
                #words_field: [u32; #words],
            }

            impl #ident {
                #(#consts)*

                const fn __bit(bit: usize) -> Self {
                    let mut words = [0u32; #words];
                    words[bit / 32] = 1 << (bit % 32);
                    Self { #words_field: words }
                }

                /// No flag set.
                pub const fn empty() -> Self {
                    Self { #words_field: [0u32; #words] }
                }

                /// Every flag set.
                pub fn all() -> Self {
                    let mut all = Self::empty();
                    #( all |= Self::#fidents; )*
                    all
                }

                /// Whether every flag of `other` is set in `self`.
                pub fn contains(&self, other: Self) -> bool {
                    (*self & other) == other
                }

                /// Whether no flag is set.
                pub fn is_empty(&self) -> bool {
                    *self == Self::empty()
                }
            }

            impl ::core::ops::BitOr for #ident {
                type Output = Self;
                fn bitor(mut self, rhs: Self) -> Self {
                    for (a, b) in self.#words_field.iter_mut().zip(rhs.#words_field) {
                        *a |= b;
                    }
                    self
                }
            }
            impl ::core::ops::BitOrAssign for #ident {
                fn bitor_assign(&mut self, rhs: Self) {
                    *self = *self | rhs;
                }
            }
            impl ::core::ops::BitAnd for #ident {
                type Output = Self;
                fn bitand(mut self, rhs: Self) -> Self {
                    for (a, b) in self.#words_field.iter_mut().zip(rhs.#words_field) {
                        *a &= b;
                    }
                    self
                }
            }
            impl ::core::ops::BitAndAssign for #ident {
                fn bitand_assign(&mut self, rhs: Self) {
                    *self = *self & rhs;
                }
            }
            impl ::core::ops::BitXor for #ident {
                type Output = Self;
                fn bitxor(mut self, rhs: Self) -> Self {
                    for (a, b) in self.#words_field.iter_mut().zip(rhs.#words_field) {
                        *a ^= b;
                    }
                    self
                }
            }
            impl ::core::ops::BitXorAssign for #ident {
                fn bitxor_assign(&mut self, rhs: Self) {
                    *self = *self ^ rhs;
                }
            }
            impl ::core::ops::Not for #ident {
                type Output = Self;
                fn not(self) -> Self {
                    self ^ Self::all()
                }
            }

            impl ::core::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    let mut set = ::std::vec::Vec::new();
                    #( if self.contains(Self::#fidents) { set.push(stringify!(#fidents)); } )*
                    write!(f, "{}({})", stringify!(#ident), set.join(" | "))
                }
            }

            impl #w::ComponentType for #ident {
                fn typecheck(ty: &#i::Type) -> #i::Result<()> {
                    #i::typecheck_flags(ty, &[#(#names),*])
                }
            }

            impl #w::Lower for #ident {
                fn lower_flat(
                    &self,
                    _cx: &mut #w::LowerCx<'_>,
                    _ty: &#i::Type,
                    out: &mut ::std::vec::Vec<u64>,
                ) -> #i::Result<()> {
                    #i::lower_flags_flat(&self.#words_field, out);
                    Ok(())
                }
                fn store(&self, cx: &mut #w::LowerCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<()> {
                    #i::store_flags(cx, ty, &self.#words_field, ptr)
                }
            }

            impl #w::Lift for #ident {
                fn lift_flat(
                    _cx: &mut #w::LiftCx<'_>,
                    ty: &#i::Type,
                    src: &mut dyn #i::FlatValues,
                ) -> #i::Result<Self> {
                    let mut words = [0u32; #words];
                    #i::lift_flags_flat(ty, src, &mut words)?;
                    Ok(Self { #words_field: words })
                }
                fn load(cx: &mut #w::LiftCx<'_>, ty: &#i::Type, ptr: u32) -> #i::Result<Self> {
                    let mut words = [0u32; #words];
                    #i::load_flags(cx, ty, ptr, &mut words)?;
                    Ok(Self { #words_field: words })
                }
            }
        });
    }
    out.into()
}

/// Rust bindings for a WIT world, shaped like Wasmtime's synchronous `bindgen!`:
/// `bindgen!("world" in "path")` or `bindgen!({ path: ..., world: ..., ... })`.
#[proc_macro]
pub fn bindgen(input: TokenStream) -> TokenStream {
    match bindgen::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
