//! Typed indices into the store's entity vectors.
//!
//! Every space of indices the executor trusts has its own type, so that using a table index
//! as a memory index, or a module-level index as a store-level one, is a compile error rather
//! than an out-of-bounds read or a wrong entity. Each type is `#[repr(transparent)]` over the
//! `u32` it replaces: no run-time cost, and a raw pointer to a slice of them reads as before.
//!
//! The index fields inside IR instructions are indices in the *module's* spaces ([`FuncIdx`],
//! [`TypeIdx`], [`TableIdx`], ...); the instance's maps ([`EntityVec`]s indexed by them)
//! resolve them to the store's. Raw `u32`s become indices only where they are read from a
//! module (the translator and the module parser) and at the public API.

use core::marker::PhantomData;

/// Defines a `Copy` newtype over `u32` for one index space.
macro_rules! entity_index {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub(crate) struct $name(u32);

        impl $name {
            /// The index with raw value `index`. Nothing is checked: a wrong index is found
            /// when it is looked up (`EntityVec::get` returns `None`).
            #[inline(always)]
            #[allow(dead_code, reason = "not every index space is made from a raw value")]
            pub(crate) const fn from_u32(index: u32) -> Self {
                $name(index)
            }

            /// The raw value.
            #[inline(always)]
            #[allow(dead_code, reason = "not every index space needs its raw value")]
            pub(crate) const fn as_u32(self) -> u32 {
                self.0
            }

            /// The raw value as a vector position.
            #[inline(always)]
            pub(crate) const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl EntityIndex for $name {
            #[inline(always)]
            fn from_position(position: usize) -> Self {
                // Entity counts are bounded far below `u32::MAX` (see `limits`), as before.
                $name(position as u32)
            }

            #[inline(always)]
            fn position(self) -> usize {
                self.index()
            }
        }
    };
}

entity_index!(
    /// A function of a store: an index of `StoreInner::funcs`.
    StoreFuncIdx
);
entity_index!(
    /// A linear memory of a store: an index of `StoreInner::memories`.
    StoreMemoryIdx
);
entity_index!(
    /// A table of a store: an index of `StoreInner::tables`.
    StoreTableIdx
);
entity_index!(
    /// A global of a store: an index of `StoreInner::globals`.
    StoreGlobalIdx
);
entity_index!(
    /// A core instance of a store: an index of `StoreInner::instances`.
    InstanceIdx
);

entity_index!(
    /// A function in a module's function index space: its imported functions first, then its
    /// defined ones (spec §2.5.1).
    FuncIdx
);
entity_index!(
    /// A function among a module's defined (not imported) functions only: index 0 is the
    /// first function of the code section.
    DefinedFuncIdx
);

entity_index!(
    /// A function type in a module's type index space (spec §2.5.1).
    TypeIdx
);
entity_index!(
    /// A table in a module's table index space: its imported tables first.
    TableIdx
);
entity_index!(
    /// A memory in a module's memory index space: its imported memories first.
    MemoryIdx
);
entity_index!(
    /// A global in a module's global index space: its imported globals first.
    GlobalIdx
);
entity_index!(
    /// An element segment of a module.
    ElemIdx
);
entity_index!(
    /// A data segment of a module.
    DataIdx
);

entity_index!(
    /// A host function of a store: an index of `Store::hosts`.
    HostFuncIdx
);
entity_index!(
    /// A host value of a store referenced by an `externref`: an index of
    /// `StoreInner::externrefs`.
    ExternRefIdx
);

entity_index!(
    /// A component function of a store: an index of `ComponentStore::funcs`.
    ComponentFuncIdx
);
entity_index!(
    /// A component instance of a store: an index of `ComponentStore::instances`.
    ComponentInstanceIdx
);
entity_index!(
    /// A host function or host resource destructor of a store's component model state: an
    /// index of `ComponentStore::hosts`.
    ComponentHostIdx
);

impl MemoryIdx {
    /// Memory 0, the one the memory instructions of the IR access.
    pub(crate) const ZERO: MemoryIdx = MemoryIdx(0);
}

impl FuncIdx {
    /// The defined function this is, in a module with `num_imported_funcs` imported
    /// functions, or `None` for an imported one.
    #[inline(always)]
    pub(crate) fn defined(self, num_imported_funcs: u32) -> Option<DefinedFuncIdx> {
        self.0.checked_sub(num_imported_funcs).map(DefinedFuncIdx)
    }
}

impl DefinedFuncIdx {
    /// This function's index in the function index space of a module with
    /// `num_imported_funcs` imported functions.
    #[inline(always)]
    pub(crate) fn func_idx(self, num_imported_funcs: u32) -> FuncIdx {
        FuncIdx(num_imported_funcs + self.0)
    }
}

/// An index type of an [`EntityVec`].
pub(crate) trait EntityIndex: Copy {
    /// The index of vector position `position`.
    fn from_position(position: usize) -> Self;
    /// The vector position of this index.
    fn position(self) -> usize;
}

/// A vector of entities that is indexed only by its own index type `I`.
#[derive(Debug)]
pub(crate) struct EntityVec<I, T> {
    items: Vec<T>,
    index: PhantomData<fn(I) -> I>,
}

impl<I, T> Default for EntityVec<I, T> {
    fn default() -> Self {
        EntityVec {
            items: Vec::new(),
            index: PhantomData,
        }
    }
}

impl<I, T> From<Vec<T>> for EntityVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        EntityVec {
            items,
            index: PhantomData,
        }
    }
}

impl<I, T> FromIterator<T> for EntityVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<I: EntityIndex, T> EntityVec<I, T> {
    /// An empty vector.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The entity at `index`, if there is one.
    #[inline(always)]
    pub(crate) fn get(&self, index: I) -> Option<&T> {
        self.items.get(index.position())
    }

    /// The entity at `index`, mutably, if there is one.
    #[inline(always)]
    pub(crate) fn get_mut(&mut self, index: I) -> Option<&mut T> {
        self.items.get_mut(index.position())
    }

    /// An empty vector with room for `capacity` entities.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Vec::with_capacity(capacity).into()
    }

    /// The entities with their indices, in index order.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(position, item)| (I::from_position(position), item))
    }

    /// Appends `item` and returns its index.
    pub(crate) fn push(&mut self, item: T) -> I {
        let index = I::from_position(self.items.len());
        self.items.push(item);
        index
    }

    /// The index the next [`EntityVec::push`] returns.
    pub(crate) fn next_index(&self) -> I {
        I::from_position(self.items.len())
    }

    /// The number of entities.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Keeps only the first `len` entities (used to undo a failed instantiation).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// The entities in index order.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// The entities in index order, mutably.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items
    }
}
