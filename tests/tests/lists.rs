//! List scenarios with the `redis` crate, on both runtimes, in RESP2 and RESP3.

use std::thread;
use std::time::{Duration, Instant};

use radish_tests::scenario::everywhere_with_server as everywhere;
use redis::{Connection, RedisResult};

fn range(con: &mut Connection, key: &str) -> RedisResult<Vec<String>> {
    redis::cmd("LRANGE").arg(key).arg(0).arg(-1).query(con)
}

/// A reliable work queue: producers RPUSH, a worker moves each job to a processing list with
/// LMOVE, acknowledges it with LREM, and a crashed worker's jobs are requeued.
#[test]
fn reliable_queue() {
    everywhere(|con, _, _| {
        let pushed: i64 = redis::cmd("RPUSH")
            .arg("jobs")
            .arg(&["job1", "job2", "job3"])
            .query(con)?;
        assert_eq!(pushed, 3);
        let job: Option<String> = redis::cmd("LMOVE")
            .arg(&["jobs", "processing", "LEFT", "RIGHT"])
            .query(con)?;
        assert_eq!(job.as_deref(), Some("job1"));
        let job: Option<String> = redis::cmd("LMOVE")
            .arg(&["jobs", "processing", "LEFT", "RIGHT"])
            .query(con)?;
        assert_eq!(job.as_deref(), Some("job2"));
        assert_eq!(range(con, "processing")?, ["job1", "job2"]);

        let acked: i64 = redis::cmd("LREM")
            .arg("processing")
            .arg(1)
            .arg("job1")
            .query(con)?;
        assert_eq!(acked, 1);

        // The worker dies: its unacknowledged job goes back to the front of the queue.
        let requeued: Option<String> = redis::cmd("RPOPLPUSH")
            .arg(&["processing", "jobs"])
            .query(con)?;
        assert_eq!(requeued.as_deref(), Some("job2"));
        let exists: bool = redis::cmd("EXISTS").arg("processing").query(con)?;
        assert!(!exists, "an emptied list is deleted");
        assert_eq!(range(con, "jobs")?, ["job2", "job3"]);

        // Drain with the blocking form: data is there, so it answers at once.
        let (key, job): (String, String) = redis::cmd("BLPOP").arg("jobs").arg(1).query(con)?;
        assert_eq!((key.as_str(), job.as_str()), ("jobs", "job2"));
        let job: Option<String> = redis::cmd("BLMOVE")
            .arg(&["jobs", "done", "LEFT", "LEFT", "1"])
            .query(con)?;
        assert_eq!(job.as_deref(), Some("job3"));
        let len: i64 = redis::cmd("LLEN").arg("jobs").query(con)?;
        assert_eq!(len, 0);
        let nothing: Option<String> = redis::cmd("LMOVE")
            .arg(&["jobs", "processing", "LEFT", "RIGHT"])
            .query(con)?;
        assert_eq!(nothing, None);
        Ok(())
    });
}

/// A capped timeline: newest first, trimmed to a fixed length, read by pages.
#[test]
fn capped_timeline() {
    everywhere(|con, _, _| {
        for i in 1..=20 {
            let _: i64 = redis::cmd("LPUSH")
                .arg("timeline")
                .arg(format!("post{i}"))
                .query(con)?;
            redis::cmd("LTRIM")
                .arg("timeline")
                .arg(0)
                .arg(9)
                .exec(con)?;
        }
        let len: i64 = redis::cmd("LLEN").arg("timeline").query(con)?;
        assert_eq!(len, 10);
        let page: Vec<String> = redis::cmd("LRANGE")
            .arg("timeline")
            .arg(0)
            .arg(2)
            .query(con)?;
        assert_eq!(page, ["post20", "post19", "post18"]);
        let oldest: Option<String> = redis::cmd("LINDEX").arg("timeline").arg(-1).query(con)?;
        assert_eq!(oldest.as_deref(), Some("post11"));
        let beyond: Option<String> = redis::cmd("LINDEX").arg("timeline").arg(10).query(con)?;
        assert_eq!(beyond, None);

        redis::cmd("LSET")
            .arg("timeline")
            .arg(0)
            .arg("edited")
            .exec(con)?;
        let len: i64 = redis::cmd("LINSERT")
            .arg(&["timeline", "AFTER", "edited", "pinned"])
            .query(con)?;
        assert_eq!(len, 11);
        let position: Option<i64> = redis::cmd("LPOS")
            .arg("timeline")
            .arg("pinned")
            .query(con)?;
        assert_eq!(position, Some(1));
        let missing: Option<i64> = redis::cmd("LPOS").arg("timeline").arg("nope").query(con)?;
        assert_eq!(missing, None);
        let not_found: i64 = redis::cmd("LINSERT")
            .arg(&["timeline", "BEFORE", "nope", "x"])
            .query(con)?;
        assert_eq!(not_found, -1);

        let tail: Vec<String> = redis::cmd("RPOP").arg("timeline").arg(3).query(con)?;
        assert_eq!(tail, ["post11", "post12", "post13"]);
        Ok(())
    });
}

/// LPOS with RANK, COUNT and MAXLEN over a list with repeated elements.
#[test]
fn lpos_options() {
    everywhere(|con, _, _| {
        let _: i64 = redis::cmd("RPUSH")
            .arg("letters")
            .arg(&["a", "b", "c", "a", "b", "c", "a"])
            .query(con)?;
        let all: Vec<i64> = redis::cmd("LPOS")
            .arg(&["letters", "a", "COUNT", "0"])
            .query(con)?;
        assert_eq!(all, [0, 3, 6]);
        let from_tail: Vec<i64> = redis::cmd("LPOS")
            .arg(&["letters", "a", "RANK", "-1", "COUNT", "2"])
            .query(con)?;
        assert_eq!(from_tail, [6, 3]);
        let second: Option<i64> = redis::cmd("LPOS")
            .arg(&["letters", "b", "RANK", "2"])
            .query(con)?;
        assert_eq!(second, Some(4));
        let bounded: Vec<i64> = redis::cmd("LPOS")
            .arg(&["letters", "a", "COUNT", "0", "MAXLEN", "4"])
            .query(con)?;
        assert_eq!(bounded, [0, 3]);
        let err = redis::cmd("LPOS")
            .arg(&["letters", "a", "RANK", "0"])
            .query::<Option<i64>>(con)
            .expect_err("RANK 0 is refused");
        assert!(err.to_string().contains("RANK can't be zero"), "{err}");
        Ok(())
    });
}

/// Pops with and without counts, LMPOP over several keys, and the null replies of both
/// protocols (the client maps `$-1`, `*-1` and RESP3 `_` alike to `None`).
#[test]
fn pops_and_nulls() {
    everywhere(|con, _, _| {
        let none: Option<String> = redis::cmd("LPOP").arg("missing").query(con)?;
        assert_eq!(none, None);
        let none: Option<Vec<String>> = redis::cmd("LPOP").arg("missing").arg(2).query(con)?;
        assert_eq!(none, None);

        let _: i64 = redis::cmd("RPUSH")
            .arg("second")
            .arg(&["x", "y", "z"])
            .query(con)?;
        let empty: Option<Vec<String>> = redis::cmd("LPOP").arg("second").arg(0).query(con)?;
        assert_eq!(empty, Some(Vec::new()));
        let (key, popped): (String, Vec<String>) = redis::cmd("LMPOP")
            .arg(&["2", "first", "second", "RIGHT", "COUNT", "2"])
            .query(con)?;
        assert_eq!(key, "second");
        assert_eq!(popped, ["z", "y"]);
        let nothing: Option<(String, Vec<String>)> = redis::cmd("LMPOP")
            .arg(&["1", "first", "LEFT"])
            .query(con)?;
        assert_eq!(nothing, None);
        let (key, popped): (String, Vec<String>) = redis::cmd("BLMPOP")
            .arg(&["0", "2", "first", "second", "LEFT", "COUNT", "5"])
            .query(con)?;
        assert_eq!((key.as_str(), popped), ("second", vec!["x".to_string()]));
        let exists: bool = redis::cmd("EXISTS").arg("second").query(con)?;
        assert!(!exists);
        Ok(())
    });
}

/// Type errors and argument errors reach the client as Redis words them.
#[test]
fn errors() {
    everywhere(|con, _, _| {
        redis::cmd("SET").arg("text").arg("value").exec(con)?;
        let err = redis::cmd("LPUSH")
            .arg("text")
            .arg("x")
            .query::<i64>(con)
            .expect_err("LPUSH on a string");
        assert_eq!(err.code(), Some("WRONGTYPE"));
        let _: i64 = redis::cmd("RPUSH").arg("list").arg("a").query(con)?;
        let err = redis::cmd("LMOVE")
            .arg(&["list", "text", "LEFT", "LEFT"])
            .query::<Option<String>>(con)
            .expect_err("LMOVE into a string");
        assert_eq!(err.code(), Some("WRONGTYPE"));
        // Nothing moved: the type check comes before the pop.
        assert_eq!(range(con, "list")?, ["a"]);
        let err = redis::cmd("LSET")
            .arg(&["list", "5", "x"])
            .query::<()>(con)
            .expect_err("LSET out of range");
        assert!(err.to_string().contains("index out of range"), "{err}");
        let err = redis::cmd("BLPOP")
            .arg(&["list", "-1"])
            .query::<()>(con)
            .expect_err("negative timeout");
        assert!(err.to_string().contains("timeout is negative"), "{err}");
        Ok(())
    });
}

/// A consumer blocked on an empty list is served by another connection's push, and a
/// blocked pop with a short timeout gives up with a null.
#[test]
fn blocking_pop_is_woken_by_a_push() {
    everywhere(|con, server, protocol| {
        let timed_out: Option<(String, String)> =
            redis::cmd("BLPOP").arg("empty").arg(0.05).query(con)?;
        assert_eq!(timed_out, None);
        let timed_out: Option<String> = redis::cmd("BLMOVE")
            .arg(&["empty", "dst", "LEFT", "LEFT", "0.05"])
            .query(con)?;
        assert_eq!(timed_out, None);

        let url = format!("redis://{}/?protocol={protocol}", server.addr);
        let producer = thread::spawn(move || -> RedisResult<()> {
            let mut con = redis::Client::open(url)?.get_connection()?;
            thread::sleep(Duration::from_millis(100));
            let _: i64 = redis::cmd("RPUSH")
                .arg("tasks")
                .arg("wake-up")
                .query(&mut con)?;
            Ok(())
        });
        let started = Instant::now();
        let served: Option<(String, String)> = redis::cmd("BRPOP")
            .arg("other")
            .arg("tasks")
            .arg(5)
            .query(con)?;
        producer.join().expect("producer thread")?;
        assert_eq!(served, Some(("tasks".to_string(), "wake-up".to_string())));
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "woken by the push"
        );
        let exists: bool = redis::cmd("EXISTS").arg("tasks").query(con)?;
        assert!(!exists, "the served element was popped");
        Ok(())
    });
}
