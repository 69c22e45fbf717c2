//! Any bytes: `parse_auth_line` never panics, and what it accepts holds up;
//! read as a block under `AuthFocus::FailedIps`, the fast path (a search
//! for `Failed `, then its own reading of each hit's line) gives the state
//! of the line-by-line reference.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::{Analyzer, AuthAnalyzer, AuthFocus, AuthKind, AuthStats, parse_auth_line};

fuzz_target!(|line: &[u8]| {
    if let Some(event) = parse_auth_line(line) {
        let ip = std::str::from_utf8(event.ip).expect("an accepted address is ASCII");
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "accepted a bad address {ip:?}");
        if let AuthKind::Failed { count, .. } = event.kind {
            assert!(count >= 1);
        }
    }
    let focused = AuthAnalyzer::builder()
        .focus(AuthFocus::FailedIps)
        .year(2026)
        .build()
        .expect("valid year");
    let (mut fast, mut slow) = (AuthStats::default(), AuthStats::default());
    focused.scan_block(line, 1 << 20, &mut fast);
    focused.scan_block_by_line(line, 1 << 20, &mut slow);
    assert_eq!(fast, slow);
});
