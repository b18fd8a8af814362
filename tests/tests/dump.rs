//! DUMP and RESTORE across servers: a value DUMPed by redis-server 7.0 restores on radish with
//! the same DEBUG DIGEST-VALUE, and the other way round, for every type and encoding, on both
//! runtimes. The payload bytes themselves are compared in tests/corpus/dump.txt.

use bytes::Bytes;
use radish_resp::Frame;
use radish_tests::datasets::{cmd, fill_every_type as fill};
use radish_tests::{RawClient, RedisServer, RUNTIMES};

fn payload(client: &mut RawClient, key: &str) -> Bytes {
    match cmd(client, &[b"DUMP", key.as_bytes()]) {
        Frame::BulkString(bytes) => bytes,
        other => panic!("DUMP {key}: {other:?}"),
    }
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
