//! The WebAssembly types of values and of externally visible entities (spec §2.3 "Types").

use core::fmt;
use std::sync::Arc;

/// The heap type of a reference (spec §2.3.3): what a reference points to.
///
/// With typed function references (see
/// [`Config::wasm_function_references`](crate::Config::wasm_function_references)) the heap
/// types form two hierarchies, ordered by [`HeapType::matches`]:
///
/// ```text
/// func                       extern
///  └─ ConcreteFunc($t)        └─ noextern
///      └─ nofunc
/// ```
///
/// `HeapType` stays `Copy`, as in earlier Weft releases (the engine's own code copies value
/// types everywhere): a concrete type is held as a [`ConcreteFuncType`], a `Copy` handle
/// that dereferences to its [`FuncType`], where Wasmtime holds the `FuncType` itself.
///
/// ```
/// use weft::{ConcreteFuncType, Engine, FuncType, HeapType, ValType};
/// let ty = FuncType::new(&Engine::default(), [ValType::I32], []);
/// let concrete = HeapType::ConcreteFunc(ConcreteFuncType::new(&ty));
/// assert!(concrete.matches(&HeapType::Func));
/// assert!(!HeapType::Func.matches(&concrete));
/// assert!(HeapType::NoFunc.matches(&concrete));
/// assert_eq!(concrete.as_concrete_func(), Some(&ty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeapType {
    /// `func`: functions.
    Func,
    /// `extern`: opaque values owned by the host.
    Extern,
    /// `$t`: functions of the function type `$t` (typed function references).
    ConcreteFunc(ConcreteFuncType),
    /// `nofunc`: the bottom of the function hierarchy, which no function has; only null
    /// references have it.
    NoFunc,
    /// `noextern`: the bottom of the extern hierarchy; only null references have it.
    NoExtern,
}

impl HeapType {
    /// Whether every reference to `self` is also a reference to `other` (spec §3.3.3
    /// "Matching", heap types): each type matches itself and the top of its hierarchy, and
    /// the bottom types match every type of theirs.
    pub fn matches(&self, other: &HeapType) -> bool {
        use HeapType as H;
        match (self, other) {
            (H::Func | H::ConcreteFunc(_) | H::NoFunc, H::Func) => true,
            (H::ConcreteFunc(a), H::ConcreteFunc(b)) => a == b,
            (H::NoFunc, H::ConcreteFunc(_) | H::NoFunc) => true,
            (H::Extern | H::NoExtern, H::Extern) => true,
            (H::NoExtern, H::NoExtern) => true,
            _ => false,
        }
    }

    /// The top of this type's hierarchy: `func` or `extern`.
    pub fn top(&self) -> HeapType {
        match self {
            HeapType::Func | HeapType::ConcreteFunc(_) | HeapType::NoFunc => HeapType::Func,
            HeapType::Extern | HeapType::NoExtern => HeapType::Extern,
        }
    }

    /// The bottom of this type's hierarchy: `nofunc` or `noextern`.
    pub fn bottom(&self) -> HeapType {
        match self.top() {
            HeapType::Extern => HeapType::NoExtern,
            _ => HeapType::NoFunc,
        }
    }

    /// Whether this type is in the function hierarchy (`func`, a concrete function type or
    /// `nofunc`).
    pub fn is_func_hierarchy(&self) -> bool {
        self.top() == HeapType::Func
    }

    /// Whether this is `func`.
    pub fn is_func(&self) -> bool {
        *self == HeapType::Func
    }

    /// Whether this is `extern`.
    pub fn is_extern(&self) -> bool {
        *self == HeapType::Extern
    }

    /// Whether this is a bottom type (`nofunc`, `noextern`).
    pub fn is_bottom(&self) -> bool {
        matches!(self, HeapType::NoFunc | HeapType::NoExtern)
    }

    /// Whether this is a concrete function type.
    pub fn is_concrete_func(&self) -> bool {
        matches!(self, HeapType::ConcreteFunc(_))
    }

    /// The function type, if this is a concrete function type.
    pub fn as_concrete_func(&self) -> Option<&FuncType> {
        match self {
            HeapType::ConcreteFunc(ty) => Some(ty.func_type()),
            _ => None,
        }
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::ConcreteFunc(ty) => fmt::Display::fmt(ty.func_type(), f),
            HeapType::NoFunc => f.write_str("nofunc"),
            HeapType::NoExtern => f.write_str("noextern"),
        }
    }
}

/// A function type used as a heap type ([`HeapType::ConcreteFunc`]): a `Copy` handle that
/// dereferences to the [`FuncType`].
///
/// Weft keeps one copy of each distinct function type that a reference type names, for the
/// life of the process (one allocation per distinct type, however many modules use it), so
/// that the handle is a pointer and two handles are equal exactly when their function types
/// are equal.
#[derive(Clone, Copy)]
pub struct ConcreteFuncType(&'static FuncType);

impl ConcreteFuncType {
    /// The handle of function type `ty`.
    pub fn new(ty: &FuncType) -> ConcreteFuncType {
        use std::collections::HashSet;
        use std::sync::{Mutex, OnceLock, PoisonError};
        static INTERNED: OnceLock<Mutex<HashSet<&'static FuncType>>> = OnceLock::new();
        let mut interned = INTERNED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(&known) = interned.get(ty) {
            return ConcreteFuncType(known);
        }
        let leaked: &'static FuncType = Box::leak(Box::new(ty.clone()));
        interned.insert(leaked);
        ConcreteFuncType(leaked)
    }

    /// The function type.
    pub fn func_type(&self) -> &'static FuncType {
        self.0
    }
}

impl core::ops::Deref for ConcreteFuncType {
    type Target = FuncType;

    fn deref(&self) -> &FuncType {
        self.0
    }
}

impl PartialEq for ConcreteFuncType {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.0, other.0)
    }
}

impl Eq for ConcreteFuncType {}

impl core::hash::Hash for ConcreteFuncType {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        core::ptr::hash(self.0, state);
    }
}

impl fmt::Debug for ConcreteFuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl From<&FuncType> for ConcreteFuncType {
    fn from(ty: &FuncType) -> Self {
        ConcreteFuncType::new(ty)
    }
}

/// A reference type (spec §2.3.3): a [`HeapType`], and whether the reference may be null.
/// `funcref` is [`RefType::FUNCREF`] and `externref` is [`RefType::EXTERNREF`], as in
/// Wasmtime.
///
/// ```
/// use weft::{HeapType, RefType, ValType};
/// assert_eq!(RefType::FUNCREF, RefType::new(true, HeapType::Func));
/// assert_eq!(ValType::EXTERNREF, ValType::Ref(RefType::EXTERNREF));
/// assert_eq!(RefType::FUNCREF.to_string(), "funcref");
/// let non_null = RefType::new(false, HeapType::Func);
/// assert_eq!(non_null.to_string(), "(ref func)");
/// assert!(non_null.matches(&RefType::FUNCREF));
/// assert!(!RefType::FUNCREF.matches(&non_null));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    pub(crate) nullable: bool,
    pub(crate) heap_type: HeapType,
}

impl RefType {
    /// `funcref`: a reference to a function, or null.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap_type: HeapType::Func,
    };

    /// `externref`: an opaque reference owned by the host, or null.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap_type: HeapType::Extern,
    };

    /// `nullfuncref`, `(ref null nofunc)`: only the null function reference.
    pub const NULLFUNCREF: RefType = RefType {
        nullable: true,
        heap_type: HeapType::NoFunc,
    };

    /// `nullexternref`, `(ref null noextern)`: only the null extern reference.
    pub const NULLEXTERNREF: RefType = RefType {
        nullable: true,
        heap_type: HeapType::NoExtern,
    };

    /// A reference to `heap_type`, null allowed if `nullable`.
    pub const fn new(nullable: bool, heap_type: HeapType) -> RefType {
        RefType {
            nullable,
            heap_type,
        }
    }

    /// Whether the reference may be null.
    pub const fn is_nullable(&self) -> bool {
        self.nullable
    }

    /// What the reference points to.
    pub const fn heap_type(&self) -> &HeapType {
        &self.heap_type
    }

    /// Whether every value of `self` is also a value of `other` (spec §3.3.3 "Matching",
    /// reference types): the heap types match and `self` is non-nullable or `other` is
    /// nullable.
    pub fn matches(&self, other: &RefType) -> bool {
        (!self.nullable || other.nullable) && self.heap_type.matches(&other.heap_type)
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.nullable {
            return write!(f, "(ref {})", self.heap_type);
        }
        match self.heap_type {
            HeapType::Func => f.write_str("funcref"),
            HeapType::Extern => f.write_str("externref"),
            HeapType::NoFunc => f.write_str("nullfuncref"),
            HeapType::NoExtern => f.write_str("nullexternref"),
            HeapType::ConcreteFunc(_) => write!(f, "(ref null {})", self.heap_type),
        }
    }
}

/// A value type (spec §2.3.4): a number type or a reference type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// A 128-bit vector of the fixed-width SIMD proposal (spec §2.3.2).
    V128,
    /// A reference type: [`ValType::FUNCREF`], [`ValType::EXTERNREF`].
    Ref(RefType),
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);

    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);

    /// Whether every value of `self` is also a value of `other` (spec §3.3.3 "Matching"):
    /// number and vector types match only themselves, reference types as
    /// [`RefType::matches`].
    ///
    /// ```
    /// use weft::{HeapType, RefType, ValType};
    /// let non_null = ValType::Ref(RefType::new(false, HeapType::Func));
    /// assert!(non_null.matches(&ValType::FUNCREF));
    /// assert!(!ValType::FUNCREF.matches(&non_null));
    /// assert!(!ValType::I32.matches(&ValType::I64));
    /// ```
    pub fn matches(&self, other: &ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }

    /// Whether the type has a default value: every type but the non-nullable references,
    /// which a local, table or global can hold only once it is given a value.
    pub fn is_defaultable(&self) -> bool {
        !matches!(self, ValType::Ref(r) if !r.nullable)
    }

    /// Whether this is a reference type.
    pub fn is_ref(&self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// This type as a [`RefType`], if it is one.
    pub fn as_ref(&self) -> Option<&RefType> {
        match self {
            ValType::Ref(ty) => Some(ty),
            _ => None,
        }
    }

    /// This type as a [`RefType`], if it is one.
    pub fn as_ref_type(self) -> Option<RefType> {
        self.as_ref().copied()
    }

    /// Whether this is `i32`, `i64`, `f32` or `f64`.
    pub fn is_num(&self) -> bool {
        !self.is_ref() && *self != ValType::V128
    }

    /// Whether this is `v128`.
    pub fn is_v128(&self) -> bool {
        *self == ValType::V128
    }

    /// How many 64-bit cells a value of this type takes in a frame: 2 for `v128`, else 1.
    pub(crate) fn cells(self) -> usize {
        if self == ValType::V128 { 2 } else { 1 }
    }
}

impl From<RefType> for ValType {
    fn from(ty: RefType) -> Self {
        ValType::Ref(ty)
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(ty) => fmt::Display::fmt(ty, f),
        }
    }
}

/// A function type (spec §2.3.5): parameter and result types.
///
/// Cheap to clone (one reference-counted allocation).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params_results: Arc<[ValType]>,
    len_params: usize,
}

impl FuncType {
    /// How many 64-bit cells the parameters take in a frame (a `v128` takes two).
    pub(crate) fn param_cells(&self) -> usize {
        self.params().iter().map(|t| t.cells()).sum()
    }

    /// How many 64-bit cells the results take in a frame (a `v128` takes two).
    pub(crate) fn result_cells(&self) -> usize {
        self.results().iter().map(|t| t.cells()).sum()
    }

    /// A function type with the given parameter and result types.
    ///
    /// `engine` is Wasmtime's signature, where types are registered with an engine; Weft's
    /// function types belong to no engine, and one made with any engine serves them all.
    ///
    /// ```
    /// use weft::{Engine, FuncType, ValType};
    /// let engine = Engine::default();
    /// let ty = FuncType::new(&engine, [ValType::I32, ValType::I64], [ValType::F64]);
    /// assert_eq!(ty.params(), [ValType::I32, ValType::I64]);
    /// assert_eq!(ty.results(), [ValType::F64]);
    /// ```
    pub fn new(
        _engine: &crate::Engine,
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType::from_types(params, results)
    }

    /// A function type with the given parameter and result types (no engine).
    pub(crate) fn from_types(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        let mut all: Vec<ValType> = params.into_iter().collect();
        let len_params = all.len();
        all.extend(results);
        FuncType {
            params_results: all.into(),
            len_params,
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        self.params_results.get(..self.len_params).unwrap_or(&[])
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        self.params_results.get(self.len_params..).unwrap_or(&[])
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(func")?;
        if !self.params().is_empty() {
            write!(f, " (param")?;
            for p in self.params() {
                write!(f, " {p}")?;
            }
            write!(f, ")")?;
        }
        if !self.results().is_empty() {
            write!(f, " (result")?;
            for r in self.results() {
                write!(f, " {r}")?;
            }
            write!(f, ")")?;
        }
        write!(f, ")")
    }
}

/// Whether a global can be written after instantiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// `const`: set once by its initializer.
    Const,
    /// `var`: writable by `global.set` and [`Global::set`](crate::Global::set).
    Var,
}

/// A global type (spec §2.3.9): the content type and mutability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    content: ValType,
    mutability: Mutability,
}

impl GlobalType {
    /// A global type.
    pub fn new(content: ValType, mutability: Mutability) -> Self {
        GlobalType {
            content,
            mutability,
        }
    }

    /// The type of the value the global holds.
    pub fn content(&self) -> ValType {
        self.content
    }

    /// Whether the global is mutable.
    pub fn mutability(&self) -> Mutability {
        self.mutability
    }
}

/// A memory type (spec §2.3.8): limits in pages, of 64 KiB unless the memory declares
/// another page size (the custom-page-sizes proposal: 1 byte or 64 KiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    minimum: u64,
    maximum: Option<u64>,
    memory64: bool,
    page_size_log2: u8,
}

impl MemoryType {
    /// The size of a default WebAssembly page in bytes (64 KiB).
    pub const PAGE_SIZE: u64 = 65536;
    /// The largest number of 64 KiB pages a 32-bit memory can have (4 GiB).
    pub const MAX_PAGES: u64 = 65536;
    /// The largest number of 64 KiB pages a 64-bit memory's type can name (2^48, as
    /// validation allows); Weft still allocates at most 4 GiB of them.
    pub const MAX_PAGES_64: u64 = 1 << 48;
    /// The most bytes Weft allocates for one memory (4 GiB), whatever its type allows.
    pub(crate) const MAX_BYTES: u64 = 1 << 32;

    /// A memory type with `minimum` pages and an optional `maximum` in pages.
    pub fn new(minimum: u32, maximum: Option<u32>) -> Self {
        MemoryType {
            minimum: u64::from(minimum),
            maximum: maximum.map(u64::from),
            memory64: false,
            page_size_log2: 16,
        }
    }

    /// The type of a memory with 64-bit addresses (memory64), with `minimum` pages and an
    /// optional `maximum` in pages.
    pub fn new64(minimum: u64, maximum: Option<u64>) -> Self {
        MemoryType {
            minimum,
            maximum,
            memory64: true,
            page_size_log2: 16,
        }
    }

    pub(crate) fn from_limits(minimum: u64, maximum: Option<u64>) -> Self {
        MemoryType {
            minimum,
            maximum,
            memory64: false,
            page_size_log2: 16,
        }
    }

    /// The same limits, with 64-bit addresses if `memory64`.
    pub(crate) fn with_64(self, memory64: bool) -> Self {
        MemoryType { memory64, ..self }
    }

    /// The same limits, counted in pages of `2^page_size_log2` bytes (0 or 16).
    pub(crate) fn with_page_size_log2(self, page_size_log2: u8) -> Self {
        MemoryType {
            page_size_log2,
            ..self
        }
    }

    /// The initial size, in pages.
    pub fn minimum(&self) -> u64 {
        self.minimum
    }

    /// The maximum size, in pages, if the memory has one.
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }

    /// Whether the memory has 64-bit addresses (memory64).
    pub fn is_64(&self) -> bool {
        self.memory64
    }

    /// Whether the memory is shared between threads: always `false` (Weft has no threads
    /// proposal).
    pub fn is_shared(&self) -> bool {
        false
    }

    /// The size of one page in bytes: [`MemoryType::PAGE_SIZE`] (64 KiB) unless the memory
    /// declares a custom page size (1 byte is the only other one the proposal allows).
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }

    /// The base-2 logarithm of [`MemoryType::page_size`]: 16, or 0 for 1-byte pages.
    pub fn page_size_log2(&self) -> u8 {
        self.page_size_log2
    }

    /// The most pages the type may declare (as validation checks): the address space
    /// (2^32 bytes for a 32-bit memory, 2^64 for a 64-bit one) in pages, and at most
    /// 2^32 - 1 (2^64 - 1) when pages are one byte, so that a size fits its address type.
    pub(crate) fn max_type_pages(memory64: bool, page_size_log2: u8) -> u64 {
        let (address_bits, most) = if memory64 {
            (64, u64::MAX)
        } else {
            (32, u64::from(u32::MAX))
        };
        let pages = (1_u128 << address_bits) >> page_size_log2.min(64);
        u64::try_from(pages).map_or(most, |pages| pages.min(most))
    }

    /// The most pages Weft allocates for this memory: its maximum, or the type's bound,
    /// capped at [`MemoryType::MAX_BYTES`] bytes.
    pub(crate) fn max_alloc_pages(&self) -> u64 {
        let cap = (Self::MAX_BYTES >> self.page_size_log2)
            .min(Self::max_type_pages(self.memory64, self.page_size_log2));
        self.maximum.unwrap_or(cap).min(cap)
    }

    /// `pages` of this memory's pages in bytes, or `None` past `u64`.
    pub(crate) fn pages_to_bytes(&self, pages: u64) -> Option<u64> {
        pages.checked_mul(self.page_size())
    }
}

/// Builds a [`MemoryType`] from settings that may be checked only at the end, as Wasmtime's
/// builder of the same name.
///
/// The defaults are a minimum of 0 pages, no maximum, 32-bit addresses, unshared memory and
/// 64 KiB pages.
///
/// ```
/// use weft::MemoryTypeBuilder;
/// let ty = MemoryTypeBuilder::new().min(1).max(Some(4)).build()?;
/// assert_eq!((ty.minimum(), ty.maximum()), (1, Some(4)));
/// let bytes = MemoryTypeBuilder::new().min(3).page_size_log2(0).build()?;
/// assert_eq!((bytes.page_size(), bytes.minimum()), (1, 3));
/// // Page sizes other than 1 byte and 64 KiB are refused, as by validation.
/// assert!(MemoryTypeBuilder::new().page_size_log2(12).build().is_err());
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryTypeBuilder {
    minimum: u64,
    maximum: Option<u64>,
    memory64: bool,
    shared: bool,
    page_size_log2: u8,
}

impl Default for MemoryTypeBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryTypeBuilder {
    /// A builder with the defaults above.
    pub fn new() -> MemoryTypeBuilder {
        MemoryTypeBuilder {
            minimum: 0,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: 16,
        }
    }

    /// The minimum size, in pages (default 0).
    pub fn min(&mut self, minimum: u64) -> &mut Self {
        self.minimum = minimum;
        self
    }

    /// The maximum size, in pages (default `None`).
    pub fn max(&mut self, maximum: Option<u64>) -> &mut Self {
        self.maximum = maximum;
        self
    }

    /// 64-bit addresses (the memory64 proposal; default `false`).
    pub fn memory64(&mut self, memory64: bool) -> &mut Self {
        self.memory64 = memory64;
        self
    }

    /// A shared memory (the threads proposal; default `false`).
    pub fn shared(&mut self, shared: bool) -> &mut Self {
        self.shared = shared;
        self
    }

    /// The page size as a power of two (the custom-page-sizes proposal; default 16, 64 KiB;
    /// the only other size is 0, 1-byte pages).
    pub fn page_size_log2(&mut self, page_size_log2: u8) -> &mut Self {
        self.page_size_log2 = page_size_log2;
        self
    }

    /// The memory type.
    ///
    /// # Errors
    ///
    /// If the page size is neither 1 byte nor 64 KiB; if the minimum or maximum exceeds what
    /// the address space holds in pages ([`MemoryType::MAX_PAGES`] 64 KiB pages or
    /// 2^32 - 1 one-byte pages for a 32-bit memory; [`MemoryType::MAX_PAGES_64`] or
    /// 2^64 - 1 for a 64-bit one); if the maximum is below the minimum; or for
    /// `shared(true)` (Weft has no threads proposal).
    pub fn build(&self) -> crate::Result<MemoryType> {
        if self.shared {
            crate::bail!("shared memories (threads) are not supported");
        }
        if self.page_size_log2 != 0 && self.page_size_log2 != 16 {
            crate::bail!(
                "invalid custom page size 2^{} bytes: pages are 1 byte or 64 KiB",
                self.page_size_log2
            );
        }
        let bound = MemoryType::max_type_pages(self.memory64, self.page_size_log2);
        let width = if self.memory64 { 64 } else { 32 };
        if self.minimum > bound || self.maximum.is_some_and(|max| max > bound) {
            crate::bail!("a {width}-bit memory has at most {bound} pages");
        }
        if self.maximum.is_some_and(|max| max < self.minimum) {
            crate::bail!("the memory's maximum is below its minimum");
        }
        Ok(MemoryType::from_limits(self.minimum, self.maximum)
            .with_64(self.memory64)
            .with_page_size_log2(self.page_size_log2))
    }
}

/// A table type (spec §2.3.10): the element type, limits in elements and the address type
/// of the table's indices (`i64` for a 64-bit table of the memory64 proposal, "table64").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    element: RefType,
    minimum: u64,
    maximum: Option<u64>,
    table64: bool,
}

impl TableType {
    /// A table type with `minimum` elements and an optional `maximum`, indexed by `i32`s.
    pub fn new(element: RefType, minimum: u32, maximum: Option<u32>) -> Self {
        TableType {
            element,
            minimum: u64::from(minimum),
            maximum: maximum.map(u64::from),
            table64: false,
        }
    }

    /// The type of a table indexed by `i64`s (table64, part of the memory64 proposal), with
    /// `minimum` elements and an optional `maximum`. Weft holds at most 10,000,000 elements
    /// in a table whatever its type allows, as for 32-bit tables.
    pub fn new64(element: RefType, minimum: u64, maximum: Option<u64>) -> Self {
        TableType {
            element,
            minimum,
            maximum,
            table64: true,
        }
    }

    pub(crate) fn from_limits(element: RefType, minimum: u64, maximum: Option<u64>) -> Self {
        TableType {
            element,
            minimum,
            maximum,
            table64: false,
        }
    }

    /// The same limits, with 64-bit indices if `table64`.
    pub(crate) fn with_64(self, table64: bool) -> Self {
        TableType { table64, ..self }
    }

    /// The type of the table's elements.
    pub fn element(&self) -> RefType {
        self.element
    }

    /// The initial number of elements.
    pub fn minimum(&self) -> u64 {
        self.minimum
    }

    /// The maximum number of elements, if the table has one.
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }

    /// Whether the table's indices are `i64`s (table64): `table.get`, `table.set`,
    /// `table.fill`, `table.copy`, `table.init` and `call_indirect` then take `i64`
    /// indices, and `table.size` and `table.grow` give `i64`s.
    pub fn is_64(&self) -> bool {
        self.table64
    }
}

/// The type of an import or export (spec §2.3.11 "External Types").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A linear memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
}

/// One import of a [`Module`](crate::Module): its two-level name and its type.
#[derive(Debug, Clone)]
pub struct ImportType<'module> {
    pub(crate) module: &'module str,
    pub(crate) name: &'module str,
    pub(crate) ty: ExternType,
}

impl<'module> ImportType<'module> {
    /// The module name of the import.
    pub fn module(&self) -> &'module str {
        self.module
    }

    /// The field name of the import.
    pub fn name(&self) -> &'module str {
        self.name
    }

    /// The type the import must have.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}

/// One export of a [`Module`](crate::Module): its name and its type.
#[derive(Debug, Clone)]
pub struct ExportType<'module> {
    pub(crate) name: &'module str,
    pub(crate) ty: ExternType,
}

impl<'module> ExportType<'module> {
    /// The export's name.
    pub fn name(&self) -> &'module str {
        self.name
    }

    /// The exported entity's type.
    pub fn ty(&self) -> ExternType {
        self.ty.clone()
    }
}
