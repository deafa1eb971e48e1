//! From the validator's types to layer 1's [`Type`]s.
//!
//! wasmparser names a resource type by a `ResourceId`, fixed when the component is
//! validated; a component instance gives each of them a run-time [`ResourceType`] (a host
//! type from the linker, a fresh guest type for a `resource` definition, or the type of
//! another instance's export). [`TypeCx`] carries that map and converts the types that
//! mention them. An id missing from the map (when a component's type is shown before any
//! instance exists) gets a fresh abstract resource type, named after the type's position.

use super::types::{
    ComponentFunc, Enum, Flags, List, OptionType, Record, ResourceType, ResultType, Tuple, Type,
    Variant,
};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use std::collections::HashMap;
use wasmparser::PrimitiveValType;
use wasmparser::component_types::{
    AliasableResourceId, ComponentDefinedType, ComponentFuncTypeId, ComponentValType, ResourceId,
};
use wasmparser::types::TypesRef;

/// The deepest type nesting converted; validation bounds it far below this already.
const MAX_DEPTH: u32 = 1000;

/// A conversion context: one component's types and the run-time resource types of the
/// instance being built (or being described).
pub(crate) struct TypeCx<'a> {
    pub(crate) types: TypesRef<'a>,
    pub(crate) resources: &'a mut HashMap<ResourceId, ResourceType>,
}

fn internal() -> Error {
    Error::invalid(
        "internal error: a component type refers to an unknown type",
        None,
    )
}

impl TypeCx<'_> {
    /// The run-time resource type of `id`, making an abstract one if it has none yet.
    pub(crate) fn resource(&mut self, id: AliasableResourceId) -> ResourceType {
        self.resources
            .entry(id.resource())
            .or_insert_with(|| ResourceType::guest("resource"))
            .clone()
    }

    /// The function type `id`.
    pub(crate) fn func(&mut self, id: ComponentFuncTypeId) -> Result<ComponentFunc> {
        let types = self.types;
        let func = types.get(id).ok_or_else(internal)?;
        let mut params = Vec::with_capacity(func.params.len());
        for (name, ty) in func.params.iter() {
            params.push((name.as_str().to_string(), self.val(ty, 0)?));
        }
        let result = match &func.result {
            Some(ty) => Some(self.val(ty, 0)?),
            None => None,
        };
        ComponentFunc::new(params, result)
    }

    /// The value type `ty`.
    pub(crate) fn val(&mut self, ty: &ComponentValType, depth: u32) -> Result<Type> {
        if depth > MAX_DEPTH {
            return Err(Error::invalid("component type nested too deeply", None));
        }
        let id = match ty {
            ComponentValType::Primitive(p) => return primitive(*p),
            ComponentValType::Type(id) => *id,
        };
        let types = self.types;
        let defined = types.get(id).ok_or_else(internal)?;
        let depth = depth + 1;
        Ok(match defined {
            ComponentDefinedType::Primitive(p) => primitive(*p)?,
            ComponentDefinedType::Record(record) => {
                let mut fields = Vec::with_capacity(record.fields.len());
                for (name, ty) in record.fields.iter() {
                    fields.push((name.as_str().to_string(), self.val(ty, depth)?));
                }
                Type::Record(Record::new(fields)?)
            }
            ComponentDefinedType::Variant(variant) => {
                let mut cases = Vec::with_capacity(variant.cases.len());
                for (name, case) in variant.cases.iter() {
                    let ty = match &case.ty {
                        Some(ty) => Some(self.val(ty, depth)?),
                        None => None,
                    };
                    cases.push((name.as_str().to_string(), ty));
                }
                Type::Variant(Variant::new(cases)?)
            }
            ComponentDefinedType::List { element, .. } => {
                Type::List(List::new(self.val(element, depth)?))
            }
            ComponentDefinedType::Tuple(tuple) => {
                let mut elements = Vec::with_capacity(tuple.types.len());
                for ty in tuple.types.iter() {
                    elements.push(self.val(ty, depth)?);
                }
                Type::Tuple(Tuple::new(elements)?)
            }
            ComponentDefinedType::Flags(names) => {
                Type::Flags(Flags::new(names.iter().map(|n| n.as_str().to_string()))?)
            }
            ComponentDefinedType::Enum(names) => {
                Type::Enum(Enum::new(names.iter().map(|n| n.as_str().to_string()))?)
            }
            ComponentDefinedType::Option { ty, .. } => {
                Type::Option(OptionType::new(self.val(ty, depth)?))
            }
            ComponentDefinedType::Result { ok, err, .. } => {
                let ok = match ok {
                    Some(ty) => Some(self.val(ty, depth)?),
                    None => None,
                };
                let err = match err {
                    Some(ty) => Some(self.val(ty, depth)?),
                    None => None,
                };
                Type::Result(ResultType::new(ok, err))
            }
            ComponentDefinedType::Own(id) => Type::Own(self.resource(*id)),
            ComponentDefinedType::Borrow(id) => Type::Borrow(self.resource(*id)),
            ComponentDefinedType::Map { .. } | ComponentDefinedType::FixedLengthList { .. } => {
                return Err(Error::invalid(
                    "`map` and fixed-length list types are not supported",
                    None,
                ));
            }
            ComponentDefinedType::Future { .. } | ComponentDefinedType::Stream { .. } => {
                return Err(Error::invalid(
                    "`future` and `stream` types are part of the Component Model's async \
                     support, which Weft does not support",
                    None,
                ));
            }
        })
    }
}

fn primitive(ty: PrimitiveValType) -> Result<Type> {
    Ok(match ty {
        PrimitiveValType::Bool => Type::Bool,
        PrimitiveValType::S8 => Type::S8,
        PrimitiveValType::U8 => Type::U8,
        PrimitiveValType::S16 => Type::S16,
        PrimitiveValType::U16 => Type::U16,
        PrimitiveValType::S32 => Type::S32,
        PrimitiveValType::U32 => Type::U32,
        PrimitiveValType::S64 => Type::S64,
        PrimitiveValType::U64 => Type::U64,
        PrimitiveValType::F32 => Type::Float32,
        PrimitiveValType::F64 => Type::Float64,
        PrimitiveValType::Char => Type::Char,
        PrimitiveValType::String => Type::String,
        PrimitiveValType::ErrorContext => {
            return Err(Error::invalid(
                "the `error-context` type is part of the Component Model's async support, \
                 which Weft does not support",
                None,
            ));
        }
    })
}
