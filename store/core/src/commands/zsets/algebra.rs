//! Sorted-set algebra: ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms, with weights
//! and aggregates.

use std::collections::HashMap;

use bytes::Bytes;
use radish_data::types::set::Set;
use radish_data::types::zset::score::parse_score;
use radish_data::types::zset::SortedSet;
use radish_data::Value;
use radish_data::{Db, Millis};

use super::shared::{store_result, write_elements};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;

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
    key: &'a [u8],
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
    args: &'a [&'a [u8]],
    numkeys_index: usize,
    op: SetOp,
    store: bool,
    cardinality_only: bool,
) -> Result<SetOpQuery<'a>> {
    let numkeys = parse_int(args[numkeys_index])?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(args[0]).to_lowercase();
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
            let limit = parse_int(args[j + 1])
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
    args: &[&[u8]],
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
        let event = match op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        store_result(ctx, args[1], result, event);
    } else {
        let ordered: Vec<(&[u8], f64)> = result.iter().collect();
        write_elements(&mut ctx.reply, &ordered, query.with_scores);
    }
    Ok(())
}

pub(super) fn zunion(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Union, false)
}

pub(super) fn zinter(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Inter, false)
}

pub(super) fn zdiff(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Diff, false)
}

pub(super) fn zintercard(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 1, SetOp::Inter, true)
}

pub(super) fn zunionstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Union, false)
}

pub(super) fn zinterstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Inter, false)
}

pub(super) fn zdiffstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_op_generic(ctx, args, 2, SetOp::Diff, false)
}

#[cfg(test)]
mod tests {
    use super::*;

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
