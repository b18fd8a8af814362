//! ACL for a server whose only user is `default`, with `requirepass` as its password, and
//! the ACL categories of commands (ACL CAT, COMMAND INFO, COMMAND LIST FILTERBY ACLCAT).
//!
//! ACL SETUSER is left out (the unknown-subcommand error): radish cannot create or change
//! users, and must not pretend to. DELUSER, LOAD and SAVE are kept where Redis's reply is
//! the same for a server like this one: DELUSER of unknown users deletes nothing and
//! `default` cannot be removed; LOAD and SAVE need an `aclfile`, which radish refuses.

use bytes::Bytes;

use super::genpass::random_hex;
use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{cmd, Command};
use crate::exec::ctx::Ctx;
use radish_data::hash::sha256;

const G: &str = "server";
const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];
const PLAIN: &[&str] = &["noscript", "loading", "stale"];

/// ACL's subcommands.
pub(super) const SUBCOMMANDS: &[Command] = &[
    cmd(
        "acl|cat",
        -2,
        PLAIN,
        (0, 0, 0),
        G,
        "List the ACL categories or the commands inside a category",
        cat,
    ),
    cmd(
        "acl|deluser",
        -3,
        ADMIN,
        (0, 0, 0),
        G,
        "Remove the specified ACL users and the associated rules",
        deluser,
    ),
    cmd(
        "acl|dryrun",
        -4,
        ADMIN,
        (0, 0, 0),
        G,
        "Returns whether the user can execute the given command without executing the command.",
        dryrun,
    ),
    cmd(
        "acl|genpass",
        -2,
        PLAIN,
        (0, 0, 0),
        G,
        "Generate a pseudorandom secure password to use for ACL users",
        genpass,
    ),
    cmd(
        "acl|getuser",
        3,
        ADMIN,
        (0, 0, 0),
        G,
        "Get the rules for a specific ACL user",
        getuser,
    ),
    cmd(
        "acl|help",
        2,
        &["loading", "stale"],
        (0, 0, 0),
        G,
        "Show helpful text about the different subcommands",
        acl_help,
    ),
    cmd(
        "acl|list",
        2,
        ADMIN,
        (0, 0, 0),
        G,
        "List the current ACL rules in ACL config file format",
        list,
    ),
    cmd(
        "acl|load",
        2,
        ADMIN,
        (0, 0, 0),
        G,
        "Reload the ACLs from the configured ACL file",
        no_acl_file,
    ),
    cmd(
        "acl|log",
        -2,
        ADMIN,
        (0, 0, 0),
        G,
        "List latest events denied because of ACLs in place",
        log,
    ),
    cmd(
        "acl|save",
        2,
        ADMIN,
        (0, 0, 0),
        G,
        "Save the current ACL rules in the configured ACL file",
        no_acl_file,
    ),
    cmd(
        "acl|users",
        2,
        ADMIN,
        (0, 0, 0),
        G,
        "List the username of all the configured ACL rules",
        users,
    ),
    cmd(
        "acl|whoami",
        2,
        PLAIN,
        (0, 0, 0),
        G,
        "Return the name of the user associated to the current connection",
        whoami,
    ),
];

/// Redis's ACL categories, in the order it lists them; a command's categories are a mask of
/// bits in this order.
const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The categories Redis's command table names for commands whose categories are not just
/// their group's (see [`categories_of`]); flags add the rest.
const EXPLICIT: &[(&str, &[&str])] = &[
    ("asking", &["connection"]),
    ("command", &["connection"]),
    ("command|count", &["connection"]),
    ("command|docs", &["connection"]),
    ("command|getkeys", &["connection"]),
    ("command|getkeysandflags", &["connection"]),
    ("command|help", &["connection"]),
    ("command|info", &["connection"]),
    ("command|list", &["connection"]),
    ("dbsize", &["keyspace"]),
    ("flushall", &["keyspace", "dangerous"]),
    ("flushdb", &["keyspace", "dangerous"]),
    ("info", &["dangerous"]),
    ("keys", &["keyspace", "dangerous"]),
    ("lastsave", &["admin", "dangerous"]),
    ("migrate", &["keyspace", "dangerous"]),
    ("readonly", &["connection"]),
    ("readwrite", &["connection"]),
    ("restore", &["keyspace", "dangerous"]),
    ("restore-asking", &["keyspace", "dangerous"]),
    ("role", &["admin", "dangerous"]),
    ("sort", &["set", "sortedset", "list", "dangerous"]),
    ("sort_ro", &["set", "sortedset", "list", "dangerous"]),
    ("swapdb", &["keyspace", "dangerous"]),
    ("wait", &["connection"]),
];

/// The bit of the category named `name` (any case), if there is one.
pub(super) fn category_bit(name: &[u8]) -> Option<u32> {
    CATEGORIES
        .iter()
        .position(|c| name.eq_ignore_ascii_case(c.as_bytes()))
        .map(|index| 1 << index)
}

/// The category of a command group, as most of Redis's commands declare it.
fn group_category(group: &str) -> &'static [&'static str] {
    match group {
        "generic" => &["keyspace"],
        "string" => &["string"],
        "list" => &["list"],
        "set" => &["set"],
        "sorted-set" | "sorted_set" => &["sortedset"],
        "hash" => &["hash"],
        "bitmap" => &["bitmap"],
        "hyperloglog" => &["hyperloglog"],
        "geo" => &["geo"],
        "stream" => &["stream"],
        "connection" => &["connection"],
        "transactions" => &["transaction"],
        "scripting" => &["scripting"],
        // Server, pub/sub and cluster commands get theirs from their flags only.
        _ => &[],
    }
}

/// A command's ACL categories, as a mask over [`category_names`]'s order: what Redis's
/// command table declares (the group's category, or an explicit list; none for containers),
/// and what Redis's `setImplicitACLCategories` adds from the flags.
pub(crate) fn categories_of(command: &Command) -> u32 {
    let declared = match EXPLICIT.iter().find(|(name, _)| *name == command.full_name) {
        Some((_, names)) => *names,
        None if !command.subcommands.is_empty() => &[],
        None => group_category(command.group),
    };
    let bit = |name: &str| category_bit(name.as_bytes()).unwrap_or(0);
    let mut mask = declared.iter().fold(0, |mask, name| mask | bit(name));
    let has = |flag: &str| command.flags.contains(&flag);
    if has("write") {
        mask |= bit("write");
    }
    // Scripting commands are not @read even when read-only.
    if has("readonly") && mask & bit("scripting") == 0 {
        mask |= bit("read");
    }
    if has("admin") {
        mask |= bit("admin") | bit("dangerous");
    }
    if has("pubsub") {
        mask |= bit("pubsub");
    }
    if has("fast") {
        mask |= bit("fast");
    }
    if has("blocking") {
        mask |= bit("blocking");
    }
    // Whatever is not @fast is @slow.
    if mask & bit("fast") == 0 {
        mask |= bit("slow");
    }
    mask
}

/// The names of the categories in `mask`, in Redis's order.
pub(crate) fn category_names(mask: u32) -> impl Iterator<Item = &'static str> {
    CATEGORIES
        .iter()
        .enumerate()
        .filter(move |(index, _)| mask & (1 << index) != 0)
        .map(|(_, name)| *name)
}

/// The error for subcommands given arguments they do not take, which their arity allows.
fn wrong_arguments(args: &[Bytes]) -> Error {
    Error::Message(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        String::from_utf8_lossy(&args[1][..args[1].len().min(128)])
    ))
}

fn cat(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    match args.len() {
        2 => ctx.reply.bulks(CATEGORIES.iter()),
        3 => {
            let Some(wanted) = category_bit(&args[2]) else {
                return Err(Error::Message(format!(
                    "ERR Unknown category '{}'",
                    String::from_utf8_lossy(&args[2][..args[2].len().min(128)])
                )));
            };
            let names: Vec<&str> = ctx
                .commands
                .every()
                .filter(|c| categories_of(c) & wanted != 0)
                .map(|c| c.full_name)
                .collect();
            ctx.reply.bulks(names.into_iter());
        }
        _ => return Err(wrong_arguments(args)),
    }
    Ok(())
}

fn deluser(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    // Redis checks every name for `default` before deleting any; no other user exists.
    if args[2..].iter().any(|name| &name[..] == b"default") {
        return Err(Error::Static("ERR The 'default' user cannot be removed"));
    }
    ctx.reply.integer(0);
    Ok(())
}

fn dryrun(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    if &args[2][..] != b"default" {
        return Err(Error::Message(format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(&args[2])
        )));
    }
    let target = &args[3..];
    let Some(command) = super::getkeys::resolve(ctx.commands, target) else {
        return Err(Error::Message(format!(
            "ERR Command '{}' not found",
            String::from_utf8_lossy(&args[3])
        )));
    };
    if !super::getkeys::arity_ok(command, target.len()) {
        return Err(Error::WrongArity(command.full_name.to_string()));
    }
    // `default` may run every command on every key and channel (`+@all ~* &*`).
    ctx.reply.ok();
    Ok(())
}

fn genpass(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let bits = match args.len() {
        2 => 256,
        3 => parse_int(&args[2])?,
        _ => return Err(wrong_arguments(args)),
    };
    if !(1..=4096).contains(&bits) {
        return Err(Error::Static(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096",
        ));
    }
    // One hex digit per 4 bits, rounded up.
    let digits = (bits as usize).div_ceil(4);
    ctx.reply.bulk(random_hex(digits).as_bytes());
    Ok(())
}

/// `default`'s password, `requirepass`; empty for none (`nopass`).
fn password(ctx: &Ctx<'_, '_>) -> String {
    let config = ctx.server.config();
    config.get("requirepass").unwrap_or("").to_string()
}

fn getuser(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    if &args[2][..] != b"default" {
        ctx.reply.null();
        return Ok(());
    }
    let password = password(ctx);
    let reply = &mut ctx.reply;
    reply.map(6);
    reply.bulk(b"flags");
    if password.is_empty() {
        reply.set(2);
        reply.bulk(b"on");
        reply.bulk(b"nopass");
    } else {
        reply.set(1);
        reply.bulk(b"on");
    }
    // Redis keeps and shows only the SHA-256 of passwords, in hex.
    reply.bulk(b"passwords");
    if password.is_empty() {
        reply.array(0);
    } else {
        reply.array(1);
        reply.bulk(sha256::hex(password.as_bytes()).as_bytes());
    }
    reply.bulk(b"commands");
    reply.bulk(b"+@all");
    reply.bulk(b"keys");
    reply.bulk(b"~*");
    reply.bulk(b"channels");
    reply.bulk(b"&*");
    reply.bulk(b"selectors");
    reply.array(0);
    Ok(())
}

fn list(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    let password = password(ctx);
    let secret = if password.is_empty() {
        "nopass".to_string()
    } else {
        format!("#{}", sha256::hex(password.as_bytes()))
    };
    let rule = format!("user default on {secret} ~* &* +@all");
    ctx.reply.array(1);
    ctx.reply.bulk(rule.as_bytes());
    Ok(())
}

fn users(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    ctx.reply.array(1);
    ctx.reply.bulk(b"default");
    Ok(())
}

fn whoami(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    // Every connection that may run commands is authenticated as `default`.
    ctx.reply.bulk(b"default");
    Ok(())
}

fn no_acl_file(_ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    // Radish refuses an `aclfile`, so there is never a file to load or save.
    Err(Error::Static(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify \
         users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a \
         Redis configuration file set) in order to store users in the Redis configuration.",
    ))
}

fn log(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    match args.len() {
        2 => {}
        3 if is(&args[2], "reset") => {
            ctx.reply.ok();
            return Ok(());
        }
        // A count is checked even though no entry can be shown.
        3 => {
            parse_int(&args[2])?;
        }
        _ => return Err(wrong_arguments(args)),
    }
    // Radish never denies a command by ACL, so the log stays empty.
    ctx.reply.array(0);
    Ok(())
}

/// Redis's ACL HELP, without SETUSER, which radish does not have.
fn acl_help(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    help(
        ctx,
        &[
            "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the \
             command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
