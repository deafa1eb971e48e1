//! Hostile inputs for the memory defects.

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![]
}
