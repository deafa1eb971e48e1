//! Translator tests: the IR produced for small functions.

#![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

use crate::ErrorExt as _;
use crate::index::DefinedFuncIdx;
use crate::ir::{Instr, Slot};
use crate::{Engine, Module};

/// Slot `index`.
const fn s(index: u16) -> Slot {
    Slot::new(index)
}

/// The code of defined function `index` of `wat`.
fn code(wat: &str, index: u32) -> Vec<Instr> {
    code_in(&Engine::default(), wat, index)
}

/// The code of defined function `index` of `wat`, compiled by `engine`.
fn code_in(engine: &Engine, wat: &str, index: u32) -> Vec<Instr> {
    let module = Module::new(engine, wat).expect("module compiles");
    let compiled = module
        .inner
        .compiled(DefinedFuncIdx::from_u32(index))
        .expect("function compiles");
    compiled.code.iter().map(|op| op.instr).collect()
}

#[test]
fn local_get_and_set_fold_into_one_instruction() {
    let code = code(
        r#"(module (func (param i32 i32) (local i32)
            local.get 0 local.get 1 i32.add local.set 2))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::ZeroLocals {
                start: s(2),
                count: 1
            },
            Instr::I32Add {
                dst: s(2),
                lhs: s(0),
                rhs: s(1)
            },
            Instr::Return0 {},
        ]
    );
}

#[test]
fn constants_become_immediates() {
    let code = code(
        r#"(module (func (param i32) (result i32)
            local.get 0 i32.const 5 i32.sub))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::I32AddImm {
                dst: s(1),
                lhs: s(0),
                imm: -5
            },
            Instr::Return1 { src: s(1) },
        ]
    );
}

#[test]
fn compare_and_branch_fuse() {
    let code = code(
        r#"(module (func (param i32) (local i32)
            (loop $l
              local.get 1 i32.const 1 i32.add local.tee 1
              local.get 0 i32.lt_s br_if $l)))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::ZeroLocals {
                start: s(1),
                count: 1
            },
            Instr::I32AddImm {
                dst: s(1),
                lhs: s(1),
                imm: 1
            },
            Instr::BrI32LtS {
                lhs: s(1),
                rhs: s(0),
                offset: -1
            },
            Instr::Return0 {},
        ]
    );
}

#[test]
fn local_set_preserves_stacked_reads() {
    let code = code(
        r#"(module (func (param i32) (result i32)
            local.get 0 i32.const 7 local.set 0 local.get 0 i32.add))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::Copy {
                dst: s(1),
                src: s(0)
            },
            Instr::Const32 {
                dst: s(0),
                value: 7
            },
            Instr::I32Add {
                dst: s(1),
                lhs: s(1),
                rhs: s(0)
            },
            Instr::Return1 { src: s(1) },
        ]
    );
}

#[test]
fn if_else_moves_results_into_the_frame_slot() {
    let code = code(
        r#"(module (func (param i32) (result i32)
            (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::BrIfEqz {
                cond: s(0),
                offset: 3
            },
            Instr::Const32 {
                dst: s(1),
                value: 1
            },
            Instr::Return1 { src: s(1) },
            Instr::Const32 {
                dst: s(1),
                value: 2
            },
            Instr::Return1 { src: s(1) },
        ]
    );
}

#[test]
fn fuel_is_charged_per_block_up_to_the_next_branch_target() {
    let mut config = crate::Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).expect("engine");
    let module = Module::new(
        &engine,
        r#"(module (func $f (param i32) (result i32)
            local.get 0 (if (then nop))
            (block local.get 0 br_if 0 local.get 0 call $f drop)
            local.get 0 i32.const 1 i32.add))"#,
    )
    .expect("module");
    let compiled = module
        .inner
        .compiled(DefinedFuncIdx::from_u32(0))
        .expect("compiled");
    let charges: Vec<u32> = compiled
        .code
        .iter()
        .filter_map(|op| match op.instr {
            Instr::ConsumeFuel { amount } => Some(amount),
            _ => None,
        })
        .collect();
    // `local.get`, `if` and the `then` arm; then, from the `if`'s end (a branch target),
    // `block` through `drop` (neither the `br_if` nor the call ends the block) and, from the
    // block's end, the last three operators.
    assert_eq!(charges, [3, 6, 3]);
    assert_eq!(compiled.code[0].instr, Instr::ConsumeFuel { amount: 3 });
}

#[test]
fn consecutive_copies_fuse() {
    let code = code(
        r#"(module (func (param i32 i32 i32) (result i32)
            local.get 1 local.set 0 local.get 2 local.set 1 local.get 0 local.set 2
            local.get 0))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::Copy2 {
                dst0: s(0),
                src0: s(1),
                dst1: s(1),
                src1: s(2)
            },
            Instr::Copy {
                dst: s(2),
                src: s(0)
            },
            Instr::Return1 { src: s(0) },
        ]
    );
}

#[test]
fn copies_do_not_fuse_across_a_branch_target() {
    let code = code(
        r#"(module (func (param i32 i32) (result i32)
            (block local.get 0 br_if 0 local.get 1 local.set 0)
            local.get 0 local.set 1
            local.get 1))"#,
        0,
    );
    // The branch skips the first copy and lands on the second.
    assert_eq!(
        code[0],
        Instr::BrIfNez {
            cond: s(0),
            offset: 2
        }
    );
    assert_eq!(
        code[1..3],
        [
            Instr::Copy {
                dst: s(0),
                src: s(1)
            },
            Instr::Copy {
                dst: s(1),
                src: s(0)
            }
        ]
    );
}

#[test]
fn select_takes_a_constant_operand_and_extend_u_is_free() {
    let code = code(
        r#"(module (func (param i32 i32) (result i64)
            local.get 0 i32.const 7 local.get 1 select
            i64.extend_i32_u))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::SelectSlotImm {
                dst: s(2),
                cond: s(1),
                lhs: s(0),
                rhs: 7
            },
            Instr::Return1 { src: s(2) },
        ]
    );
}

#[test]
fn shifted_index_folds_into_the_access() {
    let scaled = code(
        r#"(module (memory 1) (func (param i32 i32) (result i32)
            local.get 0 local.get 1 i32.const 34 i32.shl i32.add i32.load offset=4))"#,
        0,
    );
    let load = Instr::I32LoadScaled {
        dst: s(2),
        base: s(0),
        index: s(1),
        shift: 2,
        offset: 4,
    };
    assert_eq!(scaled, [load, Instr::Return1 { src: s(2) }]);
    // Not when a branch may arrive between the shift and the add with another value.
    let indexed = code(
        r#"(module (memory 1) (func (param i32 i32) (result i32)
            local.get 0
            (block (result i32)
              local.get 1 local.get 0 br_if 0 drop local.get 1 i32.const 2 i32.shl)
            i32.add i32.load))"#,
        0,
    );
    assert!(
        indexed
            .iter()
            .any(|i| matches!(i, Instr::I32LoadIdx { .. })),
        "{indexed:?}"
    );
}

#[test]
fn too_many_slots_is_a_clean_error() {
    let engine = Engine::default();
    let wat = format!(
        "(module (func (local {}) {} {}))",
        "i64 ".repeat(40000),
        "i32.const 1 ".repeat(30000),
        "drop ".repeat(30000)
    );
    let error = Module::new(&engine, &wat).expect_err("too large");
    assert!(
        matches!(
            error.kind(),
            Some(crate::ErrorKind::ImplementationLimit { .. })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("65535 slots"), "{error}");
    let binary = wat::parse_str(&wat).expect("parses");
    let error = Module::validate(&engine, &binary).expect_err("too large");
    assert!(
        matches!(
            error.kind(),
            Some(crate::ErrorKind::ImplementationLimit { .. })
        ),
        "{error:?}"
    );
}

#[test]
fn loops_are_inverted_and_branches_to_returns_threaded() {
    let code = code(
        r#"(module (func (param i32) (result i32) (local i32)
            (block $done (loop $l
              (br_if $done (i32.ge_s (local.get 1) (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br $l)))
            local.get 1))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::ZeroLocals {
                start: s(1),
                count: 1
            },
            Instr::BrI32LeS {
                lhs: s(0),
                rhs: s(1),
                offset: 3
            },
            Instr::I32AddImm {
                dst: s(1),
                lhs: s(1),
                imm: 1
            },
            Instr::BrI32LtS {
                lhs: s(1),
                rhs: s(0),
                offset: -1
            },
            Instr::Return1 { src: s(1) },
        ]
    );
    let code = code_of_if_else();
    assert_eq!(code[2], Instr::Return1 { src: s(1) });
}

fn code_of_if_else() -> Vec<Instr> {
    code(
        r#"(module (func (param i32) (result i32)
            (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))"#,
        0,
    )
}

#[test]
#[ignore = "prints a listing"]
fn print_listing() {
    let wat = std::env::var("WEFT_WAT").unwrap_or_default();
    let wat = std::fs::read_to_string(&wat).unwrap_or(wat);
    let mut config = crate::Config::new();
    config.consume_fuel(std::env::var_os("WEFT_FUEL").is_some());
    let engine = Engine::new(&config).expect("engine");
    let module = Module::new(&engine, wat).expect("module compiles");
    for i in 0..module.inner.code.len() {
        println!(
            "func {i}:\n{}",
            module
                .inner
                .compiled(DefinedFuncIdx::from_u32(i as u32))
                .expect("compiles")
        );
    }
}

#[test]
fn verify_rejects_what_the_interpreter_cannot_run_unchecked() {
    use crate::ir::verify;
    let ok = [
        Instr::BrIfNez {
            cond: s(0),
            offset: 2,
        },
        Instr::Copy {
            dst: s(1),
            src: s(0),
        },
        Instr::Return1 { src: s(1) },
    ];
    assert_eq!(verify(&ok, 2), Ok(vec![false, false, true]));
    // A slot past the frame.
    assert!(verify(&ok, 1).is_err());
    // A branch past the end, and one before the start.
    let far = [
        Instr::BrIfNez {
            cond: s(0),
            offset: 3,
        },
        Instr::Return0 {},
    ];
    assert!(verify(&far, 1).is_err());
    let back = [Instr::Br { offset: -1 }];
    assert!(verify(&back, 1).is_err());
    // `br_table` entries past the end.
    let table = [
        Instr::BrTable {
            index: s(0),
            len: 1,
        },
        Instr::Br { offset: -1 },
    ];
    assert!(verify(&table, 1).is_err());
    // Code that runs off its end, and ranges past the frame.
    assert!(
        verify(
            &[Instr::Copy {
                dst: s(0),
                src: s(0)
            }],
            1
        )
        .is_err()
    );
    assert!(
        verify(
            &[Instr::ReturnN {
                start: s(1),
                count: 2
            }],
            2
        )
        .is_err()
    );
    let zero = [
        Instr::ZeroLocals {
            start: s(1),
            count: 2,
        },
        Instr::Return0 {},
    ];
    assert!(verify(&zero, 2).is_err());
    // A SIMD instruction whose `op` names no operator of its shape has no handler.
    let v = |lo| crate::ir::VSlot::new(s(lo)).expect("slot below the last");
    let unary = |op| {
        [
            Instr::V128Unary {
                op,
                dst: v(0),
                src: v(0),
            },
            Instr::Return0 {},
        ]
    };
    assert!(verify(&unary(crate::exec::simd::UNARY - 1), 2).is_ok());
    assert!(verify(&unary(crate::exec::simd::UNARY), 2).is_err());
    let load = |op| {
        [
            Instr::V128Load {
                op,
                dst: v(0),
                ptr: s(0),
                offset: 0,
            },
            Instr::Return0 {},
        ]
    };
    assert!(verify(&load(12), 2).is_ok());
    assert!(verify(&load(13), 2).is_err());
}

/// A module whose one function loads from `(i32.const 0)` with the given `memarg` offset
/// encoding (alignment 2), and drops the value.
fn module_with_memarg_offset(offset: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x41, 0x00, 0x28, 0x02];
    body.extend_from_slice(offset);
    body.extend_from_slice(&[0x1a, 0x0b]);
    let mut code = vec![0x01, body.len() as u8];
    code.extend_from_slice(&body);
    let mut wasm = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    wasm.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
    wasm.extend_from_slice(&[0x03, 0x02, 0x01, 0x00]);
    wasm.extend_from_slice(&[0x05, 0x03, 0x01, 0x00, 0x01]);
    wasm.extend_from_slice(&[0x0a, code.len() as u8]);
    wasm.extend_from_slice(&code);
    wasm
}

#[test]
fn a_memarg_offset_is_a_u32_of_at_most_5_bytes() {
    let engine = Engine::default();
    let five = module_with_memarg_offset(&[0x80, 0x80, 0x80, 0x80, 0x00]);
    Module::new(&engine, &five).expect("5-byte offset");
    let six = module_with_memarg_offset(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    let error = Module::new(&engine, &six).expect_err("6-byte offset");
    assert!(error.to_string().contains("too long"), "{error}");
}

#[test]
fn wide_branches_move_their_values_as_one_span_shared_by_br_table_entries() {
    let results = "i32 ".repeat(6);
    let values = "local.get 0 ".repeat(6);
    let code = code(
        &format!(
            "(module (type $t (func (result {results})))
              (func (param i32) (result {results})
                block $b (type $t) block $a (type $t)
                  i32.const 0 {values} local.get 0 br_if $a
                  local.get 0 br_table 0 1 0 1 0 1 0 1 1
                end return end))"
        ),
        0,
    );
    let spans = code
        .iter()
        .filter(|i| matches!(i, Instr::CopySpan { count: 6, .. }))
        .count();
    // One for the `br_if`, one per target of the `br_table` (not one per entry).
    assert_eq!(spans, 3, "{code:#?}");
    let copies = code
        .iter()
        .filter(|i| matches!(i, Instr::Copy { .. } | Instr::Copy2 { .. }))
        .count();
    // The six values are materialized once (three `Copy2`).
    assert_eq!(copies, 3, "{code:#?}");
}

#[test]
fn tail_calls_pass_their_arguments_from_consecutive_temporaries() {
    let code = code(
        r#"(module
            (func $g (param i32 i32) (result i32)
              (return_call $g (local.get 1) (local.get 0))))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::Copy2 {
                dst0: s(2),
                src0: s(1),
                dst1: s(3),
                src1: s(0)
            },
            Instr::ReturnCallInternal {
                func: DefinedFuncIdx::from_u32(0),
                base: s(2)
            },
        ]
    );
    let imported = self::code(
        r#"(module
            (import "m" "f" (func $imported (param i32 i32) (result i32)))
            (func (param i32) (result i32)
              (return_call $imported (local.get 0) (i32.const 7))))"#,
        0,
    );
    assert!(
        matches!(
            imported.last(),
            Some(Instr::ReturnCallImported { base, .. }) if *base == s(1)
        ),
        "{imported:#?}"
    );
    let indirect = self::code(
        r#"(module
            (type $t (func (param i32) (result i32)))
            (table 1 funcref)
            (func (param i32 i32) (result i32)
              (return_call_indirect (type $t) (local.get 1) (local.get 0))))"#,
        0,
    );
    assert!(
        matches!(
            indirect.last(),
            Some(Instr::ReturnCallIndirect { index, base, .. })
                if *index == s(0) && *base == s(2)
        ),
        "{indirect:#?}"
    );
}

#[test]
fn verify_checks_tail_calls_and_accepts_them_as_the_last_instruction() {
    use crate::index::{TableIdx, TypeIdx};
    use crate::ir::verify;
    let internal = [Instr::ReturnCallInternal {
        func: DefinedFuncIdx::from_u32(0),
        base: s(2),
    }];
    assert_eq!(verify(&internal, 2), Ok(vec![false]));
    assert!(verify(&internal, 1).is_err());
    let indirect = |index| {
        [Instr::ReturnCallIndirect {
            ty: TypeIdx::from_u32(0),
            table: TableIdx::from_u32(0),
            index,
            base: s(1),
        }]
    };
    assert!(verify(&indirect(s(0)), 1).is_ok());
    assert!(verify(&indirect(s(1)), 1).is_err());
}

/// The code of defined function `index` of `wat`, with typed function references on.
fn code_with_function_references(wat: &str, index: u32) -> Vec<Instr> {
    let mut config = crate::Config::new();
    config.wasm_function_references(true);
    code_in(&Engine::new(&config).expect("engine"), wat, index)
}

#[test]
fn null_tests_on_references_read_their_local_in_place() {
    // `br_on_null` of a parameter: one 64-bit compare-and-branch on the parameter's slot,
    // then the reference is used where it is.
    let code = code_with_function_references(
        r#"(module (type $t (func (result i32)))
            (func (param (ref null $t)) (result i32)
              (block $null
                (return (call_ref $t (br_on_null $null (local.get 0)))))
              (i32.const -1)))"#,
        0,
    );
    assert!(
        matches!(
            code.first(),
            Some(Instr::BrI64EqImm {
                lhs,
                imm: 0,
                offset
            }) if *lhs == s(0) && *offset > 0
        ),
        "{code:?}"
    );
    assert!(
        code.iter()
            .any(|i| matches!(i, Instr::CallRef { func, .. } if *func == s(0))),
        "{code:?}"
    );
    // `ref.as_non_null` checks in place and leaves the value on the stack.
    let code = code_with_function_references(
        r#"(module (func (param funcref) (result (ref func))
              (ref.as_non_null (local.get 0))))"#,
        0,
    );
    assert_eq!(
        code,
        vec![
            Instr::RefAsNonNull { src: s(0) },
            Instr::Return1 { src: s(0) },
        ]
    );
}
