//! Reading a parameter's arguments as Redis 7.0 does, with its error texts, into the value
//! CONFIG GET shows; and the C number parsers those rules are written in.

use std::path::Path;

use radish_resp::number::parse_i64_strict;

use crate::state::events;

use super::params::{Kind, Param, Special, Unit, MULTI_ARG, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};

/// What parsing a parameter's value may need of the configuration it goes into: the current
/// value of another parameter (`save` rules added to, `dir` for a relative one...).
pub(super) trait Current {
    /// The current value of parameter `name`.
    fn current(&self, name: &str) -> Option<&str>;
}

/// Checks `args` for `param` and returns its new value as CONFIG GET shows it, or the reason
/// it is refused (the text after "CONFIG SET failed (...) - " or a config file's error line).
///
/// A parameter without [`MULTI_ARG`] gets exactly one argument. `append_save` adds `save`
/// rules to the current ones instead of replacing them: Redis does that for the second and
/// later `save` lines of a config file.
pub(super) fn parse(
    config: &dyn Current,
    param: &Param,
    args: &[String],
    append_save: bool,
) -> Result<String, String> {
    let one = || args.first().map(String::as_str).unwrap_or("");
    let value = match param.kind {
        Kind::Bool => parse_bool(one())?.to_string(),
        Kind::Number {
            unit,
            unsigned,
            min,
            max,
        } => parse_number(one(), unit, unsigned, min, max)?,
        Kind::Enum(choices) => parse_enum(param, choices, args)?,
        Kind::Text { check, .. } => {
            if let Some(check) = check {
                check(one())?;
            }
            one().to_string()
        }
        Kind::Special(special) => match special {
            Special::Dir => parse_dir(config, args)?,
            Special::Save => parse_save(config.current("save").unwrap_or(""), args, append_save)?,
            Special::OutputLimits => {
                parse_output_limits(config.current(param.name).unwrap_or(""), args)?
            }
            Special::OomScoreAdjValues => parse_oom_score_adj_values(args)?,
            Special::NotifyKeyspaceEvents => parse_keyspace_events(args)?,
            Special::Bind => parse_bind(args)?,
            Special::ReplicaOf => parse_replicaof(args)?,
            Special::LatencyPercentiles => parse_percentiles(args)?,
        },
    };
    settle(config, param, value)
}

/// The rules for single parameters that Redis applies after the type's own checks, and
/// radish's refusals of what it cannot do.
fn settle(config: &dyn Current, param: &Param, value: String) -> Result<String, String> {
    match param.name {
        // Redis takes any hz and then keeps it within 1..=500.
        "hz" => {
            let hz: i64 = value.parse().unwrap_or(10);
            Ok(hz.clamp(1, 500).to_string())
        }
        // As Redis built against the system's jemalloc (Debian's), which cannot defragment.
        "activedefrag" if value == "yes" => Err("Active defragmentation cannot be enabled: it \
             requires a Redis server compiled with a modified Jemalloc like the one shipped by \
             default with the Redis source distribution"
            .to_string()),
        "proc-title-template" => {
            check_proc_title(config, &value)?;
            Ok(value)
        }
        // Accepting these would leave the server less protected than its configuration says.
        "tls-port" if value != "0" => {
            Err("TLS is not supported by this server: tls-port must be 0".to_string())
        }
        "aclfile" if !value.is_empty() => Err("ACL files are not supported by this server: it \
             has only the default user (see requirepass)"
            .to_string()),
        // A replica that silently acted as a master would take writes meant for the master.
        "replicaof" if !value.is_empty() => Err("Replication is not supported by this server: \
             it cannot be a replica (replicaof)"
            .to_string()),
        _ => Ok(value),
    }
}

fn parse_bool(text: &str) -> Result<&'static str, String> {
    if text.eq_ignore_ascii_case("yes") {
        Ok("yes")
    } else if text.eq_ignore_ascii_case("no") {
        Ok("no")
    } else {
        Err("argument must be 'yes' or 'no'".to_string())
    }
}

fn parse_number(
    text: &str,
    unit: Unit,
    unsigned: bool,
    min: i128,
    max: i128,
) -> Result<String, String> {
    let n = read_number(text, unit).map_err(str::to_string)?;
    if unit == Unit::MemoryOrPercent && n < 0 {
        // A percentage, stored negated: only its lower bound (-100) applies.
        if i128::from(n) < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
        return Ok(format!("{}%", -i128::from(n)));
    }
    // Redis parses into a C `long long`; unsigned types see a negative one as the huge
    // number it wraps to.
    let value = if unsigned {
        i128::from(n as u64)
    } else {
        i128::from(n)
    };
    if value < min || value > max {
        return Err(if unit == Unit::Octal {
            format!("argument must be between {min:o} and {max:o} inclusive")
        } else {
            format!("argument must be between {min} and {max} inclusive")
        });
    }
    Ok(match unit {
        Unit::Memory | Unit::MemoryOrPercent => (n as u64).to_string(),
        Unit::Octal => format!("{:o}", n as u64),
        Unit::Plain => n.to_string(),
    })
}

/// Redis's `numericParseString`: the number as a C `long long`, or the error text.
fn read_number(text: &str, unit: Unit) -> Result<i64, &'static str> {
    if matches!(unit, Unit::Memory | Unit::MemoryOrPercent) {
        if let Some(bytes) = memtoull(text) {
            return Ok(bytes as i64);
        }
    }
    if unit == Unit::MemoryOrPercent && text.len() > 1 {
        if let Some(digits) = text.strip_suffix('%') {
            if let Some(percent) = parse_i64_strict(digits.as_bytes()).filter(|p| *p >= 0) {
                return Ok(-percent);
            }
        }
    }
    if unit == Unit::Octal {
        let (value, overflow, rest) = strtoll(text, 8);
        if !overflow && rest.is_empty() {
            return Ok(value);
        }
    }
    if unit == Unit::Plain {
        if let Some(value) = parse_i64_strict(text.as_bytes()) {
            return Ok(value);
        }
    }
    Err(match unit {
        Unit::MemoryOrPercent => "argument must be a memory or percent value",
        Unit::Memory => "argument must be a memory value",
        Unit::Octal => "argument couldn't be parsed as an octal number",
        Unit::Plain => "argument couldn't be parsed into an integer",
    })
}

/// Redis's `memtoull`: digits and an optional `b k kb m mb g gb` unit (any case; `k` is 1000,
/// `kb` 1024). Like the C code, no digits at all reads as 0, too many saturate, and the
/// multiplication wraps.
pub(super) fn memtoull(text: &str) -> Option<u64> {
    if text.starts_with('-') {
        return None;
    }
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let multiplier = unit_multiplier(unit)?;
    if digits.len() >= 128 {
        return None;
    }
    let value = digits.bytes().fold(0u64, |acc, d| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(value.wrapping_mul(multiplier))
}

/// The bytes in one of Redis's memory units: `b k kb m mb g gb`, any case (`k` is 1000, `kb`
/// 1024); nothing is bytes.
pub(super) fn unit_multiplier(unit: &str) -> Option<u64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    })
}

/// C's `strtoll`: leading white space, an optional sign, then digits in `radix`. Returns the
/// value (saturated on overflow), whether it overflowed, and the text after the number (all
/// of `text` when there are no digits, as C's `endptr`).
pub(crate) fn strtoll(text: &str, radix: u32) -> (i64, bool, &str) {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, unsigned_part) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let digits_end = unsigned_part
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(unsigned_part.len());
    if digits_end == 0 {
        return (0, false, text);
    }
    let mut magnitude: i128 = 0;
    let mut overflow = false;
    for c in unsigned_part[..digits_end].chars() {
        let digit = i128::from(c.to_digit(radix).unwrap_or(0));
        magnitude = magnitude * i128::from(radix) + digit;
        if magnitude > i128::from(i64::MAX) + 1 {
            overflow = true;
            magnitude = i128::from(i64::MAX) + 1;
        }
    }
    let signed = if negative { -magnitude } else { magnitude };
    let value = if signed > i128::from(i64::MAX) {
        overflow = true;
        i64::MAX
    } else {
        signed as i64
    };
    (value, overflow, &unsigned_part[digits_end..])
}

/// An enumeration's value: one name, or for a [`MULTI_ARG`] one several, or-ed together.
fn parse_enum(
    param: &Param,
    choices: &[(&'static str, u32)],
    args: &[String],
) -> Result<String, String> {
    let flags = param.has(MULTI_ARG);
    let Some(value) = enum_value(choices, args, flags) else {
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "argument(s) must be one of the following: {}",
            names.join(", ")
        ));
    };
    let shutdown = matches!(param.name, "shutdown-on-sigint" | "shutdown-on-sigterm");
    if shutdown && value & SHUTDOWN_SAVE != 0 && value & SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".to_string());
    }
    Ok(enum_name(choices, value, flags))
}

fn enum_value(choices: &[(&str, u32)], args: &[String], flags: bool) -> Option<u32> {
    if args.is_empty() || (!flags && args.len() != 1) {
        return None;
    }
    let mut value = 0;
    for arg in args {
        let mut matched = false;
        for (name, bits) in choices {
            if arg.eq_ignore_ascii_case(name) {
                value |= bits;
                matched = true;
            }
        }
        if !matched {
            return None;
        }
    }
    Some(value)
}

/// Redis's `configEnumGetName`: the first name with exactly this value; for flags, the names
/// of the set bits in table order.
fn enum_name(choices: &[(&str, u32)], value: u32, flags: bool) -> String {
    let mut names = Vec::new();
    let mut unmatched = value;
    for (name, bits) in choices {
        if value == *bits {
            return name.to_string();
        }
        if flags && *bits != 0 && *bits == unmatched & bits {
            names.push(*name);
            unmatched &= !bits;
        }
    }
    if names.is_empty() || unmatched != 0 {
        return "unknown".to_string();
    }
    names.join(" ")
}

/// `dir`: Redis changes its working directory to it, so a relative path is relative to the
/// current `dir`, and it must be a directory that exists. Radish keeps the absolute path
/// instead of changing the process's working directory.
fn parse_dir(config: &dyn Current, args: &[String]) -> Result<String, String> {
    let [dir] = args else {
        return Err("wrong number of arguments".to_string());
    };
    if dir.is_empty() {
        return Err("No such file or directory".to_string());
    }
    let current = Path::new(config.current("dir").unwrap_or("."));
    let path = std::fs::canonicalize(current.join(dir)).map_err(|e| strerror(&e))?;
    if !path.is_dir() {
        return Err("Not a directory".to_string());
    }
    Ok(path.to_string_lossy().into_owned())
}

fn parse_save(current: &str, args: &[String], append: bool) -> Result<String, String> {
    // A single empty argument means no rules, even in the middle of a config file.
    let reset = matches!(args, [only] if only.is_empty());
    let args = if reset { &[] } else { args };
    let invalid = || "Invalid save parameters".to_string();
    if args.len() % 2 != 0 {
        return Err(invalid());
    }
    let mut rules = Vec::new();
    if append && !reset && !current.is_empty() {
        rules.push(current.to_string());
    }
    for pair in args.chunks(2) {
        let (seconds, _, rest_seconds) = strtoll(&pair[0], 10);
        let (changes, _, rest_changes) = strtoll(&pair[1], 10);
        if !rest_seconds.is_empty() || !rest_changes.is_empty() || seconds < 1 || changes < 0 {
            return Err(invalid());
        }
        // Redis keeps the number of changes in a C `int`.
        rules.push(format!("{seconds} {}", changes as i32));
    }
    Ok(rules.join(" "))
}

/// The client classes of `client-output-buffer-limit`, in the order CONFIG GET lists them.
pub(super) const OUTPUT_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// `client-output-buffer-limit`'s value as `(hard, soft, soft seconds)` per class.
pub(super) fn output_limits(value: &str) -> [(u64, u64, i64); 3] {
    let mut limits = [(0, 0, 0); 3];
    let words: Vec<&str> = value.split(' ').collect();
    for group in words.chunks(4) {
        if let [class, hard, soft, seconds] = group {
            if let Some(at) = OUTPUT_CLASSES.iter().position(|c| c == class) {
                limits[at] = (
                    hard.parse().unwrap_or(0),
                    soft.parse().unwrap_or(0),
                    seconds.parse().unwrap_or(0),
                );
            }
        }
    }
    limits
}

fn parse_output_limits(current: &str, args: &[String]) -> Result<String, String> {
    if args.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut limits = output_limits(current);
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_string(),
                )
            }
        };
        let (seconds, _, rest) = strtoll(&group[3], 10);
        // Redis keeps the seconds in a C `int`.
        let seconds = seconds as i32;
        match (memtoull(&group[1]), memtoull(&group[2])) {
            (Some(hard), Some(soft)) if seconds >= 0 && rest.is_empty() => {
                limits[class] = (hard, soft, i64::from(seconds));
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .to_string(),
                )
            }
        }
    }
    let groups: Vec<String> = OUTPUT_CLASSES
        .iter()
        .zip(limits)
        .map(|(class, (hard, soft, seconds))| format!("{class} {hard} {soft} {seconds}"))
        .collect();
    Ok(groups.join(" "))
}

fn parse_oom_score_adj_values(args: &[String]) -> Result<String, String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".to_string());
    }
    let mut values = Vec::new();
    for arg in args {
        let (value, _, rest) = strtoll(arg, 10);
        if !rest.is_empty() || !(-2000..=2000).contains(&value) {
            return Err(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                    .to_string(),
            );
        }
        values.push(value.to_string());
    }
    Ok(values.join(" "))
}

fn parse_keyspace_events(args: &[String]) -> Result<String, String> {
    let [classes] = args else {
        return Err("wrong number of arguments".to_string());
    };
    match events::parse(classes) {
        Some(flags) => Ok(events::to_stored(flags)),
        None => Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
    }
}

fn parse_bind(args: &[String]) -> Result<String, String> {
    if args.len() > 16 {
        return Err("Too many bind addresses specified.".to_string());
    }
    Ok(args.join(" "))
}

fn parse_replicaof(args: &[String]) -> Result<String, String> {
    let [host, port] = args else {
        return Err("wrong number of arguments".to_string());
    };
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(String::new());
    }
    let (port, _, rest) = strtoll(port, 10);
    if !(0..=65535).contains(&port) || !rest.is_empty() {
        return Err("Invalid master port".to_string());
    }
    Ok(format!("{host} {port}"))
}

fn parse_percentiles(args: &[String]) -> Result<String, String> {
    let args = match args {
        [only] if only.is_empty() => &[],
        _ => args,
    };
    let mut shown = Vec::new();
    for arg in args {
        let percentile = string2d(arg)
            .ok_or_else(|| "Invalid latency-tracking-info-percentiles parameters".to_string())?;
        if !(0.0..=100.0).contains(&percentile) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_string(),
            );
        }
        shown.push(format_percentile(percentile));
    }
    Ok(shown.join(" "))
}

/// Redis's `string2d`: a whole `strtod` number, no leading space, not NaN, no overflow.
fn string2d(text: &str) -> Option<f64> {
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let spelled_infinite = text.to_ascii_lowercase().contains("inf");
    if value.is_nan() || (value.is_infinite() && !spelled_infinite) {
        return None;
    }
    Some(value)
}

/// `%f` without its trailing zeros (Redis's `trimDoubleString`): 99.9, 50, 0.
fn format_percentile(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `proc-title-template`: Redis expands it (`{{` is a brace) and refuses unknown variables,
/// an unclosed one, and a title that would be empty.
fn check_proc_title(config: &dyn Current, template: &str) -> Result<(), String> {
    let invalid = || "template format is invalid or contains unknown variables".to_string();
    let mut expanded = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(invalid());
        }
        if let Some(quoted) = after.strip_prefix('{') {
            expanded.push('{');
            rest = quoted;
            continue;
        }
        let close = after.find('}').ok_or_else(invalid)?;
        expanded.push_str(&match &after[..close] {
            // The title is empty while validating, as in Redis.
            "title" => String::new(),
            "listen-addr" | "config-file" | "port" | "tls-port" => "x".to_string(),
            "server-mode" if config.current("cluster-enabled") == Some("yes") => {
                "[cluster]".to_string()
            }
            "server-mode" => String::new(),
            "unixsocket" => config.current("unixsocket").unwrap_or("").to_string(),
            _ => return Err(invalid()),
        });
        rest = &after[close + 1..];
    }
    expanded.push_str(rest);
    if expanded.trim_matches(' ').is_empty() {
        return Err(invalid());
    }
    Ok(())
}

/// An I/O error's text as C's `strerror` gives it, without Rust's "(os error N)".
pub(super) fn strerror(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Redis's `sdscatrepr`: the text in double quotes, with `\\ \" \n \r \t \a \b` escaped and
/// other bytes outside printable ASCII as `\xHH`, so that a config file line (or an
/// append-only manifest line) reads it back.
pub(crate) fn repr(text: impl AsRef<[u8]>) -> String {
    let text = text.as_ref();
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for &byte in text {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b' '..=b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('"');
    out
}
