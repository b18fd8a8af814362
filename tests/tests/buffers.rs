//! The buffer figures CLIENT LIST and INFO report are the connections' real ones: `qbuf` and
//! `qbuf-free`, INFO's client_recent_max_input_buffer and client_recent_max_output_buffer (the
//! largest buffers the tick saw over the last seconds), and expired_time_cap_reached_count.
//! Where Redis's figure does not depend on its allocator, redis-server's is compared.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{RawClient, RedisServer, RUNTIMES};

/// A partial SET: the `*3` line, two whole arguments and the third's `$10` line are parsed,
/// `12345` is what Redis still holds as query buffer.
const PARTIAL_SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n12345";

fn text(frame: &Frame) -> String {
    String::from_utf8_lossy(frame.as_bytes().expect("a bulk reply")).into_owned()
}

fn info_field(client: &mut RawClient, section: &str, field: &str) -> u64 {
    let info = text(&client.cmd(&["INFO", section]));
    let prefix = format!("{field}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {info}"))
}

/// Waits (up to 5 s) until `done` holds for what `probe` returns, and returns that.
fn eventually<T: std::fmt::Debug>(mut probe: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = probe();
        if done(&value) || Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `field=value` of the CLIENT LIST line of client `id`.
fn client_field(list: &str, id: u64, field: &str) -> Option<u64> {
    let line = list
        .lines()
        .find(|line| line.starts_with(&format!("id={id} ")))?;
    line.split(' ')
        .find_map(|pair| pair.strip_prefix(&format!("{field}=")))
        .and_then(|value| value.parse().ok())
}

fn client_id(client: &mut RawClient) -> u64 {
    match client.cmd(&["CLIENT", "ID"]) {
        Frame::Integer(id) => id as u64,
        other => panic!("CLIENT ID gave {other:?}"),
    }
}

/// The `qbuf` CLIENT LIST shows for a client that sent [`PARTIAL_SET`], and its `qbuf-free`;
/// and the lister's own, which holds its whole CLIENT LIST request.
fn partial_request_figures(addr: SocketAddr) -> (u64, u64, u64) {
    let mut sender = RawClient::connect(addr);
    let sender_id = client_id(&mut sender);
    sender.send_raw(PARTIAL_SET);
    let mut lister = RawClient::connect(addr);
    let lister_id = client_id(&mut lister);
    let list = eventually(
        || text(&lister.cmd(&["CLIENT", "LIST"])),
        |list| client_field(list, sender_id, "qbuf") == Some(5),
    );
    let field = |id, name| client_field(&list, id, name).expect("the field");
    (
        field(sender_id, "qbuf"),
        field(sender_id, "qbuf-free"),
        field(lister_id, "qbuf"),
    )
}

#[test]
fn qbuf_is_the_unparsed_input_as_in_redis() {
    let redis = RedisServer::start();
    let (qbuf, _, own) = partial_request_figures(redis.addr);
    for runtime in RUNTIMES {
        let server = runtime.start();
        let (radish_qbuf, free, radish_own) = partial_request_figures(server.addr);
        assert_eq!((radish_qbuf, radish_own), (qbuf, own), "{runtime:?}");
        // What the read buffer has room for besides: radish's buffers start at 16 KiB.
        assert!(free > 0, "{runtime:?}: qbuf-free={free}");
    }
}

/// Sends the start of a SET whose value is `len` bytes, `sent` of them: a query buffer at
/// least that big waits for the rest.
fn big_partial_set(client: &mut RawClient, len: usize, sent: usize) {
    let mut request = format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${len}\r\n").into_bytes();
    request.resize(request.len() + sent, b'x');
    client.send_raw(&request);
}

#[test]
fn recent_max_input_buffer_sees_a_big_partial_request() {
    let redis = RedisServer::start();
    let servers = [(None, redis.addr)]
        .into_iter()
        .chain(RUNTIMES.iter().map(|runtime| {
            let server = runtime.start();
            let addr = server.addr;
            (Some(server), addr)
        }))
        .collect::<Vec<_>>();
    for (server, addr) in &servers {
        let name = server.as_ref().map(|s| format!("{:?}", s.runtime));
        let mut sender = RawClient::connect(*addr);
        big_partial_set(&mut sender, 200_000, 150_000);
        let mut watcher = RawClient::connect(*addr);
        // Sampled by the tick, as Redis's clientsCron samples it.
        let peak = eventually(
            || info_field(&mut watcher, "clients", "client_recent_max_input_buffer"),
            |&peak| peak >= 150_000,
        );
        assert!(peak >= 150_000, "{name:?}: {peak}");
        assert!(peak < 1_000_000, "{name:?}: {peak}");
    }
}

#[test]
fn recent_max_output_buffer_sees_a_reply_the_client_does_not_read() {
    let redis = RedisServer::start();
    let mut addrs = vec![(None, redis.addr)];
    let servers: Vec<_> = RUNTIMES.iter().map(|runtime| runtime.start()).collect();
    addrs.extend(servers.iter().map(|s| (Some(s.runtime), s.addr)));
    let value = "v".repeat(4 << 20);
    for (runtime, addr) in addrs {
        let mut writer = RawClient::connect(addr);
        assert_eq!(writer.cmd(&["SET", "big", &value]), Frame::ok());
        assert_eq!(
            info_field(&mut writer, "clients", "client_recent_max_output_buffer"),
            0,
            "{runtime:?}"
        );
        // 32 MiB of replies to a client that reads none: more than the sockets take.
        let mut reader = RawClient::connect(addr);
        for _ in 0..8 {
            reader.send(&["GET", "big"]);
        }
        let peak = eventually(
            || info_field(&mut writer, "clients", "client_recent_max_output_buffer"),
            |&peak| peak >= 4 << 20,
        );
        assert!(peak >= 4 << 20, "{runtime:?}: {peak}");
        drop(reader);
    }
}

#[test]
fn expiry_stopped_at_its_bound_counts_as_a_time_cap() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut client = RawClient::connect(server.addr);
        assert_eq!(
            info_field(&mut client, "stats", "expired_time_cap_reached_count"),
            0
        );
        // Many keys expiring at once: one tick's bounded pass cannot remove them all.
        let script = "for i = 1, 3000 do redis.call('SET', 'k' .. i, 'v', 'PX', 1) end";
        assert_eq!(client.cmd(&["EVAL", script, "0"]), Frame::Null);
        let capped = eventually(
            || info_field(&mut client, "stats", "expired_time_cap_reached_count"),
            |&count| count > 0,
        );
        assert!(capped > 0, "{runtime:?}");
        // Once the keys are gone, passes stop on their own: the count stays at 0.
        let left = eventually(
            || client.cmd(&["DBSIZE"]),
            |left| *left == Frame::Integer(0),
        );
        assert_eq!(left, Frame::Integer(0), "{runtime:?}");
        assert_eq!(client.cmd(&["CONFIG", "RESETSTAT"]), Frame::ok());
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            info_field(&mut client, "stats", "expired_time_cap_reached_count"),
            0,
            "{runtime:?}"
        );
    }
}
