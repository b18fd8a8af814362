//! One Lua state with Redis's sandbox and `redis` API, and running a compiled script or
//! function in it: Redis's `luaCallFunction`.

use std::ffi::c_void;
use std::sync::Arc;

use bytes::BytesMut;

use mlua::{Function, HookTriggers, LightUserData, Lua, Table, Value, VmState};
use radish_resp::Version;

use super::api;
use super::convert::{one_line, ReplyWriter};
use super::current::{Current, Interrupt};
use super::libs;
use super::number;
use super::raise::unwrap_raised;
use super::random::SharedRng;
use super::raw_call;
use super::register;
use super::sandbox::{Sandbox, Sealed, INTERNAL_SOURCE};
use super::Host;

/// How an invocation hands the script its keys and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arguments {
    /// EVAL: as the globals `KEYS` and `ARGV`.
    Globals,
    /// FCALL: as the function's two parameters.
    Parameters,
}

/// How many instructions a script runs between two looks at whether it must stop (Redis's
/// count hook).
const INSTRUCTIONS_PER_CHECK: u32 = 100_000;

/// What a command asks of a script or function: its keys and arguments, and for whom.
pub struct Call<'a> {
    /// The keys it was given.
    pub keys: &'a [&'a [u8]],
    /// The other arguments.
    pub args: &'a [&'a [u8]],
    /// The protocol of the client that called it: what its reply is written in.
    pub caller: Version,
}

/// One run of a script or function.
pub struct Invocation<'a> {
    /// What error replies name it by: the script's SHA-1, or the function's name.
    pub name: &'a str,
    /// How the keys and arguments are handed over.
    pub arguments: Arguments,
    /// The keys, arguments, caller.
    pub call: Call<'a>,
}

/// A run that ended in an error: the error line (without `-` or line end), and whether
/// INFO errorstats counted it already (it is the error reply of a command the script ran).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error line.
    pub line: Vec<u8>,
    /// Already counted.
    pub counted: bool,
}

/// What a run that returned wrote: the error replies inside its reply (a script may
/// return errors, nested in arrays too), each with whether INFO errorstats counted it
/// already. A run with any error counts as a failed call.
pub type Written = Vec<(Vec<u8>, bool)>;

/// Which of Redis's two Lua states an engine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// EVAL's: scripts get KEYS and ARGV as globals; `redis` has the debugger's no-ops.
    Eval,
    /// The functions': libraries register functions while FUNCTION LOAD runs them, with
    /// only the library API in sight (`redis.register_function`, `redis.log`).
    Functions,
}

/// A Lua state set up as Redis sets up its own: the sandbox, the libraries, `redis`.
pub struct Engine {
    lua: Lua,
    sealed: Sealed,
    /// Runs a script with KEYS and ARGV as globals (see `raw_call::invoker`).
    invoke_eval: Function,
    /// Runs a function with its keys and arguments as parameters.
    invoke_function: Function,
    next: Function,
    current: Arc<Current>,
    /// Functions only: what library code sees of the globals while it loads, and the view
    /// that switches between it and the real globals.
    loading: Option<Loading>,
}

/// The globals a function library is loaded with (Redis's `LIBRARY_API`).
struct Loading {
    /// Only `redis`, with `register_function`, `log` and the version.
    api: Table,
    /// The globals libraries are compiled with: the real ones, or `api` while loading.
    view: Table,
    retarget: Function,
    pcall: Function,
}

impl Engine {
    /// A fresh Lua state of `kind` with Redis's libraries; `rng` is the random generator
    /// `math.random` draws from (the server's one, shared by both engines, as in Redis).
    pub fn new(kind: Kind, rng: SharedRng) -> mlua::Result<Engine> {
        // No memory limit is ever set on the state: `raw_call.rs` relies on Lua never
        // failing an allocation (mlua's allocator aborts instead), as mlua itself does.
        let (lua, sandbox) = Sandbox::new()?;
        libs::install(&lua, &sandbox)?;
        let current = Arc::new(Current::default());
        let redis = api::redis_table(&lua, kind == Kind::Eval, &current)?;
        sandbox.add_library("redis", redis.clone())?;
        let math: Table = sandbox.globals.raw_get("math")?;
        api::install_random(&lua, &math, &current)?;
        let tostring: Function = sandbox.globals.raw_get("tostring")?;
        let pcall = sandbox.raw_pcall.clone();
        let is_protected = sandbox.is_protected.clone();
        let handler = lua.create_function(move |lua, error: Value| {
            error_table(lua, &tostring, &is_protected, error)
        })?;
        if kind == Kind::Eval {
            // Redis's handler is a global too; scripts can see (and call) it.
            sandbox
                .globals
                .raw_set("__redis__err__handler", handler.clone())?;
        }
        let mut sealed = sandbox.seal(&lua)?;
        let loading = match kind {
            Kind::Eval => None,
            Kind::Functions => {
                let library_redis = lua.create_table()?;
                library_redis.raw_set("register_function", register::function(&lua)?)?;
                api::add_log_and_version(&lua, &library_redis)?;
                sandbox.guard.call::<()>(&library_redis)?;
                let api = lua.create_table()?;
                api.raw_set("redis", sandbox.protect(library_redis)?)?;
                sandbox.guard.call::<()>(&api)?;
                let api = sandbox.protect(api)?;
                let view: Table = sandbox.switchable.call(&sealed.env)?;
                sealed.env = view.clone();
                Some(Loading {
                    api,
                    view,
                    retarget: sandbox.retarget.clone(),
                    pcall,
                })
            }
        };
        lua.set_app_data(rng);
        watch(&lua, &current)?;
        let invoke_eval = raw_call::invoker(&lua, &handler, Some(&sealed.globals))?;
        let invoke_function = raw_call::invoker(&lua, &handler, None)?;
        Ok(Engine {
            lua,
            sealed,
            invoke_eval,
            invoke_function,
            next: sandbox.raw_next.clone(),
            current,
            loading,
        })
    }

    /// Runs a function library's code (after its shebang line) with the library API as its
    /// globals, as FUNCTION LOAD does, and returns the functions it registered. On failure,
    /// the error (without its `ERR`): `Error compiling function: ...` or `Error registering
    /// functions: ...`.
    pub fn load_library(
        &self,
        code: &[u8],
        timeout: Option<Interrupt>,
    ) -> Result<Vec<register::Registered>, String> {
        let Some(loading) = &self.loading else {
            return Err("function libraries load only in the functions engine".to_string());
        };
        let chunk = self
            .compile("@user_function", code)
            .map_err(|why| format!("Error compiling function: {why}"))?;
        let retarget = |target: &Table| loading.retarget.call::<()>((&loading.view, target));
        let run = || -> mlua::Result<(bool, Value)> {
            retarget(&loading.api)?;
            register::begin(&self.lua);
            let outcome = loading.pcall.call::<(bool, Value)>(chunk);
            retarget(&self.sealed.globals_view)?;
            outcome
        };
        let outcome = self.current.guard_load(timeout, run);
        if self.current.take_stopped() {
            watch(&self.lua, &self.current).map_err(|error| error.to_string())?;
        }
        let registered = register::end(&self.lua);
        let (ok, error) =
            outcome.map_err(|error| format!("Error registering functions: {error}"))?;
        if ok {
            return Ok(registered);
        }
        let message = match unwrap_raised(&self.lua, error).map_err(|e| e.to_string())? {
            Value::String(text) => {
                let mut message = b"ERR ".to_vec();
                message.extend_from_slice(&text.as_bytes());
                message
            }
            Value::Table(table) => match table.raw_get::<Value>("err") {
                Ok(Value::String(err)) => err.as_bytes().to_vec(),
                _ => b"ERR unknown error".to_vec(),
            },
            other => format!("ERR {}", other.type_name()).into_bytes(),
        };
        Err(format!(
            "Error registering functions: {}",
            String::from_utf8_lossy(&message)
        ))
    }

    /// Compiles `code` as chunk `name` (`@user_script`...), in the sandbox's globals.
    /// Returns Lua's message on a syntax error.
    pub fn compile(&self, name: &str, code: &[u8]) -> Result<Function, String> {
        if code.first() == Some(&0x1b) {
            // Redis's Lua reads precompiled chunks as text, where ESC is a stray symbol: so
            // does another control character in its place, which makes the same message.
            let mut text = code.to_vec();
            text[0] = 0x01;
            return match self.compile(name, &text) {
                Ok(_) => Err(format!(
                    "{}:1: unexpected symbol near 'char(27)'",
                    &name[1..]
                )),
                Err(message) => Err(message.replacen("char(1)", "char(27)", 1)),
            };
        }
        self.lua
            .load(code)
            .set_name(name)
            .set_mode(mlua::ChunkMode::Text)
            .set_environment(self.sealed.env.clone())
            .into_function()
            .map_err(|error| match error {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Bytes the Lua state uses (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Runs `function` for `invocation`, its commands going through `host`, and writes its
    /// reply to `out` (what Redis's `luaCallFunction` replies), or returns the error it
    /// ended with.
    pub fn run(
        &self,
        function: &Function,
        invocation: &Invocation<'_>,
        host: &mut dyn Host,
        out: &mut BytesMut,
    ) -> Result<Written, Failure> {
        self.try_run(function, invocation, host, out)
            .unwrap_or_else(|error| {
                Err(Failure {
                    line: format!(
                        "ERR Error running script {}, {:.100}",
                        invocation.name,
                        error.to_string()
                    )
                    .into_bytes(),
                    counted: false,
                })
            })
    }

    fn try_run(
        &self,
        function: &Function,
        invocation: &Invocation<'_>,
        host: &mut dyn Host,
        out: &mut BytesMut,
    ) -> mlua::Result<Result<Written, Failure>> {
        let lua = &self.lua;
        let call = &invocation.call;
        let lists = raw_call::Lists {
            keys: call.keys,
            args: call.args,
        };
        let pointer = LightUserData(&lists as *const raw_call::Lists<'_> as *mut c_void);
        let invoker = match invocation.arguments {
            Arguments::Globals => &self.invoke_eval,
            Arguments::Parameters => &self.invoke_function,
        };
        let (results, settings) = self.current.lend(host, || {
            // Whether it ran, then the script's first value or the error (later values are
            // dropped, as Redis keeps one).
            invoker.call::<(bool, Value)>((function, pointer))
        });
        if self.current.take_stopped() {
            // Killed: the hook raised at every line; back to looking every so often.
            watch(lua, &self.current)?;
        }
        let (ok, value) = results?;
        if ok {
            let start = out.len();
            let mut writer = ReplyWriter {
                out,
                caller: call.caller,
                script: settings.version,
                errors: Vec::new(),
                next: self.next.clone(),
            };
            let written = writer.write(lua, value);
            let errors = std::mem::take(&mut writer.errors);
            if let Err(error) = written {
                // No half-written reply: the caller gets the error alone.
                out.truncate(start);
                return Err(error);
            }
            return Ok(Ok(errors));
        }
        Ok(Err(failure(invocation.name, &value)?))
    }
}

/// Asks the running invocation's [`Interrupt`] every [`INSTRUCTIONS_PER_CHECK`] instructions,
/// in every coroutine too. Once it says stop, the script gets Redis's kill error (a library
/// being loaded, FUNCTION LOAD's timeout error) at every line from then on, so that `pcall`
/// cannot keep it alive.
fn watch(lua: &Lua, current: &Arc<Current>) -> mlua::Result<()> {
    let current = current.clone();
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(INSTRUCTIONS_PER_CHECK),
        move |lua, _| {
            if !current.should_stop() {
                return Ok(VmState::Continue);
            }
            let text: &'static [u8] = match current.loading() {
                true => b"FUNCTION LOAD timeout",
                false => b"Script killed by user with SCRIPT KILL...",
            };
            current.stopped();
            let stop = move || super::raise::Raise::reply(text, false).into_lua_error();
            lua.set_global_hook(HookTriggers::EVERY_LINE, move |_, _| Err(stop()))?;
            Err(stop())
        },
    )
}

/// The error handler scripts run under (Redis's `__redis__err__handler`): the error as a
/// table with `err` (`ERR <message>` for a plain error), plus `source` and `line` of where
/// it happened: the function that raised it, or its caller when that is a C function (the
/// sandbox's own frames do not count).
fn error_table(
    lua: &Lua,
    tostring: &Function,
    is_protected: &Function,
    error: Value,
) -> mlua::Result<Table> {
    let table = match unwrap_raised(lua, error)? {
        Value::Table(table) if is_protected.call::<bool>(&table)? => {
            // Redis's handler fails writing the location into a read-only table, and
            // handles that error in turn: at line 10 of its own chunk.
            let table = lua.create_table()?;
            table.raw_set(
                "err",
                "ERR err_handler_def:10: Attempt to modify a readonly table",
            )?;
            table.raw_set("source", "@err_handler_def")?;
            table.raw_set("line", 10)?;
            return Ok(table);
        }
        Value::Table(table) => table,
        other => {
            let text: mlua::String = tostring.call(other)?;
            let mut err = b"ERR ".to_vec();
            err.extend_from_slice(&text.as_bytes());
            let table = lua.create_table()?;
            table.raw_set("err", lua.create_string(err)?)?;
            table
        }
    };
    if let Some((source, line)) = error_location(lua) {
        table.raw_set("source", lua.create_string(source)?)?;
        table.raw_set("line", line)?;
    }
    Ok(table)
}

/// Where an error happened, seen from its handler (level 0).
fn error_location(lua: &Lua) -> Option<(String, i64)> {
    let frame = |level: usize| {
        lua.inspect_stack(level, |debug| {
            let source = debug.source();
            (
                source.source.as_deref().unwrap_or("").to_string(),
                source.what.to_string(),
                debug.current_line().map_or(-1, |line| line as i64),
            )
        })
    };
    let mut level = 1;
    if frame(level)?.1 == "C" {
        level += 1;
    }
    let mut skipped = false;
    loop {
        let (source, what, line) = frame(level)?;
        // The invoker itself, the bottom frame: the error was raised by a C function the
        // invoker called directly (a function registered as `redis.log` itself), where Redis
        // finds no frame above it.
        if what == "C" && frame(level + 1).is_none() {
            return None;
        }
        match source.as_str() {
            INTERNAL_SOURCE => {
                level += 1;
                skipped = true;
            }
            // The script's frame was replaced by a tail call: Redis has no frame to name
            // either, and replies without a location.
            "=(tail call)" => return None,
            // Past the engine's own frames to the C function that runs them: the error was
            // raised by a C function the engine called directly (a function registered as
            // `redis.log` itself), where Redis finds no frame above it.
            _ if skipped && what == "C" => return None,
            _ => return Some((source, line)),
        }
    }
}

/// The error reply for what the handler returned: `<err> script: <name>, on
/// <source>:<line>.` (Redis's luaCallFunction).
fn failure(name: &str, value: &Value) -> mlua::Result<Failure> {
    let Value::Table(table) = value else {
        let text = match value {
            Value::String(text) => text.to_string_lossy(),
            _ => "execution failure".to_string(),
        };
        let line = format!("ERR Error running script {name}, {text:.100}");
        return Ok(Failure {
            line: one_line(line.as_bytes()),
            counted: false,
        });
    };
    let mut line = match table.raw_get::<Value>("err")? {
        Value::String(err) => err.as_bytes().to_vec(),
        Value::Integer(err) => number::lua_number_text(err as f64).into_bytes(),
        Value::Number(err) => number::lua_number_text(err).into_bytes(),
        _ => b"(null)".to_vec(),
    };
    let source = table.raw_get::<Value>("source")?;
    let at = table.raw_get::<Value>("line")?;
    if let (Some(source), Some(at)) = (text_of(&source), text_of(&at)) {
        line.extend_from_slice(b" script: ");
        line.extend_from_slice(name.as_bytes());
        line.extend_from_slice(b", on ");
        line.extend_from_slice(&source);
        line.push(b':');
        line.extend_from_slice(&at);
        line.push(b'.');
    }
    let counted = matches!(
        table.raw_get::<Value>("ignore_error_stats_update")?,
        Value::Boolean(true)
    );
    Ok(Failure {
        line: one_line(&line),
        counted,
    })
}

/// A string or number field as text (`lua_isstring`).
fn text_of(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.as_bytes().to_vec()),
        Value::Integer(n) => Some(number::lua_number_text(*n as f64).into_bytes()),
        Value::Number(n) => Some(number::lua_number_text(*n).into_bytes()),
        _ => None,
    }
}
