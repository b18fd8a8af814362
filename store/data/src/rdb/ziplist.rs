//! Redis's ziplist, read only: how Redis before 7.0 packed small hashes, sorted sets and list
//! nodes, and so how DUMP payloads and RDB files of Redis 6.2 (RDB version 9) carry them.
//!
//! ```text
//! <total bytes: u32 LE> <offset of the last entry: u32 LE> <count: u16 LE, 65535 when larger>
//! <entry>... 0xFF
//! entry: <previous entry's size: 1 byte, or 0xFE and 4 bytes LE> <encoding> <data>
//! ```
//!
//! Redis 7.0 converts them to listpacks as it loads them; radish builds its own layouts from
//! the elements.

use super::listpack::{int_after_tag, string_at, Element};

/// Bytes of the header.
const HEADER: usize = 10;
/// The byte that ends a ziplist.
const END: u8 = 0xFF;
/// The first byte of a five-byte previous-size field.
const BIG_PREVLEN: u8 = 0xFE;
/// Count stored when the real count does not fit in 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// Reads a whole ziplist, checking it as Redis's deep integrity check does: the header's size,
/// last-entry offset and count agree with the entries, each entry's previous size is the
/// size of the one before it, and the end byte closes it. `None` if anything is wrong.
pub fn read(ziplist: &[u8]) -> Option<Vec<Element<'_>>> {
    if ziplist.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes(ziplist[..4].try_into().ok()?) as usize;
    let tail = u32::from_le_bytes(ziplist[4..8].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([ziplist[8], ziplist[9]]);
    if total != ziplist.len() || ziplist[total - 1] != END {
        return None;
    }
    let body = &ziplist[..total - 1];
    let mut elements = Vec::new();
    let mut at = HEADER;
    let mut previous_size = 0;
    let mut last_at = HEADER;
    while at < body.len() {
        let (prevlen, prevlen_size) = if body[at] == BIG_PREVLEN {
            let bytes = body.get(at + 1..at + 5)?;
            (u32::from_le_bytes(bytes.try_into().ok()?) as usize, 5)
        } else {
            (usize::from(body[at]), 1)
        };
        if prevlen != previous_size {
            return None;
        }
        let (element, used) = read_entry(&body[at + prevlen_size..])?;
        elements.push(element);
        last_at = at;
        previous_size = prevlen_size + used;
        at += previous_size;
    }
    let counted = count == COUNT_UNKNOWN || usize::from(count) == elements.len();
    (at == body.len() && tail == last_at && counted).then_some(elements)
}

/// Reads the encoding and data at the start of `input`: the element and the bytes taken.
fn read_entry(input: &[u8]) -> Option<(Element<'_>, usize)> {
    let first = *input.first()?;
    let int = |bytes| int_after_tag(input, bytes);
    let string = |skip, len| string_at(input, skip, len);
    match first >> 6 {
        0 => string(1, usize::from(first & 0x3F)),
        1 => string(
            2,
            (usize::from(first & 0x3F) << 8) | usize::from(*input.get(1)?),
        ),
        2 if first == 0x80 => {
            let len = u32::from_be_bytes(input.get(1..5)?.try_into().ok()?) as usize;
            string(5, len)
        }
        2 => None,
        _ => match first {
            0xC0 => Some((Element::Int(int(2)?), 3)),
            0xD0 => Some((Element::Int(int(4)?), 5)),
            0xE0 => Some((Element::Int(int(8)?), 9)),
            0xF0 => Some((Element::Int(int(3)?), 4)),
            0xFE => Some((Element::Int(int(1)?), 2)),
            0xF1..=0xFD => Some((Element::Int(i64::from(first & 0x0F) - 1), 1)),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::hex;

    #[test]
    fn reads_what_redis_6_2_wrote() {
        // RPUSH l a 7 300 -70000 5000000000 "" hello, as redis-server 6.2 packs it.
        let mut zl = vec![0u8; HEADER];
        let entries: Vec<Vec<u8>> = vec![
            hex("0161"),
            hex("f8"),
            hex("c02c01"),
            hex("f090eefe"),
            hex("e000f2052a01000000"),
            hex("00"),
            hex("0568656c6c6f"),
        ];
        let mut previous = 0usize;
        let mut tail = HEADER;
        for entry in &entries {
            tail = zl.len();
            zl.push(previous as u8);
            zl.extend_from_slice(entry);
            previous = 1 + entry.len();
        }
        zl.push(END);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        let read: Vec<Vec<u8>> = read(&zl)
            .expect("valid")
            .iter()
            .map(|e| e.to_vec())
            .collect();
        let expected: Vec<&[u8]> =
            vec![b"a", b"7", b"300", b"-70000", b"5000000000", b"", b"hello"];
        assert_eq!(read, expected);
        for cut in 0..zl.len() {
            assert!(super::read(&zl[..cut]).is_none(), "cut at {cut}");
        }
        let mut wrong_tail = zl.clone();
        wrong_tail[4] += 1;
        assert!(super::read(&wrong_tail).is_none());
    }
}
