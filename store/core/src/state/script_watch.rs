//! The script or function running now, as other connections see it.
//!
//! A connection whose next command runs a script first reserves the watch, then runs it
//! under the data lock on its own thread, as any command. While
//! the watch is reserved, other connections leave their requests for later (Redis serves no
//! one while a script runs) — until the script is past `busy-reply-threshold`: then they
//! are served (the script's event loop handed to another thread: `Server::set_escape`), and
//! refused with `-BUSY` unless they are among the few commands Redis allows (SCRIPT KILL,
//! FUNCTION KILL, FUNCTION STATS, SHUTDOWN NOSAVE...). Waiting connections are woken when the
//! script turns busy and when the reservation ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;

use crate::error::Error;
use crate::state::clients::Client;

/// What `Server::set_escape`'s function returns: the other
/// thread serves the event loop until it is dropped.
pub type Escape = Box<dyn std::any::Any + Send>;

/// What hands a busy script's event loop on (`Server::set_escape`): it calls the function
/// it is given once the loop's other connections are handed over.
pub type EscapeFn = fn(&mut dyn FnMut()) -> Option<Escape>;

/// What runs.
#[derive(Debug, Clone)]
pub struct Running {
    /// EVAL (true) or FCALL (false).
    pub eval: bool,
    /// The script's SHA-1, or the function's name: set once it is busy (only then can
    /// another client ask).
    pub name: String,
    /// The command that runs it, as sent: set once it is busy.
    pub command: Vec<Bytes>,
    /// When it started, on the server's monotonic clock (nanoseconds).
    pub started: u64,
}

/// The running script, shared by every connection.
///
/// Starting, ending and releasing a script take no lock unless another connection waits or
/// the script turned busy: the figures every script sets are atomics, and the lock guards
/// only what busy scripts and waiting connections share. (Four lock round trips per script
/// were 4% of the server's CPU with EVALSHA of a one-call script at -P 16.) Other
/// connections read those figures only while the script is busy or none runs, when they do
/// not change under them.
#[derive(Debug, Default)]
pub struct ScriptWatch {
    /// Reserved by a connection whose batch runs a script: cheap to read on every command.
    reserved: AtomicBool,
    /// SCRIPT KILL or FUNCTION KILL asked it to stop.
    kill: AtomicBool,
    /// Some connection left something to undo under the data lock ([`ScriptWatch::closed`]).
    any_closed: AtomicBool,
    /// Some connection may be in a waiting list: the reservation's end looks at the lists.
    any_waiting: AtomicBool,
    /// A script or function runs.
    runs: AtomicBool,
    /// It is a script (EVAL), not a function.
    eval: AtomicBool,
    /// When it started, on the server's monotonic clock (nanoseconds).
    started: AtomicU64,
    /// It ran a write command: it can no longer be killed.
    wrote: AtomicBool,
    /// It ran past `busy-reply-threshold`.
    busy: AtomicBool,
    state: Mutex<State>,
    /// What hands a busy script's event loop to another thread (see `Server::set_escape`).
    escape: OnceLock<EscapeFn>,
    /// What it returned for the running script: dropped when the script ends.
    escaped: Mutex<Option<Escape>>,
}

#[derive(Debug, Default)]
struct State {
    /// The running script's name and command, set once it is busy (only then can another
    /// client ask).
    described: (String, Vec<Bytes>),
    /// Connections that left a request for later, woken when the script turns busy (or the
    /// reservation ends): it may now be refused with `-BUSY`.
    waiting: Vec<Arc<Client>>,
    /// Connections whose request waits for the reservation to end, busy or not.
    waiting_end: Vec<Arc<Client>>,
    /// What connections that closed while the data was locked left to undo under the lock:
    /// their blocked waits and watched keys.
    closed: Vec<Closed>,
}

/// What a connection that closed while a script ran leaves for later.
#[derive(Debug)]
pub struct Closed {
    /// The client's id (to drop its blocked wait).
    pub client: u64,
    /// The keys it watched, by database.
    pub watched: Vec<(usize, Bytes)>,
}

/// Why a script cannot be killed, or there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillRefused {
    /// Nothing runs.
    NotBusy,
    /// It wrote already.
    Unkillable,
    /// SCRIPT KILL for a function, or FUNCTION KILL for a script: `eval` tells which runs.
    WrongKind {
        /// The running one is a script (EVAL).
        eval: bool,
    },
}

impl ScriptWatch {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves the watch for a batch that runs a script; false if another has it.
    pub fn reserve(&self) -> bool {
        self.reserved
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether a batch that runs a script holds the reservation (one atomic load).
    #[inline]
    pub fn is_reserved(&self) -> bool {
        self.reserved.load(Ordering::Acquire)
    }

    /// Ends the reservation: the connections waiting go on.
    pub fn release(&self) {
        self.runs.store(false, Ordering::Relaxed);
        self.kill.store(false, Ordering::Relaxed);
        // SeqCst on both sides (see `wait`): this stores `reserved` and then reads
        // `any_waiting`; a waiter stores `any_waiting` and then reads `reserved`. One of the
        // two sees the other's write, so no waiter is left behind.
        self.reserved.store(false, Ordering::SeqCst);
        if !self.any_waiting.load(Ordering::SeqCst) {
            return;
        }
        let (waiting, waiting_end) = {
            let mut state = self.lock();
            self.any_waiting.store(false, Ordering::SeqCst);
            (
                std::mem::take(&mut state.waiting),
                std::mem::take(&mut state.waiting_end),
            )
        };
        for client in waiting.into_iter().chain(waiting_end) {
            client.signal.notify();
        }
    }

    /// `client` left a request for later: wake it when the reservation ends, or as soon as
    /// the script is busy unless `until_end` (its command must wait for the data).
    pub fn wait(&self, client: &Arc<Client>, until_end: bool) {
        let mut state = self.lock();
        self.any_waiting.store(true, Ordering::SeqCst);
        // `busy` is set under the lock (`mark_busy`): read under it, it cannot change here.
        let busy = self.busy.load(Ordering::Relaxed);
        if !self.reserved.load(Ordering::SeqCst) || (busy && !until_end) {
            // What it waits for happened already: it goes on at once.
            drop(state);
            client.signal.notify();
            return;
        }
        let list = if until_end {
            &mut state.waiting_end
        } else {
            &mut state.waiting
        };
        if !list.iter().any(|waiting| Arc::ptr_eq(waiting, client)) {
            list.push(client.clone());
        }
    }

    /// A script or function starts, for the connection holding the reservation.
    pub fn begin(&self, eval: bool, started: u64) {
        self.eval.store(eval, Ordering::Relaxed);
        self.started.store(started, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.kill.store(false, Ordering::Relaxed);
        self.runs.store(true, Ordering::Release);
    }

    /// It ended: its event loop, if handed on, is taken back.
    pub fn end(&self) {
        self.runs.store(false, Ordering::Release);
        self.kill.store(false, Ordering::Relaxed);
        if self.busy.load(Ordering::Relaxed) {
            let escaped = {
                let mut state = self.lock();
                self.busy.store(false, Ordering::Relaxed);
                state.described = Default::default();
                self.escaped
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .take()
            };
            drop(escaped);
        }
    }

    /// Sets what hands a busy script's event loop on (once; see `Server::set_escape`).
    pub fn set_escape(&self, escape: EscapeFn) {
        let _ = self.escape.set(escape);
    }

    /// Redis's `scriptInterrupt`, asked by the running script every so often, `now` on the
    /// clock `started` was read on: past `limit` nanoseconds the script turns busy (its
    /// event loop is handed on, waiting connections get `-BUSY`, and what `describe` says,
    /// its name and command, is shown to them); true once it was asked to stop.
    pub fn check(
        &self,
        now: u64,
        limit: u64,
        describe: impl FnOnce() -> (String, Vec<Bytes>),
    ) -> bool {
        let turned_busy = self.runs.load(Ordering::Relaxed)
            && !self.busy.load(Ordering::Relaxed)
            && now.saturating_sub(self.started.load(Ordering::Relaxed)) >= limit;
        let turned_busy = turned_busy.then(|| {
            let described = describe();
            let name = described.0.clone();
            self.lock().described = described;
            (
                now.saturating_sub(self.started.load(Ordering::Relaxed)),
                self.eval.load(Ordering::Relaxed),
                name,
            )
        });
        if let Some((elapsed, eval, name)) = turned_busy {
            tracing::warn!(
                "Slow script detected: still in execution after {} milliseconds. You can try \
                 killing the script using the {} command. Script name is: {name}.",
                elapsed / 1_000_000,
                if eval { "SCRIPT KILL" } else { "FUNCTION KILL" }
            );
            // The waiting connections are woken once the loop is handed over: woken before,
            // from a thread that still runs the loop, they could be queued behind the script.
            let mut marked = false;
            let escaped = self.escape.get().and_then(|escape| {
                escape(&mut || {
                    self.mark_busy();
                    marked = true;
                })
            });
            if !marked {
                self.mark_busy();
            }
            *self
                .escaped
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = escaped;
        }
        self.kill_requested()
    }

    /// Whether the running script is busy: `Some(true)` for a script, `Some(false)` for a
    /// function; `None` when none is, or none runs.
    pub fn busy(&self) -> Option<bool> {
        if !self.is_reserved() || !self.busy.load(Ordering::Acquire) {
            return None;
        }
        Some(self.eval.load(Ordering::Relaxed))
    }

    /// The running script went past `busy-reply-threshold`: the waiting connections go on,
    /// to refuse their commands.
    pub fn mark_busy(&self) {
        let waiting = {
            let mut state = self.lock();
            if self.runs.load(Ordering::Relaxed) {
                self.busy.store(true, Ordering::Release);
            }
            std::mem::take(&mut state.waiting)
        };
        for client in waiting {
            client.signal.notify();
        }
    }

    /// The running script is about to write.
    pub fn mark_wrote(&self) {
        self.wrote.store(true, Ordering::Release);
    }

    /// SCRIPT KILL (`eval` true) or FUNCTION KILL, as Redis's `scriptKill` decides.
    pub fn kill(&self, eval: bool) -> Result<(), KillRefused> {
        if !self.runs.load(Ordering::Acquire) {
            return Err(KillRefused::NotBusy);
        }
        if self.wrote.load(Ordering::Acquire) {
            return Err(KillRefused::Unkillable);
        }
        let running_eval = self.eval.load(Ordering::Relaxed);
        if running_eval != eval {
            return Err(KillRefused::WrongKind { eval: running_eval });
        }
        self.kill.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Stops whatever runs, written or not (SHUTDOWN NOSAVE while a script is busy).
    pub fn force_kill(&self) {
        if self.runs.load(Ordering::Acquire) {
            self.kill.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the running script was asked to stop.
    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Relaxed)
    }

    /// What runs now (FUNCTION STATS, SHUTDOWN).
    pub fn running(&self) -> Option<Running> {
        if !self.runs.load(Ordering::Acquire) {
            return None;
        }
        let (name, command) = self.lock().described.clone();
        Some(Running {
            eval: self.eval.load(Ordering::Relaxed),
            name,
            command,
            started: self.started.load(Ordering::Relaxed),
        })
    }

    /// A connection closed while the data was locked by a script: what it leaves to undo.
    pub fn closed(&self, closed: Closed) {
        self.lock().closed.push(closed);
        self.any_closed.store(true, Ordering::Release);
    }

    /// What closed connections left to undo, for the batch that holds the data lock (one
    /// atomic load when there is nothing).
    pub fn take_closed(&self) -> Vec<Closed> {
        if !self.any_closed.swap(false, Ordering::AcqRel) {
            return Vec::new();
        }
        std::mem::take(&mut self.lock().closed)
    }
}

/// The `-BUSY` error while a script (`eval`) or a function is busy.
pub fn busy_error(eval: bool) -> Error {
    if eval {
        Error::Static(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN \
             NOSAVE.",
        )
    } else {
        Error::Static(
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN \
             NOSAVE.",
        )
    }
}
