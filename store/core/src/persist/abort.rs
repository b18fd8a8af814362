//! A background job's kill switch, which the job checks before every step and around the
//! moment it puts its file in place.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A job's kill switch. Its thread reads `killed` before every step; it holds `gate` while
/// it puts its file in place (the rename over the snapshot, or the log's new base and
/// manifest), and [`kill`](Abort::kill) takes the gate: a job killed before that point never
/// puts a file anywhere, so it cannot replace what a later save or rewrite wrote.
#[derive(Debug, Default)]
pub(crate) struct Abort {
    killed: AtomicBool,
    gate: Mutex<()>,
}

impl Abort {
    /// Stops the job: at its next step, or before it puts its file in place.
    pub(crate) fn kill(&self) {
        let _gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        self.killed.store(true, Ordering::SeqCst);
    }

    /// True once killed.
    pub(crate) fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Runs `put_in_place` unless the job was killed, and keeps it from being killed
    /// meanwhile.
    pub(crate) fn commit<T>(
        &self,
        put_in_place: impl FnOnce() -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let _gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_killed() {
            return Err(std::io::Error::other("aborted"));
        }
        put_in_place()
    }
}
