//! Damaged files: a torn last record is cut off, anything else refuses to load.

use radish_data::snapshot::format::{parse_record, Parsed};

use super::*;

/// Writes a log holding keys k0..k9 (one SET each) after an empty base; returns its
/// incremental file's path
/// and the offsets where the SET records start.
fn written_log(name: &str) -> (TempDir, PathBuf, Vec<usize>) {
    let dir = temp_dir(name);
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    for i in 0..10 {
        run(&mut s, T0, &["SET", &format!("k{i}"), "value"]);
    }
    drop(s);
    server.close(T0).expect("closes");
    let path = incr_path(&dir);
    let bytes = std::fs::read(&path).expect("log");
    let mut starts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Parsed::Record { args, end } = parse_record(&bytes, at) else {
            panic!("bad record at {at}");
        };
        if &bytes[args[0].clone()] == b"SET" {
            starts.push(at);
        }
        at = end;
    }
    assert_eq!(starts.len(), 10);
    (dir, path, starts)
}

fn keys(server: &Server) -> usize {
    server.keyspace().dbs()[0].len()
}

#[test]
fn a_torn_last_record_is_cut_off_and_the_rest_loads() {
    let (dir, path, starts) = written_log("torn");
    let size = std::fs::metadata(&path).unwrap().len();
    // Cut in the middle of the last SET.
    let cut = (starts[9] as u64 + size) / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(keys(&server), 9);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), starts[9] as u64);
    // The log goes on from the cut, and loads again.
    run(&mut s, T0, &["SET", "after", "1"]);
    drop(s);
    server.close(T0).unwrap();
    let (again, _s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(keys(&again), 10);
}

#[test]
fn a_torn_tail_refuses_to_load_without_aof_load_truncated() {
    let (dir, path, starts) = written_log("strict");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(starts[9] as u64 + 5).unwrap();
    let error = Server::open(
        config(&dir, &["appendonly yes", "aof-load-truncated no"]),
        T0,
    )
    .expect_err("must not load");
    assert_eq!(error.offset, Some(starts[9] as u64));
}

#[test]
fn corruption_in_the_middle_names_the_file_and_offset() {
    let (dir, path, starts) = written_log("corrupt");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[starts[4]] = b'?';
    std::fs::write(&path, &bytes).unwrap();
    let error = Server::open(config(&dir, &["appendonly yes"]), T0).expect_err("must not load");
    assert_eq!(error.path, path);
    assert_eq!(error.offset, Some(starts[4] as u64));
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("offset {}", starts[4])),
        "{message}"
    );
    // Nothing was cut: the file is as it was.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_transaction_without_exec_is_not_applied() {
    let dir = temp_dir("multi");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    run(&mut s, T0, &["SET", "before", "1"]);
    run(&mut s, T0, &["MULTI"]);
    run(&mut s, T0, &["SET", "in", "1"]);
    run(&mut s, T0, &["INCR", "before"]);
    run(&mut s, T0, &["EXEC"]);
    drop(s);
    server.close(T0).unwrap();
    let path = incr_path(&dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let exec = b"*1\r\n$4\r\nEXEC\r\n";
    assert!(bytes.ends_with(exec));
    bytes.truncate(bytes.len() - exec.len());
    std::fs::write(&path, &bytes).unwrap();
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(run(&mut s, T0, &["GET", "before"]), "$1\r\n1\r\n");
    assert_eq!(run(&mut s, T0, &["EXISTS", "in"]), ":0\r\n");
    drop((server, s));
}

#[test]
fn a_damaged_snapshot_refuses_to_load() {
    let dir = temp_dir("bad-snapshot");
    let (server, mut s) = open(&dir, &[], T0);
    run(&mut s, T0, &["RPUSH", "list", "a", "b", "c"]);
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    drop((server, s));
    let path = dir.join("dump.rdb");
    let good = std::fs::read(&path).unwrap();

    // A changed byte inside a value: the checksum catches it.
    let mut flipped = good.clone();
    let at = flipped.windows(1).position(|w| w == b"b").unwrap();
    flipped[at] = b'B';
    std::fs::write(&path, &flipped).unwrap();
    let error = Server::open(config(&dir, &[]), T0).expect_err("checksum");
    assert!(error.message.contains("checksum"), "{error}");

    // Cut short: the snapshot is written whole or not at all, so this is corruption too.
    std::fs::write(&path, &good[..good.len() - 3]).unwrap();
    assert!(Server::open(config(&dir, &[]), T0).is_err());

    // Not a snapshot at all.
    std::fs::write(&path, b"RADISH0010garbage").unwrap();
    let error = Server::open(config(&dir, &[]), T0).expect_err("magic");
    assert_eq!(error.offset, Some(0));

    // A version this server does not know.
    std::fs::write(&path, b"REDIS0012garbage").unwrap();
    let error = Server::open(config(&dir, &[]), T0).expect_err("version");
    assert!(error.message.contains("RDB format version 0012"), "{error}");

    std::fs::write(&path, &good).unwrap();
    let (server, mut s) = open(&dir, &[], T0);
    assert_eq!(run(&mut s, T0, &["LLEN", "list"]), ":3\r\n");
    drop((server, s));
}
