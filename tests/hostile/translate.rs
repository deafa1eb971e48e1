//! Hostile inputs for the translate defects.
//!
//! - Branches that carry many values (up to 1,000, the most a block type has) to a target
//!   whose slots are elsewhere once cost one copy per value *per branch*: a `br_table` of
//!   100,000 entries (a 100 KB module) asked for gigabytes. Each module here is small, does
//!   that many times, and must compile within this binary's 2 GiB address-space limit, and
//!   run with the right values reaching the right target.
//! - A valid function whose frame needs more than 65,535 slots is beyond Weft's limit: eager
//!   and lazy `Module::new` and `Module::validate` all reject it, with
//!   `ErrorKind::ImplementationLimit`, when the module is compiled (lazy compilation once
//!   accepted it and failed at the first call with "invalid module: invalid module: ...").

use crate::trial;
use std::time::{Duration, Instant};
use weft::{CompilationMode, Config, Engine, ErrorKind, Instance, Module, Store, Val};

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        trial(
            "translate::br_table_with_wide_targets_shares_its_moves",
            br_table_with_wide_targets_shares_its_moves,
        ),
        trial(
            "translate::br_if_with_many_values_moves_them_in_constant_code",
            br_if_with_many_values_moves_them_in_constant_code,
        ),
        trial(
            "translate::br_with_many_values_moves_them_in_constant_code",
            br_with_many_values_moves_them_in_constant_code,
        ),
        trial(
            "translate::blocks_if_else_and_return_with_many_values_stay_small",
            blocks_if_else_and_return_with_many_values_stay_small,
        ),
        trial(
            "translate::local_sets_under_a_deep_stack_of_locals_take_linear_time",
            local_sets_under_a_deep_stack_of_locals_take_linear_time,
        ),
        trial(
            "translate::frames_beyond_65535_slots_are_an_implementation_limit_in_every_mode",
            frames_beyond_65535_slots_are_an_implementation_limit_in_every_mode,
        ),
        trial(
            "translate::frames_of_65535_slots_compile_and_run_in_every_mode",
            frames_of_65535_slots_compile_and_run_in_every_mode,
        ),
    ]
}

/// The most values a block type carries (wasmparser's limit on results).
const ARITY: usize = 1000;

/// How long compiling one of these modules may take. Validation alone costs `O(branches *
/// arity)` (wasmparser checks the types of every branch's values): several seconds in this
/// unoptimized test build on a loaded machine, for the largest modules here.
const COMPILE_TIME: Duration = Duration::from_secs(120);

/// An eager and a lazy engine.
fn engines() -> [Engine; 2] {
    [CompilationMode::Eager, CompilationMode::Lazy].map(engine)
}

/// An engine compiling in `mode`.
fn engine(mode: CompilationMode) -> Engine {
    let mut config = Config::new();
    config.compilation_mode(mode);
    Engine::new(&config).expect("engine")
}

/// The engines to compile a module of `size` repetitions with: the hostile size eagerly,
/// and (validation is as slow in both modes) a tenth of it lazily, which translates with
/// the same code.
fn sized_engines(size: usize) -> [(Engine, usize); 2] {
    [
        (engine(CompilationMode::Eager), size),
        (engine(CompilationMode::Lazy), size / 10),
    ]
}

/// `n` times `word`, separated by spaces.
fn repeat(word: &str, n: usize) -> String {
    format!("{word} ").repeat(n)
}

/// The type section of these modules: `$t` gives [`ARITY`] `i32` results, `$p` takes them
/// as parameters too.
fn types() -> String {
    let results = repeat("i32", ARITY);
    format!(
        "(type $t (func (result {results})))
         (type $p (func (param {results}) (result {results})))"
    )
}

/// Pushes the values `1..=ARITY` plus `bias`.
fn values(bias: i32) -> String {
    (1..=ARITY as i32)
        .map(|v| format!("i32.const {} ", v + bias))
        .collect()
}

/// Folds the [`ARITY`] values on top of the stack into one, in an order-sensitive way:
/// `x = v[last]`, then `x = v[k] * 31 + x` downwards (needs a local `$x`).
fn fold() -> String {
    "local.set $x i32.const 31 i32.mul local.get $x i32.add ".repeat(ARITY - 1)
}

/// What [`fold`] computes from the values of [`values`]`(bias)`.
fn folded(bias: i32) -> i32 {
    let values: Vec<i32> = (1..=ARITY as i32).map(|v| v + bias).collect();
    values
        .iter()
        .rev()
        .skip(1)
        .fold(values[ARITY - 1], |x, v| v.wrapping_mul(31).wrapping_add(x))
}

/// Compiles `wat` with `engine` within [`COMPILE_TIME`].
fn compile(engine: &Engine, wat: &str) -> Module {
    let binary = wat::parse_str(wat).expect("test module parses");
    let started = Instant::now();
    let module = Module::new(engine, &binary).expect("the module compiles");
    let elapsed = started.elapsed();
    assert!(
        elapsed < COMPILE_TIME,
        "compiling {} bytes took {elapsed:?}",
        binary.len()
    );
    module
}

/// Calls export `run` of `module` with `arg`.
fn run(engine: &Engine, module: &Module, arg: i32) -> i32 {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).expect("instantiates");
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .expect("export `run`");
    run.call(&mut store, arg).expect("runs")
}

/// A `br_table` of 100,000 entries over two targets of 1,000 values each, below which a
/// value must be dropped (so every entry needs moves). Translated with one copy sequence
/// per entry it needs about 2.4 GB; with one per target, a few hundred KB.
fn br_table_with_wide_targets_shares_its_moves() {
    for (engine, entries) in sized_engines(100_000) {
        br_table_with_wide_targets(&engine, entries);
    }
}

fn br_table_with_wide_targets(engine: &Engine, entries: usize) {
    let table: String = (0..entries).map(|i| format!("{} ", i % 2)).collect();
    let wat = format!(
        r#"(module {types}
          (func (export "run") (param $sel i32) (result i32) (local $x i32)
            block $b (type $t)
              block $a (type $t)
                i32.const -1
                {values}
                local.get $sel
                br_table {table} 1
              end
              {fold}
              i32.const 1000000 i32.add
              return
            end
            {fold}))"#,
        types = types(),
        values = values(0),
        fold = fold(),
    );
    let module = compile(engine, &wat);
    assert_eq!(run(engine, &module, 0), folded(0).wrapping_add(1_000_000));
    assert_eq!(run(engine, &module, 1), folded(0));
    assert_eq!(run(engine, &module, 2), folded(0).wrapping_add(1_000_000));
    assert_eq!(run(engine, &module, entries as i32 - 1), folded(0));
    // Past the end: the default target, `$b`.
    assert_eq!(run(engine, &module, -1), folded(0));
}

/// 100,000 `br_if`s carrying 1,000 values each to a block whose slots are one value lower.
/// With one copy per value per branch it needs about 2.4 GB.
fn br_if_with_many_values_moves_them_in_constant_code() {
    for (engine, branches) in sized_engines(100_000) {
        br_if_with_many_values(&engine, branches);
    }
}

fn br_if_with_many_values(engine: &Engine, branches: usize) {
    let wat = format!(
        r#"(module {types}
          (func (export "run") (param $sel i32) (result i32) (local $x i32)
            block $b (type $t)
              i32.const -1
              {values}
              {branches}
              {other}
              br $b
            end
            {fold}))"#,
        types = types(),
        values = values(0),
        branches = "local.get $sel br_if $b ".repeat(branches),
        other = values(7),
        fold = fold(),
    );
    let module = compile(engine, &wat);
    // Taken: the first `br_if` carries the first values; not taken: the last `br`
    // carries the others.
    assert_eq!(run(engine, &module, 1), folded(0));
    assert_eq!(run(engine, &module, 0), folded(7));
}

/// 5,000 blocks, each passing 1,000 values through and either leaving them (`br_if` to
/// itself, no moves) or carrying them out with a `br` to an outer block one value lower.
/// (With a copy per value, 5,000 blocks need about 160 MB: the test checks the behaviour
/// of the span moves of `br`, which share their code with the `br_if` test's.)
fn br_with_many_values_moves_them_in_constant_code() {
    const BLOCKS: usize = 5_000;
    let wat = format!(
        r#"(module {types}
          (func (export "run") (param $sel i32) (result i32) (local $x i32)
            block $b (type $t)
              i32.const -1
              {values}
              {blocks}
              drop i32.const {other}
              br $b
            end
            {fold}))"#,
        types = types(),
        values = values(0),
        blocks = "(block (type $p) local.get $sel i32.eqz br_if 0 br $b) ".repeat(BLOCKS),
        other = ARITY as i32 + 3,
        fold = fold(),
    );
    // Not taken: the last value is replaced by `ARITY + 3`.
    let mut replaced: Vec<i32> = (1..=ARITY as i32).collect();
    replaced[ARITY - 1] = ARITY as i32 + 3;
    let expected = replaced
        .iter()
        .rev()
        .skip(1)
        .fold(replaced[ARITY - 1], |x, v| {
            v.wrapping_mul(31).wrapping_add(x)
        });
    for engine in engines() {
        let module = compile(&engine, &wat);
        assert_eq!(run(&engine, &module, 1), folded(0));
        assert_eq!(run(&engine, &module, 0), expected);
    }
}

/// Blocks and `if`/`else` with 1,000 parameters and results falling through, and a
/// `return` of 1,000 results, repeated: constant code per operator already (the values are
/// materialized once, and a fall-through leaves them where its block wants them), kept so
/// by this test.
fn blocks_if_else_and_return_with_many_values_stay_small() {
    const IFS: usize = 5_000;
    let results = repeat("i32", ARITY);
    let wat = format!(
        r#"(module {types}
          (func $inner (param $sel i32) (result {results})
            {values}
            {ifs}
            local.get $sel i32.const 1000 i32.eq
            if (type $p) return end)
          (func (export "run") (param $sel i32) (result i32) (local $x i32)
            local.get $sel call $inner {fold}))"#,
        types = types(),
        values = values(0),
        ifs = "local.get $sel if (type $p) else end block (type $p) end ".repeat(IFS),
        fold = fold(),
    );
    for engine in engines() {
        let module = compile(&engine, &wat);
        assert_eq!(run(&engine, &module, 0), folded(0));
        assert_eq!(run(&engine, &module, 1000), folded(0));
    }
}

/// 30,000 `local.get`s left on the stack, then 100,000 `local.set`s of another local: each
/// `local.set` scanned the whole stack for copies of its local (3 billion steps, over three
/// minutes in this build). Now the scan is bounded, and the values are still those read
/// before the sets.
fn local_sets_under_a_deep_stack_of_locals_take_linear_time() {
    const GETS: usize = 30_000;
    let wat = format!(
        r#"(module (func (export "run") (param $sel i32) (result i32) (local $y i32)
            {gets}
            {sets}
            local.set $y
            {adds}
            local.get $y i32.add))"#,
        gets = "local.get $sel local.get $y ".repeat(GETS / 2),
        sets = "local.get $sel local.set $y local.get $y local.set $sel ".repeat(25_000),
        adds = "i32.add ".repeat(GETS - 2),
    );
    let engine = engine(CompilationMode::Eager);
    let started = Instant::now();
    let module = compile(&engine, &wat);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(30),
        "compiling took {elapsed:?}"
    );
    // The stack holds `sel, 0` 15,000 times; the last pair's 0 goes to `$y`, then the
    // rest is summed: 15,000 * sel, plus `$y` (0).
    assert_eq!(run(&engine, &module, 3), 45_000);
}

/// Whether `result` is an implementation-limit error.
fn is_limit<T: std::fmt::Debug>(result: &weft::Result<T>) -> bool {
    matches!(
        result.as_ref().map_err(weft::ErrorExt::kind),
        Err(Some(ErrorKind::ImplementationLimit { .. }))
    )
}

/// A function with 50,000 locals whose operand stack reaches `height` values, in
/// reachable code, returning their sum (each is local 0, set to 1).
fn deep_stack(height: usize) -> Vec<u8> {
    let wat = format!(
        r#"(module (func (export "run") (param i32) (result i32) (local {locals})
            i32.const 1 local.set 1
            {gets}
            {adds}))"#,
        locals = repeat("i32", 49_999),
        gets = repeat("local.get 1", height),
        adds = repeat("i32.add", height - 1),
    );
    wat::parse_str(&wat).expect("test module parses")
}

fn frames_beyond_65535_slots_are_an_implementation_limit_in_every_mode() {
    // 1 parameter + 49,999 locals + 15,536 values = 65,536 slots: one too many.
    let reachable = deep_stack(15_536);
    // The stack grows in unreachable code only: the translator would not need the slots,
    // but validation stacks the values, and the limit follows validation.
    let results = repeat("i32", ARITY);
    let unreachable = wat::parse_str(format!(
        r#"(module (type $t (func (result {results})))
            (func (local {locals}) {blocks} unreachable))"#,
        locals = repeat("i32", 50_000),
        blocks = "(block (type $t) unreachable) ".repeat(16),
    ))
    .expect("test module parses");
    for binary in [&reachable, &unreachable] {
        for engine in engines() {
            let compiled = Module::new(&engine, binary);
            assert!(is_limit(&compiled), "{compiled:?}");
            let message = compiled.expect_err("rejected").to_string();
            assert!(
                message.starts_with("implementation limit exceeded: function frame larger than"),
                "{message}"
            );
            let validated = Module::validate(&engine, binary);
            assert!(is_limit(&validated), "{validated:?}");
        }
    }
}

fn frames_of_65535_slots_compile_and_run_in_every_mode() {
    let binary = deep_stack(15_535);
    for mode in [CompilationMode::Eager, CompilationMode::Lazy] {
        let mut config = Config::new();
        // The frame takes 512 KiB, the default limit of the whole stack.
        config.compilation_mode(mode).max_wasm_stack(1 << 20);
        let engine = Engine::new(&config).expect("engine");
        Module::validate(&engine, &binary).expect("validates");
        let module = Module::new(&engine, &binary).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let run = instance.get_func(&store, "run").expect("export `run`");
        let mut results = [Val::I32(0)];
        run.call(&mut store, &[Val::I32(0)], &mut results)
            .expect("runs");
        assert_eq!(results[0].i32(), Some(15_535));
    }
}
