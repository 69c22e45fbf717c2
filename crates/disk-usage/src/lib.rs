//! Disk usage from `df`: the parser of its POSIX output (`df -P -k`), and
//! the run of `df` itself through `ops-exec`, with a timeout, since `df`
//! hangs on a dead NFS mount.
//!
//! `df`'s output is input from outside (mount points are chosen by whoever
//! mounts): [`parse_df`] reads it without panicking on any text, keeps
//! spaces in mount points, and fails with the line number when a line does
//! not read as a mount.
//!
//! # Example
//!
//! ```
//! let text = "\
//! Filesystem     1024-blocks     Used Available Capacity Mounted on
//! /dev/vda1        263174212 98765432 164408780      38% /
//! /dev/vdb1         10255636  9743152    512484      96% /srv/my data
//! ";
//! let mounts = disk_usage::parse_df(text)?;
//! assert_eq!(mounts[1].mounted_on, "/srv/my data");
//! let full = disk_usage::above(&mounts, 90);
//! assert_eq!(full.len(), 1);
//! assert_eq!(full[0].use_percent, Some(96));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::time::Duration;

use ops_exec::Command;

/// One line of `df -P -k`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Mount {
    /// The device or source (`/dev/vda1`, `tmpfs`, `server:/export`).
    pub filesystem: String,
    /// Size in KiB (`None` when df shows `-`).
    pub size_kib: Option<u64>,
    /// Used KiB.
    pub used_kib: Option<u64>,
    /// Available KiB.
    pub available_kib: Option<u64>,
    /// Percentage used, as df rounds it (up).
    pub use_percent: Option<u8>,
    /// Where it is mounted; may hold spaces.
    pub mounted_on: String,
}

/// `df` output that does not read as mounts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The first line is not df's header.
    #[error("df output line 1: expected the header `Filesystem ... Mounted on`, found {found:?}")]
    Header {
        /// The line found.
        found: String,
    },
    /// A line lacks the four numbers and the mount point.
    #[error("df output line {line}: {reason}: {text:?}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is missing.
        reason: &'static str,
        /// The line.
        text: String,
    },
}

/// Parses the output of `df -P -k` (POSIX format: one mount per line, the
/// columns filesystem, size, used, available, capacity, mount point).
///
/// The numbers are found as the first run of four columns that read as
/// `size used available NN%` (each may be `-`), so that a filesystem name
/// with spaces still parses; the mount point is the rest of the line, with
/// its spaces.
pub fn parse_df(text: &str) -> Result<Vec<Mount>, ParseError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    if !(header.starts_with("Filesystem") && header.trim_end().ends_with("Mounted on")) {
        return Err(ParseError::Header {
            found: header.to_owned(),
        });
    }
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            parse_line(l).map_err(|reason| ParseError::Line {
                line: i + 2,
                reason,
                text: l.to_owned(),
            })
        })
        .collect()
}

fn parse_line(line: &str) -> Result<Mount, &'static str> {
    let words = words_with_offsets(line);
    let at = (1..words.len().saturating_sub(4))
        .find(|&i| {
            let [size, used, avail, pct] =
                [&words[i], &words[i + 1], &words[i + 2], &words[i + 3]].map(|(_, w)| *w);
            [size, used, avail].iter().all(|w| number(w).is_ok()) && percent(pct).is_ok()
        })
        .ok_or("expected `FILESYSTEM SIZE USED AVAILABLE NN% MOUNTPOINT`")?;
    let field = |i: usize| words[i].1;
    let (start, _) = words[at];
    let (mount_start, _) = words[at + 4];
    Ok(Mount {
        filesystem: line[..start].trim().to_owned(),
        size_kib: number(field(at))?,
        used_kib: number(field(at + 1))?,
        available_kib: number(field(at + 2))?,
        use_percent: percent(field(at + 3))?,
        mounted_on: line[mount_start..].trim_end().to_owned(),
    })
}

/// The words of a line with their byte offsets.
fn words_with_offsets(line: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    words
}

fn number(word: &str) -> Result<Option<u64>, &'static str> {
    match word {
        "-" => Ok(None),
        w => w.parse().map(Some).map_err(|_| "not a number"),
    }
}

fn percent(word: &str) -> Result<Option<u8>, &'static str> {
    match word {
        "-" => Ok(None),
        w => w
            .strip_suffix('%')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|&n| n <= 100)
            .map(Some)
            .ok_or("not a percentage"),
    }
}

/// The mounts at or above `threshold` percent used, fullest first.
pub fn above(mounts: &[Mount], threshold: u8) -> Vec<&Mount> {
    let mut full: Vec<&Mount> = mounts
        .iter()
        .filter(|m| m.use_percent.is_some_and(|p| p >= threshold))
        .collect();
    full.sort_by(|a, b| {
        b.use_percent
            .cmp(&a.use_percent)
            .then(a.mounted_on.cmp(&b.mounted_on))
    });
    full
}

/// The `df` command: POSIX format in KiB, C locale, for these paths (all
/// mounts when empty), with a timeout.
pub fn df_command(paths: &[std::path::PathBuf], timeout: Duration) -> Command {
    let mut cmd = Command::new("df");
    cmd.args(["-P", "-k"])
        .args(paths)
        .env("LC_ALL", "C")
        .timeout(timeout);
    cmd
}

/// Runs `df` and parses what it prints.
pub fn run_df(paths: &[std::path::PathBuf], timeout: Duration) -> Result<Vec<Mount>, Error> {
    let out = df_command(paths, timeout).run()?;
    Ok(parse_df(&out.stdout_text())?)
}

/// Running or reading `df` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `df` could not run, failed or timed out.
    #[error(transparent)]
    Exec(#[from] ops_exec::Error),
    /// Its output did not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "Filesystem 1024-blocks Used Available Capacity Mounted on\n";

    #[test]
    fn reads_real_outputs() {
        for (name, text) in [
            ("gnu.txt", include_str!("../testdata/gnu.txt")),
            ("busybox.txt", include_str!("../testdata/busybox.txt")),
        ] {
            let mounts = parse_df(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(mounts.len() >= 5, "{name}");
            assert!(mounts.iter().any(|m| m.mounted_on == "/"), "{name}");
        }
        let gnu = parse_df(include_str!("../testdata/gnu.txt")).unwrap();
        let spaced = gnu.iter().find(|m| m.mounted_on.contains(' ')).unwrap();
        assert_eq!(spaced.mounted_on, "/media/usb stick");
        assert_eq!(spaced.filesystem, "/dev/sdb1");
        let nfs = gnu.iter().find(|m| m.filesystem.contains(':')).unwrap();
        assert_eq!(nfs.use_percent, Some(91));
        let dash = gnu.iter().find(|m| m.size_kib.is_none()).unwrap();
        assert_eq!(dash.use_percent, None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_df("Filesystem Size\n").unwrap_err();
        assert!(e.to_string().starts_with("df output line 1"), "{e}");
        let e = parse_df(&format!(
            "{HEADER}/dev/a 10 5 5 50% /\n/dev/b lots of space\n"
        ))
        .unwrap_err();
        assert!(e.to_string().starts_with("df output line 3:"), "{e}");
        assert!(parse_df(&format!("{HEADER}/dev/a 10 5 5 150% /\n")).is_err());
        assert_eq!(parse_df(HEADER).unwrap(), Vec::new());
    }

    #[test]
    fn filesystem_names_with_spaces() {
        let m = parse_df(&format!("{HEADER}My Share 100 91 9 91% /mnt/my share\n")).unwrap();
        assert_eq!(
            (m[0].filesystem.as_str(), m[0].mounted_on.as_str()),
            ("My Share", "/mnt/my share")
        );
    }

    #[test]
    fn above_sorts_fullest_first() {
        let text =
            format!("{HEADER}a 10 9 1 90% /a\nb 10 10 0 100% /b\nc 10 1 9 10% /c\nd - - - - /d\n");
        let mounts = parse_df(&text).unwrap();
        let full: Vec<&str> = above(&mounts, 90)
            .iter()
            .map(|m| m.mounted_on.as_str())
            .collect();
        assert_eq!(full, ["/b", "/a"]);
    }

    #[test]
    fn df_runs_here() {
        let mounts = run_df(&["/".into()], Duration::from_secs(30)).unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].mounted_on, "/");
    }

    proptest! {
        #[test]
        fn any_mount_line_reads_back(
            fs in "[a-z/:]{1,10}( [a-z]{1,5})?",
            size in 0u64..1 << 40,
            used in 0u64..1 << 40,
            pct in 0u8..=100,
            mount in "/[a-z0-9 ._-]{0,20}[a-z]",
        ) {
            let avail = size.saturating_sub(used);
            let text = format!("{HEADER}{fs}  {size} {used}   {avail} {pct}% {mount}\n");
            let m = parse_df(&text).unwrap();
            prop_assert_eq!(&m[0].filesystem, &fs);
            prop_assert_eq!(&m[0].mounted_on, &mount);
            prop_assert_eq!((m[0].size_kib, m[0].used_kib, m[0].use_percent), (Some(size), Some(used), Some(pct)));
        }
    }
}
