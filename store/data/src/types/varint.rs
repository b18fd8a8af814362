//! What the flat encodings (listpacks, list nodes) share: element lengths as LEB128, and
//! 4-byte little-endian counts in their headers.

/// Longest LEB128 encoding of a `usize`.
pub(crate) const MAX: usize = 10;

/// Bytes LEB128 takes for `value`.
pub(crate) fn len(mut value: usize) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// `value` as LEB128, into `out`; returns the bytes used.
pub(crate) fn encode(mut value: usize, out: &mut [u8; MAX]) -> usize {
    let mut len = 0;
    while value >= 0x80 {
        out[len] = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
        len += 1;
    }
    out[len] = value as u8;
    len + 1
}

/// The LEB128 value at `at` and the bytes it takes. The buffers are only ever written by
/// [`encode`], so a value is always complete.
pub(crate) fn decode(buf: &[u8], at: usize) -> (usize, usize) {
    let (mut value, mut shift, mut pos) = (0usize, 0, at);
    loop {
        let byte = buf[pos];
        value |= usize::from(byte & 0x7f) << shift;
        pos += 1;
        if byte & 0x80 == 0 {
            return (value, pos - at);
        }
        shift += 7;
    }
}

/// The 4-byte count at `at`, or 0 when the buffer is too short (an empty encoding).
pub(crate) fn read_u32(buf: &[u8], at: usize) -> usize {
    match buf.get(at..at + 4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
        None => 0,
    }
}

/// Writes `value` as the 4-byte count at `at`.
pub(crate) fn write_u32(buf: &mut [u8], at: usize, value: usize) {
    let value = u32::try_from(value).expect("a flat encoding holds fewer than 2^32 bytes");
    buf[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for value in [0, 1, 127, 128, 16_383, 16_384, usize::MAX] {
            let mut out = [0; MAX];
            let used = encode(value, &mut out);
            assert_eq!(used, len(value), "{value}");
            assert_eq!(decode(&out, 0), (value, used), "{value}");
        }
    }
}
