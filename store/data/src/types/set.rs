//! A set of members.
//!
//! Like Redis 7.0, a set starts as an *intset* — a sorted array of integers at the smallest
//! width that holds them (see `intset.rs`) — while every
//! member reads as an integer (Redis's `string2ll`: no sign but `-`, no leading zeros) and
//! there are at most [`INTSET_MAX_ENTRIES`] of them. Keeping the real sorted array is what
//! makes SMEMBERS, SSCAN, SUNION... list an intset's members in the same (ascending) order as
//! Redis. Any other member, or one member too many, turns the set into a *hashtable* for
//! good: a [`SlotTable`] whose members keep their positions. That gives O(1) random picks
//! (SPOP, SRANDMEMBER) and a [`Set::scan`] that returns each member present for the whole
//! scan exactly once.

use std::fmt;

use radish_resp::number::{parse_i64_strict, NumberText};

use super::intset::IntSet;
use super::EncodingLimits;
use crate::compact::CompactBytes;
use crate::rng::Rng;
use crate::table::{distinct_positions, SlotTable};

/// A set of members.
#[derive(Debug, Clone)]
pub struct Set {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// Sorted, distinct integers.
    Ints(IntSet),
    /// Any bytes, each keeping its position.
    Table(Box<Table>),
}

#[derive(Debug, Clone, Default)]
struct Table {
    members: SlotTable<CompactBytes>,
    /// Heap bytes of the members, kept up to date so `heap_size` is O(1).
    data_heap: usize,
}

impl Default for Set {
    fn default() -> Set {
        Set {
            repr: Repr::Ints(IntSet::default()),
        }
    }
}

/// A member as a set hands it out: an intset's integers are formatted on the way out.
#[derive(Clone, Copy)]
pub enum Member<'a> {
    /// A member of an intset.
    Int(NumberText),
    /// A member of a hashtable.
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Int(text) => text.as_bytes(),
            Member::Bytes(bytes) => bytes,
        }
    }
}

impl AsRef<[u8]> for Member<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Member<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl Set {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(ints) => ints.len(),
            Repr::Table(table) => table.members.len(),
        }
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Ints(_) => "intset",
            Repr::Table(_) => "hashtable",
        }
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.repr {
            Repr::Ints(ints) => ints.heap_size(),
            Repr::Table(table) => {
                crate::alloc::allocation(std::mem::size_of::<Table>())
                    + table.members.table_bytes()
                    + table.data_heap
            }
        }
    }

    /// True while the set is an intset.
    pub fn is_intset(&self) -> bool {
        matches!(self.repr, Repr::Ints(_))
    }

    /// An intset's bytes as Redis lays them out (its `intsetBlobLen` bytes: the width and
    /// count as 32-bit little-endian numbers, then the integers), `None` for a hashtable.
    pub fn intset_blob(&self) -> Option<Vec<u8>> {
        let Repr::Ints(ints) = &self.repr else {
            return None;
        };
        Some(ints.redis_blob())
    }

    /// A set from an intset in Redis's layout (see [`IntSet::from_redis_blob`]): kept as it
    /// is, width included, unless it holds more than `limits` let an intset hold. `None` if
    /// the bytes are not a sound intset.
    pub fn from_intset_blob(blob: &[u8], limits: &EncodingLimits) -> Option<Set> {
        let ints = IntSet::from_redis_blob(blob)?;
        if ints.len() <= limits.set_intset_entries {
            return Some(Set {
                repr: Repr::Ints(ints),
            });
        }
        let mut set = Set::default();
        for value in ints.iter() {
            set.insert(NumberText::integer(value).as_bytes(), limits);
        }
        Some(set)
    }

    /// True if `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Ints(ints) => parse_i64_strict(member).is_some_and(|n| ints.contains(n)),
            Repr::Table(table) => table.members.contains(member),
        }
    }

    /// Adds `member`; true if it was not there. Past `limits` an intset becomes a hashtable.
    pub fn insert(&mut self, member: &[u8], limits: &EncodingLimits) -> bool {
        if let Repr::Ints(ints) = &mut self.repr {
            match parse_i64_strict(member) {
                Some(n) => {
                    if !ints.insert(n) {
                        return false;
                    }
                    if ints.len() > limits.set_intset_entries {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match &mut self.repr {
            Repr::Table(table) => {
                if table.members.contains(member) {
                    return false;
                }
                let member = CompactBytes::new(member);
                table.data_heap += member.heap_size();
                table.members.insert_new(member, true);
                true
            }
            Repr::Ints(_) => false,
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(ints) => parse_i64_strict(member).is_some_and(|n| ints.remove(n)),
            Repr::Table(table) => match table.members.remove(member) {
                Some((_, member)) => {
                    table.forget(&member);
                    true
                }
                None => false,
            },
        }
    }

    /// The member at `position`: the place in an intset, the slot in a hashtable (`None`
    /// for a hole).
    pub fn get_index(&self, position: usize) -> Option<Member<'_>> {
        match &self.repr {
            Repr::Ints(ints) => ints
                .get(position)
                .map(|n| Member::Int(NumberText::integer(n))),
            Repr::Table(table) => table.members.at(position).map(|m| Member::Bytes(m)),
        }
    }

    /// Removes and returns the member at `position` (SPOP).
    pub fn take_index(&mut self, position: usize) -> Option<CompactBytes> {
        match &mut self.repr {
            Repr::Ints(ints) => ints
                .remove_at(position)
                .map(|n| CompactBytes::new(NumberText::integer(n).as_bytes())),
            Repr::Table(table) => {
                let member = table.members.remove_at(position)?;
                table.forget(&member);
                Some(member)
            }
        }
    }

    /// A random member's position, or `None` when the set is empty.
    pub fn random_position(&self, rng: &mut Rng) -> Option<usize> {
        match &self.repr {
            Repr::Ints(ints) => (!ints.is_empty()).then(|| rng.below(ints.len())),
            Repr::Table(table) => table.members.random(rng),
        }
    }

    /// A random member, or `None` when the set is empty.
    pub fn random(&self, rng: &mut Rng) -> Option<Member<'_>> {
        self.get_index(self.random_position(rng)?)
    }

    /// The positions of up to `count` distinct random members.
    pub fn distinct_positions(&self, count: usize, rng: &mut Rng) -> Vec<usize> {
        match &self.repr {
            Repr::Ints(ints) => distinct_positions(ints.len(), ints.len(), count, rng, |_| true),
            Repr::Table(table) => table.members.distinct_random(count, rng),
        }
    }

    /// Every member: ascending for an intset, as in Redis; insertion order (disturbed by
    /// removals) for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Ints(ints) => Iter::Ints(ints, 0..ints.len()),
            Repr::Table(table) => Iter::Table(table.members.iter(), table.members.len()),
        }
    }

    /// One SSCAN step: calls `visit` for the members at up to `count` positions from
    /// `cursor` towards the start and returns the next cursor (0 when done).
    ///
    /// An intset-encoded set is returned whole, with cursor 0, whatever the cursor, as Redis
    /// does. Otherwise cursor 0 starts at the end, and a cursor is the number of positions
    /// not yet visited (one beyond the table starts at its end).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(Member<'a>)) -> u64 {
        let table = match &self.repr {
            Repr::Ints(_) => {
                self.iter().for_each(visit);
                return 0;
            }
            Repr::Table(table) => &table.members,
        };
        table.scan(cursor, count, |member| visit(Member::Bytes(member)))
    }

    /// Turns an intset into a hashtable (one-way, as in Redis).
    fn convert(&mut self) {
        if let Repr::Ints(ints) = &self.repr {
            let mut members = SlotTable::with_capacity(ints.len() + 1);
            for n in ints.iter() {
                members.insert_new(CompactBytes::new(NumberText::integer(n).as_bytes()), true);
            }
            // Integers are short enough to be stored inline: no heap of their own.
            let data_heap = members.iter().map(|(_, m)| m.heap_size()).sum();
            self.repr = Repr::Table(Box::new(Table { members, data_heap }));
        }
    }
}

impl Table {
    /// Accounts for `member`, just removed, and compacts the table once it is mostly holes.
    fn forget(&mut self, member: &CompactBytes) {
        self.data_heap -= member.heap_size();
        self.members.compact_if_sparse();
    }
}

/// The members of a [`Set`], in its order.
#[derive(Debug, Clone)]
pub enum Iter<'a> {
    /// An intset's members at the places left.
    Ints(&'a IntSet, std::ops::Range<usize>),
    /// A hashtable's members, and how many are left.
    Table(crate::table::Iter<'a, CompactBytes>, usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;

    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Ints(ints, places) => {
                let n = ints.get(places.next()?)?;
                Some(Member::Int(NumberText::integer(n)))
            }
            Iter::Table(members, left) => {
                let (_, member) = members.next()?;
                *left -= 1;
                Some(Member::Bytes(member))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self {
            Iter::Ints(_, places) => places.len(),
            Iter::Table(_, left) => *left,
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EncodingLimits;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;
    const INTSET_MAX_ENTRIES: usize = LIMITS.set_intset_entries;
    use std::collections::HashSet;

    #[test]
    fn tracked_heap_matches_a_recount() {
        let mut set = Set::default();
        for i in 0..600 {
            set.insert(format!("{i}").as_bytes(), &LIMITS);
            set.insert(format!("{i:0>40}").as_bytes(), &LIMITS);
            if i % 3 == 0 {
                set.remove(format!("{:0>40}", i / 2).as_bytes());
                set.take_index(0);
            }
        }
        let Repr::Table(table) = &set.repr else {
            panic!("long members make a hashtable");
        };
        let recount: usize = table.members.iter().map(|(_, m)| m.heap_size()).sum();
        assert!(recount > 0);
        assert_eq!(table.data_heap, recount);
    }

    fn members(set: &Set) -> Vec<Vec<u8>> {
        set.iter().map(|m| m.as_bytes().to_vec()).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Every answer as a plain set gives it; ascending while an intset; the encoding
        /// changes exactly at the limit or at the first member that is not an integer.
        #[test]
        fn behaves_like_a_btree_set(
            ops in proptest::collection::vec((0u8..4, -20i32..20), 1..120),
            entries in 1usize..16,
        ) {
            let limits = EncodingLimits { set_intset_entries: entries, ..LIMITS };
            let mut set = Set::default();
            let mut model = std::collections::BTreeSet::new();
            let mut intset = true;
            for (op, n) in ops {
                // Mostly integers (some wide), now and then a word.
                let member = match n {
                    19 => b"word".to_vec(),
                    18 => b"9000000000".to_vec(),
                    _ => n.to_string().into_bytes(),
                };
                match op {
                    0 | 1 => {
                        let added = model.insert(member.clone());
                        if added && (parse_i64_strict(&member).is_none() || model.len() > entries) {
                            intset = false;
                        }
                        proptest::prop_assert_eq!(set.insert(&member, &limits), added);
                    }
                    2 => proptest::prop_assert_eq!(set.remove(&member), model.remove(&member)),
                    _ => {
                        let mut rng = Rng::new(u64::from(n.unsigned_abs()));
                        let taken = set.random_position(&mut rng).and_then(|p| set.take_index(p));
                        proptest::prop_assert_eq!(taken.is_some(), !model.is_empty());
                        if let Some(taken) = taken {
                            proptest::prop_assert!(model.remove(taken.as_slice()));
                        }
                    }
                }
                proptest::prop_assert_eq!(set.encoding(), if intset { "intset" } else { "hashtable" });
                proptest::prop_assert_eq!(set.len(), model.len());
                let listed = members(&set);
                if intset {
                    let mut ascending: Vec<Vec<u8>> = model.iter().cloned().collect();
                    ascending.sort_by_key(|m| parse_i64_strict(m));
                    proptest::prop_assert_eq!(listed, ascending);
                } else {
                    let listed: std::collections::BTreeSet<Vec<u8>> = listed.into_iter().collect();
                    proptest::prop_assert_eq!(&listed, &model);
                }
                proptest::prop_assert_eq!(set.contains(&member), model.contains(&member));
            }
        }
    }

    #[test]
    fn intset_stays_sorted_and_reads_members_as_redis_does() {
        let mut set = Set::default();
        for member in [&b"5"[..], b"-7", b"100", b"1", b"5"] {
            set.insert(member, &LIMITS);
        }
        assert_eq!(set.len(), 4);
        assert_eq!(
            members(&set),
            vec![
                b"-7".to_vec(),
                b"1".to_vec(),
                b"5".to_vec(),
                b"100".to_vec()
            ]
        );
        assert_eq!(set.encoding(), "intset");
        // "05" and "+5" are not the integer 5 to string2ll.
        assert!(set.contains(b"5"));
        assert!(!set.contains(b"05"));
        assert!(!set.contains(b"+5"));
        assert!(!set.remove(b"05"));
        assert!(set.remove(b"5"));
        assert_eq!(set.len(), 3);
    }

    #[test]
    fn non_integer_members_convert_to_hashtable_for_good() {
        let mut set = Set::default();
        set.insert(b"3", &LIMITS);
        set.insert(b"1", &LIMITS);
        assert!(set.insert(b"007", &LIMITS));
        assert_eq!(set.encoding(), "hashtable");
        assert!(set.contains(b"1") && set.contains(b"3") && set.contains(b"007"));
        assert!(!set.insert(b"1", &LIMITS));
        set.remove(b"007");
        assert_eq!(set.encoding(), "hashtable");
        for (member, hashtable) in [
            (&b"9223372036854775808"[..], true),
            (b"-0", true),
            (b"-9223372036854775808", false),
            (b"", true),
        ] {
            let mut set = Set::default();
            set.insert(member, &LIMITS);
            assert_eq!(set.encoding() == "hashtable", hashtable, "{member:?}");
            assert!(set.contains(member));
        }
    }

    #[test]
    fn too_many_integers_convert_to_hashtable() {
        let mut set = Set::default();
        for i in 0..INTSET_MAX_ENTRIES {
            set.insert(i.to_string().as_bytes(), &LIMITS);
        }
        assert_eq!(set.encoding(), "intset");
        set.insert(b"-1", &LIMITS);
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(set.len(), INTSET_MAX_ENTRIES + 1);
        assert!(set.contains(b"-1") && set.contains(b"511"));
    }

    #[test]
    fn take_index_removes_the_member() {
        for seed in [&b"1"[..], b"a"] {
            let mut set = Set::default();
            set.insert(seed, &LIMITS);
            set.insert(b"2", &LIMITS);
            let taken = set.take_index(0).expect("a member");
            assert!(!set.contains(&taken));
            assert_eq!(set.len(), 1);
            assert!(set.take_index(5).is_none());
        }
    }

    #[test]
    fn intset_scan_returns_everything_at_once() {
        let mut set = Set::default();
        set.insert(b"2", &LIMITS);
        set.insert(b"1", &LIMITS);
        let mut seen = Vec::new();
        assert_eq!(set.scan(77, 1, |m| seen.push(m.as_bytes().to_vec())), 0);
        assert_eq!(seen, vec![b"1".to_vec(), b"2".to_vec()]);
    }

    #[test]
    fn hashtable_scan_returns_every_member_present_throughout() {
        let mut set = Set::default();
        for i in 0..1000u32 {
            set.insert(format!("m{i}").as_bytes(), &LIMITS);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = set.scan(cursor, 9, |m| {
                assert!(seen.insert(m.as_bytes().to_vec()), "returned twice");
            });
            step += 1;
            set.remove(format!("m{}", step * 4).as_bytes());
            set.insert(format!("new{step}").as_bytes(), &LIMITS);
            // Pop from the middle too, as SPOP would.
            let mut rng = Rng::new(step as u64);
            if let Some(position) = set.random_position(&mut rng) {
                set.take_index(position);
            }
            if cursor == 0 {
                break;
            }
        }
        let popped: HashSet<Vec<u8>> = (0..1000u32)
            .map(|i| format!("m{i}").into_bytes())
            .filter(|m| !set.contains(m))
            .collect();
        for i in 0..1000u32 {
            let member = format!("m{i}").into_bytes();
            if !popped.contains(&member) {
                assert!(seen.contains(&member), "m{i} missed");
            }
        }
    }
}
