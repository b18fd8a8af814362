//! What a command handler works with: [`Ctx`].

use std::sync::MutexGuard;

use bytes::Bytes;
use radish_data::types::EncodingLimits;
use radish_data::{Db, Millis};

use crate::exec::command::Table;
use crate::exec::conn::ConnState;
use crate::exec::reply::Reply;
use crate::server::Server;
use crate::state::clients::Client;
use crate::state::keyspace::{Keyspace, Pops, TimeoutReply};

/// A blocking command's request to wait for one of its keys.
#[derive(Debug, Clone)]
pub struct Block {
    /// The keys to wait on (in the connection's selected database).
    pub keys: Vec<Bytes>,
    /// When to give up, in Unix milliseconds; `None` waits forever.
    pub deadline: Option<Millis>,
    /// What to reply on timeout.
    pub on_timeout: TimeoutReply,
    /// The type of value it pops.
    pub pops: Pops,
    /// The arguments to run it again with, when not those it came with (XREAD's `$` is
    /// the last ID when it blocked, not when it runs again).
    pub rerun: Option<Vec<Bytes>>,
}

/// What a command handler gets: the server, the connection, where to write its reply, the
/// time, and the data (locked on first use, then kept for the rest of the batch).
pub struct Ctx<'a, 's> {
    /// The shared server.
    pub server: &'s Server,
    /// Every command the server has (COMMAND, ACL CAT and DEBUG RELOAD read them).
    pub commands: &'static Table,
    /// This connection's registry entry.
    pub client: &'a std::sync::Arc<Client>,
    /// This connection's state.
    pub conn: &'a mut ConnState,
    /// Where the reply goes.
    pub reply: Reply<'a>,
    /// The time the batch started, in Unix milliseconds.
    pub now: Millis,
    pub(crate) keyspace: &'a mut Option<MutexGuard<'s, Keyspace>>,
    /// Set by [`Ctx::block`].
    pub(crate) block: Option<Block>,
    /// When this serves a blocked client: the key whose change woke it.
    pub(crate) ready_key: Option<Bytes>,
}

/// The keys a blocking pop with arguments `keys` tries, in order: all of them when the
/// command runs, and only the key that became ready (`ready`, taken from
/// [`Ctx::ready_key`]) when it serves a blocked client. Redis serves a waiter from that key:
/// BLPOP a b, woken by a push to b, pops from b even if a holds a string by then, or got
/// elements too in the same transaction.
pub fn pop_candidates<'k>(ready: &'k Option<&'k [u8]>, keys: &'k [&'k [u8]]) -> &'k [&'k [u8]] {
    match ready {
        Some(ready) => std::slice::from_ref(ready),
        None => keys,
    }
}

impl<'a, 's> Ctx<'a, 's> {
    /// Forgets every watched key of this connection (EXEC, DISCARD, UNWATCH, RESET).
    pub fn unwatch_all(&mut self) {
        let watching = std::mem::take(&mut self.conn.watching);
        if watching.is_empty() {
            return;
        }
        let keyspace = self.keyspace();
        for watched in watching {
            keyspace.db(watched.db).unwatch(&watched.key);
        }
    }

    /// All databases (locking them if this batch has not yet).
    pub fn keyspace(&mut self) -> &mut Keyspace {
        let server = self.server;
        self.keyspace.get_or_insert_with(|| server.keyspace())
    }

    /// The encoding limits in force, for commands that grow aggregates.
    pub fn limits(&mut self) -> EncodingLimits {
        self.keyspace().encoding
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let index = self.conn.db;
        self.keyspace().db(index)
    }

    /// The selected database, the reply and the time at once, for handlers that read the
    /// data while writing the reply.
    pub fn parts(&mut self) -> (&mut Db, &mut Reply<'a>, Millis) {
        let server = self.server;
        let index = self.conn.db;
        let keyspace = self.keyspace.get_or_insert_with(|| server.keyspace());
        (keyspace.db(index), &mut self.reply, self.now)
    }

    /// Raises keyspace event `event` of class `class` (`state::events`) on `key` of the
    /// selected database, as Redis's `notifyKeyspaceEvent`: call it where Redis does, after
    /// the change. With the class off it is one bit test.
    #[inline]
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let db = self.conn.db;
        self.notify_in(db, class, event, key);
    }

    /// [`notify`](Ctx::notify) for a key of database `db` (MOVE, COPY ... DB).
    #[inline]
    pub fn notify_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        let server = self.server;
        let keyspace = self.keyspace.get_or_insert_with(|| server.keyspace());
        if keyspace.notify & class != 0 {
            server.notify(keyspace, self.now, class, db, event, key);
        }
    }

    /// Counts changes to the data (for `save` rules and INFO).
    pub fn dirty(&mut self, changes: u64) {
        let data = self.keyspace();
        data.dirty += changes;
        if changes > 0 {
            // A command that changed data is logged (as sent, or as `propagate` says).
            data.log.changed();
        }
    }

    /// Logs `args` to the append-only log instead of the running command, which is then not
    /// logged as sent; call it once per command to log. For commands whose effect depends on
    /// the time, chance or the data (EXPIRE, SPOP, INCRBYFLOAT, served blocking pops...),
    /// so that replaying the log gives the same data: see `state/propagation.rs`.
    pub fn propagate<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.keyspace().log.replace(args);
    }

    /// Logs nothing for this command but what it passes to [`propagate`](Ctx::propagate)
    /// (none of it at all if it passes nothing), even though it changed data.
    pub fn propagate_only_explicitly(&mut self) {
        self.keyspace().log.suppress();
    }

    /// For blocking commands (BLPOP, BZPOPMIN...): when none of the keys has data, call this
    /// and return `Ok(())` without writing a reply. The session then waits; whenever one of
    /// `keys` is written (by any connection), the same handler runs again with the same
    /// arguments, under the data lock, and must either reply or call `block` again. Clients
    /// blocked on a key are served in the order they blocked. When the deadline passes, or
    /// at once inside MULTI/EXEC, the session replies `on_timeout`.
    /// `pops` is the type of value the command pops: only a key of that type serves it.
    pub fn block(
        &mut self,
        keys: &[&[u8]],
        deadline: Option<Millis>,
        on_timeout: TimeoutReply,
        pops: Pops,
    ) {
        self.block = Some(Block {
            keys: keys.iter().map(|key| Bytes::copy_from_slice(key)).collect(),
            deadline,
            on_timeout,
            pops,
            rerun: None,
        });
    }

    /// [`block`](Ctx::block), to run again with `rerun` instead of the arguments it came
    /// with.
    pub fn block_to_rerun(
        &mut self,
        keys: &[&[u8]],
        deadline: Option<Millis>,
        on_timeout: TimeoutReply,
        pops: Pops,
        rerun: Vec<Bytes>,
    ) {
        self.block(keys, deadline, on_timeout, pops);
        if let Some(block) = &mut self.block {
            block.rerun = Some(rerun);
        }
    }
}
