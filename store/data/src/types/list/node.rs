//! One quicklist node: a run of list elements in one exactly sized allocation, readable from
//! both ends, as Redis's listpack nodes are.
//!
//! Layout: a 4-byte little-endian element count, then each element as its length (LEB128),
//! its bytes, and its length again with the LEB128 bytes mirrored, so that the element before
//! any offset can be found by reading backwards (Redis's `backlen`).

use crate::types::listpack::varint_len;

/// Bytes before the first element: the element count.
pub(super) const HEADER: usize = 4;

/// Elements in one flat buffer, walkable both ways.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct Node(Box<[u8]>);

/// `value` as LEB128, into `out`; returns the bytes used.
fn varint(mut value: usize, out: &mut [u8; 10]) -> usize {
    let mut len = 0;
    while value >= 0x80 {
        out[len] = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
        len += 1;
    }
    out[len] = value as u8;
    len + 1
}

/// Bytes one element takes in a node.
pub(super) fn encoded_len(element: &[u8]) -> usize {
    2 * varint_len(element.len()) + element.len()
}

/// Writes `element` as a node stores it.
fn encode(element: &[u8], out: &mut Vec<u8>) {
    let mut prefix = [0; 10];
    let used = varint(element.len(), &mut prefix);
    out.extend_from_slice(&prefix[..used]);
    out.extend_from_slice(element);
    out.extend(prefix[..used].iter().rev());
}

impl Node {
    /// Number of elements.
    pub(super) fn count(&self) -> usize {
        match self.0.get(..HEADER) {
            Some(c) => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize,
            None => 0,
        }
    }

    /// Bytes of the buffer.
    pub(super) fn bytes(&self) -> usize {
        self.0.len()
    }

    /// Heap bytes owned, as the allocator rounds them.
    pub(super) fn heap_size(&self) -> usize {
        crate::alloc::allocation(self.0.len())
    }

    /// Offset of the first element.
    pub(super) fn start(&self) -> usize {
        HEADER
    }

    /// Offset just past the last element.
    pub(super) fn end(&self) -> usize {
        self.0.len().max(HEADER)
    }

    /// The element at `at` and the offset of the next one.
    pub(super) fn at(&self, at: usize) -> (&[u8], usize) {
        let (mut len, mut shift, mut pos) = (0usize, 0, at);
        loop {
            let byte = self.0[pos];
            len |= usize::from(byte & 0x7f) << shift;
            pos += 1;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let prefix = pos - at;
        (&self.0[pos..pos + len], pos + len + prefix)
    }

    /// The element that ends at `end`, and its offset.
    pub(super) fn before(&self, end: usize) -> (usize, &[u8]) {
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

    /// Inserts `element` at offset `at`.
    pub(super) fn insert(&mut self, at: usize, element: &[u8]) {
        let count = self.count() + 1;
        let mut buf = std::mem::take(&mut self.0).into_vec();
        if buf.is_empty() {
            buf.reserve_exact(HEADER + encoded_len(element));
            buf.extend_from_slice(&[0; HEADER]);
        } else {
            buf.reserve_exact(encoded_len(element));
        }
        let at = at.max(HEADER);
        if at == buf.len() {
            encode(element, &mut buf);
        } else {
            let mut encoded = Vec::with_capacity(encoded_len(element));
            encode(element, &mut encoded);
            buf.splice(at..at, encoded);
        }
        self.0 = with_count(buf, count);
    }

    /// Removes the elements from offset `at` to `end`, `count` of them.
    pub(super) fn remove(&mut self, at: usize, end: usize, count: usize) {
        let left = self.count() - count;
        if left == 0 {
            self.0 = Box::default();
            return;
        }
        let mut buf = std::mem::take(&mut self.0).into_vec();
        buf.drain(at..end);
        self.0 = with_count(buf, left);
    }

    /// Replaces the element at `at` with `element`.
    pub(super) fn replace(&mut self, at: usize, element: &[u8]) {
        let (_, next) = self.at(at);
        let count = self.count();
        let mut buf = std::mem::take(&mut self.0).into_vec();
        let mut encoded = Vec::with_capacity(encoded_len(element));
        encode(element, &mut encoded);
        buf.splice(at..next, encoded);
        self.0 = with_count(buf, count);
    }

    /// Splits off the elements from position `index` on into a node of their own.
    pub(super) fn split_off(&mut self, index: usize) -> Node {
        let count = self.count();
        let at = self.offset_of(index);
        let mut tail = Vec::with_capacity(HEADER + self.end() - at);
        tail.extend_from_slice(&[0; HEADER]);
        tail.extend_from_slice(&self.0[at..]);
        let tail = Node(with_count(tail, count - index));
        self.remove(at, self.end(), count - index);
        tail
    }
}

/// `buf` with its count set, sized exactly.
fn with_count(mut buf: Vec<u8>, count: usize) -> Box<[u8]> {
    let count = u32::try_from(count).expect("a list node holds fewer than 2^32 elements");
    buf[..HEADER].copy_from_slice(&count.to_le_bytes());
    buf.into_boxed_slice()
}
