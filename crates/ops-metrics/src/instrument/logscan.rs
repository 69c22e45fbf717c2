//! Metrics of ops-logscan scans.

use ops_logscan::{AccessStats, Aggregate, AuthStats, Totals};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LogLabel {
    log: String,
}

/// Lines, bytes, malformed and oversized lines of ops-logscan scans, by
/// log kind (`log="auth"`, `log="access"`, or a name of yours):
/// `logscan_scans_total`, `logscan_lines_total`, `logscan_bytes_total`,
/// `logscan_malformed_lines_total`, `logscan_oversized_lines_total`.
///
/// ```
/// use ops_logscan::{AccessAnalyzer, LogFormat, Scanner};
/// use ops_metrics::{Format, LogScanMetrics, encode};
/// use prometheus_client::registry::Registry;
///
/// let metrics = LogScanMetrics::default();
/// let mut registry = Registry::default();
/// metrics.register(&mut registry);
///
/// let log = b"198.51.100.4 - - [20/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"curl/8.5\"\nnot a log line\n";
/// let stats = Scanner::new().scan_bytes(&AccessAnalyzer::new(LogFormat::Combined), log);
/// metrics.record_access(&stats);
///
/// let mut text = String::new();
/// encode(&mut text, &registry, Format::Text004)?;
/// assert!(text.contains("logscan_lines_total{log=\"access\"} 2\n"));
/// assert!(text.contains("logscan_malformed_lines_total{log=\"access\"} 1\n"));
/// # Ok::<(), std::fmt::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogScanMetrics {
    scans: Family<LogLabel, Counter>,
    lines: Family<LogLabel, Counter>,
    bytes: Family<LogLabel, Counter>,
    malformed: Family<LogLabel, Counter>,
    oversized: Family<LogLabel, Counter>,
}

impl LogScanMetrics {
    /// Registers the families in `registry` (use a sub-registry for a
    /// prefix).
    pub fn register(&self, registry: &mut Registry) {
        registry.register("logscan_scans", "Log scans finished", self.scans.clone());
        registry.register("logscan_lines", "Log lines read", self.lines.clone());
        registry.register_with_unit(
            "logscan",
            "Log bytes read, after decompression",
            Unit::Bytes,
            self.bytes.clone(),
        );
        registry.register(
            "logscan_malformed_lines",
            "Log lines that did not parse",
            self.malformed.clone(),
        );
        registry.register(
            "logscan_oversized_lines",
            "Log lines longer than the scanner's maximum, counted but not parsed",
            self.oversized.clone(),
        );
    }

    /// Records one finished scan of a log of kind `log`.
    pub fn record(&self, log: &str, totals: &Totals, malformed: u64) {
        let label = LogLabel {
            log: log.to_owned(),
        };
        self.scans.get_or_create(&label).inc();
        self.lines.get_or_create(&label).inc_by(totals.lines);
        self.bytes.get_or_create(&label).inc_by(totals.bytes);
        self.malformed.get_or_create(&label).inc_by(malformed);
        self.oversized
            .get_or_create(&label)
            .inc_by(totals.oversized);
    }

    /// Records a scan of an sshd auth log (`log="auth"`).
    pub fn record_auth(&self, stats: &AuthStats) {
        self.record("auth", stats.totals(), stats.malformed);
    }

    /// Records a scan of an access log (`log="access"`).
    pub fn record_access(&self, stats: &AccessStats) {
        self.record("access", stats.totals(), stats.malformed);
    }
}
