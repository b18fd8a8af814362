//! A point-in-time snapshot taken in small steps while the server keeps running.
//!
//! At the snapshot's moment T each database records `cursor = positions`: positions
//! `0..cursor` of its key table hold exactly the keys of T not yet written. The walker writes
//! the key at `cursor - 1` and moves down, a chunk at a time, each chunk under a short hold of
//! the data lock.
//!
//! In between, commands change the data. Every change reaches the database through `insert`,
//! `get_mut`, `set_expiry`, `remove` or `clear`, and those call the hooks here *before* the
//! change:
//! - a key about to change or be removed while still unwritten is written first, as it was at
//!   T, and remembered in `early` so the walker skips it later (a removed one leaves a hole,
//!   which the walker skips anyway);
//! - while a snapshot runs, new keys go at the end of the table, above `cursor`, where the
//!   walker never looks, rather than into holes; and the table is not compacted, so no key
//!   moves;
//! - `clear` hands the whole table to the snapshot, which finishes walking it on its own.
//!
//! `early` only holds keys changed during the snapshot.

use std::collections::HashSet;

use bytes::BytesMut;
use foldhash::fast::RandomState;

use super::format::write_entry;
use crate::compact::CompactBytes;
use crate::entry::Entry;
use crate::keys::{expired, Keys};
use crate::rdb::file::{write_key, WriteOptions};
use crate::time::Millis;

/// Persistence state kept in each database: the deletions the log has not seen yet, and the
/// snapshot walking it, if one runs.
#[derive(Debug, Default)]
pub struct DbPersist {
    /// True while the append-only log is on: keys removed behind the commands' backs (expiry,
    /// eviction) are collected in `deleted` so the log can record a DEL for each.
    pub log_deletes: bool,
    /// Keys removed by expiry or eviction since the log last collected them.
    pub deleted: Vec<CompactBytes>,
    /// The running snapshot's progress through this database.
    pub snapshot: Option<Box<DbSnapshot>>,
}

/// One database's part of a running snapshot.
#[derive(Debug)]
pub struct DbSnapshot {
    /// The database's number at the snapshot's moment.
    pub index: usize,
    /// The snapshot's moment: keys expired by then are not part of it.
    started: Millis,
    /// Positions below this hold the keys of T not yet written (some of them in `early`).
    cursor: usize,
    /// Keys below `cursor` that were already written: skipped.
    early: HashSet<CompactBytes, RandomState>,
    /// Tables taken away by `clear` (FLUSHDB, FLUSHALL), with their cursor and skip set.
    detached: Vec<(Keys, usize, HashSet<CompactBytes, RandomState>)>,
    /// Commands written for this database and not yet collected by the snapshot's writer.
    pub out: BytesMut,
    /// Keys written so far.
    pub written: u64,
    /// How keys are written.
    format: Format,
    /// Where a key is encoded before it joins `out`.
    scratch: Vec<u8>,
}

/// How a snapshot writes its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RDB records: a `dump.rdb`, a log's RDB preamble.
    Rdb(WriteOptions),
    /// Commands that recreate each key: a log's base with `aof-use-rdb-preamble no`.
    Commands,
}

impl Format {
    /// Appends `key` with its value and deadline to `out`, encoding through `scratch`.
    pub fn write(
        &self,
        out: &mut BytesMut,
        scratch: &mut Vec<u8>,
        key: &[u8],
        entry: &Entry,
        deadline: Option<Millis>,
    ) {
        match self {
            Format::Rdb(options) => {
                write_key(scratch, key, entry, deadline, options);
                out.extend_from_slice(scratch);
                scratch.clear();
            }
            Format::Commands => write_entry(out, key, entry, deadline),
        }
    }
}

impl DbSnapshot {
    /// A snapshot of a database whose key table has `positions` positions (holes included),
    /// numbered `index`, at `started`, written in `format`.
    pub fn new(index: usize, positions: usize, started: Millis, format: Format) -> DbSnapshot {
        DbSnapshot {
            index,
            started,
            cursor: positions,
            early: HashSet::default(),
            detached: Vec::new(),
            out: BytesMut::new(),
            written: 0,
            format,
            scratch: Vec::new(),
        }
    }

    /// Writes `key` as it is now, unless it had expired at the snapshot's moment.
    fn write(&mut self, key: &[u8], entry: &Entry, deadline: Option<Millis>) {
        if !expired(deadline, self.started) {
            let format = self.format;
            format.write(&mut self.out, &mut self.scratch, key, entry, deadline);
            self.written += 1;
        }
    }

    /// Writes up to `budget` keys, walking down from the cursor (detached tables first).
    /// Returns the number of positions visited; fewer than `budget` means this database is
    /// done.
    pub fn step(&mut self, keys: &Keys, budget: usize) -> usize {
        let mut visited = 0;
        while visited < budget {
            let Some((table, cursor, early)) = self.detached.last_mut() else {
                break;
            };
            if *cursor == 0 {
                self.detached.pop();
                continue;
            }
            *cursor -= 1;
            visited += 1;
            if let Some((key, entry)) = table.at(*cursor) {
                let deadline = table.deadline(entry);
                if !early.remove(&key[..]) && !expired(deadline, self.started) {
                    let format = self.format;
                    format.write(&mut self.out, &mut self.scratch, key, entry, deadline);
                    self.written += 1;
                }
            }
        }
        while visited < budget && self.cursor > 0 {
            self.cursor -= 1;
            visited += 1;
            if let Some((key, entry)) = keys.at(self.cursor) {
                if !self.early.remove(&key[..]) {
                    self.write(key, entry, keys.deadline(entry));
                }
            }
        }
        visited
    }

    /// True once every key of T has been written.
    pub fn finished(&self) -> bool {
        self.cursor == 0 && self.detached.is_empty()
    }

    /// Writes the key at `position` if it is one of T's not yet written; true if it was.
    fn write_if_unwritten(&mut self, keys: &Keys, position: usize) -> bool {
        if position >= self.cursor {
            return false;
        }
        let Some((key, entry)) = keys.at(position) else {
            return false;
        };
        if self.early.contains(&key[..]) {
            return false;
        }
        self.write(key, entry, keys.deadline(entry));
        true
    }
}

impl DbPersist {
    /// Call before `key` changes in place (or is replaced): writes it first if the snapshot
    /// has not yet.
    #[inline]
    pub fn before_change(&mut self, keys: &Keys, key: &[u8]) {
        let Some(snapshot) = self.snapshot.as_deref_mut() else {
            return;
        };
        let Some(position) = keys.find(key) else {
            return;
        };
        if snapshot.write_if_unwritten(keys, position) {
            snapshot.early.insert(CompactBytes::new(key));
        }
    }

    /// Call before `key` is removed: writes it first if the snapshot has not yet. Its
    /// position becomes a hole, which the walker skips.
    #[inline]
    pub fn before_remove(&mut self, keys: &Keys, key: &[u8]) {
        let Some(snapshot) = self.snapshot.as_deref_mut() else {
            return;
        };
        let Some(position) = keys.find(key) else {
            return;
        };
        if position < snapshot.cursor && !snapshot.early.remove(key) {
            snapshot.write_if_unwritten(keys, position);
        }
    }

    /// Call before every key is removed at once: the snapshot keeps the old table.
    pub fn before_clear(&mut self, keys: &mut Keys) {
        let Some(snapshot) = self.snapshot.as_deref_mut() else {
            return;
        };
        let table = std::mem::take(keys);
        let early = std::mem::take(&mut snapshot.early);
        if snapshot.cursor > 0 {
            snapshot.detached.push((table, snapshot.cursor, early));
        }
        snapshot.cursor = 0;
    }

    /// Records that `key` was removed by expiry or eviction, for the log.
    #[inline]
    pub fn deleted(&mut self, key: &[u8]) {
        if self.log_deletes {
            self.deleted.push(CompactBytes::new(key));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::db::Db;
    use crate::rng::Rng;
    use crate::snapshot::format::{parse_record, Parsed};
    use crate::value::Value;

    fn start(db: &mut Db, now: Millis) {
        let positions = db.positions();
        db.persist_parts().0.snapshot = Some(Box::new(DbSnapshot::new(
            0,
            positions,
            now,
            Format::Commands,
        )));
    }

    /// One step of `budget` keys; true when the snapshot is complete.
    fn step(db: &mut Db, budget: usize, out: &mut BytesMut) -> bool {
        let (persist, entries) = db.persist_parts();
        let snapshot = persist.snapshot.as_deref_mut().unwrap();
        snapshot.step(entries, budget);
        out.unsplit(snapshot.out.split());
        snapshot.finished()
    }

    /// What a snapshot's commands recreate: key → value (strings only here) and deadline.
    fn replay(out: &[u8]) -> BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
        let mut data = BTreeMap::new();
        let mut at = 0;
        while at < out.len() {
            let Parsed::Record { args, end } = parse_record(out, at) else {
                panic!("bad record at {at}");
            };
            let args: Vec<&[u8]> = args.iter().map(|r| &out[r.clone()]).collect();
            match args[0] {
                b"SET" => {
                    let old = data.insert(args[1].to_vec(), (args[2].to_vec(), 0));
                    assert!(old.is_none(), "{:?} written twice", args[1]);
                }
                b"PEXPIREAT" => {
                    let deadline = std::str::from_utf8(args[2]).unwrap().parse().unwrap();
                    data.get_mut(args[1]).unwrap().1 = deadline;
                }
                other => panic!("unexpected {other:?}"),
            }
            at = end;
        }
        data
    }

    fn contents(db: &mut Db, now: Millis) -> BTreeMap<Vec<u8>, (Vec<u8>, u64)> {
        let keys: Vec<CompactBytes> = db.keys(now).cloned().collect();
        keys.into_iter()
            .map(|key| {
                let deadline = db.deadline(&key).unwrap_or(0);
                let entry = db.get(&key, now).unwrap();
                let Value::String(s) = &entry.value else {
                    unreachable!()
                };
                (key.to_vec(), (s.bytes.to_vec(), deadline))
            })
            .collect()
    }

    /// Runs a snapshot of a 300-key database in chunks of `chunk` keys while a random mix of
    /// changes, removals, insertions, expiries and clears happens between the chunks; the
    /// result must be the data as it was when the snapshot started.
    fn snapshot_under_changes(seed: u64, chunk: usize, clear_at: Option<usize>) {
        let mut rng = Rng::new(seed);
        let mut db = Db::default();
        for i in 0..300u32 {
            let deadline = if i % 7 == 0 { 10_000 + u64::from(i) } else { 0 };
            db.insert(
                format!("k{i}").as_bytes(),
                Value::string(b"v0"),
                deadline,
                0,
            );
        }
        // One key already expired at T: not part of the snapshot.
        db.insert(b"gone", Value::string(b"x"), 50, 0);
        let now = 100;
        db.remove(b"k299");
        let expected = contents(&mut db, now);
        start(&mut db, now);

        let mut out = BytesMut::new();
        let mut round = 0;
        loop {
            let done = step(&mut db, chunk, &mut out);
            if done {
                break;
            }
            round += 1;
            if Some(round) == clear_at {
                db.clear();
            }
            for _ in 0..15 {
                let key = format!("k{}", rng.below(400));
                match rng.below(5) {
                    0 => {
                        db.remove(key.as_bytes());
                    }
                    1 => db.insert(key.as_bytes(), Value::string(b"new"), 0, now),
                    2 => {
                        if let Some(entry) = db.get_mut(key.as_bytes(), now) {
                            entry.value = Value::string(b"changed");
                        }
                    }
                    3 => {
                        db.set_expiry(key.as_bytes(), 20_000);
                    }
                    _ => {
                        db.get(key.as_bytes(), 10_150);
                    }
                }
            }
        }
        assert_eq!(replay(&out), expected, "seed {seed} chunk {chunk}");
    }

    #[test]
    fn snapshot_is_the_data_at_its_start_despite_changes_between_chunks() {
        for seed in 0..40 {
            snapshot_under_changes(seed, 1 + (seed as usize % 9) * 7, None);
        }
    }

    #[test]
    fn snapshot_survives_a_clear_part_way() {
        for seed in 0..20 {
            snapshot_under_changes(seed, 10, Some(1 + seed as usize % 5));
        }
    }

    #[test]
    fn removal_before_any_walking_shrinks_the_unwritten_part() {
        let mut db = Db::default();
        for key in ["a", "b", "c"] {
            db.insert(key.as_bytes(), Value::string(key.as_bytes()), 0, 0);
        }
        start(&mut db, 0);
        db.remove(b"a");
        db.remove(b"c");
        db.insert(b"d", Value::string(b"d"), 0, 0);
        let mut out = BytesMut::new();
        while !step(&mut db, 1, &mut out) {}
        let keys: Vec<Vec<u8>> = replay(&out).into_keys().collect();
        assert_eq!(keys, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }
}
