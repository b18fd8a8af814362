//! A runtime-agnostic connection pool: `Pool<C: Connect, R: Runtime>`.
//!
//! The transport comes in through [`Connect`] (open, health-check, reset, judge on return)
//! and the runtime through [`Runtime`] (clock, sleep, spawn): this crate depends on neither
//! tokio nor smol, and a pool cannot be built without a runtime.
//!
//! What it guarantees:
//! - **Cancel-safe by construction.** Connections are opened, checked and reset only by the
//!   pool's background tasks, never inside a caller's future. Dropping a [`Pool::get`] future
//!   at any point loses nothing: a connection already handed to it goes to the next waiter,
//!   one being opened for it goes to the next waiter or to idle.
//! - **Strictly FIFO.** Waiting callers are served in arrival order; a returned connection
//!   goes straight into the oldest waiter's ticket.
//! - **Never handed out dirty.** A connection [`Returned::Dirty`] is reset before anyone gets
//!   it; a [`Returned::Broken`] one is closed and replaced.
//! - **Finite by default.** Wait, connect and check timeouts, lifetime (with jitter, so
//!   connections opened together are not replaced together) and idle timeout all have finite
//!   defaults. A timeout error carries the last connect error.
//!
//! ```
//! use radish_pool::{Connect, Pool, Returned, Runtime};
//!
//! struct Connector;
//! struct Connection { in_transaction: bool }
//!
//! impl Connect for Connector {
//!     type Connection = Connection;
//!     type Error = std::io::Error;
//!
//!     async fn connect(&self) -> Result<Connection, std::io::Error> {
//!         Ok(Connection { in_transaction: false })
//!     }
//!     async fn check(&self, _: &mut Connection) -> Result<(), std::io::Error> {
//!         Ok(()) // a PING round trip, for a real connection
//!     }
//!     async fn reset(&self, c: &mut Connection) -> Result<(), std::io::Error> {
//!         c.in_transaction = false; // DISCARD, for a real connection
//!         Ok(())
//!     }
//!     fn returned(&self, c: &mut Connection) -> Returned {
//!         if c.in_transaction { Returned::Dirty } else { Returned::Clean }
//!     }
//! }
//!
//! async fn use_pool<R: Runtime>(runtime: R) -> Result<(), Box<dyn std::error::Error>> {
//!     let pool = Pool::builder(Connector, runtime).max_size(8).build()?;
//!     let mut connection = pool.get().await?;
//!     connection.in_transaction = true;
//!     drop(connection); // returned dirty: reset in the background before reuse
//!     println!("{:?} {:?}", pool.status(), pool.counters());
//!     Ok(())
//! }
//! ```
//!
//! For connections that need no check, reset or judgement, [`connect_fn`] makes a `Connect`
//! from an async function.

mod config;
mod connect;
mod effects;
mod error;
mod object;
mod pool;
mod pooled;
mod shared;
mod state;
mod status;
mod tasks;
mod waiters;

pub use config::Builder;
pub use connect::{connect_fn, Connect, ConnectFn, Returned, Runtime};
pub use error::{ConfigError, ConnectError, DrainTimeout, Error};
pub use object::Object;
pub use pool::Pool;
pub use status::{Counters, Status};
