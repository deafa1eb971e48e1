//! Shared helpers for the integration tests.
//!
//! The feature `extra-checks` runs every test against an engine that re-checks its
//! interpreter's invariants (`weft`'s feature of that name).
