//! Running a script or function for a command, as Redis's `script.c` does: the checks
//! before it starts (`scriptPrepareForRun`), the client its commands run as, and the checks
//! each `redis.call` passes (`scriptCall`).
//!
//! A script runs under the data lock from its first instruction to its last, so no other
//! client's command runs in between, whatever the runtime and its threads. What it writes
//! goes to the append-only log as the commands it ran, inside MULTI ... EXEC.

use bytes::BytesMut;
use radish_resp::Version;

use crate::error::Error;
use crate::exec::command::{Command, Flags, LastCommand};
use crate::exec::conn::ConnState;
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::call_unblocking;
use crate::exec::reply::Reply;
use crate::persist::DiskError;
use crate::scripting::{repl, Call, Failure, Host, ScriptFlags, Written};

/// The checks Redis makes before a script with `flags` starts (`scriptPrepareForRun`);
/// `read_only_command` for EVAL_RO, EVALSHA_RO and FCALL_RO. A script without a shebang
/// (compatibility mode) is checked command by command instead.
pub fn admit(
    ctx: &mut Ctx<'_, '_>,
    flags: ScriptFlags,
    read_only_command: bool,
) -> Result<(), Error> {
    if flags.contains(ScriptFlags::EVAL_COMPAT) {
        return Ok(());
    }
    if flags.may_write() {
        match ctx.server.persist.disk_error(|| ctx.server.config()) {
            Some(DiskError::Snapshot) => {
                return Err(Error::Static(
                    "MISCONF Redis is configured to save RDB snapshots, but it's currently \
                     unable to persist to disk. Writable scripts are blocked. Use 'no-writes' \
                     flag for read only scripts.",
                ))
            }
            Some(DiskError::Log(error)) => {
                return Err(Error::Message(format!(
                    "MISCONF Redis is configured to persist data to AOF, but it's currently \
                     unable to persist to disk. Writable scripts are blocked. Use 'no-writes' \
                     flag for read only scripts. AOF error: {error}"
                )))
            }
            None => {}
        }
        if read_only_command {
            return Err(Error::Static(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
    }
    if ctx.conn.out_of_memory && flags.denied_when_full() {
        return Err(Error::Static(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > \
             'maxmemory'",
        ));
    }
    Ok(())
}

/// What runs: for the watch (SCRIPT KILL, FUNCTION STATS, `-BUSY`) and the checks.
pub struct Script<'a> {
    /// EVAL (true) or FCALL (false).
    pub eval: bool,
    /// The script's SHA-1, or the function's name.
    pub name: &'a str,
    /// What it declared.
    pub flags: ScriptFlags,
    /// Run by EVAL_RO, EVALSHA_RO or FCALL_RO.
    pub read_only_command: bool,
}

/// The keys and the other arguments of an EVAL or FCALL request (`args` from its name on),
/// `numkeys` of them keys: Redis's checks of the count.
#[allow(clippy::type_complexity)]
pub fn split_keys<'a>(
    args: &'a [&'a [u8]],
    numkeys: i64,
) -> Result<(&'a [&'a [u8]], &'a [&'a [u8]]), Error> {
    if numkeys > args.len() as i64 - 3 {
        return Err(Error::Static(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Error::Static("ERR Number of keys can't be negative"));
    }
    Ok(args[3..].split_at(numkeys as usize))
}

/// Runs `script` for the command `args` with `keys` and `argv`, once it passed Redis's
/// checks for its flags ([`admit`]): under the data lock, watched (it may turn busy, and be
/// killed), its commands going through the [`Host`] `body` gets, its writes logged inside
/// MULTI ... EXEC, its reply going to the caller. `body` writes the reply to the buffer it
/// gets, or returns how the script failed.
pub fn run(
    ctx: &mut Ctx<'_, '_>,
    script: &Script<'_>,
    args: &[&[u8]],
    (keys, argv): (&[&[u8]], &[&[u8]]),
    body: impl FnOnce(&mut dyn Host, Call<'_>, &mut BytesMut) -> Result<Written, Failure>,
) -> Result<(), Error> {
    admit(ctx, script.flags, script.read_only_command)?;
    let compat = script.flags.contains(ScriptFlags::EVAL_COMPAT);
    let server = ctx.server;
    let log = &mut ctx.keyspace().log;
    let outer_exec = log.in_exec();
    if !outer_exec {
        log.begin_exec();
    }
    let started = server.timer().map_or(0, |timer| timer());
    server.watch.begin(script.eval, started);
    let call = Call {
        keys,
        args: argv,
        caller: ctx.reply.version,
    };
    let mut conn = ConnState::new(true);
    conn.db = ctx.conn.db;
    conn.script = true;
    conn.in_exec = true;
    let start = ctx.reply.out.len();
    let mut out = ctx.reply.out.split_off(start);
    let mut host = ScriptHost {
        read_only: script.read_only_command
            || (!compat && script.flags.contains(ScriptFlags::NO_WRITES)),
        allow_oom: !compat && script.flags.contains(ScriptFlags::ALLOW_OOM),
        wrote: false,
        last_command: LastCommand::default(),
        conn,
        command: args,
        name: script.name,
        ctx: &mut *ctx,
    };
    let result = body(&mut host, call, &mut out);
    server.watch.end();
    ctx.reply.out.unsplit(out);
    if !outer_exec {
        ctx.keyspace().log.end_exec();
    }
    let errors = match result {
        Ok(written) => written,
        Err(failure) => {
            radish_resp::write_error(ctx.reply.out, &failure.line);
            vec![(failure.line, failure.counted)]
        }
    };
    count_errors(ctx, &errors);
    Ok(())
}

/// Counts the error replies a script's reply holds: in INFO errorstats, those the commands
/// it ran did not count already; the call failed if there is any (Redis counts every error
/// reply of EVAL and FCALL as a failed call).
fn count_errors(ctx: &mut Ctx<'_, '_>, written: &Written) {
    if written.is_empty() {
        return;
    }
    ctx.conn.failed = true;
    if let Some(batch) = ctx.conn.stats.as_mut() {
        for (line, counted) in written {
            if !counted {
                batch.error(&String::from_utf8_lossy(line));
            }
        }
    }
}

/// The client a script's commands run as (Redis's Lua client), and the checks they pass.
struct ScriptHost<'c, 'a, 's> {
    ctx: &'c mut Ctx<'a, 's>,
    /// The script's own connection state: its database (SELECT in a script moves only
    /// it) and protocol.
    conn: ConnState,
    /// EVAL_RO, FCALL_RO, or a `no-writes` script: writes are refused.
    read_only: bool,
    /// Declared `allow-oom`: commands run whatever the memory.
    allow_oom: bool,
    /// A write command ran: from here on the checks that could stop a write halfway are
    /// skipped (Redis's `SCRIPT_WRITE_DIRTY`).
    wrote: bool,
    /// The last command name looked up: a script calling one command in a loop looks it up
    /// once.
    last_command: LastCommand,
    /// The command that runs the script, and the script's name: what other clients see of
    /// it once it is busy.
    command: &'c [&'c [u8]],
    name: &'c str,
}

impl ScriptHost<'_, '_, '_> {
    /// The command `args` name, with the checks of `scriptCall` before it runs.
    fn admit(
        &mut self,
        args: &[&[u8]],
    ) -> Result<&'static Command, (Option<&'static Command>, Error)> {
        let server = self.ctx.server;
        let found = self
            .last_command
            .lookup(self.ctx.commands, &server.renames, args[0]);
        let command = match found {
            Some(command) if !command.subcommands.is_empty() && args.len() >= 2 => {
                command.subcommand(args[1])
            }
            other => other,
        };
        let Some(command) = command else {
            return Err((
                None,
                Error::Static("ERR Unknown Redis command called from script"),
            ));
        };
        if !command.arity_fits(args.len()) {
            return Err((
                Some(command),
                Error::Static("ERR Wrong number of args calling Redis command from script"),
            ));
        }
        if command.has(Flags::NOSCRIPT) {
            return Err((
                Some(command),
                Error::Static("ERR This Redis command is not allowed from script"),
            ));
        }
        let flags = command.flags_for(server, args);
        if self.read_only && flags.intersects(Flags::WRITE.with(Flags::MAY_REPLICATE)) {
            return Err((
                Some(command),
                Error::Static("ERR Write commands are not allowed from read-only scripts."),
            ));
        }
        if flags.contains(Flags::WRITE) && !self.wrote {
            if let Some(error) = server.persist.deny_writes(|| server.config()) {
                return Err((Some(command), error));
            }
        }
        if !self.allow_oom
            && !self.wrote
            && self.ctx.conn.out_of_memory
            && flags.contains(Flags::DENYOOM)
        {
            return Err((
                Some(command),
                Error::Static("OOM command not allowed when used memory > 'maxmemory'."),
            ));
        }
        if flags.contains(Flags::WRITE) && !self.wrote {
            self.wrote = true;
            server.watch.mark_wrote();
        }
        Ok(command)
    }
}

impl Host for ScriptHost<'_, '_, '_> {
    fn call(
        &mut self,
        args: &[&[u8]],
        version: Version,
        repl: u8,
        out: &mut BytesMut,
    ) -> Result<(), Vec<u8>> {
        let command = match self.admit(args) {
            Ok(command) => command,
            Err((command, error)) => {
                // Counted like an error reply, and as a rejected call of the command.
                let line = error.to_string();
                if let Some(batch) = self.ctx.conn.stats.as_mut() {
                    batch.error(&line);
                    if let Some(command) = command {
                        batch.rejected(command.full_name);
                    }
                }
                let mut text = Vec::with_capacity(line.len() + 1);
                text.push(b'-');
                text.extend_from_slice(line.as_bytes());
                return Err(text);
            }
        };
        self.conn.version = version;
        self.conn.stats = self.ctx.conn.stats.take();
        let log_off = repl & repl::AOF == 0;
        let was_on = {
            let log = &mut self.ctx.keyspace().log;
            let was_on = log.on;
            if log_off {
                log.on = false;
            }
            was_on
        };
        {
            let mut inner = Ctx {
                server: self.ctx.server,
                commands: self.ctx.commands,
                client: self.ctx.client,
                conn: &mut self.conn,
                reply: Reply { out, version },
                now: self.ctx.now,
                keyspace: &mut *self.ctx.keyspace,
                block: None,
                ready_key: None,
            };
            call_unblocking(&mut inner, command, args);
        }
        if log_off {
            self.ctx.keyspace().log.on = was_on;
        }
        self.ctx.conn.stats = self.conn.stats.take();
        Ok(())
    }

    fn acl_check(&mut self, args: &[&[u8]]) -> Option<bool> {
        // Every client runs as the default user, who may run every command.
        self.ctx.commands.resolve(args).map(|_| true)
    }

    fn interrupt(&mut self) -> bool {
        let server = self.ctx.server;
        let threshold = server
            .busy_reply_threshold
            .load(std::sync::atomic::Ordering::Relaxed);
        let Some(timer) = server.timer() else {
            return false;
        };
        if threshold == 0 {
            return false;
        }
        let (command, name) = (self.command, self.name);
        server
            .watch
            .check(timer(), threshold.saturating_mul(1_000_000), || {
                (name.to_string(), crate::exec::args::owned(command))
            })
    }
}
