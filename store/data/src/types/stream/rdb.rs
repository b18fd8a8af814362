//! A stream in RDB's encoding, as Redis 7.0 writes it (`RDB_TYPE_STREAM_LISTPACKS_2`): its
//! nodes as listpacks keyed by their first ID, its counters, then each consumer group with
//! its pending entries and its consumers.
//!
//! ```text
//! nodes: <count> (<16-byte big-endian first ID as a string> <listpack as a string>)...
//! <length> <last ID ms> <seq> <first ID ms> <seq> <max deleted ms> <seq> <entries added>
//! groups: <count> (<name> <last ID ms> <seq> <entries read, 2^64-1 for unknown>
//!                  <pending count> (<16-byte ID> <delivery time: 8 bytes LE> <deliveries>)...
//!                  <consumer count> (<name> <seen time: 8 bytes LE>
//!                                    <count> <16-byte ID>...)...)...
//! ```
//!
//! A node is written as the listpack Redis would hold (deleted entries included), so DUMP
//! gives Redis's bytes, and read back into the same node, so the boundaries survive.

use std::collections::{BTreeMap, BTreeSet};

use super::chunk::Chunk;
use super::groups::Group;
use super::{Stream, StreamId, NODE_OVERHEAD};
use crate::rdb::listpack::{self, Element};
use crate::rdb::object::ReadError;
use crate::rdb::string::{read_plain_length, read_string, write_length, write_string};
use crate::time::Millis;

/// Entries read by a group whose count is not known (Redis's -1).
const UNKNOWN_READ: u64 = u64::MAX;

type Read<T> = Result<T, ReadError>;

fn corrupt<T>(option: Option<T>) -> Read<T> {
    option.ok_or(ReadError::Corrupt)
}

/// An ID as the radix tree keys and the pending lists hold it: 16 bytes, big-endian.
fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&id.ms.to_be_bytes());
    bytes[8..].copy_from_slice(&id.seq.to_be_bytes());
    bytes
}

fn id_from_bytes(bytes: &[u8]) -> Option<StreamId> {
    let bytes: [u8; 16] = bytes.try_into().ok()?;
    let ms = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    let seq = u64::from_be_bytes(bytes[8..].try_into().ok()?);
    Some(StreamId::new(ms, seq))
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    write_length(out, id.ms);
    write_length(out, id.seq);
}

fn read_id(input: &[u8], pos: &mut usize) -> Read<StreamId> {
    let ms = corrupt(read_plain_length(input, pos))?;
    let seq = corrupt(read_plain_length(input, pos))?;
    Ok(StreamId::new(ms, seq))
}

fn read_raw_id(input: &[u8], pos: &mut usize) -> Read<StreamId> {
    let id = corrupt(input.get(*pos..*pos + 16).and_then(id_from_bytes))?;
    *pos += 16;
    Ok(id)
}

fn read_time(input: &[u8], pos: &mut usize) -> Read<Millis> {
    let bytes = corrupt(input.get(*pos..*pos + 8))?;
    *pos += 8;
    Ok(u64::from_le_bytes(corrupt(bytes.try_into().ok())?))
}

/// Which of Redis's stream encodings is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// Redis 5 to 6.2 (`RDB_TYPE_STREAM_LISTPACKS`).
    V1,
    /// Redis 7.0 (`RDB_TYPE_STREAM_LISTPACKS_2`), which radish writes.
    V2,
    /// Redis 7.2 (`RDB_TYPE_STREAM_LISTPACKS_3`).
    V3,
}

impl Stream {
    /// Appends the stream in RDB's encoding (without its type byte).
    pub(crate) fn write_rdb(&self, out: &mut Vec<u8>, compress: bool) {
        write_length(out, self.chunks.len() as u64);
        for (&base, chunk) in &self.chunks {
            write_string(out, &id_bytes(base), compress);
            write_string(out, &chunk.redis_listpack(base), compress);
        }
        write_length(out, self.len);
        write_id(out, self.last_id);
        write_id(out, self.first_id);
        write_id(out, self.max_deleted_id);
        write_length(out, self.entries_added);
        write_length(out, self.groups.len() as u64);
        for (name, group) in &self.groups {
            write_string(out, name, compress);
            write_id(out, group.last_id);
            write_length(out, group.entries_read.unwrap_or(UNKNOWN_READ));
            write_length(out, group.pending().len() as u64);
            for (&id, pending) in group.pending() {
                out.extend_from_slice(&id_bytes(id));
                out.extend_from_slice(&pending.delivered_at.to_le_bytes());
                write_length(out, pending.deliveries);
            }
            write_length(out, group.consumer_count() as u64);
            for (name, consumer) in group.consumers() {
                write_string(out, name, compress);
                out.extend_from_slice(&consumer.seen_at.to_le_bytes());
                write_length(out, consumer.pending().len() as u64);
                for &id in consumer.pending() {
                    out.extend_from_slice(&id_bytes(id));
                }
            }
        }
    }

    /// Reads a stream written by [`Stream::write_rdb`] or by Redis 7.0 ([`StreamFormat::V2`]),
    /// by Redis 7.2 (`V3`, whose consumers' active times are passed over: radish keeps what
    /// 7.0 keeps), or by Redis 6.2 (`V1`), whose streams lack the first and greatest deleted
    /// IDs, the count of entries ever added and the groups' read counters: those are then
    /// worked out as Redis 7.0 works them out when it loads one. Checks that the nodes,
    /// counters, groups and pending entries agree with each other.
    pub(crate) fn read_rdb(input: &[u8], pos: &mut usize, format: StreamFormat) -> Read<Stream> {
        let with_counters = format != StreamFormat::V1;
        let mut stream = Stream::new();
        let nodes = corrupt(read_plain_length(input, pos))?;
        let mut previous: Option<StreamId> = None;
        for _ in 0..nodes {
            let key = corrupt(read_string(input, pos))?;
            let base = corrupt(id_from_bytes(&key))?;
            let blob = corrupt(read_string(input, pos))?;
            let (chunk, last) = corrupt(read_node(base, &blob, previous))?;
            previous = Some(last);
            stream.len += chunk.live;
            stream.nodes_heap += chunk.heap_size() + NODE_OVERHEAD;
            stream.chunks.insert(base, chunk);
        }
        let length = corrupt(read_plain_length(input, pos))?;
        stream.last_id = read_id(input, pos)?;
        if with_counters {
            stream.first_id = read_id(input, pos)?;
            stream.max_deleted_id = read_id(input, pos)?;
            stream.entries_added = corrupt(read_plain_length(input, pos))?;
        } else {
            stream.first_id = stream.first_entry().map_or(StreamId::MIN, |entry| entry.id);
            stream.entries_added = stream.len;
        }
        if length != stream.len || previous.is_some_and(|last| last > stream.last_id) {
            return Err(ReadError::Corrupt);
        }
        let groups = corrupt(read_plain_length(input, pos))?;
        for _ in 0..groups {
            let name = corrupt(read_string(input, pos))?;
            let group = read_group(input, pos, (!with_counters).then_some(&stream), format)?;
            if stream.groups.insert(name.into(), group).is_some() {
                return Err(ReadError::Corrupt);
            }
        }
        Ok(stream)
    }
}

/// One group: its position, its read counter (or, for a stream of Redis 6.2's, passed as
/// `estimate_from`, the counter estimated from the stream), its pending entries, then its
/// consumers with the IDs each holds; every pending entry must belong to exactly one consumer.
fn read_group(
    input: &[u8],
    pos: &mut usize,
    estimate_from: Option<&Stream>,
    format: StreamFormat,
) -> Read<Group> {
    let last_id = read_id(input, pos)?;
    let entries_read = match estimate_from {
        Some(stream) => stream.entries_up_to(last_id),
        None => match corrupt(read_plain_length(input, pos))? {
            UNKNOWN_READ => None,
            read => Some(read),
        },
    };
    let mut group = Group::new(last_id, entries_read);
    // ID -> (delivery time, deliveries, whether a consumer claimed it yet).
    let mut pending: BTreeMap<StreamId, (Millis, u64, bool)> = BTreeMap::new();
    for _ in 0..corrupt(read_plain_length(input, pos))? {
        let id = read_raw_id(input, pos)?;
        let delivered_at = read_time(input, pos)?;
        let deliveries = corrupt(read_plain_length(input, pos))?;
        if pending
            .insert(id, (delivered_at, deliveries, false))
            .is_some()
        {
            return Err(ReadError::Corrupt);
        }
    }
    for _ in 0..corrupt(read_plain_length(input, pos))? {
        let name = corrupt(read_string(input, pos))?;
        let seen_at = read_time(input, pos)?;
        if format == StreamFormat::V3 {
            read_time(input, pos)?;
        }
        if !group.create_consumer(&name, seen_at) {
            return Err(ReadError::Corrupt);
        }
        for _ in 0..corrupt(read_plain_length(input, pos))? {
            let id = read_raw_id(input, pos)?;
            let entry = corrupt(pending.get_mut(&id))?;
            if entry.2 {
                return Err(ReadError::Corrupt);
            }
            entry.2 = true;
            group.assign(id, &name, entry.0, Some(entry.1));
        }
    }
    if pending.values().any(|entry| !entry.2) {
        return Err(ReadError::Corrupt);
    }
    Ok(group)
}

/// One node's listpack, rebuilt as the same node: the master entry, then every entry in
/// ascending ID order after `previous`, the first one being the node's key with the master
/// fields. Returns the node and its last ID.
fn read_node(base: StreamId, blob: &[u8], previous: Option<StreamId>) -> Option<(Chunk, StreamId)> {
    let elements = listpack::read(blob)?;
    let mut items = elements.iter().copied();
    let mut next = move || -> Option<Element<'_>> { items.next() };
    let live = u64::try_from(next()?.as_int()?).ok()?;
    let deleted = u64::try_from(next()?.as_int()?).ok()?;
    let master_count = usize::try_from(next()?.as_int()?).ok()?;
    let mut master = Vec::with_capacity(master_count.min(blob.len()));
    for _ in 0..master_count {
        master.push(next()?.to_vec());
    }
    if next()?.as_int()? != 0 {
        return None;
    }
    let mut chunk: Option<Chunk> = None;
    let mut deletions = BTreeSet::new();
    let mut last = previous;
    while let Some(flags) = next() {
        let flags = flags.as_int()?;
        if !(0..=3).contains(&flags) {
            return None;
        }
        let ms = base.ms.wrapping_add(next()?.as_int()? as u64);
        let seq = base.seq.wrapping_add(next()?.as_int()? as u64);
        let id = StreamId::new(ms, seq);
        let same_fields = flags & 2 != 0;
        let count = if same_fields {
            master_count
        } else {
            usize::try_from(next()?.as_int()?).ok()?
        };
        let mut pairs: Vec<Vec<u8>> = Vec::with_capacity(2 * count.min(blob.len()));
        for index in 0..count {
            let field = if same_fields {
                master.get(index)?.clone()
            } else {
                next()?.to_vec()
            };
            pairs.push(field);
            pairs.push(next()?.to_vec());
        }
        let elements_used = count as i64 + 3 + if same_fields { 0 } else { count as i64 + 1 };
        if next()?.as_int()? != elements_used || last.is_some_and(|last| id <= last) || count == 0 {
            return None;
        }
        let pairs: Vec<&[u8]> = pairs.iter().map(Vec::as_slice).collect();
        match &mut chunk {
            None => {
                // The first entry is the node's key and gave the node its master fields.
                let fields: Vec<&[u8]> = pairs.iter().step_by(2).copied().collect();
                let master: Vec<&[u8]> = master.iter().map(Vec::as_slice).collect();
                if id != base || !same_fields || fields != master {
                    return None;
                }
                chunk = Some(Chunk::new(id, &pairs));
            }
            Some(chunk) => {
                let _ = chunk.push(base, id, &pairs);
            }
        }
        if flags & 1 != 0 {
            deletions.insert(id);
        }
        last = Some(id);
    }
    let mut chunk = chunk?;
    let gone: Vec<_> = chunk
        .entries(base)
        .filter(|entry| deletions.contains(&entry.id))
        .collect();
    for entry in &gone {
        chunk.mark_deleted(entry);
    }
    if chunk.live != live || chunk.deleted != deleted || live == 0 {
        return None;
    }
    chunk.close();
    Some((chunk, last?))
}
