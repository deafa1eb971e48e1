//! Looking up a component instance's exports by `ComponentExportIndex`.

use weft::component::{Component, Linker};
use weft::{Engine, Store};

/// A component exporting `top: func() -> u32` (returns 1) and an instance `api` with
/// `get: func() -> u32` (returns 2).
const COMPONENT: &str = r#"(component
    (core module $m
        (func (export "one") (result i32) i32.const 1)
        (func (export "two") (result i32) i32.const 2))
    (core instance $i (instantiate $m))
    (func $top (result u32) (canon lift (core func $i "one")))
    (func $get (result u32) (canon lift (core func $i "two")))
    (instance $api (export "get" (func $get)))
    (export "top" (func $top))
    (export "api" (instance $api))
)"#;

#[test]
fn export_indices_find_top_level_and_nested_functions() {
    let engine = Engine::default();
    let component = Component::new(&engine, COMPONENT).expect("component");
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instance");

    let top = instance.get_export_index(&store, None, "top").expect("top");
    let api = instance.get_export_index(&store, None, "api").expect("api");
    let get = instance
        .get_export_index(&store, Some(&api), "get")
        .expect("api's get");
    assert!(instance.get_export_index(&store, None, "nope").is_none());
    assert!(
        instance
            .get_export_index(&store, Some(&api), "top")
            .is_none()
    );
    assert!(instance.get_export_index(&store, Some(&top), "x").is_none());

    let f = instance
        .get_typed_func::<(), (u32,)>(&mut store, top)
        .expect("typed top");
    assert_eq!(f.call(&mut store, ()).expect("call"), (1,));
    let g = instance
        .get_typed_func::<(), (u32,)>(&mut store, &get)
        .expect("typed get");
    assert_eq!(g.call(&mut store, ()).expect("call"), (2,));
    // An index of an instance is not a function.
    assert!(instance.get_func(&store, api).is_none());
    // The index serves another instance of the same component.
    let mut other_store = Store::new(&engine, ());
    let other = linker
        .instantiate(&mut other_store, &component)
        .expect("instance");
    assert!(other.get_func(&other_store, get).is_some());
    // Names still work, with `instance#func` for nested exports.
    assert!(instance.get_func(&store, "api#get").is_some());
    assert!(instance.get_func(&store, String::from("top")).is_some());
}
