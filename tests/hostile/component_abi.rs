//! Hostile inputs for the Canonical ABI: guest memory that describes values far larger than
//! the host can hold.

use weft::ErrorExt as _;
use weft::ErrorKind;
use weft::component::HandleTable;
use weft::component::abi::{CoreValueIter, LiftContext, StringEncoding, lift_flat};
use weft::component::types::{List, Record, Type};

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "component_abi::aliased_lists_hit_the_lift_limit",
            aliased_lists_hit_the_lift_limit,
        ),
        crate::trial(
            "component_abi::huge_byte_list_is_refused_before_allocating",
            huge_byte_list_is_refused_before_allocating,
        ),
    ]
}

/// A guest instance as the Canonical ABI sees it: its memory and handles, with the default
/// lift limit.
struct Guest {
    memory: Vec<u8>,
    handles: HandleTable,
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

fn list(ty: Type) -> Type {
    Type::List(List::new(ty))
}

fn assert_exhausted(result: weft::Result<weft::component::Val>) {
    match result {
        Ok(_) => panic!("lifting succeeded"),
        Err(error) => assert!(
            matches!(error.kind(), Some(ErrorKind::ResourceExhausted(_))),
            "{error}"
        ),
    }
}

/// 1024 pointers to one list of 1024 pointers to one list of 1024 pointers to one list of
/// 1024 one-byte records with a long field name: 25 KB of guest memory that lifts to 2^40
/// records. Without a limit on what one lift may allocate, the host runs out of memory in the
/// middle of building a record and aborts.
fn aliased_lists_hit_the_lift_limit() {
    let mut guest = Guest {
        memory: vec![0; 1 << 16],
        handles: HandleTable::new(),
    };
    let levels = [0x1000usize, 0x4000, 0x8000, 0xc000];
    for pair in levels.windows(2) {
        let (below, here) = (pair[0] as u32, pair[1]);
        for i in 0..1024 {
            let entry = [below.to_le_bytes(), 1024u32.to_le_bytes()].concat();
            guest.memory[here + 8 * i..here + 8 * i + 8].copy_from_slice(&entry);
        }
    }
    let name = "a-field-name-long-enough-that-the-names-outweigh-the-lists".repeat(4);
    let record = Type::Record(Record::new([(name, Type::U8)]).expect("record type"));
    let ty = list(list(list(list(record))));
    let flat = [levels[3] as u64, 1024];
    assert_exhausted(lift_flat(&mut guest, &mut CoreValueIter::new(&flat), &ty));
}

/// A `list<u8>` of 2^28 - 1 bytes is valid and fits a 256 MiB memory, but lifts to 8 GiB of
/// values: refused before anything is allocated.
fn huge_byte_list_is_refused_before_allocating() {
    let mut guest = Guest {
        memory: vec![0; 1 << 28],
        handles: HandleTable::new(),
    };
    let flat = [0, (1 << 28) - 1];
    assert_exhausted(lift_flat(
        &mut guest,
        &mut CoreValueIter::new(&flat),
        &list(Type::U8),
    ));
}
