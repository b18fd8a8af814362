//! What goes into the append-only log, and in which order.
//!
//! As in Redis, a command that changed data (it called `Ctx::dirty` with a positive count) is
//! logged as it was sent, unless its handler called `Ctx::propagate` to log something else
//! (the deterministic form: absolute deadlines, the members SPOP chose, the pop a blocked
//! client was served). Keys that expiry or eviction removed while the command ran are logged
//! as DELs before it. Everything is appended under the data lock the command ran under, so the
//! log is in execution order; the session hands a batch's log bytes to the writer at the end
//! of the batch, still under that lock (see `persist`).

use bytes::BytesMut;
use radish_data::snapshot::format::write_command;

/// The log's state inside the data lock.
#[derive(Debug, Default)]
pub struct Propagation {
    /// True while commands are logged.
    pub on: bool,
    /// Log bytes not yet handed to the writer.
    pub buf: BytesMut,
    /// Some of this batch's log bytes were handed to the writer before its end (a rewrite
    /// started): the batch must still wait for them.
    pub flushed: bool,
    /// The database a reader of the log is in after `buf`; `None` forces a SELECT.
    pub selected: Option<usize>,
    /// Inside EXEC: `Some(false)` until the first logged command writes MULTI.
    multi: Option<bool>,
    /// The running command changed data.
    changed: bool,
    /// What the running command asked to log instead of itself.
    replaced: bool,
    staged: BytesMut,
}

/// The log state of a command that another command (EXEC) runs inside.
#[derive(Debug)]
pub struct Outer {
    changed: bool,
    replaced: bool,
    staged: BytesMut,
}

impl Propagation {
    /// Appends one command, run in database `db`, to the batch's log bytes.
    pub fn append<A: AsRef<[u8]>>(&mut self, db: usize, args: &[A]) {
        self.select(db);
        self.buf_command(args);
    }

    fn select(&mut self, db: usize) {
        if self.selected != Some(db) {
            write_command(&mut self.buf, &[&b"SELECT"[..], db.to_string().as_bytes()]);
            self.selected = Some(db);
        }
        if self.multi == Some(false) {
            write_command(&mut self.buf, &[b"MULTI"]);
            self.multi = Some(true);
        }
    }

    fn buf_command<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        write_command(&mut self.buf, args);
    }

    /// Notes that the running command changed data.
    pub fn changed(&mut self) {
        self.changed = true;
    }

    /// Logs `args` instead of the running command (call once per command to log), if the
    /// command changes data.
    pub fn replace<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        if self.on {
            self.replaced = true;
            write_command(&mut self.staged, args);
        }
    }

    /// EXEC starts running its queue.
    pub fn begin_exec(&mut self) {
        self.multi = Some(false);
    }

    /// EXEC is done: closes the transaction in the log if anything was logged inside it.
    pub fn end_exec(&mut self) {
        if self.multi.take() == Some(true) {
            self.buf_command(&[b"EXEC"]);
        }
    }

    /// True while EXEC runs its queue.
    pub fn in_exec(&self) -> bool {
        self.multi.is_some()
    }

    /// Call before running a command's handler: returns the state of a command already
    /// running (EXEC), to be given back to [`end_command`](Propagation::end_command).
    #[inline]
    pub fn begin_command(&mut self) -> Option<Outer> {
        if !self.on {
            return None;
        }
        Some(Outer {
            changed: std::mem::take(&mut self.changed),
            replaced: std::mem::take(&mut self.replaced),
            staged: std::mem::take(&mut self.staged),
        })
    }

    /// Call after a command's handler ran in database `db` (and after the deletions it
    /// caused were logged): logs the command, or what it logged instead, if it changed data,
    /// and gives the running command back its state.
    #[inline]
    pub fn end_command(&mut self, db: usize, args: &[impl AsRef<[u8]>], outer: Option<Outer>) {
        if !self.on {
            self.changed = false;
            self.replaced = false;
            return;
        }
        if self.changed && self.replaced {
            self.select(db);
            let staged = self.staged.split();
            self.buf.unsplit(staged);
        } else if self.changed {
            self.append(db, args);
        }
        let outer = outer.unwrap_or(Outer {
            changed: false,
            replaced: false,
            staged: BytesMut::new(),
        });
        self.changed = outer.changed;
        self.replaced = outer.replaced;
        self.staged = outer.staged;
    }

    /// Starts or stops logging. Starting puts the log's reader in no database, so the next
    /// command logged is preceded by a SELECT.
    pub fn set_on(&mut self, on: bool) {
        self.on = on;
        self.selected = None;
        self.changed = false;
        self.replaced = false;
        self.staged.clear();
    }
}
