//! `bindgen!`: bindings generated from WIT drive components written in the component text
//! format (the shape of Wasmtime's `component` example) and the real guest component of
//! `component_guests.rs`.

use weft::component::{Component, HasSelf, Linker};
use weft::{Engine, Store};

mod convert {
    weft::component::bindgen!({
        inline: "
            package local:demo;

            world convert {
                /// This interface needs to be provided by the host.
                import host: interface {
                    /// a × b.
                    multiply: func(a: f32, b: f32) -> f32;
                }
                /// A world-level import, trappable.
                import offset: func() -> f32;
                /// (°C × 9/5) + 32 = °F
                export convert-celsius-to-fahrenheit: func(x: f32) -> f32;
            }
        ",
        imports: { "offset": trappable },
    });
}

/// The guest of the `convert` world: multiplies by 1.8 through the host, then adds the
/// host's offset.
const CONVERT: &str = r#"(component
  (import "host" (instance $host
    (export "multiply" (func (param "a" f32) (param "b" f32) (result f32)))))
  (import "offset" (func $offset (result f32)))
  (alias export $host "multiply" (func $multiply))
  (core func $l-multiply (canon lower (func $multiply)))
  (core func $l-offset (canon lower (func $offset)))
  (core module $m
    (import "host" "multiply" (func $multiply (param f32 f32) (result f32)))
    (import "host" "offset" (func $offset (result f32)))
    (func (export "convert") (param f32) (result f32)
      local.get 0 f32.const 1.8 call $multiply call $offset f32.add))
  (core instance $i (instantiate $m
    (with "host" (instance
      (export "multiply" (func $l-multiply))
      (export "offset" (func $l-offset))))))
  (func (export "convert-celsius-to-fahrenheit") (param "x" f32) (result f32)
    (canon lift (core func $i "convert")))
)"#;

#[derive(Default)]
struct MyState {
    multiplied: Vec<(f32, f32)>,
    fail_offset: bool,
}

impl convert::host::Host for MyState {
    fn multiply(&mut self, a: f32, b: f32) -> f32 {
        self.multiplied.push((a, b));
        a * b
    }
}

impl convert::ConvertImports for MyState {
    fn offset(&mut self) -> weft::Result<f32> {
        if self.fail_offset {
            return Err(weft::Error::msg("no offset today"));
        }
        Ok(32.0)
    }
}

#[test]
fn convert_world_imports_an_inline_interface_and_exports_a_function() {
    let engine = Engine::default();
    let component = Component::new(&engine, CONVERT).expect("component");
    let mut linker = Linker::new(&engine);
    convert::host::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state).expect("host");
    convert::Convert::add_to_linker_imports::<_, HasSelf<_>>(&mut linker, |state| state)
        .expect("world imports");
    let mut store = Store::new(&engine, MyState::default());
    let convert =
        convert::Convert::instantiate(&mut store, &component, &linker).expect("instantiate");
    let result = convert
        .call_convert_celsius_to_fahrenheit(&mut store, 23.4)
        .expect("call");
    assert!((result - (23.4 * 1.8 + 32.0)).abs() < 1e-3, "{result}");
    assert_eq!(store.data().multiplied, vec![(23.4, 1.8)]);

    // A trappable import's error reaches the caller.
    store.data_mut().fail_offset = true;
    let err = convert
        .call_convert_celsius_to_fahrenheit(&mut store, 0.0)
        .expect_err("offset fails");
    assert!(format!("{err:?}").contains("no offset today"), "{err:?}");
}

#[test]
fn convert_world_through_pre_and_add_to_linker() {
    let engine = Engine::default();
    let component = Component::new(&engine, CONVERT).expect("component");
    let mut linker = Linker::new(&engine);
    convert::Convert::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut MyState| state)
        .expect("all imports");
    let pre =
        convert::ConvertPre::new(linker.instantiate_pre(&component).expect("pre")).expect("pre");
    for celsius in [0.0f32, 100.0] {
        let mut store = Store::new(&engine, MyState::default());
        let convert = pre.instantiate(&mut store).expect("instantiate");
        let f = convert
            .call_convert_celsius_to_fahrenheit(&mut store, celsius)
            .expect("call");
        assert!((f - (celsius * 1.8 + 32.0)).abs() < 1e-3);
    }
    // `new` over an instance made by the linker directly.
    let mut store = Store::new(&engine, MyState::default());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("instance");
    let convert = convert::Convert::new(&mut store, &instance).expect("new");
    assert!(
        convert
            .call_convert_celsius_to_fahrenheit(&mut store, 10.0)
            .is_ok()
    );
}

mod guests {
    ::weft::component::bindgen!({
        path: "../fixtures/components/guest/wit/guests.wit",
        world: "guests",
        additional_derives: [PartialEq],
    });
}

use guests::weft::guests::types::{Color, Perms, Point, Shape};

/// The host side of the `guests` world: echoes every value and records what it saw.
#[derive(Default)]
struct Echoes {
    seen: Vec<String>,
    dropped: Vec<u32>,
}

impl Echoes {
    fn saw<T: std::fmt::Debug>(&mut self, x: T) -> T {
        self.seen.push(format!("{x:?}"));
        x
    }
}

impl guests::weft::guests::types::Host for Echoes {}

impl guests::weft::guests::host::Host for Echoes {
    fn echo_bool(&mut self, x: bool) -> bool {
        self.saw(x)
    }
    fn echo_u8(&mut self, x: u8) -> u8 {
        self.saw(x)
    }
    fn echo_s8(&mut self, x: i8) -> i8 {
        self.saw(x)
    }
    fn echo_u16(&mut self, x: u16) -> u16 {
        self.saw(x)
    }
    fn echo_s16(&mut self, x: i16) -> i16 {
        self.saw(x)
    }
    fn echo_u32(&mut self, x: u32) -> u32 {
        self.saw(x)
    }
    fn echo_s32(&mut self, x: i32) -> i32 {
        self.saw(x)
    }
    fn echo_u64(&mut self, x: u64) -> u64 {
        self.saw(x)
    }
    fn echo_s64(&mut self, x: i64) -> i64 {
        self.saw(x)
    }
    fn echo_f32(&mut self, x: f32) -> f32 {
        self.saw(x)
    }
    fn echo_f64(&mut self, x: f64) -> f64 {
        self.saw(x)
    }
    fn echo_char(&mut self, x: char) -> char {
        self.saw(x)
    }
    fn echo_string(&mut self, x: String) -> String {
        self.saw(x)
    }
    fn echo_bytes(&mut self, x: Vec<u8>) -> Vec<u8> {
        self.saw(x)
    }
    fn echo_strings(&mut self, x: Vec<String>) -> Vec<String> {
        self.saw(x)
    }
    fn echo_point(&mut self, x: Point) -> Point {
        self.saw(x)
    }
    fn echo_pair(&mut self, x: (u32, String)) -> (u32, String) {
        self.saw(x)
    }
    fn echo_shape(&mut self, x: Shape) -> Shape {
        self.saw(x)
    }
    fn echo_color(&mut self, x: Color) -> Color {
        self.saw(x)
    }
    fn echo_option(&mut self, x: Option<String>) -> Option<String> {
        self.saw(x)
    }
    fn echo_result(&mut self, x: Result<u32, String>) -> Result<u32, String> {
        self.saw(x)
    }
    fn echo_perms(&mut self, x: Perms) -> Perms {
        self.saw(x)
    }
    fn dropped(&mut self, value: u32) {
        self.dropped.push(value);
    }
}

/// Every WIT type of the real guest component (built from Rust with `wit-bindgen`) crosses
/// host → guest → host → guest → host through generated bindings, and the guest resource is
/// made, used and dropped.
#[test]
fn guests_world_round_trips_every_kind_and_a_guest_resource() {
    let engine = Engine::default();
    let component = Component::from_file(
        &engine,
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/components/guests.wasm"
        ),
    )
    .expect("component");
    let mut linker = Linker::new(&engine);
    guests::Guests::add_to_linker::<_, HasSelf<_>>(&mut linker, |state: &mut Echoes| state)
        .expect("add_to_linker");
    let mut store = Store::new(&engine, Echoes::default());
    let bindings =
        guests::Guests::instantiate(&mut store, &component, &linker).expect("instantiate");
    let guest = bindings.weft_guests_guest();

    assert!(guest.call_echo_bool(&mut store, true).unwrap());
    assert_eq!(guest.call_echo_u8(&mut store, 255).unwrap(), 255);
    assert_eq!(guest.call_echo_s8(&mut store, -128).unwrap(), -128);
    assert_eq!(guest.call_echo_u16(&mut store, 65535).unwrap(), 65535);
    assert_eq!(guest.call_echo_s16(&mut store, -32768).unwrap(), -32768);
    assert_eq!(guest.call_echo_u32(&mut store, u32::MAX).unwrap(), u32::MAX);
    assert_eq!(guest.call_echo_s32(&mut store, i32::MIN).unwrap(), i32::MIN);
    assert_eq!(guest.call_echo_u64(&mut store, u64::MAX).unwrap(), u64::MAX);
    assert_eq!(guest.call_echo_s64(&mut store, i64::MIN).unwrap(), i64::MIN);
    assert_eq!(guest.call_echo_f32(&mut store, 1.5).unwrap(), 1.5);
    assert_eq!(guest.call_echo_f64(&mut store, -2.25).unwrap(), -2.25);
    assert_eq!(guest.call_echo_char(&mut store, '☃').unwrap(), '☃');
    assert_eq!(
        guest.call_echo_string(&mut store, "héllo").unwrap(),
        "héllo"
    );
    assert_eq!(
        guest.call_echo_bytes(&mut store, &[1, 2, 255]).unwrap(),
        vec![1, 2, 255]
    );
    let strings = vec!["a".to_string(), String::new(), "ccc".to_string()];
    assert_eq!(
        guest.call_echo_strings(&mut store, &strings).unwrap(),
        strings
    );
    let point = Point { x: -3, y: 0.5 };
    assert_eq!(guest.call_echo_point(&mut store, point).unwrap(), point);
    assert_eq!(
        guest.call_echo_pair(&mut store, (7, "seven")).unwrap(),
        (7, "seven".to_string())
    );
    for shape in [Shape::Circle(1.5), Shape::Rect((2, 3)), Shape::None] {
        assert_eq!(guest.call_echo_shape(&mut store, shape).unwrap(), shape);
    }
    assert_eq!(
        guest.call_echo_color(&mut store, Color::Blue).unwrap(),
        Color::Blue
    );
    assert_eq!(
        guest.call_echo_option(&mut store, Some("x")).unwrap(),
        Some("x".to_string())
    );
    assert_eq!(guest.call_echo_option(&mut store, None).unwrap(), None);
    assert_eq!(
        guest.call_echo_result(&mut store, Err("no")).unwrap(),
        Err("no".to_string())
    );
    assert_eq!(guest.call_echo_result(&mut store, Ok(9)).unwrap(), Ok(9));
    let perms = Perms::READ | Perms::EXEC;
    assert_eq!(guest.call_echo_perms(&mut store, perms).unwrap(), perms);
    // Each call reached the host once, with the value the test passed.
    let seen = &store.data().seen;
    assert_eq!(seen.len(), 26, "{seen:?}");
    assert_eq!(seen[12], "\"héllo\"");
    assert_eq!(seen[17], "Circle(1.5)");

    // The guest resource: constructor, a method, and the destructor's report.
    let counter = guest.counter();
    let handle = counter.call_constructor(&mut store, 5).unwrap();
    assert_eq!(counter.call_add(&mut store, handle.clone(), 3).unwrap(), 8);
    assert_eq!(counter.call_add(&mut store, handle.clone(), 4).unwrap(), 12);
    handle.resource_drop(&mut store).unwrap();
    assert_eq!(store.data().dropped, vec![12]);
}

mod files {
    ::weft::component::bindgen!({
        inline: "
            package local:demo;
            interface files {
                resource file {
                    constructor(size: u32);
                    size: func() -> u32;
                    open: static func(size: u32) -> file;
                }
            }
            world files-world {
                import files;
                export run: func(n: u32) -> u32;
            }
        ",
    });
}

use files::local::demo::files::{File, Host as FilesHost, HostFile};
use weft::component::{Resource, ResourceTable};

/// Host resources behind generated `Host<Resource>` traits, kept in a `ResourceTable`.
#[derive(Default)]
struct FileHost {
    table: ResourceTable,
    sizes: std::collections::HashMap<u32, u32>,
    dropped: Vec<u32>,
}

impl FilesHost for FileHost {}

impl HostFile for FileHost {
    fn new(&mut self, size: u32) -> Resource<File> {
        let file = self.table.push(()).expect("table has room");
        let file = Resource::<File>::new_own(file.rep());
        self.sizes.insert(file.rep(), size);
        file
    }
    fn size(&mut self, file: Resource<File>) -> u32 {
        self.sizes.get(&file.rep()).copied().unwrap_or(0)
    }
    fn open(&mut self, size: u32) -> Resource<File> {
        self.new(size * 2)
    }
    fn drop(&mut self, file: Resource<File>) -> weft::Result<()> {
        self.dropped
            .push(self.sizes.remove(&file.rep()).unwrap_or(0));
        Ok(())
    }
}

/// A guest that makes a host `file` with the constructor and with the static function, reads
/// their sizes through the method, drops both, and returns the sum.
const FILES: &str = r#"(component
  (import "local:demo/files" (instance $f
    (export "file" (type $file (sub resource)))
    (export "[constructor]file" (func (param "size" u32) (result (own $file))))
    (export "[method]file.size" (func (param "self" (borrow $file)) (result u32)))
    (export "[static]file.open" (func (param "size" u32) (result (own $file))))))
  (alias export $f "file" (type $file))
  (alias export $f "[constructor]file" (func $ctor))
  (alias export $f "[method]file.size" (func $size))
  (alias export $f "[static]file.open" (func $open))
  (core func $ctor-l (canon lower (func $ctor)))
  (core func $size-l (canon lower (func $size)))
  (core func $open-l (canon lower (func $open)))
  (core func $drop (canon resource.drop $file))
  (core module $m
    (import "f" "ctor" (func $ctor (param i32) (result i32)))
    (import "f" "size" (func $size (param i32) (result i32)))
    (import "f" "open" (func $open (param i32) (result i32)))
    (import "f" "drop" (func $drop (param i32)))
    (func (export "run") (param i32) (result i32) (local $a i32) (local $b i32) (local $r i32)
      (local.set $a (call $ctor (local.get 0)))
      (local.set $b (call $open (local.get 0)))
      (local.set $r (i32.add (call $size (local.get $a)) (call $size (local.get $b))))
      (call $drop (local.get $a))
      (call $drop (local.get $b))
      (local.get $r)))
  (core instance $i (instantiate $m
    (with "f" (instance
      (export "ctor" (func $ctor-l))
      (export "size" (func $size-l))
      (export "open" (func $open-l))
      (export "drop" (func $drop))))))
  (func (export "run") (param "n" u32) (result u32) (canon lift (core func $i "run")))
)"#;

#[test]
fn host_resources_are_made_used_and_dropped_through_generated_traits() {
    let engine = Engine::default();
    let component = Component::new(&engine, FILES).expect("component");
    let mut linker = Linker::new(&engine);
    files::FilesWorld::add_to_linker::<_, HasSelf<_>>(&mut linker, |s: &mut FileHost| s)
        .expect("add_to_linker");
    let mut store = Store::new(&engine, FileHost::default());
    let world = files::FilesWorld::instantiate(&mut store, &component, &linker).expect("inst");
    assert_eq!(world.call_run(&mut store, 5).unwrap(), 5 + 10);
    assert_eq!(store.data().dropped, vec![5, 10]);
    assert!(store.data().sizes.is_empty());
}
