//! Code shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

pub mod access_oracle;
pub mod auth_oracle;

use std::path::PathBuf;

use ops_loggen::{GenOptions, Kind, Quirks, generate};

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
