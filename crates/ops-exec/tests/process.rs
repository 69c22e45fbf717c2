//! Real processes: timeouts that end the whole tree, pipes that do not
//! deadlock, stray processes holding the pipes, stdin, signals, spawn
//! errors, dry runs. Every deadline is generous; nothing sleeps to wait.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Reaper, alive, all_dead, eventually, group_dead, live_members, pids};
use ops_exec::{Check, Clock, Command, EnvBase, Error, Input, Output, RunMode, Status, Stream};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn timeout_ends_the_whole_group_within_the_grace_period() {
    let started = Instant::now();
    let err = Command::new("sh")
        .args(["-c", "sleep 100 & sleep 100"])
        .timeout(SECOND)
        .run()
        .unwrap_err();
    let elapsed = started.elapsed();
    let Error::TimedOut(failure) = &err else {
        panic!("expected a timeout, got {err}");
    };
    let pgid = failure.outcome().pid.unwrap();
    let _reaper = Reaper(live_members(pgid));
    assert_eq!(failure.outcome().status, Status::TimedOut);
    assert!(
        elapsed >= SECOND,
        "returned before the timeout: {elapsed:?}"
    );
    assert!(
        elapsed < SECOND + ops_exec::DEFAULT_GRACE,
        "took {elapsed:?}"
    );
    assert!(
        group_dead(pgid),
        "group {pgid} survived: {:?}",
        live_members(pgid)
    );
    assert!(
        err.to_string()
            .starts_with("`sh -c 'sleep 100 & sleep 100'` timed out after 1 s"),
        "{err}"
    );
}

#[test]
fn timeout_kills_each_process_of_the_tree_by_pid() {
    // The same tree, telling its pids: the background sleep, and the shell
    // that becomes the foreground sleep.
    let mut seen = Vec::new();
    let result = Command::new("sh")
        .args(["-c", "sleep 100 & echo $!; echo $$; exec sleep 100"])
        .timeout(SECOND)
        .run_with_lines(|line| seen.extend(pids(&line.text())));
    let _reaper = Reaper(seen.clone());
    assert!(matches!(result, Err(Error::TimedOut(_))));
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(all_dead(&seen), "{seen:?} survived");
}

#[test]
fn term_is_followed_by_kill_after_the_grace_period() {
    // The shell ignores SIGTERM, and so does its child: only SIGKILL ends
    // them, after the grace period.
    let started = Instant::now();
    let mut seen = Vec::new();
    let result = Command::new("sh")
        .args(["-c", "trap '' TERM; echo $$; sleep 100 & echo $!; wait"])
        .timeout(Duration::from_millis(300))
        .grace(Duration::from_millis(700))
        .run_with_lines(|line| seen.extend(pids(&line.text())));
    let _reaper = Reaper(seen.clone());
    let elapsed = started.elapsed();
    let err = result.unwrap_err();
    assert!(matches!(err, Error::TimedOut(_)), "{err}");
    assert!(
        elapsed >= Duration::from_millis(1000),
        "killed before the grace ended: {elapsed:?}"
    );
    assert_eq!(seen.len(), 2);
    assert!(all_dead(&seen), "{seen:?} survived");
}

#[test]
fn hundred_megabytes_on_both_streams_do_not_deadlock() {
    const SIZE: u64 = 100_000_000;
    // stderr first: a reader that drains stdout to its end before looking
    // at stderr would wait for ever.
    let script = format!(
        "head -c {SIZE} /dev/zero >&2; head -c {SIZE} /dev/zero; head -c {SIZE} /dev/zero >&2 & head -c {SIZE} /dev/zero; wait"
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .capture_limit(1 << 20)
        .timeout(Duration::from_secs(120))
        .run()
        .unwrap();
    assert_eq!(out.stdout.total_len(), 2 * SIZE);
    assert_eq!(out.stderr.total_len(), 2 * SIZE);
    assert_eq!(out.stdout.head().len() + out.stdout.tail().len(), 1 << 20);
    assert!(out.stdout.is_truncated() && out.stdout.head().iter().all(|&b| b == 0));
}

#[test]
fn a_grandchild_holding_stdout_does_not_hang_the_caller() {
    let started = Instant::now();
    let out = Command::new("sh")
        .args(["-c", "sleep 60 & echo $!"])
        .wait_delay(Duration::from_millis(300))
        .run()
        .unwrap();
    let stray = pids(&out.stdout_text());
    let _reaper = Reaper(stray.clone());
    assert!(
        started.elapsed() < 30 * SECOND,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status, Status::Exited { code: 0 });
    assert!(out.pipes_left_open);
    assert_eq!(stray.len(), 1);
    // It was not ours to kill: the command ended normally.
    assert!(alive(stray[0]));
}

#[test]
fn a_process_that_left_the_group_cannot_stall_a_timeout() {
    let started = Instant::now();
    let mut seen = Vec::new();
    let result = Command::new("sh")
        .args(["-c", "setsid sleep 60 & echo $!; sleep 60"])
        .timeout(Duration::from_millis(300))
        .grace(Duration::from_millis(300))
        .wait_delay(Duration::from_millis(300))
        .run_with_lines(|line| seen.extend(pids(&line.text())));
    let _reaper = Reaper(seen.clone());
    let Err(Error::TimedOut(failure)) = result else {
        panic!("expected a timeout");
    };
    assert!(failure.outcome().pipes_left_open);
    assert!(
        started.elapsed() < 30 * SECOND,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(seen.len(), 1);
}

#[test]
fn stdin_from_bytes_and_file() {
    let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let out = Command::new("cat")
        .stdin(Input::bytes(data.clone()))
        .run()
        .unwrap();
    assert_eq!(out.stdout.bytes(), Some(data.as_slice()));

    // A command that stops reading early is not an error.
    let out = Command::new("head")
        .args(["-c", "10"])
        .stdin(Input::bytes(data.clone()))
        .run()
        .unwrap();
    assert_eq!(out.stdout.bytes(), Some(&data[..10]));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "from a file\n").unwrap();
    let out = Command::new("wc")
        .arg("-c")
        .stdin(Input::file(&file))
        .run()
        .unwrap();
    assert_eq!(out.stdout_text().trim(), "12");
    let err = Command::new("cat")
        .stdin(Input::file(dir.path().join("missing")))
        .run()
        .unwrap_err();
    assert!(
        err.to_string().contains("missing as stdin of `cat`"),
        "{err}"
    );

    // The default stdin is /dev/null: `cat` ends at once.
    let out = Command::new("cat").timeout(10 * SECOND).run().unwrap();
    assert_eq!(out.stdout.total_len(), 0);
}

#[test]
fn exit_by_signal_is_reported_as_such() {
    let err = Command::new("sh")
        .args(["-c", "kill -9 $$"])
        .run()
        .unwrap_err();
    assert_eq!(
        err.outcome().unwrap().status,
        Status::Signaled { signal: 9 }
    );
    assert!(
        err.to_string().contains("was killed by signal 9 (SIGKILL)"),
        "{err}"
    );
    assert!(!err.is_transient());
    let out = Command::new("sh")
        .args(["-c", "kill -TERM $$"])
        .check(Check::Never)
        .run()
        .unwrap();
    assert_eq!(out.status.signal(), Some(15));
}

#[test]
fn spawn_errors_name_the_program_and_the_reason() {
    let err = Command::new("no-such-program-opskit").run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot run `no-such-program-opskit`: program not found on PATH"
    );
    assert!(matches!(err, Error::Spawn { .. }));

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Command::new(&script).run().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("not-executable.sh") && text.contains("permission denied"),
        "{text}"
    );

    let err = Command::new("true")
        .current_dir(dir.path().join("gone"))
        .run()
        .unwrap_err();
    assert!(
        err.to_string().contains("working directory") && err.to_string().contains("gone"),
        "{err}"
    );

    let err = Command::new("").run().unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
}

#[test]
fn check_modes() {
    let err = Command::new("sh")
        .args(["-c", "echo oops >&2; exit 3"])
        .run()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("`sh -c 'echo oops >&2; exit 3'` exited with code 3 after "),
        "{text}"
    );
    assert!(text.ends_with("; stderr: oops"), "{text}");
    let out = Command::new("grep")
        .arg("absent")
        .stdin(Input::bytes("present\n"))
        .check(Check::Codes(vec![0, 1]))
        .run()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let transient = Command::new("sh")
        .args(["-c", "exit 75"])
        .transient_exit_codes([75])
        .run()
        .unwrap_err();
    assert!(transient.is_transient());
}

#[test]
fn dry_run_has_no_side_effect() {
    let dir = tempfile::tempdir().unwrap();
    let sentinel = dir.path().join("sentinel");
    let out = Command::new("touch")
        .arg(&sentinel)
        .run_mode(RunMode::DryRun)
        .run()
        .unwrap();
    assert!(out.is_dry_run() && out.success());
    assert_eq!(out.pid, None);
    let out = Command::shell(format!("echo x > {}", sentinel.display()))
        .run_mode(RunMode::DryRun)
        .run()
        .unwrap();
    assert_eq!(out.status, Status::DryRun);
    assert!(!sentinel.exists());
    // The same command really run does create it, so the check can fail.
    Command::new("touch").arg(&sentinel).run().unwrap();
    assert!(sentinel.exists());
}

#[test]
fn environment_and_working_directory() {
    let out = Command::new("/usr/bin/env")
        .env_clear()
        .env("ONLY", "this")
        .run()
        .unwrap();
    assert_eq!(out.stdout_text(), "ONLY=this\n");
    let out = Command::new("/usr/bin/env")
        .env_base(EnvBase::Allow(vec![
            "PATH".into(),
            "OPSKIT_UNSET_VAR".into(),
        ]))
        .run()
        .unwrap();
    let text = out.stdout_text();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("PATH="));
    let out = Command::new("sh")
        .args(["-c", "echo \"$HOME\""])
        .env_remove("HOME")
        .run()
        .unwrap();
    assert_eq!(out.stdout_text(), "\n");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("pwd").current_dir(dir.path()).run().unwrap();
    assert_eq!(
        out.stdout_text().trim(),
        dir.path().canonicalize().unwrap().to_str().unwrap()
    );
}

#[test]
fn output_bytes_are_kept_as_written() {
    let out = Command::new("printf")
        .arg("caf\\351\\n\\377")
        .run()
        .unwrap();
    assert_eq!(out.stdout.bytes(), Some(&b"caf\xe9\n\xff"[..]));
    assert_eq!(out.stdout_text(), "caf\u{fffd}\n\u{fffd}");
    let out = Command::shell("echo out; echo err >&2")
        .stdout(Output::Null)
        .run()
        .unwrap();
    assert_eq!(
        (out.stdout.total_len(), out.stderr_text().as_ref()),
        (0, "err\n")
    );
}

#[test]
fn lines_are_streamed_in_order_and_capture_can_be_off() {
    let mut lines = Vec::new();
    let out = Command::shell("for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf tail")
        .capture_limit(0)
        .run_with_lines(|l| lines.push((l.stream, l.text().into_owned())))
        .unwrap();
    assert_eq!(out.stdout.total_len(), 19);
    assert!(out.stdout.head().is_empty());
    let stdout: Vec<&str> = lines
        .iter()
        .filter(|(s, _)| *s == Stream::Stdout)
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(stdout, ["out1", "out2", "out3", "tail"]);
    assert_eq!(
        lines.iter().filter(|(s, _)| *s == Stream::Stderr).count(),
        3
    );
}

/// A clock that is an hour ahead after its first reading.
#[derive(Debug, Default)]
struct LeapingClock(AtomicUsize);

impl Clock for LeapingClock {
    fn now(&self) -> Instant {
        let real = Instant::now();
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            real
        } else {
            real + Duration::from_secs(3600)
        }
    }
}

#[test]
fn deadlines_and_durations_come_from_the_clock() {
    let started = Instant::now();
    let err = Command::new("sleep")
        .arg("60")
        .timeout(Duration::from_secs(600))
        .clock(Arc::new(LeapingClock::default()))
        .run()
        .unwrap_err();
    // The clock says the ten minutes are long gone: the run did not wait.
    assert!(matches!(err, Error::TimedOut(_)), "{err}");
    assert!(started.elapsed() < 30 * SECOND);
    assert!(err.outcome().unwrap().duration >= Duration::from_secs(3600));
}

#[test]
fn a_panicking_callback_kills_the_group() {
    let mut leader = None;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Command::shell("echo $$; exec sleep 60").run_with_lines(|line| {
            leader = line.text().trim().parse::<u32>().ok();
            panic!("callback gives up");
        })
    }));
    assert!(result.is_err());
    let pid = leader.unwrap();
    let _reaper = Reaper(vec![pid]);
    assert!(
        eventually(10 * SECOND, || !alive(pid)),
        "{pid} survived the drop"
    );
}

#[test]
fn a_cancel_from_another_thread_ends_the_tree() {
    let cancel = ops_exec::Cancel::new().unwrap();
    let (started, seen_start) = std::sync::mpsc::channel::<()>();
    let canceller = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            if seen_start.recv().is_ok() {
                cancel.cancel();
            }
        })
    };
    let mut seen = Vec::new();
    let began = Instant::now();
    let result = Command::new("sh")
        .args(["-c", "sleep 100 & echo $!; echo $$; exec sleep 100"])
        .cancel_on(&cancel)
        .run_with_lines(|line| {
            seen.extend(pids(&line.text()));
            if seen.len() == 2 {
                let _ = started.send(());
            }
        });
    canceller.join().unwrap();
    let _reaper = Reaper(seen.clone());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Cancelled(_)), "{err}");
    assert_eq!(err.outcome().unwrap().status, Status::Cancelled);
    assert!(err.to_string().contains("was cancelled after"), "{err}");
    assert!(!err.is_transient());
    assert!(began.elapsed() < 30 * SECOND);
    assert!(all_dead(&seen), "{seen:?} survived");

    // A run that starts cancelled ends at once; one that ended first is
    // not touched.
    let out = Command::new("sleep")
        .arg("60")
        .cancel_on(&cancel)
        .check(Check::Never)
        .run()
        .unwrap();
    assert_eq!(out.status, Status::Cancelled);
    let fresh = ops_exec::Cancel::new().unwrap();
    let out = Command::new("true").cancel_on(&fresh).run().unwrap();
    fresh.cancel();
    assert!(out.success());
}
