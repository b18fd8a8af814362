//! The pool's background tasks, started through [`Runtime::spawn`]. All connection work
//! (opening, health checks, resets) happens here and never in a caller's future, so a caller
//! that gives up cannot interrupt it half-way.
//!
//! Every change to the state goes through [`Shared::update`], here because it starts the
//! tasks the change asks for, and the tasks report back through it.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use crate::config::Config;
use crate::connect::{Connect, Runtime};
use crate::effects::{Effects, Now, Recycle, Spawn, Watchdog};
use crate::error::ConnectError;
use crate::pooled::Pooled;
use crate::shared::{Fx, Locked, Shared};

impl<C: Connect, R: Runtime> Shared<C, R> {
    /// Runs `change` on the state (with the clock read only if it asks), then does what it
    /// asked for with the lock released.
    pub fn update<T>(
        self: &Arc<Self>,
        change: impl FnOnce(&mut Locked<'_, C>, &Config, &mut Now<'_>, &mut Fx<C>) -> T,
    ) -> T {
        let clock = || self.runtime.now();
        self.update_at(Now::lazy(&clock), change)
    }

    /// [`Shared::update`] with the clock already read or not.
    pub fn update_at<T>(
        self: &Arc<Self>,
        mut now: Now<'_>,
        change: impl FnOnce(&mut Locked<'_, C>, &Config, &mut Now<'_>, &mut Fx<C>) -> T,
    ) -> T {
        let mut fx = Effects::new();
        let result = change(&mut self.lock(), &self.config, &mut now, &mut fx);
        self.apply(fx);
        result
    }

    fn apply(self: &Arc<Self>, fx: Effects<C::Connection>) {
        drop(fx.close);
        for spawn in fx.spawn {
            match spawn {
                Spawn::Connect => self.runtime.spawn(connect(Arc::downgrade(self))),
                Spawn::Recycle(pooled, kind) => {
                    self.runtime.spawn(recycle(self.clone(), pooled, kind));
                }
                Spawn::Watchdog(armed) => {
                    self.runtime.spawn(watchdog(Arc::downgrade(self), armed));
                }
            }
        }
        fx.wake.wake_all();
    }
}

/// Opens one connection, retrying with back-off while the pool still needs it. Holds the
/// pool only weakly between attempts, so a dropped pool stops it.
pub(crate) async fn connect<C: Connect, R: Runtime>(pool: Weak<Shared<C, R>>) {
    let mut failures = 0u32;
    loop {
        let Some(shared) = pool.upgrade() else {
            return;
        };
        let timeout = shared.config.connect_timeout;
        let error = match within(&shared.runtime, timeout, shared.connect.connect()).await {
            Some(Ok(conn)) => {
                shared.update(|state, config, now, fx| state.connected(conn, config, now, fx));
                return;
            }
            Some(Err(error)) => ConnectError::Failed(error),
            None => ConnectError::TimedOut(timeout),
        };
        failures = failures.saturating_add(1);
        let again = shared.update(|state, config, now, fx| {
            state.connect_failed(Arc::new(error), failures, config, now, fx)
        });
        if !again {
            return;
        }
        let pause = shared.runtime.sleep(shared.config.backoff(failures));
        drop(shared);
        pause.await;
    }
}

/// Health-checks a connection that sat idle too long, or resets one returned dirty; then
/// offers it (or closes it, if that failed or took longer than the check timeout).
pub(crate) async fn recycle<C: Connect, R: Runtime>(
    shared: Arc<Shared<C, R>>,
    mut pooled: Pooled<C::Connection>,
    kind: Recycle,
) {
    let conn = &mut pooled.conn;
    let work = async {
        match kind {
            Recycle::Check => shared.connect.check(conn).await,
            Recycle::Reset => shared.connect.reset(conn).await,
        }
    };
    let ok = matches!(
        within(&shared.runtime, shared.config.check_timeout, work).await,
        Some(Ok(()))
    );
    shared.update(|state, config, now, fx| state.recycled(pooled, kind, ok, config, now, fx));
}

/// Every maintenance interval: closes expired and long-idle connections, tops up
/// `min_idle`. Stops when the pool is closed or dropped.
pub(crate) async fn maintain<C: Connect, R: Runtime>(pool: Weak<Shared<C, R>>) {
    loop {
        let pause = match pool.upgrade() {
            Some(shared) if !shared.lock().is_closed() => {
                shared.runtime.sleep(shared.config.maintenance_interval)
            }
            _ => return,
        };
        pause.await;
        let Some(shared) = pool.upgrade() else {
            return;
        };
        shared.update(|state, config, now, fx| state.maintain(config, now, fx));
    }
}

/// Times out waiters: sleeps until the earliest deadline, fails the waiters past theirs, and
/// goes on while any wait (unless a newer watchdog took over).
pub(crate) async fn watchdog<C: Connect, R: Runtime>(pool: Weak<Shared<C, R>>, armed: Watchdog) {
    let mut until = armed.until;
    loop {
        let pause = match pool.upgrade() {
            Some(shared) => shared
                .runtime
                .sleep(until.saturating_duration_since(shared.runtime.now())),
            None => return,
        };
        pause.await;
        let Some(shared) = pool.upgrade() else {
            return;
        };
        let next =
            shared.update(|state, _, now, fx| state.watchdog_woke(armed.generation, now.get(), fx));
        match next {
            Some(next) => until = next,
            None => return,
        }
    }
}

/// Runs `work` for at most `timeout`: `None` if the time ran out first.
async fn within<R: Runtime, F: Future>(
    runtime: &R,
    timeout: Duration,
    work: F,
) -> Option<F::Output> {
    let mut work = pin!(work);
    let mut timer = pin!(runtime.sleep(timeout));
    poll_fn(|cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        timer.as_mut().poll(cx).map(|()| None)
    })
    .await
}
