//! Decoding vectors: one table for [`Decoder`] and one for [`RequestDecoder`].
//!
//! Every vector is checked three ways: decoded whole; fed one byte at a time into the same
//! buffer (nothing may come out before the last byte, then the same result must); and with
//! more bytes after it, which must be left untouched. Error vectors therefore end at exactly
//! the byte where the error becomes certain.
//!
//! Request vectors marked "Redis:" were checked against redis-server 7.0.15 by sending the raw
//! bytes.

use bytes::{Buf, Bytes, BytesMut};
use radish_resp::{Decoder, Error, Frame, Limits, Request, RequestDecoder};

// ---------------------------------------------------------------------------------------------
// Frame vectors
// ---------------------------------------------------------------------------------------------

struct Vector {
    input: Vec<u8>,
    limits: Limits,
    expected: Result<Frame, Error>,
}

fn ok(input: &[u8], frame: Frame) -> Vector {
    Vector {
        input: input.to_vec(),
        limits: Limits::default(),
        expected: Ok(frame),
    }
}

fn err(input: &[u8], error: Error) -> Vector {
    Vector {
        input: input.to_vec(),
        limits: Limits::default(),
        expected: Err(error),
    }
}

fn with(limits: Limits, mut vector: Vector) -> Vector {
    vector.limits = limits;
    vector
}

fn b(bytes: &'static [u8]) -> Bytes {
    Bytes::from_static(bytes)
}
fn bulk(bytes: &'static [u8]) -> Frame {
    Frame::BulkString(b(bytes))
}
fn simple(bytes: &'static [u8]) -> Frame {
    Frame::SimpleString(b(bytes))
}
fn int(n: i64) -> Frame {
    Frame::Integer(n)
}
fn array(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}

fn small(edit: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    edit(&mut limits);
    limits
}

fn frame_vectors() -> Vec<Vector> {
    use Error::*;
    let bulk4 = small(|l| l.max_bulk_len = 4);
    let agg2 = small(|l| l.max_aggregate_len = 2);
    let line4 = small(|l| l.max_line_len = 4);
    let depth2 = small(|l| l.max_depth = 2);
    vec![
        // Simple strings and errors.
        ok(b"+OK\r\n", simple(b"OK")),
        ok(b"+\r\n", simple(b"")),
        ok(b"+hello world\r\n", simple(b"hello world")),
        ok(
            b"-ERR unknown command 'foo'\r\n",
            Frame::SimpleError(b(b"ERR unknown command 'foo'")),
        ),
        // Integers are signed 64-bit.
        ok(b":0\r\n", int(0)),
        ok(b":-42\r\n", int(-42)),
        ok(b":+7\r\n", int(7)),
        ok(b":9223372036854775807\r\n", int(i64::MAX)),
        ok(b":-9223372036854775808\r\n", int(i64::MIN)),
        // Bulk strings are binary-safe.
        ok(b"$5\r\nhello\r\n", bulk(b"hello")),
        ok(b"$0\r\n\r\n", bulk(b"")),
        ok(b"$4\r\na\r\nb\r\n", bulk(b"a\r\nb")),
        ok(b"$3\r\n\x00\xff\n\r\n", bulk(b"\x00\xff\n")),
        // Nulls, RESP2 and RESP3.
        ok(b"$-1\r\n", Frame::Null),
        ok(b"*-1\r\n", Frame::NullArray),
        ok(b"_\r\n", Frame::Null),
        // Arrays.
        ok(b"*0\r\n", array(vec![])),
        ok(
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
            array(vec![bulk(b"GET"), bulk(b"k")]),
        ),
        ok(
            b"*3\r\n*1\r\n:1\r\n*0\r\n$-1\r\n",
            array(vec![array(vec![int(1)]), array(vec![]), Frame::Null]),
        ),
        ok(
            b"*2\r\n*-1\r\n+x\r\n",
            array(vec![Frame::NullArray, simple(b"x")]),
        ),
        // Maps, sets, pushes.
        ok(
            b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            Frame::Map(vec![
                (simple(b"first"), int(1)),
                (simple(b"second"), int(2)),
            ]),
        ),
        ok(b"%0\r\n", Frame::Map(vec![])),
        ok(
            b"%1\r\n*1\r\n:1\r\n%0\r\n",
            Frame::Map(vec![(array(vec![int(1)]), Frame::Map(vec![]))]),
        ),
        ok(
            b"~3\r\n+a\r\n+b\r\n:3\r\n",
            Frame::Set(vec![simple(b"a"), simple(b"b"), int(3)]),
        ),
        ok(b"~0\r\n", Frame::Set(vec![])),
        ok(
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            Frame::Push(vec![bulk(b"message"), bulk(b"ch"), bulk(b"hi")]),
        ),
        // Attributes, alone and nested.
        ok(
            b"|1\r\n+ttl\r\n:3600\r\n$3\r\nval\r\n",
            Frame::Attribute {
                attributes: vec![(simple(b"ttl"), int(3600))],
                data: Box::new(bulk(b"val")),
            },
        ),
        ok(
            b"|0\r\n:1\r\n",
            Frame::Attribute {
                attributes: vec![],
                data: Box::new(int(1)),
            },
        ),
        ok(
            b"*2\r\n|1\r\n+key\r\n:1\r\n:2\r\n:3\r\n",
            array(vec![
                Frame::Attribute {
                    attributes: vec![(simple(b"key"), int(1))],
                    data: Box::new(int(2)),
                },
                int(3),
            ]),
        ),
        ok(
            // The RESP3 specification's example.
            b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n\
              *2\r\n:2039123\r\n:9543892\r\n",
            Frame::Attribute {
                attributes: vec![(
                    simple(b"key-popularity"),
                    Frame::Map(vec![
                        (bulk(b"a"), Frame::Double(0.1923)),
                        (bulk(b"b"), Frame::Double(0.0012)),
                    ]),
                )],
                data: Box::new(array(vec![int(2039123), int(9543892)])),
            },
        ),
        ok(
            b"|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n#t\r\n",
            Frame::Attribute {
                attributes: vec![(simple(b"a"), simple(b"b"))],
                data: Box::new(Frame::Attribute {
                    attributes: vec![(simple(b"c"), simple(b"d"))],
                    data: Box::new(Frame::Boolean(true)),
                }),
            },
        ),
        // Doubles.
        ok(b",1.23\r\n", Frame::Double(1.23)),
        ok(b",10\r\n", Frame::Double(10.0)),
        ok(b",-0\r\n", Frame::Double(-0.0)),
        ok(b",1e+300\r\n", Frame::Double(1e300)),
        ok(b",inf\r\n", Frame::Double(f64::INFINITY)),
        ok(b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        ok(b",nan\r\n", Frame::Double(f64::NAN)),
        // Booleans.
        ok(b"#t\r\n", Frame::Boolean(true)),
        ok(b"#f\r\n", Frame::Boolean(false)),
        // Big numbers.
        ok(
            b"(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b(b"3492890328409238509324850943850943825024385")),
        ),
        ok(b"(-123\r\n", Frame::BigNumber(b(b"-123"))),
        // Verbatim strings.
        ok(
            b"=15\r\ntxt:Some string\r\n",
            Frame::VerbatimString {
                format: *b"txt",
                text: b(b"Some string"),
            },
        ),
        ok(
            b"=4\r\nmkd:\r\n",
            Frame::VerbatimString {
                format: *b"mkd",
                text: b(b""),
            },
        ),
        // Bulk errors.
        ok(
            b"!21\r\nSYNTAX invalid syntax\r\n",
            Frame::BulkError(b(b"SYNTAX invalid syntax")),
        ),
        // Streamed strings and aggregates.
        ok(
            b"$?\r\n;4\r\nHell\r\n;6\r\no worl\r\n;1\r\nd\r\n;0\r\n",
            bulk(b"Hello world"),
        ),
        ok(b"$?\r\n;0\r\n", bulk(b"")),
        ok(b"*?\r\n:1\r\n:2\r\n.\r\n", array(vec![int(1), int(2)])),
        ok(b"*?\r\n.\r\n", array(vec![])),
        ok(b"~?\r\n+a\r\n.\r\n", Frame::Set(vec![simple(b"a")])),
        ok(
            b"%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
            Frame::Map(vec![(simple(b"a"), int(1)), (simple(b"b"), int(2))]),
        ),
        ok(
            b"*?\r\n*?\r\n.\r\n$?\r\n;1\r\nx\r\n;0\r\n*1\r\n:5\r\n.\r\n",
            array(vec![array(vec![]), bulk(b"x"), array(vec![int(5)])]),
        ),
        ok(
            b"*2\r\n$?\r\n;2\r\nab\r\n;0\r\n$?\r\n;1\r\nc\r\n;0\r\n",
            array(vec![bulk(b"ab"), bulk(b"c")]),
        ),
        ok(
            b"*?\r\n|1\r\n+k\r\n+v\r\n:1\r\n.\r\n",
            array(vec![Frame::Attribute {
                attributes: vec![(simple(b"k"), simple(b"v"))],
                data: Box::new(int(1)),
            }]),
        ),
        // Limits: at the limit is accepted.
        with(bulk4, ok(b"$4\r\nabcd\r\n", bulk(b"abcd"))),
        with(
            bulk4,
            ok(b"$?\r\n;2\r\nab\r\n;2\r\ncd\r\n;0\r\n", bulk(b"abcd")),
        ),
        with(agg2, ok(b"*2\r\n:1\r\n:2\r\n", array(vec![int(1), int(2)]))),
        with(
            agg2,
            ok(b"*?\r\n:1\r\n:2\r\n.\r\n", array(vec![int(1), int(2)])),
        ),
        with(line4, ok(b"+abcd\r\n", simple(b"abcd"))),
        with(
            depth2,
            ok(b"*1\r\n*1\r\n:1\r\n", array(vec![array(vec![int(1)])])),
        ),
        with(depth2, ok(b"*1\r\n*0\r\n", array(vec![array(vec![])]))),
        // A null is not an aggregate, even when written `*-1`.
        with(
            depth2,
            ok(
                b"*1\r\n*1\r\n*-1\r\n",
                array(vec![array(vec![Frame::NullArray])]),
            ),
        ),
        // Errors: an unknown type byte, as soon as it arrives.
        err(b"X", InvalidTypeByte(b'X')),
        err(b"\r", InvalidTypeByte(b'\r')),
        err(b"*2\r\n:1\r\n?", InvalidTypeByte(b'?')),
        err(b".", InvalidTypeByte(b'.')),
        err(b"*1\r\n.", InvalidTypeByte(b'.')),
        err(b";", InvalidTypeByte(b';')),
        // Numbers and other fixed forms.
        err(b":abc\r\n", InvalidInteger),
        err(b":\r\n", InvalidInteger),
        err(b":1 \r\n", InvalidInteger),
        err(b":9223372036854775808\r\n", InvalidInteger),
        err(b":-9223372036854775809\r\n", InvalidInteger),
        err(b",1.5x\r\n", InvalidDouble),
        err(b",\r\n", InvalidDouble),
        err(b",1. 5\r\n", InvalidDouble),
        err(b"#x\r\n", InvalidBoolean),
        err(b"#tt\r\n", InvalidBoolean),
        err(b"#\r\n", InvalidBoolean),
        err(b"(12a\r\n", InvalidBigNumber),
        err(b"(\r\n", InvalidBigNumber),
        err(b"(-\r\n", InvalidBigNumber),
        err(b"(1.5\r\n", InvalidBigNumber),
        err(b"_x\r\n", InvalidNull),
        err(b"=3\r\ntxt\r\n", InvalidVerbatim),
        err(b"=4\r\ntxt!\r\n", InvalidVerbatim),
        // Line endings.
        err(b"+a\n", ExpectedCrlf),
        err(b"+a\rb", ExpectedCrlf),
        err(b"+\n", ExpectedCrlf),
        err(b":1\r\r", ExpectedCrlf),
        err(b"$3\r\nabcde", ExpectedCrlf),
        err(b"$3\r\nabc\n\r", ExpectedCrlf),
        err(b"*?\r\n.x\r\n", ExpectedCrlf),
        // Regressions found by fuzz/roundtrip and fuzz/decode: the decoder used to search only
        // for `\n`, so a lone `\r` inside a simple line was accepted, and the encoder could
        // not write that frame back.
        err(b"+a\r\x0b", ExpectedCrlf),
        err(b"+OK\x00-42\r\x00", ExpectedCrlf),
        err(b"$?\r\n;1\r\nab\r", ExpectedCrlf),
        // Lengths and counts.
        err(b"$-2\r\n", InvalidBulkLength),
        err(b"$x\r\n", InvalidBulkLength),
        err(b"$\r\n", InvalidBulkLength),
        err(b"!-1\r\n", InvalidBulkLength),
        err(b"=-1\r\n", InvalidBulkLength),
        err(b"$9223372036854775808\r\n", InvalidBulkLength),
        err(b"$536870913\r\n", InvalidBulkLength),
        err(b"*-2\r\n", InvalidMultibulkLength),
        err(b"*x\r\n", InvalidMultibulkLength),
        err(b"*\r\n", InvalidMultibulkLength),
        err(b"%-1\r\n", InvalidMultibulkLength),
        err(b"~-1\r\n", InvalidMultibulkLength),
        err(b">?\r\n", InvalidMultibulkLength),
        err(b"|?\r\n", InvalidMultibulkLength),
        err(b"*2147483648\r\n", InvalidMultibulkLength),
        // Streamed strings.
        err(b"$?\r\n:", InvalidStreamChunk),
        err(b"$?\r\n$", InvalidStreamChunk),
        err(b"$?\r\n;x\r\n", InvalidStreamChunk),
        err(b"$?\r\n;-1\r\n", InvalidStreamChunk),
        err(b"$?\r\n;\r\n", InvalidStreamChunk),
        err(b"%?\r\n+a\r\n.\r\n", UnevenStreamedMap),
        err(b"%?\r\n+a\r\n:1\r\n+b\r\n.\r\n", UnevenStreamedMap),
        // Limits: one past the limit is rejected, as soon as that is certain.
        with(bulk4, err(b"$5\r\n", InvalidBulkLength)),
        with(bulk4, err(b"!5\r\n", InvalidBulkLength)),
        with(bulk4, err(b"$?\r\n;5\r\n", InvalidBulkLength)),
        with(bulk4, err(b"$?\r\n;3\r\nabc\r\n;2\r\n", InvalidBulkLength)),
        with(agg2, err(b"*3\r\n", InvalidMultibulkLength)),
        with(agg2, err(b"%3\r\n", InvalidMultibulkLength)),
        with(agg2, err(b"|3\r\n", InvalidMultibulkLength)),
        with(agg2, err(b"*?\r\n:1\r\n:2\r\n:", InvalidMultibulkLength)),
        with(
            agg2,
            err(b"%?\r\n:1\r\n:1\r\n:2\r\n:2\r\n+", InvalidMultibulkLength),
        ),
        with(line4, err(b"+abcde", LineTooLong)),
        with(line4, err(b"*1\r\n:12345", LineTooLong)),
        with(depth2, err(b"*1\r\n*1\r\n*1\r\n", NestingTooDeep)),
        with(depth2, err(b"%1\r\n~1\r\n>1\r\n", NestingTooDeep)),
        with(depth2, err(b"*1\r\n|1\r\n*0\r\n", NestingTooDeep)),
        with(depth2, err(b"*?\r\n*?\r\n*?\r\n", NestingTooDeep)),
    ]
}

const TRAILER: &[u8] = b"+next\r\n";

fn describe(vector: &Vector) -> String {
    format!(
        "{:?} (limits {:?})",
        String::from_utf8_lossy(&vector.input),
        vector.limits
    )
}

#[test]
fn frame_vectors_whole() {
    for vector in frame_vectors() {
        let mut decoder = Decoder::with_limits(vector.limits);
        let mut buf = BytesMut::from(&vector.input[..]);
        let got = decoder.decode(&mut buf);
        assert_eq!(
            got,
            vector.expected.clone().map(Some),
            "{}",
            describe(&vector)
        );
        match got {
            Ok(_) => assert!(buf.is_empty(), "{}: bytes left over", describe(&vector)),
            Err(_) => assert_eq!(&buf[..], &vector.input[..], "{}", describe(&vector)),
        }
    }
}

#[test]
fn frame_vectors_byte_by_byte() {
    for vector in frame_vectors() {
        let mut decoder = Decoder::with_limits(vector.limits);
        let mut buf = BytesMut::new();
        let (last, prefix) = vector.input.split_last().expect("vectors are not empty");
        for (i, &byte) in prefix.iter().enumerate() {
            buf.extend_from_slice(&[byte]);
            assert_eq!(
                decoder.decode(&mut buf),
                Ok(None),
                "{}: a result after only {} bytes",
                describe(&vector),
                i + 1
            );
        }
        buf.extend_from_slice(&[*last]);
        assert_eq!(
            decoder.decode(&mut buf),
            vector.expected.clone().map(Some),
            "{}",
            describe(&vector)
        );
    }
}

#[test]
fn frame_vectors_leave_trailing_bytes() {
    for vector in frame_vectors() {
        let mut decoder = Decoder::with_limits(vector.limits);
        let mut input = vector.input.clone();
        input.extend_from_slice(TRAILER);
        let mut buf = BytesMut::from(&input[..]);
        let got = decoder.decode(&mut buf);
        assert_eq!(
            got,
            vector.expected.clone().map(Some),
            "{}",
            describe(&vector)
        );
        if got.is_ok() {
            assert_eq!(&buf[..], TRAILER, "{}", describe(&vector));
            // The decoder is ready for the next frame.
            assert_eq!(decoder.decode(&mut buf), Ok(Some(simple(b"next"))));
            assert!(buf.is_empty());
        } else {
            // After an error nothing is consumed, and asking again gives the same error.
            assert_eq!(&buf[..], &input[..], "{}", describe(&vector));
            assert_eq!(decoder.decode(&mut buf), got, "{}", describe(&vector));
        }
    }
}

/// Every error a decoder can return appears in one of the tables, so none is untested.
#[test]
fn every_error_has_a_vector() {
    let seen: Vec<std::mem::Discriminant<Error>> = frame_vectors()
        .into_iter()
        .filter_map(|v| v.expected.err())
        .chain(request_vectors().into_iter().filter_map(|v| match v.end {
            End::Error(e) => Some(e),
            _ => None,
        }))
        .map(|e| std::mem::discriminant(&e))
        .collect();
    let all = [
        Error::InvalidMultibulkLength,
        Error::InvalidBulkLength,
        Error::ExpectedBulk(b'*'),
        Error::UnbalancedQuotes,
        Error::TooBigInlineRequest,
        Error::TooBigMultibulkCount,
        Error::TooBigBulkCount,
        Error::UnauthenticatedMultibulkLength,
        Error::UnauthenticatedBulkLength,
        Error::InvalidTypeByte(b'X'),
        Error::InvalidInteger,
        Error::InvalidDouble,
        Error::InvalidBoolean,
        Error::InvalidBigNumber,
        Error::InvalidVerbatim,
        Error::ExpectedCrlf,
        Error::InvalidStreamChunk,
        Error::UnevenStreamedMap,
        Error::LineTooLong,
        Error::InvalidNull,
        Error::NestingTooDeep,
    ];
    for error in all {
        assert!(
            seen.contains(&std::mem::discriminant(&error)),
            "no vector produces {error:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Request vectors
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Every byte was consumed.
    Consumed,
    /// The decoder waits for more bytes, holding the rest.
    Waiting,
    /// The stream ends in this error.
    Error(Error),
}

struct RequestVector {
    input: Vec<u8>,
    limits: Limits,
    authenticated: bool,
    requests: Vec<Vec<&'static [u8]>>,
    end: End,
}

fn req(input: &[u8], requests: Vec<Vec<&'static [u8]>>, end: End) -> RequestVector {
    RequestVector {
        input: input.to_vec(),
        limits: Limits::default(),
        authenticated: true,
        requests,
        end,
    }
}

fn req_err(input: &[u8], error: Error) -> RequestVector {
    req(input, vec![], End::Error(error))
}

fn unauthenticated(mut vector: RequestVector) -> RequestVector {
    vector.authenticated = false;
    vector
}

fn limited(limits: Limits, mut vector: RequestVector) -> RequestVector {
    vector.limits = limits;
    vector
}

fn request_vectors() -> Vec<RequestVector> {
    use End::{Consumed, Waiting};
    use Error::*;
    let line8 = small(|l| l.max_line_len = 8);
    let args3 = small(|l| l.max_aggregate_len = 3);
    let bulk4 = small(|l| l.max_bulk_len = 4);
    vec![
        // Multibulk requests.
        req(
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
            vec![vec![b"GET", b"k"]],
            Consumed,
        ),
        req(
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
            vec![vec![b"SET", b"k", b""]],
            Consumed,
        ),
        req(b"*1\r\n$4\r\na\r\nb\r\n", vec![vec![b"a\r\nb"]], Consumed),
        req(
            b"*1\r\n$3\r\n\x00\x01\x02\r\n",
            vec![vec![b"\x00\x01\x02"]],
            Consumed,
        ),
        // Redis: the two bytes after a header's `\r` and after a payload are skipped unchecked.
        req(b"*1\r\n$4\r\nPINGxy", vec![vec![b"PING"]], Consumed),
        req(b"*1\rX$4\r\nPING\r\n", vec![vec![b"PING"]], Consumed),
        // Pipelined, mixing both forms.
        req(
            b"*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\nPING\n",
            vec![
                vec![b"PING"],
                vec![b"ECHO", b"hi"],
                vec![b"ECHO", b"yo"],
                vec![b"PING"],
            ],
            Consumed,
        ),
        // Inline requests, split as sdssplitargs does.
        req(b"PING\r\n", vec![vec![b"PING"]], Consumed),
        req(b"PING\n", vec![vec![b"PING"]], Consumed),
        req(b"  GET   k  \r\n", vec![vec![b"GET", b"k"]], Consumed),
        req(
            b"SET k \"a b\"\r\n",
            vec![vec![b"SET", b"k", b"a b"]],
            Consumed,
        ),
        req(
            b"SET k 'it\\'s'\r\n",
            vec![vec![b"SET", b"k", b"it's"]],
            Consumed,
        ),
        req(
            b"ECHO \"a\\x41\\n\"\r\n",
            vec![vec![b"ECHO", b"aA\n"]],
            Consumed,
        ),
        req(b"ECHO 'a\\nb'\r\n", vec![vec![b"ECHO", b"a\\nb"]], Consumed),
        req(b"ECHO \"\" x\r\n", vec![vec![b"ECHO", b"", b"x"]], Consumed),
        req(
            b"ECHO \"a\"\x0bb\r\n",
            vec![vec![b"ECHO", b"a", b"b"]],
            Consumed,
        ),
        req(b"a\rb\r\n", vec![vec![b"a", b"b"]], Consumed),
        // Empty requests are skipped.
        req(b"\r\n", vec![], Consumed),
        req(b"\n", vec![], Consumed),
        req(b"   \t \r\n", vec![], Consumed),
        req(b"*0\r\n", vec![], Consumed),
        req(b"*-1\r\n", vec![], Consumed),
        req(b"*-5\r\n", vec![], Consumed),
        req(
            b"\r\n*0\r\n\n*-1\r\nPING\r\n\r\n",
            vec![vec![b"PING"]],
            Consumed,
        ),
        // Still waiting. Redis: `strchr` stops at a NUL, so a line with one never ends.
        req(b"*2147483647\r\n", vec![], Waiting),
        req(b"*1\r\n$536870912\r\n", vec![], Waiting),
        req(b"PING\x00\r\n", vec![], Waiting),
        req(b"*1\x00\r\n$4\r\nPING\r\n", vec![], Waiting),
        req(b"*1\r\n$4\x00\r\nPING\r\n", vec![], Waiting),
        req(b"PING\r\n*1\r\n$4\r\n", vec![vec![b"PING"]], Waiting),
        // Errors, with Redis's texts.
        req_err(b"*1\r\n*4\r\n", ExpectedBulk(b'*')),
        req_err(b"*1\r\n:1\r\n", ExpectedBulk(b':')),
        req_err(b"*1\r\n\r\n", ExpectedBulk(b'\r')),
        req_err(b"*1\r\n\n\r\n", ExpectedBulk(b'\n')),
        req_err(b"*x\r\n", InvalidMultibulkLength),
        req_err(b"*+1\r\n", InvalidMultibulkLength),
        req_err(b"*01\r\n", InvalidMultibulkLength),
        req_err(b"*-0\r\n", InvalidMultibulkLength),
        req_err(b"*\r\n", InvalidMultibulkLength),
        req_err(b"*2147483648\r\n", InvalidMultibulkLength),
        req_err(b"*1\r\n$-1\r\n", InvalidBulkLength),
        req_err(b"*1\r\n$04\r\n", InvalidBulkLength),
        req_err(b"*1\r\n$\r\n", InvalidBulkLength),
        req_err(b"*1\r\n$4 \r\n", InvalidBulkLength),
        req_err(b"*1\r\n$536870913\r\n", InvalidBulkLength),
        req_err(b"SET k \"v\r\n", UnbalancedQuotes),
        req_err(b"SET k 'v\r\n", UnbalancedQuotes),
        req_err(b"a\"b c\"d\r\n", UnbalancedQuotes),
        req_err(b"ECHO \"a\"b\n", UnbalancedQuotes),
        req(
            b"PING\r\nECHO \"\r\n",
            vec![vec![b"PING"]],
            End::Error(UnbalancedQuotes),
        ),
        // Size limits. A line longer than the limit is refused even if its end has arrived,
        // so the outcome does not depend on how the input was split.
        limited(line8, req(b"AAAAAAAA\n", vec![vec![b"AAAAAAAA"]], Consumed)),
        limited(line8, req_err(b"AAAAAAAAA", TooBigInlineRequest)),
        limited(line8, req_err(b"AAAAAAAA\r", TooBigInlineRequest)),
        limited(line8, req_err(b"PING\x00AAAA", TooBigInlineRequest)),
        limited(line8, req(b"*1234567\r\n", vec![], Waiting)),
        limited(line8, req_err(b"*12345678", TooBigMultibulkCount)),
        limited(line8, req_err(b"*1\x00345678", TooBigMultibulkCount)),
        limited(line8, req_err(b"*1\r\n$12345678", TooBigBulkCount)),
        limited(args3, req_err(b"*4\r\n", InvalidMultibulkLength)),
        limited(bulk4, req_err(b"*1\r\n$5\r\n", InvalidBulkLength)),
        // Redis: until a client authenticates, at most 10 arguments of at most 16 KiB.
        unauthenticated(req(b"*10\r\n", vec![], Waiting)),
        unauthenticated(req_err(b"*11\r\n", UnauthenticatedMultibulkLength)),
        unauthenticated(req(b"*1\r\n$16384\r\n", vec![], Waiting)),
        unauthenticated(req_err(b"*1\r\n$16385\r\n", UnauthenticatedBulkLength)),
        unauthenticated(req(
            b"*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n",
            vec![vec![b"AUTH", b"p"]],
            Consumed,
        )),
        // Redis has no such limit on inline requests.
        unauthenticated(req(
            b"a b c d e f g h i j k\r\n",
            vec![vec![
                b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k",
            ]],
            Consumed,
        )),
    ]
}

fn describe_request(vector: &RequestVector) -> String {
    format!(
        "{:?} (authenticated {}, limits {:?})",
        String::from_utf8_lossy(&vector.input),
        vector.authenticated,
        vector.limits
    )
}

fn request_decoder(vector: &RequestVector) -> RequestDecoder {
    let mut decoder = RequestDecoder::with_limits(vector.limits);
    decoder.set_authenticated(vector.authenticated);
    decoder
}

/// Decodes every request now in `buf`; the end is `Ok(())` when the decoder wants more.
fn drain(
    decoder: &mut RequestDecoder,
    buf: &mut BytesMut,
    out: &mut Vec<Vec<Bytes>>,
) -> Result<(), Error> {
    while let Some(args) = decoder.decode(buf)? {
        assert!(!args.is_empty(), "empty requests are skipped");
        out.push(args);
    }
    Ok(())
}

/// [`drain`] through `next_request`: arguments borrowed from the buffer, which then moves
/// past the request, as the server reads them.
fn drain_in_place(
    decoder: &mut RequestDecoder,
    buf: &mut BytesMut,
    out: &mut Vec<Vec<Bytes>>,
) -> Result<(), Error> {
    while let Some(request) = decoder.next_request(buf)? {
        match request {
            Request::InPlace { len } => {
                let args: Vec<Bytes> = decoder
                    .ranges()
                    .iter()
                    .map(|range| {
                        assert!(range.end <= len, "an argument beyond its request");
                        Bytes::copy_from_slice(&buf[range.clone()])
                    })
                    .collect();
                assert!(!args.is_empty(), "empty requests are skipped");
                out.push(args);
                buf.advance(len);
            }
            Request::Owned(args) => {
                assert!(!args.is_empty(), "empty requests are skipped");
                out.push(args);
            }
        }
    }
    Ok(())
}

fn expected_requests(vector: &RequestVector) -> Vec<Vec<Bytes>> {
    vector
        .requests
        .iter()
        .map(|args| args.iter().map(|a| Bytes::from_static(a)).collect())
        .collect()
}

fn end_of(result: Result<(), Error>, buf: &BytesMut) -> End {
    match result {
        Err(e) => End::Error(e),
        Ok(()) if buf.is_empty() => End::Consumed,
        Ok(()) => End::Waiting,
    }
}

/// The two ways of reading requests: copied out of the buffer, and borrowed in place.
type Drain = fn(&mut RequestDecoder, &mut BytesMut, &mut Vec<Vec<Bytes>>) -> Result<(), Error>;
const DRAINS: [Drain; 2] = [drain, drain_in_place];

#[test]
fn request_vectors_whole() {
    for (drain, vector) in DRAINS
        .into_iter()
        .flat_map(|drain| request_vectors().into_iter().map(move |v| (drain, v)))
    {
        let mut decoder = request_decoder(&vector);
        let mut buf = BytesMut::from(&vector.input[..]);
        let mut got = Vec::new();
        let result = drain(&mut decoder, &mut buf, &mut got);
        assert_eq!(
            got,
            expected_requests(&vector),
            "{}",
            describe_request(&vector)
        );
        assert_eq!(
            end_of(result, &buf),
            vector.end,
            "{}",
            describe_request(&vector)
        );
    }
}

#[test]
fn request_vectors_byte_by_byte() {
    for (drain, vector) in DRAINS
        .into_iter()
        .flat_map(|drain| request_vectors().into_iter().map(move |v| (drain, v)))
    {
        let mut decoder = request_decoder(&vector);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        let mut result = Ok(());
        for (i, &byte) in vector.input.iter().enumerate() {
            buf.extend_from_slice(&[byte]);
            result = drain(&mut decoder, &mut buf, &mut got);
            if result.is_err() {
                assert_eq!(
                    i + 1,
                    vector.input.len(),
                    "{}: error {result:?} before the last byte",
                    describe_request(&vector)
                );
            }
        }
        assert_eq!(
            got,
            expected_requests(&vector),
            "{}",
            describe_request(&vector)
        );
        assert_eq!(
            end_of(result, &buf),
            vector.end,
            "{}",
            describe_request(&vector)
        );
    }
}

#[test]
fn request_vectors_leave_trailing_bytes() {
    // An unfinished request: it must stay in the buffer, untouched.
    const PARTIAL: &[u8] = b"*1\r\n$4\r\nPI";
    for vector in request_vectors() {
        if vector.end == End::Waiting {
            // More bytes would continue the waiting request rather than trail it.
            continue;
        }
        let mut decoder = request_decoder(&vector);
        let mut input = vector.input.clone();
        input.extend_from_slice(PARTIAL);
        let mut buf = BytesMut::from(&input[..]);
        let mut got = Vec::new();
        let result = drain(&mut decoder, &mut buf, &mut got);
        assert_eq!(
            got,
            expected_requests(&vector),
            "{}",
            describe_request(&vector)
        );
        match vector.end {
            End::Consumed => {
                assert_eq!(result, Ok(()), "{}", describe_request(&vector));
                assert_eq!(&buf[..], PARTIAL, "{}", describe_request(&vector));
                buf.extend_from_slice(b"NG\r\n");
                assert_eq!(decoder.decode(&mut buf), Ok(Some(vec![b(b"PING")])));
            }
            End::Error(e) => assert_eq!(result, Err(e), "{}", describe_request(&vector)),
            End::Waiting => unreachable!(),
        }
    }
}

/// Whole requests take a fast path; the limits must hold there too. (The table's error vectors
/// end where the error becomes certain, before any payload, so they cannot show this.)
#[test]
fn request_limits_hold_for_whole_requests() {
    let decode = |limits: Limits, authenticated: bool, input: &[u8]| {
        let mut decoder = RequestDecoder::with_limits(limits);
        decoder.set_authenticated(authenticated);
        decoder.decode(&mut BytesMut::from(input))
    };
    let mut eleven = BytesMut::new();
    radish_resp::encode_request(&[&b"a"[..]; 11], &mut eleven);
    assert_eq!(
        decode(Limits::default(), false, &eleven),
        Err(Error::UnauthenticatedMultibulkLength)
    );
    assert_eq!(
        decode(Limits::default(), true, &eleven)
            .unwrap()
            .unwrap()
            .len(),
        11
    );

    let mut big = BytesMut::new();
    radish_resp::encode_request(&[vec![b'x'; 16385]], &mut big);
    assert_eq!(
        decode(Limits::default(), false, &big),
        Err(Error::UnauthenticatedBulkLength)
    );
    assert!(decode(Limits::default(), true, &big).unwrap().is_some());

    let bulk4 = small(|l| l.max_bulk_len = 4);
    assert_eq!(
        decode(bulk4, true, b"*1\r\n$5\r\nhello\r\n"),
        Err(Error::InvalidBulkLength)
    );
    let args1 = small(|l| l.max_aggregate_len = 1);
    assert_eq!(
        decode(args1, true, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        Err(Error::InvalidMultibulkLength)
    );
    let line3 = small(|l| l.max_line_len = 3);
    assert_eq!(
        decode(line3, true, b"*1\r\n$1000\r\n"),
        Err(Error::TooBigBulkCount)
    );
    assert_eq!(
        decode(line3, true, b"*1000\r\n"),
        Err(Error::TooBigMultibulkCount)
    );
}

#[test]
fn request_errors_display_redis_text() {
    let cases = [
        (
            Error::ExpectedBulk(b'*'),
            "Protocol error: expected '$', got '*'",
        ),
        // Redis turns line breaks in error text into spaces.
        (
            Error::ExpectedBulk(b'\r'),
            "Protocol error: expected '$', got ' '",
        ),
        (
            Error::InvalidBulkLength,
            "Protocol error: invalid bulk length",
        ),
        (
            Error::InvalidMultibulkLength,
            "Protocol error: invalid multibulk length",
        ),
        (
            Error::UnbalancedQuotes,
            "Protocol error: unbalanced quotes in request",
        ),
        (
            Error::TooBigInlineRequest,
            "Protocol error: too big inline request",
        ),
        (
            Error::TooBigMultibulkCount,
            "Protocol error: too big mbulk count string",
        ),
        (
            Error::TooBigBulkCount,
            "Protocol error: too big bulk count string",
        ),
        (
            Error::UnauthenticatedMultibulkLength,
            "Protocol error: unauthenticated multibulk length",
        ),
        (
            Error::UnauthenticatedBulkLength,
            "Protocol error: unauthenticated bulk length",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
}

// ---------------------------------------------------------------------------------------------
// Properties the tables cannot show
// ---------------------------------------------------------------------------------------------

/// The address range of a buffer's bytes.
fn span(bytes: &[u8]) -> std::ops::Range<usize> {
    let start = bytes.as_ptr() as usize;
    start..start + bytes.len()
}

/// Asserts `inner` lies within `outer`'s memory: a slice, not a copy.
fn assert_within(inner: &[u8], outer: &std::ops::Range<usize>, what: &str) {
    let inner = span(inner);
    assert!(
        outer.start <= inner.start && inner.end <= outer.end,
        "{what} was copied: {inner:x?} is outside the input {outer:x?}"
    );
}

#[test]
fn frame_payloads_are_slices_of_the_input() {
    let input: &[u8] = b"*6\r\n$5\r\nhello\r\n+simple\r\n-ERR e\r\n(12345\r\n\
        =8\r\ntxt:text\r\n%1\r\n!3\r\nbad\r\n$3\r\nval\r\n";
    let mut buf = BytesMut::with_capacity(1024);
    buf.extend_from_slice(input);
    let original = span(&buf);
    let frame = Decoder::new().decode(&mut buf).unwrap().unwrap();
    let Frame::Array(items) = &frame else {
        panic!("{frame:?}")
    };
    let mut payloads: Vec<&Bytes> = items.iter().filter_map(Frame::as_bytes).collect();
    let Frame::Map(pairs) = &items[5] else {
        panic!("{frame:?}")
    };
    payloads.extend(pairs[0].0.as_bytes());
    payloads.extend(pairs[0].1.as_bytes());
    assert_eq!(payloads.len(), 7, "{frame:?}");
    for payload in payloads {
        assert_within(payload, &original, &format!("{payload:?}"));
    }
}

#[test]
fn request_arguments_are_slices_of_the_input() {
    let input: &[u8] = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n";
    let mut buf = BytesMut::with_capacity(1024);
    buf.extend_from_slice(input);
    let original = span(&buf);
    let mut decoder = RequestDecoder::new();
    let multibulk = decoder.decode(&mut buf).unwrap().unwrap();
    let inline = decoder.decode(&mut buf).unwrap().unwrap();
    assert_eq!(multibulk, vec![b(b"SET"), b(b"key"), b(b"value")]);
    assert_eq!(inline, vec![b(b"GET"), b(b"key")]);
    for arg in multibulk.iter().chain(&inline) {
        assert_within(arg, &original, &format!("{arg:?}"));
    }
}

fn nested_arrays(depth: usize, leaf: &[u8]) -> Vec<u8> {
    let mut input = b"*1\r\n".repeat(depth);
    input.extend_from_slice(leaf);
    input
}

/// Takes a nested single-element array apart one level at a time, returning its depth and
/// leaf. Dropping a very deep frame in one go would recurse once per level.
fn unnest(mut frame: Frame) -> (usize, Frame) {
    let mut depth = 0;
    loop {
        match frame {
            Frame::Array(mut items) if items.len() == 1 => {
                frame = items.pop().unwrap();
                depth += 1;
            }
            leaf => return (depth, leaf),
        }
    }
}

#[test]
fn nesting_is_limited_to_1024_by_default() {
    let frame = Decoder::new()
        .decode(&mut BytesMut::from(&nested_arrays(1024, b":1\r\n")[..]))
        .unwrap()
        .unwrap();
    assert_eq!(unnest(frame), (1024, int(1)));

    let input = nested_arrays(1025, b":1\r\n");
    assert_eq!(
        Decoder::new().decode(&mut BytesMut::from(&input[..])),
        Err(Error::NestingTooDeep)
    );
    // An empty aggregate is a level too.
    let input = nested_arrays(1024, b"*0\r\n");
    assert_eq!(
        Decoder::new().decode(&mut BytesMut::from(&input[..])),
        Err(Error::NestingTooDeep)
    );
}

#[test]
fn deep_input_never_overflows_the_stack() {
    // Past the default limit: refused.
    let input = nested_arrays(100_000, b":1\r\n");
    assert_eq!(
        Decoder::new().decode(&mut BytesMut::from(&input[..])),
        Err(Error::NestingTooDeep)
    );

    // With the limit lifted, scanning 100,000 levels down to a bad byte must not recurse...
    let unlimited = small(|l| l.max_depth = usize::MAX);
    let input = nested_arrays(100_000, b"X");
    assert_eq!(
        Decoder::with_limits(unlimited).decode(&mut BytesMut::from(&input[..])),
        Err(Error::InvalidTypeByte(b'X'))
    );
    // ...and neither may building the frame.
    let input = nested_arrays(100_000, b":7\r\n");
    let frame = Decoder::with_limits(unlimited)
        .decode(&mut BytesMut::from(&input[..]))
        .unwrap()
        .unwrap();
    assert_eq!(unnest(frame), (100_000, int(7)));
}

#[test]
fn default_line_limit_is_64_kib() {
    let mut at_limit = b"+".to_vec();
    at_limit.extend(std::iter::repeat(b'a').take(64 * 1024));
    let mut buf = BytesMut::from(&at_limit[..]);
    buf.extend_from_slice(b"\r\n");
    assert!(matches!(
        Decoder::new().decode(&mut buf),
        Ok(Some(Frame::SimpleString(s))) if s.len() == 64 * 1024
    ));

    let mut over = at_limit.clone();
    over.push(b'a');
    assert_eq!(
        Decoder::new().decode(&mut BytesMut::from(&over[..])),
        Err(Error::LineTooLong)
    );

    let mut inline = vec![b'A'; 64 * 1024 + 1];
    inline.push(b'\n');
    assert_eq!(
        RequestDecoder::new().decode(&mut BytesMut::from(&inline[..])),
        Err(Error::TooBigInlineRequest)
    );
}

#[test]
fn limits_are_configurable() {
    let limits = Limits {
        max_bulk_len: 10,
        ..Limits::default()
    };
    let mut decoder = Decoder::with_limits(limits);
    assert_eq!(decoder.limits(), &limits);
    assert_eq!(
        decoder.decode(&mut BytesMut::from(&b"$11\r\nhello world\r\n"[..])),
        Err(Error::InvalidBulkLength)
    );
    assert_eq!(
        Decoder::with_limits(limits).decode(&mut BytesMut::from(&b"$10\r\nhelloworld\r\n"[..])),
        Ok(Some(bulk(b"helloworld")))
    );
    // The same frame passes with the defaults.
    assert_eq!(
        Decoder::new().decode(&mut BytesMut::from(&b"$11\r\nhello world\r\n"[..])),
        Ok(Some(bulk(b"hello world")))
    );
    assert_eq!(
        RequestDecoder::with_limits(limits)
            .decode(&mut BytesMut::from(&b"*1\r\n$11\r\nhello world\r\n"[..])),
        Err(Error::InvalidBulkLength)
    );
}

/// The decoder must not look again at bytes it has already scanned. To observe that, these
/// tests change bytes that were already scanned: a decoder that rescans from the start sees the
/// change, one that resumes does not.
#[test]
fn decoder_resumes_instead_of_rescanning_tokens() {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"*3\r\n:1\r\n:2\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf[5] = b'9'; // `:1` becomes `:9`, too late to matter.
    buf.extend_from_slice(b":3\r\n");
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(array(vec![int(1), int(2), int(3)])))
    );
}

#[test]
fn decoder_resumes_instead_of_rescanning_a_line() {
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::from(&b"+abc"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    // A rescan would now stop at this `\r` and reject the line.
    buf[2] = b'\r';
    buf.extend_from_slice(b"def\r\n");
    assert_eq!(decoder.decode(&mut buf), Ok(Some(simple(b"a\rcdef"))));
}

#[test]
fn request_decoder_resumes_instead_of_rescanning() {
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf[5] = b'x'; // `$3` becomes `$x`, an invalid length, after it was read.
    buf.extend_from_slice(b"$1\r\nk\r\n");
    assert_eq!(decoder.decode(&mut buf), Ok(Some(vec![b(b"GET"), b(b"k")])));

    // Within one header line too: the search for its `\r` resumes where it stopped. A `\r`
    // slipped in behind that point is not seen, so the length reads as `1\r0`, which is
    // invalid (a rescan would instead read a length of 1 and succeed).
    let mut buf = BytesMut::from(&b"*1\r\n$10"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf[6] = b'\r';
    buf.extend_from_slice(b"\r\n0123456789\r\n");
    assert_eq!(decoder.decode(&mut buf), Err(Error::InvalidBulkLength));

    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"ECHO ab"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf[5] = b'\n'; // A rescan would end the line here.
    buf.extend_from_slice(b"c\r\n");
    // The whole line is one request; `\n` inside it separates arguments.
    assert_eq!(
        decoder.decode(&mut buf),
        Ok(Some(vec![b(b"ECHO"), b(b"bc")]))
    );
}

#[test]
fn long_bulk_arrives_in_many_chunks() {
    // A 1 MiB bulk fed in 1,000-byte pieces, with a decode call after each.
    let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut input = format!("${}\r\n", payload.len()).into_bytes();
    input.extend_from_slice(&payload);
    input.extend_from_slice(b"\r\n");
    let mut decoder = Decoder::new();
    let mut buf = BytesMut::new();
    let mut result = None;
    for chunk in input.chunks(1000) {
        assert!(result.is_none(), "decoded before the end");
        buf.extend_from_slice(chunk);
        result = decoder.decode(&mut buf).unwrap();
    }
    assert_eq!(result, Some(Frame::BulkString(Bytes::from(payload))));
}

#[test]
fn parsed_counts_what_a_partial_request_has_had_parsed() {
    // As Redis's query buffer shrinks while a request arrives: `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n`
    // is parsed, the third argument's `$10\r\n` too, `12345` waits.
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n12345"[..]);
    assert_eq!(decoder.next_request(&mut buf), Ok(None));
    assert_eq!(buf.len() - decoder.parsed(), 5);
    buf.extend_from_slice(b"67890\r\n");
    assert!(matches!(
        decoder.next_request(&mut buf),
        Ok(Some(Request::InPlace { .. }))
    ));
    assert_eq!(decoder.parsed(), 0);
    // A `*` line not yet ended: nothing parsed.
    let mut decoder = RequestDecoder::new();
    let mut buf = BytesMut::from(&b"*3"[..]);
    assert_eq!(decoder.next_request(&mut buf), Ok(None));
    assert_eq!(decoder.parsed(), 0);
    // An inline command has no parts parsed before its line ends.
    let mut buf = BytesMut::from(&b"SET k"[..]);
    assert_eq!(decoder.next_request(&mut buf), Ok(None));
    assert_eq!(decoder.parsed(), 0);
}
