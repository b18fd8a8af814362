//! COMMAND: what the server's commands are, from their records. COMMAND (INFO) describes
//! them as Redis 7.0 does, key specs and tips included; DOCS documents them; COUNT and LIST
//! count and list them; GETKEYS and GETKEYSANDFLAGS find a command's keys (`getkeys.rs`).

mod getkeys;

use getkeys::{command_getkeys, command_getkeysandflags};

use crate::error::{Error, Result};
use crate::exec::args::{help, is};
use crate::exec::command::{
    acl, flags, BeginSearch, Categories, Command, FindKeys, Group, KeySpec,
};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("command", -1, command_all)
        .flags(flags!(LOADING | STALE))
        .acl(acl!(CONNECTION))
        .tips(&["nondeterministic_output_order"])
        .subcommands(&[
            Command::new("command|count", 2, command_count)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "2.8.13", "Get total number of Redis commands"),
            Command::new("command|info", -2, command_info)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "2.8.13", "Get array of specific Redis command details, or all when no argument is given."),
            Command::new("command|docs", -2, command_docs)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "7.0.0", "Get array of specific Redis command documentation"),
            Command::new("command|list", -2, command_list)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "7.0.0", "Get an array of Redis command names"),
            Command::new("command|getkeys", -4, command_getkeys)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "2.8.13", "Extract keys given a full Redis command"),
            Command::new("command|getkeysandflags", -4, command_getkeysandflags)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "7.0.0", "Extract keys and access flags given a full Redis command"),
            Command::new("command|help", 2, command_help)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "5.0.0", "Show helpful text about the different subcommands"),
        ])
        .doc(Group::Server, "2.8.13", "Get array of Redis command details"),
];

/// Writes COMMAND INFO's ten-element description of `command`, in Redis's shapes: flags,
/// categories, tips and key specs as sets; subcommands as an array (an empty set for none).
fn describe(ctx: &mut Ctx<'_, '_>, command: &Command) {
    let reply = &mut ctx.reply;
    reply.array(10);
    reply.bulk(command.full_name.as_bytes());
    reply.integer(i64::from(command.arity));
    let flags = command.reported_flags();
    reply.set(flags.names().count());
    for flag in flags.names() {
        reply.simple(flag.as_bytes());
    }
    let (first, last, step) = command.key_range();
    reply.integer(i64::from(first));
    reply.integer(i64::from(last));
    reply.integer(i64::from(step));
    let categories = command.categories();
    reply.set(categories.names().count());
    for name in categories.names() {
        reply.simple(format!("@{name}").as_bytes());
    }
    reply.set(command.tips.len());
    for tip in command.tips {
        reply.bulk(tip.as_bytes());
    }
    reply.set(command.key_specs.len());
    for spec in command.key_specs {
        describe_key_spec(reply, spec);
    }
    if command.subcommands.is_empty() {
        reply.set(0);
    } else {
        reply.array(command.subcommands.len());
    }
    for sub in command.subcommands {
        describe(ctx, sub);
    }
}

/// One key spec, as COMMAND INFO shows it: its notes (if any), flags, where the search
/// begins and how the keys are found.
fn describe_key_spec(reply: &mut Reply<'_>, spec: &KeySpec) {
    reply.map(3 + usize::from(spec.notes.is_some()));
    if let Some(notes) = spec.notes {
        reply.bulk(b"notes");
        reply.bulk(notes.as_bytes());
    }
    reply.bulk(b"flags");
    reply.set(spec.flags.names().count());
    for flag in spec.flags.names() {
        reply.simple(flag.as_bytes());
    }
    reply.bulk(b"begin_search");
    reply.map(2);
    reply.bulk(b"type");
    match spec.begin {
        BeginSearch::Index(index) => {
            reply.bulk(b"index");
            reply.bulk(b"spec");
            reply.map(1);
            reply.bulk(b"index");
            reply.integer(i64::from(index));
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            reply.bulk(b"keyword");
            reply.bulk(b"spec");
            reply.map(2);
            reply.bulk(b"keyword");
            reply.bulk(keyword.as_bytes());
            reply.bulk(b"startfrom");
            reply.integer(i64::from(startfrom));
        }
        BeginSearch::Unknown => {
            reply.bulk(b"unknown");
            reply.bulk(b"spec");
            reply.map(0);
        }
    }
    reply.bulk(b"find_keys");
    reply.map(2);
    reply.bulk(b"type");
    let fields: &[(&[u8], i32)] = match spec.find {
        FindKeys::Range { last, step, limit } => {
            reply.bulk(b"range");
            &[(b"lastkey", last), (b"keystep", step), (b"limit", limit)]
        }
        FindKeys::Keynum { index, first, step } => {
            reply.bulk(b"keynum");
            &[
                (b"keynumidx", index),
                (b"firstkey", first),
                (b"keystep", step),
            ]
        }
        FindKeys::Unknown => {
            reply.bulk(b"unknown");
            &[]
        }
    };
    reply.bulk(b"spec");
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk(name);
        reply.integer(i64::from(*value));
    }
}

fn command_all(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let all: Vec<_> = ctx.commands.all().collect();
    ctx.reply.array(all.len());
    for command in all {
        describe(ctx, command);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.integer(ctx.commands.all().count() as i64);
    Ok(())
}

fn command_info(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() == 2 {
        return command_all(ctx, args);
    }
    ctx.reply.array(args.len() - 2);
    for name in &args[2..] {
        match ctx.commands.find(name) {
            Some(command) => describe(ctx, command),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn document(ctx: &mut Ctx<'_, '_>, command: &Command) {
    let reply = &mut ctx.reply;
    reply.bulk(command.full_name.as_bytes());
    let has_subs = !command.subcommands.is_empty();
    reply.map(3 + usize::from(has_subs));
    reply.bulk(b"summary");
    reply.bulk(command.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(command.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(command.group.name().as_bytes());
    if has_subs {
        reply.bulk(b"subcommands");
        reply.map(command.subcommands.len());
        for sub in command.subcommands {
            document(ctx, sub);
        }
    }
}

fn command_docs(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let commands: Vec<&Command> = if args.len() == 2 {
        ctx.commands.all().collect()
    } else {
        args[2..]
            .iter()
            .filter_map(|name| ctx.commands.find(name))
            .collect()
    };
    ctx.reply.map(commands.len());
    for command in commands {
        document(ctx, command);
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: the full names of
/// every command and subcommand that passes the filter.
pub(super) fn command_list(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let keep: Box<dyn Fn(&Command) -> bool> = match args {
        [_, _] => Box::new(|_| true),
        [_, _, by, kind, arg] if is(by, "filterby") => {
            if is(kind, "module") {
                // No command comes from a module.
                Box::new(|_| false)
            } else if is(kind, "aclcat") {
                // An unknown category matches nothing, without an error.
                match Categories::named(arg) {
                    Some(wanted) => Box::new(move |c| c.categories().contains(wanted)),
                    None => Box::new(|_| false),
                }
            } else if is(kind, "pattern") {
                let pattern = radish_data::glob::Pattern::new(arg);
                Box::new(move |c| pattern.matches(c.full_name.as_bytes(), true))
            } else {
                return Err(Error::Syntax);
            }
        }
        _ => return Err(Error::Syntax),
    };
    let names: Vec<&str> = ctx
        .commands
        .every()
        .filter(|c| keep(c))
        .map(|c| c.full_name)
        .collect();
    ctx.reply.bulks(names.into_iter());
    Ok(())
}
