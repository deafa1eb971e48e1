//! Precompiled modules: `Engine::precompile_module`, `Module::serialize` and
//! `Module::deserialize`.
//!
//! A precompiled module behaves as the module it was compiled from, loads only into an
//! engine of the same configuration, and bytes that are truncated, corrupted or foreign give
//! an error or a module that still runs safely — never a panic.

use crate::generated::harness::{self, Limit, Stats};
use weft::{
    CompilationMode, Config, Engine, ErrorExt as _, ErrorKind, Linker, Module, Precompiled, Store,
};

/// Loads precompiled bytes.
/// `wat` (text or binary) precompiled by `engine` and loaded back: the module that the
/// feature tests run to check that the format carries their instructions.
pub(crate) fn round_trip(engine: &Engine, wat: impl AsRef<[u8]>) -> Module {
    let bytes = engine.precompile_module(wat.as_ref()).expect("precompiles");
    load(engine, &bytes).expect("deserializes")
}

/// `Module::deserialize` of `bytes`.
pub(crate) fn load(engine: &Engine, bytes: &[u8]) -> weft::Result<Module> {
    // SAFETY: none needed; Weft verifies precompiled modules.
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize` is unsafe for Wasmtime's signature"
    )]
    unsafe {
        Module::deserialize(engine, bytes)
    }
}

/// A module that uses every part of the format: imports of each kind, a type table,
/// globals with constant initializers, a table with active, passive and declared element
/// segments, active and passive data, a start function, names and every call form.
const KITCHEN_SINK: &str = r#"
(module $sink
  (type $binop (func (param i32 i32) (result i32)))
  (import "host" "log" (func $log (param i32)))
  (import "host" "mem" (memory 1 2))
  (import "host" "base" (global $base i32))
  (import "host" "tab" (table 2 funcref))
  (global $counter (mut i32) (global.get $base))
  (global $wide i64 (i64.const 42))
  (global $fref funcref (ref.func $add))
  (table $own 4 funcref)
  (elem (table $own) (i32.const 0) func $add $sub)
  (elem $passive funcref (ref.func $add) (ref.null func))
  (elem declare func $start)
  (data (i32.const 16) "hello")
  (data $later "world")
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $start
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (start $start)
  (func (export "dispatch") (param i32 i32 i32) (result i32)
    (call_indirect $own (type $binop) (local.get 1) (local.get 2) (local.get 0)))
  (func (export "sum_to") (param i32) (result i64) (local i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $next)))
    (local.get 1))
  (func (export "bulk") (result i32)
    (memory.init $later (i32.const 100) (i32.const 0) (i32.const 5))
    (data.drop $later)
    (table.init $own $passive (i32.const 2) (i32.const 0) (i32.const 2))
    (call $log (i32.load8_u (i32.const 104)))
    (i32.add (i32.load8_u (i32.const 16)) (global.get $counter)))
  (func (export "wide") (result i64) (global.get $wide))
  (func (export "switch") (param i32) (result i32)
    (block $a (block $b (block $c
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 30)))
      (return (i32.const 20)))
    (i32.const 10))
  (func $boom (export "boom") unreachable)
  (export "memory" (memory 0))
)
"#;

/// Instantiates a module of [`KITCHEN_SINK`] and returns what its exports compute.
fn exercise(engine: &Engine, module: &Module) -> Vec<String> {
    let mut store = Store::new(engine, Vec::<i32>::new());
    let mut linker = Linker::new(engine);
    linker
        .func_wrap(
            "host",
            "log",
            |mut caller: weft::Caller<'_, Vec<i32>>, x: i32| caller.data_mut().push(x),
        )
        .unwrap();
    let mem = weft::Memory::new(&mut store, weft::MemoryType::new(1, Some(2))).unwrap();
    let base = weft::Global::new(
        &mut store,
        weft::GlobalType::new(weft::ValType::I32, weft::Mutability::Const),
        weft::Val::I32(41),
    )
    .unwrap();
    let table = weft::Table::new(
        &mut store,
        weft::TableType::new(weft::RefType::FUNCREF, 2, None),
        weft::Ref::Func(None),
    )
    .unwrap();
    linker.define(&store, "host", "mem", mem).unwrap();
    linker.define(&store, "host", "base", base).unwrap();
    linker.define(&store, "host", "tab", table).unwrap();
    let instance = linker.instantiate(&mut store, module).unwrap();
    let dispatch = instance
        .get_typed_func::<(i32, i32, i32), i32>(&mut store, "dispatch")
        .unwrap();
    let sum_to = instance
        .get_typed_func::<i32, i64>(&mut store, "sum_to")
        .unwrap();
    let bulk = instance
        .get_typed_func::<(), i32>(&mut store, "bulk")
        .unwrap();
    let wide = instance
        .get_typed_func::<(), i64>(&mut store, "wide")
        .unwrap();
    let switch = instance
        .get_typed_func::<i32, i32>(&mut store, "switch")
        .unwrap();
    let boom = instance
        .get_typed_func::<(), ()>(&mut store, "boom")
        .unwrap();
    let mut out = vec![
        format!("{:?}", dispatch.call(&mut store, (0, 7, 5))),
        format!("{:?}", dispatch.call(&mut store, (1, 7, 5))),
        format!(
            "{:?}",
            dispatch
                .call(&mut store, (3, 7, 5))
                .map_err(|e| e.to_string())
        ),
        format!("{:?}", sum_to.call(&mut store, 100)),
        format!("{:?}", bulk.call(&mut store, ())),
        format!("{:?}", dispatch.call(&mut store, (2, 7, 5))),
        format!("{:?}", wide.call(&mut store, ())),
        format!(
            "{:?}",
            (0..4)
                .map(|i| switch.call(&mut store, i).ok())
                .collect::<Vec<_>>()
        ),
        format!("{:?}", store.data()),
    ];
    out.push(boom.call(&mut store, ()).unwrap_err().to_string());
    out
}

#[test]
fn a_precompiled_module_behaves_as_the_original() {
    let engine = Engine::default();
    let original = Module::new(&engine, KITCHEN_SINK).unwrap();
    let bytes = engine.precompile_module(KITCHEN_SINK.as_bytes()).unwrap();
    assert_eq!(engine.detect_precompiled(&bytes), Some(Precompiled::Module));
    assert_eq!(engine.detect_precompiled(b"\0asm\x01\0\0\0"), None);
    let loaded = load(&engine, &bytes).unwrap();
    assert_eq!(loaded.name(), Some("sink"));
    let imports = |m: &Module| m.imports().map(|i| format!("{i:?}")).collect::<Vec<_>>();
    let exports = |m: &Module| m.exports().map(|e| format!("{e:?}")).collect::<Vec<_>>();
    assert_eq!(imports(&loaded), imports(&original));
    assert_eq!(exports(&loaded), exports(&original));
    let expected = exercise(&engine, &original);
    assert_eq!(expected[..2], ["Ok(12)", "Ok(2)"]);
    assert_eq!(
        expected[3..9],
        [
            "Ok(5050)",
            "Ok(146)",
            "Ok(12)",
            "Ok(42)",
            "[Some(10), Some(20), Some(30), Some(30)]",
            "[100]",
        ]
    );
    assert_eq!(exercise(&engine, &loaded), expected);
    // The names survive for backtraces.
    assert!(expected.last().unwrap().contains("boom"), "{expected:?}");
    // Serializing again gives the same bytes.
    assert_eq!(loaded.serialize().unwrap(), bytes);
    assert_eq!(original.serialize().unwrap(), bytes);
}

#[test]
fn deserialize_file_reads_a_precompiled_file() {
    let engine = Engine::default();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sink.cwasm");
    std::fs::write(
        &path,
        engine.precompile_module(KITCHEN_SINK.as_bytes()).unwrap(),
    )
    .unwrap();
    // SAFETY: none needed; Weft verifies precompiled modules.
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize_file` is unsafe for Wasmtime's signature"
    )]
    let module = unsafe { Module::deserialize_file(&engine, &path) }.unwrap();
    assert_eq!(
        exercise(&engine, &module),
        exercise(&engine, &Module::new(&engine, KITCHEN_SINK).unwrap())
    );
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize_file` is unsafe for Wasmtime's signature"
    )]
    // SAFETY: as above.
    let missing = unsafe { Module::deserialize_file(&engine, dir.path().join("nope.cwasm")) };
    assert!(missing.unwrap_err().to_string().contains("nope.cwasm"));
}

#[test]
fn a_lazy_engine_precompiles_every_function() {
    let mut config = Config::new();
    config.compilation_mode(CompilationMode::Lazy);
    let engine = Engine::new(&config).unwrap();
    let bytes = engine.precompile_module(KITCHEN_SINK.as_bytes()).unwrap();
    let loaded = load(&engine, &bytes).unwrap();
    assert_eq!(
        exercise(&engine, &loaded),
        exercise(&engine, &Module::new(&engine, KITCHEN_SINK).unwrap())
    );
}

#[test]
fn a_different_configuration_is_named_in_the_error() {
    let mut config = Config::new();
    config.consume_fuel(true).wasm_bulk_memory(true);
    let fuel = Engine::new(&config).unwrap();
    let bytes = fuel.precompile_module(KITCHEN_SINK.as_bytes()).unwrap();
    let error = load(&Engine::default(), &bytes).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::Usage(_))),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("`Config::consume_fuel` is false in the engine but was true"),
        "{message}"
    );
    assert!(!message.contains("bulk_memory"), "{message}");
    // Settings that do not reach the bytecode do not matter.
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .max_wasm_stack(64 * 1024)
        .wasm_backtrace(false);
    assert!(load(&Engine::new(&config).unwrap(), &bytes).is_ok());
}

#[test]
fn foreign_and_truncated_bytes_are_errors() {
    let engine = Engine::default();
    let wasm = wat::parse_str(KITCHEN_SINK).unwrap();
    for foreign in [&b""[..], b"\0weft", &wasm, KITCHEN_SINK.as_bytes()] {
        let error = load(&engine, foreign).unwrap_err();
        assert!(
            matches!(error.kind(), Some(ErrorKind::Malformed { .. })),
            "{error:?}"
        );
    }
    let bytes = engine.precompile_module(&wasm).unwrap();
    // Every proper prefix is an error: the file ends with the last function's code.
    for len in 0..bytes.len() {
        assert!(
            load(&engine, &bytes[..len]).is_err(),
            "prefix of {len} bytes loaded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let error = load(&engine, &longer).unwrap_err();
    assert!(error.to_string().contains("trailing bytes"), "{error}");
    // Another format version.
    let mut other = bytes.clone();
    other[8] ^= 0x40;
    let error = load(&engine, &other).unwrap_err();
    assert!(error.to_string().contains("format version"), "{error}");
}

/// Loads `bytes` and, if that succeeds, runs the module under fuel. A panic fails the test;
/// errors and traps are expected of corrupted modules. Returns whether it loaded.
fn load_and_run(engine: &Engine, bytes: &[u8]) -> bool {
    match load(engine, bytes) {
        Ok(module) => {
            let _ = harness::run(engine, &module, &mut Stats::default());
            true
        }
        Err(_) => false,
    }
}

#[test]
fn every_corrupted_byte_of_a_small_module_is_safe() {
    let engine = harness::engine(CompilationMode::Eager, Limit::Fuel).unwrap();
    let bytes = engine.precompile_module(KITCHEN_SINK.as_bytes()).unwrap();
    let mut loaded = 0;
    for position in 0..bytes.len() {
        for mask in [0x01, 0x10, 0x80, 0xff] {
            let mut corrupted = bytes.clone();
            corrupted[position] ^= mask;
            loaded += usize::from(load_and_run(&engine, &corrupted));
        }
    }
    // Some corruptions (immediates, names, data bytes) leave a valid module.
    assert!(loaded > 0);
    assert!(loaded < 4 * bytes.len());
}

/// A deterministic pseudo-random sequence (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_corruption_of_a_larger_module_is_safe() {
    let engine = harness::engine(CompilationMode::Eager, Limit::Fuel).unwrap();
    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/wasm/hello.wasm"
    ))
    .unwrap();
    let bytes = engine.precompile_module(&wasm).unwrap();
    assert!(load_and_run(&engine, &bytes));
    let mut rng = Rng(0x7765_6674_2d61_6f74);
    for _ in 0..300 {
        let mut corrupted = bytes.clone();
        match rng.below(4) {
            0 => corrupted.truncate(rng.below(bytes.len())),
            _ => {
                for _ in 0..=rng.below(4) {
                    let position = rng.below(corrupted.len());
                    corrupted[position] = rng.next() as u8;
                }
            }
        }
        load_and_run(&engine, &corrupted);
    }
}

#[test]
fn generated_modules_round_trip() {
    let config = harness::smith_config();
    for engine in harness::engines(false).unwrap() {
        let mut rng = Rng(0x6765_6e65_7261_7465);
        let mut checked = 0;
        for _ in 0..60 {
            let data: Vec<u8> = (0..2048).map(|_| rng.next() as u8).collect();
            let Some(wasm) = harness::generate(&config, &data) else {
                continue;
            };
            let module = Module::new(&engine, &wasm).unwrap();
            let bytes = module.serialize().unwrap();
            // Everything the translator emits passes the verifier.
            let loaded = load(&engine, &bytes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(loaded.serialize().unwrap(), bytes);
            let mut original = Stats::default();
            let mut precompiled = Stats::default();
            harness::run(&engine, &module, &mut original).unwrap();
            harness::run(&engine, &loaded, &mut precompiled).unwrap();
            assert_eq!(original, precompiled);
            checked += 1;
        }
        assert!(checked > 30, "{checked}");
    }
}

/// A function's code is verified on its first call: a corrupted body loads, and the call
/// that reaches it gets a malformed-module error with the offset of its code record, every
/// time, while the module's other functions run.
#[test]
fn a_corrupted_function_body_is_an_error_at_its_first_call() {
    let engine = Engine::default();
    let wat = r#"(module
        (func (export "good") (result i32) (i32.const 7))
        (func (export "bad") (param i32) (result i32)
            (i32.add (local.get 0) (i32.const 0x5a5a5a5a))))"#;
    let bytes = engine.precompile_module(wat.as_bytes()).unwrap();
    // The last function's record starts with its frame shape: one parameter, no locals.
    let constant = bytes
        .windows(4)
        .rposition(|w| w == 0x5a5a_5a5a_u32.to_le_bytes())
        .expect("the constant is in the file");
    let record = bytes[..constant]
        .windows(8)
        .rposition(|w| w == [1, 0, 0, 0, 0, 0, 0, 0])
        .expect("the record's frame shape");
    let mut corrupted = bytes.clone();
    corrupted[record] = 9; // nine parameters: the frame no longer fits the function's type
    let module = load(&engine, &corrupted).expect("the declarations are intact");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let good = instance
        .get_typed_func::<(), i32>(&mut store, "good")
        .unwrap();
    assert_eq!(good.call(&mut store, ()).unwrap(), 7);
    let bad = instance
        .get_typed_func::<i32, i32>(&mut store, "bad")
        .unwrap();
    for _ in 0..2 {
        let error = bad.call(&mut store, 1).unwrap_err();
        match error.kind() {
            Some(ErrorKind::Malformed { offset, .. }) => {
                assert_eq!(*offset, Some(record), "{error:?}");
                assert!(
                    error.to_string().contains("does not fit its type"),
                    "{error}"
                );
            }
            _ => panic!("not a malformed-module error: {error:?}"),
        }
    }
    assert_eq!(good.call(&mut store, ()).unwrap(), 7);
    // The intact file runs the function.
    let module = load(&engine, &bytes).unwrap();
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let bad = instance
        .get_typed_func::<i32, i32>(&mut store, "bad")
        .unwrap();
    assert_eq!(bad.call(&mut store, 1).unwrap(), 0x5a5a_5a5b);
}
