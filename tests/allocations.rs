//! Heap allocations on the call paths that promise none: a typed component call of
//! primitives (`TypedFunc::call`), and a typed host function of primitives (`func_wrap`) called
//! from one, allocate nothing after their first call.

use weft::component::{Component, Linker, TypedFunc};
use weft::{Engine, Store};

const COMPONENT: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (core func $double (canon lower (func $double)))
  (core module $m
    (import "host" "double" (func $double (param i32) (result i32)))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "twice") (param i32) (result i32) local.get 0 call $double))
  (core instance $i (instantiate $m
    (with "host" (instance (export "double" (func $double))))))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "twice") (param "x" u32) (result u32)
    (canon lift (core func $i "twice"))))"#;

#[test]
fn typed_calls_of_primitives_allocate_nothing() -> weft::Result<()> {
    let engine = Engine::default();
    let component = Component::new(&engine, COMPONENT)?;
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("double", |_, (x,): (u32,)| Ok((x.wrapping_mul(2),)))?;
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component)?;
    let add: TypedFunc<(u32, u32), (u32,)> = instance.get_typed_func(&mut store, "add")?;
    let twice: TypedFunc<(u32,), (u32,)> = instance.get_typed_func(&mut store, "twice")?;
    // `TypedFunc` is `Copy`: both copies call the same function.
    let add_copy = add;
    assert_eq!(add_copy.call(&mut store, (1, 2))?, (3,));
    assert_eq!(twice.call(&mut store, (21,))?, (42,));

    let mut sum = Ok(0u32);
    let made = allocation_counter::measure(|| {
        sum = (0..1000).try_fold(0u32, |sum, i| {
            let (a,) = add.call(&mut store, (i, 1))?;
            let (b,) = twice.call(&mut store, (i,))?;
            Ok::<_, weft::Error>(sum.wrapping_add(a).wrapping_add(b))
        });
    })
    .count_total;
    let sum = sum?;
    assert_eq!(sum, (0..1000u32).map(|i| i + 1 + 2 * i).sum::<u32>());
    assert_eq!(made, 0, "typed calls allocated {made} times in 2,000 calls");
    Ok(())
}
