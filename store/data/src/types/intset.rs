//! An intset: distinct integers, sorted, in one flat allocation at the smallest width that
//! holds them all (2, 4 or 8 bytes each), as Redis keeps sets of integers.
//!
//! Layout: one byte giving the width, then the integers, little-endian, ascending. An empty
//! intset allocates nothing. Every change reallocates once to the exact size; the width
//! grows when a wider integer arrives and, as in Redis, never shrinks.

/// Distinct integers in ascending order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IntSet(Box<[u8]>);

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The narrowest width (2, 4 or 8 bytes) that holds `value`.
fn width_of(value: i64) -> usize {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

impl IntSet {
    /// Bytes per integer.
    fn width(&self) -> usize {
        self.0.first().map_or(2, |&width| usize::from(width))
    }

    /// Number of integers.
    pub fn len(&self) -> usize {
        self.0.len().saturating_sub(1) / self.width()
    }

    /// True when there is no integer.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Heap bytes owned, as the allocator rounds them.
    pub fn heap_size(&self) -> usize {
        crate::alloc::allocation(self.0.len())
    }

    /// The integer at position `index` (ascending).
    pub fn get(&self, index: usize) -> Option<i64> {
        (index < self.len()).then(|| self.read(index, self.width()))
    }

    fn read(&self, index: usize, width: usize) -> i64 {
        let start = 1 + index * width;
        let bytes = &self.0[start..start + width];
        match width {
            2 => i64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
            4 => i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            _ => {
                let mut wide = [0; 8];
                wide.copy_from_slice(bytes);
                i64::from_le_bytes(wide)
            }
        }
    }

    /// Where `value` is, or where it would go.
    fn search(&self, value: i64) -> Result<usize, usize> {
        let width = self.width();
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.read(mid, width).cmp(&value) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    /// True if `value` is in the set.
    pub fn contains(&self, value: i64) -> bool {
        self.search(value).is_ok()
    }

    /// Adds `value`; true if it was not there.
    pub fn insert(&mut self, value: i64) -> bool {
        let Err(at) = self.search(value) else {
            return false;
        };
        let width = self.width().max(width_of(value));
        let len = self.len();
        let mut buf = Vec::with_capacity(1 + (len + 1) * width);
        buf.push(width as u8);
        let old_width = self.width();
        let mut push = |n: i64| buf.extend_from_slice(&n.to_le_bytes()[..width]);
        for index in 0..at {
            push(self.read(index, old_width));
        }
        push(value);
        for index in at..len {
            push(self.read(index, old_width));
        }
        self.0 = buf.into_boxed_slice();
        true
    }

    /// Removes `value`; true if it was there.
    pub fn remove(&mut self, value: i64) -> bool {
        match self.search(value) {
            Ok(at) => {
                self.remove_at(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Removes and returns the integer at position `index`.
    pub fn remove_at(&mut self, index: usize) -> Option<i64> {
        let value = self.get(index)?;
        if self.len() == 1 {
            self.0 = Box::default();
            return Some(value);
        }
        let width = self.width();
        let mut buf = std::mem::take(&mut self.0).into_vec();
        let start = 1 + index * width;
        buf.drain(start..start + width);
        self.0 = buf.into_boxed_slice();
        Some(value)
    }

    /// The intset as Redis lays it out: the width and the count as 32-bit little-endian
    /// numbers, then each integer at that width, little-endian.
    pub fn redis_blob(&self) -> Vec<u8> {
        let width = self.width();
        let mut blob = Vec::with_capacity(8 + width * self.len());
        blob.extend_from_slice(&(width as u32).to_le_bytes());
        blob.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for value in self.iter() {
            blob.extend_from_slice(&value.to_le_bytes()[..width]);
        }
        blob
    }

    /// An intset from Redis's layout (see [`IntSet::redis_blob`]), keeping its width as Redis
    /// does when it loads one. `None` unless the width is 2, 4 or 8, the count matches the
    /// size and the integers ascend strictly (Redis's `intsetValidateIntegrity`).
    pub fn from_redis_blob(blob: &[u8]) -> Option<IntSet> {
        let width = u32::from_le_bytes(blob.get(..4)?.try_into().ok()?) as usize;
        let count = u32::from_le_bytes(blob.get(4..8)?.try_into().ok()?) as usize;
        if ![2, 4, 8].contains(&width) || blob.len() != 8 + width.checked_mul(count)? {
            return None;
        }
        if count == 0 {
            return Some(IntSet::default());
        }
        let mut bytes = Vec::with_capacity(1 + width * count);
        bytes.push(width as u8);
        bytes.extend_from_slice(&blob[8..]);
        let ints = IntSet(bytes.into_boxed_slice());
        let ascending = (1..count).all(|i| ints.read(i - 1, width) < ints.read(i, width));
        ascending.then_some(ints)
    }

    /// Every integer, ascending.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        let width = self.width();
        (0..self.len()).map(move |index| self.read(index, width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ten_small_integers_take_21_bytes_and_the_width_grows_but_never_shrinks() {
        let mut set = IntSet::default();
        assert_eq!(set.heap_size(), 0);
        for n in 0..10 {
            assert!(set.insert(n));
        }
        assert_eq!(set.0.len(), 21);
        assert!(set.insert(1 << 40));
        assert_eq!(set.0.len(), 1 + 11 * 8);
        assert!(set.remove(1 << 40));
        assert_eq!(set.0.len(), 1 + 10 * 8);
        assert_eq!(set.iter().collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn behaves_like_a_btree_set(ops in proptest::collection::vec(
            (0u8..3, prop_oneof![-40i64..40, any::<i16>().prop_map(i64::from),
                any::<i32>().prop_map(i64::from), any::<i64>()]),
            1..200,
        )) {
            let mut set = IntSet::default();
            let mut model = std::collections::BTreeSet::new();
            for (op, value) in ops {
                match op {
                    0 => prop_assert_eq!(set.insert(value), model.insert(value)),
                    1 => prop_assert_eq!(set.remove(value), model.remove(&value)),
                    _ => {
                        let index = value.unsigned_abs() as usize % (model.len() + 1);
                        let expected = model.iter().nth(index).copied();
                        if let Some(n) = expected {
                            model.remove(&n);
                        }
                        prop_assert_eq!(set.remove_at(index), expected);
                    }
                }
                prop_assert_eq!(set.len(), model.len());
                prop_assert_eq!(set.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(set.contains(value), model.contains(&value));
                prop_assert_eq!(set.is_empty(), model.is_empty());
            }
        }
    }
}
