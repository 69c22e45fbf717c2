//! Simulated wall clock: monotonic, in microseconds since the Unix epoch, UTC.
//!
//! Lines carry a timestamp with one-second resolution in both formats, and
//! many lines share a second, so the broken-down civil time is computed only
//! when the second changes (and the calendar date only when the day changes).

use crate::out::pair;
use crate::rng::Rng;

pub(crate) const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Broken-down UTC time of one second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub(crate) year: u32,
    /// 1..=12
    pub(crate) month: u32,
    /// 1..=31
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Calendar date of a day count since 1970-01-01.
///
/// Walks years and months one at a time: it runs once per simulated day, so
/// clarity wins over the closed-form era arithmetic.
fn date_of_day(mut days: u64) -> (u32, u32, u32) {
    let mut year = 1970;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let mut month = 1;
    loop {
        let len = u64::from(days_in_month(year, month));
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    (year, month, days as u32 + 1)
}

/// Simulated time, advanced by the generators line by line.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    micros: u64,
    /// Second of the cached `civil`; `u64::MAX` before the first refresh.
    second: u64,
    day: u64,
    civil: Civil,
}

/// 2024-01-01T00:00:00Z: generated logs start somewhere in the year after it.
const BASE_EPOCH: u64 = 1_704_067_200;

impl Clock {
    /// A clock starting at a seed-chosen second of 2024.
    pub(crate) fn new(rng: &mut Rng) -> Self {
        let start = BASE_EPOCH + rng.below(365 * 86_400);
        Self::at(start * 1_000_000 + rng.below(1_000_000))
    }

    pub(crate) fn at(micros: u64) -> Self {
        let mut clock = Self {
            micros,
            second: u64::MAX,
            day: u64::MAX,
            civil: Civil {
                year: 1970,
                month: 1,
                day: 1,
                hour: 0,
                minute: 0,
                second: 0,
            },
        };
        clock.refresh();
        clock
    }

    /// Moves time forward by `step` microseconds; returns whether the second
    /// changed, i.e. whether cached formatted timestamps are stale.
    #[inline]
    pub(crate) fn advance(&mut self, step: u64) -> bool {
        self.micros += step;
        if self.micros / 1_000_000 == self.second {
            return false;
        }
        self.refresh();
        true
    }

    fn refresh(&mut self) {
        let second = self.micros / 1_000_000;
        self.second = second;
        let day = second / 86_400;
        if day != self.day {
            self.day = day;
            let (y, m, d) = date_of_day(day);
            self.civil.year = y;
            self.civil.month = m;
            self.civil.day = d;
        }
        let in_day = (second % 86_400) as u32;
        self.civil.hour = in_day / 3600;
        self.civil.minute = in_day / 60 % 60;
        self.civil.second = in_day % 60;
    }

    pub(crate) fn civil(&self) -> &Civil {
        &self.civil
    }

    /// Microseconds within the current second.
    pub(crate) fn subsec_micros(&self) -> u32 {
        (self.micros % 1_000_000) as u32
    }
}

impl Civil {
    fn hms(&self, out: &mut [u8]) {
        out[0..2].copy_from_slice(&pair(self.hour));
        out[2] = b':';
        out[3..5].copy_from_slice(&pair(self.minute));
        out[5] = b':';
        out[6..8].copy_from_slice(&pair(self.second));
    }

    fn month_name(&self) -> &'static [u8; 3] {
        MONTHS[(self.month - 1) as usize]
    }

    /// Classic syslog time, `Mar  2 13:06:56` (day padded with a space).
    pub(crate) fn syslog(&self) -> [u8; 15] {
        let mut t = [b' '; 15];
        t[0..3].copy_from_slice(self.month_name());
        let d = pair(self.day);
        if self.day >= 10 {
            t[4] = d[0];
        }
        t[5] = d[1];
        self.hms(&mut t[7..15]);
        t
    }

    /// Common Log Format time without brackets, `17/May/2015:10:05:03 +0000`.
    pub(crate) fn clf(&self) -> [u8; 26] {
        let mut t = [0u8; 26];
        t[0..2].copy_from_slice(&pair(self.day));
        t[2] = b'/';
        t[3..6].copy_from_slice(self.month_name());
        t[6] = b'/';
        t[7..9].copy_from_slice(&pair(self.year / 100));
        t[9..11].copy_from_slice(&pair(self.year));
        t[11] = b':';
        self.hms(&mut t[12..20]);
        t[20..26].copy_from_slice(b" +0000");
        t
    }

    /// RFC 3339 time to the second without offset, `2026-11-20T10:00:00`.
    pub(crate) fn iso(&self) -> [u8; 19] {
        let mut t = [0u8; 19];
        t[0..2].copy_from_slice(&pair(self.year / 100));
        t[2..4].copy_from_slice(&pair(self.year));
        t[4] = b'-';
        t[5..7].copy_from_slice(&pair(self.month));
        t[7] = b'-';
        t[8..10].copy_from_slice(&pair(self.day));
        t[10] = b'T';
        self.hms(&mut t[11..19]);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_secs(s: u64) -> Clock {
        Clock::at(s * 1_000_000)
    }

    #[test]
    fn known_instants() {
        // Checked against `date -u -d @N`.
        let c = at_secs(1_431_857_103);
        assert_eq!(&c.civil().clf(), b"17/May/2015:10:05:03 +0000");
        assert_eq!(&c.civil().syslog(), b"May 17 10:05:03");
        assert_eq!(&c.civil().iso(), b"2015-05-17T10:05:03");
        let leap = at_secs(1_709_208_000); // 2024-02-29T12:00:00Z
        assert_eq!(&leap.civil().iso(), b"2024-02-29T12:00:00");
        assert_eq!(&leap.civil().syslog(), b"Feb 29 12:00:00");
        let new_year = at_secs(1_735_689_599); // 2024-12-31T23:59:59Z
        assert_eq!(&new_year.civil().clf(), b"31/Dec/2024:23:59:59 +0000");
        assert_eq!(&at_secs(0).civil().iso(), b"1970-01-01T00:00:00");
        let century = at_secs(951_782_400); // 2000-02-29T00:00:00Z
        assert_eq!(&century.civil().iso(), b"2000-02-29T00:00:00");
    }

    #[test]
    fn syslog_pads_single_digit_day_with_space() {
        let c = at_secs(1_709_337_600 + 3_723); // 2024-03-02T01:02:03Z
        assert_eq!(&c.civil().syslog(), b"Mar  2 01:02:03");
    }

    #[test]
    fn advance_reports_second_changes_and_rolls_over_years() {
        let mut c = Clock::at(1_735_689_599 * 1_000_000 + 999_000);
        assert!(!c.advance(500));
        assert_eq!(c.subsec_micros(), 999_500);
        assert!(c.advance(600));
        assert_eq!(&c.civil().iso(), b"2025-01-01T00:00:00");
        assert_eq!(c.subsec_micros(), 100);
    }

    #[test]
    fn incremental_matches_fresh_computation() {
        let mut rng = Rng::new(11);
        let mut c = Clock::new(&mut rng);
        for _ in 0..50_000 {
            c.advance(rng.below(20_000_000));
            let fresh = Clock::at(c.micros);
            assert_eq!(c.civil(), fresh.civil());
        }
    }
}
