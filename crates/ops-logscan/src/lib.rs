//! Streaming analysis of multi-GB logs: sshd auth logs and nginx/Apache
//! access logs.
//!
//! The questions every on-call engineer asks of a log (which addresses
//! fail to log in over ssh, who the top clients are, which paths return
//! 5xx) answered at the speed of the disk, with bounded memory and exact
//! semantics:
//!
//! - [`Scanner`] reads inputs ([`Input`]: files, stdin, gzip detected by its
//!   magic bytes) in blocks of whole lines, splits large files among
//!   threads at line boundaries, and merges the parts' results in order.
//!   Lines may end in LF or CRLF, hold NUL bytes or invalid UTF-8, or be of
//!   any length: lines over [`ScannerBuilder::max_line`] are counted as
//!   oversized, never buffered.
//! - An [`Analyzer`] parses lines into mergeable, serializable state (an
//!   [`Aggregate`]): [`AuthAnalyzer`] gives [`AuthStats`] (sshd failures by
//!   address and user, invalid users, accepted logins), [`AccessAnalyzer`]
//!   gives [`AccessStats`] (status histogram, top clients, 5xx paths,
//!   bytes, requests per minute, latency percentiles) for the
//!   [`LogFormat`]s combined, common, nginx `log_format` and JSON lines.
//! - `report(top)` turns state into an [`AuthReport`] or [`AccessReport`]:
//!   `Serialize` for JSON, `Display` for aligned text tables.
//!
//! The answer never depends on the thread count or on how the input is
//! cut: merging the states of consecutive parts (files, chunks, hosts)
//! gives exactly the state of the whole.
//!
//! # Example
//!
//! ```
//! use ops_logscan::{AccessAnalyzer, AuthAnalyzer, LogFormat, ScannerBuilder};
//!
//! let scanner = ScannerBuilder::new().threads(2).build()?;
//!
//! let auth = b"\
//! Nov 20 10:00:01 web1 sshd[812]: Failed password for invalid user admin from 203.0.113.7 port 50122 ssh2
//! Nov 20 10:00:05 web1 sshd[812]: message repeated 3 times: [ Failed password for root from 203.0.113.7 port 50122 ssh2]
//! Nov 20 10:01:00 web1 CRON[900]: pam_unix(cron:session): session opened for user root
//! ";
//! let stats = scanner.scan_bytes(&AuthAnalyzer::new(), auth);
//! assert_eq!(stats.failed, 4);
//! assert_eq!(stats.failed_ips(), [&b"203.0.113.7"[..]]);
//!
//! let access = b"\
//! 198.51.100.4 - - [20/Nov/2026:10:00:00 +0000] \"GET /api/orders?id=1 HTTP/1.1\" 502 0 \"-\" \"curl/8.5\"
//! 198.51.100.4 - - [20/Nov/2026:10:00:01 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"curl/8.5\"
//! ";
//! let stats = scanner.scan_bytes(&AccessAnalyzer::new(LogFormat::Combined), access);
//! assert_eq!(stats.status.get(502), 1);
//! assert_eq!(stats.paths_5xx.get(b"/api/orders"), 1);
//!
//! let report = stats.report(10);
//! assert_eq!(serde_json::to_value(&report)?["top_ips"][0]["count"], 2);
//! println!("{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Files are scanned with [`Scanner::scan`], which opens every input before
//! reading any, so a missing file is an error naming it:
//!
//! ```no_run
//! use ops_logscan::{AuthAnalyzer, Input, Scanner};
//!
//! let inputs = [Input::from("/var/log/auth.log"), Input::from("/var/log/auth.log.2.gz")];
//! let stats = Scanner::new().scan(&AuthAnalyzer::new(), &inputs)?;
//! println!("{}", stats.report(10));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `gzip` (default): transparent decompression of gzip inputs (flate2
//!   with the pure-Rust zlib-rs backend).
//! - `json` (default): the JSON-lines access-log format
//!   ([`LogFormat::Json`]).
//! - `mmap` (default): regular files are memory-mapped instead of copied
//!   into read buffers ([`MemoryMap`]), in one module of `unsafe` calls
//!   (mapping, and releasing the pages of a part once it is scanned).
//! - `simd` (default): on x86-64, the fast paths of `auth --ips` and of
//!   combined access logs find the fields of a line with SSE2 byte masks
//!   (one module of `unsafe` SIMD loads); without it, the same masks are
//!   computed a word at a time.
//!
//! Without `mmap` and `simd`, the crate forbids `unsafe` code.

// The only `unsafe` is mapping files, in `mmap.rs`, and SIMD loads, in
// `simd.rs`, each behind its feature; without both there is none.
#![cfg_attr(not(any(feature = "mmap", feature = "simd")), forbid(unsafe_code))]
#![cfg_attr(any(feature = "mmap", feature = "simd"), deny(unsafe_code))]
#![warn(missing_docs)]
// Bad input is an `Err`, never a panic; tests may unwrap.
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
    AuthAnalyzer, AuthAnalyzerBuilder, AuthEvent, AuthFocus, AuthKind, AuthReport, AuthStats,
    ClassicTime, FailedIp, FailedUser, LogTime, parse_auth_line,
};
pub use crate::error::Error;
pub use crate::lines::{Line, for_each_line};
pub use crate::scan::{Analyzer, MemoryMap, Progress, Scanner, ScannerBuilder};
pub use crate::source::Input;
pub use crate::time::{
    TimeRange, format_minute, parse_clf, parse_iso8601, parse_syslog, parse_time_arg,
};

mod access;
mod aggregate;
mod auth;
mod error;
mod lines;
#[cfg(feature = "mmap")]
mod mmap;
mod scan;
mod search;
mod simd;
mod source;
mod time;
