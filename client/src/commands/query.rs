//! [`Commands`]: how to run a [`Cmd`], the one thing a client, a pipeline and a transaction
//! implement to get every typed command.

use crate::command::Cmd;
use crate::reply::FromReply;

/// Something that runs commands. The typed commands of the family traits call
/// [`query`](Commands::query); it is also the escape hatch for any other command:
/// `client.query::<Frame>(cmd("OBJECT").arg("ENCODING").arg("key"))`.
pub trait Commands: Sized {
    /// What running a command whose reply converts to `T` gives: a [`Request`](crate::Request)
    /// for a client, the builder itself for a pipeline or transaction.
    type Run<T: FromReply>;

    /// Runs (or adds) `cmd`, whose reply converts to `T`.
    fn query<T: FromReply>(self, cmd: Cmd) -> Self::Run<T>;
}
