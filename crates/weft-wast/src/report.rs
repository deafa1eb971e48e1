//! The outcome of running one script.

use core::fmt;

/// One directive that did not behave as the script expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The directive's line in the script, from 1.
    pub line: usize,
    /// The directive's column, from 1.
    pub column: usize,
    /// The directive's keyword, such as `assert_return`.
    pub directive: &'static str,
    /// What happened, and what was expected.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.directive, self.message
        )
    }
}

/// The outcome of running one script: how many directives passed and failed, and why each
/// failure failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The script's name, as given to the runner.
    pub name: String,
    /// How many directives passed.
    pub passed: usize,
    /// How many directives failed; `failures.len()`.
    pub failed: usize,
    /// Every failing directive, in script order.
    pub failures: Vec<Failure>,
    /// Directives that passed although the error's message differs from the expected text
    /// (`assert_invalid`, `assert_malformed` and `assert_unlinkable` check only the phase in
    /// which the error happens). Informational.
    pub message_mismatches: Vec<Failure>,
}

impl Report {
    /// An empty report for the script `name`.
    pub(crate) fn new(name: &str) -> Self {
        Report {
            name: name.to_string(),
            ..Report::default()
        }
    }

    /// Whether every directive passed.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }

    pub(crate) fn pass(&mut self) {
        self.passed += 1;
    }

    pub(crate) fn fail(&mut self, failure: Failure) {
        self.failed += 1;
        self.failures.push(failure);
    }
}

/// `NAME: N passed, N failed`, then one indented line per failure.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} passed, {} failed",
            self.name, self.passed, self.failed
        )?;
        for failure in &self.failures {
            // Messages may span lines (a trap's backtrace): keep them under their failure.
            let text = failure.to_string().replace('\n', "\n    ");
            write!(f, "\n  {text}")?;
        }
        Ok(())
    }
}
