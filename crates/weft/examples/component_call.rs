//! The cost of calls into and between components.
//!
//! Prints the median time per call, over several runs, of:
//!
//! - a core `TypedFunc` call of `add(i32, i32)`, for reference;
//! - a component `Func::call` of the same function lifted as `add(u32, u32) -> u32`;
//! - a component call of `echo(string) -> string` with a 32-byte string (lower, realloc,
//!   lift, post-return);
//! - a component call whose callee forwards the string to another component through the fused
//!   adapter (utf8 caller, utf16 callee: two transcodings per direction).
//!
//! ```sh
//! cargo run --release -p weft --example component_call -- [CALLS]
//! ```

use std::time::Instant;
use weft::component::{Component, Linker, Val};
use weft::{Engine, Instance, Module, Store};

const LIBC: &str = r#"(core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (if (i32.gt_u (global.get $bump) (i32.const 60000))
        (then (global.set $bump (i32.const 1024))))
      (local.get $r)))
  (core instance $libc (instantiate $libc))"#;

const OPTS: &str = r#"(memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))"#;

fn echo(encoding: &str) -> String {
    format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (func (export "echo") (param i32 i32) (result i32)
              (i32.store (i32.const 16) (local.get 0))
              (i32.store (i32.const 20) (local.get 1))
              (i32.const 16)))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (func (export "echo") (param "s" string) (result string)
            (canon lift (core func $i "echo") {OPTS} string-encoding={encoding})))"#
    )
}

fn composed() -> String {
    let inner = echo("utf16");
    let inner = inner
        .trim()
        .strip_prefix("(component")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_default();
    format!(
        r#"(component
          (component $callee {inner})
          (instance $callee (instantiate $callee))
          (alias export $callee "echo" (func $echo))
          {LIBC}
          (core func $echo (canon lower (func $echo) {OPTS}))
          (core module $m
            (import "libc" "mem" (memory 1))
            (import "dep" "echo" (func $echo (param i32 i32 i32)))
            (func (export "echo") (param i32 i32) (result i32)
              (call $echo (local.get 0) (local.get 1) (i32.const 32))
              (i32.const 32)))
          (core instance $i (instantiate $m
            (with "libc" (instance $libc))
            (with "dep" (instance (export "echo" (func $echo))))))
          (func (export "echo") (param "s" string) (result string)
            (canon lift (core func $i "echo") {OPTS})))"#
    )
}

/// The median over 5 runs of the time per call, in nanoseconds.
fn median_ns(calls: u32, mut run: impl FnMut() -> weft::Result<()>) -> weft::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..calls {
            run()?;
        }
        times.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(calls));
    }
    times.sort_by(f64::total_cmp);
    Ok(times.get(2).copied().unwrap_or(f64::NAN))
}

fn main() -> weft::Result<()> {
    let calls: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let engine = Engine::default();

    let module = Module::new(
        &engine,
        r#"(module (func (export "add") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.add))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let add = instance.get_typed_func::<(i32, i32), i32>(&mut store, "add")?;
    let core = median_ns(calls, || add.call(&mut store, (1, 2)).map(drop))?;

    let component = Component::new(
        &engine,
        r#"(component
          (core module $m (func (export "add") (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.add))
          (core instance $i (instantiate $m))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32)
            (canon lift (core func $i "add"))))"#,
    )?;
    let linker = Linker::<()>::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component)?;
    let func = instance
        .get_func(&store, "add")
        .ok_or_else(|| weft::Error::msg("no add"))?;
    let mut results = [Val::U32(0)];
    let lifted = median_ns(calls, || {
        func.call(&mut store, &[Val::U32(1), Val::U32(2)], &mut results)
    })?;

    let text = Val::String("the quick brown fox jumps over t".into());
    let string_call = |wat: String| -> weft::Result<f64> {
        let component = Component::new(&engine, wat)?;
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &component)?;
        let func = instance
            .get_func(&store, "echo")
            .ok_or_else(|| weft::Error::msg("no echo"))?;
        let mut results = [Val::Bool(false)];
        let params = [text.clone()];
        median_ns(calls, || func.call(&mut store, &params, &mut results))
    };
    let echo_ns = string_call(echo("utf8"))?;
    let adapted_ns = string_call(composed())?;

    println!("calls per run: {calls}, median of 5 runs, ns per call");
    println!("core TypedFunc add(i32, i32)          {core:8.1}");
    println!("component Func::call add(u32, u32)    {lifted:8.1}");
    println!("component echo(string), 32 bytes      {echo_ns:8.1}");
    println!("  ... forwarded through the adapter   {adapted_ns:8.1}");
    Ok(())
}
