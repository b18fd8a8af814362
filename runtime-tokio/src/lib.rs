//! Radish's server and client on the tokio runtime.
