//! The blocking engine: one thread, one `poll(2)` loop over the output
//! pipes, the stdin pipe and a pidfd of the leader, with the timeout as the
//! poll's deadline. No helper threads, so the line callback needs neither
//! `Send` nor locks, and nothing is left running when the run returns.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::time::Duration;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions, pidfd_open, waitid};

use crate::cancel::Cancel;
use crate::capture::{Line, Sink};
use crate::command::{Command, Input, RunMode};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::spawn::{self, READ_CHUNK, Step, Tracker};

/// Without a pidfd (Linux before 5.3, some sandboxes), the leader's exit
/// is checked this often.
const EXIT_POLL: Duration = Duration::from_millis(10);
/// The size asked for the output pipes (Linux's default is 64 KiB, the
/// unprivileged maximum 1 MiB).
const PIPE_SIZE: usize = 1 << 20;
/// The read buffer's first size; it grows to `READ_CHUNK` when a read
/// fills it.
const FIRST_READ: usize = 4096;
/// Reads from one pipe per wake-up at most, so that a fast stream does not
/// starve the other or the deadline checks.
const READS_PER_WAKE: usize = 16;

impl Command {
    /// Runs the command and waits for it, within its timeout.
    ///
    /// In check mode (the default) a non-zero exit, a signal or a timeout
    /// is an [`Error::Failed`] or [`Error::TimedOut`] that carries the
    /// [`Outcome`]. A command in dry-run mode returns at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ops_exec::Command;
    ///
    /// let out = Command::new("echo").arg("hello").timeout(Duration::from_secs(10)).run()?;
    /// assert_eq!(out.stdout_text(), "hello\n");
    /// # Ok::<(), ops_exec::Error>(())
    /// ```
    pub fn run(&self) -> Result<Outcome, Error> {
        run(self, None)
    }

    /// Runs the command like [`run`](Command::run), handing every line of
    /// its captured streams to `on_line` as soon as it is complete (while
    /// still keeping up to the capture limit: set it to 0 to keep nothing).
    ///
    /// ```
    /// use ops_exec::{Command, Stream};
    ///
    /// let mut errors = Vec::new();
    /// Command::shell("echo building; echo 'warning: slow' >&2").run_with_lines(|line| {
    ///     if line.stream == Stream::Stderr {
    ///         errors.push(line.text().into_owned());
    ///     }
    /// })?;
    /// assert_eq!(errors, ["warning: slow"]);
    /// # Ok::<(), ops_exec::Error>(())
    /// ```
    pub fn run_with_lines<F>(&self, mut on_line: F) -> Result<Outcome, Error>
    where
        F: FnMut(Line<'_>),
    {
        run(self, Some(&mut on_line))
    }
}

fn run(cmd: &Command, on_line: Option<&mut dyn FnMut(Line<'_>)>) -> Result<Outcome, Error> {
    let span = spawn::span(cmd);
    let _entered = span.enter();
    let result = execute(cmd, on_line);
    cmd.listeners.finished(cmd, &result);
    result
}

fn execute(cmd: &Command, on_line: Option<&mut dyn FnMut(Line<'_>)>) -> Result<Outcome, Error> {
    if cmd.mode == RunMode::DryRun {
        return Ok(spawn::dry_run(cmd));
    }
    let mut std_cmd = spawn::std_command(cmd)?;
    let clock = &cmd.clock.0;
    let start = clock.now();
    let mut child = std_cmd.spawn().map_err(|e| spawn::spawn_error(cmd, e))?;
    let pid = child.id();

    let io_error = |source: io::Error| Error::Io {
        command: cmd.command_line(),
        source,
    };
    let mut pipes = Pipes {
        stdin: child.stdin.take(),
        stdin_data: match &cmd.stdin {
            Input::Bytes(b) => b,
            _ => &[],
        },
        stdout: child.stdout.take(),
        stderr: child.stderr.take(),
    };
    let open = pipes.stdout.is_some() || pipes.stderr.is_some();
    let mut run = Tracker::new(cmd, start, pid, open, on_line.is_some());
    pipes.set_nonblocking().map_err(io_error)?;
    if pipes.stdin_data.is_empty() {
        pipes.stdin = None;
    }
    let leader = Pid::from_child(&child);
    // A pidfd turns the leader's exit into a poll event without reaping
    // it: the zombie keeps the group id taken until we have signalled.
    let mut pidfd = pidfd_open(leader, PidfdFlags::empty()).ok();
    let mut noop = |_: Line<'_>| {};
    let on_line: &mut dyn FnMut(Line<'_>) = match on_line {
        Some(f) => f,
        None => &mut noop,
    };
    let mut exited = false;
    let cancel = cmd.cancel.as_ref();
    let mut cancelled = false;
    // Small until a read fills it: most commands print little, and a
    // quiet one costs no large buffer.
    let mut buf = vec![0u8; FIRST_READ];

    loop {
        let mut wait = match run.step() {
            Step::Wait(wait) => wait,
            Step::Abandon => {
                let (out, err) = (pipes.stdout.take(), pipes.stderr.take());
                run.abandoned(out.is_some(), err.is_some(), on_line);
                pipes.stdin = None;
                continue;
            }
            Step::Finish => break,
        };
        if pidfd.is_none() && !exited {
            wait = Some(wait.map_or(EXIT_POLL, |w| w.min(EXIT_POLL)));
        }
        let watch = cancel.filter(|_| !exited && !cancelled);
        if watch.is_some_and(Cancel::is_cancelled) {
            cancelled = true;
            run.cancel();
            continue;
        }
        let ready =
            wait_ready(&pipes, pidfd.as_ref(), watch.map(Cancel::fd), wait).map_err(io_error)?;

        if ready.stdout
            && let Some(pipe) = &mut pipes.stdout
            && drain(pipe, &mut buf, &mut run.out, on_line).map_err(io_error)?
        {
            pipes.stdout = None;
        }
        if ready.stderr
            && let Some(pipe) = &mut pipes.stderr
            && drain(pipe, &mut buf, &mut run.err, on_line).map_err(io_error)?
        {
            pipes.stderr = None;
        }
        if ready.stdin {
            pipes.feed_stdin().map_err(io_error)?;
        }
        run.pipes_open(pipes.stdout.is_some(), pipes.stderr.is_some());
        if !exited && (ready.exited || (pidfd.is_none() && has_exited(leader))) {
            exited = true;
            pidfd = None;
            run.leader_exited();
        }
    }
    drop(pipes);
    let status = child.wait().map_err(io_error)?;
    run.conclude(status)
}

/// The parent's ends of the child's pipes, `None` once closed.
struct Pipes<'a> {
    stdin: Option<ChildStdin>,
    stdin_data: &'a [u8],
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
}

impl Pipes<'_> {
    fn set_nonblocking(&self) -> io::Result<()> {
        if let Some(p) = &self.stdin {
            rustix::io::ioctl_fionbio(p, true)?;
        }
        if let Some(p) = &self.stdout {
            rustix::io::ioctl_fionbio(p, true)?;
        }
        if let Some(p) = &self.stderr {
            rustix::io::ioctl_fionbio(p, true)?;
        }
        Ok(())
    }

    /// Writes what the pipe takes; closes it when all is written or the
    /// child closed its end (not an error: it did not want the rest).
    fn feed_stdin(&mut self) -> io::Result<()> {
        let Some(pipe) = &mut self.stdin else {
            return Ok(());
        };
        loop {
            match pipe.write(self.stdin_data) {
                Ok(n) => {
                    self.stdin_data = &self.stdin_data[n..];
                    if self.stdin_data.is_empty() {
                        self.stdin = None;
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    self.stdin = None;
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[derive(Debug, Default)]
struct Ready {
    stdin: bool,
    stdout: bool,
    stderr: bool,
    exited: bool,
}

/// Waits up to `wait` (for ever when `None`) for one of the pipes, the
/// pidfd or the cancel handle to be ready.
fn wait_ready(
    pipes: &Pipes<'_>,
    pidfd: Option<&OwnedFd>,
    cancel: Option<&OwnedFd>,
    wait: Option<Duration>,
) -> io::Result<Ready> {
    let readable = PollFlags::IN | PollFlags::HUP | PollFlags::ERR;
    let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(5);
    let mut slots = [usize::MAX; 5];
    if let Some(p) = &pipes.stdout {
        slots[0] = fds.len();
        fds.push(PollFd::new(p, PollFlags::IN));
    }
    if let Some(p) = &pipes.stderr {
        slots[1] = fds.len();
        fds.push(PollFd::new(p, PollFlags::IN));
    }
    if let Some(p) = &pipes.stdin {
        slots[2] = fds.len();
        fds.push(PollFd::new(p, PollFlags::OUT));
    }
    if let Some(p) = pidfd {
        slots[3] = fds.len();
        fds.push(PollFd::new(p, PollFlags::IN));
    }
    // Readable once cancelled; the engine checks the flag on every lap, so
    // the event only needs to wake it.
    if let Some(c) = cancel {
        slots[4] = fds.len();
        fds.push(PollFd::new(c, PollFlags::IN));
    }
    let timeout = wait.map(timespec);
    match poll(&mut fds, timeout.as_ref()) {
        Ok(_) => {}
        Err(rustix::io::Errno::INTR) => return Ok(Ready::default()),
        Err(e) => return Err(e.into()),
    }
    let hit = |slot: usize, flags: PollFlags| {
        fds.get(slot).is_some_and(|f| f.revents().intersects(flags))
    };
    Ok(Ready {
        stdout: hit(slots[0], readable),
        stderr: hit(slots[1], readable),
        stdin: hit(slots[2], PollFlags::OUT | PollFlags::ERR | PollFlags::HUP),
        exited: hit(slots[3], PollFlags::IN),
    })
}

/// A poll timeout of `d`.
pub(crate) fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// Reads what the pipe has; `Ok(true)` at end of file. A read that fills
/// the buffer marks a loud stream: the buffer grows to [`READ_CHUNK`], and
/// the pipe to [`PIPE_SIZE`] (fewer wake-ups: a sixteenth of the context
/// switches at 1 GB/s; refused above the system's limit, which is fine).
fn drain<P: Read + AsFd>(
    pipe: &mut P,
    buf: &mut Vec<u8>,
    sink: &mut Sink,
    on_line: &mut dyn FnMut(Line<'_>),
) -> io::Result<bool> {
    for _ in 0..READS_PER_WAKE {
        match sink.read_from(pipe, buf, on_line) {
            Ok(0) => {
                sink.end(on_line);
                return Ok(true);
            }
            Ok(n) if n == buf.len() && n < READ_CHUNK => {
                buf.resize(READ_CHUNK, 0);
                let _ = rustix::pipe::fcntl_setpipe_size(&*pipe, PIPE_SIZE);
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Whether the leader exited, without reaping it.
fn has_exited(leader: Pid) -> bool {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    matches!(waitid(WaitId::Pid(leader), options), Ok(Some(_)))
}
