//! The skiplist encoding of a large sorted set: each member stored once, in its skiplist
//! node; a hash table of node numbers to find a member; the nodes by position (which they
//! keep until compaction, see `table.rs`) for random picks and ZSCAN.

use std::hash::BuildHasher;
use std::num::NonZeroU32;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use super::skiplist::SkipList;
use crate::table::Slots;

/// The skiplist encoding.
#[derive(Debug, Clone)]
pub(super) struct Large {
    pub(super) list: SkipList,
    /// The nodes of `list`, found by their member's hash.
    pub(super) table: HashTable<u32>,
    hasher: RandomState,
    /// The nodes by position; each node knows its place. A member's node is never the
    /// list's head (node 0), so a position takes 4 bytes.
    pub(super) order: Slots<Node>,
    /// Heap bytes of members too long to be stored inline, kept up to date.
    pub(super) member_heap: usize,
}

/// A member's node number as [`Large::order`] keeps it.
pub(super) type Node = NonZeroU32;

/// `node`, a member's: never the head, node 0.
fn member_node(node: u32) -> Node {
    NonZeroU32::new(node).expect("a member's node is not the list's head")
}

/// Heap bytes of one member beyond its node.
pub(super) fn member_heap(member: &[u8]) -> usize {
    crate::compact::CompactBytes::new(member).heap_size()
}

impl Large {
    pub(super) fn new() -> Large {
        Large {
            list: SkipList::new(),
            table: HashTable::new(),
            hasher: RandomState::default(),
            order: Slots::default(),
            member_heap: 0,
        }
    }

    /// The node of `member`.
    pub(super) fn find(&self, member: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(member);
        self.table
            .find(hash, |&node| self.list.get(node).0 == member)
            .copied()
    }

    /// Adds `member` (not present).
    pub(super) fn add(&mut self, member: &[u8], score: f64) {
        self.member_heap += member_heap(member);
        let node = self
            .list
            .insert(score, crate::compact::CompactBytes::new(member));
        let position = self.order.insert(member_node(node), true);
        self.list.set_position(node, position as u32);
        let (list, hasher) = (&self.list, &self.hasher);
        let hash = hasher.hash_one(member);
        self.table
            .insert_unique(hash, node, |&n| hasher.hash_one(list.get(n).0));
    }

    /// Forgets `node` (of `member`) in the table and the order; the list keeps it. Positions
    /// stay where they are until [`compact_if_sparse`](Large::compact_if_sparse).
    pub(super) fn forget(&mut self, node: u32, member: &[u8], position: u32) {
        let hash = self.hasher.hash_one(member);
        if let Ok(entry) = self.table.find_entry(hash, |&n| n == node) {
            entry.remove();
        }
        self.order.remove(position as usize);
        self.member_heap -= member_heap(member);
    }

    /// Compacts the order once it is mostly holes, telling the moved nodes their new places.
    pub(super) fn compact_if_sparse(&mut self) {
        if self.order.wants_compaction() {
            let list = &mut self.list;
            self.order
                .compact(|node, _, to| list.set_position(node.get(), to as u32));
        }
    }

    /// Sets the score of the element at `node`.
    pub(super) fn rescore(&mut self, node: u32, score: f64) {
        let moved = self.list.update_score(node, score);
        if moved != node {
            // Re-inserted elsewhere in the arena: the table and order follow.
            let member = self.list.get(moved).0;
            let hash = self.hasher.hash_one(member);
            if let Some(slot) = self.table.find_mut(hash, |&n| n == node) {
                *slot = moved;
            }
            let position = self.list.position(moved) as usize;
            if let Some(slot) = self.order.at_mut(position) {
                *slot = member_node(moved);
            }
        }
    }

    /// Removes `member`; returns its score.
    pub(super) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let node = self.find(member)?;
        let score = self.list.get(node).1;
        let position = self.list.position(node);
        self.forget(node, member, position);
        self.list.remove(score, member);
        self.compact_if_sparse();
        Some(score)
    }

    /// Heap bytes, for memory accounting.
    pub(super) fn heap_size(&self) -> usize {
        // hashbrown's buckets: a power of two at most 7/8 full, a control byte each.
        let buckets = (self.table.capacity() * 8 / 7).next_power_of_two();
        crate::alloc::allocation(std::mem::size_of::<Large>())
            + self.list.heap_size()
            + buckets * (std::mem::size_of::<u32>() + 1)
            + self.order.bytes()
            + self.member_heap
    }
}
