//! Properties of the access analyzer on generated logs: the result never
//! depends on how the input is split, and no bytes make a parser panic.

use ops_logscan::{
    AccessAnalyzer, AccessStats, Aggregate, LogFormat, Scanner, ScannerBuilder, TimeRange,
};
use proptest::prelude::*;

const CLIENTS: [&str; 5] = ["10.0.0.1", "10.0.0.2", "::1", "2001:db8::7", "-"];
const STATUSES: [u16; 8] = [200, 200, 200, 304, 404, 500, 503, 999];

/// A well-formed combined line at minute `m`, second `s` of the day.
fn good_line() -> impl Strategy<Value = Vec<u8>> {
    (
        0usize..CLIENTS.len(),
        0u32..3,
        0u32..60,
        0usize..STATUSES.len(),
        prop_oneof![
            Just("-".to_owned()),
            (0u32..100_000).prop_map(|b| b.to_string())
        ],
        prop_oneof![
            Just("GET /a HTTP/1.1".to_owned()),
            Just("GET /b?x=1 HTTP/1.1".to_owned()),
            Just(r#"POST /c\"d HTTP/1.0"#.to_owned()),
            Just("-".to_owned()),
            Just("\\x16\\x03\\x01".to_owned()),
        ],
        prop_oneof![
            Just(r#" "-" "curl/8""#.to_owned()),
            Just(r#" "http://r/" "UA \"quoted\" 1.0""#.to_owned()),
            Just(r#" "-" "unclosed user agent"#.to_owned()),
            Just(r#" "-" "curl/8" 0.123 extra"#.to_owned()),
            Just(String::new()),
            // Long enough to be oversized for small `max_line`.
            (50usize..300).prop_map(|n| format!(r#" "-" "{}""#, "x".repeat(n))),
        ],
    )
        .prop_map(|(c, m, s, st, bytes, req, tail)| {
            format!(
                "{} - - [17/May/2015:10:{:02}:{s:02} +0000] \"{req}\" {} {bytes}{tail}",
                CLIENTS[c], m, STATUSES[st]
            )
            .into_bytes()
        })
}

/// Lines of every kind: good, truncated, with a bad time, junk, blank.
fn any_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => good_line(),
        1 => (good_line(), any::<prop::sample::Index>()).prop_map(|(l, i)| l[..i.index(l.len())].to_vec()),
        1 => good_line().prop_map(|l| {
            String::from_utf8_lossy(&l).replacen("May", "Mai", 1).into_bytes()
        }),
        1 => proptest::collection::vec(
            prop_oneof![Just(b' '), Just(b'"'), Just(b'\\'), Just(b'\r'), Just(0u8), Just(0xffu8), Just(b'2')],
            0..20,
        ),
        1 => Just(Vec::new()),
    ]
}

fn log() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((any_line(), any::<bool>()), 0..40),
        any::<bool>(),
    )
        .prop_map(|(lines, trailing)| {
            let mut out = Vec::new();
            for (i, (line, crlf)) in lines.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                }
                out.extend_from_slice(line);
            }
            if trailing && !out.is_empty() {
                out.push(b'\n');
            }
            out
        })
}

fn analyzer(kind: u8) -> AccessAnalyzer {
    let format = match kind {
        1 => LogFormat::parse(
            r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time"#,
        )
        .expect("valid format"),
        _ => LogFormat::Combined,
    };
    let range = if kind == 2 {
        // 10:01:00 to 10:02:30.
        TimeRange {
            since: Some(1_431_856_860),
            until: Some(1_431_856_950),
        }
    } else {
        TimeRange::default()
    };
    AccessAnalyzer::builder()
        .format(format)
        .time_range(range)
        .build()
        .expect("valid analyzer")
}

fn scanner(threads: usize, chunk: u64, buffer: usize, max_line: usize) -> Scanner {
    ScannerBuilder::new()
        .threads(threads)
        .chunk_size(chunk)
        .buffer_size(buffer)
        .max_line(max_line)
        .build()
        .expect("valid options")
}

fn whole(a: &AccessAnalyzer, input: &[u8], max_line: usize) -> AccessStats {
    scanner(1, u64::MAX, 1 << 16, max_line).scan_bytes(a, input)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_split_gives_the_same_stats(
        input in log(),
        kind in 0u8..3,
        threads in 1usize..4,
        chunk in 1u64..200,
        buffer in 1usize..100,
        max_line in prop_oneof![Just(1usize << 20), 1usize..200],
    ) {
        let a = analyzer(kind);
        let reference = whole(&a, &input, max_line);
        let t = &reference.totals;
        prop_assert_eq!(t.lines, reference.parsed + reference.malformed + reference.filtered + t.oversized);
        prop_assert_eq!(t.bytes, input.len() as u64);
        prop_assert_eq!(reference.status.total(), reference.parsed);
        let split = scanner(threads, chunk, buffer, max_line).scan_bytes(&a, &input);
        prop_assert_eq!(&split, &reference);
    }

    #[test]
    fn merging_halves_gives_the_whole(
        input in log(),
        kind in 0u8..3,
        at in any::<prop::sample::Index>(),
        max_line in prop_oneof![Just(1usize << 20), 1usize..200],
    ) {
        let a = analyzer(kind);
        let reference = whole(&a, &input, max_line);
        // Split after a newline, as the driver does.
        let mut cuts: Vec<usize> = vec![0];
        cuts.extend(input.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1));
        let cut = cuts[at.index(cuts.len())];
        let mut first = whole(&a, &input[..cut], max_line);
        first.merge(whole(&a, &input[cut..], max_line));
        prop_assert_eq!(first, reference);
    }

    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut formats = vec![
            LogFormat::Combined,
            LogFormat::parse(r#""$http_x_forwarded_for" $msec [$time_iso8601] "$request" $status $bytes_sent $upstream_response_time"#).expect("valid format"),
            LogFormat::parse("${request_method} ${uri} ${status} ${request_time}").expect("valid format"),
        ];
        if cfg!(feature = "json") {
            formats.push(LogFormat::parse("json").expect("json"));
        }
        for f in &formats {
            if let Some(r) = f.parse_line(&line) {
                prop_assert!((100..=999).contains(&r.status()));
                let _ = (r.path(), r.method(), r.time().map(|t| t.unix_seconds()));
            }
        }
    }

    #[test]
    fn format_strings_never_panic(format in "[-$a-z_{} \\[\\]\"]{0,40}") {
        if let Ok(f) = LogFormat::parse(&format) {
            let _ = f.parse_line(format.as_bytes());
        }
    }
}
