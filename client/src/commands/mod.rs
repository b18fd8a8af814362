//! Typed commands, written once for everything that runs commands: a [`Client`](crate::Client)
//! (each call is a [`Request`](crate::Request)), a [`Pipeline`](crate::Pipeline) and a
//! [`Transaction`](crate::Transaction) (each call adds the command and returns the builder, so
//! calls chain).
//!
//! [`Commands`] is the one thing each of those implements: how to run a [`Cmd`](crate::Cmd).
//! The family traits ([`StringCommands`], [`KeyCommands`], [`ListCommands`],
//! [`HashCommands`], [`SetCommands`], [`SortedSetCommands`]) are implemented for every
//! [`Commands`], so a command added to a family works everywhere at once. Import them with
//! [`prelude`](crate::prelude).

mod collections;
mod keys;
pub(crate) mod query;
mod strings;

pub use collections::{HashCommands, ListCommands, SetCommands, SortedSetCommands};
pub use keys::KeyCommands;
pub use query::Commands;
pub use strings::{Condition, Expiry, SetOptions, StringCommands};
