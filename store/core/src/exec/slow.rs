//! What Redis's `call()` records of a command's duration besides INFO commandstats: the
//! latency monitor's `command` and `fast-command` events, and the slow log, with the
//! arguments as the log keeps them (secrets redacted as the commands that carry them redact
//! them, then trimmed). A blocked command is logged once it is served or CLIENT UNBLOCK
//! ends its wait (not when it times out, as in Redis 7.0), with the time it ran before
//! blocking plus the time serving it took, as Redis's `updateStatsOnUnblock` does.

use bytes::Bytes;
use radish_data::Millis;

use crate::exec::command::{Command, Flags};
use crate::exec::ctx::Ctx;
use crate::server::Server;
use crate::state::keyspace::Waiter;
use crate::state::slowlog::trimmed;

/// What a redacted argument reads as in the slow log.
const REDACTED: &[u8] = b"(redacted)";

/// The configuration parameters CONFIG SET redacts the values of (Redis's
/// `SENSITIVE_CONFIG`).
const SENSITIVE_PARAMETERS: &[&str] = &["masteruser", "masterauth", "requirepass"];

/// The address the slow log shows for a client that has none (a script's commands: Redis's
/// Lua client has no socket, and formats its missing peer so).
const NO_PEER: &str = "?:0";

/// Whether commands must be timed one by one (the slow log or the latency monitor is on).
#[inline]
pub fn watched(server: &Server) -> bool {
    server.slowlog.enabled() || server.latency.enabled()
}

/// `command` ran for `micros` as this context's client: its latency event, and its slow
/// log entry unless it blocked (logged when served) or is never logged (EXEC, whose
/// commands are logged each on its own).
pub fn ran(ctx: &Ctx<'_, '_>, command: &Command, args: &[&[u8]], micros: u64, blocked: bool) {
    let server = ctx.server;
    let event = if command.has(Flags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    server.latency.add_if_needed(event, micros / 1000, ctx.now);
    if blocked || command.has(Flags::SKIP_SLOWLOG) || !server.slowlog.logs(micros) {
        return;
    }
    let (peer, name) = if ctx.conn.script {
        (NO_PEER.to_string(), Bytes::new())
    } else {
        (peer(ctx.client.addr), ctx.conn.name.clone())
    };
    let args = logged_args(command.full_name, args);
    server.slowlog.push(args, micros, peer, name, ctx.now);
}

/// A blocked command was served or unblocked at `now`, after `micros` in all (before
/// blocking and while being served): its slow log entry, as its client sent it.
pub fn unblocked(server: &Server, waiter: &Waiter, micros: u64, now: Millis) {
    if !server.slowlog.logs(micros) {
        return;
    }
    let name = waiter.client.info().name;
    let args = logged_args(waiter.command, &waiter.args);
    server
        .slowlog
        .push(args, micros, peer(waiter.client.addr), name, now);
}

/// CLIENT UNBLOCK ended a blocked command's wait at `now`: its slow log entry, with the
/// time it ran before blocking, and no arguments: Redis 7.0 logs it after releasing them.
pub fn unblocked_by_command(server: &Server, waiter: &Waiter, now: Millis) {
    if !server.slowlog.logs(waiter.micros) {
        return;
    }
    let name = waiter.client.info().name;
    let peer = peer(waiter.client.addr);
    server
        .slowlog
        .push(Vec::new(), waiter.micros, peer, name, now);
}

/// `ip:port` as Redis formats a peer (an IPv6 address in brackets).
fn peer(addr: Option<std::net::SocketAddr>) -> String {
    addr.map_or_else(|| NO_PEER.to_string(), |addr| addr.to_string())
}

/// The arguments of `command` (full name) as the slow log keeps them: secrets redacted,
/// then [`trimmed`].
fn logged_args<A: AsRef<[u8]>>(command: &str, args: &[A]) -> Vec<Bytes> {
    let redacted = redacted(command, args);
    if redacted.is_empty() {
        return trimmed(args);
    }
    let args: Vec<&[u8]> = args
        .iter()
        .enumerate()
        .map(|(j, arg)| {
            if redacted.contains(&j) {
                REDACTED
            } else {
                arg.as_ref()
            }
        })
        .collect();
    trimmed(&args)
}

/// Which arguments of `command` Redis redacts before it runs (its
/// `redactClientCommandArgument` calls): passwords and ACL rules.
pub(crate) fn redacted<A: AsRef<[u8]>>(command: &str, args: &[A]) -> Vec<usize> {
    let arg = |j: usize| args[j].as_ref();
    match command {
        // AUTH [username] password, unless it has too many arguments to be read at all.
        "auth" if args.len() <= 3 => (1..args.len()).collect(),
        // Every rule, and the user's name with them.
        "acl|setuser" if args.len() >= 3 => (2..args.len()).collect(),
        // The values of sensitive parameters, all of them even past an error.
        "config|set" if args.len() >= 4 && args.len() % 2 == 0 => (2..args.len())
            .step_by(2)
            .filter(|&j| {
                let name = String::from_utf8_lossy(arg(j));
                SENSITIVE_PARAMETERS
                    .iter()
                    .any(|sensitive| name.eq_ignore_ascii_case(sensitive))
            })
            .map(|j| j + 1)
            .collect(),
        "hello" => hello_redacted(args),
        "migrate" => migrate_redacted(args),
        _ => Vec::new(),
    }
}

/// MIGRATE's AUTH password and AUTH2 username and password, among the options read before
/// MIGRATE stops at KEYS or a bad option, as Redis's `migrateCommand` reads them.
fn migrate_redacted<A: AsRef<[u8]>>(args: &[A]) -> Vec<usize> {
    let mut redacted = Vec::new();
    let mut j = 6;
    while j < args.len() {
        let option = String::from_utf8_lossy(args[j].as_ref()).to_ascii_lowercase();
        let more = args.len() - 1 - j;
        match option.as_str() {
            "copy" | "replace" => {}
            "auth" if more >= 1 => {
                j += 1;
                redacted.push(j);
            }
            "auth2" if more >= 2 => {
                redacted.extend([j + 1, j + 2]);
                j += 2;
            }
            _ => break,
        }
        j += 1;
    }
    redacted
}

/// HELLO [protover [AUTH username password] [SETNAME name]]: the AUTH pairs read before
/// HELLO stops at a bad version or option, as Redis reads them.
fn hello_redacted<A: AsRef<[u8]>>(args: &[A]) -> Vec<usize> {
    let mut redacted = Vec::new();
    if args.len() < 2 {
        return redacted;
    }
    let version = std::str::from_utf8(args[1].as_ref())
        .ok()
        .and_then(|text| text.parse::<i64>().ok());
    if !matches!(version, Some(2 | 3)) {
        return redacted;
    }
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = args[j].as_ref();
        if option.eq_ignore_ascii_case(b"auth") && more >= 2 {
            redacted.extend([j + 1, j + 2]);
            j += 3;
        } else if option.eq_ignore_ascii_case(b"setname") && more >= 1 {
            j += 2;
        } else {
            break;
        }
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(command: &str, args: &[&str]) -> Vec<String> {
        logged_args(command, args)
            .iter()
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect()
    }

    #[test]
    fn secrets_are_redacted_as_redis_redacts_them() {
        assert_eq!(logged("auth", &["auth", "pw"]), ["auth", "(redacted)"]);
        assert_eq!(
            logged("auth", &["auth", "u", "pw"]),
            ["auth", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            logged("auth", &["auth", "a", "b", "c"]),
            ["auth", "a", "b", "c"]
        );
        assert_eq!(
            logged("acl|setuser", &["acl", "setuser", "u", "+get"]),
            ["acl", "setuser", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            logged(
                "config|set",
                &["config", "set", "maxmemory", "1", "MasterAuth", "x"]
            ),
            [
                "config",
                "set",
                "maxmemory",
                "1",
                "MasterAuth",
                "(redacted)"
            ]
        );
        assert_eq!(
            logged(
                "hello",
                &["hello", "3", "setname", "n", "auth", "u", "p", "auth", "v"]
            ),
            [
                "hello",
                "3",
                "setname",
                "n",
                "auth",
                "(redacted)",
                "(redacted)",
                "auth",
                "v"
            ]
        );
        assert_eq!(
            logged("hello", &["hello", "4", "auth", "u", "p"]),
            ["hello", "4", "auth", "u", "p"]
        );
    }
}
