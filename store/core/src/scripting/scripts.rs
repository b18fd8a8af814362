//! The EVAL scripts: one Lua state, and the cache of compiled scripts by SHA-1, kept until
//! SCRIPT FLUSH (Redis's `lctx`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use foldhash::fast::FixedState;
use mlua::Function;

use super::engine::{Arguments, Call, Engine, Failure, Invocation, Kind, Written};
use super::random::SharedRng;
use super::shebang::{eval_flags, ScriptFlags};
use super::{sha1_hex, Host};

/// A script's name: its SHA-1 in lower-case hex.
pub type Sha = [u8; 40];

/// A cached script.
pub struct Script {
    /// What its shebang declared.
    pub flags: ScriptFlags,
    sha: Sha,
    function: Function,
}

impl Script {
    /// Its SHA-1, as EVALSHA names it.
    pub fn sha(&self) -> &str {
        // Made of hex digits only.
        std::str::from_utf8(&self.sha).unwrap_or_default()
    }
}

/// The EVAL engine and its script cache.
pub struct Scripts {
    engine: Engine,
    // foldhash rather than SipHash: looked up on every EVALSHA, with keys the server made.
    cache: HashMap<Sha, Script, FixedState>,
    /// Bytes of the cached bodies and their names (INFO's `used_memory_scripts_eval`).
    memory: usize,
    rng: SharedRng,
}

/// Roughly what Redis allocates per cached script besides its body and name: the dict
/// entry and the script record.
const SCRIPT_OVERHEAD: usize = 64;

impl Scripts {
    /// A fresh engine with an empty cache, drawing random numbers from `rng`.
    pub fn new(rng: SharedRng) -> Scripts {
        Scripts {
            engine: new_engine(rng.clone()),
            cache: HashMap::default(),
            memory: 0,
            rng,
        }
    }

    /// Compiles and caches `body` unless it is cached already (Redis's
    /// `luaCreateFunction`); returns its SHA-1. On failure, the error line: a shebang error,
    /// or `Error compiling script (new function): ...`.
    pub fn create(&mut self, body: &[u8]) -> Result<Sha, String> {
        let mut sha = [0u8; 40];
        sha.copy_from_slice(sha1_hex(body).as_bytes());
        if self.cache.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, shebang_len) = eval_flags(body).map_err(|why| format!("ERR {why}"))?;
        let function = self
            .engine
            .compile("@user_script", &body[shebang_len..])
            .map_err(|why| format!("ERR Error compiling script (new function): {why}"))?;
        self.memory += sha.len() + body.len() + SCRIPT_OVERHEAD;
        self.cache.insert(
            sha,
            Script {
                flags,
                sha,
                function,
            },
        );
        Ok(sha)
    }

    /// The cached script named `sha` (any case).
    pub fn get(&self, sha: &[u8]) -> Option<&Script> {
        let mut key: Sha = sha.try_into().ok()?;
        key.make_ascii_lowercase();
        self.cache.get(&key)
    }

    /// Whether `sha` (any case) is cached.
    pub fn contains(&self, sha: &[u8]) -> bool {
        self.get(sha).is_some()
    }

    /// SCRIPT FLUSH: forgets every script and starts a new Lua state (`math.random` goes on
    /// where it was: the generator is the server's).
    pub fn flush(&mut self) {
        self.engine = new_engine(self.rng.clone());
        self.cache.clear();
        self.memory = 0;
    }

    /// Runs a cached script for `call`, writing its reply in the caller's protocol to
    /// `out`.
    pub fn run(
        &self,
        script: &Script,
        call: Call<'_>,
        host: &mut dyn Host,
        out: &mut BytesMut,
    ) -> Result<Written, Failure> {
        let invocation = Invocation {
            name: script.sha(),
            arguments: Arguments::Globals,
            call,
        };
        self.engine.run(&script.function, &invocation, host, out)
    }

    /// Number of cached scripts.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Bytes the cached scripts take besides the Lua state.
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Bytes the Lua state uses.
    pub fn lua_memory(&self) -> usize {
        self.engine.used_memory()
    }
}

impl std::fmt::Debug for Scripts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripts")
            .field("scripts", &self.cache.len())
            .field("memory", &self.memory)
            .finish()
    }
}

fn new_engine(rng: SharedRng) -> Engine {
    // Building the state runs only the engine's own code: a failure is a bug, not input.
    Engine::new(Kind::Eval, rng).expect("the Lua engine starts")
}

/// What INFO reports of the EVAL scripts, as of the last time their lock was released: INFO
/// reads it instead of taking the lock, which a script calling INFO holds already.
#[derive(Debug, Default)]
pub struct ScriptsStats {
    count: AtomicUsize,
    memory: AtomicUsize,
    lua_memory: AtomicUsize,
}

impl ScriptsStats {
    /// Records what `scripts` holds now.
    pub fn publish(&self, scripts: &Scripts) {
        self.count.store(scripts.len(), Ordering::Relaxed);
        self.memory.store(scripts.memory(), Ordering::Relaxed);
        self.lua_memory
            .store(scripts.lua_memory(), Ordering::Relaxed);
    }

    /// Number of cached scripts.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Bytes of the cached bodies and their names.
    pub fn memory(&self) -> usize {
        self.memory.load(Ordering::Relaxed)
    }

    /// Bytes the EVAL Lua state uses.
    pub fn lua_memory(&self) -> usize {
        self.lua_memory.load(Ordering::Relaxed)
    }
}
