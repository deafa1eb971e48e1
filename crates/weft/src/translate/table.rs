//! The operators whose translation is one instruction of the same name: generated from the
//! instruction table ([`crate::ir::for_each_instr!`]).
//!
//! Every instruction of the table's `unary`, `unary_trap`, `binary` and `binary_trap` groups,
//! and every plain load of its `load` group, is named after the wasm operator it implements
//! (`I32Add` is `i32.add`). [`plain`] maps such an operator to its instruction, so a new
//! operator of these shapes is one row of the table and its semantics in `exec/wasm.rs`.
//! Operators that translate to more than their instruction (an immediate form for a constant
//! operand, a fused compare-and-branch, stores of constants, control, calls) are matched by
//! hand in `operators.rs` first; [`plain`] is what is left.

use super::*;

/// The instruction of a table operator, as a constructor over its operand slots.
#[derive(Clone, Copy)]
pub(super) enum Plain {
    /// `dst = f(src)`.
    Unary(fn(Slot, Slot) -> Instr),
    /// `dst = f(lhs, rhs)`.
    Binary(fn(Slot, Slot, Slot) -> Instr),
    /// `dst = load(memory[ptr + offset ..])` with the operator's `memarg`.
    Load(fn(Slot, Slot, u32) -> Instr, wasmparser::MemArg),
}

macro_rules! plain_operators {
    (
        special $special:tt
        unary { $($un:ident = $unf:ident,)* }
        unary_trap { $($ut:ident = $utf:ident,)* }
        binary { $($bin:ident = $binf:ident,)* }
        binary_trap { $($bt:ident = $btf:ident,)* }
        binary_imm $binary_imm:tt
        binary_imm64 $binary_imm64:tt
        br_cmp $br_cmp:tt
        br_cmp_imm $br_cmp_imm:tt
        load { $($ld:ident / $li:ident / $ls:ident = $ldf:ident,)* }
        store $store:tt
        store_imm $store_imm:tt
    ) => {
        /// The instruction named after `op`, if `op` is an operator of the table's unary,
        /// binary or load groups.
        pub(super) fn plain(op: &Operator<'_>) -> Option<Plain> {
            use Operator as O;
            Some(match *op {
                $( O::$un => Plain::Unary(|dst, src| Instr::$un { dst, src }), )*
                $( O::$ut => Plain::Unary(|dst, src| Instr::$ut { dst, src }), )*
                $( O::$bin => Plain::Binary(|dst, lhs, rhs| Instr::$bin { dst, lhs, rhs }), )*
                $( O::$bt => Plain::Binary(|dst, lhs, rhs| Instr::$bt { dst, lhs, rhs }), )*
                $(
                    O::$ld { memarg } => {
                        Plain::Load(|dst, ptr, offset| Instr::$ld { dst, ptr, offset }, memarg)
                    }
                )*
                _ => return None,
            })
        }
    };
}

crate::ir::for_each_instr!(plain_operators);
