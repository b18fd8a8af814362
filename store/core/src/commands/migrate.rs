//! MIGRATE: moves keys to another server (a redis-server or a radish) as Redis's
//! `migrateCommand` does: each key's DUMP payload goes over in a RESTORE (with AUTH and SELECT
//! first when needed), all pipelined; the keys the target acknowledged are deleted here
//! (unless COPY) and logged as one DEL.
//!
//! The talk is synchronous, with the command's timeout on every read and write: the event
//! loop, and the data, wait for it, as Redis's main thread does. Connections are cached per
//! `host:port` (`state/links.rs`); a cached one found broken is reopened once, unless the
//! failure was a timeout.

use std::io::{self, Write};
use std::time::Duration;

use bytes::BytesMut;
use radish_data::Millis;

use super::serialize::dump_payload;
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, after_keyword, flags, key, range, Command, GetKeys, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;
use crate::state::links::{Cached, Link};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("migrate", -6, migrate)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .keys(&[
            range(3, 0, 1, key!(RW | ACCESS | DELETE)),
            after_keyword("KEYS", -2, (-1, 1, 0), key!(RW | ACCESS | DELETE | INCOMPLETE)),
        ])
        .get_keys(GetKeys::Migrate)
        .tips(&["nondeterministic_output"])
        .doc(Group::Generic, "2.6.0", "Atomically transfer a key from a Redis instance to another one."),
];

/// MIGRATE's options after the timeout.
struct Options<'a> {
    copy: bool,
    replace: bool,
    /// AUTH's password, or AUTH2's user and password.
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    /// Where the keys are in the arguments.
    keys: std::ops::Range<usize>,
}

fn options<'a>(args: &[&'a [u8]]) -> Result<Options<'a>> {
    let mut options = Options {
        copy: false,
        replace: false,
        auth: None,
        keys: 3..4,
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = args[j];
        if is(option, "copy") {
            options.copy = true;
        } else if is(option, "replace") {
            options.replace = true;
        } else if is(option, "auth") {
            if more == 0 {
                return Err(Error::Syntax);
            }
            j += 1;
            options.auth = Some((None, args[j]));
        } else if is(option, "auth2") {
            if more < 2 {
                return Err(Error::Syntax);
            }
            options.auth = Some((Some(args[j + 1]), args[j + 2]));
            j += 2;
        } else if is(option, "keys") {
            if !args[3].is_empty() {
                return Err(Error::Static(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            options.keys = j + 1..args.len();
            break;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    Ok(options)
}

/// Why talking to the target failed.
enum LinkError {
    /// The target answered an error (its line, without the `-`).
    Target(Vec<u8>),
    /// Writing failed, or timed out.
    Writing(io::Error),
    /// Reading failed, or timed out.
    Reading(io::Error),
}

/// How the talk with the target went: the first failure if any, and which keys (by position)
/// the target restored.
struct Talk {
    failure: Option<LinkError>,
    restored: Vec<usize>,
}

fn migrate(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let options = options(args)?;
    let timeout = parse_int(args[5])?;
    let db_index = parse_int(args[4])?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });
    let now = ctx.now;
    let compress = ctx.server.config().get_bool("rdbcompression");
    let limits = ctx.limits();

    // The keys here, with what to send for each: the payload and the TTL left.
    let mut found: Vec<(&[u8], Vec<u8>, Option<Millis>)> = Vec::new();
    let db = ctx.db();
    for &key in &args[options.keys.clone()] {
        let Some(entry) = db.read(key, now) else {
            continue;
        };
        let payload = dump_payload(&entry.value, &limits, compress);
        found.push((key, payload, db.deadline(key)));
    }
    if found.is_empty() {
        ctx.reply.simple(b"NOKEY");
        return Ok(());
    }
    // A key due now is not sent (Redis checks again as it writes the RESTOREs).
    let moving: Vec<(&[u8], Vec<u8>, i64)> = found
        .into_iter()
        .filter_map(|(key, payload, deadline)| {
            let ttl = match deadline {
                None => 0,
                Some(at) => (at as i64 - now as i64).max(1),
            };
            (deadline.map_or(true, |at| at as i64 >= now as i64)).then_some((key, payload, ttl))
        })
        .collect();

    let (host, port) = (args[1], args[2]);
    let mut retried = false;
    let talk = loop {
        let mut links = ctx.server.links();
        let talk = match links.get(host, port, timeout, now) {
            Ok(link) => talk(link, &options, db_index, &moving),
            // Redis connects without waiting for the answer and learns of a refusal only as
            // it writes: a refused connection fails as a write does.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => Talk {
                failure: Some(LinkError::Writing(error)),
                restored: Vec::new(),
            },
            Err(_) => {
                return Err(Error::Static(
                    "IOERR error or timeout connecting to the client",
                ))
            }
        };
        match &talk.failure {
            // A cached connection the target closed: open a new one, once, unless the
            // failure was a timeout or some reply was read.
            Some(LinkError::Writing(error) | LinkError::Reading(error))
                if !retried && !timed_out(error) && talk.restored.is_empty() =>
            {
                links.close(host, port);
                retried = true;
            }
            Some(LinkError::Writing(_) | LinkError::Reading(_)) => {
                links.close(host, port);
                break talk;
            }
            Some(LinkError::Target(_)) | None => break talk,
        }
    };
    if !options.copy && !talk.restored.is_empty() {
        let mut logged: Vec<&[u8]> = vec![b"DEL"];
        for &index in &talk.restored {
            let key = moving[index].0;
            ctx.db().remove(key);
            ctx.notify(events::GENERIC, "del", key);
            logged.push(key);
        }
        ctx.propagate(&logged);
        ctx.dirty(talk.restored.len() as u64);
    }
    match talk.failure {
        None => {
            ctx.reply.ok();
            Ok(())
        }
        Some(LinkError::Target(line)) => Err(Error::Message(format!(
            "ERR Target instance replied with error: {}",
            String::from_utf8_lossy(&line)
        ))),
        Some(LinkError::Writing(_)) => Err(Error::Static(
            "IOERR error or timeout writing to target instance",
        )),
        Some(LinkError::Reading(_)) => Err(Error::Static(
            "IOERR error or timeout reading to target instance",
        )),
    }
}

fn timed_out(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Sends AUTH (if asked), SELECT (if another database was last selected there) and a RESTORE
/// per key in one write, then reads the replies: a key counts as restored when its RESTORE
/// succeeded and so did AUTH and SELECT (each key on its own, as in Redis).
fn talk(
    link: &mut Cached,
    options: &Options<'_>,
    db_index: i64,
    moving: &[(&[u8], Vec<u8>, i64)],
) -> Talk {
    let mut out = BytesMut::new();
    if let Some((user, password)) = options.auth {
        let mut auth: Vec<&[u8]> = vec![b"AUTH"];
        auth.extend(user);
        auth.push(password);
        radish_resp::encode_request(&auth, &mut out);
    }
    let select = link.selected != Some(db_index);
    if select {
        let index = db_index.to_string();
        radish_resp::encode_request(&[&b"SELECT"[..], index.as_bytes()], &mut out);
    }
    for (key, payload, ttl) in moving {
        let ttl = ttl.to_string();
        let mut restore: Vec<&[u8]> = vec![b"RESTORE", key, ttl.as_bytes(), payload];
        if options.replace {
            restore.push(b"REPLACE");
        }
        radish_resp::encode_request(&restore, &mut out);
    }
    let mut talk = Talk {
        failure: None,
        restored: Vec::new(),
    };
    let stream = &mut link.link;
    if let Err(error) = stream.write_all(&out).and_then(|()| stream.flush()) {
        talk.failure = Some(LinkError::Writing(error));
        return talk;
    }
    let preamble = usize::from(options.auth.is_some()) + usize::from(select);
    let mut refused = None;
    for _ in 0..preamble {
        match read_line(stream.as_mut()) {
            Ok(line) => {
                if let Some(error) = line.strip_prefix(b"-") {
                    refused.get_or_insert_with(|| error.to_vec());
                }
            }
            Err(error) => {
                talk.failure = Some(LinkError::Reading(error));
                return talk;
            }
        }
    }
    let mut first_error = refused.clone();
    for index in 0..moving.len() {
        match read_line(stream.as_mut()) {
            Ok(line) => match line.strip_prefix(b"-") {
                Some(error) => {
                    first_error.get_or_insert_with(|| error.to_vec());
                }
                None if refused.is_none() => talk.restored.push(index),
                None => {}
            },
            Err(error) => {
                // Whatever error the target sent first is not reported then: the connection
                // failed.
                talk.failure = Some(LinkError::Reading(error));
                return talk;
            }
        }
    }
    // After an error the database selected there is no longer known.
    link.selected = first_error.is_none().then_some(db_index);
    talk.failure = first_error.map(LinkError::Target);
    talk
}

/// Reads one reply line (up to `\n`, without the line end), byte by byte as Redis's
/// `syncReadLine` does, so that nothing of the next reply is taken.
fn read_line(link: &mut dyn Link) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if link.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match byte[0] {
            b'\n' => break,
            b => line.push(b),
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}
