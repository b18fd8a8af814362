//! Radish's socket-free core: the state every connection shares, persistence, command
//! execution, the command families and the per-connection [`Session`].
//!
//! Sans-IO: a [`Session`] takes request bytes and the current time and produces reply bytes,
//! the next deadline and the log offset its replies wait for. It never touches a socket, never
//! reads a clock and starts no task; the pump (radish-pump) moves the bytes and passes the
//! time in. [`Server`] is the state all connections share.
//!
//! Its layers, each importing only those before it (ARCHITECTURE.md at the repository's root
//! says more): `state` (configuration, clients, pub/sub, counters, the keyspace), `persist`
//! (the log, snapshots, background jobs, files), `server` (the [`Server`] holding them), `exec`
//! (the command record, the dispatcher, blocking, replay), `commands` (one file per family),
//! `session`, `startup` (what opens a server on its files), and `replica` (the link a replica
//! keeps to its primary). The data itself lives in
//! radish-data, below all of them.

mod commands;
mod error;
mod exec;
mod persist;
pub mod replica;
mod scripting;
mod server;
mod session;
mod startup;
mod state;

pub use commands::table;
pub use error::{Error, Result};
pub use exec::command::{Command, Table};
pub use persist::{Durable, LoadError, LogFault};
pub use radish_data::Millis;
pub use server::{Connector, Escape, Link, ListenFn, Server, RESERVED_FDS};
pub use session::pump::Wakeups;
pub use session::{Session, Status};
pub use state::clients::{Client, Clients};
pub use state::config::{BindAddress, Config, ListenOn};
pub use state::notify::{Notified, Notify};
pub use state::stats::{Stats, Timer};
pub use state::REDIS_VERSION;
