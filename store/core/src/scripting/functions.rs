//! Function libraries (Redis 7's FUNCTION): their own Lua state, the libraries loaded in
//! it, and the functions they registered, by name.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use mlua::Function;
use radish_resp::split_inline;

use super::current::Interrupt;
use super::engine::{Arguments, Call, Engine, Failure, Invocation, Kind, Written};
use super::random::SharedRng;
use super::register::{valid_name, NAME_RULES};
use super::shebang::ScriptFlags;
use super::Host;

/// A registered function.
pub struct FunctionInfo {
    /// Its name.
    pub name: String,
    /// The description it was registered with.
    pub description: Option<Bytes>,
    /// Its flags.
    pub flags: ScriptFlags,
    function: Function,
}

/// A loaded library.
pub struct Library {
    /// Its name (from its `#!lua name=` line).
    pub name: String,
    /// Its code, shebang line included, as loaded.
    pub code: Bytes,
    /// Its functions, in the order it registered them.
    pub functions: Vec<FunctionInfo>,
}

/// What FUNCTION RESTORE does with the libraries already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Adds the payload's libraries; a name already there aborts.
    Append,
    /// Adds them, replacing libraries of the same name.
    Replace,
    /// Drops every library first.
    Flush,
}

/// The functions engine and its libraries.
pub struct Functions {
    engine: Engine,
    libraries: IndexMap<String, Library>,
    /// Function name, lowercased → the library holding it and the name as registered.
    /// Function names are case-insensitive across libraries, as in Redis (inside one library
    /// they are not: of two names there differing only in case, the first registered is
    /// found here).
    owners: HashMap<String, (String, String)>,
    rng: SharedRng,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Functions")
            .field("libraries", &self.libraries.len())
            .field("functions", &self.function_count())
            .finish()
    }
}

impl Functions {
    /// A fresh engine without libraries, drawing random numbers from `rng`.
    pub fn new(rng: SharedRng) -> Functions {
        Functions {
            engine: new_engine(rng.clone()),
            libraries: IndexMap::new(),
            owners: HashMap::new(),
            rng,
        }
    }

    /// FUNCTION LOAD: compiles `code` (`#!lua name=<library>` then Lua), runs it to
    /// register its functions, and adds the library (in place of one of the same name if
    /// `replace`). `timeout`, asked as the code runs, stops it with Redis's `FUNCTION LOAD
    /// timeout` error. Returns the library's name, or the error line.
    pub fn load(
        &mut self,
        code: &[u8],
        replace: bool,
        timeout: Option<Interrupt>,
    ) -> Result<String, String> {
        let (name, body) = library_metadata(code).map_err(|why| format!("ERR {why}"))?;
        let old = match self.libraries.contains_key(&name) {
            true if !replace => return Err(format!("ERR Library '{name}' already exists")),
            true => self.unlink(&name),
            false => None,
        };
        let loaded = self
            .engine
            .load_library(body, timeout)
            .and_then(|registered| {
                if registered.is_empty() {
                    return Err("No functions registered".to_string());
                }
                if let Some(taken) = registered
                    .iter()
                    .find(|f| self.owners.contains_key(&f.name.to_ascii_lowercase()))
                {
                    return Err(format!("Function {} already exists", taken.name));
                }
                Ok(registered)
            });
        match loaded {
            Ok(registered) => {
                let functions = registered
                    .into_iter()
                    .map(|f| FunctionInfo {
                        name: f.name,
                        description: f.description,
                        flags: f.flags,
                        function: f.function,
                    })
                    .collect();
                self.link(Library {
                    name: name.clone(),
                    code: Bytes::copy_from_slice(code),
                    functions,
                });
                Ok(name)
            }
            Err(why) => {
                if let Some(old) = old {
                    self.link(old);
                }
                Err(format!("ERR {why}"))
            }
        }
    }

    /// FUNCTION DELETE: drops a library; false if there is none of that name.
    pub fn delete(&mut self, name: &[u8]) -> bool {
        let name = String::from_utf8_lossy(name);
        self.unlink(&name).is_some()
    }

    /// FUNCTION FLUSH: drops every library and starts a new Lua state.
    pub fn flush(&mut self) {
        self.engine = new_engine(self.rng.clone());
        self.libraries.clear();
        self.owners.clear();
    }

    /// The function named `name`, in any case.
    pub fn get(&self, name: &[u8]) -> Option<&FunctionInfo> {
        let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let (library, registered) = self.owners.get(&name)?;
        self.libraries[library]
            .functions
            .iter()
            .find(|f| f.name == *registered)
    }

    /// Every library, in the order they were loaded.
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    /// Number of libraries.
    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    /// Number of functions, as the libraries count them.
    pub fn function_count(&self) -> usize {
        self.libraries.values().map(|l| l.functions.len()).sum()
    }

    /// Bytes the libraries' code and records take besides the Lua state (INFO's
    /// `used_memory_functions`).
    pub fn memory(&self) -> usize {
        const RECORD: usize = 64;
        self.libraries
            .values()
            .map(|library| {
                library.name.len()
                    + library.code.len()
                    + RECORD
                    + library
                        .functions
                        .iter()
                        .map(|f| {
                            f.name.len() + f.description.as_ref().map_or(0, Bytes::len) + RECORD
                        })
                        .sum::<usize>()
            })
            .sum()
    }

    /// Bytes the Lua state uses.
    pub fn lua_memory(&self) -> usize {
        self.engine.used_memory()
    }

    /// FCALL: runs function `name` with `keys` and `args`, writing its reply for a caller
    /// reading `caller` RESP.
    pub fn run(
        &self,
        name: &[u8],
        call: Call<'_>,
        host: &mut dyn Host,
        out: &mut BytesMut,
    ) -> Result<Written, Failure> {
        let Some(function) = self.get(name) else {
            return Err(Failure {
                line: b"ERR Function not found".to_vec(),
                counted: false,
            });
        };
        let invocation = Invocation {
            name: &function.name,
            arguments: Arguments::Parameters,
            call,
        };
        self.engine.run(&function.function, &invocation, host, out)
    }

    /// FUNCTION RESTORE: adds the libraries whose `codes` a payload held, by `policy`,
    /// each loaded within `timeout` as FUNCTION LOAD would. All or nothing: a library that
    /// fails to load, or a clash, changes nothing.
    pub fn restore(
        &mut self,
        codes: Vec<Bytes>,
        policy: RestorePolicy,
        timeout: impl Fn() -> Option<Interrupt>,
    ) -> Result<(), String> {
        // Load them in a scratch engine first: a bad library leaves everything as it was.
        let mut scratch = Functions::new(self.rng.clone());
        for code in &codes {
            scratch.load(code, false, timeout())?;
        }
        if policy == RestorePolicy::Flush {
            self.flush();
        } else {
            for name in scratch.libraries.keys() {
                if self.libraries.contains_key(name) && policy == RestorePolicy::Append {
                    return Err(format!("ERR Library {name} already exists"));
                }
            }
            let replaced: Vec<&String> = scratch
                .libraries
                .keys()
                .filter(|name| self.libraries.contains_key(*name))
                .collect();
            for (function, (_, registered)) in &scratch.owners {
                let clash = self
                    .owners
                    .get(function)
                    .is_some_and(|(owner, _)| !replaced.contains(&owner));
                if clash {
                    return Err(format!("ERR Function {registered} already exists"));
                }
            }
        }
        // Loaded once already: no time budget the second time.
        for code in &codes {
            self.load(code, true, None)?;
        }
        Ok(())
    }

    fn link(&mut self, library: Library) {
        for function in &library.functions {
            self.owners
                .entry(function.name.to_ascii_lowercase())
                .or_insert_with(|| (library.name.clone(), function.name.clone()));
        }
        self.libraries.insert(library.name.clone(), library);
    }

    fn unlink(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.shift_remove(name)?;
        self.owners.retain(|_, (owner, _)| *owner != library.name);
        Some(library)
    }
}

/// A library's name and the code after its shebang line (from its line break on, so that
/// line numbers do not move), as Redis's `functionExtractLibMetaData` reads them.
fn library_metadata(code: &[u8]) -> Result<(String, &[u8]), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("Invalid library metadata")?;
    let parts = match split_inline(&Bytes::copy_from_slice(&code[..end])) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(&parts[0][2..]).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let name = name.ok_or("Library name was not given")?;
    if !valid_name(name.as_bytes()) {
        return Err(NAME_RULES.into());
    }
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("Engine '{engine}' not found"));
    }
    Ok((name, &code[end..]))
}

fn new_engine(rng: SharedRng) -> Engine {
    // Building the state runs only the engine's own code: a failure is a bug, not input.
    Engine::new(Kind::Functions, rng).expect("the Lua engine starts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_metadata_reads_as_redis_reads_it() {
        assert_eq!(
            library_metadata(b"#!lua name=mylib\nreturn 1"),
            Ok(("mylib".to_string(), &b"\nreturn 1"[..]))
        );
        assert_eq!(
            library_metadata(b"return 1"),
            Err("Missing library metadata".to_string())
        );
        assert_eq!(
            library_metadata(b"#!lua name=x"),
            Err("Invalid library metadata".to_string())
        );
        assert_eq!(
            library_metadata(b"#!lua\n"),
            Err("Library name was not given".to_string())
        );
        assert_eq!(
            library_metadata(b"#!lua name=a NAME=b\n"),
            Err("Invalid metadata value, name argument was given multiple times".to_string())
        );
        assert_eq!(
            library_metadata(b"#!lua foo=bar\n"),
            Err("Invalid metadata value given: foo=bar".to_string())
        );
        assert_eq!(
            library_metadata(b"#!python name=x\n"),
            Err("Engine 'python' not found".to_string())
        );
    }
}
