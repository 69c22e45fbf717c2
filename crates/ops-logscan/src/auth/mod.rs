//! The sshd auth-log analyzer: failed logins by address and user, invalid
//! users, accepted logins.
//!
//! [`parse_auth_line`] reads one line; [`AuthAnalyzer`] runs it over whole
//! inputs under a [`Scanner`](crate::Scanner) and fills [`AuthStats`];
//! [`AuthStats::report`] sums them up as an [`AuthReport`].

use std::time::{SystemTime, UNIX_EPOCH};

use crate::time::civil_from_days;
use crate::{Analyzer, Error, Line, TimeRange, for_each_line};

pub use self::parse::{AuthEvent, AuthKind, ClassicTime, LogTime, parse_auth_line};
pub use self::report::{AuthReport, AuthStats, FailedIp, FailedUser};

use self::block::LineFinder;
use self::parse::{Message, parse_header, parse_message};

mod block;
mod failed;
mod parse;
mod report;

/// Counts sshd authentication events; an [`Analyzer`] for a
/// [`Scanner`](crate::Scanner). Built by [`AuthAnalyzer::builder`].
///
/// Only lines that [`parse_auth_line`] accepts are counted as events; a
/// line whose header is not syslog with the program `sshd` (another
/// program, an unreadable timestamp) is counted in
/// [`Totals::lines`](crate::Totals::lines) only.
/// With a time range, an sshd line is kept when its timestamp falls in it;
/// classic timestamps (`Mar  2 10:00:00`) carry no year and are read in
/// the analyzer's year, as UTC. An sshd line whose time cannot be known
/// (a classic `Feb 29` in a year that has none) is left out as well. Lines
/// left out are counted in [`AuthStats::filtered`] and nowhere else.
///
/// # Example
///
/// ```
/// use ops_logscan::{AuthAnalyzer, ScannerBuilder, TimeRange, parse_time_arg};
///
/// let log = b"\
/// Mar 27 13:06:56 web1 sshd[1291]: Failed password for root from 203.0.113.9 port 56338 ssh2
/// Mar 27 13:07:01 web1 sshd[1291]: message repeated 2 times: [ Failed password for root from 203.0.113.9 port 56338 ssh2]
/// Mar 27 13:08:00 web1 sudo: Failed password for root from 198.51.100.1 port 22 ssh2
/// Mar 27 13:09:12 web1 sshd[1300]: Invalid user admin from 198.51.100.7 port 4242
/// Mar 28 09:00:00 web1 sshd[1400]: Accepted publickey for ubuntu from 192.0.2.1 port 54259 ssh2
/// ";
/// let analyzer = AuthAnalyzer::builder()
///     .time_range(TimeRange {
///         since: Some(parse_time_arg("2026-03-27")?),
///         until: Some(parse_time_arg("2026-03-28")?),
///     })
///     .year(2026)
///     .build()?;
/// let stats = ScannerBuilder::new().threads(2).build()?.scan_bytes(&analyzer, log);
/// assert_eq!(stats.failed, 3);
/// assert_eq!(stats.invalid_user, 1);
/// assert_eq!(stats.accepted, 0);
/// assert_eq!(stats.filtered, 1); // the accepted login, on March 28
/// assert_eq!(stats.failed_ips(), [&b"203.0.113.9"[..]]);
///
/// let report = stats.report(10);
/// let json = serde_json::to_value(&report)?;
/// assert_eq!(json["top"][0]["ip"], "203.0.113.9");
/// assert_eq!(json["top"][0]["count"], 3);
/// println!("{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAnalyzer {
    range: TimeRange,
    year: i32,
    focus: AuthFocus,
    finder: LineFinder,
}

/// What an [`AuthAnalyzer`] counts: everything, or only what answers "which
/// addresses failed to log in", which it finds several times faster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFocus {
    /// Every field of [`AuthStats`].
    #[default]
    Everything,
    /// Only [`AuthStats::totals`], [`AuthStats::failed`] and
    /// [`AuthStats::failed_by_ip`], the same as with `Everything`; every
    /// other field stays empty. Only lines holding `Failed ` are parsed:
    /// the block is searched for that literal, as `grep -F` would.
    FailedIps,
}

/// Configures an [`AuthAnalyzer`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthAnalyzerBuilder {
    range: TimeRange,
    year: Option<i32>,
    focus: AuthFocus,
}

impl AuthAnalyzerBuilder {
    /// No time range, and the current year for classic timestamps.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts only sshd lines whose time falls in `range` (default:
    /// everything).
    pub fn time_range(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// The year classic syslog timestamps are read in, which only matters
    /// with a time range (default: the current year, UTC, from the system
    /// clock).
    pub fn year(mut self, year: i32) -> Self {
        self.year = Some(year);
        self
    }

    /// What to count (default: [`AuthFocus::Everything`]).
    pub fn focus(mut self, focus: AuthFocus) -> Self {
        self.focus = focus;
        self
    }

    /// Checks the options: the range must not be empty and the year must
    /// lie in 1..=9999.
    pub fn build(self) -> Result<AuthAnalyzer, Error> {
        if let (Some(since), Some(until)) = (self.range.since, self.range.until)
            && since >= until
        {
            return Err(Error::InvalidOption {
                option: "time_range",
                reason: format!("since ({since}) must be earlier than until ({until})"),
            });
        }
        let year = match self.year {
            Some(y) if !(1..=9999).contains(&y) => {
                return Err(Error::InvalidOption {
                    option: "year",
                    reason: format!("{y} is not in 1..=9999"),
                });
            }
            Some(y) => y,
            None => current_year(),
        };
        Ok(AuthAnalyzer {
            range: self.range,
            year,
            focus: self.focus,
            finder: LineFinder::new(self.focus),
        })
    }
}

/// The current year (UTC) by the system clock; 1970 if the clock is set
/// before it.
fn current_year() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    i32::try_from(civil_from_days(days).0).unwrap_or(1970)
}

impl Default for AuthAnalyzer {
    fn default() -> Self {
        AuthAnalyzer::new()
    }
}

impl AuthAnalyzer {
    /// An analyzer that counts every line: no time range.
    pub fn new() -> Self {
        AuthAnalyzer {
            range: TimeRange::default(),
            year: current_year(),
            focus: AuthFocus::Everything,
            finder: LineFinder::new(AuthFocus::Everything),
        }
    }

    /// Configures an analyzer.
    pub fn builder() -> AuthAnalyzerBuilder {
        AuthAnalyzerBuilder::new()
    }

    /// The time range lines must fall in.
    pub fn time_range(&self) -> TimeRange {
        self.range
    }

    /// The year classic timestamps are read in.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// What the analyzer counts.
    pub fn focus(&self) -> AuthFocus {
        self.focus
    }

    /// Scans `block` line by line: the straightforward reference that
    /// [`scan_block`](Analyzer::scan_block) must agree with exactly, kept
    /// for tests and benchmarks. `scan_block` is faster: it searches the
    /// block for sshd lines and parses only those.
    pub fn scan_block_by_line(&self, block: &[u8], max_line: usize, stats: &mut AuthStats) {
        for_each_line(block, max_line, |line| {
            stats.totals.lines += 1;
            match line {
                Line::Text(text) => {
                    if self.scan_line(text, stats) == Outcome::Malformed {
                        stats.malformed_lines.push(stats.totals.lines);
                    }
                }
                Line::Oversized => stats.totals.oversized += 1,
            }
        });
    }

    /// Counts one line (without its terminator) in everything but
    /// `totals` and the malformed-line samples, which need its line number.
    #[inline]
    fn scan_line(&self, line: &[u8], stats: &mut AuthStats) -> Outcome {
        let Some(header) = parse_header(line) else {
            return Outcome::Counted;
        };
        let everything = self.focus == AuthFocus::Everything;
        if !self.range.is_unbounded() {
            let t = header.timestamp.to_unix(self.year);
            if !t.is_some_and(|t| self.range.contains(t)) {
                stats.filtered += u64::from(everything);
                return Outcome::Counted;
            }
        }
        match (parse_message(header.message), everything) {
            (Message::Event(e), true) => stats.record(&e),
            (Message::Event(e), false) => stats.record_failed_ip(&e),
            (Message::Malformed, true) => {
                stats.sshd_lines += 1;
                stats.malformed += 1;
                return Outcome::Malformed;
            }
            (Message::Malformed | Message::Other, false) | (Message::Other, true) => {}
        }
        stats.sshd_lines += u64::from(everything);
        Outcome::Counted
    }
}

/// What [`AuthAnalyzer::scan_line`] leaves to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Nothing.
    Counted,
    /// A malformed sshd line, whose line number may be sampled.
    Malformed,
}

impl Analyzer for AuthAnalyzer {
    type Stats = AuthStats;

    fn scan_block(&self, block: &[u8], max_line: usize, stats: &mut AuthStats) {
        self.scan_block_fast(block, max_line, stats);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Aggregate, ScannerBuilder};

    const LOG: &[u8] = b"\
Mar 27 13:06:56 h sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2\r
Mar 27 13:06:57 h sshd[1]: message repeated 4 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]
Mar 27 13:06:58 h sshd: Failed none for invalid user  from 10.0.0.2 port 22 ssh2
Mar 27 13:06:59 h sudo: Failed password for root from 10.0.0.3 port 22 ssh2
Mar 27 13:07:00 h sshd[2]: Failed password for root from 10.0.0.999 port 22 ssh2
Mar 27 13:07:01 h sshd[2]: Invalid user oracle from 10.0.0.4
Mar 27 13:07:02 h sshd[2]: Accepted password for alice from 10.0.0.5 port 22 ssh2
Mar 28 00:00:00 h sshd[2]: Accepted password for bob from 10.0.0.6 port 22 ssh2
Feb 29 00:00:00 h sshd[2]: Accepted password for carol from 10.0.0.7 port 22 ssh2
";

    fn scan(a: &AuthAnalyzer, input: &[u8]) -> AuthStats {
        let mut s = AuthStats::default();
        a.scan_block(input, 1 << 20, &mut s);
        s
    }

    #[test]
    fn counts_every_form() {
        let s = scan(&AuthAnalyzer::new(), LOG);
        assert_eq!(s.totals.lines, 9);
        assert_eq!(s.sshd_lines, 8);
        assert_eq!(s.failed, 6);
        assert_eq!(s.failed_invalid_user, 1);
        assert_eq!(s.failed_by_ip.get(b"10.0.0.1"), 5);
        assert_eq!(s.failed_by_user.get(b"root"), 5);
        assert_eq!(s.failed_by_user.get(b""), 1);
        assert_eq!(s.failed_by_method.get(b"none"), 1);
        assert_eq!(s.failed_ips(), [&b"10.0.0.1"[..], b"10.0.0.2"]);
        assert_eq!(s.invalid_user, 1);
        assert_eq!(s.invalid_user_by_ip.get(b"10.0.0.4"), 1);
        assert_eq!(s.invalid_user_names.get(b"oracle"), 1);
        assert_eq!(s.accepted, 3);
        assert_eq!(s.accepted_by_user.get(b"bob"), 1);
        assert_eq!(s.accepted_by_ip.get(b"10.0.0.5"), 1);
        assert_eq!(s.malformed, 1);
        assert_eq!(s.malformed_lines.as_slice()[0].line, 5);
        assert_eq!(s.filtered, 0);
    }

    #[test]
    fn time_range_filters_sshd_lines() {
        let since = crate::parse_time_arg("2026-03-27T13:06:57").ok();
        let until = crate::parse_time_arg("2026-03-28").ok();
        let a = AuthAnalyzer::builder()
            .time_range(TimeRange { since, until })
            .year(2026)
            .build();
        let s = a.map(|a| scan(&a, LOG)).unwrap_or_default();
        // Out: the first line, March 28, and Feb 29 (no such day in 2026).
        assert_eq!(s.filtered, 3);
        assert_eq!(s.sshd_lines, 5);
        assert_eq!(s.failed, 5);
        assert_eq!(s.accepted, 1);
        // In a leap year, Feb 29 exists but is before the range.
        let a = AuthAnalyzer::builder()
            .time_range(TimeRange { since: None, until })
            .year(2024)
            .build();
        let s = a.map(|a| scan(&a, LOG)).unwrap_or_default();
        assert_eq!((s.filtered, s.accepted), (0, 3));
    }

    #[test]
    fn builder_checks_options() {
        let e = |b: AuthAnalyzerBuilder| b.build().err().map(|e| e.to_string());
        let range = |since, until| TimeRange {
            since: Some(since),
            until: Some(until),
        };
        assert_eq!(
            e(AuthAnalyzer::builder().time_range(range(5, 5))),
            Some("invalid option time_range: since (5) must be earlier than until (5)".into())
        );
        assert_eq!(
            e(AuthAnalyzer::builder().year(0)),
            Some("invalid option year: 0 is not in 1..=9999".into())
        );
        let a = AuthAnalyzer::builder()
            .time_range(range(1, 2))
            .year(1999)
            .build();
        assert_eq!(
            a.as_ref().map(|a| (a.year(), a.time_range())).ok(),
            Some((1999, range(1, 2)))
        );
        assert!(AuthAnalyzer::new().year() >= 2025);
        assert!(AuthAnalyzer::default().time_range().is_unbounded());
    }

    #[test]
    fn oversized_lines_are_counted_not_parsed() {
        let mut s = AuthStats::default();
        AuthAnalyzer::new().scan_block(LOG, 78, &mut s);
        assert_eq!(s.totals.lines, 9);
        // Line 1 is 78 bytes and a CR; lines 2, 3, 5, 7, 8, 9 are longer.
        assert_eq!(s.totals.oversized, 6);
        assert_eq!((s.failed, s.accepted, s.malformed), (1, 0, 0));
    }

    #[test]
    fn merge_shifts_malformed_line_numbers() {
        let a = AuthAnalyzer::new();
        let cut = LOG.len() / 2;
        let cut = memchr::memchr(b'\n', &LOG[cut..]).map_or(LOG.len(), |i| cut + i + 1);
        let mut first = scan(&a, &LOG[..cut]);
        first.merge(scan(&a, &LOG[cut..]));
        assert_eq!(first, scan(&a, LOG));
        let mut whole = scan(&a, LOG);
        whole.attribute("auth.log");
        assert_eq!(
            whole.malformed_lines.as_slice()[0].to_string(),
            "auth.log:5"
        );
    }

    #[test]
    fn any_thread_and_chunk_count_agrees() {
        let a = AuthAnalyzer::new();
        let want = scan(&a, LOG);
        for (threads, chunk) in [(1, 1), (2, 7), (3, 64), (2, 1 << 20)] {
            let scanner = ScannerBuilder::new()
                .threads(threads)
                .chunk_size(chunk)
                .buffer_size(13)
                .build();
            let mut got = scanner.map(|s| s.scan_bytes(&a, LOG)).unwrap_or_default();
            got.totals.bytes = 0;
            assert_eq!(got, want, "threads {threads} chunk {chunk}");
        }
    }

    #[test]
    fn report_json_and_text() {
        let mut s = scan(&AuthAnalyzer::new(), LOG);
        s.totals.bytes = LOG.len() as u64;
        s.failed_by_user.add(b"evil\x1b[2J\xff", 1);
        let r = s.report(1);
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["lines"], 9);
        assert_eq!(json["failed"], 6);
        assert_eq!(json["unique_ips"], 2);
        assert_eq!(
            json["top"],
            serde_json::json!([{"ip": "10.0.0.1", "count": 5}])
        );
        assert_eq!(
            json["top_users"],
            serde_json::json!([{"user": "root", "count": 5}])
        );
        assert_eq!(json["invalid_user"], 1);
        assert_eq!(json["accepted"], 3);
        assert_eq!(json["filtered"], 0);
        assert_eq!(json["oversized"], 0);
        assert_eq!(json["bytes"], LOG.len());
        assert_eq!(json["malformed_lines"], serde_json::json!([{"line": 5}]));
        let back: AuthReport = serde_json::from_value(json).unwrap_or_else(|_| s.report(0));
        assert_eq!(back, r);

        let text = s.report(5).to_string();
        assert!(text.contains("failed logins: 6 (1 for invalid users) from 2 addresses"));
        assert!(text.contains("malformed sshd lines: 1, first at line 5\n"));
        assert!(text.contains("ip        failed\n10.0.0.1       5\n10.0.0.2       1\n"));
        assert!(text.contains("evil\\x1b[2J\\xff"), "{text}");
        assert!(!text.contains('\x1b'));
        assert!(
            text.ends_with(concat!(
                "user             failed\n",
                "root                  5\n",
                "(empty)               1\n",
                "evil\\x1b[2J\\xff       1\n",
            )),
            "{text}"
        );
    }

    #[test]
    fn stats_serde_round_trip() {
        let mut s = scan(&AuthAnalyzer::new(), LOG);
        s.attribute("x.log");
        let json = serde_json::to_string(&s).unwrap_or_default();
        let back: AuthStats = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, s);
    }

    #[test]
    fn huge_repeat_counts_saturate() {
        let line = b"Mar 27 13:06:57 h sshd[1]: message repeated 18446744073709551615 times: [ Failed password for root from 10.0.0.1 port 22 ssh2]\n";
        let twice = [&line[..], &line[..]].concat();
        let s = scan(&AuthAnalyzer::new(), &twice);
        assert_eq!(s.failed, u64::MAX);
        assert_eq!(s.failed_by_ip.get(b"10.0.0.1"), u64::MAX);
    }

    #[test]
    fn analyzer_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<AuthAnalyzer>();
        check::<AuthStats>();
        check::<AuthReport>();
    }
}
