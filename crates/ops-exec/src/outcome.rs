//! What a run gives back: how the command ended and what it wrote.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::capture::Captured;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// It exited with this code.
    Exited {
        /// The exit code (0 to 255).
        code: i32,
    },
    /// A signal ended it (not one sent because of a timeout).
    Signaled {
        /// The signal's number, as in `kill -l`.
        signal: i32,
    },
    /// It ran past its timeout, and its process group was terminated.
    TimedOut,
    /// Nothing ran: the command was in dry-run mode.
    DryRun,
    /// Its [`Cancel`](crate::Cancel) handle was cancelled while it ran, and
    /// its process group was terminated.
    Cancelled,
}

impl Status {
    /// Whether the command exited with code 0 (a dry run also counts).
    pub fn success(self) -> bool {
        matches!(self, Status::Exited { code: 0 } | Status::DryRun)
    }

    /// The exit code, when the command exited.
    pub fn code(self) -> Option<i32> {
        match self {
            Status::Exited { code } => Some(code),
            _ => None,
        }
    }

    /// The signal that ended the command, when one did.
    pub fn signal(self) -> Option<i32> {
        match self {
            Status::Signaled { signal } => Some(signal),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Status::Exited { code } => write!(f, "exited with code {code}"),
            Status::Signaled { signal } => match signal_name(signal) {
                Some(name) => write!(f, "was killed by signal {signal} ({name})"),
                None => write!(f, "was killed by signal {signal}"),
            },
            Status::TimedOut => f.write_str("timed out"),
            Status::DryRun => f.write_str("was not run (dry run)"),
            Status::Cancelled => f.write_str("was cancelled"),
        }
    }
}

/// The name of a Linux signal number, such as `SIGKILL` for 9.
pub fn signal_name(signal: i32) -> Option<&'static str> {
    const NAMES: [&str; 31] = [
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(signal)
        .ok()
        .and_then(|s| s.checked_sub(1))
        .and_then(|i| NAMES.get(i))
        .copied()
}

/// The result of one run.
///
/// In check mode (the default, [`Check::Success`](crate::Check)) a run
/// that did not succeed is an [`Error`](crate::Error) carrying its outcome;
/// with [`Check::Never`](crate::Check) it comes back as an `Outcome` whatever
/// the status. `Serialize` writes the durations in seconds and each stream
/// as `{text, total_bytes, omitted_bytes}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// The command line as logs show it, secrets redacted.
    pub command: String,
    /// How it ended.
    pub status: Status,
    /// The process id of the command (also its process group id); `None`
    /// for a dry run.
    pub pid: Option<u32>,
    /// From just before the spawn to the end of the run, by the command's
    /// clock.
    #[serde(rename = "duration_s", serialize_with = "seconds")]
    pub duration: Duration,
    /// What it wrote to stdout (empty unless stdout was captured).
    pub stdout: Captured,
    /// What it wrote to stderr (empty unless stderr was captured).
    pub stderr: Captured,
    /// A process outside the command's control (one that left its process
    /// group) still held stdout or stderr open after the command ended and
    /// the wait delay ran out; the run stopped reading and returned.
    pub pipes_left_open: bool,
}

impl Outcome {
    /// Whether the command exited with code 0, or was a dry run.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Whether nothing ran because the command was in dry-run mode.
    pub fn is_dry_run(&self) -> bool {
        self.status == Status::DryRun
    }

    /// Captured stdout as text (lossy, see [`Captured::text`]).
    pub fn stdout_text(&self) -> std::borrow::Cow<'_, str> {
        self.stdout.text()
    }

    /// Captured stderr as text (lossy, see [`Captured::text`]).
    pub fn stderr_text(&self) -> std::borrow::Cow<'_, str> {
        self.stderr.text()
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_well() {
        assert_eq!(Status::Exited { code: 3 }.to_string(), "exited with code 3");
        assert_eq!(
            Status::Signaled { signal: 9 }.to_string(),
            "was killed by signal 9 (SIGKILL)"
        );
        assert_eq!(
            Status::Signaled { signal: 64 }.to_string(),
            "was killed by signal 64"
        );
        assert!(Status::DryRun.success() && !Status::TimedOut.success());
        assert_eq!(Status::Exited { code: 2 }.code(), Some(2));
        assert_eq!(Status::Signaled { signal: 15 }.signal(), Some(15));
        assert_eq!(signal_name(15), Some("SIGTERM"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(-1), None);
    }

    #[test]
    fn serializes_status_with_a_kind() {
        let v = serde_json::to_value(Status::Exited { code: 1 }).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "exited", "code": 1}));
        let v = serde_json::to_value(Status::TimedOut).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "timed_out"}));
    }
}
