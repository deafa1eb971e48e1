//! Errors that stop a whole script from running.

use core::fmt;
use std::path::PathBuf;

/// Why a script could not be run at all.
///
/// A directive that fails is not an `Error`: it is a [`Failure`](crate::Failure) in the
/// script's [`Report`](crate::Report).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The script file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The script is not a well-formed `.wast` script.
    Parse {
        /// The script's name (usually its path).
        name: String,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// No engine could be created with the context's configuration.
    Engine(weft::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Error::Parse { name, message } => write!(f, "cannot parse {name}: {message}"),
            Error::Engine(error) => write!(f, "cannot create an engine: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Parse { .. } => None,
            Error::Engine(error) => Some(error.as_ref()),
        }
    }
}
