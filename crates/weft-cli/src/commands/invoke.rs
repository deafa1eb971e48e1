//! `weft run --invoke 'name(args)' component.wasm`: calls one export of a component, with
//! arguments and results in WAVE, the WebAssembly Value Encoding (the `wasm-wave` crate), as
//! `wasmtime run --invoke` does.
//!
//! The call is parsed without types first ([`UntypedFuncCall`]), the export is found by name,
//! and then the arguments are typed against the export's parameters: each component
//! [`Type`] becomes a WAVE type, the parsed WAVE values become [`Val`]s, and the results go
//! back the same way to be printed, one WAVE value (or a parenthesized list when the
//! function has several results) on one line.

use anyhow::{Context as _, anyhow, bail};
use std::borrow::Cow;
use std::path::Path;
use wasm_wave::untyped::UntypedFuncCall;
use wasm_wave::value::{Type as WaveType, Value};
use wasm_wave::wasm::{DisplayFuncResults, WasmValue};
use weft::Store;
use weft::component::{Component, Export, Func, Instance, Linker, Type, Val};

/// Whether `binary` (already turned from text into bytes) is a component.
pub fn is_component(binary: &[u8]) -> bool {
    wasmparser::Parser::is_component(binary)
}

/// The binary encoding of the file at `path`: its bytes, or the text format encoded.
///
/// # Errors
///
/// If the file cannot be read or its text does not parse.
/// Compiles a component from `bytes` (binary or text), or loads it if it was precompiled by
/// `weft compile` and `allow_precompiled` is set.
pub fn load_component(
    engine: &weft::Engine,
    bytes: &[u8],
    allow_precompiled: bool,
) -> anyhow::Result<Component> {
    if engine.detect_precompiled(bytes) != Some(weft::Precompiled::Component) {
        return Component::new(engine, bytes);
    }
    if !allow_precompiled {
        anyhow::bail!("running a precompiled component requires the `--allow-precompiled` flag");
    }
    // SAFETY: none needed: Weft verifies a precompiled component before using it, and the
    // function is `unsafe` only to keep Wasmtime's signature.
    #[allow(
        unsafe_code,
        reason = "`Component::deserialize` has Wasmtime's unsafe signature"
    )]
    let component = unsafe { Component::deserialize(engine, bytes) }?;
    Ok(component)
}

pub fn read_binary(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {path:?}"))?;
    Ok(wat::parse_bytes(&bytes)
        .with_context(|| format!("cannot parse {path:?}"))?
        .into_owned())
}

/// The error for `--invoke NAME` of a core module that has no function `NAME`; when `NAME`
/// is written as a component call, `name(args)`, the message says how core modules take
/// their arguments instead.
pub fn core_export_missing(name: &str) -> anyhow::Error {
    match name.split_once('(') {
        Some((func, _)) if name.trim_end().ends_with(')') => anyhow!(
            "no func export named `{name}` found: this is a core WebAssembly module, not a \
             component, so `--invoke` takes the function's name alone and its arguments \
             after the file, e.g. `weft run --invoke {} FILE 1 2`",
            func.trim()
        ),
        _ => anyhow!("no func export named `{name}` found"),
    }
}

/// `weft run --invoke CALL FILE` when FILE is a component: calls the export and prints its
/// results. Returns `None` when FILE is not a component (the core-module path handles it).
///
/// `linker` holds what the component may import (`weft run` gives it WASI 0.2 with the run's
/// arguments, environment and directories); every other function import is defined to fail
/// when called. The store carries the run's fuel and deadline.
///
/// # Errors
///
/// As [`invoke_component`]; a trap is printed and becomes the exit status 134, as for core
/// modules, and a `wasi:cli/exit` the status it asks for.
pub fn run_component<T: 'static>(
    store: &mut Store<T>,
    linker: &mut Linker<T>,
    file: &Path,
    invoke: &str,
    allow_precompiled: bool,
) -> anyhow::Result<Option<std::process::ExitCode>> {
    let Ok(raw) = std::fs::read(file) else {
        return Ok(None);
    };
    let precompiled =
        linker.engine().detect_precompiled(&raw) == Some(weft::Precompiled::Component);
    let binary = if precompiled {
        raw
    } else {
        let Ok(binary) = read_binary(file) else {
            return Ok(None);
        };
        if !is_component(&binary) {
            return Ok(None);
        }
        binary
    };
    match invoke_component(store, linker, &binary, invoke, allow_precompiled) {
        Ok(results) => {
            println!("{results}");
            Ok(Some(std::process::ExitCode::SUCCESS))
        }
        Err(error) => {
            if let Some(exit) = error.downcast_ref::<weft_wasi::I32Exit>() {
                return Ok(Some(std::process::ExitCode::from(
                    u8::try_from(exit.0).unwrap_or(1),
                )));
            }
            if error.downcast_ref::<weft::Trap>().is_some() {
                super::print_stderr(&format!("Error: {}\n", super::error_report(&error)));
                return Ok(Some(std::process::ExitCode::from(134)));
            }
            Err(error.context(format!("failed to run component `{}`", file.display())))
        }
    }
}

/// Compiles the component `binary`, instantiates it with the definitions of `linker` and
/// functions that fail when called for every other function import, and calls the export
/// that `invoke` names.
///
/// # Errors
///
/// If the component does not compile or instantiate, the call does not parse or does not fit
/// the export's type, or the call traps.
pub fn invoke_component<T: 'static>(
    store: &mut Store<T>,
    linker: &mut Linker<T>,
    binary: &[u8],
    invoke: &str,
    allow_precompiled: bool,
) -> anyhow::Result<String> {
    let call = UntypedFuncCall::parse(invoke).map_err(|e| {
        anyhow!(
            "cannot parse `--invoke {invoke}`: {e}; a component function is invoked with WAVE \
             syntax, for example `--invoke 'add(1, 2)'` or `--invoke 'greet(\"you\")'`"
        )
    })?;
    let component = load_component(linker.engine(), binary, allow_precompiled)?;
    linker.define_unknown_imports_as_traps(&component)?;
    let instance = linker
        .instantiate(&mut *store, &component)
        .context("failed to instantiate the component")?;
    let func = find_func(store, &instance, call.name())?;
    let params = func.params(&*store);
    let types = params
        .iter()
        .map(|(name, ty)| {
            wave_type(ty).with_context(|| format!("parameter `{name}` of `{}`", call.name()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let values: Vec<Value> = call
        .to_wasm_params(types.iter())
        .map_err(|e| anyhow!("invalid arguments in `--invoke {invoke}`: {e}"))?;
    let args = values
        .iter()
        .zip(params.iter())
        .map(|(value, (_, ty))| from_wave(value, ty))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let result_types = func.results(&*store);
    // `Func::call` overwrites every slot.
    let mut results = vec![Val::Bool(false); result_types.len()];
    func.call(&mut *store, &args, &mut results)
        .with_context(|| format!("failed to invoke `{}`", call.name()))?;
    let results = results
        .iter()
        .zip(result_types.iter())
        .map(|(val, ty)| to_wave(val, ty))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(DisplayFuncResults(&results).to_string())
}

/// The exported function `name`: a top-level export, `instance#func`, or a function of that
/// name in exactly one exported instance.
fn find_func<T: 'static>(
    store: &Store<T>,
    instance: &Instance,
    name: &str,
) -> anyhow::Result<Func> {
    if let Some(func) = instance.get_func(store, name) {
        return Ok(func);
    }
    let mut found = Vec::new();
    let mut available = Vec::new();
    for (export, item) in instance.exports(store) {
        match item {
            Export::Func(_) => available.push(export),
            Export::Instance(inner) => {
                for func in inner.names() {
                    if let Some(Export::Func(f)) = instance.get_export_of(&inner, func) {
                        let full = format!("{export}#{func}");
                        if func == name {
                            found.push((full.clone(), f));
                        }
                        available.push(full);
                    }
                }
            }
            _ => {}
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 if available.is_empty() => bail!("the component exports no function `{name}`"),
        0 => bail!(
            "the component exports no function `{name}`; it exports: {}",
            available.join(", ")
        ),
        _ => {
            let names: Vec<String> = found.into_iter().map(|(n, _)| n).collect();
            bail!(
                "`{name}` is exported by several instances; name one of: {}",
                names.join(", ")
            )
        }
    }
}

/// The WAVE type of a component value type.
fn wave_type(ty: &Type) -> anyhow::Result<WaveType> {
    let invalid = || anyhow!("the type {} has no WAVE form", ty.desc());
    Ok(match ty {
        Type::Bool => WaveType::BOOL,
        Type::S8 => WaveType::S8,
        Type::U8 => WaveType::U8,
        Type::S16 => WaveType::S16,
        Type::U16 => WaveType::U16,
        Type::S32 => WaveType::S32,
        Type::U32 => WaveType::U32,
        Type::S64 => WaveType::S64,
        Type::U64 => WaveType::U64,
        Type::Float32 => WaveType::F32,
        Type::Float64 => WaveType::F64,
        Type::Char => WaveType::CHAR,
        Type::String => WaveType::STRING,
        Type::List(list) => WaveType::list(wave_type(list.element())?),
        Type::Record(record) => WaveType::record(
            record
                .fields()
                .map(|field| Ok((field.name.to_string(), wave_type(&field.ty)?)))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
        .ok_or_else(invalid)?,
        Type::Tuple(tuple) => WaveType::tuple(
            tuple
                .elements()
                .iter()
                .map(wave_type)
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
        .ok_or_else(invalid)?,
        Type::Variant(variant) => WaveType::variant(
            variant
                .cases()
                .map(|case| {
                    Ok((
                        case.name.to_string(),
                        case.ty.as_ref().map(wave_type).transpose()?,
                    ))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        )
        .ok_or_else(invalid)?,
        Type::Enum(e) => WaveType::enum_ty(e.names()).ok_or_else(invalid)?,
        Type::Option(option) => WaveType::option(wave_type(option.payload())?),
        Type::Result(result) => WaveType::result(
            result.ok().as_ref().map(wave_type).transpose()?,
            result.err().as_ref().map(wave_type).transpose()?,
        ),
        Type::Flags(flags) => WaveType::flags(flags.names()).ok_or_else(invalid)?,
        Type::Own(_) | Type::Borrow(_) => bail!(
            "a resource handle ({}) cannot be written on the command line",
            ty.desc()
        ),
    })
}

/// A parsed WAVE value, of the WAVE form of `ty`, as a component value.
fn from_wave(value: &Value, ty: &Type) -> anyhow::Result<Val> {
    let payload = |v: Option<Cow<'_, Value>>, ty: Option<Type>| -> anyhow::Result<_> {
        match (v, ty) {
            (Some(v), Some(ty)) => Ok(Some(Box::new(from_wave(&v, &ty)?))),
            _ => Ok(None),
        }
    };
    Ok(match ty {
        Type::Bool => Val::Bool(value.unwrap_bool()),
        Type::S8 => Val::S8(value.unwrap_s8()),
        Type::U8 => Val::U8(value.unwrap_u8()),
        Type::S16 => Val::S16(value.unwrap_s16()),
        Type::U16 => Val::U16(value.unwrap_u16()),
        Type::S32 => Val::S32(value.unwrap_s32()),
        Type::U32 => Val::U32(value.unwrap_u32()),
        Type::S64 => Val::S64(value.unwrap_s64()),
        Type::U64 => Val::U64(value.unwrap_u64()),
        Type::Float32 => Val::Float32(value.unwrap_f32()),
        Type::Float64 => Val::Float64(value.unwrap_f64()),
        Type::Char => Val::Char(value.unwrap_char()),
        Type::String => Val::String(value.unwrap_string().into_owned()),
        Type::List(list) => Val::List(
            value
                .unwrap_list()
                .map(|v| from_wave(&v, list.element()))
                .collect::<anyhow::Result<_>>()?,
        ),
        Type::Record(record) => Val::Record(
            value
                .unwrap_record()
                .zip(record.fields())
                .map(|((name, v), field)| Ok((name.into_owned(), from_wave(&v, &field.ty)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        Type::Tuple(tuple) => Val::Tuple(
            value
                .unwrap_tuple()
                .zip(tuple.elements())
                .map(|(v, ty)| from_wave(&v, ty))
                .collect::<anyhow::Result<_>>()?,
        ),
        Type::Variant(variant) => {
            let (name, v) = value.unwrap_variant();
            let case_ty = variant
                .cases()
                .find(|case| case.name == name)
                .and_then(|case| case.ty);
            Val::Variant(name.into_owned(), payload(v, case_ty)?)
        }
        Type::Enum(_) => Val::Enum(value.unwrap_enum().into_owned()),
        Type::Option(option) => Val::Option(payload(
            value.unwrap_option(),
            Some(option.payload().clone()),
        )?),
        Type::Result(result) => Val::Result(match value.unwrap_result() {
            Ok(v) => Ok(payload(v, result.ok())?),
            Err(v) => Err(payload(v, result.err())?),
        }),
        Type::Flags(_) => Val::Flags(value.unwrap_flags().map(Cow::into_owned).collect()),
        Type::Own(_) | Type::Borrow(_) => bail!(
            "a resource handle ({}) cannot be written on the command line",
            ty.desc()
        ),
    })
}

/// A component value of type `ty` as a WAVE value, for printing.
fn to_wave(val: &Val, ty: &Type) -> anyhow::Result<Value> {
    let wave_ty = || wave_type(ty);
    let payload = |v: &Option<Box<Val>>, ty: Option<Type>| -> anyhow::Result<Option<Value>> {
        match (v, ty) {
            (Some(v), Some(ty)) => Ok(Some(to_wave(v, &ty)?)),
            _ => Ok(None),
        }
    };
    let mismatch = || anyhow!("the result {} is not of type {}", val.desc(), ty.desc());
    Ok(match (val, ty) {
        (Val::Bool(v), _) => Value::make_bool(*v),
        (Val::S8(v), _) => Value::make_s8(*v),
        (Val::U8(v), _) => Value::make_u8(*v),
        (Val::S16(v), _) => Value::make_s16(*v),
        (Val::U16(v), _) => Value::make_u16(*v),
        (Val::S32(v), _) => Value::make_s32(*v),
        (Val::U32(v), _) => Value::make_u32(*v),
        (Val::S64(v), _) => Value::make_s64(*v),
        (Val::U64(v), _) => Value::make_u64(*v),
        (Val::Float32(v), _) => Value::make_f32(*v),
        (Val::Float64(v), _) => Value::make_f64(*v),
        (Val::Char(v), _) => Value::make_char(*v),
        (Val::String(v), _) => Value::make_string(Cow::Borrowed(v)),
        (Val::List(items), Type::List(list)) => Value::make_list(
            &wave_ty()?,
            items
                .iter()
                .map(|v| to_wave(v, list.element()))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )?,
        (Val::Record(fields), Type::Record(record)) => {
            let values = fields
                .iter()
                .zip(record.fields())
                .map(|((_, v), field)| to_wave(v, &field.ty))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Value::make_record(
                &wave_ty()?,
                fields.iter().map(|(n, _)| n.as_str()).zip(values),
            )?
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => Value::make_tuple(
            &wave_ty()?,
            items
                .iter()
                .zip(tuple.elements())
                .map(|(v, ty)| to_wave(v, ty))
                .collect::<anyhow::Result<Vec<_>>>()?,
        )?,
        (Val::Variant(name, v), Type::Variant(variant)) => {
            let case_ty = variant
                .cases()
                .find(|case| case.name == name)
                .and_then(|case| case.ty);
            Value::make_variant(&wave_ty()?, name, payload(v, case_ty)?)?
        }
        (Val::Enum(name), Type::Enum(_)) => Value::make_enum(&wave_ty()?, name)?,
        (Val::Option(v), Type::Option(option)) => {
            Value::make_option(&wave_ty()?, payload(v, Some(option.payload().clone()))?)?
        }
        (Val::Result(r), Type::Result(result)) => Value::make_result(
            &wave_ty()?,
            match r {
                Ok(v) => Ok(payload(v, result.ok())?),
                Err(v) => Err(payload(v, result.err())?),
            },
        )?,
        (Val::Flags(names), Type::Flags(_)) => {
            Value::make_flags(&wave_ty()?, names.iter().map(String::as_str))?
        }
        (Val::Resource(_), _) => bail!(
            "the result is a resource handle ({}), which has no WAVE form",
            ty.desc()
        ),
        _ => return Err(mismatch()),
    })
}

/// The kind a WAVE type names, for tests.
#[cfg(test)]
fn kind(ty: &Type) -> Option<wasm_wave::wasm::WasmTypeKind> {
    use wasm_wave::wasm::WasmType;
    wave_type(ty).ok().map(|t| t.kind())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_wave::wasm::WasmTypeKind;
    use weft::component::types::{List, Record};

    #[test]
    fn values_round_trip_through_wave() -> anyhow::Result<()> {
        let point = Type::Record(Record::new([("x", Type::S32), ("y", Type::S32)])?);
        assert_eq!(kind(&point), Some(WasmTypeKind::Record));
        let val = Val::Record(vec![("x".into(), Val::S32(1)), ("y".into(), Val::S32(-2))]);
        let wave = to_wave(&val, &point)?;
        assert_eq!(wasm_wave::to_string(&wave)?, "{x: 1, y: -2}");
        let back = from_wave(&wave, &point)?;
        assert_eq!(back, val);

        let list = Type::List(List::new(Type::String));
        let parsed: Value = wasm_wave::from_str(&wave_type(&list)?, r#"["a", "b"]"#)?;
        assert_eq!(
            from_wave(&parsed, &list)?,
            Val::List(vec![Val::String("a".into()), Val::String("b".into())])
        );
        Ok(())
    }
}
