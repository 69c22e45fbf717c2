//! Runs retried by an ops-resilience [`RetryPolicy`] (feature
//! `resilience`).
//!
//! Two clocks meet here, and stay apart. The policy's clock
//! (`ops_resilience::Clock`) measures the policy's deadline and is what the
//! waits between attempts sleep on. The command's clock
//! ([`crate::Clock`]) only decides when an attempt's timeout, grace
//! period and wait delay have passed while the process runs in real time;
//! it cannot sleep, and a virtual clock there would stop time for a real
//! process. So a policy on a `ManualClock` gives real attempts with
//! virtual waits between them.

use std::time::{Duration, Instant};

use ops_resilience::{Classify, RetryError, RetryPolicy, Verdict};

use crate::cancel::Cancel;
use crate::capture::Captured;
use crate::command::Command;
use crate::error::{Error, Failure};
use crate::outcome::{Outcome, Status};

/// The classifier of [`Command::run_with_retry`]: an error that
/// [`Error::is_transient`] calls transient (a timeout, a declared exit
/// code, a spawn that lacked resources) is retried; every other outcome is
/// returned as it is.
///
/// Build on it to retry more:
///
/// ```
/// use ops_exec::{Command, Error, Outcome, RetryTransient};
/// use ops_resilience::{Classify, ManualClock, RetryPolicy, Verdict};
///
/// // git exits 128 when the remote cannot be reached, and for much else:
/// // retry it only when stderr says so.
/// let policy = RetryPolicy::builder()
///     .clock(ManualClock::new())
///     .classify(|r: &Result<Outcome, Error>| match r {
///         Err(Error::Failed(f)) if f.stderr_tail().contains("Could not resolve host") => Verdict::Retry,
///         r => RetryTransient.classify(r),
///     })
///     .build()?;
/// let err = Command::shell("echo 'fatal: Could not resolve host: example.invalid' >&2; exit 128")
///     .run_with_retry_classified(&policy)
///     .unwrap_err();
/// assert_eq!(err.attempts(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RetryTransient;

impl Classify<Outcome, Error> for RetryTransient {
    fn classify(&self, outcome: &Result<Outcome, Error>) -> Verdict {
        match outcome {
            Err(e) if e.is_transient() => Verdict::Retry,
            _ => Verdict::Done,
        }
    }
}

impl Command {
    /// Runs the command, and again while it fails transiently
    /// ([`RetryTransient`], that is [`Error::is_transient`]), as `policy`
    /// says: its attempts, backoff schedule and jitter, deadline, budget,
    /// clock and listeners. The waits sleep on the policy's clock.
    ///
    /// The policy is the default kind ([`RetryPolicy`] built without
    /// `classify`); to decide yourself what is retried, build it with a
    /// classifier of `Result<Outcome, Error>` and call
    /// [`run_with_retry_classified`](Command::run_with_retry_classified).
    ///
    /// Each attempt is a whole [`run`](Command::run): its own timeout, its
    /// own `exec` span and listener event. Attempts are told to the
    /// policy's listeners and logged (`debug`) in a span `exec_retry`. Once
    /// the command's [`Cancel`] handle is cancelled no attempt starts: the
    /// run returns [`Error::Cancelled`] (give the policy a
    /// [`CancelClock`] to cut the wait short too).
    ///
    /// ```
    /// use ops_exec::Command;
    /// use ops_resilience::{Backoff, Jitter, ManualClock, RetryPolicy};
    /// use std::time::Duration;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let clock = ManualClock::new(); // the waits are virtual, the runs real
    /// let policy = RetryPolicy::builder()
    ///     .max_attempts(5)
    ///     .backoff(Backoff::exponential(Duration::from_millis(200), 2.0, Duration::from_secs(5))?)
    ///     .jitter(Jitter::None)
    ///     .clock(clock.clone())
    ///     .build()?;
    /// // Exits 75 (EX_TEMPFAIL) twice, then succeeds.
    /// let out = Command::shell("n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n; [ $n -ge 2 ] || exit 75; echo ok")
    ///     .current_dir(dir.path())
    ///     .transient_exit_codes([75])
    ///     .run_with_retry(&policy)?;
    /// assert_eq!(out.stdout_text(), "ok\n");
    /// assert_eq!(clock.slept(), Duration::from_millis(600)); // 200 ms + 400 ms
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_with_retry(&self, policy: &RetryPolicy) -> Result<Outcome, RetryError<Error>> {
        self.run_with_retry_classified(&policy.with_classifier(RetryTransient))
    }

    /// [`run_with_retry`](Command::run_with_retry) with the policy's own
    /// classifier deciding what is retried. It should not retry
    /// [`Error::Cancelled`].
    pub fn run_with_retry_classified<C>(
        &self,
        policy: &RetryPolicy<C>,
    ) -> Result<Outcome, RetryError<Error>>
    where
        C: Classify<Outcome, Error>,
    {
        let span = self.retry_span(policy.max_attempts());
        let _entered = span.enter();
        policy.retry(|| match self.refused() {
            Some(e) => Err(e),
            None => self.run(),
        })
    }

    /// [`run_with_retry`](Command::run_with_retry) on the tokio runtime
    /// (features `resilience` and `tokio`).
    ///
    /// The waits between attempts sleep on tokio's timer, which is the
    /// clock of ops-resilience's `TokioClock`: give the policy that clock
    /// (or the default `SystemClock`, which agrees with tokio's timer
    /// unless the test pauses it), as for `RetryPolicy::retry_async`. A
    /// wait ends early when the command's [`Cancel`] handle is cancelled,
    /// and then no attempt follows. The policy's `attempt_timeout` drops
    /// an attempt that runs over, which kills its process group at once;
    /// [`Command::timeout`] is the gentler limit (SIGTERM, then the grace
    /// period).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use ops_exec::Command;
    /// use ops_resilience::{RetryPolicy, TokioClock};
    ///
    /// let policy = RetryPolicy::builder().max_attempts(3).clock(TokioClock::new()).build()?;
    /// let out = Command::new("echo").arg("hi").run_with_retry_async(&policy).await?;
    /// assert_eq!(out.stdout_text(), "hi\n");
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tokio")]
    pub async fn run_with_retry_async(
        &self,
        policy: &RetryPolicy,
    ) -> Result<Outcome, RetryError<Error>> {
        self.run_with_retry_classified_async(&policy.with_classifier(RetryTransient))
            .await
    }

    /// [`run_with_retry_async`](Command::run_with_retry_async) with the
    /// policy's own classifier deciding what is retried.
    #[cfg(feature = "tokio")]
    pub async fn run_with_retry_classified_async<C>(
        &self,
        policy: &RetryPolicy<C>,
    ) -> Result<Outcome, RetryError<Error>>
    where
        C: Classify<Outcome, Error>,
    {
        use tracing::Instrument;
        let cancel = self.cancel.as_ref();
        let attempt = || async {
            match self.refused() {
                Some(e) => Err(e),
                None => self.run_async().await,
            }
        };
        policy
            .retry_async_with(|d| wait(d, cancel), attempt)
            .instrument(self.retry_span(policy.max_attempts()))
            .await
    }

    fn retry_span(&self, max_attempts: u32) -> tracing::Span {
        tracing::info_span!(
            "exec_retry",
            program = %self.program.to_string_lossy(),
            max_attempts,
        )
    }

    /// The error of an attempt that is not started because the command's
    /// `Cancel` handle is cancelled.
    fn refused(&self) -> Option<Error> {
        if !self.cancel.as_ref().is_some_and(Cancel::is_cancelled) {
            return None;
        }
        tracing::info!("cancelled; no further attempt");
        Some(Error::Cancelled(Box::new(Failure {
            outcome: Outcome {
                command: self.command_line(),
                status: Status::Cancelled,
                pid: None,
                duration: Duration::ZERO,
                stdout: Captured::default(),
                stderr: Captured::default(),
                pipes_left_open: false,
            },
            stderr_tail: String::new(),
            timeout: self.timeout,
            transient: false,
        })))
    }
}

/// Sleeps for `d` on tokio's timer, or until `cancel` is cancelled.
#[cfg(feature = "tokio")]
async fn wait(d: Duration, cancel: Option<&Cancel>) {
    match cancel {
        Some(c) => tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = c.cancelled() => {}
        },
        None => tokio::time::sleep(d).await,
    }
}

/// The system clock, whose sleeps end early once a [`Cancel`] handle is
/// cancelled: the clock for the [`RetryPolicy`] of commands that watch the
/// same handle, so that a cancel (such as Ctrl-C, with
/// `Cancel::on_signals`) during a wait between attempts ends the retried
/// run at once, not after the wait.
///
/// Made for that use: a policy on it goes on to its next attempt when a
/// wait is cut short, which a retried [`Command`] run answers by starting
/// nothing and returning [`Error::Cancelled`]. Other users of the policy
/// would retry early.
///
/// ```
/// use ops_exec::{Cancel, CancelClock, Command, Error};
/// use ops_resilience::{Backoff, RetryPolicy};
/// use std::time::{Duration, Instant};
///
/// let cancel = Cancel::new()?;
/// let policy = RetryPolicy::builder()
///     .backoff(Backoff::constant(Duration::from_secs(60)))
///     .clock(CancelClock::new(&cancel))
///     .build()?;
/// let canceller = cancel.clone();
/// std::thread::spawn(move || canceller.cancel());
/// let started = Instant::now();
/// let err = Command::shell("exit 75")
///     .transient_exit_codes([75])
///     .cancel_on(&cancel)
///     .run_with_retry(&policy)
///     .unwrap_err();
/// assert!(started.elapsed() < Duration::from_secs(30)); // not a minute's wait
/// assert!(matches!(err.into_inner(), Some(Error::Cancelled(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CancelClock {
    origin: Instant,
    cancel: Cancel,
}

impl CancelClock {
    /// The system clock, whose sleeps `cancel` cuts short.
    pub fn new(cancel: &Cancel) -> CancelClock {
        CancelClock {
            origin: Instant::now(),
            cancel: cancel.clone(),
        }
    }
}

impl ops_resilience::Clock for CancelClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) {
        self.cancel.wait_timeout(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classifier_is_object_safe_and_retries_only_transient_errors() {
        let c: &dyn Classify<Outcome, Error> = &RetryTransient;
        let invalid = Error::Invalid {
            reason: "x".to_owned(),
        };
        assert_eq!(c.classify(&Err(invalid)), Verdict::Done);
        let busy = Error::Spawn {
            program: "p".to_owned(),
            reason: "r".to_owned(),
            source: std::io::Error::from(std::io::ErrorKind::WouldBlock),
        };
        assert_eq!(c.classify(&Err(busy)), Verdict::Retry);
    }

    #[test]
    fn a_cancelled_command_starts_no_attempt() {
        let cancel = Cancel::new().unwrap();
        let mut cmd = Command::new("true");
        cmd.cancel_on(&cancel);
        assert!(cmd.refused().is_none());
        cancel.cancel();
        let err = cmd.refused().unwrap();
        assert_eq!(err.to_string(), "`true` was cancelled before it started");
        assert_eq!(err.outcome().unwrap().pid, None);
        assert!(!err.is_transient());
    }

    #[test]
    fn the_cancel_clock_wakes_on_cancel() {
        use ops_resilience::Clock;
        let cancel = Cancel::new().unwrap();
        let clock = CancelClock::new(&cancel);
        let before = clock.now();
        clock.sleep(Duration::from_millis(20));
        assert!(clock.now() - before >= Duration::from_millis(20));
        cancel.cancel();
        let before = Instant::now();
        clock.sleep(Duration::from_secs(600));
        assert!(before.elapsed() < Duration::from_secs(60));
    }
}
