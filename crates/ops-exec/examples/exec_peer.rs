//! The Rust side of `cargo xtask bench --suite exec`: the same cases as
//! `benches/peers/exec_subprocess.py`, with ops-exec and with bare
//! `std::process::Command`, one line per measurement:
//! `case<TAB>implementation<TAB>seconds<TAB>note`.
//!
//! `cargo run --release -p ops-exec --example exec_peer -- SPAWNS BYTES`

use std::io;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use ops_exec::{Check, Command, Error};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let spawns: u32 = args.next().as_deref().unwrap_or("1000").parse()?;
    let bytes: u64 = args.next().as_deref().unwrap_or("1073741824").parse()?;

    // Interleaved, one std run then one ops-exec run, and the median of
    // each: a load that drifts during the loop weighs on both alike.
    let cmd = Command::new("true");
    let (mut std_times, mut ops_times) = (Vec::new(), Vec::new());
    for _ in 0..spawns {
        let t = Instant::now();
        StdCommand::new("true").stdin(Stdio::null()).output()?;
        std_times.push(t.elapsed());
        let t = Instant::now();
        cmd.run()?;
        ops_times.push(t.elapsed());
    }
    let note = format!("median of {spawns} runs of true, output captured");
    report("spawn", "std", median(&mut std_times), &note);
    report("spawn", "ops-exec", median(&mut ops_times), &note);

    // dd writes 1 MiB at a time (head -c writes 8 KiB, and would be the
    // bottleneck).
    let count = format!("count={bytes}");
    let dd = [
        "if=/dev/zero",
        "bs=1M",
        &count,
        "iflag=count_bytes",
        "status=none",
    ];
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let mut child = StdCommand::new("dd")
        .args(dd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut pipe = child.stdout.take().ok_or("no stdout")?;
    let (mut buf, mut copied) = (vec![0u8; 64 * 1024], 0u64);
    loop {
        match io::Read::read(&mut pipe, &mut buf)? {
            0 => break,
            n => copied += n as u64,
        }
    }
    child.wait()?;
    assert_eq!(copied, bytes);
    report(
        "capture",
        "std",
        t.elapsed(),
        "read loop, 64 KiB buffer, bytes dropped",
    );
    report_cpu("std", cpu_seconds() - cpu);
    let (t, cpu) = (Instant::now(), cpu_seconds());
    let out = Command::new("dd").args(dd).run()?;
    assert_eq!(out.stdout.total_len(), bytes);
    report(
        "capture",
        "ops-exec",
        t.elapsed(),
        "head and tail kept (15 + 1 MiB)",
    );
    report_cpu("ops-exec", cpu_seconds() - cpu);

    let t = Instant::now();
    let mut lines = Vec::new();
    let result = Command::new("sh")
        .args(["-c", "sleep 30 & echo $!; sleep 30"])
        .timeout(Duration::from_millis(500))
        .run_with_lines(|l| lines.push(l.text().into_owned()));
    let elapsed = t.elapsed();
    assert!(matches!(result, Err(Error::TimedOut(_))));
    let alive = survivors(&lines);
    report(
        "timeout",
        "ops-exec",
        elapsed,
        &format!("{alive} process(es) of the tree left alive"),
    );

    let t = Instant::now();
    let out = Command::new("sh")
        .args(["-c", "sleep 5 & echo $!"])
        .wait_delay(Duration::from_millis(500))
        .check(Check::Never)
        .run()?;
    let elapsed = t.elapsed();
    let text = out.stdout_text().into_owned();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    survivors(&lines);
    report(
        "grandchild",
        "ops-exec",
        elapsed,
        "returned after the wait delay",
    );
    Ok(())
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// User and system CPU time of this process so far, from /proc/self/stat
/// (in clock ticks of 10 ms: enough for a capture of a gigabyte).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / 100.0
}

fn report_cpu(implementation: &str, seconds: f64) {
    println!("capture_cpu\t{implementation}\t{seconds:.6}\tCPU time of the reading process");
}

fn report(case: &str, implementation: &str, elapsed: Duration, note: &str) {
    println!(
        "{case}\t{implementation}\t{:.6}\t{note}",
        elapsed.as_secs_f64()
    );
}

/// How many of the pids printed in `lines` are alive (not zombies); kills
/// them, so that nothing outlives the benchmark.
fn survivors(lines: &[String]) -> usize {
    let mut alive = 0;
    for pid in lines.iter().filter_map(|l| l.trim().parse::<u32>().ok()) {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().next());
        if matches!(state, Some(s) if s != "Z" && s != "X") {
            alive += 1;
            let _ = StdCommand::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
    alive
}
