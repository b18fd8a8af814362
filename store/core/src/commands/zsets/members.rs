//! Sorted-set members one by one: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT,
//! ZLEXCOUNT, ZRANK, ZREVRANK, ZRANDMEMBER, ZSCAN.

use std::collections::HashMap;

use bytes::Bytes;
use radish_data::types::zset::score::parse_score;
use radish_data::types::zset::{LexRange, ScoreRange, SortedSet};
use radish_data::Value;

use super::shared::{
    peek_zset, read_zset, remove_if_empty, write_elements, write_score_or_null, zset_mut,
    NAN_SCORE, NOT_FLOAT_RANGE, NOT_LEX_RANGE,
};
use crate::commands::hashes::{empty_scan_reply, parse_random_count, scan_reply, ScanOptions};
use crate::commands::keys::parse_cursor;
use crate::error::{Error, Result};
use crate::exec::args::is;
use crate::exec::ctx::Ctx;
use crate::state::events;

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
fn parse_add_flags(args: &[&[u8]], incr: bool) -> (AddFlags, usize) {
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
fn zadd_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], incr: bool) -> Result {
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
        .map(|pair| parse_score(pair[0]).ok_or(Error::NotFloat))
        .collect::<Result<Vec<f64>>>()?;

    let now = ctx.now;
    let key = args[1];
    let limits = ctx.limits();
    let db = ctx.db();
    let existing = peek_zset(db, key, now)?;
    // Decide every step before changing anything: a NaN fails the whole command, and a
    // command that changes nothing must not count as a write.
    let mut planned: HashMap<&[u8], f64> = HashMap::new();
    let mut steps = Vec::with_capacity(scores.len());
    for (pair, score) in pairs.chunks(2).zip(scores) {
        let member = pair[1];
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
            db.insert(key, Value::SortedSet(created), 0, now);
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
    if added + updated > 0 {
        let event = if flags.incr { "zincr" } else { "zadd" };
        ctx.notify(events::ZSET, event, key);
    }
    ctx.dirty((added + updated) as u64);
    Ok(())
}

pub(super) fn zadd(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    zadd_generic(ctx, args, false)
}

pub(super) fn zincrby(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    zadd_generic(ctx, args, true)
}

pub(super) fn zrem(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let key = args[1];
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
        let deleted = remove_if_empty(db, key, now);
        if removed > 0 {
            ctx.notify(events::ZSET, "zrem", key);
            if deleted {
                ctx.notify(events::GENERIC, "del", key);
            }
        }
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

pub(super) fn zscore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let score = read_zset(db, args[1], now)?.and_then(|z| z.score(args[2]));
    write_score_or_null(reply, score);
    Ok(())
}

pub(super) fn zmscore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let zset = read_zset(db, args[1], now)?;
    reply.array(args.len() - 2);
    for member in &args[2..] {
        write_score_or_null(reply, zset.and_then(|z| z.score(member)));
    }
    Ok(())
}

pub(super) fn zcard(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_zset(db, args[1], now)?.map_or(0, SortedSet::len);
    reply.integer(len as i64);
    Ok(())
}

pub(super) fn zcount(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let range = ScoreRange::parse(args[2], args[3]).ok_or(NOT_FLOAT_RANGE)?;
    let (db, reply, now) = ctx.parts();
    let count = read_zset(db, args[1], now)?
        .and_then(|z| z.score_ranks(&range))
        .map_or(0, |(first, last)| last - first + 1);
    reply.integer(count as i64);
    Ok(())
}

pub(super) fn zlexcount(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let range = LexRange::parse(args[2], args[3]).ok_or(NOT_LEX_RANGE)?;
    let (db, reply, now) = ctx.parts();
    let count = read_zset(db, args[1], now)?.map_or(0, |z| z.lex_count(&range));
    reply.integer(count as i64);
    Ok(())
}

fn rank_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], reverse: bool) -> Result {
    let (db, reply, now) = ctx.parts();
    let rank = read_zset(db, args[1], now)?.and_then(|z| {
        let rank = z.rank(args[2])?;
        Some(if reverse { z.len() - 1 - rank } else { rank })
    });
    match rank {
        Some(rank) => reply.integer(rank as i64),
        None => reply.null(),
    }
    Ok(())
}

pub(super) fn zrank(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    rank_generic(ctx, args, false)
}

pub(super) fn zrevrank(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    rank_generic(ctx, args, true)
}

pub(super) fn zrandmember(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() == 2 {
        let mut rng = ctx.keyspace().rng.clone();
        let (db, reply, now) = ctx.parts();
        let member = read_zset(db, args[1], now)?.and_then(|z| z.random(&mut rng));
        reply.bulk_or_null(member.map(|(m, _)| m));
        ctx.keyspace().rng = rng;
        return Ok(());
    }
    let count = parse_random_count(args[2])?;
    let with_scores = match args.len() {
        3 => false,
        4 if is(args[3], "withscores") => true,
        _ => return Err(Error::Syntax),
    };
    // Two strings per element: Redis keeps the reply length within a long.
    if with_scores && !(i64::MIN / 2..=i64::MAX / 2).contains(&count) {
        return Err(Error::Static("ERR value is out of range"));
    }
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let Some(zset) = read_zset(db, args[1], now)? else {
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
) -> Vec<(&'z [u8], f64)> {
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
    zset.distinct_positions(wanted as usize, rng)
        .into_iter()
        .filter_map(|i| zset.get_index(i))
        .collect()
}

pub(super) fn zscan(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let cursor = parse_cursor(args[2])?;
    let (db, reply, now) = ctx.parts();
    let Some(zset) = read_zset(db, args[1], now)? else {
        empty_scan_reply(reply);
        return Ok(());
    };
    let options = ScanOptions::parse(&args[3..])?;
    let mut found: Vec<Bytes> = Vec::new();
    let next = zset.scan(cursor, options.count, |member, score| {
        if options.matches(member) {
            found.push(Bytes::copy_from_slice(member));
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
}
