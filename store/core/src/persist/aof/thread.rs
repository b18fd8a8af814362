//! The fsync thread: fsyncs the log (with `everysec` when the tick asks; with `always` when
//! asked to, for writes no connection fsyncs itself: the tick's expiry deletions, or a write
//! that came in while another fsync was in flight) and installs rewritten logs. With
//! `always`, connections fsync on their own thread ([`Aof::sync`]).

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{wake_all, Aof, FINISH_UNDER_LOCK};
use crate::persist::abort::Abort;
use crate::persist::files::{fsync_dir, replace_file};

impl Aof {
    /// The fsync thread.
    pub(super) fn run(&self) {
        loop {
            let (install, fsync, stop) = {
                let mut state = self.lock();
                while !(state.fsync_due() || state.install.is_some() || state.stop) {
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
                (state.install.take(), fsync, state.stop)
            };
            if let Some(install) = install {
                let result = self.install_rewrite(install.path, install.file, &install.abort);
                match result {
                    Ok(()) => {
                        let _ = install.done.send(Ok(()));
                    }
                    Err(error) => {
                        tracing::error!("cannot install the rewritten append-only log: {error}");
                        let _ = install.done.send(Err(error.to_string()));
                    }
                }
            }
            if stop {
                // The last write and fsync.
                self.write_pending();
                self.sync_now();
                return;
            }
            if fsync {
                self.sync_now();
                if !self.lock().write_ok {
                    // Do not spin on a failing disk.
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }

    /// Appends the log's tail to the rewritten file, makes it durable and puts it in place
    /// of the log. Most of the tail is copied without holding up writers; the last part, and
    /// the switch, with the file locked.
    fn install_rewrite(&self, temp: PathBuf, mut file: File, abort: &Abort) -> io::Result<()> {
        let result = loop {
            let mut io = self.lock_io();
            self.write_locked(&mut io);
            let tail = io.tail.as_mut().map(|(_, bytes)| std::mem::take(bytes));
            let tail = tail.unwrap_or_default();
            if tail.len() > FINISH_UNDER_LOCK {
                drop(io);
                if let Err(error) = file.write_all(&tail) {
                    break Err(error);
                }
                continue;
            }
            let finished = (|| {
                file.write_all(&tail)?;
                file.sync_data()?;
                // Not if the rewrite was killed: a newer one may own the log by now.
                abort.commit(|| replace_file(&temp, &io.path))?;
                fsync_dir(&io.path)?;
                let size = file.metadata()?.len();
                let sync_file = file.try_clone()?;
                Ok((size, sync_file))
            })();
            io.tail = None;
            let mut state = self.lock();
            state.rewrite_from = None;
            break match finished {
                Ok((size, sync_file)) => {
                    // What failed to reach the old file is in the new one.
                    io.retry.clear();
                    io.file = Some(file);
                    io.size = size;
                    state.written = state.appended;
                    state.durable = state.appended;
                    state.size = size;
                    state.base_size = size;
                    self.set_write_status(&mut state, None);
                    state.has_file = true;
                    state.sync_file = Some(Arc::new(sync_file));
                    wake_all(&mut state);
                    Ok(())
                }
                Err(error) => Err(error),
            };
        };
        if result.is_err() {
            self.lock_io().tail = None;
            self.lock().rewrite_from = None;
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}
