//! Access-log throughput on `testdata/apache_logs`, repeated to a few
//! megabytes: the parser alone, whole scans in each format, and counting
//! client addresses.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_logscan::{AccessAnalyzer, KeyCounts, LogFormat, ScannerBuilder, for_each_line};

const NGINX_COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// About 24 MB: large enough that per-scan costs vanish, small enough to
/// stay in memory on a CI machine.
fn sample() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/apache_logs");
    let one = std::fs::read(path).expect("testdata/apache_logs");
    one.repeat(10)
}

/// The same requests as nginx JSON lines, with a request time.
#[cfg(feature = "json")]
fn json_sample(combined: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(combined.len());
    let mut n = 0u64;
    for_each_line(combined, usize::MAX, |line| {
        let ops_logscan::Line::Text(line) = line else {
            return;
        };
        let Some(r) = LogFormat::Combined.parse_line(line) else {
            return;
        };
        n += 1;
        let s =
            |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or(b"-")).replace(['"', '\\'], "");
        out.extend_from_slice(
            format!(
                r#"{{"remote_addr":"{}","time":"{}","request":"{}","status":{},"body_bytes_sent":{},"request_time":0.{:03},"http_user_agent":"curl/8"}}"#,
                s(r.client()),
                s(r.time().map(|t| t.bytes)),
                s(r.request_line()),
                r.status(),
                r.bytes_sent().unwrap_or(0),
                n % 1000
            )
            .as_bytes(),
        );
        out.push(b'\n');
    });
    out
}

fn bench(c: &mut Criterion) {
    let data = sample();
    let mut g = c.benchmark_group("access");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(20);

    g.bench_function("parse_line/combined", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for_each_line(&data, usize::MAX, |l| {
                if let ops_logscan::Line::Text(t) = l {
                    n += u64::from(LogFormat::Combined.parse_line(t).is_some());
                }
            });
            n
        })
    });

    let one_thread = ScannerBuilder::new().threads(1).build().expect("scanner");
    let combined = AccessAnalyzer::new(LogFormat::Combined);
    g.bench_function("scan/combined/1-thread", |b| {
        b.iter(|| one_thread.scan_bytes(&combined, &data).parsed)
    });
    let nginx = AccessAnalyzer::new(LogFormat::parse(NGINX_COMBINED).expect("format"));
    g.bench_function("scan/nginx-format/1-thread", |b| {
        b.iter(|| one_thread.scan_bytes(&nginx, &data).parsed)
    });
    let all_threads = ScannerBuilder::new()
        .chunk_size(4 << 20)
        .build()
        .expect("scanner");
    g.bench_function("scan/combined/all-threads", |b| {
        b.iter(|| all_threads.scan_bytes(&combined, &data).parsed)
    });

    #[cfg(feature = "json")]
    {
        let json = json_sample(&data);
        g.throughput(Throughput::Bytes(json.len() as u64));
        let analyzer = AccessAnalyzer::new(LogFormat::parse("json").expect("json"));
        assert_eq!(
            one_thread.scan_bytes(&analyzer, &json).parsed,
            one_thread.scan_bytes(&combined, &data).parsed
        );
        g.bench_function("scan/json/1-thread", |b| {
            b.iter(|| one_thread.scan_bytes(&analyzer, &json).parsed)
        });
    }
    g.finish();
}

/// Counting client addresses, as a scan does once per line: short keys
/// (IPv4 and most IPv6 addresses) take the packed table, longer ones the
/// byte map.
fn aggregate(c: &mut Criterion) {
    let data = sample();
    let mut clients: Vec<Vec<u8>> = Vec::new();
    for_each_line(&data, usize::MAX, |l| {
        if let ops_logscan::Line::Text(t) = l
            && let Some(client) = LogFormat::Combined.parse_line(t).and_then(|r| r.client())
        {
            clients.push(client.to_vec());
        }
    });
    let long: Vec<Vec<u8>> = clients
        .iter()
        .map(|k| [&b"host-"[..], k, b".example.net"].concat())
        .collect();
    let mut g = c.benchmark_group("aggregate");
    g.throughput(Throughput::Elements(clients.len() as u64));
    g.sample_size(20);
    for (name, keys) in [("short-keys", &clients), ("long-keys", &long)] {
        g.bench_function(format!("key_counts_add/{name}"), |b| {
            b.iter(|| {
                let mut counts = KeyCounts::new();
                for k in keys {
                    counts.add(k, 1);
                }
                counts.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench, aggregate);
criterion_main!(benches);
