//! Precompiled modules: compile once (at build time, or with `weft compile`), save the bytes,
//! and later load them without decoding, validating or translating the wasm again.
//!
//! Loading verifies the bytes, so a damaged file is an error, and an engine whose
//! configuration would translate differently (here: with fuel) refuses the file, naming the
//! setting.
//!
//! `cargo run -p weft-examples --example precompiled`

use weft::{Config, Engine, Instance, Module, Precompiled, Store};

const WAT: &str = r#"(module
  (func (export "gcd") (param i32 i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get 1)))
        (local.get 1)
        (local.set 1 (i32.rem_u (local.get 0) (local.get 1)))
        (local.set 0)
        (br $next)))
    (local.get 0)))"#;

/// Loads a precompiled module.
fn load(engine: &Engine, bytes: &[u8]) -> weft::Result<Module> {
    // SAFETY: none needed. The function is `unsafe` only to match Wasmtime's signature;
    // unlike Wasmtime, Weft verifies the bytes, so untrusted input gives an error.
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize` has Wasmtime's unsafe signature"
    )]
    unsafe {
        Module::deserialize(engine, bytes)
    }
}

fn main() -> weft::Result<()> {
    let engine = Engine::default();

    // Ahead of time: translate once and keep the bytes (a file, a cache, a build artifact).
    let bytes = engine.precompile_module(WAT.as_bytes())?;
    assert_eq!(engine.detect_precompiled(&bytes), Some(Precompiled::Module));
    let path = std::env::temp_dir().join(format!("weft-example-{}.cwasm", std::process::id()));
    std::fs::write(&path, &bytes).map_err(weft::Error::msg)?;
    println!(
        "precompiled {} bytes of WAT into {} bytes",
        WAT.len(),
        bytes.len()
    );

    // Later, maybe in another process: load and run.
    // SAFETY: as in `load`.
    #[allow(
        unsafe_code,
        reason = "`Module::deserialize_file` has Wasmtime's signature"
    )]
    let module = unsafe { Module::deserialize_file(&engine, &path) }?;
    let _ = std::fs::remove_file(&path);
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let gcd = instance.get_typed_func::<(i32, i32), i32>(&mut store, "gcd")?;
    let value = gcd.call(&mut store, (1071, 462))?;
    println!("gcd(1071, 462) = {value}");
    assert_eq!(value, 21);

    // An engine that meters fuel translates differently: the file is refused.
    let mut config = Config::new();
    config.consume_fuel(true);
    let error = load(&Engine::new(&config)?, &bytes).err();
    let message = error.map(|e| e.to_string()).unwrap_or_default();
    println!("with fuel: {message}");
    assert!(message.contains("consume_fuel"));

    // Damaged bytes are an error, not a crash.
    let truncated = &bytes[..bytes.len() - 3];
    assert!(load(&engine, truncated).is_err());
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
