//! CLIENT PAUSE and UNPAUSE across connections, on both runtimes: what waits (writes under
//! WRITE, everything under ALL), until when (the timeout, or UNPAUSE), and that the data
//! stays as it is meanwhile (no expiry). Expiry under a pause is compared with redis-server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, RawClient, RedisServer, RUNTIMES};

fn ok() -> Frame {
    Frame::SimpleString("OK".into())
}

/// Sends `args` and returns the reply with how long it took.
fn timed(client: &mut RawClient, args: &[&str]) -> (Frame, Duration) {
    let start = Instant::now();
    let reply = client.cmd(args);
    (reply, start.elapsed())
}

#[test]
fn a_write_pause_holds_writes_until_the_timeout_and_lets_reads_run() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        let mut client = RawClient::connect(server.addr);
        client.cmd(&["SET", "k", "v"]);
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300", "WRITE"]), ok());
        let (reply, took) = timed(&mut client, &["GET", "k"]);
        assert_eq!(reply, bulk("v"));
        assert!(
            took < Duration::from_millis(150),
            "{runtime:?}: read held {took:?}"
        );
        let (reply, took) = timed(&mut client, &["SET", "k", "w"]);
        assert_eq!(reply, ok());
        assert!(
            took >= Duration::from_millis(200),
            "{runtime:?}: write ran {took:?}"
        );
        assert!(took < Duration::from_secs(2), "{runtime:?}: {took:?}");
        assert_eq!(admin.cmd(&["GET", "k"]), bulk("w"));
    }
}

#[test]
fn an_all_pause_holds_reads_too() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        let mut client = RawClient::connect(server.addr);
        client.cmd(&["SET", "k", "v"]);
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300"]), ok());
        let (reply, took) = timed(&mut client, &["GET", "k"]);
        assert_eq!(reply, bulk("v"));
        assert!(
            took >= Duration::from_millis(200),
            "{runtime:?}: read ran {took:?}"
        );
        // A pause is only ever made stricter and longer: a short ALL during a WRITE pause
        // holds reads until the WRITE pause's end.
        admin.cmd(&["CLIENT", "PAUSE", "300", "WRITE"]);
        admin.cmd(&["CLIENT", "PAUSE", "10", "ALL"]);
        let (_, took) = timed(&mut client, &["PING"]);
        assert!(
            took >= Duration::from_millis(200),
            "{runtime:?}: ping ran {took:?}"
        );
    }
}

#[test]
fn unpause_releases_the_held_clients_in_order() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]);
        let mut held: Vec<RawClient> = (0..3).map(|_| RawClient::connect(server.addr)).collect();
        for (n, client) in held.iter_mut().enumerate() {
            client.send(&["RPUSH", "order", &n.to_string()]);
            // Each one held before the next is sent.
            assert!(client.silent_for(Duration::from_millis(50)), "{runtime:?}");
        }
        let info = admin.cmd(&["INFO", "clients"]);
        let info = String::from_utf8_lossy(info.as_bytes().expect("INFO")).to_string();
        assert!(
            info.contains("blocked_clients:3\r\n"),
            "{runtime:?}: {info}"
        );
        let start = Instant::now();
        assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), ok());
        for (n, client) in held.iter_mut().enumerate() {
            assert_eq!(client.read(), Frame::Integer(n as i64 + 1), "{runtime:?}");
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{runtime:?}");
        let all: Vec<Frame> = ["0", "1", "2"].into_iter().map(bulk).collect();
        assert_eq!(
            admin.cmd(&["LRANGE", "order", "0", "-1"]),
            Frame::Array(all)
        );
    }
}

#[test]
fn pipelined_requests_behind_a_held_write_wait_with_it() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        let mut client = RawClient::connect(server.addr);
        admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]);
        let mut pipeline = bytes::BytesMut::new();
        for args in [&["GET", "k"][..], &["SET", "k", "v"], &["GET", "k"]] {
            radish_resp::encode_request(args, &mut pipeline);
        }
        client.send_raw(&pipeline);
        assert_eq!(client.read(), Frame::Null, "{runtime:?}");
        assert!(client.silent_for(Duration::from_millis(100)), "{runtime:?}");
        admin.cmd(&["CLIENT", "UNPAUSE"]);
        assert_eq!(client.read(), ok(), "{runtime:?}");
        assert_eq!(client.read(), bulk("v"), "{runtime:?}");
    }
}

#[test]
fn transactions_and_scripts_are_held_when_they_may_write() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        let mut client = RawClient::connect(server.addr);
        // Queued before the pause, a transaction with a write is held at EXEC.
        client.cmd(&["MULTI"]);
        client.cmd(&["SET", "k", "v"]);
        admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]);
        client.send(&["EXEC"]);
        assert!(client.silent_for(Duration::from_millis(100)), "{runtime:?}");
        admin.cmd(&["CLIENT", "UNPAUSE"]);
        assert_eq!(client.read(), Frame::Array(vec![ok()]), "{runtime:?}");
        admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]);
        // Reads only: it runs.
        client.cmd(&["MULTI"]);
        client.cmd(&["GET", "k"]);
        let (reply, took) = timed(&mut client, &["EXEC"]);
        assert_eq!(reply, Frame::Array(vec![bulk("v")]), "{runtime:?}");
        assert!(took < Duration::from_millis(150), "{runtime:?}");
        // Read-only scripts run; a script that may write waits, as does PUBLISH.
        let (reply, _) = timed(
            &mut client,
            &["EVAL_RO", "return redis.call('get','k')", "1", "k"],
        );
        assert_eq!(reply, bulk("v"), "{runtime:?}");
        let no_writes = "#!lua flags=no-writes\nreturn redis.call('get','k')";
        let (reply, took) = timed(&mut client, &["EVAL", no_writes, "1", "k"]);
        assert_eq!(reply, bulk("v"), "{runtime:?}");
        assert!(took < Duration::from_millis(150), "{runtime:?}");
        for args in [
            &["EVAL", "return redis.call('get','k')", "1", "k"][..],
            &["PUBLISH", "channel", "message"],
            &["PFCOUNT", "hll"],
        ] {
            client.send(args);
            assert!(
                client.silent_for(Duration::from_millis(100)),
                "{runtime:?} {args:?}"
            );
            admin.cmd(&["CLIENT", "UNPAUSE"]);
            client.read();
            admin.cmd(&["CLIENT", "PAUSE", "10000", "WRITE"]);
        }
        admin.cmd(&["CLIENT", "UNPAUSE"]);
    }
}

/// A key whose time passed during a pause: read as missing, but still counted, until the
/// pause ends and expiry goes on.
fn expiry_under_pause(addr: SocketAddr) -> Vec<Frame> {
    let mut admin = RawClient::connect(addr);
    let mut client = RawClient::connect(addr);
    client.cmd(&["SET", "volatile", "v", "PX", "100"]);
    client.cmd(&["SET", "lazy", "v", "PX", "100"]);
    admin.cmd(&["CLIENT", "PAUSE", "600", "WRITE"]);
    // Well past the keys' time and several expiry cycles.
    std::thread::sleep(Duration::from_millis(300));
    let mut replies = vec![
        client.cmd(&["GET", "lazy"]),
        client.cmd(&["EXISTS", "volatile"]),
        client.cmd(&["DBSIZE"]),
    ];
    admin.cmd(&["CLIENT", "UNPAUSE"]);
    replies.push(client.cmd(&["GET", "lazy"]));
    // Active expiry removes the other one soon after.
    let deadline = Instant::now() + Duration::from_secs(3);
    while client.cmd(&["DBSIZE"]) != Frame::Integer(0) {
        assert!(Instant::now() < deadline, "never expired");
        std::thread::sleep(Duration::from_millis(20));
    }
    replies
}

#[test]
fn keys_do_not_expire_while_clients_are_paused() {
    let redis = RedisServer::start();
    let expected = expiry_under_pause(redis.addr);
    assert_eq!(
        expected,
        [
            Frame::Null,
            Frame::Integer(0),
            Frame::Integer(2),
            Frame::Null
        ]
    );
    for runtime in RUNTIMES {
        let server = runtime.start();
        assert_eq!(expiry_under_pause(server.addr), expected, "{runtime:?}");
    }
}
