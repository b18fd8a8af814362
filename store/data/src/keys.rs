//! The key table of one database: every key with its entry, and the deadlines of the keys
//! that have one.
//!
//! Keys live in a [`SlotTable`]: 64 bytes a key (the key inline up to 22 bytes, the value
//! inline when small, the access record) plus about 6 bytes of index, and positions that only
//! move when the table is compacted, which is what SCAN and the snapshot walk count on.
//!
//! A deadline is not part of the entry: the keys that have one are listed with it (16 bytes
//! each), and each such entry knows its place in the list. Keys without a TTL pay nothing
//! for TTLs, and active expiry and eviction sample the list without touching the entries.

use crate::compact::CompactBytes;
use crate::entry::{Entry, NO_DEADLINE};
use crate::rng::Rng;
use crate::table::{Keyed, SlotTable};
use crate::time::Millis;

/// True if a key with `deadline` had expired at `now`.
#[inline]
pub fn expired(deadline: Option<Millis>, now: Millis) -> bool {
    deadline.is_some_and(|at| at <= now)
}

/// One key and its entry, as the table stores them.
#[derive(Debug, Clone)]
struct Slot {
    key: CompactBytes,
    entry: Entry,
}

impl Keyed for Slot {
    #[inline]
    fn key(&self) -> &[u8] {
        &self.key
    }
}

/// A key with a deadline: where its entry is, and when it expires.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    position: u32,
    at: Millis,
}

/// Every key of a database with its entry, and the deadlines.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    table: SlotTable<Slot>,
    deadlines: Vec<Deadline>,
}

impl Keys {
    /// Number of keys, expired or not.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when there are no keys.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Number of positions, holes included (see [`SlotTable`]).
    #[inline]
    pub fn positions(&self) -> usize {
        self.table.positions()
    }

    /// Number of keys with a deadline.
    #[inline]
    pub fn volatile_len(&self) -> usize {
        self.deadlines.len()
    }

    /// Bytes of the list of deadlines.
    pub fn deadlines_bytes(&self) -> usize {
        self.deadlines.capacity() * std::mem::size_of::<Deadline>()
    }

    /// Bytes one key costs in the table (MEMORY USAGE's share of the table per key).
    pub fn entry_bytes() -> usize {
        SlotTable::<Slot>::entry_bytes()
    }

    /// Bytes of the table itself (not what keys and values own on the heap).
    pub fn table_bytes(&self) -> usize {
        self.table.table_bytes()
    }

    /// The position of `key`.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        self.table.find(key)
    }

    /// `key`'s entry.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.table.get(key).map(|slot| &slot.entry)
    }

    /// `key`'s entry, to change in place.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.table.get_mut(key).map(|slot| &mut slot.entry)
    }

    /// The key and entry at `position`.
    #[inline]
    pub fn at(&self, position: usize) -> Option<(&CompactBytes, &Entry)> {
        self.table.at(position).map(|slot| (&slot.key, &slot.entry))
    }

    /// The key and entry at `position`, the entry to change in place.
    #[inline]
    pub fn at_mut(&mut self, position: usize) -> Option<(&CompactBytes, &mut Entry)> {
        self.table
            .at_mut(position)
            .map(|slot| (&slot.key, &mut slot.entry))
    }

    /// When `entry` (one of this table's) expires, if it does.
    #[inline]
    pub fn deadline(&self, entry: &Entry) -> Option<Millis> {
        match entry.volatile_at {
            NO_DEADLINE => None,
            at => Some(self.deadlines[at as usize].at),
        }
    }

    /// True if `entry` (one of this table's) has a deadline at or before `now`.
    #[inline]
    pub fn expired(&self, entry: &Entry, now: Millis) -> bool {
        expired(self.deadline(entry), now)
    }

    /// Adds `key`, which must not be in the table, and returns its position. Holes are
    /// filled only when `fill_holes` allows (a running snapshot needs new keys at the end).
    pub fn insert_new(
        &mut self,
        key: CompactBytes,
        mut entry: Entry,
        deadline: Millis,
        fill_holes: bool,
    ) -> usize {
        entry.volatile_at = NO_DEADLINE;
        let position = self.table.insert_new(Slot { key, entry }, fill_holes);
        self.set_deadline(position, deadline);
        position
    }

    /// Sets (or clears, with 0) the deadline of the key at `position`.
    pub fn set_deadline(&mut self, position: usize, deadline: Millis) {
        let Some(slot) = self.table.at_mut(position) else {
            return;
        };
        match (slot.entry.volatile_at, deadline) {
            (NO_DEADLINE, 0) => {}
            (NO_DEADLINE, at) => {
                slot.entry.volatile_at = self.deadlines.len() as u32;
                self.deadlines.push(Deadline {
                    position: position as u32,
                    at,
                });
            }
            (listed, 0) => {
                slot.entry.volatile_at = NO_DEADLINE;
                self.forget_deadline(listed as usize);
            }
            (listed, at) => self.deadlines[listed as usize].at = at,
        }
    }

    /// Takes place `listed` out of the list of deadlines.
    fn forget_deadline(&mut self, listed: usize) {
        self.deadlines.swap_remove(listed);
        if let Some(moved) = self.deadlines.get(listed) {
            if let Some(slot) = self.table.at_mut(moved.position as usize) {
                slot.entry.volatile_at = listed as u32;
            }
        }
    }

    /// Takes the key at `position` out, with its entry and deadline (0 for none).
    pub fn remove_at(&mut self, position: usize) -> Option<(CompactBytes, Entry, Millis)> {
        let slot = self.table.remove_at(position)?;
        let deadline = match slot.entry.volatile_at {
            NO_DEADLINE => 0,
            listed => {
                let at = self.deadlines[listed as usize].at;
                self.forget_deadline(listed as usize);
                at
            }
        };
        Some((slot.key, slot.entry, deadline))
    }

    /// True once the table is mostly holes (see [`SlotTable::compact`]).
    pub fn wants_compaction(&self) -> bool {
        self.table.wants_compaction()
    }

    /// Compacts the table, keeping the deadlines' positions in step.
    pub fn compact(&mut self) {
        let deadlines = &mut self.deadlines;
        self.table.compact(|slot, to| {
            if slot.entry.volatile_at != NO_DEADLINE {
                deadlines[slot.entry.volatile_at as usize].position = to as u32;
            }
        });
    }

    /// The position of the key listed `index`th among those with a deadline, and the
    /// deadline.
    #[inline]
    pub fn volatile_at(&self, index: usize) -> Option<(usize, Millis)> {
        let listed = self.deadlines.get(index)?;
        Some((listed.position as usize, listed.at))
    }

    /// A random key's position.
    pub fn random(&self, rng: &mut Rng) -> Option<usize> {
        self.table.random(rng)
    }

    /// Every key with its entry and deadline, in position order.
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &Entry, Option<Millis>)> + '_ {
        self.table
            .iter()
            .map(|(_, slot)| (&slot.key, &slot.entry, self.deadline(&slot.entry)))
    }

    /// One SCAN step over positions (see [`SlotTable::scan`]), with each key's entry and
    /// deadline.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a CompactBytes, &'a Entry, Option<Millis>),
    ) -> u64 {
        self.table.scan(cursor, count, |slot| {
            visit(&slot.key, &slot.entry, self.deadline(&slot.entry))
        })
    }

    /// Checks that the deadlines and the entries agree (tests only).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        let listed = self
            .table
            .iter()
            .filter(|(_, slot)| slot.entry.volatile_at != NO_DEADLINE)
            .count();
        assert_eq!(listed, self.deadlines.len());
        for (index, deadline) in self.deadlines.iter().enumerate() {
            let slot = self
                .table
                .at(deadline.position as usize)
                .expect("listed key");
            assert_eq!(slot.entry.volatile_at as usize, index);
            assert!(deadline.at != 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn entry() -> Entry {
        Entry::new(Value::string(b"v"), 0)
    }

    #[test]
    fn a_key_is_64_bytes_in_its_slot() {
        assert_eq!(std::mem::size_of::<Option<Slot>>(), 64);
    }

    #[test]
    fn deadlines_follow_removals_and_compaction() {
        let mut keys = Keys::default();
        for n in 0..200u64 {
            let deadline = if n % 3 == 0 { 1_000 + n } else { 0 };
            keys.insert_new(
                CompactBytes::new(format!("k{n}").as_bytes()),
                entry(),
                deadline,
                true,
            );
        }
        keys.assert_consistent();
        for n in 0..200u64 {
            if n % 5 != 0 {
                let position = keys.find(format!("k{n}").as_bytes()).unwrap();
                keys.remove_at(position);
            }
        }
        keys.assert_consistent();
        assert!(keys.wants_compaction());
        keys.compact();
        keys.assert_consistent();
        assert_eq!(keys.positions(), 40);
        for n in (0..200u64).step_by(5) {
            let entry = keys.get(format!("k{n}").as_bytes()).unwrap();
            let expected = (n % 3 == 0).then_some(1_000 + n);
            assert_eq!(keys.deadline(entry), expected, "k{n}");
        }
    }
}
