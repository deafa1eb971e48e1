//! The typed lift and lower against the `Val`-based Canonical ABI: both must produce the same
//! flat values and bytes, and read each other's.

use super::{ComponentType, Lift, LiftCx, Lower, LowerCx};
use crate::component::abi::{self, CoreValueIter, LiftContext, LowerContext, StringEncoding};
use crate::component::func::Options;
use crate::component::resources::HandleTable;
use crate::component::types::{Flags, List, OptionType, Tuple, Type, Variant};
use crate::component::values::Val;
use crate::error::Result;
use crate::index::ComponentInstanceIdx;
use crate::trap::TrapCode;
use core::fmt::Debug;

/// The instance the lifts here name: these tests reach no store.
const NO_INSTANCE: ComponentInstanceIdx = ComponentInstanceIdx::from_u32(0);

/// A guest: a byte array with a bump `realloc`.
struct Guest {
    memory: Vec<u8>,
    next: u32,
    handles: HandleTable,
}

impl Guest {
    fn new() -> Guest {
        Guest {
            memory: vec![0; 1 << 16],
            next: 16,
            handles: HandleTable::new(),
        }
    }
}

impl LiftContext for Guest {
    fn memory(&self) -> &[u8] {
        &self.memory
    }
    fn string_encoding(&self) -> StringEncoding {
        StringEncoding::Utf8
    }
    fn handles(&mut self) -> &mut HandleTable {
        &mut self.handles
    }
}

impl LowerContext for Guest {
    fn memory_mut(&mut self) -> &mut [u8] {
        &mut self.memory
    }
    fn realloc(&mut self, _: u32, _: u32, align: u32, size: u32) -> Result<u32> {
        let ptr = abi::align_to(self.next, align);
        self.next = ptr + size;
        if self.next as usize > self.memory.len() {
            return Err(TrapCode::ReallocOutOfBounds.into());
        }
        Ok(ptr)
    }
}

/// Checks `value` of type `ty` against `val`, its `Val`: the type check passes, typed and
/// `Val` lowering agree on flat values and memory, and each side lifts what the other lowered.
fn agrees<T>(ty: &Type, value: T, val: Val) -> Result<()>
where
    T: ComponentType + Lift + Lower + Debug + PartialEq,
{
    T::typecheck(ty)?;
    // Flat.
    let (mut typed, mut untyped) = (Guest::new(), Guest::new());
    let mut typed_flat = Vec::new();
    value.lower_flat(&mut LowerCx::new(&mut typed), ty, &mut typed_flat)?;
    let mut val_flat = Vec::new();
    abi::lower_flat(&mut untyped, &val, ty, &mut val_flat)?;
    assert_eq!(typed_flat, val_flat, "flat values of {value:?}");
    assert_eq!(
        typed.memory, untyped.memory,
        "memory after lower_flat of {value:?}"
    );
    let mut cx = LiftCx::new(&mut untyped, Options::default(), NO_INSTANCE);
    let back = T::lift_flat(&mut cx, ty, &mut CoreValueIter::new(&val_flat))?;
    assert_eq!(back, value);
    // Memory.
    let (mut typed, mut untyped) = (Guest::new(), Guest::new());
    let at = 1024;
    value.store(&mut LowerCx::new(&mut typed), ty, at)?;
    abi::store(&mut untyped, &val, ty, at)?;
    assert_eq!(
        typed.memory, untyped.memory,
        "memory after store of {value:?}"
    );
    assert_eq!(abi::load(&mut typed, at, ty)?, val);
    let mut cx = LiftCx::new(&mut untyped, Options::default(), NO_INSTANCE);
    assert_eq!(T::load(&mut cx, ty, at)?, value);
    Ok(())
}

crate::component::flags! {
    Big {
        const F0; const F1; const F2; const F3; const F4; const F5; const F6; const F7;
        const F8; const F9; const F10; const F11; const F12; const F13; const F14; const F15;
        const F16; const F17; const F18; const F19; const F20; const F21; const F22; const F23;
        const F24; const F25; const F26; const F27; const F28; const F29; const F30; const F31;
        const F32; const F33; const F34; const F35; const F36; const F37; const F38; const F39;
    }
}

crate::component::flags! {
    Small {
        const A; const B; const C;
    }
}

#[derive(
    crate::component::ComponentType,
    crate::component::Lift,
    crate::component::Lower,
    Debug,
    PartialEq,
)]
#[component(variant)]
enum Mixed {
    #[component(name = "f")]
    F(f32),
    #[component(name = "d")]
    D(u64),
    #[component(name = "s")]
    S(String),
    #[component(name = "none")]
    Nothing,
}

#[test]
fn more_than_32_flags_lift_and_lower_in_two_words() -> Result<()> {
    let names: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    let ty = Type::Flags(Flags::new(names.iter().cloned())?);
    let set = Big::F0 | Big::F31 | Big::F32 | Big::F39;
    let val = Val::Flags(["f0", "f31", "f32", "f39"].map(String::from).to_vec());
    agrees(&ty, set, val)?;
    agrees(&ty, Big::empty(), Val::Flags(Vec::new()))?;
    agrees(&ty, Big::all(), Val::Flags(names))?;
    // Bits past the last flag are ignored when lifting, as the spec's `unpack_flags` does.
    let mut guest = Guest::new();
    let mut cx = LiftCx::new(&mut guest, Options::default(), NO_INSTANCE);
    let lifted = Big::lift_flat(&mut cx, &ty, &mut CoreValueIter::new(&[1, 0xffff_ff01]))?;
    assert_eq!(lifted, Big::F0 | Big::F32);
    Ok(())
}

#[test]
fn typed_and_val_paths_agree() -> Result<()> {
    let small = Type::Flags(Flags::new(["a", "b", "c"])?);
    agrees(
        &small,
        Small::B | Small::C,
        Val::Flags(vec!["b".into(), "c".into()]),
    )?;
    let mixed = Type::Variant(Variant::new([
        ("f", Some(Type::Float32)),
        ("d", Some(Type::U64)),
        ("s", Some(Type::String)),
        ("none", None),
    ])?);
    let case = |name: &str, v: Option<Val>| Val::Variant(name.into(), v.map(Box::new));
    agrees(&mixed, Mixed::F(-0.5), case("f", Some(Val::Float32(-0.5))))?;
    agrees(
        &mixed,
        Mixed::D(u64::MAX),
        case("d", Some(Val::U64(u64::MAX))),
    )?;
    agrees(
        &mixed,
        Mixed::S("s".into()),
        case("s", Some(Val::String("s".into()))),
    )?;
    agrees(&mixed, Mixed::Nothing, case("none", None))?;
    let tuple = Type::Tuple(Tuple::new([Type::U8, Type::String, Type::Float64])?);
    agrees(
        &tuple,
        (1u8, "x".to_string(), 2.0f64),
        Val::Tuple(vec![Val::U8(1), Val::String("x".into()), Val::Float64(2.0)]),
    )?;
    let list = Type::List(List::new(Type::Option(OptionType::new(Type::S32))));
    agrees(
        &list,
        vec![Some(-1i32), None],
        Val::List(vec![
            Val::Option(Some(Box::new(Val::S32(-1)))),
            Val::Option(None),
        ]),
    )?;
    Ok(())
}
