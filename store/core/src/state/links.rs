//! The connections MIGRATE keeps to other servers, as Redis caches them: one per `host:port`,
//! remembering which database was last selected there, closed after ten seconds unused, at
//! most 64 (a new one past that closes one at random).
//!
//! The store opens no socket: whoever runs the server gives it a [`Connector`]
//! (`Server::with_connector`), which opens a blocking connection. MIGRATE then talks over it
//! synchronously, holding up its event loop for at most its timeout, as Redis's does.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use radish_data::Millis;

/// A blocking connection to another server.
pub trait Link: io::Read + io::Write + Send {
    /// Sets how long each later read or write may wait.
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()>;
}

/// Opens a [`Link`] to `host`:`port`, waiting at most `timeout`.
pub type Connector = fn(host: &str, port: u16, timeout: Duration) -> io::Result<Box<dyn Link>>;

/// Redis's `MIGRATE_SOCKET_CACHE_ITEMS`.
const MAX_LINKS: usize = 64;
/// Redis's `MIGRATE_SOCKET_CACHE_TTL`, in milliseconds (Redis counts whole seconds: a link
/// goes once more than ten of them passed).
const IDLE_TTL: Millis = 10_000;

/// One cached connection.
pub(crate) struct Cached {
    /// The connection.
    pub(crate) link: Box<dyn Link>,
    /// The database last selected on it, `None` when not known (after an error).
    pub(crate) selected: Option<i64>,
    /// When it was last used.
    last_used: Millis,
}

/// The cached connections, by `host:port` as the client wrote them.
#[derive(Default)]
pub(crate) struct Links {
    connector: Option<Connector>,
    cached: HashMap<Vec<u8>, Cached>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("cached", &self.cached.len())
            .finish()
    }
}

/// The cache's key for `host` and `port`.
pub(crate) fn link_name(host: &[u8], port: &[u8]) -> Vec<u8> {
    [host, b":", port].concat()
}

impl Links {
    /// Sets how connections are opened.
    pub(crate) fn set_connector(&mut self, connector: Connector) {
        self.connector = Some(connector);
    }

    /// How connections to other servers are opened, if the server was given a way.
    pub(crate) fn connector(&self) -> Option<Connector> {
        self.connector
    }

    /// How many connections are cached (INFO's `migrate_cached_sockets`).
    pub(crate) fn len(&self) -> usize {
        self.cached.len()
    }

    /// The cached connection to `host`:`port`, or a new one; the error if it cannot be opened
    /// in `timeout` (or no connector was given, or the port is not a number).
    pub(crate) fn get(
        &mut self,
        host: &[u8],
        port: &[u8],
        timeout: Duration,
        now: Millis,
    ) -> io::Result<&mut Cached> {
        let name = link_name(host, port);
        if !self.cached.contains_key(&name) {
            let link = self.connect(host, port, timeout)?;
            if self.cached.len() >= MAX_LINKS {
                // A hash map's order is arbitrary (its hasher is seeded at random): the first
                // one is as good a random pick as Redis's.
                let victim = self.cached.keys().next().cloned();
                if let Some(victim) = victim {
                    self.cached.remove(&victim);
                }
            }
            let fresh = Cached {
                link,
                selected: None,
                last_used: now,
            };
            self.cached.insert(name.clone(), fresh);
        }
        let cached = self
            .cached
            .get_mut(&name)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        cached.last_used = now;
        Ok(cached)
    }

    fn connect(&self, host: &[u8], port: &[u8], timeout: Duration) -> io::Result<Box<dyn Link>> {
        let invalid = || io::Error::from(io::ErrorKind::InvalidInput);
        let connector = self.connector.ok_or_else(invalid)?;
        let host = std::str::from_utf8(host).map_err(|_| invalid())?;
        // Redis reads the port with atoi: a bad one fails to connect.
        let port = std::str::from_utf8(port)
            .ok()
            .and_then(|port| port.parse::<u16>().ok())
            .ok_or_else(invalid)?;
        let mut link = connector(host, port, timeout)?;
        link.set_timeout(timeout)?;
        Ok(link)
    }

    /// Closes the connection to `host`:`port`, if cached.
    pub(crate) fn close(&mut self, host: &[u8], port: &[u8]) {
        self.cached.remove(&link_name(host, port));
    }

    /// Closes the connections unused for longer than Redis keeps them.
    pub(crate) fn close_idle(&mut self, now: Millis) {
        let seconds = now / 1000;
        self.cached
            .retain(|_, cached| seconds.saturating_sub(cached.last_used / 1000) <= IDLE_TTL / 1000);
    }
}
