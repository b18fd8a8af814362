//! What SHA-1 and SHA-256 share (FIPS 180-4): the message cut into 64-byte blocks, padded
//! with a 1 bit, zeros and its length in bits, and the state read out as big-endian words.

/// Calls `compress` on each 64-byte block of `data`, padding included.
pub fn for_each_block(data: &[u8], mut compress: impl FnMut(&[u8])) {
    let mut blocks = data.chunks_exact(64);
    for block in &mut blocks {
        compress(block);
    }
    // The tail, a 1 bit, zeros, and the length in bits: one or two more blocks.
    let tail = blocks.remainder();
    let mut last = [0u8; 128];
    last[..tail.len()].copy_from_slice(tail);
    last[tail.len()] = 0x80;
    let padded = if tail.len() < 56 { 64 } else { 128 };
    let bits = (data.len() as u64).wrapping_mul(8);
    last[padded - 8..padded].copy_from_slice(&bits.to_be_bytes());
    for block in last[..padded].chunks_exact(64) {
        compress(block);
    }
}

/// The hash: the state's words, big-endian.
pub fn output<const BYTES: usize>(state: &[u32]) -> [u8; BYTES] {
    let mut out = [0u8; BYTES];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}
