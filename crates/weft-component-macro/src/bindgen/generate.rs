//! Code generation for `bindgen!` from a resolved WIT world.
//!
//! Every generated item refers to Weft by absolute paths (`::weft::component::...`) and to
//! other generated items by paths relative to its own module (`super::super::types::Point`),
//! so that the output works wherever the macro is invoked. Types keep the owned form
//! (`String`, `Vec<T>`) everywhere except in the parameters of exported functions, which
//! borrow (`&str`, `&[T]`, `&Record`) as Wasmtime's do.

use super::Options;
use super::names::{ident, shouty, snake, upper_camel};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{HashMap, HashSet};
use syn::{Error, Result};
use wit_parser::{
    Docs, Function, FunctionKind, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId,
    TypeOwner, WorldId, WorldItem, WorldKey,
};

fn err(msg: impl std::fmt::Display) -> Error {
    Error::new(Span::call_site(), msg.to_string())
}

/// A module of the output and the modules nested in it, in order of creation.
#[derive(Default)]
struct ModTree {
    docs: TokenStream,
    items: TokenStream,
    children: Vec<(String, ModTree)>,
}

impl ModTree {
    fn at(&mut self, path: &[String]) -> &mut ModTree {
        let Some((first, rest)) = path.split_first() else {
            return self;
        };
        let position = match self.children.iter().position(|(n, _)| n == first) {
            Some(p) => p,
            None => {
                self.children.push((first.clone(), ModTree::default()));
                self.children.len() - 1
            }
        };
        // The position was just found or pushed.
        let (_, child) = &mut self.children[position];
        child.at(rest)
    }

    fn into_tokens(self) -> TokenStream {
        let mut out = self.items;
        for (name, child) in self.children {
            let name = ident(&name);
            let docs = child.docs.clone();
            let body = child.into_tokens();
            out.extend(quote! {
                #docs
                #[allow(missing_docs, clippy::all, unused_imports, unused_mut, unused_variables)]
                pub mod #name {
                    #body
                }
            });
        }
        out
    }
}

/// How a type is spelled: owned everywhere but in the parameters of exported functions.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Owned,
    Borrowed,
}

struct Gen<'a> {
    resolve: &'a Resolve,
    opts: &'a Options,
    /// The module of each interface's types: imports first, then export-only interfaces
    /// under `exports`.
    iface_paths: HashMap<InterfaceId, Vec<String>>,
    /// Interfaces the world exports and does not import: their resources are the guest's.
    exported: HashSet<InterfaceId>,
    /// Imported resources mapped to a Rust type with `with`.
    with: HashMap<TypeId, syn::Path>,
    tree: ModTree,
}

/// Generates the bindings of `world`.
pub fn generate(resolve: &Resolve, world: WorldId, opts: &Options) -> Result<TokenStream> {
    let mut generator = Gen {
        resolve,
        opts,
        iface_paths: HashMap::new(),
        exported: HashSet::new(),
        with: HashMap::new(),
        tree: ModTree::default(),
    };
    generator.world(world)?;
    Ok(generator.tree.into_tokens())
}

fn docs(docs: &Docs) -> TokenStream {
    let Some(text) = &docs.contents else {
        return TokenStream::new();
    };
    let lines = text.lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

fn doc_attr(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}

impl Gen<'_> {
    fn world(&mut self, world_id: WorldId) -> Result<()> {
        let resolve = self.resolve;
        let world = &resolve.worlds[world_id];
        // Where each interface's items live.
        for (key, item) in &world.imports {
            if let WorldItem::Interface { id, .. } = item {
                let path = self.iface_module(key, *id)?;
                self.iface_paths.insert(*id, path);
            }
        }
        for (key, item) in &world.exports {
            if let WorldItem::Interface { id, .. } = item
                && !self.iface_paths.contains_key(id)
            {
                let mut path = vec!["exports".to_string()];
                path.extend(self.iface_module(key, *id)?);
                self.iface_paths.insert(*id, path);
                self.exported.insert(*id);
            }
        }
        self.resolve_with(world_id)?;

        let world_name = upper_camel(&world.name);
        let world_ident = ident(&world_name);

        // World-level types and imported functions.
        let mut root_types = TokenStream::new();
        let mut world_funcs = Vec::new();
        let mut world_resources = Vec::new();
        for item in world.imports.values() {
            match item {
                WorldItem::Type { id, .. } => {
                    root_types.extend(self.define_type(*id, &[])?);
                    if matches!(resolve.types[*id].kind, TypeDefKind::Resource) {
                        world_resources.push(*id);
                    }
                }
                WorldItem::Function(f) => world_funcs.push(f),
                WorldItem::Interface { .. } => {}
            }
        }
        self.tree.items.extend(root_types);

        // Imported interfaces.
        let mut import_paths = Vec::new();
        for (key, item) in &world.imports {
            if let WorldItem::Interface { id, .. } = item {
                let name = resolve.name_world_key(key);
                self.import_interface(&name, *id)?;
                import_paths.push(self.iface_paths.get(id).cloned().unwrap_or_default());
            }
        }

        // World-level imports: `<World>Imports` and `Host<Resource>` traits at the root.
        let imports_trait = format_ident!("{world_name}Imports");
        let has_world_imports = !world_funcs.is_empty() || !world_resources.is_empty();
        let mut linker_body = TokenStream::new();
        if has_world_imports {
            let funcs: Vec<&Function> = world_funcs.to_vec();
            let (traits, register) =
                self.host_traits(&imports_trait, None, &funcs, &world_resources, &[])?;
            self.tree.items.extend(traits);
            linker_body = register;
        }

        // Exports.
        let mut fields = Vec::new();
        let mut loads = Vec::new();
        let mut methods = TokenStream::new();
        let mut interface_count = 0usize;
        for (key, item) in &world.exports {
            match item {
                WorldItem::Function(f) => {
                    let field = format_ident!("{}", snake(&f.name));
                    let (load, call) = self.export_func(f, &field, &f.name, &[], None)?;
                    fields.push(quote!(#field: ::weft::component::Func));
                    loads.push(quote!(let #field = #load;));
                    methods.extend(call);
                }
                WorldItem::Interface { id, .. } => {
                    let name = resolve.name_world_key(key);
                    let path = self.export_interface(&name, *id)?;
                    let field = format_ident!("interface{interface_count}");
                    interface_count += 1;
                    let accessor = ident(&snake(&accessor_name(resolve, key)));
                    let ty = rel(&[], &path, &ident("Guest"));
                    fields.push(quote!(#field: #ty));
                    loads.push(quote!(let #field = #ty::new(&mut store, instance)?;));
                    let doc = doc_attr(&format!(
                        "The functions of the exported interface `{name}`."
                    ));
                    methods.extend(quote! {
                        #doc
                        pub fn #accessor(&self) -> &#ty {
                            &self.#field
                        }
                    });
                }
                WorldItem::Type { .. } => {}
            }
        }
        let field_names = field_idents(&fields);

        // `add_to_linker` for everything the world imports.
        let mut bounds = Vec::new();
        let mut calls = Vec::new();
        if has_world_imports {
            bounds.push(quote!(#imports_trait));
            calls.push(quote!(Self::add_to_linker_imports::<T, D>(linker, host_getter)?;));
        }
        for path in &import_paths {
            let host = rel(&[], path, &ident("Host"));
            let module = rel(&[], path, &ident("add_to_linker"));
            bounds.push(host);
            calls.push(quote!(#module::<T, D>(linker, host_getter)?;));
        }
        let imports_fn = if has_world_imports {
            quote! {
                /// Adds the world's own imported functions and resources to `linker`.
                ///
                /// # Errors
                ///
                /// If a name is already defined in `linker` and shadowing is not allowed.
                pub fn add_to_linker_imports<T, D>(
                    linker: &mut ::weft::component::Linker<T>,
                    host_getter: fn(&mut T) -> D::Data<'_>,
                ) -> ::weft::Result<()>
                where
                    D: ::weft::component::HasData,
                    for<'a> D::Data<'a>: #imports_trait,
                    T: 'static,
                {
                    let mut linker = linker.root();
                    #linker_body
                    ::weft::Result::Ok(())
                }
            }
        } else {
            TokenStream::new()
        };
        let bound = if bounds.is_empty() {
            quote!()
        } else {
            quote!(for<'a> D::Data<'a>: #(#bounds)+*,)
        };
        let pre = format_ident!("{world_name}Pre");
        let world_doc = {
            let d = docs(&world.docs);
            if d.is_empty() {
                doc_attr(&format!(
                    "The exports of an instance of the world `{}`, with `instantiate` and \
                     `add_to_linker` for its imports.",
                    world.name
                ))
            } else {
                d
            }
        };
        let pre_doc = doc_attr(&format!(
            "A component of the world `{}` whose imports are resolved, ready to instantiate \
             into a [`{world_name}`].",
            world.name
        ));
        self.tree.items.extend(quote! {
            #world_doc
            #[allow(missing_docs, clippy::all)]
            pub struct #world_ident {
                #(#fields,)*
            }

            #pre_doc
            #[allow(missing_docs, clippy::all)]
            pub struct #pre<T: 'static> {
                instance_pre: ::weft::component::InstancePre<T>,
            }

            impl<T: 'static> ::core::clone::Clone for #pre<T> {
                fn clone(&self) -> Self {
                    Self {
                        instance_pre: self.instance_pre.clone(),
                    }
                }
            }

            #[allow(clippy::all)]
            impl<_T: 'static> #pre<_T> {
                /// Wraps a component whose imports a linker resolved.
                ///
                /// # Errors
                ///
                /// None today; the exports are checked when an instance is made.
                pub fn new(
                    instance_pre: ::weft::component::InstancePre<_T>,
                ) -> ::weft::Result<Self> {
                    ::weft::Result::Ok(Self { instance_pre })
                }

                /// The engine of the component.
                pub fn engine(&self) -> &::weft::Engine {
                    self.instance_pre.component().engine()
                }

                /// The component with its resolved imports.
                pub fn instance_pre(&self) -> &::weft::component::InstancePre<_T> {
                    &self.instance_pre
                }

                /// Instantiates the component in `store` and looks up its exports.
                ///
                /// # Errors
                ///
                /// The errors of instantiation, and a missing or mistyped export.
                pub fn instantiate(
                    &self,
                    mut store: impl ::weft::AsContextMut<Data = _T>,
                ) -> ::weft::Result<#world_ident> {
                    let instance = self.instance_pre.instantiate(&mut store)?;
                    #world_ident::new(&mut store, &instance)
                }
            }

            #[allow(clippy::all)]
            impl #world_ident {
                /// Instantiates `component` with the imports of `linker` in `store`, and
                /// looks up its exports.
                ///
                /// # Errors
                ///
                /// The errors of [`Linker::instantiate`](::weft::component::Linker::instantiate),
                /// and a missing or mistyped export.
                pub fn instantiate<_T: 'static>(
                    store: impl ::weft::AsContextMut<Data = _T>,
                    component: &::weft::component::Component,
                    linker: &::weft::component::Linker<_T>,
                ) -> ::weft::Result<#world_ident> {
                    let pre = linker.instantiate_pre(component)?;
                    #pre::new(pre)?.instantiate(store)
                }

                /// Looks up the exports of an instance of this world.
                ///
                /// # Errors
                ///
                /// If an export is missing or has another type.
                pub fn new(
                    mut store: impl ::weft::AsContextMut,
                    instance: &::weft::component::Instance,
                ) -> ::weft::Result<#world_ident> {
                    let _ = &mut store;
                    let _ = instance;
                    #(#loads)*
                    ::weft::Result::Ok(#world_ident { #(#field_names,)* })
                }

                #imports_fn

                /// Adds every import of the world to `linker`, implemented by the value
                /// `host_getter` returns from the store's data.
                ///
                /// # Errors
                ///
                /// If a name is already defined in `linker` and shadowing is not allowed.
                pub fn add_to_linker<T, D>(
                    linker: &mut ::weft::component::Linker<T>,
                    host_getter: fn(&mut T) -> D::Data<'_>,
                ) -> ::weft::Result<()>
                where
                    D: ::weft::component::HasData,
                    #bound
                    T: 'static,
                {
                    let _ = (&linker, host_getter);
                    #(#calls)*
                    ::weft::Result::Ok(())
                }

                #methods
            }
        });
        Ok(())
    }

    /// The module path of an interface: `ns::pkg::iface` for a named interface, the
    /// world's name for the interface for an inline one.
    fn iface_module(&self, key: &WorldKey, id: InterfaceId) -> Result<Vec<String>> {
        match key {
            WorldKey::Name(name) => Ok(vec![snake(name)]),
            WorldKey::Interface(_) => {
                let iface = &self.resolve.interfaces[id];
                let name = iface
                    .name
                    .as_deref()
                    .ok_or_else(|| err("an interface without a name in a world"))?;
                let pkg = iface
                    .package
                    .map(|p| &self.resolve.packages[p].name)
                    .ok_or_else(|| err(format!("interface `{name}` has no package")))?;
                Ok(vec![snake(&pkg.namespace), snake(&pkg.name), snake(name)])
            }
        }
    }

    /// Matches the `with` keys to the imported resources they name.
    fn resolve_with(&mut self, world_id: WorldId) -> Result<()> {
        let resolve = self.resolve;
        let world = &resolve.worlds[world_id];
        let mut used = vec![false; self.opts.with.len()];
        let mut candidates: Vec<(Vec<String>, TypeId)> = Vec::new();
        for (key, item) in &world.imports {
            match item {
                WorldItem::Interface { id, .. } => {
                    let iface = &resolve.interfaces[*id];
                    let mut prefixes = vec![resolve.name_world_key(key)];
                    if let (Some(pkg), Some(name)) = (iface.package, &iface.name) {
                        let p = &resolve.packages[pkg].name;
                        prefixes.push(format!("{}:{}/{}", p.namespace, p.name, name));
                    }
                    for (name, ty) in &iface.types {
                        if matches!(resolve.types[*ty].kind, TypeDefKind::Resource) {
                            let keys = prefixes.iter().map(|p| format!("{p}.{name}")).collect();
                            candidates.push((keys, *ty));
                        }
                    }
                }
                WorldItem::Type { id, .. } => {
                    if matches!(resolve.types[*id].kind, TypeDefKind::Resource) {
                        candidates.push((vec![resolve.name_world_key(key)], *id));
                    }
                }
                WorldItem::Function(_) => {}
            }
        }
        for (i, (key, path)) in self.opts.with.iter().enumerate() {
            for (keys, ty) in &candidates {
                if keys.iter().any(|k| k == key) {
                    self.with.insert(*ty, path.clone());
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                }
            }
        }
        for ((key, path), used) in self.opts.with.iter().zip(used) {
            if !used {
                return Err(Error::new_spanned(
                    path,
                    format!(
                        "`with` key `{key}` names no imported resource of the world (Weft's \
                         `bindgen!` maps resources, written `ns:pkg/interface.resource`, not \
                         interfaces)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The path of a named type from module `from`.
    fn type_path(&self, id: TypeId, from: &[String]) -> Result<TokenStream> {
        let def = &self.resolve.types[id];
        let name = def
            .name
            .as_deref()
            .ok_or_else(|| err("internal: an anonymous type has no path"))?;
        let module = match def.owner {
            TypeOwner::Interface(i) => self.iface_paths.get(&i).cloned().ok_or_else(|| {
                err(format!(
                    "type `{name}` is in an interface outside the world"
                ))
            })?,
            TypeOwner::World(_) => Vec::new(),
            TypeOwner::None => return Err(err(format!("type `{name}` has no owner"))),
        };
        Ok(rel(from, &module, &ident(&upper_camel(name))))
    }

    /// A resource type, through the aliases `use` makes.
    fn resource_of(&self, mut id: TypeId) -> TypeId {
        while let TypeDefKind::Type(Type::Id(next)) = self.resolve.types[id].kind {
            id = next;
        }
        id
    }

    fn is_guest_resource(&self, id: TypeId) -> bool {
        match self.resolve.types[self.resource_of(id)].owner {
            TypeOwner::Interface(i) => self.exported.contains(&i),
            _ => false,
        }
    }

    fn is_copy(&self, ty: &Type) -> bool {
        let Type::Id(id) = ty else {
            return !matches!(ty, Type::String | Type::ErrorContext);
        };
        match &self.resolve.types[*id].kind {
            TypeDefKind::Record(r) => r.fields.iter().all(|f| self.is_copy(&f.ty)),
            TypeDefKind::Variant(v) => v
                .cases
                .iter()
                .all(|c| c.ty.as_ref().is_none_or(|t| self.is_copy(t))),
            TypeDefKind::Enum(_) | TypeDefKind::Flags(_) => true,
            TypeDefKind::Tuple(t) => t.types.iter().all(|t| self.is_copy(t)),
            TypeDefKind::Option(t) => self.is_copy(t),
            TypeDefKind::Result(r) => {
                r.ok.as_ref().is_none_or(|t| self.is_copy(t))
                    && r.err.as_ref().is_none_or(|t| self.is_copy(t))
            }
            TypeDefKind::Type(t) => self.is_copy(t),
            _ => false,
        }
    }

    /// The Rust spelling of a WIT type, from module `from`.
    fn ty(&self, ty: &Type, from: &[String], mode: Mode) -> Result<TokenStream> {
        Ok(match ty {
            Type::Bool => quote!(bool),
            Type::U8 => quote!(u8),
            Type::U16 => quote!(u16),
            Type::U32 => quote!(u32),
            Type::U64 => quote!(u64),
            Type::S8 => quote!(i8),
            Type::S16 => quote!(i16),
            Type::S32 => quote!(i32),
            Type::S64 => quote!(i64),
            Type::F32 => quote!(f32),
            Type::F64 => quote!(f64),
            Type::Char => quote!(char),
            Type::String => match mode {
                Mode::Owned => quote!(::std::string::String),
                Mode::Borrowed => quote!(&str),
            },
            Type::ErrorContext => return Err(err("`error-context` is not supported by Weft")),
            Type::Id(id) => self.type_id(*id, from, mode)?,
        })
    }

    fn opt_ty(&self, ty: Option<&Type>, from: &[String], mode: Mode) -> Result<TokenStream> {
        match ty {
            Some(t) => self.ty(t, from, mode),
            None => Ok(quote!(())),
        }
    }

    fn type_id(&self, id: TypeId, from: &[String], mode: Mode) -> Result<TokenStream> {
        let def = &self.resolve.types[id];
        if def.name.is_some() {
            match &def.kind {
                // Borrowed: spell the alias's target, which may itself borrow (`&str`).
                TypeDefKind::Type(inner) if mode == Mode::Borrowed => {
                    return self.ty(inner, from, mode);
                }
                TypeDefKind::Resource => {
                    return Err(err("a resource type used as a value outside a handle"));
                }
                _ => {}
            }
            let path = self.type_path(id, from)?;
            return Ok(if mode == Mode::Borrowed && !self.is_copy(&Type::Id(id)) {
                quote!(&#path)
            } else {
                path
            });
        }
        Ok(match &def.kind {
            TypeDefKind::Option(t) => {
                let t = self.ty(t, from, mode)?;
                quote!(::core::option::Option<#t>)
            }
            TypeDefKind::Result(r) => {
                let ok = self.opt_ty(r.ok.as_ref(), from, mode)?;
                let er = self.opt_ty(r.err.as_ref(), from, mode)?;
                quote!(::core::result::Result<#ok, #er>)
            }
            TypeDefKind::Tuple(t) => {
                let types = t
                    .types
                    .iter()
                    .map(|t| self.ty(t, from, mode))
                    .collect::<Result<Vec<_>>>()?;
                quote!((#(#types,)*))
            }
            TypeDefKind::List(t) => {
                let t = self.ty(t, from, Mode::Owned)?;
                match mode {
                    Mode::Owned => quote!(::std::vec::Vec<#t>),
                    Mode::Borrowed => quote!(&[#t]),
                }
            }
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => {
                if self.is_guest_resource(*r) {
                    quote!(::weft::component::ResourceAny)
                } else {
                    let path = self.type_path(self.resource_of(*r), from)?;
                    quote!(::weft::component::Resource<#path>)
                }
            }
            TypeDefKind::Type(t) => self.ty(t, from, mode)?,
            other => return Err(unsupported(other)),
        })
    }

    fn derives(&self, base: &[&str]) -> TokenStream {
        let mut seen: Vec<String> = base.iter().map(|s| (*s).to_string()).collect();
        let mut out: Vec<TokenStream> = base
            .iter()
            .map(|b| {
                let b = ident(b);
                quote!(#b)
            })
            .collect();
        for path in &self.opts.additional_derives {
            let last = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if !seen.contains(&last) {
                seen.push(last);
                out.push(quote!(#path));
            }
        }
        quote!(#[derive(#(#out),*)])
    }

    /// The definition of the named type `id` in module `from`.
    fn define_type(&self, id: TypeId, from: &[String]) -> Result<TokenStream> {
        let def = &self.resolve.types[id];
        let Some(wit_name) = &def.name else {
            return Ok(TokenStream::new());
        };
        let name = ident(&upper_camel(wit_name));
        let mut doc_attrs = docs(&def.docs);
        if doc_attrs.is_empty() {
            doc_attrs = doc_attr(&format!("The WIT type `{wit_name}`."));
        }
        let copy = self.is_copy(&Type::Id(id));
        let w = quote!(::weft::component);
        Ok(match &def.kind {
            TypeDefKind::Record(r) => {
                let fields = r
                    .fields
                    .iter()
                    .map(|f| {
                        let wit = &f.name;
                        let field = ident(&snake(wit));
                        let ty = self.ty(&f.ty, from, Mode::Owned)?;
                        let d = docs(&f.docs);
                        Ok(quote! {
                            #d
                            #[component(name = #wit)]
                            pub #field: #ty
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let derives = if copy {
                    self.derives(&["Clone", "Copy", "Debug"])
                } else {
                    self.derives(&["Clone", "Debug"])
                };
                quote! {
                    #doc_attrs
                    #[derive(#w::ComponentType, #w::Lift, #w::Lower)]
                    #[component(record)]
                    #derives
                    pub struct #name {
                        #(#fields,)*
                    }
                }
            }
            TypeDefKind::Variant(v) => {
                let cases = v
                    .cases
                    .iter()
                    .map(|c| {
                        let wit = &c.name;
                        let case = ident(&upper_camel(wit));
                        let d = docs(&c.docs);
                        Ok(match &c.ty {
                            Some(t) => {
                                let t = self.ty(t, from, Mode::Owned)?;
                                quote!(#d #[component(name = #wit)] #case(#t))
                            }
                            None => quote!(#d #[component(name = #wit)] #case),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let derives = if copy {
                    self.derives(&["Clone", "Copy", "Debug"])
                } else {
                    self.derives(&["Clone", "Debug"])
                };
                quote! {
                    #doc_attrs
                    #[derive(#w::ComponentType, #w::Lift, #w::Lower)]
                    #[component(variant)]
                    #derives
                    pub enum #name {
                        #(#cases,)*
                    }
                }
            }
            TypeDefKind::Enum(e) => {
                let cases = e.cases.iter().map(|c| {
                    let wit = &c.name;
                    let case = ident(&upper_camel(wit));
                    let d = docs(&c.docs);
                    quote!(#d #[component(name = #wit)] #case)
                });
                let derives = self.derives(&["Clone", "Copy", "Debug", "PartialEq", "Eq"]);
                quote! {
                    #doc_attrs
                    #[derive(#w::ComponentType, #w::Lift, #w::Lower)]
                    #[component(enum)]
                    #derives
                    pub enum #name {
                        #(#cases,)*
                    }
                }
            }
            TypeDefKind::Flags(f) => {
                let flags = f.flags.iter().map(|flag| {
                    let wit = &flag.name;
                    let c = ident(&shouty(wit));
                    let d = docs(&flag.docs);
                    quote!(#d #[component(name = #wit)] const #c;)
                });
                quote! {
                    #w::flags! {
                        #doc_attrs
                        pub #name {
                            #(#flags)*
                        }
                    }
                }
            }
            TypeDefKind::Resource => {
                if self.is_guest_resource(id) {
                    // A guest's resource is a `ResourceAny`; no Rust type stands for it.
                    TokenStream::new()
                } else if let Some(path) = self.with.get(&id) {
                    let path = user_path(path, from);
                    quote!(#doc_attrs pub type #name = #path;)
                } else {
                    quote!(#doc_attrs pub enum #name {})
                }
            }
            TypeDefKind::Type(_)
            | TypeDefKind::Option(_)
            | TypeDefKind::Result(_)
            | TypeDefKind::Tuple(_)
            | TypeDefKind::List(_)
            | TypeDefKind::Handle(_) => {
                // An alias of a guest resource would name `ResourceAny`: skip it as the
                // resource itself is skipped.
                if let TypeDefKind::Type(Type::Id(target)) = &def.kind
                    && matches!(
                        self.resolve.types[self.resource_of(*target)].kind,
                        TypeDefKind::Resource
                    )
                {
                    if self.is_guest_resource(*target) {
                        return Ok(TokenStream::new());
                    }
                    let target = self.type_path(self.resource_of(*target), from)?;
                    return Ok(quote!(#doc_attrs pub type #name = #target;));
                }
                let anon = match &def.kind {
                    TypeDefKind::Type(t) => self.ty(t, from, Mode::Owned)?,
                    _ => self.anonymous(id, from)?,
                };
                quote!(#doc_attrs pub type #name = #anon;)
            }
            other => return Err(unsupported(other)),
        })
    }

    /// The spelling of a named type's structure, as if it had no name.
    fn anonymous(&self, id: TypeId, from: &[String]) -> Result<TokenStream> {
        let def = &self.resolve.types[id];
        match &def.kind {
            TypeDefKind::Option(t) => {
                let t = self.ty(t, from, Mode::Owned)?;
                Ok(quote!(::core::option::Option<#t>))
            }
            TypeDefKind::Result(r) => {
                let ok = self.opt_ty(r.ok.as_ref(), from, Mode::Owned)?;
                let er = self.opt_ty(r.err.as_ref(), from, Mode::Owned)?;
                Ok(quote!(::core::result::Result<#ok, #er>))
            }
            TypeDefKind::Tuple(t) => {
                let types = t
                    .types
                    .iter()
                    .map(|t| self.ty(t, from, Mode::Owned))
                    .collect::<Result<Vec<_>>>()?;
                Ok(quote!((#(#types,)*)))
            }
            TypeDefKind::List(t) => {
                let t = self.ty(t, from, Mode::Owned)?;
                Ok(quote!(::std::vec::Vec<#t>))
            }
            TypeDefKind::Handle(Handle::Own(r) | Handle::Borrow(r)) => {
                if self.is_guest_resource(*r) {
                    Ok(quote!(::weft::component::ResourceAny))
                } else {
                    let path = self.type_path(self.resource_of(*r), from)?;
                    Ok(quote!(::weft::component::Resource<#path>))
                }
            }
            other => Err(unsupported(other)),
        }
    }

    fn check_func(&self, func: &Function) -> Result<()> {
        if func.kind.is_async() {
            return Err(err(format!(
                "WIT `async` function `{}` is not supported: Weft has no component async",
                func.name
            )));
        }
        if func.kind.accessor().is_some() {
            return Err(err(format!(
                "WIT getter/setter `{}` is not supported by Weft's `bindgen!`",
                func.name
            )));
        }
        Ok(())
    }

    fn trappable(&self, iface: Option<&str>, func: &Function) -> bool {
        if self.opts.trappable_default {
            return true;
        }
        self.opts.trappable.iter().any(|t| match iface {
            Some(i) => t == i || *t == format!("{i}.{}", func.name),
            None => *t == func.name,
        })
    }

    /// The `Host` trait (named `trait_name`) of an imported interface or of the world's own
    /// imports, the `Host<Resource>` traits of its resources, and the statements that
    /// register them in a `LinkerInstance` named `linker`.
    fn host_traits(
        &self,
        trait_name: &syn::Ident,
        iface: Option<&str>,
        funcs: &[&Function],
        resources: &[TypeId],
        from: &[String],
    ) -> Result<(TokenStream, TokenStream)> {
        let mut out = TokenStream::new();
        let mut register = TokenStream::new();
        let mut supertraits = Vec::new();
        for &res in resources {
            let res_wit = self.resolve.types[res]
                .name
                .clone()
                .ok_or_else(|| err("a resource without a name"))?;
            let res_ty = ident(&upper_camel(&res_wit));
            let res_trait = format_ident!("Host{}", upper_camel(&res_wit));
            let methods: Vec<&Function> = funcs
                .iter()
                .copied()
                .filter(|f| f.kind.resource() == Some(res))
                .collect();
            let (decls, forwards, regs) = self.host_methods(&res_trait, iface, &methods, from)?;
            let doc = doc_attr(&format!(
                "The host's implementation of the imported resource `{res_wit}`."
            ));
            out.extend(quote! {
                #doc
                #[allow(missing_docs, clippy::all)]
                pub trait #res_trait {
                    #(#decls)*
                    /// Drops the resource when the component drops its last owning handle.
                    fn drop(
                        &mut self,
                        rep: ::weft::component::Resource<#res_ty>,
                    ) -> ::weft::Result<()>;
                }

                #[allow(clippy::all)]
                impl<_T: #res_trait + ?Sized> #res_trait for &mut _T {
                    #(#forwards)*
                    fn drop(
                        &mut self,
                        rep: ::weft::component::Resource<#res_ty>,
                    ) -> ::weft::Result<()> {
                        #res_trait::drop(*self, rep)
                    }
                }
            });
            register.extend(quote! {
                linker.resource(
                    #res_wit,
                    ::weft::component::ResourceType::host::<#res_ty>(),
                    move |mut caller: ::weft::StoreContextMut<'_, T>, rep: u32| {
                        #res_trait::drop(
                            &mut host_getter(caller.data_mut()),
                            ::weft::component::Resource::new_own(rep),
                        )
                    },
                )?;
            });
            register.extend(regs);
            supertraits.push(res_trait);
        }
        let free: Vec<&Function> = funcs
            .iter()
            .copied()
            .filter(|f| f.kind.resource().is_none())
            .collect();
        let (decls, forwards, regs) = self.host_methods(trait_name, iface, &free, from)?;
        register.extend(regs);
        let doc = doc_attr(&match iface {
            Some(i) => format!("The host's implementation of the imported interface `{i}`."),
            None => "The host's implementation of the world's own imported functions.".into(),
        });
        let supers = if supertraits.is_empty() {
            quote!()
        } else {
            quote!(: #(#supertraits)+*)
        };
        out.extend(quote! {
            #doc
            #[allow(missing_docs, clippy::all)]
            pub trait #trait_name #supers {
                #(#decls)*
            }

            #[allow(clippy::all)]
            impl<_T: #trait_name + ?Sized> #trait_name for &mut _T {
                #(#forwards)*
            }
        });
        Ok((out, register))
    }

    /// The declarations, `&mut T` forwards and linker registrations of host functions.
    #[allow(clippy::type_complexity)]
    fn host_methods(
        &self,
        trait_name: &syn::Ident,
        iface: Option<&str>,
        funcs: &[&Function],
        from: &[String],
    ) -> Result<(Vec<TokenStream>, Vec<TokenStream>, TokenStream)> {
        let mut decls = Vec::new();
        let mut forwards = Vec::new();
        let mut regs = TokenStream::new();
        for func in funcs {
            self.check_func(func)?;
            let method = ident(&match func.kind {
                FunctionKind::Constructor(_) => "new".to_string(),
                _ => snake(func.item_name()),
            });
            let names: Vec<syn::Ident> =
                func.params.iter().map(|p| ident(&snake(&p.name))).collect();
            let types = func
                .params
                .iter()
                .map(|p| self.ty(&p.ty, from, Mode::Owned))
                .collect::<Result<Vec<_>>>()?;
            let trappable = self.trappable(iface, func);
            let ret = self.opt_ty(func.result.as_ref(), from, Mode::Owned)?;
            let ret = if trappable {
                quote!(-> ::weft::Result<#ret>)
            } else if func.result.is_some() {
                quote!(-> #ret)
            } else {
                quote!()
            };
            let d = docs(&func.docs);
            decls.push(quote! {
                #d
                fn #method(&mut self, #(#names: #types),*) #ret;
            });
            forwards.push(quote! {
                fn #method(&mut self, #(#names: #types),*) #ret {
                    #trait_name::#method(*self, #(#names),*)
                }
            });
            let wasm_name = &func.name;
            let args: Vec<syn::Ident> = (0..names.len()).map(|i| format_ident!("arg{i}")).collect();
            let call = quote!(#trait_name::#method(host, #(#args),*));
            let call = if trappable { quote!(#call?) } else { call };
            let result = if func.result.is_some() {
                quote!(let r = #call; ::weft::Result::Ok((r,)))
            } else {
                quote!(#call; ::weft::Result::Ok(()))
            };
            regs.extend(quote! {
                linker.func_wrap(
                    #wasm_name,
                    move |mut caller: ::weft::StoreContextMut<'_, T>, (#(#args,)*): (#(#types,)*)| {
                        let host = &mut host_getter(caller.data_mut());
                        #result
                    },
                )?;
            });
        }
        Ok((decls, forwards, regs))
    }

    /// An imported interface's module: types, host traits and `add_to_linker`.
    fn import_interface(&mut self, name: &str, id: InterfaceId) -> Result<()> {
        let resolve = self.resolve;
        let iface = &resolve.interfaces[id];
        let path = self.iface_paths.get(&id).cloned().unwrap_or_default();
        let mut items = TokenStream::new();
        let mut resources = Vec::new();
        for ty in iface.types.values() {
            items.extend(self.define_type(*ty, &path)?);
            if matches!(resolve.types[*ty].kind, TypeDefKind::Resource) {
                resources.push(*ty);
            }
        }
        let funcs: Vec<&Function> = iface.functions.values().collect();
        let (traits, register) =
            self.host_traits(&ident("Host"), Some(name), &funcs, &resources, &path)?;
        items.extend(traits);
        let doc = doc_attr(&format!(
            "Adds the imported interface `{name}` to `linker`, implemented by the value \
             `host_getter` returns from the store's data."
        ));
        items.extend(quote! {
            #doc
            ///
            /// # Errors
            ///
            /// If a name is already defined in `linker` and shadowing is not allowed.
            pub fn add_to_linker<T, D>(
                linker: &mut ::weft::component::Linker<T>,
                host_getter: fn(&mut T) -> D::Data<'_>,
            ) -> ::weft::Result<()>
            where
                D: ::weft::component::HasData,
                for<'a> D::Data<'a>: Host,
                T: 'static,
            {
                let mut linker = linker.instance(#name)?;
                let _ = host_getter;
                #register
                ::weft::Result::Ok(())
            }
        });
        let module = self.tree.at(&path);
        module.docs = docs(&iface.docs);
        module.items.extend(items);
        Ok(())
    }

    /// An exported interface's module: types and the `Guest` struct. Returns the module's
    /// path.
    fn export_interface(&mut self, name: &str, id: InterfaceId) -> Result<Vec<String>> {
        let resolve = self.resolve;
        let iface = &resolve.interfaces[id];
        let path = self.iface_paths.get(&id).cloned().unwrap_or_default();
        let mut items = TokenStream::new();
        if self.exported.contains(&id) {
            for ty in iface.types.values() {
                items.extend(self.define_type(*ty, &path)?);
            }
        }
        let export_path = {
            let mut p = vec!["exports".to_string()];
            let key_path = match path.first().map(String::as_str) {
                Some("exports") => path.get(1..).unwrap_or_default().to_vec(),
                _ => path.clone(),
            };
            p.extend(key_path);
            p
        };
        let from = &export_path;
        let mut fields = Vec::new();
        let mut loads = Vec::new();
        let mut methods = TokenStream::new();
        let mut resource_structs = TokenStream::new();
        let resources: Vec<TypeId> = iface
            .types
            .values()
            .copied()
            .filter(|t| matches!(resolve.types[*t].kind, TypeDefKind::Resource))
            .collect();
        for res in &resources {
            let res_wit = resolve.types[*res].name.clone().unwrap_or_default();
            let struct_name = format_ident!("Guest{}", upper_camel(&res_wit));
            let accessor = ident(&snake(&res_wit));
            let mut r_fields = Vec::new();
            let mut r_loads = Vec::new();
            let mut r_methods = TokenStream::new();
            for func in iface.functions.values() {
                if func.kind.resource() != Some(*res) {
                    continue;
                }
                let call_name = match func.kind {
                    FunctionKind::Constructor(_) => "constructor".to_string(),
                    _ => snake(func.item_name()),
                };
                let field = format_ident!("{}", call_name.trim_end_matches('_'));
                let field = format_ident!("{}_{}", field, "func");
                let (load, call) =
                    self.export_func(func, &field, &func.name, from, Some((name, &call_name)))?;
                r_fields.push(quote!(#field: ::weft::component::Func));
                r_loads.push(quote!(let #field = #load;));
                r_methods.extend(call);
            }
            let field_idents = field_idents(&r_fields);
            let doc = doc_attr(&format!(
                "The functions of the exported resource `{res_wit}` of `{name}`; its handles \
                 are `ResourceAny`s."
            ));
            resource_structs.extend(quote! {
                #doc
                #[derive(Clone)]
                pub struct #struct_name {
                    #(#r_fields,)*
                }

                impl #struct_name {
                    #[doc(hidden)]
                    pub fn new(
                        mut store: impl ::weft::AsContextMut,
                        instance: &::weft::component::Instance,
                    ) -> ::weft::Result<Self> {
                        let _ = &mut store;
                        let _ = instance;
                        #(#r_loads)*
                        ::weft::Result::Ok(Self { #(#field_idents,)* })
                    }

                    #r_methods
                }
            });
            let field = format_ident!("resource_{}", snake(&res_wit).trim_end_matches('_'));
            fields.push(quote!(#field: #struct_name));
            loads.push(quote!(let #field = #struct_name::new(&mut store, instance)?;));
            let doc = doc_attr(&format!("The functions of the resource `{res_wit}`."));
            methods.extend(quote! {
                #doc
                pub fn #accessor(&self) -> &#struct_name {
                    &self.#field
                }
            });
        }
        for func in iface.functions.values() {
            if func.kind.resource().is_some() {
                continue;
            }
            let field = format_ident!("{}", snake(&func.name).trim_end_matches('_'));
            let field = format_ident!("{}_func", field);
            let (load, call) =
                self.export_func(func, &field, &func.name, from, Some((name, "")))?;
            fields.push(quote!(#field: ::weft::component::Func));
            loads.push(quote!(let #field = #load;));
            methods.extend(call);
        }
        let field_idents = field_idents(&fields);
        let doc = doc_attr(&format!(
            "The functions of the exported interface `{name}`."
        ));
        items.extend(quote! {
            #resource_structs

            #doc
            #[derive(Clone)]
            pub struct Guest {
                #(#fields,)*
            }

            impl Guest {
                #[doc(hidden)]
                pub fn new(
                    mut store: impl ::weft::AsContextMut,
                    instance: &::weft::component::Instance,
                ) -> ::weft::Result<Self> {
                    let _ = &mut store;
                    let _ = instance;
                    #(#loads)*
                    ::weft::Result::Ok(Self { #(#field_idents,)* })
                }

                #methods
            }
        });
        let module = self.tree.at(&export_path);
        if module.docs.is_empty() {
            module.docs = docs(&iface.docs);
        }
        module.items.extend(items);
        Ok(export_path)
    }

    /// The expression that looks up and type-checks an exported function, and its
    /// `call_<name>` method. `iface` is the exported interface's name and, for a resource
    /// function, the name the method takes (`constructor`, the method's name).
    fn export_func(
        &self,
        func: &Function,
        field: &syn::Ident,
        wasm_name: &str,
        from: &[String],
        iface: Option<(&str, &str)>,
    ) -> Result<(TokenStream, TokenStream)> {
        self.check_func(func)?;
        let lookup = match iface {
            Some((i, _)) => format!("{i}#{wasm_name}"),
            None => wasm_name.to_string(),
        };
        let params = func
            .params
            .iter()
            .map(|p| self.ty(&p.ty, from, Mode::Borrowed))
            .collect::<Result<Vec<_>>>()?;
        let args: Vec<syn::Ident> = (0..func.params.len())
            .map(|i| format_ident!("arg{i}"))
            .collect();
        let ret = self.opt_ty(func.result.as_ref(), from, Mode::Owned)?;
        let results = if func.result.is_some() {
            quote!((#ret,))
        } else {
            quote!(())
        };
        let load = quote! {{
            let func = instance
                .get_func(store.as_context(), #lookup)
                .ok_or_else(|| {
                    ::weft::format_err!("the component has no exported function `{}`", #lookup)
                })?;
            func.typed::<(#(#params,)*), #results>(store.as_context())?;
            func
        }};
        let call_name = match iface {
            Some((_, name)) if !name.is_empty() => format_ident!("call_{}", name),
            _ => format_ident!("call_{}", snake(&func.name).trim_end_matches('_')),
        };
        let mut d = docs(&func.docs);
        if d.is_empty() {
            d = doc_attr(&format!("Calls the exported function `{lookup}`."));
        }
        let body = if func.result.is_some() {
            quote! {
                let (ret0,) = callee.call(store.as_context_mut(), (#(#args,)*))?;
                ::weft::Result::Ok(ret0)
            }
        } else {
            quote! {
                callee.call(store.as_context_mut(), (#(#args,)*))?;
                ::weft::Result::Ok(())
            }
        };
        let call = quote! {
            #d
            ///
            /// # Errors
            ///
            /// A trap in the guest, or an error of the host function it calls.
            pub fn #call_name<S: ::weft::AsContextMut>(
                &self,
                mut store: S,
                #(#args: #params),*
            ) -> ::weft::Result<#ret>
            where
                <S as ::weft::AsContext>::Data: 'static,
            {
                let callee = self
                    .#field
                    .typed::<(#(#params,)*), #results>(store.as_context())?;
                #body
            }
        };
        Ok((load, call))
    }
}

fn field_idents(fields: &[TokenStream]) -> Vec<syn::Ident> {
    fields
        .iter()
        .filter_map(|f| syn::parse2::<FieldDecl>(f.clone()).ok())
        .map(|f| f.0)
        .collect()
}

/// `name: Type`, as the struct fields are written.
struct FieldDecl(syn::Ident);

impl syn::parse::Parse for FieldDecl {
    fn parse(input: syn::parse::ParseStream<'_>) -> Result<Self> {
        let name: syn::Ident = input.parse()?;
        input.parse::<syn::Token![:]>()?;
        let _: syn::Type = input.parse()?;
        Ok(FieldDecl(name))
    }
}

/// The name of an exported interface's accessor: `ns_pkg_iface`, or the plain name.
fn accessor_name(resolve: &Resolve, key: &WorldKey) -> String {
    match key {
        WorldKey::Name(name) => name.clone(),
        WorldKey::Interface(id) => {
            let iface = &resolve.interfaces[*id];
            match (iface.package, &iface.name) {
                (Some(p), Some(name)) => {
                    let p = &resolve.packages[p].name;
                    format!("{}-{}-{}", p.namespace, p.name, name)
                }
                _ => resolve.name_world_key(key),
            }
        }
    }
}

/// The path of `target::name` from module `from`.
fn rel(from: &[String], target: &[String], name: &syn::Ident) -> TokenStream {
    let common = from.iter().zip(target).take_while(|(a, b)| a == b).count();
    let supers = (common..from.len()).map(|_| quote!(super::));
    let segments = target.get(common..).unwrap_or_default().iter().map(|s| {
        let s = ident(s);
        quote!(#s::)
    });
    quote!(#(#supers)* #(#segments)* #name)
}

/// A path written at the invocation site, seen from module `from`: relative paths get one
/// `super::` per level.
fn user_path(path: &syn::Path, from: &[String]) -> TokenStream {
    let absolute = path.leading_colon.is_some()
        || path.segments.first().is_some_and(|s| {
            ["crate", "std", "core", "alloc", "weft"].contains(&s.ident.to_string().as_str())
        });
    if absolute {
        quote!(#path)
    } else {
        let supers = from.iter().map(|_| quote!(super::));
        quote!(#(#supers)* #path)
    }
}

fn unsupported(kind: &TypeDefKind) -> Error {
    err(format!(
        "WIT type kind `{}` is not supported by Weft's `bindgen!`",
        kind.as_str()
    ))
}
