//! What goes into the append-only log, and in which order.
//!
//! As in Redis, a command that changed data (it called `Ctx::dirty` with a positive count) is
//! logged as it was sent, unless its handler called `Ctx::propagate` to log something else
//! (the deterministic form: absolute deadlines, the members SPOP chose, the pop a blocked
//! client was served). Keys that expiry or eviction removed while the command ran are logged
//! as DELs before it. Everything is appended under the data lock the command ran under, so the
//! log is in execution order; the session hands a batch's log bytes to the writer at the end
//! of the batch, still under that lock.

use std::sync::MutexGuard;

use bytes::{Bytes, BytesMut};

use crate::ctx::Ctx;
use crate::keyspace::Keyspace;

use super::format::write_command;

/// The log's state inside the data lock.
#[derive(Debug, Default)]
pub(crate) struct Propagation {
    /// True while commands are logged.
    pub(crate) on: bool,
    /// Log bytes not yet handed to the writer.
    pub(crate) buf: BytesMut,
    /// Some of this batch's log bytes were handed to the writer before its end (a rewrite
    /// started): the batch must still wait for them.
    pub(crate) flushed: bool,
    /// The database a reader of the log is in after `buf`; `None` forces a SELECT.
    pub(crate) selected: Option<usize>,
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
pub(crate) struct Outer {
    changed: bool,
    replaced: bool,
    staged: BytesMut,
}

impl Propagation {
    /// Appends one command, run in database `db`, to the batch's log bytes.
    fn append<A: AsRef<[u8]>>(&mut self, db: usize, args: &[A]) {
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
    pub(crate) fn changed(&mut self) {
        self.changed = true;
    }

    /// Logs `args` instead of the running command (call once per command to log), if the
    /// command changes data.
    pub(crate) fn replace<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        if self.on {
            self.replaced = true;
            write_command(&mut self.staged, args);
        }
    }

    /// EXEC starts running its queue.
    pub(crate) fn begin_exec(&mut self) {
        self.multi = Some(false);
    }

    /// EXEC is done: closes the transaction in the log if anything was logged inside it.
    pub(crate) fn end_exec(&mut self) {
        if self.multi.take() == Some(true) {
            self.buf_command(&[b"EXEC"]);
        }
    }

    /// True while EXEC runs its queue.
    pub(crate) fn in_exec(&self) -> bool {
        self.multi.is_some()
    }
}

/// Call before running a command's handler: returns the state of a command already running
/// (EXEC), to be restored afterwards.
#[inline]
pub(crate) fn begin_command(keyspace: &mut Option<MutexGuard<'_, Keyspace>>) -> Option<Outer> {
    let log = &mut keyspace.as_mut()?.log;
    if !log.on {
        return None;
    }
    Some(Outer {
        changed: std::mem::take(&mut log.changed),
        replaced: std::mem::take(&mut log.replaced),
        staged: std::mem::take(&mut log.staged),
    })
}

/// Call after a command's handler ran: logs the deletions it caused, then the command (or
/// what it logged instead) if it changed data.
#[inline]
pub(crate) fn end_command(ctx: &mut Ctx<'_, '_>, args: &[Bytes], outer: Option<Outer>) {
    let db = ctx.conn.db;
    let Some(data) = ctx.keyspace.as_mut() else {
        return;
    };
    if !data.log.on {
        data.log.changed = false;
        data.log.replaced = false;
        return;
    }
    log_deletions(data);
    let log = &mut data.log;
    if log.changed && log.replaced {
        log.select(db);
        let staged = log.staged.split();
        log.buf.unsplit(staged);
    } else if log.changed {
        log.append(db, args);
    }
    let outer = outer.unwrap_or(Outer {
        changed: false,
        replaced: false,
        staged: BytesMut::new(),
    });
    log.changed = outer.changed;
    log.replaced = outer.replaced;
    log.staged = outer.staged;
}

/// Logs a DEL for every key that expiry or eviction removed since the last call.
pub(crate) fn log_deletions(data: &mut Keyspace) {
    if !data.log.on {
        return;
    }
    for index in 0..data.len() {
        if data.db(index).persist.deleted.is_empty() {
            continue;
        }
        let deleted = std::mem::take(&mut data.db(index).persist.deleted);
        for key in deleted {
            data.log.append(index, &[&b"DEL"[..], &key[..]]);
        }
    }
}

/// Turns logging on or off, in the keyspace and in every database. Turning it on starts the
/// log's reader in no database, so the next command logged is preceded by a SELECT.
pub(crate) fn set_logging(data: &mut Keyspace, on: bool) {
    data.log.on = on;
    data.log.selected = None;
    data.log.changed = false;
    data.log.replaced = false;
    data.log.staged.clear();
    for index in 0..data.len() {
        let db = data.db(index);
        db.persist.log_deletes = on;
        db.persist.deleted.clear();
    }
}
