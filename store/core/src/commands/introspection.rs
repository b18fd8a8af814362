//! Introspection commands: ROLE, TIME, MEMORY, LATENCY, ACL, LOLWUT, and CLIENT GETREDIR and
//! TRACKINGINFO (whose records live with their container, in `connection.rs`).
//!
//! Radish has no replication, no latency monitor, no client-side caching and one user
//! (`default`, whose password is `requirepass`): these commands report exactly that, the way
//! Redis 7.0 reports a server in the same state.

use crate::error::{Error, Result};
use crate::exec::args::help;
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;

mod acl;
mod genpass;
mod lolwut;
mod memory;

/// ROLE, MEMORY, LATENCY, ACL and LOLWUT.
#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("time", 1, time)
        .flags(flags!(LOADING | STALE | FAST))
        .tips(&["nondeterministic_output"])
        .doc(Group::Server, "2.6.0", "Return the current server time"),
    Command::new("role", 1, role)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST))
        .acl(acl!(ADMIN | DANGEROUS))
        .doc(Group::Server, "2.8.12", "Return the role of the instance in the context of replication"),
    Command::container("memory", memory::SUBCOMMANDS)
        .doc(Group::Server, "4.0.0", "A container for memory diagnostics commands"),
    Command::container("latency", &[
        Command::new("latency|doctor", 2, latency_doctor)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return a human readable latency analysis report."),
        Command::new("latency|graph", 3, latency_graph)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return a latency graph for the event."),
        Command::new("latency|help", 2, latency_help)
            .flags(flags!(LOADING | STALE))
            .doc(Group::Server, "2.8.13", "Show helpful text about the different subcommands."),
        Command::new("latency|histogram", -2, latency_histogram)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "7.0.0", "Return the cumulative distribution of latencies of a subset of commands or all."),
        Command::new("latency|history", 3, latency_no_events)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return timestamp-latency samples for the event."),
        Command::new("latency|latest", 2, latency_no_events)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return the latest latency samples for all events."),
        Command::new("latency|reset", -2, latency_reset)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Server, "2.8.13", "Reset latency data for one or more events."),
    ])
        .doc(Group::Server, "2.8.13", "A container for latency diagnostics commands"),
    Command::container("acl", acl::SUBCOMMANDS)
        .doc(Group::Server, "6.0.0", "A container for Access List Control commands "),
    Command::new("lolwut", -1, lolwut::lolwut)
        .flags(flags!(READONLY | FAST))
        .doc(Group::Server, "5.0.0", "Display some computer art and the Redis version"),
];

/// ROLE: radish is always a master with no replicas, at replication offset 0.
fn role(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.array(3);
    ctx.reply.bulk(b"master");
    ctx.reply.integer(0);
    ctx.reply.array(0);
    Ok(())
}

/// LATENCY HISTORY and LATEST: no latency event is ever recorded, so there is nothing to list.
fn latency_no_events(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.array(0);
    Ok(())
}

fn latency_graph(_ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    // Redis prints the event name with a plain `%s`, so it is not truncated.
    Err(Error::Message(format!(
        "ERR No samples available for event '{}'",
        String::from_utf8_lossy(args[2])
    )))
}

fn latency_reset(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // The number of event series removed: there are none.
    ctx.reply.integer(0);
    Ok(())
}

fn latency_doctor(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Radish never samples latency events, which is what Redis reports when its monitor has
    // never been enabled.
    ctx.reply.verbatim(
        b"I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
          instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in \
          order to enable it. If we weren't in a deep space mission I'd suggest to take a look \
          at https://redis.io/topics/latency-monitor.\n",
    );
    Ok(())
}

/// LATENCY HISTOGRAM [command ...]: each command's calls and cumulative latency
/// distribution (Redis's `fillCommandCDF`). Names that are not commands are skipped; a
/// container's name also stands for its subcommands.
fn latency_histogram(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let asked: Vec<String> = args[2..]
        .iter()
        .map(|name| String::from_utf8_lossy(name).to_ascii_lowercase())
        .collect();
    let wanted = |name: &str| {
        asked.is_empty()
            || asked.iter().any(|asked| {
                name == asked
                    || name
                        .strip_prefix(asked.as_str())
                        .is_some_and(|rest| rest.starts_with('|'))
            })
    };
    let histograms = ctx.server.stats.commands().histograms(wanted);
    ctx.reply.map(histograms.len());
    for histogram in histograms {
        ctx.reply.bulk(histogram.name.as_bytes());
        ctx.reply.map(2);
        ctx.reply.bulk(b"calls");
        ctx.reply.integer(histogram.calls as i64);
        ctx.reply.bulk(b"histogram_usec");
        ctx.reply.map(histogram.steps.len());
        for (micros, count) in histogram.steps {
            ctx.reply.integer(micros as i64);
            ctx.reply.integer(count as i64);
        }
    }
    Ok(())
}

fn latency_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for \
             the specified command names.",
            "    If no commands are specified then all histograms are replied.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

fn time(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let now = ctx.now;
    ctx.reply.array(2);
    ctx.reply.bulk((now / 1000).to_string().as_bytes());
    ctx.reply.bulk(((now % 1000) * 1000).to_string().as_bytes());
    Ok(())
}
