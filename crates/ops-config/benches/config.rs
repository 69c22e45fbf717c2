//! Loading, merging, validating and writing a fleet config: the steps of
//! `confmerge --schema S BASE OVERLAY`, each alone, in bytes of YAML per
//! second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ops_config::{Document, Format, Limits, Schema, Source, Strategies, merge};
use std::fmt::Write as _;
use std::hint::black_box;

/// `n` services in YAML; `overlay` changes some fields of every other one.
fn fleet(n: usize, overlay: bool) -> String {
    let mut out = String::from("services:\n");
    for i in (0..n).filter(|i| !overlay || i % 2 == 0) {
        let _ = writeln!(out, "  svc-{i:06}:");
        if overlay {
            let _ = write!(
                out,
                "    replicas: {}\n    env: {{LOG_LEVEL: warn}}\n    ports: [9{:03}]\n",
                2 + i % 7,
                i % 1000
            );
        } else {
            let _ = write!(
                out,
                "    image: registry.example.com/svc-{i:06}:1.{}.0\n    replicas: {}\n    cpu: 0.5\n    enabled: true\n    env:\n      LOG_LEVEL: info\n      REGION: eu-west-1\n    ports: [8080, 9090]\n    labels: {{team: t{}, tier: backend}}\n",
                i % 30,
                1 + i % 5,
                i % 40
            );
        }
    }
    out
}

fn schema() -> Schema {
    let schema = serde_json::json!({
        "type": "object",
        "properties": {"services": {"type": "object", "additionalProperties": {
            "type": "object",
            "required": ["image", "replicas"],
            "properties": {
                "image": {"type": "string", "pattern": "^[a-z0-9./-]+:[0-9.]+$"},
                "replicas": {"type": "integer", "minimum": 1},
                "ports": {"type": "array", "items": {"type": "integer"}},
                "env": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        }}}
    });
    Schema::from_json(&schema, "fleet").unwrap()
}

fn parse(text: &str, name: &str) -> ops_config::Node {
    Format::Yaml
        .parse(text, &Source::File(name.into()), &Limits::default())
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let base = fleet(5_000, false);
    let overlay = fleet(5_000, true);
    let bytes = (base.len() + overlay.len()) as u64;
    let mut g = c.benchmark_group("config");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(base.len() as u64));
    g.bench_function(BenchmarkId::new("parse_yaml", base.len()), |b| {
        b.iter(|| parse(black_box(&base), "base.yaml"))
    });
    let json = Document::new(parse(&base, "b"))
        .to_string(Format::Json)
        .unwrap();
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function(BenchmarkId::new("parse_json", json.len()), |b| {
        b.iter(|| {
            Format::Json
                .parse(
                    black_box(&json),
                    &Source::File("b.json".into()),
                    &Limits::default(),
                )
                .unwrap()
        })
    });
    let (b_node, o_node) = (parse(&base, "base.yaml"), parse(&overlay, "overlay.yaml"));
    let st = Strategies::new();
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function(BenchmarkId::new("merge", bytes), |b| {
        b.iter(|| merge(black_box(&b_node), black_box(&o_node), &st))
    });
    let merged = Document::new(merge(&b_node, &o_node, &st));
    let schema = schema();
    g.bench_function(BenchmarkId::new("validate", bytes), |b| {
        b.iter(|| assert!(schema.violations(black_box(&merged)).unwrap().is_empty()))
    });
    g.bench_function(BenchmarkId::new("write_json", bytes), |b| {
        b.iter(|| merged.to_string(Format::Json).unwrap())
    });
    g.bench_function(BenchmarkId::new("write_yaml", bytes), |b| {
        b.iter(|| merged.to_string(Format::Yaml).unwrap())
    });
    g.bench_function(BenchmarkId::new("load_merge_validate", bytes), |b| {
        b.iter(|| {
            let merged = Document::new(ops_config::merge_owned(
                parse(&base, "base.yaml"),
                parse(&overlay, "overlay.yaml"),
                &st,
            ));
            schema.violations(&merged).unwrap().len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
