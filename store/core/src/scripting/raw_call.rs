//! `redis.call`, `redis.pcall` and `redis.acl_check_cmd` as Lua C functions over Lua's own
//! API, the command's reply pushed straight onto the Lua stack, as Redis's
//! `luaRedisGenericCommand` does.
//!
//! Through mlua, each argument and each value handed back is a registry reference made and
//! then dropped, under mlua's lock: bench/scripting.sh with a 100-call script showed that
//! bookkeeping (`ValueRef::drop`, `LuaGuard::new`, `stack_value`, `to_slice`...) at over a
//! third of the server's CPU, and radish at 0.54x of redis-server at -P 1. Reading the
//! arguments off the stack and pushing the reply directly leaves only the command's own work.

// The second place the core uses `unsafe` (with `current.rs`): see above, and the SAFETY
// comments below.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void, CStr};
use std::sync::Arc;

use bytes::BytesMut;
use mlua::{ffi, Function, Lua};
use radish_resp::{Frame, Version};

use super::convert::decode_reply;
use super::current::Current;
use super::number::number_argument;
use super::raise::Raise;

thread_local! {
    /// The buffer commands run by scripts on this thread write their replies to, kept: a
    /// reply is read back at once.
    static OUT: std::cell::Cell<BytesMut> = std::cell::Cell::new(BytesMut::new());
}

/// Keeps the [`Current`] the C functions point at alive as long as the Lua state.
struct KeepCurrent(#[allow(dead_code)] Arc<Current>);

/// The `redis` functions that reach the running invocation's host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFunction {
    /// `redis.call`: runs a command; an error reply is raised.
    Call,
    /// `redis.pcall`: the same; an error reply is returned.
    PCall,
    /// `redis.acl_check_cmd`: whether the script's user may run a command.
    AclCheck,
}

/// `function` over the invocations `current` lends.
pub fn host_function(
    lua: &Lua,
    current: &Arc<Current>,
    function: HostFunction,
) -> mlua::Result<Function> {
    // The state's app data holds a reference: the pointer below lives as long as the state
    // and every function in it.
    lua.set_app_data(KeepCurrent(current.clone()));
    let pointer = Arc::as_ptr(current) as *mut c_void;
    let function: ffi::lua_CFunction = match function {
        HostFunction::Call => redis_call,
        HostFunction::PCall => redis_pcall,
        HostFunction::AclCheck => redis_acl_check,
    };
    // SAFETY: `exec_raw` runs the closure in a protected call with room for three values on
    // the stack; it pushes two and leaves one, the function it returns.
    unsafe {
        lua.exec_raw((), |state| {
            ffi::lua_pushlightuserdata(state, pointer);
            ffi::lua_pushcclosure(state, function, 1);
        })
    }
}

unsafe extern "C-unwind" fn redis_call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua calls it as the closure `host_function` made.
    unsafe { host_call(state, HostFunction::Call) }
}

unsafe extern "C-unwind" fn redis_pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as above.
    unsafe { host_call(state, HostFunction::PCall) }
}

unsafe extern "C-unwind" fn redis_acl_check(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as above.
    unsafe { host_call(state, HostFunction::AclCheck) }
}

/// Runs `function` with the arguments on `state`'s stack and leaves its result on the
/// stack, or raises the error.
///
/// # Safety
/// `state` is a Lua state calling a closure made by [`host_function`].
unsafe fn host_call(state: *mut ffi::lua_State, function: HostFunction) -> c_int {
    // SAFETY: the closure's upvalue is the pointer `host_call_function` made from the `Arc`
    // the state's app data keeps.
    let current =
        unsafe { &*(ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)) as *const Current) };
    // A panic must not unwind through Lua's C frames: it becomes the script's error.
    let returned = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: as this function's.
        unsafe { run(state, current, function) }
    })) {
        Ok(returned) => returned,
        Err(payload) => {
            drop(payload);
            tracing::error!("a command run by redis.call panicked");
            // SAFETY: as this function's.
            unsafe {
                push_raise(
                    state,
                    &Raise::reply(b"ERR the command panicked (a bug in radish)", false),
                )
            };
            Returned::Raise
        }
    };
    match returned {
        Returned::Value => 1,
        // SAFETY: the error value is on top. `lua_error` jumps back to the protected call
        // that runs the script; every Rust value of this call was dropped by now (`returned`
        // has no destructor), so the jump skips no destructor.
        Returned::Raise => unsafe { ffi::lua_error(state) },
    }
}

/// What [`run`] left on top of the stack.
enum Returned {
    /// The value to return.
    Value,
    /// The error to raise.
    Raise,
}

/// The work of [`host_call`], in a frame of its own so that all of its Rust values are
/// dropped before an error is raised.
///
/// No Lua function called here raises an error: the engine sets no memory limit, so mlua's
/// allocator aborts the process rather than fail an allocation (see `Engine::new`), nothing
/// here sets a key that could be nil or NaN, and no reply reaches Lua's 2^26-element table
/// limit.
unsafe fn run(state: *mut ffi::lua_State, current: &Current, function: HostFunction) -> Returned {
    let raise = function != HostFunction::PCall;
    let failed = |raised: Raise| {
        // SAFETY: as `run`'s.
        unsafe { push_raise(state, &raised) };
        if raise {
            Returned::Raise
        } else {
            Returned::Value
        }
    };
    let mut numbers = Vec::new();
    // SAFETY: as `run`'s; `argv` is used only in this call, while its strings stay on the stack.
    let argv = match unsafe { arguments(state, &mut numbers) } {
        Ok(argv) => argv,
        Err(text) => return failed(Raise::reply(text, false)),
    };
    if function == HostFunction::AclCheck {
        return match current.with_host(|host, _| host.acl_check(&argv)) {
            None => failed(Raise::reply(
                b"redis.acl_check_cmd can only be called inside a script invocation",
                false,
            )),
            Some(None) => failed(Raise::reply(
                b"Invalid command passed to redis.acl_check_cmd()",
                false,
            )),
            Some(Some(allowed)) => {
                // SAFETY: as `run`'s.
                unsafe { ffi::lua_pushboolean(state, c_int::from(allowed)) };
                Returned::Value
            }
        };
    }
    let ran = current.with_host(|host, settings| {
        let mut out = OUT.take();
        out.clear();
        let ran = host.call(&argv, settings.version, settings.repl, &mut out);
        ran.map(|()| (out, settings.version))
    });
    let (mut out, version) = match ran {
        None => {
            return failed(Raise::reply(
                b"redis.call/pcall can only be called inside a script invocation",
                false,
            ))
        }
        Some(Err(refusal)) => return failed(Raise::reply(&refusal, true)),
        Some(Ok(reply)) => reply,
    };
    // SAFETY: as `run`'s.
    let error = unsafe { push_reply(state, &mut out, version) };
    OUT.set(out);
    if error && raise {
        Returned::Raise
    } else {
        Returned::Value
    }
}

/// The call's arguments as a command (Redis's `luaArgsToRedisArgv`): strings as they are,
/// numbers as `%.17g` (Lua's own conversion would keep only 14 digits), anything else
/// refused. Strings are borrowed from Lua, not copied: each is a value on the stack of the
/// running C function, where it stays unchanged until the function returns, so the caller
/// must use them only until then. Numbers are formatted into `numbers`.
unsafe fn arguments(
    state: *mut ffi::lua_State,
    numbers: &mut Vec<Vec<u8>>,
) -> Result<Vec<&[u8]>, &'static [u8]> {
    // SAFETY (every call below): `state` is the running C function's, `index` within its
    // arguments.
    let count = unsafe { ffi::lua_gettop(state) };
    if count == 0 {
        return Err(b"Please specify at least one argument for this redis lib call");
    }
    // The numbers first, so that `numbers` is complete before anything borrows from it.
    for index in 1..=count {
        match unsafe { ffi::lua_type(state, index) } {
            ffi::LUA_TNUMBER => {
                numbers.push(number_argument(unsafe { ffi::lua_tonumber(state, index) }))
            }
            ffi::LUA_TSTRING => {}
            _ => return Err(b"Lua redis lib command arguments must be strings or integers"),
        }
    }
    let mut formatted = numbers.iter();
    let mut argv = Vec::with_capacity(count as usize);
    for index in 1..=count {
        argv.push(match unsafe { ffi::lua_type(state, index) } {
            ffi::LUA_TNUMBER => formatted.next().map_or(&[][..], Vec::as_slice),
            _ => {
                let mut len = 0;
                let data = unsafe { ffi::lua_tolstring(state, index, &mut len) };
                // SAFETY: Lua's string of `len` bytes, alive and unchanged while it is on
                // the stack: for as long as the caller uses it (see above).
                unsafe { std::slice::from_raw_parts(data.cast(), len) }
            }
        });
    }
    Ok(argv)
}

/// Pushes a command's reply, bytes written in `version`, as Lua sees it (see
/// [`push_frame`]); true when it is an error reply. The usual one-line replies are read
/// straight from the bytes.
unsafe fn push_reply(state: *mut ffi::lua_State, reply: &mut BytesMut, version: Version) -> bool {
    if let Some(line) = reply
        .strip_suffix(b"\r\n")
        .filter(|line| !line.contains(&b'\r'))
    {
        // SAFETY (every push below): the caller's.
        match line.split_first() {
            Some((b':', digits)) => {
                if let Some(value) = radish_resp::number::parse_i64_strict(digits) {
                    unsafe { ffi::lua_pushnumber(state, value as f64) };
                    return false;
                }
            }
            Some((b'$', b"-1")) | Some((b'*', b"-1")) => {
                unsafe { ffi::lua_pushboolean(state, 0) };
                return false;
            }
            _ => {}
        }
    }
    if let Some(data) = single_bulk(reply) {
        unsafe { push_bytes(state, data) };
        return false;
    }
    match decode_reply(reply.split(), version) {
        Some(frame) => {
            unsafe { push_frame(state, &frame) };
            matches!(frame, Frame::SimpleError(_) | Frame::BulkError(_))
        }
        None => {
            unsafe { ffi::lua_pushnil(state) };
            false
        }
    }
}

/// The data of a reply that is exactly one bulk string.
fn single_bulk(reply: &[u8]) -> Option<&[u8]> {
    let rest = reply.strip_prefix(b"$")?;
    let header = rest.iter().position(|&b| b == b'\r')?;
    let len = usize::try_from(radish_resp::number::parse_i64_strict(&rest[..header])?).ok()?;
    let data = rest.get(header + 2..)?;
    (data.len() == len + 2).then(|| &data[..len])
}

/// Pushes a decoded reply as Lua sees it, as Redis's `redisProtocolToLuaType` converts:
/// integers and bulk strings as numbers and strings, RESP2's nulls as `false` (RESP3's null
/// as `nil`), a status as `{ok=}`, an error as `{err=}` (flagged as counted already),
/// RESP3's map, set, double, big number and verbatim string as `{map=}`, `{set=}`,
/// `{double=}`, `{big_number=}` and `{verbatim_string={format=, string=}}`, booleans as
/// booleans. Attributes are dropped.
///
/// # Safety
/// `state` is a running C function's, with room for one more value on its stack.
unsafe fn push_frame(state: *mut ffi::lua_State, frame: &Frame) {
    // Nested replies need a few more slots per level; past Lua's stack limit (which no
    // command's reply reaches) the rest is nil.
    // SAFETY (every call below): the caller's, and room for three values checked here.
    if unsafe { ffi::lua_checkstack(state, 3) } == 0 {
        unsafe { ffi::lua_pushnil(state) };
        return;
    }
    match frame {
        Frame::Integer(value) => unsafe { ffi::lua_pushnumber(state, *value as f64) },
        Frame::BulkString(data) => unsafe { push_bytes(state, data) },
        Frame::SimpleString(text) => unsafe {
            push_bytes(state, text);
            wrap(state, c"ok");
        },
        Frame::SimpleError(line) | Frame::BulkError(line) => {
            let mut text = Vec::with_capacity(line.len() + 1);
            text.push(b'-');
            text.extend_from_slice(line);
            unsafe { push_raise(state, &Raise::reply(&text, true)) };
        }
        // RESP2's null bulk string and null array: `$-1` and `*-1`.
        Frame::NullArray => unsafe { ffi::lua_pushboolean(state, 0) },
        Frame::Null => unsafe { ffi::lua_pushnil(state) },
        Frame::Array(items) | Frame::Push(items) => unsafe {
            // Filled one element at a time, as Redis does: where nulls leave holes, `#` then
            // finds the border Redis's table has.
            ffi::lua_newtable(state);
            for (index, item) in items.iter().enumerate() {
                push_frame(state, item);
                ffi::lua_rawseti(state, -2, index as ffi::lua_Integer + 1);
            }
        },
        Frame::Map(pairs) => unsafe {
            ffi::lua_newtable(state);
            for (key, value) in pairs {
                push_frame(state, key);
                push_frame(state, value);
                set_pair(state);
            }
            wrap(state, c"map");
        },
        Frame::Set(items) => unsafe {
            ffi::lua_newtable(state);
            for item in items {
                push_frame(state, item);
                ffi::lua_pushboolean(state, 1);
                set_pair(state);
            }
            wrap(state, c"set");
        },
        Frame::Double(value) => unsafe {
            ffi::lua_pushnumber(state, *value);
            wrap(state, c"double");
        },
        Frame::Boolean(value) => unsafe { ffi::lua_pushboolean(state, c_int::from(*value)) },
        Frame::BigNumber(digits) => unsafe {
            push_bytes(state, digits);
            wrap(state, c"big_number");
        },
        Frame::VerbatimString { format, text } => unsafe {
            ffi::lua_createtable(state, 0, 2);
            push_bytes(state, text);
            ffi::lua_setfield(state, -2, c"string".as_ptr());
            push_bytes(state, format);
            ffi::lua_setfield(state, -2, c"format".as_ptr());
            wrap(state, c"verbatim_string");
        },
        Frame::Attribute { data, .. } => unsafe { push_frame(state, data) },
    }
}

/// Pushes the value Redis would raise for `raised`: a string, or a table with `err` (and
/// `ignore_error_stats_update` when set).
unsafe fn push_raise(state: *mut ffi::lua_State, raised: &Raise) {
    // SAFETY (every call below): the caller's: a running C function's state with room for
    // three values.
    match raised {
        Raise::Message(text) => unsafe { push_bytes(state, text) },
        Raise::Reply { err, counted } => unsafe {
            ffi::lua_createtable(state, 0, 2);
            push_bytes(state, err);
            ffi::lua_setfield(state, -2, c"err".as_ptr());
            if *counted {
                ffi::lua_pushboolean(state, 1);
                ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
            }
        },
    }
}

unsafe fn push_bytes(state: *mut ffi::lua_State, data: &[u8]) {
    // SAFETY: Lua copies the `data.len()` bytes at `data`.
    unsafe { ffi::lua_pushlstring(state, data.as_ptr().cast(), data.len()) };
}

/// Replaces the value on top with `{name = value}`.
unsafe fn wrap(state: *mut ffi::lua_State, name: &CStr) {
    // SAFETY: the caller's: a value on top, room for one more.
    unsafe {
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_setfield(state, -2, name.as_ptr());
    }
}

/// Sets the key and value on top in the table below them, and pops them; a nil key (a
/// RESP3 null, which Lua cannot index by) is dropped with its value.
unsafe fn set_pair(state: *mut ffi::lua_State) {
    // SAFETY: the caller's: a table, a key and a value on top. The key is not NaN: numbers
    // here come from integers, doubles are wrapped in tables.
    unsafe {
        if ffi::lua_type(state, -2) == ffi::LUA_TNIL {
            ffi::lua_pop(state, 2);
        } else {
            ffi::lua_rawset(state, -3);
        }
    }
}

/// The engine's invoker: a C function that, called with a script's function and a light
/// userdata pointing at its [`Lists`], calls the function under `handler` (as Redis's
/// `luaCallFunction` does) with the keys and arguments as Lua tables of strings: as the
/// globals `KEYS` and `ARGV` of `globals` when given (EVAL; the function then gets no
/// arguments), else as its two arguments (FCALL). It returns whether the function ran, then
/// its first value or what the handler made of its error.
///
/// Building the two tables through mlua (a registry reference for each string and table,
/// under its lock) measured as a seventh of the CPU of a one-call EVALSHA; so did the
/// closures `Lua::exec_raw` makes on every call. The invoker is the engine's own: scripts
/// never see it, and the engine calls it only with a pointer to [`Lists`] it keeps alive.
pub fn invoker(
    lua: &Lua,
    handler: &Function,
    globals: Option<&mlua::Table>,
) -> mlua::Result<Function> {
    // SAFETY: `exec_raw` runs the closure in a protected call with its two arguments on
    // the stack; they become the new closure's upvalues, and the closure is what is left.
    unsafe {
        lua.exec_raw((handler, globals), |state| {
            ffi::lua_pushcclosure(state, invoke, 2);
        })
    }
}

/// What the invoker hands the script, by pointer.
pub struct Lists<'a> {
    /// The keys.
    pub keys: &'a [&'a [u8]],
    /// The other arguments.
    pub args: &'a [&'a [u8]],
}

unsafe extern "C-unwind" fn invoke(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by the engine only (see `invoker`), with the function at 1 and a light
    // userdata pointing at a `Lists` that outlives the call at 2. The room a C function
    // starts with (20 slots) holds the 7 used here. The function runs in a protected call;
    // a Lua error outside it (none is expected: only pushes of strings and tables) jumps
    // back to the engine's protected call over this frame, which holds only borrowed
    // values, so no destructor is skipped.
    unsafe {
        let lists = &*(ffi::lua_touserdata(state, 2) as *const Lists<'_>);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_pushvalue(state, 1);
        // function, lists, handler (3), function (4)
        push_strings(state, lists.keys);
        push_strings(state, lists.args);
        let globals = ffi::lua_upvalueindex(2);
        let count = if ffi::lua_type(state, globals) == ffi::LUA_TTABLE {
            for (name, index) in [(c"KEYS", 5), (c"ARGV", 6)] {
                ffi::lua_pushstring(state, name.as_ptr());
                ffi::lua_pushvalue(state, index);
                ffi::lua_rawset(state, globals);
            }
            ffi::lua_settop(state, 4);
            0
        } else {
            2
        };
        let ran = ffi::lua_pcall(state, count, 1, 3) == ffi::LUA_OK;
        // handler, value
        ffi::lua_pushboolean(state, c_int::from(ran));
        ffi::lua_replace(state, 3);
        2
    }
}

/// Pushes a Lua array of `items` as strings.
unsafe fn push_strings(state: *mut ffi::lua_State, items: &[&[u8]]) {
    // SAFETY: the caller's: room for two more values.
    unsafe {
        ffi::lua_createtable(state, items.len().try_into().unwrap_or(0), 0);
        for (index, item) in items.iter().enumerate() {
            push_bytes(state, item);
            ffi::lua_rawseti(state, -2, index as ffi::lua_Integer + 1);
        }
    }
}
