//! Stream commands: XADD, XTRIM, XDEL, XSETID (`write.rs`), XLEN, XRANGE, XREVRANGE, XREAD
//! (`read.rs`), XINFO (`info.rs`), and the ID syntax they share (`ids.rs`).
//!
//! Consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) are not here
//! yet: those commands are unknown, and no stream has a group.
//!
//! Argument checks, key lookups and type checks happen in the order Redis 7.0's t_stream.c
//! does them, since that order decides which error a client sees.

mod ids;
mod info;
mod read;
mod write;

use radish_data::types::stream::{Stream, StreamEntry};
use radish_data::{Db, Entry, Millis, Value};

use crate::error::{Error, Result};
use crate::exec::command::{acl, after_keyword, flags, key, range, Command, GetKeys, Group};
use crate::exec::reply::Reply;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("xadd", -5, write::xadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))
            .note("UPDATE instead of INSERT because of the optional trimming feature")])
        .tips(&["nondeterministic_output"])
        .doc(Group::Stream, "5.0.0", "Appends a new entry to a stream"),
    Command::new("xdel", -3, write::xdel)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STREAM))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::Stream, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist."),
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
