//! Control flow: blocks, fuel charges per block, labels, branches, `br_table`, `else`, `end`
//! and returns.

use super::*;

impl Translator<'_> {
    /// Starts a new block for fuel accounting.
    pub(super) fn start_block(&mut self) {
        if self.fuel {
            let index = self.emit(Instr::ConsumeFuel { amount: 0 });
            self.fuel_instr = Some(index);
        }
    }

    pub(super) fn bump_fuel(&mut self) {
        if let Some(index) = self.fuel_instr
            && let Some(Instr::ConsumeFuel { amount }) = self.code.get_mut(index)
        {
            *amount = amount.saturating_add(1);
        }
    }

    /// Points the branch at `site` to `target`.
    pub(super) fn patch(&mut self, site: usize, target: usize) -> TResult {
        let offset =
            i32::try_from(target as i64 - site as i64).map_err(|_| TranslateError::TooLarge)?;
        match self.code.get_mut(site).and_then(Instr::branch_offset_mut) {
            Some(slot) => {
                *slot = offset;
                Ok(())
            }
            None => Err(TranslateError::Invalid("patching a non-branch")),
        }
    }

    /// The index of the next instruction, as a branch target: nothing emitted before it is
    /// fused with what is emitted after it.
    pub(super) fn here(&mut self) -> usize {
        self.last_result = None;
        self.label = self.code.len();
        self.label
    }

    pub(super) fn frame(&self, depth: u32) -> TResult<&Ctrl> {
        let len = self.ctrl.len();
        len.checked_sub(1 + depth as usize)
            .and_then(|i| self.ctrl.get(i))
            .ok_or(TranslateError::Invalid("unknown label"))
    }

    /// Whether a branch to frame `depth` needs value moves.
    pub(super) fn branch_needs_moves(&self, depth: u32) -> TResult<bool> {
        let frame = self.frame(depth)?;
        if frame.kind == CtrlKind::Func {
            return Ok(true);
        }
        let arity = frame.branch_arity();
        let start = self.height() - arity;
        if start == frame.height {
            Ok(self.stack[start as usize..]
                .iter()
                .any(|operand| *operand != Operand::Temp))
        } else {
            Ok(arity > 0)
        }
    }

    /// Emits the moves of a branch to frame `depth`'s slots, leaving the stack model as is.
    ///
    /// More than [`MAX_SEPARATE_MOVES`] values, materialized beforehand (see
    /// [`Translator::materialize_branch_values`]), move as one `CopySpan`.
    pub(super) fn emit_branch_moves(&mut self, depth: u32) -> TResult {
        let frame = self.frame(depth)?;
        let arity = frame.branch_arity();
        let target = frame.height;
        let start = self
            .height()
            .checked_sub(arity)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        if arity > MAX_SEPARATE_MOVES
            && self.stack[start as usize..]
                .iter()
                .all(|operand| *operand == Operand::Temp)
        {
            return self.emit_span_move(target, start, arity);
        }
        for i in 0..arity {
            let dst = self.temp_slot(target + i)?;
            match self.stack[(start + i) as usize] {
                Operand::Local(src) => {
                    self.emit_copy(dst, src);
                }
                Operand::Const(value) => self.emit_const(dst, value),
                Operand::Temp => {
                    let src = self.temp_slot(start + i)?;
                    if src != dst {
                        self.emit_copy(dst, src);
                    }
                }
            }
        }
        Ok(())
    }

    /// Emits the move of the `count` temporaries from stack height `from` to the temporaries
    /// from height `to` (`to <= from`), if they differ.
    pub(super) fn emit_span_move(&mut self, to: u32, from: u32, count: u32) -> TResult {
        if to == from || count == 0 {
            return Ok(());
        }
        let dst = self.temp_slot(to)?;
        let src = self.temp_slot(from)?;
        let count = u16::try_from(count).map_err(|_| TranslateError::TooLarge)?;
        self.emit(Instr::CopySpan { dst, src, count });
        Ok(())
    }

    /// Materializes the values a branch to frame `depth` carries when the branch will move
    /// them as a span (more than [`MAX_SEPARATE_MOVES`]) or return them with `ReturnN`. The
    /// values lie below the top `skip` entries (a `br_if`'s condition). Called before any
    /// conditional jump, so that the copies run on every path the stack model describes.
    pub(super) fn materialize_branch_values(&mut self, depth: u32, skip: usize) -> TResult {
        let frame = self.frame(depth)?;
        let arity = frame.branch_arity();
        let is_func = frame.kind == CtrlKind::Func;
        if arity <= MAX_SEPARATE_MOVES && !(is_func && arity > 1) {
            return Ok(());
        }
        let below = self
            .stack
            .len()
            .checked_sub(skip)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        let start = below
            .checked_sub(arity as usize)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        for index in start..below {
            self.materialize(index)?;
        }
        Ok(())
    }

    /// Emits the return of the top `n` operands (stack model unchanged).
    pub(super) fn emit_return(&mut self, n: u32) -> TResult {
        let len = self.height();
        match n {
            0 => {
                self.emit(Instr::Return0 {});
            }
            1 => {
                let operand = self.stack[(len - 1) as usize];
                let src = self.slot_of(operand, len - 1)?;
                self.emit(Instr::Return1 { src });
            }
            _ => {
                // Moving the values into their own temporaries keeps the model consistent
                // even when the return is conditional.
                self.materialize_top(n)?;
                let start = self.temp_slot(len - n)?;
                let count = u16::try_from(n).map_err(|_| TranslateError::TooLarge)?;
                self.emit(Instr::ReturnN { start, count });
            }
        }
        Ok(())
    }

    /// Emits an unconditional branch to frame `depth` (moves included).
    pub(super) fn emit_branch(&mut self, depth: u32) -> TResult {
        if self.frame(depth)?.kind == CtrlKind::Func {
            let n = self.frame(depth)?.results;
            return self.emit_return(n);
        }
        self.emit_branch_moves(depth)?;
        self.emit_jump(depth, Instr::Br { offset: 0 })
    }

    /// Emits `branch` (its offset to be resolved) jumping to frame `depth`'s label.
    pub(super) fn emit_jump(&mut self, depth: u32, branch: Instr) -> TResult {
        let site = self.emit(branch);
        let index = self.ctrl.len() - 1 - depth as usize;
        let frame = &mut self.ctrl[index];
        if frame.kind == CtrlKind::Loop {
            let start = frame.loop_start;
            self.patch(site, start)
        } else {
            frame.branches.push(site);
            Ok(())
        }
    }

    /// Pops an `i32` condition and returns a branch instruction taken when the condition is
    /// `!negate`, fusing a preceding comparison when possible.
    pub(super) fn condition_branch(&mut self, negate: bool) -> TResult<Instr> {
        let fusable = self.last_is_result() && self.stack.last() == Some(&Operand::Temp);
        if fusable
            && let Some(last) = self.code.last()
            && let Some(fused) = fuse_compare(last, negate)
        {
            self.code.pop();
            self.last_result = None;
            self.pop()?;
            return Ok(fused);
        }
        let cond = self.pop_slot()?;
        Ok(if negate {
            Instr::BrIfEqz { cond, offset: 0 }
        } else {
            Instr::BrIfNez { cond, offset: 0 }
        })
    }

    /// The cells of a block's parameters and results (a `v128` takes two).
    pub(super) fn block_arity(&self, ty: BlockType) -> TResult<(u32, u32)> {
        Ok(match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(t) => (0, if t == wasmparser::ValType::V128 { 2 } else { 1 }),
            BlockType::FuncType(index) => {
                let ty = self
                    .info
                    .types
                    .get(TypeIdx::from_u32(index))
                    .ok_or(TranslateError::Invalid("unknown block type"))?;
                (ty.param_cells() as u32, ty.result_cells() as u32)
            }
        })
    }

    /// Pushes temporaries for a block's parameters (`results` false) or results, by type.
    pub(super) fn push_block_values(&mut self, ty: BlockType, results: bool) -> TResult {
        match ty {
            BlockType::Empty => Ok(()),
            BlockType::Type(t) if results => {
                if t == wasmparser::ValType::V128 {
                    self.push_v128_temp().map(|_| ())
                } else {
                    self.push_temp().map(|_| ())
                }
            }
            BlockType::Type(_) => Ok(()),
            BlockType::FuncType(index) => {
                let info = self.info;
                let ty = info
                    .types
                    .get(TypeIdx::from_u32(index))
                    .ok_or(TranslateError::Invalid("unknown block type"))?;
                let types = if results { ty.results() } else { ty.params() };
                self.push_temps(types)
            }
        }
    }

    pub(super) fn push_ctrl(&mut self, kind: CtrlKind, ty: BlockType) -> TResult<&mut Ctrl> {
        let (params, results) = self.block_arity(ty)?;
        let height = self
            .height()
            .checked_sub(params)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        self.ctrl.push(Ctrl {
            kind,
            blockty: ty,
            height,
            params,
            results,
            branches: Vec::new(),
            else_branch: None,
            loop_start: 0,
        });
        let last = self.ctrl.len() - 1;
        Ok(&mut self.ctrl[last])
    }

    pub(super) fn br_if(&mut self, depth: u32) -> TResult {
        let is_func = self.frame(depth)?.kind == CtrlKind::Func;
        // `ReturnN` and `CopySpan` read consecutive temporaries: fill them on both paths
        // (the values sit just below the condition).
        self.materialize_branch_values(depth, 1)?;
        // The condition is popped first; the moves are computed on the remaining stack.
        let top = self.stack.len();
        let needs_moves = {
            // Peek below the condition.
            let cond = self.stack.pop();
            let needs = self.branch_needs_moves(depth);
            if let Some(cond) = cond {
                self.stack.push(cond);
            }
            needs?
        };
        debug_assert_eq!(top, self.stack.len());
        if !needs_moves && !is_func {
            let branch = self.condition_branch(false)?;
            self.emit_jump(depth, branch)?;
        } else {
            // Skip the moves and the jump when the condition is false.
            let skip = self.condition_branch(true)?;
            let site = self.emit(skip);
            self.emit_branch(depth)?;
            let here = self.here();
            self.patch(site, here)?;
        }
        // The fall-through stays in the current block: its fuel was charged with the block's
        // (a taken branch forfeits it).
        self.last_result = None;
        Ok(())
    }

    /// The slot of the reference on top of the operand stack, which stays there; a constant
    /// (only `ref.null` makes one) is first moved into its temporary so that it has a slot.
    pub(super) fn top_ref_slot(&mut self) -> TResult<Slot> {
        let index = self
            .stack
            .len()
            .checked_sub(1)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        if let Some(Operand::Const(_)) = self.stack.get(index) {
            self.materialize(index)?;
        }
        let operand = self.pop()?;
        let slot = self.slot_of(operand, self.height())?;
        self.push(operand)?;
        Ok(slot)
    }

    /// A jump to frame `depth` taken when the reference in `reference` is null
    /// (`null` true) or not null, with the moves of the values the branch carries (the
    /// top of the stack model), in the shape of `br_if`.
    fn branch_on_ref(&mut self, depth: u32, reference: Slot, null: bool) -> TResult {
        let is_func = self.frame(depth)?.kind == CtrlKind::Func;
        self.materialize_branch_values(depth, 0)?;
        // A reference is a whole cell (a store index plus one), so it is compared as an
        // `i64` against 0.
        let test = |taken: bool| {
            if taken {
                Instr::BrI64EqImm {
                    lhs: reference,
                    imm: 0,
                    offset: 0,
                }
            } else {
                Instr::BrI64NeImm {
                    lhs: reference,
                    imm: 0,
                    offset: 0,
                }
            }
        };
        if !self.branch_needs_moves(depth)? && !is_func {
            self.emit_jump(depth, test(null))?;
        } else {
            // Skip the moves and the jump when the branch is not taken. The moves write
            // only the target's slots, below the reference's, so the test reads it first.
            let site = self.emit(test(!null));
            self.emit_branch(depth)?;
            let here = self.here();
            self.patch(site, here)?;
        }
        self.last_result = None;
        Ok(())
    }

    /// `br_on_null depth`: branches with the values below the reference if it is null,
    /// and continues with the reference otherwise.
    pub(super) fn br_on_null(&mut self, depth: u32) -> TResult {
        let reference = self.top_ref_slot()?;
        let operand = self.pop()?;
        self.branch_on_ref(depth, reference, true)?;
        self.push(operand)
    }

    /// `br_on_non_null depth`: branches with the values and the reference if it is not
    /// null, and continues without the reference otherwise.
    pub(super) fn br_on_non_null(&mut self, depth: u32) -> TResult {
        self.top_ref_slot()?;
        // The branch carries the reference: moving the values may give it a temporary.
        self.materialize_branch_values(depth, 0)?;
        let reference = self.top_ref_slot()?;
        self.branch_on_ref(depth, reference, false)?;
        self.pop().map(|_| ())
    }

    pub(super) fn br_table(&mut self, targets: wasmparser::BrTable<'_>) -> TResult {
        let index = self.pop()?;
        // Every target receives the same values; with them in their own temporaries the
        // moves of one target cannot change what another one sees.
        let default = targets.default();
        let arity = self.frame(default)?.branch_arity();
        self.materialize_top(arity)?;
        let height = self.height();
        let index = self.slot_of(index, height)?;
        self.emit(Instr::BrTable {
            index,
            len: targets.len(),
        });
        // One `Br` per entry. The entries of a target that needs moves jump to one shared
        // copy of them, emitted after the table: a table of `n` entries then costs `O(n)`
        // instructions whatever the arity (one sequence per entry would cost `n * arity`).
        let mut shared = Vec::new();
        for depth in targets.targets().chain(core::iter::once(Ok(default))) {
            let depth = depth.map_err(|_| TranslateError::Invalid("malformed br_table"))?;
            let frame = self.frame(depth)?;
            // The values are temporaries: they need moves unless they are the target's.
            let needs_moves =
                frame.kind == CtrlKind::Func || (arity > 0 && height - arity != frame.height);
            if needs_moves {
                let site = self.emit(Instr::Br { offset: 0 });
                shared.push((depth, site));
            } else {
                self.emit_jump(depth, Instr::Br { offset: 0 })?;
            }
        }
        shared.sort_unstable();
        for entries in shared.chunk_by(|a, b| a.0 == b.0) {
            let here = self.here();
            for &(_, site) in entries {
                self.patch(site, here)?;
            }
            self.emit_branch(entries[0].0)?;
        }
        self.reachable = false;
        Ok(())
    }

    pub(super) fn else_(&mut self) -> TResult {
        let index = self.ctrl.len() - 1;
        if self.reachable {
            self.materialize_branch_values(0, 0)?;
            self.emit_branch(0)?;
        }
        let frame = &mut self.ctrl[index];
        frame.kind = CtrlKind::Else;
        let height = frame.height;
        let blockty = frame.blockty;
        let else_branch = frame.else_branch.take();
        if let Some(site) = else_branch {
            let here = self.here();
            self.patch(site, here)?;
        }
        self.truncate_stack(height)?;
        self.push_block_values(blockty, false)?;
        self.reachable = true;
        self.last_result = None;
        self.start_block();
        Ok(())
    }

    pub(super) fn truncate_stack(&mut self, height: u32) -> TResult {
        while self.height() > height {
            self.pop()?;
        }
        Ok(())
    }

    pub(super) fn end(&mut self) -> TResult {
        let Some(frame) = self.ctrl.last() else {
            return Err(TranslateError::Invalid("unbalanced end"));
        };
        if frame.kind == CtrlKind::Func {
            if self.reachable {
                let n = frame.results;
                self.emit_return(n)?;
            }
            self.ctrl.pop();
            self.reachable = false;
            return Ok(());
        }
        if self.reachable {
            // Fall through with the results in the frame's slots. Validation leaves exactly
            // the results above the frame's height, so only values not yet in their
            // temporaries move: each pushed by an operator of its own, or a constant
            // parameter, moved once (the results are temporaries afterwards).
            let arity = frame.results;
            let height = frame.height;
            let start = self.height() - arity;
            for i in 0..arity {
                let dst = self.temp_slot(height + i)?;
                match self.stack[(start + i) as usize] {
                    Operand::Local(src) => {
                        self.emit_copy(dst, src);
                    }
                    Operand::Const(value) => self.emit_const(dst, value),
                    Operand::Temp => {
                        let src = self.temp_slot(start + i)?;
                        if src != dst {
                            self.emit_copy(dst, src);
                        }
                    }
                }
            }
        }
        let Some(frame) = self.ctrl.pop() else {
            return Err(TranslateError::Invalid("unbalanced end"));
        };
        let here = self.here();
        for site in &frame.branches {
            self.patch(*site, here)?;
        }
        let mut reachable = self.reachable || !frame.branches.is_empty();
        // Code only reached by falling through stays in the current block (see
        // `Config::consume_fuel`); after a loop it must not, or each iteration would pay for it.
        let mut target = !frame.branches.is_empty() || frame.kind == CtrlKind::Loop;
        if let Some(site) = frame.else_branch {
            // An `if` without `else`: the false path arrives here with the parameters, which
            // are its results.
            self.patch(site, here)?;
            reachable = true;
            target = true;
        }
        self.truncate_stack(frame.height)?;
        self.push_block_values(frame.blockty, true)?;
        self.reachable = reachable;
        if reachable && target {
            self.start_block();
        }
        Ok(())
    }
}
