//! What happens to keys in the data layer itself rather than in a command's own steps: a key
//! created, expired, evicted, or looked for by a read and missing. The layer above turns these
//! into keyspace notifications; this layer only records them, in the order they happen, and
//! only the kinds it was asked for, so that with notifications off nothing is recorded.

use crate::compact::CompactBytes;

/// One thing that happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// A key that did not exist was added (Redis's `dbAdd`).
    New,
    /// A key was removed because its deadline passed (lazily or by active expiry).
    Expired,
    /// A key was removed by `maxmemory` eviction.
    Evicted,
    /// A read looked for a key that does not exist.
    Miss,
}

impl KeyEvent {
    const fn bit(self) -> u8 {
        match self {
            KeyEvent::New => 1,
            KeyEvent::Expired => 1 << 1,
            KeyEvent::Evicted => 1 << 2,
            KeyEvent::Miss => 1 << 3,
        }
    }
}

/// The kinds of [`KeyEvent`] a database records, and those recorded and not yet taken.
#[derive(Debug, Default)]
pub struct KeyEvents {
    wanted: u8,
    recorded: Vec<(KeyEvent, CompactBytes)>,
}

impl KeyEvents {
    /// Records from now on exactly the kinds in `kinds` (none: nothing, the default).
    /// Events of kinds no longer wanted that are still held are dropped.
    pub fn want(&mut self, kinds: &[KeyEvent]) {
        self.wanted = kinds.iter().fold(0, |bits, kind| bits | kind.bit());
        let wanted = self.wanted;
        self.recorded.retain(|(kind, _)| kind.bit() & wanted != 0);
    }

    /// Records `event` for `key`, if that kind is wanted: a bit test when none is.
    #[inline]
    pub fn record(&mut self, event: KeyEvent, key: &[u8]) {
        if self.wanted & event.bit() != 0 {
            self.recorded.push((event, CompactBytes::new(key)));
        }
    }

    /// True if events are held.
    #[inline]
    pub fn any(&self) -> bool {
        !self.recorded.is_empty()
    }

    /// The events held, oldest first, handed over and forgotten.
    pub fn take(&mut self) -> Vec<(KeyEvent, CompactBytes)> {
        std::mem::take(&mut self.recorded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_only_wanted_kinds_in_order() {
        let mut events = KeyEvents::default();
        events.record(KeyEvent::New, b"a");
        assert!(!events.any());
        events.want(&[KeyEvent::New, KeyEvent::Expired]);
        events.record(KeyEvent::Expired, b"a");
        events.record(KeyEvent::Miss, b"b");
        events.record(KeyEvent::New, b"c");
        let taken: Vec<_> = events
            .take()
            .into_iter()
            .map(|(kind, key)| (kind, key.to_vec()))
            .collect();
        assert_eq!(
            taken,
            vec![
                (KeyEvent::Expired, b"a".to_vec()),
                (KeyEvent::New, b"c".to_vec())
            ]
        );
        assert!(!events.any());
        events.record(KeyEvent::New, b"d");
        events.want(&[KeyEvent::Expired]);
        assert!(!events.any());
    }
}
