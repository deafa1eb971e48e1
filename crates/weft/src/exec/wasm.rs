//! The semantics of WebAssembly's numeric instructions as small pure functions.
//!
//! Each function is named after the instruction's mnemonic (`i32.div_s` → [`i32_div_s`]) and
//! takes and returns plain Rust values; trapping instructions return `Result<_, TrapCode>`.
//! The interpreter calls them through the instruction table in [`crate::ir`], so the whole
//! numeric semantics of Weft lives in this file and is unit-tested directly.
//!
//! Floats follow the spec bit for bit where it is deterministic: `abs`, `neg` and `copysign`
//! are bit operations; `min`/`max` order `-0 < +0` and return a NaN when either operand is one;
//! `nearest` rounds half to even. Where the spec allows any arithmetic NaN, the host's
//! hardware result is used (a quiet NaN, which is an arithmetic NaN).
//!
//! Loads take the little-endian bytes read from memory and stores return the bytes to write,
//! so that the memory access itself (with its bounds check) is shared by every width.

use crate::trap::TrapCode;

// ---------------------------------------------------------------------------------------------
// Integer arithmetic
// ---------------------------------------------------------------------------------------------

macro_rules! int_ops {
    ($t:ty, $u:ty, $bits:literal,
     $add:ident, $sub:ident, $mul:ident, $div_s:ident, $div_u:ident, $rem_s:ident,
     $rem_u:ident, $and:ident, $or:ident, $xor:ident, $shl:ident, $shr_s:ident, $shr_u:ident,
     $rotl:ident, $rotr:ident, $clz:ident, $ctz:ident, $popcnt:ident, $eqz:ident, $eq:ident,
     $ne:ident, $lt_s:ident, $lt_u:ident, $gt_s:ident, $gt_u:ident, $le_s:ident, $le_u:ident,
     $ge_s:ident, $ge_u:ident) => {
        #[doc = concat!("`", stringify!($add), "`: wrapping addition.")]
        pub(crate) fn $add(lhs: $t, rhs: $t) -> $t {
            lhs.wrapping_add(rhs)
        }
        #[doc = concat!("`", stringify!($sub), "`: wrapping subtraction.")]
        pub(crate) fn $sub(lhs: $t, rhs: $t) -> $t {
            lhs.wrapping_sub(rhs)
        }
        #[doc = concat!("`", stringify!($mul), "`: wrapping multiplication.")]
        pub(crate) fn $mul(lhs: $t, rhs: $t) -> $t {
            lhs.wrapping_mul(rhs)
        }
        #[doc = concat!("`", stringify!($div_s), "`: signed division; traps on zero and overflow.")]
        pub(crate) fn $div_s(lhs: $t, rhs: $t) -> Result<$t, TrapCode> {
            if rhs == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            lhs.checked_div(rhs).ok_or(TrapCode::IntegerOverflow)
        }
        #[doc = concat!("`", stringify!($div_u), "`: unsigned division; traps on zero.")]
        pub(crate) fn $div_u(lhs: $u, rhs: $u) -> Result<$u, TrapCode> {
            lhs.checked_div(rhs).ok_or(TrapCode::IntegerDivisionByZero)
        }
        #[doc = concat!("`", stringify!($rem_s), "`: signed remainder; traps on zero (`MIN % -1` is 0).")]
        pub(crate) fn $rem_s(lhs: $t, rhs: $t) -> Result<$t, TrapCode> {
            if rhs == 0 {
                return Err(TrapCode::IntegerDivisionByZero);
            }
            Ok(lhs.wrapping_rem(rhs))
        }
        #[doc = concat!("`", stringify!($rem_u), "`: unsigned remainder; traps on zero.")]
        pub(crate) fn $rem_u(lhs: $u, rhs: $u) -> Result<$u, TrapCode> {
            lhs.checked_rem(rhs).ok_or(TrapCode::IntegerDivisionByZero)
        }
        #[doc = concat!("`", stringify!($and), "`.")]
        pub(crate) fn $and(lhs: $t, rhs: $t) -> $t {
            lhs & rhs
        }
        #[doc = concat!("`", stringify!($or), "`.")]
        pub(crate) fn $or(lhs: $t, rhs: $t) -> $t {
            lhs | rhs
        }
        #[doc = concat!("`", stringify!($xor), "`.")]
        pub(crate) fn $xor(lhs: $t, rhs: $t) -> $t {
            lhs ^ rhs
        }
        #[doc = concat!("`", stringify!($shl), "`: shift count taken modulo the bit width.")]
        pub(crate) fn $shl(lhs: $t, rhs: $t) -> $t {
            lhs.wrapping_shl(rhs as u32)
        }
        #[doc = concat!("`", stringify!($shr_s), "`: arithmetic shift right.")]
        pub(crate) fn $shr_s(lhs: $t, rhs: $t) -> $t {
            lhs.wrapping_shr(rhs as u32)
        }
        #[doc = concat!("`", stringify!($shr_u), "`: logical shift right.")]
        pub(crate) fn $shr_u(lhs: $u, rhs: $u) -> $u {
            lhs.wrapping_shr(rhs as u32)
        }
        #[doc = concat!("`", stringify!($rotl), "`.")]
        pub(crate) fn $rotl(lhs: $t, rhs: $t) -> $t {
            lhs.rotate_left((rhs as u32) % $bits)
        }
        #[doc = concat!("`", stringify!($rotr), "`.")]
        pub(crate) fn $rotr(lhs: $t, rhs: $t) -> $t {
            lhs.rotate_right((rhs as u32) % $bits)
        }
        #[doc = concat!("`", stringify!($clz), "`.")]
        pub(crate) fn $clz(value: $t) -> $t {
            value.leading_zeros() as $t
        }
        #[doc = concat!("`", stringify!($ctz), "`.")]
        pub(crate) fn $ctz(value: $t) -> $t {
            value.trailing_zeros() as $t
        }
        #[doc = concat!("`", stringify!($popcnt), "`.")]
        pub(crate) fn $popcnt(value: $t) -> $t {
            value.count_ones() as $t
        }
        #[doc = concat!("`", stringify!($eqz), "`.")]
        pub(crate) fn $eqz(value: $t) -> bool {
            value == 0
        }
        #[doc = concat!("`", stringify!($eq), "`.")]
        pub(crate) fn $eq(lhs: $t, rhs: $t) -> bool {
            lhs == rhs
        }
        #[doc = concat!("`", stringify!($ne), "`.")]
        pub(crate) fn $ne(lhs: $t, rhs: $t) -> bool {
            lhs != rhs
        }
        #[doc = concat!("`", stringify!($lt_s), "`.")]
        pub(crate) fn $lt_s(lhs: $t, rhs: $t) -> bool {
            lhs < rhs
        }
        #[doc = concat!("`", stringify!($lt_u), "`.")]
        pub(crate) fn $lt_u(lhs: $u, rhs: $u) -> bool {
            lhs < rhs
        }
        #[doc = concat!("`", stringify!($gt_s), "`.")]
        pub(crate) fn $gt_s(lhs: $t, rhs: $t) -> bool {
            lhs > rhs
        }
        #[doc = concat!("`", stringify!($gt_u), "`.")]
        pub(crate) fn $gt_u(lhs: $u, rhs: $u) -> bool {
            lhs > rhs
        }
        #[doc = concat!("`", stringify!($le_s), "`.")]
        pub(crate) fn $le_s(lhs: $t, rhs: $t) -> bool {
            lhs <= rhs
        }
        #[doc = concat!("`", stringify!($le_u), "`.")]
        pub(crate) fn $le_u(lhs: $u, rhs: $u) -> bool {
            lhs <= rhs
        }
        #[doc = concat!("`", stringify!($ge_s), "`.")]
        pub(crate) fn $ge_s(lhs: $t, rhs: $t) -> bool {
            lhs >= rhs
        }
        #[doc = concat!("`", stringify!($ge_u), "`.")]
        pub(crate) fn $ge_u(lhs: $u, rhs: $u) -> bool {
            lhs >= rhs
        }
    };
}

int_ops!(
    i32, u32, 32, i32_add, i32_sub, i32_mul, i32_div_s, i32_div_u, i32_rem_s, i32_rem_u, i32_and,
    i32_or, i32_xor, i32_shl, i32_shr_s, i32_shr_u, i32_rotl, i32_rotr, i32_clz, i32_ctz,
    i32_popcnt, i32_eqz, i32_eq, i32_ne, i32_lt_s, i32_lt_u, i32_gt_s, i32_gt_u, i32_le_s,
    i32_le_u, i32_ge_s, i32_ge_u
);
int_ops!(
    i64, u64, 64, i64_add, i64_sub, i64_mul, i64_div_s, i64_div_u, i64_rem_s, i64_rem_u, i64_and,
    i64_or, i64_xor, i64_shl, i64_shr_s, i64_shr_u, i64_rotl, i64_rotr, i64_clz, i64_ctz,
    i64_popcnt, i64_eqz, i64_eq, i64_ne, i64_lt_s, i64_lt_u, i64_gt_s, i64_gt_u, i64_le_s,
    i64_le_u, i64_ge_s, i64_ge_u
);

/// `i32.extend8_s`.
pub(crate) fn i32_extend8_s(value: i32) -> i32 {
    i32::from(value as i8)
}
/// `i32.extend16_s`.
pub(crate) fn i32_extend16_s(value: i32) -> i32 {
    i32::from(value as i16)
}
/// `i64.extend8_s`.
pub(crate) fn i64_extend8_s(value: i64) -> i64 {
    i64::from(value as i8)
}
/// `i64.extend16_s`.
pub(crate) fn i64_extend16_s(value: i64) -> i64 {
    i64::from(value as i16)
}
/// `i64.extend32_s`.
pub(crate) fn i64_extend32_s(value: i64) -> i64 {
    i64::from(value as i32)
}
/// `i32.wrap_i64`.
pub(crate) fn i32_wrap_i64(value: i64) -> i32 {
    value as i32
}
/// `i64.extend_i32_s`.
pub(crate) fn i64_extend_i32_s(value: i32) -> i64 {
    i64::from(value)
}

// ---------------------------------------------------------------------------------------------
// Floats
// ---------------------------------------------------------------------------------------------

/// Sets the quiet bit of a NaN: rounding instructions must return arithmetic NaNs, and the
/// host's rounding functions may pass a signalling NaN through unchanged.
#[inline(always)]
fn quiet_f32(value: f32) -> f32 {
    if value.is_nan() {
        f32::from_bits(value.to_bits() | 0x0040_0000)
    } else {
        value
    }
}

/// As [`quiet_f32`].
#[inline(always)]
fn quiet_f64(value: f64) -> f64 {
    if value.is_nan() {
        f64::from_bits(value.to_bits() | 0x0008_0000_0000_0000)
    } else {
        value
    }
}

macro_rules! float_ops {
    ($f:ty, $bits:ty, $sign:expr, $quiet:ident,
     $abs:ident, $neg:ident, $ceil:ident, $floor:ident, $trunc:ident, $nearest:ident,
     $sqrt:ident, $add:ident, $sub:ident, $mul:ident, $div:ident, $min:ident, $max:ident,
     $copysign:ident, $eq:ident, $ne:ident, $lt:ident, $gt:ident, $le:ident, $ge:ident) => {
        #[doc = concat!("`", stringify!($abs), "`: clears the sign bit (NaNs included).")]
        pub(crate) fn $abs(value: $f) -> $f {
            <$f>::from_bits(value.to_bits() & !$sign)
        }
        #[doc = concat!("`", stringify!($neg), "`: flips the sign bit (NaNs included).")]
        pub(crate) fn $neg(value: $f) -> $f {
            <$f>::from_bits(value.to_bits() ^ $sign)
        }
        #[doc = concat!("`", stringify!($ceil), "`.")]
        pub(crate) fn $ceil(value: $f) -> $f {
            $quiet(value.ceil())
        }
        #[doc = concat!("`", stringify!($floor), "`.")]
        pub(crate) fn $floor(value: $f) -> $f {
            $quiet(value.floor())
        }
        #[doc = concat!("`", stringify!($trunc), "`.")]
        pub(crate) fn $trunc(value: $f) -> $f {
            $quiet(value.trunc())
        }
        #[doc = concat!("`", stringify!($nearest), "`: rounds half to even.")]
        pub(crate) fn $nearest(value: $f) -> $f {
            $quiet(value.round_ties_even())
        }
        #[doc = concat!("`", stringify!($sqrt), "`.")]
        pub(crate) fn $sqrt(value: $f) -> $f {
            value.sqrt()
        }
        #[doc = concat!("`", stringify!($add), "`.")]
        pub(crate) fn $add(lhs: $f, rhs: $f) -> $f {
            lhs + rhs
        }
        #[doc = concat!("`", stringify!($sub), "`.")]
        pub(crate) fn $sub(lhs: $f, rhs: $f) -> $f {
            lhs - rhs
        }
        #[doc = concat!("`", stringify!($mul), "`.")]
        pub(crate) fn $mul(lhs: $f, rhs: $f) -> $f {
            lhs * rhs
        }
        #[doc = concat!("`", stringify!($div), "`.")]
        pub(crate) fn $div(lhs: $f, rhs: $f) -> $f {
            lhs / rhs
        }
        #[doc = concat!("`", stringify!($min), "`: a NaN operand gives a NaN; `-0 < +0`.")]
        pub(crate) fn $min(lhs: $f, rhs: $f) -> $f {
            if lhs.is_nan() || rhs.is_nan() {
                // The sum of two values one of which is a NaN is a quiet (arithmetic) NaN.
                return lhs + rhs;
            }
            if lhs == rhs {
                // Equal values differ only for zeros: the result is negative if either is.
                return <$f>::from_bits(lhs.to_bits() | rhs.to_bits());
            }
            if lhs < rhs { lhs } else { rhs }
        }
        #[doc = concat!("`", stringify!($max), "`: a NaN operand gives a NaN; `-0 < +0`.")]
        pub(crate) fn $max(lhs: $f, rhs: $f) -> $f {
            if lhs.is_nan() || rhs.is_nan() {
                return lhs + rhs;
            }
            if lhs == rhs {
                return <$f>::from_bits(lhs.to_bits() & rhs.to_bits());
            }
            if lhs > rhs { lhs } else { rhs }
        }
        #[doc = concat!("`", stringify!($copysign), "`: a bit operation.")]
        pub(crate) fn $copysign(lhs: $f, rhs: $f) -> $f {
            <$f>::from_bits((lhs.to_bits() & !$sign) | (rhs.to_bits() & $sign))
        }
        #[doc = concat!("`", stringify!($eq), "`.")]
        pub(crate) fn $eq(lhs: $f, rhs: $f) -> bool {
            lhs == rhs
        }
        #[doc = concat!("`", stringify!($ne), "`.")]
        pub(crate) fn $ne(lhs: $f, rhs: $f) -> bool {
            lhs != rhs
        }
        #[doc = concat!("`", stringify!($lt), "`.")]
        pub(crate) fn $lt(lhs: $f, rhs: $f) -> bool {
            lhs < rhs
        }
        #[doc = concat!("`", stringify!($gt), "`.")]
        pub(crate) fn $gt(lhs: $f, rhs: $f) -> bool {
            lhs > rhs
        }
        #[doc = concat!("`", stringify!($le), "`.")]
        pub(crate) fn $le(lhs: $f, rhs: $f) -> bool {
            lhs <= rhs
        }
        #[doc = concat!("`", stringify!($ge), "`.")]
        pub(crate) fn $ge(lhs: $f, rhs: $f) -> bool {
            lhs >= rhs
        }
    };
}

float_ops!(
    f32,
    u32,
    0x8000_0000u32,
    quiet_f32,
    f32_abs,
    f32_neg,
    f32_ceil,
    f32_floor,
    f32_trunc,
    f32_nearest,
    f32_sqrt,
    f32_add,
    f32_sub,
    f32_mul,
    f32_div,
    f32_min,
    f32_max,
    f32_copysign,
    f32_eq,
    f32_ne,
    f32_lt,
    f32_gt,
    f32_le,
    f32_ge
);
float_ops!(
    f64,
    u64,
    0x8000_0000_0000_0000u64,
    quiet_f64,
    f64_abs,
    f64_neg,
    f64_ceil,
    f64_floor,
    f64_trunc,
    f64_nearest,
    f64_sqrt,
    f64_add,
    f64_sub,
    f64_mul,
    f64_div,
    f64_min,
    f64_max,
    f64_copysign,
    f64_eq,
    f64_ne,
    f64_lt,
    f64_gt,
    f64_le,
    f64_ge
);

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

/// Checks a trapping float-to-int conversion: NaN and values whose truncation lies outside
/// `(lo, hi)` (both exclusive) trap.
fn trunc_check(value: f64, lo: f64, hi: f64) -> Result<(), TrapCode> {
    if value.is_nan() {
        return Err(TrapCode::BadConversionToInteger);
    }
    if value > lo && value < hi {
        Ok(())
    } else {
        Err(TrapCode::IntegerOverflow)
    }
}

/// `i32.trunc_f32_s`.
pub(crate) fn i32_trunc_f32_s(value: f32) -> Result<i32, TrapCode> {
    trunc_check(f64::from(value), -2147483649.0, 2147483648.0)?;
    Ok(value as i32)
}
/// `i32.trunc_f32_u`.
pub(crate) fn i32_trunc_f32_u(value: f32) -> Result<u32, TrapCode> {
    trunc_check(f64::from(value), -1.0, 4294967296.0)?;
    Ok(value as u32)
}
/// `i32.trunc_f64_s`.
pub(crate) fn i32_trunc_f64_s(value: f64) -> Result<i32, TrapCode> {
    trunc_check(value, -2147483649.0, 2147483648.0)?;
    Ok(value as i32)
}
/// `i32.trunc_f64_u`.
pub(crate) fn i32_trunc_f64_u(value: f64) -> Result<u32, TrapCode> {
    trunc_check(value, -1.0, 4294967296.0)?;
    Ok(value as u32)
}
/// `i64.trunc_f32_s`.
pub(crate) fn i64_trunc_f32_s(value: f32) -> Result<i64, TrapCode> {
    // -2^63 is exactly representable and valid; the next f64 below it is far below -2^63 - 1.
    if value.is_nan() {
        return Err(TrapCode::BadConversionToInteger);
    }
    let v = f64::from(value);
    if (-9223372036854775808.0..9223372036854775808.0).contains(&v) {
        Ok(value as i64)
    } else {
        Err(TrapCode::IntegerOverflow)
    }
}
/// `i64.trunc_f32_u`.
pub(crate) fn i64_trunc_f32_u(value: f32) -> Result<u64, TrapCode> {
    trunc_check(f64::from(value), -1.0, 18446744073709551616.0)?;
    Ok(value as u64)
}
/// `i64.trunc_f64_s`.
pub(crate) fn i64_trunc_f64_s(value: f64) -> Result<i64, TrapCode> {
    if value.is_nan() {
        return Err(TrapCode::BadConversionToInteger);
    }
    if (-9223372036854775808.0..9223372036854775808.0).contains(&value) {
        Ok(value as i64)
    } else {
        Err(TrapCode::IntegerOverflow)
    }
}
/// `i64.trunc_f64_u`.
pub(crate) fn i64_trunc_f64_u(value: f64) -> Result<u64, TrapCode> {
    trunc_check(value, -1.0, 18446744073709551616.0)?;
    Ok(value as u64)
}
/// `i32.trunc_sat_f32_s` (Rust's `as` saturates and maps NaN to 0, as the spec does).
pub(crate) fn i32_trunc_sat_f32_s(value: f32) -> i32 {
    value as i32
}
/// `i32.trunc_sat_f32_u`.
pub(crate) fn i32_trunc_sat_f32_u(value: f32) -> u32 {
    value as u32
}
/// `i32.trunc_sat_f64_s`.
pub(crate) fn i32_trunc_sat_f64_s(value: f64) -> i32 {
    value as i32
}
/// `i32.trunc_sat_f64_u`.
pub(crate) fn i32_trunc_sat_f64_u(value: f64) -> u32 {
    value as u32
}
/// `i64.trunc_sat_f32_s`.
pub(crate) fn i64_trunc_sat_f32_s(value: f32) -> i64 {
    value as i64
}
/// `i64.trunc_sat_f32_u`.
pub(crate) fn i64_trunc_sat_f32_u(value: f32) -> u64 {
    value as u64
}
/// `i64.trunc_sat_f64_s`.
pub(crate) fn i64_trunc_sat_f64_s(value: f64) -> i64 {
    value as i64
}
/// `i64.trunc_sat_f64_u`.
pub(crate) fn i64_trunc_sat_f64_u(value: f64) -> u64 {
    value as u64
}
/// `f32.convert_i32_s` (Rust's `as` rounds to nearest, ties to even).
pub(crate) fn f32_convert_i32_s(value: i32) -> f32 {
    value as f32
}
/// `f32.convert_i32_u`.
pub(crate) fn f32_convert_i32_u(value: u32) -> f32 {
    value as f32
}
/// `f32.convert_i64_s`.
pub(crate) fn f32_convert_i64_s(value: i64) -> f32 {
    value as f32
}
/// `f32.convert_i64_u`.
pub(crate) fn f32_convert_i64_u(value: u64) -> f32 {
    value as f32
}
/// `f64.convert_i32_s`.
pub(crate) fn f64_convert_i32_s(value: i32) -> f64 {
    f64::from(value)
}
/// `f64.convert_i32_u`.
pub(crate) fn f64_convert_i32_u(value: u32) -> f64 {
    f64::from(value)
}
/// `f64.convert_i64_s`.
pub(crate) fn f64_convert_i64_s(value: i64) -> f64 {
    value as f64
}
/// `f64.convert_i64_u`.
pub(crate) fn f64_convert_i64_u(value: u64) -> f64 {
    value as f64
}
/// `f32.demote_f64`.
pub(crate) fn f32_demote_f64(value: f64) -> f32 {
    value as f32
}
/// `f64.promote_f32`.
pub(crate) fn f64_promote_f32(value: f32) -> f64 {
    f64::from(value)
}

// ---------------------------------------------------------------------------------------------
// Loads and stores: bytes in, bytes out.
// ---------------------------------------------------------------------------------------------

/// `i32.load` (also `f32.load`: cells hold the bits).
pub(crate) fn i32_load(bytes: [u8; 4]) -> u32 {
    u32::from_le_bytes(bytes)
}
/// `i64.load` (also `f64.load`).
pub(crate) fn i64_load(bytes: [u8; 8]) -> u64 {
    u64::from_le_bytes(bytes)
}
/// `i32.load8_s`.
pub(crate) fn i32_load8_s(bytes: [u8; 1]) -> i32 {
    i32::from(i8::from_le_bytes(bytes))
}
/// `i32.load8_u`.
pub(crate) fn i32_load8_u(bytes: [u8; 1]) -> u32 {
    u32::from(bytes[0])
}
/// `i32.load16_s`.
pub(crate) fn i32_load16_s(bytes: [u8; 2]) -> i32 {
    i32::from(i16::from_le_bytes(bytes))
}
/// `i32.load16_u`.
pub(crate) fn i32_load16_u(bytes: [u8; 2]) -> u32 {
    u32::from(u16::from_le_bytes(bytes))
}
/// `i64.load8_s`.
pub(crate) fn i64_load8_s(bytes: [u8; 1]) -> i64 {
    i64::from(i8::from_le_bytes(bytes))
}
/// `i64.load8_u`.
pub(crate) fn i64_load8_u(bytes: [u8; 1]) -> u64 {
    u64::from(bytes[0])
}
/// `i64.load16_s`.
pub(crate) fn i64_load16_s(bytes: [u8; 2]) -> i64 {
    i64::from(i16::from_le_bytes(bytes))
}
/// `i64.load16_u`.
pub(crate) fn i64_load16_u(bytes: [u8; 2]) -> u64 {
    u64::from(u16::from_le_bytes(bytes))
}
/// `i64.load32_s`.
pub(crate) fn i64_load32_s(bytes: [u8; 4]) -> i64 {
    i64::from(i32::from_le_bytes(bytes))
}
/// `i64.load32_u`.
pub(crate) fn i64_load32_u(bytes: [u8; 4]) -> u64 {
    u64::from(u32::from_le_bytes(bytes))
}
/// `i32.store` (also `f32.store`).
pub(crate) fn i32_store(value: u32) -> [u8; 4] {
    value.to_le_bytes()
}
/// `i64.store` (also `f64.store`).
pub(crate) fn i64_store(value: u64) -> [u8; 8] {
    value.to_le_bytes()
}
/// `i32.store8`.
pub(crate) fn i32_store8(value: u32) -> [u8; 1] {
    [value as u8]
}
/// `i32.store16`.
pub(crate) fn i32_store16(value: u32) -> [u8; 2] {
    (value as u16).to_le_bytes()
}
/// `i64.store8`.
pub(crate) fn i64_store8(value: u64) -> [u8; 1] {
    [value as u8]
}
/// `i64.store16`.
pub(crate) fn i64_store16(value: u64) -> [u8; 2] {
    (value as u16).to_le_bytes()
}
/// `i64.store32`.
pub(crate) fn i64_store32(value: u64) -> [u8; 4] {
    (value as u32).to_le_bytes()
}

// ---------------------------------------------------------------------------------------------
// Raw cells
// ---------------------------------------------------------------------------------------------

/// Conversion between a raw `u64` cell (see [`crate::store`]) and a typed value.
pub(crate) trait Cell: Sized {
    /// The value held in `cell`.
    fn from_cell(cell: u64) -> Self;
    /// The cell holding `self`.
    fn into_cell(self) -> u64;
}

macro_rules! cell_int {
    ($($t:ty => $u:ty),*) => {$(
        impl Cell for $t {
            #[inline(always)]
            fn from_cell(cell: u64) -> Self {
                cell as $t
            }
            #[inline(always)]
            fn into_cell(self) -> u64 {
                u64::from(self as $u)
            }
        }
    )*};
}
cell_int!(i32 => u32, u32 => u32, i64 => u64, u64 => u64);

impl Cell for f32 {
    #[inline(always)]
    fn from_cell(cell: u64) -> Self {
        f32::from_bits(cell as u32)
    }
    #[inline(always)]
    fn into_cell(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl Cell for f64 {
    #[inline(always)]
    fn from_cell(cell: u64) -> Self {
        f64::from_bits(cell)
    }
    #[inline(always)]
    fn into_cell(self) -> u64 {
        self.to_bits()
    }
}

impl Cell for bool {
    #[inline(always)]
    fn from_cell(cell: u64) -> Self {
        cell != 0
    }
    #[inline(always)]
    fn into_cell(self) -> u64 {
        u64::from(self)
    }
}

/// Conversion of a 32-bit instruction immediate to the right operand type of an operator.
pub(crate) trait Imm: Sized {
    /// The operand for immediate `imm` (sign-extended for 64-bit operators).
    fn from_imm(imm: i32) -> Self;
}

impl Imm for i32 {
    #[inline(always)]
    fn from_imm(imm: i32) -> Self {
        imm
    }
}
impl Imm for u32 {
    #[inline(always)]
    fn from_imm(imm: i32) -> Self {
        imm as u32
    }
}
impl Imm for i64 {
    #[inline(always)]
    fn from_imm(imm: i32) -> Self {
        i64::from(imm)
    }
}
impl Imm for u64 {
    #[inline(always)]
    fn from_imm(imm: i32) -> Self {
        i64::from(imm) as u64
    }
}

/// `i64.add128`: the 128-bit sum of `(lhs_lo, lhs_hi)` and `(rhs_lo, rhs_hi)`, wrapping, as
/// `(lo, hi)` (wide-arithmetic proposal).
#[inline(always)]
pub(crate) fn i64_add128(lhs_lo: u64, lhs_hi: u64, rhs_lo: u64, rhs_hi: u64) -> (u64, u64) {
    split128(join128(lhs_lo, lhs_hi).wrapping_add(join128(rhs_lo, rhs_hi)))
}

/// `i64.sub128`: as [`i64_add128`], subtracting.
#[inline(always)]
pub(crate) fn i64_sub128(lhs_lo: u64, lhs_hi: u64, rhs_lo: u64, rhs_hi: u64) -> (u64, u64) {
    split128(join128(lhs_lo, lhs_hi).wrapping_sub(join128(rhs_lo, rhs_hi)))
}

/// `i64.mul_wide_s`: the signed 128-bit product of two `i64`s, as `(lo, hi)`.
#[inline(always)]
pub(crate) fn i64_mul_wide_s(lhs: u64, rhs: u64) -> (u64, u64) {
    split128((i128::from(lhs as i64) * i128::from(rhs as i64)) as u128)
}

/// `i64.mul_wide_u`: the unsigned 128-bit product of two `i64`s, as `(lo, hi)`.
#[inline(always)]
pub(crate) fn i64_mul_wide_u(lhs: u64, rhs: u64) -> (u64, u64) {
    split128(u128::from(lhs) * u128::from(rhs))
}

/// The 128-bit integer held in two cells, low half first.
#[inline(always)]
fn join128(lo: u64, hi: u64) -> u128 {
    super::simd::V128::from_cells(lo, hi).as_u128()
}

/// The two cells of a 128-bit integer, low half first.
#[inline(always)]
fn split128(value: u128) -> (u64, u64) {
    let [lo, hi] = super::simd::V128::from(value).to_cells();
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_traps() {
        assert_eq!(i32_div_s(7, 2), Ok(3));
        assert_eq!(i32_div_s(1, 0), Err(TrapCode::IntegerDivisionByZero));
        assert_eq!(i32_div_s(i32::MIN, -1), Err(TrapCode::IntegerOverflow));
        assert_eq!(i32_rem_s(i32::MIN, -1), Ok(0));
        assert_eq!(i64_div_u(1, 0), Err(TrapCode::IntegerDivisionByZero));
        assert_eq!(i64_rem_u(u64::MAX, 10), Ok(5));
        assert_eq!(i64_div_s(i64::MIN, -1), Err(TrapCode::IntegerOverflow));
    }

    #[test]
    fn shifts_and_rotates_wrap() {
        assert_eq!(i32_shl(1, 33), 2);
        assert_eq!(i32_shr_s(-8, 33), -4);
        assert_eq!(i32_shr_u(0x8000_0000, 31), 1);
        assert_eq!(i64_rotl(1, 65), 2);
        assert_eq!(i32_rotr(1, -1), 2);
        assert_eq!(i32_clz(0), 32);
        assert_eq!(i64_ctz(0), 64);
        assert_eq!(i64_popcnt(-1), 64);
    }

    #[test]
    fn float_min_max_zero_and_nan() {
        assert_eq!(f32_min(0.0, -0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f32_max(-0.0, 0.0).to_bits(), 0.0f32.to_bits());
        assert!(f64_min(f64::NAN, 1.0).is_nan());
        assert!(f64_max(1.0, f64::NAN).is_nan());
        assert_eq!(f64_min(1.0, 2.0), 1.0);
    }

    #[test]
    fn float_bit_ops_keep_nan_payloads() {
        let nan = f32::from_bits(0x7fa0_0001);
        assert_eq!(f32_neg(nan).to_bits(), 0xffa0_0001);
        assert_eq!(f32_abs(f32::from_bits(0xffa0_0001)).to_bits(), 0x7fa0_0001);
        assert_eq!(f32_copysign(nan, -1.0).to_bits(), 0xffa0_0001);
        assert_eq!(f64_nearest(2.5), 2.0);
        assert_eq!(f64_nearest(-0.5).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn trapping_conversions() {
        assert_eq!(i32_trunc_f32_s(-2147483648.0), Ok(i32::MIN));
        assert_eq!(
            i32_trunc_f32_s(2147483648.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_s(-2147483648.9), Ok(i32::MIN));
        assert_eq!(
            i32_trunc_f64_s(-2147483649.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(i32_trunc_f64_u(-0.9), Ok(0));
        assert_eq!(i32_trunc_f64_u(-1.0), Err(TrapCode::IntegerOverflow));
        assert_eq!(
            i64_trunc_f64_s(f64::NAN),
            Err(TrapCode::BadConversionToInteger)
        );
        assert_eq!(i64_trunc_f64_s(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(
            i64_trunc_f64_s(9223372036854775808.0),
            Err(TrapCode::IntegerOverflow)
        );
        assert_eq!(
            i64_trunc_f32_u(18446742974197923840.0),
            Ok(18446742974197923840)
        );
        assert_eq!(i32_trunc_sat_f32_s(f32::NAN), 0);
        assert_eq!(i64_trunc_sat_f64_u(-5.0), 0);
        assert_eq!(i32_trunc_sat_f64_s(1e10), i32::MAX);
    }

    #[test]
    fn conversions_round_to_nearest() {
        assert_eq!(f32_convert_i64_u(u64::MAX), 18446744073709551616.0);
        assert_eq!(f32_convert_i32_s(16777217), 16777216.0);
        assert_eq!(f64_convert_i64_s(9007199254740993), 9007199254740992.0);
    }

    #[test]
    fn cells_round_trip() {
        assert_eq!(i32::from_cell((-1i32).into_cell()), -1);
        assert_eq!((-1i32).into_cell(), 0xffff_ffff);
        assert_eq!(f32::from_cell(1.5f32.into_cell()), 1.5);
        assert_eq!(u64::from_imm(-1), u64::MAX);
        assert_eq!(i32_load8_s([0x80]), -128);
        assert_eq!(i64_store16(0x1234_5678), [0x78, 0x56]);
    }
}
