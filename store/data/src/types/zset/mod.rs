//! A sorted set: members ordered by (score, member).
//!
//! Small sets are a listpack, as in Redis (`small.rs`): elements in order in one flat
//! buffer, walked linearly; a listpack stores each score as text in Redis, which turns `-0`
//! into `0`, and so does ours. Past `zset-max-listpack-*` a set becomes a skiplist for good,
//! with O(log n) rank and range queries: two structures hold the same elements, as in Redis,
//! a skiplist with span widths ordered by (score, member) (see `skiplist.rs`), and a hash
//! table of node numbers, found by their member's hash, for O(1) score lookups; the member
//! is stored once, in its node. The nodes by position, where removals leave holes rather
//! than move a node (`table.rs`'s `Slots`), give O(1) random picks (ZRANDMEMBER) and a ZSCAN
//! that returns each element present throughout exactly once.

mod large;
mod range;
pub mod score;
mod skiplist;
mod small;

use bytes::Bytes;
use large::Large;
pub use range::{LexBound, LexRange, ScoreRange};
use skiplist::{SkipList, NIL};

use super::listpack::Listpack;
use super::EncodingLimits;
use crate::rng::Rng;
use crate::table::{distinct_positions, Slots};

/// A sorted set: members ordered by (score, member).
#[derive(Debug, Clone)]
pub struct SortedSet(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// Member, score, member, score... in order (see `small.rs`).
    Listpack(Listpack),
    /// Past the listpack limits (conversion is one-way but for `shrink_encoding`).
    Skiplist(Box<Large>),
}

impl Default for SortedSet {
    fn default() -> Self {
        SortedSet::new()
    }
}

/// Walks elements from one rank towards the end or the start, yielding (member, score).
pub struct Iter<'a>(Walk<'a>);

enum Walk<'a> {
    /// A listpack forwards.
    Forward(std::iter::Skip<small::Elements<'a>>),
    /// A listpack backwards: the elements to yield, the next one last.
    Backward(Vec<(&'a [u8], f64)>),
    /// A skiplist from `node`.
    Skiplist {
        list: &'a SkipList,
        node: u32,
        reverse: bool,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Forward(elements) => elements.next().map(|(_, member, score)| (member, score)),
            Walk::Backward(items) => items.pop(),
            Walk::Skiplist {
                list,
                node,
                reverse,
            } => {
                if *node == NIL {
                    return None;
                }
                let element = list.get(*node);
                *node = if *reverse {
                    list.prev(*node)
                } else {
                    list.next(*node)
                };
                Some(element)
            }
        }
    }
}

impl SortedSet {
    /// An empty set, in Redis's listpack encoding.
    pub fn new() -> SortedSet {
        SortedSet(Repr::Listpack(Listpack::default()))
    }

    /// An empty set already in the skiplist encoding (Redis builds large or computed results
    /// this way).
    pub fn new_skiplist() -> SortedSet {
        SortedSet(Repr::Skiplist(Box::new(Large::new())))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Listpack(pairs) => small::len(pairs),
            Repr::Skiplist(large) => large.list.len(),
        }
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True while the set is listpack-encoded.
    fn is_listpack(&self) -> bool {
        matches!(self.0, Repr::Listpack(_))
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        if self.is_listpack() {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Listpack(pairs) => pairs.heap_size(),
            Repr::Skiplist(large) => large.heap_size(),
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.0 {
            Repr::Listpack(pairs) => small::find(pairs, member).map(|(_, _, score)| score),
            Repr::Skiplist(large) => large.find(member).map(|node| large.list.get(node).1),
        }
    }

    /// Sets the score of `member`, adding it if needed; returns its previous score. An equal
    /// score (including `-0` for `0`) changes nothing. Past `limits` a listpack becomes a
    /// skiplist.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: &EncodingLimits) -> Option<f64> {
        if let Repr::Listpack(pairs) = &mut self.0 {
            let found = small::find(pairs, member);
            if let Some((at, _, old)) = found {
                if old != score {
                    small::remove_at(pairs, at);
                    small::insert(pairs, member, score);
                }
                return Some(old);
            }
            if small::len(pairs) < limits.zset_entries && member.len() <= limits.zset_value {
                small::insert(pairs, member, score);
                return None;
            }
            self.convert();
        }
        let Repr::Skiplist(large) = &mut self.0 else {
            unreachable!("converted just above")
        };
        if let Some(node) = large.find(member) {
            let old = large.list.get(node).1;
            if old != score {
                large.rescore(node, score);
            }
            return Some(old);
        }
        large.add(member, score);
        None
    }

    /// Turns a listpack into a skiplist.
    fn convert(&mut self) {
        let Repr::Listpack(pairs) = &self.0 else {
            return;
        };
        let mut large = Large::new();
        large.order = Slots::with_capacity(small::len(pairs) + 1);
        for (_, member, score) in small::elements(pairs) {
            large.add(member, score);
        }
        self.0 = Repr::Skiplist(Box::new(large));
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.0 {
            Repr::Listpack(pairs) => {
                let (at, _, score) = small::find(pairs, member)?;
                small::remove_at(pairs, at);
                Some(score)
            }
            Repr::Skiplist(large) => large.remove(member),
        }
    }

    /// The 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.0 {
            Repr::Listpack(pairs) => small::find(pairs, member).map(|(_, rank, _)| rank),
            Repr::Skiplist(large) => {
                let node = large.find(member)?;
                let (member, score) = large.list.get(node);
                large.list.rank(score, member)
            }
        }
    }

    /// The element at 0-based ascending `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        match &self.0 {
            Repr::Listpack(pairs) => small::elements(pairs)
                .nth(rank)
                .map(|(_, member, score)| (member, score)),
            Repr::Skiplist(large) => {
                let node = large.list.at_rank(rank);
                (node != NIL).then(|| large.list.get(node))
            }
        }
    }

    /// Elements from 0-based ascending rank `start` to the end (or, `reverse`, to the
    /// start); empty when `start` is out of range.
    pub fn iter_from(&self, start: usize, reverse: bool) -> Iter<'_> {
        match &self.0 {
            Repr::Listpack(pairs) if reverse => {
                let items = small::elements(pairs)
                    .take(start.saturating_add(1))
                    .map(|(_, member, score)| (member, score));
                let items: Vec<_> = if start < small::len(pairs) {
                    items.collect()
                } else {
                    Vec::new()
                };
                Iter(Walk::Backward(items))
            }
            Repr::Listpack(pairs) => Iter(Walk::Forward(small::elements(pairs).skip(start))),
            Repr::Skiplist(large) => Iter(Walk::Skiplist {
                list: &large.list,
                node: large.list.at_rank(start),
                reverse,
            }),
        }
    }

    /// Every element in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Listpack(_) => self.iter_from(0, false),
            Repr::Skiplist(large) => Iter(Walk::Skiplist {
                list: &large.list,
                node: large.list.first(),
                reverse: false,
            }),
        }
    }

    /// Every element in descending order.
    pub fn iter_rev(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Listpack(pairs) => self.iter_from(small::len(pairs).saturating_sub(1), true),
            Repr::Skiplist(large) => Iter(Walk::Skiplist {
                list: &large.list,
                node: large.list.last(),
                reverse: true,
            }),
        }
    }

    /// Removes and returns the lowest element, or the highest when `highest`.
    pub fn pop(&mut self, highest: bool) -> Option<(Bytes, f64)> {
        let (member, score) = if highest {
            self.iter_rev().next()
        } else {
            self.iter().next()
        }?;
        let member = Bytes::copy_from_slice(member);
        self.remove(&member);
        Some((member, score))
    }

    /// Removes the elements of 0-based ranks `start..=end` (clamped); returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let large = match &mut self.0 {
            Repr::Listpack(pairs) => return small::remove_ranks(pairs, start, end),
            Repr::Skiplist(large) => large,
        };
        let mut removed = Vec::new();
        large
            .list
            .remove_rank_range(start, end, |node, member, position| {
                removed.push((position, node, member));
            });
        for (position, node, member) in &removed {
            large.forget(*node, member, *position);
        }
        large.compact_if_sparse();
        removed.len()
    }

    /// How many elements from the start `ahead` holds for, in order.
    fn count_while(&self, ahead: impl Fn(f64, &[u8]) -> bool) -> usize {
        match &self.0 {
            Repr::Listpack(pairs) => small::elements(pairs)
                .take_while(|(_, member, score)| ahead(*score, member))
                .count(),
            Repr::Skiplist(large) => large.list.count_while(ahead),
        }
    }

    /// Ranks of the first and last elements within `range`.
    pub fn score_ranks(&self, range: &ScoreRange) -> Option<(usize, usize)> {
        if range.is_empty() {
            return None;
        }
        let first = self.count_while(|score, _| !range.above_min(score));
        let last = self
            .count_while(|score, _| range.below_max(score))
            .checked_sub(1)?;
        (first <= last).then_some((first, last))
    }

    /// Redis's `zzlIsInLexRange`/`zslIsInLexRange`: a quick check on the first and last
    /// members (which only means "in order" when all scores are equal).
    fn may_hold_lex(&self, range: &LexRange) -> bool {
        if range.is_empty() {
            return false;
        }
        let (Some((last, _)), Some((first, _))) = (self.iter_rev().next(), self.iter().next())
        else {
            return false;
        };
        range.above_min(last) && range.below_max(first)
    }

    /// The rank of the first element within a lexicographic range, found as Redis finds it
    /// (a scan in the listpack encoding, a skiplist descent otherwise), so that sets whose
    /// scores differ answer as Redis does too.
    pub fn lex_first(&self, range: &LexRange) -> Option<usize> {
        if !self.may_hold_lex(range) {
            return None;
        }
        let first = if self.is_listpack() {
            self.iter()
                .position(|(member, _)| range.above_min(member))?
        } else {
            self.count_while(|_, member| !range.above_min(member))
        };
        let (member, _) = self.get(first)?;
        range.below_max(member).then_some(first)
    }

    /// The rank of the last element within a lexicographic range (see [`Self::lex_first`]).
    pub fn lex_last(&self, range: &LexRange) -> Option<usize> {
        if !self.may_hold_lex(range) {
            return None;
        }
        let last = if self.is_listpack() {
            let from_end = self
                .iter_rev()
                .position(|(member, _)| range.below_max(member))?;
            self.len() - 1 - from_end
        } else {
            self.count_while(|_, member| range.below_max(member))
                .checked_sub(1)?
        };
        let (member, _) = self.get(last)?;
        range.above_min(member).then_some(last)
    }

    /// ZLEXCOUNT's answer, counted as Redis does: by walking from the first element in range
    /// in the listpack encoding, from the ranks of the first and last ones otherwise.
    pub fn lex_count(&self, range: &LexRange) -> usize {
        let Some(first) = self.lex_first(range) else {
            return 0;
        };
        if self.is_listpack() {
            return self.lex_walk(first, range);
        }
        match self.lex_last(range) {
            Some(last) => (last + 1).saturating_sub(first),
            None => self.len() - first,
        }
    }

    /// The ranks ZREMRANGEBYLEX removes: from the first element in range, on while members
    /// stay below the upper end.
    pub fn lex_ranks(&self, range: &LexRange) -> Option<(usize, usize)> {
        let first = self.lex_first(range)?;
        let count = self.lex_walk(first, range);
        (count > 0).then(|| (first, first + count - 1))
    }

    /// How many elements from rank `first` on stay below the range's upper end.
    fn lex_walk(&self, first: usize, range: &LexRange) -> usize {
        self.iter_from(first, false)
            .take_while(|(member, _)| range.below_max(member))
            .count()
    }

    /// The element at `position`, for random picks: the rank in a listpack, the place among
    /// the nodes in a skiplist (`None` for a hole).
    pub fn get_index(&self, position: usize) -> Option<(&[u8], f64)> {
        match &self.0 {
            Repr::Listpack(_) => self.get(position),
            Repr::Skiplist(large) => large
                .order
                .at(position)
                .map(|node| large.list.get(node.get())),
        }
    }

    /// A random element.
    pub fn random(&self, rng: &mut Rng) -> Option<(&[u8], f64)> {
        let position = match &self.0 {
            Repr::Listpack(_) => (!self.is_empty()).then(|| rng.below(self.len()))?,
            Repr::Skiplist(large) => large.order.random(rng)?,
        };
        self.get_index(position)
    }

    /// The positions of up to `count` distinct random elements.
    pub fn distinct_positions(&self, count: usize, rng: &mut Rng) -> Vec<usize> {
        match &self.0 {
            Repr::Listpack(_) => distinct_positions(self.len(), self.len(), count, rng, |_| true),
            Repr::Skiplist(large) => large.order.distinct_random(count, rng),
        }
    }

    /// One ZSCAN step. A listpack set is returned whole with cursor 0, as Redis does;
    /// otherwise up to `count` positions are visited from `cursor` towards the start
    /// (cursor 0 starts at the end), so an element present for the whole scan is returned
    /// once even if others are added or removed meanwhile. Returns the next cursor (0 when
    /// done).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        let Repr::Skiplist(large) = &self.0 else {
            for (member, score) in self.iter() {
                visit(member, score);
            }
            return 0;
        };
        large.order.scan(cursor, count, |node| {
            let (member, score) = large.list.get(node.get());
            visit(member, score);
        })
    }

    /// A score as ZSCAN shows it: as text the way a listpack stores it, or `%.17g` for a
    /// skiplist, as in Redis 7.0.
    pub fn scan_text(&self, score: f64) -> String {
        if self.is_listpack() {
            score::format_listpack(score)
        } else {
            score::format_score(score)
        }
    }

    /// Converts a set built in the skiplist encoding back to a listpack when Redis would
    /// (ZUNIONSTORE and friends): few enough elements, none too long.
    pub fn shrink_encoding(&mut self, limits: &EncodingLimits) {
        let Repr::Skiplist(large) = &self.0 else {
            return;
        };
        if large.list.len() > limits.zset_entries
            || self
                .iter()
                .any(|(member, _)| member.len() > limits.zset_value)
        {
            return;
        }
        let mut pairs = Listpack::default();
        for (member, score) in self.iter() {
            small::push(&mut pairs, member, score);
        }
        self.0 = Repr::Listpack(pairs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EncodingLimits;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;
    const LISTPACK_MAX_ENTRIES: usize = LIMITS.zset_entries;

    #[test]
    fn tracked_member_heap_matches_a_recount() {
        let mut z = SortedSet::new();
        for i in 0..600 {
            z.insert(
                format!("member-{i:0>40}").as_bytes(),
                f64::from(i % 17),
                &LIMITS,
            );
            if i % 3 == 0 {
                z.remove(format!("member-{:0>40}", i / 2).as_bytes());
                z.pop(i % 2 == 0);
            }
        }
        z.remove_ranks(10, 50);
        let Repr::Skiplist(large) = &z.0 else {
            panic!("long members make a skiplist")
        };
        let recount: usize = large
            .order
            .iter()
            .map(|(_, node)| large::member_heap(large.list.get(node.get()).0))
            .sum();
        assert!(recount > 0);
        assert_eq!(large.member_heap, recount);
        assert_eq!(large.table.len(), large.list.len());
        for (position, node) in large.order.iter() {
            assert_eq!(large.list.position(node.get()) as usize, position);
        }
    }

    fn set(elements: &[(&str, f64)]) -> SortedSet {
        let mut z = SortedSet::new();
        for (member, score) in elements {
            z.insert(member.as_bytes(), *score, &LIMITS);
        }
        z
    }

    fn members(z: &SortedSet) -> Vec<String> {
        z.iter()
            .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect()
    }

    #[test]
    fn orders_by_score_then_member() {
        let mut z = set(&[("b", 1.0), ("a", 1.0), ("c", 0.5), ("d", f64::INFINITY)]);
        assert_eq!(members(&z), ["c", "a", "b", "d"]);
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.score(b"d"), Some(f64::INFINITY));
        assert_eq!(z.insert(b"d", -1.0, &LIMITS), Some(f64::INFINITY));
        assert_eq!(members(&z), ["d", "c", "a", "b"]);
        assert_eq!(z.remove(b"a"), Some(1.0));
        assert_eq!(z.remove(b"a"), None);
        assert_eq!(z.rank(b"b"), Some(2));
        assert_eq!(z.pop(true).map(|(m, _)| m), Some(Bytes::from_static(b"b")));
        assert_eq!(z.pop(false).map(|(m, _)| m), Some(Bytes::from_static(b"d")));
        assert_eq!(z.len(), 1);
    }

    #[test]
    fn encoding_converts_once_and_listpack_drops_negative_zero() {
        let mut z = SortedSet::new();
        z.insert(b"a", -0.0, &LIMITS);
        assert!(z.score(b"a").unwrap().is_sign_positive());
        assert_eq!(z.encoding(), "listpack");
        z.insert(&[b'x'; 65], -0.0, &LIMITS);
        assert_eq!(z.encoding(), "skiplist");
        assert!(z.score(&[b'x'; 65]).unwrap().is_sign_negative());
        z.remove(&[b'x'; 65]);
        assert_eq!(z.encoding(), "skiplist");
        let mut big = SortedSet::new();
        for i in 0..=LISTPACK_MAX_ENTRIES {
            big.insert(format!("m{i}").as_bytes(), i as f64, &LIMITS);
        }
        assert_eq!(big.encoding(), "skiplist");
        let mut built = SortedSet::new_skiplist();
        built.insert(b"z", -0.0, &LIMITS);
        built.shrink_encoding(&LIMITS);
        assert_eq!(built.encoding(), "listpack");
        assert!(built.score(b"z").unwrap().is_sign_positive());
    }

    #[test]
    fn score_ranges_give_rank_bounds() {
        let z = set(&[("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)]);
        let range =
            |min: &str, max: &str| ScoreRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        assert_eq!(z.score_ranks(&range("2", "3")), Some((1, 2)));
        assert_eq!(z.score_ranks(&range("(2", "(4")), Some((2, 2)));
        assert_eq!(z.score_ranks(&range("-inf", "+inf")), Some((0, 3)));
        assert_eq!(z.score_ranks(&range("5", "+inf")), None);
        assert_eq!(z.score_ranks(&range("3", "2")), None);
        assert_eq!(z.score_ranks(&range("(2", "2")), None);
        assert_eq!(z.score_ranks(&range("(1", "(2")), None);
        assert!(ScoreRange::parse(b"x", b"1").is_none());
        assert!(ScoreRange::parse(b"(", b"(").is_some());
    }

    #[test]
    fn lex_ranges_follow_redis() {
        let z = set(&[("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0)]);
        let range = |min: &str, max: &str| LexRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        assert_eq!(z.lex_first(&range("-", "+")), Some(0));
        assert_eq!(z.lex_last(&range("-", "+")), Some(3));
        assert_eq!(z.lex_first(&range("(a", "[c")), Some(1));
        assert_eq!(z.lex_last(&range("(a", "[c")), Some(2));
        assert_eq!(z.lex_first(&range("[e", "+")), None);
        assert_eq!(z.lex_first(&range("+", "-")), None);
        assert_eq!(z.lex_first(&range("[b", "(b")), None);
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"", b"+").is_none());
        assert!(LexRange::parse(b"+x", b"+").is_none());
    }

    #[test]
    fn removes_rank_ranges_from_both_structures() {
        let mut z = SortedSet::new();
        for i in 0..300 {
            z.insert(format!("m{i:03}").as_bytes(), i as f64, &LIMITS);
        }
        assert_eq!(z.remove_ranks(10, 19), 10);
        assert_eq!(z.len(), 290);
        assert_eq!(z.score(b"m010"), None);
        assert_eq!(z.rank(b"m020"), Some(10));
        assert_eq!(z.remove_ranks(280, 1000), 10);
        assert_eq!(z.len(), 280);
    }

    #[test]
    fn matches_a_sorted_vector_under_random_operations() {
        let mut rng = Rng::new(42);
        let mut z = SortedSet::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        for step in 0..20_000 {
            let member = format!("m{}", rng.below(300)).into_bytes();
            let score = (rng.below(50) as f64) / 4.0;
            match rng.below(10) {
                0..=4 => {
                    let old = model
                        .iter()
                        .position(|e| e.1 == member)
                        .map(|i| model.remove(i).0);
                    assert_eq!(z.insert(&member, score, &LIMITS), old);
                    model.push((score, member));
                    model.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                }
                5..=6 => {
                    let old = model
                        .iter()
                        .position(|e| e.1 == member)
                        .map(|i| model.remove(i).0);
                    assert_eq!(z.remove(&member), old);
                }
                7 => {
                    let (a, b) = (rng.below(320), rng.below(320));
                    let (start, end) = (a.min(b), a.max(b));
                    let expected = model.len().min(end + 1).saturating_sub(start);
                    if start < model.len() {
                        model.drain(start..=end.min(model.len() - 1));
                    }
                    assert_eq!(z.remove_ranks(start, end), expected);
                }
                _ => {
                    let min = (rng.below(50) as f64) / 4.0;
                    let range = ScoreRange {
                        min,
                        max: min + 3.0,
                        min_excluded: step % 2 == 0,
                        max_excluded: step % 3 == 0,
                    };
                    let inside: Vec<usize> = (0..model.len())
                        .filter(|&i| range.above_min(model[i].0) && range.below_max(model[i].0))
                        .collect();
                    let expected = inside.first().map(|&f| (f, *inside.last().unwrap_or(&f)));
                    assert_eq!(z.score_ranks(&range), expected);
                }
            }
            assert_eq!(z.len(), model.len());
        }
        for (rank, (score, member)) in model.iter().enumerate() {
            assert_eq!(z.rank(member), Some(rank));
            assert_eq!(
                z.get(rank).map(|(m, s)| (s, m.to_vec())),
                Some((*score, member.clone()))
            );
        }
        let listed: Vec<(f64, Vec<u8>)> = z.iter().map(|(m, s)| (s, m.to_vec())).collect();
        assert_eq!(listed, model);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, i8),
        Remove(u8),
        RemoveRanks(usize, usize),
        Pop(bool),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0u8..20, -8i8..8).prop_map(|(m, s)| Op::Insert(m, s)),
            2 => (0u8..20).prop_map(Op::Remove),
            1 => (0usize..12, 0usize..12).prop_map(|(a, b)| Op::RemoveRanks(a.min(b), a.max(b))),
            1 => proptest::bool::ANY.prop_map(Op::Pop),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Every answer as a sorted vector gives it, in both encodings and across the
        /// conversion, which happens exactly at the limits.
        #[test]
        fn behaves_like_a_sorted_vector(
            ops in proptest::collection::vec(op(), 1..100),
            entries in 1usize..16,
            value_limit in 2usize..4,
        ) {
            let limits = EncodingLimits { zset_entries: entries, zset_value: value_limit, ..LIMITS };
            let mut z = SortedSet::new();
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            let mut listpack = true;
            let order = |a: &(f64, Vec<u8>), b: &(f64, Vec<u8>)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
            for op in ops {
                match op {
                    Op::Insert(m, s) => {
                        // Members m0..m19: the longer ones pass a limit of 2.
                        let member = format!("m{m}").into_bytes();
                        let score = if s == 7 { f64::INFINITY } else { f64::from(s) / 4.0 };
                        let at = model.iter().position(|(_, name)| *name == member);
                        if at.is_none() && (model.len() >= entries || member.len() > value_limit) {
                            listpack = false;
                        }
                        let old = at.map(|at| model.remove(at).0);
                        proptest::prop_assert_eq!(z.insert(&member, score, &limits), old);
                        model.push((score, member));
                        model.sort_by(order);
                    }
                    Op::Remove(m) => {
                        let member = format!("m{m}").into_bytes();
                        let at = model.iter().position(|(_, name)| *name == member);
                        let old = at.map(|at| model.remove(at).0);
                        proptest::prop_assert_eq!(z.remove(&member), old);
                    }
                    Op::RemoveRanks(start, end) => {
                        let expected = model.len().min(end + 1).saturating_sub(start);
                        if start < model.len() {
                            model.drain(start..=end.min(model.len() - 1));
                        }
                        proptest::prop_assert_eq!(z.remove_ranks(start, end), expected);
                    }
                    Op::Pop(highest) => {
                        let expected = if highest { model.pop() } else if model.is_empty() { None } else { Some(model.remove(0)) };
                        let popped = z.pop(highest).map(|(m, s)| (s, m.to_vec()));
                        proptest::prop_assert_eq!(popped, expected);
                    }
                }
                proptest::prop_assert_eq!(z.encoding(), if listpack { "listpack" } else { "skiplist" });
                proptest::prop_assert_eq!(z.len(), model.len());
                let listed: Vec<(f64, Vec<u8>)> = z.iter().map(|(m, s)| (s, m.to_vec())).collect();
                proptest::prop_assert_eq!(&listed, &model);
                let mut reversed: Vec<(f64, Vec<u8>)> = z.iter_rev().map(|(m, s)| (s, m.to_vec())).collect();
                reversed.reverse();
                proptest::prop_assert_eq!(&reversed, &model);
                for (rank, (score, member)) in model.iter().enumerate() {
                    proptest::prop_assert_eq!(z.rank(member), Some(rank));
                    proptest::prop_assert_eq!(z.score(member), Some(*score));
                    proptest::prop_assert_eq!(z.get(rank).map(|(m, s)| (s, m.to_vec())), Some((*score, member.clone())));
                    let from: Vec<_> = z.iter_from(rank, true).map(|(m, _)| m.to_vec()).collect();
                    let want: Vec<_> = model[..=rank].iter().rev().map(|(_, m)| m.clone()).collect();
                    proptest::prop_assert_eq!(from, want);
                }
                if let Repr::Skiplist(large) = &z.0 {
                    proptest::prop_assert_eq!(large.table.len(), model.len());
                    proptest::prop_assert_eq!(large.order.len(), model.len());
                    for (position, node) in large.order.iter() {
                        let node = node.get();
                        proptest::prop_assert_eq!(large.list.position(node) as usize, position);
                        proptest::prop_assert_eq!(large.find(large.list.get(node).0), Some(node));
                    }
                }
                let range = ScoreRange { min: -0.5, max: 1.0, min_excluded: false, max_excluded: true };
                let inside: Vec<usize> = (0..model.len())
                    .filter(|&i| range.above_min(model[i].0) && range.below_max(model[i].0))
                    .collect();
                let expected = inside.first().map(|&f| (f, *inside.last().unwrap_or(&f)));
                proptest::prop_assert_eq!(z.score_ranks(&range), expected);
            }
        }
    }

    #[test]
    fn scan_visits_everything_once_despite_removals() {
        let mut z = SortedSet::new();
        for i in 0..500 {
            z.insert(format!("m{i}").as_bytes(), i as f64, &LIMITS);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = z.scan(cursor, 10, |m, _| {
                assert!(seen.insert(m.to_vec()), "returned twice");
            });
            step += 1;
            z.remove(format!("m{}", step * 3).as_bytes());
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            let removed = i % 3 == 0 && i / 3 >= 1 && i / 3 <= step;
            if !removed {
                assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
            }
        }
    }
}
