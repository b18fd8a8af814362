//! Hash scenarios with the `redis` crate, on both runtimes, in RESP2 and RESP3.

use std::collections::{HashMap, HashSet};

use radish_tests::scenario::everywhere;
use redis::{Connection, RedisResult, Value};

fn hgetall(con: &mut Connection, key: &str) -> RedisResult<HashMap<String, String>> {
    redis::cmd("HGETALL").arg(key).query(con)
}

/// The text of a bulk string (or a RESP3 simple string) reply element.
fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// User profiles: fields set, read, counted, incremented and removed.
#[test]
fn user_profiles() {
    everywhere(|con, _| {
        let created: i64 = redis::cmd("HSET")
            .arg("user:1")
            .arg(&["name", "Ada", "lang", "en", "visits", "0"])
            .query(con)?;
        assert_eq!(created, 3);
        let created: i64 = redis::cmd("HSET")
            .arg("user:1")
            .arg(&["lang", "fr", "city", "Paris"])
            .query(con)?;
        assert_eq!(created, 1, "only city is new");

        let name: Option<String> = redis::cmd("HGET").arg(&["user:1", "name"]).query(con)?;
        assert_eq!(name.as_deref(), Some("Ada"));
        let missing: Option<String> = redis::cmd("HGET").arg(&["user:1", "age"]).query(con)?;
        assert_eq!(missing, None);
        let some: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(&["user:1", "lang", "age", "city"])
            .query(con)?;
        assert_eq!(some, [Some("fr".into()), None, Some("Paris".into())]);

        let profile = hgetall(con, "user:1")?;
        let expected: HashMap<String, String> = [
            ("name", "Ada"),
            ("lang", "fr"),
            ("visits", "0"),
            ("city", "Paris"),
        ]
        .into_iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
        assert_eq!(profile, expected);
        // A small hash answers in insertion order, as Redis's listpack does.
        let fields: Vec<String> = redis::cmd("HKEYS").arg("user:1").query(con)?;
        assert_eq!(fields, ["name", "lang", "visits", "city"]);
        let values: Vec<String> = redis::cmd("HVALS").arg("user:1").query(con)?;
        assert_eq!(values, ["Ada", "fr", "0", "Paris"]);

        for expected in 1..=3 {
            let visits: i64 = redis::cmd("HINCRBY")
                .arg(&["user:1", "visits", "1"])
                .query(con)?;
            assert_eq!(visits, expected);
        }
        let balance: String = redis::cmd("HINCRBYFLOAT")
            .arg(&["user:1", "balance", "10.5"])
            .query(con)?;
        assert_eq!(balance, "10.5");
        let balance: String = redis::cmd("HINCRBYFLOAT")
            .arg(&["user:1", "balance", "-0.25"])
            .query(con)?;
        assert_eq!(balance, "10.25");
        let err = redis::cmd("HINCRBY")
            .arg(&["user:1", "name", "1"])
            .query::<i64>(con)
            .expect_err("name is not a number");
        assert!(
            err.to_string().contains("hash value is not an integer"),
            "{err}"
        );

        let set: bool = redis::cmd("HSETNX")
            .arg(&["user:1", "name", "Grace"])
            .query(con)?;
        assert!(!set, "HSETNX keeps an existing field");
        let set: bool = redis::cmd("HSETNX")
            .arg(&["user:1", "email", "ada@example.com"])
            .query(con)?;
        assert!(set);
        let len: i64 = redis::cmd("HSTRLEN").arg(&["user:1", "email"]).query(con)?;
        assert_eq!(len, 15);
        let exists: bool = redis::cmd("HEXISTS").arg(&["user:1", "email"]).query(con)?;
        assert!(exists);
        let count: i64 = redis::cmd("HLEN").arg("user:1").query(con)?;
        assert_eq!(count, 6);

        let deleted: i64 = redis::cmd("HDEL")
            .arg(&["user:1", "email", "balance", "nope"])
            .query(con)?;
        assert_eq!(deleted, 2);
        let deleted: i64 = redis::cmd("HDEL")
            .arg(&["user:1", "name", "lang", "visits", "city"])
            .query(con)?;
        assert_eq!(deleted, 4);
        let exists: bool = redis::cmd("EXISTS").arg("user:1").query(con)?;
        assert!(!exists, "an emptied hash is deleted");
        assert!(hgetall(con, "user:1")?.is_empty());

        redis::cmd("SET").arg(&["plain", "x"]).exec(con)?;
        let err = redis::cmd("HGET")
            .arg(&["plain", "f"])
            .query::<Option<String>>(con)
            .expect_err("wrong type");
        assert_eq!(err.code(), Some("WRONGTYPE"));
        Ok(())
    });
}

/// Feature flags picked at random: HRANDFIELD's counts and its reply shape in each protocol.
#[test]
fn random_fields() {
    everywhere(|con, protocol| {
        let flags = [
            ("dark", "on"),
            ("beta", "off"),
            ("fast", "on"),
            ("new", "off"),
        ];
        for (flag, state) in flags {
            redis::cmd("HSET")
                .arg("flags")
                .arg(flag)
                .arg(state)
                .exec(con)?;
        }
        let all: HashMap<&str, &str> = flags.into_iter().collect();

        let one: String = redis::cmd("HRANDFIELD").arg("flags").query(con)?;
        assert!(all.contains_key(one.as_str()));
        let none: Option<String> = redis::cmd("HRANDFIELD").arg("missing").query(con)?;
        assert_eq!(none, None);

        let distinct: Vec<String> = redis::cmd("HRANDFIELD").arg(&["flags", "3"]).query(con)?;
        assert_eq!(distinct.len(), 3);
        assert_eq!(distinct.iter().collect::<HashSet<_>>().len(), 3);
        assert!(distinct.iter().all(|f| all.contains_key(f.as_str())));

        let everything: Vec<String> = redis::cmd("HRANDFIELD").arg(&["flags", "10"]).query(con)?;
        assert_eq!(everything, ["dark", "beta", "fast", "new"]);

        let repeated: Vec<String> = redis::cmd("HRANDFIELD").arg(&["flags", "-20"]).query(con)?;
        assert_eq!(repeated.len(), 20);
        assert!(repeated.iter().all(|f| all.contains_key(f.as_str())));

        // WITHVALUES: a flat array in RESP2, [field, value] pairs in RESP3.
        let reply: Value = redis::cmd("HRANDFIELD")
            .arg(&["flags", "-5", "WITHVALUES"])
            .query(con)?;
        let Value::Array(items) = reply else {
            panic!("expected an array, got {reply:?}");
        };
        let pairs: Vec<(String, String)> = if protocol == "resp3" {
            items
                .iter()
                .map(|pair| match pair {
                    Value::Array(pair) if pair.len() == 2 => (text(&pair[0]), text(&pair[1])),
                    other => panic!("expected a pair, got {other:?}"),
                })
                .collect()
        } else {
            assert_eq!(items.len() % 2, 0);
            items
                .chunks(2)
                .map(|pair| (text(&pair[0]), text(&pair[1])))
                .collect()
        };
        assert_eq!(pairs.len(), 5);
        for (field, value) in pairs {
            assert_eq!(all.get(field.as_str()), Some(&value.as_str()));
        }
        Ok(())
    });
}

/// Scanning a large hash while it changes: every field present for the whole scan is
/// returned; a small hash comes back in one call.
#[test]
fn scan_while_changing() {
    everywhere(|con, _| {
        redis::cmd("HSET")
            .arg(&["small", "a", "1", "b", "2", "c", "3"])
            .exec(con)?;
        let (cursor, items): (String, Vec<String>) = redis::cmd("HSCAN")
            .arg(&["small", "0", "COUNT", "1"])
            .query(con)?;
        assert_eq!(cursor, "0");
        assert_eq!(items, ["a", "1", "b", "2", "c", "3"]);

        let mut pipe = redis::pipe();
        for i in 0..2000 {
            pipe.cmd("HSET")
                .arg("big")
                .arg(format!("field:{i}"))
                .arg(i)
                .ignore();
        }
        pipe.exec(con)?;
        let encoding: String = redis::cmd("OBJECT").arg(&["ENCODING", "big"]).query(con)?;
        assert_eq!(encoding, "hashtable");

        let mut seen = HashMap::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let (next, items): (String, Vec<String>) = redis::cmd("HSCAN")
                .arg("big")
                .arg(&cursor)
                .arg(&["COUNT", "50"])
                .query(con)?;
            for pair in items.chunks(2) {
                seen.insert(pair[0].clone(), pair[1].clone());
            }
            // Churn between calls: delete fields (both already seen and not yet seen) and
            // add new ones.
            calls += 1;
            redis::cmd("HDEL")
                .arg("big")
                .arg(format!("field:{}", calls * 7))
                .arg(format!("field:{}", 1999 - calls * 3))
                .exec(con)?;
            redis::cmd("HSET")
                .arg("big")
                .arg(format!("added:{calls}"))
                .arg("x")
                .exec(con)?;
            cursor = next;
            if cursor == "0" {
                break;
            }
            assert!(calls < 1000, "the scan never ended");
        }
        let remaining: HashMap<String, String> = hgetall(con, "big")?;
        for i in 0..2000 {
            let field = format!("field:{i}");
            if remaining.contains_key(&field) {
                assert_eq!(seen.get(&field), Some(&i.to_string()), "{field} missed");
            }
        }

        let (_, matched): (String, Vec<String>) = redis::cmd("HSCAN")
            .arg(&["big", "0", "MATCH", "added:*", "COUNT", "100000"])
            .query(con)?;
        assert_eq!(matched.len() / 2, calls);
        assert!(matched
            .chunks(2)
            .all(|p| p[0].starts_with("added:") && p[1] == "x"));
        Ok(())
    });
}
