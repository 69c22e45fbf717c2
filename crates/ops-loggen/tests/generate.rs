//! Properties of generated files, checked through the public API only.

use std::collections::HashMap;
use std::net::IpAddr;

use ops_loggen::{GenOptions, Kind, Quirks, Summary, generate};

fn gen_with(kind: Kind, size: u64, seed: u64, quirks: Quirks) -> (Vec<u8>, Summary) {
    let opts = GenOptions::builder(kind)
        .size_bytes(size)
        .seed(seed)
        .quirks(quirks)
        .build()
        .unwrap_or_else(|e| panic!("valid options rejected: {e}"));
    let mut out = Vec::new();
    let summary =
        generate(&opts, &mut out).unwrap_or_else(|e| panic!("writing to a Vec failed: {e}"));
    (out, summary)
}

fn plain(kind: Kind, size: u64, seed: u64) -> (Vec<u8>, Summary) {
    gen_with(kind, size, seed, Quirks::none())
}

/// Lines without terminators (`\n`, or `\r\n`).
fn lines(out: &[u8]) -> Vec<&[u8]> {
    let body = out.strip_suffix(b"\n").unwrap_or(out);
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

fn text(line: &[u8]) -> &str {
    std::str::from_utf8(line)
        .unwrap_or_else(|_| panic!("not UTF-8: {:?}", String::from_utf8_lossy(line)))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

const KINDS: [Kind; 2] = [Kind::Auth, Kind::Access];

#[test]
fn same_options_give_identical_bytes_and_seeds_differ() {
    for kind in KINDS {
        for quirks in [Quirks::none(), Quirks::all()] {
            let (a, sa) = gen_with(kind, 300_000, 9, quirks);
            let (b, sb) = gen_with(kind, 300_000, 9, quirks);
            assert_eq!(sa, sb);
            assert!(a == b, "{kind} {quirks}: same seed, different bytes");
            let (c, _) = gen_with(kind, 300_000, 10, quirks);
            assert!(a != c, "{kind} {quirks}: seeds 9 and 10 gave the same file");
            // Not just a shifted clock: the first lines differ past the timestamp.
            assert_ne!(lines(&a)[0][16..], lines(&c)[0][16..]);
        }
    }
}

#[test]
fn output_is_pinned_for_one_seed() {
    // Benchmarks and tests elsewhere rely on seeds naming fixed files; a
    // change here must be deliberate (update the expected lines).
    let (auth, _) = plain(Kind::Auth, 1, 1);
    assert_eq!(
        text(&auth),
        "Sep 13 13:35:42 db-01 sshd[17762]: Failed password for invalid user ansible from 20.145.19.116 port 20956 ssh2\n"
    );
    let (access, _) = plain(Kind::Access, 1, 1);
    assert_eq!(
        text(&access),
        "86.5.7.109 - - [13/Sep/2024:13:35:42 +0000] \"GET /images/banner-4221.png HTTP/2.0\" 200 1440294 \"http://example.net/links.html\" \"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)\"\n"
    );
}

/// End of the content of the line before the last one.
fn previous_content_end(out: &[u8]) -> Option<usize> {
    let body = out.strip_suffix(b"\n").unwrap_or(out);
    let last_start = body.iter().rposition(|&b| b == b'\n')? + 1;
    let nl = last_start - 1;
    Some(if nl > 0 && out[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    })
}

#[test]
fn stops_at_the_first_line_end_at_or_after_the_size() {
    let sizes = [
        1u64, 2, 80, 81, 4095, 4096, 65_536, 1_048_575, 1_048_576, 1_048_577, 2_500_001,
    ];
    for kind in KINDS {
        for &size in &sizes {
            let (out, summary) = plain(kind, size, size);
            let len = out.len() as u64;
            assert_eq!(summary.bytes, len);
            assert!(len >= size, "{kind} {size}: only {len} bytes");
            assert_eq!(out.last(), Some(&b'\n'));
            if let Some(prev_end) = previous_content_end(&out) {
                // The previous line ended (terminator included) before the size.
                assert!(
                    (prev_end as u64 + 1) < size,
                    "{kind} {size}: one line too many"
                );
            }
        }
        let (empty, summary) = plain(kind, 0, 1);
        assert!(empty.is_empty());
        assert_eq!((summary.bytes, summary.lines), (0, 0));
    }
}

#[test]
fn no_final_newline_drops_only_the_last_terminator() {
    // Line texts do not depend on this quirk, so the plain file predicts
    // the output exactly, including when a terminator alone reaches the size.
    for kind in KINDS {
        let (reference, _) = plain(kind, 20_000, 21);
        let ends: Vec<usize> = reference
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(i, _)| i)
            .collect();
        for w in ends.windows(2).take(3) {
            let (nl, next_nl) = (w[0], w[1]);
            // The size falls on the newline: the next line becomes the last.
            let (out, summary) = gen_with(kind, nl as u64 + 1, 21, Quirks::NO_FINAL_NEWLINE);
            assert!(out == reference[..next_nl], "{kind}: size at a newline");
            assert_eq!(summary.lines, lines(&out).len() as u64);
            // The size falls on the last character of a line's text.
            let (out, _) = gen_with(kind, nl as u64, 21, Quirks::NO_FINAL_NEWLINE);
            assert!(out == reference[..nl], "{kind}: size at a line's end");
        }
        for size in (1..3000u64).step_by(331) {
            let (out, summary) =
                gen_with(kind, size, size, Quirks::NO_FINAL_NEWLINE | Quirks::CRLF);
            assert!(out.len() as u64 >= size, "{kind} {size}");
            assert!(!out.ends_with(b"\n"), "{kind} {size}: final newline");
            assert_eq!(summary.lines, lines(&out).len() as u64);
            if let Some(prev_end) = previous_content_end(&out) {
                assert!((prev_end as u64) < size, "{kind} {size}: one line too many");
            }
        }
    }
}

#[test]
fn summary_counts_lines() {
    for kind in KINDS {
        for quirks in [Quirks::none(), Quirks::all()] {
            let (out, summary) = gen_with(kind, 700_000, 5, quirks);
            let newlines = out.iter().filter(|&&b| b == b'\n').count() as u64;
            let unterminated = u64::from(!out.ends_with(b"\n"));
            assert_eq!(summary.lines, newlines + unterminated, "{kind} {quirks}");
            assert_eq!(summary.bytes, out.len() as u64);
            if kind == Kind::Access {
                assert_eq!(summary.auth_failures, 0);
            }
        }
    }
}

#[test]
fn plain_output_is_clean_ascii() {
    for kind in KINDS {
        let (out, _) = plain(kind, 2_000_000, 77);
        assert!(
            out.iter().all(|&b| b == b'\n' || (0x20..0x7F).contains(&b)),
            "{kind}: non-printable byte"
        );
        assert!(out.ends_with(b"\n"));
        assert!(
            lines(&out).iter().all(|l| !l.is_empty() && l.len() < 1000),
            "{kind}: empty or long line"
        );
    }
}

/// What each quirk leaves in a file, recognisable without a full parser.
fn shows(quirk: Quirks, kind: Kind, out: &[u8]) -> bool {
    let ls = lines(out);
    let any = |pred: &dyn Fn(&[u8]) -> bool| ls.iter().any(|l| pred(l));
    match quirk {
        q if q == Quirks::CRLF => contains(out, b"\r\n"),
        q if q == Quirks::NO_FINAL_NEWLINE => !out.ends_with(b"\n"),
        q if q == Quirks::INVALID_UTF8 => std::str::from_utf8(out).is_err(),
        q if q == Quirks::NUL_BYTES => out.contains(&0),
        q if q == Quirks::LONG_LINES => any(&|l| l.len() >= 4096),
        q if q == Quirks::ISO_TIMESTAMPS => {
            any(&|l| l.len() > 32 && l[4] == b'-' && &l[26..33] == b"+00:00 ")
        }
        q if q == Quirks::MISSING_PID => contains(out, b" sshd: "),
        q if q == Quirks::ODD_USERS => {
            contains(out, b"invalid user  from") || contains(out, b"user john smith ")
        }
        q if q == Quirks::DECOYS => any(&|l| {
            contains(l, b"Failed password for root from 1.2.3.4 port 22 ssh2")
                && !contains(l, b" sshd[")
        }),
        q if q == Quirks::ESCAPED_QUOTES => contains(out, b"\\\""),
        q if q == Quirks::EMPTY_REQUESTS => contains(out, b"] \"-\" 40"),
        q if q == Quirks::EXTRA_FIELDS => {
            any(&|l| l.ends_with(b":8080\"") || l.ends_with(b".sock\""))
        }
        q if q == Quirks::MALFORMED => any(&|l| l.iter().filter(|&&b| b == b'"').count() != 6),
        q if q == Quirks::COMMON_FORMAT => any(&|l| {
            // `..." 200 1234` or `..." 304 -` at the end of the line.
            let tail = l.rsplit(|&b| b == b'"').next().unwrap_or(b"");
            let fields: Vec<&[u8]> = tail.split(|&b| b == b' ').collect();
            fields.len() == 3
                && fields[0].is_empty()
                && fields[1].len() == 3
                && fields[1].iter().all(u8::is_ascii_digit)
                && (fields[2] == b"-"
                    || (!fields[2].is_empty() && fields[2].iter().all(u8::is_ascii_digit)))
        }),
        _ => panic!("no check for {quirk} ({kind})"),
    }
}

fn applies(quirk: Quirks, kind: Kind) -> bool {
    let auth_only =
        Quirks::ISO_TIMESTAMPS | Quirks::MISSING_PID | Quirks::ODD_USERS | Quirks::DECOYS;
    let access_only = Quirks::ESCAPED_QUOTES
        | Quirks::EMPTY_REQUESTS
        | Quirks::EXTRA_FIELDS
        | Quirks::MALFORMED
        | Quirks::COMMON_FORMAT;
    match kind {
        Kind::Auth => !access_only.contains(quirk),
        Kind::Access => !auth_only.contains(quirk),
        other => panic!("no quirk table for {other}"),
    }
}

#[test]
fn each_quirk_shows_only_when_enabled() {
    for kind in KINDS {
        let (clean, _) = plain(kind, 1_000_000, 3);
        let (all, _) = gen_with(kind, 1_000_000, 3, Quirks::all());
        for &(name, quirk) in Quirks::NAMES {
            if !applies(quirk, kind) {
                continue;
            }
            assert!(!shows(quirk, kind, &clean), "{kind}: {name} without quirks");
            assert!(
                shows(quirk, kind, &all),
                "{kind}: {name} missing with all quirks"
            );
            let (alone, _) = gen_with(kind, 300_000, 3, quirk);
            assert!(
                shows(quirk, kind, &alone),
                "{kind}: {name} missing when enabled alone"
            );
            // The byte-level quirks leak into no other quirk's output.
            for &(other_name, other) in &Quirks::NAMES[..4] {
                if other != quirk {
                    assert!(
                        !shows(other, kind, &alone),
                        "{kind}: {name} alone shows {other_name}"
                    );
                }
            }
        }
    }
}

#[test]
fn long_lines_follow_the_option() {
    for kind in KINDS {
        let opts = GenOptions::builder(kind)
            .size_bytes(200_000)
            .seed(4)
            .quirks(Quirks::LONG_LINES)
            .long_line_bytes(50_000)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        generate(&opts, &mut out).unwrap_or_else(|e| panic!("{e}"));
        let longest = lines(&out).iter().map(|l| l.len()).max().unwrap_or(0);
        assert!(
            (50_000..51_000).contains(&longest),
            "{kind}: longest line {longest}"
        );
    }
}

// ---------------------------------------------------------------- auth

/// The program tag and message of a classic syslog line.
fn syslog_parts(line: &str) -> Option<(&str, &str)> {
    // "Mar 27 13:06:56 host prog[pid]: message"
    let rest = line.get(16..)?;
    let (_host, rest) = rest.split_once(' ')?;
    rest.split_once(": ")
}

fn is_sshd_tag(tag: &str) -> bool {
    tag == "sshd"
        || tag
            .strip_prefix("sshd[")
            .and_then(|t| t.strip_suffix(']'))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses a failure message strictly by the documented grammar; returns
/// (user, address, port).
fn parse_failure(msg: &str) -> Result<(String, IpAddr, u16), String> {
    let (inner, repeated) = match msg.strip_prefix("message repeated ") {
        Some(rest) => {
            let (n, rest) = rest.split_once(" times: [ ").ok_or("repeat count")?;
            let n: u32 = n.parse().map_err(|_| "repeat count")?;
            if n < 2 {
                return Err("repeat count below 2".into());
            }
            (rest.strip_suffix(']').ok_or("closing bracket")?, true)
        }
        None => (msg, false),
    };
    let rest = inner.strip_prefix("Failed ").ok_or("Failed prefix")?;
    let (method, rest) = rest.split_once(" for ").ok_or("method")?;
    if !["password", "publickey", "none", "keyboard-interactive/pam"].contains(&method) {
        return Err(format!("method {method}"));
    }
    if repeated && method != "password" {
        return Err("repeated non-password".into());
    }
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    let (user, rest) = rest.split_once(" from ").ok_or("from")?;
    if user.is_empty()
        || !user
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
    {
        return Err(format!("user {user:?}"));
    }
    let (addr, rest) = rest.split_once(" port ").ok_or("port")?;
    let addr: IpAddr = addr.parse().map_err(|_| format!("address {addr}"))?;
    let (port, rest) = rest.split_once(" ssh2").ok_or("ssh2")?;
    let port: u16 = port.parse().map_err(|_| format!("port {port}"))?;
    if port < 1024 {
        return Err(format!("port {port}"));
    }
    match rest {
        "" => {}
        key if method == "publickey" => {
            let key = key.strip_prefix(": ").ok_or("key separator")?;
            let (ty, fp) = key.split_once(" SHA256:").ok_or("key fingerprint")?;
            if !["RSA", "ECDSA", "ED25519"].contains(&ty) {
                return Err(format!("key type {ty}"));
            }
            if fp.len() != 43
                || !fp
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
            {
                return Err(format!("fingerprint {fp}"));
            }
        }
        other => return Err(format!("trailing {other:?}")),
    }
    Ok((user.to_owned(), addr, port))
}

#[test]
fn auth_failures_follow_the_grammar_and_match_the_summary() {
    for seed in [1, 2, 3] {
        let (out, summary) = plain(Kind::Auth, 1_500_000, seed);
        let mut failures = 0u64;
        let mut methods = HashMap::new();
        for line in lines(&out) {
            let line = text(line);
            let (tag, msg) = syslog_parts(line).unwrap_or_else(|| panic!("not syslog: {line}"));
            if is_sshd_tag(tag)
                && (msg.starts_with("Failed ") || msg.starts_with("message repeated "))
            {
                failures += 1;
                if let Err(why) = parse_failure(msg) {
                    panic!("bad failure line ({why}): {line}");
                }
                *methods
                    .entry(msg.split(' ').nth(1).unwrap_or(""))
                    .or_insert(0) += 1;
            } else {
                assert!(!msg.contains("Failed password"), "unexpected: {line}");
            }
        }
        assert_eq!(failures, summary.auth_failures, "seed {seed}");
        let share = failures as f64 / summary.lines as f64;
        assert!((0.20..=0.35).contains(&share), "sshd failure share {share}");
        for m in [
            "password",
            "publickey",
            "none",
            "keyboard-interactive/pam",
            "repeated",
        ] {
            assert!(methods.get(m).copied().unwrap_or(0) > 0, "no {m} failures");
        }
    }
}

#[test]
fn auth_lines_look_like_syslog_and_time_advances() {
    let (out, _) = plain(Kind::Auth, 1_000_000, 2);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut last = (0, 0, String::new());
    let mut programs = HashMap::new();
    for line in lines(&out) {
        let line = text(line);
        let month = months
            .iter()
            .position(|m| line.starts_with(m))
            .unwrap_or_else(|| panic!("month: {line}"));
        let day: u32 = line[4..6]
            .trim_start()
            .parse()
            .unwrap_or_else(|_| panic!("day: {line}"));
        assert!(
            line[4..6].starts_with(' ') == (day < 10),
            "day padding: {line}"
        );
        let hms = &line[7..15];
        assert!(hms.bytes().enumerate().all(|(i, b)| if i == 2 || i == 5 {
            b == b':'
        } else {
            b.is_ascii_digit()
        }));
        let now = (month, day, hms.to_owned());
        assert!(now >= last, "time went back: {line}");
        last = now;
        let (tag, _) = syslog_parts(line).unwrap_or_else(|| panic!("{line}"));
        let program = tag.split('[').next().unwrap_or(tag);
        *programs.entry(program.to_owned()).or_insert(0u32) += 1;
    }
    for p in ["sshd", "CRON", "systemd", "systemd-logind", "sudo", "su"] {
        assert!(programs.contains_key(p), "no {p} lines: {programs:?}");
    }
}

fn median(mut counts: Vec<u32>) -> u32 {
    counts.sort_unstable();
    counts[counts.len() / 2]
}

#[test]
fn attacker_addresses_are_zipf_like() {
    let (out, _) = plain(Kind::Auth, 4_000_000, 8);
    let mut per_ip: HashMap<IpAddr, u32> = HashMap::new();
    let mut v6 = 0;
    for line in lines(&out) {
        let line = text(line);
        if let Some((tag, msg)) = syslog_parts(line)
            && is_sshd_tag(tag)
            && let Ok((_, addr, _)) = parse_failure(msg)
        {
            *per_ip.entry(addr).or_insert(0) += 1;
            v6 += u32::from(addr.is_ipv6());
        }
    }
    let total: u32 = per_ip.values().sum();
    let top = per_ip.values().copied().max().unwrap_or(0);
    assert!(per_ip.len() > 500, "only {} attackers", per_ip.len());
    assert!(
        top > 50 * median(per_ip.values().copied().collect()),
        "top {top}"
    );
    let mut sorted: Vec<u32> = per_ip.values().copied().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let top10: u32 = sorted.iter().take(10).sum();
    assert!(
        top10 * 2 > total,
        "top 10 attackers make {top10} of {total} attempts"
    );
    assert!(v6 > 0, "no IPv6 attackers");
}

// ---------------------------------------------------------------- access

/// (address, status, bytes field) of a plain combined line, checked strictly.
fn parse_access(line: &str) -> Result<(IpAddr, u16), String> {
    if line.bytes().filter(|&b| b == b'"').count() != 6 {
        return Err("not six quotes".into());
    }
    let (addr, rest) = line.split_once(' ').ok_or("address")?;
    let addr: IpAddr = addr.parse().map_err(|_| format!("address {addr}"))?;
    let rest = rest.strip_prefix("- ").ok_or("ident")?;
    let (_user, rest) = rest.split_once(" [").ok_or("user")?;
    let (time, rest) = rest.split_once("] \"").ok_or("time")?;
    if time.len() != 26 || !time.ends_with(" +0000") {
        return Err(format!("time {time}"));
    }
    let (request, rest) = rest.split_once("\" ").ok_or("request")?;
    let mut parts = request.split(' ');
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("");
    let proto = parts.next().unwrap_or("");
    if !["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"].contains(&method)
        || !path.starts_with('/')
        || !["HTTP/1.0", "HTTP/1.1", "HTTP/2.0"].contains(&proto)
        || parts.next().is_some()
    {
        return Err(format!("request {request}"));
    }
    let status = rest.get(..3).ok_or("status")?;
    if !status.bytes().all(|b| b.is_ascii_digit()) || rest.as_bytes().get(3) != Some(&b' ') {
        return Err(format!("status {rest}"));
    }
    let (bytes, rest) = rest[4..].split_once(' ').ok_or("bytes")?;
    if bytes != "-" && bytes.parse::<u64>().is_err() {
        return Err(format!("bytes {bytes}"));
    }
    if !rest.starts_with('"') || !rest.ends_with('"') || !rest.contains("\" \"") {
        return Err(format!("referer/agent {rest}"));
    }
    Ok((addr, status.parse().map_err(|_| "status")?))
}

#[test]
fn access_lines_are_combined_format_with_a_realistic_status_mix() {
    let (out, summary) = plain(Kind::Access, 3_000_000, 6);
    let mut status: HashMap<u16, u32> = HashMap::new();
    let mut per_ip: HashMap<IpAddr, u32> = HashMap::new();
    let mut v6 = 0u32;
    for line in lines(&out) {
        let line = text(line);
        let (addr, code) = parse_access(line).unwrap_or_else(|why| panic!("{why}: {line}"));
        *status.entry(code).or_insert(0) += 1;
        *per_ip.entry(addr).or_insert(0) += 1;
        v6 += u32::from(addr.is_ipv6());
    }
    let n = summary.lines as f64;
    let share = |codes: &[u16]| {
        codes
            .iter()
            .map(|c| status.get(c).copied().unwrap_or(0))
            .sum::<u32>() as f64
            / n
    };
    assert!(
        (0.72..0.86).contains(&share(&[200])),
        "200: {}",
        share(&[200])
    );
    assert!(
        (0.005..0.02).contains(&share(&[500, 502, 503, 504])),
        "5xx: {}",
        share(&[500, 502, 503, 504])
    );
    for code in [
        200, 206, 301, 302, 304, 401, 403, 404, 499, 500, 502, 503, 504,
    ] {
        assert!(status.contains_key(&code), "no {code}");
    }
    let top = per_ip.values().copied().max().unwrap_or(0);
    assert!(
        top > 20 * median(per_ip.values().copied().collect()),
        "top client {top}"
    );
    assert!(per_ip.len() > 2000, "{} clients", per_ip.len());
    assert!(v6 > 0, "no IPv6 clients");
}

#[test]
fn access_time_advances() {
    let (out, _) = plain(Kind::Access, 1_000_000, 12);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut last = (0u32, 0usize, 0u32, String::new());
    for line in lines(&out) {
        let line = text(line);
        let start = line.find('[').unwrap_or_else(|| panic!("{line}")) + 1;
        let t = &line[start..start + 20]; // 17/May/2015:10:05:03
        let day: u32 = t[0..2].parse().unwrap_or_else(|_| panic!("{line}"));
        let month = months
            .iter()
            .position(|m| *m == &t[3..6])
            .unwrap_or_else(|| panic!("{line}"));
        let year: u32 = t[7..11].parse().unwrap_or_else(|_| panic!("{line}"));
        let now = (year, month, day, t[12..].to_owned());
        assert!(now >= last, "time went back: {line}");
        last = now;
    }
}
