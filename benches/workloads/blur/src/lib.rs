//! An image-style kernel over 8-bit grayscale pixels: a 3-tap blur across and then down the
//! image from rounding averages, a blend of the blurred and the original image, and a
//! saturating brighten, repeated a few times.
//!
//! Built with `+simd128`, every step runs 16 pixels at a time in `v128` lanes
//! (`u8x16.avgr`, `u16x8` widening multiplies, `u8x16.narrow_i16x8_u`, `u8x16.add_sat`).
//! Any other build runs the scalar version, which computes exactly the same bytes, so a
//! native build gives the checksum the wasm build must return.
use bench_common::{Fnv, Rng};

/// Image width in pixels (a multiple of 16).
const W: usize = 512;
/// Image height in pixels.
const H: usize = 384;
/// Bytes of padding on each side of a row, so that the `x - 1` and `x + 1` loads of the
/// first and last 16-pixel chunks stay in the row buffer.
const PAD: usize = 16;
/// Row stride in bytes.
const STRIDE: usize = W + 2 * PAD;
/// Passes over the image.
const PASSES: usize = 12;
/// Weight of the blurred image in the blend, out of 256.
const ALPHA: u16 = 176;
/// What the brighten step adds, saturating.
const BRIGHTEN: u8 = 3;

/// `(a + b + 1) / 2`, as `u8x16.avgr_u` computes it.
#[inline(always)]
fn avgr(a: u8, b: u8) -> u8 {
    ((u16::from(a) + u16::from(b) + 1) >> 1) as u8
}

/// One pass of the kernel over `img` (rows of `STRIDE` bytes), with `tmp` as scratch.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn pass(img: &mut [u8], tmp: &mut [u8]) {
    // Across: the average of the two neighbours, averaged with the pixel.
    for y in 0..H {
        let row = y * STRIDE;
        for x in PAD..PAD + W {
            let i = row + x;
            tmp[i] = avgr(avgr(img[i - 1], img[i + 1]), img[i]);
        }
    }
    // Down (the first and last rows keep the across result), blended with the original
    // and brightened.
    for y in 0..H {
        let up = y.saturating_sub(1) * STRIDE;
        let row = y * STRIDE;
        let down = (y + 1).min(H - 1) * STRIDE;
        for x in PAD..PAD + W {
            let blurred = avgr(avgr(tmp[up + x], tmp[down + x]), tmp[row + x]);
            let mixed = (u16::from(blurred) * ALPHA + u16::from(img[row + x]) * (256 - ALPHA))
                >> 8;
            img[row + x] = (mixed as u8).saturating_add(BRIGHTEN);
        }
    }
}

/// One pass of the kernel over `img` (rows of `STRIDE` bytes), with `tmp` as scratch.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn pass(img: &mut [u8], tmp: &mut [u8]) {
    use core::arch::wasm32::*;

    assert!(img.len() == STRIDE * H && tmp.len() == STRIDE * H);
    let load = |buf: &[u8], i: usize| -> v128 {
        let chunk: &[u8; 16] = buf[i..i + 16].try_into().unwrap();
        // SAFETY: `chunk` is 16 readable bytes; `v128_load` has no alignment requirement.
        unsafe { v128_load(chunk.as_ptr().cast()) }
    };
    let store = |buf: &mut [u8], i: usize, v: v128| {
        let chunk: &mut [u8; 16] = (&mut buf[i..i + 16]).try_into().unwrap();
        // SAFETY: `chunk` is 16 writable bytes; `v128_store` has no alignment requirement.
        unsafe { v128_store(chunk.as_mut_ptr().cast(), v) }
    };
    for y in 0..H {
        let row = y * STRIDE;
        for x in (PAD..PAD + W).step_by(16) {
            let i = row + x;
            let v = u8x16_avgr(u8x16_avgr(load(img, i - 1), load(img, i + 1)), load(img, i));
            store(tmp, i, v);
        }
    }
    let alpha = u16x8_splat(ALPHA);
    let beta = u16x8_splat(256 - ALPHA);
    let brighten = u8x16_splat(BRIGHTEN);
    for y in 0..H {
        let up = y.saturating_sub(1) * STRIDE;
        let row = y * STRIDE;
        let down = (y + 1).min(H - 1) * STRIDE;
        for x in (PAD..PAD + W).step_by(16) {
            let blurred = u8x16_avgr(
                u8x16_avgr(load(tmp, up + x), load(tmp, down + x)),
                load(tmp, row + x),
            );
            let orig = load(img, row + x);
            let lo = u16x8_shr(
                i16x8_add(
                    i16x8_mul(u16x8_extend_low_u8x16(blurred), alpha),
                    i16x8_mul(u16x8_extend_low_u8x16(orig), beta),
                ),
                8,
            );
            let hi = u16x8_shr(
                i16x8_add(
                    i16x8_mul(u16x8_extend_high_u8x16(blurred), alpha),
                    i16x8_mul(u16x8_extend_high_u8x16(orig), beta),
                ),
                8,
            );
            store(img, row + x, u8x16_add_sat(u8x16_narrow_i16x8(lo, hi), brighten));
        }
    }
}

/// Runs the workload and returns its checksum.
#[cfg_attr(target_arch = "wasm32", unsafe(no_mangle))]
pub extern "C" fn run() -> i64 {
    let mut rng = Rng::new(0x5eed_0009);
    let mut img = vec![0u8; STRIDE * H];
    for y in 0..H {
        for x in PAD..PAD + W {
            // A gradient with noise, so that blurring changes it.
            let noise = rng.below(64) as usize;
            img[y * STRIDE + x] = ((x * 3 + y * 2 + noise) & 0xff) as u8;
        }
    }
    let mut tmp: Vec<u8> = vec![0u8; STRIDE * H];
    let mut hash = Fnv::default();
    for _ in 0..PASSES {
        pass(&mut img, &mut tmp);
        hash.write(&img[STRIDE * (H / 2)..STRIDE * (H / 2 + 1)]);
    }
    hash.write(&img);
    hash.finish() as i64
}
