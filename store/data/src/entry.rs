//! A key's entry in a database: its value, deadline and access record, and what it costs.

use crate::compact::CompactBytes;
use crate::time::Millis;
use crate::value::{value_heap, Value};

/// A key's value and metadata.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Deadline in Unix milliseconds; 0 when the key does not expire.
    pub(crate) expires_at: Millis,
    /// Redis's 24-bit `lru` field: the LRU clock of the last access, or under an LFU policy
    /// the minute of the last access and a logarithmic access counter (see `access.rs`).
    pub accessed: u32,
    /// With a deadline: where the database's list of keys with one holds this entry (the
    /// entry's padding had room for it).
    pub(crate) volatile_at: u32,
}

impl Entry {
    /// When the key expires, if it does.
    pub fn expires_at(&self) -> Option<Millis> {
        (self.expires_at != 0).then_some(self.expires_at)
    }
}

/// Heap bytes owned by one key and its entry beyond their table slots: the key's bytes and
/// the value's heap.
#[inline]
pub fn entry_heap(key: &CompactBytes, entry: &Entry) -> usize {
    key.heap_size() + value_heap(&entry.value)
}
