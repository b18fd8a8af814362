//! A Redis client written once for any async runtime: typed commands, pipelining,
//! MULTI/EXEC transactions, pub/sub, per-request timeouts, and pool support.
//!
//! The runtime wrappers (`radish_tokio::client`, `radish_smol::client`) give it sockets
//! through [`Runtime`], and a spawner and a timer through the pool's runtime, which
//! [`Runtime`] extends; this crate depends on neither runtime.
//!
//! ```ignore
//! use radish_client::prelude::*;
//!
//! let client = radish_tokio::client::connect("redis://127.0.0.1:6379/0").await?;
//! client.set("greeting", "hello").await?;
//! let value: Option<Bytes> = client.get("greeting").await?;
//!
//! let mut pipeline = Pipeline::new();
//! pipeline.incr("hits").incr("hits").get("greeting");
//! let (one, two, greeting): (i64, i64, Option<Bytes>) = client.pipeline(&pipeline).await?;
//! ```
//!
//! # Shape
//!
//! A connection is a [`Client`] handle plus a [`Driver`] future (the tokio-postgres shape).
//! The runtime spawns the driver; it alone reads and writes the socket, over a two-method,
//! poll-based [`Transport`]. Callers encode commands into a shared buffer and queue a reply
//! slot under one lock, so the order on the wire is the order of the slots, and the driver
//! answers slots strictly first in, first out. This is why:
//!
//! - one connection serves many tasks at once (clone the [`Client`]): their requests are
//!   pipelined, written together, and matched to replies in order;
//! - a request that is dropped or times out cannot desynchronise the connection: the driver
//!   still reads its reply, whole, and drops it;
//! - the driver knows, from the commands it carried, when the connection is inside MULTI,
//!   subscribed, watching or on another database, and [`Client::health`] tells a pool.
//!
//! # Errors
//!
//! [`Error`] keeps apart the server's error replies ([`Error::Server`], whose `Display` is
//! the `-ERR ...` line), I/O, protocol errors, conversion errors ([`Error::Type`]),
//! timeouts, and EXECABORT.

mod command;
mod commands;
mod config;
mod connect;
mod connection;
mod driver;
mod error;
mod message;
mod pipeline;
mod pubsub;
mod reply;
mod request;

pub use bytes::Bytes;
pub use command::{cmd, Cmd, ToArg};
pub use commands::{
    Commands, Condition, Expiry, HashCommands, KeyCommands, ListCommands, SetCommands, SetOptions,
    SortedSetCommands, StringCommands,
};
pub use config::{Config, IntoConfig, Protocol};
pub use connect::{connect, pool_builder, Connector, Runtime};
pub use connection::{Client, Health, Timer};
pub use driver::{connection, Driver, Transport};
pub use error::{Error, ProtocolError, Result, ServerError, TypeError};
pub use message::Message;
pub use pipeline::{Pipeline, Transaction};
pub use pubsub::Subscriber;
pub use radish_resp::Frame;
pub use reply::FromReply;
pub use request::Request;

/// Everything needed to run commands: `use radish_client::prelude::*;`.
pub mod prelude {
    pub use crate::{
        cmd, Bytes, Client, Commands, Frame, HashCommands, KeyCommands, ListCommands, Pipeline,
        SetCommands, SetOptions, SortedSetCommands, StringCommands, Transaction,
    };
}
