//! Sorted set scenarios with the `redis` crate, on both runtimes, in RESP2 and RESP3.

use radish_tests::scenario::everywhere;
use redis::Value;

/// Members with scores, from any WITHSCORES-style reply (flat in RESP2, pairs in RESP3).
fn with_scores(value: Value) -> Vec<(String, f64)> {
    let Value::Array(items) = value else {
        panic!("expected an array, got {value:?}");
    };
    let mut out = Vec::new();
    let mut flat = Vec::new();
    for item in items {
        match item {
            Value::Array(pair) => {
                let [member, score] = <[Value; 2]>::try_from(pair).expect("a pair");
                out.push((text(&member), number(&score)));
            }
            other => flat.push(other),
        }
    }
    for pair in flat.chunks(2) {
        out.push((text(&pair[0]), number(&pair[1])));
    }
    out
}

fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Double(d) => *d,
        other => text(other).parse().expect("a float"),
    }
}

fn pairs(items: &[(&str, f64)]) -> Vec<(String, f64)> {
    items.iter().map(|(m, s)| (m.to_string(), *s)).collect()
}

/// A game leaderboard: scores added and incremented, the top of the board read back,
/// ranks, counts by score, and the board trimmed to its best entries.
#[test]
fn leaderboard() {
    everywhere(|con, _| {
        let added: i64 = redis::cmd("ZADD")
            .arg("board")
            .arg(&["100", "ada", "80", "bob", "95", "cy", "80", "al"])
            .query(con)?;
        assert_eq!(added, 4);
        let score: f64 = redis::cmd("ZINCRBY")
            .arg(&["board", "25", "bob"])
            .query(con)?;
        assert_eq!(score, 105.0);
        let changed: i64 = redis::cmd("ZADD")
            .arg(&["board", "GT", "CH", "90", "ada", "120", "cy", "50", "dee"])
            .query(con)?;
        assert_eq!(
            changed, 2,
            "cy raised and dee added; ada kept her better score"
        );

        let top = with_scores(
            redis::cmd("ZRANGE")
                .arg(&["board", "0", "2", "REV", "WITHSCORES"])
                .query(con)?,
        );
        assert_eq!(top, pairs(&[("cy", 120.0), ("bob", 105.0), ("ada", 100.0)]));
        let rank: Option<i64> = redis::cmd("ZREVRANK").arg(&["board", "ada"]).query(con)?;
        assert_eq!(rank, Some(2));
        let rank: Option<i64> = redis::cmd("ZRANK").arg(&["board", "al"]).query(con)?;
        assert_eq!(rank, Some(1), "dee is last");
        let rank: Option<i64> = redis::cmd("ZRANK").arg(&["board", "nobody"]).query(con)?;
        assert_eq!(rank, None);
        let count: i64 = redis::cmd("ZCOUNT")
            .arg(&["board", "(80", "+inf"])
            .query(con)?;
        assert_eq!(count, 3);
        let page: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(&["board", "-inf", "+inf", "LIMIT", "1", "2"])
            .query(con)?;
        assert_eq!(page, ["al", "ada"]);
        let scores: Vec<Option<f64>> = redis::cmd("ZMSCORE")
            .arg(&["board", "al", "zed", "dee"])
            .query(con)?;
        assert_eq!(scores, [Some(80.0), None, Some(50.0)]);

        // Keep the best three only.
        let removed: i64 = redis::cmd("ZREMRANGEBYRANK")
            .arg(&["board", "0", "-4"])
            .query(con)?;
        assert_eq!(removed, 2);
        let card: i64 = redis::cmd("ZCARD").arg("board").query(con)?;
        assert_eq!(card, 3);
        let left: Vec<String> = redis::cmd("ZRANGE").arg(&["board", "0", "-1"]).query(con)?;
        assert_eq!(left, ["ada", "bob", "cy"]);
        Ok(())
    });
}

/// A delayed job queue: jobs scheduled by due time, the due ones fetched and popped, a
/// worker popping with ZMPOP and BZPOPMIN, and the key gone once the queue drains.
#[test]
fn delayed_job_queue() {
    everywhere(|con, protocol| {
        for (due, job) in [
            (1700, "email"),
            (1500, "resize"),
            (1600, "report"),
            (9000, "later"),
        ] {
            let added: i64 = redis::cmd("ZADD")
                .arg("jobs")
                .arg(due)
                .arg(job)
                .query(con)?;
            assert_eq!(added, 1);
        }
        let due: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(&["jobs", "-inf", "1650"])
            .query(con)?;
        assert_eq!(due, ["resize", "report"]);

        let first = with_scores(redis::cmd("ZPOPMIN").arg("jobs").query(con)?);
        assert_eq!(first, pairs(&[("resize", 1500.0)]));
        let popped: Value = redis::cmd("ZMPOP")
            .arg(&["2", "nothing", "jobs", "MIN", "COUNT", "2"])
            .query(con)?;
        let Value::Array(parts) = popped else {
            panic!("{protocol}: ZMPOP gave {popped:?}");
        };
        assert_eq!(text(&parts[0]), "jobs");
        assert_eq!(
            with_scores(parts[1].clone()),
            pairs(&[("report", 1600.0), ("email", 1700.0)])
        );

        let last: Vec<Value> = redis::cmd("BZPOPMIN")
            .arg(&["nothing", "jobs", "1"])
            .query(con)?;
        assert_eq!(last.len(), 3);
        assert_eq!(text(&last[0]), "jobs");
        assert_eq!(text(&last[1]), "later");
        assert_eq!(number(&last[2]), 9000.0);
        let exists: i64 = redis::cmd("EXISTS").arg("jobs").query(con)?;
        assert_eq!(exists, 0, "an emptied sorted set is deleted");
        let none: Value = redis::cmd("ZMPOP").arg(&["1", "jobs", "MIN"]).query(con)?;
        assert_eq!(none, Value::Nil);
        Ok(())
    });
}

/// Combining sets: weighted unions, intersections with plain sets as inputs, differences,
/// and stored results.
#[test]
fn combining_sets() {
    everywhere(|con, _| {
        redis::cmd("ZADD")
            .arg(&["week1", "10", "ada", "20", "bob", "5", "cy"])
            .exec(con)?;
        redis::cmd("ZADD")
            .arg(&["week2", "1", "bob", "7", "cy", "3", "dee"])
            .exec(con)?;
        redis::cmd("SADD").arg(&["staff", "bob", "dee"]).exec(con)?;

        let total: i64 = redis::cmd("ZUNIONSTORE")
            .arg(&["total", "2", "week1", "week2", "WEIGHTS", "1", "2"])
            .query(con)?;
        assert_eq!(total, 4);
        let totals = with_scores(
            redis::cmd("ZRANGE")
                .arg(&["total", "0", "-1", "WITHSCORES"])
                .query(con)?,
        );
        assert_eq!(
            totals,
            pairs(&[("dee", 6.0), ("ada", 10.0), ("cy", 19.0), ("bob", 22.0)])
        );

        let best = with_scores(
            redis::cmd("ZINTER")
                .arg(&["2", "week1", "week2", "AGGREGATE", "MAX", "WITHSCORES"])
                .query(con)?,
        );
        assert_eq!(best, pairs(&[("cy", 7.0), ("bob", 20.0)]));
        let staff = with_scores(
            redis::cmd("ZINTER")
                .arg(&["2", "total", "staff", "WITHSCORES"])
                .query(con)?,
        );
        assert_eq!(
            staff,
            pairs(&[("dee", 7.0), ("bob", 23.0)]),
            "set members score 1"
        );
        let only_first: Vec<String> = redis::cmd("ZDIFF")
            .arg(&["2", "week1", "week2"])
            .query(con)?;
        assert_eq!(only_first, ["ada"]);
        let count: i64 = redis::cmd("ZINTERCARD")
            .arg(&["3", "week1", "week2", "staff"])
            .query(con)?;
        assert_eq!(count, 1);
        let stored: i64 = redis::cmd("ZDIFFSTORE")
            .arg(&["total", "2", "staff", "week1"])
            .query(con)?;
        assert_eq!(stored, 1);
        let left = with_scores(
            redis::cmd("ZRANGE")
                .arg(&["total", "0", "-1", "WITHSCORES"])
                .query(con)?,
        );
        assert_eq!(left, pairs(&[("dee", 1.0)]));
        Ok(())
    });
}

/// Autocomplete over equal scores with lexicographic ranges.
#[test]
fn autocomplete_by_lex_range() {
    everywhere(|con, _| {
        let words = [
            "apple", "apply", "apricot", "banana", "band", "bandana", "can",
        ];
        for word in words {
            redis::cmd("ZADD").arg("words").arg(0).arg(word).exec(con)?;
        }
        let ap: Vec<String> = redis::cmd("ZRANGEBYLEX")
            .arg(&["words", "[ap", "(aq"])
            .query(con)?;
        assert_eq!(ap, ["apple", "apply", "apricot"]);
        let band: Vec<String> = redis::cmd("ZRANGE")
            .arg(&["words", "[band", "(bane", "BYLEX", "LIMIT", "0", "1"])
            .query(con)?;
        assert_eq!(band, ["band"]);
        let backwards: Vec<String> = redis::cmd("ZREVRANGEBYLEX")
            .arg(&["words", "(c", "[b"])
            .query(con)?;
        assert_eq!(backwards, ["bandana", "band", "banana"]);
        let count: i64 = redis::cmd("ZLEXCOUNT")
            .arg(&["words", "-", "+"])
            .query(con)?;
        assert_eq!(count, 7);
        let removed: i64 = redis::cmd("ZREMRANGEBYLEX")
            .arg(&["words", "[b", "(c"])
            .query(con)?;
        assert_eq!(removed, 3);
        let err = redis::cmd("ZRANGEBYLEX")
            .arg(&["words", "b", "c"])
            .query::<Value>(con);
        let err = err.expect_err("a lex bound needs [ or (");
        assert!(
            err.to_string()
                .contains("min or max not valid string range item"),
            "{err}"
        );
        Ok(())
    });
}

/// Scores travel as Redis 7.0 prints them: `%.17g` text in RESP2, a double in RESP3.
#[test]
fn scores_as_redis_prints_them() {
    everywhere(|con, protocol| {
        redis::cmd("ZADD")
            .arg(&["z", "0.1", "a", "1e20", "b", "inf", "c", "3.0", "d"])
            .exec(con)?;
        let raw: Value = redis::cmd("ZSCORE").arg(&["z", "a"]).query(con)?;
        match protocol {
            "resp3" => assert_eq!(raw, Value::Double(0.1)),
            _ => assert_eq!(raw, Value::BulkString(b"0.10000000000000001".to_vec())),
        }
        let big: f64 = redis::cmd("ZSCORE").arg(&["z", "b"]).query(con)?;
        assert_eq!(big, 1e20);
        let infinite: f64 = redis::cmd("ZSCORE").arg(&["z", "c"]).query(con)?;
        assert_eq!(infinite, f64::INFINITY);
        let whole: Value = redis::cmd("ZSCORE").arg(&["z", "d"]).query(con)?;
        if protocol == "resp2" {
            assert_eq!(whole, Value::BulkString(b"3".to_vec()));
        }
        let err = redis::cmd("ZINCRBY")
            .arg(&["z", "-inf", "c"])
            .query::<Value>(con);
        let err = err.expect_err("inf - inf is NaN");
        assert!(
            err.to_string().contains("resulting score is not a number"),
            "{err}"
        );
        let err = redis::cmd("ZADD")
            .arg(&["z", "nan", "e"])
            .query::<Value>(con);
        assert!(err.is_err());
        let scan: (String, Vec<String>) = redis::cmd("ZSCAN")
            .arg(&["z", "0", "MATCH", "a"])
            .query(con)?;
        assert_eq!(
            scan,
            (
                "0".to_string(),
                vec!["a".into(), "0.10000000000000001".into()]
            )
        );
        Ok(())
    });
}
