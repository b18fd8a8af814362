//! Stored points one by one: GEOPOS, GEODIST and GEOHASH.

use radish_data::geo::distance::distance;
use radish_data::geo::format_distance;
use radish_data::geo::hash::{decode_score, geohash_text};

use super::{parse_unit, read_zset, write_position};
use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;

/// `GEOPOS key member ...`: each member's position, or a null array for a missing one.
pub(super) fn geopos(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let zset = read_zset(db, args[1], now)?;
    reply.array(args.len() - 2);
    for member in &args[2..] {
        // Any score decodes (Redis's decodeGeohash cannot fail at 26 steps).
        match zset.and_then(|z| z.score(member)) {
            Some(score) => write_position(reply, decode_score(score)),
            None => reply.null_array(),
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [unit]`: the distance, or null when a member (or the key)
/// is missing. The unit is checked before the key is looked up.
pub(super) fn geodist(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let to_meters = match args.len() {
        4 => 1.0,
        5 => parse_unit(args[4])?,
        _ => return Err(Error::Syntax),
    };
    let (db, reply, now) = ctx.parts();
    let Some(zset) = read_zset(db, args[1], now)? else {
        reply.null();
        return Ok(());
    };
    let (Some(first), Some(second)) = (zset.score(args[2]), zset.score(args[3])) else {
        reply.null();
        return Ok(());
    };
    let [x1, y1] = decode_score(first);
    let [x2, y2] = decode_score(second);
    reply.bulk(format_distance(distance(x1, y1, x2, y2) / to_meters).as_bytes());
    Ok(())
}

/// `GEOHASH key member ...`: each member's standard 11-character geohash, or null.
pub(super) fn geohash(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let zset = read_zset(db, args[1], now)?;
    reply.array(args.len() - 2);
    for member in &args[2..] {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => reply.bulk(&geohash_text(score)),
            None => reply.null(),
        }
    }
    Ok(())
}
