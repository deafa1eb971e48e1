//! Runs WebAssembly `.wast` scripts — the format of the official spec testsuite — against Weft.
//!
//! ```
//! let context = weft_wast::WastContext::new(weft::Config::new());
//! let report = context.run_buffer(
//!     "example.wast",
//!     r#"
//!     (module (func (export "add") (param i32 i32) (result i32)
//!       local.get 0 local.get 1 i32.add))
//!     (assert_malformed (module quote "(func") "unexpected end")
//!     "#,
//! )?;
//! assert_eq!(report.passed + report.failed, 2);
//! # Ok::<(), weft_wast::Error>(())
//! ```
//!
//! # How a script runs
//!
//! Each script runs in a fresh [`weft::Engine`] and [`weft::Store`] with the `spectest` host
//! module (see [`spectest`]) available for import. Every directive is checked on its own: a
//! failing directive is recorded in the [`Report`] and the script goes on, so one report lists
//! every failure of a file. A module that fails to compile or instantiate is remembered as
//! failed, and the directives that use it fail with a message pointing at it.
//!
//! Nothing is skipped silently: a directive, value or module kind the runner or Weft does not
//! support (threads, exceptions, `v128`, GC references) is a failure that says so.
//!
//! # Components
//!
//! `component` directives (also `component definition`, `component instance` and quoted or
//! binary components) compile with [`weft::component::Component`] and instantiate with a
//! component [`weft::component::Linker`]. `invoke` on a component instance converts the
//! script's component values (`str.const`, `list.const`, `record.const`, `variant.const`,
//! `option.some`, `result.ok`, `flags.const`, `enum.const`, `char.const`, ...) against the
//! function's parameter types, and `assert_return` compares the lifted results; `map.const` is
//! not supported. `register` of a component instance makes its exported functions, resource
//! types and core modules (also those of its exported instances) importable by later
//! components: functions as host functions that forward the call, resource types as
//! themselves, so handles pass between the instances. Directives
//! naming `module` compile core modules only: a component's bytes there are rejected with a
//! message that says they are a component, and the reverse.
//!
//! # What each assertion checks
//!
//! | directive | passes when |
//! |---|---|
//! | `assert_return` | the call (or `get`) succeeds with exactly the expected values; floats compare bit for bit, except the `nan:canonical` / `nan:arithmetic` patterns |
//! | `assert_trap` | the call, or the module's instantiation, fails with an error whose message contains the expected text (`uninitialized element N` is matched without its index, which Weft's traps do not carry) |
//! | `assert_exhaustion` | the call fails with an error whose message contains the expected text |
//! | `assert_invalid`, `assert_malformed` | the module fails to parse (text), encode or compile |
//! | `assert_unlinkable` | the module compiles and its instantiation fails |
//!
//! For the last two rows the phase is what counts: an error whose message differs from the
//! script's expectation still passes, and is listed in [`Report::message_mismatches`].

mod component_values;
mod error;
mod report;
mod runner;
pub mod spectest;
#[cfg(test)]
mod tests;
mod values;

pub use error::Error;
pub use report::{Failure, Report};

use std::path::Path;

/// Runs `.wast` scripts with one engine configuration.
///
/// A context holds no state between scripts: each run starts from a fresh engine and store,
/// so one context may run many files, from several threads at once.
#[derive(Debug, Clone, Default)]
pub struct WastContext {
    config: weft::Config,
}

impl WastContext {
    /// A context whose scripts run on engines created with `config`.
    pub fn new(config: weft::Config) -> Self {
        WastContext { config }
    }

    /// The engine configuration scripts run with.
    pub fn config(&self) -> &weft::Config {
        &self.config
    }

    /// Reads and runs the script at `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read, [`Error::Parse`] if it is not a `.wast` script
    /// and [`Error::Engine`] if no engine can be created with the configuration. Failing
    /// directives are not errors: they are listed in the returned [`Report`].
    pub fn run_file(&self, path: impl AsRef<Path>) -> Result<Report, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.display().to_string();
        let text = std::str::from_utf8(&bytes).map_err(|e| Error::Parse {
            name: name.clone(),
            message: format!("the file is not UTF-8: {e}"),
        })?;
        self.run_buffer(&name, text)
    }

    /// Runs the script `text`; `name` identifies it in messages (usually its path).
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] if `text` is not a `.wast` script and [`Error::Engine`] if no engine can
    /// be created with the configuration. Failing directives are not errors: they are listed in
    /// the returned [`Report`].
    pub fn run_buffer(&self, name: &str, text: &str) -> Result<Report, Error> {
        runner::run(&self.config, name, text)
    }
}
