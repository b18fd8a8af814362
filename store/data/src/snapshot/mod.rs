//! Snapshots of the data: the walk that takes one in small steps while commands keep changing
//! the data (`walk`), and the record format that snapshot and log files share (`format`).

pub mod format;
mod walk;

pub use walk::{DbPersist, DbSnapshot, Format};
