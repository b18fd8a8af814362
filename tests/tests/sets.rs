//! Set scenarios with the `redis` crate, on both runtimes, in RESP2 and RESP3.

use std::collections::HashSet;

use radish_tests::scenario::everywhere;
use redis::{Connection, RedisResult, Value};

fn members(con: &mut Connection, key: &str) -> RedisResult<HashSet<String>> {
    redis::cmd("SMEMBERS").arg(key).query(con)
}

fn strings(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn sadd(con: &mut Connection, key: &str, items: &[&str]) -> RedisResult<i64> {
    redis::cmd("SADD").arg(key).arg(items).query(con)
}

/// A social graph: who follows whom, mutual friends, suggestions, and stored results.
#[test]
fn social_graph() {
    everywhere(|con, protocol| {
        assert_eq!(sadd(con, "follows:ann", &["bob", "cat", "dan", "eve"])?, 4);
        assert_eq!(sadd(con, "follows:bob", &["ann", "cat", "eve", "fay"])?, 4);
        assert_eq!(sadd(con, "follows:cat", &["eve"])?, 1);
        assert_eq!(
            sadd(con, "follows:ann", &["bob", "gus"])?,
            1,
            "bob is there"
        );

        let is: bool = redis::cmd("SISMEMBER")
            .arg(&["follows:ann", "gus"])
            .query(con)?;
        assert!(is);
        let which: Vec<bool> = redis::cmd("SMISMEMBER")
            .arg(&["follows:ann", "bob", "zed", "eve"])
            .query(con)?;
        assert_eq!(which, [true, false, true]);
        let count: i64 = redis::cmd("SCARD").arg("follows:ann").query(con)?;
        assert_eq!(count, 5);

        let mutual: HashSet<String> = redis::cmd("SINTER")
            .arg(&["follows:ann", "follows:bob"])
            .query(con)?;
        assert_eq!(mutual, strings(&["cat", "eve"]));
        let all_three: HashSet<String> = redis::cmd("SINTER")
            .arg(&["follows:ann", "follows:bob", "follows:cat"])
            .query(con)?;
        assert_eq!(all_three, strings(&["eve"]));
        let card: i64 = redis::cmd("SINTERCARD")
            .arg(&["2", "follows:ann", "follows:bob"])
            .query(con)?;
        assert_eq!(card, 2);
        let limited: i64 = redis::cmd("SINTERCARD")
            .arg(&["2", "follows:ann", "follows:bob", "LIMIT", "1"])
            .query(con)?;
        assert_eq!(limited, 1);

        let reach: HashSet<String> = redis::cmd("SUNION")
            .arg(&["follows:ann", "follows:bob"])
            .query(con)?;
        assert_eq!(
            reach,
            strings(&["ann", "bob", "cat", "dan", "eve", "fay", "gus"])
        );
        let suggestions: HashSet<String> = redis::cmd("SDIFF")
            .arg(&["follows:bob", "follows:ann"])
            .query(con)?;
        assert_eq!(suggestions, strings(&["ann", "fay"]));

        // SMEMBERS is a set in RESP3, an array in RESP2.
        let raw: Value = redis::cmd("SMEMBERS").arg("follows:cat").query(con)?;
        match (protocol, &raw) {
            ("resp3", Value::Set(items)) | ("resp2", Value::Array(items)) => {
                assert_eq!(items.len(), 1)
            }
            _ => panic!("{protocol}: unexpected SMEMBERS reply {raw:?}"),
        }

        let stored: i64 = redis::cmd("SINTERSTORE")
            .arg(&["mutual", "follows:ann", "follows:bob"])
            .query(con)?;
        assert_eq!(stored, 2);
        assert_eq!(members(con, "mutual")?, strings(&["cat", "eve"]));
        let stored: i64 = redis::cmd("SUNIONSTORE")
            .arg(&["reach", "follows:cat", "missing"])
            .query(con)?;
        assert_eq!(stored, 1);
        let stored: i64 = redis::cmd("SDIFFSTORE")
            .arg(&["mutual", "follows:cat", "follows:ann"])
            .query(con)?;
        assert_eq!(stored, 0);
        let exists: bool = redis::cmd("EXISTS").arg("mutual").query(con)?;
        assert!(!exists, "an empty result deletes the destination");

        let removed: i64 = redis::cmd("SREM")
            .arg(&["follows:cat", "eve", "nobody"])
            .query(con)?;
        assert_eq!(removed, 1);
        let exists: bool = redis::cmd("EXISTS").arg("follows:cat").query(con)?;
        assert!(!exists, "an emptied set is deleted");

        redis::cmd("SET").arg(&["plain", "x"]).exec(con)?;
        let err = redis::cmd("SINTER")
            .arg(&["follows:ann", "plain"])
            .query::<HashSet<String>>(con)
            .expect_err("wrong type");
        assert_eq!(err.code(), Some("WRONGTYPE"));
        Ok(())
    });
}

/// A raffle: tickets drawn with SPOP and SRANDMEMBER, winners moved with SMOVE.
#[test]
fn raffle() {
    everywhere(|con, _| {
        let tickets: Vec<String> = (1..=50).map(|i| i.to_string()).collect();
        let added: i64 = redis::cmd("SADD").arg("tickets").arg(&tickets).query(con)?;
        assert_eq!(added, 50);
        // Integers only: Redis keeps an intset, which lists its members in ascending order.
        let encoding: String = redis::cmd("OBJECT")
            .arg(&["ENCODING", "tickets"])
            .query(con)?;
        assert_eq!(encoding, "intset");
        let sorted: Vec<i64> = redis::cmd("SMEMBERS").arg("tickets").query(con)?;
        assert_eq!(sorted, (1..=50).collect::<Vec<i64>>());

        let peek: Vec<String> = redis::cmd("SRANDMEMBER")
            .arg(&["tickets", "5"])
            .query(con)?;
        assert_eq!(peek.iter().collect::<HashSet<_>>().len(), 5, "distinct");
        let with_repeats: Vec<String> = redis::cmd("SRANDMEMBER")
            .arg(&["tickets", "-80"])
            .query(con)?;
        assert_eq!(with_repeats.len(), 80);
        let count: i64 = redis::cmd("SCARD").arg("tickets").query(con)?;
        assert_eq!(count, 50, "SRANDMEMBER removes nothing");

        let winner: String = redis::cmd("SPOP").arg("tickets").query(con)?;
        let runners_up: HashSet<String> = redis::cmd("SPOP").arg(&["tickets", "3"]).query(con)?;
        assert_eq!(runners_up.len(), 3);
        assert!(!runners_up.contains(&winner));
        let drawn: HashSet<String> = runners_up.iter().cloned().chain([winner.clone()]).collect();
        let left = members(con, "tickets")?;
        assert_eq!(left.len(), 46);
        assert!(left.is_disjoint(&drawn));
        let everyone: HashSet<String> = tickets.iter().cloned().collect();
        assert_eq!(
            left.union(&drawn).cloned().collect::<HashSet<_>>(),
            everyone
        );

        let moved: bool = redis::cmd("SMOVE")
            .arg("tickets")
            .arg("spare")
            .arg(left.iter().next().expect("a ticket"))
            .query(con)?;
        assert!(moved);
        let moved: bool = redis::cmd("SMOVE")
            .arg("tickets")
            .arg("spare")
            .arg(&winner)
            .query(con)?;
        assert!(!moved, "the winner's ticket is gone");

        let rest: HashSet<String> = redis::cmd("SPOP").arg(&["tickets", "1000"]).query(con)?;
        assert_eq!(rest.len(), 45);
        let exists: bool = redis::cmd("EXISTS").arg("tickets").query(con)?;
        assert!(!exists, "popping everything deletes the set");
        let none: Option<String> = redis::cmd("SPOP").arg("tickets").query(con)?;
        assert_eq!(none, None);
        let err = redis::cmd("SPOP")
            .arg(&["spare", "-1"])
            .query::<HashSet<String>>(con)
            .expect_err("negative count");
        assert!(err.to_string().contains("must be positive"), "{err}");
        Ok(())
    });
}

/// Scanning a large set while members are removed and added: every member present for the
/// whole scan is returned.
#[test]
fn scan_while_changing() {
    everywhere(|con, _| {
        let members_in: Vec<String> = (0..3000).map(|i| format!("m{i}")).collect();
        redis::cmd("SADD").arg("big").arg(&members_in).exec(con)?;
        let mut seen = HashSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let (next, items): (String, Vec<String>) = redis::cmd("SSCAN")
                .arg("big")
                .arg(&cursor)
                .arg(&["COUNT", "40"])
                .query(con)?;
            seen.extend(items);
            calls += 1;
            redis::cmd("SREM")
                .arg("big")
                .arg(format!("m{}", calls * 11))
                .exec(con)?;
            redis::cmd("SPOP").arg("big").exec(con)?;
            redis::cmd("SADD")
                .arg("big")
                .arg(format!("new{calls}"))
                .exec(con)?;
            cursor = next;
            if cursor == "0" {
                break;
            }
            assert!(calls < 1000, "the scan never ended");
        }
        let remaining = members(con, "big")?;
        let mut checked = 0;
        for member in &members_in {
            if remaining.contains(member) {
                assert!(seen.contains(member), "{member} missed");
                checked += 1;
            }
        }
        assert!(checked > 2000, "only {checked} members left to check");

        // An intset is returned whole in one call, sorted, with MATCH applied.
        redis::cmd("SADD")
            .arg("small")
            .arg(&[5, 12, 1, 10])
            .exec(con)?;
        let (cursor, items): (String, Vec<i64>) = redis::cmd("SSCAN")
            .arg(&["small", "0", "MATCH", "1*", "COUNT", "1"])
            .query(con)?;
        assert_eq!(cursor, "0");
        assert_eq!(items, [1, 10, 12]);
        Ok(())
    });
}
