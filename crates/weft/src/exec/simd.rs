//! Lane semantics of the fixed-width SIMD proposal (`v128`) and of relaxed SIMD.
//!
//! Every operator is a plain function over [`V128`] values (and, for the memory operators,
//! over the bytes already read from or to be written to linear memory; bounds checks belong
//! to the caller). The functions follow the spec's `§4.3.2` numerics: integer lanes wrap
//! unless the name says `sat`, shift counts are taken modulo the lane width, float `min` /
//! `max` propagate NaN and order `-0 < +0`, `pmin` / `pmax` are the spec's `b < a ? b : a`
//! / `a < b ? b : a`, `nearest` rounds ties to even, and float→int conversions saturate
//! (NaN becomes 0).
//!
//! The code is portable Rust: each operator is a loop over a lane array that LLVM can turn
//! into the host's vector instructions; no per-target intrinsics.
//!
//! # Relaxed SIMD
//!
//! Each relaxed operator has one fixed, documented behaviour, the one the relaxed-SIMD
//! proposal lists as its deterministic profile, so a module computes the same results on
//! every host:
//!
//! | operator | behaves as |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (an index ≥ 16 selects 0) |
//! | `i32x4.relaxed_trunc_f32x4_{s,u}`, `i32x4.relaxed_trunc_f64x2_{s,u}_zero` | the saturating `trunc_sat` conversions |
//! | `f32x4/f64x2.relaxed_madd` / `relaxed_nmadd` | fused `a * b + c` / `-(a * b) + c`, one rounding |
//! | `iNxM.relaxed_laneselect` | `v128.bitselect` |
//! | `f32x4/f64x2.relaxed_min` / `relaxed_max` | `min` / `max` |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | both operands signed, pairs summed with wrapping |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | the above, then `extadd_pairwise_i16x8_s` and `i32x4.add` |

/// A `v128` value of the fixed-width SIMD proposal (spec §2.3.2): 128 bits whose lanes are
/// stored little-endian (lane 0 in the lowest bits), as in linear memory.
///
/// ```
/// let v = weft::V128::from(0x0102_u128);
/// assert_eq!(v.as_u128(), 0x0102);
/// assert_eq!(weft::Val::V128(v).ty(), weft::ValType::V128);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V128(pub(crate) u128);

impl V128 {
    /// The 128 bits as an integer (lane 0 in the lowest bits).
    pub fn as_u128(&self) -> u128 {
        self.0
    }

    /// The `v128` held in two 64-bit cells, low half first (as in a frame, a global or a
    /// call's cell buffer).
    #[inline(always)]
    pub(crate) fn from_cells(lo: u64, hi: u64) -> V128 {
        V128(u128::from(lo) | (u128::from(hi) << 64))
    }

    /// The two 64-bit cells of this `v128`, low half first.
    #[inline(always)]
    pub(crate) fn to_cells(self) -> [u64; 2] {
        [self.0 as u64, (self.0 >> 64) as u64]
    }
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

macro_rules! lanes {
    ($($to:ident $from:ident $t:ty, $n:literal;)*) => {
        impl V128 {
            $(
                #[doc = concat!("The ", stringify!($n), " lanes as `", stringify!($t), "`.")]
                #[inline(always)]
                #[allow(unnecessary_transmutes)]
                pub(crate) fn $to(self) -> [$t; $n] {
                    #[cfg(target_endian = "little")]
                    {
                        // SAFETY: `u128` and `[$t; $n]` are 16 bytes of plain data for which
                        // every bit pattern is a value; on a little-endian host lane `i` of
                        // the array is bits `i * w..(i + 1) * w` of the `u128`, the lane
                        // order of the spec.
                        unsafe { core::mem::transmute::<u128, [$t; $n]>(self.0) }
                    }
                    #[cfg(not(target_endian = "little"))]
                    {
                        const W: usize = 16 / $n;
                        let bytes = self.0.to_le_bytes();
                        let mut out = [<$t>::default(); $n];
                        for (lane, chunk) in out.iter_mut().zip(bytes.chunks_exact(W)) {
                            let mut b = [0u8; W];
                            b.copy_from_slice(chunk);
                            *lane = <$t>::from_le_bytes(b);
                        }
                        out
                    }
                }

                #[doc = concat!("A vector of ", stringify!($n), " `", stringify!($t), "` lanes.")]
                #[inline(always)]
                #[allow(unnecessary_transmutes)]
                pub(crate) fn $from(lanes: [$t; $n]) -> Self {
                    #[cfg(target_endian = "little")]
                    {
                        // SAFETY: as in the lane accessor above, the other way round.
                        V128(unsafe { core::mem::transmute::<[$t; $n], u128>(lanes) })
                    }
                    #[cfg(not(target_endian = "little"))]
                    {
                        const W: usize = 16 / $n;
                        let mut bytes = [0u8; 16];
                        for (chunk, lane) in bytes.chunks_exact_mut(W).zip(lanes) {
                            chunk.copy_from_slice(&lane.to_le_bytes());
                        }
                        V128(u128::from_le_bytes(bytes))
                    }
                }
            )*
        }
    };
}

lanes! {
    i8x16 from_i8x16 i8, 16;
    u8x16 from_u8x16 u8, 16;
    i16x8 from_i16x8 i16, 8;
    u16x8 from_u16x8 u16, 8;
    i32x4 from_i32x4 i32, 4;
    u32x4 from_u32x4 u32, 4;
    i64x2 from_i64x2 i64, 2;
    u64x2 from_u64x2 u64, 2;
    f32x4 from_f32x4 f32, 4;
    f64x2 from_f64x2 f64, 2;
}

/// Maps each lane of `a` through `f`.
#[inline(always)]
fn map<T: Copy, U: Copy + Default, const N: usize>(a: [T; N], f: impl Fn(T) -> U) -> [U; N] {
    let mut out = [U::default(); N];
    for (o, x) in out.iter_mut().zip(a) {
        *o = f(x);
    }
    out
}

/// Combines the lanes of `a` and `b` pairwise through `f`.
#[inline(always)]
fn zip<T: Copy, U: Copy + Default, const N: usize>(
    a: [T; N],
    b: [T; N],
    f: impl Fn(T, T) -> U,
) -> [U; N] {
    let mut out = [U::default(); N];
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
    out
}

/// A comparison's lane result: all ones for true, zero for false.
#[inline(always)]
fn mask<T: From<bool> + core::ops::Neg<Output = T>>(c: bool) -> T {
    -T::from(c)
}

/// Unary lane-wise operators: `name(a)`.
macro_rules! unops {
    ($($name:ident: $to:ident => $from:ident, |$x:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        #[inline(always)]
        pub(crate) fn $name(a: V128) -> V128 {
            V128::$from(map(a.$to(), |$x| $e))
        }
    )*};
}

/// Binary lane-wise operators: `name(a, b)`.
macro_rules! binops {
    ($($name:ident: $to:ident => $from:ident, |$x:ident, $y:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        #[inline(always)]
        pub(crate) fn $name(a: V128, b: V128) -> V128 {
            V128::$from(zip(a.$to(), b.$to(), |$x, $y| $e))
        }
    )*};
}

/// Lane-wise comparisons: all-ones lanes where `cmp` holds.
macro_rules! cmps {
    ($($name:ident: $to:ident => $from:ident $m:ty, |$x:ident, $y:ident| $e:expr;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        #[inline(always)]
        pub(crate) fn $name(a: V128, b: V128) -> V128 {
            V128::$from(zip(a.$to(), b.$to(), |$x, $y| mask::<$m>($e)))
        }
    )*};
}

/// Shifts: `name(a, count)`, the count taken modulo the lane width.
macro_rules! shifts {
    ($($name:ident: $to:ident => $from:ident, $op:ident;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        #[inline(always)]
        pub(crate) fn $name(a: V128, count: u32) -> V128 {
            V128::$from(map(a.$to(), |x| x.$op(count)))
        }
    )*};
}

// ---- v128 bitwise -------------------------------------------------------------------------

/// `v128.not`.
pub(crate) fn v128_not(a: V128) -> V128 {
    V128(!a.0)
}
/// `v128.and`.
pub(crate) fn v128_and(a: V128, b: V128) -> V128 {
    V128(a.0 & b.0)
}
/// `v128.andnot`: `a & !b`.
pub(crate) fn v128_andnot(a: V128, b: V128) -> V128 {
    V128(a.0 & !b.0)
}
/// `v128.or`.
pub(crate) fn v128_or(a: V128, b: V128) -> V128 {
    V128(a.0 | b.0)
}
/// `v128.xor`.
pub(crate) fn v128_xor(a: V128, b: V128) -> V128 {
    V128(a.0 ^ b.0)
}
/// `v128.bitselect`: bits of `a` where `c` is 1, of `b` where it is 0.
pub(crate) fn v128_bitselect(a: V128, b: V128, c: V128) -> V128 {
    V128((a.0 & c.0) | (b.0 & !c.0))
}
/// `v128.any_true`.
pub(crate) fn v128_any_true(a: V128) -> bool {
    a.0 != 0
}

// ---- splat / lanes / shuffle ---------------------------------------------------------------

/// `i8x16.splat`.
pub(crate) fn i8x16_splat(x: u32) -> V128 {
    V128::from_u8x16([x as u8; 16])
}
/// `i16x8.splat`.
pub(crate) fn i16x8_splat(x: u32) -> V128 {
    V128::from_u16x8([x as u16; 8])
}
/// `i32x4.splat`.
pub(crate) fn i32x4_splat(x: u32) -> V128 {
    V128::from_u32x4([x; 4])
}
/// `i64x2.splat`.
pub(crate) fn i64x2_splat(x: u64) -> V128 {
    V128::from_u64x2([x; 2])
}
/// `f32x4.splat` (from the bits of an `f32`).
pub(crate) fn f32x4_splat(bits: u32) -> V128 {
    i32x4_splat(bits)
}
/// `f64x2.splat` (from the bits of an `f64`).
pub(crate) fn f64x2_splat(bits: u64) -> V128 {
    i64x2_splat(bits)
}

/// `i8x16.extract_lane_s`; `lane` is taken modulo 16 (validation guarantees `< 16`).
pub(crate) fn i8x16_extract_lane_s(a: V128, lane: u8) -> u32 {
    a.i8x16()[usize::from(lane & 15)] as u32
}
/// `i8x16.extract_lane_u`.
pub(crate) fn i8x16_extract_lane_u(a: V128, lane: u8) -> u32 {
    u32::from(a.u8x16()[usize::from(lane & 15)])
}
/// `i16x8.extract_lane_s`.
pub(crate) fn i16x8_extract_lane_s(a: V128, lane: u8) -> u32 {
    a.i16x8()[usize::from(lane & 7)] as u32
}
/// `i16x8.extract_lane_u`.
pub(crate) fn i16x8_extract_lane_u(a: V128, lane: u8) -> u32 {
    u32::from(a.u16x8()[usize::from(lane & 7)])
}
/// `i32x4.extract_lane` and `f32x4.extract_lane` (the lane's bits).
pub(crate) fn i32x4_extract_lane(a: V128, lane: u8) -> u32 {
    a.u32x4()[usize::from(lane & 3)]
}
/// `i64x2.extract_lane` and `f64x2.extract_lane` (the lane's bits).
pub(crate) fn i64x2_extract_lane(a: V128, lane: u8) -> u64 {
    a.u64x2()[usize::from(lane & 1)]
}
/// `i8x16.replace_lane`.
pub(crate) fn i8x16_replace_lane(a: V128, lane: u8, x: u32) -> V128 {
    let mut l = a.u8x16();
    l[usize::from(lane & 15)] = x as u8;
    V128::from_u8x16(l)
}
/// `i16x8.replace_lane`.
pub(crate) fn i16x8_replace_lane(a: V128, lane: u8, x: u32) -> V128 {
    let mut l = a.u16x8();
    l[usize::from(lane & 7)] = x as u16;
    V128::from_u16x8(l)
}
/// `i32x4.replace_lane` and `f32x4.replace_lane` (from the lane's bits).
pub(crate) fn i32x4_replace_lane(a: V128, lane: u8, x: u32) -> V128 {
    let mut l = a.u32x4();
    l[usize::from(lane & 3)] = x;
    V128::from_u32x4(l)
}
/// `i64x2.replace_lane` and `f64x2.replace_lane` (from the lane's bits).
pub(crate) fn i64x2_replace_lane(a: V128, lane: u8, x: u64) -> V128 {
    let mut l = a.u64x2();
    l[usize::from(lane & 1)] = x;
    V128::from_u64x2(l)
}

/// `i8x16.shuffle`: lane `i` of the result is byte `lanes[i]` of `a ++ b` (indices `< 32`
/// by validation; taken modulo 32).
pub(crate) fn i8x16_shuffle(a: V128, b: V128, lanes: [u8; 16]) -> V128 {
    let mut both = [0u8; 32];
    both[..16].copy_from_slice(&a.u8x16());
    both[16..].copy_from_slice(&b.u8x16());
    V128::from_u8x16(map(lanes, |i| both[usize::from(i & 31)]))
}
/// `i8x16.swizzle`: lane `i` is `a[s[i]]`, or 0 when `s[i] >= 16`.
pub(crate) fn i8x16_swizzle(a: V128, s: V128) -> V128 {
    let a = a.u8x16();
    V128::from_u8x16(map(s.u8x16(), |i| {
        a.get(usize::from(i)).copied().unwrap_or(0)
    }))
}

// ---- integer arithmetic --------------------------------------------------------------------

unops! {
    i8x16_abs: i8x16 => from_i8x16, |x| x.wrapping_abs();
    i16x8_abs: i16x8 => from_i16x8, |x| x.wrapping_abs();
    i32x4_abs: i32x4 => from_i32x4, |x| x.wrapping_abs();
    i64x2_abs: i64x2 => from_i64x2, |x| x.wrapping_abs();
    i8x16_neg: i8x16 => from_i8x16, |x| x.wrapping_neg();
    i16x8_neg: i16x8 => from_i16x8, |x| x.wrapping_neg();
    i32x4_neg: i32x4 => from_i32x4, |x| x.wrapping_neg();
    i64x2_neg: i64x2 => from_i64x2, |x| x.wrapping_neg();
    i8x16_popcnt: u8x16 => from_u8x16, |x| x.count_ones() as u8;
}

binops! {
    i8x16_add: u8x16 => from_u8x16, |x, y| x.wrapping_add(y);
    i16x8_add: u16x8 => from_u16x8, |x, y| x.wrapping_add(y);
    i32x4_add: u32x4 => from_u32x4, |x, y| x.wrapping_add(y);
    i64x2_add: u64x2 => from_u64x2, |x, y| x.wrapping_add(y);
    i8x16_sub: u8x16 => from_u8x16, |x, y| x.wrapping_sub(y);
    i16x8_sub: u16x8 => from_u16x8, |x, y| x.wrapping_sub(y);
    i32x4_sub: u32x4 => from_u32x4, |x, y| x.wrapping_sub(y);
    i64x2_sub: u64x2 => from_u64x2, |x, y| x.wrapping_sub(y);
    i16x8_mul: u16x8 => from_u16x8, |x, y| x.wrapping_mul(y);
    i32x4_mul: u32x4 => from_u32x4, |x, y| x.wrapping_mul(y);
    i64x2_mul: u64x2 => from_u64x2, |x, y| x.wrapping_mul(y);
    i8x16_add_sat_s: i8x16 => from_i8x16, |x, y| x.saturating_add(y);
    i8x16_add_sat_u: u8x16 => from_u8x16, |x, y| x.saturating_add(y);
    i16x8_add_sat_s: i16x8 => from_i16x8, |x, y| x.saturating_add(y);
    i16x8_add_sat_u: u16x8 => from_u16x8, |x, y| x.saturating_add(y);
    i8x16_sub_sat_s: i8x16 => from_i8x16, |x, y| x.saturating_sub(y);
    i8x16_sub_sat_u: u8x16 => from_u8x16, |x, y| x.saturating_sub(y);
    i16x8_sub_sat_s: i16x8 => from_i16x8, |x, y| x.saturating_sub(y);
    i16x8_sub_sat_u: u16x8 => from_u16x8, |x, y| x.saturating_sub(y);
    i8x16_min_s: i8x16 => from_i8x16, |x, y| x.min(y);
    i8x16_min_u: u8x16 => from_u8x16, |x, y| x.min(y);
    i16x8_min_s: i16x8 => from_i16x8, |x, y| x.min(y);
    i16x8_min_u: u16x8 => from_u16x8, |x, y| x.min(y);
    i32x4_min_s: i32x4 => from_i32x4, |x, y| x.min(y);
    i32x4_min_u: u32x4 => from_u32x4, |x, y| x.min(y);
    i8x16_max_s: i8x16 => from_i8x16, |x, y| x.max(y);
    i8x16_max_u: u8x16 => from_u8x16, |x, y| x.max(y);
    i16x8_max_s: i16x8 => from_i16x8, |x, y| x.max(y);
    i16x8_max_u: u16x8 => from_u16x8, |x, y| x.max(y);
    i32x4_max_s: i32x4 => from_i32x4, |x, y| x.max(y);
    i32x4_max_u: u32x4 => from_u32x4, |x, y| x.max(y);
    i16x8_q15mulr_sat_s: i16x8 => from_i16x8, |x, y| q15mulr(x, y);
}

/// `i8x16.avgr_u`: `(x + y + 1) >> 1` per lane, computed on all lanes at once as
/// `(x | y) - ((x ^ y) >> 1)`, which is the same and never borrows across lanes.
pub(crate) fn i8x16_avgr_u(a: V128, b: V128) -> V128 {
    const LOW7: u128 = u128::from_le_bytes([0x7f; 16]);
    V128((a.0 | b.0) - (((a.0 ^ b.0) >> 1) & LOW7))
}

/// `i16x8.avgr_u`, as [`i8x16_avgr_u`] with 16-bit lanes.
pub(crate) fn i16x8_avgr_u(a: V128, b: V128) -> V128 {
    const LOW15: u128 = u128::from_le_bytes([
        0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff,
        0x7f,
    ]);
    V128((a.0 | b.0) - (((a.0 ^ b.0) >> 1) & LOW15))
}

/// `(x * y + 2^14) >> 15`, saturated to `i16` (only `-2^15 * -2^15` overflows).
fn q15mulr(x: i16, y: i16) -> i16 {
    let r = (i32::from(x) * i32::from(y) + 0x4000) >> 15;
    r.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

shifts! {
    i8x16_shl: u8x16 => from_u8x16, wrapping_shl;
    i16x8_shl: u16x8 => from_u16x8, wrapping_shl;
    i32x4_shl: u32x4 => from_u32x4, wrapping_shl;
    i64x2_shl: u64x2 => from_u64x2, wrapping_shl;
    i8x16_shr_s: i8x16 => from_i8x16, wrapping_shr;
    i16x8_shr_s: i16x8 => from_i16x8, wrapping_shr;
    i32x4_shr_s: i32x4 => from_i32x4, wrapping_shr;
    i64x2_shr_s: i64x2 => from_i64x2, wrapping_shr;
    i8x16_shr_u: u8x16 => from_u8x16, wrapping_shr;
    i16x8_shr_u: u16x8 => from_u16x8, wrapping_shr;
    i32x4_shr_u: u32x4 => from_u32x4, wrapping_shr;
    i64x2_shr_u: u64x2 => from_u64x2, wrapping_shr;
}

/// `iNxM.all_true` for each lane width.
macro_rules! all_true {
    ($($name:ident: $to:ident;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128) -> bool {
            a.$to().iter().all(|&x| x != 0)
        }
    )*};
}
all_true! {
    i8x16_all_true: u8x16;
    i16x8_all_true: u16x8;
    i32x4_all_true: u32x4;
    i64x2_all_true: u64x2;
}

/// `iNxM.bitmask`: bit `i` of the result is the sign bit of lane `i`.
macro_rules! bitmask {
    ($($name:ident: $to:ident;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128) -> u32 {
            a.$to().iter().enumerate().fold(0, |m, (i, &x)| m | (u32::from(x < 0) << i))
        }
    )*};
}
bitmask! {
    i8x16_bitmask: i8x16;
    i16x8_bitmask: i16x8;
    i32x4_bitmask: i32x4;
    i64x2_bitmask: i64x2;
}

// ---- comparisons ---------------------------------------------------------------------------

cmps! {
    i8x16_eq: u8x16 => from_i8x16 i8, |x, y| x == y;
    i8x16_ne: u8x16 => from_i8x16 i8, |x, y| x != y;
    i8x16_lt_s: i8x16 => from_i8x16 i8, |x, y| x < y;
    i8x16_lt_u: u8x16 => from_i8x16 i8, |x, y| x < y;
    i8x16_gt_s: i8x16 => from_i8x16 i8, |x, y| x > y;
    i8x16_gt_u: u8x16 => from_i8x16 i8, |x, y| x > y;
    i8x16_le_s: i8x16 => from_i8x16 i8, |x, y| x <= y;
    i8x16_le_u: u8x16 => from_i8x16 i8, |x, y| x <= y;
    i8x16_ge_s: i8x16 => from_i8x16 i8, |x, y| x >= y;
    i8x16_ge_u: u8x16 => from_i8x16 i8, |x, y| x >= y;
    i16x8_eq: u16x8 => from_i16x8 i16, |x, y| x == y;
    i16x8_ne: u16x8 => from_i16x8 i16, |x, y| x != y;
    i16x8_lt_s: i16x8 => from_i16x8 i16, |x, y| x < y;
    i16x8_lt_u: u16x8 => from_i16x8 i16, |x, y| x < y;
    i16x8_gt_s: i16x8 => from_i16x8 i16, |x, y| x > y;
    i16x8_gt_u: u16x8 => from_i16x8 i16, |x, y| x > y;
    i16x8_le_s: i16x8 => from_i16x8 i16, |x, y| x <= y;
    i16x8_le_u: u16x8 => from_i16x8 i16, |x, y| x <= y;
    i16x8_ge_s: i16x8 => from_i16x8 i16, |x, y| x >= y;
    i16x8_ge_u: u16x8 => from_i16x8 i16, |x, y| x >= y;
    i32x4_eq: u32x4 => from_i32x4 i32, |x, y| x == y;
    i32x4_ne: u32x4 => from_i32x4 i32, |x, y| x != y;
    i32x4_lt_s: i32x4 => from_i32x4 i32, |x, y| x < y;
    i32x4_lt_u: u32x4 => from_i32x4 i32, |x, y| x < y;
    i32x4_gt_s: i32x4 => from_i32x4 i32, |x, y| x > y;
    i32x4_gt_u: u32x4 => from_i32x4 i32, |x, y| x > y;
    i32x4_le_s: i32x4 => from_i32x4 i32, |x, y| x <= y;
    i32x4_le_u: u32x4 => from_i32x4 i32, |x, y| x <= y;
    i32x4_ge_s: i32x4 => from_i32x4 i32, |x, y| x >= y;
    i32x4_ge_u: u32x4 => from_i32x4 i32, |x, y| x >= y;
    i64x2_eq: i64x2 => from_i64x2 i64, |x, y| x == y;
    i64x2_ne: i64x2 => from_i64x2 i64, |x, y| x != y;
    i64x2_lt_s: i64x2 => from_i64x2 i64, |x, y| x < y;
    i64x2_gt_s: i64x2 => from_i64x2 i64, |x, y| x > y;
    i64x2_le_s: i64x2 => from_i64x2 i64, |x, y| x <= y;
    i64x2_ge_s: i64x2 => from_i64x2 i64, |x, y| x >= y;
    f32x4_eq: f32x4 => from_i32x4 i32, |x, y| x == y;
    f32x4_ne: f32x4 => from_i32x4 i32, |x, y| x != y;
    f32x4_lt: f32x4 => from_i32x4 i32, |x, y| x < y;
    f32x4_gt: f32x4 => from_i32x4 i32, |x, y| x > y;
    f32x4_le: f32x4 => from_i32x4 i32, |x, y| x <= y;
    f32x4_ge: f32x4 => from_i32x4 i32, |x, y| x >= y;
    f64x2_eq: f64x2 => from_i64x2 i64, |x, y| x == y;
    f64x2_ne: f64x2 => from_i64x2 i64, |x, y| x != y;
    f64x2_lt: f64x2 => from_i64x2 i64, |x, y| x < y;
    f64x2_gt: f64x2 => from_i64x2 i64, |x, y| x > y;
    f64x2_le: f64x2 => from_i64x2 i64, |x, y| x <= y;
    f64x2_ge: f64x2 => from_i64x2 i64, |x, y| x >= y;
}

// ---- floats --------------------------------------------------------------------------------

/// The spec's `fmin` / `fmax` for one float type: NaN in → NaN out, `-0 < +0`.
macro_rules! fminmax {
    ($min:ident $max:ident $t:ty) => {
        fn $min(x: $t, y: $t) -> $t {
            if x.is_nan() || y.is_nan() {
                <$t>::NAN
            } else if x == y {
                // Equal values differ only in the sign of zero: min takes the negative one.
                <$t>::from_bits(x.to_bits() | y.to_bits())
            } else {
                x.min(y)
            }
        }
        fn $max(x: $t, y: $t) -> $t {
            if x.is_nan() || y.is_nan() {
                <$t>::NAN
            } else if x == y {
                <$t>::from_bits(x.to_bits() & y.to_bits())
            } else {
                x.max(y)
            }
        }
    };
}
fminmax!(fmin32 fmax32 f32);
fminmax!(fmin64 fmax64 f64);

unops! {
    f32x4_abs: f32x4 => from_f32x4, |x| x.abs();
    f64x2_abs: f64x2 => from_f64x2, |x| x.abs();
    f32x4_neg: f32x4 => from_f32x4, |x| -x;
    f64x2_neg: f64x2 => from_f64x2, |x| -x;
    f32x4_sqrt: f32x4 => from_f32x4, |x| x.sqrt();
    f64x2_sqrt: f64x2 => from_f64x2, |x| x.sqrt();
    f32x4_ceil: f32x4 => from_f32x4, |x| super::wasm::f32_ceil(x);
    f64x2_ceil: f64x2 => from_f64x2, |x| super::wasm::f64_ceil(x);
    f32x4_floor: f32x4 => from_f32x4, |x| super::wasm::f32_floor(x);
    f64x2_floor: f64x2 => from_f64x2, |x| super::wasm::f64_floor(x);
    f32x4_trunc: f32x4 => from_f32x4, |x| super::wasm::f32_trunc(x);
    f64x2_trunc: f64x2 => from_f64x2, |x| super::wasm::f64_trunc(x);
    f32x4_nearest: f32x4 => from_f32x4, |x| super::wasm::f32_nearest(x);
    f64x2_nearest: f64x2 => from_f64x2, |x| super::wasm::f64_nearest(x);
}

binops! {
    f32x4_add: f32x4 => from_f32x4, |x, y| x + y;
    f64x2_add: f64x2 => from_f64x2, |x, y| x + y;
    f32x4_sub: f32x4 => from_f32x4, |x, y| x - y;
    f64x2_sub: f64x2 => from_f64x2, |x, y| x - y;
    f32x4_mul: f32x4 => from_f32x4, |x, y| x * y;
    f64x2_mul: f64x2 => from_f64x2, |x, y| x * y;
    f32x4_div: f32x4 => from_f32x4, |x, y| x / y;
    f64x2_div: f64x2 => from_f64x2, |x, y| x / y;
    f32x4_min: f32x4 => from_f32x4, |x, y| fmin32(x, y);
    f64x2_min: f64x2 => from_f64x2, |x, y| fmin64(x, y);
    f32x4_max: f32x4 => from_f32x4, |x, y| fmax32(x, y);
    f64x2_max: f64x2 => from_f64x2, |x, y| fmax64(x, y);
    f32x4_pmin: f32x4 => from_f32x4, |x, y| if y < x { y } else { x };
    f64x2_pmin: f64x2 => from_f64x2, |x, y| if y < x { y } else { x };
    f32x4_pmax: f32x4 => from_f32x4, |x, y| if x < y { y } else { x };
    f64x2_pmax: f64x2 => from_f64x2, |x, y| if x < y { y } else { x };
}

// ---- conversions ---------------------------------------------------------------------------

unops! {
    // Rust's float→int `as` is the spec's saturating truncation (NaN → 0).
    i32x4_trunc_sat_f32x4_s: f32x4 => from_i32x4, |x| x as i32;
    i32x4_trunc_sat_f32x4_u: f32x4 => from_u32x4, |x| x as u32;
    f32x4_convert_i32x4_s: i32x4 => from_f32x4, |x| x as f32;
    f32x4_convert_i32x4_u: u32x4 => from_f32x4, |x| x as f32;
}

/// The low two lanes of `a` through `f`, into two lanes of the result.
fn low2<T: Copy, U: Copy + Default>(a: [T; 4], f: impl Fn(T) -> U) -> [U; 2] {
    [f(a[0]), f(a[1])]
}
/// Two lanes through `f` into the low half, the high half zero.
fn zero2<T: Copy, U: Copy + Default>(a: [T; 2], f: impl Fn(T) -> U) -> [U; 4] {
    [f(a[0]), f(a[1]), U::default(), U::default()]
}

/// `i32x4.trunc_sat_f64x2_s_zero`.
pub(crate) fn i32x4_trunc_sat_f64x2_s_zero(a: V128) -> V128 {
    V128::from_i32x4(zero2(a.f64x2(), |x| x as i32))
}
/// `i32x4.trunc_sat_f64x2_u_zero`.
pub(crate) fn i32x4_trunc_sat_f64x2_u_zero(a: V128) -> V128 {
    V128::from_u32x4(zero2(a.f64x2(), |x| x as u32))
}
/// `f32x4.demote_f64x2_zero`.
pub(crate) fn f32x4_demote_f64x2_zero(a: V128) -> V128 {
    V128::from_f32x4(zero2(a.f64x2(), |x| x as f32))
}
/// `f64x2.promote_low_f32x4`.
pub(crate) fn f64x2_promote_low_f32x4(a: V128) -> V128 {
    V128::from_f64x2(low2(a.f32x4(), f64::from))
}
/// `f64x2.convert_low_i32x4_s`.
pub(crate) fn f64x2_convert_low_i32x4_s(a: V128) -> V128 {
    V128::from_f64x2(low2(a.i32x4(), f64::from))
}
/// `f64x2.convert_low_i32x4_u`.
pub(crate) fn f64x2_convert_low_i32x4_u(a: V128) -> V128 {
    V128::from_f64x2(low2(a.u32x4(), f64::from))
}

// ---- narrow / extend -----------------------------------------------------------------------

/// Narrowing with saturation: the lanes of `a` then those of `b`, each clamped.
macro_rules! narrow {
    ($($name:ident: $to:ident $n:literal => $from:ident $t:ty;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128, b: V128) -> V128 {
            let (a, b) = (a.$to(), b.$to());
            let mut out = [<$t>::default(); 2 * $n];
            for i in 0..$n {
                out[i] = a[i].clamp(<$t>::MIN.into(), <$t>::MAX.into()) as $t;
                out[i + $n] = b[i].clamp(<$t>::MIN.into(), <$t>::MAX.into()) as $t;
            }
            V128::$from(out)
        }
    )*};
}
narrow! {
    i8x16_narrow_i16x8_s: i16x8 8 => from_i8x16 i8;
    i8x16_narrow_i16x8_u: i16x8 8 => from_u8x16 u8;
    i16x8_narrow_i32x4_s: i32x4 4 => from_i16x8 i16;
    i16x8_narrow_i32x4_u: i32x4 4 => from_u16x8 u16;
}

/// Extension of the low or high half of the lanes to twice their width.
macro_rules! extend {
    ($($name:ident: $to:ident, $half:literal, $n:literal => $from:ident $t:ty;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128) -> V128 {
            let l = a.$to();
            let mut out = [<$t>::default(); $n];
            for (i, o) in out.iter_mut().enumerate() {
                *o = <$t>::from(l[$half * $n + i]);
            }
            V128::$from(out)
        }
    )*};
}
extend! {
    i16x8_extend_low_i8x16_s: i8x16, 0, 8 => from_i16x8 i16;
    i16x8_extend_high_i8x16_s: i8x16, 1, 8 => from_i16x8 i16;
    i16x8_extend_low_i8x16_u: u8x16, 0, 8 => from_u16x8 u16;
    i16x8_extend_high_i8x16_u: u8x16, 1, 8 => from_u16x8 u16;
    i32x4_extend_low_i16x8_s: i16x8, 0, 4 => from_i32x4 i32;
    i32x4_extend_high_i16x8_s: i16x8, 1, 4 => from_i32x4 i32;
    i32x4_extend_low_i16x8_u: u16x8, 0, 4 => from_u32x4 u32;
    i32x4_extend_high_i16x8_u: u16x8, 1, 4 => from_u32x4 u32;
    i64x2_extend_low_i32x4_s: i32x4, 0, 2 => from_i64x2 i64;
    i64x2_extend_high_i32x4_s: i32x4, 1, 2 => from_i64x2 i64;
    i64x2_extend_low_i32x4_u: u32x4, 0, 2 => from_u64x2 u64;
    i64x2_extend_high_i32x4_u: u32x4, 1, 2 => from_u64x2 u64;
}

/// Extended multiplication of the low or high half: products at twice the width (exact).
macro_rules! extmul {
    ($($name:ident: $to:ident, $half:literal, $n:literal => $from:ident $t:ty;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128, b: V128) -> V128 {
            let (x, y) = (a.$to(), b.$to());
            let mut out = [<$t>::default(); $n];
            for (i, o) in out.iter_mut().enumerate() {
                let j = $half * $n + i;
                *o = <$t>::from(x[j]).wrapping_mul(<$t>::from(y[j]));
            }
            V128::$from(out)
        }
    )*};
}
extmul! {
    i16x8_extmul_low_i8x16_s: i8x16, 0, 8 => from_i16x8 i16;
    i16x8_extmul_high_i8x16_s: i8x16, 1, 8 => from_i16x8 i16;
    i16x8_extmul_low_i8x16_u: u8x16, 0, 8 => from_u16x8 u16;
    i16x8_extmul_high_i8x16_u: u8x16, 1, 8 => from_u16x8 u16;
    i32x4_extmul_low_i16x8_s: i16x8, 0, 4 => from_i32x4 i32;
    i32x4_extmul_high_i16x8_s: i16x8, 1, 4 => from_i32x4 i32;
    i32x4_extmul_low_i16x8_u: u16x8, 0, 4 => from_u32x4 u32;
    i32x4_extmul_high_i16x8_u: u16x8, 1, 4 => from_u32x4 u32;
    i64x2_extmul_low_i32x4_s: i32x4, 0, 2 => from_i64x2 i64;
    i64x2_extmul_high_i32x4_s: i32x4, 1, 2 => from_i64x2 i64;
    i64x2_extmul_low_i32x4_u: u32x4, 0, 2 => from_u64x2 u64;
    i64x2_extmul_high_i32x4_u: u32x4, 1, 2 => from_u64x2 u64;
}

/// Pairwise addition of adjacent lanes at twice the width.
macro_rules! extadd {
    ($($name:ident: $to:ident, $n:literal => $from:ident $t:ty;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`.")]
        pub(crate) fn $name(a: V128) -> V128 {
            let l = a.$to();
            let mut out = [<$t>::default(); $n];
            for (i, o) in out.iter_mut().enumerate() {
                *o = <$t>::from(l[2 * i]) + <$t>::from(l[2 * i + 1]);
            }
            V128::$from(out)
        }
    )*};
}
extadd! {
    i16x8_extadd_pairwise_i8x16_s: i8x16, 8 => from_i16x8 i16;
    i16x8_extadd_pairwise_i8x16_u: u8x16, 8 => from_u16x8 u16;
    i32x4_extadd_pairwise_i16x8_s: i16x8, 4 => from_i32x4 i32;
    i32x4_extadd_pairwise_i16x8_u: u16x8, 4 => from_u32x4 u32;
}

/// `i32x4.dot_i16x8_s`: sums of adjacent signed products (only `4 * 2^30` wraps).
pub(crate) fn i32x4_dot_i16x8_s(a: V128, b: V128) -> V128 {
    let (x, y) = (a.i16x8(), b.i16x8());
    let mut out = [0i32; 4];
    for (i, o) in out.iter_mut().enumerate() {
        let p = |j: usize| i32::from(x[j]) * i32::from(y[j]);
        *o = p(2 * i).wrapping_add(p(2 * i + 1));
    }
    V128::from_i32x4(out)
}

// ---- memory --------------------------------------------------------------------------------

/// `v128.load` / `v128.store`: the 16 bytes as a vector and back.
pub(crate) fn from_bytes(bytes: [u8; 16]) -> V128 {
    V128(u128::from_le_bytes(bytes))
}
/// The 16 bytes `v128.store` writes.
pub(crate) fn to_bytes(a: V128) -> [u8; 16] {
    a.0.to_le_bytes()
}

/// Extending loads `v128.load8x8_{s,u}`, `load16x4_{s,u}`, `load32x2_{s,u}` from 8 bytes.
macro_rules! load_extend {
    ($($name:ident: $src:ty, $n:literal => $from:ident $t:ty;)*) => {$(
        #[doc = concat!("`v128.", stringify!($name), "`.")]
        pub(crate) fn $name(bytes: [u8; 8]) -> V128 {
            const W: usize = 8 / $n;
            let mut out = [<$t>::default(); $n];
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(W)) {
                let mut b = [0u8; W];
                b.copy_from_slice(c);
                *o = <$t>::from(<$src>::from_le_bytes(b));
            }
            V128::$from(out)
        }
    )*};
}
load_extend! {
    load8x8_s: i8, 8 => from_i16x8 i16;
    load8x8_u: u8, 8 => from_u16x8 u16;
    load16x4_s: i16, 4 => from_i32x4 i32;
    load16x4_u: u16, 4 => from_u32x4 u32;
    load32x2_s: i32, 2 => from_i64x2 i64;
    load32x2_u: u32, 2 => from_u64x2 u64;
}

/// `v128.load8_splat`.
pub(crate) fn load8_splat(bytes: [u8; 1]) -> V128 {
    i8x16_splat(u32::from(bytes[0]))
}
/// `v128.load16_splat`.
pub(crate) fn load16_splat(bytes: [u8; 2]) -> V128 {
    i16x8_splat(u32::from(u16::from_le_bytes(bytes)))
}
/// `v128.load32_splat`.
pub(crate) fn load32_splat(bytes: [u8; 4]) -> V128 {
    i32x4_splat(u32::from_le_bytes(bytes))
}
/// `v128.load64_splat`.
pub(crate) fn load64_splat(bytes: [u8; 8]) -> V128 {
    i64x2_splat(u64::from_le_bytes(bytes))
}
/// `v128.load32_zero`.
pub(crate) fn load32_zero(bytes: [u8; 4]) -> V128 {
    V128(u128::from(u32::from_le_bytes(bytes)))
}
/// `v128.load64_zero`.
pub(crate) fn load64_zero(bytes: [u8; 8]) -> V128 {
    V128(u128::from(u64::from_le_bytes(bytes)))
}

/// `v128.loadN_lane`: `bytes` (N/8 of them) replace lane `lane` of `a`.
pub(crate) fn load_lane<const W: usize>(a: V128, lane: u8, bytes: [u8; W]) -> V128 {
    let mut all = a.0.to_le_bytes();
    let start = (usize::from(lane) * W) % 16;
    if let Some(dst) = all.get_mut(start..start + W) {
        dst.copy_from_slice(&bytes);
    }
    V128(u128::from_le_bytes(all))
}
/// `v128.storeN_lane`: the N/8 bytes of lane `lane` of `a`.
pub(crate) fn store_lane<const W: usize>(a: V128, lane: u8) -> [u8; W] {
    let all = a.0.to_le_bytes();
    let start = (usize::from(lane) * W) % 16;
    let mut out = [0u8; W];
    if let Some(src) = all.get(start..start + W) {
        out.copy_from_slice(src);
    }
    out
}

// ---- relaxed SIMD (deterministic; see the module docs) ------------------------------------

/// `i8x16.relaxed_swizzle`: as `i8x16.swizzle`.
pub(crate) fn i8x16_relaxed_swizzle(a: V128, s: V128) -> V128 {
    i8x16_swizzle(a, s)
}
/// `i32x4.relaxed_trunc_f32x4_s`: as `trunc_sat`.
pub(crate) fn i32x4_relaxed_trunc_f32x4_s(a: V128) -> V128 {
    i32x4_trunc_sat_f32x4_s(a)
}
/// `i32x4.relaxed_trunc_f32x4_u`: as `trunc_sat`.
pub(crate) fn i32x4_relaxed_trunc_f32x4_u(a: V128) -> V128 {
    i32x4_trunc_sat_f32x4_u(a)
}
/// `i32x4.relaxed_trunc_f64x2_s_zero`: as `trunc_sat`.
pub(crate) fn i32x4_relaxed_trunc_f64x2_s_zero(a: V128) -> V128 {
    i32x4_trunc_sat_f64x2_s_zero(a)
}
/// `i32x4.relaxed_trunc_f64x2_u_zero`: as `trunc_sat`.
pub(crate) fn i32x4_relaxed_trunc_f64x2_u_zero(a: V128) -> V128 {
    i32x4_trunc_sat_f64x2_u_zero(a)
}

/// Fused multiply-add lane-wise, for `relaxed_madd` / `relaxed_nmadd`.
macro_rules! madd {
    ($($name:ident: $to:ident => $from:ident, $neg:literal;)*) => {$(
        #[doc = concat!("`", stringify!($name), "`: fused, one rounding.")]
        pub(crate) fn $name(a: V128, b: V128, c: V128) -> V128 {
            let (x, y, z) = (a.$to(), b.$to(), c.$to());
            let mut out = x;
            for (i, o) in out.iter_mut().enumerate() {
                let m = if $neg { -x[i] } else { x[i] };
                *o = m.mul_add(y[i], z[i]);
            }
            V128::$from(out)
        }
    )*};
}
madd! {
    f32x4_relaxed_madd: f32x4 => from_f32x4, false;
    f32x4_relaxed_nmadd: f32x4 => from_f32x4, true;
    f64x2_relaxed_madd: f64x2 => from_f64x2, false;
    f64x2_relaxed_nmadd: f64x2 => from_f64x2, true;
}

/// `iNxM.relaxed_laneselect` (every lane width): as `v128.bitselect`.
pub(crate) fn relaxed_laneselect(a: V128, b: V128, m: V128) -> V128 {
    v128_bitselect(a, b, m)
}
/// `f32x4.relaxed_min`: as `f32x4.min`.
pub(crate) fn f32x4_relaxed_min(a: V128, b: V128) -> V128 {
    f32x4_min(a, b)
}
/// `f32x4.relaxed_max`: as `f32x4.max`.
pub(crate) fn f32x4_relaxed_max(a: V128, b: V128) -> V128 {
    f32x4_max(a, b)
}
/// `f64x2.relaxed_min`: as `f64x2.min`.
pub(crate) fn f64x2_relaxed_min(a: V128, b: V128) -> V128 {
    f64x2_min(a, b)
}
/// `f64x2.relaxed_max`: as `f64x2.max`.
pub(crate) fn f64x2_relaxed_max(a: V128, b: V128) -> V128 {
    f64x2_max(a, b)
}
/// `i16x8.relaxed_q15mulr_s`: as `i16x8.q15mulr_sat_s`.
pub(crate) fn i16x8_relaxed_q15mulr_s(a: V128, b: V128) -> V128 {
    i16x8_q15mulr_sat_s(a, b)
}
/// `i16x8.relaxed_dot_i8x16_i7x16_s`: both operands signed, adjacent products summed with
/// wrapping at 16 bits.
pub(crate) fn i16x8_relaxed_dot_i8x16_i7x16_s(a: V128, b: V128) -> V128 {
    let (x, y) = (a.i8x16(), b.i8x16());
    let mut out = [0i16; 8];
    for (i, o) in out.iter_mut().enumerate() {
        let p = |j: usize| i16::from(x[j]).wrapping_mul(i16::from(y[j]));
        *o = p(2 * i).wrapping_add(p(2 * i + 1));
    }
    V128::from_i16x8(out)
}
/// `i32x4.relaxed_dot_i8x16_i7x16_add_s`: the 16-bit dot above, pairwise-extended to 32
/// bits, plus `c`.
pub(crate) fn i32x4_relaxed_dot_i8x16_i7x16_add_s(a: V128, b: V128, c: V128) -> V128 {
    let dot = i32x4_extadd_pairwise_i16x8_s(i16x8_relaxed_dot_i8x16_i7x16_s(a, b));
    i32x4_add(dot, c)
}

// ---- operator tables -----------------------------------------------------------------------

/// How the translator emits a SIMD operator: the shape of its instruction and the index of
/// its function in that shape's table (an instruction's `op` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// [`Instr::V128Unary`](crate::ir::Instr::V128Unary) with the index of its row in the
    /// `Unary` group of [`for_each_simd_op!`] (below [`UNARY`]).
    Unary(u16),
    /// `V128Binary`, below [`BINARY`].
    Binary(u16),
    /// `V128Ternary`, below [`TERNARY`].
    Ternary(u16),
    /// `V128Shift`, below [`SHIFT`].
    Shift(u16),
    /// `V128Splat`, below [`SPLAT`].
    Splat(u16),
    /// `V128Test`, below [`TEST`].
    Test(u16),
}

/// Defines `$table`, the number of operators of shape `$shape` (the bound that `ir::verify`
/// checks their instructions' `op` against), and, for each wasmparser operator named in the
/// group, the [`Shape`] `$shape` with its index (see [`shape_of`]).
macro_rules! op_tables {
    ($( $table:ident: $ty:ty => $shape:ident { $($op:ident => $f:expr,)* } )*) => {
        $(
            #[doc = concat!("The number of `", stringify!($shape), "` SIMD operators: an instruction's `op` is below it.")]
            pub(crate) const $table: u16 = [$(stringify!($op)),*].len() as u16;
        )*

        /// The shape and function index of SIMD operator `op`, if it is one of the table
        /// operators (not a constant, shuffle, lane access or memory access).
        pub(crate) fn shape_of(op: &wasmparser::Operator<'_>) -> Option<Shape> {
            use wasmparser::Operator as O;
            $(
                {
                    #[allow(non_camel_case_types, clippy::upper_case_acronyms, clippy::enum_variant_names)]
                    #[repr(u16)]
                    enum Index { $($op),* }
                    match op {
                        $( O::$op => return Some(Shape::$shape(Index::$op as u16)), )*
                        _ => {}
                    }
                }
            )*
            None
        }
    };
}

/// Invokes `$cb!` with every table operator of the SIMD proposals, grouped by instruction
/// shape: `COUNT: fn type => Shape { WasmparserOperator => lane function, }`. The
/// translator's mapping ([`shape_of`]), the bounds the verifier checks (`UNARY`, ...) and
/// the executor's per-operator handlers (`exec::dispatch::simd`) are all generated from this
/// one list.
macro_rules! for_each_simd_op {
    ($cb:ident) => {
        $cb! {
    UNARY: fn(V128) -> V128 => Unary {
        V128Not => v128_not,
        I8x16Abs => i8x16_abs, I16x8Abs => i16x8_abs, I32x4Abs => i32x4_abs, I64x2Abs => i64x2_abs,
        I8x16Neg => i8x16_neg, I16x8Neg => i16x8_neg, I32x4Neg => i32x4_neg, I64x2Neg => i64x2_neg,
        I8x16Popcnt => i8x16_popcnt,
        F32x4Abs => f32x4_abs, F64x2Abs => f64x2_abs, F32x4Neg => f32x4_neg, F64x2Neg => f64x2_neg,
        F32x4Sqrt => f32x4_sqrt, F64x2Sqrt => f64x2_sqrt, F32x4Ceil => f32x4_ceil,
        F64x2Ceil => f64x2_ceil, F32x4Floor => f32x4_floor, F64x2Floor => f64x2_floor,
        F32x4Trunc => f32x4_trunc, F64x2Trunc => f64x2_trunc, F32x4Nearest => f32x4_nearest,
        F64x2Nearest => f64x2_nearest,
        I32x4TruncSatF32x4S => i32x4_trunc_sat_f32x4_s, I32x4TruncSatF32x4U => i32x4_trunc_sat_f32x4_u,
        F32x4ConvertI32x4S => f32x4_convert_i32x4_s, F32x4ConvertI32x4U => f32x4_convert_i32x4_u,
        I32x4TruncSatF64x2SZero => i32x4_trunc_sat_f64x2_s_zero,
        I32x4TruncSatF64x2UZero => i32x4_trunc_sat_f64x2_u_zero,
        F32x4DemoteF64x2Zero => f32x4_demote_f64x2_zero, F64x2PromoteLowF32x4 => f64x2_promote_low_f32x4,
        F64x2ConvertLowI32x4S => f64x2_convert_low_i32x4_s, F64x2ConvertLowI32x4U => f64x2_convert_low_i32x4_u,
        I16x8ExtendLowI8x16S => i16x8_extend_low_i8x16_s, I16x8ExtendHighI8x16S => i16x8_extend_high_i8x16_s,
        I16x8ExtendLowI8x16U => i16x8_extend_low_i8x16_u, I16x8ExtendHighI8x16U => i16x8_extend_high_i8x16_u,
        I32x4ExtendLowI16x8S => i32x4_extend_low_i16x8_s, I32x4ExtendHighI16x8S => i32x4_extend_high_i16x8_s,
        I32x4ExtendLowI16x8U => i32x4_extend_low_i16x8_u, I32x4ExtendHighI16x8U => i32x4_extend_high_i16x8_u,
        I64x2ExtendLowI32x4S => i64x2_extend_low_i32x4_s, I64x2ExtendHighI32x4S => i64x2_extend_high_i32x4_s,
        I64x2ExtendLowI32x4U => i64x2_extend_low_i32x4_u, I64x2ExtendHighI32x4U => i64x2_extend_high_i32x4_u,
        I16x8ExtAddPairwiseI8x16S => i16x8_extadd_pairwise_i8x16_s,
        I16x8ExtAddPairwiseI8x16U => i16x8_extadd_pairwise_i8x16_u,
        I32x4ExtAddPairwiseI16x8S => i32x4_extadd_pairwise_i16x8_s,
        I32x4ExtAddPairwiseI16x8U => i32x4_extadd_pairwise_i16x8_u,
        I32x4RelaxedTruncF32x4S => i32x4_relaxed_trunc_f32x4_s,
        I32x4RelaxedTruncF32x4U => i32x4_relaxed_trunc_f32x4_u,
        I32x4RelaxedTruncF64x2SZero => i32x4_relaxed_trunc_f64x2_s_zero,
        I32x4RelaxedTruncF64x2UZero => i32x4_relaxed_trunc_f64x2_u_zero,
    }
    BINARY: fn(V128, V128) -> V128 => Binary {
        V128And => v128_and, V128AndNot => v128_andnot, V128Or => v128_or, V128Xor => v128_xor,
        I8x16Swizzle => i8x16_swizzle, I8x16RelaxedSwizzle => i8x16_relaxed_swizzle,
        I8x16Add => i8x16_add, I16x8Add => i16x8_add, I32x4Add => i32x4_add, I64x2Add => i64x2_add,
        I8x16Sub => i8x16_sub, I16x8Sub => i16x8_sub, I32x4Sub => i32x4_sub, I64x2Sub => i64x2_sub,
        I16x8Mul => i16x8_mul, I32x4Mul => i32x4_mul, I64x2Mul => i64x2_mul,
        I8x16AddSatS => i8x16_add_sat_s, I8x16AddSatU => i8x16_add_sat_u,
        I16x8AddSatS => i16x8_add_sat_s, I16x8AddSatU => i16x8_add_sat_u,
        I8x16SubSatS => i8x16_sub_sat_s, I8x16SubSatU => i8x16_sub_sat_u,
        I16x8SubSatS => i16x8_sub_sat_s, I16x8SubSatU => i16x8_sub_sat_u,
        I8x16MinS => i8x16_min_s, I8x16MinU => i8x16_min_u, I16x8MinS => i16x8_min_s,
        I16x8MinU => i16x8_min_u, I32x4MinS => i32x4_min_s, I32x4MinU => i32x4_min_u,
        I8x16MaxS => i8x16_max_s, I8x16MaxU => i8x16_max_u, I16x8MaxS => i16x8_max_s,
        I16x8MaxU => i16x8_max_u, I32x4MaxS => i32x4_max_s, I32x4MaxU => i32x4_max_u,
        I8x16AvgrU => i8x16_avgr_u, I16x8AvgrU => i16x8_avgr_u,
        I16x8Q15MulrSatS => i16x8_q15mulr_sat_s, I16x8RelaxedQ15mulrS => i16x8_relaxed_q15mulr_s,
        I8x16Eq => i8x16_eq, I8x16Ne => i8x16_ne, I8x16LtS => i8x16_lt_s, I8x16LtU => i8x16_lt_u,
        I8x16GtS => i8x16_gt_s, I8x16GtU => i8x16_gt_u, I8x16LeS => i8x16_le_s, I8x16LeU => i8x16_le_u,
        I8x16GeS => i8x16_ge_s, I8x16GeU => i8x16_ge_u,
        I16x8Eq => i16x8_eq, I16x8Ne => i16x8_ne, I16x8LtS => i16x8_lt_s, I16x8LtU => i16x8_lt_u,
        I16x8GtS => i16x8_gt_s, I16x8GtU => i16x8_gt_u, I16x8LeS => i16x8_le_s, I16x8LeU => i16x8_le_u,
        I16x8GeS => i16x8_ge_s, I16x8GeU => i16x8_ge_u,
        I32x4Eq => i32x4_eq, I32x4Ne => i32x4_ne, I32x4LtS => i32x4_lt_s, I32x4LtU => i32x4_lt_u,
        I32x4GtS => i32x4_gt_s, I32x4GtU => i32x4_gt_u, I32x4LeS => i32x4_le_s, I32x4LeU => i32x4_le_u,
        I32x4GeS => i32x4_ge_s, I32x4GeU => i32x4_ge_u,
        I64x2Eq => i64x2_eq, I64x2Ne => i64x2_ne, I64x2LtS => i64x2_lt_s, I64x2GtS => i64x2_gt_s,
        I64x2LeS => i64x2_le_s, I64x2GeS => i64x2_ge_s,
        F32x4Eq => f32x4_eq, F32x4Ne => f32x4_ne, F32x4Lt => f32x4_lt, F32x4Gt => f32x4_gt,
        F32x4Le => f32x4_le, F32x4Ge => f32x4_ge,
        F64x2Eq => f64x2_eq, F64x2Ne => f64x2_ne, F64x2Lt => f64x2_lt, F64x2Gt => f64x2_gt,
        F64x2Le => f64x2_le, F64x2Ge => f64x2_ge,
        F32x4Add => f32x4_add, F64x2Add => f64x2_add, F32x4Sub => f32x4_sub, F64x2Sub => f64x2_sub,
        F32x4Mul => f32x4_mul, F64x2Mul => f64x2_mul, F32x4Div => f32x4_div, F64x2Div => f64x2_div,
        F32x4Min => f32x4_min, F64x2Min => f64x2_min, F32x4Max => f32x4_max, F64x2Max => f64x2_max,
        F32x4PMin => f32x4_pmin, F64x2PMin => f64x2_pmin, F32x4PMax => f32x4_pmax, F64x2PMax => f64x2_pmax,
        F32x4RelaxedMin => f32x4_relaxed_min, F32x4RelaxedMax => f32x4_relaxed_max,
        F64x2RelaxedMin => f64x2_relaxed_min, F64x2RelaxedMax => f64x2_relaxed_max,
        I8x16NarrowI16x8S => i8x16_narrow_i16x8_s, I8x16NarrowI16x8U => i8x16_narrow_i16x8_u,
        I16x8NarrowI32x4S => i16x8_narrow_i32x4_s, I16x8NarrowI32x4U => i16x8_narrow_i32x4_u,
        I16x8ExtMulLowI8x16S => i16x8_extmul_low_i8x16_s, I16x8ExtMulHighI8x16S => i16x8_extmul_high_i8x16_s,
        I16x8ExtMulLowI8x16U => i16x8_extmul_low_i8x16_u, I16x8ExtMulHighI8x16U => i16x8_extmul_high_i8x16_u,
        I32x4ExtMulLowI16x8S => i32x4_extmul_low_i16x8_s, I32x4ExtMulHighI16x8S => i32x4_extmul_high_i16x8_s,
        I32x4ExtMulLowI16x8U => i32x4_extmul_low_i16x8_u, I32x4ExtMulHighI16x8U => i32x4_extmul_high_i16x8_u,
        I64x2ExtMulLowI32x4S => i64x2_extmul_low_i32x4_s, I64x2ExtMulHighI32x4S => i64x2_extmul_high_i32x4_s,
        I64x2ExtMulLowI32x4U => i64x2_extmul_low_i32x4_u, I64x2ExtMulHighI32x4U => i64x2_extmul_high_i32x4_u,
        I32x4DotI16x8S => i32x4_dot_i16x8_s,
        I16x8RelaxedDotI8x16I7x16S => i16x8_relaxed_dot_i8x16_i7x16_s,
    }
    TERNARY: fn(V128, V128, V128) -> V128 => Ternary {
        V128Bitselect => v128_bitselect,
        I8x16RelaxedLaneselect => relaxed_laneselect, I16x8RelaxedLaneselect => relaxed_laneselect,
        I32x4RelaxedLaneselect => relaxed_laneselect, I64x2RelaxedLaneselect => relaxed_laneselect,
        F32x4RelaxedMadd => f32x4_relaxed_madd, F32x4RelaxedNmadd => f32x4_relaxed_nmadd,
        F64x2RelaxedMadd => f64x2_relaxed_madd, F64x2RelaxedNmadd => f64x2_relaxed_nmadd,
        I32x4RelaxedDotI8x16I7x16AddS => i32x4_relaxed_dot_i8x16_i7x16_add_s,
    }
    SHIFT: fn(V128, u32) -> V128 => Shift {
        I8x16Shl => i8x16_shl, I16x8Shl => i16x8_shl, I32x4Shl => i32x4_shl, I64x2Shl => i64x2_shl,
        I8x16ShrS => i8x16_shr_s, I16x8ShrS => i16x8_shr_s, I32x4ShrS => i32x4_shr_s,
        I64x2ShrS => i64x2_shr_s,
        I8x16ShrU => i8x16_shr_u, I16x8ShrU => i16x8_shr_u, I32x4ShrU => i32x4_shr_u,
        I64x2ShrU => i64x2_shr_u,
    }
    SPLAT: fn(u64) -> V128 => Splat {
        I8x16Splat => |x| i8x16_splat(x as u32), I16x8Splat => |x| i16x8_splat(x as u32),
        I32x4Splat => |x| i32x4_splat(x as u32), I64x2Splat => i64x2_splat,
        F32x4Splat => |x| f32x4_splat(x as u32), F64x2Splat => f64x2_splat,
    }
    TEST: fn(V128) -> u32 => Test {
        V128AnyTrue => |a| u32::from(v128_any_true(a)),
        I8x16AllTrue => |a| u32::from(i8x16_all_true(a)),
        I16x8AllTrue => |a| u32::from(i16x8_all_true(a)),
        I32x4AllTrue => |a| u32::from(i32x4_all_true(a)),
        I64x2AllTrue => |a| u32::from(i64x2_all_true(a)),
        I8x16Bitmask => i8x16_bitmask, I16x8Bitmask => i16x8_bitmask,
        I32x4Bitmask => i32x4_bitmask, I64x2Bitmask => i64x2_bitmask,
    }
        }
    };
}
pub(crate) use for_each_simd_op;

for_each_simd_op!(op_tables);

/// The lane accesses, by the `op` of `V128Extract` / `V128Replace`: the lane's bits as a
/// cell, and the vector with a lane replaced by a cell's low bits.
pub(crate) static EXTRACT: &[fn(V128, u8) -> u64] = &[
    |a, l| u64::from(i8x16_extract_lane_s(a, l)),
    |a, l| u64::from(i8x16_extract_lane_u(a, l)),
    |a, l| u64::from(i16x8_extract_lane_s(a, l)),
    |a, l| u64::from(i16x8_extract_lane_u(a, l)),
    |a, l| u64::from(i32x4_extract_lane(a, l)),
    i64x2_extract_lane,
];

/// `op` of a `V128Extract`: `i8x16.extract_lane_s`.
pub(crate) const EXTRACT_I8_S: u16 = 0;
/// `op` of a `V128Extract`: `i8x16.extract_lane_u`.
pub(crate) const EXTRACT_I8_U: u16 = 1;
/// `op` of a `V128Extract`: `i16x8.extract_lane_s`.
pub(crate) const EXTRACT_I16_S: u16 = 2;
/// `op` of a `V128Extract`: `i16x8.extract_lane_u`.
pub(crate) const EXTRACT_I16_U: u16 = 3;
/// `op` of a `V128Extract`: `i32x4`/`f32x4.extract_lane`.
pub(crate) const EXTRACT_32: u16 = 4;
/// `op` of a `V128Extract`: `i64x2`/`f64x2.extract_lane`.
pub(crate) const EXTRACT_64: u16 = 5;

/// The lane replacements, by `op` (the lane width: 8, 16, 32, 64 bits).
pub(crate) static REPLACE: &[fn(V128, u8, u64) -> V128] = &[
    |a, l, x| i8x16_replace_lane(a, l, x as u32),
    |a, l, x| i16x8_replace_lane(a, l, x as u32),
    |a, l, x| i32x4_replace_lane(a, l, x as u32),
    i64x2_replace_lane,
];

/// The loads of `V128Load`, by its `op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub(crate) enum V128Load {
    /// `v128.load`.
    Full,
    /// `v128.load8x8_s`.
    Load8x8S,
    /// `v128.load8x8_u`.
    Load8x8U,
    /// `v128.load16x4_s`.
    Load16x4S,
    /// `v128.load16x4_u`.
    Load16x4U,
    /// `v128.load32x2_s`.
    Load32x2S,
    /// `v128.load32x2_u`.
    Load32x2U,
    /// `v128.load8_splat`.
    Splat8,
    /// `v128.load16_splat`.
    Splat16,
    /// `v128.load32_splat`.
    Splat32,
    /// `v128.load64_splat`.
    Splat64,
    /// `v128.load32_zero`.
    Zero32,
    /// `v128.load64_zero`.
    Zero64,
}

impl V128Load {
    /// All loads, in `op` order.
    pub(crate) const ALL: [V128Load; 13] = [
        V128Load::Full,
        V128Load::Load8x8S,
        V128Load::Load8x8U,
        V128Load::Load16x4S,
        V128Load::Load16x4U,
        V128Load::Load32x2S,
        V128Load::Load32x2U,
        V128Load::Splat8,
        V128Load::Splat16,
        V128Load::Splat32,
        V128Load::Splat64,
        V128Load::Zero32,
        V128Load::Zero64,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s(l: [f32; 4]) -> V128 {
        V128::from_f32x4(l)
    }

    #[test]
    fn lanes_round_trip_little_endian() {
        let v = V128(0x0f0e0d0c_0b0a0908_07060504_03020100);
        assert_eq!(v.u8x16()[0], 0);
        assert_eq!(v.u8x16()[15], 15);
        assert_eq!(v.u32x4()[1], 0x07060504);
        assert_eq!(V128::from_u16x8(v.u16x8()), v);
        assert_eq!(i8x16_extract_lane_s(i8x16_splat(0xff), 3), u32::MAX);
        assert_eq!(i8x16_extract_lane_u(i8x16_splat(0xff), 3), 0xff);
    }

    #[test]
    fn min_max_propagate_nan_and_order_zeros() {
        let a = f32s([f32::NAN, -0.0, 0.0, 1.0]);
        let b = f32s([1.0, 0.0, -0.0, f32::NAN]);
        let min = f32x4_min(a, b).f32x4();
        let max = f32x4_max(a, b).f32x4();
        assert!(min[0].is_nan() && min[3].is_nan() && max[0].is_nan() && max[3].is_nan());
        assert!(min[1].is_sign_negative() && min[2].is_sign_negative());
        assert!(max[1].is_sign_positive() && max[2].is_sign_positive());
        // pmin/pmax return the first operand unless the second compares strictly less/greater.
        let pmin = f32x4_pmin(a, b).f32x4();
        assert!(pmin[0].is_nan() && pmin[1].is_sign_negative() && pmin[3] == 1.0);
        let pmax = f32x4_pmax(a, b).f32x4();
        assert!(pmax[0].is_nan() && pmax[2].is_sign_positive() && pmax[3] == 1.0);
    }

    #[test]
    fn nearest_rounds_ties_to_even() {
        let r = f32x4_nearest(f32s([0.5, 1.5, 2.5, -0.5])).f32x4();
        assert_eq!(r[..3], [0.0, 2.0, 2.0]);
        assert!(r[3] == 0.0 && r[3].is_sign_negative());
    }

    #[test]
    fn conversions_saturate() {
        let t = i32x4_trunc_sat_f32x4_s(f32s([f32::NAN, 3e9, -3e9, -1.7])).i32x4();
        assert_eq!(t, [0, i32::MAX, i32::MIN, -1]);
        let u = i32x4_trunc_sat_f32x4_u(f32s([-1.0, 5e9, 4.9, f32::NAN])).u32x4();
        assert_eq!(u, [0, u32::MAX, 4, 0]);
        let z = i32x4_trunc_sat_f64x2_u_zero(V128::from_f64x2([1e20, 2.5])).u32x4();
        assert_eq!(z, [u32::MAX, 2, 0, 0]);
        let c = f32x4_convert_i32x4_u(i32x4_splat(u32::MAX)).f32x4();
        assert_eq!(c[0], 4294967296.0);
    }

    #[test]
    fn narrow_saturates_signed_input() {
        let a = V128::from_i16x8([-300, -1, 0, 127, 128, 255, 256, i16::MAX]);
        assert_eq!(
            i8x16_narrow_i16x8_u(a, a).u8x16()[..8],
            [0, 0, 0, 127, 128, 255, 255, 255]
        );
        assert_eq!(
            i8x16_narrow_i16x8_s(a, a).i8x16()[..8],
            [-128, -1, 0, 127, 127, 127, 127, 127]
        );
    }

    #[test]
    fn q15mulr_saturates_only_min_times_min() {
        let a = V128::from_i16x8([i16::MIN, i16::MIN, 0x4000, -1, 0, 0, 0, 0]);
        let b = V128::from_i16x8([i16::MIN, i16::MAX, 0x4000, 1, 0, 0, 0, 0]);
        assert_eq!(
            i16x8_q15mulr_sat_s(a, b).i16x8()[..4],
            [i16::MAX, -i16::MAX, 0x2000, 0]
        );
    }

    #[test]
    fn shifts_take_count_modulo_width() {
        assert_eq!(i8x16_shl(i8x16_splat(1), 9).u8x16()[0], 2);
        assert_eq!(
            i32x4_shr_s(i32x4_splat(0x8000_0000), 33).u32x4()[0],
            0xc000_0000
        );
        assert_eq!(i64x2_shr_u(i64x2_splat(u64::MAX), 64).u64x2()[0], u64::MAX);
    }

    #[test]
    fn shuffle_swizzle_and_masks() {
        let a = V128::from_u8x16(core::array::from_fn(|i| i as u8));
        let b = V128::from_u8x16(core::array::from_fn(|i| 16 + i as u8));
        let s = i8x16_shuffle(a, b, core::array::from_fn(|i| 31 - i as u8));
        assert_eq!(s.u8x16()[0], 31);
        assert_eq!(s.u8x16()[15], 16);
        let idx = V128::from_u8x16([15, 16, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128]);
        let w = i8x16_swizzle(a, idx).u8x16();
        assert_eq!(w[..4], [15, 0, 0, 0]);
        assert_eq!(w[15], 0);
        assert_eq!(i8x16_bitmask(i8x16_lt_s(a, i8x16_splat(3))), 0b111);
        assert_eq!(
            i32x4_bitmask(f32x4_ne(f32s([f32::NAN; 4]), f32s([f32::NAN; 4]))),
            0xf
        );
        assert!(!i8x16_all_true(a) && v128_any_true(a));
        assert!(i16x8_all_true(i16x8_splat(0x100)));
    }

    #[test]
    fn extend_extmul_dot_and_avgr() {
        let a = V128::from_i16x8([-1, 2, -3, 4, i16::MIN, i16::MIN, 7, 8]);
        assert_eq!(i32x4_extend_high_i16x8_u(a).u32x4(), [0x8000, 0x8000, 7, 8]);
        assert_eq!(i32x4_extmul_low_i16x8_s(a, a).i32x4(), [1, 4, 9, 16]);
        assert_eq!(i32x4_dot_i16x8_s(a, a).i32x4(), [5, 25, i32::MIN, 113]);
        assert_eq!(
            i16x8_extadd_pairwise_i8x16_u(i8x16_splat(0xff)).u16x8()[0],
            510
        );
        assert_eq!(
            i8x16_avgr_u(i8x16_splat(255), i8x16_splat(0)).u8x16()[0],
            128
        );
    }

    #[test]
    fn memory_forms() {
        let bytes = [0x80, 1, 2, 3, 4, 5, 6, 7];
        assert_eq!(load8x8_s(bytes).i16x8()[0], -128);
        assert_eq!(load8x8_u(bytes).i16x8()[0], 128);
        assert_eq!(load32_zero([1, 0, 0, 0]), V128(1));
        assert_eq!(load16_splat([1, 2]).u16x8(), [0x0201; 8]);
        let v = load_lane(V128(0), 3, [9u8, 8]);
        assert_eq!(v.u16x8()[3], 0x0809);
        assert_eq!(store_lane::<2>(v, 3), [9, 8]);
        assert_eq!(from_bytes(to_bytes(v)), v);
    }

    #[test]
    fn relaxed_choices_are_the_deterministic_profile() {
        // madd is fused: 1 + 2^-24 squared loses its last term when rounded twice.
        let e = 1.0 + f32::EPSILON;
        let m = f32x4_relaxed_madd(f32s([e; 4]), f32s([e; 4]), f32s([-1.0; 4])).f32x4();
        assert_eq!(m[0], 2.0 * f32::EPSILON + f32::EPSILON * f32::EPSILON);
        let n = f32x4_relaxed_nmadd(f32s([2.0; 4]), f32s([3.0; 4]), f32s([1.0; 4])).f32x4();
        assert_eq!(n[0], -5.0);
        let d = i16x8_relaxed_dot_i8x16_i7x16_s(i8x16_splat(0x80), i8x16_splat(0x80));
        assert_eq!(d.i16x8()[0], i16::MIN); // 2 * 2^14 wraps
        let d = i32x4_relaxed_dot_i8x16_i7x16_add_s(i8x16_splat(2), i8x16_splat(3), i32x4_splat(1));
        assert_eq!(d.i32x4(), [25; 4]);
        assert_eq!(
            i8x16_relaxed_swizzle(i8x16_splat(7), i8x16_splat(200)),
            V128(0)
        );
    }
}
