//! The target list: one target per line (or per argument), parsed without
//! any network or URL library, so the fuzz target can include this file
//! as it is (see `fuzz/fuzz_targets/targets.rs`).
//!
//! ```text
//! # comments and blank lines are skipped
//! https://api.example.com/health
//! http://10.0.0.5:8080/ready status=200,204 contains=ready
//! tcp://db.internal:5432
//! ssh://bastion.example.com        (port 22)
//! ssh://[2001:db8::1]:2222
//! ```
//!
//! Options follow the address, separated by spaces: `status=LIST` (codes
//! or classes such as `2xx`, comma-separated; default `2xx`) and
//! `contains=TEXT` (the rest of the line, spaces included), for http(s)
//! only.

use std::fmt;

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// An HTTP GET: the status must be expected and the body must contain
    /// the text, if one is given.
    Http {
        /// The URL, as written.
        url: String,
        /// The statuses that count as healthy.
        status: Vec<StatusRange>,
        /// Text the body must contain.
        contains: Option<String>,
    },
    /// A TCP connect.
    Tcp,
    /// A TCP connect and an `SSH-2.0-` banner.
    Ssh,
}

/// Statuses from `lo` to `hi`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusRange {
    /// The lowest.
    pub(crate) lo: u16,
    /// The highest.
    pub(crate) hi: u16,
}

/// One target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The address as written (first word of the line).
    pub(crate) name: String,
    /// The host, lowercased, without brackets: the key of the per-host
    /// breaker.
    pub(crate) host: String,
    /// The port (the scheme's default when none is written).
    pub(crate) port: u16,
    /// What to check.
    pub(crate) check: Check,
}

impl Target {
    /// Whether `status` is one of the expected ones (always for tcp and
    /// ssh targets, which have none).
    pub(crate) fn status_ok(&self, status: u16) -> bool {
        match &self.check {
            Check::Http { status: ranges, .. } => {
                ranges.iter().any(|r| (r.lo..=r.hi).contains(&status))
            }
            Check::Tcp | Check::Ssh => true,
        }
    }
}

/// A target that cannot be parsed; the message names where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetError {
    /// `FILE:LINE` or `argument N`.
    pub(crate) place: String,
    /// What is wrong.
    pub(crate) reason: String,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

impl std::error::Error for TargetError {}

/// Parses a list of targets, one a line; `source` names the list in
/// errors (`targets.txt` gives `targets.txt:3: ...`).
pub(crate) fn parse_target_list(text: &str, source: &str) -> Result<Vec<Target>, TargetError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let t = parse_target(line).map_err(|reason| TargetError {
            place: format!("{source}:{}", i + 1),
            reason,
        })?;
        out.push(t);
    }
    Ok(out)
}

/// Parses one target: an address and its options.
pub(crate) fn parse_target(text: &str) -> Result<Target, String> {
    let text = text.trim();
    let (addr, mut rest) = text.split_once([' ', '\t']).unwrap_or((text, ""));
    let (scheme, after) = addr.split_once("://").ok_or_else(|| {
        format!(
            "{}: expected http://, https://, tcp:// or ssh://",
            quote(addr)
        )
    })?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        "ssh" => Some(22),
        "tcp" => None,
        _ => {
            return Err(format!(
                "unknown scheme {}: expected http, https, tcp or ssh",
                quote(&scheme)
            ));
        }
    };
    let http = scheme == "http" || scheme == "https";
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, path) = after.split_at(end);
    if !http && !path.is_empty() && path != "/" {
        return Err(format!("{}: a {scheme}:// target has no path", quote(addr)));
    }
    let hostport = match authority.rsplit_once('@') {
        Some(_) if !http => {
            return Err(format!("{}: a {scheme}:// target has no user", quote(addr)));
        }
        Some((_, h)) => h,
        None => authority,
    };
    let (host, port) = split_host_port(hostport).map_err(|e| format!("{}: {e}", quote(addr)))?;
    let port = match (port, default_port) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) => {
            return Err(format!(
                "{}: tcp:// needs a port (tcp://host:port)",
                quote(addr)
            ));
        }
    };

    let mut status = Vec::new();
    let mut contains = None;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(text) = rest.strip_prefix("contains=") {
            if text.is_empty() {
                return Err("contains= needs a text".to_string());
            }
            contains = Some(text.to_string());
            break;
        }
        let (word, more) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
        rest = more;
        match word.strip_prefix("status=") {
            Some(list) => {
                for item in list.split(',') {
                    status.push(parse_status(item)?);
                }
            }
            None => {
                return Err(format!(
                    "unknown option {}: expected status=LIST or contains=TEXT",
                    quote(word)
                ));
            }
        }
    }
    let check = if http {
        if status.is_empty() {
            status.push(StatusRange { lo: 200, hi: 299 });
        }
        Check::Http {
            url: addr.to_string(),
            status,
            contains,
        }
    } else if !status.is_empty() || contains.is_some() {
        return Err(format!(
            "status= and contains= are for http(s) targets, not {scheme}://"
        ));
    } else if scheme == "ssh" {
        Check::Ssh
    } else {
        Check::Tcp
    };
    Ok(Target {
        name: addr.to_string(),
        host: host.to_ascii_lowercase(),
        port,
        check,
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("unclosed [ in the address")?;
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(format!("{} is not an IPv6 address", quote(host)));
        }
        match after {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or("junk after ]")?)),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    if !s.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(format!("{} is not a host name", quote(host)));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("{} is not a port (1 to 65535)", quote(p))),
        },
    };
    Ok((host, port))
}

/// `200`, `2xx`.
fn parse_status(s: &str) -> Result<StatusRange, String> {
    let bad = || format!("{} is not a status (100 to 599) or class (2xx)", quote(s));
    if let Some(class) = s.strip_suffix("xx").or_else(|| s.strip_suffix("XX")) {
        let c: u16 = match class.as_bytes() {
            [d @ b'1'..=b'5'] => u16::from(d - b'0'),
            _ => return Err(bad()),
        };
        return Ok(StatusRange {
            lo: c * 100,
            hi: c * 100 + 99,
        });
    }
    match s.parse::<u16>() {
        Ok(n) if (100..=599).contains(&n) && s.len() == 3 => Ok(StatusRange { lo: n, hi: n }),
        _ => Err(bad()),
    }
}

/// A user's word, quoted and shortened for an error message.
fn quote(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    format!("{short:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Target {
        parse_target(s).unwrap()
    }

    #[test]
    fn the_four_schemes() {
        let h = t("https://API.example.com/health?full=1");
        assert_eq!((h.host.as_str(), h.port), ("api.example.com", 443));
        assert!(h.status_ok(204) && !h.status_ok(301));
        let h = t("http://10.0.0.5:8080/ready status=200,3xx contains=all systems go");
        assert_eq!(h.port, 8080);
        assert_eq!(
            h.check,
            Check::Http {
                url: "http://10.0.0.5:8080/ready".into(),
                status: vec![
                    StatusRange { lo: 200, hi: 200 },
                    StatusRange { lo: 300, hi: 399 }
                ],
                contains: Some("all systems go".into()),
            }
        );
        assert_eq!(t("tcp://db:5432").check, Check::Tcp);
        let s = t("ssh://bastion");
        assert_eq!((s.port, s.check), (22, Check::Ssh));
        let v6 = t("ssh://[2001:db8::1]:2222");
        assert_eq!((v6.host.as_str(), v6.port), ("2001:db8::1", 2222));
        assert_eq!(t("http://user:pw@h.example/").host, "h.example");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            (
                "example.com",
                "\"example.com\": expected http://, https://, tcp:// or ssh://",
            ),
            (
                "ftp://x",
                "unknown scheme \"ftp\": expected http, https, tcp or ssh",
            ),
            (
                "tcp://db",
                "\"tcp://db\": tcp:// needs a port (tcp://host:port)",
            ),
            (
                "tcp://db:0",
                "\"tcp://db:0\": \"0\" is not a port (1 to 65535)",
            ),
            (
                "tcp://db:99999",
                "\"tcp://db:99999\": \"99999\" is not a port (1 to 65535)",
            ),
            (
                "ssh://h/path",
                "\"ssh://h/path\": a ssh:// target has no path",
            ),
            ("http://", "\"http://\": no host"),
            (
                "http://h status=600",
                "\"600\" is not a status (100 to 599) or class (2xx)",
            ),
            (
                "http://h timeout=3",
                "unknown option \"timeout=3\": expected status=LIST or contains=TEXT",
            ),
            (
                "tcp://h:1 status=200",
                "status= and contains= are for http(s) targets, not tcp://",
            ),
            (
                "ssh://[zz]:22",
                "\"ssh://[zz]:22\": \"zz\" is not an IPv6 address",
            ),
            ("http://h contains=", "contains= needs a text"),
            (
                "http://a b.c/",
                "unknown option \"b.c/\": expected status=LIST or contains=TEXT",
            ),
            (
                "http://ex%41mple/",
                "\"http://ex%41mple/\": \"ex%41mple\" is not a host name",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(parse_target(input), Err(want.to_string()), "{input}");
        }
    }

    #[test]
    fn lists_skip_comments_and_name_the_line() {
        let list = "# fleet\n\nhttp://a/\n  tcp://b:1  \nssh://c\n";
        let got = parse_target_list(list, "t.txt").unwrap();
        assert_eq!(
            got.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["http://a/", "tcp://b:1", "ssh://c"]
        );
        let e = parse_target_list("http://a/\nbogus\n", "t.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.txt:2: \"bogus\": expected http://, https://, tcp:// or ssh://"
        );
    }

    proptest! {
        #[test]
        fn any_text_is_targets_or_an_error(text in "\\PC{0,200}") {
            // Never a panic; what is accepted is well formed.
            if let Ok(ts) = parse_target_list(&text, "fuzz") {
                for t in ts {
                    prop_assert!(t.port > 0);
                    prop_assert!(!t.host.is_empty());
                    prop_assert!(t.name.contains("://"));
                }
            }
        }

        #[test]
        fn written_targets_parse_back(host in "[a-z][a-z0-9-]{0,20}(\\.[a-z0-9-]{1,10}){0,3}", port in 1u16.., code in 100u16..600) {
            let tcp = t(&format!("tcp://{host}:{port}"));
            prop_assert_eq!((tcp.host.as_str(), tcp.port), (host.as_str(), port));
            let http = t(&format!("http://{host}:{port}/x status={code}"));
            prop_assert!(http.status_ok(code));
            prop_assert!(!http.status_ok(code + 1));
        }
    }
}
