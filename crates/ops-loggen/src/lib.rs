//! Deterministic generator of realistic log files, for tests and for
//! multi-gigabyte benchmarks of log scanners.
//!
//! [`generate`] writes whole lines of one [`Kind`] to any
//! [`Write`](std::io::Write) until [`GenOptions::size_bytes`] is reached,
//! and returns a [`Summary`]. Options come from the validated
//! [`GenOptionsBuilder`]. The output is a pure function of the options: the
//! same seed gives the same bytes on every platform (the crate has its own
//! PRNG and sampling tables), a different seed gives a different file. It
//! is fast enough (several hundred MB/s) that benchmarks can generate their
//! inputs instead of storing them.
//!
//! # Example
//!
//! ```
//! use ops_loggen::{GenOptions, Kind, Quirks, generate};
//!
//! let opts = GenOptions::builder(Kind::Auth)
//!     .size_bytes(64 * 1024)
//!     .seed(42)
//!     .quirks(Quirks::none())
//!     .build()?;
//! let mut out = Vec::new();
//! let summary = generate(&opts, &mut out)?;
//!
//! assert_eq!(summary.bytes, out.len() as u64);
//! assert!(summary.bytes >= 64 * 1024);
//! assert_eq!(summary.lines, out.iter().filter(|&&b| b == b'\n').count() as u64);
//! assert!(summary.auth_failures > 0);
//!
//! let mut again = Vec::new();
//! generate(&opts, &mut again)?;
//! assert_eq!(out, again);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Auth logs
//!
//! `/var/log/auth.log` of one host as rsyslog writes it:
//!
//! ```text
//! Mar 27 13:06:56 web-01 sshd[1291]: Failed password for root from 218.60.136.106 port 56338 ssh2
//! Mar 27 13:06:57 web-01 CRON[4120]: pam_unix(cron:session): session opened for user root by (uid=0)
//! ```
//!
//! About 27% of plain lines are sshd authentication failures; the rest are
//! other sshd messages (invalid users, disconnects, accepted logins, PAM) and
//! cron, systemd, systemd-logind, sudo and su. Attacker addresses (6000 per
//! file, 4% IPv6 in `2001:db8::/32`) and tried user names follow Zipf laws,
//! so a few attackers make most attempts. Every line counted in
//! [`Summary::auth_failures`] has, after `<host> sshd[<pid>]: `, the form
//!
//! ```text
//! failure  = "Failed " method " for " ["invalid user "] user " from " addr " port " port " ssh2" [key]
//!          | "message repeated " n " times: [ Failed password for " ["invalid user "] user
//!            " from " addr " port " port " ssh2]"
//! method   = "password" | "publickey" | "none" | "keyboard-interactive/pam"
//! key      = ": " ("RSA" | "ECDSA" | "ED25519") " SHA256:" 43 base64 characters   (publickey only)
//! addr     = IPv4 dotted quad | IPv6 in RFC 5952 form
//! port     = 1024..=65535
//! ```
//!
//! Without quirks `user` matches `[a-z0-9_-]+`. With [`Quirks::ODD_USERS`]
//! it may be empty or contain spaces and even `from 10.9.9.9 port 22`, so a
//! robust reader takes the address from the *last* ` from ` of the line.
//!
//! # Access logs
//!
//! nginx/Apache "combined" format:
//!
//! ```text
//! 83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /path HTTP/1.1" 200 203023 "https://www.example.com/" "Mozilla/5.0 ..."
//! ```
//!
//! Clients (20 000 per file, 6% IPv6) and paths (4000, some with query
//! strings) follow Zipf laws; each client mostly keeps one of about 30 user
//! agents. Statuses are about 80% `200`, then `304`, `404`, `301`/`302`, a
//! little `206`, `401`, `403`, `416`, `499`, and 1.4% `5xx`. Empty bodies are
//! logged as `0` or, in Apache-flavoured files, `-`. Without quirks every
//! line has exactly six `"`, and the status is the three digits after the
//! second one.
//!
//! # Quirks
//!
//! [`Quirks`] are off by default, so that `awk` and `grep` agree with a
//! scanner on plain files. Each one is documented on its constant.
//!
//! # Speed
//!
//! Lines are built in a reusable 1 MiB buffer with hand-rolled number
//! formatting, precomputed string tables, O(1) alias-table sampling, and a
//! timestamp re-formatted only when the simulated second changes; see
//! `benches/generate.rs`.

// No unsafe code is needed: everything here is buffer appends and arithmetic.
#![forbid(unsafe_code)]
// Public items are the API of a published crate; each must say what it does.
#![warn(missing_docs)]

pub use crate::error::Error;
pub use crate::generate::{Summary, generate};
pub use crate::options::{GenOptions, GenOptionsBuilder, Kind, Quirks};
pub use crate::size::parse_size;

mod access;
mod alias;
mod auth;
mod clock;
mod error;
mod generate;
mod options;
mod out;
mod population;
mod rng;
mod size;
mod tables;
