//! The `logscan` binary, run as a user would: real processes, real files,
//! real pipes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ops-logscan/testdata")
        .join(name)
}

fn logscan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logscan"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run logscan")
}

/// `logscan` with all three standard streams piped.
fn spawn_piped(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_logscan"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn logscan")
}

fn logscan_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write stdin");
    out
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn access_json_on_the_real_apache_log() {
    let log = testdata("apache_logs");
    let v = json(&logscan(&["access", "--json", path_str(&log)]));
    assert_eq!(v["lines"], 10_000);
    assert_eq!(v["parsed"], 10_000);
    assert_eq!(v["malformed"], 0);
    let want = [
        ("200", 9126),
        ("304", 445),
        ("404", 213),
        ("301", 164),
        ("206", 45),
        ("500", 3),
        ("403", 2),
        ("416", 2),
    ];
    let status = v["status"].as_object().expect("status map");
    assert_eq!(status.len(), want.len());
    for (code, n) in want {
        assert_eq!(status[code], n, "status {code}");
    }
    let top = v["top_ips"].as_array().expect("top_ips");
    assert_eq!(top.len(), 10);
    for w in top.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let (ca, cb) = (a["count"].as_u64(), b["count"].as_u64());
        assert!(
            ca > cb || (ca == cb && a["ip"].as_str() < b["ip"].as_str()),
            "{a} {b}"
        );
    }
}

#[test]
fn auth_json_and_ips_on_the_real_auth_log() {
    let log = testdata("auth.log");
    let v = json(&logscan(&["auth", "--json", "--top", "3", path_str(&log)]));
    assert_eq!(v["lines"], 7121);
    assert_eq!(v["failed"], 1042);
    assert_eq!(v["unique_ips"], 105);
    assert_eq!(v["top"].as_array().map(Vec::len), Some(3));

    let out = logscan(&["auth", "--ips", path_str(&log)]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let ips: Vec<&str> = text.lines().collect();
    assert_eq!(ips.len(), 105);
    assert!(ips.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    assert!(ips.iter().all(|ip| ip.parse::<std::net::IpAddr>().is_ok()));
    assert!(ips.contains(&v["top"][0]["ip"].as_str().expect("ip")));
}

#[test]
fn stdin_gzip_and_many_files_give_the_same_counts() {
    let log = testdata("apache_logs");
    let data = std::fs::read(&log).expect("read");
    let from_file = json(&logscan(&["access", "--json", path_str(&log)]));
    let from_stdin = json(&logscan_stdin(&["access", "--json"], &data));
    let from_dash = json(&logscan_stdin(&["access", "--json", "-"], &data));
    assert_eq!(from_stdin, from_file);
    assert_eq!(from_dash, from_file);

    // A rotated, gzip-compressed copy, compressed by the real gzip tool.
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("access.log.2.gz");
    let status = Command::new("gzip")
        .arg("-c")
        .arg(&log)
        .stdout(std::fs::File::create(&gz).expect("create"))
        .status()
        .expect("run gzip");
    assert!(status.success());
    let from_gz = json(&logscan(&["access", "--json", path_str(&gz)]));
    assert_eq!(from_gz["status"], from_file["status"]);
    assert_eq!(from_gz["top_ips"], from_file["top_ips"]);

    let both = json(&logscan(&[
        "access",
        "--json",
        path_str(&log),
        path_str(&gz),
    ]));
    assert_eq!(both["lines"], 20_000);
    assert_eq!(both["status"]["200"], 2 * 9126);
    assert_eq!(
        both["top_ips"][0]["count"],
        2 * from_file["top_ips"][0]["count"].as_u64().unwrap_or(0)
    );
}

#[test]
fn thread_count_does_not_change_the_answer() {
    let log = testdata("OpenSSH_2k.log");
    let one = logscan(&["auth", "--json", "--threads", "1", path_str(&log)]);
    let four = logscan(&["auth", "--json", "--threads", "4", path_str(&log)]);
    assert_eq!(json(&one), json(&four));
}

#[test]
fn human_output_has_aligned_tables_and_throughput() {
    let out = logscan(&["access", "--top", "3", path_str(&testdata("apache_logs"))]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("status"), "{text}");
    assert!(text.contains("GB/s"), "{text}");
    let header = text
        .lines()
        .find(|l| l.starts_with("client"))
        .expect("client table");
    let first = text
        .lines()
        .skip_while(|l| !l.starts_with("client"))
        .nth(1)
        .expect("a row");
    // Right-aligned counts end in the same column as their header.
    assert_eq!(header.len(), first.len(), "{header:?} / {first:?}");
}

/// One line on stderr, naming the problem; exit code 2; no panic.
fn assert_clean_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn errors_are_one_clear_line_and_exit_code_2() {
    let out = logscan(&["auth", "/nonexistent/auth.log"]);
    assert_clean_error(&out, "cannot open /nonexistent/auth.log");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);

    let dir = tempfile::tempdir().expect("tempdir");
    let out = logscan(&["access", path_str(dir.path())]);
    assert_clean_error(&out, "is a directory");

    let out = logscan(&["access", "--format", "$remote_addr $request", "x.log"]);
    assert_clean_error(&out, "--format");

    let out = logscan(&["access", "--since", "yesterday", "x.log"]);
    assert_clean_error(&out, "yesterday");

    let out = logscan(&[
        "access",
        "--threads",
        "0",
        path_str(&testdata("apache_logs")),
    ]);
    assert_clean_error(&out, "threads");

    let out = logscan(&["auth", "--bogus"]);
    assert_clean_error(&out, "--bogus");
}

#[test]
fn json_logs_go_to_stderr_and_stdout_stays_clean() {
    let out = Command::new(env!("CARGO_BIN_EXE_logscan"))
        .args(["--log-format", "json", "auth", "--json"])
        .arg(testdata("auth.log"))
        .env("RUST_LOG", "info")
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(v["failed"], 1042);
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let events: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).expect("each stderr line is JSON"))
        .collect();
    let done = events
        .iter()
        .find(|e| e["message"] == "scan finished")
        .expect("a scan finished event");
    for key in ["timestamp", "level", "target"] {
        assert!(done.get(key).is_some(), "{key} missing in {done}");
    }
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["lines"], 7121);

    let out = Command::new(env!("CARGO_BIN_EXE_logscan"))
        .args(["auth", "--json"])
        .arg(testdata("auth.log"))
        .env("RUST_LOG", "=[")
        .output()
        .expect("run");
    assert_clean_error(&out, "RUST_LOG");
}

#[test]
fn demo_runs_on_generated_data() {
    let out = logscan(&["demo", "--size", "1MiB", "--threads", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("== logscan auth"), "{stdout}");
    assert!(stdout.contains("== logscan access"), "{stdout}");
    assert_eq!(stdout.matches("GB/s").count(), 2);
}

/// Peak resident memory of a running process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn memory_stays_bounded_on_an_endless_stdin_stream() {
    const LINE: &[u8] = b"203.0.113.9 - - [20/Nov/2026:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"curl/8.5\"\n";
    const STREAM: usize = 192 << 20;
    let mut child = spawn_piped(&["access", "--json", "-"]);
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let block: Vec<u8> = LINE.repeat((1 << 20) / LINE.len());
    let mut written = 0;
    while written < STREAM {
        stdin.write_all(&block).expect("write");
        written += block.len();
    }
    // The process is still alive, waiting for more input: its peak so far
    // covers reading and parsing the whole stream.
    let peak = peak_rss_kib(pid).expect("read /proc status");
    drop(stdin);
    let v = json(&child.wait_with_output().expect("wait"));
    assert_eq!(v["lines"], (written / LINE.len()) as u64);
    assert_eq!(v["top_ips"][0]["count"], v["lines"]);
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB after {written} bytes of stdin"
    );
}
