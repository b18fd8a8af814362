//! The pool's settings and their builder. Every default is finite: a caller never waits
//! forever and a connection never lives forever unless asked to.

use std::time::{Duration, Instant};

use crate::connect::{Connect, Runtime};
use crate::error::ConfigError;

/// The settings a pool runs with (see [`Builder`] for what each one means).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub max_size: usize,
    pub min_idle: usize,
    pub wait_timeout: Duration,
    pub connect_timeout: Duration,
    pub check_timeout: Duration,
    pub check_after_idle: Option<Duration>,
    pub max_lifetime: Option<Duration>,
    pub lifetime_jitter: Duration,
    pub idle_timeout: Option<Duration>,
    pub connect_retries: u32,
    pub retry_backoff: Duration,
    pub max_retry_backoff: Duration,
    pub maintenance_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        let max_lifetime = Duration::from_secs(30 * 60);
        Config {
            max_size: 16,
            min_idle: 0,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            check_timeout: Duration::from_secs(2),
            check_after_idle: Some(Duration::from_secs(10)),
            max_lifetime: Some(max_lifetime),
            lifetime_jitter: max_lifetime / 10,
            idle_timeout: Some(Duration::from_secs(10 * 60)),
            connect_retries: 2,
            retry_backoff: Duration::from_millis(100),
            max_retry_backoff: Duration::from_secs(5),
            maintenance_interval: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// When a connection numbered `serial`, opened at `now`, reaches its maximum lifetime.
    ///
    /// Each connection's lifetime is shortened by a different part of the jitter so that
    /// connections opened together do not all expire (and reconnect) together. The parts follow
    /// the golden-ratio sequence, which spreads any run of consecutive serials evenly over the
    /// jitter window, and keeps the schedule reproducible.
    pub fn expiry(&self, serial: u64, now: Instant) -> Option<Instant> {
        let lifetime = self.max_lifetime?;
        let fraction = u128::from(serial.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32);
        let cut = (self.lifetime_jitter.as_nanos() * fraction) >> 32;
        let cut = Duration::from_nanos(u64::try_from(cut).unwrap_or(u64::MAX));
        now.checked_add(lifetime.saturating_sub(cut))
    }

    /// The pause before connect attempt number `failures + 1`: doubling, capped.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.retry_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_retry_backoff)
    }

    /// Whether the pool needs its background maintenance task.
    pub fn needs_maintenance(&self) -> bool {
        self.min_idle > 0 || self.idle_timeout.is_some() || self.max_lifetime.is_some()
    }
}

/// Builds a [`Pool`](crate::Pool):
/// `Pool::builder(connector, runtime).max_size(32).min_idle(4).build()?` (see the crate docs
/// for a whole example).
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<C, R> {
    connect: C,
    runtime: R,
    config: Config,
    jitter: Option<Duration>,
}

impl<C: Connect, R: Runtime> Builder<C, R> {
    pub(crate) fn new(connect: C, runtime: R) -> Self {
        Builder {
            connect,
            runtime,
            config: Config::default(),
            jitter: None,
        }
    }

    /// The most connections open at once, counting those being opened (default 16).
    pub fn max_size(mut self, max_size: usize) -> Self {
        self.config.max_size = max_size;
        self
    }

    /// How many idle connections the pool keeps ready, opening them in the background
    /// (default 0). Idle connections below this count are never closed for being idle.
    pub fn min_idle(mut self, min_idle: usize) -> Self {
        self.config.min_idle = min_idle;
        self
    }

    /// How long [`Pool::get`](crate::Pool::get) waits for a connection before failing with
    /// [`Error::Timeout`](crate::Error::Timeout) (default 5 s).
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.config.wait_timeout = timeout;
        self
    }

    /// How long one connect attempt may take (default 2 s: shorter than the wait timeout, so
    /// that a caller timing out can say why a connect hung).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long one health check ([`Connect::check`]) or one reset ([`Connect::reset`]) may
    /// take before the connection is discarded (default 2 s).
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        self.config.check_timeout = timeout;
        self
    }

    /// A connection idle for at least this long is health-checked before it is handed out
    /// (default 10 s). `Some(Duration::ZERO)` checks on every checkout; `None` never checks.
    pub fn check_after_idle(mut self, idle: Option<Duration>) -> Self {
        self.config.check_after_idle = idle;
        self
    }

    /// Connections are closed once they are this old, when next idle or returned (default
    /// 30 min; `None` keeps them forever). See [`Builder::lifetime_jitter`].
    pub fn max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.config.max_lifetime = lifetime;
        self
    }

    /// Each connection's lifetime is shortened by a different amount in `0..jitter`, so that
    /// connections opened together are not all replaced together (default: a tenth of the
    /// maximum lifetime; capped at half of it).
    pub fn lifetime_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Idle connections beyond `min_idle` are closed after this long unused (default 10 min;
    /// `None` keeps them).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// How many times a failed connect is retried before the oldest waiter is given the
    /// error (default 2). The pool keeps retrying after that while callers wait or `min_idle`
    /// is not met.
    pub fn connect_retries(mut self, retries: u32) -> Self {
        self.config.connect_retries = retries;
        self
    }

    /// The pause after the first failed connect attempt, doubled after each further failure
    /// up to `max` (defaults 100 ms and 5 s).
    pub fn retry_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.config.retry_backoff = first;
        self.config.max_retry_backoff = max;
        self
    }

    /// How often the background task closes expired and long-idle connections and tops up
    /// `min_idle` (default 10 s).
    pub fn maintenance_interval(mut self, interval: Duration) -> Self {
        self.config.maintenance_interval = interval;
        self
    }

    /// Checks the settings and hands back what a pool starts from: the connector, the runtime
    /// and the settings, with the lifetime jitter fitted. [`Builder::build`] starts the pool.
    pub(crate) fn finish(self) -> Result<(C, R, Config), ConfigError> {
        let mut config = self.config;
        if config.max_size == 0 {
            return Err(ConfigError::ZeroMaxSize);
        }
        if config.min_idle > config.max_size {
            return Err(ConfigError::MinIdleAboveMaxSize {
                min_idle: config.min_idle,
                max_size: config.max_size,
            });
        }
        let positive = [
            ("connect_timeout", Some(config.connect_timeout)),
            ("check_timeout", Some(config.check_timeout)),
            ("maintenance_interval", Some(config.maintenance_interval)),
            ("max_lifetime", config.max_lifetime),
            ("idle_timeout", config.idle_timeout),
        ];
        if let Some((setting, _)) = positive.iter().find(|(_, d)| *d == Some(Duration::ZERO)) {
            return Err(ConfigError::ZeroDuration(setting));
        }
        let lifetime = config.max_lifetime.unwrap_or(Duration::ZERO);
        config.lifetime_jitter = self.jitter.unwrap_or(lifetime / 10).min(lifetime / 2);
        Ok((self.connect, self.runtime, config))
    }
}
