//! Shared code for Weft's fuzz targets.
//!
//! [`harness`] drives one input through validation, compilation, instantiation with dummy
//! imports and calls of every export; the integration test `tests/all/generated.rs` runs the
//! same file over a fixed, deterministic set of inputs. [`oracle`] runs a module in Weft and
//! in wasmi side by side and compares what they observe; [`known_bugs`] recognises the
//! modules on which wasmi is known to be wrong. [`component`] does the same for components:
//! compilation, instantiation with trapping imports and calls with default arguments.

pub mod component;
pub mod harness;
pub mod known_bugs;
pub mod oracle;
