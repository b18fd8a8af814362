//! Server configuration: defaults, the config file and `--directive value` arguments (Redis's
//! conventions), and CONFIG GET / SET.

use bytes::Bytes;

use crate::error::Error;
use crate::glob::glob_match;

/// What values a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Memory,
    Enum(&'static [&'static str]),
    Text,
    /// `save`: pairs of `<seconds> <changes>`, or empty.
    SavePoints,
    /// `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` groups.
    OutputLimits,
}

struct Param {
    name: &'static str,
    default: &'static str,
    kind: Kind,
    /// False for what can only be set at start-up (`databases`).
    mutable: bool,
}

const fn param(name: &'static str, default: &'static str, kind: Kind) -> Param {
    Param {
        name,
        default,
        kind,
        mutable: true,
    }
}

/// `maxmemory-policy` values, in the order Redis lists them in its error.
const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

/// Every parameter radish knows, in CONFIG GET's order.
const PARAMS: &[Param] = &[
    param("bind", "127.0.0.1", Kind::Text),
    param("port", "6379", Kind::Int { min: 0, max: 65535 }),
    param("protected-mode", "yes", Kind::Bool),
    param("requirepass", "", Kind::Text),
    Param {
        name: "databases",
        default: "16",
        kind: Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        mutable: false,
    },
    param(
        "maxclients",
        "10000",
        Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
    ),
    param(
        "timeout",
        "0",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
    ),
    param(
        "tcp-keepalive",
        "300",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
    ),
    param("dir", ".", Kind::Text),
    param("dbfilename", "dump.rdb", Kind::Text),
    param("save", "3600 1 300 100 60 10000", Kind::SavePoints),
    param("appendonly", "no", Kind::Bool),
    param("appendfilename", "appendonly.aof", Kind::Text),
    param(
        "appendfsync",
        "everysec",
        Kind::Enum(&["always", "everysec", "no"]),
    ),
    param("aof-load-truncated", "yes", Kind::Bool),
    param(
        "auto-aof-rewrite-percentage",
        "100",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
    ),
    param("auto-aof-rewrite-min-size", "67108864", Kind::Memory),
    param("maxmemory", "0", Kind::Memory),
    param("maxmemory-policy", "noeviction", Kind::Enum(POLICIES)),
    param(
        "maxmemory-samples",
        "5",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
    ),
    param(
        "lfu-log-factor",
        "10",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
    ),
    param(
        "lfu-decay-time",
        "1",
        Kind::Int {
            min: 0,
            max: i32::MAX as i64,
        },
    ),
    param("hz", "10", Kind::Int { min: 1, max: 500 }),
    param(
        "loglevel",
        "notice",
        Kind::Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
    ),
    param("logfile", "", Kind::Text),
    param("daemonize", "no", Kind::Bool),
    param("proto-max-bulk-len", "536870912", Kind::Memory),
    param("client-query-buffer-limit", "1073741824", Kind::Memory),
    param(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        Kind::OutputLimits,
    ),
    param(
        "lua-time-limit",
        "5000",
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
    ),
    param(
        "slowlog-log-slower-than",
        "10000",
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
    ),
    param(
        "slowlog-max-len",
        "128",
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
    ),
    param("notify-keyspace-events", "", Kind::Text),
    param("cluster-enabled", "no", Kind::Bool),
    param("replica-read-only", "yes", Kind::Bool),
    param("io-threads", "1", Kind::Int { min: 1, max: 128 }),
];

/// The configuration in force: every parameter's current value, as text.
#[derive(Debug, Clone)]
pub struct Config {
    values: Vec<String>,
    /// The config file given at start-up, if any (INFO's config_file).
    pub config_file: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: PARAMS.iter().map(|p| p.default.to_string()).collect(),
            config_file: None,
        }
    }
}

impl Config {
    /// Builds a configuration the way redis-server reads its command line: an optional config
    /// file path first, then `--directive value...` arguments, which win over the file.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        let mut args = args.into_iter().peekable();
        let mut config = Config::default();
        let mut text = String::new();
        if let Some(first) = args.peek() {
            if !first.starts_with("--") {
                let path = args.next().unwrap_or_default();
                text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("Fatal error, can't open config file '{path}': {e}"))?;
                config.config_file = Some(path);
            }
        }
        // Like Redis: `--port 6380 --save ""` becomes the lines `port 6380` and `save ""`.
        let mut line = String::new();
        for arg in args {
            if let Some(name) = arg.strip_prefix("--") {
                text.push_str(&line);
                text.push('\n');
                line = name.to_string();
            } else {
                line.push(' ');
                line.push_str(&quote(&arg));
            }
        }
        text.push_str(&line);
        config.apply_text(&text)?;
        Ok(config)
    }

    /// Applies config file text: `directive arg...` lines, `#` comments.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| {
                format!(
                    "*** FATAL CONFIG FILE ERROR ***\nline {}: '{}'\n{}",
                    number + 1,
                    line,
                    why
                )
            };
            let words = radish_resp::split_inline(&Bytes::copy_from_slice(line.as_bytes()))
                .map_err(|_| bad("Unbalanced quotes in configuration line"))?;
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let value = values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            self.set_param(&name, &value).map_err(|e| bad(&e))?;
        }
        Ok(())
    }

    /// A parameter's value, by exact (lower case) name.
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = PARAMS.iter().position(|p| p.name == name)?;
        Some(&self.values[index])
    }

    /// A numeric parameter (memory sizes in bytes); 0 if unset or not a number.
    pub fn get_int(&self, name: &str) -> i64 {
        self.get(name)
            .and_then(|v| parse_memory(v).or_else(|| v.parse().ok()))
            .unwrap_or(0)
    }

    /// A yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }

    /// Name/value pairs of every parameter matching any of the glob `patterns`, each once.
    pub fn matching(&self, patterns: &[Bytes]) -> Vec<(&'static str, &str)> {
        PARAMS
            .iter()
            .zip(&self.values)
            .filter(|(p, _)| {
                patterns
                    .iter()
                    .any(|pat| glob_match(pat, p.name.as_bytes(), true))
            })
            .map(|(p, v)| (p.name, v.as_str()))
            .collect()
    }

    /// CONFIG SET for several `name value` pairs, all or nothing, with Redis's error texts.
    pub fn set_many(&mut self, pairs: &[(Bytes, Bytes)]) -> Result<(), Error> {
        let mut updated = self.clone();
        for (name, value) in pairs {
            let name_text = String::from_utf8_lossy(name).to_ascii_lowercase();
            let value_text = String::from_utf8_lossy(value);
            let Some(param) = PARAMS.iter().find(|p| p.name == name_text) else {
                return Err(Error::Message(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    String::from_utf8_lossy(name)
                )));
            };
            if !param.mutable {
                return Err(Error::Message(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - can't set \
                     immutable config",
                    param.name
                )));
            }
            updated.set_param(&name_text, &value_text).map_err(|why| {
                Error::Message(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                    param.name, why
                ))
            })?;
        }
        *self = updated;
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &str) -> Result<(), String> {
        let Some(index) = PARAMS.iter().position(|p| p.name == name) else {
            return Err("Bad directive or wrong number of arguments".to_string());
        };
        let param = &PARAMS[index];
        let normalised = match param.kind {
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "yes" => "yes".to_string(),
                "no" => "no".to_string(),
                _ => return Err("argument must be 'yes' or 'no'".to_string()),
            },
            Kind::Int { min, max } => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
                if n < min || n > max {
                    return Err(format!(
                        "argument must be between {min} and {max} inclusive"
                    ));
                }
                n.to_string()
            }
            Kind::Memory => parse_memory(value)
                .ok_or_else(|| "argument must be a memory value".to_string())?
                .to_string(),
            Kind::Enum(choices) => {
                let lower = value.to_ascii_lowercase();
                if !choices.contains(&lower.as_str()) {
                    return Err("argument(s) must be one of the following: ".to_string()
                        + &choices.join(", "));
                }
                lower
            }
            Kind::Text => value.to_string(),
            Kind::SavePoints => {
                let words: Vec<&str> = value.split_whitespace().collect();
                if words.len() % 2 != 0 || words.iter().any(|w| w.parse::<u64>().is_err()) {
                    return Err("Invalid save parameters".to_string());
                }
                words.join(" ")
            }
            Kind::OutputLimits => {
                let words: Vec<&str> = value.split_whitespace().collect();
                if words.len() % 4 != 0 {
                    return Err(
                        "Wrong number of arguments in buffer limit configuration.".to_string()
                    );
                }
                let mut current: Vec<String> = self.values[index]
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                for group in words.chunks(4) {
                    let class = match group[0].to_ascii_lowercase().as_str() {
                        "normal" => "normal",
                        "slave" | "replica" => "slave",
                        "pubsub" => "pubsub",
                        _ => {
                            return Err("Invalid client class specified in buffer limit \
                                         configuration."
                                .to_string())
                        }
                    };
                    let hard = parse_memory(group[1]);
                    let soft = parse_memory(group[2]);
                    let seconds = group[3].parse::<u64>().ok();
                    let (Some(hard), Some(soft), Some(seconds)) = (hard, soft, seconds) else {
                        return Err("Error in hard, soft or soft_seconds setting in buffer \
                                    limit configuration."
                            .to_string());
                    };
                    if let Some(at) = current.iter().position(|w| w == class) {
                        current[at + 1] = hard.to_string();
                        current[at + 2] = soft.to_string();
                        current[at + 3] = seconds.to_string();
                    }
                }
                current.join(" ")
            }
        };
        self.values[index] = normalised;
        Ok(())
    }

    /// The address to listen on, from `port` and the first address of `bind`
    /// (`bind 127.0.0.1 -::1` gives `127.0.0.1:6379`; a leading `-` marks an optional
    /// address; IPv6 addresses are bracketed). Only the first address is bound for now.
    pub fn listen_address(&self) -> String {
        let port = self.get_int("port");
        let first = self
            .get("bind")
            .unwrap_or("127.0.0.1")
            .split_whitespace()
            .next()
            .unwrap_or("127.0.0.1");
        let addr = first.trim_start_matches('-');
        if addr.contains(':') {
            format!("[{addr}]:{port}")
        } else {
            format!("{addr}:{port}")
        }
    }

    /// The `save` rules as `(seconds, changes)` pairs.
    pub fn save_points(&self) -> Vec<(u64, u64)> {
        let words: Vec<u64> = self
            .get("save")
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        words.chunks(2).map(|p| (p[0], p[1])).collect()
    }
}

/// Redis's memory sizes: a number with an optional `k kb m mb g gb` suffix (any case);
/// `k` is 1000 and `kb` is 1024.
pub fn parse_memory(text: &str) -> Option<i64> {
    let lower = text.to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit() && c != '-') {
        Some(at) => lower.split_at(at),
        None => (lower.as_str(), ""),
    };
    let multiplier: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let value: i64 = digits.parse().ok()?;
    if value < 0 {
        return None;
    }
    value.checked_mul(multiplier)
}

/// Quotes an argument so that `split_inline` gives it back whole.
fn quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn bad_directives_are_fatal() {
        assert!(Config::from_args(args(&["--port", "nope"])).is_err());
        assert!(Config::from_args(args(&["--no-such-thing", "1"])).is_err());
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
    }
}
