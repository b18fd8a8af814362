//! Server configuration as Redis 7.0.15 has it: every parameter it accepts with its default,
//! type, bounds and alias (`params.rs`); the config file and `--directive value` arguments
//! (`file.rs`); CONFIG GET, CONFIG SET with Redis's error texts (`values.rs`), and CONFIG
//! REWRITE (`rewrite.rs`); the settings hot paths copy out of it (`settings.rs`); where the
//! server listens (`listen.rs`).
//!
//! Radish acts on the parameters it has a use for (`port`, `maxmemory`, `save`, `appendonly`,
//! `hz`...); the others are kept, shown and rewritten like Redis, for configuration files,
//! clients and test suites written for Redis.

mod file;
mod listen;
mod params;
mod rewrite;
mod settings;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use params::{Kind, Special, HIDDEN, IMMUTABLE, MULTI_ARG, PARAMS, PROTECTED};
use radish_data::glob::glob_match;
pub(crate) use values::{repr, strtoll};

use crate::error::Error;
pub use listen::{BindAddress, ListenOn};

/// A name CONFIG GET and CONFIG SET know: a parameter's own name or its alias.
#[derive(Debug, Clone, Copy)]
struct Name {
    /// The parameter, in [`PARAMS`].
    index: usize,
    /// This name, in lower case.
    name: &'static str,
}

/// Every name, in CONFIG GET's order: each parameter's own name, then its alias.
fn names() -> impl Iterator<Item = Name> {
    PARAMS.iter().enumerate().flat_map(|(index, param)| {
        std::iter::once(param.name)
            .chain(param.alias)
            .map(move |name| Name { index, name })
    })
}

/// The parameter named `name` (its own name or alias), in any case.
fn lookup(name: &str) -> Option<Name> {
    static BY_NAME: OnceLock<HashMap<&'static str, Name>> = OnceLock::new();
    let table = BY_NAME.get_or_init(|| names().map(|n| (n.name, n)).collect());
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        table.get(name.to_ascii_lowercase().as_str()).copied()
    } else {
        table.get(name).copied()
    }
}

/// The configuration in force: every parameter's current value, as CONFIG GET shows it.
#[derive(Debug, Clone)]
pub struct Config {
    /// One per [`PARAMS`] entry.
    values: Vec<String>,
    /// The config file given at start-up, as an absolute path (INFO's `config_file`, and
    /// what CONFIG REWRITE writes).
    pub config_file: Option<String>,
    /// `rename-command` directives, in order: `(command, new name)`, the new name empty for
    /// a removed command.
    renamed_commands: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        let values = PARAMS
            .iter()
            .map(|param| match param.kind {
                // Like Redis, `dir` starts as the working directory, shown absolute.
                Kind::Special(Special::Dir) => std::env::current_dir()
                    .map(|dir| dir.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| param.default.to_string()),
                _ => param.default.to_string(),
            })
            .collect();
        Config {
            values,
            config_file: None,
            renamed_commands: Vec::new(),
        }
    }
}

impl values::Current for Config {
    fn current(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl Config {
    /// A parameter's value, by its name or alias (`hash-max-ziplist-entries` gives
    /// `hash-max-listpack-entries`'s), in any case; memory sizes are in bytes.
    pub fn get(&self, name: &str) -> Option<&str> {
        lookup(name).map(|n| self.values[n.index].as_str())
    }

    /// `notify-keyspace-events` as flags (see `state/events.rs`).
    pub fn keyspace_events(&self) -> u32 {
        self.get("notify-keyspace-events")
            .and_then(crate::state::events::parse)
            .unwrap_or(0)
    }

    /// A numeric parameter (memory sizes in bytes); 0 if unknown or not a number (a
    /// `maxmemory-clients` percentage, a `maxmemory` beyond `i64::MAX`).
    pub fn get_int(&self, name: &str) -> i64 {
        self.get(name)
            .and_then(|v| parse_memory(v).or_else(|| v.parse().ok()))
            .unwrap_or(0)
    }

    /// A yes/no parameter.
    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == Some("yes")
    }

    /// CONFIG GET: name/value pairs for every parameter matching any of `patterns`, each name
    /// once. As in Redis 7.0, a pattern without `*`, `?` or `[` is looked up as a name (any
    /// case, returned as asked, hidden parameters included); a glob matches names in any case
    /// (aliases listed under their own name too), never hidden parameters.
    pub fn matching(&self, patterns: &[&[u8]]) -> Vec<(String, &str)> {
        let mut found: Vec<(String, &str)> = Vec::new();
        let seen = |found: &[(String, &str)], name: &str| {
            found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                let asked = String::from_utf8_lossy(pattern).into_owned();
                if seen(&found, &asked) {
                    continue;
                }
                if let Some(name) = lookup(&asked) {
                    found.push((asked, &self.values[name.index]));
                }
                continue;
            }
            for name in names() {
                if PARAMS[name.index].has(HIDDEN) || seen(&found, name.name) {
                    continue;
                }
                if glob_match(pattern, name.name.as_bytes(), true) {
                    found.push((name.name.to_string(), &self.values[name.index]));
                }
            }
        }
        found
    }

    /// CONFIG SET from a local client (loopback or Unix socket): see
    /// [`set_many_from`](Config::set_many_from).
    pub fn set_many(&mut self, pairs: &[(Bytes, Bytes)]) -> Result<(), Error> {
        self.set_many_from(pairs, true)
    }

    /// CONFIG SET for several `name value` pairs, all or nothing, with Redis 7.0's checks in
    /// its order and its error texts: unknown names, immutable and protected parameters
    /// (`dir`, `dbfilename`: refused unless `enable-protected-configs` is `yes`, or `local`
    /// and `local_client`), a name given twice, then each value. A value for a parameter
    /// taking several arguments (`save`) is split on spaces.
    pub fn set_many_from(
        &mut self,
        pairs: &[(Bytes, Bytes)],
        local_client: bool,
    ) -> Result<(), Error> {
        let protected_allowed = match self.get("enable-protected-configs") {
            Some("yes") => true,
            Some("local") => local_client,
            _ => false,
        };
        let failed = |name: &str, why: &str| {
            Error::Message(format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        };
        // First every name, as Redis does before looking at any value.
        let mut targets: Vec<Name> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let asked = String::from_utf8_lossy(name);
            let Some(target) = lookup(&asked) else {
                return Err(Error::Message(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{asked}'"
                )));
            };
            let param = &PARAMS[target.index];
            if param.has(IMMUTABLE) {
                return Err(failed(&asked, "can't set immutable config"));
            }
            if param.has(PROTECTED) && !protected_allowed {
                return Err(failed(&asked, "can't set protected config"));
            }
            // A parameter and its alias are two names to Redis, so both may be set at once.
            if targets.iter().any(|t| t.name == target.name) {
                return Err(failed(&asked, "duplicate parameter"));
            }
            targets.push(target);
        }
        let mut updated = self.clone();
        for (target, (_, value)) in targets.iter().zip(pairs) {
            let value = String::from_utf8_lossy(value).into_owned();
            let args: Vec<String> = if !PARAMS[target.index].has(MULTI_ARG) {
                vec![value]
            } else if value.is_empty() {
                Vec::new()
            } else {
                value.split(' ').map(str::to_string).collect()
            };
            updated
                .set_param(target.index, &args, false)
                .map_err(|why| failed(target.name, &why))?;
        }
        *self = updated;
        Ok(())
    }

    /// Sets parameter `index` from its arguments; see [`values::parse`].
    fn set_param(
        &mut self,
        index: usize,
        args: &[String],
        append_save: bool,
    ) -> Result<(), String> {
        let value = values::parse(self, &PARAMS[index], args, append_save)?;
        self.values[index] = value;
        Ok(())
    }

    /// The `rename-command` directives read at start-up, in order: `(command, new name)`,
    /// where an empty new name removes the command. The server applies them to what clients
    /// send (`commands::Renames`).
    pub fn renamed_commands(&self) -> &[(String, String)] {
        &self.renamed_commands
    }

    /// The address to listen on, from `port` and the first address of `bind`
    /// (`bind 127.0.0.1 -::1` gives `127.0.0.1:6379`; a leading `-` marks an optional
    /// address; `*` is every IPv4 interface and `::*` every IPv6 one; IPv6 addresses are
    /// bracketed): where a client on this host can reach the server. The server itself
    /// listens on every address ([`listen_on`](Config::listen_on)).
    pub fn listen_address(&self) -> String {
        let port = self.get_int("port");
        let first = self
            .get("bind")
            .unwrap_or("")
            .split_whitespace()
            .next()
            .unwrap_or("127.0.0.1");
        let addr = match first.trim_start_matches('-') {
            "*" => "0.0.0.0",
            "::*" => "::",
            addr => addr,
        };
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
/// `k` is 1000 and `kb` is 1024. `None` for anything else, negative numbers and sizes beyond
/// `i64::MAX`.
pub fn parse_memory(text: &str) -> Option<i64> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '-') {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let multiplier = i64::try_from(values::unit_multiplier(unit)?).ok()?;
    let value: i64 = digits.parse().ok()?;
    if value < 0 {
        return None;
    }
    value.checked_mul(multiplier)
}
