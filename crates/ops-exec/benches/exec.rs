//! Spawn-and-wait overhead against bare `std::process::Command`, and
//! capture throughput against a plain read loop over the pipe.
//!
//! `cargo bench -p ops-exec`; `OPS_EXEC_BENCH_BYTES` sets the capture size
//! (default 1 GiB).

use std::io::Read;
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ops_exec::{Command, Output};

fn spawn(c: &mut Criterion) {
    let mut g = c.benchmark_group("spawn_wait_true");
    g.throughput(Throughput::Elements(1));
    g.bench_function("std_status", |b| {
        b.iter(|| {
            StdCommand::new("true")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
        })
    });
    g.bench_function("ops_exec_null", |b| {
        let mut cmd = Command::new("true");
        cmd.stdout(Output::Null).stderr(Output::Null);
        b.iter(|| cmd.run().unwrap())
    });
    g.bench_function("std_output", |b| {
        b.iter(|| {
            StdCommand::new("true")
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
    });
    g.bench_function("ops_exec_capture", |b| {
        let cmd = Command::new("true");
        b.iter(|| cmd.run().unwrap())
    });
    g.bench_function("ops_exec_capture_timeout", |b| {
        let mut cmd = Command::new("true");
        cmd.timeout(Duration::from_secs(60));
        b.iter(|| cmd.run().unwrap())
    });
    g.finish();
}

fn capture(c: &mut Criterion) {
    let bytes: u64 = std::env::var("OPS_EXEC_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    // dd writes 1 MiB at a time; `head -c` writes 8 KiB and would be the
    // bottleneck.
    let count = format!("count={bytes}");
    let dd = [
        "if=/dev/zero",
        "bs=1M",
        count.as_str(),
        "iflag=count_bytes",
        "status=none",
    ];
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("std_read_loop", |b| {
        b.iter(|| {
            let mut child = StdCommand::new("dd")
                .args(dd)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = child.stdout.take().unwrap();
            let (mut buf, mut n) = (vec![0u8; 64 * 1024], 0u64);
            loop {
                match out.read(&mut buf).unwrap() {
                    0 => break,
                    k => n += k as u64,
                }
            }
            child.wait().unwrap();
            assert_eq!(n, bytes);
        })
    });
    g.bench_function("ops_exec_16MiB_limit", |b| {
        let mut cmd = Command::new("dd");
        cmd.args(dd);
        b.iter(|| {
            let out = cmd.run().unwrap();
            assert_eq!(out.stdout.total_len(), bytes);
        })
    });
    g.bench_function("ops_exec_lines_64B", |b| {
        // 63-byte lines and a newline, from `yes`.
        let line = "x".repeat(63);
        let mut cmd = Command::shell(format!("yes {line} | head -c {bytes}"));
        cmd.capture_limit(0);
        b.iter(|| {
            let mut lines = 0u64;
            cmd.run_with_lines(|_| lines += 1).unwrap();
            lines
        })
    });
    g.finish();
}

criterion_group!(benches, spawn, capture);
criterion_main!(benches);
