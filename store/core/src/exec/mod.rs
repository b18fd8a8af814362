//! Execution: what runs a command. The command record and table ([`command`]), what a handler
//! works with ([`ctx`], [`conn`], [`reply`], [`args`]), the dispatcher with every admission
//! check in Redis's order ([`dispatch`]), where a command's keys are ([`keys`]), client-side
//! caching around each command ([`tracking`]), serving blocked clients ([`blocking`]), running
//! scripts' commands ([`script`]), what the slow log and latency monitor record of each
//! command ([`slow`]), and replaying files through the dispatcher ([`replay`]).

pub mod args;
pub mod blocking;
pub mod command;
pub mod conn;
pub mod ctx;
pub mod dispatch;
pub mod keys;
pub mod replay;
pub mod reply;
pub mod script;
pub mod slow;
pub mod tracking;
