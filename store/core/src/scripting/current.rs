//! The invocation running in a Lua state, as the functions Lua calls see it: its [`Host`],
//! the protocol and replication settings it chose (`redis.setresp`, `redis.set_repl`), and
//! what may interrupt it. The engine's Rust functions share one [`Current`].
//!
//! The host borrows the command's context (the data lock, the connection), so it cannot be
//! captured by the Lua functions themselves, which live as long as the Lua state. mlua's
//! scoped functions would do it safely, but making them for every invocation (a closure, a
//! userdata and their teardown each, and the garbage they leave) measured as the largest
//! cost of a short script: bench/scripting.sh put EVALSHA of a one-call script at 0.32x of
//! redis-server at -P 16 (tokio) with them, 0.46x without (quick runs on a loaded machine).
//! So the invocation lends its host here for as long as it runs, as a pointer whose lifetime
//! this module keeps.

// One of the two places the core uses `unsafe` (with `raw_call.rs`; the workspace denies it
// elsewhere): see above.
#![allow(unsafe_code)]

use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU16, Ordering};
use std::sync::{Mutex, MutexGuard};

use radish_resp::Version;

use super::Host;

/// What `redis.setresp` and `redis.set_repl` set for the running invocation.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// The protocol `redis.call` replies come in.
    pub version: Version,
    /// Where writes are propagated (`redis::repl`).
    pub repl: u8,
}

impl Settings {
    /// How every invocation starts: RESP2, writes propagated everywhere.
    pub const START: Settings = Settings {
        version: Version::Resp2,
        repl: super::repl::ALL,
    };

    /// Packed in 16 bits (never 0, which stands for none).
    fn pack(self) -> u16 {
        let version = match self.version {
            Version::Resp2 => 0,
            Version::Resp3 => 1,
        };
        0x8000 | version << 8 | u16::from(self.repl)
    }

    fn unpack(packed: u16) -> Option<Settings> {
        if packed == 0 {
            return None;
        }
        Some(Settings {
            version: match packed >> 8 & 1 {
                0 => Version::Resp2,
                _ => Version::Resp3,
            },
            repl: packed as u8,
        })
    }
}

/// FUNCTION LOAD's time budget, asked as a library's code runs: true stops it.
pub type Interrupt = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

/// A host as `lend` keeps it: a reference on its stack, which this points at.
type LentHost = &'static mut (dyn Host + 'static);

/// The running invocation, shared by the engine's Rust functions. Every `redis.call` reads
/// it, so what it reads are atomics (one thread uses the state at a time: the data lock and
/// the engine's lock order it).
#[derive(Default)]
pub struct Current {
    /// The lent host, by [`Current::lend`]; null when none is, or while a function uses it.
    host: AtomicPtr<LentHost>,
    /// The running invocation's settings, packed; 0 when none runs.
    settings: AtomicU16,
    guard: Mutex<Guard>,
    /// The count hook was switched to raising at every line (a kill): the engine puts it
    /// back after the invocation.
    killed: AtomicBool,
}

/// What the count hook reads while a library's code runs.
#[derive(Default)]
struct Guard {
    /// The load budget; `None` once it said stop (or none was given).
    interrupt: Option<Interrupt>,
    /// A function library's code runs (FUNCTION LOAD), not an invocation: a stop is its
    /// load timeout rather than a kill.
    loading: bool,
}

impl Current {
    fn guard(&self) -> MutexGuard<'_, Guard> {
        self.guard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `body` (the invocation) with `host` lent to the engine's functions; returns what
    /// `body` returned and the settings it ended with. The host is taken back when `body`
    /// returns or unwinds.
    pub fn lend<R>(&self, host: &mut dyn Host, body: impl FnOnce() -> R) -> (R, Settings) {
        /// Forgets the host however `body` ends.
        struct TakeBack<'a>(&'a Current);
        impl Drop for TakeBack<'_> {
            fn drop(&mut self) {
                self.0.host.store(null_mut(), Ordering::Release);
                self.0.settings.store(0, Ordering::Release);
            }
        }
        let mut lent: &mut dyn Host = host;
        // Only the pointee's lifetime bounds change. The pointer must not outlive `lent`:
        // `TakeBack`, declared after it, forgets the pointer before `lent` goes, and `host`
        // stays mutably borrowed by this function meanwhile, so nothing else reaches it.
        let pointer = (&mut lent as *mut &mut dyn Host).cast::<LentHost>();
        self.settings
            .store(Settings::START.pack(), Ordering::Release);
        self.host.store(pointer, Ordering::Release);
        let take_back = TakeBack(self);
        let result = body();
        let settings = self.settings().unwrap_or(Settings::START);
        drop(take_back);
        (result, settings)
    }

    /// Runs `body` (a function library's code, as FUNCTION LOAD runs it) with what may
    /// `interrupt` it: its time budget. No host is lent: library code runs no commands.
    pub fn guard_load<R>(&self, interrupt: Option<Interrupt>, body: impl FnOnce() -> R) -> R {
        /// Clears the guard however `body` ends.
        struct Clear<'a>(&'a Current);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                *self.0.guard() = Guard::default();
            }
        }
        *self.guard() = Guard {
            interrupt,
            loading: true,
        };
        let _clear = Clear(self);
        body()
    }

    /// Whether a function library's code runs (rather than an invocation).
    pub fn loading(&self) -> bool {
        self.guard().loading
    }

    /// Asked by the count hook: whether what runs must stop. A library's code asks its load
    /// budget; an invocation asks its host (busy, killed).
    pub fn should_stop(&self) -> bool {
        let guard = self.guard();
        if guard.loading {
            return guard
                .interrupt
                .as_ref()
                .is_some_and(|interrupt| interrupt());
        }
        drop(guard);
        self.with_host(|host, _| host.interrupt()).unwrap_or(false)
    }

    /// Runs `use_host` with the running invocation's host and settings; `None` when no
    /// invocation runs (or its host is in use already: a `redis.call` within a `redis.call`,
    /// which only a debug hook could make).
    pub fn with_host<R>(&self, use_host: impl FnOnce(&mut dyn Host, Settings) -> R) -> Option<R> {
        let settings = self.settings()?;
        // Out of its place while in use: a nested use finds none.
        let pointer = self.host.swap(null_mut(), Ordering::Acquire);
        if pointer.is_null() {
            return None;
        }
        /// Puts the host back however `use_host` ends.
        struct PutBack<'a>(&'a Current, *mut LentHost);
        impl Drop for PutBack<'_> {
            fn drop(&mut self) {
                self.0.host.store(self.1, Ordering::Release);
            }
        }
        let _put_back = PutBack(self, pointer);
        // SAFETY: the pointer was made by `lend` from a `&mut dyn Host` it keeps on its stack,
        // mutably borrowed, until it forgets the pointer; `lend` is on this thread's stack
        // below the Lua call that got here, so it has not returned, and `PutBack` puts the
        // pointer back before it does. Taken out, this is the only reference made from it
        // until `PutBack` returns it.
        let host: &mut dyn Host = unsafe { &mut **pointer };
        Some(use_host(host, settings))
    }

    /// The running invocation's settings; `None` when none runs.
    pub fn settings(&self) -> Option<Settings> {
        Settings::unpack(self.settings.load(Ordering::Acquire))
    }

    /// Changes the running invocation's settings; false when none runs.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) -> bool {
        let Some(mut settings) = self.settings() else {
            return false;
        };
        change(&mut settings);
        self.settings.store(settings.pack(), Ordering::Release);
        true
    }

    /// What runs was told to stop: the load budget is not asked again.
    pub fn stopped(&self) {
        self.guard().interrupt = None;
        self.killed.store(true, Ordering::Relaxed);
    }

    /// Whether an invocation was stopped since the last call.
    pub fn take_stopped(&self) -> bool {
        self.killed.swap(false, Ordering::Relaxed)
    }
}
