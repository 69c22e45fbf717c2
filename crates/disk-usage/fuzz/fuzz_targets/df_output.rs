//! `df` output is input from outside: any text parses or fails cleanly,
//! and what parses keeps its mount points whole.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(mounts) = disk_usage::parse_df(&text) {
        for m in &mounts {
            assert!(text.contains(m.mounted_on.as_str()));
            assert!(m.use_percent.is_none_or(|p| p <= 100));
        }
        let _ = disk_usage::above(&mounts, 50);
    }
});
