//! The tokio engine: the same run as `blocking.rs`, with tokio's pipes,
//! timers and child reaping, driven by the same [`Supervisor`].

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::ChildStdin;
use tracing::Instrument;

use crate::cancel::Cancel;
use crate::capture::Line;
use crate::command::{Command, Input, RunMode};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::spawn::{self, READ_CHUNK, Step, Tracker};

type OnLine<'a> = &'a mut (dyn FnMut(Line<'_>) + Send);

impl Command {
    /// [`run`](Command::run) on the tokio runtime (needs its IO driver,
    /// as every tokio process does: `enable_all` on the runtime builder).
    ///
    /// Dropping the future before it completes kills the process group.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ops_exec::Error> {
    /// let out = ops_exec::Command::new("echo").arg("hi").run_async().await?;
    /// assert_eq!(out.stdout_text(), "hi\n");
    /// # Ok(())
    /// # }
    /// ```
    pub fn run_async(&self) -> impl Future<Output = Result<Outcome, Error>> + Send + '_ {
        let span = spawn::span(self);
        run(self, None).instrument(span)
    }

    /// [`run_with_lines`](Command::run_with_lines) on the tokio runtime.
    pub async fn run_with_lines_async<F>(&self, mut on_line: F) -> Result<Outcome, Error>
    where
        F: FnMut(Line<'_>) + Send,
    {
        let span = spawn::span(self);
        run(self, Some(&mut on_line)).instrument(span).await
    }
}

async fn run(cmd: &Command, on_line: Option<OnLine<'_>>) -> Result<Outcome, Error> {
    let result = execute(cmd, on_line).await;
    cmd.listeners.finished(cmd, &result);
    result
}

async fn execute(cmd: &Command, on_line: Option<OnLine<'_>>) -> Result<Outcome, Error> {
    if cmd.mode == RunMode::DryRun {
        return Ok(spawn::dry_run(cmd));
    }
    let std_cmd = spawn::std_command(cmd)?;
    let mut tokio_cmd = tokio::process::Command::from(std_cmd);
    let clock = &cmd.clock.0;
    let start = clock.now();
    let mut child = tokio_cmd.spawn().map_err(|e| spawn::spawn_error(cmd, e))?;
    let pid = child.id().unwrap_or(0);
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let open = stdout.is_some() || stderr.is_some();
    let mut run = Tracker::new(cmd, start, pid, open, on_line.is_some());

    let io_error = |source: io::Error| Error::Io {
        command: cmd.command_line(),
        source,
    };
    let mut stdin = child.stdin.take();
    let mut stdin_data: &[u8] = match &cmd.stdin {
        Input::Bytes(b) => b,
        _ => &[],
    };
    if stdin_data.is_empty() {
        stdin = None;
    }
    let mut noop = |_: Line<'_>| {};
    let on_line: OnLine<'_> = match on_line {
        Some(f) => f,
        None => &mut noop,
    };
    let mut status = None;
    let mut cancelled = false;
    let mut out_buf = vec![0u8; READ_CHUNK];
    let mut err_buf = vec![0u8; READ_CHUNK];

    loop {
        // On a timeout, the final SIGKILL to the group may come after
        // tokio's `wait` reaped the leader: its pid stays taken while
        // stragglers keep the group alive, and with none left the signal
        // finds nothing (unless the pid space wrapped around in between).
        let wait = match run.step() {
            Step::Wait(wait) => wait,
            Step::Abandon => {
                let (out, err) = (stdout.take(), stderr.take());
                run.abandoned(out.is_some(), err.is_some(), on_line);
                stdin = None;
                continue;
            }
            Step::Finish => break,
        };
        let watch = cmd
            .cancel
            .as_ref()
            .filter(|_| status.is_none() && !cancelled);
        if watch.is_some_and(Cancel::is_cancelled) {
            cancelled = true;
            run.cancel();
            continue;
        }
        tokio::select! {
            r = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => {
                match r.map_err(io_error)? {
                    0 => {
                        stdout = None;
                        run.out.end(on_line);
                    }
                    n => run.out.push(&out_buf[..n], on_line),
                }
            }
            r = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => {
                match r.map_err(io_error)? {
                    0 => {
                        stderr = None;
                        run.err.end(on_line);
                    }
                    n => run.err.push(&err_buf[..n], on_line),
                }
            }
            r = write_some(&mut stdin, stdin_data), if stdin.is_some() => {
                match r {
                    Ok(n) => {
                        stdin_data = &stdin_data[n..];
                        if stdin_data.is_empty() {
                            stdin = None;
                        }
                    }
                    // The command closed its stdin: it did not want the rest.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => stdin = None,
                    Err(e) => return Err(io_error(e)),
                }
            }
            s = child.wait(), if status.is_none() => {
                status = Some(s.map_err(io_error)?);
                run.leader_exited();
            }
            () = wait_cancel(watch) => {}
            () = sleep(wait) => {}
        }
        run.pipes_open(stdout.is_some(), stderr.is_some());
    }
    drop(stdin);
    let status = match status {
        Some(s) => s,
        None => child.wait().await.map_err(io_error)?,
    };
    run.conclude(status)
}

async fn read_some<R: AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut [u8],
) -> io::Result<usize> {
    match pipe {
        Some(p) => p.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn write_some(pipe: &mut Option<ChildStdin>, data: &[u8]) -> io::Result<usize> {
    match pipe {
        Some(p) => p.write(data).await,
        None => std::future::pending().await,
    }
}

async fn wait_cancel(cancel: Option<&Cancel>) {
    match cancel {
        Some(c) => c.cancelled().await,
        None => std::future::pending().await,
    }
}

async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
