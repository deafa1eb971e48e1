//! Hostile inputs for the translate defects.

/// This module's trials.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    vec![]
}
