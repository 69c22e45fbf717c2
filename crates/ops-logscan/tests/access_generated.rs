//! Generated access logs with every quirk real logs carry (CRLF, NUL,
//! invalid UTF-8, huge lines, escaped quotes, `"-"` requests, extra fields,
//! common-format and malformed lines), checked against the oracle under
//! several thread counts and splits.

mod common;

use common::access_oracle::{check_against_oracle, oracle};
use common::generated;
use ops_loggen::{Kind, Quirks};
use ops_logscan::{AccessAnalyzer, AccessStats, Input, LogFormat, ScannerBuilder, TimeRange};

fn scan(path: &std::path::Path, threads: usize, chunk: u64, buffer: usize) -> AccessStats {
    ScannerBuilder::new()
        .threads(threads)
        .chunk_size(chunk)
        .buffer_size(buffer)
        .build()
        .expect("options")
        .scan(
            &AccessAnalyzer::new(LogFormat::Combined),
            &[Input::from(path)],
        )
        .expect("scan")
}

#[test]
fn quirky_generated_logs_agree_with_the_oracle() {
    for seed in [1, 2, 3] {
        let (_dir, path) = generated(Kind::Access, seed, Quirks::all());
        let data = std::fs::read(&path).expect("read");
        assert!(data.contains(&b'\r') && data.contains(&0) && !data.ends_with(b"\n"));
        assert!(std::str::from_utf8(&data).is_err());

        let want = oracle(&data, TimeRange::default());
        let got = scan(&path, 1, u64::MAX, 1 << 20);
        check_against_oracle(&got, &want);
        assert!(
            got.malformed > 0 && got.parsed > 1000,
            "seed {seed}: {got:?}"
        );
        for (threads, chunk, buffer) in [(2, 4096, 1 << 20), (3, 997, 4096), (2, 64, 100)] {
            assert_eq!(scan(&path, threads, chunk, buffer), got, "seed {seed}");
        }
    }
}

#[test]
fn plain_generated_logs_have_no_malformed_lines() {
    let (_dir, path) = generated(Kind::Access, 9, Quirks::none());
    let data = std::fs::read(&path).expect("read");
    let got = scan(&path, 2, 100_000, 1 << 16);
    check_against_oracle(&got, &oracle(&data, TimeRange::default()));
    assert_eq!(got.malformed, 0);
    assert_eq!(got.parsed, got.totals.lines);
}
