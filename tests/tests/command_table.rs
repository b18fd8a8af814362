//! Every command record checked against what redis-server 7.0 reports for the same command:
//! COMMAND INFO whole (arity, flags, first/last/step key, ACL categories, tips, key specs),
//! COMMAND DOCS's summary, version and group, and the members of each ACL category. The
//! table cannot drift from Redis without this failing.

use radish_resp::Frame;
use radish_tests::{RawClient, RedisServer, Runtime};

/// What radish answers that Redis 7.0 does not have: CLIENT SETINFO (7.2), which clients
/// send when they connect.
const NEWER_THAN_7_0: &[&str] = &["client|setinfo"];

/// A RESP3 connection, so that sets and maps keep their types.
fn resp3(addr: std::net::SocketAddr) -> RawClient {
    let mut client = RawClient::connect(addr);
    let Frame::Map(_) = client.cmd(&["HELLO", "3"]) else {
        panic!("HELLO 3 refused");
    };
    client
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::BulkString(b) | Frame::SimpleString(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

fn elements(frame: Frame) -> Vec<Frame> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items,
        other => panic!("not an aggregate: {other:?}"),
    }
}

/// COMMAND INFO's entry for one command, with its subcommands apart: Redis lists them in the
/// order of its hash table, radish in its table's; each is checked on its own.
fn info(client: &mut RawClient, name: &str) -> Option<(Vec<Frame>, Vec<String>)> {
    let mut reply = elements(client.cmd(&["COMMAND", "INFO", name]));
    assert_eq!(reply.len(), 1, "{name}");
    let entry = reply.pop().expect("one entry");
    if matches!(entry, Frame::Null | Frame::NullArray) {
        return None;
    }
    let mut fields = elements(entry);
    assert_eq!(fields.len(), 10, "{name}");
    let subcommands = fields.pop().expect("ten fields");
    let names = elements(subcommands)
        .into_iter()
        .map(|sub| text(&elements(sub)[0]))
        .collect();
    Some((fields, names))
}

/// COMMAND DOCS's summary, since and group for `name`.
fn docs(client: &mut RawClient, name: &str) -> Vec<(String, String)> {
    let Frame::Map(mut reply) = client.cmd(&["COMMAND", "DOCS", name]) else {
        panic!("COMMAND DOCS {name}: not a map");
    };
    let (_, Frame::Map(fields)) = reply.pop().expect("one command") else {
        panic!("COMMAND DOCS {name}: no map");
    };
    fields
        .into_iter()
        .filter(|(key, _)| ["summary", "since", "group"].contains(&text(key).as_str()))
        .map(|(key, value)| (text(&key), text(&value)))
        .collect()
}

#[test]
fn every_record_is_what_redis_7_0_reports() {
    let redis = RedisServer::start();
    let radish = Runtime::Tokio.start();
    let mut theirs = resp3(redis.addr);
    let mut ours = resp3(radish.addr);
    let names: Vec<String> = elements(ours.cmd(&["COMMAND", "LIST"]))
        .iter()
        .map(text)
        .collect();
    assert!(names.len() > 200, "COMMAND LIST has {} names", names.len());
    let mut differences = Vec::new();
    let mut newer = Vec::new();
    for name in &names {
        let Some((redis_info, redis_subs)) = info(&mut theirs, name) else {
            newer.push(name.clone());
            continue;
        };
        let (radish_info, mut radish_subs) = info(&mut ours, name).expect("listed");
        if radish_info != redis_info {
            differences.push(format!(
                "{name}: COMMAND INFO\n  radish {radish_info:?}\n  redis  {redis_info:?}"
            ));
        }
        // Every subcommand radish has is Redis's (the others are checked on their own).
        radish_subs.retain(|sub| !NEWER_THAN_7_0.contains(&sub.as_str()));
        if let Some(missing) = radish_subs.iter().find(|sub| !redis_subs.contains(sub)) {
            differences.push(format!("{name}: subcommand {missing} is not Redis's"));
        }
        let (radish_docs, redis_docs) = (docs(&mut ours, name), docs(&mut theirs, name));
        if radish_docs != redis_docs {
            differences.push(format!(
                "{name}: COMMAND DOCS\n  radish {radish_docs:?}\n  redis  {redis_docs:?}"
            ));
        }
    }
    assert_eq!(newer, NEWER_THAN_7_0, "commands Redis 7.0 does not have");
    assert!(
        differences.is_empty(),
        "{} records differ from redis-server:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

#[test]
fn every_acl_category_holds_what_redis_puts_in_it_of_radish_s_commands() {
    let redis = RedisServer::start();
    let radish = Runtime::Smol.start();
    let mut theirs = RawClient::connect(redis.addr);
    let mut ours = RawClient::connect(radish.addr);
    let categories = ours.cmd(&["ACL", "CAT"]);
    assert_eq!(categories, theirs.cmd(&["ACL", "CAT"]));
    let ours_all: Vec<String> = elements(ours.cmd(&["COMMAND", "LIST"]))
        .iter()
        .map(text)
        .collect();
    for category in elements(categories).iter().map(text) {
        let members = |client: &mut RawClient| -> Vec<String> {
            let mut names: Vec<String> = elements(client.cmd(&["ACL", "CAT", &category]))
                .iter()
                .map(text)
                .collect();
            names.sort();
            names
        };
        let mut expected = members(&mut theirs);
        expected.retain(|name| ours_all.contains(name));
        let mut got = members(&mut ours);
        got.retain(|name| !NEWER_THAN_7_0.contains(&name.as_str()));
        assert_eq!(got, expected, "@{category}");
    }
}
