//! The sandbox scripts run in, as Redis 7.0's: read-only globals and library tables, no
//! file or OS access, and Redis's exact errors for reading an undefined global and for
//! writing to a protected table.
//!
//! Redis patches its Lua to mark tables read-only. Radish runs stock Lua 5.1, so each
//! protected table is reached through a proxy: an empty table whose reads fall through to
//! the real one and whose writes fail. The few base functions that bypass metatables
//! (`rawset`, `rawget`, `next`, `pairs`, `setmetatable`, `getmetatable`, `table.insert`) are wrapped to see through proxies or refuse them, so that scripts
//! observe what they observe in Redis. The wrappers are Lua functions in a chunk of their own
//! ([`INTERNAL_SOURCE`]); the error handler skips their frames when it reports where an error
//! happened.

use mlua::{Function, Lua, StdLib, Table, Value};

use super::raise::unwrap_raised;

/// The chunk name of the sandbox's own Lua code: frames from it are not the script's.
pub const INTERNAL_SOURCE: &str = "=radish";

/// The globals a script may see, beyond the libraries the engine adds: the base library
/// minus `print`, `dofile` and `loadfile` (Redis's allow lists), and minus `getfenv`,
/// `setfenv` and `newproxy`, which the Redis 7.0 builds users run (with the later security
/// fixes) no longer have.
const BUILTINS: &[&str] = &[
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
    "string",
    "table",
    "math",
];

/// The sandbox's Lua side. It receives the real globals and two Rust helpers, wraps the
/// base functions that bypass metatables, and returns its tools: `protect` (makes the
/// read-only proxy of a table), `seal` (protects the globals once everything is in place),
/// `is_protected`, `guard` (reading a missing field fails), and `switchable`/`retarget` (a
/// read-only view whose target changes).
const SANDBOX_LUA: &str = r#"
local globals, raised_value, pcall_error = ...
local type, error, tostring, tonumber, select = type, error, tostring, tonumber, select
local raw_setmetatable, raw_getmetatable, concat = setmetatable, getmetatable, table.concat
local raw_pcall, raw_next = pcall, next

local READONLY = 'Attempt to modify a readonly table'

-- proxy -> real table, real table -> proxy, and every table scripts may not change.
local real_of, proxy_of, protected = {}, {}, {}
-- What getmetatable shows of a proxy: false for none, else a protected view.
local metatable_view = {}

local function readonly() error(READONLY, 2) end

local function protect(real)
  local proxy = proxy_of[real]
  if proxy then return proxy end
  proxy = {}
  raw_setmetatable(proxy, { __index = real, __newindex = readonly })
  real_of[proxy], proxy_of[real] = real, proxy
  protected[proxy], protected[real] = true, true
  metatable_view[proxy] = false
  return proxy
end

-- Makes reading a missing field of `t` fail as reading an undefined global does.
local function guard(t)
  raw_setmetatable(t, { __index = function(_, name)
    local kind = type(name)
    if kind ~= 'string' and kind ~= 'number' then
      error('Second argument to luaProtectedTableError must be a string or number', 0)
    end
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end })
end

local function seal(env)
  guard(globals)
  metatable_view[env] = protect(raw_getmetatable(globals))
end

do
  local rawset = rawset
  globals.rawset = function(t, ...)
    if protected[t] then error(READONLY, 0) end
    return rawset(t, ...)
  end
end

do
  local rawget = rawget
  globals.rawget = function(t, ...)
    return rawget(real_of[t] or t, ...)
  end
end

do
  local next, pairs = next, pairs
  local function proxied_next(t, ...)
    return next(real_of[t] or t, ...)
  end
  globals.next = proxied_next
  globals.pairs = function(...)
    pairs(...)
    local t = ...
    return proxied_next, t, nil
  end
end

do
  local setmetatable = setmetatable
  globals.setmetatable = function(t, ...)
    if protected[t] then
      local metatable = ...
      if metatable == nil or type(metatable) == 'table' then error(READONLY, 0) end
    end
    return setmetatable(t, ...)
  end
end

do
  local getmetatable = getmetatable
  local string_metatable = getmetatable('')
  globals.getmetatable = function(...)
    local t = ...
    local view = metatable_view[t]
    if view ~= nil then return view or nil end
    if type(t) == 'string' then return metatable_view[string_metatable] end
    return getmetatable(...)
  end
  string_metatable.__index = protect(string_metatable.__index)
  metatable_view[string_metatable] = protect(string_metatable)
end

do
  local insert = table.insert
  table.insert = function(t, ...)
    local n = select('#', ...)
    if protected[t] and (n == 1 or n == 2) then error(READONLY, 0) end
    return insert(t, ...)
  end
end

do
  local pcall = pcall
  local function finish(ok, ...)
    if ok then return true, ... end
    return false, pcall_error((...))
  end
  globals.pcall = function(...)
    return finish(pcall(...))
  end
end

do
  local xpcall = xpcall
  globals.xpcall = function(f, handler, ...)
    if handler == nil then return xpcall(f, handler, ...) end
    return xpcall(f, function(e) return handler(raised_value(e)) end)
  end
end

do
  local resume = coroutine.resume
  local function finish(ok, ...)
    if ok then return true, ... end
    return false, raised_value((...))
  end
  coroutine.resume = function(...)
    return finish(resume(...))
  end
end

do
  -- Redis's Lua reads every chunk as text: precompiled chunks do not load.
  local loadstring = loadstring
  local function text_only(source, name)
    if type(source) == 'string' and source:byte(1) == 27 then
      local chunk, message = loadstring('\1' .. source:sub(2), name or source)
      return chunk, message and (message:gsub('char%(1%)', 'char(27)', 1))
    end
    return loadstring(source, name)
  end
  globals.loadstring = text_only
  local load = load
  globals.load = function(reader, name)
    if type(reader) ~= 'function' then return load(reader, name) end
    local pieces = {}
    while true do
      local piece = reader()
      if piece == nil or piece == '' then break end
      if type(piece) ~= 'string' then return nil, 'reader function must return a string' end
      pieces[#pieces + 1] = piece
    end
    return text_only(concat(pieces), name or '=(load)')
  end
end

local function is_protected(t)
  return protected[t] == true
end

-- A read-only view whose reads go to `target`, which `retarget` changes: the globals of
-- function libraries, which see only the library API while FUNCTION LOAD runs them.
local function switchable(target)
  local proxy = {}
  raw_setmetatable(proxy, { __index = target, __newindex = readonly })
  real_of[proxy] = real_of[target] or target
  protected[proxy] = true
  metatable_view[proxy] = false
  return proxy
end

local function retarget(proxy, target)
  raw_getmetatable(proxy).__index = target
  real_of[proxy] = real_of[target] or target
end

return {
  protect = protect, seal = seal, is_protected = is_protected, pcall = raw_pcall, next = raw_next,
  guard = guard, switchable = switchable, retarget = retarget,
}
"#;

/// A Lua state's sandbox being set up: its real globals, and the function that makes a
/// table's read-only proxy.
pub struct Sandbox {
    /// The real globals table: scripts read it through a proxy and cannot change it.
    pub globals: Table,
    /// Whether a table is one scripts may not change.
    pub is_protected: Function,
    /// Makes reading a missing field of a table fail like reading an undefined global.
    pub guard: Function,
    /// Makes a read-only view of a table, whose target [`Sandbox::retarget`] changes.
    pub switchable: Function,
    /// Points a view made by `switchable` at another table.
    pub retarget: Function,
    /// Lua's own `pcall` (scripts get a wrapped one).
    pub raw_pcall: Function,
    /// Lua's own `next` (scripts get one that sees through proxies).
    pub raw_next: Function,
    protect: Function,
}

impl Sandbox {
    /// A fresh Lua state with the libraries Redis loads and the sandbox's wrappers in place.
    /// Call [`Sandbox::add_library`] for the engine's libraries, then [`Sandbox::seal`].
    pub fn new() -> mlua::Result<(Lua, Sandbox)> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            mlua::LuaOptions::default(),
        )?;
        let globals = lua.globals();
        let names: Vec<Value> = globals
            .pairs::<Value, Value>()
            .map(|pair| pair.map(|(name, _)| name))
            .collect::<mlua::Result<_>>()?;
        for name in names {
            let keep = match &name {
                Value::String(name) => BUILTINS.contains(&&*name.to_str()?),
                _ => false,
            };
            if !keep {
                globals.raw_set(name, Value::Nil)?;
            }
        }
        let raised_value = lua.create_function(|lua, value: Value| unwrap_raised(lua, value))?;
        let pcall_error = lua.create_function(|lua, value: Value| {
            // Redis's `pcall` gives the message of a `{err=...}` error, not the table.
            let value = unwrap_raised(lua, value)?;
            if let Value::Table(table) = &value {
                if let Value::String(err) = table.raw_get::<Value>("err")? {
                    return Ok(Value::String(err));
                }
            }
            Ok(value)
        })?;
        let tools: Table = lua.load(SANDBOX_LUA).set_name(INTERNAL_SOURCE).call((
            globals.clone(),
            raised_value,
            pcall_error,
        ))?;
        let tool = |name: &str| tools.raw_get::<Function>(name);
        let (protect, is_protected) = (tool("protect")?, tool("is_protected")?);
        let raw_pcall = tool("pcall")?;
        let raw_next = tool("next")?;
        let (guard, switchable, retarget) =
            (tool("guard")?, tool("switchable")?, tool("retarget")?);
        lua.set_named_registry_value("radish.seal", tool("seal")?)?;
        Ok((
            lua,
            Sandbox {
                globals,
                is_protected,
                guard,
                switchable,
                retarget,
                raw_pcall,
                raw_next,
                protect,
            },
        ))
    }

    /// Adds a library table under `name`, read-only to scripts.
    pub fn add_library(&self, name: &str, library: Table) -> mlua::Result<()> {
        self.globals.raw_set(name, self.protect(library)?)
    }

    /// The read-only proxy of `table`.
    pub fn protect(&self, table: Table) -> mlua::Result<Table> {
        self.protect.call(table)
    }

    /// Protects what is in the globals once the libraries are in: the standard library
    /// tables, the globals themselves (reads of an undefined name fail, as in Redis), and
    /// makes the proxy of the globals what scripts and new threads see as their globals.
    pub fn seal(&self, lua: &Lua) -> mlua::Result<Sealed> {
        for name in ["string", "table", "math", "coroutine"] {
            let library: Table = self.globals.raw_get(name)?;
            self.globals.raw_set(name, self.protect(library)?)?;
        }
        let env = self.protect(self.globals.clone())?;
        self.globals.raw_set("_G", env.clone())?;
        let seal: Function = lua.named_registry_value("radish.seal")?;
        seal.call::<()>(env.clone())?;
        lua.set_globals(env.clone())?;
        Ok(Sealed {
            globals: self.globals.clone(),
            globals_view: env.clone(),
            env,
        })
    }
}

/// A sealed sandbox: its real globals (where KEYS and ARGV go) and their read-only proxy.
#[derive(Clone)]
pub struct Sealed {
    /// The real globals.
    pub globals: Table,
    /// The read-only proxy of the globals.
    pub globals_view: Table,
    /// What scripts are compiled with as their globals: `globals_view`, or for function
    /// libraries a view that FUNCTION LOAD points elsewhere while it runs them.
    pub env: Table,
}
