//! The incremental frame decoder: any RESP2 or RESP3 reply (or request) into a [`Frame`].
//!
//! Decoding runs in two passes. The scan pass walks the buffer once, checking syntax and
//! limits and recording tokens (offsets and parsed numbers). It remembers where it stopped, so
//! when more bytes arrive it resumes instead of rescanning from the start, and while it waits
//! for a bulk payload it does nothing until enough bytes are there. Once a whole frame is
//! scanned, its bytes are split off the input and frozen, and the build pass turns the tokens
//! into frames whose payloads are slices of that one frozen buffer. Neither pass recurses, so
//! deeply nested input cannot overflow the stack.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::frame::Frame;
use crate::limits::Limits;
use crate::number::{parse_double_field, parse_i64_field};

/// Decodes frames from a growing buffer. See the [module docs](self).
///
/// ```
/// use bytes::BytesMut;
/// use radish_resp::{Decoder, Frame};
///
/// let mut decoder = Decoder::new();
/// let mut buf = BytesMut::from(&b"$5\r\nhel"[..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // needs more bytes
/// buf.extend_from_slice(b"lo\r\n:1\r\n");
/// assert_eq!(decoder.decode(&mut buf), Ok(Some(Frame::bulk("hello"))));
/// assert_eq!(&buf[..], b":1\r\n"); // the next frame is left in place
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    scan: Scan,
}

#[derive(Debug, Default)]
struct Scan {
    /// Bytes of the current frame already turned into tokens.
    pos: usize,
    /// Bytes after `pos` already searched for a line ending without finding one.
    searched: usize,
    /// Do not scan again until the buffer holds this many bytes.
    need: usize,
    tokens: Vec<Token>,
    open: Vec<Open>,
}

#[derive(Debug, Clone, Copy)]
enum Open {
    /// A sized aggregate still waiting for this many elements.
    Remaining(usize),
    /// A streamed aggregate (ended by `.`) and the elements seen so far.
    Streamed { map: bool, seen: usize },
    /// A streamed string (ended by `;0`).
    StreamedString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Array,
    Set,
    Push,
    Map,
    Attribute,
}

#[derive(Debug, Clone)]
enum Token {
    Simple(Range<usize>),
    Error(Range<usize>),
    BigNumber(Range<usize>),
    Bulk(Range<usize>),
    BulkError(Range<usize>),
    Verbatim([u8; 3], Range<usize>),
    Integer(i64),
    Double(f64),
    Boolean(bool),
    Null,
    NullArray,
    /// A sized aggregate of this many elements (a map's keys and values counted apart, an
    /// attribute's pairs plus the frame it describes).
    Aggregate(Kind, usize),
    StreamedAggregate(Kind),
    End,
    StreamedString,
    Chunk(Range<usize>),
    StringEnd,
}

impl Decoder {
    /// A decoder with Redis's default limits.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder with the given limits.
    pub fn with_limits(limits: Limits) -> Decoder {
        Decoder {
            limits,
            scan: Scan::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes the next frame from the front of `buf`, removing its bytes.
    ///
    /// Returns `Ok(None)` when `buf` does not yet hold a whole frame; call again after adding
    /// bytes to the same buffer (bytes already scanned are not scanned again). Bytes after the
    /// frame are left in `buf`. After an error the stream cannot be resynchronised: close it,
    /// or [`reset`](Decoder::reset) before decoding unrelated input.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        if !self.scan.run(buf, &self.limits)? {
            return Ok(None);
        }
        let frozen = buf.split_to(self.scan.pos).freeze();
        let frame = build(&frozen, self.scan.tokens.drain(..));
        self.scan.reset();
        Ok(Some(frame))
    }

    /// Forgets any partly scanned frame.
    pub fn reset(&mut self) {
        self.scan.reset();
        self.scan.tokens.clear();
    }
}

impl Scan {
    fn reset(&mut self) {
        self.pos = 0;
        self.searched = 0;
        self.need = 0;
        self.open.clear();
    }

    /// Scans on from `pos`; true once a whole frame has been tokenised.
    fn run(&mut self, buf: &[u8], limits: &Limits) -> Result<bool, Error> {
        if buf.len() < self.need {
            return Ok(false);
        }
        loop {
            let Some(&marker) = buf.get(self.pos) else {
                return Ok(false);
            };
            check_marker(marker, self.open.last())?;
            let Some(line_end) = self.find_line_end(buf, limits)? else {
                return Ok(false);
            };
            let body = &buf[self.pos + 1..line_end];
            let after = line_end + 2;
            let token = match marker {
                b'+' => Token::Simple(self.pos + 1..line_end),
                b'-' => Token::Error(self.pos + 1..line_end),
                b':' => Token::Integer(parse_i64_field(body).ok_or(Error::InvalidInteger)?),
                b',' => Token::Double(parse_double_field(body).ok_or(Error::InvalidDouble)?),
                b'#' => match body {
                    b"t" => Token::Boolean(true),
                    b"f" => Token::Boolean(false),
                    _ => return Err(Error::InvalidBoolean),
                },
                b'_' if body.is_empty() => Token::Null,
                b'_' => return Err(Error::InvalidNull),
                b'(' => {
                    let digits = match body {
                        [b'-' | b'+', rest @ ..] => rest,
                        _ => body,
                    };
                    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                        return Err(Error::InvalidBigNumber);
                    }
                    Token::BigNumber(self.pos + 1..line_end)
                }
                b'$' if body == b"?" => {
                    self.open_aggregate(Open::StreamedString, limits)?;
                    self.advance(after, Token::StreamedString);
                    continue;
                }
                b'$' if body == b"-1" => Token::Null,
                b'$' | b'!' | b'=' | b';' => {
                    let len = parse_i64_field(body)
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= limits.max_bulk_len)
                        .ok_or(if marker == b';' {
                            Error::InvalidStreamChunk
                        } else {
                            Error::InvalidBulkLength
                        })?;
                    if marker == b';' && len == 0 {
                        self.open.pop();
                        Token::StringEnd
                    } else {
                        let end = after + len + 2;
                        if buf.len() < end {
                            self.need = end;
                            return Ok(false);
                        }
                        if &buf[end - 2..end] != b"\r\n" {
                            return Err(Error::ExpectedCrlf);
                        }
                        let payload = after..after + len;
                        let token = match marker {
                            b'$' => Token::Bulk(payload),
                            b'!' => Token::BulkError(payload),
                            b';' => Token::Chunk(payload),
                            _ => {
                                if len < 4 || buf[after + 3] != b':' {
                                    return Err(Error::InvalidVerbatim);
                                }
                                let format = [buf[after], buf[after + 1], buf[after + 2]];
                                Token::Verbatim(format, after + 4..after + len)
                            }
                        };
                        self.advance(end, token);
                        if marker == b';' {
                            continue;
                        }
                        if self.value_done() {
                            return Ok(true);
                        }
                        continue;
                    }
                }
                b'.' => {
                    if !body.is_empty() {
                        return Err(Error::ExpectedCrlf);
                    }
                    if let Some(Open::Streamed { map: true, seen }) = self.open.last() {
                        if seen % 2 != 0 {
                            return Err(Error::UnevenStreamedMap);
                        }
                    }
                    self.open.pop();
                    Token::End
                }
                b'*' if body == b"-1" => Token::NullArray,
                _ => {
                    // Aggregates: * ~ > % |
                    let kind = match marker {
                        b'*' => Kind::Array,
                        b'~' => Kind::Set,
                        b'>' => Kind::Push,
                        b'%' => Kind::Map,
                        _ => Kind::Attribute,
                    };
                    if body == b"?" && matches!(kind, Kind::Array | Kind::Set | Kind::Map) {
                        let map = kind == Kind::Map;
                        self.open_aggregate(Open::Streamed { map, seen: 0 }, limits)?;
                        self.advance(after, Token::StreamedAggregate(kind));
                        continue;
                    }
                    let count = parse_i64_field(body)
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= limits.max_aggregate_len)
                        .ok_or(Error::InvalidMultibulkLength)?;
                    let elements = match kind {
                        Kind::Map => count.checked_mul(2),
                        Kind::Attribute => count.checked_mul(2).and_then(|n| n.checked_add(1)),
                        _ => Some(count),
                    }
                    .ok_or(Error::InvalidMultibulkLength)?;
                    if elements > 0 {
                        self.open_aggregate(Open::Remaining(elements), limits)?;
                        self.advance(after, Token::Aggregate(kind, elements));
                        continue;
                    }
                    Token::Aggregate(kind, 0)
                }
            };
            self.advance(after, token);
            if self.value_done() {
                return Ok(true);
            }
        }
    }

    fn advance(&mut self, to: usize, token: Token) {
        self.tokens.push(token);
        self.pos = to;
        self.searched = 0;
    }

    fn open_aggregate(&mut self, open: Open, limits: &Limits) -> Result<(), Error> {
        if self.open.len() >= limits.max_depth {
            return Err(Error::NestingTooDeep);
        }
        self.open.push(open);
        Ok(())
    }

    /// Records that a value just ended; true when it ended the whole frame.
    fn value_done(&mut self) -> bool {
        loop {
            match self.open.last_mut() {
                None => return true,
                Some(Open::Remaining(left)) => {
                    *left -= 1;
                    if *left > 0 {
                        return false;
                    }
                    self.open.pop();
                }
                Some(Open::Streamed { seen, .. }) => {
                    *seen += 1;
                    return false;
                }
                // Chunks are not values; a string's end pops it before this is called.
                Some(Open::StreamedString) => return false,
            }
        }
    }

    /// Finds the `\r` of the line starting at `pos`, searching only bytes not searched before.
    fn find_line_end(&mut self, buf: &[u8], limits: &Limits) -> Result<Option<usize>, Error> {
        let from = self.pos + self.searched;
        match buf[from..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let newline = from + offset;
                if newline == self.pos || buf[newline - 1] != b'\r' || newline - 1 == self.pos {
                    return Err(Error::ExpectedCrlf);
                }
                if newline - 1 - self.pos > limits.max_line_len {
                    return Err(Error::LineTooLong);
                }
                Ok(Some(newline - 1))
            }
            None => {
                self.searched = buf.len() - self.pos;
                // The last byte may be the line's `\r`; anything before it is surely content.
                if self.searched.saturating_sub(1) > limits.max_line_len {
                    return Err(Error::LineTooLong);
                }
                Ok(None)
            }
        }
    }
}

/// Rejects a byte that cannot start the next line, as soon as it arrives.
fn check_marker(marker: u8, open: Option<&Open>) -> Result<(), Error> {
    let in_string = matches!(open, Some(Open::StreamedString));
    let allowed = match marker {
        b';' => in_string,
        b'.' => matches!(open, Some(Open::Streamed { .. })),
        b'+' | b'-' | b':' | b'$' | b'*' | b'_' | b',' | b'#' | b'(' | b'!' | b'=' | b'%'
        | b'~' | b'|' | b'>' => !in_string,
        _ => false,
    };
    match (allowed, in_string) {
        (true, _) => Ok(()),
        (false, true) => Err(Error::InvalidStreamChunk),
        (false, false) => Err(Error::InvalidTypeByte(marker)),
    }
}

struct Building {
    kind: Kind,
    /// Elements still expected; `None` for a streamed aggregate.
    remaining: Option<usize>,
    items: Vec<Frame>,
}

/// Turns one whole frame's tokens into a frame. Tokens are known to be well formed.
fn build(frozen: &Bytes, tokens: impl Iterator<Item = Token>) -> Frame {
    let mut stack: Vec<Building> = Vec::new();
    let mut string = BytesMut::new();
    for token in tokens {
        let mut value = match token {
            Token::Simple(r) => Frame::SimpleString(frozen.slice(r)),
            Token::Error(r) => Frame::SimpleError(frozen.slice(r)),
            Token::BigNumber(r) => Frame::BigNumber(frozen.slice(r)),
            Token::Bulk(r) => Frame::BulkString(frozen.slice(r)),
            Token::BulkError(r) => Frame::BulkError(frozen.slice(r)),
            Token::Verbatim(format, r) => Frame::VerbatimString {
                format,
                text: frozen.slice(r),
            },
            Token::Integer(n) => Frame::Integer(n),
            Token::Double(d) => Frame::Double(d),
            Token::Boolean(b) => Frame::Boolean(b),
            Token::Null => Frame::Null,
            Token::NullArray => Frame::NullArray,
            Token::Aggregate(kind, 0) => finish(kind, Vec::new()),
            Token::Aggregate(kind, len) => {
                stack.push(Building {
                    kind,
                    remaining: Some(len),
                    // The count is untrusted: grow as elements arrive beyond a modest start.
                    items: Vec::with_capacity(len.min(1024)),
                });
                continue;
            }
            Token::StreamedAggregate(kind) => {
                stack.push(Building {
                    kind,
                    remaining: None,
                    items: Vec::new(),
                });
                continue;
            }
            Token::End => {
                let done = stack.pop().expect("scan matched every end to a start");
                finish(done.kind, done.items)
            }
            Token::StreamedString => {
                string.clear();
                continue;
            }
            Token::Chunk(r) => {
                string.extend_from_slice(&frozen[r]);
                continue;
            }
            Token::StringEnd => Frame::BulkString(string.split().freeze()),
        };
        loop {
            let Some(top) = stack.last_mut() else {
                return value;
            };
            top.items.push(value);
            match &mut top.remaining {
                Some(left) => {
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    let done = stack.pop().expect("top exists");
                    value = finish(done.kind, done.items);
                }
                None => break,
            }
        }
    }
    unreachable!("scan only completes after the outermost value")
}

fn finish(kind: Kind, items: Vec<Frame>) -> Frame {
    match kind {
        Kind::Array => Frame::Array(items),
        Kind::Set => Frame::Set(items),
        Kind::Push => Frame::Push(items),
        Kind::Map => Frame::Map(pairs(items)),
        Kind::Attribute => {
            let mut items = items;
            let data = items.pop().expect("an attribute always has its data");
            Frame::Attribute {
                attributes: pairs(items),
                data: Box::new(data),
            }
        }
    }
}

fn pairs(items: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        out.push((key, value));
    }
    out
}
