//! Generated auth logs with every quirk real logs carry (CRLF, NUL, invalid
//! UTF-8, huge lines, ISO timestamps, `sshd:` without pid, odd user names,
//! decoys from other programs), checked against the oracle under several
//! thread counts and splits.

mod common;

use common::auth_oracle::check;
use common::generated;
use ops_loggen::{Kind, Quirks};
use ops_logscan::{AuthAnalyzer, Input, ScannerBuilder};

#[test]
fn quirky_generated_logs_agree_with_the_oracle() {
    for seed in [1, 2, 3] {
        let (_dir, path) = generated(Kind::Auth, seed, Quirks::all());
        let (got, want) = check(&path);
        // The quirks are really there, and sshd failures were found.
        let data = std::fs::read(&path).expect("read");
        assert!(data.contains(&b'\r') && data.contains(&0) && !data.ends_with(b"\n"));
        assert!(std::str::from_utf8(&data).is_err());
        assert!(got.failed > 1000, "seed {seed}: {} failures", got.failed);
        assert!(want.repeated_lines > 0);
    }
}

#[test]
fn plain_generated_logs_agree_with_the_oracle() {
    let (_dir, path) = generated(Kind::Auth, 7, Quirks::none());
    let (got, _) = check(&path);
    assert!(got.failed > 1000);
}

#[test]
fn oversized_lines_count_the_same_under_any_split() {
    let (_dir, path) = generated(Kind::Auth, 4, Quirks::all());
    let scan = |threads, chunk, buffer| {
        ScannerBuilder::new()
            .threads(threads)
            .chunk_size(chunk)
            .buffer_size(buffer)
            .max_line(4096)
            .build()
            .expect("options")
            .scan(&AuthAnalyzer::new(), &[Input::from(&path)])
            .expect("scan")
    };
    let whole = scan(1, u64::MAX, 1 << 20);
    assert!(whole.totals.oversized > 0, "long lines are over 4096 bytes");
    for (threads, chunk, buffer) in [(2, 10_000, 1000), (3, 4097, 4096), (2, 1 << 16, 5)] {
        assert_eq!(scan(threads, chunk, buffer), whole);
    }
}
