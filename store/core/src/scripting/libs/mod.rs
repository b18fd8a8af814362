//! The libraries Redis adds to Lua's: `bit`, `cjson`, `cmsgpack` and `struct`, written
//! here in Rust to behave as Redis's C versions do.

mod bit;
mod cjson;
mod cmsgpack;
mod structs;

use mlua::Lua;

use super::sandbox::Sandbox;

/// Adds every library to a sandbox being set up, each read-only to scripts.
pub fn install(lua: &Lua, sandbox: &Sandbox) -> mlua::Result<()> {
    sandbox.add_library("bit", bit::open(lua)?)?;
    sandbox.add_library("cjson", cjson::open(lua)?)?;
    sandbox.add_library("cmsgpack", cmsgpack::open(lua)?)?;
    sandbox.add_library("struct", structs::open(lua)?)?;
    Ok(())
}
