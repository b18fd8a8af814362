//! Commands, as clients send them, through a whole `Session` with the time moving on: no
//! input makes the server panic.
//!
//! The input is read as lines. A line's first byte picks a command from the command table (so
//! the fuzzer reaches every command without having to guess its name), its second byte a
//! subcommand where there are some; the rest of the line are the arguments, separated by
//! spaces. A line starting with 0xFF instead advances the clock and runs the server's tick, so
//! expiry, timeouts and eviction are exercised too.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use radish_resp::encode_request;
use radish_store::{Session, Status};

mod commands;
use commands::pick;

const T0: u64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    let table = commands::commands();
    let server = commands::server(T0);
    let mut now = T0;
    let mut session = Session::new(server.clone(), None, None, now);
    let (mut input, mut out) = (BytesMut::new(), BytesMut::new());
    for mut line in data.split(|&b| b == b'\n') {
        if let Some(after) = line.strip_prefix(&[0xFF]) {
            line = after;
            now += u64::from(pick(&mut line)) * 100;
            server.tick(now);
            continue;
        }
        let Some(args) = commands::request(&table, line) else {
            continue;
        };
        encode_request(&args, &mut input);
        if session.handle(&mut input, now, &mut out) == Status::Close {
            session = Session::new(server.clone(), None, None, now);
            input.clear();
        }
        out.clear();
    }
});
