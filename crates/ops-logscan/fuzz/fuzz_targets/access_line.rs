//! Any bytes, in every access-log format: `LogFormat::parse_line` never
//! panics, and what it accepts is consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ops_logscan::LogFormat;

const NGINX: &[&str] = &[
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#,
    r#""$http_x_forwarded_for" $msec [$time_iso8601] ${request_method} ${uri} $status $bytes_sent $upstream_response_time"#,
    r#"{"t":"$time_iso8601","s":$status,"u":"$request_uri"}"#,
];

fuzz_target!(|line: &[u8]| {
    let mut formats = vec![LogFormat::Combined];
    formats.extend(
        NGINX
            .iter()
            .map(|f| LogFormat::parse(f).expect("valid format")),
    );
    // Present when ops-logscan has its default `json` feature.
    formats.extend(LogFormat::parse("json").ok());
    for format in &formats {
        let Some(r) = format.parse_line(line) else {
            continue;
        };
        assert!((100..=999).contains(&r.status()));
        for field in [r.client(), r.method(), r.target(), r.path()]
            .into_iter()
            .flatten()
        {
            // Every field is a slice of the line.
            let start = field.as_ptr() as usize;
            let line_start = line.as_ptr() as usize;
            assert!(start >= line_start && start + field.len() <= line_start + line.len());
        }
        if let (Some(p), Some(t)) = (r.path(), r.target()) {
            assert!(t.starts_with(p) && !p.contains(&b'?'));
        }
        let _ = r.time().map(|t| t.unix_seconds());
    }
});
