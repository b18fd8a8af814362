//! The protocol at the Session: pipelining, frames split across reads, RESP3, QUIT, protocol
//! errors, unknown commands, AUTH, and renamed commands.

mod support;

use bytes::BytesMut;
use radish_store::{Config, Status};
use support::{bulk, int, resp, Conn, NIL, OK, T0};

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
