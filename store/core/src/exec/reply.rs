//! Writing replies straight into a connection's output buffer, in its protocol version.

use bytes::BytesMut;
use radish_resp::{self as resp, Version};

use crate::error::Error;
use crate::state::keyspace::TimeoutReply;

/// A connection's output buffer and protocol version: what command handlers write replies to.
#[derive(Debug)]
pub struct Reply<'a> {
    /// The output buffer.
    pub out: &'a mut BytesMut,
    /// The protocol the client speaks.
    pub version: Version,
}

impl Reply<'_> {
    /// `+OK`.
    pub fn ok(&mut self) {
        self.out.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string.
    pub fn simple(&mut self, text: &[u8]) {
        resp::write_simple(self.out, text);
    }

    /// An error line.
    pub fn error(&mut self, error: &Error) {
        resp::write_error(self.out, error.to_string().as_bytes());
    }

    /// An integer.
    pub fn integer(&mut self, value: i64) {
        resp::write_integer(self.out, value);
    }

    /// A bulk string.
    pub fn bulk(&mut self, data: &[u8]) {
        resp::write_bulk(self.out, data);
    }

    /// A bulk string, or null for `None`.
    pub fn bulk_or_null(&mut self, data: Option<&[u8]>) {
        match data {
            Some(data) => self.bulk(data),
            None => self.null(),
        }
    }

    /// The null reply (`$-1` in RESP2).
    pub fn null(&mut self) {
        resp::write_null(self.out, self.version);
    }

    /// The null array reply (`*-1` in RESP2).
    pub fn null_array(&mut self) {
        resp::write_null_array(self.out, self.version);
    }

    /// An array header; `count` elements follow.
    pub fn array(&mut self, count: usize) {
        resp::write_array_len(self.out, count);
    }

    /// A map header; `pairs` key/value pairs follow.
    pub fn map(&mut self, pairs: usize) {
        resp::write_map_len(self.out, pairs, self.version);
    }

    /// A set header; `count` elements follow.
    pub fn set(&mut self, count: usize) {
        resp::write_set_len(self.out, count, self.version);
    }

    /// A double (a bulk string in RESP2).
    pub fn double(&mut self, value: f64) {
        resp::write_double(self.out, value, self.version);
    }

    /// A double already formatted as `text` (a bulk string in RESP2).
    pub fn double_text(&mut self, text: &[u8]) {
        resp::write_double_text(self.out, text, self.version);
    }

    /// A boolean (the integer 1 or 0 in RESP2).
    pub fn boolean(&mut self, value: bool) {
        resp::write_boolean(self.out, value, self.version);
    }

    /// A verbatim string (a bulk string in RESP2).
    pub fn verbatim(&mut self, text: &[u8]) {
        resp::write_verbatim(self.out, b"txt", text, self.version);
    }

    /// An array of bulk strings.
    pub fn bulks<I, B>(&mut self, items: I)
    where
        I: ExactSizeIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        self.array(items.len());
        for item in items {
            self.bulk(item.as_ref());
        }
    }
}

/// Writes what a blocked command replies when it times out, when CLIENT UNBLOCK ends it, or
/// at once where it cannot block (inside MULTI/EXEC).
pub fn write_timeout(out: &mut BytesMut, reply: TimeoutReply, version: Version) {
    match reply {
        TimeoutReply::Null => resp::write_null(out, version),
        TimeoutReply::NullArray => resp::write_null_array(out, version),
    }
}
