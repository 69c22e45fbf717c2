//! `sysexporter`: a Prometheus exporter of the host's CPU, memory, load,
//! filesystems and network, under node_exporter's names.
//!
//! A thin command line over `ops-metrics`: it parses options, builds an
//! `Exporter` with the system and process collectors, and serves until
//! SIGTERM or SIGINT. Logs go to stderr.

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ops_cli::LogArgs;
use ops_metrics::{Collection, Exporter, ProcessCollector, SystemCollector};
use tokio::signal::unix::{SignalKind, signal};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(name = "sysexporter", version, about, max_term_width = 100)]
/// Prometheus exporter of CPU, memory, load, filesystem and network
/// metrics, with node_exporter's names.
///
/// Serves /metrics (OpenMetrics when the scraper asks for it, text format
/// 0.0.4 otherwise) and /healthz. Stops on SIGTERM or SIGINT after
/// in-flight scrapes finish. Exit code 0 after a clean stop, 2 on errors
/// (bad option, address in use).
struct Cli {
    #[command(flatten)]
    log: LogArgs,
    /// Address to listen on (port 0: any free port, logged at info level).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// Collect every DURATION (5s, 500ms, 1m) and serve the last reading;
    /// without it, every scrape collects.
    #[arg(long, value_name = "DURATION", value_parser = ops_metrics::parse_duration)]
    interval: Option<Duration>,
    /// Where /proc is: the host's /proc mounted into a container, say.
    #[arg(long, value_name = "DIR", default_value = "/proc")]
    procfs: PathBuf,
    /// Where the host's root filesystem is mounted, for statvfs of its
    /// mount points (in a container: the host's / at /host).
    #[arg(long, value_name = "DIR", default_value = "/")]
    rootfs: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ops_cli::run("sysexporter", || {
        cli.log.init()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(serve(&cli))?;
        Ok(ExitCode::SUCCESS)
    })
}

async fn serve(cli: &Cli) -> Result<(), BoxError> {
    let exporter = Exporter::builder()
        .system(
            SystemCollector::builder()
                .procfs(&cli.procfs)
                .rootfs(&cli.rootfs)
                .build()?,
        )
        .process(ProcessCollector::builder().procfs(&cli.procfs).build()?)
        .collection(
            cli.interval
                .map_or(Collection::OnScrape, Collection::Interval),
        )
        .build()?;
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
    let address = listener.local_addr()?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tracing::info!(%address, "listening");
    exporter
        .serve(listener, async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "stopping");
        })
        .await;
    tracing::info!("stopped");
    Ok(())
}
