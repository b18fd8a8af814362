//! Unit tests of the parameter table and the parsers; the behaviour as seen from outside is
//! tested in `store/core/tests/config.rs`.

use super::params::{Kind, Special, PARAMS};
use super::values::{memtoull, repr, strtoll};
use super::*;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn command_line_directives_override_defaults() {
    let config = Config::from_args(args(&[
        "--port",
        "7000",
        "--save",
        "",
        "--requirepass",
        "a b",
    ]))
    .unwrap();
    assert_eq!(config.get("port"), Some("7000"));
    assert_eq!(config.get("save"), Some(""));
    assert_eq!(config.get("requirepass"), Some("a b"));
    assert_eq!(config.get("bind"), Some("127.0.0.1"));
    assert_eq!(config.listen_address(), "127.0.0.1:7000");
    let ipv6 = Config::from_args(args(&["--bind", "-::1 127.0.0.1"])).unwrap();
    assert_eq!(ipv6.listen_address(), "[::1]:6379");
    let every = Config::from_args(args(&["--bind", "*", "-::*"])).unwrap();
    assert_eq!(every.get("bind"), Some("* -::*"));
    assert_eq!(every.listen_address(), "0.0.0.0:6379");
    let on = every.listen_on();
    assert_eq!(on.port, 6379);
    assert_eq!(on.backlog, 511);
    let hosts: Vec<(&str, bool, bool)> = on
        .addresses
        .iter()
        .map(|a| (a.host.as_str(), a.optional, a.is_ipv6()))
        .collect();
    assert_eq!(hosts, [("*", false, false), ("::*", true, true)]);
    assert!(!on.is_nothing());
    let nowhere = Config::from_args(args(&["--bind", ""])).unwrap();
    assert!(nowhere.listen_on().is_nothing());
    let no_port = Config::from_args(args(&["--port", "0"])).unwrap();
    assert!(no_port.listen_on().is_nothing());
}

#[test]
fn command_line_quirks_follow_redis() {
    // `--save` followed by another option, or last, means `save ""`.
    let config = Config::from_args(args(&["--save", "--port", "7001"])).unwrap();
    assert_eq!(config.get("save"), Some(""));
    assert_eq!(config.get("port"), Some("7001"));
    let config = Config::from_args(args(&["--port", "7001", "--save"])).unwrap();
    assert_eq!(config.get("save"), Some(""));
    // A name and its value in one argument.
    let config = Config::from_args(args(&["--port 7002"])).unwrap();
    assert_eq!(config.get("port"), Some("7002"));
    // Right after a bare `--name`, an argument starting with `--` is its value.
    let config = Config::from_args(args(&["--requirepass", "--secret"])).unwrap();
    assert_eq!(config.get("requirepass"), Some("--secret"));
    // Several arguments for a multi-argument parameter, or one holding them all.
    let config = Config::from_args(args(&["--save", "900", "1", "--save", "60 2"])).unwrap();
    assert_eq!(config.get("save"), Some("900 1 60 2"));
    assert!(Config::from_args(args(&["--sentinel"])).is_err());
}

#[test]
fn bad_directives_are_fatal_with_redis_text() {
    let error = Config::from_args(args(&["--port", "nope"])).unwrap_err();
    assert!(
        error.contains("argument couldn't be parsed into an integer"),
        "{error}"
    );
    let mut config = Config::default();
    let error = config
        .apply_text("port 6379\nno-such-thing 1\n")
        .unwrap_err();
    assert_eq!(
        error,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at \
         line 2\n>>> 'no-such-thing 1'\nBad directive or wrong number of arguments"
    );
    let error = Config::default().apply_text("port 1 2").unwrap_err();
    assert!(error.ends_with("\nwrong number of arguments"), "{error}");
    let error = Config::default().apply_text("requirepass \"x").unwrap_err();
    assert!(
        error.ends_with("\nUnbalanced quotes in configuration line"),
        "{error}"
    );
    for refused in [
        "loadmodule /x.so",
        "user alice on >pw",
        "sentinel monitor m 127.0.0.1 6379 2",
        "tls-port 6380",
        "aclfile /etc/users.acl",
        "mymodule.option 1",
        "replicaof 127.0.0.1 6379",
    ] {
        assert!(Config::default().apply_text(refused).is_err(), "{refused}");
    }
    // Deprecated directives and a bare `sentinel` are accepted and ignored.
    Config::default()
        .apply_text("list-max-ziplist-entries 512\nlua-replicate-commands yes\nsentinel")
        .unwrap();
}

#[test]
fn config_set_is_all_or_nothing() {
    let mut config = Config::default();
    let pairs = vec![
        (Bytes::from("maxmemory"), Bytes::from("10mb")),
        (Bytes::from("port"), Bytes::from("x")),
    ];
    assert!(config.set_many(&pairs).is_err());
    assert_eq!(config.get("maxmemory"), Some("0"));
    config.set_many(&pairs[..1]).unwrap();
    assert_eq!(config.get_int("maxmemory"), 10 * 1024 * 1024);
}

#[test]
fn memory_units() {
    assert_eq!(parse_memory("1k"), Some(1000));
    assert_eq!(parse_memory("1KB"), Some(1024));
    assert_eq!(parse_memory("2gb"), Some(2 * 1024 * 1024 * 1024));
    assert_eq!(parse_memory("x"), None);
    // Redis's memtoull: no digits is 0, overflow saturates, `-` is refused.
    assert_eq!(memtoull(""), Some(0));
    assert_eq!(memtoull("007"), Some(7));
    assert_eq!(memtoull("1Mb"), Some(1024 * 1024));
    assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
    assert_eq!(memtoull("-1"), None);
    assert_eq!(memtoull("1 kb"), None);
}

#[test]
fn strtoll_reads_like_c() {
    assert_eq!(strtoll(" -12x", 10), (-12, false, "x"));
    assert_eq!(strtoll("", 10), (0, false, ""));
    assert_eq!(strtoll("abc", 10), (0, false, "abc"));
    assert_eq!(strtoll("777", 8), (511, false, ""));
    assert_eq!(strtoll("99999999999999999999", 10), (i64::MAX, true, ""));
}

#[test]
fn every_default_is_a_valid_value_shown_as_itself() {
    let config = Config::default();
    for (index, param) in PARAMS.iter().enumerate() {
        if matches!(param.kind, Kind::Special(Special::Dir)) {
            continue;
        }
        let value = param.default.to_string();
        let split = if param.name == "replicaof" {
            // No master: what `replicaof no one` sets.
            args(&["no", "one"])
        } else if param.has(params::MULTI_ARG) && !value.is_empty() {
            value.split(' ').map(str::to_string).collect()
        } else if param.has(params::MULTI_ARG) {
            Vec::new()
        } else {
            vec![value.clone()]
        };
        let mut copy = config.clone();
        copy.set_param(index, &split, false)
            .unwrap_or_else(|e| panic!("{}: {e}", param.name));
        assert_eq!(copy.values[index], param.default, "{}", param.name);
    }
}

#[test]
fn names_are_unique_and_lower_case() {
    let all: Vec<&str> = names().map(|n| n.name).collect();
    for (i, name) in all.iter().enumerate() {
        assert_eq!(*name, name.to_ascii_lowercase());
        assert!(!all[..i].contains(name), "{name} twice");
    }
    // 173 parameters CONFIG GET * lists, 5 hidden ones, 19 aliases.
    assert_eq!(PARAMS.len(), 178);
    assert_eq!(all.len(), 178 + 19);
}

#[test]
fn repr_round_trips_through_the_line_splitter() {
    for text in [
        "",
        "plain",
        "a b",
        "quote\"back\\slash",
        "new\nline\ttab",
        "é\u{1}",
    ] {
        let line = format!("x {}", repr(text));
        let words = radish_resp::split_inline(&Bytes::from(line)).unwrap();
        assert_eq!(words[1], text.as_bytes(), "{text:?}");
    }
}

#[test]
fn save_lines_add_up_as_in_redis() {
    // Checked against redis-server 7.0.15: the first `save` line of a load replaces the
    // defaults, later ones add rules, `save ""` clears them, a bare `save` adds nothing.
    let mut config = Config::default();
    config
        .apply_text("save 900 1\nsave \"\"\nsave 300 10\nsave\n")
        .unwrap();
    assert_eq!(config.get("save"), Some("300 10"));
    // CONFIG SET replaces them.
    config
        .set_many(&[(Bytes::from("save"), Bytes::from("60 5"))])
        .unwrap();
    assert_eq!(config.get("save"), Some("60 5"));
}
