//! The `*-max-*` encoding parameters: CONFIG SET (by name or by the old `ziplist` alias)
//! changes when aggregates change encoding, for new keys and for keys that already exist.

mod support;

use support::Conn;

fn encoding(c: &mut Conn, key: &str) -> String {
    c.cmd(&["OBJECT", "ENCODING", key])
}

const LISTPACK: &str = "$8\r\nlistpack\r\n";
const HASHTABLE: &str = "$9\r\nhashtable\r\n";
const INTSET: &str = "$6\r\nintset\r\n";
const SKIPLIST: &str = "$8\r\nskiplist\r\n";
const OK: &str = "+OK\r\n";

#[test]
fn hash_limits_follow_config_set() {
    let mut c = Conn::new();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-ziplist-entries", "2"]),
        OK
    );
    c.cmd(&["HSET", "small", "a", "1", "b", "2"]);
    assert_eq!(encoding(&mut c, "small"), LISTPACK);
    c.cmd(&["HSET", "small", "c", "3"]);
    assert_eq!(encoding(&mut c, "small"), HASHTABLE);

    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "3"]),
        OK
    );
    c.cmd(&["HSET", "long", "f", "abc"]);
    assert_eq!(encoding(&mut c, "long"), LISTPACK);
    c.cmd(&["HSET", "long", "f", "abcd"]);
    assert_eq!(encoding(&mut c, "long"), HASHTABLE);
}

#[test]
fn set_and_zset_limits_follow_config_set() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "2"]), OK);
    c.cmd(&["SADD", "s", "1", "2"]);
    assert_eq!(encoding(&mut c, "s"), INTSET);
    c.cmd(&["SADD", "s", "3"]);
    assert_eq!(encoding(&mut c, "s"), HASHTABLE);

    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "zset-max-ziplist-entries",
            "1",
            "zset-max-listpack-value",
            "3"
        ]),
        OK
    );
    c.cmd(&["ZADD", "z", "1", "a"]);
    assert_eq!(encoding(&mut c, "z"), LISTPACK);
    c.cmd(&["ZADD", "z", "2", "b"]);
    assert_eq!(encoding(&mut c, "z"), SKIPLIST);
    c.cmd(&["ZADD", "long", "1", "abcd"]);
    assert_eq!(encoding(&mut c, "long"), SKIPLIST);
    // A computed result is stored as a listpack only when it fits the limits in force.
    c.cmd(&["ZADD", "one", "1", "x"]);
    c.cmd(&["ZUNIONSTORE", "u1", "1", "one"]);
    assert_eq!(encoding(&mut c, "u1"), LISTPACK);
    c.cmd(&["ZUNIONSTORE", "u2", "2", "one", "z"]);
    assert_eq!(encoding(&mut c, "u2"), SKIPLIST);
}

#[test]
fn keys_made_under_the_defaults_convert_when_they_next_grow() {
    let mut c = Conn::new();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    assert_eq!(encoding(&mut c, "h"), LISTPACK);
    assert_eq!(encoding(&mut c, "s"), INTSET);
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "hash-max-listpack-entries",
            "1",
            "set-max-intset-entries",
            "1"
        ]),
        OK
    );
    // Nothing converts until the key is written, as in Redis.
    assert_eq!(encoding(&mut c, "h"), LISTPACK);
    c.cmd(&["HSET", "h", "d", "4"]);
    c.cmd(&["SADD", "s", "4"]);
    assert_eq!(encoding(&mut c, "h"), HASHTABLE);
    assert_eq!(encoding(&mut c, "s"), HASHTABLE);
}
