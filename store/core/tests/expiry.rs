//! Expiry with explicit time: deadlines set by every command that sets them, TTL reads,
//! lazy and active expiry, and commands that keep or move a deadline. `now` is moved forward
//! by hand, so every deadline is exact to the millisecond.

mod support;

use radish_store::Millis;
use support::{assert_pttl, bulk, int, Conn, NIL, OK, T0};

/// T0 in Unix seconds.
const T0_SECS: u64 = T0 / 1000;

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

/// One SCAN call at `now`: the next cursor and the keys returned.
fn scan_step(c: &mut Conn, now: Millis, cursor: &str) -> (String, Vec<String>) {
    let reply = c.at(now, &["SCAN", cursor, "COUNT", "10"]);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    assert!(reply.starts_with("*2\r\n$"), "{reply:?}");
    let keys = lines[4..]
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|line| !line.is_empty())
        .map(|key| key.to_string())
        .collect();
    (lines[2].to_string(), keys)
}

/// As redis-server does in practice: while other keys are deleted, added and expire between
/// calls, a SCAN returns every key present throughout, and no key twice.
#[test]
fn scan_returns_each_key_once_while_others_are_deleted_and_expire() {
    let mut c = Conn::new();
    for n in 0..300 {
        c.cmd(&["SET", &format!("stay:{n}"), "v"]);
        c.cmd(&["SET", &format!("churn:{n}"), "v"]);
        c.cmd(&[
            "SET",
            &format!("brief:{n}"),
            "v",
            "PX",
            &(1_000 + n).to_string(),
        ]);
    }
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let (mut cursor, mut now, mut step) = (String::from("0"), T0, 0);
    loop {
        let (next, keys) = scan_step(&mut c, now, &cursor);
        for key in keys {
            *seen.entry(key).or_default() += 1;
        }
        if next == "0" {
            break;
        }
        cursor = next;
        // Two unrelated keys go, one comes, and time passes some deadlines.
        c.at(
            now,
            &[
                "DEL",
                &format!("churn:{}", step * 2),
                &format!("churn:{}", step * 2 + 1),
            ],
        );
        c.at(now, &["SET", &format!("new:{step}"), "v"]);
        now += 7;
        c.server.tick(now);
        step += 1;
    }
    assert!(step > 50, "the scan took {step} calls");
    let twice: Vec<_> = seen.iter().filter(|(_, &times)| times > 1).collect();
    assert!(twice.is_empty(), "returned more than once: {twice:?}");
    for n in 0..300 {
        assert!(seen.contains_key(&format!("stay:{n}")), "stay:{n} missed");
    }
}
