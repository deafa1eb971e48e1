//! The component [`Linker`]: host definitions by name, matched against a component's
//! imports.
//!
//! Definitions form a tree of named instances, as imports do (`wasi:cli/environment@0.2.6`
//! is an instance whose exports are functions). Names that carry a semver version match
//! compatibly, as in Wasmtime: an import `pkg:name/iface@0.2.6` is satisfied by a definition
//! `pkg:name/iface@0.2.12`, because versions `0.2.x` are compatible with each other (same
//! major version, and for major 0 the same minor version; for `0.0.x` only the exact
//! version). An exact match wins; otherwise the highest compatible version does.

use super::component::Component;
use super::convert::TypeCx;
use super::func::{HostDtor, HostFunc};
use super::instance::{Instance, instantiate};
use super::plan::{self, Plan, PreItem};
use super::types::{ComponentFunc, ResourceType};
use super::values::Val;
use crate::context::{AsContextMut, StoreContextMut};
use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::module::Module;
use core::marker::PhantomData;
use std::collections::HashMap;
use std::sync::Arc;
use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, ResourceId};

/// Host definitions for a component's imports: functions, resource types, core modules and
/// instances of them, by name.
///
/// ```
/// use weft::component::{Component, Linker, Val};
///
/// let engine = weft::Engine::default();
/// let component = Component::new(&engine, r#"
///     (component
///       (import "double" (func $double (param "x" u32) (result u32)))
///       (core func $d (canon lower (func $double)))
///       (core module $m
///         (import "host" "double" (func $double (param i32) (result i32)))
///         (func (export "run") (result i32) i32.const 21 call $double))
///       (core instance $i (instantiate $m
///         (with "host" (instance (export "double" (func $d))))))
///       (func (export "run") (result u32) (canon lift (core func $i "run"))))
/// "#)?;
/// let mut linker = Linker::<()>::new(&engine);
/// linker.root().func_new("double", |_store, _, params, results| {
///     let Val::U32(x) = params[0] else { unreachable!() };
///     results[0] = Val::U32(x * 2);
///     Ok(())
/// })?;
/// let mut store = weft::Store::new(&engine, ());
/// let instance = linker.instantiate(&mut store, &component)?;
/// let run = instance.get_func(&store, "run").unwrap();
/// let mut results = [Val::U32(0)];
/// run.call(&mut store, &[], &mut results)?;
/// assert_eq!(results[0], Val::U32(42));
/// # Ok::<(), weft::Error>(())
/// ```
pub struct Linker<T> {
    engine: Engine,
    root: Definitions<T>,
    allow_shadowing: bool,
    unknown_imports_trap: bool,
}

/// The definitions of one instance of a [`Linker`], by name.
struct Definitions<T> {
    items: Vec<(String, Definition<T>)>,
}

impl<T> Default for Definitions<T> {
    fn default() -> Self {
        Definitions { items: Vec::new() }
    }
}

enum Definition<T> {
    Func(Arc<HostFunc<T>>),
    TypedFunc(Arc<super::typed::TypedHost<T>>),
    Instance(Definitions<T>),
    Resource(ResourceType, Arc<HostDtor<T>>),
    Module(Module),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Func(f) => Definition::Func(f.clone()),
            Definition::TypedFunc(f) => Definition::TypedFunc(f.clone()),
            Definition::Instance(d) => Definition::Instance(d.clone()),
            Definition::Resource(t, d) => Definition::Resource(t.clone(), d.clone()),
            Definition::Module(m) => Definition::Module(m.clone()),
        }
    }
}

impl<T> Clone for Definitions<T> {
    fn clone(&self) -> Self {
        Definitions {
            items: self.items.clone(),
        }
    }
}

impl<T> Definition<T> {
    fn desc(&self) -> &'static str {
        match self {
            Definition::Func(_) | Definition::TypedFunc(_) => "a function",
            Definition::Instance(_) => "an instance",
            Definition::Resource(..) => "a resource type",
            Definition::Module(_) => "a core module",
        }
    }
}

/// A name split into its base and its semver version, if it has one.
fn split_version(name: &str) -> (&str, Option<semver::Version>) {
    match name.rsplit_once('@') {
        Some((base, version)) => match semver::Version::parse(version) {
            Ok(v) => (base, Some(v)),
            Err(_) => (name, None),
        },
        None => (name, None),
    }
}

/// Whether a definition of version `have` may satisfy an import of version `want`.
fn compatible(want: &semver::Version, have: &semver::Version) -> bool {
    if !want.pre.is_empty() || !have.pre.is_empty() {
        return want == have;
    }
    match (want.major, want.minor) {
        (0, 0) => want == have,
        (0, minor) => have.major == 0 && have.minor == minor,
        (major, _) => have.major == major,
    }
}

impl<T> Definitions<T> {
    /// The definition for the import `name`: exact, else the highest semver-compatible one.
    fn get(&self, name: &str) -> Option<&Definition<T>> {
        if let Some((_, def)) = self.items.iter().find(|(n, _)| n == name) {
            return Some(def);
        }
        let (base, Some(want)) = split_version(name) else {
            return None;
        };
        self.items
            .iter()
            .filter_map(|(n, def)| {
                let (b, have) = split_version(n);
                let have = have?;
                (b == base && compatible(&want, &have)).then_some((have, def))
            })
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, def)| def)
    }

    fn insert(&mut self, name: &str, def: Definition<T>, allow_shadowing: bool) -> Result<()> {
        if let Some(slot) = self.items.iter_mut().find(|(n, _)| n == name) {
            if !allow_shadowing {
                return Err(Error::usage(format!(
                    "a definition of `{name}` already exists (use `Linker::allow_shadowing` to \
                     replace it)"
                )));
            }
            slot.1 = def;
        } else {
            self.items.push((name.to_string(), def));
        }
        Ok(())
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker for components of `engine`.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            root: Definitions::default(),
            allow_shadowing: false,
            unknown_imports_trap: false,
        }
    }

    /// The engine the linker was made for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a second definition of a name replaces the first (instead of being an error).
    /// Default: false.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    /// The root instance: definitions made here satisfy a component's top-level imports.
    pub fn root(&mut self) -> LinkerInstance<'_, T> {
        LinkerInstance {
            defs: &mut self.root,
            allow_shadowing: self.allow_shadowing,
        }
    }

    /// The instance `name` of the root (made empty if it does not exist yet); shorthand for
    /// `linker.root().instance(name)`.
    ///
    /// # Errors
    ///
    /// If `name` is already defined as something other than an instance.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        let allow_shadowing = self.allow_shadowing;
        instance_in(&mut self.root, name, allow_shadowing)
    }

    /// Makes [`Linker::instantiate`] satisfy every function import that has no definition with
    /// a function that fails when called ("unknown import: `name` has not been defined"),
    /// instead of failing to instantiate. An imported instance with no definition is defined
    /// recursively: its functions become such traps and its instances are defined the same
    /// way; a partly defined instance gets traps for the functions it lacks.
    ///
    /// What cannot be made up stays an
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) error of
    /// [`instantiate`](Self::instantiate) and [`instantiate_pre`](Self::instantiate_pre),
    /// naming the import (`instance#export` inside an instance): resource types, core modules,
    /// components and values.
    ///
    /// # Errors
    ///
    /// None today; the `Result` matches Wasmtime's signature.
    pub fn define_unknown_imports_as_traps(&mut self, component: &Component) -> Result<()> {
        let _ = component;
        self.unknown_imports_trap = true;
        Ok(())
    }

    /// Instantiates `component` in `store`, satisfying its imports with this linker's
    /// definitions (the same as [`instantiate_pre`](Self::instantiate_pre) followed by
    /// [`InstancePre::instantiate`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unlinkable`](crate::ErrorKind::Unlinkable) if an import has no
    /// definition or one of the wrong kind (naming the import); a trap if a core module's
    /// start function traps; a usage error if the component or store belongs to another
    /// engine.
    pub fn instantiate(
        &self,
        store: impl AsContextMut<Data = T>,
        component: &Component,
    ) -> Result<Instance> {
        self.instantiate_pre(component)?.instantiate(store)
    }

    /// Resolves every import of `component` to this linker's definitions, converts the
    /// imports' types and type-checks typed host functions, and plans the instantiation
    /// steps (`plan.rs`), so that [`InstancePre::instantiate`] only creates instances and
    /// binds handles, in any store of the linker's engine.
    ///
    /// # Errors
    ///
    /// As [`Linker::instantiate`] for missing or mismatched definitions, and a type mismatch
    /// between a [`func_wrap`](LinkerInstance::func_wrap) function and its import.
    pub fn instantiate_pre(&self, component: &Component) -> Result<InstancePre<T>> {
        if !Engine::same(&self.engine, component.engine()) {
            return Err(Error::usage(
                "cannot instantiate a component of another engine with this linker",
            ));
        }
        let info = &component.inner.info;
        let types = info.types.as_ref();
        let mut resources = HashMap::new();
        let mut imports = Vec::with_capacity(info.imports.len());
        for import in &info.imports {
            imports.push(pre_item(
                types,
                &mut resources,
                &import.name,
                &import.ty,
                self.root.get(&import.name),
                self.unknown_imports_trap,
            )?);
        }
        Ok(InstancePre {
            component: component.clone(),
            plan: Arc::new(plan::plan(info, imports, resources)),
            _marker: PhantomData,
        })
    }
}

/// Resolves the import `name` of type `ty` to the definition `def`, converting function
/// types with the resource types bound so far (`resources`, which gains the import's own).
fn pre_item<T: 'static>(
    types: wasmparser::types::TypesRef<'_>,
    resources: &mut HashMap<ResourceId, ResourceType>,
    name: &str,
    ty: &ComponentEntityType,
    def: Option<&Definition<T>>,
    unknown_trap: bool,
) -> Result<PreItem> {
    let missing = || Error::unlinkable(format!("component imports `{name}`, which is not defined"));
    let wrong = |def: &Definition<T>, expected: &str| {
        Error::unlinkable(format!(
            "component imports `{name}` as {expected}, but it is defined as {}",
            def.desc()
        ))
    };
    Ok(match ty {
        ComponentEntityType::Func(id) => {
            let mut func_ty = || TypeCx { types, resources }.func(*id);
            match def {
                Some(Definition::Func(f)) => PreItem::HostFunc {
                    host: Arc::new(f.clone()),
                    ty: func_ty()?,
                    typed: None,
                },
                Some(Definition::TypedFunc(f)) => {
                    let ty = func_ty()?;
                    let typed = Some((f.typecheck)(&ty)?);
                    PreItem::HostFunc {
                        host: Arc::new(f.clone()),
                        ty,
                        typed,
                    }
                }
                Some(def) => return Err(wrong(def, "a function")),
                None if unknown_trap => PreItem::TrapFunc {
                    name: name.into(),
                    ty: func_ty()?,
                },
                None => return Err(missing()),
            }
        }
        ComponentEntityType::Instance(id) => {
            let defs = match def {
                Some(Definition::Instance(defs)) => Some(defs),
                Some(def) => return Err(wrong(def, "an instance")),
                None if unknown_trap => None,
                None => return Err(missing()),
            };
            let instance_ty = types
                .get(*id)
                .ok_or_else(|| Error::unlinkable(format!("import `{name}` has no type")))?;
            // Resource types first: function types mention them.
            let mut items: Vec<Option<PreItem>> =
                (0..instance_ty.exports.len()).map(|_| None).collect();
            for types_first in [true, false] {
                for ((export, item), slot) in instance_ty.exports.iter().zip(&mut items) {
                    if matches!(item.ty, ComponentEntityType::Type { .. }) != types_first {
                        continue;
                    }
                    let full = format!("{name}#{export}");
                    let def = defs.and_then(|d| d.get(export));
                    *slot = Some(pre_item(
                        types,
                        resources,
                        &full,
                        &item.ty,
                        def,
                        unknown_trap,
                    )?);
                }
            }
            let mut out = Vec::with_capacity(items.len());
            for ((export, _), item) in instance_ty.exports.iter().zip(items) {
                let item = item.ok_or_else(|| Error::unlinkable("instance export unresolved"))?;
                out.push((export.clone(), item));
            }
            PreItem::Instance(out)
        }
        ComponentEntityType::Type { created, .. } => match def {
            Some(Definition::Resource(rt, dtor)) => {
                if let ComponentAnyTypeId::Resource(id) = created {
                    resources.insert(id.resource(), rt.clone());
                }
                PreItem::Resource {
                    ty: rt.clone(),
                    dtor: Arc::new(dtor.clone()),
                }
            }
            Some(def) => return Err(wrong(def, "a type")),
            // A type the import only names: a value type (`stream-error`, or a world's
            // `record` that `wit-component` imports with an `eq` bound), or a resource type
            // `eq` to one bound by an earlier import (`wasi:io/streams` re-exports
            // `wasi:io/error`'s `error`), which must be known.
            None => {
                if let ComponentAnyTypeId::Resource(id) = created
                    && !resources.contains_key(&id.resource())
                {
                    return Err(Error::unlinkable(format!(
                        "component imports `{name}`, a resource type that is not defined"
                    )));
                }
                PreItem::Type
            }
        },
        ComponentEntityType::Module(_) => match def {
            Some(Definition::Module(m)) => PreItem::Module(m.clone()),
            Some(def) => return Err(wrong(def, "a core module")),
            None => return Err(missing()),
        },
        ComponentEntityType::Component(_) | ComponentEntityType::Value(_) => {
            return Err(Error::unlinkable(format!(
                "component imports `{name}`, a component or value: the linker cannot define                  those"
            )));
        }
    })
}

/// A component whose imports a [`Linker`] has resolved, ready to instantiate in any store
/// of the linker's engine ([`Linker::instantiate_pre`]).
pub struct InstancePre<T> {
    component: Component,
    plan: Arc<Plan>,
    _marker: PhantomData<fn(T) -> T>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            component: self.component.clone(),
            plan: self.plan.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T: 'static> InstancePre<T> {
    /// The component this will instantiate.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// Instantiates the component in `store`.
    ///
    /// # Errors
    ///
    /// A trap if a core module's start function traps; a usage error if the store belongs
    /// to another engine; the errors of [`Linker::instantiate`] that only instantiation can
    /// find (a nested component's arguments).
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store = store.as_context_mut().0;
        instantiate(store, &self.component, &self.plan)
    }
}

fn instance_in<'a, T>(
    defs: &'a mut Definitions<T>,
    name: &str,
    allow_shadowing: bool,
) -> Result<LinkerInstance<'a, T>> {
    let position = match defs.items.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            defs.items.push((
                name.to_string(),
                Definition::Instance(Definitions::default()),
            ));
            defs.items.len() - 1
        }
    };
    match defs.items.get_mut(position) {
        Some((_, Definition::Instance(inner))) => Ok(LinkerInstance {
            defs: inner,
            allow_shadowing,
        }),
        Some((_, def)) => Err(Error::usage(format!(
            "`{name}` is already defined as {}",
            def.desc()
        ))),
        None => Err(Error::usage("linker instance vanished")),
    }
}

/// One instance of a [`Linker`], where definitions are made by name.
pub struct LinkerInstance<'a, T> {
    defs: &'a mut Definitions<T>,
    allow_shadowing: bool,
}

impl<T: 'static> LinkerInstance<'_, T> {
    /// Defines the function `name`, implemented by `func`, which receives the type of the
    /// import it satisfies (a [`ComponentFunc`], whose `params` and `results` give the
    /// arguments' and results' types) and the arguments as [`Val`]s, and must write one
    /// `Val` of that type into each slot of `results`. A result of the wrong type makes the
    /// call fail with an error.
    ///
    /// # Errors
    ///
    /// If `name` is already defined and shadowing is not allowed.
    pub fn func_new(
        &mut self,
        name: &str,
        func: impl Fn(StoreContextMut<'_, T>, ComponentFunc, &[Val], &mut [Val]) -> Result<()>
        + Send
        + Sync
        + 'static,
    ) -> Result<()> {
        let func: Arc<HostFunc<T>> = Arc::new(func);
        self.defs
            .insert(name, Definition::Func(func), self.allow_shadowing)
    }

    /// Defines the function `name`, implemented by `func`, which takes its parameters and
    /// returns its results as Rust tuples (`Params`, `Return`) lifted and lowered with the
    /// [`Lift`](super::Lift) / [`Lower`](super::Lower) traits, without
    /// [`Val`]s. The types are checked against the import the function satisfies when a
    /// component is instantiated.
    ///
    /// # Errors
    ///
    /// If `name` is already defined and shadowing is not allowed. Instantiation fails if
    /// `Params` or `Return` do not match the import's type.
    pub fn func_wrap<Params, Return, F>(&mut self, name: &str, func: F) -> Result<()>
    where
        F: Fn(StoreContextMut<'_, T>, Params) -> Result<Return> + Send + Sync + 'static,
        Params: super::ComponentNamedList + super::Lift + 'static,
        Return: super::ComponentNamedList + super::Lower + 'static,
    {
        let func = super::typed::wrap(func);
        self.defs
            .insert(name, Definition::TypedFunc(func), self.allow_shadowing)
    }

    /// Defines the resource type `name` as `ty` (normally [`ResourceType::host::<R>()`]);
    /// `dtor` runs with the resource's representation when a component drops the last `own`
    /// handle to one.
    ///
    /// `ty` may also be a resource type a component instance exports
    /// ([`Export::Resource`](super::Export::Resource)), so that components instantiated
    /// later import it; in a store where that instance lives, the type keeps the instance's
    /// own destructor and `dtor` is not used.
    ///
    /// # Errors
    ///
    /// If `name` is already defined and shadowing is not allowed.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        let dtor: Arc<HostDtor<T>> = Arc::new(dtor);
        self.defs
            .insert(name, Definition::Resource(ty, dtor), self.allow_shadowing)
    }

    /// Defines the core module `name`.
    ///
    /// # Errors
    ///
    /// If `name` is already defined and shadowing is not allowed.
    pub fn module(&mut self, name: &str, module: &Module) -> Result<()> {
        self.defs.insert(
            name,
            Definition::Module(module.clone()),
            self.allow_shadowing,
        )
    }

    /// The nested instance `name` (made empty if it does not exist yet).
    ///
    /// # Errors
    ///
    /// If `name` is already defined as something other than an instance.
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        instance_in(self.defs, name, self.allow_shadowing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap_or_else(|_| semver::Version::new(9, 9, 9))
    }

    #[test]
    fn semver_compatibility_follows_wasmtime() {
        assert!(compatible(&v("0.2.6"), &v("0.2.12")));
        assert!(compatible(&v("0.2.12"), &v("0.2.6")));
        assert!(!compatible(&v("0.2.6"), &v("0.3.0")));
        assert!(compatible(&v("1.2.0"), &v("1.9.1")));
        assert!(!compatible(&v("1.2.0"), &v("2.0.0")));
        assert!(!compatible(&v("0.0.1"), &v("0.0.2")));
        assert!(!compatible(&v("0.2.0-rc1"), &v("0.2.0")));
    }

    #[test]
    fn highest_compatible_definition_wins() -> Result<()> {
        let mut defs = Definitions::<()>::default();
        for name in ["a:b/c@0.2.1", "a:b/c@0.2.12", "a:b/c@0.2.3", "a:b/c@0.3.0"] {
            defs.insert(name, Definition::Instance(Definitions::default()), false)?;
        }
        let pick = |name: &str| {
            let def = defs.get(name)?;
            defs.items
                .iter()
                .find(|(_, d)| core::ptr::eq(d, def))
                .map(|(n, _)| n.clone())
        };
        assert_eq!(pick("a:b/c@0.2.6").as_deref(), Some("a:b/c@0.2.12"));
        assert_eq!(pick("a:b/c@0.2.3").as_deref(), Some("a:b/c@0.2.3"));
        assert_eq!(pick("a:b/c@0.3.9").as_deref(), Some("a:b/c@0.3.0"));
        assert_eq!(pick("a:b/c@1.0.0"), None);
        assert_eq!(pick("a:b/c"), None);
        Ok(())
    }
}
