//! HTTP `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date,
//! and the status classification that goes with it.
//!
//! The header comes from servers we do not control, so the parser takes
//! any string and answers `Err` for anything it does not accept.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::retry::Verdict;

/// A `Retry-After` or HTTP-date value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Retry-After value {value:?}: {reason}")]
pub struct RetryAfterError {
    value: String,
    reason: &'static str,
}

impl RetryAfterError {
    fn new(value: &str, reason: &'static str) -> RetryAfterError {
        // Keep the message one short line even for a hostile header.
        let value = value.chars().take(64).collect();
        RetryAfterError { value, reason }
    }

    /// What was wrong with the value.
    pub fn reason(&self) -> &str {
        self.reason
    }
}

/// The delay a `Retry-After` value asks for, counted from `now` (the
/// current wall-clock time): `120` is two minutes; an HTTP-date is the time
/// left until it, zero when it has passed.
///
/// Delay-seconds too large for a [`Duration`] saturate at
/// [`Duration::MAX`]; a policy caps the hint anyway.
///
/// ```
/// use ops_resilience::parse_retry_after;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // Sun, 06 Nov 1994 08:49:30 GMT
/// assert_eq!(parse_retry_after("120", now)?, Duration::from_secs(120));
/// assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now)?, Duration::from_secs(7));
/// assert_eq!(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now)?, Duration::from_secs(7));
/// assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now)?, Duration::from_secs(7));
/// assert!(parse_retry_after("soon", now).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Result<Duration, RetryAfterError> {
    let v = value.trim_matches([' ', '\t']);
    if v.is_empty() {
        return Err(RetryAfterError::new(value, "empty"));
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Only overflow can fail here: saturate.
        return Ok(v.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = parse_http_date(v, now)?;
    Ok(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses an HTTP-date in any of the three forms RFC 9110 §5.6.7 says a
/// recipient must accept: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and ANSI
/// C's asctime form (`Sun Nov  6 08:49:37 1994`).
///
/// `now` places an RFC 850 two-digit year: the year is taken in the
/// current century unless that is more than 50 years ahead of `now`, in
/// which case it is the century before (RFC 9110). The weekday must be a
/// valid name but is not checked against the date, as most clients do.
pub fn parse_http_date(value: &str, now: SystemTime) -> Result<SystemTime, RetryAfterError> {
    let err = |reason| RetryAfterError::new(value, reason);
    let v = value.trim_matches([' ', '\t']);
    let parsed = if let Some((day, rest)) = v.split_once(", ") {
        if day.len() == 3 {
            check_weekday(day, false).ok_or_else(|| err("unknown weekday"))?;
            imf_fixdate(rest).ok_or_else(|| err("not an IMF-fixdate"))?
        } else {
            check_weekday(day, true).ok_or_else(|| err("unknown weekday"))?;
            let (d, y2) = rfc850(rest).ok_or_else(|| err("not an RFC 850 date"))?;
            let this_year = civil_from_days(unix_secs(now).div_euclid(86_400)).0;
            let century = this_year.div_euclid(100) * 100;
            let mut year = century + y2;
            if year > this_year + 50 {
                year -= 100;
            }
            DateTime { year, ..d }
        }
    } else {
        let (day, rest) = v.split_once(' ').ok_or_else(|| err("not an HTTP-date"))?;
        check_weekday(day, false).ok_or_else(|| err("unknown weekday"))?;
        asctime(rest).ok_or_else(|| err("not an asctime date"))?
    };
    parsed
        .to_system_time()
        .ok_or_else(|| err("date out of range"))
}

/// A verdict for an HTTP response: retry 5xx (except 501 Not Implemented
/// and 505 HTTP Version Not Supported, which no retry fixes), 429 Too Many
/// Requests and 408 Request Timeout, honouring `retry_after` when it
/// parses; anything else is final.
///
/// ```
/// use ops_resilience::{Verdict, http_verdict};
/// use std::time::{Duration, SystemTime};
///
/// let now = SystemTime::now();
/// assert_eq!(http_verdict(200, None, now), Verdict::Done);
/// assert_eq!(http_verdict(404, None, now), Verdict::Done);
/// assert_eq!(http_verdict(503, None, now), Verdict::Retry);
/// assert_eq!(http_verdict(429, Some("3"), now), Verdict::RetryAfter(Duration::from_secs(3)));
/// ```
pub fn http_verdict(status: u16, retry_after: Option<&str>, now: SystemTime) -> Verdict {
    let retryable =
        matches!(status, 408 | 429) || (500..600).contains(&status) && !matches!(status, 501 | 505);
    if !retryable {
        return Verdict::Done;
    }
    match retry_after.map(|v| parse_retry_after(v, now)) {
        Some(Ok(d)) => Verdict::RetryAfter(d),
        _ => Verdict::Retry,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl DateTime {
    fn to_system_time(self) -> Option<SystemTime> {
        if !(1..=9999).contains(&self.year)
            || self.hour > 23
            || self.minute > 59
            // 60: a leap second, which HTTP-dates may carry.
            || self.second > 60
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)?
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        if secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
        }
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn check_weekday(name: &str, long: bool) -> Option<()> {
    WEEKDAYS
        .iter()
        .any(|d| if long { *d == name } else { &d[..3] == name })
        .then_some(())
}

fn month(name: &str) -> Option<u32> {
    let i = MONTHS.iter().position(|m| *m == name)?;
    u32::try_from(i).ok().map(|i| i + 1)
}

/// Exactly `n` ASCII digits.
fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `HH:MM:SS`.
fn time_of_day(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.split(':');
    let t = (
        digits(it.next()?, 2)?,
        digits(it.next()?, 2)?,
        digits(it.next()?, 2)?,
    );
    it.next().is_none().then_some(t)
}

/// `06 Nov 1994 08:49:37 GMT` (after `Sun, `).
fn imf_fixdate(s: &str) -> Option<DateTime> {
    let mut it = s.split(' ');
    let day = digits(it.next()?, 2)?;
    let month = month(it.next()?)?;
    let year = i64::from(digits(it.next()?, 4)?);
    let (hour, minute, second) = time_of_day(it.next()?)?;
    (it.next()? == "GMT" && it.next().is_none()).then_some(DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// `06-Nov-94 08:49:37 GMT` (after `Sunday, `): the date and the two-digit
/// year, placed by the caller.
fn rfc850(s: &str) -> Option<(DateTime, i64)> {
    let mut it = s.split(' ');
    let mut date = it.next()?.split('-');
    let day = digits(date.next()?, 2)?;
    let month = month(date.next()?)?;
    let y2 = i64::from(digits(date.next()?, 2)?);
    if date.next().is_some() {
        return None;
    }
    let (hour, minute, second) = time_of_day(it.next()?)?;
    (it.next()? == "GMT" && it.next().is_none()).then_some((
        DateTime {
            year: 0,
            month,
            day,
            hour,
            minute,
            second,
        },
        y2,
    ))
}

/// `Nov  6 08:49:37 1994` (after `Sun `): the day is space-padded to two.
fn asctime(s: &str) -> Option<DateTime> {
    let month = month(s.get(..3)?)?;
    let rest = s.get(3..)?.strip_prefix(' ')?;
    let (day, rest) = (rest.get(..2)?, rest.get(2..)?);
    let day = match day.as_bytes() {
        [b' ', d] if d.is_ascii_digit() => u32::from(d - b'0'),
        _ => digits(day, 2)?,
    };
    let mut it = rest.strip_prefix(' ')?.split(' ');
    let (hour, minute, second) = time_of_day(it.next()?)?;
    let year = i64::from(digits(it.next()?, 4)?);
    it.next().is_none().then_some(DateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> Option<u32> {
    Some(match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return None,
    })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Formats `t` as an IMF-fixdate (whole seconds, UTC): what servers send,
/// and what tests feed back into the parser.
pub fn format_http_date(t: SystemTime) -> String {
    let secs = unix_secs(t);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 3 in WEEKDAYS).
    let wd = WEEKDAYS[(days + 3).rem_euclid(7) as usize];
    format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        &wd[..3],
        MONTHS[(m - 1) as usize],
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn the_three_forms_of_rfc_9110() {
        let want = at(784_111_777);
        let now = at(784_000_000);
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        ] {
            assert_eq!(parse_http_date(v, now), Ok(want), "{v}");
        }
        assert_eq!(format_http_date(want), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn two_digit_years_follow_the_fifty_year_rule() {
        // In 2026, "76" is 2076 (50 years ahead), "77" is 1977.
        let now = at(1_780_000_000);
        let y = |v: &str| {
            civil_from_days(unix_secs(parse_http_date(v, now).unwrap()).div_euclid(86_400)).0
        };
        assert_eq!(y("Monday, 01-Jan-76 00:00:00 GMT"), 2076);
        assert_eq!(y("Monday, 01-Jan-77 00:00:00 GMT"), 1977);
        assert_eq!(y("Monday, 01-Jan-26 00:00:00 GMT"), 2026);
    }

    #[test]
    fn seconds_and_past_dates() {
        let now = at(1_000_000_000);
        assert_eq!(parse_retry_after("0", now), Ok(Duration::ZERO));
        assert_eq!(parse_retry_after(" 42 ", now), Ok(Duration::from_secs(42)));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Ok(Duration::MAX)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Ok(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", at(0)),
            Ok(Duration::ZERO)
        );
    }

    #[test]
    fn rejects_what_rfc_9110_does_not_allow() {
        let now = at(1_000_000_000);
        for v in [
            "",
            " ",
            "-1",
            "1.5",
            "+3",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 0000 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sundae, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49:37",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sun, ",
            "Sun",
            "Sun Nov ",
            "Sun \u{e9}\u{e9}\u{e9}",
        ] {
            assert!(parse_retry_after(v, now).is_err(), "{v:?} was accepted");
        }
        let e = parse_retry_after("soon", now).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid Retry-After value \"soon\": not an HTTP-date"
        );
    }

    #[test]
    fn leap_second_and_leap_day() {
        let now = at(0);
        let leap = parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", now).unwrap();
        assert_eq!(
            leap,
            parse_http_date("Sun, 01 Jan 2017 00:00:00 GMT", now).unwrap()
        );
        assert!(parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT", now).is_ok());
    }

    #[test]
    fn http_statuses() {
        let now = at(1_000);
        assert_eq!(http_verdict(502, Some("bad"), now), Verdict::Retry);
        assert_eq!(http_verdict(501, None, now), Verdict::Done);
        assert_eq!(http_verdict(408, None, now), Verdict::Retry);
        assert_eq!(http_verdict(400, Some("5"), now), Verdict::Done);
        assert_eq!(
            http_verdict(503, Some(&format_http_date(at(1_010))), now),
            Verdict::RetryAfter(Duration::from_secs(10))
        );
    }

    proptest! {
        #[test]
        fn formatted_dates_parse_back(secs in 0u64..253_402_300_800, now in 0u64..4_000_000_000) {
            let t = at(secs);
            let s = format_http_date(t);
            prop_assert_eq!(parse_http_date(&s, at(now)), Ok(t));
            let delay = parse_retry_after(&s, at(now)).unwrap();
            prop_assert_eq!(delay, Duration::from_secs(secs.saturating_sub(now)));
        }

        #[test]
        fn any_string_is_a_value_or_an_error(s in "\\PC{0,40}", now in 0u64..4_000_000_000) {
            // Never a panic; an accepted date lies in years 1..=9999.
            if let Ok(t) = parse_http_date(&s, at(now)) {
                prop_assert!(t < at(253_402_300_801));
            }
            let _ = parse_retry_after(&s, at(now));
        }

        #[test]
        fn delay_seconds_round_trip(n in any::<u64>()) {
            prop_assert_eq!(parse_retry_after(&n.to_string(), at(0)), Ok(Duration::from_secs(n)));
        }
    }
}
