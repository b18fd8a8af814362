//! Data sets that tests build on a server, the same on radish and redis-server.

use radish_resp::Frame;

use crate::RawClient;

/// Sends a command of byte arguments and reads its reply.
pub fn cmd(client: &mut RawClient, args: &[&[u8]]) -> Frame {
    let mut out = bytes::BytesMut::new();
    radish_resp::encode_request(args, &mut out);
    client.send_raw(&out);
    client.read()
}

/// Builds, on one server, a value of every type in every encoding, the stream with a group
/// whose consumers hold pending entries.
pub fn fill_every_type(client: &mut RawClient) -> Vec<String> {
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

/// The function library [`fill_persisted`] loads: `FCALL answer 0` returns 42.
pub const LIBRARY: &str =
    "#!lua name=persisted\nredis.register_function('answer', function() return 42 end)";

/// `+OK`.
pub fn ok() -> Frame {
    Frame::SimpleString("OK".into())
}

/// What persistence must carry: every type and encoding in database 0
/// ([`fill_every_type`]), keys with deadlines in two databases, a list in database 2, and a
/// function library ([`LIBRARY`]).
pub fn fill_persisted(client: &mut RawClient) {
    fill_every_type(client);
    for (db, key, ttl) in [("0", "volatile", "100000"), ("2", "elsewhere", "200000")] {
        assert_eq!(cmd(client, &[b"SELECT", db.as_bytes()]), ok());
        let reply = cmd(
            client,
            &[b"SET", key.as_bytes(), b"v", b"PX", ttl.as_bytes()],
        );
        assert_eq!(reply, ok());
    }
    assert_eq!(cmd(client, &[b"SELECT", b"2"]), ok());
    assert_eq!(
        cmd(client, &[b"RPUSH", b"list2", b"a", b"b"]),
        Frame::Integer(2)
    );
    assert_eq!(cmd(client, &[b"SELECT", b"0"]), ok());
    assert_eq!(
        cmd(client, &[b"FUNCTION", b"LOAD", LIBRARY.as_bytes()]),
        Frame::BulkString("persisted".into())
    );
}

/// What must be equal on two servers holding the same data: the digest of all of it, the
/// key and deadline counts of each database, and the libraries.
pub fn persisted_state(client: &mut RawClient) -> (Frame, Vec<String>, Frame) {
    let digest = cmd(client, &[b"DEBUG", b"DIGEST"]);
    let Frame::BulkString(info) = cmd(client, &[b"INFO", b"keyspace"]) else {
        panic!("INFO keyspace");
    };
    // avg_ttl is an estimate that differs between servers; keys and expires must not.
    let keyspace = String::from_utf8_lossy(&info)
        .lines()
        .filter(|line| line.starts_with("db"))
        .map(|line| line.split(",avg_ttl").next().unwrap_or(line).to_string())
        .collect();
    let functions = cmd(client, &[b"FUNCTION", b"LIST", b"WITHCODE"]);
    (digest, keyspace, functions)
}
