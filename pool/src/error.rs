//! What can go wrong: getting a connection ([`Error`]), making one ([`ConnectError`]),
//! configuring the pool ([`ConfigError`]) and draining it ([`DrainTimeout`]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why the pool could not open a connection.
#[derive(Debug)]
pub enum ConnectError<E> {
    /// [`Connect::connect`](crate::Connect::connect) returned this error.
    Failed(E),
    /// [`Connect::connect`](crate::Connect::connect) did not finish within the connect timeout.
    TimedOut(Duration),
}

impl<E: fmt::Display> fmt::Display for ConnectError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Failed(error) => write!(f, "connect failed: {error}"),
            ConnectError::TimedOut(after) => write!(f, "connect timed out after {after:?}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ConnectError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Failed(error) => Some(error),
            ConnectError::TimedOut(_) => None,
        }
    }
}

/// Why [`Pool::get`](crate::Pool::get) returned no connection.
///
/// Connect errors are shared (`Arc`) because one failure can explain several callers' errors.
#[derive(Debug)]
pub enum Error<E> {
    /// No connection became available in time.
    Timeout {
        /// How long the caller waited.
        waited: Duration,
        /// The most recent connect failure since the last successful connect, if any: `None`
        /// usually means every connection stayed busy; `Some`, that the server is unreachable.
        last_error: Option<Arc<ConnectError<E>>>,
    },
    /// The pool was closed (before the call, or while it waited).
    Closed,
    /// Connecting failed on every attempt (the first try and each retry) made while this
    /// caller was the oldest waiter.
    Connect(Arc<ConnectError<E>>),
}

impl<E> Clone for Error<E> {
    fn clone(&self) -> Self {
        match self {
            Error::Timeout { waited, last_error } => Error::Timeout {
                waited: *waited,
                last_error: last_error.clone(),
            },
            Error::Closed => Error::Closed,
            Error::Connect(error) => Error::Connect(error.clone()),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Timeout {
                waited,
                last_error: Some(error),
            } => write!(
                f,
                "no connection within {waited:?}; last connect error: {error}"
            ),
            Error::Timeout {
                waited,
                last_error: None,
            } => write!(
                f,
                "no connection within {waited:?}: none came free and no connect failed"
            ),
            Error::Closed => f.write_str("the pool is closed"),
            Error::Connect(error) => write!(f, "no connection: {error}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Timeout {
                last_error: Some(error),
                ..
            }
            | Error::Connect(error) => Some(error.as_ref()),
            Error::Timeout { .. } | Error::Closed => None,
        }
    }
}

/// A setting the builder refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `max_size` is zero: no caller could ever get a connection.
    ZeroMaxSize,
    /// `min_idle` is above `max_size`.
    MinIdleAboveMaxSize {
        /// The requested minimum of idle connections.
        min_idle: usize,
        /// The pool's maximum size.
        max_size: usize,
    },
    /// A duration that must be positive is zero (the setting's name).
    ZeroDuration(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroMaxSize => f.write_str("max_size must be at least 1"),
            ConfigError::MinIdleAboveMaxSize { min_idle, max_size } => {
                write!(f, "min_idle ({min_idle}) is above max_size ({max_size})")
            }
            ConfigError::ZeroDuration(setting) => write!(f, "{setting} must be positive"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// [`Pool::drain`](crate::Pool::drain) reached its deadline with connections still out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainTimeout {
    /// Connections still checked out, or being reset or checked, at the deadline.
    pub outstanding: usize,
}

impl fmt::Display for DrainTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "drain deadline passed with {} connection(s) still out",
            self.outstanding
        )
    }
}

impl std::error::Error for DrainTimeout {}
