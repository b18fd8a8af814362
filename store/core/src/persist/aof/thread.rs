//! The fsync thread: fsyncs the log (with `everysec` when the tick asks; with `always` when
//! asked to, for writes no connection fsyncs itself: the tick's expiry deletions, or a write
//! that came in while another fsync was in flight). With `always`, connections fsync on
//! their own thread ([`Aof::sync`]).

use std::time::Duration;

use super::Aof;

impl Aof {
    /// The fsync thread.
    pub(super) fn run(&self) {
        loop {
            let (fsync, stop) = {
                let mut state = self.lock();
                while !(state.fsync_due() || state.stop) {
                    // A request with nothing to fsync is answered already.
                    state.fsync_requested = false;
                    state.idle = true;
                    let timeout = Duration::from_secs(1);
                    let (guard, waited) = match self.work.wait_timeout(state, timeout) {
                        Ok(result) => result,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    state = guard;
                    state.idle = false;
                    if waited.timed_out() && !state.pending.is_empty() {
                        // Nobody wrote what was appended (the tick's deletions): do it.
                        drop(state);
                        self.write_pending();
                        state = self.lock();
                    }
                }
                let fsync = state.fsync_due();
                state.fsync_requested = false;
                (fsync, state.stop)
            };
            if stop {
                // The last write and fsync.
                self.write_pending();
                self.sync_now();
                return;
            }
            if fsync {
                self.sync_now();
                let failed = {
                    let state = self.lock();
                    state.fsync_error.is_some() || state.fatal.is_some()
                };
                if failed {
                    // Do not spin on a failing disk.
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }
}
