//! DEBUG, for tests and troubleshooting, as Redis 7.0 has it: refused unless
//! `enable-debug-command` allows it (`yes`, or `local` for a local client). The subcommands
//! Redis's own test suite leans on: DIGEST and DIGEST-VALUE (Redis's own digest), RELOAD and
//! LOADAOF (persist and load the data back), SET-ACTIVE-EXPIRE, PAUSE-CRON, SLEEP, POPULATE,
//! OBJECT, PROTOCOL, and a few that only answer OK where radish has nothing to tune.

mod digest;

use bytes::Bytes;
use radish_data::Value;
use radish_resp::{Frame, Version};

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int, subcommand_syntax_error};
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::persist::Reload;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("debug", -2, debug)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE | PROTECTED))
        .doc(Group::Server, "1.0.0", "A container for debugging commands"),
];

const HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance (radish has none: no effect).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the snapshot on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from the snapshot.",
    "    * NOFLUSH: the existing database will not be removed before load.",
    "    * NOSAVE: the database will be loaded from an existing snapshot file.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Accepted for compatibility (radish has no plain list nodes).",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Accepted for compatibility (radish has no DUMP payloads).",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Print this help.",
];

fn debug(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let sub = &args[1];
    let argc = args.len();
    if is(sub, "help") && argc == 2 {
        help(ctx, HELP);
    } else if is(sub, "digest") && argc == 2 {
        let digest = digest::dataset(ctx.keyspace());
        ctx.reply.simple(digest::hex(&digest).as_bytes());
    } else if is(sub, "digest-value") {
        ctx.reply.array(argc - 2);
        for key in &args[2..] {
            let mut value = digest::Digest::default();
            // Logically expired keys count, as in Redis: no lookup that would expire them.
            let db = ctx.db();
            if let Some(entry) = db.peek(key) {
                digest::add_value(&mut value, entry, db.deadline(key));
            }
            ctx.reply.simple(digest::hex(&value).as_bytes());
        }
    } else if is(sub, "object") && argc == 3 {
        object(ctx, args[2])?;
    } else if is(sub, "reload") {
        reload(ctx, &args[2..])?;
    } else if is(sub, "loadaof") {
        load_log(ctx)?;
    } else if is(sub, "set-active-expire") && argc == 3 {
        let on = atoi(args[2]) != 0;
        ctx.server.debug.set_active_expire(on);
        ctx.reply.ok();
    } else if is(sub, "pause-cron") && argc == 3 {
        let paused = atoi(args[2]) != 0;
        ctx.server.debug.set_cron_paused(paused);
        ctx.reply.ok();
    } else if is(sub, "sleep") && argc == 3 {
        sleep(ctx, args[2])?;
    } else if is(sub, "populate") && (3..=5).contains(&argc) {
        populate(ctx, args)?;
    } else if is(sub, "protocol") && argc == 3 {
        protocol(ctx, args[2])?;
    } else if is(sub, "error") && argc == 3 {
        return Err(Error::Message(
            String::from_utf8_lossy(args[2]).into_owned(),
        ));
    } else if is(sub, "log") && argc == 3 {
        tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(args[2]));
        ctx.reply.ok();
    } else if is(sub, "quicklist-packed-threshold") && argc == 3 {
        // Checked as Redis checks it; radish has no plain nodes for it to change.
        let size = std::str::from_utf8(args[2])
            .ok()
            .and_then(crate::state::config::parse_memory);
        if !size.is_some_and(|size| (0..=(1 << 32) - (1 << 20)).contains(&size)) {
            return Err(Error::Static(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            ));
        }
        ctx.reply.ok();
    } else if is(sub, "set-skip-checksum-validation") && argc == 3 {
        ctx.server.debug.set_skip_checksum(atoi(args[2]) != 0);
        ctx.reply.ok();
    } else if is(sub, "change-repl-id") && argc == 2 {
        // Nothing in radish for them to change.
        ctx.reply.ok();
    } else {
        return Err(subcommand_syntax_error(args));
    }
    Ok(())
}

/// C's `atoi`, as Redis reads these switches: leading blanks, a sign, digits; 0 otherwise.
fn atoi(arg: &[u8]) -> i64 {
    let text = std::str::from_utf8(arg).unwrap_or("").trim_start();
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    sign * digits[..end].parse::<i64>().unwrap_or(0)
}

/// DEBUG OBJECT: Redis's line of low-level facts about a value. The address is where the
/// value is stored now: it stays the same while a command changes the value in place.
fn object(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Result {
    let now = ctx.now;
    let fill = ctx.limits().list_fill;
    let db = ctx.db();
    let Some(entry) = db.peek(key) else {
        return Err(Error::Static("ERR no such key"));
    };
    let address = &entry.value as *const Value as usize;
    let idle = db.access().idle_seconds(entry.accessed, now).unwrap_or(0);
    let mut line = format!(
        "Value at:{address:#x} refcount:1 encoding:{} serializedlength:{} lru:{} \
         lru_seconds_idle:{idle}",
        entry.value.encoding(),
        serialized_length(&entry.value),
        entry.accessed,
    );
    if let Value::List(list) = &entry.value {
        let (nodes, bytes) = list.node_figures();
        line.push_str(&format!(
            " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:{fill} ql_compressed:0 \
             ql_uncompressed_size:{bytes}",
            list.len() as f64 / nodes.max(1) as f64
        ));
    }
    ctx.reply.simple(line.as_bytes());
    Ok(())
}

/// About what the value takes in Redis's RDB format: a length prefix per string (1, 2 or 5
/// bytes) and its bytes, small integers in 2 to 5 bytes.
fn serialized_length(value: &Value) -> usize {
    fn string(bytes: &[u8]) -> usize {
        let integer = std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .filter(|n| n.to_string().as_bytes() == bytes);
        match integer {
            Some(-128..=127) => return 2,
            Some(-32768..=32767) => return 3,
            Some(-2147483648..=2147483647) => return 5,
            _ => {}
        }
        let prefix = match bytes.len() {
            0..=63 => 1,
            64..=16383 => 2,
            _ => 5,
        };
        prefix + bytes.len()
    }
    match value {
        Value::String(s) => string(&s.bytes),
        Value::List(list) => 1 + list.iter().map(string).sum::<usize>(),
        Value::Set(set) => 1 + set.iter().map(|m| string(m.as_bytes())).sum::<usize>(),
        Value::Hash(hash) => {
            1 + hash
                .iter()
                .map(|(f, v)| string(f) + string(v))
                .sum::<usize>()
        }
        Value::SortedSet(zset) => 1 + zset.iter().map(|(m, _)| string(m) + 8).sum::<usize>(),
        // Each node's listpack as one string, after its 16-byte key; then the lengths and IDs.
        Value::Stream(stream) => {
            1 + stream.node_count() * (2 + 16 + 5) + stream.listpack_bytes() as usize + 40
        }
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the snapshot (unless NOSAVE), empties the
/// data (unless NOFLUSH) and loads the snapshot back.
fn reload(ctx: &mut Ctx<'_, '_>, options: &[&[u8]]) -> Result {
    let (mut flush, mut save, mut merge) = (true, true, false);
    for option in options {
        if is(option, "merge") {
            merge = true;
        } else if is(option, "noflush") {
            flush = false;
        } else if is(option, "nosave") {
            save = false;
        } else {
            return Err(Error::Static(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    let (server, now) = (ctx.server, ctx.now);
    if save {
        // Redis's rdbSave: a background save running does not stop it.
        let config = server.config().clone();
        if server
            .persist
            .save_now(&config, ctx.keyspace(), now)
            .is_err()
        {
            return Err(Error::Static("ERR"));
        }
    }
    if crate::exec::replay::reload(
        server,
        ctx.commands,
        ctx.keyspace,
        Reload::Snapshot,
        flush,
        merge,
        now,
    )
    .is_err()
    {
        return Err(Error::Static(
            "ERR Error trying to load the RDB dump, check server logs.",
        ));
    }
    tracing::warn!("DB reloaded by DEBUG RELOAD");
    ctx.reply.ok();
    Ok(())
}

/// DEBUG LOADAOF: writes out what the log holds in memory, empties the data and replays the
/// log file (which must exist).
fn load_log(ctx: &mut Ctx<'_, '_>) -> Result {
    // The log file is read even with the log off, as Redis does: BGREWRITEAOF writes one.
    let (server, now) = (ctx.server, ctx.now);
    let reloaded = crate::exec::replay::reload(
        server,
        ctx.commands,
        ctx.keyspace,
        Reload::Log,
        true,
        false,
        now,
    );
    match reloaded {
        Ok(()) => {
            tracing::warn!("Append Only File loaded by DEBUG LOADAOF");
            ctx.reply.ok();
            Ok(())
        }
        Err(error) => Err(Error::Message(format!(
            "ERR Error loading the append only file: {error}"
        ))),
    }
}

/// DEBUG SLEEP <seconds>: stops the server, as Redis's single thread does: the data stays
/// locked for that long.
fn sleep(ctx: &mut Ctx<'_, '_>, seconds: &[u8]) -> Result {
    let seconds = std::str::from_utf8(seconds)
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite())
        .unwrap_or(0.0)
        .max(0.0);
    ctx.keyspace();
    std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
    ctx.reply.ok();
    Ok(())
}

/// DEBUG POPULATE <count> [<prefix>] [<size>]: `prefix:N` keys (default `key:N`) holding
/// `value:N`, cut or padded with zero bytes to `size`; existing keys are left alone.
fn populate(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let positive = |arg: &[u8]| -> Result<u64> {
        let n = parse_int(arg)?;
        u64::try_from(n).map_err(|_| Error::Static("ERR value is out of range, must be positive"))
    };
    let count = positive(args[2])?;
    let prefix = args.get(3).map_or(&b"key"[..], |p| &p[..]);
    let size = args.get(4).map(|s| positive(s)).transpose()?;
    let now = ctx.now;
    let db = ctx.db();
    for n in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{n}").as_bytes());
        if db.contains(&key, now) {
            continue;
        }
        let mut value = format!("value:{n}").into_bytes();
        if let Some(size) = size.filter(|&s| s > 0) {
            value.resize(size as usize, 0);
        }
        db.insert(&key, Value::string(&value), 0, now);
    }
    ctx.reply.ok();
    Ok(())
}

/// DEBUG PROTOCOL <type>: a sample reply of each RESP type.
fn protocol(ctx: &mut Ctx<'_, '_>, name: &[u8]) -> Result {
    let reply = &mut ctx.reply;
    if is(name, "string") {
        reply.bulk(b"Hello World");
    } else if is(name, "integer") {
        reply.integer(12345);
    } else if is(name, "double") {
        #[allow(clippy::approx_constant)] // Redis's sample value, not an approximation of π.
        reply.double(3.141);
    } else if is(name, "bignum") {
        let big = Frame::BigNumber(Bytes::from_static(b"1234567999999999999999999999999999999"));
        radish_resp::write_frame(&big, reply.version, reply.out);
    } else if is(name, "null") {
        reply.null();
    } else if is(name, "array") || is(name, "set") {
        if is(name, "array") {
            reply.array(3);
        } else {
            reply.set(3);
        }
        for n in 0..3 {
            reply.integer(n);
        }
    } else if is(name, "map") {
        reply.map(3);
        for n in 0..3 {
            reply.integer(n);
            reply.boolean(n == 1);
        }
    } else if is(name, "attrib") {
        // Attributes only exist in RESP3: RESP2 gets the reply that follows them.
        let attribute = Frame::Attribute {
            attributes: vec![(
                Frame::bulk("key-popularity"),
                Frame::Array(vec![Frame::bulk("key:123"), Frame::Integer(90)]),
            )],
            data: Box::new(Frame::bulk("Some real reply following the attribute")),
        };
        radish_resp::write_frame(&attribute, reply.version, reply.out);
    } else if is(name, "push") {
        if reply.version != Version::Resp3 {
            return Err(Error::Static("ERR RESP2 is not supported by this command"));
        }
        radish_resp::write_push_len(reply.out, 2, reply.version);
        reply.bulk(b"server-cpu-usage");
        reply.integer(42);
        // A push is no reply: a real one follows, for clients that wait for one.
        reply.bulk(b"Some real reply following the push reply");
    } else if is(name, "true") || is(name, "false") {
        reply.boolean(is(name, "true"));
    } else if is(name, "verbatim") {
        reply.verbatim(b"This is a verbatim\nstring");
    } else {
        return Err(Error::Static(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ));
    }
    Ok(())
}
