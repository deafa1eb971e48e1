//! The translation of `v128` operators (the fixed-width and relaxed SIMD proposals).
//!
//! A `v128` operand is two stack entries (its low and high cells, the high one marked, see
//! [`Translator::mark_v128`]); an operator pops it as one [`VSlot`] (a local's two cells or
//! two consecutive temporaries, [`Translator::pop_v128`]) and pushes its result into two
//! temporaries. `v128.const` pushes two cell constants, which reach a temporary only when an
//! instruction needs them; so does the lane pattern of `i8x16.shuffle`, which thus needs no
//! immediate wider than a slot.

use super::*;
use crate::exec::simd::{self, EXTRACT, Shape, V128Load};

/// The `op` of a lane load or store of `bits` bits: `log2(bits / 8)`.
fn lane_op(bits: u32) -> u8 {
    match bits {
        8 => 0,
        16 => 1,
        32 => 2,
        _ => 3,
    }
}

impl Translator<'_> {
    /// `select` of two `v128`s: one scalar `Select` per cell.
    pub(super) fn select_v128(&mut self) -> TResult {
        let cond = self.pop_slot()?;
        let rhs = self.pop_v128()?;
        let lhs = self.pop_v128()?;
        let dst = self.push_v128_temp()?;
        // `dst` may be `lhs` (both temporaries at the same height): the low cells are
        // written before the high ones are read, which are other cells.
        self.emit(Instr::Select {
            dst: dst.lo(),
            cond,
            lhs: lhs.lo(),
            rhs: rhs.lo(),
        });
        self.emit(Instr::Select {
            dst: dst.hi(),
            cond,
            lhs: lhs.hi(),
            rhs: rhs.hi(),
        });
        Ok(())
    }

    fn v128_load(&mut self, memarg: wasmparser::MemArg, op: V128Load) -> TResult {
        let Some((offset, other)) = self.access(memarg)? else {
            return Ok(());
        };
        let ptr = self.pop_slot()?;
        let dst = self.push_v128_temp()?;
        let op = op as u16;
        let memory = other.unwrap_or(0);
        if other.is_none() {
            self.emit(Instr::V128Load {
                op,
                dst,
                ptr,
                offset,
            });
        } else {
            self.emit(Instr::V128LoadMem {
                op,
                memory,
                dst,
                ptr,
                offset,
            });
        }
        Ok(())
    }

    fn extract(&mut self, op: u16, lane: u8) -> TResult {
        let src = self.pop_v128()?;
        let dst = self.push_temp()?;
        self.emit(Instr::V128Extract { op, dst, src, lane });
        Ok(())
    }

    fn replace(&mut self, op: u16, lane: u8) -> TResult {
        let value = self.pop_slot()?;
        let src = self.pop_v128()?;
        let dst = self.push_v128_temp()?;
        self.emit(Instr::V128Replace {
            op,
            dst,
            src,
            value,
            lane,
        });
        Ok(())
    }

    fn load_lane(&mut self, memarg: wasmparser::MemArg, lane: u8, bits: u32) -> TResult {
        let Some((offset, other)) = self.access(memarg)? else {
            return Ok(());
        };
        let src = self.pop_v128()?;
        let ptr = self.pop_slot()?;
        // `dst` overlaps `src`: the handler reads `src` before it writes.
        let dst = self.push_v128_temp()?;
        let op = lane_op(bits);
        let memory = other.unwrap_or(0);
        if other.is_none() {
            self.emit(Instr::V128LoadLane {
                op,
                dst,
                ptr,
                src,
                lane,
                offset,
            });
        } else {
            self.emit(Instr::V128LoadLaneMem {
                op,
                memory,
                dst,
                ptr,
                src,
                lane,
                offset,
            });
        }
        Ok(())
    }

    fn store_lane(&mut self, memarg: wasmparser::MemArg, lane: u8, bits: u32) -> TResult {
        let Some((offset, other)) = self.access(memarg)? else {
            return Ok(());
        };
        let value = self.pop_v128()?;
        let ptr = self.pop_slot()?;
        let op = lane_op(bits);
        let memory = other.unwrap_or(0);
        if other.is_none() {
            self.emit(Instr::V128StoreLane {
                op,
                ptr,
                value,
                lane,
                offset,
            });
        } else {
            self.emit(Instr::V128StoreLaneMem {
                op,
                memory,
                ptr,
                value,
                lane,
                offset,
            });
        }
        Ok(())
    }

    /// Translates a SIMD operator (or reports an operator Weft does not know).
    pub(super) fn simd_operator(&mut self, op: &Operator<'_>) -> TResult {
        use Operator as O;
        if let Some(shape) = simd::shape_of(op) {
            match shape {
                Shape::Unary(op) => {
                    let src = self.pop_v128()?;
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128Unary { op, dst, src });
                }
                Shape::Binary(op) => {
                    let rhs = self.pop_v128()?;
                    let lhs = self.pop_v128()?;
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128Binary { op, dst, lhs, rhs });
                }
                Shape::Ternary(op) => {
                    let c = self.pop_v128()?;
                    let b = self.pop_v128()?;
                    let a = self.pop_v128()?;
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128Ternary { op, dst, a, b, c });
                }
                Shape::Shift(op) => {
                    let count = self.pop_slot()?;
                    let lhs = self.pop_v128()?;
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128Shift {
                        op,
                        dst,
                        lhs,
                        count,
                    });
                }
                Shape::Splat(op) => {
                    let src = self.pop_slot()?;
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128Splat { op, dst, src });
                }
                Shape::Test(op) => {
                    let src = self.pop_v128()?;
                    let dst = self.push_temp()?;
                    self.emit(Instr::V128Test { op, dst, src });
                }
            }
            return Ok(());
        }
        match *op {
            O::V128Const { value } => self.push_v128_const(value.i128() as u128)?,
            O::I8x16Shuffle { lanes } => {
                self.push_v128_const(u128::from_le_bytes(lanes))?;
                let lanes = self.pop_v128()?;
                let rhs = self.pop_v128()?;
                let lhs = self.pop_v128()?;
                let dst = self.push_v128_temp()?;
                self.emit(Instr::V128Shuffle {
                    dst,
                    lhs,
                    rhs,
                    lanes,
                });
            }
            O::I8x16ExtractLaneS { lane } => self.extract(simd::EXTRACT_I8_S, lane)?,
            O::I8x16ExtractLaneU { lane } => self.extract(simd::EXTRACT_I8_U, lane)?,
            O::I16x8ExtractLaneS { lane } => self.extract(simd::EXTRACT_I16_S, lane)?,
            O::I16x8ExtractLaneU { lane } => self.extract(simd::EXTRACT_I16_U, lane)?,
            O::I32x4ExtractLane { lane } | O::F32x4ExtractLane { lane } => {
                self.extract(simd::EXTRACT_32, lane)?
            }
            O::I64x2ExtractLane { lane } | O::F64x2ExtractLane { lane } => {
                self.extract(simd::EXTRACT_64, lane)?
            }
            O::I8x16ReplaceLane { lane } => self.replace(0, lane)?,
            O::I16x8ReplaceLane { lane } => self.replace(1, lane)?,
            O::I32x4ReplaceLane { lane } | O::F32x4ReplaceLane { lane } => self.replace(2, lane)?,
            O::I64x2ReplaceLane { lane } | O::F64x2ReplaceLane { lane } => self.replace(3, lane)?,
            O::V128Load { memarg } => self.v128_load(memarg, V128Load::Full)?,
            O::V128Load8x8S { memarg } => self.v128_load(memarg, V128Load::Load8x8S)?,
            O::V128Load8x8U { memarg } => self.v128_load(memarg, V128Load::Load8x8U)?,
            O::V128Load16x4S { memarg } => self.v128_load(memarg, V128Load::Load16x4S)?,
            O::V128Load16x4U { memarg } => self.v128_load(memarg, V128Load::Load16x4U)?,
            O::V128Load32x2S { memarg } => self.v128_load(memarg, V128Load::Load32x2S)?,
            O::V128Load32x2U { memarg } => self.v128_load(memarg, V128Load::Load32x2U)?,
            O::V128Load8Splat { memarg } => self.v128_load(memarg, V128Load::Splat8)?,
            O::V128Load16Splat { memarg } => self.v128_load(memarg, V128Load::Splat16)?,
            O::V128Load32Splat { memarg } => self.v128_load(memarg, V128Load::Splat32)?,
            O::V128Load64Splat { memarg } => self.v128_load(memarg, V128Load::Splat64)?,
            O::V128Load32Zero { memarg } => self.v128_load(memarg, V128Load::Zero32)?,
            O::V128Load64Zero { memarg } => self.v128_load(memarg, V128Load::Zero64)?,
            O::V128Store { memarg } => {
                let Some((offset, other)) = self.access(memarg)? else {
                    return Ok(());
                };
                let value = self.pop_v128()?;
                let ptr = self.pop_slot()?;
                let memory = other.unwrap_or(0);
                if other.is_none() {
                    self.emit(Instr::V128Store { ptr, value, offset });
                } else {
                    self.emit(Instr::V128StoreMem {
                        memory,
                        ptr,
                        value,
                        offset,
                    });
                }
            }
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, lane, 8)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, lane, 16)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, lane, 32)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, lane, 64)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, lane, 8)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, lane, 16)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, lane, 32)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, lane, 64)?,
            _ => return Err(TranslateError::Invalid("unsupported operator")),
        }
        // Every `op` the translator emits is in its table.
        debug_assert!(EXTRACT.len() == 6);
        Ok(())
    }
}
