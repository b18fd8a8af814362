//! Radish's async pump, written once for every runtime and depending on none: it serves each
//! connection by moving bytes between its socket and its [`Session`](radish_store::Session)
//! ([`Connection`]), accepts connections and runs the server's tick ([`run`]), and does what a
//! server binary needs around that ([`serve`]: binding, loading, closing; [`listen`]: the
//! listening sockets, which CONFIG SET moves; [`logging`]; the open-files limit; the clocks;
//! the blocking connections MIGRATE opens). A runtime crate (radish-tokio, radish-smol) gives it sockets
//! and a timer through the small traits in [`runtime`], and keeps only what differs between
//! runtimes: how tasks are spawned and how busy polling takes its turns.

mod arrival;
pub mod busy_poll;
pub mod clock;
mod connection;
pub mod fd_limit;
pub mod listen;
pub mod logging;
pub mod migrate_link;
pub mod runtime;
mod serve;

pub use busy_poll::BusyPoll;
pub use connection::Connection;
pub use runtime::{Accepted, GroupCommit, Listener, Runtime, Transport};
pub use serve::{run, serve, server, DRAIN_TIMEOUT};
