//! radish-resp against redis-protocol on the same inputs, in the same run.
//!
//! `cargo bench -p radish-resp --bench codec -- --warm-up-time 1 --measurement-time 3`
//!
//! Each group measures one input with both crates, in bytes per second. Each timed decode starts
//! with a fresh decoder and a read buffer refilled with the input (outside the timing), and
//! drops each decoded frame as a server would, so memory is reused as it is in a server.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use radish_resp::{encode, encode_request, Decoder, Frame, RequestDecoder, Version};
use redis_protocol::resp2::{decode as rp2_decode, encode as rp2_encode, types as rp2};
use redis_protocol::resp3::decode::complete as rp3_decode;

/// 1,000 pipelined `SET key:NNNN <32-byte value>` requests, as a client sends them.
fn set_pipeline() -> Vec<u8> {
    let mut out = BytesMut::new();
    let value = [b'v'; 32];
    for i in 0..1000 {
        let key = format!("key:{i:04}");
        encode_request(&[&b"SET"[..], key.as_bytes(), &value], &mut out);
    }
    out.to_vec()
}

fn big_bulk() -> Vec<u8> {
    let mut out = BytesMut::new();
    let payload: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    encode(&Frame::bulk(payload), Version::Resp2, &mut out);
    out.to_vec()
}

fn integer_array() -> Vec<u8> {
    let frame = Frame::Array(
        (0..1000)
            .map(|i| Frame::Integer(i * 7919 - 500_000))
            .collect(),
    );
    let mut out = BytesMut::new();
    encode(&frame, Version::Resp2, &mut out);
    out.to_vec()
}

/// A nested RESP3 reply: a map of 50 entries, each a map of 6 fields of mixed types, one of
/// them an array.
fn nested_map() -> Vec<u8> {
    let entry = |i: i64| {
        Frame::Map(vec![
            (Frame::bulk("id"), Frame::Integer(i)),
            (Frame::bulk("name"), Frame::bulk(format!("client-{i}"))),
            (Frame::bulk("score"), Frame::Double(i as f64 * 1.5)),
            (Frame::bulk("active"), Frame::Boolean(i % 2 == 0)),
            (Frame::bulk("flags"), Frame::simple("N")),
            (
                Frame::bulk("tags"),
                Frame::Array(vec![Frame::bulk("a"), Frame::bulk("b"), Frame::Integer(i)]),
            ),
        ])
    };
    let frame = Frame::Map(
        (0..50)
            .map(|i| (Frame::bulk(format!("entry:{i}")), entry(i)))
            .collect(),
    );
    let mut out = BytesMut::new();
    encode(&frame, Version::Resp3, &mut out);
    out.to_vec()
}

/// Decodes every frame in `buf` with radish's generic decoder, dropping each as a server
/// would once done with it. Returns how many, and the emptied buffer to be refilled.
fn radish_frames(mut buf: BytesMut) -> (usize, BytesMut) {
    let mut decoder = Decoder::new();
    let mut count = 0;
    while let Some(frame) = decoder.decode(&mut buf).unwrap() {
        black_box(frame);
        count += 1;
    }
    (count, buf)
}

/// The same with radish's request decoder.
fn radish_requests(mut buf: BytesMut) -> (usize, BytesMut) {
    let mut decoder = RequestDecoder::new();
    let mut count = 0;
    while let Some(args) = decoder.decode(&mut buf).unwrap() {
        black_box(args);
        count += 1;
    }
    (count, buf)
}

fn redis_protocol_resp2(mut buf: BytesMut) -> (usize, BytesMut) {
    let mut count = 0;
    while let Some(decoded) = rp2_decode::decode_bytes_mut(&mut buf).unwrap() {
        black_box(decoded);
        count += 1;
    }
    (count, buf)
}

fn redis_protocol_resp3(mut buf: BytesMut) -> (usize, BytesMut) {
    let mut count = 0;
    while let Some(decoded) = rp3_decode::decode_bytes_mut(&mut buf).unwrap() {
        black_box(decoded);
        count += 1;
    }
    (count, buf)
}

type DecodeFn = fn(BytesMut) -> (usize, BytesMut);

fn decode_group(
    c: &mut Criterion,
    name: &str,
    input: &[u8],
    frames: usize,
    cases: &[(&str, DecodeFn)],
) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(input.len() as u64));
    for (label, decode) in cases {
        // Check once that each decoder reads the whole input as the expected number of frames.
        assert_eq!(decode(BytesMut::from(input)).0, frames, "{name}/{label}");
        group.bench_function(*label, |b| {
            b.iter_custom(|iters| {
                // Read buffers refilled before each timed stretch, as a connection's buffer is:
                // once the decoded frames are dropped, `BytesMut` reuses its allocation. Small
                // inputs are timed one by one; a large one's decode is so short that the clock
                // would dominate, so several are timed together.
                let batch = if input.len() > 128 * 1024 { 16 } else { 1 };
                let mut bufs: Vec<BytesMut> = (0..batch)
                    .map(|_| BytesMut::with_capacity(input.len()))
                    .collect();
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let n = (iters - done).min(batch as u64) as usize;
                    for buf in &mut bufs[..n] {
                        buf.clear();
                        buf.extend_from_slice(input);
                    }
                    let start = Instant::now();
                    for buf in &mut bufs[..n] {
                        let (count, rest) = decode(std::mem::take(buf));
                        *buf = rest;
                        assert_eq!(count, frames);
                    }
                    total += start.elapsed();
                    done += n as u64;
                }
                total
            })
        });
    }
    group.finish();
}

fn decoding(c: &mut Criterion) {
    decode_group(
        c,
        "decode/pipeline_1000_set",
        &set_pipeline(),
        1000,
        &[
            ("radish_request_decoder", radish_requests),
            ("radish_decoder", radish_frames),
            ("redis_protocol_resp2", redis_protocol_resp2),
        ],
    );
    decode_group(
        c,
        "decode/bulk_1mib",
        &big_bulk(),
        1,
        &[
            ("radish_decoder", radish_frames),
            ("redis_protocol_resp2", redis_protocol_resp2),
        ],
    );
    decode_group(
        c,
        "decode/array_1000_integers",
        &integer_array(),
        1,
        &[
            ("radish_decoder", radish_frames),
            ("redis_protocol_resp2", redis_protocol_resp2),
        ],
    );
    decode_group(
        c,
        "decode/nested_resp3_map",
        &nested_map(),
        1,
        &[
            ("radish_decoder", radish_frames),
            ("redis_protocol_resp3", redis_protocol_resp3),
        ],
    );
}

/// 1,000 typical replies: `+OK`, integers, 32-byte bulks and nulls, in turn.
fn replies() -> (Vec<Frame>, Vec<rp2::BytesFrame>) {
    let value = Bytes::from_static(&[b'v'; 32]);
    let radish = (0..1000)
        .map(|i| match i % 4 {
            0 => Frame::ok(),
            1 => Frame::Integer(i * 1000),
            2 => Frame::BulkString(value.clone()),
            _ => Frame::Null,
        })
        .collect();
    let theirs = (0..1000)
        .map(|i| match i % 4 {
            0 => rp2::BytesFrame::SimpleString(Bytes::from_static(b"OK")),
            1 => rp2::BytesFrame::Integer(i * 1000),
            2 => rp2::BytesFrame::BulkString(value.clone()),
            _ => rp2::BytesFrame::Null,
        })
        .collect();
    (radish, theirs)
}

fn encoding(c: &mut Criterion) {
    let (radish, theirs) = replies();
    let mut ours = BytesMut::new();
    for frame in &radish {
        encode(frame, Version::Resp2, &mut ours);
    }
    let mut reference = BytesMut::new();
    for frame in &theirs {
        rp2_encode::extend_encode(&mut reference, frame, false).unwrap();
    }
    assert_eq!(ours, reference, "both crates write the same bytes");

    let mut group = c.benchmark_group("encode/replies_1000");
    group.throughput(Throughput::Bytes(ours.len() as u64));
    group.bench_function("radish", |b| {
        let mut out = BytesMut::with_capacity(ours.len());
        b.iter(|| {
            out.clear();
            for frame in &radish {
                encode(frame, Version::Resp2, &mut out);
            }
            black_box(&out);
        })
    });
    group.bench_function("redis_protocol_resp2", |b| {
        let mut out = BytesMut::with_capacity(ours.len());
        b.iter(|| {
            out.clear();
            for frame in &theirs {
                rp2_encode::extend_encode(&mut out, frame, false).unwrap();
            }
            black_box(&out);
        })
    });
    group.finish();
}

criterion_group!(benches, decoding, encoding);
criterion_main!(benches);
