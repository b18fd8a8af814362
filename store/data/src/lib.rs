//! Radish's data layer: what a key holds and how the databases keep it.
//!
//! Value types and their encodings ([`Value`], [`types`]), compact byte strings
//! ([`CompactBytes`]), allocation accounting ([`alloc`]), one numbered database with its
//! deadlines and expiry ([`Db`]), the per-key access record ([`access`]) and eviction by
//! policy ([`evict`]), what happens to keys outside commands' own steps for keyspace
//! notifications to report ([`key_events`]), the snapshot walk and the record format of snapshot and log files
//! ([`snapshot`]), the low-level pieces of Redis's RDB format that DUMP payloads and RDB files
//! are made of ([`rdb`]), HyperLogLog's string format and algorithm ([`hll`]), the geohash
//! and distance math of the GEO commands ([`geo`]), and the small tools these need: glob
//! patterns, a random generator, an x87 long double, SHA-1 and SHA-256.
//!
//! It knows nothing above it: no command, connection, configuration, clock or thread. Time
//! comes in as an argument ([`Millis`]).

pub mod access;
pub mod alloc;
pub mod compact;
pub mod db;
pub mod entry;
pub mod evict;
pub mod geo;
pub mod glob;
pub mod hash;
pub mod hll;
pub mod key_events;
pub mod keys;
pub mod long_double;
pub mod pqsort;
pub mod rdb;
pub mod rng;
pub mod snapshot;
pub mod table;
mod time;
pub mod types;
pub mod value;

pub use compact::CompactBytes;
pub use db::Db;
pub use entry::Entry;
pub use rng::Rng;
pub use time::Millis;
pub use value::{StringOrigin, StringValue, Value};
