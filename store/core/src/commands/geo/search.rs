//! The searches: GEORADIUS, GEORADIUSBYMEMBER, their `_RO` forms, GEOSEARCH and
//! GEOSEARCHSTORE (Redis's `georadiusGeneric`).
//!
//! Results come in the order the search finds them unless sorted: ASC or DESC, or COUNT
//! without ANY, which sorts nearest first. With STORE, STOREDIST or GEOSEARCHSTORE the
//! results become a sorted set at the destination (their geohashes, or their distances in
//! the search's unit, as scores), and an empty result deletes it.

use radish_data::geo::format_distance;
use radish_data::geo::search::{members_in_shape, sort_by_distance, Found};
use radish_data::types::zset::SortedSet;
use radish_data::Value;

use super::options::{parse, Query, Sort, Variant};
use super::{read_zset, write_position};
use crate::error::Result;
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;
use crate::state::events;

pub(super) fn georadius(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::Radius)
}

pub(super) fn georadius_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::RadiusRo)
}

pub(super) fn georadiusbymember(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::ByMember)
}

pub(super) fn georadiusbymember_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::ByMemberRo)
}

pub(super) fn geosearch(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::Search)
}

pub(super) fn geosearchstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    search_generic(ctx, args, Variant::SearchStore)
}

/// C's conversion of a score to `long long` as WITHHASH prints it (x86-64's truncating
/// conversion: NaN and values out of range give `i64::MIN`).
fn hash_of(score: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if score.is_nan() || !(-TWO_63..TWO_63).contains(&score) {
        i64::MIN
    } else {
        score as i64
    }
}

/// Runs a search: the source is looked up first (WRONGTYPE before any argument error), then
/// the arguments are parsed, then the points are found, sorted and replied or stored.
fn search_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], variant: Variant) -> Result {
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let zset = read_zset(db, args[variant.source_index()], now)?;
    let query = parse(args, variant, zset)?;
    let (Some(zset), Some(shape)) = (zset, query.shape) else {
        // No source: an empty reply, or an empty result stored (deleting the destination).
        match query.store {
            Some(destination) => store(ctx, destination, None, 0, variant),
            None => reply.array(0),
        }
        return Ok(());
    };

    let mut sort = query.sort;
    // Only the nearest make sense with COUNT, unless ANY asks for any of them.
    if query.count != 0 && sort == Sort::None && !query.any {
        sort = Sort::Asc;
    }
    let count = usize::try_from(query.count).unwrap_or(usize::MAX);
    let limit = query.any.then_some(count);
    let mut found = members_in_shape(zset, &shape, limit);
    if found.is_empty() && query.store.is_none() {
        reply.array(0);
        return Ok(());
    }
    let returned = if count == 0 {
        found.len()
    } else {
        found.len().min(count)
    };
    if sort != Sort::None {
        sort_by_distance(&mut found, sort == Sort::Desc, returned);
    }
    found.truncate(returned);
    // Distances in the search's unit.
    for point in &mut found {
        point.distance /= shape.conversion;
    }

    let Some(destination) = query.store else {
        write_results(reply, &found, &query);
        return Ok(());
    };
    let result = (returned > 0).then(|| {
        let mut result = SortedSet::new();
        for point in &found {
            let score = if query.store_dist {
                point.distance
            } else {
                point.score
            };
            result.insert(point.member, score, &limits);
        }
        result
    });
    store(ctx, destination, result, returned, variant);
    Ok(())
}

/// Writes found points with the fields the query asked for: a member alone, or an array
/// of the member, its distance, its geohash and its position, in that order.
fn write_results(reply: &mut Reply<'_>, found: &[Found<'_>], query: &Query<'_>) {
    let fields =
        usize::from(query.with_dist) + usize::from(query.with_hash) + usize::from(query.with_coord);
    reply.array(found.len());
    for point in found {
        if fields > 0 {
            reply.array(fields + 1);
        }
        reply.bulk(point.member);
        if query.with_dist {
            reply.bulk(format_distance(point.distance).as_bytes());
        }
        if query.with_hash {
            reply.integer(hash_of(point.score));
        }
        if query.with_coord {
            write_position(reply, point.position);
        }
    }
}

/// Stores a search's result at `destination`, or deletes it when there is none, and replies
/// with the number of results; each stored result counts as a change, as in Redis.
/// Raises `georadiusstore` or `geosearchstore` (by `variant`), or `del`, as Redis does.
fn store(
    ctx: &mut Ctx<'_, '_>,
    destination: &[u8],
    result: Option<SortedSet>,
    returned: usize,
    variant: Variant,
) {
    let now = ctx.now;
    let db = ctx.db();
    let changes = match result {
        Some(result) => {
            db.insert(destination, Value::SortedSet(result), 0, now);
            let event = match variant {
                Variant::Search | Variant::SearchStore => "geosearchstore",
                _ => "georadiusstore",
            };
            ctx.notify(events::ZSET, event, destination);
            returned as u64
        }
        None => {
            let deleted = db.remove(destination).is_some();
            if deleted {
                ctx.notify(events::GENERIC, "del", destination);
            }
            u64::from(deleted)
        }
    };
    ctx.reply.integer(returned as i64);
    ctx.dirty(changes);
}
