//! `CompactBytes`: how the store keeps keys and string values.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Bytes stored inline when short (most keys and many values), on the heap otherwise.
///
/// The store copies every key and value it keeps instead of holding on to the `Bytes` slices
/// the codec produced: a slice keeps its whole network read buffer alive, so a handful of
/// stored keys could pin megabytes. Inline storage also saves an allocation per short key.
/// Hashes and compares exactly like `[u8]`, so maps keyed by it can be queried with `&[u8]`.
#[derive(Clone)]
pub struct CompactBytes(Repr);

const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        data: [u8; INLINE],
    },
    Heap(Box<[u8]>),
    /// A string changed in place (APPEND, SETRANGE, SETBIT): room to grow, so that a run
    /// of appends costs amortised O(1) each, as Redis's sds strings do, instead of a copy
    /// of the whole string each. Boxed (a pointer, where a `Vec` is three words) to keep
    /// every key and value at 24 bytes.
    #[allow(clippy::box_collection)]
    Growable(Box<Vec<u8>>),
}

impl CompactBytes {
    /// Copies `bytes`.
    pub fn new(bytes: &[u8]) -> CompactBytes {
        if bytes.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            CompactBytes(Repr::Inline {
                len: bytes.len() as u8,
                data,
            })
        } else {
            CompactBytes(Repr::Heap(bytes.into()))
        }
    }

    /// Takes ownership of `bytes`, keeping its allocation when it is too long to inline.
    pub fn from_vec(bytes: Vec<u8>) -> CompactBytes {
        if bytes.len() <= INLINE {
            CompactBytes::new(&bytes)
        } else {
            CompactBytes(Repr::Heap(bytes.into_boxed_slice()))
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap(bytes) => bytes,
            Repr::Growable(bytes) => bytes,
        }
    }

    /// The bytes as a vector to change in place. The first call copies them once into a
    /// growable buffer; later calls cost nothing, and the vector's spare capacity makes
    /// appends amortised O(1).
    pub fn make_growable(&mut self) -> &mut Vec<u8> {
        if !matches!(self.0, Repr::Growable(_)) {
            self.0 = Repr::Growable(Box::new(self.as_slice().to_vec()));
        }
        match &mut self.0 {
            Repr::Growable(bytes) => bytes,
            _ => unreachable!("converted just above"),
        }
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes owned beyond the value itself (as the allocator counts them), for memory
    /// accounting.
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(bytes) => crate::alloc::allocation(bytes.len()),
            Repr::Growable(bytes) => {
                crate::alloc::allocation(bytes.capacity())
                    + crate::alloc::allocation(std::mem::size_of::<Vec<u8>>())
            }
        }
    }
}

impl AsRef<[u8]> for CompactBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::ops::Deref for CompactBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for CompactBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for CompactBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for CompactBytes {}

impl PartialOrd for CompactBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for CompactBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for CompactBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", bytes::Bytes::copy_from_slice(self.as_slice()))
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(bytes: &[u8]) -> Self {
        CompactBytes::new(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_round_trip() {
        for len in [0, 1, INLINE, INLINE + 1, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(CompactBytes::new(&bytes).as_slice(), &bytes[..]);
            assert_eq!(CompactBytes::from_vec(bytes.clone()).as_slice(), &bytes[..]);
        }
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
    }

    #[test]
    fn growable_bytes_change_in_place_and_compare_by_content() {
        for len in [0, 5, INLINE, 100] {
            let original: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut bytes = CompactBytes::new(&original);
            bytes.make_growable().extend_from_slice(b"tail");
            let mut expected = original.clone();
            expected.extend_from_slice(b"tail");
            assert_eq!(bytes.as_slice(), &expected[..]);
            assert_eq!(bytes, CompactBytes::new(&expected));
            bytes.make_growable()[0] = 0xff;
            assert_eq!(bytes[0], 0xff);
            assert!(bytes.heap_size() >= expected.len());
        }
    }

    #[test]
    fn hashes_like_a_slice() {
        use std::collections::HashMap;
        let mut map = HashMap::new();
        map.insert(CompactBytes::new(b"key"), 1);
        assert_eq!(map.get(&b"key"[..]), Some(&1));
    }
}
