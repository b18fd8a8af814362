//! The aggregate value types: lists, hashes, sets, sorted sets and streams.

pub mod hash;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod set;
pub mod stream;
mod varint;
pub mod zset;

/// The sizes past which Redis changes an aggregate's encoding for good: its `*-max-*`
/// parameters, read from the configuration in force when an aggregate grows (as Redis reads
/// them), so CONFIG SET applies to keys that already exist.
///
/// The encoding is more than a label: a listpack hash keeps insertion order and is scanned
/// in one call, a listpack sorted set prints scores as its stored text, an intset is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingLimits {
    /// `hash-max-listpack-entries`: more fields make a hashtable.
    pub hash_entries: usize,
    /// `hash-max-listpack-value`: a longer field or value makes a hashtable.
    pub hash_value: usize,
    /// `set-max-intset-entries`: more members make a hashtable.
    pub set_intset_entries: usize,
    /// `zset-max-listpack-entries`: more members make a skiplist.
    pub zset_entries: usize,
    /// `zset-max-listpack-value`: a longer member makes a skiplist.
    pub zset_value: usize,
    /// `list-max-listpack-size`: how full a list node gets, in elements when positive, in
    /// bytes when negative (-1 for 4 KiB ... -5 for 64 KiB).
    pub list_fill: i64,
    /// `stream-node-max-bytes`: a stream node this large (in Redis's encoding) takes no
    /// further entry; 0 for no limit but Redis's own.
    pub stream_node_bytes: u64,
    /// `stream-node-max-entries`: a stream node with this many entries (deleted ones
    /// included) takes no further entry; 0 for no limit.
    pub stream_node_entries: u64,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog string that would grow past this many
    /// bytes (its header included) turns dense.
    pub hll_sparse_bytes: usize,
}

impl Default for EncodingLimits {
    fn default() -> EncodingLimits {
        EncodingLimits::REDIS_DEFAULTS
    }
}

impl EncodingLimits {
    /// Redis 7.0's built-in defaults (its sample redis.conf sets a smaller hash limit).
    pub const REDIS_DEFAULTS: EncodingLimits = EncodingLimits {
        hash_entries: 512,
        hash_value: 64,
        set_intset_entries: 512,
        zset_entries: 128,
        zset_value: 64,
        list_fill: -2,
        stream_node_bytes: 4096,
        stream_node_entries: 100,
        hll_sparse_bytes: 3000,
    };
}

/// Turns Redis's inclusive `start..=end` (negative counts from the end) into positions
/// within an aggregate of `len` elements, clamped as LRANGE, LTRIM, ZRANGE and
/// ZREMRANGEBYRANK do; `None` when the range holds nothing.
pub fn clamp_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}
