//! The operand-stack model: the wasm operand stack as slots, constants and locals not yet
//! copied, and the emission of instructions that write slots.

use super::*;

impl Translator<'_> {
    #[inline]
    pub(super) fn emit(&mut self, instr: Instr) -> usize {
        self.last_result = None;
        self.code.push(instr);
        self.code.len() - 1
    }

    /// Emits `dst = src`, fused with a `Copy` emitted just before it into a `Copy2` unless
    /// a branch targets the new copy (`here` was taken after the last instruction).
    pub(super) fn emit_copy(&mut self, dst: Slot, src: Slot) {
        let is_target = self.label == self.code.len();
        if !is_target
            && let Some(last) = self.code.last_mut()
            && let Instr::Copy {
                dst: dst0,
                src: src0,
            } = *last
        {
            *last = Instr::Copy2 {
                dst0,
                src0,
                dst1: dst,
                src1: src,
            };
            return;
        }
        self.emit(Instr::Copy { dst, src });
    }

    /// Emits an instruction that wrote the top-of-stack temporary (pushed by the caller).
    #[inline]
    pub(super) fn emit_result(&mut self, instr: Instr) {
        let index = self.emit(instr);
        self.last_result = Some(index);
    }

    #[inline]
    pub(super) fn temp_slot(&self, height: u32) -> TResult<Slot> {
        Slot::try_from(self.temp_base + height).map_err(|_| TranslateError::TooLarge)
    }

    #[inline]
    pub(super) fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    #[inline(always)]
    pub(super) fn push(&mut self, operand: Operand) -> TResult {
        if let Operand::Local(_) = operand {
            self.local_refs += 1;
            self.local_floor = self.local_floor.min(self.stack.len());
        }
        self.stack.push(operand);
        let height = self.height();
        if height > self.max_height {
            self.max_height = height;
            // Check early, so that every slot computed later fits.
            self.temp_slot(height)?;
        }
        Ok(())
    }

    #[inline]
    pub(super) fn push_temp(&mut self) -> TResult<Slot> {
        let slot = self.temp_slot(self.height())?;
        self.push(Operand::Temp)?;
        Ok(slot)
    }

    #[inline]
    pub(super) fn pop(&mut self) -> TResult<Operand> {
        let operand = self
            .stack
            .pop()
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        if let Operand::Local(_) = operand {
            self.local_refs -= 1;
        }
        if self.v128_marks.last() == Some(&(self.stack.len() as u32)) {
            self.v128_marks.pop();
        }
        Ok(operand)
    }

    /// Records that the top entry is the high half of a `v128` (the entry below it its low
    /// half). `drop` and `select` read the marks; every other operator knows its types.
    #[inline]
    pub(super) fn mark_v128(&mut self) {
        if let Some(top) = self.stack.len().checked_sub(1) {
            self.v128_marks.push(top as u32);
        }
    }

    /// Whether the top operand is a `v128` (two entries).
    #[inline]
    pub(super) fn top_is_v128(&self) -> bool {
        self.stack.len().checked_sub(1) == self.v128_marks.last().map(|&m| m as usize)
    }

    /// Pushes a `v128` temporary and returns its cells.
    pub(super) fn push_v128_temp(&mut self) -> TResult<VSlot> {
        let lo = self.push_temp()?;
        self.push_temp()?;
        self.mark_v128();
        VSlot::new(lo).ok_or(TranslateError::TooLarge)
    }

    /// Pushes a `v128` constant (as two cell constants, materialized when used).
    pub(super) fn push_v128_const(&mut self, value: u128) -> TResult {
        self.push(Operand::Const(value as u64))?;
        self.push(Operand::Const((value >> 64) as u64))?;
        self.mark_v128();
        Ok(())
    }

    /// Pops the top `v128` and returns its two consecutive cells: a local's, or its
    /// temporaries (a constant, or halves that are not one local, moved there first).
    pub(super) fn pop_v128(&mut self) -> TResult<VSlot> {
        let len = self.stack.len();
        let Some(lo_index) = len.checked_sub(2) else {
            return Err(TranslateError::Invalid("operand stack underflow"));
        };
        let lo = match (self.stack[lo_index], self.stack[lo_index + 1]) {
            (Operand::Local(a), Operand::Local(b)) if u32::from(a) + 1 == u32::from(b) => a,
            (Operand::Temp, Operand::Temp) => self.temp_slot(lo_index as u32)?,
            _ => {
                self.materialize(lo_index)?;
                self.materialize(lo_index + 1)?;
                self.temp_slot(lo_index as u32)?
            }
        };
        self.pop()?;
        self.pop()?;
        VSlot::new(lo).ok_or(TranslateError::TooLarge)
    }

    /// Pushes a temporary for each value of types `types` (two for a `v128`).
    pub(super) fn push_temps(&mut self, types: &[ValType]) -> TResult {
        for ty in types {
            if *ty == ValType::V128 {
                self.push_v128_temp()?;
            } else {
                self.push_temp()?;
            }
        }
        Ok(())
    }

    /// The slot after `slot` (a `v128`'s high half).
    pub(super) fn next_slot(&self, slot: Slot) -> TResult<Slot> {
        Slot::try_from(u32::from(slot) + 1).map_err(|_| TranslateError::TooLarge)
    }

    /// Whether global `global` is a `v128`.
    pub(super) fn global_is_v128(&self, global: GlobalIdx) -> bool {
        self.info
            .globals
            .get(global.index())
            .is_some_and(|g| g.content() == ValType::V128)
    }

    /// The first slot of local `index`, and whether it is a `v128` (two slots).
    pub(super) fn local(&self, index: u32) -> TResult<(Slot, bool)> {
        if self.local_map.is_empty() {
            return Ok((self.local_slot(index)?, false));
        }
        let i = index as usize;
        match (self.local_map.get(i), self.local_map.get(i + 1)) {
            (Some(&lo), Some(&end)) => {
                let slot = Slot::try_from(lo).map_err(|_| TranslateError::TooLarge)?;
                Ok((slot, end - lo == 2))
            }
            _ => Err(TranslateError::Invalid("unknown local")),
        }
    }

    /// The slot holding `operand` found at stack height `height`, materializing a constant
    /// into its temporary.
    #[inline]
    pub(super) fn slot_of(&mut self, operand: Operand, height: u32) -> TResult<Slot> {
        match operand {
            Operand::Local(slot) => Ok(slot),
            Operand::Temp => self.temp_slot(height),
            Operand::Const(value) => {
                let dst = self.temp_slot(height)?;
                self.emit_const(dst, value);
                Ok(dst)
            }
        }
    }

    #[inline]
    pub(super) fn emit_const(&mut self, dst: Slot, value: u64) {
        match u32::try_from(value) {
            Ok(value) => self.emit(Instr::Const32 { dst, value }),
            Err(_) => self.emit(Instr::Const64 { dst, value }),
        };
    }

    /// Pops the top operand and returns its slot (height = new stack height).
    #[inline]
    pub(super) fn pop_slot(&mut self) -> TResult<Slot> {
        let operand = self.pop()?;
        let height = self.height();
        self.slot_of(operand, height)
    }

    /// Makes stack entry `index` a `Temp`, copying its value into its temporary.
    pub(super) fn materialize(&mut self, index: usize) -> TResult {
        let Some(&operand) = self.stack.get(index) else {
            return Err(TranslateError::Invalid("operand stack underflow"));
        };
        let dst = self.temp_slot(index as u32)?;
        match operand {
            Operand::Temp => return Ok(()),
            Operand::Local(src) => {
                self.emit_copy(dst, src);
                self.local_refs -= 1;
            }
            Operand::Const(value) => self.emit_const(dst, value),
        }
        self.stack[index] = Operand::Temp;
        Ok(())
    }

    /// Materializes the top `n` entries.
    pub(super) fn materialize_top(&mut self, n: u32) -> TResult {
        let len = self.stack.len();
        let start = len
            .checked_sub(n as usize)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        for index in start..len {
            self.materialize(index)?;
        }
        Ok(())
    }

    /// Materializes every `Local` entry (before entering a control frame).
    pub(super) fn materialize_locals(&mut self) -> TResult {
        if self.local_refs == 0 {
            return Ok(());
        }
        let len = self.stack.len();
        for index in self.local_floor.min(len)..len {
            if let Operand::Local(_) = self.stack[index] {
                self.materialize(index)?;
            }
        }
        self.local_floor = len;
        Ok(())
    }

    /// Copies the `Local(local)` entries into their temporaries before `local` changes.
    ///
    /// The scan starts at [`Translator::local_floor`]; when it would cover more than
    /// [`MAX_LOCAL_SCAN`] entries, every `Local` entry is materialized instead, so that the
    /// next scans start above them. Otherwise a deep stack of locals (or one local below
    /// many temporaries) made every `local.set` scan it again: quadratic translation time
    /// (minutes for a 500 KB body). Real code keeps few entries above its lowest local.
    pub(super) fn preserve_local(&mut self, local: Slot) -> TResult {
        if self.local_refs == 0 {
            return Ok(());
        }
        let len = self.stack.len();
        let floor = self.local_floor.min(len);
        if len - floor > MAX_LOCAL_SCAN {
            return self.materialize_locals();
        }
        let mut lowest = len;
        for index in floor..len {
            match self.stack[index] {
                Operand::Local(l) if l == local => self.materialize(index)?,
                Operand::Local(_) => lowest = lowest.min(index),
                _ => {}
            }
        }
        self.local_floor = lowest;
        Ok(())
    }

    pub(super) fn local_slot(&self, index: u32) -> TResult<Slot> {
        if index >= self.temp_base {
            return Err(TranslateError::Invalid("unknown local"));
        }
        Slot::try_from(index).map_err(|_| TranslateError::TooLarge)
    }
}
