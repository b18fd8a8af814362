//! ACL GENPASS's random hex digits, drawn the way Redis's `getRandomHexChars` draws them:
//! SHA-256 of a secret seed and a counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use radish_data::hash::sha256::{digest, to_hex};

/// 32 secret bytes read once from the system's random source. Where there is none, hash keys
/// (which std seeds from the system's randomness) and the process id, as Redis falls back to
/// the time and pid (the store reads no clock).
fn seed() -> &'static [u8; 32] {
    static SEED: OnceLock<[u8; 32]> = OnceLock::new();
    SEED.get_or_init(|| {
        use std::io::Read as _;
        let mut seed = [0u8; 32];
        let from_system = std::fs::File::open("/dev/urandom")
            .and_then(|mut file| file.read_exact(&mut seed))
            .is_ok();
        if !from_system {
            let mut material = Vec::new();
            for _ in 0..4 {
                use std::hash::{BuildHasher as _, Hasher as _};
                let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
                hasher.write_u32(std::process::id());
                material.extend_from_slice(&hasher.finish().to_le_bytes());
            }
            seed = digest(&material);
        }
        seed
    })
}

/// `count` random lower-case hex digits: each 32 bytes are the SHA-256 of the secret seed and
/// a counter that never repeats.
pub(super) fn random_hex(count: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut text = String::with_capacity(count + 64);
    while text.len() < count {
        let mut input = seed().to_vec();
        let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
        input.extend_from_slice(&counter.to_le_bytes());
        text.push_str(&to_hex(&digest(&input)));
    }
    text.truncate(count);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_has_the_length_asked_and_varies() {
        for count in [1, 2, 63, 64, 65, 1024] {
            let text = random_hex(count);
            assert_eq!(text.len(), count);
            assert!(text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
        assert_ne!(random_hex(64), random_hex(64));
    }
}
