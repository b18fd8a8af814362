//! What the sorted-set commands share: looking sorted sets up, writing scores and elements
//! in Redis's formats, and its errors.

use bytes::Bytes;
use radish_data::types::zset::score::format_score;
use radish_data::types::zset::SortedSet;
use radish_data::Value;
use radish_data::{Db, Entry, Millis};
use radish_resp::Version;

use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;
use crate::state::events;

pub(super) const NAN_SCORE: Error = Error::Static("ERR resulting score is not a number (NaN)");
pub(super) const NOT_FLOAT_RANGE: Error = Error::Static("ERR min or max is not a float");
pub(super) const NOT_LEX_RANGE: Error = Error::Static("ERR min or max not valid string range item");

/// The sorted set in `entry`, or WRONGTYPE.
pub(super) fn as_zset(entry: &Entry) -> Result<&SortedSet> {
    match &entry.value {
        Value::SortedSet(zset) => Ok(zset),
        _ => Err(Error::WrongType),
    }
}

/// The sorted set at `key` for a read command (counts a keyspace hit or miss): `None` if
/// missing, WRONGTYPE if not a sorted set.
pub(super) fn read_zset<'d>(
    db: &'d mut Db,
    key: &[u8],
    now: Millis,
) -> Result<Option<&'d SortedSet>> {
    db.read(key, now).map(as_zset).transpose()
}

/// The sorted set at `key` for a write command, without counting as a write yet.
pub(super) fn peek_zset<'d>(
    db: &'d mut Db,
    key: &[u8],
    now: Millis,
) -> Result<Option<&'d SortedSet>> {
    db.get(key, now).map(as_zset).transpose()
}

/// The sorted set at `key` for changing it in place (a write for WATCH and blocked clients).
/// Call only after `peek_zset` found one.
pub(super) fn zset_mut<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d mut SortedSet> {
    match &mut db.get_mut(key, now)?.value {
        Value::SortedSet(zset) => Some(zset),
        _ => None,
    }
}

/// Deletes `key` if its sorted set became empty, as Redis does; returns whether it did.
pub(super) fn remove_if_empty(db: &mut Db, key: &[u8], now: Millis) -> bool {
    let empty = db
        .get(key, now)
        .is_some_and(|e| matches!(&e.value, Value::SortedSet(z) if z.is_empty()));
    if empty {
        db.remove(key);
    }
    empty
}

/// Writes a score as Redis 7.0 does: `%.17g` text, as a bulk string in RESP2 and a double
/// in RESP3.
pub(super) fn write_score(reply: &mut Reply<'_>, score: f64) {
    reply.double_text(format_score(score).as_bytes());
}

/// Writes a score, or null.
pub(super) fn write_score_or_null(reply: &mut Reply<'_>, score: Option<f64>) {
    match score {
        Some(score) => write_score(reply, score),
        None => reply.null(),
    }
}

/// Writes elements as ZRANGE does: members alone, or with their scores (flat in RESP2,
/// `[member, score]` pairs in RESP3).
pub(super) fn write_elements<B: AsRef<[u8]>>(
    reply: &mut Reply<'_>,
    elements: &[(B, f64)],
    with_scores: bool,
) {
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
pub(super) fn write_flat(reply: &mut Reply<'_>, elements: &[(Bytes, f64)]) {
    reply.array(elements.len() * 2);
    for (member, score) in elements {
        reply.bulk(member);
        write_score(reply, *score);
    }
}

/// Writes `[member, score]` pairs whatever the protocol (ZMPOP, BZMPOP).
pub(super) fn write_pairs(reply: &mut Reply<'_>, elements: &[(Bytes, f64)]) {
    reply.array(elements.len());
    for (member, score) in elements {
        reply.array(2);
        reply.bulk(member);
        write_score(reply, *score);
    }
}

/// Stores a computed sorted set at `dst` (or deletes `dst` when it is empty) and replies
/// with its size, as the *STORE commands do, raising `event` (or `del`).
pub(super) fn store_result(ctx: &mut Ctx<'_, '_>, dst: &[u8], zset: SortedSet, event: &str) {
    let now = ctx.now;
    let len = zset.len();
    let db = ctx.db();
    let changed = if len > 0 {
        db.insert(dst, Value::SortedSet(zset), 0, now);
        ctx.notify(events::ZSET, event, dst);
        true
    } else {
        let deleted = db.remove(dst).is_some();
        if deleted {
            ctx.notify(events::GENERIC, "del", dst);
        }
        deleted
    };
    ctx.reply.integer(len as i64);
    if changed {
        ctx.dirty(1);
    }
}
