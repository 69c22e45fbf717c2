//! Throughput of the sshd auth-log analyzer on a sample built from the real
//! `testdata/auth.log`, repeated to a few MiB.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_logscan::{Analyzer, AuthAnalyzer, AuthStats, ScannerBuilder, parse_auth_line};

const AUTH_LOG: &[u8] = include_bytes!("../testdata/auth.log");

/// About 8 MiB of whole copies of `auth.log`.
fn sample() -> Vec<u8> {
    let copies = (8 << 20) / AUTH_LOG.len() + 1;
    AUTH_LOG.repeat(copies)
}

fn bench_auth(c: &mut Criterion) {
    let data = sample();
    let mut g = c.benchmark_group("auth");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);

    let analyzer = AuthAnalyzer::new();
    g.bench_function("scan_block", |b| {
        b.iter(|| {
            let mut stats = AuthStats::default();
            analyzer.scan_block(black_box(&data), 1 << 20, &mut stats);
            stats
        })
    });

    g.bench_function("parse_auth_line", |b| {
        b.iter(|| {
            let mut events = 0u64;
            for line in black_box(&data).split(|&b| b == b'\n') {
                events += u64::from(parse_auth_line(line).is_some());
            }
            events
        })
    });

    if let Ok(scanner) = ScannerBuilder::new().threads(1).build() {
        g.bench_function("scanner_1_thread", |b| {
            b.iter(|| scanner.scan_bytes(&analyzer, black_box(&data)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_auth);
criterion_main!(benches);
