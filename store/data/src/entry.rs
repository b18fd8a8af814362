//! A key's entry in a database: its value and access record, and what it costs.

use crate::compact::CompactBytes;
use crate::value::{value_heap, Value};

/// `Entry::volatile_at` of a key without a deadline.
pub(crate) const NO_DEADLINE: u32 = u32::MAX;

/// A key's value and access record. Its deadline, if it has one, is kept by the database
/// (`Db::deadline`), so that keys without one do not pay for it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Redis's 24-bit `lru` field: the LRU clock of the last access, or under an LFU policy
    /// the minute of the last access and a logarithmic access counter (see `access.rs`).
    pub accessed: u32,
    /// Where the database's list of deadlines holds this key's, or [`NO_DEADLINE`].
    pub(crate) volatile_at: u32,
}

impl Entry {
    /// An entry for `value`, without a deadline.
    pub fn new(value: Value, accessed: u32) -> Entry {
        Entry {
            value,
            accessed,
            volatile_at: NO_DEADLINE,
        }
    }
}

/// Heap bytes owned by one key and its entry beyond their table slots: the key's bytes and
/// the value's heap.
#[inline]
pub fn entry_heap(key: &CompactBytes, entry: &Entry) -> usize {
    key.heap_size() + value_heap(&entry.value)
}
