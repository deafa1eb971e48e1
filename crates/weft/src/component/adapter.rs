//! Fused adapters: a call from one component instance into another without [`Val`]s.
//!
//! # Design
//!
//! When a component lowers a function that another component lifted, the spec composes
//! `canon_lower` in the caller with `canon_lift` in the callee. Both sides flatten the same
//! function type the same way, so the caller's core arguments are either all flat (and the
//! callee's are too) or spilled to a tuple in memory (and the callee's are too); the same holds
//! for results. The adapter therefore needs only two type-directed copies:
//!
//! - `flat_to_flat`: from the caller's flat cells to the callee's (or back, for results).
//!   Scalars are re-normalised as lifting then lowering would (`bool` to 0/1, narrow integers
//!   re-extended, `char` validated); handles move between the two instances' tables; strings
//!   and lists are copied between the memories.
//! - `mem_to_mem`: from a value in one memory to a value in the other, field by field; lists
//!   of scalars whose bytes mean the same on both sides are copied in one block.
//!
//! A string is transcoded from the source encoding into the destination's, through
//! `load_string_from_range` and `store_string_into_range` (one intermediate host buffer, as
//! the spec's own `store_string` copies once). Variants, options and results copy their
//! discriminant and the payload of the case it names; flat, the payload is read from and
//! written to the variant's joined slots (cells hold bits, so the spec's coercions between
//! `i32`, `f32`, `i64` and `f64` slots keep the bits as they are) and the unused slots are
//! zero.

use super::abi::layout::{Cases, payload_offset, variant_flat};
use super::abi::lift::convert_i32_to_char;
use super::abi::strings::{StringSource, reallocate};
use super::abi::{
    self, CoreValueIter, FlatValues, LiftContext, align_to, alignment, discriminant_type,
    elem_size, load_string_from_range, store_string_into_range,
};
use super::func::{Cx, Options};
use super::types::{ResourceType, Type};
use crate::error::Result;
use crate::store::Store;
use crate::trap::{Trap, TrapCode};
use crate::types::ValType;

/// The two sides of an adapted call: where values come from and where they go.
pub(crate) struct Sides {
    pub(crate) src: Side,
    pub(crate) dst: Side,
}

/// One instance and its canonical options.
#[derive(Clone, Copy)]
pub(crate) struct Side {
    pub(crate) options: Options,
    pub(crate) instance: u32,
}

fn internal(what: &str) -> crate::Error {
    Trap::with_detail(
        TrapCode::InternalError,
        format!("internal error in a fused adapter: {what}"),
    )
    .into()
}

fn cx<T>(store: &mut Store<T>, side: Side) -> Cx<'_, T> {
    Cx {
        store,
        options: side.options,
        instance: side.instance,
    }
}

/// Reads `N` bytes at `ptr` of `side`'s memory.
fn read<T, const N: usize>(store: &mut Store<T>, side: Side, ptr: u32) -> Result<[u8; N]> {
    let cx = cx(store, side);
    let bytes = cx
        .memory()
        .get(ptr as usize..)
        .and_then(|m| m.get(..N))
        .ok_or(TrapCode::PointerOutOfBounds)?;
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

/// Writes `bytes` at `ptr` of `side`'s memory.
fn write<T>(store: &mut Store<T>, side: Side, ptr: u32, bytes: &[u8]) -> Result<()> {
    use super::abi::LowerContext;
    let mut cx = cx(store, side);
    cx.memory_mut()
        .get_mut(ptr as usize..)
        .and_then(|m| m.get_mut(..bytes.len()))
        .ok_or(TrapCode::PointerOutOfBounds)?
        .copy_from_slice(bytes);
    Ok(())
}

/// `base + offset`, or the out-of-bounds trap if that leaves the 32-bit address space.
fn at(base: u32, offset: u32) -> Result<u32> {
    base.checked_add(offset)
        .ok_or_else(|| TrapCode::PointerOutOfBounds.into())
}

fn u32_at<T>(store: &mut Store<T>, side: Side, ptr: u32) -> Result<u32> {
    Ok(u32::from_le_bytes(read::<T, 4>(store, side, ptr)?))
}

/// Copies the values of `types` from flat cells of the source to flat cells of the
/// destination, appended to `out`.
pub(crate) fn flat_to_flat<'t, T>(
    store: &mut Store<T>,
    sides: &Sides,
    types: impl IntoIterator<Item = &'t Type>,
    src: &mut CoreValueIter<'_>,
    out: &mut Vec<u64>,
) -> Result<()> {
    for ty in types {
        flat_one(store, sides, ty, src, out)?;
    }
    Ok(())
}

fn flat_one<T>(
    store: &mut Store<T>,
    sides: &Sides,
    ty: &Type,
    src: &mut CoreValueIter<'_>,
    out: &mut Vec<u64>,
) -> Result<()> {
    match ty {
        Type::S64 | Type::U64 | Type::Float64 => out.push(src.next(ValType::I64)?),
        Type::Float32 | Type::S32 | Type::U32 => out.push(src.next(ValType::I32)?),
        _ if scalar(ty).is_some() => {
            let value = src.next(ValType::I32)? as u32;
            out.push(u64::from(normalize(ty, value)?));
        }
        Type::String => {
            let ptr = src.next(ValType::I32)? as u32;
            let len = src.next(ValType::I32)? as u32;
            let (ptr, len) = copy_string(store, sides, ptr, len)?;
            out.push(u64::from(ptr));
            out.push(u64::from(len));
        }
        Type::List(list) => {
            let ptr = src.next(ValType::I32)? as u32;
            let len = src.next(ValType::I32)? as u32;
            let ptr = copy_list(store, sides, list.element(), ptr, len)?;
            out.push(u64::from(ptr));
            out.push(u64::from(len));
        }
        Type::Record(record) => {
            for field in record.fields() {
                flat_one(store, sides, &field.ty, src, out)?;
            }
        }
        Type::Tuple(tuple) => {
            for ty in tuple.elements() {
                flat_one(store, sides, ty, src, out)?;
            }
        }
        Type::Flags(flags) => {
            let mut remaining = flags.len();
            while remaining > 0 {
                let word = src.next(ValType::I32)? as u32;
                let bits = remaining.min(32);
                let mask = if bits == 32 {
                    u32::MAX
                } else {
                    (1u32 << bits) - 1
                };
                out.push(u64::from(word & mask));
                remaining -= bits;
            }
        }
        Type::Own(rt) => {
            let index = src.next(ValType::I32)? as u32;
            out.push(u64::from(move_own(store, sides, rt, index)?));
        }
        Type::Borrow(rt) => {
            let index = src.next(ValType::I32)? as u32;
            out.push(u64::from(lend_borrow(store, sides, rt, index)?));
        }
        Type::Variant(_) | Type::Option(_) | Type::Result(_) => {
            let cases = Cases::of(ty).ok_or_else(|| internal("variant without cases"))?;
            let joined = variant_flat(ty).ok_or_else(|| internal("variant without layout"))?;
            let case = src.next(ValType::I32)? as u32;
            if case as usize >= cases.len() {
                return Err(TrapCode::InvalidDiscriminant.into());
            }
            // The payload slots, whatever case they hold: cells keep bits, so a payload read
            // from a wider joined slot keeps its low bits, as the spec's coercions do.
            let mut slots = Vec::with_capacity(joined.len().saturating_sub(1));
            for slot in joined.iter().skip(1) {
                slots.push(src.next(*slot)?);
            }
            out.push(u64::from(case));
            let start = out.len();
            if let Some(payload) = cases.payload(case as usize) {
                let mut payload_src = CoreValueIter::new(&slots);
                flat_one(store, sides, payload, &mut payload_src, out)?;
            }
            out.resize(start + slots.len(), 0);
        }
        _ => return Err(internal("type not adaptable")),
    }
    Ok(())
}

/// The small scalars whose flat form needs re-normalising, with their size in memory.
fn scalar(ty: &Type) -> Option<u32> {
    Some(match ty {
        Type::Bool | Type::S8 | Type::U8 => 1,
        Type::S16 | Type::U16 => 2,
        Type::Char | Type::Enum(_) => 4,
        _ => return None,
    })
}

/// `value` as lifting then lowering `ty` leaves it (traps where lifting traps).
fn normalize(ty: &Type, value: u32) -> Result<u32> {
    Ok(match ty {
        Type::Bool => u32::from(value != 0),
        Type::S8 => value as u8 as i8 as i32 as u32,
        Type::U8 => u32::from(value as u8),
        Type::S16 => value as u16 as i16 as i32 as u32,
        Type::U16 => u32::from(value as u16),
        Type::Char => u32::from(convert_i32_to_char(value)?),
        Type::Enum(names) => {
            if value as usize >= names.len() {
                return Err(TrapCode::InvalidDiscriminant.into());
            }
            value
        }
        _ => value,
    })
}

/// The spec's `lift_own` in the source then `lower_own` in the destination.
fn move_own<T>(store: &mut Store<T>, sides: &Sides, rt: &ResourceType, index: u32) -> Result<u32> {
    let rep = cx(store, sides.src).handles().lift_own(rt, index)?;
    cx(store, sides.dst).handles().lower_own(rt.clone(), rep)
}

/// The spec's `lift_borrow` in the source then `lower_borrow` in the destination.
fn lend_borrow<T>(
    store: &mut Store<T>,
    sides: &Sides,
    rt: &ResourceType,
    index: u32,
) -> Result<u32> {
    let rep = cx(store, sides.src).handles().lift_borrow(rt, index)?;
    let mut dst = cx(store, sides.dst);
    let implements = dst.implements(rt);
    dst.handles().lower_borrow(rt.clone(), rep, implements)
}

/// Transcodes the string at `ptr` (`len` tagged code units) of the source into the
/// destination; returns its pointer and tagged length there.
fn copy_string<T>(store: &mut Store<T>, sides: &Sides, ptr: u32, len: u32) -> Result<(u32, u32)> {
    let text = load_string_from_range(&mut cx(store, sides.src), ptr, len)?;
    let source = StringSource::lifted(&text, sides.src.options.encoding, len);
    store_string_into_range(&mut cx(store, sides.dst), &source)
}

/// Copies the list at `ptr` of `len` elements from the source into a fresh allocation of the
/// destination; returns the new pointer.
fn copy_list<T>(
    store: &mut Store<T>,
    sides: &Sides,
    elem: &Type,
    ptr: u32,
    len: u32,
) -> Result<u32> {
    let size = elem_size(elem);
    let align = alignment(elem);
    let bytes = u64::from(len) * u64::from(size);
    if bytes > u64::from(abi::MAX_LIST_BYTE_LENGTH) {
        return Err(Trap::with_detail(
            TrapCode::LengthOverflow,
            format!("list of {len} elements of {size} bytes is too long"),
        )
        .into());
    }
    let bytes = bytes as u32;
    if align != 0 && !ptr.is_multiple_of(align) {
        return Err(TrapCode::UnalignedPointer.into());
    }
    if u64::from(ptr) + u64::from(bytes) > cx(store, sides.src).memory().len() as u64 {
        return Err(TrapCode::ListOutOfBounds.into());
    }
    let dst = reallocate(&mut cx(store, sides.dst), 0, 0, align, bytes)?;
    if plain_bytes(elem) {
        let block = cx(store, sides.src)
            .memory()
            .get(ptr as usize..)
            .and_then(|m| m.get(..bytes as usize))
            .ok_or(TrapCode::ListOutOfBounds)?
            .to_vec();
        write(store, sides.dst, dst, &block)?;
    } else {
        let mut offset = 0u32;
        for _ in 0..len {
            mem_to_mem(store, sides, elem, at(ptr, offset)?, at(dst, offset)?)?;
            offset = at(offset, size)?;
        }
    }
    Ok(dst)
}

/// Whether every bit pattern of `ty` in memory lifts and lowers to itself (so a block copy
/// is the adapter). Floats qualify: NaN canonicalisation is optional in the spec.
fn plain_bytes(ty: &Type) -> bool {
    match ty {
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64
        | Type::Float32
        | Type::Float64 => true,
        Type::Tuple(tuple) => tuple.elements().iter().all(plain_bytes) && no_padding(ty),
        Type::Record(record) => record.fields().all(|f| plain_bytes(&f.ty)) && no_padding(ty),
        _ => false,
    }
}

/// Whether a record or tuple's fields cover its size with no padding bytes between or after
/// them.
fn no_padding(ty: &Type) -> bool {
    let fields: Vec<&Type> = match ty {
        Type::Tuple(tuple) => tuple.elements().iter().collect(),
        Type::Record(record) => record.field_types().iter().map(|(_, t)| t).collect(),
        _ => return false,
    };
    let sum: u32 = fields.iter().map(|t| elem_size(t)).sum();
    sum == elem_size(ty)
}

/// Copies the value of type `ty` at `src` in the source's memory to `dst` in the
/// destination's (both already checked for alignment and bounds by the caller's layout).
pub(crate) fn mem_to_mem<T>(
    store: &mut Store<T>,
    sides: &Sides,
    ty: &Type,
    src: u32,
    dst: u32,
) -> Result<()> {
    match ty {
        Type::S32 | Type::U32 | Type::Float32 => {
            let bytes = read::<T, 4>(store, sides.src, src)?;
            write(store, sides.dst, dst, &bytes)
        }
        Type::S64 | Type::U64 | Type::Float64 => {
            let bytes = read::<T, 8>(store, sides.src, src)?;
            write(store, sides.dst, dst, &bytes)
        }
        Type::Bool | Type::S8 | Type::U8 => {
            let [byte] = read::<T, 1>(store, sides.src, src)?;
            let value = normalize(ty, u32::from(byte))?;
            write(store, sides.dst, dst, &[value as u8])
        }
        Type::S16 | Type::U16 => {
            let bytes = read::<T, 2>(store, sides.src, src)?;
            write(store, sides.dst, dst, &bytes)
        }
        Type::Char => {
            let value = u32_at(store, sides.src, src)?;
            let value = normalize(ty, value)?;
            write(store, sides.dst, dst, &value.to_le_bytes())
        }
        Type::Enum(names) => {
            let size = discriminant_type(names.len()).size();
            let value = match size {
                1 => u32::from(read::<T, 1>(store, sides.src, src)?[0]),
                2 => u32::from(u16::from_le_bytes(read::<T, 2>(store, sides.src, src)?)),
                _ => u32_at(store, sides.src, src)?,
            };
            let value = normalize(ty, value)?;
            let bytes = value.to_le_bytes();
            write(
                store,
                sides.dst,
                dst,
                bytes.get(..size as usize).unwrap_or(&bytes),
            )
        }
        Type::String => {
            let ptr = u32_at(store, sides.src, src)?;
            let len = u32_at(store, sides.src, at(src, 4)?)?;
            let (ptr, len) = copy_string(store, sides, ptr, len)?;
            write(store, sides.dst, dst, &ptr.to_le_bytes())?;
            write(store, sides.dst, at(dst, 4)?, &len.to_le_bytes())
        }
        Type::List(list) => {
            let ptr = u32_at(store, sides.src, src)?;
            let len = u32_at(store, sides.src, at(src, 4)?)?;
            let ptr = copy_list(store, sides, list.element(), ptr, len)?;
            write(store, sides.dst, dst, &ptr.to_le_bytes())?;
            write(store, sides.dst, at(dst, 4)?, &len.to_le_bytes())
        }
        Type::Record(record) => fields_to_mem(
            store,
            sides,
            record.field_types().iter().map(|(_, t)| t),
            src,
            dst,
        ),
        Type::Tuple(tuple) => fields_to_mem(store, sides, tuple.elements().iter(), src, dst),
        Type::Flags(flags) => {
            let size = abi::layout::elem_size_flags(flags);
            let mut remaining = flags.len();
            let mut offset = 0;
            while offset < size {
                let (word, width) = match size {
                    1 => (u32::from(read::<T, 1>(store, sides.src, src)?[0]), 1),
                    2 => (
                        u32::from(u16::from_le_bytes(read::<T, 2>(store, sides.src, src)?)),
                        2,
                    ),
                    _ => (u32_at(store, sides.src, at(src, offset)?)?, 4),
                };
                let bits = remaining.min(32);
                let mask = if bits == 32 {
                    u32::MAX
                } else {
                    (1u32 << bits) - 1
                };
                let bytes = (word & mask).to_le_bytes();
                write(
                    store,
                    sides.dst,
                    at(dst, offset)?,
                    bytes.get(..width).unwrap_or(&bytes),
                )?;
                remaining = remaining.saturating_sub(bits);
                offset = at(offset, width as u32)?;
            }
            Ok(())
        }
        Type::Own(rt) => {
            let index = u32_at(store, sides.src, src)?;
            let index = move_own(store, sides, rt, index)?;
            write(store, sides.dst, dst, &index.to_le_bytes())
        }
        Type::Borrow(rt) => {
            let index = u32_at(store, sides.src, src)?;
            let index = lend_borrow(store, sides, rt, index)?;
            write(store, sides.dst, dst, &index.to_le_bytes())
        }
        Type::Variant(_) | Type::Option(_) | Type::Result(_) => {
            let cases = Cases::of(ty).ok_or_else(|| internal("variant without cases"))?;
            let size = discriminant_type(cases.len()).size();
            let case = match size {
                1 => u32::from(read::<T, 1>(store, sides.src, src)?[0]),
                2 => u32::from(u16::from_le_bytes(read::<T, 2>(store, sides.src, src)?)),
                _ => u32_at(store, sides.src, src)?,
            };
            if case as usize >= cases.len() {
                return Err(TrapCode::InvalidDiscriminant.into());
            }
            let bytes = case.to_le_bytes();
            write(
                store,
                sides.dst,
                dst,
                bytes.get(..size as usize).unwrap_or(&bytes),
            )?;
            if let Some(payload) = cases.payload(case as usize) {
                let offset = payload_offset(ty);
                mem_to_mem(store, sides, payload, at(src, offset)?, at(dst, offset)?)?;
            }
            Ok(())
        }
    }
}

/// Copies a record or tuple laid out field by field.
pub(crate) fn fields_to_mem<'t, T>(
    store: &mut Store<T>,
    sides: &Sides,
    fields: impl IntoIterator<Item = &'t Type>,
    src: u32,
    dst: u32,
) -> Result<()> {
    let mut offset = 0u32;
    for ty in fields {
        offset = align_to(offset, alignment(ty));
        mem_to_mem(store, sides, ty, at(src, offset)?, at(dst, offset)?)?;
        offset = at(offset, elem_size(ty))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::component::{Component, Linker, Val};
    use crate::{Engine, Store};

    /// Calls `run` of a component made of a callee exporting `f` and a caller lowering it;
    /// returns the result and how many calls the adapter made.
    fn run_composed(ty: &str, callee_core: &str, arg: Val) -> crate::Result<(Val, u64)> {
        let wat = format!(
            r#"(component
              (component $callee
                (core module $m (memory (export "mem") 1)
                  (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 256)
                  {callee_core})
                (core instance $i (instantiate $m))
                (type $t {ty})
                (func (export "f") (type $t) (canon lift (core func $i "f")
                  (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))
              (instance $callee (instantiate $callee))
              (export "f" (func $callee "f")))"#
        );
        let engine = Engine::default();
        let component = Component::new(&engine, wat)?;
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine).instantiate(&mut store, &component)?;
        let f = instance
            .get_func(&store, "f")
            .ok_or_else(|| crate::Error::msg("no f"))?;
        let mut results = [Val::Bool(false)];
        f.call(&mut store, &[arg], &mut results)?;
        let [result] = results;
        Ok((result, store.inner.component.adapted_calls))
    }

    #[test]
    fn host_calls_do_not_use_the_adapter() -> crate::Result<()> {
        let (result, adapted) = run_composed(
            r#"(func (param "x" u32) (result u32))"#,
            r#"(func (export "f") (param i32) (result i32) local.get 0)"#,
            Val::U32(5),
        )?;
        assert_eq!(result, Val::U32(5));
        assert_eq!(adapted, 0);
        Ok(())
    }

    /// A memory and a bump `realloc` for a core module.
    const LIBC: &str = r#"(memory (export "mem") 1)
        (global $bump (mut i32) (i32.const 4096))
        (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
          (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                                 (i32.sub (i32.const 0) (local.get 2))))
          (global.set $bump (i32.add (local.get $r) (local.get 3)))
          (memory.copy (local.get $r) (local.get 0)
            (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))
          (local.get $r))"#;

    /// `f: func(x: ty) -> ty` echoed by a callee and forwarded by a caller through the
    /// adapter; `flat` is the number of i32 core parameters of `ty`, whose memory layout
    /// must be `flat` packed i32s (strings, lists, records of them).
    fn echo(ty: &str, flat: usize, callee_enc: &str, caller_enc: &str, arg: Val) -> (Val, u64) {
        let params = "i32 ".repeat(flat);
        let mut stores = String::new();
        let mut gets = String::new();
        for i in 0..flat {
            stores.push_str(&format!(
                "(i32.store (i32.const {}) (local.get {i}))",
                16 + 4 * i
            ));
            gets.push_str(&format!("(local.get {i})"));
        }
        let wat = format!(
            r#"(component
              (type $t (func (param "x" {ty}) (result {ty})))
              (component $callee
                (type $t (func (param "x" {ty}) (result {ty})))
                (core module $m {LIBC}
                  (func (export "f") (param {params}) (result i32) {stores} (i32.const 16)))
                (core instance $i (instantiate $m))
                (func (export "f") (type $t) (canon lift (core func $i "f")
                  (memory (core memory $i "mem")) (realloc (core func $i "realloc"))
                  string-encoding={callee_enc})))
              (instance $callee (instantiate $callee))
              (alias export $callee "f" (func $f))
              (core module $libc {LIBC})
              (core instance $libc (instantiate $libc))
              (core func $f (canon lower (func $f) (memory (core memory $libc "mem"))
                (realloc (core func $libc "realloc")) string-encoding={caller_enc}))
              (core module $m
                (import "dep" "f" (func $f (param {params} i32)))
                (func (export "run") (param {params}) (result i32)
                  (call $f {gets} (i32.const 512)) (i32.const 512)))
              (core instance $i (instantiate $m (with "dep" (instance (export "f" (func $f))))))
              (func (export "run") (type $t) (canon lift (core func $i "run")
                (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))
                string-encoding={caller_enc})))"#
        );
        let engine = Engine::default();
        let component = Component::new(&engine, &wat).unwrap_or_else(|e| panic!("{e}\n{wat}"));
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap_or_else(|e| panic!("{e}"));
        let run = instance
            .get_func(&store, "run")
            .unwrap_or_else(|| panic!("no run"));
        let mut results = [Val::Bool(false)];
        run.call(&mut store, &[arg], &mut results)
            .unwrap_or_else(|e| panic!("{ty}: {e}"));
        let [result] = results;
        (result, store.inner.component.adapted_calls)
    }

    fn s(text: &str) -> Val {
        Val::String(text.into())
    }

    #[test]
    fn strings_and_lists_cross_through_the_adapter() {
        let encodings = ["utf8", "utf16", "latin1+utf16"];
        for callee in encodings {
            for caller in encodings {
                for text in ["", "abc", "déjà vu", "日本😀"] {
                    let (result, adapted) = echo("string", 2, callee, caller, s(text));
                    assert_eq!(result, s(text), "{caller} -> {callee}");
                    assert_eq!(adapted, 1);
                }
            }
        }
        let triple =
            |a: u8, b: char, c: u64| Val::Tuple(vec![Val::U8(a), Val::Char(b), Val::U64(c)]);
        let cases = [
            (
                "(list (tuple u8 char u64))",
                2,
                Val::List(vec![triple(1, 'x', 1 << 40), triple(255, '😀', 7)]),
            ),
            (
                "(list (list string))",
                2,
                Val::List(vec![
                    Val::List(vec![s("a"), s("bé")]),
                    Val::List(vec![]),
                    Val::List(vec![s("日本")]),
                ]),
            ),
            (
                "(tuple string (list u16))",
                4,
                Val::Tuple(vec![s("hi"), Val::List(vec![Val::U16(1), Val::U16(65535)])]),
            ),
            (
                "(tuple u32 string)",
                3,
                Val::Tuple(vec![Val::U32(9), s("nine")]),
            ),
            (
                "(list (tuple bool s8 s16))",
                2,
                Val::List(vec![
                    Val::Tuple(vec![Val::Bool(true), Val::S8(-1), Val::S16(-300)]),
                    Val::Tuple(vec![Val::Bool(false), Val::S8(5), Val::S16(7)]),
                ]),
            ),
        ];
        for (ty, flat, value) in cases {
            let (result, adapted) = echo(ty, flat, "utf8", "utf16", value.clone());
            assert_eq!(result, value, "{ty}");
            assert_eq!(adapted, 1, "{ty}");
        }
    }

    #[test]
    fn variants_cross_through_the_adapter() {
        let some = |v: Val| Val::Option(Some(Box::new(v)));
        let cases = [
            ("(option string)", 3, some(s("x"))),
            ("(option string)", 3, Val::Option(None)),
            (
                "(result string (error u32))",
                3,
                Val::Result(Ok(Some(Box::new(s("fine"))))),
            ),
            (
                "(result string (error u32))",
                3,
                Val::Result(Err(Some(Box::new(Val::U32(7))))),
            ),
            (
                "(list (option (tuple u8 string)))",
                2,
                Val::List(vec![
                    some(Val::Tuple(vec![Val::U8(3), s("три")])),
                    Val::Option(None),
                ]),
            ),
        ];
        for (ty, flat, value) in cases {
            let (result, adapted) = echo(ty, flat, "utf16", "utf8", value.clone());
            assert_eq!(result, value, "{ty}");
            assert_eq!(adapted, 1, "{ty}");
        }
    }

    #[test]
    fn flat_variants_with_joined_payloads() {
        // `result<f32, u64>` flattens to (i32, i64): an f32 payload travels in an i64 slot.
        let (result, adapted) = flat_echo(
            "(result f32 (error u64))",
            "i32 i64",
            Val::Result(Ok(Some(Box::new(Val::Float32(1.5))))),
        );
        assert_eq!(result, Val::Result(Ok(Some(Box::new(Val::Float32(1.5))))));
        assert_eq!(adapted, 1);
        let (result, _) = flat_echo(
            "(result f32 (error u64))",
            "i32 i64",
            Val::Result(Err(Some(Box::new(Val::U64(u64::MAX))))),
        );
        assert_eq!(result, Val::Result(Err(Some(Box::new(Val::U64(u64::MAX))))));
    }

    /// Like `echo` but for a parameter passed flat whose result comes back in memory: the
    /// callee stores the flat core values `core` (i32 or i64) one after another, 8-byte
    /// aligned, which matches the layout of two-slot variants.
    fn flat_echo(ty: &str, core: &str, arg: Val) -> (Val, u64) {
        let kinds: Vec<&str> = core.split(' ').collect();
        let mut stores = String::new();
        let mut gets = String::new();
        for (i, kind) in kinds.iter().enumerate() {
            stores.push_str(&format!(
                "({kind}.store (i32.const {}) (local.get {i}))",
                16 + 8 * i
            ));
            gets.push_str(&format!("(local.get {i})"));
        }
        let wat = format!(
            r#"(component
              (type $t (func (param "x" {ty}) (result {ty})))
              (component $callee
                (type $t (func (param "x" {ty}) (result {ty})))
                (core module $m {LIBC}
                  (func (export "f") (param {core}) (result i32) {stores} (i32.const 16)))
                (core instance $i (instantiate $m))
                (func (export "f") (type $t) (canon lift (core func $i "f")
                  (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))
              (instance $callee (instantiate $callee))
              (alias export $callee "f" (func $f))
              (core module $libc {LIBC})
              (core instance $libc (instantiate $libc))
              (core func $f (canon lower (func $f) (memory (core memory $libc "mem"))
                (realloc (core func $libc "realloc"))))
              (core module $m
                (import "dep" "f" (func $f (param {core} i32)))
                (func (export "run") (param {core}) (result i32)
                  (call $f {gets} (i32.const 512)) (i32.const 512)))
              (core instance $i (instantiate $m (with "dep" (instance (export "f" (func $f))))))
              (func (export "run") (type $t) (canon lift (core func $i "run")
                (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#
        );
        let engine = Engine::default();
        let component = Component::new(&engine, &wat).unwrap_or_else(|e| panic!("{e}\n{wat}"));
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap_or_else(|e| panic!("{e}"));
        let run = instance
            .get_func(&store, "run")
            .unwrap_or_else(|| panic!("no run"));
        let mut results = [Val::Bool(false)];
        run.call(&mut store, &[arg], &mut results)
            .unwrap_or_else(|e| panic!("{ty}: {e}"));
        let [result] = results;
        (result, store.inner.component.adapted_calls)
    }

    #[test]
    fn spilled_arguments_cross_through_the_adapter() {
        let params: String = (0..17).map(|i| format!("(param \"a{i}\" u32) ")).collect();
        let loads: String = (0..17)
            .map(|i| format!("(i32.load offset={} (local.get 0)) ", 4 * i))
            .collect();
        let adds = "i32.add ".repeat(16);
        let wat = format!(
            r#"(component
              (type $t (func {params} (result u32)))
              (component $callee
                (type $t (func {params} (result u32)))
                (core module $m {LIBC}
                  (func (export "f") (param i32) (result i32) {loads} {adds}))
                (core instance $i (instantiate $m))
                (func (export "f") (type $t) (canon lift (core func $i "f")
                  (memory (core memory $i "mem")) (realloc (core func $i "realloc")))))
              (instance $callee (instantiate $callee))
              (alias export $callee "f" (func $f))
              (core module $libc {LIBC})
              (core instance $libc (instantiate $libc))
              (core func $f (canon lower (func $f) (memory (core memory $libc "mem"))
                (realloc (core func $libc "realloc"))))
              (core module $m
                (import "dep" "f" (func $f (param i32) (result i32)))
                (func (export "run") (param i32) (result i32) (call $f (local.get 0))))
              (core instance $i (instantiate $m (with "dep" (instance (export "f" (func $f))))))
              (func (export "run") (type $t) (canon lift (core func $i "run")
                (memory (core memory $libc "mem")) (realloc (core func $libc "realloc")))))"#
        );
        let engine = Engine::default();
        let component = Component::new(&engine, &wat).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap_or_else(|e| panic!("{e}"));
        let run = instance
            .get_func(&store, "run")
            .unwrap_or_else(|| panic!("no run"));
        let args: Vec<Val> = (1..=17).map(Val::U32).collect();
        let mut results = [Val::U32(0)];
        run.call(&mut store, &args, &mut results)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(results[0], Val::U32((1..=17).sum()));
        assert_eq!(store.inner.component.adapted_calls, 1);
    }
}
