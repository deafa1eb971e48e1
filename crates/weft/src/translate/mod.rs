//! Translation of wasm function bodies into Weft's register bytecode ([`crate::ir`]).
//!
//! # One pass, a compile-time operand stack
//!
//! The translator reads the body's operators once (through wasmparser's reader, validating
//! each one first when a validator is given) and keeps a compile-time model of the wasm
//! operand stack. Each entry is an [`Operand`]:
//!
//! - `Local(l)`: the value is local `l` itself (pushed by `local.get`, emits nothing);
//! - `Const(v)`: a constant (pushed by `*.const`, emits nothing);
//! - `Temp`: the value lives in the temporary slot of its own stack height
//!   (`num_locals_total + height`). A temporary entry always refers to its own height, which
//!   keeps branch value moves and calls simple.
//!
//! Instructions read their operands straight from those slots or use the constant as an
//! immediate (`I32AddImm`, fused compare-with-immediate branches); a constant without an
//! immediate form is materialized into its temporary just before use.
//!
//! # Preserving locals
//!
//! `local.set l`/`local.tee l` would change the meaning of `Local(l)` entries still on the
//! stack, so those are first copied into their temporaries. Entering a `block`, `loop` or
//! `if` materializes every `Local` entry, so that such a copy never happens on only one path
//! into a join point.
//!
//! # Fusions
//!
//! - `local.set`/`local.tee` after an instruction that produced the top of the stack
//!   retargets that instruction's result slot to the local (no copy).
//! - `br_if`/`if` on an integer comparison (or `eqz`) replace the comparison by a fused
//!   compare-and-branch (`BrI32LtS`, `BrI32EqImm`, ...), inverted where the branch must
//!   be taken on false.
//! - Binary operators with a constant operand use their immediate form where one exists
//!   (`i32.sub x, c` becomes `I32AddImm x, -c`); stores of constants use `*StoreImm`.
//! - After translation, a `br` to a return becomes the return (jump threading), and the
//!   `br $loop` at the bottom of `loop (br_if $exit cond) ... (br $loop)` becomes the
//!   negated test (loop inversion), saving one dispatch per iteration.
//!
//! Finally [`verify`](crate::ir::verify) checks the invariants the interpreter's unchecked
//! accesses rely on; a failure is reported as an error, never executed.
//!
//! # Control flow
//!
//! Each control frame remembers its stack height and arity. Branch values are moved into the
//! target's slots (temporaries at the frame's height) before jumping; forward branches are
//! recorded and patched when the frame's `end` is reached; loops branch backwards to their
//! header. Code following `br`, `br_table`, `return` or `unreachable` up to the end of the
//! frame is validated but not translated.
//!
//! # Output proportional to the input
//!
//! A branch may carry up to 1,000 values, and a body may hold many branches: moving the
//! values one copy each, per branch, would make the code `branches * arity` long (a
//! 100 KB `br_table` would ask for gigabytes). So a branch carrying more than
//! [`MAX_SEPARATE_MOVES`] values first materializes them into their own temporaries (once:
//! a materialized value stays so until it is popped, and each was pushed by an operator of
//! its own) and moves them with one `CopySpan`; and the entries of a `br_table` that target
//! the same frame share one copy sequence, emitted after the table. `return`s and calls
//! with many values use consecutive temporaries already (`ReturnN`, the call's frame).
//! Every operator thus emits a bounded number of instructions per byte of its encoding,
//! and as a backstop a body may not translate to more than [`MAX_INSTRS_PER_BYTE`]
//! instructions per byte (an implementation-limit error).
//!
//! # The frame limit
//!
//! A [`Slot`] is a `u16`, so a frame has at most 65,535 slots: parameters, locals and the
//! deepest operand stack. The limit is defined on the operand stack height that validation
//! computes ([`check_frame`]), which equals the translator's in reachable code and is
//! checked explicitly in unreachable code (which validation stacks but translation skips),
//! and by [`validate_func`] for lazy compilation and `Module::validate`: every mode accepts
//! and rejects the same functions, when the module is compiled.
//!
//! # Fuel and epochs
//!
//! With fuel metering, each block starts with a `ConsumeFuel` whose amount is the number
//! of wasm operators in the block, counted while translating: every operator costs 1 except
//! `end` and `else`. A block starts at function entry and at every branch target (loop
//! headers, `else` arms, the `end` of a `block` or `if` that a branch reaches) and after a
//! loop's `end`; code reached by falling through (after `br_if`, a call, an `if`) stays in
//! the current block, which pays for it up front. With epoch interruption, an `EpochCheck`
//! is emitted at function entry and at every loop header. Neither is emitted when the
//! feature is off.

use crate::engine::Engine;
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::index::{DataIdx, ElemIdx, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx};
use crate::ir::{CompiledFunc, Instr, Slot, VSlot};
use crate::module::ModuleInfo;
use crate::trap::TrapCode;
use crate::types::{FuncType, ValType};
use wasmparser::{BlockType, FuncValidator, Operator, ValidatorResources};

#[cfg(test)]
mod tests;

/// Translates the body of function `func_index` (module function index space, imports first).
///
/// With `validator`, every operator is validated while it is translated (eager compilation);
/// without, the body was validated before (lazy compilation).
pub(crate) fn translate_func(
    engine: &Engine,
    info: &ModuleInfo,
    func_index: FuncIdx,
    body: wasmparser::FunctionBody<'_>,
    mut validator: Option<&mut FuncValidator<ValidatorResources>>,
) -> Result<CompiledFunc> {
    let ty = info
        .func_type(func_index)
        .ok_or_else(|| Error::invalid("function without a type", None))?;
    // Frame sizes count cells: a `v128` takes two (see `crate::ir`).
    let num_params = ty.param_cells() as u32;
    let num_results = ty.result_cells() as u32;
    let mut wide_locals = num_params as usize != ty.params().len();

    let mut reader = body.get_binary_reader();
    let mut num_locals: u32 = 0;
    let mut local_groups = Vec::new();
    let groups = reader.read_var_u32()?;
    for _ in 0..groups {
        let offset = reader.original_position();
        let count = reader.read_var_u32()?;
        let ty: wasmparser::ValType = reader.read()?;
        if let Some(v) = validator.as_deref_mut() {
            v.define_locals(offset, count, ty)?;
        }
        let wide = ty == wasmparser::ValType::V128;
        wide_locals |= wide;
        local_groups.push((count, wide));
        num_locals = count
            .checked_mul(if wide { 2 } else { 1 })
            .and_then(|cells| num_locals.checked_add(cells))
            .filter(|n| num_params + n <= u32::from(Slot::MAX))
            .ok_or_else(|| too_large(Some(offset as usize)))?;
    }
    // With a `v128` parameter or local, local indices and slots differ: map them (the frame
    // holds at most 65,535 cells, so the map is bounded too).
    let mut local_map = Vec::new();
    if wide_locals {
        let mut slot = 0u32;
        let widths =
            ty.params()
                .iter()
                .map(|t| t.cells() as u32)
                .chain(local_groups.iter().flat_map(|&(count, wide)| {
                    core::iter::repeat_n(if wide { 2 } else { 1 }, count as usize)
                }));
        for width in widths {
            local_map.push(slot);
            slot += width;
        }
        local_map.push(slot);
    }

    let config = engine.config();
    let mut scratch = SCRATCH.take();
    scratch.code.clear();
    scratch.stack.clear();
    scratch.ctrl.clear();
    let mut t = Translator {
        info,
        fuel: config.consume_fuel,
        epoch: config.epoch_interruption,
        code: scratch.code,
        stack: scratch.stack,
        ctrl: scratch.ctrl,
        temp_base: num_params + num_locals,
        max_height: 0,
        reachable: true,
        dead_depth: 0,
        local_refs: 0,
        local_floor: 0,
        last_result: None,
        label: 0,
        fuel_instr: None,
        local_map,
        v128_marks: Vec::new(),
    };
    t.ctrl.push(Ctrl {
        kind: CtrlKind::Func,
        blockty: BlockType::Empty,
        height: 0,
        params: 0,
        results: num_results,
        branches: Vec::new(),
        else_branch: None,
        loop_start: 0,
    });
    if num_locals > 0 {
        // The callee's frame is not cleared by the call: its locals start at zero here.
        let start = Slot::try_from(num_params).map_err(|_| too_large(None))?;
        t.emit(Instr::ZeroLocals {
            start,
            count: num_locals,
        });
    }
    t.start_block();
    if config.epoch_interruption {
        t.emit(Instr::EpochCheck {});
    }

    if let Some(v) = validator.as_deref() {
        // Decode exactly what the enabled features allow (e.g. `memarg` flag bits).
        reader.set_features(*v.features());
    }
    // The backstop that keeps translation memory proportional to the body's size.
    let range = body.range();
    let max_code = ((range.end - range.start) as usize)
        .saturating_mul(MAX_INSTRS_PER_BYTE)
        .saturating_add(BASE_INSTRS);
    let mut reader = wasmparser::OperatorsReader::new(reader);
    while !reader.eof() {
        let offset = reader.original_position() as usize;
        // Each operator is decoded once and handed straight to the validator's and the
        // translator's visitors (`Step`), without an intermediate `Operator` to dispatch on.
        let mut step = Step {
            t: &mut t,
            validator: validator.as_deref_mut(),
            offset,
            before: reader.get_binary_reader(),
            recheck: Recheck::Nothing,
        };
        reader.visit_operator(&mut step)??;
        let len = reader.original_position() as usize - offset;
        match step.recheck {
            // Without multi-memory the memory index is a reserved single zero byte
            // (wasmparser accepts any LEB128 encoding of 0).
            Recheck::MemoryIndex if len != 2 && !config.multi_memory => {
                return Err(Error::malformed("zero byte expected", Some(offset)));
            }
            // Only an offset of more than 5 bytes (opcode, alignment and offset in more than
            // 7) can break the `u32` encoding; with memory64 the offset is a `u64`.
            Recheck::Memarg if len > 7 && !config.memory64 => {
                check_memarg_encoding(step.before, config.multi_memory)?
            }
            _ => {}
        }
        if t.code.len() > max_code {
            return Err(Error::limit(
                format!(
                    "function body translates to more than {MAX_INSTRS_PER_BYTE} instructions \
                     per byte"
                ),
                Some(offset),
            ));
        }
    }
    let end = reader.original_position();
    match validator {
        Some(v) => reader
            .get_binary_reader()
            .finish_expression(&v.visitor(end))?,
        None => reader.finish()?,
    }
    if !t.ctrl.is_empty() {
        return Err(Error::invalid("function body does not end", None));
    }
    let num_slots = t
        .temp_base
        .checked_add(t.max_height)
        .filter(|n| *n <= u32::from(Slot::MAX) + 1)
        .ok_or_else(|| too_large(None))?;
    // Slot 0 must exist for `Return1`'s write, and host calls use `max(params, results)`
    // cells from the call's base, which `num_slots` covers since results are pushed.
    let num_slots = num_slots.max(num_params.max(num_results)).max(1);
    let mut code = t.code;
    optimize_branches(&mut code);
    let verified = crate::ir::verify(&code, num_slots);
    let compiled = verified.map(|is_target| CompiledFunc {
        code: crate::exec::thread(&code, is_target),
        num_params,
        num_locals,
        num_slots,
        num_results,
    });
    // Hand the buffers to the next function translated on this thread.
    SCRATCH.set(Scratch {
        code,
        stack: t.stack,
        ctrl: t.ctrl,
    });
    compiled
        .map_err(|message| Error::invalid(format!("internal translation error: {message}"), None))
}

/// Branches carrying more values than this move them with one `CopySpan` from consecutive
/// temporaries instead of one copy each, so that what a branch emits is bounded by a
/// constant whatever its arity (up to 1,000 values). Fewer values keep their separate
/// copies, straight from locals and as constants, which run faster than a span (a cold
/// instruction).
const MAX_SEPARATE_MOVES: u32 = 4;

/// The most stack entries a `local.set` or `local.tee` scans for copies of the local (see
/// [`Translator::preserve_local`]).
const MAX_LOCAL_SCAN: usize = 64;

/// The most instructions a function body may translate to, per byte of the body (beside
/// [`BASE_INSTRS`]).
///
/// No operator emits more than a few instructions per byte of its encoding, once the
/// values it moves are materialized (each materialization is paid for by the operator that
/// pushed the value): about 4 at most, for a `br_table` whose entries each reach a
/// different frame, and 1 or less for straight-line code. The limit is a backstop, so that no input can make translation
/// allocate more than a fixed multiple of its size; reaching it is an implementation-limit
/// error.
const MAX_INSTRS_PER_BYTE: usize = 8;

/// Instructions every function may use whatever its size (entry, fuel, epoch, return).
const BASE_INSTRS: usize = 64;

/// The error of a function whose frame would need more slots than a [`Slot`] can index.
#[cold]
fn too_large(offset: Option<usize>) -> Error {
    Error::limit(
        "function frame larger than 65535 slots (parameters, locals and operand stack)",
        offset,
    )
}

/// Checks that a frame of `locals` slots (parameters included) and an operand stack of
/// `height` values fits the slots a [`Slot`] indexes. Validation (lazy compilation and
/// [`Module::validate`](crate::Module::validate)) checks it after every operator with
/// wasmparser's stack height; translation checks the same height on its own model (equal in
/// reachable code) and wasmparser's in unreachable code, so that every mode agrees.
#[inline]
fn check_frame(locals: u32, height: u32, offset: usize) -> Result<()> {
    if u64::from(locals) + u64::from(height) > u64::from(Slot::MAX) {
        return Err(too_large(Some(offset)));
    }
    Ok(())
}

/// Validates function body `body` without translating it, with the frame check of
/// translation (see [`check_frame`]).
///
/// # Errors
///
/// A validation error, or an implementation-limit error for a frame of more than 65,535
/// slots.
pub(crate) fn validate_func(
    validator: &mut FuncValidator<ValidatorResources>,
    body: &wasmparser::FunctionBody<'_>,
) -> Result<()> {
    let mut reader = body.get_binary_reader();
    validator.read_locals(&mut reader)?;
    reader.set_features(*validator.features());
    let locals = validator.len_locals();
    check_frame(locals, 0, reader.original_position() as usize)?;
    while !reader.eof() {
        let offset = reader.original_position() as usize;
        reader.visit_operator(&mut validator.visitor(offset as u64))??;
        check_frame(locals, validator.operand_stack_height(), offset)?;
    }
    reader.finish_expression(&validator.visitor(reader.original_position()))?;
    Ok(())
}

/// Why translating one operator failed.
enum TranslateError {
    /// The frame needs more slots than a [`Slot`] can index.
    TooLarge,
    /// An inconsistency validation should have ruled out.
    Invalid(&'static str),
}

type TResult<T = ()> = core::result::Result<T, TranslateError>;

/// An entry of the compile-time operand stack.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    /// The value of a local (a slot below `temp_base`).
    Local(Slot),
    /// The value is in the temporary slot of this entry's height.
    Temp,
    /// A constant, as a raw cell.
    Const(u64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CtrlKind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

/// A control frame of the translator.
struct Ctrl {
    kind: CtrlKind,
    /// The block's type (`Empty` for the function's frame, which pushes nothing at its end).
    blockty: BlockType,
    /// Operand stack height below the frame's parameters.
    height: u32,
    params: u32,
    results: u32,
    /// Forward branches to patch with the frame's end.
    branches: Vec<usize>,
    /// For `if`: the branch taken when the condition is false, until `else` or `end`.
    else_branch: Option<usize>,
    /// For `loop`: the index of the loop header.
    loop_start: usize,
}

impl Ctrl {
    /// How many values a branch to this frame carries.
    fn branch_arity(&self) -> u32 {
        if self.kind == CtrlKind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// Buffers of a finished translation, reused by the next one on the same thread.
#[derive(Default)]
struct Scratch {
    code: Vec<Instr>,
    stack: Vec<Operand>,
    ctrl: Vec<Ctrl>,
}

std::thread_local! {
    static SCRATCH: core::cell::Cell<Scratch> = core::cell::Cell::new(Scratch::default());
}

struct Translator<'a> {
    info: &'a ModuleInfo,
    fuel: bool,
    epoch: bool,
    code: Vec<Instr>,
    stack: Vec<Operand>,
    ctrl: Vec<Ctrl>,
    /// The first temporary slot: params plus locals.
    temp_base: u32,
    /// The largest operand stack height seen.
    max_height: u32,
    /// Whether the current code can be reached.
    reachable: bool,
    /// Blocks opened inside unreachable code (not translated).
    dead_depth: u32,
    /// How many `Local` operands are on the stack (skips scans when zero).
    local_refs: u32,
    /// No `Local` operand lies below this stack index (a lower bound, kept by `push` and
    /// raised by the scans), so that the scans for locals skip the temporaries below it.
    local_floor: usize,
    /// The index of the last instruction, if it wrote the top-of-stack temporary.
    last_result: Option<usize>,
    /// The last branch target taken by `here` (an instruction index, at most `code.len()`):
    /// no instruction is fused with one before it.
    label: usize,
    /// The current block's `ConsumeFuel`.
    fuel_instr: Option<usize>,
    /// The slot of each local (`len + 1` entries, the last the end of the locals) when
    /// some local is a `v128`; empty when local `i` is slot `i`.
    local_map: Vec<u32>,
    /// The stack indices of the high halves of the `v128` operands, ascending (see
    /// [`Translator::push_v128`]).
    v128_marks: Vec<u32>,
}

macro_rules! binop {
    ($t:ident, $name:ident) => {
        $t.binary(
            |dst, lhs, rhs| Instr::$name { dst, lhs, rhs },
            None,
            false,
            false,
        )
    };
    ($t:ident, $name:ident, $imm:ident, $commutative:expr, $wide:expr) => {
        $t.binary(
            |dst, lhs, rhs| Instr::$name { dst, lhs, rhs },
            Some(|dst, lhs, imm| Instr::$imm { dst, lhs, imm }),
            $commutative,
            $wide,
        )
    };
}
macro_rules! cmpop {
    ($t:ident, $name:ident, $imm:ident, $swapped_imm:ident, $wide:expr) => {
        $t.binary_cmp(
            |dst, lhs, rhs| Instr::$name { dst, lhs, rhs },
            |dst, lhs, imm| Instr::$imm { dst, lhs, imm },
            |dst, lhs, imm| Instr::$swapped_imm { dst, lhs, imm },
            $wide,
        )
    };
}
macro_rules! store {
    ($t:ident, $name:ident, $imm:ident, $wide:expr, $memarg:expr) => {
        $t.store(
            $memarg,
            |ptr, value, offset| Instr::$name { ptr, value, offset },
            |ptr, value, offset| Instr::$imm { ptr, value, offset },
            $wide,
        )
    };
}

mod control;
mod fuse;
mod memory;
mod operators;
mod shapes;
mod simd;
mod stack;
mod table;
mod visit;

use fuse::*;
use memory::*;
use table::Plain;
use visit::*;
