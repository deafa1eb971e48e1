//! Wasmtime's `Config` settings: those accepted without effect, those refused when enabled.

use weft::{
    Config, Engine, Instance, InstanceAllocationStrategy, Module, OptLevel, ProfilingStrategy,
    Store, Strategy, WasmBacktraceDetails,
};

const WAT: &str = r#"(module
    (func $inner (result i32) unreachable)
    (func (export "run") (result i32) call $inner))"#;

/// Runs `run` of [`WAT`] and returns the trap's backtrace length.
fn trap_frames(engine: &Engine) -> usize {
    let module = Module::new(engine, WAT).expect("module");
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instance");
    let run = instance
        .get_typed_func::<(), i32>(&mut store, "run")
        .expect("run");
    let error = run.call(&mut store, ()).expect_err("traps");
    assert_eq!(
        error.downcast_ref::<weft::Trap>(),
        Some(&weft::Trap::UnreachableCodeReached)
    );
    error
        .downcast_ref::<weft::WasmBacktrace>()
        .map_or(0, |backtrace| backtrace.frames().len())
}

#[test]
fn code_generator_and_memory_settings_are_accepted_without_effect() {
    let mut config = Config::new();
    config
        .strategy(Strategy::Cranelift)
        .cranelift_opt_level(OptLevel::SpeedAndSize)
        .cranelift_debug_verifier(true)
        .cranelift_nan_canonicalization(false)
        .parallel_compilation(false)
        .debug_info(true)
        .generate_address_map(false)
        .native_unwind_info(false)
        .wasm_backtrace_details(WasmBacktraceDetails::Enable)
        .memory_reservation(1 << 32)
        .memory_guard_size(1 << 16)
        .memory_reservation_for_growth(1 << 20)
        .memory_may_move(false)
        .guard_before_linear_memory(false)
        .memory_init_cow(false)
        .table_lazy_init(false)
        .signals_based_traps(false)
        .allocation_strategy(InstanceAllocationStrategy::OnDemand)
        .profiler(ProfilingStrategy::None)
        .async_support(false)
        .coredump_on_trap(false)
        .wasm_simd(false)
        .wasm_threads(false);
    let engine = Engine::new(&config).expect("accepted");
    assert_eq!(trap_frames(&engine), 2);
}

#[test]
fn unsupported_features_are_refused_by_name() {
    type Setter = fn(&mut Config);
    let cases: [(&str, Setter); 8] = [
        ("wasm_gc", |c| {
            c.wasm_gc(true);
        }),
        ("wasm_threads", |c| {
            c.wasm_threads(true);
        }),
        ("wasm_stack_switching", |c| {
            c.wasm_stack_switching(true);
        }),
        ("wasm_exceptions", |c| {
            c.wasm_exceptions(true);
        }),
        ("async_support", |c| {
            c.async_support(true);
        }),
        ("coredump_on_trap", |c| {
            c.coredump_on_trap(true);
        }),
        ("profiler", |c| {
            c.profiler(ProfilingStrategy::PerfMap);
        }),
        ("cranelift_nan_canonicalization", |c| {
            c.cranelift_nan_canonicalization(true);
        }),
    ];
    for (name, set) in cases {
        let mut config = Config::new();
        set(&mut config);
        let Err(error) = Engine::new(&config) else {
            panic!("{name}: accepted");
        };
        assert!(
            error.to_string().contains(&format!("`Config::{name}`")),
            "{name}: {error}"
        );
    }
}

#[test]
fn a_refused_setting_turned_off_again_is_accepted() {
    let mut config = Config::new();
    config.wasm_threads(true).wasm_threads(false);
    Engine::new(&config).expect("accepted once turned off");
}

#[test]
fn backtraces_can_be_turned_off() {
    let mut config = Config::new();
    config.wasm_backtrace(false);
    assert_eq!(trap_frames(&Engine::new(&config).unwrap()), 0);
}

#[test]
fn extended_constant_expressions_follow_their_switch() {
    const EXTENDED: &str = r#"(module
        (global (export "g") i32 (i32.add (i32.const 40) (i32.mul (i32.const 1) (i32.const 2)))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, EXTENDED).expect("on by default");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instance");
    let global = instance.get_global(&mut store, "g").expect("g");
    assert_eq!(global.get(&mut store).i32(), Some(42));

    let mut config = Config::new();
    config.wasm_extended_const(false);
    let engine = Engine::new(&config).expect("engine");
    let error = Module::new(&engine, EXTENDED).expect_err("refused when off");
    assert!(error.to_string().contains("constant expression"), "{error}");
}
