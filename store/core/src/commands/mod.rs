//! The command families, one file each with its records, and the [`table`] of them all.

use std::sync::OnceLock;

use crate::exec::command::{Command, Table};

mod bitmaps;
mod client_tracking;
mod command;
mod config;
mod connection;
mod databases;
mod debug;
mod functions;
mod geo;
mod hashes;
mod hyperloglog;
mod info;
mod introspection;
mod keys;
mod latency;
mod lists;
mod migrate;
mod modules;
mod monitor;
mod persistence;
mod pubsub;
mod replication;
mod scripting;
mod serialize;
mod sets;
mod slowlog;
mod sort;
mod streams;
mod strings;
mod transactions;
mod zsets;

/// Every family's commands, in the order COMMAND lists them.
const FAMILIES: &[&[Command]] = &[
    strings::COMMANDS,
    bitmaps::COMMANDS,
    hyperloglog::COMMANDS,
    keys::COMMANDS,
    serialize::COMMANDS,
    migrate::COMMANDS,
    sort::COMMANDS,
    lists::COMMANDS,
    hashes::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    geo::COMMANDS,
    streams::COMMANDS,
    connection::COMMANDS,
    info::COMMANDS,
    databases::COMMANDS,
    config::COMMANDS,
    command::COMMANDS,
    scripting::COMMANDS,
    functions::COMMANDS,
    debug::COMMANDS,
    persistence::COMMANDS,
    transactions::COMMANDS,
    pubsub::COMMANDS,
    monitor::COMMANDS,
    modules::COMMANDS,
    introspection::COMMANDS,
    replication::COMMANDS,
    latency::COMMANDS,
    slowlog::COMMANDS,
];

/// Every command radish has.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table::new(FAMILIES))
}
