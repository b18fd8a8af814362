//! The pub/sub registry: who listens to which channel or pattern, and delivery of messages
//! into subscribers' outboxes with Redis's `client-output-buffer-limit pubsub`.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use radish_data::glob::glob_match;
use radish_data::Millis;
use radish_resp::{self as resp, Version};

use crate::state::clients::{Client, OutputLimit};
use crate::state::events;

/// Queues `frame` for a subscriber, then closes it if that puts it over its output limits.
fn send(client: &Client, frame: &[u8], limit: OutputLimit, now: Millis) {
    if client.deliver(frame) > 0 {
        client.check_output(client.output_buffer_usage(), limit, now);
    }
}

/// Subscriptions of every client.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Bytes, Vec<Arc<Client>>>,
    patterns: HashMap<Bytes, Vec<Arc<Client>>>,
    /// Shard channels (SSUBSCRIBE): a namespace of their own, which patterns never match.
    shard_channels: HashMap<Bytes, Vec<Arc<Client>>>,
}

/// Encodes a message for a subscriber in its protocol: a push in RESP3, an array in RESP2.
fn encode(parts: &[&[u8]], version: Version) -> BytesMut {
    let mut out = BytesMut::with_capacity(parts.iter().map(|p| p.len() + 16).sum());
    resp::write_push_len(&mut out, parts.len(), version);
    for part in parts {
        resp::write_bulk(&mut out, part);
    }
    out
}

fn add_client(
    map: &mut HashMap<Bytes, Vec<Arc<Client>>>,
    name: &Bytes,
    client: &Arc<Client>,
) -> bool {
    let list = map.entry(name.clone()).or_default();
    if list.iter().any(|c| c.id == client.id) {
        return false;
    }
    list.push(client.clone());
    true
}

fn remove_client(map: &mut HashMap<Bytes, Vec<Arc<Client>>>, name: &[u8], id: u64) -> bool {
    let Some(list) = map.get_mut(name) else {
        return false;
    };
    let before = list.len();
    list.retain(|c| c.id != id);
    let removed = list.len() != before;
    if list.is_empty() {
        map.remove(name);
    }
    removed
}

impl PubSub {
    /// Adds `client` to `channel`; false if it was already subscribed.
    pub fn subscribe(&mut self, channel: &Bytes, client: &Arc<Client>) -> bool {
        add_client(&mut self.channels, channel, client)
    }

    /// Removes `client` from `channel`; false if it was not subscribed.
    pub fn unsubscribe(&mut self, channel: &[u8], client: u64) -> bool {
        remove_client(&mut self.channels, channel, client)
    }

    /// Adds `client` to `pattern`; false if it was already subscribed.
    pub fn psubscribe(&mut self, pattern: &Bytes, client: &Arc<Client>) -> bool {
        add_client(&mut self.patterns, pattern, client)
    }

    /// Removes `client` from `pattern`; false if it was not subscribed.
    pub fn punsubscribe(&mut self, pattern: &[u8], client: u64) -> bool {
        remove_client(&mut self.patterns, pattern, client)
    }

    /// Adds `client` to shard channel `channel`; false if it was already subscribed.
    pub fn ssubscribe(&mut self, channel: &Bytes, client: &Arc<Client>) -> bool {
        add_client(&mut self.shard_channels, channel, client)
    }

    /// Removes `client` from shard channel `channel`; false if it was not subscribed.
    pub fn sunsubscribe(&mut self, channel: &[u8], client: u64) -> bool {
        remove_client(&mut self.shard_channels, channel, client)
    }

    /// SPUBLISH: sends `message` to the subscribers of shard channel `channel` (as
    /// `smessage`; patterns do not apply); returns how many received it.
    pub fn spublish(
        &mut self,
        channel: &[u8],
        message: &[u8],
        limit: OutputLimit,
        now: Millis,
    ) -> usize {
        let subscribers: Vec<Arc<Client>> = self
            .shard_channels
            .get(channel)
            .map(|list| list.to_vec())
            .unwrap_or_default();
        for client in &subscribers {
            let frame = encode(&[b"smessage", channel, message], client.version());
            send(client, &frame, limit, now);
        }
        subscribers.len()
    }

    /// Sends `message` to every subscriber of `channel` and every matching pattern; returns
    /// how many deliveries were made. Subscribers past their output limit are disconnected.
    pub fn publish(
        &mut self,
        channel: &[u8],
        message: &[u8],
        limit: OutputLimit,
        now: Millis,
    ) -> usize {
        let mut receivers = 0;
        let mut deliveries: Vec<(Arc<Client>, BytesMut)> = Vec::new();
        if let Some(list) = self.channels.get(channel) {
            for client in list {
                let frame = encode(&[b"message", channel, message], client.version());
                deliveries.push((client.clone(), frame));
            }
        }
        for (pattern, list) in &self.patterns {
            if glob_match(pattern, channel, false) {
                for client in list {
                    let frame = encode(&[b"pmessage", pattern, channel, message], client.version());
                    deliveries.push((client.clone(), frame));
                }
            }
        }
        for (client, frame) in deliveries {
            receivers += 1;
            send(&client, &frame, limit, now);
        }
        receivers
    }

    /// Channels with at least one subscriber, optionally matching a pattern.
    pub fn active_channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.channels
            .keys()
            .filter(|c| pattern.map_or(true, |p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Shard channels with at least one subscriber, optionally matching a pattern.
    pub fn active_shard_channels(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.shard_channels
            .keys()
            .filter(|c| pattern.map_or(true, |p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of shard channel `channel`.
    pub fn shard_subscriber_count(&self, channel: &[u8]) -> usize {
        self.shard_channels.get(channel).map_or(0, Vec::len)
    }

    /// Number of shard channels with a subscriber (INFO's pubsubshard_channels).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Subscribers of `channel` (not counting patterns).
    pub fn subscriber_count(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    /// Number of distinct patterns subscribed to.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}

/// Where and how one keyspace event (`events.rs`) is published: the server's classes in force, its pub/sub, the
/// subscribers' output limit and the time.
pub struct Publisher<'p> {
    /// The classes in force (with `K` or `E`).
    pub flags: u32,
    /// The pub/sub registry.
    pub pubsub: &'p mut PubSub,
    /// The `pubsub` output buffer limit.
    pub limit: OutputLimit,
    /// The time, for the output limit's soft deadline.
    pub now: Millis,
}

impl Publisher<'_> {
    /// Publishes `event` of class `class` on `key` of database `db`, if the class is on:
    /// first on the key's channel, then on the event's, as Redis does.
    pub fn publish(&mut self, class: u32, db: usize, event: &str, key: &[u8]) {
        if self.flags & class == 0 {
            return;
        }
        let prefix_len = "__keyspace@".len() + 20 + "__:".len();
        let mut channel = Vec::with_capacity(prefix_len + key.len().max(event.len()));
        if self.flags & events::KEYSPACE != 0 {
            channel.extend_from_slice(format!("__keyspace@{db}__:").as_bytes());
            channel.extend_from_slice(key);
            self.pubsub
                .publish(&channel, event.as_bytes(), self.limit, self.now);
        }
        if self.flags & events::KEYEVENT != 0 {
            channel.clear();
            channel.extend_from_slice(format!("__keyevent@{db}__:{event}").as_bytes());
            self.pubsub.publish(&channel, key, self.limit, self.now);
        }
    }
}
