//! Generation throughput in bytes per second, written to a sink so that
//! only the generator is measured.

use std::hint::black_box;
use std::io;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_loggen::{GenOptions, Kind, Quirks, generate};

/// Large enough that table setup (a few milliseconds) is a small share.
const SIZE: u64 = 32 << 20;

fn bench_generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Bytes(SIZE));
    group.sample_size(10);
    for kind in [Kind::Auth, Kind::Access] {
        for (label, quirks) in [("plain", Quirks::none()), ("quirks", Quirks::all())] {
            let opts = GenOptions::builder(kind)
                .size_bytes(SIZE)
                .seed(1)
                .quirks(quirks)
                .build();
            let Ok(opts) = opts else {
                panic!("bench options are valid");
            };
            group.bench_function(format!("{kind}/{label}"), |b| {
                b.iter(|| generate(black_box(&opts), io::sink()).map(|s| s.bytes).ok());
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_generate);
criterion_main!(benches);
