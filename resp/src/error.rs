//! The codec's one error type.

use std::fmt;

/// Why a byte stream is not valid RESP.
///
/// Small and `Copy`, like `httparse`'s errors: each variant has a fixed message, and `Display`
/// gives Redis's own protocol error text (a server sends it as `-ERR <Display>` before closing).
/// Needing more bytes is not an error: decoders return `Ok(None)` for that.
///
/// After any error the decoder's position in the stream is lost; the connection should be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// An aggregate (or request) length that is not a valid number or exceeds the limit.
    InvalidMultibulkLength,
    /// A bulk length that is not a valid number or exceeds the limit.
    InvalidBulkLength,
    /// A request element that is not a bulk string; carries the byte found instead of `$`.
    ExpectedBulk(u8),
    /// An inline request whose quotes are not balanced.
    UnbalancedQuotes,
    /// An inline request line longer than the line limit.
    TooBigInlineRequest,
    /// A request's `*` count line longer than the line limit.
    TooBigMultibulkCount,
    /// A request's `$` length line longer than the line limit.
    TooBigBulkCount,
    /// An unauthenticated client sent a request with too many arguments.
    UnauthenticatedMultibulkLength,
    /// An unauthenticated client sent a bulk argument that is too large.
    UnauthenticatedBulkLength,
    /// A frame started with a byte that is not a RESP type marker.
    InvalidTypeByte(u8),
    /// An integer field that is not a signed 64-bit decimal.
    InvalidInteger,
    /// A double field that is not a number, `inf`, `-inf` or `nan`.
    InvalidDouble,
    /// A boolean field other than `t` or `f`.
    InvalidBoolean,
    /// A big number field with something other than an optional sign and digits.
    InvalidBigNumber,
    /// A verbatim string without its three-byte format and `:`.
    InvalidVerbatim,
    /// A bulk payload not followed by `\r\n`, or a line holding a `\r` or `\n` other than its
    /// closing `\r\n`.
    ExpectedCrlf,
    /// A streamed string chunk header that is not `;<len>`.
    InvalidStreamChunk,
    /// A streamed map that ended after a key with no value.
    UnevenStreamedMap,
    /// A reply line longer than the line limit.
    LineTooLong,
    /// A null `_` with something before its line ending.
    InvalidNull,
    /// Aggregates nested deeper than the limit.
    NestingTooDeep,
}

impl Error {
    /// The message, without the `ERR ` prefix a server adds.
    pub const fn message(self) -> &'static str {
        match self {
            Error::InvalidMultibulkLength => "Protocol error: invalid multibulk length",
            Error::InvalidBulkLength => "Protocol error: invalid bulk length",
            // Needs the offending byte; see Display.
            Error::ExpectedBulk(_) => "Protocol error: expected '$'",
            Error::UnbalancedQuotes => "Protocol error: unbalanced quotes in request",
            Error::TooBigInlineRequest => "Protocol error: too big inline request",
            Error::TooBigMultibulkCount => "Protocol error: too big mbulk count string",
            Error::TooBigBulkCount => "Protocol error: too big bulk count string",
            Error::UnauthenticatedMultibulkLength => {
                "Protocol error: unauthenticated multibulk length"
            }
            Error::UnauthenticatedBulkLength => "Protocol error: unauthenticated bulk length",
            Error::InvalidTypeByte(_) => "Protocol error: invalid type byte",
            Error::InvalidInteger => "Protocol error: invalid integer",
            Error::InvalidDouble => "Protocol error: invalid double",
            Error::InvalidBoolean => "Protocol error: invalid boolean",
            Error::InvalidBigNumber => "Protocol error: invalid big number",
            Error::InvalidVerbatim => "Protocol error: invalid verbatim string",
            Error::ExpectedCrlf => "Protocol error: expected '\\r\\n'",
            Error::InvalidStreamChunk => "Protocol error: invalid streamed string chunk",
            Error::UnevenStreamedMap => "Protocol error: streamed map with a key and no value",
            Error::NestingTooDeep => "Protocol error: nesting too deep",
            Error::LineTooLong => "Protocol error: too big line",
            Error::InvalidNull => "Protocol error: invalid null",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            // Redis prints the byte with %c, then turns `\r` and `\n` into spaces so the error
            // stays one line. A byte above 0x7f comes out as the Latin-1 character (Redis
            // sends the raw byte, which a `str` cannot hold).
            Error::ExpectedBulk(byte) => {
                write!(f, "Protocol error: expected '$', got '{}'", printable(byte))
            }
            Error::InvalidTypeByte(byte) => {
                write!(f, "Protocol error: invalid type byte '{}'", printable(byte))
            }
            other => f.write_str(other.message()),
        }
    }
}

impl std::error::Error for Error {}

fn printable(byte: u8) -> char {
    match byte {
        b'\r' | b'\n' => ' ',
        other => other as char,
    }
}
