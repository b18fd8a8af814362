//! Where a command's keys are in its arguments: what COMMAND GETKEYS answers, and which keys
//! a tracking client read (client-side caching).
//!
//! Redis finds keys from each command's key specs (where the keys start, how many follow, how
//! they are accessed), and falls back on a per-command function for the few whose keys the
//! specs cannot describe (unknown or incomplete specs, flags that vary with the arguments):
//! both are in the command's record ([`Command::key_specs`], [`Command::get_keys`]).

use crate::exec::command::{key, BeginSearch, Command, FindKeys, GetKeys, KeyFlags, KeySpec};

/// True if some key spec of the command finds keys (not only things that look like keys,
/// as shard channels).
fn specs_find_keys(command: &Command) -> bool {
    command
        .key_specs
        .iter()
        .any(|spec| !spec.flags.contains(KeyFlags::NOT_KEY))
}

/// True if the command may have keys (Redis's `doesCommandHaveKeys`).
pub fn has_keys(command: &Command) -> bool {
    command.get_keys.is_some() || specs_find_keys(command)
}

/// The positions and flags of the keys in `argv` (a whole command, its name first), as
/// Redis's `getKeysFromCommandWithSpecs` finds them; empty when there are none or the
/// arguments are malformed.
pub fn find_keys(command: &Command, argv: &[&[u8]]) -> Vec<(usize, KeyFlags)> {
    let specs = command.key_specs;
    let variable = specs
        .iter()
        .any(|spec| spec.flags.contains(KeyFlags::VARIABLE_FLAGS));
    // The specs are preferred when their flags are reliable; a malformed command (a bad key
    // count, say), or a spec only the command's own rules can follow, makes them fail, and
    // the fallback gets a go.
    if specs_find_keys(command) && !variable {
        if let Some(keys) = from_specs(specs, argv) {
            return keys;
        }
    }
    match command.get_keys {
        Some(GetKeys::Numkeys {
            store,
            count,
            first,
            step,
        }) => from_numkeys(argv, store, count, first, step),
        Some(GetKeys::Set) => {
            let get = argv[3.min(argv.len())..]
                .iter()
                .any(|a| a.eq_ignore_ascii_case(b"get"));
            vec![(
                1,
                if get {
                    key!(RW | ACCESS | UPDATE)
                } else {
                    key!(OW | UPDATE)
                },
            )]
        }
        Some(GetKeys::Sort) => sort_keys(argv),
        Some(GetKeys::SortRo) => vec![(1, key!(RO | ACCESS))],
        Some(GetKeys::Bitfield) => {
            let flags = if bitfield_reads_only(argv) {
                key!(RO | ACCESS)
            } else {
                key!(RW | ACCESS | UPDATE)
            };
            vec![(1, flags)]
        }
        Some(GetKeys::Xread) => xread_keys(argv),
        Some(GetKeys::Migrate) => migrate_keys(argv),
        None => Vec::new(),
    }
}

/// Redis's `xreadGetKeys`: the options are skipped by their argument counts (BLOCK and COUNT
/// 1, GROUP 2, NOACK none) up to `STREAMS`, whose arguments are keys then as many IDs.
fn xread_keys(argv: &[&[u8]]) -> Vec<(usize, KeyFlags)> {
    let mut streams = None;
    let mut i = 1;
    while i < argv.len() {
        let option = argv[i];
        if option.eq_ignore_ascii_case(b"block") || option.eq_ignore_ascii_case(b"count") {
            i += 1;
        } else if option.eq_ignore_ascii_case(b"group") {
            i += 2;
        } else if option.eq_ignore_ascii_case(b"streams") {
            streams = Some(i);
            break;
        } else if !option.eq_ignore_ascii_case(b"noack") {
            break;
        }
        i += 1;
    }
    let Some(streams) = streams else {
        return Vec::new();
    };
    let rest = argv.len() - streams - 1;
    if rest == 0 || rest % 2 != 0 {
        return Vec::new();
    }
    (streams + 1..=streams + rest / 2)
        .map(|position| (position, KeyFlags::NONE))
        .collect()
}

/// Redis's `migrateGetKeys`: the key at 3, or with KEYS every argument after it (none if the
/// key is not empty then: MIGRATE answers that with an error), skipping AUTH's and AUTH2's
/// arguments on the way.
fn migrate_keys(argv: &[&[u8]]) -> Vec<(usize, KeyFlags)> {
    let flags = key!(RW | ACCESS | DELETE);
    let mut keys = 3..4;
    let mut i = 6;
    while i < argv.len() {
        let option = argv[i];
        if option.eq_ignore_ascii_case(b"keys") {
            keys = if argv[3].is_empty() {
                i + 1..argv.len()
            } else {
                0..0
            };
            break;
        }
        if option.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if option.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        }
        i += 1;
    }
    keys.map(|position| (position, flags)).collect()
}

/// Redis's `sortGetKeys`: options are skipped by their known argument counts (LIMIT 2, GET
/// and BY 1, others none) while looking for STORE; the last STORE wins.
fn sort_keys(argv: &[&[u8]]) -> Vec<(usize, KeyFlags)> {
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
    let mut keys = vec![(1, key!(RO | ACCESS))];
    if let Some(position) = store {
        keys.push((position, key!(OW | UPDATE)));
    }
    keys
}

/// Redis's `bitfieldGetKeys`: true if the operations only read (GET and OVERFLOW, each with
/// all its arguments); anything else, a malformed one included, counts as a write.
fn bitfield_reads_only(argv: &[&[u8]]) -> bool {
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
/// does not fit the arguments, or only the command's own rules can follow it.
fn from_specs(specs: &[KeySpec], argv: &[&[u8]]) -> Option<Vec<(usize, KeyFlags)>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags.contains(KeyFlags::NOT_KEY) {
            continue;
        }
        let start = match spec.begin {
            BeginSearch::Index(start) => i64::from(start),
            BeginSearch::Keyword { keyword, startfrom } => {
                match after_keyword(argv, keyword, startfrom) {
                    Some(first) => first,
                    // Not there: this spec finds no keys.
                    None => continue,
                }
            }
            BeginSearch::Unknown => return None,
        };
        let mut first = start;
        let (last, step) = match spec.find {
            FindKeys::Range { last, step, .. } if last >= 0 => (first + i64::from(last), step),
            FindKeys::Range {
                last,
                step,
                limit: 0,
            } => (argc + i64::from(last), step),
            // Up to the end, of which only one part in `limit` is keys (XREAD's STREAMS).
            FindKeys::Range { last, step, limit } => {
                let part = (argc - first) / i64::from(limit);
                (first + part + i64::from(last), step)
            }
            FindKeys::Unknown => return None,
            FindKeys::Keynum {
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
        if spec.flags.contains(KeyFlags::INCOMPLETE) {
            return None;
        }
    }
    Some(keys)
}

/// Where the keys of a keyword spec start: just after the first `keyword` from argument
/// `startfrom` on (from the end backwards if it is negative), as Redis searches.
fn after_keyword(argv: &[&[u8]], keyword: &str, startfrom: i32) -> Option<i64> {
    let argc = argv.len() as i64;
    let startfrom = i64::from(startfrom);
    let (start, end) = if startfrom > 0 {
        (startfrom, argc - 1)
    } else {
        (argc + startfrom, 1)
    };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            return None;
        }
        if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
            return Some(i + 1);
        }
        i += if start <= end { 1 } else { -1 };
    }
    None
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
    argv: &[&[u8]],
    store: usize,
    count: usize,
    first: usize,
    step: usize,
) -> Vec<(usize, KeyFlags)> {
    let Some(count) = argv.get(count).map(|a| atoi(a)) else {
        return Vec::new();
    };
    let room = (argv.len() as i64 - first as i64) / step as i64;
    if count < 1 || count > room {
        return Vec::new();
    }
    let mut keys: Vec<(usize, KeyFlags)> = (0..count as usize)
        .map(|i| (first + i * step, KeyFlags::NONE))
        .collect();
    if store != 0 {
        keys.push((store, KeyFlags::NONE));
    }
    keys
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
