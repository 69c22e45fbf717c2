//! The access report: what [`AccessStats`] says, ready to print or
//! serialize.

use std::collections::BTreeMap;
use std::fmt;

use ops_table::{Align, Table};
use serde::{Deserialize, Serialize};

use super::stats::AccessStats;
use crate::{escape_bytes, format_minute};

/// A client address and its request count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IpCount {
    /// The address as logged (bytes that are not UTF-8 written `\xNN`).
    pub ip: String,
    /// Requests from it.
    pub count: u64,
}

/// A request path and its count of 5xx responses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PathCount {
    /// The path without its query string (bytes that are not UTF-8
    /// written `\xNN`).
    pub path: String,
    /// 5xx responses to it.
    pub count: u64,
}

/// Requests per minute, over the minutes that had any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteRate {
    /// Minutes with at least one request.
    pub minutes: u64,
    /// The most requests in one minute.
    pub peak: u64,
    /// The first minute with that many, as `2015-05-17T10:05Z` (UTC);
    /// `None` when no request had a readable time.
    pub peak_minute: Option<String>,
    /// Requests per minute, averaged over the minutes with any.
    pub mean: f64,
}

/// Latency quantiles, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Requests with a latency.
    pub count: u64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest, exactly.
    pub max: f64,
}

/// A summary of [`AccessStats`], built by [`AccessStats::report`].
///
/// Serializes to one JSON object (fields in this order); `Display` prints
/// summary lines and aligned tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessReport {
    /// Lines read, every kind included.
    pub lines: u64,
    /// Lines parsed (and within the time range).
    pub parsed: u64,
    /// Lines that did not match the format.
    pub malformed: u64,
    /// Where the first malformed lines are: `file:line`.
    pub malformed_lines: Vec<String>,
    /// Responses by status code (`"200"`), in increasing order.
    pub status: BTreeMap<String, u64>,
    /// Responses by status class (`"2xx"`).
    pub classes: BTreeMap<String, u64>,
    /// The clients with the most requests: by count, descending, then
    /// address in byte order.
    pub top_ips: Vec<IpCount>,
    /// The paths with the most 5xx responses, ordered as `top_ips`.
    pub top_5xx_paths: Vec<PathCount>,
    /// Response bytes sent.
    pub bytes_sent: u64,
    /// Requests per minute.
    pub requests_per_minute: MinuteRate,
    /// Latency quantiles; `None` when no request had a latency (the format
    /// logs none).
    pub latency_seconds: Option<LatencySummary>,
    /// Lines outside the time range.
    pub filtered: u64,
    /// Lines too long to parse.
    pub oversized: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl AccessStats {
    /// Summarizes the stats, with the `top` most frequent clients and 5xx
    /// paths.
    ///
    /// Ties in the top lists are broken by the address or path in byte
    /// order, which for UTF-8 is the order of the text.
    pub fn report(&self, top: usize) -> AccessReport {
        let status = self
            .status
            .iter()
            .map(|(code, n)| (code.to_string(), n))
            .collect();
        let classes = self
            .status
            .classes()
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(d, n)| (format!("{d}xx"), *n))
            .collect();
        let top_ips = self
            .by_ip
            .top(top)
            .into_iter()
            .map(|(k, count)| IpCount {
                ip: escape_bytes(k),
                count,
            })
            .collect();
        let top_5xx_paths = self
            .paths_5xx
            .top(top)
            .into_iter()
            .map(|(k, count)| PathCount {
                path: escape_bytes(k),
                count,
            })
            .collect();
        let mut peak: Option<(i64, u64)> = None;
        let mut total = 0u64;
        for (&minute, &n) in &self.per_minute {
            total += n;
            // Strictly more: the first minute wins a tie.
            if peak.is_none_or(|(_, p)| n > p) {
                peak = Some((minute, n));
            }
        }
        let minutes = self.per_minute.len() as u64;
        let requests_per_minute = MinuteRate {
            minutes,
            peak: peak.map_or(0, |(_, n)| n),
            peak_minute: peak.map(|(m, _)| format_minute(m)),
            mean: if minutes == 0 {
                0.0
            } else {
                total as f64 / minutes as f64
            },
        };
        let h = &self.latency;
        let secs = |q: f64| h.quantile(q).map_or(0.0, |us| us as f64 / 1e6);
        let latency_seconds = (!h.is_empty()).then(|| LatencySummary {
            count: h.count(),
            p50: secs(0.5),
            p90: secs(0.9),
            p99: secs(0.99),
            max: secs(1.0),
        });
        AccessReport {
            lines: self.totals.lines,
            parsed: self.parsed,
            malformed: self.malformed,
            malformed_lines: self
                .malformed_lines
                .as_slice()
                .iter()
                .map(ToString::to_string)
                .collect(),
            status,
            classes,
            top_ips,
            top_5xx_paths,
            bytes_sent: self.bytes_sent,
            requests_per_minute,
            latency_seconds,
            filtered: self.filtered,
            oversized: self.totals.oversized,
            bytes: self.totals.bytes,
        }
    }
}

impl fmt::Display for AccessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} lines ({} bytes): {} parsed, {} malformed, {} filtered, {} oversized",
            self.lines, self.bytes, self.parsed, self.malformed, self.filtered, self.oversized
        )?;
        if !self.malformed_lines.is_empty() {
            writeln!(f, "first malformed: {}", self.malformed_lines.join(", "))?;
        }
        writeln!(f, "bytes sent: {}", self.bytes_sent)?;
        let rpm = &self.requests_per_minute;
        if let Some(m) = &rpm.peak_minute {
            writeln!(
                f,
                "requests per minute: peak {} at {m}, mean {:.1} over {} minutes",
                rpm.peak, rpm.mean, rpm.minutes
            )?;
        }
        if let Some(l) = &self.latency_seconds {
            writeln!(
                f,
                "latency: p50 {:.3}s, p90 {:.3}s, p99 {:.3}s, max {:.3}s over {} requests",
                l.p50, l.p90, l.p99, l.max, l.count
            )?;
        }
        if !self.classes.is_empty() {
            let classes: Vec<String> = self
                .classes
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            writeln!(f, "classes: {}", classes.join(", "))?;
        }

        let total: u64 = self.status.values().sum();
        let mut t = Table::new(&[
            ("status", Align::Right),
            ("count", Align::Right),
            ("share", Align::Right),
        ]);
        for (code, n) in &self.status {
            let share = 100.0 * *n as f64 / total.max(1) as f64;
            t.row([code.clone(), n.to_string(), format!("{share:.1}%")]);
        }
        section(f, &t)?;

        let mut t = Table::new(&[("client", Align::Left), ("requests", Align::Right)]);
        for e in &self.top_ips {
            t.row([e.ip.clone(), e.count.to_string()]);
        }
        section(f, &t)?;

        let mut t = Table::new(&[("5xx path", Align::Left), ("count", Align::Right)]);
        for e in &self.top_5xx_paths {
            t.row([e.path.clone(), e.count.to_string()]);
        }
        section(f, &t)
    }
}

/// A table after a blank line, unless it is empty.
fn section(f: &mut fmt::Formatter<'_>, t: &Table) -> fmt::Result {
    if t.is_empty() {
        return Ok(());
    }
    writeln!(f)?;
    write!(f, "{t}")
}
