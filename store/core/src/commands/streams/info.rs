//! XINFO STREAM, GROUPS, CONSUMERS and HELP.

use radish_data::types::stream::{Group, Stream, StreamId};

use super::{as_stream, count_limit, no_such_group, write_entries, write_entry};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, subcommand_syntax_error};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;

/// The stream at `args[2]`, for every subcommand but HELP: `ERR no such key` if missing.
fn lookup<'d>(ctx: &'d mut Ctx<'_, '_>, args: &[&[u8]]) -> Result<&'d Stream> {
    let now = ctx.now;
    let entry = ctx.db().read(args[2], now).ok_or(Error::NoSuchKey)?;
    as_stream(entry)
}

/// XINFO STREAM key [FULL [COUNT count]]. The key is looked up before the options are read.
pub(super) fn stream(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    lookup(ctx, args)?;
    let options = &args[3..];
    let full = match options {
        [] => None,
        [full] if is(full, "full") => Some(10),
        [full, count, n] if is(full, "full") && is(count, "count") => {
            let n = parse_int(n)?;
            Some(if n < 0 { 10 } else { n as u64 })
        }
        _ => return Err(subcommand_syntax_error(args)),
    };
    let (db, reply, _) = ctx.parts();
    let stream = as_stream(db.peek(args[2]).expect("looked up above"))?;
    reply.map(if full.is_some() { 9 } else { 10 });
    reply.bulk(b"length");
    reply.integer(stream.len() as i64);
    reply.bulk(b"radix-tree-keys");
    reply.integer(stream.node_count() as i64);
    reply.bulk(b"radix-tree-nodes");
    reply.integer(stream.radix_tree_nodes() as i64);
    id_field(reply, "last-generated-id", stream.last_id());
    id_field(reply, "max-deleted-entry-id", stream.max_deleted_id());
    reply.bulk(b"entries-added");
    reply.integer(stream.entries_added() as i64);
    id_field(reply, "recorded-first-entry-id", stream.first_id());
    match full {
        None => {
            reply.bulk(b"groups");
            reply.integer(stream.group_count() as i64);
            for (name, entry) in [
                ("first-entry", stream.first_entry()),
                ("last-entry", stream.last_entry()),
            ] {
                reply.bulk(name.as_bytes());
                match entry {
                    Some(entry) => write_entry(reply, &entry),
                    None => reply.null(),
                }
            }
        }
        Some(count) => {
            reply.bulk(b"entries");
            let limit = count_limit(count);
            let entries: Vec<_> = stream
                .range(StreamId::MIN, StreamId::MAX, false)
                .take(limit)
                .collect();
            write_entries(reply, &entries);
            reply.bulk(b"groups");
            reply.array(stream.group_count());
            for (name, group) in stream.groups() {
                reply.map(7);
                reply.bulk(b"name");
                reply.bulk(name);
                id_field(reply, "last-delivered-id", group.last_id);
                progress_fields(reply, stream, group);
                reply.bulk(b"pel-count");
                reply.integer(group.pending().len() as i64);
                reply.bulk(b"pending");
                let pending: Vec<_> = group.pending().iter().take(limit).collect();
                reply.array(pending.len());
                for (id, entry) in pending {
                    reply.array(4);
                    reply.bulk(id.to_string().as_bytes());
                    reply.bulk(&entry.consumer);
                    reply.integer(entry.delivered_at as i64);
                    reply.integer(entry.deliveries as i64);
                }
                reply.bulk(b"consumers");
                reply.array(group.consumer_count());
                for (name, consumer) in group.consumers() {
                    reply.map(4);
                    reply.bulk(b"name");
                    reply.bulk(name);
                    reply.bulk(b"seen-time");
                    reply.integer(consumer.seen_at as i64);
                    reply.bulk(b"pel-count");
                    reply.integer(consumer.pending().len() as i64);
                    reply.bulk(b"pending");
                    let held: Vec<_> = consumer.pending().iter().take(limit).collect();
                    reply.array(held.len());
                    for id in held {
                        let entry = &group.pending()[id];
                        reply.array(3);
                        reply.bulk(id.to_string().as_bytes());
                        reply.integer(entry.delivered_at as i64);
                        reply.integer(entry.deliveries as i64);
                    }
                }
            }
        }
    }
    Ok(())
}

/// A group's `entries-read` and `lag`, each null when it cannot be told.
fn progress_fields(reply: &mut Reply<'_>, stream: &Stream, group: &Group) {
    for (name, value) in [
        ("entries-read", group.entries_read.map(|n| n as i64)),
        ("lag", stream.lag(group)),
    ] {
        reply.bulk(name.as_bytes());
        match value {
            Some(value) => reply.integer(value),
            None => reply.null(),
        }
    }
}

fn id_field(reply: &mut Reply<'_>, name: &str, id: StreamId) {
    reply.bulk(name.as_bytes());
    reply.bulk(id.to_string().as_bytes());
}

/// XINFO GROUPS key: the consumer groups, in name order.
pub(super) fn groups(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    lookup(ctx, args)?;
    let (db, reply, _) = ctx.parts();
    let stream = as_stream(db.peek(args[2]).expect("looked up above"))?;
    reply.array(stream.group_count());
    for (name, group) in stream.groups() {
        reply.map(6);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"consumers");
        reply.integer(group.consumer_count() as i64);
        reply.bulk(b"pending");
        reply.integer(group.pending().len() as i64);
        id_field(reply, "last-delivered-id", group.last_id);
        progress_fields(reply, stream, group);
    }
    Ok(())
}

/// XINFO CONSUMERS key group: a group's consumers, in name order, with how long since each
/// was seen.
pub(super) fn consumers(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    lookup(ctx, args)?;
    let (db, reply, now) = ctx.parts();
    let stream = as_stream(db.peek(args[2]).expect("looked up above"))?;
    let group = stream
        .group(args[3])
        .ok_or_else(|| no_such_group(args[2], args[3]))?;
    reply.array(group.consumer_count());
    for (name, consumer) in group.consumers() {
        reply.map(3);
        reply.bulk(b"name");
        reply.bulk(name);
        reply.bulk(b"pending");
        reply.integer(consumer.pending().len() as i64);
        reply.bulk(b"idle");
        reply.integer((now as i64 - consumer.seen_at as i64).max(0));
    }
    Ok(())
}

pub(super) fn help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let lines: &[&str] = &[
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];
    crate::exec::args::help(ctx, lines);
    Ok(())
}
