//! radish as a replica of a real redis-server 7.0, on both runtimes: a live migration under
//! write load (full copy, the stream followed, WAIT on the primary counting radish's
//! acknowledgement, REPLICAOF NO ONE with every key there), a cut link resumed with a
//! partial resynchronisation, AUTH to a primary that wants a password, and what a replica
//! refuses, compared with what redis-server replies as a replica of the same primary.

use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::datasets::{cmd, fill_every_type};
use radish_tests::{free_port, RawClient, RedisServer, Runtime, TempDir, RUNTIMES};

fn ok() -> Frame {
    Frame::SimpleString("OK".into())
}

/// A redis-server primary that starts a transfer as soon as a replica asks.
fn primary(extra: &[&str]) -> RedisServer {
    let mut args = vec!["--repl-diskless-sync-delay", "0"];
    args.extend_from_slice(extra);
    RedisServer::start_in(TempDir::new("primary"), &args)
}

fn info_field(client: &mut RawClient, section: &str, field: &str) -> String {
    let Frame::BulkString(info) = cmd(client, &[b"INFO", section.as_bytes()]) else {
        panic!("INFO {section}");
    };
    let text = String::from_utf8_lossy(&info).into_owned();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .to_string()
}

/// Waits (bounded) until `client`'s link to its primary is up.
fn wait_connected(client: &mut RawClient) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_field(client, "replication", "master_link_status") != "up" {
        assert!(Instant::now() < deadline, "the link never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes once more on `primary` and WAITs for one replica: WAIT counts acknowledgements of
/// this connection's writes, so the one now covers everything the other writers did before.
fn one_replica_acknowledged(primary: &mut RawClient, runtime: Runtime) {
    assert_eq!(cmd(primary, &[b"SET", b"sync-point", b"1"]), ok());
    let acked = cmd(primary, &[b"WAIT", b"1", b"10000"]);
    assert_eq!(acked, Frame::Integer(1), "{runtime:?}");
}

fn replicaof(client: &mut RawClient, primary: &RedisServer) {
    let port = primary.addr.port().to_string();
    let reply = cmd(client, &[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]);
    assert_eq!(reply, ok());
}

/// `clients` connections writing `each` commands of several kinds to `addr`, on threads.
fn write_load(
    addr: std::net::SocketAddr,
    clients: usize,
    each: usize,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                let mut client = RawClient::connect(addr);
                for i in 0..each {
                    let key = format!("load:{c}:{}", i % 500);
                    let value = format!("{i}");
                    let args: Vec<&[u8]> = match i % 4 {
                        0 => vec![b"SET", key.as_bytes(), value.as_bytes()],
                        1 => vec![b"INCR", b"counter"],
                        2 => vec![b"RPUSH", b"list:load", value.as_bytes()],
                        _ => vec![b"HSET", b"hash:load", key.as_bytes(), value.as_bytes()],
                    };
                    let reply = cmd(&mut client, &args);
                    assert!(!matches!(reply, Frame::SimpleError(_)), "{reply:?}");
                }
            })
        })
        .collect()
}

/// Asserts both servers hold the same keys with the same values, naming the first that
/// differs (DEBUG DIGEST says only whether anything does).
fn same_data(ours: &mut RawClient, theirs: &mut RawClient) {
    let keys = |client: &mut RawClient| match cmd(client, &[b"KEYS", b"*"]) {
        Frame::Array(keys) => {
            let mut keys: Vec<Frame> = keys;
            keys.sort_by_key(|k| format!("{k:?}"));
            keys
        }
        other => panic!("KEYS: {other:?}"),
    };
    let (mine, their) = (keys(ours), keys(theirs));
    assert_eq!(mine.len(), their.len(), "key counts");
    for key in their {
        let Frame::BulkString(key) = key else {
            continue;
        };
        let a = cmd(ours, &[b"DEBUG", b"DIGEST-VALUE", &key]);
        let b = cmd(theirs, &[b"DEBUG", b"DIGEST-VALUE", &key]);
        let ttl_a = cmd(ours, &[b"TTL", &key]) == Frame::Integer(-1);
        let ttl_b = cmd(theirs, &[b"TTL", &key]) == Frame::Integer(-1);
        assert_eq!((a, ttl_a), (b, ttl_b), "{key:?}");
    }
}

#[test]
fn a_radish_replica_copies_a_redis_server_under_load_and_takes_over() {
    for runtime in RUNTIMES {
        let redis = primary(&[]);
        let mut theirs = RawClient::connect(redis.addr);
        fill_every_type(&mut theirs);
        for i in 0..2000 {
            let key = format!("before:{i}");
            cmd(&mut theirs, &[b"SET", key.as_bytes(), b"x", b"EX", b"1000"]);
        }
        let radish = runtime.start_with(&["enable-debug-command yes"]);
        let mut ours = RawClient::connect(radish.addr);
        let writers = write_load(redis.addr, 3, 2000);
        replicaof(&mut ours, &redis);
        for writer in writers {
            writer.join().expect("a writer");
        }
        one_replica_acknowledged(&mut theirs, runtime);
        let digest = cmd(&mut theirs, &[b"DEBUG", b"DIGEST"]);
        same_data(&mut ours, &mut theirs);
        assert_eq!(
            cmd(&mut ours, &[b"DEBUG", b"DIGEST"]),
            digest,
            "{runtime:?}"
        );
        let Frame::Array(role) = cmd(&mut ours, &[b"ROLE"]) else {
            panic!("ROLE");
        };
        assert_eq!(role[0], Frame::BulkString("slave".into()));
        assert_eq!(role[3], Frame::BulkString("connected".into()));
        let primary_offset = info_field(&mut theirs, "replication", "master_repl_offset");
        assert_eq!(role[4], Frame::Integer(primary_offset.parse().unwrap()));

        // Take over: a primary of its own, with every key, writable.
        assert_eq!(cmd(&mut ours, &[b"REPLICAOF", b"NO", b"ONE"]), ok());
        assert_eq!(cmd(&mut ours, &[b"DEBUG", b"DIGEST"]), digest);
        assert_eq!(cmd(&mut ours, &[b"SET", b"after", b"takeover"]), ok());
        assert_eq!(info_field(&mut ours, "replication", "role"), "master");
    }
}

#[test]
fn a_cut_link_resumes_with_a_partial_resynchronisation() {
    for runtime in RUNTIMES {
        let redis = primary(&[]);
        let mut theirs = RawClient::connect(redis.addr);
        let radish = runtime.start_with(&["enable-debug-command yes"]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(cmd(&mut theirs, &[b"SET", b"start", b"1"]), ok());
        replicaof(&mut ours, &redis);
        wait_connected(&mut ours);
        let writers = write_load(redis.addr, 2, 1500);
        std::thread::sleep(Duration::from_millis(50));
        // The primary drops its replica mid-stream; the replica comes back for the rest.
        cmd(&mut theirs, &[b"CLIENT", b"KILL", b"TYPE", b"replica"]);
        for writer in writers {
            writer.join().expect("a writer");
        }
        one_replica_acknowledged(&mut theirs, runtime);
        assert_eq!(
            cmd(&mut ours, &[b"DEBUG", b"DIGEST"]),
            cmd(&mut theirs, &[b"DEBUG", b"DIGEST"])
        );
        assert_eq!(info_field(&mut theirs, "stats", "sync_full"), "1");
        assert_eq!(info_field(&mut theirs, "stats", "sync_partial_ok"), "1");
    }
}

#[test]
fn a_primary_that_wants_a_password_is_followed_with_masterauth() {
    let redis = primary(&["--requirepass", "secret"]);
    let mut theirs = RawClient::connect(redis.addr);
    assert_eq!(cmd(&mut theirs, &[b"AUTH", b"secret"]), ok());
    assert_eq!(cmd(&mut theirs, &[b"SET", b"k", b"v"]), ok());
    for (password, follows) in [("wrong", false), ("secret", true)] {
        let auth = format!("masterauth {password}");
        let radish = RUNTIMES[1].start_with(&[&auth]);
        let mut ours = RawClient::connect(radish.addr);
        replicaof(&mut ours, &redis);
        if follows {
            wait_connected(&mut ours);
            assert_eq!(
                cmd(&mut ours, &[b"GET", b"k"]),
                Frame::BulkString("v".into())
            );
        } else {
            std::thread::sleep(Duration::from_millis(1500));
            let status = info_field(&mut ours, "replication", "master_link_status");
            assert_eq!(status, "down");
            assert_eq!(cmd(&mut ours, &[b"GET", b"k"]), Frame::Null);
        }
    }
}

#[test]
fn a_replica_refuses_what_redis_refuses_and_reports_its_link_as_redis_does() {
    // A primary nobody listens on: the link stays down on both servers.
    let nowhere = free_port().to_string();
    let redis = RedisServer::start();
    let radish = RUNTIMES[0].start();
    let mut theirs = RawClient::connect(redis.addr);
    let mut ours = RawClient::connect(radish.addr);
    let script: &[&[&str]] = &[
        &["REPLICAOF", "127.0.0.1", &nowhere],
        &["REPLICAOF", "127.0.0.1", &nowhere],
        &["REPLICAOF", "127.0.0.1", "70000"],
        &["REPLICAOF", "127.0.0.1", "x"],
        &["SET", "k", "v"],
        &["GET", "k"],
        &["MULTI"],
        &["SET", "k", "v"],
        &["EXEC"],
        &["CONFIG", "SET", "replica-serve-stale-data", "no"],
        &["GET", "k"],
        &["INFO", "server"],
        &["PING"],
        &["CONFIG", "SET", "replica-read-only", "no"],
        &["CONFIG", "SET", "replica-serve-stale-data", "yes"],
        &["SET", "k", "v"],
        &["REPLCONF", "listening-port"],
        &["REPLCONF", "nonsense", "1"],
        &["REPLICAOF", "NO", "ONE"],
        &["REPLICAOF", "NO", "ONE"],
        &["ROLE"],
    ];
    for args in script {
        let (a, b) = (theirs.cmd(args), ours.cmd(args));
        if args[0] == "INFO" || args[0] == "ROLE" {
            // Offsets and ids differ; the shape does not.
            assert_eq!(
                std::mem::discriminant(&a),
                std::mem::discriminant(&b),
                "{args:?}"
            );
            continue;
        }
        assert_eq!(b, a, "{args:?}");
    }
    // While following: ROLE's shape and INFO's link fields.
    for client in [&mut theirs, &mut ours] {
        client.cmd(&["REPLICAOF", "127.0.0.1", &nowhere]);
    }
    std::thread::sleep(Duration::from_millis(300));
    for field in [
        "role",
        "master_host",
        "master_port",
        "master_link_status",
        "slave_read_only",
    ] {
        assert_eq!(
            info_field(&mut ours, "replication", field),
            info_field(&mut theirs, "replication", field),
            "{field}"
        );
    }
    let Frame::Array(role) = ours.cmd(&["ROLE"]) else {
        panic!("ROLE");
    };
    assert_eq!(role.len(), 5);
    assert_eq!(role[4], Frame::Integer(-1));
}

/// A redis-server replica of `primary` (a radish), following it.
fn redis_replica_of(primary: std::net::SocketAddr) -> (RedisServer, RawClient) {
    let redis = RedisServer::start();
    let mut client = RawClient::connect(redis.addr);
    let port = primary.port().to_string();
    let reply = cmd(&mut client, &[b"REPLICAOF", b"127.0.0.1", port.as_bytes()]);
    assert_eq!(reply, ok());
    (redis, client)
}

#[test]
fn a_redis_server_replica_copies_radish_under_load_and_takes_over() {
    for runtime in RUNTIMES {
        let radish = runtime.start_with(&["enable-debug-command yes"]);
        let mut ours = RawClient::connect(radish.addr);
        fill_every_type(&mut ours);
        let library =
            "#!lua name=replicated\nredis.register_function('f', function() return 1 end)";
        cmd(&mut ours, &[b"FUNCTION", b"LOAD", library.as_bytes()]);
        let writers = write_load(radish.addr, 3, 2000);
        let (_redis, mut theirs) = redis_replica_of(radish.addr);
        for writer in writers {
            writer.join().expect("a writer");
        }
        one_replica_acknowledged(&mut ours, runtime);
        same_data(&mut theirs, &mut ours);
        let digest = cmd(&mut ours, &[b"DEBUG", b"DIGEST"]);
        assert_eq!(
            cmd(&mut theirs, &[b"DEBUG", b"DIGEST"]),
            digest,
            "{runtime:?}"
        );
        // The library came with the data (a write-flagged FCALL is refused on a replica).
        let Frame::Array(libraries) = cmd(&mut theirs, &[b"FUNCTION", b"LIST"]) else {
            panic!("FUNCTION LIST");
        };
        assert_eq!(libraries.len(), 1);
        // What radish reports of its replica.
        assert_eq!(
            info_field(&mut ours, "replication", "connected_slaves"),
            "1"
        );
        let Frame::Array(role) = cmd(&mut ours, &[b"ROLE"]) else {
            panic!("ROLE");
        };
        assert_eq!(role[0], Frame::BulkString("master".into()));
        let Frame::Array(replicas) = &role[2] else {
            panic!("ROLE's replicas");
        };
        assert_eq!(replicas.len(), 1);
        // Writes stopped; the replica takes over with everything.
        assert_eq!(cmd(&mut theirs, &[b"REPLICAOF", b"NO", b"ONE"]), ok());
        assert_eq!(cmd(&mut theirs, &[b"DEBUG", b"DIGEST"]), digest);
    }
}

#[test]
fn a_replica_dropped_by_radish_resumes_with_a_partial_resynchronisation() {
    for runtime in RUNTIMES {
        let radish = runtime.start_with(&["enable-debug-command yes"]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(cmd(&mut ours, &[b"SET", b"start", b"1"]), ok());
        let (_redis, mut theirs) = redis_replica_of(radish.addr);
        wait_connected(&mut theirs);
        let writers = write_load(radish.addr, 2, 1500);
        std::thread::sleep(Duration::from_millis(50));
        let killed = cmd(&mut ours, &[b"CLIENT", b"KILL", b"TYPE", b"replica"]);
        assert_eq!(killed, Frame::Integer(1));
        for writer in writers {
            writer.join().expect("a writer");
        }
        one_replica_acknowledged(&mut ours, runtime);
        assert_eq!(
            cmd(&mut theirs, &[b"DEBUG", b"DIGEST"]),
            cmd(&mut ours, &[b"DEBUG", b"DIGEST"])
        );
        assert_eq!(info_field(&mut ours, "stats", "sync_full"), "1");
        assert_eq!(info_field(&mut ours, "stats", "sync_partial_ok"), "1");
    }
}

#[test]
fn a_radish_replica_follows_a_radish_primary() {
    let primary = RUNTIMES[0].start_with(&["enable-debug-command yes"]);
    let replica = RUNTIMES[1].start_with(&["enable-debug-command yes"]);
    let mut ours = RawClient::connect(primary.addr);
    let mut follower = RawClient::connect(replica.addr);
    fill_every_type(&mut ours);
    let port = primary.addr.port().to_string();
    let reply = cmd(
        &mut follower,
        &[b"REPLICAOF", b"127.0.0.1", port.as_bytes()],
    );
    assert_eq!(reply, ok());
    wait_connected(&mut follower);
    assert_eq!(cmd(&mut ours, &[b"INCR", b"after"]), Frame::Integer(1));
    assert_eq!(
        cmd(&mut ours, &[b"WAIT", b"1", b"10000"]),
        Frame::Integer(1)
    );
    assert_eq!(
        cmd(&mut follower, &[b"DEBUG", b"DIGEST"]),
        cmd(&mut ours, &[b"DEBUG", b"DIGEST"])
    );
    // WAIT with no replica to wait for: the count at the timeout.
    let lone = RUNTIMES[0].start();
    let mut alone = RawClient::connect(lone.addr);
    assert_eq!(alone.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(alone.cmd(&["WAIT", "0", "0"]), Frame::Integer(0));
    assert_eq!(alone.cmd(&["WAIT", "1", "100"]), Frame::Integer(0));
    assert_eq!(
        alone.cmd(&["WAIT", "1", "-1"]),
        Frame::SimpleError("ERR timeout is negative".into())
    );
}

/// The replication stream as SYNC delivers it, after the RDB file: `count` commands.
fn stream_after_sync(client: &mut RawClient, script: &[&[&str]], count: usize) -> Vec<Frame> {
    client.send(&["SYNC"]);
    let file = client.read_sync_payload();
    assert!(file.starts_with(b"REDIS"));
    let mut writer = RawClient::connect(client.peer());
    for args in script {
        writer.cmd(args);
    }
    let mut frames = Vec::new();
    while frames.len() < count {
        let frame = client.read();
        // PINGs come every repl-ping-replica-period: not part of what is compared.
        if frame != Frame::Array(vec![Frame::BulkString("PING".into())]) {
            frames.push(frame);
        }
    }
    frames
}

#[test]
fn the_replication_stream_is_what_redis_sends_its_replicas() {
    let script: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["INCR", "a"],
        &["RPUSH", "l", "x", "y"],
        &["LPOP", "l"],
        &["SELECT", "3"],
        &["SADD", "s", "m"],
        &["MULTI"],
        &["SET", "t", "1"],
        &["INCRBY", "t", "5"],
        &["EXEC"],
        &["SELECT", "0"],
        &["DEL", "a", "nothing"],
        &["SET", "last", "1"],
    ];
    let count = 12;
    let redis = RedisServer::start();
    let mut theirs = RawClient::connect(redis.addr);
    let expected = stream_after_sync(&mut theirs, script, count);
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(
            stream_after_sync(&mut ours, script, count),
            expected,
            "{runtime:?}"
        );
    }
}

#[test]
fn writes_wait_for_enough_good_replicas_as_on_redis() {
    let redis = RedisServer::start();
    let radish = RUNTIMES[1].start();
    let mut theirs = RawClient::connect(redis.addr);
    let mut ours = RawClient::connect(radish.addr);
    let script: &[&[&str]] = &[
        &["CONFIG", "SET", "min-replicas-to-write", "1"],
        &["SET", "k", "v"],
        &["GET", "k"],
        &["MULTI"],
        &["SET", "k", "v"],
        &["EXEC"],
        &["MULTI"],
        &["GET", "k"],
        &["EXEC"],
        &["CONFIG", "SET", "min-replicas-max-lag", "0"],
        &["SET", "k", "v"],
        &["CONFIG", "SET", "min-replicas-max-lag", "10"],
        &["CONFIG", "SET", "min-replicas-to-write", "0"],
        &["SET", "k", "v"],
    ];
    for args in script {
        assert_eq!(ours.cmd(args), theirs.cmd(args), "{args:?}");
    }
    ours.cmd(&["CONFIG", "SET", "min-replicas-to-write", "2"]);
    assert_eq!(
        info_field(&mut ours, "replication", "min_slaves_good_slaves"),
        "0"
    );
}

#[test]
fn a_radish_replica_feeds_replicas_of_its_own() {
    // redis-server -> radish -> redis-server: the end of the chain has every write, and the
    // offsets agree along it.
    let top = primary(&[]);
    let mut writer = RawClient::connect(top.addr);
    fill_every_type(&mut writer);
    let middle = RUNTIMES[0].start_with(&["enable-debug-command yes"]);
    let mut relay = RawClient::connect(middle.addr);
    replicaof(&mut relay, &top);
    wait_connected(&mut relay);
    let (_bottom, mut last) = redis_replica_of(middle.addr);
    wait_connected(&mut last);
    let writers = write_load(top.addr, 2, 1000);
    for writer in writers {
        writer.join().expect("a writer");
    }
    one_replica_acknowledged(&mut writer, RUNTIMES[0]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let wanted = info_field(&mut writer, "replication", "master_repl_offset");
    while info_field(&mut last, "replication", "slave_repl_offset") != wanted {
        assert!(Instant::now() < deadline, "the chain's end never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let digest = cmd(&mut writer, &[b"DEBUG", b"DIGEST"]);
    assert_eq!(cmd(&mut relay, &[b"DEBUG", b"DIGEST"]), digest);
    assert_eq!(cmd(&mut last, &[b"DEBUG", b"DIGEST"]), digest);
}
