//! The auth oracle: an independent reading of sshd auth logs, written
//! another way than the analyzer: regular expressions (the `regex` crate)
//! and a brute-force search over every ` from ` in a line, one line at a
//! time, with maps of owned keys. It shares no code with the analyzer but
//! the ISO-8601 reader. `check` compares the two on a file, under several
//! ways of splitting it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ops_logscan::{AuthAnalyzer, AuthStats, Input, KeyCounts, ScannerBuilder, parse_iso8601};
use regex::bytes::Regex;

pub type Counts = HashMap<Vec<u8>, u64>;

#[derive(Debug, Default, PartialEq)]
pub struct Oracle {
    pub lines: u64,
    pub sshd_lines: u64,
    pub failed: u64,
    pub failed_invalid_user: u64,
    pub failed_by_ip: Counts,
    pub failed_by_user: Counts,
    pub failed_by_method: Counts,
    pub invalid_user: u64,
    pub invalid_user_by_ip: Counts,
    pub invalid_user_names: Counts,
    pub accepted: u64,
    pub accepted_by_user: Counts,
    pub accepted_by_ip: Counts,
    pub repeated_lines: u64,
}

struct Rules {
    header: Regex,
    failed: Regex,
    repeated: Regex,
    invalid: Regex,
    accepted: Regex,
    tail_port: Regex,
    tail_optional_port: Regex,
}

impl Rules {
    fn new() -> Rules {
        // `(?s-u)`: `.` is any byte, so names that are not UTF-8 match.
        let re = |s: &str| Regex::new(&format!("(?s-u){s}")).expect("oracle regex");
        Rules {
            header: re(concat!(
                r"^(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ",
                r"(?: [1-9]|0[1-9]|[12][0-9]|3[01]) ",
                r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)",
                r"|(?P<iso>[0-9]{4}-[^ ]*)) [^ ]+ sshd(?:\[[0-9]+\])?: (?P<msg>.*)$",
            )),
            failed: re(r"^Failed (?P<method>[^ ]+) for (?P<rest>.*)$"),
            repeated: re(r"^message repeated (?P<n>[0-9]+) times: \[ (?P<inner>Failed .*)\]$"),
            invalid: re(r"^Invalid user (?P<rest>.*)$"),
            accepted: re(r"^Accepted (?P<method>[^ ]+) for (?P<rest>.*)$"),
            tail_port: re(r"^ from (?P<ip>[^ ]+) port [0-9]+(?: .*)?$"),
            tail_optional_port: re(r"^ from (?P<ip>[^ ]+)(?: port [0-9]+(?: .*)?)?$"),
        }
    }

    /// The user and address of `USER from IP ...`: tries every ` from `,
    /// keeps the rightmost whose tail matches and whose address parses.
    fn user_ip<'a>(&self, rest: &'a [u8], tail: &Regex) -> Option<(&'a [u8], &'a [u8])> {
        let mut best = None;
        for i in 0..rest.len() {
            let Some(c) = tail.captures(&rest[i..]) else {
                continue;
            };
            let ip = c.name("ip").map(|m| m.as_bytes())?;
            let valid = std::str::from_utf8(ip).is_ok_and(|s| s.parse::<IpAddr>().is_ok());
            if valid {
                best = Some((&rest[..i], &rest[i + 6..i + 6 + ip.len()]));
            }
        }
        best
    }

    fn failed(&self, msg: &[u8], n: u64, o: &mut Oracle) {
        let Some(c) = self.failed.captures(msg) else {
            return;
        };
        let (method, rest) = (&c["method"], &c["rest"]);
        let Some((user, ip)) = self.user_ip(rest, &self.tail_port) else {
            return;
        };
        let (user, invalid) = match user.strip_prefix(b"invalid user ") {
            Some(u) => (u, true),
            None => (user, false),
        };
        o.failed += n;
        if invalid {
            o.failed_invalid_user += n;
        }
        *o.failed_by_ip.entry(ip.to_vec()).or_default() += n;
        *o.failed_by_user.entry(user.to_vec()).or_default() += n;
        *o.failed_by_method.entry(method.to_vec()).or_default() += n;
    }

    fn line(&self, line: &[u8], o: &mut Oracle) {
        o.lines += 1;
        let Some(h) = self.header.captures(line) else {
            return;
        };
        if let Some(iso) = h.name("iso") {
            let b = iso.as_bytes();
            if parse_iso8601(b).is_none_or(|(_, n)| n != b.len()) {
                return;
            }
        }
        o.sshd_lines += 1;
        let msg = &h["msg"];
        if let Some(c) = self.repeated.captures(msg) {
            o.repeated_lines += 1;
            let n: u64 = std::str::from_utf8(&c["n"])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if n > 0 {
                self.failed(&c["inner"], n, o);
            }
        } else if msg.starts_with(b"Failed ") {
            self.failed(msg, 1, o);
        } else if let Some(c) = self.invalid.captures(msg) {
            if let Some((user, ip)) = self.user_ip(&c["rest"], &self.tail_optional_port) {
                o.invalid_user += 1;
                *o.invalid_user_by_ip.entry(ip.to_vec()).or_default() += 1;
                *o.invalid_user_names.entry(user.to_vec()).or_default() += 1;
            }
        } else if let Some(c) = self.accepted.captures(msg)
            && let Some((user, ip)) = self.user_ip(&c["rest"], &self.tail_port)
        {
            o.accepted += 1;
            *o.accepted_by_user.entry(user.to_vec()).or_default() += 1;
            *o.accepted_by_ip.entry(ip.to_vec()).or_default() += 1;
        }
    }
}

pub fn oracle(data: &[u8]) -> Oracle {
    let rules = Rules::new();
    let mut o = Oracle::default();
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.is_empty() || data.ends_with(b"\n") {
        lines.pop();
    }
    for line in lines {
        rules.line(line.strip_suffix(b"\r").unwrap_or(line), &mut o);
    }
    o
}

pub fn counts(k: &KeyCounts) -> Counts {
    k.iter().map(|(k, v)| (k.to_vec(), v)).collect()
}

pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

pub fn scan(path: &Path, threads: usize, chunk: u64, buffer: usize) -> AuthStats {
    ScannerBuilder::new()
        .threads(threads)
        .chunk_size(chunk)
        .buffer_size(buffer)
        .build()
        .expect("valid options")
        .scan(&AuthAnalyzer::new(), &[Input::from(path)])
        .expect("scan")
}

/// Checks the analyzer against the oracle and against itself under other
/// splits; returns both for further checks.
pub fn check(path: &Path) -> (AuthStats, Oracle) {
    let name = path.display();
    let data = std::fs::read(path).expect("read test data");
    let want = oracle(&data);
    let got = scan(path, 1, 1 << 30, 1 << 20);

    assert_eq!(got.totals.lines, want.lines, "{name}: lines");
    assert_eq!(got.totals.bytes, data.len() as u64, "{name}: bytes");
    assert_eq!(got.totals.oversized, 0, "{name}: oversized");
    assert_eq!(got.sshd_lines, want.sshd_lines, "{name}: sshd lines");
    assert_eq!(got.failed, want.failed, "{name}: failed");
    assert_eq!(got.failed_invalid_user, want.failed_invalid_user, "{name}");
    assert_eq!(
        counts(&got.failed_by_ip),
        want.failed_by_ip,
        "{name}: by ip"
    );
    assert_eq!(counts(&got.failed_by_user), want.failed_by_user, "{name}");
    assert_eq!(
        counts(&got.failed_by_method),
        want.failed_by_method,
        "{name}"
    );
    assert_eq!(got.invalid_user, want.invalid_user, "{name}: invalid user");
    assert_eq!(counts(&got.invalid_user_by_ip), want.invalid_user_by_ip);
    assert_eq!(counts(&got.invalid_user_names), want.invalid_user_names);
    assert_eq!(got.accepted, want.accepted, "{name}: accepted");
    assert_eq!(counts(&got.accepted_by_user), want.accepted_by_user);
    assert_eq!(counts(&got.accepted_by_ip), want.accepted_by_ip);
    assert_eq!(got.filtered, 0);

    let mut want_ips: Vec<&Vec<u8>> = want.failed_by_ip.keys().collect();
    want_ips.sort();
    let got_ips: Vec<&[u8]> = got.failed_ips();
    assert_eq!(
        got_ips,
        want_ips.iter().map(|v| v.as_slice()).collect::<Vec<_>>()
    );

    for (threads, chunk, buffer) in [(2, 4096, 1 << 20), (3, 997, 4096), (2, 64, 100), (1, 97, 7)] {
        let other = scan(path, threads, chunk, buffer);
        assert_eq!(
            other, got,
            "{name}: threads {threads}, chunk {chunk}, buffer {buffer}"
        );
    }
    (got, want)
}
