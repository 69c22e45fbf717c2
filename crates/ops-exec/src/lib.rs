//! Safe subprocesses: a command that cannot hang its caller, leak its
//! process tree, deadlock on its pipes or print a secret.
//!
//! A [`Command`] is a program and its arguments (never a shell unless made
//! with [`Command::shell`]), an environment ([`EnvBase`] plus additions),
//! a working directory, an [`Input`] for stdin, and limits. Running it
//! with [`Command::run`], [`Command::run_with_lines`] or, with the `tokio`
//! feature, `Command::run_async`:
//!
//! - starts it in a **process group of its own**; on
//!   [`timeout`](Command::timeout) the whole group gets SIGTERM, then
//!   SIGKILL after the [`grace`](Command::grace) period, and processes that
//!   left the group but still hold the output pipes are waited for only a
//!   [`wait_delay`](Command::wait_delay) (as Go's `WaitDelay`). A run that
//!   is abandoned (a panic, a dropped future) kills the group.
//! - drains **stdout and stderr concurrently**, keeping at most
//!   [`capture_limit`](Command::capture_limit) bytes of each (the head and
//!   the tail, the rest counted: [`Captured`]), and hands each line to a
//!   callback as it arrives. Bytes are kept as written; text is lossy.
//! - **checks** the exit status ([`Check`]): by default anything but exit
//!   code 0 is an [`Error`] naming the command, the exit code or signal,
//!   the duration and the end of stderr. [`Error::is_transient`] tells a
//!   retry policy whether trying again may help.
//! - in **dry-run** mode ([`RunMode::DryRun`]) logs what would run and
//!   returns an [`Outcome`] marked [`Status::DryRun`], starting nothing.
//! - **redacts** arguments and environment values marked secret
//!   ([`Command::secret_arg`], [`Command::secret_env`]) as `***` in logs,
//!   errors, `Debug`, `Display` and dry-run output, and scrubs them from
//!   the stderr tail an error carries.
//! - logs in a `tracing` span `exec` with the program, pid, duration and
//!   outcome, and tells the end of the run to the command's
//!   [`CommandListener`]s (program, status, duration, [`ErrorKind`]; never
//!   arguments or output): the seam that ops-metrics' `CommandMetrics`
//!   plugs into.
//!
//! With the `resilience` feature, `Command::run_with_retry` runs a
//! command again while it fails transiently, as an ops-resilience
//! `RetryPolicy` says (backoff, jitter, deadline, budget, listeners).
//!
//! A [`Cancel`] handle ends the runs watching it from another thread (or,
//! with the `signals` feature, on SIGINT, SIGTERM or SIGHUP) as a timeout
//! would. Deadlines and durations are read from a [`Clock`]
//! ([`SystemClock`] by default), which tests can replace.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use ops_exec::{Check, Command, Error, Input, Status};
//!
//! // Arguments, stdin from bytes, output captured.
//! let out = Command::new("sort").stdin(Input::bytes("b\na\n")).run()?;
//! assert_eq!(out.stdout_text(), "a\nb\n");
//!
//! // A command line split with shell rules, run without a shell.
//! let out = Command::parse("printf '%s-%s' 'two words' x")?.run()?;
//! assert_eq!(out.stdout_text(), "two words-x");
//!
//! // A timeout ends the whole process tree.
//! let err = Command::shell("sleep 60 & sleep 60")
//!     .timeout(Duration::from_millis(200))
//!     .run()
//!     .unwrap_err();
//! assert!(matches!(err, Error::TimedOut(_)));
//! assert!(err.is_transient());
//!
//! // A failure names the command, its exit code and its stderr; secrets
//! // never show.
//! let err = Command::new("sh")
//!     .args(["-c", "echo \"bad token $1\" >&2; exit 3", "sh"])
//!     .secret_arg("hunter2")
//!     .run()
//!     .unwrap_err();
//! let msg = err.to_string();
//! assert!(msg.starts_with("`sh -c 'echo \"bad token $1\" >&2; exit 3' sh ***` exited with code 3 after"));
//! assert!(msg.ends_with("; stderr: bad token ***"));
//!
//! // Without checking, the outcome tells how it ended.
//! let out = Command::shell("exit 7").check(Check::Never).run()?;
//! assert_eq!(out.status, Status::Exited { code: 7 });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `tokio`: `Command::run_async` and `Command::run_with_lines_async`,
//!   the same runs on the tokio runtime (its `process`, `io-util`, `time`
//!   and `macros` features). Dropping the future kills the process group.
//! - `signals`: `Cancel::on_signals`, a handle that the first SIGINT,
//!   SIGTERM or SIGHUP cancels (signal-hook), so that a tool's Ctrl-C
//!   reaches the process groups of its commands.
//! - `resilience`: `Command::run_with_retry` and
//!   `run_with_retry_classified` (with `tokio` also `run_with_retry_async`
//!   and `run_with_retry_classified_async`), driven by an ops-resilience
//!   `RetryPolicy` (its core, without tokio or tower); `RetryTransient`,
//!   the classifier by [`Error::is_transient`]; `CancelClock`, a policy
//!   clock whose waits a [`Cancel`] cuts short.
//!
//! # Platform
//!
//! Unix only, and Linux-first: the exit of the command is watched through
//! a pidfd (Linux 5.3 and later; older kernels fall back to checking every
//! 10 ms).

// Process groups, signals, pidfds and poll go through rustix's safe API.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Bad input is an `Err`, never a panic; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub use crate::cancel::Cancel;
pub use crate::capture::{Captured, Line, MAX_LINE, Stream};
pub use crate::clock::{Clock, SystemClock};
pub use crate::command::{
    Check, Command, DEFAULT_CAPTURE_LIMIT, DEFAULT_GRACE, DEFAULT_WAIT_DELAY, EnvBase, Input,
    Output, RunMode,
};
pub use crate::error::{Error, ErrorKind, Failure};
pub use crate::listener::{CommandEvent, CommandListener};
pub use crate::outcome::{Outcome, Status, signal_name};
#[cfg(feature = "resilience")]
pub use crate::retry::{CancelClock, RetryTransient};
pub use crate::secret::REDACTED;
pub use crate::words::{quote_word, split_words};

mod blocking;
mod cancel;
mod capture;
mod clock;
mod command;
mod error;
mod listener;
mod outcome;
#[cfg(feature = "resilience")]
mod retry;
#[cfg(feature = "tokio")]
mod run_async;
mod secret;
mod spawn;
mod supervise;
mod words;
