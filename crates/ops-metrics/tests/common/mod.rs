//! What the integration tests share: the fixture machines in
//! `testdata/proc/`, a table-driven `FsStat`, and promtool.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ops_metrics::{FsStat, FsUsage};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Filesystem usage from `testdata/proc/<machine>.statvfs`: the statvfs
/// results of the fixture machine, one mount point a line.
#[derive(Debug)]
pub struct FsTable(HashMap<String, Option<FsUsage>>);

impl FsTable {
    pub fn load(path: &Path) -> FsTable {
        let text = std::fs::read_to_string(path).unwrap();
        let mut table = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            // The mount point may hold spaces: the numbers are the last five.
            let words: Vec<&str> = line.split(' ').collect();
            if words.last() == Some(&"error") {
                table.insert(words[..words.len() - 1].join(" "), None);
                continue;
            }
            let (mp, nums) = words.split_at(words.len() - 5);
            let n: Vec<u64> = nums.iter().map(|w| w.parse().unwrap()).collect();
            table.insert(
                mp.join(" "),
                Some(FsUsage {
                    size_bytes: n[0],
                    free_bytes: n[1],
                    avail_bytes: n[2],
                    files: n[3],
                    files_free: n[4],
                }),
            );
        }
        FsTable(table)
    }
}

impl FsStat for FsTable {
    fn usage(&self, mountpoint: &Path) -> io::Result<FsUsage> {
        match self.0.get(mountpoint.to_str().unwrap_or("")) {
            Some(Some(u)) => Ok(*u),
            Some(None) => Err(io::Error::from_raw_os_error(5)),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "not in the table")),
        }
    }
}

/// `promtool check metrics` on `text`: the problems it reports, less the
/// one it reports for node_exporter's own output too (`node_memory_MemTotal_bytes
/// metric names should be written in 'snake_case'`: the meminfo field names
/// are kept as the kernel spells them, for compatibility). A parse error
/// (exit status 1) is a problem too.
pub fn promtool_check_metrics(text: &str) -> Vec<String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (Debian package prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut problems: Vec<String> = report
        .lines()
        .filter(|l| {
            !(l.starts_with("node_memory_")
                && l.ends_with("metric names should be written in 'snake_case' not 'camelCase'"))
        })
        .map(str::to_owned)
        .collect();
    // 0: clean; 3: lint problems only (listed above).
    if !matches!(out.status.code(), Some(0 | 3)) {
        problems.push(format!("promtool exited with {}", out.status));
    }
    problems
}

/// Samples of an exposition (either format) as `name{labels} value` lines
/// with the labels in name order, sorted: comments and `# EOF` dropped, so
/// two formats compare equal when they carry the same samples (the
/// OpenMetrics encoder writes `le` first, the 0.0.4 one last).
pub fn samples(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(normalize)
        .collect();
    lines.sort();
    lines
}

fn normalize(line: &str) -> String {
    let Some((name, rest)) = line.split_once('{') else {
        return line.to_owned();
    };
    // Labels end at the first `}` outside quotes.
    let mut in_quotes = false;
    let mut escaped = false;
    let mut end = rest.len();
    let mut labels = Vec::new();
    let mut start = 0;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                labels.push(&rest[start..i]);
                start = i + 1;
            }
            '}' if !in_quotes => {
                labels.push(&rest[start..i]);
                end = i;
                break;
            }
            _ => {}
        }
    }
    labels.retain(|l| !l.is_empty());
    labels.sort_unstable();
    format!("{name}{{{}}}{}", labels.join(","), &rest[end + 1..])
}
