//! nginx `log_format` strings, compiled once into literals and variables.

use std::fmt;

use super::record::{
    AccessRecord, RawTime, Request, TimeKind, closing_quote, parse_bytes_field,
    parse_seconds_micros, parse_status,
};
use crate::Error;

/// What a variable's value is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    /// Not needed for the report (or a later duplicate of a needed one).
    Skip,
    /// `$remote_addr`, `$realip_remote_addr`.
    Client,
    /// `$http_x_forwarded_for`: a list whose first address is the client.
    ForwardedFor,
    /// `$time_local`.
    TimeLocal,
    /// `$time_iso8601`.
    TimeIso,
    /// `$msec`.
    Msec,
    /// `$request`, the whole request line.
    Request,
    /// `$request_method`.
    Method,
    /// `$request_uri`, `$uri`.
    Uri,
    /// `$status`.
    Status,
    /// `$body_bytes_sent`, `$bytes_sent`.
    Bytes,
    /// `$request_time`.
    RequestTime,
    /// `$upstream_response_time`.
    UpstreamTime,
}

impl Field {
    /// Which fields fill the same part of a record: only the first variable
    /// of a role in the format is used.
    fn role(self) -> u8 {
        match self {
            Field::Skip => 0,
            Field::Client | Field::ForwardedFor => 1,
            Field::TimeLocal | Field::TimeIso | Field::Msec => 2,
            Field::Request => 3,
            Field::Method => 4,
            Field::Uri => 5,
            Field::Status => 6,
            Field::Bytes => 7,
            Field::RequestTime | Field::UpstreamTime => 8,
        }
    }

    fn from_name(name: &[u8]) -> Field {
        match name {
            b"remote_addr" | b"realip_remote_addr" => Field::Client,
            b"http_x_forwarded_for" => Field::ForwardedFor,
            b"time_local" => Field::TimeLocal,
            b"time_iso8601" => Field::TimeIso,
            b"msec" => Field::Msec,
            b"request" => Field::Request,
            b"request_method" => Field::Method,
            b"request_uri" | b"uri" => Field::Uri,
            b"status" => Field::Status,
            b"body_bytes_sent" | b"bytes_sent" => Field::Bytes,
            b"request_time" => Field::RequestTime,
            b"upstream_response_time" => Field::UpstreamTime,
            _ => Field::Skip,
        }
    }
}

/// A variable and the literal text that ends its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Step {
    field: Field,
    /// Between a literal ending in `"` and one starting with `"`: the value
    /// ends at the first quote not escaped by a backslash.
    quoted: bool,
    /// The literal after the variable; empty only for a variable that ends
    /// the format string.
    next: Box<[u8]>,
}

/// A compiled nginx `log_format`, such as
/// `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`.
///
/// A line matches when it holds the format's literal text in order; each
/// variable's value runs up to the next literal (inside quotes, up to the
/// first quote not escaped by a backslash, so `\"` may appear in a value).
///
/// These variables are used; any other is matched and ignored:
///
/// | variables | used as |
/// |---|---|
/// | `$remote_addr`, `$realip_remote_addr`, `$http_x_forwarded_for` (its first address) | client; the first of these in the format wins |
/// | `$time_local`, `$time_iso8601`, `$msec` | time; the first wins |
/// | `$request` | method and target |
/// | `$request_method`, `$request_uri` or `$uri` | method and target, when there is no `$request` |
/// | `$status` | status (required) |
/// | `$body_bytes_sent`, `$bytes_sent` | bytes sent; the first wins |
/// | `$request_time` | latency |
/// | `$upstream_response_time` | latency when there is no `$request_time`: the sum of the times in a list such as `0.001, 0.002 : 0.004` (every upstream tried, in turn, for the request), `-` ignored |
///
/// Matching stops after the last used variable, so whatever follows it
/// (more fields, a user agent without its closing quote) does not make a
/// line malformed. A last used variable with no literal after it in the
/// line ends at the first space, except `$request` (the rest of the line),
/// `$time_local` (26 bytes) and `$upstream_response_time` (its list).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NginxFormat {
    source: String,
    lead: Box<[u8]>,
    steps: Box<[Step]>,
    /// Steps up to and including the last one whose value is used.
    needed: usize,
}

impl NginxFormat {
    /// Compiles a `log_format` string.
    ///
    /// Errors ([`Error::Format`], with the byte position) for a format with
    /// no variables, two variables with no literal text between them (where
    /// one ends could not be told), a `$` not followed by a name, an
    /// unterminated `${`, or no `$status`.
    pub fn compile(format: &str) -> Result<NginxFormat, Error> {
        let err = |position, reason: String| Error::Format { position, reason };
        let b = format.as_bytes();
        let mut lead: Option<Vec<u8>> = None;
        // (field, literal after it, position of its `$`, its name)
        let mut vars: Vec<(Field, Vec<u8>, usize, &str)> = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'$' {
                literal.push(b[i]);
                i += 1;
                continue;
            }
            let start = i;
            let (name, after) = if b.get(i + 1) == Some(&b'{') {
                let close = memchr::memchr(b'}', &b[i + 2..])
                    .ok_or_else(|| err(start, "unterminated `${`".to_owned()))?;
                (&format[i + 2..i + 2 + close], i + 3 + close)
            } else {
                let len = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (&format[i + 1..i + 1 + len], i + 1 + len)
            };
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
                return Err(err(
                    start,
                    "expected a variable name (letters, digits, `_`) after `$`".to_owned(),
                ));
            }
            match vars.last_mut() {
                None => lead = Some(std::mem::take(&mut literal)),
                Some(prev) => {
                    if literal.is_empty() {
                        return Err(err(
                            start,
                            format!(
                                "variables ${} and ${name} have no literal text between them",
                                prev.3
                            ),
                        ));
                    }
                    prev.1 = std::mem::take(&mut literal);
                }
            }
            vars.push((Field::from_name(name.as_bytes()), Vec::new(), start, name));
            i = after;
        }
        let Some(lead) = lead else {
            return Err(err(0, "no variables".to_owned()));
        };
        // The text after the last variable ends its value; whatever follows
        // that text in a line is ignored.
        if let Some(last) = vars.last_mut() {
            last.1 = literal;
        }
        if !vars.iter().any(|v| v.0 == Field::Status) {
            return Err(err(
                0,
                "no $status variable: the access report is built on it".to_owned(),
            ));
        }

        // One variable per role; `$request_time` beats an upstream time, and
        // a whole `$request` beats its parts.
        let has = |f: Field| vars.iter().any(|v| v.0 == f);
        let (has_request_time, has_request) = (has(Field::RequestTime), has(Field::Request));
        let mut taken = [false; 9];
        let mut steps = Vec::with_capacity(vars.len());
        let mut prev_literal: &[u8] = &lead;
        for (field, next, _, _) in &vars {
            let mut field = *field;
            if (field == Field::UpstreamTime && has_request_time)
                || (matches!(field, Field::Method | Field::Uri) && has_request)
            {
                field = Field::Skip;
            }
            let role = usize::from(field.role());
            if role != 0 {
                if taken[role] {
                    field = Field::Skip;
                }
                taken[role] = true;
            }
            steps.push(Step {
                field,
                quoted: prev_literal.ends_with(b"\"") && next.starts_with(b"\""),
                next: next.clone().into_boxed_slice(),
            });
            prev_literal = next;
        }
        let needed = steps
            .iter()
            .rposition(|s| s.field != Field::Skip)
            .map_or(0, |i| i + 1);
        Ok(NginxFormat {
            source: format.to_owned(),
            lead: lead.into_boxed_slice(),
            steps: steps.into_boxed_slice(),
            needed,
        })
    }

    /// The format string as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the format logs a time (`$time_local`, `$time_iso8601` or
    /// `$msec`).
    pub fn has_time(&self) -> bool {
        self.has(|f| matches!(f, Field::TimeLocal | Field::TimeIso | Field::Msec))
    }

    /// Whether the format logs a latency (`$request_time` or
    /// `$upstream_response_time`).
    pub fn has_latency(&self) -> bool {
        self.has(|f| matches!(f, Field::RequestTime | Field::UpstreamTime))
    }

    fn has(&self, pred: impl Fn(Field) -> bool) -> bool {
        self.steps.iter().any(|s| pred(s.field))
    }

    /// Parses one line; `None` when it does not match the format.
    pub(crate) fn parse<'a>(&self, line: &'a [u8]) -> Option<AccessRecord<'a>> {
        let mut rest = line.strip_prefix(&*self.lead)?;
        let mut rec = AccessRecord::with_status(0);
        for (k, step) in self.steps[..self.needed].iter().enumerate() {
            let value = match value_len(step, rest) {
                Some(n) => {
                    let v = &rest[..n];
                    rest = &rest[n + step.next.len()..];
                    v
                }
                // The last needed value may end the line: the rest of the
                // format is not needed.
                None if k + 1 == self.needed => {
                    let v = &rest[..trailing_len(step, rest)];
                    rest = &[];
                    v
                }
                None => return None,
            };
            apply(step.field, value, &mut rec)?;
        }
        // `$status` is always needed, and `apply` rejects a bad one.
        (rec.status != 0).then_some(rec)
    }
}

impl fmt::Display for NginxFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The length of a value followed by the step's literal, or `None` when
/// the literal is not found.
#[inline]
fn value_len(step: &Step, rest: &[u8]) -> Option<usize> {
    let next = &*step.next;
    if next.is_empty() {
        return None;
    }
    if step.quoted {
        let mut from = 0;
        loop {
            let q = from + closing_quote(&rest[from..])?;
            if rest[q..].starts_with(next) {
                return Some(q);
            }
            from = q + 1;
        }
    }
    // Values that may hold the literal themselves (a space, typically).
    match step.field {
        Field::TimeLocal if rest.get(26..).is_some_and(|r| r.starts_with(next)) => {
            return Some(26);
        }
        Field::UpstreamTime => {
            let n = time_list_len(rest);
            if rest[n..].starts_with(next) {
                return Some(n);
            }
            if n == rest.len() {
                // The list ends the line: see `trailing_len`.
                return None;
            }
        }
        _ => {}
    }
    find(rest, next)
}

/// The length of a last value that is not followed by its literal.
fn trailing_len(step: &Step, rest: &[u8]) -> usize {
    if step.quoted {
        return rest.len();
    }
    match step.field {
        Field::Request => rest.len(),
        Field::TimeLocal => rest.len().min(26),
        Field::UpstreamTime => time_list_len(rest),
        _ => memchr::memchr(b' ', rest).unwrap_or(rest.len()),
    }
}

/// The first occurrence of a non-empty `needle` in `hay`.
#[inline]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    if tail.is_empty() {
        return memchr::memchr(first, hay);
    }
    memchr::memchr_iter(first, hay).find(|&i| hay[i + 1..].starts_with(tail))
}

/// The length of an `$upstream_response_time` list at the start of `s`:
/// times or `-`, separated by `, ` or ` : `.
fn time_list_len(s: &[u8]) -> usize {
    let item = |s: &[u8]| {
        if s.first() == Some(&b'-') {
            1
        } else {
            s.iter()
                .take_while(|c| c.is_ascii_digit() || **c == b'.')
                .count()
        }
    };
    let mut n = item(s);
    if n == 0 {
        return 0;
    }
    loop {
        let sep = if s[n..].starts_with(b", ") {
            2
        } else if s[n..].starts_with(b" : ") {
            3
        } else {
            return n;
        };
        let k = item(&s[n + sep..]);
        if k == 0 {
            return n;
        }
        n += sep + k;
    }
}

/// Sums an `$upstream_response_time` list; `Ok(None)` when every entry
/// is `-`, `Err` on anything that is not a time.
fn parse_time_list(v: &[u8]) -> Result<Option<u64>, ()> {
    if v.is_empty() {
        return Ok(None);
    }
    let mut total: Option<u64> = None;
    for part in v.split(|&c| c == b',' || c == b':') {
        let part = part.trim_ascii();
        if part == b"-" {
            continue;
        }
        let us = parse_seconds_micros(part).ok_or(())?;
        total = Some(total.unwrap_or(0).saturating_add(us));
    }
    Ok(total)
}

/// Stores a value in the record; `None` when it is invalid for its field.
#[inline]
fn apply<'a>(field: Field, v: &'a [u8], rec: &mut AccessRecord<'a>) -> Option<()> {
    let present = !v.is_empty() && v != b"-";
    let time = |kind| present.then_some(RawTime { bytes: v, kind });
    match field {
        Field::Skip => {}
        Field::Client => rec.client = present.then_some(v),
        Field::ForwardedFor => {
            let first = v.split(|&c| c == b',').next().unwrap_or(v).trim_ascii();
            rec.client = (!first.is_empty() && first != b"-").then_some(first);
        }
        Field::TimeLocal => rec.time = time(TimeKind::Clf),
        Field::TimeIso => rec.time = time(TimeKind::Iso8601),
        Field::Msec => rec.time = time(TimeKind::UnixSeconds),
        Field::Request => {
            rec.request = if present {
                Request::Line(v)
            } else {
                Request::Absent
            };
        }
        Field::Method | Field::Uri => {
            let (mut method, mut target) = match rec.request {
                Request::Parts { method, target } => (method, target),
                _ => (None, None),
            };
            if field == Field::Method {
                method = present.then_some(v);
            } else {
                target = present.then_some(v);
            }
            rec.request = Request::Parts { method, target };
        }
        Field::Status => rec.status = parse_status(v)?,
        Field::Bytes => rec.bytes_sent = parse_bytes_field(v).ok()?,
        Field::RequestTime => {
            rec.latency_micros = if present {
                Some(parse_seconds_micros(v)?)
            } else {
                None
            };
        }
        Field::UpstreamTime => rec.latency_micros = parse_time_list(v).ok()?,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

    fn compile(f: &str) -> NginxFormat {
        match NginxFormat::compile(f) {
            Ok(c) => c,
            Err(e) => panic!("{f}: {e}"),
        }
    }

    fn compile_err(f: &str) -> (usize, String) {
        match NginxFormat::compile(f) {
            Err(Error::Format { position, reason }) => (position, reason),
            other => panic!("{f}: expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn combined_equivalent() {
        let f = compile(COMBINED);
        assert!(f.has_time() && !f.has_latency());
        let line = br#"1.2.3.4 - bob [17/May/2015:10:05:03 +0000] "GET /a\"b?q HTTP/1.1" 502 12 "http://x/" "UA \"q\" 1""#;
        let r = f.parse(line);
        let r = r.as_ref();
        assert_eq!(r.and_then(|r| r.client()), Some(&b"1.2.3.4"[..]));
        assert_eq!(r.and_then(|r| r.path()), Some(&br#"/a\"b"#[..]));
        assert_eq!(r.map(|r| r.status()), Some(502));
        assert_eq!(r.and_then(|r| r.bytes_sent()), Some(12));
        assert_eq!(
            r.and_then(|r| r.time()).map(|t| t.bytes),
            Some(&b"17/May/2015:10:05:03 +0000"[..])
        );
        // Nothing after the byte count is needed.
        let cut =
            br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 12 "-" "unclosed"#;
        assert_eq!(f.parse(cut).map(|r| r.status()), Some(200));
        let cut = br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 12"#;
        assert_eq!(f.parse(cut).map(|r| r.status()), Some(200));
        let cut = br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200"#;
        assert_eq!(f.parse(cut), None);
        assert_eq!(f.parse(b""), None);
    }

    #[test]
    fn request_time_and_extra_fields() {
        let f = compile(&format!("{COMBINED} $request_time"));
        assert!(f.has_latency());
        let base = br#"::1 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8""#;
        let with = |tail: &[u8]| {
            let mut l = base.to_vec();
            l.extend_from_slice(tail);
            f.parse(&l).map(|r| r.latency_micros())
        };
        assert_eq!(with(b" 0.123"), Some(Some(123_000)));
        assert_eq!(with(b" 1.5 extra \"fields\""), Some(Some(1_500_000)));
        assert_eq!(with(b" -"), Some(None));
        assert_eq!(with(b" abc"), None);
        assert_eq!(with(b""), None);
    }

    #[test]
    fn upstream_lists_are_summed() {
        let f = compile("$remote_addr $status $upstream_response_time $host");
        assert!(f.has_latency());
        let lat = |l: &[u8]| f.parse(l).map(|r| r.latency_micros());
        assert_eq!(lat(b"a 200 0.001 h"), Some(Some(1_000)));
        assert_eq!(lat(b"a 200 0.001, 0.002 : 0.004 h"), Some(Some(7_000)));
        assert_eq!(lat(b"a 200 -, 0.002 h"), Some(Some(2_000)));
        assert_eq!(lat(b"a 200 - h"), Some(None));
        assert_eq!(lat(b"a 502 0.001, 0.002"), Some(Some(3_000)));
        // `$request_time` wins over the upstream time.
        let f = compile("$upstream_response_time $request_time $status");
        assert_eq!(
            f.parse(b"0.5 0.25 200").map(|r| r.latency_micros()),
            Some(Some(250_000))
        );
    }

    #[test]
    fn client_choice_and_forwarded_lists() {
        let f = compile(r#""$http_x_forwarded_for" $remote_addr "$request" $status"#);
        let r = f.parse(br#""203.0.113.9, 10.0.0.1" 10.0.0.2 "GET / HTTP/1.1" 200"#);
        assert_eq!(r.and_then(|r| r.client()), Some(&b"203.0.113.9"[..]));
        let r = f.parse(br#""-" 10.0.0.2 "GET / HTTP/1.1" 200"#);
        assert_eq!(r.map(|r| r.client()), Some(None));
    }

    #[test]
    fn separate_method_and_uri_and_other_times() {
        let f = compile("${msec} ${request_method} ${uri} ${status} ${bytes_sent}");
        let r = f.parse(b"1431857103.123 POST /api?x=1 503 -");
        assert_eq!(r.and_then(|r| r.method()), Some(&b"POST"[..]));
        assert_eq!(r.and_then(|r| r.path()), Some(&b"/api"[..]));
        assert_eq!(
            r.and_then(|r| r.time()).and_then(|t| t.unix_seconds()),
            Some(1_431_857_103)
        );
        assert_eq!(r.map(|r| r.bytes_sent()), Some(None));
        let f = compile(r#"{"t":"$time_iso8601","s":$status}"#);
        assert_eq!(
            f.parse(br#"{"t":"x","s":200} more"#).map(|r| r.status()),
            Some(200)
        );
        assert_eq!(
            f.parse(br#"{"t":"x","s":200"#).map(|r| r.status()),
            Some(200)
        );
        assert_eq!(f.parse(br#"{"t":"x","s":200 }"#), None);
        let r = f.parse(br#"{"t":"2015-05-17T10:05:03+00:00","s":200}"#);
        assert_eq!(
            r.and_then(|r| r.time()).and_then(|t| t.unix_seconds()),
            Some(1_431_857_103)
        );
    }

    #[test]
    fn time_local_holds_a_space() {
        let f = compile("$time_local $status");
        let r = f.parse(b"17/May/2015:10:05:03 +0000 200");
        assert_eq!(r.map(|r| r.status()), Some(200));
    }

    #[test]
    fn compile_errors_name_the_position() {
        assert_eq!(compile_err("").0, 0);
        assert_eq!(compile_err("just text").1, "no variables");
        assert_eq!(
            compile_err("$status$body_bytes_sent"),
            (
                7,
                "variables $status and $body_bytes_sent have no literal text between them"
                    .to_owned()
            )
        );
        assert_eq!(compile_err("$status ${request").0, 8);
        assert!(compile_err("$status ${request").1.contains("unterminated"));
        assert_eq!(compile_err("$status - $ x").0, 10);
        assert_eq!(compile_err("$status ${} x").0, 8);
        assert_eq!(compile_err("$status ${a-b} x").0, 8);
        let (pos, reason) = compile_err("$remote_addr [$time_local]");
        assert_eq!(pos, 0);
        assert!(reason.contains("$status"), "{reason}");
        let e = NginxFormat::compile("$a$b").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "invalid log format at byte 2: variables $a and $b have no literal text between them"
            )
        );
    }

    #[test]
    fn leading_literal_and_unknown_variables() {
        let f = compile("[$host] $status");
        assert_eq!(f.parse(b"[x y] 404").map(|r| r.status()), Some(404));
        assert_eq!(f.parse(b"x y] 404"), None);
        assert_eq!(f.to_string(), "[$host] $status");
    }
}
