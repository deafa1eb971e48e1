//! Resources: host handles ([`Resource<T>`], [`ResourceAny`]), the host's [`ResourceTable`],
//! and the per-instance [`HandleTable`] of the Canonical ABI.
//!
//! # Two kinds of tables
//!
//! - A [`ResourceTable`] lives in the embedder's store data and holds the host's own resource
//!   values (files, streams, ...), as in wasmtime-wasi. A [`Resource<T>`] is an index into it,
//!   typed by the Rust type of the value; entries may have a parent, and a parent cannot be
//!   deleted while it has children.
//! - A [`HandleTable`] belongs to one component instance and holds the `own` and `borrow`
//!   handles that instance's core code refers to by `i32` index: the spec's `Table` of
//!   `ResourceHandle`s ([CanonicalABI.md, "Table State" and "Resource
//!   State"](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#table-state)).
//!   Lifting an `own` takes a handle out of it, lowering one puts a handle in; `resource.new`,
//!   `resource.rep` and `resource.drop` act on it.
//!
//! # Borrow scopes
//!
//! A `borrow` handle is valid for one call. The spec tracks this with two counters:
//!
//! - a call *into* an instance (the spec's `Task`) counts the borrow handles lowered into the
//!   instance for it (`num_borrows`); the callee must drop them all before it returns, or the
//!   call traps (`borrow handles still remain at the end of the call`);
//! - a call *out of* an instance (the spec's `Subtask`) lends the caller's handles it passed as
//!   `borrow` (`num_lends`, the list of `lenders`); while a handle is lent it cannot be dropped
//!   or moved out (`cannot remove owned resource while borrowed`), and the lends end when the
//!   call returns.
//!
//! Synchronous calls into and out of an instance nest like a stack, so the table keeps both
//! as stacks: the runtime brackets each call with [`HandleTable::enter_task`] /
//! [`HandleTable::exit_task`] (callee side) and [`HandleTable::enter_subtask`] /
//! [`HandleTable::exit_subtask`] (caller side).

use super::types::ResourceType;
use crate::error::ErrorCtor as _;
use crate::error::Result;
use crate::trap::{Trap, TrapCode};
use core::any::Any;
use core::fmt;
use core::marker::PhantomData;

/// A typed handle to a host resource of type `T`: the index (`rep`) of a value in a
/// [`ResourceTable`], owned or borrowed.
///
/// This is what a host function receives for a parameter of type `own<R>` or `borrow<R>`
/// when `R` is the host resource type [`ResourceType::host::<T>()`](ResourceType::host).
pub struct Resource<T> {
    rep: u32,
    owned: bool,
    _marker: PhantomData<fn() -> T>,
}

impl<T: 'static> Resource<T> {
    /// An owning handle with representation `rep`.
    pub fn new_own(rep: u32) -> Self {
        Resource {
            rep,
            owned: true,
            _marker: PhantomData,
        }
    }

    /// A borrowed handle with representation `rep`.
    pub fn new_borrow(rep: u32) -> Self {
        Resource {
            rep,
            owned: false,
            _marker: PhantomData,
        }
    }

    /// The representation: the value's slot in its [`ResourceTable`] and the slot's
    /// generation, so that a handle kept after the value was deleted is not present.
    pub fn rep(&self) -> u32 {
        self.rep
    }

    /// Whether this handle owns the resource (`own<R>`) rather than borrows it.
    pub fn owned(&self) -> bool {
        self.owned
    }
}

impl<T> fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("rep", &self.rep)
            .field("owned", &self.owned)
            .finish()
    }
}

/// An untyped handle to a resource of any type, host or guest, as carried by
/// [`Val::Resource`](super::Val::Resource).
///
/// It holds the resource type and whether the handle owns the resource.
///
/// - A handle to a **host** resource (type [`ResourceType::host`]) carries the
///   representation itself, the index of the value in the host's [`ResourceTable`]; the host
///   decides when it is valid, as with [`Resource<T>`].
/// - A handle to a **guest** resource, lifted out of a component, is an index into the
///   store's [`HostHandleTable`] with a generation: it stays valid until it is dropped
///   ([`resource_drop`](Self::resource_drop)), moved back into a component as an `own`, or,
///   for a `borrow` lent to a host function, until that host function returns. A copy kept
///   past that point is stale: using it is an error (`unknown handle index N`), never a call
///   with a freed representation, and the destructor runs once.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResourceAny {
    ty: ResourceType,
    rep: u32,
    owned: bool,
    /// The entry in the store's [`HostHandleTable`], for a guest resource lifted out of a
    /// component.
    slot: Option<HostSlot>,
}

/// An index into a [`HostHandleTable`] with the generation it was made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct HostSlot {
    index: u32,
    generation: u32,
}

impl ResourceAny {
    /// A handle of type `ty` with representation `rep`, held by no table.
    pub(crate) fn new(ty: ResourceType, rep: u32, owned: bool) -> Self {
        ResourceAny {
            ty,
            rep,
            owned,
            slot: None,
        }
    }

    /// The handle the host receives for `rep`, just lifted out of a component: a guest
    /// resource goes into the store's `host` table when there is one.
    ///
    /// # Errors
    ///
    /// A resource-exhaustion error if the table is full.
    pub(crate) fn lifted(
        host: Option<&mut HostHandleTable>,
        ty: &ResourceType,
        rep: u32,
        owned: bool,
    ) -> Result<Self> {
        match host {
            Some(table) if !ty.is_host_defined() => table.insert(ty.clone(), rep, owned),
            _ => Ok(ResourceAny::new(ty.clone(), rep, owned)),
        }
    }

    /// The representation to lower into a component. `take` moves an owned handle out of the
    /// store's `host` table (the component owns the resource from now on).
    ///
    /// # Errors
    ///
    /// A usage error `unknown handle index N` if the handle is stale (dropped, moved into a
    /// component, or a borrow whose host call returned).
    pub(crate) fn lower_rep(&self, host: Option<&mut HostHandleTable>, take: bool) -> Result<u32> {
        let Some(slot) = self.slot else {
            return Ok(self.rep);
        };
        let Some(table) = host else {
            return Err(crate::Error::usage(
                "a handle held by a store's host table cannot be lowered here",
            ));
        };
        if take {
            table.take(slot)
        } else {
            table.rep(slot)
        }
    }

    /// The resource's type.
    pub fn ty(&self) -> ResourceType {
        self.ty.clone()
    }

    /// Whether this handle owns the resource.
    pub fn owned(&self) -> bool {
        self.owned
    }

    /// The untyped form of a host handle.
    pub fn from_resource<T: 'static>(resource: Resource<T>) -> Self {
        ResourceAny::new(ResourceType::host::<T>(), resource.rep, resource.owned)
    }

    /// The typed form of this handle, if it is a handle to a host resource of type `T`.
    ///
    /// # Errors
    ///
    /// A usage error if the handle's resource type is not [`ResourceType::host::<T>()`].
    pub fn try_into_resource<T: 'static>(self) -> Result<Resource<T>> {
        if !self.ty.is_host::<T>() || self.slot.is_some() {
            return Err(crate::Error::usage(format!(
                "resource of type {} is not a host resource of type {}",
                self.ty,
                core::any::type_name::<T>()
            )));
        }
        Ok(Resource {
            rep: self.rep,
            owned: self.owned,
            _marker: PhantomData,
        })
    }
}

/// The store's table of the guest resource handles the host holds as [`ResourceAny`]s
/// (Wasmtime's host resource table).
///
/// Each entry has a generation, bumped when the entry is freed, so that a stale
/// [`ResourceAny`] (dropped, moved back into a component, or a borrow whose host call
/// returned) is detected even after its index is reused. A borrow lifted while a host
/// function runs belongs to that call's scope and is removed when the call returns
/// (the runtime opens a scope around each host function a component calls).
///
/// Only the runtime adds entries, so a [`ResourceAny`] naming an entry cannot be forged.
#[derive(Debug, Default)]
pub struct HostHandleTable {
    slots: Vec<HostEntry>,
    free: Vec<u32>,
    /// The borrow entries of each open host call, innermost last.
    scopes: Vec<Vec<u32>>,
}

#[derive(Debug)]
struct HostEntry {
    generation: u32,
    /// The representation, while the entry is live.
    rep: Option<u32>,
}

#[cold]
fn unknown_host_handle(index: u32) -> crate::Error {
    crate::Error::usage(format!("unknown handle index {index}"))
}

impl HostHandleTable {
    /// An empty table.
    pub fn new() -> Self {
        HostHandleTable::default()
    }

    /// The number of live handles.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.rep.is_some()).count()
    }

    /// Whether the table holds no handle.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a handle of type `ty` to `rep` and returns it; a borrow joins the innermost open
    /// host call's scope.
    ///
    /// # Errors
    ///
    /// A resource-exhaustion error past `u32::MAX` entries.
    pub(crate) fn insert(
        &mut self,
        ty: ResourceType,
        rep: u32,
        owned: bool,
    ) -> Result<ResourceAny> {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.slots.len())
                    .map_err(|_| crate::Error::resource("host handle table is full"))?;
                self.slots.push(HostEntry {
                    generation: 0,
                    rep: None,
                });
                index
            }
        };
        let entry = self
            .slots
            .get_mut(index as usize)
            .ok_or_else(|| unknown_host_handle(index))?;
        entry.rep = Some(rep);
        let slot = HostSlot {
            index,
            generation: entry.generation,
        };
        if !owned && let Some(scope) = self.scopes.last_mut() {
            scope.push(index);
        }
        Ok(ResourceAny {
            ty,
            rep: 0,
            owned,
            slot: Some(slot),
        })
    }

    fn live(&self, slot: HostSlot) -> Result<u32> {
        self.slots
            .get(slot.index as usize)
            .filter(|e| e.generation == slot.generation)
            .and_then(|e| e.rep)
            .ok_or_else(|| unknown_host_handle(slot.index))
    }

    fn rep(&self, slot: HostSlot) -> Result<u32> {
        self.live(slot)
    }

    fn take(&mut self, slot: HostSlot) -> Result<u32> {
        let rep = self.live(slot)?;
        self.free_entry(slot.index);
        Ok(rep)
    }

    fn free_entry(&mut self, index: u32) {
        if let Some(entry) = self.slots.get_mut(index as usize)
            && entry.rep.take().is_some()
        {
            entry.generation = entry.generation.wrapping_add(1);
            self.free.push(index);
        }
    }

    /// Removes the handle `resource` and returns its representation if it owned the resource
    /// (its destructor must then run), or `None` for a borrow.
    ///
    /// # Errors
    ///
    /// A usage error `unknown handle index N` if the handle is stale.
    pub(crate) fn remove(&mut self, resource: &ResourceAny) -> Result<Option<u32>> {
        let Some(slot) = resource.slot else {
            return Ok(resource.owned.then_some(resource.rep));
        };
        let rep = self.take(slot)?;
        Ok(resource.owned.then_some(rep))
    }

    /// Opens the scope of a host function called by a component: borrows lifted for it end
    /// with [`exit_scope`](Self::exit_scope).
    pub(crate) fn enter_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    /// Closes the innermost host call's scope, removing the borrows lent to it.
    pub(crate) fn exit_scope(&mut self) {
        for index in self.scopes.pop().unwrap_or_default() {
            self.free_entry(index);
        }
    }
}

impl fmt::Debug for ResourceAny {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceAny")
            .field("ty", &self.ty)
            .field("owned", &self.owned)
            .finish_non_exhaustive()
    }
}

/// Why a [`ResourceTable`] operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceTableError {
    /// The table has `u32::MAX` entries.
    Full,
    /// No entry has that index.
    NotPresent,
    /// The entry holds a value of another type.
    WrongType,
    /// The entry still has children and cannot be deleted.
    HasChildren,
}

impl fmt::Display for ResourceTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceTableError::Full => "resource table has no free keys",
            ResourceTableError::NotPresent => "resource not present",
            ResourceTableError::WrongType => "resource is of another type",
            ResourceTableError::HasChildren => "resource has children",
        })
    }
}

impl std::error::Error for ResourceTableError {}

struct TableEntry {
    value: Box<dyn Any + Send>,
    parent: Option<u32>,
    children: Vec<u32>,
}

/// The host's table of resource values, kept in the store's data.
///
/// Each value gets a slot, returned as a [`Resource<T>`]; [`get`](Self::get),
/// [`get_mut`](Self::get_mut) and [`delete`](Self::delete) check the value's type. A
/// handle's representation holds its slot's index (the low 20 bits) and the slot's
/// generation (the high 12 bits), which deleting the value advances: a stale handle kept
/// after [`delete`](Self::delete) is [`ResourceTableError::NotPresent`] even once the slot
/// holds a new value (until the slot has been reused 4096 times). At most `2^20` values are
/// present at once. A value
/// pushed with [`push_child`](Self::push_child) records its parent, and the parent cannot be
/// deleted before its children (a stream cannot outlive the file it reads).
#[derive(Default)]
pub struct ResourceTable {
    entries: Vec<TableSlot>,
    free: Vec<u32>,
}

#[derive(Default)]
struct TableSlot {
    /// Advanced each time the slot's value is deleted (12 bits are used).
    generation: u32,
    entry: Option<TableEntry>,
}

/// Bits of a [`ResourceTable`] representation that index the slot.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// The representation of slot `index` at `generation`.
fn table_rep(index: u32, generation: u32) -> u32 {
    index | (generation << INDEX_BITS)
}

impl ResourceTable {
    /// An empty table.
    pub fn new() -> Self {
        ResourceTable::default()
    }

    /// The number of values in the table.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Whether the table holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores `entry` and returns its representation.
    fn insert(&mut self, entry: TableEntry) -> Result<u32, ResourceTableError> {
        if let Some(index) = self.free.pop()
            && let Some(slot) = self.entries.get_mut(index as usize)
        {
            slot.entry = Some(entry);
            return Ok(table_rep(index, slot.generation));
        }
        let index = u32::try_from(self.entries.len()).map_err(|_| ResourceTableError::Full)?;
        if index > INDEX_MASK {
            return Err(ResourceTableError::Full);
        }
        self.entries.push(TableSlot {
            generation: 0,
            entry: Some(entry),
        });
        Ok(table_rep(index, 0))
    }

    /// The live slot of representation `rep`.
    fn slot(&self, rep: u32) -> Result<&TableSlot, ResourceTableError> {
        self.entries
            .get((rep & INDEX_MASK) as usize)
            .filter(|s| s.generation == rep >> INDEX_BITS && s.entry.is_some())
            .ok_or(ResourceTableError::NotPresent)
    }

    fn entry(&self, rep: u32) -> Result<&TableEntry, ResourceTableError> {
        self.slot(rep)?
            .entry
            .as_ref()
            .ok_or(ResourceTableError::NotPresent)
    }

    fn entry_mut(&mut self, rep: u32) -> Result<&mut TableEntry, ResourceTableError> {
        self.entries
            .get_mut((rep & INDEX_MASK) as usize)
            .filter(|s| s.generation == rep >> INDEX_BITS)
            .and_then(|s| s.entry.as_mut())
            .ok_or(ResourceTableError::NotPresent)
    }

    /// Inserts `value` and returns an owning handle to it.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::Full`] if the table has no free index.
    pub fn push<T: Send + 'static>(&mut self, value: T) -> Result<Resource<T>, ResourceTableError> {
        let rep = self.insert(TableEntry {
            value: Box::new(value),
            parent: None,
            children: Vec::new(),
        })?;
        Ok(Resource::new_own(rep))
    }

    /// Inserts `value` as a child of `parent` and returns an owning handle to it.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`] if `parent` is not in the table, or
    /// [`ResourceTableError::Full`].
    pub fn push_child<T: Send + 'static, U: 'static>(
        &mut self,
        value: T,
        parent: &Resource<U>,
    ) -> Result<Resource<T>, ResourceTableError> {
        self.entry(parent.rep)?;
        let rep = self.insert(TableEntry {
            value: Box::new(value),
            parent: Some(parent.rep),
            children: Vec::new(),
        })?;
        self.entry_mut(parent.rep)?.children.push(rep);
        Ok(Resource::new_own(rep))
    }

    /// The value `resource` refers to.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`] or [`ResourceTableError::WrongType`].
    pub fn get<T: 'static>(&self, resource: &Resource<T>) -> Result<&T, ResourceTableError> {
        self.entry(resource.rep)?
            .value
            .downcast_ref()
            .ok_or(ResourceTableError::WrongType)
    }

    /// The value `resource` refers to, mutably.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`] or [`ResourceTableError::WrongType`].
    pub fn get_mut<T: 'static>(
        &mut self,
        resource: &Resource<T>,
    ) -> Result<&mut T, ResourceTableError> {
        self.entry_mut(resource.rep)?
            .value
            .downcast_mut()
            .ok_or(ResourceTableError::WrongType)
    }

    /// The value of representation `rep` ([`Resource::rep`]), untyped.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`].
    pub fn get_any_mut(&mut self, rep: u32) -> Result<&mut dyn Any, ResourceTableError> {
        Ok(&mut *self.entry_mut(rep)?.value)
    }

    /// The values pushed as children of `parent`, in insertion order.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`].
    pub fn iter_children<T: 'static>(
        &self,
        parent: &Resource<T>,
    ) -> Result<impl Iterator<Item = &(dyn Any + Send)> + '_, ResourceTableError> {
        let children = &self.entry(parent.rep)?.children;
        Ok(children
            .iter()
            .filter_map(|&c| self.entry(c).ok().map(|e| &*e.value)))
    }

    /// Removes the value `resource` refers to and returns it.
    ///
    /// # Errors
    ///
    /// [`ResourceTableError::NotPresent`], [`ResourceTableError::WrongType`], or
    /// [`ResourceTableError::HasChildren`] if values pushed as its children are still present.
    pub fn delete<T: 'static>(&mut self, resource: Resource<T>) -> Result<T, ResourceTableError> {
        let entry = self.entry(resource.rep)?;
        if !entry.value.is::<T>() {
            return Err(ResourceTableError::WrongType);
        }
        if !entry.children.is_empty() {
            return Err(ResourceTableError::HasChildren);
        }
        let index = resource.rep & INDEX_MASK;
        let slot = self
            .entries
            .get_mut(index as usize)
            .ok_or(ResourceTableError::NotPresent)?;
        let entry = slot.entry.take().ok_or(ResourceTableError::NotPresent)?;
        slot.generation = (slot.generation + 1) & (u32::MAX >> INDEX_BITS);
        self.free.push(index);
        if let Some(parent) = entry.parent
            && let Ok(parent) = self.entry_mut(parent)
        {
            parent.children.retain(|&c| c != resource.rep);
        }
        entry
            .value
            .downcast::<T>()
            .map(|b| *b)
            .map_err(|_| ResourceTableError::WrongType)
    }
}

impl fmt::Debug for ResourceTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTable")
            .field("len", &self.len())
            .finish()
    }
}

/// One handle in a [`HandleTable`]: the spec's `ResourceHandle`.
#[derive(Debug, Clone)]
pub struct HandleEntry {
    /// The resource type the handle refers to.
    pub ty: ResourceType,
    /// The resource's representation.
    pub rep: u32,
    /// Whether the handle is `own` (else `borrow`).
    pub own: bool,
    /// For a borrow: the depth of the task (call into this instance) it was lent to.
    borrow_scope: Option<usize>,
    /// How many calls out of this instance currently borrow through this handle.
    num_lends: u32,
}

impl HandleEntry {
    /// How many calls currently borrow this handle.
    pub fn num_lends(&self) -> u32 {
        self.num_lends
    }
}

/// What [`HandleTable::resource_drop`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dropped {
    /// An `own` handle: the resource must now be destroyed, by running the destructor of its
    /// type on `rep`.
    Own {
        /// The resource's type.
        ty: ResourceType,
        /// The resource's representation, the destructor's argument.
        rep: u32,
    },
    /// A `borrow` handle: nothing more to do.
    Borrow,
}

/// The `own` and `borrow` handles of one component instance: the spec's `Table` of
/// `ResourceHandle`s, with the borrow scopes of the calls into and out of the instance.
///
/// Index 0 is never used (the spec reserves it so that 0 can mean "no handle"); at most
/// `2^28 - 1` handles exist at once. See the [module docs](self) for the borrow rules.
#[derive(Debug, Default)]
pub struct HandleTable {
    slots: Vec<Option<HandleEntry>>,
    free: Vec<u32>,
    /// `num_borrows` of each open call into this instance, innermost last.
    tasks: Vec<u32>,
    /// The handles each open call out of this instance lends, innermost last.
    subtasks: Vec<Vec<u32>>,
}

/// The spec's `Table.MAX_LENGTH`.
pub const MAX_HANDLE_TABLE_LENGTH: u32 = (1 << 28) - 1;

#[cold]
fn unknown_handle(index: u32) -> crate::Error {
    Trap::with_detail(
        TrapCode::UnknownHandle,
        format!("unknown handle index {index}"),
    )
}

#[cold]
fn wrong_type(index: u32, expected: &ResourceType, found: &ResourceType) -> crate::Error {
    Trap::with_detail(
        TrapCode::HandleWrongType,
        format!(
            "handle index {index} used with the wrong type, expected {expected} but found {found}"
        ),
    )
}

impl HandleTable {
    /// An empty table.
    pub fn new() -> Self {
        HandleTable::default()
    }

    /// The spec's `Table.add`.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::HandleTableFull`] past `MAX_LENGTH` handles.
    pub fn add(&mut self, entry: HandleEntry) -> Result<u32> {
        if self.slots.is_empty() {
            self.slots.push(None);
        }
        if let Some(index) = self.free.pop()
            && let Some(slot) = self.slots.get_mut(index as usize)
        {
            *slot = Some(entry);
            return Ok(index);
        }
        let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        if index > MAX_HANDLE_TABLE_LENGTH {
            return Err(TrapCode::HandleTableFull.into());
        }
        self.slots.push(Some(entry));
        Ok(index)
    }

    /// The spec's `Table.get`.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::UnknownHandle`] (`unknown handle index N`).
    pub fn get(&self, index: u32) -> Result<&HandleEntry> {
        self.slots
            .get(index as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| unknown_handle(index))
    }

    fn get_mut(&mut self, index: u32) -> Result<&mut HandleEntry> {
        self.slots
            .get_mut(index as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| unknown_handle(index))
    }

    /// The spec's `Table.remove`.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::UnknownHandle`].
    pub fn remove(&mut self, index: u32) -> Result<HandleEntry> {
        let entry = self
            .slots
            .get_mut(index as usize)
            .and_then(Option::take)
            .ok_or_else(|| unknown_handle(index))?;
        self.free.push(index);
        Ok(entry)
    }

    /// The number of live handles.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether the table holds no handle.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the handle at `index` without removing it.
    fn checked(&self, index: u32, ty: &ResourceType) -> Result<&HandleEntry> {
        let entry = self.get(index)?;
        if entry.ty != *ty {
            return Err(wrong_type(index, ty, &entry.ty));
        }
        Ok(entry)
    }

    /// Opens a call into this instance (the spec's `Task`): borrows lowered into the instance
    /// from now until [`exit_task`](Self::exit_task) belong to it.
    pub fn enter_task(&mut self) {
        self.tasks.push(0);
    }

    /// Closes the innermost call into this instance (the spec's `Task.return_`).
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::BorrowsRemain`] if the callee did not drop every borrow handle
    /// it received.
    pub fn exit_task(&mut self) -> Result<()> {
        match self.tasks.pop() {
            Some(0) | None => Ok(()),
            Some(_) => Err(TrapCode::BorrowsRemain.into()),
        }
    }

    /// Closes the innermost call into this instance without running it: the host's
    /// arguments could not be lowered. The `borrow` handles already lowered for the call are
    /// removed (the callee never saw them); `own` handles stay, as their ownership has moved.
    pub(crate) fn abandon_task(&mut self) {
        let Some(depth) = self.tasks.len().checked_sub(1) else {
            return;
        };
        self.tasks.pop();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if slot.as_ref().is_some_and(|e| e.borrow_scope == Some(depth)) {
                *slot = None;
                self.free.push(u32::try_from(index).unwrap_or(u32::MAX));
            }
        }
    }

    /// Opens a call out of this instance (the spec's `Subtask`): handles lifted as `borrow`
    /// from now until [`exit_subtask`](Self::exit_subtask) are lent to it.
    pub fn enter_subtask(&mut self) {
        self.subtasks.push(Vec::new());
    }

    /// Closes the innermost call out of this instance and ends its lends (the spec's
    /// `Subtask.deliver_resolve`).
    pub fn exit_subtask(&mut self) {
        for index in self.subtasks.pop().unwrap_or_default() {
            if let Ok(entry) = self.get_mut(index) {
                entry.num_lends = entry.num_lends.saturating_sub(1);
            }
        }
    }

    /// `canon resource.new`: a new `own` handle to `rep`.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::HandleTableFull`].
    pub fn resource_new(&mut self, ty: ResourceType, rep: u32) -> Result<u32> {
        self.add(HandleEntry {
            ty,
            rep,
            own: true,
            borrow_scope: None,
            num_lends: 0,
        })
    }

    /// `canon resource.rep`: the representation of the handle at `index`.
    ///
    /// # Errors
    ///
    /// Traps if there is no such handle or it has another type.
    pub fn resource_rep(&self, ty: &ResourceType, index: u32) -> Result<u32> {
        Ok(self.checked(index, ty)?.rep)
    }

    /// `canon resource.drop`: removes the handle at `index`. For an `own` handle the caller
    /// must then run the type's destructor on the returned `rep`; for a `borrow` the borrow
    /// ends.
    ///
    /// # Errors
    ///
    /// Traps if there is no such handle, it has another type, or it is lent to a call
    /// ([`TrapCode::ResourceLent`]).
    pub fn resource_drop(&mut self, ty: &ResourceType, index: u32) -> Result<Dropped> {
        let entry = self.checked(index, ty)?;
        if entry.num_lends != 0 {
            return Err(TrapCode::ResourceLent.into());
        }
        let entry = self.remove(index)?;
        if entry.own {
            return Ok(Dropped::Own {
                ty: entry.ty,
                rep: entry.rep,
            });
        }
        if let Some(count) = entry.borrow_scope.and_then(|d| self.tasks.get_mut(d)) {
            *count = count.saturating_sub(1);
        }
        Ok(Dropped::Borrow)
    }

    /// The spec's `lift_own`: moves the `own` handle at `index` out of the table and returns
    /// its representation.
    ///
    /// # Errors
    ///
    /// Traps if there is no such handle, it has another type or is a borrow
    /// ([`TrapCode::HandleWrongType`]), or it is lent ([`TrapCode::ResourceLent`]).
    pub fn lift_own(&mut self, ty: &ResourceType, index: u32) -> Result<u32> {
        let entry = self.checked(index, ty)?;
        if entry.num_lends != 0 {
            return Err(TrapCode::ResourceLent.into());
        }
        if !entry.own {
            return Err(Trap::with_detail(
                TrapCode::HandleWrongType,
                format!("handle index {index} is a borrow where an own handle is required"),
            ));
        }
        Ok(self.remove(index)?.rep)
    }

    /// The spec's `lift_borrow`: the representation of the handle at `index`, which is lent
    /// to the innermost call out of this instance until it returns.
    ///
    /// # Errors
    ///
    /// Traps if there is no such handle or it has another type.
    pub fn lift_borrow(&mut self, ty: &ResourceType, index: u32) -> Result<u32> {
        let rep = self.checked(index, ty)?.rep;
        if let Some(lenders) = self.subtasks.last_mut() {
            lenders.push(index);
            let entry = self.get_mut(index)?;
            entry.num_lends = entry.num_lends.saturating_add(1);
        }
        Ok(rep)
    }

    /// The spec's `lower_own`: a new `own` handle to `rep`.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::HandleTableFull`].
    pub fn lower_own(&mut self, ty: ResourceType, rep: u32) -> Result<u32> {
        self.resource_new(ty, rep)
    }

    /// The spec's `lower_borrow`: a `borrow` handle to `rep` for the innermost call into this
    /// instance, or `rep` itself if this instance defines the resource type (`implements`),
    /// since an instance sees its own resources by representation.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::HandleTableFull`], or [`TrapCode::InternalError`] if no call
    /// into this instance is open (the runtime must call [`enter_task`](Self::enter_task)
    /// before lowering arguments).
    pub fn lower_borrow(&mut self, ty: ResourceType, rep: u32, implements: bool) -> Result<u32> {
        if implements {
            return Ok(rep);
        }
        let Some(depth) = self.tasks.len().checked_sub(1) else {
            return Err(TrapCode::InternalError.into());
        };
        let index = self.add(HandleEntry {
            ty,
            rep,
            own: false,
            borrow_scope: Some(depth),
            num_lends: 0,
        })?;
        if let Some(count) = self.tasks.get_mut(depth) {
            *count = count.saturating_add(1);
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trap_message(result: Result<impl fmt::Debug>) -> String {
        match result {
            Ok(v) => format!("no trap: {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn resource_table_parents_outlive_children() {
        let mut table = ResourceTable::new();
        let file = table.push(String::from("file")).map_err(|e| e.to_string());
        let Ok(file) = file else {
            panic!("push failed")
        };
        let Ok(stream) = table.push_child(7u32, &file) else {
            panic!("push_child failed")
        };
        assert_eq!(table.get(&stream), Ok(&7));
        assert_eq!(table.iter_children(&file).map(|i| i.count()), Ok(1));
        let file2 = Resource::<String>::new_own(file.rep());
        assert_eq!(table.delete(file2), Err(ResourceTableError::HasChildren));
        assert_eq!(table.delete(stream), Ok(7));
        assert_eq!(table.delete(file).as_deref(), Ok("file"));
        assert!(table.is_empty());
        let wrong = Resource::<u8>::new_own(0);
        assert_eq!(table.get(&wrong), Err(ResourceTableError::NotPresent));
    }

    #[test]
    fn stale_resource_handles_do_not_reach_a_reused_slot() {
        let mut table = ResourceTable::new();
        let Ok(first) = table.push(1u32) else {
            panic!("push failed")
        };
        let stale = Resource::<u32>::new_own(first.rep());
        assert_eq!(table.delete(first), Ok(1));
        let Ok(second) = table.push(2u32) else {
            panic!("push failed")
        };
        // The slot is reused, under a new generation.
        assert_eq!(second.rep() & INDEX_MASK, stale.rep() & INDEX_MASK);
        assert_ne!(second.rep(), stale.rep());
        assert_eq!(table.get(&stale), Err(ResourceTableError::NotPresent));
        assert_eq!(
            table.get_any_mut(stale.rep()).err(),
            Some(ResourceTableError::NotPresent)
        );
        let copy = Resource::<u32>::new_own(stale.rep());
        assert_eq!(table.delete(copy), Err(ResourceTableError::NotPresent));
        assert_eq!(table.get(&second), Ok(&2));
        let Ok(child) = table.push_child(3u8, &second) else {
            panic!("push_child failed")
        };
        assert_eq!(
            table.push_child(4u8, &stale).err(),
            Some(ResourceTableError::NotPresent)
        );
        assert_eq!(table.delete(child), Ok(3));
        assert_eq!(table.delete(second), Ok(2));
        assert!(table.is_empty());
    }

    #[test]
    fn handle_table_traps() {
        let r = ResourceType::guest("r");
        let other = ResourceType::guest("other");
        let mut table = HandleTable::new();
        assert_eq!(
            trap_message(table.get(0)),
            "wasm trap: unknown handle index 0"
        );
        let h = table.resource_new(r.clone(), 42).unwrap_or(0);
        assert_eq!(h, 1);
        assert!(trap_message(table.resource_rep(&other, h)).contains("used with the wrong type"));
        // Lending the handle to a call out forbids dropping it until the call returns.
        table.enter_subtask();
        assert_eq!(table.lift_borrow(&r, h).ok(), Some(42));
        assert_eq!(
            trap_message(table.resource_drop(&r, h)),
            "wasm trap: cannot remove owned resource while borrowed"
        );
        assert_eq!(
            trap_message(table.lift_own(&r, h)),
            "wasm trap: cannot remove owned resource while borrowed"
        );
        table.exit_subtask();
        assert_eq!(
            table.resource_drop(&r, h).ok(),
            Some(Dropped::Own {
                ty: r.clone(),
                rep: 42
            })
        );
    }

    #[test]
    fn host_handles_go_stale() -> Result<()> {
        let r = ResourceType::guest("r");
        let mut table = HostHandleTable::new();
        let own = table.insert(r.clone(), 7, true)?;
        let copy = own.clone();
        assert_eq!(own.lower_rep(Some(&mut table), false)?, 7);
        assert_eq!(table.remove(&own)?, Some(7));
        assert_eq!(trap_message(table.remove(&copy)), "unknown handle index 0");
        // The entry is reused with a new generation; the old handle stays stale.
        let again = table.insert(r.clone(), 8, true)?;
        assert!(copy.lower_rep(Some(&mut table), false).is_err());
        assert_eq!(again.lower_rep(Some(&mut table), true)?, 8);
        assert!(again.lower_rep(Some(&mut table), true).is_err());
        // A borrow lent to a host call ends with the call.
        table.enter_scope();
        let borrow = table.insert(r.clone(), 9, false)?;
        assert_eq!(borrow.lower_rep(Some(&mut table), false)?, 9);
        table.exit_scope();
        assert!(borrow.lower_rep(Some(&mut table), false).is_err());
        assert!(table.is_empty());
        // A handle held by the host's table cannot be lowered without it.
        let own = table.insert(r, 10, true)?;
        assert!(own.lower_rep(None, true).is_err());
        Ok(())
    }

    #[test]
    fn borrows_must_end_with_the_call() {
        let r = ResourceType::guest("r");
        let mut table = HandleTable::new();
        assert!(table.lower_borrow(r.clone(), 5, false).is_err());
        table.enter_task();
        assert_eq!(table.lower_borrow(r.clone(), 5, true).ok(), Some(5));
        let b = table.lower_borrow(r.clone(), 5, false).unwrap_or(0);
        assert!(trap_message(table.lift_own(&r, b)).contains("is a borrow"));
        assert_eq!(
            trap_message(table.exit_task()),
            "wasm trap: borrow handles still remain at the end of the call"
        );
        table.enter_task();
        let b = table.lower_borrow(r.clone(), 5, false).unwrap_or(0);
        assert_eq!(table.resource_drop(&r, b).ok(), Some(Dropped::Borrow));
        assert!(table.exit_task().is_ok());
    }
}
