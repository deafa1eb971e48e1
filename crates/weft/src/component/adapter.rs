//! Fused adapters: a call from one component instance into another without [`Val`]s.
//!
//! # Design
//!
//! When a component lowers a function that another component lifted, the spec composes
//! `canon_lower` in the caller with `canon_lift` in the callee. The Canonical ABI's
//! [`transfer_flat_values`](super::abi::transfer_flat_values) does each lift-then-lower pair
//! in one walk over the type, from one instance's cells and memory straight into the other's
//! (strings transcoded between any two encodings, handles moved between the two handle
//! tables). This module is the runtime's side of it: [`Transfer`] is the
//! [`TransferContext`] over the two instances, both of which live in the store, and
//! `func.rs` brackets the call with the callee's `may_enter`, task and `post-return`, as for a
//! call from the host.
//!
//! [`Val`]: super::Val

use super::abi::{StringEncoding, TransferContext};
use super::func::{Cx, Options};
use super::resources::HandleTable;
use super::types::ResourceType;
use crate::error::Result;
use crate::index::ComponentInstanceIdx;
use crate::store::Store;

/// The two sides of an adapted call: where values come from and where they go.
pub(crate) struct Sides {
    pub(crate) src: Side,
    pub(crate) dst: Side,
}

impl Sides {
    /// The same two instances the other way round (for results).
    pub(crate) fn reversed(&self) -> Sides {
        Sides {
            src: self.dst,
            dst: self.src,
        }
    }
}

/// One instance and its canonical options.
#[derive(Clone, Copy)]
pub(crate) struct Side {
    pub(crate) options: Options,
    pub(crate) instance: ComponentInstanceIdx,
}

/// Both instances of an adapted call, seen through the store.
pub(crate) struct Transfer<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) sides: &'a Sides,
}

impl<T> Transfer<'_, T> {
    fn side(&mut self, side: Side) -> Cx<'_, T> {
        Cx {
            store: &mut *self.store,
            options: side.options,
            instance: side.instance,
        }
    }

    fn memory(&self, side: Side) -> &[u8] {
        side.options
            .memory
            .and_then(|m| self.store.inner.memories.get(m.index))
            .map_or(&[], |m| &m.data[..])
    }

    fn handles(&mut self, side: Side) -> &mut HandleTable {
        let cs = &mut self.store.inner.component;
        match cs.instances.get_mut(side.instance) {
            Some(state) => &mut state.handles,
            None => &mut cs.spare_handles,
        }
    }
}

impl<T> TransferContext for Transfer<'_, T> {
    fn src_memory(&self) -> &[u8] {
        self.memory(self.sides.src)
    }

    fn src_encoding(&self) -> StringEncoding {
        self.sides.src.options.encoding
    }

    fn src_handles(&mut self) -> &mut HandleTable {
        self.handles(self.sides.src)
    }

    fn dst_memory(&self) -> &[u8] {
        self.memory(self.sides.dst)
    }

    fn dst_memory_mut(&mut self) -> &mut [u8] {
        let side = self.sides.dst;
        match side
            .options
            .memory
            .and_then(|m| self.store.inner.memories.get_mut(m.index))
        {
            Some(m) => &mut m.data[..],
            None => &mut [],
        }
    }

    fn dst_encoding(&self) -> StringEncoding {
        self.sides.dst.options.encoding
    }

    fn dst_handles(&mut self) -> &mut HandleTable {
        self.handles(self.sides.dst)
    }

    fn dst_implements(&self, ty: &ResourceType) -> bool {
        self.store.inner.component.owners.get(ty) == Some(&self.sides.dst.instance)
    }

    fn dst_realloc(
        &mut self,
        old_ptr: u32,
        old_size: u32,
        align: u32,
        new_size: u32,
    ) -> Result<u32> {
        use super::abi::LowerContext;
        let side = self.sides.dst;
        self.side(side).realloc(old_ptr, old_size, align, new_size)
    }
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
