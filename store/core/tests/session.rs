//! Session tests with explicit time: RESP bytes in, exact reply bytes out, no sockets and no
//! sleeping. Every expiry rule is checked by moving `now` forward by hand, so the deadlines are
//! exact to the millisecond.

mod support;

use bytes::BytesMut;
use radish_store::{Config, Millis, Status};
use support::{resp, Conn, T0};

/// T0 in Unix seconds.
const T0_SECS: u64 = T0 / 1000;

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

const OK: &str = "+OK\r\n";
const NIL: &str = "$-1\r\n";

/// Asserts the key's PTTL at `now`.
fn assert_pttl(c: &mut Conn, now: Millis, key: &str, pttl: i64) {
    assert_eq!(
        c.at(now, &["PTTL", key]),
        int(pttl),
        "PTTL {key} at T0+{}",
        now - T0
    );
}

/// Asserts that `key` holds `value` just before `deadline` and is gone at `deadline`.
fn assert_expires_at(c: &mut Conn, key: &str, value: &str, deadline: Millis) {
    assert_eq!(
        c.at(deadline - 1, &["GET", key]),
        bulk(value),
        "{key} alive before"
    );
    assert_eq!(
        c.at(deadline, &["GET", key]),
        NIL,
        "{key} gone at its deadline"
    );
}

// ---------------------------------------------------------------------------------------
// Setting deadlines
// ---------------------------------------------------------------------------------------

#[test]
fn set_ex_px_exat_pxat_set_exact_deadlines() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["SET", "ex", "v", "EX", "10"]), OK);
    assert_eq!(c.cmd(&["SET", "px", "v", "PX", "1500"]), OK);
    let exat = (T0_SECS + 20).to_string();
    assert_eq!(c.cmd(&["SET", "exat", "v", "EXAT", &exat]), OK);
    let pxat = (T0 + 2_345).to_string();
    assert_eq!(c.cmd(&["SET", "pxat", "v", "pxat", &pxat]), OK);

    assert_eq!(c.cmd(&["TTL", "ex"]), int(10));
    assert_pttl(&mut c, T0, "ex", 10_000);
    assert_pttl(&mut c, T0, "px", 1_500);
    assert_pttl(&mut c, T0, "exat", 20_000);
    assert_eq!(c.cmd(&["PEXPIRETIME", "pxat"]), int((T0 + 2_345) as i64));

    assert_expires_at(&mut c, "px", "v", T0 + 1_500);
    assert_expires_at(&mut c, "pxat", "v", T0 + 2_345);
    assert_expires_at(&mut c, "ex", "v", T0 + 10_000);
    assert_expires_at(&mut c, "exat", "v", T0 + 20_000);
}

#[test]
fn set_with_nx_xx_get_and_expiry() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["SET", "k", "v1", "NX", "PX", "100"]), OK);
    assert_eq!(c.at(T0 + 50, &["SET", "k", "v2", "NX", "PX", "100"]), NIL);
    // Once expired, the key counts as absent for NX and XX.
    assert_eq!(c.at(T0 + 100, &["SET", "k", "v3", "XX", "PX", "100"]), NIL);
    assert_eq!(c.at(T0 + 100, &["SET", "k", "v4", "NX", "PX", "100"]), OK);
    assert_eq!(
        c.at(T0 + 150, &["SET", "k", "v5", "GET", "EX", "1"]),
        bulk("v4")
    );
    assert_pttl(&mut c, T0 + 150, "k", 1_000);
    assert_eq!(c.at(T0 + 1_150, &["SET", "k", "v6", "GET"]), NIL);
    assert_eq!(c.at(T0 + 1_150, &["SETNX", "k", "v7"]), int(0));
    assert_eq!(c.at(T0 + 1_150, &["GET", "k"]), bulk("v6"));
}

#[test]
fn setnx_and_msetnx_treat_expired_keys_as_absent() {
    let mut c = Conn::new();
    c.cmd(&["SET", "a", "old", "PX", "10"]);
    c.cmd(&["SET", "b", "old", "PX", "10"]);
    assert_eq!(c.at(T0 + 5, &["SETNX", "a", "new"]), int(0));
    assert_eq!(c.at(T0 + 10, &["SETNX", "a", "new"]), int(1));
    assert_eq!(c.at(T0 + 10, &["MSETNX", "b", "new", "c", "new"]), int(1));
    assert_eq!(c.at(T0 + 10, &["PTTL", "a"]), int(-1));
    assert_eq!(c.at(T0 + 10, &["PTTL", "b"]), int(-1));
}

#[test]
fn set_expiry_option_errors_match_redis() {
    let mut c = Conn::new();
    let invalid = "-ERR invalid expire time in 'set' command\r\n";
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "0"]), invalid);
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "-1"]), invalid);
    assert_eq!(c.cmd(&["SET", "k", "v", "EXAT", "0"]), invalid);
    assert_eq!(c.cmd(&["SET", "k", "v", "PXAT", "-5"]), invalid);
    assert_eq!(
        c.cmd(&["SET", "k", "v", "EX", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    let syntax = "-ERR syntax error\r\n";
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "10", "PX", "5"]), syntax);
    assert_eq!(c.cmd(&["SET", "k", "v", "KEEPTTL", "EX", "5"]), syntax);
    assert_eq!(c.cmd(&["SET", "k", "v", "NX", "XX"]), syntax);
    assert_eq!(c.cmd(&["SET", "k", "v", "EX"]), syntax);
    // None of the failed SETs created the key.
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn set_with_an_absolute_time_in_the_past_leaves_no_key() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["SET", "a", "v", "EXAT", "1"]), OK);
    assert_eq!(c.cmd(&["SET", "b", "v", "PXAT", &T0.to_string()]), OK);
    assert_eq!(c.cmd(&["EXISTS", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["GET", "a"]), NIL);
}

#[test]
fn setex_and_psetex_set_deadlines_and_reject_bad_times() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["SETEX", "s", "10", "v"]), OK);
    assert_eq!(c.cmd(&["PSETEX", "p", "1500", "v"]), OK);
    assert_pttl(&mut c, T0, "s", 10_000);
    assert_pttl(&mut c, T0, "p", 1_500);
    assert_expires_at(&mut c, "p", "v", T0 + 1_500);
    assert_expires_at(&mut c, "s", "v", T0 + 10_000);

    assert_eq!(
        c.cmd(&["SETEX", "x", "0", "v"]),
        "-ERR invalid expire time in 'setex' command\r\n"
    );
    assert_eq!(
        c.cmd(&["PSETEX", "x", "-5", "v"]),
        "-ERR invalid expire time in 'psetex' command\r\n"
    );
    assert_eq!(
        c.cmd(&["SETEX", "x", "ten", "v"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["EXISTS", "x"]), int(0));
    // SETEX replaces an existing value and its deadline.
    c.cmd(&["SET", "r", "old", "EX", "100"]);
    assert_eq!(c.cmd(&["SETEX", "r", "5", "new"]), OK);
    assert_pttl(&mut c, T0, "r", 5_000);
}

#[test]
fn getex_sets_changes_and_clears_deadlines() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    // Without options GETEX is a GET and leaves the key alone.
    assert_eq!(c.cmd(&["GETEX", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["PTTL", "k"]), int(-1));

    assert_eq!(c.cmd(&["GETEX", "k", "EX", "10"]), bulk("v"));
    assert_pttl(&mut c, T0, "k", 10_000);
    assert_eq!(c.cmd(&["GETEX", "k", "PX", "2500"]), bulk("v"));
    assert_pttl(&mut c, T0, "k", 2_500);
    let exat = (T0_SECS + 30).to_string();
    assert_eq!(c.cmd(&["GETEX", "k", "EXAT", &exat]), bulk("v"));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int((T0_SECS + 30) as i64));
    let pxat = (T0 + 4_321).to_string();
    assert_eq!(c.cmd(&["GETEX", "k", "PXAT", &pxat]), bulk("v"));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int((T0 + 4_321) as i64));
    // A plain GETEX keeps the deadline it finds.
    assert_eq!(c.at(T0 + 1, &["GETEX", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int((T0 + 4_321) as i64));

    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST"]), bulk("v"));
    assert_eq!(c.cmd(&["PTTL", "k"]), int(-1));
    assert_eq!(c.at(T0 + 100_000, &["GET", "k"]), bulk("v"));
}

#[test]
fn getex_with_a_past_absolute_time_returns_the_value_and_deletes_the_key() {
    let mut c = Conn::new();
    c.cmd(&["SET", "a", "va"]);
    c.cmd(&["SET", "b", "vb"]);
    assert_eq!(c.cmd(&["GETEX", "a", "EXAT", "1"]), bulk("va"));
    assert_eq!(c.cmd(&["GETEX", "b", "PXAT", &T0.to_string()]), bulk("vb"));
    assert_eq!(c.cmd(&["EXISTS", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    // Deleting is not expiring, as in Redis.
    assert_eq!(c.info(T0, "stats", "expired_keys"), "0");
}

#[test]
fn getex_errors_match_redis() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    let invalid = "-ERR invalid expire time in 'getex' command\r\n";
    assert_eq!(c.cmd(&["GETEX", "k", "EX", "0"]), invalid);
    assert_eq!(c.cmd(&["GETEX", "k", "PX", "-1"]), invalid);
    assert_eq!(c.cmd(&["GETEX", "k", "EXAT", "0"]), invalid);
    let syntax = "-ERR syntax error\r\n";
    assert_eq!(c.cmd(&["GETEX", "k", "EX", "10", "PX", "10"]), syntax);
    assert_eq!(c.cmd(&["GETEX", "k", "PERSIST", "EX", "5"]), syntax);
    assert_eq!(c.cmd(&["GETEX", "k", "KEEPTTL"]), syntax);
    assert_eq!(c.cmd(&["PTTL", "k"]), int(-1));
    // A missing key is looked up first: nil, even with a bad expire time.
    assert_eq!(c.cmd(&["GETEX", "missing", "EX", "0"]), NIL);
}

#[test]
fn expire_family_sets_relative_and_absolute_deadlines() {
    let mut c = Conn::new();
    for key in ["a", "b", "c", "d"] {
        c.cmd(&["SET", key, "v"]);
    }
    assert_eq!(c.cmd(&["EXPIRE", "a", "10"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRE", "b", "1234"]), int(1));
    assert_eq!(
        c.cmd(&["EXPIREAT", "c", &(T0_SECS + 7).to_string()]),
        int(1)
    );
    assert_eq!(c.cmd(&["PEXPIREAT", "d", &(T0 + 777).to_string()]), int(1));
    assert_pttl(&mut c, T0, "a", 10_000);
    assert_pttl(&mut c, T0, "b", 1_234);
    assert_pttl(&mut c, T0, "c", 7_000);
    assert_pttl(&mut c, T0, "d", 777);
    // A relative time counts from the moment of the command, not from the key's creation.
    assert_eq!(c.at(T0 + 500, &["PEXPIRE", "d", "1000"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "d"]), int((T0 + 1_500) as i64));

    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        let far = (T0 + 1_000_000).to_string();
        assert_eq!(
            c.cmd(&[cmd, "missing", &far]),
            int(0),
            "{cmd} on a missing key"
        );
    }
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));

    assert_expires_at(&mut c, "b", "v", T0 + 1_234);
    assert_expires_at(&mut c, "d", "v", T0 + 1_500);
    assert_expires_at(&mut c, "c", "v", T0 + 7_000);
    assert_expires_at(&mut c, "a", "v", T0 + 10_000);
}

#[test]
fn expire_nx_xx_gt_lt_follow_redis_rules() {
    let mut c = Conn::new();
    c.cmd(&["SET", "plain", "v"]);
    c.cmd(&["SET", "vol", "v", "EX", "100"]);

    // NX: only when there is no deadline.
    assert_eq!(c.cmd(&["EXPIRE", "vol", "50", "NX"]), int(0));
    assert_pttl(&mut c, T0, "vol", 100_000);
    // XX: only when there is one.
    assert_eq!(c.cmd(&["EXPIRE", "plain", "50", "XX"]), int(0));
    assert_eq!(c.cmd(&["TTL", "plain"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", "vol", "200", "XX"]), int(1));
    assert_pttl(&mut c, T0, "vol", 200_000);
    // GT: only when later; no deadline counts as infinite, so GT never applies to it.
    assert_eq!(c.cmd(&["EXPIRE", "plain", "50", "GT"]), int(0));
    assert_eq!(c.cmd(&["TTL", "plain"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", "vol", "150", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "vol", "200", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "vol", "300", "gt"]), int(1));
    assert_pttl(&mut c, T0, "vol", 300_000);
    // LT: only when sooner; no deadline counts as infinite, so LT always applies to it.
    assert_eq!(c.cmd(&["PEXPIRE", "vol", "300000", "LT"]), int(0));
    assert_eq!(c.cmd(&["PEXPIRE", "vol", "400000", "LT"]), int(0));
    assert_eq!(c.cmd(&["PEXPIRE", "vol", "250000", "LT"]), int(1));
    assert_pttl(&mut c, T0, "vol", 250_000);
    // XX GT together: both must hold.
    assert_eq!(c.cmd(&["EXPIRE", "vol", "500", "XX", "GT"]), int(1));
    assert_pttl(&mut c, T0, "vol", 500_000);
    // Absolute forms take the same options.
    let sooner = (T0 + 60_000).to_string();
    assert_eq!(c.cmd(&["PEXPIREAT", "vol", &sooner, "GT"]), int(0));
    assert_eq!(c.cmd(&["PEXPIREAT", "vol", &sooner, "LT"]), int(1));
    assert_pttl(&mut c, T0, "vol", 60_000);
    assert_eq!(
        c.cmd(&["EXPIREAT", "plain", &(T0_SECS + 9).to_string(), "NX"]),
        int(1)
    );
    assert_pttl(&mut c, T0, "plain", 9_000);

    c.cmd(&["SET", "fresh", "v"]);
    assert_eq!(c.cmd(&["EXPIRE", "fresh", "5", "LT"]), int(1));
    assert_pttl(&mut c, T0, "fresh", 5_000);
    // Options are case-insensitive and may repeat.
    assert_eq!(c.cmd(&["EXPIRE", "fresh", "6", "nx", "NX"]), int(0));
}

#[test]
fn expire_option_errors_match_redis() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    let nx = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
    assert_eq!(c.cmd(&["EXPIRE", "k", "5", "NX", "XX"]), nx);
    assert_eq!(c.cmd(&["EXPIRE", "k", "5", "NX", "GT"]), nx);
    assert_eq!(c.cmd(&["PEXPIRE", "k", "5", "LT", "NX"]), nx);
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "5", "GT", "LT"]),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "5", "foo"]),
        "-ERR Unsupported option foo\r\n"
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "soon"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "9223372036854775807"]),
        "-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["PEXPIRE", "k", "9223372036854775807"]),
        "-ERR invalid expire time in 'pexpire' command\r\n"
    );
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
}

#[test]
fn ttl_family_before_and_after_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "plain", "v"]);
    c.cmd(&["SET", "k", "v", "PX", "2500"]);
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, "missing"]), int(-2), "{cmd} missing");
        assert_eq!(c.cmd(&[cmd, "plain"]), int(-1), "{cmd} plain");
    }
    // TTL rounds to the nearest second, as Redis does: (ms + 500) / 1000.
    assert_eq!(c.cmd(&["TTL", "k"]), int(3));
    assert_eq!(c.at(T0 + 1_001, &["TTL", "k"]), int(1));
    assert_eq!(c.at(T0 + 1_000, &["TTL", "k"]), int(2));
    assert_eq!(c.at(T0 + 2_499, &["TTL", "k"]), int(0));
    assert_eq!(c.at(T0 + 2_499, &["PTTL", "k"]), int(1));
    // EXPIRETIME rounds the same way; the absolute answers do not depend on now.
    assert_eq!(
        c.at(T0 + 2_000, &["EXPIRETIME", "k"]),
        int((T0_SECS + 3) as i64)
    );
    assert_eq!(
        c.at(T0 + 2_000, &["PEXPIRETIME", "k"]),
        int((T0 + 2_500) as i64)
    );
    c.cmd(&["SET", "down", "v", "PXAT", &(T0 + 2_499).to_string()]);
    assert_eq!(c.cmd(&["EXPIRETIME", "down"]), int((T0_SECS + 2) as i64));

    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(
            c.at(T0 + 2_500, &[cmd, "k"]),
            int(-2),
            "{cmd} after the deadline"
        );
        assert_eq!(
            c.at(T0 + 2_500, &[cmd, "plain"]),
            int(-1),
            "{cmd} plain later"
        );
    }
}

#[test]
fn a_deadline_in_the_past_deletes_the_key_at_once() {
    let mut c = Conn::new();
    for key in ["a", "b", "c", "d", "e"] {
        c.cmd(&["SET", key, "v"]);
    }
    assert_eq!(c.cmd(&["EXPIRE", "a", "-1"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRE", "b", "0"]), int(1));
    assert_eq!(c.cmd(&["EXPIREAT", "c", "1"]), int(1));
    assert_eq!(c.cmd(&["PEXPIREAT", "d", &T0.to_string()]), int(1));
    assert_eq!(c.cmd(&["PEXPIREAT", "e", &(T0 + 1).to_string()]), int(1));
    // Removed right away: DBSIZE, which counts unreclaimed expired keys, no longer sees them.
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "a", "b", "c", "d", "e"]), int(1));
    // They were deleted, not expired (Redis counts them as deletions too).
    assert_eq!(c.info(T0, "stats", "expired_keys"), "0");
    // A past deadline refused by an option leaves the key alone.
    assert_eq!(c.cmd(&["EXPIRE", "e", "-1", "NX"]), int(0));
    assert_eq!(c.cmd(&["GET", "e"]), bulk("v"));
}

#[test]
fn lazy_expiry_on_access() {
    let mut c = Conn::new();
    c.cmd(&["SET", "g", "v", "PX", "100"]);
    c.cmd(&["SET", "e", "v", "PX", "100"]);
    c.cmd(&["SET", "t", "v", "PX", "100"]);
    c.cmd(&["SET", "keep", "v"]);
    let later = T0 + 100;
    // DBSIZE counts keys whose deadline passed until something reclaims them, as in Redis.
    assert_eq!(c.at(later, &["DBSIZE"]), int(4));
    assert_eq!(c.info(later, "stats", "expired_keys"), "0");

    assert_eq!(c.at(later, &["GET", "g"]), NIL);
    assert_eq!(c.at(later, &["DBSIZE"]), int(3));
    assert_eq!(c.at(later, &["EXISTS", "e"]), int(0));
    assert_eq!(c.at(later, &["DBSIZE"]), int(2));
    assert_eq!(c.at(later, &["TYPE", "t"]), "+none\r\n");
    assert_eq!(c.at(later, &["DBSIZE"]), int(1));
    assert_eq!(c.at(later, &["TYPE", "keep"]), "+string\r\n");
    assert_eq!(c.info(later, "stats", "expired_keys"), "3");
    assert_eq!(
        c.info(later, "keyspace", "db0"),
        "keys=1,expires=0,avg_ttl=0"
    );
}

#[test]
fn every_command_sees_an_expired_key_as_missing() {
    let mut c = Conn::new();
    let keys = [
        "del", "unlink", "touch", "strlen", "range", "mget", "expire", "object", "getdel", "getex",
        "copy", "rename",
    ];
    for key in keys {
        c.cmd(&["SET", key, "value", "PX", "10"]);
    }
    let later = T0 + 10;
    assert_eq!(c.at(later, &["DEL", "del"]), int(0));
    assert_eq!(c.at(later, &["UNLINK", "unlink"]), int(0));
    assert_eq!(c.at(later, &["TOUCH", "touch"]), int(0));
    assert_eq!(c.at(later, &["STRLEN", "strlen"]), int(0));
    assert_eq!(c.at(later, &["GETRANGE", "range", "0", "-1"]), bulk(""));
    assert_eq!(c.at(later, &["MGET", "mget"]), "*1\r\n$-1\r\n");
    assert_eq!(c.at(later, &["EXPIRE", "expire", "100"]), int(0));
    assert_eq!(c.at(later, &["OBJECT", "ENCODING", "object"]), NIL);
    assert_eq!(c.at(later, &["GETDEL", "getdel"]), NIL);
    assert_eq!(c.at(later, &["GETEX", "getex", "PERSIST"]), NIL);
    assert_eq!(c.at(later, &["COPY", "copy", "dst"]), int(0));
    assert_eq!(
        c.at(later, &["RENAME", "rename", "dst"]),
        "-ERR no such key\r\n"
    );
    assert_eq!(c.at(later, &["DBSIZE"]), int(0));
    assert_eq!(
        c.info(later, "stats", "expired_keys"),
        keys.len().to_string()
    );
}

#[test]
fn lazy_expiry_makes_writes_start_from_scratch() {
    let mut c = Conn::new();
    c.cmd(&["SET", "n", "10", "PX", "100"]);
    c.cmd(&["SET", "s", "abc", "PX", "100"]);
    let later = T0 + 100;
    assert_eq!(c.at(later, &["INCR", "n"]), int(1));
    assert_eq!(c.at(later, &["APPEND", "s", "x"]), int(1));
    assert_eq!(c.at(later, &["PTTL", "n"]), int(-1));
    assert_eq!(c.at(later, &["PTTL", "s"]), int(-1));
    assert_eq!(c.at(later, &["STRLEN", "s"]), int(1));
}

// ---------------------------------------------------------------------------------------
// What keeps and what clears a deadline
// ---------------------------------------------------------------------------------------

#[test]
fn set_keepttl_keeps_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v1", "EX", "100"]);
    assert_eq!(c.at(T0 + 1_000, &["SET", "k", "v2", "KEEPTTL"]), OK);
    assert_eq!(c.at(T0 + 1_000, &["PTTL", "k"]), int(99_000));
    assert_eq!(
        c.at(T0 + 1_000, &["SET", "k", "v3", "KEEPTTL", "GET"]),
        bulk("v2")
    );
    assert_eq!(c.at(T0 + 1_000, &["PTTL", "k"]), int(99_000));
    assert_expires_at(&mut c, "k", "v3", T0 + 100_000);
    // KEEPTTL on a key without a deadline (or a new key) gives none.
    c.cmd(&["SET", "p", "v"]);
    assert_eq!(c.cmd(&["SET", "p", "w", "KEEPTTL"]), OK);
    assert_eq!(c.cmd(&["SET", "new", "w", "KEEPTTL"]), OK);
    assert_eq!(c.cmd(&["PTTL", "p"]), int(-1));
    assert_eq!(c.cmd(&["PTTL", "new"]), int(-1));
}

#[test]
fn set_getset_and_mset_clear_the_deadline() {
    let mut c = Conn::new();
    for key in ["set", "setget", "getset", "mset1", "mset2"] {
        c.cmd(&["SET", key, "old", "EX", "10"]);
    }
    assert_eq!(c.cmd(&["SET", "set", "new"]), OK);
    assert_eq!(c.cmd(&["SET", "setget", "new", "GET"]), bulk("old"));
    assert_eq!(c.cmd(&["GETSET", "getset", "new"]), bulk("old"));
    assert_eq!(c.cmd(&["MSET", "mset1", "new", "mset2", "new"]), OK);
    for key in ["set", "setget", "getset", "mset1", "mset2"] {
        assert_eq!(c.cmd(&["TTL", key]), int(-1), "{key} lost its TTL");
        assert_eq!(c.at(T0 + 60_000, &["GET", key]), bulk("new"), "{key} stays");
    }
}

#[test]
fn in_place_string_changes_keep_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "incr", "1", "PX", "5000"]);
    c.cmd(&["SET", "decrby", "1", "PX", "5000"]);
    c.cmd(&["SET", "float", "1.5", "PX", "5000"]);
    c.cmd(&["SET", "append", "ab", "PX", "5000"]);
    c.cmd(&["SET", "setrange", "abc", "PX", "5000"]);
    let now = T0 + 1_000;
    assert_eq!(c.at(now, &["INCR", "incr"]), int(2));
    assert_eq!(c.at(now, &["INCRBY", "incr", "5"]), int(7));
    assert_eq!(c.at(now, &["DECRBY", "decrby", "3"]), int(-2));
    assert_eq!(c.at(now, &["INCRBYFLOAT", "float", "1"]), bulk("2.5"));
    assert_eq!(c.at(now, &["APPEND", "append", "cd"]), int(4));
    assert_eq!(c.at(now, &["SETRANGE", "setrange", "1", "XY"]), int(3));
    for key in ["incr", "decrby", "float", "append", "setrange"] {
        assert_pttl(&mut c, now, key, 4_000);
    }
    assert_expires_at(&mut c, "incr", "7", T0 + 5_000);
    assert_eq!(c.at(T0 + 4_999, &["GET", "setrange"]), bulk("aXY"));
    assert_eq!(
        c.at(T0 + 5_000, &["EXISTS", "decrby", "float", "append"]),
        int(0)
    );
}

#[test]
fn rename_carries_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "src", "v", "PX", "3000"]);
    c.cmd(&["SET", "dst", "old"]);
    assert_eq!(c.at(T0 + 1_000, &["RENAME", "src", "dst"]), OK);
    assert_eq!(c.at(T0 + 1_000, &["PTTL", "dst"]), int(2_000));
    assert_eq!(c.at(T0 + 1_000, &["EXISTS", "src"]), int(0));
    // A key without a deadline renamed over one with a deadline leaves none.
    c.cmd(&["SET", "plain", "p"]);
    c.cmd(&["SET", "vol", "x", "EX", "100"]);
    assert_eq!(c.cmd(&["RENAME", "plain", "vol"]), OK);
    assert_eq!(c.cmd(&["PTTL", "vol"]), int(-1));
    // RENAMENX too.
    c.cmd(&["SET", "nx", "v", "PX", "700"]);
    assert_eq!(c.cmd(&["RENAMENX", "nx", "nx2"]), int(1));
    assert_pttl(&mut c, T0, "nx2", 700);
    assert_expires_at(&mut c, "nx2", "v", T0 + 700);
    assert_expires_at(&mut c, "dst", "v", T0 + 3_000);
    // A source that expired is missing.
    c.cmd(&["SET", "gone", "v", "PX", "10"]);
    assert_eq!(
        c.at(T0 + 10, &["RENAME", "gone", "x"]),
        "-ERR no such key\r\n"
    );
}

#[test]
fn move_and_copy_carry_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "m", "v", "PX", "3000"]);
    assert_eq!(c.at(T0 + 500, &["MOVE", "m", "1"]), int(1));
    c.cmd(&["SET", "c", "w", "PX", "4000"]);
    assert_eq!(c.at(T0 + 500, &["COPY", "c", "c2"]), int(1));
    assert_eq!(c.at(T0 + 500, &["COPY", "c", "c3", "DB", "2"]), int(1));
    assert_pttl(&mut c, T0 + 500, "c2", 3_500);
    assert_eq!(c.cmd(&["SELECT", "1"]), OK);
    assert_pttl(&mut c, T0 + 500, "m", 2_500);
    assert_expires_at(&mut c, "m", "v", T0 + 3_000);
    assert_eq!(c.cmd(&["SELECT", "2"]), OK);
    assert_pttl(&mut c, T0 + 500, "c3", 3_500);
    assert_expires_at(&mut c, "c3", "w", T0 + 4_000);
    assert_eq!(c.cmd(&["SELECT", "0"]), OK);
    assert_eq!(c.at(T0 + 500, &["EXISTS", "m"]), int(0));
    assert_expires_at(&mut c, "c", "w", T0 + 4_000);
    assert_eq!(c.at(T0 + 4_000, &["GET", "c2"]), NIL);
    // An expired source is missing; an expired destination is free.
    c.cmd(&["SET", "old", "x", "PX", "10"]);
    c.cmd(&["SET", "fresh", "y"]);
    assert_eq!(c.at(T0 + 10, &["COPY", "old", "z"]), int(0));
    assert_eq!(c.at(T0 + 10, &["MOVE", "old", "1"]), int(0));
    c.cmd(&["SET", "target", "t", "PX", "10"]);
    assert_eq!(c.at(T0 + 10, &["COPY", "fresh", "target"]), int(1));
    assert_eq!(c.at(T0 + 10, &["PTTL", "target"]), int(-1));
}

#[test]
fn swapdb_swaps_the_keys_of_two_databases() {
    let mut c = Conn::new();
    for (args, reply) in [
        (&["SWAPDB", "x", "1"][..], "-ERR invalid first DB index\r\n"),
        (&["SWAPDB", "0", "y"], "-ERR invalid second DB index\r\n"),
        (
            &["SWAPDB", "0", "12345678901"],
            "-ERR invalid second DB index\r\n",
        ),
        (&["SWAPDB", "0", "16"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "-1", "0"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "3", "3"], OK),
    ] {
        assert_eq!(c.cmd(args), reply, "{args:?}");
    }
    c.cmd(&["SET", "a", "db0"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "a", "db1"]);
    c.cmd(&["SET", "b", "only1", "PX", "5000"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), OK);
    // A connection stays on its database number and sees the other's keys.
    assert_eq!(c.cmd(&["GET", "a"]), bulk("db0"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), OK);
    assert_eq!(c.cmd(&["GET", "a"]), bulk("db1"));
    assert_pttl(&mut c, T0, "b", 5_000);
}

#[test]
fn swapdb_touches_watched_keys_present_on_either_side_and_serves_blocked_clients() {
    let mut watcher = Conn::new();
    let mut c = watcher.connect();
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "x", "1"]);
    let watch_and_swap = |watcher: &mut Conn, c: &mut Conn, key: &str| {
        watcher.cmd(&["WATCH", key]);
        c.cmd(&["SWAPDB", "0", "1"]);
        watcher.cmd(&["MULTI"]);
        watcher.cmd(&["PING"]);
        watcher.cmd(&["EXEC"])
    };
    // As Redis: absent from both, untouched; present in the other database (now swapped in),
    // or in its own (now swapped out), touched.
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "y"), "*1\r\n+PONG\r\n");
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "x"), "*-1\r\n");
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "x"), "*-1\r\n");
    // A missing key replaced with one whose deadline passed (not yet removed) is no change.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SELECT", "0"]);
    c.at(T0, &["SET", "stale", "v", "PX", "1"]);
    assert_eq!(watcher.at(T0 + 10, &["SELECT", "1"]), OK);
    watcher.at(T0 + 10, &["WATCH", "stale"]);
    c.at(T0 + 10, &["SWAPDB", "0", "1"]);
    watcher.at(T0 + 10, &["MULTI"]);
    watcher.at(T0 + 10, &["PING"]);
    assert_eq!(watcher.at(T0 + 10, &["EXEC"]), "*1\r\n+PONG\r\n");

    // A client blocked on a key the swap brings in is served; one whose key comes in with
    // another type keeps waiting.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["RPUSH", "list", "v"]);
    c.cmd(&["SET", "str", "s"]);
    assert_eq!(watcher.cmd(&["SELECT", "1"]), OK);
    assert_eq!(watcher.cmd(&["BLPOP", "list", "0"]), "");
    c.cmd(&["SWAPDB", "1", "0"]);
    assert_eq!(watcher.feed(T0, b"").0, "*2\r\n$4\r\nlist\r\n$1\r\nv\r\n");
    assert_eq!(watcher.cmd(&["SELECT", "0"]), OK);
    assert_eq!(watcher.cmd(&["BLPOP", "str", "0"]), "");
    c.cmd(&["SWAPDB", "1", "0"]);
    assert_eq!(watcher.feed(T0, b"").0, "");
}

#[test]
fn persist_removes_the_deadline() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v", "PX", "100"]);
    c.cmd(&["SET", "plain", "v"]);
    assert_eq!(c.at(T0 + 50, &["PERSIST", "k"]), int(1));
    assert_eq!(c.at(T0 + 50, &["PERSIST", "k"]), int(0));
    assert_eq!(c.cmd(&["PERSIST", "plain"]), int(0));
    assert_eq!(c.cmd(&["PERSIST", "missing"]), int(0));
    assert_eq!(c.at(T0 + 50, &["TTL", "k"]), int(-1));
    assert_eq!(c.at(T0 + 10_000, &["GET", "k"]), bulk("v"));
    // Too late once the deadline passed.
    c.cmd(&["SET", "late", "v", "PX", "100"]);
    assert_eq!(c.at(T0 + 100, &["PERSIST", "late"]), int(0));
    assert_eq!(c.at(T0 + 100, &["EXISTS", "late"]), int(0));
}

// ---------------------------------------------------------------------------------------
// Active expiry and key listings
// ---------------------------------------------------------------------------------------

#[test]
fn active_expiry_removes_keys_without_any_access() {
    let mut c = Conn::new();
    for i in 0..10 {
        c.cmd(&["SET", &format!("vol{i}"), "v", "PX", "100"]);
    }
    for i in 0..5 {
        c.cmd(&["SET", &format!("keep{i}"), "v"]);
    }
    c.cmd(&["SET", "later", "v", "PX", "10000"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(16));

    // Before the deadline a tick removes nothing.
    c.server.tick(T0 + 99);
    assert_eq!(c.at(T0 + 99, &["DBSIZE"]), int(16));
    // At the deadline nothing was accessed: only the tick can remove them.
    assert_eq!(c.at(T0 + 100, &["DBSIZE"]), int(16));
    for _ in 0..10 {
        c.server.tick(T0 + 100);
    }
    assert_eq!(c.at(T0 + 100, &["DBSIZE"]), int(6));
    assert_eq!(c.info(T0 + 100, "stats", "expired_keys"), "10");
    // avg_ttl is an estimate in Redis; only the counts are exact.
    let db0 = c.info(T0 + 100, "keyspace", "db0");
    assert!(db0.starts_with("keys=6,expires=1,avg_ttl="), "{db0}");
    assert_eq!(c.at(T0 + 100, &["GET", "later"]), bulk("v"));
}

#[test]
fn active_expiry_covers_every_database() {
    let mut c = Conn::new();
    c.cmd(&["SET", "a", "v", "PX", "10"]);
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["SET", "b", "v", "PX", "10"]);
    c.cmd(&["SET", "c", "v"]);
    for _ in 0..5 {
        c.server.tick(T0 + 10);
    }
    assert_eq!(c.at(T0 + 10, &["DBSIZE"]), int(1));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.at(T0 + 10, &["DBSIZE"]), int(0));
    assert_eq!(c.info(T0 + 10, "stats", "expired_keys"), "2");
}

#[test]
fn scan_keys_and_randomkey_skip_expired_keys() {
    let mut c = Conn::new();
    c.cmd(&["SET", "alive", "v"]);
    for key in ["dead1", "dead2", "dead3"] {
        c.cmd(&["SET", key, "v", "PX", "100"]);
    }
    let later = T0 + 100;
    assert_eq!(c.at(T0, &["KEYS", "*"]).matches("dead").count(), 3);
    assert_eq!(c.at(later, &["KEYS", "*"]), "*1\r\n$5\r\nalive\r\n");
    assert_eq!(c.at(later, &["KEYS", "dead*"]), "*0\r\n");
    assert_eq!(
        c.at(later, &["SCAN", "0", "COUNT", "100"]),
        "*2\r\n$1\r\n0\r\n*1\r\n$5\r\nalive\r\n"
    );
    assert_eq!(
        c.at(later, &["SCAN", "0", "MATCH", "dead*", "COUNT", "100"]),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    for _ in 0..20 {
        assert_eq!(c.at(later, &["RANDOMKEY"]), bulk("alive"));
    }
    c.cmd(&["DEL", "alive"]);
    c.cmd(&["SET", "last", "v", "PX", "100"]);
    assert_eq!(c.at(later, &["RANDOMKEY"]), NIL);
}

// ---------------------------------------------------------------------------------------
// Session mechanics
// ---------------------------------------------------------------------------------------

#[test]
fn pipelined_commands_reply_in_order_in_one_output() {
    let mut c = Conn::new();
    let mut input = Vec::new();
    input.extend(resp(&["SET", "k", "1"]));
    input.extend(resp(&["INCR", "k"]));
    input.extend(b"GET k\r\n");
    input.extend(resp(&["NOSUCH"]));
    input.extend(resp(&["ECHO", "bye"]));
    let (out, status) = c.feed(T0, &input);
    assert_eq!(status, Status::Open);
    assert_eq!(
        out,
        "+OK\r\n:2\r\n$1\r\n2\r\n-ERR unknown command 'NOSUCH', with args beginning with: \r\n$3\r\nbye\r\n"
    );
}

#[test]
fn a_frame_split_across_calls_runs_once_complete() {
    let mut c = Conn::new();
    let frame = resp(&["SET", "key", "some value"]);
    let mut input = BytesMut::new();
    let mut out = BytesMut::new();
    for (i, byte) in frame.iter().enumerate() {
        input.extend_from_slice(&[*byte]);
        let status = c.session.handle(&mut input, T0, &mut out);
        assert_eq!(status, Status::Open);
        if i + 1 < frame.len() {
            assert!(
                out.is_empty(),
                "replied after {} of {} bytes",
                i + 1,
                frame.len()
            );
        }
    }
    assert_eq!(&out[..], b"+OK\r\n");
    assert!(input.is_empty(), "the consumed frame stays in the input");

    // A complete frame plus the start of the next: one reply, the rest kept.
    let mut two = resp(&["GET", "key"]);
    let next = resp(&["STRLEN", "key"]);
    two.extend_from_slice(&next[..7]);
    let mut input = BytesMut::from(&two[..]);
    let mut out = BytesMut::new();
    assert_eq!(c.session.handle(&mut input, T0, &mut out), Status::Open);
    assert_eq!(&out[..], b"$10\r\nsome value\r\n");
    input.extend_from_slice(&next[7..]);
    out.clear();
    assert_eq!(c.session.handle(&mut input, T0, &mut out), Status::Open);
    assert_eq!(&out[..], b":10\r\n");

    // Inline commands may be split too.
    let mut input = BytesMut::from(&b"PI"[..]);
    let mut out = BytesMut::new();
    assert_eq!(c.session.handle(&mut input, T0, &mut out), Status::Open);
    assert!(out.is_empty());
    input.extend_from_slice(b"NG\r\n");
    assert_eq!(c.session.handle(&mut input, T0, &mut out), Status::Open);
    assert_eq!(&out[..], b"+PONG\r\n");
}

#[test]
fn hello_3_switches_to_resp3_replies() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["GET", "missing"]), NIL);
    let hello = c.cmd(&["HELLO", "3"]);
    assert!(
        hello.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{hello}"
    );
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello}");
    assert_eq!(c.cmd(&["GET", "missing"]), "_\r\n");
    assert_eq!(c.cmd(&["SET", "k", "v", "NX"]), OK);
    assert_eq!(c.cmd(&["SET", "k", "v", "NX"]), "_\r\n");
    assert_eq!(c.cmd(&["MGET", "k", "missing"]), "*2\r\n$1\r\nv\r\n_\r\n");
    let hello = c.cmd(&["HELLO", "2"]);
    assert!(hello.starts_with("*14\r\n"), "{hello}");
    assert_eq!(c.cmd(&["GET", "missing"]), NIL);
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        "-NOPROTO unsupported protocol version\r\n"
    );
}

#[test]
fn quit_replies_ok_and_closes_without_running_later_commands() {
    let mut c = Conn::new();
    let mut input = resp(&["SET", "a", "1"]);
    input.extend(resp(&["QUIT"]));
    input.extend(resp(&["SET", "b", "1"]));
    let (out, status) = c.feed(T0, &input);
    assert_eq!(out, "+OK\r\n+OK\r\n");
    assert_eq!(status, Status::Close);
    let mut other = c.connect();
    assert_eq!(other.cmd(&["EXISTS", "a"]), int(1));
    assert_eq!(other.cmd(&["EXISTS", "b"]), int(0));
}

#[test]
fn protocol_errors_reply_and_close() {
    let cases: [(&[u8], &str); 5] = [
        (
            b"*abc\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\nfoo\r\n",
            "-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"*1\r\n$x\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET k \"a b\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (input, expected) in cases {
        let mut c = Conn::new();
        let (out, status) = c.feed(T0, input);
        assert_eq!(out, expected, "for {:?}", String::from_utf8_lossy(input));
        assert_eq!(
            status,
            Status::Close,
            "for {:?}",
            String::from_utf8_lossy(input)
        );
    }
    // Commands before the bad frame still run and reply first.
    let mut c = Conn::new();
    let mut input = resp(&["SET", "k", "v"]);
    input.extend(b"*abc\r\n");
    input.extend(resp(&["SET", "after", "v"]));
    let (out, status) = c.feed(T0, &input);
    assert_eq!(
        out,
        "+OK\r\n-ERR Protocol error: invalid multibulk length\r\n"
    );
    assert_eq!(status, Status::Close);
    let mut other = c.connect();
    assert_eq!(other.cmd(&["EXISTS", "k", "after"]), int(1));
}

#[test]
fn an_unknown_command_keeps_the_session_open() {
    let mut c = Conn::new();
    assert_eq!(
        c.cmd(&["FOO", "bar", "baz"]),
        "-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        c.cmd(&["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}

#[test]
fn requirepass_demands_auth_first() {
    let config = Config::from_args(vec!["--requirepass".into(), "pw".into()]).expect("config");
    let mut c = Conn::with_config(config);
    let noauth = "-NOAUTH Authentication required.\r\n";
    assert_eq!(c.cmd(&["GET", "k"]), noauth);
    assert_eq!(c.cmd(&["PING"]), noauth);
    assert_eq!(c.cmd(&["SELECT", "1"]), noauth);
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        c.cmd(&["AUTH", "nobody", "pw"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(c.cmd(&["GET", "k"]), noauth);
    assert_eq!(c.cmd(&["AUTH", "pw"]), OK);
    assert_eq!(c.cmd(&["SET", "k", "v"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));

    // Another connection starts unauthenticated again; AUTH default pw works too.
    let mut other = c.connect();
    assert_eq!(other.cmd(&["GET", "k"]), noauth);
    assert_eq!(other.cmd(&["AUTH", "default", "pw"]), OK);
    assert_eq!(other.cmd(&["GET", "k"]), bulk("v"));

    // HELLO can authenticate and switch protocol at once.
    let mut third = c.connect();
    let hello = third.cmd(&["HELLO", "3", "AUTH", "default", "pw"]);
    assert!(hello.starts_with("%7\r\n"), "{hello}");
    assert_eq!(third.cmd(&["GET", "missing"]), "_\r\n");
}

#[test]
fn hello_before_auth_is_refused_with_the_redis_text() {
    let config = Config::from_args(vec!["--requirepass".into(), "pw".into()]).expect("config");
    let mut c = Conn::with_config(config);
    // Text checked against redis-server 7.0.15.
    let refused = "-NOAUTH HELLO must be called with the client already authenticated, otherwise \
                   the HELLO AUTH <user> <pass> option can be used to authenticate the client and \
                   select the RESP protocol version at the same time\r\n";
    assert_eq!(c.cmd(&["HELLO", "3"]), refused);
    assert_eq!(c.cmd(&["HELLO"]), refused);
    // Still RESP2 and still unauthenticated.
    assert_eq!(c.cmd(&["GET", "k"]), "-NOAUTH Authentication required.\r\n");
}

#[test]
fn select_isolates_databases() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "zero"]);
    assert_eq!(c.cmd(&["SELECT", "1"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), NIL);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SET", "k", "one"]);
    c.cmd(&["SET", "only1", "x"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(2));
    // Another connection starts in db 0.
    let mut other = c.connect();
    assert_eq!(other.cmd(&["GET", "k"]), bulk("zero"));
    assert_eq!(other.cmd(&["EXISTS", "only1"]), int(0));
    assert_eq!(c.cmd(&["SELECT", "0"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("zero"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // A failed SELECT keeps the current database.
    assert_eq!(c.cmd(&["GET", "k"]), bulk("zero"));
    // FLUSHDB empties only the selected one.
    c.cmd(&["SELECT", "1"]);
    assert_eq!(c.cmd(&["FLUSHDB"]), OK);
    assert_eq!(other.cmd(&["DBSIZE"]), int(1));
}

#[test]
fn client_reply_off_on_and_skip() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "OFF"]), "");
    assert_eq!(c.cmd(&["SET", "k", "1"]), "");
    assert_eq!(c.cmd(&["INCR", "k"]), "");
    assert_eq!(c.cmd(&["NOSUCH"]), "", "errors are silenced too");
    // SKIP while OFF does nothing.
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "SKIP"]), "");
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("2"));
    // SKIP silences itself and the next command only.
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "SKIP"]), "");
    assert_eq!(c.cmd(&["INCR", "k"]), "");
    assert_eq!(c.cmd(&["INCR", "k"]), int(4));
    // The same in one pipeline, as Redis answers it.
    let mut input = resp(&["CLIENT", "REPLY", "OFF"]);
    for args in [
        &["PING"][..],
        &["CLIENT", "REPLY", "SKIP"],
        &["PING"],
        &["CLIENT", "REPLY", "ON"],
        &["PING"],
        &["CLIENT", "REPLY", "SKIP"],
        &["PING"],
        &["PING"],
    ] {
        input.extend(resp(args));
    }
    let (out, status) = c.feed(T0, &input);
    assert_eq!(out, "+OK\r\n+PONG\r\n+PONG\r\n");
    assert_eq!(status, Status::Open);
    assert_eq!(
        c.cmd(&["CLIENT", "REPLY", "MAYBE"]),
        "-ERR syntax error\r\n"
    );
}

#[test]
fn client_reply_on_cancels_a_pending_skip_and_pushes_pass_through_off() {
    let mut c = Conn::new();
    // The command after SKIP is CLIENT REPLY ON: its own OK is sent, as in Redis.
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "SKIP"]), "");
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), OK);
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // Subscribe confirmations are pushes, which Redis sends even with replies off.
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "OFF"]), "");
    assert_eq!(
        c.cmd(&["SUBSCRIBE", "ch"]),
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    assert_eq!(
        c.cmd(&["UNSUBSCRIBE", "ch"]),
        "*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n"
    );
    assert_eq!(c.cmd(&["PING"]), "", "other replies stay off");
}

#[test]
fn ttl_type_exists_and_object_leave_the_access_time_alone() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["SET", "k", "v"]), OK);
    let later = T0 + 5_000;
    for args in [
        &["TTL", "k"][..],
        &["PTTL", "k"],
        &["EXPIRETIME", "k"],
        &["TYPE", "k"],
        &["EXISTS", "k"],
        &["OBJECT", "ENCODING", "k"],
    ] {
        c.at(later, args);
    }
    assert_eq!(c.at(later, &["OBJECT", "IDLETIME", "k"]), int(5));
    // TOUCH and GET do count as an access.
    c.at(later, &["TOUCH", "k"]);
    assert_eq!(c.at(later, &["OBJECT", "IDLETIME", "k"]), int(0));
    // They all count keyspace hits and misses, as Redis's lookups do.
    let hits: i64 = c.info(later, "stats", "keyspace_hits").parse().unwrap();
    let misses: i64 = c.info(later, "stats", "keyspace_misses").parse().unwrap();
    c.at(later, &["EXISTS", "k", "missing"]);
    assert_eq!(
        c.info(later, "stats", "keyspace_hits"),
        (hits + 1).to_string()
    );
    assert_eq!(
        c.info(later, "stats", "keyspace_misses"),
        (misses + 1).to_string()
    );
}

#[test]
fn client_kill_and_list_filter_by_type_and_user() {
    let mut c = Conn::new();
    let mut subscriber = c.connect();
    subscriber.cmd(&["SUBSCRIBE", "ch"]);
    let listed = |c: &mut Conn, kind: &str| {
        let reply = c.cmd(&["CLIENT", "LIST", "TYPE", kind]);
        reply.matches("id=").count()
    };
    assert_eq!(listed(&mut c, "pubsub"), 1);
    assert_eq!(listed(&mut c, "normal"), 1);
    assert_eq!(listed(&mut c, "replica"), 0);
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "USER", "nobody"]),
        "-ERR No such user 'nobody'\r\n"
    );
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "master"]), int(0));
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), int(1));
    assert_eq!(subscriber.feed(T0, b"").1, Status::Close);
    assert_eq!(
        c.cmd(&["PING"]),
        "+PONG\r\n",
        "the killer itself was normal"
    );
}

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
fn monitor_streams_every_command_after_it_runs() {
    let mut watcher = Conn::new();
    let mut c = watcher.connect();
    assert_eq!(watcher.cmd(&["MONITOR"]), OK);
    // A second MONITOR gets no reply at all, as in Redis.
    assert_eq!(watcher.cmd(&["MONITOR"]), "");
    c.cmd(&["SET", "k", "a \"b\"\n\u{1}"]);
    c.cmd(&["CONFIG", "GET", "port"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["INCR", "n"]);
    c.cmd(&["EXEC"]);
    let (lines, _) = watcher.feed(T0, b"");
    let prefix = format!("+{T0_SECS}.000000 [0 unix:] ");
    let expected: String = [
        r#""SET" "k" "a \"b\"\n\x01""#,
        r#""MULTI""#,
        r#""INCR" "n""#,
        r#""EXEC""#,
    ]
    .iter()
    .map(|line| format!("{prefix}{line}\r\n"))
    .collect();
    // CONFIG is an admin command: never shown. Queued commands show when EXEC runs them.
    assert_eq!(lines, expected);
    // MONITOR cannot run inside EXEC; RESET ends monitoring.
    c.cmd(&["MULTI"]);
    c.cmd(&["MONITOR"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
    );
    assert_eq!(
        watcher.feed(T0, b"").0,
        format!("{prefix}\"MULTI\"\r\n{prefix}\"EXEC\"\r\n")
    );
    assert_eq!(watcher.cmd(&["RESET"]), "+RESET\r\n");
    c.cmd(&["PING"]);
    assert_eq!(watcher.feed(T0, b"").0, "");
}

#[test]
fn a_blocked_pop_keeps_waiting_when_its_key_changes_type() {
    let mut waiter = Conn::new();
    let mut c = waiter.connect();
    assert_eq!(waiter.cmd(&["BLPOP", "list", "0"]), "");
    // Pushed, deleted and turned into a string before the waiter could run: it waits on.
    c.cmd(&["MULTI"]);
    c.cmd(&["LPUSH", "list", "a"]);
    c.cmd(&["DEL", "list"]);
    c.cmd(&["SET", "list", "foo"]);
    c.cmd(&["EXEC"]);
    assert_eq!(waiter.feed(T0, b"").0, "");
    c.cmd(&["DEL", "list"]);
    c.cmd(&["LPUSH", "list", "b"]);
    assert_eq!(waiter.feed(T0, b"").0, "*2\r\n$4\r\nlist\r\n$1\r\nb\r\n");
}

#[test]
fn a_blocked_move_into_a_destination_of_the_wrong_type_gets_wrongtype_and_stops_waiting() {
    for command in [
        &["BRPOPLPUSH", "src", "dst", "0"][..],
        &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
    ] {
        let mut waiter = Conn::new();
        let mut c = waiter.connect();
        c.cmd(&["FLUSHALL"]);
        c.cmd(&["SET", "dst", "nolist"]);
        assert_eq!(waiter.cmd(command), "");
        assert_eq!(c.cmd(&["RPUSH", "src", "foo"]), ":1\r\n");
        // As Redis: the error goes to the waiter, which is unblocked, and the element stays.
        assert!(
            waiter.feed(T0, b"").0.starts_with("-WRONGTYPE"),
            "{command:?}"
        );
        assert_eq!(c.cmd(&["LRANGE", "src", "0", "-1"]), "*1\r\n$3\r\nfoo\r\n");
        assert_eq!(
            waiter.cmd(&["PING"]),
            "+PONG\r\n",
            "{command:?}: no longer blocked"
        );
    }
}

#[test]
fn a_blocked_zset_pop_keeps_waiting_while_its_key_is_a_list() {
    let mut waiter = Conn::new();
    let mut c = waiter.connect();
    assert_eq!(waiter.cmd(&["BZPOPMIN", "key", "0"]), "");
    c.cmd(&["RPUSH", "key", "a"]);
    assert_eq!(waiter.feed(T0, b"").0, "");
    c.cmd(&["DEL", "key"]);
    c.cmd(&["ZADD", "key", "1", "m"]);
    assert_eq!(
        waiter.feed(T0, b"").0,
        "*3\r\n$3\r\nkey\r\n$1\r\nm\r\n$1\r\n1\r\n"
    );
}

#[test]
fn a_blocked_pop_is_served_from_the_key_that_became_ready() {
    // As Redis: the waiter pops from the key whose change woke it, whatever the keys before
    // it in its arguments hold by then (replies checked against redis-server 7.0).
    // (blocking command, what another client then sends, the waiter's reply)
    type Case<'a> = (&'a [&'a str], &'a [&'a [&'a str]], &'a str);
    let cases: [Case<'_>; 7] = [
        (
            &["BLPOP", "a", "b", "0"],
            &[&["SET", "a", "str"], &["LPUSH", "b", "x"]],
            "*2\r\n$1\r\nb\r\n$1\r\nx\r\n",
        ),
        (
            &["BLPOP", "a", "b", "0"],
            &[
                &["MULTI"],
                &["LPUSH", "b", "1"],
                &["LPUSH", "a", "2"],
                &["EXEC"],
            ],
            "*2\r\n$1\r\nb\r\n$1\r\n1\r\n",
        ),
        (
            &["BRPOP", "a", "b", "0"],
            &[
                &["MULTI"],
                &["RPUSH", "b", "1", "2"],
                &["RPUSH", "a", "3"],
                &["EXEC"],
            ],
            "*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        ),
        (
            &["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "5"],
            &[
                &["MULTI"],
                &["RPUSH", "b", "1", "2"],
                &["RPUSH", "a", "3"],
                &["EXEC"],
            ],
            "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
        ),
        (
            &["BZPOPMIN", "a", "b", "0"],
            &[&["SET", "a", "str"], &["ZADD", "b", "1", "m"]],
            "*3\r\n$1\r\nb\r\n$1\r\nm\r\n$1\r\n1\r\n",
        ),
        (
            &["BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"],
            &[
                &["MULTI"],
                &["ZADD", "b", "1", "m", "2", "o"],
                &["ZADD", "a", "1", "n"],
                &["EXEC"],
            ],
            "*2\r\n$1\r\nb\r\n*2\r\n*2\r\n$1\r\no\r\n$1\r\n2\r\n*2\r\n$1\r\nm\r\n$1\r\n1\r\n",
        ),
        // The first key to become ready was emptied again: the next one serves it.
        (
            &["BLPOP", "a", "b", "0"],
            &[
                &["MULTI"],
                &["LPUSH", "b", "1"],
                &["DEL", "b"],
                &["LPUSH", "a", "2"],
                &["EXEC"],
            ],
            "*2\r\n$1\r\na\r\n$1\r\n2\r\n",
        ),
    ];
    for (blocking, commands, expected) in cases {
        let mut waiter = Conn::new();
        let mut c = waiter.connect();
        assert_eq!(waiter.cmd(blocking), "", "{blocking:?}");
        for command in commands {
            c.cmd(command);
        }
        assert_eq!(
            waiter.feed(T0, b"").0,
            expected,
            "{blocking:?} {commands:?}"
        );
    }
}

#[test]
fn client_list_shows_the_query_buffer_of_the_running_batch() {
    let mut c = Conn::new();
    let reply = c.cmd(&["CLIENT", "INFO"]);
    // The command being run is still in the buffer, as in Redis: 26 bytes here.
    assert!(reply.contains(" qbuf=26 "), "{reply}");
}

#[test]
fn rename_command_renames_and_removes_commands() {
    let config = Config::from_args(
        [
            "--rename-command",
            "FLUSHALL",
            "",
            "--rename-command",
            "get",
            "fetch",
        ]
        .map(String::from),
    )
    .unwrap();
    let mut c = Conn::with_config(config);
    assert_eq!(c.cmd(&["SET", "k", "v"]), OK);
    assert_eq!(c.cmd(&["FETCH", "k"]), bulk("v"));
    assert!(c
        .cmd(&["GET", "k"])
        .starts_with("-ERR unknown command 'GET'"));
    assert!(c
        .cmd(&["FLUSHALL"])
        .starts_with("-ERR unknown command 'FLUSHALL'"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
}

#[test]
fn client_unblock_ends_a_blocking_command_with_its_timeout_reply_or_an_error() {
    let mut waiter = Conn::new();
    let mut c = waiter.connect();
    let id = waiter.cmd(&["CLIENT", "ID"]);
    let id = id.trim_start_matches(':').trim_end();
    assert_eq!(waiter.cmd(&["BLPOP", "list", "0"]), "");
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", id]), int(1));
    assert_eq!(waiter.feed(T0, b"").0, "*-1\r\n");
    assert_eq!(waiter.cmd(&["BLMOVE", "a", "b", "LEFT", "LEFT", "0"]), "");
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", id, "error"]), int(1));
    assert_eq!(
        waiter.feed(T0, b"").0,
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    // Not blocked any more: nothing to do. Errors as Redis orders them.
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", id]), int(0));
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", "x", "maybe"]),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "UNBLOCK", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // Once unblocked, the client works as usual.
    c.cmd(&["RPUSH", "list", "v"]);
    assert_eq!(waiter.cmd(&["LPOP", "list"]), bulk("v"));
}

#[test]
fn info_counts_shard_channels() {
    let mut c = Conn::new();
    let mut subscriber = c.connect();
    subscriber.cmd(&["SSUBSCRIBE", "a", "b"]);
    assert_eq!(c.info(T0, "stats", "pubsubshard_channels"), "2");
}
