//! The waiting callers: a FIFO queue of slots. Each caller owns its slot from the moment it
//! queues until it picks up what the pool put there (a connection or an error), times out,
//! or is dropped; slots are reused, so waiting allocates nothing once the pool is warm.

use std::collections::VecDeque;
use std::mem;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::state::Pooled;

/// What a waiter receives.
pub(crate) type Outcome<T, E> = Result<Pooled<T>, Error<E>>;

enum Slot<T, E> {
    Vacant,
    Waiting(Wait),
    Served(Outcome<T, E>),
}

/// A waiting caller: how to wake it, and when it gives up.
struct Wait {
    waker: Option<Waker>,
    /// When it queued.
    since: Instant,
    /// `None` for a timeout too long to be represented as an instant.
    deadline: Option<Instant>,
    timeout: Duration,
}

pub(crate) struct Waiters<T, E> {
    slots: Vec<Slot<T, E>>,
    free: Vec<usize>,
    /// Slots of callers still waiting, oldest first.
    queue: VecDeque<usize>,
}

impl<T, E> Waiters<T, E> {
    pub fn new() -> Self {
        Waiters {
            slots: Vec::new(),
            free: Vec::new(),
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

    /// Queues a caller at the back; returns its slot.
    pub fn push(&mut self, waker: &Waker, since: Instant, timeout: Duration) -> usize {
        let wait = Slot::Waiting(Wait {
            waker: Some(waker.clone()),
            since,
            deadline: since.checked_add(timeout),
            timeout,
        });
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = wait;
                slot
            }
            None => {
                self.slots.push(wait);
                self.slots.len() - 1
            }
        };
        self.queue.push_back(slot);
        slot
    }

    /// When the oldest waiter queued (a recent time: it has waited less than its timeout).
    pub fn oldest_since(&self) -> Option<Instant> {
        match self.slots.get(*self.queue.front()?) {
            Some(Slot::Waiting(wait)) => Some(wait.since),
            _ => None,
        }
    }

    /// Takes the oldest waiter out of the queue (to be served): its slot.
    pub fn pop_oldest(&mut self) -> Option<usize> {
        self.queue.pop_front()
    }

    /// The caller in `slot` looks: what the pool left there, or `Pending` (with `waker`
    /// registered).
    pub fn poll(&mut self, slot: usize, waker: &Waker) -> Poll<Outcome<T, E>> {
        match &mut self.slots[slot] {
            Slot::Waiting(wait) => {
                if !wait.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    wait.waker = Some(waker.clone());
                }
                Poll::Pending
            }
            Slot::Served(_) => Poll::Ready(self.release(slot).expect("a served slot")),
            Slot::Vacant => unreachable!("a slot is freed only by the caller that owns it"),
        }
    }

    /// The caller in `slot` left: frees the slot, and returns what was left in it, if
    /// anything.
    pub fn leave(&mut self, slot: usize) -> Option<Outcome<T, E>> {
        if let Slot::Waiting(_) = self.slots[slot] {
            if let Some(position) = self.queue.iter().position(|&queued| queued == slot) {
                self.queue.remove(position);
            }
        }
        self.release(slot)
    }

    /// Removes every waiter whose deadline has passed; returns their slots and timeouts
    /// (the slots stay theirs until they look).
    pub fn expire(&mut self, now: Instant) -> Vec<(usize, Duration)> {
        let slots = &self.slots;
        let mut expired = Vec::new();
        self.queue.retain(|&slot| match &slots[slot] {
            Slot::Waiting(wait) if wait.deadline.is_some_and(|deadline| deadline <= now) => {
                expired.push((slot, wait.timeout));
                false
            }
            _ => true,
        });
        expired
    }

    /// The earliest deadline of those still waiting.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue
            .iter()
            .filter_map(|&slot| match &self.slots[slot] {
                Slot::Waiting(wait) => wait.deadline,
                _ => None,
            })
            .min()
    }

    /// Puts `outcome` in a slot already out of the queue; returns the waker to wake.
    pub fn serve(&mut self, slot: usize, outcome: Outcome<T, E>) -> Option<Waker> {
        match mem::replace(&mut self.slots[slot], Slot::Served(outcome)) {
            Slot::Waiting(wait) => wait.waker,
            Slot::Vacant | Slot::Served(_) => None,
        }
    }

    fn release(&mut self, slot: usize) -> Option<Outcome<T, E>> {
        self.free.push(slot);
        match mem::replace(&mut self.slots[slot], Slot::Vacant) {
            Slot::Served(outcome) => Some(outcome),
            Slot::Waiting(_) | Slot::Vacant => None,
        }
    }
}
