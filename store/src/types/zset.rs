//! A sorted set: members ordered by (score, member).

/// A sorted set: members ordered by (score, member).
#[derive(Debug, Clone, Default)]
pub struct SortedSet {}

impl SortedSet {
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
