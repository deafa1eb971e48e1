//! Memory access: loads and stores, with the address computation folded into them.

use super::*;

impl Translator<'_> {
    pub(super) fn load(
        &mut self,
        memarg: wasmparser::MemArg,
        make: fn(Slot, Slot, u32) -> Instr,
    ) -> TResult {
        let Some((offset, memory)) = self.access(memarg)? else {
            return Ok(());
        };
        if let Some(memory) = memory {
            let ptr = self.pop_slot()?;
            let dst = self.push_temp()?;
            let instr = make(dst, ptr, offset).with_memory(memory);
            self.emit_result(instr.ok_or(TranslateError::Invalid("unknown load"))?);
            return Ok(());
        }
        let fusable = self.stack.last() == Some(&Operand::Temp) && self.last_is_result();
        let ptr = self.pop_slot()?;
        let dst = self.push_temp()?;
        let instr = self.fold_address(make(dst, ptr, offset), ptr, fusable);
        self.emit_result(instr);
        Ok(())
    }

    /// Load or store `instr` from address `ptr`, with the `i32.add` that the last
    /// instruction computed `ptr` with folded into its address (and removed), if `fusable`
    /// (the sum is the top-of-stack temporary the access consumes, so nothing else uses it).
    ///
    /// When the `i32.add` adds a temporary that the `i32.shl` by a constant right before it
    /// computed (and no branch targets the add), the shift is folded in too.
    pub(super) fn fold_address(&mut self, instr: Instr, ptr: Slot, fusable: bool) -> Instr {
        let [.., before, last] = self.code[..] else {
            return instr;
        };
        let Instr::I32Add { dst: sum, lhs, rhs } = last else {
            return instr;
        };
        if !fusable || sum != ptr {
            return instr;
        }
        let shl_index = self.code.len() - 2;
        if let Instr::I32ShlImm {
            dst: shifted,
            lhs: index,
            imm,
        } = before
            && u32::from(shifted) >= self.temp_base
            && (lhs == shifted) != (rhs == shifted)
            && self.label <= shl_index
        {
            let base = if lhs == shifted { rhs } else { lhs };
            let shift = (imm & 31) as u8;
            if let Some(scaled) = instr.with_scaled_address(base, index, shift) {
                self.code.truncate(shl_index);
                return scaled;
            }
        }
        match instr.with_indexed_address(lhs, rhs) {
            Some(indexed) => {
                self.code.pop();
                indexed
            }
            None => instr,
        }
    }

    /// Whether the last instruction emitted wrote the top-of-stack temporary and nothing
    /// (a label, say) came after it.
    pub(super) fn last_is_result(&self) -> bool {
        self.last_result.is_some_and(|i| i + 1 == self.code.len())
    }

    pub(super) fn store(
        &mut self,
        memarg: wasmparser::MemArg,
        make: fn(Slot, Slot, u32) -> Instr,
        make_imm: fn(Slot, i32, u32) -> Instr,
        wide: bool,
    ) -> TResult {
        let Some((offset, memory)) = self.access(memarg)? else {
            return Ok(());
        };
        if let Some(memory) = memory {
            let value = self.pop_slot()?;
            let ptr = self.pop_slot()?;
            let instr = make(ptr, value, offset).with_memory(memory);
            self.emit(instr.ok_or(TranslateError::Invalid("unknown store"))?);
            return Ok(());
        }
        if let Some(&value) = self.stack.last()
            && let Some(imm) = const_imm(value, wide)
        {
            // `ptr` computed by the last instruction: see `load`.
            let fusable = matches!(
                self.stack.as_slice(),
                [.., Operand::Temp, Operand::Const(_)]
            ) && self.last_is_result();
            self.pop()?;
            let ptr = self.pop_slot()?;
            let instr = self.fold_address(make_imm(ptr, imm, offset), ptr, fusable);
            self.emit(instr);
            return Ok(());
        }
        // `ptr` computed by the last instruction, `value` a local: see `load`.
        let fusable = matches!(
            self.stack.as_slice(),
            [.., Operand::Temp, Operand::Local(_)]
        ) && self.last_is_result();
        let value = self.pop_slot()?;
        let ptr = self.pop_slot()?;
        let instr = self.fold_address(make(ptr, value, offset), ptr, fusable);
        self.emit(instr);
        Ok(())
    }
}

impl Translator<'_> {
    /// The offset of an access with `memarg`, and the memory it accesses when that is not
    /// memory 0 with 32-bit addresses (the memory the load and store instructions assume).
    ///
    /// `None` when the offset exceeds `u32::MAX`, which validation allows for 64-bit
    /// memories only: Weft's memories hold at most 4 GiB, so the access always traps, and a
    /// `Trap` replaces it (the code after it is unreachable).
    pub(super) fn access(
        &mut self,
        memarg: wasmparser::MemArg,
    ) -> TResult<Option<(u32, Option<u16>)>> {
        let memory = memarg_memory(memarg)?;
        let Ok(offset) = u32::try_from(memarg.offset) else {
            self.emit(Instr::Trap {
                code: TrapCode::MemoryOutOfBounds,
            });
            self.reachable = false;
            return Ok(None);
        };
        let memory64 = self
            .info
            .memories
            .get(usize::from(memory))
            .is_some_and(|ty| ty.is_64());
        Ok(Some((offset, (memory != 0 || memory64).then_some(memory))))
    }
}

/// The index of the memory that a `memarg` names, as the instructions of memories other
/// than 0 hold it (validation bounds it by the module's memories, at most 100).
pub(super) fn memarg_memory(memarg: wasmparser::MemArg) -> TResult<u16> {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(memory) => {
            u16::try_from(memory).map_err(|_| TranslateError::Invalid("too many memories"))
        }
        wasmparser::MemArgTarget::Array(_) => {
            Err(TranslateError::Invalid("array accesses are not supported"))
        }
    }
}

/// Whether `op` is a plain load or store (one opcode byte and a `memarg`).
pub(super) fn is_load_or_store(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::I32Load { .. }
            | O::I64Load { .. }
            | O::F32Load { .. }
            | O::F64Load { .. }
            | O::I32Load8S { .. }
            | O::I32Load8U { .. }
            | O::I32Load16S { .. }
            | O::I32Load16U { .. }
            | O::I64Load8S { .. }
            | O::I64Load8U { .. }
            | O::I64Load16S { .. }
            | O::I64Load16U { .. }
            | O::I64Load32S { .. }
            | O::I64Load32U { .. }
            | O::I32Store { .. }
            | O::I64Store { .. }
            | O::F32Store { .. }
            | O::F64Store { .. }
            | O::I32Store8 { .. }
            | O::I32Store16 { .. }
            | O::I64Store8 { .. }
            | O::I64Store16 { .. }
            | O::I64Store32 { .. }
    )
}

/// wasmparser reads a `memarg` offset as a 64-bit LEB128 (for memory64); for 32-bit
/// memories the spec's encoding is a `u32`, whose LEB128 has at most 5 bytes. With
/// multi-memory, bit 6 of the alignment flags says that a memory index follows them.
pub(super) fn check_memarg_encoding(
    mut reader: wasmparser::BinaryReader<'_>,
    multi_memory: bool,
) -> Result<()> {
    let malformed = |e: wasmparser::BinaryReaderError| {
        Error::malformed(e.message().to_string(), Some(e.offset() as usize))
    };
    reader.read_u8().map_err(malformed)?;
    let flags = reader.read_var_u32().map_err(malformed)?;
    if multi_memory && flags & (1 << 6) != 0 {
        reader.read_var_u32().map_err(malformed)?;
    }
    reader.read_var_u32().map_err(malformed)?;
    Ok(())
}
