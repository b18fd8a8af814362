//! Explicit pipelines and MULTI/EXEC transactions: commands collected, then sent in one
//! write by [`Client::pipeline`](crate::Client::pipeline) and
//! [`Client::transaction`](crate::Client::transaction).

use bytes::BytesMut;

use crate::command::{cmd, Cmd, Meta};
use crate::commands::query::Commands;
use crate::reply::FromReply;

/// Commands to send in one write, whose replies come back together, in order.
///
/// The typed commands work on it through `&mut Pipeline` and chain:
/// `pipeline.set("a", "1").incr("n").get("a");`. A pipeline can be sent many times.
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    encoded: BytesMut,
    metas: Vec<Meta>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Adds a command.
    pub fn add(&mut self, cmd: Cmd) -> &mut Pipeline {
        cmd.write_to(&mut self.encoded);
        self.metas.push(cmd.meta());
        self
    }

    /// The number of commands.
    pub fn len(&self) -> usize {
        self.metas.len()
    }

    /// True when there is no command.
    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    /// Removes every command, keeping the buffer.
    pub fn clear(&mut self) {
        self.encoded.clear();
        self.metas.clear();
    }

    pub(crate) fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    pub(crate) fn metas(&self) -> &[Meta] {
        &self.metas
    }
}

impl<'a> Commands for &'a mut Pipeline {
    type Run<T: FromReply> = &'a mut Pipeline;

    fn query<T: FromReply>(self, cmd: Cmd) -> &'a mut Pipeline {
        self.add(cmd)
    }
}

/// Commands to run atomically, as MULTI, the commands, EXEC, sent in one write.
///
/// Built like a [`Pipeline`]; run with [`Client::transaction`](crate::Client::transaction).
/// `WATCH` belongs to the connection, not to the transaction: send it first on a connection
/// nobody else uses meanwhile (a pooled one), or other callers' commands may run in between.
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    commands: Pipeline,
}

impl Transaction {
    /// An empty transaction.
    pub fn new() -> Transaction {
        Transaction::default()
    }

    /// Adds a command.
    pub fn add(&mut self, cmd: Cmd) -> &mut Transaction {
        self.commands.add(cmd);
        self
    }

    /// The number of commands, MULTI and EXEC not counted.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// True when there is no command.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub(crate) fn write_to(&self, out: &mut BytesMut) {
        cmd("MULTI").write_to(out);
        out.extend_from_slice(self.commands.encoded());
        cmd("EXEC").write_to(out);
    }

    pub(crate) fn metas(&self) -> Vec<Meta> {
        let mut metas = Vec::with_capacity(self.len() + 2);
        metas.push(cmd("MULTI").meta());
        metas.extend_from_slice(self.commands.metas());
        metas.push(cmd("EXEC").meta());
        metas
    }
}

impl<'a> Commands for &'a mut Transaction {
    type Run<T: FromReply> = &'a mut Transaction;

    fn query<T: FromReply>(self, cmd: Cmd) -> &'a mut Transaction {
        self.add(cmd)
    }
}
