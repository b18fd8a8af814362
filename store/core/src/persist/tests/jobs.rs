//! Background saves and rewrites, save rules, durability waits, and the commands' replies.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::session::Session;

/// Ticks the server (which reaps finished jobs) until INFO persistence contains `wanted`.
pub(super) fn tick_until(server: &Server, session: &mut Session, now: Millis, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        server.tick(now);
        let info = run(session, now, &["INFO", "persistence"]);
        if info.contains(wanted) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {wanted}: {info}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn fill(session: &mut Session, keys: usize) {
    let mut input = BytesMut::new();
    for i in 0..keys {
        let key = format!("key:{i}");
        let args: Vec<&str> = match i % 4 {
            0 => vec!["SET", &key, "value"],
            1 => vec!["RPUSH", &key, "a", "b"],
            2 => vec!["HSET", &key, "f", "v"],
            _ => vec!["ZADD", &key, "1.5", "m"],
        };
        radish_resp::encode_request(&args, &mut input);
    }
    let mut out = BytesMut::new();
    let _ = session.handle(&mut input, T0, &mut out);
}

/// Runs a background save of `server`'s data, calling `change(data, round)` between its
/// steps until it is done (the first round comes before its first step, as this thread holds
/// the data lock). Then waits for it to succeed and checks that a server started on `dir`
/// loads `expected`. Returns the number of rounds.
fn save_while_changing(
    dir: &std::path::Path,
    server: Arc<Server>,
    mut s: Session,
    expected: &BTreeMap<(usize, Vec<u8>), String>,
    mut change: impl FnMut(&mut crate::state::keyspace::Keyspace, u32),
) -> u32 {
    let mut round = 0u32;
    {
        let config = server.config().clone();
        let mut data = server.keyspace();
        let started = server.persist.bgsave(&config, &mut data, T0, false);
        assert_eq!(started, Ok(crate::persist::Started::Now));
        while data.dbs().iter().any(|db| db.persist.snapshot.is_some()) {
            change(&mut data, round);
            round += 1;
            drop(data);
            std::thread::sleep(Duration::from_micros(200));
            data = server.keyspace();
        }
    }
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    drop((server, s));
    let (reloaded, _s) = open(dir, &[], T0);
    assert_eq!(&dump(&reloaded, T0), expected);
    round
}

#[test]
fn a_background_save_is_the_data_at_its_moment_despite_writes_between_its_steps() {
    let dir = temp_dir("bgsave");
    let (server, mut s) = open(&dir, &[], T0);
    fill(&mut s, 20_000);
    let expected = dump(&server, T0);
    // Change, remove and add keys between the snapshot's steps, and flush once.
    let rounds = save_while_changing(&dir, server, s, &expected, |data, round| {
        for i in 0..50u32 {
            let n = (round * 397 + i * 31) % 25_000;
            let key = format!("key:{n}");
            let db = data.db(0);
            match i % 3 {
                0 => {
                    db.remove(key.as_bytes());
                }
                1 => db.insert(key.as_bytes(), Value::string(b"changed"), 0, T0),
                _ => {
                    db.set_expiry(key.as_bytes(), T0 + 1);
                }
            }
        }
        if round == 3 {
            data.db(0).clear();
        }
    });
    assert!(rounds > 3, "the snapshot took {rounds} steps");
}

#[test]
fn a_background_save_keeps_each_database_at_its_number_when_swapdb_runs_between_its_steps() {
    let dir = temp_dir("bgsave-swapdb");
    let (server, mut s) = open(&dir, &[], T0);
    fill(&mut s, 12_000);
    run(&mut s, T0, &["SELECT", "1"]);
    fill(&mut s, 8_000);
    run(&mut s, T0, &["SET", "only-in-1", "x"]);
    let expected = dump(&server, T0);
    // Swap, then change both databases, between every two steps: the snapshot still holds
    // each database as it was, under its number.
    let rounds = save_while_changing(&dir, server, s, &expected, |data, round| {
        let (first, second) = data.two_dbs(0, 1);
        first.swap_contents(second, T0);
        for i in 0..40u32 {
            let key = format!("key:{}", (round * 211 + i * 37) % 15_000);
            let db = data.db((i % 2) as usize);
            if i % 4 < 2 {
                db.remove(key.as_bytes());
            } else {
                db.insert(key.as_bytes(), Value::string(b"changed"), 0, T0);
            }
        }
    });
    assert!(rounds > 1, "the snapshot took {rounds} steps");
}

const MISCONF_RDB: &str = "-MISCONF Redis is configured to save RDB snapshots, but it's \
    currently unable to persist to disk. Commands that may modify the data set are disabled, \
    because this instance is configured to report errors during writes if RDB snapshotting \
    fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
    the RDB error.\r\n";

#[test]
fn after_a_failed_background_save_writes_and_ping_are_refused_while_save_rules_are_set() {
    let dir = temp_dir("misconf");
    let (server, mut s) = open(&dir, &["save \"3600 1\""], T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    std::fs::remove_dir_all(&*dir).unwrap();
    assert_eq!(
        run(&mut s, T0, &["BGSAVE"]),
        "+Background saving started\r\n"
    );
    tick_until(&server, &mut s, T0, "rdb_last_bgsave_status:err");
    // As Redis 7.0: writes, and PING, get MISCONF; reads still run.
    for args in [&["SET", "b", "1"][..], &["DEL", "a"], &["PING"]] {
        assert_eq!(run(&mut s, T0, args), MISCONF_RDB, "{args:?}");
    }
    assert_eq!(run(&mut s, T0, &["GET", "a"]), "$1\r\n1\r\n");
    // A refused write dooms its transaction; a read-only one runs.
    run(&mut s, T0, &["MULTI"]);
    assert_eq!(run(&mut s, T0, &["SET", "c", "1"]), MISCONF_RDB);
    assert!(run(&mut s, T0, &["EXEC"]).starts_with("-EXECABORT"));
    run(&mut s, T0, &["MULTI"]);
    run(&mut s, T0, &["GET", "a"]);
    assert_eq!(run(&mut s, T0, &["EXEC"]), "*1\r\n$1\r\n1\r\n");
    // Without save rules, or with stop-writes-on-bgsave-error off, writes run.
    run(&mut s, T0, &["CONFIG", "SET", "save", ""]);
    assert_eq!(run(&mut s, T0, &["SET", "b", "2"]), "+OK\r\n");
    run(&mut s, T0, &["CONFIG", "SET", "save", "3600 1"]);
    assert_eq!(run(&mut s, T0, &["SET", "b", "3"]), MISCONF_RDB);
    run(
        &mut s,
        T0,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
    );
    assert_eq!(run(&mut s, T0, &["SET", "b", "4"]), "+OK\r\n");
    run(
        &mut s,
        T0,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
    );
    // A save that succeeds ends it.
    std::fs::create_dir_all(&*dir).unwrap();
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    assert_eq!(run(&mut s, T0, &["SET", "b", "5"]), "+OK\r\n");
    assert_eq!(run(&mut s, T0, &["PING"]), "+PONG\r\n");
}

#[test]
fn while_the_log_cannot_be_written_writes_get_misconf_with_the_system_error() {
    let dir = temp_dir("misconf-aof");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    const ENOSPC: i32 = 28;
    server.inject_log_fault(Some(crate::persist::LogFault::Write(ENOSPC)));
    // With everysec the write that fails is acknowledged, as in Redis (it stays in memory,
    // to write again); the next ones are refused.
    assert_eq!(run(&mut s, T0, &["SET", "z", "2"]), "+OK\r\n");
    let misconf = "-MISCONF Errors writing to the AOF file: No space left on device\r\n";
    assert_eq!(run(&mut s, T0, &["SET", "b", "1"]), misconf);
    assert_eq!(run(&mut s, T0, &["PING"]), misconf);
    assert_eq!(run(&mut s, T0, &["GET", "a"]), "$1\r\n1\r\n");
    // Turning the log off ends it.
    run(&mut s, T0, &["CONFIG", "SET", "appendonly", "no"]);
    assert_eq!(run(&mut s, T0, &["SET", "b", "2"]), "+OK\r\n");
}

#[test]
fn a_rewrite_or_turning_the_log_on_is_refused_when_its_directory_cannot_be_written() {
    let dir = temp_dir("rewrite-nodir");
    let (_server, mut s) = open(&dir, &[], T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    std::fs::remove_dir_all(&*dir).unwrap();
    assert_eq!(
        run(&mut s, T0, &["BGREWRITEAOF"]),
        "-ERR Can't execute an AOF background rewriting. Please check the server logs for \
         more information.\r\n"
    );
    assert_eq!(
        run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]),
        "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn \
         on AOF. Check server logs.\r\n"
    );
    assert_eq!(
        run(&mut s, T0, &["CONFIG", "GET", "appendonly"]),
        "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
    );
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_enabled:0\r\n"), "{info}");
    assert!(info.contains("aof_last_bgrewrite_status:err\r\n"), "{info}");
    // Once the directory is back, both work.
    std::fs::create_dir_all(&*dir).unwrap();
    assert_eq!(
        run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]),
        "+OK\r\n"
    );
    assert!(run(&mut s, T0, &["INFO", "persistence"]).contains("aof_enabled:1\r\n"));
}

#[test]
fn info_counts_saves_when_they_start_and_shows_their_progress() {
    let dir = temp_dir("progress");
    let (server, mut s) = open(&dir, &[], T0);
    fill(&mut s, 20_000);
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    let field = |info: &str, name: &str| -> String {
        let line = info
            .lines()
            .find(|l| l.starts_with(&format!("{name}:")))
            .unwrap();
        line[name.len() + 1..].to_string()
    };
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert_eq!(field(&info, "rdb_saves"), "1");
    assert_eq!(field(&info, "current_save_keys_total"), "0");
    assert_eq!(
        run(&mut s, T0, &["BGSAVE"]),
        "+Background saving started\r\n"
    );
    // As Redis, which counts a save when it forks: at once, with the keys it will write.
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert_eq!(field(&info, "rdb_saves"), "2");
    assert_eq!(field(&info, "current_save_keys_total"), "20000");
    let processed: u64 = field(&info, "current_save_keys_processed").parse().unwrap();
    let percent: f64 = field(&info, "current_fork_perc").parse().unwrap();
    assert!((percent - processed as f64 / 200.0).abs() < 0.01, "{info}");
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert_eq!(field(&info, "rdb_saves"), "2");
    assert_eq!(field(&info, "current_save_keys_total"), "0");
    assert_eq!(field(&info, "current_fork_perc"), "0.00");
}

#[test]
fn debug_reload_and_loadaof_give_back_the_same_data() {
    let dir = temp_dir("debug-reload");
    let (server, mut s) = open(&dir, &["appendonly yes", "enable-debug-command yes"], T0);
    fill(&mut s, 2_000);
    run(&mut s, T0, &["SET", "soon", "x", "PX", "5000"]);
    let digest = run(&mut s, T0, &["DEBUG", "DIGEST"]);
    let expected = dump(&server, T0);
    assert_eq!(run(&mut s, T0, &["DEBUG", "RELOAD"]), "+OK\r\n");
    assert_eq!(run(&mut s, T0, &["DEBUG", "DIGEST"]), digest);
    assert_eq!(dump(&server, T0), expected);
    // The log replays to the same data, and nothing it loads is logged twice.
    let log_size = std::fs::metadata(incr_path(&dir)).unwrap().len();
    assert_eq!(run(&mut s, T0, &["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(run(&mut s, T0, &["DEBUG", "DIGEST"]), digest);
    run(&mut s, T0, &["DEBUG", "LOADAOF"]);
    assert_eq!(dump(&server, T0), expected);
    assert_eq!(std::fs::metadata(incr_path(&dir)).unwrap().len(), log_size);
    // Writes after it are logged again (in the right database).
    run(&mut s, T0, &["SELECT", "2"]);
    run(&mut s, T0, &["SET", "after", "1"]);
    run(&mut s, T0, &["DEBUG", "LOADAOF"]);
    assert_eq!(run(&mut s, T0, &["GET", "after"]), "$1\r\n1\r\n");
    // A key whose deadline passed is gone after a reload, as after a restart.
    run(&mut s, T0, &["SELECT", "0"]);
    run(&mut s, T0 + 6_000, &["DEBUG", "RELOAD", "NOSAVE"]);
    assert_eq!(run(&mut s, T0 + 6_000, &["EXISTS", "soon"]), ":0\r\n");
    assert_eq!(
        run(&mut s, T0, &["DEBUG", "RELOAD", "NOPE"]),
        "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
}

#[test]
fn debug_loadaof_reads_the_log_a_rewrite_wrote_with_the_log_off() {
    // Redis's own test of "the same dataset digest when saving and reloading as AOF".
    let dir = temp_dir("debug-loadaof-off");
    let (server, mut s) = open(&dir, &["enable-debug-command yes"], T0);
    fill(&mut s, 1_000);
    // No log file yet: an error, and the data stays.
    assert!(run(&mut s, T0, &["DEBUG", "LOADAOF"]).starts_with("-ERR"));
    assert_eq!(run(&mut s, T0, &["DBSIZE"]), ":1000\r\n");
    let digest = run(&mut s, T0, &["DEBUG", "DIGEST"]);
    run(&mut s, T0, &["BGREWRITEAOF"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    run(&mut s, T0, &["FLUSHALL"]);
    assert_eq!(run(&mut s, T0, &["DEBUG", "LOADAOF"]), "+OK\r\n");
    assert_eq!(run(&mut s, T0, &["DEBUG", "DIGEST"]), digest);
}

#[test]
fn a_killed_job_is_gone_at_once_and_the_next_one_starts() {
    // As Redis kills its child: turning the log off during a rewrite, or FLUSHALL during a
    // background save, leaves no job in progress (Redis's aofrw.tcl starts the next rewrite
    // right away).
    let dir = temp_dir("kill-job");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    fill(&mut s, 20_000);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    let rewriting = "+Background append only file rewriting started\r\n";
    assert_eq!(run(&mut s, T0, &["BGREWRITEAOF"]), rewriting);
    run(&mut s, T0, &["CONFIG", "SET", "appendonly", "no"]);
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_rewrite_in_progress:0"), "{info}");
    assert_eq!(run(&mut s, T0, &["BGREWRITEAOF"]), rewriting);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    assert!(run(&mut s, T0, &["INFO", "persistence"]).contains("aof_last_bgrewrite_status:ok"));

    let saving = "+Background saving started\r\n";
    assert_eq!(run(&mut s, T0, &["BGSAVE"]), saving);
    run(&mut s, T0, &["FLUSHALL"]);
    assert!(run(&mut s, T0, &["INFO", "persistence"]).contains("rdb_bgsave_in_progress:0"));
    run(&mut s, T0, &["SET", "after", "flush"]);
    assert_eq!(run(&mut s, T0, &["BGSAVE"]), saving);
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    drop((server, s));
    // The snapshot is the second save's: the killed one's late steps did not get into it.
    let (reloaded, _s) = open(&dir, &[], T0);
    let data = dump(&reloaded, T0);
    assert_eq!(data.len(), 1, "{data:?}");
}

#[test]
fn a_killed_job_puts_no_file_in_place() {
    // The kill switch: once killed, a job's rename (or log install) does not happen; before
    // that, it does, and a kill waits for it to finish.
    let abort = crate::persist::Abort::default();
    assert_eq!(abort.commit(|| Ok(1)).unwrap(), 1);
    abort.kill();
    let mut ran = false;
    assert!(abort
        .commit(|| {
            ran = true;
            Ok(())
        })
        .is_err());
    assert!(!ran && abort.is_killed());
}

#[test]
fn debug_reload_noflush_merge_replaces_the_keys_the_snapshot_has() {
    let dir = temp_dir("reload-merge");
    let (_server, mut s) = open(&dir, &["enable-debug-command yes"], T0);
    run(&mut s, T0, &["RPUSH", "l", "a", "b"]);
    run(&mut s, T0, &["SAVE"]);
    run(&mut s, T0, &["RPUSH", "l", "c"]);
    run(&mut s, T0, &["SET", "only-in-memory", "x"]);
    assert_eq!(
        run(
            &mut s,
            T0,
            &["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"]
        ),
        "+OK\r\n"
    );
    assert_eq!(
        run(&mut s, T0, &["LRANGE", "l", "0", "-1"]),
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    assert_eq!(run(&mut s, T0, &["GET", "only-in-memory"]), "$1\r\nx\r\n");
}

#[test]
fn a_rewrite_compacts_the_log_into_a_snapshot_and_the_tail() {
    let dir = temp_dir("rewrite");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    fill(&mut s, 5_000);
    for _ in 0..2_000 {
        run(&mut s, T0, &["INCR", "counter"]);
    }
    let before = log_size(&dir);
    let reply = run(&mut s, T0, &["BGREWRITEAOF"]);
    assert_eq!(reply, "+Background append only file rewriting started\r\n");
    // Logged while the rewrite runs: must end up after the snapshot.
    for i in 0..200 {
        run(&mut s, T0, &["INCR", "counter"]);
        run(&mut s, T0, &["SET", &format!("during:{i}"), "x"]);
    }
    run(&mut s, T0, &["DEL", "key:0"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    assert!(info.contains("aof_rewrites:1"), "{info}");
    run(&mut s, T0, &["SET", "after", "1"]);
    let expected = dump(&server, T0);
    drop(s);
    server.close(T0).unwrap();
    let after = log_size(&dir);
    assert!(after < before, "{after} >= {before}");

    let (reloaded, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(dump(&reloaded, T0), expected);
    assert_eq!(run(&mut s, T0, &["GET", "counter"]), "$4\r\n2200\r\n");
}

#[test]
fn turning_the_log_on_at_run_time_writes_the_data_first() {
    let dir = temp_dir("enable");
    let (server, mut s) = open(&dir, &[], T0);
    fill(&mut s, 1_000);
    run(&mut s, T0, &["SET", "ttl", "v", "PX", "100000"]);
    assert_eq!(
        run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]),
        "+OK\r\n"
    );
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_enabled:1\r\n"), "{info}");
    run(&mut s, T0, &["SET", "while-enabling", "1"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    run(&mut s, T0, &["SET", "after", "1"]);
    let expected = dump(&server, T0);
    drop(s);
    server.close(T0).unwrap();

    let (reloaded, _s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(dump(&reloaded, T0), expected);
}

#[test]
fn save_rules_start_a_background_save_on_the_tick() {
    let dir = temp_dir("rules");
    let mut config = config(&dir, &[]);
    config.apply_text("save \"10 2\"").unwrap();
    let server = Arc::new(Server::open(config, T0).unwrap());
    let mut s = Session::new(server.clone(), None, None, T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    run(&mut s, T0, &["SET", "b", "1"]);
    server.tick(T0 + 5_000);
    let info = run(&mut s, T0 + 5_000, &["INFO", "persistence"]);
    assert!(info.contains("rdb_bgsave_in_progress:0"), "{info}");
    assert!(info.contains("rdb_changes_since_last_save:2"), "{info}");
    let later = T0 + 11_000;
    server.tick(later);
    let info = run(&mut s, later, &["INFO", "persistence"]);
    assert!(info.contains("rdb_bgsave_in_progress:1"), "{info}");
    tick_until(&server, &mut s, later, "rdb_bgsave_in_progress:0");
    let info = run(&mut s, later, &["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    assert!(info.contains("rdb_saves:1"), "{info}");
    assert_eq!(
        run(&mut s, later, &["LASTSAVE"]),
        format!(":{}\r\n", later / 1000)
    );
    assert!(dir.join("dump.rdb").exists());
}

#[test]
fn background_commands_answer_as_redis() {
    let dir = temp_dir("replies");
    let (server, mut s) = open(&dir, &[], T0);
    fill(&mut s, 100);
    let at = |s: &mut Session, args: &[&str]| run(s, T0, args);
    assert_eq!(at(&mut s, &["BGSAVE", "now"]), "-ERR syntax error\r\n");
    for shutdown in [
        &["SHUTDOWN", "SAVE", "NOSAVE"][..],
        &["SHUTDOWN", "ABORT", "NOSAVE"],
    ] {
        assert_eq!(at(&mut s, shutdown), "-ERR syntax error\r\n");
    }
    assert_eq!(at(&mut s, &["BGSAVE"]), "+Background saving started\r\n");
    // Finished or not, a job counts as running until the tick reaps it, as in Redis.
    let busy = "-ERR Background save already in progress\r\n";
    assert_eq!(at(&mut s, &["BGSAVE"]), busy);
    assert_eq!(at(&mut s, &["BGSAVE", "SCHEDULE"]), busy);
    assert_eq!(at(&mut s, &["SAVE"]), busy);
    assert_eq!(
        at(&mut s, &["BGREWRITEAOF"]),
        "+Background append only file rewriting scheduled\r\n"
    );
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:1");
    assert_eq!(
        at(&mut s, &["BGREWRITEAOF"]),
        "-ERR Background append only file rewriting already in progress\r\n"
    );
    assert_eq!(
        at(&mut s, &["BGSAVE"]),
        "-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
         SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n"
    );
    assert_eq!(
        at(&mut s, &["BGSAVE", "SCHEDULE"]),
        "+Background saving scheduled\r\n"
    );
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:1");
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:0");
    at(&mut s, &["MULTI"]);
    at(&mut s, &["BGSAVE"]);
    assert_eq!(
        at(&mut s, &["EXEC"]),
        "*1\r\n+Background saving scheduled\r\n"
    );
    assert_eq!(at(&mut s, &["SAVE"]), "+OK\r\n");
    assert_eq!(at(&mut s, &["LASTSAVE"]), format!(":{}\r\n", T0 / 1000));
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

#[test]
fn with_fsync_always_replies_follow_the_fsync() {
    let dir = temp_dir("always");
    let (server, mut s) = open(&dir, &["appendonly yes", "appendfsync always"], T0);
    let aof = &server.persist.aof;
    run(&mut s, T0, &["GET", "k"]);
    assert_eq!(s.take_log_wait(), None);
    // The reply waits for a write and an fsync, which the connection's pump runs on its own
    // thread once the other ready connections had their turn (`Persist::sync`): one write
    // and one fsync for all of them. When it returns, every write it covers is durable, with
    // no hand-off to another thread.
    run(&mut s, T0, &["SET", "k", "v"]);
    let offset = s.take_log_wait().expect("the reply waits for the fsync");
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    server.persist.sync();
    assert!(log_text(&dir).contains("SET k v"));
    assert!(pin!(aof.durable(offset))
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
    let (appended, durable) = aof.offsets();
    assert!(appended > 0 && durable == appended, "{appended} {durable}");

    // A client waiting for a later offset is answered by the fsync that covers it.
    run(&mut s, T0, &["SET", "k", "w"]);
    let offset = s.take_log_wait().expect("the reply waits for the fsync");
    let mut other = pin!(aof.durable(offset));
    server.persist.sync();
    assert!(other
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
    assert!(aof.offsets().1 >= offset);
    assert!(log_text(&dir).contains("SET k w"));

    // Two connections of one pass: one sync writes and fsyncs for both.
    let mut s2 = Session::new(server.clone(), None, None, T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    run(&mut s2, T0, &["SET", "b", "2"]);
    let (first, second) = (s.take_log_wait().unwrap(), s2.take_log_wait().unwrap());
    server.persist.sync();
    assert!(aof.offsets().1 >= first.max(second));
    let text = log_text(&dir);
    assert!(
        text.contains("SET a 1") && text.contains("SET b 2"),
        "{text}"
    );

    // With everysec, replies do not wait for an fsync, but the write is in the file before
    // the reply exists, as Redis writes the log before replying.
    run(&mut s, T0, &["CONFIG", "SET", "appendfsync", "everysec"]);
    run(&mut s, T0, &["SET", "k", "x"]);
    assert_eq!(s.take_log_wait(), None);
    assert!(log_text(&dir).contains("SET k x"));
}

#[test]
fn flushall_with_save_rules_writes_the_empty_snapshot_at_once() {
    let dir = temp_dir("flushall");
    let mut config = config(&dir, &[]);
    config.apply_text("save \"3600 1\"").unwrap();
    let server = Arc::new(Server::open(config.clone(), T0).unwrap());
    let mut s = Session::new(server.clone(), None, None, T0);
    fill(&mut s, 500);
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    run(&mut s, T0, &["SET", "more", "1"]);
    assert_eq!(
        run(&mut s, T0, &["BGSAVE"]),
        "+Background saving started\r\n"
    );
    assert_eq!(run(&mut s, T0, &["FLUSHALL"]), "+OK\r\n");
    // The empty dataset was saved at once, so nothing is left unsaved (Redis 7.0).
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("rdb_changes_since_last_save:0"), "{info}");
    // The background save it stopped is not a failure.
    tick_until(&server, &mut s, T0, "rdb_bgsave_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    drop((server, s));

    let reloaded = Server::open(config, T0).unwrap();
    assert!(dump(&reloaded, T0).is_empty());
}

#[test]
fn the_log_is_rewritten_once_it_has_doubled() {
    let dir = temp_dir("auto-rewrite");
    let directives = [
        "appendonly yes",
        "auto-aof-rewrite-min-size 4kb",
        "auto-aof-rewrite-percentage 100",
    ];
    let (server, mut s) = open(&dir, &directives, T0);
    for _ in 0..50 {
        run(&mut s, T0, &["INCR", "counter"]);
    }
    server.tick(T0);
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(
        info.contains("aof_rewrite_in_progress:0"),
        "below the minimum size: {info}"
    );
    for _ in 0..200 {
        run(&mut s, T0, &["INCR", "counter"]);
    }
    server.tick(T0);
    // Counted when it starts, as in Redis; then wait for it to end.
    tick_until(&server, &mut s, T0, "aof_rewrites:1");
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    let size = log_size(&dir);
    assert!(size < 1024, "{size}");
    drop(s);
    server.close(T0).unwrap();
    let (reloaded, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(run(&mut s, T0, &["GET", "counter"]), "$3\r\n250\r\n");
    drop(reloaded);
}

/// A clock that moves 2 ms at every reading: whatever is timed takes at least that long.
fn slow_clock() -> u64 {
    static NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NANOS.fetch_add(2_000_000, std::sync::atomic::Ordering::Relaxed)
}

#[test]
fn the_latency_monitor_times_log_writes_and_fsyncs() {
    let dir = temp_dir("latency");
    let directives = [
        "appendonly yes",
        "appendfsync always",
        "latency-monitor-threshold 1",
    ];
    let server = Server::open(config(&dir, &directives), T0).expect("loads");
    let server = Arc::new(server.with_timer(slow_clock));
    let mut s = Session::new(server.clone(), None, None, T0);
    run(&mut s, T0, &["SET", "k", "v"]);
    assert!(s.take_log_wait().is_some());
    s.sync_log();
    let events = server.latency.events();
    let names: Vec<&str> = events.iter().map(|(name, _)| name).collect();
    for event in ["aof-write-alone", "aof-write", "aof-fsync-always"] {
        assert!(names.contains(&event), "{event} in {names:?}");
    }
    assert_eq!(
        events.get(b"aof-write").unwrap().1.latest().time,
        (T0 / 1000) as i64
    );
    drop(events);
    // With another policy, writes are timed where the batch writes them.
    server.latency.events().reset(None);
    run(&mut s, T0, &["CONFIG", "SET", "appendfsync", "everysec"]);
    run(&mut s, T0, &["SET", "k", "w"]);
    let events = server.latency.events();
    assert!(events.get(b"aof-write").is_some());
    assert!(events.get(b"aof-fsync-always").is_none());
}
