//! `logscan`: fast analysis of sshd auth logs and web access logs.
//!
//! A thin command line over the `ops-logscan` crate: it parses options,
//! runs a scan and prints the report as aligned tables or one JSON object.
//! Results go to stdout, logs and the progress bar to stderr.

#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use ops_cli::LogArgs;
use ops_cli::progress::Meter;
use ops_logscan::{
    AccessAnalyzer, Aggregate, Analyzer, AuthAnalyzer, AuthFocus, Input, LogFormat, MemoryMap,
    ScannerBuilder, TimeRange, Totals,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(name = "logscan", version, about, max_term_width = 100)]
/// Fast analysis of sshd auth logs and nginx/Apache access logs.
///
/// Reads files (gzip detected by content) or stdin, on all cores; prints
/// tables, or one JSON object with --json. Exit code 0 on success, 2 on
/// errors (bad option, unreadable file).
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// sshd logins: failures by IP and user, invalid users, accepted logins.
    Auth(AuthCmd),
    /// Web access logs: status histogram, top clients, 5xx paths, latency.
    Access(AccessCmd),
    /// Generates sample logs, scans them, and prints results and throughput.
    Demo(DemoCmd),
}

#[derive(Debug, Args)]
struct ScanOpts {
    /// Input files, plain or gzip; stdin when none is given or for `-`.
    #[arg(value_name = "FILE")]
    files: Vec<OsString>,
    /// Entries in each top list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Threads [default: one per core].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Only lines at or after TIME: 2026-11-20, 2026-11-20T10:00,
    /// RFC 3339, or @UNIX_SECONDS (UTC unless an offset is given).
    #[arg(long, value_name = "TIME", value_parser = ops_logscan::parse_time_arg)]
    since: Option<i64>,
    /// Only lines before TIME (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = ops_logscan::parse_time_arg)]
    until: Option<i64>,
    /// Longest line parsed, in bytes; longer lines are counted as oversized.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_line: usize,
    /// Read files into buffers instead of memory-mapping them: for files
    /// that another process may truncate during the scan (logrotate's
    /// copytruncate), which would end a mapped scan with SIGBUS.
    #[arg(long)]
    no_mmap: bool,
}

impl ScanOpts {
    fn range(&self) -> TimeRange {
        TimeRange {
            since: self.since,
            until: self.until,
        }
    }

    fn inputs(&self) -> Vec<Input> {
        if self.files.is_empty() {
            vec![Input::Stdin]
        } else {
            self.files.iter().map(Input::from_arg).collect()
        }
    }
}

#[derive(Debug, Args)]
struct AuthCmd {
    #[command(flatten)]
    scan: ScanOpts,
    /// Print every unique IP with a failed login, one per line, sorted.
    #[arg(long, conflicts_with = "json")]
    ips: bool,
    /// Year of classic syslog timestamps, which have none, for --since and
    /// --until [default: the current year].
    #[arg(long, value_name = "YEAR")]
    year: Option<i32>,
}

#[derive(Debug, Args)]
struct AccessCmd {
    #[command(flatten)]
    scan: ScanOpts,
    /// Log format: combined, common, json, or an nginx log_format string
    /// such as '$remote_addr - $remote_user [$time_local] "$request"
    /// $status $body_bytes_sent $request_time'.
    #[arg(long, value_name = "FORMAT", default_value = "combined", value_parser = LogFormat::parse)]
    format: LogFormat,
}

#[derive(Debug, Args)]
struct DemoCmd {
    /// Size of each generated log (e.g. 64MiB, 1GiB).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = ops_loggen::parse_size)]
    size: u64,
    /// Seed of the generator: the same seed gives the same logs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Threads [default: one per core].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("logscan", || {
        cli.log.init()?;
        match cli.command {
            Command::Auth(cmd) => auth(&cmd),
            Command::Access(cmd) => access(&cmd),
            Command::Demo(cmd) => demo(&cmd),
        }
    })
}

fn auth(cmd: &AuthCmd) -> Result<ExitCode, BoxError> {
    let mut analyzer = AuthAnalyzer::builder().time_range(cmd.scan.range());
    if cmd.ips {
        // Only the failed addresses are printed: count nothing else.
        analyzer = analyzer.focus(AuthFocus::FailedIps);
    }
    if let Some(year) = cmd.year {
        analyzer = analyzer.year(year);
    }
    let analyzer = analyzer.build()?;
    let (stats, elapsed) = scan(&analyzer, &cmd.scan.inputs(), &cmd.scan)?;
    print(|out| {
        if cmd.ips {
            for ip in stats.failed_ips() {
                out.write_all(ip)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        } else if cmd.scan.json {
            serde_json::to_writer(&mut *out, &stats.report(cmd.scan.top))?;
            writeln!(out)
        } else {
            write!(out, "{}", stats.report(cmd.scan.top))?;
            throughput(out, stats.totals(), elapsed)
        }
    })
}

fn access(cmd: &AccessCmd) -> Result<ExitCode, BoxError> {
    let analyzer = AccessAnalyzer::builder()
        .format(cmd.format.clone())
        .time_range(cmd.scan.range())
        .build()?;
    let (stats, elapsed) = scan(&analyzer, &cmd.scan.inputs(), &cmd.scan)?;
    print(|out| {
        if cmd.scan.json {
            serde_json::to_writer(&mut *out, &stats.report(cmd.scan.top))?;
            writeln!(out)
        } else {
            write!(out, "{}", stats.report(cmd.scan.top))?;
            throughput(out, stats.totals(), elapsed)
        }
    })
}

fn demo(cmd: &DemoCmd) -> Result<ExitCode, BoxError> {
    let dir = tempfile::tempdir()?;
    let opts = ScanOpts {
        files: Vec::new(),
        top: 5,
        json: false,
        threads: cmd.threads,
        since: None,
        until: None,
        max_line: 1 << 20,
        no_mmap: false,
    };
    let auth_log = generate(ops_loggen::Kind::Auth, cmd, dir.path())?;
    let access_log = generate(ops_loggen::Kind::Access, cmd, dir.path())?;
    let out = &mut io::stdout().lock();

    let (stats, elapsed) = scan(&AuthAnalyzer::new(), &[Input::from(&auth_log)], &opts)?;
    writeln!(out, "== logscan auth {} ==\n", auth_log.display())?;
    write!(out, "{}", stats.report(opts.top))?;
    throughput(out, stats.totals(), elapsed)?;

    let analyzer = AccessAnalyzer::new(LogFormat::Combined);
    let (stats, elapsed) = scan(&analyzer, &[Input::from(&access_log)], &opts)?;
    writeln!(out, "\n== logscan access {} ==\n", access_log.display())?;
    write!(out, "{}", stats.report(opts.top))?;
    throughput(out, stats.totals(), elapsed)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a sample log of `kind` into `dir`; returns its path.
fn generate(kind: ops_loggen::Kind, cmd: &DemoCmd, dir: &Path) -> Result<PathBuf, BoxError> {
    let path = dir.join(format!("{kind}.log"));
    let options = ops_loggen::GenOptions::builder(kind)
        .size_bytes(cmd.size)
        .seed(cmd.seed)
        .build()?;
    let started = Instant::now();
    let file = io::BufWriter::new(std::fs::File::create(&path)?);
    let summary = ops_loggen::generate(&options, file)?;
    eprintln!(
        "generated {} ({}, {} lines, seed {}) in {:.2} s",
        path.display(),
        human_bytes(summary.bytes),
        summary.lines,
        cmd.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

fn scan<A: Analyzer>(
    analyzer: &A,
    inputs: &[Input],
    opts: &ScanOpts,
) -> Result<(A::Stats, Duration), BoxError> {
    let mut builder = ScannerBuilder::new().max_line(opts.max_line);
    if opts.no_mmap {
        builder = builder.memory_map(MemoryMap::Never);
    }
    if let Some(n) = opts.threads {
        builder = builder.threads(n);
    }
    let scanner = builder.build()?;
    let total = inputs.iter().map(Input::size_hint).sum::<Option<u64>>();
    let progress = scanner.progress();
    let _meter = Meter::start(total, 256 << 20, move || progress.bytes());
    let started = Instant::now();
    let stats = scanner.scan(analyzer, inputs)?;
    let elapsed = started.elapsed();
    let totals = stats.totals();
    tracing::info!(
        bytes = totals.bytes,
        lines = totals.lines,
        seconds = elapsed.as_secs_f64(),
        "scan finished"
    );
    Ok((stats, elapsed))
}

/// Writes to stdout; a closed pipe (`logscan ... | head`) ends output
/// quietly rather than as an error.
fn print(
    f: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'_>>) -> io::Result<()>,
) -> Result<ExitCode, BoxError> {
    // Stdout is line-buffered: `auth --ips` would make a write per address.
    let mut out = io::BufWriter::new(io::stdout().lock());
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn throughput(out: &mut impl Write, totals: &Totals, elapsed: Duration) -> io::Result<()> {
    let secs = elapsed.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "\nscanned {} ({} lines) in {:.3} s: {:.2} GB/s",
        human_bytes(totals.bytes),
        totals.lines,
        secs,
        totals.bytes as f64 / secs / 1e9
    )
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}
