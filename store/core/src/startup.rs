//! What opens a server: its configuration read from the command line and files, and its data
//! loaded from disk. Both need the whole command table (`rename-command` names commands; the
//! files hold commands to replay), so they sit above every other layer.

use radish_data::Millis;

use crate::commands::table;
use crate::exec::replay;
use crate::persist::LoadError;
use crate::server::Server;
use crate::state::config::Config;

/// True if `name` is a command of this server (before any renaming).
fn is_command(name: &str) -> bool {
    table().lookup(name.as_bytes()).is_some()
}

impl Config {
    /// Builds a configuration the way redis-server reads its command line: an optional config
    /// file path first, then `--directive value...` arguments, which are appended to the
    /// file's text as lines and so win over it (`-` as the first or last argument also reads
    /// the configuration from standard input). Errors are Redis's fatal messages.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        Config::load_args(args, &is_command)
    }

    /// Applies config file text: `directive arg...` lines, `#` comments, as one load (the
    /// first `save` line replaces the rules, later ones add to them). Errors are Redis's
    /// fatal messages, with the line number and text.
    pub fn apply_text(&mut self, text: &str) -> Result<(), String> {
        self.load_text(text, &is_command)
    }
}

impl Server {
    /// A server with this configuration and the data on disk under `dir` (the snapshot, or
    /// with `appendonly yes` the append-only log, which it then keeps), started at `now`.
    /// [`new`](Server::new) starts empty and touches no file until a command asks it to.
    /// Fails, naming the file and byte offset, if the data cannot be loaded in full.
    pub fn open(config: Config, now: Millis) -> Result<Server, LoadError> {
        Server::new(config, now).load(now)
    }

    /// What the binaries run once they have given the server what the store does not do
    /// itself (its clock, the open-files limit: [`Server::with_timer`],
    /// [`Server::with_open_files`]): fits `maxclients` to the open-files limit, then loads
    /// the data on disk as [`open`](Server::open) does.
    pub fn load(self, now: Millis) -> Result<Server, LoadError> {
        self.fit_maxclients();
        replay::open(&self, table(), now)?;
        Ok(self)
    }
}
