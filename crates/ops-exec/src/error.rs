use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::outcome::{Outcome, Status};

/// The error type of this crate.
///
/// Every message names the command (secrets shown as `***`) and the reason;
/// [`is_transient`](Error::is_transient) tells whether trying again may
/// help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command cannot be built: an empty program name, or a command
    /// line that does not split into words.
    #[error("invalid command: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The program could not be started.
    #[error("cannot run `{program}`: {reason}")]
    Spawn {
        /// The program as given.
        program: String,
        /// Why, in words: "program not found on PATH", "permission denied".
        reason: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The file given as standard input could not be opened.
    #[error("cannot open {} as stdin of `{command}`: {source}", path.display())]
    Stdin {
        /// The command line, secrets redacted.
        command: String,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Talking to the running command failed (reading its output, waiting
    /// for it).
    #[error("i/o error while running `{command}`: {source}")]
    Io {
        /// The command line, secrets redacted.
        command: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// In check mode: the command exited with a code it was not allowed, or
    /// was killed by a signal.
    #[error("{0}")]
    Failed(Box<Failure>),
    /// In check mode: the command ran past its timeout; its process group
    /// was terminated.
    #[error("{0}")]
    TimedOut(Box<Failure>),
    /// In check mode: the command's [`Cancel`](crate::Cancel) handle was
    /// cancelled; its process group was terminated.
    #[error("{0}")]
    Cancelled(Box<Failure>),
}

impl Error {
    /// Whether the failure may go away when the command is run again: a
    /// timeout, an exit code declared transient with
    /// [`Command::transient_exit_codes`](crate::Command::transient_exit_codes),
    /// or a spawn that failed for lack of resources (`EAGAIN`, `ENOMEM`) or
    /// because the executable was being written (`ETXTBSY`).
    ///
    /// This is the classification that retry policies use.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::TimedOut(_) => true,
            Error::Failed(f) => f.transient,
            Error::Spawn { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::WouldBlock
                    | io::ErrorKind::OutOfMemory
                    | io::ErrorKind::ExecutableFileBusy
                    | io::ErrorKind::Interrupted
            ),
            Error::Invalid { .. }
            | Error::Stdin { .. }
            | Error::Io { .. }
            | Error::Cancelled(_) => false,
        }
    }

    /// Which kind of error this is, without its details: what a
    /// [`CommandListener`](crate::CommandListener) is told.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Spawn { .. } => ErrorKind::Spawn,
            Error::Stdin { .. } => ErrorKind::Stdin,
            Error::Io { .. } => ErrorKind::Io,
            Error::Failed(_) => ErrorKind::Failed,
            Error::TimedOut(_) => ErrorKind::TimedOut,
            Error::Cancelled(_) => ErrorKind::Cancelled,
        }
    }

    /// The outcome of the run, for [`Error::Failed`], [`Error::TimedOut`]
    /// and [`Error::Cancelled`].
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            Error::Failed(f) | Error::TimedOut(f) | Error::Cancelled(f) => Some(&f.outcome),
            _ => None,
        }
    }
}

/// The kind of an [`Error`], one variant for each of its variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Invalid`].
    Invalid,
    /// [`Error::Spawn`].
    Spawn,
    /// [`Error::Stdin`].
    Stdin,
    /// [`Error::Io`].
    Io,
    /// [`Error::Failed`].
    Failed,
    /// [`Error::TimedOut`].
    TimedOut,
    /// [`Error::Cancelled`].
    Cancelled,
}

/// A run that did not succeed in check mode: its outcome, and the end of
/// its stderr with secrets scrubbed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub(crate) outcome: Outcome,
    pub(crate) stderr_tail: String,
    pub(crate) timeout: Option<Duration>,
    pub(crate) transient: bool,
}

impl Failure {
    /// The outcome: status, duration, captured output.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }

    /// The last lines of stderr (up to about 1 KiB), every secret value of
    /// the command replaced by `***`.
    pub fn stderr_tail(&self) -> &str {
        &self.stderr_tail
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.outcome;
        let secs = o.duration.as_secs_f64();
        match (o.status, self.timeout) {
            (Status::TimedOut, Some(t)) => write!(
                f,
                "`{}` timed out after {} s (ran {secs:.2} s; its process group was killed)",
                o.command,
                t.as_secs_f64()
            )?,
            (Status::Cancelled, _) if o.pid.is_none() => {
                write!(f, "`{}` was cancelled before it started", o.command)?;
            }
            (Status::Cancelled, _) => write!(
                f,
                "`{}` was cancelled after {secs:.2} s (its process group was killed)",
                o.command
            )?,
            (status, _) => write!(f, "`{}` {status} after {secs:.2} s", o.command)?,
        }
        if !self.stderr_tail.is_empty() {
            write!(f, "; stderr: {}", self.stderr_tail)?;
        }
        Ok(())
    }
}

/// "program not found on PATH" and the like, from a spawn error.
pub(crate) fn spawn_reason(program: &str, error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound if program.contains('/') => "no such file".to_owned(),
        io::ErrorKind::NotFound => "program not found on PATH".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied (is it executable?)".to_owned(),
        io::ErrorKind::ExecutableFileBusy => {
            "the executable is open for writing (text file busy)".to_owned()
        }
        io::ErrorKind::InvalidInput => format!("invalid argument: {error}"),
        _ => match error.raw_os_error() {
            // ENOEXEC: no `#!` line and not a binary this system runs.
            Some(8) => "not an executable format (missing #! line?)".to_owned(),
            _ => error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_cause() {
        let nf = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(spawn_reason("nope", &nf), "program not found on PATH");
        assert_eq!(spawn_reason("./nope", &nf), "no such file");
        let pd = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(spawn_reason("x", &pd).starts_with("permission denied"));
        let noexec = io::Error::from_raw_os_error(8);
        assert!(spawn_reason("x", &noexec).contains("executable format"));
    }

    #[test]
    fn transient_kinds() {
        let spawn = |kind| Error::Spawn {
            program: "p".into(),
            reason: "r".into(),
            source: io::Error::from(kind),
        };
        assert!(spawn(io::ErrorKind::WouldBlock).is_transient());
        assert!(!spawn(io::ErrorKind::NotFound).is_transient());
        assert!(!Error::Invalid { reason: "x".into() }.is_transient());
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
