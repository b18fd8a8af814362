//! Client-side caching against redis-server 7.0.15: each scenario runs the same steps on
//! Redis and on radish (both runtimes) over three connections, a tracking client, a writer
//! and a redirect target; everything each connection receives (replies and invalidation
//! pushes or messages) must be the same, in the same order. After every step the tracking
//! client and the redirect target send PING and read up to its reply, so what is compared
//! never depends on timing.

use std::net::SocketAddr;

use radish_resp::Frame;
use radish_tests::{RawClient, RedisServer, RUNTIMES};

/// The connections: 0 tracks, 1 writes, 2 is the redirect target (subscribed to
/// `__redis__:invalidate` in RESP2, or in RESP3).
type Step = (usize, &'static [&'static str]);

struct Scenario {
    name: &'static str,
    /// Whether the redirect target speaks RESP3 (else it subscribes in RESP2).
    target_resp3: bool,
    /// The steps; `{redirect}` stands for the redirect target's client id.
    steps: &'static [Step],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "resp3 default mode",
        target_resp3: false,
        steps: &[
            (0, &["HELLO", "3"]),
            (0, &["CLIENT", "TRACKING", "ON"]),
            (0, &["GET", "a"]),
            (0, &["MGET", "b", "c"]),
            (1, &["SET", "a", "1"]),
            (1, &["SET", "a", "2"]),
            (1, &["MSET", "b", "1", "c", "2"]),
            (0, &["GET", "a"]),
            (0, &["SET", "a", "3"]),
            (0, &["GET", "a"]),
            (0, &["MULTI"]),
            (0, &["GET", "a"]),
            (0, &["SET", "a", "4"]),
            (0, &["EXEC"]),
            (0, &["HSET", "h", "f", "v"]),
            (0, &["HGET", "h", "f"]),
            (1, &["HDEL", "h", "f"]),
            (0, &["GET", "x"]),
            (1, &["FLUSHALL"]),
            (0, &["CLIENT", "TRACKINGINFO"]),
            (0, &["CLIENT", "GETREDIR"]),
            (0, &["CLIENT", "TRACKING", "OFF"]),
            (0, &["CLIENT", "TRACKINGINFO"]),
        ],
    },
    Scenario {
        name: "noloop, optin, optout",
        target_resp3: false,
        steps: &[
            (0, &["HELLO", "3"]),
            (0, &["CLIENT", "TRACKING", "ON", "NOLOOP"]),
            (0, &["GET", "a"]),
            (0, &["SET", "a", "1"]),
            (1, &["SET", "a", "2"]),
            (0, &["CLIENT", "TRACKING", "OFF"]),
            (0, &["CLIENT", "TRACKING", "ON", "OPTIN"]),
            (0, &["GET", "k1"]),
            (0, &["CLIENT", "CACHING", "YES"]),
            (0, &["GET", "k2"]),
            (0, &["GET", "k3"]),
            (1, &["MSET", "k1", "1", "k2", "2", "k3", "3"]),
            (0, &["CLIENT", "CACHING", "NO"]),
            (0, &["CLIENT", "TRACKING", "ON", "OPTOUT"]),
            (0, &["CLIENT", "TRACKING", "OFF"]),
            (0, &["CLIENT", "TRACKING", "ON", "OPTOUT"]),
            (0, &["CLIENT", "CACHING", "NO"]),
            (0, &["GET", "k4"]),
            (0, &["GET", "k5"]),
            (1, &["MSET", "k4", "1", "k5", "2"]),
            (0, &["CLIENT", "CACHING", "YES"]),
            (0, &["CLIENT", "TRACKINGINFO"]),
        ],
    },
    Scenario {
        name: "bcast",
        target_resp3: false,
        steps: &[
            (0, &["HELLO", "3"]),
            (
                0,
                &[
                    "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "obj:",
                ],
            ),
            (1, &["SET", "user:1", "a"]),
            (1, &["MSET", "user:2", "b", "obj:9", "c", "other", "d"]),
            (0, &["SET", "user:3", "x"]),
            (
                0,
                &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:x"],
            ),
            (
                0,
                &[
                    "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab",
                ],
            ),
            (0, &["CLIENT", "TRACKING", "ON"]),
            (0, &["CLIENT", "TRACKINGINFO"]),
            (0, &["CLIENT", "TRACKING", "OFF"]),
            (0, &["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"]),
            (0, &["SET", "mine", "1"]),
            (1, &["SET", "theirs", "1"]),
        ],
    },
    Scenario {
        name: "redirect to a RESP2 subscriber",
        target_resp3: false,
        steps: &[
            (0, &["CLIENT", "TRACKING", "ON", "REDIRECT", "{redirect}"]),
            (0, &["GET", "a"]),
            (1, &["SET", "a", "1"]),
            (0, &["GET", "b"]),
            (1, &["FLUSHDB"]),
            (0, &["CLIENT", "GETREDIR"]),
            (0, &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"]),
            (0, &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p"]),
        ],
    },
    Scenario {
        name: "redirect to RESP3",
        target_resp3: true,
        steps: &[
            (
                0,
                &[
                    "CLIENT",
                    "TRACKING",
                    "ON",
                    "REDIRECT",
                    "{redirect}",
                    "BCAST",
                ],
            ),
            (1, &["SET", "a", "1"]),
            (1, &["DEL", "a"]),
            (0, &["CLIENT", "CACHING", "YES"]),
            (0, &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"]),
            (0, &["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"]),
            (0, &["CLIENT", "TRACKING", "MAYBE"]),
            (0, &["CLIENT", "TRACKING", "ON", "PREFIX", "x"]),
            (0, &["CLIENT", "CACHING", "MAYBE"]),
        ],
    },
];

/// Reads frames up to the reply of a PING sent now, and returns them with the reply last.
fn drain(client: &mut RawClient) -> Vec<Frame> {
    client.send(&["PING", "sync"]);
    let mut frames = Vec::new();
    loop {
        let frame = client.read();
        let done = matches!(&frame, Frame::BulkString(b) if &b[..] == b"sync")
            || matches!(&frame, Frame::Array(parts) if parts.first()
                .is_some_and(|p| matches!(p, Frame::BulkString(b) if &b[..] == b"pong")));
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

fn run(addr: SocketAddr, scenario: &Scenario) -> Vec<String> {
    let mut clients: Vec<RawClient> = (0..3).map(|_| RawClient::connect(addr)).collect();
    clients[1].cmd(&["FLUSHALL"]);
    let redirect = match clients[2].cmd(&["CLIENT", "ID"]) {
        Frame::Integer(id) => id.to_string(),
        other => panic!("CLIENT ID: {other:?}"),
    };
    if scenario.target_resp3 {
        clients[2].cmd(&["HELLO", "3"]);
    } else {
        clients[2].cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    }
    let mut transcript = Vec::new();
    let mut in_multi = false;
    for (who, template) in scenario.steps {
        let args: Vec<&str> = template
            .iter()
            .map(|a| {
                if *a == "{redirect}" {
                    redirect.as_str()
                } else {
                    a
                }
            })
            .collect();
        let reply = clients[*who].cmd(&args);
        // HELLO's reply holds the client id, which differs between servers.
        // HELLO's reply holds the client id, which differs between servers, as does the
        // redirect target's.
        let shown = match args[0] {
            "HELLO" => "(hello)".to_string(),
            _ => format!("{reply:?}").replace(&format!("Integer({redirect})"), "{redirect}"),
        };
        transcript.push(format!("{who} {template:?} -> {shown}"));
        if *who == 0 {
            match args[0] {
                "MULTI" => in_multi = true,
                "EXEC" | "DISCARD" => in_multi = false,
                _ => {}
            }
        }
        // A PING would be queued inside MULTI: the tracking client is drained after EXEC.
        let listeners: &[usize] = if in_multi { &[2] } else { &[0, 2] };
        for &listener in listeners {
            for frame in drain(&mut clients[listener]) {
                transcript.push(format!("  {listener} got {frame:?}"));
            }
        }
    }
    transcript
}

#[test]
fn invalidations_reach_the_clients_redis_sends_them_to() {
    let redis = RedisServer::start();
    for runtime in RUNTIMES {
        let radish = runtime.start();
        for scenario in SCENARIOS {
            let expected = run(redis.addr, scenario);
            let got = run(radish.addr, scenario);
            let first_difference = expected
                .iter()
                .zip(&got)
                .position(|(a, b)| a != b)
                .unwrap_or(expected.len().min(got.len()));
            assert_eq!(
                got.get(first_difference),
                expected.get(first_difference),
                "{runtime:?}: {}, step {first_difference}",
                scenario.name
            );
            assert_eq!(got.len(), expected.len(), "{runtime:?}: {}", scenario.name);
        }
    }
}

#[test]
fn tracking_shows_in_client_list_and_info_and_ends_with_the_client() {
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut tracker = RawClient::connect(radish.addr);
        let mut other = RawClient::connect(radish.addr);
        tracker.cmd(&["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"]);
        let Frame::BulkString(line) = tracker.cmd(&["CLIENT", "INFO"]) else {
            panic!("CLIENT INFO");
        };
        let line = String::from_utf8_lossy(&line).to_string();
        assert!(line.contains(" flags=tB "), "{runtime:?}: {line}");
        assert!(line.contains(" redir=0 "), "{runtime:?}: {line}");
        let Frame::BulkString(info) = other.cmd(&["INFO"]) else {
            panic!("INFO");
        };
        let info = String::from_utf8_lossy(&info).to_string();
        assert!(info.contains("tracking_clients:1\r\n"), "{runtime:?}");
        assert!(
            info.contains("tracking_total_prefixes:1\r\n"),
            "{runtime:?}"
        );
        drop(tracker);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let Frame::BulkString(info) = other.cmd(&["INFO", "clients"]) else {
                panic!("INFO");
            };
            if String::from_utf8_lossy(&info).contains("tracking_clients:0\r\n") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{runtime:?}: still tracking"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
