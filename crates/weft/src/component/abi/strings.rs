//! Strings in the three encodings, and the transcoding copy between them ([CanonicalABI.md,
//! "Loading" and "Storing" of
//! strings](https://github.com/WebAssembly/component-model/blob/main/design/mvp/CanonicalABI.md#storing)).
//!
//! A string in memory is a pointer and a length in code units: bytes for utf8 and latin1,
//! 16-bit little-endian units for utf16; in `latin1+utf16` the length's bit 31
//! ([`UTF16_TAG`]) says which of the two the bytes are.
//!
//! Storing copies the string once. When the destination's size cannot be known without
//! scanning the source, the spec's algorithms allocate optimistically (the source's size, or the
//! worst case), and on finding they guessed wrong grow to the worst case with `realloc`, finish
//! the copy, then shrink to the exact size with a last `realloc`. The functions below are those
//! algorithms, one for one, for all nine pairs of source and destination encodings.

use super::{
    LiftContext, Lifter, LowerContext, MAX_STRING_BYTE_LENGTH, StringEncoding, UTF16_TAG,
    check_range,
};
use crate::error::ErrorCtor as _;
use crate::error::{Error, Result};
use crate::trap::{Trap, TrapCode};

/// A string to store, with the encoding and length it had where it came from: the spec's
/// `String` triple `(str, encoding, tagged_code_units)`.
///
/// The source's encoding and length decide the allocation sizes (the worst case of a
/// transcoding is computed from the source's code units), so a string lifted from one
/// component and lowered into another is stored exactly as the spec stores it.
#[derive(Debug, Clone, Copy)]
pub struct StringSource<'a> {
    text: &'a str,
    encoding: StringEncoding,
    tagged_code_units: u32,
}

impl<'a> StringSource<'a> {
    /// A host string: utf8, its length in bytes.
    ///
    /// # Errors
    ///
    /// Traps with [`TrapCode::LengthOverflow`] if the string is longer than
    /// [`MAX_STRING_BYTE_LENGTH`] bytes.
    pub fn host(text: &'a str) -> Result<Self> {
        match u32::try_from(text.len()) {
            Ok(len) if len <= MAX_STRING_BYTE_LENGTH => Ok(StringSource {
                text,
                encoding: StringEncoding::Utf8,
                tagged_code_units: len,
            }),
            _ => Err(string_too_long(text.len() as u64)),
        }
    }

    /// A string as [`load_string_from_range`] lifted it from a component whose encoding is
    /// `encoding`, with the length in code units (tagged, for `latin1+utf16`) that it had
    /// there.
    ///
    /// A length that does not match the text makes storing trap with an internal error
    /// rather than write the wrong bytes.
    pub fn lifted(text: &'a str, encoding: StringEncoding, tagged_code_units: u32) -> Self {
        StringSource {
            text,
            encoding,
            tagged_code_units,
        }
    }
}

#[cold]
fn string_too_long(len: u64) -> Error {
    Trap::with_detail(
        TrapCode::LengthOverflow,
        format!("string of {len} bytes is longer than the maximum of {MAX_STRING_BYTE_LENGTH}"),
    )
}

/// The encodings a string's bytes can be in, after `latin1+utf16`'s tag is read (the spec's
/// `src_simple_encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Simple {
    Utf8,
    Utf16,
    Latin1,
}

/// The spec's `load_string_from_range(cx, ptr, tagged_code_units)`: the string at `ptr` of
/// `tagged_code_units` code units in the context's encoding.
///
/// # Errors
///
/// Traps with [`TrapCode::LengthOverflow`] (more than [`MAX_STRING_BYTE_LENGTH`] bytes),
/// [`TrapCode::UnalignedPointer`], [`TrapCode::StringOutOfBounds`] or
/// [`TrapCode::InvalidString`] (invalid utf-8, an unpaired utf-16 surrogate).
pub fn load_string_from_range<C: LiftContext + ?Sized>(
    cx: &mut C,
    ptr: u32,
    tagged_code_units: u32,
) -> Result<String> {
    load_string_in(&mut Lifter::new(cx), ptr, tagged_code_units)
}

/// [`load_string_from_range`] within a lift's budget.
pub(crate) fn load_string_in<C: LiftContext + ?Sized>(
    cx: &mut Lifter<'_, C>,
    ptr: u32,
    tagged_code_units: u32,
) -> Result<String> {
    let units = u64::from(tagged_code_units);
    let (alignment, byte_length, encoding) = match cx.string_encoding() {
        StringEncoding::Utf8 => (1, units, Simple::Utf8),
        StringEncoding::Utf16 => (2, 2 * units, Simple::Utf16),
        StringEncoding::CompactUtf16 => {
            if tagged_code_units & UTF16_TAG != 0 {
                (
                    2,
                    2 * u64::from(tagged_code_units ^ UTF16_TAG),
                    Simple::Utf16,
                )
            } else {
                (2, units, Simple::Latin1)
            }
        }
    };
    if byte_length > u64::from(MAX_STRING_BYTE_LENGTH) {
        return Err(string_too_long(byte_length));
    }
    // The decoded string is at most 3/2 of utf16, twice latin1 and as long as utf8.
    cx.charge(match encoding {
        Simple::Utf8 => byte_length,
        Simple::Utf16 => byte_length / 2 * 3,
        Simple::Latin1 => byte_length * 2,
    })?;
    let memory = cx.memory();
    check_range(
        ptr,
        byte_length,
        alignment,
        memory.len(),
        TrapCode::StringOutOfBounds,
    )?;
    let bytes = memory
        .get(ptr as usize..)
        .and_then(|m| m.get(..byte_length as usize))
        .ok_or(TrapCode::StringOutOfBounds)?;
    decode(bytes, encoding)
}

fn decode(bytes: &[u8], encoding: Simple) -> Result<String> {
    let mut out = String::new();
    match encoding {
        Simple::Utf8 => {
            let text = core::str::from_utf8(bytes).map_err(|e| {
                Trap::with_detail(TrapCode::InvalidString, format!("invalid utf-8: {e}"))
            })?;
            reserve(&mut out, text.len())?;
            out.push_str(text);
        }
        Simple::Utf16 => {
            reserve(&mut out, bytes.len())?;
            let units = bytes
                .as_chunks::<2>()
                .0
                .iter()
                .map(|&pair| u16::from_le_bytes(pair));
            for c in char::decode_utf16(units) {
                let c = c.map_err(|e| {
                    Trap::with_detail(
                        TrapCode::InvalidString,
                        format!(
                            "invalid utf-16: unpaired surrogate 0x{:04x}",
                            e.unpaired_surrogate()
                        ),
                    )
                })?;
                out.push(c);
            }
        }
        Simple::Latin1 => {
            reserve(&mut out, bytes.len() * 2)?;
            out.extend(bytes.iter().map(|&b| char::from(b)));
        }
    }
    Ok(out)
}

/// Reserves room for `additional` bytes, failing instead of aborting when the host is out of
/// memory (a guest can ask for a string of 256 MiB).
fn reserve(out: &mut String, additional: usize) -> Result<()> {
    out.try_reserve(additional).map_err(|_| {
        Error::resource(format!(
            "out of host memory lifting a string of {additional} bytes"
        ))
    })
}

/// The spec's `store_string_into_range(cx, v)`: allocates the string with the context's
/// `realloc`, writes it in the context's encoding, and returns its pointer and (tagged) length
/// in code units.
///
/// # Errors
///
/// Traps with [`TrapCode::LengthOverflow`] for a source longer than
/// [`MAX_STRING_BYTE_LENGTH`] code units, with [`TrapCode::UnalignedPointer`] or
/// [`TrapCode::ReallocOutOfBounds`] if `realloc` returns a bad pointer, or with whatever
/// `realloc` raises.
pub fn store_string_into_range<C: LowerContext + ?Sized>(
    cx: &mut C,
    src: &StringSource<'_>,
) -> Result<(u32, u32)> {
    let (simple, src_code_units) = match src.encoding {
        StringEncoding::Utf8 => (Simple::Utf8, src.tagged_code_units),
        StringEncoding::Utf16 => (Simple::Utf16, src.tagged_code_units),
        StringEncoding::CompactUtf16 => {
            if src.tagged_code_units & UTF16_TAG != 0 {
                (Simple::Utf16, src.tagged_code_units ^ UTF16_TAG)
            } else {
                (Simple::Latin1, src.tagged_code_units)
            }
        }
    };
    if src_code_units > MAX_STRING_BYTE_LENGTH {
        return Err(string_too_long(u64::from(src_code_units)));
    }
    let text = src.text;
    use StringEncoding as E;
    match (cx.string_encoding(), simple) {
        (E::Utf8, Simple::Utf8) => store_string_copy(cx, text, src_code_units, 1, 1, Simple::Utf8),
        (E::Utf8, Simple::Utf16) => store_utf16_to_utf8(cx, text, src_code_units),
        (E::Utf8, Simple::Latin1) => store_latin1_to_utf8(cx, text, src_code_units),
        (E::Utf16, Simple::Utf8) => store_utf8_to_utf16(cx, text, src_code_units),
        (E::Utf16, Simple::Utf16 | Simple::Latin1) => {
            store_string_copy(cx, text, src_code_units, 2, 2, Simple::Utf16)
        }
        (E::CompactUtf16, _) => match (src.encoding, simple) {
            (E::Utf8 | E::Utf16, _) => store_string_to_latin1_or_utf16(cx, text, src_code_units),
            (E::CompactUtf16, Simple::Latin1) => {
                store_string_copy(cx, text, src_code_units, 1, 2, Simple::Latin1)
            }
            (E::CompactUtf16, _) => {
                store_probably_utf16_to_latin1_or_utf16(cx, text, src_code_units)
            }
        },
    }
}

/// Calls `realloc` and checks the pointer it returns (the spec's `trap_if`s after each
/// `cx.reallocate`): aligned to `alignment` and `[ptr, ptr + size)` inside memory.
pub(crate) fn reallocate<C: LowerContext + ?Sized>(
    cx: &mut C,
    old_ptr: u32,
    old_size: u32,
    alignment: u32,
    new_size: u32,
) -> Result<u32> {
    let ptr = cx.realloc(old_ptr, old_size, alignment, new_size)?;
    if alignment != 0 && !ptr.is_multiple_of(alignment) {
        return Err(Trap::with_detail(
            TrapCode::UnalignedPointer,
            format!("realloc return: unaligned pointer {ptr:#x} for alignment {alignment}"),
        ));
    }
    if u64::from(ptr) + u64::from(new_size) > cx.memory_mut().len() as u64 {
        return Err(TrapCode::ReallocOutOfBounds.into());
    }
    Ok(ptr)
}

/// Writes `bytes` at `ptr` in the current memory; the range was checked against the memory
/// when it was allocated, so a failure here is a runtime bug reported as a trap.
pub(crate) fn write<C: LowerContext + ?Sized>(cx: &mut C, ptr: u32, bytes: &[u8]) -> Result<()> {
    cx.memory_mut()
        .get_mut(ptr as usize..)
        .and_then(|m| m.get_mut(..bytes.len()))
        .ok_or(TrapCode::PointerOutOfBounds)?
        .copy_from_slice(bytes);
    Ok(())
}

fn to_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| TrapCode::LengthOverflow.into())
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `text` in `encoding` (the spec's `src.encode(dst_encoding)`).
fn encode(text: &str, encoding: Simple) -> Result<Vec<u8>> {
    Ok(match encoding {
        Simple::Utf8 => text.as_bytes().to_vec(),
        Simple::Utf16 => utf16le(text),
        Simple::Latin1 => text
            .chars()
            .map(|c| u8::try_from(c).map_err(|_| TrapCode::InternalError))
            .collect::<Result<Vec<u8>, TrapCode>>()?,
    })
}

/// The spec's `store_string_copy`: the destination has a fixed number of bytes per source
/// code unit, so one allocation of the exact size.
fn store_string_copy<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
    dst_code_unit_size: u32,
    dst_alignment: u32,
    dst_encoding: Simple,
) -> Result<(u32, u32)> {
    let dst_byte_length = dst_code_unit_size * src_code_units;
    let ptr = reallocate(cx, 0, 0, dst_alignment, dst_byte_length)?;
    let encoded = match dst_encoding {
        Simple::Utf8 => std::borrow::Cow::Borrowed(text.as_bytes()),
        other => std::borrow::Cow::Owned(encode(text, other)?),
    };
    if encoded.len() != dst_byte_length as usize {
        return Err(TrapCode::InternalError.into());
    }
    write(cx, ptr, &encoded)?;
    Ok((ptr, src_code_units))
}

/// The spec's `store_utf16_to_utf8`: up to 3 bytes per utf16 code unit.
fn store_utf16_to_utf8<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
) -> Result<(u32, u32)> {
    let worst_case_size = src_code_units * 3;
    store_string_to_utf8(cx, text, src_code_units, worst_case_size)
}

/// The spec's `store_latin1_to_utf8`: up to 2 bytes per latin1 byte.
fn store_latin1_to_utf8<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
) -> Result<(u32, u32)> {
    let worst_case_size = src_code_units * 2;
    store_string_to_utf8(cx, text, src_code_units, worst_case_size)
}

/// The spec's `store_string_to_utf8`: allocate one byte per source code unit, which suffices
/// while the text is ASCII; at the first other character grow to `worst_case_size`, write the
/// rest, and shrink to the exact size.
fn store_string_to_utf8<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
    worst_case_size: u32,
) -> Result<(u32, u32)> {
    let mut ptr = reallocate(cx, 0, 0, 1, src_code_units)?;
    // Before the first non-ASCII character, character index and byte index agree.
    let ascii = text
        .bytes()
        .position(|b| !b.is_ascii())
        .unwrap_or(text.len());
    let (prefix, _) = text
        .as_bytes()
        .split_at_checked(ascii)
        .ok_or(TrapCode::InternalError)?;
    write(cx, ptr, prefix)?;
    if ascii == text.len() {
        return Ok((ptr, src_code_units));
    }
    ptr = reallocate(cx, ptr, src_code_units, 1, worst_case_size)?;
    let encoded = text.as_bytes();
    let rest = encoded.get(ascii..).ok_or(TrapCode::InternalError)?;
    write(cx, ptr + to_u32(ascii)?, rest)?;
    let len = to_u32(encoded.len())?;
    if worst_case_size > len {
        ptr = reallocate(cx, ptr, worst_case_size, 1, len)?;
    }
    Ok((ptr, len))
}

/// The spec's `store_utf8_to_utf16`: at most one utf16 code unit per utf8 byte, so allocate
/// that, write, and shrink.
fn store_utf8_to_utf16<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
) -> Result<(u32, u32)> {
    let worst_case_size = 2 * src_code_units;
    let mut ptr = reallocate(cx, 0, 0, 2, worst_case_size)?;
    let encoded = utf16le(text);
    write(cx, ptr, &encoded)?;
    let len = to_u32(encoded.len())?;
    if len < worst_case_size {
        ptr = reallocate(cx, ptr, worst_case_size, 2, len)?;
    }
    Ok((ptr, len / 2))
}

/// The spec's `store_string_to_latin1_or_utf16`: write latin1 while every character fits in a
/// byte; at the first that does not, grow to utf16's worst case, widen the bytes written so
/// far in place (from the end, so nothing is overwritten before it is read), write the rest as
/// utf16 and tag the length.
fn store_string_to_latin1_or_utf16<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
) -> Result<(u32, u32)> {
    let mut ptr = reallocate(cx, 0, 0, 2, src_code_units)?;
    let mut latin1 = Vec::new();
    let mut all_latin1 = true;
    for c in text.chars() {
        match u8::try_from(c) {
            Ok(b) => latin1.push(b),
            Err(_) => {
                all_latin1 = false;
                break;
            }
        }
    }
    write(cx, ptr, &latin1)?;
    let dst_byte_length = to_u32(latin1.len())?;
    if !all_latin1 {
        let worst_case_size = 2 * src_code_units;
        ptr = reallocate(cx, ptr, src_code_units, 2, worst_case_size)?;
        {
            let memory = cx.memory_mut();
            let region = memory
                .get_mut(ptr as usize..)
                .and_then(|m| m.get_mut(..2 * latin1.len()))
                .ok_or(TrapCode::PointerOutOfBounds)?;
            for j in (0..latin1.len()).rev() {
                let byte = region.get(j).copied().ok_or(TrapCode::InternalError)?;
                let pair = region
                    .get_mut(2 * j..2 * j + 2)
                    .ok_or(TrapCode::InternalError)?;
                pair.copy_from_slice(&[byte, 0]);
            }
        }
        let encoded = utf16le(text);
        let rest = encoded
            .get(2 * latin1.len()..)
            .ok_or(TrapCode::InternalError)?;
        write(cx, ptr + 2 * dst_byte_length, rest)?;
        let len = to_u32(encoded.len())?;
        if worst_case_size > len {
            ptr = reallocate(cx, ptr, worst_case_size, 2, len)?;
        }
        return Ok((ptr, (len / 2) | UTF16_TAG));
    }
    if dst_byte_length < src_code_units {
        ptr = reallocate(cx, ptr, src_code_units, 2, dst_byte_length)?;
    }
    Ok((ptr, dst_byte_length))
}

/// The spec's `store_probably_utf16_to_latin1_or_utf16`: a utf16 source of `latin1+utf16`
/// probably stays utf16, so copy it as is; if every character turns out to fit in a byte,
/// narrow it in place and shrink.
fn store_probably_utf16_to_latin1_or_utf16<C: LowerContext + ?Sized>(
    cx: &mut C,
    text: &str,
    src_code_units: u32,
) -> Result<(u32, u32)> {
    let src_byte_length = 2 * src_code_units;
    let mut ptr = reallocate(cx, 0, 0, 2, src_byte_length)?;
    let encoded = utf16le(text);
    if encoded.len() != src_byte_length as usize {
        return Err(TrapCode::InternalError.into());
    }
    write(cx, ptr, &encoded)?;
    let len = to_u32(encoded.len())?;
    if text.chars().any(|c| u32::from(c) >= 1 << 8) {
        return Ok((ptr, (len / 2) | UTF16_TAG));
    }
    let latin1_size = len / 2;
    {
        let memory = cx.memory_mut();
        let region = memory
            .get_mut(ptr as usize..)
            .and_then(|m| m.get_mut(..len as usize))
            .ok_or(TrapCode::PointerOutOfBounds)?;
        for i in 0..latin1_size as usize {
            let byte = region.get(2 * i).copied().ok_or(TrapCode::InternalError)?;
            *region.get_mut(i).ok_or(TrapCode::InternalError)? = byte;
        }
    }
    ptr = reallocate(cx, ptr, src_byte_length, 1, latin1_size)?;
    Ok((ptr, latin1_size))
}
