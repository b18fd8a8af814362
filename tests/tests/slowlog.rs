//! SLOWLOG and the latency monitor against redis-server 7.0.15, on both runtimes: the same
//! commands sent to both, then what each logged compared, with what depends on timing (times,
//! durations, ports) set aside.

use std::net::SocketAddr;
use std::time::Duration;

use radish_resp::Frame;
use radish_tests::{wait_for_blocked, RawClient, RedisServer, RUNTIMES};

fn text(frame: &Frame) -> String {
    match frame {
        Frame::BulkString(b) | Frame::SimpleString(b) => String::from_utf8_lossy(b).into_owned(),
        Frame::VerbatimString { text, .. } => String::from_utf8_lossy(text).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

fn items(frame: Frame) -> Vec<Frame> {
    match frame {
        Frame::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn integer(frame: &Frame) -> i64 {
    match frame {
        Frame::Integer(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// One slow log entry without what timing decides: the id (counted from the oldest entry
/// shown), the arguments, the client's address with its port left out, and its name.
type Logged = (i64, Vec<String>, String, String);

/// SLOWLOG GET -1, oldest first, with INFO (which [`wait_for_blocked`] polls with, as often
/// as it takes) left out.
fn slowlog(client: &mut RawClient) -> Vec<Logged> {
    let mut entries: Vec<Logged> = items(client.cmd(&["SLOWLOG", "GET", "-1"]))
        .into_iter()
        .map(|entry| {
            let fields = items(entry);
            assert_eq!(fields.len(), 6, "{fields:?}");
            assert!(integer(&fields[1]) > 1_600_000_000, "a Unix time");
            assert!(integer(&fields[2]) >= 0, "a duration");
            let args = items(fields[3].clone()).iter().map(text).collect();
            let peer = text(&fields[4]);
            let ip = peer.rsplit_once(':').map_or(peer.clone(), |(ip, port)| {
                if port == "0" {
                    peer.clone()
                } else {
                    ip.to_string()
                }
            });
            (integer(&fields[0]), args, ip, text(&fields[5]))
        })
        .filter(|(_, args, _, _): &Logged| {
            args.first()
                .map_or(true, |name| !name.eq_ignore_ascii_case("info"))
        })
        .collect();
    entries.reverse();
    // Ids grow by one per entry; the INFO polls left out (how many depends on timing) leave
    // gaps, so what is compared is each entry's place.
    assert!(
        entries.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "ids grow: {entries:?}"
    );
    for (place, entry) in entries.iter_mut().enumerate() {
        entry.0 = place as i64;
    }
    entries
}

/// MIGRATEs of a missing key (NOKEY, before any connection) with AUTH and AUTH2 secrets.
#[rustfmt::skip]
const MIGRATES_WITH_SECRETS: [&[&str]; 2] = [
    &["MIGRATE", "127.0.0.1", "1", "nokey", "0", "5000", "COPY", "AUTH", "secret"],
    &["MIGRATE", "127.0.0.1", "1", "nokey", "0", "5000", "AUTH2", "user", "secret", "REPLACE"],
];

/// The commands whose slow log entries are compared, every one logged (threshold 0).
fn log_everything(addr: SocketAddr) -> Vec<Logged> {
    let mut client = RawClient::connect(addr);
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    client.cmd(&["CONFIG", "SET", "slowlog-max-len", "128"]);
    client.cmd(&["SLOWLOG", "RESET"]);
    client.cmd(&["CLIENT", "SETNAME", "tester"]);
    // 33 arguments: the 32nd says how many more there were.
    let mut sadd = vec!["SADD".to_string(), "set".to_string()];
    sadd.extend((3..=33).map(|n| n.to_string()));
    let sadd: Vec<&str> = sadd.iter().map(String::as_str).collect();
    client.cmd(&sadd);
    let exactly: Vec<&str> = sadd[..32].to_vec();
    client.cmd(&exactly);
    // Arguments cut at 128 bytes.
    let long = "A".repeat(129);
    let longer = "B".repeat(1000);
    client.cmd(&["SADD", "set", "foo", &long, &"C".repeat(128), &longer]);
    // EXEC is not logged, the commands it runs are.
    client.cmd(&["MULTI"]);
    client.cmd(&["SET", "a", "1"]);
    client.cmd(&["INCR", "n"]);
    client.cmd(&["EXEC"]);
    // A script's commands come from no address, before the script itself.
    client.cmd(&["EVAL", "redis.call('set','x','y') return 1", "0"]);
    // Secrets are redacted; rewritten commands are logged as sent.
    client.cmd(&["AUTH", "secret"]);
    client.cmd(&["AUTH", "user", "secret"]);
    client.cmd(&["CONFIG", "SET", "requirepass", "", "maxmemory", "0"]);
    client.cmd(&["HELLO", "2", "AUTH", "default", "", "SETNAME", "tester"]);
    // MIGRATE of a missing key answers NOKEY before connecting; its passwords are redacted.
    for migrate in MIGRATES_WITH_SECRETS {
        client.cmd(migrate);
    }
    client.cmd(&["GETSET", "a", "5"]);
    client.cmd(&["INCRBYFLOAT", "f", "1.5"]);
    // Refused commands never ran: not logged.
    client.cmd(&["GET"]);
    client.cmd(&["NOSUCHCOMMAND", "x"]);
    // A blocked command is logged once served, as sent, after the command that served it.
    let mut waiter = RawClient::connect(addr);
    waiter.cmd(&["CLIENT", "SETNAME", "waiter"]);
    waiter.send(&["BLPOP", "list", "0"]);
    wait_for_blocked(addr, 1);
    client.cmd(&["LPUSH", "list", "job"]);
    waiter.read();
    // ... or unblocked, then without its arguments, as Redis logs it (but not when it
    // times out).
    waiter.cmd(&["BLPOP", "empty", "0.05"]);
    let id = waiter.cmd(&["CLIENT", "ID"]);
    let id = integer(&id).to_string();
    for how in ["TIMEOUT", "ERROR"] {
        waiter.send(&["BLPOP", "empty", "0"]);
        wait_for_blocked(addr, 1);
        client.cmd(&["CLIENT", "UNBLOCK", &id, how]);
        waiter.read();
    }
    client.cmd(&["PING"]);
    let mut entries = slowlog(&mut client);
    // Client ids differ between the servers.
    for (_, args, _, _) in &mut entries {
        if args.len() > 2 && args[1] == "UNBLOCK" {
            args[2] = "<id>".to_string();
        }
    }
    entries
}

#[test]
fn slowlog_entries_match_redis_on_both_runtimes() {
    let redis = RedisServer::start();
    let expected = log_everything(redis.addr);
    let sadd = &expected[2].1;
    assert_eq!(sadd.len(), 32);
    assert_eq!(sadd[31], "... (2 more arguments)");
    assert!(
        expected.iter().any(|entry| entry.2 == "?:0"),
        "{expected:?}"
    );
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let got = log_everything(radish.addr);
        assert_eq!(got, expected, "{runtime:?}");
    }
}

/// `slowlog-max-len` keeps the newest, SLOWLOG GET counts, and -1 turns logging off.
fn bounds(addr: SocketAddr) -> Vec<Frame> {
    let mut client = RawClient::connect(addr);
    let mut replies = Vec::new();
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    client.cmd(&["CONFIG", "SET", "slowlog-max-len", "3"]);
    client.cmd(&["SLOWLOG", "RESET"]);
    for key in ["a", "b", "c", "d"] {
        client.cmd(&["SET", key, "v"]);
    }
    replies.push(client.cmd(&["SLOWLOG", "LEN"]));
    for count in ["0", "1", "2", "3", "-1", "10"] {
        let entries = items(client.cmd(&["SLOWLOG", "GET", count]));
        replies.push(Frame::Integer(entries.len() as i64));
    }
    // A shorter length applies from the next entry on.
    client.cmd(&["CONFIG", "SET", "slowlog-max-len", "1"]);
    replies.push(client.cmd(&["SLOWLOG", "LEN"]));
    replies.push(client.cmd(&["SLOWLOG", "LEN"]));
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    client.cmd(&["SLOWLOG", "RESET"]);
    client.cmd(&["SET", "e", "v"]);
    replies.push(client.cmd(&["SLOWLOG", "LEN"]));
    // A threshold no command reaches.
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "100000000"]);
    client.cmd(&["SET", "e", "v"]);
    replies.push(client.cmd(&["SLOWLOG", "LEN"]));
    replies
}

#[test]
fn slowlog_bounds_match_redis_on_both_runtimes() {
    let redis = RedisServer::start();
    let expected = bounds(redis.addr);
    for runtime in RUNTIMES {
        let radish = runtime.start();
        assert_eq!(bounds(radish.addr), expected, "{runtime:?}");
    }
}

/// Digits replaced, for texts that quote times and durations.
fn digits_masked(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// After a DEBUG SLEEP over the threshold: the `command` event, its history, graph and the
/// doctor's report; each reply checked for its figures, then returned with them masked.
fn latency_after_sleep(addr: SocketAddr) -> Vec<String> {
    let mut client = RawClient::connect(addr);
    client.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "100"]);
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
    client.cmd(&["LATENCY", "RESET"]);
    // Under the threshold: nothing.
    client.cmd(&["DEBUG", "SLEEP", "0.01"]);
    assert_eq!(items(client.cmd(&["LATENCY", "LATEST"])), vec![]);
    client.cmd(&["DEBUG", "SLEEP", "0.2"]);
    let latest = items(client.cmd(&["LATENCY", "LATEST"]));
    assert_eq!(latest.len(), 1);
    let event = items(latest[0].clone());
    assert_eq!(text(&event[0]), "command");
    let (time, latency, max) = (integer(&event[1]), integer(&event[2]), integer(&event[3]));
    assert!((200..400).contains(&latency), "{latency}");
    assert_eq!(latency, max);
    let history = items(client.cmd(&["LATENCY", "HISTORY", "command"]));
    assert_eq!(history.len(), 1);
    let sample = items(history[0].clone());
    assert_eq!((integer(&sample[0]), integer(&sample[1])), (time, latency));
    let graph = text(&client.cmd(&["LATENCY", "GRAPH", "command"]));
    let doctor = text(&client.cmd(&["LATENCY", "DOCTOR"]));
    let reset = client.cmd(&["LATENCY", "RESET", "COMMAND", "nothing"]);
    assert_eq!(reset, Frame::Integer(1));
    // The monitor's threshold under the slow log's: the doctor's advice changes.
    client.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "5"]);
    client.cmd(&["DEBUG", "SLEEP", "0.1"]);
    let tuning = text(&client.cmd(&["LATENCY", "DOCTOR"]));
    client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    let disabled = text(&client.cmd(&["LATENCY", "DOCTOR"]));
    client.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "0"]);
    let off_with_events = text(&client.cmd(&["LATENCY", "DOCTOR"]));
    client.cmd(&["LATENCY", "RESET"]);
    [graph, doctor, tuning, disabled, off_with_events]
        .iter()
        .map(|text| digits_masked(text))
        .collect()
}

#[test]
fn latency_events_match_redis_on_both_runtimes() {
    let redis = RedisServer::start();
    let expected = latency_after_sleep(redis.addr);
    assert!(
        expected[1].starts_with("Dave, I have observed"),
        "{}",
        expected[1]
    );
    for runtime in RUNTIMES {
        let radish = runtime.start_with(&["enable-debug-command local"]);
        let got = latency_after_sleep(radish.addr);
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(got, expected, "{runtime:?}");
        }
    }
}

/// LATENCY DOCTOR and GRAPH are verbatim strings in RESP3, as in Redis.
#[test]
fn latency_texts_are_verbatim_in_resp3() {
    let redis = RedisServer::start();
    let mut expected = RawClient::connect(redis.addr);
    expected.cmd(&["HELLO", "3"]);
    let expected = expected.cmd(&["LATENCY", "DOCTOR"]);
    assert!(matches!(expected, Frame::VerbatimString { .. }));
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut client = RawClient::connect(radish.addr);
        client.cmd(&["HELLO", "3"]);
        assert_eq!(client.cmd(&["LATENCY", "DOCTOR"]), expected, "{runtime:?}");
    }
}

/// A blocked command's time in the slow log is the time it ran, not the time it waited.
#[test]
fn a_blocked_command_is_logged_with_its_run_time_not_its_wait() {
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut client = RawClient::connect(radish.addr);
        client.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        client.cmd(&["SLOWLOG", "RESET"]);
        let mut waiter = RawClient::connect(radish.addr);
        waiter.send(&["BLPOP", "list", "0"]);
        wait_for_blocked(radish.addr, 1);
        assert!(
            items(client.cmd(&["SLOWLOG", "GET", "-1"]))
                .iter()
                .all(|entry| text(&items(items(entry.clone())[3].clone())[0]) != "BLPOP"),
            "logged while blocked ({runtime:?})"
        );
        std::thread::sleep(Duration::from_millis(300));
        client.cmd(&["RPUSH", "list", "x"]);
        waiter.read();
        let entries = items(client.cmd(&["SLOWLOG", "GET", "1"]));
        let entry = items(entries[0].clone());
        assert_eq!(text(&items(entry[3].clone())[0]), "BLPOP", "{runtime:?}");
        assert!(integer(&entry[2]) < 300_000, "{runtime:?}: {entry:?}");
    }
}

/// What a MONITOR client sees of `commands`, the time and address left out of each line.
fn monitored(addr: SocketAddr, commands: &[&[&str]]) -> Vec<String> {
    let mut monitor = RawClient::connect(addr);
    assert_eq!(monitor.cmd(&["MONITOR"]), Frame::SimpleString("OK".into()));
    let mut client = RawClient::connect(addr);
    for args in commands {
        client.cmd(args);
    }
    (0..commands.len())
        .map(|_| match monitor.read() {
            Frame::SimpleString(line) => {
                let line = String::from_utf8_lossy(&line).into_owned();
                line.split_once("] ")
                    .map_or(line.clone(), |(_, rest)| rest.to_string())
            }
            other => panic!("a MONITOR line: {other:?}"),
        })
        .collect()
}

#[test]
fn monitor_redacts_secrets_as_redis_does() {
    let mut commands: Vec<&[&str]> = vec![
        &["SET", "a", "b"],
        &["AUTH", "not-real"],
        &["AUTH", "user", "not-a-password"],
    ];
    commands.extend(MIGRATES_WITH_SECRETS);
    commands.extend([
        &["HELLO", "2", "AUTH", "not-real", "not-a-password"][..],
        &["GET", "a"],
    ]);
    let commands = &commands[..];
    let redis = RedisServer::start();
    let expected = monitored(redis.addr, commands);
    assert!(expected[1].contains("(redacted)"), "{expected:?}");
    for runtime in RUNTIMES {
        let radish = runtime.start();
        assert_eq!(monitored(radish.addr, commands), expected, "{runtime:?}");
    }
}
