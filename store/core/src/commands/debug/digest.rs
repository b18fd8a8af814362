//! DEBUG DIGEST and DIGEST-VALUE, computed as Redis 7.0 computes them: SHA-1 hashes XORed
//! together where order does not matter (keys, set members, hash fields, sorted set members)
//! and chained where it does (list elements, stream entries), so equal data gives Redis's own
//! digest.

use radish_data::hash::sha1::sha1;
use radish_data::types::stream::StreamId;
use radish_data::types::zset::score::format_score;
use radish_data::Value;
use radish_data::{Entry, Millis};

use crate::state::keyspace::Keyspace;

/// A digest: 20 bytes, all zeros for nothing.
pub(crate) type Digest = [u8; 20];

/// XORs the hash of `bytes` into `digest` (Redis's `xorDigest`).
fn xor(digest: &mut Digest, bytes: &[u8]) {
    for (byte, hashed) in digest.iter_mut().zip(sha1(bytes)) {
        *byte ^= hashed;
    }
}

/// XORs the hash of `bytes` into `digest`, then hashes `digest` itself (Redis's
/// `mixDigest`): the order of the calls matters.
fn mix(digest: &mut Digest, bytes: &[u8]) {
    xor(digest, bytes);
    *digest = sha1(digest);
}

/// Redis's type numbers (`OBJ_STRING`...), which the digest includes.
fn type_number(value: &Value) -> u32 {
    match value {
        Value::String(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::SortedSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// Adds a value, its type and whether it has a deadline to `digest` (Redis's
/// `xorObjectDigest`).
pub(crate) fn add_value(digest: &mut Digest, entry: &Entry, deadline: Option<Millis>) {
    mix(digest, &type_number(&entry.value).to_be_bytes());
    match &entry.value {
        Value::String(string) => mix(digest, &string.bytes),
        Value::List(list) => {
            for element in list.iter() {
                mix(digest, element);
            }
        }
        Value::Set(set) => {
            for member in set.iter() {
                xor(digest, member.as_bytes());
            }
        }
        Value::SortedSet(zset) => {
            for (member, score) in zset.iter() {
                let mut element = Digest::default();
                mix(&mut element, member);
                mix(&mut element, format_score(score).as_bytes());
                xor(digest, &element);
            }
        }
        Value::Hash(hash) => {
            for (field, value) in hash.iter() {
                let mut element = Digest::default();
                mix(&mut element, field);
                mix(&mut element, value);
                xor(digest, &element);
            }
        }
        Value::Stream(stream) => {
            for entry in stream.range(StreamId::MIN, StreamId::MAX, false) {
                mix(
                    digest,
                    format!("{}.{}", entry.id.ms, entry.id.seq).as_bytes(),
                );
                for (field, value) in entry.fields() {
                    mix(digest, field);
                    mix(digest, value);
                }
            }
        }
    }
    if deadline.is_some() {
        xor(digest, b"!!expire!!");
    }
}

/// The digest of every database (Redis's `computeDatasetDigest`). Keys whose deadline passed
/// but that are still stored count, as in Redis.
pub(crate) fn dataset(data: &mut Keyspace) -> Digest {
    let mut total = Digest::default();
    for index in 0..data.len() {
        let (_, entries) = data.db(index).persist_parts();
        if entries.is_empty() {
            continue;
        }
        mix(&mut total, &(index as u32).to_be_bytes());
        for (key, entry, deadline) in entries.iter() {
            let mut digest = Digest::default();
            mix(&mut digest, key);
            add_value(&mut digest, entry, deadline);
            xor(&mut total, &digest);
        }
    }
    total
}

/// A digest as the 40 hex digits DEBUG replies with.
pub(crate) fn hex(digest: &Digest) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
