//! The wire protocol over real TCP on both runtimes: pipelining, inline commands, frames split
//! across writes, protocol errors (texts compared with a real redis-server), large values,
//! concurrency, CLIENT KILL and a graceful stop with clients connected.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use radish_tests::{RedisServer, RUNTIMES};

/// Longest any single read may wait: a server that does not answer fails the test instead of
/// hanging it.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// A command as a RESP array of bulk strings.
fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn bulk(value: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", value.len()).into_bytes();
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads exactly `expected.len()` bytes and checks they are `expected`.
fn expect(stream: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got).unwrap_or_else(|e| {
        panic!(
            "reading {} bytes (expecting {:?}): {e}",
            expected.len(),
            preview(expected)
        )
    });
    assert!(
        got == expected,
        "got {:?}\nexpected {:?}",
        preview(&got),
        preview(expected)
    );
}

/// The start of a long byte string, for messages.
fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(300)];
    format!("{} ({} bytes)", String::from_utf8_lossy(shown), bytes.len())
}

/// Reads one reply line (up to and including its CRLF) as text.
fn read_line(stream: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => line.push(byte[0]),
            Ok(_) => panic!("closed after {:?}", preview(&line)),
            Err(e) => panic!("reading a line after {:?}: {e}", preview(&line)),
        }
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Parses an integer reply line.
fn parse_integer(line: &str) -> i64 {
    line.strip_prefix(':')
        .and_then(|t| t.strip_suffix("\r\n"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {line:?}"))
}

/// Reads until the peer closes the connection; fails if it stays open.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            // A close with unread input arrives as a reset: still closed.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("connection still open after {:?}: {e}", preview(&all)),
        }
    }
}

/// Sends `request` on a fresh connection and returns everything received until the server
/// closes it.
fn reply_until_closed(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    // The server may close before reading everything; that is not a failure here.
    let _ = stream.write_all(request);
    read_until_closed(&mut stream)
}

/// Reads the integer reply of `command` on `stream`.
fn integer(stream: &mut TcpStream, command: &[u8]) -> i64 {
    stream.write_all(command).expect("write");
    parse_integer(&read_line(stream))
}

/// Sends `command` and checks the reply, on an open connection.
fn exchange(stream: &mut TcpStream, command: &[u8], reply: &[u8]) {
    stream.write_all(command).expect("write");
    expect(stream, reply);
}

/// INFO clients' connected_clients, asked on `stream`.
fn connected_clients(stream: &mut TcpStream) -> usize {
    stream.write_all(b"INFO clients\r\n").expect("write");
    let header = read_line(stream);
    let len: usize = header[1..header.len() - 2].parse().expect("bulk length");
    let mut body = vec![0; len + 2];
    stream.read_exact(&mut body).expect("INFO body");
    let text = String::from_utf8_lossy(&body).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no connected_clients in {text}"))
}

/// Waits (briefly) until the server counts `n` clients.
fn wait_for_clients(stream: &mut TcpStream, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let count = connected_clients(stream);
        if count == n {
            return;
        }
        assert!(Instant::now() < deadline, "{count} clients, expected {n}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Makes a client whose replies pile up unread: the server's write to it blocks.
fn stalled_client(addr: SocketAddr) -> TcpStream {
    let mut stream = connect(addr);
    let value = vec![b'x'; 1024 * 1024];
    stream
        .write_all(&resp(&[b"SET", b"big", &value]))
        .expect("write");
    expect(&mut stream, b"+OK\r\n");
    // 64 MiB of replies that are never read.
    stream.write_all(&b"GET big\r\n".repeat(64)).expect("write");
    std::thread::sleep(Duration::from_millis(100));
    stream
}

/// A small deterministic generator (xorshift) for chunk sizes.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[test]
fn a_thousand_pipelined_commands_reply_in_order() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        let mut request = Vec::new();
        let mut expected = Vec::new();
        for i in 0..1000 {
            let key = format!("key:{}", i / 4);
            let value = format!("value-{i}");
            match i % 4 {
                0 => {
                    request.extend(resp(&[b"SET", key.as_bytes(), value.as_bytes()]));
                    expected.extend_from_slice(b"+OK\r\n");
                }
                1 => {
                    request.extend(resp(&[b"GET", key.as_bytes()]));
                    expected.extend(bulk(format!("value-{}", i - 1).as_bytes()));
                }
                2 => {
                    request.extend(resp(&[b"INCR", b"counter"]));
                    expected.extend(format!(":{}\r\n", i / 4 + 1).into_bytes());
                }
                _ => {
                    request.extend(resp(&[b"ECHO", value.as_bytes()]));
                    expected.extend(bulk(value.as_bytes()));
                }
            }
        }
        stream.write_all(&request).expect("write");
        expect(&mut stream, &expected);
        stream.write_all(b"DBSIZE\r\n").expect("write");
        expect(&mut stream, b":251\r\n");
    }
}

#[test]
fn inline_commands_work_like_redis() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        let steps: [(&[u8], &[u8]); 8] = [
            (b"SET k \"a b\"\r\n", b"+OK\r\n"),
            (b"GET k\r\n", b"$3\r\na b\r\n"),
            (b"PING\n", b"+PONG\r\n"),
            (b"SET k2 'c d'\r\nGET k2\r\n", b"+OK\r\n$3\r\nc d\r\n"),
            (b"ECHO \"\\x41\\n\"\r\n", b"$2\r\nA\n\r\n"),
            (b"\r\n\r\n  PING   \r\n", b"+PONG\r\n"),
            (b"SET k3\tx\r\nGET k3\r\n", b"+OK\r\n$1\r\nx\r\n"),
            (b"incr n\r\nINCRBY n 41\r\n", b":1\r\n:42\r\n"),
        ];
        for (request, reply) in steps {
            stream.write_all(request).expect("write");
            expect(&mut stream, reply);
        }
    }
}

#[test]
fn a_command_written_one_byte_at_a_time_is_answered_once() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        let request = resp(&[b"SET", b"slow", b"written byte by byte"]);
        for byte in &request {
            stream.write_all(&[*byte]).expect("write");
            std::thread::sleep(Duration::from_micros(300));
        }
        expect(&mut stream, b"+OK\r\n");
        for byte in b"GET slow\r\n" {
            stream.write_all(&[*byte]).expect("write");
            std::thread::sleep(Duration::from_micros(300));
        }
        expect(&mut stream, &bulk(b"written byte by byte"));
    }
}

#[test]
fn a_pipeline_split_in_random_chunks_is_answered_in_order() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        let mut request = Vec::new();
        let mut expected = Vec::new();
        for i in 0..300 {
            let value = format!("{i}-{}", "x".repeat(i % 50));
            request.extend(resp(&[
                b"SET",
                format!("k{i}").as_bytes(),
                value.as_bytes(),
            ]));
            request.extend(format!("GET k{i}\r\n").into_bytes());
            expected.extend_from_slice(b"+OK\r\n");
            expected.extend(bulk(value.as_bytes()));
        }
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        let mut rest = &request[..];
        while !rest.is_empty() {
            let size = (1 + rng.below(40)).min(rest.len());
            stream.write_all(&rest[..size]).expect("write");
            rest = &rest[size..];
            if rng.below(8) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        expect(&mut stream, &expected);
    }
}

/// Bad requests, each of which must get Redis's exact error line and then a closed
/// connection.
const PROTOCOL_ERRORS: &[(&str, &[u8], &[u8])] = &[
    (
        "bad multibulk length",
        b"*abc\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    ),
    (
        "multibulk length too large",
        b"*3000000000\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    ),
    (
        "$ expected",
        b"*1\r\nfoo\r\n",
        b"-ERR Protocol error: expected '$', got 'f'\r\n",
    ),
    (
        "$ expected, integer given",
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"-ERR Protocol error: expected '$', got ':'\r\n",
    ),
    (
        "an array where a bulk belongs",
        b"*1\r\n*1\r\n",
        b"-ERR Protocol error: expected '$', got '*'\r\n",
    ),
    (
        "multibulk length with a leading zero",
        b"*01\r\n$4\r\nPING\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    ),
    (
        "multibulk length with a trailing space",
        b"*1 \r\n$4\r\nPING\r\n",
        b"-ERR Protocol error: invalid multibulk length\r\n",
    ),
    (
        "bulk length with a leading zero",
        b"*1\r\n$04\r\nPING\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    ),
    (
        "bad bulk length",
        b"*1\r\n$x\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    ),
    (
        "negative bulk length",
        b"*1\r\n$-1\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    ),
    (
        "bulk length over proto-max-bulk-len",
        b"*1\r\n$600000000\r\n",
        b"-ERR Protocol error: invalid bulk length\r\n",
    ),
    (
        "unbalanced double quotes",
        b"SET k \"a b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    ),
    (
        "unbalanced single quotes",
        b"GET 'a\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    ),
    (
        "closing quote followed by a character",
        b"SET k \"a\"b\r\n",
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    ),
    (
        "good command before a bad one",
        b"PING\r\n*1\r\n$x\r\nPING\r\n",
        b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n",
    ),
];

#[test]
fn protocol_errors_match_redis_and_close_the_connection() {
    let redis = RedisServer::start();
    for (name, request, expected) in PROTOCOL_ERRORS {
        let reference = reply_until_closed(redis.addr, request);
        assert_eq!(
            preview(&reference),
            preview(expected),
            "redis-server itself answers {name} differently"
        );
    }
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut bystander = connect(server.addr);
        bystander.write_all(b"SET shared 1\r\n").expect("write");
        expect(&mut bystander, b"+OK\r\n");
        for (name, request, expected) in PROTOCOL_ERRORS {
            let got = reply_until_closed(server.addr, request);
            assert_eq!(preview(&got), preview(expected), "[{runtime:?}] {name}");
            // Only the offending connection goes: another one keeps working.
            bystander.write_all(b"INCR shared\r\n").expect("write");
            let reply = read_line(&mut bystander);
            assert!(
                reply.starts_with(':'),
                "[{runtime:?}] bystander after {name}: {reply:?}"
            );
        }
        bystander.write_all(b"GET shared\r\n").expect("write");
        let count = PROTOCOL_ERRORS.len() + 1;
        expect(&mut bystander, &bulk(count.to_string().as_bytes()));
    }
}

#[test]
fn oversized_inline_and_count_lines_are_refused_like_redis() {
    // Redis reads at most 64 KiB of a line before giving up on it.
    let cases: [(&str, Vec<u8>, &[u8]); 3] = [
        (
            "inline request over 64 KiB",
            vec![b'a'; 70_000],
            b"-ERR Protocol error: too big inline request\r\n",
        ),
        (
            "multibulk count line over 64 KiB",
            [&b"*"[..], &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big mbulk count string\r\n",
        ),
        (
            "bulk count line over 64 KiB",
            [&b"*1\r\n$"[..], &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big bulk count string\r\n",
        ),
    ];
    let redis = RedisServer::start();
    for (name, request, expected) in &cases {
        let reference = reply_until_closed(redis.addr, request);
        assert_eq!(
            preview(&reference),
            preview(expected),
            "redis-server: {name}"
        );
    }
    for runtime in RUNTIMES {
        let server = runtime.start();
        for (name, request, expected) in &cases {
            let got = reply_until_closed(server.addr, request);
            assert_eq!(preview(&got), preview(expected), "[{runtime:?}] {name}");
        }
    }
}

#[test]
fn unauthenticated_clients_get_small_request_limits() {
    let cases: [(&str, &[u8], &[u8]); 2] = [
        (
            "more than 10 arguments",
            b"*11\r\n",
            b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        ),
        (
            "an argument over 16 KiB",
            b"*1\r\n$16385\r\n",
            b"-ERR Protocol error: unauthenticated bulk length\r\n",
        ),
    ];
    // Eleven arguments: ECHO refuses them, the protocol does not.
    let eleven = resp(&[&b"ECHO"[..]; 11]);
    let arity: &[u8] = b"-ERR wrong number of arguments for 'echo' command\r\n";
    let redis = RedisServer::start();
    let mut admin = connect(redis.addr);
    exchange(&mut admin, b"CONFIG SET requirepass pw\r\n", b"+OK\r\n");
    for (name, request, expected) in cases {
        let reference = reply_until_closed(redis.addr, request);
        assert_eq!(
            preview(&reference),
            preview(expected),
            "redis-server: {name}"
        );
    }
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["requirepass pw"]);
        for (name, request, expected) in cases {
            let got = reply_until_closed(server.addr, request);
            assert_eq!(preview(&got), preview(expected), "[{runtime:?}] {name}");
        }
        // At the limits the protocol accepts the requests (arity is checked before
        // authentication, as in Redis), and after AUTH larger ones pass too.
        let mut stream = connect(server.addr);
        exchange(&mut stream, &resp(&[&b"ECHO"[..]; 10]), arity);
        let limit = vec![b'v'; 16_384];
        exchange(
            &mut stream,
            &resp(&[b"ECHO", &limit]),
            b"-NOAUTH Authentication required.\r\n",
        );
        exchange(&mut stream, b"AUTH pw\r\n", b"+OK\r\n");
        exchange(&mut stream, &eleven, arity);
        let big = vec![b'v'; 16_385];
        exchange(&mut stream, &resp(&[b"ECHO", &big]), &bulk(&big));
    }
}

#[test]
fn a_client_leaving_mid_frame_is_forgotten() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stays = connect(server.addr);
        let mut leaves = connect(server.addr);
        leaves
            .write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly part")
            .expect("write");
        wait_for_clients(&mut stays, 2);
        std::thread::sleep(Duration::from_millis(20));
        // Gone in the middle of the value.
        drop(leaves);
        wait_for_clients(&mut stays, 1);
        exchange(&mut stays, b"EXISTS k\r\n", b":0\r\n");
        exchange(&mut stays, b"PING\r\n", b"+PONG\r\n");
    }
}

#[test]
fn unknown_commands_and_empty_names_keep_the_connection_open() {
    let redis = RedisServer::start();
    let request = b"FOO bar\r\n*1\r\n$0\r\n\r\nPING\r\n";
    let expected: &[u8] = b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n\
        -ERR unknown command '', with args beginning with: \r\n+PONG\r\n";
    let mut reference = connect(redis.addr);
    reference.write_all(request).expect("write");
    expect(&mut reference, expected);
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        stream.write_all(request).expect("write");
        expect(&mut stream, expected);
    }
}

#[test]
fn quit_answers_then_closes_without_running_what_follows() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let got = reply_until_closed(server.addr, b"SET a 1\r\nQUIT\r\nSET b 1\r\n");
        assert_eq!(preview(&got), preview(b"+OK\r\n+OK\r\n"), "[{runtime:?}]");
        let mut stream = connect(server.addr);
        stream.write_all(b"EXISTS a b\r\n").expect("write");
        expect(&mut stream, b":1\r\n");
    }
}

#[test]
fn a_ten_mib_value_round_trips() {
    let value: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        stream
            .write_all(&resp(&[b"SET", b"big", &value]))
            .expect("write");
        expect(&mut stream, b"+OK\r\n");
        stream.write_all(b"STRLEN big\r\n").expect("write");
        expect(&mut stream, format!(":{}\r\n", value.len()).as_bytes());
        stream.write_all(b"GET big\r\n").expect("write");
        expect(&mut stream, &bulk(&value));
        stream.write_all(b"GETRANGE big -3 -1\r\n").expect("write");
        expect(&mut stream, &bulk(&value[value.len() - 3..]));
    }
}

#[test]
fn fifty_clients_incrementing_one_key_lose_no_update() {
    const CLIENTS: usize = 50;
    const INCRS: usize = 200;
    for runtime in RUNTIMES {
        let server = runtime.start();
        let addr = server.addr;
        let threads: Vec<_> = (0..CLIENTS)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut stream = connect(addr);
                    let mut last = 0i64;
                    for _ in 0..INCRS {
                        let value = integer(&mut stream, b"INCR counter\r\n");
                        // Each client sees its own increments in increasing order.
                        assert!(value > last, "{value} after {last}");
                        last = value;
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("client thread");
        }
        let mut stream = connect(addr);
        stream.write_all(b"GET counter\r\n").expect("write");
        expect(&mut stream, &bulk((CLIENTS * INCRS).to_string().as_bytes()));
    }
}

#[test]
fn client_kill_closes_the_other_connection() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut victim = connect(server.addr);
        let mut killer = connect(server.addr);
        let id = integer(&mut victim, b"CLIENT ID\r\n");
        assert_eq!(
            integer(&mut killer, format!("CLIENT KILL ID {id}\r\n").as_bytes()),
            1,
            "[{runtime:?}]"
        );
        let rest = read_until_closed(&mut victim);
        assert!(rest.is_empty(), "[{runtime:?}] got {:?}", preview(&rest));
        // The killer is unaffected; killing the same id again finds nobody.
        assert_eq!(
            integer(&mut killer, format!("CLIENT KILL ID {id}\r\n").as_bytes()),
            0
        );

        // The old form, by address as the server sees it.
        let mut second = connect(server.addr);
        second.write_all(b"PING\r\n").expect("write");
        expect(&mut second, b"+PONG\r\n");
        let addr = second.local_addr().expect("addr");
        killer
            .write_all(format!("CLIENT KILL {addr}\r\n").as_bytes())
            .expect("write");
        expect(&mut killer, b"+OK\r\n");
        assert!(read_until_closed(&mut second).is_empty());
        killer
            .write_all(format!("CLIENT KILL {addr}\r\n").as_bytes())
            .expect("write");
        expect(&mut killer, b"-ERR No such client\r\n");
        killer.write_all(b"PING\r\n").expect("write");
        expect(&mut killer, b"+PONG\r\n");
    }
}

#[test]
fn stopping_with_clients_connected_finishes_promptly() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut idle = connect(server.addr);
        idle.write_all(b"SET k v\r\n").expect("write");
        expect(&mut idle, b"+OK\r\n");
        // One client sits in the middle of a frame.
        let mut partial = connect(server.addr);
        partial.write_all(b"*2\r\n$3\r\nGET\r\n$1").expect("write");
        std::thread::sleep(Duration::from_millis(20));

        let started = Instant::now();
        server.stop();
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "[{runtime:?}] stop took {took:?} with clients connected"
        );
        assert!(read_until_closed(&mut idle).is_empty(), "[{runtime:?}]");
        assert!(read_until_closed(&mut partial).is_empty(), "[{runtime:?}]");
    }
}

#[test]
fn expired_keys_are_removed_in_the_background() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stream = connect(server.addr);
        let mut request = Vec::new();
        for i in 0..20 {
            request.extend(format!("SET temp:{i} v PX 30\r\n").into_bytes());
        }
        request.extend_from_slice(b"SET keep v\r\n");
        stream.write_all(&request).expect("write");
        expect(&mut stream, &b"+OK\r\n".repeat(21));
        // Nothing touches the keys: only the runtime's expiry tick can remove them.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let size = integer(&mut stream, b"DBSIZE\r\n");
            if size == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "[{runtime:?}] {size} keys left; the tick did not expire them"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        exchange(&mut stream, b"GET keep\r\n", b"$1\r\nv\r\n");
    }
}

#[test]
fn killing_a_client_that_does_not_read_closes_it() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut stalled = stalled_client(server.addr);
        let mut killer = connect(server.addr);
        exchange(&mut killer, b"CLIENT KILL TYPE normal\r\n", b":1\r\n");
        wait_for_clients(&mut killer, 1);
        // What was already sent may still arrive, then the connection ends.
        let started = Instant::now();
        let _ = read_until_closed(&mut stalled);
        assert!(started.elapsed() < Duration::from_secs(5), "[{runtime:?}]");
        exchange(&mut killer, b"PING\r\n", b"+PONG\r\n");
    }
}

#[test]
fn stopping_with_a_client_that_does_not_read_finishes_promptly() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let _stalled = stalled_client(server.addr);
        let started = Instant::now();
        server.stop();
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "[{runtime:?}] stop took {took:?} with a client not reading"
        );
    }
}
