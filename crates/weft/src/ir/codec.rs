//! A byte encoding of [`Instr`]s, for precompiled modules (see `module::serialize`).
//!
//! Each instruction is a little-endian `u16` opcode (its position in [`for_each_instr!`])
//! followed by its fields in declaration order, each at its own fixed width: a [`Slot`] in 2
//! bytes, an index in 4, a `TrapCode` in 1, and integers at their size. Decoding checks
//! nothing but the shape (a known opcode, enough bytes, a known trap code); what the
//! interpreter relies on is checked afterwards by [`verify`](super::verify) and
//! `module::serialize`'s index checks.

use super::{Instr, Slot, VSlot, for_each_instr};
use crate::index::{
    DataIdx, DefinedFuncIdx, ElemIdx, FuncIdx, GlobalIdx, MemoryIdx, TableIdx, TypeIdx,
};
use crate::trap::TrapCode;

/// A growing buffer of little-endian values.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    pub(crate) fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    /// A length or count, as a `u32`.
    pub(crate) fn len(&mut self, len: usize) {
        self.u32(u32::try_from(len).unwrap_or(u32::MAX));
    }

    /// Length-prefixed bytes.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.bytes.extend_from_slice(bytes);
    }

    /// A length-prefixed UTF-8 string.
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Why decoding failed, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) message: String,
    pub(crate) offset: usize,
}

/// A cursor over encoded bytes; every read is bounds-checked.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// The offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// An error at the current offset.
    pub(crate) fn error(&self, message: impl Into<String>) -> DecodeError {
        DecodeError {
            message: message.into(),
            offset: self.pos,
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or_else(|| self.error("unexpected end of data"))?;
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        self.array().map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        self.array().map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }

    /// A length or count written by [`Writer::len`], checked against the bytes left, each
    /// item taking at least `min_item_size` bytes, so that a forged count cannot make the
    /// reader allocate more than the input justifies.
    pub(crate) fn len(&mut self, min_item_size: usize) -> Result<usize, DecodeError> {
        let len = self.u32()? as usize;
        let left = self.bytes.len().saturating_sub(self.pos);
        if len.saturating_mul(min_item_size.max(1)) > left {
            return Err(self.error(format!("count {len} exceeds the remaining data")));
        }
        Ok(len)
    }

    /// Bytes written by [`Writer::bytes`].
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.len(1)?;
        self.take(len)
    }

    /// A string written by [`Writer::str`].
    pub(crate) fn str(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let bytes = self.bytes()?;
        core::str::from_utf8(bytes).map_err(|_| DecodeError {
            message: "invalid UTF-8 in a string".to_string(),
            offset: start,
        })
    }
}

/// Every trap code an instruction can carry, by its encoding.
const TRAP_CODES: [TrapCode; 16] = [
    TrapCode::UnreachableCodeReached,
    TrapCode::MemoryOutOfBounds,
    TrapCode::TableOutOfBounds,
    TrapCode::UndefinedElement,
    TrapCode::IndirectCallToNull,
    TrapCode::BadSignature,
    TrapCode::IntegerOverflow,
    TrapCode::IntegerDivisionByZero,
    TrapCode::BadConversionToInteger,
    TrapCode::StackOverflow,
    TrapCode::OutOfFuel,
    TrapCode::Interrupt,
    TrapCode::GrowthOperationLimited,
    TrapCode::InternalError,
    TrapCode::NullReference,
    TrapCode::NullFunctionReference,
];

/// A field of an instruction, at its fixed width.
trait Field: Sized {
    fn put(self, w: &mut Writer);
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
}

macro_rules! int_fields {
    ($($t:ty => $put:ident / $get:ident),*) => {$(
        impl Field for $t {
            #[inline]
            fn put(self, w: &mut Writer) {
                w.$put(self as _);
            }
            #[inline]
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(r.$get()? as $t)
            }
        }
    )*};
}
int_fields!(u8 => u8 / u8, u16 => u16 / u16, u32 => u32 / u32, i32 => u32 / u32, u64 => u64 / u64);

impl Field for Slot {
    #[inline]
    fn put(self, w: &mut Writer) {
        w.u16(self.0);
    }
    #[inline]
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u16().map(Slot)
    }
}

impl Field for VSlot {
    #[inline]
    fn put(self, w: &mut Writer) {
        w.u16(self.0);
    }
    #[inline]
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let lo = r.u16()?;
        VSlot::new(Slot(lo)).ok_or_else(|| r.error(format!("v128 slot {lo} out of range")))
    }
}

impl Field for TrapCode {
    fn put(self, w: &mut Writer) {
        let code = TRAP_CODES.iter().position(|c| *c == self);
        w.u8(code.map_or(u8::MAX, |code| code as u8));
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let code = r.u8()?;
        TRAP_CODES
            .get(usize::from(code))
            .copied()
            .ok_or_else(|| r.error(format!("unknown trap code {code}")))
    }
}

macro_rules! index_fields {
    ($($t:ident),*) => {$(
        impl Field for $t {
            #[inline]
            fn put(self, w: &mut Writer) {
                w.u32(self.as_u32());
            }
            #[inline]
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                r.u32().map($t::from_u32)
            }
        }
    )*};
}
index_fields!(
    FuncIdx,
    DefinedFuncIdx,
    TypeIdx,
    TableIdx,
    GlobalIdx,
    MemoryIdx,
    DataIdx,
    ElemIdx
);

macro_rules! define_codec {
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
        /// The opcode of every instruction: its position in the instruction table.
        #[derive(Clone, Copy)]
        #[repr(u16)]
        enum Opcode {
            $($sname,)* $($un,)* $($ut,)* $($bin,)* $($bt,)* $($bi,)* $($bj,)* $($bc,)*
            $($bci,)* $($ld, $li, $ls,)* $($st, $si, $ss,)* $($sti, $sii,)*
        }

        /// The opcodes, by their encoding.
        const OPCODES: &[Opcode] = &[
            $(Opcode::$sname,)* $(Opcode::$un,)* $(Opcode::$ut,)* $(Opcode::$bin,)*
            $(Opcode::$bt,)* $(Opcode::$bi,)* $(Opcode::$bj,)* $(Opcode::$bc,)*
            $(Opcode::$bci,)* $(Opcode::$ld, Opcode::$li, Opcode::$ls,)*
            $(Opcode::$st, Opcode::$si, Opcode::$ss,)* $(Opcode::$sti, Opcode::$sii,)*
        ];

        impl Instr {
            /// Appends the encoding of `self` to `w`.
            pub(crate) fn encode(&self, w: &mut Writer) {
                match *self {
                    $( Instr::$sname { $($sfield),* } => {
                        w.u16(Opcode::$sname as u16);
                        $( Field::put($sfield, w); )*
                    } )*
                    $( Instr::$un { dst, src } => {
                        w.u16(Opcode::$un as u16);
                        dst.put(w); src.put(w);
                    } )*
                    $( Instr::$ut { dst, src } => {
                        w.u16(Opcode::$ut as u16);
                        dst.put(w); src.put(w);
                    } )*
                    $( Instr::$bin { dst, lhs, rhs } => {
                        w.u16(Opcode::$bin as u16);
                        dst.put(w); lhs.put(w); rhs.put(w);
                    } )*
                    $( Instr::$bt { dst, lhs, rhs } => {
                        w.u16(Opcode::$bt as u16);
                        dst.put(w); lhs.put(w); rhs.put(w);
                    } )*
                    $( Instr::$bi { dst, lhs, imm } => {
                        w.u16(Opcode::$bi as u16);
                        dst.put(w); lhs.put(w); imm.put(w);
                    } )*
                    $( Instr::$bj { dst, lhs, imm } => {
                        w.u16(Opcode::$bj as u16);
                        dst.put(w); lhs.put(w); imm.put(w);
                    } )*
                    $( Instr::$bc { lhs, rhs, offset } => {
                        w.u16(Opcode::$bc as u16);
                        lhs.put(w); rhs.put(w); offset.put(w);
                    } )*
                    $( Instr::$bci { lhs, imm, offset } => {
                        w.u16(Opcode::$bci as u16);
                        lhs.put(w); imm.put(w); offset.put(w);
                    } )*
                    $(
                        Instr::$ld { dst, ptr, offset } => {
                            w.u16(Opcode::$ld as u16);
                            dst.put(w); ptr.put(w); offset.put(w);
                        }
                        Instr::$li { dst, base, index, offset } => {
                            w.u16(Opcode::$li as u16);
                            dst.put(w); base.put(w); index.put(w); offset.put(w);
                        }
                        Instr::$ls { dst, base, index, shift, offset } => {
                            w.u16(Opcode::$ls as u16);
                            dst.put(w); base.put(w); index.put(w); shift.put(w); offset.put(w);
                        }
                    )*
                    $(
                        Instr::$st { ptr, value, offset } => {
                            w.u16(Opcode::$st as u16);
                            ptr.put(w); value.put(w); offset.put(w);
                        }
                        Instr::$si { base, index, value, offset } => {
                            w.u16(Opcode::$si as u16);
                            base.put(w); index.put(w); value.put(w); offset.put(w);
                        }
                        Instr::$ss { base, index, value, shift, offset } => {
                            w.u16(Opcode::$ss as u16);
                            base.put(w); index.put(w); value.put(w); shift.put(w); offset.put(w);
                        }
                    )*
                    $(
                        Instr::$sti { ptr, value, offset } => {
                            w.u16(Opcode::$sti as u16);
                            ptr.put(w); value.put(w); offset.put(w);
                        }
                        Instr::$sii { base, index, value, offset } => {
                            w.u16(Opcode::$sii as u16);
                            base.put(w); index.put(w); value.put(w); offset.put(w);
                        }
                    )*
                }
            }

            /// Decodes one instruction written by [`Instr::encode`].
            pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Instr, DecodeError> {
                let at = r.offset();
                let opcode = r.u16()?;
                let Some(&opcode) = OPCODES.get(usize::from(opcode)) else {
                    return Err(DecodeError {
                        message: format!("unknown instruction opcode {opcode}"),
                        offset: at,
                    });
                };
                Ok(match opcode {
                    $( Opcode::$sname => Instr::$sname { $($sfield: Field::get(r)?),* }, )*
                    $( Opcode::$un => Instr::$un { dst: Field::get(r)?, src: Field::get(r)? }, )*
                    $( Opcode::$ut => Instr::$ut { dst: Field::get(r)?, src: Field::get(r)? }, )*
                    $( Opcode::$bin => Instr::$bin {
                        dst: Field::get(r)?, lhs: Field::get(r)?, rhs: Field::get(r)?,
                    }, )*
                    $( Opcode::$bt => Instr::$bt {
                        dst: Field::get(r)?, lhs: Field::get(r)?, rhs: Field::get(r)?,
                    }, )*
                    $( Opcode::$bi => Instr::$bi {
                        dst: Field::get(r)?, lhs: Field::get(r)?, imm: Field::get(r)?,
                    }, )*
                    $( Opcode::$bj => Instr::$bj {
                        dst: Field::get(r)?, lhs: Field::get(r)?, imm: Field::get(r)?,
                    }, )*
                    $( Opcode::$bc => Instr::$bc {
                        lhs: Field::get(r)?, rhs: Field::get(r)?, offset: Field::get(r)?,
                    }, )*
                    $( Opcode::$bci => Instr::$bci {
                        lhs: Field::get(r)?, imm: Field::get(r)?, offset: Field::get(r)?,
                    }, )*
                    $(
                        Opcode::$ld => Instr::$ld {
                            dst: Field::get(r)?, ptr: Field::get(r)?, offset: Field::get(r)?,
                        },
                        Opcode::$li => Instr::$li {
                            dst: Field::get(r)?, base: Field::get(r)?, index: Field::get(r)?,
                            offset: Field::get(r)?,
                        },
                        Opcode::$ls => Instr::$ls {
                            dst: Field::get(r)?, base: Field::get(r)?, index: Field::get(r)?,
                            shift: Field::get(r)?, offset: Field::get(r)?,
                        },
                    )*
                    $(
                        Opcode::$st => Instr::$st {
                            ptr: Field::get(r)?, value: Field::get(r)?, offset: Field::get(r)?,
                        },
                        Opcode::$si => Instr::$si {
                            base: Field::get(r)?, index: Field::get(r)?, value: Field::get(r)?,
                            offset: Field::get(r)?,
                        },
                        Opcode::$ss => Instr::$ss {
                            base: Field::get(r)?, index: Field::get(r)?, value: Field::get(r)?,
                            shift: Field::get(r)?, offset: Field::get(r)?,
                        },
                    )*
                    $(
                        Opcode::$sti => Instr::$sti {
                            ptr: Field::get(r)?, value: Field::get(r)?, offset: Field::get(r)?,
                        },
                        Opcode::$sii => Instr::$sii {
                            base: Field::get(r)?, index: Field::get(r)?, value: Field::get(r)?,
                            offset: Field::get(r)?,
                        },
                    )*
                })
            }

            /// Whether the instruction accesses memory 0 (so that the module must have one);
            /// the instructions that name their memory are checked by their index.
            pub(crate) fn accesses_memory(&self) -> bool {
                matches!(
                    self,
                    $( Instr::$ld { .. } | Instr::$li { .. } | Instr::$ls { .. } | )*
                    $( Instr::$st { .. } | Instr::$si { .. } | Instr::$ss { .. } | )*
                    $( Instr::$sti { .. } | Instr::$sii { .. } | )*
                    Instr::MemorySize { .. }
                        | Instr::V128Load { .. }
                        | Instr::V128Store { .. }
                        | Instr::V128LoadLane { .. }
                        | Instr::V128StoreLane { .. }
                )
            }
        }
    };
}
for_each_instr!(define_codec);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_round_trips() {
        let samples = [
            Instr::Trap {
                code: TrapCode::IntegerOverflow,
            },
            Instr::ZeroLocals {
                start: Slot(3),
                count: 70_000,
            },
            Instr::Const64 {
                dst: Slot(9),
                value: u64::MAX - 5,
            },
            Instr::I32DivS {
                dst: Slot(1),
                lhs: Slot(2),
                rhs: Slot(65535),
            },
            Instr::I64AddImm64 {
                dst: Slot(1),
                lhs: Slot(2),
                imm: 1 << 40,
            },
            Instr::BrI32LtSImm {
                lhs: Slot(4),
                imm: -7,
                offset: -12,
            },
            Instr::I64Load32UScaled {
                dst: Slot(1),
                base: Slot(2),
                index: Slot(3),
                shift: 3,
                offset: 0xdead_beef,
            },
            Instr::TableCopy {
                dst_table: TableIdx::from_u32(1),
                src_table: TableIdx::from_u32(2),
                dst_index: Slot(3),
                src_index: Slot(4),
                len: Slot(5),
            },
            Instr::I32Store16ImmIdx {
                base: Slot(1),
                index: Slot(2),
                value: -3,
                offset: 8,
            },
            Instr::MemoryCopy {
                dst_memory: MemoryIdx::from_u32(1),
                src_memory: MemoryIdx::from_u32(2),
                dst_addr: Slot(3),
                src_addr: Slot(4),
                len: Slot(5),
            },
            Instr::StoreMem {
                op: 3,
                memory: 7,
                ptr: Slot(1),
                value: Slot(2),
                offset: 9,
            },
            Instr::V128LoadLaneMem {
                op: 2,
                memory: 1,
                dst: VSlot(4),
                ptr: Slot(1),
                src: VSlot(6),
                lane: 3,
                offset: 17,
            },
        ];
        let mut w = Writer::default();
        for instr in &samples {
            instr.encode(&mut w);
        }
        let mut r = Reader::new(&w.bytes);
        for instr in &samples {
            assert_eq!(Instr::decode(&mut r).as_ref(), Ok(instr));
        }
        assert!(r.is_empty());
        assert!(Instr::decode(&mut r).is_err());
    }

    #[test]
    fn unknown_opcodes_and_trap_codes_are_errors() {
        let mut r = Reader::new(&[0xff, 0xff]);
        let error = Instr::decode(&mut r).err();
        assert!(
            error.is_some_and(|e| e.message.contains("unknown instruction opcode")),
            "opcode 0xffff decoded"
        );
        // Opcode 0 is `Trap`; trap code 200 does not exist.
        let mut r = Reader::new(&[0, 0, 200]);
        let error = Instr::decode(&mut r).err();
        assert!(
            error.is_some_and(|e| e.message.contains("unknown trap code")),
            "trap code 200 decoded"
        );
    }

    #[test]
    fn a_forged_count_is_refused_before_allocating() {
        let mut w = Writer::default();
        w.u32(u32::MAX);
        let mut r = Reader::new(&w.bytes);
        assert!(r.len(1).is_err());
    }
}
