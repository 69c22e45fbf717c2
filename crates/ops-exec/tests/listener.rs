//! What a `CommandListener` is told about real runs: every end, of every
//! kind, and never a secret.

use std::ffi::OsString;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ops_exec::{Check, Command, CommandEvent, CommandListener, ErrorKind, RunMode, Status};

/// One event, owned, and its `Debug` text.
#[derive(Debug, Clone)]
struct Event {
    program: OsString,
    status: Option<Status>,
    duration: Duration,
    error: Option<ErrorKind>,
    debug: String,
}

#[derive(Debug, Default)]
struct Seen(Mutex<Vec<Event>>);

impl CommandListener for Seen {
    fn on_finish(&self, e: &CommandEvent<'_>) {
        self.0.lock().unwrap().push(Event {
            program: e.program.to_owned(),
            status: e.status,
            duration: e.duration,
            error: e.error,
            debug: format!("{e:?}"),
        });
    }
}

impl Seen {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[test]
fn every_end_of_a_run_is_told() {
    let seen = Arc::new(Seen::default());
    let ok = Command::new("true").listener(Arc::clone(&seen)).run();
    assert!(ok.is_ok());
    let failed = Command::new("sh")
        .args(["-c", "exit 3"])
        .listener(Arc::clone(&seen))
        .run();
    assert!(failed.is_err());
    let missing = Command::new("no-such-program-opskit")
        .listener(Arc::clone(&seen))
        .run();
    assert!(missing.is_err());
    let dry = Command::new("rm")
        .arg("-rf")
        .run_mode(RunMode::DryRun)
        .listener(Arc::clone(&seen))
        .run();
    assert!(dry.unwrap().is_dry_run());
    let slow = Command::new("sleep")
        .arg("100")
        .timeout(Duration::from_millis(200))
        .check(Check::Never)
        .listener(Arc::clone(&seen))
        .run();
    assert_eq!(slow.unwrap().status, Status::TimedOut);

    let got: Vec<_> = seen
        .take()
        .into_iter()
        .map(|e| {
            let program = e.program.into_string().unwrap();
            (program, e.status, e.duration > Duration::ZERO, e.error)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("true".into(), Some(Status::Exited { code: 0 }), true, None),
            (
                "sh".into(),
                Some(Status::Exited { code: 3 }),
                true,
                Some(ErrorKind::Failed)
            ),
            (
                "no-such-program-opskit".into(),
                None,
                false,
                Some(ErrorKind::Spawn)
            ),
            ("rm".into(), Some(Status::DryRun), false, None),
            // Not an error with `Check::Never`; the status tells.
            ("sleep".into(), Some(Status::TimedOut), true, None),
        ]
    );
}

#[test]
fn a_listener_never_sees_a_secret() {
    let seen = Arc::new(Seen::default());
    let err = Command::new("sh")
        .args(["-c", "echo \"$1 $TOKEN\"; echo \"$1\" >&2; exit 1", "sh"])
        .secret_arg("hunter2-listener")
        .secret_env("TOKEN", "hunter2-env")
        .listener(Arc::clone(&seen))
        .run()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Failed);
    let events = seen.take();
    assert_eq!(events.len(), 1);
    let debug = &events[0].debug;
    assert!(
        debug.starts_with("CommandEvent { program: \"sh\""),
        "{debug}"
    );
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn one_listener_serves_many_commands_and_clones() {
    let seen = Arc::new(Seen::default());
    let mut cmd = Command::new("true");
    cmd.listener(Arc::clone(&seen));
    let copy = cmd.clone();
    assert_eq!(cmd, copy);
    cmd.run().unwrap();
    copy.run().unwrap();
    Command::new("echo")
        .listener(Arc::clone(&seen))
        .run()
        .unwrap();
    assert_eq!(seen.take().len(), 3);
    // A listener of its own makes another command.
    let mut other = copy.clone();
    other.listener(Arc::new(Seen::default()));
    assert_ne!(other, copy);
}

#[cfg(feature = "tokio")]
#[tokio::test]
async fn async_runs_are_told_too() {
    let seen = Arc::new(Seen::default());
    Command::new("sh")
        .args(["-c", "exit 0"])
        .listener(Arc::clone(&seen))
        .run_async()
        .await
        .unwrap();
    let events = seen.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, Some(Status::Exited { code: 0 }));
}

#[cfg(feature = "resilience")]
#[test]
fn each_attempt_of_a_retried_run_is_told() {
    use ops_resilience::{ManualClock, RetryPolicy};
    let seen = Arc::new(Seen::default());
    let policy = RetryPolicy::builder()
        .max_attempts(3)
        .clock(ManualClock::new())
        .build()
        .unwrap();
    let err = Command::new("sh")
        .args(["-c", "exit 75"])
        .transient_exit_codes([75])
        .listener(Arc::clone(&seen))
        .run_with_retry(&policy)
        .unwrap_err();
    assert_eq!(err.attempts(), 3);
    let events = seen.take();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(
        |e| e.status == Some(Status::Exited { code: 75 }) && e.error == Some(ErrorKind::Failed)
    ));
}
