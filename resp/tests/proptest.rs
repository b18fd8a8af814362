//! Properties of the encoder and decoder over generated frames.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use radish_resp::{
    encode, encode_request, encoded_len, request_len, Decoder, Frame, RequestDecoder, Version,
};

/// Bytes a simple string or error may hold: anything but `\r` and `\n`.
fn line_text() -> impl Strategy<Value = Bytes> {
    vec(
        any::<u8>().prop_filter("no line breaks", |b| *b != b'\r' && *b != b'\n'),
        0..24,
    )
    .prop_map(Bytes::from)
}

fn binary() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..48).prop_map(Bytes::from)
}

fn big_number() -> impl Strategy<Value = Bytes> {
    ("[-+]?", "[0-9]{1,40}").prop_map(|(sign, digits)| Bytes::from(format!("{sign}{digits}")))
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(0.0),
        Just(-0.0),
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        line_text().prop_map(Frame::SimpleString),
        line_text().prop_map(Frame::SimpleError),
        any::<i64>().prop_map(Frame::Integer),
        binary().prop_map(Frame::BulkString),
        Just(Frame::Null),
        Just(Frame::NullArray),
        double().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        big_number().prop_map(Frame::BigNumber),
        (any::<[u8; 3]>(), binary())
            .prop_map(|(format, text)| Frame::VerbatimString { format, text }),
        binary().prop_map(Frame::BulkError),
    ]
}

/// Any frame, nested up to four levels deep.
fn frame() -> impl Strategy<Value = Frame> {
    leaf().prop_recursive(4, 64, 6, |inner| {
        let pairs = vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Frame::Array),
            vec(inner.clone(), 0..6).prop_map(Frame::Set),
            vec(inner.clone(), 0..6).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (pairs, inner).prop_map(|(attributes, data)| Frame::Attribute {
                attributes,
                data: Box::new(data),
            }),
        ]
    })
}

/// RESP3 has one null, so `NullArray` reads back as `Null`.
fn resp3_view(frame: &Frame) -> Frame {
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

/// What a RESP2 reader sees of `frame`, as Redis lowers RESP3 replies for RESP2 clients.
fn lower(frame: &Frame) -> Frame {
    let all = |items: &[Frame]| Frame::Array(items.iter().map(lower).collect());
    match frame {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => all(items),
        Frame::Map(pairs) => Frame::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| [lower(k), lower(v)])
                .collect(),
        ),
        // RESP2 cannot carry attributes: only the data is sent.
        Frame::Attribute { data, .. } => lower(data),
        Frame::Double(d) => Frame::BulkString(Bytes::from(format_g17(*d))),
        Frame::Boolean(b) => Frame::Integer(i64::from(*b)),
        Frame::BigNumber(digits) => Frame::BulkString(digits.clone()),
        Frame::VerbatimString { text, .. } => Frame::BulkString(text.clone()),
        // A simple error is a line, so line breaks become spaces.
        Frame::BulkError(text) => Frame::SimpleError(Bytes::from(
            text.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect::<Vec<u8>>(),
        )),
        Frame::SimpleString(_)
        | Frame::SimpleError(_)
        | Frame::Integer(_)
        | Frame::BulkString(_)
        | Frame::Null
        | Frame::NullArray => frame.clone(),
    }
}

/// The shortest digits that read back to `d`, laid out as C's `%.17g` lays them out: plain
/// for decimal exponents from -4 to 16, otherwise `d.ddde±XX`. Written apart from the crate's
/// formatter, from Rust's `{:e}`.
fn format_g17(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    let scientific = format!("{d:e}"); // "-1.25e-5", "1e300", "0e0"
    let (mantissa, exponent) = scientific.split_once('e').unwrap();
    let exponent: i32 = exponent.parse().unwrap();
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let body = if (-4..17).contains(&exponent) {
        let int_digits = exponent + 1;
        if int_digits <= 0 {
            format!("0.{}{digits}", "0".repeat((-int_digits) as usize))
        } else if int_digits as usize >= digits.len() {
            format!("{digits}{}", "0".repeat(int_digits as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(int_digits as usize);
            format!("{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{exp_sign}{:02}", exponent.abs())
    };
    format!("{sign}{body}")
}

fn encoded(frame: &Frame, version: Version) -> BytesMut {
    let mut out = BytesMut::new();
    encode(frame, version, &mut out);
    out
}

/// Decodes exactly one frame from all of `bytes`.
fn decode_all(bytes: &[u8]) -> Frame {
    let mut buf = BytesMut::from(bytes);
    let frame = Decoder::new()
        .decode(&mut buf)
        .expect("valid encoding")
        .expect("a whole frame");
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    frame
}

/// Cuts `bytes` at the given fractions of its length.
fn cut(bytes: &[u8], cuts: &[f64]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|f| (f * bytes.len() as f64) as usize)
        .collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn resp3_round_trip(frame in frame()) {
        let bytes = encoded(&frame, Version::Resp3);
        prop_assert_eq!(decode_all(&bytes), resp3_view(&frame));
    }

    #[test]
    fn resp2_round_trip_is_the_lowered_frame(frame in frame()) {
        let bytes = encoded(&frame, Version::Resp2);
        prop_assert_eq!(decode_all(&bytes), lower(&frame));
    }

    #[test]
    fn encoded_len_is_exact(frame in frame()) {
        for version in [Version::Resp2, Version::Resp3] {
            prop_assert_eq!(encoded(&frame, version).len(), encoded_len(&frame, version));
        }
    }

    #[test]
    fn any_split_decodes_the_same(
        frame in frame(),
        cuts in vec(0.0..1.0f64, 0..8),
        resp3 in any::<bool>(),
    ) {
        let version = if resp3 { Version::Resp3 } else { Version::Resp2 };
        let bytes = encoded(&frame, version);
        let whole = decode_all(&bytes);
        let mut decoder = Decoder::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for piece in cut(&bytes, &cuts) {
            prop_assert!(got.is_none(), "a frame before all its bytes arrived");
            buf.extend_from_slice(&piece);
            got = decoder.decode(&mut buf).unwrap();
        }
        prop_assert_eq!(got, Some(whole));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn pipelined_frames_come_out_in_order(frames in vec(frame(), 1..6)) {
        let mut buf = BytesMut::new();
        for frame in &frames {
            encode(frame, Version::Resp3, &mut buf);
        }
        let mut decoder = Decoder::new();
        for frame in &frames {
            prop_assert_eq!(decoder.decode(&mut buf).unwrap(), Some(resp3_view(frame)));
        }
        prop_assert_eq!(decoder.decode(&mut buf), Ok(None));
    }

    #[test]
    fn requests_round_trip(
        requests in vec(vec(binary(), 1..6), 1..5),
        cuts in vec(0.0..1.0f64, 0..8),
    ) {
        let mut bytes = BytesMut::new();
        for args in &requests {
            let before = bytes.len();
            encode_request(args, &mut bytes);
            prop_assert_eq!(bytes.len() - before, request_len(args));
        }
        let mut decoder = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for piece in cut(&bytes, &cuts) {
            buf.extend_from_slice(&piece);
            while let Some(args) = decoder.decode(&mut buf).unwrap() {
                got.push(args);
            }
        }
        prop_assert_eq!(got, requests);
        prop_assert!(buf.is_empty());
    }
}

#[test]
fn format_g17_matches_c() {
    // Values whose `%.17g` text has no trailing noise, so C's output can be written down.
    for (value, text) in [
        (1.5, "1.5"),
        (100.0, "100"),
        (0.0001, "0.0001"),
        (1.25e-5, "1.25e-05"),
        (1e16, "10000000000000000"),
        (1e17, "1e+17"),
        (-2.5e300, "-2.5e+300"),
        (-0.0, "-0"),
    ] {
        assert_eq!(format_g17(value), text);
    }
}
