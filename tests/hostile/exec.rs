//! Hostile inputs for the exec defects: recursion through host functions that outruns the
//! host's stack, and wasm recursion under a stack limit larger than the address space.

use weft::ErrorExt as _;
use weft::{Caller, Config, Engine, Extern, Linker, Module, Store, TrapCode, TypedFunc};

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "exec::reentrance_calling_a_second_store_at_every_level_traps",
            reentrance_calling_a_second_store_at_every_level_traps,
        ),
        crate::trial(
            "exec::reentrance_through_a_new_store_at_every_level_traps",
            reentrance_through_a_new_store_at_every_level_traps,
        ),
        crate::trial(
            "exec::reentrance_on_a_small_thread_stack_traps",
            reentrance_on_a_small_thread_stack_traps,
        ),
        crate::trial(
            "exec::runaway_recursion_under_the_largest_max_wasm_stack_traps",
            runaway_recursion_under_the_largest_max_wasm_stack_traps,
        ),
    ]
}

/// A module whose export `f` calls the host function `host.reenter`.
const REENTER: &str = r#"(module
    (import "host" "reenter" (func $reenter))
    (func (export "f") call $reenter)
    (func (export "nop")))"#;

/// Runs `test` on a thread with a stack of `bytes`, so that an overflow of the host stack
/// shows as the same crash in every build (and not only where the test thread is small).
fn on_thread_with_stack(bytes: usize, test: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(test)
        .expect("spawns")
        .join()
        .expect("the test thread ends without a panic");
}

/// The export `name` of `instance` in `store`, typed `() -> ()`.
fn export<T>(store: &mut Store<T>, instance: weft::Instance, name: &str) -> TypedFunc<(), ()> {
    instance
        .get_typed_func::<(), ()>(store, name)
        .expect("export")
}

/// Store A's host function calls into store B at every level of an A→host→A recursion. The
/// host-stack guard used to restart its count whenever a store was entered at its outermost
/// level, so B's calls made the guard forget the levels of A below them and A recursed until
/// the host stack overflowed (an abort), after 1000 levels of several KiB in a debug build.
fn reentrance_calling_a_second_store_at_every_level_traps() {
    struct Second {
        store: Store<()>,
        nop: TypedFunc<(), ()>,
    }
    on_thread_with_stack(2 << 20, || {
        let engine = Engine::default();
        let module = Module::new(&engine, REENTER).expect("compiles");
        let mut second = Store::new(&engine, ());
        let second_instance = Linker::new(&engine)
            .func_wrap("host", "reenter", |_: Caller<'_, ()>| {})
            .expect("defines")
            .instantiate(&mut second, &module)
            .expect("instantiates");
        let nop = export(&mut second, second_instance, "nop");
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                "host",
                "reenter",
                |mut caller: Caller<'_, Second>| -> weft::Result<()> {
                    let second = caller.data_mut();
                    second.nop.call(&mut second.store, ())?;
                    let f = caller
                        .get_export("f")
                        .and_then(Extern::into_func)
                        .expect("export f");
                    f.typed::<(), ()>(&caller)?.call(&mut caller, ())
                },
            )
            .expect("defines");
        let mut store = Store::new(&engine, Second { store: second, nop });
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("instantiates");
        let f = export(&mut store, instance, "f");
        let error = f.call(&mut store, ()).expect_err("overflows");
        assert_eq!(
            error.trap_code(),
            Some(TrapCode::StackOverflow),
            "{error:?}"
        );
        // Both stores are usable afterwards.
        export(&mut store, instance, "nop")
            .call(&mut store, ())
            .expect("runs");
        let second = store.data_mut();
        second.nop.call(&mut second.store, ()).expect("runs");
    });
}

/// Every level of the recursion enters a new store at its outermost level, so that no
/// store's own nesting count grows: only the host-stack guard can stop it.
fn reentrance_through_a_new_store_at_every_level_traps() {
    /// Calls `f` in a new store whose `host.reenter` calls `nest` again.
    fn nest(module: &Module) -> weft::Result<()> {
        let mut linker = Linker::new(module.engine());
        linker.func_wrap(
            "host",
            "reenter",
            |caller: Caller<'_, Module>| -> weft::Result<()> { nest(caller.data()) },
        )?;
        let mut store = Store::new(module.engine(), module.clone());
        let instance = linker.instantiate(&mut store, module)?;
        export(&mut store, instance, "f").call(&mut store, ())
    }
    on_thread_with_stack(2 << 20, || {
        let engine = Engine::default();
        let module = Module::new(&engine, REENTER).expect("compiles");
        let error = nest(&module).expect_err("overflows");
        assert_eq!(
            error.trap_code(),
            Some(TrapCode::StackOverflow),
            "{error:?}"
        );
    });
}

/// Host→wasm re-entrance on a thread whose whole stack is smaller than the 1 MiB that the
/// re-entrance of one thread may use: the host stack that is really left stops it.
fn reentrance_on_a_small_thread_stack_traps() {
    on_thread_with_stack(256 << 10, || {
        let engine = Engine::default();
        let module = Module::new(&engine, REENTER).expect("compiles");
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap(
                "host",
                "reenter",
                |mut caller: Caller<'_, ()>| -> weft::Result<()> {
                    let f = caller
                        .get_export("f")
                        .and_then(Extern::into_func)
                        .expect("export f");
                    f.call(&mut caller, &[], &mut [])
                },
            )
            .expect("defines");
        let mut store = Store::new(&engine, ());
        let instance = linker
            .instantiate(&mut store, &module)
            .expect("instantiates");
        let f = export(&mut store, instance, "f");
        let error = f.call(&mut store, ()).expect_err("overflows");
        assert_eq!(
            error.trap_code(),
            Some(TrapCode::StackOverflow),
            "{error:?}"
        );
        export(&mut store, instance, "nop")
            .call(&mut store, ())
            .expect("runs");
    });
}

/// With no usable stack limit, runaway recursion used to grow the value and frame stacks
/// until an allocation failed, which aborts the process. Both a recursion of small frames
/// (the frame stack grows fastest) and one of large frames (the value stack does) trap.
fn runaway_recursion_under_the_largest_max_wasm_stack_traps() {
    let mut config = Config::new();
    config.max_wasm_stack(usize::MAX);
    // Clamped to the largest limit Weft accepts.
    assert_eq!(config, Config::new().max_wasm_stack(256 << 20).clone());
    let engine = Engine::new(&config).expect("engine");
    let locals = "(local i64)".repeat(4096);
    for wat in [
        r#"(module (func $f (export "f") call $f))"#.to_string(),
        format!(r#"(module (func $f (export "f") {locals} call $f))"#),
    ] {
        let module = Module::new(&engine, &wat).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = weft::Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = export(&mut store, instance, "f");
        let error = f.call(&mut store, ()).expect_err("overflows");
        assert_eq!(
            error.trap_code(),
            Some(TrapCode::StackOverflow),
            "{error:?}"
        );
    }
}
