//! RDB lengths and strings: the two encodings almost everything else in the format is built
//! from.
//!
//! A length starts with a byte whose top two bits say how it continues:
//!
//! ```text
//! 00LLLLLL                    6-bit length
//! 01LLLLLL LLLLLLLL           14-bit length, big-endian
//! 10000000 <4 bytes>          32-bit length, big-endian
//! 10000001 <8 bytes>          64-bit length, big-endian
//! 11EEEEEE                    not a length: a string in special encoding EEEEEE follows
//! ```
//!
//! A string is either a length and that many bytes, or one of the special encodings: a
//! canonical decimal integer that fits in 8, 16 or 32 bits stored as that integer
//! (little-endian), or LZF-compressed bytes (compressed length, original length, data).
//!
//! Readers take the input and a position and advance the position past what they read;
//! on `None` (truncated or corrupt input) the position is left where it was.

use radish_resp::number::{parse_i64_strict, NumberText};

use super::lzf;

/// Special string encoding: an 8-bit signed integer follows.
pub const ENC_INT8: u8 = 0;
/// Special string encoding: a 16-bit signed little-endian integer follows.
pub const ENC_INT16: u8 = 1;
/// Special string encoding: a 32-bit signed little-endian integer follows.
pub const ENC_INT32: u8 = 2;
/// Special string encoding: an LZF-compressed string follows.
pub const ENC_LZF: u8 = 3;

/// First byte of a 32-bit length.
const LEN_32BIT: u8 = 0x80;
/// First byte of a 64-bit length.
const LEN_64BIT: u8 = 0x81;
/// Top two bits of a byte announcing a special string encoding.
const ENCODED: u8 = 0xC0;

/// Strings no longer than this may be integers: 11 bytes hold `-2147483648`, the longest
/// 32-bit one.
const MAX_INTEGER_STRING: usize = 11;
/// Redis does not try to compress strings of this length or shorter: LZF cannot gain the four
/// bytes it asks for on them.
const MIN_COMPRESSED_STRING: usize = 20;
/// The gain Redis asks of compression before storing a string compressed.
const MIN_COMPRESSION_GAIN: usize = 4;

/// What a length field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A length (or count) proper.
    Plain(u64),
    /// No length: a string in this special encoding (one of the `ENC_*` constants, or an
    /// unknown one) follows.
    Special(u8),
}

/// Appends `len` in the shortest of the length encodings, as Redis's `rdbSaveLen`.
pub fn write_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Reads a length field, as Redis's `rdbLoadLen` with its `isencoded` flag: either a length
/// or the special encoding of the string that follows. Longer encodings than needed are
/// accepted, as Redis does. `None` if the input is truncated or the first byte is `10xxxxxx`
/// other than the 32- and 64-bit markers.
pub fn read_length(input: &[u8], pos: &mut usize) -> Option<Length> {
    let mut at = *pos;
    let first = *input.get(at)?;
    at += 1;
    let length = match first >> 6 {
        0 => Length::Plain(u64::from(first & 0x3f)),
        1 => {
            let second = *input.get(at)?;
            at += 1;
            Length::Plain((u64::from(first & 0x3f) << 8) | u64::from(second))
        }
        3 => Length::Special(first & 0x3f),
        _ if first == LEN_32BIT => {
            let bytes = take_array::<4>(input, &mut at)?;
            Length::Plain(u64::from(u32::from_be_bytes(bytes)))
        }
        _ if first == LEN_64BIT => {
            Length::Plain(u64::from_be_bytes(take_array::<8>(input, &mut at)?))
        }
        _ => return None,
    };
    *pos = at;
    Some(length)
}

/// Reads a field that must be a length (a count, a compressed size, ...), as Redis's
/// `rdbLoadLen(rdb, NULL)`.
///
/// Like Redis, a special-encoding byte `11EEEEEE` found here is taken as the length
/// `EEEEEE` rather than refused, so that we load every file Redis loads.
pub fn read_plain_length(input: &[u8], pos: &mut usize) -> Option<u64> {
    Some(match read_length(input, pos)? {
        Length::Plain(len) => len,
        Length::Special(encoding) => u64::from(encoding),
    })
}

/// Appends `s` as Redis's `rdbSaveRawString` does, choosing the same encoding it would:
///
/// 1. strings of up to 11 bytes that are canonical decimal integers (what Redis's
///    `string2ll` accepts: no `+`, no leading zeros, no `-0`) in the 32-bit range become
///    8-, 16- or 32-bit integers;
/// 2. otherwise, if `compress` (Redis's `rdbcompression`) and the string is longer than 20
///    bytes, it is stored LZF-compressed if LZF fits it in 4 bytes less than the string, as
///    [`lzf::compress_within`] with a limit of `len - 4` decides;
/// 3. otherwise it is stored as its length and its bytes.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= MAX_INTEGER_STRING && write_integer(out, s) {
        return;
    }
    if compress && s.len() > MIN_COMPRESSED_STRING {
        if let Some(packed) = lzf::compress_within(s, s.len() - MIN_COMPRESSION_GAIN) {
            out.push(ENCODED | ENC_LZF);
            write_length(out, packed.len() as u64);
            write_length(out, s.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_length(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends `s` in an integer encoding if it is a canonical decimal integer that fits in 32
/// bits (as Redis's `rdbTryIntegerEncoding`); false, with nothing written, if not.
fn write_integer(out: &mut Vec<u8>, s: &[u8]) -> bool {
    let Some(value) = parse_i64_strict(s) else {
        return false;
    };
    if let Ok(value) = i8::try_from(value) {
        out.push(ENCODED | ENC_INT8);
        out.extend_from_slice(&value.to_le_bytes());
    } else if let Ok(value) = i16::try_from(value) {
        out.push(ENCODED | ENC_INT16);
        out.extend_from_slice(&value.to_le_bytes());
    } else if let Ok(value) = i32::try_from(value) {
        out.push(ENCODED | ENC_INT32);
        out.extend_from_slice(&value.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Reads a string in any of its encodings, as Redis's `rdbGenericLoadStringObject`: integers
/// come back as their decimal text, compressed strings decompressed. `None` if the input is
/// truncated, the encoding unknown, or the compressed data corrupt (it must decompress to
/// exactly the length it claims; see [`lzf::decompress`] for the one case, a claimed length of
/// 0, where Redis is more lenient).
pub fn read_string(input: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let mut at = *pos;
    let string = match read_length(input, &mut at)? {
        Length::Plain(len) => take(input, &mut at, len)?.to_vec(),
        Length::Special(ENC_INT8) => {
            integer_text(i64::from(i8::from_le_bytes(take_array(input, &mut at)?)))
        }
        Length::Special(ENC_INT16) => {
            integer_text(i64::from(i16::from_le_bytes(take_array(input, &mut at)?)))
        }
        Length::Special(ENC_INT32) => {
            integer_text(i64::from(i32::from_le_bytes(take_array(input, &mut at)?)))
        }
        Length::Special(ENC_LZF) => {
            let packed_len = read_plain_length(input, &mut at)?;
            let len = usize::try_from(read_plain_length(input, &mut at)?).ok()?;
            let packed = take(input, &mut at, packed_len)?;
            lzf::decompress(packed, len)?
        }
        Length::Special(_) => return None,
    };
    *pos = at;
    Some(string)
}

/// An integer-encoded string's value as the text it stood for.
fn integer_text(value: i64) -> Vec<u8> {
    NumberText::integer(value).as_bytes().to_vec()
}

/// The next `len` bytes of `input` from `*at`, advancing `*at`; `None` if there are fewer.
fn take<'a>(input: &'a [u8], at: &mut usize, len: u64) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    let end = at.checked_add(len)?;
    let bytes = input.get(*at..end)?;
    *at = end;
    Some(bytes)
}

/// The next `N` bytes of `input` from `*at` as an array, advancing `*at`.
fn take_array<const N: usize>(input: &[u8], at: &mut usize) -> Option<[u8; N]> {
    let bytes = take(input, at, N as u64)?;
    let mut array = [0u8; N];
    array.copy_from_slice(bytes);
    Some(array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    fn length_bytes(len: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_length(&mut out, len);
        out
    }

    fn string_bytes(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_string(&mut out, s, compress);
        out
    }

    #[test]
    fn lengths_use_the_shortest_encoding() {
        assert_eq!(length_bytes(0), [0x00]);
        assert_eq!(length_bytes(63), [0x3f]);
        assert_eq!(length_bytes(64), [0x40, 0x40]);
        assert_eq!(length_bytes(16383), [0x7f, 0xff]);
        assert_eq!(length_bytes(16384), [0x80, 0x00, 0x00, 0x40, 0x00]);
        assert_eq!(
            length_bytes(u64::from(u32::MAX)),
            [0x80, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            length_bytes(u64::from(u32::MAX) + 1),
            [0x81, 0, 0, 0, 0x01, 0, 0, 0, 0]
        );
        assert_eq!(
            length_bytes(u64::MAX),
            [0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn lengths_round_trip() {
        for len in [
            0,
            1,
            63,
            64,
            65,
            16383,
            16384,
            1 << 20,
            u64::from(u32::MAX),
            1 << 32,
            u64::MAX,
        ] {
            let bytes = length_bytes(len);
            let mut pos = 0;
            assert_eq!(read_length(&bytes, &mut pos), Some(Length::Plain(len)));
            assert_eq!(pos, bytes.len());
            pos = 0;
            assert_eq!(read_plain_length(&bytes, &mut pos), Some(len));
        }
    }

    #[test]
    fn length_reading_accepts_what_redis_accepts() {
        // Longer encodings than needed.
        let mut pos = 0;
        assert_eq!(read_length(&[0x40, 0x05], &mut pos), Some(Length::Plain(5)));
        pos = 0;
        assert_eq!(
            read_length(&[0x80, 0, 0, 0, 0x05], &mut pos),
            Some(Length::Plain(5))
        );
        // A special encoding where a plain length is wanted reads as its number.
        pos = 0;
        assert_eq!(
            read_length(&[0xc3], &mut pos),
            Some(Length::Special(ENC_LZF))
        );
        pos = 0;
        assert_eq!(read_plain_length(&[0xc5], &mut pos), Some(5));
        // Reading starts at `pos` and stops after the field.
        pos = 1;
        assert_eq!(
            read_length(&[0xff, 0x41, 0x00, 0xff], &mut pos),
            Some(Length::Plain(256))
        );
        assert_eq!(pos, 3);
    }

    #[test]
    fn length_reading_refuses_bad_input() {
        for bad in [
            &[][..],
            &[0x40],
            &[0x80, 0, 0, 0],
            &[0x81, 0, 0, 0, 0, 0, 0, 0],
            &[0x82, 0, 0, 0, 0],
            &[0xbf],
        ] {
            let mut pos = 0;
            assert_eq!(read_length(bad, &mut pos), None, "{bad:?}");
            assert_eq!(pos, 0);
        }
    }

    #[test]
    fn canonical_32_bit_integers_are_stored_as_integers() {
        assert_eq!(string_bytes(b"0", true), [0xc0, 0x00]);
        assert_eq!(string_bytes(b"-1", true), [0xc0, 0xff]);
        assert_eq!(string_bytes(b"300", true), [0xc1, 0x2c, 0x01]);
        assert_eq!(
            string_bytes(b"-2147483648", true),
            [0xc2, 0x00, 0x00, 0x00, 0x80]
        );
        // Out of range, or not canonical: plain strings.
        assert_eq!(string_bytes(b"2147483648", true), b"\x0a2147483648");
        for text in [&b"01"[..], b"-0", b"+1", b" 1", b"1 ", b"1.0", b"", b"-"] {
            let mut expected = vec![text.len() as u8];
            expected.extend_from_slice(text);
            assert_eq!(
                string_bytes(text, true),
                expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn compression_needs_the_flag_more_than_20_bytes_and_a_gain() {
        let a20 = [b'a'; 20];
        let a21 = [b'a'; 21];
        assert_eq!(string_bytes(&a20, true)[0], 20);
        assert_eq!(
            string_bytes(&a21, true),
            [0xc3, 0x06, 0x15, 0x01, b'a', b'a', 0xe0, 0x0a, 0x00]
        );
        assert_eq!(string_bytes(&a21, false)[0], 21);
        let alphabet = b"abcdefghijklmnopqrstuvwxyz";
        assert_eq!(string_bytes(alphabet, true)[0], 26);
    }

    #[test]
    fn every_encoding_reads_back() {
        let long_text: Vec<u8> = b"abc".iter().copied().cycle().take(5000).collect();
        let mut rng = Rng::new(5);
        let noise: Vec<u8> = (0..20_000).map(|_| rng.below(256) as u8).collect();
        let samples: Vec<&[u8]> = vec![
            b"",
            b"0",
            b"-128",
            b"127",
            b"-32768",
            b"32767",
            b"-2147483648",
            b"2147483647",
            b"2147483648",
            b"007",
            b"hello",
            &long_text,
            &noise,
            &noise[..100],
        ];
        for sample in samples {
            for compress in [false, true] {
                // Written after another field, so reading must honour `pos`.
                let mut bytes = vec![0x00];
                write_string(&mut bytes, sample, compress);
                bytes.push(0xee);
                let mut pos = 1;
                assert_eq!(read_string(&bytes, &mut pos).as_deref(), Some(sample));
                assert_eq!(pos, bytes.len() - 1);
            }
        }
    }

    #[test]
    fn integer_encodings_read_as_decimal_text() {
        let mut pos = 0;
        assert_eq!(
            read_string(&[0xc0, 0x80], &mut pos).as_deref(),
            Some(&b"-128"[..])
        );
        pos = 0;
        assert_eq!(
            read_string(&[0xc1, 0x00, 0x80], &mut pos).as_deref(),
            Some(&b"-32768"[..])
        );
        pos = 0;
        assert_eq!(
            read_string(&[0xc2, 0xff, 0xff, 0xff, 0x7f], &mut pos).as_deref(),
            Some(&b"2147483647"[..])
        );
        // Redis writes small values in the smallest encoding, but reads any.
        pos = 0;
        assert_eq!(
            read_string(&[0xc2, 0x05, 0, 0, 0], &mut pos).as_deref(),
            Some(&b"5"[..])
        );
    }

    #[test]
    fn corrupt_strings_are_refused() {
        let text: Vec<u8> = b"corrupt me ".iter().copied().cycle().take(200).collect();
        let packed = string_bytes(&text, true);
        assert_eq!(packed[0], ENCODED | ENC_LZF);
        let raw = string_bytes(&text, false);
        let integer = string_bytes(b"-2147483648", true);

        // Truncated anywhere: refused, position untouched.
        for bytes in [&packed, &raw, &integer] {
            for cut in 0..bytes.len() {
                let mut pos = 0;
                assert_eq!(
                    read_string(&bytes[..cut], &mut pos),
                    None,
                    "cut {cut} of {bytes:?}"
                );
                assert_eq!(pos, 0);
            }
        }

        // Unknown special encodings.
        for encoding in 4..64u8 {
            let mut pos = 0;
            assert_eq!(
                read_string(&[ENCODED | encoding, 0, 0, 0, 0], &mut pos),
                None
            );
        }

        // A wrong original length for the compressed data, either way. The original length,
        // 200, is in the 14-bit form: its second byte is the low 8 bits.
        let mut pos = 1;
        let packed_len = read_plain_length(&packed, &mut pos).unwrap();
        let original_at = pos;
        assert_eq!(read_plain_length(&packed, &mut pos), Some(200));
        for wrong in [0u8, 199, 201] {
            let mut bad = packed.clone();
            bad[original_at + 1] = wrong;
            let mut pos = 0;
            assert_eq!(read_string(&bad, &mut pos), None, "claimed {wrong}");
        }

        // Damaged compressed data: refused or, if still a valid stream of the right length,
        // read as some string; never a panic.
        for at in pos..pos + packed_len as usize {
            for flip in [0x01, 0x20, 0x80, 0xff] {
                let mut bad = packed.clone();
                bad[at] ^= flip;
                let mut pos = 0;
                if let Some(string) = read_string(&bad, &mut pos) {
                    assert_eq!(string.len(), 200);
                }
            }
        }

        // Lengths far beyond the input.
        let mut pos = 0;
        assert_eq!(
            read_string(
                &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                &mut pos
            ),
            None
        );
        assert_eq!(
            read_string(
                &[0xc3, 0x02, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x61],
                &mut pos
            ),
            None
        );
        assert_eq!(
            read_string(
                &[0xc3, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
                &mut pos
            ),
            None
        );
        assert_eq!(pos, 0);
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut rng = Rng::new(2024);
        for _ in 0..50_000 {
            let len = rng.below(24);
            let mut garbage: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            if let Some(first) = garbage.first_mut() {
                // Mostly special encodings, the interesting case.
                if rng.below(2) == 0 {
                    *first |= ENCODED;
                }
            }
            let mut pos = 0;
            match read_string(&garbage, &mut pos) {
                Some(_) => assert!(pos <= garbage.len()),
                None => assert_eq!(pos, 0),
            }
        }
    }
}
