//! `disk-usage`: the mounts above a usage threshold, from `df`.
//!
//! Runs `df -P -k` through ops-exec (with a timeout: df hangs on a dead NFS
//! server), parses it with `disk_usage::parse_df`, prints a table or JSON.
//! Exit code 0 when no mount is at or above the threshold, 1 when one is
//! (for cron and monitoring), 2 on errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ops_cli::{Align, LogArgs, Table};

#[derive(Debug, Parser)]
#[command(name = "disk-usage", version, about, max_term_width = 100)]
/// Lists the mounts whose usage is at or above a threshold.
///
/// Exit code 0 when none is, 1 when at least one is, 2 on errors.
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// Percentage used at which a mount is reported.
    #[arg(long, value_name = "PCT", default_value_t = 90, value_parser = clap::value_parser!(u8).range(0..=100))]
    threshold: u8,
    /// Seconds to wait for df.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
    /// Only the filesystems holding these paths (default: all).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("disk-usage", || {
        cli.log.init()?;
        let mounts = disk_usage::run_df(&cli.paths, Duration::from_secs(cli.timeout))?;
        let full = disk_usage::above(&mounts, cli.threshold);
        if cli.json {
            println!("{}", serde_json::to_string_pretty(&full)?);
        } else if full.is_empty() {
            println!(
                "no mount at or above {}% ({} checked)",
                cli.threshold,
                mounts.len()
            );
        } else {
            print!("{}", table(&full));
        }
        Ok(if full.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

fn table(mounts: &[&disk_usage::Mount]) -> Table {
    let mut t = Table::new(&[
        ("mounted on", Align::Left),
        ("filesystem", Align::Left),
        ("size", Align::Right),
        ("available", Align::Right),
        ("use", Align::Right),
    ]);
    let gib = |k: Option<u64>| {
        k.map_or("-".to_owned(), |k| {
            format!("{:.1} GiB", k as f64 / 1048576.0)
        })
    };
    for m in mounts {
        let pct = m.use_percent.map_or("-".to_owned(), |p| format!("{p}%"));
        t.row([
            m.mounted_on.clone(),
            m.filesystem.clone(),
            gib(m.size_kib),
            gib(m.available_kib),
            pct,
        ]);
    }
    t
}
