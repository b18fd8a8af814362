//! The clocks: the one place the wall clock and the monotonic clock are read. The store is
//! given the time ([`now`]) and a timer ([`monotonic`]); it reads neither itself.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use radish_store::Millis;

/// The wall clock in Unix milliseconds: the time the store is given.
pub fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// A monotonic clock in nanoseconds since its first use: the store's
/// [`Timer`](radish_store::Timer), which times commands for INFO.
pub fn monotonic() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}
