//! `v128` values through the API: `Val`, typed functions, host functions, globals, precompiled
//! modules, and the `wasm_simd` switch.

use weft::{Config, Engine, Func, Global, Instance, Module, Store, V128, Val, ValType};

const MODULE: &str = r#"(module
    (import "host" "swap" (func $swap (param v128) (result v128)))
    (global (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
    (func (export "add") (param v128 v128) (result v128)
        (i32x4.add (local.get 0) (local.get 1)))
    (func (export "mix") (param i32 v128 i64) (result i64 v128 i32)
        (local.get 2)
        (call $swap (local.get 1))
        (local.get 0))
    (func (export "dot") (param v128 v128) (result i32)
        (local $p v128)
        (local.set $p (i32x4.dot_i16x8_s (local.get 0) (local.get 1)))
        (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $p)) (i32x4.extract_lane 1 (local.get $p)))
            (i32.add (i32x4.extract_lane 2 (local.get $p)) (i32x4.extract_lane 3 (local.get $p)))))
    (func (export "bump") (global.set 0 (i32x4.add (global.get 0) (global.get 0)))))"#;

fn i32x4(lanes: [u32; 4]) -> V128 {
    let mut bits = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        bits |= u128::from(*lane) << (32 * i);
    }
    V128::from(bits)
}

fn instance(engine: &Engine, module: &Module) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    // Swaps the two 64-bit halves.
    let swap = Func::wrap(&mut store, |v: V128| {
        V128::from(v.as_u128().rotate_left(64))
    });
    let instance = Instance::new(&mut store, module, &[swap.into()]).expect("instantiates");
    (store, instance)
}

#[test]
fn v128_values_cross_the_api() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).expect("compiles");
    let (mut store, instance) = instance(&engine, &module);

    let add = instance
        .get_typed_func::<(V128, V128), V128>(&mut store, "add")
        .expect("typed");
    let sum = add
        .call(
            &mut store,
            (i32x4([1, 2, 3, u32::MAX]), i32x4([10, 20, 30, 2])),
        )
        .expect("runs");
    assert_eq!(sum, i32x4([11, 22, 33, 1]));

    // Scalars around a v128, in both directions, through a host function.
    let mix = instance
        .get_typed_func::<(i32, V128, i64), (i64, V128, i32)>(&mut store, "mix")
        .expect("typed");
    let v = V128::from(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128);
    let (a, swapped, b) = mix.call(&mut store, (7, v, -9)).expect("runs");
    assert_eq!((a, b), (-9, 7));
    assert_eq!(swapped.as_u128(), 0xfedc_ba98_7654_3210_0123_4567_89ab_cdef);

    // The same through `Val`s.
    let mix = instance.get_func(&mut store, "mix").expect("export");
    let mut results = [Val::I32(0), Val::I32(0), Val::I32(0)];
    mix.call(
        &mut store,
        &[Val::I32(7), Val::V128(v), Val::I64(-9)],
        &mut results,
    )
    .expect("runs");
    assert_eq!(results[0].unwrap_i64(), -9);
    assert_eq!(results[1].unwrap_v128().as_u128(), swapped.as_u128());
    assert_eq!(results[2].unwrap_i32(), 7);

    let dot = instance
        .get_typed_func::<(V128, V128), i32>(&mut store, "dot")
        .expect("typed");
    // i16 lanes 1..=8 dotted with all 2s: 2 * 36.
    let ones = V128::from(u128::from_le_bytes(
        [1u16, 2, 3, 4, 5, 6, 7, 8]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<_>>()
            .try_into()
            .expect("16 bytes"),
    ));
    let twos = V128::from(u128::from_le_bytes(
        [2u16; 8]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<_>>()
            .try_into()
            .expect("16 bytes"),
    ));
    assert_eq!(dot.call(&mut store, (ones, twos)).expect("runs"), 72);

    let g: Global = instance.get_global(&mut store, "g").expect("export");
    assert_eq!(g.ty(&store).content(), ValType::V128);
    assert_eq!(g.get(&mut store).unwrap_v128(), i32x4([1, 2, 3, 4]));
    let bump = instance
        .get_typed_func::<(), ()>(&mut store, "bump")
        .expect("typed");
    bump.call(&mut store, ()).expect("runs");
    assert_eq!(g.get(&mut store).unwrap_v128(), i32x4([2, 4, 6, 8]));
    g.set(&mut store, Val::V128(i32x4([u32::MAX; 4])))
        .expect("sets");
    bump.call(&mut store, ()).expect("runs");
    assert_eq!(g.get(&mut store).unwrap_v128(), i32x4([u32::MAX - 1; 4]));
}

#[test]
fn precompiled_simd_modules_run() {
    let engine = Engine::default();
    let module = crate::precompiled::round_trip(&engine, MODULE);
    let (mut store, instance) = instance(&engine, &module);
    let add = instance
        .get_typed_func::<(V128, V128), V128>(&mut store, "add")
        .expect("typed");
    assert_eq!(
        add.call(&mut store, (i32x4([1, 1, 1, 1]), i32x4([1, 2, 3, 4])))
            .expect("runs"),
        i32x4([2, 3, 4, 5])
    );
}

#[test]
fn simd_follows_its_switch() {
    let mut config = Config::new();
    config.wasm_simd(false);
    let engine = Engine::new(&config).expect("engine");
    let error = Module::new(&engine, MODULE).expect_err("refused");
    assert!(error.to_string().contains("SIMD"), "{error}");

    let mut config = Config::new();
    config.wasm_relaxed_simd(false);
    let engine = Engine::new(&config).expect("engine");
    let relaxed = r#"(module (func (param v128 v128 v128) (result v128)
        (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))"#;
    assert!(Module::new(&engine, relaxed).is_err());
    assert!(Module::new(&Engine::default(), relaxed).is_ok());
}
