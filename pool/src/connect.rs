//! What the pool needs from a transport ([`Connect`]) and from a runtime ([`Runtime`]).

use std::future::Future;
use std::time::{Duration, Instant};

/// How a connection looks when it comes back to the pool: checked synchronously, on return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// In a clean state: hand it to the next caller as is.
    Clean,
    /// Usable, but left in a state the next caller must not inherit (a reply outstanding that
    /// can still be read and dropped, inside MULTI, subscribed, another database selected):
    /// the pool runs [`Connect::reset`] before handing it out again.
    Dirty,
    /// Unusable (closed, out of sync, failed): the pool drops it.
    Broken,
}

/// Makes and maintains connections of one kind. The pool calls these; callers never do.
///
/// Futures are returned from the trait (`impl Future + Send`) rather than boxed through
/// `async-trait`: no allocation per call, and the `Send` bound is stated once, here.
pub trait Connect: Send + Sync + 'static {
    /// The connection handed out.
    type Connection: Send + 'static;
    /// Why connecting, checking or resetting failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Opens a new connection.
    fn connect(&self) -> impl Future<Output = Result<Self::Connection, Self::Error>> + Send;

    /// The slow health check (a round trip), run on checkout when the connection has been idle
    /// past the pool's threshold. An error discards the connection.
    fn check(
        &self,
        connection: &mut Self::Connection,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Brings a [`Returned::Dirty`] connection back to a clean state. An error discards it.
    fn reset(
        &self,
        connection: &mut Self::Connection,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The cheap synchronous check run when a connection is returned.
    fn returned(&self, connection: &mut Self::Connection) -> Returned;
}

/// What the pool needs from an async runtime: time and a way to run background work. The
/// tokio and smol implementations live in the runtime crates; tests use virtual time.
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A sleep future.
    type Sleep: Future<Output = ()> + Send + 'static;

    /// The current time. Called often, sometimes with the pool's lock held: it must be cheap
    /// and must not use the pool.
    fn now(&self) -> Instant;

    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> Self::Sleep;

    /// Runs `task` in the background (the pool makes connections and keeps min-idle warm this
    /// way, so a caller that gives up never wastes a connection being made for it).
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static);
}

/// A [`Connect`] from a function that opens a connection: for connections that need no health
/// check, no reset and no judgement on return (every one comes back [`Returned::Clean`]).
///
/// ```
/// let connect = radish_pool::connect_fn(|| async { Ok::<_, std::io::Error>(Vec::<u8>::new()) });
/// ```
pub fn connect_fn<F, Fut, T, E>(open: F) -> ConnectFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    ConnectFn(open)
}

/// The [`Connect`] made by [`connect_fn`].
#[derive(Debug, Clone)]
pub struct ConnectFn<F>(F);

impl<F, Fut, T, E> Connect for ConnectFn<F>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    type Connection = T;
    type Error = E;

    fn connect(&self) -> impl Future<Output = Result<T, E>> + Send {
        (self.0)()
    }

    async fn check(&self, _: &mut T) -> Result<(), E> {
        Ok(())
    }

    async fn reset(&self, _: &mut T) -> Result<(), E> {
        Ok(())
    }

    fn returned(&self, _: &mut T) -> Returned {
        Returned::Clean
    }
}
