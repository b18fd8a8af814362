//! The bytes a stream node would take in Redis's own encoding, a listpack: radish decides
//! where one node of a stream ends and the next begins exactly as Redis does
//! (`stream-node-max-bytes` counts those bytes), so that XADD's and XTRIM's `~` trimming,
//! which removes whole nodes, leaves the same entries as in Redis.

use radish_resp::number::parse_i64_strict;

/// A listpack's header (total bytes, element count) and end byte.
pub(crate) const HEADER_AND_END: u64 = 7;

/// The bytes an integer element takes, its length suffix included.
pub(crate) fn int(value: i64) -> u64 {
    let encoded = match value {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    with_backlen(encoded)
}

/// The bytes a string element takes: as an integer when it reads as one (as Redis stores
/// it), its length suffix included.
pub(crate) fn string(bytes: &[u8]) -> u64 {
    if bytes.len() <= 20 {
        if let Some(value) = parse_i64_strict(bytes) {
            return int(value);
        }
    }
    let len = bytes.len() as u64;
    let encoded = match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    };
    with_backlen(encoded)
}

/// An element of `encoded` bytes and the suffix that gives its length backwards.
fn with_backlen(encoded: u64) -> u64 {
    encoded + crate::rdb::listpack::backlen_size(encoded) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_listpack_encodings() {
        assert_eq!(int(0), 2);
        assert_eq!(int(127), 2);
        assert_eq!(int(128), 3);
        assert_eq!(int(-1), 3);
        assert_eq!(int(4095), 3);
        assert_eq!(int(4096), 4);
        assert_eq!(int(i64::MIN), 10);
        assert_eq!(string(b"12"), 2);
        assert_eq!(string(b"012"), 5);
        assert_eq!(string(b""), 2);
        assert_eq!(string(&[b'a'; 63]), 65);
        assert_eq!(string(&[b'a'; 64]), 67);
        assert_eq!(string(&[b'a'; 126]), 130);
        assert_eq!(string(&[b'a'; 4096]), 4101 + 2);
    }
}
