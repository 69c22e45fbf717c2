//! Any header value: `parse_retry_after` never panics, a date it accepts
//! formats back to the same instant, and the delay never reaches past it.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use ops_resilience::{format_http_date, parse_http_date, parse_retry_after};

fuzz_target!(|data: (u32, &str)| {
    let (now_secs, value) = data;
    let now = UNIX_EPOCH + Duration::from_secs(u64::from(now_secs));
    let delay = parse_retry_after(value, now);
    if let Ok(at) = parse_http_date(value, now) {
        // Whole seconds, so formatting and parsing again is exact.
        let again = parse_http_date(&format_http_date(at), now).expect("a formatted date parses");
        assert_eq!(again, at, "{value:?}");
        let d = delay.expect("a date is a valid Retry-After");
        assert_eq!(d, at.duration_since(now).unwrap_or(Duration::ZERO), "{value:?}");
    }
});
