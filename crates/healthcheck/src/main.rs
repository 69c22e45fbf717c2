//! `healthcheck`: checks http(s)://, tcp:// and ssh:// targets
//! concurrently, each attempt with a time limit, retried on transient
//! failures (honouring `Retry-After`) behind a per-host circuit breaker.
//!
//! A composition of `ops-resilience` (retry policy, breakers), reqwest
//! (rustls with ring) and tokio. Results go to stdout; logs to stderr.
//! Exit code 0 when every target is healthy, 1 when one is not, 2 on a
//! usage error.

#![forbid(unsafe_code)]

mod probe;
mod report;
mod targets;

use std::io::{self, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ops_cli::LogArgs;

use crate::probe::Settings;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(name = "healthcheck", version, about, max_term_width = 100)]
/// Checks http(s)://, tcp:// and ssh:// targets concurrently.
///
/// Targets come from arguments and from --file (one a line, # comments).
/// An http(s) target may add status=LIST (default 2xx) and contains=TEXT
/// (the rest of the line): "https://api/health status=200 contains=ok".
/// An ssh:// target passes when the server sends an SSH-2.0 banner.
///
/// Exit code 0 when every target is healthy, 1 when one is not, 2 on a
/// usage error.
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// Targets (each one argument; quote it to add options).
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    /// A file of targets, one a line; `-` for stdin.
    #[arg(short, long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Checks running at once.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// Time limit of each attempt, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    timeout: Duration,
    /// Attempts after the first, on connection errors, timeouts, 5xx, 429
    /// and 408.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=100))]
    retries: u32,
    /// The longest Retry-After honoured, in seconds (longer ones are cut
    /// to it).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    max_retry_after: Duration,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 86400"
        )),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("healthcheck", || {
        cli.log.init()?;
        let targets = read_targets(&cli)?;
        let settings = Settings {
            concurrency: cli.concurrency as usize,
            timeout: cli.timeout,
            retries: cli.retries,
            max_retry_after: cli.max_retry_after,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let outcomes = runtime.block_on(probe::check_all(targets, &settings))?;
        let mut out = io::stdout().lock();
        if cli.json {
            report::json(&mut out, &outcomes)?;
        } else {
            report::table(&mut out, &outcomes)?;
        }
        Ok(if outcomes.iter().all(|o| o.healthy) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

fn read_targets(cli: &Cli) -> Result<Vec<targets::Target>, BoxError> {
    let mut list = Vec::new();
    for (i, arg) in cli.targets.iter().enumerate() {
        let t = targets::parse_target(arg).map_err(|reason| targets::TargetError {
            place: format!("argument {}", i + 1),
            reason,
        })?;
        list.push(t);
    }
    if let Some(path) = &cli.file {
        let (text, name) = if path.as_os_str() == "-" {
            let mut s = String::new();
            io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            (s, "stdin".to_string())
        } else {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            (text, path.display().to_string())
        };
        list.extend(targets::parse_target_list(&text, &name)?);
    }
    if list.is_empty() {
        return Err("no targets: give them as arguments or with --file".into());
    }
    for t in &list {
        if let targets::Check::Http { url, .. } = &t.check {
            reqwest::Url::parse(url).map_err(|e| format!("{}: invalid URL: {e}", t.name))?;
        }
    }
    Ok(list)
}
