//! A small sorted set's listpack: member, score, member, score... ordered by (score,
//! member), walked linearly, as Redis keeps sets up to `zset-max-listpack-entries`.
//!
//! A score is stored in as few bytes as keep it exact: an integer in up to 8 bytes, else a
//! float in 4 when `f32` holds it exactly, else 8. (Redis stores it as text, where `-0`
//! reads back as `0`; so does this: a zero is stored as the integer 0.)

use super::super::listpack::{self, Listpack};

/// Longest stored score: a tag and 8 bytes.
const SCORE_MAX: usize = 9;

/// Largest integer an `f64` holds exactly, with every integer below it.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `score` as stored, in `buf`; returns its bytes.
fn encode_score(score: f64, buf: &mut [u8; SCORE_MAX]) -> &[u8] {
    if score.fract() == 0.0 && score.abs() <= EXACT_INTEGERS {
        let value = score as i64;
        let bytes = value.to_le_bytes();
        // The fewest low bytes that sign-extend back to the value.
        let len = (1..=8)
            .find(|&n| {
                let shift = 64 - 8 * n as u32;
                (value << shift) >> shift == value
            })
            .unwrap_or(8);
        buf[0] = b'i';
        buf[1..=len].copy_from_slice(&bytes[..len]);
        return &buf[..=len];
    }
    let narrow = score as f32;
    if f64::from(narrow) == score {
        buf[0] = b'f';
        buf[1..5].copy_from_slice(&narrow.to_le_bytes());
        return &buf[..5];
    }
    buf[0] = b'd';
    buf[1..9].copy_from_slice(&score.to_le_bytes());
    &buf[..9]
}

/// A score stored by [`encode_score`].
fn decode_score(stored: &[u8]) -> f64 {
    match stored {
        [b'i', bytes @ ..] => {
            let mut wide = [0u8; 8];
            wide[..bytes.len()].copy_from_slice(bytes);
            let shift = 64 - 8 * bytes.len() as u32;
            ((i64::from_le_bytes(wide) << shift) >> shift) as f64
        }
        [b'f', a, b, c, d] => f64::from(f32::from_le_bytes([*a, *b, *c, *d])),
        [b'd', bytes @ ..] => {
            let mut wide = [0u8; 8];
            wide.copy_from_slice(bytes);
            f64::from_le_bytes(wide)
        }
        _ => unreachable!("scores are only written by encode_score"),
    }
}

/// The score a small set stores for `score`: `-0` becomes `0`.
pub(super) fn stored(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else {
        score
    }
}

/// The elements of a small set, in order, with each one's offset.
pub(super) type Elements<'a> =
    std::iter::Map<listpack::Pairs<'a>, fn((usize, &'a [u8], &'a [u8])) -> (usize, &'a [u8], f64)>;

/// A pair of the listpack as an element: its offset, member and score.
fn decoded<'a>((at, member, score): (usize, &'a [u8], &'a [u8])) -> (usize, &'a [u8], f64) {
    (at, member, decode_score(score))
}

/// Every element of `pairs`.
pub(super) fn elements(pairs: &Listpack) -> Elements<'_> {
    pairs.pairs().map(decoded as fn(_) -> _)
}

/// Number of elements.
pub(super) fn len(pairs: &Listpack) -> usize {
    pairs.len() / 2
}

/// Where `member` is: its offset, rank and score.
pub(super) fn find(pairs: &Listpack, member: &[u8]) -> Option<(usize, usize, f64)> {
    elements(pairs)
        .enumerate()
        .find(|(_, (_, name, _))| *name == member)
        .map(|(rank, (at, _, score))| (at, rank, score))
}

/// Adds `member` (not present) with `score`, in order.
pub(super) fn insert(pairs: &mut Listpack, member: &[u8], score: f64) {
    let score = stored(score);
    let at = elements(pairs)
        .find(|(_, name, other)| {
            other
                .total_cmp(&score)
                .then_with(|| (*name).cmp(member))
                .is_gt()
        })
        .map_or(pairs.end(), |(at, _, _)| at);
    put(pairs, at, member, score);
}

/// Adds `member` (not present) after every element: for elements added in order.
pub(super) fn push(pairs: &mut Listpack, member: &[u8], score: f64) {
    put(pairs, pairs.end(), member, stored(score));
}

/// Writes `member` and its (stored) `score` at offset `at`.
fn put(pairs: &mut Listpack, at: usize, member: &[u8], score: f64) {
    let mut buf = [0; SCORE_MAX];
    let encoded = encode_score(score, &mut buf);
    pairs.insert(at, &[member, encoded]);
}

/// Removes the element at offset `at`.
pub(super) fn remove_at(pairs: &mut Listpack, at: usize) {
    pairs.remove(at, 2);
}

/// Offset of the element of rank `rank`.
pub(super) fn offset_of(pairs: &Listpack, rank: usize) -> Option<usize> {
    elements(pairs).nth(rank).map(|(at, _, _)| at)
}

/// Removes the elements of ranks `start..=end` (clamped); returns how many.
pub(super) fn remove_ranks(pairs: &mut Listpack, start: usize, end: usize) -> usize {
    let len = len(pairs);
    if start >= len || start > end {
        return 0;
    }
    let count = end.min(len - 1) - start + 1;
    if let Some(at) = offset_of(pairs, start) {
        pairs.remove(at, 2 * count);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip_in_few_bytes() {
        let cases = [
            (0.0, 2),
            (-0.0, 2),
            (1.0, 2),
            (-128.0, 2),
            (128.0, 3),
            (1.5, 5),
            (-2.25, 5),
            (f64::INFINITY, 5),
            (f64::NEG_INFINITY, 5),
            (0.1, 9),
            (EXACT_INTEGERS, 8),
            (EXACT_INTEGERS * 2.0, 5),
            (1e300, 9),
            (f64::MIN_POSITIVE, 9),
            (i64::MIN as f64, 5),
        ];
        for (score, bytes) in cases {
            let mut buf = [0; SCORE_MAX];
            let encoded = encode_score(score, &mut buf);
            assert_eq!(encoded.len(), bytes, "{score}");
            let back = decode_score(encoded);
            assert_eq!(back.to_bits(), stored(score).to_bits(), "{score}");
        }
    }
}
