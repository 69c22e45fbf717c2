//! `fleet`: one command on every host of an inventory, over ssh, in
//! parallel.
//!
//! A thin command line over the `fleet` library (inventory, ssh command
//! lines, bounded fan-out) and `ops-exec` (each ssh run, with a timeout).
//! Each host's output is printed under its name, then a table of outcomes;
//! unreachable hosts are listed there, and never stop the others.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use fleet::{HostOutcome, SshOptions, Verdict};
use ops_cli::{Align, LogArgs, Table};

#[derive(Debug, Parser)]
#[command(name = "fleet", version, about, max_term_width = 100)]
/// Runs a command on many hosts over ssh, in parallel.
///
/// The system ssh client connects (BatchMode=yes: keys and agent only, no
/// prompts). Exit code 0 when the command succeeded everywhere, 1 when a
/// host failed or was unreachable, 2 on errors (a bad inventory).
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// The inventory: `[user@]host[:port]` per line, `[group]` headers.
    #[arg(long, short = 'H', value_name = "FILE", default_value = "inventory")]
    inventory: PathBuf,
    /// Only the hosts of this group.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Hosts worked on at once.
    #[arg(long, short = 'p', value_name = "N", default_value_t = 16)]
    concurrency: usize,
    /// Seconds to connect (ssh ConnectTimeout).
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    connect_timeout: u64,
    /// Seconds the whole run on one host may take.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout: u64,
    /// An ssh option, as `ssh -o` takes it (repeatable).
    #[arg(short = 'o', value_name = "OPTION")]
    ssh_option: Vec<String>,
    /// The identity (private key) file, as `ssh -i`.
    #[arg(short = 'i', value_name = "FILE")]
    identity: Option<PathBuf>,
    /// The ssh config file, as `ssh -F`.
    #[arg(short = 'F', value_name = "FILE")]
    ssh_config: Option<PathBuf>,
    /// Print one JSON array of outcomes.
    #[arg(long)]
    json: bool,
    /// The command and its arguments, after `--`; each word arrives as one
    /// word (for a shell line: `-- sh -c 'LINE'`).
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("fleet", || {
        cli.log.init()?;
        let text = std::fs::read_to_string(&cli.inventory)
            .map_err(|e| format!("cannot read {}: {e}", cli.inventory.display()))?;
        let mut hosts = fleet::parse_inventory(&text)
            .map_err(|e| format!("{}: {e}", cli.inventory.display()))?;
        if let Some(g) = &cli.group {
            hosts.retain(|h| h.group.as_ref() == Some(g));
        }
        if hosts.is_empty() {
            return Err(format!("no hosts in {}", cli.inventory.display()).into());
        }
        let mut opts = ssh_options(&cli);
        // The ssh processes have process groups of their own: Ctrl-C ends
        // them through this handle, not by itself.
        opts.cancel = Some(ops_exec::Cancel::on_signals()?);
        let outcomes = fleet::run_on_hosts(&hosts, &cli.command, &opts, cli.concurrency);
        if cli.json {
            println!("{}", serde_json::to_string_pretty(&outcomes)?);
        } else {
            report(&outcomes);
        }
        let all_ok = outcomes.iter().all(|o| o.verdict == Verdict::Ok);
        Ok(if all_ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

fn ssh_options(cli: &Cli) -> SshOptions {
    let mut opts = SshOptions::default();
    opts.connect_timeout = Duration::from_secs(cli.connect_timeout);
    opts.timeout = Duration::from_secs(cli.timeout);
    if let Some(f) = &cli.ssh_config {
        opts.extra_args.extend(["-F".into(), f.into()]);
    }
    if let Some(i) = &cli.identity {
        opts.extra_args.extend(["-i".into(), i.into()]);
    }
    for o in &cli.ssh_option {
        opts.extra_args.extend(["-o".into(), o.into()]);
    }
    opts
}

/// Each host's output under its name, then the table of outcomes.
fn report(outcomes: &[HostOutcome]) {
    for o in outcomes.iter().filter(|o| o.stdout.total_len() > 0) {
        println!("== {}", o.host);
        print!("{}", o.stdout.text());
        if !o.stdout.text().ends_with('\n') {
            println!();
        }
    }
    let mut t = Table::new(&[
        ("host", Align::Left),
        ("outcome", Align::Left),
        ("seconds", Align::Right),
        ("detail", Align::Left),
    ]);
    for o in outcomes {
        let (word, detail) = match &o.verdict {
            Verdict::Ok => ("ok".to_owned(), String::new()),
            Verdict::Failed { code } => (format!("exit {code}"), first_line(&o.stderr.text())),
            Verdict::Unreachable { reason } => ("unreachable".to_owned(), reason.clone()),
            Verdict::TimedOut => ("timed out".to_owned(), String::new()),
            Verdict::Error { reason } => ("error".to_owned(), reason.clone()),
            _ => ("?".to_owned(), String::new()),
        };
        t.row([
            o.host.to_string(),
            word,
            format!("{:.2}", o.duration.as_secs_f64()),
            detail,
        ]);
    }
    print!("{t}");
    let down: Vec<String> = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Unreachable { .. }))
        .map(|o| o.host.to_string())
        .collect();
    if !down.is_empty() {
        println!("unreachable: {}", down.join(", "));
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_owned()
}
