//! The slow log, as Redis 7.0's `slowlog.c` keeps it: the commands that ran for at least
//! `slowlog-log-slower-than` microseconds (-1: none, 0: all), newest first, at most
//! `slowlog-max-len` of them, each with its arguments cut short as Redis cuts them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use radish_data::Millis;

/// Most arguments an entry keeps; the last one kept says how many more there were.
const MAX_ARGS: usize = 32;

/// Longest argument an entry keeps whole; a longer one is cut and says by how much.
const MAX_ARG_LEN: usize = 128;

/// One slow command.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its number: every entry ever logged has the next one (SLOWLOG RESET keeps counting).
    pub id: u64,
    /// When it was logged, in Unix seconds.
    pub time: u64,
    /// How long it ran, in microseconds.
    pub micros: u64,
    /// Its arguments, as kept (see [`trimmed`]).
    pub args: Vec<Bytes>,
    /// The client's address (`ip:port`).
    pub peer: String,
    /// The client's name (empty for none).
    pub name: Bytes,
}

/// The arguments an entry keeps of `args`: at most [`MAX_ARGS`], the last of them then
/// `... (N more arguments)`, each at most [`MAX_ARG_LEN`] bytes followed by
/// `... (N more bytes)` when longer.
pub fn trimmed<A: AsRef<[u8]>>(args: &[A]) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGS);
    (0..kept)
        .map(|j| {
            if kept != args.len() && j == kept - 1 {
                let more = args.len() - kept + 1;
                return Bytes::from(format!("... ({more} more arguments)"));
            }
            let arg = args[j].as_ref();
            if arg.len() > MAX_ARG_LEN {
                let mut cut = arg[..MAX_ARG_LEN].to_vec();
                let more = arg.len() - MAX_ARG_LEN;
                cut.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
                Bytes::from(cut)
            } else {
                Bytes::copy_from_slice(arg)
            }
        })
        .collect()
}

/// The entries and the id of the next one.
#[derive(Debug, Default)]
pub struct Entries {
    /// Newest first.
    pub list: VecDeque<Entry>,
    next_id: u64,
}

/// The server's slow log.
#[derive(Debug)]
pub struct SlowLog {
    /// `slowlog-log-slower-than`, in microseconds (negative: off).
    slower_than: AtomicI64,
    /// `slowlog-max-len`.
    max_len: AtomicU64,
    entries: Mutex<Entries>,
}

impl Default for SlowLog {
    fn default() -> Self {
        SlowLog {
            slower_than: AtomicI64::new(10_000),
            max_len: AtomicU64::new(128),
            entries: Mutex::default(),
        }
    }
}

impl SlowLog {
    /// Sets `slowlog-log-slower-than` (microseconds) and `slowlog-max-len`. A shorter
    /// length takes effect at the next entry, as in Redis.
    pub fn configure(&self, slower_than: i64, max_len: u64) {
        self.slower_than.store(slower_than, Ordering::Relaxed);
        self.max_len.store(max_len, Ordering::Relaxed);
    }

    /// `slowlog-log-slower-than`.
    pub fn slower_than(&self) -> i64 {
        self.slower_than.load(Ordering::Relaxed)
    }

    /// Whether commands are logged at all: what is timed only for the log need not be
    /// otherwise.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.slower_than() >= 0
    }

    /// Whether a command that ran `micros` is logged.
    #[inline]
    pub fn logs(&self, micros: u64) -> bool {
        let slower_than = self.slower_than();
        slower_than >= 0 && micros >= slower_than as u64
    }

    /// Logs a command at `now` (Redis's `slowlogPushEntryIfNeeded` once [`logs`] said yes):
    /// `args` as [`trimmed`], the oldest entries dropped past `slowlog-max-len`.
    ///
    /// [`logs`]: SlowLog::logs
    pub fn push(&self, args: Vec<Bytes>, micros: u64, peer: String, name: Bytes, now: Millis) {
        let max_len = self.max_len.load(Ordering::Relaxed) as usize;
        let mut entries = self.entries();
        let id = entries.next_id;
        entries.next_id += 1;
        entries.list.push_front(Entry {
            id,
            time: now / 1000,
            micros,
            args,
            peer,
            name,
        });
        entries.list.truncate(max_len);
    }

    /// The entries. Lock order: after the data lock.
    pub fn entries(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_cut_as_redis_cuts_them() {
        let many: Vec<String> = (0..34).map(|n| n.to_string()).collect();
        let kept = trimmed(&many);
        assert_eq!(kept.len(), 32);
        assert_eq!(kept[30], "30");
        assert_eq!(kept[31], "... (3 more arguments)");
        let exactly: Vec<String> = (0..32).map(|n| n.to_string()).collect();
        assert_eq!(trimmed(&exactly)[31], "31");
        let long = vec![vec![b'A'; 128], vec![b'B'; 129]];
        let kept = trimmed(&long);
        assert_eq!(kept[0].len(), 128);
        assert_eq!(&kept[1][..128], &[b'B'; 128][..]);
        assert_eq!(&kept[1][128..], b"... (1 more bytes)");
    }

    #[test]
    fn newest_first_bounded_and_ids_keep_counting() {
        let log = SlowLog::default();
        log.configure(0, 2);
        for n in 0..3u64 {
            log.push(
                vec![Bytes::from(n.to_string())],
                n,
                "?:0".into(),
                Bytes::new(),
                5_500,
            );
        }
        let ids: Vec<u64> = log.entries().list.iter().map(|e| e.id).collect();
        assert_eq!(ids, [2, 1]);
        assert_eq!(log.entries().list[0].time, 5);
        log.entries().list.clear();
        log.push(vec![], 0, String::new(), Bytes::new(), 0);
        assert_eq!(log.entries().list[0].id, 3);
        assert!(log.logs(0));
        log.configure(-1, 2);
        assert!(!log.logs(u64::MAX));
    }
}
