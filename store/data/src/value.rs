//! What a key holds.

use radish_resp::number::parse_i64_strict;

use crate::compact::CompactBytes;
use crate::types::{hash::Hash, list::List, set::Set, stream::Stream, zset::SortedSet};

/// A key's value, 32 bytes: an aggregate is a pointer or two (its small encoding one
/// allocation, its large one boxed).
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (binary-safe).
    String(StringValue),
    /// A list.
    List(List),
    /// A hash.
    Hash(Hash),
    /// A set.
    Set(Set),
    /// A sorted set.
    SortedSet(SortedSet),
    /// A stream (boxed: it is larger than the other values, and rarer).
    Stream(Box<Stream>),
}

/// A string value, and how Redis would have encoded it (OBJECT ENCODING depends on how the
/// value was made, not only on its bytes).
#[derive(Debug, Clone)]
pub struct StringValue {
    /// The bytes.
    pub bytes: CompactBytes,
    /// How the value was made.
    pub origin: StringOrigin,
}

/// How a string value was made, which decides its OBJECT ENCODING as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringOrigin {
    /// Stored by SET and friends: `int` if it reads as an integer, `embstr` up to 44 bytes,
    /// `raw` above.
    Stored,
    /// Made by INCRBYFLOAT: `embstr` up to 44 bytes even when it reads as an integer.
    Created,
    /// Changed in place by APPEND or SETRANGE: always `raw`.
    Modified,
}

/// Longest string Redis encodes as `embstr`.
const EMBSTR_MAX: usize = 44;

impl StringValue {
    /// A value stored by SET and friends.
    pub fn stored(bytes: &[u8]) -> StringValue {
        StringValue {
            bytes: CompactBytes::new(bytes),
            origin: StringOrigin::Stored,
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        let len = self.bytes.len();
        match self.origin {
            StringOrigin::Modified => "raw",
            StringOrigin::Stored if len <= 20 && parse_i64_strict(&self.bytes).is_some() => "int",
            _ if len <= EMBSTR_MAX => "embstr",
            _ => "raw",
        }
    }
}

impl Value {
    /// A string value stored by SET and friends.
    pub fn string(bytes: &[u8]) -> Value {
        Value::String(StringValue::stored(bytes))
    }

    /// TYPE's answer.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::SortedSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::String(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::SortedSet(z) => z.encoding(),
            Value::Stream(s) => s.encoding(),
        }
    }

    /// Approximate heap bytes owned by the value, for memory accounting.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::String(s) => s.bytes.heap_size(),
            Value::List(l) => l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => s.heap_size(),
            Value::SortedSet(z) => z.heap_size(),
            Value::Stream(s) => s.heap_size(),
        }
    }
}

/// Heap bytes a value owns (an aggregate's large encoding counts its own box).
#[inline]
pub fn value_heap(value: &Value) -> usize {
    value.heap_size()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_encodings_follow_redis() {
        assert_eq!(StringValue::stored(b"123").encoding(), "int");
        assert_eq!(
            StringValue::stored(b"-9223372036854775808").encoding(),
            "int"
        );
        assert_eq!(StringValue::stored(b"0123").encoding(), "embstr");
        assert_eq!(StringValue::stored(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(StringValue::stored(&[b'a'; 45]).encoding(), "raw");
        let mut v = StringValue::stored(b"12");
        v.origin = StringOrigin::Created;
        assert_eq!(v.encoding(), "embstr");
        v.origin = StringOrigin::Modified;
        assert_eq!(v.encoding(), "raw");
    }
}
