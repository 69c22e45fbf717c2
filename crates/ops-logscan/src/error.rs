use std::io;
use std::path::PathBuf;

/// The error type of this crate.
///
/// Every variant names what it is about: the input file, the option or the
/// format string, so that a command-line tool can print it as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The input's path (`-` for standard input).
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// An input could not be read (or, for gzip input, decompressed).
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The input's path (`-` for standard input).
        path: PathBuf,
        /// The reason, from the operating system or the decompressor.
        #[source]
        source: io::Error,
    },
    /// An option has a value that cannot work, such as zero threads.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// A log format string (an nginx `log_format`) could not be compiled.
    #[error("invalid log format at byte {position}: {reason}")]
    Format {
        /// Byte offset in the format string where the problem is.
        position: usize,
        /// What is wrong there.
        reason: String,
    },
    /// A time given for `--since` or `--until` could not be understood.
    #[error("invalid time {input:?}: {reason}")]
    Time {
        /// The text as given.
        input: String,
        /// What was expected.
        reason: &'static str,
    },
}
