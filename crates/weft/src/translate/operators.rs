//! The translation of each operator.

use super::*;

impl Translator<'_> {
    pub(super) fn operator(&mut self, op: &Operator<'_>) -> TResult {
        if !self.reachable {
            return self.dead_operator(op);
        }
        if !matches!(op, Operator::End | Operator::Else) {
            self.bump_fuel();
        }
        use Operator as O;
        match *op {
            O::Unreachable => {
                self.emit(Instr::Trap {
                    code: TrapCode::UnreachableCodeReached,
                });
                self.reachable = false;
            }
            O::Nop => {}
            O::Block { blockty } => {
                self.materialize_locals()?;
                self.push_ctrl(CtrlKind::Block, blockty)?;
            }
            O::Loop { blockty } => {
                self.materialize_locals()?;
                let (params, _) = self.block_arity(blockty)?;
                self.materialize_top(params)?;
                let start = self.here();
                self.push_ctrl(CtrlKind::Loop, blockty)?.loop_start = start;
                self.start_block();
                if self.epoch {
                    self.emit(Instr::EpochCheck {});
                }
            }
            O::If { blockty } => {
                let branch = self.condition_branch(true)?;
                self.materialize_locals()?;
                // The `else` arm starts from the parameters in their temporaries.
                let (params, _) = self.block_arity(blockty)?;
                self.materialize_top(params)?;
                let site = self.emit(branch);
                // The `then` arm is reached by falling through: it stays in the current block.
                self.push_ctrl(CtrlKind::If, blockty)?.else_branch = Some(site);
            }
            O::Else => self.else_()?,
            O::End => self.end()?,
            O::Br { relative_depth } => {
                self.materialize_branch_values(relative_depth, 0)?;
                self.emit_branch(relative_depth)?;
                self.reachable = false;
            }
            O::BrIf { relative_depth } => self.br_if(relative_depth)?,
            O::BrTable { ref targets } => self.br_table(targets.clone())?,
            O::Return => {
                let n = self.frame(self.ctrl.len() as u32 - 1)?.results;
                self.emit_return(n)?;
                self.reachable = false;
            }
            O::Call { function_index } => self.direct_call(function_index, false)?,
            // The executor reads the table index (or the reference) before the callee's
            // frame, which starts at the arguments below it, is set up or moved over it.
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let (ty, sig, index) = self.dynamic_callee(type_index)?;
                let table = TableIdx::from_u32(table_index);
                self.call(sig, |base| Instr::CallIndirect {
                    ty,
                    table,
                    index,
                    base,
                })?;
            }
            O::ReturnCall { function_index } => self.direct_call(function_index, true)?,
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                let (ty, sig, index) = self.dynamic_callee(type_index)?;
                let table = TableIdx::from_u32(table_index);
                self.return_call(sig, |base| Instr::ReturnCallIndirect {
                    ty,
                    table,
                    index,
                    base,
                })?;
            }
            O::CallRef { type_index } => {
                let (ty, sig, func) = self.dynamic_callee(type_index)?;
                self.call(sig, |base| Instr::CallRef { ty, func, base })?;
            }
            O::ReturnCallRef { type_index } => {
                let (ty, sig, func) = self.dynamic_callee(type_index)?;
                self.return_call(sig, |base| Instr::ReturnCallRef { ty, func, base })?;
            }
            O::RefAsNonNull => {
                let src = self.top_ref_slot()?;
                self.emit(Instr::RefAsNonNull { src });
                self.last_result = None;
            }
            O::BrOnNull { relative_depth } => self.br_on_null(relative_depth)?,
            O::BrOnNonNull { relative_depth } => self.br_on_non_null(relative_depth)?,
            O::Drop => {
                if self.top_is_v128() {
                    self.pop()?;
                }
                self.pop()?;
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => {
                if self.height() >= 3 && self.v128_marks.last() == Some(&(self.height() - 2)) {
                    self.select_v128()?;
                } else {
                    self.select()?;
                }
            }
            O::LocalGet { local_index } => {
                let (slot, wide) = self.local(local_index)?;
                self.push(Operand::Local(slot))?;
                if wide {
                    let hi = self.next_slot(slot)?;
                    self.push(Operand::Local(hi))?;
                    self.mark_v128();
                }
            }
            O::LocalSet { local_index } => {
                let (slot, wide) = self.local(local_index)?;
                if wide {
                    let hi = self.next_slot(slot)?;
                    self.local_set(hi)?;
                }
                self.local_set(slot)?;
            }
            O::LocalTee { local_index } => {
                let (slot, wide) = self.local(local_index)?;
                if wide {
                    let hi = self.next_slot(slot)?;
                    self.local_set(hi)?;
                    self.local_set(slot)?;
                    self.push(Operand::Local(slot))?;
                    self.push(Operand::Local(hi))?;
                    self.mark_v128();
                } else {
                    self.local_set(slot)?;
                    self.push(Operand::Local(slot))?;
                }
            }
            O::GlobalGet { global_index } => {
                let global = GlobalIdx::from_u32(global_index);
                if self.global_is_v128(global) {
                    let dst = self.push_v128_temp()?;
                    self.emit(Instr::V128GlobalGet { dst, global });
                } else {
                    let dst = self.push_temp()?;
                    self.emit_result(Instr::GlobalGet { dst, global });
                }
            }
            O::GlobalSet { global_index } => {
                let global = GlobalIdx::from_u32(global_index);
                if self.global_is_v128(global) {
                    let src = self.pop_v128()?;
                    self.emit(Instr::V128GlobalSet { src, global });
                } else {
                    let src = self.pop_slot()?;
                    self.emit(Instr::GlobalSet { src, global });
                }
            }
            // Cells hold the bits: a float load is the integer load of its width.
            O::F32Load { memarg } => self.load(memarg, |dst, ptr, offset| Instr::I32Load {
                dst,
                ptr,
                offset,
            })?,
            O::F64Load { memarg } => self.load(memarg, |dst, ptr, offset| Instr::I64Load {
                dst,
                ptr,
                offset,
            })?,
            O::I32Store { memarg } | O::F32Store { memarg } => {
                store!(self, I32Store, I32StoreImm, false, memarg)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => {
                store!(self, I64Store, I64StoreImm, true, memarg)?
            }
            O::I32Store8 { memarg } => store!(self, I32Store8, I32Store8Imm, false, memarg)?,
            O::I32Store16 { memarg } => store!(self, I32Store16, I32Store16Imm, false, memarg)?,
            O::I64Store8 { memarg } => store!(self, I64Store8, I64Store8Imm, true, memarg)?,
            O::I64Store16 { memarg } => store!(self, I64Store16, I64Store16Imm, true, memarg)?,
            O::I64Store32 { memarg } => store!(self, I64Store32, I64Store32Imm, true, memarg)?,
            O::MemorySize { mem } => {
                let dst = self.push_temp()?;
                // The fast form divides by 64 KiB; a memory of other pages looks its page
                // size up.
                let default_pages = self
                    .info
                    .memories
                    .first()
                    .is_some_and(|ty| ty.page_size_log2() == 16);
                if mem == 0 && default_pages {
                    self.emit_result(Instr::MemorySize { dst });
                } else {
                    let memory = MemoryIdx::from_u32(mem);
                    self.emit_result(Instr::MemorySizeMem { dst, memory });
                }
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop_slot()?;
                let dst = self.push_temp()?;
                let memory = MemoryIdx::from_u32(mem);
                self.emit(Instr::MemoryGrow { dst, delta, memory });
            }
            O::MemoryFill { mem } => {
                let [dst_addr, value, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryFill {
                    memory: MemoryIdx::from_u32(mem),
                    dst_addr,
                    value,
                    len,
                });
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let [dst_addr, src_addr, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryCopy {
                    dst_memory: MemoryIdx::from_u32(dst_mem),
                    src_memory: MemoryIdx::from_u32(src_mem),
                    dst_addr,
                    src_addr,
                    len,
                });
            }
            O::MemoryInit { data_index, mem } => {
                let [dst_addr, src_offset, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryInit {
                    memory: MemoryIdx::from_u32(mem),
                    data: DataIdx::from_u32(data_index),
                    dst_addr,
                    src_offset,
                    len,
                });
            }
            O::DataDrop { data_index } => {
                self.emit(Instr::DataDrop {
                    data: DataIdx::from_u32(data_index),
                });
            }
            O::I32Const { value } => self.push_const(u64::from(value as u32))?,
            O::I64Const { value } => self.push_const(value as u64)?,
            O::F32Const { value } => self.push_const(u64::from(value.bits()))?,
            O::F64Const { value } => self.push_const(value.bits())?,
            O::RefNull { .. } => self.push_const(0)?,
            O::RefIsNull => self.unary(|dst, src| Instr::I64Eqz { dst, src })?,
            O::RefFunc { function_index } => {
                let dst = self.push_temp()?;
                self.emit_result(Instr::RefFunc {
                    dst,
                    func: FuncIdx::from_u32(function_index),
                });
            }
            O::TableGet { table } => {
                let table = TableIdx::from_u32(table);
                let index = self.pop_slot()?;
                let dst = self.push_temp()?;
                self.emit_result(Instr::TableGet { dst, table, index });
            }
            O::TableSet { table } => {
                let table = TableIdx::from_u32(table);
                let [index, value] = self.pop_slots::<2>()?;
                self.emit(Instr::TableSet {
                    table,
                    index,
                    value,
                });
            }
            O::TableSize { table } => {
                let table = TableIdx::from_u32(table);
                let dst = self.push_temp()?;
                self.emit_result(Instr::TableSize { dst, table });
            }
            O::TableGrow { table } => {
                let table = TableIdx::from_u32(table);
                self.materialize_top(2)?;
                let [dst, delta] = self.pop_slots::<2>()?;
                self.push_temp()?;
                self.emit(Instr::TableGrow { dst, table, delta });
            }
            O::TableFill { table } => {
                let table = TableIdx::from_u32(table);
                let [index, value, len] = self.pop_slots::<3>()?;
                self.emit(Instr::TableFill {
                    table,
                    index,
                    value,
                    len,
                });
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let [dst_index, src_index, len] = self.pop_slots::<3>()?;
                self.emit(Instr::TableCopy {
                    dst_table: TableIdx::from_u32(dst_table),
                    src_table: TableIdx::from_u32(src_table),
                    dst_index,
                    src_index,
                    len,
                });
            }
            O::TableInit { elem_index, table } => {
                let [dst_index, src_offset, len] = self.pop_slots::<3>()?;
                self.emit(Instr::TableInit {
                    table: TableIdx::from_u32(table),
                    elem: ElemIdx::from_u32(elem_index),
                    dst_index,
                    src_offset,
                    len,
                });
            }
            O::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop {
                    elem: ElemIdx::from_u32(elem_index),
                });
            }

            O::I32Eq => cmpop!(self, I32Eq, I32EqImm, I32EqImm, false)?,
            O::I32Ne => cmpop!(self, I32Ne, I32NeImm, I32NeImm, false)?,
            O::I32LtS => cmpop!(self, I32LtS, I32LtSImm, I32GtSImm, false)?,
            O::I32LtU => cmpop!(self, I32LtU, I32LtUImm, I32GtUImm, false)?,
            O::I32GtS => cmpop!(self, I32GtS, I32GtSImm, I32LtSImm, false)?,
            O::I32GtU => cmpop!(self, I32GtU, I32GtUImm, I32LtUImm, false)?,
            O::I32LeS => cmpop!(self, I32LeS, I32LeSImm, I32GeSImm, false)?,
            O::I32LeU => cmpop!(self, I32LeU, I32LeUImm, I32GeUImm, false)?,
            O::I32GeS => cmpop!(self, I32GeS, I32GeSImm, I32LeSImm, false)?,
            O::I32GeU => cmpop!(self, I32GeU, I32GeUImm, I32LeUImm, false)?,
            O::I64Eq => cmpop!(self, I64Eq, I64EqImm, I64EqImm, true)?,
            O::I64Ne => cmpop!(self, I64Ne, I64NeImm, I64NeImm, true)?,
            O::I64LtS => cmpop!(self, I64LtS, I64LtSImm, I64GtSImm, true)?,
            O::I64LtU => cmpop!(self, I64LtU, I64LtUImm, I64GtUImm, true)?,
            O::I64GtS => cmpop!(self, I64GtS, I64GtSImm, I64LtSImm, true)?,
            O::I64GtU => cmpop!(self, I64GtU, I64GtUImm, I64LtUImm, true)?,
            O::I64LeS => cmpop!(self, I64LeS, I64LeSImm, I64GeSImm, true)?,
            O::I64LeU => cmpop!(self, I64LeU, I64LeUImm, I64GeUImm, true)?,
            O::I64GeS => cmpop!(self, I64GeS, I64GeSImm, I64LeSImm, true)?,
            O::I64GeU => cmpop!(self, I64GeU, I64GeUImm, I64LeUImm, true)?,

            O::I32Add => binop!(self, I32Add, I32AddImm, true, false)?,
            O::I32Sub => self.sub(
                |dst, lhs, rhs| Instr::I32Sub { dst, lhs, rhs },
                |dst, lhs, imm| Instr::I32AddImm { dst, lhs, imm },
                false,
            )?,
            O::I32Mul => binop!(self, I32Mul, I32MulImm, true, false)?,
            O::I32And => binop!(self, I32And, I32AndImm, true, false)?,
            O::I32Or => binop!(self, I32Or, I32OrImm, true, false)?,
            O::I32Xor => binop!(self, I32Xor, I32XorImm, true, false)?,
            O::I32Shl => binop!(self, I32Shl, I32ShlImm, false, false)?,
            O::I32ShrS => binop!(self, I32ShrS, I32ShrSImm, false, false)?,
            O::I32ShrU => binop!(self, I32ShrU, I32ShrUImm, false, false)?,
            O::I32Rotl => binop!(self, I32Rotl, I32RotlImm, false, false)?,
            O::I32Rotr => binop!(self, I32Rotr, I32RotrImm, false, false)?,
            O::I64Add => binop!(self, I64Add, I64AddImm, true, true)?,
            O::I64Sub => self.sub(
                |dst, lhs, rhs| Instr::I64Sub { dst, lhs, rhs },
                |dst, lhs, imm| Instr::I64AddImm { dst, lhs, imm },
                true,
            )?,
            O::I64Add128 => {
                self.wide128(|dst, [lhs_lo, lhs_hi, rhs_lo, rhs_hi]| Instr::I64Add128 {
                    dst,
                    lhs_lo,
                    lhs_hi,
                    rhs_lo,
                    rhs_hi,
                })?
            }
            O::I64Sub128 => {
                self.wide128(|dst, [lhs_lo, lhs_hi, rhs_lo, rhs_hi]| Instr::I64Sub128 {
                    dst,
                    lhs_lo,
                    lhs_hi,
                    rhs_lo,
                    rhs_hi,
                })?
            }
            O::I64MulWideS => {
                self.wide128(|dst, [lhs, rhs]| Instr::I64MulWideS { dst, lhs, rhs })?
            }
            O::I64MulWideU => {
                self.wide128(|dst, [lhs, rhs]| Instr::I64MulWideU { dst, lhs, rhs })?
            }
            O::I64Mul => binop!(self, I64Mul, I64MulImm, true, true)?,
            O::I64And => binop!(self, I64And, I64AndImm, true, true)?,
            O::I64Or => binop!(self, I64Or, I64OrImm, true, true)?,
            O::I64Xor => binop!(self, I64Xor, I64XorImm, true, true)?,
            O::I64Shl => binop!(self, I64Shl, I64ShlImm, false, true)?,
            O::I64ShrS => binop!(self, I64ShrS, I64ShrSImm, false, true)?,
            O::I64ShrU => binop!(self, I64ShrU, I64ShrUImm, false, true)?,
            O::I64Rotl => binop!(self, I64Rotl, I64RotlImm, false, true)?,
            O::I64Rotr => binop!(self, I64Rotr, I64RotrImm, false, true)?,

            // An `i32` in a cell is already zero-extended (see `crate::ir`): the operand
            // stays where it is.
            O::I64ExtendI32U => {
                let operand = self.pop()?;
                self.push(operand)?;
            }
            // Cells hold the bits, so reinterpretations change nothing.
            O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {}
            _ => match table::plain(op) {
                Some(Plain::Unary(make)) => self.unary(make)?,
                Some(Plain::Binary(make)) => self.binary(make, None, false, false)?,
                Some(Plain::Load(make, memarg)) => self.load(memarg, make)?,
                None => return self.simd_operator(op),
            },
        }
        Ok(())
    }

    /// An operator in unreachable code: only block structure matters.
    pub(super) fn dead_operator(&mut self, op: &Operator<'_>) -> TResult {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                self.dead_depth += 1;
                Ok(())
            }
            Operator::Else if self.dead_depth == 0 => self.else_(),
            Operator::End if self.dead_depth == 0 => self.end(),
            Operator::End => {
                self.dead_depth -= 1;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub(super) fn local_set(&mut self, local: Slot) -> TResult {
        self.preserve_local(local)?;
        let fold = self.last_is_result() && self.stack.last() == Some(&Operand::Temp);
        let operand = self.pop()?;
        let height = self.height();
        if fold && let Some(dst) = self.code.last_mut().and_then(Instr::result_slot_mut) {
            *dst = local;
            self.last_result = None;
            return Ok(());
        }
        match operand {
            Operand::Local(src) => {
                if src != local {
                    self.emit_copy(local, src);
                }
            }
            Operand::Const(value) => self.emit_const(local, value),
            Operand::Temp => {
                let src = self.temp_slot(height)?;
                self.emit_copy(local, src);
            }
        }
        Ok(())
    }
}
