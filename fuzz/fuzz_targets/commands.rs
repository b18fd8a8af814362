//! Commands for the targets that run them through a `Session`: one picked from the command
//! table by a byte (so the fuzzer reaches every command without guessing its name), its
//! arguments from the rest of a line.

#![allow(dead_code)] // Each target uses a different part.

use std::sync::Arc;

use radish_store::{Command, Config, Server};

/// Commands that write files (into the fuzzer's working directory) or stop the server, and
/// PFSELFTEST, which spends a second adding ten million elements whatever its input.
pub const SKIPPED: &[&str] = &["save", "bgsave", "bgrewriteaof", "shutdown", "pfselftest"];

/// Counts and offsets are capped: Redis itself spends unbounded memory and time on
/// `ZRANDMEMBER k -1000000000000` or `SETRANGE k 500000000 x`, and the fuzzer should explore
/// logic, not run out of memory.
pub const MAX_NUMBER: i64 = 10_000;

pub fn pick(data: &mut &[u8]) -> u8 {
    let (&byte, rest) = data.split_first().unwrap_or((&0, &[]));
    *data = rest;
    byte
}

/// The arguments of one line, with large numbers clamped and settings that would touch the
/// file system left out.
pub fn arguments(command: &Command, rest: &[u8]) -> Option<Vec<Vec<u8>>> {
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

/// Every command a target may pick.
pub fn commands() -> Vec<&'static Command> {
    radish_store::table()
        .all()
        .filter(|c| !SKIPPED.contains(&c.full_name))
        .collect()
}

/// The command a line's first bytes pick (its second byte picks a subcommand where there are
/// some), and the arguments the rest makes; `None` for one left out.
pub fn request(commands: &[&'static Command], mut line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut command = commands[usize::from(pick(&mut line)) % commands.len()];
    if !command.subcommands.is_empty() {
        let index = usize::from(pick(&mut line)) % command.subcommands.len();
        command = &command.subcommands[index];
    }
    arguments(command, line)
}

/// A server started at `now` that saves nothing and holds at most 64 MB.
pub fn server(now: u64) -> Arc<Server> {
    let mut config = Config::default();
    config
        .apply_text("save \"\"\nmaxmemory 64mb")
        .expect("valid config");
    Arc::new(Server::new(config, now))
}
