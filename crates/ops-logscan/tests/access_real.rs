//! The access analyzer on a real Apache log (`testdata/apache_logs`),
//! checked against exact known counts and against an independent oracle
//! written here with regular expressions.

mod common;

use std::path::PathBuf;

use common::access_oracle::{check_against_oracle, oracle};

use ops_logscan::{
    AccessAnalyzer, AccessStats, Input, LogFormat, ScannerBuilder, TimeRange, parse_time_arg,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn apache_logs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/apache_logs")
}

fn scan(
    analyzer: &AccessAnalyzer,
    threads: usize,
    chunk: u64,
) -> Result<AccessStats, ops_logscan::Error> {
    ScannerBuilder::new()
        .threads(threads)
        .chunk_size(chunk)
        .build()?
        .scan(analyzer, &[Input::from(apache_logs())])
}

#[test]
fn exact_status_counts_and_oracle() -> TestResult {
    let text = std::fs::read(apache_logs())?;
    let analyzer = AccessAnalyzer::new(LogFormat::parse("combined")?);
    let s = scan(&analyzer, 1, 1 << 30)?;

    assert_eq!(s.totals.lines, 10_000);
    assert_eq!(s.totals.bytes, text.len() as u64);
    assert_eq!(
        (s.parsed, s.malformed, s.filtered, s.totals.oversized),
        (10_000, 0, 0, 0)
    );
    let want = [
        (200, 9126),
        (304, 445),
        (404, 213),
        (301, 164),
        (206, 45),
        (500, 3),
        (403, 2),
        (416, 2),
    ];
    for (code, n) in want {
        assert_eq!(s.status.get(code), n, "status {code}");
    }
    assert_eq!(s.status.total(), 10_000);
    check_against_oracle(&s, &oracle(&text, TimeRange::default()));

    let report = s.report(3);
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["status"]["200"], 9126);
    assert_eq!(json["classes"]["5xx"], 3);
    assert_eq!(json["classes"]["2xx"], 9126 + 45);
    assert_eq!(json["malformed_lines"], serde_json::json!([]));
    assert_eq!(json["latency_seconds"], serde_json::Value::Null);
    assert_eq!(json["top_ips"].as_array().map(Vec::len), Some(3));
    let minutes = &json["requests_per_minute"];
    assert_eq!(minutes["minutes"], s.per_minute.len());
    assert!(
        minutes["peak_minute"]
            .as_str()
            .is_some_and(|m| m.starts_with("2015-05-"))
    );
    Ok(())
}

#[test]
fn nginx_format_equivalent_to_combined() -> TestResult {
    let combined = scan(&AccessAnalyzer::new(LogFormat::Combined), 2, 1 << 19)?;
    let nginx = LogFormat::parse(
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
    )?;
    let from_nginx = scan(&AccessAnalyzer::new(nginx), 2, 1 << 19)?;
    assert_eq!(from_nginx, combined);
    assert_eq!(from_nginx.malformed, 0);
    // Common reads the same lines alike.
    let common = scan(&AccessAnalyzer::new(LogFormat::Common), 2, 1 << 19)?;
    assert_eq!(common, combined);
    Ok(())
}

#[test]
fn same_stats_for_any_threads_and_chunks() -> TestResult {
    let analyzer = AccessAnalyzer::new(LogFormat::Combined);
    let reference = scan(&analyzer, 1, 1 << 30)?;
    for (threads, chunk) in [(1, 4096), (2, 1 << 20), (2, 777), (3, 5000), (4, 64 << 10)] {
        let s = scan(&analyzer, threads, chunk)?;
        assert_eq!(s, reference, "threads {threads}, chunk {chunk}");
    }
    // Tiny read buffers cut blocks everywhere.
    let s = ScannerBuilder::new()
        .threads(2)
        .chunk_size(100_000)
        .buffer_size(97)
        .build()?
        .scan(&analyzer, &[Input::from(apache_logs())])?;
    assert_eq!(s, reference);
    Ok(())
}

#[test]
fn time_range_matches_oracle() -> TestResult {
    let text = std::fs::read(apache_logs())?;
    let range = TimeRange {
        since: Some(parse_time_arg("2015-05-18T00:00")?),
        until: Some(parse_time_arg("2015-05-19T12:30")?),
    };
    let analyzer = AccessAnalyzer::builder()
        .format(LogFormat::Combined)
        .time_range(range)
        .build()?;
    let s = scan(&analyzer, 2, 300_000)?;
    let o = oracle(&text, range);
    check_against_oracle(&s, &o);
    let in_range: u64 = o.status.values().sum();
    assert!(in_range > 1000 && in_range < 9000, "{in_range}");
    assert_eq!(s.parsed, in_range);
    assert_eq!(s.filtered, 10_000 - in_range);
    assert_eq!(s.malformed, 0);
    Ok(())
}

#[test]
fn malformed_lines_name_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("broken.log");
    let mut text = std::fs::read(apache_logs())?;
    text.truncate(200_000);
    let cut = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    text.truncate(cut);
    text.extend_from_slice(b"garbage\n\n1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET");
    std::fs::write(&path, &text)?;
    let s = ScannerBuilder::new()
        .threads(2)
        .chunk_size(10_000)
        .build()?
        .scan(
            &AccessAnalyzer::new(LogFormat::Combined),
            &[Input::from(&path)],
        )?;
    assert_eq!(s.malformed, 3);
    let lines = s.totals.lines;
    let refs: Vec<String> = s.report(1).malformed_lines;
    let name = path.display().to_string();
    assert_eq!(
        refs,
        vec![
            format!("{name}:{}", lines - 2),
            format!("{name}:{}", lines - 1),
            format!("{name}:{lines}")
        ]
    );
    Ok(())
}
