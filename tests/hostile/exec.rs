//! Hostile inputs for the exec defects.

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![]
}
