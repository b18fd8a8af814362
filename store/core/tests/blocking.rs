//! Blocking pops and moves at the Session: who is served, from which key, and what ends the
//! wait (a key of another type, CLIENT UNBLOCK).

mod support;

use support::{bulk, int, Conn, T0};

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
