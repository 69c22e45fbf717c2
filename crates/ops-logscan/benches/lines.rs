//! Line splitting and newline counting, in bytes/s, on a generated auth log
//! (lines of about 100 bytes): what a block-level scan pays before parsing
//! anything.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_logscan::{Line, for_each_line};

/// About 8 MiB of generated auth log.
fn sample() -> Vec<u8> {
    common::generated_auth(|| {
        b"Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2\n"
            .repeat(100_000)
    })
}

/// Newlines counted 8 bytes at a time: a byte is `\n` when it XORs to 0.
fn count_swar(bytes: &[u8]) -> u64 {
    const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0u64;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) ^ NL;
        // The high bit of each byte is set iff that byte is not zero.
        let nonzero = ((w & LO) + LO) | w;
        n += u64::from((!nonzero & !LO).count_ones());
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count() as u64
}

fn bench_lines(c: &mut Criterion) {
    let data = sample();
    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(30);

    g.bench_function("for_each_line", |b| {
        b.iter(|| {
            let (mut lines, mut bytes) = (0u64, 0usize);
            for_each_line(black_box(&data), 1 << 20, |l| {
                lines += 1;
                if let Line::Text(t) = l {
                    bytes += t.len();
                }
            });
            (lines, bytes)
        })
    });
    g.bench_function("memchr_iter", |b| {
        b.iter(|| {
            let mut last = 0;
            for i in memchr::memchr_iter(b'\n', black_box(&data)) {
                last ^= i;
            }
            last
        })
    });
    g.bench_function("count/memchr_iter_count", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&data)).count())
    });
    g.bench_function("count/iter_filter", |b| {
        b.iter(|| black_box(&data).iter().filter(|&&b| b == b'\n').count())
    });
    g.bench_function("count/swar_u64", |b| {
        b.iter(|| count_swar(black_box(&data)))
    });
    g.bench_function("search/memmem_sshd", |b| {
        let finder = memchr::memmem::Finder::new(b" sshd");
        b.iter(|| finder.find_iter(black_box(&data)).count())
    });
    g.finish();
}

criterion_group!(benches, bench_lines);
criterion_main!(benches);
