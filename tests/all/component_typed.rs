//! The typed component API: `TypedFunc`, `func_wrap`, the derives and `flags!`.
//!
//! Most tests use one component, generated from a table: for each case it imports a host
//! function `echo-<case>: func(x: T) -> T` (defined with `func_wrap`) and exports a function
//! of the same type whose core code passes its flat arguments straight to the import and
//! returns what the import returned. Calling the export through a `TypedFunc` lowers the Rust
//! value into the guest, the guest hands it to the host (lifted by `func_wrap`), the host
//! returns it (lowered by `func_wrap`) and the export's result is lifted back: every type
//! crosses in both directions through both typed paths.

use std::fmt::Debug;
use weft::ErrorExt as _;
use weft::component::{
    ComponentType, Instance, Lift, Linker, Lower, Resource, ResourceAny, ResourceType, TypedFunc,
    Val, WasmList, WasmStr,
};
use weft::{Engine, ErrorKind, Store, TrapCode};

#[derive(ComponentType, Lift, Lower, Debug, Clone, PartialEq)]
#[component(record)]
struct Point {
    x: i32,
    #[component(name = "my-y")]
    y: f64,
}

#[derive(ComponentType, Lift, Lower, Debug, Clone, PartialEq)]
#[component(variant)]
enum Shape {
    #[component(name = "circle")]
    Circle(f32),
    #[component(name = "rect")]
    Rect((u32, u32)),
    #[component(name = "none")]
    Nothing,
}

#[derive(ComponentType, Lift, Lower, Debug, Clone, Copy, PartialEq)]
#[component(enum)]
enum Color {
    #[component(name = "red")]
    Red,
    #[component(name = "green")]
    Green,
    #[component(name = "blue")]
    Blue,
}

weft::component::flags! {
    Perms {
        #[component(name = "read")]
        const READ;
        #[component(name = "write")]
        const WRITE;
        #[component(name = "exec")]
        const EXEC;
    }
}

weft::component::flags! {
    Big {
        const F0; const F1; const F2; const F3; const F4; const F5; const F6; const F7;
        const F8; const F9; const F10; const F11; const F12; const F13; const F14; const F15;
        const F16; const F17; const F18; const F19; const F20; const F21; const F22; const F23;
        const F24; const F25; const F26; const F27; const F28; const F29; const F30; const F31;
        const F32; const F33; const F34; const F35; const F36; const F37; const F38; const F39;
    }
}

/// A host resource.
struct Counter;

/// One echo function: name, WIT type in WAT syntax, the core parameter types of the flat
/// signature, and the core result type (`None`: the result goes through memory).
struct Case {
    name: &'static str,
    ty: String,
    params: &'static str,
    result: Option<&'static str>,
}

fn case(name: &'static str, ty: &str, params: &'static str, result: Option<&'static str>) -> Case {
    Case {
        name,
        ty: ty.to_string(),
        params,
        result,
    }
}

fn cases() -> Vec<Case> {
    vec![
        case("bool", "bool", "i32", Some("i32")),
        case("s8", "s8", "i32", Some("i32")),
        case("u8", "u8", "i32", Some("i32")),
        case("s16", "s16", "i32", Some("i32")),
        case("u16", "u16", "i32", Some("i32")),
        case("s32", "s32", "i32", Some("i32")),
        case("u32", "u32", "i32", Some("i32")),
        case("s64", "s64", "i64", Some("i64")),
        case("u64", "u64", "i64", Some("i64")),
        case("f32", "f32", "f32", Some("f32")),
        case("f64", "f64", "f64", Some("f64")),
        case("char", "char", "i32", Some("i32")),
        case("string", "string", "i32 i32", None),
        case("bytes", "(list u8)", "i32 i32", None),
        case("words", "(list s64)", "i32 i32", None),
        case("strings", "(list string)", "i32 i32", None),
        case("opt", "(option u32)", "i32 i32", None),
        case("opt-str", "(option string)", "i32 i32 i32", None),
        case("res", "(result string (error u32))", "i32 i32 i32", None),
        case("res-err", "(result (error string))", "i32 i32 i32", None),
        case("res-ok", "(result u64)", "i32 i64", None),
        case("res-empty", "(result)", "i32", Some("i32")),
        case("tuple", "(tuple u8 string f64)", "i32 i32 i32 f64", None),
        case(
            "point",
            "(record (field \"x\" s32) (field \"my-y\" f64))",
            "i32 f64",
            None,
        ),
        case(
            "shape",
            "(variant (case \"circle\" f32) (case \"rect\" (tuple u32 u32)) (case \"none\"))",
            "i32 i32 i32",
            None,
        ),
        case(
            "color",
            "(enum \"red\" \"green\" \"blue\")",
            "i32",
            Some("i32"),
        ),
        case(
            "perms",
            "(flags \"read\" \"write\" \"exec\")",
            "i32",
            Some("i32"),
        ),
        case(
            "nested",
            "(list (tuple (option (list string)) bool))",
            "i32 i32",
            None,
        ),
        case("own", "(own $counter)", "i32", Some("i32")),
    ]
}

const LIBC: &str = r#"
  (core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      global.get $bump
      local.get 2 i32.add i32.const 1 i32.sub
      i32.const 0 local.get 2 i32.sub i32.and
      local.tee $p
      local.get 3 i32.add
      global.set $bump
      ;; a realloc keeps the contents
      (memory.copy (local.get $p) (local.get 0)
        (select (local.get 1) (local.get 3) (i32.lt_u (local.get 1) (local.get 3))))
      local.get $p))
  (core instance $libc (instantiate $libc))
"#;

const OPTS: &str = r#"(memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))"#;

/// The echo component of all `cases()`, plus `concat` (nine strings: spilled arguments)
/// and `rep` (a borrowed handle).
fn echo_component() -> String {
    let cases = cases();
    let mut host = String::new();
    let mut lowered = String::new();
    let mut core_imports = String::new();
    let mut core_funcs = String::new();
    let mut with = String::new();
    let mut lifted = String::new();
    let strings9 = (0..9)
        .map(|i| format!("(param \"s{i}\" string)"))
        .collect::<String>();
    let mut exported_types = String::new();
    for c in &cases {
        let n = c.name;
        // Records, variants, enums and flags must be named (exported) types wherever a
        // function type of an import or export mentions them.
        let named = c.ty.starts_with("(record")
            || c.ty.starts_with("(variant")
            || c.ty.starts_with("(enum")
            || c.ty.starts_with("(flags");
        let (ty, export_ty) = if named {
            host.push_str(&format!(
                "(type $def-{n} {}) (export \"t-{n}\" (type $t-{n} (eq $def-{n})))\n",
                c.ty
            ));
            exported_types.push_str(&format!(
                "(alias export $host \"t-{n}\" (type $t-{n}))\n\
                 (export $e-{n} \"t-{n}\" (type $t-{n}))\n"
            ));
            (format!("$t-{n}"), format!("$e-{n}"))
        } else {
            (c.ty.clone(), c.ty.clone())
        };
        host.push_str(&format!(
            "(export \"echo-{n}\" (func (param \"x\" {ty}) (result {ty})))\n"
        ));
        lowered.push_str(&format!(
            "(alias export $host \"echo-{n}\" (func $h-{n}))\n\
             (core func $l-{n} (canon lower (func $h-{n}) {OPTS}))\n"
        ));
        let count = c.params.split_whitespace().count();
        let gets: String = (0..count).map(|i| format!("local.get {i} ")).collect();
        match c.result {
            Some(r) => {
                core_imports.push_str(&format!(
                    "(import \"host\" \"echo-{n}\" (func $echo-{n} (param {}) (result {r})))\n",
                    c.params
                ));
                core_funcs.push_str(&format!(
                    "(func (export \"echo-{n}\") (param {}) (result {r}) {gets} call $echo-{n})\n",
                    c.params
                ));
            }
            None => {
                core_imports.push_str(&format!(
                    "(import \"host\" \"echo-{n}\" (func $echo-{n} (param {} i32)))\n",
                    c.params
                ));
                core_funcs.push_str(&format!(
                    "(func (export \"echo-{n}\") (param {}) (result i32) {gets} i32.const 16 call $echo-{n} i32.const 16)\n",
                    c.params
                ));
            }
        }
        with.push_str(&format!("(export \"echo-{n}\" (func $l-{n}))\n"));
        lifted.push_str(&format!(
            "(func (export \"echo-{n}\") (param \"x\" {export_ty}) (result {export_ty}) (canon lift (core func $i \"echo-{n}\") {OPTS}))\n"
        ));
    }
    format!(
        r#"(component
  (import "host" (instance $host
    (export "counter" (type $counter (sub resource)))
    {host}
    (export "concat" (func {strings9} (result string)))
    (export "rep" (func (param "x" (borrow $counter)) (result u32)))))
  (alias export $host "counter" (type $counter))
  {LIBC}
  {lowered}
  (alias export $host "concat" (func $h-concat))
  (core func $l-concat (canon lower (func $h-concat) {OPTS}))
  (alias export $host "rep" (func $h-rep))
  (core func $l-rep (canon lower (func $h-rep)))
  (core func $drop (canon resource.drop $counter))
  (core module $m
    (import "libc" "mem" (memory 1))
    {core_imports}
    (import "host" "concat" (func $concat (param i32 i32)))
    (import "host" "rep" (func $rep (param i32) (result i32)))
    (import "host" "drop" (func $drop (param i32)))
    {core_funcs}
    (func (export "concat") (param i32) (result i32) local.get 0 i32.const 16 call $concat i32.const 16)
    (func (export "rep") (param i32) (result i32) local.get 0 call $rep local.get 0 call $drop))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance {with}
      (export "concat" (func $l-concat))
      (export "rep" (func $l-rep))
      (export "drop" (func $drop))))))
  {exported_types}
  {lifted}
  (func (export "concat") {strings9} (result string) (canon lift (core func $i "concat") {OPTS}))
  (func (export "rep") (param "x" (borrow $counter)) (result u32) (canon lift (core func $i "rep")))
)"#
    )
}

/// What the host functions saw, in order.
type Seen = Vec<String>;

fn echo_linker(engine: &Engine) -> Linker<Seen> {
    fn echo<T>(linker: &mut Linker<Seen>, name: &str)
    where
        T: ComponentType + Lift + Lower + Debug + 'static,
    {
        linker
            .instance("host")
            .expect("instance")
            .func_wrap(name, |mut store, (x,): (T,)| {
                store.data_mut().push(format!("{x:?}"));
                Ok((x,))
            })
            .expect("define");
    }
    let mut linker = Linker::new(engine);
    echo::<bool>(&mut linker, "echo-bool");
    echo::<i8>(&mut linker, "echo-s8");
    echo::<u8>(&mut linker, "echo-u8");
    echo::<i16>(&mut linker, "echo-s16");
    echo::<u16>(&mut linker, "echo-u16");
    echo::<i32>(&mut linker, "echo-s32");
    echo::<u32>(&mut linker, "echo-u32");
    echo::<i64>(&mut linker, "echo-s64");
    echo::<u64>(&mut linker, "echo-u64");
    echo::<f32>(&mut linker, "echo-f32");
    echo::<f64>(&mut linker, "echo-f64");
    echo::<char>(&mut linker, "echo-char");
    echo::<String>(&mut linker, "echo-string");
    echo::<Vec<u8>>(&mut linker, "echo-bytes");
    echo::<Box<[i64]>>(&mut linker, "echo-words");
    echo::<Vec<Box<str>>>(&mut linker, "echo-strings");
    echo::<Option<u32>>(&mut linker, "echo-opt");
    echo::<Option<String>>(&mut linker, "echo-opt-str");
    echo::<Result<String, u32>>(&mut linker, "echo-res");
    echo::<Result<(), String>>(&mut linker, "echo-res-err");
    echo::<Result<u64, ()>>(&mut linker, "echo-res-ok");
    echo::<Result<(), ()>>(&mut linker, "echo-res-empty");
    echo::<(u8, String, f64)>(&mut linker, "echo-tuple");
    echo::<Point>(&mut linker, "echo-point");
    echo::<Shape>(&mut linker, "echo-shape");
    echo::<Color>(&mut linker, "echo-color");
    echo::<Perms>(&mut linker, "echo-perms");
    echo::<Vec<(Option<Vec<String>>, bool)>>(&mut linker, "echo-nested");
    echo::<Resource<Counter>>(&mut linker, "echo-own");
    let mut host = linker.instance("host").expect("instance");
    host.resource("counter", ResourceType::host::<Counter>(), |_, _| Ok(()))
        .expect("resource");
    host.func_wrap(
        "concat",
        |_,
         (a, b, c, d, e, f, g, h, i): (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        )| Ok(([a, b, c, d, e, f, g, h, i].concat(),)),
    )
    .expect("concat");
    host.func_wrap("rep", |_, (r,): (Resource<Counter>,)| {
        assert!(!r.owned());
        Ok((r.rep(),))
    })
    .expect("rep");
    linker
}

fn echo_instance() -> (Store<Seen>, Instance) {
    let engine = Engine::default();
    let component = weft::component::Component::new(&engine, echo_component())
        .expect("echo component compiles");
    let linker = echo_linker(&engine);
    let mut store = Store::new(&engine, Vec::new());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("echo component instantiates");
    (store, instance)
}

/// Sends `value` through `echo-<name>` and checks it comes back equal, and that the host saw
/// it.
fn roundtrip<T>(store: &mut Store<Seen>, instance: &Instance, name: &str, value: T)
where
    T: ComponentType + Lift + Lower + Debug + PartialEq + Clone,
{
    let func: TypedFunc<(T,), (T,)> = instance
        .get_typed_func(&mut *store, format!("echo-{name}"))
        .expect("typed echo");
    store.data_mut().clear();
    let (back,) = func.call(&mut *store, (value.clone(),)).expect("echo call");
    assert_eq!(back, value, "echo-{name}");
    assert_eq!(
        store.data().as_slice(),
        [format!("{value:?}")],
        "echo-{name}"
    );
}

#[test]
fn every_type_crosses_typed_func_and_func_wrap() {
    let (mut store, instance) = echo_instance();
    let s = &mut store;
    let i = &instance;
    for b in [true, false] {
        roundtrip(s, i, "bool", b);
    }
    roundtrip(s, i, "s8", -128i8);
    roundtrip(s, i, "u8", 255u8);
    roundtrip(s, i, "s16", -32768i16);
    roundtrip(s, i, "u16", 65535u16);
    roundtrip(s, i, "s32", i32::MIN);
    roundtrip(s, i, "u32", u32::MAX);
    roundtrip(s, i, "s64", i64::MIN);
    roundtrip(s, i, "u64", u64::MAX);
    roundtrip(s, i, "f32", -1.5f32);
    roundtrip(s, i, "f64", f64::MAX);
    roundtrip(s, i, "char", '\u{10ffff}');
    roundtrip(s, i, "string", "héllo, wörld".to_string());
    roundtrip(s, i, "string", String::new());
    roundtrip(s, i, "bytes", (0..=255u8).collect::<Vec<_>>());
    roundtrip(s, i, "words", vec![-1i64, 0, i64::MAX].into_boxed_slice());
    roundtrip(
        s,
        i,
        "strings",
        vec![Box::<str>::from("a"), "".into(), "ccc".into()],
    );
    roundtrip(s, i, "opt", Some(7u32));
    roundtrip(s, i, "opt", None::<u32>);
    roundtrip(s, i, "opt-str", Some("x".to_string()));
    roundtrip(s, i, "opt-str", None::<String>);
    roundtrip(s, i, "res", Ok::<String, u32>("ok".into()));
    roundtrip(s, i, "res", Err::<String, u32>(42));
    roundtrip(s, i, "res-err", Ok::<(), String>(()));
    roundtrip(s, i, "res-err", Err::<(), String>("bad".into()));
    roundtrip(s, i, "res-ok", Ok::<u64, ()>(1 << 40));
    roundtrip(s, i, "res-ok", Err::<u64, ()>(()));
    roundtrip(s, i, "res-empty", Ok::<(), ()>(()));
    roundtrip(s, i, "res-empty", Err::<(), ()>(()));
    roundtrip(s, i, "tuple", (9u8, "t".to_string(), 0.25f64));
    roundtrip(s, i, "point", Point { x: -3, y: 2.5 });
    roundtrip(s, i, "shape", Shape::Circle(1.5));
    roundtrip(s, i, "shape", Shape::Rect((3, 4)));
    roundtrip(s, i, "shape", Shape::Nothing);
    for c in [Color::Red, Color::Green, Color::Blue] {
        roundtrip(s, i, "color", c);
    }
    roundtrip(s, i, "perms", Perms::READ | Perms::EXEC);
    roundtrip(s, i, "perms", Perms::empty());
    roundtrip(
        s,
        i,
        "nested",
        vec![
            (Some(vec!["a".to_string(), "bc".to_string()]), true),
            (None, false),
            (Some(Vec::new()), true),
        ],
    );
}

#[test]
fn strings_and_slices_lower_from_borrowed_forms() {
    let (mut store, instance) = echo_instance();
    let f = instance
        .get_typed_func::<(&str,), (String,)>(&mut store, "echo-string")
        .expect("typed");
    assert_eq!(
        f.call(&mut store, ("borrowed",)).expect("call").0,
        "borrowed"
    );
    let f = instance
        .get_typed_func::<(&[u8],), (Box<[u8]>,)>(&mut store, "echo-bytes")
        .expect("typed");
    let (back,) = f.call(&mut store, (&[1u8, 2, 3][..],)).expect("call");
    assert_eq!(&*back, [1, 2, 3]);
    // Smart pointers are their contents.
    let f = instance
        .get_typed_func::<(std::sync::Arc<str>,), (std::rc::Rc<str>,)>(&mut store, "echo-string")
        .expect("typed");
    assert_eq!(
        &*f.call(&mut store, ("arc".into(),)).expect("call").0,
        "arc"
    );
    let f = instance
        .get_typed_func::<(Box<Point>,), (std::sync::Arc<Point>,)>(&mut store, "echo-point")
        .expect("typed");
    let point = Point { x: 1, y: -1.0 };
    let (back,) = f
        .call(&mut store, (Box::new(point.clone()),))
        .expect("call");
    assert_eq!(*back, point);
    let f = instance
        .get_typed_func::<(std::rc::Rc<[u8]>,), (std::sync::Arc<[u8]>,)>(&mut store, "echo-bytes")
        .expect("typed");
    let (back,) = f.call(&mut store, (vec![4u8, 5].into(),)).expect("call");
    assert_eq!(&*back, [4, 5]);
}

#[test]
fn wasm_str_and_wasm_list_are_views_into_guest_memory() {
    let (mut store, instance) = echo_instance();
    let f = instance
        .get_typed_func::<(&str,), (WasmStr,)>(&mut store, "echo-string")
        .expect("typed");
    let (s,) = f.call(&mut store, ("view",)).expect("call");
    assert_eq!(s.len(), 4);
    assert_eq!(s.to_str(&store).expect("utf-8"), "view");
    let f = instance
        .get_typed_func::<(&[u8],), (WasmList<u8>,)>(&mut store, "echo-bytes")
        .expect("typed");
    let (bytes,) = f.call(&mut store, (&[7u8, 8, 9][..],)).expect("call");
    assert_eq!(bytes.as_le_slice(&store), [7, 8, 9]);
    let f = instance
        .get_typed_func::<(Vec<String>,), (WasmList<String>,)>(&mut store, "echo-strings")
        .expect("typed");
    let (list,) = f
        .call(&mut store, (vec!["p".into(), "q".into()],))
        .expect("call");
    assert_eq!(list.len(), 2);
    let items: Vec<String> = list.iter(&mut store).map(|r| r.expect("lift")).collect();
    assert_eq!(items, ["p", "q"]);
    assert_eq!(
        list.get(&mut store, 1).expect("in range").expect("lift"),
        "q"
    );
    assert!(list.get(&mut store, 2).is_none());
}

#[test]
fn spilled_parameters_cross_through_memory() {
    let (mut store, instance) = echo_instance();
    type Nine = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    );
    let f = instance
        .get_typed_func::<Nine, (String,)>(&mut store, "concat")
        .expect("typed");
    let args: Nine = (
        "a".into(),
        "b".into(),
        "c".into(),
        "d".into(),
        "e".into(),
        "f".into(),
        "g".into(),
        "h".into(),
        "i".into(),
    );
    assert_eq!(f.call(&mut store, args).expect("call").0, "abcdefghi");
}

#[test]
fn resources_cross_as_resource_and_resource_any() {
    let (mut store, instance) = echo_instance();
    let own = instance
        .get_typed_func::<(Resource<Counter>,), (Resource<Counter>,)>(&mut store, "echo-own")
        .expect("typed");
    let (back,) = own
        .call(&mut store, (Resource::new_own(5),))
        .expect("own round trip");
    assert!(back.owned());
    assert_eq!(back.rep(), 5);
    let any = instance
        .get_typed_func::<(ResourceAny,), (ResourceAny,)>(&mut store, "echo-own")
        .expect("typed as ResourceAny");
    let handle = ResourceAny::from_resource(Resource::<Counter>::new_own(6));
    let (back,) = any.call(&mut store, (handle.clone(),)).expect("any");
    assert_eq!(back, handle);
    let rep = instance
        .get_typed_func::<(Resource<Counter>,), (u32,)>(&mut store, "rep")
        .expect("typed rep");
    assert_eq!(
        rep.call(&mut store, (Resource::new_borrow(9),))
            .expect("borrow")
            .0,
        9
    );
    // A borrowed handle cannot be passed where `own` is expected.
    let err = own
        .call(&mut store, (Resource::new_borrow(1),))
        .expect_err("borrow as own");
    assert!(err.to_string().contains("borrowed"), "{err}");
}

#[test]
fn mismatched_types_are_rejected_when_typed() {
    let (mut store, instance) = echo_instance();
    let err = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "echo-string")
        .expect_err("u32 for string");
    let msg = err.to_string();
    assert!(msg.contains("expected `u32`, found `string`"), "{msg}");
    assert!(msg.contains("echo-string"), "{msg}");
    assert!(matches!(err.kind(), Some(ErrorKind::Usage(_))), "{err:?}");

    let err = instance
        .get_typed_func::<(u32, u32), (u32,)>(&mut store, "echo-u32")
        .expect_err("arity");
    assert!(
        err.to_string().contains("expected 2 values, found 1"),
        "{err}"
    );

    let err = instance
        .get_typed_func::<(u32,), ()>(&mut store, "echo-u32")
        .expect_err("missing result");
    assert!(err.to_string().contains("results"), "{err}");

    #[derive(ComponentType, Lift, Lower, Debug)]
    #[component(record)]
    struct WrongName {
        x: i32,
        y: f64,
    }
    let err = instance
        .get_typed_func::<(WrongName,), (WrongName,)>(&mut store, "echo-point")
        .expect_err("field name");
    assert!(
        err.to_string()
            .contains("expected record field `y`, found `my-y`"),
        "{err}"
    );

    #[derive(ComponentType, Lift, Lower, Debug)]
    #[component(enum)]
    enum TwoColors {
        #[component(name = "red")]
        Red,
        #[component(name = "green")]
        Green,
    }
    let err = instance
        .get_typed_func::<(TwoColors,), (TwoColors,)>(&mut store, "echo-color")
        .expect_err("enum cases");
    assert!(err.to_string().contains("enum { red, green }"), "{err}");

    let err = instance
        .get_typed_func::<(Result<u64, u32>,), (Result<u64, u32>,)>(&mut store, "echo-res-ok")
        .expect_err("error side");
    assert!(err.to_string().contains("error"), "{err}");

    let err = instance
        .get_typed_func::<(Resource<u8>,), (Resource<u8>,)>(&mut store, "echo-own")
        .expect_err("resource type");
    assert!(err.to_string().contains("host resource u8"), "{err}");

    assert!(
        instance
            .get_typed_func::<(), ()>(&mut store, "no-such-export")
            .is_err()
    );
}

#[test]
fn func_wrap_of_the_wrong_type_fails_instantiation() {
    let engine = Engine::default();
    let component = weft::component::Component::new(
        &engine,
        r#"(component
          (import "f" (func $f (param "x" u32) (result u32))))"#,
    )
    .expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("f", |_, (x,): (u64,)| Ok((x as u32,)))
        .expect("define");
    let mut store = Store::new(&engine, ());
    let err = linker
        .instantiate(&mut store, &component)
        .expect_err("u64 for u32");
    assert!(
        err.to_string().contains("expected `u64`, found `u32`"),
        "{err}"
    );
}

/// A component whose exports return invalid values of each kind.
const BAD: &str = r#"(component
  (core module $m
    (memory (export "mem") 1)
    ;; at 16: a string record (ptr 64, len 2) whose bytes are not utf-8
    (data (i32.const 16) "\40\00\00\00\02\00\00\00")
    (data (i32.const 64) "\ff\fe")
    ;; at 32: a string record past the end of memory
    (data (i32.const 32) "\00\00\01\00\10\00\00\00")
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 128)
    (func (export "bad-char") (result i32) i32.const 0xd800)
    (func (export "bad-enum") (result i32) i32.const 7)
    (func (export "bad-utf8") (result i32) i32.const 16)
    (func (export "bad-bounds") (result i32) i32.const 32)
    (func (export "bad-list") (result i32) i32.const 32)
    (func (export "bad-retptr") (result i32) i32.const 3))
  (core instance $i (instantiate $m))
  (type $ab (enum "a" "b"))
  (export $ab-e "ab" (type $ab))
  (func (export "bad-char") (result char) (canon lift (core func $i "bad-char")))
  (func (export "bad-enum") (result $ab-e) (canon lift (core func $i "bad-enum")))
  (func (export "bad-utf8") (result string)
    (canon lift (core func $i "bad-utf8") (memory (core memory $i "mem"))))
  (func (export "bad-bounds") (result string)
    (canon lift (core func $i "bad-bounds") (memory (core memory $i "mem"))))
  (func (export "bad-list") (result (list u32))
    (canon lift (core func $i "bad-list") (memory (core memory $i "mem"))))
  (func (export "bad-retptr") (result string)
    (canon lift (core func $i "bad-retptr") (memory (core memory $i "mem")))))"#;

#[derive(ComponentType, Lift, Lower, Debug)]
#[component(enum)]
enum AB {
    #[component(name = "a")]
    A,
    #[component(name = "b")]
    B,
}

fn bad_call<R: weft::component::ComponentNamedList + Lift>(name: &str) -> weft::Error {
    let engine = Engine::default();
    let component = weft::component::Component::new(&engine, BAD).expect("bad component");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let f = instance
        .get_typed_func::<(), R>(&mut store, name)
        .expect("typed");
    match f.call(&mut store, ()) {
        Ok(_) => panic!("{name}: lifting an invalid value succeeded"),
        Err(e) => e,
    }
}

fn assert_trap(err: &weft::Error, code: TrapCode, message: &str) {
    assert_eq!(err.trap_code(), Some(code), "{err}");
    assert!(
        err.to_string().contains(message),
        "`{err}` lacks `{message}`"
    );
}

#[test]
fn invalid_guest_values_trap_with_their_messages() {
    assert_trap(
        &bad_call::<(char,)>("bad-char"),
        TrapCode::InvalidChar,
        "invalid `char`",
    );
    assert_trap(
        &bad_call::<(AB,)>("bad-enum"),
        TrapCode::InvalidDiscriminant,
        "invalid variant discriminant 7",
    );
    assert_trap(
        &bad_call::<(String,)>("bad-utf8"),
        TrapCode::InvalidString,
        "invalid utf-8",
    );
    assert_trap(
        &bad_call::<(String,)>("bad-bounds"),
        TrapCode::StringOutOfBounds,
        "string",
    );
    assert_trap(
        &bad_call::<(WasmStr,)>("bad-bounds"),
        TrapCode::StringOutOfBounds,
        "string",
    );
    assert_trap(
        &bad_call::<(Vec<u32>,)>("bad-list"),
        TrapCode::ListOutOfBounds,
        "list",
    );
    assert_trap(
        &bad_call::<(String,)>("bad-retptr"),
        TrapCode::UnalignedPointer,
        "unaligned",
    );
}

#[test]
fn wasm_str_validates_when_read() {
    let engine = Engine::default();
    let component = weft::component::Component::new(&engine, BAD).expect("bad component");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiates");
    let f = instance
        .get_typed_func::<(), (WasmStr,)>(&mut store, "bad-utf8")
        .expect("typed");
    let (s,) = f.call(&mut store, ()).expect("in bounds: lifted as a view");
    let err = s.to_str(&store).expect_err("not utf-8");
    assert_eq!(err.trap_code(), Some(TrapCode::InvalidString), "{err}");
}

#[test]
fn host_errors_and_typed_handles() {
    let (store, instance) = echo_instance();
    // `Func::typed` is the same check as `get_typed_func`.
    let func = instance.get_func(&store, "echo-u32").expect("export");
    assert!(func.typed::<(u32,), (u32,)>(&store).is_ok());
    assert!(func.typed::<(i32,), (u32,)>(&store).is_err());
    // A func_wrap'd host function is not callable with Vals from the host.
    let engine = store.engine().clone();
    let component = weft::component::Component::new(
        &engine,
        r#"(component
          (import "f" (func $f (param "x" u32) (result u32)))
          (core func $l (canon lower (func $f)))
          (core module $m
            (import "h" "f" (func $f (param i32) (result i32)))
            (func (export "g") (param i32) (result i32) local.get 0 call $f))
          (core instance $i (instantiate $m (with "h" (instance (export "f" (func $l))))))
          (func (export "g") (param "x" u32) (result u32) (canon lift (core func $i "g"))))"#,
    )
    .expect("component");
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("f", |_, (x,): (u32,)| {
            if x == 0 {
                return Err(weft::Error::msg("zero is not allowed"));
            }
            Ok((x * 2,))
        })
        .expect("define");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let g = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "g")
        .expect("typed");
    assert_eq!(g.call(&mut store, (21,)).expect("call").0, 42);
    let err = g.call(&mut store, (0,)).expect_err("host error");
    assert_eq!(err.to_string(), "zero is not allowed");
}

#[test]
fn flags_behave_as_sets() {
    let rw = Perms::READ | Perms::WRITE;
    assert!(rw.contains(Perms::READ));
    assert!(!rw.contains(Perms::EXEC));
    assert_eq!(!rw, Perms::EXEC);
    assert_eq!(rw & Perms::WRITE, Perms::WRITE);
    assert_eq!(format!("{rw:?}"), "Perms(READ | WRITE)");
    assert!(Perms::empty().is_empty());
    assert!((Big::F39 | Big::F0).contains(Big::F39));
    assert_eq!(!Big::empty(), Big::all());
}

/// A component whose `echo(string) -> string` returns its argument as it lies in memory, in
/// string encoding `encoding`.
fn echo_in(encoding: &str) -> String {
    format!(
        r#"(component
          {LIBC}
          (core module $m
            (import "libc" "mem" (memory 1))
            (func (export "echo") (param i32 i32) (result i32)
              (i32.store (i32.const 16) (local.get 0))
              (i32.store (i32.const 20) (local.get 1))
              (i32.const 16)))
          (core instance $i (instantiate $m (with "libc" (instance $libc))))
          (func (export "echo") (param "s" string) (result string)
            (canon lift (core func $i "echo") {OPTS} string-encoding={encoding})))"#
    )
}

#[test]
fn strings_cross_in_every_encoding() {
    let engine = Engine::default();
    for encoding in ["utf8", "utf16", "latin1+utf16"] {
        let component =
            weft::component::Component::new(&engine, echo_in(encoding)).expect("component");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &component)
            .expect("instantiate");
        let owned = instance
            .get_typed_func::<(&str,), (String,)>(&mut store, "echo")
            .expect("typed");
        let view = instance
            .get_typed_func::<(&str,), (WasmStr,)>(&mut store, "echo")
            .expect("typed");
        for text in ["", "latin1: héllo", "utf16: €𝄞"] {
            let (back,) = owned.call(&mut store, (text,)).expect("call");
            assert_eq!(back, text, "{encoding}");
            let (back,) = view.call(&mut store, (text,)).expect("call");
            assert_eq!(back.to_str(&store).expect("decode"), text, "{encoding}");
        }
    }
}

#[test]
fn typed_calls_run_post_return() {
    let engine = Engine::default();
    let component = weft::component::Component::new(
        &engine,
        r#"(component
          (core module $m
            (memory (export "mem") 1)
            (global $returned (mut i32) (i32.const 0))
            (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64)
            (func (export "name") (result i32)
              (i32.store (i32.const 16) (i32.const 32))
              (i32.store (i32.const 20) (i32.const 2))
              (i32.store16 (i32.const 32) (i32.const 0x6968))
              i32.const 16)
            (func (export "cleanup") (param i32)
              (global.set $returned (i32.add (global.get $returned) (i32.const 1))))
            (func (export "count") (result i32) global.get $returned))
          (core instance $i (instantiate $m))
          (func (export "name") (result string)
            (canon lift (core func $i "name") (memory (core memory $i "mem"))
              (post-return (core func $i "cleanup"))))
          (func (export "count") (result u32) (canon lift (core func $i "count"))))"#,
    )
    .expect("component");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let name = instance
        .get_typed_func::<(), (String,)>(&mut store, "name")
        .expect("typed");
    let count = instance
        .get_typed_func::<(), (u32,)>(&mut store, "count")
        .expect("typed");
    for expected in 1..=3 {
        assert_eq!(name.call(&mut store, ()).expect("name").0, "hi");
        #[allow(deprecated)]
        name.post_return(&mut store).expect("no-op");
        assert_eq!(count.call(&mut store, ()).expect("count").0, expected);
    }
}

/// A component that re-exports the host functions it imports.
const REEXPORT: &str = r#"(component
  (import "double" (func $double (param "x" u32) (result u32)))
  (import "greet" (func $greet (param "name" string) (param "times" u8) (result string)))
  (import "sum" (func $sum (param "xs" (list u32)) (result u64)))
  (export "double" (func $double))
  (export "greet" (func $greet))
  (export "sum" (func $sum)))"#;

#[test]
fn typed_calls_reach_host_functions_a_component_re_exports() {
    let engine = Engine::default();
    let component = weft::component::Component::new(&engine, REEXPORT).expect("component");
    let mut linker = Linker::<()>::new(&engine);
    let mut root = linker.root();
    // One function through `Val`s, two typed ones, of which one's Rust types differ from
    // those of the typed call (`&str` against `String`, `Vec` against a slice).
    root.func_new("double", |_, _, params, results| {
        let weft::component::Val::U32(x) = params[0] else {
            return Err(weft::format_err!("not a u32"));
        };
        results[0] = weft::component::Val::U32(x * 2);
        Ok(())
    })
    .expect("double");
    root.func_wrap("greet", |_, (name, times): (String, u8)| {
        Ok((format!("hello {name}").repeat(usize::from(times)),))
    })
    .expect("greet");
    root.func_wrap("sum", |_, (xs,): (Vec<u32>,)| {
        Ok((xs.iter().map(|&x| u64::from(x)).sum::<u64>(),))
    })
    .expect("sum");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiate");
    let double = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "double")
        .expect("double");
    assert_eq!(double.call(&mut store, (21,)).expect("call"), (42,));
    let greet = instance
        .get_typed_func::<(&str, u8), (String,)>(&mut store, "greet")
        .expect("greet");
    for _ in 0..3 {
        assert_eq!(
            greet.call(&mut store, ("weft", 2)).expect("call"),
            ("hello wefthello weft".to_string(),)
        );
    }
    let sum = instance
        .get_typed_func::<(&[u32],), (u64,)>(&mut store, "sum")
        .expect("sum");
    let xs: Vec<u32> = (0..100_000).collect();
    assert_eq!(
        sum.call(&mut store, (&xs,)).expect("call"),
        (4_999_950_000,)
    );
    // The types are still checked when the typed function is made.
    assert!(
        instance
            .get_typed_func::<(u64,), (u32,)>(&mut store, "double")
            .is_err()
    );
}

/// Lists of numbers as typed calls read and write them (all elements in one pass): views of
/// guest bytes at a chosen pointer, the bytes of a lowered list, and a host function that
/// takes a list from a guest-chosen pointer.
const NUMBER_LISTS: &str = r#"(component
  (import "sum" (func $sum (param "xs" (list u32)) (result u32)))
  (core module $libc
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 0x1000))
    ;; A bump allocator from 0x1000.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $r) (local.get 3)))
      (local.get $r))
    ;; Returns a pointer 4 bytes short of the end of memory, whatever the size.
    (func (export "realloc-end") (param i32 i32 i32 i32) (result i32) i32.const 65532)
    (data (i32.const 0x100) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10"))
  (core instance $libc (instantiate $libc))
  (core func $sum (canon lower (func $sum) (memory (core memory $libc "mem"))))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "sum" (func $sum (param i32 i32) (result i32)))
    ;; A list at (ptr, len): its (ptr, len) pair at 0x20.
    (func (export "view") (param i32 i32) (result i32)
      (i32.store (i32.const 0x20) (local.get 0))
      (i32.store (i32.const 0x24) (local.get 1))
      (i32.const 0x20))
    ;; The bytes of a list of 4-byte elements.
    (func (export "bytes4") (param i32 i32) (result i32)
      (i32.store (i32.const 0x20) (local.get 0))
      (i32.store (i32.const 0x24) (i32.mul (local.get 1) (i32.const 4)))
      (i32.const 0x20))
    (func (export "bytes2") (param i32 i32) (result i32)
      (i32.store (i32.const 0x20) (local.get 0))
      (i32.store (i32.const 0x24) (i32.mul (local.get 1) (i32.const 2)))
      (i32.const 0x20))
    (func (export "bytes8") (param i32 i32) (result i32)
      (i32.store (i32.const 0x20) (local.get 0))
      (i32.store (i32.const 0x24) (i32.mul (local.get 1) (i32.const 8)))
      (i32.const 0x20))
    (func (export "call-sum") (param i32 i32) (result i32)
      (call $sum (local.get 0) (local.get 1))))
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance (export "sum" (func $sum))))))
  (func (export "view-u8") (param "ptr" u32) (param "len" u32) (result (list u8))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "view-u16") (param "ptr" u32) (param "len" u32) (result (list u16))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "view-s16") (param "ptr" u32) (param "len" u32) (result (list s16))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "view-u32") (param "ptr" u32) (param "len" u32) (result (list u32))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "view-f32") (param "ptr" u32) (param "len" u32) (result (list float32))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "view-u64") (param "ptr" u32) (param "len" u32) (result (list u64))
    (canon lift (core func $i "view") (memory (core memory $libc "mem"))))
  (func (export "bytes-of-u32") (param "xs" (list u32)) (result (list u8))
    (canon lift (core func $i "bytes4")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "bytes-of-u16") (param "xs" (list u16)) (result (list u8))
    (canon lift (core func $i "bytes2")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "bytes-of-u64") (param "xs" (list u64)) (result (list u8))
    (canon lift (core func $i "bytes8")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
  (func (export "bytes-at-end") (param "xs" (list u32)) (result (list u8))
    (canon lift (core func $i "bytes4")
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc-end"))))
  (func (export "call-sum") (param "ptr" u32) (param "len" u32) (result u32)
    (canon lift (core func $i "call-sum"))))"#;

fn number_lists() -> (Store<()>, Instance) {
    let engine = Engine::default();
    let component =
        weft::component::Component::new(&engine, NUMBER_LISTS).expect("number-list component");
    let mut linker = Linker::new(&engine);
    linker
        .root()
        .func_wrap("sum", |_, (xs,): (Vec<u32>,)| {
            Ok((xs.iter().fold(0u32, |a, x| a.wrapping_add(*x)),))
        })
        .expect("define sum");
    let mut store = Store::new(&engine, ());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instantiates");
    (store, instance)
}

fn view<T: Lift + 'static>(
    store: &mut Store<()>,
    instance: &Instance,
    name: &str,
    ptr: u32,
    len: u32,
) -> weft::Result<Vec<T>> {
    let f = instance
        .get_typed_func::<(u32, u32), (Vec<T>,)>(&mut *store, name)
        .expect("typed");
    f.call(&mut *store, (ptr, len)).map(|(v,)| v)
}

fn bytes_of<T: Lower + 'static>(
    store: &mut Store<()>,
    instance: &Instance,
    name: &str,
    xs: &[T],
) -> weft::Result<Vec<u8>> {
    let f = instance
        .get_typed_func::<(&[T],), (Vec<u8>,)>(&mut *store, name)
        .expect("typed");
    f.call(&mut *store, (xs,)).map(|(v,)| v)
}

#[test]
fn number_lists_are_little_endian_in_guest_memory() {
    let (mut store, instance) = number_lists();
    let s = &mut store;
    let i = &instance;
    // Lifting: guest bytes 01 02 03 ... 10 at 0x100, whatever the host's byte order.
    assert_eq!(
        view::<u8>(s, i, "view-u8", 0x100, 4).expect("u8"),
        [1, 2, 3, 4]
    );
    assert_eq!(
        view::<u16>(s, i, "view-u16", 0x100, 3).expect("u16"),
        [0x0201, 0x0403, 0x0605]
    );
    assert_eq!(
        view::<i16>(s, i, "view-s16", 0x102, 1).expect("s16"),
        [0x0403]
    );
    assert_eq!(
        view::<u32>(s, i, "view-u32", 0x100, 4).expect("u32"),
        [0x0403_0201, 0x0807_0605, 0x0c0b_0a09, 0x100f_0e0d]
    );
    assert_eq!(
        view::<f32>(s, i, "view-f32", 0x104, 1).expect("f32"),
        [f32::from_bits(0x0807_0605)]
    );
    assert_eq!(
        view::<u64>(s, i, "view-u64", 0x100, 2).expect("u64"),
        [0x0807_0605_0403_0201, 0x100f_0e0d_0c0b_0a09]
    );
    // Lowering writes the same order.
    assert_eq!(
        bytes_of::<u32>(s, i, "bytes-of-u32", &[0x0403_0201, 0xa0b0_c0d0]).expect("u32"),
        [1, 2, 3, 4, 0xd0, 0xc0, 0xb0, 0xa0]
    );
    assert_eq!(
        bytes_of::<u16>(s, i, "bytes-of-u16", &[0x0201, 0xfeff, 0x0403]).expect("u16"),
        [1, 2, 0xff, 0xfe, 3, 4]
    );
    assert_eq!(
        bytes_of::<u64>(s, i, "bytes-of-u64", &[0x0807_0605_0403_0201]).expect("u64"),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
    // A round trip of many elements, and an empty list.
    let many: Vec<u32> = (0..1000u32).map(|x| x.wrapping_mul(0x9e37_79b9)).collect();
    let bytes = bytes_of::<u32>(s, i, "bytes-of-u32", &many).expect("many");
    let back: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(back, many);
    assert_eq!(
        bytes_of::<u32>(s, i, "bytes-of-u32", &[]).expect("empty"),
        Vec::<u8>::new()
    );
    // `Val`s take the same path, and a list with an element of another type is refused
    // before anything is lowered, naming the element.
    let f = i.get_func(&*s, "bytes-of-u32").expect("export");
    let mut out = [Val::Bool(false)];
    let words = Val::List(vec![Val::U32(0x0403_0201), Val::U32(0xa0b0_c0d0)]);
    f.call(&mut *s, &[words], &mut out).expect("Val call");
    let expected: Vec<Val> = [1u8, 2, 3, 4, 0xd0, 0xc0, 0xb0, 0xa0]
        .into_iter()
        .map(Val::U8)
        .collect();
    assert_eq!(out[0], Val::List(expected));
    let mixed = Val::List(vec![Val::U32(1), Val::U32(2), Val::S32(3)]);
    let err = f
        .call(&mut *s, &[mixed], &mut out)
        .expect_err("an s32 in a list<u32>");
    assert!(err.to_string().contains("at `[2]`"), "{err}");
}

#[test]
fn number_lists_trap_on_misaligned_and_out_of_bounds_ranges() {
    // A trap leaves the instance unusable: each trapping call gets a fresh one.
    fn lift<T: Lift + 'static>(name: &str, ptr: u32, len: u32) -> weft::Result<Vec<T>> {
        let (mut store, instance) = number_lists();
        view::<T>(&mut store, &instance, name, ptr, len)
    }
    // Misaligned: even an empty list must be aligned.
    let err = lift::<u32>("view-u32", 0x102, 2).expect_err("misaligned");
    assert_trap(&err, TrapCode::UnalignedPointer, "unaligned");
    let err = lift::<u16>("view-u16", 0x101, 0).expect_err("misaligned empty");
    assert_trap(&err, TrapCode::UnalignedPointer, "unaligned");
    let err = lift::<u64>("view-u64", 0x104, 1).expect_err("misaligned u64");
    assert_trap(&err, TrapCode::UnalignedPointer, "unaligned");
    // Out of bounds by one element, and by a length whose byte size overflows 32 bits.
    assert_eq!(
        lift::<u32>("view-u32", 65528, 2).expect("ends at the end of memory"),
        [0, 0]
    );
    let err = lift::<u32>("view-u32", 65528, 3).expect_err("one past the end");
    assert_trap(&err, TrapCode::ListOutOfBounds, "list");
    let err = lift::<u64>("view-u64", 0, 0x2000_0001).expect_err("huge");
    assert!(
        matches!(
            err.trap_code(),
            Some(TrapCode::ListOutOfBounds | TrapCode::LengthOverflow)
        ),
        "{err}"
    );
    // Empty lists: anywhere up to the end of memory, not past it.
    assert_eq!(
        lift::<u32>("view-u32", 65536, 0).expect("empty at the end"),
        Vec::<u32>::new()
    );
    let err = lift::<u32>("view-u32", 65540, 0).expect_err("empty past the end");
    assert_trap(&err, TrapCode::ListOutOfBounds, "list");
    // Lowering into memory that `realloc` places past the end.
    let (mut store, instance) = number_lists();
    let err = bytes_of::<u32>(&mut store, &instance, "bytes-at-end", &[1, 2])
        .expect_err("realloc at the end");
    assert_trap(&err, TrapCode::ReallocOutOfBounds, "realloc");
}

#[test]
fn host_functions_take_number_lists_with_the_same_checks() {
    let call_sum = |ptr: u32, len: u32| {
        let (mut store, instance) = number_lists();
        let f = instance
            .get_typed_func::<(u32, u32), (u32,)>(&mut store, "call-sum")
            .expect("typed");
        f.call(&mut store, (ptr, len)).map(|(v,)| v)
    };
    assert_eq!(
        call_sum(0x100, 2).expect("sum"),
        0x0403_0201u32.wrapping_add(0x0807_0605)
    );
    assert_eq!(call_sum(65536, 0).expect("empty at the end"), 0);
    // The trap comes back through the guest's frames: its code is kept.
    let err = call_sum(0x102, 1).expect_err("misaligned");
    assert_eq!(err.trap_code(), Some(TrapCode::UnalignedPointer), "{err:?}");
    let err = call_sum(65532, 2).expect_err("out of bounds");
    assert_eq!(err.trap_code(), Some(TrapCode::ListOutOfBounds), "{err:?}");
}
