//! One quicklist node: a run of list elements in one exactly sized allocation, readable from
//! both ends, as Redis's listpack nodes are.
//!
//! Layout: a 4-byte little-endian element count, a 4-byte gap length, the gap, then each
//! element as its length (LEB128), its bytes, and its length again with the LEB128 bytes
//! mirrored, so that the element before any offset can be found by reading backwards (Redis's
//! `backlen`).
//!
//! A small node is sized exactly, with no gap. Past [`EXACT_BYTES`] it grows by doubling, as
//! a vector does, and keeps room before its first element too: a push or pop at the head
//! then costs no reallocation and no shift of the whole node (LPUSH at -P 16 measured 18%
//! more CPU per request when every push reallocated and shifted 8 KiB; Redis shifts too).
//! Only the nodes at the ends grow, so the spare room is bounded by two nodes per list.

use crate::types::varint;

/// Bytes before the gap: the element count and the gap's length.
pub(super) const HEADER: usize = 8;

/// Up to this many bytes, a node is sized exactly.
const EXACT_BYTES: usize = 512;

/// Elements in one flat buffer, walkable both ways.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct Node(Vec<u8>);

/// Bytes one element takes in a node.
pub(super) fn encoded_len(element: &[u8]) -> usize {
    2 * varint::len(element.len()) + element.len()
}

/// The element at `at` in a node's buffer and the offset of the next one.
#[inline]
pub(super) fn element_at(buf: &[u8], at: usize) -> (&[u8], usize) {
    let first = buf[at];
    if first < 0x80 {
        // Most elements are under 128 bytes: a one-byte length on each side.
        let (start, end) = (at + 1, at + 1 + usize::from(first));
        return (&buf[start..end], end + 1);
    }
    element_at_long(buf, at)
}

/// [`element_at`] for an element of 128 bytes or more.
#[cold]
fn element_at_long(buf: &[u8], at: usize) -> (&[u8], usize) {
    let (len, prefix) = varint::decode(buf, at);
    let start = at + prefix;
    (&buf[start..start + len], start + len + prefix)
}

/// Writes `element` as a node stores it into `slot`, which is exactly
/// [`encoded_len`]`(element)` bytes.
fn encode_into(element: &[u8], slot: &mut [u8]) {
    let mut prefix = [0; varint::MAX];
    let used = varint::encode(element.len(), &mut prefix);
    let (head, rest) = slot.split_at_mut(used);
    let (body, backlen) = rest.split_at_mut(element.len());
    head.copy_from_slice(&prefix[..used]);
    body.copy_from_slice(element);
    for (slot, byte) in backlen.iter_mut().zip(prefix[..used].iter().rev()) {
        *slot = *byte;
    }
}

impl Node {
    /// Number of elements.
    pub(super) fn count(&self) -> usize {
        varint::read_u32(&self.0, 0)
    }

    /// Bytes of room before the first element.
    fn gap(&self) -> usize {
        varint::read_u32(&self.0, 4)
    }

    fn set_gap(&mut self, gap: usize) {
        varint::write_u32(&mut self.0, 4, gap);
    }

    /// Bytes of the elements and header (what the node's size limit counts).
    pub(super) fn bytes(&self) -> usize {
        self.0.len() - self.gap()
    }

    /// Heap bytes owned, as the allocator rounds them.
    pub(super) fn heap_size(&self) -> usize {
        crate::alloc::allocation(self.0.capacity())
    }

    /// Offset of the first element.
    pub(super) fn start(&self) -> usize {
        HEADER + self.gap()
    }

    /// Offset just past the last element.
    #[inline]
    pub(super) fn end(&self) -> usize {
        self.0.len().max(HEADER)
    }

    /// The element at `at` and the offset of the next one.
    #[inline]
    pub(super) fn at(&self, at: usize) -> (&[u8], usize) {
        element_at(&self.0, at)
    }

    /// The whole buffer, for walking it with [`element_at`].
    pub(super) fn buffer(&self) -> &[u8] {
        &self.0
    }

    /// The element that ends at `end`, and its offset.
    #[inline]
    pub(super) fn before(&self, end: usize) -> (usize, &[u8]) {
        let last = self.0[end - 1];
        if last < 0x80 {
            let start = end - 1 - usize::from(last);
            return (start - 1, &self.0[start..end - 1]);
        }
        self.before_long(end)
    }

    /// [`before`](Node::before) for an element of 128 bytes or more.
    #[cold]
    fn before_long(&self, end: usize) -> (usize, &[u8]) {
        let (mut len, mut shift, mut pos) = (0usize, 0, end);
        loop {
            pos -= 1;
            let byte = self.0[pos];
            len |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let suffix = end - pos;
        let start = pos - len;
        (start - suffix, &self.0[start..pos])
    }

    /// Offset of the element at position `index` (or the end), walking from the nearer end.
    pub(super) fn offset_of(&self, index: usize) -> usize {
        let count = self.count();
        if index >= count {
            return self.end();
        }
        if index <= count / 2 {
            let mut at = self.start();
            for _ in 0..index {
                at = self.at(at).1;
            }
            at
        } else {
            let mut end = self.end();
            for _ in index..count {
                end = self.before(end).0;
            }
            end
        }
    }

    /// Makes room for `more` bytes: exactly while the node is small, by doubling after.
    fn reserve(&mut self, more: usize) {
        if self.0.len() + more <= EXACT_BYTES {
            self.0.reserve_exact(more);
        } else {
            self.0.reserve(more);
        }
    }

    /// Inserts `element` at offset `at`.
    pub(super) fn insert(&mut self, at: usize, element: &[u8]) {
        let count = self.count() + 1;
        let added = encoded_len(element);
        if self.0.is_empty() {
            self.reserve(HEADER + added);
            self.0.extend_from_slice(&[0; HEADER]);
        }
        let at_head = at <= self.start();
        if at_head && self.gap() < added && self.0.len() + added > EXACT_BYTES {
            self.widen_gap(added);
        }
        let (start, gap) = (self.start(), self.gap());
        let at = if at_head && gap >= added {
            // Into the room before the first element.
            self.set_gap(gap - added);
            start - added
        } else {
            // Open a gap where the element goes (at the end: just grow).
            let at = if at_head { start } else { at };
            self.reserve(added);
            let old_len = self.0.len();
            self.0.resize(old_len + added, 0);
            self.0.copy_within(at..old_len, at + added);
            at
        };
        encode_into(element, &mut self.0[at..at + added]);
        self.set_count(count);
    }

    /// Moves the elements along so that there is room for at least `added` bytes, and as
    /// much as the elements take, before the first element.
    fn widen_gap(&mut self, added: usize) {
        let (start, end) = (self.start(), self.0.len());
        let gap = (end - start).max(added);
        let mut buf = Vec::with_capacity(HEADER + gap + end - start);
        buf.extend_from_slice(&self.0[..HEADER]);
        buf.resize(HEADER + gap, 0);
        buf.extend_from_slice(&self.0[start..end]);
        self.0 = buf;
        self.set_gap(gap);
    }

    /// Removes the elements from offset `at` to `end`, `count` of them.
    pub(super) fn remove(&mut self, at: usize, end: usize, count: usize) {
        let left = self.count() - count;
        if left == 0 {
            self.0 = Vec::new();
            return;
        }
        if at == self.start() && self.0.capacity() > EXACT_BYTES {
            // From the head of a big node: the room before the first element grows.
            self.set_gap(self.gap() + end - at);
        } else {
            self.0.drain(at..end);
        }
        self.set_count(left);
        // A node that shrank well below its room gives the room back.
        if self.0.capacity() > EXACT_BYTES && self.bytes() < self.0.capacity() / 4 {
            self.close_gap();
            self.0.shrink_to(self.0.len() * 2);
        }
    }

    /// Gives back the room kept for growth: for a node that is full and no longer at an
    /// end of its list (doubling would otherwise leave up to half of it unused).
    pub(super) fn seal(&mut self) {
        if self.gap() > 0 {
            self.close_gap();
        }
        self.0.shrink_to_fit();
    }

    /// Moves the elements to just after the header.
    fn close_gap(&mut self) {
        let (start, len) = (self.start(), self.0.len());
        self.0.copy_within(start..len, HEADER);
        self.0.truncate(HEADER + len - start);
        self.set_gap(0);
    }

    /// Removes the elements at positions `drop` (ascending) in one pass, copying the others
    /// into a buffer of their own size.
    pub(super) fn remove_positions(&mut self, drop: &[usize]) {
        let count = self.count();
        let left = count - drop.len();
        if left == 0 {
            self.0 = Vec::new();
            return;
        }
        let mut kept = Node(Vec::new());
        kept.reserve(self.bytes());
        kept.0.extend_from_slice(&[0; HEADER]);
        let mut drop = drop.iter().peekable();
        let mut at = self.start();
        for index in 0..count {
            let (_, next) = self.at(at);
            if drop.peek() == Some(&&index) {
                drop.next();
            } else {
                kept.0.extend_from_slice(&self.0[at..next]);
            }
            at = next;
        }
        kept.set_count(left);
        if kept.0.len() <= EXACT_BYTES {
            kept.0.shrink_to_fit();
        }
        *self = kept;
    }

    /// Replaces the element at `at` with `element`.
    pub(super) fn replace(&mut self, at: usize, element: &[u8]) {
        let (_, next) = self.at(at);
        let mut encoded = vec![0; encoded_len(element)];
        encode_into(element, &mut encoded);
        let grows = encoded.len().saturating_sub(next - at);
        self.reserve(grows);
        self.0.splice(at..next, encoded);
    }

    /// Splits off the elements from position `index` on into a node of their own.
    pub(super) fn split_off(&mut self, index: usize) -> Node {
        let count = self.count();
        let at = self.offset_of(index);
        let mut tail = Node(Vec::new());
        tail.reserve(HEADER + self.end() - at);
        tail.0.extend_from_slice(&[0; HEADER]);
        tail.0.extend_from_slice(&self.0[at..]);
        tail.set_count(count - index);
        self.remove(at, self.end(), count - index);
        tail
    }

    /// Writes the element count.
    fn set_count(&mut self, count: usize) {
        varint::write_u32(&mut self.0, 0, count);
    }
}
