//! Memory accounting: what keys and values cost, close to what the allocator hands out.
//!
//! Each database keeps the heap bytes of its keys and values up to date as they change (every
//! value type reports its heap size in O(1)), and adds the cost of its tables when asked, so
//! `used_memory` costs a handful of additions per database to read: cheap enough to check
//! before every command when `maxmemory` is set.

/// Bytes glibc's malloc takes for a `len`-byte request: the request plus its 8-byte header,
/// rounded up to 16, and never less than its 32-byte minimum chunk.
#[inline]
pub fn allocation(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    ((len + 8 + 15) & !15).max(32)
}

/// Bytes a hash table's index costs per slot of capacity: a `usize` and a control byte, with
/// buckets at most 7/8 full.
const INDEX_SLOT: usize = 10;

/// Bytes of an insertion-ordered hash table (`IndexMap`, `IndexSet`) of `len` entries of
/// type `T` (hash, key, value) with room for `capacity`. Entries are counted as they are
/// stored rather than by capacity: the unused tail of a large table's entry vector is never
/// touched, so it costs address space but no memory. The index is filled in when allocated.
pub fn table<T>(len: usize, capacity: usize) -> usize {
    len * std::mem::size_of::<T>() + capacity * INDEX_SLOT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_round_like_malloc() {
        assert_eq!(allocation(0), 0);
        assert_eq!(allocation(1), 32);
        assert_eq!(allocation(24), 32);
        assert_eq!(allocation(25), 48);
        assert_eq!(allocation(100), 112);
    }
}
