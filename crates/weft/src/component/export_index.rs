//! Looking up a component instance's exports by name or by a precomputed index.

use super::instance::{InstanceItems, Item};

/// The deepest nesting of exported instances an index reaches.
const MAX_DEPTH: usize = 4;

/// The position of an export in a component instance, found once by
/// [`Instance::get_export_index`](super::Instance::get_export_index) so that later lookups
/// ([`Instance::get_func`](super::Instance::get_func)) compare no strings.
///
/// Every instance of the same component has its exports in the same positions, so an index
/// taken from one instance serves the others. Used with an instance of another component,
/// it finds whatever export sits at that position, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComponentExportIndex {
    /// The position at each level: top-level export, then inside exported instances.
    path: [u32; MAX_DEPTH],
    depth: u8,
}

impl ComponentExportIndex {
    /// The index of `name` among `items`, nested under `parent` (whose path leads to
    /// `items`).
    pub(crate) fn find(
        parent: Option<&ComponentExportIndex>,
        items: &InstanceItems,
        name: &str,
    ) -> Option<ComponentExportIndex> {
        let position = items.items.iter().position(|(n, _)| n == name)?;
        ComponentExportIndex::child(parent, position)
    }

    /// The index of the export at `position` among the exports that `parent` leads to
    /// (the top level for `None`); `None` beyond [`MAX_DEPTH`] levels.
    pub(crate) fn child(
        parent: Option<&ComponentExportIndex>,
        position: usize,
    ) -> Option<ComponentExportIndex> {
        let mut index = parent.copied().unwrap_or(ComponentExportIndex {
            path: [0; MAX_DEPTH],
            depth: 0,
        });
        let slot = index.path.get_mut(usize::from(index.depth))?;
        *slot = u32::try_from(position).ok()?;
        index.depth += 1;
        Some(index)
    }

    /// The positions this index goes through, outermost first.
    pub(crate) fn path(&self) -> &[u32] {
        self.path.get(..usize::from(self.depth)).unwrap_or(&[])
    }

    /// The export this index names, starting from an instance's top-level exports.
    pub(crate) fn resolve<'a>(&self, mut items: &'a InstanceItems) -> Option<&'a Item> {
        let path = self.path.get(..usize::from(self.depth))?;
        let (last, outer) = path.split_last()?;
        for &position in outer {
            match &items.items.get(position as usize)?.1 {
                Item::Instance(inner) => items = inner,
                _ => return None,
            }
        }
        items.items.get(*last as usize).map(|(_, item)| item)
    }
}

/// What [`Instance::get_func`](super::Instance::get_func) and
/// [`Instance::get_typed_func`](super::Instance::get_typed_func) take to find an export: a
/// name (`&str`, `String`) or a [`ComponentExportIndex`].
///
/// A name is a top-level export, or for `instance#func` the export `func` of the exported
/// instance `instance`.
pub trait InstanceExportLookup: sealed::Sealed {
    #[doc(hidden)]
    fn key(&self) -> ExportKey<'_>;
}

/// How an [`InstanceExportLookup`] finds its export.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum ExportKey<'a> {
    Name(&'a str),
    Index(ComponentExportIndex),
}

impl ExportKey<'_> {
    /// The export among an instance's top-level exports `items`.
    pub(crate) fn lookup<'a>(&self, items: &'a InstanceItems) -> Option<&'a Item> {
        match self {
            ExportKey::Index(index) => index.resolve(items),
            ExportKey::Name(name) => {
                if let Some(item) = items.get(name) {
                    return Some(item);
                }
                let (instance, name) = name.split_once('#')?;
                match items.get(instance)? {
                    Item::Instance(inner) => inner.get(name),
                    _ => None,
                }
            }
        }
    }

    /// The export, for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            ExportKey::Name(name) => format!("`{name}`"),
            ExportKey::Index(index) => {
                format!(
                    "at export index {:?}",
                    &index.path[..usize::from(index.depth)]
                )
            }
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for super::ComponentExportIndex {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

impl InstanceExportLookup for str {
    fn key(&self) -> ExportKey<'_> {
        ExportKey::Name(self)
    }
}

impl InstanceExportLookup for String {
    fn key(&self) -> ExportKey<'_> {
        ExportKey::Name(self)
    }
}

impl InstanceExportLookup for ComponentExportIndex {
    fn key(&self) -> ExportKey<'_> {
        ExportKey::Index(*self)
    }
}

impl<T: InstanceExportLookup + ?Sized> InstanceExportLookup for &T {
    fn key(&self) -> ExportKey<'_> {
        (**self).key()
    }
}
