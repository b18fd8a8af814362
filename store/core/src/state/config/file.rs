//! Reading the configuration as redis-server 7.0 does: an optional config file, then
//! `--directive value` arguments appended to it as more lines; `include`, `rename-command`
//! and the directives radish refuses (`loadmodule`, `user`, `sentinel ...`).

use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use radish_data::glob::glob_match;
use radish_resp::split_inline;

use super::params::{Kind, Special, MULTI_ARG, PARAMS};
use super::values::{repr, strerror};
use super::{lookup, Config};
use crate::state::REDIS_VERSION;

/// Directives Redis 7.0 no longer has but still accepts (with one argument) and ignores.
const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// How deep `include` may nest; deeper is surely a file including itself.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Whether a name is a command of the server, for `rename-command`.
pub(crate) type IsCommand<'a> = &'a dyn Fn(&str) -> bool;

/// What one load (a config file with its includes and the command line) keeps track of.
struct LoadState<'a> {
    /// A `save` line was read: the later ones add rules instead of replacing the defaults.
    save_seen: bool,
    /// How many `include`s deep we are.
    depth: usize,
    /// The server's commands, which `rename-command` may rename.
    is_command: IsCommand<'a>,
}

/// Why a line is refused.
enum LineError {
    /// The reason, to show with the line it is about.
    Line(String),
    /// A complete fatal message already (from an included file).
    Fatal(String),
}

/// Redis's fatal config error text for line `number`.
fn fatal(number: usize, line: &str, why: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\nReading the configuration \
         file, at line {number}\n>>> '{line}'\n{why}"
    )
}

impl Config {
    /// Builds a configuration the way redis-server reads its command line: an optional config
    /// file path first, then `--directive value...` arguments, which are appended to the
    /// file's text as lines and so win over it (`-` as the first or last argument also reads
    /// the configuration from standard input). Errors are Redis's fatal messages.
    pub(crate) fn load_args<I: IntoIterator<Item = String>>(
        args: I,
        is_command: IsCommand<'_>,
    ) -> Result<Config, String> {
        let args: Vec<String> = args.into_iter().collect();
        if args.iter().any(|arg| arg == "--sentinel") {
            return Err("Sentinel mode is not supported by this server".to_string());
        }
        let mut config = Config::default();
        let mut text = String::new();
        let mut first_option = 0;
        if let Some(path) = args.first().filter(|first| !first.starts_with('-')) {
            text = read_file(Path::new(path))?;
            // Absolute, as Redis keeps it, for INFO and CONFIG REWRITE.
            let absolute = std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path));
            config.config_file = Some(absolute.to_string_lossy().into_owned());
            first_option = 1;
        }
        let (options, from_stdin) = command_line_options(&args, first_option);
        if from_stdin {
            text.push_str(
                &std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("Fatal error, can't read config from stdin: {e}"))?,
            );
        }
        text.push('\n');
        text.push_str(&options);
        config.load_text(&text, is_command)?;
        Ok(config)
    }

    /// Applies config file text: `directive arg...` lines, `#` comments, as one load (the
    /// first `save` line replaces the rules, later ones add to them). Errors are Redis's
    /// fatal messages, with the line number and text.
    pub(crate) fn load_text(
        &mut self,
        text: &str,
        is_command: IsCommand<'_>,
    ) -> Result<(), String> {
        let mut state = LoadState {
            save_seen: false,
            depth: 0,
            is_command,
        };
        self.load_lines(text, &mut state)
    }

    fn load_lines(&mut self, text: &str, state: &mut LoadState<'_>) -> Result<(), String> {
        for (number, line) in text.split('\n').enumerate() {
            let line = line.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Ok(words) = split_inline(&Bytes::copy_from_slice(line.as_bytes())) else {
                return Err(fatal(
                    number + 1,
                    line,
                    "Unbalanced quotes in configuration line",
                ));
            };
            if words.is_empty() {
                continue;
            }
            match self.directive(&words, state) {
                Ok(()) => {}
                Err(LineError::Line(why)) => return Err(fatal(number + 1, line, &why)),
                Err(LineError::Fatal(message)) => return Err(message),
            }
        }
        Ok(())
    }

    /// One config file line, split into words.
    fn directive(&mut self, words: &[Bytes], state: &mut LoadState<'_>) -> Result<(), LineError> {
        let text = |word: &Bytes| String::from_utf8_lossy(word).into_owned();
        let name = text(&words[0]).to_ascii_lowercase();
        let args: Vec<String> = words[1..].iter().map(text).collect();
        if let Some(target) = lookup(&name) {
            let param = &PARAMS[target.index];
            let args = if !param.has(MULTI_ARG) {
                if args.len() != 1 {
                    return Err(LineError::Line("wrong number of arguments".to_string()));
                }
                args
            } else if args.len() == 1 && !args[0].is_empty() {
                // `--save "900 1 300 10"` arrives as one argument: split it like a line.
                split_inline(&words[1])
                    .map_err(|_| {
                        LineError::Line("Unbalanced quotes in configuration line".to_string())
                    })?
                    .iter()
                    .map(text)
                    .collect()
            } else {
                args
            };
            let is_save = matches!(param.kind, Kind::Special(Special::Save));
            self.set_param(target.index, &args, is_save && state.save_seen)
                .map_err(LineError::Line)?;
            state.save_seen |= is_save;
            return Ok(());
        }
        if DEPRECATED.contains(&name.as_str()) && args.len() == 1 {
            return Ok(());
        }
        match (name.as_str(), args.len()) {
            ("include", 1) => self.include(&args[0], state),
            ("rename-command", 2) => self.rename_command(&args[0], &args[1], state.is_command),
            ("user", n) if n >= 1 => Err(LineError::Line(
                "ACL users are not supported by this server: it has only the default user \
                 (see requirepass)"
                    .to_string(),
            )),
            ("loadmodule", n) if n >= 1 => Err(LineError::Line(
                "Modules are not supported by this server: it cannot load modules".to_string(),
            )),
            // A bare `sentinel` line means nothing outside sentinel mode.
            ("sentinel", 0) => Ok(()),
            ("sentinel", _) => Err(LineError::Line(
                "sentinel directive while not in sentinel mode".to_string(),
            )),
            (module_config, n) if module_config.contains('.') => Err(LineError::Line(if n == 0 {
                "Module config specified without value".to_string()
            } else {
                "Module Configuration detected without loadmodule directive or no ApplyConfig \
                 call: aborting"
                    .to_string()
            })),
            _ => Err(LineError::Line(
                "Bad directive or wrong number of arguments".to_string(),
            )),
        }
    }

    /// `include <path>`: loads another file (or every file matching a glob, in name order,
    /// none being fine) as part of this load. Like Redis, a relative path is relative to the
    /// working directory, which is `dir` once a `dir` line has been read.
    fn include(&mut self, path: &str, state: &mut LoadState<'_>) -> Result<(), LineError> {
        if state.depth >= MAX_INCLUDE_DEPTH {
            return Err(LineError::Line(
                "Too many nested include directives (does a file include itself?)".to_string(),
            ));
        }
        let path = Path::new(self.get("dir").unwrap_or(".")).join(path);
        let files = if path.to_string_lossy().contains(['*', '?', '[']) {
            glob_files(&path)
        } else {
            vec![path]
        };
        state.depth += 1;
        for file in files {
            let text = read_file(&file).map_err(LineError::Fatal)?;
            self.load_lines(&text, state).map_err(LineError::Fatal)?;
        }
        state.depth -= 1;
        Ok(())
    }

    /// `rename-command <command> <new name>`, checked as Redis does: the command must exist
    /// (renames apply in order) and the new name must not.
    fn rename_command(
        &mut self,
        command: &str,
        new_name: &str,
        is_command: IsCommand<'_>,
    ) -> Result<(), LineError> {
        if !self.command_exists(command, is_command) {
            return Err(LineError::Line(
                "No such command in rename-command".to_string(),
            ));
        }
        // Redis removes the old name before adding the new one, so renaming to itself works.
        if !new_name.is_empty()
            && !new_name.eq_ignore_ascii_case(command)
            && self.command_exists(new_name, is_command)
        {
            return Err(LineError::Line(
                "Target command name already exists".to_string(),
            ));
        }
        self.renamed_commands
            .push((command.to_string(), new_name.to_string()));
        Ok(())
    }

    /// Whether `name` is a command after the renames so far.
    fn command_exists(&self, name: &str, is_command: IsCommand<'_>) -> bool {
        let mut exists = is_command(name);
        for (from, to) in &self.renamed_commands {
            if from.eq_ignore_ascii_case(name) {
                exists = false;
            }
            if !to.is_empty() && to.eq_ignore_ascii_case(name) {
                exists = true;
            }
        }
        exists
    }
}

/// A config file's text; Redis's fatal message if it cannot be read.
fn read_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            strerror(&e)
        )
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The command line after the config file, as the config text redis-server appends to the
/// file: each `--name` starts a line, the arguments after it are quoted onto that line. A
/// `--name` right after another one is its value unless the first is `--save` (then an empty
/// `save ""`, as Redis 7.0.1+ does). `-` first or last means "also read standard input".
fn command_line_options(args: &[String], first: usize) -> (String, bool) {
    let mut options = String::new();
    let mut from_stdin = false;
    // False right after a `--name` alone, whose value is the next argument whatever it is.
    let mut had_value = true;
    for (i, arg) in args.iter().enumerate().skip(first) {
        let last = i + 1 == args.len();
        if arg == "-" && (i == 0 || last) {
            from_stdin = true;
        } else if had_value && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            // `--port 6380` as one argument carries its own value.
            let words = split_inline(&Bytes::copy_from_slice(arg.as_bytes())).unwrap_or_default();
            if words.len() == 1 {
                had_value = false;
                let next_is_name = args.get(i + 1).is_some_and(|next| next.starts_with("--"));
                if arg.eq_ignore_ascii_case("--save") && (next_is_name || last) {
                    options.push_str("\"\"");
                    had_value = true;
                }
            } else {
                had_value = true;
            }
        } else {
            options.push_str(&repr(arg));
            options.push(' ');
            had_value = true;
        }
    }
    (options, from_stdin)
}

/// The files matching a glob `pattern` (wildcards in any component), sorted, as `glob(3)`
/// finds them: names starting with `.` only match a pattern starting with `.`.
fn glob_files(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in pattern.components() {
        let Component::Normal(part) = component else {
            found.iter_mut().for_each(|path| path.push(component));
            continue;
        };
        let part = part.to_string_lossy();
        if !part.contains(['*', '?', '[']) {
            found.iter_mut().for_each(|path| path.push(part.as_ref()));
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let read_from = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir.as_path()
            };
            let Ok(entries) = std::fs::read_dir(read_from) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let hidden_ok = !name.starts_with('.') || part.starts_with('.');
                if hidden_ok && glob_match(part.as_bytes(), name.as_bytes(), false) {
                    next.push(dir.join(&name));
                }
            }
        }
        found = next;
    }
    found.retain(|path| path.is_file());
    found.sort();
    found
}
