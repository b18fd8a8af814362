//! redis-cli and redis-benchmark against both runtimes' in-process servers. Their output is
//! compared with what the same invocations print against a real redis-server.
//!
//! The tools must be installed (`.ci/run` installs redis-tools): a missing tool fails these
//! tests rather than skipping them.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use radish_tests::{RedisServer, RUNTIMES};

/// What a tool printed, and how it exited.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Reads a child's pipe to the end on its own thread, so neither pipe can fill and block it.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `program args`, feeding it `stdin`; kills it and fails if it runs past `timeout`.
fn run_tool(program: &str, args: &[&str], stdin: &[u8], timeout: Duration) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} must be installed (.ci/run installs redis-tools): {e}")
        });
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let mut input = child.stdin.take().expect("stdin");
    let input_bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // Dropping `input` afterwards closes the tool's stdin.
        let _ = input.write_all(&input_bytes);
    });
    let deadline = Instant::now() + timeout;
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    Output {
        status: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// `redis-cli -p PORT args...`.
fn cli(addr: SocketAddr, args: &[&str]) -> Output {
    cli_with_input(addr, args, b"")
}

fn cli_with_input(addr: SocketAddr, args: &[&str], stdin: &[u8]) -> Output {
    let port = addr.port().to_string();
    let mut all = vec!["-h", "127.0.0.1", "-p", &port];
    all.extend_from_slice(args);
    run_tool("redis-cli", &all, stdin, Duration::from_secs(20))
}

/// HELLO's reply carries the connection id, which differs between servers: as a map entry
/// (`4# "id" => (integer) 7`) in RESP3, as the line after `"id"` in RESP2.
fn mask_ids(text: &str) -> String {
    let mut masked = String::new();
    let mut after_id = false;
    for line in text.split_inclusive('\n') {
        let value_at = if after_id {
            line.find("(integer) ")
        } else {
            line.find("\"id\" => (integer) ")
                .map(|at| at + "\"id\" => ".len())
        };
        match value_at {
            Some(at) => {
                masked.push_str(&line[..at]);
                masked.push_str("(integer) N\n");
            }
            None => masked.push_str(line),
        }
        after_id = line.trim_end().ends_with(") \"id\"");
    }
    masked
}

/// One-shot invocations, run in order on a fresh server; their output must be the same as
/// redis-server's.
const INVOCATIONS: &[&[&str]] = &[
    &["ping"],
    &["set", "foo", "bar"],
    &["get", "foo"],
    &["incr", "n"],
    &["incr", "n"],
    &["--no-raw", "incr", "n"],
    &["--no-raw", "get", "foo"],
    &["--no-raw", "get", "missing"],
    &["-3", "--no-raw", "get", "missing"],
    &["--no-raw", "mget", "foo", "missing", "n"],
    &["--no-raw", "exists", "foo", "n", "missing"],
    &["--no-raw", "hello", "3"],
    &["-3", "--no-raw", "hello", "3"],
    &["--no-raw", "hello", "2"],
    &["-3", "--no-raw", "config", "get", "maxmemory"],
    &["--no-raw", "config", "get", "maxmemory"],
    &["--no-raw", "incr", "foo"],
    &["incr", "foo"],
    &["--no-raw", "nosuchcommand", "x"],
    &["--no-raw", "get"],
    &["-n", "2", "set", "k", "v"],
    &["-n", "2", "dbsize"],
    &["--no-raw", "dbsize"],
    &["--no-raw", "set", "t", "v", "ex", "100"],
    &["ttl", "t"],
    &["-r", "3", "incr", "repeated"],
    &["get", "repeated"],
    &["--no-raw", "object", "encoding", "foo"],
    &["--no-raw", "client", "getname"],
    &["echo", "a b"],
    &["--no-raw", "echo", "line\nbreak"],
    &["--no-raw", "getrange", "foo", "0", "1"],
    &["-3", "--no-raw", "setrange", "foo", "1", "XY"],
    &["--no-raw", "keys", "f*"],
    &["--scan", "--pattern", "f*"],
    &["--no-raw", "del", "foo", "n", "t"],
    &["--no-raw", "select", "99"],
];

fn run_invocations(addr: SocketAddr) -> Vec<Output> {
    INVOCATIONS
        .iter()
        .map(|args| {
            let mut output = cli(addr, args);
            output.stdout = mask_ids(&output.stdout);
            output
        })
        .collect()
}

#[test]
fn redis_cli_commands_print_what_they_print_against_redis() {
    let redis = RedisServer::start();
    let expected = run_invocations(redis.addr);
    // The basics, spelled out, so a broken reference cannot hide a broken radish.
    assert_eq!(expected[0].stdout, "PONG\n");
    assert_eq!(expected[2].stdout, "bar\n");
    assert_eq!(expected[5].stdout, "(integer) 3\n");
    for runtime in RUNTIMES {
        let server = runtime.start();
        let got = run_invocations(server.addr);
        let mut differences = Vec::new();
        for ((args, want), got) in INVOCATIONS.iter().zip(&expected).zip(&got) {
            if want != got {
                differences.push(format!(
                    "redis-cli {args:?}\n  redis:  {want:?}\n  radish: {got:?}"
                ));
            }
        }
        assert!(
            differences.is_empty(),
            "[{runtime:?}] {} of {} invocations differ:\n{}",
            differences.len(),
            INVOCATIONS.len(),
            differences.join("\n")
        );
        assert_eq!(got[0].stdout, "PONG\n");
        assert_eq!(got[1].stdout, "OK\n");
        assert_eq!(got[2].stdout, "bar\n");
        assert_eq!(got[3].stdout, "1\n");
    }
}

#[test]
fn redis_cli_pipe_mode_transfers_every_command() {
    let mut input = Vec::new();
    for i in 0..1000 {
        let (key, value) = (format!("key:{i}"), format!("value:{i}"));
        input.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
                key.len(),
                value.len()
            )
            .as_bytes(),
        );
    }
    // One failing command, counted as an error.
    input.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$5\r\nkey:1\r\n");
    let redis = RedisServer::start();
    let expected = cli_with_input(redis.addr, &["--pipe"], &input);
    assert!(
        expected.stdout.ends_with("errors: 1, replies: 1001\n"),
        "{expected:?}"
    );
    for runtime in RUNTIMES {
        let server = runtime.start();
        let got = cli_with_input(server.addr, &["--pipe"], &input);
        assert_eq!(got, expected, "[{runtime:?}]");
        assert_eq!(cli(server.addr, &["dbsize"]).stdout, "1000\n");
        assert_eq!(cli(server.addr, &["get", "key:999"]).stdout, "value:999\n");
    }
}

#[test]
fn redis_cli_authenticates_like_against_redis() {
    let redis = RedisServer::start();
    let set = cli(redis.addr, &["config", "set", "requirepass", "pw"]);
    assert_eq!(set.stdout, "OK\n");
    let cases: [&[&str]; 4] = [
        &["ping"],
        &["-a", "pw", "--no-auth-warning", "ping"],
        &["-a", "wrong", "--no-auth-warning", "ping"],
        &[
            "--user",
            "default",
            "--pass",
            "pw",
            "--no-auth-warning",
            "--no-raw",
            "set",
            "k",
            "v",
        ],
    ];
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["requirepass pw"]);
        for args in cases {
            let want = cli(redis.addr, args);
            let got = cli(server.addr, args);
            assert_eq!(got, want, "[{runtime:?}] redis-cli {args:?}");
        }
        let got = cli(server.addr, &["-a", "pw", "--no-auth-warning", "get", "k"]);
        assert_eq!(got.stdout, "v\n", "[{runtime:?}]");
    }
}

#[test]
fn redis_benchmark_completes_and_reports_a_rate_per_test() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let port = server.addr.port().to_string();
        let args = [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-n",
            "2000",
            "-c",
            "10",
            "-t",
            "set,get,incr",
            "-q",
        ];
        let output = run_tool("redis-benchmark", &args, b"", Duration::from_secs(60));
        assert_eq!(output.status, Some(0), "[{runtime:?}] {output:?}");
        // -q prints progress lines ended by '\r' and one final line per test.
        let lines: Vec<&str> = output
            .stdout
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|l| l.contains("requests per second"))
            .collect();
        for test in ["SET", "GET", "INCR"] {
            let line = lines
                .iter()
                .find(|l| l.starts_with(&format!("{test}: ")))
                .unwrap_or_else(|| panic!("[{runtime:?}] no {test} rate in {output:?}"));
            let rate: f64 = line[test.len() + 2..]
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("[{runtime:?}] bad rate line {line:?}"));
            assert!(rate > 0.0, "[{runtime:?}] {line}");
        }
        // Without -r the benchmark's keys keep their placeholder: every INCR hit one key.
        let count = cli(server.addr, &["get", "counter:__rand_int__"]);
        assert_eq!(count.stdout, "2000\n", "[{runtime:?}]");
        // The SET payload is 3 bytes (-d's default).
        let value = cli(server.addr, &["strlen", "key:__rand_int__"]);
        assert_eq!(value.stdout, "3\n", "[{runtime:?}]");
    }
}
