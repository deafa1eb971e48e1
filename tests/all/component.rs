//! Components: compiling, linking, instantiating and calling them.

use weft::ErrorExt as _;
use weft::component::{Component, ComponentItem, Linker, ResourceType, Type, Val};
use weft::{Config, Engine, ErrorKind, Module, Store, Trap, TrapCode};

fn engine() -> Engine {
    Engine::default()
}

/// Instantiates `wat` with an empty linker and returns the store and instance.
fn instantiate(wat: &str) -> (Store<()>, weft::component::Instance) {
    let engine = engine();
    let component = Component::new(&engine, wat).expect("component compiles");
    let linker = Linker::new(&engine);
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("component instantiates");
    (store, instance)
}

fn call1(
    store: &mut Store<()>,
    instance: &weft::component::Instance,
    name: &str,
    params: &[Val],
) -> weft::Result<Val> {
    let func = instance.get_func(&*store, name).expect("export exists");
    let mut results = [Val::Bool(false)];
    func.call(&mut *store, params, &mut results)?;
    let [result] = results;
    Ok(result)
}

const ADD: &str = r#"
(component
  (core module $m
    (func (export "add") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.add))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add"))))
"#;

#[test]
fn component_new_accepts_text_and_binary() {
    let engine = engine();
    let binary = wat::parse_str(ADD).expect("wat");
    let from_text = Component::new(&engine, ADD).expect("text");
    let from_binary = Component::from_binary(&engine, &binary).expect("binary");
    for component in [from_text, from_binary] {
        let ty = component.component_type();
        assert_eq!(ty.imports(&engine).count(), 0);
        let exports: Vec<_> = ty.exports(&engine).collect();
        assert_eq!(exports.len(), 1);
        let (name, ComponentItem::ComponentFunc(func)) = (exports[0].0, &exports[0].1.ty) else {
            panic!("export is not a function: {exports:?}");
        };
        assert_eq!(name, "add");
        assert_eq!(func.to_string(), "func(a: u32, b: u32) -> u32");
    }
}

#[test]
fn component_from_file_reads_text() {
    let dir = std::env::temp_dir().join(format!("weft-component-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("add.wat");
    std::fs::write(&path, ADD).expect("write");
    let component = Component::from_file(&engine(), &path).expect("from_file");
    assert_eq!(component.component_type().exports(&engine()).count(), 1);
    let missing = Component::from_file(&engine(), dir.join("missing.wasm")).unwrap_err();
    assert!(missing.to_string().contains("missing.wasm"), "{missing}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn module_and_component_name_each_other() {
    let engine = engine();
    let err = Module::new(&engine, "(component)").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("is a WebAssembly component, not a core module")
            && message.contains("Component::new"),
        "{message}"
    );
    assert!(!message.contains("feature"), "{message}");
    let err = Component::new(&engine, "(module)").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("core WebAssembly module, not a component")
            && message.contains("Module::new"),
        "{message}"
    );
}

#[test]
fn component_model_can_be_turned_off() {
    let mut config = Config::new();
    config.wasm_component_model(false);
    let engine = Engine::new(&config).expect("engine");
    let err = Component::new(&engine, ADD).unwrap_err();
    assert!(format!("{err:#}").contains("wasm_component_model"), "{err}");
}

#[test]
fn invalid_components_are_errors_with_offsets() {
    let engine = engine();
    // A lift whose type does not match the core function.
    let err = Component::new(
        &engine,
        r#"(component
          (core module $m (func (export "f") (param i32)))
          (core instance $i (instantiate $m))
          (func (export "f") (param "x" u64) (canon lift (core func $i "f"))))"#,
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Invalid { .. })),
        "{err:?}"
    );
    assert!(err.offset().is_some(), "{err:?}");
    // Garbage after the header.
    let mut bytes = wat::parse_str("(component)").expect("wat");
    bytes.extend_from_slice(&[0x7f, 0x05, 1, 2]);
    let err = Component::from_binary(&engine, &bytes).unwrap_err();
    assert!(err.offset().is_some(), "{err:?}");
}

#[test]
fn component_errors_say_component() {
    let engine = engine();
    let invalid = |text: &str| Component::new(&engine, text).unwrap_err();
    // Invalid: a lift of the wrong type; an invalid nested core module.
    let err = invalid(
        r#"(component
          (core module $m (func (export "f") (param i32)))
          (core instance $i (instantiate $m))
          (func (export "f") (param "x" u64) (canon lift (core func $i "f"))))"#,
    );
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::Invalid {
                component: true,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("invalid component: "), "{err}");
    let err = invalid(r#"(component (core module (func (result i32))))"#);
    assert!(err.to_string().starts_with("invalid component: "), "{err}");
    // Malformed: text that does not parse, bytes that are not a component.
    let err = invalid("(component (oops))");
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::Malformed {
                component: true,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("malformed component: "),
        "{err}"
    );
    let mut bytes = wat::parse_str("(component)").expect("wat");
    bytes.extend_from_slice(&[0x7f, 0x05, 1, 2]);
    let err = Component::from_binary(&engine, &bytes).unwrap_err();
    assert!(
        err.to_string().starts_with("malformed component: "),
        "{err}"
    );
    assert!(!format!("{err:#}").contains("module"), "{err}");
    // A core module's errors still say "module".
    let err = Module::new(&engine, "(module (func (result i32)))").unwrap_err();
    assert!(err.to_string().starts_with("invalid module: "), "{err}");
}

#[test]
fn values_and_start_functions_are_rejected_by_name() {
    let engine = engine();
    let cases = [
        (r#"(component (import "v" (value u32)))"#, "value imports"),
        (
            r#"(component
              (import "f" (func $f (param "x" u32) (result u32)))
              (import "v" (value $v u32))
              (start $f (value $v) (result (value $r)))
              (export "r" (value $r)))"#,
            "value imports",
        ),
        (
            r#"(component
              (core module $m (func (export "f")))
              (core instance $i (instantiate $m))
              (func $f (canon lift (core func $i "f")))
              (start $f))"#,
            "component start functions",
        ),
    ];
    for (text, what) in cases {
        let err = Component::new(&engine, text).unwrap_err();
        assert!(
            matches!(err.kind(), Some(ErrorKind::Invalid { .. })),
            "{err:?}"
        );
        assert!(format!("{err:#}").contains(what), "{text}: {err}");
        assert!(
            format!("{err:#}").contains("not supported"),
            "{text}: {err}"
        );
    }
}

#[test]
fn outer_aliases_of_modules_and_components_instantiate() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (core module $m (func (export "seven") (result i32) i32.const 7))
          (component $inner
            (core module $n (func (export "two") (result i32) i32.const 2))
            (component $leaf
              (alias outer 2 $m (core module $m))
              (core instance $i (instantiate $m))
              (func (export "seven") (result u32) (canon lift (core func $i "seven"))))
            (component $mid
              (alias outer 1 $leaf (component $leaf))
              (alias outer 1 $n (core module $n))
              (instance $l (instantiate $leaf))
              (core instance $j (instantiate $n))
              (export "seven" (func $l "seven"))
              (func (export "two") (result u32) (canon lift (core func $j "two"))))
            (instance $x (instantiate $mid))
            (export "seven" (func $x "seven"))
            (export "two" (func $x "two")))
          (instance $o (instantiate $inner))
          (export "seven" (func $o "seven"))
          (export "two" (func $o "two")))"#,
    )
    .expect("component");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiate");
    assert_eq!(
        call1(&mut store, &instance, "seven", &[]).ok(),
        Some(Val::U32(7))
    );
    assert_eq!(
        call1(&mut store, &instance, "two", &[]).ok(),
        Some(Val::U32(2))
    );
}

#[test]
fn imports_the_linker_cannot_define_are_named() {
    let engine = engine();
    let component =
        Component::new(&engine, r#"(component (import "c" (component)))"#).expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("define");
    let err = linker
        .instantiate(&mut Store::new(&engine, ()), &component)
        .unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Unlinkable(_))),
        "{err:?}"
    );
    assert!(format!("{err:#}").contains("`c`, a component"), "{err}");
    assert!(format!("{err:#}").contains("cannot define"), "{err}");
}

#[test]
fn async_features_are_rejected_by_name() {
    let engine = engine();
    let cases = [
        (r#"(component (type (stream u8)))"#, "`stream` type"),
        (r#"(component (type (future)))"#, "`future` type"),
        (
            r#"(component (type (func async (param "x" u32))))"#,
            "`async` function type",
        ),
        (
            r#"(component (core func (canon backpressure.inc)))"#,
            "backpressure",
        ),
        (
            r#"(component
                (core module $m (func (export "f") (result i32) i32.const 0)
                                (func (export "cb") (param i32 i32 i32) (result i32) i32.const 0))
                (core instance $i (instantiate $m))
                (func (export "f") (canon lift (core func $i "f") async (callback (core func $i "cb")))))"#,
            "`async` canonical option",
        ),
    ];
    for (wat, expected) in cases {
        let err = Component::new(&engine, wat).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(expected) && message.contains("async"),
            "{wat}: {message}"
        );
        assert!(!message.contains("feature is not enabled"), "{message}");
    }
}

#[test]
fn lifted_function_adds() {
    let (mut store, instance) = instantiate(ADD);
    let result = call1(&mut store, &instance, "add", &[Val::U32(40), Val::U32(2)]).expect("call");
    assert_eq!(result, Val::U32(42));
    let func = instance.get_func(&store, "add").expect("export");
    assert_eq!(func.params(&store).len(), 2);
    assert_eq!(&*func.results(&store), &[Type::U32]);
    // Wrong arity and wrong types are usage errors, not traps.
    let mut results = [Val::U32(0)];
    let err = func
        .call(&mut store, &[Val::U32(1)], &mut results)
        .unwrap_err();
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err:?}");
    assert!(
        func.call(&mut store, &[Val::U32(1), Val::S32(1)], &mut results)
            .is_err()
    );
    // The instance is still usable after a rejected call.
    let result = call1(&mut store, &instance, "add", &[Val::U32(1), Val::U32(2)]).expect("call");
    assert_eq!(result, Val::U32(3));
}

#[test]
fn host_import_called_through_canon_lower() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "double" (func $double (param "x" s64) (result s64)))
          (core func $d (canon lower (func $double)))
          (core module $m
            (import "host" "double" (func $double (param i64) (result i64)))
            (func (export "run") (param i64) (result i64)
              local.get 0 call $double i64.const 1 i64.add))
          (core instance $i (instantiate $m (with "host" (instance (export "double" (func $d))))))
          (func (export "run") (param "x" s64) (result s64) (canon lift (core func $i "run"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<Vec<i64>>::new(&engine);
    linker
        .root()
        .func_new("double", |mut store, _, params, results| {
            let Val::S64(x) = params[0] else {
                return Err(weft::Error::msg("wrong argument"));
            };
            store.data_mut().push(x);
            results[0] = Val::S64(x * 2);
            Ok(())
        })
        .expect("define");
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let run = instance.get_func(&store, "run").expect("run");
    let mut results = [Val::S64(0)];
    run.call(&mut store, &[Val::S64(-21)], &mut results)
        .expect("call");
    assert_eq!(results[0], Val::S64(-41));
    assert_eq!(store.data(), &[-21]);
}

const ENVIRONMENT: &str = r#"(component
  (import "wasi:cli/environment@0.2.6" (instance $env
    (export "answer" (func (result u32)))))
  (alias export $env "answer" (func $answer))
  (core func $a (canon lower (func $answer)))
  (core module $m
    (import "env" "answer" (func $answer (result i32)))
    (func (export "run") (result i32) call $answer))
  (core instance $i (instantiate $m (with "env" (instance (export "answer" (func $a))))))
  (func (export "run") (result u32) (canon lift (core func $i "run"))))"#;

fn environment_linker(engine: &Engine, versions: &[(&str, u32)]) -> Linker<()> {
    let mut linker = Linker::new(engine);
    for (version, answer) in versions {
        let answer = *answer;
        linker
            .instance(&format!("wasi:cli/environment@{version}"))
            .expect("instance")
            .func_new("answer", move |_, _, _, results| {
                results[0] = Val::U32(answer);
                Ok(())
            })
            .expect("define");
    }
    linker
}

#[test]
fn linker_matches_imports_by_semver() {
    let engine = engine();
    let component = Component::new(&engine, ENVIRONMENT).expect("component");
    let ty = component.component_type();
    let imports: Vec<_> = ty
        .imports(&engine)
        .map(|(name, item)| (name, item.ty))
        .collect();
    let [("wasi:cli/environment@0.2.6", ComponentItem::ComponentInstance(instance))] =
        imports.as_slice()
    else {
        panic!("unexpected imports {imports:?}");
    };
    let exports: Vec<_> = instance
        .exports(&engine)
        .map(|(name, item)| (name, item.ty))
        .collect();
    let [(name, ComponentItem::ComponentFunc(func))] = exports.as_slice() else {
        panic!("unexpected instance exports {exports:?}");
    };
    assert_eq!(*name, "answer");
    assert_eq!(func.to_string(), "func() -> u32");
    let run = |versions: &[(&str, u32)]| -> weft::Result<u32> {
        let linker = environment_linker(&engine, versions);
        let mut store = Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &component)?;
        match call1(&mut store, &instance, "run", &[])? {
            Val::U32(x) => Ok(x),
            other => panic!("unexpected {other:?}"),
        }
    };
    // A newer patch release satisfies the import; the highest compatible one wins; an exact
    // match wins over a newer one.
    assert_eq!(run(&[("0.2.12", 12)]).expect("0.2.12"), 12);
    assert_eq!(
        run(&[("0.2.7", 7), ("0.2.12", 12), ("0.3.0", 30)]).expect("pick"),
        12
    );
    assert_eq!(run(&[("0.2.6", 6), ("0.2.12", 12)]).expect("exact"), 6);
    // Another minor version of a 0.x package does not.
    let err = run(&[("0.3.0", 30)]).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Unlinkable(_))),
        "{err:?}"
    );
    assert!(
        format!("{err:#}").contains("wasi:cli/environment@0.2.6"),
        "{err}"
    );
}

#[test]
fn unknown_imports_can_be_defined_as_traps() {
    let engine = engine();
    let component = Component::new(&engine, ENVIRONMENT).expect("component");
    let mut linker = Linker::<()>::new(&engine);
    let err = linker
        .instantiate(&mut Store::new(&engine, ()), &component)
        .unwrap_err();
    assert!(format!("{err:#}").contains("not defined"), "{err}");
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("define");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let err = call1(&mut store, &instance, "run", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("`wasi:cli/environment@0.2.6#answer` has not been defined"),
        "{err}"
    );
}

#[test]
fn unknown_imports_as_traps_cannot_define_resource_types() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "host" (instance $h
            (export "r" (type $r (sub resource)))
            (export "make" (func (result (own $r))))
            (export "ping" (func)))))"#,
    )
    .expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("define");
    let err = linker
        .instantiate(&mut Store::new(&engine, ()), &component)
        .unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Unlinkable(_))),
        "{err:?}"
    );
    assert!(format!("{err:#}").contains("`host#r`"), "{err}");
    assert!(format!("{err:#}").contains("resource type"), "{err}");
    let err = linker.instantiate_pre(&component).err().expect("pre fails");
    assert!(format!("{err:#}").contains("`host#r`"), "{err}");
    // With the resource type defined, the functions beside it become traps.
    linker
        .instance("host")
        .expect("instance")
        .resource("r", ResourceType::host::<u32>(), |_, _| Ok(()))
        .expect("resource");
    linker
        .instantiate(&mut Store::new(&engine, ()), &component)
        .expect("instantiate");
}

#[test]
fn wrong_kind_of_definition_is_unlinkable() {
    let engine = engine();
    let component = Component::new(&engine, ENVIRONMENT).expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_new("wasi:cli/environment@0.2.6", |_, _, _, _| Ok(()))
        .expect("define");
    let err = linker
        .instantiate(&mut Store::new(&engine, ()), &component)
        .unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Unlinkable(_))),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "component imports `wasi:cli/environment@0.2.6` as an instance, but it is defined \
         as a function"
    );
}

#[test]
fn reentering_an_instance_traps() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "callback" (func $cb))
          (core func $cb (canon lower (func $cb)))
          (core module $m
            (import "host" "cb" (func $cb))
            (func (export "run") call $cb)
            (func (export "leaf")))
          (core instance $i (instantiate $m (with "host" (instance (export "cb" (func $cb))))))
          (func (export "run") (canon lift (core func $i "run")))
          (func (export "leaf") (canon lift (core func $i "leaf"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<Option<weft::component::Func>>::new(&engine);
    linker
        .root()
        .func_new("callback", |mut store, _, _, _| {
            let leaf = store.data().expect("leaf set");
            leaf.call(&mut store, &[], &mut [])
        })
        .expect("define");
    let mut store = Store::new(&engine, None);
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let leaf = instance.get_func(&store, "leaf").expect("leaf");
    *store.data_mut() = Some(leaf);
    leaf.call(&mut store, &[], &mut []).expect("leaf alone");
    let run = instance.get_func(&store, "run").expect("run");
    let err = run.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(
        err.trap_code(),
        Some(TrapCode::CannotEnterComponent),
        "{err}"
    );
    assert!(
        format!("{err:#}").contains("cannot enter component instance"),
        "{err}"
    );
}

#[test]
fn trap_poisons_the_instance() {
    let (mut store, instance) = instantiate(
        r#"(component
          (core module $m (func (export "boom") unreachable) (func (export "ok")))
          (core instance $i (instantiate $m))
          (func (export "boom") (canon lift (core func $i "boom")))
          (func (export "ok") (canon lift (core func $i "ok"))))"#,
    );
    let boom = instance.get_func(&store, "boom").expect("boom");
    let ok = instance.get_func(&store, "ok").expect("ok");
    ok.call(&mut store, &[], &mut []).expect("ok");
    let err = boom.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.trap_code(), Some(Trap::UnreachableCodeReached));
    let err = ok.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(
        err.trap_code(),
        Some(TrapCode::CannotEnterComponent),
        "{err}"
    );
}

#[test]
fn post_return_runs_after_each_call_and_may_not_leave() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "log" (func $log (param "x" u32)))
          (core func $log (canon lower (func $log)))
          (core module $m
            (import "host" "log" (func $log (param i32)))
            (global $calls (mut i32) (i32.const 0))
            (func (export "get") (result i32)
              (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
              global.get $calls)
            (global $sum (mut i32) (i32.const 0))
            (func (export "get-post") (param i32)
              (global.set $sum (i32.add (global.get $sum) (local.get 0))))
            (func (export "sum") (result i32) global.get $sum)
            (func (export "bad") (result i32) i32.const 7)
            (func (export "bad-post") (param i32)
              (call $log (local.get 0))))
          (core instance $i (instantiate $m (with "host" (instance (export "log" (func $log))))))
          (func (export "get") (result u32)
            (canon lift (core func $i "get") (post-return (core func $i "get-post"))))
          (func (export "bad") (result u32)
            (canon lift (core func $i "bad") (post-return (core func $i "bad-post"))))
          (func (export "sum") (result u32) (canon lift (core func $i "sum"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<Vec<u32>>::new(&engine);
    linker
        .root()
        .func_new("log", |mut store, _, params, _| {
            if let Val::U32(x) = params[0] {
                store.data_mut().push(x);
            }
            Ok(())
        })
        .expect("define");
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let bad = instance.get_func(&store, "bad").expect("bad");
    let mut results = [Val::U32(0)];
    let err = bad.call(&mut store, &[], &mut results).unwrap_err();
    assert_eq!(
        err.trap_code(),
        Some(TrapCode::CannotLeaveComponent),
        "{err}"
    );
    assert!(format!("{err:#}").contains("cannot leave component instance"));
    assert!(store.data().is_empty());

    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let get = instance.get_func(&store, "get").expect("get");
    for expected in 1..=3 {
        get.call(&mut store, &[], &mut results).expect("call");
        assert_eq!(results[0], Val::U32(expected));
        #[allow(deprecated)]
        get.post_return(&mut store).expect("no-op");
    }
    // `post-return` ran once per call, with the core result: 1 + 2 + 3.
    let sum = instance.get_func(&store, "sum").expect("sum");
    sum.call(&mut store, &[], &mut results).expect("sum");
    assert_eq!(results[0], Val::U32(6));
    assert!(store.data().is_empty());
}

/// Flips and truncates a valid component's bytes: every variant must be an `Err` or a
/// component, never a panic.
#[test]
fn mutated_component_bytes_never_panic() {
    let engine = engine();
    let binary = wat::parse_str(
        r#"(component
          (import "f" (func $f (param "s" string) (result string)))
          (core module $libc (memory (export "mem") 1)
            (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64))
          (core instance $libc (instantiate $libc))
          (core func $f (canon lower (func $f) (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (type $r (resource (rep i32)))
          (core func $new (canon resource.new $r))
          (core module $m
            (import "host" "f" (func (param i32 i32 i32)))
            (import "host" "new" (func (param i32) (result i32)))
            (func (export "g") (param i32 i32) (result i32) i32.const 0))
          (core instance $i (instantiate $m (with "host" (instance
            (export "f" (func $f)) (export "new" (func $new))))))
          (func (export "g") (param "s" string) (result string)
            (canon lift (core func $i "g") (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
          (component $inner)
          (instance (instantiate $inner)))"#,
    )
    .expect("wat");
    Component::from_binary(&engine, &binary).expect("valid");
    // A prefix that ends between two sections is a valid (smaller) component; any other
    // prefix is an error.
    let mut accepted = 0;
    for len in 0..binary.len() {
        let truncated = binary.get(..len).expect("prefix");
        if Component::from_binary(&engine, truncated).is_ok() {
            accepted += 1;
        }
    }
    assert!(accepted < 20, "{accepted} prefixes accepted");
    // Whatever still compiles must also instantiate or fail cleanly.
    let mut linker = Linker::<()>::new(&engine);
    let valid = Component::from_binary(&engine, &binary).expect("valid");
    linker
        .define_unknown_imports_as_traps(&valid)
        .expect("traps");
    let mut mutated = binary.clone();
    let mut compiled = 0;
    for i in 8..binary.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let original = mutated[i];
            mutated[i] ^= flip;
            if let Ok(component) = Component::from_binary(&engine, &mutated) {
                compiled += 1;
                let mut store = Store::new(&engine, ());
                let _ = linker.instantiate(&mut store, &component);
            }
            mutated[i] = original;
        }
    }
    assert!(
        compiled > 0,
        "no mutation compiled: the instantiation half tested nothing"
    );
}

const GUEST_RESOURCE: &str = r#"(component
  (import "log" (func $log (param "x" u32)))
  (core func $log (canon lower (func $log)))
  (core module $d
    (import "host" "log" (func $log (param i32)))
    (func (export "dtor") (param i32) (call $log (local.get 0))))
  (core instance $d (instantiate $d (with "host" (instance (export "log" (func $log))))))
  (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
  (core func $new (canon resource.new $r))
  (core func $rep (canon resource.rep $r))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (func (export "run") (result i32) (local $h i32) (local $x i32)
      (local.set $h (call $new (i32.const 42)))
      (local.set $x (call $rep (local.get $h)))
      (call $drop (local.get $h))
      (local.get $x))
    (func (export "double-drop") (local $h i32)
      (local.set $h (call $new (i32.const 7)))
      (call $drop (local.get $h))
      (call $drop (local.get $h))))
  (core instance $i (instantiate $m (with "r" (instance
    (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
  (func (export "run") (result u32) (canon lift (core func $i "run")))
  (func (export "double-drop") (canon lift (core func $i "double-drop"))))"#;

#[test]
fn guest_resources_new_rep_drop_and_dtor() {
    let engine = engine();
    let component = Component::new(&engine, GUEST_RESOURCE).expect("component");
    let mut linker = Linker::<Vec<u32>>::new(&engine);
    linker
        .root()
        .func_new("log", |mut store, _, params, _| {
            if let Val::U32(x) = params[0] {
                store.data_mut().push(x);
            }
            Ok(())
        })
        .expect("define");
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let run = instance.get_func(&store, "run").expect("run");
    let mut results = [Val::U32(0)];
    run.call(&mut store, &[], &mut results).expect("run");
    assert_eq!(results[0], Val::U32(42));
    // Dropping the last own handle ran the destructor with the representation.
    assert_eq!(store.data(), &[42]);
    let double = instance
        .get_func(&store, "double-drop")
        .expect("double-drop");
    let err = double.call(&mut store, &[], &mut []).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::UnknownHandle), "{err:?}");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
    assert_eq!(store.data(), &[42, 7]);
}

#[test]
fn composed_components_call_each_other() {
    let (mut store, instance) = instantiate(
        r#"(component
          (component $inner
            (core module $m (func (export "mul") (param i32 i32) (result i32)
              local.get 0 local.get 1 i32.mul))
            (core instance $i (instantiate $m))
            (func (export "mul") (param "a" u32) (param "b" u32) (result u32)
              (canon lift (core func $i "mul"))))
          (component $outer
            (import "mul" (func $mul (param "a" u32) (param "b" u32) (result u32)))
            (core func $mul (canon lower (func $mul)))
            (core module $m
              (import "dep" "mul" (func $mul (param i32 i32) (result i32)))
              (func (export "square-plus-one") (param i32) (result i32)
                (i32.add (call $mul (local.get 0) (local.get 0)) (i32.const 1))))
            (core instance $i (instantiate $m (with "dep" (instance (export "mul" (func $mul))))))
            (func (export "square-plus-one") (param "x" u32) (result u32)
              (canon lift (core func $i "square-plus-one"))))
          (instance $a (instantiate $inner))
          (instance $b (instantiate $outer (with "mul" (func $a "mul"))))
          (export "square-plus-one" (func $b "square-plus-one"))
          (export "inner" (instance $a)))"#,
    );
    let result = call1(&mut store, &instance, "square-plus-one", &[Val::U32(9)]).expect("call");
    assert_eq!(result, Val::U32(82));
    // An exported instance's functions are reached as `instance#func`.
    let result = call1(
        &mut store,
        &instance,
        "inner#mul",
        &[Val::U32(6), Val::U32(7)],
    )
    .expect("call");
    assert_eq!(result, Val::U32(42));
}

#[test]
fn nested_component_imports_must_match_types() {
    let engine = engine();
    // The validator checks instantiation arguments; a mismatch is an error at `new`.
    let err = Component::new(
        &engine,
        r#"(component
          (component $c (import "f" (func (param "x" u32))))
          (component $d
            (core module $m (func (export "f") (param i64)))
            (core instance $i (instantiate $m))
            (func (export "f") (param "x" u64) (canon lift (core func $i "f"))))
          (instance $d (instantiate $d))
          (instance (instantiate $c (with "f" (func $d "f")))))"#,
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Invalid { .. })),
        "{err:?}"
    );
}

#[test]
fn core_module_imports_come_from_the_linker() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "m" (core module $m (export "seven" (func (result i32)))))
          (core instance $i (instantiate $m))
          (func (export "seven") (result u32) (canon lift (core func $i "seven"))))"#,
    )
    .expect("component");
    let module = Module::new(
        &engine,
        r#"(module (func (export "seven") (result i32) i32.const 7))"#,
    )
    .expect("module");
    let mut linker = Linker::<()>::new(&engine);
    linker.root().module("m", &module).expect("define");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    assert_eq!(
        call1(&mut store, &instance, "seven", &[]).expect("call"),
        Val::U32(7)
    );
}

/// A core module with a memory and a bump-allocating `realloc` that copies on growth.
const LIBC: &str = r#"(core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param $old i32) (param $old_size i32) (param $align i32)
        (param $new_size i32) (result i32)
      (local $ret i32)
      (local.set $ret (i32.and
        (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get $align))))
      (global.set $bump (i32.add (local.get $ret) (local.get $new_size)))
      (block $ok
        (br_if $ok (i32.le_u (global.get $bump) (i32.mul (memory.size) (i32.const 65536))))
        (drop (memory.grow (i32.add (i32.const 1)
          (i32.shr_u (i32.sub (global.get $bump) (i32.mul (memory.size) (i32.const 65536)))
                     (i32.const 16))))))
      (memory.copy (local.get $ret) (local.get $old)
        (select (local.get $old_size) (local.get $new_size)
                (i32.lt_u (local.get $old_size) (local.get $new_size))))
      (local.get $ret)))
  (core instance $libc (instantiate $libc))"#;

const OPTS: &str = r#"(memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))"#;

const ENCODINGS: [&str; 3] = ["utf8", "utf16", "latin1+utf16"];

/// A component exporting `echo: func(s: string) -> string` and `len: func(s: string) -> u32`
/// (the raw core length) whose core code uses `encoding`.
fn echo_component(encoding: &str) -> String {
    format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (func (export "echo") (param i32 i32) (result i32)
              (i32.store (i32.const 16) (local.get 0))
              (i32.store (i32.const 20) (local.get 1))
              (i32.const 16))
            (func (export "len") (param i32 i32) (result i32) local.get 1))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (func (export "echo") (param "s" string) (result string)
            (canon lift (core func $i "echo") {OPTS} string-encoding={encoding}))
          (func (export "len") (param "s" string) (result u32)
            (canon lift (core func $i "len") {OPTS} string-encoding={encoding})))"#
    )
}

const STRINGS: [&str; 5] = ["", "hello", "héllo wörld", "日本語 😀", "mixed é and 😀"];

#[test]
fn strings_round_trip_in_every_encoding() {
    for encoding in ENCODINGS {
        let (mut store, instance) = instantiate(&echo_component(encoding));
        for s in STRINGS {
            let echoed = call1(&mut store, &instance, "echo", &[Val::String(s.into())])
                .unwrap_or_else(|e| panic!("{encoding} {s:?}: {e}"));
            assert_eq!(echoed, Val::String(s.into()), "{encoding}");
            let len = call1(&mut store, &instance, "len", &[Val::String(s.into())]).expect("len");
            let units = s.encode_utf16().count() as u32;
            let expected = match encoding {
                "utf8" => s.len() as u32,
                "utf16" => units,
                _ if s.chars().all(|c| u32::from(c) < 256) => s.chars().count() as u32,
                _ => units | 1 << 31,
            };
            assert_eq!(len, Val::U32(expected), "{encoding} {s:?}");
        }
    }
}

/// Every pair of string encodings between a caller and a callee component: the caller
/// lowers the callee's lifted `echo`, so the string crosses from one memory and encoding to
/// the other and back.
#[test]
fn composed_components_transcode_all_nine_encoding_pairs() {
    for callee in ENCODINGS {
        for caller in ENCODINGS {
            let wat = format!(
                r#"(component
                  (component $callee {inner})
                  (instance $callee (instantiate $callee))
                  (alias export $callee "echo" (func $echo))
                  {LIBC}
                  (core func $echo (canon lower (func $echo) {OPTS} string-encoding={caller}))
                  (core module $m
                    (import "libc" "mem" (memory 1))
                    (import "dep" "echo" (func $echo (param i32 i32 i32)))
                    (func (export "run") (param i32 i32) (result i32)
                      (call $echo (local.get 0) (local.get 1) (i32.const 32))
                      (i32.const 32)))
                  (core instance $i (instantiate $m
                    (with "libc" (instance $libc))
                    (with "dep" (instance (export "echo" (func $echo))))))
                  (func (export "run") (param "s" string) (result string)
                    (canon lift (core func $i "run") {OPTS} string-encoding={caller})))"#,
                inner = echo_component(callee)
                    .trim()
                    .strip_prefix("(component")
                    .and_then(|s| s.strip_suffix(')'))
                    .expect("component text"),
            );
            let (mut store, instance) = instantiate(&wat);
            for s in STRINGS {
                let echoed = call1(&mut store, &instance, "run", &[Val::String(s.into())])
                    .unwrap_or_else(|e| panic!("{caller} -> {callee} {s:?}: {e}"));
                assert_eq!(echoed, Val::String(s.into()), "{caller} -> {callee}");
            }
        }
    }
}

#[test]
fn invalid_strings_from_the_guest_trap() {
    let (mut store, instance) = instantiate(&format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (data (memory 0) (i32.const 100) "\ff\fe")
            (func (export "bad-utf8") (result i32)
              (i32.store (i32.const 16) (i32.const 100))
              (i32.store (i32.const 20) (i32.const 2))
              (i32.const 16))
            (func (export "out-of-bounds") (result i32)
              (i32.store (i32.const 16) (i32.const 65530))
              (i32.store (i32.const 20) (i32.const 100))
              (i32.const 16)))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (func (export "bad-utf8") (result string)
            (canon lift (core func $i "bad-utf8") {OPTS}))
          (func (export "out-of-bounds") (result string)
            (canon lift (core func $i "out-of-bounds") {OPTS})))"#
    ));
    let err = call1(&mut store, &instance, "bad-utf8", &[]).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::InvalidString), "{err}");
    assert!(format!("{err:#}").contains("invalid utf-8"), "{err}");
    let (mut store, instance) = {
        // The first trap poisoned the instance; use a fresh one.
        let _ = store;
        instantiate(&format!(
            r#"(component
              {LIBC}
              (core module $m
                (import "libc" "mem" (memory 1))
                (func (export "f") (result i32)
                  (i32.store (i32.const 16) (i32.const 65530))
                  (i32.store (i32.const 20) (i32.const 100))
                  (i32.const 16)))
              (core instance $i (instantiate $m (with "libc" (instance $libc))))
              (func (export "f") (result string) (canon lift (core func $i "f") {OPTS})))"#
        ))
    };
    let err = call1(&mut store, &instance, "f", &[]).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StringOutOfBounds), "{err}");
}

/// A host resource: a file with a size, kept in the store's `ResourceTable`.
struct File {
    size: u32,
}

#[derive(Default)]
struct Host {
    table: weft::component::ResourceTable,
    dropped: Vec<u32>,
}

#[test]
fn host_resources_own_and_borrow() {
    use weft::component::{Resource, ResourceAny};
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "file" (type $file (sub resource)))
          (import "open" (func $open (param "name" u32) (result (own $file))))
          (import "[method]file.size" (func $size (param "self" (borrow $file)) (result u32)))
          (core func $open (canon lower (func $open)))
          (core func $size (canon lower (func $size)))
          (core func $drop (canon resource.drop $file))
          (core module $m
            (import "h" "open" (func $open (param i32) (result i32)))
            (import "h" "size" (func $size (param i32) (result i32)))
            (import "h" "drop" (func $drop (param i32)))
            (func (export "run") (param i32) (result i32) (local $f i32) (local $s i32)
              (local.set $f (call $open (local.get 0)))
              (local.set $s (call $size (local.get $f)))
              (call $drop (local.get $f))
              (local.get $s))
            (func (export "keep-borrow") (param i32) (result i32) (call $size (local.get 0)))
            (func (export "drop-borrow") (param i32) (result i32) (local $s i32)
              (local.set $s (call $size (local.get 0)))
              (call $drop (local.get 0))
              (local.get $s))
            (func (export "consume") (param i32) (call $drop (local.get 0))))
          (core instance $i (instantiate $m (with "h" (instance
            (export "open" (func $open)) (export "size" (func $size)) (export "drop" (func $drop))))))
          (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
          (func (export "keep-borrow") (param "f" (borrow $file)) (result u32)
            (canon lift (core func $i "keep-borrow")))
          (func (export "drop-borrow") (param "f" (borrow $file)) (result u32)
            (canon lift (core func $i "drop-borrow")))
          (func (export "consume") (param "f" (own $file)) (canon lift (core func $i "consume"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<Host>::new(&engine);
    let mut root = linker.root();
    root.resource("file", ResourceType::host::<File>(), |mut store, rep| {
        let file = store
            .data_mut()
            .table
            .delete(Resource::<File>::new_own(rep))
            .map_err(weft::Error::new)?;
        store.data_mut().dropped.push(file.size);
        Ok(())
    })
    .expect("resource");
    root.func_new("open", |mut store, _, params, results| {
        let Val::U32(x) = params[0] else {
            return Err(weft::Error::msg("bad argument"));
        };
        let file = store
            .data_mut()
            .table
            .push(File { size: x * 10 })
            .map_err(weft::Error::new)?;
        results[0] = Val::Resource(ResourceAny::from_resource(file));
        Ok(())
    })
    .expect("open");
    root.func_new("[method]file.size", |store, _, params, results| {
        let Val::Resource(file) = &params[0] else {
            return Err(weft::Error::msg("bad argument"));
        };
        assert!(
            !file.owned(),
            "a borrow reaches the host as a borrowed handle"
        );
        let file = file.clone().try_into_resource::<File>()?;
        let size = store
            .data()
            .table
            .get(&file)
            .map_err(weft::Error::new)?
            .size;
        results[0] = Val::U32(size);
        Ok(())
    })
    .expect("size");
    let mut store = Store::new(&engine, Host::default());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let run = instance.get_func(&store, "run").expect("run");
    let mut results = [Val::U32(0)];
    run.call(&mut store, &[Val::U32(4)], &mut results)
        .expect("run");
    assert_eq!(results[0], Val::U32(40));
    // The guest dropped its own handle: the host destructor ran and the table is empty.
    assert_eq!(store.data().dropped, [40]);
    assert!(store.data().table.is_empty());

    // The host lends a file to the guest, which drops the borrow before returning.
    let file = store.data_mut().table.push(File { size: 3 }).expect("push");
    let file = ResourceAny::from_resource(file);
    let drop_borrow = instance
        .get_func(&store, "drop-borrow")
        .expect("drop-borrow");
    drop_borrow
        .call(&mut store, &[Val::Resource(file.clone())], &mut results)
        .expect("drop-borrow");
    assert_eq!(results[0], Val::U32(3));
    // The host gives the file away: the guest's drop runs the host destructor.
    let consume = instance.get_func(&store, "consume").expect("consume");
    consume
        .call(&mut store, &[Val::Resource(file)], &mut [])
        .expect("consume");
    assert_eq!(store.data().dropped, [40, 3]);
    // A borrow the guest keeps past its return traps.
    let file = store.data_mut().table.push(File { size: 5 }).expect("push");
    let keep = instance
        .get_func(&store, "keep-borrow")
        .expect("keep-borrow");
    let err = keep
        .call(
            &mut store,
            &[Val::Resource(ResourceAny::from_resource(file))],
            &mut results,
        )
        .unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::BorrowsRemain), "{err}");
    assert!(
        err.to_string()
            .contains("borrow handles still remain at the end of the call"),
        "{err}"
    );
}

#[test]
fn guest_resources_reach_the_host() {
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "log" (func $log (param "x" u32)))
          (core func $log (canon lower (func $log)))
          (core module $d
            (import "host" "log" (func $log (param i32)))
            (func (export "dtor") (param i32) (call $log (local.get 0))))
          (core instance $d (instantiate $d (with "host" (instance (export "log" (func $log))))))
          (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
          (core func $new (canon resource.new $r))
          (core module $m
            (import "r" "new" (func $new (param i32) (result i32)))
            (func (export "ctor") (param i32) (result i32) (call $new (local.get 0)))
            (func (export "get") (param i32) (result i32) (local.get 0)))
          (core instance $i (instantiate $m (with "r" (instance (export "new" (func $new))))))
          (export $thing "thing" (type $r))
          (func (export "[constructor]thing") (param "x" u32) (result (own $thing))
            (canon lift (core func $i "ctor")))
          (func (export "[method]thing.get") (param "self" (borrow $thing)) (result u32)
            (canon lift (core func $i "get"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<Vec<u32>>::new(&engine);
    linker
        .root()
        .func_new("log", |mut store, _, params, _| {
            if let Val::U32(x) = params[0] {
                store.data_mut().push(x);
            }
            Ok(())
        })
        .expect("define");
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let Some(weft::component::Export::Resource(thing_ty)) = instance.get_export(&store, "thing")
    else {
        panic!("`thing` is not an exported resource");
    };
    let ctor = instance
        .get_func(&store, "[constructor]thing")
        .expect("ctor");
    let mut results = [Val::Bool(false)];
    ctor.call(&mut store, &[Val::U32(77)], &mut results)
        .expect("ctor");
    let Val::Resource(thing) = results[0].clone() else {
        panic!("constructor returned {:?}", results[0]);
    };
    assert!(thing.owned());
    assert_eq!(thing.ty(), thing_ty);
    let get = instance.get_func(&store, "[method]thing.get").expect("get");
    get.call(&mut store, &[Val::Resource(thing.clone())], &mut results)
        .expect("get");
    // The defining instance receives its own resource's representation for a borrow.
    assert_eq!(results[0], Val::U32(77));
    assert!(store.data().is_empty());
    thing.resource_drop(&mut store).expect("drop");
    assert_eq!(store.data(), &[77]);
}

/// A component defining resource `thing` (representation `x`, destructor logging `x` through
/// the imported `log`), with a constructor, a borrowing `get` and a `take` that keeps the
/// `own` handle it receives.
const THING: &str = r#"(component
  (import "log" (func $log (param "x" u32)))
  (core func $log (canon lower (func $log)))
  (core module $d
    (import "host" "log" (func $log (param i32)))
    (func (export "dtor") (param i32) (call $log (local.get 0))))
  (core instance $d (instantiate $d (with "host" (instance (export "log" (func $log))))))
  (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (func (export "ctor") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "get") (param i32) (result i32) (local.get 0)))
  (core instance $i (instantiate $m (with "r" (instance (export "new" (func $new))))))
  (export $thing "thing" (type $r))
  (func (export "[constructor]thing") (param "x" u32) (result (own $thing))
    (canon lift (core func $i "ctor")))
  (func (export "[method]thing.get") (param "self" (borrow $thing)) (result u32)
    (canon lift (core func $i "get")))
  (func (export "take") (param "t" (own $thing)) (result u32)
    (canon lift (core func $i "get"))))"#;

/// Instantiates [`THING`] with a `log` that records the destructor's calls in the store.
fn thing_instance() -> (Store<Vec<u32>>, weft::component::Instance) {
    let engine = engine();
    let component = Component::new(&engine, THING).expect("component");
    let mut linker = Linker::<Vec<u32>>::new(&engine);
    linker
        .root()
        .func_new("log", |mut store, _, params, _| {
            if let Val::U32(x) = params[0] {
                store.data_mut().push(x);
            }
            Ok(())
        })
        .expect("define");
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    (store, instance)
}

/// Calls `name` on the [`THING`] instance with `params` and returns its one result.
fn thing_call(
    store: &mut Store<Vec<u32>>,
    instance: &weft::component::Instance,
    name: &str,
    params: &[Val],
) -> weft::Result<Val> {
    let func = instance.get_func(&*store, name).expect("export exists");
    let mut results = [Val::Bool(false)];
    func.call(&mut *store, params, &mut results)?;
    let [result] = results;
    Ok(result)
}

fn new_thing(
    store: &mut Store<Vec<u32>>,
    instance: &weft::component::Instance,
    x: u32,
) -> weft::component::ResourceAny {
    match thing_call(store, instance, "[constructor]thing", &[Val::U32(x)]) {
        Ok(Val::Resource(r)) => r,
        other => panic!("constructor returned {other:?}"),
    }
}

#[test]
fn stale_guest_resource_handles_are_errors() {
    let (mut store, instance) = thing_instance();
    let thing = new_thing(&mut store, &instance, 77);
    let copy = thing.clone();
    thing.resource_drop(&mut store).expect("first drop");
    assert_eq!(store.data(), &[77]);
    // A second drop through a copy is an error and the destructor does not run again.
    let err = copy
        .clone()
        .resource_drop(&mut store)
        .expect_err("double drop");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
    assert_eq!(store.data(), &[77]);
    // A new resource may reuse the host table's entry; the stale copy still cannot reach it.
    let other = new_thing(&mut store, &instance, 78);
    assert!(copy.clone().resource_drop(&mut store).is_err());
    assert_eq!(store.data(), &[77]);
    let get = |store: &mut Store<Vec<u32>>, r: &weft::component::ResourceAny| {
        thing_call(
            store,
            &instance,
            "[method]thing.get",
            &[Val::Resource(r.clone())],
        )
    };
    assert_eq!(get(&mut store, &other).expect("live borrow"), Val::U32(78));
    other.resource_drop(&mut store).expect("drop");
    assert_eq!(store.data(), &[77, 78]);
    // Lending a stale handle fails before the guest sees it.
    let err = get(&mut store, &copy).expect_err("stale borrow");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
}

#[test]
fn a_usage_error_while_lowering_leaves_the_callee_enterable() {
    let (mut store, instance) = thing_instance();
    let live = new_thing(&mut store, &instance, 5);
    let stale = new_thing(&mut store, &instance, 6);
    stale.clone().resource_drop(&mut store).expect("drop");
    // A stale borrow, a stale `own`, and a value of the wrong type: each is the host's
    // mistake, reported before the callee runs.
    let err = thing_call(
        &mut store,
        &instance,
        "[method]thing.get",
        &[Val::Resource(stale.clone())],
    )
    .expect_err("stale borrow");
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err}");
    let err =
        thing_call(&mut store, &instance, "take", &[Val::Resource(stale)]).expect_err("stale own");
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err}");
    let err = thing_call(&mut store, &instance, "take", &[Val::U32(1)]).expect_err("wrong type");
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err}");
    // The instance is still enterable, through `Val`s and typed calls alike.
    let get = |store: &mut Store<Vec<u32>>, r: &weft::component::ResourceAny| {
        thing_call(
            store,
            &instance,
            "[method]thing.get",
            &[Val::Resource(r.clone())],
        )
    };
    assert_eq!(get(&mut store, &live).expect("live borrow"), Val::U32(5));
    let typed = instance
        .get_typed_func::<(weft::component::ResourceAny,), (u32,)>(&mut store, "take")
        .expect("typed");
    let stale = new_thing(&mut store, &instance, 7);
    stale.clone().resource_drop(&mut store).expect("drop");
    let err = typed
        .call(&mut store, (stale,))
        .expect_err("typed stale own");
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err}");
    // `take` returns the handle index the callee received: its table is unharmed.
    assert_eq!(typed.call(&mut store, (live,)).expect("typed take"), (1,));
}

#[test]
fn typed_calls_check_host_handles_too() {
    use weft::component::ResourceAny;
    let (mut store, instance) = thing_instance();
    let make = instance
        .get_typed_func::<(u32,), (ResourceAny,)>(&mut store, "[constructor]thing")
        .expect("typed constructor");
    let take = instance
        .get_typed_func::<(ResourceAny,), (u32,)>(&mut store, "take")
        .expect("typed take");
    let (thing,) = make.call(&mut store, (3,)).expect("make");
    let kept = thing.clone();
    assert_eq!(take.call(&mut store, (thing,)).expect("take"), (1,));
    let err = take.call(&mut store, (kept.clone(),)).expect_err("moved");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
    assert!(kept.resource_drop(&mut store).is_err());
    assert!(store.data().is_empty(), "{:?}", store.data());
}

#[test]
fn handles_moved_into_a_component_are_stale() {
    let (mut store, instance) = thing_instance();
    let thing = new_thing(&mut store, &instance, 5);
    let kept = thing.clone();
    // `take` receives the `own` handle: the component owns the resource from now on.
    assert_eq!(
        thing_call(&mut store, &instance, "take", &[Val::Resource(thing)]).expect("take"),
        Val::U32(1)
    );
    let err = thing_call(
        &mut store,
        &instance,
        "take",
        &[Val::Resource(kept.clone())],
    )
    .expect_err("moved handle");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
    let err = kept.resource_drop(&mut store).expect_err("moved handle");
    assert!(format!("{err:#}").contains("unknown handle index"), "{err}");
    assert!(
        store.data().is_empty(),
        "no destructor ran: {:?}",
        store.data()
    );
}

#[test]
fn host_resources_inside_imported_instances() {
    use weft::component::{Resource, ResourceAny};
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "wasi:io/streams@0.2.0" (instance $streams
            (export "output-stream" (type $os (sub resource)))
            (export "[method]output-stream.write" (func (param "self" (borrow $os)) (param "byte" u8)))
            (export "open" (func (result (own $os))))))
          (alias export $streams "output-stream" (type $os))
          (alias export $streams "[method]output-stream.write" (func $write))
          (alias export $streams "open" (func $open))
          (core func $write (canon lower (func $write)))
          (core func $open (canon lower (func $open)))
          (core func $drop (canon resource.drop $os))
          (core module $m
            (import "s" "write" (func $write (param i32 i32)))
            (import "s" "open" (func $open (result i32)))
            (import "s" "drop" (func $drop (param i32)))
            (func (export "run") (local $s i32)
              (local.set $s (call $open))
              (call $write (local.get $s) (i32.const 104))
              (call $write (local.get $s) (i32.const 105))
              (call $drop (local.get $s))))
          (core instance $i (instantiate $m (with "s" (instance
            (export "write" (func $write)) (export "open" (func $open)) (export "drop" (func $drop))))))
          (func (export "run") (canon lift (core func $i "run"))))"#,
    )
    .expect("component");
    struct Stream(Vec<u8>);
    #[derive(Default)]
    struct Data {
        table: weft::component::ResourceTable,
        closed: Vec<Vec<u8>>,
    }
    let mut linker = Linker::<Data>::new(&engine);
    // A newer patch version of the interface satisfies the import.
    let mut streams = linker.instance("wasi:io/streams@0.2.3").expect("instance");
    streams
        .resource(
            "output-stream",
            ResourceType::host::<Stream>(),
            |mut store, rep| {
                let stream = store
                    .data_mut()
                    .table
                    .delete(Resource::<Stream>::new_own(rep))
                    .map_err(weft::Error::new)?;
                store.data_mut().closed.push(stream.0);
                Ok(())
            },
        )
        .expect("resource");
    streams
        .func_new("open", |mut store, _, _, results| {
            let stream = store
                .data_mut()
                .table
                .push(Stream(Vec::new()))
                .map_err(weft::Error::new)?;
            results[0] = Val::Resource(ResourceAny::from_resource(stream));
            Ok(())
        })
        .expect("open");
    streams
        .func_new("[method]output-stream.write", |mut store, _, params, _| {
            let (Val::Resource(stream), Val::U8(byte)) = (&params[0], &params[1]) else {
                return Err(weft::Error::msg("bad arguments"));
            };
            let stream = stream.clone().try_into_resource::<Stream>()?;
            store
                .data_mut()
                .table
                .get_mut(&stream)
                .map_err(weft::Error::new)?
                .0
                .push(*byte);
            Ok(())
        })
        .expect("write");
    let mut store = Store::new(&engine, Data::default());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let run = instance.get_func(&store, "run").expect("run");
    run.call(&mut store, &[], &mut []).expect("run");
    assert_eq!(store.data().closed, [b"hi".to_vec()]);
}

#[test]
fn resources_cross_between_composed_components() {
    let (mut store, instance) = instantiate(
        r#"(component
          (component $counter
            (type $c (resource (rep i32)))
            (core func $new (canon resource.new $c))
            (core module $m
              (import "r" "new" (func $new (param i32) (result i32)))
              (global $next (mut i32) (i32.const 100))
              (func (export "make") (result i32)
                (global.set $next (i32.add (global.get $next) (i32.const 1)))
                (call $new (global.get $next)))
              (func (export "value") (param i32) (result i32) local.get 0))
            (core instance $i (instantiate $m (with "r" (instance (export "new" (func $new))))))
            (export $ce "counter" (type $c))
            (func (export "make") (result (own $ce)) (canon lift (core func $i "make")))
            (func (export "value") (param "c" (borrow $ce)) (result u32)
              (canon lift (core func $i "value"))))
          (component $user
            (import "counter" (type $c (sub resource)))
            (import "make" (func $make (result (own $c))))
            (import "value" (func $value (param "c" (borrow $c)) (result u32)))
            (core func $make (canon lower (func $make)))
            (core func $value (canon lower (func $value)))
            (core func $drop (canon resource.drop $c))
            (core module $m
              (import "d" "make" (func $make (result i32)))
              (import "d" "value" (func $value (param i32) (result i32)))
              (import "d" "drop" (func $drop (param i32)))
              (func (export "run") (result i32) (local $a i32) (local $b i32) (local $sum i32)
                (local.set $a (call $make))
                (local.set $b (call $make))
                (local.set $sum (i32.add (call $value (local.get $a)) (call $value (local.get $b))))
                (call $drop (local.get $a))
                (call $drop (local.get $b))
                (local.get $sum)))
            (core instance $i (instantiate $m (with "d" (instance
              (export "make" (func $make)) (export "value" (func $value)) (export "drop" (func $drop))))))
            (func (export "run") (result u32) (canon lift (core func $i "run"))))
          (instance $counter (instantiate $counter))
          (instance $user (instantiate $user
            (with "counter" (type $counter "counter"))
            (with "make" (func $counter "make"))
            (with "value" (func $counter "value"))))
          (export "run" (func $user "run")))"#,
    );
    let result = call1(&mut store, &instance, "run", &[]).expect("run");
    assert_eq!(result, Val::U32(101 + 102));
}

#[test]
fn instance_pre_checks_imports_once() {
    let engine = engine();
    let component = Component::new(&engine, ENVIRONMENT).expect("component");
    let err = Linker::<()>::new(&engine)
        .instantiate_pre(&component)
        .err()
        .expect("missing import");
    assert!(
        matches!(err.kind(), Some(ErrorKind::Unlinkable(_))),
        "{err:?}"
    );
    let linker = environment_linker(&engine, &[("0.2.9", 9)]);
    let pre = linker.instantiate_pre(&component).expect("pre");
    for _ in 0..2 {
        let mut store = Store::new(&engine, ());
        let instance = pre.instantiate(&mut store).expect("instantiate");
        assert_eq!(
            call1(&mut store, &instance, "run", &[]).expect("run"),
            Val::U32(9)
        );
    }
}

#[test]
fn imported_resource_types_are_exported_as_themselves() {
    struct T;
    struct U;
    let engine = engine();
    let component = Component::new(
        &engine,
        r#"(component
          (import "t" (type $t (sub resource)))
          (import "u" (type $u (sub resource)))
          (export "t1" (type $t))
          (export "t2" (type $t))
          (export "u1" (type $u))
          (component $c
            (import "r" (type $r (sub resource)))
            (export "r1" (type $r)))
          (instance $i (instantiate $c (with "r" (type $t))))
          (export "i" (instance $i)))"#,
    )
    .expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .resource("t", ResourceType::host::<T>(), |_, _| Ok(()))
        .expect("t");
    linker
        .root()
        .resource("u", ResourceType::host::<U>(), |_, _| Ok(()))
        .expect("u");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let resource = |name: &str| match instance.get_export(&store, name) {
        Some(weft::component::Export::Resource(ty)) => ty,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(resource("t1"), ResourceType::host::<T>());
    assert_eq!(resource("t2"), ResourceType::host::<T>());
    assert_eq!(resource("u1"), ResourceType::host::<U>());
    let Some(weft::component::Export::Instance(inner)) = instance.get_export(&store, "i") else {
        panic!("no instance export");
    };
    match instance.get_export_of(&inner, "r1") {
        Some(weft::component::Export::Resource(ty)) => assert_eq!(ty, ResourceType::host::<T>()),
        other => panic!("r1: {other:?}"),
    }
}

/// A component with a nested instance export, a resource type export, a core module
/// export and two instantiations of a module with a memory and a table.
const SHAPES: &str = r#"
(component
  (core module $m
    (memory (export "mem") 2)
    (table 3 funcref)
    (func (export "f") (result i32) i32.const 7))
  (core instance $a (instantiate $m))
  (core instance $b (instantiate $m))
  (func $f (result u32) (canon lift (core func $a "f")))
  (func $g (result u32) (canon lift (core func $b "f")))
  (type $r (resource (rep i32)))
  (instance $inner (export "g" (func $g)) (export "r" (type $r)))
  (export "f" (func $f))
  (export "inner" (instance $inner))
  (export "r" (type $r))
  (export "m" (core module $m))
)
"#;

#[test]
fn component_export_indices_are_found_before_instantiation() {
    let engine = engine();
    let component = Component::new(&engine, SHAPES).expect("component");
    let (ty, f) = component.get_export(None, "f").expect("f");
    assert!(matches!(ty, ComponentItem::ComponentFunc(_)), "{ty:?}");
    let (ty, inner) = component.get_export(None, "inner").expect("inner");
    let ComponentItem::ComponentInstance(instance) = ty else {
        panic!("inner is not an instance: {ty:?}");
    };
    let names: Vec<_> = instance.exports(&engine).map(|(n, _)| n).collect();
    assert_eq!(names, ["g", "r"]);
    let g = component.get_export_index(Some(&inner), "g").expect("g");
    assert!(component.get_export_index(Some(&inner), "f").is_none());
    assert!(component.get_export_index(Some(&f), "g").is_none());
    assert!(component.get_export_index(None, "missing").is_none());
    let (ty, _) = component.get_export(None, "m").expect("m");
    let ComponentItem::Module(module) = ty else {
        panic!("m is not a module: {ty:?}");
    };
    let exports: Vec<_> = module
        .exports(&engine)
        .map(|(n, t)| format!("{n}: {t:?}"))
        .collect();
    assert_eq!(exports.len(), 2, "{exports:?}");
    assert!(exports[0].starts_with("mem: Memory"), "{exports:?}");
    assert!(exports[1].starts_with("f: Func"), "{exports:?}");

    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let typed = instance
        .get_typed_func::<(), (u32,)>(&mut store, &f)
        .expect("typed f");
    assert_eq!(typed.call(&mut store, ()).expect("call f"), (7,));
    let typed = instance
        .get_typed_func::<(), (u32,)>(&mut store, &g)
        .expect("typed g");
    assert_eq!(typed.call(&mut store, ()).expect("call g"), (7,));
    // The index names the same export as the name does.
    assert_eq!(instance.get_export_index(&store, None, "f"), Some(f));
    assert_eq!(
        instance.get_export_index(&store, Some(&inner), "g"),
        Some(g)
    );

    let r = instance.get_resource(&store, "r").expect("resource r");
    assert_eq!(instance.get_resource(&store, "inner#r"), Some(r.clone()));
    assert!(instance.get_resource(&store, "f").is_none());
    // Each instantiation makes its own resource type.
    let other = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiate again");
    assert_ne!(other.get_resource(&store, "r"), Some(r));
}

#[test]
fn component_resources_required_counts_every_core_instance() {
    let engine = engine();
    let component = Component::new(&engine, SHAPES).expect("component");
    let needs = component.resources_required().expect("known");
    assert_eq!(needs.num_memories, 2);
    assert_eq!(needs.max_initial_memory_size, Some(2));
    assert_eq!(needs.num_tables, 2);
    assert_eq!(needs.max_initial_table_size, Some(3));

    let imports_module = Component::new(
        &engine,
        r#"(component
             (import "m" (core module $m))
             (core instance (instantiate $m)))"#,
    )
    .expect("component");
    assert!(imports_module.resources_required().is_none());
    let none = Component::new(&engine, ADD).expect("component");
    let needs = none.resources_required().expect("known");
    assert_eq!((needs.num_memories, needs.num_tables), (0, 0));
}

/// Loads precompiled component bytes.
fn load_component(engine: &Engine, bytes: &[u8]) -> weft::Result<Component> {
    // SAFETY: none needed; Weft verifies precompiled components.
    #[allow(
        unsafe_code,
        reason = "`Component::deserialize` is unsafe for Wasmtime's signature"
    )]
    unsafe {
        Component::deserialize(engine, bytes)
    }
}

/// Two components with a core module each, whose modules have different exports.
const PRECOMPILED_A: &str = r#"(component
    (core module $m
      (memory (export "mem") 1)
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
    (core instance $i (instantiate $m))
    (component $inner
      (core module $n (func (export "seven") (result i32) i32.const 7))
      (core instance $j (instantiate $n))
      (func (export "seven") (result u32) (canon lift (core func $j "seven"))))
    (instance $k (instantiate $inner))
    (export "seven" (func $k "seven"))
    (func (export "add") (param "a" u32) (param "b" u32) (result u32)
      (canon lift (core func $i "add"))))"#;

#[test]
fn a_precompiled_component_behaves_as_the_original() {
    let engine = engine();
    let bytes = engine
        .precompile_component(PRECOMPILED_A.as_bytes())
        .unwrap();
    assert_eq!(
        engine.detect_precompiled(&bytes),
        Some(weft::Precompiled::Component)
    );
    let component = load_component(&engine, &bytes).unwrap();
    // Serializing again gives the same bytes.
    assert_eq!(component.serialize().unwrap(), bytes);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let add = call1(&mut store, &instance, "add", &[Val::U32(40), Val::U32(2)]).unwrap();
    assert_eq!(add, Val::U32(42));
    assert_eq!(
        call1(&mut store, &instance, "seven", &[]).unwrap(),
        Val::U32(7)
    );
    // A module's bytes are not a component's, and the reverse.
    let module = engine
        .precompile_module(br#"(module (func (export "f")))"#)
        .unwrap();
    assert!(load_component(&engine, &module).is_err());
    // SAFETY: as `load_component`.
    #[allow(unsafe_code, reason = "Wasmtime's signature")]
    let as_module = unsafe { Module::deserialize(&engine, &bytes) };
    assert!(as_module.is_err());
    let path = std::env::temp_dir().join(format!("weft-precompiled-{}.cwasm", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    // SAFETY: as `load_component`.
    #[allow(unsafe_code, reason = "Wasmtime's signature")]
    let from_file = unsafe { Component::deserialize_file(&engine, &path) };
    let _ = std::fs::remove_file(&path);
    assert_eq!(from_file.unwrap().serialize().unwrap(), bytes);
    // SAFETY: as `load_component`.
    #[allow(unsafe_code, reason = "Wasmtime's signature")]
    let missing = unsafe { Component::deserialize_file(&engine, "/nonexistent.cwasm") };
    let error = missing.unwrap_err();
    assert!(error.to_string().contains("/nonexistent.cwasm"), "{error}");
}

#[test]
fn precompiled_components_that_are_cut_forged_or_corrupted_are_errors() {
    let engine = engine();
    let bytes = engine
        .precompile_component(PRECOMPILED_A.as_bytes())
        .unwrap();
    for len in 0..bytes.len() {
        assert!(
            load_component(&engine, &bytes[..len]).is_err(),
            "prefix of {len} bytes loaded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(load_component(&engine, &longer).is_err());
    // A core module that is not the one the component declares: the outer module is
    // replaced by the inner one (precompiled alone), which lacks its exports.
    let inner = engine
        .precompile_module(br#"(module (func (export "seven") (result i32) i32.const 7))"#)
        .unwrap();
    // The file: magic, format version, Weft version, fingerprint, the component's binary,
    // the number of core modules, then each one (strings and byte strings are prefixed
    // with their length as a u32).
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 12;
    for _ in 0..3 {
        at += 4 + u32_at(at); // Weft version, fingerprint, binary
    }
    assert_eq!(u32_at(at), 2, "two core modules");
    let first = at + 4;
    let first_end = first + 4 + u32_at(first);
    let mut forged = bytes[..first].to_vec();
    forged.extend_from_slice(&(inner.len() as u32).to_le_bytes());
    forged.extend_from_slice(&inner);
    forged.extend_from_slice(&bytes[first_end..]);
    let error = load_component(&engine, &forged).unwrap_err();
    assert!(
        error.to_string().contains("imports and exports"),
        "{error:?}"
    );
    // Every byte flipped: an error or a component that still runs safely.
    for position in 0..bytes.len() {
        let mut corrupted = bytes.clone();
        corrupted[position] ^= 0x41;
        if let Ok(component) = load_component(&engine, &corrupted) {
            let mut store = Store::new(&engine, ());
            if let Ok(instance) = Linker::new(&engine).instantiate(&mut store, &component) {
                for name in ["add", "seven"] {
                    if let Some(func) = instance.get_func(&store, name) {
                        let params = [Val::U32(1), Val::U32(2)];
                        let n = func.params(&store).len().min(2);
                        let mut results = [Val::Bool(false)];
                        let _ = func.call(&mut store, &params[..n], &mut results);
                    }
                }
            }
        }
    }
}
