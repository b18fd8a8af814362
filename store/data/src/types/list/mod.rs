//! A list: Redis's LPUSH/RPUSH family, as a quicklist (OBJECT ENCODING `quicklist`, as in
//! Redis 7.0).
//!
//! Elements live in nodes (`node.rs`): flat buffers of up to `list-max-listpack-size`
//! (8 KiB by default, or so many elements when positive), each readable from both ends, so
//! pushes and pops at either end touch one node. A short list is one node, held without any
//! other allocation; a longer one keeps its nodes in a vector. Indexes walk node counts from
//! the nearer end, then the node, as Redis's quicklist does.

mod node;

use node::Node;

pub use super::clamp_range;
use super::EncodingLimits;
use crate::compact::CompactBytes;

/// Which end of a list: LEFT (the head) or RIGHT (the tail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head: index 0, where LPUSH and LPOP work.
    Left,
    /// The tail: index -1, where RPUSH and RPOP work.
    Right,
}

/// A list: Redis's LPUSH/RPUSH family.
#[derive(Clone, Default)]
pub struct List(Nodes);

#[derive(Clone)]
enum Nodes {
    /// One node (or none: an empty one).
    One(Node),
    /// Several.
    Many(Box<Many>),
}

impl Default for Nodes {
    fn default() -> Nodes {
        Nodes::One(Node::default())
    }
}

#[derive(Clone, Default)]
struct Many {
    nodes: Vec<Node>,
    /// Elements in all nodes.
    len: usize,
    /// Heap bytes of all nodes.
    heap: usize,
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Largest node, in bytes, for a negative `list-max-listpack-size` (-1 to -5), and for a
/// positive one (Redis's `SIZE_SAFETY_LIMIT`).
const NODE_BYTES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
const SAFETY_BYTES: usize = 8192;

/// Whether a node of `bytes` and `count` elements may take one more of `added` bytes under
/// `list-max-listpack-size` `fill` (Redis's `_quicklistNodeAllowInsert`).
pub(crate) fn node_takes(fill: i64, bytes: usize, count: usize, added: usize) -> bool {
    let new_bytes = bytes + added;
    if fill >= 0 {
        (count as u64) < fill.max(1) as u64 && new_bytes <= SAFETY_BYTES
    } else {
        let level = (fill.unsigned_abs() as usize).clamp(1, NODE_BYTES.len()) - 1;
        new_bytes <= NODE_BYTES[level]
    }
}

impl List {
    /// The nodes, head first (none for an empty list).
    fn nodes(&self) -> &[Node] {
        match &self.0 {
            Nodes::One(node) if node.count() == 0 => &[],
            Nodes::One(node) => std::slice::from_ref(node),
            Nodes::Many(many) => &many.nodes,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.0 {
            Nodes::One(node) => node.count(),
            Nodes::Many(many) => many.len,
        }
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of nodes and the bytes their buffers hold (DEBUG OBJECT's `ql_nodes` and
    /// `ql_uncompressed_size`).
    pub fn node_figures(&self) -> (usize, usize) {
        let nodes = self.nodes();
        (nodes.len(), nodes.iter().map(Node::bytes).sum())
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Nodes::One(node) => node.heap_size(),
            Nodes::Many(many) => {
                crate::alloc::allocation(std::mem::size_of::<Many>())
                    + crate::alloc::allocation(many.nodes.capacity() * std::mem::size_of::<Node>())
                    + many.heap
            }
        }
    }

    /// Runs `change` on node `index`, keeping the counts and the heap up to date; drops the
    /// node if it empties.
    fn change<R>(&mut self, index: usize, change: impl FnOnce(&mut Node) -> R) -> R {
        match &mut self.0 {
            Nodes::One(node) => change(node),
            Nodes::Many(many) => {
                let node = &mut many.nodes[index];
                let (count, heap) = (node.count(), node.heap_size());
                let result = change(node);
                many.len = many.len + node.count() - count;
                many.heap = many.heap + node.heap_size() - heap;
                if node.count() == 0 {
                    many.nodes.remove(index);
                }
                result
            }
        }
    }

    /// Adds `node` as node `index`, turning a one-node list into a vector of nodes.
    fn add_node(&mut self, index: usize, node: Node) {
        if let Nodes::One(only) = &mut self.0 {
            let only = std::mem::take(only);
            let mut many = Many::default();
            if only.count() > 0 {
                many.len = only.count();
                many.heap = only.heap_size();
                many.nodes.push(only);
            }
            self.0 = Nodes::Many(Box::new(many));
        }
        let Nodes::Many(many) = &mut self.0 else {
            unreachable!("made just above")
        };
        many.len += node.count();
        many.heap += node.heap_size();
        many.nodes.insert(index.min(many.nodes.len()), node);
    }

    /// The node holding element `index` and the element's position in it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        let nodes = self.nodes();
        if index >= self.len() {
            return None;
        }
        if index < self.len() / 2 {
            let mut skipped = 0;
            for (n, node) in nodes.iter().enumerate() {
                if index < skipped + node.count() {
                    return Some((n, index - skipped));
                }
                skipped += node.count();
            }
        } else {
            let mut end = self.len();
            for (n, node) in nodes.iter().enumerate().rev() {
                let start = end - node.count();
                if index >= start {
                    return Some((n, index - start));
                }
                end = start;
            }
        }
        None
    }

    /// The elements, head first.
    pub fn iter(&self) -> Iter<'_> {
        let nodes = self.nodes();
        Iter {
            nodes,
            front: (0, nodes.first().map_or(0, Node::start)),
            front_buffer: nodes.first().map_or(&[], Node::buffer),
            back: Back::At(nodes.len(), 0),
            left: self.len(),
        }
    }

    /// Adds `value` at `end`, in a new node when the end node is full under `limits`.
    pub fn push(&mut self, value: &[u8], end: End, limits: &EncodingLimits) {
        let added = node::encoded_len(value);
        let nodes = self.nodes();
        let index = match end {
            End::Left => 0,
            End::Right => nodes.len().saturating_sub(1),
        };
        let fits = match nodes.get(index) {
            Some(node) => node_takes(limits.list_fill, node.bytes(), node.count(), added),
            None => true,
        };
        if !fits || (nodes.is_empty() && matches!(self.0, Nodes::Many(_))) {
            let at = if end == End::Left { 0 } else { nodes.len() };
            if !nodes.is_empty() {
                // The full end node stops growing: it gives back its spare room.
                self.change(index, Node::seal);
            }
            let mut node = Node::default();
            node.insert(node.start(), value);
            self.add_node(at, node);
            return;
        }
        self.change(index, |node| {
            let at = match end {
                End::Left => node.start(),
                End::Right => node.end(),
            };
            node.insert(at, value);
        });
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<CompactBytes> {
        if self.is_empty() {
            return None;
        }
        let nodes = self.nodes();
        let index = match end {
            End::Left => 0,
            End::Right => nodes.len().checked_sub(1)?,
        };
        self.change(index, |node| {
            let (at, element, next) = match end {
                End::Left => {
                    let (element, next) = node.at(node.start());
                    (node.start(), element, next)
                }
                End::Right => {
                    let (at, element) = node.before(node.end());
                    (at, element, node.end())
                }
            };
            let element = CompactBytes::new(element);
            node.remove(at, next, 1);
            Some(element)
        })
    }

    /// Removes up to `count` elements from `end`, in the order they were popped.
    pub fn pop_many(&mut self, end: End, count: usize) -> Vec<CompactBytes> {
        let count = count.min(self.len());
        (0..count).filter_map(|_| self.pop(end)).collect()
    }

    /// Moves the element at `from` to `to` (RPOPLPUSH/LMOVE on one list); returns it.
    pub fn rotate(&mut self, from: End, to: End, limits: &EncodingLimits) -> Option<&[u8]> {
        let element = self.pop(from)?;
        self.push(&element, to, limits);
        match to {
            End::Left => self.iter().next(),
            End::Right => self.iter().next_back(),
        }
    }

    /// The 0-based position of `index` (negative counts from the tail), if in range.
    fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let index = if index < 0 { len + index } else { index };
        (0..len).contains(&index).then_some(index as usize)
    }

    /// The element at `index` (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<&[u8]> {
        let (n, local) = self.locate(self.position(index)?)?;
        let node = &self.nodes()[n];
        Some(node.at(node.offset_of(local)).0)
    }

    /// Replaces the element at `index`; false if out of range.
    pub fn set(&mut self, index: i64, value: &[u8]) -> bool {
        let Some((n, local)) = self.position(index).and_then(|i| self.locate(i)) else {
            return false;
        };
        self.change(n, |node| node.replace(node.offset_of(local), value));
        true
    }

    /// Elements at positions `start..=end` (both within the list).
    pub fn range(&self, start: usize, end: usize) -> Iter<'_> {
        let mut iter = self.iter();
        let found = (start <= end && end < self.len()).then(|| self.locate(start));
        let Some(Some((first, first_local))) = found else {
            iter.left = 0;
            return iter;
        };
        let nodes = self.nodes();
        iter.front = (first, nodes[first].offset_of(first_local));
        iter.front_buffer = nodes[first].buffer();
        iter.back = Back::Before(end + 1);
        iter.left = end + 1 - start;
        iter
    }

    /// Removes `count` elements from position `start` on.
    fn remove_span(&mut self, start: usize, count: usize) {
        let mut left = count;
        while left > 0 {
            let Some((n, local)) = self.locate(start) else {
                return;
            };
            let node = &self.nodes()[n];
            let take = left.min(node.count() - local);
            self.change(n, |node| {
                let at = node.offset_of(local);
                let end = node.offset_of(local + take);
                node.remove(at, end, take);
            });
            left -= take;
        }
    }

    /// LTRIM: keeps positions `start..=end` (clamped); returns how many were removed.
    pub fn trim(&mut self, start: i64, end: i64) -> usize {
        let len = self.len();
        let Some((keep_from, keep_to)) = clamp_range(len, start, end) else {
            self.0 = Nodes::default();
            return len;
        };
        self.remove_span(keep_to + 1, len - keep_to - 1);
        self.remove_span(0, keep_from);
        len - self.len()
    }

    /// LREM: removes up to `count` elements equal to `element` from the head (`count` > 0),
    /// the tail (< 0) or everywhere (0); returns how many.
    pub fn remove(&mut self, element: &[u8], count: i64) -> usize {
        let matching: Vec<usize> = self
            .iter()
            .enumerate()
            .filter(|(_, e)| *e == element)
            .map(|(i, _)| i)
            .collect();
        let limit = match count {
            0 => matching.len(),
            _ => (count.unsigned_abs().min(usize::MAX as u64) as usize).min(matching.len()),
        };
        let chosen = if count < 0 {
            &matching[matching.len() - limit..]
        } else {
            &matching[..limit]
        };
        // One pass over the nodes, from the last (earlier positions stay where they are), each
        // node rewritten once without its chosen elements.
        let mut chosen = chosen.iter().rev().peekable();
        let mut end = self.len();
        for n in (0..self.nodes().len()).rev() {
            let start = end - self.nodes()[n].count();
            let mut locals = Vec::new();
            while let Some(&&position) = chosen.peek() {
                if position < start {
                    break;
                }
                locals.push(position - start);
                chosen.next();
            }
            if !locals.is_empty() {
                locals.reverse();
                self.change(n, |node| node.remove_positions(&locals));
            }
            end = start;
        }
        limit
    }

    /// LINSERT: adds `value` before (or `after`) the first `pivot`; false without one.
    pub fn insert(
        &mut self,
        pivot: &[u8],
        value: &[u8],
        after: bool,
        limits: &EncodingLimits,
    ) -> bool {
        let Some(position) = self.iter().position(|e| e == pivot) else {
            return false;
        };
        self.insert_at(position + usize::from(after), value, limits);
        true
    }

    /// Adds `value` so that it is at `position` (at most the length).
    fn insert_at(&mut self, position: usize, value: &[u8], limits: &EncodingLimits) {
        if position == 0 {
            return self.push(value, End::Left, limits);
        }
        if position >= self.len() {
            return self.push(value, End::Right, limits);
        }
        let Some((n, local)) = self.locate(position) else {
            return;
        };
        let node = &self.nodes()[n];
        if !node_takes(
            limits.list_fill,
            node.bytes(),
            node.count(),
            node::encoded_len(value),
        ) {
            // A full node splits where the element goes; it joins the front of the second.
            let tail = if local == 0 {
                None
            } else {
                Some(self.change(n, |node| node.split_off(local)))
            };
            let mut fresh = Node::default();
            fresh.insert(fresh.start(), value);
            let at = n + usize::from(tail.is_some());
            if let Some(tail) = tail {
                self.add_node(at, tail);
            }
            self.add_node(at, fresh);
            return;
        }
        self.change(n, |node| node.insert(node.offset_of(local), value));
    }

    /// LPOS: positions of `element`, from the `rank`-th match (negative: from the tail), at
    /// most `count` of them (0: all; `None`: one), looking at no more than `maxlen`
    /// elements (0: all).
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
        let scanned: Box<dyn Iterator<Item = (usize, &[u8])>> = if from_tail {
            Box::new(
                self.iter()
                    .rev()
                    .enumerate()
                    .map(move |(i, e)| (len - i - 1, e)),
            )
        } else {
            Box::new(self.iter().enumerate())
        };
        let mut found = Vec::new();
        let mut matches: i64 = 0;
        for (position, candidate) in scanned.take(limit) {
            if candidate != element {
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

    /// A list of `values`, head first, with nodes as `limits` sizes them.
    pub fn from_values<'a>(
        values: impl IntoIterator<Item = &'a [u8]>,
        limits: &EncodingLimits,
    ) -> List {
        let mut list = List::default();
        for value in values {
            list.push(value, End::Right, limits);
        }
        list
    }
}

/// Elements of a [`List`], from either end.
#[derive(Clone)]
pub struct Iter<'a> {
    nodes: &'a [Node],
    /// The next element from the front: its node and offset.
    front: (usize, usize),
    /// The front node's buffer.
    front_buffer: &'a [u8],
    /// Just past the next element from the back: its node and end offset (node index
    /// `nodes.len()` for the end of the list), or, until the back is first walked, the
    /// position just past the range (found then: a forward walk never needs it).
    back: Back,
    left: usize,
}

#[derive(Clone, Copy)]
enum Back {
    At(usize, usize),
    Before(usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let (mut n, mut at) = self.front;
        while at >= self.front_buffer.len() {
            n += 1;
            self.front_buffer = self.nodes[n].buffer();
            at = self.nodes[n].start();
        }
        let (element, next) = node::element_at(self.front_buffer, at);
        self.front = (n, next);
        self.left -= 1;
        Some(element)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let (mut n, mut end) = match self.back {
            Back::At(n, end) => (n, end),
            Back::Before(position) => {
                // The node holding the element before `position`, counted from the end.
                let mut after = self.nodes.iter().map(Node::count).sum::<usize>();
                let mut n = self.nodes.len();
                while n > 0 && after - self.nodes[n - 1].count() >= position {
                    n -= 1;
                    after -= self.nodes[n].count();
                }
                let node = &self.nodes[n - 1];
                let local = position - (after - node.count());
                (n - 1, node.offset_of(local))
            }
        };
        while n == self.nodes.len() || end <= self.nodes[n].start() {
            n -= 1;
            end = self.nodes[n].end();
        }
        let (at, element) = self.nodes[n].before(end);
        self.back = Back::At(n, at);
        self.left -= 1;
        Some(element)
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;

    fn list(items: &[&str]) -> List {
        List::from_values(items.iter().map(|s| s.as_bytes()), &LIMITS)
    }

    fn contents(list: &List) -> Vec<String> {
        list.iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect()
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let mut l = List::default();
        l.push(b"b", End::Left, &LIMITS);
        l.push(b"a", End::Left, &LIMITS);
        l.push(b"c", End::Right, &LIMITS);
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
        assert!(l.insert(b"p", b"before", false, &LIMITS));
        assert!(l.insert(b"p", b"after", true, &LIMITS));
        assert!(!l.insert(b"missing", b"x", true, &LIMITS));
        assert_eq!(contents(&l), ["a", "before", "p", "after", "b", "p"]);
    }

    #[test]
    fn rotate_moves_between_ends() {
        let mut l = list(&["a", "b", "c"]);
        assert_eq!(
            l.rotate(End::Left, End::Right, &LIMITS).map(|e| e.to_vec()),
            Some(b"a".to_vec())
        );
        assert_eq!(contents(&l), ["b", "c", "a"]);
        assert_eq!(
            l.rotate(End::Right, End::Left, &LIMITS).map(|e| e.to_vec()),
            Some(b"a".to_vec())
        );
        assert_eq!(contents(&l), ["a", "b", "c"]);
        assert!(List::default()
            .rotate(End::Left, End::Left, &LIMITS)
            .is_none());
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
    fn a_list_fits_in_a_value_and_a_short_one_is_one_allocation() {
        assert!(std::mem::size_of::<List>() <= 24);
        let l = list(&["item0001"; 10]);
        // The count and gap, then ten times 1 + 8 + 1 bytes.
        assert_eq!(l.heap_size(), crate::alloc::allocation(8 + 100));
    }

    #[test]
    fn a_long_list_keeps_spare_room_only_in_its_end_nodes() {
        for end in [End::Left, End::Right] {
            let mut l = List::default();
            for i in 0..100_000u32 {
                l.push(format!("item{i}").as_bytes(), end, &LIMITS);
            }
            let Nodes::Many(many) = &l.0 else {
                panic!("a long list has several nodes");
            };
            let used: usize = many.nodes.iter().map(Node::bytes).sum();
            let inner = &many.nodes[1..many.nodes.len() - 1];
            assert!(inner
                .iter()
                .all(|n| n.heap_size() == crate::alloc::allocation(n.bytes())));
            // Two end nodes of at most 16 KiB of room each, beyond the bytes in use.
            assert!(many.heap <= used + inner.len() * 16 + 2 * 16_384, "{end:?}");
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, u8),
        Pop(bool),
        Set(i64, u8),
        Trim(i64, i64),
        Remove(u8, i64),
        Insert(u8, u8, bool),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            6 => (any::<bool>(), 0u8..6).prop_map(|(l, v)| Op::Push(l, v)),
            2 => any::<bool>().prop_map(Op::Pop),
            1 => (-12i64..12, 0u8..6).prop_map(|(i, v)| Op::Set(i, v)),
            1 => (-12i64..12, -12i64..12).prop_map(|(a, b)| Op::Trim(a, b)),
            1 => (0u8..6, -3i64..3).prop_map(|(v, c)| Op::Remove(v, c)),
            1 => (0u8..6, 0u8..6, any::<bool>()).prop_map(|(p, v, a)| Op::Insert(p, v, a)),
        ]
    }

    /// Element `v`: short ones, and one long enough to fill a small node alone.
    fn value(v: u8) -> Vec<u8> {
        match v {
            5 => vec![b'L'; 300],
            v => format!("v{v}").into_bytes(),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Every answer as a VecDeque gives it, with nodes of one to four elements or of a
        /// few hundred bytes, and the heap figure kept equal to a recount.
        #[test]
        fn behaves_like_a_vecdeque(
            ops in proptest::collection::vec(op(), 1..80),
            fill in proptest::sample::select(vec![1i64, 2, 3, 4, 100, -1, -2]),
        ) {
            use std::collections::VecDeque;
            let limits = EncodingLimits { list_fill: fill, ..LIMITS };
            let mut l = List::default();
            let mut model: VecDeque<Vec<u8>> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Push(left, v) => {
                        let end = if left { End::Left } else { End::Right };
                        l.push(&value(v), end, &limits);
                        if left { model.push_front(value(v)) } else { model.push_back(value(v)) }
                    }
                    Op::Pop(left) => {
                        let end = if left { End::Left } else { End::Right };
                        let expected = if left { model.pop_front() } else { model.pop_back() };
                        proptest::prop_assert_eq!(l.pop(end).map(|e| e.to_vec()), expected);
                    }
                    Op::Set(index, v) => {
                        let len = model.len() as i64;
                        let at = if index < 0 { len + index } else { index };
                        let inside = (0..len).contains(&at);
                        proptest::prop_assert_eq!(l.set(index, &value(v)), inside);
                        if inside { model[at as usize] = value(v); }
                    }
                    Op::Trim(start, end) => {
                        let before = model.len();
                        match clamp_range(before, start, end) {
                            Some((from, to)) => {
                                model.truncate(to + 1);
                                model.drain(..from);
                            }
                            None => model.clear(),
                        }
                        proptest::prop_assert_eq!(l.trim(start, end), before - model.len());
                    }
                    Op::Remove(v, count) => {
                        let target = value(v);
                        let matching: Vec<usize> = (0..model.len()).filter(|&i| model[i] == target).collect();
                        let limit = if count == 0 { matching.len() } else { (count.unsigned_abs() as usize).min(matching.len()) };
                        let chosen: Vec<usize> = if count < 0 {
                            matching[matching.len() - limit..].to_vec()
                        } else {
                            matching[..limit].to_vec()
                        };
                        for &i in chosen.iter().rev() { model.remove(i); }
                        proptest::prop_assert_eq!(l.remove(&target, count), limit);
                    }
                    Op::Insert(pivot, v, after) => {
                        let pivot = value(pivot);
                        let at = model.iter().position(|e| *e == pivot);
                        if let Some(at) = at { model.insert(at + usize::from(after), value(v)); }
                        proptest::prop_assert_eq!(l.insert(&pivot, &value(v), after, &limits), at.is_some());
                    }
                }
                let expected: Vec<Vec<u8>> = model.iter().cloned().collect();
                proptest::prop_assert_eq!(l.len(), model.len());
                proptest::prop_assert_eq!(l.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), expected.clone());
                let mut backwards: Vec<Vec<u8>> = l.iter().rev().map(<[u8]>::to_vec).collect();
                backwards.reverse();
                proptest::prop_assert_eq!(&backwards, &expected);
                for (i, element) in expected.iter().enumerate() {
                    proptest::prop_assert_eq!(l.get(i as i64), Some(element.as_slice()));
                    proptest::prop_assert_eq!(l.get(i as i64 - expected.len() as i64), Some(element.as_slice()));
                }
                proptest::prop_assert_eq!(l.get(expected.len() as i64), None);
                if let Some((from, to)) = clamp_range(expected.len(), 1, -2) {
                    let mut range = l.range(from, to);
                    proptest::prop_assert_eq!(range.len(), to + 1 - from);
                    let front = range.next().map(<[u8]>::to_vec);
                    let back = range.next_back().map(<[u8]>::to_vec);
                    proptest::prop_assert_eq!(front, Some(expected[from].clone()));
                    if to > from {
                        proptest::prop_assert_eq!(back, Some(expected[to].clone()));
                    }
                    let middle: Vec<Vec<u8>> = range.map(<[u8]>::to_vec).collect();
                    proptest::prop_assert_eq!(middle.len(), (to + 1 - from).saturating_sub(2));
                }
                let needle = value(1);
                let positions: Vec<usize> = (0..expected.len()).filter(|&i| expected[i] == needle).collect();
                proptest::prop_assert_eq!(l.positions(&needle, 1, Some(0), 0), positions.clone());
                let mut from_tail = positions;
                from_tail.reverse();
                proptest::prop_assert_eq!(l.positions(&needle, -1, Some(0), 0), from_tail);
                if let Nodes::Many(many) = &l.0 {
                    let recount: usize = many.nodes.iter().map(Node::heap_size).sum();
                    proptest::prop_assert_eq!(many.heap, recount);
                    proptest::prop_assert!(many.nodes.iter().all(|n| n.count() > 0));
                    let fits = many.nodes.iter().all(|n| fill < 0 || n.count() as i64 <= fill);
                    proptest::prop_assert!(fits, "a node over the fill");
                }
            }
        }
    }
}
