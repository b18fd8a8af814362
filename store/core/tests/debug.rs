//! DEBUG, as Redis 7.0 has it: refused unless `enable-debug-command` allows it, digests equal
//! to Redis's own for the same data (values taken from redis-server 7.0.15), and the switches
//! Redis's test suite relies on.

mod support;

use radish_store::Config;
use support::{Conn, T0};

fn debug_enabled() -> Conn {
    let mut config = Config::default();
    config
        .apply_text("enable-debug-command yes")
        .expect("valid directive");
    Conn::with_config(config)
}

#[test]
fn debug_is_refused_unless_enable_debug_command_allows_it_even_before_auth() {
    let refused = "-ERR DEBUG command not allowed. If the enable-debug-command option is set \
                   to \"local\", you can run it from a local connection, otherwise you need to \
                   set this option in the configuration file, and then restart the server.\r\n";
    let mut config = Config::default();
    config.apply_text("requirepass secret").unwrap();
    let mut c = Conn::with_config(config);
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), refused);
    // Inside MULTI it dooms the transaction, as any command refused before running.
    c.cmd(&["AUTH", "secret"]);
    c.cmd(&["MULTI"]);
    assert_eq!(c.cmd(&["DEBUG", "DIGEST"]), refused);
    assert!(c.cmd(&["EXEC"]).starts_with("-EXECABORT"));
    // `local` lets a connection without an address (the tests' own) in.
    let mut config = Config::default();
    config.apply_text("enable-debug-command local").unwrap();
    let mut c = Conn::with_config(config);
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST"]),
        "+0000000000000000000000000000000000000000\r\n"
    );
}

#[test]
fn digests_are_redis_own() {
    let mut c = debug_enabled();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST"]),
        "+ee26f514a7337e5326901db5e8305f06d330542b\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "DIGEST-VALUE", "k", "l", "nokey"]),
        "*3\r\n+d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f\r\n\
         +8bf72d812571eea9b927f3c11beb0c4165a6ff89\r\n\
         +0000000000000000000000000000000000000000\r\n"
    );
    // Every type, a deadline and a second database change it; order within a set, hash or
    // sorted set does not.
    let before = c.cmd(&["DEBUG", "DIGEST"]);
    c.cmd(&["SADD", "s", "1", "2", "x"]);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "k3", "v"]);
    assert_ne!(c.cmd(&["DEBUG", "DIGEST"]), before);
    let mut other = debug_enabled();
    other.cmd(&["SADD", "s", "x", "1", "2"]);
    let mut again = debug_enabled();
    again.cmd(&["SADD", "s", "2", "x", "1"]);
    assert_eq!(
        other.cmd(&["DEBUG", "DIGEST-VALUE", "s"]),
        again.cmd(&["DEBUG", "DIGEST-VALUE", "s"])
    );
    let plain = other.cmd(&["DEBUG", "DIGEST"]);
    other.cmd(&["EXPIRE", "s", "100"]);
    assert_ne!(other.cmd(&["DEBUG", "DIGEST"]), plain);
}

#[test]
fn set_active_expire_zero_leaves_expired_keys_to_be_found() {
    let mut c = debug_enabled();
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    for i in 0..50 {
        c.cmd(&["SET", &format!("k{i}"), "v", "PX", "10"]);
    }
    let server = c.session.server().clone();
    for step in 1..20 {
        server.tick(T0 + 100 * step);
    }
    assert_eq!(c.at(T0, &["DBSIZE"]), ":50\r\n");
    c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    for step in 20..60 {
        server.tick(T0 + 100 * step);
    }
    assert_eq!(c.at(T0, &["DBSIZE"]), ":0\r\n");
}

#[test]
fn populate_object_and_protocol() {
    let mut c = debug_enabled();
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "3"]), "+OK\r\n");
    assert_eq!(c.cmd(&["GET", "key:2"]), "$7\r\nvalue:2\r\n");
    c.cmd(&["DEBUG", "POPULATE", "1", "q", "10"]);
    assert_eq!(c.cmd(&["GET", "q:0"]), "$10\r\nvalue:0\0\0\0\r\n");
    let object = c.cmd(&["DEBUG", "OBJECT", "key:0"]);
    assert!(object.starts_with("+Value at:0x"), "{object}");
    assert!(object.contains(" refcount:1 encoding:embstr serializedlength:8 "));
    assert_eq!(c.cmd(&["DEBUG", "OBJECT", "nope"]), "-ERR no such key\r\n");
    assert_eq!(
        c.cmd(&["DEBUG", "PROTOCOL", "push"]),
        "-ERR RESP2 is not supported by this command\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "PROTOCOL", "attrib"]),
        "$39\r\nSome real reply following the attribute\r\n"
    );
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["DEBUG", "PROTOCOL", "attrib"]),
        "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n\
         $39\r\nSome real reply following the attribute\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "PROTOCOL", "bignum"]),
        "(1234567999999999999999999999999999999\r\n"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "BOGUS"]),
        "-ERR unknown subcommand or wrong number of arguments for 'BOGUS'. Try DEBUG HELP.\r\n"
    );
}
