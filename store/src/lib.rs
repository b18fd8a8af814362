//! Radish's store: databases, values, expiry, command families and the per-connection Session.
