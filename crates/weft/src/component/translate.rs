//! Flattening a component into instantiation steps.
//!
//! # Design
//!
//! A component binary is a sequence of sections, each of which appends definitions to one of
//! the component's index spaces (core modules, core instances, core functions, memories,
//! tables, globals, component functions, values, types, component instances, components).
//! Instantiating a component means replaying those definitions in order against the
//! imports. So [`translate`] validates the binary once (with wasmparser's component
//! validator) and records one [`Step`] per definition, in binary order; instantiation
//! (`instance.rs`) keeps one growable vector per index space and runs the steps, each of
//! which pushes exactly one entry into exactly one index space. An index in a step is
//! therefore an index into the runtime vector of its space, checked by validation to exist.
//!
//! Everything that can be done once is done here: nested core modules are compiled into
//! Weft [`Module`]s, nested components become their own [`ComponentInfo`] shared by
//! reference, canonical options are decoded, and the async parts of the Component Model,
//! which Weft does not run, are rejected with a message that says so.
//!
//! Types stay in wasmparser's representation (`types`), resolved by index when a step
//! needs them: the resource types they mention are only known per instance.

use super::component::ComponentSort;
use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, ErrorKind, Result};
use crate::module::Module;
use std::sync::Arc;
use wasmparser::component_types::ComponentEntityType;
use wasmparser::types::Types;
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentDefinedType,
    ComponentExternalKind, ComponentFuncType, ComponentOuterAliasKind, ComponentType,
    ComponentTypeDeclaration, ComponentTypeRef, ComponentValType, CoreType, ExternalKind,
    InstanceTypeDeclaration, Parser, Payload, PrimitiveValType, Validator,
};

/// A component after validation: what to do, in order, to instantiate it.
pub(crate) struct ComponentInfo {
    /// The definitions, in binary order.
    pub(crate) steps: Vec<Step>,
    /// The component's imports, in order; `Step::Import` refers to them by position.
    pub(crate) imports: Vec<ImportDecl>,
    /// The component's exports, in order.
    pub(crate) exports: Vec<ExportDecl>,
    /// The validator's view of this component's types.
    pub(crate) types: Types,
}

impl core::fmt::Debug for ComponentInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ComponentInfo")
            .field("steps", &self.steps.len())
            .field("imports", &self.imports)
            .field("exports", &self.exports)
            .finish_non_exhaustive()
    }
}

/// One import of a component.
#[derive(Debug, Clone)]
pub(crate) struct ImportDecl {
    /// The import's name (`wasi:cli/environment@0.2.6`, `log`, ...).
    pub(crate) name: String,
    /// Its type, in the validator's terms.
    pub(crate) ty: ComponentEntityType,
}

/// One export of a component.
#[derive(Debug, Clone)]
pub(crate) struct ExportDecl {
    /// The export's name.
    pub(crate) name: String,
    /// Its type, in the validator's terms.
    pub(crate) ty: Option<ComponentEntityType>,
}

/// A core sort: what a core instance can export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CoreSort {
    Func,
    Table,
    Memory,
    Global,
}

/// A string encoding of the canonical options (Canonical ABI, `string-encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Encoding {
    #[default]
    Utf8,
    Utf16,
    /// `latin1+utf16`.
    CompactUtf16,
}

/// Decoded canonical options (indices into the core index spaces).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CanonOptions {
    pub(crate) encoding: Encoding,
    pub(crate) memory: Option<u32>,
    pub(crate) realloc: Option<u32>,
    pub(crate) post_return: Option<u32>,
}

/// One definition: running it pushes one entry into one index space.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Pushes the value of import `index` of [`ComponentInfo::imports`] into the space of
    /// `sort`.
    Import { index: u32, sort: ComponentSort },
    /// Pushes a compiled core module (core module space).
    CoreModule(Module),
    /// Instantiates core module `module` with the named core instances (core instance space).
    CoreInstantiate {
        module: u32,
        args: Vec<(String, u32)>,
    },
    /// A core instance made of other core items (core instance space).
    CoreInstanceFromExports(Vec<(String, CoreSort, u32)>),
    /// Export `name` of core instance `instance` (into the space of `sort`).
    CoreAlias {
        instance: u32,
        name: String,
        sort: CoreSort,
    },
    /// A nested component (component space).
    Component(Arc<ComponentInfo>),
    /// Outer alias of a component or module of an enclosing component, resolved here.
    OuterComponent(Arc<ComponentInfo>),
    /// Outer alias of a module of an enclosing component.
    OuterModule(Module),
    /// Instantiates component `component` with named items (component instance space).
    Instantiate {
        component: u32,
        args: Vec<(String, ComponentSort, u32)>,
    },
    /// A component instance made of other items (component instance space).
    InstanceFromExports(Vec<(String, ComponentSort, u32)>),
    /// Export `name` of component instance `instance` (into the space of `sort`).
    Alias {
        instance: u32,
        name: String,
        sort: ComponentSort,
    },
    /// A type definition that is not a resource (type space).
    Type,
    /// A resource type defined here, fresh for every instance (type space). `dtor` is a core
    /// function index.
    Resource { dtor: Option<u32> },
    /// `canon lift` (function space): core function `core_func` lifted to the component
    /// function type at `ty` of the type space.
    Lift {
        core_func: u32,
        ty: u32,
        options: CanonOptions,
    },
    /// `canon lower` (core function space) of function `func`.
    Lower { func: u32, options: CanonOptions },
    /// `canon resource.new` of resource type `resource` (core function space).
    ResourceNew { resource: u32 },
    /// `canon resource.drop` (core function space).
    ResourceDrop { resource: u32 },
    /// `canon resource.rep` (core function space).
    ResourceRep { resource: u32 },
    /// An export, which also defines a new index in the space of `sort`: re-pushes item
    /// `index` of that space.
    Export { sort: ComponentSort, index: u32 },
}

/// Validates `binary` as a component with `engine`'s features and flattens it.
/// Where [`translate_with`] gets a component's nested core modules from.
pub(crate) trait CoreModules {
    /// The core module whose bytes are `range` of the component `binary`, which the
    /// validator has checked as `types` (its imports and exports). Called in the order the
    /// modules appear in the binary.
    fn module(
        &mut self,
        engine: &Engine,
        binary: &[u8],
        range: core::ops::Range<usize>,
        types: wasmparser::types::TypesRef<'_>,
    ) -> Result<Module>;
}

/// Compiles each nested core module from its bytes, and keeps them in order.
#[derive(Default)]
pub(crate) struct CompileModules(pub(crate) Vec<Module>);

impl CoreModules for CompileModules {
    fn module(
        &mut self,
        engine: &Engine,
        binary: &[u8],
        range: core::ops::Range<usize>,
        _types: wasmparser::types::TypesRef<'_>,
    ) -> Result<Module> {
        let module = compile_nested(engine, binary, range)?;
        self.0.push(module.clone());
        Ok(module)
    }
}

/// Validates and flattens `binary`, taking its nested core modules from `modules`.
pub(crate) fn translate_with(
    engine: &Engine,
    binary: &[u8],
    modules: &mut dyn CoreModules,
) -> Result<ComponentInfo> {
    let features = engine.config().component_features();
    if !features.component_model() {
        return Err(Error::usage(
            "the Component Model is disabled: use `Config::wasm_component_model(true)`",
        ));
    }
    let mut validator = Validator::new_with_features(features);
    let mut parser = Parser::new(0);
    parser.set_features(features);
    // One builder per component being read; a nested module is compiled from its byte range
    // when the validator has seen all of it.
    let mut stack: Vec<Builder> = Vec::new();
    let mut nested_module: Option<(usize, core::ops::Range<usize>)> = None;
    let mut finished: Option<ComponentInfo> = None;

    for payload in parser.parse_all(binary) {
        let payload =
            payload.map_err(|e| Error::malformed(e.message(), Some(e.offset() as usize)))?;
        let valid = validator.payload(&payload)?;
        if let Some((depth, range)) = &nested_module {
            // Payloads of a nested core module: the validator checks its sections; at the
            // module's end, compile it. Compiling validates the function bodies, so they are
            // not validated here a second time (the validator hands each one out to be
            // validated and needs nothing back).
            let depth_now = *depth;
            match &payload {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => {}
                Payload::End(_) => {
                    let range = range.clone();
                    nested_module = None;
                    let wasmparser::ValidPayload::End(types) = &valid else {
                        return Err(internal());
                    };
                    let module = modules.module(engine, binary, range, types.as_ref())?;
                    let builder = stack.get_mut(depth_now).ok_or_else(internal)?;
                    builder.steps.push(Step::CoreModule(module));
                    builder.modules.push(Some(builder.steps.len() - 1));
                }
                _ => {}
            }
            continue;
        }
        match payload {
            Payload::Version {
                encoding, range, ..
            } => match encoding {
                wasmparser::Encoding::Component => stack.push(Builder::default()),
                wasmparser::Encoding::Module => {
                    if stack.is_empty() {
                        return Err(Error::malformed(
                            "this is a core WebAssembly module, not a component: \
                             use `weft::Module::new` to compile it",
                            Some(range.start as usize),
                        ));
                    }
                    return Err(internal());
                }
            },
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                nested_module = Some((
                    stack.len().checked_sub(1).ok_or_else(internal)?,
                    unchecked_range.start as usize..unchecked_range.end as usize,
                ));
            }
            Payload::ComponentSection { .. } => {}
            Payload::End(_) => {
                let wasmparser::ValidPayload::End(types) = valid else {
                    return Err(internal());
                };
                let builder = stack.pop().ok_or_else(internal)?;
                let info = builder.finish(types)?;
                match stack.last_mut() {
                    Some(parent) => {
                        let info = Arc::new(info);
                        parent.components.push(Some(info.clone()));
                        parent.steps.push(Step::Component(info));
                    }
                    None => finished = Some(info),
                }
            }
            payload => {
                let (builder, outer) = stack.split_last_mut().ok_or_else(internal)?;
                builder.section(payload, outer)?;
            }
        }
    }
    finished.ok_or_else(|| Error::malformed("unexpected end of component", Some(binary.len())))
}

fn internal() -> Error {
    Error::invalid("internal error while translating the component", None)
}

/// Compiles the nested core module at `range` of `binary`, with offsets in errors made
/// relative to the whole component.
fn compile_nested(
    engine: &Engine,
    binary: &[u8],
    range: core::ops::Range<usize>,
) -> Result<Module> {
    let start = range.start;
    let bytes = binary.get(range).ok_or_else(internal)?;
    Module::from_binary(engine, bytes).map_err(|mut e| {
        if let Some(ErrorKind::Malformed { offset, .. } | ErrorKind::Invalid { offset, .. }) =
            e.downcast_mut::<ErrorKind>()
        {
            *offset = offset.map(|o| o + start);
        }
        e
    })
}

/// The definitions of one component read so far.
#[derive(Default)]
struct Builder {
    steps: Vec<Step>,
    /// Names of the imports; their types are resolved at the end.
    import_names: Vec<String>,
    exports: Vec<(String, ComponentSort, u32)>,
    /// For each core module index: the step that defines it, if statically known.
    modules: Vec<Option<usize>>,
    /// For each component index: the component, if statically known.
    components: Vec<Option<Arc<ComponentInfo>>>,
}

fn unsupported(what: &str, offset: usize) -> Error {
    Error::invalid(
        format!(
            "{what} is part of the Component Model's async support, which Weft does not support"
        ),
        Some(offset),
    )
}

impl Builder {
    fn section(&mut self, payload: Payload<'_>, outer: &[Builder]) -> Result<()> {
        match payload {
            Payload::InstanceSection(reader) => {
                for instance in reader {
                    let step = match instance? {
                        wasmparser::Instance::Instantiate { module_index, args } => {
                            Step::CoreInstantiate {
                                module: module_index,
                                args: args
                                    .iter()
                                    .map(|arg| (arg.name.to_string(), arg.index))
                                    .collect(),
                            }
                        }
                        wasmparser::Instance::FromExports(exports) => {
                            let mut items = Vec::with_capacity(exports.len());
                            for export in exports.iter() {
                                items.push((
                                    export.name.to_string(),
                                    core_sort(export.kind, 0)?,
                                    export.index,
                                ));
                            }
                            Step::CoreInstanceFromExports(items)
                        }
                    };
                    self.steps.push(step);
                }
            }
            Payload::CoreTypeSection(reader) => {
                // Core types only describe modules; nothing to do at instantiation.
                for ty in reader {
                    let _: CoreType<'_> = ty?;
                }
            }
            Payload::ComponentInstanceSection(reader) => {
                for instance in reader {
                    let step = match instance? {
                        wasmparser::ComponentInstance::Instantiate {
                            component_index,
                            args,
                        } => Step::Instantiate {
                            component: component_index,
                            args: args
                                .iter()
                                .map(|arg| (arg.name.to_string(), sort(arg.kind), arg.index))
                                .collect(),
                        },
                        wasmparser::ComponentInstance::FromExports(exports) => {
                            Step::InstanceFromExports(
                                exports
                                    .iter()
                                    .map(|e| (e.name.name.to_string(), sort(e.kind), e.index))
                                    .collect(),
                            )
                        }
                    };
                    self.steps.push(step);
                }
            }
            Payload::ComponentAliasSection(reader) => {
                for alias in reader.into_iter_with_offsets() {
                    let (offset, alias) = alias?;
                    let offset = offset as usize;
                    match alias {
                        ComponentAlias::InstanceExport {
                            kind,
                            instance_index,
                            name,
                        } => {
                            let sort = sort(kind);
                            self.push_indexed(
                                sort,
                                Step::Alias {
                                    instance: instance_index,
                                    name: name.to_string(),
                                    sort,
                                },
                            );
                        }
                        ComponentAlias::CoreInstanceExport {
                            kind,
                            instance_index,
                            name,
                        } => {
                            self.steps.push(Step::CoreAlias {
                                instance: instance_index,
                                name: name.to_string(),
                                sort: core_sort(kind, offset)?,
                            });
                        }
                        ComponentAlias::Outer { kind, count, index } => match kind {
                            ComponentOuterAliasKind::CoreType => {}
                            ComponentOuterAliasKind::Type => self.steps.push(Step::Type),
                            ComponentOuterAliasKind::CoreModule => {
                                let module = outer_builder(self, outer, count)
                                    .and_then(|b| {
                                        b.modules
                                            .get(index as usize)
                                            .copied()
                                            .flatten()
                                            .and_then(|step| b.steps.get(step))
                                    })
                                    .and_then(|step| match step {
                                        Step::CoreModule(m) | Step::OuterModule(m) => {
                                            Some(m.clone())
                                        }
                                        _ => None,
                                    })
                                    .ok_or_else(|| outer_dynamic(offset))?;
                                self.modules.push(Some(self.steps.len()));
                                self.steps.push(Step::OuterModule(module));
                            }
                            ComponentOuterAliasKind::Component => {
                                let component = outer_builder(self, outer, count)
                                    .and_then(|b| {
                                        b.components.get(index as usize).cloned().flatten()
                                    })
                                    .ok_or_else(|| outer_dynamic(offset))?;
                                self.components.push(Some(component.clone()));
                                self.steps.push(Step::OuterComponent(component));
                            }
                        },
                    }
                }
            }
            Payload::ComponentTypeSection(reader) => {
                for ty in reader.into_iter_with_offsets() {
                    let (offset, ty) = ty?;
                    let offset = offset as usize;
                    check_type(&ty, offset)?;
                    self.steps.push(match ty {
                        ComponentType::Resource { dtor, .. } => Step::Resource { dtor },
                        _ => Step::Type,
                    });
                }
            }
            Payload::ComponentCanonicalSection(reader) => {
                for func in reader.into_iter_with_offsets() {
                    let (offset, func) = func?;
                    let offset = offset as usize;
                    let step = match func {
                        CanonicalFunction::Lift {
                            core_func_index,
                            type_index,
                            options,
                        } => Step::Lift {
                            core_func: core_func_index,
                            ty: type_index,
                            options: canon_options(&options, offset)?,
                        },
                        CanonicalFunction::Lower {
                            func_index,
                            options,
                        } => Step::Lower {
                            func: func_index,
                            options: canon_options(&options, offset)?,
                        },
                        CanonicalFunction::ResourceNew { resource } => {
                            Step::ResourceNew { resource }
                        }
                        CanonicalFunction::ResourceDrop { resource } => {
                            Step::ResourceDrop { resource }
                        }
                        CanonicalFunction::ResourceRep { resource } => {
                            Step::ResourceRep { resource }
                        }
                        CanonicalFunction::ThreadSpawnRef { .. }
                        | CanonicalFunction::ThreadSpawnIndirect { .. }
                        | CanonicalFunction::ThreadAvailableParallelism => {
                            return Err(Error::invalid(
                                "shared-everything threads (`thread.*` canonical built-ins) are \
                                 not supported",
                                Some(offset),
                            ));
                        }
                        other => {
                            return Err(unsupported(
                                &format!("the canonical built-in `{}`", builtin_name(&other)),
                                offset,
                            ));
                        }
                    };
                    self.steps.push(step);
                }
            }
            Payload::ComponentStartSection { range, .. } => {
                return Err(Error::invalid(
                    "component start functions (value imports and exports) are not supported",
                    Some(range.start as usize),
                ));
            }
            Payload::ComponentImportSection(reader) => {
                for import in reader.into_iter_with_offsets() {
                    let (offset, import) = import?;
                    let offset = offset as usize;
                    let sort = match import.ty {
                        ComponentTypeRef::Module(_) => ComponentSort::Module,
                        ComponentTypeRef::Func(_) => ComponentSort::Func,
                        ComponentTypeRef::Value(_) => {
                            return Err(Error::invalid(
                                "value imports are not supported",
                                Some(offset),
                            ));
                        }
                        ComponentTypeRef::Type(_) => ComponentSort::Type,
                        ComponentTypeRef::Instance(_) => ComponentSort::Instance,
                        ComponentTypeRef::Component(_) => ComponentSort::Component,
                    };
                    let index = u32::try_from(self.import_names.len()).map_err(|_| internal())?;
                    self.import_names.push(import.name.name.to_string());
                    self.push_indexed(sort, Step::Import { index, sort });
                }
            }
            Payload::ComponentExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let sort = sort(export.kind);
                    self.exports
                        .push((export.name.name.to_string(), sort, export.index));
                    self.push_indexed(
                        sort,
                        Step::Export {
                            sort,
                            index: export.index,
                        },
                    );
                }
            }
            Payload::CustomSection(_) | Payload::UnknownSection { .. } => {}
            other => {
                // Core sections cannot appear at the top of a component: the validator has
                // rejected them before we get here.
                let _ = other;
                return Err(internal());
            }
        }
        Ok(())
    }

    /// Pushes `step`, and for modules and components records whether the entry is static.
    fn push_indexed(&mut self, sort: ComponentSort, step: Step) {
        match sort {
            ComponentSort::Module => self.modules.push(None),
            ComponentSort::Component => self.components.push(None),
            _ => {}
        }
        self.steps.push(step);
    }

    fn finish(self, types: Types) -> Result<ComponentInfo> {
        let mut imports = Vec::with_capacity(self.import_names.len());
        for name in self.import_names {
            let ty = types
                .component_item_for_import(&name)
                .map(|item| item.ty)
                .ok_or_else(internal)?;
            imports.push(ImportDecl { name, ty });
        }
        let exports = self
            .exports
            .into_iter()
            .map(|(name, _, _)| {
                let ty = types.component_item_for_export(&name).map(|item| item.ty);
                ExportDecl { name, ty }
            })
            .collect();
        Ok(ComponentInfo {
            steps: self.steps,
            imports,
            exports,
            types,
        })
    }
}

/// The builder `count` levels out of the current one (`outer` excludes the current one).
fn outer_builder<'a>(this: &'a Builder, outer: &'a [Builder], count: u32) -> Option<&'a Builder> {
    if count == 0 {
        return Some(this);
    }
    outer.get(outer.len().checked_sub(usize::try_from(count).ok()?)?)
}

fn outer_dynamic(offset: usize) -> Error {
    Error::invalid(
        "an outer alias of an imported module or component is not supported",
        Some(offset),
    )
}

fn sort(kind: ComponentExternalKind) -> ComponentSort {
    match kind {
        ComponentExternalKind::Module => ComponentSort::Module,
        ComponentExternalKind::Func => ComponentSort::Func,
        ComponentExternalKind::Value => ComponentSort::Value,
        ComponentExternalKind::Type => ComponentSort::Type,
        ComponentExternalKind::Instance => ComponentSort::Instance,
        ComponentExternalKind::Component => ComponentSort::Component,
    }
}

fn core_sort(kind: ExternalKind, offset: usize) -> Result<CoreSort> {
    Ok(match kind {
        ExternalKind::Func | ExternalKind::FuncExact => CoreSort::Func,
        ExternalKind::Table => CoreSort::Table,
        ExternalKind::Memory => CoreSort::Memory,
        ExternalKind::Global => CoreSort::Global,
        ExternalKind::Tag => {
            return Err(Error::invalid(
                "exception tags are not supported",
                Some(offset),
            ));
        }
    })
}

fn canon_options(options: &[CanonicalOption], offset: usize) -> Result<CanonOptions> {
    let mut out = CanonOptions::default();
    for option in options {
        match *option {
            CanonicalOption::UTF8 => out.encoding = Encoding::Utf8,
            CanonicalOption::UTF16 => out.encoding = Encoding::Utf16,
            CanonicalOption::CompactUTF16 => out.encoding = Encoding::CompactUtf16,
            CanonicalOption::Memory(index) => out.memory = Some(index),
            CanonicalOption::Realloc(index) => out.realloc = Some(index),
            CanonicalOption::PostReturn(index) => out.post_return = Some(index),
            CanonicalOption::Async => {
                return Err(unsupported("the `async` canonical option", offset));
            }
            CanonicalOption::Callback(_) => {
                return Err(unsupported("the `callback` canonical option", offset));
            }
            CanonicalOption::CoreType(_) | CanonicalOption::Gc => {
                return Err(Error::invalid(
                    "the GC canonical options (`core-type`, `gc`) are not supported",
                    Some(offset),
                ));
            }
        }
    }
    Ok(out)
}

fn builtin_name(func: &CanonicalFunction) -> String {
    let debug = format!("{func:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    // `StreamNew` -> `stream.new`, `BackpressureInc` -> `backpressure.inc`.
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push(if out.contains('.') { '-' } else { '.' });
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Rejects the async parts of the Component Model in a type definition.
fn check_type(ty: &ComponentType<'_>, offset: usize) -> Result<()> {
    match ty {
        ComponentType::Defined(defined) => check_defined(defined, offset),
        ComponentType::Func(func) => check_func(func, offset),
        ComponentType::Component(decls) => {
            for decl in decls.iter() {
                match decl {
                    ComponentTypeDeclaration::Type(ty) => check_type(ty, offset)?,
                    ComponentTypeDeclaration::Import(import) => {
                        check_type_ref(&import.ty, offset)?;
                    }
                    ComponentTypeDeclaration::Export { ty, .. } => check_type_ref(ty, offset)?,
                    ComponentTypeDeclaration::CoreType(_) | ComponentTypeDeclaration::Alias(_) => {}
                }
            }
            Ok(())
        }
        ComponentType::Instance(decls) => {
            for decl in decls.iter() {
                match decl {
                    InstanceTypeDeclaration::Type(ty) => check_type(ty, offset)?,
                    InstanceTypeDeclaration::Export { ty, .. } => check_type_ref(ty, offset)?,
                    InstanceTypeDeclaration::CoreType(_) | InstanceTypeDeclaration::Alias(_) => {}
                }
            }
            Ok(())
        }
        ComponentType::Resource { .. } => Ok(()),
    }
}

fn check_type_ref(ty: &ComponentTypeRef, offset: usize) -> Result<()> {
    match ty {
        ComponentTypeRef::Value(value) => check_val(value, offset),
        _ => Ok(()),
    }
}

fn check_func(func: &ComponentFuncType<'_>, offset: usize) -> Result<()> {
    if func.async_ {
        return Err(unsupported("an `async` function type", offset));
    }
    for (_, ty) in func.params.iter() {
        check_val(ty, offset)?;
    }
    if let Some(ty) = &func.result {
        check_val(ty, offset)?;
    }
    Ok(())
}

fn check_val(ty: &ComponentValType, offset: usize) -> Result<()> {
    match ty {
        ComponentValType::Primitive(PrimitiveValType::ErrorContext) => {
            Err(unsupported("the `error-context` type", offset))
        }
        _ => Ok(()),
    }
}

fn check_defined(ty: &ComponentDefinedType<'_>, offset: usize) -> Result<()> {
    match ty {
        ComponentDefinedType::Primitive(p) => check_val(&ComponentValType::Primitive(*p), offset),
        ComponentDefinedType::Record(fields) => {
            fields.iter().try_for_each(|(_, ty)| check_val(ty, offset))
        }
        ComponentDefinedType::Variant(cases) => cases
            .iter()
            .filter_map(|case| case.ty.as_ref())
            .try_for_each(|ty| check_val(ty, offset)),
        ComponentDefinedType::List(ty) | ComponentDefinedType::Option(ty) => check_val(ty, offset),
        ComponentDefinedType::FixedLengthList(ty, _) => check_val(ty, offset),
        ComponentDefinedType::Map(k, v) => {
            check_val(k, offset)?;
            check_val(v, offset)
        }
        ComponentDefinedType::Tuple(tys) => tys.iter().try_for_each(|ty| check_val(ty, offset)),
        ComponentDefinedType::Result { ok, err } => ok
            .iter()
            .chain(err.iter())
            .try_for_each(|ty| check_val(ty, offset)),
        ComponentDefinedType::Future(_) => Err(unsupported("the `future` type", offset)),
        ComponentDefinedType::Stream(_) => Err(unsupported("the `stream` type", offset)),
        ComponentDefinedType::Flags(_)
        | ComponentDefinedType::Enum(_)
        | ComponentDefinedType::Own(_)
        | ComponentDefinedType::Borrow(_) => Ok(()),
    }
}
