//! Stream IDs as arguments, parsed as Redis 7.0's `streamGenericParseIDOrReply` does: `-`
//! and `+`, `<ms>` (the sequence filled in by the caller), `<ms>-<seq>`, XADD's `<ms>-*`, and
//! range bounds with `(` for an exclusive end. Each part is read with Redis's `string2ull`,
//! which falls back on C's `strtoull`: leading blanks and a `+` are accepted.

use radish_data::types::stream::{NewId, StreamId};
use radish_resp::number::parse_i64_strict;

use crate::error::{Error, Result};

/// The error for any ID that does not parse.
pub(super) const INVALID: Error =
    Error::Static("ERR Invalid stream ID specified as stream command argument");

/// An ID where `-` and `+` are allowed (a range bound); `<ms>` alone gets `missing_seq`.
pub(super) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId> {
    match parse(arg, missing_seq, false, false)? {
        NewId::Exact(id) => Ok(id),
        _ => Err(INVALID),
    }
}

/// An ID that must name an entry: `-` and `+` are refused.
pub(super) fn parse_strict_id(arg: &[u8]) -> Result<StreamId> {
    match parse(arg, 0, true, false)? {
        NewId::Exact(id) => Ok(id),
        _ => Err(INVALID),
    }
}

/// XADD's ID: `<ms>-*` asks for the next sequence number of that millisecond.
pub(super) fn parse_new_id(arg: &[u8]) -> Result<NewId> {
    parse(arg, 0, true, true)
}

/// A range bound: `(` before an ID excludes it (and then `-` and `+` are refused). Returns
/// the ID and whether it is excluded.
pub(super) fn parse_bound(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool)> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => match parse(rest, missing_seq, true, false)? {
            NewId::Exact(id) => Ok((id, true)),
            _ => Err(INVALID),
        },
        _ => Ok((parse_id(arg, missing_seq)?, false)),
    }
}

fn parse(arg: &[u8], missing_seq: u64, strict: bool, seq_may_be_star: bool) -> Result<NewId> {
    // Redis copies the argument into a 128-byte C string: longer ones are refused, and a
    // NUL byte ends it.
    if arg.len() > 127 {
        return Err(INVALID);
    }
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    match text {
        b"-" | b"+" if strict => return Err(INVALID),
        b"-" => return Ok(NewId::Exact(StreamId::MIN)),
        b"+" => return Ok(NewId::Exact(StreamId::MAX)),
        _ => {}
    }
    let (ms, seq) = match text.iter().position(|&b| b == b'-') {
        Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
        None => (text, None),
    };
    let ms = string2ull(ms).ok_or(INVALID)?;
    match seq {
        Some(b"*") if seq_may_be_star => Ok(NewId::Ms(ms)),
        Some(seq) => Ok(NewId::Exact(StreamId::new(
            ms,
            string2ull(seq).ok_or(INVALID)?,
        ))),
        None => Ok(NewId::Exact(StreamId::new(ms, missing_seq))),
    }
}

/// Redis's `string2ull`: a strict signed 64-bit integer if it is one (negatives refused),
/// else what C's `strtoull` makes of the whole text.
fn string2ull(text: &[u8]) -> Option<u64> {
    if let Some(value) = parse_i64_strict(text) {
        return u64::try_from(value).ok();
    }
    strtoull(text)
}

/// C's `strtoull` in base 10 over the whole text: leading white space, an optional sign (a
/// `-` negates, modulo 2^64), at least one digit and nothing after; `None` on overflow.
fn strtoull(text: &[u8]) -> Option<u64> {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = text.iter().position(|b| !blank(b))?;
    let mut rest = &text[start..];
    let negative = match rest.first() {
        Some(b'-') => true,
        Some(b'+') => false,
        _ => {
            let value = digits(rest)?;
            return Some(value);
        }
    };
    rest = &rest[1..];
    let value = digits(rest)?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Decimal digits, all of the text, at least one, within 64 bits.
fn digits(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |value, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        value.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn ids_parse_as_redis_parses_them() {
        assert_eq!(parse_id(b"-", 0).ok(), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0).ok(), Some(StreamId::MAX));
        assert_eq!(parse_id(b"5", 7).ok(), Some(id(5, 7)));
        assert_eq!(parse_id(b"5-3", 7).ok(), Some(id(5, 3)));
        assert_eq!(parse_id(b" 5", 0).ok(), Some(id(5, 0)));
        assert_eq!(parse_id(b"+6", 0).ok(), Some(id(6, 0)));
        assert_eq!(parse_id(b"8-+1", 0).ok(), Some(id(8, 1)));
        assert_eq!(parse_id(b"5--01", 0).ok(), Some(id(5, u64::MAX)));
        assert_eq!(
            parse_id(b"18446744073709551615-18446744073709551615", 0).ok(),
            Some(StreamId::MAX)
        );
        for bad in [
            &b"7 "[..],
            b"abc",
            b"5-abc",
            b"-1",
            b"5-",
            b"5--1",
            b"",
            b"18446744073709551616-1",
            b"1-18446744073709551616",
            b"5-*",
        ] {
            assert!(
                parse_id(bad, 0).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse_id(&[b'1'; 128], 0).is_err());
        assert_eq!(parse_id(b"5\0junk", 0).ok(), Some(id(5, 0)));
    }

    #[test]
    fn strict_ids_refuse_the_ends_and_xadd_takes_ms_star() {
        assert!(parse_strict_id(b"-").is_err());
        assert!(parse_strict_id(b"+").is_err());
        assert_eq!(parse_new_id(b"5-*").ok(), Some(NewId::Ms(5)));
        assert_eq!(parse_new_id(b"5").ok(), Some(NewId::Exact(id(5, 0))));
        assert!(parse_new_id(b"*").is_err());
    }

    #[test]
    fn bounds_may_exclude_their_id() {
        assert_eq!(parse_bound(b"(5", 0).ok(), Some((id(5, 0), true)));
        assert_eq!(
            parse_bound(b"(5", u64::MAX).ok(),
            Some((id(5, u64::MAX), true))
        );
        assert_eq!(parse_bound(b"(", 0).ok(), None);
        assert!(parse_bound(b"(-", 0).is_err());
        assert!(parse_bound(b"(+", 0).is_err());
        assert_eq!(parse_bound(b"-", 0).ok(), Some((StreamId::MIN, false)));
    }
}
