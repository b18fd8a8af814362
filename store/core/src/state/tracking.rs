//! Client-side caching, as Redis 7.0's tracking.c does it: which clients read which keys
//! (CLIENT TRACKING ON), or which key prefixes they follow (BCAST), and the invalidation
//! messages sent when those keys are written: a RESP3 push `invalidate` to the client, or to
//! the client it redirects to (a RESP2 one gets it as a message on `__redis__:invalidate`).
//!
//! It lives behind the data lock with the databases: keys are remembered as read commands
//! run, and invalidated as the databases report the keys written (`Db::take_modified`,
//! Redis's `signalModifiedKey`). What is for the client whose command is running waits until
//! its reply is written, as in Redis; BCAST clients get each prefix's keys in one message.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::{BufMut, Bytes, BytesMut};

use crate::state::clients::{tracking_flags as flags, Clients};

/// How a client tracks (CLIENT TRACKING ON's options).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The client the messages go to; 0 for the client itself.
    pub redirect: u64,
    /// BCAST: every key under its prefixes, read or not.
    pub bcast: bool,
    /// OPTIN: only keys read right after CLIENT CACHING YES.
    pub optin: bool,
    /// OPTOUT: keys read, except right after CLIENT CACHING NO.
    pub optout: bool,
    /// NOLOOP: not the keys the client itself writes.
    pub noloop: bool,
}

/// A tracking client.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// Its options.
    pub options: Options,
    /// The redirect client was gone when a message was due.
    pub broken_redirect: bool,
    /// Its BCAST prefixes.
    pub prefixes: BTreeSet<Bytes>,
}

/// One BCAST prefix: who follows it, and the keys under it written since the last broadcast,
/// each with the client that wrote it last (0 for none), for NOLOOP.
#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<u64>,
    keys: BTreeMap<Bytes, u64>,
}

/// What an invalidation message says.
enum Payload<'a> {
    /// These keys.
    Keys(&'a [&'a [u8]]),
    /// Everything (a flush): a null, in the tracking client's protocol.
    Flush,
}

/// Where messages go: clients' outboxes, or, for the client whose command is running, its
/// reply once that is written.
pub struct Delivery<'a> {
    /// Every connected client.
    pub clients: &'a Clients,
    /// The client whose command is running, if any: what is for it waits for its reply.
    pub current: Option<u64>,
    /// That client's reply, once written: what is for it goes there, after the reply (else
    /// to its outbox).
    pub out: Option<&'a mut BytesMut>,
}

impl Delivery<'_> {
    fn send(&mut self, id: u64, frame: &[u8]) {
        if let (Some(current), Some(out)) = (self.current, &mut self.out) {
            if current == id {
                out.extend_from_slice(frame);
                return;
            }
        }
        if let Some(client) = self.clients.get(id) {
            client.deliver(frame);
        }
    }
}

/// Every tracking client and what it tracks.
#[derive(Debug, Default)]
pub struct Tracking {
    clients: HashMap<u64, Tracker>,
    /// Key -> the clients that read it since it was last invalidated.
    table: HashMap<Bytes, BTreeSet<u64>>,
    /// Client ids across the table (INFO's tracking_total_items).
    items: usize,
    prefixes: BTreeMap<Bytes, Prefix>,
    /// Invalidations for the running command's own client, sent after its reply (`None`
    /// for a flush).
    pending: Vec<Option<Bytes>>,
    /// Rounds in a row the table stayed over `tracking-table-max-keys` (more effort each).
    over_limit_rounds: usize,
    /// A script run by the running request read something: its declared keys are
    /// remembered once it returns.
    pub script_read: bool,
}

/// Whether two prefixes overlap: one starts with the other.
fn overlap(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().min(b.len());
    a[..len] == b[..len]
}

impl Tracking {
    /// True while some client tracks, or keys read by clients that stopped are still in the
    /// table (a write or a flush drops them, as in Redis): the databases record what is
    /// written only then.
    pub fn is_active(&self) -> bool {
        !self.clients.is_empty() || !self.table.is_empty()
    }

    /// How client `id` tracks, if it does.
    pub fn tracker(&self, id: u64) -> Option<&Tracker> {
        self.clients.get(&id)
    }

    /// Tracking clients (INFO's tracking_clients).
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Keys in the table (INFO's tracking_total_keys).
    pub fn key_count(&self) -> usize {
        self.table.len()
    }

    /// Client ids across the table (INFO's tracking_total_items).
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// BCAST prefixes followed (INFO's tracking_total_prefixes).
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// Checks `new` BCAST prefixes against client `id`'s and each other, as Redis's
    /// `checkPrefixCollisionsOrReply`: the error line if two overlap.
    pub fn check_prefixes(&self, id: u64, new: &[&[u8]]) -> Result<(), String> {
        let existing = self.clients.get(&id).map(|t| &t.prefixes);
        for (i, prefix) in new.iter().enumerate() {
            if let Some(old) = existing.and_then(|old| old.iter().find(|old| overlap(old, prefix)))
            {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                     client must not overlap.",
                    String::from_utf8_lossy(prefix),
                    String::from_utf8_lossy(old)
                ));
            }
            if let Some(other) = new[i + 1..].iter().find(|other| overlap(prefix, other)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                     single client must not overlap.",
                    String::from_utf8_lossy(prefix),
                    String::from_utf8_lossy(other)
                ));
            }
        }
        Ok(())
    }

    /// CLIENT TRACKING ON for client `id` (again, possibly: options are replaced, BCAST
    /// prefixes added). Returns the client's CLIENT LIST bits.
    pub fn enable(&mut self, id: u64, options: Options, prefixes: &[&[u8]]) -> u8 {
        let tracker = self.clients.entry(id).or_default();
        tracker.broken_redirect = false;
        if options.bcast {
            let wanted: Vec<&[u8]> = if prefixes.is_empty() {
                vec![b""]
            } else {
                prefixes.to_vec()
            };
            for prefix in wanted {
                let prefix = Bytes::copy_from_slice(prefix);
                self.prefixes
                    .entry(prefix.clone())
                    .or_default()
                    .clients
                    .insert(id);
                tracker.prefixes.insert(prefix);
            }
        }
        tracker.options = options;
        bits(tracker)
    }

    /// CLIENT TRACKING OFF, RESET, or the client gone.
    pub fn disable(&mut self, id: u64) {
        let Some(tracker) = self.clients.remove(&id) else {
            return;
        };
        for prefix in &tracker.prefixes {
            if let Some(state) = self.prefixes.get_mut(prefix) {
                state.clients.remove(&id);
                if state.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
    }

    /// Remembers that client `id` read `keys` (Redis's `trackingRememberKeys`), unless its
    /// OPTIN/OPTOUT mode and `caching` (CLIENT CACHING given for this command) say not to.
    pub fn remember<'k>(&mut self, id: u64, caching: bool, keys: impl Iterator<Item = &'k [u8]>) {
        let Some(tracker) = self.clients.get(&id) else {
            return;
        };
        let options = &tracker.options;
        if options.bcast || (options.optin && !caching) || (options.optout && caching) {
            return;
        }
        for key in keys {
            let ids = self.table.entry(Bytes::copy_from_slice(key)).or_default();
            if ids.insert(id) {
                self.items += 1;
            }
        }
    }

    /// `key` was written by client `writer` (none for expiry and eviction): noted for the
    /// BCAST prefixes it falls under (if `bcast`), and every client that read it gets an
    /// invalidation (Redis's `trackingInvalidateKey`), the writer's own after its reply.
    pub fn invalidate(
        &mut self,
        key: &[u8],
        writer: Option<u64>,
        bcast: bool,
        to: &mut Delivery<'_>,
    ) {
        if bcast && !self.prefixes.is_empty() {
            for (prefix, state) in &mut self.prefixes {
                if key.starts_with(prefix) {
                    state
                        .keys
                        .insert(Bytes::copy_from_slice(key), writer.unwrap_or(0));
                }
            }
        }
        let Some(ids) = self.table.remove(key) else {
            return;
        };
        self.items -= ids.len();
        for id in ids {
            let Some(tracker) = self.clients.get(&id) else {
                continue;
            };
            if tracker.options.bcast || (tracker.options.noloop && writer == Some(id)) {
                continue;
            }
            if writer == Some(id) && to.current == Some(id) {
                self.pending.push(Some(Bytes::copy_from_slice(key)));
            } else {
                self.send(id, Payload::Keys(&[key]), to);
            }
        }
    }

    /// Every key may have changed (FLUSHDB, FLUSHALL): every tracking client gets a null
    /// invalidation, and the table starts again (Redis's `trackingInvalidateKeysOnFlush`).
    pub fn flush(&mut self, writer: Option<u64>, to: &mut Delivery<'_>) {
        let ids: Vec<u64> = self.clients.keys().copied().collect();
        for id in ids {
            if writer == Some(id) && to.current == Some(id) {
                self.pending.push(None);
            } else {
                self.send(id, Payload::Flush, to);
            }
        }
        self.table.clear();
        self.items = 0;
    }

    /// Sends what waited for the running command's reply to its client.
    pub fn send_pending(&mut self, to: &mut Delivery<'_>) {
        let Some(id) = to.current else {
            return;
        };
        for key in std::mem::take(&mut self.pending) {
            match key {
                Some(key) => self.send(id, Payload::Keys(&[&key]), to),
                None => self.send(id, Payload::Flush, to),
            }
        }
    }

    /// Sends each BCAST prefix's written keys to its clients, in one message per prefix,
    /// leaving out of a NOLOOP client's the keys it wrote itself (Redis's
    /// `trackingBroadcastInvalidationMessages`).
    pub fn broadcast(&mut self, to: &mut Delivery<'_>) {
        let mut messages: Vec<(u64, Vec<Bytes>)> = Vec::new();
        for state in self.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            for &id in &state.clients {
                let noloop = self.clients.get(&id).is_some_and(|t| t.options.noloop);
                let sent: Vec<Bytes> = keys
                    .iter()
                    .filter(|(_, writer)| !(noloop && **writer == id))
                    .map(|(key, _)| key.clone())
                    .collect();
                if !sent.is_empty() {
                    messages.push((id, sent));
                }
            }
        }
        for (id, keys) in messages {
            let keys: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            self.send(id, Payload::Keys(&keys), to);
        }
    }

    /// Keeps the table within `max_keys` (`tracking-table-max-keys`, 0 for no limit) by
    /// invalidating keys, with more effort each round it stays over (Redis's
    /// `trackingLimitUsedSlots`).
    pub fn limit(&mut self, max_keys: usize, to: &mut Delivery<'_>) {
        if max_keys == 0 || self.table.len() <= max_keys {
            self.over_limit_rounds = 0;
            return;
        }
        let effort = 100 * (self.over_limit_rounds + 1);
        // A hash map's order is arbitrary, as good as Redis's random walk.
        let victims: Vec<Bytes> = self.table.keys().take(effort).cloned().collect();
        for key in victims {
            self.invalidate(&key, None, false, to);
            if self.table.len() <= max_keys {
                self.over_limit_rounds = 0;
                return;
            }
        }
        self.over_limit_rounds += 1;
    }

    /// Sends an invalidation to tracking client `id` as Redis's `sendTrackingMessage`: to
    /// its redirect client if it has one (a RESP3 push, or a `__redis__:invalidate` message
    /// if that client speaks RESP2 and is subscribed), else to itself if it speaks RESP3.
    fn send(&mut self, id: u64, payload: Payload<'_>, to: &mut Delivery<'_>) {
        let Some(tracker) = self.clients.get_mut(&id) else {
            return;
        };
        let Some(client) = to.clients.get(id) else {
            return;
        };
        let own_resp3 = client.is_resp3();
        let redirect = tracker.options.redirect;
        let (target, target_resp3, redirected) = if redirect != 0 {
            match to.clients.get(redirect) {
                Some(target) => (redirect, target.is_resp3(), Some(target)),
                None => {
                    tracker.broken_redirect = true;
                    client.update(|info| info.tracking |= flags::BROKEN_REDIRECT);
                    if own_resp3 {
                        let mut frame = BytesMut::new();
                        frame.put_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n");
                        frame.put_slice(format!(":{redirect}\r\n").as_bytes());
                        to.send(id, &frame);
                    }
                    return;
                }
            }
        } else {
            (id, own_resp3, None)
        };
        let mut frame = BytesMut::new();
        if target_resp3 {
            frame.put_slice(b">2\r\n$10\r\ninvalidate\r\n");
        } else if redirected.is_some_and(|target| target.info().in_pubsub()) {
            frame.put_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
        } else {
            // RESP2 has no push messages: nothing can be sent.
            return;
        }
        match payload {
            Payload::Keys(keys) => {
                frame.put_slice(format!("*{}\r\n", keys.len()).as_bytes());
                for key in keys {
                    frame.put_slice(format!("${}\r\n", key.len()).as_bytes());
                    frame.put_slice(key);
                    frame.put_slice(b"\r\n");
                }
            }
            // The null of the tracking client's protocol, even when redirected.
            Payload::Flush if own_resp3 => frame.put_slice(b"_\r\n"),
            Payload::Flush => frame.put_slice(b"$-1\r\n"),
        }
        to.send(target, &frame);
    }
}

/// A tracker's CLIENT LIST bits.
fn bits(tracker: &Tracker) -> u8 {
    let mut bits = flags::ON;
    if tracker.options.bcast {
        bits |= flags::BCAST;
    }
    if tracker.broken_redirect {
        bits |= flags::BROKEN_REDIRECT;
    }
    bits
}
