//! Sorted set commands: ZADD and friends, ranges by rank, score and lex (and their removals),
//! pops (blocking ones too), ZUNION/ZINTER/ZDIFF and their STORE forms, ZRANDMEMBER, ZSCAN.
//!
//! Arguments are checked, and keys looked up, in the order Redis 7.0's t_zset.c does, since
//! that order decides which error a client sees. Scores are printed as Redis 7.0 prints
//! them (`%.17g`), which differs from the shortest form `Reply::double` writes.

use std::collections::HashMap;

use bytes::Bytes;
use radish_resp::Version;

use super::hashes::{
    distinct_positions, empty_scan_reply, parse_random_count, scan_reply, ScanOptions,
};
use super::keys::parse_cursor;
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, parse_timeout};
use crate::exec::command::{acl, flags, key, keynum, numkeys, range, Command, Group};
use crate::exec::ctx::{pop_candidates, Ctx};
use crate::exec::reply::Reply;
use crate::state::keyspace::{Pops, TimeoutReply};
use radish_data::types::set::Set;
use radish_data::types::zset::score::{format_score, parse_score};
use radish_data::types::zset::{LexRange, ScoreRange, SortedSet};
use radish_data::Value;
use radish_data::{Db, Entry, Millis};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("zadd", -4, zadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::SortedSet, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists"),
    Command::new("zincrby", 4, zincrby)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::SortedSet, "1.2.0", "Increment the score of a member in a sorted set"),
    Command::new("zrem", -3, zrem)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "1.2.0", "Remove one or more members from a sorted set"),
    Command::new("zscore", 3, zscore)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Get the score associated with the given member in a sorted set"),
    Command::new("zmscore", -3, zmscore)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "6.2.0", "Get the score associated with the given members in a sorted set"),
    Command::new("zcard", 2, zcard)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::SortedSet, "1.2.0", "Get the number of members in a sorted set"),
    Command::new("zcount", 4, zcount)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Count the members in a sorted set with scores within the given values"),
    Command::new("zlexcount", 4, zlexcount)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range"),
    Command::new("zrank", 3, zrank)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Determine the index of a member in a sorted set"),
    Command::new("zrevrank", 3, zrevrank)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    Command::new("zrange", -4, zrange)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Return a range of members in a sorted set"),
    Command::new("zrangestore", -5, zrangestore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), range(2, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "6.2.0", "Store a range of members from sorted set into another key"),
    Command::new("zrevrange", -4, zrevrange)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    Command::new("zrangebyscore", -4, zrangebyscore)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.0.5", "Return a range of members in a sorted set, by score"),
    Command::new("zrevrangebyscore", -4, zrevrangebyscore)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    Command::new("zrangebylex", -4, zrangebylex)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range"),
    Command::new("zrevrangebylex", -4, zrevrangebylex)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    Command::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "2.0.0", "Remove all members in a sorted set within the given indexes"),
    Command::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "1.2.0", "Remove all members in a sorted set within the given scores"),
    Command::new("zremrangebylex", 4, zremrangebylex)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "2.8.9", "Remove all members in a sorted set between the given lexicographical range"),
    Command::new("zpopmin", -2, zpopmin)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return members with the lowest scores in a sorted set"),
    Command::new("zpopmax", -2, zpopmax)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return members with the highest scores in a sorted set"),
    Command::new("bzpopmin", -3, bzpopmin)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    Command::new("bzpopmax", -3, bzpopmax)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    Command::new("zmpop", -4, zmpop)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "7.0.0", "Remove and return members with scores in a sorted set"),
    Command::new("bzmpop", -5, bzmpop)
        .flags(flags!(WRITE | BLOCKING))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 2, 3))
        .doc(Group::SortedSet, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available"),
    Command::new("zunion", -3, zunion)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Add multiple sorted sets"),
    Command::new("zinter", -3, zinter)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Intersect multiple sorted sets"),
    Command::new("zdiff", -3, zdiff)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Subtract multiple sorted sets"),
    Command::new("zintercard", -3, zintercard)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result"),
    Command::new("zunionstore", -4, zunionstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zinterstore", -4, zinterstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zdiffstore", -4, zdiffstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zrandmember", -2, zrandmember)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::SortedSet, "6.2.0", "Get one or multiple random elements from a sorted set"),
    Command::new("zscan", -3, zscan)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::SortedSet, "2.8.0", "Incrementally iterate sorted sets elements and associated scores"),
];

const NAN_SCORE: Error = Error::Static("ERR resulting score is not a number (NaN)");
const NOT_FLOAT_RANGE: Error = Error::Static("ERR min or max is not a float");
const NOT_LEX_RANGE: Error = Error::Static("ERR min or max not valid string range item");

// --- Lookups and replies -------------------------------------------------------------------

/// The sorted set in `entry`, or WRONGTYPE.
fn as_zset(entry: &Entry) -> Result<&SortedSet> {
    match &entry.value {
        Value::SortedSet(zset) => Ok(zset),
        _ => Err(Error::WrongType),
    }
}

/// The sorted set at `key` for a read command (counts a keyspace hit or miss): `None` if
/// missing, WRONGTYPE if not a sorted set.
fn read_zset<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d SortedSet>> {
    db.read(key, now).map(as_zset).transpose()
}

/// The sorted set at `key` for a write command, without counting as a write yet.
fn peek_zset<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d SortedSet>> {
    db.get(key, now).map(as_zset).transpose()
}

/// The sorted set at `key` for changing it in place (a write for WATCH and blocked clients).
/// Call only after `peek_zset` found one.
fn zset_mut<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d mut SortedSet> {
    match &mut db.get_mut(key, now)?.value {
        Value::SortedSet(zset) => Some(zset),
        _ => None,
    }
}

/// Deletes `key` if its sorted set became empty, as Redis does.
fn remove_if_empty(db: &mut Db, key: &[u8], now: Millis) {
    if db
        .get(key, now)
        .is_some_and(|e| matches!(&e.value, Value::SortedSet(z) if z.is_empty()))
    {
        db.remove(key);
    }
}

/// Writes a score as Redis 7.0 does: `%.17g` text, as a bulk string in RESP2 and a double
/// in RESP3.
fn write_score(reply: &mut Reply<'_>, score: f64) {
    let text = format_score(score);
    match reply.version {
        Version::Resp2 => reply.bulk(text.as_bytes()),
        Version::Resp3 => {
            reply.out.extend_from_slice(b",");
            reply.out.extend_from_slice(text.as_bytes());
            reply.out.extend_from_slice(b"\r\n");
        }
    }
}

/// Writes a score, or null.
fn write_score_or_null(reply: &mut Reply<'_>, score: Option<f64>) {
    match score {
        Some(score) => write_score(reply, score),
        None => reply.null(),
    }
}

/// Writes elements as ZRANGE does: members alone, or with their scores (flat in RESP2,
/// `[member, score]` pairs in RESP3).
fn write_elements<B: AsRef<[u8]>>(reply: &mut Reply<'_>, elements: &[(B, f64)], with_scores: bool) {
    let pairs = with_scores && reply.version == Version::Resp3;
    let flat = with_scores && !pairs;
    reply.array(if flat {
        elements.len() * 2
    } else {
        elements.len()
    });
    for (member, score) in elements {
        if pairs {
            reply.array(2);
        }
        reply.bulk(member.as_ref());
        if with_scores {
            write_score(reply, *score);
        }
    }
}

/// Writes `member, score, member, score...` whatever the protocol (ZPOPMIN without a count).
fn write_flat(reply: &mut Reply<'_>, elements: &[(Bytes, f64)]) {
    reply.array(elements.len() * 2);
    for (member, score) in elements {
        reply.bulk(member);
        write_score(reply, *score);
    }
}

/// Writes `[member, score]` pairs whatever the protocol (ZMPOP, BZMPOP).
fn write_pairs(reply: &mut Reply<'_>, elements: &[(Bytes, f64)]) {
    reply.array(elements.len());
    for (member, score) in elements {
        reply.array(2);
        reply.bulk(member);
        write_score(reply, *score);
    }
}

/// Stores a computed sorted set at `dst` (or deletes `dst` when it is empty) and replies
/// with its size, as the *STORE commands do.
fn store_result(ctx: &mut Ctx<'_, '_>, dst: &[u8], zset: SortedSet) {
    let now = ctx.now;
    let len = zset.len();
    let db = ctx.db();
    let changed = if len > 0 {
        db.insert(dst, Value::SortedSet(Box::new(zset)), 0, now);
        true
    } else {
        db.remove(dst).is_some()
    };
    ctx.reply.integer(len as i64);
    if changed {
        ctx.dirty(1);
    }
}

/// Turns a start/end rank pair (negative counts from the end) into an inclusive range of
/// ranks, as Redis does for ZRANGE and ZREMRANGEBYRANK; `None` when empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

// --- ZADD, ZINCRBY, ZREM -------------------------------------------------------------------

/// ZADD's options.
#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
    ch: bool,
}

/// What ZADD does to one element (Redis's `zsetAdd`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum AddStep {
    /// Nothing (NX on a member, XX on a new one, GT/LT refusing the score).
    Skip,
    /// A new member with this score.
    Add(f64),
    /// A new score for an existing member.
    Update(f64),
    /// The member keeps its score, which equals the one given.
    Same(f64),
}

/// Decides one element's step from its current score.
fn add_step(current: Option<f64>, score: f64, flags: &AddFlags) -> Result<AddStep> {
    let Some(current) = current else {
        return Ok(if flags.xx {
            AddStep::Skip
        } else {
            AddStep::Add(score)
        });
    };
    if flags.nx {
        return Ok(AddStep::Skip);
    }
    let score = if flags.incr { current + score } else { score };
    if score.is_nan() {
        return Err(NAN_SCORE);
    }
    if (flags.lt && score >= current) || (flags.gt && score <= current) {
        return Ok(AddStep::Skip);
    }
    Ok(if score != current {
        AddStep::Update(score)
    } else {
        AddStep::Same(score)
    })
}

/// Parses ZADD's leading options; returns them and the index of the first score.
fn parse_add_flags(args: &[Bytes], incr: bool) -> (AddFlags, usize) {
    let mut flags = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut index = 2;
    while let Some(arg) = args.get(index) {
        let flag = if is(arg, "nx") {
            &mut flags.nx
        } else if is(arg, "xx") {
            &mut flags.xx
        } else if is(arg, "ch") {
            &mut flags.ch
        } else if is(arg, "incr") {
            &mut flags.incr
        } else if is(arg, "gt") {
            &mut flags.gt
        } else if is(arg, "lt") {
            &mut flags.lt
        } else {
            break;
        };
        *flag = true;
        index += 1;
    }
    (flags, index)
}

/// ZADD and ZINCRBY (which is ZADD with INCR, options and all, as in Redis).
fn zadd_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], incr: bool) -> Result {
    let (flags, first) = parse_add_flags(args, incr);
    let pairs = &args[first..];
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(Error::Static(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (flags.gt || flags.lt) && (flags.nx || (flags.gt && flags.lt)) {
        return Err(Error::Static(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if flags.incr && pairs.len() > 2 {
        return Err(Error::Static(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|pair| parse_score(&pair[0]).ok_or(Error::NotFloat))
        .collect::<Result<Vec<f64>>>()?;

    let now = ctx.now;
    let key = &args[1][..];
    let limits = ctx.limits();
    let db = ctx.db();
    let existing = peek_zset(db, key, now)?;
    // Decide every step before changing anything: a NaN fails the whole command, and a
    // command that changes nothing must not count as a write.
    let mut planned: HashMap<&[u8], f64> = HashMap::new();
    let mut steps = Vec::with_capacity(scores.len());
    for (pair, score) in pairs.chunks(2).zip(scores) {
        let member = &pair[1][..];
        let current = match planned.get(member) {
            Some(score) => Some(*score),
            None => existing.and_then(|z| z.score(member)),
        };
        let step = add_step(current, score, &flags)?;
        if let AddStep::Add(s) | AddStep::Update(s) = step {
            planned.insert(member, s);
        }
        steps.push((member, step));
    }
    let (mut added, mut updated) = (0, 0);
    if !planned.is_empty() {
        let exists = existing.is_some();
        let mut created = SortedSet::new();
        let zset = if exists {
            zset_mut(db, key, now).ok_or(Error::WrongType)?
        } else {
            &mut created
        };
        for (member, step) in &steps {
            match step {
                AddStep::Add(score) => {
                    zset.insert(member, *score, &limits);
                    added += 1;
                }
                AddStep::Update(score) => {
                    zset.insert(member, *score, &limits);
                    updated += 1;
                }
                AddStep::Skip | AddStep::Same(_) => {}
            }
        }
        if !exists {
            db.insert(key, Value::SortedSet(Box::new(created)), 0, now);
        }
    }
    if flags.incr {
        let score = match steps.last().map(|(_, step)| *step) {
            Some(AddStep::Add(s) | AddStep::Update(s) | AddStep::Same(s)) => Some(s),
            _ => None,
        };
        write_score_or_null(&mut ctx.reply, score);
    } else {
        let count = if flags.ch { added + updated } else { added };
        ctx.reply.integer(count);
    }
    ctx.dirty((added + updated) as u64);
    Ok(())
}

fn zadd(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    zadd_generic(ctx, args, true)
}

fn zrem(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let now = ctx.now;
    let key = &args[1][..];
    let db = ctx.db();
    let Some(zset) = peek_zset(db, key, now)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let present = args[2..].iter().any(|m| zset.score(m).is_some());
    let mut removed = 0;
    if present {
        if let Some(zset) = zset_mut(db, key, now) {
            removed = args[2..]
                .iter()
                .filter(|m| zset.remove(m).is_some())
                .count();
        }
        remove_if_empty(db, key, now);
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

// --- Reads of single members ---------------------------------------------------------------

fn zscore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (db, reply, now) = ctx.parts();
    let score = read_zset(db, &args[1], now)?.and_then(|z| z.score(&args[2]));
    write_score_or_null(reply, score);
    Ok(())
}

fn zmscore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (db, reply, now) = ctx.parts();
    let zset = read_zset(db, &args[1], now)?;
    reply.array(args.len() - 2);
    for member in &args[2..] {
        write_score_or_null(reply, zset.and_then(|z| z.score(member)));
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_zset(db, &args[1], now)?.map_or(0, SortedSet::len);
    reply.integer(len as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let range = ScoreRange::parse(&args[2], &args[3]).ok_or(NOT_FLOAT_RANGE)?;
    let (db, reply, now) = ctx.parts();
    let count = read_zset(db, &args[1], now)?
        .and_then(|z| z.score_ranks(&range))
        .map_or(0, |(first, last)| last - first + 1);
    reply.integer(count as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let range = LexRange::parse(&args[2], &args[3]).ok_or(NOT_LEX_RANGE)?;
    let (db, reply, now) = ctx.parts();
    let count = read_zset(db, &args[1], now)?.map_or(0, |z| z.lex_count(&range));
    reply.integer(count as i64);
    Ok(())
}

fn rank_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], reverse: bool) -> Result {
    let (db, reply, now) = ctx.parts();
    let rank = read_zset(db, &args[1], now)?.and_then(|z| {
        let rank = z.rank(&args[2])?;
        Some(if reverse { z.len() - 1 - rank } else { rank })
    });
    match rank {
        Some(rank) => reply.integer(rank as i64),
        None => reply.null(),
    }
    Ok(())
}

fn zrank(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    rank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    rank_generic(ctx, args, true)
}

// --- ZRANGE and friends --------------------------------------------------------------------

/// How a range is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeBy {
    /// Not said yet (ZRANGE's BYSCORE/BYLEX may follow).
    Auto,
    /// By rank.
    Rank,
    /// By score (BYSCORE).
    Score,
    /// By member (BYLEX).
    Lex,
}

/// A parsed range with its direction, LIMIT and WITHSCORES.
#[derive(Debug, Clone)]
struct RangeQuery {
    spec: RangeSpec,
    reverse: bool,
    offset: i64,
    /// -1 (no LIMIT) or a negative count: no limit.
    limit: i64,
    with_scores: bool,
}

#[derive(Debug, Clone)]
enum RangeSpec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Parses a ZRANGE-family command from its key at `key_index`, as Redis's
/// `zrangeGenericCommand`: options first, then the bounds. `reverse` is `None` while REV
/// may still be given.
fn parse_range(
    args: &[Bytes],
    key_index: usize,
    store: bool,
    mut by: RangeBy,
    mut reverse: Option<bool>,
) -> Result<RangeQuery> {
    let mut with_scores = false;
    let (mut offset, mut limit) = (0, -1);
    let mut j = key_index + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let arg = &args[j];
        if !store && is(arg, "withscores") {
            with_scores = true;
        } else if is(arg, "limit") && left >= 2 {
            offset = parse_int(&args[j + 1])?;
            limit = parse_int(&args[j + 2])?;
            j += 2;
        } else if reverse.is_none() && is(arg, "rev") {
            reverse = Some(true);
        } else if by == RangeBy::Auto && is(arg, "bylex") {
            by = RangeBy::Lex;
        } else if by == RangeBy::Auto && is(arg, "byscore") {
            by = RangeBy::Score;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    let by = if by == RangeBy::Auto {
        RangeBy::Rank
    } else {
        by
    };
    if limit != -1 && by == RangeBy::Rank {
        return Err(Error::Static(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && by == RangeBy::Lex {
        return Err(Error::Static(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut min, mut max) = (&args[key_index + 1], &args[key_index + 2]);
    if reverse && by != RangeBy::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let spec = match by {
        RangeBy::Score => RangeSpec::Score(ScoreRange::parse(min, max).ok_or(NOT_FLOAT_RANGE)?),
        RangeBy::Lex => RangeSpec::Lex(LexRange::parse(min, max).ok_or(NOT_LEX_RANGE)?),
        _ => RangeSpec::Rank(parse_int(min)?, parse_int(max)?),
    };
    Ok(RangeQuery {
        spec,
        reverse,
        offset,
        limit,
        with_scores,
    })
}

/// True while a walk from the first element in range should go on (the other end of the
/// range; a walk by rank counts instead).
fn still_in_range(spec: &RangeSpec, reverse: bool, member: &[u8], score: f64) -> bool {
    match (spec, reverse) {
        (RangeSpec::Score(range), false) => range.below_max(score),
        (RangeSpec::Score(range), true) => range.above_min(score),
        (RangeSpec::Lex(range), false) => range.below_max(member),
        (RangeSpec::Lex(range), true) => range.above_min(member),
        (RangeSpec::Rank(..), _) => true,
    }
}

/// The elements a range query selects, in reply order.
fn select_range(zset: &SortedSet, query: &RangeQuery) -> Vec<(Bytes, f64)> {
    let len = zset.len();
    let reverse = query.reverse;
    let start = match &query.spec {
        RangeSpec::Rank(start, end) => {
            let Some((first, last)) = clamp_ranks(*start, *end, len) else {
                return Vec::new();
            };
            let start = if reverse { len - 1 - first } else { first };
            let elements = zset.iter_from(start, reverse).take(last - first + 1);
            return elements.map(|(m, s)| (m.clone(), s)).collect();
        }
        RangeSpec::Score(range) => {
            if query.offset > 0 && query.offset as u64 >= len as u64 {
                return Vec::new();
            }
            let bounds = zset.score_ranks(range);
            bounds.map(|(first, last)| if reverse { last } else { first })
        }
        RangeSpec::Lex(range) if reverse => zset.lex_last(range),
        RangeSpec::Lex(range) => zset.lex_first(range),
    };
    // Redis walks `offset` elements before the first reply: a negative offset walks off the
    // end. Moving by rank gets to the same element in O(log n).
    let Some(start) = start else {
        return Vec::new();
    };
    let Ok(offset) = usize::try_from(query.offset) else {
        return Vec::new();
    };
    let start = if reverse {
        start.checked_sub(offset)
    } else {
        start.checked_add(offset).filter(|s| *s < len)
    };
    let Some(start) = start else {
        return Vec::new();
    };
    let limit = usize::try_from(query.limit).unwrap_or(usize::MAX);
    zset.iter_from(start, reverse)
        .take_while(|(member, score)| still_in_range(&query.spec, reverse, member, *score))
        .take(limit)
        .map(|(m, s)| (m.clone(), s))
        .collect()
}

/// ZRANGE, ZREVRANGE, ZRANGEBYSCORE... (`key_index` 1) and ZRANGESTORE (`key_index` 2, the
/// destination at 1).
fn range_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &[Bytes],
    key_index: usize,
    by: RangeBy,
    reverse: Option<bool>,
) -> Result {
    let store = key_index == 2;
    let query = parse_range(args, key_index, store, by, reverse)?;
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let selected = match read_zset(db, &args[key_index], now)? {
        Some(zset) => select_range(zset, &query),
        None => Vec::new(),
    };
    if !store {
        write_elements(reply, &selected, query.with_scores);
        return Ok(());
    }
    // Redis starts a large rank range as a skiplist, anything else as a listpack.
    let large = matches!(query.spec, RangeSpec::Rank(..)) && selected.len() > limits.zset_entries;
    let mut result = if large {
        SortedSet::new_skiplist()
    } else {
        SortedSet::new()
    };
    for (member, score) in &selected {
        result.insert(member, *score, &limits);
    }
    store_result(ctx, &args[1], result);
    Ok(())
}

fn zrange(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Auto, None)
}

fn zrangestore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 2, RangeBy::Auto, None)
}

fn zrevrange(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Rank, Some(true))
}

fn zrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Score, Some(false))
}

fn zrevrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Score, Some(true))
}

fn zrangebylex(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Lex, Some(false))
}

fn zrevrangebylex(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Lex, Some(true))
}

// --- ZREMRANGEBY* --------------------------------------------------------------------------

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX: the range is checked before the key.
fn remrange_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], by: RangeBy) -> Result {
    let spec = match by {
        RangeBy::Score => {
            RangeSpec::Score(ScoreRange::parse(&args[2], &args[3]).ok_or(NOT_FLOAT_RANGE)?)
        }
        RangeBy::Lex => RangeSpec::Lex(LexRange::parse(&args[2], &args[3]).ok_or(NOT_LEX_RANGE)?),
        _ => RangeSpec::Rank(parse_int(&args[2])?, parse_int(&args[3])?),
    };
    let now = ctx.now;
    let key = &args[1][..];
    let db = ctx.db();
    let ranks = match peek_zset(db, key, now)? {
        None => None,
        Some(zset) => match &spec {
            RangeSpec::Rank(start, end) => clamp_ranks(*start, *end, zset.len()),
            RangeSpec::Score(range) => zset.score_ranks(range),
            RangeSpec::Lex(range) => zset.lex_ranks(range),
        },
    };
    let mut removed = 0;
    if let Some((first, last)) = ranks {
        if let Some(zset) = zset_mut(db, key, now) {
            removed = zset.remove_ranks(first, last);
        }
        remove_if_empty(db, key, now);
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

fn zremrangebyrank(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    remrange_generic(ctx, args, RangeBy::Rank)
}

fn zremrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    remrange_generic(ctx, args, RangeBy::Score)
}

fn zremrangebylex(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    remrange_generic(ctx, args, RangeBy::Lex)
}

// --- Pops ----------------------------------------------------------------------------------

/// Pops up to `count` elements from the sorted set at `key` (which must exist), deleting the
/// key when it empties.
fn pop_from(ctx: &mut Ctx<'_, '_>, key: &[u8], highest: bool, count: usize) -> Vec<(Bytes, f64)> {
    let now = ctx.now;
    let db = ctx.db();
    let mut popped = Vec::new();
    if let Some(zset) = zset_mut(db, key, now) {
        while popped.len() < count {
            match zset.pop(highest) {
                Some(element) => popped.push(element),
                None => break,
            }
        }
    }
    remove_if_empty(db, key, now);
    // ZMPOP and the blocking pops are logged as the plain pop they were.
    let name: &[u8] = if highest { b"ZPOPMAX" } else { b"ZPOPMIN" };
    ctx.propagate(&[name, key, popped.len().to_string().as_bytes()]);
    ctx.dirty(popped.len() as u64);
    popped
}

/// The first of `keys` that exists, which must be a sorted set (later keys are not checked,
/// as in Redis).
fn first_existing<'k>(db: &mut Db, keys: &'k [Bytes], now: Millis) -> Result<Option<&'k Bytes>> {
    for key in keys {
        if peek_zset(db, key, now)?.is_some() {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// ZPOPMIN and ZPOPMAX.
fn pop_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], highest: bool) -> Result {
    if args.len() > 3 {
        return Err(Error::Syntax);
    }
    let count = match args.get(2) {
        Some(arg) => Some(
            parse_int(arg)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(Error::Static("ERR value is out of range, must be positive"))?,
        ),
        None => None,
    };
    // Only an explicit count gets pairs in RESP3.
    let pairs = count.is_some() && ctx.reply.version == Version::Resp3;
    let now = ctx.now;
    let key = &args[1];
    if peek_zset(ctx.db(), key, now)?.is_none() || count == Some(0) {
        ctx.reply.array(0);
        return Ok(());
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    let popped = pop_from(ctx, key, highest, count);
    if pairs {
        write_pairs(&mut ctx.reply, &popped);
    } else {
        write_flat(&mut ctx.reply, &popped);
    }
    Ok(())
}

fn zpopmin(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    pop_generic(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    pop_generic(ctx, args, true)
}

/// BZPOPMIN and BZPOPMAX: pop from the first non-empty key and reply
/// `[key, member, score]`, or block on all the keys.
fn blocking_pop(ctx: &mut Ctx<'_, '_>, args: &[Bytes], highest: bool) -> Result {
    let deadline = parse_timeout(&args[args.len() - 1], ctx.now)?;
    let keys = &args[1..args.len() - 1];
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    let Some(key) = first_existing(ctx.db(), pop_candidates(&ready, keys), now)? else {
        ctx.block(
            keys.to_vec(),
            deadline,
            TimeoutReply::NullArray,
            Pops::SortedSet,
        );
        return Ok(());
    };
    let popped = pop_from(ctx, key, highest, 1);
    ctx.reply.array(1 + 2 * popped.len());
    ctx.reply.bulk(key);
    for (member, score) in &popped {
        ctx.reply.bulk(member);
        write_score(&mut ctx.reply, *score);
    }
    Ok(())
}

fn bzpopmin(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    blocking_pop(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    blocking_pop(ctx, args, true)
}

/// ZMPOP's and BZMPOP's arguments from `numkeys` at `numkeys_index`: the keys, MAX or
/// MIN, and COUNT (default 1).
fn parse_mpop(args: &[Bytes], numkeys_index: usize) -> Result<(&[Bytes], bool, usize)> {
    let numkeys = parse_int(&args[numkeys_index])
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(Error::Static("ERR numkeys should be greater than 0"))?;
    let first_key = numkeys_index + 1;
    let where_index = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(first_key))
        .filter(|i| *i < args.len())
        .ok_or(Error::Syntax)?;
    let highest = if is(&args[where_index], "max") {
        true
    } else if is(&args[where_index], "min") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let mut count = None;
    let mut j = where_index + 1;
    while j < args.len() {
        if count.is_none() && is(&args[j], "count") && j + 1 < args.len() {
            let n = parse_int(&args[j + 1])
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(Error::Static("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((&args[first_key..where_index], highest, count.unwrap_or(1)))
}

/// Pops from `key` and replies `[key, [[member, score], ...]]`.
fn mpop_reply(ctx: &mut Ctx<'_, '_>, key: &[u8], highest: bool, count: usize) {
    let popped = pop_from(ctx, key, highest, count);
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    write_pairs(&mut ctx.reply, &popped);
}

fn zmpop(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (keys, highest, count) = parse_mpop(args, 1)?;
    let now = ctx.now;
    match first_existing(ctx.db(), keys, now)? {
        Some(key) => mpop_reply(ctx, key, highest, count),
        None => ctx.reply.null_array(),
    }
    Ok(())
}

/// BZMPOP: the timeout is checked after the other arguments, as Redis does.
fn bzmpop(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (keys, highest, count) = parse_mpop(args, 2)?;
    let deadline = parse_timeout(&args[1], ctx.now)?;
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    match first_existing(ctx.db(), pop_candidates(&ready, keys), now)? {
        Some(key) => mpop_reply(ctx, key, highest, count),
        None => ctx.block(
            keys.to_vec(),
            deadline,
            TimeoutReply::NullArray,
            Pops::SortedSet,
        ),
    }
    Ok(())
}

// --- ZUNION, ZINTER, ZDIFF -----------------------------------------------------------------

/// Which set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// How scores of the same member combine (AGGREGATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`: a sum of opposite infinities is 0.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// A weighted score, where 0 * inf counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let value = score * weight;
    if value.is_nan() {
        0.0
    } else {
        value
    }
}

/// One input key: a sorted set, or a set whose members all score 1.
#[derive(Debug, Clone)]
struct Input<'a> {
    key: &'a Bytes,
    weight: f64,
    len: usize,
}

/// A looked-up input.
enum Source<'d> {
    Zset(&'d SortedSet),
    Set(&'d Set),
}

impl Source<'_> {
    fn for_each(&self, mut visit: impl FnMut(&[u8], f64)) {
        match self {
            Source::Zset(zset) => zset.iter().for_each(|(m, s)| visit(m, s)),
            Source::Set(set) => set.iter().for_each(|m| visit(m.as_bytes(), 1.0)),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Zset(zset) => zset.score(member),
            Source::Set(set) => set.contains(member).then_some(1.0),
        }
    }
}

/// The input at `key` (already type-checked), if it exists.
fn lookup_source<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<Source<'d>> {
    match &db.get(key, now)?.value {
        Value::SortedSet(zset) => Some(Source::Zset(zset)),
        Value::Set(set) => Some(Source::Set(set)),
        _ => None,
    }
}

/// The parsed arguments of a set operation.
struct SetOpQuery<'a> {
    inputs: Vec<Input<'a>>,
    aggregate: Aggregate,
    with_scores: bool,
    limit: usize,
}

/// Parses `numkeys key... [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES] [LIMIT n]` from
/// `numkeys_index`, looking the keys up (WRONGTYPE) before reading the options, as Redis.
fn parse_set_op<'a>(
    ctx: &mut Ctx<'_, '_>,
    args: &'a [Bytes],
    numkeys_index: usize,
    op: SetOp,
    store: bool,
    cardinality_only: bool,
) -> Result<SetOpQuery<'a>> {
    let numkeys = parse_int(&args[numkeys_index])?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(&args[0]).to_lowercase();
        return Err(Error::Message(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let first_key = numkeys_index + 1;
    if numkeys as u64 > (args.len() - first_key) as u64 {
        return Err(Error::Syntax);
    }
    let numkeys = numkeys as usize;
    let now = ctx.now;
    let db = ctx.db();
    let mut inputs = Vec::with_capacity(numkeys);
    for key in &args[first_key..first_key + numkeys] {
        let len = match db.read(key, now).map(|e| &e.value) {
            None => 0,
            Some(Value::SortedSet(zset)) => zset.len(),
            Some(Value::Set(set)) => set.len(),
            Some(_) => return Err(Error::WrongType),
        };
        inputs.push(Input {
            key,
            weight: 1.0,
            len,
        });
    }
    let mut query = SetOpQuery {
        inputs,
        aggregate: Aggregate::Sum,
        with_scores: false,
        limit: 0,
    };
    let mut j = first_key + numkeys;
    while j < args.len() {
        let remaining = args.len() - j;
        let arg = &args[j];
        let combines = op != SetOp::Diff && !cardinality_only;
        if combines && remaining > numkeys && is(arg, "weights") {
            for (input, weight) in query.inputs.iter_mut().zip(&args[j + 1..]) {
                input.weight =
                    parse_score(weight).ok_or(Error::Static("ERR weight value is not a float"))?;
            }
            j += 1 + numkeys;
        } else if combines && remaining >= 2 && is(arg, "aggregate") {
            let which = &args[j + 1];
            query.aggregate = if is(which, "sum") {
                Aggregate::Sum
            } else if is(which, "min") {
                Aggregate::Min
            } else if is(which, "max") {
                Aggregate::Max
            } else {
                return Err(Error::Syntax);
            };
            j += 2;
        } else if !store && !cardinality_only && is(arg, "withscores") {
            query.with_scores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && is(arg, "limit") {
            let limit = parse_int(&args[j + 1])
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(Error::Static("ERR LIMIT can't be negative"))?;
            query.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(query)
}

/// The union, by member, in first-seen order.
fn union(
    db: &mut Db,
    inputs: &[Input<'_>],
    aggregate: Aggregate,
    now: Millis,
) -> Vec<(Bytes, f64)> {
    let mut index: HashMap<Bytes, usize> = HashMap::new();
    let mut result: Vec<(Bytes, f64)> = Vec::new();
    for input in inputs {
        let Some(source) = lookup_source(db, input.key, now) else {
            continue;
        };
        source.for_each(|member, score| {
            let value = weighted(score, input.weight);
            match index.get(member) {
                Some(&i) => aggregate.apply(&mut result[i].1, value),
                None => {
                    let member = Bytes::copy_from_slice(member);
                    index.insert(member.clone(), result.len());
                    result.push((member, value));
                }
            }
        });
    }
    result
}

/// The intersection: the smallest input's members found in every other input.
fn inter(
    db: &mut Db,
    inputs: &[Input<'_>],
    aggregate: Aggregate,
    now: Millis,
) -> Vec<(Bytes, f64)> {
    let Some(first) = inputs.first() else {
        return Vec::new();
    };
    // (member, combined score, score in the first input)
    let mut candidates: Vec<(Bytes, f64, f64)> = Vec::new();
    if let Some(source) = lookup_source(db, first.key, now) {
        source.for_each(|member, score| {
            let combined = weighted(score, first.weight);
            candidates.push((Bytes::copy_from_slice(member), combined, score));
        });
    }
    for input in &inputs[1..] {
        if candidates.is_empty() {
            break;
        }
        let Some(source) = lookup_source(db, input.key, now) else {
            candidates.clear();
            break;
        };
        let same_key = input.key == first.key;
        candidates.retain_mut(|(member, combined, original)| {
            let score = if same_key {
                Some(*original)
            } else {
                source.score(member)
            };
            match score {
                Some(score) => {
                    aggregate.apply(combined, score * input.weight);
                    true
                }
                None => false,
            }
        });
    }
    candidates
        .into_iter()
        .map(|(m, combined, _)| (m, combined))
        .collect()
}

/// The difference: the first input's members found in no other input, with their scores.
fn diff(db: &mut Db, inputs: &[Input<'_>], now: Millis) -> Vec<(Bytes, f64)> {
    let Some(first) = inputs.first() else {
        return Vec::new();
    };
    let mut candidates: Vec<(Bytes, f64)> = Vec::new();
    if let Some(source) = lookup_source(db, first.key, now) {
        source.for_each(|member, score| candidates.push((Bytes::copy_from_slice(member), score)));
    }
    for input in &inputs[1..] {
        if candidates.is_empty() {
            break;
        }
        if input.key == first.key {
            candidates.clear();
            break;
        }
        if let Some(source) = lookup_source(db, input.key, now) {
            candidates.retain(|(member, _)| source.score(member).is_none());
        }
    }
    candidates
}

/// ZUNION, ZINTER, ZDIFF, their STORE forms (destination at `args[1]`) and ZINTERCARD.
fn set_op_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &[Bytes],
    numkeys_index: usize,
    op: SetOp,
    cardinality_only: bool,
) -> Result {
    let store = numkeys_index == 2;
    let mut query = parse_set_op(ctx, args, numkeys_index, op, store, cardinality_only)?;
    // Redis combines inputs from the smallest up (a stable sort), which fixes the order of
    // floating-point sums.
    if op != SetOp::Diff {
        query.inputs.sort_by_key(|input| input.len);
    }
    let now = ctx.now;
    let db = ctx.db();
    let elements = match op {
        SetOp::Union => union(db, &query.inputs, query.aggregate, now),
        SetOp::Inter => inter(db, &query.inputs, query.aggregate, now),
        SetOp::Diff => diff(db, &query.inputs, now),
    };
    if cardinality_only {
        let count = match query.limit {
            0 => elements.len(),
            limit => elements.len().min(limit),
        };
        ctx.reply.integer(count as i64);
        return Ok(());
    }
    let limits = ctx.limits();
    let mut result = SortedSet::new_skiplist();
    for (member, score) in &elements {
        result.insert(member, *score, &limits);
    }
    if store {
        result.shrink_encoding(&limits);
        store_result(ctx, &args[1], result);
    } else {
        let ordered: Vec<(&Bytes, f64)> = result.iter().collect();
        write_elements(&mut ctx.reply, &ordered, query.with_scores);
    }
    Ok(())
}

fn zunion(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Diff, false)
}

fn zintercard(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Inter, true)
}

fn zunionstore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Union, false)
}

fn zinterstore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Inter, false)
}

fn zdiffstore(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Diff, false)
}

// --- ZRANDMEMBER, ZSCAN --------------------------------------------------------------------

fn zrandmember(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    if args.len() == 2 {
        let mut rng = ctx.keyspace().rng.clone();
        let (db, reply, now) = ctx.parts();
        let member = read_zset(db, &args[1], now)?.and_then(|z| z.random(&mut rng));
        reply.bulk_or_null(member.map(|(m, _)| &m[..]));
        ctx.keyspace().rng = rng;
        return Ok(());
    }
    let count = parse_random_count(&args[2])?;
    let with_scores = match args.len() {
        3 => false,
        4 if is(&args[3], "withscores") => true,
        _ => return Err(Error::Syntax),
    };
    // Two strings per element: Redis keeps the reply length within a long.
    if with_scores && !(i64::MIN / 2..=i64::MAX / 2).contains(&count) {
        return Err(Error::Static("ERR value is out of range"));
    }
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let Some(zset) = read_zset(db, &args[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    let picked = random_elements(zset, count, &mut rng);
    write_elements(reply, &picked, with_scores);
    ctx.keyspace().rng = rng;
    Ok(())
}

/// ZRANDMEMBER's picks: a negative count allows repeats; a count covering the whole set
/// returns it all, from the highest score down, as Redis does.
fn random_elements<'z>(
    zset: &'z SortedSet,
    count: i64,
    rng: &mut radish_data::Rng,
) -> Vec<(&'z Bytes, f64)> {
    let len = zset.len();
    let wanted = count.unsigned_abs();
    if wanted == 0 || len == 0 {
        return Vec::new();
    }
    if count < 0 || wanted == 1 {
        let wanted = usize::try_from(wanted).unwrap_or(usize::MAX);
        return (0..wanted).filter_map(|_| zset.random(rng)).collect();
    }
    if wanted >= len as u64 {
        return zset.iter_rev().collect();
    }
    distinct_positions(len, wanted as usize, rng)
        .into_iter()
        .filter_map(|i| zset.get_index(i))
        .collect()
}

fn zscan(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let cursor = parse_cursor(&args[2])?;
    let (db, reply, now) = ctx.parts();
    let Some(zset) = read_zset(db, &args[1], now)? else {
        empty_scan_reply(reply);
        return Ok(());
    };
    let options = ScanOptions::parse(&args[3..])?;
    let mut found: Vec<Bytes> = Vec::new();
    let next = zset.scan(cursor, options.count, |member, score| {
        if options.matches(member) {
            found.push(member.clone());
            found.push(Bytes::from(zset.scan_text(score)));
        }
    });
    scan_reply(reply, next, &found);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_steps_follow_zset_add() {
        let plain = AddFlags::default();
        assert_eq!(add_step(None, 1.0, &plain), Ok(AddStep::Add(1.0)));
        assert_eq!(add_step(Some(1.0), 1.0, &plain), Ok(AddStep::Same(1.0)));
        assert_eq!(add_step(Some(1.0), 2.0, &plain), Ok(AddStep::Update(2.0)));
        let xx = AddFlags { xx: true, ..plain };
        assert_eq!(add_step(None, 1.0, &xx), Ok(AddStep::Skip));
        let nx = AddFlags { nx: true, ..plain };
        assert_eq!(add_step(Some(1.0), 5.0, &nx), Ok(AddStep::Skip));
        let gt = AddFlags { gt: true, ..plain };
        assert_eq!(add_step(Some(3.0), 2.0, &gt), Ok(AddStep::Skip));
        assert_eq!(add_step(Some(3.0), 4.0, &gt), Ok(AddStep::Update(4.0)));
        assert_eq!(add_step(None, 2.0, &gt), Ok(AddStep::Add(2.0)));
        let incr = AddFlags {
            incr: true,
            ..plain
        };
        assert_eq!(add_step(Some(3.0), 4.0, &incr), Ok(AddStep::Update(7.0)));
        assert_eq!(
            add_step(Some(f64::INFINITY), f64::NEG_INFINITY, &incr),
            Err(NAN_SCORE)
        );
        let incr_lt = AddFlags { lt: true, ..incr };
        assert_eq!(add_step(Some(3.0), 1.0, &incr_lt), Ok(AddStep::Skip));
    }

    #[test]
    fn rank_ranges_clamp_like_redis() {
        assert_eq!(clamp_ranks(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_ranks(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_ranks(3, 1, 5), None);
        assert_eq!(clamp_ranks(5, 10, 5), None);
        assert_eq!(clamp_ranks(-2, -1, 5), Some((3, 4)));
        assert_eq!(clamp_ranks(0, -6, 5), None);
        assert_eq!(clamp_ranks(i64::MIN, i64::MAX, 5), Some((0, 4)));
    }

    #[test]
    fn aggregates_turn_nan_sums_into_zero() {
        let mut total = f64::INFINITY;
        Aggregate::Sum.apply(&mut total, f64::NEG_INFINITY);
        assert_eq!(total, 0.0);
        let mut low = 2.0;
        Aggregate::Min.apply(&mut low, 1.0);
        assert_eq!(low, 1.0);
        Aggregate::Max.apply(&mut low, 3.0);
        assert_eq!(low, 3.0);
        assert_eq!(weighted(f64::INFINITY, 0.0), 0.0);
    }
}
