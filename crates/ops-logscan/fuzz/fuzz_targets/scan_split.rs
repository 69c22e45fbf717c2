//! Any bytes, cut anywhere, on any number of threads: the same answer as
//! one thread reading the whole input in one piece.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::{AuthAnalyzer, ScannerBuilder};

fuzz_target!(|data: &[u8]| {
    let Some((&[threads, chunk, buffer, max_line], input)) = data.split_first_chunk::<4>() else {
        return;
    };
    let max_line = usize::from(max_line).max(1);
    let whole = ScannerBuilder::new()
        .threads(1)
        .chunk_size(u64::MAX)
        .buffer_size(1 << 16)
        .max_line(max_line)
        .build()
        .expect("valid options");
    let cut = ScannerBuilder::new()
        .threads(usize::from(threads % 4) + 1)
        .chunk_size(u64::from(chunk).max(1))
        .buffer_size(usize::from(buffer).max(1))
        .max_line(max_line)
        .build()
        .expect("valid options");
    let analyzer = AuthAnalyzer::builder().year(2026).build().expect("valid year");
    assert_eq!(whole.scan_bytes(&analyzer, input), cut.scan_bytes(&analyzer, input));
});
