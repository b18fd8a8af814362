//! XGROUP, XACK and XPENDING.

use radish_data::types::stream::{Group, StreamId};
use radish_data::Value;

use super::ids::{parse_bound, parse_id, parse_strict_id};
use super::{no_group, no_such_group, peek_stream, read_stream, stream_mut_unwatched};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, subcommand_syntax_error};
use crate::exec::ctx::Ctx;
use crate::state::events;

/// XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER, one function as in
/// Redis, since their checks run in one order: the options, the key (and its type), the key
/// and group being there, then the subcommand's own arguments.
pub(super) fn xgroup(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let sub = args[1];
    let (create, setid) = (is(sub, "create"), is(sub, "setid"));
    let (mut mkstream, mut entries_read) = (false, None);
    let mut i = 5;
    while i < args.len() {
        if create && is(args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(args[i], "entriesread") && i + 1 < args.len() {
            let read = parse_int(args[i + 1])?;
            if read < -1 {
                return Err(Error::Static(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            entries_read = u64::try_from(read).ok();
            i += 2;
        } else {
            return Err(subcommand_syntax_error(args));
        }
    }
    let (key, group, now) = (args[2], args[3], ctx.now);
    let stream = peek_stream(ctx.db(), key, now)?;
    let last_id = stream.map(|stream| stream.last_id());
    let exists = stream.is_some_and(|stream| stream.group(group).is_some());
    if !mkstream {
        if stream.is_none() {
            return Err(Error::Static("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."));
        }
        let needs_group = setid || is(sub, "createconsumer") || is(sub, "delconsumer");
        if needs_group && !exists {
            return Err(no_such_group(key, group));
        }
    }
    let parse_target = |arg: &[u8], strict: bool| -> Result<StreamId> {
        match arg {
            b"$" => Ok(last_id.unwrap_or(StreamId::MIN)),
            arg if strict => parse_strict_id(arg),
            arg => parse_id(arg, 0),
        }
    };
    if create && (5..=8).contains(&args.len()) {
        let id = parse_target(args[4], true)?;
        let db = ctx.db();
        if last_id.is_none() {
            db.insert(key, Value::Stream(Box::default()), 0, now);
        }
        let stream = stream_mut_unwatched(db, key, now).expect("a stream is there");
        if !stream.create_group(group, id, entries_read) {
            return Err(Error::Static(
                "BUSYGROUP Consumer Group name already exists",
            ));
        }
        ctx.reply.ok();
        ctx.notify(events::STREAM, "xgroup-create", key);
        ctx.dirty(1);
    } else if setid && (args.len() == 5 || args.len() == 7) {
        let id = parse_target(args[4], false)?;
        let the_group = group_mut(ctx, key, group);
        the_group.last_id = id;
        the_group.entries_read = entries_read;
        ctx.reply.ok();
        ctx.notify(events::STREAM, "xgroup-setid", key);
        ctx.dirty(1);
    } else if is(sub, "destroy") && args.len() == 4 {
        let destroyed = exists
            && stream_mut_unwatched(ctx.db(), key, now)
                .expect("a stream is there")
                .destroy_group(group);
        if destroyed {
            // Its blocked readers get an error.
            ctx.db().wake_blocked(key);
            ctx.notify(events::STREAM, "xgroup-destroy", key);
            ctx.dirty(1);
        }
        ctx.reply.integer(i64::from(destroyed));
    } else if is(sub, "createconsumer") && args.len() == 5 {
        let created = group_mut(ctx, key, group).create_consumer(args[4], now);
        if created {
            ctx.notify(events::STREAM, "xgroup-createconsumer", key);
            ctx.dirty(1);
        }
        ctx.reply.integer(i64::from(created));
    } else if is(sub, "delconsumer") && args.len() == 5 {
        let pending = group_mut(ctx, key, group).delete_consumer(args[4]);
        if pending.is_some() {
            ctx.notify(events::STREAM, "xgroup-delconsumer", key);
            ctx.dirty(1);
        }
        ctx.reply.integer(pending.unwrap_or(0) as i64);
    } else {
        return Err(subcommand_syntax_error(args));
    }
    Ok(())
}

/// The group `group` of the stream at `key`, both looked up before.
fn group_mut<'c>(ctx: &'c mut Ctx<'_, '_>, key: &[u8], group: &[u8]) -> &'c mut Group {
    let now = ctx.now;
    stream_mut_unwatched(ctx.db(), key, now)
        .and_then(|stream| stream.group_mut(group))
        .expect("looked up before")
}

pub(super) fn help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let lines: &[&str] = &[
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];
    crate::exec::args::help(ctx, lines);
    Ok(())
}

/// XACK key group id [id ...]: 0 for a missing key or group, before the IDs are read.
pub(super) fn xack(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (key, group, now) = (args[1], args[2], ctx.now);
    let found =
        read_stream(ctx.db(), key, now)?.is_some_and(|stream| stream.group(group).is_some());
    if !found {
        ctx.reply.integer(0);
        return Ok(());
    }
    let ids = args[3..]
        .iter()
        .map(|arg| parse_strict_id(arg))
        .collect::<Result<Vec<StreamId>>>()?;
    let the_group = group_mut(ctx, key, group);
    let acknowledged = ids.iter().filter(|id| the_group.ack(**id)).count();
    ctx.reply.integer(acknowledged as i64);
    ctx.dirty(acknowledged as u64);
    Ok(())
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]: the summary, or the
/// pending entries in a range. The range is read before the key is looked up.
pub(super) fn xpending(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() != 3 && !(6..=9).contains(&args.len()) {
        return Err(Error::Syntax);
    }
    let mut extended = None;
    if args.len() >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(args[3], "idle") {
            min_idle = parse_int(args[4])?;
            if args.len() < 8 {
                return Err(Error::Syntax);
            }
            at = 5;
        }
        let count = parse_int(args[at + 2])?.max(0) as u64;
        let (mut start, exclude) = parse_bound(args[at], 0)?;
        if exclude {
            start = start
                .next()
                .ok_or(Error::Static("ERR invalid start ID for the interval"))?;
        }
        let (mut end, exclude) = parse_bound(args[at + 1], u64::MAX)?;
        if exclude {
            end = end
                .prev()
                .ok_or(Error::Static("ERR invalid end ID for the interval"))?;
        }
        extended = Some((min_idle, start, end, count, args.get(at + 3).copied()));
    }
    let (key, group_name) = (args[1], args[2]);
    let (db, reply, now) = ctx.parts();
    let stream = read_stream(db, key, now)?;
    let Some(group) = stream.and_then(|stream| stream.group(group_name)) else {
        return Err(no_group(key, group_name));
    };
    let pending = group.pending();
    let Some((min_idle, start, end, count, consumer)) = extended else {
        reply.array(4);
        reply.integer(pending.len() as i64);
        match (pending.keys().next(), pending.keys().next_back()) {
            (Some(first), Some(last)) => {
                reply.bulk(first.to_string().as_bytes());
                reply.bulk(last.to_string().as_bytes());
                let holders: Vec<_> = group
                    .consumers()
                    .filter(|(_, consumer)| !consumer.pending().is_empty())
                    .collect();
                reply.array(holders.len());
                for (name, consumer) in holders {
                    reply.array(2);
                    reply.bulk(name);
                    reply.bulk(consumer.pending().len().to_string().as_bytes());
                }
            }
            _ => {
                reply.null();
                reply.null();
                reply.null_array();
            }
        }
        return Ok(());
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match group.consumer(name) {
            Some(consumer) if start <= end => {
                consumer.pending().range(start..=end).copied().collect()
            }
            Some(_) => Vec::new(),
            None => {
                reply.array(0);
                return Ok(());
            }
        },
        None if start <= end => pending.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let idle = |id: &StreamId| now as i64 - pending[id].delivered_at as i64;
    let shown: Vec<StreamId> = ids
        .into_iter()
        .filter(|id| min_idle == 0 || idle(id) >= min_idle)
        .take(count.min(usize::MAX as u64) as usize)
        .collect();
    reply.array(shown.len());
    for id in shown {
        let entry = &pending[&id];
        reply.array(4);
        reply.bulk(id.to_string().as_bytes());
        reply.bulk(&entry.consumer);
        reply.integer(idle(&id).max(0));
        reply.integer(entry.deliveries as i64);
    }
    Ok(())
}
