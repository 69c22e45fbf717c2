use std::io;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A [`GenOptionsBuilder`](crate::GenOptionsBuilder) setting is out of range.
    #[error("invalid option `{option}`: {reason}")]
    InvalidOption {
        /// Name of the builder method, e.g. `long_line_bytes`.
        option: &'static str,
        /// What the value must satisfy.
        reason: String,
    },
    /// A log kind name other than `auth` or `access`.
    #[error("unknown log kind `{name}` (expected `auth` or `access`)")]
    UnknownKind {
        /// The name as given.
        name: String,
    },
    /// A quirk name not in [`Quirks::NAMES`](crate::Quirks::NAMES).
    #[error(
        "unknown quirk `{name}` (expected `all`, `none` or a comma-separated list of: {expected})"
    )]
    UnknownQuirk {
        /// The name as given.
        name: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// A size such as `1.5GiB` that [`parse_size`](crate::parse_size) rejects.
    #[error("invalid size `{input}`: {reason}")]
    InvalidSize {
        /// The text as given.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The writer passed to [`generate`](crate::generate) failed.
    #[error("cannot write generated log after {written} bytes")]
    Write {
        /// Bytes successfully handed to the writer before the failure.
        written: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
