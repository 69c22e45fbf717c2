//! The common and combined log formats (nginx and Apache):
//!
//! ```text
//! %h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"
//! ```
//!
//! Hand-written rather than a regex: this runs once per line on files of
//! many gigabytes, and a few `memchr` calls find every field.

use super::record::{
    AccessRecord, RawTime, Request, TimeKind, closing_quote, parse_bytes_field, parse_status,
};

/// Parses a common or combined line.
///
/// Both formats read alike: what follows the byte count (referer, user
/// agent, any fields a site appends) is not needed for the report, so it
/// is not checked. A user agent without its closing quote, or a line that
/// stops after the byte count, still parses.
#[inline]
pub(crate) fn parse(line: &[u8]) -> Option<AccessRecord<'_>> {
    let sp = memchr::memchr(b' ', line)?;
    let client = &line[..sp];
    if client.is_empty() {
        return None;
    }
    let rest = &line[sp + 1..];
    // Ident (`%l`) and user (`%u`): one non-empty token each.
    let rest = skip_token(rest)?;
    let rest = skip_token(rest)?;

    let rest = rest.strip_prefix(b"[")?;
    let close = memchr::memchr(b']', rest)?;
    let time = &rest[..close];
    let rest = rest[close + 1..].strip_prefix(b" \"")?;

    let q = closing_quote(rest)?;
    let request = &rest[..q];
    let rest = rest[q + 1..].strip_prefix(b" ")?;

    let status = parse_status(rest.get(..3)?)?;
    let rest = rest[3..].strip_prefix(b" ")?;
    let bytes_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let bytes_sent = parse_bytes_field(&rest[..bytes_end]).ok()?;

    let mut rec = AccessRecord::with_status(status);
    rec.client = (client != b"-").then_some(client);
    rec.time = Some(RawTime {
        bytes: time,
        kind: TimeKind::Clf,
    });
    rec.request = if request == b"-" {
        Request::Absent
    } else {
        Request::Line(request)
    };
    rec.bytes_sent = bytes_sent;
    Some(rec)
}

/// Skips a non-empty token and the space after it.
#[inline]
fn skip_token(s: &[u8]) -> Option<&[u8]> {
    let sp = memchr::memchr(b' ', s)?;
    if sp == 0 {
        return None;
    }
    Some(&s[sp + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = br#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 (Macintosh)""#;

    #[test]
    fn combined_line() {
        let r = parse(LINE);
        let r = r.as_ref();
        assert_eq!(r.and_then(|r| r.client()), Some(&b"83.149.9.216"[..]));
        assert_eq!(
            r.and_then(|r| r.time()),
            Some(RawTime {
                bytes: b"17/May/2015:10:05:03 +0000",
                kind: TimeKind::Clf
            })
        );
        assert_eq!(r.and_then(|r| r.method()), Some(&b"GET"[..]));
        assert_eq!(
            r.and_then(|r| r.path()),
            Some(&b"/images/kibana-search.png"[..])
        );
        assert_eq!(r.map(|r| r.status()), Some(200));
        assert_eq!(r.and_then(|r| r.bytes_sent()), Some(203_023));
        assert_eq!(r.and_then(|r| r.latency_micros()), None);
    }

    #[test]
    fn common_line_and_dash_bytes() {
        let r = parse(br#"::1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 304 -"#);
        assert_eq!(r.and_then(|r| r.client()), Some(&b"::1"[..]));
        assert_eq!(r.map(|r| r.status()), Some(304));
        assert_eq!(r.map(|r| r.bytes_sent()), Some(None));
    }

    #[test]
    fn ipv6_clients() {
        let r = parse(
            br#"2001:db8:85a3::8a2e:370:7334 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        );
        assert_eq!(
            r.and_then(|r| r.client()),
            Some(&b"2001:db8:85a3::8a2e:370:7334"[..])
        );
    }

    #[test]
    fn escaped_quotes_in_request_and_user_agent() {
        let r = parse(
            br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a\"b HTTP/1.1" 500 5 "-" "Bot \"x\" 1.0""#,
        );
        assert_eq!(r.and_then(|r| r.path()), Some(&br#"/a\"b"#[..]));
        assert_eq!(r.map(|r| r.status()), Some(500));
        // An even run of backslashes does not escape the quote.
        let r = parse(br#"1.2.3.4 - - [t] "GET /a\\" 404 5"#);
        assert_eq!(r.and_then(|r| r.target()), Some(&br#"/a\\"#[..]));
        assert_eq!(r.map(|r| r.status()), Some(404));
    }

    #[test]
    fn dash_and_garbage_requests_keep_the_line() {
        let r = parse(br#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "-" 400 0 "-" "-""#);
        assert_eq!(r.map(|r| r.status()), Some(400));
        assert_eq!(r.and_then(|r| r.method()), None);
        assert_eq!(r.and_then(|r| r.path()), None);
        let r = parse(b"1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"\x16\x03\x01\x00\xff\" 400 166 \"-\" \"-\"");
        assert_eq!(r.map(|r| r.status()), Some(400));
        assert_eq!(r.and_then(|r| r.method()), None);
    }

    #[test]
    fn extra_fields_and_unclosed_user_agent_are_tolerated() {
        let mut with_extra = LINE.to_vec();
        with_extra.extend_from_slice(br#" 0.005 "upstream" x=y"#);
        assert_eq!(parse(&with_extra).map(|r| r.status()), Some(200));
        let unclosed = br#"46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /x.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"#;
        assert_eq!(parse(unclosed).map(|r| r.status()), Some(200));
    }

    #[test]
    fn nul_and_invalid_utf8_are_bytes() {
        let r = parse(b"\xff\x00 - - [17/May/2015:10:05:03 +0000] \"GET /\xc3( HTTP/1.1\" 503 0");
        assert_eq!(r.and_then(|r| r.client()), Some(&b"\xff\x00"[..]));
        assert_eq!(r.and_then(|r| r.path()), Some(&b"/\xc3("[..]));
    }

    #[test]
    fn truncated_and_broken_lines_are_rejected() {
        for end in 0..LINE.len() {
            let cut = &LINE[..end];
            // Up to the byte count, any cut loses a needed field.
            let needed = b"83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /images/kibana-search.png HTTP/1.1\" 200 2".len();
            assert_eq!(parse(cut).is_some(), end >= needed, "{}", end);
        }
        for bad in [
            &b""[..],
            b" - - [t] \"GET / HTTP/1.1\" 200 1",
            b"1.2.3.4 - [t] \"GET / HTTP/1.1\" 200 1",
            b"1.2.3.4 - - [t] \"GET / HTTP/1.1\" 2000 1",
            b"1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200 1x",
            b"1.2.3.4 - - [t] \"GET / HTTP/1.1\" 200  1",
            b"1.2.3.4 - - [t] \"GET / HTTP/1.1\\\" 200 1",
            b"1.2.3.4 - - t \"GET / HTTP/1.1\" 200 1",
        ] {
            assert!(parse(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
