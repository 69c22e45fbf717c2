//! Prometheus durations: `5m`, `1h30m`, `30d`.

use std::time::Duration;

use crate::SloError;

/// Parses a Prometheus duration: one or more `<number><unit>` with units
/// `ms`, `s`, `m`, `h`, `d` (24 h), `w` (7 d) and `y` (365 d), largest
/// first, as in `1h30m`. Zero is an error: a window or interval of no
/// length is a mistake.
///
/// ```
/// use ops_metrics::parse_duration;
/// use std::time::Duration;
///
/// assert_eq!(parse_duration("30d")?, Duration::from_secs(30 * 86_400));
/// assert_eq!(parse_duration("1h30m")?, Duration::from_secs(5_400));
/// assert_eq!(parse_duration("250ms")?, Duration::from_millis(250));
/// assert!(parse_duration("5 minutes").is_err());
/// # Ok::<(), ops_metrics::SloError>(())
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, SloError> {
    let bad = || SloError::Duration(text.to_owned());
    let bytes = text.as_bytes();
    let mut total: u128 = 0;
    let mut i = 0;
    let mut last_rank = usize::MAX;
    if bytes.is_empty() {
        return Err(bad());
    }
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 12 {
            return Err(bad());
        }
        let n: u128 = text[start..i].parse().map_err(|_| bad())?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let (rank, millis) = match &text[unit_start..i] {
            "y" => (0, 365 * 86_400_000),
            "w" => (1, 7 * 86_400_000),
            "d" => (2, 86_400_000),
            "h" => (3, 3_600_000),
            "m" => (4, 60_000),
            "s" => (5, 1_000),
            "ms" => (6, 1),
            _ => return Err(bad()),
        };
        // Units in decreasing order, each at most once (as Prometheus).
        if last_rank != usize::MAX && rank <= last_rank {
            return Err(bad());
        }
        last_rank = rank;
        total += n * millis;
    }
    let millis = u64::try_from(total).map_err(|_| bad())?;
    if millis == 0 {
        return Err(bad());
    }
    Ok(Duration::from_millis(millis))
}

/// Writes `d` as a Prometheus duration, largest units first (`1h30m`,
/// `250ms`); years and weeks only when they divide it, so that 30 days is
/// `30d` (Prometheus would write `4w2d`). Whole milliseconds.
pub(crate) fn format_duration(d: Duration) -> String {
    const DAY: u128 = 86_400_000;
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    for (unit, size) in [("y", 365 * DAY), ("w", 7 * DAY)] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", DAY),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if ms >= size {
            out.push_str(&format!("{}{unit}", ms / size));
            ms %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats() {
        let f = |secs| format_duration(Duration::from_secs(secs));
        assert_eq!(f(30 * 86_400), "30d");
        assert_eq!(f(14 * 86_400), "2w");
        assert_eq!(f(365 * 86_400), "1y");
        assert_eq!(f(5_400), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(1_250)), "1s250ms");
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "5",
            "m",
            "0s",
            "5x",
            "1m1h",
            "1h1h",
            "-5m",
            "1.5h",
            "99999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(ms in 1u64..10_000_000_000_000) {
            let d = Duration::from_millis(ms);
            prop_assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }

        #[test]
        fn never_panics(text in "\\PC{0,20}") {
            let _ = parse_duration(&text);
        }
    }
}
