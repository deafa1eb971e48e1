//! Hostile components: small binaries whose instantiation would take the host down.

use weft::ErrorExt as _;
use weft::component::{Component, Linker};
use weft::{Engine, ErrorKind, Store};

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![crate::trial(
        "component::exponential_nested_instantiation_is_refused",
        exponential_nested_instantiation_is_refused,
    )]
}

/// Eight levels of components, each instantiating the one inside it ten times: 10^8 core
/// instances from a few hundred bytes. Instantiation stops with an error after its budget.
fn exponential_nested_instantiation_is_refused() {
    let mut wat = String::from(
        "(component $l0 (core module $m (memory 1)) (core instance (instantiate $m)))",
    );
    for level in 1..=8 {
        let inner = level - 1;
        let instances = format!("(instance (instantiate $l{inner}))").repeat(10);
        wat = format!("(component $l{level} {wat} {instances})");
    }
    let engine = Engine::default();
    let component = Component::new(&engine, &wat).expect("component");
    let mut store = Store::new(&engine, ());
    let start = std::time::Instant::now();
    let err = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect_err("instantiation must be refused");
    assert!(
        matches!(err.kind(), Some(ErrorKind::ResourceExhausted(_))),
        "{err:?}"
    );
    assert!(err.to_string().contains("core instances"), "{err}");
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
}
