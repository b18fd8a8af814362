//! Size and nesting limits for decoding untrusted input.

/// Limits that bound what a decoder accepts, so a peer cannot make it allocate without bound or
/// recurse without bound. The defaults are Redis 7's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string payload (Redis's `proto-max-bulk-len`, 512 MiB).
    pub max_bulk_len: usize,
    /// Most elements in one aggregate, or arguments in one request (Redis accepts up to
    /// `INT_MAX`). Memory is reserved as elements arrive, never up front from this count.
    pub max_aggregate_len: usize,
    /// Longest line (Redis's `PROTO_INLINE_MAX_SIZE`, 64 KiB): for [`Decoder`], the text after
    /// a line's type byte; for [`RequestDecoder`], an inline request up to its `\n`, or a `*`
    /// or `$` line up to its `\r`. A longer line is refused as soon as that is certain, even if
    /// its end arrived in the same read, so the outcome never depends on how input is split.
    ///
    /// [`Decoder`]: crate::Decoder
    /// [`RequestDecoder`]: crate::RequestDecoder
    pub max_line_len: usize,
    /// Deepest nesting of aggregates, an empty one included (hiredis caps this at 1024 too).
    /// Decoding never recurses, but dropping, comparing and encoding a frame do, once per
    /// level, so this keeps decoded frames safe to use.
    pub max_depth: usize,
    /// Most arguments in a request from a client that has not authenticated (Redis: 10).
    pub unauthenticated_max_args: usize,
    /// Largest bulk argument from a client that has not authenticated (Redis: 16384).
    pub unauthenticated_max_bulk_len: usize,
}

impl Limits {
    /// Redis 7's limits.
    pub const REDIS: Limits = Limits {
        max_bulk_len: 512 * 1024 * 1024,
        max_aggregate_len: i32::MAX as usize,
        max_line_len: 64 * 1024,
        max_depth: 1024,
        unauthenticated_max_args: 10,
        unauthenticated_max_bulk_len: 16 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::REDIS
    }
}
