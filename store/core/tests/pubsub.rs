//! Pub/sub at the Session: shard channels, and what INFO counts of them.

mod support;

use support::{int, Conn, NIL, T0};

#[test]
fn shard_channels_are_their_own_namespace() {
    let mut c = Conn::new();
    let mut publisher = c.connect();
    assert_eq!(
        c.cmd(&["SSUBSCRIBE", "a", "b"]),
        "*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\nb\r\n:2\r\n"
    );
    // Channel and pattern counts do not include shard channels.
    assert_eq!(
        c.cmd(&["SUBSCRIBE", "a"]),
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(publisher.cmd(&["SPUBLISH", "a", "hi"]), int(1));
    assert_eq!(publisher.cmd(&["PUBLISH", "a", "yo"]), int(1));
    let (delivered, _) = c.feed(T0, b"");
    assert_eq!(
        delivered,
        "*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nyo\r\n"
    );
    assert_eq!(
        publisher.cmd(&["PUBSUB", "SHARDNUMSUB", "a", "zz"]),
        "*4\r\n$1\r\na\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
    );
    // In RESP2 the shard subscriptions alone keep the connection in the pub/sub context.
    c.cmd(&["UNSUBSCRIBE"]);
    assert!(c.cmd(&["GET", "k"]).starts_with("-ERR Can't execute 'get'"));
    assert_eq!(
        c.cmd(&["SUNSUBSCRIBE"]),
        "*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$12\r\nsunsubscribe\r\n$1\r\nb\r\n:0\r\n"
    );
    assert_eq!(
        c.cmd(&["SUNSUBSCRIBE"]),
        "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(c.cmd(&["GET", "k"]), NIL);
    // RESET and a closed connection leave no shard subscription behind.
    c.cmd(&["SSUBSCRIBE", "q"]);
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(publisher.cmd(&["PUBSUB", "SHARDCHANNELS"]), "*0\r\n");
    let mut other = publisher.connect();
    other.cmd(&["SSUBSCRIBE", "gone"]);
    drop(other);
    assert_eq!(publisher.cmd(&["SPUBLISH", "gone", "x"]), int(0));
}

#[test]
fn info_counts_shard_channels() {
    let mut c = Conn::new();
    let mut subscriber = c.connect();
    subscriber.cmd(&["SSUBSCRIBE", "a", "b"]);
    assert_eq!(c.info(T0, "stats", "pubsubshard_channels"), "2");
}
