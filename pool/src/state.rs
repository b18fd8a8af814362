//! The pool's bookkeeping: plain data behind the pool's one mutex, changed only by the
//! methods below. None of them awaits, runs user code or wakes anyone: what must happen after
//! the lock is released (wake a waiter, close a connection, start a background task) is
//! collected in [`Effects`] and done by the caller.

use std::collections::VecDeque;
use std::mem;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connect::Returned;
use crate::effects::{Effects, Now, Recycle, Spawn, Watchdog};
use crate::error::{ConnectError, Error};
use crate::pooled::Pooled;
use crate::status::{Counters, Status};
use crate::waiters::{Queued, Ticket, Waiters};

/// The outcome of trying to check a connection out.
pub(crate) enum Checkout<T, E> {
    Ready(Pooled<T>),
    /// Queued as a waiter holding this ticket.
    Queued(Ticket<T, E>),
    Failed(Error<E>),
}

/// Everything the pool knows, behind its mutex.
pub(crate) struct State<T, E> {
    /// Ready connections, oldest use at the front: checkouts take from the back (the warmest),
    /// idle timeouts close from the front.
    idle: VecDeque<Pooled<T>>,
    waiters: Waiters<T, E>,
    size: usize,
    in_use: usize,
    connecting: usize,
    recycling: usize,
    closed: bool,
    last_error: Option<Arc<ConnectError<E>>>,
    counters: Counters,
    drain_wakers: Vec<Waker>,
    /// Connections opened so far: numbers each one for its lifetime jitter.
    serial: u64,
    /// The watchdog that will time out the earliest waiter, if one is armed.
    watchdog: Option<Watchdog>,
    watchdogs_started: u64,
}

impl<T, E> State<T, E> {
    pub fn new() -> Self {
        State {
            idle: VecDeque::new(),
            waiters: Waiters::new(),
            size: 0,
            in_use: 0,
            connecting: 0,
            recycling: 0,
            closed: false,
            last_error: None,
            counters: Counters::default(),
            drain_wakers: Vec::new(),
            serial: 0,
            watchdog: None,
            watchdogs_started: 0,
        }
    }

    pub fn status(&self, config: &Config) -> Status {
        Status {
            max_size: config.max_size,
            size: self.size,
            idle: self.idle.len(),
            in_use: self.in_use,
            connecting: self.connecting,
            recycling: self.recycling,
            waiters: self.waiters.len(),
            closed: self.closed,
        }
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn last_error(&self) -> Option<Arc<ConnectError<E>>> {
        self.last_error.clone()
    }

    /// Hands out the warmest idle connection if nobody is waiting ahead of the caller;
    /// otherwise queues the caller, with `waker`, for at most `timeout` (starting a health
    /// check or a connect on its behalf).
    pub fn checkout(
        &mut self,
        config: &Config,
        now: &mut Now<'_>,
        timeout: Duration,
        waker: &Waker,
        fx: &mut Effects<T>,
    ) -> Checkout<T, E> {
        if self.closed {
            return Checkout::Failed(Error::Closed);
        }
        if self.waiters.is_empty() {
            while let Some(pooled) = self.idle.pop_back() {
                if pooled.expired(now.get()) {
                    self.discard(pooled, fx);
                } else if pooled.needs_check(config, now.get()) {
                    // Idle is ordered by last use: every other idle connection is staler.
                    self.start_check(pooled, fx);
                    break;
                } else {
                    self.in_use += 1;
                    self.counters.gets += 1;
                    if self.idle.len() < config.min_idle {
                        self.balance(config, now, fx);
                    }
                    return Checkout::Ready(pooled);
                }
            }
        }
        if timeout.is_zero() {
            self.counters.timeouts += 1;
            return Checkout::Failed(self.timeout_error(timeout));
        }
        let since = now.get();
        let ticket = self.waiters.push(waker, since, timeout);
        self.counters.waits += 1;
        if let Some(deadline) = since.checked_add(timeout) {
            if self.watchdog.map_or(true, |armed| deadline < armed.until) {
                self.watchdogs_started += 1;
                let watchdog = Watchdog {
                    generation: self.watchdogs_started,
                    until: deadline,
                };
                self.watchdog = Some(watchdog);
                fx.spawn.push(Spawn::Watchdog(watchdog));
            }
        }
        self.balance(config, now, fx);
        Checkout::Queued(ticket)
    }

    /// A waiter was dropped. A connection already in its ticket goes to the next waiter.
    pub fn abandon(
        &mut self,
        ticket: Ticket<T, E>,
        config: &Config,
        now: &mut Now<'_>,
        fx: &mut Effects<T>,
    ) {
        match self.waiters.leave(ticket) {
            Some(Ok(pooled)) => {
                self.in_use -= 1;
                self.offer(pooled, config, now, fx);
            }
            Some(Err(_)) => {}
            None => self.counters.cancelled += 1,
        }
        self.settle(fx);
    }

    /// The watchdog `generation` woke: times out every waiter past its deadline. Returns when
    /// it should wake next, or `None` if it should stop (nobody waits, or a newer watchdog
    /// took over).
    pub fn watchdog_woke(
        &mut self,
        generation: u64,
        now: Instant,
        fx: &mut Effects<T>,
    ) -> Option<Instant> {
        for queued in self.waiters.expire(now) {
            self.counters.timeouts += 1;
            let error = self.timeout_error(queued.timeout);
            fx.wake.extend(queued.serve(Err(error)));
        }
        if self.watchdog.map(|armed| armed.generation) != Some(generation) {
            return None;
        }
        let next = self.waiters.next_deadline();
        self.watchdog = next.map(|until| Watchdog { generation, until });
        next
    }

    /// A caller handed a connection back, and [`Connect::returned`](crate::Connect::returned)
    /// (or the caller) judged it.
    pub fn give_back(
        &mut self,
        pooled: Pooled<T>,
        verdict: Returned,
        config: &Config,
        now: &mut Now<'_>,
        fx: &mut Effects<T>,
    ) {
        self.in_use -= 1;
        match verdict {
            Returned::Clean if !self.closed => {
                self.counters.recycled += 1;
                self.offer(pooled, config, now, fx);
            }
            Returned::Dirty if !self.closed => {
                self.recycling += 1;
                fx.spawn.push(Spawn::Recycle(pooled, Recycle::Reset));
            }
            _ => {
                self.discard(pooled, fx);
                self.balance(config, now, fx);
            }
        }
        self.settle(fx);
    }

    /// A caller took its connection out of the pool for good.
    pub fn take(&mut self, config: &Config, now: &mut Now<'_>, fx: &mut Effects<T>) {
        self.in_use -= 1;
        self.size -= 1;
        self.counters.taken += 1;
        self.balance(config, now, fx);
        self.settle(fx);
    }

    /// A background connect succeeded.
    pub fn connected(&mut self, conn: T, config: &Config, now: &mut Now<'_>, fx: &mut Effects<T>) {
        self.connecting -= 1;
        self.counters.created += 1;
        self.last_error = None;
        self.serial += 1;
        let pooled = Pooled {
            conn,
            expires: config.expiry(self.serial, now.get()),
            last_used: now.get(),
        };
        self.offer(pooled, config, now, fx);
        self.settle(fx);
    }

    /// A background connect attempt failed (`failures` in a row so far). Every
    /// `connect_retries + 1` failures the oldest waiter is given the error. Returns whether
    /// the task should try again: it stops once the pool no longer needs it.
    pub fn connect_failed(
        &mut self,
        error: Arc<ConnectError<E>>,
        failures: u32,
        config: &Config,
        now: &mut Now<'_>,
        fx: &mut Effects<T>,
    ) -> bool {
        self.counters.connect_errors += 1;
        self.last_error = Some(error.clone());
        if failures % config.connect_retries.saturating_add(1) == 0 {
            if let Some(queued) = self.waiters.pop_oldest() {
                fx.wake.extend(queued.serve(Err(Error::Connect(error))));
            }
        }
        let others = self.idle.len() + self.recycling + self.connecting - 1;
        let needed = !self.closed && self.waiters.len() + config.min_idle > others;
        if !needed {
            self.connecting -= 1;
            self.size -= 1;
            // Whatever made this task unneeded (an idle connection, say) must now serve.
            self.balance(config, now, fx);
        }
        needed
    }

    /// A background health check or reset finished.
    pub fn recycled(
        &mut self,
        mut pooled: Pooled<T>,
        kind: Recycle,
        ok: bool,
        config: &Config,
        now: &mut Now<'_>,
        fx: &mut Effects<T>,
    ) {
        self.recycling -= 1;
        if ok {
            if kind == Recycle::Reset {
                self.counters.reset += 1;
            }
            pooled.last_used = now.get();
            self.offer(pooled, config, now, fx);
        } else {
            self.discard(pooled, fx);
            self.balance(config, now, fx);
        }
        self.settle(fx);
    }

    /// Fails every waiter and closes every idle connection; later gets fail at once.
    pub fn close(&mut self, fx: &mut Effects<T>) {
        if self.closed {
            return;
        }
        self.closed = true;
        while let Some(pooled) = self.idle.pop_front() {
            self.discard(pooled, fx);
        }
        while let Some(queued) = self.waiters.pop_oldest() {
            fx.wake.extend(queued.serve(Err(Error::Closed)));
        }
        self.settle(fx);
    }

    /// The periodic sweep: closes idle connections past their lifetime, then those idle past
    /// the idle timeout (oldest first, keeping `min_idle`), then tops up `min_idle`.
    pub fn maintain(&mut self, config: &Config, now: &mut Now<'_>, fx: &mut Effects<T>) {
        if self.closed {
            return;
        }
        let at = now.get();
        for pooled in mem::take(&mut self.idle) {
            if pooled.expired(at) {
                self.discard(pooled, fx);
            } else {
                self.idle.push_back(pooled);
            }
        }
        if let Some(timeout) = config.idle_timeout {
            while self.idle.len() > config.min_idle
                && self
                    .idle
                    .front()
                    .is_some_and(|p| at.saturating_duration_since(p.last_used) >= timeout)
            {
                if let Some(pooled) = self.idle.pop_front() {
                    self.discard(pooled, fx);
                }
            }
        }
        self.balance(config, now, fx);
    }

    /// Connections out with callers or being recycled: what `drain` waits for.
    pub fn outstanding(&self) -> usize {
        self.in_use + self.recycling
    }

    /// Registers a `drain` caller, to be woken when nothing is outstanding after close.
    pub fn wait_drained(&mut self, waker: &Waker) {
        if !self.drain_wakers.iter().any(|w| w.will_wake(waker)) {
            self.drain_wakers.push(waker.clone());
        }
    }

    /// Serves waiters from idle connections and opens connections for the demand left:
    /// waiters plus `min_idle`, less what is idle or on its way.
    pub fn balance(&mut self, config: &Config, now: &mut Now<'_>, fx: &mut Effects<T>) {
        if self.closed {
            return;
        }
        while self.waiters.len() > self.connecting + self.recycling {
            let Some(pooled) = self.idle.pop_back() else {
                break;
            };
            if pooled.expired(now.get()) {
                self.discard(pooled, fx);
            } else if pooled.needs_check(config, now.get()) {
                self.start_check(pooled, fx);
            } else {
                let queued = self
                    .waiters
                    .pop_oldest()
                    .expect("someone waits: see the loop");
                self.hand_over(queued, pooled, fx);
            }
        }
        let supply = self.idle.len() + self.connecting + self.recycling;
        let demand = self.waiters.len() + config.min_idle;
        let new = demand
            .saturating_sub(supply)
            .min(config.max_size - self.size);
        self.size += new;
        self.connecting += new;
        fx.spawn.extend((0..new).map(|_| Spawn::Connect));
    }

    /// A usable connection: to the oldest waiter, else to idle (or closed, if it is expired
    /// or the pool is closed).
    ///
    /// Handing it straight to a waiter reads no clock: the expiry is checked against the
    /// time that waiter queued, which is recent (it has waited less than its timeout).
    fn offer(
        &mut self,
        mut pooled: Pooled<T>,
        config: &Config,
        now: &mut Now<'_>,
        fx: &mut Effects<T>,
    ) {
        let at = match self.waiters.oldest_since() {
            Some(since) => now.or(since),
            None => now.get(),
        };
        if self.closed || pooled.expired(at) {
            self.discard(pooled, fx);
            self.balance(config, now, fx);
        } else if let Some(queued) = self.waiters.pop_oldest() {
            self.hand_over(queued, pooled, fx);
        } else {
            pooled.last_used = at;
            self.idle.push_back(pooled);
        }
    }

    /// Puts a connection in the ticket of a waiter just taken out of the queue.
    fn hand_over(&mut self, queued: Queued<T, E>, pooled: Pooled<T>, fx: &mut Effects<T>) {
        self.in_use += 1;
        self.counters.gets += 1;
        fx.wake.extend(queued.serve(Ok(pooled)));
    }

    fn start_check(&mut self, pooled: Pooled<T>, fx: &mut Effects<T>) {
        self.recycling += 1;
        self.counters.checks += 1;
        fx.spawn.push(Spawn::Recycle(pooled, Recycle::Check));
    }

    fn discard(&mut self, pooled: Pooled<T>, fx: &mut Effects<T>) {
        self.size -= 1;
        self.counters.discarded += 1;
        fx.close.push(pooled);
    }

    fn timeout_error(&self, waited: Duration) -> Error<E> {
        Error::Timeout {
            waited,
            last_error: self.last_error.clone(),
        }
    }

    /// After close: wakes `drain` callers once nothing is outstanding.
    fn settle(&mut self, fx: &mut Effects<T>) {
        if self.closed && self.outstanding() == 0 {
            for waker in self.drain_wakers.drain(..) {
                fx.wake.push(waker);
            }
        }
    }
}
