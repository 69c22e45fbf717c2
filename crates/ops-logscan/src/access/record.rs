//! One parsed access-log line, borrowed from the line's bytes, and the
//! small number parsers every format shares.

use crate::time::{parse_clf, parse_iso8601, parse_u64};

/// How a timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// The common log format's `10/Oct/2000:13:55:36 -0700` (nginx
    /// `$time_local`, Apache `%t`), without the brackets.
    Clf,
    /// ISO 8601 / RFC 3339, such as nginx `$time_iso8601`
    /// (`2015-05-17T10:05:03+00:00`).
    Iso8601,
    /// Unix seconds, perhaps with a fraction: nginx `$msec`
    /// (`1431857103.123`) or a JSON number.
    UnixSeconds,
}

/// A timestamp as it appears in the line, not yet parsed.
///
/// Parsing is left to the caller, so that a scan can reuse the value of
/// the previous line when the bytes are the same (they usually are: logs
/// are written in time order, many lines a second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawTime<'a> {
    /// The timestamp's bytes, without brackets or quotes.
    pub bytes: &'a [u8],
    /// How they are written.
    pub kind: TimeKind,
}

impl RawTime<'_> {
    /// The time in Unix seconds (UTC, fraction dropped), or `None` when the
    /// bytes are not a valid timestamp of their kind.
    pub fn unix_seconds(&self) -> Option<i64> {
        match self.kind {
            TimeKind::Clf => parse_clf(self.bytes),
            TimeKind::Iso8601 => match parse_iso8601(self.bytes) {
                Some((t, n)) if n == self.bytes.len() => Some(t),
                _ => None,
            },
            TimeKind::UnixSeconds => parse_unix_seconds(self.bytes),
        }
    }
}

/// The request as logged: one request line (`GET /a?b HTTP/1.1`), or its
/// method and URI in separate fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum Request<'a> {
    /// The format has no request field, or it was `-`.
    #[default]
    Absent,
    /// A whole request line, split on demand.
    Line(&'a [u8]),
    /// Method and URI logged separately (nginx `$request_method`,
    /// `$request_uri`), each perhaps absent.
    Parts {
        method: Option<&'a [u8]>,
        target: Option<&'a [u8]>,
    },
}

/// One access-log line, parsed by [`LogFormat::parse_line`](crate::LogFormat::parse_line).
///
/// Every field borrows from the line: parsing allocates nothing. Fields the
/// format does not log, or that hold `-`, are `None`. The request line is
/// split into method and target only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccessRecord<'a> {
    pub(crate) client: Option<&'a [u8]>,
    pub(crate) time: Option<RawTime<'a>>,
    pub(crate) request: Request<'a>,
    pub(crate) status: u16,
    pub(crate) bytes_sent: Option<u64>,
    pub(crate) latency_micros: Option<u64>,
}

impl<'a> AccessRecord<'a> {
    /// A record with only a status; the parsers fill in the rest.
    pub(crate) fn with_status(status: u16) -> Self {
        AccessRecord {
            client: None,
            time: None,
            request: Request::Absent,
            status,
            bytes_sent: None,
            latency_micros: None,
        }
    }

    /// The client address (Apache `%h`, nginx `$remote_addr`; for
    /// `$http_x_forwarded_for`, the first address of the list).
    pub fn client(&self) -> Option<&'a [u8]> {
        self.client
    }

    /// The request's timestamp, unparsed.
    pub fn time(&self) -> Option<RawTime<'a>> {
        self.time
    }

    /// The whole request line (`GET /a?b HTTP/1.1`) when the format logs
    /// one and it is not `-`.
    pub fn request_line(&self) -> Option<&'a [u8]> {
        match self.request {
            Request::Line(l) => Some(l),
            _ => None,
        }
    }

    /// The request method (`GET`); `None` for a request line that is not
    /// `METHOD TARGET [PROTOCOL]`, such as a TLS handshake sent to a plain
    /// HTTP port.
    pub fn method(&self) -> Option<&'a [u8]> {
        match self.request {
            Request::Absent => None,
            Request::Line(l) => split_request(l).map(|(m, _)| m),
            Request::Parts { method, .. } => method,
        }
    }

    /// The request target, query string included (`/a?b`).
    pub fn target(&self) -> Option<&'a [u8]> {
        match self.request {
            Request::Absent => None,
            Request::Line(l) => split_request(l).map(|(_, t)| t),
            Request::Parts { target, .. } => target,
        }
    }

    /// The request path: the target without its query string (`/a`).
    pub fn path(&self) -> Option<&'a [u8]> {
        let t = self.target()?;
        Some(match memchr::memchr(b'?', t) {
            Some(i) => &t[..i],
            None => t,
        })
    }

    /// The response status, `100..=999`.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Response bytes sent (`None` for `-`, or when not logged).
    pub fn bytes_sent(&self) -> Option<u64> {
        self.bytes_sent
    }

    /// How long the request took, in microseconds, when the format logs it.
    pub fn latency_micros(&self) -> Option<u64> {
        self.latency_micros
    }
}

/// Splits `METHOD TARGET [PROTOCOL]` into method and target.
///
/// The method must be a plain token (letters, `-`, `_`), so that binary
/// junk is not mistaken for one. A target holding spaces (some clients send
/// them unescaped) runs up to the last ` HTTP/`.
pub(crate) fn split_request(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = memchr::memchr(b' ', line)?;
    let (method, rest) = (&line[..sp], &line[sp + 1..]);
    if method.is_empty()
        || !method
            .iter()
            .all(|&c| c.is_ascii_alphabetic() || c == b'-' || c == b'_')
    {
        return None;
    }
    let target = match memchr::memrchr(b' ', rest) {
        Some(i) if rest[i + 1..].starts_with(b"HTTP/") => &rest[..i],
        _ => rest,
    };
    if target.is_empty() {
        None
    } else {
        Some((method, target))
    }
}

/// A status: exactly three ASCII digits, `100..=999`.
#[inline]
pub(crate) fn parse_status(b: &[u8]) -> Option<u16> {
    match *b {
        [a @ b'1'..=b'9', c @ b'0'..=b'9', d @ b'0'..=b'9'] => {
            Some(u16::from(a - b'0') * 100 + u16::from(c - b'0') * 10 + u16::from(d - b'0'))
        }
        _ => None,
    }
}

/// A byte count: digits, or `-` for none. `Err` for anything else,
/// overflow included.
#[inline]
pub(crate) fn parse_bytes_field(b: &[u8]) -> Result<Option<u64>, ()> {
    if b == b"-" {
        return Ok(None);
    }
    parse_u64(b).map(Some).ok_or(())
}

/// Seconds such as `0.123`, `12`, `1.5e-3`, as whole microseconds
/// (further digits are dropped). `None` for anything else, negative
/// values and absurd ones (over a million years) included.
pub(crate) fn parse_seconds_micros(b: &[u8]) -> Option<u64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.len() <= 12
        && frac.iter().all(u8::is_ascii_digit)
        && let Some(secs) = parse_u64(int)
    {
        let mut micros: u64 = 0;
        for i in 0..6 {
            let d = frac.get(i).map_or(0, |c| c - b'0');
            micros = micros * 10 + u64::from(d);
        }
        return Some(secs * 1_000_000 + micros);
    }
    // Exponents, as some JSON encoders write small numbers (`1e-3`).
    if !b.iter().any(|&c| c == b'e' || c == b'E') {
        return None;
    }
    let f: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    let micros = (f * 1e6).floor();
    if micros.is_finite() && (0.0..1e18).contains(&micros) {
        Some(micros as u64)
    } else {
        None
    }
}

/// Unix seconds with an optional fraction (`1431857103.123`), or an
/// exponent as JSON encoders may write them; fraction dropped (rounded
/// toward minus infinity).
pub(crate) fn parse_unix_seconds(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let (int, frac) = match memchr::memchr(b'.', digits) {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, &digits[..0]),
    };
    if !int.is_empty() && int.len() <= 15 && frac.iter().all(u8::is_ascii_digit) {
        let v = i64::try_from(parse_u64(int)?).ok()?;
        return Some(if neg {
            let has_fraction = frac.iter().any(|&c| c != b'0');
            -v - i64::from(has_fraction)
        } else {
            v
        });
    }
    if !b.iter().any(|&c| c == b'e' || c == b'E') {
        return None;
    }
    let f: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    let s = f.floor();
    if s.is_finite() && s.abs() < 1e15 {
        Some(s as i64)
    } else {
        None
    }
}

/// The position of the `"` closing a quoted field whose text starts at
/// `s[0]`: the first `"` not escaped by an odd number of backslashes.
#[inline]
pub(crate) fn closing_quote(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'"', &s[from..]) {
        let at = from + i;
        let backslashes = s[..at].iter().rev().take_while(|&&c| c == b'\\').count();
        if backslashes % 2 == 0 {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_split_into_method_and_target() {
        assert_eq!(
            split_request(b"GET /a?b HTTP/1.1"),
            Some((&b"GET"[..], &b"/a?b"[..]))
        );
        assert_eq!(
            split_request(b"GET /a b HTTP/1.0"),
            Some((&b"GET"[..], &b"/a b"[..]))
        );
        assert_eq!(split_request(b"GET /x"), Some((&b"GET"[..], &b"/x"[..])));
        assert_eq!(split_request(b"-"), None);
        assert_eq!(split_request(b"\x16\x03\x01 junk"), None);
        assert_eq!(split_request(b"GET "), None);
        assert_eq!(split_request(b""), None);
    }

    #[test]
    fn status_is_three_digits() {
        assert_eq!(parse_status(b"200"), Some(200));
        assert_eq!(parse_status(b"999"), Some(999));
        assert_eq!(parse_status(b"099"), None);
        assert_eq!(parse_status(b"20"), None);
        assert_eq!(parse_status(b"2000"), None);
        assert_eq!(parse_status(b"2x0"), None);
    }

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes_field(b"-"), Ok(None));
        assert_eq!(parse_bytes_field(b"0"), Ok(Some(0)));
        assert_eq!(
            parse_bytes_field(b"18446744073709551615"),
            Ok(Some(u64::MAX))
        );
        assert_eq!(parse_bytes_field(b"18446744073709551616"), Err(()));
        assert_eq!(parse_bytes_field(b""), Err(()));
        assert_eq!(parse_bytes_field(b"12a"), Err(()));
    }

    #[test]
    fn seconds_to_micros() {
        assert_eq!(parse_seconds_micros(b"0.123"), Some(123_000));
        assert_eq!(parse_seconds_micros(b"2"), Some(2_000_000));
        assert_eq!(parse_seconds_micros(b"1.2345678"), Some(1_234_567));
        assert_eq!(parse_seconds_micros(b"1."), Some(1_000_000));
        assert_eq!(parse_seconds_micros(b"1e-3"), Some(1000));
        assert_eq!(parse_seconds_micros(b".5"), None);
        assert_eq!(parse_seconds_micros(b"-1"), None);
        assert_eq!(parse_seconds_micros(b"-1e3"), None);
        assert_eq!(parse_seconds_micros(b"1e300"), None);
        assert_eq!(parse_seconds_micros(b"999999999999999"), None);
        assert_eq!(parse_seconds_micros(b"-"), None);
    }

    #[test]
    fn unix_seconds() {
        assert_eq!(parse_unix_seconds(b"1431857103.123"), Some(1_431_857_103));
        assert_eq!(parse_unix_seconds(b"1431857103"), Some(1_431_857_103));
        assert_eq!(parse_unix_seconds(b"-1.5"), Some(-2));
        assert_eq!(parse_unix_seconds(b"-1.0"), Some(-1));
        assert_eq!(parse_unix_seconds(b"1.431857103e9"), Some(1_431_857_103));
        assert_eq!(parse_unix_seconds(b"9999999999999999999999"), None);
        assert_eq!(parse_unix_seconds(b"x"), None);
    }

    #[test]
    fn closing_quotes_skip_escaped_ones() {
        assert_eq!(closing_quote(br#"abc" x"#), Some(3));
        assert_eq!(closing_quote(br#"a\"b" x"#), Some(4));
        assert_eq!(closing_quote(br#"a\\" x"#), Some(3));
        assert_eq!(closing_quote(br#"a\\\"b" x"#), Some(6));
        assert_eq!(closing_quote(br#"\""#), None);
        assert_eq!(closing_quote(b""), None);
    }

    #[test]
    fn paths_drop_the_query() {
        let mut r = AccessRecord::with_status(200);
        r.request = Request::Line(b"GET /a/b?c=d HTTP/1.1");
        assert_eq!(r.method(), Some(&b"GET"[..]));
        assert_eq!(r.target(), Some(&b"/a/b?c=d"[..]));
        assert_eq!(r.path(), Some(&b"/a/b"[..]));
        r.request = Request::Parts {
            method: None,
            target: Some(b"/x?"),
        };
        assert_eq!(r.path(), Some(&b"/x"[..]));
        assert_eq!(r.request_line(), None);
    }
}
