//! The clocks: the one place the wall clock and the monotonic clock are read. The store is
//! given the time ([`now`]) and a timer ([`monotonic`]); it reads neither itself.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use radish_store::Millis;

/// The wall clock in Unix milliseconds: the time the store is given.
pub fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// A monotonic clock in nanoseconds since its first use: the store's
/// [`Timer`](radish_store::Timer), which times commands for INFO, the slow log and the
/// latency monitor. The first call calibrates it (some milliseconds): call it once before
/// serving.
///
/// Every command is timed while the slow log is on (the default), and the system's clock
/// (`clock_gettime` through the vDSO, then `Instant`'s arithmetic) was 7.8% of radish-smol's
/// CPU at -P 16 GET (perf). Where the kernel itself keeps time with the CPU's time-stamp
/// counter, this reads the counter directly: 14 ns a read on the development VM against
/// 28 ns for `Instant::elapsed`.
pub fn monotonic() -> u64 {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(Clock::start).nanos()
}

/// How [`monotonic`] reads the time.
enum Clock {
    /// The time-stamp counter, from `origin` (counter ticks), `nanos_per_tick` a 32.32 fixed
    /// point number.
    Tsc { origin: u64, nanos_per_tick: u64 },
    /// `Instant`, from `origin`.
    Instant { origin: Instant },
}

/// How long the counter is compared with `Instant` to learn its rate: the reads at both ends
/// err by some 30 ns each, a few parts per million of this.
const CALIBRATION: Duration = Duration::from_millis(10);

impl Clock {
    fn start() -> Clock {
        match tsc::ticks() {
            Some(_) if tsc::kernel_trusts_it() => {
                let (origin, began) = tsc::with_instant();
                std::thread::sleep(CALIBRATION);
                let (ticks, ended) = tsc::with_instant();
                let elapsed = ended.duration_since(began);
                let per_tick = ((elapsed.as_nanos() << 32)
                    / u128::from(ticks.saturating_sub(origin).max(1)))
                    as u64;
                Clock::Tsc {
                    origin,
                    nanos_per_tick: per_tick,
                }
            }
            _ => Clock::Instant {
                origin: Instant::now(),
            },
        }
    }

    #[inline]
    fn nanos(&self) -> u64 {
        match self {
            Clock::Tsc {
                origin,
                nanos_per_tick,
            } => {
                let ticks = tsc::ticks().unwrap_or(*origin).saturating_sub(*origin);
                ((u128::from(ticks) * u128::from(*nanos_per_tick)) >> 32) as u64
            }
            Clock::Instant { origin } => origin.elapsed().as_nanos() as u64,
        }
    }
}

/// The x86-64 time-stamp counter.
#[cfg(target_arch = "x86_64")]
mod tsc {
    /// The counter now.
    #[inline]
    #[allow(unsafe_code)]
    pub(super) fn ticks() -> Option<u64> {
        // SAFETY: RDTSC reads a register and touches no memory; every x86-64 CPU has it (it
        // is in the baseline the target compiles for), so nothing is required of the caller.
        // The intrinsic is `unsafe` only as every `core::arch` function is.
        Some(unsafe { core::arch::x86_64::_rdtsc() })
    }

    /// The counter and `Instant` read together: the tightest of several tries of a read of
    /// `Instant` between two of the counter, taken at its middle. A thread preempted between
    /// the two reads (a loaded machine, while calibrating) would otherwise skew the rate by
    /// what it waited: 4.5% in a debug test run on a busy machine.
    pub(super) fn with_instant() -> (u64, std::time::Instant) {
        let mut best = (u64::MAX, 0, std::time::Instant::now());
        for _ in 0..16 {
            let (Some(before), instant, Some(after)) =
                (ticks(), std::time::Instant::now(), ticks())
            else {
                break;
            };
            let width = after.wrapping_sub(before);
            if width < best.0 {
                best = (width, before + width / 2, instant);
            }
        }
        (best.1, best.2)
    }

    /// Whether Linux keeps its own time with the counter: only then is it known to tick at a
    /// constant rate through frequency changes and sleep states, and in step on every CPU
    /// (a command may start on one thread and end on another).
    pub(super) fn kernel_trusts_it() -> bool {
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|source| source.trim() == "tsc")
    }
}

/// Elsewhere, no counter: `Instant` it is.
#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub(super) fn ticks() -> Option<u64> {
        None
    }

    pub(super) fn kernel_trusts_it() -> bool {
        false
    }

    pub(super) fn with_instant() -> (u64, std::time::Instant) {
        (0, std::time::Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_keeps_step_with_instant() {
        let first = monotonic();
        // The clock's reads bracketed by Instant's: what passed between them is at least
        // the inner span and at most the outer one.
        let outer = Instant::now();
        let start = monotonic();
        let inner = Instant::now();
        std::thread::sleep(Duration::from_millis(50));
        let inner = inner.elapsed().as_nanos() as u64;
        let end = monotonic();
        let outer = outer.elapsed().as_nanos() as u64;
        let nanos = end - start;
        assert!(start >= first);
        // Within 1% of the span.
        assert!(
            nanos >= inner - inner / 100,
            "{nanos} against at least {inner}"
        );
        assert!(
            nanos <= outer + outer / 100,
            "{nanos} against at most {outer}"
        );
    }
}
