//! CLIENT PAUSE, as Redis 7.0 pauses clients: until a time, either every command (`ALL`) or
//! those that may write (`WRITE`). A paused client's request waits, unanswered, and runs
//! again when the pause ends or is lifted (CLIENT UNPAUSE), when it may be paused anew.
//! They run again one at a time in the order they were paused, as Redis reprocesses its
//! postponed clients in order: each takes its [`turn`](ClientPause::turn) and hands it on
//! when its requests ran ([`done`](ClientPause::done)).
//! While paused, keys neither expire nor are evicted (the keyspace holds its expiry, see
//! `Keyspace::hold_expiry`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use radish_data::Millis;

use crate::state::clients::Client;

/// What a pause holds back, the more restrictive greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseKind {
    /// Commands that may write (write commands, MAY_REPLICATE ones, scripts that may
    /// write, transactions holding any of them).
    Write,
    /// Every command.
    All,
}

/// The pause in force and the clients it holds.
#[derive(Debug, Default)]
struct State {
    /// What is paused and until when (Unix milliseconds, inclusive); `None`: nothing.
    pause: Option<(PauseKind, i64)>,
    /// The clients waiting for the pause to end, in the order they were paused.
    waiting: Vec<Arc<Client>>,
    /// The clients a pause released that have yet to run again, in order: the first one's
    /// turn.
    resuming: VecDeque<Arc<Client>>,
}

/// The server's client pause.
#[derive(Debug, Default)]
pub struct ClientPause {
    /// Whether a pause may be in force, or released clients have yet to run again:
    /// commands check the rest only then.
    on: AtomicBool,
    state: Mutex<State>,
}

impl ClientPause {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// CLIENT PAUSE: pauses `kind` until `end` (Unix milliseconds). A pause in force is
    /// extended and made more restrictive, never less, as in Redis. Returns the time the
    /// pause now lasts until, if it is in force at `now`.
    pub fn pause(&self, kind: PauseKind, end: i64, now: Millis) -> Option<Millis> {
        let mut state = self.state();
        state.pause = Some(match state.pause {
            Some((old_kind, old_end)) => (old_kind.max(kind), old_end.max(end)),
            None => (kind, end),
        });
        self.on.store(true, Ordering::Relaxed);
        self.refresh(&mut state, now);
        state.pause.map(|(_, end)| end as Millis)
    }

    /// CLIENT UNPAUSE: lifts the pause; the clients it held run again, in the order they
    /// were paused.
    pub fn unpause(&self) {
        let mut state = self.state();
        state.pause = None;
        self.release(&mut state);
    }

    /// Whether any pause is in force at `now` (what stops expiry and eviction).
    #[inline]
    pub fn active(&self, now: Millis) -> bool {
        if !self.on.load(Ordering::Relaxed) {
            return false;
        }
        let mut state = self.state();
        self.refresh(&mut state, now);
        state.pause.is_some()
    }

    /// Whether `client`, paused until now, may run its requests at `now`: unless the pause
    /// released it behind others that have yet to run (then it is woken when its turn
    /// comes). A client that takes its turn calls [`done`](ClientPause::done) once its
    /// requests ran.
    pub fn turn(&self, client: u64, now: Millis) -> bool {
        if !self.on.load(Ordering::Relaxed) {
            return true;
        }
        let mut state = self.state();
        self.refresh(&mut state, now);
        match state
            .resuming
            .iter()
            .position(|waiting| waiting.id == client)
        {
            None | Some(0) => true,
            Some(_) => false,
        }
    }

    /// `client` ran its requests after its [`turn`](ClientPause::turn): the next client
    /// released runs.
    pub fn done(&self, client: u64) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.state();
        if state
            .resuming
            .front()
            .is_some_and(|first| first.id == client)
        {
            state.resuming.pop_front();
            self.next_turn(&mut state);
        }
    }

    /// Whether a command (one that may write if `writes`) of `client` is held back at
    /// `now`: if so, the client is counted among the paused (to be woken when the pause
    /// ends), and this returns when the pause ends.
    #[inline]
    pub fn hold(&self, client: &Arc<Client>, writes: bool, now: Millis) -> Option<Millis> {
        if !self.on.load(Ordering::Relaxed) {
            return None;
        }
        let mut state = self.state();
        self.refresh(&mut state, now);
        let (kind, end) = state.pause?;
        if kind == PauseKind::Write && !writes {
            return None;
        }
        if !state.waiting.iter().any(|waiting| waiting.id == client.id) {
            state.waiting.push(client.clone());
        }
        Some(end as Millis)
    }

    /// Forgets `client`, which closed: it neither waits for the pause nor holds up those
    /// released after it.
    pub fn leave(&self, client: u64) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.state();
        state.waiting.retain(|waiting| waiting.id != client);
        let first = state
            .resuming
            .front()
            .is_some_and(|first| first.id == client);
        state.resuming.retain(|waiting| waiting.id != client);
        if first {
            self.next_turn(&mut state);
        }
    }

    /// Clients waiting for a pause to end (they count in INFO's blocked_clients, as in
    /// Redis).
    pub fn waiting(&self) -> usize {
        if !self.on.load(Ordering::Relaxed) {
            return 0;
        }
        self.state().waiting.len()
    }

    /// Ends a pause whose time has passed at `now` (Redis's
    /// `checkClientPauseTimeoutAndReturnIfPaused`), waking the clients it held.
    fn refresh(&self, state: &mut State, now: Millis) {
        if let Some((_, end)) = state.pause {
            if end < now as i64 {
                state.pause = None;
                self.release(state);
            }
        }
    }

    /// The pause is over: the clients it held line up to run again, in the order they were
    /// paused, and the first is woken.
    fn release(&self, state: &mut State) {
        let was_idle = state.resuming.is_empty();
        let released = std::mem::take(&mut state.waiting);
        state.resuming.extend(released);
        if was_idle {
            self.next_turn(state);
        }
    }

    /// Wakes the first client released, whose turn it is; once none is left and no pause
    /// is in force, commands skip the pause altogether again.
    fn next_turn(&self, state: &mut State) {
        match state.resuming.front() {
            Some(first) => first.signal.notify(),
            None if state.pause.is_none() => self.on.store(false, Ordering::Relaxed),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: u64) -> Arc<Client> {
        let mut client = Client::refused(None, None, 0);
        client.id = id;
        Arc::new(client)
    }

    #[test]
    fn write_pauses_hold_writes_and_all_pauses_everything_until_the_end() {
        let pause = ClientPause::default();
        let one = client(1);
        assert_eq!(pause.hold(&one, true, 0), None, "no pause");
        assert_eq!(pause.pause(PauseKind::Write, 1_000, 0), Some(1_000));
        assert_eq!(pause.hold(&one, false, 500), None);
        assert_eq!(pause.hold(&one, true, 500), Some(1_000));
        // Stricter and longer only.
        pause.pause(PauseKind::All, 800, 500);
        assert_eq!(pause.hold(&one, false, 900), Some(1_000));
        assert!(pause.active(1_000));
        assert!(!pause.active(1_001));
        assert_eq!(pause.hold(&one, false, 1_001), None);
        // A timeout of 0 (end 0) is over at once.
        assert_eq!(pause.pause(PauseKind::All, 0, 2_000), None);
    }

    #[test]
    fn released_clients_run_again_one_at_a_time_in_order() {
        let pause = ClientPause::default();
        let clients: Vec<Arc<Client>> = (1..=3).map(client).collect();
        pause.pause(PauseKind::All, 10_000, 0);
        for client in &clients {
            assert!(pause.hold(client, false, 1).is_some());
        }
        assert_eq!(pause.waiting(), 3);
        pause.unpause();
        assert!(!pause.turn(2, 2) && !pause.turn(3, 2));
        assert!(pause.turn(1, 2));
        pause.done(1);
        // The second closes before its turn: the third's comes.
        pause.leave(2);
        assert!(pause.turn(3, 2));
        pause.done(3);
        assert!(!pause.on.load(Ordering::Relaxed), "back to the fast path");
    }
}
