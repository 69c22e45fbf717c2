//! `cargo xtask bench --suite metrics`: sysexporter against node_exporter,
//! on this machine, in the same run: scrape latency, CPU per scrape, peak
//! RSS.
//!
//! Every exporter runs at once on its own loopback port; the scrapes go
//! round-robin, one to each exporter per round, so that load from other
//! processes falls on all of them alike. An HTTP GET is a few lines over a
//! std `TcpStream`, which keeps xtask's one dependency.

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use super::measure::median;
use super::opts::Opts;
use super::suite::Suite;

const USAGE: &str = "\
usage: cargo xtask bench --suite metrics [--quick] [--scrapes N]

Builds sysexporter in release, starts it and prometheus-node-exporter (as it
ships, and restricted to the collectors sysexporter covers) on loopback
ports, scrapes each N times round-robin (after 10 warm-up scrapes), and
prints scrape latency (median, p90, p99), exporter CPU time per scrape,
peak RSS (VmHWM) and the size of the answer; without --quick also rewrites
docs/benchmarks-metrics.md.

  --scrapes N   timed scrapes per exporter (default 500; 30 with --quick)
  --quick       few scrapes, docs untouched (the harness check)
  -h, --help    show this help

Exit status: 0 when every exporter answered every scrape, 1 otherwise, 2 on
a usage error. A missing node_exporter is reported and its rows skipped.
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Args {
    scrapes: usize,
    quick: bool,
}

fn parse(args: Vec<OsString>) -> Result<Option<Args>, String> {
    let mut quick = false;
    let mut scrapes = None;
    let mut opts = Opts::new(args);
    while let Some(name) = opts.next_name()? {
        match name {
            "-h" | "--help" => return Ok(None),
            "--quick" => quick = true,
            "--scrapes" => scrapes = Some(opts.number(1..=100_000)? as usize),
            _ => return Err(opts.unknown()),
        }
    }
    Ok(Some(Args {
        scrapes: scrapes.unwrap_or(if quick { 30 } else { 500 }),
        quick,
    }))
}

/// Entry point from `bench::run`.
pub(crate) fn run(args: Vec<OsString>) -> ExitCode {
    Suite::Metrics.main(USAGE, parse(args), |a| execute(a).map(|()| true))
}

/// The collectors of node_exporter that sysexporter's families come from.
const MATCHING_COLLECTORS: [&str; 6] =
    ["cpu", "meminfo", "loadavg", "filesystem", "netdev", "stat"];

const NODE_EXPORTER: &str = "prometheus-node-exporter";

const UPSTREAM_DEFAULTS: [&str; 2] = [
    "--collector.filesystem.mount-points-exclude=^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)",
    "--collector.netdev.device-exclude=",
];

/// One exporter under test.
struct Subject {
    name: String,
    command: String,
    child: Child,
    addr: SocketAddr,
    latencies: Vec<f64>,
    failures: usize,
    bytes: usize,
    samples: usize,
    cpu_ticks_before: u64,
}

impl Drop for Subject {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the report shows for one exporter.
struct Row {
    name: String,
    command: String,
    median_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    cpu_ms_per_scrape: f64,
    peak_rss_kib: u64,
    bytes: usize,
    samples: usize,
}

fn execute(args: Args) -> Result<(), String> {
    let root = crate::ci::workspace_root();
    let bin = super::build_release(&root, "sysexporter")?;
    let load_at_start = super::load_average();
    let bin_s = bin.to_string_lossy().into_owned();
    let mut specs: Vec<(String, Vec<String>)> = vec![
        ("sysexporter".to_owned(), vec![bin_s.clone()]),
        (
            "sysexporter --interval 5s".to_owned(),
            vec![bin_s.clone(), "--interval".to_owned(), "5s".to_owned()],
        ),
    ];
    if super::installed(NODE_EXPORTER) {
        specs.push((
            "node_exporter (defaults)".to_owned(),
            vec![NODE_EXPORTER.to_owned()],
        ));
        let mut matching = vec![
            NODE_EXPORTER.to_owned(),
            "--collector.disable-defaults".to_owned(),
        ];
        matching.extend(
            MATCHING_COLLECTORS
                .iter()
                .map(|c| format!("--collector.{c}")),
        );
        // Upstream's defaults where Debian's package changes them (it also
        // leaves out /run, /mnt, /media and lo), so both expose the same
        // series.
        matching.extend(UPSTREAM_DEFAULTS.iter().map(|s| (*s).to_owned()));
        specs.push(("node_exporter (same collectors)".to_owned(), matching));
    } else {
        eprintln!("xtask bench: {NODE_EXPORTER} is not installed; its rows are skipped");
    }
    let mut subjects = Vec::new();
    for (name, argv) in specs {
        subjects.push(start(&name, &argv)?);
    }
    eprintln!(
        "xtask bench: {} exporters, 10 warm-up and {} timed scrapes each",
        subjects.len(),
        args.scrapes
    );
    for _ in 0..10 {
        for s in &mut subjects {
            scrape(s.addr).map_err(|e| format!("{}: warm-up scrape: {e}", s.name))?;
        }
    }
    for s in &mut subjects {
        s.cpu_ticks_before = cpu_ticks(s.child.id())?;
    }
    for _ in 0..args.scrapes {
        for s in &mut subjects {
            let started = Instant::now();
            match scrape(s.addr) {
                Ok(body) => {
                    s.latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                    s.bytes = body.len();
                    s.samples = body
                        .lines()
                        .filter(|l| !l.starts_with('#') && !l.is_empty())
                        .count();
                }
                Err(e) => {
                    eprintln!("xtask bench: {}: {e}", s.name);
                    s.failures += 1;
                }
            }
        }
    }
    let ticks_per_s = 100.0; // USER_HZ on Linux
    let mut rows = Vec::new();
    for s in &subjects {
        if s.failures > 0 {
            return Err(format!("{}: {} scrapes failed", s.name, s.failures));
        }
        let ticks = cpu_ticks(s.child.id())?.saturating_sub(s.cpu_ticks_before);
        rows.push(Row {
            name: s.name.clone(),
            command: s.command.clone(),
            median_ms: median(&s.latencies).unwrap_or(0.0),
            p90_ms: percentile(&s.latencies, 0.90),
            p99_ms: percentile(&s.latencies, 0.99),
            cpu_ms_per_scrape: ticks as f64 / ticks_per_s * 1000.0 / args.scrapes as f64,
            peak_rss_kib: status_kib(s.child.id(), "VmHWM:")?,
            bytes: s.bytes,
            samples: s.samples,
        });
    }
    drop(subjects);
    let load = [load_at_start, super::load_average()];
    let table = table(&rows);
    println!("\n{table}");
    let verdict = verdict(&rows);
    for line in &verdict {
        println!("{line}");
    }
    if args.quick {
        eprintln!("\nxtask bench: --quick, docs/benchmarks-metrics.md left as it is");
    } else {
        write_docs(&root, &args, &rows, &verdict, &load, &bin)?;
        eprintln!("\nxtask bench: wrote docs/benchmarks-metrics.md");
    }
    Ok(())
}

/// Starts `argv` listening on a free loopback port and waits until it
/// answers a scrape (30 s at most).
fn start(name: &str, argv: &[String]) -> Result<Subject, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listen = if argv[0] == NODE_EXPORTER {
        format!("--web.listen-address={addr}")
    } else {
        format!("--listen={addr}")
    };
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .arg(&listen)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", argv[0]))?;
    let program = Path::new(&argv[0])
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut shown: Vec<String> = vec![program];
    shown.extend(argv[1..].iter().cloned());
    // The port changes from run to run; the page shows the option.
    shown.push(listen.replace(&port.to_string(), "PORT"));
    let subject = Subject {
        name: name.to_owned(),
        command: shown.join(" "),
        child,
        addr,
        latencies: Vec::new(),
        failures: 0,
        bytes: 0,
        samples: 0,
        cpu_ticks_before: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match scrape(addr) {
            Ok(_) => return Ok(subject),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("{name} did not answer on {addr} within 30 s: {e}"));
            }
            // Not listening yet: poll again.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// One scrape as Prometheus 2.x asks for it (OpenMetrics preferred,
/// without compression so that neither side spends time on gzip); the
/// body.
fn scrape(addr: SocketAddr) -> Result<String, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: xtask-bench\r\n\
         Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\
         Connection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::with_capacity(256 << 10);
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| "no end of headers".to_owned())?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("answer `{}`", head.lines().next().unwrap_or("")));
    }
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    if !body.contains("node_cpu_seconds_total") {
        return Err("no node_cpu_seconds_total in the answer".to_owned());
    }
    Ok(body)
}

fn dechunk(mut raw: &str) -> Result<String, String> {
    let mut body = String::new();
    loop {
        let (size, rest) = raw
            .split_once("\r\n")
            .ok_or_else(|| "truncated chunk".to_owned())?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size `{size}`"))?;
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| "truncated chunk".to_owned())?;
        body.push_str(chunk);
        raw = rest
            .get(size + 2..)
            .ok_or_else(|| "truncated chunk".to_owned())?;
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/stat");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
    match (field(11), field(12)) {
        (Some(u), Some(s)) => Ok(u + s),
        _ => Err(format!("unexpected {path}")),
    }
}

/// A `Key:   N kB` line of /proc/PID/status, in KiB.
fn status_kib(pid: u32, key: &str) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {key} in {path}"))
}

/// The value at quantile `q` (nearest rank) of `values`.
fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn table(rows: &[Row]) -> String {
    let base = rows.first();
    let mut out = String::from(
        "| exporter | median ms | p90 ms | p99 ms | CPU ms / scrape | peak RSS MiB | samples | bytes | latency vs sysexporter | RSS vs sysexporter |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let (lat, rss) = match base {
            Some(b) if b.median_ms > 0.0 && b.peak_rss_kib > 0 => (
                format!("{:.1}x", r.median_ms / b.median_ms),
                format!("{:.1}x", r.peak_rss_kib as f64 / b.peak_rss_kib as f64),
            ),
            _ => ("-".to_owned(), "-".to_owned()),
        };
        out.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1} | {} | {} | {lat} | {rss} |\n",
            r.name,
            r.median_ms,
            r.p90_ms,
            r.p99_ms,
            r.cpu_ms_per_scrape,
            r.peak_rss_kib as f64 / 1024.0,
            r.samples,
            r.bytes,
        ));
    }
    out
}

/// The targets, checked: faster scrapes than node_exporter and at
/// most half its peak RSS, against both node_exporter rows.
fn verdict(rows: &[Row]) -> Vec<String> {
    let Some(ours) = rows.first() else {
        return Vec::new();
    };
    rows.iter()
        .filter(|r| r.name.starts_with("node_exporter"))
        .map(|ne| {
            let faster = ours.median_ms < ne.median_ms;
            let half = ours.peak_rss_kib * 2 <= ne.peak_rss_kib;
            format!(
                "- against {}: median scrape {:.2}x as fast ({}), peak RSS {:.1}% of it ({}).",
                ne.name,
                ne.median_ms / ours.median_ms.max(1e-9),
                if faster {
                    "target met"
                } else {
                    "target missed"
                },
                100.0 * ours.peak_rss_kib as f64 / ne.peak_rss_kib.max(1) as f64,
                if half {
                    "target of at most 50% met"
                } else {
                    "target of at most 50% missed"
                },
            )
        })
        .collect()
}

fn write_docs(
    root: &Path,
    args: &Args,
    rows: &[Row],
    verdict: &[String],
    load: &[String; 2],
    bin: &Path,
) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = super::version("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let mut md = String::from("# Benchmarks: sysexporter and node_exporter\n\n");
    let invocation = if args.scrapes == 500 {
        "cargo xtask bench --suite metrics".to_owned()
    } else {
        format!(
            "cargo xtask bench --suite metrics --scrapes {}",
            args.scrapes
        )
    };
    md.push_str(&format!(
        "Written by `{invocation}` on {date}; rerun it to refresh this page.\n\n"
    ));
    md.push_str("## Machine\n\n");
    md.push_str(&format!(
        "- CPU: {} ({cores} cores available)\n",
        super::proc_field("/proc/cpuinfo", "model name")
    ));
    md.push_str(&format!(
        "- Kernel: Linux {}\n",
        fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    ));
    md.push_str(&format!(
        "- Load average (1, 5, 15 min) at the start / end: {} / {}\n",
        load[0], load[1]
    ));
    md.push_str(&format!(
        "- sysexporter: {}\n- node_exporter: {}\n",
        super::version(&bin.to_string_lossy(), &["--version"]),
        super::version(NODE_EXPORTER, &["--version"])
    ));
    md.push_str(&format!("\n## Results ({} scrapes each)\n\n", args.scrapes));
    md.push_str(&table(rows));
    md.push('\n');
    for line in verdict {
        md.push_str(line);
        md.push('\n');
    }
    md.push_str("\n## Commands\n\n");
    for r in rows {
        md.push_str(&format!("- {}: `{}`\n", r.name, r.command));
    }
    md.push_str(METHOD);
    let path = root.join("docs").join("benchmarks-metrics.md");
    fs::write(&path, md).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

const METHOD: &str = "
## Method

- All four exporters run at the same time, each on its own port of
  127.0.0.1; after 10 warm-up scrapes each, the timed scrapes go
  round-robin (one to each exporter per round), so that other load on the
  machine falls on every exporter alike.
- A scrape is a new TCP connection, `GET /metrics` with the `Accept`
  header Prometheus 2.x sends (OpenMetrics preferred) and no
  `Accept-Encoding` (so neither side compresses), read to the end. Latency
  is from connect to the last byte, as the client sees it.
- CPU ms / scrape: the exporter's utime + stime over the timed scrapes
  (from /proc/PID/stat), divided by their number: the steadier figure on a
  shared machine. Peak RSS: the exporter's VmHWM after the scrapes.
- sysexporter collects on every scrape by default; with `--interval 5s` it
  serves the last reading (collected in the background every 5 s), so a
  scrape costs only the encoding.
- node_exporter (defaults) is the Debian package as it ships: its default
  collectors (about 40; many read /sys) and the Go runtime metrics. \"Same
  collectors\" is `--collector.disable-defaults` with `--collector.cpu
  --collector.meminfo --collector.loadavg --collector.filesystem
  --collector.netdev --collector.stat`, the families sysexporter exposes
  (plus its Go and process metrics), and with upstream's default mount
  point and interface exclusions, which Debian's package widens
  (`--collector.filesystem.mount-points-exclude` as upstream,
  `--collector.netdev.device-exclude=`), so that both report the same
  series (`crates/sysexporter/tests/node_exporter_compat.rs` checks that
  they do). The `samples` column shows the size of each answer.
- Ratios divide each row's figure by sysexporter's (collecting on scrape).
";

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn options() {
        assert_eq!(
            parse(args(&["--quick"])),
            Ok(Some(Args {
                scrapes: 30,
                quick: true
            }))
        );
        assert_eq!(
            parse(args(&["--scrapes", "7"])),
            Ok(Some(Args {
                scrapes: 7,
                quick: false
            }))
        );
        assert!(parse(args(&["--scrapes", "0"])).is_err());
        assert!(parse(args(&["--size", "1GiB"])).is_err());
        assert_eq!(parse(args(&["-h"])), Ok(None));
    }

    #[test]
    fn percentiles_and_chunks() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.90), 90.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(
            dechunk("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
            Ok("abcde".to_owned())
        );
        assert!(dechunk("5\r\nab").is_err());
    }
}
