//! The command record: one per command and subcommand, with everything Redis reports about it
//! (arity, flags, ACL categories, key specs, tips, documentation) and the handler that runs
//! it; and the [`Table`] of every command a server has. COMMAND, ACL CAT, COMMAND GETKEYS and
//! the dispatcher all read the records, so what radish reports is what it does.
//!
//! The typed sets ([`Flags`], [`Categories`], [`KeyFlags`]) are written with the [`flags!`],
//! [`acl!`] and [`key!`] macros: `flags!(WRITE | DENYOOM)`.

use std::collections::HashMap;

use foldhash::fast::FixedState;

use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;
use crate::server::Server;
use crate::state::renames::{Renamed, Renames};

/// A command handler: validates its arguments, does its work, writes its reply.
/// On `Err` nothing may have been written; the dispatcher writes the error.
pub type Handler = fn(&mut Ctx<'_, '_>, &[&[u8]]) -> Result;

/// The flags one request of a command has, where they depend on its arguments (Redis's
/// `getCommandFlags`): EVAL of a script that declared `no-writes` is no write.
pub type RequestFlags = fn(&Server, &'static Command, &[&[u8]]) -> Flags;

/// Declares a typed set of named bits: the type, its bits in the order Redis reports them,
/// and their names as Redis reports them.
macro_rules! bit_set {
    ($(#[$meta:meta])* $set:ident($bits:ty) { $($(#[$flag_meta:meta])* $flag:ident = $name:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $set(pub $bits);

        impl $set {
            /// The empty set.
            pub const NONE: $set = $set(0);
            bit_set!(@consts $set $bits; 0; $($(#[$flag_meta])* $flag,)*);

            /// Every bit with its name, in the order Redis reports them.
            pub const NAMES: &'static [($set, &'static str)] = &[$(($set::$flag, $name)),*];

            /// True if every bit of `other` is in this set.
            pub const fn contains(self, other: $set) -> bool {
                self.0 & other.0 == other.0
            }

            /// True if a bit of `other` is in this set.
            pub const fn intersects(self, other: $set) -> bool {
                self.0 & other.0 != 0
            }

            /// This set and `other`'s bits.
            pub const fn with(self, other: $set) -> $set {
                $set(self.0 | other.0)
            }

            /// The names of the bits in this set, in Redis's order.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                $set::NAMES
                    .iter()
                    .filter(move |(bit, _)| self.contains(*bit))
                    .map(|(_, name)| *name)
            }

            /// The bit called `name` (any case), if there is one.
            pub fn named(name: &[u8]) -> Option<$set> {
                $set::NAMES
                    .iter()
                    .find(|(_, known)| name.eq_ignore_ascii_case(known.as_bytes()))
                    .map(|(bit, _)| *bit)
            }
        }
    };
    (@consts $set:ident $bits:ty; $shift:expr; ) => {};
    (@consts $set:ident $bits:ty; $shift:expr; $(#[$flag_meta:meta])* $flag:ident, $($rest:tt)*) => {
        #[doc = concat!("`", stringify!($flag), "`.")]
        $(#[$flag_meta])*
        pub const $flag: $set = $set(1 << $shift);
        bit_set!(@consts $set $bits; $shift + 1; $($rest)*);
    };
}

bit_set! {
    /// Redis's command flags, in the order COMMAND INFO lists them. `movablekeys` is not
    /// among them: it follows from the key specs ([`Command::reported_flags`]).
    Flags(u32) {
        WRITE = "write",
        READONLY = "readonly",
        DENYOOM = "denyoom",
        MODULE = "module",
        ADMIN = "admin",
        PUBSUB = "pubsub",
        NOSCRIPT = "noscript",
        BLOCKING = "blocking",
        LOADING = "loading",
        STALE = "stale",
        SKIP_MONITOR = "skip_monitor",
        SKIP_SLOWLOG = "skip_slowlog",
        ASKING = "asking",
        FAST = "fast",
        NO_AUTH = "no_auth",
        NO_MANDATORY_KEYS = "no_mandatory_keys",
        NO_ASYNC_LOADING = "no_async_loading",
        NO_MULTI = "no_multi",
        MOVABLE_KEYS = "movablekeys",
        ALLOW_BUSY = "allow_busy",
        /// Not reported: refused unless `enable-debug-command` allows it (DEBUG).
        PROTECTED = "protected",
        /// Not reported (Redis keeps it internal): may cause replication without being a
        /// write (PUBLISH, PFCOUNT); read-only scripts refuse it as they refuse writes.
        MAY_REPLICATE = "may_replicate",
        /// Not reported: runs a script or function (EVAL, FCALL...): the connection reserves
        /// the script watch before it runs (see `state/script_watch.rs`).
        RUNS_SCRIPT = "runs_script",
    }
}

bit_set! {
    /// Redis's ACL categories, in the order ACL CAT lists them.
    Categories(u32) {
        KEYSPACE = "keyspace",
        READ = "read",
        WRITE = "write",
        SET = "set",
        SORTEDSET = "sortedset",
        LIST = "list",
        HASH = "hash",
        STRING = "string",
        BITMAP = "bitmap",
        HYPERLOGLOG = "hyperloglog",
        GEO = "geo",
        STREAM = "stream",
        PUBSUB = "pubsub",
        ADMIN = "admin",
        FAST = "fast",
        SLOW = "slow",
        BLOCKING = "blocking",
        DANGEROUS = "dangerous",
        CONNECTION = "connection",
        TRANSACTION = "transaction",
        SCRIPTING = "scripting",
    }
}

bit_set! {
    /// How a command uses the keys a key spec finds (Redis's `CMD_KEY_*`).
    KeyFlags(u16) {
        RO = "RO",
        RW = "RW",
        OW = "OW",
        RM = "RM",
        ACCESS = "access",
        UPDATE = "update",
        INSERT = "insert",
        DELETE = "delete",
        NOT_KEY = "not_key",
        INCOMPLETE = "incomplete",
        VARIABLE_FLAGS = "variable_flags",
    }
}

/// A [`Flags`] set: `flags!(WRITE | DENYOOM)`.
macro_rules! flags {
    ($($flag:ident)|*) => { $crate::exec::command::Flags(0 $(| $crate::exec::command::Flags::$flag.0)*) };
}

/// A [`Categories`] set: `acl!(KEYSPACE | DANGEROUS)`.
macro_rules! acl {
    ($($category:ident)|*) => {
        $crate::exec::command::Categories(0 $(| $crate::exec::command::Categories::$category.0)*)
    };
}

/// A [`KeyFlags`] set: `key!(RW | ACCESS | DELETE)`.
macro_rules! key {
    ($($flag:ident)|*) => { $crate::exec::command::KeyFlags(0 $(| $crate::exec::command::KeyFlags::$flag.0)*) };
}

pub(crate) use {acl, flags, key};

/// Where a key spec's search for keys begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument (the command's name is 0).
    Index(i32),
    /// Just after the first argument equal to `keyword` (any case), searched from argument
    /// `startfrom` (from the end if negative): XREAD's `STREAMS`.
    Keyword {
        /// The word that comes before the keys.
        keyword: &'static str,
        /// Where the search starts.
        startfrom: i32,
    },
    /// Somewhere only the command's own rules know (SORT's BY and STORE): COMMAND GETKEYS
    /// falls back to [`GetKeys`].
    Unknown,
}

/// How a key spec finds the keys after the first one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// Up to `last` (from the first key if not negative, else counted back from the end),
    /// every `step` arguments; `limit` (0 for none) splits what remains.
    Range {
        /// The last key.
        last: i32,
        /// Arguments from one key to the next.
        step: i32,
        /// What share of the remaining arguments are keys (0: all of them).
        limit: i32,
    },
    /// The number of keys is the argument `index` after the start; they begin `first` after
    /// the start, every `step` arguments.
    Keynum {
        /// Where the number of keys is, from the start.
        index: i32,
        /// Where the first key is, from the start.
        first: i32,
        /// Arguments from one key to the next.
        step: i32,
    },
    /// Only the command's own rules know.
    Unknown,
}

/// One key spec: where some of a command's keys are, and how it uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Why the flags are what they are, where Redis says.
    pub notes: Option<&'static str>,
    /// How the keys are used.
    pub flags: KeyFlags,
    /// Where the search begins.
    pub begin: BeginSearch,
    /// How the rest are found.
    pub find: FindKeys,
}

impl KeySpec {
    /// With Redis's note on why the flags are what they are.
    pub const fn note(self, notes: &'static str) -> KeySpec {
        KeySpec {
            notes: Some(notes),
            ..self
        }
    }

    /// True for a plain range from a fixed argument: what COMMAND INFO's first/last/step
    /// can describe.
    fn is_plain_range(&self) -> bool {
        matches!(
            (self.begin, self.find),
            (BeginSearch::Index(_), FindKeys::Range { .. })
        )
    }
}

/// Keys from argument `index` to `last`, every `step` (a [`FindKeys::Range`] key spec).
pub const fn range(index: i32, last: i32, step: i32, flags: KeyFlags) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Range {
            last,
            step,
            limit: 0,
        },
    }
}

/// Keys counted by the argument `count` after `index` (a [`FindKeys::Keynum`] key spec).
pub const fn keynum(index: i32, count: i32, first: i32, step: i32, flags: KeyFlags) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: BeginSearch::Index(index),
        find: FindKeys::Keynum {
            index: count,
            first,
            step,
        },
    }
}

/// Keys after `keyword` (searched from `startfrom`) up to `last`, every `step`, of which
/// one part in `limit` are keys (a [`BeginSearch::Keyword`] key spec with a range).
pub const fn after_keyword(
    keyword: &'static str,
    startfrom: i32,
    (last, step, limit): (i32, i32, i32),
    flags: KeyFlags,
) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: BeginSearch::Keyword { keyword, startfrom },
        find: FindKeys::Range { last, step, limit },
    }
}

/// Keys only the command's own rules find (an unknown key spec).
pub const fn unknown(flags: KeyFlags) -> KeySpec {
    KeySpec {
        notes: None,
        flags,
        begin: BeginSearch::Unknown,
        find: FindKeys::Unknown,
    }
}

/// How COMMAND GETKEYS finds the keys of a command whose key specs cannot (Redis's
/// `getkeys_proc`): they are incomplete, unknown or their flags depend on the arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetKeys {
    /// Redis's `genericGetKeys`: the key count at `count`, the keys from `first` every
    /// `step`, and a destination key at `store` if not 0 (listed last).
    Numkeys {
        /// Where a destination key is; 0 for none.
        store: usize,
        /// Where the number of keys is.
        count: usize,
        /// Where the first key is.
        first: usize,
        /// Arguments from one key to the next.
        step: usize,
    },
    /// SET: a read-write key with GET, else an overwritten one.
    Set,
    /// SORT: the sorted key, and the destination after the last STORE.
    Sort,
    /// SORT_RO: the sorted key.
    SortRo,
    /// BITFIELD: read-only with only GET and OVERFLOW operations, else read-write.
    Bitfield,
    /// XREAD and XREADGROUP: the first half of what follows `STREAMS`, past the options.
    Xread,
    /// MIGRATE: the key, or with KEYS (and an empty key) every argument after it.
    Migrate,
}

/// Redis's `genericGetKeys` for keys counted at `count` and starting at `first` (each key
/// next to the other), with a destination at `store` (0 for none).
pub const fn numkeys(store: usize, count: usize, first: usize) -> GetKeys {
    GetKeys::Numkeys {
        store,
        count,
        first,
        step: 1,
    }
}

/// The command groups of COMMAND DOCS (see [`Group::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// `bitmap`.
    Bitmap,
    /// `cluster`.
    Cluster,
    /// `connection`.
    Connection,
    /// `generic`: commands on keys of any type.
    Generic,
    /// `geo`.
    Geo,
    /// `hash`.
    Hash,
    /// `hyperloglog`.
    Hyperloglog,
    /// `list`.
    List,
    /// `pubsub`.
    Pubsub,
    /// `scripting`.
    Scripting,
    /// `server`.
    Server,
    /// `set`.
    Set,
    /// `sorted-set`.
    SortedSet,
    /// `stream`.
    Stream,
    /// `string`.
    String,
    /// `transactions`.
    Transactions,
}

impl Group {
    /// The name COMMAND DOCS gives.
    pub fn name(self) -> &'static str {
        match self {
            Group::Bitmap => "bitmap",
            Group::Cluster => "cluster",
            Group::Connection => "connection",
            Group::Generic => "generic",
            Group::Geo => "geo",
            Group::Hash => "hash",
            Group::Hyperloglog => "hyperloglog",
            Group::List => "list",
            Group::Pubsub => "pubsub",
            Group::Scripting => "scripting",
            Group::Server => "server",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Stream => "stream",
            Group::String => "string",
            Group::Transactions => "transactions",
        }
    }
}

/// One command or subcommand: its record.
#[derive(Debug)]
pub struct Command {
    /// Full lower-case name: `get`, or `client|list` for a subcommand.
    pub full_name: &'static str,
    /// Redis's arity: exactly `n` arguments (the name included) if positive, at least `-n` if
    /// negative.
    pub arity: i32,
    /// Redis's command flags.
    pub flags: Flags,
    /// The ACL categories the command declares; those its flags imply are added by
    /// [`categories`](Command::categories).
    pub acl: Categories,
    /// Where its keys are.
    pub key_specs: &'static [KeySpec],
    /// How COMMAND GETKEYS finds keys the key specs cannot.
    pub get_keys: Option<GetKeys>,
    /// Redis's hints to clients (`nondeterministic_output`, `request_policy:all_shards`...).
    pub tips: &'static [&'static str],
    /// The group COMMAND DOCS lists it in.
    pub group: Group,
    /// The Redis version that introduced it.
    pub since: &'static str,
    /// One-line summary (COMMAND DOCS).
    pub summary: &'static str,
    /// The handler. For a container (CLIENT, CONFIG...) it only runs with no subcommand.
    pub handler: Handler,
    /// Subcommands, for containers.
    pub subcommands: &'static [Command],
    /// The flags of one request, when its arguments decide them (see [`RequestFlags`]).
    pub request_flags: Option<RequestFlags>,
}

impl Command {
    /// A command named `full_name` of `arity`, run by `handler`; the builder methods below
    /// add the rest of its record.
    pub const fn new(full_name: &'static str, arity: i32, handler: Handler) -> Command {
        Command {
            full_name,
            arity,
            flags: Flags::NONE,
            acl: Categories::NONE,
            key_specs: &[],
            get_keys: None,
            tips: &[],
            group: Group::Generic,
            since: "",
            summary: "",
            handler,
            subcommands: &[],
            request_flags: None,
        }
    }

    /// A container command whose work is done by its `subcommands` (CLIENT, CONFIG...).
    pub const fn container(full_name: &'static str, subcommands: &'static [Command]) -> Command {
        Command {
            subcommands,
            // Its arity takes a subcommand, so it only runs for none, which the arity refuses.
            ..Command::new(full_name, -2, |_, _| Err(Error::Syntax))
        }
    }

    /// With its flags for a request decided by `request_flags` from the arguments.
    pub const fn request_flags(self, request_flags: RequestFlags) -> Command {
        Command {
            request_flags: Some(request_flags),
            ..self
        }
    }

    /// The flags of the request `args` (the record's, unless the arguments decide them).
    #[inline]
    pub fn flags_for(&'static self, server: &Server, args: &[&[u8]]) -> Flags {
        match self.request_flags {
            Some(decide) => decide(server, self, args),
            None => self.flags,
        }
    }

    /// With these flags.
    pub const fn flags(self, flags: Flags) -> Command {
        Command { flags, ..self }
    }

    /// With these declared ACL categories.
    pub const fn acl(self, acl: Categories) -> Command {
        Command { acl, ..self }
    }

    /// With these key specs.
    pub const fn keys(self, key_specs: &'static [KeySpec]) -> Command {
        Command { key_specs, ..self }
    }

    /// With this fallback for COMMAND GETKEYS.
    pub const fn get_keys(self, get_keys: GetKeys) -> Command {
        Command {
            get_keys: Some(get_keys),
            ..self
        }
    }

    /// With these subcommands (a container that also runs alone, as COMMAND does).
    pub const fn subcommands(self, subcommands: &'static [Command]) -> Command {
        Command {
            subcommands,
            ..self
        }
    }

    /// With these tips.
    pub const fn tips(self, tips: &'static [&'static str]) -> Command {
        Command { tips, ..self }
    }

    /// With its documentation: group, version and summary.
    pub const fn doc(self, group: Group, since: &'static str, summary: &'static str) -> Command {
        Command {
            group,
            since,
            summary,
            ..self
        }
    }

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

    /// Its subcommand called `name` (`list` for `client|list`), in any case.
    pub fn subcommand(&self, name: &[u8]) -> Option<&'static Command> {
        self.subcommands
            .iter()
            .find(|sub| sub.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// True if `argc` arguments (the name included) fit its arity.
    pub fn arity_fits(&self, argc: usize) -> bool {
        let (arity, argc) = (i64::from(self.arity), argc as i64);
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// True if the command has this flag.
    #[inline]
    pub fn has(&self, flag: Flags) -> bool {
        self.flags.contains(flag)
    }

    /// True if its keys cannot all be found from fixed positions (Redis's `movablekeys`):
    /// some key spec is not a plain range, or the plain ranges are not one run (Redis's
    /// `populateCommandLegacyRangeSpec`).
    pub fn movable_keys(&self) -> bool {
        self.legacy_range().1
    }

    /// The flags COMMAND INFO shows: the record's, with `movablekeys` where it applies.
    pub fn reported_flags(&self) -> Flags {
        let hidden = Flags::PROTECTED.0 | Flags::MAY_REPLICATE.0 | Flags::RUNS_SCRIPT.0;
        let flags = Flags(self.flags.0 & !hidden);
        match self.movable_keys() {
            true => flags.with(Flags::MOVABLE_KEYS),
            false => flags,
        }
    }

    /// COMMAND INFO's first key, last key and step: the plain ranges of its key specs that
    /// follow each other, as Redis's `populateCommandLegacyRangeSpec` joins them.
    pub fn key_range(&self) -> (i32, i32, i32) {
        self.legacy_range().0
    }

    /// The legacy range and whether the keys are movable.
    fn legacy_range(&self) -> ((i32, i32, i32), bool) {
        let specs = self.key_specs;
        match specs {
            [] => return ((0, 0, 0), false),
            [spec] if spec.is_plain_range() => {
                let (BeginSearch::Index(first), FindKeys::Range { last, step, .. }) =
                    (spec.begin, spec.find)
                else {
                    unreachable!("a plain range");
                };
                let last = if last < 0 { last } else { first + last };
                let incomplete = spec.flags.contains(KeyFlags::INCOMPLETE);
                return ((first, last, step), incomplete);
            }
            _ => {}
        }
        let mut movable = false;
        let (mut first, mut last, mut previous_last) = (i32::MAX, 0i32, 0i32);
        for spec in specs {
            let (
                BeginSearch::Index(index),
                FindKeys::Range {
                    last: end, step, ..
                },
            ) = (spec.begin, spec.find)
            else {
                movable = true;
                continue;
            };
            if step != 1 || (previous_last != 0 && previous_last != index - 1) {
                movable = true;
                continue;
            }
            movable |= spec.flags.contains(KeyFlags::INCOMPLETE);
            first = first.min(index);
            let end = if end >= 0 { end + index } else { end };
            // Compared as unsigned, as Redis does, so that a negative (from the end) wins.
            last = (last as u32).max(end as u32) as i32;
            previous_last = last;
        }
        if first == i32::MAX {
            return ((0, 0, 0), true);
        }
        ((first, last, 1), movable)
    }

    /// Every ACL category it is in: those it declares, and those its flags imply (Redis's
    /// `setImplicitACLCategories`).
    pub fn categories(&self) -> Categories {
        let mut categories = self.acl;
        let imply = |flag: Flags, implied: Categories, categories: &mut Categories| {
            if self.flags.contains(flag) {
                *categories = categories.with(implied);
            }
        };
        imply(Flags::WRITE, Categories::WRITE, &mut categories);
        // Scripting commands are not @read even when read-only.
        if !self.acl.contains(Categories::SCRIPTING) {
            imply(Flags::READONLY, Categories::READ, &mut categories);
        }
        imply(Flags::ADMIN, acl!(ADMIN | DANGEROUS), &mut categories);
        imply(Flags::PUBSUB, Categories::PUBSUB, &mut categories);
        imply(Flags::FAST, Categories::FAST, &mut categories);
        imply(Flags::BLOCKING, Categories::BLOCKING, &mut categories);
        // Whatever is not @fast is @slow.
        if !categories.contains(Categories::FAST) {
            categories = categories.with(Categories::SLOW);
        }
        categories
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

    /// The command `args` (a name, and a subcommand for containers) would run, as Redis's
    /// `lookupCommand` finds it: a container alone is itself; an unknown subcommand, none.
    pub fn resolve(&self, args: &[&[u8]]) -> Option<&'static Command> {
        let command = self.lookup(args.first()?)?;
        match args.get(1) {
            Some(sub) if !command.subcommands.is_empty() => command.subcommand(sub),
            _ => Some(command),
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
            Some(sub) => command.subcommand(sub.as_bytes()),
        }
    }
}

/// A command name as a client sent it and the command it names on this server (renames
/// included: they are fixed at start-up). Comparing bytes costs less than the case-folding
/// table lookup, which perf showed at 8% of the CPU of pipelined INCRs.
#[derive(Debug, Default)]
pub struct LastCommand {
    name: [u8; 16],
    len: usize,
    command: Option<&'static Command>,
}

impl LastCommand {
    /// The command `name` resolved to last time, if it is the last name resolved.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<&'static Command> {
        let command = self.command?;
        (name.len() == self.len && name == &self.name[..self.len]).then_some(command)
    }

    /// Looks `name` up in `table` as `renames` rename it, remembering the answer.
    pub fn lookup(
        &mut self,
        table: &'static Table,
        renames: &Renames,
        name: &[u8],
    ) -> Option<&'static Command> {
        if let Some(command) = self.get(name) {
            return Some(command);
        }
        let command = table.lookup_renamed(renames, name)?;
        if name.len() <= self.name.len() {
            self.name[..name.len()].copy_from_slice(name);
            self.len = name.len();
            self.command = Some(command);
        }
        Some(command)
    }
}
