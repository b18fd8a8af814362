//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, the shard channel
//! family (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), PUBSUB.

use bytes::Bytes;

use super::{cmd, container, help, Command};
use crate::ctx::Ctx;
use crate::error::Result;

const G: &str = "pubsub";
const SUB: &[&str] = &["pubsub", "noscript", "loading", "stale"];

pub(super) const COMMANDS: &[Command] = &[
    cmd(
        "subscribe",
        -2,
        SUB,
        (0, 0, 0),
        G,
        "Listens for messages published to channels.",
        subscribe,
    ),
    cmd(
        "unsubscribe",
        -1,
        SUB,
        (0, 0, 0),
        G,
        "Stops listening to messages posted to channels.",
        unsubscribe,
    ),
    cmd(
        "psubscribe",
        -2,
        SUB,
        (0, 0, 0),
        G,
        "Listens for messages published to channels that match one or more patterns.",
        psubscribe,
    ),
    cmd(
        "punsubscribe",
        -1,
        SUB,
        (0, 0, 0),
        G,
        "Stops listening to messages published to channels that match one or more patterns.",
        punsubscribe,
    ),
    cmd(
        "ssubscribe",
        -2,
        SUB,
        (1, -1, 1),
        G,
        "Listens for messages published to shard channels.",
        ssubscribe,
    ),
    cmd(
        "sunsubscribe",
        -1,
        SUB,
        (1, -1, 1),
        G,
        "Stops listening to messages posted to shard channels.",
        sunsubscribe,
    ),
    cmd(
        "spublish",
        3,
        &["pubsub", "loading", "stale", "fast"],
        (1, 1, 1),
        G,
        "Post a message to a shard channel",
        spublish,
    ),
    cmd(
        "publish",
        3,
        &["pubsub", "loading", "stale", "fast", "may-replicate"],
        (0, 0, 0),
        G,
        "Posts a message to a channel.",
        publish,
    ),
    container(
        "pubsub",
        G,
        "A container for Pub/Sub commands.",
        &[
            cmd(
                "pubsub|channels",
                -2,
                &["pubsub", "loading", "stale"],
                (0, 0, 0),
                G,
                "Returns the active channels.",
                pubsub_channels,
            ),
            cmd(
                "pubsub|numsub",
                -2,
                &["pubsub", "loading", "stale"],
                (0, 0, 0),
                G,
                "Returns a count of subscribers to channels.",
                pubsub_numsub,
            ),
            cmd(
                "pubsub|shardchannels",
                -2,
                &["pubsub", "loading", "stale"],
                (0, 0, 0),
                G,
                "Returns the active shard channels.",
                pubsub_shardchannels,
            ),
            cmd(
                "pubsub|shardnumsub",
                -2,
                &["pubsub", "loading", "stale"],
                (0, 0, 0),
                G,
                "Returns the count of subscribers of shard channels.",
                pubsub_shardnumsub,
            ),
            cmd(
                "pubsub|numpat",
                2,
                &["pubsub", "loading", "stale"],
                (0, 0, 0),
                G,
                "Returns a count of unique pattern subscriptions.",
                pubsub_numpat,
            ),
            cmd(
                "pubsub|help",
                2,
                &["loading", "stale"],
                (0, 0, 0),
                G,
                "Returns helpful text about the different subcommands.",
                pubsub_help,
            ),
        ],
    ),
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

fn subscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    for channel in &args[1..] {
        if ctx.conn.channels.insert(channel.clone()) {
            ctx.server.pubsub().subscribe(channel, ctx.client);
        }
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"subscribe", Some(channel), count);
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    for pattern in &args[1..] {
        if ctx.conn.patterns.insert(pattern.clone()) {
            ctx.server.pubsub().psubscribe(pattern, ctx.client);
        }
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"psubscribe", Some(pattern), count);
    }
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let channels: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.conn.channels.iter().cloned().collect()
    };
    if channels.is_empty() {
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"unsubscribe", None, count);
    }
    for channel in channels {
        if ctx.conn.channels.shift_remove(&channel) {
            ctx.server.pubsub().unsubscribe(&channel, ctx.client.id);
        }
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"unsubscribe", Some(&channel), count);
    }
    Ok(())
}

fn punsubscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let patterns: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.conn.patterns.iter().cloned().collect()
    };
    if patterns.is_empty() {
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"punsubscribe", None, count);
    }
    for pattern in patterns {
        if ctx.conn.patterns.shift_remove(&pattern) {
            ctx.server.pubsub().punsubscribe(&pattern, ctx.client.id);
        }
        let count = ctx.conn.subscriptions();
        confirm(ctx, b"punsubscribe", Some(&pattern), count);
    }
    Ok(())
}

fn ssubscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    for channel in &args[1..] {
        if ctx.conn.shard_channels.insert(channel.clone()) {
            ctx.server.pubsub().ssubscribe(channel, ctx.client);
        }
        // Shard subscriptions are counted apart from channels and patterns, as in Redis.
        let count = ctx.conn.shard_channels.len();
        confirm(ctx, b"ssubscribe", Some(channel), count);
    }
    Ok(())
}

fn sunsubscribe(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let channels: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.conn.shard_channels.iter().cloned().collect()
    };
    if channels.is_empty() {
        confirm(ctx, b"sunsubscribe", None, 0);
    }
    for channel in channels {
        if ctx.conn.shard_channels.shift_remove(&channel) {
            ctx.server.pubsub().sunsubscribe(&channel, ctx.client.id);
        }
        let count = ctx.conn.shard_channels.len();
        confirm(ctx, b"sunsubscribe", Some(&channel), count);
    }
    Ok(())
}

fn spublish(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let limit = ctx.server.clients.limits.output(true);
    let receivers = ctx
        .server
        .pubsub()
        .spublish(&args[1], &args[2], limit, ctx.now);
    ctx.reply.integer(receivers as i64);
    Ok(())
}

fn pubsub_shardchannels(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let channels = ctx
        .server
        .pubsub()
        .active_shard_channels(args.get(2).map(|p| &p[..]));
    ctx.reply.bulks(channels.iter());
    Ok(())
}

fn pubsub_shardnumsub(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let counts: Vec<usize> = {
        let pubsub = ctx.server.pubsub();
        args[2..]
            .iter()
            .map(|c| pubsub.shard_subscriber_count(c))
            .collect()
    };
    // A flat array even in RESP3, like NUMSUB in Redis 7.0.
    ctx.reply.array(counts.len() * 2);
    for (channel, count) in args[2..].iter().zip(counts) {
        ctx.reply.bulk(channel);
        ctx.reply.integer(count as i64);
    }
    Ok(())
}

fn publish(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let limit = ctx.server.clients.limits.output(true);
    let receivers = ctx
        .server
        .pubsub()
        .publish(&args[1], &args[2], limit, ctx.now);
    ctx.reply.integer(receivers as i64);
    Ok(())
}

fn pubsub_channels(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let channels = ctx
        .server
        .pubsub()
        .active_channels(args.get(2).map(|p| &p[..]));
    ctx.reply.bulks(channels.iter());
    Ok(())
}

fn pubsub_numsub(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let counts: Vec<usize> = {
        let pubsub = ctx.server.pubsub();
        args[2..]
            .iter()
            .map(|c| pubsub.subscriber_count(c))
            .collect()
    };
    // A flat array even in RESP3, as Redis 7.0 replies (clients parse it as pairs).
    ctx.reply.array(counts.len() * 2);
    for (channel, count) in args[2..].iter().zip(counts) {
        ctx.reply.bulk(channel);
        ctx.reply.integer(count as i64);
    }
    Ok(())
}

fn pubsub_numpat(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    let count = ctx.server.pubsub().pattern_count();
    ctx.reply.integer(count as i64);
    Ok(())
}

fn pubsub_help(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
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
