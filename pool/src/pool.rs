//! [`Pool`]: building, checkout, waiting, close and drain. The background tasks live in
//! `tasks.rs`.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::config::{Builder, Config};
use crate::connect::{Connect, Runtime};
use crate::effects::Now;
use crate::error::{ConfigError, ConnectError, DrainTimeout, Error};
use crate::object::Object;
use crate::shared::Shared;
use crate::state::Checkout;
use crate::status::{Counters, Status};
use crate::tasks;
use crate::waiters::{Outcome as TicketOutcome, Ticket};

/// A pool of connections made by `C`, with time and background work from `R`.
///
/// Cloning is cheap and every clone is the same pool. See the crate docs for the guarantees.
pub struct Pool<C: Connect, R: Runtime> {
    shared: Arc<Shared<C, R>>,
}

impl<C: Connect, R: Runtime> Clone for Pool<C, R> {
    fn clone(&self) -> Self {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

impl<C: Connect, R: Runtime> Pool<C, R> {
    /// A pool with the default settings (see [`Builder`]).
    pub fn new(connect: C, runtime: R) -> Self {
        Pool::start(connect, runtime, Config::default())
    }

    /// A builder to change the settings.
    pub fn builder(connect: C, runtime: R) -> Builder<C, R> {
        Builder::new(connect, runtime)
    }

    pub(crate) fn start(connect: C, runtime: R, config: Config) -> Self {
        let shared = Arc::new(Shared::new(connect, runtime, config));
        if shared.config.needs_maintenance() {
            shared
                .runtime
                .spawn(tasks::maintain(Arc::downgrade(&shared)));
        }
        shared.update(|state, config, now, fx| state.balance(config, now, fx));
        Pool { shared }
    }

    /// A connection, waiting at most the pool's wait timeout.
    ///
    /// Callers are served strictly in arrival order. Dropping the future at any point is
    /// safe: a connection already handed to it goes to the next caller, and one being opened
    /// for it goes to the next caller or to idle.
    pub async fn get(&self) -> Result<Object<C, R>, Error<C::Error>> {
        self.get_timeout(self.shared.config.wait_timeout).await
    }

    /// [`Pool::get`] with its own timeout. A zero timeout fails at once unless a connection is
    /// idle and nobody is waiting.
    pub async fn get_timeout(&self, timeout: Duration) -> Result<Object<C, R>, Error<C::Error>> {
        let mut waiter = Waiter {
            shared: &self.shared,
            timeout,
            ticket: None,
        };
        poll_fn(|cx| waiter.poll(cx)).await
    }

    /// What the pool holds now.
    pub fn status(&self) -> Status {
        self.shared.lock().status(&self.shared.config)
    }

    /// What the pool has done so far.
    pub fn counters(&self) -> Counters {
        self.shared.lock().counters()
    }

    /// The most recent connect failure since the last successful connect: what a background
    /// connect (for `min_idle`, say) ran into, even if no caller was waiting to be told.
    pub fn last_connect_error(&self) -> Option<Arc<ConnectError<C::Error>>> {
        self.shared.lock().last_error()
    }

    /// Closes the pool: waiting and future `get` calls fail with [`Error::Closed`], idle
    /// connections are closed now, and connections handed back later are closed on return.
    pub fn close(&self) {
        self.shared.update(|state, _, _, fx| state.close(fx));
    }

    /// Whether [`Pool::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().is_closed()
    }

    /// Closes the pool and waits until every connection checked out (or being reset or
    /// health-checked) has come back and been closed, or until `deadline`.
    pub async fn drain(&self, deadline: Instant) -> Result<(), DrainTimeout> {
        self.close();
        let shared = &self.shared;
        let mut timer = pin!(shared
            .runtime
            .sleep(deadline.saturating_duration_since(shared.runtime.now())));
        poll_fn(|cx| {
            let mut state = shared.lock();
            if state.outstanding() == 0 {
                return Poll::Ready(Ok(()));
            }
            state.wait_drained(cx.waker());
            drop(state);
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(DrainTimeout {
                    outstanding: shared.lock().outstanding(),
                })),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

impl<C: Connect, R: Runtime> Builder<C, R> {
    /// Checks the settings and starts the pool (and, when needed, its background task and
    /// `min_idle` connects).
    pub fn build(self) -> Result<Pool<C, R>, ConfigError> {
        let (connect, runtime, config) = self.finish()?;
        Ok(Pool::start(connect, runtime, config))
    }
}

impl<C: Connect, R: Runtime> std::fmt::Debug for Pool<C, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("status", &self.status())
            .finish()
    }
}

/// A `get` in progress. Its first poll checks out or queues (registering its waker at the
/// same time); from then until it is served, the ticket belongs to this guard, and dropping the
/// guard gives the ticket (and anything the pool left in it) back. The pool fills the ticket with
/// a connection, or with an error (its timeout, close, a failed connect), and wakes it.
struct Waiter<'a, C: Connect, R: Runtime> {
    shared: &'a Arc<Shared<C, R>>,
    timeout: Duration,
    ticket: Option<Ticket<C::Connection, C::Error>>,
}

type Outcome<C, R> = Result<Object<C, R>, Error<<C as Connect>::Error>>;

impl<C: Connect, R: Runtime> Waiter<'_, C, R> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome<C, R>> {
        let shared = self.shared;
        let Some(ticket) = &self.ticket else {
            let clock = || shared.runtime.now();
            let checkout = shared.update_at(Now::read(&clock), |state, config, now, fx| {
                state.checkout(config, now, self.timeout, cx.waker(), fx)
            });
            return match checkout {
                Checkout::Ready(pooled) => Poll::Ready(Ok(Object::new(shared.clone(), pooled))),
                Checkout::Failed(error) => Poll::Ready(Err(error)),
                Checkout::Queued(ticket) => {
                    self.ticket = Some(ticket);
                    Poll::Pending
                }
            };
        };
        // The ticket's own lock, not the pool's.
        let polled = ticket.poll(cx.waker());
        polled.map(|outcome: TicketOutcome<C::Connection, C::Error>| {
            self.ticket = None;
            outcome.map(|pooled| Object::new(shared.clone(), pooled))
        })
    }
}

impl<C: Connect, R: Runtime> Drop for Waiter<'_, C, R> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.shared
                .update(|state, config, now, fx| state.abandon(ticket, config, now, fx));
        }
    }
}
