//! Commands, as clients send them, through a whole `Session` with the time moving on: no
//! input makes the server panic.
//!
//! The input is read as lines. A line's first byte picks a command from the command table (so
//! the fuzzer reaches every command without having to guess its name), its second byte a
//! subcommand where there are some; the rest of the line are the arguments, separated by
//! spaces. A line starting with 0xFF instead advances the clock and runs the server's tick, so
//! expiry, timeouts and eviction are exercised too.

#![no_main]

use std::sync::Arc;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use radish_resp::encode_request;
use radish_store::Command;
use radish_store::{Config, Server, Session, Status};

const T0: u64 = 1_700_000_000_000;

/// Commands that write files (into the fuzzer's working directory) or stop the server.
const SKIPPED: &[&str] = &["save", "bgsave", "bgrewriteaof", "shutdown"];

/// Counts and offsets are capped: Redis itself spends unbounded memory and time on
/// `ZRANDMEMBER k -1000000000000` or `SETRANGE k 500000000 x`, and the fuzzer should explore
/// logic, not run out of memory.
const MAX_NUMBER: i64 = 10_000;

fn pick(data: &mut &[u8]) -> u8 {
    let (&byte, rest) = data.split_first().unwrap_or((&0, &[]));
    *data = rest;
    byte
}

/// The arguments of one line, with large numbers clamped and settings that would touch the
/// file system left out.
fn arguments(command: &Command, rest: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args: Vec<Vec<u8>> = command
        .full_name
        .split('|')
        .map(|s| s.as_bytes().to_vec())
        .collect();
    for arg in rest.split(|&b| b == b' ').filter(|a| !a.is_empty()) {
        let clamped = std::str::from_utf8(arg)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .map(|n| n.clamp(-MAX_NUMBER, MAX_NUMBER).to_string().into_bytes());
        args.push(clamped.unwrap_or_else(|| arg.to_vec()));
    }
    if command.full_name == "config|set"
        && args.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a.windows(3).any(|w| w == b"dir")
                || a.windows(4).any(|w| w == b"file" || w == b"aof")
                || a.starts_with(b"append")
                || a.starts_with(b"save")
        })
    {
        return None;
    }
    Some(args)
}

fuzz_target!(|data: &[u8]| {
    let table: Vec<&'static Command> = radish_store::table()
        .all()
        .filter(|c| !SKIPPED.contains(&c.full_name))
        .collect();
    let mut config = Config::default();
    config
        .apply_text("save \"\"\nmaxmemory 64mb")
        .expect("valid config");
    let server = Arc::new(Server::new(config, T0));
    let mut now = T0;
    let mut session = Session::new(server.clone(), None, None, now);
    let (mut input, mut out) = (BytesMut::new(), BytesMut::new());
    for mut line in data.split(|&b| b == b'\n') {
        let first = pick(&mut line);
        if first == 0xFF {
            now += u64::from(pick(&mut line)) * 100;
            server.tick(now);
            continue;
        }
        let mut command = table[usize::from(first) % table.len()];
        if !command.subcommands.is_empty() {
            let index = usize::from(pick(&mut line)) % command.subcommands.len();
            command = &command.subcommands[index];
        }
        let Some(args) = arguments(command, line) else {
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
