//! Throughput of the sshd auth-log analyzer, in bytes/s: the block-level
//! fast path (`scan_block`, and under `AuthFocus::FailedIps` as
//! `logscan auth --ips` runs it) against the line-by-line reference
//! (`scan_block_by_line`), on the real `testdata/auth.log` repeated and on
//! generated logs (the mix `cargo xtask gen-logs --kind auth` writes).

mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ops_logscan::{Analyzer, AuthAnalyzer, AuthFocus, AuthStats, ScannerBuilder, parse_auth_line};

const AUTH_LOG: &[u8] = include_bytes!("../testdata/auth.log");

/// About 8 MiB of whole copies of `auth.log`.
fn real() -> Vec<u8> {
    let copies = (8 << 20) / AUTH_LOG.len() + 1;
    AUTH_LOG.repeat(copies)
}

/// About 8 MiB of generated auth log.
fn generated() -> Vec<u8> {
    common::generated_auth(real)
}

/// Scans `data` in blocks of whole lines of about 1 MiB, as the scanner
/// hands them out.
fn in_blocks(data: &[u8], mut scan: impl FnMut(&[u8])) {
    let mut rest = data;
    while !rest.is_empty() {
        let cut = rest.len().min(1 << 20);
        let cut = memchr::memrchr(b'\n', &rest[..cut]).map_or(rest.len(), |i| i + 1);
        scan(&rest[..cut]);
        rest = &rest[cut..];
    }
}

/// A way to scan a block: the fast path or the line-by-line reference.
type ScanFn = fn(&AuthAnalyzer, &[u8], usize, &mut AuthStats);

fn bench_auth(c: &mut Criterion) {
    let analyzer = AuthAnalyzer::new();
    // What `logscan auth --ips` runs.
    let failed_ips = AuthAnalyzer::builder()
        .focus(AuthFocus::FailedIps)
        .build()
        .unwrap_or_default();
    let max_line = 1 << 20;
    let mut g = c.benchmark_group("auth");
    g.sample_size(20);
    for (name, data) in [("generated", generated()), ("real", real())] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        let paths: [(&str, &AuthAnalyzer, ScanFn); 3] = [
            ("scan_block", &analyzer, AuthAnalyzer::scan_block),
            (
                "scan_block_failed_ips",
                &failed_ips,
                AuthAnalyzer::scan_block,
            ),
            (
                "scan_block_by_line",
                &analyzer,
                AuthAnalyzer::scan_block_by_line,
            ),
        ];
        for (path, a, scan) in paths {
            g.bench_with_input(BenchmarkId::new(path, name), &data, |b, data| {
                b.iter(|| {
                    let mut stats = AuthStats::default();
                    in_blocks(black_box(data), |blk| scan(a, blk, max_line, &mut stats));
                    stats
                })
            });
        }
        g.bench_with_input(
            BenchmarkId::new("parse_auth_line", name),
            &data,
            |b, data| {
                b.iter(|| {
                    let mut events = 0u64;
                    for line in black_box(data).split(|&b| b == b'\n') {
                        events += u64::from(parse_auth_line(line).is_some());
                    }
                    events
                })
            },
        );
        if let Ok(scanner) = ScannerBuilder::new().threads(1).build() {
            g.bench_with_input(
                BenchmarkId::new("scanner_1_thread", name),
                &data,
                |b, data| b.iter(|| scanner.scan_bytes(&analyzer, black_box(data))),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench_auth);
criterion_main!(benches);
