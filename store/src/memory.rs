//! Memory accounting: what keys and values cost, close to what the allocator hands out.
//!
//! Each database keeps the heap bytes of its keys and values up to date as they change (every
//! value type reports its heap size in O(1)), and adds the cost of its tables when asked, so
//! `used_memory` costs a handful of additions per database to read: cheap enough to check
//! before every command when `maxmemory` is set.

use crate::compact::CompactBytes;
use crate::db::Entry;
use crate::types::{hash::Hash, list::List, set::Set, zset::SortedSet};
use crate::value::Value;

/// What an empty server is charged for itself: its tables, buffers and code data. Redis
/// 7.0.15 reports 876,184 bytes (`used_memory_startup`) before the first key, and about
/// 915,000 with one client connected. Charging about as much leaves a `maxmemory` chosen for
/// Redis the same room (with 1 MiB, Redis takes a few hundred small keys; a 1 MiB baseline
/// took none).
pub const BASELINE: usize = 880 * 1024;

/// Bytes glibc's malloc takes for a `len`-byte request: the request plus its 8-byte header,
/// rounded up to 16, and never less than its 32-byte minimum chunk.
#[inline]
pub fn allocation(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    ((len + 8 + 15) & !15).max(32)
}

/// Bytes a hash table's index costs per slot of capacity: a `usize` and a control byte, with
/// buckets at most 7/8 full.
const INDEX_SLOT: usize = 10;

/// Bytes of an insertion-ordered hash table (`IndexMap`, `IndexSet`) of `len` entries of
/// type `T` (hash, key, value) with room for `capacity`. Entries are counted as they are
/// stored rather than by capacity: the unused tail of a large table's entry vector is never
/// touched, so it costs address space but no memory. The index is filled in when allocated.
pub fn table<T>(len: usize, capacity: usize) -> usize {
    len * std::mem::size_of::<T>() + capacity * INDEX_SLOT
}

/// Heap bytes owned by one key and its entry beyond their table slots: the key's bytes (twice
/// when it has a deadline, as the expiry index keeps its own copy) and the value's heap.
#[inline]
pub fn entry_heap(key: &CompactBytes, entry: &Entry) -> usize {
    let key_copies = if entry.expires_at().is_some() { 2 } else { 1 };
    key.heap_size() * key_copies + value_heap(&entry.value)
}

/// Heap bytes a value owns, the box of an aggregate included.
#[inline]
pub fn value_heap(value: &Value) -> usize {
    let boxed = match value {
        Value::String(_) => 0,
        Value::List(_) => allocation(std::mem::size_of::<List>()),
        Value::Hash(_) => allocation(std::mem::size_of::<Hash>()),
        Value::Set(_) => allocation(std::mem::size_of::<Set>()),
        Value::SortedSet(_) => allocation(std::mem::size_of::<SortedSet>()),
    };
    boxed + value.heap_size()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EncodingLimits;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;

    #[test]
    fn allocations_round_like_malloc() {
        assert_eq!(allocation(0), 0);
        assert_eq!(allocation(1), 32);
        assert_eq!(allocation(24), 32);
        assert_eq!(allocation(25), 48);
        assert_eq!(allocation(100), 112);
    }

    fn recount(db: &crate::db::Db) -> usize {
        let mut total = 0;
        db.scan(0, usize::MAX, 0, |key, entry| {
            total += entry_heap(key, entry)
        });
        total
    }

    #[test]
    fn database_heap_follows_every_kind_of_change() {
        use crate::types::list::End;
        let mut db = crate::db::Db::default();
        let mut rng = crate::rng::Rng::new(11);
        for step in 0..3000u64 {
            let key = format!("key-{:0>30}", rng.below(40));
            let long = format!("{step:0>50}");
            match rng.below(7) {
                0 => db.insert(key.as_bytes(), Value::string(long.as_bytes()), 0, 0),
                1 => {
                    db.remove(key.as_bytes());
                }
                2 => {
                    db.set_expiry(key.as_bytes(), 1_000 + step);
                }
                3 => {
                    db.set_expiry(key.as_bytes(), 0);
                }
                4 => {
                    if db.get(key.as_bytes(), 0).is_none() {
                        db.insert(key.as_bytes(), Value::List(Box::default()), 0, 0);
                    }
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::List(list) = &mut entry.value {
                            list.push(long.as_bytes(), End::Left);
                        }
                    }
                }
                5 => {
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::List(list) = &mut entry.value {
                            list.pop(End::Right);
                        }
                    }
                }
                _ => {
                    if db.get(key.as_bytes(), 0).is_none() {
                        db.insert(key.as_bytes(), Value::Hash(Box::default()), 0, 0);
                    }
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::Hash(hash) = &mut entry.value {
                            hash.set(long.as_bytes(), long.as_bytes(), &LIMITS);
                        }
                    }
                }
            }
            assert_eq!(db.heap(), recount(&db), "after step {step}");
        }
        db.clear();
        assert_eq!(db.heap(), 0);
    }

    #[test]
    fn long_keys_are_charged_again_for_their_deadline() {
        let key = CompactBytes::new(&[b'k'; 100]);
        let mut db = crate::db::Db::default();
        db.insert(&key, Value::string(b"v"), 0, 0);
        let plain = entry_heap(&key, db.get(&key, 0).expect("inserted"));
        db.set_expiry(&key, 5_000);
        let volatile = entry_heap(&key, db.get(&key, 0).expect("inserted"));
        assert_eq!(volatile, plain + key.heap_size());
        assert!(key.heap_size() >= 100);
    }
}
