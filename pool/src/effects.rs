//! What the state asks for once its lock is released ([`Effects`]), and the clock as the
//! state sees it ([`Now`]: read only when an answer depends on it).

use std::task::Waker;
use std::time::Instant;

use crate::pooled::Pooled;

/// A background task the pool must start.
pub(crate) enum Spawn<T> {
    /// Open one connection.
    Connect,
    /// Health-check a connection idle too long before handing it out, or bring one returned
    /// dirty back to a clean state.
    Recycle(Pooled<T>, Recycle),
    /// Time out waiters (see [`Watchdog`]).
    Watchdog(Watchdog),
}

/// Which kind of background recycling finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recycle {
    Check,
    Reset,
}

/// The pool's one waiter timer: a background task that sleeps until the earliest waiter's
/// deadline. It is started only when no timer is armed or a waiter's deadline comes before
/// the armed one, so a `get` that waits costs no timer of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Watchdog {
    /// Tells the current watchdog from those it replaced (they stop when they wake).
    pub generation: u64,
    pub until: Instant,
}

/// Work to do once the lock is released: nothing here runs user code under the lock.
pub(crate) struct Effects<T> {
    pub wake: Wakers,
    /// Connections to close (dropped after the lock is released).
    pub close: Vec<Pooled<T>>,
    pub spawn: Vec<Spawn<T>>,
}

impl<T> Effects<T> {
    pub fn new() -> Self {
        Effects {
            wake: Wakers::default(),
            close: Vec::new(),
            spawn: Vec::new(),
        }
    }
}

/// Wakers to wake; the common case (one) needs no allocation.
#[derive(Default)]
pub(crate) struct Wakers {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakers {
    pub fn push(&mut self, waker: Waker) {
        match self.first {
            None => self.first = Some(waker),
            Some(_) => self.rest.push(waker),
        }
    }

    pub fn wake_all(self) {
        if let Some(first) = self.first {
            first.wake();
        }
        self.rest.into_iter().for_each(Waker::wake);
    }
}

impl Extend<Waker> for Wakers {
    fn extend<I: IntoIterator<Item = Waker>>(&mut self, wakers: I) {
        wakers.into_iter().for_each(|waker| self.push(waker));
    }
}

/// The current time, read from the runtime's clock at most once, and only if needed: a
/// connection handed from one caller straight to the next needs no clock read at all.
pub(crate) struct Now<'a> {
    clock: &'a dyn Fn() -> Instant,
    read: Option<Instant>,
}

impl<'a> Now<'a> {
    pub fn lazy(clock: &'a dyn Fn() -> Instant) -> Self {
        Now { clock, read: None }
    }

    /// A time already read (outside the lock).
    pub fn read(clock: &'a dyn Fn() -> Instant) -> Self {
        Now {
            clock,
            read: Some(clock()),
        }
    }

    pub fn get(&mut self) -> Instant {
        let clock = self.clock;
        *self.read.get_or_insert_with(clock)
    }

    /// The time if it was read already, else `fallback` (an earlier time known to be recent).
    pub fn or(&self, fallback: Instant) -> Instant {
        self.read.unwrap_or(fallback)
    }
}
