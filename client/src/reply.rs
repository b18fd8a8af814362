//! Turning reply frames into Rust values: [`FromReply`].
//!
//! RESP2 and RESP3 shape some replies differently (a hash is a flat array in RESP2 and a map in
//! RESP3; a score is a bulk string in one and a double in the other). The conversions accept
//! both, so a typed command returns the same Rust value whichever protocol the connection
//! speaks.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;
use radish_resp::number::{parse_double_field, parse_i64_strict};
use radish_resp::Frame;

use crate::error::{Error, Result, ServerError, TypeError};

/// A value a reply frame converts into.
///
/// Every conversion fails with [`Error::Server`] when the frame is an error reply (except
/// `Result<T, ServerError>`, which keeps it), and with [`Error::Type`] when the frame has
/// another shape than the one asked for.
pub trait FromReply: Sized {
    /// Converts one frame.
    fn from_reply(frame: Frame) -> Result<Self>;

    /// Converts the elements of an array-like frame (or the pairs of a map, `flat == false`).
    /// Pairs are read as flat elements except by two-element tuples, which read each pair,
    /// or a flat array two by two, as one element: that is how `Vec<(Bytes, f64)>` reads
    /// `ZRANGE ... WITHSCORES` in both protocols.
    #[doc(hidden)]
    fn from_elements(elements: Elements) -> Result<Vec<Self>> {
        elements.flat().into_iter().map(Self::from_reply).collect()
    }
}

/// The elements of an array, set, push or map frame, for [`FromReply::from_elements`].
#[doc(hidden)]
#[derive(Debug)]
pub enum Elements {
    /// Array, set or push elements.
    Flat(Vec<Frame>),
    /// Map pairs.
    Pairs(Vec<(Frame, Frame)>),
}

impl Elements {
    fn flat(self) -> Vec<Frame> {
        match self {
            Elements::Flat(items) => items,
            Elements::Pairs(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        }
    }

    fn of(frame: Frame, expected: &'static str) -> Result<Elements> {
        match value(frame)? {
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                Ok(Elements::Flat(items))
            }
            Frame::Map(pairs) => Ok(Elements::Pairs(pairs)),
            other => Err(mismatch(expected, &other)),
        }
    }
}

/// A frame that is not an error reply, with attributes stripped.
fn value(frame: Frame) -> Result<Frame> {
    match frame {
        Frame::SimpleError(line) | Frame::BulkError(line) => {
            Err(Error::Server(ServerError::new(line)))
        }
        Frame::Attribute { data, .. } => value(*data),
        other => Ok(other),
    }
}

/// The type error for `found` when `expected` was asked for.
pub(crate) fn mismatch(expected: &'static str, found: &Frame) -> Error {
    Error::Type(TypeError {
        expected,
        found: kind(found),
    })
}

/// A frame's kind, for error messages.
pub(crate) fn kind(frame: &Frame) -> &'static str {
    match frame {
        Frame::SimpleString(_) => "a simple string",
        Frame::SimpleError(_) | Frame::BulkError(_) => "an error",
        Frame::Integer(_) => "an integer",
        Frame::BulkString(_) => "a bulk string",
        Frame::Null | Frame::NullArray => "nil",
        Frame::Array(_) => "an array",
        Frame::Map(_) => "a map",
        Frame::Set(_) => "a set",
        Frame::Attribute { .. } => "an attribute",
        Frame::Push(_) => "a push",
        Frame::Double(_) => "a double",
        Frame::Boolean(_) => "a boolean",
        Frame::BigNumber(_) => "a big number",
        Frame::VerbatimString { .. } => "a verbatim string",
    }
}

impl FromReply for Frame {
    fn from_reply(frame: Frame) -> Result<Frame> {
        value(frame)
    }
}

/// Keeps an error reply as a value instead of failing, for pipelines whose commands may
/// fail one by one.
impl<T: FromReply> FromReply for std::result::Result<T, ServerError> {
    fn from_reply(frame: Frame) -> Result<Self> {
        match value(frame) {
            Ok(frame) => T::from_reply(frame).map(Ok),
            Err(Error::Server(error)) => Ok(Err(error)),
            Err(other) => Err(other),
        }
    }
}

/// Accepts any reply that is not an error (`OK`, `QUEUED`, a count...).
impl FromReply for () {
    fn from_reply(frame: Frame) -> Result<()> {
        value(frame).map(drop)
    }
}

impl FromReply for Bytes {
    fn from_reply(frame: Frame) -> Result<Bytes> {
        match value(frame)? {
            Frame::BulkString(bytes)
            | Frame::SimpleString(bytes)
            | Frame::BigNumber(bytes)
            | Frame::VerbatimString { text: bytes, .. } => Ok(bytes),
            Frame::Integer(n) => Ok(Bytes::from(n.to_string())),
            other => Err(mismatch("a string", &other)),
        }
    }
}

impl FromReply for Vec<u8> {
    fn from_reply(frame: Frame) -> Result<Vec<u8>> {
        Bytes::from_reply(frame).map(Vec::from)
    }
}

impl FromReply for String {
    fn from_reply(frame: Frame) -> Result<String> {
        let bytes = Bytes::from_reply(frame)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::Type(TypeError {
                expected: "UTF-8 text",
                found: "bytes that are not UTF-8",
            })
        })
    }
}

impl FromReply for i64 {
    fn from_reply(frame: Frame) -> Result<i64> {
        match value(frame)? {
            Frame::Integer(n) => Ok(n),
            Frame::Boolean(b) => Ok(i64::from(b)),
            ref frame @ (Frame::BulkString(ref text)
            | Frame::SimpleString(ref text)
            | Frame::BigNumber(ref text)) => {
                parse_i64_strict(text).ok_or_else(|| mismatch("an integer", frame))
            }
            other => Err(mismatch("an integer", &other)),
        }
    }
}

macro_rules! integer_from_i64 {
    ($($ty:ty),*) => {$(
        impl FromReply for $ty {
            fn from_reply(frame: Frame) -> Result<$ty> {
                let n = i64::from_reply(frame)?;
                <$ty>::try_from(n).map_err(|_| Error::Type(TypeError {
                    expected: concat!("an integer that fits ", stringify!($ty)),
                    found: "an integer out of range",
                }))
            }
        }
    )*};
}

integer_from_i64!(i32, u32, u64, usize);

impl FromReply for f64 {
    fn from_reply(frame: Frame) -> Result<f64> {
        match value(frame)? {
            Frame::Double(x) => Ok(x),
            Frame::Integer(n) => Ok(n as f64),
            ref frame @ (Frame::BulkString(ref text) | Frame::SimpleString(ref text)) => {
                parse_double_field(text).ok_or_else(|| mismatch("a number", frame))
            }
            other => Err(mismatch("a number", &other)),
        }
    }
}

/// `1`/`0` integers, RESP3 booleans, and `OK` (true) or nil (false), as `SET ... NX` replies.
impl FromReply for bool {
    fn from_reply(frame: Frame) -> Result<bool> {
        match value(frame)? {
            Frame::Boolean(b) => Ok(b),
            Frame::Integer(n) => Ok(n != 0),
            Frame::Null | Frame::NullArray => Ok(false),
            Frame::SimpleString(text) if &text[..] == b"OK" => Ok(true),
            other => Err(mismatch("a boolean", &other)),
        }
    }
}

/// Nil is `None`; anything else converts to `T`.
impl<T: FromReply> FromReply for Option<T> {
    fn from_reply(frame: Frame) -> Result<Option<T>> {
        match value(frame)? {
            Frame::Null | Frame::NullArray => Ok(None),
            other => T::from_reply(other).map(Some),
        }
    }
}

impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply(frame: Frame) -> Result<Vec<T>> {
        T::from_elements(Elements::of(frame, "an array")?)
    }
}

impl<T: FromReply + Eq + Hash, S: BuildHasher + Default> FromReply for HashSet<T, S> {
    fn from_reply(frame: Frame) -> Result<Self> {
        Ok(Vec::<T>::from_reply(frame)?.into_iter().collect())
    }
}

/// A RESP3 map, a RESP2 flat array of keys and values, or an array of pairs.
impl<K: FromReply + Eq + Hash, V: FromReply, S: BuildHasher + Default> FromReply
    for HashMap<K, V, S>
{
    fn from_reply(frame: Frame) -> Result<Self> {
        Ok(Vec::<(K, V)>::from_reply(frame)?.into_iter().collect())
    }
}

impl<A: FromReply, B: FromReply> FromReply for (A, B) {
    fn from_reply(frame: Frame) -> Result<(A, B)> {
        match value(frame)? {
            Frame::Array(items) if items.len() == 2 => {
                let mut items = items.into_iter();
                pair(items.next(), items.next())
            }
            other => Err(mismatch("an array of two", &other)),
        }
    }

    fn from_elements(elements: Elements) -> Result<Vec<(A, B)>> {
        match elements {
            Elements::Pairs(pairs) => pairs
                .into_iter()
                .map(|(a, b)| pair(Some(a), Some(b)))
                .collect(),
            Elements::Flat(items) if items.iter().all(|item| matches!(item, Frame::Array(_))) => {
                items.into_iter().map(<(A, B)>::from_reply).collect()
            }
            Elements::Flat(items) => {
                if items.len() % 2 != 0 {
                    return Err(Error::Type(TypeError {
                        expected: "an even number of elements",
                        found: "an odd number",
                    }));
                }
                let mut items = items.into_iter();
                let mut pairs = Vec::with_capacity(items.len() / 2);
                while let Some(a) = items.next() {
                    pairs.push(pair(Some(a), items.next())?);
                }
                Ok(pairs)
            }
        }
    }
}

fn pair<A: FromReply, B: FromReply>(a: Option<Frame>, b: Option<Frame>) -> Result<(A, B)> {
    let missing = || mismatch("a pair", &Frame::Null);
    Ok((
        A::from_reply(a.ok_or_else(missing)?)?,
        B::from_reply(b.ok_or_else(missing)?)?,
    ))
}

macro_rules! tuple_from_array {
    ($len:literal; $($name:ident),+) => {
        impl<$($name: FromReply),+> FromReply for ($($name,)+) {
            fn from_reply(frame: Frame) -> Result<Self> {
                match value(frame)? {
                    Frame::Array(items) if items.len() == $len => {
                        let mut items = items.into_iter();
                        Ok(($($name::from_reply(items.next().unwrap_or(Frame::Null))?,)+))
                    }
                    other => Err(mismatch(concat!("an array of ", $len), &other)),
                }
            }
        }
    };
}

tuple_from_array!(1; A);
tuple_from_array!(3; A, B, C);
tuple_from_array!(4; A, B, C, D);
tuple_from_array!(5; A, B, C, D, E);
tuple_from_array!(6; A, B, C, D, E, F);

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &'static str) -> Frame {
        Frame::bulk(Bytes::from_static(text.as_bytes()))
    }

    #[test]
    fn error_replies_are_server_errors() {
        let frame = Frame::error("WRONGTYPE Operation against a key holding the wrong kind");
        let error = i64::from_reply(frame.clone()).unwrap_err();
        let server = error.server_error().expect("a server error");
        assert_eq!(server.code(), b"WRONGTYPE");
        assert!(error.to_string().starts_with("WRONGTYPE Operation"));
        let kept = <std::result::Result<i64, ServerError>>::from_reply(frame).unwrap();
        assert_eq!(kept.unwrap_err().code(), b"WRONGTYPE");
    }

    #[test]
    fn shape_mismatches_are_type_errors() {
        let error = i64::from_reply(bulk("abc")).unwrap_err();
        assert!(matches!(
            error,
            Error::Type(TypeError {
                expected: "an integer",
                found: "a bulk string"
            })
        ));
        assert!(matches!(
            Vec::<Bytes>::from_reply(Frame::Integer(3)),
            Err(Error::Type(_))
        ));
        assert!(matches!(
            u32::from_reply(Frame::Integer(-1)),
            Err(Error::Type(_))
        ));
    }

    #[test]
    fn numbers_read_from_both_protocols() {
        assert_eq!(i64::from_reply(Frame::Integer(-7)).unwrap(), -7);
        assert_eq!(i64::from_reply(bulk("42")).unwrap(), 42);
        assert_eq!(f64::from_reply(bulk("1.5")).unwrap(), 1.5);
        assert_eq!(f64::from_reply(Frame::Double(2.25)).unwrap(), 2.25);
        assert_eq!(f64::from_reply(bulk("inf")).unwrap(), f64::INFINITY);
        assert!(bool::from_reply(Frame::Integer(1)).unwrap());
        assert!(!bool::from_reply(Frame::Null).unwrap());
        assert!(bool::from_reply(Frame::ok()).unwrap());
    }

    #[test]
    fn options_and_strings() {
        assert_eq!(Option::<Bytes>::from_reply(Frame::Null).unwrap(), None);
        assert_eq!(
            Option::<Bytes>::from_reply(bulk("v")).unwrap().as_deref(),
            Some(&b"v"[..])
        );
        assert_eq!(String::from_reply(Frame::simple("PONG")).unwrap(), "PONG");
        assert!(matches!(
            String::from_reply(Frame::bulk(vec![0xff])),
            Err(Error::Type(_))
        ));
    }

    #[test]
    fn hashes_read_as_resp2_arrays_and_resp3_maps() {
        let resp2 = Frame::Array(vec![bulk("f1"), bulk("v1"), bulk("f2"), bulk("v2")]);
        let resp3 = Frame::Map(vec![(bulk("f1"), bulk("v1")), (bulk("f2"), bulk("v2"))]);
        let want: HashMap<Bytes, Bytes> = [
            (Bytes::from_static(b"f1"), Bytes::from_static(b"v1")),
            (Bytes::from_static(b"f2"), Bytes::from_static(b"v2")),
        ]
        .into();
        assert_eq!(HashMap::<Bytes, Bytes>::from_reply(resp2).unwrap(), want);
        assert_eq!(HashMap::<Bytes, Bytes>::from_reply(resp3).unwrap(), want);
        let odd = Frame::Array(vec![bulk("f1")]);
        assert!(matches!(
            HashMap::<Bytes, Bytes>::from_reply(odd),
            Err(Error::Type(_))
        ));
    }

    #[test]
    fn scored_members_read_flat_or_nested() {
        let resp2 = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2.5")]);
        let resp3 = Frame::Array(vec![
            Frame::Array(vec![bulk("a"), Frame::Double(1.0)]),
            Frame::Array(vec![bulk("b"), Frame::Double(2.5)]),
        ]);
        for frame in [resp2, resp3] {
            let got = Vec::<(Bytes, f64)>::from_reply(frame).unwrap();
            assert_eq!(
                got,
                vec![
                    (Bytes::from_static(b"a"), 1.0),
                    (Bytes::from_static(b"b"), 2.5)
                ]
            );
        }
    }

    #[test]
    fn sets_and_tuples() {
        let set = Frame::Set(vec![bulk("x"), bulk("y")]);
        let got = HashSet::<Bytes>::from_reply(set).unwrap();
        assert!(got.contains(&b"x"[..]) && got.contains(&b"y"[..]) && got.len() == 2);
        let triple = Frame::Array(vec![bulk("a"), Frame::Integer(2), Frame::Null]);
        let (a, b, c): (Bytes, i64, Option<Bytes>) = FromReply::from_reply(triple).unwrap();
        assert_eq!((&a[..], b, c), (&b"a"[..], 2, None));
        let nested_error = Frame::Array(vec![Frame::ok(), Frame::error("ERR boom")]);
        assert!(matches!(
            <((), i64)>::from_reply(nested_error),
            Err(Error::Server(_))
        ));
    }
}
