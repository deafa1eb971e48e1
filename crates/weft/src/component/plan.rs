//! Instantiation plans: what [`Linker::instantiate_pre`](super::Linker::instantiate_pre)
//! works out once so that every instantiation only creates instances and binds handles.
//!
//! # Design
//!
//! Instantiating a component replays its [`Step`]s (`instance.rs`). Much of that work does
//! not depend on the store: which linker definition satisfies each import (names, semver
//! matching), the imports' function types and the type check of typed host functions, the
//! run-time resource types of the imported resources, the core instance and export that
//! satisfies each import of a core module, and the types of lifted functions that mention
//! no resource made by the instance itself. A [`Plan`] holds those results by index:
//!
//! - [`PreItem`]s, one per import, each already of its import's type;
//! - one [`StepPlan`] per step of the top-level component: the core sources of a core
//!   instantiation or alias by position (no name lookups), or a lifted function's type.
//!
//! Steps the plan cannot settle in advance (those of nested components, and a core
//! instance built from an instance that is not known before instantiation) run as before,
//! by name.

use super::convert::TypeCx;
use super::translate::{ComponentInfo, CoreSort, Step};
use super::typed::ListTypes;
use super::types::{ComponentFunc, ResourceType};
use crate::module::Module;
use core::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use wasmparser::component_types::{ComponentAnyTypeId, ResourceId};
use wasmparser::types::TypesRef;

/// A host closure of the linker, type-erased as the store keeps it: an
/// `Arc<HostFunc<T>>`, `Arc<TypedHost<T>>` or `Arc<HostDtor<T>>` inside.
pub(crate) type ErasedHost = Arc<dyn Any + Send + Sync>;

/// An import as the linker resolved it, of its import's type.
pub(crate) enum PreItem {
    /// A host function of type `ty`; `typed` holds the tuple types of a `func_wrap`
    /// function, checked against `ty`.
    HostFunc {
        host: ErasedHost,
        ty: ComponentFunc,
        typed: Option<ListTypes>,
    },
    /// A function that fails when called (`define_unknown_imports_as_traps`).
    TrapFunc { name: Arc<str>, ty: ComponentFunc },
    /// An instance: its exports in the order of the import's instance type.
    Instance(Vec<(String, PreItem)>),
    /// A resource type with the linker's destructor (an erased `Arc<HostDtor<T>>`).
    Resource { ty: ResourceType, dtor: ErasedHost },
    /// A type that is not a resource, or a resource type bound by an earlier import.
    Type,
    /// A core module.
    Module(Module),
}

/// Where a core item comes from, resolved when the plan was made.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CoreSource {
    /// Export number `position` of the core instance `instance` (one instantiated from a
    /// module).
    Export { instance: u32, position: usize },
    /// Item `index` of the core space `sort` (an export of a core instance made of other
    /// core items).
    Item { sort: CoreSort, index: u32 },
}

/// What the plan settled for one step.
pub(crate) enum StepPlan {
    /// Nothing: the step runs as without a plan.
    None,
    /// The source of each import of the instantiated core module, in the module's order.
    CoreInstantiate(Box<[CoreSource]>),
    /// The source of a core alias.
    CoreAlias(CoreSource),
    /// The type of a lifted function.
    Lift(ComponentFunc),
}

/// Everything about instantiating one component that does not depend on the store.
pub(crate) struct Plan {
    /// One item per import, in order.
    pub(crate) imports: Vec<PreItem>,
    /// The run-time resource types of the imported resource types.
    pub(crate) resources: HashMap<ResourceId, ResourceType>,
    /// One entry per step of the top-level component.
    pub(crate) steps: Vec<StepPlan>,
    /// Whether every core instantiation and core alias has a [`StepPlan`]: core instances
    /// made of other core items are then never looked up by name, and are not built.
    pub(crate) core_planned: bool,
}

/// A core instance as the planner sees it.
enum SimCore<'a> {
    Module(Module),
    Bag(&'a [(String, CoreSort, u32)]),
    Unknown,
}

/// Plans the steps of `info` given its resolved `imports` and their `resources`.
pub(crate) fn plan(
    info: &ComponentInfo,
    imports: Vec<PreItem>,
    resources: HashMap<ResourceId, ResourceType>,
) -> Plan {
    let types = info.types.as_ref();
    let mut steps = Vec::with_capacity(info.steps.len());
    let mut core_planned = true;
    let mut modules: Vec<Option<Module>> = Vec::new();
    let mut instances: Vec<SimCore<'_>> = Vec::new();
    for step in &info.steps {
        let planned = match step {
            Step::Import { index, sort } => {
                if let super::ComponentSort::Module = sort {
                    modules.push(match imports.get(*index as usize) {
                        Some(PreItem::Module(m)) => Some(m.clone()),
                        _ => None,
                    });
                }
                StepPlan::None
            }
            Step::CoreModule(m) | Step::OuterModule(m) => {
                modules.push(Some(m.clone()));
                StepPlan::None
            }
            Step::Export {
                sort: super::ComponentSort::Module,
                index,
            } => {
                modules.push(modules.get(*index as usize).cloned().flatten());
                StepPlan::None
            }
            Step::Alias {
                sort: super::ComponentSort::Module,
                ..
            } => {
                modules.push(None);
                StepPlan::None
            }
            Step::CoreInstantiate { module, args } => {
                let module = modules.get(*module as usize).cloned().flatten();
                let sources = module.as_ref().and_then(|m| {
                    m.imports()
                        .map(|import| {
                            let (_, instance) =
                                args.iter().find(|(name, _)| name == import.module())?;
                            source(&instances, *instance, import.name())
                        })
                        .collect::<Option<Box<[CoreSource]>>>()
                });
                instances.push(module.map_or(SimCore::Unknown, SimCore::Module));
                match sources {
                    Some(sources) => StepPlan::CoreInstantiate(sources),
                    None => {
                        core_planned = false;
                        StepPlan::None
                    }
                }
            }
            Step::CoreInstanceFromExports(items) => {
                instances.push(SimCore::Bag(items));
                StepPlan::None
            }
            Step::CoreAlias { instance, name, .. } => match source(&instances, *instance, name) {
                Some(src) => StepPlan::CoreAlias(src),
                None => {
                    core_planned = false;
                    StepPlan::None
                }
            },
            Step::Lift { ty, .. } => lift_type(types, &resources, *ty),
            _ => StepPlan::None,
        };
        steps.push(planned);
    }
    if !core_planned {
        for step in &mut steps {
            if matches!(step, StepPlan::CoreInstantiate(_) | StepPlan::CoreAlias(_)) {
                *step = StepPlan::None;
            }
        }
    }
    Plan {
        imports,
        resources,
        steps,
        core_planned,
    }
}

/// Where export `name` of the simulated core instance `instance` comes from.
fn source(instances: &[SimCore<'_>], instance: u32, name: &str) -> Option<CoreSource> {
    match instances.get(instance as usize)? {
        SimCore::Module(m) => {
            let position = m.inner.info.exports.iter().position(|e| e.name == name)?;
            Some(CoreSource::Export { instance, position })
        }
        SimCore::Bag(items) => {
            let (_, sort, index) = items.iter().find(|(n, _, _)| n == name)?;
            Some(CoreSource::Item {
                sort: *sort,
                index: *index,
            })
        }
        SimCore::Unknown => None,
    }
}

/// The type of a function lifted to type `ty`, if it mentions no resource type other than
/// the imported ones (`resources`); the others are made per instance.
fn lift_type(
    types: TypesRef<'_>,
    resources: &HashMap<ResourceId, ResourceType>,
    ty: u32,
) -> StepPlan {
    let ComponentAnyTypeId::Func(id) = types.component_any_type_at(ty) else {
        return StepPlan::None;
    };
    let mut scratch = resources.clone();
    match (TypeCx {
        types,
        resources: &mut scratch,
    })
    .func(id)
    {
        Ok(func) if scratch.len() == resources.len() => StepPlan::Lift(func),
        _ => StepPlan::None,
    }
}
