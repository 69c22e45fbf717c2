//! Results travel: stats of parts scanned apart (other hosts, other days),
//! sent as JSON and merged, equal the stats of the whole.

use ops_logscan::{AccessAnalyzer, Aggregate, Analyzer, AuthAnalyzer, LogFormat, Scanner};
use serde::Serialize;
use serde::de::DeserializeOwned;

fn split_merge_equals_whole<A>(analyzer: &A, data: &[u8])
where
    A: Analyzer,
    A::Stats: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let scanner = Scanner::new();
    let whole = scanner.scan_bytes(analyzer, data);
    for cut in [0, 1, data.len() / 3, data.len() / 2, data.len()] {
        // Parts are cut at line ends, as files and hosts are.
        let cut = data[..cut]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let travel = |s: &A::Stats| -> A::Stats {
            let json = serde_json::to_string(s).expect("serialize");
            serde_json::from_str(&json).expect("deserialize")
        };
        let mut merged = travel(&scanner.scan_bytes(analyzer, &data[..cut]));
        merged.merge(travel(&scanner.scan_bytes(analyzer, &data[cut..])));
        assert_eq!(merged, whole, "cut at byte {cut}");
    }
}

#[test]
fn auth_stats_merge_after_a_round_trip() {
    let data =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/auth.log")).expect("read");
    split_merge_equals_whole(&AuthAnalyzer::new(), &data);
}

#[test]
fn access_stats_merge_after_a_round_trip() {
    let data =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/apache_logs")).expect("read");
    split_merge_equals_whole(&AccessAnalyzer::new(LogFormat::Combined), &data);
}
