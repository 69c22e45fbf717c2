//! SLO spec files: parsing never panics, and every spec that parses
//! generates rules.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(spec) = ops_metrics::SloSpec::parse("fuzz.yml", text) {
        let rules = spec.rules(&ops_metrics::WORKBOOK_ALERTS);
        assert!(rules.starts_with("# Generated"));
    }
});
