//! The `redis` table scripts call, and `math.random`, as Redis 7.0 defines them.
//!
//! The table is permanent. `redis.call`, `redis.pcall` and `redis.acl_check_cmd` run
//! commands through the running invocation's host, which `current.rs` lends them; they are C
//! functions (`raw_call.rs`).

use std::sync::Arc;

use mlua::{Lua, MultiValue, Table, Value};
use radish_resp::Version;

use super::current::Current;
use super::lauxlib::{arg_error, check_integer, error as lua_error};
use super::number::{lua_number_text, number_of};
use super::raise::Raise;
use super::random::SharedRng;
use super::raw_call::{host_function, HostFunction};
use crate::state::REDIS_VERSION;

/// What `redis.set_repl` chooses: where the script's writes are propagated.
pub mod repl {
    /// `redis.REPL_NONE`.
    pub const NONE: u8 = 0;
    /// `redis.REPL_AOF`.
    pub const AOF: u8 = 1;
    /// `redis.REPL_REPLICA` (and `REPL_SLAVE`).
    pub const REPLICA: u8 = 2;
    /// `redis.REPL_ALL`.
    pub const ALL: u8 = AOF | REPLICA;
}

/// Redis's log levels, as `redis.LOG_*` numbers them.
const LOG_LEVELS: [&str; 4] = ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"];

/// Builds the permanent part of the `redis` table: logging, replies, hashing, protocol and
/// replication settings, the version, and for EVAL (not functions) the debugger's no-ops and
/// `replicate_commands`.
pub fn redis_table(lua: &Lua, eval: bool, current: &Arc<Current>) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    add_log_and_version(lua, &redis)?;
    let running = current.clone();
    redis.raw_set(
        "setresp",
        lua.create_function(move |_, args| set_resp(&running, args))?,
    )?;
    redis.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
    redis.raw_set("error_reply", lua.create_function(error_reply)?)?;
    redis.raw_set("status_reply", lua.create_function(status_reply)?)?;
    let running = current.clone();
    redis.raw_set(
        "set_repl",
        lua.create_function(move |_, args| set_repl(&running, args))?,
    )?;
    redis.raw_set("REPL_NONE", repl::NONE)?;
    redis.raw_set("REPL_AOF", repl::AOF)?;
    redis.raw_set("REPL_SLAVE", repl::REPLICA)?;
    redis.raw_set("REPL_REPLICA", repl::REPLICA)?;
    redis.raw_set("REPL_ALL", repl::ALL)?;
    if eval {
        redis.raw_set(
            "replicate_commands",
            lua.create_function(|_, _: MultiValue| Ok(true))?,
        )?;
        // The debugger (SCRIPT DEBUG) is not there: a breakpoint is never taken and debug
        // output goes nowhere, which is what they do in Redis outside a debugging session.
        redis.raw_set(
            "breakpoint",
            lua.create_function(|_, _: MultiValue| Ok(false))?,
        )?;
        redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    }
    add_host_functions(lua, &redis, current)?;
    Ok(redis)
}

/// `redis.log`, the `redis.LOG_*` levels and `redis.REDIS_VERSION(_NUM)`: what both the
/// `redis` table and the one FUNCTION LOAD runs a library with have.
pub fn add_log_and_version(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.raw_set("log", lua.create_function(log)?)?;
    for (level, name) in LOG_LEVELS.iter().enumerate() {
        redis.raw_set(*name, level)?;
    }
    redis.raw_set("REDIS_VERSION_NUM", version_number())?;
    redis.raw_set("REDIS_VERSION", REDIS_VERSION)
}

/// `redis.call`, `redis.pcall` and `redis.acl_check_cmd`: they reach the running
/// invocation's [`Host`](super::Host), and refuse outside one (see `raw_call.rs`).
fn add_host_functions(lua: &Lua, redis: &Table, current: &Arc<Current>) -> mlua::Result<()> {
    for (name, function) in [
        ("call", HostFunction::Call),
        ("pcall", HostFunction::PCall),
        ("acl_check_cmd", HostFunction::AclCheck),
    ] {
        redis.raw_set(name, host_function(lua, current, function)?)?;
    }
    Ok(())
}

/// `redis.log(level, ...)`: the arguments that are strings or numbers, joined by spaces, in
/// the server's log at that level.
fn log(_: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(
            Raise::reply(b"redis.log() requires two arguments or more.", false).into_lua_error(),
        );
    }
    let level = match number_of(&args[0]) {
        Some(level) => level as i64,
        None => {
            return Err(
                Raise::reply(b"First argument must be a number (log level).", false)
                    .into_lua_error(),
            )
        }
    };
    if !(0..=3).contains(&level) {
        return Err(Raise::reply(b"Invalid debug level.", false).into_lua_error());
    }
    let mut line = Vec::new();
    for (index, arg) in args.iter().enumerate().skip(1) {
        let text = match arg {
            Value::String(text) => text.as_bytes().to_vec(),
            Value::Integer(value) => lua_number_text(*value as f64).into_bytes(),
            Value::Number(value) => lua_number_text(*value).into_bytes(),
            _ => continue,
        };
        if index != 1 {
            line.push(b' ');
        }
        line.extend_from_slice(&text);
    }
    let line = String::from_utf8_lossy(&line);
    match level {
        0 | 1 => tracing::debug!("{line}"),
        2 => tracing::info!("{line}"),
        _ => tracing::warn!("{line}"),
    }
    Ok(())
}

/// `redis.setresp(2|3)`.
fn set_resp(current: &Current, args: MultiValue) -> mlua::Result<()> {
    if current.settings().is_none() {
        return Err(Raise::reply(
            b"redis.setresp can only be called inside a script invocation",
            false,
        )
        .into_lua_error());
    }
    if args.len() != 1 {
        return Err(
            Raise::reply(b"redis.setresp() requires one argument.", false).into_lua_error(),
        );
    }
    let version = match number_of(&args[0]).map(|n| n as i64) {
        Some(2) => Version::Resp2,
        Some(3) => Version::Resp3,
        _ => return Err(Raise::reply(b"RESP version must be 2 or 3.", false).into_lua_error()),
    };
    current.update(|settings| settings.version = version);
    Ok(())
}

/// `redis.set_repl(flags)`.
fn set_repl(current: &Current, args: MultiValue) -> mlua::Result<()> {
    if current.settings().is_none() {
        return Err(Raise::reply(
            b"redis.set_repl can only be called inside a script invocation",
            false,
        )
        .into_lua_error());
    }
    if args.len() != 1 {
        return Err(
            Raise::reply(b"redis.set_repl() requires two arguments.", false).into_lua_error(),
        );
    }
    let flags = number_of(&args[0]).map_or(0, |n| n as i64);
    if flags & !i64::from(repl::ALL) != 0 {
        return Err(Raise::reply(
            b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
            false,
        )
        .into_lua_error());
    }
    current.update(|settings| settings.repl = flags as u8);
    Ok(())
}

/// `redis.sha1hex(text)`.
fn sha1hex(_: &Lua, args: MultiValue) -> mlua::Result<String> {
    if args.len() != 1 {
        return Err(Raise::reply(b"wrong number of arguments", false).into_lua_error());
    }
    let text = match &args[0] {
        Value::String(text) => text.as_bytes().to_vec(),
        Value::Integer(value) => lua_number_text(*value as f64).into_bytes(),
        Value::Number(value) => lua_number_text(*value).into_bytes(),
        _ => Vec::new(),
    };
    Ok(super::sha1_hex(&text))
}

/// `redis.error_reply(text)`: `{err = text}`, with `ERR` unless the text starts with a
/// `-CODE`. Wrong arguments return (not raise) an error table.
fn error_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    match single_string(&args) {
        Some(text) => {
            let mut line = Vec::with_capacity(text.len() + 1);
            if !text.starts_with(b"-") {
                line.push(b'-');
            }
            line.extend_from_slice(&text);
            Raise::reply(&line, false).to_value(lua)
        }
        None => Raise::reply(b"wrong number or type of arguments", false).to_value(lua),
    }
}

/// `redis.status_reply(text)`: `{ok = text}`.
fn status_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Value> {
    match single_string(&args) {
        Some(text) => {
            let table = lua.create_table()?;
            table.raw_set("ok", lua.create_string(&text)?)?;
            Ok(Value::Table(table))
        }
        None => Raise::reply(b"wrong number or type of arguments", false).to_value(lua),
    }
}

/// The one argument, if there is exactly one and it is a string (not a number).
fn single_string(args: &MultiValue) -> Option<Vec<u8>> {
    match args.iter().collect::<Vec<_>>().as_slice() {
        [Value::String(text)] => Some(text.as_bytes().to_vec()),
        _ => None,
    }
}

/// `REDIS_VERSION_NUM`: `0x00MMmmpp`.
fn version_number() -> i64 {
    let mut parts = REDIS_VERSION
        .split('.')
        .map(|part| part.parse::<i64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    (major << 16) | (minor << 8) | patch
}

/// Replaces `math.random` and `math.randomseed` in `math` with Redis's: one `lrand48`
/// sequence for the server, the same on every platform.
pub fn install_random(lua: &Lua, math: &Table, current: &Arc<Current>) -> mlua::Result<()> {
    let running = current.clone();
    math.raw_set(
        "random",
        lua.create_function(move |lua, args| random(lua, &running, args))?,
    )?;
    let running = current.clone();
    math.raw_set(
        "randomseed",
        lua.create_function(move |lua, args| random_seed(lua, &running, args))?,
    )?;
    Ok(())
}

fn random(lua: &Lua, current: &Current, args: MultiValue) -> mlua::Result<f64> {
    if current.settings().is_none() {
        return Err(Raise::reply(
            b"math.random can only be called inside a script invocation",
            false,
        )
        .into_lua_error());
    }
    let fraction = lua.app_data_ref::<SharedRng>().map_or(0.0, |rng| {
        rng.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fraction()
    });
    match args.len() {
        0 => Ok(fraction),
        1 => {
            let upper = check_int(lua, &args, 1)?;
            if upper < 1 {
                return Err(arg_error(lua, 1, "interval is empty"));
            }
            Ok((fraction * f64::from(upper)).floor() + 1.0)
        }
        2 => {
            let lower = check_int(lua, &args, 1)?;
            let upper = check_int(lua, &args, 2)?;
            if lower > upper {
                return Err(arg_error(lua, 2, "interval is empty"));
            }
            // The interval's size is computed in C `int` arithmetic, wrapping as there.
            let size = upper.wrapping_sub(lower).wrapping_add(1);
            Ok((fraction * f64::from(size)).floor() + f64::from(lower))
        }
        _ => Err(lua_error(lua, "wrong number of arguments")),
    }
}

fn random_seed(lua: &Lua, current: &Current, args: MultiValue) -> mlua::Result<()> {
    if current.settings().is_none() {
        return Err(Raise::reply(
            b"math.randomseed can only be called inside a script invocation",
            false,
        )
        .into_lua_error());
    }
    let seed = check_int(lua, &args, 1)?;
    if let Some(rng) = lua.app_data_ref::<SharedRng>() {
        rng.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .seed(seed);
    }
    Ok(())
}

/// `luaL_checkint`: the argument (from 1) as a C `int`, or Lua's "bad argument" error.
fn check_int(lua: &Lua, args: &MultiValue, narg: usize) -> mlua::Result<i32> {
    check_integer(lua, args, narg).map(|value| value as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_number_packs_major_minor_patch() {
        assert_eq!(version_number(), (7 << 16) | 15);
    }
}
