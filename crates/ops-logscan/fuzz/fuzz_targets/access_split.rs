//! Any bytes, cut anywhere, on any number of threads, with or without a
//! time range: the access analyzer gives the same answer as one thread
//! reading the whole input in one piece, and counts every line once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::{AccessAnalyzer, LogFormat, ScannerBuilder, TimeRange};

fuzz_target!(|data: &[u8]| {
    let Some((&[threads, chunk, buffer, max_line, flags], input)) = data.split_first_chunk::<5>()
    else {
        return;
    };
    let max_line = usize::from(max_line).max(1);
    let scanner = |threads: usize, chunk: u64, buffer: usize| {
        ScannerBuilder::new()
            .threads(threads)
            .chunk_size(chunk)
            .buffer_size(buffer)
            .max_line(max_line)
            .build()
            .expect("valid options")
    };
    let format = if flags & 1 == 0 {
        LogFormat::Combined
    } else {
        LogFormat::parse(
            r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time"#,
        )
        .expect("valid format")
    };
    let range = if flags & 2 == 0 {
        TimeRange::default()
    } else {
        TimeRange {
            since: Some(1_431_856_800),
            until: Some(1_431_860_400),
        }
    };
    let analyzer = AccessAnalyzer::builder()
        .format(format)
        .time_range(range)
        .build()
        .expect("valid analyzer");
    let whole = scanner(1, u64::MAX, 1 << 16).scan_bytes(&analyzer, input);
    let t = &whole.totals;
    assert_eq!(
        t.lines,
        whole.parsed + whole.malformed + whole.filtered + t.oversized
    );
    let cut = scanner(
        usize::from(threads % 4) + 1,
        u64::from(chunk).max(1),
        usize::from(buffer).max(1),
    )
    .scan_bytes(&analyzer, input);
    assert_eq!(whole, cut);
});
