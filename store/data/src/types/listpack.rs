//! A listpack: a small aggregate's elements in one flat allocation, as Redis keeps small
//! hashes, sorted sets and list nodes.
//!
//! Layout: a 4-byte little-endian element count, then each element as its length (LEB128)
//! and its bytes. An empty listpack allocates nothing. The allocation is sized exactly (every
//! change reallocates once, as Redis's `lpInsert` does), so a hash of ten short fields costs
//! one allocation of about 150 bytes where a hash table costs several of a kilobyte.
//!
//! Elements are found by walking from the start: small aggregates are scanned linearly, as in
//! Redis. Positions are byte offsets, as [`Listpack::iter`] yields them; they stay valid until
//! the next change.

use super::varint;

/// Bytes before the first element: the element count.
const HEADER: usize = 4;

/// Elements in one flat buffer.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack(Box<[u8]>);

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(_, bytes)| String::from_utf8_lossy(bytes)))
            .finish()
    }
}

/// Bytes one element takes in the buffer.
pub fn encoded_len(element: &[u8]) -> usize {
    varint::len(element.len()) + element.len()
}

/// Writes `element` as the buffer holds it.
fn encode(element: &[u8], out: &mut Vec<u8>) {
    let mut prefix = [0; varint::MAX];
    let used = varint::encode(element.len(), &mut prefix);
    out.extend_from_slice(&prefix[..used]);
    out.extend_from_slice(element);
}

impl Listpack {
    /// Number of elements.
    pub fn len(&self) -> usize {
        varint::read_u32(&self.0, 0)
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bytes of the buffer (what the allocator is asked for).
    pub fn bytes(&self) -> usize {
        self.0.len()
    }

    /// Heap bytes owned, as the allocator rounds them.
    pub fn heap_size(&self) -> usize {
        crate::alloc::allocation(self.0.len())
    }

    /// Offset of the first element (also where an element is inserted first).
    pub fn start(&self) -> usize {
        HEADER
    }

    /// Offset just past the last element: where an element is appended.
    pub fn end(&self) -> usize {
        self.0.len().max(HEADER)
    }

    /// The element at `at` and the offset of the next one.
    pub fn get(&self, at: usize) -> Option<(&[u8], usize)> {
        if at >= self.0.len() {
            return None;
        }
        let (len, prefix) = varint::decode(&self.0, at);
        let start = at + prefix;
        Some((&self.0[start..start + len], start + len))
    }

    /// Every element with its offset, first to last.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            listpack: self,
            at: HEADER,
            left: self.len(),
        }
    }

    /// The elements two by two (a hash's fields and values, a sorted set's members and
    /// scores), each pair with the offset of its first element.
    pub fn pairs(&self) -> Pairs<'_> {
        Pairs(self.iter())
    }

    /// Inserts `elements` at offset `at` (an element's offset, or [`end`](Listpack::end)).
    pub fn insert(&mut self, at: usize, elements: &[&[u8]]) {
        if elements.is_empty() {
            return;
        }
        let added: usize = elements.iter().map(|e| encoded_len(e)).sum();
        let count = self.len() + elements.len();
        let mut buf = std::mem::take(&mut self.0).into_vec();
        if buf.is_empty() {
            buf.reserve_exact(HEADER + added);
            buf.extend_from_slice(&[0; HEADER]);
        } else {
            buf.reserve_exact(added);
        }
        let tail = buf.split_off(at);
        for element in elements {
            encode(element, &mut buf);
        }
        buf.extend_from_slice(&tail);
        self.0 = Self::with_count(buf, count);
    }

    /// Removes `count` elements from offset `at`.
    pub fn remove(&mut self, at: usize, count: usize) {
        let mut end = at;
        for _ in 0..count {
            match self.get(end) {
                Some((_, next)) => end = next,
                None => break,
            }
        }
        self.remove_range(at, end, count);
    }

    /// Replaces the element at `at` with `element`.
    pub fn replace(&mut self, at: usize, element: &[u8]) {
        let Some((old, next)) = self.get(at) else {
            return;
        };
        let same_size = encoded_len(old) == encoded_len(element);
        if same_size {
            let start = next - element.len();
            self.0[start..next].copy_from_slice(element);
            return;
        }
        let count = self.len();
        let mut buf = std::mem::take(&mut self.0).into_vec();
        let tail = buf.split_off(next);
        buf.truncate(at);
        buf.reserve_exact(encoded_len(element) + tail.len());
        encode(element, &mut buf);
        buf.extend_from_slice(&tail);
        self.0 = Self::with_count(buf, count);
    }

    /// Removes the elements from offset `at` to `end`, `count` of them.
    fn remove_range(&mut self, at: usize, end: usize, count: usize) {
        let left = self.len() - count;
        if left == 0 {
            self.0 = Box::default();
            return;
        }
        let mut buf = std::mem::take(&mut self.0).into_vec();
        buf.drain(at..end);
        self.0 = Self::with_count(buf, left);
    }

    /// `buf` with its count set, sized exactly.
    fn with_count(mut buf: Vec<u8>, count: usize) -> Box<[u8]> {
        varint::write_u32(&mut buf, 0, count);
        buf.into_boxed_slice()
    }
}

/// The elements of a [`Listpack`] with their offsets.
pub struct Iter<'a> {
    listpack: &'a Listpack,
    at: usize,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.left == 0 {
            return None;
        }
        let (element, next) = self.listpack.get(self.at)?;
        let at = self.at;
        self.at = next;
        self.left -= 1;
        Some((at, element))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The elements of a [`Listpack`] two by two, with the offset of each pair.
pub struct Pairs<'a>(Iter<'a>);

impl<'a> Iterator for Pairs<'a> {
    type Item = (usize, &'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8], &'a [u8])> {
        let (at, first) = self.0.next()?;
        let (_, second) = self.0.next()?;
        Some((at, first, second))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.0.len() / 2;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn elements(listpack: &Listpack) -> Vec<Vec<u8>> {
        listpack.iter().map(|(_, e)| e.to_vec()).collect()
    }

    #[test]
    fn empty_allocates_nothing_and_a_full_one_is_sized_exactly() {
        let mut listpack = Listpack::default();
        assert_eq!((listpack.len(), listpack.bytes()), (0, 0));
        listpack.insert(listpack.end(), &[b"field", &[b'x'; 200]]);
        // The count, then 1 + 5 and 2 + 200 bytes.
        assert_eq!(listpack.bytes(), 4 + 6 + 202);
        assert_eq!(listpack.len(), 2);
        listpack.remove(listpack.start(), 2);
        assert_eq!((listpack.len(), listpack.bytes()), (0, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(usize, Vec<Vec<u8>>),
        Remove(usize, usize),
        Replace(usize, Vec<u8>),
    }

    fn element() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..4),
            proptest::collection::vec(any::<u8>(), 120..140),
            proptest::collection::vec(any::<u8>(), 16380..16390),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<usize>(), proptest::collection::vec(element(), 0..4))
                .prop_map(|(at, e)| Op::Insert(at, e)),
            (any::<usize>(), 0usize..4).prop_map(|(at, n)| Op::Remove(at, n)),
            (any::<usize>(), element()).prop_map(|(at, e)| Op::Replace(at, e)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn behaves_like_a_vector(ops in proptest::collection::vec(op(), 1..40)) {
            let mut listpack = Listpack::default();
            let mut model: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                // Offsets of every element, then the end: where an index lands.
                let mut offsets: Vec<usize> = listpack.iter().map(|(at, _)| at).collect();
                offsets.push(listpack.end());
                match op {
                    Op::Insert(index, elements) => {
                        let index = index % (model.len() + 1);
                        let refs: Vec<&[u8]> = elements.iter().map(|e| e.as_slice()).collect();
                        listpack.insert(offsets[index], &refs);
                        model.splice(index..index, elements);
                    }
                    Op::Remove(index, count) => {
                        if model.is_empty() {
                            continue;
                        }
                        let index = index % model.len();
                        let count = count.min(model.len() - index);
                        listpack.remove(offsets[index], count);
                        model.drain(index..index + count);
                    }
                    Op::Replace(index, element) => {
                        if model.is_empty() {
                            continue;
                        }
                        let index = index % model.len();
                        listpack.replace(offsets[index], &element);
                        model[index] = element;
                    }
                }
                prop_assert_eq!(listpack.len(), model.len());
                prop_assert_eq!(elements(&listpack), model.clone());
                let size: usize = model.iter().map(|e| encoded_len(e)).sum();
                let expected = if model.is_empty() { 0 } else { HEADER + size };
                prop_assert_eq!(listpack.bytes(), expected);
            }
        }
    }
}
