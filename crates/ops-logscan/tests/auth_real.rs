//! The auth analyzer on real logs, checked against an oracle written
//! another way: regular expressions (the `regex` crate) and a brute-force
//! search over every ` from ` in a line, one line at a time, with maps of
//! owned keys. It shares no code with the analyzer but the ISO-8601 reader.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

use ops_logscan::{AuthAnalyzer, AuthStats, Input, KeyCounts, ScannerBuilder, parse_iso8601};
use regex::bytes::Regex;

type Counts = HashMap<Vec<u8>, u64>;

#[derive(Debug, Default, PartialEq)]
struct Oracle {
    lines: u64,
    sshd_lines: u64,
    failed: u64,
    failed_invalid_user: u64,
    failed_by_ip: Counts,
    failed_by_user: Counts,
    failed_by_method: Counts,
    invalid_user: u64,
    invalid_user_by_ip: Counts,
    invalid_user_names: Counts,
    accepted: u64,
    accepted_by_user: Counts,
    accepted_by_ip: Counts,
    repeated_lines: u64,
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

fn oracle(data: &[u8]) -> Oracle {
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

fn counts(k: &KeyCounts) -> Counts {
    k.iter().map(|(k, v)| (k.to_vec(), v)).collect()
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn scan(path: &PathBuf, threads: usize, chunk: u64, buffer: usize) -> AuthStats {
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
fn check(name: &str) -> (AuthStats, Oracle) {
    let path = testdata(name);
    let data = std::fs::read(&path).expect("read test data");
    let want = oracle(&data);
    let got = scan(&path, 1, 1 << 30, 1 << 20);

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
        let other = scan(&path, threads, chunk, buffer);
        assert_eq!(
            other, got,
            "{name}: threads {threads}, chunk {chunk}, buffer {buffer}"
        );
    }
    (got, want)
}

#[test]
fn elastic_auth_log() {
    let (got, want) = check("auth.log");
    // Known by grep: 632 `Failed` lines and 85 `message repeated N times:
    // [ Failed ...]` lines standing for 410 failures.
    assert_eq!(want.repeated_lines, 85);
    assert_eq!(got.failed, 632 + 410);
    assert_eq!(got.failed_by_ip.len(), 105);
    assert_eq!(got.invalid_user, 178);
    assert_eq!(got.accepted, 226);
    assert_eq!(got.failed_by_method.get(b"publickey"), 4);
    assert_eq!(got.malformed, 0);
    // `grep -c 'sshd\['`: the other 3,026 lines are CRON, sudo, systemd...
    assert_eq!(got.sshd_lines, 4095);
}

#[test]
fn loghub_openssh() {
    let (got, want) = check("OpenSSH_2k.log");
    // 522 `Failed` lines (4 of them `Failed none`), 2 repeated 5 times.
    assert_eq!(want.repeated_lines, 2);
    assert_eq!(got.failed, 522 + 10);
    assert_eq!(got.failed_by_method.get(b"none"), 4);
    assert_eq!(got.failed_by_ip.len(), 24);
    assert_eq!(got.invalid_user, 113);
    assert_eq!(got.accepted, 1);
    assert_eq!(got.accepted_by_user.get(b"fztu"), 1);
    assert_eq!(got.sshd_lines, 2000);
    assert_eq!(got.malformed, 0);
}

#[test]
fn loghub_linux_has_no_sshd_failures() {
    let (got, _) = check("Linux_2k.log");
    // Its failures come from `sshd(pam_unix)`, which is not `sshd`.
    assert_eq!(got.totals.lines, 2000);
    assert_eq!(got.failed, 0);
    assert!(got.failed_by_ip.is_empty());
    assert_eq!(got.sshd_lines, 0);
    assert_eq!(got.report(10).top, []);
}

#[test]
fn report_on_a_real_log() {
    let got = scan(&testdata("OpenSSH_2k.log"), 2, 50_000, 1 << 16);
    let r = got.report(3);
    assert_eq!(r.top.len(), 3);
    assert!(r.top.windows(2).all(|w| w[0].count >= w[1].count));
    assert_eq!(r.top[0].count, got.failed_by_ip.top(1)[0].1);
    let text = r.to_string();
    assert!(
        text.contains(&format!("failed logins: {}", got.failed)),
        "{text}"
    );
    assert!(text.contains(&r.top[0].ip));
}
