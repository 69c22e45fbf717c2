//! The tokio API: the same runs as the blocking one, on real processes.

#![cfg(feature = "tokio")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Reaper, alive, all_dead, eventually, group_dead, pids};
use ops_exec::{Command, Error, Input, RunMode, Status, Stream};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn timeout_ends_the_whole_tree() {
    let started = Instant::now();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let err = Command::new("sh")
        .args(["-c", "sleep 100 & echo $!; echo $$; exec sleep 100"])
        .timeout(SECOND)
        .run_with_lines_async(move |l| sink.lock().unwrap().extend(pids(&l.text())))
        .await
        .unwrap_err();
    let seen = seen.lock().unwrap().clone();
    let _reaper = Reaper(seen.clone());
    let Error::TimedOut(failure) = &err else {
        panic!("expected a timeout, got {err}");
    };
    assert!(started.elapsed() < SECOND + ops_exec::DEFAULT_GRACE);
    assert_eq!(seen.len(), 2);
    assert!(all_dead(&seen), "{seen:?} survived");
    assert!(group_dead(failure.outcome().pid.unwrap()));
}

#[tokio::test]
async fn both_streams_and_stdin_at_once() {
    const SIZE: usize = 20_000_000;
    let data = vec![b'x'; SIZE];
    // `cat` echoes stdin while the shell writes stderr first: the writes,
    // and both reads, must all make progress together.
    let out = Command::new("sh")
        .args(["-c", &format!("head -c {SIZE} /dev/zero >&2; cat")])
        .stdin(Input::bytes(data))
        .capture_limit(1 << 16)
        .run_async()
        .await
        .unwrap();
    assert_eq!(out.stdout.total_len(), SIZE as u64);
    assert_eq!(out.stderr.total_len(), SIZE as u64);
    assert!(out.stdout.tail().iter().all(|&b| b == b'x'));
}

#[tokio::test]
async fn grandchild_holding_stdout_is_left_after_the_wait_delay() {
    let out = Command::new("sh")
        .args(["-c", "sleep 60 & echo $!"])
        .wait_delay(Duration::from_millis(300))
        .run_async()
        .await
        .unwrap();
    let stray = pids(&out.stdout_text());
    let _reaper = Reaper(stray.clone());
    assert!(out.pipes_left_open);
    assert_eq!(stray.len(), 1);
}

#[tokio::test]
async fn dropping_the_future_kills_the_group() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let cmd = {
        let mut c = Command::shell("sleep 60 & echo $!; echo $$; wait");
        c.timeout(Duration::from_secs(600));
        c
    };
    let run = cmd.run_with_lines_async(move |l| sink.lock().unwrap().extend(pids(&l.text())));
    let cut_short = tokio::time::timeout(Duration::from_millis(500), run).await;
    assert!(cut_short.is_err(), "the run should still be going");
    let seen = seen.lock().unwrap().clone();
    let _reaper = Reaper(seen.clone());
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        eventually(10 * SECOND, || seen.iter().all(|&p| !alive(p))),
        "{seen:?} survived"
    );
}

#[tokio::test]
async fn statuses_errors_and_dry_run() {
    let err = Command::new("sh")
        .args(["-c", "kill -9 $$"])
        .run_async()
        .await
        .unwrap_err();
    assert_eq!(
        err.outcome().unwrap().status,
        Status::Signaled { signal: 9 }
    );
    let err = Command::new("no-such-program-opskit")
        .run_async()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("program not found"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let sentinel = dir.path().join("sentinel");
    let out = Command::new("touch")
        .arg(&sentinel)
        .run_mode(RunMode::DryRun)
        .run_async()
        .await
        .unwrap();
    assert!(out.is_dry_run() && !sentinel.exists());
    let mut lines = Vec::new();
    Command::shell("echo a; echo b >&2")
        .run_with_lines_async(|l| lines.push((l.stream, l.text().into_owned())))
        .await
        .unwrap();
    lines.sort();
    assert_eq!(
        lines,
        [
            (Stream::Stdout, "a".to_owned()),
            (Stream::Stderr, "b".to_owned())
        ]
    );
}

#[test]
fn futures_are_send() {
    fn check<T: Send>(_: &T) {}
    let cmd = Command::new("true");
    check(&cmd.run_async());
    check(&cmd.run_with_lines_async(|_| {}));
}

#[tokio::test]
async fn a_cancel_ends_an_async_run() {
    let cancel = ops_exec::Cancel::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (sink, trigger) = (Arc::clone(&seen), cancel.clone());
    let err = Command::new("sh")
        .args(["-c", "sleep 100 & echo $!; echo $$; exec sleep 100"])
        .cancel_on(&cancel)
        .run_with_lines_async(move |l| {
            let mut s = sink.lock().unwrap();
            s.extend(pids(&l.text()));
            if s.len() == 2 {
                trigger.cancel();
            }
        })
        .await
        .unwrap_err();
    let seen = seen.lock().unwrap().clone();
    let _reaper = Reaper(seen.clone());
    assert!(matches!(err, Error::Cancelled(_)), "{err}");
    assert_eq!(seen.len(), 2);
    assert!(all_dead(&seen), "{seen:?} survived");
}
