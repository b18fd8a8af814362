//! Streams: entries of field-value pairs in ID order, appended at the end, read by ID range,
//! deleted one by one or trimmed from the start.
//!
//! Entries are kept in nodes of consecutive entries (`chunk.rs`), each one flat allocation,
//! in a B-tree keyed by each node's first ID, as Redis keeps listpacks in a radix tree. A node
//! ends where Redis's would (`stream-node-max-entries`, `stream-node-max-bytes` counted in
//! Redis's own encoding, see `redis_size.rs`): trimming with `~` removes whole nodes only, so
//! the same boundaries leave the same entries.

mod chunk;
mod groups;
mod id;
mod rdb;
mod redis_size;

use std::collections::{btree_map, BTreeMap, HashSet};

pub use chunk::Fields;
use chunk::{Chunk, RawEntry};
pub use groups::{Consumer, Group, Pending};
pub use id::StreamId;
pub use rdb::StreamFormat;

use crate::time::Millis;
use crate::types::EncodingLimits;

/// The most bytes of fields and values one entry may have (Redis's listpack limit).
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// A stream.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    chunks: BTreeMap<StreamId, Chunk>,
    /// Entries not deleted.
    len: u64,
    /// The greatest ID ever added (or set by XSETID).
    last_id: StreamId,
    /// The first entry's ID, 0-0 when empty.
    first_id: StreamId,
    /// The greatest ID deleted by XDEL (or set by XSETID).
    max_deleted_id: StreamId,
    /// Entries ever added.
    entries_added: u64,
    /// Heap bytes of the nodes, kept up to date: memory accounting asks after every write.
    nodes_heap: usize,
    /// Consumer groups by name.
    groups: BTreeMap<Box<[u8]>, Group>,
}

/// How XCLAIM claims (see [`Stream::claim`]).
#[derive(Debug, Clone, Copy)]
pub struct ClaimOptions {
    /// Only entries idle at least this long (ms); 0 for any.
    pub min_idle: u64,
    /// The delivery time to record (IDLE, TIME; now when not given).
    pub delivered_at: Millis,
    /// RETRYCOUNT: the delivery count to record.
    pub retry_count: Option<u64>,
    /// FORCE: create pending entries for IDs nobody holds (if the entry exists).
    pub force: bool,
    /// JUSTID: the delivery count does not grow.
    pub just_id: bool,
}

/// What a claim did: the IDs claimed, and the pending entries dropped because their stream
/// entry is gone (with what they held, for the log).
#[derive(Debug, Default)]
pub struct Claimed {
    /// Claimed, in order.
    pub ids: Vec<StreamId>,
    /// Dropped from the pending entries: the entry was deleted.
    pub dropped: Vec<(StreamId, Pending)>,
    /// The consumer was created by the claim.
    pub created_consumer: bool,
    /// XAUTOCLAIM: where the next call should start (0-0 when the scan is done).
    pub next: StreamId,
}

/// What one node costs besides its buffer: its key and record, with its share of a B-tree
/// node (which holds up to 11 of them).
const NODE_OVERHEAD: usize = std::mem::size_of::<(StreamId, Chunk)>() * 12 / 11;

/// The ID XADD asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId {
    /// `*`: the time now, or the next sequence number after the last ID.
    Auto,
    /// `<ms>-*`: this millisecond, with the next free sequence number.
    Ms(u64),
    /// `<ms>-<seq>`.
    Exact(StreamId),
}

/// Why XADD could not add an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the stream's last ID.
    NotGreater,
    /// The fields and values are larger than a node can hold.
    TooLarge,
    /// `<ms>-*` for the millisecond of the last ID, whose sequence number is the largest.
    SequenceExhausted,
}

/// How XADD and XTRIM trim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// MAXLEN: keep at most this many entries.
    MaxLen(u64),
    /// MINID: keep no entry below this ID.
    MinId(StreamId),
}

/// An entry of a stream, as a range reads it.
#[derive(Debug, Clone)]
pub struct StreamEntry<'a> {
    /// Its ID.
    pub id: StreamId,
    chunk: &'a Chunk,
    raw: RawEntry,
}

impl<'a> StreamEntry<'a> {
    /// Its field-value pairs, in the order they were added.
    pub fn fields(&self) -> Fields<'a> {
        self.chunk.fields(&self.raw)
    }

    /// How many field-value pairs it has.
    pub fn pair_count(&self) -> usize {
        self.raw.pairs
    }
}

impl Stream {
    /// An empty stream (XGROUP CREATE ... MKSTREAM, XADD on a new key).
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Entries in the stream.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True with no entries (a stream key may exist empty).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The greatest ID added or set.
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The first entry's ID as recorded, 0-0 when empty.
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// The greatest ID deleted by XDEL (or set by XSETID), 0-0 if none.
    pub fn max_deleted_id(&self) -> StreamId {
        self.max_deleted_id
    }

    /// Entries ever added.
    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// Adds an entry of `pairs` (field, value, field, value...; at least one pair) with the
    /// ID `id` asks for, `now` being the time for `*`. Returns the ID added.
    pub fn add(
        &mut self,
        id: NewId,
        pairs: &[&[u8]],
        now: Millis,
        limits: &EncodingLimits,
    ) -> Result<StreamId, AddError> {
        let last = self.last_id;
        let id = match id {
            NewId::Auto if now > last.ms => StreamId::new(now, 0),
            NewId::Auto => last.next().ok_or(AddError::NotGreater)?,
            NewId::Ms(ms) if ms == last.ms => last
                .next()
                .filter(|id| id.ms == ms)
                .ok_or(AddError::SequenceExhausted)?,
            NewId::Ms(ms) => StreamId::new(ms, 0),
            NewId::Exact(id) => id,
        };
        if id <= last {
            return Err(AddError::NotGreater);
        }
        let bytes: u64 = pairs.iter().map(|p| p.len() as u64).sum();
        if bytes > MAX_ENTRY_BYTES {
            return Err(AddError::TooLarge);
        }
        let max_bytes = match limits.stream_node_bytes {
            0 => MAX_ENTRY_BYTES,
            bytes => bytes.min(MAX_ENTRY_BYTES),
        };
        let max_entries = limits.stream_node_entries;
        match self.chunks.last_entry() {
            Some(mut tail)
                if tail.get().redis_bytes() + bytes < max_bytes
                    && (max_entries == 0 || tail.get().total() < max_entries) =>
            {
                let base = *tail.key();
                let chunk = tail.get_mut();
                let before = chunk.heap_size();
                chunk.push(base, id, pairs);
                self.nodes_heap = self.nodes_heap - before + chunk.heap_size();
            }
            tail => {
                if let Some(mut tail) = tail {
                    let chunk = tail.get_mut();
                    let before = chunk.heap_size();
                    chunk.close();
                    self.nodes_heap = self.nodes_heap - before + chunk.heap_size();
                }
                let chunk = Chunk::new(id, pairs);
                self.nodes_heap += chunk.heap_size() + NODE_OVERHEAD;
                self.chunks.insert(id, chunk);
            }
        }
        self.len += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.len == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// The entries from `start` to `end` (both included), forwards or backwards (`rev`).
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Entries<'_> {
        let from = self
            .chunks
            .range(..=start)
            .next_back()
            .map_or(start, |(key, _)| *key);
        let chunks = if start <= end {
            self.chunks.range(from..=end)
        } else {
            btree_map::Range::default()
        };
        Entries {
            chunks,
            current: None,
            start,
            end,
            rev,
        }
    }

    /// Entry `id`, unless it is not in the stream (or was deleted).
    pub fn get(&self, id: StreamId) -> Option<StreamEntry<'_>> {
        self.range(id, id, false).next()
    }

    /// The first entry not deleted, if any.
    pub fn first_entry(&self) -> Option<StreamEntry<'_>> {
        self.range(StreamId::MIN, StreamId::MAX, false).next()
    }

    /// The last entry not deleted, if any.
    pub fn last_entry(&self) -> Option<StreamEntry<'_>> {
        self.range(StreamId::MIN, StreamId::MAX, true).next()
    }

    /// Deletes entry `id` (XDEL): true if it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&base, chunk)) = self.chunks.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(entry) = chunk
            .entries(base)
            .take_while(|entry| entry.id <= id)
            .find(|entry| entry.id == id && !entry.deleted)
        else {
            return false;
        };
        if chunk.live == 1 {
            self.nodes_heap -= chunk.heap_size() + NODE_OVERHEAD;
            self.chunks.remove(&base);
        } else {
            chunk.mark_deleted(&entry);
        }
        self.len -= 1;
        self.max_deleted_id = self.max_deleted_id.max(id);
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.first_entry().map_or(StreamId::MIN, |entry| entry.id);
        }
        true
    }

    /// Trims from the start as Redis's `streamTrim` does: whole nodes while they fit in what
    /// goes, then (unless `approx`) entries inside the next node. With `limit` (0 for none),
    /// stops before a node that would take the count removed past it. Returns the entries
    /// removed.
    pub fn trim(&mut self, trim: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed = 0;
        while let Some(mut first) = self.chunks.first_entry() {
            if let Trim::MaxLen(max) = trim {
                if self.len <= max {
                    break;
                }
            }
            let base = *first.key();
            let chunk = first.get_mut();
            let live = chunk.live;
            if limit != 0 && removed + live > limit {
                break;
            }
            let whole = match trim {
                Trim::MaxLen(max) => self.len - live >= max,
                Trim::MinId(min) => chunk.entries(base).last().is_some_and(|e| e.id < min),
            };
            if whole {
                self.nodes_heap -= first.remove().heap_size() + NODE_OVERHEAD;
                self.len -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            let doomed: Vec<RawEntry> = chunk
                .entries(base)
                .scan(self.len, |len, entry| {
                    let stop = match trim {
                        Trim::MaxLen(max) => *len <= max,
                        Trim::MinId(min) => entry.id >= min,
                    };
                    if !entry.deleted {
                        *len -= 1;
                    }
                    (!stop).then_some(entry)
                })
                .filter(|entry| !entry.deleted)
                .collect();
            for entry in &doomed {
                chunk.mark_deleted(entry);
            }
            self.len -= doomed.len() as u64;
            removed += doomed.len() as u64;
            break;
        }
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.first_id = self.first_entry().map_or(StreamId::MIN, |entry| entry.id);
        }
        removed
    }

    /// XSETID: the last ID, and optionally the count of entries ever added and the greatest
    /// deleted ID. The caller has checked them against the entries.
    pub fn set_ids(
        &mut self,
        last_id: StreamId,
        entries_added: Option<u64>,
        max_deleted_id: Option<StreamId>,
    ) {
        self.last_id = last_id;
        if let Some(added) = entries_added {
            self.entries_added = added;
        }
        if let Some(id) = max_deleted_id {
            self.max_deleted_id = id;
        }
    }

    /// Nodes the entries are kept in (XINFO STREAM's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.chunks.len()
    }

    /// The nodes Redis's radix tree would have for these node keys (XINFO STREAM's
    /// `radix-tree-nodes`): the root, one per key, one per prefix where keys branch apart,
    /// and one per child of such a prefix, a node counted once whatever its roles.
    pub fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.chunks.keys().map(|id| id.to_be_bytes()).collect();
        let mut nodes: HashSet<(usize, [u8; 16])> = HashSet::new();
        nodes.insert((0, [0; 16]));
        let prefix = |key: &[u8; 16], len: usize| {
            let mut bytes = [0; 16];
            bytes[..len].copy_from_slice(&key[..len]);
            (len, bytes)
        };
        for key in &keys {
            nodes.insert((16, *key));
        }
        for pair in keys.windows(2) {
            let common = pair[0]
                .iter()
                .zip(&pair[1])
                .take_while(|(a, b)| a == b)
                .count();
            nodes.insert(prefix(&pair[0], common));
            nodes.insert(prefix(&pair[0], common + 1));
            nodes.insert(prefix(&pair[1], common + 1));
        }
        nodes.len()
    }

    /// The bytes Redis's listpacks for these nodes take (what its snapshot writes of them).
    pub fn listpack_bytes(&self) -> u64 {
        self.chunks.values().map(Chunk::redis_bytes).sum()
    }

    /// Heap bytes owned, the stream's own box included.
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Stream>()
            + self.nodes_heap
            + self
                .groups
                .iter()
                .map(|(name, group)| name.len() + group.heap_size())
                .sum::<usize>()
    }

    /// [`Stream::heap_size`] counted node by node, to check the running count.
    #[cfg(test)]
    fn counted_heap_size(&self) -> usize {
        self.heap_size() - self.nodes_heap
            + self
                .chunks
                .values()
                .map(|chunk| chunk.heap_size() + NODE_OVERHEAD)
                .sum::<usize>()
    }

    // --- Consumer groups ---------------------------------------------------------------

    /// The consumer groups, in name order.
    pub fn groups(&self) -> impl Iterator<Item = (&[u8], &Group)> {
        self.groups.iter().map(|(name, group)| (&name[..], group))
    }

    /// How many consumer groups there are.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The group called `name`.
    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    /// The group called `name`, to change it.
    pub fn group_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.groups.get_mut(name)
    }

    /// XGROUP CREATE: false if the group exists already.
    pub fn create_group(
        &mut self,
        name: &[u8],
        last_id: StreamId,
        entries_read: Option<u64>,
    ) -> bool {
        if self.groups.contains_key(name) {
            return false;
        }
        self.groups
            .insert(name.into(), Group::new(last_id, entries_read));
        true
    }

    /// XGROUP DESTROY: false if there was no such group.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        self.groups.remove(name).is_some()
    }

    /// True if entry `id` is in the stream (not deleted).
    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// True if an entry from `start` on (to `end`) may have been deleted: the greatest
    /// deleted ID falls in the range (Redis's `streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        let deleted = self.max_deleted_id;
        if self.len == 0 || deleted.is_zero() || self.first_id > deleted {
            return false;
        }
        start <= deleted && deleted <= end
    }

    /// How many entries were added up to `id`, when the stream can tell (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`): not for an ID between the first and last
    /// entries, or past the last, or with deletions in the way.
    pub fn entries_up_to(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.len == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        let deleted = self.max_deleted_id;
        if deleted.is_zero() || deleted < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.len);
            }
            if id == self.first_id {
                return Some(self.entries_added - self.len + 1);
            }
        }
        None
    }

    /// How many entries `group` has yet to read, when that can be told (XINFO's `lag`).
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let read = match group.entries_read {
            Some(read) if !self.range_has_tombstones(group.last_id, StreamId::MAX) => read,
            _ => self.entries_up_to(group.last_id)?,
        };
        Some(self.entries_added as i64 - read as i64)
    }

    /// XREADGROUP with `>`: delivers up to `count` entries after the group's last ID to
    /// `consumer` (which exists), moving the group's last ID and read count along and, unless
    /// `no_ack`, recording each as pending. Returns the IDs delivered.
    pub fn read_group(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        count: usize,
        no_ack: bool,
        now: Millis,
    ) -> Vec<StreamId> {
        let Some(after) = self.groups.get(group).map(|g| g.last_id) else {
            return Vec::new();
        };
        let Some(start) = after.next() else {
            return Vec::new();
        };
        let ids: Vec<StreamId> = self
            .range(start, StreamId::MAX, false)
            .take(count)
            .map(|entry| entry.id)
            .collect();
        for &id in &ids {
            let tombstones = self.range_has_tombstones(id, StreamId::MAX);
            let estimate = self.entries_up_to(id);
            let added = self.entries_added;
            let group = self.groups.get_mut(group).expect("looked up above");
            if id > group.last_id {
                match group.entries_read {
                    Some(read) if !tombstones => group.entries_read = Some(read + 1),
                    _ if added > 0 => group.entries_read = estimate,
                    _ => {}
                }
                group.last_id = id;
            }
            if !no_ack {
                group.deliver(id, consumer, now);
            }
        }
        ids
    }

    /// XREADGROUP with an ID: the entries `consumer` holds from `start` on (up to `count`, 0
    /// for all); those still in the stream count as delivered again now.
    pub fn read_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now: Millis,
    ) -> Vec<StreamId> {
        let held: Vec<StreamId> = match self.group(group).and_then(|g| g.consumer(consumer)) {
            Some(consumer) => consumer
                .pending()
                .range(start..)
                .take(if count == 0 { usize::MAX } else { count })
                .copied()
                .collect(),
            None => return Vec::new(),
        };
        let present: Vec<StreamId> = held
            .iter()
            .copied()
            .filter(|&id| self.contains(id))
            .collect();
        let group = self.groups.get_mut(group).expect("looked up above");
        for id in present {
            if let Some(pending) = group.pending_mut(id) {
                pending.delivered_at = now;
                pending.deliveries += 1;
            }
        }
        held
    }

    /// XCLAIM: gives `consumer` (created if needed) the pending entries among `ids` idle long
    /// enough, as Redis's `xclaimCommand` does; drops pending entries whose stream entry is
    /// gone.
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
        options: ClaimOptions,
        now: Millis,
    ) -> Claimed {
        let mut claimed = Claimed::default();
        let mut seen = false;
        for &id in ids {
            let exists = self.contains(id);
            let group = self
                .groups
                .get_mut(group)
                .expect("the caller found the group");
            if !exists {
                if let Some(pending) = group.pending().get(&id).cloned() {
                    group.ack(id);
                    claimed.dropped.push((id, pending));
                }
                continue;
            }
            let (fresh, deliveries) = match group.pending().get(&id) {
                Some(pending) => (false, pending.deliveries),
                None if options.force => (true, 1),
                None => continue,
            };
            if !fresh && options.min_idle > 0 {
                let delivered = group.pending()[&id].delivered_at;
                if (now as i64 - delivered as i64) < options.min_idle as i64 {
                    continue;
                }
            }
            if !seen {
                claimed.created_consumer = group.see_consumer(consumer, now);
                seen = true;
            }
            let deliveries = match options.retry_count {
                Some(count) => count,
                None if options.just_id => deliveries,
                None => deliveries + 1,
            };
            group.assign(id, consumer, options.delivered_at, Some(deliveries));
            claimed.ids.push(id);
        }
        claimed
    }

    /// XAUTOCLAIM: scans the pending entries from `start`, giving `consumer` (created if
    /// needed) those idle at least `min_idle`, until `count` were claimed or dropped (entries
    /// gone from the stream) or ten times `count` were looked at.
    pub fn auto_claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        (start, count, min_idle, just_id): (StreamId, usize, u64, bool),
        now: Millis,
    ) -> Claimed {
        let mut claimed = Claimed::default();
        let candidates: Vec<StreamId> = match self.group(group) {
            Some(group) => group.pending().range(start..).map(|(id, _)| *id).collect(),
            None => return claimed,
        };
        let mut attempts = count.saturating_mul(10);
        let mut left = count;
        let mut next = 0;
        let mut seen = false;
        while attempts > 0 && left > 0 && next < candidates.len() {
            attempts -= 1;
            let id = candidates[next];
            next += 1;
            let exists = self.contains(id);
            let group = self.groups.get_mut(group).expect("looked up above");
            let Some(pending) = group.pending().get(&id).cloned() else {
                continue;
            };
            if !exists {
                group.ack(id);
                claimed.dropped.push((id, pending));
                left -= 1;
                continue;
            }
            if min_idle > 0 && (now as i64 - pending.delivered_at as i64) < min_idle as i64 {
                continue;
            }
            if !seen {
                claimed.created_consumer = group.see_consumer(consumer, now);
                seen = true;
            }
            let deliveries = pending.deliveries + u64::from(!just_id);
            group.assign(id, consumer, now, Some(deliveries));
            claimed.ids.push(id);
            left -= 1;
        }
        claimed.next = candidates.get(next).copied().unwrap_or(StreamId::MIN);
        claimed
    }

    /// How many entries (deleted ones included) each node holds.
    #[cfg(test)]
    fn node_sizes(&self) -> Vec<u64> {
        self.chunks.values().map(Chunk::total).collect()
    }
}

/// The entries of a range, in order. See [`Stream::range`].
pub struct Entries<'a> {
    chunks: btree_map::Range<'a, StreamId, Chunk>,
    /// The node being read: its key, the node, and where in it (forwards: the offset of the
    /// next entry; backwards: the offsets of the entries left).
    current: Option<(StreamId, &'a Chunk, Cursor)>,
    start: StreamId,
    end: StreamId,
    rev: bool,
}

enum Cursor {
    Forwards(Option<usize>),
    Backwards(Vec<usize>),
}

impl<'a> Iterator for Entries<'a> {
    type Item = StreamEntry<'a>;

    fn next(&mut self) -> Option<StreamEntry<'a>> {
        loop {
            if self.current.is_none() {
                let (base, chunk) = if self.rev {
                    self.chunks.next_back()?
                } else {
                    self.chunks.next()?
                };
                let cursor = if self.rev {
                    Cursor::Backwards(chunk.offsets(*base))
                } else {
                    Cursor::Forwards(chunk.entries(*base).next().map(|e| e.at))
                };
                self.current = Some((*base, chunk, cursor));
            }
            let (base, chunk, cursor) = self.current.as_mut().expect("set above");
            let at = match cursor {
                Cursor::Forwards(at) => at.take(),
                Cursor::Backwards(offsets) => offsets.pop(),
            };
            let Some(at) = at else {
                self.current = None;
                continue;
            };
            let raw = chunk.entry(*base, at);
            if let Cursor::Forwards(next) = cursor {
                *next = chunk.entries_after(&raw);
            }
            if self.rev && raw.id < self.start || !self.rev && raw.id > self.end {
                // Past the range: nothing further can be in it.
                self.chunks = btree_map::Range::default();
                self.current = None;
                return None;
            }
            if raw.deleted || raw.id < self.start || raw.id > self.end {
                continue;
            }
            let chunk = *chunk;
            return Some(StreamEntry {
                id: raw.id,
                chunk,
                raw,
            });
        }
    }
}

#[cfg(test)]
mod tests;
