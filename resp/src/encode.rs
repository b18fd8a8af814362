//! Encoding frames and requests, in RESP3 or lowered to RESP2.
//!
//! [`encode`] reserves the exact [`encoded_len`] once and then writes. The `write_*` functions
//! write one value or aggregate header at a time, for servers that stream replies straight
//! into an output buffer without building a [`Frame`] first.

use bytes::{BufMut, BytesMut};

use crate::frame::Frame;
use crate::number::{i64_len, u64_len, NumberText};

/// Which protocol version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// RESP2, what every connection speaks until `HELLO 3`.
    #[default]
    Resp2,
    /// RESP3.
    Resp3,
}

/// The exact number of bytes [`encode`] writes for `frame`.
pub fn encoded_len(frame: &Frame, version: Version) -> usize {
    let resp3 = version == Version::Resp3;
    match frame {
        Frame::SimpleString(text) | Frame::SimpleError(text) => 1 + text.len() + 2,
        Frame::Integer(value) => 1 + i64_len(*value) + 2,
        Frame::BulkString(data) => bulk_len(data.len()),
        Frame::Null => {
            if resp3 {
                3
            } else {
                5
            }
        }
        Frame::NullArray => {
            if resp3 {
                3
            } else {
                5
            }
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            header_len(items.len()) + items.iter().map(|f| encoded_len(f, version)).sum::<usize>()
        }
        Frame::Map(pairs) => {
            let count = if resp3 { pairs.len() } else { pairs.len() * 2 };
            header_len(count) + pairs_len(pairs, version)
        }
        Frame::Attribute { attributes, data } => {
            let own = if resp3 {
                header_len(attributes.len()) + pairs_len(attributes, version)
            } else {
                0
            };
            own + encoded_len(data, version)
        }
        Frame::Double(value) => {
            let text = NumberText::double(*value).as_bytes().len();
            if resp3 {
                1 + text + 2
            } else {
                bulk_len(text)
            }
        }
        Frame::Boolean(_) => 4,
        Frame::BigNumber(digits) => {
            if resp3 {
                1 + digits.len() + 2
            } else {
                bulk_len(digits.len())
            }
        }
        Frame::VerbatimString { text, .. } => {
            if resp3 {
                bulk_len(text.len() + 4)
            } else {
                bulk_len(text.len())
            }
        }
        Frame::BulkError(text) => {
            if resp3 {
                bulk_len(text.len())
            } else {
                1 + text.len() + 2
            }
        }
    }
}

fn pairs_len(pairs: &[(Frame, Frame)], version: Version) -> usize {
    pairs
        .iter()
        .map(|(k, v)| encoded_len(k, version) + encoded_len(v, version))
        .sum()
}

/// Length of `$<len>\r\n<payload>\r\n`.
const fn bulk_len(len: usize) -> usize {
    1 + u64_len(len as u64) + 2 + len + 2
}

/// Length of an aggregate header such as `*<count>\r\n`.
const fn header_len(count: usize) -> usize {
    1 + u64_len(count as u64) + 2
}

/// Appends `frame` to `out`, reserving the exact space first.
pub fn encode(frame: &Frame, version: Version, out: &mut BytesMut) {
    out.reserve(encoded_len(frame, version));
    write_frame(frame, version, out);
}

/// Appends `frame` to `out` without reserving first.
pub fn write_frame(frame: &Frame, version: Version, out: &mut BytesMut) {
    match frame {
        Frame::SimpleString(text) => write_simple(out, text),
        Frame::SimpleError(text) => write_error(out, text),
        Frame::Integer(value) => write_integer(out, *value),
        Frame::BulkString(data) => write_bulk(out, data),
        Frame::Null => write_null(out, version),
        Frame::NullArray => write_null_array(out, version),
        Frame::Array(items) => {
            write_array_len(out, items.len());
            items.iter().for_each(|f| write_frame(f, version, out));
        }
        Frame::Set(items) => {
            write_set_len(out, items.len(), version);
            items.iter().for_each(|f| write_frame(f, version, out));
        }
        Frame::Push(items) => {
            write_push_len(out, items.len(), version);
            items.iter().for_each(|f| write_frame(f, version, out));
        }
        Frame::Map(pairs) => {
            write_map_len(out, pairs.len(), version);
            write_pairs(pairs, version, out);
        }
        Frame::Attribute { attributes, data } => {
            if version == Version::Resp3 {
                write_header(out, b'|', attributes.len());
                write_pairs(attributes, version, out);
            }
            write_frame(data, version, out);
        }
        Frame::Double(value) => write_double(out, *value, version),
        Frame::Boolean(value) => write_boolean(out, *value, version),
        Frame::BigNumber(digits) => match version {
            Version::Resp3 => write_line(out, b'(', digits),
            Version::Resp2 => write_bulk(out, digits),
        },
        Frame::VerbatimString { format, text } => write_verbatim(out, format, text, version),
        Frame::BulkError(text) => match version {
            Version::Resp3 => write_bulk_with(out, b'!', text),
            Version::Resp2 => write_error(out, text),
        },
    }
}

fn write_pairs(pairs: &[(Frame, Frame)], version: Version, out: &mut BytesMut) {
    for (key, value) in pairs {
        write_frame(key, version, out);
        write_frame(value, version, out);
    }
}

/// Writes `<marker><text>\r\n`, replacing any `\r` or `\n` in `text` with a space as Redis does,
/// so a line can never be split.
fn write_line(out: &mut BytesMut, marker: u8, text: &[u8]) {
    out.put_u8(marker);
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
    } else {
        out.put_slice(text);
    }
    out.put_slice(b"\r\n");
}

fn write_header(out: &mut BytesMut, marker: u8, count: usize) {
    out.put_u8(marker);
    out.put_slice(NumberText::integer(count as i64).as_bytes());
    out.put_slice(b"\r\n");
}

fn write_bulk_with(out: &mut BytesMut, marker: u8, data: &[u8]) {
    write_header(out, marker, data.len());
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// Writes a simple string `+text\r\n`.
pub fn write_simple(out: &mut BytesMut, text: &[u8]) {
    write_line(out, b'+', text);
}

/// Writes a simple error from its whole line, e.g. `ERR syntax error`.
pub fn write_error(out: &mut BytesMut, line: &[u8]) {
    write_line(out, b'-', line);
}

/// Writes an integer `:n\r\n`.
pub fn write_integer(out: &mut BytesMut, value: i64) {
    write_line(out, b':', NumberText::integer(value).as_bytes());
}

/// Writes a bulk string `$len\r\ndata\r\n`.
pub fn write_bulk(out: &mut BytesMut, data: &[u8]) {
    write_bulk_with(out, b'$', data);
}

/// Writes the null reply: `_` in RESP3, the null bulk `$-1` in RESP2.
pub fn write_null(out: &mut BytesMut, version: Version) {
    out.put_slice(match version {
        Version::Resp3 => b"_\r\n",
        Version::Resp2 => b"$-1\r\n",
    });
}

/// Writes the null array reply: `_` in RESP3, `*-1` in RESP2.
pub fn write_null_array(out: &mut BytesMut, version: Version) {
    out.put_slice(match version {
        Version::Resp3 => b"_\r\n",
        Version::Resp2 => b"*-1\r\n",
    });
}

/// Writes an array header `*count\r\n`; the elements follow.
pub fn write_array_len(out: &mut BytesMut, count: usize) {
    write_header(out, b'*', count);
}

/// Writes a map header for `pairs` pairs: `%pairs` in RESP3, `*2·pairs` in RESP2.
pub fn write_map_len(out: &mut BytesMut, pairs: usize, version: Version) {
    match version {
        Version::Resp3 => write_header(out, b'%', pairs),
        Version::Resp2 => write_header(out, b'*', pairs * 2),
    }
}

/// Writes a set header: `~count` in RESP3, `*count` in RESP2.
pub fn write_set_len(out: &mut BytesMut, count: usize, version: Version) {
    match version {
        Version::Resp3 => write_header(out, b'~', count),
        Version::Resp2 => write_header(out, b'*', count),
    }
}

/// Writes a push header: `>count` in RESP3, `*count` in RESP2.
pub fn write_push_len(out: &mut BytesMut, count: usize, version: Version) {
    match version {
        Version::Resp3 => write_header(out, b'>', count),
        Version::Resp2 => write_header(out, b'*', count),
    }
}

/// Writes a double: `,text` in RESP3, a bulk string in RESP2.
pub fn write_double(out: &mut BytesMut, value: f64, version: Version) {
    write_double_text(out, NumberText::double(value).as_bytes(), version);
}

/// Writes a double already formatted as `text` (Redis prints some with `%.17g` or
/// `%.17Lf`): `,text` in RESP3, a bulk string in RESP2.
pub fn write_double_text(out: &mut BytesMut, text: &[u8], version: Version) {
    match version {
        Version::Resp3 => write_line(out, b',', text),
        Version::Resp2 => write_bulk(out, text),
    }
}

/// Writes a boolean: `#t`/`#f` in RESP3, the integer 1 or 0 in RESP2.
pub fn write_boolean(out: &mut BytesMut, value: bool, version: Version) {
    out.put_slice(match (version, value) {
        (Version::Resp3, true) => b"#t\r\n",
        (Version::Resp3, false) => b"#f\r\n",
        (Version::Resp2, true) => b":1\r\n",
        (Version::Resp2, false) => b":0\r\n",
    });
}

/// Writes a verbatim string `=len\r\nfmt:text\r\n` in RESP3, a bulk string of `text` in RESP2.
pub fn write_verbatim(out: &mut BytesMut, format: &[u8; 3], text: &[u8], version: Version) {
    match version {
        Version::Resp3 => {
            write_header(out, b'=', text.len() + 4);
            out.put_slice(format);
            out.put_u8(b':');
            out.put_slice(text);
            out.put_slice(b"\r\n");
        }
        Version::Resp2 => write_bulk(out, text),
    }
}

/// The exact number of bytes [`encode_request`] writes for `args`.
pub fn request_len<A: AsRef<[u8]>>(args: &[A]) -> usize {
    header_len(args.len())
        + args
            .iter()
            .map(|arg| bulk_len(arg.as_ref().len()))
            .sum::<usize>()
}

/// Appends a command as clients send it: an array of bulk strings. Reserves once.
pub fn encode_request<A: AsRef<[u8]>>(args: &[A], out: &mut BytesMut) {
    out.reserve(request_len(args));
    write_array_len(out, args.len());
    for arg in args {
        write_bulk(out, arg.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn both(frame: &Frame) -> (Vec<u8>, Vec<u8>) {
        let mut two = BytesMut::new();
        let mut three = BytesMut::new();
        encode(frame, Version::Resp2, &mut two);
        encode(frame, Version::Resp3, &mut three);
        assert_eq!(two.len(), encoded_len(frame, Version::Resp2));
        assert_eq!(three.len(), encoded_len(frame, Version::Resp3));
        (two.to_vec(), three.to_vec())
    }

    #[test]
    fn lowering_to_resp2_matches_redis() {
        let cases: Vec<(Frame, &[u8], &[u8])> = vec![
            (Frame::Null, b"$-1\r\n", b"_\r\n"),
            (Frame::NullArray, b"*-1\r\n", b"_\r\n"),
            (Frame::Boolean(true), b":1\r\n", b"#t\r\n"),
            (Frame::Double(1.5), b"$3\r\n1.5\r\n", b",1.5\r\n"),
            (
                Frame::Double(f64::NEG_INFINITY),
                b"$4\r\n-inf\r\n",
                b",-inf\r\n",
            ),
            (
                Frame::Map(vec![(Frame::bulk("a"), Frame::Integer(1))]),
                b"*2\r\n$1\r\na\r\n:1\r\n",
                b"%1\r\n$1\r\na\r\n:1\r\n",
            ),
            (
                Frame::Set(vec![Frame::bulk("x")]),
                b"*1\r\n$1\r\nx\r\n",
                b"~1\r\n$1\r\nx\r\n",
            ),
            (
                Frame::Push(vec![Frame::bulk("message")]),
                b"*1\r\n$7\r\nmessage\r\n",
                b">1\r\n$7\r\nmessage\r\n",
            ),
            (
                Frame::VerbatimString {
                    format: *b"txt",
                    text: Bytes::from_static(b"hi"),
                },
                b"$2\r\nhi\r\n",
                b"=6\r\ntxt:hi\r\n",
            ),
            (
                Frame::BigNumber(Bytes::from_static(b"-123")),
                b"$4\r\n-123\r\n",
                b"(-123\r\n",
            ),
            (
                Frame::BulkError(Bytes::from_static(b"ERR a\r\nb")),
                b"-ERR a  b\r\n",
                b"!8\r\nERR a\r\nb\r\n",
            ),
            (
                Frame::Attribute {
                    attributes: vec![(Frame::simple("ttl"), Frame::Integer(3))],
                    data: Box::new(Frame::Integer(7)),
                },
                b":7\r\n",
                b"|1\r\n+ttl\r\n:3\r\n:7\r\n",
            ),
        ];
        for (frame, two, three) in cases {
            let (got2, got3) = both(&frame);
            assert_eq!(got2, two, "{frame:?} RESP2");
            assert_eq!(got3, three, "{frame:?} RESP3");
        }
    }

    #[test]
    fn simple_lines_cannot_be_split() {
        let (two, _) = both(&Frame::SimpleString(Bytes::from_static(b"a\r\nb")));
        assert_eq!(two, b"+a  b\r\n");
    }

    #[test]
    fn requests_are_arrays_of_bulks() {
        let mut out = BytesMut::new();
        encode_request(&[&b"SET"[..], b"k", b""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        assert_eq!(out.len(), request_len(&[&b"SET"[..], b"k", b""]));
    }
}
