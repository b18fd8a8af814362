//! Streams across connections: XREAD BLOCK woken by XADD, on both runtimes. Replies to single
//! commands are compared with redis-server in tests/corpus/streams.txt.

use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, wait_for_blocked, RawClient, RUNTIMES};

/// `[id, [field, value, ...]]`, an entry as XRANGE and XREAD reply it.
fn entry(id: &str, pairs: &[&str]) -> Frame {
    Frame::Array(vec![
        bulk(id),
        Frame::Array(pairs.iter().map(|p| bulk(p)).collect()),
    ])
}

/// XREAD's RESP2 reply for one stream.
fn read_of(key: &str, entries: Vec<Frame>) -> Frame {
    Frame::Array(vec![Frame::Array(vec![bulk(key), Frame::Array(entries)])])
}

#[test]
fn xadd_wakes_every_reader_blocked_on_the_stream_with_what_came_after_its_id() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        writer.cmd(&["XADD", "s", "5-0", "old", "1"]);
        // `$` is the last ID when the reader blocked: it never sees 5-0.
        let mut dollar = RawClient::connect(server.addr);
        dollar.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        wait_for_blocked(server.addr, 1);
        let mut from_zero = RawClient::connect(server.addr);
        from_zero.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "5"]);
        wait_for_blocked(server.addr, 2);
        assert_eq!(
            writer.cmd(&["XADD", "s", "6-0", "new", "2"]),
            bulk("6-0"),
            "{runtime:?}"
        );
        let expected = read_of("s", vec![entry("6-0", &["new", "2"])]);
        assert_eq!(dollar.read(), expected, "{runtime:?}");
        assert_eq!(from_zero.read(), expected, "{runtime:?}");
        wait_for_blocked(server.addr, 0);
        // Reading leaves the entries where they are.
        assert_eq!(writer.cmd(&["XLEN", "s"]), Frame::Integer(2));
    }
}

#[test]
fn a_reader_blocked_on_several_streams_gets_the_one_written_only() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        writer.cmd(&["XADD", "a", "1-1", "f", "a1"]);
        let mut reader = RawClient::connect(server.addr);
        reader.cmd(&["HELLO", "3"]);
        reader.send(&[
            "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "a", "b", "$", "$",
        ]);
        wait_for_blocked(server.addr, 1);
        // Two entries in one transaction: COUNT 1 serves the first.
        writer.cmd(&["MULTI"]);
        writer.cmd(&["XADD", "b", "2-1", "f", "b1"]);
        writer.cmd(&["XADD", "b", "2-2", "f", "b2"]);
        writer.cmd(&["EXEC"]);
        assert_eq!(
            reader.read(),
            Frame::Map(vec![(
                bulk("b"),
                Frame::Array(vec![entry("2-1", &["f", "b1"])])
            )]),
            "{runtime:?}"
        );
    }
}

#[test]
fn a_reader_waits_while_its_key_holds_another_type_or_nothing_new() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        writer.cmd(&["XADD", "s", "9-0", "f", "v"]);
        let mut reader = RawClient::connect(server.addr);
        reader.send(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        wait_for_blocked(server.addr, 1);
        // Deleting an entry, or the key becoming a list, serves nobody.
        writer.cmd(&["XDEL", "s", "9-0"]);
        writer.cmd(&["DEL", "s"]);
        writer.cmd(&["RPUSH", "s", "x"]);
        assert!(reader.silent_for(Duration::from_millis(200)), "{runtime:?}");
        writer.cmd(&["DEL", "s"]);
        // A new stream whose IDs are past the one the reader waits after serves it.
        writer.cmd(&["XADD", "s", "3-0", "f", "low"]);
        assert!(reader.silent_for(Duration::from_millis(100)), "{runtime:?}");
        writer.cmd(&["XADD", "s", "10-0", "f", "high"]);
        assert_eq!(
            reader.read(),
            read_of("s", vec![entry("10-0", &["f", "high"])]),
            "{runtime:?}"
        );
    }
}

#[test]
fn a_blocked_read_times_out_with_a_null_array() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut reader = RawClient::connect(server.addr);
        let started = Instant::now();
        assert_eq!(
            reader.cmd(&["XREAD", "BLOCK", "100", "STREAMS", "nothing", "0"]),
            Frame::NullArray,
            "{runtime:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(90));
        reader.cmd(&["HELLO", "3"]);
        assert_eq!(
            reader.cmd(&["XREAD", "BLOCK", "50", "STREAMS", "nothing", "$"]),
            Frame::Null,
            "{runtime:?}"
        );
        wait_for_blocked(server.addr, 0);
    }
}

#[test]
fn each_new_entry_goes_to_one_blocked_consumer_of_a_group_in_turn() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        assert_eq!(
            writer.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]),
            Frame::SimpleString("OK".into())
        );
        let mut first = RawClient::connect(server.addr);
        first.send(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ]);
        wait_for_blocked(server.addr, 1);
        let mut second = RawClient::connect(server.addr);
        second.send(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ]);
        wait_for_blocked(server.addr, 2);
        writer.cmd(&["XADD", "s", "1-1", "job", "1"]);
        assert_eq!(
            first.read(),
            read_of("s", vec![entry("1-1", &["job", "1"])]),
            "{runtime:?}"
        );
        assert!(second.silent_for(Duration::from_millis(150)), "{runtime:?}");
        writer.cmd(&["XADD", "s", "2-1", "job", "2"]);
        assert_eq!(
            second.read(),
            read_of("s", vec![entry("2-1", &["job", "2"])]),
            "{runtime:?}"
        );
        // Both entries are pending, each with the consumer it went to.
        assert_eq!(
            writer.cmd(&["XPENDING", "s", "g"]),
            Frame::Array(vec![
                Frame::Integer(2),
                bulk("1-1"),
                bulk("2-1"),
                Frame::Array(vec![
                    Frame::Array(vec![bulk("alice"), bulk("1")]),
                    Frame::Array(vec![bulk("bob"), bulk("1")]),
                ]),
            ])
        );
    }
}

#[test]
fn blocked_group_readers_learn_that_their_group_or_stream_is_gone() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut writer = RawClient::connect(server.addr);
        for key in ["a", "b", "c"] {
            writer.cmd(&["XGROUP", "CREATE", key, "g", "$", "MKSTREAM"]);
        }
        let block = |key: &str| {
            let mut reader = RawClient::connect(server.addr);
            reader.send(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "0",
                "STREAMS",
                key,
                ">",
            ]);
            reader
        };
        let mut readers: Vec<RawClient> = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let reader = block(key);
                wait_for_blocked(server.addr, i + 1);
                reader
            })
            .collect();
        writer.cmd(&["XGROUP", "DESTROY", "a", "g"]);
        writer.cmd(&["DEL", "b"]);
        writer.cmd(&["MULTI"]);
        writer.cmd(&["DEL", "c"]);
        writer.cmd(&["SET", "c", "x"]);
        writer.cmd(&["EXEC"]);
        writer.cmd(&["XGROUP", "CREATE", "d", "g", "$", "MKSTREAM"]);
        let flushed = block("d");
        wait_for_blocked(server.addr, 1);
        writer.cmd(&["FLUSHALL"]);
        readers.push(flushed);
        assert_eq!(
            readers[0].read(),
            Frame::error("NOGROUP the consumer group this client was blocked on no longer exists"),
            "{runtime:?}"
        );
        for reader in &mut readers[1..] {
            assert_eq!(
                reader.read(),
                Frame::error("UNBLOCKED the stream key no longer exists"),
                "{runtime:?}"
            );
        }
        wait_for_blocked(server.addr, 0);
    }
}

#[test]
fn a_reload_gives_back_the_same_xinfo_stream_full() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["enable-debug-command yes"]);
        let mut client = RawClient::connect(server.addr);
        for ms in 1..=250 {
            let id = format!("{ms}-0");
            client.cmd(&["XADD", "s", &id, "f", "v", "n", &ms.to_string()]);
        }
        client.cmd(&["XDEL", "s", "3-0", "120-0"]);
        client.cmd(&["XGROUP", "CREATE", "s", "g", "0"]);
        client.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ]);
        client.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ]);
        client.cmd(&["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
        let before = client.cmd(&["XINFO", "STREAM", "s", "FULL"]);
        // Time passes: what the consumers were last seen at must not become the reload's.
        std::thread::sleep(Duration::from_millis(20));
        // Through the snapshot, then through a rewritten log.
        for reload in [
            &["DEBUG", "RELOAD"][..],
            &["BGREWRITEAOF"],
            &["DEBUG", "LOADAOF"],
        ] {
            let reply = client.cmd(reload);
            assert!(
                !matches!(reply, Frame::SimpleError(_)),
                "{runtime:?}: {reply:?}"
            );
            if reload[0] == "BGREWRITEAOF" {
                // Wait for the rewrite to finish.
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let Frame::BulkString(info) = client.cmd(&["INFO", "persistence"]) else {
                        panic!("INFO");
                    };
                    if String::from_utf8_lossy(&info).contains("aof_rewrite_in_progress:0") {
                        break;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{runtime:?}: rewrite did not end"
                    );
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            assert_eq!(
                client.cmd(&["XINFO", "STREAM", "s", "FULL"]),
                before,
                "{runtime:?}"
            );
        }
    }
}
