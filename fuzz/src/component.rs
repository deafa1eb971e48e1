//! Components from fuzz input: raw bytes, or a valid seed component mutated byte by byte,
//! go through `Component::new`; those that compile are instantiated with every import
//! defined as a trapping function (`Linker::define_unknown_imports_as_traps`) and every
//! exported function whose parameters have a default value is called with those defaults,
//! under fuel. Nothing may panic; every failure must be an `Error`.

use crate::harness::{FUEL_PER_CALL, store};
use weft::component::types::Type;
use weft::component::{Component, Export, Func, Instance, Linker, Val};
use weft::{Engine, StoreLimits};

/// The built `wit-bindgen` guest of `tests/all/component_guests.rs`.
const GUEST: &[u8] = include_bytes!("../../fixtures/components/guests.wasm");

/// A small hand-written component: memory, `realloc`, strings in UTF-16, a nested
/// component whose export the outer one lowers, and a resource.
const NESTED: &str = r#"(component
  (component $callee
    (core module $m
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 256)
      (func (export "echo") (param i32 i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.store (i32.const 20) (local.get 1))
        (i32.const 16)))
    (core instance $i (instantiate $m))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))
        string-encoding=utf16)))
  (instance $callee (instantiate $callee))
  (alias export $callee "echo" (func $echo))
  (core module $libc
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 512))
  (core instance $libc (instantiate $libc))
  (core func $echo (canon lower (func $echo) (memory (core memory $libc "mem"))
    (realloc (core func $libc "realloc"))))
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "dep" "echo" (func $echo (param i32 i32 i32)))
    (import "dep" "new" (func $new (param i32) (result i32)))
    (func (export "run") (param i32 i32) (result i32)
      (call $echo (local.get 0) (local.get 1) (i32.const 32))
      (i32.const 32))
    (func (export "make") (param i32) (result i32) (call $new (local.get 0))))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "dep" (instance (export "echo" (func $echo)) (export "new" (func $new))))))
  (export $r' "r" (type $r))
  (func (export "run") (param "s" string) (result string)
    (canon lift (core func $i "run") (memory (core memory $libc "mem"))
      (realloc (core func $libc "realloc"))))
  (func (export "make") (param "x" u32) (result (own $r'))
    (canon lift (core func $i "make"))))"#;

/// The seed components that mutated inputs start from.
///
/// # Errors
///
/// If a seed's text does not parse.
pub fn seeds() -> Result<Vec<Vec<u8>>, String> {
    let nested = wat::parse_str(NESTED).map_err(|e| e.to_string())?;
    Ok(vec![GUEST.to_vec(), nested])
}

/// The component bytes for fuzz input `data`: if its first byte is even, the rest as they are;
/// otherwise the seed chosen by the second byte, changed by each following 4-byte group
/// `op, offset (2 bytes, scaled to the seed's length), value`: overwrite, insert or remove a
/// byte, or truncate.
pub fn input(seeds: &[Vec<u8>], data: &[u8]) -> Vec<u8> {
    let Some((&mode, rest)) = data.split_first() else {
        return Vec::new();
    };
    if mode.is_multiple_of(2) || seeds.is_empty() {
        return rest.to_vec();
    }
    let Some((&which, edits)) = rest.split_first() else {
        return Vec::new();
    };
    let mut bytes = seeds[usize::from(which) % seeds.len()].clone();
    for edit in edits.chunks_exact(4) {
        if bytes.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([edit[1], edit[2]])) * bytes.len() / 65536;
        match edit[0] % 8 {
            0..=3 => bytes[at] = edit[3],
            4 => bytes[at] ^= 1 << (edit[3] % 8),
            5 => bytes.insert(at, edit[3]),
            6 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at.max(8)),
        }
    }
    bytes
}

/// What [`run`] got to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    /// `Component::new` accepted the bytes.
    pub compiled: bool,
    /// The component instantiated.
    pub instantiated: bool,
    /// Exported functions called (whatever they returned).
    pub calls: u32,
    /// Calls that returned normally.
    pub returned: u32,
}

/// Compiles `bytes` as a component in `engine`, instantiates it with trapping imports and
/// calls its exports with default arguments. Errors and traps are expected outcomes; the
/// function only fails by panicking, which is the bug the fuzz target looks for.
pub fn run(engine: &Engine, bytes: &[u8]) -> Reached {
    let mut reached = Reached::default();
    let Ok(component) = Component::new(engine, bytes) else {
        return reached;
    };
    reached.compiled = true;
    let mut linker = Linker::<StoreLimits>::new(engine);
    if linker.define_unknown_imports_as_traps(&component).is_err() {
        return reached;
    }
    let mut store = store(engine);
    let _ = store.set_fuel(FUEL_PER_CALL);
    let Ok(instance) = linker.instantiate(&mut store, &component) else {
        return reached;
    };
    reached.instantiated = true;
    let mut funcs = Vec::new();
    collect_funcs(&instance, instance.exports(&store), &mut funcs);
    for func in funcs {
        let Some(params) = func
            .params(&store)
            .iter()
            .map(|(_, ty)| default_val(ty))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        let mut results = vec![Val::Bool(false); func.results(&store).len()];
        let _ = store.set_fuel(FUEL_PER_CALL);
        reached.calls += 1;
        if func.call(&mut store, &params, &mut results).is_ok() {
            reached.returned += 1;
        }
    }
    reached
}

/// Every function among `exports`, also inside exported instances, bounded in number.
fn collect_funcs(instance: &Instance, exports: Vec<(String, Export)>, funcs: &mut Vec<Func>) {
    for (_, export) in exports {
        if funcs.len() >= 64 {
            return;
        }
        match export {
            Export::Func(f) => funcs.push(f),
            Export::Instance(inner) => {
                let nested = inner
                    .names()
                    .filter_map(|n| Some((n.to_string(), instance.get_export_of(&inner, n)?)))
                    .filter(|(_, e)| matches!(e, Export::Func(_)))
                    .collect();
                collect_funcs(instance, nested, funcs);
            }
            _ => {}
        }
    }
}

/// The value of type `ty` made of zeros, empty strings and lists, first cases and no
/// flags; `None` for handles, which have no default.
pub fn default_val(ty: &Type) -> Option<Val> {
    Some(match ty {
        Type::Bool => Val::Bool(false),
        Type::S8 => Val::S8(0),
        Type::U8 => Val::U8(0),
        Type::S16 => Val::S16(0),
        Type::U16 => Val::U16(0),
        Type::S32 => Val::S32(0),
        Type::U32 => Val::U32(0),
        Type::S64 => Val::S64(0),
        Type::U64 => Val::U64(0),
        Type::Float32 => Val::Float32(0.0),
        Type::Float64 => Val::Float64(0.0),
        Type::Char => Val::Char('\0'),
        Type::String => Val::String(String::new()),
        Type::List(_) => Val::List(Vec::new()),
        Type::Record(r) => Val::Record(
            r.fields()
                .map(|f| Some((f.name.to_string(), default_val(&f.ty)?)))
                .collect::<Option<_>>()?,
        ),
        Type::Tuple(t) => Val::Tuple(t.types().map(|t| default_val(&t)).collect::<Option<_>>()?),
        Type::Variant(v) => {
            let case = v.cases().next()?;
            let payload = match &case.ty {
                Some(t) => Some(Box::new(default_val(t)?)),
                None => None,
            };
            Val::Variant(case.name.to_string(), payload)
        }
        Type::Enum(e) => Val::Enum(e.names().next()?.to_string()),
        Type::Option(_) => Val::Option(None),
        Type::Result(r) => Val::Result(Ok(match r.ok() {
            Some(t) => Some(Box::new(default_val(&t)?)),
            None => None,
        })),
        Type::Flags(_) => Val::Flags(Vec::new()),
        Type::Own(_) | Type::Borrow(_) => return None,
    })
}
