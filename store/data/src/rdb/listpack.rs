//! Redis's listpack, byte for byte: how Redis 7.0 packs small hashes, sorted sets, list
//! nodes and stream nodes, and so how DUMP payloads and RDB files carry them.
//!
//! ```text
//! <total bytes: u32 LE> <element count: u16 LE, 65535 when larger> <element>... 0xFF
//! element: <encoding and data> <backlen: the encoding's and data's length, 1 to 5 bytes>
//! ```
//!
//! An element is an integer (7, 13, 16, 24, 32 or 64 bits) when its text is a canonical
//! decimal integer, else a string with a 6-, 12- or 32-bit length. radish keeps its own
//! layouts in memory; these bytes are made only to be written, and read only to be loaded.

use radish_resp::number::parse_i64_strict;

/// Bytes of the header: total bytes and element count.
const HEADER: usize = 6;
/// The byte that ends a listpack.
const END: u8 = 0xFF;
/// Element count stored when the real count does not fit in 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;
/// Longest text that may read as an integer (Redis's `LONG_STR_SIZE` - 1).
const MAX_INTEGER_TEXT: usize = 20;

/// Builds a listpack by appending elements, as Redis's `lpAppend` does.
#[derive(Debug)]
pub struct ListpackWriter {
    bytes: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> ListpackWriter {
        ListpackWriter::new()
    }
}

impl ListpackWriter {
    /// An empty listpack.
    pub fn new() -> ListpackWriter {
        ListpackWriter {
            bytes: vec![0; HEADER],
            count: 0,
        }
    }

    /// Elements appended so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes the finished listpack will take.
    pub fn bytes(&self) -> usize {
        self.bytes.len() + 1
    }

    /// Appends `element`: as an integer when its text is a canonical one, as Redis does.
    pub fn push(&mut self, element: &[u8]) {
        if element.len() <= MAX_INTEGER_TEXT {
            if let Some(value) = parse_i64_strict(element) {
                self.push_int(value);
                return;
            }
        }
        let start = self.bytes.len();
        let len = element.len();
        if len < 64 {
            self.bytes.push(0x80 | len as u8);
        } else if len < 4096 {
            self.bytes
                .extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            self.bytes.push(0xF0);
            self.bytes.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.bytes.extend_from_slice(element);
        self.end_element(start);
    }

    /// Appends an integer in the narrowest encoding that holds it.
    pub fn push_int(&mut self, value: i64) {
        let start = self.bytes.len();
        match value {
            0..=127 => self.bytes.push(value as u8),
            -4096..=4095 => {
                let bits = (value as u64) & 0x1FFF;
                self.bytes
                    .extend_from_slice(&[0xC0 | (bits >> 8) as u8, bits as u8]);
            }
            -32_768..=32_767 => {
                self.bytes.push(0xF1);
                self.bytes.extend_from_slice(&(value as i16).to_le_bytes());
            }
            -8_388_608..=8_388_607 => {
                self.bytes.push(0xF2);
                self.bytes
                    .extend_from_slice(&(value as i32).to_le_bytes()[..3]);
            }
            -2_147_483_648..=2_147_483_647 => {
                self.bytes.push(0xF3);
                self.bytes.extend_from_slice(&(value as i32).to_le_bytes());
            }
            _ => {
                self.bytes.push(0xF4);
                self.bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        self.end_element(start);
    }

    /// Appends the back length of the element that began at `start`.
    fn end_element(&mut self, start: usize) {
        let len = (self.bytes.len() - start) as u64;
        write_backlen(&mut self.bytes, len);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.push(END);
        let total = self.bytes.len() as u32;
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count)
            .ok()
            .filter(|&c| c != COUNT_UNKNOWN)
            .unwrap_or(COUNT_UNKNOWN);
        self.bytes[4..6].copy_from_slice(&count.to_le_bytes());
        self.bytes
    }
}

/// Bytes of the back length of an element whose encoding and data take `len` bytes.
pub(crate) fn backlen_size(len: u64) -> usize {
    match len {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Appends the back length of an element whose encoding and data take `len` bytes.
fn write_backlen(out: &mut Vec<u8>, len: u64) {
    let groups = backlen_size(len);
    for group in (0..groups).rev() {
        let bits = ((len >> (7 * group)) & 127) as u8;
        // Every byte but the first has its high bit set.
        out.push(if group == groups - 1 {
            bits
        } else {
            bits | 128
        });
    }
}

/// One element as read from a listpack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element<'a> {
    /// A string element.
    Bytes(&'a [u8]),
    /// An integer element.
    Int(i64),
}

impl Element<'_> {
    /// The element as text, as Redis hands it out: integers in decimal.
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Element::Bytes(bytes) => bytes.to_vec(),
            Element::Int(value) => value.to_string().into_bytes(),
        }
    }

    /// The element as an integer: an integer element, or a string that reads as one.
    pub fn as_int(self) -> Option<i64> {
        match self {
            Element::Int(value) => Some(value),
            Element::Bytes(bytes) => parse_i64_strict(bytes),
        }
    }
}

/// Reads a whole listpack, checking it as Redis's deep integrity check does: the header's
/// total matches, every element lies inside and its back length agrees, the end byte is
/// there and nothing follows, and the header's count (unless 65535) is the real count.
/// `None` if anything is wrong.
pub fn read(listpack: &[u8]) -> Option<Vec<Element<'_>>> {
    if listpack.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes(listpack[..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([listpack[4], listpack[5]]);
    if total != listpack.len() || listpack[total - 1] != END {
        return None;
    }
    let mut elements = Vec::new();
    let mut at = HEADER;
    while at < total - 1 {
        let (element, used) = read_element(&listpack[at..total - 1])?;
        let backlen_at = at + used;
        let backlen = backlen_size(used as u64);
        let mut expected = Vec::with_capacity(5);
        write_backlen(&mut expected, used as u64);
        if listpack.get(backlen_at..backlen_at + backlen)? != &expected[..] {
            return None;
        }
        elements.push(element);
        at = backlen_at + backlen;
    }
    if at != total - 1 || (count != COUNT_UNKNOWN && usize::from(count) != elements.len()) {
        return None;
    }
    Some(elements)
}

/// The little-endian integer of `bytes` bytes (sign-extended) after the tag byte that starts
/// `input`, as listpacks and ziplists store their integers.
pub(super) fn int_after_tag(input: &[u8], bytes: usize) -> Option<i64> {
    let data = input.get(1..1 + bytes)?;
    let mut wide = [0u8; 8];
    wide[..bytes].copy_from_slice(data);
    let shift = 64 - 8 * bytes as u32;
    Some((i64::from_le_bytes(wide) << shift) >> shift)
}

/// The string element of `len` bytes at `skip` in `input`, and the bytes taken up to its end.
pub(super) fn string_at(input: &[u8], skip: usize, len: usize) -> Option<(Element<'_>, usize)> {
    let data = input.get(skip..skip.checked_add(len)?)?;
    Some((Element::Bytes(data), skip + len))
}

/// Reads the element at the start of `input`: the element and the bytes its encoding and
/// data take.
fn read_element(input: &[u8]) -> Option<(Element<'_>, usize)> {
    let first = *input.first()?;
    let int = |bytes| int_after_tag(input, bytes);
    let string = |skip, len| string_at(input, skip, len);
    match first {
        0x00..=0x7F => Some((Element::Int(i64::from(first)), 1)),
        0x80..=0xBF => string(1, usize::from(first & 0x3F)),
        0xC0..=0xDF => {
            let bits = (u64::from(first & 0x1F) << 8) | u64::from(*input.get(1)?);
            // Sign-extend the 13 bits.
            Some((Element::Int(((bits << 51) as i64) >> 51), 2))
        }
        0xE0..=0xEF => {
            let len = (usize::from(first & 0x0F) << 8) | usize::from(*input.get(1)?);
            string(2, len)
        }
        0xF0 => {
            let len = u32::from_le_bytes(input.get(1..5)?.try_into().ok()?) as usize;
            string(5, len)
        }
        0xF1 => Some((Element::Int(int(2)?), 3)),
        0xF2 => Some((Element::Int(int(3)?), 4)),
        0xF3 => Some((Element::Int(int(4)?), 5)),
        0xF4 => Some((Element::Int(int(8)?), 9)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_take_redis_encodings() {
        // From redis-server 7.0.15: DUMP of HSET h a 1 (a listpack hash).
        let mut writer = ListpackWriter::new();
        writer.push(b"a");
        writer.push(b"1");
        assert_eq!(
            writer.finish(),
            [0x0C, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xFF]
        );
    }

    #[test]
    fn every_encoding_round_trips() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let texts: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-4097".to_vec(),
            b"32767".to_vec(),
            b"-32769".to_vec(),
            b"8388607".to_vec(),
            b"-8388609".to_vec(),
            b"2147483647".to_vec(),
            b"-2147483649".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"01".to_vec(),
            b"".to_vec(),
            b"hello".to_vec(),
            mid.clone(),
            long.clone(),
        ];
        let mut writer = ListpackWriter::new();
        for text in &texts {
            writer.push(text);
        }
        let expected_bytes = writer.bytes();
        let bytes = writer.finish();
        assert_eq!(bytes.len(), expected_bytes);
        let read = read(&bytes).expect("valid");
        let back: Vec<Vec<u8>> = read.iter().map(|e| e.to_vec()).collect();
        assert_eq!(back, texts);
        assert_eq!(read[0], Element::Int(0));
        assert_eq!(read[15], Element::Bytes(b"01"));
    }

    #[test]
    fn back_lengths_match_redis_boundaries() {
        for (len, bytes) in [
            (1u64, vec![1u8]),
            (127, vec![127]),
            (128, vec![1, 128]),
            (16_382, vec![127, 254]),
            (16_383, vec![0, 255, 255]),
        ] {
            let mut out = Vec::new();
            write_backlen(&mut out, len);
            assert_eq!(out, bytes, "{len}");
        }
    }

    #[test]
    fn corrupt_listpacks_are_refused() {
        let mut writer = ListpackWriter::new();
        writer.push(b"field");
        writer.push(b"300");
        let good = writer.finish();
        assert!(read(&good).is_some());
        for cut in 0..good.len() {
            assert!(read(&good[..cut]).is_none(), "cut at {cut}");
        }
        for byte in 0..good.len() {
            let mut bad = good.clone();
            bad[byte] ^= 0x40;
            // Any flip either fails or still reads as a consistent listpack.
            if let Some(elements) = read(&bad) {
                assert_eq!(elements.len(), 2);
            }
        }
        let mut wrong_count = good.clone();
        wrong_count[4] = 3;
        assert!(read(&wrong_count).is_none());
    }
}
