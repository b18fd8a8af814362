//! XCLAIM and XAUTOCLAIM: pending entries change hands.

use radish_data::types::stream::{ClaimOptions, Claimed, StreamId};

use super::ids::{parse_bound, parse_strict_id};
use super::stream_mut_unwatched;
use super::write_entry;
use super::{as_stream, log_group_id, log_pending, log_pending_ids, no_group, read_stream};
use crate::error::{Error, Result};
use crate::exec::args::is;
use crate::exec::ctx::Ctx;
use crate::state::events;
use radish_resp::number::parse_i64_strict;

/// An integer option of XCLAIM or XAUTOCLAIM, with the error Redis gives for it.
fn parse_option(arg: &[u8], error: &'static str) -> Result<i64> {
    parse_i64_strict(arg).ok_or(Error::Static(error))
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms-unix-time]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
///
/// The key and group are looked up first; the IDs run up to the first argument that is not
/// one, the options follow.
pub(super) fn xclaim(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (key, group, consumer, now) = (args[1], args[2], args[3], ctx.now);
    ctx.propagate_only_explicitly();
    let stream = read_stream(ctx.db(), key, now)?;
    let Some(last_id) = stream.and_then(|s| s.group(group)).map(|g| g.last_id) else {
        return Err(no_group(key, group));
    };
    let min_idle = parse_option(args[4], "ERR Invalid min-idle-time argument for XCLAIM")?;
    let ids: Vec<StreamId> = args[5..]
        .iter()
        .map_while(|arg| parse_strict_id(arg).ok())
        .collect();
    let mut options = ClaimOptions {
        min_idle: min_idle.max(0) as u64,
        delivered_at: now,
        retry_count: None,
        force: false,
        just_id: false,
    };
    let mut delivered_at = None;
    let mut new_last_id = StreamId::MIN;
    let mut i = 5 + ids.len();
    while i < args.len() {
        let option = args[i];
        let value = args.get(i + 1).copied();
        match value {
            _ if is(option, "force") => options.force = true,
            _ if is(option, "justid") => options.just_id = true,
            Some(value) if is(option, "idle") => {
                let idle = parse_option(value, "ERR Invalid IDLE option argument for XCLAIM")?;
                delivered_at = Some(now as i64 - idle);
                i += 1;
            }
            Some(value) if is(option, "time") => {
                delivered_at = Some(parse_option(
                    value,
                    "ERR Invalid TIME option argument for XCLAIM",
                )?);
                i += 1;
            }
            Some(value) if is(option, "retrycount") => {
                let count =
                    parse_option(value, "ERR Invalid RETRYCOUNT option argument for XCLAIM")?;
                // A negative count counts as not given.
                options.retry_count = u64::try_from(count).ok();
                i += 1;
            }
            Some(value) if is(option, "lastid") => {
                new_last_id = parse_strict_id(value)?;
                i += 1;
            }
            _ => {
                return Err(Error::Message(format!(
                    "ERR Unrecognized XCLAIM option '{}'",
                    String::from_utf8_lossy(option)
                )))
            }
        }
        i += 1;
    }
    // A delivery time in the future or before 1970 is taken as now, as Redis does.
    options.delivered_at = match delivered_at {
        Some(at) if (0..=now as i64).contains(&at) => at as u64,
        _ => now,
    };
    let stream = stream_mut_unwatched(ctx.db(), key, now).expect("looked up above");
    let mut moved_last_id = false;
    if new_last_id > last_id {
        stream.group_mut(group).expect("looked up above").last_id = new_last_id;
        moved_last_id = true;
    }
    let claimed = stream.claim(group, consumer, &ids, options, now);
    reply_claimed(ctx, key, &claimed, options.just_id)?;
    log_claimed(ctx, key, group, &claimed);
    if moved_last_id && claimed.ids.is_empty() && claimed.dropped.is_empty() {
        let (db, _, _) = ctx.parts();
        let stream = as_stream(db.peek(key).expect("looked up above"))?;
        let the_group = stream.group(group).expect("looked up above");
        let (last_id, read) = (the_group.last_id, the_group.entries_read);
        log_group_id(ctx, key, group, last_id, read);
        ctx.dirty(1);
    }
    Ok(())
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]: the arguments
/// are read before the key is looked up. Replies the next start, what it claimed, and the
/// IDs it dropped from the pending entries because their entries were deleted.
pub(super) fn xautoclaim(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (key, group, consumer, now) = (args[1], args[2], args[3], ctx.now);
    ctx.propagate_only_explicitly();
    let min_idle = parse_option(args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")?;
    let (mut start, exclude) = parse_bound(args[5], 0)?;
    if exclude {
        start = start
            .next()
            .ok_or(Error::Static("ERR invalid start ID for the interval"))?;
    }
    let (mut count, mut just_id) = (100usize, false);
    let mut i = 6;
    while i < args.len() {
        if is(args[i], "count") && i + 1 < args.len() {
            // Redis caps COUNT so that its attempts (ten per entry) and IDs fit in memory.
            const MAX: i64 = i64::MAX / 16;
            count = match parse_i64_strict(args[i + 1]) {
                Some(n @ 1..=MAX) => n as usize,
                _ => return Err(Error::Static("ERR COUNT must be > 0")),
            };
            i += 2;
        } else if is(args[i], "justid") {
            just_id = true;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
    }
    let found = read_stream(ctx.db(), key, now)?.is_some_and(|s| s.group(group).is_some());
    if !found {
        return Err(no_group(key, group));
    }
    let stream = stream_mut_unwatched(ctx.db(), key, now).expect("looked up above");
    let claimed = stream.auto_claim(
        group,
        consumer,
        (start, count, min_idle.max(0) as u64, just_id),
        now,
    );
    ctx.reply.array(3);
    ctx.reply.bulk(claimed.next.to_string().as_bytes());
    reply_claimed(ctx, key, &claimed, just_id)?;
    ctx.reply.array(claimed.dropped.len());
    for (id, _) in &claimed.dropped {
        ctx.reply.bulk(id.to_string().as_bytes());
    }
    log_claimed(ctx, key, group, &claimed);
    Ok(())
}

/// The claimed entries (or their IDs with JUSTID) as an array.
fn reply_claimed(ctx: &mut Ctx<'_, '_>, key: &[u8], claimed: &Claimed, just_id: bool) -> Result {
    let (db, reply, _) = ctx.parts();
    let stream = as_stream(db.peek(key).expect("looked up above"))?;
    reply.array(claimed.ids.len());
    for id in &claimed.ids {
        if just_id {
            reply.bulk(id.to_string().as_bytes());
        } else {
            let entry = stream.get(*id).expect("claimed");
            write_entry(reply, &entry);
        }
    }
    Ok(())
}

/// Logs a claim as Redis propagates it: an XCLAIM per pending entry dropped (as it was) and
/// per entry claimed (as it is now), each a change.
fn log_claimed(ctx: &mut Ctx<'_, '_>, key: &[u8], group: &[u8], claimed: &Claimed) {
    let last_id = {
        let (db, _, _) = ctx.parts();
        let stream = db.peek(key).map(as_stream);
        match stream.and_then(|s| s.ok()).and_then(|s| s.group(group)) {
            Some(the_group) => the_group.last_id,
            None => return,
        }
    };
    for (id, pending) in &claimed.dropped {
        log_pending(ctx, key, group, *id, pending, last_id);
    }
    let logged = claimed.dropped.len() + log_pending_ids(ctx, key, group, &claimed.ids);
    if claimed.created_consumer {
        ctx.notify(events::STREAM, "xgroup-createconsumer", key);
    }
    ctx.dirty(logged as u64 + u64::from(claimed.created_consumer));
}
