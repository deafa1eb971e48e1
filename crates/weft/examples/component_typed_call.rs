//! The cost of typed component calls against `Val` calls.
//!
//! Prints the median time per call, over five runs, of `add(u32, u32) -> u32` and
//! `echo(string) -> string` (32 bytes) called with `Func::call` and `Val`s and with a
//! `TypedFunc`, and of a host function `double(u32) -> u32` defined with `func_new` and with
//! `func_wrap`, called from a component export.
//!
//! ```sh
//! cargo run --release -p weft --example component_typed_call -- [CALLS]
//! ```

use std::time::Instant;
use weft::component::{Component, Linker, Val};
use weft::{Engine, Store};

const COMPONENT: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (core func $double (canon lower (func $double)))
  (core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (if (i32.gt_u (global.get $bump) (i32.const 60000))
        (then (global.set $bump (i32.const 1024))))
      (local.get $r)))
  (core instance $libc (instantiate $libc))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "double" (func $double (param i32) (result i32)))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "twice") (param i32) (result i32) local.get 0 call $double)
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16)))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance (export "double" (func $double))))))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "twice") (param "x" u32) (result u32)
    (canon lift (core func $i "twice")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory (core memory $libc "mem"))
      (realloc (core func $libc "realloc")))))"#;

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
    let component = Component::new(&engine, COMPONENT)?;

    let mut untyped = Linker::<()>::new(&engine);
    untyped.root().func_new("double", |_, _, params, results| {
        if let ([Val::U32(x)], [slot]) = (params, results) {
            *slot = Val::U32(x.wrapping_mul(2));
        }
        Ok(())
    })?;
    let mut store = Store::new(&engine, ());
    let instance = untyped.instantiate(&mut store, &component)?;
    let get = |name: &str, store: &Store<()>| {
        instance
            .get_func(store, name)
            .ok_or_else(|| weft::Error::msg(format!("no {name}")))
    };
    let (add, echo, twice) = (
        get("add", &store)?,
        get("echo", &store)?,
        get("twice", &store)?,
    );
    let mut results = [Val::U32(0)];
    let add_val = median_ns(calls, || {
        add.call(&mut store, &[Val::U32(1), Val::U32(2)], &mut results)
    })?;
    let text = [Val::String("the quick brown fox jumps over t".into())];
    let echo_val = median_ns(calls, || echo.call(&mut store, &text, &mut results))?;
    let host_val = median_ns(calls, || {
        twice.call(&mut store, &[Val::U32(4)], &mut results)
    })?;
    let add = add.typed::<(u32, u32), (u32,)>(&store)?;
    let add_typed = median_ns(calls, || add.call(&mut store, (1, 2)).map(drop))?;
    let echo = echo.typed::<(&str,), (String,)>(&store)?;
    let echo_typed = median_ns(calls, || {
        echo.call(&mut store, ("the quick brown fox jumps over t",))
            .map(drop)
    })?;

    let mut typed = Linker::<()>::new(&engine);
    typed
        .root()
        .func_wrap("double", |_, (x,): (u32,)| Ok((x.wrapping_mul(2),)))?;
    let mut store = Store::new(&engine, ());
    let instance = typed.instantiate(&mut store, &component)?;
    let twice = instance.get_typed_func::<(u32,), (u32,)>(&mut store, "twice")?;
    let host_typed = median_ns(calls, || twice.call(&mut store, (4,)).map(drop))?;

    println!("calls per run: {calls}, median of 5 runs, ns per call");
    println!("                                   Val    typed");
    println!("add(u32, u32) -> u32           {add_val:8.1} {add_typed:8.1}");
    println!("echo(string) -> string, 32 B   {echo_val:8.1} {echo_typed:8.1}");
    println!("host double via func_new/wrap  {host_val:8.1} {host_typed:8.1}");
    Ok(())
}
