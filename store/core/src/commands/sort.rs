//! SORT and SORT_RO: the elements of a list, set or sorted set, sorted numerically or
//! lexicographically, by themselves or by other keys (`BY weight_*`, `BY h_*->field`), with
//! LIMIT, GET patterns and, for SORT, STORE into a list.
//!
//! The result is Redis 7.0's to the byte, ties included. Redis sorts with glibc's `qsort`, a
//! stable merge sort, which `sort_by` reproduces; but when sorting BY a pattern with a LIMIT
//! that leaves elements out, it uses its own partial quicksort (`pqsort.c`), which is not
//! stable, so `radish_data::pqsort` redoes its exact steps: elements that compare equal (ALPHA
//! with equal or missing BY values) then come out in the same order as in Redis.
//!
//! What cannot match: Redis reads a set in the hashtable encoding, and a sorted set it is to
//! sort (not `BY nosort`), in hash-table order, seeded at random on start-up; here they are
//! read in insertion order and in (score, member) order. That only shows where the result
//! does not fully order the elements: a hashtable set `BY nosort` without STORE, and ties as
//! above. An intset is read in ascending order in both. Redis also converts a small sorted set
//! to the skiplist encoding for good when it sorts it; that would count as a write here
//! (WATCH), so it is not done.

use std::cmp::Ordering;

use radish_data::pqsort::partial_quicksort;

use radish_data::types::list::{End, List};
use radish_data::types::zset::score;
use radish_data::CompactBytes;
use radish_data::Value;
use radish_data::{Db, Millis};

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, range, unknown, Command, GetKeys, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("sort", -2, sort)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SET | SORTEDSET | LIST | DANGEROUS))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS)), unknown(key!(RO | ACCESS)).note("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"), unknown(key!(OW | UPDATE)).note("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")])
        .get_keys(GetKeys::Sort)
        .doc(Group::Generic, "1.0.0", "Sort the elements in a list, set or sorted set"),
    Command::new("sort_ro", -2, sort_ro)
        .flags(flags!(READONLY))
        .acl(acl!(SET | SORTEDSET | LIST | DANGEROUS))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS)), unknown(key!(RO | ACCESS)).note("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")])
        .get_keys(GetKeys::SortRo)
        .doc(Group::Generic, "7.0.0", "Sort the elements in a list, set or sorted set. Read-only variant of SORT."),
];

fn sort(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    sort_generic(ctx, args, true)
}

/// The argument as C sees it: Redis compares SORT's keywords with `strcasecmp`, looks for
/// `*`, `->` and `#` in patterns with C string functions, and collates with `strcoll`, which
/// all stop at the first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |end| &arg[..end])
}

/// SORT's options, as given.
#[derive(Debug, Default)]
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit_start: i64,
    limit_count: i64,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// A BY pattern without `*` was given (`BY nosort`): keep the native order. It stays set
    /// even if a later BY has a `*`, as in Redis.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
}

/// Parses SORT's options left to right, as Redis does: the first problem is the error.
fn parse_options<'a>(args: &'a [&'a [u8]], read_only: bool) -> Result<Options<'a>> {
    let mut options = Options {
        limit_count: -1,
        ..Options::default()
    };
    let mut i = 2;
    while i < args.len() {
        let word = c_str(args[i]);
        let left = args.len() - i - 1;
        if is(word, "asc") {
            options.desc = false;
        } else if is(word, "desc") {
            options.desc = true;
        } else if is(word, "alpha") {
            options.alpha = true;
        } else if is(word, "limit") && left >= 2 {
            options.limit_start = parse_int(args[i + 1])?;
            options.limit_count = parse_int(args[i + 2])?;
            i += 2;
        } else if !read_only && is(word, "store") && left >= 1 {
            options.store = Some(args[i + 1]);
            i += 1;
        } else if is(word, "by") && left >= 1 {
            let pattern = args[i + 1];
            options.by = Some(pattern);
            if !c_str(pattern).contains(&b'*') {
                options.dont_sort = true;
            }
            i += 1;
        } else if is(word, "get") && left >= 1 {
            options.gets.push(args[i + 1]);
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

/// What kind of value is sorted (a missing key sorts as an empty list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    SortedSet,
}

/// One element and what it sorts by.
#[derive(Debug)]
struct Item {
    element: CompactBytes,
    /// Numeric sorts: the element's (or its BY value's) number; 0 when the BY key is missing.
    score: f64,
    /// ALPHA sorts BY a pattern: the BY value, `None` when missing (sorts first).
    by: Option<Vec<u8>>,
}

/// How items compare: Redis's `sortCompare`.
#[derive(Debug, Clone, Copy)]
struct Order {
    desc: bool,
    alpha: bool,
    by_pattern: bool,
    /// With STORE, strings compare as binary; otherwise with `strcoll`, in the collation of
    /// the environment's locale. That is taken to be C or C.UTF-8 (glibc), where `strcoll`
    /// compares the bytes up to the first NUL; another locale (en_US.UTF-8...) would order
    /// ALPHA sorts differently in Redis.
    store: bool,
}

impl Order {
    fn strings(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.store {
            a.cmp(b)
        } else {
            c_str(a).cmp(c_str(b))
        }
    }

    fn compare(&self, a: &Item, b: &Item) -> Ordering {
        let ordering = if !self.alpha {
            // Equal numbers fall back to the elements' bytes, so numeric sorts are total.
            let by_score = a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal);
            by_score.then_with(|| a.element.cmp(&b.element))
        } else if self.by_pattern {
            match (&a.by, &b.by) {
                (Some(x), Some(y)) => self.strings(x, y),
                // A missing BY value sorts before any other; two missing ones are equal.
                (x, y) => x.is_some().cmp(&y.is_some()),
            }
        } else {
            self.strings(&a.element, &b.element)
        };
        if self.desc {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

/// The value `pattern` names for `element`, as Redis's `lookupKeyByPattern`: `#` is the
/// element itself; otherwise the first `*` is replaced by the element to make a key name,
/// whose string value it is, or with `key->field` the field of its hash. `None` when the
/// pattern has no `*`, or the key, its type or the field does not match.
fn lookup_by_pattern(db: &mut Db, pattern: &[u8], element: &[u8], now: Millis) -> Option<Vec<u8>> {
    let text = c_str(pattern);
    if text == b"#" {
        return Some(element.to_vec());
    }
    let star = text.iter().position(|&b| b == b'*')?;
    // A `->` after the star with something after it names a hash field: everything after
    // the arrow, NUL bytes included.
    let arrow = text[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|at| star + 1 + at)
        .filter(|&at| at + 2 < text.len());
    let (suffix_end, field) = match arrow {
        Some(at) => (at, Some(&pattern[at + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..suffix_end]);
    match (field, &db.read(&key, now)?.value) {
        (Some(field), Value::Hash(hash)) => hash.get(field).map(<[u8]>::to_vec),
        (None, Value::String(s)) => Some(s.bytes.to_vec()),
        _ => None,
    }
}

/// A number to sort by, read as Redis does with `strtod`: the text must end after the number
/// (or at a NUL byte), and be neither NaN nor out of range. glibc reports a result that
/// underflows to a subnormal as out of range too, unless it is exact (only a hexadecimal
/// literal can be, in practice).
///
/// Not reproduced: Redis does not clear `errno` before `strtod`, so after one out-of-range
/// number, numeric SORTs of non-integer elements keep failing until something else resets
/// `errno` (a new connection, a command that parses a float).
fn sort_score(text: &[u8]) -> Option<f64> {
    let parsed = score::strtod(text);
    let ends = text.get(parsed.consumed).map_or(true, |&b| b == 0);
    let value = parsed.value;
    let subnormal = value != 0.0 && value.abs() < f64::MIN_POSITIVE;
    let inexact_subnormal = subnormal && !exact_hex_literal(&text[..parsed.consumed]);
    let valid = ends && !parsed.out_of_range && !value.is_nan() && !inexact_subnormal;
    valid.then_some(value)
}

/// True if `text` is a hexadecimal float (`0x1.8p-1070`) whose value is a whole multiple of
/// the smallest subnormal, 2^-1074, so that a subnormal result holds it exactly.
fn exact_hex_literal(text: &[u8]) -> bool {
    let spaces = text
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .count();
    let text = &text[spaces..];
    let text = text
        .strip_prefix(b"-")
        .or(text.strip_prefix(b"+"))
        .unwrap_or(text);
    let Some(rest) = text.strip_prefix(b"0x").or(text.strip_prefix(b"0X")) else {
        return false;
    };
    let mantissa_len = rest
        .iter()
        .position(|&b| b == b'p' || b == b'P')
        .unwrap_or(rest.len());
    let (mantissa, exponent) = rest.split_at(mantissa_len);
    let exponent: i64 = std::str::from_utf8(exponent.get(1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let fraction_digits = mantissa
        .iter()
        .position(|&b| b == b'.')
        .map_or(0, |point| mantissa.len() - point - 1);
    // The value is digits × 2^(exponent − 4 × fraction digits); count the digits' trailing
    // zero bits.
    let mut trailing_zeros: i64 = 0;
    for &b in mantissa.iter().rev().filter(|&&b| b != b'.') {
        let digit = (b as char).to_digit(16).unwrap_or(0);
        if digit != 0 {
            trailing_zeros += i64::from(digit.trailing_zeros());
            break;
        }
        trailing_zeros += 4;
    }
    exponent - 4 * fraction_digits as i64 + trailing_zeros >= -1074
}

fn sort_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], read_only: bool) -> Result {
    let mut options = parse_options(args, read_only)?;
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let (kind, elements): (Kind, Vec<CompactBytes>) = match db.read(args[1], now) {
        None => (Kind::List, Vec::new()),
        Some(entry) => match &entry.value {
            Value::List(list) => (Kind::List, list.iter().map(CompactBytes::new).collect()),
            Value::Set(set) => (
                Kind::Set,
                set.iter()
                    .map(|m| CompactBytes::new(m.as_bytes()))
                    .collect(),
            ),
            Value::SortedSet(zset) => (
                Kind::SortedSet,
                zset.iter().map(|(m, _)| CompactBytes::new(m)).collect(),
            ),
            _ => return Err(Error::WrongType),
        },
    };
    if options.dont_sort && kind == Kind::Set && options.store.is_some() {
        // A set has no order of its own: what is stored (and logged) must not depend on
        // its iteration order, so Redis sorts it.
        options.dont_sort = false;
        options.alpha = true;
        options.by = None;
    }

    // LIMIT, clamped as Redis does: `end` may end up at `start - 1`, for nothing.
    let len = elements.len() as i64;
    let mut start = options.limit_start.max(0).min(len);
    let count = options.limit_count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);

    let mut items: Vec<Item> = elements
        .into_iter()
        .map(|element| Item {
            element,
            score: 0.0,
            by: None,
        })
        .collect();
    if options.dont_sort && kind != Kind::Set {
        // Lists and sorted sets keep their own order, reversed by DESC (a set is not
        // reversed: it is output as iterated).
        if options.desc {
            items.reverse();
        }
    } else if !options.dont_sort {
        let by = options.by;
        let mut convert_error = false;
        for item in &mut items {
            let by_value = match by {
                Some(pattern) => match lookup_by_pattern(db, pattern, &item.element, now) {
                    Some(value) => Some(value),
                    None => continue,
                },
                None => None,
            };
            if options.alpha {
                item.by = by_value;
                continue;
            }
            let text = by_value.as_deref().unwrap_or(&item.element);
            match sort_score(text) {
                Some(score) => item.score = score,
                None => convert_error = true,
            }
        }
        if convert_error {
            return Err(Error::Static(
                "ERR One or more scores can't be converted into double",
            ));
        }
        let order = Order {
            desc: options.desc,
            alpha: options.alpha,
            by_pattern: by.is_some(),
            store: options.store.is_some(),
        };
        if by.is_some() && (start != 0 || end != len - 1) {
            partial_quicksort(&mut items, start, end, &mut |a, b| order.compare(a, b));
        } else {
            items.sort_by(|a, b| order.compare(a, b));
        }
    }

    let selected: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let output_len = selected.len() * options.gets.len().max(1);
    let Some(destination) = options.store else {
        reply.array(output_len);
        for item in selected {
            if options.gets.is_empty() {
                reply.bulk(&item.element);
            }
            for pattern in &options.gets {
                let value = lookup_by_pattern(db, pattern, &item.element, now);
                reply.bulk_or_null(value.as_deref());
            }
        }
        return Ok(());
    };
    let mut list = List::default();
    for item in selected {
        if options.gets.is_empty() {
            list.push(&item.element, End::Right, &limits);
        }
        for pattern in &options.gets {
            // A missing value is stored as an empty string.
            let value = lookup_by_pattern(db, pattern, &item.element, now);
            list.push(value.as_deref().unwrap_or_default(), End::Right, &limits);
        }
    }
    let (changes, event) = if output_len > 0 {
        // Replaces the destination, whatever it held, and its TTL.
        db.insert(destination, Value::List(list), 0, now);
        (output_len as u64, Some((events::LIST, "sortstore")))
    } else {
        // An empty result deletes the destination.
        let deleted = db.remove(destination).is_some();
        (
            u64::from(deleted),
            deleted.then_some((events::GENERIC, "del")),
        )
    };
    reply.integer(output_len as i64);
    if let Some((class, event)) = event {
        ctx.notify(class, event, destination);
    }
    ctx.dirty(changes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_read_like_strtod_with_erange() {
        assert_eq!(sort_score(b"1.5"), Some(1.5));
        assert_eq!(sort_score(b" 2"), Some(2.0));
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"3\0junk"), Some(3.0));
        assert_eq!(sort_score(b"inf"), Some(f64::INFINITY));
        assert_eq!(sort_score(b"0x10"), Some(16.0));
        assert_eq!(sort_score(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(sort_score(b"2 "), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"1e-400"), None);
        assert_eq!(sort_score(b"1e-310"), None);
        assert_eq!(sort_score(b"0x1.1p-1074"), None);
    }
}
