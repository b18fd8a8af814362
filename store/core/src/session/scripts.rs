//! A session while scripts run: reserving the watch for a command that runs one, and leaving
//! requests for later while another connection's script holds the data (see
//! `state/script_watch.rs`).

use bytes::Bytes;

use super::Session;
use crate::exec::command::{Command, Flags};
use crate::exec::dispatch::runs_in_multi;
use crate::server::Server;
use crate::state::keyspace::Keyspace;
use crate::state::script_watch::Closed;

/// What to do with the next request.
pub(super) enum Gate {
    /// Run it now.
    Run,
    /// It runs a script: run it now, the watch reserved for it until it is done.
    RunScript,
    /// Keep it for when the running script turns busy (or, `until_end`, ends).
    Wait {
        /// It needs the data: only the script's end lets it run.
        until_end: bool,
    },
}

/// Commands that may run while a script is busy without the data, so that the event loop
/// can serve them while the script holds it.
const WITHOUT_DATA_WHILE_BUSY: &[&str] = &[
    "script|kill",
    "function|kill",
    "function|stats",
    "shutdown",
    "quit",
    "multi",
    "auth",
    "hello",
];

impl Session {
    /// Whether `args` (found as `found`) may run now, with scripts running or to run.
    pub(super) fn gate(&self, command: Option<&'static Command>, holds_data: bool) -> Gate {
        let server = &self.server;
        let watch = &server.watch;
        if command.is_some_and(|c| self.runs_script(c)) {
            if watch.reserve() {
                return Gate::RunScript;
            }
            // Another connection's script runs: once busy, this one is refused with -BUSY.
            return match watch.busy() {
                Some(_) => Gate::Run,
                None => Gate::Wait { until_end: false },
            };
        }
        if holds_data || !watch.is_reserved() {
            return Gate::Run;
        }
        match (watch.busy(), command) {
            (None, _) => Gate::Wait { until_end: false },
            (Some(_), Some(command))
                if command.has(Flags::ALLOW_BUSY) && self.needs_data(command) =>
            {
                Gate::Wait { until_end: true }
            }
            // Refused with -BUSY, or one of the few that run without the data.
            (Some(_), _) => Gate::Run,
        }
    }

    /// Whether running `command` now runs a script: EVAL, FCALL and the like outside
    /// MULTI, and EXEC of a transaction holding one.
    fn runs_script(&self, command: &Command) -> bool {
        match &self.conn.multi {
            None => command.has(Flags::RUNS_SCRIPT),
            Some(_) => {
                command.full_name == "exec" && self.conn.queued_with_flag(Flags::RUNS_SCRIPT)
            }
        }
    }

    /// Whether `command`, allowed while a script is busy, needs the data to run now (or to
    /// be queued inside MULTI, which does not).
    fn needs_data(&self, command: &Command) -> bool {
        if self.conn.multi.is_some() && !runs_in_multi(command) {
            return false;
        }
        !WITHOUT_DATA_WHILE_BUSY.contains(&command.full_name)
    }

    /// The connection closes: drops its blocked wait and its watched keys, now if the data
    /// is free, else by whoever holds it next (a script may hold it for long).
    pub(super) fn leave_data(&mut self) {
        let watched: Vec<(usize, Bytes)> = self
            .conn
            .watching
            .drain(..)
            .map(|watched| (watched.db, watched.key))
            .collect();
        let closed = Closed {
            client: self.client.id,
            watched,
        };
        match self.server.try_keyspace() {
            Some(mut data) => forget(&mut data, &closed),
            None => self.server.watch.closed(closed),
        }
    }
}

/// Undoes, under the data lock, what connections that closed while it was held left.
pub(super) fn undo_closed(server: &Server, data: &mut Keyspace) {
    for closed in server.watch.take_closed() {
        forget(data, &closed);
    }
}

/// Drops a closed connection's blocked wait, its place among replicas or WAIT's waiters,
/// its watched keys and its key tracking.
fn forget(data: &mut Keyspace, closed: &Closed) {
    data.remove_waiter(closed.client);
    data.repl.remove(closed.client);
    if data.tracking.tracker(closed.client).is_some() {
        data.tracking.disable(closed.client);
        // The flag commands read is synced by the next request that tracks.
        data.record_modified();
    }
    for (db, key) in &closed.watched {
        data.db(*db).unwatch(key);
    }
}
