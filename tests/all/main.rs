//! Weft's integration tests, as one binary.

mod api;
mod generated;
mod limits;
