//! Server state: what every connection shares and every layer above reads. The configuration
//! ([`config`]), the connected clients ([`clients`]), pub/sub ([`pubsub`]) and keyspace
//! notifications ([`events`]), the counters INFO
//! reports ([`stats`]), and the databases behind the data lock with their blocked clients and
//! what the running batch logs ([`keyspace`], [`propagation`]), the connections MIGRATE
//! keeps to other servers ([`links`]), client-side caching ([`tracking`]), the slow log
//! ([`slowlog`]), the latency monitor ([`latency`]) and CLIENT PAUSE ([`pause`]).

pub mod clients;
pub mod config;
pub mod events;
pub mod keyspace;
pub mod latency;
pub mod links;
pub mod notify;
pub mod pause;
pub mod propagation;
pub mod pubsub;
pub mod renames;
pub mod repl_stream;
pub mod replication;
pub mod script_watch;
pub mod slowlog;
pub mod stats;
pub mod tracking;

/// The version radish reports as `redis_version`: the Redis release whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";
