//! Streaming analysis of multi-GB logs: sshd auth logs and nginx/Apache
//! access logs.
//!
//! (Overview and example: see below once the analyzers land.)

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[cfg(feature = "json")]
pub use crate::access::JsonFields;
pub use crate::access::{
    AccessAnalyzer, AccessAnalyzerBuilder, AccessRecord, AccessReport, AccessStats, IpCount,
    LatencyHistogram, LatencySummary, LogFormat, MinuteRate, NginxFormat, PathCount, RawTime,
    StatusCounts, TimeKind,
};
pub use crate::aggregate::{
    Aggregate, KeyCounts, LineRef, LineSamples, Totals, escape_bytes, lossy, unescape_bytes,
};
pub use crate::auth::{
    AuthAnalyzer, AuthAnalyzerBuilder, AuthEvent, AuthKind, AuthReport, AuthStats, ClassicTime,
    FailedIp, FailedUser, LogTime, parse_auth_line,
};
pub use crate::error::Error;
pub use crate::lines::{Line, for_each_line};
pub use crate::scan::{Analyzer, Progress, Scanner, ScannerBuilder};
pub use crate::source::Input;
pub use crate::table::{Align, Table};
pub use crate::time::{
    TimeRange, format_minute, parse_clf, parse_iso8601, parse_syslog, parse_time_arg,
};

mod access;
mod aggregate;
mod auth;
mod error;
mod lines;
mod scan;
mod source;
mod table;
mod time;
