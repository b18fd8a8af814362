//! Limits and security over real sockets, on both runtimes: requirepass, maxclients, timeout,
//! output buffer limits and maxmemory. Each drives a limit past its edge, checks Redis's exact
//! error, and checks that the other clients carry on. Protected mode, which needs a peer that
//! is not on the loopback interface, is tested through the Session with such a peer's address
//! (store/core/tests/limits.rs), so that it runs on every machine.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, RawClient, RUNTIMES};

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// An INFO field as a number.
fn info_field(client: &mut RawClient, field: &str) -> u64 {
    let info = client.cmd(&["INFO", "everything"]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("INFO text")).to_string();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("INFO has no {field}"))
        .trim()
        .parse()
        .expect("a number")
}

#[test]
fn requirepass_refuses_everything_but_auth_and_keeps_other_clients_working() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["requirepass secret"]);
        let mut anonymous = RawClient::connect(server.addr);
        assert_eq!(
            anonymous.cmd(&["GET", "k"]),
            Frame::error("NOAUTH Authentication required."),
            "{runtime:?}"
        );
        assert_eq!(
            anonymous.cmd(&["AUTH", "nope"]),
            Frame::error("WRONGPASS invalid username-password pair or user is disabled.")
        );
        assert_eq!(
            anonymous.cmd(&["HELLO", "3", "AUTH", "default", "nope"]),
            Frame::error("WRONGPASS invalid username-password pair or user is disabled.")
        );
        // The redis crate authenticates from the URL, in both protocols.
        let url = format!("redis://:secret@{}/", server.addr);
        let mut con = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .expect("authenticated connection");
        let () = redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query(&mut con)
            .expect("SET");
        let resp3 = format!("{url}?protocol=resp3");
        let mut con3 = redis::Client::open(resp3.as_str())
            .and_then(|c| c.get_connection())
            .expect("HELLO 3 AUTH");
        let value: String = redis::cmd("GET").arg("k").query(&mut con3).expect("GET");
        assert_eq!(value, "v");
        let wrong = format!("redis://:nope@{}/", server.addr);
        let refused = redis::Client::open(wrong.as_str()).and_then(|c| c.get_connection());
        assert!(refused.is_err(), "{runtime:?}: a wrong password connected");
        // Before AUTH, Redis's tighter protocol limits apply, and break the connection.
        let mut flood = RawClient::connect(server.addr);
        flood.send_raw(b"*11\r\n");
        assert_eq!(
            flood.read(),
            Frame::error("ERR Protocol error: unauthenticated multibulk length")
        );
        assert!(flood.closed());
        assert_eq!(anonymous.cmd(&["AUTH", "secret"]), Frame::simple("OK"));
        let mut many = vec!["MGET"];
        many.extend(std::iter::repeat("k").take(20));
        assert_eq!(
            anonymous.cmd(&many),
            Frame::Array(vec![bulk("v"); 20]),
            "{runtime:?}: limits stayed after AUTH"
        );
    }
}

#[test]
fn auth_without_a_configured_password_is_an_error() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut client = RawClient::connect(server.addr);
        assert_eq!(
            client.cmd(&["AUTH", "x"]),
            Frame::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"),
            "{runtime:?}"
        );
        assert_eq!(client.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

/// Connects and proves the connection was admitted.
fn admitted(addr: SocketAddr) -> RawClient {
    let mut client = RawClient::connect(addr);
    assert_eq!(client.cmd(&["PING"]), Frame::simple("PONG"));
    client
}

/// Connects without sending anything (a refused client that sends may see its error lost
/// to a reset): `Err` with what the server said if it refused, else the admitted stream,
/// proven with a PING.
fn knock(addr: SocketAddr) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    let mut buf = [0u8; 256];
    match stream.read(&mut buf) {
        Ok(n) => return Err(String::from_utf8_lossy(&buf[..n]).to_string()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        Err(e) => return Err(e.to_string()),
    }
    stream.write_all(b"PING\r\n").expect("write");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let n = stream.read(&mut buf).expect("PONG");
    assert_eq!(&buf[..n], b"+PONG\r\n");
    Ok(stream)
}

#[test]
fn a_refused_client_that_already_sent_requests_still_reads_the_error_and_a_clean_close() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["maxclients 1"]);
        let mut held = admitted(server.addr);
        let mut extra = TcpStream::connect(server.addr).expect("connect");
        extra.write_all(&b"PING\r\n".repeat(100)).expect("send");
        // Long after the server has refused and closed it, the error line is still there to
        // read, then the end of the stream (a reset would lose it).
        std::thread::sleep(Duration::from_millis(300));
        extra
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut received = Vec::new();
        let outcome = extra.read_to_end(&mut received);
        assert!(outcome.is_ok(), "{runtime:?}: {outcome:?}");
        assert_eq!(
            received, b"-ERR max number of clients reached\r\n",
            "{runtime:?}"
        );
        assert_eq!(held.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

#[test]
fn maxclients_refuses_one_client_too_many_exactly() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["maxclients 3"]);
        let mut held: Vec<RawClient> = (0..3).map(|_| admitted(server.addr)).collect();
        let mut extra = RawClient::connect(server.addr);
        assert_eq!(
            extra.read(),
            Frame::error("ERR max number of clients reached"),
            "{runtime:?}"
        );
        assert!(extra.closed());
        assert_eq!(held[0].cmd(&["PING"]), Frame::simple("PONG"));
        assert_eq!(info_field(&mut held[1], "rejected_connections"), 1);
        assert_eq!(info_field(&mut held[1], "connected_clients"), 3);
        // Raised at run time, the limit lets in just that many more, even in a rush.
        held[0].cmd(&["CONFIG", "SET", "maxclients", "8"]);
        let barrier = Arc::new(Barrier::new(10));
        let threads: Vec<_> = (0..10)
            .map(|_| {
                let barrier = barrier.clone();
                let addr = server.addr;
                std::thread::spawn(move || {
                    barrier.wait();
                    knock(addr)
                })
            })
            .collect();
        let rush: Vec<_> = threads
            .into_iter()
            .map(|thread| thread.join().expect("client thread"))
            .collect();
        let admitted = rush.iter().filter(|r| r.is_ok()).count();
        let refused = rush
            .iter()
            .filter(|r| {
                r.as_ref().err().map(String::as_str)
                    == Some("-ERR max number of clients reached\r\n")
            })
            .count();
        assert_eq!((admitted, refused), (5, 5), "{runtime:?}: {rush:?}");
        assert_eq!(info_field(&mut held[1], "rejected_connections"), 6);
        drop(rush);
        held.pop();
        // Once a client leaves, its place is free again.
        let deadline = Instant::now() + Duration::from_secs(5);
        while knock(server.addr).is_err() {
            assert!(Instant::now() < deadline, "{runtime:?}: no place freed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn timeout_closes_idle_clients_but_not_blocked_subscribed_or_busy_ones() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["timeout 1", "hz 50"]);
        let mut idle = admitted(server.addr);
        let mut blocked = RawClient::connect(server.addr);
        blocked.send(&["BLPOP", "queue", "0"]);
        let mut subscriber = RawClient::connect(server.addr);
        subscriber.cmd(&["SUBSCRIBE", "news"]);
        let mut busy = admitted(server.addr);
        radish_tests::wait_for_blocked(server.addr, 1);
        // Idle means more than one whole second: closed between one and three seconds in.
        let started = Instant::now();
        idle.set_timeout(Duration::from_millis(200));
        let closed = loop {
            assert_eq!(busy.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
            if idle_was_closed(&mut idle) {
                break true;
            }
            if started.elapsed() > Duration::from_secs(5) {
                break false;
            }
        };
        assert!(closed, "{runtime:?}: the idle client stayed");
        assert!(started.elapsed() > Duration::from_millis(900));
        assert_eq!(busy.cmd(&["LPUSH", "queue", "job"]), Frame::Integer(1));
        assert_eq!(
            blocked.read(),
            Frame::Array(vec![bulk("queue"), bulk("job")]),
            "{runtime:?}: the blocked client was closed"
        );
        assert_eq!(busy.cmd(&["PUBLISH", "news", "hi"]), Frame::Integer(1));
        assert_eq!(
            subscriber.read(),
            Frame::Array(vec![bulk("message"), bulk("news"), bulk("hi")])
        );
    }
}

/// True once the server has closed `client` (reads EOF within its read timeout).
fn idle_was_closed(client: &mut RawClient) -> bool {
    // A closed connection reads as `None` at once; an open one times out, also as `None`,
    // so tell them apart by whether the wait took the whole timeout.
    let started = Instant::now();
    client.try_read().is_none() && started.elapsed() < Duration::from_millis(150)
}

fn set_output_limit(admin: &mut RawClient, limits: &str) {
    let reply = admin.cmd(&["CONFIG", "SET", "client-output-buffer-limit", limits]);
    assert_eq!(reply, Frame::simple("OK"));
}

/// True while CLIENT LIST shows the client with this id.
fn client_listed(admin: &mut RawClient, id: i64) -> bool {
    let list = admin.cmd(&["CLIENT", "LIST"]);
    let text = String::from_utf8_lossy(list.as_bytes().expect("CLIENT LIST")).to_string();
    text.lines()
        .any(|line| line.starts_with(&format!("id={id} ")))
}

/// Sends `count` GETs of `key` in one write and never reads the replies.
fn flood_without_reading(client: &mut RawClient, key: &str, count: usize) {
    let mut batch = bytes::BytesMut::new();
    for _ in 0..count {
        radish_resp::encode_request(&["GET", key], &mut batch);
    }
    client.send_raw(&batch);
}

#[test]
fn a_client_that_never_reads_is_cut_off_at_the_output_limits() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        admin.cmd(&["SET", "big", &"x".repeat(256 * 1024)]);
        // Hard limit: 200 replies of 256 KiB would be 50 MiB; 1 MiB is the most.
        set_output_limit(&mut admin, "normal 1mb 0 0");
        let mut greedy = RawClient::connect(server.addr);
        flood_without_reading(&mut greedy, "big", 200);
        assert!(
            greedy.closed(),
            "{runtime:?}: the hard limit did not close it"
        );
        assert_eq!(admin.cmd(&["STRLEN", "big"]), Frame::Integer(256 * 1024));
        // Soft limit: over 512 KiB for more than a second closes it, even while the server
        // is stuck writing to it.
        set_output_limit(&mut admin, "normal 0 512kb 1");
        let mut slow = RawClient::connect(server.addr);
        let Frame::Integer(id) = slow.cmd(&["CLIENT", "ID"]) else {
            panic!("CLIENT ID");
        };
        flood_without_reading(&mut slow, "big", 200);
        // Not a byte is read until the server has dropped it (2 s at most).
        let deadline = Instant::now() + Duration::from_secs(10);
        while client_listed(&mut admin, id) {
            assert!(
                Instant::now() < deadline,
                "{runtime:?}: the soft limit did not close it"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(slow.closed());
        assert_eq!(admin.cmd(&["PING"]), Frame::simple("PONG"));
        // Back to Redis's default for normal clients, unlimited: the flood is answered.
        set_output_limit(&mut admin, "normal 0 0 0");
        let mut reader = RawClient::connect(server.addr);
        flood_without_reading(&mut reader, "big", 200);
        for _ in 0..200 {
            assert_eq!(reader.read().as_bytes().map(|b| b.len()), Some(256 * 1024));
        }
    }
}

#[test]
fn noeviction_answers_oom_to_writes_while_reads_and_deletes_go_on() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        writer.cmd(&["SET", "keep", "me"]);
        let used = info_field(&mut writer, "used_memory");
        let limit = (used + 256 * 1024).to_string();
        writer.cmd(&["CONFIG", "SET", "maxmemory", &limit]);
        let value = "v".repeat(4096);
        let mut written = 0;
        let error = loop {
            match writer.cmd(&["SET", &format!("k{written}"), &value]) {
                Frame::SimpleString(_) => written += 1,
                other => break other,
            }
            assert!(written < 1000, "{runtime:?}: never ran out of memory");
        };
        assert_eq!(error, Frame::error(OOM), "{runtime:?}");
        assert!(written > 20, "{runtime:?}: only {written} keys fit");
        let mut reader = RawClient::connect(server.addr);
        assert_eq!(reader.cmd(&["GET", "keep"]), bulk("me"));
        assert_eq!(reader.cmd(&["RPUSH", "list", "x"]), Frame::error(OOM));
        assert_eq!(reader.cmd(&["DEL", "k0", "k1", "k2"]), Frame::Integer(3));
        assert_eq!(writer.cmd(&["SET", "k0", "small"]), Frame::simple("OK"));
        assert!(info_field(&mut reader, "used_memory") <= used + 256 * 1024);
        assert_eq!(info_field(&mut reader, "evicted_keys"), 0);
    }
}

#[test]
fn clients_buffers_count_in_used_memory_and_are_evicted_for() {
    // As Redis's maxmemory.tcl "eviction due to input buffer of a dead client": requests that
    // never complete hold memory, and with allkeys-lru keys make room for them.
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        let value = "v".repeat(100_000);
        for i in 0..50 {
            admin.cmd(&["SET", &format!("key:{i}"), &value]);
        }
        let used = info_field(&mut admin, "used_memory");
        let limit = used + 1024 * 1024;
        admin.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
        admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
        // Four clients each send 1 MB of a 2 MB argument, and never the rest.
        let mut stuck: Vec<TcpStream> = (0..4)
            .map(|_| TcpStream::connect(server.addr).expect("connect"))
            .collect();
        for client in &mut stuck {
            client
                .write_all(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$2000000\r\n")
                .unwrap();
            client.write_all(&vec![b'x'; 1_000_000]).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while info_field(&mut admin, "mem_clients_normal") < 4_000_000 {
            assert!(
                Instant::now() < deadline,
                "{runtime:?}: buffers never counted"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The next write evicts keys to get back under the limit.
        admin.cmd(&["SET", "one-more", "x"]);
        assert!(info_field(&mut admin, "evicted_keys") > 0, "{runtime:?}");
        assert!(
            info_field(&mut admin, "used_memory") <= limit,
            "{runtime:?}"
        );
        // Once they leave, their buffers are no longer counted.
        drop(stuck);
        while info_field(&mut admin, "mem_clients_normal") > 0 {
            assert!(
                Instant::now() < deadline,
                "{runtime:?}: buffers still counted"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn allkeys_lru_evicts_to_stay_under_maxmemory() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let url = server.url();
        let mut con = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .expect("connect");
        let mut admin = RawClient::connect(server.addr);
        let used = info_field(&mut admin, "used_memory");
        let limit = used + 512 * 1024;
        admin.cmd(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
        admin.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
        let value = "v".repeat(1000);
        for i in 0..2000 {
            let () = redis::cmd("SET")
                .arg(format!("key:{i}"))
                .arg(&value)
                .query(&mut con)
                .expect("SET never fails with an evicting policy");
        }
        let keys: u64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
        let evicted = info_field(&mut admin, "evicted_keys");
        assert_eq!(keys + evicted, 2000, "{runtime:?}");
        assert!(evicted > 1000, "{runtime:?}: {evicted}");
        assert!(info_field(&mut admin, "used_memory") <= limit);
        // The most recent writes are still there.
        let last: Option<String> = redis::cmd("GET")
            .arg("key:1999")
            .query(&mut con)
            .expect("GET");
        assert_eq!(last.as_deref(), Some(value.as_str()));
    }
}
