//! The access-log analyzer: nginx and Apache access logs in the common,
//! combined, nginx `log_format` or JSON-lines formats.
//!
//! Per line: [`LogFormat::parse_line`] borrows the fields from the line
//! (no allocation, no UTF-8 validation); the analyzer then counts status,
//! client, bytes, minute and latency. The path is split out of the request
//! only for 5xx responses, and the timestamp is parsed only when its bytes
//! differ from the previous line's.

mod clf;
mod fast;
mod format;
#[cfg(feature = "json")]
mod json;
mod latency;
mod nginx;
mod record;
mod report;
mod stats;

pub use self::format::LogFormat;
#[cfg(feature = "json")]
pub use self::json::JsonFields;
pub use self::latency::LatencyHistogram;
pub use self::nginx::NginxFormat;
pub use self::record::{AccessRecord, RawTime, TimeKind};
pub use self::report::{AccessReport, IpCount, LatencySummary, MinuteRate, PathCount};
pub use self::stats::{AccessStats, StatusCounts};

use self::record::Request;
use crate::aggregate::ShortKey;
use crate::{Analyzer, Error, Line, TimeRange, for_each_line};

/// Analyzes access logs: status histogram, top clients, 5xx paths, bytes
/// sent, requests per minute and latency quantiles.
///
/// # Example
///
/// ```
/// use ops_logscan::{AccessAnalyzer, LogFormat, ScannerBuilder, TimeRange, parse_time_arg};
///
/// let log = br#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8"
/// 10.0.0.2 - - [17/May/2015:10:05:09 +0000] "GET /b?x=1 HTTP/1.1" 502 0 "-" "curl/8"
/// 10.0.0.1 - - [17/May/2015:11:00:00 +0000] "GET /c HTTP/1.1" 200 7 "-" "curl/8"
/// not an access log line
/// "#;
/// let analyzer = AccessAnalyzer::builder()
///     .format(LogFormat::parse("combined")?)
///     .time_range(TimeRange { since: None, until: Some(parse_time_arg("2015-05-17T11:00")?) })
///     .build()?;
/// let stats = ScannerBuilder::new().threads(2).build()?.scan_bytes(&analyzer, log);
///
/// assert_eq!((stats.parsed, stats.filtered, stats.malformed), (2, 1, 1));
/// let report = stats.report(10);
/// assert_eq!(report.status["502"], 1);
/// assert_eq!(report.top_5xx_paths[0].path, "/b");
/// assert_eq!(report.requests_per_minute.peak_minute.as_deref(), Some("2015-05-17T10:05Z"));
/// println!("{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessAnalyzer {
    format: LogFormat,
    range: TimeRange,
}

/// Configures an [`AccessAnalyzer`]; [`build`](Self::build) checks that
/// the options fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessAnalyzerBuilder {
    format: LogFormat,
    range: TimeRange,
}

impl Default for AccessAnalyzerBuilder {
    fn default() -> Self {
        AccessAnalyzerBuilder {
            format: LogFormat::Combined,
            range: TimeRange::default(),
        }
    }
}

impl AccessAnalyzerBuilder {
    /// The defaults: the combined format, no time range.
    pub fn new() -> Self {
        Self::default()
    }

    /// The log format (default [`LogFormat::Combined`], the default of
    /// both nginx and Apache).
    pub fn format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Only lines in this range are analyzed; the others are counted as
    /// filtered, and lines whose time cannot be read as malformed.
    pub fn time_range(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// Checks the options: a time range must not be empty, and needs a
    /// format that logs a time.
    pub fn build(self) -> Result<AccessAnalyzer, Error> {
        let invalid = |reason: &str| Error::InvalidOption {
            option: "time_range",
            reason: reason.to_owned(),
        };
        if let (Some(since), Some(until)) = (self.range.since, self.range.until)
            && since >= until
        {
            return Err(invalid("the start must come before the end"));
        }
        if !self.range.is_unbounded() && !self.format.has_time() {
            return Err(invalid(&format!(
                "the log format {:?} has no time field",
                self.format.to_string()
            )));
        }
        Ok(AccessAnalyzer {
            format: self.format,
            range: self.range,
        })
    }
}

impl AccessAnalyzer {
    /// An analyzer of every line in `format`.
    pub fn new(format: LogFormat) -> AccessAnalyzer {
        AccessAnalyzer {
            format,
            range: TimeRange::default(),
        }
    }

    /// Configures an analyzer.
    pub fn builder() -> AccessAnalyzerBuilder {
        AccessAnalyzerBuilder::new()
    }

    /// The log format.
    pub fn format(&self) -> &LogFormat {
        &self.format
    }

    /// The time range (unbounded unless set).
    pub fn time_range(&self) -> TimeRange {
        self.range
    }

    /// Scans a block line by line: the reference path, for every format.
    fn scan_lines<'a>(
        &self,
        block: &'a [u8],
        max_line: usize,
        stats: &mut AccessStats,
        runs: &mut Runs<'a>,
    ) {
        for_each_line(block, max_line, |line| {
            stats.totals.lines += 1;
            match line {
                Line::Text(text) => self.line(text, stats, runs),
                Line::Oversized => stats.totals.oversized += 1,
            }
        });
    }

    /// Scans a block of common or combined lines: [`fast::parse`] where it
    /// can, the reference path for the lines it leaves.
    fn scan_clf<'a>(
        &self,
        block: &'a [u8],
        max_line: usize,
        stats: &mut AccessStats,
        runs: &mut Runs<'a>,
    ) {
        let mut pos = 0;
        while pos < block.len() {
            let rest = &block[pos..];
            stats.totals.lines += 1;
            // The last line's time was clean; a new one is checked.
            let fast = fast::parse(rest).and_then(|l| {
                let same = runs
                    .clf_time
                    .as_ref()
                    .is_some_and(|c| same_time(&c.raw, l.time));
                (same || fast::time_is_clean(l.time)).then_some((l, same))
            });
            if let Some((l, same)) = fast {
                pos += l.end + 1;
                if l.text_len > max_line {
                    stats.totals.oversized += 1;
                    continue;
                }
                let time = runs.clf_time(l.time, same);
                if self.range.is_unbounded() {
                    self.record_clf(&l, time.minute, stats, runs);
                    continue;
                }
                let t = time.seconds;
                let mut rec = AccessRecord::with_status(l.status);
                rec.client = (l.client != b"-").then_some(l.client);
                rec.request = if l.request == b"-" {
                    Request::Absent
                } else {
                    Request::Line(l.request)
                };
                rec.bytes_sent = l.bytes_sent;
                self.record(&rec, t, l.client_key, stats, runs);
            } else {
                let end = crate::search::find(b'\n', rest).unwrap_or(rest.len());
                pos += end + 1;
                let text = match &rest[..end] {
                    [text @ .., b'\r'] => text,
                    text => text,
                };
                if text.len() > max_line {
                    stats.totals.oversized += 1;
                } else {
                    self.line(text, stats, runs);
                }
            }
        }
    }

    #[inline]
    fn line<'a>(&self, text: &'a [u8], stats: &mut AccessStats, run: &mut Runs<'a>) {
        let Some(rec) = self.format.parse_line(text) else {
            stats.malformed += 1;
            stats.malformed_lines.push(stats.totals.lines);
            return;
        };
        let t = rec.time.and_then(|raw| run.seconds(raw));
        self.record(&rec, t, None, stats, run);
    }

    /// What [`record`](Self::record) counts for a line the fast path read,
    /// when no time range filters lines: the same fields, without building
    /// a record first.
    #[inline]
    fn record_clf<'a>(
        &self,
        l: &fast::ClfLine<'a>,
        minute: Option<i64>,
        stats: &mut AccessStats,
        run: &mut Runs<'a>,
    ) {
        stats.parsed += 1;
        stats.status.add(l.status, 1);
        if l.client != b"-" {
            match l.client_key {
                Some(key) => run.short_client(key, stats),
                None => run.client(l.client, stats),
            }
        }
        if (500..600).contains(&l.status) && l.request != b"-" {
            let mut rec = AccessRecord::with_status(l.status);
            rec.request = Request::Line(l.request);
            if let Some(path) = rec.path() {
                stats.paths_5xx.add(path, 1);
            }
        }
        if let Some(b) = l.bytes_sent {
            stats.bytes_sent = stats.bytes_sent.saturating_add(b);
        }
        if let Some(m) = minute {
            run.minute(m, stats);
        }
    }

    /// Counts a parsed line whose time is `t`; `client_key` is its client
    /// packed, when the parser did it already.
    #[inline]
    fn record<'a>(
        &self,
        rec: &AccessRecord<'a>,
        t: Option<i64>,
        client_key: Option<ShortKey>,
        stats: &mut AccessStats,
        run: &mut Runs<'a>,
    ) {
        if !self.range.is_unbounded() {
            match t {
                Some(t) if self.range.contains(t) => {}
                Some(_) => {
                    stats.filtered += 1;
                    return;
                }
                None => {
                    stats.malformed += 1;
                    stats.malformed_lines.push(stats.totals.lines);
                    return;
                }
            }
        }
        stats.parsed += 1;
        stats.status.add(rec.status, 1);
        match (rec.client, client_key) {
            (Some(_), Some(key)) => run.short_client(key, stats),
            (Some(client), None) => run.client(client, stats),
            (None, _) => {}
        }
        if (500..600).contains(&rec.status)
            && let Some(path) = rec.path()
        {
            stats.paths_5xx.add(path, 1);
        }
        if let Some(b) = rec.bytes_sent {
            stats.bytes_sent = stats.bytes_sent.saturating_add(b);
        }
        if let Some(t) = t {
            run.minute(t.div_euclid(60) * 60, stats);
        }
        if let Some(us) = rec.latency_micros {
            stats.latency.record(us);
        }
    }
}

/// What consecutive lines of a block tend to share, kept to save work:
/// the last timestamp and its value, and runs of one client and one
/// minute, counted once per run. Flushed at the end of the block, so the
/// result does not depend on where blocks end.
#[derive(Default)]
struct Runs<'a> {
    time: Option<(RawTime<'a>, Option<i64>)>,
    /// The fast path's last time: fixed-size bytes compare fastest.
    clf_time: Option<ClfTime>,
    client: Option<(&'a [u8], u64)>,
    minute: Option<(i64, u64)>,
    /// Short client keys not yet counted, counted a batch at a time.
    short_clients: [ShortKey; CLIENT_BATCH],
    pending: usize,
}

/// A common-format time, read once for the run of lines that share it.
#[derive(Debug, Clone, Copy)]
struct ClfTime {
    raw: [u8; 26],
    seconds: Option<i64>,
    /// The start of its minute.
    minute: Option<i64>,
}

/// Whether two times are the same bytes: two overlapping 16-byte words, no
/// `memcmp` call.
#[inline]
fn same_time(a: &[u8; 26], b: &[u8; 26]) -> bool {
    let word = |t: &[u8; 26], at: usize| {
        let mut w = [0u8; 16];
        w.copy_from_slice(&t[at..at + 16]);
        u128::from_le_bytes(w)
    };
    (word(a, 0) ^ word(b, 0)) | (word(a, 10) ^ word(b, 10)) == 0
}

/// Clients counted at once: enough for their table lookups' cache misses
/// to overlap, few enough for their loads to fit the CPU's window.
const CLIENT_BATCH: usize = crate::aggregate::BATCH;

impl<'a> Runs<'a> {
    #[inline]
    fn seconds(&mut self, raw: RawTime<'a>) -> Option<i64> {
        match self.time {
            Some((last, t)) if last == raw => t,
            _ => {
                let t = raw.unix_seconds();
                self.time = Some((raw, t));
                t
            }
        }
    }

    /// The time `raw` of a fast-path line, `same` as the last one's or not.
    #[inline]
    fn clf_time(&mut self, raw: &[u8; 26], same: bool) -> ClfTime {
        match self.clf_time {
            Some(c) if same => c,
            _ => {
                let seconds = crate::parse_clf(raw);
                let c = ClfTime {
                    raw: *raw,
                    seconds,
                    minute: seconds.map(|t| t.div_euclid(60) * 60),
                };
                self.clf_time = Some(c);
                c
            }
        }
    }

    #[inline]
    fn client(&mut self, client: &'a [u8], stats: &mut AccessStats) {
        match &mut self.client {
            Some((c, n)) if *c == client => *n += 1,
            run => {
                if let Some((c, n)) = run.replace((client, 1)) {
                    stats.by_ip.add(c, n);
                }
            }
        }
    }

    #[inline]
    fn minute(&mut self, minute: i64, stats: &mut AccessStats) {
        match &mut self.minute {
            Some((m, n)) if *m == minute => *n += 1,
            run => {
                if let Some((m, n)) = run.replace((minute, 1)) {
                    *stats.per_minute.entry(m).or_insert(0) += n;
                }
            }
        }
    }

    #[inline]
    fn short_client(&mut self, key: ShortKey, stats: &mut AccessStats) {
        self.short_clients[self.pending] = key;
        self.pending += 1;
        if self.pending == CLIENT_BATCH {
            stats.by_ip.add_short_batch(&self.short_clients);
            self.pending = 0;
        }
    }

    fn flush(self, stats: &mut AccessStats) {
        stats
            .by_ip
            .add_short_batch(&self.short_clients[..self.pending]);
        if let Some((c, n)) = self.client {
            stats.by_ip.add(c, n);
        }
        if let Some((m, n)) = self.minute {
            *stats.per_minute.entry(m).or_insert(0) += n;
        }
    }
}

impl Analyzer for AccessAnalyzer {
    type Stats = AccessStats;

    fn scan_block(&self, block: &[u8], max_line: usize, stats: &mut AccessStats) {
        let mut runs = Runs::default();
        match self.format {
            LogFormat::Combined | LogFormat::Common => {
                self.scan_clf(block, max_line, stats, &mut runs);
            }
            _ => self.scan_lines(block, max_line, stats, &mut runs),
        }
        runs.flush(stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Aggregate, ScannerBuilder};

    const LOG: &[u8] =
        br#"10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8"
10.0.0.1 - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8"

10.0.0.2 - - [17/May/2015:10:06:09 +0000] "GET /b?x=1 HTTP/1.1" 502 0 "-" "curl/8"
truncated - - [17/May/2015:10:06:09 +0000] "GET
10.0.0.1 - - [17/May/2015:11:00:00 +0000] "POST /b HTTP/1.1" 503 7 "-" "curl/8"
10.0.0.3 - - [17/May/2015:11:00:00 +0000] "-" 500 - "-" "-"
"#;

    fn scan(a: &AccessAnalyzer, bytes: &[u8]) -> AccessStats {
        let mut s = AccessStats::default();
        a.scan_block(bytes, 1 << 20, &mut s);
        s
    }

    fn check_invariant(s: &AccessStats) {
        assert_eq!(
            s.totals.lines,
            s.parsed + s.malformed + s.filtered + s.totals.oversized,
            "{s:?}"
        );
    }

    #[test]
    fn counts_every_line_once() {
        let s = scan(&AccessAnalyzer::new(LogFormat::Combined), LOG);
        check_invariant(&s);
        assert_eq!((s.totals.lines, s.parsed, s.malformed), (7, 5, 2));
        let lines: Vec<u64> = s
            .malformed_lines
            .as_slice()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, vec![3, 5], "the blank line is malformed");
        assert_eq!(s.by_ip.get(b"10.0.0.1"), 3);
        assert_eq!(s.by_ip.get(b"10.0.0.2"), 1);
        assert_eq!(s.by_ip.len(), 3);
        assert_eq!(s.paths_5xx.get(b"/b"), 2);
        assert_eq!(s.paths_5xx.len(), 1, "a `-` request has no path");
        assert_eq!(s.bytes_sent, 1031);
        assert_eq!(s.status.classes()[5], 3);
        let minutes: Vec<(i64, u64)> = s.per_minute.iter().map(|(m, n)| (*m, *n)).collect();
        assert_eq!(
            minutes,
            vec![(1_431_857_100, 2), (1_431_857_160, 1), (1_431_860_400, 2)]
        );
        assert!(s.latency.is_empty());
    }

    #[test]
    fn time_range_filters_and_rejects_unreadable_times() {
        let range = TimeRange {
            since: Some(1_431_857_160),
            until: Some(1_431_860_400),
        };
        let a = AccessAnalyzer::builder()
            .format(LogFormat::Combined)
            .time_range(range)
            .build();
        let Ok(a) = a else { panic!("{a:?}") };
        let mut log = LOG.to_vec();
        log.extend_from_slice(
            b"10.0.0.9 - - [17/Mai/2015:10:06:09 +0000] \"GET / HTTP/1.1\" 200 1\n",
        );
        let s = scan(&a, &log);
        check_invariant(&s);
        assert_eq!((s.parsed, s.filtered, s.malformed), (1, 4, 3));
        assert_eq!(s.status.get(502), 1);
        // Without a range, an unreadable time only leaves the minute out.
        let s = scan(&AccessAnalyzer::new(LogFormat::Combined), &log);
        assert_eq!((s.parsed, s.malformed), (6, 2));
        assert_eq!(s.per_minute.values().sum::<u64>(), 5);
    }

    #[test]
    fn builder_validates() {
        let err = |b: AccessAnalyzerBuilder| b.build().err().map(|e| e.to_string());
        let empty = TimeRange {
            since: Some(5),
            until: Some(5),
        };
        assert_eq!(
            err(AccessAnalyzer::builder().time_range(empty)).as_deref(),
            Some("invalid option time_range: the start must come before the end")
        );
        let untimed = LogFormat::parse("$remote_addr $status").ok();
        let Some(untimed) = untimed else { panic!() };
        let e = err(AccessAnalyzer::builder()
            .format(untimed.clone())
            .time_range(TimeRange {
                since: Some(1),
                until: None,
            }));
        assert!(e.is_some_and(|e| e.contains("no time field")));
        assert!(AccessAnalyzer::builder().format(untimed).build().is_ok());
        assert_eq!(
            AccessAnalyzer::builder().build().ok(),
            Some(AccessAnalyzer::new(LogFormat::Combined))
        );
    }

    #[test]
    fn latency_from_format() {
        let f = LogFormat::parse(r#"$remote_addr [$time_local] "$request" $status $request_time"#);
        let Ok(f) = f else { panic!("{f:?}") };
        let log = b"a [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 0.010\n\
                    b [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 0.020\n\
                    c [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 -\n";
        let s = scan(&AccessAnalyzer::new(f), log);
        assert_eq!(s.parsed, 3);
        assert_eq!(s.latency.count(), 2);
        assert_eq!(s.latency.max(), Some(20_000));
        let r = s.report(5);
        assert_eq!(r.latency_seconds.map(|l| l.max), Some(0.02));
    }

    #[test]
    fn any_split_of_the_block_gives_the_same_stats() {
        let a = AccessAnalyzer::new(LogFormat::Combined);
        let mut whole = scan(&a, LOG);
        let cuts: Vec<usize> = memchr::memchr_iter(b'\n', LOG).map(|i| i + 1).collect();
        for &cut in &cuts {
            let mut first = scan(&a, &LOG[..cut]);
            first.merge(scan(&a, &LOG[cut..]));
            assert_eq!(first, whole, "cut at {cut}");
        }
        // The driver counts bytes read; `scan_block` alone does not.
        whole.totals.bytes = LOG.len() as u64;
        for t in 1..3 {
            for c in [1, 7, 100] {
                let s = ScannerBuilder::new()
                    .threads(t)
                    .chunk_size(c)
                    .buffer_size(13)
                    .build()
                    .map(|s| s.scan_bytes(&a, LOG));
                assert_eq!(s.ok().as_ref(), Some(&whole));
            }
        }
    }

    #[test]
    fn report_json_shape_and_text() {
        let s = scan(&AccessAnalyzer::new(LogFormat::Combined), LOG);
        let r = s.report(2);
        let json = serde_json::to_value(&r).unwrap_or_default();
        let keys: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut want = vec![
            "lines",
            "parsed",
            "malformed",
            "malformed_lines",
            "status",
            "classes",
            "top_ips",
            "top_5xx_paths",
            "bytes_sent",
            "requests_per_minute",
            "latency_seconds",
            "filtered",
            "oversized",
            "bytes",
        ];
        want.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(json["status"]["502"], 1);
        assert_eq!(json["classes"]["5xx"], 3);
        assert_eq!(json["top_ips"][0]["ip"], "10.0.0.1");
        assert_eq!(json["top_ips"][0]["count"], 3);
        assert_eq!(json["top_ips"][1]["ip"], "10.0.0.2");
        assert_eq!(json["top_5xx_paths"][0]["path"], "/b");
        assert_eq!(json["latency_seconds"], serde_json::Value::Null);
        assert_eq!(json["requests_per_minute"]["minutes"], 3);
        assert_eq!(json["requests_per_minute"]["peak"], 2);
        assert_eq!(
            json["requests_per_minute"]["peak_minute"],
            "2015-05-17T10:05Z"
        );
        assert_eq!(json["malformed_lines"][0], "line 3");
        let text = r.to_string();
        assert!(text.starts_with("7 lines ("), "{text}");
        assert!(
            text.contains("status  count  share\n   200      2  40.0%\n"),
            "{text}"
        );
        assert!(
            text.contains("client    requests\n10.0.0.1         3\n"),
            "{text}"
        );
        assert!(
            text.contains("5xx path  count\n/b            2\n"),
            "{text}"
        );
    }

    #[test]
    fn stats_round_trip_through_json() {
        let s = scan(&AccessAnalyzer::new(LogFormat::Combined), LOG);
        let json = serde_json::to_string(&s).unwrap_or_default();
        let back: Option<AccessStats> = serde_json::from_str(&json).ok();
        assert_eq!(back, Some(s));
    }

    #[test]
    fn analyzer_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<AccessAnalyzer>();
        check::<AccessStats>();
        check::<AccessReport>();
    }
}
