//! Where a command's keys are: COMMAND GETKEYS and GETKEYSANDFLAGS.
//!
//! Redis finds keys from each command's key specs (where the keys start, how many follow, how
//! they are accessed), and falls back on a per-command function for the few whose keys the
//! specs cannot describe. `keyspecs.rs` holds Redis 7.0's key specs, and [`PROCS`] the
//! fallbacks of the commands radish has. SORT, SORT_RO and BITFIELD always use their fallback
//! in Redis (their specs are incomplete or their flags vary), so they are only in [`PROCS`].
//! MIGRATE, GEORADIUS, GEORADIUSBYMEMBER, XREAD and XREADGROUP need fallbacks that are not
//! written, so they are in neither: were they added, their `keys` range in the command table
//! would be used, as Redis uses it for commands without specs.

use bytes::Bytes;

use super::keyspecs::{
    Find, Spec, ACCESS, FLAG_NAMES, INCOMPLETE, NOT_KEY, OW, RO, RW, SPECS, UPDATE, VARIABLE_FLAGS,
};
use crate::error::{Error, Result};
use crate::exec::command::{Command, Table};
use crate::exec::ctx::Ctx;

/// A fallback for keys the specs cannot find, or whose flags depend on the arguments.
#[derive(Debug, Clone, Copy)]
enum Proc {
    /// Redis's `genericGetKeys`: the key count at `count`, the keys from `first` every
    /// `step`, and a destination key at `store` if not 0 (listed last).
    Numkeys {
        store: usize,
        count: usize,
        first: usize,
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
}

const fn numkeys(store: usize, count: usize, first: usize) -> Proc {
    Proc::Numkeys {
        store,
        count,
        first,
        step: 1,
    }
}

/// The fallbacks, by full command name (EVAL and FCALL's too, for when they are added).
const PROCS: &[(&str, Proc)] = &[
    ("bitfield", Proc::Bitfield),
    ("blmpop", numkeys(0, 2, 3)),
    ("bzmpop", numkeys(0, 2, 3)),
    ("eval", numkeys(0, 2, 3)),
    ("eval_ro", numkeys(0, 2, 3)),
    ("evalsha", numkeys(0, 2, 3)),
    ("evalsha_ro", numkeys(0, 2, 3)),
    ("fcall", numkeys(0, 2, 3)),
    ("fcall_ro", numkeys(0, 2, 3)),
    ("lmpop", numkeys(0, 1, 2)),
    ("set", Proc::Set),
    ("sintercard", numkeys(0, 1, 2)),
    ("sort", Proc::Sort),
    ("sort_ro", Proc::SortRo),
    ("zdiff", numkeys(0, 1, 2)),
    ("zdiffstore", numkeys(1, 2, 3)),
    ("zinter", numkeys(0, 1, 2)),
    ("zintercard", numkeys(0, 1, 2)),
    ("zinterstore", numkeys(1, 2, 3)),
    ("zmpop", numkeys(0, 1, 2)),
    ("zunion", numkeys(0, 1, 2)),
    ("zunionstore", numkeys(1, 2, 3)),
];

fn specs_of(command: &Command) -> Option<&'static [Spec]> {
    SPECS
        .iter()
        .find(|(name, _)| *name == command.full_name)
        .map(|(_, specs)| *specs)
}

fn proc_of(command: &Command) -> Option<Proc> {
    PROCS
        .iter()
        .find(|(name, _)| *name == command.full_name)
        .map(|(_, proc_)| *proc_)
}

/// The command `args` (a name, and a subcommand for containers) would run, as Redis's
/// `lookupCommand` finds it: a container alone is itself.
pub(super) fn resolve(commands: &Table, args: &[Bytes]) -> Option<&'static Command> {
    let command = commands.lookup(args.first()?)?;
    match args.get(1) {
        Some(sub) if !command.subcommands.is_empty() => command
            .subcommands
            .iter()
            .find(|c| c.name().as_bytes().eq_ignore_ascii_case(sub)),
        _ => Some(command),
    }
}

/// True if `argc` arguments (the name included) fit the command's arity.
pub(super) fn arity_ok(command: &Command, argc: usize) -> bool {
    let (arity, argc) = (i64::from(command.arity), argc as i64);
    if arity > 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// True if the command may have keys (Redis's `doesCommandHaveKeys`).
fn has_keys(command: &Command) -> bool {
    if proc_of(command).is_some() {
        return true;
    }
    match specs_of(command) {
        Some(specs) => specs.iter().any(|s| s.flags & NOT_KEY == 0),
        None => command.keys.0 > 0 || command.flags.contains(&"movablekeys"),
    }
}

/// The positions and flags of the keys in `argv` (a whole command, its name first), as
/// Redis's `getKeysFromCommandWithSpecs` finds them; empty when there are none or the
/// arguments are malformed.
fn find_keys(command: &Command, argv: &[Bytes]) -> Vec<(usize, u16)> {
    let specs = specs_of(command);
    if specs.is_none() && proc_of(command).is_none() {
        return from_range(command, argv);
    }
    let specs = specs.unwrap_or(&[]);
    let has_keys = specs.iter().any(|s| s.flags & NOT_KEY == 0);
    let variable = specs.iter().any(|s| s.flags & VARIABLE_FLAGS != 0);
    // The specs are preferred when their flags are reliable; a malformed command (a bad key
    // count, say) makes them fail, and the fallback gets a go.
    if has_keys && !variable {
        if let Some(keys) = from_specs(specs, argv) {
            return keys;
        }
    }
    match proc_of(command) {
        Some(Proc::Numkeys {
            store,
            count,
            first,
            step,
        }) => from_numkeys(argv, store, count, first, step),
        Some(Proc::Set) => {
            let get = argv[3.min(argv.len())..]
                .iter()
                .any(|a| a.eq_ignore_ascii_case(b"get"));
            vec![(
                1,
                if get {
                    RW | ACCESS | UPDATE
                } else {
                    OW | UPDATE
                },
            )]
        }
        Some(Proc::Sort) => sort_keys(argv),
        Some(Proc::SortRo) => vec![(1, RO | ACCESS)],
        Some(Proc::Bitfield) => {
            let flags = if bitfield_reads_only(argv) {
                RO | ACCESS
            } else {
                RW | ACCESS | UPDATE
            };
            vec![(1, flags)]
        }
        None => Vec::new(),
    }
}

/// Redis's `sortGetKeys`: options are skipped by their known argument counts (LIMIT 2, GET
/// and BY 1, others none) while looking for STORE; the last STORE wins.
fn sort_keys(argv: &[Bytes]) -> Vec<(usize, u16)> {
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let option = &argv[i];
        if option.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if option.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            // The destination is not skipped: Redis looks at it as an option name too.
            store = Some(i + 1);
        } else if option.eq_ignore_ascii_case(b"get") || option.eq_ignore_ascii_case(b"by") {
            i += 1;
        }
        i += 1;
    }
    let mut keys = vec![(1, RO | ACCESS)];
    if let Some(position) = store {
        keys.push((position, OW | UPDATE));
    }
    keys
}

/// Redis's `bitfieldGetKeys`: true if the operations only read (GET and OVERFLOW, each with
/// all its arguments); anything else, a malformed one included, counts as a write.
fn bitfield_reads_only(argv: &[Bytes]) -> bool {
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let op = &argv[i];
        if op.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 2;
        } else if op.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 1;
        } else {
            // SET and INCRBY write; so, to be safe, does anything malformed.
            return false;
        }
        i += 1;
    }
    true
}

/// Redis's `getKeysUsingKeySpecs` (not-keys skipped, no partial results): `None` when a spec
/// does not fit the arguments.
fn from_specs(specs: &[Spec], argv: &[Bytes]) -> Option<Vec<(usize, u16)>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & NOT_KEY != 0 {
            continue;
        }
        let mut first = i64::from(spec.start);
        let (last, step) = match spec.find {
            Find::Range { last, step } if last >= 0 => (first + i64::from(last), step),
            Find::Range { last, step } => (argc + i64::from(last), step),
            Find::Keynum {
                index,
                first: skip,
                step,
            } => {
                let at = usize::try_from(first + i64::from(index)).ok()?;
                let count = radish_resp::number::parse_i64_strict(argv.get(at)?)?;
                if count < 0 {
                    return None;
                }
                first += i64::from(skip);
                // Redis keeps the count in a C `int`.
                (first + i64::from(count as i32) - 1, step)
            }
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        // In range: `last` is checked above.
        let mut position = first;
        while position <= last {
            keys.push((position as usize, spec.flags));
            position += i64::from(step);
        }
        if spec.flags & INCOMPLETE != 0 {
            return None;
        }
    }
    Some(keys)
}

/// C's `atoi` (as glibc does it: `strtol`, then cut to an `int`): leading spaces, a sign,
/// digits up to the first non-digit; 0 when there are none.
fn atoi(text: &[u8]) -> i64 {
    let text = match text.iter().position(|b| !b" \t\n\x0b\x0c\r".contains(b)) {
        Some(start) => &text[start..],
        None => return 0,
    };
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for digit in digits.iter().take_while(|b| b.is_ascii_digit()) {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'));
    }
    let value = if negative {
        value.saturating_neg()
    } else {
        value
    };
    i64::from(value as i32)
}

/// Redis's `genericGetKeys`.
fn from_numkeys(
    argv: &[Bytes],
    store: usize,
    count: usize,
    first: usize,
    step: usize,
) -> Vec<(usize, u16)> {
    let Some(count) = argv.get(count).map(|a| atoi(a)) else {
        return Vec::new();
    };
    let room = (argv.len() as i64 - first as i64) / step as i64;
    if count < 1 || count > room {
        return Vec::new();
    }
    let mut keys: Vec<(usize, u16)> = (0..count as usize).map(|i| (first + i * step, 0)).collect();
    if store != 0 {
        keys.push((store, 0));
    }
    keys
}

/// Redis's `getKeysUsingLegacyRangeSpec`, from the command table's `keys` range, for
/// commands without key specs here.
fn from_range(command: &Command, argv: &[Bytes]) -> Vec<(usize, u16)> {
    let (first, last, step) = command.keys;
    if first <= 0 || step <= 0 {
        return Vec::new();
    }
    let argc = argv.len() as i64;
    let last = if last < 0 {
        argc + i64::from(last)
    } else {
        i64::from(last)
    };
    let mut keys = Vec::new();
    let mut position = i64::from(first);
    while position <= last {
        if position >= argc {
            return Vec::new();
        }
        keys.push((position as usize, 0));
        position += i64::from(step);
    }
    keys
}

/// COMMAND GETKEYS command [arg ...]: the keys of a whole command.
pub(in crate::commands) fn command_getkeys(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    getkeys(ctx, args, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]: the keys of a whole command, each with how the
/// command accesses it.
pub(in crate::commands) fn command_getkeysandflags(
    ctx: &mut Ctx<'_, '_>,
    args: &[Bytes],
) -> Result {
    getkeys(ctx, args, true)
}

fn getkeys(ctx: &mut Ctx<'_, '_>, args: &[Bytes], with_flags: bool) -> Result {
    let argv = &args[2..];
    let command =
        resolve(ctx.commands, argv).ok_or(Error::Static("ERR Invalid command specified"))?;
    if !has_keys(command) {
        return Err(Error::Static("ERR The command has no key arguments"));
    }
    if !arity_ok(command, argv.len()) {
        return Err(Error::Static(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = find_keys(command, argv);
    // EVAL and FCALL may have no keys (Redis's `no_mandatory_keys` flag).
    let optional = ["no-mandatory-keys", "no_mandatory_keys"]
        .iter()
        .any(|flag| command.flags.contains(flag));
    if keys.is_empty() && !optional {
        return Err(Error::Static("ERR Invalid arguments specified for command"));
    }
    let reply = &mut ctx.reply;
    reply.array(keys.len());
    for (position, flags) in keys {
        if with_flags {
            reply.array(2);
        }
        reply.bulk(&argv[position]);
        if with_flags {
            let names: Vec<&str> = FLAG_NAMES
                .iter()
                .enumerate()
                .filter(|(bit, _)| flags & (1 << bit) != 0)
                .map(|(_, name)| *name)
                .collect();
            reply.set(names.len());
            for name in names {
                reply.simple(name.as_bytes());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_like_c() {
        assert_eq!(atoi(b"12"), 12);
        assert_eq!(atoi(b"  -3x"), -3);
        assert_eq!(atoi(b"+7"), 7);
        assert_eq!(atoi(b"x1"), 0);
        assert_eq!(atoi(b""), 0);
        // strtol saturates, and the cast to int keeps the low 32 bits.
        assert_eq!(atoi(b"99999999999999999999"), -1);
        assert_eq!(atoi(b"4294967298"), 2);
    }
}
