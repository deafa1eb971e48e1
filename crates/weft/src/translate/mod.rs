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
use crate::index::{DataIdx, ElemIdx, FuncIdx, GlobalIdx, TableIdx, TypeIdx};
use crate::ir::{CompiledFunc, Instr, Slot};
use crate::module::ModuleInfo;
use crate::trap::TrapCode;
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
    let num_params = ty.params().len() as u32;
    let num_results = ty.results().len() as u32;

    let mut reader = body.get_binary_reader();
    let mut num_locals: u32 = 0;
    let groups = reader.read_var_u32()?;
    for _ in 0..groups {
        let offset = reader.original_position();
        let count = reader.read_var_u32()?;
        let ty: wasmparser::ValType = reader.read()?;
        if let Some(v) = validator.as_deref_mut() {
            v.define_locals(offset, count, ty)?;
        }
        num_locals = num_locals
            .checked_add(count)
            .filter(|n| num_params + n <= u32::from(Slot::MAX))
            .ok_or_else(|| too_large(Some(offset as usize)))?;
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
    };
    t.ctrl.push(Ctrl {
        kind: CtrlKind::Func,
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
            Recheck::MemoryIndex if len != 2 => {
                return Err(Error::malformed("zero byte expected", Some(offset)));
            }
            // Only an offset of more than 5 bytes (opcode, alignment and offset in more than
            // 7) can break the `u32` encoding.
            Recheck::Memarg if len > 7 => check_memarg_encoding(step.before)?,
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

/// Peephole optimizations of unconditional branches, after all offsets are resolved:
///
/// - jump threading: a `Br` to a return or trap becomes that instruction;
/// - loop inversion: a `Br` back to a conditional branch that leaves the loop to the
///   instruction right after the `Br` (the shape of `loop (br_if $exit cond) ... (br $loop)`)
///   becomes the negated conditional branch to the instruction after the test, saving one
///   dispatch per iteration.
fn optimize_branches(code: &mut [Instr]) {
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
fn negate_branch(instr: Instr) -> Option<Instr> {
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

/// Whether `op` is a plain load or store (one opcode byte and a `memarg`).
fn is_load_or_store(op: &Operator<'_>) -> bool {
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
/// memories the spec's encoding is a `u32`, whose LEB128 has at most 5 bytes.
fn check_memarg_encoding(mut reader: wasmparser::BinaryReader<'_>) -> Result<()> {
    let malformed = |e: wasmparser::BinaryReaderError| {
        Error::malformed(e.message().to_string(), Some(e.offset() as usize))
    };
    reader.read_u8().map_err(malformed)?;
    reader.read_var_u32().map_err(malformed)?;
    reader.read_var_u32().map_err(malformed)?;
    Ok(())
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

/// The visitor of one operator: validates it (when there is a validator), then translates it.
struct Step<'s, 'a> {
    t: &'s mut Translator<'a>,
    validator: Option<&'s mut FuncValidator<ValidatorResources>>,
    /// The operator's offset in the module.
    offset: usize,
    /// The reader positioned at the operator, to re-read its `memarg`.
    before: wasmparser::BinaryReader<'a>,
    /// What of the operator's encoding is checked once it is read.
    recheck: Recheck,
}

/// The checks of an operator's encoding that wasmparser leaves to Weft.
#[derive(Clone, Copy)]
enum Recheck {
    Nothing,
    /// `memory.size` and `memory.grow`: the memory index byte.
    MemoryIndex,
    /// Loads and stores: the `memarg` offset is a `u32` (see [`check_memarg_encoding`]).
    Memarg,
}

impl<'a> Step<'_, 'a> {
    /// Translates the (validated) operator `op`.
    fn translate(&mut self, op: &Operator<'a>) -> Result<()> {
        if matches!(
            op,
            Operator::MemorySize { .. } | Operator::MemoryGrow { .. }
        ) {
            self.recheck = Recheck::MemoryIndex;
        } else if is_load_or_store(op) {
            self.recheck = Recheck::Memarg;
        }
        let offset = self.offset;
        if !self.t.reachable
            && let Some(validator) = self.validator.as_deref()
        {
            // Unreachable code is not translated, but validation still stacks its values:
            // the frame limit is wasmparser's height there (see `check_frame`).
            check_frame(self.t.temp_base, validator.operand_stack_height(), offset)?;
        }
        self.t.operator(op).map_err(|e| match e {
            TranslateError::TooLarge => too_large(Some(offset)),
            TranslateError::Invalid(message) => Error::invalid(message, Some(offset)),
        })
    }
}

macro_rules! define_visit_step {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[allow(clippy::clone_on_copy)]
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                if let Some(validator) = self.validator.as_deref_mut() {
                    validator.visitor(self.offset as u64).$visit($($($arg.clone()),*)?)?;
                }
                // Dropped only if a field needs it: dropping an `Operator` of unknown variant
                // costs a call per operator.
                let op = core::mem::ManuallyDrop::new(Operator::$op $({ $($arg),* })?);
                let result = self.translate(&op);
                if false $($(|| core::mem::needs_drop::<$argty>())*)? {
                    drop(core::mem::ManuallyDrop::into_inner(op));
                }
                result
            }
        )*
    };
}

impl<'a> wasmparser::VisitOperator<'a> for Step<'_, 'a> {
    type Output = Result<()>;

    wasmparser::for_each_visit_operator!(define_visit_step);

    fn simd_visitor(
        &mut self,
    ) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }
}

macro_rules! define_visit_simd_step {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[allow(clippy::clone_on_copy)]
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                if let Some(validator) = self.validator.as_deref_mut() {
                    let mut visitor = validator.visitor(self.offset as u64);
                    match wasmparser::VisitOperator::simd_visitor(&mut visitor) {
                        Some(simd) => simd.$visit($($($arg.clone()),*)?)?,
                        None => return Err(Error::invalid("SIMD is not supported", Some(self.offset))),
                    }
                }
                self.translate(&Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

impl<'a> wasmparser::VisitSimdOperator<'a> for Step<'_, 'a> {
    wasmparser::for_each_visit_simd_operator!(define_visit_simd_step);
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
}

macro_rules! unop {
    ($t:ident, $name:ident) => {
        $t.unary(|dst, src| Instr::$name { dst, src })
    };
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
macro_rules! load {
    ($t:ident, $name:ident, $memarg:expr) => {
        $t.load($memarg, |dst, ptr, offset| Instr::$name {
            dst,
            ptr,
            offset,
        })
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

impl Translator<'_> {
    // -----------------------------------------------------------------------------------------
    // Emission and slots
    // -----------------------------------------------------------------------------------------

    #[inline]
    fn emit(&mut self, instr: Instr) -> usize {
        self.last_result = None;
        self.code.push(instr);
        self.code.len() - 1
    }

    /// Emits `dst = src`, fused with a `Copy` emitted just before it into a `Copy2` unless
    /// a branch targets the new copy (`here` was taken after the last instruction).
    fn emit_copy(&mut self, dst: Slot, src: Slot) {
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
    fn emit_result(&mut self, instr: Instr) {
        let index = self.emit(instr);
        self.last_result = Some(index);
    }

    #[inline]
    fn temp_slot(&self, height: u32) -> TResult<Slot> {
        Slot::try_from(self.temp_base + height).map_err(|_| TranslateError::TooLarge)
    }

    #[inline]
    fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    #[inline(always)]
    fn push(&mut self, operand: Operand) -> TResult {
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
    fn push_temp(&mut self) -> TResult<Slot> {
        let slot = self.temp_slot(self.height())?;
        self.push(Operand::Temp)?;
        Ok(slot)
    }

    #[inline]
    fn pop(&mut self) -> TResult<Operand> {
        let operand = self
            .stack
            .pop()
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        if let Operand::Local(_) = operand {
            self.local_refs -= 1;
        }
        Ok(operand)
    }

    /// The slot holding `operand` found at stack height `height`, materializing a constant
    /// into its temporary.
    #[inline]
    fn slot_of(&mut self, operand: Operand, height: u32) -> TResult<Slot> {
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
    fn emit_const(&mut self, dst: Slot, value: u64) {
        match u32::try_from(value) {
            Ok(value) => self.emit(Instr::Const32 { dst, value }),
            Err(_) => self.emit(Instr::Const64 { dst, value }),
        };
    }

    /// Pops the top operand and returns its slot (height = new stack height).
    #[inline]
    fn pop_slot(&mut self) -> TResult<Slot> {
        let operand = self.pop()?;
        let height = self.height();
        self.slot_of(operand, height)
    }

    /// Makes stack entry `index` a `Temp`, copying its value into its temporary.
    fn materialize(&mut self, index: usize) -> TResult {
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
    fn materialize_top(&mut self, n: u32) -> TResult {
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
    fn materialize_locals(&mut self) -> TResult {
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
    fn preserve_local(&mut self, local: Slot) -> TResult {
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

    fn local_slot(&self, index: u32) -> TResult<Slot> {
        if index >= self.temp_base {
            return Err(TranslateError::Invalid("unknown local"));
        }
        Slot::try_from(index).map_err(|_| TranslateError::TooLarge)
    }

    // -----------------------------------------------------------------------------------------
    // Fuel and labels
    // -----------------------------------------------------------------------------------------

    /// Starts a new block for fuel accounting.
    fn start_block(&mut self) {
        if self.fuel {
            let index = self.emit(Instr::ConsumeFuel { amount: 0 });
            self.fuel_instr = Some(index);
        }
    }

    fn bump_fuel(&mut self) {
        if let Some(index) = self.fuel_instr
            && let Some(Instr::ConsumeFuel { amount }) = self.code.get_mut(index)
        {
            *amount = amount.saturating_add(1);
        }
    }

    /// Points the branch at `site` to `target`.
    fn patch(&mut self, site: usize, target: usize) -> TResult {
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
    fn here(&mut self) -> usize {
        self.last_result = None;
        self.label = self.code.len();
        self.label
    }

    // -----------------------------------------------------------------------------------------
    // Branches
    // -----------------------------------------------------------------------------------------

    fn frame(&self, depth: u32) -> TResult<&Ctrl> {
        let len = self.ctrl.len();
        len.checked_sub(1 + depth as usize)
            .and_then(|i| self.ctrl.get(i))
            .ok_or(TranslateError::Invalid("unknown label"))
    }

    /// Whether a branch to frame `depth` needs value moves.
    fn branch_needs_moves(&self, depth: u32) -> TResult<bool> {
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
    fn emit_branch_moves(&mut self, depth: u32) -> TResult {
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
    fn emit_span_move(&mut self, to: u32, from: u32, count: u32) -> TResult {
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
    fn materialize_branch_values(&mut self, depth: u32, skip: usize) -> TResult {
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
    fn emit_return(&mut self, n: u32) -> TResult {
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
    fn emit_branch(&mut self, depth: u32) -> TResult {
        if self.frame(depth)?.kind == CtrlKind::Func {
            let n = self.frame(depth)?.results;
            return self.emit_return(n);
        }
        self.emit_branch_moves(depth)?;
        self.emit_jump(depth, Instr::Br { offset: 0 })
    }

    /// Emits `branch` (its offset to be resolved) jumping to frame `depth`'s label.
    fn emit_jump(&mut self, depth: u32, branch: Instr) -> TResult {
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
    fn condition_branch(&mut self, negate: bool) -> TResult<Instr> {
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

    // -----------------------------------------------------------------------------------------
    // Operator shapes
    // -----------------------------------------------------------------------------------------

    fn unary(&mut self, make: impl FnOnce(Slot, Slot) -> Instr) -> TResult {
        let src = self.pop_slot()?;
        let dst = self.push_temp()?;
        self.emit_result(make(dst, src));
        Ok(())
    }

    fn binary(
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
    fn binary_cmp(
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
    fn sub(
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

    fn push_const(&mut self, value: u64) -> TResult {
        self.push(Operand::Const(value))
    }

    fn load(&mut self, memarg: wasmparser::MemArg, make: fn(Slot, Slot, u32) -> Instr) -> TResult {
        let offset = u32::try_from(memarg.offset)
            .map_err(|_| TranslateError::Invalid("64-bit memory offsets are not supported"))?;
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
    fn fold_address(&mut self, instr: Instr, ptr: Slot, fusable: bool) -> Instr {
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
    fn last_is_result(&self) -> bool {
        self.last_result.is_some_and(|i| i + 1 == self.code.len())
    }

    fn store(
        &mut self,
        memarg: wasmparser::MemArg,
        make: fn(Slot, Slot, u32) -> Instr,
        make_imm: fn(Slot, i32, u32) -> Instr,
        wide: bool,
    ) -> TResult {
        let offset = u32::try_from(memarg.offset)
            .map_err(|_| TranslateError::Invalid("64-bit memory offsets are not supported"))?;
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

    /// `select`: a constant operand that fits a cell's low half (`i32`, `f32`, small `i64`)
    /// goes into the instruction rather than a slot.
    fn select(&mut self) -> TResult {
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
    fn pop_slots<const N: usize>(&mut self) -> TResult<[Slot; N]> {
        let mut slots = [Slot::default(); N];
        for i in (0..N).rev() {
            slots[i] = self.pop_slot()?;
        }
        Ok(slots)
    }

    fn block_arity(&self, ty: BlockType) -> TResult<(u32, u32)> {
        Ok(match ty {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(index) => {
                let ty = self
                    .info
                    .types
                    .get(TypeIdx::from_u32(index))
                    .ok_or(TranslateError::Invalid("unknown block type"))?;
                (ty.params().len() as u32, ty.results().len() as u32)
            }
        })
    }

    fn push_ctrl(&mut self, kind: CtrlKind, ty: BlockType) -> TResult<&mut Ctrl> {
        let (params, results) = self.block_arity(ty)?;
        let height = self
            .height()
            .checked_sub(params)
            .ok_or(TranslateError::Invalid("operand stack underflow"))?;
        self.ctrl.push(Ctrl {
            kind,
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

    /// Emits a call whose `params` arguments are on top of the stack.
    fn call(&mut self, params: u32, results: u32, make: impl FnOnce(Slot) -> Instr) -> TResult {
        self.materialize_top(params)?;
        let base_height = self.height() - params;
        let base = self.temp_slot(base_height)?;
        self.emit(make(base));
        for _ in 0..params {
            self.pop()?;
        }
        for _ in 0..results {
            self.push_temp()?;
        }
        // The code after the call belongs to the caller's block (and its fuel charge): only
        // branch targets start blocks.
        Ok(())
    }

    fn func_arity(&self, func: FuncIdx) -> TResult<(u32, u32)> {
        let ty = self
            .info
            .func_type(func)
            .ok_or(TranslateError::Invalid("unknown function"))?;
        Ok((ty.params().len() as u32, ty.results().len() as u32))
    }

    // -----------------------------------------------------------------------------------------
    // The operator dispatch
    // -----------------------------------------------------------------------------------------

    fn operator(&mut self, op: &Operator<'_>) -> TResult {
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
            O::Call { function_index } => {
                let func = FuncIdx::from_u32(function_index);
                let (params, results) = self.func_arity(func)?;
                if let Some(func) = func.defined(self.info.num_imported_funcs) {
                    self.call(params, results, |base| Instr::CallInternal { func, base })?;
                } else {
                    self.call(params, results, |base| Instr::CallImported { func, base })?;
                }
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let type_index = TypeIdx::from_u32(type_index);
                let ty = self
                    .info
                    .types
                    .get(type_index)
                    .ok_or(TranslateError::Invalid("unknown type"))?;
                let (params, results) = (ty.params().len() as u32, ty.results().len() as u32);
                // The executor reads the index before the callee's frame (which starts at the
                // arguments, below the index) is set up.
                let index = self.pop_slot()?;
                self.call(params, results, |base| Instr::CallIndirect {
                    ty: type_index,
                    table: TableIdx::from_u32(table_index),
                    index,
                    base,
                })?;
            }
            O::Drop => {
                self.pop()?;
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => self.select()?,
            O::LocalGet { local_index } => {
                let slot = self.local_slot(local_index)?;
                self.push(Operand::Local(slot))?;
            }
            O::LocalSet { local_index } => {
                let slot = self.local_slot(local_index)?;
                self.local_set(slot)?;
            }
            O::LocalTee { local_index } => {
                let slot = self.local_slot(local_index)?;
                self.local_set(slot)?;
                self.push(Operand::Local(slot))?;
            }
            O::GlobalGet { global_index } => {
                let dst = self.push_temp()?;
                self.emit_result(Instr::GlobalGet {
                    dst,
                    global: GlobalIdx::from_u32(global_index),
                });
            }
            O::GlobalSet { global_index } => {
                let src = self.pop_slot()?;
                self.emit(Instr::GlobalSet {
                    src,
                    global: GlobalIdx::from_u32(global_index),
                });
            }
            O::I32Load { memarg } | O::F32Load { memarg } => load!(self, I32Load, memarg)?,
            O::I64Load { memarg } | O::F64Load { memarg } => load!(self, I64Load, memarg)?,
            O::I32Load8S { memarg } => load!(self, I32Load8S, memarg)?,
            O::I32Load8U { memarg } => load!(self, I32Load8U, memarg)?,
            O::I32Load16S { memarg } => load!(self, I32Load16S, memarg)?,
            O::I32Load16U { memarg } => load!(self, I32Load16U, memarg)?,
            O::I64Load8S { memarg } => load!(self, I64Load8S, memarg)?,
            O::I64Load8U { memarg } => load!(self, I64Load8U, memarg)?,
            O::I64Load16S { memarg } => load!(self, I64Load16S, memarg)?,
            O::I64Load16U { memarg } => load!(self, I64Load16U, memarg)?,
            O::I64Load32S { memarg } => load!(self, I64Load32S, memarg)?,
            O::I64Load32U { memarg } => load!(self, I64Load32U, memarg)?,
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
            O::MemorySize { .. } => {
                let dst = self.push_temp()?;
                self.emit_result(Instr::MemorySize { dst });
            }
            O::MemoryGrow { .. } => {
                let delta = self.pop_slot()?;
                let dst = self.push_temp()?;
                self.emit(Instr::MemoryGrow { dst, delta });
            }
            O::MemoryFill { .. } => {
                let [dst_addr, value, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryFill {
                    dst_addr,
                    value,
                    len,
                });
            }
            O::MemoryCopy { .. } => {
                let [dst_addr, src_addr, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryCopy {
                    dst_addr,
                    src_addr,
                    len,
                });
            }
            O::MemoryInit { data_index, .. } => {
                let [dst_addr, src_offset, len] = self.pop_slots::<3>()?;
                self.emit(Instr::MemoryInit {
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
            O::RefIsNull => unop!(self, I64Eqz)?,
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

            O::I32Eqz => unop!(self, I32Eqz)?,
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
            O::I64Eqz => unop!(self, I64Eqz)?,
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
            O::F32Eq => binop!(self, F32Eq)?,
            O::F32Ne => binop!(self, F32Ne)?,
            O::F32Lt => binop!(self, F32Lt)?,
            O::F32Gt => binop!(self, F32Gt)?,
            O::F32Le => binop!(self, F32Le)?,
            O::F32Ge => binop!(self, F32Ge)?,
            O::F64Eq => binop!(self, F64Eq)?,
            O::F64Ne => binop!(self, F64Ne)?,
            O::F64Lt => binop!(self, F64Lt)?,
            O::F64Gt => binop!(self, F64Gt)?,
            O::F64Le => binop!(self, F64Le)?,
            O::F64Ge => binop!(self, F64Ge)?,

            O::I32Clz => unop!(self, I32Clz)?,
            O::I32Ctz => unop!(self, I32Ctz)?,
            O::I32Popcnt => unop!(self, I32Popcnt)?,
            O::I32Add => binop!(self, I32Add, I32AddImm, true, false)?,
            O::I32Sub => self.sub(
                |dst, lhs, rhs| Instr::I32Sub { dst, lhs, rhs },
                |dst, lhs, imm| Instr::I32AddImm { dst, lhs, imm },
                false,
            )?,
            O::I32Mul => binop!(self, I32Mul, I32MulImm, true, false)?,
            O::I32DivS => binop!(self, I32DivS)?,
            O::I32DivU => binop!(self, I32DivU)?,
            O::I32RemS => binop!(self, I32RemS)?,
            O::I32RemU => binop!(self, I32RemU)?,
            O::I32And => binop!(self, I32And, I32AndImm, true, false)?,
            O::I32Or => binop!(self, I32Or, I32OrImm, true, false)?,
            O::I32Xor => binop!(self, I32Xor, I32XorImm, true, false)?,
            O::I32Shl => binop!(self, I32Shl, I32ShlImm, false, false)?,
            O::I32ShrS => binop!(self, I32ShrS, I32ShrSImm, false, false)?,
            O::I32ShrU => binop!(self, I32ShrU, I32ShrUImm, false, false)?,
            O::I32Rotl => binop!(self, I32Rotl, I32RotlImm, false, false)?,
            O::I32Rotr => binop!(self, I32Rotr, I32RotrImm, false, false)?,
            O::I64Clz => unop!(self, I64Clz)?,
            O::I64Ctz => unop!(self, I64Ctz)?,
            O::I64Popcnt => unop!(self, I64Popcnt)?,
            O::I64Add => binop!(self, I64Add, I64AddImm, true, true)?,
            O::I64Sub => self.sub(
                |dst, lhs, rhs| Instr::I64Sub { dst, lhs, rhs },
                |dst, lhs, imm| Instr::I64AddImm { dst, lhs, imm },
                true,
            )?,
            O::I64Mul => binop!(self, I64Mul, I64MulImm, true, true)?,
            O::I64DivS => binop!(self, I64DivS)?,
            O::I64DivU => binop!(self, I64DivU)?,
            O::I64RemS => binop!(self, I64RemS)?,
            O::I64RemU => binop!(self, I64RemU)?,
            O::I64And => binop!(self, I64And, I64AndImm, true, true)?,
            O::I64Or => binop!(self, I64Or, I64OrImm, true, true)?,
            O::I64Xor => binop!(self, I64Xor, I64XorImm, true, true)?,
            O::I64Shl => binop!(self, I64Shl, I64ShlImm, false, true)?,
            O::I64ShrS => binop!(self, I64ShrS, I64ShrSImm, false, true)?,
            O::I64ShrU => binop!(self, I64ShrU, I64ShrUImm, false, true)?,
            O::I64Rotl => binop!(self, I64Rotl, I64RotlImm, false, true)?,
            O::I64Rotr => binop!(self, I64Rotr, I64RotrImm, false, true)?,

            O::F32Abs => unop!(self, F32Abs)?,
            O::F32Neg => unop!(self, F32Neg)?,
            O::F32Ceil => unop!(self, F32Ceil)?,
            O::F32Floor => unop!(self, F32Floor)?,
            O::F32Trunc => unop!(self, F32Trunc)?,
            O::F32Nearest => unop!(self, F32Nearest)?,
            O::F32Sqrt => unop!(self, F32Sqrt)?,
            O::F32Add => binop!(self, F32Add)?,
            O::F32Sub => binop!(self, F32Sub)?,
            O::F32Mul => binop!(self, F32Mul)?,
            O::F32Div => binop!(self, F32Div)?,
            O::F32Min => binop!(self, F32Min)?,
            O::F32Max => binop!(self, F32Max)?,
            O::F32Copysign => binop!(self, F32Copysign)?,
            O::F64Abs => unop!(self, F64Abs)?,
            O::F64Neg => unop!(self, F64Neg)?,
            O::F64Ceil => unop!(self, F64Ceil)?,
            O::F64Floor => unop!(self, F64Floor)?,
            O::F64Trunc => unop!(self, F64Trunc)?,
            O::F64Nearest => unop!(self, F64Nearest)?,
            O::F64Sqrt => unop!(self, F64Sqrt)?,
            O::F64Add => binop!(self, F64Add)?,
            O::F64Sub => binop!(self, F64Sub)?,
            O::F64Mul => binop!(self, F64Mul)?,
            O::F64Div => binop!(self, F64Div)?,
            O::F64Min => binop!(self, F64Min)?,
            O::F64Max => binop!(self, F64Max)?,
            O::F64Copysign => binop!(self, F64Copysign)?,

            O::I32WrapI64 => unop!(self, I32WrapI64)?,
            O::I32TruncF32S => unop!(self, I32TruncF32S)?,
            O::I32TruncF32U => unop!(self, I32TruncF32U)?,
            O::I32TruncF64S => unop!(self, I32TruncF64S)?,
            O::I32TruncF64U => unop!(self, I32TruncF64U)?,
            O::I64ExtendI32S => unop!(self, I64ExtendI32S)?,
            // An `i32` in a cell is already zero-extended (see `crate::ir`): the operand
            // stays where it is.
            O::I64ExtendI32U => {
                let operand = self.pop()?;
                self.push(operand)?;
            }
            O::I64TruncF32S => unop!(self, I64TruncF32S)?,
            O::I64TruncF32U => unop!(self, I64TruncF32U)?,
            O::I64TruncF64S => unop!(self, I64TruncF64S)?,
            O::I64TruncF64U => unop!(self, I64TruncF64U)?,
            O::F32ConvertI32S => unop!(self, F32ConvertI32S)?,
            O::F32ConvertI32U => unop!(self, F32ConvertI32U)?,
            O::F32ConvertI64S => unop!(self, F32ConvertI64S)?,
            O::F32ConvertI64U => unop!(self, F32ConvertI64U)?,
            O::F32DemoteF64 => unop!(self, F32DemoteF64)?,
            O::F64ConvertI32S => unop!(self, F64ConvertI32S)?,
            O::F64ConvertI32U => unop!(self, F64ConvertI32U)?,
            O::F64ConvertI64S => unop!(self, F64ConvertI64S)?,
            O::F64ConvertI64U => unop!(self, F64ConvertI64U)?,
            O::F64PromoteF32 => unop!(self, F64PromoteF32)?,
            // Cells hold the bits, so reinterpretations change nothing.
            O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {}
            O::I32Extend8S => unop!(self, I32Extend8S)?,
            O::I32Extend16S => unop!(self, I32Extend16S)?,
            O::I64Extend8S => unop!(self, I64Extend8S)?,
            O::I64Extend16S => unop!(self, I64Extend16S)?,
            O::I64Extend32S => unop!(self, I64Extend32S)?,
            O::I32TruncSatF32S => unop!(self, I32TruncSatF32S)?,
            O::I32TruncSatF32U => unop!(self, I32TruncSatF32U)?,
            O::I32TruncSatF64S => unop!(self, I32TruncSatF64S)?,
            O::I32TruncSatF64U => unop!(self, I32TruncSatF64U)?,
            O::I64TruncSatF32S => unop!(self, I64TruncSatF32S)?,
            O::I64TruncSatF32U => unop!(self, I64TruncSatF32U)?,
            O::I64TruncSatF64S => unop!(self, I64TruncSatF64S)?,
            O::I64TruncSatF64U => unop!(self, I64TruncSatF64U)?,
            _ => return Err(TranslateError::Invalid("unsupported operator")),
        }
        Ok(())
    }

    /// An operator in unreachable code: only block structure matters.
    fn dead_operator(&mut self, op: &Operator<'_>) -> TResult {
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

    fn local_set(&mut self, local: Slot) -> TResult {
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

    fn br_if(&mut self, depth: u32) -> TResult {
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

    fn br_table(&mut self, targets: wasmparser::BrTable<'_>) -> TResult {
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

    fn else_(&mut self) -> TResult {
        let index = self.ctrl.len() - 1;
        if self.reachable {
            self.materialize_branch_values(0, 0)?;
            self.emit_branch(0)?;
        }
        let frame = &mut self.ctrl[index];
        frame.kind = CtrlKind::Else;
        let height = frame.height;
        let params = frame.params;
        let else_branch = frame.else_branch.take();
        if let Some(site) = else_branch {
            let here = self.here();
            self.patch(site, here)?;
        }
        self.truncate_stack(height)?;
        for _ in 0..params {
            self.push(Operand::Temp)?;
        }
        self.reachable = true;
        self.last_result = None;
        self.start_block();
        Ok(())
    }

    fn truncate_stack(&mut self, height: u32) -> TResult {
        while self.height() > height {
            self.pop()?;
        }
        Ok(())
    }

    fn end(&mut self) -> TResult {
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
        for _ in 0..frame.results {
            self.push(Operand::Temp)?;
        }
        self.reachable = reachable;
        if reachable && target {
            self.start_block();
        }
        Ok(())
    }
}

/// The 32-bit immediate form of a constant operand, if it has one: every `i32`, and the
/// `i64`s that fit sign-extended (`wide`).
fn const_imm(operand: Operand, wide: bool) -> Option<i32> {
    match operand {
        Operand::Const(value) if wide => i32::try_from(value as i64).ok(),
        Operand::Const(value) => Some(value as u32 as i32),
        _ => None,
    }
}

/// The fused compare-and-branch for comparison `instr`, taken when the comparison is `true`
/// (or `false` when `negate`).
fn fuse_compare(instr: &Instr, negate: bool) -> Option<Instr> {
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
fn swap_le(instr: Instr, negate: bool) -> Instr {
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
