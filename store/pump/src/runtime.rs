//! What the pump needs from a runtime: its sockets, a timer, and how its scheduler gathers
//! writes for one fsync. Each runtime crate implements these small traits; nothing else of it
//! reaches the pump.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use radish_store::Escape;

/// A runtime, as the pump uses it.
pub trait Runtime {
    /// How a connection about to fsync gathers the other connections' writes first.
    const GROUP_COMMIT: GroupCommit;

    /// The runtime's listening socket.
    type Listener: Listener;

    /// Completes after `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;

    /// Called on an event loop's thread that a script holds past `busy-reply-threshold`:
    /// lets the loop's other connections be served on another thread until the value
    /// returned is dropped, calling `then` once they are handed over (see
    /// `Server::set_escape`). `None` when this runtime cannot (`then` is called anyway).
    fn escape(then: &mut dyn FnMut()) -> Option<Escape>;
}

/// With `appendfsync always`, a connection that logged a write lets the other connections
/// ready now log theirs before it fsyncs, so that one fsync covers them all (Redis fsyncs once
/// per event-loop pass). How many turns that takes depends on the runtime's scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupCommit {
    /// One turn: the task runs again after every task woken before it (tokio). More turns
    /// measured worse there: 4,500 fsyncs instead of 2,900 for 80,000 SETs from 50 clients
    /// (0.82x of Redis's throughput against 1.0x). What decides the group's size on tokio is
    /// that the worker takes no new I/O events in the middle of a pass (radish-tokio's
    /// `EVENT_INTERVAL`).
    OneTurn,
    /// Turns until one passes in which no other connection logged anything, at most
    /// [`MAX_GATHER_TURNS`] (smol). With one turn there, 3,300–4,300 fsyncs covered those
    /// 80,000 SETs (0.90x of Redis); with this, 2,600–2,800 (1.0x).
    UntilQuiet,
}

/// The most turns [`GroupCommit::UntilQuiet`] waits: a bound on the latency one connection's
/// reply gains while others keep logging.
pub const MAX_GATHER_TURNS: usize = 8;

/// A connected byte stream, as a runtime provides it.
pub trait Transport {
    /// Reads some bytes, appending them to `buf`; `Ok(0)` at end of stream. Must be
    /// cancel-safe: if the future is dropped before it completes, no bytes are lost.
    fn read(&mut self, buf: &mut BytesMut) -> impl Future<Output = io::Result<usize>>;

    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = io::Result<()>>;
}

/// A connection just accepted: its stream, the peer's address and ours.
pub struct Accepted<T> {
    /// The stream, set up as the server wants it (no Nagle delay).
    pub stream: T,
    /// The client's address.
    pub peer: SocketAddr,
    /// The address the client connected to, if known.
    pub local: Option<SocketAddr>,
}

/// A listening socket, as a runtime provides it.
pub trait Listener: Sized {
    /// The streams it accepts.
    type Stream: Transport + Send + 'static;

    /// Adopts a socket the pump bound (listening, non-blocking), on the runtime the caller
    /// runs on. The pump binds with std, synchronously, so that CONFIG SET can move the
    /// listening sockets while it runs (see `listen.rs`).
    fn from_std(listener: std::net::TcpListener) -> io::Result<Self>;

    /// Accepts the next connection.
    fn accept(&mut self) -> impl Future<Output = io::Result<Accepted<Self::Stream>>>;

    /// The address it listens on.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}
