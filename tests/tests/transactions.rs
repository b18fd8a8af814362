//! MULTI/EXEC/WATCH across connections.

use std::time::Duration;

use radish_resp::Frame;
use radish_tests::{bulk, RawClient, RUNTIMES};

#[test]
fn exec_runs_the_queue_and_reports_each_result() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut c = RawClient::connect(server.addr);
        assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(c.cmd(&["SET", "k", "1"]), Frame::simple("QUEUED"));
        assert_eq!(c.cmd(&["INCR", "k"]), Frame::simple("QUEUED"));
        assert_eq!(c.cmd(&["LPUSH", "k", "x"]), Frame::simple("QUEUED"));
        assert_eq!(
            c.cmd(&["EXEC"]),
            Frame::Array(vec![
                Frame::ok(),
                Frame::Integer(2),
                Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
            ]),
            "{runtime:?}"
        );
        assert_eq!(c.cmd(&["EXEC"]), Frame::error("ERR EXEC without MULTI"));
        assert_eq!(
            c.cmd(&["DISCARD"]),
            Frame::error("ERR DISCARD without MULTI")
        );
    }
}

#[test]
fn queueing_errors_abort_the_whole_transaction() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut c = RawClient::connect(server.addr);
        c.cmd(&["MULTI"]);
        c.cmd(&["SET", "k", "v"]);
        assert!(c.cmd(&["GET"]).is_error());
        assert!(c.cmd(&["NOSUCHCOMMAND"]).is_error());
        assert_eq!(
            c.cmd(&["EXEC"]),
            Frame::error("EXECABORT Transaction discarded because of previous errors."),
            "{runtime:?}"
        );
        assert_eq!(c.cmd(&["EXISTS", "k"]), Frame::Integer(0));
        assert_eq!(c.cmd(&["MULTI"]), Frame::ok());
        assert_eq!(
            c.cmd(&["MULTI"]),
            Frame::error("ERR MULTI calls can not be nested")
        );
        assert_eq!(c.cmd(&["DISCARD"]), Frame::ok());
    }
}

/// Watches `key` on one connection, runs `interfere` on another, and reports whether EXEC
/// still ran.
fn exec_survives(
    runtime: radish_tests::Runtime,
    setup: &[&[&str]],
    key: &str,
    interfere: &[&str],
) -> bool {
    let server = runtime.start();
    let mut watcher = RawClient::connect(server.addr);
    let mut other = RawClient::connect(server.addr);
    for command in setup {
        watcher.cmd(command);
    }
    assert_eq!(watcher.cmd(&["WATCH", key]), Frame::ok());
    if !interfere.is_empty() {
        other.cmd(interfere);
    }
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["SET", "marker", "1"]);
    match watcher.cmd(&["EXEC"]) {
        Frame::Array(_) => true,
        Frame::NullArray => false,
        other => panic!("unexpected EXEC reply {other:?}"),
    }
}

#[test]
fn watch_sees_every_kind_of_change_from_other_connections() {
    for runtime in RUNTIMES {
        assert!(exec_survives(runtime, &[&["SET", "k", "v"]], "k", &[]));
        assert!(exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["GET", "k"]
        ));
        assert!(exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["SET", "other", "v"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["SET", "k", "w"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["DEL", "k"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["EXPIRE", "k", "100"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["FLUSHDB"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["FLUSHALL"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "k", "v"]],
            "k",
            &["RENAME", "k", "j"]
        ));
        assert!(!exec_survives(
            runtime,
            &[&["SET", "j", "v"]],
            "k",
            &["RENAME", "j", "k"]
        ));
        assert!(!exec_survives(runtime, &[], "k", &["SET", "k", "new"]));
        // Popping the last element deletes the list: that is a change too.
        assert!(!exec_survives(
            runtime,
            &[&["RPUSH", "l", "a"]],
            "l",
            &["LPOP", "l"]
        ));
    }
}

#[test]
fn a_watched_key_that_expires_fails_the_transaction() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut c = RawClient::connect(server.addr);
        c.cmd(&["SET", "k", "v", "PX", "50"]);
        c.cmd(&["WATCH", "k"]);
        std::thread::sleep(Duration::from_millis(120));
        c.cmd(&["MULTI"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["EXEC"]), Frame::NullArray, "{runtime:?}");
        // UNWATCH and a fresh transaction work again.
        c.cmd(&["WATCH", "k"]);
        c.cmd(&["UNWATCH"]);
        c.cmd(&["SET", "k", "x"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["GET", "k"]);
        assert_eq!(c.cmd(&["EXEC"]), Frame::Array(vec![bulk("x")]));
    }
}

#[test]
fn exec_is_atomic_with_respect_to_other_clients() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let addr = server.addr;
        let writers: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut c = RawClient::connect(addr);
                    for _ in 0..200 {
                        c.send_raw(b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n*2\r\n$4\r\nINCR\r\n$1\r\ny\r\n*1\r\n$4\r\nEXEC\r\n");
                        for _ in 0..4 {
                            c.read();
                        }
                    }
                })
            })
            .collect();
        let mut reader = RawClient::connect(addr);
        for _ in 0..300 {
            if let Frame::Array(values) = reader.cmd(&["MGET", "x", "y"]) {
                assert_eq!(values[0], values[1], "{runtime:?}: saw half a transaction");
            }
        }
        for writer in writers {
            writer.join().expect("writer");
        }
        assert_eq!(reader.cmd(&["GET", "x"]), bulk("800"));
        assert_eq!(reader.cmd(&["GET", "y"]), bulk("800"));
    }
}
