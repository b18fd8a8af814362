//! The limits that keep one client from hurting the rest, as the configuration sets them:
//! `maxclients`, protected mode, `timeout` and `client-output-buffer-limit`.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::state::config::Config;

/// Redis's per-client static reply buffer (16 KiB): output that fits in it is not output
/// buffer memory, so small `client-output-buffer-limit`s do not close clients for ordinary
/// replies. Output that does not fit counts whole (Redis counts what goes to its reply
/// list, where a reply of unknown length such as KEYS's goes entirely).
pub const REPLY_BUFFER: usize = 16 * 1024;

/// Output buffer memory for `pending` bytes of unsent output: see [`REPLY_BUFFER`].
pub fn output_buffer_usage(pending: usize) -> usize {
    if pending <= REPLY_BUFFER {
        0
    } else {
        pending
    }
}

/// What a connection gets when `maxclients` clients are already connected.
pub const MAX_CLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

/// What a connection from another host gets in protected mode (Redis 7.0's exact text).
pub const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because \
protected mode is enabled and no password is set for the default user. In this mode \
connections are only accepted from the loopback interface. If you want to connect from \
external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface \
by connecting to Redis from the same host the server is running, however MAKE SURE Redis is \
not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change \
permanent. 2) Alternatively you can just disable the protected mode by editing the Redis \
configuration file, and setting the protected mode option to 'no', and then restarting the \
server. 3) If you started the server manually just for testing, restart it with the \
'--protected-mode no' option. 4) Setup a an authentication password for the default user. \
NOTE: You only need to do one of the above things in order for the server to start accepting \
connections from the outside.\r\n";

/// True if protected mode turns away a connection from `peer`: it is on, the default user has
/// no password, and the peer is not on the loopback interface (an unknown peer, such as a
/// Unix socket's, is local).
pub fn protected_mode_refuses(config: &Config, peer: Option<SocketAddr>) -> bool {
    let loopback = peer.map_or(true, |addr| match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    });
    config.get_bool("protected-mode")
        && config.get("requirepass").unwrap_or("").is_empty()
        && !loopback
}

/// The client settings read on hot paths (every accept, every command, every tick), copied
/// out of the configuration at start-up and after CONFIG SET.
#[derive(Debug)]
pub struct ClientLimits {
    maxclients: AtomicU64,
    /// `maxmemory-clients` in bytes (a percentage resolved against `maxmemory`); 0: off.
    max_client_memory: AtomicU64,
    timeout_seconds: AtomicU64,
    normal: [AtomicU64; 3],
    pubsub: [AtomicU64; 3],
}

impl Default for ClientLimits {
    fn default() -> Self {
        let limits = ClientLimits {
            maxclients: AtomicU64::new(0),
            max_client_memory: AtomicU64::new(0),
            timeout_seconds: AtomicU64::new(0),
            normal: Default::default(),
            pubsub: Default::default(),
        };
        limits.load(&Config::default());
        limits
    }
}

impl ClientLimits {
    /// Copies the settings from `config`.
    pub fn load(&self, config: &Config) {
        let store = |to: &AtomicU64, value: i64| to.store(value.max(0) as u64, Ordering::Relaxed);
        store(&self.maxclients, config.get_int("maxclients"));
        let client_memory = match config.get("maxmemory-clients") {
            Some(value) if value.ends_with('%') => {
                let percent: i64 = value.trim_end_matches('%').parse().unwrap_or(0);
                config.get_int("maxmemory").saturating_mul(percent) / 100
            }
            _ => config.get_int("maxmemory-clients"),
        };
        store(&self.max_client_memory, client_memory);
        store(&self.timeout_seconds, config.get_int("timeout"));
        let classes = config.get("client-output-buffer-limit").unwrap_or("");
        for (class, to) in [("normal", &self.normal), ("pubsub", &self.pubsub)] {
            let limit = OutputLimit::from_config(classes, class);
            to[0].store(limit.hard, Ordering::Relaxed);
            to[1].store(limit.soft, Ordering::Relaxed);
            to[2].store(limit.soft_seconds, Ordering::Relaxed);
        }
    }

    /// `maxclients`.
    /// `maxmemory-clients` in bytes (a percentage resolved against `maxmemory`); 0 for none.
    pub fn max_client_memory(&self) -> u64 {
        self.max_client_memory.load(Ordering::Relaxed)
    }

    pub fn maxclients(&self) -> usize {
        self.maxclients.load(Ordering::Relaxed) as usize
    }

    /// `timeout`, in seconds; 0 when idle clients stay.
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout_seconds.load(Ordering::Relaxed)
    }

    /// The output buffer limit of the `pubsub` class (subscribed clients) or the `normal` one.
    pub fn output(&self, pubsub: bool) -> OutputLimit {
        let from = if pubsub { &self.pubsub } else { &self.normal };
        OutputLimit {
            hard: from[0].load(Ordering::Relaxed),
            soft: from[1].load(Ordering::Relaxed),
            soft_seconds: from[2].load(Ordering::Relaxed),
        }
    }
}

/// A client class's output limits: disconnect past `hard` bytes, or past `soft` bytes for
/// longer than `soft_seconds` (0 disables a limit), as Redis's `client-output-buffer-limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    /// Bytes that disconnect at once.
    pub hard: u64,
    /// Bytes that disconnect if exceeded for `soft_seconds`.
    pub soft: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

impl OutputLimit {
    /// Reads the limits for `class` (`normal`, `pubsub`) from the config value.
    pub fn from_config(value: &str, class: &str) -> OutputLimit {
        let words: Vec<&str> = value.split_whitespace().collect();
        for group in words.chunks(4) {
            if group.len() == 4 && group[0] == class {
                let number = |w: &str| w.parse::<u64>().unwrap_or(0);
                return OutputLimit {
                    hard: number(group[1]),
                    soft: number(group[2]),
                    soft_seconds: number(group[3]),
                };
            }
        }
        OutputLimit {
            hard: 0,
            soft: 0,
            soft_seconds: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_peers_pass_protected_mode() {
        let config = Config::default();
        let refuses =
            |addr: &str| protected_mode_refuses(&config, Some(addr.parse().expect("addr")));
        assert!(!refuses("127.0.0.1:1"));
        assert!(!refuses("[::1]:1"));
        assert!(refuses("192.0.2.2:1"));
        assert!(refuses("[fd00::2]:1"));
        assert!(!protected_mode_refuses(&config, None));
    }
}
