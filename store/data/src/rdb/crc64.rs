//! Redis's CRC-64: the checksum that ends DUMP payloads and RDB files.
//!
//! It is the "Jones" CRC-64: polynomial `0xad93d23594c935a9`, input and output reflected, initial
//! value 0 and no final xor. Because there is no final xor, a checksum can be carried on over
//! more data by passing it back in as `crc`, which is how Redis checksums an RDB file as it
//! writes it.
//!
//! The bytes are folded eight at a time ("slicing by 8") with tables built at compile time, so
//! large values cost little more than copying them.

/// The polynomial with its bits reversed, as a reflected CRC shifts right.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0][b]` is the CRC of the single byte `b`; `TABLES[k][b]` is the same byte followed
/// by `k` zero bytes, which lets eight input bytes be folded with eight lookups.
const TABLES: [[u64; 256]; 8] = {
    let mut tables = [[0u64; 256]; 8];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][byte] = crc;
        byte += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut byte = 0;
        while byte < 256 {
            let previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            byte += 1;
        }
        k += 1;
    }
    tables
};

/// Carries the checksum `crc` over `data`, as Redis's `crc64(crc, data, len)`.
///
/// Start from 0: `crc64(0, data)` is the checksum of `data`, and
/// `crc64(crc64(0, a), b) == crc64(0, a ++ b)`.
pub fn crc64(crc: u64, data: &[u8]) -> u64 {
    let mut crc = crc;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Reflected CRCs consume the low byte first, so the word is read little-endian.
        let folded = crc ^ u64::from_le_bytes(word);
        crc = TABLES[7][(folded & 0xff) as usize]
            ^ TABLES[6][((folded >> 8) & 0xff) as usize]
            ^ TABLES[5][((folded >> 16) & 0xff) as usize]
            ^ TABLES[4][((folded >> 24) & 0xff) as usize]
            ^ TABLES[3][((folded >> 32) & 0xff) as usize]
            ^ TABLES[2][((folded >> 40) & 0xff) as usize]
            ^ TABLES[1][((folded >> 48) & 0xff) as usize]
            ^ TABLES[0][(folded >> 56) as usize];
    }
    for &byte in chunks.remainder() {
        crc = TABLES[0][((crc ^ u64::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook definition, one bit at a time, to check the tables against.
    fn bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &byte in data {
            crc ^= u64::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn matches_redis_check_value() {
        // Redis's own crc64 test vector.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn matches_redis_lorem_ipsum_value() {
        // Redis's second test vector; its C `sizeof` includes the terminating NUL.
        let text = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed \
do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis \
nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure \
dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. \
Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim \
id est laborum.\0";
        assert_eq!(crc64(0, text), 0xc779_4709_e696_83b3);
    }

    #[test]
    fn empty_input_leaves_the_checksum_alone() {
        assert_eq!(crc64(0, b""), 0);
        assert_eq!(crc64(0x1234, b""), 0x1234);
    }

    #[test]
    fn tables_agree_with_the_bitwise_definition_at_every_length() {
        let data: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(151) ^ 0x5a) as u8)
            .collect();
        for len in 0..data.len() {
            assert_eq!(
                crc64(0, &data[..len]),
                bitwise(0, &data[..len]),
                "len {len}"
            );
        }
    }

    #[test]
    fn checksums_carry_on_over_split_input() {
        let data = b"the quick brown fox jumps over the lazy dog, twice over";
        let whole = crc64(0, data);
        for split in 0..=data.len() {
            let (a, b) = data.split_at(split);
            assert_eq!(crc64(crc64(0, a), b), whole, "split at {split}");
        }
    }
}
