//! What both engines share: turning a [`Command`] into a
//! `std::process::Command`, spawn errors, the process-group guard, and
//! turning the end of a run into an [`Outcome`] or an [`Error`].

use std::fs::File;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{self, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use crate::capture::{Captured, Line, Sink, Stream};
use crate::command::{Check, Command, EnvBase, Input, Output};
use crate::error::{Error, Failure, spawn_reason};
use crate::outcome::{Outcome, Status};
use crate::supervise::{Action, EndedBy, Supervisor};
use std::os::unix::ffi::OsStrExt;

use crate::secret::scrub;

/// How much of stderr an error message carries.
const STDERR_TAIL_BYTES: usize = 1024;
const STDERR_TAIL_LINES: usize = 10;

/// Bytes read from a pipe at a time.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The `std` command for `cmd`: in its own process group, environment and
/// stdio set up. `Input::Bytes` becomes a pipe that the engine writes.
pub(crate) fn std_command(cmd: &Command) -> Result<process::Command, Error> {
    cmd.validate()?;
    let mut std_cmd = process::Command::new(&cmd.program);
    std_cmd.args(cmd.args.iter().map(|a| &a.raw));
    match &cmd.env_base {
        EnvBase::Inherit => {}
        EnvBase::Clear => {
            std_cmd.env_clear();
        }
        EnvBase::Allow(keys) => {
            std_cmd.env_clear();
            for key in keys {
                if let Some(value) = std::env::var_os(key) {
                    std_cmd.env(key, value);
                }
            }
        }
    }
    for (key, value) in &cmd.env {
        match value {
            Some(v) => std_cmd.env(key, &v.raw),
            None => std_cmd.env_remove(key),
        };
    }
    if let Some(dir) = &cmd.cwd {
        std_cmd.current_dir(dir);
    }
    // Its own group: a timeout or a drop signals the whole tree, and a
    // terminal's Ctrl-C reaches only us (we end the group on the way out).
    std_cmd.process_group(0);
    let stdin = match &cmd.stdin {
        Input::Null => Stdio::null(),
        Input::Inherit => Stdio::inherit(),
        Input::Bytes(_) => Stdio::piped(),
        Input::File(path) => File::open(path)
            .map(Stdio::from)
            .map_err(|source| Error::Stdin {
                command: cmd.command_line(),
                path: path.clone(),
                source,
            })?,
    };
    std_cmd.stdin(stdin);
    std_cmd.stdout(stdio(cmd.stdout));
    std_cmd.stderr(stdio(cmd.stderr));
    Ok(std_cmd)
}

fn stdio(output: Output) -> Stdio {
    match output {
        Output::Capture => Stdio::piped(),
        Output::Inherit => Stdio::inherit(),
        Output::Null => Stdio::null(),
    }
}

/// The error for a failed spawn: a missing working directory is told apart
/// from a missing program (both are `ENOENT`).
pub(crate) fn spawn_error(cmd: &Command, source: io::Error) -> Error {
    let program = cmd.program.to_string_lossy().into_owned();
    let reason = match &cmd.cwd {
        Some(dir) if source.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
            format!("working directory {} does not exist", dir.display())
        }
        _ => spawn_reason(&program, &source),
    };
    Error::Spawn {
        program,
        reason,
        source,
    }
}

/// Kills the process group when dropped while armed: a run that is
/// abandoned (a panic in a callback, a dropped future) leaves nothing
/// behind. Disarmed once the leader is reaped, since its pid may then be
/// reused.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    pgid: Option<Pid>,
}

impl GroupGuard {
    pub(crate) fn new(pid: u32) -> GroupGuard {
        GroupGuard {
            pgid: i32::try_from(pid).ok().and_then(Pid::from_raw),
        }
    }

    /// Sends `signal` to the group; a group already gone is fine.
    pub(crate) fn signal(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            match kill_process_group(pgid, signal) {
                Ok(()) => tracing::debug!(
                    pgid = pgid.as_raw_nonzero().get(),
                    ?signal,
                    "signalled process group"
                ),
                Err(e) => {
                    tracing::debug!(pgid = pgid.as_raw_nonzero().get(), ?signal, error = %e, "process group not signalled")
                }
            }
        }
    }

    pub(crate) fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.pgid.is_some() {
            tracing::warn!("run abandoned; killing its process group");
            self.signal(Signal::KILL);
        }
    }
}

/// What both engines keep for one started run: the deadlines, the group,
/// and the two output sinks.
pub(crate) struct Tracker<'c> {
    cmd: &'c Command,
    start: Instant,
    pid: u32,
    guard: GroupGuard,
    sup: Supervisor,
    pub(crate) out: Sink,
    pub(crate) err: Sink,
}

/// What the engine does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Wait for an event, at most this long (for ever when `None`).
    Wait(Option<Duration>),
    /// Stop reading the output pipes, then call [`Tracker::abandoned`].
    Abandon,
    /// Reap the leader, then call [`Tracker::conclude`].
    Finish,
}

impl<'c> Tracker<'c> {
    /// The run of `cmd` whose leader `pid` started at `start`.
    pub(crate) fn new(
        cmd: &'c Command,
        start: Instant,
        pid: u32,
        pipes: bool,
        lines: bool,
    ) -> Self {
        tracing::Span::current().record("pid", pid);
        tracing::debug!(command = %cmd, "started");
        Tracker {
            cmd,
            start,
            pid,
            guard: GroupGuard::new(pid),
            sup: Supervisor::new(start, cmd.timeout, cmd.grace, cmd.wait_delay, pipes),
            out: Sink::new(Stream::Stdout, cmd.capture_limit, lines),
            err: Sink::new(Stream::Stderr, cmd.capture_limit, lines),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        self.cmd.clock.0.now()
    }

    /// Sends the signals that are due; tells the engine what to do.
    pub(crate) fn step(&mut self) -> Step {
        let now = self.now();
        loop {
            match self.sup.step(now) {
                Action::Terminate => {
                    tracing::info!(
                        timeout_s = self.cmd.timeout.map(|t| t.as_secs_f64()),
                        "timeout; sending SIGTERM to the process group"
                    );
                    self.guard.signal(Signal::TERM);
                }
                Action::Kill => self.guard.signal(Signal::KILL),
                Action::Wait => {
                    let wait = self.sup.next_deadline();
                    return Step::Wait(wait.map(|d| d.saturating_duration_since(now)));
                }
                Action::Abandon => return Step::Abandon,
                Action::Finish => return Step::Finish,
            }
        }
    }

    /// The run's `Cancel` handle fired (or was found cancelled).
    pub(crate) fn cancel(&mut self) {
        self.sup.cancel();
    }

    /// The leader exited (reaped or not).
    pub(crate) fn leader_exited(&mut self) {
        let now = self.now();
        self.sup.leader_exited(now);
    }

    /// Which pipes are still open after an event.
    pub(crate) fn pipes_open(&mut self, stdout: bool, stderr: bool) {
        if !stdout && !stderr {
            self.sup.pipes_closed();
        }
    }

    /// The engine dropped the pipes that were still open.
    pub(crate) fn abandoned(
        &mut self,
        stdout: bool,
        stderr: bool,
        on_line: &mut dyn FnMut(Line<'_>),
    ) {
        if stdout {
            self.out.end(on_line);
        }
        if stderr {
            self.err.end(on_line);
        }
    }

    /// The leader is reaped with `status`: the outcome or the error.
    pub(crate) fn conclude(mut self, status: ExitStatus) -> Result<Outcome, Error> {
        self.guard.disarm();
        let duration = self.now().saturating_duration_since(self.start);
        conclude(
            self.cmd,
            Ended {
                status,
                ended_by: self.sup.ended_by(),
                pid: self.pid,
                duration,
                stdout: self.out.finish(),
                stderr: self.err.finish(),
                pipes_left_open: self.sup.abandoned(),
            },
        )
    }
}

/// What a run hands over at its end.
struct Ended {
    status: ExitStatus,
    ended_by: Option<EndedBy>,
    pid: u32,
    duration: Duration,
    stdout: Captured,
    stderr: Captured,
    pipes_left_open: bool,
}

/// The outcome of a finished run, or the check-mode error for it; logs
/// the end in the current span.
fn conclude(cmd: &Command, ended: Ended) -> Result<Outcome, Error> {
    let status = if let Some(why) = ended.ended_by {
        match why {
            EndedBy::Timeout => Status::TimedOut,
            EndedBy::Cancel => Status::Cancelled,
        }
    } else {
        match (ended.status.code(), ended.status.signal()) {
            (Some(code), _) => Status::Exited { code },
            (None, Some(signal)) => Status::Signaled { signal },
            (None, None) => Status::Exited { code: -1 },
        }
    };
    let outcome = Outcome {
        command: cmd.command_line(),
        status,
        pid: Some(ended.pid),
        duration: ended.duration,
        stdout: ended.stdout,
        stderr: ended.stderr,
        pipes_left_open: ended.pipes_left_open,
    };
    let span = tracing::Span::current();
    span.record("duration_ms", ended.duration.as_secs_f64() * 1e3);
    span.record("outcome", tracing::field::display(outcome_word(status)));
    if ended.pipes_left_open {
        tracing::warn!("output still held open by a process outside the group; stopped reading");
    }
    let allowed = match (&cmd.check, status) {
        (Check::Never, _) => true,
        (Check::Success, Status::Exited { code }) => code == 0,
        (Check::Codes(codes), Status::Exited { code }) => codes.contains(&code),
        _ => false,
    };
    if allowed {
        tracing::debug!(status = %status, "finished");
        return Ok(outcome);
    }
    let failure = Box::new(Failure {
        stderr_tail: stderr_tail(cmd, &outcome.stderr),
        timeout: cmd.timeout,
        transient: status
            .code()
            .is_some_and(|c| cmd.transient_codes.contains(&c)),
        outcome,
    });
    if status == Status::TimedOut {
        tracing::warn!(
            timeout_s = cmd.timeout.map(|t| t.as_secs_f64()),
            "timed out; process group killed"
        );
        Err(Error::TimedOut(failure))
    } else if status == Status::Cancelled {
        tracing::info!("cancelled; process group killed");
        Err(Error::Cancelled(failure))
    } else {
        tracing::debug!(status = %status, "failed");
        Err(Error::Failed(failure))
    }
}

pub(crate) fn outcome_word(status: Status) -> String {
    match status {
        Status::Exited { code } => format!("exit {code}"),
        Status::Signaled { signal } => format!("signal {signal}"),
        Status::TimedOut => "timeout".to_owned(),
        Status::Cancelled => "cancelled".to_owned(),
        Status::DryRun => "dry-run".to_owned(),
    }
}

/// The last lines of stderr, secrets scrubbed, lines joined by ` | `.
fn stderr_tail(cmd: &Command, stderr: &Captured) -> String {
    let secrets = cmd.secrets();
    let raw = stderr.last_bytes(STDERR_TAIL_BYTES);
    let mut clean = scrub(&raw, &secrets);
    if (raw.len() as u64) < stderr.total_len() {
        // The window may start inside a secret, whose end then no longer
        // matches it: drop any start that ends a secret, and the partial
        // first line.
        let cut = secrets
            .iter()
            .map(|s| s.as_bytes())
            .flat_map(|s| (1..s.len()).map(move |k| &s[k..]))
            .filter(|end| clean.starts_with(end))
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        clean.drain(..cut);
        let line_end = clean
            .iter()
            .position(|&b| b == b'\n')
            .map_or(clean.len(), |i| i + 1);
        clean.drain(..line_end);
    }
    let text = String::from_utf8_lossy(&clean);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines.len().saturating_sub(STDERR_TAIL_LINES);
    lines[first..].join(" | ")
}

/// The outcome of a dry run: the command logged, nothing started.
pub(crate) fn dry_run(cmd: &Command) -> Outcome {
    tracing::info!(command = %cmd, "dry run: not executed");
    tracing::Span::current().record("outcome", "dry-run");
    Outcome {
        command: cmd.command_line(),
        status: Status::DryRun,
        pid: None,
        duration: Duration::ZERO,
        stdout: Captured::default(),
        stderr: Captured::default(),
        pipes_left_open: false,
    }
}

/// The span of one run.
pub(crate) fn span(cmd: &Command) -> tracing::Span {
    tracing::info_span!(
        "exec",
        program = %cmd.program.to_string_lossy(),
        pid = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Keeper;

    #[test]
    fn stderr_tail_is_scrubbed_and_short() {
        let mut cmd = Command::new("x");
        cmd.secret_arg("s3cr3t-value");
        let mut k = Keeper::new(1 << 20);
        for i in 0..50 {
            k.push(format!("line {i}\n").as_bytes());
        }
        k.push(b"auth failed for s3cr3t-value\n\n");
        let tail = stderr_tail(&cmd, &k.finish());
        assert!(tail.ends_with("line 49 | auth failed for ***"), "{tail}");
        assert_eq!(tail.matches(" | ").count(), STDERR_TAIL_LINES - 1);
        assert!(!tail.contains("s3cr3t"));
    }

    #[test]
    fn a_secret_cut_by_the_window_leaves_nothing() {
        let mut cmd = Command::new("x");
        cmd.secret_arg("PEM-line-one\nPEM-line-two");
        // The window of the last STDERR_TAIL_BYTES starts before the
        // secret, then at each of its bytes, then after it.
        for shift in 0..40 {
            let mut k = Keeper::new(1 << 20);
            k.push(b"PEM-line-one\nPEM-line-two\n");
            k.push(&vec![b'x'; STDERR_TAIL_BYTES - 30 + shift]);
            let tail = stderr_tail(&cmd, &k.finish());
            assert!(
                !tail.contains("PEM") && !tail.contains("line-t"),
                "{shift}: {tail}"
            );
        }
    }
}
