//! The access oracle: what the access analyzer should find in a combined
//! log, computed line by line another way (one regular expression per
//! line, a days-since-1970 loop for times), sharing no code with it.

use std::collections::{BTreeMap, HashMap};

use ops_logscan::{AccessStats, TimeRange};
use regex::bytes::Regex;

/// What the access analyzer should find, computed line by line another
/// way: one regular expression per line, a days-since-1970 loop for
/// times.
#[derive(Debug, Default)]
pub struct Oracle {
    pub lines: u64,
    pub parsed: u64,
    pub malformed: u64,
    pub status: BTreeMap<u16, u64>,
    pub ips: HashMap<Vec<u8>, u64>,
    pub paths_5xx: HashMap<Vec<u8>, u64>,
    pub bytes_sent: u64,
    pub per_minute: BTreeMap<i64, u64>,
}

fn unix_time(day: i64, month: &[u8], year: i64, h: i64, m: i64, s: i64, zone: &[u8]) -> i64 {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = 0;
    for y in 1970..year {
        days += if leap(y) { 366 } else { 365 };
    }
    let month_days = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mi = MONTHS.iter().position(|n| *n == month).expect("month");
    days += month_days[..mi].iter().sum::<i64>() + day - 1;
    let num = |b: &[u8]| -> i64 {
        std::str::from_utf8(b)
            .expect("digits")
            .parse()
            .expect("digits")
    };
    let offset = (num(&zone[1..3]) * 60 + num(&zone[3..5])) * 60;
    let offset = if zone[0] == b'-' { -offset } else { offset };
    days * 86_400 + h * 3600 + m * 60 + s - offset
}

pub fn oracle(text: &[u8], range: TimeRange) -> Oracle {
    // `(?-u)`: bytes, so lines with invalid UTF-8 are matched as bytes.
    let line_re = Regex::new(
        r#"(?-u)^(\S+) \S+ \S+ \[(\d\d)/(\w\w\w)/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: |$)"#,
    )
    .expect("regex");
    let path_re = Regex::new(r"^[A-Z]+ ([^ ?]+)").expect("regex");
    let mut o = Oracle::default();
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if text.is_empty() || text.ends_with(b"\n") {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        o.lines += 1;
        let Some(c) = line_re.captures(line) else {
            o.malformed += 1;
            continue;
        };
        let num = |i: usize| -> i64 {
            std::str::from_utf8(&c[i])
                .expect("digits")
                .parse()
                .expect("digits")
        };
        let t = unix_time(num(2), &c[3], num(4), num(5), num(6), num(7), &c[8]);
        if !range.contains(t) {
            continue;
        }
        o.parsed += 1;
        let status = num(10) as u16;
        *o.status.entry(status).or_default() += 1;
        *o.ips.entry(c[1].to_vec()).or_default() += 1;
        if (500..600).contains(&status)
            && let Some(p) = path_re.captures(&c[9])
        {
            *o.paths_5xx.entry(p[1].to_vec()).or_default() += 1;
        }
        if &c[11] != b"-" {
            o.bytes_sent += num(11) as u64;
        }
        *o.per_minute.entry(t - t.rem_euclid(60)).or_default() += 1;
    }
    o
}

pub fn check_against_oracle(s: &AccessStats, o: &Oracle) {
    assert_eq!(s.totals.lines, o.lines, "lines");
    assert_eq!(s.parsed, o.parsed, "parsed");
    assert_eq!(s.malformed, o.malformed, "malformed");
    let status: BTreeMap<u16, u64> = s.status.iter().collect();
    assert_eq!(status, o.status);
    let ips: HashMap<Vec<u8>, u64> = s.by_ip.iter().map(|(k, n)| (k.to_vec(), n)).collect();
    assert_eq!(ips, o.ips);
    let paths: HashMap<Vec<u8>, u64> = s.paths_5xx.iter().map(|(k, n)| (k.to_vec(), n)).collect();
    assert_eq!(paths, o.paths_5xx);
    assert_eq!(s.bytes_sent, o.bytes_sent);
    assert_eq!(s.per_minute, o.per_minute);

    // The top list, ordered by count descending then address.
    let mut want: Vec<(&Vec<u8>, u64)> = o.ips.iter().map(|(k, n)| (k, *n)).collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let report = s.report(25);
    let got: Vec<(String, u64)> = report
        .top_ips
        .iter()
        .map(|e| (e.ip.clone(), e.count))
        .collect();
    let want: Vec<(String, u64)> = want
        .iter()
        .take(25)
        .map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n))
        .collect();
    assert_eq!(got, want);
}
