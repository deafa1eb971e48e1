//! Weft's register bytecode: the form every function body is translated into.
//!
//! # Frames and slots
//!
//! A function runs in a *frame*: a window of consecutive `u64` cells of one contiguous value
//! stack. A [`Slot`] is an index into the frame. The frame holds, in order:
//!
//! ```text
//! fp + 0                 params        (written by the caller)
//! fp + num_params        locals        (zeroed on entry)
//! fp + num_locals_total  temporaries   (the wasm operand stack: height h lives in slot
//!                                       num_locals_total + h)
//! ```
//!
//! A cell holds an `i32` or an `f32` in its low 32 bits, zero-extended: every instruction,
//! host value conversion and constant keeps the upper half 0, so `i64.extend_i32_u` needs no
//! instruction.
//!
//! Every instruction names its operands and its result by slot, so `local.get` emits nothing:
//! the operand simply *is* the local's slot. Constants and small immediates are encoded in the
//! instructions themselves (`I32AddImm`, `BrI32LtSImm`, `Const32`, ...).
//!
//! # Calls
//!
//! A call's arguments sit in consecutive temporaries of the caller starting at slot `base`;
//! the callee's frame starts right there (`callee_fp = caller_fp + base`), so arguments become
//! the callee's parameters without a copy. A callee returns its results in its slots
//! `0..results`, which are the caller's temporaries `base..` — exactly where the wasm operand
//! stack expects them.
//!
//! A tail call (`ReturnCall*`) moves its arguments from slot `base` down to slot 0 and
//! replaces the current frame with the callee's, at the same frame pointer: the callee
//! returns its results to the caller's caller, and a chain of tail calls uses one frame.
//!
//! # Control flow
//!
//! Branch targets are resolved at translation time to offsets relative to the branch
//! instruction (`new_ip = ip + offset`); there is no block stack at run time. A `br_table` is
//! followed by its `len + 1` targets, each a [`Instr::Br`]. Values carried by branches are
//! moved into the target's result slots by [`Instr::Copy`]/[`Instr::Const64`] before the jump.
//!
//! # The instruction table
//!
//! [`for_each_instr!`] is the single list of instructions. Most instructions are uniform
//! (unary, binary, with immediate, load, store, fused compare+branch) and name the pure
//! function in [`crate::exec::wasm`] that gives their semantics; the interpreter's handlers
//! and this module's [`Instr`] enum are both generated from the list. Every instruction is
//! at most 16 bytes; for execution each is paired with the function that executes it (see
//! `exec::dispatch`).
//!
//! # Verification
//!
//! [`verify`] runs after every translation, and on every function of a precompiled module
//! when it is loaded (with the index checks of `module::serialize`), and checks that every
//! slot operand lies in the frame, every branch target and `br_table` entry is an
//! instruction of the function, and the code cannot run off its end. The interpreter relies on exactly these
//! facts to access slots and instructions without bounds checks.

pub(crate) mod codec;

use crate::exec::Op;
use crate::index::{
    DataIdx, DefinedFuncIdx, ElemIdx, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx,
};
use crate::trap::TrapCode;

/// An index of a cell of the current frame.
///
/// `#[repr(transparent)]` over the `u16` it wraps, so instructions keep their size. A slot is
/// made from a frame position only by [`Slot::try_from`] (which fails beyond `u16::MAX`) and
/// read back only as a position ([`Slot::index`], `u32::from`, `u64::from`): slot arithmetic
/// happens on positions, never on slots.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub(crate) struct Slot(u16);

impl Slot {
    /// The largest slot.
    pub(crate) const MAX: Slot = Slot(u16::MAX);

    /// Slot `index`.
    #[inline(always)]
    pub(crate) const fn new(index: u16) -> Self {
        Slot(index)
    }

    /// The slot's position in the frame.
    #[inline(always)]
    pub(crate) const fn index(self) -> usize {
        self.0 as usize
    }
}

impl From<Slot> for u32 {
    #[inline(always)]
    fn from(slot: Slot) -> u32 {
        u32::from(slot.0)
    }
}

impl From<Slot> for u64 {
    #[inline(always)]
    fn from(slot: Slot) -> u64 {
        u64::from(slot.0)
    }
}

impl TryFrom<u32> for Slot {
    type Error = core::num::TryFromIntError;

    #[inline(always)]
    fn try_from(index: u32) -> Result<Slot, Self::Error> {
        u16::try_from(index).map(Slot)
    }
}

impl core::fmt::Debug for Slot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl core::fmt::Display for Slot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

/// The first of the two consecutive cells of a `v128` value (low 64 bits at [`VSlot::lo`],
/// high 64 bits at [`VSlot::hi`]).
///
/// Made only from a slot below [`Slot::MAX`] ([`VSlot::new`]), so that both cells are
/// slots; [`Instr::for_each_slot`] visits both, which is how [`verify`] checks them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub(crate) struct VSlot(u16);

impl VSlot {
    /// The `v128` whose low half is in `lo`, if its high half (`lo + 1`) is a slot too.
    #[inline]
    pub(crate) fn new(lo: Slot) -> Option<Self> {
        (lo.0 < u16::MAX).then_some(VSlot(lo.0))
    }

    /// The slot of the low 64 bits.
    #[inline(always)]
    pub(crate) const fn lo(self) -> Slot {
        Slot(self.0)
    }

    /// The slot of the high 64 bits.
    #[inline(always)]
    pub(crate) const fn hi(self) -> Slot {
        // `new` keeps `self.0 < u16::MAX`.
        Slot(self.0.wrapping_add(1))
    }
}

impl core::fmt::Debug for VSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}", self.0, self.0.wrapping_add(1))
    }
}

/// Invokes `$cb!` with the complete list of IR instructions, grouped by shape.
///
/// Groups (after the hand-written `special` instructions):
/// - `unary`: `Name = func` — `dst = func(src)`;
/// - `unary_trap`: as `unary`, `func` returns `Result<_, TrapCode>`;
/// - `binary`: `dst = func(lhs, rhs)`; `binary_trap` likewise with a `Result`;
/// - `binary_imm`: `dst = func(lhs, imm)` with a 32-bit immediate (sign-extended for `i64`);
///   `binary_imm64` with a 64-bit one;
/// - `br_cmp`: `if func(lhs, rhs) { ip += offset }`; `br_cmp_imm` with an immediate `rhs`;
/// - `load`: `Name / NameIdx / NameScaled = func` — `dst = func(memory[ptr + offset ..][..N])`,
///   and its forms with `ptr = base + index` (`Idx`: an `i32.add` of two slots, wrapping,
///   folded into the access) and `ptr = base + (index << shift)` (`Scaled`: an `i32.shl` by
///   a constant and an `i32.add`, wrapping, folded into the access);
/// - `store`: `memory[ptr + offset ..][..N] = func(value)`, with the same three forms;
///   `store_imm` with an immediate `value` (sign-extended for `i64`), and its `Idx` form.
macro_rules! for_each_instr {
    ($cb:ident) => {
        $cb! {
            special {
                /// Traps with `code` (`unreachable`, and code the translator proves traps).
                Trap { code: TrapCode },
                /// Sets the `count` slots from `start` on (the function's non-parameter
                /// locals) to zero; the first instruction of a function with such locals.
                ZeroLocals { start: Slot, count: u32 },
                /// Subtracts `amount` from the store's fuel; traps with `OutOfFuel` (leaving
                /// the fuel unchanged) if there is not enough.
                ConsumeFuel { amount: u32 },
                /// Calls the epoch deadline handler if the engine's epoch reached the store's
                /// deadline.
                EpochCheck {},
                /// `dst = src`.
                Copy { dst: Slot, src: Slot },
                /// `dst0 = src0`, then `dst1 = src1` (two consecutive `Copy`s).
                Copy2 { dst0: Slot, src0: Slot, dst1: Slot, src1: Slot },
                /// `dst..dst + count = src..src + count`, as one move (the ranges may
                /// overlap): the values a branch carries to its target when there are
                /// many, so that a branch costs one instruction whatever its arity.
                CopySpan { dst: Slot, src: Slot, count: u16 },
                /// `dst = value` (zero-extended).
                Const32 { dst: Slot, value: u32 },
                /// `dst = value`.
                Const64 { dst: Slot, value: u64 },
                /// `dst = if cond != 0 { lhs } else { rhs }`.
                Select { dst: Slot, cond: Slot, lhs: Slot, rhs: Slot },
                /// `dst = if cond != 0 { lhs } else { rhs }` of two constants (cells, so
                /// zero-extended).
                SelectImm { dst: Slot, cond: Slot, lhs: u32, rhs: u32 },
                /// `dst = if cond != 0 { lhs } else { rhs }` with a constant `rhs` (a cell,
                /// so zero-extended).
                SelectSlotImm { dst: Slot, cond: Slot, lhs: Slot, rhs: u32 },
                /// `dst = if cond != 0 { lhs } else { rhs }` with a constant `lhs` (a cell,
                /// so zero-extended).
                SelectImmSlot { dst: Slot, cond: Slot, lhs: u32, rhs: Slot },
                /// Unconditional relative jump.
                Br { offset: i32 },
                /// Jumps if `cond` (an `i32`) is not zero.
                BrIfNez { cond: Slot, offset: i32 },
                /// Jumps if `cond` (an `i32`) is zero.
                BrIfEqz { cond: Slot, offset: i32 },
                /// Jumps to target `min(index, len)`: the instruction at `ip + 1 + that`,
                /// each a `Br`.
                BrTable { index: Slot, len: u32 },
                /// Returns without results.
                Return0 {},
                /// Returns the value in `src`.
                Return1 { src: Slot },
                /// Returns `count` values from slots `start..start + count`.
                ReturnN { start: Slot, count: u16 },
                /// Calls defined function `func` (defined-function index) of this module.
                CallInternal { func: DefinedFuncIdx, base: Slot },
                /// Calls function `func` of this module's function index space (an import).
                CallImported { func: FuncIdx, base: Slot },
                /// `call_indirect` of type `ty` through table `table`, with the element index
                /// in `index`.
                CallIndirect { ty: TypeIdx, table: TableIdx, index: Slot, base: Slot },
                /// `return_call` of defined function `func` (defined-function index) of this
                /// module, whose arguments start at slot `base`: they move to slots
                /// `0..params` and the callee's frame replaces the current one.
                ReturnCallInternal { func: DefinedFuncIdx, base: Slot },
                /// `return_call` of function `func` of this module's function index space
                /// (an import), with arguments from slot `base`.
                ReturnCallImported { func: FuncIdx, base: Slot },
                /// `return_call_indirect` of type `ty` through table `table`, with the
                /// element index in `index` and arguments from slot `base`.
                ReturnCallIndirect { ty: TypeIdx, table: TableIdx, index: Slot, base: Slot },
                /// `return_call_ref` of type `ty`: tail-calls the function whose reference is
                /// in `func` (as `CallRef`), with arguments from slot `base`.
                ReturnCallRef { ty: TypeIdx, func: Slot, base: Slot },
                /// `call_ref` of type `ty`: calls the function whose reference is in `func`
                /// (a store function index plus one; 0, null, traps with
                /// `NullFunctionReference`).
                CallRef { ty: TypeIdx, func: Slot, base: Slot },
                /// `ref.as_non_null`: traps with `NullReference` if the reference in `src`
                /// is null; the value stays where it is.
                RefAsNonNull { src: Slot },
                /// `dst = global`.
                GlobalGet { dst: Slot, global: GlobalIdx },
                /// `global = src`.
                GlobalSet { src: Slot, global: GlobalIdx },
                /// `dst = memory.size` (memory 0).
                MemorySize { dst: Slot },
                /// `dst = memory.size` of memory `memory` (not 0).
                MemorySizeMem { dst: Slot, memory: MemoryIdx },
                /// `dst = memory.grow memory (delta)`.
                MemoryGrow { dst: Slot, delta: Slot, memory: MemoryIdx },
                /// `memory.fill memory (dst_addr, value, len)`.
                MemoryFill { memory: MemoryIdx, dst_addr: Slot, value: Slot, len: Slot },
                /// `memory.copy dst_memory src_memory (dst_addr, src_addr, len)`.
                MemoryCopy { dst_memory: MemoryIdx, src_memory: MemoryIdx, dst_addr: Slot, src_addr: Slot, len: Slot },
                /// `memory.init memory data (dst_addr, src_offset, len)`.
                MemoryInit { memory: MemoryIdx, data: DataIdx, dst_addr: Slot, src_offset: Slot, len: Slot },
                /// `dst = load(memory[ptr + offset..])` of memory `memory` (not memory 0 with
                /// 32-bit addresses; `ptr` is the whole cell), the load being the one of
                /// [`LoadOp`] `op`.
                LoadMem { op: u8, memory: u16, dst: Slot, ptr: Slot, offset: u32 },
                /// `memory[ptr + offset..] = store(value)` of memory `memory` (as `LoadMem`),
                /// the store being the one of [`StoreOp`] `op`.
                StoreMem { op: u8, memory: u16, ptr: Slot, value: Slot, offset: u32 },
                /// `data.drop data`.
                DataDrop { data: DataIdx },
                /// `dst = table.get table (index)`.
                TableGet { dst: Slot, table: TableIdx, index: Slot },
                /// `table.set table (index, value)`.
                TableSet { table: TableIdx, index: Slot, value: Slot },
                /// `dst = table.size table`.
                TableSize { dst: Slot, table: TableIdx },
                /// `dst = table.grow table (init, delta)`; `dst` also holds `init` on entry
                /// (the translator puts both operands in consecutive slots `dst`, `delta`).
                TableGrow { dst: Slot, table: TableIdx, delta: Slot },
                /// `table.fill table (index, value, len)`.
                TableFill { table: TableIdx, index: Slot, value: Slot, len: Slot },
                /// `table.copy dst_table src_table (dst_index, src_index, len)`.
                TableCopy { dst_table: TableIdx, src_table: TableIdx, dst_index: Slot, src_index: Slot, len: Slot },
                /// `table.init table elem (dst_index, src_offset, len)`.
                TableInit { table: TableIdx, elem: ElemIdx, dst_index: Slot, src_offset: Slot, len: Slot },
                /// `elem.drop elem`.
                ElemDrop { elem: ElemIdx },
                /// `dst = ref.func func` (module function index).
                RefFunc { dst: Slot, func: FuncIdx },
                /// `(dst.lo, dst.hi) = (lhs_lo, lhs_hi) + (rhs_lo, rhs_hi)`, 128-bit,
                /// wrapping (`i64.add128`).
                I64Add128 { dst: VSlot, lhs_lo: Slot, lhs_hi: Slot, rhs_lo: Slot, rhs_hi: Slot },
                /// As `I64Add128`, subtracting (`i64.sub128`).
                I64Sub128 { dst: VSlot, lhs_lo: Slot, lhs_hi: Slot, rhs_lo: Slot, rhs_hi: Slot },
                /// `(dst.lo, dst.hi) = lhs * rhs`, the signed 128-bit product
                /// (`i64.mul_wide_s`).
                I64MulWideS { dst: VSlot, lhs: Slot, rhs: Slot },
                /// The unsigned 128-bit product (`i64.mul_wide_u`).
                I64MulWideU { dst: VSlot, lhs: Slot, rhs: Slot },
                /// `dst = f(src)` over `v128`s, `f` the `op`-th `Unary` row of `simd::for_each_simd_op!`.
                V128Unary { op: u16, dst: VSlot, src: VSlot },
                /// `dst = f(lhs, rhs)` over `v128`s, `f` the `op`-th `Binary` row.
                V128Binary { op: u16, dst: VSlot, lhs: VSlot, rhs: VSlot },
                /// `dst = f(a, b, c)` over `v128`s, `f` the `op`-th `Ternary` row.
                V128Ternary { op: u16, dst: VSlot, a: VSlot, b: VSlot, c: VSlot },
                /// `dst = f(lhs, count)`, `f` the `op`-th `Shift` row: a `v128` shifted by the `i32` `count`.
                V128Shift { op: u16, dst: VSlot, lhs: VSlot, count: Slot },
                /// `dst = f(src)`, `f` the `op`-th `Splat` row: a `v128` of copies of the scalar `src`.
                V128Splat { op: u16, dst: VSlot, src: Slot },
                /// `dst = f(src)`, `f` the `op`-th `Test` row: an `i32` of a `v128` (`any_true`,
                /// `all_true`, `bitmask`).
                V128Test { op: u16, dst: Slot, src: VSlot },
                /// `dst = simd::EXTRACT[op](src, lane)`: a scalar lane of a `v128`.
                V128Extract { op: u16, dst: Slot, src: VSlot, lane: u8 },
                /// `dst = simd::REPLACE[op](src, lane, value)`: `src` with lane `lane`
                /// replaced by the scalar `value`.
                V128Replace { op: u16, dst: VSlot, src: VSlot, value: Slot, lane: u8 },
                /// `dst = i8x16.shuffle(lhs, rhs)` with the lane indices in the `v128` `lanes`
                /// (a constant the translator puts in a temporary).
                V128Shuffle { dst: VSlot, lhs: VSlot, rhs: VSlot, lanes: VSlot },
                /// `dst = load op(memory[ptr + offset..])`: `v128.load` and its extending,
                /// splatting and zero-filling forms (`simd::V128Load`).
                V128Load { op: u16, dst: VSlot, ptr: Slot, offset: u32 },
                /// `memory[ptr + offset..][..16] = value`.
                V128Store { ptr: Slot, value: VSlot, offset: u32 },
                /// `dst = src` with lane `lane` (of `8 << op` bits) loaded from
                /// `memory[ptr + offset..]`.
                V128LoadLane { op: u8, dst: VSlot, ptr: Slot, src: VSlot, lane: u8, offset: u32 },
                /// `memory[ptr + offset..] = ` lane `lane` (of `8 << op` bits) of `value`.
                V128StoreLane { op: u8, ptr: Slot, value: VSlot, lane: u8, offset: u32 },
                /// `V128Load` of memory `memory` (as `LoadMem`).
                V128LoadMem { op: u16, memory: u16, dst: VSlot, ptr: Slot, offset: u32 },
                /// `V128Store` of memory `memory` (as `LoadMem`).
                V128StoreMem { memory: u16, ptr: Slot, value: VSlot, offset: u32 },
                /// `V128LoadLane` of memory `memory` (as `LoadMem`).
                V128LoadLaneMem { op: u8, memory: u16, dst: VSlot, ptr: Slot, src: VSlot, lane: u8, offset: u32 },
                /// `V128StoreLane` of memory `memory` (as `LoadMem`).
                V128StoreLaneMem { op: u8, memory: u16, ptr: Slot, value: VSlot, lane: u8, offset: u32 },
                /// `dst = global`, of a `v128` global.
                V128GlobalGet { dst: VSlot, global: GlobalIdx },
                /// `global = src`, of a `v128` global.
                V128GlobalSet { src: VSlot, global: GlobalIdx },
            }
            unary {
                I32Eqz = i32_eqz, I64Eqz = i64_eqz,
                I32Clz = i32_clz, I32Ctz = i32_ctz, I32Popcnt = i32_popcnt,
                I64Clz = i64_clz, I64Ctz = i64_ctz, I64Popcnt = i64_popcnt,
                F32Abs = f32_abs, F32Neg = f32_neg, F32Ceil = f32_ceil, F32Floor = f32_floor,
                F32Trunc = f32_trunc, F32Nearest = f32_nearest, F32Sqrt = f32_sqrt,
                F64Abs = f64_abs, F64Neg = f64_neg, F64Ceil = f64_ceil, F64Floor = f64_floor,
                F64Trunc = f64_trunc, F64Nearest = f64_nearest, F64Sqrt = f64_sqrt,
                I32WrapI64 = i32_wrap_i64, I64ExtendI32S = i64_extend_i32_s,
                I32Extend8S = i32_extend8_s, I32Extend16S = i32_extend16_s,
                I64Extend8S = i64_extend8_s, I64Extend16S = i64_extend16_s,
                I64Extend32S = i64_extend32_s,
                I32TruncSatF32S = i32_trunc_sat_f32_s, I32TruncSatF32U = i32_trunc_sat_f32_u,
                I32TruncSatF64S = i32_trunc_sat_f64_s, I32TruncSatF64U = i32_trunc_sat_f64_u,
                I64TruncSatF32S = i64_trunc_sat_f32_s, I64TruncSatF32U = i64_trunc_sat_f32_u,
                I64TruncSatF64S = i64_trunc_sat_f64_s, I64TruncSatF64U = i64_trunc_sat_f64_u,
                F32ConvertI32S = f32_convert_i32_s, F32ConvertI32U = f32_convert_i32_u,
                F32ConvertI64S = f32_convert_i64_s, F32ConvertI64U = f32_convert_i64_u,
                F64ConvertI32S = f64_convert_i32_s, F64ConvertI32U = f64_convert_i32_u,
                F64ConvertI64S = f64_convert_i64_s, F64ConvertI64U = f64_convert_i64_u,
                F32DemoteF64 = f32_demote_f64, F64PromoteF32 = f64_promote_f32,
            }
            unary_trap {
                I32TruncF32S = i32_trunc_f32_s, I32TruncF32U = i32_trunc_f32_u,
                I32TruncF64S = i32_trunc_f64_s, I32TruncF64U = i32_trunc_f64_u,
                I64TruncF32S = i64_trunc_f32_s, I64TruncF32U = i64_trunc_f32_u,
                I64TruncF64S = i64_trunc_f64_s, I64TruncF64U = i64_trunc_f64_u,
            }
            binary {
                I32Eq = i32_eq, I32Ne = i32_ne, I32LtS = i32_lt_s, I32LtU = i32_lt_u,
                I32GtS = i32_gt_s, I32GtU = i32_gt_u, I32LeS = i32_le_s, I32LeU = i32_le_u,
                I32GeS = i32_ge_s, I32GeU = i32_ge_u,
                I64Eq = i64_eq, I64Ne = i64_ne, I64LtS = i64_lt_s, I64LtU = i64_lt_u,
                I64GtS = i64_gt_s, I64GtU = i64_gt_u, I64LeS = i64_le_s, I64LeU = i64_le_u,
                I64GeS = i64_ge_s, I64GeU = i64_ge_u,
                F32Eq = f32_eq, F32Ne = f32_ne, F32Lt = f32_lt, F32Gt = f32_gt, F32Le = f32_le,
                F32Ge = f32_ge,
                F64Eq = f64_eq, F64Ne = f64_ne, F64Lt = f64_lt, F64Gt = f64_gt, F64Le = f64_le,
                F64Ge = f64_ge,
                I32Add = i32_add, I32Sub = i32_sub, I32Mul = i32_mul, I32And = i32_and,
                I32Or = i32_or, I32Xor = i32_xor, I32Shl = i32_shl, I32ShrS = i32_shr_s,
                I32ShrU = i32_shr_u, I32Rotl = i32_rotl, I32Rotr = i32_rotr,
                I64Add = i64_add, I64Sub = i64_sub, I64Mul = i64_mul, I64And = i64_and,
                I64Or = i64_or, I64Xor = i64_xor, I64Shl = i64_shl, I64ShrS = i64_shr_s,
                I64ShrU = i64_shr_u, I64Rotl = i64_rotl, I64Rotr = i64_rotr,
                F32Add = f32_add, F32Sub = f32_sub, F32Mul = f32_mul, F32Div = f32_div,
                F32Min = f32_min, F32Max = f32_max, F32Copysign = f32_copysign,
                F64Add = f64_add, F64Sub = f64_sub, F64Mul = f64_mul, F64Div = f64_div,
                F64Min = f64_min, F64Max = f64_max, F64Copysign = f64_copysign,
            }
            binary_trap {
                I32DivS = i32_div_s, I32DivU = i32_div_u, I32RemS = i32_rem_s,
                I32RemU = i32_rem_u,
                I64DivS = i64_div_s, I64DivU = i64_div_u, I64RemS = i64_rem_s,
                I64RemU = i64_rem_u,
            }
            binary_imm {
                I32AddImm = i32_add, I32MulImm = i32_mul, I32AndImm = i32_and,
                I32OrImm = i32_or, I32XorImm = i32_xor, I32ShlImm = i32_shl,
                I32ShrSImm = i32_shr_s, I32ShrUImm = i32_shr_u, I32RotlImm = i32_rotl,
                I32RotrImm = i32_rotr,
                I32EqImm = i32_eq, I32NeImm = i32_ne, I32LtSImm = i32_lt_s,
                I32LtUImm = i32_lt_u, I32GtSImm = i32_gt_s, I32GtUImm = i32_gt_u,
                I32LeSImm = i32_le_s, I32LeUImm = i32_le_u, I32GeSImm = i32_ge_s,
                I32GeUImm = i32_ge_u,
                I64AddImm = i64_add, I64MulImm = i64_mul, I64AndImm = i64_and,
                I64OrImm = i64_or, I64XorImm = i64_xor, I64ShlImm = i64_shl,
                I64ShrSImm = i64_shr_s, I64ShrUImm = i64_shr_u, I64RotlImm = i64_rotl,
                I64RotrImm = i64_rotr,
                I64EqImm = i64_eq, I64NeImm = i64_ne, I64LtSImm = i64_lt_s,
                I64LtUImm = i64_lt_u, I64GtSImm = i64_gt_s, I64GtUImm = i64_gt_u,
                I64LeSImm = i64_le_s, I64LeUImm = i64_le_u, I64GeSImm = i64_ge_s,
                I64GeUImm = i64_ge_u,
            }
            binary_imm64 {
                I64AddImm64 = i64_add, I64MulImm64 = i64_mul, I64AndImm64 = i64_and,
                I64OrImm64 = i64_or, I64XorImm64 = i64_xor,
            }
            br_cmp {
                BrI32Eq = i32_eq, BrI32Ne = i32_ne, BrI32LtS = i32_lt_s, BrI32LtU = i32_lt_u,
                BrI32LeS = i32_le_s, BrI32LeU = i32_le_u,
                BrI64Eq = i64_eq, BrI64Ne = i64_ne, BrI64LtS = i64_lt_s, BrI64LtU = i64_lt_u,
                BrI64LeS = i64_le_s, BrI64LeU = i64_le_u,
            }
            br_cmp_imm {
                BrI32EqImm = i32_eq, BrI32NeImm = i32_ne, BrI32LtSImm = i32_lt_s,
                BrI32LtUImm = i32_lt_u, BrI32GtSImm = i32_gt_s, BrI32GtUImm = i32_gt_u,
                BrI32LeSImm = i32_le_s, BrI32LeUImm = i32_le_u, BrI32GeSImm = i32_ge_s,
                BrI32GeUImm = i32_ge_u,
                BrI64EqImm = i64_eq, BrI64NeImm = i64_ne, BrI64LtSImm = i64_lt_s,
                BrI64LtUImm = i64_lt_u, BrI64GtSImm = i64_gt_s, BrI64GtUImm = i64_gt_u,
                BrI64LeSImm = i64_le_s, BrI64LeUImm = i64_le_u, BrI64GeSImm = i64_ge_s,
                BrI64GeUImm = i64_ge_u,
            }
            load {
                I32Load / I32LoadIdx / I32LoadScaled = i32_load,
                I64Load / I64LoadIdx / I64LoadScaled = i64_load,
                I32Load8S / I32Load8SIdx / I32Load8SScaled = i32_load8_s,
                I32Load8U / I32Load8UIdx / I32Load8UScaled = i32_load8_u,
                I32Load16S / I32Load16SIdx / I32Load16SScaled = i32_load16_s,
                I32Load16U / I32Load16UIdx / I32Load16UScaled = i32_load16_u,
                I64Load8S / I64Load8SIdx / I64Load8SScaled = i64_load8_s,
                I64Load8U / I64Load8UIdx / I64Load8UScaled = i64_load8_u,
                I64Load16S / I64Load16SIdx / I64Load16SScaled = i64_load16_s,
                I64Load16U / I64Load16UIdx / I64Load16UScaled = i64_load16_u,
                I64Load32S / I64Load32SIdx / I64Load32SScaled = i64_load32_s,
                I64Load32U / I64Load32UIdx / I64Load32UScaled = i64_load32_u,
            }
            store {
                I32Store / I32StoreIdx / I32StoreScaled = i32_store,
                I64Store / I64StoreIdx / I64StoreScaled = i64_store,
                I32Store8 / I32Store8Idx / I32Store8Scaled = i32_store8,
                I32Store16 / I32Store16Idx / I32Store16Scaled = i32_store16,
                I64Store8 / I64Store8Idx / I64Store8Scaled = i64_store8,
                I64Store16 / I64Store16Idx / I64Store16Scaled = i64_store16,
                I64Store32 / I64Store32Idx / I64Store32Scaled = i64_store32,
            }
            store_imm {
                I32StoreImm / I32StoreImmIdx = i32_store,
                I64StoreImm / I64StoreImmIdx = i64_store,
                I32Store8Imm / I32Store8ImmIdx = i32_store8,
                I32Store16Imm / I32Store16ImmIdx = i32_store16,
                I64Store8Imm / I64Store8ImmIdx = i64_store8,
                I64Store16Imm / I64Store16ImmIdx = i64_store16,
                I64Store32Imm / I64Store32ImmIdx = i64_store32,
            }
        }
    };
}
pub(crate) use for_each_instr;

macro_rules! define_instr {
    (
        special { $( $(#[$doc:meta])* $sname:ident { $($sfield:ident : $sty:ty),* $(,)? }, )* }
        unary { $($un:ident = $unf:ident,)* }
        unary_trap { $($ut:ident = $utf:ident,)* }
        binary { $($bin:ident = $binf:ident,)* }
        binary_trap { $($bt:ident = $btf:ident,)* }
        binary_imm { $($bi:ident = $bif:ident,)* }
        binary_imm64 { $($bj:ident = $bjf:ident,)* }
        br_cmp { $($bc:ident = $bcf:ident,)* }
        br_cmp_imm { $($bci:ident = $bcif:ident,)* }
        load { $($ld:ident / $li:ident / $ls:ident = $ldf:ident,)* }
        store { $($st:ident / $si:ident / $ss:ident = $stf:ident,)* }
        store_imm { $($sti:ident / $sii:ident = $stif:ident,)* }
    ) => {
        /// One instruction of Weft's register bytecode; see the [module docs](self).
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub(crate) enum Instr {
            $( $(#[$doc])* $sname { $($sfield: $sty),* }, )*
            $(
                #[doc = concat!("`dst = ", stringify!($unf), "(src)`.")]
                $un { dst: Slot, src: Slot },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($utf), "(src)?`.")]
                $ut { dst: Slot, src: Slot },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($binf), "(lhs, rhs)`.")]
                $bin { dst: Slot, lhs: Slot, rhs: Slot },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($btf), "(lhs, rhs)?`.")]
                $bt { dst: Slot, lhs: Slot, rhs: Slot },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($bif), "(lhs, imm)`.")]
                $bi { dst: Slot, lhs: Slot, imm: i32 },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($bjf), "(lhs, imm)`.")]
                $bj { dst: Slot, lhs: Slot, imm: u64 },
            )*
            $(
                #[doc = concat!("`if ", stringify!($bcf), "(lhs, rhs) { ip += offset }`.")]
                $bc { lhs: Slot, rhs: Slot, offset: i32 },
            )*
            $(
                #[doc = concat!("`if ", stringify!($bcif), "(lhs, imm) { ip += offset }`.")]
                $bci { lhs: Slot, imm: i32, offset: i32 },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($ldf), "(memory[ptr + offset..])`.")]
                $ld { dst: Slot, ptr: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`memory[ptr + offset..] = ", stringify!($stf), "(value)`.")]
                $st { ptr: Slot, value: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`memory[ptr + offset..] = ", stringify!($stif), "(value)`.")]
                $sti { ptr: Slot, value: i32, offset: u32 },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($ldf), "(memory[base + index + offset..])`.")]
                $li { dst: Slot, base: Slot, index: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`memory[base + index + offset..] = ", stringify!($stf), "(value)`.")]
                $si { base: Slot, index: Slot, value: Slot, offset: u32 },
            )*
            $(
                #[doc = concat!("`memory[base + index + offset..] = ", stringify!($stif), "(value)`.")]
                $sii { base: Slot, index: Slot, value: i32, offset: u32 },
            )*
            $(
                #[doc = concat!("`dst = ", stringify!($ldf), "(memory[base + (index << shift) + offset..])`.")]
                $ls { dst: Slot, base: Slot, index: Slot, shift: u8, offset: u32 },
            )*
            $(
                #[doc = concat!("`memory[base + (index << shift) + offset..] = ", stringify!($stf), "(value)`.")]
                $ss { base: Slot, index: Slot, value: Slot, shift: u8, offset: u32 },
            )*
        }

        /// The loads of memory 0 by position: [`Instr::LoadMem`]'s `op`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum LoadOp { $($ld,)* }

        /// The stores of memory 0 by position: [`Instr::StoreMem`]'s `op`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum StoreOp { $($st,)* }

        impl Instr {
            /// The form of plain load or store `self` (of memory 0, 32-bit addresses) that
            /// accesses memory `memory` instead, with the address's whole cell, if it has one.
            pub(crate) fn with_memory(self, memory: u16) -> Option<Instr> {
                match self {
                    $( Instr::$ld { dst, ptr, offset } => Some(Instr::LoadMem { op: LoadOp::$ld as u8, memory, dst, ptr, offset }), )*
                    $( Instr::$st { ptr, value, offset } => Some(Instr::StoreMem { op: StoreOp::$st as u8, memory, ptr, value, offset }), )*
                    _ => None,
                }
            }

            /// The form of load or store `self` whose address is `base + index` (the result
            /// of an `i32.add` of those slots, folded into the access), if it has one.
            pub(crate) fn with_indexed_address(self, base: Slot, index: Slot) -> Option<Instr> {
                match self {
                    $( Instr::$ld { dst, offset, .. } => Some(Instr::$li { dst, base, index, offset }), )*
                    $( Instr::$st { value, offset, .. } => Some(Instr::$si { base, index, value, offset }), )*
                    $( Instr::$sti { value, offset, .. } => Some(Instr::$sii { base, index, value, offset }), )*
                    _ => None,
                }
            }

            /// The form of load or store `self` whose address is `base + (index << shift)` (an
            /// `i32.shl` by a constant and an `i32.add`, folded into the access), if it has one.
            pub(crate) fn with_scaled_address(self, base: Slot, index: Slot, shift: u8) -> Option<Instr> {
                match self {
                    $( Instr::$ld { dst, offset, .. } => Some(Instr::$ls { dst, base, index, shift, offset }), )*
                    $( Instr::$st { value, offset, .. } => Some(Instr::$ss { base, index, value, shift, offset }), )*
                    _ => None,
                }
            }

            /// The result slot of an instruction that writes exactly one slot and reads all
            /// its operands before writing it, for retargeting by the translator.
            pub(crate) fn result_slot_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $( Instr::$un { dst, .. } )|*
                    | $( Instr::$ut { dst, .. } )|*
                    | $( Instr::$bin { dst, .. } )|*
                    | $( Instr::$bt { dst, .. } )|*
                    | $( Instr::$bi { dst, .. } )|*
                    | $( Instr::$bj { dst, .. } )|*
                    | $( Instr::$ld { dst, .. } )|*
                    | $( Instr::$li { dst, .. } )|*
                    | $( Instr::$ls { dst, .. } )|*
                    | Instr::Copy { dst, .. }
                    | Instr::Const32 { dst, .. }
                    | Instr::Const64 { dst, .. }
                    | Instr::Select { dst, .. }
                    | Instr::SelectImm { dst, .. }
                    | Instr::SelectSlotImm { dst, .. }
                    | Instr::SelectImmSlot { dst, .. }
                    | Instr::GlobalGet { dst, .. }
                    | Instr::MemorySize { dst }
                    | Instr::MemorySizeMem { dst, .. }
                    | Instr::LoadMem { dst, .. }
                    | Instr::TableGet { dst, .. }
                    | Instr::TableSize { dst, .. }
                    | Instr::RefFunc { dst, .. } => Some(dst),
                    _ => None,
                }
            }

            /// Calls `f` with every slot operand.
            #[inline]
            pub(crate) fn for_each_slot(&self, mut f: impl FnMut(Slot)) {
                match *self {
                    $( Instr::$sname { $($sfield),* } => { $( SlotField::visit($sfield, &mut f); )* } )*
                    $( Instr::$un { dst, src } => { f(dst); f(src); } )*
                    $( Instr::$ut { dst, src } => { f(dst); f(src); } )*
                    $( Instr::$bin { dst, lhs, rhs } => { f(dst); f(lhs); f(rhs); } )*
                    $( Instr::$bt { dst, lhs, rhs } => { f(dst); f(lhs); f(rhs); } )*
                    $( Instr::$bi { dst, lhs, .. } => { f(dst); f(lhs); } )*
                    $( Instr::$bj { dst, lhs, .. } => { f(dst); f(lhs); } )*
                    $( Instr::$bc { lhs, rhs, .. } => { f(lhs); f(rhs); } )*
                    $( Instr::$bci { lhs, .. } => f(lhs), )*
                    $( Instr::$ld { dst, ptr, .. } => { f(dst); f(ptr); } )*
                    $( Instr::$st { ptr, value, .. } => { f(ptr); f(value); } )*
                    $( Instr::$sti { ptr, .. } => f(ptr), )*
                    $( Instr::$li { dst, base, index, .. } => { f(dst); f(base); f(index); } )*
                    $( Instr::$si { base, index, value, .. } => { f(base); f(index); f(value); } )*
                    $( Instr::$sii { base, index, .. } => { f(base); f(index); } )*
                    $( Instr::$ls { dst, base, index, .. } => { f(dst); f(base); f(index); } )*
                    $( Instr::$ss { base, index, value, .. } => { f(base); f(index); f(value); } )*
                }
            }

            /// The relative jump offset of a branch instruction.
            #[inline(always)]
            pub(crate) fn branch_offset(&self) -> Option<i32> {
                let mut copy = *self;
                copy.branch_offset_mut().map(|offset| *offset)
            }

            /// The relative jump offset of a branch instruction, to patch.
            #[inline(always)]
            pub(crate) fn branch_offset_mut(&mut self) -> Option<&mut i32> {
                match self {
                    $( Instr::$bc { offset, .. } )|*
                    | $( Instr::$bci { offset, .. } )|*
                    | Instr::Br { offset }
                    | Instr::BrIfNez { offset, .. }
                    | Instr::BrIfEqz { offset, .. } => Some(offset),
                    _ => None,
                }
            }
        }
    };
}
for_each_instr!(define_instr);

impl Instr {
    /// The form of binary instruction `self` with a 64-bit constant `imm` as its right-hand
    /// side and `lhs` as its left, if it has one (commutative `i64` operations).
    pub(crate) fn with_imm64(self, lhs: Slot, imm: u64) -> Option<Instr> {
        Some(match self {
            Instr::I64Add { dst, .. } => Instr::I64AddImm64 { dst, lhs, imm },
            Instr::I64Mul { dst, .. } => Instr::I64MulImm64 { dst, lhs, imm },
            Instr::I64And { dst, .. } => Instr::I64AndImm64 { dst, lhs, imm },
            Instr::I64Or { dst, .. } => Instr::I64OrImm64 { dst, lhs, imm },
            Instr::I64Xor { dst, .. } => Instr::I64XorImm64 { dst, lhs, imm },
            _ => return None,
        })
    }
}

/// Visits the slot-typed fields of the hand-written instructions (see
/// [`Instr::for_each_slot`]).
trait SlotField: Copy {
    fn visit(self, f: &mut impl FnMut(Slot));
}

impl SlotField for Slot {
    fn visit(self, f: &mut impl FnMut(Slot)) {
        f(self);
    }
}

impl SlotField for VSlot {
    fn visit(self, f: &mut impl FnMut(Slot)) {
        f(self.lo());
        f(self.hi());
    }
}

macro_rules! not_slot_fields {
    ($($t:ty),*) => {$(
        impl SlotField for $t {
            fn visit(self, _: &mut impl FnMut(Slot)) {}
        }
    )*};
}
not_slot_fields!(
    u8,
    u16,
    u32,
    i32,
    u64,
    TrapCode,
    FuncIdx,
    DefinedFuncIdx,
    TypeIdx,
    TableIdx,
    GlobalIdx,
    MemoryIdx,
    DataIdx,
    ElemIdx
);

/// A translated function body, ready to execute.
#[derive(Debug)]
pub(crate) struct CompiledFunc {
    /// The threaded instructions; execution starts at index 0.
    pub(crate) code: Box<[Op]>,
    /// Number of parameters (slots `0..num_params`).
    pub(crate) num_params: u32,
    /// Number of non-parameter locals (zeroed by the function's first instruction).
    pub(crate) num_locals: u32,
    /// Total number of slots of the frame: params, locals and temporaries.
    pub(crate) num_slots: u32,
    /// Number of results.
    pub(crate) num_results: u32,
}

/// Whether a SIMD instruction's `op` names an operator of its shape: a row of its group in
/// `simd::for_each_simd_op!`, a `simd::V128Load` kind, a lane-access function or a lane
/// load/store width. Other instructions have no `op` and pass.
fn simd_op_in_range(instr: &Instr) -> bool {
    use crate::exec::simd;
    match *instr {
        Instr::V128Unary { op, .. } => op < simd::UNARY,
        Instr::V128Binary { op, .. } => op < simd::BINARY,
        Instr::V128Ternary { op, .. } => op < simd::TERNARY,
        Instr::V128Shift { op, .. } => op < simd::SHIFT,
        Instr::V128Splat { op, .. } => op < simd::SPLAT,
        Instr::V128Test { op, .. } => op < simd::TEST,
        Instr::V128Extract { op, .. } => usize::from(op) < simd::EXTRACT.len(),
        Instr::V128Replace { op, .. } => usize::from(op) < simd::REPLACE.len(),
        Instr::V128Load { op, .. } | Instr::V128LoadMem { op, .. } => {
            usize::from(op) < simd::V128Load::ALL.len()
        }
        // `N` = `8 << op` bytes.
        Instr::V128LoadLane { op, .. }
        | Instr::V128StoreLane { op, .. }
        | Instr::V128LoadLaneMem { op, .. }
        | Instr::V128StoreLaneMem { op, .. } => op < 4,
        _ => true,
    }
}

/// Checks the invariants the interpreter relies on to access slots and instructions without
/// bounds checks, for the code of a function with `num_slots` slots: every slot operand lies
/// in the frame (`ReturnN`'s and `ZeroLocals`' whole ranges included), every branch target
/// is an instruction of the function, a `BrTable`'s targets exist, every SIMD instruction's
/// `op` names an operator of its shape (so that the executor finds its handler), and the code
/// ends with an instruction that does not fall through.
///
/// Returns which instructions are branch targets (for [`crate::exec::thread`]).
pub(crate) fn verify(code: &[Instr], num_slots: u32) -> Result<Vec<bool>, String> {
    let len = code.len();
    let mut is_target = vec![false; len];
    let mut ok = true;
    for (ip, instr) in code.iter().enumerate() {
        match *instr {
            // A call's arguments start at `base`; with no arguments and no results the
            // callee's frame may start right after the caller's.
            Instr::CallInternal { base, .. }
            | Instr::CallImported { base, .. }
            | Instr::ReturnCallInternal { base, .. }
            | Instr::ReturnCallImported { base, .. } => {
                ok &= u32::from(base) <= num_slots;
            }
            Instr::CallIndirect { base, index, .. }
            | Instr::ReturnCallIndirect { base, index, .. } => {
                ok &= u32::from(base) <= num_slots && u32::from(index) < num_slots;
            }
            Instr::CallRef { base, func, .. } | Instr::ReturnCallRef { base, func, .. } => {
                ok &= u32::from(base) <= num_slots && u32::from(func) < num_slots;
            }
            Instr::ReturnN { start, count } => {
                ok &= u32::from(start) + u32::from(count) <= num_slots;
            }
            Instr::CopySpan { dst, src, count } => {
                let count = u32::from(count);
                ok &= u32::from(dst) + count <= num_slots && u32::from(src) + count <= num_slots;
            }
            Instr::ZeroLocals { start, count } => {
                ok &= u64::from(start) + u64::from(count) <= u64::from(num_slots);
            }
            Instr::BrTable { index, len: n } => {
                ok &= u32::from(index) < num_slots && (ip as u64) + 1 + u64::from(n) < len as u64;
            }
            _ => {
                let mut max = Slot::new(0);
                instr.for_each_slot(|slot| max = max.max(slot));
                ok &= u32::from(max) < num_slots;
            }
        }
        ok &= simd_op_in_range(instr);
        if let Some(offset) = instr.branch_offset() {
            let target = ip as i64 + i64::from(offset);
            match usize::try_from(target)
                .ok()
                .and_then(|t| is_target.get_mut(t))
            {
                Some(flag) => *flag = true,
                None => ok = false,
            }
        }
        if !ok {
            return Err(format!("bytecode verification failed at {ip}: {instr:?}"));
        }
    }
    match code.last() {
        Some(
            Instr::Br { .. }
            | Instr::Return0 {}
            | Instr::Return1 { .. }
            | Instr::ReturnN { .. }
            | Instr::ReturnCallInternal { .. }
            | Instr::ReturnCallImported { .. }
            | Instr::ReturnCallIndirect { .. }
            | Instr::ReturnCallRef { .. }
            | Instr::Trap { .. },
        ) => Ok(is_target),
        _ => Err("bytecode falls off the end of the function".to_string()),
    }
}

/// The fixed cost, in bytes, charged for every frame beside its slots.
pub(crate) const FRAME_OVERHEAD: usize = 64;

impl core::fmt::Display for CompiledFunc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(
            f,
            "params={} locals={} slots={} results={}",
            self.num_params, self.num_locals, self.num_slots, self.num_results
        )?;
        for (i, instr) in self.code.iter().enumerate() {
            writeln!(f, "{i:4}: {instr:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_small() {
        assert!(size_of::<Instr>() <= 16, "{}", size_of::<Instr>());
    }

    #[test]
    fn other_memories_have_every_load_and_store() {
        let load = Instr::I64Load32U {
            dst: Slot(1),
            ptr: Slot(2),
            offset: 3,
        };
        assert_eq!(
            load.with_memory(4),
            Some(Instr::LoadMem {
                op: LoadOp::I64Load32U as u8,
                memory: 4,
                dst: Slot(1),
                ptr: Slot(2),
                offset: 3
            })
        );
    }
}
