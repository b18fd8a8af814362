//! Function libraries are part of the dataset: they come back after a restart, from a
//! snapshot and from the log, rewritten or not.

use super::jobs::tick_until;
use super::*;

const LIBRARY: &str = "#!lua name=counters\n\
    redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)\n\
    redis.register_function{function_name='peek', callback=function(keys) \
    return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}";

fn load_library(session: &mut Session) {
    assert_eq!(
        run(session, T0, &["FUNCTION", "LOAD", LIBRARY]),
        "$8\r\ncounters\r\n"
    );
}

/// What FUNCTION LIST WITHCODE says, and that the functions run.
fn assert_library_back(session: &mut Session) {
    let list = run(session, T0, &["FUNCTION", "LIST", "WITHCODE"]);
    assert!(
        list.contains("counters") && list.contains("reads"),
        "{list}"
    );
    assert!(list.contains("register_function('bump'"), "{list}");
    assert_eq!(run(session, T0, &["FCALL", "bump", "1", "n"]), ":2\r\n");
    assert_eq!(
        run(session, T0, &["FCALL_RO", "peek", "1", "n"]),
        "$1\r\n2\r\n"
    );
}

#[test]
fn a_saved_snapshot_brings_the_libraries_back() {
    let dir = temp_dir("functions-snapshot");
    let (server, mut s) = open(&dir, &[], T0);
    load_library(&mut s);
    assert_eq!(run(&mut s, T0, &["FCALL", "bump", "1", "n"]), ":1\r\n");
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    drop(s);
    server.close(T0).unwrap();

    let (_server, mut s) = open(&dir, &[], T0);
    assert_library_back(&mut s);
}

#[test]
fn the_log_and_its_rewrite_bring_the_libraries_back() {
    let dir = temp_dir("functions-log");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    load_library(&mut s);
    assert_eq!(run(&mut s, T0, &["FCALL", "bump", "1", "n"]), ":1\r\n");
    // A library loaded then deleted stays deleted.
    run(
        &mut s,
        T0,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=gone\nredis.register_function('g', function() end)",
        ],
    );
    assert_eq!(run(&mut s, T0, &["FUNCTION", "DELETE", "gone"]), "+OK\r\n");
    drop(s);
    server.close(T0).unwrap();
    let log = log_text(&dir);
    assert!(log.contains("FUNCTION LOAD #!lua name=counters"), "{log}");
    // The script's effects are logged, not the call.
    assert!(log.contains("INCR n") && !log.contains("FCALL"), "{log}");

    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_library_back(&mut s);
    assert!(run(&mut s, T0, &["FCALL", "g", "0"]).starts_with("-ERR Function not found"));
    // Rewritten, the log starts with the libraries.
    run(&mut s, T0, &["BGREWRITEAOF"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    drop(s);
    server.close(T0).unwrap();
    let (_server, mut s) = open(&dir, &["appendonly yes"], T0);
    let list = run(&mut s, T0, &["FUNCTION", "LIST"]);
    assert!(
        list.contains("counters") && !list.contains("gone"),
        "{list}"
    );
    assert_eq!(run(&mut s, T0, &["FCALL", "bump", "1", "n"]), ":3\r\n");
}
