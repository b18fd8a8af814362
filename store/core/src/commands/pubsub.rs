//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, the shard channel
//! family (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), PUBSUB.

use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexSet;
use radish_data::Millis;

use crate::error::Result;
use crate::exec::args::{help, owned};
use crate::exec::command::{flags, key, range, Command, Group};
use crate::exec::conn::ConnState;
use crate::exec::ctx::Ctx;
use crate::state::clients::Client;
use crate::state::clients::OutputLimit;
use crate::state::pubsub::PubSub;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("subscribe", -2, subscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .doc(Group::Pubsub, "2.0.0", "Listen for messages published to the given channels",),
    Command::new("unsubscribe", -1, unsubscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .doc(Group::Pubsub, "2.0.0", "Stop listening for messages posted to the given channels",),
    Command::new("psubscribe", -2, psubscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .doc(Group::Pubsub, "2.0.0", "Listen for messages published to channels matching the given patterns",),
    Command::new("punsubscribe", -1, punsubscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .doc(Group::Pubsub, "2.0.0", "Stop listening for messages posted to channels matching the given patterns",),
    Command::new("ssubscribe", -2, ssubscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .keys(&[range(1, -1, 1, key!(NOT_KEY))])
        .doc(Group::Pubsub, "7.0.0", "Listen for messages published to the given shard channels",),
    Command::new("sunsubscribe", -1, sunsubscribe)
        .flags(flags!(PUBSUB | NOSCRIPT | LOADING | STALE))
        .keys(&[range(1, -1, 1, key!(NOT_KEY))])
        .doc(Group::Pubsub, "7.0.0", "Stop listening for messages posted to the given shard channels",),
    Command::new("spublish", 3, spublish)
        .flags(flags!(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE))
        .keys(&[range(1, 0, 1, key!(NOT_KEY))])
        .doc(Group::Pubsub, "7.0.0", "Post a message to a shard channel"),
    Command::new("publish", 3, publish)
        .flags(flags!(PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE))
        .doc(Group::Pubsub, "2.0.0", "Post a message to a channel"),
    Command::container("pubsub", &[
        Command::new("pubsub|channels", -2, pubsub_channels)
            .flags(flags!(PUBSUB | LOADING | STALE))
            .doc(Group::Pubsub, "2.8.0", "List active channels"),
        Command::new("pubsub|numsub", -2, pubsub_numsub)
            .flags(flags!(PUBSUB | LOADING | STALE))
            .doc(Group::Pubsub, "2.8.0", "Get the count of subscribers for channels",),
        Command::new("pubsub|shardchannels", -2, pubsub_shardchannels)
            .flags(flags!(PUBSUB | LOADING | STALE))
            .doc(Group::Pubsub, "7.0.0", "List active shard channels"),
        Command::new("pubsub|shardnumsub", -2, pubsub_shardnumsub)
            .flags(flags!(PUBSUB | LOADING | STALE))
            .doc(Group::Pubsub, "7.0.0", "Get the count of subscribers for shard channels",),
        Command::new("pubsub|numpat", 2, pubsub_numpat)
            .flags(flags!(PUBSUB | LOADING | STALE))
            .doc(Group::Pubsub, "2.8.0", "Get the count of unique patterns pattern subscriptions",),
        Command::new("pubsub|help", 2, pubsub_help)
            .flags(flags!(LOADING | STALE))
            .doc(Group::Pubsub, "6.2.0", "Show helpful text about the different subcommands",),
    ])
        .doc(Group::Pubsub, "2.8.0", "A container for Pub/Sub commands"),
];

/// Writes one (un)subscribe confirmation: a push in RESP3, an array in RESP2.
fn confirm(ctx: &mut Ctx<'_, '_>, kind: &[u8], name: Option<&[u8]>, count: usize) {
    // Confirmations are pushes: Redis sends them even under CLIENT REPLY OFF or SKIP.
    ctx.conn.reply_is_push = true;
    radish_resp::write_push_len(ctx.reply.out, 3, ctx.reply.version);
    ctx.reply.bulk(kind);
    ctx.reply.bulk_or_null(name);
    ctx.reply.integer(count as i64);
}

/// The three kinds of subscription: each has its own set on the connection, its own table
/// in the registry and its own confirmation words.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }

    /// The connection's subscriptions of this kind.
    fn of(self, conn: &mut ConnState) -> &mut IndexSet<Bytes> {
        match self {
            Kind::Channel => &mut conn.channels,
            Kind::Pattern => &mut conn.patterns,
            Kind::Shard => &mut conn.shard_channels,
        }
    }

    /// The count a confirmation reports: channels and patterns together, as in Redis, and
    /// shard channels apart.
    fn count(self, conn: &ConnState) -> usize {
        match self {
            Kind::Channel | Kind::Pattern => conn.subscriptions(),
            Kind::Shard => conn.shard_channels.len(),
        }
    }

    fn add(self, pubsub: &mut PubSub, name: &Bytes, client: &Arc<Client>) {
        match self {
            Kind::Channel => pubsub.subscribe(name, client),
            Kind::Pattern => pubsub.psubscribe(name, client),
            Kind::Shard => pubsub.ssubscribe(name, client),
        };
    }

    fn remove(self, pubsub: &mut PubSub, name: &[u8], client: u64) {
        match self {
            Kind::Channel => pubsub.unsubscribe(name, client),
            Kind::Pattern => pubsub.punsubscribe(name, client),
            Kind::Shard => pubsub.sunsubscribe(name, client),
        };
    }
}

/// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: one confirmation per name, repeats included.
fn subscribe_to(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], kind: Kind) -> Result {
    for &name in &args[1..] {
        let name = Bytes::copy_from_slice(name);
        if kind.of(ctx.conn).insert(name.clone()) {
            kind.add(&mut ctx.server.pubsub(), &name, ctx.client);
        }
        let count = kind.count(ctx.conn);
        confirm(ctx, kind.subscribe_word(), Some(&name), count);
    }
    Ok(())
}

/// UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: the names given, or every subscription of the
/// kind; with none at all, one confirmation with a null name, as in Redis.
fn unsubscribe_from(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], kind: Kind) -> Result {
    let names: Vec<Bytes> = if args.len() > 1 {
        owned(&args[1..])
    } else {
        kind.of(ctx.conn).iter().cloned().collect()
    };
    if names.is_empty() {
        let count = kind.count(ctx.conn);
        confirm(ctx, kind.unsubscribe_word(), None, count);
    }
    for name in names {
        if kind.of(ctx.conn).shift_remove(&name) {
            kind.remove(&mut ctx.server.pubsub(), &name, ctx.client.id);
        }
        let count = kind.count(ctx.conn);
        confirm(ctx, kind.unsubscribe_word(), Some(&name), count);
    }
    Ok(())
}

fn subscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    subscribe_to(ctx, args, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    subscribe_to(ctx, args, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    subscribe_to(ctx, args, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    unsubscribe_from(ctx, args, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    unsubscribe_from(ctx, args, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    unsubscribe_from(ctx, args, Kind::Shard)
}

/// PUBLISH and SPUBLISH: replies with how many clients received the message.
fn publish_with(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
    send: fn(&mut PubSub, &[u8], &[u8], OutputLimit, Millis) -> usize,
) -> Result {
    let limit = ctx.server.clients.limits.output(true);
    let receivers = send(&mut ctx.server.pubsub(), args[1], args[2], limit, ctx.now);
    // Subscribers' queued messages are what `maxmemory-clients` bounds.
    if ctx.server.clients.over_memory_limit() {
        ctx.server.clients.evict(ctx.now);
    }
    ctx.reply.integer(receivers as i64);
    Ok(())
}

fn publish(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    publish_with(ctx, args, PubSub::publish)
}

fn spublish(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    publish_with(ctx, args, PubSub::spublish)
}

/// PUBSUB CHANNELS and SHARDCHANNELS [pattern].
fn list_channels(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
    active: fn(&PubSub, Option<&[u8]>) -> Vec<Bytes>,
) -> Result {
    let channels = active(&ctx.server.pubsub(), args.get(2).map(|p| &p[..]));
    ctx.reply.bulks(channels.iter());
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    list_channels(ctx, args, PubSub::active_channels)
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    list_channels(ctx, args, PubSub::active_shard_channels)
}

/// PUBSUB NUMSUB and SHARDNUMSUB: a flat array of channel, count pairs, even in RESP3, as
/// Redis 7.0 replies (clients parse it as pairs).
fn count_subscribers(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
    count: fn(&PubSub, &[u8]) -> usize,
) -> Result {
    let counts: Vec<usize> = {
        let pubsub = ctx.server.pubsub();
        args[2..].iter().map(|c| count(&pubsub, c)).collect()
    };
    ctx.reply.array(counts.len() * 2);
    for (channel, count) in args[2..].iter().zip(counts) {
        ctx.reply.bulk(channel);
        ctx.reply.integer(count as i64);
    }
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    count_subscribers(ctx, args, PubSub::subscriber_count)
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    count_subscribers(ctx, args, PubSub::shard_subscriber_count)
}

fn pubsub_numpat(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let count = ctx.server.pubsub().pattern_count();
    ctx.reply.integer(count as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}
