//! What a connection can do about itself and others: CLIENT REPLY, CLIENT KILL and LIST,
//! MONITOR.

mod support;

use radish_store::Status;
use support::{bulk, int, resp, Conn, OK, T0};

/// T0 in Unix seconds.
const T0_SECS: u64 = T0 / 1000;

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
fn client_list_shows_the_query_buffer_of_the_running_batch() {
    let mut c = Conn::new();
    let reply = c.cmd(&["CLIENT", "INFO"]);
    // The command being run is still in the buffer, as in Redis: 26 bytes here.
    assert!(reply.contains(" qbuf=26 "), "{reply}");
}
