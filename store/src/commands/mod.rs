//! The command table, and argument parsing shared by the command families.

use std::collections::HashMap;
use std::sync::OnceLock;

use bytes::Bytes;
use foldhash::fast::FixedState;
use radish_resp::number::parse_i64_strict;

use crate::ctx::Ctx;
use crate::error::{Error, Result};

mod bitmaps;
mod connection;
mod debug;
mod hashes;
mod introspection;
mod keys;
mod lists;
mod monitor;
mod persistence;
mod pubsub;
mod server;
mod sets;
mod sha_blocks;
mod sort;
mod strings;
mod transactions;
mod zsets;

pub(crate) use debug::{allowed as debug_allowed, NOT_ALLOWED as DEBUG_NOT_ALLOWED};
pub(crate) use transactions::{abort_exec, queued_with_flag};

/// A command handler: validates its arguments, does its work, writes its reply.
/// On `Err` nothing may have been written; the session writes the error.
pub type Handler = fn(&mut Ctx<'_, '_>, &[Bytes]) -> Result;

/// One command or subcommand, with what COMMAND INFO and COMMAND DOCS report about it.
#[derive(Debug)]
pub struct Command {
    /// Full lower-case name: `get`, or `client|list` for a subcommand.
    pub full_name: &'static str,
    /// Redis's arity: exactly `n` arguments (the name included) if positive, at least `-n` if
    /// negative.
    pub arity: i32,
    /// Redis's command flags (`write`, `readonly`, `fast`, `no-auth`...).
    pub flags: &'static [&'static str],
    /// First key argument, last key argument (negative counts from the end), step; 0s for none.
    pub keys: (i32, i32, i32),
    /// The command group (COMMAND DOCS).
    pub group: &'static str,
    /// One-line summary (COMMAND DOCS).
    pub summary: &'static str,
    /// The handler. For a container (CLIENT, CONFIG...) it only runs with no subcommand.
    pub handler: Handler,
    /// Subcommands, for containers.
    pub subcommands: &'static [Command],
}

impl Command {
    /// The container's name for a subcommand (`client` for `client|list`), else the name.
    pub fn top_name(&self) -> &'static str {
        match self.full_name.bytes().position(|b| b == b'|') {
            Some(bar) => &self.full_name[..bar],
            None => self.full_name,
        }
    }

    /// The name without its container: `list` for `client|list`.
    pub fn name(&self) -> &'static str {
        self.full_name.rsplit('|').next().unwrap_or(self.full_name)
    }
}

/// Declares a command in the tables below.
pub(crate) const fn cmd(
    full_name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    keys: (i32, i32, i32),
    group: &'static str,
    summary: &'static str,
    handler: Handler,
) -> Command {
    Command {
        full_name,
        arity,
        flags,
        keys,
        group,
        summary,
        handler,
        subcommands: &[],
    }
}

/// Declares a container command whose work is done by its subcommands.
pub(crate) const fn container(
    full_name: &'static str,
    group: &'static str,
    summary: &'static str,
    subcommands: &'static [Command],
) -> Command {
    Command {
        full_name,
        arity: -2,
        flags: &[],
        keys: (0, 0, 0),
        group,
        summary,
        handler: |_, _| Err(Error::Syntax),
        subcommands,
    }
}

/// Every top-level command.
pub fn all() -> impl Iterator<Item = &'static Command> {
    [
        strings::COMMANDS,
        bitmaps::COMMANDS,
        keys::COMMANDS,
        sort::COMMANDS,
        lists::COMMANDS,
        hashes::COMMANDS,
        sets::COMMANDS,
        zsets::COMMANDS,
        connection::COMMANDS,
        server::COMMANDS,
        debug::COMMANDS,
        persistence::COMMANDS,
        transactions::COMMANDS,
        pubsub::COMMANDS,
        monitor::COMMANDS,
        introspection::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// The command named `name`, in any case.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    // foldhash rather than std's SipHash: this runs for every command, on short trusted keys.
    static TABLE: OnceLock<HashMap<&'static [u8], &'static Command, FixedState>> = OnceLock::new();
    let table = TABLE.get_or_init(|| all().map(|c| (c.full_name.as_bytes(), c)).collect());
    // Lower-case on the stack: no allocation per command.
    let mut lower = [0u8; 32];
    if name.len() > lower.len() {
        return None;
    }
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    table.get(&lower[..name.len()]).copied()
}

/// The `rename-command` directives in force: what each renamed or removed name now means.
/// Empty (and free to consult) unless the configuration renames something.
#[derive(Debug, Default)]
pub struct Renames(HashMap<Vec<u8>, Option<&'static Command>>);

impl Renames {
    /// Builds the table from `(command, new name)` pairs; an empty new name removes the
    /// command. Names the configuration check let through are all known commands.
    pub fn new(pairs: &[(String, String)]) -> Renames {
        let mut table = HashMap::new();
        for (original, new_name) in pairs {
            let Some(command) = lookup(original.as_bytes()) else {
                continue;
            };
            // The old name stops working unless a later rename gives it back.
            table
                .entry(original.to_ascii_lowercase().into_bytes())
                .or_insert(None);
            if !new_name.is_empty() {
                table.insert(new_name.to_ascii_lowercase().into_bytes(), Some(command));
            }
        }
        Renames(table)
    }

    /// The command `name` runs on this server: like [`lookup`], but with the renames.
    pub fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        if self.0.is_empty() {
            return lookup(name);
        }
        match self.0.get(&name.to_ascii_lowercase()) {
            Some(renamed) => *renamed,
            None => lookup(name),
        }
    }
}

/// Parses an integer argument as Redis's `string2ll` does.
pub fn parse_int(arg: &[u8]) -> Result<i64> {
    parse_i64_strict(arg).ok_or(Error::NotInteger)
}

/// True if `arg` equals `word`, ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// Writes a HELP reply: an array of status lines.
pub(crate) fn help(ctx: &mut Ctx<'_, '_>, lines: &[&str]) {
    ctx.reply.array(lines.len());
    for line in lines {
        ctx.reply.simple(line.as_bytes());
    }
}

/// Parses a blocking command's timeout (seconds, fractions allowed) as Redis 7.0 does, into
/// a deadline: `None` for 0, which blocks forever.
///
/// Redis reads it with `strtold` (hex and `inf` included), multiplies by 1000 and casts to a
/// 64-bit integer; anything that does not fit comes out negative, hence "timeout is negative"
/// for huge values too. A deadline past the end of time waits forever.
pub(crate) fn parse_timeout(
    arg: &[u8],
    now: crate::db::Millis,
) -> Result<Option<crate::db::Millis>> {
    let negative_error = || Error::Static("ERR timeout is negative");
    let value = crate::long_double::LongDouble::parse(arg)
        .ok_or(Error::Static("ERR timeout is not a float or out of range"))?;
    if !value.is_finite() {
        return Err(negative_error());
    }
    // Exact arithmetic on the decimal text, since a 16-digit timeout does not fit an f64:
    // milliseconds = ceil(seconds × 1000).
    let text = value.to_human();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: i128 = whole.parse().map_err(|_| negative_error())?;
    let fraction = fraction.as_bytes();
    let mut millis = whole * 1000;
    for (i, scale) in [100, 10, 1].into_iter().enumerate() {
        millis += i128::from(fraction.get(i).map_or(0, |d| d - b'0')) * scale;
    }
    let remainder = fraction.iter().skip(3).any(|&d| d != b'0');
    if negative {
        // ceil() of a negative number drops the remainder; anything below zero is refused.
        if millis > 0 {
            return Err(negative_error());
        }
        return Ok(None);
    }
    if remainder {
        millis += 1;
    }
    if millis > i128::from(i64::MAX) {
        return Err(negative_error());
    }
    let millis = millis as u64;
    if millis == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(millis)))
}
