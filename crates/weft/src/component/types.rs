//! Component value types: the spec's `valtype`s, compared structurally.
//!
//! These mirror the Component Model's value types ([Explainer, "Type
//! definitions"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#type-definitions))
//! and the shape of Wasmtime's `wasmtime::component::types`: a [`Type`] enum whose compound
//! cases ([`List`], [`Record`], [`Tuple`], [`Variant`], [`Enum`], [`OptionType`],
//! [`ResultType`], [`Flags`]) are immutable and cheap to clone (an `Arc` inside), and compare
//! structurally: two `record { a: u32 }` built separately are equal.
//!
//! Resource types are the exception: a [`ResourceType`] is an abstract identity, equal only to
//! itself. A host resource type is identified by a Rust type ([`ResourceType::host`]); a
//! resource type defined by a component is generative, a fresh identity each time the defining
//! component is instantiated.
//!
//! Constructors check what validation of a component guarantees (at least one field, case,
//! label or element; names distinct), so that the Canonical ABI never meets a type it cannot
//! lay out. They also compute, once, what the Canonical ABI needs to know about the type
//! (alignment, size, number of flat values, and a variant's joined flat types), from the
//! already computed values of the parts: lifting and lowering then never re-walk a type to lay
//! it out, and a type's cost is linear in its size however deeply it nests.

use super::abi::layout::{AbiInfo, Cases};
use crate::error::ErrorCtor as _;

/// The type of a component instance: its exports (Wasmtime's `types::ComponentInstance`).
pub use super::component::ComponentInstanceType as ComponentInstance;
/// The type of a component: its imports and exports (Wasmtime's `types::Component`).
pub use super::component::ComponentType as Component;
/// The type of a core module (Wasmtime's `types::Module`).
pub use super::component::ModuleType as Module;
pub use super::component::{ComponentExtern, ComponentItem};
use crate::error::{Error, Result};
use core::any::TypeId;
use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A component value type.
///
/// See the [Explainer's `valtype`](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#type-definitions).
/// `Display` prints the type in WIT syntax, for example `list<tuple<u8, string>>`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    Float32,
    /// `f64`.
    Float64,
    /// `char`: a Unicode scalar value.
    Char,
    /// `string`.
    String,
    /// `list<T>`.
    List(List),
    /// `record { ... }`.
    Record(Record),
    /// `tuple<...>`.
    Tuple(Tuple),
    /// `variant { ... }`.
    Variant(Variant),
    /// `enum { ... }`.
    Enum(Enum),
    /// `option<T>`.
    Option(OptionType),
    /// `result<T, E>`, either side possibly absent.
    Result(ResultType),
    /// `flags { ... }`.
    Flags(Flags),
    /// `own<R>`: an owning handle to a resource.
    Own(ResourceType),
    /// `borrow<R>`: a handle borrowed for the duration of a call.
    Borrow(ResourceType),
}

impl Type {
    /// The type's name in WIT syntax without its contents (`"list"`, `"record"`, `"u32"`),
    /// for error messages.
    pub fn desc(&self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::S8 => "s8",
            Type::U8 => "u8",
            Type::S16 => "s16",
            Type::U16 => "u16",
            Type::S32 => "s32",
            Type::U32 => "u32",
            Type::S64 => "s64",
            Type::U64 => "u64",
            Type::Float32 => "f32",
            Type::Float64 => "f64",
            Type::Char => "char",
            Type::String => "string",
            Type::List(_) => "list",
            Type::Record(_) => "record",
            Type::Tuple(_) => "tuple",
            Type::Variant(_) => "variant",
            Type::Enum(_) => "enum",
            Type::Option(_) => "option",
            Type::Result(_) => "result",
            Type::Flags(_) => "flags",
            Type::Own(_) => "own",
            Type::Borrow(_) => "borrow",
        }
    }

    /// Whether a value of this type contains a `borrow` handle anywhere (the spec's
    /// `contains_borrow`, which forbids `borrow` in results).
    pub fn contains_borrow(&self) -> bool {
        match self {
            Type::Borrow(_) => true,
            Type::List(l) => l.ty().contains_borrow(),
            Type::Record(r) => r.fields().any(|f| f.ty.contains_borrow()),
            Type::Tuple(t) => t.types().any(|t| t.contains_borrow()),
            Type::Variant(v) => v.cases().any(|c| c.ty.is_some_and(|t| t.contains_borrow())),
            Type::Option(o) => o.ty().contains_borrow(),
            Type::Result(r) => {
                r.ok().is_some_and(|t| t.contains_borrow())
                    || r.err().is_some_and(|t| t.contains_borrow())
            }
            _ => false,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::List(l) => write!(f, "list<{}>", l.ty()),
            Type::Record(r) => {
                f.write_str("record {")?;
                for (i, field) in r.fields().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}: {}", field.name, field.ty)?;
                }
                f.write_str(" }")
            }
            Type::Tuple(t) => {
                f.write_str("tuple<")?;
                for (i, ty) in t.types().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{ty}")?;
                }
                f.write_str(">")
            }
            Type::Variant(v) => {
                f.write_str("variant {")?;
                for (i, case) in v.cases().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    match &case.ty {
                        Some(ty) => write!(f, "{sep}{}({ty})", case.name)?,
                        None => write!(f, "{sep}{}", case.name)?,
                    }
                }
                f.write_str(" }")
            }
            Type::Enum(e) => write!(f, "enum {{ {} }}", e.names().collect::<Vec<_>>().join(", ")),
            Type::Flags(e) => write!(
                f,
                "flags {{ {} }}",
                e.names().collect::<Vec<_>>().join(", ")
            ),
            Type::Option(o) => write!(f, "option<{}>", o.ty()),
            Type::Result(r) => match (r.ok(), r.err()) {
                (None, None) => f.write_str("result"),
                (Some(ok), None) => write!(f, "result<{ok}>"),
                (None, Some(err)) => write!(f, "result<_, {err}>"),
                (Some(ok), Some(err)) => write!(f, "result<{ok}, {err}>"),
            },
            Type::Own(r) => write!(f, "own<{r}>"),
            Type::Borrow(r) => write!(f, "borrow<{r}>"),
            other => f.write_str(other.desc()),
        }
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

// Structural equality, short-cut when both sides share their contents: a type built once and
// referred to from several places compares in time linear in its depth, not its expansion.
impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for List {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Record {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for Record {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Tuple {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for Tuple {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Variant {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for Variant {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Enum {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for Enum {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for OptionType {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for OptionType {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for ResultType {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for ResultType {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Flags {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for Flags {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for ComponentFunc {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl core::hash::Hash for ComponentFunc {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

/// Checks that `names` is non-empty and has no duplicates; `what` names the kind of type.
fn check_names<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(Error::usage(format!(
                "{what} has two entries named `{name}`"
            )));
        }
    }
    if seen.is_empty() {
        return Err(Error::usage(format!("{what} must not be empty")));
    }
    Ok(())
}

/// `list<T>`.
#[derive(Clone, Eq)]
pub struct List(Arc<Type>);

impl List {
    /// A list of `element`s.
    pub fn new(element: Type) -> List {
        List(Arc::new(element))
    }

    /// The element type.
    pub fn ty(&self) -> Type {
        (*self.0).clone()
    }

    /// The element type, borrowed.
    pub fn element(&self) -> &Type {
        &self.0
    }
}

/// A field of a [`Record`], as yielded by [`Record::fields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field's name (a kebab-case label).
    pub name: &'a str,
    /// The field's type.
    pub ty: Type,
}

/// `record { name: T, ... }`: named fields, in order.
#[derive(Clone, Eq)]
pub struct Record(Arc<RecordInner>);

#[derive(PartialEq, Eq, Hash)]
struct RecordInner {
    fields: Box<[(Box<str>, Type)]>,
    abi: AbiInfo,
}

impl Record {
    /// A record with the given fields, in order.
    ///
    /// # Errors
    ///
    /// If there are no fields or two fields share a name (the spec's validation rules).
    pub fn new<S: Into<String>>(fields: impl IntoIterator<Item = (S, Type)>) -> Result<Record> {
        let fields: Box<[(Box<str>, Type)]> = fields
            .into_iter()
            .map(|(n, t)| (n.into().into_boxed_str(), t))
            .collect();
        check_names("record", fields.iter().map(|(n, _)| &**n))?;
        let abi = AbiInfo::record(fields.iter().map(|(_, t)| t));
        Ok(Record(Arc::new(RecordInner { fields, abi })))
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = Field<'_>> + '_ {
        self.0.fields.iter().map(|(name, ty)| Field {
            name,
            ty: ty.clone(),
        })
    }

    /// The fields as name and type, borrowed.
    pub(crate) fn field_types(&self) -> &[(Box<str>, Type)] {
        &self.0.fields
    }

    /// The Canonical ABI's facts about this type.
    pub(crate) fn abi(&self) -> &AbiInfo {
        &self.0.abi
    }
}

/// `tuple<T, ...>`: unnamed fields, in order.
#[derive(Clone, Eq)]
pub struct Tuple(Arc<TupleInner>);

#[derive(PartialEq, Eq, Hash)]
struct TupleInner {
    types: Box<[Type]>,
    abi: AbiInfo,
}

impl Tuple {
    /// A tuple of the given types.
    ///
    /// # Errors
    ///
    /// If `types` is empty (the spec's validation rule).
    pub fn new(types: impl IntoIterator<Item = Type>) -> Result<Tuple> {
        let types: Box<[Type]> = types.into_iter().collect();
        if types.is_empty() {
            return Err(Error::usage("tuple must not be empty"));
        }
        let abi = AbiInfo::record(types.iter());
        Ok(Tuple(Arc::new(TupleInner { types, abi })))
    }

    /// The element types, in order.
    pub fn types(&self) -> impl ExactSizeIterator<Item = Type> + '_ {
        self.0.types.iter().cloned()
    }

    /// The element types, borrowed.
    pub fn elements(&self) -> &[Type] {
        &self.0.types
    }

    /// The Canonical ABI's facts about this type.
    pub(crate) fn abi(&self) -> &AbiInfo {
        &self.0.abi
    }
}

/// A case of a [`Variant`], as yielded by [`Variant::cases`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case<'a> {
    /// The case's name.
    pub name: &'a str,
    /// The case's payload type, if it has one.
    pub ty: Option<Type>,
}

/// `variant { name(T), name, ... }`: one of several named cases, each with an optional
/// payload.
#[derive(Clone, Eq)]
pub struct Variant(Arc<VariantInner>);

#[derive(PartialEq, Eq, Hash)]
struct VariantInner {
    cases: Box<[(Box<str>, Option<Type>)]>,
    abi: AbiInfo,
}

impl Variant {
    /// A variant with the given cases, in order.
    ///
    /// # Errors
    ///
    /// If there are no cases, more than `u32::MAX`, or two cases share a name.
    pub fn new<S: Into<String>>(
        cases: impl IntoIterator<Item = (S, Option<Type>)>,
    ) -> Result<Variant> {
        let cases: Box<[(Box<str>, Option<Type>)]> = cases
            .into_iter()
            .map(|(n, t)| (n.into().into_boxed_str(), t))
            .collect();
        check_names("variant", cases.iter().map(|(n, _)| &**n))?;
        if u32::try_from(cases.len()).is_err() {
            return Err(Error::usage("variant has more than 2^32 - 1 cases"));
        }
        let abi = AbiInfo::variant(&Cases::Variant(&cases));
        Ok(Variant(Arc::new(VariantInner { cases, abi })))
    }

    /// The cases, in order.
    pub fn cases(&self) -> impl ExactSizeIterator<Item = Case<'_>> + '_ {
        self.0.cases.iter().map(|(name, ty)| Case {
            name,
            ty: ty.clone(),
        })
    }

    /// The cases as name and payload type, borrowed.
    pub(crate) fn case_types(&self) -> &[(Box<str>, Option<Type>)] {
        &self.0.cases
    }

    /// The Canonical ABI's facts about this type.
    pub(crate) fn abi(&self) -> &AbiInfo {
        &self.0.abi
    }
}

/// `enum { name, ... }`: one of several names, without payloads.
#[derive(Clone, Eq)]
pub struct Enum(Arc<[Box<str>]>);

impl Enum {
    /// An enum with the given case names, in order.
    ///
    /// # Errors
    ///
    /// If there are no names, more than `u32::MAX`, or two are equal.
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Enum> {
        let names: Arc<[Box<str>]> = names
            .into_iter()
            .map(|n| n.into().into_boxed_str())
            .collect();
        check_names("enum", names.iter().map(|n| &**n))?;
        if u32::try_from(names.len()).is_err() {
            return Err(Error::usage("enum has more than 2^32 - 1 cases"));
        }
        Ok(Enum(names))
    }

    /// The case names, in order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter().map(|n| &**n)
    }

    /// The number of cases.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: an enum has at least one case.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `option<T>`.
#[derive(Clone, Eq)]
pub struct OptionType(Arc<(Type, AbiInfo)>);

impl OptionType {
    /// An option of `payload`.
    pub fn new(payload: Type) -> OptionType {
        let abi = AbiInfo::variant(&Cases::Option(&payload));
        OptionType(Arc::new((payload, abi)))
    }

    /// The payload type of `some`.
    pub fn ty(&self) -> Type {
        self.0.0.clone()
    }

    /// The payload type of `some`, borrowed.
    pub fn payload(&self) -> &Type {
        &self.0.0
    }

    /// The Canonical ABI's facts about this type.
    pub(crate) fn abi(&self) -> &AbiInfo {
        &self.0.1
    }
}

/// `result<T, E>`; either side may be absent.
#[derive(Clone, Eq)]
pub struct ResultType(Arc<(Option<Type>, Option<Type>, AbiInfo)>);

impl ResultType {
    /// A result with the given `ok` and `err` payload types.
    pub fn new(ok: Option<Type>, err: Option<Type>) -> ResultType {
        let abi = AbiInfo::variant(&Cases::Result(ok.as_ref(), err.as_ref()));
        ResultType(Arc::new((ok, err, abi)))
    }

    /// The payload type of `ok`, if any.
    pub fn ok(&self) -> Option<Type> {
        self.0.0.clone()
    }

    /// The payload type of `error`, if any.
    pub fn err(&self) -> Option<Type> {
        self.0.1.clone()
    }

    /// The payload types of `ok` and `error`, borrowed.
    pub(crate) fn payloads(&self) -> (Option<&Type>, Option<&Type>) {
        (self.0.0.as_ref(), self.0.1.as_ref())
    }

    /// The Canonical ABI's facts about this type.
    pub(crate) fn abi(&self) -> &AbiInfo {
        &self.0.2
    }
}

/// `flags { name, ... }`: a set of named booleans.
///
/// The current spec allows at most 32 flags; Weft also accepts more, laid out as the earlier
/// spec did (one `i32` per 32 flags), so that components built against it still run.
#[derive(Clone, Eq)]
pub struct Flags(Arc<[Box<str>]>);

impl Flags {
    /// Flags with the given names, in order (the first name is bit 0).
    ///
    /// # Errors
    ///
    /// If there are no names or two are equal.
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Result<Flags> {
        let names: Arc<[Box<str>]> = names
            .into_iter()
            .map(|n| n.into().into_boxed_str())
            .collect();
        check_names("flags", names.iter().map(|n| &**n))?;
        Ok(Flags(names))
    }

    /// The flag names, in bit order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.iter().map(|n| &**n)
    }

    /// The number of flags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: flags have at least one name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The identity of a resource type.
///
/// Resource types are abstract: two are equal only if they are the same type. A host resource
/// type is named by a Rust type ([`ResourceType::host`]); a resource type defined by a
/// component gets a fresh identity each time the component is instantiated
/// ([`ResourceType::guest`]), as the spec's generative `resource` types require
/// ([Explainer, "Resource types"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#type-definitions)).
#[derive(Clone)]
pub struct ResourceType {
    kind: ResourceKind,
}

#[derive(Clone)]
enum ResourceKind {
    /// Defined by the host, identified by a Rust type; the name is for messages only.
    Host { id: TypeId, name: &'static str },
    /// Defined by a component instance (or abstract), identified by a number unique in the
    /// process; the name is for messages only.
    Guest { id: u64, name: Arc<str> },
}

impl ResourceType {
    /// The resource type of host values of type `T`.
    pub fn host<T: 'static>() -> ResourceType {
        ResourceType {
            kind: ResourceKind::Host {
                id: TypeId::of::<T>(),
                name: core::any::type_name::<T>(),
            },
        }
    }

    /// A fresh resource type, equal to no other: a resource type defined by a component,
    /// created when the defining component is instantiated. `name` is only shown in messages.
    pub fn guest(name: &str) -> ResourceType {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ResourceType {
            kind: ResourceKind::Guest {
                id: NEXT.fetch_add(1, Ordering::Relaxed),
                name: name.into(),
            },
        }
    }

    /// Whether this is the resource type of host values of type `T`.
    pub fn is_host<T: 'static>(&self) -> bool {
        matches!(self.kind, ResourceKind::Host { id, .. } if id == TypeId::of::<T>())
    }

    /// Whether the host defined this type (with [`ResourceType::host`]).
    pub(crate) fn is_host_defined(&self) -> bool {
        matches!(self.kind, ResourceKind::Host { .. })
    }

    /// The name given at creation, for messages.
    pub fn name(&self) -> &str {
        match &self.kind {
            ResourceKind::Host { name, .. } => name,
            ResourceKind::Guest { name, .. } => name,
        }
    }
}

impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        match (&self.kind, &other.kind) {
            (ResourceKind::Host { id: a, .. }, ResourceKind::Host { id: b, .. }) => a == b,
            (ResourceKind::Guest { id: a, .. }, ResourceKind::Guest { id: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for ResourceType {}

impl core::hash::Hash for ResourceType {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        match &self.kind {
            ResourceKind::Host { id, .. } => (0u8, id).hash(state),
            ResourceKind::Guest { id, .. } => (1u8, id).hash(state),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ResourceKind::Host { name, .. } => write!(f, "host resource {name}"),
            ResourceKind::Guest { id, name } => write!(f, "resource {name}#{id}"),
        }
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The type of a component function: named parameters and at most one result, as in
/// WASI 0.2 ([Explainer, `functype`](https://github.com/WebAssembly/component-model/blob/main/design/mvp/Explainer.md#type-definitions)).
#[derive(Clone, Eq)]
pub struct ComponentFunc(Arc<ComponentFuncInner>);

#[derive(PartialEq, Eq, Hash)]
struct ComponentFuncInner {
    params: Box<[(Box<str>, Type)]>,
    result: Option<Type>,
}

impl ComponentFunc {
    /// A function type with the given parameters and result.
    ///
    /// # Errors
    ///
    /// If two parameters share a name, or the result contains a `borrow` (the spec forbids
    /// borrows in results).
    pub fn new<S: Into<String>>(
        params: impl IntoIterator<Item = (S, Type)>,
        result: Option<Type>,
    ) -> Result<ComponentFunc> {
        let params: Box<[(Box<str>, Type)]> = params
            .into_iter()
            .map(|(n, t)| (n.into().into_boxed_str(), t))
            .collect();
        if !params.is_empty() {
            check_names("function parameter list", params.iter().map(|(n, _)| &**n))?;
        }
        if result.as_ref().is_some_and(Type::contains_borrow) {
            return Err(Error::usage("a function result must not contain `borrow`"));
        }
        Ok(ComponentFunc(Arc::new(ComponentFuncInner {
            params,
            result,
        })))
    }

    /// The parameters, as name and type, in order.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (&str, Type)> + '_ {
        self.0.params.iter().map(|(n, t)| (&**n, t.clone()))
    }

    /// The result types: none or one.
    pub fn results(&self) -> impl ExactSizeIterator<Item = Type> + '_ {
        self.0.result.iter().cloned()
    }

    /// The parameter types, in order.
    pub fn param_types(&self) -> impl ExactSizeIterator<Item = &Type> + Clone + '_ {
        self.0.params.iter().map(|(_, t)| t)
    }

    /// The result type, if the function has one.
    pub fn result(&self) -> Option<&Type> {
        self.0.result.as_ref()
    }
}

impl fmt::Display for ComponentFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("func(")?;
        for (i, (name, ty)) in self.params().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}: {ty}")?;
        }
        f.write_str(")")?;
        if let Some(result) = self.result() {
            write!(f, " -> {result}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ComponentFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compound_types_compare_structurally() -> Result<()> {
        let a = Type::Record(Record::new([("a", Type::U32), ("b", Type::String)])?);
        let b = Type::Record(Record::new([("a", Type::U32), ("b", Type::String)])?);
        let c = Type::Record(Record::new([("a", Type::U32), ("b", Type::Char)])?);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "record { a: u32, b: string }");
        Ok(())
    }

    #[test]
    fn resource_types_are_identities() {
        struct Host;
        assert_eq!(ResourceType::host::<Host>(), ResourceType::host::<Host>());
        assert_ne!(ResourceType::host::<Host>(), ResourceType::host::<u32>());
        let g = ResourceType::guest("r");
        assert_eq!(g, g.clone());
        assert_ne!(g, ResourceType::guest("r"));
    }

    #[test]
    fn constructors_reject_what_validation_rejects() {
        assert!(Record::new(Vec::<(String, Type)>::new()).is_err());
        assert!(Enum::new(["a", "a"]).is_err());
        assert!(Tuple::new([]).is_err());
        let borrow = Type::Borrow(ResourceType::guest("r"));
        assert!(ComponentFunc::new([("x", borrow.clone())], None).is_ok());
        assert!(ComponentFunc::new(Vec::<(String, Type)>::new(), Some(borrow)).is_err());
    }
}
