//! The sshd line parser: syslog header, then one of four message forms.
//!
//! Everything here works on bytes and borrows from the line: no allocation,
//! no UTF-8 validation beyond the few bytes of an IP address. Each step is a
//! small function so that a later block-level fast path can reuse them.

use std::net::Ipv6Addr;

use crate::time::{civil_from_days, days_from_civil, month_from_abbrev, parse_iso8601, parse_u64};

/// One sshd authentication event, borrowed from its line.
///
/// Made by [`parse_auth_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthEvent<'a> {
    /// When it happened, as written in the syslog header.
    pub timestamp: LogTime,
    /// The host field of the syslog header.
    pub host: &'a [u8],
    /// What happened.
    pub kind: AuthKind<'a>,
    /// The user name, exactly as logged: it may be empty, hold spaces, NUL
    /// or bytes that are not UTF-8. For a failure of an invalid user, the
    /// `invalid user ` prefix is not part of it.
    pub user: &'a [u8],
    /// The client address as written (a valid IPv4 or IPv6 address).
    pub ip: &'a [u8],
}

/// The kind of an [`AuthEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthKind<'a> {
    /// `Failed METHOD for [invalid user ]USER from IP port PORT`, or the
    /// same inside `message repeated N times: [ ... ]`.
    Failed {
        /// The authentication method: `password`, `publickey`, `none`,
        /// `keyboard-interactive/pam`, ...
        method: &'a [u8],
        /// Whether sshd wrote `for invalid user USER`: the account does not
        /// exist.
        invalid_user: bool,
        /// How many failures the line stands for: 1, or N for a `message
        /// repeated N times` line (never 0).
        count: u64,
    },
    /// `Invalid user USER from IP[ port PORT]`: a connection naming an
    /// account that does not exist.
    InvalidUser,
    /// `Accepted METHOD for USER from IP port PORT`: a successful login.
    Accepted {
        /// The authentication method.
        method: &'a [u8],
    },
}

/// A syslog timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogTime {
    /// A classic `Mar  2 10:00:00` timestamp, which has no year and no zone.
    Classic(ClassicTime),
    /// An ISO-8601 timestamp (`2026-11-20T10:00:00.123+00:00`), as Unix
    /// seconds (UTC).
    Unix(i64),
}

impl LogTime {
    /// Unix seconds, reading a classic timestamp in `year` as UTC. `None`
    /// when the date does not exist in that year (`Feb 29` of 2026).
    pub fn to_unix(self, year: i32) -> Option<i64> {
        match self {
            LogTime::Classic(c) => c.to_unix(year),
            LogTime::Unix(t) => Some(t),
        }
    }
}

/// The parts of a classic syslog timestamp, each within its usual range
/// (day 1-31, second 0-60); whether the day exists depends on the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassicTime {
    /// 1-12.
    pub month: u8,
    /// 1-31.
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    /// 0-59.
    pub minute: u8,
    /// 0-60 (a leap second).
    pub second: u8,
}

impl ClassicTime {
    /// Unix seconds of this time in `year`, as UTC; `None` when the day
    /// does not exist in that month of that year.
    pub fn to_unix(self, year: i32) -> Option<i64> {
        let (y, m, d) = (i64::from(year), u32::from(self.month), u32::from(self.day));
        let days = days_from_civil(y, m, d);
        // Day 31 of a 30-day month comes back as the 1st of the next one.
        if civil_from_days(days) != (y, m, d) {
            return None;
        }
        let secs = i64::from(self.hour) * 3600 + i64::from(self.minute) * 60;
        Some(days * 86_400 + secs + i64::from(self.second))
    }
}

/// Parses one log line (without its line terminator) as an sshd
/// authentication event.
///
/// The line must be `TIMESTAMP HOST PROG[[PID]]: MSG` with a classic
/// (`Mar  2 10:00:00`) or ISO-8601 timestamp, and the program exactly
/// `sshd`. MSG must be one of:
///
/// - `Failed METHOD for [invalid user ]USER from IP port PORT[ REST]`
/// - `message repeated N times: [ Failed ... ]`, standing for N failures
/// - `Invalid user USER from IP[ port PORT[ REST]]`
/// - `Accepted METHOD for USER from IP port PORT[ REST]`
///
/// USER may be empty or contain spaces and the word `from`: the split is at
/// the rightmost ` from ` followed by a valid IP address, then (where the
/// form has one) ` port ` and digits, then the end of the line or a space.
///
/// Returns `None` for anything else: other programs (`sudo`, `sshd-keygen`),
/// other sshd messages, and malformed forms (an invalid IP, no port,
/// `repeated 0 times`). A timestamp that is neither form makes the line
/// not a syslog line at all. Never panics, whatever the bytes.
///
/// ```
/// use ops_logscan::{AuthKind, parse_auth_line};
///
/// let line = b"Mar  2 10:00:00 web1 sshd[7]: Failed password for invalid user  from ::1 port 22 ssh2";
/// let event = parse_auth_line(line).ok_or("not an auth event")?;
/// assert_eq!(event.user, b"");
/// assert_eq!(event.ip, b"::1");
/// assert!(matches!(event.kind, AuthKind::Failed { invalid_user: true, count: 1, .. }));
/// assert_eq!(parse_auth_line(b"Mar  2 10:00:00 web1 sudo: Failed password for root from ::1 port 22"), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_auth_line(line: &[u8]) -> Option<AuthEvent<'_>> {
    let header = parse_header(line)?;
    match parse_message(header.message) {
        Message::Event(e) => Some(AuthEvent {
            timestamp: header.timestamp,
            host: header.host,
            kind: e.kind,
            user: e.user,
            ip: e.ip,
        }),
        Message::Malformed | Message::Other => None,
    }
}

/// The syslog header of an sshd line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub(crate) timestamp: LogTime,
    pub(crate) host: &'a [u8],
    pub(crate) message: &'a [u8],
}

/// Splits the syslog header of a line from program `sshd`; `None` for any
/// other program or a line that is not syslog.
///
/// The program is checked before the timestamp is parsed, so that the
/// common case, a line from another program, costs a few comparisons and
/// one `memchr`.
#[inline]
pub(crate) fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let ts_len = timestamp_len(line)?;
    let after_ts = line.get(ts_len + 1..)?;
    let host_len = memchr::memchr(b' ', after_ts)?;
    if host_len == 0 {
        return None;
    }
    let message = sshd_message(&after_ts[host_len + 1..])?;
    let timestamp = parse_timestamp(&line[..ts_len])?;
    Some(Header {
        timestamp,
        host: &after_ts[..host_len],
        message,
    })
}

/// Length of the timestamp at the start of `line`, judged by its shape
/// only: 15 for a classic one, up to the first space for an ISO one. The
/// byte after it is a space.
#[inline]
fn timestamp_len(line: &[u8]) -> Option<usize> {
    let classic = line.len() > 15
        && line[3] == b' '
        && line[6] == b' '
        && line[9] == b':'
        && line[12] == b':'
        && line[15] == b' ';
    if classic {
        return Some(15);
    }
    if line.first().is_some_and(u8::is_ascii_digit) && line.get(4) == Some(&b'-') {
        return memchr::memchr(b' ', line);
    }
    None
}

/// Parses the timestamp found by [`timestamp_len`].
fn parse_timestamp(ts: &[u8]) -> Option<LogTime> {
    if ts.len() == 15 && ts[3] == b' ' {
        return parse_classic(ts).map(LogTime::Classic);
    }
    match parse_iso8601(ts) {
        Some((t, n)) if n == ts.len() => Some(LogTime::Unix(t)),
        _ => None,
    }
}

/// `Mar  2 10:00:00` or `Mar 02 10:00:00`.
pub(super) fn parse_classic(ts: &[u8]) -> Option<ClassicTime> {
    let two = |a: u8, b: u8| -> Option<u8> {
        let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
        (a <= 9 && b <= 9).then(|| a * 10 + b)
    };
    let month = month_from_abbrev(&ts[0..3])?;
    let day = match ts[4] {
        b' ' => two(b'0', ts[5])?,
        d => two(d, ts[5])?,
    };
    let t = ClassicTime {
        month: u8::try_from(month).ok()?,
        day,
        hour: two(ts[7], ts[8])?,
        minute: two(ts[10], ts[11])?,
        second: two(ts[13], ts[14])?,
    };
    let ok = (1..=31).contains(&t.day) && t.hour <= 23 && t.minute <= 59 && t.second <= 60;
    ok.then_some(t)
}

/// The message of `sshd: MSG` or `sshd[PID]: MSG`; `None` for any other
/// program (`sshd-keygen`, `sshdx`, `sshd(pam_unix)[1]`).
#[inline]
fn sshd_message(rest: &[u8]) -> Option<&[u8]> {
    let after = rest.strip_prefix(b"sshd")?;
    let after = match after.strip_prefix(b"[") {
        Some(pid) => {
            let digits = pid.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            pid[digits..].strip_prefix(b"]")?
        }
        None => after,
    };
    after.strip_prefix(b": ")
}

/// What an sshd message says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Message<'a> {
    /// One of the four forms.
    Event(MessageEvent<'a>),
    /// It starts like one of the forms but does not follow it: a failure
    /// with an invalid IP or no port, `message repeated 0 times`, ...
    Malformed,
    /// Any other sshd message.
    Other,
}

/// An event without its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MessageEvent<'a> {
    pub(crate) kind: AuthKind<'a>,
    pub(crate) user: &'a [u8],
    pub(crate) ip: &'a [u8],
}

/// Classifies and parses an sshd message.
#[inline]
pub(crate) fn parse_message(msg: &[u8]) -> Message<'_> {
    let parsed = match msg.first() {
        Some(b'F') => match msg.strip_prefix(b"Failed ") {
            Some(rest) => parse_failed(rest, 1),
            None => return Message::Other,
        },
        Some(b'm') => match msg.strip_prefix(b"message repeated ") {
            Some(rest) => return parse_repeated(rest),
            None => return Message::Other,
        },
        Some(b'I') => match msg.strip_prefix(b"Invalid user ") {
            Some(rest) => parse_invalid_user(rest),
            None => return Message::Other,
        },
        Some(b'A') => match msg.strip_prefix(b"Accepted ") {
            Some(rest) => parse_accepted(rest),
            None => return Message::Other,
        },
        _ => return Message::Other,
    };
    parsed.map_or(Message::Malformed, Message::Event)
}

/// `METHOD for [invalid user ]USER from IP port PORT[ REST]`, after
/// `Failed `.
fn parse_failed(rest: &[u8], count: u64) -> Option<MessageEvent<'_>> {
    let (method, rest) = method_for(rest)?;
    let (user, ip) = split_user_ip(rest, Port::Required)?;
    let (user, invalid_user) = match user.strip_prefix(b"invalid user ") {
        Some(u) => (u, true),
        None => (user, false),
    };
    Some(MessageEvent {
        kind: AuthKind::Failed {
            method,
            invalid_user,
            count,
        },
        user,
        ip,
    })
}

/// `N times: [ Failed ... ]`, after `message repeated `. Only repeated
/// failures are events; other repeated messages are [`Message::Other`].
fn parse_repeated(rest: &[u8]) -> Message<'_> {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let Some(inner) = rest[digits..]
        .strip_prefix(b" times: [ ")
        .and_then(|r| r.strip_suffix(b"]"))
    else {
        return Message::Other;
    };
    let Some(failed) = inner.strip_prefix(b"Failed ") else {
        return Message::Other;
    };
    match parse_count(&rest[..digits]) {
        Some(n) => parse_failed(failed, n).map_or(Message::Malformed, Message::Event),
        None => Message::Malformed,
    }
}

/// A repeat count: 1 or more, without overflow.
fn parse_count(digits: &[u8]) -> Option<u64> {
    parse_u64(digits).filter(|&n| n > 0)
}

/// `USER from IP[ port PORT[ REST]]`, after `Invalid user `.
fn parse_invalid_user(rest: &[u8]) -> Option<MessageEvent<'_>> {
    let (user, ip) = split_user_ip(rest, Port::Optional)?;
    Some(MessageEvent {
        kind: AuthKind::InvalidUser,
        user,
        ip,
    })
}

/// `METHOD for USER from IP port PORT[ REST]`, after `Accepted `.
fn parse_accepted(rest: &[u8]) -> Option<MessageEvent<'_>> {
    let (method, rest) = method_for(rest)?;
    let (user, ip) = split_user_ip(rest, Port::Required)?;
    Some(MessageEvent {
        kind: AuthKind::Accepted { method },
        user,
        ip,
    })
}

/// `METHOD for ` then the rest: a non-empty method without spaces.
fn method_for(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(b' ', rest)?;
    if end == 0 {
        return None;
    }
    let after = rest[end..].strip_prefix(b" for ")?;
    Some((&rest[..end], after))
}

/// Whether ` port PORT` must follow the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Port {
    Required,
    Optional,
}

/// Splits `USER from IP port PORT[ REST]` at the rightmost ` from ` whose
/// tail is well formed, so that user names holding spaces or ` from ` are
/// kept whole. Returns the user and the address.
fn split_user_ip(rest: &[u8], port: Port) -> Option<(&[u8], &[u8])> {
    // Candidates are found by their `f`, right to left; ` from ` is rare
    // enough in a line that this loop runs once or twice.
    let mut end = rest.len();
    while let Some(f) = memchr::memrchr(b'f', &rest[..end]) {
        end = f;
        if f == 0 || rest[f - 1] != b' ' {
            continue;
        }
        let Some(tail) = rest[f..].strip_prefix(b"from ") else {
            continue;
        };
        if let Some(ip) = address_then_port(tail, port) {
            return Some((&rest[..f - 1], ip));
        }
    }
    None
}

/// `IP port PORT` then the end or a space (or, with [`Port::Optional`],
/// `IP` alone at the end); returns the address.
#[inline]
pub(super) fn address_then_port(tail: &[u8], port: Port) -> Option<&[u8]> {
    let ip_len = crate::search::find(b' ', tail).unwrap_or(tail.len());
    let (ip, after) = tail.split_at(ip_len);
    if !is_ip(ip) {
        return None;
    }
    if after.is_empty() && port == Port::Optional {
        return Some(ip);
    }
    let digits_etc = after.strip_prefix(b" port ")?;
    let digits = digits_etc.iter().take_while(|b| b.is_ascii_digit()).count();
    let ok = digits > 0 && matches!(digits_etc.get(digits), None | Some(b' '));
    ok.then_some(ip)
}

/// Whether `b` is an IPv4 or IPv6 address, as the standard library reads
/// them.
#[inline]
fn is_ip(b: &[u8]) -> bool {
    if b.is_empty() || b.len() > MAX_IP_LEN {
        return false;
    }
    // A text holding `:` is never IPv4, so the common case, IPv4, is
    // checked first, without looking for one.
    is_ipv4(b)
        || (b.contains(&b':')
            && std::str::from_utf8(b).is_ok_and(|s| s.parse::<Ipv6Addr>().is_ok()))
}

/// The length of the longest address text,
/// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`: longer tokens are not
/// worth validating.
const MAX_IP_LEN: usize = 45;

/// Whether `b` is an IPv4 address exactly as `Ipv4Addr::from_str` accepts
/// it: four decimal octets of 1 to 3 ASCII digits, each at most 255,
/// separated by dots, with no leading zero (`0` is fine, `01` is not).
///
/// The standard parser, behind a UTF-8 check, was a fifth of the cost of a
/// failure line; this one reads each byte once.
#[inline]
pub(crate) fn is_ipv4(b: &[u8]) -> bool {
    let mut octets = 0;
    let mut i = 0;
    loop {
        let start = i;
        let mut value = 0u32;
        while i < b.len() && i - start < 4 {
            let d = b[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            value = value * 10 + u32::from(d);
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || digits > 3 || value > 255 || (digits > 1 && b[start] == b'0') {
            return false;
        }
        octets += 1;
        if octets == 4 {
            return i == b.len();
        }
        if b.get(i) != Some(&b'.') {
            return false;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "Mar 27 13:06:56 ip-10-77-20-248 sshd[1291]: ";

    fn line(msg: &str) -> Vec<u8> {
        format!("{H}{msg}").into_bytes()
    }

    fn failed(line: &[u8]) -> Option<FailedParts> {
        let e = parse_auth_line(line)?;
        match e.kind {
            AuthKind::Failed {
                method,
                invalid_user,
                count,
            } => Some((
                method.to_vec(),
                e.user.to_vec(),
                e.ip.to_vec(),
                invalid_user,
                count,
            )),
            _ => None,
        }
    }

    fn f(method: &str, user: &[u8], ip: &str, invalid: bool, n: u64) -> Option<FailedParts> {
        Some((
            method.as_bytes().to_vec(),
            user.to_vec(),
            ip.as_bytes().to_vec(),
            invalid,
            n,
        ))
    }

    type FailedParts = (Vec<u8>, Vec<u8>, Vec<u8>, bool, u64);

    #[test]
    fn failed_password_plain_and_invalid_user() {
        assert_eq!(
            failed(&line(
                "Failed password for root from 218.60.136.106 port 56338 ssh2"
            )),
            f("password", b"root", "218.60.136.106", false, 1)
        );
        assert_eq!(
            failed(&line(
                "Failed password for invalid user admin from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"admin", "1.2.3.4", true, 1)
        );
    }

    #[test]
    fn any_method_token() {
        for m in [
            "none",
            "publickey",
            "keyboard-interactive/pam",
            "hostbased",
            "gssapi-with-mic",
        ] {
            let l = line(&format!("Failed {m} for bob from 10.0.0.1 port 1 ssh2"));
            assert_eq!(failed(&l), f(m, b"bob", "10.0.0.1", false, 1), "{m}");
        }
        // A method is one non-empty token.
        assert_eq!(
            failed(&line("Failed  for bob from 10.0.0.1 port 1 ssh2")),
            None
        );
    }

    #[test]
    fn rest_after_port_is_free_but_must_start_with_a_space() {
        assert_eq!(
            failed(&line(
                "Failed publickey for u from 85.245.107.41 port 50690 ssh2: RSA SHA256:aC2UQe4piBfaFw"
            )),
            f("publickey", b"u", "85.245.107.41", false, 1)
        );
        assert_eq!(
            failed(&line("Failed password for u from 1.2.3.4 port 22")),
            f("password", b"u", "1.2.3.4", false, 1)
        );
        assert_eq!(
            failed(&line("Failed password for u from 1.2.3.4 port 22x ssh2")),
            None
        );
    }

    #[test]
    fn empty_user() {
        assert_eq!(
            failed(&line(
                "Failed password for invalid user  from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"", "1.2.3.4", true, 1)
        );
        assert_eq!(
            failed(&line("Failed password for  from 1.2.3.4 port 22 ssh2")),
            f("password", b"", "1.2.3.4", false, 1)
        );
        // One space only: not what sshd writes for an empty user.
        assert_eq!(
            failed(&line("Failed password for from 1.2.3.4 port 22 ssh2")),
            None
        );
    }

    #[test]
    fn user_with_spaces_and_from() {
        assert_eq!(
            failed(&line(
                "Failed password for invalid user john from x port 1 from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"john from x port 1", "1.2.3.4", true, 1)
        );
        assert_eq!(
            failed(&line(
                "Failed password for from from 9.9.9.9 port 1 from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"from from 9.9.9.9 port 1", "1.2.3.4", false, 1)
        );
        // The rightmost ` from ` is in REST but not followed by an address:
        // the one before it wins.
        assert_eq!(
            failed(&line(
                "Failed password for a b from 1.2.3.4 port 22 ssh2 from here"
            )),
            f("password", b"a b", "1.2.3.4", false, 1)
        );
        assert_eq!(
            failed(&line(
                "Failed password for invalid user from from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"from", "1.2.3.4", true, 1)
        );
        // Without the second space, `invalid user` is a (valid) user name.
        assert_eq!(
            failed(&line(
                "Failed password for invalid user from 1.2.3.4 port 22 ssh2"
            )),
            f("password", b"invalid user", "1.2.3.4", false, 1)
        );
    }

    #[test]
    fn ipv6_addresses() {
        for ip in ["::1", "2001:db8::17", "::ffff:10.0.0.1", "fe80::1:2:3:4"] {
            let l = line(&format!("Failed password for root from {ip} port 22 ssh2"));
            assert_eq!(failed(&l), f("password", b"root", ip, false, 1), "{ip}");
        }
    }

    #[test]
    fn invalid_addresses_and_missing_ports_are_not_counted() {
        for msg in [
            "Failed password for root from 1.2.3 port 22 ssh2",
            "Failed password for root from 256.1.1.1 port 22 ssh2",
            "Failed password for root from example.com port 22 ssh2",
            "Failed password for root from fe80::1%eth0 port 22 ssh2",
            "Failed password for root from 1.2.3.4 ssh2",
            "Failed password for root from 1.2.3.4",
            "Failed password for root from 1.2.3.4 port ssh2",
            "Failed password for root from 1.2.3.4 port  22",
            "Failed password for root from  1.2.3.4 port 22",
            "Failed password for root",
            "Failed password",
            "Failed ",
        ] {
            assert_eq!(parse_auth_line(&line(msg)), None, "{msg}");
            assert_eq!(parse_message(msg.as_bytes()), Message::Malformed, "{msg}");
        }
    }

    #[test]
    fn header_variants() {
        let msg = "Failed password for root from 1.2.3.4 port 22 ssh2";
        let want = f("password", b"root", "1.2.3.4", false, 1);
        for header in [
            "Mar  2 10:00:00 h sshd: ",
            "Mar 02 10:00:00 h sshd[1]: ",
            "2026-11-20T10:00:00.123+00:00 h sshd[22]: ",
            "2026-11-20T10:00:00Z h sshd: ",
        ] {
            let l = format!("{header}{msg}");
            assert_eq!(failed(l.as_bytes()), want, "{l}");
        }
        for header in [
            "Mar  2 10:00:00 h sudo: ",
            "Mar  2 10:00:00 h sshd-keygen: ",
            "Mar  2 10:00:00 h sshdx: ",
            "Mar  2 10:00:00 h myapp[77]: ",
            "Mar  2 10:00:00 h sshd(pam_unix)[19939]: ",
            "Mar  2 10:00:00 h sshd[]: ",
            "Mar  2 10:00:00 h sshd[1x]: ",
            "Mar  2 10:00:00 h sshd:",
            "Mar  2 10:00:00 h sshd[1]:",
            "Mar  2 10:00:00  sshd: ",
            "Mar  2 10:00:00 sshd: ",
            "Mar  2 10:00:00 h x sshd: ",
            "Mxr  2 10:00:00 h sshd: ",
            "Mar 32 10:00:00 h sshd: ",
            "Mar  0 10:00:00 h sshd: ",
            "Mar  2 24:00:00 h sshd: ",
            "Mar  2 10:60:00 h sshd: ",
            "Mar  2 10:00:61 h sshd: ",
            "2026-13-20T10:00:00Z h sshd: ",
            "2026-11-20T10:00:00Zjunk h sshd: ",
            "h sshd: ",
            "",
        ] {
            let l = format!("{header}{msg}");
            assert_eq!(parse_auth_line(l.as_bytes()), None, "{l}");
        }
    }

    #[test]
    fn timestamps_and_host() {
        let e = parse_auth_line(b"Nov 20 10:00:00 web-1 sshd: Invalid user x from ::1");
        let e = e.map(|e| (e.timestamp, e.host));
        let t = ClassicTime {
            month: 11,
            day: 20,
            hour: 10,
            minute: 0,
            second: 0,
        };
        assert_eq!(e, Some((LogTime::Classic(t), &b"web-1"[..])));
        assert_eq!(t.to_unix(2026), Some(1_795_168_800));
        let e = parse_auth_line(b"2026-11-20T11:00:00+01:00 h sshd: Invalid user x from ::1");
        assert_eq!(e.map(|e| e.timestamp), Some(LogTime::Unix(1_795_168_800)));
        assert_eq!(LogTime::Unix(5).to_unix(1999), Some(5));
    }

    #[test]
    fn days_that_do_not_exist_in_the_year() {
        let feb29 = ClassicTime {
            month: 2,
            day: 29,
            hour: 0,
            minute: 0,
            second: 0,
        };
        assert_eq!(feb29.to_unix(2026), None);
        assert!(feb29.to_unix(2024).is_some());
        let apr31 = ClassicTime {
            month: 4,
            day: 31,
            ..feb29
        };
        assert_eq!(apr31.to_unix(2026), None);
        // The header still parses: only a time range needs the year.
        let l = b"Feb 29 10:00:00 h sshd: Invalid user x from ::1";
        assert!(parse_auth_line(l).is_some());
    }

    #[test]
    fn repeated_failures_count_n_times() {
        assert_eq!(
            failed(&line(
                "message repeated 5 times: [ Failed password for root from 218.60.136.106 port 56338 ssh2]"
            )),
            f("password", b"root", "218.60.136.106", false, 5)
        );
        assert_eq!(
            failed(&line(
                "message repeated 2 times: [ Failed none for invalid user  from ::1 port 1]"
            )),
            f("none", b"", "::1", true, 2)
        );
        for bad in [
            "message repeated 0 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
            "message repeated 99999999999999999999 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
            "message repeated  times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
            "message repeated 2 times: [ Failed password for root from 1.2.3.4 ssh2]",
        ] {
            assert_eq!(parse_message(bad.as_bytes()), Message::Malformed, "{bad}");
        }
        for other in [
            "message repeated 2 times: [ Failed password for root from 1.2.3.4 port 22 ssh2",
            "message repeated 2 times: [Failed password for root from 1.2.3.4 port 22 ssh2]",
            "message repeated 2 times: [ pam_unix(sshd:auth): check pass; user unknown]",
            "message repeated 2 times: [ Accepted password for root from 1.2.3.4 port 22 ssh2]",
            "message repeated 2 time: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
        ] {
            assert_eq!(parse_message(other.as_bytes()), Message::Other, "{other}");
        }
    }

    #[test]
    fn invalid_user_lines() {
        let iu = |msg: &str| {
            parse_auth_line(&line(msg))
                .filter(|e| e.kind == AuthKind::InvalidUser)
                .map(|e| (e.user.to_vec(), e.ip.to_vec()))
        };
        let want = |u: &[u8], ip: &str| Some((u.to_vec(), ip.as_bytes().to_vec()));
        assert_eq!(
            iu("Invalid user webmaster from 173.234.31.186"),
            want(b"webmaster", "173.234.31.186")
        );
        assert_eq!(
            iu("Invalid user test from 1.2.3.4 port 4242"),
            want(b"test", "1.2.3.4")
        );
        assert_eq!(iu("Invalid user  from ::1"), want(b"", "::1"));
        assert_eq!(
            iu("Invalid user a from b from 2001:db8::1 port 9"),
            want(b"a from b", "2001:db8::1")
        );
        for bad in [
            "Invalid user x from 1.2.3.4 extra",
            "Invalid user x from 1.2.3.400",
            "Invalid user x from 1.2.3.4 port",
            "Invalid user x",
        ] {
            assert_eq!(parse_message(bad.as_bytes()), Message::Malformed, "{bad}");
        }
    }

    #[test]
    fn accepted_lines() {
        let l = line(
            "Accepted publickey for ubuntu from 85.245.107.41 port 54259 ssh2: RSA SHA256:Kl8",
        );
        let e = parse_auth_line(&l).map(|e| (e.kind, e.user, e.ip));
        assert_eq!(
            e,
            Some((
                AuthKind::Accepted {
                    method: b"publickey"
                },
                &b"ubuntu"[..],
                &b"85.245.107.41"[..]
            ))
        );
        assert_eq!(
            parse_message(b"Accepted password for fztu from 119.137.62.142 ssh2"),
            Message::Malformed
        );
    }

    #[test]
    fn other_messages() {
        for msg in [
            "Server listening on 0.0.0.0 port 22.",
            "pam_unix(sshd:auth): authentication failure; rhost=1.2.3.4",
            "input_userauth_request: invalid user webmaster [preauth]",
            "error: maximum authentication attempts exceeded for invalid user support from 95.152.57.58 port 53679 ssh2 [preauth]",
            "Failedpassword for root from 1.2.3.4 port 22",
            "",
        ] {
            assert_eq!(parse_message(msg.as_bytes()), Message::Other, "{msg}");
        }
    }

    #[test]
    fn bytes_in_user_names_are_kept() {
        let mut l = line("Failed password for invalid user ");
        l.extend_from_slice(b"a\0b\xff\xfe c");
        l.extend_from_slice(b" from 1.2.3.4 port 22 ssh2");
        assert_eq!(
            failed(&l),
            f("password", b"a\0b\xff\xfe c", "1.2.3.4", true, 1)
        );
        // Garbage in the address is just an invalid address.
        let l = line("Failed password for root from 1.2.3.\u{e9} port 22");
        assert_eq!(failed(&l), None);
        let mut l = line("Failed password for root from 1.2.3.");
        l.extend_from_slice(b"\xff port 22");
        assert_eq!(failed(&l), None);
    }

    #[test]
    fn ipv4_is_read_as_std_reads_it() {
        let std_ok = |b: &[u8]| {
            std::str::from_utf8(b).is_ok_and(|s| s.parse::<std::net::Ipv4Addr>().is_ok())
        };
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3.4",
            "10.0.0.1",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3.4",
            "1..2.3",
            "01.2.3.4",
            "1.2.3.00",
            "1.2.3.0",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1.2.3.-4",
            "1.2.3.1234",
            "0001.2.3.4",
            "1.2.3.4.5",
            "",
            "1",
            "1.",
            "999.1.1.1",
            "249.250.251.252",
            "25a.1.1.1",
            "1.2.3.\u{e9}",
        ] {
            assert_eq!(is_ipv4(s.as_bytes()), std_ok(s.as_bytes()), "{s:?}");
        }
        // Every string of up to 7 bytes over an alphabet that matters, and
        // the octet values around the limits.
        let alphabet = b"0125.9x";
        let mut buf = Vec::new();
        for len in 0..=7u32 {
            for mut n in 0..7usize.pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(alphabet[n % 7]);
                    n /= 7;
                }
                assert_eq!(
                    is_ipv4(&buf),
                    std_ok(&buf),
                    "{:?}",
                    String::from_utf8_lossy(&buf)
                );
            }
        }
        for a in (0..1100).step_by(7).chain([255, 256, 1000]) {
            for form in [
                format!("{a}.1.1.1"),
                format!("1.1.1.{a}"),
                format!("1.1.1.0{a}"),
            ] {
                assert_eq!(is_ipv4(form.as_bytes()), std_ok(form.as_bytes()), "{form}");
            }
        }
    }

    #[test]
    fn short_and_truncated_lines_do_not_panic() {
        let full = line(
            "message repeated 3 times: [ Failed password for invalid user a from ::1 port 22 ssh2]",
        );
        for n in 0..=full.len() {
            let _ = parse_auth_line(&full[..n]);
        }
        for n in 0..=full.len() {
            let _ = parse_auth_line(&full[n..]);
        }
    }
}
