//! Ranges of a sorted set, by rank, score or lex: ZRANGE and its older forms, ZRANGESTORE,
//! and the ZREMRANGEBY* removals.

use radish_data::types::clamp_range;
use radish_data::types::zset::{LexRange, ScoreRange, SortedSet};

use super::shared::{
    peek_zset, read_zset, remove_if_empty, store_result, write_elements, zset_mut, NOT_FLOAT_RANGE,
    NOT_LEX_RANGE,
};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;
use crate::state::events;

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
    args: &[&[u8]],
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
            offset = parse_int(args[j + 1])?;
            limit = parse_int(args[j + 2])?;
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
fn select_range<'z>(zset: &'z SortedSet, query: &RangeQuery) -> Vec<(&'z [u8], f64)> {
    let len = zset.len();
    let reverse = query.reverse;
    let start = match &query.spec {
        RangeSpec::Rank(start, end) => {
            let Some((first, last)) = clamp_range(len, *start, *end) else {
                return Vec::new();
            };
            let start = if reverse { len - 1 - first } else { first };
            let elements = zset.iter_from(start, reverse).take(last - first + 1);
            return elements.collect();
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
        .collect()
}

/// ZRANGE, ZREVRANGE, ZRANGEBYSCORE... (`key_index` 1) and ZRANGESTORE (`key_index` 2, the
/// destination at 1).
fn range_generic(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
    key_index: usize,
    by: RangeBy,
    reverse: Option<bool>,
) -> Result {
    let store = key_index == 2;
    let query = parse_range(args, key_index, store, by, reverse)?;
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let selected = match read_zset(db, args[key_index], now)? {
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
    store_result(ctx, args[1], result, "zrangestore");
    Ok(())
}

pub(super) fn zrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Auto, None)
}

pub(super) fn zrangestore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 2, RangeBy::Auto, None)
}

pub(super) fn zrevrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Rank, Some(true))
}

pub(super) fn zrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Score, Some(false))
}

pub(super) fn zrevrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Score, Some(true))
}

pub(super) fn zrangebylex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Lex, Some(false))
}

pub(super) fn zrevrangebylex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range_generic(ctx, args, 1, RangeBy::Lex, Some(true))
}

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX: the range is checked before the key.
fn remrange_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], by: RangeBy) -> Result {
    let spec = match by {
        RangeBy::Score => {
            RangeSpec::Score(ScoreRange::parse(args[2], args[3]).ok_or(NOT_FLOAT_RANGE)?)
        }
        RangeBy::Lex => RangeSpec::Lex(LexRange::parse(args[2], args[3]).ok_or(NOT_LEX_RANGE)?),
        _ => RangeSpec::Rank(parse_int(args[2])?, parse_int(args[3])?),
    };
    let now = ctx.now;
    let key = args[1];
    let db = ctx.db();
    let ranks = match peek_zset(db, key, now)? {
        None => None,
        Some(zset) => match &spec {
            RangeSpec::Rank(start, end) => clamp_range(zset.len(), *start, *end),
            RangeSpec::Score(range) => zset.score_ranks(range),
            RangeSpec::Lex(range) => zset.lex_ranks(range),
        },
    };
    let mut removed = 0;
    if let Some((first, last)) = ranks {
        if let Some(zset) = zset_mut(db, key, now) {
            removed = zset.remove_ranks(first, last);
        }
        let deleted = remove_if_empty(db, key, now);
        if removed > 0 {
            let event = match by {
                RangeBy::Score => "zremrangebyscore",
                RangeBy::Lex => "zremrangebylex",
                _ => "zremrangebyrank",
            };
            ctx.notify(events::ZSET, event, key);
            if deleted {
                ctx.notify(events::GENERIC, "del", key);
            }
        }
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

pub(super) fn zremrangebyrank(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    remrange_generic(ctx, args, RangeBy::Rank)
}

pub(super) fn zremrangebyscore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    remrange_generic(ctx, args, RangeBy::Score)
}

pub(super) fn zremrangebylex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    remrange_generic(ctx, args, RangeBy::Lex)
}
