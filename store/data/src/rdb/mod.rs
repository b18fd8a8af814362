//! The low-level pieces of Redis's RDB format, byte-compatible with Redis 7.0: its CRC-64
//! ([`crc64`]), LZF compression ([`lzf`]), the length and string encodings ([`string`]),
//! listpacks ([`listpack`]) and, to read Redis 6.2's, ziplists ([`ziplist`]), every value type in the encodings Redis writes ([`object`]) and
//! the framing of DUMP payloads ([`dump`]).
//!
//! DUMP/RESTORE and FUNCTION DUMP/RESTORE exchange these bytes with real Redis servers and
//! clients that keep them, so the writers produce exactly what Redis 7.0.15 writes (the tests
//! hold payloads taken from one), and the readers accept what it accepts while refusing
//! corrupt input with `None` rather than panicking.

pub mod crc64;
pub mod dump;
pub mod file;
pub mod listpack;
pub mod lzf;
pub mod object;
pub mod string;
pub mod ziplist;

pub use dump::{dump_footer, dump_payload_version, verify_dump_payload, DUMP_FOOTER_LEN};
pub use string::{read_length, read_plain_length, read_string, write_length, write_string, Length};

/// The RDB format version we write, Redis 7.0's. Payloads and files of this version or older
/// are read.
pub const RDB_VERSION: u16 = 10;

/// Object type byte of a string value, which starts its DUMP payload.
pub const RDB_TYPE_STRING: u8 = 0;

/// Opcode before each function library's code in FUNCTION DUMP payloads and RDB files.
pub const RDB_OPCODE_FUNCTION2: u8 = 245;

#[cfg(test)]
mod redis_vectors;

/// Bytes from hex text, for tests that hold bytes taken from redis-server.
#[cfg(test)]
pub(crate) fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}
