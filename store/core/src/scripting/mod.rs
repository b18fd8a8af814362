//! Lua scripting as Redis 7.0 runs it: the engine (a Lua 5.1 state with Redis's sandbox,
//! libraries and `redis` API), the cache of EVAL scripts, and the flags a script declares.
//!
//! This layer knows no command: a script's `redis.call` reaches the server through a
//! [`Host`] that the execution layer implements (`exec/script.rs`).

mod api;
mod convert;
mod current;
mod engine;
mod functions;
mod lauxlib;
mod libs;
mod number;
mod raise;
pub mod random;
mod raw_call;
mod register;
mod sandbox;
mod scripts;
mod shebang;
mod stash;

use bytes::BytesMut;
use radish_data::hash::sha1::sha1;
use radish_resp::Version;

pub use api::repl;
pub use current::Interrupt;
pub use engine::{Call, Failure, Written};
pub use functions::{Functions, RestorePolicy};
pub use random::SharedRng;
pub use scripts::{Scripts, ScriptsStats};
pub use shebang::{eval_flags, ScriptFlags};

/// What a running script's commands go through: the execution layer's side of
/// `redis.call`.
pub trait Host {
    /// Runs `args` as Redis's `scriptCall` does, with its checks, writing the reply in
    /// `version` to `out`; `repl` is where its writes propagate (`redis::repl`). Returns the
    /// error text (`-CODE message`, or a message that gets `ERR`) when it refused to run
    /// the command.
    fn call(
        &mut self,
        args: &[&[u8]],
        version: Version,
        repl: u8,
        out: &mut BytesMut,
    ) -> Result<(), Vec<u8>>;

    /// `redis.acl_check_cmd`: whether the user running the script may run `args`; `None`
    /// when no such command exists.
    fn acl_check(&mut self, args: &[&[u8]]) -> Option<bool>;

    /// Asked every so often while the script runs (Redis's `scriptInterrupt`): past
    /// `busy-reply-threshold` it turns busy; true stops it (SCRIPT KILL).
    fn interrupt(&mut self) -> bool;
}

/// SHA-1 of `data` as 40 lowercase hex digits: a script's name.
pub fn sha1_hex(data: &[u8]) -> String {
    let mut hex = String::with_capacity(40);
    for byte in sha1(data) {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests;
