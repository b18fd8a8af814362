//! `SlotTable`: a hash table whose entries keep their positions.
//!
//! Entries live in a vector of slots; a small index (hashbrown's `HashTable` of 4-byte
//! positions) finds a key's slot. A removal leaves a hole, which the next insertion fills,
//! instead of moving the last entry into it. So an entry's position only changes when the
//! table is compacted, and that is what SCAN's cursor is made of:
//!
//! - a scan walks positions from the end towards 0, and its cursor is the number of
//!   positions not yet visited: every entry present for the whole scan is returned exactly
//!   once, whatever else is added or removed in between;
//! - compaction (once three quarters of the slots are holes: Redis's dict shrinks too) moves
//!   the last entries into the lowest holes, towards position 0, so an entry not yet visited
//!   stays unvisited and none is missed. An entry already visited may then be returned again,
//!   as Redis's cursor may return one again when its table is resized.
//!
//! Random picks (RANDOMKEY, eviction and expiry sampling, SPOP) draw positions and skip
//! holes, which are at most three quarters of the slots between compactions.
//!
//! Per entry the table costs its slot plus about 6 bytes of index, against 8 bytes of stored
//! hash and 9 of index for an `IndexMap`.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use crate::compact::CompactBytes;
use crate::rng::Rng;

/// What a [`SlotTable`] stores: something with a key.
pub trait Keyed {
    /// The key the table finds the entry by.
    fn key(&self) -> &[u8];
}

impl Keyed for CompactBytes {
    #[inline]
    fn key(&self) -> &[u8] {
        self
    }
}

/// Positions that keep their entries: a vector whose removals leave holes that insertions
/// fill, compacted towards position 0 once mostly holes (see the module documentation).
/// [`SlotTable`] adds an index by key; a large sorted set keeps its members' order in one.
#[derive(Debug, Clone)]
pub struct Slots<T> {
    slots: Vec<Option<T>>,
    /// The holes in `slots`, each once; insertions fill the last one first.
    holes: Vec<u32>,
    /// Number of entries.
    len: usize,
}

impl<T> Default for Slots<T> {
    fn default() -> Slots<T> {
        Slots {
            slots: Vec::new(),
            holes: Vec::new(),
            len: 0,
        }
    }
}

/// Fewer slots than this are never compacted: a small table's holes cost little.
const COMPACT_MIN_SLOTS: usize = 64;

impl<T> Slots<T> {
    /// Room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Slots<T> {
        Slots {
            slots: Vec::with_capacity(capacity),
            ..Slots::default()
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of positions, holes included: positions run from 0 to this.
    #[inline]
    pub fn positions(&self) -> usize {
        self.slots.len()
    }

    /// The entry at `position`; `None` for a hole or a position beyond the end.
    #[inline]
    pub fn at(&self, position: usize) -> Option<&T> {
        self.slots.get(position)?.as_ref()
    }

    /// The entry at `position`, to change in place.
    #[inline]
    pub fn at_mut(&mut self, position: usize) -> Option<&mut T> {
        self.slots.get_mut(position)?.as_mut()
    }

    /// Adds `entry` and returns its position: the last hole if `fill_holes` allows and there
    /// is one, else a new position at the end.
    pub fn insert(&mut self, entry: T, fill_holes: bool) -> usize {
        self.len += 1;
        let hole = if fill_holes { self.holes.pop() } else { None };
        match hole {
            Some(hole) => {
                self.slots[hole as usize] = Some(entry);
                hole as usize
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        }
    }

    /// Takes the entry at `position` out, leaving a hole.
    pub fn remove(&mut self, position: usize) -> Option<T> {
        let entry = self.slots.get_mut(position)?.take()?;
        self.holes.push(position as u32);
        self.len -= 1;
        Some(entry)
    }

    /// True once three quarters of a large enough vector's slots are holes.
    pub fn wants_compaction(&self) -> bool {
        self.slots.len() >= COMPACT_MIN_SLOTS && self.len < self.slots.len() / 4
    }

    /// Moves the last entries into the lowest holes until there are none, and gives back the
    /// room. `moved` sees each moved entry with its old and new positions. Entries only ever
    /// move towards position 0 (see the module documentation for what that means for SCAN).
    pub fn compact(&mut self, mut moved: impl FnMut(&mut T, usize, usize)) {
        self.holes.clear();
        let mut low = 0;
        let mut high = self.slots.len();
        loop {
            while low < high && self.slots[low].is_some() {
                low += 1;
            }
            while high > low && self.slots[high - 1].is_none() {
                high -= 1;
            }
            if low >= high {
                break;
            }
            // A hole at `low` below an entry at `high - 1`.
            let mut entry = self.slots[high - 1].take().expect("an entry");
            moved(&mut entry, high - 1, low);
            self.slots[low] = Some(entry);
            high -= 1;
        }
        self.slots.truncate(self.len);
        self.slots.shrink_to_fit();
        self.holes.shrink_to_fit();
    }

    /// A random entry's position, or `None` when there is none.
    pub fn random(&self, rng: &mut Rng) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        // Holes are at most three quarters of the slots once compacted: a handful of draws
        // find an entry.
        for _ in 0..32 {
            let position = rng.below(self.slots.len());
            if self.slots[position].is_some() {
                return Some(position);
            }
        }
        let start = rng.below(self.slots.len());
        (start..self.slots.len())
            .chain(0..start)
            .find(|&position| self.slots[position].is_some())
    }

    /// The positions of up to `count` distinct random entries (as many as there are, if
    /// fewer): drawn one by one when few are wanted, as Redis does, else a partial shuffle
    /// of them all.
    pub fn distinct_random(&self, count: usize, rng: &mut Rng) -> Vec<usize> {
        distinct_positions(self.slots.len(), self.len, count, rng, |position| {
            self.slots[position].is_some()
        })
    }

    /// Every entry with its position, in position order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter(self.slots.iter().enumerate())
    }

    /// One SCAN step: visits up to `count` positions (at least one) from `cursor` towards
    /// position 0, calling `visit` for each entry, and returns the next cursor (0 when done).
    ///
    /// Cursor 0 starts at the end; a cursor is the number of positions not yet visited, so
    /// one beyond the end simply starts at the end.
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(&'a T)) -> u64 {
        let end = self.slots.len();
        let mut remaining = match cursor {
            0 => end,
            _ => usize::try_from(cursor).unwrap_or(usize::MAX).min(end),
        };
        let stop = remaining.saturating_sub(count.max(1));
        while remaining > stop {
            remaining -= 1;
            if let Some(entry) = &self.slots[remaining] {
                visit(entry);
            }
        }
        remaining as u64
    }

    /// Bytes of the vector and its hole list. Slots are counted as they are used: the unused
    /// tail of a large vector is never touched, so it costs address space but no memory.
    pub fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Option<T>>()
            + self.holes.capacity() * std::mem::size_of::<u32>()
    }
}

/// The entries of [`Slots`] with their positions, in position order.
#[derive(Debug, Clone)]
pub struct Iter<'a, T>(std::iter::Enumerate<std::slice::Iter<'a, Option<T>>>);

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = (usize, &'a T);

    #[inline]
    fn next(&mut self) -> Option<(usize, &'a T)> {
        self.0
            .by_ref()
            .find_map(|(position, slot)| Some((position, slot.as_ref()?)))
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0
            .by_ref()
            .rev()
            .find_map(|(position, slot)| Some((position, slot.as_ref()?)))
    }
}

/// The positions of up to `count` distinct random live positions among `positions`, of
/// which `live` are: a partial Fisher-Yates shuffle of them all when many are wanted (more
/// than a third), else draws until enough distinct ones come up, as Redis's SRANDMEMBER and
/// HRANDFIELD do. `is_live` tells a live position from a hole.
pub fn distinct_positions(
    positions: usize,
    live: usize,
    count: usize,
    rng: &mut Rng,
    is_live: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let count = count.min(live);
    if count.saturating_mul(3) > live {
        let mut all: Vec<usize> = (0..positions).filter(|&p| is_live(p)).collect();
        for i in 0..count {
            let j = i + rng.below(all.len() - i);
            all.swap(i, j);
        }
        all.truncate(count);
        return all;
    }
    let mut picked = std::collections::HashSet::with_capacity(count);
    let mut chosen = Vec::with_capacity(count);
    while chosen.len() < count {
        let position = rng.below(positions);
        if is_live(position) && picked.insert(position) {
            chosen.push(position);
        }
    }
    chosen
}

/// A hash table whose entries keep their positions (see the module documentation).
#[derive(Debug, Clone)]
pub struct SlotTable<T> {
    slots: Slots<T>,
    /// Positions in `slots`, found by the hash of their entry's key.
    index: HashTable<u32>,
    hasher: RandomState,
}

impl<T> Default for SlotTable<T> {
    fn default() -> SlotTable<T> {
        SlotTable {
            slots: Slots::default(),
            index: HashTable::new(),
            hasher: RandomState::default(),
        }
    }
}

impl<T: Keyed> SlotTable<T> {
    /// An empty table with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> SlotTable<T> {
        SlotTable {
            slots: Slots::with_capacity(capacity),
            index: HashTable::with_capacity(capacity),
            hasher: RandomState::default(),
        }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Number of positions, holes included: positions run from 0 to this.
    #[inline]
    pub fn positions(&self) -> usize {
        self.slots.positions()
    }

    #[inline]
    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The position of `key`'s entry.
    #[inline]
    pub fn find(&self, key: &[u8]) -> Option<usize> {
        let slots = &self.slots;
        let eq = |&position: &u32| {
            slots
                .at(position as usize)
                .is_some_and(|entry| entry.key() == key)
        };
        self.index
            .find(self.hash(key), eq)
            .map(|&position| position as usize)
    }

    /// `key`'s entry.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&T> {
        self.at(self.find(key)?)
    }

    /// `key`'s entry, to change in place (its key must stay the same).
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut T> {
        let position = self.find(key)?;
        self.at_mut(position)
    }

    /// The entry at `position`; `None` for a hole or a position beyond the table.
    #[inline]
    pub fn at(&self, position: usize) -> Option<&T> {
        self.slots.at(position)
    }

    /// The entry at `position`, to change in place (its key must stay the same).
    #[inline]
    pub fn at_mut(&mut self, position: usize) -> Option<&mut T> {
        self.slots.at_mut(position)
    }

    /// True if `key` has an entry.
    #[inline]
    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// Adds `entry`, whose key must not be in the table yet, and returns its position: the
    /// last hole if `fill_holes` allows and there is one, else a new position at the end.
    pub fn insert_new(&mut self, entry: T, fill_holes: bool) -> usize {
        let hash = self.hash(entry.key());
        let position = self.slots.insert(entry, fill_holes);
        let Self {
            slots,
            index,
            hasher,
        } = self;
        index.insert_unique(hash, position as u32, |&p| rehash(hasher, slots, p));
        position
    }

    /// Takes the entry at `position` out, leaving a hole.
    pub fn remove_at(&mut self, position: usize) -> Option<T> {
        let entry = self.slots.remove(position)?;
        let hash = self.hash(entry.key());
        if let Ok(found) = self.index.find_entry(hash, |&p| p as usize == position) {
            found.remove();
        }
        Some(entry)
    }

    /// Takes `key`'s entry out, with the position it had.
    pub fn remove(&mut self, key: &[u8]) -> Option<(usize, T)> {
        let position = self.find(key)?;
        Some((position, self.remove_at(position)?))
    }

    /// True once three quarters of a large enough table's slots are holes.
    pub fn wants_compaction(&self) -> bool {
        self.slots.wants_compaction()
    }

    /// Compacts the slots (see [`Slots::compact`]), keeping the index in step; `moved` sees
    /// each moved entry at its new position.
    pub fn compact(&mut self, mut moved: impl FnMut(&mut T, usize)) {
        let Self {
            slots,
            index,
            hasher,
        } = self;
        slots.compact(|entry, from, to| {
            let hash = hasher.hash_one(entry.key());
            if let Some(found) = index.find_mut(hash, |&p| p as usize == from) {
                *found = to as u32;
            }
            moved(entry, to);
        });
        index.shrink_to(slots.len(), |&p| rehash(hasher, slots, p));
    }

    /// Compacts the table once it is mostly holes, for a table whose entries' positions
    /// nobody else records.
    pub fn compact_if_sparse(&mut self) {
        if self.wants_compaction() {
            self.compact(|_, _| {});
        }
    }

    /// A random entry's position, or `None` when the table is empty.
    pub fn random(&self, rng: &mut Rng) -> Option<usize> {
        self.slots.random(rng)
    }

    /// The positions of up to `count` distinct random entries (see [`Slots::distinct_random`]).
    pub fn distinct_random(&self, count: usize, rng: &mut Rng) -> Vec<usize> {
        self.slots.distinct_random(count, rng)
    }

    /// Every entry with its position, in position order.
    pub fn iter(&self) -> Iter<'_, T> {
        self.slots.iter()
    }

    /// One SCAN step (see [`Slots::scan`]).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, visit: impl FnMut(&'a T)) -> u64 {
        self.slots.scan(cursor, count, visit)
    }

    /// Bytes one entry costs in the table: its slot and its share of the index.
    pub fn entry_bytes() -> usize {
        std::mem::size_of::<Option<T>>() + INDEX_SLOT * 8 / 7
    }

    /// Bytes of the table itself (slots, index and hole list), not counting what entries own
    /// on the heap.
    pub fn table_bytes(&self) -> usize {
        self.slots.bytes() + self.index.capacity() * INDEX_SLOT * 8 / 7
    }
}

/// Bytes the index costs per entry it has room for: a 4-byte position and a control byte.
const INDEX_SLOT: usize = 5;

/// The hash of the entry at `position`, for the index to move it when it grows or shrinks.
fn rehash<T: Keyed>(hasher: &RandomState, slots: &Slots<T>, position: u32) -> u64 {
    let entry = slots.at(position as usize).expect("indexed slot");
    hasher.hash_one(entry.key())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Item(Vec<u8>, u32);

    impl Keyed for Item {
        fn key(&self) -> &[u8] {
            &self.0
        }
    }

    fn key(n: u16) -> Vec<u8> {
        format!("k{n}").into_bytes()
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u32),
        Remove(u16),
        Compact,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..300u16, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            3 => (0..300u16).prop_map(Op::Remove),
            1 => Just(Op::Compact),
        ]
    }

    proptest! {
        /// The table answers as a map does, whatever mix of insertions, removals and
        /// compactions, and its positions stay consistent.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec(op(), 0..600)) {
            let mut table = SlotTable::<Item>::default();
            let mut model = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        match table.get_mut(&key(k)) {
                            Some(item) => item.1 = v,
                            None => {
                                let at = table.insert_new(Item(key(k), v), true);
                                prop_assert_eq!(table.find(&key(k)), Some(at));
                            }
                        }
                        model.insert(key(k), v);
                    }
                    Op::Remove(k) => {
                        let removed = table.remove(&key(k)).map(|(_, item)| item.1);
                        prop_assert_eq!(removed, model.remove(&key(k)));
                    }
                    Op::Compact => {
                        if table.wants_compaction() || table.len() % 3 == 0 {
                            let mut moves = Vec::new();
                            table.compact(|item, to| moves.push((item.0.clone(), to)));
                            prop_assert_eq!(table.positions(), table.len());
                            for (k, to) in moves {
                                prop_assert_eq!(table.find(&k), Some(to));
                            }
                        }
                    }
                }
                prop_assert_eq!(table.len(), model.len());
            }
            let listed: BTreeMap<Vec<u8>, u32> =
                table.iter().map(|(_, item)| (item.0.clone(), item.1)).collect();
            prop_assert_eq!(&listed, &model);
            for (k, v) in &model {
                prop_assert_eq!(table.get(k).map(|item| item.1), Some(*v));
            }
        }
    }

    /// Runs a SCAN in steps of `count` while `change` runs between steps; returns each key
    /// the scan returned with how many times it did.
    fn scan_with(
        table: &mut SlotTable<Item>,
        count: usize,
        mut change: impl FnMut(&mut SlotTable<Item>, usize),
    ) -> BTreeMap<Vec<u8>, usize> {
        let mut seen = BTreeMap::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = table.scan(cursor, count, |item| {
                *seen.entry(item.0.clone()).or_insert(0) += 1
            });
            if cursor == 0 {
                return seen;
            }
            change(table, step);
            step += 1;
        }
    }

    #[test]
    fn scan_returns_each_lasting_key_once_despite_removals_and_insertions() {
        let mut table = SlotTable::<Item>::default();
        for n in 0..300 {
            table.insert_new(Item(key(n), 0), true);
        }
        // Keys 0..100 come and go between calls; 100..300 stay for the whole scan.
        let mut rng = crate::rng::Rng::new(7);
        let seen = scan_with(&mut table, 10, |table, _| {
            for _ in 0..5 {
                let n = rng.below(100) as u16;
                if table.remove(&key(n)).is_none() {
                    table.insert_new(Item(key(n), 1), true);
                }
            }
        });
        for n in 100..300 {
            assert_eq!(seen.get(&key(n)), Some(&1), "key {n}");
        }
        assert!(seen.values().all(|&times| times == 1), "{seen:?}");
    }

    #[test]
    fn scan_misses_nothing_when_the_table_is_compacted_part_way() {
        let mut table = SlotTable::<Item>::default();
        for n in 0..400 {
            table.insert_new(Item(key(n), 0), true);
        }
        let lasting: BTreeSet<Vec<u8>> = (0..400).step_by(8).map(key).collect();
        let seen = scan_with(&mut table, 25, |table, step| {
            if step == 3 {
                for n in 0..400 {
                    if n % 8 != 0 {
                        table.remove(&key(n));
                    }
                }
                assert!(table.wants_compaction());
                table.compact(|_, _| {});
                assert_eq!(table.positions(), lasting.len());
            }
        });
        for k in &lasting {
            assert!(seen.contains_key(k), "{k:?} missed");
        }
    }

    #[test]
    fn holes_are_filled_before_the_table_grows() {
        let mut table = SlotTable::<Item>::default();
        for n in 0..10 {
            table.insert_new(Item(key(n), 0), true);
        }
        table.remove(&key(3));
        table.remove(&key(6));
        assert_eq!(table.insert_new(Item(key(20), 0), true), 6);
        assert_eq!(table.insert_new(Item(key(21), 0), false), 10);
        assert_eq!(table.insert_new(Item(key(22), 0), true), 3);
        assert_eq!(table.positions(), 11);
    }

    #[test]
    fn random_picks_find_entries_among_many_holes() {
        let mut table = SlotTable::<Item>::default();
        for n in 0..1000 {
            table.insert_new(Item(key(n), 0), true);
        }
        for n in 0..999 {
            table.remove(&key(n));
        }
        let mut rng = crate::rng::Rng::new(1);
        for _ in 0..20 {
            assert_eq!(table.random(&mut rng), Some(999));
        }
        table.remove(&key(999));
        assert_eq!(table.random(&mut rng), None);
    }
}
