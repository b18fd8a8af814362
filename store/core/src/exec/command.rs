//! The command record: one per command and subcommand, with everything Redis reports about it
//! and the handler that runs it; and the [`Table`] of every command a server has.

use std::collections::HashMap;

use bytes::Bytes;
use foldhash::fast::FixedState;

use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;
use crate::state::renames::{Renamed, Renames};

/// A command handler: validates its arguments, does its work, writes its reply.
/// On `Err` nothing may have been written; the dispatcher writes the error.
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

/// Declares a command in a family's table.
pub const fn cmd(
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
pub const fn container(
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

/// Every command a server has: the families' tables, and an index by name.
#[derive(Debug)]
pub struct Table {
    families: &'static [&'static [Command]],
    // foldhash rather than std's SipHash: this runs for every command, on short trusted keys.
    by_name: HashMap<&'static [u8], &'static Command, FixedState>,
}

/// Longest command name the index holds: names are looked up lower-cased on the stack.
const MAX_NAME: usize = 32;

impl Table {
    /// The table of `families`, each a family's list of top-level commands.
    pub fn new(families: &'static [&'static [Command]]) -> Table {
        let by_name = families
            .iter()
            .flat_map(|family| family.iter())
            .map(|command| (command.full_name.as_bytes(), command))
            .collect();
        Table { families, by_name }
    }

    /// Every top-level command, family by family.
    pub fn all(&self) -> impl Iterator<Item = &'static Command> {
        self.families.iter().flat_map(|family| family.iter())
    }

    /// Every command and subcommand, containers before their subcommands.
    pub fn every(&self) -> impl Iterator<Item = &'static Command> {
        self.all()
            .flat_map(|command| std::iter::once(command).chain(command.subcommands))
    }

    /// The top-level command named `name`, in any case.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        // Lower-case on the stack: no allocation per command.
        let mut lower = [0u8; MAX_NAME];
        if name.len() > lower.len() {
            return None;
        }
        for (dst, src) in lower.iter_mut().zip(name) {
            *dst = src.to_ascii_lowercase();
        }
        self.by_name.get(&lower[..name.len()]).copied()
    }

    /// The command a client's `name` runs on a server with `renames`.
    #[inline]
    pub fn lookup_renamed(&self, renames: &Renames, name: &[u8]) -> Option<&'static Command> {
        match renames.resolve(name) {
            Renamed::AsSent => self.lookup(name),
            Renamed::To(original) => self.lookup(original),
            Renamed::Removed => None,
        }
    }

    /// The command or subcommand of full name `name` (`get`, `client|list`), in any case.
    pub fn find(&self, name: &[u8]) -> Option<&'static Command> {
        let text = String::from_utf8_lossy(name).to_ascii_lowercase();
        let (top, sub) = match text.split_once('|') {
            Some((top, sub)) => (top, Some(sub)),
            None => (text.as_str(), None),
        };
        let command = self.lookup(top.as_bytes())?;
        match sub {
            None => Some(command),
            Some(sub) => command.subcommands.iter().find(|c| c.name() == sub),
        }
    }
}
