//! The state every connection shares: data, configuration, clients and counters.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clients::Clients;
use crate::config::Config;
use crate::db::Millis;
use crate::keyspace::Keyspace;
use crate::pubsub::PubSub;
use crate::signal::Signal;

/// The version radish reports as `redis_version`: the Redis release whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// One server's shared state. Adapters make one, wrap it in an `Arc`, and hand it to every
/// connection's [`Session`](crate::Session).
#[derive(Debug)]
pub struct Server {
    keyspace: Mutex<Keyspace>,
    pubsub: Mutex<PubSub>,
    config: RwLock<Config>,
    /// Connected clients.
    pub clients: Clients,
    /// Cumulative counters (INFO stats).
    pub stats: Stats,
    /// When the server started, in Unix milliseconds.
    pub started_at: Millis,
    /// The TCP port actually bound (INFO's tcp_port), set by the adapter.
    pub port: AtomicU64,
    shutdown_requested: AtomicBool,
    /// Notified when SHUTDOWN asks the server to stop; the accept loop waits on it.
    pub shutdown: Signal,
}

/// Counters reported by INFO stats.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected_connections: AtomicU64,
    /// Commands run.
    pub commands: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
}

impl Server {
    /// A server with this configuration and empty databases, started at `now`.
    pub fn new(config: Config, now: Millis) -> Server {
        let databases = config.get_int("databases").max(1) as usize;
        let port = config.get_int("port") as u64;
        Server {
            keyspace: Mutex::new(Keyspace::new(databases)),
            pubsub: Mutex::new(PubSub::default()),
            config: RwLock::new(config),
            clients: Clients::default(),
            stats: Stats::default(),
            started_at: now,
            port: AtomicU64::new(port),
            shutdown_requested: AtomicBool::new(false),
            shutdown: Signal::default(),
        }
    }

    /// Locks the data. Never held across an `.await`: the store has none, and adapters call
    /// into the store synchronously.
    pub fn keyspace(&self) -> MutexGuard<'_, Keyspace> {
        self.keyspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pub/sub registry. Lock order: the data lock (if held) first, then this one.
    pub fn pubsub(&self) -> MutexGuard<'_, PubSub> {
        self.pubsub.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The configuration, for reading.
    pub fn config(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The configuration, for CONFIG SET.
    pub fn config_mut(&self) -> RwLockWriteGuard<'_, Config> {
        self.config.write().unwrap_or_else(|e| e.into_inner())
    }

    /// One tick of background work (the adapters call it `hz` times a second): active expiry.
    pub fn tick(&self, now: Millis) {
        self.keyspace().active_expire(now);
    }

    /// How often [`tick`](Server::tick) wants to run, in milliseconds.
    pub fn tick_interval_ms(&self) -> u64 {
        1000 / self.config().get_int("hz").clamp(1, 500) as u64
    }

    /// Asks the server to stop (SHUTDOWN, or a signal the adapter caught).
    pub fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::SeqCst);
        self.shutdown.notify();
    }

    /// True once shutdown was requested.
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }
}
