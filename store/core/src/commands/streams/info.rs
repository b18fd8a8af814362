//! XINFO STREAM, GROUPS, CONSUMERS and HELP.

use radish_data::types::stream::{Stream, StreamId};

use super::{as_stream, write_entries, write_entry};
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
            reply.integer(0);
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
            let limit = match count {
                0 => usize::MAX,
                count => count.min(usize::MAX as u64) as usize,
            };
            let entries: Vec<_> = stream
                .range(StreamId::MIN, StreamId::MAX, false)
                .take(limit)
                .collect();
            write_entries(reply, &entries);
            reply.bulk(b"groups");
            reply.array(0);
        }
    }
    Ok(())
}

fn id_field(reply: &mut Reply<'_>, name: &str, id: StreamId) {
    reply.bulk(name.as_bytes());
    reply.bulk(id.to_string().as_bytes());
}

/// XINFO GROUPS key: the consumer groups (no stream has one yet).
pub(super) fn groups(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    lookup(ctx, args)?;
    ctx.reply.array(0);
    Ok(())
}

/// XINFO CONSUMERS key group: a group's consumers (no stream has a group yet).
pub(super) fn consumers(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    lookup(ctx, args)?;
    Err(Error::Message(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(args[3]),
        String::from_utf8_lossy(args[2])
    )))
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
