//! The tail-call proposal through the API: `return_call`, `return_call_indirect` and (with
//! typed function references) `return_call_ref` replace the caller's frame (deep mutual recursion in constant wasm and host stack), to wasm
//! functions of the same or another instance and to host functions; traps, fuel, epochs,
//! backtraces, the switch and precompiled modules.

use std::time::{Duration, Instant};
use weft::ErrorExt as _;
use weft::{
    Caller, CompilationMode, Config, Engine, Extern, Instance, Linker, Module, Ref, Store,
    TrapCode, WasmBacktrace,
};

/// `f` and `g` tail-call each other, counting `n` down to 0 and summing it into `acc`; `g`
/// has a larger frame than `f` (more locals), so each call resizes the frame in place.
const MUTUAL: &str = r#"(module
    (func $f (export "f") (param $n i64) (param $acc i64) (result i64)
        (if (result i64) (i64.eqz (local.get $n))
            (then (local.get $acc))
            (else (return_call $g
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (local.get $n))))))
    (func $g (param $n i64) (param $acc i64) (result i64) (local i64 i64 i64 i64)
        (local.set 2 (local.get $n))
        (if (result i64) (i64.eqz (local.get 2))
            (then (local.get $acc))
            (else (return_call $f
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (local.get $n)))))))"#;

/// The host stack the deep recursions run on: far less than a million host frames, or
/// even a thousand.
const SMALL_HOST_STACK: usize = 256 * 1024;

fn engine(configure: impl FnOnce(&mut Config)) -> Engine {
    let mut config = Config::new();
    configure(&mut config);
    Engine::new(&config).expect("engine")
}

/// Runs `f` on a thread with a [`SMALL_HOST_STACK`].
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(SMALL_HOST_STACK)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("the thread did not panic")
}

fn sum_to(n: i64) -> i64 {
    n * (n + 1) / 2
}

#[test]
fn a_million_mutual_tail_calls_run_in_constant_stack() {
    // 16 KiB of wasm stack holds a few hundred frames: a million only fit if each tail
    // call reuses its caller's frame.
    let engine = engine(|c| {
        c.max_wasm_stack(16 * 1024);
    });
    let module = Module::new(&engine, MUTUAL).expect("compiles");
    let result = on_small_stack(move || {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = instance
            .get_typed_func::<(i64, i64), i64>(&mut store, "f")
            .expect("f");
        f.call(&mut store, (1_000_000, 0))
    });
    assert_eq!(result.expect("runs"), sum_to(1_000_000));
}

/// [`MUTUAL`] with `return_call_ref`s to references of `$f` and `$g`.
const MUTUAL_REF: &str = r#"(module
    (type $t (func (param i64 i64) (result i64)))
    (elem declare func $f $g)
    (func $f (export "f") (type $t)
        (if (result i64) (i64.eqz (local.get 0))
            (then (local.get 1))
            (else (return_call_ref $t
                (i64.sub (local.get 0) (i64.const 1))
                (i64.add (local.get 1) (local.get 0))
                (ref.func $g)))))
    (func $g (type $t) (local i64 i64 i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (local.get 1))
            (else (return_call_ref $t
                (i64.sub (local.get 0) (i64.const 1))
                (i64.add (local.get 1) (local.get 0))
                (ref.func $f)))))
    (func (export "run") (param i64) (result i64)
        (return_call_ref $t (local.get 0) (i64.const 0) (ref.func $f)))
    (func (export "null") (result i64)
        (return_call_ref $t (i64.const 1) (i64.const 0) (ref.null $t))))"#;

#[test]
fn a_million_return_call_refs_run_in_constant_stack() {
    let engine = engine(|c| {
        c.max_wasm_stack(16 * 1024).wasm_function_references(true);
    });
    let module = Module::new(&engine, MUTUAL_REF).expect("compiles");
    let (result, null) = on_small_stack(move || {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let run = instance
            .get_typed_func::<i64, i64>(&mut store, "run")
            .expect("run");
        let null = instance
            .get_typed_func::<(), i64>(&mut store, "null")
            .expect("null");
        (
            run.call(&mut store, 1_000_000),
            null.call(&mut store, ()).map_err(|e| e.trap_code()),
        )
    });
    assert_eq!(result.expect("runs"), sum_to(1_000_000));
    let null = null.expect_err("a null reference traps");
    assert_eq!(null, Some(TrapCode::NullFunctionReference));
}

#[test]
fn precompiled_return_call_refs_run() {
    let engine = engine(|c| {
        c.wasm_function_references(true);
    });
    let module = crate::precompiled::round_trip(&engine, MUTUAL_REF);
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = instance
        .get_typed_func::<i64, i64>(&mut store, "run")
        .expect("run");
    assert_eq!(run.call(&mut store, 1000).expect("runs"), sum_to(1000));
}

#[test]
fn lazily_compiled_callees_are_compiled_on_their_first_tail_call() {
    let engine = engine(|c| {
        c.compilation_mode(CompilationMode::Lazy);
    });
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, MUTUAL).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<(i64, i64), i64>(&mut store, "f")
        .expect("f");
    assert_eq!(f.call(&mut store, (1000, 0)).expect("runs"), sum_to(1000));
}

#[test]
fn non_tail_recursion_of_the_same_depth_overflows() {
    // The same recursion with `call`: the stack limit is what the test above relies on.
    let wat = MUTUAL.replace("return_call", "call");
    let engine = engine(|c| {
        c.max_wasm_stack(16 * 1024);
    });
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, wat).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<(i64, i64), i64>(&mut store, "f")
        .expect("f");
    let error = f.call(&mut store, (1_000_000, 0)).expect_err("overflows");
    assert_eq!(error.trap_code(), Some(TrapCode::StackOverflow), "{error}");
}

/// Instance A's `f` tail-calls through its table (set to B's `g`), and B's `g` tail-calls
/// its import, A's `f`. Each ends by adding the first byte of its own memory (5 in A, 9 in
/// B), so the memory view must follow the instance.
const CROSS_A: &str = r#"(module
    (type $t (func (param i64 i64) (result i64)))
    (table (export "table") 1 funcref)
    (memory 1)
    (data (i32.const 0) "\05")
    (func (export "f") (param $n i64) (param $acc i64) (result i64)
        (if (result i64) (i64.eqz (local.get $n))
            (then (i64.add (local.get $acc) (i64.load8_u (i32.const 0))))
            (else (return_call_indirect (type $t)
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (local.get $n))
                (i32.const 0))))))"#;

const CROSS_B: &str = r#"(module
    (import "a" "f" (func $f (param i64 i64) (result i64)))
    (memory 1)
    (data (i32.const 0) "\09")
    (func (export "g") (param $n i64) (param $acc i64) (result i64)
        (if (result i64) (i64.eqz (local.get $n))
            (then (i64.add (local.get $acc) (i64.load8_u (i32.const 0))))
            (else (return_call $f
                (i64.sub (local.get $n) (i64.const 1))
                (i64.add (local.get $acc) (local.get $n)))))))"#;

#[test]
fn tail_calls_cross_instances_both_ways() {
    let engine = engine(|c| {
        c.max_wasm_stack(16 * 1024);
    });
    let a = Module::new(&engine, CROSS_A).expect("compiles");
    let b = Module::new(&engine, CROSS_B).expect("compiles");
    let results = on_small_stack(move || {
        let mut store = Store::new(&engine, ());
        let a = Instance::new(&mut store, &a, &[]).expect("instantiates A");
        let f = a.get_func(&mut store, "f").expect("f");
        let b = Instance::new(&mut store, &b, &[Extern::Func(f)]).expect("instantiates B");
        let g = b.get_func(&mut store, "g").expect("g");
        let table = a.get_table(&mut store, "table").expect("table");
        table.set(&mut store, 0, Ref::Func(Some(g))).expect("set");
        let g = g.typed::<(i64, i64), i64>(&store).expect("typed g");
        let f = f.typed::<(i64, i64), i64>(&store).expect("typed f");
        [
            g.call(&mut store, (1_000_000, 0)),
            g.call(&mut store, (1_000_001, 0)),
            f.call(&mut store, (3, 0)),
        ]
    });
    let [even, odd, from_a] = results.map(|r| r.expect("runs"));
    // An even count ends in the function it started in, an odd one in the other.
    assert_eq!(even, sum_to(1_000_000) + 9);
    assert_eq!(odd, sum_to(1_000_001) + 5);
    assert_eq!(from_a, sum_to(3) + 9);
}

/// Tail calls of host functions, directly and through a table, from the entry frame and
/// from a callee whose caller goes on with the result.
const HOST: &str = r#"(module
    (type $i2i (func (param i32) (result i32)))
    (import "host" "double" (func $double (param i32) (result i32)))
    (import "host" "three" (func $three (result i64 i64 i64)))
    (table 1 funcref)
    (elem (i32.const 0) $double)
    (func $tail (param i32) (result i32) (return_call $double (local.get 0)))
    (func $tail_indirect (param i32) (result i32)
        (return_call_indirect (type $i2i) (local.get 0) (i32.const 0)))
    (func (export "entry") (param i32) (result i32) (return_call $double (local.get 0)))
    (func (export "entry_indirect") (param i32) (result i32)
        (return_call_indirect (type $i2i) (local.get 0) (i32.const 0)))
    ;; The addition right after the call reads the call's result as it resumes.
    (func (export "nested") (param i32) (result i32)
        (i32.add (call $tail (local.get 0)) (i32.const 1)))
    (func (export "nested_indirect") (param i32) (result i32)
        (i32.add (call $tail_indirect (local.get 0)) (i32.const 1)))
    (func $tail_three (result i64 i64 i64) (return_call $three))
    (func (export "three") (result i64)
        (call $tail_three)
        (i64.sub)
        (i64.sub)))"#;

/// The function indices of the wasm frames a host function saw.
type Seen = Vec<Vec<u32>>;

fn host_instance(store: &mut Store<Seen>) -> Instance {
    let engine = store.engine().clone();
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "double", |caller: Caller<'_, Seen>, x: i32| {
            let frames = WasmBacktrace::force_capture(&caller)
                .frames()
                .iter()
                .map(|frame| frame.func_index())
                .collect();
            let mut caller = caller;
            caller.data_mut().push(frames);
            x * 2
        })
        .expect("double");
    linker
        .func_wrap("host", "three", || (100i64, 10i64, 1i64))
        .expect("three");
    let module = Module::new(&engine, HOST).expect("compiles");
    linker.instantiate(store, &module).expect("instantiates")
}

#[test]
fn tail_calls_of_host_functions_return_to_the_caller() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Seen::new());
    let instance = host_instance(&mut store);
    for (name, expected) in [
        ("entry", 42),
        ("entry_indirect", 42),
        ("nested", 43),
        ("nested_indirect", 43),
    ] {
        let func = instance
            .get_typed_func::<i32, i32>(&mut store, name)
            .expect(name);
        assert_eq!(func.call(&mut store, 21).expect(name), expected, "{name}");
    }
    // The host function sees the frames below the tail call, not the frame it replaced:
    // none from the entry frames (functions 4 and 5), and `nested` (6) or
    // `nested_indirect` (7) without `$tail` (2) or `$tail_indirect` (3).
    assert_eq!(
        store.data(),
        &vec![vec![], vec![], vec![6], vec![7]],
        "frames seen by the host function"
    );
    // More results than parameters: the host function's results take cells the frame it
    // replaced did not have.
    let three = instance
        .get_typed_func::<(), i64>(&mut store, "three")
        .expect("three");
    assert_eq!(three.call(&mut store, ()).expect("three"), 100 - (10 - 1));
}

const INDIRECT_TRAPS: &str = r#"(module
    (type $i2i (func (param i32) (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $one)
    (func $one (result i32) (i32.const 1))
    (func $id (param i32) (result i32) (local.get 0))
    (func (export "call") (param i32) (result i32)
        (return_call_indirect (type $i2i) (i32.const 5) (local.get 0))))"#;

#[test]
fn return_call_indirect_traps_like_call_indirect() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, INDIRECT_TRAPS).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let call = instance
        .get_typed_func::<i32, i32>(&mut store, "call")
        .expect("call");
    for (element, code, message) in [
        (0, TrapCode::BadSignature, "indirect call type mismatch"),
        (1, TrapCode::IndirectCallToNull, "uninitialized element"),
        (2, TrapCode::UndefinedElement, "undefined element"),
    ] {
        let error = call.call(&mut store, element).expect_err("traps");
        assert_eq!(error.trap_code(), Some(code), "{error}");
        assert!(format!("{error:#}").contains(message), "{error:#}");
        // The trap happens before the frame is replaced: the backtrace shows the caller.
        let frames: Vec<u32> = error
            .downcast_ref::<WasmBacktrace>()
            .expect("backtrace")
            .frames()
            .iter()
            .map(|frame| frame.func_index())
            .collect();
        assert_eq!(frames, [2], "{error}");
    }
}

#[test]
fn backtraces_show_the_frame_a_tail_call_replaced_by_its_callee() {
    let wat = r#"(module
        (func $boom (unreachable))
        (func $middle (return_call $boom))
        (func (export "outer") (call $middle)))"#;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, wat).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let outer = instance
        .get_typed_func::<(), ()>(&mut store, "outer")
        .expect("outer");
    let error = outer.call(&mut store, ()).expect_err("traps");
    assert_eq!(
        error.trap_code(),
        Some(TrapCode::UnreachableCodeReached),
        "{error}"
    );
    let frames: Vec<u32> = error
        .downcast_ref::<WasmBacktrace>()
        .expect("backtrace")
        .frames()
        .iter()
        .map(|frame| frame.func_index())
        .collect();
    assert_eq!(frames, [0, 2], "{error}");
}

/// Two functions tail-calling each other forever.
const SPIN: &str = r#"(module
    (func $a (export "spin") (return_call $b))
    (func $b (return_call $a)))"#;

#[test]
fn fuel_stops_an_infinite_tail_call_loop() {
    let engine = engine(|c| {
        c.consume_fuel(true);
    });
    let mut store = Store::new(&engine, ());
    store.set_fuel(100_000).expect("fuel enabled");
    let module = Module::new(&engine, SPIN).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let spin = instance
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let error = spin.call(&mut store, ()).expect_err("runs out");
    assert_eq!(error.trap_code(), Some(TrapCode::OutOfFuel), "{error}");
    assert!(store.get_fuel().expect("fuel") < 100_000);
}

#[test]
fn an_epoch_deadline_stops_an_infinite_tail_call_loop() {
    let engine = engine(|c| {
        c.epoch_interruption(true);
    });
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let module = Module::new(&engine, SPIN).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let spin = instance
        .get_typed_func::<(), ()>(&mut store, "spin")
        .expect("spin");
    let ticker = engine.clone();
    let started = Instant::now();
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        ticker.increment_epoch();
    });
    let error = spin.call(&mut store, ()).expect_err("interrupted");
    assert_eq!(error.trap_code(), Some(TrapCode::Interrupt), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    timer.join().expect("timer thread");
}

#[test]
fn tail_calls_are_on_by_default_and_refused_when_switched_off() {
    Module::new(&Engine::default(), MUTUAL).expect("on by default");
    let engine = engine(|c| {
        c.wasm_tail_call(false);
    });
    let error = Module::new(&engine, MUTUAL).expect_err("refused");
    assert!(error.to_string().contains("tail call"), "{error}");
    let indirect = Module::new(&engine, INDIRECT_TRAPS).expect_err("refused");
    assert!(indirect.to_string().contains("tail call"), "{indirect}");
}

#[test]
fn precompiled_tail_calls_run_and_keep_their_switch() {
    let on = Engine::default();
    let bytes = on
        .precompile_module(MUTUAL.as_bytes())
        .expect("precompiles");
    let module = crate::precompiled::load(&on, &bytes).expect("deserializes");
    let mut store = Store::new(&on, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<(i64, i64), i64>(&mut store, "f")
        .expect("f");
    assert_eq!(
        f.call(&mut store, (100_000, 0)).expect("runs"),
        sum_to(100_000)
    );

    let off = engine(|c| {
        c.wasm_tail_call(false);
    });
    let error = crate::precompiled::load(&off, &bytes).expect_err("another engine");
    assert!(error.to_string().contains("wasm_tail_call"), "{error}");
}
