//! One frame type for all of RESP3, which is a superset of RESP2.

use bytes::Bytes;

/// A RESP value. RESP2 values are a subset; the encoder lowers the rest when writing RESP2.
///
/// Text is bytes: simple strings, errors and big numbers are `Bytes` because Redis keys and
/// values are binary and nothing here needs UTF-8. Decoded payloads are slices of the input
/// buffer, not copies.
#[derive(Debug, Clone)]
pub enum Frame {
    /// `+OK\r\n`. Must not contain `\r` or `\n` (the encoder turns them into spaces).
    SimpleString(Bytes),
    /// `-ERR message\r\n`: the whole line after `-`, error code included.
    SimpleError(Bytes),
    /// `:42\r\n`.
    Integer(i64),
    /// `$5\r\nhello\r\n`, binary-safe.
    BulkString(Bytes),
    /// RESP3 `_\r\n`, or RESP2's null bulk `$-1\r\n`. Lowered to `$-1` for RESP2.
    Null,
    /// RESP2's null array `*-1\r\n` (e.g. a `BLPOP` timeout). The same as `Null` in RESP3,
    /// where it is written `_\r\n`; kept apart so RESP2 replies come out as Redis sends them.
    NullArray,
    /// `*2\r\n...`.
    Array(Vec<Frame>),
    /// RESP3 `%1\r\n<key><value>`, in wire order. Lowered to a flat array for RESP2.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~2\r\n...`. Lowered to an array for RESP2.
    Set(Vec<Frame>),
    /// RESP3 attributes `|1\r\n<key><value>` and the frame they describe. RESP2 cannot carry
    /// attributes, so only `data` is written there.
    Attribute {
        /// The attribute pairs, in wire order.
        attributes: Vec<(Frame, Frame)>,
        /// The reply the attributes belong to.
        data: Box<Frame>,
    },
    /// RESP3 out-of-band data `>3\r\n...` (pub/sub messages). Lowered to an array for RESP2.
    Push(Vec<Frame>),
    /// RESP3 `,1.5\r\n`, also `inf`, `-inf` and `nan`. Lowered to a bulk string for RESP2.
    Double(f64),
    /// RESP3 `#t\r\n` / `#f\r\n`. Lowered to the integer 1 or 0 for RESP2.
    Boolean(bool),
    /// RESP3 `(12345678901234567890\r\n`: an optional `-` and digits. Lowered to a bulk string.
    BigNumber(Bytes),
    /// RESP3 `=15\r\ntxt:Some string\r\n`. Lowered to a bulk string of `text` for RESP2.
    VerbatimString {
        /// The three-byte format, such as `txt` or `mkd`.
        format: [u8; 3],
        /// The text after `xxx:`.
        text: Bytes,
    },
    /// RESP3 `!21\r\nSYNTAX invalid syntax\r\n`. Lowered to a simple error for RESP2.
    BulkError(Bytes),
}

impl Frame {
    /// `+OK`.
    pub fn ok() -> Frame {
        Frame::SimpleString(Bytes::from_static(b"OK"))
    }

    /// A simple string from static text.
    pub fn simple(text: &'static str) -> Frame {
        Frame::SimpleString(Bytes::from_static(text.as_bytes()))
    }

    /// A simple error from a whole error line such as `ERR syntax error`.
    pub fn error(line: impl Into<Bytes>) -> Frame {
        Frame::SimpleError(line.into())
    }

    /// A bulk string.
    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::BulkString(data.into())
    }

    /// True for `Null` and `NullArray`.
    pub fn is_null(&self) -> bool {
        matches!(self, Frame::Null | Frame::NullArray)
    }

    /// True for simple and bulk errors.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::SimpleError(_) | Frame::BulkError(_))
    }

    /// The bytes of a string-like frame: simple, bulk, verbatim (its text), big number, or
    /// either kind of error.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Frame::SimpleString(b)
            | Frame::SimpleError(b)
            | Frame::BulkString(b)
            | Frame::BigNumber(b)
            | Frame::BulkError(b)
            | Frame::VerbatimString { text: b, .. } => Some(b),
            _ => None,
        }
    }

    /// The elements of an array, set or push frame.
    pub fn as_elements(&self) -> Option<&[Frame]> {
        match self {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => Some(items),
            _ => None,
        }
    }
}

/// Structural equality, except that doubles compare equal when both are NaN or when their
/// bits are equal (so `0.0` and `-0.0` differ, as their encodings do).
impl PartialEq for Frame {
    fn eq(&self, other: &Frame) -> bool {
        use Frame::*;
        match (self, other) {
            (SimpleString(a), SimpleString(b))
            | (SimpleError(a), SimpleError(b))
            | (BulkString(a), BulkString(b))
            | (BigNumber(a), BigNumber(b))
            | (BulkError(a), BulkError(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Null, Null) | (NullArray, NullArray) => true,
            (Array(a), Array(b)) | (Set(a), Set(b)) | (Push(a), Push(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (
                Attribute {
                    attributes: a,
                    data: x,
                },
                Attribute {
                    attributes: b,
                    data: y,
                },
            ) => a == b && x == y,
            (Double(a), Double(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Boolean(a), Boolean(b)) => a == b,
            (
                VerbatimString {
                    format: f1,
                    text: t1,
                },
                VerbatimString {
                    format: f2,
                    text: t2,
                },
            ) => f1 == f2 && t1 == t2,
            _ => false,
        }
    }
}
