//! Timing one shell pipeline with GNU time, and the statistics of the runs.
//!
//! Why GNU time: the workspace forbids `unsafe`, so xtask cannot call
//! `wait4` for a child's rusage; `/usr/bin/time` does, for the whole
//! `bash -c` tree (CPU time summed over every process of a pipeline, peak
//! RSS of the largest one).

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// What GNU time reports for one run (`-f '%e %U %S %M'`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) max_rss_kib: u64,
}

/// The format string handed to `/usr/bin/time -f`.
pub(crate) const TIME_FORMAT: &str = "%e %U %S %M";

/// Parses the file GNU time wrote with [`TIME_FORMAT`]. The last non-empty
/// line holds the numbers; a line before it may say "Command exited with
/// non-zero status N" or "Command terminated by signal N".
pub(crate) fn parse_gnu_time(text: &str) -> Result<Sample, String> {
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| "GNU time wrote nothing".to_owned())?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [wall, user, sys, rss] = fields.as_slice() else {
        return Err(format!("unexpected GNU time line `{line}`"));
    };
    let num = |s: &str| -> Result<f64, String> {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("`{s}` in GNU time line `{line}` is not a duration"))
    };
    let max_rss_kib = rss
        .parse::<u64>()
        .map_err(|_| format!("`{rss}` in GNU time line `{line}` is not a size in KiB"))?;
    Ok(Sample {
        wall_s: num(wall)?,
        cpu_s: num(user)? + num(sys)?,
        max_rss_kib,
    })
}

/// The median of `values` (mean of the two middle ones for an even count);
/// `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

/// Summary of the timed runs of one command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub(crate) wall_s: f64,
    pub(crate) cpu_s: f64,
    pub(crate) max_rss_kib: u64,
}

/// Median wall time, median CPU time, and the largest peak RSS of `samples`.
pub(crate) fn summarize(samples: &[Sample]) -> Option<Stats> {
    let walls: Vec<f64> = samples.iter().map(|s| s.wall_s).collect();
    let cpus: Vec<f64> = samples.iter().map(|s| s.cpu_s).collect();
    Some(Stats {
        wall_s: median(&walls)?,
        cpu_s: median(&cpus)?,
        max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max()?,
    })
}

/// Where and how every pipeline runs: from `dir`, in the C locale, with
/// `PATH` (which starts with logscan's directory, so that the commands
/// shown say `logscan`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) path: &'a OsStr,
}

impl Env<'_> {
    fn apply(&self, cmd: &mut Command) {
        cmd.current_dir(self.dir)
            .env("LC_ALL", "C")
            .env("PATH", self.path);
    }
}

/// `bash -o pipefail -c PIPELINE`.
fn shell(pipeline: &str, env: Env<'_>) -> Command {
    let mut cmd = Command::new("bash");
    cmd.args(["-o", "pipefail", "-c", pipeline]);
    env.apply(&mut cmd);
    cmd
}

/// Runs the pipeline once, untimed, its stdout into `out` (the answer that is
/// checked; this is also the warm-up run that fills the page cache).
pub(crate) fn run_for_answer(pipeline: &str, env: Env<'_>, out: &Path) -> Result<(), String> {
    let file =
        fs::File::create(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let output = shell(pipeline, env)
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run bash for `{pipeline}`: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{pipeline}` failed ({}): {}",
            output.status,
            last_line(&output.stderr)
        ))
    }
}

/// Runs the pipeline once under GNU time with its stdout to /dev/null.
pub(crate) fn run_timed(pipeline: &str, env: Env<'_>, time_file: &Path) -> Result<Sample, String> {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg(TIME_FORMAT)
        .arg("-o")
        .arg(time_file)
        .args(["bash", "-o", "pipefail", "-c"])
        .arg(format!("{pipeline} > /dev/null"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    env.apply(&mut cmd);
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time for `{pipeline}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{pipeline}` failed under time ({}): {}",
            output.status,
            last_line(&output.stderr)
        ));
    }
    let text = fs::read_to_string(time_file)
        .map_err(|e| format!("cannot read {}: {e}", time_file.display()))?;
    parse_gnu_time(&text)
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_failed_runs() {
        let s = parse_gnu_time("1.23 2.00 0.50 10240\n").ok();
        assert_eq!(
            s,
            Some(Sample {
                wall_s: 1.23,
                cpu_s: 2.5,
                max_rss_kib: 10240
            })
        );
        let failed = parse_gnu_time("Command exited with non-zero status 1\n0.01 0.00 0.00 3000\n");
        assert_eq!(failed.map(|s| s.max_rss_kib), Ok(3000));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_gnu_time("").is_err());
        assert!(parse_gnu_time("1.0 2.0 3.0").is_err());
        assert!(parse_gnu_time("1.0 x 3.0 4").is_err());
        assert!(parse_gnu_time("1.0 2.0 3.0 -4").is_err());
        assert!(parse_gnu_time("NaN 2.0 3.0 4").is_err());
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn summary_takes_medians_and_worst_rss() {
        let s = |w, c, r| Sample {
            wall_s: w,
            cpu_s: c,
            max_rss_kib: r,
        };
        let stats = summarize(&[s(1.0, 5.0, 10), s(3.0, 1.0, 30), s(2.0, 2.0, 20)]);
        assert_eq!(
            stats,
            Some(Stats {
                wall_s: 2.0,
                cpu_s: 2.0,
                max_rss_kib: 30
            })
        );
        assert_eq!(summarize(&[]), None);
    }
}
