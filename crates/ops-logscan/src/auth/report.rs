//! The auth-log state, its merge, and the report made from it.

use std::borrow::Cow;
use std::fmt;

use ops_table::{Align, Table};
use serde::{Deserialize, Serialize};

use super::parse::{AuthKind, MessageEvent};
use crate::{Aggregate, KeyCounts, LineRef, LineSamples, Totals, escape_bytes};

/// What an [`AuthAnalyzer`](crate::AuthAnalyzer) counts.
///
/// Every counter covers the lines inside the analyzer's time range only,
/// except `totals` (every line) and `filtered`. Counters saturate at
/// `u64::MAX` rather than wrap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuthStats {
    /// Lines, bytes and oversized lines of the whole input, sshd or not.
    pub totals: Totals,
    /// Lines from the program `sshd` with a well-formed syslog header,
    /// inside the time range.
    pub sshd_lines: u64,
    /// sshd lines left out by the time range: outside it, or with a classic
    /// timestamp whose day does not exist in the analyzer's year. Always 0
    /// without a range.
    pub filtered: u64,
    /// Failed logins; a `message repeated N times` failure counts N.
    pub failed: u64,
    /// The part of `failed` whose user does not exist (`for invalid user`).
    pub failed_invalid_user: u64,
    /// Failed logins by client address.
    pub failed_by_ip: KeyCounts,
    /// Failed logins by user name (existing or not).
    pub failed_by_user: KeyCounts,
    /// Failed logins by method (`password`, `publickey`, `none`, ...).
    pub failed_by_method: KeyCounts,
    /// `Invalid user USER from IP` lines.
    pub invalid_user: u64,
    /// Invalid-user lines by client address.
    pub invalid_user_by_ip: KeyCounts,
    /// Invalid-user lines by the user name tried.
    pub invalid_user_names: KeyCounts,
    /// Accepted logins.
    pub accepted: u64,
    /// Accepted logins by user name.
    pub accepted_by_user: KeyCounts,
    /// Accepted logins by client address.
    pub accepted_by_ip: KeyCounts,
    /// sshd lines that begin like one of the parsed forms but do not follow
    /// it: a failure with an invalid address or without a port, `message
    /// repeated 0 times`, ... They are counted nowhere else.
    pub malformed: u64,
    /// Where the first few malformed lines are.
    pub malformed_lines: LineSamples,
}

impl AuthStats {
    /// The addresses with at least one failed login, sorted by their bytes
    /// (as `sort -u` sorts them under `LC_ALL=C`).
    pub fn failed_ips(&self) -> Vec<&[u8]> {
        self.failed_by_ip.sorted_keys()
    }

    /// A summary with the `top` addresses and users by failed logins.
    pub fn report(&self, top: usize) -> AuthReport {
        let top_ips = self.failed_by_ip.top(top);
        let top_users = self.failed_by_user.top(top);
        AuthReport {
            lines: self.totals.lines,
            failed: self.failed,
            unique_ips: self.failed_by_ip.len() as u64,
            top: top_ips
                .into_iter()
                .map(|(ip, count)| FailedIp {
                    ip: escape_bytes(ip),
                    count,
                })
                .collect(),
            bytes: self.totals.bytes,
            oversized: self.totals.oversized,
            invalid_user: self.invalid_user,
            accepted: self.accepted,
            top_users: top_users
                .into_iter()
                .map(|(user, count)| FailedUser {
                    user: escape_bytes(user),
                    count,
                })
                .collect(),
            filtered: self.filtered,
            sshd_lines: self.sshd_lines,
            failed_invalid_user: self.failed_invalid_user,
            unique_users: self.failed_by_user.len() as u64,
            malformed: self.malformed,
            malformed_lines: self.malformed_lines.as_slice().to_vec(),
        }
    }

    /// Counts one event.
    #[inline]
    /// Records `e` if it is a failure, in `failed` and `failed_by_ip` only
    /// ([`AuthFocus::FailedIps`](crate::AuthFocus::FailedIps)).
    pub(crate) fn record_failed_ip(&mut self, e: &MessageEvent<'_>) {
        if let AuthKind::Failed { count, .. } = e.kind {
            self.failed = self.failed.saturating_add(count);
            self.failed_by_ip.add(e.ip, count);
        }
    }

    pub(crate) fn record(&mut self, e: &MessageEvent<'_>) {
        match e.kind {
            AuthKind::Failed {
                method,
                invalid_user,
                count,
            } => {
                self.failed = self.failed.saturating_add(count);
                if invalid_user {
                    self.failed_invalid_user = self.failed_invalid_user.saturating_add(count);
                }
                self.failed_by_ip.add(e.ip, count);
                self.failed_by_user.add(e.user, count);
                self.failed_by_method.add(method, count);
            }
            AuthKind::InvalidUser => {
                self.invalid_user = self.invalid_user.saturating_add(1);
                self.invalid_user_by_ip.add(e.ip, 1);
                self.invalid_user_names.add(e.user, 1);
            }
            AuthKind::Accepted { .. } => {
                self.accepted = self.accepted.saturating_add(1);
                self.accepted_by_user.add(e.user, 1);
                self.accepted_by_ip.add(e.ip, 1);
            }
        }
    }
}

impl Aggregate for AuthStats {
    fn totals(&self) -> &Totals {
        &self.totals
    }

    fn totals_mut(&mut self) -> &mut Totals {
        &mut self.totals
    }

    fn merge(&mut self, later: Self) {
        // Destructured so that a new field cannot be forgotten here.
        let AuthStats {
            totals,
            sshd_lines,
            filtered,
            failed,
            failed_invalid_user,
            failed_by_ip,
            failed_by_user,
            failed_by_method,
            invalid_user,
            invalid_user_by_ip,
            invalid_user_names,
            accepted,
            accepted_by_user,
            accepted_by_ip,
            malformed,
            malformed_lines,
        } = later;
        // Line references of `later` count from its own first line.
        self.malformed_lines
            .merge(malformed_lines, self.totals.lines);
        self.totals.add(&totals);
        for (mine, theirs) in [
            (&mut self.sshd_lines, sshd_lines),
            (&mut self.filtered, filtered),
            (&mut self.failed, failed),
            (&mut self.failed_invalid_user, failed_invalid_user),
            (&mut self.invalid_user, invalid_user),
            (&mut self.accepted, accepted),
            (&mut self.malformed, malformed),
        ] {
            *mine = mine.saturating_add(theirs);
        }
        self.failed_by_ip.merge(failed_by_ip);
        self.failed_by_user.merge(failed_by_user);
        self.failed_by_method.merge(failed_by_method);
        self.invalid_user_by_ip.merge(invalid_user_by_ip);
        self.invalid_user_names.merge(invalid_user_names);
        self.accepted_by_user.merge(accepted_by_user);
        self.accepted_by_ip.merge(accepted_by_ip);
    }

    fn attribute(&mut self, source: &str) {
        self.malformed_lines.attribute(source);
    }
}

/// A summary of [`AuthStats`], made by [`AuthStats::report`].
///
/// Serialized (with serde) as one flat object: `lines`, `failed`,
/// `unique_ips`, `top` (`[{"ip", "count"}]`), `bytes`, `oversized`,
/// `invalid_user`, `accepted`, `top_users` (`[{"user", "count"}]`),
/// `filtered`, `sshd_lines`, `failed_invalid_user`, `unique_users`,
/// `malformed` and `malformed_lines`.
///
/// Addresses and user names are raw bytes in the log; here they are text
/// made by [`escape_bytes`]: UTF-8 as is, other bytes as `\xNN` and a
/// backslash as `\\`, so that nothing is lost and two different names never
/// look alike ([`unescape_bytes`](crate::unescape_bytes) gives the bytes
/// back). [`Display`](fmt::Display) also shows control characters as
/// `\xNN`, so that a user name cannot drive the terminal, and the empty
/// user name as `(empty)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthReport {
    /// Lines read.
    pub lines: u64,
    /// Failed logins.
    pub failed: u64,
    /// Distinct addresses with failed logins.
    pub unique_ips: u64,
    /// The addresses with the most failed logins: by count descending, then
    /// by address bytes.
    pub top: Vec<FailedIp>,
    /// Bytes read.
    pub bytes: u64,
    /// Lines over the length limit, not parsed.
    pub oversized: u64,
    /// `Invalid user` lines.
    pub invalid_user: u64,
    /// Accepted logins.
    pub accepted: u64,
    /// The users with the most failed logins, ordered as `top`.
    pub top_users: Vec<FailedUser>,
    /// sshd lines left out by the time range.
    pub filtered: u64,
    /// sshd lines inside the time range.
    pub sshd_lines: u64,
    /// Failed logins of users that do not exist.
    pub failed_invalid_user: u64,
    /// Distinct user names with failed logins.
    pub unique_users: u64,
    /// sshd lines that look like a parsed form but do not follow it.
    pub malformed: u64,
    /// Where the first few malformed lines are.
    pub malformed_lines: Vec<LineRef>,
}

/// An address and its failed logins, in an [`AuthReport`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FailedIp {
    /// The address, escaped as [`escape_bytes`] does.
    pub ip: String,
    /// Failed logins from it.
    pub count: u64,
}

/// A user name and its failed logins, in an [`AuthReport`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FailedUser {
    /// The user name, escaped as [`escape_bytes`] does.
    pub user: String,
    /// Failed logins for it.
    pub count: u64,
}

impl fmt::Display for AuthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} lines, {} bytes ({} oversized); {} sshd lines, {} outside the time range",
            self.lines, self.bytes, self.oversized, self.sshd_lines, self.filtered
        )?;
        writeln!(
            f,
            "failed logins: {} ({} for invalid users) from {} addresses, {} user names",
            self.failed, self.failed_invalid_user, self.unique_ips, self.unique_users
        )?;
        writeln!(
            f,
            "invalid users: {}; accepted logins: {}",
            self.invalid_user, self.accepted
        )?;
        if self.malformed > 0 {
            write!(f, "malformed sshd lines: {}", self.malformed)?;
            let mut sep = ", first at ";
            for r in &self.malformed_lines {
                write!(f, "{sep}{}", printable(&r.to_string()))?;
                sep = ", ";
            }
            writeln!(f)?;
        }
        if !self.top.is_empty() {
            let mut t = Table::new(&[("ip", Align::Left), ("failed", Align::Right)]);
            for e in &self.top {
                t.row([printable(&e.ip).into_owned(), e.count.to_string()]);
            }
            write!(f, "\ntop addresses by failed logins\n{t}")?;
        }
        if !self.top_users.is_empty() {
            let mut t = Table::new(&[("user", Align::Left), ("failed", Align::Right)]);
            for e in &self.top_users {
                let user = match e.user.as_str() {
                    "" => Cow::Borrowed("(empty)"),
                    u => printable(u),
                };
                t.row([user.into_owned(), e.count.to_string()]);
            }
            write!(f, "\ntop users by failed logins\n{t}")?;
        }
        Ok(())
    }
}

/// Text safe to print on a terminal: control characters (and the Unicode
/// controls that reorder text) written as `\xNN` or `\u{NNNN}`.
fn printable(s: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if c.is_ascii() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_only() {
        assert_eq!(printable("root"), "root");
        assert_eq!(printable("é\\x41"), "é\\x41");
        assert_eq!(printable("a\u{1b}[31mb\0"), "a\\x1b[31mb\\x00");
        assert_eq!(printable("x\u{202e}y\u{85}"), "x\\u{202e}y\\u{0085}");
    }
}
