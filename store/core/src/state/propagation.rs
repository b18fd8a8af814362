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
    /// True while commands are logged to the append-only log.
    pub on: bool,
    /// True while replicas are fed: the stream is produced for them too.
    pub replicas: bool,
    /// Log bytes not yet handed to the writer.
    pub buf: BytesMut,
    /// Some of this batch's log bytes were handed to the writer before its end (a rewrite
    /// started): the batch must still wait for them.
    pub flushed: bool,
    /// The database a reader of the log is in after `buf`; `None` forces a SELECT.
    pub selected: Option<usize>,
    /// Inside EXEC or a script: what of the transaction is logged so far.
    multi: Option<Transaction>,
    /// The running command changed data.
    changed: bool,
    /// What the running command asked to log instead of itself.
    replaced: bool,
    staged: BytesMut,
}

/// What EXEC (or a script) logged so far. As Redis 7 does, a transaction that logs one
/// command logs it alone: MULTI ... EXEC only wrap two or more.
#[derive(Debug)]
enum Transaction {
    /// Nothing logged yet.
    Empty,
    /// One command, held back: its SELECT (if it needed one) and itself.
    One { select: BytesMut, command: BytesMut },
    /// MULTI and two or more commands are in the log.
    Open,
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
        let mut command = BytesMut::new();
        write_command(&mut command, args);
        self.emit(db, command);
    }

    /// Logs one encoded command run in database `db`: after a SELECT if the log's reader is
    /// in another database, and inside EXEC held back until a second one opens MULTI.
    fn emit(&mut self, db: usize, command: BytesMut) {
        let mut select = BytesMut::new();
        if self.selected != Some(db) {
            write_command(&mut select, &[&b"SELECT"[..], db.to_string().as_bytes()]);
            self.selected = Some(db);
        }
        match self.multi.take() {
            None => {
                self.buf.unsplit(select);
                self.buf.unsplit(command);
            }
            Some(Transaction::Empty) => {
                self.multi = Some(Transaction::One { select, command });
            }
            Some(Transaction::One {
                select: first_select,
                command: first,
            }) => {
                // SELECT goes before MULTI, for the database of the first command.
                self.buf.unsplit(first_select);
                write_command(&mut self.buf, &[b"MULTI"]);
                self.buf.unsplit(first);
                self.buf.unsplit(select);
                self.buf.unsplit(command);
                self.multi = Some(Transaction::Open);
            }
            Some(Transaction::Open) => {
                self.buf.unsplit(select);
                self.buf.unsplit(command);
                self.multi = Some(Transaction::Open);
            }
        }
    }

    /// Notes that the running command changed data.
    pub fn changed(&mut self) {
        self.changed = true;
    }

    /// Logs `args` instead of the running command (call once per command to log), if the
    /// command changes data.
    pub fn replace<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        if self.active() {
            self.replaced = true;
            write_command(&mut self.staged, args);
        }
    }

    /// Logs nothing for the running command, whatever it changed, but what it logs with
    /// [`replace`](Propagation::replace) (XREADGROUP logs the pending entries it made, as
    /// XCLAIMs, or nothing).
    pub fn suppress(&mut self) {
        if self.active() {
            self.replaced = true;
        }
    }

    /// EXEC starts running its queue (or a script starts).
    pub fn begin_exec(&mut self) {
        self.multi = Some(Transaction::Empty);
    }

    /// EXEC (or the script) is done: logs a lone command as it is, or closes the
    /// transaction.
    pub fn end_exec(&mut self) {
        match self.multi.take() {
            Some(Transaction::One { select, command }) => {
                self.buf.unsplit(select);
                self.buf.unsplit(command);
            }
            Some(Transaction::Open) => write_command(&mut self.buf, &[b"EXEC"]),
            Some(Transaction::Empty) | None => {}
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
        if !self.active() {
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
        if !self.active() {
            self.changed = false;
            self.replaced = false;
            return;
        }
        if self.changed && self.replaced {
            let staged = self.staged.split();
            if !staged.is_empty() {
                self.emit(db, staged);
            }
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

    /// True while the stream is produced, for the log or for replicas.
    #[inline]
    pub fn active(&self) -> bool {
        self.on || self.replicas
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
