//! ACL for a server whose only user is `default`, with `requirepass` as its password, and
//! the ACL categories of commands (ACL CAT, COMMAND INFO, COMMAND LIST FILTERBY ACLCAT).
//!
//! ACL SETUSER is left out (the unknown-subcommand error): radish cannot create or change
//! users, and must not pretend to. DELUSER, LOAD and SAVE are kept where Redis's reply is
//! the same for a server like this one: DELUSER of unknown users deletes nothing and
//! `default` cannot be removed; LOAD and SAVE need an `aclfile`, which radish refuses.

use radish_data::hash::sha256;

use super::genpass::random_hex;
use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int, subcommand_syntax_error};
use crate::exec::command::{flags, Categories, Command, Group};
use crate::exec::ctx::Ctx;

/// ACL's subcommands.
#[rustfmt::skip]
pub(super) const SUBCOMMANDS: &[Command] = &[
    Command::new("acl|cat", -2, cat)
        .flags(flags!(NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "List the ACL categories or the commands inside a category",),
    Command::new("acl|deluser", -3, deluser)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Remove the specified ACL users and the associated rules",),
    Command::new("acl|dryrun", -4, dryrun)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "7.0.0", "Returns whether the user can execute the given command without executing the command.",),
    Command::new("acl|genpass", -2, genpass)
        .flags(flags!(NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Generate a pseudorandom secure password to use for ACL users",),
    Command::new("acl|getuser", 3, getuser)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Get the rules for a specific ACL user",),
    Command::new("acl|help", 2, acl_help)
        .flags(flags!(LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Show helpful text about the different subcommands",),
    Command::new("acl|list", 2, list)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "List the current ACL rules in ACL config file format",),
    Command::new("acl|load", 2, no_acl_file)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Reload the ACLs from the configured ACL file",),
    Command::new("acl|log", -2, log)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "List latest events denied because of ACLs in place",),
    Command::new("acl|save", 2, no_acl_file)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Save the current ACL rules in the configured ACL file",),
    Command::new("acl|users", 2, users)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "List the username of all the configured ACL rules",),
    Command::new("acl|whoami", 2, whoami)
        .flags(flags!(NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "6.0.0", "Return the name of the user associated to the current connection",),
];

fn cat(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    match args.len() {
        2 => ctx
            .reply
            .bulks(Categories::NAMES.iter().map(|(_, name)| name)),
        3 => {
            let Some(wanted) = Categories::named(args[2]) else {
                return Err(Error::Message(format!(
                    "ERR Unknown category '{}'",
                    String::from_utf8_lossy(&args[2][..args[2].len().min(128)])
                )));
            };
            let names: Vec<&str> = ctx
                .commands
                .every()
                .filter(|c| c.categories().contains(wanted))
                .map(|c| c.full_name)
                .collect();
            ctx.reply.bulks(names.into_iter());
        }
        _ => return Err(subcommand_syntax_error(args)),
    }
    Ok(())
}

fn deluser(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    // Redis checks every name for `default` before deleting any; no other user exists.
    if args[2..].iter().any(|name| &name[..] == b"default") {
        return Err(Error::Static("ERR The 'default' user cannot be removed"));
    }
    ctx.reply.integer(0);
    Ok(())
}

fn dryrun(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args[2] != b"default" {
        return Err(Error::Message(format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(args[2])
        )));
    }
    let target = &args[3..];
    let Some(command) = ctx.commands.resolve(target) else {
        return Err(Error::Message(format!(
            "ERR Command '{}' not found",
            String::from_utf8_lossy(args[3])
        )));
    };
    if !command.arity_fits(target.len()) {
        return Err(Error::WrongArity(command.full_name.to_string()));
    }
    // `default` may run every command on every key and channel (`+@all ~* &*`).
    ctx.reply.ok();
    Ok(())
}

fn genpass(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let bits = match args.len() {
        2 => 256,
        3 => parse_int(args[2])?,
        _ => return Err(subcommand_syntax_error(args)),
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

fn getuser(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args[2] != b"default" {
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

fn list(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
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

fn users(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.array(1);
    ctx.reply.bulk(b"default");
    Ok(())
}

fn whoami(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Every connection that may run commands is authenticated as `default`.
    ctx.reply.bulk(b"default");
    Ok(())
}

fn no_acl_file(_ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Radish refuses an `aclfile`, so there is never a file to load or save.
    Err(Error::Static(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify \
         users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a \
         Redis configuration file set) in order to store users in the Redis configuration.",
    ))
}

fn log(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    match args.len() {
        2 => {}
        3 if is(args[2], "reset") => {
            ctx.reply.ok();
            return Ok(());
        }
        // A count is checked even though no entry can be shown.
        3 => {
            parse_int(args[2])?;
        }
        _ => return Err(subcommand_syntax_error(args)),
    }
    // Radish never denies a command by ACL, so the log stays empty.
    ctx.reply.array(0);
    Ok(())
}

/// Redis's ACL HELP, without SETUSER, which radish does not have.
fn acl_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
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
