//! Where the server listens for TCP clients, as `bind`, `port` and `tcp-backlog` say: what the
//! pump binds at start and again when CONFIG SET changes `port` or `bind` (see
//! `Server::set_listen`).

use super::Config;

/// The TCP listening sockets the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenOn {
    /// `bind`'s addresses, in order. Empty: no TCP listening at all (`bind ""`).
    pub addresses: Vec<BindAddress>,
    /// The port, the same on every address; 0: no TCP listening at all (Redis's `port 0`).
    pub port: u16,
    /// `tcp-backlog`: the queue of connections not yet accepted, per socket.
    pub backlog: u32,
}

/// One of `bind`'s addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindAddress {
    /// The address without its `-` mark: an IP address, a host name, `*` (every IPv4
    /// interface) or `::*` (every IPv6 one).
    pub host: String,
    /// Written with a leading `-`: if the address is not available on this host, it is
    /// skipped rather than failing the whole bind.
    pub optional: bool,
}

impl BindAddress {
    /// True for an IPv6 address: as in Redis, any address holding a `:`. Such sockets accept
    /// IPv6 only, so that `* ::*` binds both families on one port.
    pub fn is_ipv6(&self) -> bool {
        self.host.contains(':')
    }
}

impl ListenOn {
    /// Nothing to listen on: `port 0` or an empty `bind`.
    pub fn is_nothing(&self) -> bool {
        self.port == 0 || self.addresses.is_empty()
    }
}

impl Config {
    /// Where to listen, from `bind`, `port` and `tcp-backlog`.
    pub fn listen_on(&self) -> ListenOn {
        let addresses = self
            .get("bind")
            .unwrap_or("")
            .split_whitespace()
            .map(|word| match word.strip_prefix('-') {
                Some(host) => BindAddress {
                    host: host.to_string(),
                    optional: true,
                },
                None => BindAddress {
                    host: word.to_string(),
                    optional: false,
                },
            })
            .collect();
        ListenOn {
            addresses,
            port: u16::try_from(self.get_int("port")).unwrap_or(0),
            backlog: u32::try_from(self.get_int("tcp-backlog")).unwrap_or(511),
        }
    }
}
