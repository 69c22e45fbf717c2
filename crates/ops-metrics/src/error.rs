//! The crate's error types: one per concern.

use std::io;
use std::path::PathBuf;

/// Reading or parsing a /proc file, or a statfs call, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A file's text is not what the kernel writes there.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file (its usual /proc path when parsed from a bare reader).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A collector was built with an invalid option.
    #[error("invalid collector option: {0}")]
    Option(String),
    /// A file is larger than any /proc file this crate reads can be.
    #[error("{} is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl Error {
    /// The same error, naming `path` instead of the file's usual name: the
    /// parsers take bare readers and name the /proc file they expect.
    pub(crate) fn at(self, new: PathBuf) -> Error {
        match self {
            Error::Io { source, .. } => Error::Io { path: new, source },
            Error::Parse { line, message, .. } => Error::Parse {
                path: new,
                line,
                message,
            },
            Error::TooLarge { limit, .. } => Error::TooLarge { path: new, limit },
            other @ Error::Option(_) => other,
        }
    }
}

/// An SLO, its spec file or a value given to the SLO math is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SloError {
    /// An objective outside (0, 1) as a ratio, or (0, 100) as a percentage.
    #[error("objective {0} is not between 0 and 100 percent (exclusive)")]
    Objective(f64),
    /// A duration (window, interval) of zero length, or one that does not
    /// parse.
    #[error("invalid duration {0:?}: want a Prometheus duration such as 30d, 6h or 5m")]
    Duration(String),
    /// Good events outnumber all events, or a count is not finite.
    #[error("invalid counts: {good} good of {total} total")]
    Counts {
        /// Good events.
        good: f64,
        /// All events.
        total: f64,
    },
    /// The spec file does not parse.
    #[error("{file}: {message}")]
    Spec {
        /// The spec file's name.
        file: String,
        /// What is wrong, with the line and column from the parser.
        message: String,
    },
    /// One SLO of a spec is invalid.
    #[error("{file}: slo {slo:?}: {message}")]
    Invalid {
        /// The spec file's name.
        file: String,
        /// The SLO's name.
        slo: String,
        /// What is wrong.
        message: String,
    },
}
