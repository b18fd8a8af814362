//! One node of a stream: a run of consecutive entries in one flat buffer, as Redis keeps a
//! listpack per radix-tree node.
//!
//! The buffer starts with the fields of the node's first entry (its master fields), then the
//! entries in ID order. An entry is a flags byte, its ID as the difference from the node's
//! first ID, then its fields and values; an entry whose fields are the master fields, in the
//! same order, stores only its values. Lengths and numbers are LEB128. A deleted entry stays
//! in place with its flag set, as in Redis, until its whole node goes.
//!
//! ```text
//! master:  field count, then (length, field) for each
//! entry:   flags | ms delta | seq (delta when the ms are the node's) |
//!          [pair count | (length, field, length, value)...]   unless SAME_FIELDS
//!          [(length, value)...]                                with SAME_FIELDS
//! ```

use super::id::StreamId;
use super::redis_size;
use crate::rdb::listpack::ListpackWriter;
use crate::types::varint;

/// The entry was deleted (XDEL, or XTRIM inside a node).
const DELETED: u8 = 1;
/// The entry's fields are the node's master fields: only its values are stored.
const SAME_FIELDS: u8 = 2;

/// A run of entries sharing one allocation. Its first ID is the key it is kept under.
#[derive(Debug, Clone)]
pub(crate) struct Chunk {
    bytes: Vec<u8>,
    /// Where the first entry begins (after the master fields).
    entries_at: usize,
    /// How many master fields there are.
    master_fields: usize,
    /// Entries not deleted.
    pub(crate) live: u64,
    /// Entries deleted but still in the buffer.
    pub(crate) deleted: u64,
    /// What Redis's listpack for this node takes, without its header and its two counters.
    redis_body: u64,
}

/// An entry as it lies in a chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEntry {
    /// Where its flags byte is.
    pub(crate) at: usize,
    /// Its ID.
    pub(crate) id: StreamId,
    /// Whether it was deleted.
    pub(crate) deleted: bool,
    /// Where its first field (or value, with the master fields) begins.
    fields_at: usize,
    /// Its field-value pairs.
    pub(crate) pairs: usize,
    /// Whether its fields are the master fields.
    same_fields: bool,
    /// Where the next entry begins.
    next: usize,
}

impl Chunk {
    /// A node whose first entry is `id` with `pairs` (field, value, field, value...).
    pub(crate) fn new(id: StreamId, pairs: &[&[u8]]) -> Chunk {
        let mut chunk = Chunk {
            bytes: Vec::new(),
            entries_at: 0,
            master_fields: pairs.len() / 2,
            live: 0,
            deleted: 0,
            redis_body: redis_size::int(0),
        };
        put_len(&mut chunk.bytes, chunk.master_fields);
        chunk.redis_body += redis_size::int(chunk.master_fields as i64);
        for field in pairs.iter().step_by(2) {
            put_string(&mut chunk.bytes, field);
            chunk.redis_body += redis_size::string(field);
        }
        chunk.entries_at = chunk.bytes.len();
        let _ = chunk.push(id, id, pairs);
        chunk
    }

    /// Entries in the node, deleted ones included (Redis counts both to decide when a node
    /// is full).
    pub(crate) fn total(&self) -> u64 {
        self.live + self.deleted
    }

    /// The bytes Redis's listpack for this node takes.
    pub(crate) fn redis_bytes(&self) -> u64 {
        redis_size::HEADER_AND_END
            + redis_size::int(self.live as i64)
            + redis_size::int(self.deleted as i64)
            + self.redis_body
    }

    /// Heap bytes owned.
    pub(crate) fn heap_size(&self) -> usize {
        self.bytes.capacity()
    }

    /// Gives back the spare capacity: the node will not grow again.
    pub(crate) fn close(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// Appends entry `id` (greater than every entry in the node) to the node whose first ID
    /// is `base`; returns where it begins.
    pub(crate) fn push(&mut self, base: StreamId, id: StreamId, pairs: &[&[u8]]) -> usize {
        let count = pairs.len() / 2;
        let same_fields = count == self.master_fields && {
            let mut at = self.master_start();
            pairs
                .iter()
                .step_by(2)
                .all(|field| *field == read_string(&self.bytes, &mut at))
        };
        let flags = if same_fields { SAME_FIELDS } else { 0 };
        let at = self.bytes.len();
        self.bytes.push(flags);
        let (ms_delta, seq_part) = delta(base, id);
        put_len(&mut self.bytes, ms_delta as usize);
        put_len(&mut self.bytes, seq_part as usize);
        if !same_fields {
            put_len(&mut self.bytes, count);
        }
        let mut redis = redis_size::int(i64::from(flags))
            + redis_size::int(id.ms.wrapping_sub(base.ms) as i64)
            + redis_size::int(id.seq.wrapping_sub(base.seq) as i64);
        // Redis's entry ends with how many elements it has, to be read backwards.
        let mut elements = count as i64 + 3;
        if !same_fields {
            redis += redis_size::int(count as i64);
            elements += count as i64 + 1;
        }
        for pair in pairs.chunks_exact(2) {
            if !same_fields {
                put_string(&mut self.bytes, pair[0]);
                redis += redis_size::string(pair[0]);
            }
            put_string(&mut self.bytes, pair[1]);
            redis += redis_size::string(pair[1]);
        }
        self.redis_body += redis + redis_size::int(elements);
        self.live += 1;
        at
    }

    /// The entry at `at` (an offset from [`Chunk::entries`]) in the node whose first ID is
    /// `base`.
    pub(crate) fn entry(&self, base: StreamId, at: usize) -> RawEntry {
        let flags = self.bytes[at];
        let mut pos = at + 1;
        let ms_delta = read_len(&self.bytes, &mut pos) as u64;
        let seq_part = read_len(&self.bytes, &mut pos) as u64;
        let id = if ms_delta == 0 {
            StreamId::new(base.ms, base.seq + seq_part)
        } else {
            StreamId::new(base.ms + ms_delta, seq_part)
        };
        let same_fields = flags & SAME_FIELDS != 0;
        let (pairs, strings) = if same_fields {
            (self.master_fields, self.master_fields)
        } else {
            let pairs = read_len(&self.bytes, &mut pos);
            (pairs, pairs * 2)
        };
        let fields_at = pos;
        for _ in 0..strings {
            let len = read_len(&self.bytes, &mut pos);
            pos += len;
        }
        RawEntry {
            at,
            id,
            deleted: flags & DELETED != 0,
            fields_at,
            pairs,
            same_fields,
            next: pos,
        }
    }

    /// Every entry in ID order, deleted ones included, in the node whose first ID is `base`.
    pub(crate) fn entries(&self, base: StreamId) -> RawEntries<'_> {
        RawEntries {
            chunk: self,
            base,
            at: self.entries_at,
        }
    }

    /// Where the entry after `entry` begins, if there is one.
    pub(crate) fn entries_after(&self, entry: &RawEntry) -> Option<usize> {
        (entry.next < self.bytes.len()).then_some(entry.next)
    }

    /// The offsets of every entry, for walking the node backwards.
    pub(crate) fn offsets(&self, base: StreamId) -> Vec<usize> {
        self.entries(base).map(|entry| entry.at).collect()
    }

    /// The field-value pairs of `entry`.
    pub(crate) fn fields(&self, entry: &RawEntry) -> Fields<'_> {
        Fields {
            bytes: &self.bytes,
            master: entry.same_fields.then(|| self.master_start()),
            at: entry.fields_at,
            left: entry.pairs,
        }
    }

    /// Marks `entry` deleted (the caller removes the node instead when it was the last live
    /// one, as Redis does).
    pub(crate) fn mark_deleted(&mut self, entry: &RawEntry) {
        debug_assert!(!entry.deleted);
        self.bytes[entry.at] |= DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// The node as Redis 7.0's listpack holds it (what DUMP and RDB files carry): the master
    /// entry (live count, deleted count, the master fields, a 0), then each entry, deleted
    /// ones included: flags, the ID's two differences from the node's, the fields unless they
    /// are the master's, the values, and how many elements the entry took.
    pub(crate) fn redis_listpack(&self, base: StreamId) -> Vec<u8> {
        let mut lp = ListpackWriter::new();
        lp.push_int(self.live as i64);
        lp.push_int(self.deleted as i64);
        lp.push_int(self.master_fields as i64);
        let mut at = self.master_start();
        for _ in 0..self.master_fields {
            lp.push(read_string(&self.bytes, &mut at));
        }
        lp.push_int(0);
        for entry in self.entries(base) {
            let mut flags = if entry.deleted { DELETED } else { 0 };
            if entry.same_fields {
                flags |= SAME_FIELDS;
            }
            lp.push_int(i64::from(flags));
            lp.push_int(entry.id.ms.wrapping_sub(base.ms) as i64);
            lp.push_int(entry.id.seq.wrapping_sub(base.seq) as i64);
            let pairs = entry.pairs as i64;
            let mut elements = pairs + 3;
            if !entry.same_fields {
                lp.push_int(pairs);
                elements += pairs + 1;
            }
            for (field, value) in self.fields(&entry) {
                if !entry.same_fields {
                    lp.push(field);
                }
                lp.push(value);
            }
            lp.push_int(elements);
        }
        lp.finish()
    }

    /// Where the first master field's length is.
    fn master_start(&self) -> usize {
        let mut at = 0;
        read_len(&self.bytes, &mut at);
        at
    }
}

/// The entries of a chunk, forwards. See [`Chunk::entries`].
pub(crate) struct RawEntries<'a> {
    chunk: &'a Chunk,
    base: StreamId,
    at: usize,
}

impl Iterator for RawEntries<'_> {
    type Item = RawEntry;

    fn next(&mut self) -> Option<RawEntry> {
        if self.at >= self.chunk.bytes.len() {
            return None;
        }
        let entry = self.chunk.entry(self.base, self.at);
        self.at = entry.next;
        Some(entry)
    }
}

/// An entry's field-value pairs, in the order they were added.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    bytes: &'a [u8],
    /// Where the next master field is, for an entry that stores only values.
    master: Option<usize>,
    at: usize,
    left: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = match &mut self.master {
            Some(master) => read_string(self.bytes, master),
            None => read_string(self.bytes, &mut self.at),
        };
        let value = read_string(self.bytes, &mut self.at);
        Some((field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Fields<'_> {}

/// How an entry's ID is stored relative to its node's first ID: the ms difference, and the
/// seq as a difference when the ms are the same (IDs only grow within a node).
fn delta(base: StreamId, id: StreamId) -> (u64, u64) {
    let ms_delta = id.ms - base.ms;
    if ms_delta == 0 {
        (0, id.seq - base.seq)
    } else {
        (ms_delta, id.seq)
    }
}

fn put_len(out: &mut Vec<u8>, value: usize) {
    let mut buf = [0; varint::MAX];
    let used = varint::encode(value, &mut buf);
    out.extend_from_slice(&buf[..used]);
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn read_len(bytes: &[u8], at: &mut usize) -> usize {
    let (value, used) = varint::decode(bytes, *at);
    *at += used;
    value
}

fn read_string<'a>(bytes: &'a [u8], at: &mut usize) -> &'a [u8] {
    let len = read_len(bytes, at);
    let string = &bytes[*at..*at + len];
    *at += len;
    string
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs_of(chunk: &Chunk, entry: &RawEntry) -> Vec<(Vec<u8>, Vec<u8>)> {
        chunk
            .fields(entry)
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect()
    }

    #[test]
    fn entries_read_back_with_their_ids_and_fields() {
        let base = StreamId::new(1000, 5);
        let mut chunk = Chunk::new(base, &[b"a", b"1", b"b", b"2"]);
        chunk.push(base, StreamId::new(1000, 9), &[b"a", b"3", b"b", b"4"]);
        chunk.push(base, StreamId::new(1300, 0), &[b"b", b"5", b"a", b"6"]);
        chunk.push(base, StreamId::new(u64::MAX, u64::MAX), &[b"x", b""]);
        let entries: Vec<RawEntry> = chunk.entries(base).collect();
        let ids: Vec<StreamId> = entries.iter().map(|e| e.id).collect();
        assert_eq!(
            ids,
            [
                base,
                StreamId::new(1000, 9),
                StreamId::new(1300, 0),
                StreamId::MAX
            ]
        );
        assert!(entries[1].same_fields && !entries[2].same_fields);
        assert_eq!(
            pairs_of(&chunk, &entries[1]),
            [
                (b"a".to_vec(), b"3".to_vec()),
                (b"b".to_vec(), b"4".to_vec())
            ]
        );
        assert_eq!(
            pairs_of(&chunk, &entries[2]),
            [
                (b"b".to_vec(), b"5".to_vec()),
                (b"a".to_vec(), b"6".to_vec())
            ]
        );
        assert_eq!(pairs_of(&chunk, &entries[3]), [(b"x".to_vec(), Vec::new())]);
        chunk.mark_deleted(&entries[1]);
        let again: Vec<bool> = chunk.entries(base).map(|e| e.deleted).collect();
        assert_eq!(again, [false, true, false, false]);
        assert_eq!((chunk.live, chunk.deleted), (3, 1));
        assert_eq!(chunk.offsets(base).len(), 4);
    }

    #[test]
    fn redis_bytes_match_redis_listpacks() {
        // XADD s 1-1 field value makes a listpack of: header and end (7), count 1, deleted
        // 0, one field, "field", the master's 0 (2 + 2 + 2 + 7 + 2), then the entry's flags,
        // ms and seq differences, "value" and its element count 4 (2 + 2 + 2 + 7 + 2).
        let base = StreamId::new(1, 1);
        let chunk = Chunk::new(base, &[b"field", b"value"]);
        let expected = 7 + 2 + 2 + 2 + 7 + 2 + (2 + 2 + 2 + 7 + 2);
        assert_eq!(chunk.redis_bytes(), expected);
    }
}
