//! `safe-exec` as a user runs it: exit codes, timeouts, JSON, retries,
//! dry-run, stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn safe_exec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safe-exec"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn exit_codes_follow_the_command_and_gnu_timeout() {
    assert_eq!(
        safe_exec(&["--", "sh", "-c", "exit 3"]).status.code(),
        Some(3)
    );
    assert_eq!(
        safe_exec(&["--", "sh", "-c", "kill -9 $$"]).status.code(),
        Some(137)
    );
    let missing = safe_exec(&["--", "no-such-program-opskit"]);
    assert_eq!(missing.status.code(), Some(127));
    let text = String::from_utf8_lossy(&missing.stderr);
    assert!(
        text.contains("cannot run `no-such-program-opskit`: program not found"),
        "{text}"
    );
    // Our own usage errors: no command, a bad number.
    assert_eq!(safe_exec(&[]).status.code(), Some(2));
    assert_eq!(
        safe_exec(&["--timeout", "soon", "--", "true"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn timeout_exits_124_and_ends_the_tree() {
    let started = Instant::now();
    let out = safe_exec(&[
        "--timeout",
        "0.5",
        "--json",
        "--",
        "sh",
        "-c",
        "sleep 100 & sleep 100",
    ]);
    assert_eq!(out.status.code(), Some(124));
    assert!(started.elapsed() < Duration::from_secs(30));
    let v = json(&out);
    assert_eq!(v["status"]["kind"], "timed_out");
    let pgid = v["pid"].as_u64().unwrap();
    // No live process of the group is left (zombies wait for init only).
    let group_empty = || {
        let left = Command::new("pgrep")
            .args(["-g", &pgid.to_string(), "-r", "R,S,D,T,t"])
            .output()
            .unwrap();
        left.stdout.is_empty()
    };
    assert!(eventually(group_empty), "group {pgid} survived");
}

#[test]
fn json_carries_the_outcome_and_respects_the_capture_limit() {
    let out = safe_exec(&[
        "--json",
        "--capture-limit",
        "10",
        "--",
        "sh",
        "-c",
        "printf 0123456789abcdef; echo warn >&2; exit 4",
    ]);
    assert_eq!(out.status.code(), Some(4));
    let v = json(&out);
    assert_eq!(
        v["status"],
        serde_json::json!({"kind": "exited", "code": 4})
    );
    assert_eq!(v["stdout"]["total_bytes"], 16);
    assert_eq!(v["stdout"]["omitted_bytes"], 6);
    assert_eq!(
        v["stdout"]["text"],
        "01234\n[... 6 bytes omitted ...]\nbcdef"
    );
    assert_eq!(v["stderr"]["text"], "warn\n");
    assert_eq!(v["attempts"], 1);
    assert_eq!(
        v["command"],
        "sh -c 'printf 0123456789abcdef; echo warn >&2; exit 4'"
    );
}

#[test]
fn transient_failures_are_retried_with_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    // Exits 75 (EX_TEMPFAIL) on its first two runs, counted in a file.
    let script = format!(
        "n=$(($(cat {0} 2>/dev/null || echo 0) + 1)); echo $n > {0}; [ $n -ge 3 ] || exit 75; echo ok",
        runs.display()
    );
    let started = Instant::now();
    let out = safe_exec(&["--json", "--retries", "3", "--", "sh", "-c", &script]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(
        (v["attempts"].as_u64(), v["stdout"]["text"].as_str()),
        (Some(3), Some("ok\n"))
    );
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "3\n");
    // Each retry is told on stderr, with its wait: at least half of 200 ms,
    // then of 400 ms (equal jitter).
    let err = String::from_utf8_lossy(&out.stderr);
    let told: Vec<&str> = err.lines().filter(|l| l.contains("retrying in")).collect();
    assert_eq!(told.len(), 2, "{err}");
    assert!(
        told[0].starts_with("safe-exec: attempt 1 failed (`sh -c ")
            && told[0].contains("exited with code 75 after"),
        "{err}"
    );
    assert!(took >= Duration::from_millis(300), "no backoff: {took:?}");

    // A permanent failure is not retried.
    let out = safe_exec(&["--json", "--retries", "2", "--", "sh", "-c", "exit 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["attempts"], 1);
    // Attempts run out: the last exit code is safe-exec's.
    let out = safe_exec(&["--json", "--retries", "1", "--", "sh", "-c", "exit 75"]);
    assert_eq!(out.status.code(), Some(75));
    assert_eq!(json(&out)["attempts"], 2);
}

#[test]
fn dry_run_prints_and_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let sentinel = dir.path().join("sentinel");
    let path = sentinel.to_str().unwrap();
    let out = safe_exec(&["--dry-run", "--", "touch", path]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("touch {path}")
    );
    assert!(!sentinel.exists());
}

#[test]
fn stdin_and_stdout_are_passed_through() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safe-exec"))
        .args(["--timeout", "30", "--", "tr", "a-z", "A-Z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.stdout, b"HELLO\n");
    assert!(out.status.success());
}

#[test]
fn ctrl_c_ends_the_command_group_and_exits_130() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_safe-exec"))
        .args([
            "--",
            "sh",
            "-c",
            "sleep 100 & echo $!; echo $$; exec sleep 100",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let pids: Vec<String> = (0..2).map(|_| lines.next().unwrap().unwrap()).collect();
    let started = Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(30));
    let all_gone = || {
        let left = Command::new("ps")
            .args(["-o", "stat=", "-p", &pids.join(",")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&left.stdout)
            .lines()
            .all(|s| s.starts_with('Z'))
    };
    assert!(eventually(all_gone), "{pids:?} still running");
}

#[test]
fn ctrl_c_between_retries_exits_130_and_runs_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let script = format!(
        "n=$(($(cat {0} 2>/dev/null || echo 0) + 1)); echo $n > {0}; exit 75",
        runs.display()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_safe-exec"))
        .args(["--retries", "20", "--", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let count = || std::fs::read_to_string(&runs).unwrap_or_default();
    // After the fifth run it waits 1.6 to 3.2 s (200 ms doubling, equal
    // jitter): the signal comes then, with time to spare on a busy machine.
    assert!(eventually(|| count() == "5\n"), "{:?}", count());
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(count(), "5\n");
}

/// Polls `done` for up to 30 seconds: a killed process closes its pipes
/// a moment before /proc shows it as a zombie.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(30);
    while !done() {
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}
