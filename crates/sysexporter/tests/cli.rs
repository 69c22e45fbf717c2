//! The sysexporter binary over HTTP: formats, health, errors, shutdown.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::{Exporter, get};

#[test]
fn serves_both_formats_and_health() {
    let exporter = Exporter::start(&[]);
    let text = get(exporter.addr, "/metrics", None);
    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert!(
        text.body
            .contains("# TYPE node_cpu_seconds_total counter\n")
    );
    assert!(text.body.contains("\nprocess_open_fds "));
    assert!(!text.body.contains("# EOF"));

    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let om = get(exporter.addr, "/metrics", Some(prometheus_accept));
    assert!(
        om.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    assert!(om.body.contains("# TYPE node_cpu_seconds counter\n"));
    assert!(om.body.ends_with("# EOF\n"));

    let health = get(exporter.addr, "/healthz", None);
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    assert_eq!(get(exporter.addr, "/nope", None).status, 404);
}

#[test]
fn exposition_passes_promtool() {
    let exporter = Exporter::start(&["--interval", "1s"]);
    let body = get(exporter.addr, "/metrics", None).body;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.prom");
    std::fs::write(&file, &body).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("promtool check metrics < {}", file.display()))
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // promtool flags node_exporter's own camelCase meminfo names (it does
    // for node_exporter too); nothing else may be reported.
    let problems: Vec<&str> = report
        .lines()
        .filter(|l| !(l.starts_with("node_memory_") && l.contains("'camelCase'")))
        .collect();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{report}");
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn sigterm_stops_it_cleanly_with_a_connection_open() {
    let mut exporter = Exporter::start(&[]);
    // An idle keep-alive connection must not hold the shutdown up.
    let mut idle = TcpStream::connect(exporter.addr).unwrap();
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    exporter.signal("TERM");
    let status = exporter.wait_exit(Duration::from_secs(20)).expect("exited");
    assert!(status.success(), "{status}");
    let log = exporter.rest_of_stderr();
    assert!(log.contains("\"signal\":\"SIGTERM\""), "{log}");
    assert!(log.contains("\"message\":\"stopped\""), "{log}");
}

#[test]
fn sigint_stops_it_too() {
    let mut exporter = Exporter::start(&["--interval", "100ms"]);
    exporter.signal("INT");
    let status = exporter.wait_exit(Duration::from_secs(20)).expect("exited");
    assert!(status.success(), "{status}");
}

#[test]
fn errors_are_one_line_and_exit_code_two() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_sysexporter"))
        .args(["--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("sysexporter: error: cannot listen on {addr}: ")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = Command::new(env!("CARGO_BIN_EXE_sysexporter"))
        .args(["--interval", "5 minutes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid duration \"5 minutes\""));
}
