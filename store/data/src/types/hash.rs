//! A hash of field → value.
//!
//! While the hash is small it is a *listpack*, as in Redis: fields and values alternate in
//! one flat buffer ([`Listpack`]), in insertion order, found by a linear scan; removals close
//! the gap, so HGETALL, HKEYS, HSCAN... answer in the same order as Redis. Past the listpack
//! limits it becomes a *hashtable* for good: a [`SlotTable`] whose fields keep their
//! positions, so [`Hash::scan`] returns each field present for the whole scan exactly once.

use super::listpack::{self, encoded_len, Listpack};
use super::EncodingLimits;
use crate::compact::CompactBytes;
use crate::rng::Rng;
use crate::table::{distinct_positions, Keyed, SlotTable};

/// A hash of field → value.
#[derive(Debug, Clone)]
pub struct Hash(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// Field, value, field, value... in insertion order.
    Listpack(Listpack),
    /// Past the listpack limits (conversion is one-way).
    Table(Box<Table>),
}

#[derive(Debug, Clone, Default)]
struct Table {
    fields: SlotTable<Field>,
    /// Heap bytes of the fields and values, kept up to date so `heap_size` is O(1).
    data_heap: usize,
}

/// A field and its value in a hashtable.
#[derive(Debug, Clone)]
struct Field {
    name: CompactBytes,
    value: CompactBytes,
}

impl Keyed for Field {
    #[inline]
    fn key(&self) -> &[u8] {
        &self.name
    }
}

impl Default for Hash {
    fn default() -> Hash {
        Hash(Repr::Listpack(Listpack::default()))
    }
}

impl Hash {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Listpack(pairs) => pairs.len() / 2,
            Repr::Table(table) => table.fields.len(),
        }
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        match self.0 {
            Repr::Listpack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// True while the hash is listpack-encoded: small, kept in insertion order, and scanned
    /// in one call.
    pub fn is_listpack(&self) -> bool {
        matches!(self.0, Repr::Listpack(_))
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Listpack(pairs) => pairs.heap_size(),
            Repr::Table(table) => {
                crate::alloc::allocation(std::mem::size_of::<Table>())
                    + table.fields.table_bytes()
                    + table.data_heap
            }
        }
    }

    /// The offset of `field` in a listpack, and of its value.
    fn find(pairs: &Listpack, field: &[u8]) -> Option<(usize, usize)> {
        pairs
            .pairs()
            .find(|(_, name, _)| *name == field)
            .map(|(at, name, _)| (at, at + encoded_len(name)))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.0 {
            Repr::Listpack(pairs) => Self::pairs(pairs)
                .find(|(name, _)| *name == field)
                .map(|(_, value)| value),
            Repr::Table(table) => table.fields.get(field).map(|f| f.value.as_slice()),
        }
    }

    /// True if `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; true if the field is new. An existing field keeps its place.
    /// Past `limits` the hash becomes a hashtable.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &EncodingLimits) -> bool {
        if let Repr::Listpack(pairs) = &mut self.0 {
            // Redis 7.0 converts when it writes a field or value over the limit, whether or
            // not the field already existed, and when a new field would be one too many.
            let too_long = field.len() > limits.hash_value || value.len() > limits.hash_value;
            let found = Self::find(pairs, field);
            let too_many = found.is_none() && pairs.len() / 2 >= limits.hash_entries;
            if !too_long && !too_many {
                match found {
                    Some((_, value_at)) => pairs.replace(value_at, value),
                    None => pairs.insert(pairs.end(), &[field, value]),
                }
                return found.is_none();
            }
            self.convert();
        }
        let Repr::Table(table) = &mut self.0 else {
            unreachable!("converted just above")
        };
        let value = CompactBytes::new(value);
        table.data_heap += value.heap_size();
        match table.fields.get_mut(field) {
            Some(old) => {
                table.data_heap -= old.value.heap_size();
                old.value = value;
                false
            }
            None => {
                let name = CompactBytes::new(field);
                table.data_heap += name.heap_size();
                table.fields.insert_new(Field { name, value }, true);
                true
            }
        }
    }

    /// Turns a listpack into a hashtable, keeping the order.
    fn convert(&mut self) {
        let Repr::Listpack(pairs) = &self.0 else {
            return;
        };
        let mut table = Table {
            fields: SlotTable::with_capacity(pairs.len() / 2 + 1),
            data_heap: 0,
        };
        for (name, value) in Self::pairs(pairs) {
            let (name, value) = (CompactBytes::new(name), CompactBytes::new(value));
            table.data_heap += name.heap_size() + value.heap_size();
            table.fields.insert_new(Field { name, value }, true);
        }
        self.0 = Repr::Table(Box::new(table));
    }

    /// A listpack's fields and values.
    fn pairs(pairs: &Listpack) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        pairs.pairs().map(|(_, field, value)| (field, value))
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Listpack(pairs) => match Self::find(pairs, field) {
                Some((at, _)) => {
                    // A listpack closes the gap, keeping the order of the other fields.
                    pairs.remove(at, 2);
                    true
                }
                None => false,
            },
            Repr::Table(table) => match table.fields.remove(field) {
                Some((_, field)) => {
                    table.data_heap -= field.name.heap_size() + field.value.heap_size();
                    table.fields.compact_if_sparse();
                    true
                }
                None => false,
            },
        }
    }

    /// The field and value at `position`: the place in a listpack (0 is the oldest field),
    /// the slot in a hashtable (`None` for a hole).
    pub fn get_index(&self, position: usize) -> Option<(&[u8], &[u8])> {
        match &self.0 {
            Repr::Listpack(pairs) => Self::pairs(pairs).nth(position),
            Repr::Table(table) => table
                .fields
                .at(position)
                .map(|f| (f.name.as_slice(), f.value.as_slice())),
        }
    }

    /// A random field and its value, or `None` when the hash is empty.
    pub fn random(&self, rng: &mut Rng) -> Option<(&[u8], &[u8])> {
        let position = match &self.0 {
            Repr::Listpack(_) => (!self.is_empty()).then(|| rng.below(self.len()))?,
            Repr::Table(table) => table.fields.random(rng)?,
        };
        self.get_index(position)
    }

    /// The positions of up to `count` distinct random fields.
    pub fn distinct_positions(&self, count: usize, rng: &mut Rng) -> Vec<usize> {
        match &self.0 {
            Repr::Listpack(_) => distinct_positions(self.len(), self.len(), count, rng, |_| true),
            Repr::Table(table) => table.fields.distinct_random(count, rng),
        }
    }

    /// Every field and its value, in the hash's order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        match &self.0 {
            Repr::Listpack(pairs) => Fields::Listpack(pairs.pairs()),
            Repr::Table(table) => Fields::Table(table.fields.iter(), table.fields.len()),
        }
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
        let Repr::Table(table) = &self.0 else {
            for (field, value) in self.iter() {
                visit(field, value);
            }
            return 0;
        };
        table
            .fields
            .scan(cursor, count, |field| visit(&field.name, &field.value))
    }
}

/// [`Hash::iter`] over either encoding.
enum Fields<'a> {
    Listpack(listpack::Pairs<'a>),
    /// A hashtable's fields, and how many are left.
    Table(crate::table::Iter<'a, Field>, usize),
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Fields::Listpack(pairs) => pairs.next().map(|(_, field, value)| (field, value)),
            Fields::Table(fields, left) => {
                let (_, field) = fields.next()?;
                *left -= 1;
                Some((field.name.as_slice(), field.value.as_slice()))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Fields::Listpack(pairs) => pairs.size_hint(),
            Fields::Table(_, left) => (*left, Some(*left)),
        }
    }
}

impl ExactSizeIterator for Fields<'_> {}

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
        let Repr::Table(table) = &hash.0 else {
            panic!("600 fields make a hashtable")
        };
        let fields = table.fields.iter();
        let recount: usize = fields
            .map(|(_, f)| f.name.heap_size() + f.value.heap_size())
            .sum();
        assert!(recount > 0);
        assert_eq!(table.data_heap, recount);
    }

    fn fields(hash: &Hash) -> Vec<Vec<u8>> {
        hash.iter().map(|(f, _)| f.to_vec()).collect()
    }

    #[test]
    fn a_hash_fits_in_a_value_without_a_box() {
        assert!(std::mem::size_of::<Hash>() <= 24);
        assert_eq!(std::mem::size_of::<crate::value::Value>(), 32);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, usize),
        Remove(u8),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..24, 0usize..12).prop_map(|(f, len)| Op::Set(f, len)),
            (0u8..24).prop_map(Op::Remove),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Every reply as a plain model gives it: insertion order while a listpack (removals
        /// close the gap), the same fields and values after; the encoding changes exactly at
        /// the limits.
        #[test]
        fn behaves_like_an_ordered_map(
            ops in proptest::collection::vec(op(), 1..120),
            entries in 1usize..16,
            value_limit in 1usize..12,
        ) {
            let limits = EncodingLimits { hash_entries: entries, hash_value: value_limit, ..LIMITS };
            let mut hash = Hash::default();
            let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            let mut listpack = true;
            for op in ops {
                match op {
                    Op::Set(f, len) => {
                        let field = format!("f{f}").into_bytes();
                        let value = vec![b'v'; len];
                        let at = model.iter().position(|(name, _)| *name == field);
                        if field.len() > value_limit || len > value_limit
                            || (at.is_none() && model.len() >= entries) {
                            listpack = false;
                        }
                        let created = hash.set(&field, &value, &limits);
                        proptest::prop_assert_eq!(created, at.is_none());
                        match at {
                            Some(at) => model[at].1 = value,
                            None => model.push((field, value)),
                        }
                    }
                    Op::Remove(f) => {
                        let field = format!("f{f}").into_bytes();
                        let at = model.iter().position(|(name, _)| *name == field);
                        proptest::prop_assert_eq!(hash.remove(&field), at.is_some());
                        if let Some(at) = at {
                            model.remove(at);
                        }
                    }
                }
                proptest::prop_assert_eq!(hash.is_listpack(), listpack);
                proptest::prop_assert_eq!(hash.len(), model.len());
                let mut got: Vec<(Vec<u8>, Vec<u8>)> =
                    hash.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                let mut want = model.clone();
                if !listpack {
                    got.sort();
                    want.sort();
                }
                proptest::prop_assert_eq!(got, want);
                for (field, value) in &model {
                    proptest::prop_assert_eq!(hash.get(field), Some(value.as_slice()));
                }
                proptest::prop_assert_eq!(hash.get(b"absent"), None);
            }
        }
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
                assert!(seen.insert(f.to_vec()), "returned twice");
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
