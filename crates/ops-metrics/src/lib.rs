//! Prometheus metrics for Linux hosts and for opskit's crates, and the SLO
//! arithmetic that goes with them.
//!
//! - [`SystemCollector`] reads /proc and statvfs and exposes node_exporter's
//!   families under node_exporter's names, labels and base units
//!   (`node_cpu_seconds_total{cpu,mode}`, `node_memory_MemAvailable_bytes`,
//!   `node_load1`, `node_filesystem_avail_bytes{device,fstype,mountpoint}`,
//!   `node_network_receive_bytes_total{device}`, `node_boot_time_seconds`,
//!   ...), so existing dashboards and alerts work unchanged. CPU counters
//!   never go backwards.
//! - [`ProcessCollector`] exposes the `process_*` families (CPU, memory,
//!   file descriptors, start time) that client_golang has and
//!   prometheus-client does not.
//! - Both are prometheus-client [`Collector`](prometheus_client::collector::Collector)s:
//!   register them with a [`Registry`](prometheus_client::registry::Registry)
//!   next to your own metrics. `refresh()` reads the files; encoding writes
//!   the last reading, so collection can follow each scrape or an interval.
//! - [`encode`] writes a registry as OpenMetrics or as the classic text
//!   format 0.0.4 ([`Format`]), and [`Format::from_accept`] picks one from
//!   a request's `Accept` header.
//! - The parsers ([`parse_proc_stat`], [`parse_meminfo`], ...) take any
//!   reader, so they run on fixtures as on the live /proc.
//! - [`Exporter`] (feature `exporter`) serves `/metrics` and `/healthz`
//!   over HTTP, collecting on each scrape or on an interval
//!   ([`Collection`]), and shuts down gracefully; the `sysexporter` binary
//!   is a thin command line over it.
//! - Metric sets for the other crates, each behind a feature:
//!   `LogScanMetrics`; `RetryMetrics` and `BreakerMetrics`, whose
//!   `listener(name)` is an ops-resilience listener for one policy or
//!   breaker; `CommandMetrics`, an ops-exec command listener.
//! - SLO math: [`Objective`] turns a target into allowed downtime, error
//!   budget remaining, burn rate and time to exhaustion; [`SloSpec`] reads
//!   an SLO spec file and generates the SRE workbook's multi-window,
//!   multi-burn-rate recording and alerting rules ([`WORKBOOK_ALERTS`]).
//!
//! # Example
//!
//! ```
//! use ops_metrics::{Format, ProcessCollector, SystemCollector, encode};
//! use prometheus_client::registry::Registry;
//! use std::sync::Arc;
//!
//! let system = Arc::new(SystemCollector::new());
//! let process = Arc::new(ProcessCollector::new());
//! let mut registry = Registry::default();
//! registry.register_collector(Box::new(Arc::clone(&system)));
//! registry.register_collector(Box::new(Arc::clone(&process)));
//!
//! // Read /proc (on each scrape, or every few seconds).
//! let errors = system.refresh();
//! assert!(errors.is_empty());
//! process.refresh()?;
//!
//! let mut text = String::new();
//! encode(&mut text, &registry, Format::Text004)?;
//! assert!(text.contains("# TYPE node_cpu_seconds_total counter"));
//! assert!(text.contains("node_memory_MemAvailable_bytes "));
//! assert!(text.contains("process_resident_memory_bytes "));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `exporter` (default): [`Exporter`], the HTTP server (tokio and
//!   hyper, HTTP/1.1) that serves `/metrics` with content negotiation and
//!   `/healthz`, collecting on each scrape or on an interval.
//! - `logscan`: `LogScanMetrics`, lines, bytes, malformed and oversized
//!   lines of ops-logscan scans.
//! - `resilience`: `RetryMetrics` (attempts by outcome, backoff waits) and
//!   `BreakerMetrics` (state, calls by result, transitions), fed by the
//!   listeners `RetryMetrics::listener(operation)` and
//!   `BreakerMetrics::listener(breaker)` that an ops-resilience
//!   `RetryPolicy` or `CircuitBreaker` takes
//!   (`.listener(retries.listener("fetch"))`). Depends on ops-resilience's
//!   core.
//! - `exec`: `CommandMetrics` (commands by outcome, durations), an ops-exec
//!   `CommandListener` (`cmd.listener(commands.clone())`). Depends on
//!   ops-exec without its features.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Bad input is an `Err`, never a panic; tests may unwrap.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub use crate::duration::parse_duration;
pub use crate::encode::{Format, encode};
pub use crate::error::{Error, SloError};
#[cfg(feature = "exporter")]
pub use crate::exporter::{Collection, Exporter, ExporterBuilder};
pub use crate::filesystem::{FsStat, FsUsage, MountFilter, Statvfs};
#[cfg(feature = "exec")]
pub use crate::instrument::exec::{CommandMetrics, CommandOutcome};
#[cfg(feature = "logscan")]
pub use crate::instrument::logscan::LogScanMetrics;
#[cfg(feature = "resilience")]
pub use crate::instrument::resilience::{
    AttemptOutcome, BreakerMetrics, BreakerMetricsListener, CallResult, RetryMetrics,
    RetryMetricsListener,
};
pub use crate::process::{Pid, ProcessCollector, ProcessCollectorBuilder, ProcessSnapshot};
pub use crate::procfs::{
    CpuTicks, Limit, LoadAvg, MAX_FILE_BYTES, MemField, MemUnit, Mount, NetDev, PidStat, ProcStat,
    RECEIVE_COLUMNS, TRANSMIT_COLUMNS, parse_loadavg, parse_max_open_files, parse_meminfo,
    parse_mounts, parse_net_dev, parse_pid_stat, parse_proc_stat,
};
pub use crate::slo::rules::{Slo, SloSpec, WINDOW_PLACEHOLDER};
pub use crate::slo::{BurnRateAlert, Objective, Severity, WORKBOOK_ALERTS};
pub use crate::system::{
    Filesystem, Subsystem, SystemCollector, SystemCollectorBuilder, SystemSnapshot,
};

mod duration;
mod encode;
mod error;
#[cfg(feature = "exporter")]
mod exporter;
mod filesystem;
mod instrument;
mod process;
mod procfs;
mod slo;
mod system;

#[cfg(test)]
mod tests {
    /// Collectors, the exporter and the metric sets are shared across
    /// threads and tasks.
    #[test]
    fn public_types_are_send_and_sync() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::SystemCollector>();
        send_sync::<crate::ProcessCollector>();
        send_sync::<crate::SystemSnapshot>();
        send_sync::<crate::Error>();
        send_sync::<crate::SloError>();
        send_sync::<crate::SloSpec>();
        #[cfg(feature = "exporter")]
        send_sync::<crate::Exporter>();
        #[cfg(feature = "logscan")]
        send_sync::<crate::LogScanMetrics>();
        #[cfg(feature = "resilience")]
        {
            send_sync::<crate::RetryMetrics>();
            send_sync::<crate::BreakerMetrics>();
        }
        #[cfg(feature = "exec")]
        send_sync::<crate::CommandMetrics>();
    }
}
