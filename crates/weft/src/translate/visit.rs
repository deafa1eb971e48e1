//! The visitor glue: each operator is validated, its encoding rechecked, then translated.

use super::*;

/// The visitor of one operator: validates it (when there is a validator), then translates it.
pub(super) struct Step<'s, 'a> {
    pub(super) t: &'s mut Translator<'a>,
    pub(super) validator: Option<&'s mut FuncValidator<ValidatorResources>>,
    /// The operator's offset in the module.
    pub(super) offset: usize,
    /// The reader positioned at the operator, to re-read its `memarg`.
    pub(super) before: wasmparser::BinaryReader<'a>,
    /// What of the operator's encoding is checked once it is read.
    pub(super) recheck: Recheck,
}

/// The checks of an operator's encoding that wasmparser leaves to Weft.
#[derive(Clone, Copy)]
pub(super) enum Recheck {
    Nothing,
    /// `memory.size` and `memory.grow`: the memory index byte.
    MemoryIndex,
    /// Loads and stores: the `memarg` offset is a `u32` (see [`check_memarg_encoding`]).
    Memarg,
}

impl<'a> Step<'_, 'a> {
    /// Translates the (validated) operator `op`.
    pub(super) fn translate(&mut self, op: &Operator<'a>) -> Result<()> {
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
