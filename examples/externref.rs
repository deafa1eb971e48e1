//! `externref`s: host values that wasm holds in tables, globals and locals, rooted on the
//! host side and collected when nothing holds them.
//!
//! `cargo run -p weft-examples --example externref`

use weft::{
    Config, Engine, ExternRef, GcHeapOutOfMemory, Instance, Module, RootScope, Rooted, Store,
};

fn main() -> weft::Result<()> {
    let mut config = Config::new();
    config.wasm_reference_types(true);
    let engine = Engine::new(&config)?;
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module
             (table $table (export "table") 10 externref)
             (global $global (export "global") (mut externref) (ref.null extern))
             (func (export "func") (param externref) (result externref) local.get 0))"#,
    )?;
    let instance = Instance::new(&mut store, &module, &[])?;

    // The same shape as Wasmtime's: an out-of-memory error hands the value back, to retry
    // after a collection (Weft's externrefs are bounded by count only).
    let externref = match ExternRef::new(&mut store, "Hello, World!") {
        Ok(x) => x,
        Err(e) => match e.downcast::<GcHeapOutOfMemory<&str>>() {
            Ok(oom) => {
                let (inner, oom) = oom.take_inner();
                store.gc(Some(&oom))?;
                ExternRef::new(&mut store, inner)?
            }
            Err(e) => return Err(e),
        },
    };
    let data = externref.data(&store)?.expect("host data");
    assert_eq!(data.downcast_ref::<&str>(), Some(&"Hello, World!"));

    // Through a table, a global and a function: the same externref comes back.
    let table = instance.get_table(&mut store, "table").expect("table");
    table.set(&mut store, 3, Some(externref).into())?;
    let elem = table
        .get(&mut store, 3)
        .expect("in bounds")
        .unwrap_extern()
        .copied()
        .expect("non-null");
    assert!(Rooted::ref_eq(&store, &elem, &externref)?);

    let global = instance.get_global(&mut store, "global").expect("global");
    global.set(&mut store, Some(externref).into())?;
    let global_val = global
        .get(&mut store)
        .unwrap_externref()
        .copied()
        .expect("non-null");
    assert!(Rooted::ref_eq(&store, &global_val, &externref)?);

    let func = instance.get_typed_func::<Option<Rooted<ExternRef>>, Option<Rooted<ExternRef>>>(
        &mut store, "func",
    )?;
    let ret = func.call(&mut store, Some(externref))?.expect("non-null");
    assert!(Rooted::ref_eq(&store, &ret, &externref)?);

    // Externrefs made in a scope and held by nothing else are freed by a collection.
    {
        let mut scope = RootScope::new(&mut store);
        for i in 0..100_u32 {
            ExternRef::new(&mut scope, i)?;
        }
    }
    store.gc(None)?;
    // The one in the table and the global is still there.
    assert!(externref.data(&store)?.is_some());
    println!("externref round trips: ok");
    Ok(())
}
