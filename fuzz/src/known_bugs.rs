//! Bugs of the reference engine (wasmi 2.0.0) that the differential check knows about.
//!
//! When Weft and wasmi disagree, [`oracle::compare`](crate::oracle::compare) asks
//! [`known_peer_bug`] whether the module contains the code shape of a bug that wasmi is known
//! to get wrong. If it does, the difference is classified as that bug instead of being
//! reported as a Weft failure.
//!
//! # The rule
//!
//! A difference is blamed on a known wasmi bug when the module (any of its functions)
//! contains that bug's pattern, as found by a static scan of the module that follows the
//! validator's operand and control stacks. Each pattern is wider than its reproducers: it
//! covers the shapes that take the same path through wasmi's translator (as far as reading
//! it and probing variants showed), so that the fuzzer does not stop on variants of a known
//! bug. The price is that a real Weft difference in a module that also holds a pattern goes
//! unreported. Both patterns are rare in wasm-smith's output (the first needs a multi-value
//! block, the second `ref.is_null` and a `select` on a fused condition in one function), and
//! Weft's answers to the reproducers are pinned by `tests/all/peer_bugs.rs` in the main
//! workspace.
//!
//! # The bugs
//!
//! [`PeerBug::BrTableDropsBelowValues`]: a `br_table` whose label carries two or more values,
//! with at least one more value below them in the innermost block, which the branch must
//! discard. Spec (Execution, `br_table` and `br l`): the branch pops the label's `n` values,
//! unwinds the operand stack to the label's height (dropping the extra value), and pushes the
//! `n` values back, so the results are the `n` values on top. wasmi 2.0.0 moves the values to
//! the wrong places: `(block (result i32 i32 i32) (local.get 0..4) (br_table 0 1))` with
//! arguments 1, 2, 3, 4 and index 0 returns `0 2 4` instead of `2 3 4`.
//!
//! [`PeerBug::SelectFusedWithRefIsNull`]: a `select` whose condition wasmi fuses into it
//! (the condition is computed by the instruction right before the `select`: `ref.is_null`,
//! which wasmi translates as `i32.eqz` of the reference, `i32.eqz`, or `i32.eq`/`i32.ne`
//! with 0), in a function that uses `ref.is_null`. wasmi 2.0.0 then tests the wrong value.
//! Spec: `ref.is_null` pushes 1 for null and 0 otherwise; `select` pops `c`, `v2`, `v1` and
//! pushes `v1` if `c != 0`, else `v2`. Two shapes found so far:
//! - with a non-null funcref global `$g`,
//!   `(select (ref.is_null (global.get $g)) (local.get 0) (i32.eqz (local.get 0)))` with 5
//!   must return 5 (`c = 0`, so `v2`); wasmi returns 0;
//! - after `(if (i32.eqz (global.get $n)) (then unreachable))`, `f64.const -2`, a call
//!   returning `0.0` and a null externref, `ref.is_null`, `select` must return -2 (`c = 1`,
//!   so `v1`); wasmi returns 0 (this one came from the differential fuzzer).
//!
//! The pattern asks for `ref.is_null` anywhere in the function rather than in one place,
//! because which earlier instruction leaves the value that wasmi wrongly tests depends on its
//! register allocation.

use wasmparser::{
    BlockType, FrameKind, FuncValidatorAllocations, Operator, Parser, ValidPayload, Validator,
    WasmFeatures, WasmModuleResources,
};

/// A known bug of the reference engine, wasmi 2.0.0 (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerBug {
    /// `br_table` carrying two or more values, with more values below them in the
    /// innermost block: wasmi returns the wrong values.
    BrTableDropsBelowValues,
    /// `select` whose condition (`ref.is_null`, `i32.eqz`, or `i32.eq`/`i32.ne` with 0)
    /// wasmi fuses into it, in a function that uses `ref.is_null`: wasmi tests the wrong
    /// value.
    SelectFusedWithRefIsNull,
}

/// The first known wasmi bug whose pattern `wasm` contains, if any. A module that does not
/// validate (with WebAssembly 2.0's features) contains none.
pub fn known_peer_bug(wasm: &[u8]) -> Option<PeerBug> {
    scan(wasm).ok().flatten()
}

fn scan(wasm: &[u8]) -> wasmparser::Result<Option<PeerBug>> {
    let mut validator = Validator::new_with_features(WasmFeatures::WASM2);
    let mut allocs = FuncValidatorAllocations::default();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        let ValidPayload::Func(func, body) = validator.payload(&payload)? else {
            continue;
        };
        let mut func = func.into_validator(core::mem::take(&mut allocs));
        let mut locals = body.get_binary_reader();
        func.read_locals(&mut locals)?;
        let mut ops = body.get_operators_reader()?;
        let mut found = None;
        // The last two operators, for the `select` pattern.
        let mut previous: [Option<Operator<'_>>; 2] = [None, None];
        let mut uses_ref_is_null = false;
        let mut fused_select = false;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset()?;
            match &op {
                Operator::BrTable { targets }
                    if br_table_drops_below_values(&func, targets.default()) =>
                {
                    found = Some(PeerBug::BrTableDropsBelowValues);
                }
                Operator::RefIsNull => uses_ref_is_null = true,
                Operator::Select | Operator::TypedSelect { .. } => {
                    fused_select |= matches!(
                        (&previous[0], &previous[1]),
                        (_, Some(Operator::I32Eqz | Operator::RefIsNull))
                            | (
                                Some(Operator::I32Const { value: 0 }),
                                Some(Operator::I32Eq | Operator::I32Ne)
                            )
                    );
                }
                _ => {}
            }
            func.op(offset, &op)?;
            previous = [previous[1].take(), Some(op)];
        }
        if found.is_none() && uses_ref_is_null && fused_select {
            found = Some(PeerBug::SelectFusedWithRefIsNull);
        }
        if found.is_some() {
            return Ok(found);
        }
        allocs = func.into_allocations();
    }
    Ok(None)
}

/// Whether a `br_table` (about to be validated by `func`, with default label `depth`) carries
/// two or more values with more values below them in the innermost block.
fn br_table_drops_below_values<R: WasmModuleResources>(
    func: &wasmparser::FuncValidator<R>,
    depth: u32,
) -> bool {
    let (Some(inner), Some(label)) = (
        func.get_control_frame(0),
        func.get_control_frame(depth as usize),
    ) else {
        return false;
    };
    if inner.unreachable {
        // Not translated by wasmi.
        return false;
    }
    let arity =
        match (label.kind, label.block_type) {
            (_, BlockType::Empty) => 0,
            (FrameKind::Loop, BlockType::Type(_)) => 0,
            (_, BlockType::Type(_)) => 1,
            (kind, BlockType::FuncType(index)) => {
                let Some(ty) = func.resources().sub_type_at(index).and_then(|t| {
                    match &t.composite_type.inner {
                        wasmparser::CompositeInnerType::Func(f) => {
                            Some((f.params().len(), f.results().len()))
                        }
                        _ => None,
                    }
                }) else {
                    return false;
                };
                if kind == FrameKind::Loop { ty.0 } else { ty.1 }
            }
        };
    // The operand stack holds the index on top of the carried values.
    let above_inner = (func.operand_stack_height() as usize).saturating_sub(inner.height);
    arity >= 2 && above_inner > arity + 1
}
