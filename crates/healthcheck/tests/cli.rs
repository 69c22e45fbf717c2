//! `healthcheck` run as a user would, against real servers on 127.0.0.1
//! that the tests start: the fault-injecting HTTP server and sshd.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{FaultServer, Sshd, free_port};

fn healthcheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthcheck"))
        .args(args)
        .env_remove("RUST_LOG")
        // Loopback only: no proxy may stand in between.
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .expect("run healthcheck")
}

/// Runs with `--json`; returns the exit code and the targets by name.
fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = healthcheck(&all);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), v)
}

fn target<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["targets"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["target"] == name))
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

#[test]
fn healthy_targets_exit_zero() {
    let server = FaultServer::start();
    let ok = server.url("/ok");
    let body = server.url("/body/ready");
    let with_text = format!("{body} status=200 contains=ready");
    let tcp = format!("tcp://{}", server.addr);
    let (code, v) = run_json(&[&ok, &with_text, &tcp]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["healthy"], 3);
    assert_eq!(v["unhealthy"], 0);
    for name in [ok.as_str(), body.as_str(), tcp.as_str()] {
        let t = target(&v, name);
        assert_eq!(t["healthy"], true, "{t}");
        assert_eq!(t["attempts"], 1, "{t}");
        assert!(t["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{t}");
    }
    assert_eq!(target(&v, &ok)["detail"], "200 OK");
    assert_eq!(target(&v, &tcp)["detail"], "connected");
}

#[test]
fn a_missing_body_text_is_unhealthy() {
    let server = FaultServer::start();
    let url = server.url("/body/degraded");
    let (code, v) = run_json(&[&format!("{url} contains=ready")]);
    assert_eq!(code, 1);
    let t = target(&v, &url);
    assert_eq!(t["healthy"], false);
    assert_eq!(t["detail"], "200 OK, body lacks \"ready\"");
    assert_eq!(t["attempts"], 1, "a wrong body is not retried");
}

#[test]
fn failures_then_success_are_retried() {
    let server = FaultServer::start();
    let url = server.url("/flaky/a/2");
    let (code, v) = run_json(&["--retries", "2", &url]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(target(&v, &url)["attempts"], 3);
    assert_eq!(server.hits("/flaky/a/2"), 3);

    let url = server.url("/flaky/b/5");
    let (code, v) = run_json(&["--retries", "1", &url]);
    assert_eq!(code, 1);
    let t = target(&v, &url);
    assert_eq!(
        (t["attempts"].as_u64(), t["detail"].as_str()),
        (Some(2), Some("500 Internal Server Error"))
    );
}

#[test]
fn client_errors_are_not_retried() {
    let server = FaultServer::start();
    let url = server.url("/status/404");
    let (code, v) = run_json(&["--retries", "3", &url]);
    assert_eq!(code, 1);
    assert_eq!(target(&v, &url)["attempts"], 1);
    assert_eq!(server.hits("/status/404"), 1);
    // Unless the user says 404 is what healthy looks like.
    let (code, _) = run_json(&[&format!("{url} status=404")]);
    assert_eq!(code, 0);
}

#[test]
fn retry_after_in_seconds_is_honoured() {
    let server = FaultServer::start();
    for (path, code) in [("/retry-after/s/503/1", 503), ("/retry-after/t/429/1", 429)] {
        let url = server.url(path);
        let (exit, v) = run_json(&["--retries", "1", &url]);
        assert_eq!(exit, 0, "{code}: {v}");
        assert_eq!(target(&v, &url)["attempts"], 2);
        let at = server.arrivals(path);
        assert_eq!(at.len(), 2);
        let gap = at[1] - at[0];
        assert!(
            gap >= Duration::from_millis(950),
            "{code}: retried after {gap:?}, not 1 s"
        );
    }
}

#[test]
fn retry_after_as_a_date_is_honoured() {
    let server = FaultServer::start();
    let path = "/retry-date/d/2";
    let url = server.url(path);
    let (code, v) = run_json(&["--retries", "1", &url]);
    assert_eq!(code, 0, "{v}");
    let at = server.arrivals(path);
    assert_eq!(at.len(), 2);
    // Two seconds ahead in whole seconds: at least one second later.
    let gap = at[1] - at[0];
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    // Well under the 10 s cap on hints.
    assert!(gap <= Duration::from_secs(8), "retried after {gap:?}");
}

#[test]
fn retry_after_is_capped() {
    let server = FaultServer::start();
    let path = "/retry-after/c/503/3600";
    let url = server.url(path);
    let started = Instant::now();
    let (code, _) = run_json(&["--retries", "1", "--max-retry-after", "0.3", &url]);
    assert_eq!(code, 0);
    let at = server.arrivals(path);
    let gap = at[1] - at[0];
    assert!(gap >= Duration::from_millis(290), "retried after {gap:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "waited for the server's hour"
    );
}

#[test]
fn slow_responses_time_out() {
    let server = FaultServer::start();
    let url = server.url("/slow/2000");
    let started = Instant::now();
    let (code, v) = run_json(&["--timeout", "0.3", "--retries", "1", &url]);
    assert_eq!(code, 1);
    let t = target(&v, &url);
    assert_eq!(t["detail"], "timed out after 0.3 s");
    assert_eq!(t["attempts"], 2);
    // Two answers awaited in full would take 4 s.
    assert!(
        started.elapsed() < Duration::from_millis(3900),
        "took {:?}",
        started.elapsed()
    );
    // A slow answer within the limit is fine.
    let url = server.url("/slow/100");
    let (code, _) = run_json(&["--timeout", "5", &url]);
    assert_eq!(code, 0);
}

#[test]
fn dropped_connections_are_retried() {
    let server = FaultServer::start();
    let url = server.url("/drop/x/1");
    let (code, v) = run_json(&["--retries", "2", &url]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(target(&v, &url)["attempts"], 2);
}

#[test]
fn the_host_breaker_spares_a_failing_host() {
    let server = FaultServer::start();
    let urls: Vec<String> = [500, 502, 503, 504, 599]
        .iter()
        .map(|c| server.url(&format!("/status/{c}")))
        .collect();
    let mut args = vec!["--concurrency", "1", "--retries", "2"];
    args.extend(urls.iter().map(String::as_str));
    let (code, v) = run_json(&args);
    assert_eq!(code, 1);
    // Three failed attempts of the first target and one of the second
    // open the host's breaker (four failures in a row): the rest of the
    // host's calls are not made.
    let attempts: Vec<u64> = urls
        .iter()
        .map(|u| target(&v, u)["attempts"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, [3, 1, 0, 0, 0], "{v}");
    assert_eq!(server.total_hits(), 4);
    assert_eq!(
        target(&v, &urls[1])["detail"],
        "circuit breaker opened for host 127.0.0.1 after 1 failed attempt"
    );
    assert_eq!(
        target(&v, &urls[4])["detail"],
        "not tried: circuit breaker open for host 127.0.0.1"
    );
}

#[test]
fn concurrency_is_bounded() {
    let server = FaultServer::start();
    let urls: Vec<String> = (0..16)
        .map(|i| server.url(&format!("/slow/{}", 150 + i)))
        .collect();
    let mut args = vec!["--concurrency", "4"];
    args.extend(urls.iter().map(String::as_str));
    let (code, v) = run_json(&args);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["healthy"], 16);
    let max = server.max_concurrent();
    assert!((2..=4).contains(&max), "{max} requests at once");
}

#[test]
fn ssh_targets_read_the_banner_of_a_real_sshd() {
    let sshd = Sshd::start();
    let name = format!("ssh://127.0.0.1:{}", sshd.port);
    let (code, v) = run_json(&[&name]);
    assert_eq!(code, 0, "{v}");
    let t = target(&v, &name);
    let banner = t["detail"].as_str().unwrap();
    assert!(banner.starts_with("SSH-2.0-OpenSSH"), "{banner}");
}

#[test]
fn unreachable_ports_are_unhealthy() {
    let port = free_port();
    let ssh = format!("ssh://127.0.0.1:{port}");
    let tcp = format!("tcp://localhost:{port}");
    let (code, v) = run_json(&["--retries", "0", &ssh, &tcp]);
    assert_eq!(code, 1);
    for name in [&ssh, &tcp] {
        let d = target(&v, name)["detail"].as_str().unwrap().to_string();
        assert!(
            d.starts_with("cannot connect") || d.contains("circuit breaker"),
            "{d}"
        );
    }
    assert_eq!(v["unhealthy"], 2);
}

#[test]
fn a_non_ssh_server_fails_the_banner_check() {
    // A server that greets with something else.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let greeter = std::thread::spawn(move || {
        if let Ok((mut c, _)) = listener.accept() {
            let _ = c.write_all(b"220 smtp.example ESMTP\r\nSSH-1.5-old\r\n");
        }
    });
    let name = format!("ssh://127.0.0.1:{port}");
    let (code, v) = run_json(&["--retries", "2", &name]);
    greeter.join().unwrap();
    assert_eq!(code, 1);
    let t = target(&v, &name);
    assert_eq!(t["detail"], "not SSH 2.0: \"SSH-1.5-old\"");
    assert_eq!(t["attempts"], 1, "a wrong protocol is not retried");
}

#[test]
fn targets_from_a_file_and_stdin() {
    let server = FaultServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(
        &file,
        format!(
            "# the fleet\n\n{}\n  tcp://{}  \n",
            server.url("/ok"),
            server.addr
        ),
    )
    .unwrap();
    let (code, v) = run_json(&["--file", file.to_str().unwrap()]);
    assert_eq!((code, v["healthy"].as_u64()), (0, Some(2)), "{v}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_healthcheck"))
        .args(["--json", "--file", "-"])
        .env("NO_PROXY", "*")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(server.url("/ok").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["healthy"], 1);
}

#[test]
fn the_table_is_aligned() {
    let server = FaultServer::start();
    let ok = server.url("/ok");
    let bad = server.url("/status/404");
    let out = healthcheck(&[&ok, &bad]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("TARGET"), "{text}");
    let col = |line: &str, word: &str| {
        line.find(word)
            .unwrap_or_else(|| panic!("{word} not in {line:?}"))
    };
    // STATUS and DETAIL start in the same column on every row.
    let status = col(lines[0], "STATUS");
    assert_eq!(col(lines[1], "healthy"), status);
    assert_eq!(col(lines[2], "UNHEALTHY"), status);
    let detail = col(lines[0], "DETAIL");
    assert_eq!(col(lines[1], "200 OK"), detail);
    assert_eq!(col(lines[2], "404 Not Found"), detail);
    assert_eq!(lines.last(), Some(&"1 healthy, 1 unhealthy"));
}

#[test]
fn usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.txt");
    std::fs::write(&file, "http://a/\nftp://b/\n").unwrap();
    let path = file.to_str().unwrap();
    let cases: [(&[&str], String); 5] = [
        (&[], "healthcheck: error: no targets: give them as arguments or with --file".into()),
        (&["bogus"], "healthcheck: error: argument 1: \"bogus\": expected http://, https://, tcp:// or ssh://".into()),
        (&["--file", path], format!("healthcheck: error: {path}:2: unknown scheme \"ftp\": expected http, https, tcp or ssh")),
        (&["--timeout", "0", "tcp://h:1"], "invalid value '0' for '--timeout <SECS>'".into()),
        (&["--concurrency", "0", "tcp://h:1"], "invalid value '0' for '--concurrency <N>'".into()),
    ];
    for (args, want) in cases {
        let out = healthcheck(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&want), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
