//! XLEN, XRANGE, XREVRANGE and XREAD.

use bytes::Bytes;
use radish_data::types::stream::StreamId;
use radish_data::Millis;
use radish_resp::Version;

use super::ids::{parse_bound, parse_strict_id};
use super::{as_stream, read_stream, write_entries, write_entry};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;
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

/// XREAD's parsed options.
struct ReadArgs<'a> {
    /// BLOCK's argument and deadline (`None` inside: forever).
    block: Option<(&'a [u8], Option<Millis>)>,
    /// COUNT (0: no limit).
    count: u64,
    /// Where the keys start.
    streams_at: usize,
}

/// XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]
///
/// Serves at once every stream with entries after its ID; with BLOCK and none, waits until
/// one of the keys gets one (`$` meaning the last ID when it blocked) and then serves that
/// stream alone, as Redis does.
pub(super) fn xread(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let parsed = parse_read(ctx, args)?;
    let streams = (args.len() - parsed.streams_at) / 2;
    let keys = &args[parsed.streams_at..parsed.streams_at + streams];
    let ready = ctx.ready_key.take();
    let now = ctx.now;
    // The ID each stream must be read after, resolved key by key as Redis does (so an
    // earlier bad ID wins over a later wrong type).
    let mut after = Vec::with_capacity(streams);
    for (key, id) in keys.iter().zip(&args[parsed.streams_at + streams..]) {
        if ready.as_ref().is_some_and(|ready| ready[..] != key[..]) {
            // Serving a blocked XREAD: only the key that was written counts.
            after.push(None);
            continue;
        }
        let stream = read_stream(ctx.db(), key, now)?;
        let id = match *id {
            b"$" => stream.map_or(StreamId::MIN, |stream| stream.last_id()),
            b">" => {
                return Err(Error::Static("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."))
            }
            id => parse_strict_id(id)?,
        };
        after.push(Some(id));
    }
    // Which streams have something to serve.
    let mut serve = vec![false; streams];
    for (i, key) in keys.iter().enumerate() {
        let Some(gt) = after[i] else { continue };
        let Some(entry) = ctx.db().read(key, now) else {
            continue;
        };
        let stream = as_stream(entry)?;
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
                let rerun = rerun_args(args, keys, &after, parsed.count, timeout);
                ctx.block_to_rerun(keys, deadline, TimeoutReply::NullArray, Pops::Stream, rerun);
            }
            None => ctx.reply.null_array(),
        }
        return Ok(());
    }
    let count = match parsed.count {
        0 => usize::MAX,
        count => count.min(usize::MAX as u64) as usize,
    };
    let (db, reply, _) = ctx.parts();
    let resp3 = reply.version == Version::Resp3;
    if resp3 {
        reply.map(served);
    } else {
        reply.array(served);
    }
    for (i, key) in keys.iter().enumerate() {
        if !serve[i] {
            continue;
        }
        let entry = db.peek(key).expect("looked up above");
        let stream = as_stream(entry)?;
        let start = after[i].and_then(StreamId::next).unwrap_or(StreamId::MIN);
        if !resp3 {
            reply.array(2);
        }
        reply.bulk(key);
        let entries: Vec<_> = stream
            .range(start, StreamId::MAX, false)
            .take(count)
            .collect();
        reply.array(entries.len());
        for entry in &entries {
            write_entry(reply, entry);
        }
    }
    Ok(())
}

/// Reads XREAD's options, up to STREAMS, in Redis's order and with its errors.
fn parse_read<'a>(ctx: &Ctx<'_, '_>, args: &[&'a [u8]]) -> Result<ReadArgs<'a>> {
    let mut parsed = ReadArgs {
        block: None,
        count: 0,
        streams_at: 0,
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
            parsed.block = Some((args[i], parse_block_ms(args[i], ctx.now)?));
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
            return Err(Error::Static(
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else if is(option, "noack") {
            return Err(Error::Static(
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if parsed.streams_at == 0 {
        return Err(Error::Syntax);
    }
    Ok(parsed)
}

/// BLOCK's milliseconds as a deadline (`None` for 0: forever), as Redis's
/// `getTimeoutFromObjectOrReply` reads milliseconds.
fn parse_block_ms(arg: &[u8], now: Millis) -> Result<Option<Millis>> {
    let ms = radish_resp::number::parse_i64_strict(arg).ok_or(Error::Static(
        "ERR timeout is not an integer or out of range",
    ))?;
    match ms {
        ..=-1 => Err(Error::Static("ERR timeout is negative")),
        0 => Ok(None),
        ms if ms as u64 > i64::MAX as u64 - now => {
            Err(Error::Static("ERR timeout is out of range"))
        }
        ms => Ok(Some(now + ms as u64)),
    }
}

/// The XREAD to run again once a key is written: the IDs resolved now (`$` is the last ID
/// when it blocked), and Redis's count for a served blocked reader.
fn rerun_args(
    args: &[&[u8]],
    keys: &[&[u8]],
    after: &[Option<StreamId>],
    count: u64,
    timeout: &[u8],
) -> Vec<Bytes> {
    let count = if count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        count
    };
    let mut rerun = vec![
        Bytes::copy_from_slice(args[0]),
        Bytes::from_static(b"COUNT"),
        Bytes::from(count.to_string()),
        Bytes::from_static(b"BLOCK"),
        Bytes::copy_from_slice(timeout),
        Bytes::from_static(b"STREAMS"),
    ];
    rerun.extend(keys.iter().map(|key| Bytes::copy_from_slice(key)));
    rerun.extend(
        after
            .iter()
            .map(|id| Bytes::from(id.unwrap_or(StreamId::MIN).to_string())),
    );
    rerun
}
