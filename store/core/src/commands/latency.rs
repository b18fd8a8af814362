//! LATENCY: the latency monitor's events (`state/latency.rs`) as Redis 7.0's `latency.c`
//! reports them (LATEST, HISTORY, RESET, GRAPH, DOCTOR), and the per-command latency
//! histograms (HISTOGRAM) INFO latencystats reads too.

use crate::error::{Error, Result};
use crate::exec::args::help;
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::latency::Series;

mod doctor;
mod sparkline;

/// LATENCY and its subcommands.
#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
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
        Command::new("latency|history", 3, latency_history)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return timestamp-latency samples for the event."),
        Command::new("latency|latest", 2, latency_latest)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"])
            .doc(Group::Server, "2.8.13", "Return the latest latency samples for all events."),
        Command::new("latency|reset", -2, latency_reset)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Server, "2.8.13", "Reset latency data for one or more events."),
    ])
        .doc(Group::Server, "2.8.13", "A container for latency diagnostics commands"),
];

/// LATENCY LATEST: each event's last second recorded, with its worst ever.
fn latency_latest(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let events = ctx.server.latency.events();
    ctx.reply.array(events.len());
    for (event, series) in events.iter() {
        let latest = series.latest();
        ctx.reply.array(4);
        ctx.reply.bulk(event.as_bytes());
        ctx.reply.integer(latest.time);
        ctx.reply.integer(latest.latency as i64);
        ctx.reply.integer(series.max as i64);
    }
    Ok(())
}

/// LATENCY HISTORY event: the seconds recorded for the event, oldest first (none for an
/// event never seen).
fn latency_history(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let events = ctx.server.latency.events();
    let samples: Vec<_> = events
        .get(args[2])
        .map(|(_, series)| series.samples().collect())
        .unwrap_or_default();
    ctx.reply.array(samples.len());
    for sample in samples {
        ctx.reply.array(2);
        ctx.reply.integer(sample.time);
        ctx.reply.integer(sample.latency as i64);
    }
    Ok(())
}

/// LATENCY GRAPH event: the event's seconds as an ASCII sparkline.
fn latency_graph(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = (ctx.now / 1000) as i64;
    let graph = {
        let events = ctx.server.latency.events();
        events
            .get(args[2])
            .map(|(event, series)| graph(event, series, now))
    };
    match graph {
        Some(graph) => {
            ctx.reply.verbatim(graph.as_bytes());
            Ok(())
        }
        // Redis prints the event name with a plain `%s`, so it is not truncated.
        None => Err(Error::Message(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(args[2])
        ))),
    }
}

/// Columns of a LATENCY GRAPH.
const GRAPH_COLUMNS: usize = 80;

/// Rows of a LATENCY GRAPH's bars.
const GRAPH_ROWS: usize = 4;

/// LATENCY GRAPH's text for `event` at `now` (Unix seconds): a title, a rule, then each
/// second recorded as a bar labelled with how long ago it was.
fn graph(event: &str, series: &Series, now: i64) -> String {
    let mut samples = Vec::new();
    let (mut min, mut max) = (0, 0);
    for sample in series.samples() {
        if samples.is_empty() {
            (min, max) = (sample.latency, sample.latency);
        } else {
            min = min.min(sample.latency);
            max = max.max(sample.latency);
        }
        let elapsed = now - sample.time;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        samples.push((sample.latency as f64, label));
    }
    let mut graph = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        series.max
    );
    graph.push_str(&"-".repeat(GRAPH_COLUMNS));
    graph.push('\n');
    sparkline::render(&mut graph, &samples, GRAPH_COLUMNS, GRAPH_ROWS);
    graph
}

/// LATENCY RESET [event ...]: forgets the events named (in any case), or all of them;
/// replies how many it forgot.
fn latency_reset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut events = ctx.server.latency.events();
    let resets = if args.len() == 2 {
        events.reset(None)
    } else {
        args[2..]
            .iter()
            .map(|event| events.reset(Some(event)))
            .sum()
    };
    drop(events);
    ctx.reply.integer(resets as i64);
    Ok(())
}

/// LATENCY DOCTOR: Redis's report on the events recorded, with its advice.
fn latency_doctor(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let report = doctor::report(ctx.server, ctx.now);
    ctx.reply.verbatim(report.as_bytes());
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
