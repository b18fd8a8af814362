//! Radish's store: databases, values, expiry, command families and the per-connection
//! [`Session`] state machine.
//!
//! Runtime-agnostic and sans-IO: a [`Session`] takes request bytes and the current time and
//! produces reply bytes. It never touches a socket and never reads a clock; the runtime
//! adapters (radish-tokio, radish-smol) pump bytes and pass the time in. [`Server`] is the
//! state all connections share.

pub mod busy_poll;
pub mod clients;
pub mod commands;
mod compact;
pub mod config;
mod ctx;
pub mod db;
pub mod driver;
mod error;
pub mod evict;
pub mod fd_limit;
pub mod glob;
pub mod info;
pub mod keyspace;
#[cfg(feature = "logging")]
pub mod logging;
mod long_double;
pub mod memory;
mod persist;
pub mod pubsub;
mod reply;
mod rng;
mod server;
mod session;
pub mod signal;
pub mod types;
mod value;

pub use compact::CompactBytes;
pub use config::Config;
pub use ctx::{Block, Ctx, Pops, TimeoutReply};
pub use db::{Db, Entry, Millis};
pub use error::{Error, Result};
pub use keyspace::Keyspace;
pub use persist::LoadError;
pub use reply::Reply;
pub use rng::Rng;
pub use server::{Server, Stats, Timer, REDIS_VERSION};
pub use session::{ConnState, Session, Status, WatchedKey};
pub use signal::Signal;
pub use value::{StringOrigin, StringValue, Value};
