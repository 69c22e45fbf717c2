//! Any format string, then any line: compiling an nginx `log_format` never
//! panics, and a compiled format reads any line without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::LogFormat;

fuzz_target!(|data: &[u8]| {
    let (format, line) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    if let Ok(compiled) = LogFormat::parse(format) {
        // A compiled format round-trips through its text.
        let again = LogFormat::parse(&compiled.to_string()).expect("a format's own text compiles");
        assert_eq!(again, compiled);
        if let Some(r) = compiled.parse_line(line) {
            assert!((100..=999).contains(&r.status()));
        }
    }
});
