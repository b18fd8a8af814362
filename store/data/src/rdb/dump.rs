//! The framing of DUMP and FUNCTION DUMP payloads: the RDB-encoded body, then a footer of the
//! RDB version (2 bytes, little-endian) and the CRC-64 of everything before it (8 bytes,
//! little-endian). RESTORE and FUNCTION RESTORE check the footer before reading the body.

use super::crc64::crc64;
use super::RDB_VERSION;

/// Bytes of the footer: the version and the checksum.
pub const DUMP_FOOTER_LEN: usize = 10;

/// Ends a DUMP payload: appends [`RDB_VERSION`] and the checksum of the body and version, as
/// Redis's `createDumpPayload`.
pub fn dump_footer(payload: &mut Vec<u8>) {
    payload.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, payload);
    payload.extend_from_slice(&crc.to_le_bytes());
}

/// Checks a DUMP payload's footer as Redis's `verifyDumpPayload`: it must be at least
/// [`DUMP_FOOTER_LEN`] bytes, carry an RDB version no newer than ours, and end with the
/// checksum of what precedes it (a stored checksum of 0 is not special). Returns the version;
/// the body is `&payload[..payload.len() - DUMP_FOOTER_LEN]`.
pub fn verify_dump_payload(payload: &[u8]) -> Option<u16> {
    let version = dump_payload_version(payload)?;
    let (checked, stored) = payload.split_at(payload.len() - 8);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(stored);
    (crc64(0, checked) == u64::from_le_bytes(crc)).then_some(version)
}

/// Checks only the length and version of a DUMP payload, for when checksum validation is
/// turned off (Redis's `DEBUG SET-SKIP-CHECKSUM-VALIDATION 1`). Returns the version.
pub fn dump_payload_version(payload: &[u8]) -> Option<u16> {
    let footer = payload.len().checked_sub(DUMP_FOOTER_LEN)?;
    let version = u16::from_le_bytes([payload[footer], payload[footer + 1]]);
    (version <= RDB_VERSION).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footer_round_trips() {
        let mut payload = vec![0x00, 0x03, b'f', b'o', b'o'];
        dump_footer(&mut payload);
        assert_eq!(payload.len(), 5 + DUMP_FOOTER_LEN);
        assert_eq!(&payload[5..7], &[10, 0]);
        assert_eq!(verify_dump_payload(&payload), Some(RDB_VERSION));
        assert_eq!(dump_payload_version(&payload), Some(RDB_VERSION));
    }

    #[test]
    fn refuses_bad_footers() {
        let mut payload = vec![0x00, 0x03, b'f', b'o', b'o'];
        dump_footer(&mut payload);

        // Any flipped bit fails the checksum.
        for byte in 0..payload.len() {
            let mut bad = payload.clone();
            bad[byte] ^= 0x01;
            assert_eq!(verify_dump_payload(&bad), None, "byte {byte}");
        }
        // Too short to hold a footer.
        for len in 0..DUMP_FOOTER_LEN {
            assert_eq!(verify_dump_payload(&payload[payload.len() - len..]), None);
            assert_eq!(dump_payload_version(&payload[payload.len() - len..]), None);
        }
        // A checksum of 0 is checked like any other.
        let mut zeroed = payload.clone();
        let len = zeroed.len();
        zeroed[len - 8..].fill(0);
        assert_eq!(verify_dump_payload(&zeroed), None);
    }

    #[test]
    fn version_may_be_older_but_not_newer() {
        for (version, accepted) in [
            (1u16, true),
            (9, true),
            (10, true),
            (11, false),
            (0x0100, false),
        ] {
            let mut payload = vec![0x00, 0x00];
            payload.extend_from_slice(&version.to_le_bytes());
            let crc = crc64(0, &payload);
            payload.extend_from_slice(&crc.to_le_bytes());
            assert_eq!(
                verify_dump_payload(&payload),
                accepted.then_some(version),
                "{version}"
            );
            assert_eq!(
                dump_payload_version(&payload[..]),
                accepted.then_some(version)
            );
        }
    }

    #[test]
    fn bare_footer_is_a_valid_empty_payload() {
        // FUNCTION DUMP with no libraries is just the footer.
        let mut payload = Vec::new();
        dump_footer(&mut payload);
        assert_eq!(payload.len(), DUMP_FOOTER_LEN);
        assert_eq!(verify_dump_payload(&payload), Some(RDB_VERSION));
    }
}
