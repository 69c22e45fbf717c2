//! `safe-exec`: runs one command with a timeout that ends its whole process
//! tree, as GNU `timeout` does for one process.
//!
//! A thin command line over `ops-exec`: options become a `Command`, the run
//! becomes an exit code (the command's; 124 on timeout; 128+N for signal N;
//! 126/127 when it cannot start; 2 for our own usage errors), and `--json`
//! prints the `Outcome`.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use clap::Parser;
use ops_cli::LogArgs;
use ops_exec::{Cancel, CancelClock, Command, Error, Input, Outcome, Output, RunMode, Status};
use ops_resilience::{
    AttemptEvent, Backoff, Jitter, NextStep, RetryError, RetryListener, RetryPolicy,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Exit code on timeout, as GNU timeout.
const EXIT_TIMEOUT: u8 = 124;
/// The command exists but cannot be run (shells use 126).
const EXIT_CANNOT_RUN: u8 = 126;
/// The command was not found (shells use 127).
const EXIT_NOT_FOUND: u8 = 127;
/// `EX_TEMPFAIL` from sysexits.h: "try again later".
const EX_TEMPFAIL: i32 = 75;

#[derive(Debug, Parser)]
#[command(name = "safe-exec", version, about, max_term_width = 100)]
/// Runs a command with a timeout that ends its whole process tree.
///
/// The command runs in a process group of its own, without a shell, its
/// stdin, stdout and stderr those of safe-exec (captured instead with
/// --json). On timeout the group gets SIGTERM, then SIGKILL after the
/// grace period; SIGINT, SIGTERM or SIGHUP to safe-exec do the same (and
/// exit 128+N). Exit code: the command's; 124 on timeout; 128+N when
/// signal N ended it; 126 when it cannot run, 127 when it is not found;
/// 2 on a usage error.
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// Seconds (fractions allowed) before the process group is terminated.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    timeout: Option<Duration>,
    /// Seconds between SIGTERM and SIGKILL after a timeout.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "5")]
    grace: Duration,
    /// Runs again, up to N more times, after a transient failure: a
    /// timeout, or exit code 75 (EX_TEMPFAIL). The first retry waits
    /// 200 ms, each next one twice as long up to 5 s, each wait drawn
    /// between half and all of that; Ctrl-C ends a wait at once.
    #[arg(long, value_name = "N", default_value_t = 0)]
    retries: u32,
    /// Prints the command that would run, and runs nothing.
    #[arg(long)]
    dry_run: bool,
    /// With --json: bytes kept of each of stdout and stderr (the first and
    /// last bytes, half and half up to a last 1 MiB; the rest is counted).
    #[arg(long, value_name = "BYTES", default_value_t = ops_exec::DEFAULT_CAPTURE_LIMIT)]
    capture_limit: usize,
    /// Captures the output and prints one JSON object: command, status,
    /// pid, duration, stdout, stderr, attempts.
    #[arg(long)]
    json: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("safe-exec", || {
        cli.log.init()?;
        run(&cli)
    })
}

fn run(cli: &Cli) -> Result<ExitCode, BoxError> {
    let (program, args) = cli.command.split_first().ok_or("no command given")?;
    // The command has a process group of its own, out of reach of the
    // terminal's Ctrl-C: a signal to us ends its group, as a timeout would.
    let cancel = Cancel::on_signals()?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .cancel_on(&cancel)
        .grace(cli.grace)
        .stdin(Input::Inherit)
        .transient_exit_codes([EX_TEMPFAIL])
        .run_mode(if cli.dry_run {
            RunMode::DryRun
        } else {
            RunMode::Execute
        });
    if let Some(t) = cli.timeout {
        cmd.timeout(t);
    }
    if cli.json {
        cmd.capture_limit(cli.capture_limit);
    } else {
        cmd.stdout(Output::Inherit).stderr(Output::Inherit);
    }
    let attempts = Arc::new(Attempts::default());
    let policy = retry_policy(cli.retries, &cancel, &attempts)?;
    let outcome = match cmd.run_with_retry(&policy).map_err(RetryError::into_inner) {
        Ok(outcome) => outcome,
        Err(Some(Error::Failed(f) | Error::TimedOut(f) | Error::Cancelled(f))) => {
            f.outcome().clone()
        }
        Err(Some(e)) => return Ok(cannot_run(cli, &cmd, &e)),
        // Only an async attempt is cut short without an error of its own.
        Err(None) => return Err("the command's last attempt was cut short".into()),
    };
    if cli.json {
        let mut value = serde_json::to_value(&outcome)?;
        value["attempts"] = attempts.0.load(Ordering::Relaxed).into();
        println!("{value}");
    } else if outcome.is_dry_run() {
        println!("{}", cmd);
    }
    if let Some(signal) = cancel
        .signal()
        .filter(|_| outcome.status == Status::Cancelled)
    {
        return Ok(ExitCode::from(u8::try_from(128 + signal).unwrap_or(255)));
    }
    Ok(ExitCode::from(exit_code(&outcome)))
}

/// The retry policy of `--retries N`: N + 1 attempts, waiting 200 ms
/// before the first retry and twice as long before each next one, up to
/// 5 s, each wait drawn between half and all of that (equal jitter), on a
/// clock whose waits a Ctrl-C cuts short.
fn retry_policy(
    retries: u32,
    cancel: &Cancel,
    attempts: &Arc<Attempts>,
) -> Result<RetryPolicy, BoxError> {
    let policy = RetryPolicy::builder()
        .max_attempts(retries.saturating_add(1))
        .backoff(Backoff::exponential(
            Duration::from_millis(200),
            2.0,
            Duration::from_secs(5),
        )?)
        .jitter(Jitter::Equal)
        .clock(CancelClock::new(cancel))
        .listener(Arc::clone(attempts))
        .build()?;
    Ok(policy)
}

/// Counts the attempts for `--json`, and tells of each retry on stderr.
#[derive(Debug, Default)]
struct Attempts(AtomicU32);

impl RetryListener for Attempts {
    fn on_attempt(&self, event: &AttemptEvent<'_>) {
        self.0.store(event.attempt, Ordering::Relaxed);
        if let (NextStep::Retry { delay, .. }, Some(error)) = (event.next, event.error) {
            eprintln!(
                "safe-exec: attempt {} failed ({error}); retrying in {:.2} s",
                event.attempt,
                delay.as_secs_f64()
            );
        }
    }
}

/// The command could not start: one line on stderr (or a JSON object), and
/// the shell's exit code for it.
fn cannot_run(cli: &Cli, cmd: &Command, e: &Error) -> ExitCode {
    let line = ops_cli::error_chain(e);
    if cli.json {
        let value = serde_json::json!({ "command": cmd.command_line(), "error": line });
        println!("{value}");
    } else {
        eprintln!("safe-exec: error: {line}");
    }
    match e {
        Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            ExitCode::from(EXIT_NOT_FOUND)
        }
        _ => ExitCode::from(EXIT_CANNOT_RUN),
    }
}

fn exit_code(outcome: &Outcome) -> u8 {
    match outcome.status {
        Status::Exited { code } => u8::try_from(code).unwrap_or(1),
        Status::Signaled { signal } => u8::try_from(128 + signal).unwrap_or(255),
        Status::TimedOut => EXIT_TIMEOUT,
        _ => 0,
    }
}
