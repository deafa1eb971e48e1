//! Weft's integration tests, as one binary.

// Tests state their expectations with `expect`: a failed one is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod component;
mod component_guests;
mod component_typed;
mod dispatch;
mod generated;
mod limits;
mod peer_bugs;
