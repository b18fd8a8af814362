//! [`Pooled`]: a connection as the pool holds it, with what the pool knows about it.

use std::time::Instant;

use crate::config::Config;

/// A connection and what the pool knows about it.
pub(crate) struct Pooled<T> {
    pub conn: T,
    /// When it must be closed (its maximum lifetime, less its jitter).
    pub expires: Option<Instant>,
    /// When it was last handed back, checked, or opened.
    pub last_used: Instant,
}

impl<T> Pooled<T> {
    pub fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|expires| expires <= now)
    }

    pub fn needs_check(&self, config: &Config, now: Instant) -> bool {
        config
            .check_after_idle
            .is_some_and(|after| now.saturating_duration_since(self.last_used) >= after)
    }
}
