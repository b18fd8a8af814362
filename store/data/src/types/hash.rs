//! A hash of field → value.
//!
//! Fields live in an insertion-ordered map. While the hash is small Redis keeps it as a
//! *listpack* (a flat list in insertion order) and we mirror that: removals shift the later
//! fields down, so HGETALL, HKEYS, HSCAN... answer in the same order as Redis. Once the hash
//! grows past the listpack limits it becomes a *hashtable* for good; removals then swap the
//! last entry into the hole (O(1)), which keeps [`Hash::scan`]'s guarantee: walking positions
//! from the end, a removal only ever moves an already-visited entry, so every field present
//! for a whole scan is returned.

use foldhash::fast::RandomState;
use indexmap::IndexMap;

use super::EncodingLimits;
use crate::compact::CompactBytes;

/// A hash of field → value.
#[derive(Debug, Clone)]
pub struct Hash {
    fields: IndexMap<CompactBytes, CompactBytes, RandomState>,
    /// True while Redis would still encode this hash as a listpack (conversion is one-way).
    listpack: bool,
    /// Heap bytes of the fields and values, kept up to date so `heap_size` is O(1).
    data_heap: usize,
}

impl Default for Hash {
    fn default() -> Hash {
        Hash {
            fields: IndexMap::default(),
            listpack: true,
            data_heap: 0,
        }
    }
}

impl Hash {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        if self.listpack {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// True while the hash is listpack-encoded: small, kept in insertion order, and scanned
    /// in one call.
    pub fn is_listpack(&self) -> bool {
        self.listpack
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        let (len, capacity) = (self.fields.len(), self.fields.capacity());
        crate::alloc::table::<(u64, CompactBytes, CompactBytes)>(len, capacity) + self.data_heap
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.fields.get(field).map(|v| v.as_slice())
    }

    /// True if `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.fields.contains_key(field)
    }

    /// Sets `field` to `value`; true if the field is new. An existing field keeps its place.
    /// Past `limits` the hash becomes a hashtable.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &EncodingLimits) -> bool {
        // Redis 7.0 converts when it writes a field or value over the limit, whether or not
        // the field already existed.
        if field.len() > limits.hash_value || value.len() > limits.hash_value {
            self.listpack = false;
        }
        let value = CompactBytes::new(value);
        self.data_heap += value.heap_size();
        let created = match self.fields.get_mut(field) {
            Some(old) => {
                self.data_heap -= old.heap_size();
                *old = value;
                false
            }
            None => {
                let field = CompactBytes::new(field);
                self.data_heap += field.heap_size();
                self.fields.insert(field, value);
                true
            }
        };
        if self.fields.len() > limits.hash_entries {
            self.listpack = false;
        }
        created
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let removed = if self.listpack {
            // A listpack closes the gap, keeping the order of the other fields.
            self.fields.shift_remove_entry(field)
        } else {
            self.fields.swap_remove_entry(field)
        };
        match removed {
            Some((field, value)) => {
                self.data_heap -= field.heap_size() + value.heap_size();
                true
            }
            None => false,
        }
    }

    /// The field and value at position `index` (0 is the oldest field still present).
    pub fn get_index(&self, index: usize) -> Option<(&[u8], &[u8])> {
        self.fields
            .get_index(index)
            .map(|(f, v)| (f.as_slice(), v.as_slice()))
    }

    /// Every field and its value, in the hash's order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        self.fields
            .iter()
            .map(|(f, v)| (f.as_slice(), v.as_slice()))
    }

    /// One HSCAN step: calls `visit` for the fields at up to `count` positions from `cursor`
    /// towards the start and returns the next cursor (0 when done).
    ///
    /// A listpack-encoded hash is returned whole, with cursor 0, whatever the cursor, as
    /// Redis does. Otherwise cursor 0 starts at the end, and a cursor is the number of
    /// positions not yet visited (one beyond the table starts at its end).
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        if self.listpack {
            for (field, value) in self.iter() {
                visit(field, value);
            }
            return 0;
        }
        let len = self.fields.len();
        let mut remaining = match cursor {
            0 => len,
            _ => usize::try_from(cursor).unwrap_or(usize::MAX).min(len),
        };
        let mut visited = 0;
        while remaining > 0 && visited < count.max(1) {
            remaining -= 1;
            visited += 1;
            if let Some((field, value)) = self.get_index(remaining) {
                visit(field, value);
            }
        }
        remaining as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EncodingLimits;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;
    const LISTPACK_MAX_VALUE: usize = LIMITS.hash_value;
    const LISTPACK_MAX_ENTRIES: usize = LIMITS.hash_entries;
    use std::collections::HashSet;

    #[test]
    fn tracked_heap_matches_a_recount() {
        let mut hash = Hash::default();
        for i in 0..600 {
            let long = format!("{i:0>40}");
            let value = [&b"short"[..], long.as_bytes()][i % 2];
            hash.set(long.as_bytes(), value, &LIMITS);
            hash.set(format!("f{i}").as_bytes(), long.as_bytes(), &LIMITS);
            if i % 3 == 0 {
                hash.remove(format!("f{}", i / 2).as_bytes());
                hash.set(long.as_bytes(), b"overwritten", &LIMITS);
            }
        }
        let fields = hash.fields.iter();
        let recount: usize = fields.map(|(f, v)| f.heap_size() + v.heap_size()).sum();
        assert!(recount > 0);
        assert_eq!(hash.data_heap, recount);
    }

    fn fields(hash: &Hash) -> Vec<Vec<u8>> {
        hash.iter().map(|(f, _)| f.to_vec()).collect()
    }

    #[test]
    fn set_get_remove() {
        let mut hash = Hash::default();
        assert!(hash.set(b"a", b"1", &LIMITS));
        assert!(!hash.set(b"a", b"2", &LIMITS));
        assert_eq!(hash.get(b"a"), Some(&b"2"[..]));
        assert!(hash.contains(b"a"));
        assert_eq!(hash.get(b"b"), None);
        assert!(hash.remove(b"a"));
        assert!(!hash.remove(b"a"));
        assert!(hash.is_empty());
    }

    #[test]
    fn listpack_keeps_insertion_order_through_updates_and_removals() {
        let mut hash = Hash::default();
        for field in [&b"z"[..], b"a", b"m", b"b"] {
            hash.set(field, b"v", &LIMITS);
        }
        hash.set(b"a", b"new value", &LIMITS);
        hash.remove(b"z");
        assert_eq!(
            fields(&hash),
            vec![b"a".to_vec(), b"m".to_vec(), b"b".to_vec()]
        );
        assert_eq!(hash.encoding(), "listpack");
    }

    #[test]
    fn converts_to_hashtable_on_long_strings_or_many_fields() {
        let mut hash = Hash::default();
        hash.set(b"f", &[b'x'; LISTPACK_MAX_VALUE], &LIMITS);
        hash.set(&[b'y'; LISTPACK_MAX_VALUE], b"v", &LIMITS);
        assert_eq!(hash.encoding(), "listpack");
        hash.set(b"f", &[b'x'; LISTPACK_MAX_VALUE + 1], &LIMITS);
        assert_eq!(hash.encoding(), "hashtable");
        // Conversion is one-way.
        hash.set(b"f", b"short", &LIMITS);
        assert_eq!(hash.encoding(), "hashtable");

        let mut hash = Hash::default();
        for i in 0..LISTPACK_MAX_ENTRIES {
            hash.set(i.to_string().as_bytes(), b"v", &LIMITS);
        }
        assert_eq!(hash.encoding(), "listpack");
        hash.set(b"one more", b"v", &LIMITS);
        assert_eq!(hash.encoding(), "hashtable");
        hash.remove(b"one more");
        assert_eq!(hash.encoding(), "hashtable");
    }

    #[test]
    fn listpack_scan_returns_everything_at_once() {
        let mut hash = Hash::default();
        hash.set(b"a", b"1", &LIMITS);
        hash.set(b"b", b"2", &LIMITS);
        let mut seen = Vec::new();
        let next = hash.scan(12345, 1, |f, v| seen.push((f.to_vec(), v.to_vec())));
        assert_eq!(next, 0);
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn hashtable_scan_returns_every_field_present_throughout() {
        let mut hash = Hash::default();
        for i in 0..1000u32 {
            hash.set(format!("f{i}").as_bytes(), b"v", &LIMITS);
        }
        assert!(!hash.is_listpack());
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = hash.scan(cursor, 7, |f, _| {
                seen.insert(f.to_vec());
            });
            // Remove fields ahead of and behind the cursor, and add new ones.
            step += 1;
            hash.remove(format!("f{}", step * 5).as_bytes());
            hash.remove(format!("f{}", 999 - step).as_bytes());
            hash.set(format!("new{step}").as_bytes(), b"v", &LIMITS);
            if cursor == 0 {
                break;
            }
        }
        // Every original field still present at the end was present throughout.
        for i in 0..1000u32 {
            let field = format!("f{i}").into_bytes();
            if hash.contains(&field) {
                assert!(seen.contains(&field), "f{i} missed");
            }
        }
        assert!(hash.len() < 1000 + step);
    }

    #[test]
    fn scan_cursor_beyond_the_table_starts_at_its_end() {
        let mut hash = Hash::default();
        for i in 0..200u32 {
            hash.set(format!("f{i}").as_bytes(), b"v", &LIMITS);
        }
        let mut seen = 0;
        let next = hash.scan(u64::MAX, 500, |_, _| seen += 1);
        assert_eq!((next, seen), (0, 200));
    }
}
