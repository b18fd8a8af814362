//! XLEN, XRANGE, XREVRANGE and XREAD.

use bytes::Bytes;
use radish_data::types::stream::StreamId;
use radish_data::Millis;
use radish_resp::Version;

use super::ids::{parse_bound, parse_strict_id};
use super::{as_stream, log_consumer, log_group_id, log_pending_ids, stream_mut_unwatched};
use super::{count_limit, read_stream, write_entries, write_entry};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, parse_timeout_ms};
use crate::exec::ctx::Ctx;
use crate::state::events;
use crate::state::keyspace::{Pops, TimeoutReply};

/// How many entries a blocked XREAD without COUNT gets when served (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`): an old ID must not make it read a whole stream.
const BLOCKED_DEFAULT_COUNT: u64 = 1000;

pub(super) fn xlen(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_stream(db, args[1], now)?.map_or(0, |stream| stream.len());
    reply.integer(len as i64);
    Ok(())
}

pub(super) fn xrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range(ctx, args, false)
}

pub(super) fn xrevrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    range(ctx, args, true)
}

/// XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n]. An incomplete start
/// is `<ms>-0`, an incomplete end `<ms>-18446744073709551615`; `(` excludes a bound. COUNT 0
/// or less answers a null array (on an existing key).
fn range(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], rev: bool) -> Result {
    let (start_arg, end_arg) = if rev {
        (args[3], args[2])
    } else {
        (args[2], args[3])
    };
    let (mut start, exclude) = parse_bound(start_arg, 0)?;
    if exclude {
        start = start
            .next()
            .ok_or(Error::Static("ERR invalid start ID for the interval"))?;
    }
    let (mut end, exclude) = parse_bound(end_arg, u64::MAX)?;
    if exclude {
        end = end
            .prev()
            .ok_or(Error::Static("ERR invalid end ID for the interval"))?;
    }
    let mut count: Option<u64> = None;
    let mut i = 4;
    while i < args.len() {
        if is(args[i], "count") && i + 1 < args.len() {
            count = Some(parse_int(args[i + 1])?.max(0) as u64);
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let (db, reply, now) = ctx.parts();
    let Some(stream) = read_stream(db, args[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    if count == Some(0) {
        reply.null_array();
        return Ok(());
    }
    let limit = count.map_or(usize::MAX, |count| count.min(usize::MAX as u64) as usize);
    let entries: Vec<_> = stream.range(start, end, rev).take(limit).collect();
    write_entries(reply, &entries);
    Ok(())
}

/// XREAD's and XREADGROUP's parsed options.
struct ReadArgs<'a> {
    /// BLOCK's argument and deadline (`None` inside: forever).
    block: Option<(&'a [u8], Option<Millis>)>,
    /// COUNT (0: no limit).
    count: u64,
    /// Where the keys start.
    streams_at: usize,
    /// XREADGROUP's GROUP: the group and the consumer.
    group: Option<(&'a [u8], &'a [u8])>,
    /// NOACK: delivered entries are not kept pending.
    no_ack: bool,
}

/// What a stream is read after.
#[derive(Clone, Copy)]
enum After {
    /// Entries after this ID (XREAD; XREADGROUP: the consumer's own history from it).
    Id(StreamId),
    /// XREADGROUP's `>`: entries the group has not delivered yet.
    New,
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]
///
/// Serves at once every stream with entries after its ID; with BLOCK and none, waits until
/// one of the keys gets one (`$` meaning the last ID when it blocked) and then serves that
/// stream alone, as Redis does.
pub(super) fn xread(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    read(ctx, args, false)
}

/// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]
///
/// `>` delivers entries the group has not delivered yet (and keeps them pending for the
/// consumer unless NOACK); an ID reads the consumer's own pending entries from it. Logged as
/// what it changed: an XCLAIM per pending entry, XGROUP SETID for the group's position,
/// XGROUP CREATECONSUMER for a consumer it created with NOACK.
pub(super) fn xreadgroup(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    read(ctx, args, true)
}

fn read(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], grouped: bool) -> Result {
    let parsed = parse_read(ctx, args, grouped)?;
    let streams = (args.len() - parsed.streams_at) / 2;
    let keys = &args[parsed.streams_at..parsed.streams_at + streams];
    let ready = ctx.ready_key.take();
    let now = ctx.now;
    if grouped {
        ctx.propagate_only_explicitly();
    }
    if let (Some(ready), Some((group, _))) = (&ready, parsed.group) {
        // A blocked XREADGROUP runs again: its stream or group may be gone.
        let gone = match ctx.db().get(ready, now).map(as_stream) {
            Some(Ok(stream)) => stream.group(group).is_none(),
            _ => return Err(Error::Static("UNBLOCKED the stream key no longer exists")),
        };
        if gone {
            return Err(Error::Static(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ));
        }
    }
    // What each stream is read after, resolved key by key as Redis does (so an earlier bad
    // ID wins over a later wrong type).
    let mut after = Vec::with_capacity(streams);
    for (key, id) in keys.iter().zip(&args[parsed.streams_at + streams..]) {
        if ready.as_ref().is_some_and(|ready| ready[..] != key[..]) {
            // Serving a blocked reader: only the key that was written counts.
            after.push(None);
            continue;
        }
        let stream = read_stream(ctx.db(), key, now)?;
        if let Some((group, _)) = parsed.group {
            if stream.and_then(|stream| stream.group(group)).is_none() {
                return Err(Error::Message(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(group)
                )));
            }
        }
        after.push(Some(match *id {
            b"$" if grouped => return Err(Error::Static("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")),
            b"$" => After::Id(stream.map_or(StreamId::MIN, |stream| stream.last_id())),
            b">" if grouped => After::New,
            b">" => return Err(Error::Static("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")),
            id => After::Id(parse_strict_id(id)?),
        }));
    }
    // Which streams have something to serve.
    let mut serve = vec![false; streams];
    for (i, key) in keys.iter().enumerate() {
        let Some(after) = after[i] else { continue };
        let Some(entry) = ctx.db().read(key, now) else {
            continue;
        };
        let stream = as_stream(entry)?;
        let gt = match after {
            // History is always served, even when empty.
            After::Id(_) if grouped => {
                serve[i] = true;
                continue;
            }
            After::Id(id) => id,
            After::New => {
                let (group, _) = parsed.group.expect("XREADGROUP has a group");
                stream
                    .group(group)
                    .map_or(StreamId::MAX, |group| group.last_id)
            }
        };
        serve[i] = if ready.is_some() {
            // Redis serves a blocked reader once the stream's last ID passes its own.
            stream.last_id() > gt
        } else {
            stream.last_entry().is_some_and(|last| last.id > gt)
        };
    }
    let served = serve.iter().filter(|s| **s).count();
    if served == 0 {
        match parsed.block {
            Some((timeout, deadline)) => {
                let rerun = rerun_args(args, &parsed, keys, &after, timeout);
                let pops = if grouped {
                    Pops::StreamGroup
                } else {
                    Pops::Stream
                };
                ctx.block_to_rerun(keys, deadline, TimeoutReply::NullArray, pops, rerun);
            }
            None => ctx.reply.null_array(),
        }
        return Ok(());
    }
    let count = count_limit(parsed.count);
    if ctx.reply.version == Version::Resp3 {
        ctx.reply.map(served);
    } else {
        ctx.reply.array(served);
    }
    for (i, key) in keys.iter().enumerate() {
        if !serve[i] {
            continue;
        }
        if ctx.reply.version == Version::Resp2 {
            ctx.reply.array(2);
        }
        ctx.reply.bulk(key);
        match (after[i].expect("served"), parsed.group) {
            (After::Id(id), None) => {
                let (db, reply, _) = ctx.parts();
                let stream = as_stream(db.peek(key).expect("looked up above"))?;
                let start = id.next().unwrap_or(StreamId::MIN);
                let entries: Vec<_> = stream
                    .range(start, StreamId::MAX, false)
                    .take(count)
                    .collect();
                write_entries(reply, &entries);
            }
            (after, Some((group, consumer))) => {
                serve_group(ctx, key, (group, consumer), after, count, parsed.no_ack)?;
            }
            (After::New, None) => unreachable!("> is refused without a group"),
        }
    }
    Ok(())
}

/// Serves one stream to an XREADGROUP consumer (created if needed): new entries, or its
/// history from an ID. Writes the entries and logs what changed.
fn serve_group(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    (group, consumer): (&[u8], &[u8]),
    after: After,
    count: usize,
    no_ack: bool,
) -> Result {
    let now = ctx.now;
    let stream = stream_mut_unwatched(ctx.db(), key, now).expect("looked up above");
    let the_group = stream.group_mut(group).expect("looked up above");
    let created = the_group.see_consumer(consumer, now);
    let before = (the_group.last_id, the_group.entries_read);
    let ids = match after {
        After::New => stream.read_group(group, consumer, count, no_ack, now),
        // After the ID, as for new entries (past the largest ID, from the start).
        After::Id(id) => {
            let start = id.next().unwrap_or(StreamId::MIN);
            stream.read_history(group, consumer, start, count, now)
        }
    };
    let (db, reply, _) = ctx.parts();
    let stream = as_stream(db.peek(key).expect("looked up above"))?;
    reply.array(ids.len());
    for id in &ids {
        match stream.get(*id) {
            Some(entry) => write_entry(reply, &entry),
            None => {
                // Pending history whose entry was deleted from the stream: its ID alone.
                reply.array(2);
                reply.bulk(id.to_string().as_bytes());
                reply.null_array();
            }
        }
    }
    let the_group = stream.group(group).expect("looked up above");
    let position = (the_group.last_id, the_group.entries_read);
    if created {
        ctx.notify(events::STREAM, "xgroup-createconsumer", key);
        ctx.dirty(1);
        if no_ack {
            log_consumer(ctx, key, group, consumer);
        }
    }
    if matches!(after, After::New) && !no_ack {
        log_pending_ids(ctx, key, group, &ids);
    }
    // Redis logs the group's position only after NOACK (the XCLAIMs' LASTID carries the
    // last ID, but not the read count, which a replay would lose); radish logs it whenever
    // it moved, so that a restart gives the same group back.
    if position != before {
        log_group_id(ctx, key, group, position.0, position.1);
    }
    ctx.dirty(1);
    Ok(())
}

/// Reads XREAD's options, up to STREAMS, in Redis's order and with its errors.
fn parse_read<'a>(ctx: &Ctx<'_, '_>, args: &[&'a [u8]], grouped: bool) -> Result<ReadArgs<'a>> {
    let mut parsed = ReadArgs {
        block: None,
        count: 0,
        streams_at: 0,
        group: None,
        no_ack: false,
    };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let option = args[i];
        if is(option, "block") && more > 0 {
            if ctx.conn.script {
                return Err(Error::Message(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(args[0])
                )));
            }
            i += 1;
            parsed.block = Some((args[i], parse_timeout_ms(args[i], ctx.now)?));
        } else if is(option, "count") && more > 0 {
            i += 1;
            parsed.count = parse_int(args[i])?.max(0) as u64;
        } else if is(option, "streams") && more > 0 {
            parsed.streams_at = i + 1;
            if (args.len() - parsed.streams_at) % 2 != 0 {
                return Err(Error::Static("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."));
            }
            break;
        } else if is(option, "group") && more >= 2 {
            if !grouped {
                return Err(Error::Static(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.group = Some((args[i + 1], args[i + 2]));
            i += 2;
        } else if is(option, "noack") {
            if !grouped {
                return Err(Error::Static(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.no_ack = true;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if parsed.streams_at == 0 {
        return Err(Error::Syntax);
    }
    if grouped && parsed.group.is_none() {
        return Err(Error::Static("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(parsed)
}

/// The command to run again once a key is written: the IDs resolved now (`$` is the last ID
/// when it blocked), and Redis's count for a served blocked reader.
fn rerun_args(
    args: &[&[u8]],
    parsed: &ReadArgs<'_>,
    keys: &[&[u8]],
    after: &[Option<After>],
    timeout: &[u8],
) -> Vec<Bytes> {
    let count = match parsed.count {
        0 => BLOCKED_DEFAULT_COUNT,
        count => count,
    };
    let mut rerun = vec![Bytes::copy_from_slice(args[0])];
    if let Some((group, consumer)) = parsed.group {
        rerun.extend([
            Bytes::from_static(b"GROUP"),
            Bytes::copy_from_slice(group),
            Bytes::copy_from_slice(consumer),
        ]);
    }
    if parsed.no_ack {
        rerun.push(Bytes::from_static(b"NOACK"));
    }
    rerun.extend([
        Bytes::from_static(b"COUNT"),
        Bytes::from(count.to_string()),
        Bytes::from_static(b"BLOCK"),
        Bytes::copy_from_slice(timeout),
        Bytes::from_static(b"STREAMS"),
    ]);
    rerun.extend(keys.iter().map(|key| Bytes::copy_from_slice(key)));
    rerun.extend(after.iter().map(|after| match after {
        Some(After::New) => Bytes::from_static(b">"),
        Some(After::Id(id)) => Bytes::from(id.to_string()),
        None => Bytes::from_static(b"0-0"),
    }));
    rerun
}
