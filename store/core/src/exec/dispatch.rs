//! The dispatcher: every check a request passes before it runs, in the order of Redis's
//! `processCommand`, then the call itself (Redis's `call`: timing, the append-only log,
//! MONITOR).
//!
//! The order matters to clients, since the first check that fails decides the error they
//! see: the command and its arity, DEBUG's `enable-debug-command`, authentication,
//! commands MULTI refuses, `maxmemory` (OOM), failing persistence (MISCONF), the RESP2
//! pub/sub context, CLIENT PAUSE, and last, queueing inside MULTI.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use radish_data::evict::Outcome;
use radish_data::Millis;
use radish_resp::Version;

use crate::error::Error;
use crate::exec::args::owned;
use crate::exec::command::{flags, Command, Flags};
use crate::exec::conn::Queued;
use crate::exec::ctx::Ctx;
use crate::exec::reply::write_timeout;
use crate::exec::slow;
use crate::server::ReplicaChecks;
use crate::state::script_watch::busy_error;

/// Commands that run at once inside MULTI instead of being queued.
const RUN_IN_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// Whether `command` runs at once inside MULTI instead of being queued.
pub fn runs_in_multi(command: &Command) -> bool {
    RUN_IN_MULTI.contains(&command.top_name())
}

/// Commands a RESP2 connection may send while subscribed.
const ALLOWED_WHILE_SUBSCRIBED: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "ssubscribe",
    "sunsubscribe",
    "ping",
    "quit",
    "reset",
];

/// Most keys evicted before one command; past that the command runs anyway and the server's
/// tick carries on (Redis bounds this step by time, 500 µs by default).
const EVICTIONS_PER_COMMAND: usize = 128;

/// What refuses a command that may grow memory while it is over the limit.
const OOM: Error = Error::Static("OOM command not allowed when used memory > 'maxmemory'.");

/// What still runs inside MULTI while memory is over the limit (anything else might queue
/// without bound).
const ALLOWED_IN_MULTI_WHEN_FULL: &[&str] = &["exec", "discard", "quit", "reset"];

/// What a request names ([`resolve`]): the command (or subcommand), or the error its name or
/// arity is, with the command if one was found (its arity was wrong).
pub type Resolved = Result<&'static Command, (Option<&'static Command>, Error)>;

/// Runs one request, [`resolve`]d to `resolved`, with
/// CLIENT REPLY's handling of its reply. Returns the command (or subcommand) the request
/// named, unless it named none or had the wrong number of arguments.
pub fn execute(
    ctx: &mut Ctx<'_, '_>,
    resolved: Resolved,
    args: &[&[u8]],
) -> Option<&'static Command> {
    let start = ctx.reply.out.len();
    let command = dispatch(ctx, resolved, args);
    if ctx.conn.postponed.is_some() {
        // Not run yet: its reply handling waits for when it runs.
        return command;
    }
    let skip = std::mem::take(&mut ctx.conn.skip_this_reply);
    let pushed = std::mem::take(&mut ctx.conn.reply_is_push);
    if (skip || ctx.conn.replies_off) && !pushed {
        ctx.reply.out.truncate(start);
    }
    if std::mem::take(&mut ctx.conn.skip_next_reply) {
        ctx.conn.skip_this_reply = true;
    }
    command
}

/// Checks a request the way Redis's `processCommand` does, in its order, then runs it or
/// queues it (inside MULTI).
fn dispatch(ctx: &mut Ctx<'_, '_>, resolved: Resolved, args: &[&[u8]]) -> Option<&'static Command> {
    let command = match resolved {
        Ok(command) => command,
        Err((command, error)) => {
            reject(ctx, command, &error);
            return None;
        }
    };
    // Before authentication, as in Redis: a protected command refuses anyone.
    if command.has(Flags::PROTECTED) {
        if let Err(error) = admit_protected(ctx, command) {
            reject(ctx, Some(command), &error);
            return Some(command);
        }
    }
    if !ctx.conn.authenticated && !command.has(Flags::NO_AUTH) {
        reject(ctx, Some(command), &Error::NoAuth);
        return Some(command);
    }
    if ctx.conn.multi.is_some() && command.has(Flags::NO_MULTI) {
        let error = Error::Static("ERR Command not allowed inside a transaction");
        reject(ctx, Some(command), &error);
        return Some(command);
    }
    let top_name = command.top_name();
    if let Some(eval) = busy_script(ctx) {
        if !command.has(Flags::ALLOW_BUSY) {
            let error = match top_name {
                "exec" if ctx.conn.multi.is_some() => abort_exec(ctx, &busy_error(eval)),
                _ => busy_error(eval),
            };
            reject(ctx, Some(command), &error);
            return Some(command);
        }
    }
    let flags = command.flags_for(ctx.server, args);
    if let Err(error) = admit_memory(ctx, flags, top_name) {
        reject(ctx, Some(command), &error);
        return Some(command);
    }
    if let Some(error) = ctx.server.persist.deny_writes(|| ctx.server.config()) {
        if refused_on_disk_error(ctx, flags, top_name) {
            let error = match top_name {
                "exec" => abort_exec(ctx, &error),
                _ => error,
            };
            reject(ctx, Some(command), &error);
            return Some(command);
        }
    }
    if let Some(error) = too_few_replicas(ctx, flags, top_name) {
        let error = match top_name {
            "exec" => abort_exec(ctx, &error),
            _ => error,
        };
        reject(ctx, Some(command), &error);
        return Some(command);
    }
    if let Some(error) = replica_refusal(ctx, command, flags, top_name) {
        let error = match top_name {
            "exec" => abort_exec(ctx, &error),
            _ => error,
        };
        reject(ctx, Some(command), &error);
        return Some(command);
    }
    crate::exec::tracking::before_command(ctx);
    if ctx.conn.version == Version::Resp2
        && ctx.conn.in_pubsub_context()
        && !ALLOWED_WHILE_SUBSCRIBED.contains(&top_name)
    {
        let error = Error::Message(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context",
            command.full_name
        ));
        reject(ctx, Some(command), &error);
        return Some(command);
    }
    if let Some(end) = paused(ctx, flags, top_name) {
        // Left unanswered: the session keeps the request and runs it again once the pause
        // ends (Redis's blockPostponeClient).
        ctx.conn.postponed = Some(end);
        return Some(command);
    }
    if let Some(queue) = ctx.conn.multi.as_mut() {
        if !RUN_IN_MULTI.contains(&top_name) {
            queue.push(Queued {
                command,
                args: owned(args),
                flags,
            });
            ctx.reply.simple(b"QUEUED");
            return Some(command);
        }
    }
    call(ctx, command, args);
    Some(command)
}

/// The command (or subcommand) `args` names, once its name was looked up to `found`, with
/// its arity checked, in Redis's order. On failure, the error, and the command if one was
/// found (its arity was wrong).
pub fn resolve(found: Option<&'static Command>, args: &[&[u8]]) -> Resolved {
    let Some(command) = found else {
        return Err((
            None,
            Error::UnknownCommand {
                name: Bytes::copy_from_slice(args[0]),
                args: owned(&args[1..]),
            },
        ));
    };
    let command = if command.subcommands.is_empty() || args.len() < 2 {
        command
    } else {
        let wanted = &args[1];
        match command.subcommand(wanted) {
            Some(sub) => sub,
            None => {
                return Err((
                    None,
                    Error::Message(format!(
                        "ERR unknown subcommand '{}'. Try {} HELP.",
                        String::from_utf8_lossy(&wanted[..wanted.len().min(128)]),
                        String::from_utf8_lossy(args[0]).to_ascii_uppercase()
                    )),
                ))
            }
        }
    };
    if !command.arity_fits(args.len()) {
        return Err((
            Some(command),
            Error::WrongArity(command.full_name.to_string()),
        ));
    }
    Ok(command)
}

/// Whether CLIENT PAUSE holds back a command with request `flags` now, as Redis 7.0
/// decides: under `ALL` every command, under `WRITE` those that may write (WRITE or
/// MAY_REPLICATE, scripts by their flags, an EXEC of a transaction holding such a command).
/// If so, returns when the pause ends.
#[inline]
fn paused(ctx: &Ctx<'_, '_>, flags: Flags, top_name: &str) -> Option<Millis> {
    let may_write = flags!(WRITE | MAY_REPLICATE);
    let pause = &ctx.server.pause;
    let writes = || {
        flags.intersects(may_write)
            || (top_name == "exec"
                && ctx.conn.multi.as_ref().is_some_and(|queue| {
                    queue
                        .iter()
                        .any(|queued| queued.flags.intersects(may_write))
                }))
    };
    pause.hold(ctx.client, writes(), ctx.now)
}

/// Whether another connection's script is busy (past `busy-reply-threshold`): a script
/// (`Some(true)`) or a function. Then only the commands that may run while a script is busy
/// (`allow_busy`) run. A connection holding the data lock itself has no script running
/// anywhere. (Before a script is busy, the session keeps its requests for later.)
fn busy_script(ctx: &Ctx<'_, '_>) -> Option<bool> {
    if ctx.keyspace.is_some() {
        return None;
    }
    ctx.server.watch.busy()
}

/// Whether `enable-debug-command` (DEBUG) or `enable-module-command` (MODULE) lets this
/// client run a protected command, as Redis's `allowProtectedAction` decides; if not, the
/// error Redis rejects it with.
fn admit_protected(ctx: &Ctx<'_, '_>, command: &Command) -> Result<(), Error> {
    // DEBUG and MODULE are the protected commands, each behind a parameter of its own.
    let (name, option) = match command.top_name() {
        "module" => ("MODULE", "enable-module-command"),
        _ => ("DEBUG", "enable-debug-command"),
    };
    let allowed = match ctx.server.config().get(option) {
        Some("yes") => true,
        Some("local") => ctx.client.addr.map_or(true, |addr| match addr.ip() {
            IpAddr::V4(ip) => ip.is_loopback(),
            IpAddr::V6(ip) => ip.is_loopback(),
        }),
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    Err(Error::Message(format!(
        "ERR {name} command not allowed. If the {option} option is set to \"local\", you can \
         run it from a local connection, otherwise you need to set this option in the \
         configuration file, and then restart the server."
    )))
}

/// Redis's `processCommand` step for `maxmemory`: evicts by the policy, then refuses a
/// command with request `flags` if memory is still over the limit and the command may grow
/// it: it has the `denyoom` flag, or is queued inside MULTI, or is an EXEC of a transaction
/// holding such a command. Notes whether memory was over the limit, for the scripts the
/// command runs (Redis's `pre_command_oom_state`). Without a limit it costs one atomic load.
#[inline]
fn admit_memory(ctx: &mut Ctx<'_, '_>, flags: Flags, top_name: &str) -> Result<(), Error> {
    ctx.conn.out_of_memory = false;
    if ctx.server.maxmemory.load(Ordering::Relaxed) == 0 {
        return Ok(());
    }
    let now = ctx.now;
    let server = ctx.server;
    let evicted = server.evict(ctx.keyspace(), now, EVICTIONS_PER_COMMAND);
    // Keys evicted are published before the command runs, or is refused.
    let data = ctx.keyspace();
    if data.notify != 0 {
        server.publish_recorded(data, now);
    }
    crate::exec::tracking::after_eviction(ctx);
    if evicted != Outcome::Failed {
        return Ok(());
    }
    ctx.conn.out_of_memory = true;
    let grows = flags.contains(Flags::DENYOOM)
        || match &ctx.conn.multi {
            Some(_) if !ALLOWED_IN_MULTI_WHEN_FULL.contains(&top_name) => true,
            Some(_) if top_name == "exec" => ctx.conn.queued_with_flag(Flags::DENYOOM),
            _ => false,
        };
    if !grows {
        return Ok(());
    }
    if top_name == "exec" {
        return Err(abort_exec(ctx, &OOM));
    }
    Err(OOM)
}

/// Writes refused while fewer than `min-replicas-to-write` replicas acknowledged within
/// `min-replicas-max-lag` seconds (Redis's `checkGoodReplicasStatus`), from anyone but the
/// primary or a replayed file.
fn too_few_replicas(ctx: &mut Ctx<'_, '_>, flags: Flags, top_name: &str) -> Option<Error> {
    let (wanted, max_lag) = ctx.server.min_replicas()?;
    if ctx.conn.from_primary || ctx.conn.replaying {
        return None;
    }
    let writes = match top_name {
        "exec" if ctx.conn.multi.is_some() => ctx.conn.queued_with_flag(Flags::WRITE),
        _ => flags.contains(Flags::WRITE),
    };
    let now = ctx.now;
    if !writes || ctx.keyspace().repl.good(max_lag, now) >= wanted {
        return None;
    }
    Some(Error::Static(
        "NOREPLICAS Not enough good replicas to write.",
    ))
}

/// On a replica, as Redis's `processCommand`: writes refused from anyone but the primary
/// with `replica-read-only`, and, while the link is down with `replica-serve-stale-data no`,
/// every command not flagged to run on stale data.
fn replica_refusal(
    ctx: &Ctx<'_, '_>,
    command: &Command,
    flags: Flags,
    top_name: &str,
) -> Option<Error> {
    let checks = ctx.server.replica_checks() & !ReplicaChecks::REPLICA;
    if checks == 0 || ctx.conn.from_primary || ctx.conn.replaying {
        return None;
    }
    let in_exec = top_name == "exec" && ctx.conn.multi.is_some();
    let writes = match in_exec {
        true => ctx.conn.queued_with_flag(Flags::WRITE),
        false => flags.contains(Flags::WRITE),
    };
    if checks & ReplicaChecks::READ_ONLY != 0 && writes {
        return Some(Error::Static(
            "READONLY You can't write against a read only replica.",
        ));
    }
    let stale_refused = !command.has(Flags::STALE)
        || (in_exec
            && ctx
                .conn
                .multi
                .iter()
                .flatten()
                .any(|queued| !queued.command.has(Flags::STALE)));
    if checks & ReplicaChecks::STALE != 0 && stale_refused {
        return Some(Error::Static(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        ));
    }
    None
}

/// Whether a command with request `flags` is refused while persisting fails (MISCONF), as
/// in Redis: commands that write, an EXEC of a transaction that does, and PING.
fn refused_on_disk_error(ctx: &Ctx<'_, '_>, flags: Flags, top_name: &str) -> bool {
    match top_name {
        "ping" => true,
        "exec" if ctx.conn.multi.is_some() => ctx.conn.queued_with_flag(Flags::WRITE),
        _ => flags.contains(Flags::WRITE),
    }
}

/// When a check before running refuses EXEC (memory, disk errors): discards the transaction,
/// as Redis's `rejectCommand` does, and returns the error to reply with.
fn abort_exec(ctx: &mut Ctx<'_, '_>, reason: &Error) -> Error {
    ctx.conn.multi = None;
    ctx.conn.multi_failed = false;
    ctx.unwatch_all();
    let reason = reason.to_string();
    let reason = reason.strip_prefix('-').unwrap_or(&reason);
    Error::Message(format!(
        "EXECABORT Transaction discarded because of: {reason}"
    ))
}

/// Replies with an error that rejected a command before it ran; inside MULTI that dooms
/// the transaction (EXECABORT), as in Redis. The command, when there is one (not for an
/// unknown command or subcommand), counts a rejected call.
fn reject(ctx: &mut Ctx<'_, '_>, command: Option<&'static Command>, error: &Error) {
    if ctx.conn.multi.is_some() {
        ctx.conn.multi_failed = true;
    }
    write_error(ctx, error);
    if let (Some(batch), Some(command)) = (ctx.conn.stats.as_mut(), command) {
        batch.rejected(command.full_name);
    }
}

/// Writes an error reply, counting it in INFO errorstats as Redis's `afterErrorReply`.
pub fn write_error(ctx: &mut Ctx<'_, '_>, error: &Error) {
    let line = error.to_string();
    radish_resp::write_error(ctx.reply.out, line.as_bytes());
    if let Some(batch) = ctx.conn.stats.as_mut() {
        batch.error(&line);
    }
}

/// Runs a resolved command and counts the call (INFO commandstats): its time, and whether
/// it failed (replied with an error of its own: errors of the commands an EXEC runs are
/// theirs, not EXEC's, as in Redis).
pub fn call(ctx: &mut Ctx<'_, '_>, command: &'static Command, args: &[&[u8]]) {
    let name = command.full_name;
    let nested = ctx.conn.script;
    // Every command is timed while the slow log or the latency monitor needs it; else a
    // sample, for INFO commandstats. Nothing is timed where nothing is counted (replay).
    let watched = slow::watched(ctx.server);
    let start = ctx
        .conn
        .stats
        .as_mut()
        .map(|batch| batch.begin(name, nested, watched));
    let failed = run_handler(ctx, command, args);
    crate::exec::tracking::after_call(ctx, command, args);
    let blocked = ctx.block.is_some();
    if let (Some(batch), Some(start)) = (ctx.conn.stats.as_mut(), start) {
        let micros = batch.ran(name, start, failed, blocked) / 1000;
        if watched {
            slow::ran(ctx, command, args, micros, blocked);
        }
        ctx.conn.blocked_micros = micros;
    }
    // As Redis's call(): every command that ran, after it ran, except admin ones and those
    // that show themselves first (scripts, before the commands they run).
    if !command.has(Flags::ADMIN) && !command.has(Flags::SKIP_MONITOR) {
        feed_monitors(ctx, command.full_name, args);
    }
}

/// Shows command `name` to the clients in MONITOR: as sent by this connection's client, or
/// by `lua` for a script's, its secrets redacted as in the slow log.
pub fn feed_monitors(ctx: &Ctx<'_, '_>, name: &str, args: &[&[u8]]) {
    if ctx.server.clients.has_monitors() {
        let from = (!ctx.conn.script).then_some(&**ctx.client);
        let hidden = slow::redacted(name, args);
        ctx.server
            .clients
            .feed_monitors(from, ctx.conn.db, args, &hidden, ctx.now);
    }
}

/// Runs a resolved command's handler, writing its error if it fails, and logs what it
/// changed to the append-only log; true if it failed.
pub fn run_handler(ctx: &mut Ctx<'_, '_>, command: &Command, args: &[&[u8]]) -> bool {
    let outer = ctx
        .keyspace
        .as_mut()
        .and_then(|data| data.log.begin_command());
    let result = (command.handler)(ctx, args);
    if let Err(error) = &result {
        write_error(ctx, error);
    }
    if let Some(data) = ctx.keyspace.as_mut() {
        // What the data layer recorded and no event of the command's own published yet
        // (a read's miss, a lazy expiry), before the next command's.
        if data.notify != 0 {
            ctx.server.publish_recorded(data, ctx.now);
        }
        data.end_command(ctx.conn.db, args, outer);
    }
    // A script's reply may hold errors without the call failing as a whole.
    std::mem::take(&mut ctx.conn.failed) || result.is_err()
}

/// Runs a command that cannot block where it runs (queued by MULTI, inside EXEC; read from
/// a file at start-up): a blocking command that finds nothing replies as if it timed out.
pub fn call_unblocking(ctx: &mut Ctx<'_, '_>, command: &'static Command, args: &[&[u8]]) {
    call(ctx, command, args);
    if let Some(block) = ctx.block.take() {
        write_timeout(ctx.reply.out, block.on_timeout, ctx.reply.version);
    }
}
