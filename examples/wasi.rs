//! WASI preview 1: run a command module with arguments and its standard output captured in
//! memory. `weft_wasi::p1` also takes inherited stdio and preopened directories.
//!
//! `cargo run -p weft-examples --example wasi`

use weft::{Engine, Linker, Module, Store};
use weft_wasi::p1::WasiP1Ctx;
use weft_wasi::{MemoryOutputPipe, WasiCtx};

fn main() -> weft::Result<()> {
    let engine = Engine::default();
    // Writes "hello from wasi\n" to stdout with `fd_write`.
    let module = Module::new(
        &engine,
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write"
               (func $fd_write (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 16) "hello from wasi\n")
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 16))
               (i32.store (i32.const 4) (i32.const 16))
               (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    )?;
    let stdout = MemoryOutputPipe::new();
    let wasi = WasiCtx::builder()
        .args(["app", "--flag"])
        .stdout(stdout.clone())
        .build_p1();
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    weft_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx)?;
    let mut store = Store::new(&engine, wasi);
    linker.module(&mut store, "", &module)?;
    linker
        .get_default(&mut store, "")?
        .typed::<(), ()>(&store)?
        .call(&mut store, ())?;
    let output = String::from_utf8_lossy(&stdout.contents()).into_owned();
    print!("the guest wrote: {output}");
    assert_eq!(output, "hello from wasi\n");
    Ok(())
}

#[test]
fn runs() -> weft::Result<()> {
    main()
}
