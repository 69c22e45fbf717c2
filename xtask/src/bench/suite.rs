//! `--suite NAME`: which comparison `cargo xtask bench` runs. Each suite
//! but the default one lives in a module of its own and parses the rest of
//! the arguments itself.

use std::ffi::OsString;
use std::process::ExitCode;

/// A comparison `cargo xtask bench` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    /// logscan against grep, ripgrep, awk, goaccess and Python (the default).
    Logs,
    /// confmerge against the Python original (PyYAML, deep_merge, jsonschema).
    Config,
    /// ops-exec against std::process and Python's subprocess.run.
    Exec,
    /// sysexporter against node_exporter.
    Metrics,
}

const NAMES: &str = "logs, config, exec or metrics";

impl Suite {
    /// How the suite's messages begin, and its command after `cargo`.
    fn label(self) -> &'static str {
        match self {
            Suite::Logs => "xtask bench",
            Suite::Config => "xtask bench --suite config",
            Suite::Exec => "xtask bench --suite exec",
            Suite::Metrics => "xtask bench --suite metrics",
        }
    }

    /// Runs a suite from its parsed arguments: `None` prints `usage`, a
    /// parse error is a usage error (exit 2), and `execute` says whether
    /// every answer was right (exit 0) or not (exit 1; an `Err` is printed).
    pub(crate) fn main<A>(
        self,
        usage: &str,
        parsed: Result<Option<A>, String>,
        execute: impl FnOnce(A) -> Result<bool, String>,
    ) -> ExitCode {
        let label = self.label();
        let args = match parsed {
            Ok(Some(a)) => a,
            Ok(None) => {
                print!("{usage}");
                return ExitCode::SUCCESS;
            }
            Err(msg) => {
                eprintln!("{label}: {msg} (see `cargo {label} --help`)");
                return ExitCode::from(2);
            }
        };
        match execute(args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(msg) => {
                eprintln!("{label}: {msg}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Takes `--suite NAME` (or `--suite=NAME`) out of `args`; the last one
/// given wins.
pub(crate) fn take_suite(args: Vec<OsString>) -> Result<(Suite, Vec<OsString>), String> {
    let mut suite = Suite::Logs;
    let mut rest = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = match arg.to_str() {
            Some("--suite") => args.next().and_then(|v| v.into_string().ok()),
            Some(s) if s.starts_with("--suite=") => Some(s["--suite=".len()..].to_owned()),
            _ => {
                rest.push(arg);
                continue;
            }
        };
        suite = match name.as_deref() {
            Some("logs") => Suite::Logs,
            Some("config") => Suite::Config,
            Some("exec") => Suite::Exec,
            Some("metrics") => Suite::Metrics,
            Some(other) => return Err(format!("unknown suite `{other}` ({NAMES})")),
            None => return Err(format!("option `--suite` needs a value ({NAMES})")),
        };
    }
    Ok((suite, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn exit_codes_of_a_suite_run() {
        let ran = |parsed: Result<Option<u8>, String>, outcome: Result<bool, String>| {
            Suite::Exec.main("usage\n", parsed, |_| outcome)
        };
        assert_eq!(ran(Ok(None), Ok(false)), ExitCode::SUCCESS);
        assert_eq!(ran(Err("bad".into()), Ok(true)), ExitCode::from(2));
        assert_eq!(ran(Ok(Some(1)), Ok(true)), ExitCode::SUCCESS);
        assert_eq!(ran(Ok(Some(1)), Ok(false)), ExitCode::FAILURE);
        assert_eq!(ran(Ok(Some(1)), Err("broke".into())), ExitCode::FAILURE);
    }

    #[test]
    fn suite_is_taken_out_of_the_arguments() {
        assert_eq!(
            take_suite(args(&["--quick"])),
            Ok((Suite::Logs, args(&["--quick"])))
        );
        assert_eq!(
            take_suite(args(&["--suite", "metrics", "--quick"])),
            Ok((Suite::Metrics, args(&["--quick"])))
        );
        assert_eq!(
            take_suite(args(&["--suite", "config"])),
            Ok((Suite::Config, args(&[])))
        );
        assert_eq!(
            take_suite(args(&["--suite=exec"])),
            Ok((Suite::Exec, args(&[])))
        );
        assert_eq!(
            take_suite(args(&["--runs", "3", "--suite=logs"])),
            Ok((Suite::Logs, args(&["--runs", "3"])))
        );
        assert!(take_suite(args(&["--suite", "disks"])).is_err());
        assert!(take_suite(args(&["--suite"])).is_err());
    }
}
