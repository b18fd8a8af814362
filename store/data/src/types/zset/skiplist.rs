//! The ordered half of a sorted set: Redis's skiplist with span widths, in safe Rust.
//!
//! Nodes live in an arena (`Vec<Node>`) and link to each other by index; freed slots are
//! reused. A node holds its member inline when short (`CompactBytes`) and its first link
//! inline; only the quarter of nodes with more levels allocate the rest. Each forward link records its span (how many elements it jumps over), which gives
//! O(log n) rank lookups, rank-to-element lookups and range boundaries, exactly as in Redis's
//! `t_zset.c`. Elements are ordered by (score, member bytes); callers guarantee a member is
//! present at most once and that scores are never NaN.

use crate::compact::CompactBytes;

/// "No node": the end of a level, or no backward link.
pub(crate) const NIL: u32 = u32::MAX;
/// The header node's index; it holds no element.
const HEAD: u32 = 0;
/// Redis's `ZSKIPLIST_MAXLEVEL`.
const MAX_LEVEL: usize = 32;

/// One forward link of a node.
#[derive(Debug, Clone, Copy)]
struct Link {
    forward: u32,
    /// Elements passed when following this link (1 for the next node).
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    member: CompactBytes,
    score: f64,
    backward: u32,
    /// Where the set keeps this node in its insertion order (see `Large::order`).
    position: u32,
    /// The level 0 link.
    first: Link,
    /// The links of levels 1 and up.
    upper: Box<[Link]>,
}

impl Node {
    fn new(member: CompactBytes, score: f64, level: usize) -> Node {
        let unlinked = Link {
            forward: NIL,
            span: 0,
        };
        Node {
            member,
            score,
            backward: NIL,
            position: 0,
            first: unlinked,
            upper: vec![unlinked; level - 1].into_boxed_slice(),
        }
    }
}

/// A skiplist of (score, member) elements.
#[derive(Debug, Clone)]
pub(crate) struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    /// Levels in use (at least 1).
    level: usize,
    len: usize,
    tail: u32,
    /// xorshift state for node levels.
    seed: u64,
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

/// True if the element (`score`, `member`) of `node` sorts before (`score`, `member`).
fn before(node: &Node, score: f64, member: &[u8]) -> bool {
    node.score < score || (node.score == score && node.member[..] < *member)
}

impl SkipList {
    /// An empty skiplist.
    pub(crate) fn new() -> SkipList {
        let head = Node::new(CompactBytes::new(b""), 0.0, MAX_LEVEL);
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            level: 1,
            len: 0,
            tail: NIL,
            seed: 0x2545_f491_4f6c_dd1d,
        }
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn link(&self, node: u32, level: usize) -> Link {
        let node = &self.nodes[node as usize];
        match level {
            0 => node.first,
            _ => node.upper[level - 1],
        }
    }

    fn link_mut(&mut self, node: u32, level: usize) -> &mut Link {
        let node = &mut self.nodes[node as usize];
        match level {
            0 => &mut node.first,
            _ => &mut node.upper[level - 1],
        }
    }

    fn node(&self, node: u32) -> &Node {
        &self.nodes[node as usize]
    }

    /// The member and score of element `node` (an index from this list).
    pub(crate) fn get(&self, node: u32) -> (&[u8], f64) {
        let node = self.node(node);
        (node.member.as_slice(), node.score)
    }

    /// Where the set keeps element `node` in its insertion order.
    pub(crate) fn position(&self, node: u32) -> u32 {
        self.node(node).position
    }

    /// Sets where the set keeps element `node`.
    pub(crate) fn set_position(&mut self, node: u32, position: u32) {
        self.nodes[node as usize].position = position;
    }

    /// The first element, or NIL.
    pub(crate) fn first(&self) -> u32 {
        self.link(HEAD, 0).forward
    }

    /// The last element, or NIL.
    pub(crate) fn last(&self) -> u32 {
        self.tail
    }

    /// The element after `node`, or NIL.
    pub(crate) fn next(&self, node: u32) -> u32 {
        self.link(node, 0).forward
    }

    /// The element before `node`, or NIL.
    pub(crate) fn prev(&self, node: u32) -> u32 {
        self.node(node).backward
    }

    /// Redis's `zslRandomLevel`: each further level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        while level < MAX_LEVEL {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            if self.seed & 3 != 0 {
                break;
            }
            level += 1;
        }
        level
    }

    fn alloc(&mut self, node: Node) -> u32 {
        match self.free.pop() {
            Some(index) => {
                self.nodes[index as usize] = node;
                index
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// For each level, the last node before (`score`, `member`).
    fn path_to(&self, score: f64, member: &[u8]) -> [u32; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let next = self.link(x, i).forward;
                if next != NIL && before(self.node(next), score, member) {
                    x = next;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        update
    }

    /// Inserts an element that is not present; returns its node.
    pub(crate) fn insert(&mut self, score: f64, member: CompactBytes) -> u32 {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let link = self.link(x, i);
                if link.forward != NIL && before(self.node(link.forward), score, &member) {
                    rank[i] += link.span;
                    x = link.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = level;
        }
        let new = self.alloc(Node::new(member, score, level));
        for i in 0..level {
            let before_link = self.link(update[i], i);
            let passed = rank[0] - rank[i];
            *self.link_mut(new, i) = Link {
                forward: before_link.forward,
                span: before_link.span - passed,
            };
            *self.link_mut(update[i], i) = Link {
                forward: new,
                span: passed + 1,
            };
        }
        for (i, node) in update.iter().enumerate().take(self.level).skip(level) {
            self.link_mut(*node, i).span += 1;
        }
        self.nodes[new as usize].backward = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.link(new, 0).forward;
        if next != NIL {
            self.nodes[next as usize].backward = new;
        } else {
            self.tail = new;
        }
        self.len += 1;
        new
    }

    /// Unlinks `x`, whose predecessors on each level are `update`; frees its slot and returns
    /// its member.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> CompactBytes {
        for (i, node) in update.iter().enumerate().take(self.level) {
            let link = self.link(*node, i);
            if link.forward == x {
                let removed = self.link(x, i);
                *self.link_mut(*node, i) = Link {
                    forward: removed.forward,
                    span: link.span + removed.span - 1,
                };
            } else {
                self.link_mut(*node, i).span -= 1;
            }
        }
        let next = self.link(x, 0).forward;
        let backward = self.node(x).backward;
        if next != NIL {
            self.nodes[next as usize].backward = backward;
        } else {
            self.tail = backward;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.free.push(x);
        let node = &mut self.nodes[x as usize];
        node.upper = Box::default();
        std::mem::replace(&mut node.member, CompactBytes::new(b""))
    }

    /// Removes the element (`score`, `member`); returns its member if it was there.
    pub(crate) fn remove(&mut self, score: f64, member: &[u8]) -> Option<CompactBytes> {
        let update = self.path_to(score, member);
        let x = self.link(update[0], 0).forward;
        if x != NIL && self.node(x).score == score && self.node(x).member[..] == *member {
            Some(self.unlink(x, &update))
        } else {
            None
        }
    }

    /// Changes the score of element `node` (Redis's `zslUpdateScore`): in place when the
    /// order does not change, else by removing and inserting again. Returns the element's
    /// node, which may differ from `node`.
    pub(crate) fn update_score(&mut self, node: u32, score: f64) -> u32 {
        let (prev, next) = (self.prev(node), self.next(node));
        let prev_ok = prev == NIL || self.node(prev).score < score;
        let next_ok = next == NIL || self.node(next).score > score;
        if prev_ok && next_ok {
            self.nodes[node as usize].score = score;
            return node;
        }
        let (old_score, member, position) = {
            let n = self.node(node);
            (n.score, n.member.clone(), n.position)
        };
        let update = self.path_to(old_score, &member);
        let member = self.unlink(node, &update);
        let node = self.insert(score, member);
        self.set_position(node, position);
        node
    }

    /// The 0-based rank of element (`score`, `member`), if present.
    pub(crate) fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let mut rank = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward == NIL {
                    break;
                }
                let next = self.node(link.forward);
                if next.score < score || (next.score == score && next.member[..] <= *member) {
                    rank += link.span as usize;
                    x = link.forward;
                } else {
                    break;
                }
            }
            if x != HEAD && self.node(x).score == score && self.node(x).member[..] == *member {
                return Some(rank - 1);
            }
        }
        None
    }

    /// The element at 0-based `rank`, or NIL.
    pub(crate) fn at_rank(&self, rank: usize) -> u32 {
        let target = rank + 1;
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward != NIL && traversed + link.span as usize <= target {
                    traversed += link.span as usize;
                    x = link.forward;
                } else {
                    break;
                }
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Descends the levels while `ahead(score, member)` holds for the next element, as Redis
    /// does to find a range's boundary. For a `ahead` that holds on a prefix of the order,
    /// returns the length of that prefix.
    pub(crate) fn count_while(&self, ahead: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward == NIL {
                    break;
                }
                let next = self.node(link.forward);
                if ahead(next.score, &next.member) {
                    traversed += link.span as usize;
                    x = link.forward;
                } else {
                    break;
                }
            }
        }
        traversed
    }

    /// Removes the elements of 0-based ranks `start..=end` (Redis's `zslDeleteRangeByRank`),
    /// handing each removed node, member and position to `removed`.
    pub(crate) fn remove_rank_range(
        &mut self,
        start: usize,
        end: usize,
        mut removed: impl FnMut(u32, CompactBytes, u32),
    ) {
        let (start, end) = (start + 1, end + 1);
        let mut update = [HEAD; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward != NIL && traversed + (link.span as usize) < start {
                    traversed += link.span as usize;
                    x = link.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        traversed += 1;
        let mut x = self.link(x, 0).forward;
        while x != NIL && traversed <= end {
            let next = self.link(x, 0).forward;
            let position = self.node(x).position;
            removed(x, self.unlink(x, &update), position);
            traversed += 1;
            x = next;
        }
    }

    /// Approximate heap bytes of nodes and links (long members are counted by the set), in
    /// O(1): a quarter of the nodes have upper links (levels are random), counted at the
    /// allocation one or two links take.
    pub(crate) fn heap_size(&self) -> usize {
        let upper_links = crate::alloc::allocation(2 * std::mem::size_of::<Link>());
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.len() / 4 * upper_links
            + crate::alloc::allocation((MAX_LEVEL - 1) * std::mem::size_of::<Link>())
            + self.free.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(list: &SkipList) -> Vec<(f64, Vec<u8>)> {
        let mut out = Vec::new();
        let mut x = list.first();
        while x != NIL {
            let (member, score) = list.get(x);
            out.push((score, member.to_vec()));
            x = list.next(x);
        }
        out
    }

    fn member(i: usize) -> CompactBytes {
        CompactBytes::new(format!("m{i:05}").as_bytes())
    }

    #[test]
    fn keeps_order_ranks_and_backward_links() {
        let mut list = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        for i in 0..2000 {
            let score = ((i * 7919) % 101) as f64;
            list.insert(score, member(i));
            model.push((score, member(i).to_vec()));
        }
        model.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        assert_eq!(elements(&list), model);
        for (rank, (score, m)) in model.iter().enumerate() {
            assert_eq!(list.rank(*score, m), Some(rank));
            let node = list.at_rank(rank);
            assert_eq!(list.get(node).0[..], m[..]);
        }
        assert_eq!(list.at_rank(model.len()), NIL);
        assert_eq!(list.rank(1000.0, b"nope"), None);
        // Walk backwards from the tail.
        let mut back = Vec::new();
        let mut x = list.last();
        while x != NIL {
            back.push(list.get(x).0.to_vec());
            x = list.prev(x);
        }
        back.reverse();
        assert_eq!(back, model.iter().map(|e| e.1.clone()).collect::<Vec<_>>());
    }

    #[test]
    fn removes_updates_and_reuses_slots() {
        let mut list = SkipList::new();
        let mut nodes = Vec::new();
        for i in 0..500 {
            nodes.push(list.insert(i as f64, member(i)));
        }
        for i in (0..500).step_by(2) {
            assert_eq!(
                list.remove(i as f64, &member(i)).as_deref(),
                Some(&member(i)[..])
            );
        }
        assert!(list.remove(0.0, &member(0)).is_none());
        assert_eq!(list.len(), 250);
        // Move every remaining element to the front, in reverse.
        for i in (1..500).step_by(2) {
            let node = list
                .rank(i as f64, &member(i))
                .map(|r| list.at_rank(r))
                .unwrap();
            list.update_score(node, -(i as f64));
        }
        let got = elements(&list);
        assert_eq!(got.len(), 250);
        assert_eq!(got[0], (-499.0, member(499).to_vec()));
        assert_eq!(got[249], (-1.0, member(1).to_vec()));
        for i in 0..100 {
            list.insert(1000.0 + i as f64, member(10_000 + i));
        }
        assert!(list.nodes.len() <= 501, "slots were reused");
        for (rank, (score, m)) in elements(&list).iter().enumerate() {
            assert_eq!(list.rank(*score, m), Some(rank));
        }
    }

    #[test]
    fn removes_rank_ranges_and_counts_prefixes() {
        let mut list = SkipList::new();
        for i in 0..300 {
            list.insert(i as f64, member(i));
        }
        assert_eq!(list.count_while(|s, _| s < 100.0), 100);
        assert_eq!(list.count_while(|s, _| s <= 299.0), 300);
        assert_eq!(list.count_while(|_, _| false), 0);
        let mut removed = Vec::new();
        list.remove_rank_range(10, 19, |_, m, _| removed.push(m));
        assert_eq!(removed.len(), 10);
        assert_eq!(removed[0].as_slice(), member(10).as_slice());
        assert_eq!(list.len(), 290);
        list.remove_rank_range(280, 400, |_, _, _| {});
        assert_eq!(list.len(), 280);
        assert_eq!(list.get(list.last()).1, 289.0);
        for (rank, (score, m)) in elements(&list).iter().enumerate() {
            assert_eq!(list.rank(*score, m), Some(rank));
        }
        list.remove_rank_range(0, 279, |_, _, _| {});
        assert_eq!(list.len(), 0);
        assert_eq!(list.first(), NIL);
        assert_eq!(list.last(), NIL);
    }
}
