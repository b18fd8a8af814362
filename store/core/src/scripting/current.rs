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

// The one place the core uses `unsafe` (the workspace denies it elsewhere): see above.
#![allow(unsafe_code)]

use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

use radish_resp::Version;

use super::engine::Interrupt;
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
}

/// The running invocation, shared by the engine's Rust functions.
#[derive(Default)]
pub struct Current {
    slot: Mutex<Slot>,
    /// The count hook was switched to raising at every line (a kill): the engine puts it
    /// back after the invocation.
    killed: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Slot {
    /// An invocation runs.
    running: bool,
    /// Its host, lent by [`Current::lend`]; `None` while a function uses it.
    host: Option<NonNull<dyn Host + 'static>>,
    settings: Option<Settings>,
    /// What the count hook asks; `None` once it said stop (or none was given).
    interrupt: Option<Interrupt>,
    /// A function library's code runs (FUNCTION LOAD), not an invocation: a stop is its
    /// load timeout rather than a kill.
    loading: bool,
}

// SAFETY: the host pointer is only dereferenced by `with_host`, on the thread running the
// invocation that lent it, and the slot forgets it before that invocation returns (see
// `lend`). The Lua state, and this with it, may move between threads between invocations,
// when the slot holds no pointer.
unsafe impl Send for Slot {}

impl Current {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `body` (the invocation) with `host` lent to the engine's functions and what may
    /// `interrupt` it; returns what `body` returned and the settings it ended with. The host
    /// is taken back when `body` returns or unwinds.
    pub fn lend<R>(
        &self,
        host: &mut dyn Host,
        interrupt: Option<Interrupt>,
        body: impl FnOnce() -> R,
    ) -> (R, Settings) {
        /// Empties the slot however `body` ends.
        struct TakeBack<'a>(&'a Current);
        impl Drop for TakeBack<'_> {
            fn drop(&mut self) {
                *self.0.slot() = Slot::default();
            }
        }
        let borrowed: NonNull<dyn Host + '_> = NonNull::from(host);
        // SAFETY: only the trait object's lifetime bound changes (same layout). The pointer
        // must not outlive the borrow of `host`: it lives in the slot, which `TakeBack`
        // empties before this function returns, and `host` stays mutably borrowed by this
        // function meanwhile, so nothing else reaches it.
        let lent: NonNull<dyn Host + 'static> = unsafe { std::mem::transmute(borrowed) };
        *self.slot() = Slot {
            running: true,
            host: Some(lent),
            settings: Some(Settings::START),
            interrupt,
            loading: false,
        };
        let take_back = TakeBack(self);
        let result = body();
        let settings = self.settings().unwrap_or(Settings::START);
        drop(take_back);
        (result, settings)
    }

    /// Runs `body` (a function library's code, as FUNCTION LOAD runs it) with what may
    /// `interrupt` it: its time budget. No host is lent: library code runs no commands.
    pub fn guard_load<R>(&self, interrupt: Option<Interrupt>, body: impl FnOnce() -> R) -> R {
        /// Empties the slot however `body` ends.
        struct Clear<'a>(&'a Current);
        impl Drop for Clear<'_> {
            fn drop(&mut self) {
                *self.0.slot() = Slot::default();
            }
        }
        *self.slot() = Slot {
            interrupt,
            loading: true,
            ..Slot::default()
        };
        let _clear = Clear(self);
        body()
    }

    /// Whether a function library's code runs (rather than an invocation).
    pub fn loading(&self) -> bool {
        self.slot().loading
    }

    /// Runs `use_host` with the running invocation's host and settings; `None` when no
    /// invocation runs (or its host is in use already: a `redis.call` within a `redis.call`,
    /// which only a debug hook could make).
    pub fn with_host<R>(&self, use_host: impl FnOnce(&mut dyn Host, Settings) -> R) -> Option<R> {
        let (lent, settings) = {
            let mut slot = self.slot();
            let settings = slot.settings?;
            // Out of the slot while in use: a nested use finds it empty.
            (slot.host.take()?, settings)
        };
        /// Puts the host back however `use_host` ends.
        struct PutBack<'a>(&'a Current, NonNull<dyn Host + 'static>);
        impl Drop for PutBack<'_> {
            fn drop(&mut self) {
                let mut slot = self.0.slot();
                if slot.running {
                    slot.host = Some(self.1);
                }
            }
        }
        let _put_back = PutBack(self, lent);
        // SAFETY: the pointer was made from a `&mut dyn Host` that `lend` keeps borrowed
        // while the slot is filled (`lend` is on this thread's stack, below the Lua call that
        // got here); taken out of the slot, this is the only reference made from it until
        // `PutBack` returns it.
        let host = unsafe { &mut *lent.as_ptr() };
        Some(use_host(host, settings))
    }

    /// The running invocation's settings; `None` when none runs.
    pub fn settings(&self) -> Option<Settings> {
        self.slot().settings
    }

    /// Changes the running invocation's settings; false when none runs.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) -> bool {
        match self.slot().settings.as_mut() {
            Some(settings) => {
                change(settings);
                true
            }
            None => false,
        }
    }

    /// What may interrupt the running invocation, if anything.
    pub fn interrupt(&self) -> Option<Interrupt> {
        self.slot().interrupt.clone()
    }

    /// The invocation was told to stop: its interrupt is not asked again.
    pub fn stopped(&self) {
        self.slot().interrupt = None;
        self.killed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether an invocation was stopped since the last call.
    pub fn take_stopped(&self) -> bool {
        self.killed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }
}
