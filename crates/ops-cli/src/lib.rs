//! Shared plumbing for opskit's command-line tools.
//!
//! Every opskit binary sets up logging the same way and reports errors the
//! same way, so that scripts driving them can rely on both:
//!
//! - Logs go to **stderr** through [`tracing`], so stdout stays
//!   machine-readable. The format is human-readable text by default, or
//!   JSON lines with `--log-format json` (one object per event with
//!   `timestamp`, `level`, `target`, `message` and the event's fields).
//!   The level comes from `RUST_LOG` (default `warn`).
//! - [`run`] turns a failed `main` into one line on stderr,
//!   `tool: error: cause: cause`, and exit code 2: never a panic or a
//!   backtrace.
//! - [`Table`] prints aligned columns (re-exported from the dependency-free
//!   `ops-table`, which libraries such as ops-logscan use for their
//!   reports without depending on this crate).
//!
//! # Crate features
//!
//! - `progress` (default): [`progress::Meter`], a progress bar on stderr.
//!
//! # Example
//!
//! ```no_run
//! use clap::Parser;
//! use std::process::ExitCode;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     log: ops_cli::LogArgs,
//! }
//!
//! fn main() -> ExitCode {
//!     let cli = Cli::parse();
//!     ops_cli::run("mytool", || {
//!         cli.log.init()?;
//!         tracing::info!(answer = 42, "started");
//!         Ok(ExitCode::SUCCESS)
//!     })
//! }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, IsTerminal};
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

pub use ops_table::{Align, Table};

#[cfg(feature = "progress")]
pub mod progress;

/// The exit code of a tool that failed before doing its job: a bad option,
/// a missing file (as GNU tools use 2 for trouble).
pub const EXIT_TROUBLE: u8 = 2;

/// How log events are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The logging options every opskit binary takes; flatten it into a clap
/// parser with `#[command(flatten)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct LogArgs {
    /// Log format on stderr (level from RUST_LOG, default warn).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

impl LogArgs {
    /// Installs the global subscriber; see [`init_logging`].
    pub fn init(&self) -> Result<(), InitError> {
        init_logging(self.log_format)
    }
}

/// Logging could not be set up.
#[derive(Debug)]
pub struct InitError(String);

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot set up logging: {}", self.0)
    }
}

impl StdError for InitError {}

/// Installs the process-wide tracing subscriber: events to stderr in
/// `format`, filtered by `RUST_LOG` (default `warn`).
///
/// A malformed `RUST_LOG` is an error naming it, not silently ignored.
pub fn init_logging(format: LogFormat) -> Result<(), InitError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::try_new(&spec)
            .map_err(|e| InitError(format!("invalid RUST_LOG {spec:?}: {e}")))?,
        _ => EnvFilter::new("warn"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr);
    let result = match format {
        LogFormat::Text => builder.with_ansi(io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    result.map_err(|e| InitError(e.to_string()))
}

/// Runs a tool's body: an error becomes one line on stderr,
/// `tool: error: message: cause: ...`, and exit code [`EXIT_TROUBLE`].
pub fn run<F>(tool: &str, body: F) -> ExitCode
where
    F: FnOnce() -> Result<ExitCode, Box<dyn StdError + Send + Sync>>,
{
    match body() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{tool}: error: {}", error_chain(&*e));
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

/// An error and its sources on one line, joined by `: `, leaving out a
/// source whose text the message already contains.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("cannot open a.log")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chain_joins_sources_once() {
        let e = Outer(io::Error::new(io::ErrorKind::NotFound, "no such file"));
        assert_eq!(error_chain(&e), "cannot open a.log: no such file");
        let dup = io::Error::other("cannot open a.log");
        assert_eq!(error_chain(&Outer(dup)), "cannot open a.log");
    }

    #[test]
    fn run_maps_errors_to_exit_code_two() {
        let ok = run("t", || Ok(ExitCode::SUCCESS));
        assert_eq!(ok, ExitCode::SUCCESS);
        let failed = run("t", || Err("boom".into()));
        assert_eq!(failed, ExitCode::from(EXIT_TROUBLE));
    }
}
