//! XADD, XTRIM, XDEL and XSETID.

use radish_data::types::stream::{AddError, NewId, Stream, StreamId, Trim};
use radish_data::Value;

use super::ids::{parse_new_id, parse_strict_id};
use super::{peek_stream, stream_mut, stream_mut_unwatched};
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;
use crate::state::events;

/// XADD's and XTRIM's options, as Redis's `streamParseAddOrTrimArgsOrReply` reads them.
struct TrimArgs {
    /// How to trim, if at all.
    trim: Option<Trim>,
    /// `~`: whole nodes only.
    approx: bool,
    /// The most entries to remove (0: no limit).
    limit: u64,
}

/// What XADD's arguments ask for.
struct AddArgs {
    trim: TrimArgs,
    /// `None` for `*`.
    id: Option<NewId>,
    /// NOMKSTREAM.
    no_create: bool,
    /// Where the ID is (the fields follow it).
    id_at: usize,
}

/// Redis's default LIMIT for `~` trimming: a hundred nodes' worth of entries.
fn default_limit(node_entries: u64) -> u64 {
    match node_entries.saturating_mul(100) {
        0 => 10_000,
        limit => limit.min(1_000_000),
    }
}

/// Parses the options from argument 2 on. For XADD, stops at the ID (or `*`), which must be
/// there; for XTRIM, a trimming strategy must be.
fn parse_options(args: &[&[u8]], xadd: bool, node_entries: u64) -> Result<AddArgs> {
    let both = || {
        Error::Static(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        )
    };
    let mut parsed = AddArgs {
        trim: TrimArgs {
            trim: None,
            approx: false,
            limit: 0,
        },
        id: None,
        no_create: false,
        id_at: args.len(),
    };
    let mut limit = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let option = args[i];
        if xadd && option == b"*" {
            parsed.id_at = i;
            break;
        } else if (is(option, "maxlen") || is(option, "minid")) && more > 0 {
            if parsed.trim.trim.is_some() {
                return Err(both());
            }
            parsed.trim.approx = false;
            if more >= 2 && (args[i + 1] == b"~" || args[i + 1] == b"=") {
                parsed.trim.approx = args[i + 1] == b"~";
                i += 1;
            }
            let threshold = args[i + 1];
            parsed.trim.trim = Some(if is(option, "maxlen") {
                let max = parse_int(threshold)?;
                if max < 0 {
                    return Err(Error::Static("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(max as u64)
            } else {
                Trim::MinId(parse_strict_id(threshold)?)
            });
            i += 1;
        } else if is(option, "limit") && more > 0 {
            let value = parse_int(args[i + 1])?;
            if value < 0 {
                return Err(Error::Static("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(value as u64);
            i += 1;
        } else if xadd && is(option, "nomkstream") {
            parsed.no_create = true;
        } else if xadd {
            parsed.id = Some(parse_new_id(option)?);
            parsed.id_at = i;
            break;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if limit.is_some_and(|limit| limit > 0) && parsed.trim.trim.is_none() {
        return Err(Error::Static(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && parsed.trim.trim.is_none() {
        return Err(Error::Static(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    parsed.trim.limit = match limit {
        Some(_) if !parsed.trim.approx => {
            return Err(Error::Static(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ))
        }
        Some(limit) => limit,
        None if parsed.trim.approx => default_limit(node_entries),
        None => 0,
    };
    Ok(parsed)
}

/// What approximate trimming left, as an exact threshold: the log and replicas trim to it
/// with `=` and get the same entries (Redis's `streamRewriteTrimArgument`).
fn exact_threshold(stream: &Stream, trim: Trim) -> (&'static [u8], String) {
    match trim {
        Trim::MaxLen(_) => (b"MAXLEN", stream.len().to_string()),
        Trim::MinId(_) => (
            b"MINID",
            stream
                .first_entry()
                .map_or(StreamId::MAX, |entry| entry.id)
                .to_string(),
        ),
    }
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
pub(super) fn xadd(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let limits = ctx.limits();
    let parsed = parse_options(args, true, limits.stream_node_entries)?;
    let pairs = &args[(parsed.id_at + 1).min(args.len())..];
    if pairs.len() < 2 || pairs.len() % 2 != 0 {
        return Err(Error::WrongArity("xadd".into()));
    }
    let id = parsed.id.unwrap_or(NewId::Auto);
    if id == NewId::Exact(StreamId::MIN) {
        return Err(Error::Static(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let (key, now) = (args[1], ctx.now);
    let db = ctx.db();
    let exists = match peek_stream(db, key, now)? {
        None if parsed.no_create => {
            ctx.reply.null();
            return Ok(());
        }
        None => false,
        Some(stream) if stream.last_id() == StreamId::MAX => {
            return Err(Error::Static(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ))
        }
        Some(_) => true,
    };
    if !exists {
        db.insert(key, Value::Stream(Box::default()), 0, now);
    }
    let stream = stream_mut(db, key, now).expect("a stream is there");
    let added =
        match stream.add(id, pairs, now, &limits) {
            Ok(added) => added,
            Err(AddError::NotGreater) => return Err(Error::Static(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            )),
            // Redis 7.0 answers a sequence overflow under `<ms>-*` with the error of whatever
            // failed last (its errno): this one, in practice.
            Err(AddError::TooLarge | AddError::SequenceExhausted) => {
                return Err(Error::Static("ERR Elements are too large to be stored"))
            }
        };
    let mut exact_trim = None;
    let mut trimmed = 0;
    if let Some(trim) = parsed.trim.trim {
        trimmed = stream.trim(trim, parsed.trim.approx, parsed.trim.limit);
        if parsed.trim.approx {
            exact_trim = Some(exact_threshold(stream, trim));
        }
    }
    let added = added.to_string();
    ctx.reply.bulk(added.as_bytes());
    ctx.notify(events::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(events::STREAM, "xtrim", key);
    }
    if exact_trim.is_some() || !matches!(id, NewId::Exact(_)) {
        // The log gets the ID made here, and the exact trim `~` turned out to be (LIMIT
        // and `~` could trim differently when replayed), as Redis propagates XADD.
        let mut logged: Vec<&[u8]> = vec![b"XADD", key];
        if let Some((name, threshold)) = &exact_trim {
            logged.extend([*name, b"=", threshold.as_bytes()]);
        } else {
            logged.extend(&args[2..parsed.id_at]);
        }
        logged.push(added.as_bytes());
        logged.extend(pairs);
        ctx.propagate(&logged);
    }
    ctx.dirty(1);
    Ok(())
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub(super) fn xtrim(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let limits = ctx.limits();
    let parsed = parse_options(args, false, limits.stream_node_entries)?.trim;
    let trim = parsed.trim.expect("XTRIM parses a strategy");
    let (key, now) = (args[1], ctx.now);
    let db = ctx.db();
    if !peek_stream(db, key, now)?.is_some_and(|stream| !stream.is_empty()) {
        ctx.reply.integer(0);
        return Ok(());
    }
    // A trim that removes nothing is no write, for WATCH either (as Redis signals the key
    // only after removing something).
    let stream = stream_mut_unwatched(db, key, now).expect("a stream is there");
    let removed = stream.trim(trim, parsed.approx, parsed.limit);
    if removed > 0 {
        db.signal_modified(key);
    }
    let stream = peek_stream(db, key, now)?.expect("a stream is there");
    if parsed.approx && removed > 0 {
        let (name, threshold) = exact_threshold(stream, trim);
        ctx.propagate(&[&b"XTRIM"[..], key, name, b"=", threshold.as_bytes()]);
    }
    if removed > 0 {
        ctx.notify(events::STREAM, "xtrim", key);
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed);
    Ok(())
}

/// XDEL key id [id ...]: the key is looked up before the IDs are read. Only a deletion is a
/// write for WATCH, as Redis signals the key only then.
pub(super) fn xdel(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (key, now) = (args[1], ctx.now);
    let db = ctx.db();
    if peek_stream(db, key, now)?.is_none() {
        ctx.reply.integer(0);
        return Ok(());
    }
    let ids = args[2..]
        .iter()
        .map(|arg| parse_strict_id(arg))
        .collect::<Result<Vec<StreamId>>>()?;
    let stream = stream_mut_unwatched(db, key, now).expect("a stream is there");
    let deleted = ids.iter().filter(|id| stream.delete(**id)).count();
    if deleted > 0 {
        db.signal_modified(key);
        ctx.notify(events::STREAM, "xdel", key);
    }
    ctx.reply.integer(deleted as i64);
    ctx.dirty(deleted as u64);
    Ok(())
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]: the
/// arguments are checked before the key, the key's entries after.
pub(super) fn xsetid(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let id = parse_strict_id(args[2])?;
    let (mut entries_added, mut max_deleted) = (None, None);
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "entriesadded") && more > 0 {
            let added = parse_int(args[i + 1])?;
            if added < 0 {
                return Err(Error::Static("ERR entries_added must be positive"));
            }
            entries_added = Some(added as u64);
        } else if is(args[i], "maxdeletedid") && more > 0 {
            let deleted = parse_strict_id(args[i + 1])?;
            if id < deleted {
                return Err(Error::Static(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
            max_deleted = Some(deleted);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let (key, now) = (args[1], ctx.now);
    let db = ctx.db();
    let Some(stream) = peek_stream(db, key, now)? else {
        return Err(Error::NoSuchKey);
    };
    if let Some(last) = stream.last_entry() {
        if id < last.id {
            return Err(Error::Static(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|added| added < stream.len()) {
            return Err(Error::Static(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    // Redis does not signal XSETID's key: WATCH does not see it.
    let stream = stream_mut_unwatched(db, key, now).expect("a stream is there");
    stream.set_ids(id, entries_added, max_deleted.filter(|id| !id.is_zero()));
    ctx.reply.ok();
    ctx.notify(events::STREAM, "xsetid", key);
    ctx.dirty(1);
    Ok(())
}
