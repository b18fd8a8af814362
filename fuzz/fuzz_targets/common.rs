//! Helpers shared by the fuzz targets: reading a configuration from the front of the input,
//! and checking decoded frames against limits.

#![allow(dead_code)] // Each target uses a different part.

use bytes::{Bytes, BytesMut};
use radish_resp::{Decoder, Error, Frame, Limits, RequestDecoder};

/// How a target should run, taken from the first bytes of the fuzz input.
pub struct Setup<'a> {
    pub limits: Limits,
    /// For the request decoder: whether the client has authenticated.
    pub authenticated: bool,
    /// Sizes of the pieces to feed one after another; the rest of the input comes last.
    pub pieces: Vec<usize>,
    /// The bytes to decode.
    pub input: &'a [u8],
}

/// Splits the fuzz input into a setup and the bytes to decode.
///
/// Byte 0 holds flags: bit 0 for small limits (from bytes 1 to 4), bit 1 for an
/// unauthenticated client, bits 4 to 7 for how many piece sizes follow (one byte each).
/// Small limits make the limit checks reachable with short inputs.
pub fn setup(data: &[u8]) -> Setup<'_> {
    let (&flags, mut rest) = data.split_first().unwrap_or((&0, &[]));
    let mut limits = Limits::default();
    if flags & 1 != 0 && rest.len() >= 4 {
        limits.max_bulk_len = usize::from(rest[0] % 32);
        limits.max_aggregate_len = usize::from(rest[1] % 8);
        limits.max_line_len = usize::from(rest[2] % 32);
        limits.max_depth = usize::from(rest[3] % 8);
        limits.unauthenticated_max_args = usize::from(rest[1] % 4);
        limits.unauthenticated_max_bulk_len = usize::from(rest[0] % 16);
        rest = &rest[4..];
    }
    let count = usize::from(flags >> 4).min(rest.len());
    let pieces = rest[..count].iter().map(|&n| usize::from(n)).collect();
    Setup {
        limits,
        authenticated: flags & 2 == 0,
        pieces,
        input: &rest[count..],
    }
}

/// Cuts `input` into pieces of the given sizes, then the rest.
pub fn pieces<'a>(input: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = input;
    for &size in sizes {
        let (piece, after) = rest.split_at(size.min(rest.len()));
        out.push(piece);
        rest = after;
    }
    out.push(rest);
    out
}

/// Every frame the decoder gives for `input` fed in `pieces`, and how decoding ended: `Ok`
/// when it wants more bytes, or the error that stopped it.
pub fn decode_frames(limits: Limits, pieces: &[&[u8]]) -> (Vec<Frame>, Result<(), Error>) {
    let mut decoder = Decoder::with_limits(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before, "a frame from no bytes");
                    frames.push(frame);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "bytes consumed without a frame");
                    break;
                }
                Err(error) => {
                    assert_eq!(buf.len(), before, "bytes consumed by an error");
                    return (frames, Err(error));
                }
            }
        }
    }
    (frames, Ok(()))
}

/// Every request the decoder gives for `input` fed in `pieces`, and how decoding ended.
pub fn decode_requests(
    setup: &Setup<'_>,
    pieces: &[&[u8]],
) -> (Vec<Vec<Bytes>>, Result<(), Error>) {
    let mut decoder = RequestDecoder::with_limits(setup.limits);
    decoder.set_authenticated(setup.authenticated);
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(args)) => {
                    assert!(buf.len() < before, "a request from no bytes");
                    assert!(!args.is_empty(), "empty requests are skipped");
                    requests.push(args);
                }
                Ok(None) => break,
                Err(error) => return (requests, Err(error)),
            }
        }
    }
    (requests, Ok(()))
}

/// Panics unless `frame` keeps within `limits`. `depth` is the number of aggregates around it.
pub fn check_limits(frame: &Frame, limits: &Limits, depth: usize) {
    let aggregate = |len: usize| {
        assert!(
            len <= limits.max_aggregate_len,
            "{len} elements: {limits:?}"
        );
        assert!(
            depth < limits.max_depth,
            "nested {} deep: {limits:?}",
            depth + 1
        );
    };
    match frame {
        Frame::BulkString(data) | Frame::BulkError(data) => {
            assert!(
                data.len() <= limits.max_bulk_len,
                "bulk of {}: {limits:?}",
                data.len()
            );
        }
        Frame::VerbatimString { text, .. } => {
            assert!(
                text.len() + 4 <= limits.max_bulk_len,
                "verbatim: {limits:?}"
            );
        }
        Frame::SimpleString(line) | Frame::SimpleError(line) | Frame::BigNumber(line) => {
            assert!(
                line.len() <= limits.max_line_len,
                "line of {}: {limits:?}",
                line.len()
            );
            assert!(
                !line.contains(&b'\r') && !line.contains(&b'\n'),
                "a line break in a line"
            );
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            aggregate(items.len());
            for item in items {
                check_limits(item, limits, depth + 1);
            }
        }
        Frame::Map(pairs) => {
            aggregate(pairs.len());
            for (key, value) in pairs {
                check_limits(key, limits, depth + 1);
                check_limits(value, limits, depth + 1);
            }
        }
        Frame::Attribute { attributes, data } => {
            aggregate(attributes.len());
            for (key, value) in attributes {
                check_limits(key, limits, depth + 1);
                check_limits(value, limits, depth + 1);
            }
            check_limits(data, limits, depth + 1);
        }
        Frame::Integer(_)
        | Frame::Null
        | Frame::NullArray
        | Frame::Double(_)
        | Frame::Boolean(_) => {}
    }
}

/// RESP3 has one null, so a decoded `*-1` reads back as `_`.
pub fn resp3_view(frame: &Frame) -> Frame {
    let all = |items: &[Frame]| items.iter().map(resp3_view).collect();
    let pairs = |pairs: &[(Frame, Frame)]| {
        pairs
            .iter()
            .map(|(k, v)| (resp3_view(k), resp3_view(v)))
            .collect()
    };
    match frame {
        Frame::NullArray => Frame::Null,
        Frame::Array(items) => Frame::Array(all(items)),
        Frame::Set(items) => Frame::Set(all(items)),
        Frame::Push(items) => Frame::Push(all(items)),
        Frame::Map(p) => Frame::Map(pairs(p)),
        Frame::Attribute { attributes, data } => Frame::Attribute {
            attributes: pairs(attributes),
            data: Box::new(resp3_view(data)),
        },
        other => other.clone(),
    }
}
