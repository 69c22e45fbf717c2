//! Any bytes: `parse_auth_line` never panics, and what it accepts holds up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::{AuthKind, parse_auth_line};

fuzz_target!(|line: &[u8]| {
    if let Some(event) = parse_auth_line(line) {
        let ip = std::str::from_utf8(event.ip).expect("an accepted address is ASCII");
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "accepted a bad address {ip:?}");
        if let AuthKind::Failed { count, .. } = event.kind {
            assert!(count >= 1);
        }
    }
});
