//! Code shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

pub mod access_oracle;
pub mod auth_oracle;

use std::path::PathBuf;

use ops_loggen::{GenOptions, Kind, Quirks, generate};
use ops_logscan::{AuthAnalyzer, TimeRange};

/// A 1 MiB generated log of `kind` in a fresh temporary folder (kept alive
/// by the returned guard); long-lines quirk lines are 70,000 bytes.
pub fn generated(kind: Kind, seed: u64, quirks: Quirks) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("{kind}-{seed}.log"));
    let opts = GenOptions::builder(kind)
        .size_bytes(1 << 20)
        .seed(seed)
        .quirks(quirks)
        .long_line_bytes(70_000)
        .build()
        .expect("options");
    let file = std::fs::File::create(&path).expect("create");
    generate(&opts, std::io::BufWriter::new(file)).expect("generate");
    (dir, path)
}

/// An auth analyzer for the year 2026, with or without the time range
/// 2026-03-02T00:00Z to 2026-03-28T00:00Z.
pub fn auth_analyzer(ranged: bool) -> AuthAnalyzer {
    let range = TimeRange {
        since: Some(1_772_409_600),
        until: Some(1_774_656_000),
    };
    let b = AuthAnalyzer::builder().year(2026);
    let b = if ranged { b.time_range(range) } else { b };
    b.build().expect("valid analyzer")
}
