//! Radish's server and client on the smol runtime.
