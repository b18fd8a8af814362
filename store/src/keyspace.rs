//! All databases, behind the server's one data lock.

use crate::db::{Db, Millis};
use crate::rng::Rng;

/// Every database, and the counters that change with them. The server keeps this behind one
/// mutex: a command (or a batch of pipelined commands, or a transaction) holds it for its whole
/// run, which makes each command atomic without any further locking.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Random source for RANDOMKEY, SPOP and expiry sampling.
    pub rng: Rng,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
}

/// Rounds of sampling per database per active-expiry tick: bounds the work one tick does.
const ACTIVE_EXPIRE_ROUNDS: usize = 16;

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            rng: Rng::from_entropy(),
            dirty: 0,
        }
    }

    /// Number of databases.
    pub fn len(&self) -> usize {
        self.dbs.len()
    }

    /// Always false: there is at least one database.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Database `index`, which must be in range (SELECT checks it).
    pub fn db(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Two different databases at once (MOVE, COPY ... DB).
    pub fn two_dbs(&mut self, a: usize, b: usize) -> (&mut Db, &mut Db) {
        assert_ne!(a, b, "two_dbs needs two different databases");
        if a < b {
            let (low, high) = self.dbs.split_at_mut(b);
            (&mut low[a], &mut high[0])
        } else {
            let (low, high) = self.dbs.split_at_mut(a);
            (&mut high[0], &mut low[b])
        }
    }

    /// Every database, in order.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Removes every key of every database.
    pub fn flush_all(&mut self) {
        for db in &mut self.dbs {
            db.clear();
        }
    }

    /// Keys expired so far, lazily or actively.
    pub fn expired_keys(&self) -> u64 {
        self.dbs.iter().map(|db| db.expired).sum()
    }

    /// One active-expiry tick over every database, bounded in work. Returns keys removed.
    pub fn active_expire(&mut self, now: Millis) -> usize {
        let rng = &mut self.rng;
        self.dbs
            .iter_mut()
            .map(|db| db.active_expire(now, rng, ACTIVE_EXPIRE_ROUNDS))
            .sum()
    }

    /// Approximate bytes used by the data.
    pub fn memory_estimate(&self) -> usize {
        self.dbs.iter().map(Db::memory_estimate).sum()
    }
}
