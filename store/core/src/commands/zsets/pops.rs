//! Pops: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms BZPOPMIN, BZPOPMAX, BZMPOP.

use bytes::Bytes;
use radish_data::{Db, Millis};
use radish_resp::Version;

use super::shared::{peek_zset, remove_if_empty, write_flat, write_pairs, write_score, zset_mut};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, parse_timeout};
use crate::exec::ctx::{pop_candidates, Ctx};
use crate::state::events;
use crate::state::keyspace::{Pops, TimeoutReply};

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
    let deleted = remove_if_empty(db, key, now);
    if !popped.is_empty() {
        let event = if highest { "zpopmax" } else { "zpopmin" };
        ctx.notify(events::ZSET, event, key);
    }
    if deleted {
        ctx.notify(events::GENERIC, "del", key);
    }
    // ZMPOP and the blocking pops are logged as the plain pop they were.
    let name: &[u8] = if highest { b"ZPOPMAX" } else { b"ZPOPMIN" };
    ctx.propagate(&[name, key, popped.len().to_string().as_bytes()]);
    ctx.dirty(popped.len() as u64);
    popped
}

/// The first of `keys` that exists, which must be a sorted set (later keys are not checked,
/// as in Redis).
fn first_existing<'k>(db: &mut Db, keys: &[&'k [u8]], now: Millis) -> Result<Option<&'k [u8]>> {
    for &key in keys {
        if peek_zset(db, key, now)?.is_some() {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// ZPOPMIN and ZPOPMAX.
fn pop_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], highest: bool) -> Result {
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

pub(super) fn zpopmin(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    pop_generic(ctx, args, false)
}

pub(super) fn zpopmax(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    pop_generic(ctx, args, true)
}

/// BZPOPMIN and BZPOPMAX: pop from the first non-empty key and reply
/// `[key, member, score]`, or block on all the keys.
fn blocking_pop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], highest: bool) -> Result {
    let deadline = parse_timeout(args[args.len() - 1], ctx.now)?;
    let keys = &args[1..args.len() - 1];
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    let ready = ready.as_deref();
    let Some(key) = first_existing(ctx.db(), pop_candidates(&ready, keys), now)? else {
        ctx.block(keys, deadline, TimeoutReply::NullArray, Pops::SortedSet);
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

pub(super) fn bzpopmin(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    blocking_pop(ctx, args, false)
}

pub(super) fn bzpopmax(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    blocking_pop(ctx, args, true)
}

/// ZMPOP's and BZMPOP's arguments from `numkeys` at `numkeys_index`: the keys, MAX or
/// MIN, and COUNT (default 1).
fn parse_mpop<'a>(
    args: &'a [&'a [u8]],
    numkeys_index: usize,
) -> Result<(&'a [&'a [u8]], bool, usize)> {
    let numkeys = parse_int(args[numkeys_index])
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(Error::Static("ERR numkeys should be greater than 0"))?;
    let first_key = numkeys_index + 1;
    let where_index = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(first_key))
        .filter(|i| *i < args.len())
        .ok_or(Error::Syntax)?;
    let highest = if is(args[where_index], "max") {
        true
    } else if is(args[where_index], "min") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let mut count = None;
    let mut j = where_index + 1;
    while j < args.len() {
        if count.is_none() && is(args[j], "count") && j + 1 < args.len() {
            let n = parse_int(args[j + 1])
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

pub(super) fn zmpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (keys, highest, count) = parse_mpop(args, 1)?;
    let now = ctx.now;
    match first_existing(ctx.db(), keys, now)? {
        Some(key) => mpop_reply(ctx, key, highest, count),
        None => ctx.reply.null_array(),
    }
    Ok(())
}

/// BZMPOP: the timeout is checked after the other arguments, as Redis does.
pub(super) fn bzmpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (keys, highest, count) = parse_mpop(args, 2)?;
    let deadline = parse_timeout(args[1], ctx.now)?;
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    let ready = ready.as_deref();
    match first_existing(ctx.db(), pop_candidates(&ready, keys), now)? {
        Some(key) => mpop_reply(ctx, key, highest, count),
        None => ctx.block(keys, deadline, TimeoutReply::NullArray, Pops::SortedSet),
    }
    Ok(())
}
