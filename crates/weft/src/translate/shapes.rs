//! The shapes of operators: unary, binary and compare operators, `select`, calls.

use super::*;

impl<'a> Translator<'a> {
    /// A wide-arithmetic operator: pops `N` `i64` operands (the first popped last in the
    /// array) and pushes its two `i64` results (low half first) into two consecutive
    /// temporaries.
    pub(super) fn wide128<const N: usize>(
        &mut self,
        make: impl FnOnce(VSlot, [Slot; N]) -> Instr,
    ) -> TResult {
        let mut operands = [Slot::default(); N];
        for operand in operands.iter_mut().rev() {
            *operand = self.pop_slot()?;
        }
        let lo = self.push_temp()?;
        self.push_temp()?;
        let dst = VSlot::new(lo).ok_or(TranslateError::TooLarge)?;
        self.emit(make(dst, operands));
        Ok(())
    }

    pub(super) fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Instr) -> TResult {
        let src = self.pop_slot()?;
        let dst = self.push_temp()?;
        self.emit_result(make(dst, src));
        Ok(())
    }

    pub(super) fn binary(
        &mut self,
        make: fn(Slot, Slot, Slot) -> Instr,
        make_imm: Option<fn(Slot, Slot, i32) -> Instr>,
        commutative: bool,
        wide: bool,
    ) -> TResult {
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let height = self.height();
        // A 64-bit constant too large for `make_imm` (hash multipliers, masks).
        if wide && commutative {
            let constant = match (lhs, rhs) {
                (_, Operand::Const(imm)) => Some((lhs, height, imm)),
                (Operand::Const(imm), _) => Some((rhs, height + 1, imm)),
                _ => None,
            };
            if let Some((other, other_height, imm)) = constant
                && const_imm(Operand::Const(imm), wide).is_none()
                && make(Slot::default(), Slot::default(), Slot::default())
                    .with_imm64(Slot::default(), imm)
                    .is_some()
            {
                let other = self.slot_of(other, other_height)?;
                let dst = self.push_temp()?;
                if let Some(instr) = make(dst, other, other).with_imm64(other, imm) {
                    self.emit_result(instr);
                    return Ok(());
                }
            }
        }
        if let Some(make_imm) = make_imm {
            if let Some(imm) = const_imm(rhs, wide) {
                let lhs = self.slot_of(lhs, height)?;
                let dst = self.push_temp()?;
                self.emit_result(make_imm(dst, lhs, imm));
                return Ok(());
            }
            if commutative && let Some(imm) = const_imm(lhs, wide) {
                let rhs = self.slot_of(rhs, height + 1)?;
                let dst = self.push_temp()?;
                self.emit_result(make_imm(dst, rhs, imm));
                return Ok(());
            }
        }
        let lhs = self.slot_of(lhs, height)?;
        let rhs = self.slot_of(rhs, height + 1)?;
        let dst = self.push_temp()?;
        self.emit_result(make(dst, lhs, rhs));
        Ok(())
    }

    /// A comparison with immediate forms for a constant on either side (`swapped` is the
    /// comparison with its operands exchanged).
    pub(super) fn binary_cmp(
        &mut self,
        make: fn(Slot, Slot, Slot) -> Instr,
        make_imm: fn(Slot, Slot, i32) -> Instr,
        swapped_imm: fn(Slot, Slot, i32) -> Instr,
        wide: bool,
    ) -> TResult {
        let rhs = self.pop()?;
        let lhs = self.pop()?;
        let height = self.height();
        if let Some(imm) = const_imm(rhs, wide) {
            let lhs = self.slot_of(lhs, height)?;
            let dst = self.push_temp()?;
            self.emit_result(make_imm(dst, lhs, imm));
        } else if let Some(imm) = const_imm(lhs, wide) {
            let rhs = self.slot_of(rhs, height + 1)?;
            let dst = self.push_temp()?;
            self.emit_result(swapped_imm(dst, rhs, imm));
        } else {
            let lhs = self.slot_of(lhs, height)?;
            let rhs = self.slot_of(rhs, height + 1)?;
            let dst = self.push_temp()?;
            self.emit_result(make(dst, lhs, rhs));
        }
        Ok(())
    }

    /// `i32.sub`/`i64.sub`: a constant right-hand side becomes an add of its negation.
    pub(super) fn sub(
        &mut self,
        make: fn(Slot, Slot, Slot) -> Instr,
        make_add_imm: fn(Slot, Slot, i32) -> Instr,
        wide: bool,
    ) -> TResult {
        if let Some(&rhs) = self.stack.last()
            && let Some(imm) = const_imm(rhs, wide)
            && let Some(neg) = if wide {
                imm.checked_neg()
            } else {
                Some(imm.wrapping_neg())
            }
        {
            self.pop()?;
            let lhs = self.pop()?;
            let height = self.height();
            let lhs = self.slot_of(lhs, height)?;
            let dst = self.push_temp()?;
            self.emit_result(make_add_imm(dst, lhs, neg));
            return Ok(());
        }
        self.binary(make, None, false, wide)
    }

    pub(super) fn push_const(&mut self, value: u64) -> TResult {
        self.push(Operand::Const(value))
    }

    /// `select`: a constant operand that fits a cell's low half (`i32`, `f32`, small `i64`)
    /// goes into the instruction rather than a slot.
    pub(super) fn select(&mut self) -> TResult {
        let imm = |operand| match operand {
            Operand::Const(value) => u32::try_from(value).ok(),
            _ => None,
        };
        let [.., lhs, rhs, _] = self.stack[..] else {
            return Err(TranslateError::Invalid("operand stack underflow"));
        };
        let (lhs_imm, rhs_imm) = (imm(lhs), imm(rhs));
        let cond = self.pop_slot()?;
        let mut operand_slot = |imm: Option<u32>| match imm {
            Some(_) => self.pop().map(|_| Slot::default()),
            None => self.pop_slot(),
        };
        let rhs = operand_slot(rhs_imm)?;
        let lhs = operand_slot(lhs_imm)?;
        let dst = self.push_temp()?;
        self.emit_result(match (lhs_imm, rhs_imm) {
            (Some(lhs), Some(rhs)) => Instr::SelectImm {
                dst,
                cond,
                lhs,
                rhs,
            },
            (None, Some(rhs)) => Instr::SelectSlotImm {
                dst,
                cond,
                lhs,
                rhs,
            },
            (Some(lhs), None) => Instr::SelectImmSlot {
                dst,
                cond,
                lhs,
                rhs,
            },
            (None, None) => Instr::Select {
                dst,
                cond,
                lhs,
                rhs,
            },
        });
        Ok(())
    }

    /// Pops `n` operands and returns their slots in stack order.
    pub(super) fn pop_slots<const N: usize>(&mut self) -> TResult<[Slot; N]> {
        let mut slots = [Slot::default(); N];
        for i in (0..N).rev() {
            slots[i] = self.pop_slot()?;
        }
        Ok(slots)
    }

    /// Emits a call of type `ty`, whose arguments are on top of the stack.
    pub(super) fn call(&mut self, ty: &FuncType, make: impl FnOnce(Slot) -> Instr) -> TResult {
        let params = ty.param_cells() as u32;
        self.materialize_top(params)?;
        let base_height = self.height() - params;
        let base = self.temp_slot(base_height)?;
        self.emit(make(base));
        for _ in 0..params {
            self.pop()?;
        }
        self.push_temps(ty.results())?;
        // The code after the call belongs to the caller's block (and its fuel charge): only
        // branch targets start blocks.
        Ok(())
    }

    /// Emits a tail call of type `ty`, whose arguments are on top of the stack, in
    /// consecutive temporaries from the slot the instruction names (the executor moves them
    /// to the frame's start). Like a `return`, it ends the reachable code.
    pub(super) fn return_call(
        &mut self,
        ty: &FuncType,
        make: impl FnOnce(Slot) -> Instr,
    ) -> TResult {
        let params = ty.param_cells() as u32;
        self.materialize_top(params)?;
        let base = self.temp_slot(self.height() - params)?;
        self.emit(make(base));
        self.reachable = false;
        Ok(())
    }

    /// `call` (or, if `tail`, `return_call`) of function `function_index`: a defined
    /// function's instruction names it by its defined-function index, an import's by its
    /// function index.
    pub(super) fn direct_call(&mut self, function_index: u32, tail: bool) -> TResult {
        let func = FuncIdx::from_u32(function_index);
        let ty = self.func_type(func)?;
        match (func.defined(self.info.num_imported_funcs), tail) {
            (Some(func), false) => self.call(ty, |base| Instr::CallInternal { func, base }),
            (None, false) => self.call(ty, |base| Instr::CallImported { func, base }),
            (Some(func), true) => {
                self.return_call(ty, |base| Instr::ReturnCallInternal { func, base })
            }
            (None, true) => self.return_call(ty, |base| Instr::ReturnCallImported { func, base }),
        }
    }

    /// The type `type_index` of a call whose callee is an operand (`call_indirect`,
    /// `call_ref` and their tail calls), with the slot of that operand, popped.
    pub(super) fn dynamic_callee(
        &mut self,
        type_index: u32,
    ) -> TResult<(TypeIdx, &'a FuncType, Slot)> {
        let ty = TypeIdx::from_u32(type_index);
        let sig = self
            .info
            .types
            .get(ty)
            .ok_or(TranslateError::Invalid("unknown type"))?;
        Ok((ty, sig, self.pop_slot()?))
    }

    /// The type of function `func`.
    pub(super) fn func_type(&self, func: FuncIdx) -> TResult<&'a FuncType> {
        self.info
            .func_type(func)
            .ok_or(TranslateError::Invalid("unknown function"))
    }
}
