//! The hash functions Redis's replies are made of: SHA-1 (DEBUG DIGEST, and script ids) and
//! SHA-256 (what ACL shows of passwords).

mod blocks;
pub mod sha1;
pub mod sha256;
