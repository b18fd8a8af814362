//! Consumer groups: where a group has read up to, what it delivered and nobody acknowledged
//! yet (the pending entries list), and its consumers with what each one holds.
//!
//! A group's pending entries are kept by ID, each naming the consumer it was last delivered
//! to; each consumer keeps the IDs it holds, so that both "everything pending" and "what this
//! consumer holds" read in ID order, as Redis's two radix trees do. Names are bytes and order
//! as bytes (XINFO lists groups and consumers in that order); a pending entry shares its
//! consumer's name rather than copying it (an allocation per delivery measured as a tenth of
//! XACK's time).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::id::StreamId;
use crate::time::Millis;

/// What one pending entry, one consumer and one group cost besides their names: the records
/// and their share of the B-tree nodes holding them (an estimate for memory accounting).
const PENDING_COST: usize = 2 * (16 + 8) + std::mem::size_of::<Pending>() + 16;
const CONSUMER_COST: usize = std::mem::size_of::<Consumer>() + 32;
const GROUP_COST: usize = std::mem::size_of::<Group>() + 32;

/// A consumer group.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// The last ID delivered to one of its consumers (new reads start after it).
    pub last_id: StreamId,
    /// How many entries the group has read, when that is known (Redis's `entries_read`, -1
    /// when not): what its lag is worked out from.
    pub entries_read: Option<u64>,
    pending: BTreeMap<StreamId, Pending>,
    consumers: BTreeMap<Arc<[u8]>, Consumer>,
    /// Heap bytes of the pending entries and consumers, kept as they change.
    heap: usize,
}

/// An entry delivered and not yet acknowledged.
#[derive(Debug, Clone)]
pub struct Pending {
    /// When it was last delivered (Unix milliseconds).
    pub delivered_at: Millis,
    /// How many times it was delivered.
    pub deliveries: u64,
    /// The consumer it was last delivered to.
    pub consumer: Arc<[u8]>,
}

/// A consumer of a group.
#[derive(Debug, Clone, Default)]
pub struct Consumer {
    /// When it last read or claimed (Unix milliseconds).
    pub seen_at: Millis,
    pending: BTreeSet<StreamId>,
}

impl Consumer {
    /// The IDs it holds, in order.
    pub fn pending(&self) -> &BTreeSet<StreamId> {
        &self.pending
    }
}

impl Group {
    /// A group that has read up to `last_id`.
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Heap bytes owned.
    pub(crate) fn heap_size(&self) -> usize {
        GROUP_COST + self.heap
    }

    /// Every pending entry, in ID order.
    pub fn pending(&self) -> &BTreeMap<StreamId, Pending> {
        &self.pending
    }

    /// Every consumer, in name order.
    pub fn consumers(&self) -> impl Iterator<Item = (&[u8], &Consumer)> {
        self.consumers.iter().map(|(name, c)| (&name[..], c))
    }

    /// How many consumers it has.
    pub fn consumer_count(&self) -> usize {
        self.consumers.len()
    }

    /// The consumer called `name`.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// Looks a consumer up for a read or a claim, noting that it was seen now (Redis's
    /// `streamLookupConsumer`); creates it if missing. Returns whether it was created.
    pub fn see_consumer(&mut self, name: &[u8], now: Millis) -> bool {
        if let Some(consumer) = self.consumers.get_mut(name) {
            consumer.seen_at = now;
            return false;
        }
        self.create_consumer(name, now)
    }

    /// XGROUP CREATECONSUMER: false if it exists already.
    pub fn create_consumer(&mut self, name: &[u8], now: Millis) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.heap += CONSUMER_COST + name.len();
        self.consumers.insert(
            name.into(),
            Consumer {
                seen_at: now,
                pending: BTreeSet::new(),
            },
        );
        true
    }

    /// XGROUP DELCONSUMER: removes the consumer and what it held from the pending entries;
    /// returns how many it held, `None` if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        self.heap -= CONSUMER_COST + name.len();
        for id in &consumer.pending {
            if self.pending.remove(id).is_some() {
                self.heap -= PENDING_COST;
            }
        }
        Some(consumer.pending.len())
    }

    /// XACK of one ID: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(pending) = self.pending.remove(&id) else {
            return false;
        };
        self.heap -= PENDING_COST;
        if let Some(consumer) = self.consumers.get_mut(&pending.consumer) {
            consumer.pending.remove(&id);
        }
        true
    }

    /// Records `id` as delivered to `consumer` (which exists) at `now`: a new pending entry
    /// with one delivery, or one taken over from whoever held it, counted from one again
    /// (what XREADGROUP does with an entry it delivers).
    pub(crate) fn deliver(&mut self, id: StreamId, consumer: &[u8], now: Millis) {
        self.assign(id, consumer, now, Some(1));
    }

    /// Gives pending entry `id` (created if missing) to `consumer` (which exists), delivered
    /// at `delivered_at`, with `deliveries` if given (else unchanged; 0 for a new one).
    pub(crate) fn assign(
        &mut self,
        id: StreamId,
        consumer: &[u8],
        delivered_at: Millis,
        deliveries: Option<u64>,
    ) {
        // The consumer's own copy of its name, shared.
        let name = match self.consumers.get_key_value(consumer) {
            Some((name, _)) => name.clone(),
            None => Arc::from(consumer),
        };
        let previous = match self.pending.get_mut(&id) {
            Some(pending) => {
                let previous = std::mem::replace(&mut pending.consumer, name);
                pending.delivered_at = delivered_at;
                if let Some(deliveries) = deliveries {
                    pending.deliveries = deliveries;
                }
                Some(previous)
            }
            None => {
                self.heap += PENDING_COST;
                self.pending.insert(
                    id,
                    Pending {
                        delivered_at,
                        deliveries: deliveries.unwrap_or(0),
                        consumer: name,
                    },
                );
                None
            }
        };
        if let Some(previous) = previous {
            if let Some(holder) = self.consumers.get_mut(&previous) {
                holder.pending.remove(&id);
            }
        }
        if let Some(holder) = self.consumers.get_mut(consumer) {
            holder.pending.insert(id);
        }
    }

    /// The pending entry `id`, to change its delivery count or time.
    pub(crate) fn pending_mut(&mut self, id: StreamId) -> Option<&mut Pending> {
        self.pending.get_mut(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_entries_follow_their_consumer() {
        let mut group = Group::new(StreamId::MIN, Some(0));
        assert!(group.create_consumer(b"alice", 10));
        assert!(!group.create_consumer(b"alice", 11));
        assert!(group.see_consumer(b"bob", 12));
        let one = StreamId::new(1, 0);
        let two = StreamId::new(2, 0);
        group.deliver(one, b"alice", 20);
        group.deliver(two, b"alice", 20);
        group.deliver(one, b"bob", 30);
        assert_eq!(group.pending()[&one].consumer[..], b"bob"[..]);
        assert_eq!(group.pending()[&one].deliveries, 1);
        assert_eq!(group.consumer(b"alice").map(|c| c.pending().len()), Some(1));
        assert!(group.ack(two));
        assert!(!group.ack(two));
        assert_eq!(group.delete_consumer(b"bob"), Some(1));
        assert!(group.pending().is_empty());
        assert_eq!(group.delete_consumer(b"bob"), None);
        let empty = Group::new(StreamId::MIN, None);
        assert_eq!(
            group.heap_size() - CONSUMER_COST - b"alice".len(),
            empty.heap_size()
        );
    }
}
