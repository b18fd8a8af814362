//! Busy polling: keeps an event-loop thread checking for I/O for a short while after its
//! connections were last active, instead of going to sleep in the kernel at once.
//!
//! Why: when a server thread sleeps in `epoll_wait`, every request a client sends must wake it,
//! and on Linux that wake-up is paid inside the client's `send` (measured with perf: the
//! client's `sock_def_readable` → `try_to_wake_up`, 10–17% of redis-benchmark's time). A
//! server that handles a request faster than the client sends the next one sleeps and is woken
//! for nearly every request. Redis spends more CPU per request than Radish, so it sleeps about
//! half as often and its clients pay fewer wake-ups. Polling for a few tens of microseconds
//! after the last activity means requests arriving in that window find the thread awake:
//! redis-benchmark -P 1 on 2 cores went from 0.87x to 1.0x+ of Redis on LRANGE_100 and gained
//! about a quarter on GET (bench/compare.sh).
//!
//! The spin is a task that yields to its executor in a loop, so the executor keeps polling its
//! I/O driver with a zero timeout and runs connections as soon as their data arrives; nothing
//! waits for the spin to end. Once a whole window passes with no activity, the task sleeps until
//! the next request, so an idle server uses no CPU. With one core there is nobody to leave the
//! CPU to, and spinning would only slow clients on the same machine, so [`BusyPoll::window`]
//! turns it off there.
//!
//! How a turn of the spin gives the executor its turn is the runtime's choice
//! ([`BusyPoll::run`]): it must let the executor poll for I/O once it has run every ready
//! task, or the spinner, always ready itself, keeps I/O waiting. A turn that only yields did
//! that on tokio while tokio polled for I/O every 61 tasks (-P 1 geomean 0.99x of Redis
//! without busy polling, 1.10x with), but not with the longer interval radish-tokio now runs
//! (see its `main.rs`): one client's GETs fell from 27k/s to 18k/s. On smol it never did:
//! async-io polls its reactor only every 200 tasks, and each poll costs four system calls
//! besides `epoll_wait` (-P 16 went from 1.30x to 1.24x). So each runtime's turn waits for
//! its executor's next poll for I/O, which comes only when the executor is out of work
//! (smol: -P 1 1.07x → 1.09x, LRANGE_100 0.96x → 1.01x; -P 16 unchanged).
//!
//! The spin is for an event loop waiting on one client's round trip. Once a second
//! connection reads while it spins, the loop serves several clients, whose requests wake it
//! in batches, and the spin only burns what it would have slept: so it stops until the next
//! activity ([`BusyPoll::mark`] takes the connection). redis-benchmark -c 50, server CPU per
//! request against redis-server's in the same run: -P 1 tokio 1.24x → 1.13x (busy polling
//! off: 1.12x), smol 2.16x → 1.17x; -P 16 smol 1.26x → 0.79x, tokio unchanged. One client's
//! requests are served as before.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use radish_store::{Notify, Timer};

/// How long an event loop keeps polling after its last activity, unless the binary is told
/// otherwise (`RADISH_BUSY_POLL_US`). 5 µs recovered most of the wake-ups in the measurements
/// above; 50 µs covers a client round trip on loopback with room to spare.
const WINDOW: Duration = Duration::from_micros(50);

/// [`BusyPoll::last_reader`] when no connection marked activity yet.
const NO_READER: u64 = u64::MAX;

/// Idle turns of the spinner between two clock reads.
const CLOCK_EVERY: u32 = 8;

/// One event loop's busy-poll state: connections [`mark`](BusyPoll::mark) activity, and the
/// task from [`run`](BusyPoll::run) spins while there is some.
#[derive(Debug)]
pub struct BusyPoll {
    window_nanos: u64,
    /// Set by connections, cleared by the spinning task.
    active: AtomicBool,
    /// The connection that marked activity last. Kept across sleeps: under load the first
    /// read after one is another connection's, so the spin does not start at all (each
    /// start cost a turn, a 1 µs timer on smol).
    last_reader: AtomicU64,
    /// Set when a connection marks activity after another did; cleared by the spinning task,
    /// which stops spinning then (see [`BusyPoll::run`]).
    several: AtomicBool,
    /// The spinning task is asleep on `wake`.
    sleeping: AtomicBool,
    /// Set by [`rest`](BusyPoll::rest), cleared by [`mark`](BusyPoll::mark): the spinner
    /// stops at its next turn.
    resting: AtomicBool,
    wake: Notify,
}

impl BusyPoll {
    /// Busy polling for `window` after each activity; a zero window turns it off.
    pub fn new(window: Duration) -> BusyPoll {
        BusyPoll {
            window_nanos: window.as_nanos().min(u128::from(u64::MAX)) as u64,
            active: AtomicBool::new(false),
            last_reader: AtomicU64::new(NO_READER),
            several: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            resting: AtomicBool::new(false),
            wake: Notify::default(),
        }
    }

    /// The window for this machine: `micros` if given (the binaries pass
    /// `RADISH_BUSY_POLL_US`; 0 or anything but a number turns busy polling off), else 50 µs
    /// with two or more cores and off with one.
    pub fn window(micros: Option<&str>) -> Duration {
        match micros {
            Some(micros) => Duration::from_micros(micros.trim().parse().unwrap_or(0)),
            None if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 => WINDOW,
            None => Duration::ZERO,
        }
    }

    /// Whether this polls at all.
    pub fn enabled(&self) -> bool {
        self.window_nanos > 0
    }

    /// Notes that `connection` (any number that tells this event loop's connections apart)
    /// just read something; wakes the spinning task if it was asleep. Cheap when it is
    /// already spinning: four loads.
    #[inline]
    pub fn mark(&self, connection: u64) {
        let last = self.last_reader.load(Ordering::Relaxed);
        if last != connection {
            self.last_reader.store(connection, Ordering::Relaxed);
            if last != NO_READER {
                self.several.store(true, Ordering::Relaxed);
            }
        }
        if !self.active.load(Ordering::Relaxed) {
            self.active.store(true, Ordering::SeqCst);
        }
        if self.resting.load(Ordering::Relaxed) {
            self.resting.store(false, Ordering::Relaxed);
        }
        // SeqCst on both sides: the sleeper sets `sleeping` and then reads `active`; this side
        // sets `active` and then reads `sleeping`. One of the two sees the other's write.
        if self.sleeping.load(Ordering::SeqCst) && self.sleeping.swap(false, Ordering::SeqCst) {
            self.wake.notify();
        }
    }

    /// Stops the spin at its next turn, until the next [`mark`](BusyPoll::mark): for an
    /// event loop about to block in an fsync (`appendfsync always`). Its clients wait for the
    /// fsync (100 µs or more) before they can send again, so the wake-up that spinning saves
    /// is small beside it, and spinning through the wait measured slower: one client's SETs
    /// went from 5.5k/s to 5.9k/s (radish-tokio) and from 5.4k/s to 6.2k/s (radish-smol) when
    /// the spin rests, against redis-server's 5.9k/s in the same runs.
    pub fn rest(&self) {
        if self.enabled() {
            // The activity marked so far is this fsync's own request's: it must not restart
            // the spin once the spinner stops.
            self.active.store(false, Ordering::Relaxed);
            self.resting.store(true, Ordering::Relaxed);
        }
    }

    /// Whether more than one connection marked activity since the last look.
    fn several_read(&self) -> bool {
        self.several.load(Ordering::Relaxed) && self.several.swap(false, Ordering::Relaxed)
    }

    /// The spinning task: run it on the event loop whose connections call [`mark`]; it never
    /// completes (drop it to stop). `clock` gives monotonic nanoseconds; each turn of the spin
    /// awaits `turn()`, which must give the executor its turn at its other ready tasks and at
    /// polling for I/O (see the module's documentation). Returns at once if busy polling is
    /// off.
    ///
    /// [`mark`]: BusyPoll::mark
    pub async fn run<F: Future<Output = ()>>(&self, clock: Timer, mut turn: impl FnMut() -> F) {
        if !self.enabled() {
            return;
        }
        loop {
            // Sleep until a connection is active.
            self.sleeping.store(true, Ordering::SeqCst);
            if !self.active.swap(false, Ordering::SeqCst) {
                self.wake.notified().await;
                self.active.store(false, Ordering::SeqCst);
            }
            self.sleeping.store(false, Ordering::SeqCst);
            if self.several_read() {
                // Several clients: sleep until the next activity. (Activity marked since the
                // swap above goes with it; at worst a spin is missed.)
                self.active.store(false, Ordering::SeqCst);
                continue;
            }
            // Spin until a whole window passes with no activity. The clock is read only on
            // every CLOCK_EVERY-th idle turn, and never while connections keep marking
            // activity: under load the spinner runs between every two batches, and a clock
            // read per turn cost 5% of the server's CPU at -P 16 (perf).
            let mut deadline = None;
            let mut idle_turns = 0u32;
            loop {
                turn().await;
                if self.resting.swap(false, Ordering::Relaxed) {
                    break;
                }
                if self.several_read() {
                    // As above.
                    self.active.store(false, Ordering::Relaxed);
                    break;
                }
                if self.active.load(Ordering::Relaxed) {
                    self.active.store(false, Ordering::Relaxed);
                    deadline = None;
                    idle_turns = 0;
                    continue;
                }
                idle_turns += 1;
                if idle_turns % CLOCK_EVERY != 0 {
                    continue;
                }
                let now = clock();
                match deadline {
                    None => deadline = Some(now.saturating_add(self.window_nanos)),
                    Some(end) if now >= end => break,
                    Some(_) => {}
                }
            }
        }
    }
}

/// Gives the runtime a turn: pending once (asking to be polled again at the back of the
/// queue), ready the next time.
#[derive(Default)]
pub(crate) struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(std::sync::atomic::AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    static NOW: AtomicU64 = AtomicU64::new(0);
    fn fake_clock() -> u64 {
        NOW.load(Ordering::SeqCst)
    }

    #[test]
    fn sleeps_when_idle_spins_after_activity_and_sleeps_again_after_the_window() {
        let busy = BusyPoll::new(Duration::from_nanos(100));
        let wakes = Arc::new(Count(Default::default()));
        let waker = std::task::Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut task = Box::pin(busy.run(fake_clock, YieldOnce::default));
        let woken = || wakes.0.load(Ordering::SeqCst);
        // Polls the task `turns` times; each must leave it pending.
        let mut turn = |turns: u32| {
            for _ in 0..turns {
                assert!(task.as_mut().poll(&mut cx).is_pending());
            }
        };

        // Idle: the task sleeps and asks for no further poll.
        turn(1);
        assert_eq!(woken(), 0);
        assert!(busy.sleeping.load(Ordering::SeqCst));

        // Activity wakes it; while in the window it wakes itself on every turn.
        busy.mark(1);
        assert_eq!(woken(), 1);
        turn(1 + CLOCK_EVERY); // the waking turn, then idle turns up to a clock read
        assert_eq!(woken(), 2 + CLOCK_EVERY as usize);
        NOW.fetch_add(60, Ordering::SeqCst);
        turn(CLOCK_EVERY);
        assert!(!busy.sleeping.load(Ordering::SeqCst));

        // More activity starts a new window: past the first one's end, it still spins.
        busy.mark(1);
        NOW.fetch_add(60, Ordering::SeqCst);
        turn(1 + CLOCK_EVERY);
        NOW.fetch_add(60, Ordering::SeqCst);
        turn(CLOCK_EVERY);
        assert!(!busy.sleeping.load(Ordering::SeqCst));

        // A whole window with no activity: back to sleep, and no more self-wakes.
        NOW.fetch_add(60, Ordering::SeqCst);
        turn(CLOCK_EVERY);
        assert!(busy.sleeping.load(Ordering::SeqCst));
        let asleep = woken();
        turn(3);
        assert_eq!(woken(), asleep);

        // The next activity wakes it again.
        busy.mark(1);
        assert_eq!(woken(), asleep + 1);
        turn(1);
        assert!(!busy.sleeping.load(Ordering::SeqCst));
    }

    /// Runs `check` with a busy poller whose window never ends, a function that polls its
    /// task once (the task must stay pending) and one that counts the task's wake-ups.
    fn with_endless_window(check: impl FnOnce(&BusyPoll, &mut dyn FnMut(), &dyn Fn() -> usize)) {
        let busy = BusyPoll::new(Duration::from_secs(3600));
        let wakes = Arc::new(Count(Default::default()));
        let waker = std::task::Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut task = Box::pin(busy.run(|| 0, YieldOnce::default));
        let mut turn = || assert!(task.as_mut().poll(&mut cx).is_pending());
        check(&busy, &mut turn, &|| wakes.0.load(Ordering::SeqCst));
    }

    #[test]
    fn several_connections_reading_stop_the_spin_until_the_next_activity() {
        with_endless_window(|busy, turn, _| {
            // One connection reading again and again: the spin goes on.
            busy.mark(1);
            turn();
            busy.mark(1);
            turn();
            turn();
            assert!(!busy.sleeping.load(Ordering::SeqCst));

            // Another one reads: the spin stops at its next turn.
            busy.mark(2);
            turn();
            turn();
            assert!(busy.sleeping.load(Ordering::SeqCst));

            // Woken by two connections at once, it does not spin at all.
            busy.mark(1);
            busy.mark(2);
            turn();
            assert!(busy.sleeping.load(Ordering::SeqCst));

            // One connection alone again: it spins.
            busy.mark(2);
            turn();
            turn();
            assert!(!busy.sleeping.load(Ordering::SeqCst));
        });
    }

    #[test]
    fn rest_stops_the_spin_until_the_next_activity() {
        with_endless_window(|busy, turn, woken| {
            busy.mark(1);
            turn();
            turn();
            assert!(!busy.sleeping.load(Ordering::SeqCst));

            // Activity after a rest cancels it: the spin goes on.
            busy.rest();
            busy.mark(1);
            turn();
            assert!(!busy.sleeping.load(Ordering::SeqCst));

            // A rest ends the spin at its next turn, long before the window's end.
            busy.rest();
            turn();
            assert!(busy.sleeping.load(Ordering::SeqCst));
            let asleep = woken();
            turn();
            assert_eq!(woken(), asleep);

            // The next activity wakes it and it spins again.
            busy.mark(1);
            assert_eq!(woken(), asleep + 1);
            turn();
            turn();
            assert!(!busy.sleeping.load(Ordering::SeqCst));
        });
    }

    #[test]
    fn the_window_is_what_the_binary_was_told_or_a_default_for_the_machine() {
        assert_eq!(BusyPoll::window(Some("20")), Duration::from_micros(20));
        assert_eq!(BusyPoll::window(Some(" 0 ")), Duration::ZERO);
        assert_eq!(BusyPoll::window(Some("lots")), Duration::ZERO);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let default = if cores > 1 { WINDOW } else { Duration::ZERO };
        assert_eq!(BusyPoll::window(None), default);
    }

    #[test]
    fn a_zero_window_turns_it_off() {
        let busy = BusyPoll::new(Duration::ZERO);
        assert!(!busy.enabled());
        let waker = std::task::Waker::from(Arc::new(Count(Default::default())));
        let mut cx = Context::from_waker(&waker);
        assert!(Box::pin(busy.run(fake_clock, YieldOnce::default))
            .as_mut()
            .poll(&mut cx)
            .is_ready());
    }
}
