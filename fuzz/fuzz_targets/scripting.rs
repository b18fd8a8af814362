//! Scripts through a whole `Session`: no script and no reply a script's command gets makes the
//! server panic, and every reply is well-formed RESP.
//!
//! The input is read as lines; a line's first byte picks what runs:
//! - a command picked as in the `session` target, run by a script through `redis.call` or
//!   `redis.pcall`, its reply read in RESP2 or RESP3 and returned (each of Redis's reply
//!   types through the conversion both ways);
//! - the rest of the line as MessagePack, JSON or a `struct` format and data, decoded by the
//!   script and returned (arbitrary nested Lua values through the reply conversion);
//! - HELLO 2 or HELLO 3 for the caller.
//!
//! Script bodies are fixed: a body of the fuzzer's own could loop forever, which Redis allows.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use radish_resp::{encode_request, Decoder};
use radish_store::{Session, Status};

mod commands;
use commands::pick;

const T0: u64 = 1_700_000_000_000;

/// The scripts a line may run, with what their ARGV is.
const CALL: [&str; 4] = [
    "return redis.call(unpack(ARGV))",
    "return redis.pcall(unpack(ARGV))",
    "redis.setresp(3) return redis.pcall(unpack(ARGV))",
    "redis.setresp(3) local r = redis.pcall(unpack(ARGV)) return {r, type(r)}",
];
const DECODE: [&str; 3] = [
    "return cmsgpack.unpack(ARGV[1])",
    "return cjson.decode(ARGV[1])",
    "return {struct.unpack(ARGV[1], ARGV[2])}",
];

fuzz_target!(|data: &[u8]| {
    let table = commands::commands();
    let server = commands::server(T0);
    let mut session = Session::new(server.clone(), None, None, T0);
    let (mut input, mut out) = (BytesMut::new(), BytesMut::new());
    let mut resp3 = false;
    for mut line in data.split(|&b| b == b'\n') {
        let mode = pick(&mut line);
        let args: Vec<Vec<u8>> = match mode % 8 {
            mode @ 0..=3 => {
                let Some(call) = commands::request(&table, line) else {
                    continue;
                };
                let mut args = vec![
                    b"EVAL".to_vec(),
                    CALL[usize::from(mode)].as_bytes().to_vec(),
                    b"0".to_vec(),
                ];
                args.extend(call);
                args
            }
            mode @ 4..=6 => {
                let mut args = vec![
                    b"EVAL".to_vec(),
                    DECODE[usize::from(mode - 4)].as_bytes().to_vec(),
                    b"0".to_vec(),
                ];
                if mode == 6 {
                    // struct.unpack's format, then its data.
                    let split = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
                    args.push(line[..split].to_vec());
                    args.push(line.get(split + 1..).unwrap_or_default().to_vec());
                } else {
                    args.push(line.to_vec());
                }
                args
            }
            _ => {
                resp3 = !resp3;
                let version: &[u8] = if resp3 { b"3" } else { b"2" };
                vec![b"HELLO".to_vec(), version.to_vec()]
            }
        };
        encode_request(&args, &mut input);
        if session.handle(&mut input, T0, &mut out) == Status::Close {
            session = Session::new(server.clone(), None, None, T0);
            input.clear();
            resp3 = false;
        }
        // Every reply decodes, whole.
        let mut decoder = Decoder::new();
        while !out.is_empty() {
            match decoder.decode(&mut out) {
                Ok(Some(_)) => {}
                other => panic!("a reply that is not RESP: {other:?}"),
            }
        }
        out.clear();
    }
});
