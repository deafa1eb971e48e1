//! Peephole fusion: compare-and-branch, branch negation and constant operands.

use super::*;

/// Peephole optimizations of unconditional branches, after all offsets are resolved:
///
/// - jump threading: a `Br` to a return or trap becomes that instruction;
/// - loop inversion: a `Br` back to a conditional branch that leaves the loop to the
///   instruction right after the `Br` (the shape of `loop (br_if $exit cond) ... (br $loop)`)
///   becomes the negated conditional branch to the instruction after the test, saving one
///   dispatch per iteration.
pub(super) fn optimize_branches(code: &mut [Instr]) {
    for ip in 0..code.len() {
        let Instr::Br { offset } = code[ip] else {
            continue;
        };
        let target = ip as i64 + i64::from(offset);
        let Some(&instr) = usize::try_from(target).ok().and_then(|t| code.get(t)) else {
            continue;
        };
        match instr {
            Instr::Return0 {}
            | Instr::Return1 { .. }
            | Instr::ReturnN { .. }
            | Instr::Trap { .. } => {
                code[ip] = instr;
            }
            _ => {
                let mut branch = instr;
                let Some(&mut exit) = branch.branch_offset_mut() else {
                    continue;
                };
                if target + i64::from(exit) != ip as i64 + 1 || matches!(instr, Instr::Br { .. }) {
                    continue;
                }
                let (Some(mut negated), Ok(resume)) =
                    (negate_branch(instr), i32::try_from(target + 1 - ip as i64))
                else {
                    continue;
                };
                if let Some(offset) = negated.branch_offset_mut() {
                    *offset = resume;
                    code[ip] = negated;
                }
            }
        }
    }
}

/// The conditional branch taken exactly when `instr` is not (offset unchanged).
pub(super) fn negate_branch(instr: Instr) -> Option<Instr> {
    use Instr as I;
    Some(match instr {
        I::BrIfNez { cond, offset } => I::BrIfEqz { cond, offset },
        I::BrIfEqz { cond, offset } => I::BrIfNez { cond, offset },
        I::BrI32Eq { lhs, rhs, offset } => I::BrI32Ne { lhs, rhs, offset },
        I::BrI32Ne { lhs, rhs, offset } => I::BrI32Eq { lhs, rhs, offset },
        I::BrI32LtS { lhs, rhs, offset } => I::BrI32LeS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LtU { lhs, rhs, offset } => I::BrI32LeU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LeS { lhs, rhs, offset } => I::BrI32LtS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LeU { lhs, rhs, offset } => I::BrI32LtU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64Eq { lhs, rhs, offset } => I::BrI64Ne { lhs, rhs, offset },
        I::BrI64Ne { lhs, rhs, offset } => I::BrI64Eq { lhs, rhs, offset },
        I::BrI64LtS { lhs, rhs, offset } => I::BrI64LeS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LtU { lhs, rhs, offset } => I::BrI64LeU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LeS { lhs, rhs, offset } => I::BrI64LtS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LeU { lhs, rhs, offset } => I::BrI64LtU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32EqImm { lhs, imm, offset } => I::BrI32NeImm { lhs, imm, offset },
        I::BrI32NeImm { lhs, imm, offset } => I::BrI32EqImm { lhs, imm, offset },
        I::BrI32LtSImm { lhs, imm, offset } => I::BrI32GeSImm { lhs, imm, offset },
        I::BrI32LtUImm { lhs, imm, offset } => I::BrI32GeUImm { lhs, imm, offset },
        I::BrI32GtSImm { lhs, imm, offset } => I::BrI32LeSImm { lhs, imm, offset },
        I::BrI32GtUImm { lhs, imm, offset } => I::BrI32LeUImm { lhs, imm, offset },
        I::BrI32LeSImm { lhs, imm, offset } => I::BrI32GtSImm { lhs, imm, offset },
        I::BrI32LeUImm { lhs, imm, offset } => I::BrI32GtUImm { lhs, imm, offset },
        I::BrI32GeSImm { lhs, imm, offset } => I::BrI32LtSImm { lhs, imm, offset },
        I::BrI32GeUImm { lhs, imm, offset } => I::BrI32LtUImm { lhs, imm, offset },
        I::BrI64EqImm { lhs, imm, offset } => I::BrI64NeImm { lhs, imm, offset },
        I::BrI64NeImm { lhs, imm, offset } => I::BrI64EqImm { lhs, imm, offset },
        I::BrI64LtSImm { lhs, imm, offset } => I::BrI64GeSImm { lhs, imm, offset },
        I::BrI64LtUImm { lhs, imm, offset } => I::BrI64GeUImm { lhs, imm, offset },
        I::BrI64GtSImm { lhs, imm, offset } => I::BrI64LeSImm { lhs, imm, offset },
        I::BrI64GtUImm { lhs, imm, offset } => I::BrI64LeUImm { lhs, imm, offset },
        I::BrI64LeSImm { lhs, imm, offset } => I::BrI64GtSImm { lhs, imm, offset },
        I::BrI64LeUImm { lhs, imm, offset } => I::BrI64GtUImm { lhs, imm, offset },
        I::BrI64GeSImm { lhs, imm, offset } => I::BrI64LtSImm { lhs, imm, offset },
        I::BrI64GeUImm { lhs, imm, offset } => I::BrI64LtUImm { lhs, imm, offset },
        _ => return None,
    })
}

/// The 32-bit immediate form of a constant operand, if it has one: every `i32`, and the
/// `i64`s that fit sign-extended (`wide`).
pub(super) fn const_imm(operand: Operand, wide: bool) -> Option<i32> {
    match operand {
        Operand::Const(value) if wide => i32::try_from(value as i64).ok(),
        Operand::Const(value) => Some(value as u32 as i32),
        _ => None,
    }
}

/// The fused compare-and-branch for comparison `instr`, taken when the comparison is `true`
/// (or `false` when `negate`).
pub(super) fn fuse_compare(instr: &Instr, negate: bool) -> Option<Instr> {
    use Instr as I;
    let offset = 0;
    macro_rules! rr {
        ($lhs:expr, $rhs:expr, $pos:ident, $neg:ident) => {
            Some(if negate {
                I::$neg {
                    lhs: $lhs,
                    rhs: $rhs,
                    offset,
                }
            } else {
                I::$pos {
                    lhs: $lhs,
                    rhs: $rhs,
                    offset,
                }
            })
        };
    }
    macro_rules! ri {
        ($lhs:expr, $imm:expr, $pos:ident, $neg:ident) => {
            Some(if negate {
                I::$neg {
                    lhs: $lhs,
                    imm: $imm,
                    offset,
                }
            } else {
                I::$pos {
                    lhs: $lhs,
                    imm: $imm,
                    offset,
                }
            })
        };
    }
    match *instr {
        I::I32Eqz { src, .. } => Some(if negate {
            I::BrIfNez { cond: src, offset }
        } else {
            I::BrIfEqz { cond: src, offset }
        }),
        I::I64Eqz { src, .. } => ri!(src, 0, BrI64EqImm, BrI64NeImm),
        I::I32Eq { lhs, rhs, .. } => rr!(lhs, rhs, BrI32Eq, BrI32Ne),
        I::I32Ne { lhs, rhs, .. } => rr!(lhs, rhs, BrI32Ne, BrI32Eq),
        I::I32LtS { lhs, rhs, .. } => rr!(lhs, rhs, BrI32LtS, BrI32LeS).map(|i| swap_le(i, negate)),
        I::I32LtU { lhs, rhs, .. } => rr!(lhs, rhs, BrI32LtU, BrI32LeU).map(|i| swap_le(i, negate)),
        I::I32GtS { lhs, rhs, .. } => rr!(rhs, lhs, BrI32LtS, BrI32LeS).map(|i| swap_le(i, negate)),
        I::I32GtU { lhs, rhs, .. } => rr!(rhs, lhs, BrI32LtU, BrI32LeU).map(|i| swap_le(i, negate)),
        I::I32LeS { lhs, rhs, .. } => rr!(lhs, rhs, BrI32LeS, BrI32LtS).map(|i| swap_le(i, negate)),
        I::I32LeU { lhs, rhs, .. } => rr!(lhs, rhs, BrI32LeU, BrI32LtU).map(|i| swap_le(i, negate)),
        I::I32GeS { lhs, rhs, .. } => rr!(rhs, lhs, BrI32LeS, BrI32LtS).map(|i| swap_le(i, negate)),
        I::I32GeU { lhs, rhs, .. } => rr!(rhs, lhs, BrI32LeU, BrI32LtU).map(|i| swap_le(i, negate)),
        I::I64Eq { lhs, rhs, .. } => rr!(lhs, rhs, BrI64Eq, BrI64Ne),
        I::I64Ne { lhs, rhs, .. } => rr!(lhs, rhs, BrI64Ne, BrI64Eq),
        I::I64LtS { lhs, rhs, .. } => rr!(lhs, rhs, BrI64LtS, BrI64LeS).map(|i| swap_le(i, negate)),
        I::I64LtU { lhs, rhs, .. } => rr!(lhs, rhs, BrI64LtU, BrI64LeU).map(|i| swap_le(i, negate)),
        I::I64GtS { lhs, rhs, .. } => rr!(rhs, lhs, BrI64LtS, BrI64LeS).map(|i| swap_le(i, negate)),
        I::I64GtU { lhs, rhs, .. } => rr!(rhs, lhs, BrI64LtU, BrI64LeU).map(|i| swap_le(i, negate)),
        I::I64LeS { lhs, rhs, .. } => rr!(lhs, rhs, BrI64LeS, BrI64LtS).map(|i| swap_le(i, negate)),
        I::I64LeU { lhs, rhs, .. } => rr!(lhs, rhs, BrI64LeU, BrI64LtU).map(|i| swap_le(i, negate)),
        I::I64GeS { lhs, rhs, .. } => rr!(rhs, lhs, BrI64LeS, BrI64LtS).map(|i| swap_le(i, negate)),
        I::I64GeU { lhs, rhs, .. } => rr!(rhs, lhs, BrI64LeU, BrI64LtU).map(|i| swap_le(i, negate)),
        I::I32EqImm { lhs, imm, .. } => ri!(lhs, imm, BrI32EqImm, BrI32NeImm),
        I::I32NeImm { lhs, imm, .. } => ri!(lhs, imm, BrI32NeImm, BrI32EqImm),
        I::I32LtSImm { lhs, imm, .. } => ri!(lhs, imm, BrI32LtSImm, BrI32GeSImm),
        I::I32LtUImm { lhs, imm, .. } => ri!(lhs, imm, BrI32LtUImm, BrI32GeUImm),
        I::I32GtSImm { lhs, imm, .. } => ri!(lhs, imm, BrI32GtSImm, BrI32LeSImm),
        I::I32GtUImm { lhs, imm, .. } => ri!(lhs, imm, BrI32GtUImm, BrI32LeUImm),
        I::I32LeSImm { lhs, imm, .. } => ri!(lhs, imm, BrI32LeSImm, BrI32GtSImm),
        I::I32LeUImm { lhs, imm, .. } => ri!(lhs, imm, BrI32LeUImm, BrI32GtUImm),
        I::I32GeSImm { lhs, imm, .. } => ri!(lhs, imm, BrI32GeSImm, BrI32LtSImm),
        I::I32GeUImm { lhs, imm, .. } => ri!(lhs, imm, BrI32GeUImm, BrI32LtUImm),
        I::I64EqImm { lhs, imm, .. } => ri!(lhs, imm, BrI64EqImm, BrI64NeImm),
        I::I64NeImm { lhs, imm, .. } => ri!(lhs, imm, BrI64NeImm, BrI64EqImm),
        I::I64LtSImm { lhs, imm, .. } => ri!(lhs, imm, BrI64LtSImm, BrI64GeSImm),
        I::I64LtUImm { lhs, imm, .. } => ri!(lhs, imm, BrI64LtUImm, BrI64GeUImm),
        I::I64GtSImm { lhs, imm, .. } => ri!(lhs, imm, BrI64GtSImm, BrI64LeSImm),
        I::I64GtUImm { lhs, imm, .. } => ri!(lhs, imm, BrI64GtUImm, BrI64LeUImm),
        I::I64LeSImm { lhs, imm, .. } => ri!(lhs, imm, BrI64LeSImm, BrI64GtSImm),
        I::I64LeUImm { lhs, imm, .. } => ri!(lhs, imm, BrI64LeUImm, BrI64GtUImm),
        I::I64GeSImm { lhs, imm, .. } => ri!(lhs, imm, BrI64GeSImm, BrI64LtSImm),
        I::I64GeUImm { lhs, imm, .. } => ri!(lhs, imm, BrI64GeUImm, BrI64LtUImm),
        _ => None,
    }
}

/// Negating `a < b` gives `b <= a` (and `a <= b` gives `b < a`): when `negate`, the fused
/// branch built by `rr!` has the negated *operator* but must also swap its operands.
pub(super) fn swap_le(instr: Instr, negate: bool) -> Instr {
    if !negate {
        return instr;
    }
    use Instr as I;
    match instr {
        I::BrI32LtS { lhs, rhs, offset } => I::BrI32LtS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LtU { lhs, rhs, offset } => I::BrI32LtU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LeS { lhs, rhs, offset } => I::BrI32LeS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI32LeU { lhs, rhs, offset } => I::BrI32LeU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LtS { lhs, rhs, offset } => I::BrI64LtS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LtU { lhs, rhs, offset } => I::BrI64LtU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LeS { lhs, rhs, offset } => I::BrI64LeS {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        I::BrI64LeU { lhs, rhs, offset } => I::BrI64LeU {
            lhs: rhs,
            rhs: lhs,
            offset,
        },
        other => other,
    }
}
