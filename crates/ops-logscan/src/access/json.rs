//! JSON-lines access logs: one object per line, field names configurable.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::record::{
    AccessRecord, RawTime, Request, TimeKind, parse_bytes_field, parse_seconds_micros, parse_status,
};

/// The names of the fields read from a JSON-lines access log.
///
/// The defaults follow nginx variable names, as in a
/// `log_format ... escape=json '{"remote_addr":"$remote_addr",...}'`.
/// A field named `""` is not read.
///
/// Values may be JSON strings or numbers (`"status": 200` and
/// `"status": "200"` read alike); `null`, `""` and `"-"` mean absent.
/// Strings are used as they are written between their quotes: escape
/// sequences are not decoded, so nothing is allocated per line (nginx's
/// `escape=json` escapes only bytes that addresses, timestamps and status
/// codes never hold). Lines must be valid JSON objects, in UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonFields {
    /// The client address (default `remote_addr`).
    pub client: String,
    /// The time (default `time`): an ISO-8601 string, a string in the
    /// common log format's `%t` layout, or Unix seconds as a number or a
    /// numeric string.
    pub time: String,
    /// The whole request line, `GET /path HTTP/1.1` (default `request`).
    /// When a line has it, method and URI come from it.
    pub request: String,
    /// The request method, read when a line has no request line (default
    /// `request_method`).
    pub method: String,
    /// The request URI, read when a line has no request line (default
    /// `request_uri`).
    pub uri: String,
    /// The status, required (default `status`).
    pub status: String,
    /// The response size in bytes (default `body_bytes_sent`).
    pub bytes_sent: String,
    /// The request time in seconds (default `request_time`).
    pub request_time: String,
}

impl Default for JsonFields {
    fn default() -> Self {
        JsonFields {
            client: "remote_addr".into(),
            time: "time".into(),
            request: "request".into(),
            method: "request_method".into(),
            uri: "request_uri".into(),
            status: "status".into(),
            bytes_sent: "body_bytes_sent".into(),
            request_time: "request_time".into(),
        }
    }
}

/// Indices into the values collected from one line.
const CLIENT: usize = 0;
const TIME: usize = 1;
const REQUEST: usize = 2;
const METHOD: usize = 3;
const URI: usize = 4;
const STATUS: usize = 5;
const BYTES: usize = 6;
const LATENCY: usize = 7;
const FIELDS: usize = 8;

impl JsonFields {
    fn names(&self) -> [&str; FIELDS] {
        [
            &self.client,
            &self.time,
            &self.request,
            &self.method,
            &self.uri,
            &self.status,
            &self.bytes_sent,
            &self.request_time,
        ]
    }

    fn index(&self, key: &str) -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        self.names().iter().position(|n| *n == key)
    }

    /// Parses one line; `None` when it is not a JSON object with a valid
    /// status.
    pub(crate) fn parse<'a>(&self, line: &'a [u8]) -> Option<AccessRecord<'a>> {
        let mut de = serde_json::Deserializer::from_slice(line);
        let values = LineSeed(self).deserialize(&mut de).ok()?;
        de.end().ok()?;
        build(&values)
    }
}

type Values<'a> = [Option<&'a RawValue>; FIELDS];

/// Reads one object, keeping the raw text of the wanted values only.
struct LineSeed<'f>(&'f JsonFields);

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = Values<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Values<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = Values<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Values<'de>, A::Error> {
        let mut values: Values<'de> = [None; FIELDS];
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            match key {
                Some(i) => values[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(values)
    }
}

/// Maps a key to the index of the field it names, without allocating
/// (escaped keys are decoded into serde_json's scratch buffer).
struct KeySeed<'f>(&'f JsonFields);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.index(key))
    }
}

/// A JSON value's text, by kind.
enum Scalar<'a> {
    /// A string's bytes between its quotes (escapes as written); `""` and
    /// `"-"` are absent, not strings.
    Str(&'a [u8]),
    /// A number as written.
    Num(&'a [u8]),
    /// `null`, `""`, `"-"`, or a field not in the line.
    Absent,
    /// `true`, an array, an object.
    Other,
}

fn scalar<'a>(raw: Option<&'a RawValue>) -> Scalar<'a> {
    let Some(raw) = raw else {
        return Scalar::Absent;
    };
    let b = raw.get().as_bytes().trim_ascii();
    match b {
        [b'"', inner @ .., b'"'] if inner.is_empty() || inner == b"-" => Scalar::Absent,
        [b'"', inner @ .., b'"'] => Scalar::Str(inner),
        [b'-' | b'0'..=b'9', ..] => Scalar::Num(b),
        b"null" => Scalar::Absent,
        _ => Scalar::Other,
    }
}

/// Text of a string or a number, for fields that accept either.
fn text<'a>(s: &Scalar<'a>) -> Option<&'a [u8]> {
    match *s {
        Scalar::Str(b) | Scalar::Num(b) => Some(b),
        _ => None,
    }
}

fn build<'a>(v: &Values<'a>) -> Option<AccessRecord<'a>> {
    let status = parse_status(text(&scalar(v[STATUS]))?)?;
    let mut rec = AccessRecord::with_status(status);
    if let Scalar::Str(c) = scalar(v[CLIENT]) {
        rec.client = Some(c);
    }
    rec.time = match scalar(v[TIME]) {
        Scalar::Str(t) => {
            let kind = if t.get(2) == Some(&b'/') {
                TimeKind::Clf
            } else if t.get(4) == Some(&b'-') {
                TimeKind::Iso8601
            } else {
                TimeKind::UnixSeconds
            };
            Some(RawTime { bytes: t, kind })
        }
        Scalar::Num(t) => Some(RawTime {
            bytes: t,
            kind: TimeKind::UnixSeconds,
        }),
        Scalar::Absent | Scalar::Other => None,
    };
    let string = |i: usize| match scalar(v[i]) {
        Scalar::Str(s) => Some(s),
        _ => None,
    };
    rec.request = match string(REQUEST) {
        Some(line) => Request::Line(line),
        None => match (string(METHOD), string(URI)) {
            (None, None) => Request::Absent,
            (method, target) => Request::Parts { method, target },
        },
    };
    rec.bytes_sent = match scalar(v[BYTES]) {
        Scalar::Absent => None,
        s => parse_bytes_field(text(&s)?).ok()?,
    };
    rec.latency_micros = match scalar(v[LATENCY]) {
        Scalar::Absent => None,
        s => Some(parse_seconds_micros(text(&s)?)?),
    };
    Some(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<AccessRecord<'_>> {
        JsonFields::default().parse(line.as_bytes())
    }

    #[test]
    fn numbers_or_strings() {
        let a = parse(
            r#"{"remote_addr":"::1","time":"2015-05-17T10:05:03+00:00","request":"GET /a?b HTTP/1.1","status":200,"body_bytes_sent":512,"request_time":0.25}"#,
        );
        let b = parse(
            r#"{"remote_addr":"::1","time":"2015-05-17T10:05:03+00:00","request":"GET /a?b HTTP/1.1","status":"200","body_bytes_sent":"512","request_time":"0.250"}"#,
        );
        assert!(a.is_some());
        assert_eq!(a, b);
        let a = a.as_ref();
        assert_eq!(a.and_then(|r| r.client()), Some(&b"::1"[..]));
        assert_eq!(a.and_then(|r| r.path()), Some(&b"/a"[..]));
        assert_eq!(a.and_then(|r| r.bytes_sent()), Some(512));
        assert_eq!(a.and_then(|r| r.latency_micros()), Some(250_000));
        assert_eq!(
            a.and_then(|r| r.time()).and_then(|t| t.unix_seconds()),
            Some(1_431_857_103)
        );
    }

    #[test]
    fn epoch_and_clf_times() {
        let t = |line: &str| {
            parse(line)
                .and_then(|r| r.time())
                .and_then(|t| t.unix_seconds())
        };
        assert_eq!(
            t(r#"{"time":1431857103.5,"status":200}"#),
            Some(1_431_857_103)
        );
        assert_eq!(
            t(r#"{"time":"1431857103","status":200}"#),
            Some(1_431_857_103)
        );
        assert_eq!(
            t(r#"{"time":"17/May/2015:10:05:03 +0000","status":200}"#),
            Some(1_431_857_103)
        );
        assert_eq!(t(r#"{"time":null,"status":200}"#), None);
    }

    #[test]
    fn separate_method_and_uri_and_custom_names() {
        let f = JsonFields {
            status: "code".into(),
            client: "ip".into(),
            ..JsonFields::default()
        };
        let r = f.parse(
            br#"{"ip":"10.0.0.1","request_method":"POST","request_uri":"/api?x","code":503,"extra":{"nested":[1,2,{"a":null}]}}"#,
        );
        assert_eq!(r.and_then(|r| r.method()), Some(&b"POST"[..]));
        assert_eq!(r.and_then(|r| r.path()), Some(&b"/api"[..]));
        assert_eq!(r.and_then(|r| r.client()), Some(&b"10.0.0.1"[..]));
        assert_eq!(r.map(|r| r.status()), Some(503));
        assert_eq!(r.and_then(|r| r.request_line()), None);
    }

    #[test]
    fn dashes_and_nulls_are_absent() {
        let r = parse(
            r#"{"remote_addr":"-","request":"-","status":404,"body_bytes_sent":"-","request_time":null}"#,
        );
        assert_eq!(r.map(|r| r.client()), Some(None));
        assert_eq!(r.map(|r| r.method()), Some(None));
        assert_eq!(r.map(|r| r.bytes_sent()), Some(None));
        assert_eq!(r.map(|r| r.latency_micros()), Some(None));
    }

    #[test]
    fn escaped_keys_are_matched() {
        let r = parse(r#"{"st\u0061tus":201}"#);
        assert_eq!(r.map(|r| r.status()), Some(201));
    }

    #[test]
    fn malformed_lines() {
        for bad in [
            "",
            "{}",
            "[200]",
            r#"{"status":200"#,
            r#"{"status":200} x"#,
            r#"{"status":20}"#,
            r#"{"status":200.0}"#,
            r#"{"status":true}"#,
            r#"{"status":"abc"}"#,
            r#"{"status":200,"body_bytes_sent":-1}"#,
            r#"{"status":200,"body_bytes_sent":[1]}"#,
            r#"{"status":200,"request_time":"slow"}"#,
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        // Fields that are read must be UTF-8.
        assert!(
            JsonFields::default()
                .parse(b"{\"status\":\"2\xff0\"}")
                .is_none()
        );
        let r = JsonFields::default().parse(b"{\"status\":200,\"x\":\"\xff\0\"}");
        assert!(r.is_none_or(|r| r.status() == 200));
        assert!(parse(r#" {"status":200} "#).is_some());
        // Skipped values are skipped without recursion: deep nesting is
        // no danger to the stack.
        let deep = format!(
            r#"{{"status":200,"x":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(parse(&deep).map(|r| r.status()), Some(200));
        let deep = format!(
            r#"{{"status":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse(&deep).is_none());
    }
}
