//! The waiting callers: a FIFO queue of tickets. Each caller holds its ticket from the moment
//! it queues until it picks up what the pool put there (a connection or an error), times out,
//! or is dropped.
//!
//! A ticket has its own small lock, so a served caller picks up its connection without
//! touching the pool's lock: under load that is one pool-lock round trip fewer per checkout
//! (the pool lock is the one every task contends for).

use std::collections::VecDeque;
use std::mem;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::pooled::Pooled;

/// What a waiter receives.
pub(crate) type Outcome<T, E> = Result<Pooled<T>, Error<E>>;

enum Slot<T, E> {
    Waiting(Option<Waker>),
    Served(Outcome<T, E>),
    /// The caller picked up what it was served.
    Collected,
}

type Cell<T, E> = Arc<Mutex<Slot<T, E>>>;

fn lock<T, E>(cell: &Cell<T, E>) -> MutexGuard<'_, Slot<T, E>> {
    // Nothing panics while a ticket is locked, so a poisoned one is still consistent.
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A queued caller's claim on what the pool will serve it.
pub(crate) struct Ticket<T, E>(Cell<T, E>);

impl<T, E> Ticket<T, E> {
    /// What the pool left for this caller, or `Pending` (with `waker` registered).
    pub fn poll(&self, waker: &Waker) -> Poll<Outcome<T, E>> {
        let mut slot = lock(&self.0);
        match &mut *slot {
            Slot::Waiting(registered) => {
                if !registered.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    *registered = Some(waker.clone());
                }
                Poll::Pending
            }
            Slot::Served(_) => match mem::replace(&mut *slot, Slot::Collected) {
                Slot::Served(outcome) => Poll::Ready(outcome),
                Slot::Waiting(_) | Slot::Collected => unreachable!("matched as served"),
            },
            Slot::Collected => unreachable!("a ticket is polled only until it is served"),
        }
    }
}

/// A caller still in the queue.
pub(crate) struct Queued<T, E> {
    cell: Cell<T, E>,
    /// When it queued.
    since: Instant,
    /// `None` for a timeout too long to be represented as an instant.
    deadline: Option<Instant>,
    /// How long it agreed to wait.
    pub timeout: Duration,
}

impl<T, E> Queued<T, E> {
    /// Puts `outcome` in the caller's ticket; returns the waker to wake.
    pub fn serve(self, outcome: Outcome<T, E>) -> Option<Waker> {
        match mem::replace(&mut *lock(&self.cell), Slot::Served(outcome)) {
            Slot::Waiting(waker) => waker,
            Slot::Served(_) | Slot::Collected => None,
        }
    }
}

pub(crate) struct Waiters<T, E> {
    /// Oldest first.
    queue: VecDeque<Queued<T, E>>,
}

impl<T, E> Waiters<T, E> {
    pub fn new() -> Self {
        Waiters {
            queue: VecDeque::new(),
        }
    }

    /// Callers still waiting (not those served but yet to look).
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Queues a caller at the back; returns its ticket.
    pub fn push(&mut self, waker: &Waker, since: Instant, timeout: Duration) -> Ticket<T, E> {
        let cell = Arc::new(Mutex::new(Slot::Waiting(Some(waker.clone()))));
        self.queue.push_back(Queued {
            cell: cell.clone(),
            since,
            deadline: since.checked_add(timeout),
            timeout,
        });
        Ticket(cell)
    }

    /// When the oldest waiter queued (a recent time: it has waited less than its timeout).
    pub fn oldest_since(&self) -> Option<Instant> {
        self.queue.front().map(|queued| queued.since)
    }

    /// Takes the oldest waiter out of the queue, to be served.
    pub fn pop_oldest(&mut self) -> Option<Queued<T, E>> {
        self.queue.pop_front()
    }

    /// The caller holding `ticket` left: takes it out of the queue if it is still there, and
    /// returns what it had been served, if anything.
    pub fn leave(&mut self, ticket: Ticket<T, E>) -> Option<Outcome<T, E>> {
        if let Some(position) = self
            .queue
            .iter()
            .position(|queued| Arc::ptr_eq(&queued.cell, &ticket.0))
        {
            self.queue.remove(position);
        }
        match mem::replace(&mut *lock(&ticket.0), Slot::Collected) {
            Slot::Served(outcome) => Some(outcome),
            Slot::Waiting(_) | Slot::Collected => None,
        }
    }

    /// Takes every waiter whose deadline has passed out of the queue, to be served their
    /// timeout.
    pub fn expire(&mut self, now: Instant) -> Vec<Queued<T, E>> {
        let due = |queued: &Queued<T, E>| queued.deadline.is_some_and(|deadline| deadline <= now);
        let mut expired = Vec::new();
        if !self.queue.iter().any(due) {
            return expired;
        }
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for queued in self.queue.drain(..) {
            if due(&queued) {
                expired.push(queued);
            } else {
                kept.push_back(queued);
            }
        }
        self.queue = kept;
        expired
    }

    /// The earliest deadline of those still waiting.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.iter().filter_map(|queued| queued.deadline).min()
    }
}
