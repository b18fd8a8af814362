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
