//! Stream commands: XADD, XTRIM, XDEL, XSETID (`write.rs`), XLEN, XRANGE, XREVRANGE, XREAD,
//! XREADGROUP (`read.rs`), XGROUP, XACK, XPENDING (`groups.rs`), XCLAIM, XAUTOCLAIM
//! (`claim.rs`), XINFO (`info.rs`), and the ID syntax they share (`ids.rs`).
//!
//! What consumer groups change is logged as Redis propagates it, so that replaying the log
//! gives the same groups: an XCLAIM per pending entry made or moved, XGROUP SETID for a last
//! ID moved without one, XGROUP CREATECONSUMER for a consumer made without one. One addition:
//! XREADGROUP also logs the group's read count (XGROUP SETID), which Redis's log loses.
//!
//! Argument checks, key lookups and type checks happen in the order Redis 7.0's t_stream.c
//! does them, since that order decides which error a client sees.

mod claim;
mod groups;
mod ids;
mod info;
mod read;
mod write;

use radish_data::types::stream::{Pending, Stream, StreamEntry, StreamId};
use radish_data::{Db, Entry, Millis, Value};

use crate::error::{Error, Result};
use crate::exec::command::{acl, after_keyword, flags, key, range, Command, GetKeys, Group};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("xack", -4, groups::xack)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Stream, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL."),
    Command::new("xadd", -5, write::xadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))
            .note("UPDATE instead of INSERT because of the optional trimming feature")])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "5.0.0", "Appends a new entry to a stream"),
    Command::new("xautoclaim", -6, claim::xautoclaim)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer."),
    Command::new("xclaim", -6, claim::xclaim)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer."),
    Command::new("xdel", -3, write::xdel)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::Stream, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
    Command::container("xgroup", &[
        Command::new("xgroup|create", -5, groups::xgroup)
            .flags(flags!(WRITE | DENYOOM))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RW | INSERT))])
            .doc(Group::Stream, "5.0.0", "Create a consumer group."),
        Command::new("xgroup|createconsumer", 5, groups::xgroup)
            .flags(flags!(WRITE | DENYOOM))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RW | INSERT))])
            .doc(Group::Stream, "6.2.0", "Create a consumer in a consumer group."),
        Command::new("xgroup|delconsumer", 5, groups::xgroup)
            .flags(flags!(WRITE))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RW | DELETE))])
            .doc(Group::Stream, "5.0.0", "Delete a consumer from a consumer group."),
        Command::new("xgroup|destroy", 4, groups::xgroup)
            .flags(flags!(WRITE))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RW | DELETE))])
            .doc(Group::Stream, "5.0.0", "Destroy a consumer group."),
        Command::new("xgroup|help", 2, groups::help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(STREAM))
            .doc(Group::Stream, "5.0.0", "Show helpful text about the different subcommands"),
        Command::new("xgroup|setid", -5, groups::xgroup)
            .flags(flags!(WRITE))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RW | UPDATE))])
            .doc(Group::Stream, "5.0.0", "Set a consumer group to an arbitrary last delivered ID value."),
    ])
        .doc(Group::Stream, "5.0.0", "A container for consumer groups commands"),
    Command::container("xinfo", &[
        Command::new("xinfo|consumers", 4, info::consumers)
            .flags(flags!(READONLY))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RO | ACCESS))])
            .tips(&["nondeterministic_output"])
            .doc(Group::Stream, "5.0.0", "List the consumers in a consumer group"),
        Command::new("xinfo|groups", 3, info::groups)
            .flags(flags!(READONLY))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RO | ACCESS))])
            .doc(Group::Stream, "5.0.0", "List the consumer groups of a stream"),
        Command::new("xinfo|help", 2, info::help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(STREAM))
            .doc(Group::Stream, "5.0.0", "Show helpful text about the different subcommands"),
        Command::new("xinfo|stream", -3, info::stream)
            .flags(flags!(READONLY))
            .acl(acl!(STREAM))
            .keys(&[range(2, 0, 1, key!(RO | ACCESS))])
            .doc(Group::Stream, "5.0.0", "Get information about a stream"),
    ])
        .doc(Group::Stream, "5.0.0", "A container for stream introspection commands"),
    Command::new("xlen", 2, read::xlen)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Stream, "5.0.0", "Return the number of entries in a stream"),
    Command::new("xpending", -3, groups::xpending)
        .flags(flags!(READONLY))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged."),
    Command::new("xrange", -4, read::xrange)
        .flags(flags!(READONLY))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Stream, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval"),
    Command::new("xread", -4, read::xread)
        .flags(flags!(READONLY | BLOCKING))
        .acl(acl!(STREAM))
        .keys(&[after_keyword("STREAMS", 1, (-1, 1, 2), key!(RO | ACCESS))])
        .get_keys(GetKeys::Xread)
        .doc(Group::Stream, "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block."),
    Command::new("xreadgroup", -7, read::xreadgroup)
        .flags(flags!(WRITE | BLOCKING))
        .acl(acl!(STREAM))
        .keys(&[after_keyword("STREAMS", 4, (-1, 1, 2), key!(RO | ACCESS))])
        .get_keys(GetKeys::Xread)
        .doc(Group::Stream, "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block."),
    Command::new("xrevrange", -4, read::xrevrange)
        .flags(flags!(READONLY))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Stream, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE"),
    Command::new("xsetid", -3, write::xsetid)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Stream, "5.0.0", "An internal command for replicating stream values"),
    Command::new("xtrim", -4, write::xtrim)
        .flags(flags!(WRITE))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size"),
];

/// The stream in `entry`, or WRONGTYPE.
fn as_stream(entry: &Entry) -> Result<&Stream> {
    match &entry.value {
        Value::Stream(stream) => Ok(stream),
        _ => Err(Error::WrongType),
    }
}

/// The stream at `key` for a read command (counts a keyspace hit or miss): `None` if
/// missing, WRONGTYPE if not a stream.
fn read_stream<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Stream>> {
    db.read(key, now).map(as_stream).transpose()
}

/// The stream at `key` for a write command, before deciding whether to change it: `None`
/// if missing, WRONGTYPE if not a stream. Not counted as a write (WATCH, blocked clients).
fn peek_stream<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Stream>> {
    db.get(key, now).map(as_stream).transpose()
}

/// The stream at `key`, to change it in place: counts as a write, so only call this once
/// the change is certain.
fn stream_mut<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d mut Stream> {
    match db.get_mut(key, now).map(|entry| &mut entry.value) {
        Some(Value::Stream(stream)) => Some(stream),
        _ => None,
    }
}

/// The stream at `key`, to change it in a way Redis does not signal (consumer groups, XSETID,
/// XTRIM until it removed something): no write for WATCH or blocked clients. `None` if there
/// is no stream there.
fn stream_mut_unwatched<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d mut Stream> {
    match db.get_mut_unwatched(key, now).map(|entry| &mut entry.value) {
        Some(Value::Stream(stream)) => Some(stream),
        _ => None,
    }
}

/// Logs pending entry `id` as an XCLAIM that recreates it exactly (its consumer, delivery
/// time and count, and the group's last ID), as Redis's `streamPropagateXCLAIM`.
fn log_pending(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    group: &[u8],
    id: StreamId,
    pending: &Pending,
    last_id: StreamId,
) {
    let (id, time) = (id.to_string(), pending.delivered_at.to_string());
    let (count, last_id) = (pending.deliveries.to_string(), last_id.to_string());
    ctx.propagate(&[
        &b"XCLAIM"[..],
        key,
        group,
        &pending.consumer,
        b"0",
        id.as_bytes(),
        b"TIME",
        time.as_bytes(),
        b"RETRYCOUNT",
        count.as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        last_id.as_bytes(),
    ]);
}

/// Logs each of `ids` still pending in `group` of the stream at `key` as [`log_pending`]
/// does, with the group's last ID; returns how many it logged.
fn log_pending_ids(ctx: &mut Ctx<'_, '_>, key: &[u8], group: &[u8], ids: &[StreamId]) -> usize {
    let (db, _, _) = ctx.parts();
    let Some(Ok(stream)) = db.peek(key).map(as_stream) else {
        return 0;
    };
    let Some(the_group) = stream.group(group) else {
        return 0;
    };
    let last_id = the_group.last_id;
    let records: Vec<(StreamId, Pending)> = ids
        .iter()
        .filter_map(|id| the_group.pending().get(id).map(|p| (*id, p.clone())))
        .collect();
    for (id, pending) in &records {
        log_pending(ctx, key, group, *id, pending, last_id);
    }
    records.len()
}

/// Logs a group's last ID and read count as XGROUP SETID (Redis's
/// `streamPropagateGroupID`).
fn log_group_id(
    ctx: &mut Ctx<'_, '_>,
    key: &[u8],
    group: &[u8],
    last_id: StreamId,
    entries_read: Option<u64>,
) {
    let read = entries_read.map_or_else(|| "-1".to_string(), |n| n.to_string());
    let last_id = last_id.to_string();
    ctx.propagate(&[
        &b"XGROUP"[..],
        b"SETID",
        key,
        group,
        last_id.as_bytes(),
        b"ENTRIESREAD",
        read.as_bytes(),
    ]);
}

/// Logs a consumer made without a pending entry as XGROUP CREATECONSUMER.
fn log_consumer(ctx: &mut Ctx<'_, '_>, key: &[u8], group: &[u8], consumer: &[u8]) {
    ctx.propagate(&[&b"XGROUP"[..], b"CREATECONSUMER", key, group, consumer]);
}

/// The error for a missing key or group (XPENDING, XCLAIM, XAUTOCLAIM).
fn no_group(key: &[u8], group: &[u8]) -> Error {
    Error::Message(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// The error for a missing group of an existing stream (XGROUP, XINFO CONSUMERS).
fn no_such_group(key: &[u8], group: &[u8]) -> Error {
    Error::Message(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// A COUNT where 0 means no limit, as a number of entries.
fn count_limit(count: u64) -> usize {
    match count {
        0 => usize::MAX,
        count => usize::try_from(count).unwrap_or(usize::MAX),
    }
}

/// One entry as Redis replies it: its ID, then its fields and values in one array.
fn write_entry(reply: &mut Reply<'_>, entry: &StreamEntry<'_>) {
    reply.array(2);
    reply.bulk(entry.id.to_string().as_bytes());
    reply.array(entry.pair_count() * 2);
    for (field, value) in entry.fields() {
        reply.bulk(field);
        reply.bulk(value);
    }
}

/// Entries as an array.
fn write_entries(reply: &mut Reply<'_>, entries: &[StreamEntry<'_>]) {
    reply.array(entries.len());
    for entry in entries {
        write_entry(reply, entry);
    }
}
