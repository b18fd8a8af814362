//! Argument parsing the command families share.

use bytes::Bytes;
use radish_data::long_double::LongDouble;
use radish_data::Millis;
use radish_resp::number::parse_i64_strict;

use crate::error::{Error, Result};
use crate::exec::ctx::Ctx;

/// A request's arguments as handlers take them, borrowed from arguments kept for later (a
/// queued MULTI command, a blocked command, a script's call).
pub fn borrowed(owned: &[Bytes]) -> Vec<&[u8]> {
    owned.iter().map(|arg| &arg[..]).collect()
}

/// The same arguments, copied to be kept beyond the request that brought them.
pub fn owned(args: &[&[u8]]) -> Vec<Bytes> {
    args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect()
}

/// Parses an integer argument as Redis's `string2ll` does.
pub fn parse_int(arg: &[u8]) -> Result<i64> {
    parse_i64_strict(arg).ok_or(Error::NotInteger)
}

/// True if `arg` equals `word`, ignoring ASCII case.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// Redis's `addReplySubcommandSyntaxError`: a container's subcommand given arguments it
/// does not take (which its arity let through).
pub fn subcommand_syntax_error(args: &[&[u8]]) -> Error {
    let sub = &args[1];
    Error::Message(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(&sub[..sub.len().min(128)]),
        String::from_utf8_lossy(args[0]).to_ascii_uppercase()
    ))
}

/// Writes a HELP reply: an array of status lines.
pub fn help(ctx: &mut Ctx<'_, '_>, lines: &[&str]) {
    ctx.reply.array(lines.len());
    for line in lines {
        ctx.reply.simple(line.as_bytes());
    }
}

/// Parses a blocking command's timeout (seconds, fractions allowed) as Redis 7.0 does, into
/// a deadline: `None` for 0, which blocks forever.
///
/// Redis reads it with `strtold` (hex and `inf` included), multiplies by 1000 and casts to a
/// 64-bit integer; anything that does not fit comes out negative, hence "timeout is negative"
/// for huge values too. A deadline past the end of time waits forever.
pub fn parse_timeout(arg: &[u8], now: Millis) -> Result<Option<Millis>> {
    let negative_error = || Error::Static("ERR timeout is negative");
    let value = LongDouble::parse(arg)
        .ok_or(Error::Static("ERR timeout is not a float or out of range"))?;
    if !value.is_finite() {
        return Err(negative_error());
    }
    // Exact arithmetic on the decimal text, since a 16-digit timeout does not fit an f64:
    // milliseconds = ceil(seconds × 1000).
    let text = value.to_human();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: i128 = whole.parse().map_err(|_| negative_error())?;
    let fraction = fraction.as_bytes();
    let mut millis = whole * 1000;
    for (i, scale) in [100, 10, 1].into_iter().enumerate() {
        millis += i128::from(fraction.get(i).map_or(0, |d| d - b'0')) * scale;
    }
    let remainder = fraction.iter().skip(3).any(|&d| d != b'0');
    if negative {
        // ceil() of a negative number drops the remainder; anything below zero is refused.
        if millis > 0 {
            return Err(negative_error());
        }
        return Ok(None);
    }
    if remainder {
        millis += 1;
    }
    if millis > i128::from(i64::MAX) {
        return Err(negative_error());
    }
    let millis = millis as u64;
    if millis == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(millis)))
}

/// A timeout in milliseconds (XREAD's BLOCK, WAIT's) as a deadline (`None` for 0: forever),
/// as Redis's `getTimeoutFromObjectOrReply` reads milliseconds.
pub fn parse_timeout_ms(arg: &[u8], now: Millis) -> Result<Option<Millis>> {
    let ms = radish_resp::number::parse_i64_strict(arg).ok_or(Error::Static(
        "ERR timeout is not an integer or out of range",
    ))?;
    match ms {
        ..=-1 => Err(Error::Static("ERR timeout is negative")),
        0 => Ok(None),
        ms if ms as u64 > i64::MAX as u64 - now => {
            Err(Error::Static("ERR timeout is out of range"))
        }
        ms => Ok(Some(now + ms as u64)),
    }
}
