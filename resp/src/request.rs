//! Server-side request decoding: each command's arguments, from a multibulk array of bulk
//! strings or from an inline command line, with Redis's rules and error texts.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Error;
use crate::inline::split_inline;
use crate::limits::Limits;
use crate::number::parse_i64_strict;

/// Decodes client requests into argument vectors, the way Redis's `processMultibulkBuffer`
/// and `processInlineBuffer` do.
///
/// A request starting with `*` is an array of bulk strings; anything else is an inline command
/// line ending in `\n` (or `\r\n`). Empty requests (`*0`, `*-1`, a blank line) are skipped.
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
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            if self.remaining.is_none() && buf[0] != b'*' {
                match self.decode_inline(buf)? {
                    Some(args) if args.is_empty() => continue,
                    other => return Ok(other),
                }
            }
            match self.decode_multibulk(buf)? {
                Some(args) if args.is_empty() => continue,
                other => return Ok(other),
            }
        }
    }

    fn decode_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, Error> {
        let from = self.searched;
        let Some(offset) = buf[from..].iter().position(|&b| b == b'\n') else {
            self.searched = buf.len();
            if buf.len() > self.limits.max_line_len {
                return Err(Error::TooBigInlineRequest);
            }
            return Ok(None);
        };
        let newline = from + offset;
        self.searched = 0;
        let line_len = if newline > 0 && buf[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let line = buf.split_to(newline + 1).freeze().slice(..line_len);
        split_inline(&line).map(Some)
    }

    fn decode_multibulk(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, Error> {
        if self.remaining.is_none() {
            let Some(line_end) = self.find_cr(buf, Error::TooBigMultibulkCount)? else {
                return Ok(None);
            };
            let count = parse_i64_strict(&buf[1..line_end])
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
                return Ok(Some(Vec::new()));
            }
            self.remaining = Some(count as usize);
            self.args.clear();
            self.args.reserve((count as usize).min(1024));
        }
        while let Some(remaining) = self.remaining.filter(|&n| n > 0) {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(line_end) = self.find_cr(buf, Error::TooBigBulkCount)? else {
                        return Ok(None);
                    };
                    let marker = buf[self.pos];
                    if marker != b'$' {
                        return Err(Error::ExpectedBulk(marker));
                    }
                    let len = parse_i64_strict(&buf[self.pos + 1..line_end])
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
                return Ok(None);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.bulk_len = None;
            self.remaining = Some(remaining - 1);
        }
        let frozen = buf.split_to(self.pos).freeze();
        self.pos = 0;
        self.remaining = None;
        Ok(Some(self.args.drain(..).map(|r| frozen.slice(r)).collect()))
    }

    /// Finds the `\r` ending the header line at `pos`, once the `\n` after it has arrived too.
    fn find_cr(&mut self, buf: &[u8], too_big: Error) -> Result<Option<usize>, Error> {
        let from = self.pos + self.searched;
        match buf[from..].iter().position(|&b| b == b'\r') {
            Some(offset) if from + offset + 1 < buf.len() => Ok(Some(from + offset)),
            Some(offset) => {
                // The `\r` is the last byte: wait for the `\n`, then look here again.
                self.searched = from + offset - self.pos;
                Ok(None)
            }
            None => {
                self.searched = buf.len() - self.pos;
                if buf.len() - self.pos > self.limits.max_line_len {
                    return Err(too_big);
                }
                Ok(None)
            }
        }
    }
}
