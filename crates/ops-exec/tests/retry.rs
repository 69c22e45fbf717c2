//! Retried runs of real processes, driven by an ops-resilience policy: a
//! script that fails transiently a number of times (counted in a file),
//! then succeeds; permanent failures; timeouts; the caller's classifier;
//! cancellation; the async twin.

#![cfg(feature = "resilience")]

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ops_exec::{Cancel, CancelClock, Command, Error, Outcome, RetryTransient, Status};
use ops_resilience::{
    AttemptEvent, Backoff, Classify, GiveUp, Jitter, ManualClock, NextStep, RetryListener,
    RetryPolicy, Verdict,
};

/// The waits between attempts: exactly 1 s, 2 s, 4 s, ... (no jitter).
fn policy(clock: &ManualClock, attempts: u32, log: &Arc<Attempts>) -> RetryPolicy {
    RetryPolicy::builder()
        .max_attempts(attempts)
        .backoff(
            Backoff::exponential(Duration::from_secs(1), 2.0, Duration::from_secs(60)).unwrap(),
        )
        .jitter(Jitter::None)
        .clock(clock.clone())
        .listener(Arc::clone(log))
        .build()
        .unwrap()
}

/// What the policy's listener saw: attempt number and next step.
#[derive(Debug, Default)]
struct Attempts(Mutex<Vec<(u32, NextStep)>>);

impl RetryListener for Attempts {
    fn on_attempt(&self, e: &AttemptEvent<'_>) {
        self.0.lock().unwrap().push((e.attempt, e.next));
    }
}

impl Attempts {
    fn seen(&self) -> Vec<(u32, NextStep)> {
        self.0.lock().unwrap().clone()
    }
}

fn retry_in(secs: u64) -> NextStep {
    NextStep::Retry {
        delay: Duration::from_secs(secs),
        hinted: false,
    }
}

/// A script that counts its runs in the file `runs` of `dir` and exits
/// with `code` for the first `fails` of them, then prints `ok`.
fn flaky(dir: &Path, fails: u32, code: i32) -> Command {
    let script = format!(
        "n=$(($(cat runs 2>/dev/null || echo 0) + 1)); echo $n > runs; \
         if [ $n -le {fails} ]; then echo \"attempt $n failed\" >&2; exit {code}; fi; echo ok"
    );
    let mut cmd = Command::shell(script);
    cmd.current_dir(dir).transient_exit_codes([75]);
    cmd
}

fn runs(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("runs")).map_or(0, |t| t.trim().parse().unwrap())
}

#[test]
fn transient_failures_are_retried_until_success() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let log = Arc::new(Attempts::default());
    let out = flaky(dir.path(), 2, 75)
        .run_with_retry(&policy(&clock, 5, &log))
        .unwrap();
    assert_eq!(out.stdout_text(), "ok\n");
    assert_eq!(runs(dir.path()), 3);
    // Real processes, virtual waits: 1 s then 2 s on the policy's clock.
    assert_eq!(clock.slept(), Duration::from_secs(3));
    assert_eq!(
        log.seen(),
        [(1, retry_in(1)), (2, retry_in(2)), (3, NextStep::Return)]
    );
}

#[test]
fn a_permanent_failure_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let log = Arc::new(Attempts::default());
    let err = flaky(dir.path(), 5, 1)
        .run_with_retry(&policy(&clock, 5, &log))
        .unwrap_err();
    assert_eq!(runs(dir.path()), 1);
    assert_eq!((err.attempts(), err.reason()), (1, GiveUp::Permanent));
    assert_eq!(clock.slept(), Duration::ZERO);
    let Some(Error::Failed(f)) = err.into_inner() else {
        panic!("expected the command's failure");
    };
    assert_eq!(f.outcome().status, Status::Exited { code: 1 });
    assert_eq!(f.stderr_tail(), "attempt 1 failed");
    // A program that does not exist is not worth another try either.
    let err = Command::new("no-such-program-opskit")
        .run_with_retry(&policy(&clock, 5, &log))
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
}

#[test]
fn attempts_run_out_with_the_last_error() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let log = Arc::new(Attempts::default());
    let err = flaky(dir.path(), 10, 75)
        .run_with_retry(&policy(&clock, 3, &log))
        .unwrap_err();
    assert_eq!(runs(dir.path()), 3);
    assert_eq!((err.attempts(), err.reason()), (3, GiveUp::MaxAttempts));
    let msg = err.to_string();
    assert!(
        msg.ends_with("; stderr: attempt 3 failed (after 3 attempts, attempts exhausted)"),
        "{msg}"
    );
    assert_eq!(
        log.seen().last(),
        Some(&(3, NextStep::GiveUp(GiveUp::MaxAttempts)))
    );
}

#[test]
fn a_timed_out_attempt_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    // The first run hangs and is killed at its timeout; the second is quick.
    let script = "n=$(($(cat runs 2>/dev/null || echo 0) + 1)); echo $n > runs; \
                  if [ $n -eq 1 ]; then exec sleep 100; fi; echo ok";
    let clock = ManualClock::new();
    let log = Arc::new(Attempts::default());
    let started = Instant::now();
    let out = Command::shell(script)
        .current_dir(dir.path())
        .timeout(Duration::from_millis(300))
        .run_with_retry(&policy(&clock, 3, &log))
        .unwrap();
    assert_eq!(out.stdout_text(), "ok\n");
    assert_eq!(runs(dir.path()), 2);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn the_caller_classifies_with_the_policys_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    // Exit 1 is permanent for is_transient; this caller knows that its
    // tool exits 1 when a lock is held, and retries that.
    let policy = RetryPolicy::builder()
        .max_attempts(4)
        .clock(clock.clone())
        .classify(|r: &Result<Outcome, Error>| match r {
            Err(Error::Failed(f)) if f.outcome().status.code() == Some(1) => Verdict::Retry,
            r => RetryTransient.classify(r),
        })
        .build()
        .unwrap();
    let out = flaky(dir.path(), 2, 1)
        .run_with_retry_classified(&policy)
        .unwrap();
    assert_eq!(out.stdout_text(), "ok\n");
    assert_eq!(runs(dir.path()), 3);
    assert!(clock.slept() > Duration::ZERO);
}

#[test]
fn no_attempt_starts_once_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = Cancel::new().unwrap();
    // The listener cancels after the first attempt, as Ctrl-C during the
    // wait would.
    struct CancelAfterFirst(Cancel);
    impl RetryListener for CancelAfterFirst {
        fn on_attempt(&self, _: &AttemptEvent<'_>) {
            self.0.cancel();
        }
    }
    let policy = RetryPolicy::builder()
        .max_attempts(5)
        .clock(ManualClock::new())
        .listener(CancelAfterFirst(cancel.clone()))
        .build()
        .unwrap();
    let err = flaky(dir.path(), 10, 75)
        .cancel_on(&cancel)
        .run_with_retry(&policy)
        .unwrap_err();
    assert_eq!(runs(dir.path()), 1);
    assert_eq!((err.attempts(), err.reason()), (2, GiveUp::Permanent));
    let e = err.into_inner().unwrap();
    assert!(matches!(e, Error::Cancelled(_)), "{e}");
    assert!(
        e.to_string().ends_with("` was cancelled before it started"),
        "{e}"
    );
}

#[test]
fn a_cancel_cuts_a_wait_on_the_cancel_clock_short() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = Cancel::new().unwrap();
    let policy = RetryPolicy::builder()
        .max_attempts(5)
        .backoff(Backoff::constant(Duration::from_secs(600)))
        .clock(CancelClock::new(&cancel))
        .build()
        .unwrap();
    let canceller = {
        let (cancel, path) = (cancel.clone(), dir.path().to_owned());
        std::thread::spawn(move || {
            // Once the first attempt has run, the policy waits ten minutes.
            assert!(common::eventually(Duration::from_secs(30), || runs(&path) == 1));
            cancel.cancel();
        })
    };
    let started = Instant::now();
    let err = flaky(dir.path(), 10, 75)
        .cancel_on(&cancel)
        .run_with_retry(&policy)
        .unwrap_err();
    canceller.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(runs(dir.path()), 1);
    assert!(matches!(err.into_inner(), Some(Error::Cancelled(_))));
}

#[cfg(feature = "tokio")]
mod tokio_runs {
    use super::*;

    #[tokio::test]
    async fn async_runs_are_retried_too() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(Attempts::default());
        let policy = RetryPolicy::builder()
            .max_attempts(4)
            .backoff(Backoff::constant(Duration::from_millis(10)))
            .jitter(Jitter::None)
            .clock(ops_resilience::TokioClock::new())
            .listener(Arc::clone(&log))
            .build()
            .unwrap();
        let cmd = flaky(dir.path(), 2, 75);
        let fut = cmd.run_with_retry_async(&policy);
        fn is_send<T: Send>(t: T) -> T {
            t
        }
        let out = is_send(fut).await.unwrap();
        assert_eq!(out.stdout_text(), "ok\n");
        assert_eq!(runs(dir.path()), 3);
        assert_eq!(log.seen().len(), 3);
    }

    #[tokio::test]
    async fn a_cancel_ends_an_async_wait() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = Cancel::new().unwrap();
        let policy = RetryPolicy::builder()
            .max_attempts(5)
            .backoff(Backoff::constant(Duration::from_secs(600)))
            .listener(CancelAfterEach(cancel.clone()))
            .build()
            .unwrap();
        struct CancelAfterEach(Cancel);
        impl RetryListener for CancelAfterEach {
            fn on_attempt(&self, _: &AttemptEvent<'_>) {
                self.0.cancel();
            }
        }
        let started = Instant::now();
        let err = flaky(dir.path(), 10, 75)
            .cancel_on(&cancel)
            .run_with_retry_async(&policy)
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(60));
        assert_eq!(runs(dir.path()), 1);
        assert!(matches!(err.into_inner(), Some(Error::Cancelled(_))));
    }
}
