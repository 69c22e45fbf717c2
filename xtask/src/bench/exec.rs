//! `cargo xtask bench --suite exec`: ops-exec against bare
//! `std::process::Command` and Python's `subprocess.run`, on the same
//! commands in the same run.
//!
//! The Rust side is the example `crates/ops-exec/examples/exec_peer.rs`
//! (built in release), the Python side `benches/peers/exec_subprocess.py`;
//! both print `case<TAB>implementation<TAB>seconds<TAB>note` lines. They
//! run alternately, `--runs` times each, and every figure is the median of
//! its runs. Writes docs/benchmarks-exec.md unless `--quick`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, ExitCode};

use super::measure::median;
use super::opts::Opts;
use super::suite::Suite;

pub(crate) const USAGE: &str = "\
usage: cargo xtask bench --suite exec [--quick] [--spawns N] [--bytes SIZE] [--runs N]

Times, in one run: spawn-and-wait of `true` with output captured (median of
--spawns runs, interleaved with bare std::process::Command), capturing
--bytes of `head -c N /dev/zero`, a timeout on `sh -c 'sleep 30 & sleep 30'`
(and how many of its processes survive), and a grandchild holding stdout
(`sh -c 'sleep 5 &'`); for ops-exec, std and Python's subprocess.run.
Without --quick, rewrites docs/benchmarks-exec.md.

  --spawns N    spawn-and-wait runs per measurement (default 1000; 200 with --quick)
  --bytes SIZE  bytes captured (default 1GiB; 100MB with --quick)
  --runs N      runs of each driver, medians reported (default 3; 1 with --quick)
  --quick       small sizes, docs untouched
";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Args {
    spawns: u64,
    bytes: u64,
    runs: usize,
    quick: bool,
}

fn parse(args: Vec<OsString>) -> Result<Option<Args>, String> {
    let mut quick = false;
    let (mut spawns, mut bytes, mut runs) = (None, None, None);
    let mut opts = Opts::new(args);
    while let Some(name) = opts.next_name()? {
        match name {
            "-h" | "--help" => return Ok(None),
            "--quick" => quick = true,
            "--spawns" => spawns = Some(opts.number(1..=1_000_000)?),
            "--runs" => runs = Some(opts.number(1..=1_000_000)? as usize),
            "--bytes" => bytes = Some(opts.size()?),
            _ => return Err(opts.unknown()),
        }
    }
    Ok(Some(Args {
        spawns: spawns.unwrap_or(if quick { 200 } else { 1000 }),
        bytes: bytes.unwrap_or(if quick { 100_000_000 } else { 1 << 30 }),
        runs: runs.unwrap_or(if quick { 1 } else { 3 }),
        quick,
    }))
}

/// Entry point from `bench::run`.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    Suite::Exec.main(USAGE, parse(args), |a| execute(&a).map(|()| true))
}

/// Seconds per (case, implementation), one entry per run; and the notes.
#[derive(Debug, Default)]
struct Results {
    seconds: BTreeMap<(String, String), Vec<f64>>,
    notes: BTreeMap<(String, String), String>,
}

impl Results {
    fn add(&mut self, output: &str) -> Result<(), String> {
        for line in output.lines().filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [case, imp, secs, note] = fields.as_slice() else {
                return Err(format!("unexpected driver line `{line}`"));
            };
            let secs: f64 = secs
                .parse()
                .map_err(|_| format!("`{secs}` in `{line}` is not seconds"))?;
            let key = ((*case).to_owned(), (*imp).to_owned());
            self.seconds.entry(key.clone()).or_default().push(secs);
            self.notes.insert(key, (*note).to_owned());
        }
        Ok(())
    }

    fn median(&self, case: &str, imp: &str) -> Option<f64> {
        median(self.seconds.get(&(case.to_owned(), imp.to_owned()))?)
    }

    fn note(&self, case: &str, imp: &str) -> &str {
        self.notes
            .get(&(case.to_owned(), imp.to_owned()))
            .map_or("", String::as_str)
    }
}

fn execute(args: &Args) -> Result<(), String> {
    let root = crate::ci::workspace_root();
    let load_start = super::load_average();
    let python = super::installed("python3");
    if !python {
        eprintln!("xtask bench --suite exec: python3 is not installed; skipping its column");
    }
    let peer = root.join("benches/peers/exec_subprocess.py");
    let (spawns, bytes) = (args.spawns.to_string(), args.bytes.to_string());
    let mut results = Results::default();
    for run in 1..=args.runs {
        eprintln!("xtask bench --suite exec: run {run} of {}", args.runs);
        results.add(&output(driver(&root).args([&spawns, &bytes]))?)?;
        if python {
            results.add(&output(
                Command::new("python3").arg(&peer).args([&spawns, &bytes]),
            )?)?;
        }
    }
    let table = table(&results, args.bytes);
    println!("\n{table}");
    if args.quick {
        eprintln!("xtask bench --suite exec: --quick, docs/benchmarks-exec.md left as it is");
        return Ok(());
    }
    let md = document(args, &table, &[load_start, super::load_average()]);
    let path = root.join("docs/benchmarks-exec.md");
    fs::write(&path, md).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("xtask bench --suite exec: wrote docs/benchmarks-exec.md");
    Ok(())
}

/// `cargo run --release -p ops-exec --example exec_peer --`: cargo finds
/// the binary (and builds it the first time; the driver times itself).
fn driver(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "ops-exec",
        "--example",
        "exec_peer",
        "--",
    ])
    .current_dir(root);
    cmd
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The results as a markdown table.
fn table(r: &Results, bytes: u64) -> String {
    let fmt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("-".to_owned(), f);
    let us = |s: f64| format!("{:.0} µs", s * 1e6);
    let gbps = |s: f64| format!("{:.2} GB/s", bytes as f64 / s / 1e9);
    let secs = |s: f64| format!("{s:.2} s");
    let ratio = |a: Option<f64>, b: Option<f64>, what: &str| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2} ({what})", a / b),
        _ => "-".to_owned(),
    };
    let mut t = String::from(
        "| case | ops-exec | std::process::Command | python subprocess.run | ops-exec / std | ops-exec / python |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let m = |case: &str, imp: &str| r.median(case, imp);
    t.push_str(&format!(
        "| spawn and wait `true`, output captured (median per run) | {} | {} | {} | {} | {} |\n",
        fmt(m("spawn", "ops-exec"), &us),
        fmt(m("spawn", "std"), &us),
        fmt(m("spawn", "python"), &us),
        ratio(m("spawn", "ops-exec"), m("spawn", "std"), "time"),
        ratio(m("spawn", "ops-exec"), m("spawn", "python"), "time"),
    ));
    t.push_str(&format!(
        "| capture {} of stdout | {} | {} | {} | {} | {} |\n",
        super::human_size(bytes),
        fmt(m("capture", "ops-exec"), &gbps),
        fmt(m("capture", "std"), &gbps),
        fmt(m("capture", "python"), &gbps),
        ratio(m("capture", "std"), m("capture", "ops-exec"), "throughput"),
        ratio(
            m("capture", "python"),
            m("capture", "ops-exec"),
            "throughput"
        ),
    ));
    t.push_str(&format!(
        "| CPU time of the reading process for that capture | {} | {} | {} | {} | {} |\n",
        fmt(m("capture_cpu", "ops-exec"), &secs),
        fmt(m("capture_cpu", "std"), &secs),
        fmt(m("capture_cpu", "python"), &secs),
        ratio(
            m("capture_cpu", "ops-exec"),
            m("capture_cpu", "std"),
            "time"
        ),
        ratio(
            m("capture_cpu", "ops-exec"),
            m("capture_cpu", "python"),
            "time"
        ),
    ));
    for (case, title) in [
        (
            "timeout",
            "timeout 0.5 s on `sh -c 'sleep 30 & sleep 30'`: returned after",
        ),
        (
            "grandchild",
            "`sh -c 'sleep 5 & echo $!'` (grandchild holds stdout): returned after",
        ),
    ] {
        t.push_str(&format!(
            "| {title} | {} ({}) | - | {} ({}) | - | - |\n",
            fmt(m(case, "ops-exec"), &secs),
            r.note(case, "ops-exec"),
            fmt(m(case, "python"), &secs),
            r.note(case, "python"),
        ));
    }
    t
}

fn document(args: &Args, table: &str, load: &[String; 2]) -> String {
    let date = super::version("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let mut invocation = String::from("cargo xtask bench --suite exec");
    if args.spawns != 1000 {
        invocation.push_str(&format!(" --spawns {}", args.spawns));
    }
    if args.bytes != 1 << 30 {
        invocation.push_str(&format!(" --bytes {}", super::human_size(args.bytes)));
    }
    if args.runs != 3 {
        invocation.push_str(&format!(" --runs {}", args.runs));
    }
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "# Benchmarks: ops-exec\n\n\
         Written by `{invocation}` on {date}; rerun it to refresh this page.\n\n\
         ## Machine\n\n\
         - CPU: {cpu} ({cores} cores available)\n\
         - Kernel: Linux {kernel}\n\
         - Load average (1, 5, 15 min) at the start / end: {l0} / {l1} (other \
         processes shared the cores: absolute times are inflated, the ratios of \
         interleaved runs are the figures to read)\n\
         - {python}\n\n\
         ## Method\n\n\
         The Rust cases run in `crates/ops-exec/examples/exec_peer.rs` (release), \
         the Python ones in `benches/peers/exec_subprocess.py`, the way a platform \
         script calls `subprocess.run(..., capture_output=True)`. Each driver runs \
         {runs} times, alternately, and each figure is the median of its runs; the \
         spawn figure is itself the median of {spawns} runs, ops-exec and std \
         interleaved one by one. ops-exec keeps at most 16 MiB of a stream (the \
         first 15 MiB and the last 1 MiB), std reads into a 64 KiB buffer and drops the bytes, Python keeps all of it in memory. \
         Criterion benches of the same spawn and capture paths: `cargo bench -p ops-exec`.\n\n\
         ## Results\n\n{table}\n\
         Python's `subprocess.run(timeout=...)` kills only the shell: the \
         background `sleep` outlives the call, and without a timeout a grandchild \
         that holds stdout keeps `run` waiting for as long as it lives. ops-exec \
         ends the process group on timeout and stops waiting for a stray pipe \
         holder after its wait delay (0.5 s here).\n",
        cpu = super::proc_field("/proc/cpuinfo", "model name"),
        cores = std::thread::available_parallelism().map_or(0, |n| n.get()),
        kernel = kernel.trim(),
        l0 = load[0],
        l1 = load[1],
        python = super::version("python3", &["--version"]),
        runs = args.runs,
        spawns = args.spawns,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_lines_give_medians() {
        let mut r = Results::default();
        r.add("spawn\tstd\t0.0005\tn\nspawn\tops-exec\t0.0006\tn\n")
            .unwrap();
        r.add("spawn\tstd\t0.0007\tn\n").unwrap();
        r.add("spawn\tstd\t0.0001\tn\n").unwrap();
        assert_eq!(r.median("spawn", "std"), Some(0.0005));
        assert_eq!(r.median("capture", "std"), None);
        assert!(r.add("too\tfew\n").is_err());
        let t = table(&r, 1 << 30);
        assert!(t.contains("| 600 µs | 500 µs | - | 1.20 (time) |"), "{t}");
    }
}
