//! [`Object`]: a checked-out connection that goes back to the pool when dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::connect::{Connect, Returned, Runtime};
use crate::pooled::Pooled;
use crate::shared::Shared;

/// A connection checked out of a [`Pool`](crate::Pool). Derefs to the connection.
///
/// Dropping it hands the connection back: [`Connect::returned`] judges it, then a clean
/// connection goes straight to the oldest waiter (or to idle), a dirty one is reset in the
/// background first, and a broken one is closed (and replaced if callers are waiting or
/// `min_idle` is not met).
pub struct Object<C: Connect, R: Runtime> {
    /// `Some` until the object is dropped or taken.
    pooled: Option<Pooled<C::Connection>>,
    shared: Arc<Shared<C, R>>,
    broken: bool,
}

impl<C: Connect, R: Runtime> Object<C, R> {
    pub(crate) fn new(shared: Arc<Shared<C, R>>, pooled: Pooled<C::Connection>) -> Self {
        Object {
            pooled: Some(pooled),
            shared,
            broken: false,
        }
    }

    /// Takes the connection out of the pool for good. The pool forgets it (its slot is free
    /// for a new connection) and the caller owns it.
    pub fn take(mut this: Self) -> C::Connection {
        let pooled = this.pooled.take().expect("present until dropped or taken");
        this.shared
            .update(|state, config, now, fx| state.take(config, now, fx));
        pooled.conn
    }

    /// Marks the connection broken: when dropped it is closed instead of reused, whatever
    /// [`Connect::returned`] would say.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Whether [`Object::mark_broken`] was called.
    pub fn is_marked_broken(&self) -> bool {
        self.broken
    }
}

impl<C: Connect, R: Runtime> Deref for Object<C, R> {
    type Target = C::Connection;

    fn deref(&self) -> &C::Connection {
        &self
            .pooled
            .as_ref()
            .expect("present until dropped or taken")
            .conn
    }
}

impl<C: Connect, R: Runtime> DerefMut for Object<C, R> {
    fn deref_mut(&mut self) -> &mut C::Connection {
        &mut self
            .pooled
            .as_mut()
            .expect("present until dropped or taken")
            .conn
    }
}

impl<C: Connect, R: Runtime> Drop for Object<C, R> {
    fn drop(&mut self) {
        let Some(mut pooled) = self.pooled.take() else {
            return;
        };
        // Judged before taking the lock: `returned` is the user's code.
        let verdict = if self.broken {
            Returned::Broken
        } else {
            self.shared.connect.returned(&mut pooled.conn)
        };
        self.shared.update(|state, config, now, fx| {
            state.give_back(pooled, verdict, config, now, fx);
        });
    }
}

impl<C, R> fmt::Debug for Object<C, R>
where
    C: Connect,
    C::Connection: fmt::Debug,
    R: Runtime,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object")
            .field("connection", &self.pooled.as_ref().map(|p| &p.conn))
            .field("broken", &self.broken)
            .finish()
    }
}
