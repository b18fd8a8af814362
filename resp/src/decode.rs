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

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Error;
use crate::frame::Frame;
use crate::limits::Limits;
use crate::number::{parse_double_field, parse_i64_field};

/// Decodes frames from a growing buffer.
///
/// A scan pass checks syntax and limits and records tokens, resuming where it stopped when more
/// bytes arrive (and waiting without looking while a bulk payload arrives). Once a whole frame
/// is there, a build pass makes the frame, whose payloads are slices of the input. Neither pass
/// recurses, so deep input cannot overflow the stack.
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
    /// The build pass's stack of unfinished aggregates, kept to reuse its allocation.
    stack: Vec<Building>,
}

#[derive(Debug, Default)]
struct Scan {
    /// Bytes of the current frame already turned into tokens.
    pos: usize,
    /// Bytes after `pos` already searched for a line ending without finding one.
    searched: usize,
    /// Do not scan again until the buffer holds this many bytes.
    need: usize,
    /// Tokens that refer to bytes of the frame (payloads and lines), so the build pass knows
    /// which one is the last.
    uses: usize,
    tokens: Vec<Token>,
    /// A frame that is one value, as most replies are, kept here instead of in `tokens`.
    leaf: Option<Token>,
    open: Vec<Open>,
}

#[derive(Debug, Clone, Copy)]
enum Open {
    /// A sized aggregate still waiting for this many elements.
    Remaining(usize),
    /// A streamed aggregate (ended by `.`) and the elements seen so far.
    Streamed { map: bool, seen: usize },
    /// A streamed string (ended by `;0`) and its length so far.
    StreamedString { len: usize },
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
            stack: Vec::new(),
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
        let frame = match self.scan.leaf.take() {
            Some(token) => {
                let uses = usize::from(token.uses_bytes());
                let frozen = Slicer { frozen, uses };
                build(frozen, std::iter::once(token), &mut self.stack)
            }
            None => {
                let frozen = Slicer {
                    frozen,
                    uses: self.scan.uses,
                };
                build(frozen, self.scan.tokens.drain(..), &mut self.stack)
            }
        };
        self.scan.reset();
        Ok(Some(frame))
    }

    /// Forgets any partly scanned frame.
    pub fn reset(&mut self) {
        self.scan.reset();
        self.scan.tokens.clear();
        self.scan.leaf = None;
    }
}

impl Scan {
    fn reset(&mut self) {
        self.pos = 0;
        self.searched = 0;
        self.need = 0;
        self.uses = 0;
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
            self.check_streamed_count(marker, limits)?;
            // Most lines are short numbers (`$5`, `*3`, `:42`): read those in one pass. The
            // general search runs otherwise, or again if it has already started on this line.
            let quick = match self.searched {
                0 => quick_number(buf, self.pos + 1)
                    .filter(|&(_, cr)| cr - self.pos - 1 <= limits.max_line_len),
                _ => None,
            };
            let (line_end, number) = match quick {
                Some((value, cr)) => (cr, Some(value)),
                None => match self.find_line_end(buf, limits)? {
                    Some(cr) => (cr, None),
                    None => return Ok(false),
                },
            };
            let body = &buf[self.pos + 1..line_end];
            let parse_number = |body: &[u8]| number.or_else(|| parse_i64_field(body));
            let after = line_end + 2;
            // Each arm either gives a whole value and where it ends, or records a token that
            // opens or continues something (an aggregate, a streamed string) and continues.
            let (token, end) = match marker {
                b'+' => (Token::Simple(self.pos + 1..line_end), after),
                b'-' => (Token::Error(self.pos + 1..line_end), after),
                b':' => {
                    let value = parse_number(body).ok_or(Error::InvalidInteger)?;
                    (Token::Integer(value), after)
                }
                b',' => {
                    let value = parse_double_field(body).ok_or(Error::InvalidDouble)?;
                    (Token::Double(value), after)
                }
                b'#' => match body {
                    b"t" => (Token::Boolean(true), after),
                    b"f" => (Token::Boolean(false), after),
                    _ => return Err(Error::InvalidBoolean),
                },
                b'_' if body.is_empty() => (Token::Null, after),
                b'_' => return Err(Error::InvalidNull),
                b'(' => {
                    let digits = match body {
                        [b'-' | b'+', rest @ ..] => rest,
                        _ => body,
                    };
                    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                        return Err(Error::InvalidBigNumber);
                    }
                    (Token::BigNumber(self.pos + 1..line_end), after)
                }
                b'$' if body == b"?" => {
                    // A string is a leaf, so a streamed one does not count towards the depth.
                    self.open.push(Open::StreamedString { len: 0 });
                    self.advance(after, Token::StreamedString);
                    continue;
                }
                b'$' if body == b"-1" => (Token::Null, after),
                b'$' | b'!' | b'=' | b';' => {
                    let invalid = if marker == b';' {
                        Error::InvalidStreamChunk
                    } else {
                        Error::InvalidBulkLength
                    };
                    let len = parse_number(body)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or(invalid)?;
                    // A streamed string is bounded as a whole, not chunk by chunk.
                    let total = if marker == b';' {
                        self.streamed_string_len().saturating_add(len)
                    } else {
                        len
                    };
                    if total > limits.max_bulk_len {
                        return Err(Error::InvalidBulkLength);
                    }
                    if marker == b';' {
                        if len == 0 {
                            self.open.pop();
                            (Token::StringEnd, after)
                        } else {
                            let Some(payload) = self.payload(buf, after, len)? else {
                                return Ok(false);
                            };
                            if let Some(Open::StreamedString { len }) = self.open.last_mut() {
                                *len = total;
                            }
                            self.advance(payload.end + 2, Token::Chunk(payload));
                            continue;
                        }
                    } else {
                        let Some(payload) = self.payload(buf, after, len)? else {
                            return Ok(false);
                        };
                        let end = payload.end + 2;
                        let token = match marker {
                            b'$' => Token::Bulk(payload),
                            b'!' => Token::BulkError(payload),
                            _ => {
                                if len < 4 || buf[after + 3] != b':' {
                                    return Err(Error::InvalidVerbatim);
                                }
                                let format = [buf[after], buf[after + 1], buf[after + 2]];
                                Token::Verbatim(format, after + 4..payload.end)
                            }
                        };
                        (token, end)
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
                    (Token::End, after)
                }
                b'*' if body == b"-1" => (Token::NullArray, after),
                _ => {
                    // Aggregates: * ~ > % |
                    let kind = match marker {
                        b'*' => Kind::Array,
                        b'~' => Kind::Set,
                        b'>' => Kind::Push,
                        b'%' => Kind::Map,
                        _ => Kind::Attribute,
                    };
                    if self.open.len() >= limits.max_depth {
                        // Checked before the count, and for empty aggregates too: the limit
                        // is on how many aggregates sit inside one another.
                        return Err(Error::NestingTooDeep);
                    }
                    if body == b"?" && matches!(kind, Kind::Array | Kind::Set | Kind::Map) {
                        let map = kind == Kind::Map;
                        self.open.push(Open::Streamed { map, seen: 0 });
                        self.advance(after, Token::StreamedAggregate(kind));
                        continue;
                    }
                    let count = parse_number(body)
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
                        self.open.push(Open::Remaining(elements));
                        self.advance(after, Token::Aggregate(kind, elements));
                        continue;
                    }
                    (Token::Aggregate(kind, 0), after)
                }
            };
            if self.open.is_empty() && self.tokens.is_empty() {
                // The whole frame is this one value: skip the token list.
                self.pos = end;
                self.leaf = Some(token);
                return Ok(true);
            }
            self.advance(end, token);
            if self.value_done() {
                return Ok(true);
            }
        }
    }

    /// The range of a `len`-byte payload starting at `start`, once it and its `\r\n` have
    /// arrived. Until then, records how many bytes to wait for so nothing is scanned again.
    fn payload(
        &mut self,
        buf: &[u8],
        start: usize,
        len: usize,
    ) -> Result<Option<Range<usize>>, Error> {
        let end = start + len + 2;
        if buf.len() < end {
            self.need = end;
            return Ok(None);
        }
        if &buf[end - 2..end] != b"\r\n" {
            return Err(Error::ExpectedCrlf);
        }
        Ok(Some(start..start + len))
    }

    /// Bytes of the streamed string being read, so far.
    fn streamed_string_len(&self) -> usize {
        match self.open.last() {
            Some(Open::StreamedString { len }) => *len,
            _ => 0,
        }
    }

    /// A streamed aggregate has no count up front, so its length limit is checked as each
    /// element starts.
    fn check_streamed_count(&self, marker: u8, limits: &Limits) -> Result<(), Error> {
        if let Some(&Open::Streamed { map, seen }) = self.open.last() {
            let max = if map {
                limits.max_aggregate_len.saturating_mul(2)
            } else {
                limits.max_aggregate_len
            };
            if marker != b'.' && seen >= max {
                return Err(Error::InvalidMultibulkLength);
            }
        }
        Ok(())
    }

    fn advance(&mut self, to: usize, token: Token) {
        if token.uses_bytes() {
            self.uses += 1;
        }
        self.tokens.push(token);
        self.pos = to;
        self.searched = 0;
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
                Some(Open::StreamedString { .. }) => return false,
            }
        }
    }

    /// Finds the `\r` ending the line that starts at `pos`, searching only bytes not searched
    /// before. A line's body may hold neither `\r` nor `\n`: RESP forbids them there, and
    /// accepting them would decode lines that no encoder can write back.
    fn find_line_end(&mut self, buf: &[u8], limits: &Limits) -> Result<Option<usize>, Error> {
        let from = self.pos + self.searched;
        let Some(offset) = buf[from..].iter().position(|&b| b == b'\r' || b == b'\n') else {
            self.searched = buf.len() - self.pos;
            // All but the type byte is body; checked now so a peer cannot make us buffer an
            // endless line.
            if self.searched - 1 > limits.max_line_len {
                return Err(Error::LineTooLong);
            }
            return Ok(None);
        };
        let cr = from + offset;
        // The same test as above, so the outcome does not depend on how input was split.
        if cr - self.pos - 1 > limits.max_line_len {
            return Err(Error::LineTooLong);
        }
        if buf[cr] == b'\n' {
            return Err(Error::ExpectedCrlf);
        }
        match buf.get(cr + 1) {
            Some(b'\n') => Ok(Some(cr)),
            Some(_) => Err(Error::ExpectedCrlf),
            None => {
                // Look at this `\r` again once the next byte is here.
                self.searched = cr - self.pos;
                Ok(None)
            }
        }
    }
}

/// Rejects a byte that cannot start the next line, as soon as it arrives.
fn check_marker(marker: u8, open: Option<&Open>) -> Result<(), Error> {
    let in_string = matches!(open, Some(Open::StreamedString { .. }));
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

/// The fast path for a line that is an optional `-` and 1 to 18 digits, whose `\r\n` has
/// arrived: its value and the index of its `\r`. Anything else (longer numbers, signs,
/// incomplete or malformed lines) is left to the general path, which agrees on every line
/// accepted here.
fn quick_number(buf: &[u8], start: usize) -> Option<(i64, usize)> {
    let negative = buf.get(start) == Some(&b'-');
    let digits = start + usize::from(negative);
    let mut end = digits;
    let mut value: i64 = 0;
    while let Some(&byte) = buf.get(end) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        // 18 digits cannot overflow an i64.
        if end - digits == 18 {
            return None;
        }
        value = value * 10 + i64::from(digit);
        end += 1;
    }
    if end == digits || buf.get(end) != Some(&b'\r') || buf.get(end + 1) != Some(&b'\n') {
        return None;
    }
    Some((if negative { -value } else { value }, end))
}

impl Token {
    /// Whether the build pass reads this token's bytes from the frame.
    fn uses_bytes(&self) -> bool {
        matches!(
            self,
            Token::Simple(_)
                | Token::Error(_)
                | Token::BigNumber(_)
                | Token::Bulk(_)
                | Token::BulkError(_)
                | Token::Verbatim(..)
                | Token::Chunk(_)
        )
    }
}

/// Hands out slices of one frame's bytes. Each slice costs an atomic reference count
/// increment (and later a decrement), so the last slice takes the buffer itself instead.
struct Slicer {
    frozen: Bytes,
    /// Tokens that will still read `frozen`.
    uses: usize,
}

impl Slicer {
    #[inline]
    fn slice(&mut self, range: Range<usize>) -> Bytes {
        self.uses -= 1;
        if self.uses > 0 {
            return self.frozen.slice(range);
        }
        let mut last = std::mem::take(&mut self.frozen);
        last.truncate(range.end);
        last.advance(range.start);
        last
    }

    fn bytes(&mut self, range: Range<usize>) -> &[u8] {
        self.uses -= 1;
        &self.frozen[range]
    }
}

#[derive(Debug)]
struct Building {
    kind: Kind,
    /// Elements still expected; `None` for a streamed aggregate.
    remaining: Option<usize>,
    items: Vec<Frame>,
}

/// Turns one whole frame's tokens into a frame. Tokens are known to be well formed. `stack`
/// is empty, and is left empty.
fn build(
    mut frozen: Slicer,
    tokens: impl Iterator<Item = Token>,
    stack: &mut Vec<Building>,
) -> Frame {
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
                string.extend_from_slice(frozen.bytes(r));
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
