//! Any target list: the parser never panics, and what it accepts is well
//! formed (a host, a port, an address with a scheme).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The binary's own module, as it is: see the note in Cargo.toml.
#[allow(dead_code)]
#[path = "../../src/targets.rs"]
mod targets;

fuzz_target!(|text: &str| {
    if let Ok(list) = targets::parse_target_list(text, "fuzz") {
        for t in list {
            assert!(t.port > 0);
            assert!(!t.host.is_empty());
            assert!(t.name.contains("://"));
            assert!(text.contains(&t.name));
        }
    }
});
