//! A list: Redis's LPUSH/RPUSH family. Reports OBJECT ENCODING `quicklist`, as Redis 7.0 does.
//!
//! A ring buffer of elements: pushes and pops at both ends are O(1), and so are LINDEX, LSET
//! and the start of an LRANGE (Redis's quicklist walks its nodes for those).

use std::collections::VecDeque;

use crate::compact::CompactBytes;

/// Which end of a list: LEFT (the head) or RIGHT (the tail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head: index 0, where LPUSH and LPOP work.
    Left,
    /// The tail: index -1, where RPUSH and RPOP work.
    Right,
}

/// A list: Redis's LPUSH/RPUSH family. Reports OBJECT ENCODING `quicklist`, as Redis 7.0 does.
#[derive(Debug, Clone, Default)]
pub struct List {
    items: VecDeque<CompactBytes>,
    /// Heap bytes owned by the elements themselves, kept up to date by every change so that
    /// memory accounting does not walk the list.
    element_heap: usize,
}

/// Turns Redis's inclusive `start..=end` (negative counts from the tail) into positions
/// within a list of `len` elements, clamped as LRANGE and LTRIM do; `None` when the range
/// holds nothing.
pub fn clamp_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

impl List {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<CompactBytes>() + self.element_heap
    }

    /// The elements, head first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &CompactBytes> + ExactSizeIterator {
        self.items.iter()
    }

    /// Adds `value` at `end`.
    pub fn push(&mut self, value: &[u8], end: End) {
        self.push_element(CompactBytes::new(value), end);
    }

    /// Adds an element already owned (one moved from another list) at `end`.
    pub fn push_element(&mut self, element: CompactBytes, end: End) {
        self.element_heap += element.heap_size();
        match end {
            End::Left => self.items.push_front(element),
            End::Right => self.items.push_back(element),
        }
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        let element = match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }?;
        self.element_heap -= element.heap_size();
        Some(element)
    }

    /// Removes up to `count` elements from `end`, returned in the order they were popped
    /// (so `Right` gives the last element first, as RPOP with a count replies).
    pub fn pop_many(&mut self, end: End, count: usize) -> Vec<CompactBytes> {
        let count = count.min(self.len());
        (0..count).filter_map(|_| self.pop(end)).collect()
    }

    /// Moves the element at `from` to `to` (LMOVE with the same source and destination).
    /// Returns the moved element, or `None` when the list is empty.
    pub fn rotate(&mut self, from: End, to: End) -> Option<&CompactBytes> {
        let element = self.pop(from)?;
        self.push_element(element, to);
        match to {
            End::Left => self.items.front(),
            End::Right => self.items.back(),
        }
    }

    /// Position of Redis index `index` (negative counts from the tail), if within the list.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// The element at Redis index `index` (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<&CompactBytes> {
        self.items.get(self.position(index)?)
    }

    /// Replaces the element at Redis index `index`; false if the index is out of range.
    pub fn set(&mut self, index: i64, value: &[u8]) -> bool {
        let Some(position) = self.position(index) else {
            return false;
        };
        let element = CompactBytes::new(value);
        self.element_heap += element.heap_size();
        let old = std::mem::replace(&mut self.items[position], element);
        self.element_heap -= old.heap_size();
        true
    }

    /// The elements at positions `start..=end` (as given by [`clamp_range`]), head first.
    pub fn range(
        &self,
        start: usize,
        end: usize,
    ) -> impl DoubleEndedIterator<Item = &CompactBytes> + ExactSizeIterator {
        self.items.range(start..=end)
    }

    /// Keeps only Redis's range `start..=end` (LTRIM); everything goes when the range is
    /// empty. Returns the number of elements removed.
    pub fn trim(&mut self, start: i64, end: i64) -> usize {
        let len = self.len();
        let Some((keep_from, keep_to)) = clamp_range(len, start, end) else {
            self.items.clear();
            self.element_heap = 0;
            return len;
        };
        let removed_tail: usize = self.items.drain(keep_to + 1..).map(|e| e.heap_size()).sum();
        let removed_head: usize = self.items.drain(..keep_from).map(|e| e.heap_size()).sum();
        self.element_heap -= removed_tail + removed_head;
        len - self.len()
    }

    /// Removes elements equal to `element` (LREM): the first `count` from the head when
    /// `count` is positive, the last `-count` from the tail when negative, all when 0.
    /// Returns how many were removed.
    pub fn remove(&mut self, element: &[u8], count: i64) -> usize {
        let matching = self.iter().filter(|e| e[..] == *element).count();
        let limit = match count {
            0 => matching,
            // `unsigned_abs` keeps i64::MIN meaningful: more than any list holds.
            _ => (count.unsigned_abs().min(usize::MAX as u64) as usize).min(matching),
        };
        // Scanning from the head, the matches to remove are the first `limit` ones, or when
        // removing from the tail, the ones after the first `matching - limit`.
        let skip = if count < 0 { matching - limit } else { 0 };
        let mut seen = 0;
        let mut freed = 0;
        self.items.retain(|e| {
            if e[..] != *element {
                return true;
            }
            seen += 1;
            let remove = seen > skip && seen <= skip + limit;
            if remove {
                freed += e.heap_size();
            }
            !remove
        });
        self.element_heap -= freed;
        limit
    }

    /// Inserts `value` before (or after) the first element equal to `pivot`, scanning from
    /// the head (LINSERT). False if there is no such element.
    pub fn insert(&mut self, pivot: &[u8], value: &[u8], after: bool) -> bool {
        let Some(position) = self.items.iter().position(|e| e[..] == *pivot) else {
            return false;
        };
        let element = CompactBytes::new(value);
        self.element_heap += element.heap_size();
        self.items.insert(position + usize::from(after), element);
        true
    }

    /// LPOS: the indexes of elements equal to `element`, exactly as Redis 7.0 computes them.
    ///
    /// A positive `rank` scans from the head and skips the first `rank - 1` matches; a
    /// negative one scans from the tail. `count` is `None` without the COUNT option (at most
    /// one index), `Some(0)` for every match, else the most indexes to return. `maxlen`
    /// limits how many elements are compared (0: no limit).
    ///
    /// Redis negates the rank and counts matches in C `long`s; `rank` i64::MIN stays
    /// negative when negated, and then every match counts and COUNT never stops the scan.
    /// Wrapping arithmetic reproduces that.
    pub fn positions(
        &self,
        element: &[u8],
        rank: i64,
        count: Option<i64>,
        maxlen: i64,
    ) -> Vec<usize> {
        let from_tail = rank < 0;
        let rank = if from_tail { rank.wrapping_neg() } else { rank };
        let limit = if maxlen == 0 {
            self.len()
        } else {
            (maxlen.unsigned_abs().min(usize::MAX as u64) as usize).min(self.len())
        };
        let len = self.len();
        let index_of = |scanned: usize| {
            if from_tail {
                len - scanned - 1
            } else {
                scanned
            }
        };
        let mut found = Vec::new();
        let mut matches: i64 = 0;
        for scanned in 0..limit {
            let position = index_of(scanned);
            if self.items[position][..] != *element {
                continue;
            }
            matches += 1;
            if matches < rank {
                continue;
            }
            found.push(position);
            let done = match count {
                None => true,
                Some(0) => false,
                Some(count) => matches.wrapping_sub(rank).wrapping_add(1) >= count,
            };
            if done {
                break;
            }
        }
        found
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(iter: I) -> Self {
        let mut list = List::default();
        for value in iter {
            list.push(value, End::Right);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items.iter().map(|s| s.as_bytes()).collect()
    }

    fn contents(list: &List) -> Vec<String> {
        list.iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect()
    }

    fn heap_of_elements(list: &List) -> usize {
        list.iter().map(|e| e.heap_size()).sum()
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let mut l = List::default();
        l.push(b"b", End::Left);
        l.push(b"a", End::Left);
        l.push(b"c", End::Right);
        assert_eq!(contents(&l), ["a", "b", "c"]);
        assert_eq!(l.pop(End::Right).as_deref(), Some(&b"c"[..]));
        assert_eq!(l.pop(End::Left).as_deref(), Some(&b"a"[..]));
        assert_eq!(l.len(), 1);
        assert_eq!(l.pop(End::Left).as_deref(), Some(&b"b"[..]));
        assert!(l.pop(End::Left).is_none());
        assert!(l.is_empty());
        assert_eq!(l.encoding(), "quicklist");
    }

    #[test]
    fn pop_many_replies_in_pop_order() {
        let mut l = list(&["a", "b", "c", "d"]);
        let right: Vec<_> = l
            .pop_many(End::Right, 3)
            .iter()
            .map(|e| e.to_vec())
            .collect();
        assert_eq!(right, [b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]);
        assert_eq!(l.pop_many(End::Left, 10).len(), 1);
        assert!(l.is_empty());
    }

    #[test]
    fn indexes_count_from_both_ends() {
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(l.get(0).map(|e| e.to_vec()), Some(b"a".to_vec()));
        assert_eq!(l.get(-1).map(|e| e.to_vec()), Some(b"c".to_vec()));
        assert_eq!(l.get(-3).map(|e| e.to_vec()), Some(b"a".to_vec()));
        assert!(l.get(3).is_none());
        assert!(l.get(-4).is_none());
        assert!(l.get(i64::MIN).is_none());
        assert!(l.get(i64::MAX).is_none());
        assert!(l.set(-2, b"B"));
        assert!(!l.set(3, b"x"));
        assert_eq!(contents(&l), ["a", "B", "c"]);
    }

    #[test]
    fn ranges_clamp_like_lrange() {
        assert_eq!(clamp_range(5, 0, -1), Some((0, 4)));
        assert_eq!(clamp_range(5, -100, 100), Some((0, 4)));
        assert_eq!(clamp_range(5, 2, 1), None);
        assert_eq!(clamp_range(5, 5, 10), None);
        assert_eq!(clamp_range(5, -2, -1), Some((3, 4)));
        assert_eq!(clamp_range(5, i64::MIN, i64::MAX), Some((0, 4)));
        assert_eq!(clamp_range(5, 0, i64::MIN), None);
        assert_eq!(clamp_range(0, 0, -1), None);
        let l = list(&["a", "b", "c", "d"]);
        let middle: Vec<_> = l.range(1, 2).map(|e| e.to_vec()).collect();
        assert_eq!(middle, [b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn trim_keeps_the_range_or_empties() {
        let mut l = list(&["a", "b", "c", "d", "e"]);
        assert_eq!(l.trim(1, -2), 2);
        assert_eq!(contents(&l), ["b", "c", "d"]);
        assert_eq!(l.trim(0, 100), 0);
        assert_eq!(l.trim(2, 1), 3);
        assert!(l.is_empty());
    }

    #[test]
    fn remove_from_head_tail_or_everywhere() {
        let mut l = list(&["x", "a", "x", "b", "x", "c", "x"]);
        assert_eq!(l.remove(b"x", 2), 2);
        assert_eq!(contents(&l), ["a", "b", "x", "c", "x"]);
        let mut l = list(&["x", "a", "x", "b", "x", "c", "x"]);
        assert_eq!(l.remove(b"x", -3), 3);
        assert_eq!(contents(&l), ["x", "a", "b", "c"]);
        let mut l = list(&["x", "a", "x"]);
        assert_eq!(l.remove(b"x", 0), 2);
        assert_eq!(contents(&l), ["a"]);
        let mut l = list(&["x", "a", "x"]);
        assert_eq!(l.remove(b"x", i64::MIN), 2);
        assert_eq!(l.remove(b"zz", 1), 0);
        assert_eq!(contents(&l), ["a"]);
    }

    #[test]
    fn insert_around_the_first_pivot() {
        let mut l = list(&["a", "p", "b", "p"]);
        assert!(l.insert(b"p", b"before", false));
        assert!(l.insert(b"p", b"after", true));
        assert!(!l.insert(b"missing", b"x", true));
        assert_eq!(contents(&l), ["a", "before", "p", "after", "b", "p"]);
    }

    #[test]
    fn rotate_moves_between_ends() {
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(
            l.rotate(End::Left, End::Right).map(|e| e.to_vec()),
            Some(b"a".to_vec())
        );
        assert_eq!(contents(&l), ["b", "c", "a"]);
        assert_eq!(
            l.rotate(End::Right, End::Left).map(|e| e.to_vec()),
            Some(b"a".to_vec())
        );
        assert_eq!(contents(&l), ["a", "b", "c"]);
        assert!(List::default().rotate(End::Left, End::Left).is_none());
    }

    #[test]
    fn positions_follow_lpos() {
        let l = list(&["a", "b", "c", "a", "b", "c", "a"]);
        assert_eq!(l.positions(b"a", 1, None, 0), [0]);
        assert_eq!(l.positions(b"a", 2, None, 0), [3]);
        assert_eq!(l.positions(b"a", -1, None, 0), [6]);
        assert_eq!(l.positions(b"a", 1, Some(0), 0), [0, 3, 6]);
        assert_eq!(l.positions(b"a", -1, Some(0), 0), [6, 3, 0]);
        assert_eq!(l.positions(b"a", -2, Some(2), 0), [3, 0]);
        assert_eq!(l.positions(b"a", 1, Some(0), 3), [0]);
        assert_eq!(l.positions(b"a", 5, None, 0), Vec::<usize>::new());
        assert_eq!(l.positions(b"zz", 1, Some(0), 0), Vec::<usize>::new());
        assert_eq!(l.positions(b"a", i64::MAX, Some(0), 0), Vec::<usize>::new());
        // Redis's overflow: rank i64::MIN matches from the tail and ignores COUNT.
        assert_eq!(l.positions(b"a", i64::MIN, None, 0), [6]);
        assert_eq!(l.positions(b"a", i64::MIN, Some(1), 0), [6, 3, 0]);
    }

    #[test]
    fn heap_accounting_follows_every_change() {
        let long = [b'x'; 100];
        let mut l = List::default();
        l.push(&long, End::Right);
        l.push(b"short", End::Left);
        l.push(&long, End::Left);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.set(1, &long);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.insert(b"short", &long, true);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.remove(&long, -1);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.trim(1, -1);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.rotate(End::Left, End::Right);
        l.pop(End::Right);
        assert_eq!(l.element_heap, heap_of_elements(&l));
        l.pop_many(End::Left, 10);
        assert_eq!(l.element_heap, 0);
        assert!(l.heap_size() >= l.element_heap);
    }
}
