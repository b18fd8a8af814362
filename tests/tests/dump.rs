//! DUMP and RESTORE across servers: a value DUMPed by redis-server 7.0 restores on radish with
//! the same DEBUG DIGEST-VALUE, and the other way round, for every type and encoding, on both
//! runtimes. The payload bytes themselves are compared in tests/corpus/dump.txt.

use bytes::Bytes;
use radish_resp::Frame;
use radish_tests::{RawClient, RedisServer, RUNTIMES};

/// Sends a command of byte arguments and reads its reply.
fn cmd(client: &mut RawClient, args: &[&[u8]]) -> Frame {
    let mut out = bytes::BytesMut::new();
    radish_resp::encode_request(args, &mut out);
    client.send_raw(&out);
    client.read()
}

fn payload(client: &mut RawClient, key: &str) -> Bytes {
    match cmd(client, &[b"DUMP", key.as_bytes()]) {
        Frame::BulkString(bytes) => bytes,
        other => panic!("DUMP {key}: {other:?}"),
    }
}

/// Builds, on one server, a value of every type in every encoding, the stream with a group
/// whose consumers hold pending entries.
fn fill(client: &mut RawClient) -> Vec<String> {
    let mut keys = Vec::new();
    let mut run = |args: Vec<String>| {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let reply = cmd(client, &args);
        assert!(
            !matches!(reply, Frame::SimpleError(_)),
            "{args:?}: {reply:?}"
        );
    };
    fn words(prefix: &'static str, n: usize) -> impl Iterator<Item = String> {
        (0..n).map(move |i| format!("{prefix}{i}"))
    }
    run(vec!["FLUSHALL".into()]);
    for (key, value) in [
        ("str", "hello"),
        ("int", "-123"),
        ("long", &"x".repeat(500)),
    ] {
        run(vec!["SET".into(), key.into(), value.into()]);
        keys.push(key.to_string());
    }
    for (key, n) in [("list:small", 5), ("list:big", 3000)] {
        run(["RPUSH".into(), key.into()]
            .into_iter()
            .chain(words("e", n))
            .collect());
        keys.push(key.into());
    }
    for (key, n) in [("hash:listpack", 10), ("hash:table", 1000)] {
        let pairs = (0..n).flat_map(|i| [format!("f{i}"), format!("{}", i * 7)]);
        run(["HSET".into(), key.into()]
            .into_iter()
            .chain(pairs)
            .collect());
        keys.push(key.into());
    }
    for (key, members) in [
        (
            "set:intset",
            (0..100).map(|i| (i * 3).to_string()).collect::<Vec<_>>(),
        ),
        ("set:table", words("m", 700).collect()),
    ] {
        run(["SADD".into(), key.into()]
            .into_iter()
            .chain(members)
            .collect());
        keys.push(key.into());
    }
    for (key, n) in [("zset:listpack", 20), ("zset:skiplist", 500)] {
        let pairs = (0..n).flat_map(|i| [format!("{}", f64::from(i) / 7.0), format!("m{i}")]);
        run(["ZADD".into(), key.into()]
            .into_iter()
            .chain(pairs)
            .collect());
        keys.push(key.into());
    }
    for ms in 1..300 {
        run(vec![
            "XADD".into(),
            "stream".into(),
            format!("{ms}-1"),
            "field".into(),
            format!("value{ms}"),
        ]);
    }
    run(vec!["XDEL".into(), "stream".into(), "5-1".into()]);
    run(vec![
        "XGROUP".into(),
        "CREATE".into(),
        "stream".into(),
        "g".into(),
        "0".into(),
    ]);
    for consumer in ["alice", "bob"] {
        run(vec![
            "XREADGROUP".into(),
            "GROUP".into(),
            "g".into(),
            consumer.into(),
            "COUNT".into(),
            "3".into(),
            "STREAMS".into(),
            "stream".into(),
            ">".into(),
        ]);
    }
    keys.push("stream".into());
    keys
}

fn digest(client: &mut RawClient, key: &str) -> Frame {
    cmd(client, &[b"DEBUG", b"DIGEST-VALUE", key.as_bytes()])
}

#[test]
fn values_cross_between_redis_and_radish_with_equal_digests() {
    let redis = RedisServer::start();
    let mut theirs = RawClient::connect(redis.addr);
    for runtime in RUNTIMES {
        let radish = runtime.start_with(&["enable-debug-command yes"]);
        let mut ours = RawClient::connect(radish.addr);
        let keys = fill(&mut theirs);
        assert_eq!(fill(&mut ours), keys);
        for key in &keys {
            for to_radish in [true, false] {
                let (from, to, direction) = if to_radish {
                    (&mut theirs, &mut ours, "redis -> radish")
                } else {
                    (&mut ours, &mut theirs, "radish -> redis")
                };
                let bytes = payload(from, key);
                let copy = format!("copy:{key}");
                let reply = cmd(to, &[b"RESTORE", copy.as_bytes(), b"0", &bytes, b"REPLACE"]);
                assert_eq!(reply, Frame::SimpleString("OK".into()), "{direction} {key}");
                assert_eq!(digest(to, &copy), digest(from, key), "{direction} {key}");
                assert_eq!(
                    cmd(to, &[b"OBJECT", b"ENCODING", copy.as_bytes()]),
                    cmd(from, &[b"OBJECT", b"ENCODING", key.as_bytes()]),
                    "{direction} {key}"
                );
            }
        }
    }
}

#[test]
fn restore_replaces_only_when_asked_and_keeps_the_ttl_it_is_given() {
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut client = RawClient::connect(radish.addr);
        client.cmd(&["RPUSH", "list", "a", "b", "c"]);
        let bytes = payload(&mut client, "list");
        let busy = cmd(&mut client, &[b"RESTORE", b"list", b"0", &bytes]);
        assert_eq!(
            busy,
            Frame::SimpleError("BUSYKEY Target key name already exists.".into())
        );
        let reply = cmd(&mut client, &[b"RESTORE", b"other", b"100000", &bytes]);
        assert_eq!(reply, Frame::SimpleString("OK".into()));
        let Frame::Integer(ttl) = client.cmd(&["PTTL", "other"]) else {
            panic!("PTTL");
        };
        assert!((99_000..=100_000).contains(&ttl), "{runtime:?}: {ttl}");
        assert_eq!(
            client.cmd(&["LRANGE", "other", "0", "-1"]),
            Frame::Array(vec![
                Frame::BulkString("a".into()),
                Frame::BulkString("b".into()),
                Frame::BulkString("c".into())
            ])
        );
    }
}
