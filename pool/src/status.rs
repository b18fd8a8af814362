//! Snapshots of the pool: what it holds now ([`Status`]) and what it has done ([`Counters`]).

/// What the pool holds at one instant. Every connection is in exactly one of four places:
/// `idle + in_use + connecting + recycling == size <= max_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The most connections the pool opens at once.
    pub max_size: usize,
    /// Connections open or being opened.
    pub size: usize,
    /// Connections ready to be handed out.
    pub idle: usize,
    /// Connections handed to callers (including one handed to a waiter that has not yet
    /// picked it up).
    pub in_use: usize,
    /// Connections being opened by the pool's background tasks.
    pub connecting: usize,
    /// Connections being health-checked or reset in the background before reuse.
    pub recycling: usize,
    /// Callers waiting for a connection.
    pub waiters: usize,
    /// Whether [`Pool::close`](crate::Pool::close) was called.
    pub closed: bool,
}

/// What the pool has done since it started. All counts only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Connections handed to callers (including to a waiting caller dropped before it picked
    /// its connection up: that connection went straight on to the next caller or to idle).
    pub gets: u64,
    /// Calls to `get` that had to wait (no idle connection was ready).
    pub waits: u64,
    /// Calls to `get` that gave up at their timeout.
    pub timeouts: u64,
    /// Calls to `get` dropped while waiting.
    pub cancelled: u64,
    /// Connections opened.
    pub created: u64,
    /// Failed connect attempts (errors and connect timeouts).
    pub connect_errors: u64,
    /// Connections returned clean and kept for reuse.
    pub recycled: u64,
    /// Dirty connections brought back to a clean state by [`Connect::reset`](crate::Connect::reset).
    pub reset: u64,
    /// Health checks run on checkout.
    pub checks: u64,
    /// Connections the pool closed: broken, failed check or reset, expired, idle too long,
    /// or returned after `close`.
    pub discarded: u64,
    /// Connections taken out of the pool for good with [`Object::take`](crate::Object::take).
    pub taken: u64,
}
