//! Server-side request decoding: each command's arguments, from a multibulk array of bulk
//! strings or from an inline command line, with Redis's rules and error texts.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Error;
use crate::inline::split_inline;
use crate::limits::Limits;
use crate::number::parse_i64_strict;

/// A request [`RequestDecoder::next_request`] decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// A multibulk request: the buffer's first `len` bytes, its arguments at
    /// [`RequestDecoder::ranges`] in them. Advance the buffer by `len` once done with them.
    InPlace {
        /// Bytes of the request at the front of the buffer.
        len: usize,
    },
    /// An inline command, whose arguments had to be unquoted: already taken off the buffer.
    Owned(Vec<Bytes>),
}

/// How far the general multibulk path got.
enum Multibulk {
    /// The request has not all arrived.
    Incomplete,
    /// `*0` or `*-1`: skipped.
    Empty,
    /// The request ends after this many bytes.
    Complete(usize),
}

/// Decodes client requests into argument vectors, the way Redis's `processMultibulkBuffer`
/// and `processInlineBuffer` do.
///
/// A request starting with `*` is an array of bulk strings; anything else is an inline command
/// line ending in `\n` (or `\r\n`). Empty requests (`*0`, `*-1`, a blank line) are skipped.
/// As in Redis, a line holding a NUL byte before its end never ends (Redis searches with C's
/// `strchr`), so only the line limit stops it.
/// Arguments are slices of the input buffer. Progress through a partly received request is
/// kept, so each byte is examined once however the request is split across reads.
///
/// ```
/// use bytes::BytesMut;
/// use radish_resp::RequestDecoder;
///
/// let mut decoder = RequestDecoder::new();
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n"[..]);
/// assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), vec!["GET", "k"]);
/// assert_eq!(decoder.decode(&mut buf).unwrap().unwrap(), vec!["PING"]);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None);
/// ```
#[derive(Debug)]
pub struct RequestDecoder {
    limits: Limits,
    authenticated: bool,
    /// Bytes of the current request already consumed into `args` or headers.
    pos: usize,
    /// Bytes after `pos` already searched for a line ending.
    searched: usize,
    /// Arguments still expected, once the `*` line has been read.
    remaining: Option<usize>,
    /// Length of the bulk whose `$` line has been read but whose payload has not arrived.
    bulk_len: Option<usize>,
    args: Vec<std::ops::Range<usize>>,
}

impl Default for RequestDecoder {
    fn default() -> Self {
        RequestDecoder::with_limits(Limits::default())
    }
}

impl RequestDecoder {
    /// A decoder with Redis's default limits, for an authenticated client.
    pub fn new() -> RequestDecoder {
        RequestDecoder::default()
    }

    /// A decoder with the given limits, for an authenticated client.
    pub fn with_limits(limits: Limits) -> RequestDecoder {
        RequestDecoder {
            limits,
            authenticated: true,
            pos: 0,
            searched: 0,
            remaining: None,
            bulk_len: None,
            args: Vec::new(),
        }
    }

    /// Whether the client has authenticated. Until it has, Redis's tighter limits apply:
    /// at most [`Limits::unauthenticated_max_args`] arguments and
    /// [`Limits::unauthenticated_max_bulk_len`] bytes per argument.
    pub fn set_authenticated(&mut self, authenticated: bool) {
        self.authenticated = authenticated;
    }

    /// Decodes the next request from the front of `buf`, removing its bytes.
    ///
    /// Returns `Ok(None)` when no whole request is buffered yet. After an error, reply with
    /// `-ERR <error>` and close the connection: the stream cannot be resynchronised.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, Error> {
        Ok(match self.next_request(buf)? {
            None => None,
            Some(Request::Owned(args)) => Some(args),
            Some(Request::InPlace { len }) => Some(self.take_request(buf, len)),
        })
    }

    /// Decodes the next request at the front of `buf`, leaving a multibulk request's bytes in
    /// place: its arguments are [`ranges`](RequestDecoder::ranges) of the buffer's first
    /// `len` bytes, to be borrowed, after which the caller advances the buffer by `len`.
    /// Borrowing them costs nothing, where each `Bytes` slice of [`decode`] costs an atomic
    /// reference count update and its drop another.
    ///
    /// Returns `Ok(None)` when no whole request is buffered yet. After an error, reply with
    /// `-ERR <error>` and close the connection: the stream cannot be resynchronised.
    ///
    /// [`decode`]: RequestDecoder::decode
    pub fn next_request(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, Error> {
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            if self.remaining.is_none() && buf[0] != b'*' {
                match self.decode_inline(buf)? {
                    Some(args) if args.is_empty() => continue,
                    Some(args) => return Ok(Some(Request::Owned(args))),
                    None => return Ok(None),
                }
            }
            // Here `buf` starts with `*`, or a request is under way.
            if self.remaining.is_none() && self.searched == 0 {
                if let Some(end) = self.quick_request(buf) {
                    return Ok(Some(Request::InPlace { len: end }));
                }
            }
            match self.decode_multibulk(buf)? {
                Multibulk::Incomplete => return Ok(None),
                Multibulk::Empty => continue,
                Multibulk::Complete(end) => return Ok(Some(Request::InPlace { len: end })),
            }
        }
    }

    /// Bytes at the front of the buffer that a request not yet complete has had parsed: its
    /// `*` line, and each argument complete so far with its `$` line; 0 between requests.
    /// Redis moves those into the request's arguments as they arrive, so its query buffer
    /// (CLIENT LIST's `qbuf`) holds only what follows them.
    pub fn parsed(&self) -> usize {
        if self.remaining.is_some() {
            self.pos
        } else {
            0
        }
    }

    /// The arguments of the request [`next_request`](RequestDecoder::next_request) last
    /// returned in place, as ranges of the buffer.
    pub fn ranges(&self) -> &[std::ops::Range<usize>] {
        &self.args
    }

    /// The fast path for the usual request: all of it buffered, every count canonical, every
    /// element a bulk string, all within the limits. Records the arguments and returns where
    /// the request ends; anything else is left to the general path (which then reads these
    /// bytes once more, but only this once: it keeps its progress, and this path is only tried
    /// at the start of a request).
    fn quick_request(&mut self, buf: &[u8]) -> Option<usize> {
        let limits = &self.limits;
        let (max_args, max_bulk) = if self.authenticated {
            (limits.max_aggregate_len, limits.max_bulk_len)
        } else {
            (
                limits
                    .max_aggregate_len
                    .min(limits.unauthenticated_max_args),
                limits.max_bulk_len.min(limits.unauthenticated_max_bulk_len),
            )
        };
        let (count, cr) = quick_count(buf, 1)?;
        let count = usize::try_from(count).ok()?;
        if cr > limits.max_line_len || count == 0 || count > max_args || count > i32::MAX as usize {
            return None;
        }
        self.args.clear();
        let mut pos = cr + 2;
        for _ in 0..count {
            if buf.get(pos) != Some(&b'$') {
                return None;
            }
            let (len, cr) = quick_count(buf, pos + 1)?;
            let len = usize::try_from(len).ok()?;
            if cr - pos > limits.max_line_len || len > max_bulk {
                return None;
            }
            let start = cr + 2;
            // Like Redis, the two bytes after the payload are skipped, not checked.
            if buf.len() < start + len + 2 {
                return None;
            }
            self.args.push(start..start + len);
            pos = start + len + 2;
        }
        Some(pos)
    }

    fn decode_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, Error> {
        let from = self.searched;
        let found = buf[from..].iter().position(|&b| b == b'\n' || b == 0);
        let newline = match found {
            Some(offset) if buf[from + offset] == b'\n' => from + offset,
            // No `\n` yet, or a NUL before it: Redis finds the line end with C's `strchr`,
            // which stops at a NUL, so such a line never ends and only the size limit applies.
            other => {
                self.searched = other.map_or(buf.len(), |offset| from + offset);
                if buf.len() > self.limits.max_line_len {
                    return Err(Error::TooBigInlineRequest);
                }
                return Ok(None);
            }
        };
        // The same test as above, applied even when the line end arrived in the same read, so
        // the outcome does not depend on how the input was split.
        if newline > self.limits.max_line_len {
            return Err(Error::TooBigInlineRequest);
        }
        self.searched = 0;
        let line_len = if newline > 0 && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let line = buf.split_to(newline + 1).freeze().slice(..line_len);
        split_inline(&line).map(Some)
    }

    fn decode_multibulk(&mut self, buf: &mut BytesMut) -> Result<Multibulk, Error> {
        if self.remaining.is_none() {
            let Some((line_end, number)) = self.header(buf, Error::TooBigMultibulkCount)? else {
                return Ok(Multibulk::Incomplete);
            };
            let count = number
                .or_else(|| parse_i64_strict(&buf[1..line_end]))
                .filter(|&n| n <= i32::MAX as i64 && n <= self.limits.max_aggregate_len as i64)
                .ok_or(Error::InvalidMultibulkLength)?;
            if !self.authenticated && count > self.limits.unauthenticated_max_args as i64 {
                return Err(Error::UnauthenticatedMultibulkLength);
            }
            self.pos = line_end + 2;
            self.searched = 0;
            if count <= 0 {
                buf.advance(self.pos);
                self.pos = 0;
                return Ok(Multibulk::Empty);
            }
            self.remaining = Some(count as usize);
            self.args.clear();
            self.args.reserve((count as usize).min(1024));
        }
        while let Some(remaining) = self.remaining.filter(|&n| n > 0) {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some((line_end, number)) = self.header(buf, Error::TooBigBulkCount)? else {
                        return Ok(Multibulk::Incomplete);
                    };
                    let marker = buf[self.pos];
                    if marker != b'$' {
                        return Err(Error::ExpectedBulk(marker));
                    }
                    let len = number
                        .or_else(|| parse_i64_strict(&buf[self.pos + 1..line_end]))
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= self.limits.max_bulk_len)
                        .ok_or(Error::InvalidBulkLength)?;
                    if !self.authenticated && len > self.limits.unauthenticated_max_bulk_len {
                        return Err(Error::UnauthenticatedBulkLength);
                    }
                    self.pos = line_end + 2;
                    self.searched = 0;
                    self.bulk_len = Some(len);
                    len
                }
            };
            // Like Redis, the two bytes after the payload are skipped, not checked.
            if buf.len() < self.pos + len + 2 {
                return Ok(Multibulk::Incomplete);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.bulk_len = None;
            self.remaining = Some(remaining - 1);
        }
        let end = self.pos;
        self.pos = 0;
        self.remaining = None;
        Ok(Multibulk::Complete(end))
    }

    /// Splits the request's `end` bytes off `buf` and slices the recorded arguments from them.
    fn take_request(&mut self, buf: &mut BytesMut, end: usize) -> Vec<Bytes> {
        let mut frozen = buf.split_to(end).freeze();
        // Each slice costs an atomic reference count increment (and later a decrement), so
        // the last argument takes the frozen buffer itself.
        let last = self.args.pop().expect("a request with arguments");
        let mut args = Vec::with_capacity(self.args.len() + 1);
        args.extend(self.args.drain(..).map(|r| frozen.slice(r)));
        frozen.truncate(last.end);
        frozen.advance(last.start);
        args.push(frozen);
        args
    }

    /// Finds the header line at `pos` as [`find_cr`](Self::find_cr) does, with a fast path
    /// for the usual case of a canonical count (`1` to `999999999999999999`, or `0`) whose line
    /// has arrived, which it also parses.
    #[inline]
    fn header(
        &mut self,
        buf: &[u8],
        too_big: Error,
    ) -> Result<Option<(usize, Option<i64>)>, Error> {
        // Only on a fresh line: once the general search has started, it goes on from there.
        if self.searched == 0 {
            if let Some((value, cr)) = quick_count(buf, self.pos + 1) {
                if cr - self.pos <= self.limits.max_line_len {
                    return Ok(Some((cr, Some(value))));
                }
            }
        }
        Ok(self.find_cr(buf, too_big)?.map(|cr| (cr, None)))
    }

    /// Finds the `\r` ending the header line at `pos`, once one more byte after it has arrived
    /// too (Redis skips that byte without checking it is `\n`).
    fn find_cr(&mut self, buf: &[u8], too_big: Error) -> Result<Option<usize>, Error> {
        let from = self.pos + self.searched;
        let found = buf[from..].iter().position(|&b| b == b'\r' || b == 0);
        match found {
            Some(offset) if buf[from + offset] == b'\r' => {
                let cr = from + offset;
                // The same test as below, so the outcome does not depend on how input was split.
                if cr - self.pos > self.limits.max_line_len {
                    return Err(too_big);
                }
                if cr + 1 < buf.len() {
                    return Ok(Some(cr));
                }
                // The `\r` is the last byte: look here again once the next one arrives.
                self.searched = cr - self.pos;
                Ok(None)
            }
            // No `\r` yet, or a NUL before it: Redis uses C's `strchr`, which stops at a NUL,
            // so such a line never ends and only the size limit applies.
            other => {
                self.searched = other.map_or(buf.len(), |offset| from + offset) - self.pos;
                if buf.len() - self.pos > self.limits.max_line_len {
                    return Err(too_big);
                }
                Ok(None)
            }
        }
    }
}

/// A count that `string2ll` accepts, made of 1 to 18 digits, followed by `\r` and one more
/// byte: its value and the index of the `\r`. Anything else is left to the general path,
/// which agrees on every line accepted here.
#[inline]
fn quick_count(buf: &[u8], start: usize) -> Option<(i64, usize)> {
    let mut end = start;
    let mut value: i64 = 0;
    while let Some(&byte) = buf.get(end) {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        // No leading zeros, and 18 digits cannot overflow an i64.
        if (end > start && value == 0) || end - start == 18 {
            return None;
        }
        value = value * 10 + i64::from(digit);
        end += 1;
    }
    if end == start || buf.get(end) != Some(&b'\r') || end + 1 >= buf.len() {
        return None;
    }
    Some((value, end))
}
