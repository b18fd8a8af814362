//! The aggregate value types: lists, hashes, sets and sorted sets.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;
