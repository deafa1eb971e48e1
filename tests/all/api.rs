//! The embedding API, end to end.
