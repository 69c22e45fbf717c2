//! Timestamps as found in logs, as Unix seconds (UTC).
//!
//! Written here rather than taken from a date crate: logs need only a few
//! fixed layouts, and these parsers run once per line on the hot path.

use crate::Error;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Shift the year to start in March so February's leap day comes last.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a count of days since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    parse_u64(b).and_then(|v| u32::try_from(v).ok())
}

/// Non-empty ASCII digits as a `u64`; `None` on anything else or overflow.
#[inline]
pub(crate) fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Month number (1-12) of an English three-letter abbreviation.
#[inline]
pub(crate) fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn seconds(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + s))
}

/// `10/Oct/2000:13:55:36 -0700`, the common log format's `%t` (without
/// brackets), as Unix seconds.
pub fn parse_clf(b: &[u8]) -> Option<i64> {
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let d = digits(&b[0..2])?;
    let mo = month_from_abbrev(&b[3..6])?;
    let y = digits(&b[7..11])?;
    let (h, mi, s) = hms(&b[12..20])?;
    let t = seconds(i64::from(y), mo, d, h, mi, s)?;
    Some(t - offset(&b[21..26])?)
}

fn hms(b: &[u8]) -> Option<(u32, u32, u32)> {
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((digits(&b[0..2])?, digits(&b[3..5])?, digits(&b[6..8])?))
}

/// `+0200`, `-07:00`, `Z` as seconds east of UTC.
fn offset(b: &[u8]) -> Option<i64> {
    let (sign, rest) = match b {
        b"Z" | b"z" => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let (h, m) = match rest {
        [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?),
        [h1, h2] => (digits(&[*h1, *h2])?, 0),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// An ISO-8601 / RFC 3339 timestamp at the start of `b`, such as
/// `2026-11-20T10:00:00.123+00:00` (fraction and offset optional; no
/// offset means UTC). Returns the Unix seconds and the bytes consumed.
pub fn parse_iso8601(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let (h, mi, s) = hms(&b[11..19])?;
    let mut t = seconds(i64::from(y), mo, d, h, mi, s)?;
    let mut i = 19;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    let rest = &b[i..];
    let zone_len = match rest.first() {
        Some(b'Z' | b'z') => 1,
        Some(b'+' | b'-') => {
            if rest.len() >= 6 && rest[3] == b':' {
                6
            } else if rest.len() >= 5 && rest[1..5].iter().all(u8::is_ascii_digit) {
                5
            } else {
                3
            }
        }
        _ => 0,
    };
    if zone_len > 0 {
        t -= offset(rest.get(..zone_len)?)?;
        i += zone_len;
    }
    Some((t, i))
}

/// A classic syslog timestamp `Mar 27 13:06:56` (day space- or
/// zero-padded), which has neither year nor zone: it is read in `year`,
/// as UTC.
pub fn parse_syslog(b: &[u8], year: i32) -> Option<i64> {
    if b.len() != 15 || b[3] != b' ' || b[6] != b' ' {
        return None;
    }
    let mo = month_from_abbrev(&b[0..3])?;
    let d = match &b[4..6] {
        [b' ', d] => digits(&[*d])?,
        dd => digits(dd)?,
    };
    let (h, mi, s) = hms(&b[7..15])?;
    seconds(i64::from(year), mo, d, h, mi, s)
}

/// A time window, `since` inclusive and `until` exclusive, in Unix seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimeRange {
    /// Lines before this time are left out.
    pub since: Option<i64>,
    /// Lines at or after this time are left out.
    pub until: Option<i64>,
}

impl TimeRange {
    /// Whether the range lets everything through.
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether `t` falls in the range.
    #[inline]
    pub fn contains(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// Reads a time given by a person, for `--since` and `--until`:
/// `2026-11-20`, `2026-11-20T10:00`, `2026-11-20 10:00:00`, any of them
/// with a fraction and a `Z` or `+01:00` offset (UTC when none), or Unix
/// seconds as `@1763632800`.
pub fn parse_time_arg(text: &str) -> Result<i64, Error> {
    let err = |reason| Error::Time {
        input: text.to_owned(),
        reason,
    };
    const EXPECTED: &str =
        "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][.frac][Z|+HH:MM], or @UNIX_SECONDS";
    let t = text.trim();
    if let Some(secs) = t.strip_prefix('@') {
        return secs.parse::<i64>().map_err(|_| err(EXPECTED));
    }
    let b = t.as_bytes();
    match b.len() {
        10 => {
            // A date alone: midnight UTC.
            let mut full = b.to_vec();
            full.extend_from_slice(b"T00:00:00");
            parse_iso8601(&full)
                .filter(|(_, n)| *n == full.len())
                .map(|(s, _)| s)
                .ok_or_else(|| err(EXPECTED))
        }
        _ => {
            // Seconds may be left out: `2026-11-20T10:00`.
            let mut full = b.to_vec();
            if b.len() >= 16 && b.get(16).is_none_or(|c| !c.is_ascii_digit() && *c != b':') {
                full.splice(16..16, *b":00");
            }
            match parse_iso8601(&full) {
                Some((s, n)) if n == full.len() => Ok(s),
                _ => Err(err(EXPECTED)),
            }
        }
    }
}

/// `2026-11-20T10:00Z` for a time in Unix seconds, to the minute.
pub fn format_minute(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}Z", s / 3600, s % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 10_957, 20_412, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn clf_timestamps() {
        // `date -u -d '2000-10-10 20:55:36' +%s` = 971211336
        assert_eq!(parse_clf(b"10/Oct/2000:13:55:36 -0700"), Some(971_211_336));
        assert_eq!(
            parse_clf(b"17/May/2015:10:05:03 +0000"),
            Some(1_431_857_103)
        );
        assert_eq!(parse_clf(b"31/Feb/2015:10:05:03 +0000"), None);
        assert_eq!(parse_clf(b"17/Mai/2015:10:05:03 +0000"), None);
        assert_eq!(parse_clf(b"17/May/2015:10:05:03"), None);
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(
            parse_iso8601(b"2026-11-20T10:00:00.123+00:00 host"),
            Some((1_795_168_800, 29))
        );
        assert_eq!(
            parse_iso8601(b"2026-11-20T11:00:00+0100"),
            Some((1_795_168_800, 24))
        );
        assert_eq!(
            parse_iso8601(b"2026-11-20T10:00:00Z"),
            Some((1_795_168_800, 20))
        );
        assert_eq!(
            parse_iso8601(b"2026-11-20T10:00:00"),
            Some((1_795_168_800, 19))
        );
        assert_eq!(parse_iso8601(b"2026-13-20T10:00:00"), None);
        assert_eq!(parse_iso8601(b"2026-11-20T10:00:00."), None);
    }

    #[test]
    fn syslog_timestamps() {
        assert_eq!(parse_syslog(b"Nov 20 10:00:00", 2026), Some(1_795_168_800));
        assert_eq!(
            parse_syslog(b"Nov  2 10:00:00", 2026),
            parse_syslog(b"Nov 02 10:00:00", 2026)
        );
        assert_eq!(parse_syslog(b"Feb 29 10:00:00", 2026), None);
        assert!(parse_syslog(b"Feb 29 10:00:00", 2024).is_some());
    }

    #[test]
    fn time_arguments() {
        assert_eq!(parse_time_arg("2026-11-20").ok(), Some(1_795_132_800));
        assert_eq!(parse_time_arg("2026-11-20T10:00").ok(), Some(1_795_168_800));
        assert_eq!(
            parse_time_arg("2026-11-20 10:00:00Z").ok(),
            Some(1_795_168_800)
        );
        assert_eq!(
            parse_time_arg("2026-11-20T11:00+01:00").ok(),
            Some(1_795_168_800)
        );
        assert_eq!(parse_time_arg("@5").ok(), Some(5));
        let e = parse_time_arg("yesterday").err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("\"yesterday\"")));
    }

    #[test]
    fn ranges_are_half_open() {
        let r = TimeRange {
            since: Some(10),
            until: Some(20),
        };
        assert!(!r.contains(9) && r.contains(10) && r.contains(19) && !r.contains(20));
        assert!(TimeRange::default().contains(i64::MIN));
        assert_eq!(format_minute(1_795_168_859), "2026-11-20T10:00Z");
    }
}
