//! MurmurHash64A, the 64-bit MurmurHash2 that Redis hashes HyperLogLog elements with.
//!
//! Redis reads the input's 8-byte blocks as little-endian words on every architecture, so the
//! hash (and with it every register an element lands in) is the same on any machine: the
//! bytes of an HLL made by one server count the same on another.

const M: u64 = 0xc6a4_a793_5bd1_e995;
const R: u32 = 47;

/// MurmurHash64A of `data` with `seed`.
pub fn murmur_hash_64a(data: &[u8], seed: u32) -> u64 {
    // Redis passes the length as a C `int`: the same for any element a client can send.
    let mut h = u64::from(seed) ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            h ^= u64::from(byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}
