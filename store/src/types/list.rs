//! A list: Redis's LPUSH/RPUSH family. Reports OBJECT ENCODING `quicklist`, as Redis 7.0 does.

/// A list: Redis's LPUSH/RPUSH family. Reports OBJECT ENCODING `quicklist`, as Redis 7.0 does.
#[derive(Debug, Clone, Default)]
pub struct List {}

impl List {
    /// Number of elements.
    pub fn len(&self) -> usize {
        0
    }

    /// True when empty (an empty aggregate is deleted, as in Redis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer, as Redis 7.0 reports it.
    pub fn encoding(&self) -> &'static str {
        "unknown"
    }

    /// Approximate heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        0
    }
}
