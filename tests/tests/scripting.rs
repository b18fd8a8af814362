//! Scripts across connections, on both runtimes: a script runs as one command (no other
//! client's command runs in between, whatever the threads), a slow script makes other clients
//! get `-BUSY` and can be stopped by SCRIPT KILL (unless it wrote) or SHUTDOWN NOSAVE, and
//! EVAL inside MULTI.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, RawClient, RUNTIMES};

/// Reads a counter, spins, then writes it back plus one: two commands that would lose
/// updates if anything ran between them.
const READ_SPIN_WRITE: &str = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') \
    for i = 1, 200 do end \
    redis.call('SET', KEYS[1], v + 1) \
    redis.call('SET', KEYS[2], v + 1) \
    return v + 1";

/// Sends `script` as EVALSHA `count` times from `clients` connections at once (each
/// pipelining a few), and checks its replies are all numbers.
fn hammer(addr: SocketAddr, sha: &str, clients: usize, count: usize) {
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let sha = sha.to_string();
            std::thread::spawn(move || {
                let mut c = RawClient::connect(addr);
                for _ in 0..count / 4 {
                    for _ in 0..4 {
                        c.send(&["EVALSHA", &sha, "2", "counter", "mirror"]);
                    }
                    for _ in 0..4 {
                        assert!(matches!(c.read(), Frame::Integer(_)));
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a client thread");
    }
}

#[test]
fn a_script_runs_as_one_command_under_load() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut c = RawClient::connect(server.addr);
        let Frame::BulkString(sha) = c.cmd(&["SCRIPT", "LOAD", READ_SPIN_WRITE]) else {
            panic!("SCRIPT LOAD replies with the sha");
        };
        let sha = String::from_utf8_lossy(&sha).into_owned();
        // Meanwhile another client reads both keys at once: they never differ.
        let addr = server.addr;
        let reader = std::thread::spawn(move || {
            let mut r = RawClient::connect(addr);
            for _ in 0..500 {
                if let Frame::Array(values) = r.cmd(&["MGET", "counter", "mirror"]) {
                    assert_eq!(values[0], values[1], "a script was seen half done");
                }
            }
        });
        hammer(server.addr, &sha, 8, 200);
        reader.join().expect("the reader");
        assert_eq!(
            c.cmd(&["GET", "counter"]),
            bulk("1600"),
            "updates were lost on {runtime:?}"
        );
    }
}

/// Waits until a command on `probe` is refused with `-BUSY`, at most 5 s.
fn until_busy(probe: &mut RawClient) -> Frame {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = probe.cmd(&["PING"]);
        if reply.is_error() || Instant::now() > deadline {
            return reply;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

const BUSY_SCRIPT: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

#[test]
fn a_busy_script_gets_other_clients_busy_errors_and_script_kill_stops_it() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["busy-reply-threshold 100"]);
        let mut runner = RawClient::connect(server.addr);
        let mut other = RawClient::connect(server.addr);
        runner.send(&["EVAL", "local i = 0 while true do i = i + 1 end", "0"]);
        assert_eq!(
            until_busy(&mut other),
            Frame::error(BUSY_SCRIPT),
            "{runtime:?}"
        );
        // A transaction gets the error too, and EXEC is refused with it.
        assert_eq!(other.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(other.cmd(&["SET", "k", "v"]), Frame::error(BUSY_SCRIPT));
        assert_eq!(
            other.cmd(&["EXEC"]),
            Frame::error(format!(
                "EXECABORT Transaction discarded because of: {BUSY_SCRIPT}"
            ))
        );
        // FUNCTION KILL and FUNCTION STATS are for functions.
        assert_eq!(other.cmd(&["FUNCTION", "KILL"]), Frame::error(BUSY_SCRIPT));
        assert_eq!(other.cmd(&["FUNCTION", "STATS"]), Frame::error(BUSY_SCRIPT));
        assert_eq!(other.cmd(&["SCRIPT", "KILL"]), Frame::ok());
        let killed = runner.read();
        let Frame::SimpleError(line) = &killed else {
            panic!("the killed script's caller gets an error: {killed:?}");
        };
        assert!(
            line.starts_with(b"ERR Script killed by user with SCRIPT KILL... script: "),
            "{killed:?}"
        );
        assert_eq!(other.cmd(&["PING"]), Frame::simple("PONG"));
        assert_eq!(
            other.cmd(&["SCRIPT", "KILL"]),
            Frame::error("NOTBUSY No scripts in execution right now.")
        );
        // The killed script wrote nothing; the server serves everyone again.
        assert_eq!(runner.cmd(&["EXISTS", "k"]), Frame::Integer(0));
    }
}

#[test]
fn a_busy_function_shows_in_function_stats_and_function_kill_stops_it() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["busy-reply-threshold 100"]);
        let mut runner = RawClient::connect(server.addr);
        let mut other = RawClient::connect(server.addr);
        // RESP3, for FUNCTION STATS's maps.
        assert!(matches!(other.cmd(&["HELLO", "3"]), Frame::Map(_)));
        let library = "#!lua name=spin\n\
            redis.register_function('spin', function() while true do end end)";
        assert_eq!(runner.cmd(&["FUNCTION", "LOAD", library]), bulk("spin"));
        runner.send(&["FCALL", "spin", "0"]);
        let busy =
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
        assert_eq!(until_busy(&mut other), Frame::error(busy), "{runtime:?}");
        let Frame::Map(stats) = other.cmd(&["FUNCTION", "STATS"]) else {
            panic!("FUNCTION STATS is a map");
        };
        let running = &stats[0].1;
        let Frame::Map(running) = running else {
            panic!("a function runs: {running:?}");
        };
        assert_eq!(running[0].1, bulk("spin"));
        assert_eq!(
            running[1].1,
            Frame::Array(vec![bulk("FCALL"), bulk("spin"), bulk("0")])
        );
        assert_eq!(other.cmd(&["SCRIPT", "KILL"]), Frame::error(busy));
        assert_eq!(other.cmd(&["FUNCTION", "KILL"]), Frame::ok());
        let killed = runner.read();
        let Frame::SimpleError(line) = &killed else {
            panic!("the killed function's caller gets an error: {killed:?}");
        };
        assert!(
            line.starts_with(b"ERR Script killed by user with SCRIPT KILL... script: spin, on "),
            "{killed:?}"
        );
        assert_eq!(other.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

#[test]
fn a_script_that_wrote_cannot_be_killed_but_shutdown_nosave_stops_the_server() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["busy-reply-threshold 100"]);
        let mut runner = RawClient::connect(server.addr);
        let mut other = RawClient::connect(server.addr);
        runner.send(&[
            "EVAL",
            "redis.call('SET', 'written', '1') while true do end",
            "0",
        ]);
        assert_eq!(
            until_busy(&mut other),
            Frame::error(BUSY_SCRIPT),
            "{runtime:?}"
        );
        let unkillable = other.cmd(&["SCRIPT", "KILL"]);
        let Frame::SimpleError(line) = &unkillable else {
            panic!("{unkillable:?}");
        };
        assert!(line.starts_with(b"UNKILLABLE Sorry the script already executed write"));
        // SHUTDOWN alone would save: refused while busy.
        assert_eq!(other.cmd(&["SHUTDOWN"]), Frame::error(BUSY_SCRIPT));
        other.send(&["SHUTDOWN", "NOSAVE"]);
        assert!(other.closed(), "SHUTDOWN NOSAVE closes the connection");
        server.stop();
    }
}

#[test]
fn eval_inside_multi_runs_at_exec_with_the_transaction() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut c = RawClient::connect(server.addr);
        assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(
            c.cmd(&["EVAL", "return redis.call('INCR', KEYS[1])", "1", "n"]),
            Frame::simple("QUEUED")
        );
        assert_eq!(c.cmd(&["INCR", "n"]), Frame::simple("QUEUED"));
        assert_eq!(
            c.cmd(&["EVAL", "return redis.call('NOSUCH')", "0"]),
            Frame::simple("QUEUED")
        );
        let Frame::Array(replies) = c.cmd(&["EXEC"]) else {
            panic!("EXEC replies with an array");
        };
        assert_eq!(replies[0], Frame::Integer(1), "{runtime:?}");
        assert_eq!(replies[1], Frame::Integer(2));
        assert!(replies[2].is_error());
        // A script that reads what the transaction wrote before it.
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "a", "x"]);
        c.cmd(&["EVAL", "return redis.call('GET', 'a')", "0"]);
        assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![Frame::ok(), bulk("x")]));
    }
}
