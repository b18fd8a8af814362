//! LZF, the compression RDB files and DUMP payloads use for long strings.
//!
//! The compressed stream is a sequence of items, each starting with a control byte:
//!
//! ```text
//! 000LLLLL <L+1 bytes>          literal run of L+1 (1..=32) bytes
//! LLLooooo oooooooo             back reference of L+2 (3..=8) bytes, L = 1..=6
//! 111ooooo LLLLLLLL oooooooo    back reference of L+9 (9..=264) bytes
//! ```
//!
//! where the 13-bit `o` is the distance back from the end of the output so far, minus one.
//!
//! Any valid stream decompresses to the same bytes, but Redis compares DUMP payloads and RDB
//! files byte for byte (and so do our tests against a real server), so [`compress`] reproduces
//! exactly the choices of liblzf 3.6 as Redis 7.0 builds it (`src/lzfP.h`):
//!
//! * `HLOG 16`: a hash table of 65536 slots, each remembering the latest position whose next
//!   three bytes hashed there;
//! * `VERY_FAST 1`, `ULTRA_FAST 0`: the hash `((h >> 8) - h * 5) & 0xffff` over the three bytes
//!   `h = b0 << 16 | b1 << 8 | b2`, and after each back reference only the last two positions
//!   it covered are entered in the table;
//! * `INIT_HTAB 0`: the table is not cleared before use, so Redis starts from whatever its
//!   stack held. We start from an empty table. A leftover entry only proposes a candidate that
//!   the byte comparison then vets, so the outputs can differ only when a stale entry happens
//!   to point at a real earlier occurrence the table had not recorded: rare, and both still
//!   decompress to the same bytes. Every payload taken from a server in our tests agrees;
//! * `CHECK_INPUT 1`: the decompressor refuses streams that would read past their end (ours
//!   refuses every corrupt stream, see [`decompress`]);
//! * `STRICT_ALIGN` and `LZF_USE_OFFSETS` only change how the C code touches memory, not the
//!   bytes it writes.
//!
//! Two quirks of that code shape the output and are kept: a match is never taken against
//! position 0 of the input (the candidate must lie strictly after the start), and when at least
//! 19 bytes remain from where a match starts, its next 16 bytes are compared without the usual
//! "stop two bytes before the end" limit, so such a match may run to the very end of the input.

/// Bits of the hash, as Redis's `HLOG`.
const HASH_LOG: u32 = 16;
/// Slots in the hash table.
const HASH_SIZE: usize = 1 << HASH_LOG;
/// Longest literal run one control byte can announce.
const MAX_LITERAL: usize = 1 << 5;
/// Farthest back a reference can reach (distance minus one must be below this).
const MAX_OFFSET: usize = 1 << 13;
/// Longest back reference, in bytes, minus the two every reference implies.
const MAX_REFERENCE: usize = (1 << 8) + (1 << 3);
/// Most output one input byte of a compressed stream can stand for: a 3-byte long back
/// reference yields 264 bytes. Used to refuse absurd expected lengths without allocating.
const MAX_EXPANSION: usize = 88;

/// Compresses `input` with no limit on the output size.
///
/// Returns `None` only for empty input: LZF (like Redis's `lzf_compress`, which returns 0)
/// has no output for it. The result may be longer than the input; callers that only want a
/// gain must use [`compress_within`], as RDB strings do.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    compress_within(input, usize::MAX)
}

/// Compresses `input` as Redis's `lzf_compress(input, len, out, out_len)` does, giving up with
/// `None` exactly when it gives up (returns 0).
///
/// The C code checks the room left conservatively as it goes (it wants space for a full
/// reference and the next control byte), so it can refuse an input whose compressed form
/// would have fitted in `out_len` with a byte or two to spare. Comparing the length of
/// [`compress`]'s output with a limit is therefore not the same, and the RDB string writer
/// calls this with `out_len = len - 4`, as `rdbSaveLzfStringObject` does, to decide between a
/// compressed and a plain string byte-for-byte as Redis would. Empty input or an `out_len` of
/// 0 also give `None`.
pub fn compress_within(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let n = input.len();
    if n == 0 || out_len == 0 {
        return None;
    }
    // Slot value 0 means "empty": position 0 could never be used as a match anyway.
    let mut table = vec![0usize; HASH_SIZE];
    let mut out: Vec<u8> = Vec::with_capacity(n.min(out_len).saturating_add(n / MAX_LITERAL + 2));
    // Bytes in the literal run being built; its control byte is reserved (as a placeholder at
    // index `out.len() - lit - 1`) before its bytes are known, and dropped if it stays empty.
    let mut lit: usize = 0;
    out.push(0);

    let mut ip: usize = 0;
    let mut hval: u32 = if n >= 2 { first(input, 0) } else { 0 };
    while ip + 2 < n {
        hval = next(hval, input, ip);
        let slot = index(hval);
        let candidate = table[slot];
        table[slot] = ip;

        let is_match = candidate > 0
            && candidate < ip
            && ip - candidate - 1 < MAX_OFFSET
            && input[candidate + 2] == input[ip + 2]
            && input[candidate] == input[ip]
            && input[candidate + 1] == input[ip + 1];

        if is_match {
            let offset = ip - candidate - 1;
            let mut len: usize = 2;
            let max_len = (n - ip - len).min(MAX_REFERENCE);

            // Room for the reference (up to 3 bytes) and the next control byte, first roughly,
            // then exactly: an empty literal run gives its reserved byte back.
            let op = out.len();
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            close_run(&mut out, lit);

            len = extend_match(input, candidate, ip, len, max_len);

            // From here `len` is the match length minus 2, what the control bytes carry.
            len -= 2;
            ip += 1;
            let high = (offset >> 8) as u8;
            if len < 7 {
                out.push(high + ((len as u8) << 5));
            } else {
                out.push(high + (7 << 5));
                out.push((len - 7) as u8);
            }
            out.push(offset as u8);

            lit = 0;
            out.push(0);

            ip += len + 1;
            if ip >= n - 2 {
                break;
            }

            // Enter the last two positions the match covered, so the next match can start
            // right after this one.
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            table[index(hval)] = ip;
            ip += 1;
            hval = next(hval, input, ip);
            table[index(hval)] = ip;
            ip += 1;
        } else {
            if out.len() >= out_len {
                return None;
            }
            push_literal(&mut out, &mut lit, input[ip]);
            ip += 1;
        }
    }

    // At most two input bytes remain, and the run they join may need a new control byte.
    if out.len().saturating_add(3) > out_len {
        return None;
    }
    while ip < n {
        push_literal(&mut out, &mut lit, input[ip]);
        ip += 1;
    }
    close_run(&mut out, lit);
    Some(out)
}

/// Ends the literal run of `lit` bytes at the end of `out`: fills in its control byte, or
/// Adds `byte` to the literal run being written (`lit` bytes so far), starting a new run
/// (its control byte a placeholder) once this one is full.
fn push_literal(out: &mut Vec<u8>, lit: &mut usize, byte: u8) {
    *lit += 1;
    out.push(byte);
    if *lit == MAX_LITERAL {
        close_run(out, *lit);
        *lit = 0;
        out.push(0);
    }
}

/// drops the reserved byte if the run is empty.
fn close_run(out: &mut Vec<u8>, lit: usize) {
    if lit == 0 {
        out.pop();
    } else {
        let at = out.len() - lit - 1;
        out[at] = (lit - 1) as u8;
    }
}

/// How far the match of `input[ip..]` against `input[candidate..]` goes, knowing its first
/// `len + 1` bytes agree, following the C code's two phases (see the module notes): returns
/// the number of matching bytes.
fn extend_match(
    input: &[u8],
    candidate: usize,
    ip: usize,
    mut len: usize,
    max_len: usize,
) -> usize {
    if max_len > 16 {
        // Sixteen comparisons without the `max_len` bound; `max_len > 16` keeps them inside
        // the input, as at least 19 bytes remain from `ip`.
        for _ in 0..16 {
            len += 1;
            if input[candidate + len] != input[ip + len] {
                return len;
            }
        }
    }
    loop {
        len += 1;
        if len >= max_len || input[candidate + len] != input[ip + len] {
            return len;
        }
    }
}

/// The hash state after the first two bytes at `at`.
fn first(input: &[u8], at: usize) -> u32 {
    (u32::from(input[at]) << 8) | u32::from(input[at + 1])
}

/// The hash state shifted on by the third byte from `at`; only its low 24 bits matter.
fn next(hval: u32, input: &[u8], at: usize) -> u32 {
    (hval << 8) | u32::from(input[at + 2])
}

/// The table slot for a hash state (the `VERY_FAST` variant of liblzf's hash).
fn index(hval: u32) -> usize {
    ((hval >> (3 * 8 - HASH_LOG)).wrapping_sub(hval.wrapping_mul(5)) & (HASH_SIZE as u32 - 1))
        as usize
}

/// Decompresses `input`, which must decode to exactly `expected_len` bytes.
///
/// Returns `None` for any stream that is truncated, refers back before the start of the
/// output, would produce more than `expected_len` bytes, or ends short of it. Nothing is
/// allocated beyond what `input` could possibly decode to, so a lying `expected_len` costs
/// nothing.
///
/// Redis's loader accepts a stream of any content when the expected length is 0 (its
/// `lzf_decompress` reports failure as 0, which it cannot tell from success); here only an
/// empty stream decodes to 0 bytes.
pub fn decompress(input: &[u8], expected_len: usize) -> Option<Vec<u8>> {
    if expected_len > input.len().saturating_mul(MAX_EXPANSION) {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < MAX_LITERAL {
            let run = ctrl + 1;
            if out.len() + run > expected_len {
                return None;
            }
            let bytes = input.get(ip..ip + run)?;
            out.extend_from_slice(bytes);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            let mut distance = ((ctrl & 0x1f) << 8) + 1;
            if len == 7 {
                len += usize::from(*input.get(ip)?);
                ip += 1;
            }
            distance += usize::from(*input.get(ip)?);
            ip += 1;
            let len = len + 2;
            if out.len() + len > expected_len || distance > out.len() {
                return None;
            }
            let start = out.len() - distance;
            if distance >= len {
                out.extend_from_within(start..start + len);
            } else {
                // The reference overlaps what it produces (a repeated pattern), so it must be
                // copied a byte at a time.
                for i in 0..len {
                    let byte = out[start + i];
                    out.push(byte);
                }
            }
        }
    }
    (out.len() == expected_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rng;

    fn random_bytes(rng: &mut Rng, len: usize, alphabet: usize) -> Vec<u8> {
        (0..len).map(|_| rng.below(alphabet) as u8).collect()
    }

    #[test]
    fn round_trips_varied_inputs() {
        let mut rng = Rng::new(0x1f2e_3d4c);
        for len in (1..300).chain([1000, 4096, 8191, 8192, 8193, 20_000, 70_000]) {
            for alphabet in [1, 2, 4, 26, 256] {
                let input = random_bytes(&mut rng, len, alphabet);
                let packed = compress(&input).expect("non-empty input compresses");
                assert_eq!(
                    decompress(&packed, input.len()).as_deref(),
                    Some(&input[..]),
                    "len {len} alphabet {alphabet}"
                );
            }
        }
    }

    #[test]
    fn round_trips_structured_input() {
        let mut text = Vec::new();
        for i in 0..3000 {
            text.extend_from_slice(format!("key:{i}:field={};", i % 97).as_bytes());
        }
        let packed = compress(&text).unwrap();
        assert!(packed.len() < text.len() / 2);
        assert_eq!(decompress(&packed, text.len()).unwrap(), text);
    }

    #[test]
    fn known_small_streams() {
        // 21 'a's: the match cannot start at position 0, so two literals, then a long
        // reference of 19 bytes at distance 1 (the last bytes compared in the unbounded phase).
        assert_eq!(
            compress(&[b'a'; 21]).unwrap(),
            [0x01, b'a', b'a', 0xe0, 0x0a, 0x00]
        );
        assert_eq!(compress(b"ab").unwrap(), [0x01, b'a', b'b']);
        assert_eq!(compress(b""), None);
    }

    #[test]
    fn output_limit_is_checked_as_lzf_does() {
        let input = [b'a'; 21];
        // The stream is 6 bytes, but lzf wants room for 3 more bytes after the 7 it has
        // (counting the reserved control byte) when the input runs out.
        assert_eq!(compress_within(&input, 10).map(|v| v.len()), Some(6));
        assert_eq!(compress_within(&input, 9), None);
        assert_eq!(compress_within(&input, 6), None);
        assert_eq!(compress_within(&input, 0), None);
        // Incompressible input never fits in less than its own length plus control bytes.
        let mut rng = Rng::new(7);
        let noise = random_bytes(&mut rng, 100, 256);
        assert_eq!(compress_within(&noise, noise.len() - 4), None);
        assert!(compress(&noise).unwrap().len() > noise.len());
    }

    #[test]
    fn limited_output_agrees_with_unlimited_output_when_it_fits() {
        let mut rng = Rng::new(99);
        for len in 1..200 {
            let input = random_bytes(&mut rng, len, 3);
            let full = compress(&input).unwrap();
            for limit in 1..full.len() + 8 {
                if let Some(bounded) = compress_within(&input, limit) {
                    assert_eq!(bounded, full);
                    assert!(bounded.len() <= limit);
                }
            }
            assert_eq!(compress_within(&input, full.len() + 4), Some(full));
        }
    }

    #[test]
    fn refuses_corrupt_streams() {
        let input = b"hello hello hello hello hello!";
        let packed = compress(input).unwrap();
        assert_eq!(
            decompress(&packed, input.len()).as_deref(),
            Some(&input[..])
        );
        // Wrong expected length, either way.
        assert_eq!(decompress(&packed, input.len() - 1), None);
        assert_eq!(decompress(&packed, input.len() + 1), None);
        // Truncated anywhere.
        for cut in 0..packed.len() {
            assert_eq!(decompress(&packed[..cut], input.len()), None, "cut {cut}");
        }
        // A literal run longer than the stream.
        assert_eq!(decompress(&[0x05, b'a'], 6), None);
        // A reference before the start of the output.
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x01], 4), None);
        // A long reference missing its length or offset byte.
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 20), None);
        assert_eq!(decompress(&[0x00, b'a', 0xe0, 0x01], 20), None);
        // An absurd expected length is refused before allocating it.
        assert_eq!(decompress(&[0x00, b'a'], usize::MAX), None);
        // Empty streams decode only to empty output.
        assert_eq!(decompress(&[], 0), Some(Vec::new()));
        assert_eq!(decompress(&[0x00, b'a'], 0), None);
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut rng = Rng::new(12345);
        for _ in 0..20_000 {
            let len = rng.below(40);
            let garbage = random_bytes(&mut rng, len, 256);
            let expected = rng.below(200);
            if let Some(out) = decompress(&garbage, expected) {
                assert_eq!(out.len(), expected);
            }
        }
    }
}
