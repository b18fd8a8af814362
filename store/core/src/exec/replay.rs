//! Replaying a file's commands (at start-up, and for DEBUG RELOAD and LOADAOF) through the
//! dispatcher, as a connection of its own would run them, so that a loaded key is exactly what
//! the commands would have made. Which file, and what is checked in it, is persistence's part
//! (`persist/load.rs`).

use std::sync::{Arc, MutexGuard};

use bytes::{Bytes, BytesMut};
use radish_data::rdb::file::LoadedKey;
use radish_data::Millis;
use radish_resp::Version;

use crate::error::Error;
use crate::exec::args::{is, parse_int};
use crate::exec::command::{Command, Table};
use crate::exec::conn::ConnState;
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::{call_unblocking, resolve, write_error};
use crate::exec::reply::Reply;
use crate::persist::{load_file, LoadError, Reload, Replayer};
use crate::server::Server;
use crate::state::clients::Client;
use crate::state::keyspace::Keyspace;

/// Runs commands read from a file as a connection would, with replies thrown away.
struct Replay<'s> {
    server: &'s Server,
    commands: &'static Table,
    client: Arc<Client>,
    conn: ConnState,
    keyspace: Option<MutexGuard<'s, Keyspace>>,
    out: BytesMut,
    now: Millis,
    /// Keys whose deadline had passed by the time of loading.
    expired: u64,
    /// DEBUG RELOAD NOFLUSH: the keys loaded so far, by database. A key the data has already
    /// is replaced by the file's (Redis's MERGE) rather than added to.
    merged: Option<std::collections::HashSet<(usize, Bytes)>>,
    /// DEBUG RELOAD NOFLUSH: a library the server has already is replaced by the file's
    /// (`true`, with MERGE) or stops the load (`false`), as Redis's `RDBFLAGS_ALLOW_DUP`
    /// decides.
    replace_functions: Option<bool>,
}

impl<'s> Replay<'s> {
    /// A replay into `data` by a client of its own, registered until [`finish`].
    ///
    /// [`finish`]: Replay::finish
    fn new(
        server: &'s Server,
        commands: &'static Table,
        data: MutexGuard<'s, Keyspace>,
        now: Millis,
    ) -> Replay<'s> {
        Replay {
            server,
            commands,
            client: server.clients.register(None, None, now),
            conn: ConnState {
                replaying: true,
                ..ConnState::new(true)
            },
            keyspace: Some(data),
            out: BytesMut::new(),
            now,
            expired: 0,
            merged: None,
            replace_functions: None,
        }
    }

    /// Ends the replay: the data back, and how many keys it found expired.
    fn finish(mut self) -> (MutexGuard<'s, Keyspace>, u64) {
        self.server.clients.unregister(self.client.id);
        let data = self
            .keyspace
            .take()
            .expect("the replay holds the data lock");
        (data, self.expired)
    }

    /// The command `args` runs: a renamed name as the server renames it, else, for what
    /// radish logged itself (PEXPIREAT, DEL...), the original name even if renamed away.
    fn resolve(&self, args: &[&[u8]]) -> Result<&'static Command, Error> {
        let renamed = self.commands.lookup_renamed(&self.server.renames, args[0]);
        resolve(renamed, args)
            .or_else(|_| resolve(self.commands.lookup(args[0]), args))
            .map_err(|(_, error)| error)
    }
}

impl Replayer for Replay<'_> {
    fn knows(&self, name: &[u8]) -> bool {
        self.commands.lookup(name).is_some()
            || self
                .commands
                .lookup_renamed(&self.server.renames, name)
                .is_some()
    }

    fn select_db(&mut self, index: u64) -> Result<(), String> {
        let databases = self.keyspace.as_ref().map_or(0, |data| data.len());
        if index >= databases as u64 {
            return Err(format!(
                "the file selects database {index}: this server is configured to handle \
                 {databases} databases"
            ));
        }
        self.conn.db = index as usize;
        Ok(())
    }

    fn load_key(&mut self, loaded: LoadedKey) -> Result<(), String> {
        let now = self.now;
        let db_index = self.conn.db;
        let data = self
            .keyspace
            .as_mut()
            .expect("the replay holds the data lock");
        let db = data.db(db_index);
        let Some(value) = loaded.value else {
            // An empty aggregate, which Redis never writes: skipped, as Redis skips it.
            tracing::warn!(
                "skipping empty key: {}",
                String::from_utf8_lossy(&loaded.key)
            );
            return Ok(());
        };
        if loaded.expires_at.is_some_and(|at| at <= now) {
            // Expired while the server was down: not loaded, counted as Redis counts it.
            self.expired += 1;
            return Ok(());
        }
        if let Some(merged) = self.merged.as_mut() {
            // Each key of the file replaces what the data holds under it (Redis's MERGE).
            if !merged.insert((db_index, Bytes::copy_from_slice(&loaded.key))) {
                return Err(duplicate(&loaded.key, db_index));
            }
            db.remove(&loaded.key);
        } else if db.contains(&loaded.key, now) {
            return Err(duplicate(&loaded.key, db_index));
        }
        db.insert(&loaded.key, value, loaded.expires_at.unwrap_or(0), now);
        if loaded.idle_seconds.is_some() || loaded.frequency.is_some() {
            let accessed = db
                .access()
                .restored(now, loaded.idle_seconds, loaded.frequency);
            if let Some(entry) = db.get_mut_unwatched(&loaded.key, now) {
                entry.accessed = accessed;
            }
        }
        Ok(())
    }

    fn run(&mut self, args: &[&[u8]]) -> Result<(), String> {
        if is(args[0], "select") {
            let index = args
                .get(1)
                .and_then(|arg| parse_int(arg).ok())
                .and_then(|index| u64::try_from(index).ok());
            return self.select_db(index.unwrap_or(u64::MAX));
        }
        if let (Some(merged), Some(key)) = (self.merged.as_mut(), args.get(1)) {
            // The first record of each key replaces what the data holds under it.
            if merged.insert((self.conn.db, Bytes::copy_from_slice(key))) {
                if let Some(data) = self.keyspace.as_mut() {
                    data.db(self.conn.db).remove(key);
                }
            }
        }
        if is(args[0], "pexpireat") && args.len() == 3 {
            // A deadline that passed while the server was down: the key is gone (counted as
            // expired, as Redis does for a snapshot's expired keys).
            let passed = parse_int(args[2]).is_ok_and(|at| at <= self.now as i64);
            if let (true, Some(data)) = (passed, self.keyspace.as_mut()) {
                if data.db(self.conn.db).remove(args[1]).is_some() {
                    self.expired += 1;
                }
                return Ok(());
            }
        }
        let loads_library = args.len() >= 3 && is(args[0], "function") && is(args[1], "load");
        let with_replace: Vec<&[u8]>;
        let args = match self.replace_functions {
            Some(true) if loads_library => {
                with_replace = [&args[..2], &[&b"REPLACE"[..]], &args[2..]].concat();
                &with_replace[..]
            }
            _ => args,
        };
        let found = self.resolve(args);
        let mut ctx = Ctx {
            server: self.server,
            commands: self.commands,
            client: &self.client,
            conn: &mut self.conn,
            reply: Reply {
                out: &mut self.out,
                version: Version::Resp2,
            },
            now: self.now,
            keyspace: &mut self.keyspace,
            block: None,
            ready_key: None,
        };
        match found {
            Ok(command) => call_unblocking(&mut ctx, command, args),
            Err(error) => write_error(&mut ctx, &error),
        }
        let refused = self.out.starts_with(b"-");
        self.out.clear();
        if refused && loads_library && self.replace_functions == Some(false) {
            return Err("a function library the server has already is in the file".to_string());
        }
        Ok(())
    }
}

/// The error of a key a file holds twice, as Redis reports it.
fn duplicate(key: &[u8], db: usize) -> String {
    format!(
        "RDB has duplicated key '{}' in DB {db}",
        String::from_utf8_lossy(key)
    )
}

/// Loads the data on disk into a new server and, with `appendonly yes`, starts the log
/// (writing its base first if there was none).
pub fn open(server: &Server, commands: &'static Table, now: Millis) -> Result<(), LoadError> {
    let config = server.config().clone();
    let file = server.persist.file_to_load(&config)?;
    let mut replay = Replay::new(server, commands, server.keyspace(), now);
    let loaded = match &file {
        Some(file) => load_file(&mut replay, file),
        None => Ok(()),
    };
    let (mut data, expired) = replay.finish();
    loaded?;
    server
        .persist
        .finish_load(&config, &mut data, file.is_some(), expired, now)
}

/// DEBUG RELOAD and DEBUG LOADAOF: loads the snapshot or the log into the running server, as
/// at start, emptying the data first if `flush`; if not, each key the file holds replaces
/// the one of that name (Redis's NOFLUSH MERGE; without MERGE Redis stops on such a key).
/// What the log holds in memory is written to its file first, and nothing loaded is logged
/// again. `keyspace` is the caller's hold on the data (taken if it has none), given back
/// locked.
pub fn reload<'s>(
    server: &'s Server,
    commands: &'static Table,
    keyspace: &mut Option<MutexGuard<'s, Keyspace>>,
    from: Reload,
    flush: bool,
    merge: bool,
    now: Millis,
) -> Result<(), LoadError> {
    let config = server.config().clone();
    let mut data = keyspace.take().unwrap_or_else(|| server.keyspace());
    let (file, logging) = match server
        .persist
        .prepare_reload(&config, &mut data, from, flush)
    {
        Ok(prepared) => prepared,
        Err(error) => {
            *keyspace = Some(data);
            return Err(error);
        }
    };
    // What is loaded back is no change a subscriber hears of (Redis loads DEBUG RELOAD's
    // snapshot without events either).
    let notify = data.notify;
    data.set_notify(0);
    let mut replay = Replay::new(server, commands, data, now);
    if !flush {
        replay.merged = Some(Default::default());
        replay.replace_functions = Some(merge);
    }
    let loaded = load_file(&mut replay, &file);
    let (mut data, _) = replay.finish();
    server.persist.finish_reload(&mut data, logging, now);
    data.set_notify(notify);
    *keyspace = Some(data);
    loaded
}
