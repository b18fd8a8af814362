//! Typed commands, written once for everything that runs commands: a [`Client`] (each call
//! is a [`Request`]), a [`Pipeline`](crate::Pipeline) and a [`Transaction`](crate::Transaction)
//! (each call adds the command and returns the builder, so calls chain).
//!
//! [`Commands`] is the one thing each of those implements: how to run a [`Cmd`]. The family
//! traits ([`StringCommands`], [`KeyCommands`], [`ListCommands`], [`HashCommands`],
//! [`SetCommands`], [`SortedSetCommands`]) are implemented for every [`Commands`], so a
//! command added to a family works everywhere at once. Import them with
//! [`prelude`](crate::prelude).

mod collections;
mod keys;
mod strings;

pub use collections::{HashCommands, ListCommands, SetCommands, SortedSetCommands};
pub use keys::KeyCommands;
pub use strings::{Condition, Expiry, SetOptions, StringCommands};

use crate::command::Cmd;
use crate::connection::Client;
use crate::reply::FromReply;
use crate::request::Request;

/// Something that runs commands. The typed commands of the family traits call
/// [`query`](Commands::query); it is also the escape hatch for any other command:
/// `client.query::<Frame>(cmd("OBJECT").arg("ENCODING").arg("key"))`.
pub trait Commands: Sized {
    /// What running a command whose reply converts to `T` gives: a [`Request`] for a client,
    /// the builder itself for a pipeline or transaction.
    type Run<T: FromReply>;

    /// Runs (or adds) `cmd`, whose reply converts to `T`.
    fn query<T: FromReply>(self, cmd: Cmd) -> Self::Run<T>;
}

impl<'a> Commands for &'a Client {
    type Run<T: FromReply> = Request<'a, T>;

    fn query<T: FromReply>(self, cmd: Cmd) -> Request<'a, T> {
        self.request(cmd)
    }
}
