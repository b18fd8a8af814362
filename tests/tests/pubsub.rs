//! Pub/sub across connections, in RESP2 and RESP3, and the slow-subscriber limit.

use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, RawClient, RUNTIMES};

fn push3(kind: &str, name: &str, count: i64) -> Frame {
    Frame::Array(vec![bulk(kind), bulk(name), Frame::Integer(count)])
}

#[test]
fn messages_reach_channel_and_pattern_subscribers() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut sub = RawClient::connect(server.addr);
        sub.send(&["SUBSCRIBE", "news", "sport"]);
        assert_eq!(sub.read(), push3("subscribe", "news", 1));
        assert_eq!(sub.read(), push3("subscribe", "sport", 2));
        let mut psub = RawClient::connect(server.addr);
        assert_eq!(
            psub.cmd(&["PSUBSCRIBE", "n*"]),
            push3("psubscribe", "n*", 1)
        );
        let mut publisher = RawClient::connect(server.addr);
        assert_eq!(
            publisher.cmd(&["PUBLISH", "news", "hello"]),
            Frame::Integer(2),
            "{runtime:?}"
        );
        assert_eq!(
            sub.read(),
            Frame::Array(vec![bulk("message"), bulk("news"), bulk("hello")])
        );
        assert_eq!(
            psub.read(),
            Frame::Array(vec![
                bulk("pmessage"),
                bulk("n*"),
                bulk("news"),
                bulk("hello")
            ])
        );
        assert_eq!(
            publisher.cmd(&["PUBLISH", "nobody", "x"]),
            Frame::Integer(1)
        );
        assert_eq!(publisher.cmd(&["PUBLISH", "other", "x"]), Frame::Integer(0));
        assert_eq!(
            publisher.cmd(&["PUBSUB", "NUMSUB", "news", "none"]),
            Frame::Array(vec![
                bulk("news"),
                Frame::Integer(1),
                bulk("none"),
                Frame::Integer(0)
            ])
        );
        assert_eq!(publisher.cmd(&["PUBSUB", "NUMPAT"]), Frame::Integer(1));
    }
}

#[test]
fn resp2_subscribers_may_only_use_the_subscribe_family() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut sub = RawClient::connect(server.addr);
        sub.cmd(&["SUBSCRIBE", "c"]);
        assert_eq!(
            sub.cmd(&["GET", "k"]),
            Frame::error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"),
            "{runtime:?}"
        );
        assert_eq!(
            sub.cmd(&["PING"]),
            Frame::Array(vec![bulk("pong"), bulk("")])
        );
        assert_eq!(sub.cmd(&["UNSUBSCRIBE"]), push3("unsubscribe", "c", 0));
        assert_eq!(sub.cmd(&["GET", "k"]), Frame::Null);
    }
}

#[test]
fn resp3_subscribers_get_push_frames_and_keep_full_use_of_the_connection() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut sub = RawClient::connect(server.addr);
        sub.cmd(&["HELLO", "3"]);
        assert_eq!(
            sub.cmd(&["SUBSCRIBE", "c"]),
            Frame::Push(vec![bulk("subscribe"), bulk("c"), Frame::Integer(1)])
        );
        assert_eq!(
            sub.cmd(&["SET", "k", "v"]),
            Frame::simple("OK"),
            "{runtime:?}"
        );
        RawClient::connect(server.addr).cmd(&["PUBLISH", "c", "m"]);
        assert_eq!(
            sub.read(),
            Frame::Push(vec![bulk("message"), bulk("c"), bulk("m")])
        );
        assert_eq!(sub.cmd(&["GET", "k"]), bulk("v"));
    }
}

#[test]
fn a_subscriber_that_never_reads_is_cut_off_and_never_blocks_the_publisher() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut admin = RawClient::connect(server.addr);
        admin.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 256kb 60",
        ]);
        let mut slow = RawClient::connect(server.addr);
        slow.cmd(&["SUBSCRIBE", "firehose"]);
        // The slow subscriber never reads again. 64 MiB of messages is far more than the
        // socket buffers and the 1 MiB limit.
        let message = "x".repeat(64 * 1024);
        let mut publisher = RawClient::connect(server.addr);
        let started = Instant::now();
        let mut delivered_to_none = false;
        for _ in 0..1024 {
            match publisher.cmd(&["PUBLISH", "firehose", &message]) {
                Frame::Integer(0) => {
                    delivered_to_none = true;
                    break;
                }
                Frame::Integer(1) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(
            delivered_to_none,
            "{runtime:?}: the slow subscriber was never dropped"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "publisher was held up"
        );
        assert!(
            slow.closed(),
            "{runtime:?}: the slow subscriber's connection stayed open"
        );
        assert_eq!(admin.cmd(&["PING"]), Frame::simple("PONG"));
    }
}
