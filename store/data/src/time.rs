//! Time, as the data layer takes it: given by the caller with every call that needs it, never
//! read from a clock here.

/// Milliseconds since the Unix epoch.
pub type Millis = u64;
