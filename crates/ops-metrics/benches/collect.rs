//! Collection and encoding: what one scrape of sysexporter costs.
//!
//! `collect`: one refresh of the system (every /proc file and a statvfs
//! per mount) and process collectors, in elements = samples produced.
//! `encode`: the registry as text 0.0.4 and OpenMetrics, in bytes written.
//! `parse`: /proc/stat and /proc/meminfo from memory, in bytes parsed.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_metrics::{Format, ProcessCollector, SystemCollector, encode};
use prometheus_client::registry::Registry;
use std::sync::Arc;

fn registry() -> (Registry, Arc<SystemCollector>, Arc<ProcessCollector>) {
    let system = Arc::new(SystemCollector::new());
    let process = Arc::new(ProcessCollector::new());
    system.refresh();
    let _ = process.refresh();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Arc::clone(&system)));
    registry.register_collector(Box::new(Arc::clone(&process)));
    (registry, system, process)
}

fn render(registry: &Registry, format: Format) -> String {
    let mut out = String::with_capacity(32 << 10);
    let _ = encode(&mut out, registry, format);
    out
}

fn benches(c: &mut Criterion) {
    let (registry, system, process) = registry();
    let text = render(&registry, Format::Text004);
    let samples = text.lines().filter(|l| !l.starts_with('#')).count() as u64;

    let mut g = c.benchmark_group("collect");
    g.throughput(Throughput::Elements(samples));
    g.bench_function("system+process", |b| {
        b.iter(|| {
            black_box(system.refresh());
            black_box(process.refresh().is_ok());
        })
    });
    g.finish();

    let mut g = c.benchmark_group("encode");
    for (name, format) in [
        ("text-0.0.4", Format::Text004),
        ("openmetrics", Format::OpenMetrics),
    ] {
        let len = render(&registry, format).len() as u64;
        g.throughput(Throughput::Bytes(len));
        g.bench_function(name, |b| b.iter(|| black_box(render(&registry, format))));
    }
    g.finish();

    let mut g = c.benchmark_group("parse");
    for (name, path) in [("proc-stat", "/proc/stat"), ("meminfo", "/proc/meminfo")] {
        let bytes = std::fs::read(path).unwrap_or_default();
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| match name {
                "proc-stat" => black_box(ops_metrics::parse_proc_stat(&bytes[..]).is_ok()),
                _ => black_box(ops_metrics::parse_meminfo(&bytes[..]).is_ok()),
            })
        });
    }
    g.finish();
}

criterion_group!(metrics, benches);
criterion_main!(metrics);
